/* Tests for the TURN codec: build->parse round trips of every TURN method and
 * attribute, XOR-PEER-ADDRESS compared with bytes worked out by hand from
 * RFC 8489 14.2, ChannelData framing on datagrams and streams (padding,
 * channel range, truncation, trailing bytes, interleaving with STUN on one
 * stream), REST credentials against a constant computed by the openssl
 * command line tool, and the coturn Allocate capture read through the TURN
 * getters. */
#include <arpa/inet.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>

#include "stun/turn-codec.h"

#ifndef RP_TEST_DATA
#define RP_TEST_DATA "tests/data"
#endif

static const guint8 tid_a0[RP_STUN_TID_LEN] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                                0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab };

static void
parse_ok (const RpStunBuilder *b, RpStunMessage *msg)
{
  g_assert_cmpint (rp_stun_message_parse (b->buf, b->len, msg), ==, RP_STUN_PARSE_OK);
  g_assert_cmpuint (msg->len, ==, b->len);
  g_assert_cmpuint (msg->n_unknown_required, ==, 0);
}

static RpStunAddress
address (const char *ip, guint16 port)
{
  RpStunAddress a = { 0 };

  if (strchr (ip, ':') != NULL) {
    a.family = AF_INET6;
    g_assert_cmpint (inet_pton (AF_INET6, ip, a.addr), ==, 1);
  } else {
    a.family = AF_INET;
    g_assert_cmpint (inet_pton (AF_INET, ip, a.addr), ==, 1);
  }
  a.port = port;
  return a;
}

static void
assert_address (const RpStunAddress *a, const char *want)
{
  char text[64];

  g_assert_cmpstr (rp_stun_address_to_string (a, text, sizeof text), ==, want);
}

/* Allocate request with every attribute a client may put in one; the
 * response side with XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS, LIFETIME and
 * RESERVATION-TOKEN. */
static void
test_allocate_round_trip (void)
{
  const guint8 token[RP_TURN_RESERVATION_TOKEN_LEN] = { 1, 2, 3, 4, 0xfd, 0xfe, 0xff, 0 };
  RpStunAddress relayed = address ("198.51.100.7", 50000), peer[1], got;
  guint8 tok[RP_TURN_RESERVATION_TOKEN_LEN] = { 0 };
  RpStunBuilder b;
  RpStunMessage msg;
  guint8 proto = 0;
  guint32 lifetime = 0;
  gboolean reserve = FALSE;
  int family = 0;

  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_turn_add_requested_transport (&b, RP_TURN_TRANSPORT_UDP));
  g_assert_true (rp_turn_add_lifetime (&b, 3600));
  g_assert_true (rp_turn_add_dont_fragment (&b));
  g_assert_true (rp_turn_add_even_port (&b, TRUE));
  g_assert_true (rp_turn_add_requested_address_family (&b, AF_INET6));
  g_assert_true (rp_stun_builder_add_fingerprint (&b));
  parse_ok (&b, &msg);
  g_assert_cmpuint (msg.method, ==, RP_STUN_ALLOCATE);
  g_assert_cmpint (msg.klass, ==, RP_STUN_REQUEST);
  g_assert_true (rp_turn_get_requested_transport (&msg, &proto));
  g_assert_cmpuint (proto, ==, 17);
  g_assert_true (rp_turn_get_lifetime (&msg, &lifetime));
  g_assert_cmpuint (lifetime, ==, 3600);
  g_assert_true (rp_turn_has_dont_fragment (&msg));
  g_assert_true (rp_turn_get_even_port (&msg, &reserve));
  g_assert_true (reserve);
  g_assert_true (rp_turn_get_requested_address_family (&msg, &family));
  g_assert_cmpint (family, ==, AF_INET6);
  g_assert_false (rp_turn_get_reservation_token (&msg, tok));
  g_assert_false (rp_turn_get_relayed_address (&msg, &got));
  g_assert_cmpint (rp_stun_message_check_fingerprint (&msg), ==, RP_STUN_INTEGRITY_OK);
  /* RFC 8656 18.8, 18.7, 18.9: the exact value bytes, RFFU zero */
  g_assert_cmpmem (b.buf + 20, 8, ((const guint8[]){ 0x00, 0x19, 0x00, 0x04, 17, 0, 0, 0 }), 8);
  g_assert_cmpmem (b.buf + 36, 4, ((const guint8[]){ 0x00, 0x1a, 0x00, 0x00 }), 4);
  g_assert_cmpmem (b.buf + 40, 8, ((const guint8[]){ 0x00, 0x18, 0x00, 0x01, 0x80, 0, 0, 0 }), 8);
  g_assert_cmpmem (b.buf + 48, 8, ((const guint8[]){ 0x00, 0x17, 0x00, 0x04, 0x02, 0, 0, 0 }), 8);

  /* TCP relay, IPv4, EVEN-PORT without R, RESERVATION-TOKEN instead */
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_turn_add_requested_transport (&b, RP_TURN_TRANSPORT_TCP));
  g_assert_true (rp_turn_add_requested_address_family (&b, AF_INET));
  g_assert_true (rp_turn_add_even_port (&b, FALSE));
  g_assert_true (rp_turn_add_reservation_token (&b, token));
  parse_ok (&b, &msg);
  g_assert_true (rp_turn_get_requested_transport (&msg, &proto));
  g_assert_cmpuint (proto, ==, 6);
  g_assert_true (rp_turn_get_requested_address_family (&msg, &family));
  g_assert_cmpint (family, ==, AF_INET);
  g_assert_true (rp_turn_get_even_port (&msg, &reserve));
  g_assert_false (reserve);
  g_assert_true (rp_turn_get_reservation_token (&msg, tok));
  g_assert_cmpmem (tok, sizeof tok, token, sizeof token);
  g_assert_false (rp_turn_has_dont_fragment (&msg));
  g_assert_false (rp_turn_get_lifetime (&msg, &lifetime));

  /* success response */
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
  g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, &relayed));
  g_assert_true (rp_turn_add_lifetime (&b, 600));
  g_assert_true (rp_turn_add_reservation_token (&b, token));
  parse_ok (&b, &msg);
  g_assert_cmpint (msg.klass, ==, RP_STUN_SUCCESS);
  g_assert_true (rp_turn_get_relayed_address (&msg, &got));
  g_assert_true (rp_stun_address_equal (&got, &relayed));
  g_assert_true (rp_turn_get_lifetime (&msg, &lifetime));
  g_assert_cmpuint (lifetime, ==, 600);
  g_assert_true (rp_turn_get_reservation_token (&msg, tok));
  g_assert_cmpmem (tok, sizeof tok, token, sizeof token);
  g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, peer, 1), ==, 0);

  /* the adders refuse what they cannot encode */
  g_assert_false (rp_turn_add_requested_address_family (&b, AF_UNIX));
  g_assert_false (rp_turn_add_reservation_token (&b, NULL));
}

