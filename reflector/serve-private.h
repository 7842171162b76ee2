/* Shared between the reflector's files: serve.c (process, signals,
 * websocket server), serve-session.c (one authenticated session: its ICE
 * agent and the echo on the selected pair) and serve-direct.c (the plain
 * UDP/TCP reflector ports). One GMainContext; nothing here is thread-safe. */
#pragma once

#include <gio/gio.h>
#include <libwebsockets.h>

#include "reflector/protocol/reflector-auth.h"
#include "reflector/protocol/reflector-invite.h"
#include "reflector/protocol/reflector-limits.h"
#include "reflector/protocol/reflector-proto.h"
#include "reflector/protocol/reflector-tester.h"
#include "reflector/results-store.h"
#include "reflector/serve-config.h"
#include "rtc/ice/ice-agent.h"
#include "rtc/ice/turn-tls-bridge.h"
#include "rtc/webrtc/peer.h"

G_BEGIN_DECLS

typedef struct _RpServeSession RpServeSession;
typedef struct _RpServeDirect RpServeDirect;
typedef struct _RpServeTester RpServeTester;
typedef struct _RpServeUpload RpServeUpload;

typedef struct {
  char *uri;                  /* as configured */
  char *ip;                   /* resolved once at start */
  guint16 port;
  RpIceRelayTransport transport;
  RpTurnTlsBridge *bridge;    /* turns: one loopback bridge for every session */
} RpServeTurn;

/* Remote candidates at addresses other than their client's, over all
 * sessions: each costs a few checks (libnice paces them, Ta, and retransmits
 * at most 4 times), so this bounds the rate of checks a client can aim
 * elsewhere; candidates at the client's own address never count. */
#define RP_SERVE_FOREIGN_RATE 16.0  /* per second */
#define RP_SERVE_FOREIGN_BURST 32.0

