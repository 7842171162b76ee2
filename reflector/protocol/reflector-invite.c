/* Tester invites: making, checking, durations and the use ledger (see
 * reflector-invite.h). base64url is RFC 4648 5 without padding; the MAC is
 * HMAC-SHA-256 (RFC 2104) through OpenSSL's one-shot HMAC(). */
#include "reflector/protocol/reflector-invite.h"

#include <gio/gio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#include "common/quote.h"

#define MAC_LEN 32
#define MAC_B64_LEN 43
#define PAYLOAD_MAX 160
#define DOMAIN "rtcprobe-invite\n"

void
rp_invite_clear (RpInvite *invite)
{
  g_free (invite->label);
  memset (invite, 0, sizeof *invite);
}

const char *
rp_invite_result_to_string (RpInviteResult r)
{
  static const char *const names[] = { "ok", "malformed", "forged", "expired", "used-up", "busy" };

  return (guint) r < G_N_ELEMENTS (names) ? names[r] : "unknown";
}

const char *
rp_invite_result_sentence (RpInviteResult r)
{
  switch (r) {
  case RP_INVITE_OK:
    return "This test link is valid.";
  case RP_INVITE_MALFORMED:
    return "This test link is incomplete or damaged: open the whole link you were sent, "
           "or ask the team for a new one.";
  case RP_INVITE_FORGED:
    return "This test link was not made by this server: ask the team for a new one.";
  case RP_INVITE_EXPIRED:
    return "This test link has expired: ask the team for a new one.";
  case RP_INVITE_USED_UP:
    return "This test link has been used as often as it allows: ask the team for a new one.";
  case RP_INVITE_BUSY:
    return "The test server is busy with other testers: try again in a few minutes.";
  }
  return "This test link cannot be used: ask the team for a new one.";
}

gboolean
rp_invite_label_valid (const char *label)
{
  gsize len = label != NULL ? strlen (label) : 0;

  if (len == 0 || len > RP_INVITE_LABEL_MAX || !g_utf8_validate (label, len, NULL))
    return FALSE;
  for (const char *p = label; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
      return FALSE;
  }
  return TRUE;
}

static gboolean
mac (const char *secret, gsize secret_len, const char *payload, gsize len, guint8 out[MAC_LEN])
{
  static const guint8 empty = 0;
  GByteArray *msg = g_byte_array_sized_new (sizeof DOMAIN + len);
  unsigned int n = 0;
  gboolean ok;

  g_byte_array_append (msg, (const guint8 *) DOMAIN, strlen (DOMAIN));
  g_byte_array_append (msg, (const guint8 *) payload, len);
  ok = HMAC (EVP_sha256 (), secret_len > 0 ? (const void *) secret : &empty, (int) secret_len,
             msg->data, msg->len, out, &n) != NULL && n == MAC_LEN;
  g_byte_array_unref (msg);
  return ok;
}