/* RFC 8656 7.1/18.11: a dual Allocate request carries ADDITIONAL-ADDRESS-
 * FAMILY (IPv6 only); 7.3: its success has one XOR-RELAYED-ADDRESS per
 * family, or one and an ADDRESS-ERROR-CODE (18.12) naming the family that
 * failed. */
static void
test_dual_allocation (void)
{
  RpStunAddress r4 = address ("198.51.100.7", 50000), r6 = address ("2001:db8::7", 50002);
  RpStunAddress got[3];
  RpStunBuilder b;
  RpStunMessage msg;
  guint8 key[16];
  int family = 0;
  guint code = 0;
  char *reason = NULL;

  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_turn_add_requested_transport (&b, RP_TURN_TRANSPORT_UDP));
  g_assert_false (rp_turn_add_additional_address_family (&b, AF_INET));
  g_assert_false (rp_turn_add_additional_address_family (&b, AF_UNIX));
  g_assert_true (rp_turn_add_additional_address_family (&b, AF_INET6));
  parse_ok (&b, &msg);
  g_assert_cmpmem (b.buf + 28, 8, ((const guint8[]){ 0x80, 0x00, 0x00, 0x04, 0x02, 0, 0, 0 }), 8);
  g_assert_true (rp_turn_get_additional_address_family (&msg, &family));
  g_assert_cmpint (family, ==, AF_INET6);
  g_assert_false (rp_turn_get_requested_address_family (&msg, &family));
  /* comprehension-optional: an old server skips it */
  g_assert_cmpuint (msg.n_unknown_required, ==, 0);

  /* the success: both relayed addresses, in order, the first also through
   * the single getter; integrity over both */
  rp_stun_long_term_key ("alice", "example.org", "pw", key);
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
  g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, &r4));
  g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, &r6));
  g_assert_true (rp_turn_add_lifetime (&b, 600));
  g_assert_true (rp_stun_builder_add_integrity (&b, key, sizeof key));
  g_assert_true (rp_stun_builder_add_fingerprint (&b));
  g_assert_cmpint (rp_stun_message_parse (b.buf, b.len, &msg), ==, RP_STUN_PARSE_OK);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, sizeof key), ==,
                   RP_STUN_INTEGRITY_OK);
  g_assert_cmpuint (rp_turn_get_relayed_addresses (&msg, got, G_N_ELEMENTS (got)), ==, 2);
  assert_address (&got[0], "198.51.100.7:50000");
  assert_address (&got[1], "[2001:db8::7]:50002");
  g_assert_cmpuint (rp_turn_get_relayed_addresses (&msg, got, 1), ==, 1);
  g_assert_true (rp_turn_get_relayed_address (&msg, &got[2]));
  g_assert_true (rp_stun_address_equal (&got[2], &r4));
  g_assert_false (rp_turn_get_address_error (&msg, &family, &code, &reason));
  g_assert_null (reason);

  /* IPv6 failed: one relayed address and ADDRESS-ERROR-CODE 440 for IPv6 */
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
  g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, &r4));
  g_assert_true (rp_turn_add_address_error (&b, AF_INET6, 440, "Address Family not Supported"));
  parse_ok (&b, &msg);
  g_assert_cmpmem (b.buf + 32, 8, ((const guint8[]){ 0x80, 0x01, 0x00, 0x20, 0x02, 0, 4, 40 }),
                   8);
  g_assert_cmpuint (rp_turn_get_relayed_addresses (&msg, got, G_N_ELEMENTS (got)), ==, 1);
  g_assert_true (rp_turn_get_address_error (&msg, &family, &code, &reason));
  g_assert_cmpint (family, ==, AF_INET6);
  g_assert_cmpuint (code, ==, 440);
  g_assert_cmpstr (reason, ==, "Address Family not Supported");
  g_clear_pointer (&reason, g_free);

  /* coturn's draft code points: 0x8032 written, 0x8033 read */
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_REQUEST, tid_a0);
  g_assert_false (rp_turn_add_additional_address_family_draft (&b, AF_INET));
  g_assert_true (rp_turn_add_additional_address_family_draft (&b, AF_INET6));
  g_assert_cmpmem (b.buf + 20, 8, ((const guint8[]){ 0x80, 0x32, 0x00, 0x04, 0x02, 0, 0, 0 }), 8);
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
  g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_ADDRESS_ERROR_CODE_DRAFT,
                                      ((const guint8[]){ 0x02, 0, 4, 40, 'n', 'o' }), 6));
  parse_ok (&b, &msg);
  g_assert_false (rp_turn_get_address_error (&msg, &family, &code, &reason));
  g_assert_true (rp_turn_get_address_error_draft (&msg, &family, &code, &reason));
  g_assert_cmpint (family, ==, AF_INET6);
  g_assert_cmpuint (code, ==, 440);
  g_assert_cmpstr (reason, ==, "no");
  g_clear_pointer (&reason, g_free);

  /* 508 for IPv4, empty reason */
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
  g_assert_true (rp_turn_add_address_error (&b, AF_INET, 508, NULL));
  parse_ok (&b, &msg);
  g_assert_true (rp_turn_get_address_error (&msg, &family, &code, &reason));
  g_assert_cmpint (family, ==, AF_INET);
  g_assert_cmpuint (code, ==, 508);
  g_assert_cmpstr (reason, ==, "");
  g_clear_pointer (&reason, g_free);
  g_assert_false (rp_turn_add_address_error (&b, AF_INET, 299, NULL));
  g_assert_false (rp_turn_add_address_error (&b, AF_INET, 700, NULL));
  g_assert_false (rp_turn_add_address_error (&b, AF_UNIX, 440, NULL));

  /* a reason with a control character and invalid UTF-8 comes out printable */
  {
    const guint8 v[] = { 0x02, 0, 4, 40, 'a', '\n', 0xff, 'b' };
    rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
    g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_ADDRESS_ERROR_CODE, v, sizeof v));
    parse_ok (&b, &msg);
    g_assert_true (rp_turn_get_address_error (&msg, NULL, NULL, &reason));
    g_assert_true (g_utf8_validate (reason, -1, NULL));
    g_assert_null (strchr (reason, '\n'));
    g_assert_true (g_str_has_prefix (reason, "a") && g_str_has_suffix (reason, "b"));
    g_clear_pointer (&reason, g_free);
  }
  /* malformed values are refused: short, undefined family, class or number
   * out of range; a malformed relayed address spoils the list */
  {
    const guint8 bad[][4] = { { 0x03, 0, 4, 40 }, { 0x00, 0, 4, 40 }, { 0x02, 0, 2, 40 },
                              { 0x02, 0, 7, 0 }, { 0x02, 0, 4, 100 } };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
      g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_ADDRESS_ERROR_CODE, bad[i], 4));
      parse_ok (&b, &msg);
      g_assert_false (rp_turn_get_address_error (&msg, &family, &code, &reason));
      g_assert_cmpuint (code, ==, 0);
      g_assert_null (reason);
    }
    rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
    g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_ADDRESS_ERROR_CODE, bad[0], 3));
    parse_ok (&b, &msg);
    g_assert_false (rp_turn_get_address_error (&msg, &family, &code, &reason));

    rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
    g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, &r4));
    g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, bad[0], 4));
    parse_ok (&b, &msg);
    g_assert_cmpuint (rp_turn_get_relayed_addresses (&msg, got, G_N_ELEMENTS (got)), ==, 0);

    /* ADDITIONAL-ADDRESS-FAMILY of IPv4, or of the wrong length */
    rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_REQUEST, tid_a0);
    g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY,
                                        ((const guint8[]){ 0x01, 0, 0, 0 }), 4));
    parse_ok (&b, &msg);
    g_assert_false (rp_turn_get_additional_address_family (&msg, &family));
    rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_REQUEST, tid_a0);
    g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY,
                                        ((const guint8[]){ 0x02 }), 1));
    parse_ok (&b, &msg);
    g_assert_false (rp_turn_get_additional_address_family (&msg, &family));
  }
}

