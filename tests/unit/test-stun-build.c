/* Tests for the STUN builder and the integrity/fingerprint writers: messages
 * compared byte for byte with RFC 5769 and with bytes computed by an
 * independent implementation (Python's hmac, hashlib and zlib), build->parse
 * round trips, padding, attribute ordering rules and buffer overflow. */
#include <arpa/inet.h>
#include <glib.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/socket.h>

#include "stun/stun-message.h"

/* RFC 5769 2.4: Binding request with long-term credentials. Its padding is
 * zeros, so the builder must reproduce it exactly. */
static const guint8 rfc5769_request_ltc[] = {
  0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33,
  0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
  0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83,
  0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00,
  0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39,
  0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46,
  0x53, 0x54, 0x76, 0x79, 0x36, 0x34, 0x73, 0x41,
  0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e,
  0x6f, 0x72, 0x67, 0x00,
  0x00, 0x08, 0x00, 0x14, 0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e,
  0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

/* Allocate request, tid a0..ab: SOFTWARE "rtcprobe", USERNAME "user",
 * REQUESTED-TRANSPORT UDP, MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
 * FINGERPRINT, key "pass", computed with Python's hmac/hashlib/zlib
 * following RFC 8489 14.5-14.7. */
static const guint8 python_allocate[] = {
  0x00, 0x03, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0xa0, 0xa1, 0xa2, 0xa3,
  0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
  0x80, 0x22, 0x00, 0x08, 0x72, 0x74, 0x63, 0x70, 0x72, 0x6f, 0x62, 0x65,
  0x00, 0x06, 0x00, 0x04, 0x75, 0x73, 0x65, 0x72,
  0x00, 0x19, 0x00, 0x04, 0x11, 0x00, 0x00, 0x00,
  0x00, 0x08, 0x00, 0x14, 0xaa, 0xdf, 0x54, 0x77, 0x03, 0x6d, 0xf1, 0xa3,
  0x3d, 0x0e, 0x5e, 0xed, 0x73, 0xb7, 0x16, 0xc5, 0x99, 0x02, 0x2f, 0xa7,
  0x00, 0x1c, 0x00, 0x20, 0x32, 0xa2, 0xdd, 0x3c, 0x49, 0xf4, 0xe5, 0x57,
  0xb8, 0x28, 0x6d, 0x71, 0x69, 0xaf, 0xa0, 0xf7, 0xaf, 0x93, 0x16, 0xdd,
  0x0f, 0x2c, 0x05, 0xc9, 0x1f, 0xc8, 0x57, 0xef, 0xfb, 0x0d, 0x1d, 0xec,
  0x80, 0x28, 0x00, 0x04, 0xac, 0x93, 0x2d, 0xb6,
};

static const guint8 tid_a0[RP_STUN_TID_LEN] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                                0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab };

static void
parse_ok (const RpStunBuilder *b, RpStunMessage *msg)
{
  g_assert_cmpint (rp_stun_message_parse (b->buf, b->len, msg), ==, RP_STUN_PARSE_OK);
  g_assert_cmpuint (msg->len, ==, b->len);
}

