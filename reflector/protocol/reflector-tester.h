/* The reflector's signalling for a tester's browser: JSON text messages
 * over the same websocket as reflector-proto.h, where the first message
 * carries an invite (reflector-invite.h) instead of a token. Sans-I/O
 * builders and parsers.
 *
 *   browser                                   reflector
 *   tester {version: 1, invite}           ->
 *                                         <-  tester-welcome {version: 1, session, label,
 *                                                voice_duration_s, lifetime_s,
 *                                                ice_servers: [{urls: [..], username,
 *                                                               credential}]}
 *   offer {pc, sdp}                       ->
 *                                         <-  answer {pc, sdp}
 *   candidate {pc, candidate}             <-> candidate {pc, candidate}   (null: the end)
 *                                         <-  peer-state {pc, state, reason}
 *   close {pc}                            ->
 *   bye {reason}                          <-> bye {reason}
 *                                         <-  error {code, message}, then close
 *
 * - invite: refused with error {code: "invite", message: one sentence for
 *   the tester} and nothing else: no credentials, no session.
 * - ice_servers: RTCIceServer dictionaries for the deployment's TURN
 *   servers, with TURN REST credentials that live minutes
 *   ([tester] turn_ttl), made per tester; empty when the reflector has no
 *   TURN secret (a long-term password is never handed to a browser).
 * - pc: the browser's number for one RTCPeerConnection, 1 to
 *   RP_TESTER_MAX_PC; each offer makes one rtc/webrtc peer on the reflector
 *   (the browser offers and controls), at most RP_TESTER_MAX_PEERS in a
 *   session and RP_TESTER_MAX_LIVE at once.
 * - sdp: an RFC 8841 data-channel offer (rtc/webrtc/sdp.h); candidates:
 *   RFC 8839 5.1 strings as in RTCIceCandidate.candidate.
 * - On a channel the browser opens unordered with maxRetransmits 0, voice
 *   test messages (rtc/webrtc/voice-message.h) are answered, each reply as
 *   long as its request; messages on any other channel are dropped.
 *
 * Then the browser hands over what it measured; the reflector computes the
 * report with the project's own statistics and E-model:
 *
 *   ping {t}                              ->  <-  pong {t}    (websocket RTT)
 *   timings {pc, id, sent: [t1..], replies: [[seq, t2, t3, t4, rseq]..]} ->
 *                                         (as many as needed, at most
 *                                          RP_TESTER_MAX_ROWS entries each)
 *   result {ws: {upgrade_ms, rtt_ms}, gather: [{uri, relay, ms, mapped}],
 *           ice: [{id, connected, ms, local, remote}]} ->
 *                                         <-  report {verdict, hint, report}
 *
 * - timings: the voice stream of one pc, in send order: t1 and t4 on the
 *   browser's clock, t2 and t3 (and rseq, the reflector's count) copied
 *   from the replies; all in microseconds. id names the path, as the
 *   command line does: "voice.ice" or "voice.turn.udp|tcp|tls".
 * - result: gather one entry per TURN URI of the welcome (relay: a relay
 *   candidate came; mapped: the public address seen, or null); ice one
 *   entry per path: "ice.reflector" (every candidate), "ice.udp|tcp|tls"
 *   (relay only through that transport), local/remote the selected
 *   candidate types ("host", "srflx", "prflx", "relay") or null.
 * - report: the verdict in one sentence, its hint (null when all is well)
 *   and an rtcprobe.report/1 document (command "tester"). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RP_TESTER_PROTO_VERSION 1
#define RP_TESTER_MAX_PC 64
#define RP_TESTER_MAX_PEERS 8
#define RP_TESTER_MAX_LIVE 2
#define RP_TESTER_MAX_SDP 8192
#define RP_TESTER_MAX_CANDIDATE 512
#define RP_TESTER_MAX_ROWS 400          /* sent times plus replies in one timings message */
#define RP_TESTER_MAX_PATHS 8           /* gather and ice entries of a result, each */
#define RP_TESTER_ID_MAX 32

typedef struct {
  char *urls;               /* one URI, as configured: turn:host:port?transport=udp */
  char *username;
  char *credential;         /* wiped when cleared */
} RpTesterIceServer;

void rp_tester_ice_server_clear (RpTesterIceServer *s);

typedef struct {
  const char *session;
  const char *label;
  gint64 voice_duration_s;
  gint64 lifetime_s;
  const RpTesterIceServer *ice_servers;
  guint n_ice_servers;
} RpTesterWelcome;

char *rp_tester_msg_welcome (const RpTesterWelcome *w);
char *rp_tester_msg_answer (guint pc, const char *sdp);
/* candidate NULL: the end of candidates. */
char *rp_tester_msg_candidate (guint pc, const char *candidate);
char *rp_tester_msg_peer_state (guint pc, const char *state, const char *reason);

/* The invite of a tester message (a string of at most RP_INVITE_MAX_LEN
 * octets), or NULL. */
const char *rp_tester_msg_get_invite (JsonObject *o);
/* pc: an integer from 1 to RP_TESTER_MAX_PC. */
gboolean rp_tester_msg_get_pc (JsonObject *o, guint *pc, GError **error);
/* sdp: a string of at most RP_TESTER_MAX_SDP octets. */
const char *rp_tester_msg_get_sdp (JsonObject *o, GError **error);
/* candidate: a string of at most RP_TESTER_MAX_CANDIDATE octets ("" for
 * the end), or null (the end: *candidate NULL). */
gboolean rp_tester_msg_get_candidate (JsonObject *o, const char **candidate, GError **error);

/* One reply as the browser saw it. */
typedef struct {
  guint32 seq;
  guint32 reflector_seq;
  gint64 t2_us, t3_us, t4_us;
} RpTesterReply;

/* ids a browser may name: "voice.ice", "voice.turn.udp", ... */
gboolean rp_tester_voice_id_valid (const char *id);
gboolean rp_tester_ice_id_valid (const char *id);

/* timings: its id, the sent times (gint64, t1 in microseconds) and the
 * replies (RpTesterReply), together at most RP_TESTER_MAX_ROWS. */
gboolean rp_tester_msg_get_timings (JsonObject *o, const char **id, GArray **sent,
                                    GArray **replies, GError **error);

typedef struct {
  char *uri;
  gboolean relay;
  double ms;
  char *mapped;             /* a numeric address, or NULL */
} RpTesterGather;

typedef struct {
  char *id;
  gboolean connected;
  double ms;
  char *local, *remote;     /* candidate types, or NULL */
} RpTesterIce;

typedef struct {
  double ws_upgrade_ms, ws_rtt_ms;   /* < 0: not measured */
  GArray *gather;           /* RpTesterGather */
  GArray *ice;              /* RpTesterIce */
} RpTesterResult;

void rp_tester_result_clear (RpTesterResult *r);
/* Every field checked: numbers finite and within an hour, ids known,
 * candidate types known, mapped a numeric address, uri at most 256 octets. */
gboolean rp_tester_msg_get_result (JsonObject *o, RpTesterResult *out, GError **error);

G_END_DECLS