static void
test_refresh_round_trip (void)
{
  RpStunBuilder b;
  RpStunMessage msg;
  guint32 lifetime = 1;
  guint8 key[16];

  /* RFC 8656 7.1: LIFETIME 0 deletes the allocation */
  rp_stun_long_term_key ("alice", "example.org", "pw", key);
  rp_stun_builder_init (&b, RP_STUN_REFRESH, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_turn_add_lifetime (&b, 0));
  g_assert_true (rp_stun_builder_add_integrity (&b, key, sizeof key));
  parse_ok (&b, &msg);
  g_assert_cmpuint (msg.method, ==, RP_STUN_REFRESH);
  g_assert_true (rp_turn_get_lifetime (&msg, &lifetime));
  g_assert_cmpuint (lifetime, ==, 0);
  g_assert_cmpint (rp_stun_message_check_integrity (&msg, key, sizeof key), ==,
                   RP_STUN_INTEGRITY_OK);

  rp_stun_builder_init (&b, RP_STUN_REFRESH, RP_STUN_SUCCESS, tid_a0);
  g_assert_true (rp_turn_add_lifetime (&b, G_MAXUINT32));
  parse_ok (&b, &msg);
  g_assert_true (rp_turn_get_lifetime (&msg, &lifetime));
  g_assert_cmpuint (lifetime, ==, G_MAXUINT32);
}

static void
test_send_data_indications (void)
{
  const guint8 payload[] = { 'h', 'e', 'l', 'l', 'o', 0, 0xff };
  RpStunAddress peer_in = address ("2001:db8::42", 9), peer[2];
  const guint8 *data = NULL;
  gsize len = 99;
  RpStunBuilder b;
  RpStunMessage msg;
  const guint16 methods[] = { RP_STUN_SEND, RP_STUN_DATA };

  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++) {
    rp_stun_builder_init (&b, methods[m], RP_STUN_INDICATION, tid_a0);
    g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_PEER_ADDRESS, &peer_in));
    g_assert_true (rp_turn_add_data (&b, payload, sizeof payload));
    if (methods[m] == RP_STUN_SEND)
      g_assert_true (rp_turn_add_dont_fragment (&b));
    parse_ok (&b, &msg);
    g_assert_cmpuint (msg.method, ==, methods[m]);
    g_assert_cmpint (msg.klass, ==, RP_STUN_INDICATION);
    g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, peer, G_N_ELEMENTS (peer)), ==, 1);
    g_assert_true (rp_stun_address_equal (&peer[0], &peer_in));
    g_assert_true (rp_turn_get_data (&msg, &data, &len));
    g_assert_cmpmem (data, len, payload, sizeof payload);
    /* borrowed from the message buffer */
    g_assert_true (data >= b.buf && data + len <= b.buf + b.len);
    g_assert_cmpint (rp_turn_has_dont_fragment (&msg), ==, methods[m] == RP_STUN_SEND);
  }

  /* RFC 8656 18.4: an empty DATA is still a DATA attribute */
  rp_stun_builder_init (&b, RP_STUN_DATA, RP_STUN_INDICATION, tid_a0);
  g_assert_true (rp_turn_add_data (&b, NULL, 0));
  parse_ok (&b, &msg);
  g_assert_true (rp_turn_get_data (&msg, &data, &len));
  g_assert_cmpuint (len, ==, 0);

  /* too large for the builder, or for the 16-bit length */
  rp_stun_builder_init (&b, RP_STUN_SEND, RP_STUN_INDICATION, tid_a0);
  {
    g_autofree guint8 *big = g_malloc0 (70000);

    g_assert_false (rp_turn_add_data (&b, big, RP_STUN_MAX_MESSAGE));
    g_assert_false (rp_turn_add_data (&b, big, 70000));
    g_assert_cmpuint (b.len, ==, RP_STUN_HEADER_LEN);
  }
  g_assert_false (rp_turn_add_data (&b, NULL, 3));
  parse_ok (&b, &msg);
  g_assert_false (rp_turn_get_data (&msg, &data, &len));
}

