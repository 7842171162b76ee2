/* Tests for the STUN parser, accessors, integrity and fingerprint checks:
 * every RFC 5769 test vector (decoded values and credentials as the RFC
 * documents them), responses captured from coturn 4.6.1, and truncated,
 * tampered and hostile input. */
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

#include "stun/stun-message.h"

#ifndef RP_TEST_DATA
#define RP_TEST_DATA "tests/data"
#endif

/* RFC 5769 2.1: Binding request, short-term credentials.
 * USERNAME "evtj:h6vY" is padded with 0x20, as in the RFC. */
static const guint8 rfc5769_request[] = {
  0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
  0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
  0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
  0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,             /* SOFTWARE */
  0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,             /* PRIORITY */
  0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, /* ICE-CONTROLLED */
  0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
  0x59, 0x20, 0x20, 0x20,                                     /* USERNAME */
  0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56,
  0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, /* M-I */
  0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,             /* FINGERPRINT */
};

/* RFC 5769 2.2: Binding success, IPv4 XOR-MAPPED-ADDRESS 192.0.2.1:32853 */
static const guint8 rfc5769_response_v4[] = {
  0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
  0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
  0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
  0x74, 0x6f, 0x72, 0x20,                                     /* SOFTWARE */
  0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, /* XOR-MAPPED */
  0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
  0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, /* M-I */
  0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,             /* FINGERPRINT */
};

/* RFC 5769 2.3: Binding success, IPv6 XOR-MAPPED-ADDRESS
 * [2001:db8:1234:5678:11:2233:4455:6677]:32853 */
static const guint8 rfc5769_response_v6[] = {
  0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
  0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
  0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
  0x74, 0x6f, 0x72, 0x20,                                     /* SOFTWARE */
  0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
  0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, /* XOR-MAPPED */
  0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
  0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41, /* M-I */
  0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,             /* FINGERPRINT */
};

/* RFC 5769 2.4: Binding request with long-term credentials */
static const guint8 rfc5769_request_ltc[] = {
  0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33,
  0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
  0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83,
  0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, /* USERNAME */
  0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39,
  0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46,
  0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41,             /* NONCE */
  0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e,
  0x6f, 0x72, 0x67, 0x00,                                     /* REALM */
  0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e,
  0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66, /* M-I */
};

static const char rfc5769_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const guint8 rfc5769_tid[] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                      0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };
/* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 */
static const char rfc5769_ltc_user[] =
  "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";

static void
parse_ok (const guint8 *buf, gsize len, RpStunMessage *msg)
{
  g_assert_cmpint (rp_stun_message_parse (buf, len, msg), ==, RP_STUN_PARSE_OK);
}

static void
assert_address (const RpStunAddress *a, const char *want)
{
  char s[64];

  g_assert_cmpstr (rp_stun_address_to_string (a, s, sizeof s), ==, want);
}

static void
assert_string (const RpStunMessage *msg, guint16 type, const char *want)
{
  g_autofree char *s = rp_stun_message_get_string (msg, type);

  g_assert_cmpstr (s, ==, want);
}

static void
test_rfc5769_request (void)
{
  RpStunMessage msg;
  guint32 prio = 0;

  parse_ok (rfc5769_request, sizeof rfc5769_request, &msg);
  g_assert_cmpuint (msg.method, ==, RP_STUN_BINDING);
  g_assert_cmpint (msg.klass, ==, RP_STUN_REQUEST);
  g_assert_cmpmem (msg.tid, RP_STUN_TID_LEN, rfc5769_tid, sizeof rfc5769_tid);
  g_assert_cmpuint (msg.len, ==, sizeof rfc5769_request);
  g_assert_cmpuint (msg.n_attrs, ==, 6);
  g_assert_cmpuint (msg.n_unknown_required, ==, 0);
  assert_string (&msg, RP_STUN_ATTR_SOFTWARE, "STUN test client");
  assert_string (&msg, RP_STUN_ATTR_USERNAME, "evtj:h6vY");
  g_assert_true (rp_stun_message_get_u32 (&msg, RP_STUN_ATTR_PRIORITY, &prio));
  g_assert_cmphex (prio, ==, 0x6e0001ff);
  g_assert_cmpuint (rp_stun_message_find (&msg, RP_STUN_ATTR_ICE_CONTROLLED)->len, ==, 8);
  g_assert_null (rp_stun_message_find (&msg, RP_STUN_ATTR_XOR_MAPPED_ADDRESS));

  g_assert_cmpint (rp_stun_message_check_integrity (&msg, (const guint8 *) rfc5769_password,
                                                    strlen (rfc5769_password)),
                   ==, RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (
    rp_stun_message_check_integrity (&msg, (const guint8 *) "VOkJxbRl1RmTxUk/WvJxBT", 22), ==,
    RP_STUN_INTEGRITY_MISMATCH);
  g_assert_cmpint (rp_stun_message_check_integrity_sha256 (&msg, (const guint8 *) rfc5769_password,
                                                           strlen (rfc5769_password)),
                   ==, RP_STUN_INTEGRITY_ABSENT);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_OK);
}

