/* The reflector's signalling protocol: JSON text messages over one
 * websocket (RFC 6455), sans-I/O builders and parsers shared by
 * `rtcprobe serve` and `rtcprobe ice --reflector`.
 *
 *   client                                   reflector
 *   hello {version: 1, username, token}  ->
 *                                        <-  welcome {version: 1, session, ssid, key,
 *                                                     ufrag, pwd, candidates: [..],
 *                                                     lifetime_s, max_packet,
 *                                                     direct: {udp, tcp}}
 *   hello {.., streams: N}               ->   (a load session: no ICE)
 *                                        <-  welcome {.., no ufrag/pwd/candidates,
 *                                                     load: {ssids: [N], stream_rate,
 *                                                            direct_rate}}
 *   answer {ufrag, pwd, candidates: [..]} ->
 *                                        <-  selected {local, remote}   (its ICE is READY)
 *   bye {reason}                         <-> bye {reason}
 *                                        <-  error {code, message}, then close
 *
 * - username/token: the TURN REST convention, see reflector-auth.h.
 * - candidates: RFC 8839 5.1 "candidate:" strings, as in RTCIceCandidate.
 *   Gathering is complete before each side sends (no trickle), so each side
 *   sends its list once. The client controls (RFC 8445 6.1.1: it starts the
 *   session, as an offerer would) and the reflector is controlled.
 * - key: base64 of the 32-byte session key for signed test packets; ssid:
 *   the STAMP Session ID (RFC 8972 3) the packets carry. Test packets go over
 *   the ICE pair, or to the direct UDP/TCP ports (0: not offered). Over TCP
 *   each packet is preceded by its length in two octets (RFC 4571 framing).
 * - max_packet: the largest test packet answered; lifetime_s: the session
 *   ends after this (bye {reason: "lifetime"}).
 * - streams (`rtcprobe load --reflector`): N streams on the direct ports in
 *   one session, each with its own SSID (and so its own binding, stateful
 *   counter and packet rate); the key is the session's. stream_rate: the
 *   packets a second each stream's SSID is answered (the session rate);
 *   direct_rate: the direct ports' rate for all sessions together. A
 *   reflector that allows fewer streams (max_load_streams) refuses with
 *   "load-limit" and says how many it allows.
 * - error codes: "unauthorized" (no or bad token), "expired" (token too old
 *   or too long-lived), "busy" (session cap, or the token's share of it),
 *   "rate-limited", "bad-request" (not a message of the protocol, or not
 *   expected now: the session ends), "timeout" (no hello in time),
 *   "internal", "load-limit". */
#pragma once

#include <json-glib/json-glib.h>

#include "reflector/protocol/reflector-auth.h"
#include "rtc/ice/ice-candidate.h"

G_BEGIN_DECLS

#define RP_REFLECTOR_PROTO_VERSION 1
#define RP_REFLECTOR_MAX_MESSAGE 16384      /* octets of one signalling message */
#define RP_REFLECTOR_MAX_CANDIDATES 32
#define RP_REFLECTOR_MAX_DEPTH 8            /* JSON nesting of one message (json-guard.h) */
/* Remote candidates at an address other than the signalling peer's that the
 * reflector checks: a NATed client has a few (host addresses behind its NAT,
 * its relay); more would let a client aim the reflector's checks elsewhere. */
#define RP_REFLECTOR_MAX_FOREIGN 8
/* Streams of one load session: their SSIDs fit one message. */
#define RP_REFLECTOR_MAX_STREAMS 2000

typedef struct {
  char *session;
  guint16 ssid;
  guint8 key[RP_REFLECTOR_KEY_LEN];
  char *ufrag, *pwd;
  GArray *candidates;            /* RpIceCandidate */
  gint64 lifetime_s;
  guint max_packet;
  guint16 udp_port, tcp_port;
  GArray *streams;               /* guint16 SSIDs of a load session; NULL: not one */
  double stream_rate, direct_rate;   /* packets a second answered (load sessions) */
} RpReflectorWelcome;

void rp_reflector_welcome_clear (RpReflectorWelcome *w);

/* A message as an object with a string "type" (returned in *type, owned by
 * the object), nested at most RP_REFLECTOR_MAX_DEPTH deep (checked before
 * json-glib, which recurses per level, sees it). G_IO_ERROR_INVALID_DATA
 * with a fixed message (no text of the input) when it is not one; json-glib's
 * own domain when it is not JSON. */
JsonObject *rp_reflector_msg_parse (const char *text, gsize len, const char **type, GError **error);

/* streams: 0 for an ICE session, else the streams of a load session. */
char *rp_reflector_msg_hello (const char *username, const char *token, guint streams);
/* A hello's streams: 0 when absent (an ICE session), -1 when malformed or
 * outside 1..RP_REFLECTOR_MAX_STREAMS. */
gint64 rp_reflector_msg_get_streams (JsonObject *hello);
char *rp_reflector_msg_welcome (const RpReflectorWelcome *w);
char *rp_reflector_msg_answer (const char *ufrag, const char *pwd, const GArray *candidates);
char *rp_reflector_msg_selected (const RpIceCandidate *local, const RpIceCandidate *remote);
char *rp_reflector_msg_error (const char *code, const char *message);
char *rp_reflector_msg_bye (const char *reason);

/* A string member, or NULL when absent or not a string. */
const char *rp_reflector_msg_str (JsonObject *o, const char *member);

/* ufrag, pwd (RFC 8445 5.3: ice-chars, 4 and 22 to 256 characters) and at
 * most RP_REFLECTOR_MAX_CANDIDATES candidates, each parsed. */
gboolean rp_reflector_msg_get_ice (JsonObject *o, char **ufrag, char **pwd, GArray **candidates,
                                   GError **error);
gboolean rp_reflector_msg_get_welcome (JsonObject *o, RpReflectorWelcome *w, GError **error);

/* Candidates at an address other than peer's (all when peer is not one). */
guint rp_reflector_candidates_count_foreign (const GArray *cands, const char *peer);
/* Keeps, in their order, every candidate whose address is peer's (the
 * address the signalling came from) and the first max of the others;
 * returns how many were removed. A peer that is not an address keeps max. */
guint rp_reflector_candidates_limit_foreign (GArray *cands, const char *peer, guint max);

G_END_DECLS
