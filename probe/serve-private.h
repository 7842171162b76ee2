/* Shared between the reflector's files: serve.c (process, signals,
 * websocket server), serve-session.c (one authenticated session: its ICE
 * agent and the echo on the selected pair) and serve-direct.c (the plain
 * UDP/TCP reflector ports). One GMainContext; nothing here is thread-safe. */
#pragma once

#include <gio/gio.h>

#include "probe/reflector-auth.h"
#include "probe/reflector-limits.h"
#include "probe/reflector-proto.h"
#include "probe/serve-config.h"
#include "rtc/ice-agent.h"
#include "rtc/turn-tls-bridge.h"

G_BEGIN_DECLS

typedef struct _RpServeSession RpServeSession;
typedef struct _RpServeDirect RpServeDirect;

typedef struct {
  char *uri;                  /* as configured */
  char *ip;                   /* resolved once at start */
  guint16 port;
  RpIceRelayTransport transport;
  RpTurnTlsBridge *bridge;    /* turns: one loopback bridge for every session */
} RpServeTurn;

typedef struct {
  RpServeConfig *config;
  GMainContext *context;
  GMainLoop *loop;
  struct lws_context *lws;
  GPtrArray *turn;            /* RpServeTurn* */
  GHashTable *sessions;       /* ssid (GUINT_TO_POINTER) -> RpServeSession* */
  guint connections;          /* open websockets */
  RpRateTable *upgrade_limit; /* websocket upgrades per client address */
  RpRateTable *packet_limit;  /* direct TCP connections per source */
  RpBucket global;            /* test packets answered over ICE, all sessions */
  RpBucket log_bucket;        /* refusal lines in the log */
  RpServeDirect *direct;
  gboolean stopping;
  guint64 sessions_total;
  /* refused since the last summary line */
  guint64 refused_rate, refused_auth, refused_busy, dropped_packets;
} RpServe;

/* A g_message() for refusals, itself rate-limited (a flood must not become
 * a flood of log lines); the counters carry the rest into the summary. */
void rp_serve_log_refusal (RpServe *s, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* May one more test packet be answered over ICE (global rate)? */
gboolean rp_serve_packet_allowed (RpServe *s, gint64 now_us);

/* ---- sessions (serve-session.c) ---- */

/* Callbacks a session uses to talk to its websocket (serve.c). */
void rp_serve_ws_send (gpointer conn, const char *text);
void rp_serve_ws_close (gpointer conn, guint code);
/* The session is gone: the websocket stops handing it messages. */
void rp_serve_ws_detach (gpointer conn);

/* An authenticated client: makes the agent and starts gathering; the welcome
 * follows when gathering is done. conn is the websocket's handle. */
RpServeSession *rp_serve_session_new (RpServe *s, gpointer conn, const char *peer, const char *name);
/* A message after the hello (answer, bye). */
void rp_serve_session_message (RpServeSession *ss, const char *type, JsonObject *msg);
/* Ends it: logs the session's line, frees the agent, forgets conn; with a
 * reason the client is told (bye) and the websocket closed. */
void rp_serve_session_end (RpServeSession *ss, const char *reason, gboolean tell);
RpServeSession *rp_serve_session_by_ssid (RpServe *s, guint16 ssid);
/* The direct path: answers in place when the packet comes from the peer
 * the session's direct path is bound to (or binds it) and verifies with
 * the session's key; only then are the session's rate and the direct
 * ports' global one charged (rp_reflector_admit). RP_REFLECTOR_ADMIT: send
 * len octets of buf back. */
RpReflectorAdmit rp_serve_session_reflect_direct (RpServeSession *ss, guint8 *buf, gsize len,
                                                  const RpReflectorPeer *from, gint64 t2_us);

/* ---- direct ports (serve-direct.c) ---- */

RpServeDirect *rp_serve_direct_new (RpServe *s, GError **error);
void rp_serve_direct_free (RpServeDirect *d);
guint16 rp_serve_direct_udp_port (RpServeDirect *d);
guint16 rp_serve_direct_tcp_port (RpServeDirect *d);
/* The direct ports' budget for authenticated packets: their own
 * global_packet_rate, apart from the ICE path's. */
RpBucket *rp_serve_direct_budget (RpServeDirect *d);

G_END_DECLS