static void
test_rfc5769_long_term_exact (void)
{
  const guint8 tid[] = { 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e };
  const char *user = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
  RpStunBuilder b;
  guint8 key[16];

  rp_stun_long_term_key (user, "example.org", "TheMatrIX", key);
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid);
  g_assert_true (rp_stun_builder_add_string (&b, RP_STUN_ATTR_USERNAME, user));
  g_assert_true (
    rp_stun_builder_add_string (&b, RP_STUN_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA"));
  g_assert_true (rp_stun_builder_add_string (&b, RP_STUN_ATTR_REALM, "example.org"));
  g_assert_true (rp_stun_builder_add_integrity (&b, key, sizeof key));
  g_assert_cmpmem (b.buf, b.len, rfc5769_request_ltc, sizeof rfc5769_request_ltc);
}

static void
test_independent_sha256_exact (void)
{
  const guint8 transport[4] = { 17, 0, 0, 0 };
  RpStunBuilder b;
  RpStunMessage msg;

  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_stun_builder_add_string (&b, RP_STUN_ATTR_SOFTWARE, "rtcprobe"));
  g_assert_true (rp_stun_builder_add_string (&b, RP_STUN_ATTR_USERNAME, "user"));
  g_assert_true (
    rp_stun_builder_add (&b, RP_STUN_ATTR_REQUESTED_TRANSPORT, transport, sizeof transport));
  g_assert_true (rp_stun_builder_add_integrity (&b, (const guint8 *) "pass", 4));
  g_assert_true (rp_stun_builder_add_integrity_sha256 (&b, (const guint8 *) "pass", 4));
  g_assert_true (rp_stun_builder_add_fingerprint (&b));
  g_assert_cmpmem (b.buf, b.len, python_allocate, sizeof python_allocate);

  parse_ok (&b, &msg);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, (const guint8 *) "pass", 4), ==,
                   RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (rp_stun_message_check_integrity_sha256 (&msg, (const guint8 *) "pass", 4), ==,
                   RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (rp_stun_message_check_integrity_sha256 (&msg, (const guint8 *) "pasS", 4), ==,
                   RP_STUN_INTEGRITY_MISMATCH);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_OK);
}

static void
test_type_encoding (void)
{
  const guint16 methods[] = { RP_STUN_BINDING, RP_STUN_ALLOCATE, RP_STUN_CHANNEL_BIND, 0x0FFF,
                              0x0ABC };
  const RpStunClass classes[] = { RP_STUN_REQUEST, RP_STUN_INDICATION, RP_STUN_SUCCESS,
                                  RP_STUN_ERROR };
  const guint8 tid[RP_STUN_TID_LEN] = { 0 };

  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++) {
    for (gsize c = 0; c < G_N_ELEMENTS (classes); c++) {
      RpStunBuilder b;
      RpStunMessage msg;

      rp_stun_builder_init (&b, methods[m], classes[c], tid);
      parse_ok (&b, &msg);
      g_assert_cmphex (msg.method, ==, methods[m]);
      g_assert_cmpint (msg.klass, ==, classes[c]);
      g_assert_cmpuint (msg.n_attrs, ==, 0);
    }
  }

  /* RFC 8489 5 / 6: the well-known encodings */
  {
    RpStunBuilder b;

    rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_SUCCESS, tid);
    g_assert_cmphex ((b.buf[0] << 8) | b.buf[1], ==, 0x0101);
    rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_ERROR, tid);
    g_assert_cmphex ((b.buf[0] << 8) | b.buf[1], ==, 0x0111);
    rp_stun_builder_init (&b, RP_STUN_SEND, RP_STUN_INDICATION, tid);
    g_assert_cmphex ((b.buf[0] << 8) | b.buf[1], ==, 0x0016);
    rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_ERROR, tid);
    g_assert_cmphex ((b.buf[0] << 8) | b.buf[1], ==, 0x0113);
  }
}

static void
test_padding (void)
{
  const char *text = "abcdefghijk";

  for (guint16 n = 0; n <= 11; n++) {
    RpStunBuilder b;
    RpStunMessage msg;
    gsize padded = ((gsize) n + 3) & ~(gsize) 3;

    rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid_a0);
    g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_SOFTWARE, text, n));
    g_assert_true (rp_stun_builder_add_u32 (&b, RP_STUN_ATTR_PRIORITY, 0x01020304));
    /* RFC 8489 14: the length field counts the padded attributes */
    g_assert_cmpuint (b.len, ==, RP_STUN_HEADER_LEN + 4 + padded + 8);
    g_assert_cmpuint ((b.buf[2] << 8) | b.buf[3], ==, 4 + padded + 8);
    for (gsize i = n; i < padded; i++)
      g_assert_cmpuint (b.buf[24 + i], ==, 0);
    parse_ok (&b, &msg);
    g_assert_cmpuint (msg.attrs[0].len, ==, n);
    g_assert_cmpuint (msg.attrs[1].offset, ==, RP_STUN_HEADER_LEN + 4 + padded);
  }
}

