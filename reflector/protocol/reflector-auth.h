/* Who may use the reflector (`rtcprobe serve`), sans-I/O.
 *
 * Signalling tokens follow the TURN REST convention (coturn use-auth-secret):
 * username = "<expiry unix time>:<client name>", token =
 * base64(HMAC-SHA1(secret, username)). The reflector accepts a token only
 * when the HMAC matches (constant-time), the expiry lies in the future and
 * not further than the configured maximum (a leaked token dies soon), and
 * the name is short and printable (it goes into the log).
 *
 * Test packets are STAMP Session-Sender packets (RFC 8762) whose last 20
 * octets are an RFC 8972 4.8 HMAC TLV: flags (0), type 8, length 16, then
 * HMAC-SHA-256 truncated to 128 bits over every octet before the TLV, keyed
 * with the 32-byte session key the reflector handed out in its welcome. The
 * SSID (RFC 8972 3) names the session. The reflector answers in place,
 * exactly as long as the request, and signs its answer with the same key, so
 * the sender can tell real answers from injected ones. A packet that does
 * not verify gets nothing.
 *
 * On the direct ports a signed packet proves the session, not the sender: a
 * copy replayed from elsewhere verifies as well. So a session's direct path
 * is bound to the peer of the first packet that verified (for UDP its
 * address and port, for TCP its connection), and packets naming the session
 * from any other peer are dropped unanswered, before their HMAC is checked.
 * What holds: a replay from another address or port, or over another TCP
 * connection, gets no answer and no answer goes anywhere but the bound
 * peer. What does not: a replay that really comes from the bound address
 * and port (the same host, or the same NAT mapping) is answered, there; an
 * on-path attacker who gets a copy of the session's first packet in before
 * the original takes the direct path (the tester then sees loss, nothing
 * else); a client whose NAT mapping changes mid-session loses its direct
 * path until a new session. */
#pragma once

#include <glib.h>

#include "reflector/protocol/reflector-limits.h"
#include "rtc/voice/stamp.h"

G_BEGIN_DECLS

#define RP_REFLECTOR_KEY_LEN 32
#define RP_REFLECTOR_TAG_LEN 16
#define RP_REFLECTOR_TLV_HMAC 8                                   /* RFC 8972 4.8 */
#define RP_REFLECTOR_TRAILER_LEN (RP_STAMP_TLV_HEADER_LEN + RP_REFLECTOR_TAG_LEN)
#define RP_REFLECTOR_MIN_PACKET (RP_STAMP_BASE_LEN + RP_REFLECTOR_TRAILER_LEN)   /* 64 */
#define RP_REFLECTOR_NAME_MAX 64
#define RP_REFLECTOR_SSID_OFFSET 14 /* RFC 8972 3, both packet kinds */

typedef enum {
  RP_TOKEN_OK,
  RP_TOKEN_MALFORMED,       /* not "<digits>:<name>", or the token is not base64 of 20 octets */
  RP_TOKEN_BAD_NAME,        /* empty, too long, or characters outside [A-Za-z0-9._@+-] */
  RP_TOKEN_EXPIRED,
  RP_TOKEN_TOO_LONG_LIVED,  /* expiry further away than the server allows */
  RP_TOKEN_FORGED,          /* the HMAC does not match */
} RpTokenResult;

/* "ok", "malformed", "bad-name", "expired", "too-long-lived", "forged". */
const char *rp_token_result_to_string (RpTokenResult r);

/* A token for name, valid until expiry_unix. Returns the token (base64) and
 * sets *username; both new strings (wipe the token: rp_secret_free). NULL
 * when the HMAC cannot be computed. */
char *rp_reflector_token_make (const char *secret, gsize secret_len, const char *name,
                               gint64 expiry_unix, char **username);

/* Checks a token as the reflector does. now_unix: the server's clock;
 * max_ttl_s: the furthest expiry accepted, counted from now. */
RpTokenResult rp_reflector_token_verify (const char *secret, gsize secret_len, const char *username,
                                         const char *token, gint64 now_unix, gint64 max_ttl_s);

/* The name part of a well-formed username (pointer into it), or NULL. */
const char *rp_reflector_token_name (const char *username);

/* A signed Session-Sender packet of exactly packet_len octets
 * (>= RP_REFLECTOR_MIN_PACKET). Returns packet_len, or 0 when it does not fit. */