static void
check_response (const guint8 *buf, gsize len, const char *want_addr)
{
  RpStunMessage msg;
  RpStunAddress a;

  parse_ok (buf, len, &msg);
  g_assert_cmpuint (msg.method, ==, RP_STUN_BINDING);
  g_assert_cmpint (msg.klass, ==, RP_STUN_SUCCESS);
  g_assert_cmpmem (msg.tid, RP_STUN_TID_LEN, rfc5769_tid, sizeof rfc5769_tid);
  assert_string (&msg, RP_STUN_ATTR_SOFTWARE, "test vector");
  g_assert_true (rp_stun_message_get_mapped_address (&msg, &a));
  assert_address (&a, want_addr);
  g_assert_cmpuint (a.port, ==, 32853);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, (const guint8 *) rfc5769_password,
                                                    strlen (rfc5769_password)),
                   ==, RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_OK);
}

static void
test_rfc5769_response_v4 (void)
{
  check_response (rfc5769_response_v4, sizeof rfc5769_response_v4, "192.0.2.1:32853");
}

static void
test_rfc5769_response_v6 (void)
{
  RpStunMessage msg;
  RpStunAddress a;
  const guint8 want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };

  check_response (rfc5769_response_v6, sizeof rfc5769_response_v6,
                  "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  parse_ok (rfc5769_response_v6, sizeof rfc5769_response_v6, &msg);
  g_assert_true (rp_stun_attr_get_address (
    &msg, rp_stun_message_find (&msg, RP_STUN_ATTR_XOR_MAPPED_ADDRESS), &a));
  g_assert_cmpint (a.family, ==, AF_INET6);
  g_assert_cmpmem (a.addr, 16, want, 16);
}

static void
test_rfc5769_long_term (void)
{
  RpStunMessage msg;
  guint8 key[16];
  /* MD5 of the UTF-8 string user ":" realm ":" password, computed apart */
  const guint8 want_key[16] = { 0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
                                0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9 };

  parse_ok (rfc5769_request_ltc, sizeof rfc5769_request_ltc, &msg);
  g_assert_cmpint (msg.klass, ==, RP_STUN_REQUEST);
  assert_string (&msg, RP_STUN_ATTR_USERNAME, rfc5769_ltc_user);
  assert_string (&msg, RP_STUN_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA");
  assert_string (&msg, RP_STUN_ATTR_REALM, "example.org");

  /* RFC 5769 2.4 (with its errata): the password is "TheMatrIX" once
   * SASLprep'd */
  rp_stun_long_term_key (rfc5769_ltc_user, "example.org", "TheMatrIX", key);
  g_assert_cmpmem (key, 16, want_key, 16);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, sizeof key), ==,
                   RP_STUN_INTEGRITY_OK);
  rp_stun_long_term_key (rfc5769_ltc_user, "example.org", "TheMatrix", key);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, sizeof key), ==,
                   RP_STUN_INTEGRITY_MISMATCH);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_ABSENT);
}

/* Flipping any bit anywhere must be caught: by the parser, or by the
 * integrity check, or (for the fingerprint itself) by the fingerprint. */
