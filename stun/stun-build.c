/* STUN message builder (RFC 8489 5 and 14). Messages are written into the
 * fixed buffer of an RpStunBuilder; every adder checks the room first and
 * leaves the message untouched when the attribute does not fit, so callers
 * can treat FALSE as "message too big" without cleaning up. The header's
 * length field always counts the padded attributes written so far.
 * MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are added by
 * stun-integrity.c on top of the same primitives. */
#include "stun/stun-message.h"

#include <string.h>
#include <sys/socket.h>

static void
wr16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static void
wr32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

void
rp_stun_builder_init (RpStunBuilder *b, guint16 method, RpStunClass klass,
                      const guint8 tid[RP_STUN_TID_LEN])
{
  guint16 m = method & 0x0FFF;
  guint16 c = (guint16) klass & 0x3;
  /* RFC 8489 5: M11..M7 C1 M6..M4 C0 M3..M0 */
  guint16 type = (guint16) ((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                            ((c & 0x1) << 4) | ((c & 0x2) << 7));

  memset (b->buf, 0, RP_STUN_HEADER_LEN);
  wr16 (b->buf, type);
  wr16 (b->buf + 2, 0);
  wr32 (b->buf + 4, RP_STUN_MAGIC_COOKIE);
  memcpy (b->buf + 8, tid, RP_STUN_TID_LEN);
  b->len = RP_STUN_HEADER_LEN;
}

void
rp_stun_random_tid (guint8 tid[RP_STUN_TID_LEN])
{
  for (gsize i = 0; i < RP_STUN_TID_LEN; i += 4) {
    guint32 r = g_random_int ();
    memcpy (tid + i, &r, 4);
  }
}

/* Is an attribute of this type already in the message? Only used on the
 * builder's own output, which is well formed by construction. */
static gboolean
builder_has (const RpStunBuilder *b, guint16 type)
{
  gsize off = RP_STUN_HEADER_LEN;

  while (off + 4 <= b->len) {
    guint16 t = (guint16) ((b->buf[off] << 8) | b->buf[off + 1]);
    gsize alen = (gsize) ((b->buf[off + 2] << 8) | b->buf[off + 3]);

    if (t == type)
      return TRUE;
    off += 4 + ((alen + 3) & ~(gsize) 3);
  }
  return FALSE;
}

/* RFC 8489 14.5-14.7: nothing but MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may
 * follow MESSAGE-INTEGRITY, nothing but FINGERPRINT may follow
 * MESSAGE-INTEGRITY-SHA256, and FINGERPRINT comes last. The builder refuses
 * to write a message a receiver would have to partly ignore. */
static gboolean
may_append (const RpStunBuilder *b, guint16 type)
{
  if (builder_has (b, RP_STUN_ATTR_FINGERPRINT))
    return FALSE;
  if (type == RP_STUN_ATTR_FINGERPRINT)
    return TRUE;
  if (builder_has (b, RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256))
    return FALSE;
  if (type == RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
    return TRUE;
  return !builder_has (b, RP_STUN_ATTR_MESSAGE_INTEGRITY);
}

gboolean
rp_stun_builder_add (RpStunBuilder *b, guint16 type, const void *value, guint16 len)
{
  gsize padded = ((gsize) len + 3) & ~(gsize) 3;

  if (len > 0 && value == NULL)
    return FALSE;
  if (b->len < RP_STUN_HEADER_LEN || padded + 4 > RP_STUN_MAX_MESSAGE - b->len)
    return FALSE;
  if (!may_append (b, type))
    return FALSE;

  wr16 (b->buf + b->len, type);
  wr16 (b->buf + b->len + 2, len);
  if (len > 0)
    memcpy (b->buf + b->len + 4, value, len);
  /* RFC 8489 14: padding content is ignored by receivers; send zeros */
  memset (b->buf + b->len + 4 + len, 0, padded - len);
  b->len += 4 + padded;
  wr16 (b->buf + 2, (guint16) (b->len - RP_STUN_HEADER_LEN));
  return TRUE;
}

gboolean
rp_stun_builder_add_u32 (RpStunBuilder *b, guint16 type, guint32 value)
{
  guint8 v[4];

  wr32 (v, value);
  return rp_stun_builder_add (b, type, v, sizeof v);
}

gboolean
rp_stun_builder_add_string (RpStunBuilder *b, guint16 type, const char *value)
{
  gsize n = value != NULL ? strlen (value) : 0;

  if (n > G_MAXUINT16)
    return FALSE;
  return rp_stun_builder_add (b, type, value, (guint16) n);
}

gboolean
rp_stun_builder_add_address (RpStunBuilder *b, guint16 type, const RpStunAddress *a)
{
  guint8 v[20] = { 0 };
  guint16 port = a->port;
  gsize n;

  /* RFC 8489 14.1: reserved byte, family, port, address */
  if (a->family == AF_INET) {
    v[1] = 0x01;
    n = 4;
  } else if (a->family == AF_INET6) {
    v[1] = 0x02;
    n = 16;
  } else {
    return FALSE;
  }
  memcpy (v + 4, a->addr, n);
  if (type == RP_STUN_ATTR_XOR_MAPPED_ADDRESS || type == RP_STUN_ATTR_XOR_PEER_ADDRESS ||
      type == RP_STUN_ATTR_XOR_RELAYED_ADDRESS) {
    /* RFC 8489 14.2: XOR with the cookie's high 16 bits (port) and with the
     * cookie plus transaction ID (address), i.e. header bytes 4..19 */
    port ^= (guint16) (RP_STUN_MAGIC_COOKIE >> 16);
    for (gsize i = 0; i < n; i++)
      v[4 + i] ^= b->buf[4 + i];
  }
  wr16 (v + 2, port);
  return rp_stun_builder_add (b, type, v, (guint16) (4 + n));
}

gboolean
rp_stun_builder_add_error (RpStunBuilder *b, guint code, const char *reason)
{
  guint8 v[4 + 509];
  gsize n = reason != NULL ? strlen (reason) : 0;

  /* RFC 8489 14.8: class 3-6, number 0-99; a sender encodes the reason in at
   * most 509 bytes */
  if (code < 300 || code > 699 || n > 509)
    return FALSE;
  v[0] = 0;
  v[1] = 0;
  v[2] = (guint8) (code / 100);
  v[3] = (guint8) (code % 100);
  if (n > 0)
    memcpy (v + 4, reason, n);
  return rp_stun_builder_add (b, RP_STUN_ATTR_ERROR_CODE, v, (guint16) (4 + n));
}
