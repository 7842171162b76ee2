/* IPv4-embedded IPv6 addresses (RFC 6052) and NAT64 prefix discovery from
 * the AAAA answers for ipv4only.arpa (RFC 7050 section 3). Sans-I/O: bytes
 * in, bytes out; the lookup itself is the caller's (probe/core/vantage-network.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A NAT64 prefix: the first `length` bits of `bytes` (the rest zero). */
typedef struct {
  guint8 bytes[16];
  guint length; /* 32, 40, 48, 56, 64 or 96 (RFC 6052 2.2) */
} RpNat64Prefix;

/* RFC 6052 2.1: 64:ff9b::/96. */
extern const RpNat64Prefix rp_nat64_well_known_prefix;

/* 32, 40, 48, 56, 64 or 96. */
gboolean rp_nat64_prefix_length_valid (guint length);

/* A usable prefix: valid length, bits past the length zero, and the u-octet
 * (bits 64-71) zero (RFC 6052 2.2). */
gboolean rp_nat64_prefix_valid (const RpNat64Prefix *prefix);

/* "64:ff9b::/96" -> prefix; G_IO_ERROR_INVALID_ARGUMENT with a one-line
 * message naming what is wrong otherwise. */
gboolean rp_nat64_prefix_parse (const char *text, RpNat64Prefix *out, GError **error);

/* "64:ff9b::/96" (new string). */
char *rp_nat64_prefix_to_string (const RpNat64Prefix *prefix);

gboolean rp_nat64_prefix_equal (const RpNat64Prefix *a, const RpNat64Prefix *b);

/* RFC 6052 2.2: the IPv6 address that embeds ipv4 under prefix (u-octet and
 * suffix zero). FALSE when the prefix is not valid. */
gboolean rp_nat64_synthesize (const RpNat64Prefix *prefix, const guint8 ipv4[4], guint8 out[16]);

/* RFC 6052 2.2, the other way: the IPv4 address embedded in ipv6, when ipv6
 * starts with the prefix and its u-octet is zero. */
gboolean rp_nat64_extract (const RpNat64Prefix *prefix, const guint8 ipv6[16], guint8 ipv4[4]);

/* Under 64:ff9b::/96 (RFC 6052 2.1). */
gboolean rp_nat64_is_well_known (const guint8 ipv6[16]);

/* Under the local-use prefix 64:ff9b:1::/48 (RFC 8215). */
gboolean rp_nat64_is_local_use (const guint8 ipv6[16]);

/* At most this many distinct prefixes are learnt from one answer. */
#define RP_NAT64_MAX_PREFIXES 8

/* RFC 7050 3: the prefixes embedding the well-known IPv4 addresses
 * 192.0.0.170 or 192.0.0.171 in the n AAAA answers (16 bytes each) for
 * ipv4only.arpa. An answer where a well-known address sits at more than
 * one prefix length is settled by the other answers (RFC 7050 3: the
 * second well-known address); one that stays ambiguous, and answers that
 * embed neither address, teach nothing. Writes up to max prefixes in
 * answer order, without duplicates, and returns their number. */
guint rp_nat64_discover (const guint8 *answers, gsize n, RpNat64Prefix *out, guint max);

G_END_DECLS