typedef struct {
  RpServeConfig *config;
  GMainContext *context;
  GMainLoop *loop;
  struct lws_context *lws;
  GPtrArray *turn;            /* RpServeTurn* */
  GHashTable *sessions;       /* ssid (GUINT_TO_POINTER) -> RpServeSession*: a load
                                 session is there once per stream */
  guint n_sessions;           /* sessions open (not testers) */
  GHashTable *testers;        /* RpServeTester* (a set); they count against max_sessions */
  RpShareTable *token_share;  /* sessions held per token (username) or "invite:<id>" */
  RpInviteLedger *invites;    /* uses of each invite, in memory */
  RpDtlsCert *cert;           /* the DTLS certificate of every tester's peer */
  GBytes *page;               /* the tester's page, and its Content-Security-Policy */
  char *page_csp;
  guint connections;          /* open websockets */
  RpRateTable *upgrade_limit; /* websocket upgrades per client address */
  RpRateTable *packet_limit;  /* direct TCP connections per source */
  RpRateTable *upload_limit;  /* result uploads per client address */
  RpRateTable *upload_invite_limit;   /* result uploads per invite */
  RpBucket global;            /* test packets answered over ICE, all sessions */
  RpBucket log_bucket;        /* refusal lines in the log */
  RpBucket foreign;           /* foreign candidates checked, all sessions */
  RpServeDirect *direct;
  RpResultsStore *results;    /* [results] database (NULL: results are not kept) */
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

/* Callbacks a session uses to talk to its websocket (serve.c). Neither
 * touches the session. */
void rp_serve_ws_send (gpointer conn, const char *text);
void rp_serve_ws_close (gpointer conn, guint code);
/* The websocket's side of the link to its session (NULL: none). Only
 * serve-session.c calls it, together with setting or clearing the session's
 * own pointer to conn: the two links are made and cleared in one place each,
 * so neither side can reach the other once one of them is gone. Every way a
 * websocket ends (an error sent, the peer's close, lws's close) ends its
 * session through rp_serve_session_end() exactly once. */
void rp_serve_ws_link (gpointer conn, RpServeSession *ss);

/* An authenticated client: with streams > 0 a load session (no agent; its
 * welcome goes at once, see serve-session.c); else makes the agent, links it to conn (the
 * websocket's handle) and starts gathering; the welcome follows when
 * gathering is done. NULL (and conn told and closed) when it cannot start.
 * token (the username) has taken one of its share in s->token_share; the
 * session gives it back when it ends, or here when it cannot start. */
RpServeSession *rp_serve_session_new (RpServe *s, gpointer conn, const char *peer, const char *name,
                                      const char *token, guint streams);
/* A message after the hello (answer, bye). */
void rp_serve_session_message (RpServeSession *ss, const char *type, JsonObject *msg);
/* Ends it: unlinks conn first, logs the session's line, frees the agent;
 * with tell the client is told (bye) and the websocket closed. */
void rp_serve_session_end (RpServeSession *ss, const char *reason, gboolean tell);
RpServeSession *rp_serve_session_by_ssid (RpServe *s, guint16 ssid);
/* The direct path: answers in place when the packet comes from the peer
 * the session's direct path is bound to (or binds it) and verifies with
 * the session's key; only then are the session's rate and the direct
 * ports' global one charged (rp_reflector_admit), at now_us, the time it
 * was read. t2_us is its arrival (the kernel's stamp), the answer's STAMP
 * receive timestamp; T3 is taken just before the answer is signed.
 * RP_REFLECTOR_ADMIT: send len octets of buf back. */
RpReflectorAdmit rp_serve_session_reflect_direct (RpServeSession *ss, guint8 *buf, gsize len,
                                                  const RpReflectorPeer *from, gint64 now_us,
                                                  gint64 t2_us);

/* ---- testers' browsers (serve-tester.c) ---- */

/* The same for a tester's session: conn's link to it (NULL: none). */
void rp_serve_ws_link_tester (gpointer conn, RpServeTester *t);
/* A browser whose invite verified and took one use: links it to conn and
 * sends the welcome with TURN credentials. share_key has taken one of its
 * share in s->token_share; the tester gives it back when it ends. */
RpServeTester *rp_serve_tester_new (RpServe *s, gpointer conn, const char *peer,
                                    const char *agent, const RpInvite *invite,
                                    const char *share_key);
/* A message after the tester hello (offer, candidate, close, bye). */
void rp_serve_tester_message (RpServeTester *t, const char *type, JsonObject *msg);
/* Ends it: unlinks conn, logs its line, frees its peers; with tell the
 * browser is told (bye) and the websocket closed. */
void rp_serve_tester_end (RpServeTester *t, const char *reason, gboolean tell);

/* ---- the tester's page (serve-page.c) ---- */

gboolean rp_serve_page_load (RpServe *s, GError **error);
void rp_serve_page_clear (RpServe *s);
/* 200 with the page and its headers (the caller closes after). */
void rp_serve_page_answer (RpServe *s, struct lws *wsi);

/* ---- a tester's report (serve-tester-report.c) ---- */

typedef struct _RpTesterRuns RpTesterRuns;

/* The voice streams of one tester, at most max_rows sends (and replies)
 * each. */
RpTesterRuns *rp_tester_runs_new (guint max_rows);
void rp_tester_runs_free (RpTesterRuns *runs);
/* Appends one timings message to the stream id (a new one, up to four). */
gboolean rp_tester_runs_add (RpTesterRuns *runs, const char *id, GArray *sent, GArray *replies,
                             GError **error);
/* The report message (reflector-tester.h) for runs and what the browser
 * measured; *verdict the sentence and *document the rtcprobe.report/1
 * document alone (free both). target: where the browser
 * reached the reflector (its websocket path). */
char *rp_tester_report_build (RpTesterRuns *runs, const RpTesterResult *res, const char *label,
                              const char *target, gint64 interval_us, gsize packet_size,
                              char **verdict, char **document);
/* The paths and streams in a few words, for the log. */
char *rp_tester_report_log_line (RpTesterRuns *runs, const RpTesterResult *res);

/* ---- the results store (serve-results.c) ---- */

/* Opens [results] database when configured (s->results stays NULL when
 * not). */
gboolean rp_serve_results_open (RpServe *s, GError **error);
/* Checks and keeps one uploaded document from label's tester at address
 * (agent: its User-Agent or tool version, NULL: unknown). Returns the HTTP
 * status the uploader is told: 200 kept (or no store configured: 404),
 * 400/413/422 refused (results-upload.h), 503 the store is locked, 507 the
 * disk is full, 500 another store error; error says why. No row is written
 * unless 200. */
guint rp_serve_results_add (RpServe *s, const char *label, const char *address, const char *agent,
                            const char *doc, gsize len, GError **error);

/* ---- uploads from the command line (serve-upload.c) ---- */

/* POST <path>/results? */
gboolean rp_serve_upload_path (struct lws *wsi, RpServe *s);
/* The headers of an upload from peer (as seen through trusted_proxies):
 * 0 and *out to read the body into, or -1 after answering (close). */
int rp_serve_upload_begin (RpServe *s, struct lws *wsi, const char *peer, const char *agent,
                           RpServeUpload **out);
int rp_serve_upload_body (RpServeUpload *u, struct lws *wsi, const void *in, gsize len);
/* The body is complete: kept or refused, answered; always -1 (close). */
int rp_serve_upload_complete (RpServe *s, RpServeUpload *u, struct lws *wsi);
void rp_serve_upload_free (RpServeUpload *u);

/* ---- direct ports (serve-direct.c) ---- */

RpServeDirect *rp_serve_direct_new (RpServe *s, GError **error);
void rp_serve_direct_free (RpServeDirect *d);
guint16 rp_serve_direct_udp_port (RpServeDirect *d);
guint16 rp_serve_direct_tcp_port (RpServeDirect *d);
/* The direct ports' budget for authenticated packets: their own
 * global_packet_rate, apart from the ICE path's. */
RpBucket *rp_serve_direct_budget (RpServeDirect *d);

G_END_DECLS
