/* LiveKit access tokens: the JWT's structure, claims and HS256 signature,
 * checked with GLib's own HMAC (an implementation the code under test does
 * not use), and base64url against RFC 4648 section 10 vectors. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "probe/checks/check-livekit.h"

static guchar *
b64url_decode (const char *s, gsize *len)
{
  GString *t = g_string_new (s);

  for (gsize i = 0; i < t->len; i++) {
    g_assert_true (t->str[i] != '=' && t->str[i] != '+' && t->str[i] != '/');
    if (t->str[i] == '-')
      t->str[i] = '+';
    else if (t->str[i] == '_')
      t->str[i] = '/';
  }
  while (t->len % 4 != 0)
    g_string_append_c (t, '=');
  guchar *out = g_base64_decode (t->str, len);
  g_string_free (t, TRUE);
  return out;
}

static void
test_base64url (void)
{
  /* RFC 4648 section 10, padding removed. */
  static const char *const v[][2] = {
    { "", "" },           { "f", "Zg" },          { "fo", "Zm8" },          { "foo", "Zm9v" },
    { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (v); i++) {
    g_autofree char *e = rp_base64url_encode ((const guint8 *) v[i][0], strlen (v[i][0]));
    g_assert_cmpstr (e, ==, v[i][1]);
  }
  /* The URL-safe alphabet: 0xfb 0xff -> "-_8" */
  g_autofree char *u = rp_base64url_encode ((const guint8 *) "\xfb\xff", 2);
  g_assert_cmpstr (u, ==, "-_8");
}

static void
test_token (void)
{
  g_autoptr (RpSecret) token = rp_livekit_token_new ("APIkey123", "s3cr3t-value", "rtcprobe-1",
                                                     "rtcprobe-room", 1700000000, 600);
  g_auto (GStrv) parts = NULL;
  g_autofree guchar *header = NULL;
  g_autofree guchar *claims = NULL;
  g_autofree guchar *sig = NULL;
  g_autofree char *input = NULL;
  g_autofree char *claims_str = NULL;
  gsize hlen, clen, slen;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o, *video;
  g_autoptr (GHmac) hmac = NULL;
  guint8 expect[32];
  gsize elen = sizeof expect;

  g_assert_nonnull (token);
  parts = g_strsplit (token, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);

  header = b64url_decode (parts[0], &hlen);
  g_assert_cmpmem (header, hlen, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27);

  claims = b64url_decode (parts[1], &clen);
  claims_str = g_strndup ((const char *) claims, clen);
  g_assert_true (json_parser_load_from_data (parser, claims_str, -1, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "iss"), ==, "APIkey123");
  g_assert_cmpstr (json_object_get_string_member (o, "sub"), ==, "rtcprobe-1");
  g_assert_cmpint (json_object_get_int_member (o, "nbf"), ==, 1700000000);
  g_assert_cmpint (json_object_get_int_member (o, "exp"), ==, 1700000600);
  video = json_object_get_object_member (o, "video");
  g_assert_cmpstr (json_object_get_string_member (video, "room"), ==, "rtcprobe-room");
  g_assert_true (json_object_get_boolean_member (video, "roomJoin"));
  g_assert_null (strstr (claims_str, "s3cr3t"));

  input = g_strdup_printf ("%s.%s", parts[0], parts[1]);
  hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) "s3cr3t-value", 12);
  g_hmac_update (hmac, (const guchar *) input, -1);
  g_hmac_get_digest (hmac, expect, &elen);
  sig = b64url_decode (parts[2], &slen);
  g_assert_cmpmem (sig, slen, expect, elen);
}

static void
test_token_differs_by_secret (void)
{
  g_autoptr (RpSecret) a = rp_livekit_token_new ("k", "one", "i", "r", 1, 600);
  g_autoptr (RpSecret) b = rp_livekit_token_new ("k", "two", "i", "r", 1, 600);
  const char *sa = strrchr (a, '.'), *sb = strrchr (b, '.');

  g_assert_cmpint (sa - a, ==, sb - b);
  g_assert_cmpmem (a, sa - a, b, sb - b);   /* same header and claims */
  g_assert_cmpstr (sa, !=, sb);             /* different signature */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/livekit/base64url", test_base64url);
  g_test_add_func ("/livekit/token", test_token);
  g_test_add_func ("/livekit/token-secret", test_token_differs_by_secret);
  return g_test_run ();
}
