/* TURN pieces of the codec (RFC 8656): ChannelData framing, the attribute
 * values whose layout TURN defines (section 18), and TURN REST credentials as
 * coturn's use-auth-secret checks them. Attributes are written with the STUN
 * builder and read from a parsed RpStunMessage, so the ordering and padding
 * rules of RFC 8489 apply unchanged; this file only knows the value layouts.
 * Getters refuse a value whose length is not the one the RFC defines rather
 * than guess at it. Sans-I/O like the rest of the codec. */
#include "stun/turn-codec.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/socket.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC, EVP_MAC_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC_CTX, EVP_MAC_CTX_free)

#define SHA1_LEN 20

static guint16
rd16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static void
wr16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static gsize
pad4 (gsize n)
{
  return (n + 3) & ~(gsize) 3;
}

gboolean
rp_turn_channel_is_valid (guint16 channel)
{
  /* RFC 8656 12: 0x0000-0x3FFF can never be channels, 0x5000-0xFFFF are
   * reserved (RFC 7983 demultiplexing) */
  return channel >= RP_TURN_CHANNEL_MIN && channel <= RP_TURN_CHANNEL_MAX;
}

gsize
rp_turn_channeldata_build (guint16 channel, const guint8 *data, gsize len, gboolean pad,
                           guint8 *out, gsize out_size)
{
  gsize total;

  if (!rp_turn_channel_is_valid (channel) || out == NULL || len > G_MAXUINT16 ||
      (len > 0 && data == NULL))
    return 0;
  /* RFC 8656 12.5: the length field excludes the padding, which is required
   * on TCP/TLS and optional on UDP */
  total = RP_TURN_CHANNELDATA_HEADER + len;
  if (pad)
    total = pad4 (total);
  if (total > out_size)
    return 0;
  wr16 (out, channel);
  wr16 (out + 2, (guint16) len);
  if (len > 0)
    memmove (out + RP_TURN_CHANNELDATA_HEADER, data, len);
  memset (out + RP_TURN_CHANNELDATA_HEADER + len, 0, total - RP_TURN_CHANNELDATA_HEADER - len);
  return total;
}

gboolean
rp_turn_channeldata_parse (const guint8 *buf, gsize buf_len, gboolean stream,
                           guint16 *channel, const guint8 **data, gsize *len)
{
  guint16 ch, dlen;
  gsize unpadded, padded;

  if (channel != NULL)
    *channel = 0;
  if (data != NULL)
    *data = NULL;
  if (len != NULL)
    *len = 0;
  if (buf == NULL || buf_len < RP_TURN_CHANNELDATA_HEADER)
    return FALSE;
  ch = rd16 (buf);
  dlen = rd16 (buf + 2);
  if (!rp_turn_channel_is_valid (ch))
    return FALSE;
  unpadded = RP_TURN_CHANNELDATA_HEADER + (gsize) dlen;
  padded = pad4 (unpadded);
  if (stream) {
    /* RFC 8656 12.5: on a stream the padding MUST be there; what follows it
     * is the next frame and not ours to judge */
    if (buf_len < padded)
      return FALSE;
  } else {
    /* RFC 8656 12.6: a datagram shorter than 4 + Length is discarded;
     * 12.5: UDP padding MAY be present, and padding means up to the next
     * multiple of 4, so the datagram is exactly one of the two sizes. */
    if (buf_len != unpadded && buf_len != padded)
      return FALSE;
  }
  if (channel != NULL)
    *channel = ch;
  if (data != NULL)
    *data = buf + RP_TURN_CHANNELDATA_HEADER;
  if (len != NULL)
    *len = dlen;
  return TRUE;
}

/* A value of n bytes whose first byte is v and the rest RFFU (zero). */
static gboolean
add_byte_then_rffu (RpStunBuilder *b, guint16 type, guint8 v, guint16 n)
{
  guint8 value[4] = { v, 0, 0, 0 };

  return rp_stun_builder_add (b, type, value, n);
}

gboolean
rp_turn_add_requested_transport (RpStunBuilder *b, guint8 protocol)
{
  /* RFC 8656 18.8: protocol number then 24 RFFU bits */
  return add_byte_then_rffu (b, RP_STUN_ATTR_REQUESTED_TRANSPORT, protocol, 4);
}

gboolean
rp_turn_add_channel_number (RpStunBuilder *b, guint16 channel)
{
  guint8 v[4] = { 0, 0, 0, 0 };

  /* RFC 8656 18.1: channel number then 16 RFFU bits; a number outside
   * 12's range would only earn a 400, so refuse to write it */
  if (!rp_turn_channel_is_valid (channel))
    return FALSE;
  wr16 (v, channel);
  return rp_stun_builder_add (b, RP_STUN_ATTR_CHANNEL_NUMBER, v, sizeof v);
}