static void
roundtrip_address (guint16 type, int family, const char *addr_text, guint16 port, const char *want)
{
  RpStunBuilder b;
  RpStunMessage msg;
  RpStunAddress a = { 0 }, back;
  guint8 tid[RP_STUN_TID_LEN];
  char s[64];

  a.family = family;
  g_assert_cmpint (inet_pton (family, addr_text, a.addr), ==, 1);
  a.port = port;
  rp_stun_random_tid (tid);
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid);
  g_assert_true (rp_stun_builder_add_address (&b, type, &a));
  parse_ok (&b, &msg);
  g_assert_true (rp_stun_attr_get_address (&msg, rp_stun_message_find (&msg, type), &back));
  g_assert_true (rp_stun_address_equal (&a, &back));
  g_assert_cmpstr (rp_stun_address_to_string (&back, s, sizeof s), ==, want);
}

static void
test_address_roundtrip (void)
{
  roundtrip_address (RP_STUN_ATTR_XOR_MAPPED_ADDRESS, AF_INET, "203.0.113.9", 3478,
                     "203.0.113.9:3478");
  roundtrip_address (RP_STUN_ATTR_XOR_MAPPED_ADDRESS, AF_INET6, "2001:db8::1", 65535,
                     "[2001:db8::1]:65535");
  roundtrip_address (RP_STUN_ATTR_XOR_PEER_ADDRESS, AF_INET6, "fe80::1:2:3:4", 1,
                     "[fe80::1:2:3:4]:1");
  roundtrip_address (RP_STUN_ATTR_XOR_RELAYED_ADDRESS, AF_INET, "0.0.0.0", 0, "0.0.0.0:0");
  roundtrip_address (RP_STUN_ATTR_MAPPED_ADDRESS, AF_INET6, "::ffff:192.0.2.1", 5349,
                     "[::ffff:192.0.2.1]:5349");
  roundtrip_address (RP_STUN_ATTR_ALTERNATE_SERVER, AF_INET, "192.0.2.200", 443, "192.0.2.200:443");
}

/* RFC 5769 2.2 built again from its documented values: the XOR'd bytes on
 * the wire must match the RFC's */
static void
test_xor_wire_bytes (void)
{
  const guint8 tid[] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };
  const guint8 want_v4[] = {
    0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43
  };
  const guint8 want_v6[] = {
    0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9
  };
  RpStunBuilder b;
  RpStunAddress a = { .family = AF_INET, .port = 32853 };

  g_assert_cmpint (inet_pton (AF_INET, "192.0.2.1", a.addr), ==, 1);
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_SUCCESS, tid);
  g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_MAPPED_ADDRESS, &a));
  g_assert_cmpmem (b.buf + 20, b.len - 20, want_v4, sizeof want_v4);

  a.family = AF_INET6;
  g_assert_cmpint (inet_pton (AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", a.addr), ==, 1);
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_SUCCESS, tid);
  g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_MAPPED_ADDRESS, &a));
  g_assert_cmpmem (b.buf + 20, b.len - 20, want_v6, sizeof want_v6);

  a.family = AF_UNIX;
  g_assert_false (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_MAPPED_ADDRESS, &a));
  g_assert_cmpuint (b.len, ==, 20 + sizeof want_v6);
}

