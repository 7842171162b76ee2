/* Reflector tokens, signed STAMP test packets and the direct path's
 * binding to one peer (see reflector-auth.h).
 * Tokens use one-shot HMAC(). Packet tags use one HMAC-SHA-256 context,
 * fetched once and keyed again only when the key changes: HMAC() fetches
 * the algorithm by name and derives the keyed state on every call, which
 * measured about 30 us on a cold cache on the probe's send path, where it
 * sits between the packet's timestamp (T1) and send(), and on the
 * reflector's between T3 and its answer. */
#include "reflector/protocol/reflector-auth.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define SHA1_LEN 20

const char *
rp_token_result_to_string (RpTokenResult r)
{
  static const char *const names[] = { "ok",      "malformed",      "bad-name",
                                       "expired", "too-long-lived", "forged" };

  return (guint) r < G_N_ELEMENTS (names) ? names[r] : "unknown";
}

static gboolean
name_char_ok (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
}

static gboolean
hmac_sha1 (const char *secret, gsize secret_len, const char *text, guint8 out[SHA1_LEN])
{
  unsigned int n = 0;
  static const guint8 empty = 0;

  return HMAC (EVP_sha1 (), secret_len > 0 ? (const void *) secret : &empty, (int) secret_len,
               (const guint8 *) text, strlen (text), out, &n) != NULL && n == SHA1_LEN;
}

char *
rp_reflector_token_make (const char *secret, gsize secret_len, const char *name, gint64 expiry_unix,
                         char **username)
{
  g_autofree char *user =
    g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry_unix, name != NULL ? name : "");
  guint8 mac[SHA1_LEN];
  char *token;

  *username = NULL;
  if (!hmac_sha1 (secret, secret_len, user, mac))
    return NULL;
  token = g_base64_encode (mac, sizeof mac);
  OPENSSL_cleanse (mac, sizeof mac);
  *username = g_steal_pointer (&user);
  return token;
}

const char *
rp_reflector_token_name (const char *username)
{
  const char *p = username;

  if (username == NULL || !g_ascii_isdigit (*p))
    return NULL;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p != ':' || p - username > 19)
    return NULL;
  return p + 1;
}

RpTokenResult
rp_reflector_token_verify (const char *secret, gsize secret_len, const char *username,
                           const char *token, gint64 now_unix, gint64 max_ttl_s)
{
  const char *name = rp_reflector_token_name (username);
  guint8 want[SHA1_LEN], got[SHA1_LEN + 3];
  gsize name_len, token_len;
  gint64 expiry;
  gint state = 0;
  guint save = 0;
  gsize n;
  gboolean same;

  if (name == NULL || token == NULL)
    return RP_TOKEN_MALFORMED;
  /* base64 of 20 octets is 28 characters with one '=' */
  token_len = strlen (token);
  if (token_len != 28)
    return RP_TOKEN_MALFORMED;
  for (gsize i = 0; i < token_len; i++)
    if (!g_ascii_isalnum (token[i]) && token[i] != '+' && token[i] != '/' && token[i] != '=')
      return RP_TOKEN_MALFORMED;
  name_len = strlen (name);
  if (name_len == 0 || name_len > RP_REFLECTOR_NAME_MAX)
    return RP_TOKEN_BAD_NAME;
  for (gsize i = 0; i < name_len; i++)
    if (!name_char_ok (name[i]))
      return RP_TOKEN_BAD_NAME;
  /* The HMAC first: what a client learns about the clock must not depend on
   * whether it knows the secret. */
  if (!hmac_sha1 (secret, secret_len, username, want))
    return RP_TOKEN_FORGED;
  n = g_base64_decode_step (token, token_len, got, &state, &save);
  same = n == SHA1_LEN && CRYPTO_memcmp (want, got, SHA1_LEN) == 0;
  OPENSSL_cleanse (want, sizeof want);
  OPENSSL_cleanse (got, sizeof got);
  if (!same)
    return RP_TOKEN_FORGED;
  expiry = g_ascii_strtoll (username, NULL, 10);
  if (expiry <= now_unix)
    return RP_TOKEN_EXPIRED;
  if (expiry - now_unix > max_ttl_s)
    return RP_TOKEN_TOO_LONG_LIVED;
  return RP_TOKEN_OK;
}

/* ---- packets ---- */

/* The packet path's HMAC-SHA-256 context and the key it holds (one
 * thread uses it in practice; the lock keeps it right if not). */
