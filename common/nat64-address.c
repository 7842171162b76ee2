/* IPv4-embedded IPv6 addresses (nat64-address.h). RFC 6052 2.2: the IPv4
 * address follows the prefix, skipping bits 64-71 (the u-octet, zero), and
 * what is left after it is the suffix (zero). RFC 7050 3: the prefix is
 * where the well-known addresses 192.0.0.170 and 192.0.0.171 sit in the
 * AAAA answers for ipv4only.arpa. */
#include "common/nat64-address.h"

#include <string.h>

#include <gio/gio.h>

#define U_OCTET 8

const RpNat64Prefix rp_nat64_well_known_prefix = {
  { 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 96
};

static const guint8 wka[2][4] = { { 192, 0, 0, 170 }, { 192, 0, 0, 171 } };
static const guint lengths[] = { 32, 40, 48, 56, 64, 96 };

gboolean
rp_nat64_prefix_length_valid (guint length)
{
  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    if (lengths[i] == length)
      return TRUE;
  return FALSE;
}

/* The byte of the address that holds IPv4 octet i for a prefix of length bits. */
static guint
octet_position (guint length, guint i)
{
  guint pos = length / 8 + i;

  return pos >= U_OCTET && length < 96 ? pos + 1 : pos;
}

gboolean
rp_nat64_prefix_valid (const RpNat64Prefix *prefix)
{
  if (prefix == NULL || !rp_nat64_prefix_length_valid (prefix->length))
    return FALSE;
  for (guint i = prefix->length / 8; i < 16; i++)
    if (prefix->bytes[i] != 0)
      return FALSE;
  return prefix->bytes[U_OCTET] == 0;
}

gboolean
rp_nat64_prefix_parse (const char *text, RpNat64Prefix *out, GError **error)
{
  const char *slash = text != NULL ? strchr (text, '/') : NULL;
  g_autofree char *addr = NULL;
  g_autoptr (GInetAddress) a = NULL;
  guint64 length = 0;
  char *end = NULL;

  if (slash == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "NAT64 prefix: no /length (e.g. 64:ff9b::/96)");
    return FALSE;
  }
  addr = g_strndup (text, slash - text);
  a = g_inet_address_new_from_string (addr);
  if (a == NULL || g_inet_address_get_family (a) != G_SOCKET_FAMILY_IPV6) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "NAT64 prefix: not an IPv6 address before the /");
    return FALSE;
  }
  if (!g_ascii_isdigit (slash[1]) || (length = g_ascii_strtoull (slash + 1, &end, 10)) > 128
      || *end != '\0' || !rp_nat64_prefix_length_valid ((guint) length)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "NAT64 prefix: the length must be 32, 40, 48, 56, 64 or 96 (RFC 6052)");
    return FALSE;
  }
  memcpy (out->bytes, g_inet_address_to_bytes (a), 16);
  out->length = (guint) length;
  if (!rp_nat64_prefix_valid (out)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "NAT64 prefix: bits past the length, or bits 64-71, are not zero");
    return FALSE;
  }
  return TRUE;
}

char *
rp_nat64_prefix_to_string (const RpNat64Prefix *prefix)
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_bytes (prefix->bytes, G_SOCKET_FAMILY_IPV6);
  g_autofree char *s = g_inet_address_to_string (a);

  return g_strdup_printf ("%s/%u", s, prefix->length);
}

gboolean
rp_nat64_prefix_equal (const RpNat64Prefix *a, const RpNat64Prefix *b)
{
  return a->length == b->length && memcmp (a->bytes, b->bytes, 16) == 0;
}

gboolean
rp_nat64_synthesize (const RpNat64Prefix *prefix, const guint8 ipv4[4], guint8 out[16])
{
  if (!rp_nat64_prefix_valid (prefix))
    return FALSE;
  memset (out, 0, 16);
  memcpy (out, prefix->bytes, prefix->length / 8);
  for (guint i = 0; i < 4; i++)
    out[octet_position (prefix->length, i)] = ipv4[i];
  return TRUE;
}