static void
test_values_roundtrip (void)
{
  RpStunBuilder b;
  RpStunMessage msg;
  guint32 v = 0;
  guint code = 0;
  g_autofree char *reason = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *realm = NULL;
  char long_reason[511];

  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_ERROR, tid_a0);
  g_assert_true (rp_stun_builder_add_error (&b, 437, "Allocation Mismatch"));
  g_assert_true (rp_stun_builder_add_u32 (&b, RP_STUN_ATTR_LIFETIME, 0xFFFFFFFFu));
  g_assert_true (rp_stun_builder_add_string (&b, RP_STUN_ATTR_NONCE, NULL));
  g_assert_true (rp_stun_builder_add_string (&b, RP_STUN_ATTR_REALM, "r\xc3\xa9"));
  g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_DONT_FRAGMENT, NULL, 0));
  parse_ok (&b, &msg);
  g_assert_true (rp_stun_message_get_error (&msg, &code, &reason));
  g_assert_cmpuint (code, ==, 437);
  g_assert_cmpstr (reason, ==, "Allocation Mismatch");
  g_assert_true (rp_stun_message_get_u32 (&msg, RP_STUN_ATTR_LIFETIME, &v));
  g_assert_cmphex (v, ==, 0xFFFFFFFFu);
  empty = rp_stun_message_get_string (&msg, RP_STUN_ATTR_NONCE);
  g_assert_cmpstr (empty, ==, "");
  realm = rp_stun_message_get_string (&msg, RP_STUN_ATTR_REALM);
  g_assert_cmpstr (realm, ==, "r\xc3\xa9");
  g_assert_nonnull (rp_stun_message_find (&msg, RP_STUN_ATTR_DONT_FRAGMENT));

  /* RFC 8489 14.8 limits */
  g_assert_false (rp_stun_builder_add_error (&b, 299, NULL));
  g_assert_false (rp_stun_builder_add_error (&b, 700, NULL));
  memset (long_reason, 'x', sizeof long_reason - 1);
  long_reason[sizeof long_reason - 1] = '\0';
  g_assert_false (rp_stun_builder_add_error (&b, 500, long_reason)); /* 510 bytes */
  long_reason[509] = '\0';
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_ERROR, tid_a0);
  g_assert_true (rp_stun_builder_add_error (&b, 500, long_reason));
  g_assert_false (rp_stun_builder_add (&b, RP_STUN_ATTR_DATA, NULL, 4));
}

static void
test_random_tid (void)
{
  guint8 a[RP_STUN_TID_LEN], b[RP_STUN_TID_LEN];
  const guint8 zero[RP_STUN_TID_LEN] = { 0 };

  rp_stun_random_tid (a);
  rp_stun_random_tid (b);
  g_assert_true (memcmp (a, b, sizeof a) != 0);
  g_assert_true (memcmp (a, zero, sizeof a) != 0);
}

static void
test_overflow (void)
{
  guint8 big[600];
  RpStunBuilder b;
  RpStunBuilder before;
  RpStunMessage msg;
  guint added = 0;
  g_autofree char *too_long = g_strnfill (269, 'x');

  memset (big, 'A', sizeof big);
  rp_stun_builder_init (&b, RP_STUN_SEND, RP_STUN_INDICATION, tid_a0);
  while (rp_stun_builder_add (&b, RP_STUN_ATTR_DATA, big, 597))
    added++;
  /* 20 + 2 * (4 + 600) = 1228: a third does not fit */
  g_assert_cmpuint (added, ==, 2);
  g_assert_cmpuint (b.len, ==, 1228);
  before = b;
  g_assert_false (rp_stun_builder_add (&b, RP_STUN_ATTR_DATA, big, 600));
  /* 272 bytes left: a 269-byte string needs 4 + 272 */
  g_assert_false (rp_stun_builder_add_string (&b, RP_STUN_ATTR_SOFTWARE, too_long));
  g_assert_cmpmem (b.buf, b.len, before.buf, before.len);

  /* fill to exactly the capacity: 1228 + 4 + 264 = 1496, then 4 left */
  g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_PADDING, big, 264));
  g_assert_cmpuint (b.len, ==, 1496);
  before = b;
  g_assert_false (rp_stun_builder_add_integrity (&b, (const guint8 *) "k", 1));
  g_assert_false (rp_stun_builder_add_integrity_sha256 (&b, (const guint8 *) "k", 1));
  g_assert_false (rp_stun_builder_add_fingerprint (&b));
  g_assert_false (rp_stun_builder_add_u32 (&b, RP_STUN_ATTR_LIFETIME, 1));
  g_assert_cmpuint (b.len, ==, before.len);
  g_assert_cmpmem (b.buf, b.len, before.buf, before.len);
  g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_USE_CANDIDATE, NULL, 0));
  g_assert_cmpuint (b.len, ==, RP_STUN_MAX_MESSAGE);
  parse_ok (&b, &msg);
  g_assert_cmpuint (msg.n_attrs, ==, 4);
}