gboolean
rp_turn_add_lifetime (RpStunBuilder *b, guint32 seconds)
{
  /* RFC 8656 18.2: 32-bit seconds */
  return rp_stun_builder_add_u32 (b, RP_STUN_ATTR_LIFETIME, seconds);
}

gboolean
rp_turn_add_data (RpStunBuilder *b, const guint8 *data, gsize len)
{
  /* RFC 8656 18.4: any length, padded like every attribute */
  if (len > G_MAXUINT16)
    return FALSE;
  return rp_stun_builder_add (b, RP_STUN_ATTR_DATA, data, (guint16) len);
}

gboolean
rp_turn_add_dont_fragment (RpStunBuilder *b)
{
  /* RFC 8656 18.9: no value */
  return rp_stun_builder_add (b, RP_STUN_ATTR_DONT_FRAGMENT, NULL, 0);
}

gboolean
rp_turn_add_requested_address_family (RpStunBuilder *b, int family)
{
  /* RFC 8656 18.6: family (0x01 IPv4, 0x02 IPv6) then 24 RFFU bits */
  if (family == AF_INET)
    return add_byte_then_rffu (b, RP_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 0x01, 4);
  if (family == AF_INET6)
    return add_byte_then_rffu (b, RP_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 0x02, 4);
  return FALSE;
}

gboolean
rp_turn_add_even_port (RpStunBuilder *b, gboolean reserve_next)
{
  /* RFC 8656 18.7: one byte, R in the top bit, 7 RFFU bits */
  return add_byte_then_rffu (b, RP_STUN_ATTR_EVEN_PORT, reserve_next ? 0x80 : 0x00, 1);
}

gboolean
rp_turn_add_reservation_token (RpStunBuilder *b, const guint8 token[RP_TURN_RESERVATION_TOKEN_LEN])
{
  /* RFC 8656 18.10: 8 opaque bytes */
  if (token == NULL)
    return FALSE;
  return rp_stun_builder_add (b, RP_STUN_ATTR_RESERVATION_TOKEN, token,
                              RP_TURN_RESERVATION_TOKEN_LEN);
}

/* The attribute that counts (rp_stun_message_find) if its value has exactly
 * the length the RFC gives it. */
static const RpStunAttr *
find_sized (const RpStunMessage *msg, guint16 type, guint16 len)
{
  const RpStunAttr *a;

  if (msg == NULL)
    return NULL;
  a = rp_stun_message_find (msg, type);
  if (a == NULL || a->len != len)
    return NULL;
  return a;
}

gboolean
rp_turn_get_channel_number (const RpStunMessage *msg, guint16 *channel)
{
  const RpStunAttr *a = find_sized (msg, RP_STUN_ATTR_CHANNEL_NUMBER, 4);
  guint16 ch;

  /* RFC 8656 18.1: RFFU bits are ignored on receipt */
  if (a == NULL)
    return FALSE;
  ch = rd16 (a->value);
  if (!rp_turn_channel_is_valid (ch))
    return FALSE;
  if (channel != NULL)
    *channel = ch;
  return TRUE;
}

gboolean
rp_turn_get_lifetime (const RpStunMessage *msg, guint32 *seconds)
{
  guint32 v;

  if (msg == NULL || !rp_stun_message_get_u32 (msg, RP_STUN_ATTR_LIFETIME, &v))
    return FALSE;
  if (seconds != NULL)
    *seconds = v;
  return TRUE;
}

gboolean
rp_turn_get_data (const RpStunMessage *msg, const guint8 **data, gsize *len)
{
  const RpStunAttr *a = msg != NULL ? rp_stun_message_find (msg, RP_STUN_ATTR_DATA) : NULL;

  if (a == NULL)
    return FALSE;
  if (data != NULL)
    *data = a->value;
  if (len != NULL)
    *len = a->len;
  return TRUE;
}

gboolean
rp_turn_get_requested_transport (const RpStunMessage *msg, guint8 *protocol)
{
  const RpStunAttr *a = find_sized (msg, RP_STUN_ATTR_REQUESTED_TRANSPORT, 4);

  if (a == NULL)
    return FALSE;
  if (protocol != NULL)
    *protocol = a->value[0];
  return TRUE;
}

gboolean
rp_turn_get_requested_address_family (const RpStunMessage *msg, int *family)
{
  const RpStunAttr *a = find_sized (msg, RP_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 4);
  int f;

  if (a == NULL)
    return FALSE;
  /* RFC 8656 18.6: other values are reserved; the server answers 440 */
  if (a->value[0] == 0x01)
    f = AF_INET;
  else if (a->value[0] == 0x02)
    f = AF_INET6;
  else
    return FALSE;
  if (family != NULL)
    *family = f;
  return TRUE;
}