static void
test_tamper_every_byte (void)
{
  const guint8 *vectors[] = { rfc5769_request, rfc5769_response_v4, rfc5769_response_v6 };
  const gsize sizes[] = { sizeof rfc5769_request, sizeof rfc5769_response_v4,
                          sizeof rfc5769_response_v6 };

  for (gsize v = 0; v < G_N_ELEMENTS (vectors); v++) {
    for (gsize i = 0; i < sizes[v]; i++) {
      for (guint bit = 0; bit < 8; bit++) {
        g_autofree guint8 *copy = g_memdup2 (vectors[v], sizes[v]);
        RpStunMessage msg;
        RpStunIntegrity mi, fp;

        copy[i] ^= (guint8) (1u << bit);
        if (rp_stun_message_parse (copy, sizes[v], &msg) != RP_STUN_PARSE_OK)
          continue;
        mi = rp_stun_message_check_integrity (&msg, (const guint8 *) rfc5769_password,
                                              strlen (rfc5769_password));
        fp = rp_stun_message_check_fingerprint (&msg);
        if (mi == RP_STUN_INTEGRITY_OK && fp == RP_STUN_INTEGRITY_OK)
          g_error ("vector %" G_GSIZE_FORMAT ": flipping bit %u of byte %" G_GSIZE_FORMAT
                   " went unnoticed",
                   v, bit, i);
        /* a byte covered by the HMAC must fail the HMAC itself, unless the
         * flip shortened the length field to end right after
         * MESSAGE-INTEGRITY: that is the genuine message minus FINGERPRINT */
        if (i < sizes[v] - 8 && msg.len == sizes[v])
          g_assert_cmpint (mi, !=, RP_STUN_INTEGRITY_OK);
      }
    }
  }
}

static void
test_truncated_every_length (void)
{
  const guint8 *vectors[] = { rfc5769_request, rfc5769_response_v4, rfc5769_response_v6,
                              rfc5769_request_ltc };
  const gsize sizes[] = { sizeof rfc5769_request, sizeof rfc5769_response_v4,
                          sizeof rfc5769_response_v6, sizeof rfc5769_request_ltc };

  for (gsize v = 0; v < G_N_ELEMENTS (vectors); v++) {
    for (gsize n = 0; n < sizes[v]; n++) {
      /* exact-size heap copy so ASan reports any read past n */
      g_autofree guint8 *copy = g_memdup2 (vectors[v], n > 0 ? n : 1);
      RpStunMessage msg;

      g_assert_cmpint (rp_stun_message_parse (n > 0 ? copy : NULL, n, &msg), ==,
                       RP_STUN_PARSE_TRUNCATED);
      g_assert_cmpint (rp_stun_message_parse (copy, n, &msg), ==, RP_STUN_PARSE_TRUNCATED);
      /* on a stream the length is known as soon as 4 bytes are in */
      g_assert_cmpint (rp_stun_frame_length (copy, n), ==, n < 4 ? 0 : (gssize) sizes[v]);
    }
  }
}

static void
test_not_stun (void)
{
  RpStunMessage msg;
  guint8 buf[sizeof rfc5769_request];

  /* an RTP packet (version 2) */
  memcpy (buf, rfc5769_request, sizeof buf);
  buf[0] = 0x80;
  g_assert_cmpint (rp_stun_message_parse (buf, sizeof buf, &msg), ==, RP_STUN_PARSE_NOT_STUN);
  g_assert_cmpint (rp_stun_message_parse (buf, 1, &msg), ==, RP_STUN_PARSE_NOT_STUN);
  /* a wrong cookie (RFC 3489 style) */
  memcpy (buf, rfc5769_request, sizeof buf);
  buf[7] ^= 1;
  g_assert_cmpint (rp_stun_message_parse (buf, sizeof buf, &msg), ==, RP_STUN_PARSE_NOT_STUN);
  g_assert_cmpint (rp_stun_message_parse (buf, 8, &msg), ==, RP_STUN_PARSE_NOT_STUN);
  g_assert_cmpint (rp_stun_frame_length (buf, sizeof buf), ==, -1);
}

static void
test_bad_length (void)
{
  RpStunMessage msg;
  guint8 buf[sizeof rfc5769_request + 2];

  memcpy (buf, rfc5769_request, sizeof rfc5769_request);
  buf[3] = 0x5a; /* 90: not a multiple of 4 */
  g_assert_cmpint (rp_stun_message_parse (buf, sizeof buf, &msg), ==, RP_STUN_PARSE_BAD_LENGTH);
  g_assert_cmpint (rp_stun_frame_length (buf, sizeof buf), ==, -1);
  /* a length bigger than the datagram */
  buf[3] = 0x5c;
  g_assert_cmpint (rp_stun_message_parse (buf, sizeof rfc5769_request, &msg), ==,
                   RP_STUN_PARSE_TRUNCATED);
}

