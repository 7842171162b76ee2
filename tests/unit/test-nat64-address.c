/* Unit tests for common/nat64-address.c: RFC 6052 2.4's table of examples
 * both ways, the u-octet, the well-known and local-use prefixes, prefix
 * text, and RFC 7050 3 discovery from ipv4only.arpa's AAAA answers. */
#include <gio/gio.h>
#include <string.h>

#include "common/nat64-address.h"

static void
bytes_of (const char *text, guint8 out[16])
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (text);

  g_assert_nonnull (a);
  g_assert_cmpint (g_inet_address_get_family (a), ==, G_SOCKET_FAMILY_IPV6);
  memcpy (out, g_inet_address_to_bytes (a), 16);
}

static char *
text_of (const guint8 bytes[16])
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
  return g_inet_address_to_string (a);
}

static RpNat64Prefix
prefix_of (const char *text)
{
  RpNat64Prefix p;
  g_autoptr (GError) error = NULL;

  g_assert_true (rp_nat64_prefix_parse (text, &p, &error));
  g_assert_no_error (error);
  return p;
}

/* RFC 6052 2.4: 192.0.2.33 under each prefix length. */
static const struct {
  const char *prefix, *embedded;
} rfc6052_table[] = {
  { "2001:db8::/32", "2001:db8:c000:221::" },
  { "2001:db8:100::/40", "2001:db8:1c0:2:21::" },
  { "2001:db8:122::/48", "2001:db8:122:c000:2:2100::" },
  { "2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::" },
  { "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0" },
  { "2001:db8:122:344::/96", "2001:db8:122:344::c000:221" },
  { "64:ff9b::/96", "64:ff9b::c000:221" },
};
static const guint8 example_v4[4] = { 192, 0, 2, 33 };

static void
test_synthesize_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rfc6052_table); i++) {
    RpNat64Prefix p = prefix_of (rfc6052_table[i].prefix);
    guint8 out[16], want[16];
    g_autofree char *got = NULL;

    g_assert_true (rp_nat64_synthesize (&p, example_v4, out));
    got = text_of (out);
    bytes_of (rfc6052_table[i].embedded, want);
    g_assert_cmpstr (got, ==, rfc6052_table[i].embedded);
    g_assert_cmpmem (out, 16, want, 16);
  }
}

static void
test_extract_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (rfc6052_table); i++) {
    RpNat64Prefix p = prefix_of (rfc6052_table[i].prefix);
    guint8 addr[16], v4[4];

    bytes_of (rfc6052_table[i].embedded, addr);
    g_assert_true (rp_nat64_extract (&p, addr, v4));
    g_assert_cmpmem (v4, 4, example_v4, 4);
  }
}

static void
test_extract_refuses (void)
{
  RpNat64Prefix p64 = prefix_of ("2001:db8:122:344::/64");
  RpNat64Prefix wkp = rp_nat64_well_known_prefix;
  guint8 addr[16], v4[4];

  /* Another prefix. */
  bytes_of ("2001:db8:122:345:c0:2:2100:0", addr);
  g_assert_false (rp_nat64_extract (&p64, addr, v4));
  /* The u-octet (bits 64-71) set. */
  bytes_of ("2001:db8:122:344:1c0:2:2100:0", addr);
  g_assert_false (rp_nat64_extract (&p64, addr, v4));
  bytes_of ("64:ff9b::1:0:c000:221", addr);
  g_assert_false (rp_nat64_extract (&wkp, addr, v4));
  /* The local-use prefix is not the well-known one. */
  bytes_of ("64:ff9b:1::c000:221", addr);
  g_assert_false (rp_nat64_extract (&wkp, addr, v4));
}

static void
test_prefixes_recognised (void)
{
  guint8 addr[16];

  bytes_of ("64:ff9b::c612:102", addr);
  g_assert_true (rp_nat64_is_well_known (addr));
  g_assert_false (rp_nat64_is_local_use (addr));
  bytes_of ("64:ff9b:1:2::c612:102", addr);
  g_assert_false (rp_nat64_is_well_known (addr));
  g_assert_true (rp_nat64_is_local_use (addr));
  bytes_of ("64:ff9b:2::1", addr);
  g_assert_false (rp_nat64_is_well_known (addr));
  g_assert_false (rp_nat64_is_local_use (addr));
  bytes_of ("2001:db8::1", addr);
  g_assert_false (rp_nat64_is_well_known (addr));
  g_assert_false (rp_nat64_is_local_use (addr));
}