static void
test_ordering_rules (void)
{
  RpStunBuilder b;
  RpStunMessage msg;

  /* RFC 8489 14.7: nothing after FINGERPRINT */
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_stun_builder_add_fingerprint (&b));
  g_assert_false (rp_stun_builder_add_fingerprint (&b));
  g_assert_false (rp_stun_builder_add_integrity (&b, (const guint8 *) "k", 1));
  g_assert_false (rp_stun_builder_add_u32 (&b, RP_STUN_ATTR_PRIORITY, 1));
  g_assert_cmpuint (b.len, ==, 28);

  /* RFC 8489 14.5: after MESSAGE-INTEGRITY only M-I-SHA256 and FINGERPRINT */
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_stun_builder_add_integrity (&b, (const guint8 *) "k", 1));
  g_assert_false (rp_stun_builder_add_string (&b, RP_STUN_ATTR_SOFTWARE, "late"));
  g_assert_false (rp_stun_builder_add_integrity (&b, (const guint8 *) "k", 1));
  g_assert_true (rp_stun_builder_add_integrity_sha256 (&b, (const guint8 *) "k", 1));
  /* RFC 8489 14.6: after M-I-SHA256 only FINGERPRINT */
  g_assert_false (rp_stun_builder_add_integrity_sha256 (&b, (const guint8 *) "k", 1));
  g_assert_false (rp_stun_builder_add_u32 (&b, RP_STUN_ATTR_PRIORITY, 1));
  g_assert_true (rp_stun_builder_add_fingerprint (&b));
  parse_ok (&b, &msg);
  g_assert_cmpuint (msg.n_attrs, ==, 3);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, (const guint8 *) "k", 1), ==,
                   RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (rp_stun_message_check_integrity_sha256 (&msg, (const guint8 *) "k", 1), ==,
                   RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_OK);
}

static void
test_integrity_tamper_and_keys (void)
{
  RpStunBuilder b;
  RpStunMessage msg;
  const guint8 *key = (const guint8 *) "s3cret";

  /* an empty key is a valid (if useless) HMAC key */
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_stun_builder_add_integrity (&b, NULL, 0));
  parse_ok (&b, &msg);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, NULL, 0), ==, RP_STUN_INTEGRITY_OK);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, 6), ==, RP_STUN_INTEGRITY_MISMATCH);

  rp_stun_builder_init (&b, RP_STUN_REFRESH, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_stun_builder_add_u32 (&b, RP_STUN_ATTR_LIFETIME, 600));
  g_assert_true (rp_stun_builder_add_string (&b, RP_STUN_ATTR_USERNAME, "u"));
  g_assert_true (rp_stun_builder_add_integrity_sha256 (&b, key, 6));
  g_assert_true (rp_stun_builder_add_fingerprint (&b));
  for (gsize i = 0; i < b.len; i++) {
    RpStunBuilder t = b;

    t.buf[i] ^= 0x40;
    if (rp_stun_message_parse (t.buf, t.len, &msg) != RP_STUN_PARSE_OK)
      continue;
    g_assert_false (rp_stun_message_check_integrity_sha256 (&msg, key, 6) == RP_STUN_INTEGRITY_OK &&
                    rp_stun_message_check_fingerprint (&msg) == RP_STUN_INTEGRITY_OK);
  }
}