/* header of a Binding success with the given length field */
static void
put_header (guint8 *buf, guint16 mlen)
{
  const guint8 hdr[RP_STUN_HEADER_LEN] = { 0x01, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42,
                                           1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

  memcpy (buf, hdr, sizeof hdr);
  buf[2] = (guint8) (mlen >> 8);
  buf[3] = (guint8) mlen;
}

static void
put_attr (guint8 *p, guint16 type, guint16 len)
{
  p[0] = (guint8) (type >> 8);
  p[1] = (guint8) type;
  p[2] = (guint8) (len >> 8);
  p[3] = (guint8) len;
}

static void
test_attribute_past_end (void)
{
  RpStunMessage msg;
  guint8 buf[RP_STUN_HEADER_LEN + 12] = { 0 };

  /* value of 9 bytes in an 8-byte body */
  put_header (buf, 12);
  put_attr (buf + 20, RP_STUN_ATTR_SOFTWARE, 9);
  g_assert_cmpint (rp_stun_message_parse (buf, sizeof buf, &msg), ==, RP_STUN_PARSE_BAD_ATTRIBUTE);
  /* value fits but its padding does not (5 -> 8 bytes, 4 left after the header... ) */
  put_header (buf, 8);
  put_attr (buf + 20, RP_STUN_ATTR_SOFTWARE, 5);
  g_assert_cmpint (rp_stun_message_parse (buf, 28, &msg), ==, RP_STUN_PARSE_BAD_ATTRIBUTE);
  /* the largest value length */
  put_attr (buf + 20, RP_STUN_ATTR_SOFTWARE, 0xFFFF);
  g_assert_cmpint (rp_stun_message_parse (buf, 28, &msg), ==, RP_STUN_PARSE_BAD_ATTRIBUTE);
  /* exactly filling the body is fine */
  put_header (buf, 12);
  put_attr (buf + 20, RP_STUN_ATTR_SOFTWARE, 8);
  parse_ok (buf, sizeof buf, &msg);
  g_assert_cmpuint (msg.n_attrs, ==, 1);
  g_assert_cmpuint (msg.attrs[0].offset, ==, 20);
}

static void
test_too_many_attributes (void)
{
  guint8 buf[RP_STUN_HEADER_LEN + 4 * (RP_STUN_MAX_ATTRS + 1)] = { 0 };
  RpStunMessage msg;

  for (guint i = 0; i <= RP_STUN_MAX_ATTRS; i++)
    put_attr (buf + 20 + 4 * i, 0x8030, 0);
  put_header (buf, 4 * RP_STUN_MAX_ATTRS);
  parse_ok (buf, RP_STUN_HEADER_LEN + 4 * RP_STUN_MAX_ATTRS, &msg);
  g_assert_cmpuint (msg.n_attrs, ==, RP_STUN_MAX_ATTRS);
  put_header (buf, 4 * (RP_STUN_MAX_ATTRS + 1));
  g_assert_cmpint (rp_stun_message_parse (buf, sizeof buf, &msg), ==, RP_STUN_PARSE_TOO_MANY_ATTRS);
}

static void
test_unknown_required (void)
{
  guint8 buf[RP_STUN_HEADER_LEN + 6 * 4 + 24 + 4] = { 0 };
  RpStunMessage msg;
  gsize off = 20;
  const guint16 types[] = {
    0x0030, 0x8030, 0x0030, 0x7FFF, RP_STUN_ATTR_LIFETIME, RP_STUN_ATTR_USERNAME
  };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++, off += 4)
    put_attr (buf + off, types[i], 0);
  put_attr (buf + off, RP_STUN_ATTR_MESSAGE_INTEGRITY, 20);
  off += 24;
  /* RFC 8489 14.5: ignored after MESSAGE-INTEGRITY, so not reported */
  put_attr (buf + off, 0x0031, 0);
  off += 4;
  put_header (buf, (guint16) (off - 20));
  parse_ok (buf, off, &msg);
  g_assert_cmpuint (msg.n_unknown_required, ==, 2);
  g_assert_cmphex (msg.unknown_required[0], ==, 0x0030);
  g_assert_cmphex (msg.unknown_required[1], ==, 0x7FFF);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, (const guint8 *) "k", 1), ==,
                   RP_STUN_INTEGRITY_MALFORMED);
}

