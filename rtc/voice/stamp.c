/* STAMP packet codec and reflector (RFC 8762 unauthenticated mode). Offsets
 * below are the figures of RFC 8762 4.2.1 (Session-Sender) and 4.3.1
 * (Session-Reflector); RFC 8972 3 names the two octets after the Error
 * Estimate the SSID in both. Everything is explicit big-endian byte access:
 * no packed structs, no alignment assumptions. */
#include "rtc/voice/stamp.h"

#include <string.h>

/* Session-Sender packet */
#define S_SEQ 0
#define S_TS 4
#define S_EE 12
#define S_SSID 14
/* Session-Reflector packet */
#define R_SEQ 0
#define R_TS 4
#define R_EE 12
#define R_SSID 14
#define R_RX_TS 16
#define R_S_SEQ 24
#define R_S_TS 28
#define R_S_EE 36
#define R_MBZ2 38
#define R_S_TTL 40
#define R_MBZ3 41

#define US_PER_S G_GINT64_CONSTANT (1000000)

static guint16
get16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static guint32
get32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint64
get64 (const guint8 *p)
{
  return ((guint64) get32 (p) << 32) | get32 (p + 4);
}

static void
put16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

static void
put64 (guint8 *p, guint64 v)
{
  put32 (p, (guint32) (v >> 32));
  put32 (p + 4, (guint32) v);
}

/* RFC 4656 4.1.2: "Multiplier MUST NOT be set to 0"; such a packet SHOULD
 * be considered corrupt and discarded. */
static gboolean
error_estimate_valid (guint16 ee)
{
  return (ee & 0xff) != 0;
}

void
rp_stamp_reflector_init (RpStampReflector *r, gboolean stateless)
{
  memset (r, 0, sizeof *r);
  r->stateless = stateless;
  r->error_estimate = RP_STAMP_EE_DEFAULT;
}

gsize
rp_stamp_sender_encode (const RpStampSender *p, gsize packet_len, guint8 *buf, gsize buf_len)
{
  gsize extra;

  if (packet_len < RP_STAMP_BASE_LEN || packet_len > RP_STAMP_MAX_LEN || packet_len > buf_len)
    return 0;
  /* RFC 8762 4.2.1: MBZ (and here all padding) zeroed on transmission. */
  memset (buf, 0, packet_len);
  put32 (buf + S_SEQ, p->seq);
  put64 (buf + S_TS, p->timestamp);
  put16 (buf + S_EE, p->error_estimate);
  put16 (buf + S_SSID, p->ssid);

  /* RFC 8972 4.3: padding past the base packet travels as an Extra Padding
   * TLV, so an extension-aware reflector does not see malformed TLVs.
   * Fewer than 4 octets cannot hold a TLV header and stay zero. */
  extra = packet_len - RP_STAMP_BASE_LEN;
  if (extra >= RP_STAMP_TLV_HEADER_LEN) {
    guint8 *tlv = buf + RP_STAMP_BASE_LEN;

    tlv[0] = 0; /* flags: set by the reflector only */
    tlv[1] = RP_STAMP_TLV_EXTRA_PADDING;
    put16 (tlv + 2, (guint16) (extra - RP_STAMP_TLV_HEADER_LEN));
  }
  return packet_len;
}

RpStampResult
rp_stamp_sender_decode (const guint8 *buf, gsize len, RpStampSender *out)
{
  memset (out, 0, sizeof *out);
  if (len < RP_STAMP_BASE_LEN)
    return RP_STAMP_TOO_SHORT;
  if (len > RP_STAMP_MAX_LEN)
    return RP_STAMP_TOO_LONG;
  out->seq = get32 (buf + S_SEQ);
  out->timestamp = get64 (buf + S_TS);
  out->error_estimate = get16 (buf + S_EE);
  out->ssid = get16 (buf + S_SSID);
  /* The MBZ octets are ignored on receipt (RFC 8762 4.2.1). */
  return error_estimate_valid (out->error_estimate) ? RP_STAMP_OK : RP_STAMP_BAD_ERROR_ESTIMATE;
}