static void
test_prefix_text (void)
{
  static const char *const bad[] = {
    "64:ff9b::",          /* no length */
    "64:ff9b::/95",       /* not an RFC 6052 length */
    "64:ff9b::/128",
    "64:ff9b::/",
    "64:ff9b::/ 96",
    "64:ff9b::/96x",
    "64:ff9b::/-96",
    "192.0.2.0/24",       /* IPv4 */
    "nat64/96",
    "2001:db8::1/96",     /* bits past the length */
    "2001:db8::/32/1",
    "64:ff9b:0:0:100::/96", /* the u-octet */
    "",
  };
  RpNat64Prefix p;
  g_autofree char *wkp = rp_nat64_prefix_to_string (&rp_nat64_well_known_prefix);
  g_autofree char *round = NULL;

  g_assert_cmpstr (wkp, ==, "64:ff9b::/96");
  p = prefix_of ("2001:db8:122:300::/56");
  round = rp_nat64_prefix_to_string (&p);
  g_assert_cmpstr (round, ==, "2001:db8:122:300::/56");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_false (rp_nat64_prefix_parse (bad[i], &p, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_null (strchr (error->message, '\n'));
  }
  g_assert_false (rp_nat64_prefix_parse (NULL, &p, NULL));
  for (guint l = 0; l <= 128; l++)
    g_assert_cmpint (rp_nat64_prefix_length_valid (l), ==,
                     l == 32 || l == 40 || l == 48 || l == 56 || l == 64 || l == 96);
}

static guint
discover (const char *const *answers, RpNat64Prefix *out, guint max)
{
  guint n = g_strv_length ((char **) answers);
  g_autofree guint8 *buf = g_malloc0 (16 * (n + 1));

  for (guint i = 0; i < n; i++)
    bytes_of (answers[i], buf + 16 * i);
  return rp_nat64_discover (buf, n, out, max);
}

static void
assert_prefix (const RpNat64Prefix *p, const char *want)
{
  g_autofree char *s = rp_nat64_prefix_to_string (p);
  g_assert_cmpstr (s, ==, want);
}

static void
test_discover (void)
{
  RpNat64Prefix out[RP_NAT64_MAX_PREFIXES];

  /* The well-known prefix: both answers teach the same prefix, said once. */
  {
    const char *const a[] = { "64:ff9b::c000:aa", "64:ff9b::c000:ab", NULL };
    g_assert_cmpuint (discover (a, out, G_N_ELEMENTS (out)), ==, 1);
    assert_prefix (&out[0], "64:ff9b::/96");
  }
  /* Every RFC 6052 length, with 192.0.0.170 synthesized under it. */
  for (guint i = 0; i < G_N_ELEMENTS (rfc6052_table); i++) {
    RpNat64Prefix p = prefix_of (rfc6052_table[i].prefix);
    static const guint8 wka[4] = { 192, 0, 0, 170 };
    guint8 addr[16];
    g_assert_true (rp_nat64_synthesize (&p, wka, addr));
    g_assert_cmpuint (rp_nat64_discover (addr, 1, out, G_N_ELEMENTS (out)), ==, 1);
    assert_prefix (&out[0], rfc6052_table[i].prefix);
  }
  /* Two NAT64 prefixes (two NAT64s): both, in answer order. */
  {
    const char *const a[] = { "2001:db8:64::c000:aa", "64:ff9b:1::c000:ab", "64:ff9b::c000:aa",
                              NULL };
    g_assert_cmpuint (discover (a, out, G_N_ELEMENTS (out)), ==, 3);
    assert_prefix (&out[0], "2001:db8:64::/96");
    assert_prefix (&out[1], "64:ff9b:1::/96");
    assert_prefix (&out[2], "64:ff9b::/96");
    g_assert_cmpuint (discover (a, out, 2), ==, 2);
  }
  /* A real AAAA record for the name (no WKA): no prefix, not an error. */
  {
    const char *const a[] = { "2001:db8::1", "::ffff:192.0.0.170", "::c000:aa", NULL };
    g_assert_cmpuint (discover (a, out, G_N_ELEMENTS (out)), ==, 0);
  }
  /* The prefix 2001:db8:c000:aa::/64 holds 192.0.0.170's bytes at the /32
   * position: .170 alone is ambiguous; .171 settles it at /64. */
  {
    const char *const alone[] = { "2001:db8:c000:aa:c0:0:aa00:0", NULL };
    const char *const both[] = { "2001:db8:c000:aa:c0:0:aa00:0",
                                 "2001:db8:c000:aa:c0:0:ab00:0", NULL };
    g_assert_cmpuint (discover (alone, out, G_N_ELEMENTS (out)), ==, 0);
    g_assert_cmpuint (discover (both, out, G_N_ELEMENTS (out)), ==, 1);
    assert_prefix (&out[0], "2001:db8:c000:aa::/64");
  }
  g_assert_cmpuint (rp_nat64_discover (NULL, 0, out, G_N_ELEMENTS (out)), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nat64/synthesize-rfc6052-table", test_synthesize_table);
  g_test_add_func ("/nat64/extract-rfc6052-table", test_extract_table);
  g_test_add_func ("/nat64/extract-refuses", test_extract_refuses);
  g_test_add_func ("/nat64/well-known-and-local-use", test_prefixes_recognised);
  g_test_add_func ("/nat64/prefix-text", test_prefix_text);
  g_test_add_func ("/nat64/discover-rfc7050", test_discover);
  return g_test_run ();
}
