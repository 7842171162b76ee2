/* Tester invites (reflector/protocol/reflector-invite.h): the documented
 * format, checked against an invite built here with OpenSSL directly; what
 * a forged, expired, damaged or used-up invite gets; durations; the use
 * ledger's bounds. */
#include <gio/gio.h>
#include <openssl/hmac.h>
#include <string.h>

#include "reflector/protocol/reflector-invite.h"

static const char secret[] = "0123456789abcdef-lab-secret";
#define NOW 1700000000

static char *
b64url (const guint8 *data, gsize len)
{
  GString *s = g_string_new (NULL);
  g_autofree char *b = g_base64_encode (data, len);

  for (const char *p = b; *p != '\0' && *p != '='; p++)
    g_string_append_c (s, *p == '+' ? '-' : *p == '/' ? '_' : *p);
  return g_string_free (s, FALSE);
}

/* An invite for payload made the documented way, without the code under test. */
static char *
reference_invite (const char *key, const char *payload)
{
  g_autofree char *text = g_strconcat ("rtcprobe-invite\n", payload, NULL);
  g_autofree char *p64 = b64url ((const guint8 *) payload, strlen (payload));
  g_autofree char *m64 = NULL;
  guint8 mac[32];
  unsigned int n = 0;

  HMAC (EVP_sha256 (), key, (int) strlen (key), (const guint8 *) text, strlen (text), mac, &n);
  g_assert_cmpuint (n, ==, 32);
  m64 = b64url (mac, n);
  return g_strconcat (p64, ".", m64, NULL);
}

static RpInviteResult
verify (const char *key, const char *text, gint64 now, RpInvite *out)
{
  return rp_invite_verify (key, strlen (key), text, strlen (text), now, out);
}

