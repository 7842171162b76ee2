/* A deployment profile: what `rtcprobe check` probes, as an INI file
 * (GKeyFile) or derived from one domain name along the runbook's topology
 * (app.DOMAIN, api.DOMAIN, cdn.DOMAIN, TURN on the API host, LiveKit at
 * DOMAIN:7880). A profile names where credentials live (files, environment
 * variables), never the credentials themselves. Pure configuration: no
 * network, no checks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *source;               /* the file, or "domain NAME" */
  char *domain;               /* [deployment] domain */
  char *ca_file;              /* [deployment] ca_file */
  /* [web] */
  char *app_url;
  char *api_url;
  char *health_url;
  char **health_expect;       /* KEY=VALUE, as --expect-json */
  char *origin;               /* CORS origin the API must allow */
  char *socketio_url;
  char **http_urls;           /* plain-HTTP addresses that must redirect */
  /* [files] */
  char *cdn_url;
  char *file_hash;
  char *file_url;
  /* [turn] */
  char **turn_uris;
  char *turn_user;
  char *turn_password_file;
  char *turn_password_env;
  char *turn_secret_file;
  char *turn_secret_env;
  gint rest_ttl;
  gboolean audit;
  /* [livekit] */
  char *livekit_url;
  char *livekit_key;
  char *livekit_secret_file;
  char *livekit_secret_env;
  /* [reflector] */
  char *reflector_url;
  char *reflector_secret_file;
  char *reflector_secret_env;
  /* [voice] */
  gboolean voice;             /* enabled (default TRUE) */
  double voice_duration_s;
  char *voice_codec;
  char **voice_thresholds;    /* NAME=VALUE */
  /* [ports] */
  char *ports_host;
  char *ports;                /* a port list; NULL: derived */
} RpProfile;

/* Reads and validates FILE. A usage error (one line, naming the file and
 * the key) for: a syntax error, an unknown section or key, a value of the
 * wrong type, a secret written inline (password=, secret=), a URL of the
 * wrong scheme. Relative file paths are taken from the profile's folder.
 * Defaults are not yet applied. */
RpProfile *rp_profile_load (const char *path, GError **error);
/* An empty profile for DOMAIN (validated as a host name). */
RpProfile *rp_profile_new_for_domain (const char *domain, GError **error);
void rp_profile_free (RpProfile *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpProfile, rp_profile_free)

/* Fills what is not set from the domain and from the other URLs (health
 * and Socket.IO under the API URL, the file URL from the hash, the CORS
 * origin from the app URL, the ports host from TURN), then checks that every
 * URL parses with the right scheme. */
gboolean rp_profile_finish (RpProfile *p, GError **error);

/* The port list to probe on ports_host: the profile's, the runbook's for a
 * domain, else the ports of the profile's URLs on that host. New string. */
char *rp_profile_port_list (const RpProfile *p);

/* TURN URIs as the clients try them: a bare turn:host is UDP and TCP.
 * Returns RpTarget*, unique, in order. */
GPtrArray *rp_profile_turn_targets (const RpProfile *p, GError **error);

/* Every host the profile names, once each, in order of appearance. */
GPtrArray *rp_profile_hosts (const RpProfile *p);

G_END_DECLS