static char *
b64url_encode (const guint8 *data, gsize len)
{
  char *s = g_base64_encode (data, len);
  char *end = s + strlen (s);

  while (end > s && end[-1] == '=')
    *--end = '\0';
  for (char *p = s; *p != '\0'; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return s;
}

/* NULL unless text is base64url without padding that decodes to at most
 * max octets. */
static guint8 *
b64url_decode (const char *text, gsize len, gsize max, gsize *out_len)
{
  g_autofree char *s = NULL;
  gsize padded = (len + 3) / 4 * 4;
  gint state = 0;
  guint save = 0;
  guint8 *out;

  if (len == 0 || len % 4 == 1 || len / 4 * 3 > max + 2)
    return NULL;
  s = g_malloc (padded + 1);
  for (gsize i = 0; i < len; i++) {
    char c = text[i];
    if (!g_ascii_isalnum (c) && c != '-' && c != '_')
      return NULL;
    s[i] = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  for (gsize i = len; i < padded; i++)
    s[i] = '=';
  s[padded] = '\0';
  out = g_malloc (padded / 4 * 3 + 3);
  *out_len = g_base64_decode_step (s, padded, out, &state, &save);
  if (*out_len > max) {
    g_free (out);
    return NULL;
  }
  return out;
}

char *
rp_invite_make (const char *secret, gsize secret_len, const char *label, gint64 expiry_unix,
                guint uses, GError **error)
{
  guint8 id[RP_INVITE_ID_HEX / 2], tag[MAC_LEN];
  g_autofree char *id_hex = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *p64 = NULL;
  g_autofree char *m64 = NULL;

  if (!rp_invite_label_valid (label)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "the label must be 1 to %d octets of UTF-8 without control characters",
                 RP_INVITE_LABEL_MAX);
    return NULL;
  }
  if (uses < 1 || uses > RP_INVITE_USES_MAX) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "the use count must be between 1 and %d", RP_INVITE_USES_MAX);
    return NULL;
  }
  if (RAND_bytes (id, sizeof id) != 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no random octets for the invite's id");
    return NULL;
  }
  id_hex = g_malloc (RP_INVITE_ID_HEX + 1);
  for (guint i = 0; i < sizeof id; i++)
    g_snprintf (id_hex + 2 * i, 3, "%02x", id[i]);
  payload = g_strdup_printf ("1:%" G_GINT64_FORMAT ":%u:%s:%s", expiry_unix, uses, id_hex, label);
  if (!mac (secret, secret_len, payload, strlen (payload), tag)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the invite's HMAC could not be computed");
    return NULL;
  }
  p64 = b64url_encode ((const guint8 *) payload, strlen (payload));
  m64 = b64url_encode (tag, sizeof tag);
  OPENSSL_cleanse (tag, sizeof tag);
  return g_strconcat (p64, ".", m64, NULL);
}

/* Reads "<digits>:" at *p (at most max_digits digits), advancing past ':'. */
static gboolean
take_number (const char **p, guint max_digits, guint64 *out)
{
  const char *s = *p;
  guint n = 0;

  *out = 0;
  while (g_ascii_isdigit (s[n]) && n <= max_digits) {
    *out = *out * 10 + (guint64) (s[n] - '0');
    n++;
  }
  if (n == 0 || n > max_digits || s[n] != ':' || (n > 1 && s[0] == '0'))
    return FALSE;
  *p = s + n + 1;
  return TRUE;
}

static gboolean
parse_payload (const char *payload, RpInvite *out)
{
  const char *p = payload;
  guint64 expiry, uses;

  if (!g_str_has_prefix (p, "1:"))
    return FALSE;
  p += 2;
  if (!take_number (&p, 18, &expiry) || !take_number (&p, 4, &uses))
    return FALSE;
  if (uses < 1 || uses > RP_INVITE_USES_MAX)
    return FALSE;
  for (guint i = 0; i < RP_INVITE_ID_HEX; i++)
    if (!g_ascii_isxdigit (p[i]) || g_ascii_isupper (p[i]))
      return FALSE;
  if (p[RP_INVITE_ID_HEX] != ':' || !rp_invite_label_valid (p + RP_INVITE_ID_HEX + 1))
    return FALSE;
  out->expiry_unix = (gint64) expiry;
  out->uses = (guint) uses;
  memcpy (out->id, p, RP_INVITE_ID_HEX);
  out->id[RP_INVITE_ID_HEX] = '\0';
  out->label = g_strdup (p + RP_INVITE_ID_HEX + 1);
  return TRUE;
}

RpInviteResult
rp_invite_verify (const char *secret, gsize secret_len, const char *text, gsize len,
                  gint64 now_unix, RpInvite *out)
{
  const char *dot = text != NULL ? memchr (text, '.', len) : NULL;
  g_autofree guint8 *payload = NULL;
  g_autofree guint8 *got = NULL;
  guint8 want[MAC_LEN];
  gsize payload_len = 0, got_len = 0;
  gboolean same;

  memset (out, 0, sizeof *out);
  if (dot == NULL || len > RP_INVITE_MAX_LEN || (gsize) (text + len - dot - 1) != MAC_B64_LEN)
    return RP_INVITE_MALFORMED;
  payload = b64url_decode (text, dot - text, PAYLOAD_MAX, &payload_len);
  got = b64url_decode (dot + 1, MAC_B64_LEN, MAC_LEN, &got_len);
  if (payload == NULL || got == NULL || got_len != MAC_LEN)
    return RP_INVITE_MALFORMED;
  if (!mac (secret, secret_len, (const char *) payload, payload_len, want))
    return RP_INVITE_FORGED;
  same = CRYPTO_memcmp (want, got, MAC_LEN) == 0;
  OPENSSL_cleanse (want, sizeof want);
  if (!same)
    return RP_INVITE_FORGED;
  /* Signed by us: still read strictly (a NUL inside would cut the label). */
  if (memchr (payload, '\0', payload_len) != NULL)
    return RP_INVITE_MALFORMED;
  payload[payload_len] = '\0';
  if (!parse_payload ((const char *) payload, out))
    return RP_INVITE_MALFORMED;
  return out->expiry_unix <= now_unix ? RP_INVITE_EXPIRED : RP_INVITE_OK;
}