gsize rp_reflector_packet_encode (const RpStampSender *p, gsize packet_len,
                                  const guint8 key[RP_REFLECTOR_KEY_LEN], guint8 *buf,
                                  gsize buf_len);
/* The SSID of a packet long enough to carry one, else 0. */
guint16 rp_reflector_packet_ssid (const guint8 *buf, gsize len);
/* TRUE when the HMAC TLV is in place and matches (constant-time). */
gboolean rp_reflector_packet_verify (const guint8 *buf, gsize len,
                                     const guint8 key[RP_REFLECTOR_KEY_LEN]);
/* Writes the HMAC TLV over the last 20 octets. */
void rp_reflector_packet_sign (guint8 *buf, gsize len, const guint8 key[RP_REFLECTOR_KEY_LEN]);

/* The reflector's whole answer: verify, reflect in place (RFC 8762 4.3,
 * stateful or not as r says), sign. TRUE: send exactly len octets of buf
 * back. FALSE: send nothing (the packet is unauthenticated or malformed). */
gboolean rp_reflector_answer (RpStampReflector *r, guint8 *buf, gsize len,
                              const guint8 key[RP_REFLECTOR_KEY_LEN], gint64 t2_us, gint64 t3_us,
                              guint8 ttl);
/* The same for a packet that already verified (the caller charged its
 * budgets in between): reflect in place, sign. */
gboolean rp_reflector_reflect (RpStampReflector *r, guint8 *buf, gsize len,
                               const guint8 key[RP_REFLECTOR_KEY_LEN], gint64 t2_us, gint64 t3_us,
                               guint8 ttl);

/* Where a packet on a direct port came from. An IPv4-mapped IPv6 address
 * counts as IPv4. conn tells TCP connections apart (a serial number: a
 * later connection from the same address and port is another peer). */
typedef enum {
  RP_REFLECTOR_PEER_UDP = 1,
  RP_REFLECTOR_PEER_TCP = 2,
} RpReflectorTransport;

typedef struct {
  RpReflectorTransport transport;
  guint8 len;              /* 4 or 16 */
  guint8 addr[16];
  guint16 port;
  guint64 conn;            /* TCP; 0 for UDP */
} RpReflectorPeer;

void rp_reflector_peer_init (RpReflectorPeer *p, RpReflectorTransport transport,
                             const guint8 *addr, gsize addr_len, guint16 port, guint64 conn);

/* A session's direct path: unbound until a packet verifies, then bound to
 * that packet's peer for the rest of the session. */
typedef struct {
  gboolean bound;
  RpReflectorPeer peer;
} RpReflectorBinding;

/* May a packet from p be checked further (before its HMAC)? TRUE while
 * nothing is bound, or when p is the bound peer. */
gboolean rp_reflector_binding_admits (const RpReflectorBinding *b, const RpReflectorPeer *p);
/* A packet from p verified: binds to p when nothing is bound yet. */
void rp_reflector_binding_prove (RpReflectorBinding *b, const RpReflectorPeer *p);

/* A rate a verified packet is charged to: rate per second, one second's
 * worth of burst. */
typedef struct {
  RpBucket *bucket;
  double rate;
} RpReflectorBudget;

typedef enum {
  RP_REFLECTOR_ADMIT,            /* verified and within every budget: answer it */
  RP_REFLECTOR_UNAUTHENTICATED,  /* the HMAC TLV is missing or does not verify */
  RP_REFLECTOR_OVER_RATE,        /* verified, but a budget is empty */
  RP_REFLECTOR_FOREIGN,          /* not from the bound peer (HMAC not checked) */
} RpReflectorAdmit;

/* One test packet's way in, cheapest check first: the binding (when b is
 * not NULL), the HMAC (a packet that verifies binds b), then the budgets in
 * order. A packet is charged to the budgets only when it verified and all
 * of them have room: a refused packet, authenticated or not, costs no
 * budget anything. */
RpReflectorAdmit rp_reflector_admit (RpReflectorBinding *b, const RpReflectorPeer *from,
                                     const guint8 *buf, gsize len,
                                     const guint8 key[RP_REFLECTOR_KEY_LEN],
                                     const RpReflectorBudget *budgets, guint n_budgets,
                                     gint64 now_us);

G_END_DECLS