/* RFC 8489 14.6: M-I-SHA256 may be truncated to 16..32 bytes in steps of 4;
 * the tag is the leftmost bytes of the HMAC computed with the length field
 * ending after the (truncated) attribute. */
static void
check_truncated_sha256 (gsize tag_len, RpStunIntegrity want)
{
  RpStunBuilder b;
  RpStunMessage msg;
  guint8 mac[32];
  size_t mac_len = 0;

  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_stun_builder_add_string (&b, RP_STUN_ATTR_USERNAME, "abc"));
  /* header length as it will be once the attribute is in */
  b.buf[3] = (guint8) (b.len - 20 + 4 + ((tag_len + 3) & ~(gsize) 3));
  g_assert_nonnull (EVP_Q_mac (NULL, "HMAC", NULL, "SHA256", NULL, "key", 3, b.buf, b.len, mac,
                               sizeof mac, &mac_len));
  b.buf[3] = (guint8) (b.len - 20);
  g_assert_true (
    rp_stun_builder_add (&b, RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, mac, (guint16) tag_len));
  parse_ok (&b, &msg);
  g_assert_cmpint (rp_stun_message_check_integrity_sha256 (&msg, (const guint8 *) "key", 3), ==,
                   want);
}

static void
test_truncated_sha256 (void)
{
  check_truncated_sha256 (32, RP_STUN_INTEGRITY_OK);
  check_truncated_sha256 (16, RP_STUN_INTEGRITY_OK);
  check_truncated_sha256 (20, RP_STUN_INTEGRITY_OK);
  check_truncated_sha256 (12, RP_STUN_INTEGRITY_MALFORMED);
  check_truncated_sha256 (18, RP_STUN_INTEGRITY_MALFORMED);
}

static void
test_malformed_integrity (void)
{
  RpStunBuilder b;
  RpStunMessage msg;
  const guint8 short_mac[16] = { 0 };
  const guint8 short_fp[2] = { 0 };

  /* MESSAGE-INTEGRITY is exactly 20 bytes (RFC 8489 14.5) */
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid_a0);
  g_assert_true (
    rp_stun_builder_add (&b, RP_STUN_ATTR_MESSAGE_INTEGRITY, short_mac, sizeof short_mac));
  parse_ok (&b, &msg);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, (const guint8 *) "k", 1), ==,
                   RP_STUN_INTEGRITY_MALFORMED);
  /* FINGERPRINT is exactly 4 bytes (RFC 8489 14.7) */
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_FINGERPRINT, short_fp, sizeof short_fp));
  parse_ok (&b, &msg);
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_MALFORMED);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, (const guint8 *) "k", 1), ==,
                   RP_STUN_INTEGRITY_ABSENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stun/build/rfc5769-long-term-exact", test_rfc5769_long_term_exact);
  g_test_add_func ("/stun/build/independent-sha256-exact", test_independent_sha256_exact);
  g_test_add_func ("/stun/build/type-encoding", test_type_encoding);
  g_test_add_func ("/stun/build/padding", test_padding);
  g_test_add_func ("/stun/build/address-roundtrip", test_address_roundtrip);
  g_test_add_func ("/stun/build/xor-wire-bytes", test_xor_wire_bytes);
  g_test_add_func ("/stun/build/values-roundtrip", test_values_roundtrip);
  g_test_add_func ("/stun/build/random-tid", test_random_tid);
  g_test_add_func ("/stun/build/overflow", test_overflow);
  g_test_add_func ("/stun/build/ordering-rules", test_ordering_rules);
  g_test_add_func ("/stun/build/integrity-tamper-and-keys", test_integrity_tamper_and_keys);
  g_test_add_func ("/stun/build/truncated-sha256", test_truncated_sha256);
  g_test_add_func ("/stun/build/malformed-integrity", test_malformed_integrity);
  return g_test_run ();
}