static void
test_make_verify (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *inv = rp_invite_make (secret, strlen (secret), "alice, hotel wifi", NOW + 3600,
                                         3, &error);
  RpInvite got = { 0 };

  g_assert_no_error (error);
  g_assert_nonnull (inv);
  /* Only characters that need no escaping in a URL fragment. */
  for (const char *p = inv; *p != '\0'; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.');
  g_assert_cmpint (verify (secret, inv, NOW, &got), ==, RP_INVITE_OK);
  g_assert_cmpstr (got.label, ==, "alice, hotel wifi");
  g_assert_cmpint (got.expiry_unix, ==, NOW + 3600);
  g_assert_cmpuint (got.uses, ==, 3);
  g_assert_cmpuint (strlen (got.id), ==, RP_INVITE_ID_HEX);
  rp_invite_clear (&got);
  /* Two invites for the same tester are told apart by their ids. */
  {
    g_autofree char *again = rp_invite_make (secret, strlen (secret), "alice, hotel wifi",
                                             NOW + 3600, 3, NULL);
    RpInvite a = { 0 }, b = { 0 };
    g_assert_cmpint (verify (secret, inv, NOW, &a), ==, RP_INVITE_OK);
    g_assert_cmpint (verify (secret, again, NOW, &b), ==, RP_INVITE_OK);
    g_assert_cmpstr (a.id, !=, b.id);
    rp_invite_clear (&a);
    rp_invite_clear (&b);
  }
}

static void
test_reference_format (void)
{
  g_autofree char *inv = reference_invite (secret, "1:1700003600:2:0123456789abcdef:bob: café");
  RpInvite got = { 0 };

  g_assert_cmpint (verify (secret, inv, NOW, &got), ==, RP_INVITE_OK);
  g_assert_cmpstr (got.id, ==, "0123456789abcdef");
  g_assert_cmpstr (got.label, ==, "bob: café");
  g_assert_cmpuint (got.uses, ==, 2);
  rp_invite_clear (&got);
}

static void
test_forged_expired (void)
{
  g_autofree char *other = reference_invite ("another secret entirely",
                                             "1:1700003600:2:0123456789abcdef:bob");
  g_autofree char *good = reference_invite (secret, "1:1700003600:2:0123456789abcdef:bob");
  g_autofree char *more = reference_invite (secret, "1:1700003600:9:0123456789abcdef:bob");
  g_autofree char *spliced = NULL;
  g_auto (GStrv) parts = g_strsplit (more, ".", 2);
  RpInvite got = { 0 };

  g_assert_cmpint (verify (secret, other, NOW, &got), ==, RP_INVITE_FORGED);
  g_assert_null (got.label);
  /* More uses with the old MAC: the payload is covered by the MAC. */
  spliced = g_strconcat (parts[0], strchr (good, '.'), NULL);
  g_assert_cmpint (verify (secret, spliced, NOW, &got), ==, RP_INVITE_FORGED);
  /* An invite expires at its expiry second. */
  g_assert_cmpint (verify (secret, good, 1700003599, &got), ==, RP_INVITE_OK);
  rp_invite_clear (&got);
  g_assert_cmpint (verify (secret, good, 1700003600, &got), ==, RP_INVITE_EXPIRED);
  g_assert_cmpstr (got.label, ==, "bob");
  rp_invite_clear (&got);
  g_assert_cmpstr (rp_invite_result_to_string (RP_INVITE_EXPIRED), ==, "expired");
  g_assert_null (strchr (rp_invite_result_sentence (RP_INVITE_EXPIRED), '\n'));
  g_assert_true (strstr (rp_invite_result_sentence (RP_INVITE_EXPIRED), "expired") != NULL);
}

static void
test_malformed (void)
{
  static const char *const signed_bad[] = {
    "2:1700003600:2:0123456789abcdef:bob",       /* unknown version */
    "1:1700003600:0:0123456789abcdef:bob",       /* no use */
    "1:1700003600:1001:0123456789abcdef:bob",    /* too many uses */
    "1:1700003600:02:0123456789abcdef:bob",      /* leading zero */
    "1:1700003600:2:0123456789ABCDEF:bob",       /* upper-case id */
    "1:1700003600:2:0123456789abcde:bob",        /* short id */
    "1:1700003600:2:0123456789abcdef:",          /* empty label */
    "1:1700003600:2:0123456789abcdef:a\tb",      /* control character */
    "1::2:0123456789abcdef:bob",                 /* no expiry */
    "1:-5:2:0123456789abcdef:bob",
  };
  static const char *const unsigned_bad[] = {
    "", ".", "abc", "abc.", "!!!.AAAA", "MTox.short",
    "MTox.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAA",
  };
  g_autofree char *huge = g_strnfill (RP_INVITE_MAX_LEN + 1, 'A');
  RpInvite got = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (signed_bad); i++) {
    g_autofree char *inv = reference_invite (secret, signed_bad[i]);
    g_test_message ("%s", signed_bad[i]);
    g_assert_cmpint (verify (secret, inv, NOW, &got), ==, RP_INVITE_MALFORMED);
    g_assert_null (got.label);
  }
  for (guint i = 0; i < G_N_ELEMENTS (unsigned_bad); i++)
    g_assert_cmpint (verify (secret, unsigned_bad[i], NOW, &got), ==, RP_INVITE_MALFORMED);
  g_assert_cmpint (verify (secret, huge, NOW, &got), ==, RP_INVITE_MALFORMED);
  g_assert_cmpint (rp_invite_verify (secret, strlen (secret), NULL, 0, NOW, &got), ==,
                   RP_INVITE_MALFORMED);
}