G_LOCK_DEFINE_STATIC (tag_cache);
static EVP_MAC_CTX *tag_ctx;
static guint8 tag_key[RP_REFLECTOR_KEY_LEN];
static gboolean tag_keyed;

static EVP_MAC_CTX *
tag_ctx_new (void)
{
  EVP_MAC *mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new (mac) : NULL;
  OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST,
                                                            (char *) "SHA256", 0),
                          OSSL_PARAM_construct_end () };

  EVP_MAC_free (mac);   /* the context holds its own reference */
  if (ctx != NULL && EVP_MAC_CTX_set_params (ctx, params) != 1)
    g_clear_pointer (&ctx, EVP_MAC_CTX_free);
  return ctx;
}

/* FALSE: no context (then HMAC() does it). */
static gboolean
tag_cached (const guint8 *buf, gsize covered, const guint8 key[RP_REFLECTOR_KEY_LEN],
            guint8 mac[EVP_MAX_MD_SIZE], gsize *n)
{
  gboolean ok = FALSE;

  G_LOCK (tag_cache);
  if (tag_ctx == NULL)
    tag_ctx = tag_ctx_new ();
  if (tag_ctx != NULL) {
    /* The same key: EVP_MAC_init with none restarts from the keyed state. */
    gboolean same = tag_keyed && memcmp (tag_key, key, RP_REFLECTOR_KEY_LEN) == 0;
    ok = EVP_MAC_init (tag_ctx, same ? NULL : key, same ? 0 : RP_REFLECTOR_KEY_LEN, NULL) == 1
         && EVP_MAC_update (tag_ctx, buf, covered) == 1
         && EVP_MAC_final (tag_ctx, mac, n, EVP_MAX_MD_SIZE) == 1;
    tag_keyed = ok;
    if (ok && !same)
      memcpy (tag_key, key, RP_REFLECTOR_KEY_LEN);
  }
  G_UNLOCK (tag_cache);
  return ok;
}

static void
tag (const guint8 *buf, gsize covered, const guint8 key[RP_REFLECTOR_KEY_LEN],
     guint8 out[RP_REFLECTOR_TAG_LEN])
{
  guint8 mac[EVP_MAX_MD_SIZE];
  gsize n = 0;

  /* RFC 8972 4.8: HMAC-SHA-256 truncated to its first 128 bits. */
  if (!tag_cached (buf, covered, key, mac, &n)) {
    unsigned int m = 0;
    if (HMAC (EVP_sha256 (), key, RP_REFLECTOR_KEY_LEN, buf, covered, mac, &m) == NULL)
      m = 0;
    n = m;
  }
  if (n < RP_REFLECTOR_TAG_LEN)
    memset (mac, 0, sizeof mac);
  memcpy (out, mac, RP_REFLECTOR_TAG_LEN);
  OPENSSL_cleanse (mac, sizeof mac);
}

void
rp_reflector_packet_sign (guint8 *buf, gsize len, const guint8 key[RP_REFLECTOR_KEY_LEN])
{
  guint8 *tlv;

  if (len < RP_REFLECTOR_MIN_PACKET)
    return;
  tlv = buf + len - RP_REFLECTOR_TRAILER_LEN;
  tlv[0] = 0;                                  /* flags */
  tlv[1] = RP_REFLECTOR_TLV_HMAC;
  tlv[2] = 0;
  tlv[3] = RP_REFLECTOR_TAG_LEN;
  tag (buf, len - RP_REFLECTOR_TRAILER_LEN, key, tlv + RP_STAMP_TLV_HEADER_LEN);
}

gboolean
rp_reflector_packet_verify (const guint8 *buf, gsize len, const guint8 key[RP_REFLECTOR_KEY_LEN])
{
  const guint8 *tlv;
  guint8 want[RP_REFLECTOR_TAG_LEN];
  gboolean ok;

  if (buf == NULL || len < RP_REFLECTOR_MIN_PACKET || len > RP_STAMP_MAX_LEN)
    return FALSE;
  tlv = buf + len - RP_REFLECTOR_TRAILER_LEN;
  if (tlv[1] != RP_REFLECTOR_TLV_HMAC || tlv[2] != 0 || tlv[3] != RP_REFLECTOR_TAG_LEN)
    return FALSE;
  tag (buf, len - RP_REFLECTOR_TRAILER_LEN, key, want);
  ok = CRYPTO_memcmp (want, tlv + RP_STAMP_TLV_HEADER_LEN, RP_REFLECTOR_TAG_LEN) == 0;
  OPENSSL_cleanse (want, sizeof want);
  return ok;
}