static void
test_create_permission_round_trip (void)
{
  RpStunAddress in[3] = { address ("192.0.2.1", 1), address ("2001:db8::1", 65535),
                          address ("10.0.0.9", 0) };
  RpStunAddress out[4];
  RpStunBuilder b;
  RpStunMessage msg;
  guint8 key[16] = { 7 };

  /* RFC 8656 9.1: one or more XOR-PEER-ADDRESS */
  rp_stun_builder_init (&b, RP_STUN_CREATE_PERMISSION, RP_STUN_REQUEST, tid_a0);
  for (gsize i = 0; i < G_N_ELEMENTS (in); i++)
    g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_PEER_ADDRESS, &in[i]));
  g_assert_true (rp_stun_builder_add_integrity (&b, key, sizeof key));
  parse_ok (&b, &msg);
  g_assert_cmpuint (msg.method, ==, RP_STUN_CREATE_PERMISSION);
  g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, out, G_N_ELEMENTS (out)), ==, 3);
  for (gsize i = 0; i < G_N_ELEMENTS (in); i++)
    g_assert_true (rp_stun_address_equal (&out[i], &in[i]));
  g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, out, 2), ==, 2);
  g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, out, 0), ==, 0);

  /* one malformed peer address spoils the lot: the server would send 400 */
  b.buf[20 + 5] = 0x03;
  parse_ok (&b, &msg);
  g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, out, G_N_ELEMENTS (out)), ==, 0);

  rp_stun_builder_init (&b, RP_STUN_CREATE_PERMISSION, RP_STUN_SUCCESS, tid_a0);
  parse_ok (&b, &msg);
  g_assert_cmpuint (msg.klass, ==, RP_STUN_SUCCESS);
  g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, out, G_N_ELEMENTS (out)), ==, 0);
}

/* A peer address placed after MESSAGE-INTEGRITY does not count (RFC 8489
 * 14.5), so the TURN getters must not see it either. */
static void
test_after_integrity_ignored (void)
{
  RpStunAddress peer = address ("192.0.2.9", 7), out[2];
  guint8 v[4] = { 0x40, 0x01, 0, 0 };
  RpStunBuilder b;
  RpStunMessage msg;
  guint8 key[4] = { 1, 2, 3, 4 };
  gsize off;
  guint16 ch = 0;

  rp_stun_builder_init (&b, RP_STUN_CHANNEL_BIND, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_stun_builder_add_integrity (&b, key, sizeof key));
  /* the builder refuses to append; write the bytes by hand */
  off = b.len;
  memcpy (b.buf + off, (const guint8[]){ 0x00, 0x0c, 0x00, 0x04 }, 4);
  memcpy (b.buf + off + 4, v, 4);
  memcpy (b.buf + off + 8, (const guint8[]){ 0x00, 0x12, 0x00, 0x08, 0x00, 0x01 }, 6);
  b.buf[off + 14] = (guint8) ((peer.port ^ 0x2112) >> 8);
  b.buf[off + 15] = (guint8) (peer.port ^ 0x2112);
  for (int i = 0; i < 4; i++)
    b.buf[off + 16 + i] = peer.addr[i] ^ b.buf[4 + i];
  b.len = off + 20;
  b.buf[2] = 0;
  b.buf[3] = (guint8) (b.len - 20);
  g_assert_cmpint (rp_stun_message_parse (b.buf, b.len, &msg), ==, RP_STUN_PARSE_OK);
  g_assert_false (rp_turn_get_channel_number (&msg, &ch));
  g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, out, G_N_ELEMENTS (out)), ==, 0);
}