gboolean
rp_nat64_extract (const RpNat64Prefix *prefix, const guint8 ipv6[16], guint8 ipv4[4])
{
  if (!rp_nat64_prefix_valid (prefix) || memcmp (ipv6, prefix->bytes, prefix->length / 8) != 0
      || ipv6[U_OCTET] != 0)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    ipv4[i] = ipv6[octet_position (prefix->length, i)];
  return TRUE;
}

gboolean
rp_nat64_is_well_known (const guint8 ipv6[16])
{
  return memcmp (ipv6, rp_nat64_well_known_prefix.bytes, 12) == 0;
}

gboolean
rp_nat64_is_local_use (const guint8 ipv6[16])
{
  static const guint8 local_use[6] = { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 };

  return memcmp (ipv6, local_use, sizeof local_use) == 0;
}

/* Which well-known address (0: .170, 1: .171, -1: neither) ipv6 embeds at
 * each prefix length of lengths[], and the prefix there. The suffix is not
 * looked at: RFC 7050 3 searches every position. */
static guint
candidates (const guint8 ipv6[16], RpNat64Prefix out[G_N_ELEMENTS (lengths)],
            int which[G_N_ELEMENTS (lengths)])
{
  static const guint8 mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  /* ::ffff:0:0/96 (IPv4-mapped, RFC 4291 2.5.5.2) and ::/96 (IPv4-compatible)
   * carry IPv4 addresses, but no translator. */
  gboolean mapped = memcmp (ipv6, mapped_prefix, 12) == 0
                    || (memcmp (ipv6, mapped_prefix, 10) == 0 && ipv6[10] == 0 && ipv6[11] == 0);
  guint count = 0;

  for (guint l = 0; l < G_N_ELEMENTS (lengths); l++) {
    RpNat64Prefix *p = &out[l];
    guint8 v4[4];

    memset (p, 0, sizeof *p);
    p->length = lengths[l];
    memcpy (p->bytes, ipv6, lengths[l] / 8);
    which[l] = -1;
    if (mapped || !rp_nat64_extract (p, ipv6, v4))
      continue;
    for (int w = 0; w < 2; w++)
      if (memcmp (v4, wka[w], 4) == 0)
        which[l] = w;
    count += which[l] >= 0;
  }
  return count;
}

static guint
add_unique (RpNat64Prefix *out, guint n, guint max, const RpNat64Prefix *p)
{
  for (guint i = 0; i < n; i++)
    if (rp_nat64_prefix_equal (&out[i], p))
      return n;
  if (n < max)
    out[n++] = *p;
  return n;
}

guint
rp_nat64_discover (const guint8 *answers, gsize n, RpNat64Prefix *out, guint max)
{
  guint found = 0;

  for (gsize a = 0; a < n; a++) {
    RpNat64Prefix mine[G_N_ELEMENTS (lengths)];
    int which[G_N_ELEMENTS (lengths)];
    guint count = candidates (answers + 16 * a, mine, which);

    /* RFC 7050 3: a well-known address found at several positions (the
     * prefix itself holds its bytes); the true position is where another
     * answer with the same prefix bits holds the other well-known address. */
    for (gsize b = 0; b < n && count > 1; b++) {
      RpNat64Prefix theirs[G_N_ELEMENTS (lengths)];
      int other[G_N_ELEMENTS (lengths)];
      guint shared = 0, keep = 0;

      if (b == a)
        continue;
      candidates (answers + 16 * b, theirs, other);
      for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
        if (which[l] >= 0 && other[l] >= 0 && other[l] != which[l]
            && rp_nat64_prefix_equal (&mine[l], &theirs[l])) {
          shared++;
          keep = l;
        }
      if (shared == 1) {
        for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
          which[l] = l == keep ? which[l] : -1;
        count = 1;
      }
    }
    if (count != 1)
      continue;
    for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
      if (which[l] >= 0)
        found = add_unique (out, found, max, &mine[l]);
  }
  return found;
}