static void
test_ignored_after_integrity (void)
{
  /* XOR-MAPPED-ADDRESS appended after MESSAGE-INTEGRITY must not be used */
  guint8 buf[RP_STUN_HEADER_LEN + 24 + 12 + 8] = { 0 };
  RpStunMessage msg;
  RpStunAddress a;

  put_attr (buf + 20, RP_STUN_ATTR_MESSAGE_INTEGRITY, 20);
  put_attr (buf + 44, RP_STUN_ATTR_XOR_MAPPED_ADDRESS, 8);
  buf[49] = 0x01;
  put_attr (buf + 56, RP_STUN_ATTR_FINGERPRINT, 4);
  put_header (buf, sizeof buf - 20);
  parse_ok (buf, sizeof buf, &msg);
  g_assert_cmpuint (msg.n_attrs, ==, 3);
  g_assert_null (rp_stun_message_find (&msg, RP_STUN_ATTR_XOR_MAPPED_ADDRESS));
  g_assert_false (rp_stun_message_get_mapped_address (&msg, &a));
  g_assert_nonnull (rp_stun_message_find (&msg, RP_STUN_ATTR_FINGERPRINT));
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, (const guint8 *) "k", 1), ==,
                   RP_STUN_INTEGRITY_MALFORMED);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_MALFORMED);
}

static void
test_fingerprint_not_last (void)
{
  guint8 buf[sizeof rfc5769_response_v4 + 8];
  RpStunMessage msg;

  memcpy (buf, rfc5769_response_v4, sizeof rfc5769_response_v4);
  put_attr (buf + sizeof rfc5769_response_v4, RP_STUN_ATTR_LIFETIME, 4);
  memset (buf + sizeof rfc5769_response_v4 + 4, 0, 4);
  put_header (buf, sizeof buf - 20);
  buf[0] = 0x01;
  buf[1] = 0x01;
  parse_ok (buf, sizeof buf, &msg);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_MALFORMED);
  g_assert_false (rp_stun_message_get_u32 (&msg, RP_STUN_ATTR_LIFETIME, &(guint32) { 0 }));
}

static void
test_address_malformed (void)
{
  guint8 buf[RP_STUN_HEADER_LEN + 24] = { 0 };
  RpStunMessage msg;
  RpStunAddress a;

  put_header (buf, 24);
  put_attr (buf + 20, RP_STUN_ATTR_XOR_MAPPED_ADDRESS, 20);
  /* family 3 does not exist */
  buf[25] = 0x03;
  parse_ok (buf, sizeof buf, &msg);
  g_assert_false (rp_stun_attr_get_address (&msg, &msg.attrs[0], &a));
  /* IPv4 family with an IPv6-sized value */
  buf[25] = 0x01;
  parse_ok (buf, sizeof buf, &msg);
  g_assert_false (rp_stun_attr_get_address (&msg, &msg.attrs[0], &a));
  /* IPv6 with a short value */
  put_attr (buf + 20, RP_STUN_ATTR_MAPPED_ADDRESS, 16);
  buf[25] = 0x02;
  put_header (buf, 20);
  parse_ok (buf, 40, &msg);
  g_assert_false (rp_stun_attr_get_address (&msg, &msg.attrs[0], &a));
  g_assert_false (rp_stun_message_get_mapped_address (&msg, &a));
  g_assert_false (rp_stun_attr_get_address (&msg, NULL, &a));
}

static void
test_mapped_address_fallback (void)
{
  /* RFC 3489-era server: MAPPED-ADDRESS only, plain (not XOR'd) */
  guint8 buf[RP_STUN_HEADER_LEN + 12] = { 0 };
  RpStunMessage msg;
  RpStunAddress a;

  put_header (buf, 12);
  put_attr (buf + 20, RP_STUN_ATTR_MAPPED_ADDRESS, 8);
  buf[25] = 0x01;
  buf[26] = 0x0d;
  buf[27] = 0x96; /* 3478 */
  buf[28] = 198;
  buf[29] = 51;
  buf[30] = 100;
  buf[31] = 7;
  parse_ok (buf, sizeof buf, &msg);
  g_assert_true (rp_stun_message_get_mapped_address (&msg, &a));
  assert_address (&a, "198.51.100.7:3478");
}