static void
test_channel_bind_round_trip (void)
{
  RpStunAddress peer_in = address ("203.0.113.5", 49152), peer[1];
  RpStunBuilder b;
  RpStunMessage msg;
  guint16 ch = 0;
  const guint16 good[] = { 0x4000, 0x4001, 0x4abc, 0x4FFF };
  const guint16 bad[] = { 0x0000, 0x3FFF, 0x5000, 0x7FFF, 0x8000, 0xFFFF };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
    rp_stun_builder_init (&b, RP_STUN_CHANNEL_BIND, RP_STUN_REQUEST, tid_a0);
    g_assert_true (rp_turn_add_channel_number (&b, good[i]));
    g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_PEER_ADDRESS, &peer_in));
    parse_ok (&b, &msg);
    g_assert_cmpuint (msg.method, ==, RP_STUN_CHANNEL_BIND);
    g_assert_true (rp_turn_get_channel_number (&msg, &ch));
    g_assert_cmpuint (ch, ==, good[i]);
    g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, peer, 1), ==, 1);
    g_assert_true (rp_stun_address_equal (&peer[0], &peer_in));
    /* RFC 8656 18.1: number then two RFFU bytes */
    g_assert_cmpuint (b.buf[24], ==, good[i] >> 8);
    g_assert_cmpuint (b.buf[25], ==, good[i] & 0xff);
    g_assert_cmpuint (b.buf[26] | b.buf[27], ==, 0);
    /* RFFU is ignored on receipt */
    b.buf[26] = 0xff;
    parse_ok (&b, &msg);
    g_assert_true (rp_turn_get_channel_number (&msg, &ch));
    g_assert_cmpuint (ch, ==, good[i]);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    guint8 v[4] = { (guint8) (bad[i] >> 8), (guint8) bad[i], 0, 0 };

    g_assert_false (rp_turn_channel_is_valid (bad[i]));
    rp_stun_builder_init (&b, RP_STUN_CHANNEL_BIND, RP_STUN_REQUEST, tid_a0);
    g_assert_false (rp_turn_add_channel_number (&b, bad[i]));
    g_assert_cmpuint (b.len, ==, RP_STUN_HEADER_LEN);
    g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_CHANNEL_NUMBER, v, 4));
    parse_ok (&b, &msg);
    g_assert_false (rp_turn_get_channel_number (&msg, &ch));
  }

  rp_stun_builder_init (&b, RP_STUN_CHANNEL_BIND, RP_STUN_SUCCESS, tid_a0);
  parse_ok (&b, &msg);
  g_assert_cmpint (msg.klass, ==, RP_STUN_SUCCESS);
  g_assert_false (rp_turn_get_channel_number (&msg, &ch));
}

/* Fixed-size TURN values with the wrong length are refused, not guessed at. */
static void
test_wrong_lengths (void)
{
  const guint8 v[12] = { 0x40, 0x00, 0, 0, 0x11, 0, 0, 0, 0x01, 0, 0, 0 };
  const struct {
    guint16 type;
    guint16 bad_len;
  } cases[] = {
    { RP_STUN_ATTR_CHANNEL_NUMBER, 2 },       { RP_STUN_ATTR_CHANNEL_NUMBER, 8 },
    { RP_STUN_ATTR_LIFETIME, 3 },             { RP_STUN_ATTR_LIFETIME, 8 },
    { RP_STUN_ATTR_REQUESTED_TRANSPORT, 1 },  { RP_STUN_ATTR_REQUESTED_TRANSPORT, 8 },
    { RP_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 1 },
    { RP_STUN_ATTR_EVEN_PORT, 0 },            { RP_STUN_ATTR_EVEN_PORT, 4 },
    { RP_STUN_ATTR_RESERVATION_TOKEN, 4 },    { RP_STUN_ATTR_RESERVATION_TOKEN, 12 },
    { RP_STUN_ATTR_DONT_FRAGMENT, 4 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    RpStunBuilder b;
    RpStunMessage msg;
    guint16 ch;
    guint32 u;
    guint8 p, tok[8];
    int fam;
    gboolean r;

    rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_REQUEST, tid_a0);
    g_assert_true (rp_stun_builder_add (&b, cases[i].type, v, cases[i].bad_len));
    parse_ok (&b, &msg);
    g_assert_false (rp_turn_get_channel_number (&msg, &ch));
    g_assert_false (rp_turn_get_lifetime (&msg, &u));
    g_assert_false (rp_turn_get_requested_transport (&msg, &p));
    g_assert_false (rp_turn_get_requested_address_family (&msg, &fam));
    g_assert_false (rp_turn_get_even_port (&msg, &r));
    g_assert_false (rp_turn_get_reservation_token (&msg, tok));
    g_assert_false (rp_turn_has_dont_fragment (&msg));
  }

  /* RFC 8656 18.6: families other than 0x01 and 0x02 are not defined */
  {
    const guint8 fam3[4] = { 0x03, 0, 0, 0 };
    RpStunBuilder b;
    RpStunMessage msg;
    int fam = 0;

    rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_REQUEST, tid_a0);
    g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, fam3, 4));
    parse_ok (&b, &msg);
    g_assert_false (rp_turn_get_requested_address_family (&msg, &fam));
  }
}

/* RFC 8489 14.2 worked by hand. Port: x-port = port ^ 0x2112. IPv4: address
 * ^ 21 12 a4 42. IPv6: address ^ (cookie || transaction ID).
 *   203.0.113.5:49152 -> port 0xc000 ^ 0x2112 = 0xe112;
 *     cb 00 71 05 ^ 21 12 a4 42 = ea 12 d5 47
 *   [2001:db8::1]:3478 with tid a0..ab -> port 0x0d96 ^ 0x2112 = 0x2c84;
 *     20 01 0d b8 ^ 21 12 a4 42 = 01 13 a9 fa, 00 x 10 ^ a0..a9 = a0..a9,
 *     00 01 ^ aa ab = aa aa */
static void
test_xor_peer_address_bytes (void)
{
  const guint8 want4[] = { 0x00, 0x12, 0x00, 0x08, 0x00, 0x01, 0xe1, 0x12, 0xea, 0x12, 0xd5, 0x47 };
  const guint8 want6[] = { 0x00, 0x12, 0x00, 0x14, 0x00, 0x02, 0x2c, 0x84, 0x01, 0x13, 0xa9, 0xfa,
                           0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xaa };
  RpStunAddress v4 = address ("203.0.113.5", 49152), v6 = address ("2001:db8::1", 3478), out[1];
  RpStunBuilder b;
  RpStunMessage msg;

  rp_stun_builder_init (&b, RP_STUN_SEND, RP_STUN_INDICATION, tid_a0);
  g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_PEER_ADDRESS, &v4));
  g_assert_cmpmem (b.buf + 20, b.len - 20, want4, sizeof want4);

  rp_stun_builder_init (&b, RP_STUN_SEND, RP_STUN_INDICATION, tid_a0);
  g_assert_true (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_PEER_ADDRESS, &v6));
  g_assert_cmpmem (b.buf + 20, b.len - 20, want6, sizeof want6);

  /* and the decoder reads the hand-made bytes back */
  rp_stun_builder_init (&b, RP_STUN_DATA, RP_STUN_INDICATION, tid_a0);
  g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_XOR_PEER_ADDRESS, want4 + 4, 8));
  parse_ok (&b, &msg);
  g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, out, 1), ==, 1);
  assert_address (&out[0], "203.0.113.5:49152");

  rp_stun_builder_init (&b, RP_STUN_DATA, RP_STUN_INDICATION, tid_a0);
  g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_XOR_PEER_ADDRESS, want6 + 4, 20));
  parse_ok (&b, &msg);
  g_assert_cmpuint (rp_turn_get_peer_addresses (&msg, out, 1), ==, 1);
  assert_address (&out[0], "[2001:db8::1]:3478");

  /* XOR-RELAYED-ADDRESS follows the same rule */
  rp_stun_builder_init (&b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, tid_a0);
  g_assert_true (rp_stun_builder_add (&b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, want6 + 4, 20));
  parse_ok (&b, &msg);
  g_assert_true (rp_turn_get_relayed_address (&msg, &out[0]));
  assert_address (&out[0], "[2001:db8::1]:3478");
}