RpStampResult
rp_stamp_reflected_decode (const guint8 *buf, gsize len, RpStampReflected *out)
{
  memset (out, 0, sizeof *out);
  if (len < RP_STAMP_BASE_LEN)
    return RP_STAMP_TOO_SHORT;
  if (len > RP_STAMP_MAX_LEN)
    return RP_STAMP_TOO_LONG;
  out->seq = get32 (buf + R_SEQ);
  out->timestamp = get64 (buf + R_TS);
  out->error_estimate = get16 (buf + R_EE);
  out->ssid = get16 (buf + R_SSID);
  out->receive_timestamp = get64 (buf + R_RX_TS);
  out->sender_seq = get32 (buf + R_S_SEQ);
  out->sender_timestamp = get64 (buf + R_S_TS);
  out->sender_error_estimate = get16 (buf + R_S_EE);
  out->sender_ttl = buf[R_S_TTL];
  /* Only the reflector's own estimate is judged: the echoed one is ours. */
  return error_estimate_valid (out->error_estimate) ? RP_STAMP_OK : RP_STAMP_BAD_ERROR_ESTIMATE;
}

RpStampResult
rp_stamp_reflect (RpStampReflector *r, guint8 *buf, gsize len, gint64 t2_us, gint64 t3_us,
                  guint8 ttl)
{
  RpStampSender in;
  RpStampResult res;
  guint32 seq;

  /* Read every sender field before writing: the layouts overlap. */
  res = rp_stamp_sender_decode (buf, len, &in);
  if (res != RP_STAMP_OK)
    return res;

  /* RFC 8762 4.3.1: stateless copies the sender's number; stateful counts
   * received packets from 0 per session. */
  seq = r->stateless ? in.seq : r->next_seq++;

  put32 (buf + R_SEQ, seq);
  put64 (buf + R_TS, rp_stamp_us_to_ntp (t3_us));
  put16 (buf + R_EE, r->error_estimate);
  put16 (buf + R_SSID, in.ssid);          /* RFC 8972 3: copied back */
  put64 (buf + R_RX_TS, rp_stamp_us_to_ntp (t2_us));
  put32 (buf + R_S_SEQ, in.seq);
  put64 (buf + R_S_TS, in.timestamp);
  put16 (buf + R_S_EE, in.error_estimate);
  put16 (buf + R_MBZ2, 0);
  buf[R_S_TTL] = ttl;
  memset (buf + R_MBZ3, 0, RP_STAMP_BASE_LEN - R_MBZ3);
  return RP_STAMP_OK;
}

guint64
rp_stamp_us_to_ntp (gint64 us)
{
  guint64 sec, frac;

  if (us < 0)
    us = 0;
  sec = (guint64) (us / US_PER_S);
  frac = (((guint64) (us % US_PER_S)) << 32) / (guint64) US_PER_S;
  return (sec << 32) | frac;
}

/* 32-bit binary fraction of a second to microseconds, rounded to nearest;
 * the product is below 2^52, no overflow. */
static gint64
frac_to_us (guint64 frac)
{
  return (gint64) ((frac * (guint64) US_PER_S + (G_GUINT64_CONSTANT (1) << 31)) >> 32);
}

gint64
rp_stamp_ntp_to_us (guint64 ntp)
{
  return (gint64) (ntp >> 32) * US_PER_S + frac_to_us (ntp & 0xffffffffu);
}

gint64
rp_stamp_timestamp_to_us (guint64 ts, guint16 error_estimate)
{
  if (error_estimate & RP_STAMP_EE_Z)
    return (gint64) (ts >> 32) * US_PER_S + (gint64) (ts & 0xffffffffu) / 1000;
  return rp_stamp_ntp_to_us (ts);
}

gint64
rp_stamp_timestamp_diff_us (guint64 later, guint64 earlier, guint16 error_estimate)
{
  guint64 d;

  if (error_estimate & RP_STAMP_EE_Z)
    return rp_stamp_timestamp_to_us (later, error_estimate) -
           rp_stamp_timestamp_to_us (earlier, error_estimate);
  d = later - earlier;
  if (d & G_GUINT64_CONSTANT (0x8000000000000000))
    return -rp_stamp_ntp_to_us (-d);
  return rp_stamp_ntp_to_us (d);
}

const char *
rp_stamp_result_to_string (RpStampResult r)
{
  switch (r) {
  case RP_STAMP_OK:
    return "ok";
  case RP_STAMP_TOO_SHORT:
    return "shorter than a STAMP test packet";
  case RP_STAMP_TOO_LONG:
    return "longer than a UDP datagram";
  case RP_STAMP_BAD_ERROR_ESTIMATE:
    return "error estimate multiplier is zero";
  default:
    return "unknown";
  }
}