gboolean
rp_invite_parse_duration (const char *text, gint64 min_s, gint64 max_s, gint64 *out,
                          GError **error)
{
  guint64 n = 0;
  gint64 unit = 1;
  g_autofree char *digits = NULL;
  gsize len = text != NULL ? strlen (text) : 0;

  if (len > 0 && len < 16) {
    char last = text[len - 1];
    unit = last == 's' ? 1 : last == 'm' ? 60 : last == 'h' ? 3600 : last == 'd' ? 86400 : 0;
    digits = g_strndup (text, unit != 0 ? len - 1 : len);
    if (unit == 0)
      unit = 1;
    if (g_ascii_string_to_unsigned (digits, 10, 0, G_MAXINT32, &n, NULL)
        && (gint64) n * unit >= min_s && (gint64) n * unit <= max_s) {
      *out = (gint64) n * unit;
      return TRUE;
    }
  }
  {
    g_autofree char *q = rp_quote_input (text != NULL ? text : "", len, 32);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s: give a duration from %" G_GINT64_FORMAT " s to %" G_GINT64_FORMAT
                 " s, as seconds or with s, m, h or d (90s, 15m, 2h, 7d)", q, min_s, max_s);
  }
  return FALSE;
}

/* ---- the use ledger ---- */

typedef struct {
  gint64 expiry_unix;
  guint used;
} LedgerEntry;

struct _RpInviteLedger {
  GHashTable *entries;   /* id (char *) -> LedgerEntry * */
  guint max_entries;
};

RpInviteLedger *
rp_invite_ledger_new (guint max_entries)
{
  RpInviteLedger *l = g_new0 (RpInviteLedger, 1);

  l->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  l->max_entries = MAX (max_entries, 1);
  return l;
}

void
rp_invite_ledger_free (RpInviteLedger *ledger)
{
  if (ledger == NULL)
    return;
  g_hash_table_unref (ledger->entries);
  g_free (ledger);
}

static gboolean
expired (gpointer key, gpointer value, gpointer now)
{
  const LedgerEntry *e = value;

  (void) key;
  return e->expiry_unix <= *(const gint64 *) now;
}

RpInviteResult
rp_invite_ledger_take (RpInviteLedger *ledger, const RpInvite *invite, gint64 now_unix)
{
  LedgerEntry *e = g_hash_table_lookup (ledger->entries, invite->id);

  if (e != NULL) {
    if (e->used >= invite->uses)
      return RP_INVITE_USED_UP;
    e->used++;
    return RP_INVITE_OK;
  }
  if (g_hash_table_size (ledger->entries) >= ledger->max_entries)
    g_hash_table_foreach_remove (ledger->entries, expired, &now_unix);
  if (g_hash_table_size (ledger->entries) >= ledger->max_entries)
    return RP_INVITE_BUSY;
  e = g_new0 (LedgerEntry, 1);
  e->expiry_unix = invite->expiry_unix;
  e->used = 1;
  g_hash_table_insert (ledger->entries, g_strdup (invite->id), e);
  return RP_INVITE_OK;
}

guint
rp_invite_ledger_used (const RpInviteLedger *ledger, const char *id)
{
  const LedgerEntry *e = g_hash_table_lookup (ledger->entries, id);

  return e != NULL ? e->used : 0;
}