static void
test_label_and_make_bounds (void)
{
  g_autofree char *long_label = g_strnfill (RP_INVITE_LABEL_MAX + 1, 'x');
  g_autofree char *max_label = g_strnfill (RP_INVITE_LABEL_MAX, 'x');
  g_autoptr (GError) error = NULL;
  char *inv;

  g_assert_true (rp_invite_label_valid ("Zoë on the 5G phone"));
  g_assert_true (rp_invite_label_valid (max_label));
  g_assert_false (rp_invite_label_valid (long_label));
  g_assert_false (rp_invite_label_valid (""));
  g_assert_false (rp_invite_label_valid (NULL));
  g_assert_false (rp_invite_label_valid ("a\nb"));
  g_assert_false (rp_invite_label_valid ("a\xe2\x80\xa8" "b"));   /* U+2028 */
  g_assert_false (rp_invite_label_valid ("\xff\xfe"));
  inv = rp_invite_make (secret, strlen (secret), "a\nb", NOW + 60, 1, &error);
  g_assert_null (inv);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (rp_invite_make (secret, strlen (secret), "a", NOW + 60, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (rp_invite_make (secret, strlen (secret), "a", NOW + 60, 1001, &error));
  g_clear_error (&error);
  /* The longest label with the most uses still fits the bounds verify sets. */
  inv = rp_invite_make (secret, strlen (secret), max_label, G_GINT64_CONSTANT (999999999999999999),
                        RP_INVITE_USES_MAX, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (inv), <=, RP_INVITE_MAX_LEN);
  {
    RpInvite got = { 0 };
    g_assert_cmpint (verify (secret, inv, NOW, &got), ==, RP_INVITE_OK);
    rp_invite_clear (&got);
  }
  g_free (inv);
}

static void
test_duration (void)
{
  g_autoptr (GError) error = NULL;
  gint64 s = 0;

  g_assert_true (rp_invite_parse_duration ("90", 60, 3600, &s, NULL));
  g_assert_cmpint (s, ==, 90);
  g_assert_true (rp_invite_parse_duration ("90s", 60, 3600, &s, NULL));
  g_assert_cmpint (s, ==, 90);
  g_assert_true (rp_invite_parse_duration ("15m", 60, 3600, &s, NULL));
  g_assert_cmpint (s, ==, 900);
  g_assert_true (rp_invite_parse_duration ("2h", 60, 86400, &s, NULL));
  g_assert_cmpint (s, ==, 7200);
  g_assert_true (rp_invite_parse_duration ("7d", 60, RP_INVITE_TTL_MAX_S, &s, NULL));
  g_assert_cmpint (s, ==, 7 * 86400);
  g_assert_false (rp_invite_parse_duration ("59", 60, 3600, &s, NULL));
  g_assert_false (rp_invite_parse_duration ("2h", 60, 3600, &s, NULL));
  g_assert_false (rp_invite_parse_duration ("", 60, 3600, &s, NULL));
  g_assert_false (rp_invite_parse_duration ("m", 60, 3600, &s, NULL));
  g_assert_false (rp_invite_parse_duration ("-5m", 60, 3600, &s, NULL));
  g_assert_false (rp_invite_parse_duration ("5 m", 60, 3600, &s, NULL));
  g_assert_false (rp_invite_parse_duration ("99999999999999d", 60, 3600, &s, NULL));
  g_assert_false (rp_invite_parse_duration ("1w", 60, 3600, &s, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (strchr (error->message, '\n'));
}

static RpInvite
invite (const char *id, gint64 expiry, guint uses)
{
  RpInvite i = { .expiry_unix = expiry, .uses = uses };

  g_strlcpy (i.id, id, sizeof i.id);
  return i;
}

static void
test_ledger (void)
{
  g_autoptr (RpInviteLedger) l = rp_invite_ledger_new (2);
  RpInvite a = invite ("aaaaaaaaaaaaaaaa", NOW + 60, 2);
  RpInvite b = invite ("bbbbbbbbbbbbbbbb", NOW + 10, 1);
  RpInvite c = invite ("cccccccccccccccc", NOW + 60, 1);

  g_assert_cmpint (rp_invite_ledger_take (l, &a, NOW), ==, RP_INVITE_OK);
  g_assert_cmpint (rp_invite_ledger_take (l, &a, NOW), ==, RP_INVITE_OK);
  g_assert_cmpint (rp_invite_ledger_take (l, &a, NOW), ==, RP_INVITE_USED_UP);
  g_assert_cmpuint (rp_invite_ledger_used (l, a.id), ==, 2);
  g_assert_cmpint (rp_invite_ledger_take (l, &b, NOW), ==, RP_INVITE_OK);
  g_assert_cmpint (rp_invite_ledger_take (l, &b, NOW), ==, RP_INVITE_USED_UP);
  /* Full of live invites: a third one waits. */
  g_assert_cmpint (rp_invite_ledger_take (l, &c, NOW), ==, RP_INVITE_BUSY);
  g_assert_cmpuint (rp_invite_ledger_used (l, c.id), ==, 0);
  /* Once b has expired its entry makes room; a's count is kept. */
  g_assert_cmpint (rp_invite_ledger_take (l, &c, NOW + 10), ==, RP_INVITE_OK);
  g_assert_cmpuint (rp_invite_ledger_used (l, b.id), ==, 0);
  g_assert_cmpint (rp_invite_ledger_take (l, &a, NOW + 10), ==, RP_INVITE_USED_UP);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/invite/make-verify", test_make_verify);
  g_test_add_func ("/invite/reference-format", test_reference_format);
  g_test_add_func ("/invite/forged-expired", test_forged_expired);
  g_test_add_func ("/invite/malformed", test_malformed);
  g_test_add_func ("/invite/label-and-make-bounds", test_label_and_make_bounds);
  g_test_add_func ("/invite/duration", test_duration);
  g_test_add_func ("/invite/ledger", test_ledger);
  return g_test_run ();
}
