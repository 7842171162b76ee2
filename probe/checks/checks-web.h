/* The web tier's checks: HTTPS endpoints through libcurl (check-http.c and
 * its helpers) and websocket upgrades through libwebsockets, with Engine.IO /
 * Socket.IO and LiveKit signalling (check-ws.c and its helpers). */
#pragma once

#include "probe/core/options.h"
#include "probe/core/runner.h"
#include "probe/core/target.h"

G_BEGIN_DECLS

typedef struct {
  char **expect_json;       /* "KEY=VALUE" with dotted keys, NULL-terminated, or NULL */
  char *origin;             /* --origin URL for the CORS check, or NULL */
  char **headers;           /* extra "K: V" request headers, or NULL */
  const char *kind;         /* the result's kind: NULL for "http", "file" for a file endpoint */
} RpHttpOptions;

/* `http URL`: http.<n> (status, redirects, phases, TLS), and per host
 * https hygiene (http.<host>.redirect, http.<host>.hsts), CORS when an origin
 * is given. index numbers the URL on the command line (ids stay unique). */
void rp_check_http_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                        const RpHttpOptions *http, guint index);

/* One address family of a dual-stack URL, as a request pinned to it saw it
 * (http-family.c). */
typedef struct {
  const char *family;       /* "ipv4" or "ipv6" */
  const char *address;      /* the first resolved address of the family */
  gboolean answered;        /* an HTTP status came back */
  long status;
  double connect_ms;        /* the TCP handshake; < 0 unknown */
  const char *leaf_sha256;  /* the leaf certificate's fingerprint, or NULL */
  const char *error;        /* why there was no answer, or NULL */
} RpHttpFamilyView;

/* Writes both families' evidence into r (the URL's http result, already
 * judged over the happy-eyeballs connection) and downgrades a pass to a warn
 * when one family does not answer (the AAAA fault, with the time lost),
 * when the families serve different certificates, or different statuses.
 * first: the family clients try first (resolution order). winner: the
 * family of the happy-eyeballs connection, or NULL; main_connect_ms its
 * TCP connect phase (< 0 unknown). */
void rp_http_families_judge (RpCheckResult *r, const char *host, guint16 port,
                             const RpHttpFamilyView *first, const RpHttpFamilyView *second,
                             const char *winner, double main_connect_ms);

typedef struct {
  double hold_s;            /* --hold: idle time to watch for, 0 = none */
  char **headers;           /* extra "K: V" headers for the upgrade, or NULL */
  gboolean engineio;        /* --engineio (also automatic for /socket.io/ paths) */
  gboolean livekit;         /* --livekit: treat the URL as LiveKit signalling */
  char *livekit_key;        /* --livekit-key */
  char *livekit_secret_file;/* --livekit-secret-file (or RTCPROBE_LIVEKIT_SECRET) */
} RpWsOptions;

/* `ws URL`: ws.<n> (upgrade, accept key, RTT, hold), Engine.IO/Socket.IO
 * results when the URL is a Socket.IO endpoint, LiveKit results with --livekit. */
void rp_check_ws_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                      const RpWsOptions *ws, guint index);

G_END_DECLS