gboolean
rp_turn_get_even_port (const RpStunMessage *msg, gboolean *reserve_next)
{
  const RpStunAttr *a = find_sized (msg, RP_STUN_ATTR_EVEN_PORT, 1);

  if (a == NULL)
    return FALSE;
  if (reserve_next != NULL)
    *reserve_next = (a->value[0] & 0x80) != 0;
  return TRUE;
}

gboolean
rp_turn_get_reservation_token (const RpStunMessage *msg,
                               guint8 token[RP_TURN_RESERVATION_TOKEN_LEN])
{
  const RpStunAttr *a =
    find_sized (msg, RP_STUN_ATTR_RESERVATION_TOKEN, RP_TURN_RESERVATION_TOKEN_LEN);

  if (a == NULL)
    return FALSE;
  if (token != NULL)
    memcpy (token, a->value, RP_TURN_RESERVATION_TOKEN_LEN);
  return TRUE;
}

gboolean
rp_turn_has_dont_fragment (const RpStunMessage *msg)
{
  return find_sized (msg, RP_STUN_ATTR_DONT_FRAGMENT, 0) != NULL;
}

gboolean
rp_turn_get_relayed_address (const RpStunMessage *msg, RpStunAddress *out)
{
  if (msg == NULL)
    return FALSE;
  return rp_stun_attr_get_address (
    msg, rp_stun_message_find (msg, RP_STUN_ATTR_XOR_RELAYED_ADDRESS), out);
}

/* Every attribute of type that counts, decoded in order (RFC 8489 14.5-14.7:
 * nothing but the integrity attributes counts after the first integrity or
 * fingerprint attribute). 0 when any of them is malformed. */
static guint
get_addresses (const RpStunMessage *msg, guint16 type, RpStunAddress *out, guint max)
{
  guint n = 0;

  if (msg == NULL || out == NULL)
    return 0;
  for (guint i = 0; i < msg->n_attrs && n < max; i++) {
    const RpStunAttr *a = &msg->attrs[i];

    if (a->type == RP_STUN_ATTR_MESSAGE_INTEGRITY ||
        a->type == RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 || a->type == RP_STUN_ATTR_FINGERPRINT)
      break;
    if (a->type != type)
      continue;
    if (!rp_stun_attr_get_address (msg, a, &out[n]))
      return 0;
    n++;
  }
  return n;
}

guint
rp_turn_get_relayed_addresses (const RpStunMessage *msg, RpStunAddress *out, guint max)
{
  /* RFC 8656 7.3: a dual allocation's success carries two XOR-RELAYED-ADDRESS */
  return get_addresses (msg, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, out, max);
}

gboolean
rp_turn_add_additional_address_family (RpStunBuilder *b, int family)
{
  /* RFC 8656 18.11: same layout as REQUESTED-ADDRESS-FAMILY; 0x02 (IPv6) is
   * the only value allowed in an Allocate */
  if (family != AF_INET6)
    return FALSE;
  return add_byte_then_rffu (b, RP_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x02, 4);
}

gboolean
rp_turn_add_additional_address_family_draft (RpStunBuilder *b, int family)
{
  /* draft-ietf-tram-turnbis had 0x8032 before IANA assigned 0x8000 */
  if (family != AF_INET6)
    return FALSE;
  return add_byte_then_rffu (b, RP_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY_DRAFT, 0x02, 4);
}

gboolean
rp_turn_get_additional_address_family (const RpStunMessage *msg, int *family)
{
  const RpStunAttr *a = find_sized (msg, RP_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, 4);

  if (a == NULL || a->value[0] != 0x02)
    return FALSE;
  if (family != NULL)
    *family = AF_INET6;
  return TRUE;
}

/* Printable UTF-8 of n bytes: invalid sequences and control characters
 * become U+FFFD, so a reason phrase never breaks a line or a terminal. */
static char *
printable (const guint8 *p, gsize n)
{
  g_autofree char *valid = g_utf8_make_valid ((const char *) p, (gssize) n);
  GString *s = g_string_sized_new (n + 1);

  for (const char *c = valid; *c != '\0'; c = g_utf8_next_char (c)) {
    gunichar u = g_utf8_get_char (c);

    if (g_unichar_isprint (u))
      g_string_append_unichar (s, u);
    else
      g_string_append (s, "\xEF\xBF\xBD");
  }
  return g_string_free (s, FALSE);
}