static void
test_channeldata_build (void)
{
  const guint8 payload[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

  for (gsize len = 0; len <= 9; len++) {
    for (int pad = 0; pad <= 1; pad++) {
      guint8 out[32];
      gsize want = pad ? ((4 + len + 3) / 4) * 4 : 4 + len;
      gsize n;
      guint16 ch = 0;
      const guint8 *data = NULL;
      gsize dlen = 0;

      memset (out, 0xAA, sizeof out);
      n = rp_turn_channeldata_build (0x4001, payload, len, pad, out, sizeof out);
      g_assert_cmpuint (n, ==, want);
      g_assert_cmpuint (out[0], ==, 0x40);
      g_assert_cmpuint (out[1], ==, 0x01);
      /* RFC 8656 12.4: the length excludes the padding */
      g_assert_cmpuint ((out[2] << 8) | out[3], ==, len);
      g_assert_cmpmem (out + 4, len, payload, len);
      for (gsize i = 4 + len; i < n; i++)
        g_assert_cmpuint (out[i], ==, 0);
      g_assert_cmpuint (out[n], ==, 0xAA);

      /* a padded frame is what the stream framer expects */
      if (pad)
        g_assert_cmpint (rp_stun_frame_length (out, n), ==, (gssize) n);
      g_assert_true (rp_turn_channeldata_parse (out, n, FALSE, &ch, &data, &dlen));
      g_assert_cmpuint (ch, ==, 0x4001);
      g_assert_cmpuint (dlen, ==, len);
      g_assert_true (data == out + 4);
      /* on a stream, only the padded form is complete */
      g_assert_cmpint (rp_turn_channeldata_parse (out, n, TRUE, &ch, &data, &dlen), ==,
                       pad || len % 4 == 0);

      /* one byte short of room */
      g_assert_cmpuint (rp_turn_channeldata_build (0x4001, payload, len, pad, out, want - 1), ==,
                        0);
      g_assert_cmpuint (rp_turn_channeldata_build (0x4001, payload, len, pad, out, want), ==, want);
    }
  }

  {
    guint8 out[16];
    g_autofree guint8 *big = g_malloc0 (G_MAXUINT16 + 8);
    g_autofree guint8 *bigout = g_malloc0 (G_MAXUINT16 + 8);

    g_assert_cmpuint (rp_turn_channeldata_build (0x3FFF, NULL, 0, TRUE, out, sizeof out), ==, 0);
    g_assert_cmpuint (rp_turn_channeldata_build (0x5000, NULL, 0, TRUE, out, sizeof out), ==, 0);
    g_assert_cmpuint (rp_turn_channeldata_build (0x7FFF, NULL, 0, FALSE, out, sizeof out), ==, 0);
    g_assert_cmpuint (rp_turn_channeldata_build (0x4FFF, NULL, 0, FALSE, out, sizeof out), ==, 4);
    g_assert_cmpuint (rp_turn_channeldata_build (0x4000, NULL, 3, FALSE, out, sizeof out), ==, 0);
    g_assert_cmpuint (rp_turn_channeldata_build (0x4000, NULL, 0, FALSE, NULL, 0), ==, 0);
    /* the largest length there is, and one past it */
    g_assert_cmpuint (
      rp_turn_channeldata_build (0x4000, big, G_MAXUINT16, TRUE, bigout, G_MAXUINT16 + 8), ==,
      G_MAXUINT16 + 5);
    g_assert_cmpuint (
      rp_turn_channeldata_build (0x4000, big, G_MAXUINT16 + 1u, FALSE, bigout, G_MAXUINT16 + 8), ==,
      0);
  }
}

static void
test_channeldata_parse (void)
{
  /* channel 0x4abc, length 5, "abcde", 3 bytes of padding, then junk */
  const guint8 frame[] = { 0x4a, 0xbc, 0x00, 0x05, 'a',  'b',  'c',  'd', 'e',
                           0,    0,    0,    0xEE, 0xEE, 0xEE, 0xEE, 0xEE };
  const guint16 out_of_range[] = { 0x3FFF, 0x5000, 0x7FFF };
  guint16 ch = 1;
  const guint8 *data = frame;
  gsize len = 1;

  /* datagram: unpadded (9) or padded to 12; nothing else */
  for (gsize n = 0; n <= sizeof frame; n++) {
    gboolean want = n == 9 || n == 12;

    g_assert_cmpint (rp_turn_channeldata_parse (frame, n, FALSE, &ch, &data, &len), ==, want);
    if (want) {
      g_assert_cmpuint (ch, ==, 0x4abc);
      g_assert_cmpmem (data, len, "abcde", 5);
    } else {
      /* outputs are cleared on failure */
      g_assert_cmpuint (ch, ==, 0);
      g_assert_null (data);
      g_assert_cmpuint (len, ==, 0);
    }
  }
  /* stream: needs the padding, ignores what follows (the next frame) */
  for (gsize n = 0; n <= sizeof frame; n++) {
    g_assert_cmpint (rp_turn_channeldata_parse (frame, n, TRUE, &ch, &data, &len), ==, n >= 12);
    if (n >= 12)
      g_assert_cmpuint (len, ==, 5);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (out_of_range); i++) {
    guint8 m[8] = {
      (guint8) (out_of_range[i] >> 8), (guint8) out_of_range[i], 0x00, 0x04, 1, 2, 3, 4
    };

    g_assert_false (rp_turn_channeldata_parse (m, sizeof m, FALSE, &ch, &data, &len));
    g_assert_false (rp_turn_channeldata_parse (m, sizeof m, TRUE, &ch, &data, &len));
    m[0] = 0x40;
    m[1] = 0x00;
    g_assert_true (rp_turn_channeldata_parse (m, sizeof m, FALSE, &ch, &data, &len));
  }

  {
    /* zero length, and a hostile length past the end */
    const guint8 empty[] = { 0x40, 0x00, 0x00, 0x00 };
    const guint8 huge[] = { 0x40, 0x00, 0xff, 0xff, 1, 2, 3, 4 };
    const guint8 empty_trailing[] = { 0x40, 0x00, 0x00, 0x00, 0, 0, 0, 0 };

    g_assert_true (rp_turn_channeldata_parse (empty, sizeof empty, FALSE, &ch, &data, &len));
    g_assert_cmpuint (len, ==, 0);
    g_assert_true (rp_turn_channeldata_parse (empty, sizeof empty, TRUE, &ch, &data, &len));
    g_assert_false (rp_turn_channeldata_parse (huge, sizeof huge, FALSE, &ch, &data, &len));
    g_assert_false (rp_turn_channeldata_parse (huge, sizeof huge, TRUE, &ch, &data, &len));
    /* 4 bytes after an empty frame are not padding on a datagram */
    g_assert_false (
      rp_turn_channeldata_parse (empty_trailing, sizeof empty_trailing, FALSE, &ch, &data, &len));
    g_assert_true (
      rp_turn_channeldata_parse (empty_trailing, sizeof empty_trailing, TRUE, &ch, &data, &len));
    g_assert_false (rp_turn_channeldata_parse (NULL, 0, FALSE, &ch, &data, &len));
    /* NULL outputs are allowed */
    g_assert_true (rp_turn_channeldata_parse (empty, sizeof empty, FALSE, NULL, NULL, NULL));
  }
}

/* STUN, then ChannelData with an odd length, then STUN, on one TCP stream:
 * the framer cuts at the padded ChannelData length and every piece parses. */
static void
test_stream_interleaved (void)
{
  const guint8 payload[] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };
  guint8 stream[256];
  gsize total = 0, off = 0, n;
  RpStunBuilder b;
  RpStunMessage msg;
  guint part = 0;

  rp_stun_builder_init (&b, RP_STUN_REFRESH, RP_STUN_REQUEST, tid_a0);
  g_assert_true (rp_turn_add_lifetime (&b, 600));
  memcpy (stream, b.buf, b.len);
  total = b.len;
  n = rp_turn_channeldata_build (0x4123, payload, sizeof payload, TRUE, stream + total,
                                 sizeof stream - total);
  g_assert_cmpuint (n, ==, 12);
  total += n;
  rp_stun_builder_init (&b, RP_STUN_DATA, RP_STUN_INDICATION, tid_a0);
  g_assert_true (rp_turn_add_data (&b, payload, sizeof payload));
  memcpy (stream + total, b.buf, b.len);
  total += b.len;

  while (off < total) {
    gssize fl = rp_stun_frame_length (stream + off, total - off);
    guint32 lifetime = 0;
    const guint8 *data = NULL;
    gsize len = 0;
    guint16 ch = 0;

    g_assert_cmpint (fl, >, 0);
    g_assert_cmpuint ((gsize) fl, <=, total - off);
    switch (part) {
    case 0:
      g_assert_cmpint (rp_stun_message_parse (stream + off, (gsize) fl, &msg), ==,
                       RP_STUN_PARSE_OK);
      g_assert_true (rp_turn_get_lifetime (&msg, &lifetime));
      g_assert_cmpuint (lifetime, ==, 600);
      break;
    case 1:
      g_assert_cmpint (fl, ==, 12);
      g_assert_true (rp_turn_channeldata_parse (stream + off, (gsize) fl, TRUE, &ch, &data, &len));
      g_assert_cmpuint (ch, ==, 0x4123);
      g_assert_cmpmem (data, len, payload, sizeof payload);
      /* the stream parser also works on the rest of the buffer */
      g_assert_true (rp_turn_channeldata_parse (stream + off, total - off, TRUE, &ch, &data, &len));
      g_assert_cmpuint (len, ==, sizeof payload);
      break;
    case 2:
      g_assert_cmpint (rp_stun_message_parse (stream + off, (gsize) fl, &msg), ==,
                       RP_STUN_PARSE_OK);
      g_assert_true (rp_turn_get_data (&msg, &data, &len));
      g_assert_cmpmem (data, len, payload, sizeof payload);
      break;
    default:
      g_assert_not_reached ();
    }
    off += (gsize) fl;
    part++;
  }
  g_assert_cmpuint (part, ==, 3);
  g_assert_cmpuint (off, ==, total);
}