static void
test_error_code (void)
{
  guint8 buf[RP_STUN_HEADER_LEN + 20] = { 0 };
  RpStunMessage msg;
  guint code = 1;
  char *reason = NULL;

  put_header (buf, 20);
  buf[0] = 0x01;
  buf[1] = 0x13; /* Allocate error response */
  put_attr (buf + 20, RP_STUN_ATTR_ERROR_CODE, 16);
  buf[26] = 4;
  buf[27] = 38;
  memcpy (buf + 28, "Stale \x1bNonce", 12);
  parse_ok (buf, sizeof buf, &msg);
  g_assert_cmpuint (msg.method, ==, RP_STUN_ALLOCATE);
  g_assert_cmpint (msg.klass, ==, RP_STUN_ERROR);
  g_assert_true (rp_stun_message_get_error (&msg, &code, &reason));
  g_assert_cmpuint (code, ==, 438);
  /* the escape character is not printable */
  g_assert_cmpstr (reason, ==, "Stale \xEF\xBF\xBDNonce");
  g_clear_pointer (&reason, g_free);
  /* a NUL or a stray byte counted into the length at the end is dropped */
  memcpy (buf + 28, "Stale Nonc\x00\xff", 12);
  parse_ok (buf, sizeof buf, &msg);
  g_assert_true (rp_stun_message_get_error (&msg, &code, &reason));
  g_assert_cmpstr (reason, ==, "Stale Nonc");
  g_clear_pointer (&reason, g_free);

  /* RFC 8489 14.8: class must be 3-6 and number below 100 */
  buf[26] = 7;
  parse_ok (buf, sizeof buf, &msg);
  g_assert_false (rp_stun_message_get_error (&msg, &code, &reason));
  g_assert_null (reason);
  buf[26] = 4;
  buf[27] = 100;
  parse_ok (buf, sizeof buf, &msg);
  g_assert_false (rp_stun_message_get_error (&msg, &code, NULL));
  /* too short to hold a code */
  put_header (buf, 8);
  put_attr (buf + 20, RP_STUN_ATTR_ERROR_CODE, 3);
  parse_ok (buf, 28, &msg);
  g_assert_false (rp_stun_message_get_error (&msg, NULL, NULL));
}

static void
test_string_sanitised (void)
{
  const guint8 evil[] = { 'o', 'k', 0x00, 0xff, 0xc3, 0xa9, '\n', 0xe2, 0x82 };
  guint8 buf[RP_STUN_HEADER_LEN + 16] = { 0 };
  RpStunMessage msg;
  g_autofree char *s = NULL;

  put_header (buf, 16);
  put_attr (buf + 20, RP_STUN_ATTR_SOFTWARE, sizeof evil);
  memcpy (buf + 24, evil, sizeof evil);
  parse_ok (buf, sizeof buf, &msg);
  s = rp_stun_message_get_string (&msg, RP_STUN_ATTR_SOFTWARE);
  g_assert_true (g_utf8_validate (s, -1, NULL));
  /* NUL and 0xff inside replaced, the valid é kept; the newline and the
   * cut-off sequence after the last printable character dropped */
  g_assert_cmpstr (s, ==, "ok\xEF\xBF\xBD\xEF\xBF\xBD\xC3\xA9");
  g_assert_null (rp_stun_message_get_string (&msg, RP_STUN_ATTR_REALM));
}

static void
test_duplicates_first_wins (void)
{
  guint8 buf[RP_STUN_HEADER_LEN + 16] = { 0 };
  RpStunMessage msg;
  guint32 v = 0;

  put_header (buf, 16);
  put_attr (buf + 20, RP_STUN_ATTR_LIFETIME, 4);
  buf[27] = 1;
  put_attr (buf + 28, RP_STUN_ATTR_LIFETIME, 4);
  buf[35] = 2;
  parse_ok (buf, sizeof buf, &msg);
  g_assert_true (rp_stun_message_get_u32 (&msg, RP_STUN_ATTR_LIFETIME, &v));
  g_assert_cmpuint (v, ==, 1);
}

