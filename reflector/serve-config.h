/* The configuration of `rtcprobe serve` (the reflector): an INI file read
 * with GKeyFile. Every key, its default and its meaning are listed in
 * examples/serve.ini, the documented example. Values are checked here,
 * once, so the server never runs with a limit of zero or a secret it could
 * not read. Secrets come from files only and are wiped when freed. */
#pragma once

#include <glib.h>

#include "probe/core/credentials.h"
#include "probe/core/target.h"

G_BEGIN_DECLS

typedef struct {
  char *address;          /* numeric, "" for every address */
  guint16 port;           /* 0: off */
} RpServeListen;

typedef struct {
  /* [listen] */
  RpServeListen websocket;
  char *path;             /* the websocket's path, e.g. /rtcprobe */
  char *tls_cert, *tls_key;   /* wss: directly (NULL: plain ws behind a proxy) */
  RpServeListen udp, tcp; /* direct reflector ports */
  char **trusted_proxies; /* numeric addresses whose X-Forwarded-For is believed */
  /* [auth] */
  RpSecret *secret;
  gint64 max_token_ttl_s;
  /* [turn] */
  GPtrArray *turn;        /* RpTarget* */
  char *turn_user;
  RpSecret *turn_password;    /* long-term credentials, or */
  RpSecret *turn_secret;      /* REST credentials made per session */
  gint64 turn_rest_ttl_s;
  char *ca_file;          /* for turns: (NULL: the system store) */
  /* [ice] */
  gboolean loopback_only;
  /* [limits] */
  guint max_sessions;
  guint max_sessions_per_token;   /* one bearer token's share of max_sessions */
  guint max_load_streams;         /* streams of one load session (0: load refused) */
  guint max_connections;
  gint64 session_lifetime_s;
  gint64 hello_timeout_s;
  guint max_packet;
  double session_packet_rate;
  double source_rate, source_burst;
  guint source_table_size;
  double global_packet_rate;
  guint max_tcp_connections;
  guint tcp_connections_per_source;
  gint64 tcp_idle_timeout_s;
  gint64 tcp_frame_timeout_s;
  /* [tester] */
  char *public_url;       /* where testers reach <path>, no trailing '/' (NULL: no invites) */
  gint64 voice_duration_s;
  gint64 tester_turn_ttl_s;   /* the browser's TURN REST credentials */
  /* [results] */
  char *results_database;     /* the SQLite file (NULL: results are not kept) */
  gint64 results_retention_days;
  guint max_results;
  guint max_report_size;      /* bytes of one rtcprobe.report/1 document */
  double upload_rate;         /* uploads per minute, per source and per invite */
  double upload_burst;
} RpServeConfig;

/* Fills c from the file (defaults for absent keys). G_KEY_FILE_ERROR or
 * G_IO_ERROR naming the group and key that is wrong. */
gboolean rp_serve_config_load (RpServeConfig *c, const char *path, GError **error);
void rp_serve_config_clear (RpServeConfig *c);

/* "127.0.0.1:8089", "[::1]:8089", ":8089" (every address); "" or "off": port 0. */
gboolean rp_serve_parse_listen (const char *text, RpServeListen *out, GError **error);

G_END_DECLS