/* Expected passwords produced once with the openssl command line tool:
 *   printf '%s' "1700000000:alice" | openssl dgst -sha1 -hmac "north-wind-7" -binary | base64
 *   printf '%s' "1700000000" | openssl dgst -sha1 -hmac "north-wind-7" -binary | base64 */
static void
test_rest_credentials (void)
{
  const char secret[] = "north-wind-7";
  g_autoptr (RpSecret) password = NULL;
  g_autoptr (RpSecret) password2 = NULL;
  g_autoptr (RpSecret) password3 = NULL;
  g_autofree char *username = NULL;
  g_autofree char *username2 = NULL;
  g_autofree char *username3 = NULL;

  rp_turn_rest_credentials (secret, strlen (secret), "alice", 1700000000, &username, &password);
  g_assert_cmpstr (username, ==, "1700000000:alice");
  g_assert_cmpstr (password, ==, "/GKwbCrERBoXgsD5rlxsZvjL99E=");
  g_assert_cmpint (rp_turn_rest_username_expiry (username), ==, 1700000000);

  rp_turn_rest_credentials (secret, strlen (secret), NULL, 1700000000, &username2, &password2);
  g_assert_cmpstr (username2, ==, "1700000000");
  g_assert_cmpstr (password2, ==, "bc6iPM/ZtVlbEY67Qen8/xkyYSI=");
  g_clear_pointer (&username2, g_free);
  g_clear_pointer (&password2, rp_secret_free);
  rp_turn_rest_credentials (secret, strlen (secret), "", 1700000000, &username2, &password2);
  g_assert_cmpstr (username2, ==, "1700000000");
  g_assert_cmpstr (password2, ==, "bc6iPM/ZtVlbEY67Qen8/xkyYSI=");

  /* the secret length is honoured: a shorter key is a different key */
  rp_turn_rest_credentials (secret, strlen (secret) - 1, "alice", 1700000000, &username3,
                            &password3);
  g_assert_cmpstr (username3, ==, "1700000000:alice");
  g_assert_cmpstr (password3, !=, password);
  g_assert_cmpuint (strlen (password3), ==, 28);

  rp_secret_free (NULL);
}

