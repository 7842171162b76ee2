/* Fuzz target for common/nat64-address.c: the input as the AAAA answers for
 * ipv4only.arpa (16 bytes each) gives at most RP_NAT64_MAX_PREFIXES valid,
 * distinct prefixes, each of which embeds and gives back a well-known
 * address; the input as text either fails rp_nat64_prefix_parse() with a
 * one-line G_IO_ERROR_INVALID_ARGUMENT or parses to a prefix whose text form
 * parses back to the same prefix. */
#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

#include "common/nat64-address.h"

static void
check_prefix (const RpNat64Prefix *p)
{
  static const guint8 wka[4] = { 192, 0, 0, 171 };
  guint8 addr[16], back[4];
  g_autofree char *text = rp_nat64_prefix_to_string (p);
  g_autoptr (GError) error = NULL;
  RpNat64Prefix again;

  g_assert_true (rp_nat64_prefix_valid (p));
  g_assert_true (rp_nat64_synthesize (p, wka, addr));
  g_assert_true (rp_nat64_extract (p, addr, back));
  g_assert_cmpmem (back, 4, wka, 4);
  g_assert_true (rp_nat64_prefix_parse (text, &again, &error));
  g_assert_no_error (error);
  g_assert_true (rp_nat64_prefix_equal (p, &again));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  RpNat64Prefix found[RP_NAT64_MAX_PREFIXES], parsed;
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  guint n = rp_nat64_discover (data, size / 16, found, G_N_ELEMENTS (found));

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (found));
  for (guint i = 0; i < n; i++) {
    check_prefix (&found[i]);
    for (guint j = 0; j < i; j++)
      g_assert_false (rp_nat64_prefix_equal (&found[i], &found[j]));
  }
  if (rp_nat64_prefix_parse (text, &parsed, &error)) {
    g_assert_no_error (error);
    check_prefix (&parsed);
  } else {
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_null (strchr (error->message, '\n'));
  }
  return 0;
}