static void
test_frame_length (void)
{
  const guint8 cd5[] = { 0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0 };
  const guint8 cd4[] = { 0x7f, 0xff, 0x00, 0x04 };
  const guint8 cd_max[] = { 0x4f, 0xff, 0xff, 0xff };
  const guint8 rtp[] = { 0x80, 0x00, 0x00, 0x00 };
  const guint8 tls[] = { 0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00 };
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  RpStunMessage msg;
  gsize off = 0;
  guint seen = 0;

  g_assert_cmpint (rp_stun_frame_length (cd5, 3), ==, 0);
  /* RFC 8656 12.5: 4-byte header + 5 bytes, padded to 12 on a stream */
  g_assert_cmpint (rp_stun_frame_length (cd5, sizeof cd5), ==, 12);
  g_assert_cmpint (rp_stun_frame_length (cd4, sizeof cd4), ==, 8);
  g_assert_cmpint (rp_stun_frame_length (cd_max, sizeof cd_max), ==, 4 + 65536);
  g_assert_cmpint (rp_stun_frame_length (rtp, sizeof rtp), ==, -1);
  /* a TLS ClientHello starts 0x16: first bits 00, so 4 bytes cannot tell
   * it from STUN; the missing cookie does once 8 bytes are in */
  g_assert_cmpint (rp_stun_frame_length (tls, 4), ==, 0x0100 + 20);
  g_assert_cmpint (rp_stun_frame_length (tls, sizeof tls), ==, -1);
  g_assert_cmpint (rp_stun_frame_length (tls, 3), ==, 0);
  g_assert_cmpint (rp_stun_frame_length (NULL, 0), ==, 0);

  /* a TCP stream: STUN, ChannelData, STUN, framed one after the other */
  g_byte_array_append (stream, rfc5769_response_v4, sizeof rfc5769_response_v4);
  g_byte_array_append (stream, cd5, sizeof cd5);
  g_byte_array_append (stream, rfc5769_request, sizeof rfc5769_request);
  while (off < stream->len) {
    gssize n = rp_stun_frame_length (stream->data + off, stream->len - off);

    g_assert_cmpint (n, >, 0);
    if (stream->data[off] < 0x40) {
      parse_ok (stream->data + off, stream->len - off, &msg);
      g_assert_cmpuint (msg.len, ==, (gsize) n);
    }
    off += (gsize) n;
    seen++;
  }
  g_assert_cmpuint (off, ==, stream->len);
  g_assert_cmpuint (seen, ==, 3);
}

static void
test_result_strings (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (int r = RP_STUN_PARSE_OK; r <= RP_STUN_PARSE_TOO_MANY_ATTRS; r++) {
    const char *s = rp_stun_parse_result_to_string ((RpStunParseResult) r);

    g_assert_nonnull (s);
    g_assert_false (g_hash_table_contains (seen, s));
    g_hash_table_add (seen, (gpointer) s);
  }
  g_assert_nonnull (rp_stun_parse_result_to_string ((RpStunParseResult) 99));
}

static GBytes *
load (const char *name)
{
  g_autofree char *path = g_build_filename (RP_TEST_DATA, "stun", name, NULL);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error))
    g_error ("%s", error->message);
  return g_bytes_new_take (contents, len);
}

/* Responses captured from coturn 4.6.1 on loopback (user alice, password
 * secret, realm rtcprobe.test); the requests were written by an independent
 * script, not by this codec. */
