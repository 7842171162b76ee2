/* STUN message parsing and attribute accessors (RFC 8489 5 and 14, RFC 8656
 * attributes, RFC 5780 attributes). The parser validates the header and walks
 * the attribute list once, recording each attribute as a pointer into the
 * caller's buffer; accessors decode one attribute on demand and never trust a
 * length they have not checked. Stream framing of STUN and ChannelData
 * (RFC 8656 12.5) lives here too because it reads the same header bytes. */
#include "stun/stun-message.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

static guint16
rd16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static guint32
rd32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

const char *
rp_stun_parse_result_to_string (RpStunParseResult r)
{
  switch (r) {
  case RP_STUN_PARSE_OK:
    return "ok";
  case RP_STUN_PARSE_NOT_STUN:
    return "not a STUN message";
  case RP_STUN_PARSE_TRUNCATED:
    return "truncated STUN message";
  case RP_STUN_PARSE_BAD_LENGTH:
    return "STUN length field is invalid";
  case RP_STUN_PARSE_BAD_ATTRIBUTE:
    return "STUN attribute runs past the end of the message";
  case RP_STUN_PARSE_TOO_MANY_ATTRS:
    return "too many STUN attributes";
  }
  return "unknown STUN parse result";
}

/* Comprehension-required types (0x0000-0x7FFF) this codec understands. The
 * RFC 3489 address attributes are listed because old servers still send them
 * and they decode like MAPPED-ADDRESS. */
static gboolean
known_required (guint16 type)
{
  switch (type) {
  case RP_STUN_ATTR_MAPPED_ADDRESS:
  case 0x0002: /* RESPONSE-ADDRESS (RFC 3489) */
  case RP_STUN_ATTR_CHANGE_REQUEST:
  case 0x0004: /* SOURCE-ADDRESS (RFC 3489) */
  case 0x0005: /* CHANGED-ADDRESS (RFC 3489) */
  case RP_STUN_ATTR_USERNAME:
  case RP_STUN_ATTR_MESSAGE_INTEGRITY:
  case RP_STUN_ATTR_ERROR_CODE:
  case RP_STUN_ATTR_UNKNOWN_ATTRIBUTES:
  case RP_STUN_ATTR_CHANNEL_NUMBER:
  case RP_STUN_ATTR_LIFETIME:
  case RP_STUN_ATTR_XOR_PEER_ADDRESS:
  case RP_STUN_ATTR_DATA:
  case RP_STUN_ATTR_REALM:
  case RP_STUN_ATTR_NONCE:
  case RP_STUN_ATTR_XOR_RELAYED_ADDRESS:
  case RP_STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
  case RP_STUN_ATTR_EVEN_PORT:
  case RP_STUN_ATTR_REQUESTED_TRANSPORT:
  case RP_STUN_ATTR_DONT_FRAGMENT:
  case RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
  case RP_STUN_ATTR_PASSWORD_ALGORITHM:
  case RP_STUN_ATTR_USERHASH:
  case RP_STUN_ATTR_XOR_MAPPED_ADDRESS:
  case RP_STUN_ATTR_RESERVATION_TOKEN:
  case RP_STUN_ATTR_PRIORITY:
  case RP_STUN_ATTR_USE_CANDIDATE:
  case RP_STUN_ATTR_PADDING:
  case RP_STUN_ATTR_RESPONSE_PORT:
    return TRUE;
  default:
    return FALSE;
  }
}

/* Walks the attributes in order and says which ones count.
 * RFC 8489 14.5: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and
 * FINGERPRINT count; 14.6: after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT;
 * 14.7: FINGERPRINT is the last attribute, nothing after it counts. */
typedef struct {
  gboolean mi, sha, fp;
} Order;

static gboolean
counts (Order *o, guint16 t)
{
  if (o->fp)
    return FALSE;
  if (t == RP_STUN_ATTR_FINGERPRINT) {
    o->fp = TRUE;
    return TRUE;
  }
  if (o->sha)
    return FALSE;
  if (t == RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256) {
    o->sha = TRUE;
    return TRUE;
  }
  if (o->mi)
    return FALSE;
  if (t == RP_STUN_ATTR_MESSAGE_INTEGRITY)
    o->mi = TRUE;
  return TRUE;
}

