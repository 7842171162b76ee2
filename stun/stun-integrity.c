/* STUN message integrity and fingerprint (RFC 8489 9.2.2, 14.5, 14.6, 14.7):
 * HMAC-SHA1 and HMAC-SHA256 over the message up to the integrity attribute,
 * with the header's length field rewritten to end at that attribute, and a
 * CRC-32 fingerprint XOR'd with 0x5354554E. Cryptography is OpenSSL's; the
 * CRC is a small table-driven implementation of the ISO-HDLC CRC-32 that
 * FINGERPRINT uses. Adding and checking share the same digest code so they
 * cannot disagree about which bytes are covered. */
#include "stun/stun-message.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC, EVP_MAC_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC_CTX, EVP_MAC_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)

#define SHA1_LEN 20
#define SHA256_LEN 32
#define FINGERPRINT_XOR 0x5354554Eu

/* HMAC over a copy of the 20-byte header whose length field is set to
 * covered_len, followed by body (the attributes before the integrity one). */
static gboolean
hmac_message (const char *digest, const guint8 *key, gsize key_len, const guint8 *header,
              guint16 covered_len, const guint8 *body, gsize body_len, guint8 *out, gsize out_len)
{
  static const guint8 no_key = 0;
  g_autoptr (EVP_MAC) mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  g_autoptr (EVP_MAC_CTX) ctx = NULL;
  guint8 hdr[RP_STUN_HEADER_LEN];
  OSSL_PARAM params[2];
  size_t got = 0;

  if (mac == NULL || (ctx = EVP_MAC_CTX_new (mac)) == NULL)
    return FALSE;
  memcpy (hdr, header, sizeof hdr);
  hdr[2] = (guint8) (covered_len >> 8);
  hdr[3] = (guint8) covered_len;
  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) digest, 0);
  params[1] = OSSL_PARAM_construct_end ();
  if (!EVP_MAC_init (ctx, key_len > 0 ? key : &no_key, key_len, params) ||
      !EVP_MAC_update (ctx, hdr, sizeof hdr) ||
      (body_len > 0 && !EVP_MAC_update (ctx, body, body_len)) ||
      !EVP_MAC_final (ctx, out, &got, out_len))
    return FALSE;
  return got == out_len;
}

static guint32 crc_table[256];

static void
crc_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    for (guint32 i = 0; i < 256; i++) {
      guint32 c = i;

      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      crc_table[i] = c;
    }
    g_once_init_leave (&once, 1);
  }
}

/* CRC-32 of ITU-T V.42 (reflected polynomial 0x04C11DB7), the one RFC 8489
 * 14.7 names; callers start from 0xFFFFFFFF and invert at the end. */
