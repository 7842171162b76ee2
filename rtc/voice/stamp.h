/* STAMP test packets (RFC 8762, unauthenticated mode), sans-I/O: encode the
 * Session-Sender packet, turn a received one into the Session-Reflector
 * packet in place, decode both. Bytes in, structs out; no sockets.
 *
 * Timestamps: we keep one monotonic clock in microseconds. The STAMP
 * Timestamp field is NTP 32.32 (RFC 8762 4.2.1, Z = 0), so we store the
 * monotonic microseconds in it as seconds.fraction since an arbitrary
 * epoch (boot). Such a value means nothing to another host: only
 * differences taken on one host matter. T1 and T4 are the sender's clock,
 * T2 and T3 the reflector's; RTT = (T4 - T1) - (T3 - T2) needs no clock
 * sync, and one-way transits (T2 - T1, T4 - T3) are only usable as
 * variations (their constant clock offset cancels out). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 8762 4.2.1 / 4.3.1: both unauthenticated packets are 44 octets. */
#define RP_STAMP_BASE_LEN 44
/* Largest UDP payload over IPv4. */
#define RP_STAMP_MAX_LEN 65507

/* RTP-sized frame for 20 ms of voice: RTP header (12) + 160 payload bytes
 * (G.711 at 64 kbit/s, or Opus at its 64 kbit/s upper voice rate). */
#define RP_STAMP_VOICE_FRAME_LEN 172

/* RFC 8972 4.2 TLV header (flags, type, length) and the Extra Padding type. */
#define RP_STAMP_TLV_HEADER_LEN 4
#define RP_STAMP_TLV_EXTRA_PADDING 1

typedef enum {
  RP_STAMP_OK,
  RP_STAMP_TOO_SHORT,            /* fewer than 44 octets */
  RP_STAMP_TOO_LONG,             /* more than RP_STAMP_MAX_LEN or the buffer */
  RP_STAMP_BAD_ERROR_ESTIMATE,   /* Multiplier 0: RFC 4656 4.1.2 says discard */
} RpStampResult;

/* Error Estimate, RFC 4656 4.1.2 (used by RFC 8762 4.2.1):
 * S(1) Z(1) Scale(6) Multiplier(8); error = Multiplier * 2^(Scale - 32) s. */
#define RP_STAMP_EE_S 0x8000        /* clock synchronised to UTC */
#define RP_STAMP_EE_Z 0x4000        /* timestamps are PTPv2 truncated, not NTP */
/* Ours: S = 0 (monotonic, not UTC), Z = 0 (NTP), Scale 12, Multiplier 1:
 * 2^-20 s, about the 1 us resolution of the clock. */
#define RP_STAMP_EE_DEFAULT 0x0C01

typedef struct {
  guint32 seq;
  guint64 timestamp;      /* T1, raw 64-bit field */
  guint16 error_estimate;
  guint16 ssid;           /* RFC 8972 3: first two MBZ octets; 0 in RFC 8762 */
} RpStampSender;

typedef struct {
  guint32 seq;            /* reflector's own counter (stateful mode) */
  guint64 timestamp;      /* T3, reflector clock */
  guint16 error_estimate; /* applies to T2 and T3 */
  guint16 ssid;
  guint64 receive_timestamp;    /* T2, reflector clock */
  guint32 sender_seq;
  guint64 sender_timestamp;     /* T1, echoed */
  guint16 sender_error_estimate;
  guint8 sender_ttl;            /* 0 when the reflector could not read it */
} RpStampReflected;

/* Session-Reflector state for one test session (RFC 8762 4.3.1). Stateful:
 * seq counts the packets received, from 0, so the sender can tell forward
 * loss (gaps in its own numbers not counted here) from backward loss (gaps
 * in these numbers). Stateless: seq is a copy of the sender's. */
typedef struct {
  gboolean stateless;
  guint32 next_seq;
  guint16 error_estimate;
} RpStampReflector;

void rp_stamp_reflector_init (RpStampReflector *r, gboolean stateless);

/* Writes a sender packet of exactly packet_len octets (>= 44) into buf.
 * Octets past 44 carry one RFC 8972 Extra Padding TLV when there is room
 * for its header (>= 4 octets), else zeros. Returns packet_len, or 0 when
 * packet_len is out of range or buf_len is too small. */
gsize rp_stamp_sender_encode (const RpStampSender *p, gsize packet_len, guint8 *buf, gsize buf_len);

RpStampResult rp_stamp_sender_decode (const guint8 *buf, gsize len, RpStampSender *out);
RpStampResult rp_stamp_reflected_decode (const guint8 *buf, gsize len, RpStampReflected *out);

/* Turns the received sender packet in buf[0..len) into the reflector packet,
 * in place. The answer is exactly as long as what came in (RFC 8762 sizes
 * both packets alike, as RFC 6038 symmetric test packets; never larger, so
 * a reflector cannot amplify): on RP_STAMP_OK send exactly len octets.
 * Octets past 44 (padding, RFC 8972 TLVs) are reflected unchanged. t2_us is
 * the receive time, t3_us the time of sending, on the reflector's monotonic
 * clock; ttl the received IP TTL / Hop Limit, 0 if unknown. Anything but
 * RP_STAMP_OK: do not answer (the counter is left alone). */
RpStampResult rp_stamp_reflect (RpStampReflector *r, guint8 *buf, gsize len, gint64 t2_us,
                                gint64 t3_us, guint8 ttl);

/* Clock mapping: monotonic microseconds <-> NTP 32.32 field (exact round
 * trip for 0 <= us < 2^32 s). */
guint64 rp_stamp_us_to_ntp (gint64 us);
gint64 rp_stamp_ntp_to_us (guint64 ntp);
/* A timestamp field in microseconds, NTP or PTPv2 truncated (32 s, 32 ns)
 * as the Z bit of its Error Estimate says. */
gint64 rp_stamp_timestamp_to_us (guint64 ts, guint16 error_estimate);
/* later - earlier in microseconds, for two fields of one clock; NTP fields
 * are subtracted modulo 2^64 so an era rollover between them is harmless. */
gint64 rp_stamp_timestamp_diff_us (guint64 later, guint64 earlier, guint16 error_estimate);

const char *rp_stamp_result_to_string (RpStampResult r);

G_END_DECLS