RpStunParseResult
rp_stun_message_parse (const guint8 *buf, gsize len, RpStunMessage *msg)
{
  guint16 type, mlen;
  gsize off, end;
  Order order = { FALSE, FALSE, FALSE };

  memset (msg, 0, sizeof *msg);
  if (buf == NULL)
    return RP_STUN_PARSE_TRUNCATED;

  /* RFC 8489 5: the two most significant bits are zero and the cookie is
   * fixed; judge on whatever prefix is present. */
  if (len >= 1 && (buf[0] & 0xC0) != 0)
    return RP_STUN_PARSE_NOT_STUN;
  if (len >= 8 && rd32 (buf + 4) != RP_STUN_MAGIC_COOKIE)
    return RP_STUN_PARSE_NOT_STUN;
  if (len < RP_STUN_HEADER_LEN)
    return RP_STUN_PARSE_TRUNCATED;

  type = rd16 (buf);
  mlen = rd16 (buf + 2);
  /* RFC 8489 5: attributes are padded, so the length is a multiple of 4 */
  if (mlen % 4 != 0)
    return RP_STUN_PARSE_BAD_LENGTH;
  if (len < (gsize) RP_STUN_HEADER_LEN + mlen)
    return RP_STUN_PARSE_TRUNCATED;

  /* Type bits: M11..M7 C1 M6..M4 C0 M3..M0 (RFC 8489 5, figure 3) */
  msg->method = (guint16) ((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
  msg->klass = (RpStunClass) (((type >> 7) & 0x2) | ((type >> 4) & 0x1));
  memcpy (msg->tid, buf + 8, RP_STUN_TID_LEN);
  msg->buf = buf;
  msg->len = (gsize) RP_STUN_HEADER_LEN + mlen;

  off = RP_STUN_HEADER_LEN;
  end = msg->len;
  while (off < end) {
    guint16 alen;
    gsize padded;

    /* end - off is a positive multiple of 4, so a header always fits */
    alen = rd16 (buf + off + 2);
    padded = ((gsize) alen + 3) & ~(gsize) 3;
    /* RFC 8489 14: the padding belongs to the attribute and must fit too */
    if (padded > end - off - 4) {
      msg->n_attrs = 0;
      return RP_STUN_PARSE_BAD_ATTRIBUTE;
    }
    if (msg->n_attrs == RP_STUN_MAX_ATTRS) {
      msg->n_attrs = 0;
      return RP_STUN_PARSE_TOO_MANY_ATTRS;
    }
    msg->attrs[msg->n_attrs].type = rd16 (buf + off);
    msg->attrs[msg->n_attrs].len = alen;
    msg->attrs[msg->n_attrs].value = buf + off + 4;
    msg->attrs[msg->n_attrs].offset = off;
    msg->n_attrs++;
    off += 4 + padded;
  }

  /* RFC 8489 14: unknown comprehension-required attributes are reported
   * (once each); those an agent must ignore do not count. */
  for (guint i = 0; i < msg->n_attrs; i++) {
    guint16 t = msg->attrs[i].type;
    gboolean dup = FALSE;

    if (!counts (&order, t) || t >= 0x8000 || known_required (t))
      continue;
    for (guint j = 0; j < msg->n_unknown_required; j++)
      dup = dup || msg->unknown_required[j] == t;
    if (!dup)
      msg->unknown_required[msg->n_unknown_required++] = t;
  }
  return RP_STUN_PARSE_OK;
}

gssize
rp_stun_frame_length (const guint8 *buf, gsize len)
{
  guint16 flen;

  if (buf == NULL || len < 4)
    return 0;
  flen = rd16 (buf + 2);
  switch (buf[0] & 0xC0) {
  case 0x00:
    /* a stream whose length is not a multiple of 4 or whose cookie is
     * wrong has lost framing: nothing after it can be trusted */
    if (flen % 4 != 0)
      return -1;
    if (len >= 8 && rd32 (buf + 4) != RP_STUN_MAGIC_COOKIE)
      return -1;
    return (gssize) RP_STUN_HEADER_LEN + flen;
  case 0x40:
    /* RFC 8656 12: channel numbers start with bits 01 (0x4000-0x7FFF on the
     * wire); 12.5: over TCP/TLS the frame is padded to a multiple of 4 */
    return (gssize) ((4 + (gsize) flen + 3) & ~(gsize) 3);
  default:
    return -1;
  }
}

const RpStunAttr *
rp_stun_message_find (const RpStunMessage *msg, guint16 type)
{
  Order order = { FALSE, FALSE, FALSE };

  for (guint i = 0; i < msg->n_attrs; i++) {
    if (counts (&order, msg->attrs[i].type) && msg->attrs[i].type == type)
      return &msg->attrs[i];
  }
  return NULL;
}

char *
rp_stun_address_to_string (const RpStunAddress *a, char *buf, gsize size)
{
  char ip[INET6_ADDRSTRLEN];

  if (size == 0)
    return buf;
  if (a->family == AF_INET && inet_ntop (AF_INET, a->addr, ip, sizeof ip) != NULL)
    g_snprintf (buf, size, "%s:%u", ip, a->port);
  else if (a->family == AF_INET6 && inet_ntop (AF_INET6, a->addr, ip, sizeof ip) != NULL)
    g_snprintf (buf, size, "[%s]:%u", ip, a->port);
  else
    g_snprintf (buf, size, "(unknown family)");
  return buf;
}

gboolean
rp_stun_address_equal (const RpStunAddress *a, const RpStunAddress *b)
{
  gsize n;

  if (a->family != b->family || a->port != b->port)
    return FALSE;
  n = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
  return memcmp (a->addr, b->addr, n) == 0;
}

static gboolean
is_xor_type (guint16 type)
{
  return type == RP_STUN_ATTR_XOR_MAPPED_ADDRESS || type == RP_STUN_ATTR_XOR_PEER_ADDRESS ||
         type == RP_STUN_ATTR_XOR_RELAYED_ADDRESS;
}

gboolean
rp_stun_attr_get_address (const RpStunMessage *msg, const RpStunAttr *attr, RpStunAddress *out)
{
  const guint8 *v;
  gsize n;

  if (msg == NULL || attr == NULL || out == NULL || msg->buf == NULL)
    return FALSE;
  memset (out, 0, sizeof *out);
  v = attr->value;
  /* RFC 8489 14.1: family 0x01 is IPv4 (8 bytes), 0x02 IPv6 (20 bytes) */
  if (attr->len == 8 && v[1] == 0x01) {
    out->family = AF_INET;
    n = 4;
  } else if (attr->len == 20 && v[1] == 0x02) {
    out->family = AF_INET6;
    n = 16;
  } else {
    return FALSE;
  }
  out->port = rd16 (v + 2);
  memcpy (out->addr, v + 4, n);

  if (is_xor_type (attr->type)) {
    /* RFC 8489 14.2: the port is XOR'd with the cookie's high 16 bits and the
     * address with the cookie (IPv4) or the cookie followed by the
     * transaction ID (IPv6); buf[4..20) is exactly that byte string. */
    out->port ^= (guint16) (RP_STUN_MAGIC_COOKIE >> 16);
    for (gsize i = 0; i < n; i++)
      out->addr[i] ^= msg->buf[4 + i];
  }
  return TRUE;
}

gboolean
rp_stun_message_get_mapped_address (const RpStunMessage *msg, RpStunAddress *out)
{
  /* RFC 8489 14.1: MAPPED-ADDRESS only for backwards compatibility with
   * RFC 3489 servers, so prefer XOR-MAPPED-ADDRESS */
  if (rp_stun_attr_get_address (msg, rp_stun_message_find (msg, RP_STUN_ATTR_XOR_MAPPED_ADDRESS),
                                out))
    return TRUE;
  return rp_stun_attr_get_address (msg, rp_stun_message_find (msg, RP_STUN_ATTR_MAPPED_ADDRESS),
                                   out);
}

/* Peer-supplied text made safe to show: invalid UTF-8 and any character that
 * is not printable (controls, NUL, escape sequences) become U+FFFD, except at
 * the end, where they are dropped: a server that counts a terminating NUL or
 * a stray byte into the reason phrase's length (coturn 4.6's 437 reason ends
 * in one) still reads as its text. */
static char *
sanitise (const guint8 *p, gsize n)
{
  g_autofree char *valid = g_utf8_make_valid ((const char *) p, (gssize) n);
  GString *s = g_string_sized_new (n + 1);
  gsize keep = 0;

  for (const char *c = valid; *c != '\0'; c = g_utf8_next_char (c)) {
    gunichar u = g_utf8_get_char (c);

    /* U+FFFD: what g_utf8_make_valid put for an invalid byte */
    if (g_unichar_isprint (u) && u != 0xFFFD) {
      g_string_append_unichar (s, u);
      keep = s->len;
    } else {
      g_string_append (s, "\xEF\xBF\xBD");
    }
  }
  g_string_truncate (s, keep);
  return g_string_free (s, FALSE);
}

gboolean
rp_stun_message_get_error (const RpStunMessage *msg, guint *code, char **reason)
{
  const RpStunAttr *a = rp_stun_message_find (msg, RP_STUN_ATTR_ERROR_CODE);
  guint klass, number;

  if (code != NULL)
    *code = 0;
  if (reason != NULL)
    *reason = NULL;
  if (a == NULL || a->len < 4)
    return FALSE;
  /* RFC 8489 14.8: 21 reserved bits, class (3 bits, 3-6), number (0-99) */
  klass = a->value[2] & 0x07;
  number = a->value[3];
  if (klass < 3 || klass > 6 || number > 99)
    return FALSE;
  if (code != NULL)
    *code = klass * 100 + number;
  if (reason != NULL)
    *reason = sanitise (a->value + 4, a->len - 4u);
  return TRUE;
}

char *
rp_stun_message_get_string (const RpStunMessage *msg, guint16 type)
{
  const RpStunAttr *a = rp_stun_message_find (msg, type);

  if (a == NULL)
    return NULL;
  return sanitise (a->value, a->len);
}

gboolean
rp_stun_message_get_u32 (const RpStunMessage *msg, guint16 type, guint32 *out)
{
  const RpStunAttr *a = rp_stun_message_find (msg, type);

  if (a == NULL || a->len != 4)
    return FALSE;
  *out = rd32 (a->value);
  return TRUE;
}