static gboolean
get_address_error (const RpStunMessage *msg, guint16 type, int *family, guint *code,
                   char **reason)
{
  const RpStunAttr *a = msg != NULL ? rp_stun_message_find (msg, type) : NULL;
  guint klass, number;
  int f;

  if (family != NULL)
    *family = 0;
  if (code != NULL)
    *code = 0;
  if (reason != NULL)
    *reason = NULL;
  if (a == NULL || a->len < 4)
    return FALSE;
  /* RFC 8656 18.12: family (8 bits), 13 reserved bits, class (3 bits, 3-6),
   * number (0-99), then the reason phrase as in ERROR-CODE */
  if (a->value[0] == 0x01)
    f = AF_INET;
  else if (a->value[0] == 0x02)
    f = AF_INET6;
  else
    return FALSE;
  klass = a->value[2] & 0x07;
  number = a->value[3];
  if (klass < 3 || klass > 6 || number > 99)
    return FALSE;
  if (family != NULL)
    *family = f;
  if (code != NULL)
    *code = klass * 100 + number;
  if (reason != NULL)
    *reason = printable (a->value + 4, a->len - 4u);
  return TRUE;
}

gboolean
rp_turn_get_address_error (const RpStunMessage *msg, int *family, guint *code, char **reason)
{
  return get_address_error (msg, RP_STUN_ATTR_ADDRESS_ERROR_CODE, family, code, reason);
}

gboolean
rp_turn_get_address_error_draft (const RpStunMessage *msg, int *family, guint *code,
                                 char **reason)
{
  return get_address_error (msg, RP_STUN_ATTR_ADDRESS_ERROR_CODE_DRAFT, family, code, reason);
}

gboolean
rp_turn_add_address_error (RpStunBuilder *b, int family, guint code, const char *reason)
{
  guint8 value[4 + 128];
  gsize rlen = reason != NULL ? strlen (reason) : 0;

  if ((family != AF_INET && family != AF_INET6) || code < 300 || code > 699 ||
      rlen > sizeof value - 4)
    return FALSE;
  value[0] = family == AF_INET ? 0x01 : 0x02;
  value[1] = 0;
  value[2] = (guint8) (code / 100);
  value[3] = (guint8) (code % 100);
  if (rlen > 0)
    memcpy (value + 4, reason, rlen);
  return rp_stun_builder_add (b, RP_STUN_ATTR_ADDRESS_ERROR_CODE, value, (guint16) (4 + rlen));
}

guint
rp_turn_get_peer_addresses (const RpStunMessage *msg, RpStunAddress *out, guint max)
{
  /* RFC 8656 9.1/18.3: CreatePermission may carry several XOR-PEER-ADDRESS */
  return get_addresses (msg, RP_STUN_ATTR_XOR_PEER_ADDRESS, out, max);
}

/* HMAC-SHA1 of msg under key into out[SHA1_LEN]. */
static gboolean
hmac_sha1 (const guint8 *key, gsize key_len, const guint8 *msg, gsize msg_len, guint8 out[SHA1_LEN])
{
  static const guint8 no_key = 0;
  g_autoptr (EVP_MAC) mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  g_autoptr (EVP_MAC_CTX) ctx = NULL;
  OSSL_PARAM params[2];
  size_t got = 0;

  if (mac == NULL || (ctx = EVP_MAC_CTX_new (mac)) == NULL)
    return FALSE;
  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA1", 0);
  params[1] = OSSL_PARAM_construct_end ();
  /* an empty secret is a key of length 0, not "keep the previous key" */
  if (!EVP_MAC_init (ctx, key_len > 0 ? key : &no_key, key_len, params) ||
      !EVP_MAC_update (ctx, msg, msg_len) || !EVP_MAC_final (ctx, out, &got, SHA1_LEN))
    return FALSE;
  return got == SHA1_LEN;
}

void
rp_turn_rest_credentials (const char *secret, gsize secret_len, const char *user,
                          gint64 expiry_unix, char **username, char **password)
{
  g_autofree char *name = NULL;
  guint8 mac[SHA1_LEN];

  if (username != NULL)
    *username = NULL;
  if (password != NULL)
    *password = NULL;
  if (secret == NULL && secret_len > 0)
    return;
  /* coturn use-auth-secret: "<expiry>:<user>", the expiry alone when there is
   * no user; coturn rejects the name once the expiry is in the past */
  if (user != NULL && *user != '\0')
    name = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry_unix, user);
  else
    name = g_strdup_printf ("%" G_GINT64_FORMAT, expiry_unix);
  if (!hmac_sha1 ((const guint8 *) secret, secret_len, (const guint8 *) name, strlen (name), mac)) {
    OPENSSL_cleanse (mac, sizeof mac);
    return;
  }
  if (password != NULL)
    *password = g_base64_encode (mac, sizeof mac);
  OPENSSL_cleanse (mac, sizeof mac);
  if (username != NULL)
    *username = g_steal_pointer (&name);
}

gint64
rp_turn_rest_username_expiry (const char *username)
{
  gint64 v = 0;
  const char *p = username;

  if (p == NULL || !g_ascii_isdigit (*p))
    return -1;
  for (; g_ascii_isdigit (*p); p++) {
    int d = *p - '0';

    if (v > (G_MAXINT64 - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  if (*p != ':' && *p != '\0')
    return -1;
  return v;
}