static guint32
crc32_update (guint32 crc, const guint8 *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

static guint32
fingerprint_of (const guint8 *header, guint16 covered_len, const guint8 *body, gsize body_len)
{
  guint8 hdr[RP_STUN_HEADER_LEN];
  guint32 crc = 0xFFFFFFFFu;

  crc_init ();
  memcpy (hdr, header, sizeof hdr);
  hdr[2] = (guint8) (covered_len >> 8);
  hdr[3] = (guint8) covered_len;
  crc = crc32_update (crc, hdr, sizeof hdr);
  crc = crc32_update (crc, body, body_len);
  return (crc ^ 0xFFFFFFFFu) ^ FINGERPRINT_XOR;
}

/* RFC 8489 14.5-14.7: only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow
 * MESSAGE-INTEGRITY, only FINGERPRINT may follow MESSAGE-INTEGRITY-SHA256 and
 * FINGERPRINT is last. A message breaking this carries attributes an agent
 * must ignore, so its integrity cannot be judged: report it as malformed. */
static gboolean
well_ordered (const RpStunMessage *msg)
{
  gboolean seen_mi = FALSE, seen_sha = FALSE, seen_fp = FALSE;

  for (guint i = 0; i < msg->n_attrs; i++) {
    guint16 t = msg->attrs[i].type;

    if (seen_fp)
      return FALSE;
    if (t == RP_STUN_ATTR_FINGERPRINT) {
      seen_fp = TRUE;
      continue;
    }
    if (seen_sha)
      return FALSE;
    if (seen_mi && t != RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
      return FALSE;
    if (t == RP_STUN_ATTR_MESSAGE_INTEGRITY)
      seen_mi = TRUE;
    else if (t == RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
      seen_sha = TRUE;
  }
  return TRUE;
}

static const RpStunAttr *
first_of (const RpStunMessage *msg, guint16 type)
{
  for (guint i = 0; i < msg->n_attrs; i++) {
    if (msg->attrs[i].type == type)
      return &msg->attrs[i];
  }
  return NULL;
}

/* Length field value that ends the message right after attribute a. */
static guint16
covered_through (const RpStunAttr *a)
{
  return (guint16) (a->offset + 4 + (((gsize) a->len + 3) & ~(gsize) 3) - RP_STUN_HEADER_LEN);
}

static RpStunIntegrity
check_hmac (const RpStunMessage *msg, guint16 type, const char *digest, gsize full_len,
            gsize min_len, const guint8 *key, gsize key_len)
{
  const RpStunAttr *a;
  guint8 mac[SHA256_LEN];

  if (msg == NULL || msg->buf == NULL)
    return RP_STUN_INTEGRITY_ABSENT;
  a = first_of (msg, type);
  if (a == NULL)
    return RP_STUN_INTEGRITY_ABSENT;
  if (a->len < min_len || a->len > full_len || a->len % 4 != 0 || !well_ordered (msg))
    return RP_STUN_INTEGRITY_MALFORMED;
  if (!hmac_message (digest, key, key_len, msg->buf, covered_through (a),
                     msg->buf + RP_STUN_HEADER_LEN, a->offset - RP_STUN_HEADER_LEN, mac, full_len))
    return RP_STUN_INTEGRITY_MISMATCH;
  if (CRYPTO_memcmp (mac, a->value, a->len) != 0)
    return RP_STUN_INTEGRITY_MISMATCH;
  return RP_STUN_INTEGRITY_OK;
}

RpStunIntegrity
rp_stun_message_check_integrity (const RpStunMessage *msg, const guint8 *key, gsize key_len)
{
  /* RFC 8489 14.5: exactly 20 bytes of HMAC-SHA1 */
  return check_hmac (msg, RP_STUN_ATTR_MESSAGE_INTEGRITY, "SHA1", SHA1_LEN, SHA1_LEN, key, key_len);
}

RpStunIntegrity
rp_stun_message_check_integrity_sha256 (const RpStunMessage *msg, const guint8 *key, gsize key_len)
{
  /* RFC 8489 14.6: at most 32 bytes, at least 16, a multiple of 4 (the
   * leftmost bytes of the HMAC when truncated) */
  return check_hmac (msg, RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "SHA256", SHA256_LEN, 16, key,
                     key_len);
}

RpStunIntegrity
rp_stun_message_check_fingerprint (const RpStunMessage *msg)
{
  const RpStunAttr *a;
  guint32 want, got;

  if (msg == NULL || msg->buf == NULL)
    return RP_STUN_INTEGRITY_ABSENT;
  a = first_of (msg, RP_STUN_ATTR_FINGERPRINT);
  if (a == NULL)
    return RP_STUN_INTEGRITY_ABSENT;
  if (a->len != 4 || !well_ordered (msg))
    return RP_STUN_INTEGRITY_MALFORMED;
  want = fingerprint_of (msg->buf, covered_through (a), msg->buf + RP_STUN_HEADER_LEN,
                         a->offset - RP_STUN_HEADER_LEN);
  got = ((guint32) a->value[0] << 24) | ((guint32) a->value[1] << 16) |
        ((guint32) a->value[2] << 8) | a->value[3];
  return want == got ? RP_STUN_INTEGRITY_OK : RP_STUN_INTEGRITY_MISMATCH;
}

void
rp_stun_long_term_key (const char *username, const char *realm, const char *password,
                       guint8 key[16])
{
  g_autoptr (EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  const char *parts[] = { username, ":", realm, ":", password };
  unsigned int n = 0;
  gboolean ok;

  /* RFC 8489 9.2.2: key = MD5(username ":" OpaqueString(realm) ":"
   * OpaqueString(password)); the strings are used as given (already
   * prepared by the caller). Digested piecewise so the password is never
   * copied into a joined buffer. */
  ok = ctx != NULL && EVP_DigestInit_ex (ctx, EVP_md5 (), NULL);
  for (gsize i = 0; ok && i < G_N_ELEMENTS (parts); i++) {
    const char *s = parts[i] != NULL ? parts[i] : "";

    ok = EVP_DigestUpdate (ctx, s, strlen (s));
  }
  if (!ok || !EVP_DigestFinal_ex (ctx, key, &n) || n != 16)
    memset (key, 0, 16);
}

/* Appends attribute type with a zero value of value_len bytes and returns
 * the offset of its header, or 0 when it may not be added. */
static gsize
append_placeholder (RpStunBuilder *b, guint16 type, guint16 value_len)
{
  static const guint8 zeros[SHA256_LEN] = { 0 };
  gsize off = b->len;

  if (!rp_stun_builder_add (b, type, zeros, value_len))
    return 0;
  return off;
}

static void
rollback (RpStunBuilder *b, gsize off)
{
  b->len = off;
  b->buf[2] = (guint8) ((off - RP_STUN_HEADER_LEN) >> 8);
  b->buf[3] = (guint8) (off - RP_STUN_HEADER_LEN);
}

static gboolean
add_hmac (RpStunBuilder *b, guint16 type, const char *digest, gsize mac_len, const guint8 *key,
          gsize key_len)
{
  gsize off = append_placeholder (b, type, (guint16) mac_len);

  if (off == 0)
    return FALSE;
  /* RFC 8489 14.5/14.6: the length field already counts this attribute,
   * which is what the HMAC must cover; the attribute itself is excluded */
  if (!hmac_message (digest, key, key_len, b->buf, (guint16) (b->len - RP_STUN_HEADER_LEN),
                     b->buf + RP_STUN_HEADER_LEN, off - RP_STUN_HEADER_LEN, b->buf + off + 4,
                     mac_len)) {
    rollback (b, off);
    return FALSE;
  }
  return TRUE;
}

gboolean
rp_stun_builder_add_integrity (RpStunBuilder *b, const guint8 *key, gsize key_len)
{
  return add_hmac (b, RP_STUN_ATTR_MESSAGE_INTEGRITY, "SHA1", SHA1_LEN, key, key_len);
}

gboolean
rp_stun_builder_add_integrity_sha256 (RpStunBuilder *b, const guint8 *key, gsize key_len)
{
  return add_hmac (b, RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "SHA256", SHA256_LEN, key, key_len);
}

gboolean
rp_stun_builder_add_fingerprint (RpStunBuilder *b)
{
  gsize off = append_placeholder (b, RP_STUN_ATTR_FINGERPRINT, 4);
  guint32 fp;

  if (off == 0)
    return FALSE;
  /* RFC 8489 14.7: CRC over everything before the attribute, with the
   * length field already including it */
  fp = fingerprint_of (b->buf, (guint16) (b->len - RP_STUN_HEADER_LEN), b->buf + RP_STUN_HEADER_LEN,
                       off - RP_STUN_HEADER_LEN);
  b->buf[off + 4] = (guint8) (fp >> 24);
  b->buf[off + 5] = (guint8) (fp >> 16);
  b->buf[off + 6] = (guint8) (fp >> 8);
  b->buf[off + 7] = (guint8) fp;
  return TRUE;
}