static void
test_rest_username_expiry (void)
{
  const struct {
    const char *in;
    gint64 want;
  } cases[] = {
    { "", -1 },
    { ":", -1 },
    { ":alice", -1 },
    { "12a:x", -1 },
    { "12a", -1 },
    { "-5:x", -1 },
    { "+5:x", -1 },
    { " 5:x", -1 },
    { "99999999999999999999:x", -1 },
    { "9223372036854775808", -1 },
    { "9223372036854775807", G_MAXINT64 },
    { "1700000000", 1700000000 },
    { "1700000000:alice", 1700000000 },
    { "1700000000:", 1700000000 },
    { "0:x", 0 },
    { "007:x:y", 7 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("%s", cases[i].in);
    g_assert_cmpint (rp_turn_rest_username_expiry (cases[i].in), ==, cases[i].want);
  }
  g_assert_cmpint (rp_turn_rest_username_expiry (NULL), ==, -1);
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

/* coturn 4.6.1 captures (tests/data/stun/README.md): the Allocate request an
 * independent script wrote and coturn's success answer. */
static void
test_coturn_allocate (void)
{
  g_autoptr (GBytes) req = load ("coturn-allocate-ok-request.bin");
  g_autoptr (GBytes) ok = load ("coturn-allocate-ok-response.bin");
  g_autoptr (GBytes) refresh = load ("coturn-refresh-0-request.bin");
  RpStunMessage msg;
  RpStunAddress relayed;
  guint32 lifetime = 1;
  guint8 proto = 0;

  g_assert_cmpint (
    rp_stun_message_parse (g_bytes_get_data (req, NULL), g_bytes_get_size (req), &msg), ==,
    RP_STUN_PARSE_OK);
  g_assert_true (rp_turn_get_requested_transport (&msg, &proto));
  g_assert_cmpuint (proto, ==, RP_TURN_TRANSPORT_UDP);

  g_assert_cmpint (rp_stun_message_parse (g_bytes_get_data (ok, NULL), g_bytes_get_size (ok), &msg),
                   ==, RP_STUN_PARSE_OK);
  g_assert_cmpuint (msg.method, ==, RP_STUN_ALLOCATE);
  g_assert_cmpint (msg.klass, ==, RP_STUN_SUCCESS);
  g_assert_true (rp_turn_get_relayed_address (&msg, &relayed));
  assert_address (&relayed, "127.0.0.1:45272");
  g_assert_true (rp_turn_get_lifetime (&msg, &lifetime));
  g_assert_cmpuint (lifetime, ==, 600);

  g_assert_cmpint (
    rp_stun_message_parse (g_bytes_get_data (refresh, NULL), g_bytes_get_size (refresh), &msg), ==,
    RP_STUN_PARSE_OK);
  g_assert_cmpuint (msg.method, ==, RP_STUN_REFRESH);
  g_assert_true (rp_turn_get_lifetime (&msg, &lifetime));
  g_assert_cmpuint (lifetime, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/turn/codec/allocate", test_allocate_round_trip);
  g_test_add_func ("/turn/codec/refresh", test_refresh_round_trip);
  g_test_add_func ("/turn/codec/send-data-indications", test_send_data_indications);
  g_test_add_func ("/turn/codec/create-permission", test_create_permission_round_trip);
  g_test_add_func ("/turn/codec/channel-bind", test_channel_bind_round_trip);
  g_test_add_func ("/turn/codec/after-integrity-ignored", test_after_integrity_ignored);
  g_test_add_func ("/turn/codec/wrong-lengths", test_wrong_lengths);
  g_test_add_func ("/turn/codec/xor-peer-address-bytes", test_xor_peer_address_bytes);
  g_test_add_func ("/turn/codec/channeldata-build", test_channeldata_build);
  g_test_add_func ("/turn/codec/dual-allocation", test_dual_allocation);
  g_test_add_func ("/turn/codec/channeldata-parse", test_channeldata_parse);
  g_test_add_func ("/turn/codec/stream-interleaved", test_stream_interleaved);
  g_test_add_func ("/turn/codec/rest-credentials", test_rest_credentials);
  g_test_add_func ("/turn/codec/rest-username-expiry", test_rest_username_expiry);
  g_test_add_func ("/turn/codec/coturn-allocate", test_coturn_allocate);
  return g_test_run ();
}