static void
test_coturn_captures (void)
{
  g_autoptr (GBytes) bind = load ("coturn-binding-response.bin");
  g_autoptr (GBytes) e401 = load ("coturn-allocate-401-response.bin");
  g_autoptr (GBytes) ok = load ("coturn-allocate-ok-response.bin");
  g_autoptr (GBytes) ok_req = load ("coturn-allocate-ok-request.bin");
  g_autoptr (GBytes) refresh = load ("coturn-refresh-0-response.bin");
  const guint8 tid1[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  RpStunMessage msg;
  RpStunAddress xm, m, relayed;
  guint8 key[16];
  guint code = 0;
  guint32 lifetime = 1;
  g_autofree char *reason = NULL;
  g_autofree char *software = NULL;

  rp_stun_long_term_key ("alice", "rtcprobe.test", "secret", key);

  /* Binding: XOR-MAPPED, MAPPED, RESPONSE-ORIGIN, SOFTWARE, FINGERPRINT */
  parse_ok (g_bytes_get_data (bind, NULL), g_bytes_get_size (bind), &msg);
  g_assert_cmpint (msg.klass, ==, RP_STUN_SUCCESS);
  g_assert_cmpmem (msg.tid, RP_STUN_TID_LEN, tid1, sizeof tid1);
  g_assert_true (rp_stun_message_get_mapped_address (&msg, &xm));
  g_assert_true (
    rp_stun_attr_get_address (&msg, rp_stun_message_find (&msg, RP_STUN_ATTR_MAPPED_ADDRESS), &m));
  /* the server sent the same address plain and XOR'd: decoding agrees */
  g_assert_true (rp_stun_address_equal (&xm, &m));
  assert_address (&xm, "127.0.0.1:53327");
  g_assert_true (
    rp_stun_attr_get_address (&msg, rp_stun_message_find (&msg, RP_STUN_ATTR_RESPONSE_ORIGIN), &m));
  g_assert_cmpint (m.family, ==, AF_INET);
  software = rp_stun_message_get_string (&msg, RP_STUN_ATTR_SOFTWARE);
  g_assert_cmpstr (software, ==, "Coturn-4.6.1 'Gorst'");
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, 16), ==, RP_STUN_INTEGRITY_ABSENT);

  /* 401 with NONCE and REALM */
  parse_ok (g_bytes_get_data (e401, NULL), g_bytes_get_size (e401), &msg);
  g_assert_cmpuint (msg.method, ==, RP_STUN_ALLOCATE);
  g_assert_cmpint (msg.klass, ==, RP_STUN_ERROR);
  g_assert_true (rp_stun_message_get_error (&msg, &code, &reason));
  g_assert_cmpuint (code, ==, 401);
  g_assert_cmpstr (reason, ==, "Unauthorized");
  assert_string (&msg, RP_STUN_ATTR_REALM, "rtcprobe.test");
  assert_string (&msg, RP_STUN_ATTR_NONCE, "4312d1b6da0f79d9");

  /* the authenticated request (HMAC from Python's hmac module) verifies */
  parse_ok (g_bytes_get_data (ok_req, NULL), g_bytes_get_size (ok_req), &msg);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, 16), ==, RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_OK);

  /* Allocate success: relayed address in the lab's port range, lifetime 600 */
  parse_ok (g_bytes_get_data (ok, NULL), g_bytes_get_size (ok), &msg);
  g_assert_cmpint (msg.klass, ==, RP_STUN_SUCCESS);
  g_assert_true (rp_stun_attr_get_address (
    &msg, rp_stun_message_find (&msg, RP_STUN_ATTR_XOR_RELAYED_ADDRESS), &relayed));
  assert_address (&relayed, "127.0.0.1:45272");
  g_assert_true (rp_stun_message_get_u32 (&msg, RP_STUN_ATTR_LIFETIME, &lifetime));
  g_assert_cmpuint (lifetime, ==, 600);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, 16), ==, RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_OK);
  key[0] ^= 1;
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, 16), ==, RP_STUN_INTEGRITY_MISMATCH);
  key[0] ^= 1;

  /* Refresh with LIFETIME 0 */
  parse_ok (g_bytes_get_data (refresh, NULL), g_bytes_get_size (refresh), &msg);
  g_assert_cmpuint (msg.method, ==, RP_STUN_REFRESH);
  g_assert_true (rp_stun_message_get_u32 (&msg, RP_STUN_ATTR_LIFETIME, &lifetime));
  g_assert_cmpuint (lifetime, ==, 0);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, 16), ==, RP_STUN_INTEGRITY_OK);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stun/message/rfc5769/request", test_rfc5769_request);
  g_test_add_func ("/stun/message/rfc5769/response-ipv4", test_rfc5769_response_v4);
  g_test_add_func ("/stun/message/rfc5769/response-ipv6", test_rfc5769_response_v6);
  g_test_add_func ("/stun/message/rfc5769/long-term", test_rfc5769_long_term);
  g_test_add_func ("/stun/message/tamper-every-bit", test_tamper_every_byte);
  g_test_add_func ("/stun/message/truncated-every-length", test_truncated_every_length);
  g_test_add_func ("/stun/message/not-stun", test_not_stun);
  g_test_add_func ("/stun/message/bad-length", test_bad_length);
  g_test_add_func ("/stun/message/attribute-past-end", test_attribute_past_end);
  g_test_add_func ("/stun/message/too-many-attributes", test_too_many_attributes);
  g_test_add_func ("/stun/message/unknown-required", test_unknown_required);
  g_test_add_func ("/stun/message/ignored-after-integrity", test_ignored_after_integrity);
  g_test_add_func ("/stun/message/fingerprint-not-last", test_fingerprint_not_last);
  g_test_add_func ("/stun/message/address-malformed", test_address_malformed);
  g_test_add_func ("/stun/message/mapped-address-fallback", test_mapped_address_fallback);
  g_test_add_func ("/stun/message/error-code", test_error_code);
  g_test_add_func ("/stun/message/string-sanitised", test_string_sanitised);
  g_test_add_func ("/stun/message/duplicates-first-wins", test_duplicates_first_wins);
  g_test_add_func ("/stun/message/frame-length", test_frame_length);
  g_test_add_func ("/stun/message/result-strings", test_result_strings);
  g_test_add_func ("/stun/message/coturn-captures", test_coturn_captures);
  return g_test_run ();
}