guint16
rp_reflector_packet_ssid (const guint8 *buf, gsize len)
{
  if (buf == NULL || len < RP_STAMP_BASE_LEN)
    return 0;
  return (guint16) ((buf[RP_REFLECTOR_SSID_OFFSET] << 8) | buf[RP_REFLECTOR_SSID_OFFSET + 1]);
}

gsize
rp_reflector_packet_encode (const RpStampSender *p, gsize packet_len,
                            const guint8 key[RP_REFLECTOR_KEY_LEN], guint8 *buf, gsize buf_len)
{
  if (packet_len < RP_REFLECTOR_MIN_PACKET || packet_len > buf_len || packet_len > RP_STAMP_MAX_LEN)
    return 0;
  /* The STAMP packet with its padding, then the HMAC TLV as the last TLV. */
  if (rp_stamp_sender_encode (p, packet_len - RP_REFLECTOR_TRAILER_LEN, buf, buf_len) == 0)
    return 0;
  rp_reflector_packet_sign (buf, packet_len, key);
  return packet_len;
}

gboolean
rp_reflector_answer (RpStampReflector *r, guint8 *buf, gsize len,
                     const guint8 key[RP_REFLECTOR_KEY_LEN], gint64 t2_us, gint64 t3_us, guint8 ttl)
{
  return rp_reflector_packet_verify (buf, len, key)
         && rp_reflector_reflect (r, buf, len, key, t2_us, t3_us, ttl);
}

gboolean
rp_reflector_reflect (RpStampReflector *r, guint8 *buf, gsize len,
                      const guint8 key[RP_REFLECTOR_KEY_LEN], gint64 t2_us, gint64 t3_us,
                      guint8 ttl)
{
  /* RFC 8762 4.3: the answer has the request's length; the HMAC TLV is then
   * rewritten over the reflected octets (RFC 8972 4.8), in place. */
  if (rp_stamp_reflect (r, buf, len, t2_us, t3_us, ttl) != RP_STAMP_OK)
    return FALSE;
  rp_reflector_packet_sign (buf, len, key);
  return TRUE;
}

/* ---- the direct path's peer ---- */

void
rp_reflector_peer_init (RpReflectorPeer *p, RpReflectorTransport transport, const guint8 *addr,
                        gsize addr_len, guint16 port, guint64 conn)
{
  static const guint8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  memset (p, 0, sizeof *p);
  if (addr_len == 16 && memcmp (addr, v4mapped, sizeof v4mapped) == 0) {
    addr += 12;
    addr_len = 4;
  }
  p->transport = transport;
  p->len = (guint8) MIN (addr_len, sizeof p->addr);
  memcpy (p->addr, addr, p->len);
  p->port = port;
  p->conn = transport == RP_REFLECTOR_PEER_TCP ? conn : 0;
}

static gboolean
peer_equal (const RpReflectorPeer *a, const RpReflectorPeer *b)
{
  return a->transport == b->transport && a->len == b->len && memcmp (a->addr, b->addr, a->len) == 0
         && a->port == b->port && a->conn == b->conn;
}

gboolean
rp_reflector_binding_admits (const RpReflectorBinding *b, const RpReflectorPeer *p)
{
  return !b->bound || peer_equal (&b->peer, p);
}

void
rp_reflector_binding_prove (RpReflectorBinding *b, const RpReflectorPeer *p)
{
  if (b->bound)
    return;
  b->peer = *p;
  b->bound = TRUE;
}

RpReflectorAdmit
rp_reflector_admit (RpReflectorBinding *b, const RpReflectorPeer *from, const guint8 *buf,
                    gsize len, const guint8 key[RP_REFLECTOR_KEY_LEN],
                    const RpReflectorBudget *budgets, guint n_budgets, gint64 now_us)
{
  if (b != NULL && !rp_reflector_binding_admits (b, from))
    return RP_REFLECTOR_FOREIGN;
  if (!rp_reflector_packet_verify (buf, len, key))
    return RP_REFLECTOR_UNAUTHENTICATED;
  if (b != NULL)
    rp_reflector_binding_prove (b, from);
  for (guint i = 0; i < n_budgets; i++) {
    const RpReflectorBudget *r = &budgets[i];
    if (!rp_bucket_take (r->bucket, r->rate, r->rate, 1, now_us)) {
      /* Give back what the earlier budgets took for this packet. */
      while (i-- > 0)
        budgets[i].bucket->tokens += 1;
      return RP_REFLECTOR_OVER_RATE;
    }
  }
  return RP_REFLECTOR_ADMIT;
}
