/* Reflector tokens, signed STAMP packets and the direct path's binding to
 * one peer (reflector/protocol/reflector-auth.h), and
 * the protocol messages that carry them (reflector/protocol/reflector-proto.h). The
 * token's expected value is computed here with OpenSSL directly, not with
 * the code under test. */
#include <openssl/hmac.h>
#include <string.h>

#include "reflector/protocol/reflector-auth.h"
#include "reflector/protocol/reflector-proto.h"

static const char secret[] = "0123456789abcdef-lab-secret";
#define NOW 1700000000

static char *
reference_token (const char *key, const char *username)
{
  guint8 mac[20];
  unsigned int n = 0;

  HMAC (EVP_sha1 (), key, (int) strlen (key), (const guint8 *) username, strlen (username), mac,
        &n);
  return g_base64_encode (mac, n);
}

static void
test_token_make_matches_rest_convention (void)
{
  g_autofree char *username = NULL;
  g_autofree char *token =
    rp_reflector_token_make (secret, strlen (secret), "alice", NOW + 60, &username);
  g_autofree char *want = reference_token (secret, "1700000060:alice");

  g_assert_cmpstr (username, ==, "1700000060:alice");
  g_assert_cmpstr (token, ==, want);
  g_assert_cmpstr (rp_reflector_token_name (username), ==, "alice");
}

static void
test_token_verify (void)
{
  g_autofree char *u = NULL, *u2 = NULL;
  g_autofree char *t = rp_reflector_token_make (secret, strlen (secret), "alice", NOW + 60, &u);
  g_autofree char *old = rp_reflector_token_make (secret, strlen (secret), "alice", NOW - 1, &u2);
  g_autofree char *forged = reference_token ("another secret entirely", u);
  g_autofree char *far_u = NULL, *bad_u = NULL;
  g_autofree char *far =
    rp_reflector_token_make (secret, strlen (secret), "alice", NOW + 100000, &far_u);
  g_autofree char *bad =
    rp_reflector_token_make (secret, strlen (secret), "al ice", NOW + 60, &bad_u);

  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), u, t, NOW, 3600), ==,
                   RP_TOKEN_OK);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), u, forged, NOW, 3600), ==,
                   RP_TOKEN_FORGED);
  /* The name is covered by the HMAC: another name with the same token fails. */
  g_assert_cmpint (
    rp_reflector_token_verify (secret, strlen (secret), "1700000060:bob", t, NOW, 3600), ==,
    RP_TOKEN_FORGED);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), u2, old, NOW, 3600), ==,
                   RP_TOKEN_EXPIRED);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), u, t, NOW + 60, 3600), ==,
                   RP_TOKEN_EXPIRED);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), far_u, far, NOW, 3600), ==,
                   RP_TOKEN_TOO_LONG_LIVED);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), bad_u, bad, NOW, 3600), ==,
                   RP_TOKEN_BAD_NAME);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), "alice", t, NOW, 3600), ==,
                   RP_TOKEN_MALFORMED);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), "1700000060:", t, NOW, 3600),
                   ==, RP_TOKEN_BAD_NAME);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), u, "short", NOW, 3600), ==,
                   RP_TOKEN_MALFORMED);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), u, NULL, NOW, 3600), ==,
                   RP_TOKEN_MALFORMED);
  g_assert_cmpint (rp_reflector_token_verify (secret, strlen (secret), NULL, t, NOW, 3600), ==,
                   RP_TOKEN_MALFORMED);
  g_assert_cmpint (
    rp_reflector_token_verify (secret, strlen (secret), "99999999999999999999999:a", t, NOW, 3600),
    ==, RP_TOKEN_MALFORMED);
  g_assert_cmpstr (rp_token_result_to_string (RP_TOKEN_FORGED), ==, "forged");
}

static const guint8 key[RP_REFLECTOR_KEY_LEN] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                  23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static void
test_packet_sign_verify (void)
{
  RpStampSender p = {
    .seq = 7, .timestamp = 42, .error_estimate = RP_STAMP_EE_DEFAULT, .ssid = 0xbeef
  };
  guint8 buf[2048], other[RP_REFLECTOR_KEY_LEN];

  memset (other, 9, sizeof other);
  g_assert_cmpuint (rp_reflector_packet_encode (&p, 63, key, buf, sizeof buf), ==, 0);
  g_assert_cmpuint (rp_reflector_packet_encode (&p, 64, key, buf, 63), ==, 0);
  for (gsize len = RP_REFLECTOR_MIN_PACKET; len <= 1472; len += 97) {
    g_assert_cmpuint (rp_reflector_packet_encode (&p, len, key, buf, sizeof buf), ==, len);
    g_assert_true (rp_reflector_packet_verify (buf, len, key));
    g_assert_false (rp_reflector_packet_verify (buf, len, other));
    g_assert_false (rp_reflector_packet_verify (buf, len - 1, key));
    g_assert_cmpuint (rp_reflector_packet_ssid (buf, len), ==, 0xbeef);
    g_assert_cmpuint (buf[len - 19], ==, RP_REFLECTOR_TLV_HMAC);   /* RFC 8972 4.8 type */
    buf[3] ^= 1;                                                   /* a flipped bit anywhere */
    g_assert_false (rp_reflector_packet_verify (buf, len, key));
  }
  g_assert_false (rp_reflector_packet_verify (buf, 10, key));
  g_assert_false (rp_reflector_packet_verify (NULL, 100, key));
}

/* The tag against OpenSSL's one-shot HMAC(), computed here, while the key
 * alternates and repeats: the context kept between packets must be keyed
 * again on every change and restart from the keyed state on a repeat. */
static void
test_packet_tag_keys (void)
{
  RpStampSender p = { .error_estimate = RP_STAMP_EE_DEFAULT, .ssid = 5 };
  guint8 keys[3][RP_REFLECTOR_KEY_LEN], buf[256], mac[EVP_MAX_MD_SIZE];
  static const guint order[] = { 0, 0, 1, 0, 2, 2, 2, 1, 1, 0 };
  gsize len = 102;

  for (guint k = 0; k < 3; k++)
    memset (keys[k], 0x11 * (k + 1), sizeof keys[k]);
  for (guint i = 0; i < G_N_ELEMENTS (order); i++) {
    const guint8 *key_i = keys[order[i]];
    unsigned int n = 0;
    p.seq = i;
    p.timestamp = rp_stamp_us_to_ntp (1000 * i);
    g_assert_cmpuint (rp_reflector_packet_encode (&p, len, key_i, buf, sizeof buf), ==, len);
    g_assert_nonnull (HMAC (EVP_sha256 (), key_i, RP_REFLECTOR_KEY_LEN, buf,
                            len - RP_REFLECTOR_TRAILER_LEN, mac, &n));
    g_assert_cmpmem (buf + len - RP_REFLECTOR_TAG_LEN, RP_REFLECTOR_TAG_LEN, mac,
                     RP_REFLECTOR_TAG_LEN);
    g_assert_true (rp_reflector_packet_verify (buf, len, key_i));
    g_assert_false (rp_reflector_packet_verify (buf, len, keys[(order[i] + 1) % 3]));
  }
}

static void
test_answer_in_place (void)
{
  RpStampReflector r;
  RpStampSender p = { .seq = 3, .error_estimate = RP_STAMP_EE_DEFAULT, .ssid = 77 };
  RpStampReflected out;
  guint8 buf[512];
  gsize len = 172;

  rp_stamp_reflector_init (&r, FALSE);
  p.timestamp = rp_stamp_us_to_ntp (1000);
  g_assert_cmpuint (rp_reflector_packet_encode (&p, len, key, buf, sizeof buf), ==, len);
  g_assert_true (rp_reflector_answer (&r, buf, len, key, 2000, 2500, 64));
  /* The answer is the same length, signed again, and says what came in. */
  g_assert_true (rp_reflector_packet_verify (buf, len, key));
  g_assert_cmpint (rp_stamp_reflected_decode (buf, len, &out), ==, RP_STAMP_OK);
  g_assert_cmpuint (out.sender_seq, ==, 3);
  g_assert_cmpuint (out.seq, ==, 0);
  g_assert_cmpuint (out.ssid, ==, 77);
  g_assert_cmpint (
    rp_stamp_timestamp_diff_us (out.timestamp, out.receive_timestamp, out.error_estimate), ==, 500);
  /* Unsigned: nothing, and the counter stays. */
  p.seq = 4;
  rp_reflector_packet_encode (&p, len, key, buf, sizeof buf);
  buf[len - 1] ^= 0x80;
  g_assert_false (rp_reflector_answer (&r, buf, len, key, 0, 0, 0));
  g_assert_cmpuint (r.next_seq, ==, 1);
}

/* A load session: hello with streams, a welcome with one SSID a stream and
 * the rates, and what a parser must refuse. */
static void
test_load_messages (void)
{
  RpReflectorWelcome w = { 0 }, back = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) h = NULL, o = NULL;
  g_autofree char *hello = rp_reflector_msg_hello ("1:x", "tok", 40);
  g_autofree char *plain = rp_reflector_msg_hello ("1:x", "tok", 0);
  g_autofree char *text = NULL;
  const char *type;
  guint16 ssids[] = { 7, 65535, 1 };
  static const char *const bad[] = {
    "{\"type\":\"hello\",\"streams\":0}", "{\"type\":\"hello\",\"streams\":2001}",
    "{\"type\":\"hello\",\"streams\":\"5\"}", "{\"type\":\"hello\",\"streams\":1.5}",
  };

  h = rp_reflector_msg_parse (hello, strlen (hello), &type, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rp_reflector_msg_get_streams (h), ==, 40);
  g_clear_pointer (&h, json_object_unref);
  h = rp_reflector_msg_parse (plain, strlen (plain), &type, &error);
  g_assert_cmpint (rp_reflector_msg_get_streams (h), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (JsonObject) b = rp_reflector_msg_parse (bad[i], strlen (bad[i]), &type, NULL);
    g_assert_nonnull (b);
    g_assert_cmpint (rp_reflector_msg_get_streams (b), ==, -1);
  }

  w.session = (char *) "0011223344556677";
  w.ssid = 7;
  memcpy (w.key, key, sizeof key);
  w.streams = g_array_new (FALSE, FALSE, sizeof (guint16));
  g_array_append_vals (w.streams, ssids, G_N_ELEMENTS (ssids));
  w.stream_rate = 200;
  w.direct_rate = 5000;
  w.udp_port = 9000;
  text = rp_reflector_msg_welcome (&w);
  g_array_unref (w.streams);
  g_assert_null (strstr (text, "ufrag"));
  o = rp_reflector_msg_parse (text, strlen (text), &type, &error);
  g_assert_no_error (error);
  g_assert_true (rp_reflector_msg_get_welcome (o, &back, &error));
  g_assert_cmpuint (back.streams->len, ==, 3);
  g_assert_cmpuint (g_array_index (back.streams, guint16, 1), ==, 65535);
  g_assert_cmpfloat (back.stream_rate, ==, 200);
  g_assert_cmpfloat (back.direct_rate, ==, 5000);
  g_assert_null (back.ufrag);
  rp_reflector_welcome_clear (&back);

  {
    static const char *const refused[] = {
      "[]", "[0]", "[65536]", "[7,7]", "[\"7\"]", "{}",
    };
    for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
      g_autofree char *t = g_strdup_printf (
        "{\"type\":\"welcome\",\"session\":\"s\",\"ssid\":7,\"key\":"
        "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"load\":{\"ssids\":%s,"
        "\"stream_rate\":200,\"direct_rate\":5000}}", refused[i]);
      g_autoptr (JsonObject) r = rp_reflector_msg_parse (t, strlen (t), &type, NULL);
      g_autoptr (GError) e = NULL;
      g_assert_nonnull (r);
      g_assert_false (rp_reflector_msg_get_welcome (r, &back, &e));
      g_assert_nonnull (e);
    }
  }
  {
    const char *t = "{\"type\":\"welcome\",\"session\":\"s\",\"ssid\":7,\"key\":"
                    "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"load\":{\"ssids\":[7],"
                    "\"stream_rate\":0,\"direct_rate\":5000}}";
    g_autoptr (JsonObject) r = rp_reflector_msg_parse (t, strlen (t), &type, NULL);
    g_assert_false (rp_reflector_msg_get_welcome (r, &back, NULL));
  }
}

static void
test_messages (void)
{
  RpReflectorWelcome w = { 0 }, back = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) o = NULL;
  g_autofree char *text = NULL;
  const char *type;
  RpIceCandidate c;

  w.session = (char *) "0011223344556677";
  w.ssid = 513;
  memcpy (w.key, key, sizeof key);
  w.ufrag = (char *) "abcd";
  w.pwd = (char *) "abcdefghijklmnopqrstuv";
  w.candidates = g_array_new (FALSE, TRUE, sizeof (RpIceCandidate));
  g_assert_true (
    rp_ice_candidate_from_sdp ("candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", &c, NULL));
  g_array_append_val (w.candidates, c);
  w.lifetime_s = 120;
  w.max_packet = 1472;
  w.udp_port = 9000;
  text = rp_reflector_msg_welcome (&w);
  g_array_unref (w.candidates);
  o = rp_reflector_msg_parse (text, strlen (text), &type, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (type, ==, "welcome");
  g_assert_true (rp_reflector_msg_get_welcome (o, &back, &error));
  g_assert_cmpstr (back.session, ==, "0011223344556677");
  g_assert_cmpuint (back.ssid, ==, 513);
  g_assert_cmpmem (back.key, sizeof back.key, key, sizeof key);
  g_assert_cmpuint (back.candidates->len, ==, 1);
  g_assert_cmpuint (g_array_index (back.candidates, RpIceCandidate, 0).port, ==, 5000);
  g_assert_cmpuint (back.udp_port, ==, 9000);
  g_assert_cmpuint (back.tcp_port, ==, 0);
  rp_reflector_welcome_clear (&back);

  /* Hostile input. */
  g_assert_null (rp_reflector_msg_parse ("[1,2]", 5, &type, NULL));
  g_assert_null (rp_reflector_msg_parse ("{\"type\":3}", 10, &type, NULL));
  g_assert_null (rp_reflector_msg_parse ("{\"type\":\"x\"", 11, &type, NULL));
  g_assert_null (rp_reflector_msg_parse ("{\"type\":\"\xff\"}", 12, &type, NULL));
  {
    g_autoptr (JsonObject) a = rp_reflector_msg_parse (
      "{\"type\":\"answer\",\"ufrag\":\"ab\",\"pwd\":\"x\",\"candidates\":[]}", 56, &type, NULL);
    char *u = NULL, *pw = NULL;
    GArray *cands = NULL;
    g_assert_nonnull (a);
    g_assert_false (rp_reflector_msg_get_ice (a, &u, &pw, &cands, NULL));
  }
  {
    GString *many = g_string_new ("{\"type\":\"answer\",\"ufrag\":\"abcd\",\"pwd\":"
                                  "\"abcdefghijklmnopqrstuv\",\"candidates\":[");
    g_autoptr (JsonObject) a = NULL;
    char *u = NULL, *pw = NULL;
    GArray *cands = NULL;
    for (int i = 0; i < 40; i++)
      g_string_append_printf (many, "%s\"candidate:1 1 udp 1 127.0.0.1 %d typ host\"", i ? "," : "",
                              1000 + i);
    g_string_append (many, "]}");
    a = rp_reflector_msg_parse (many->str, many->len, &type, NULL);
    g_assert_nonnull (a);
    g_assert_false (rp_reflector_msg_get_ice (a, &u, &pw, &cands, NULL));   /* over the cap */
    g_string_free (many, TRUE);
  }
}

/* The depth guard: as deep as the protocol needs passes, one level more
 * than RP_REFLECTOR_MAX_DEPTH does not reach json-glib; brackets inside
 * strings do not count. */
static void
test_depth (void)
{
  g_autoptr (GString) deep = g_string_new ("{\"type\":\"answer\",\"x\":");
  g_autoptr (GError) error = NULL;
  const char *type;

  for (int i = 0; i < RP_REFLECTOR_MAX_DEPTH - 1; i++)
    g_string_append_c (deep, '[');
  for (int i = 0; i < RP_REFLECTOR_MAX_DEPTH - 1; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  {
    g_autoptr (JsonObject) o = rp_reflector_msg_parse (deep->str, deep->len, &type, NULL);
    g_assert_nonnull (o);
  }
  g_string_insert (deep, 22, "[");
  g_string_insert (deep, deep->len - 1, "]");
  g_assert_null (rp_reflector_msg_parse (deep->str, deep->len, &type, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "nests deeper"));
  {
    static const char text[] = "{\"type\":\"bye\",\"reason\":\"[[[[[[[[[[[[[[[[[[[[\"}";
    g_autoptr (JsonObject) o = rp_reflector_msg_parse (text, sizeof text - 1, &type, NULL);
    g_assert_nonnull (o);
  }
}

static void
append_cand (GArray *a, const char *addr, guint16 port)
{
  g_autofree char *sdp = g_strdup_printf ("candidate:1 1 udp 1 %s %u typ host", addr, port);
  RpIceCandidate c;

  g_assert_true (rp_ice_candidate_from_sdp (sdp, &c, NULL));
  g_array_append_val (a, c);
}

/* Candidates at the peer's address all stay; of the others the first
 * RP_REFLECTOR_MAX_FOREIGN, in order. */
static void
test_limit_foreign (void)
{
  g_autoptr (GArray) a = g_array_new (FALSE, TRUE, sizeof (RpIceCandidate));
  guint foreign = 0;

  for (guint i = 0; i < 30; i++) {
    g_autofree char *addr = g_strdup_printf ("127.0.9.%u", i + 1);
    append_cand (a, addr, 5000);
    if (i % 10 == 0)
      append_cand (a, "127.0.1.5", (guint16) (6000 + i));
  }
  append_cand (a, "::1", 7000);
  g_assert_cmpuint (rp_reflector_candidates_count_foreign (a, "127.0.1.5"), ==, 31);
  g_assert_cmpuint (
    rp_reflector_candidates_limit_foreign (a, "127.0.1.5", RP_REFLECTOR_MAX_FOREIGN), ==,
    31 - RP_REFLECTOR_MAX_FOREIGN);
  g_assert_cmpuint (a->len, ==, 3 + RP_REFLECTOR_MAX_FOREIGN);
  for (guint i = 0; i < a->len; i++) {
    const RpIceCandidate *c = &g_array_index (a, RpIceCandidate, i);
    if (!g_str_equal (c->addr, "127.0.1.5")) {
      g_autofree char *want = g_strdup_printf ("127.0.9.%u", ++foreign);
      g_assert_cmpstr (c->addr, ==, want);
    }
  }
  g_assert_cmpuint (foreign, ==, RP_REFLECTOR_MAX_FOREIGN);
  g_assert_cmpuint (rp_reflector_candidates_count_foreign (a, "127.0.1.5"), ==,
                    RP_REFLECTOR_MAX_FOREIGN);
  /* IPv6 in another spelling is the same address; a peer that is not an
   * address leaves max. */
  g_array_set_size (a, 0);
  append_cand (a, "2001:db8::1", 1);
  append_cand (a, "2001:db8::2", 2);
  g_assert_cmpuint (rp_reflector_candidates_limit_foreign (a, "2001:db8:0:0::1", 0), ==, 1);
  g_assert_cmpstr (g_array_index (a, RpIceCandidate, 0).addr, ==, "2001:db8::1");
  append_cand (a, "2001:db8::3", 3);
  g_assert_cmpuint (rp_reflector_candidates_limit_foreign (a, "not-an-address", 1), ==, 1);
  g_assert_cmpuint (a->len, ==, 1);
}

static void
test_binding (void)
{
  static const guint8 v4[4] = { 192, 0, 2, 1 }, v4b[4] = { 192, 0, 2, 2 };
  static const guint8 mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 };
  static const guint8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
  RpReflectorBinding b = { 0 };
  RpReflectorPeer first, same, port, addr, tcp, tcp_again, tcp_later, six;

  rp_reflector_peer_init (&first, RP_REFLECTOR_PEER_UDP, v4, 4, 5000, 0);
  rp_reflector_peer_init (&same, RP_REFLECTOR_PEER_UDP, mapped, 16, 5000,
                          7); /* conn ignored for UDP */
  rp_reflector_peer_init (&port, RP_REFLECTOR_PEER_UDP, v4, 4, 5001, 0);
  rp_reflector_peer_init (&addr, RP_REFLECTOR_PEER_UDP, v4b, 4, 5000, 0);
  rp_reflector_peer_init (&tcp, RP_REFLECTOR_PEER_TCP, v4, 4, 5000, 1);
  rp_reflector_peer_init (&six, RP_REFLECTOR_PEER_UDP, v6, 16, 5000, 0);

  /* Unbound: anyone may try (the HMAC decides). */
  g_assert_true (rp_reflector_binding_admits (&b, &addr));
  g_assert_true (rp_reflector_binding_admits (&b, &tcp));
  /* The first proof binds; a later one does not move the binding. */
  rp_reflector_binding_prove (&b, &first);
  rp_reflector_binding_prove (&b, &addr);
  g_assert_true (rp_reflector_binding_admits (&b, &first));
  g_assert_true (rp_reflector_binding_admits (&b, &same)); /* IPv4-mapped is the same address */
  g_assert_false (rp_reflector_binding_admits (&b, &port));     /* another port: another peer */
  g_assert_false (rp_reflector_binding_admits (&b, &addr));
  g_assert_false (rp_reflector_binding_admits (&b, &tcp));      /* another transport */
  g_assert_false (rp_reflector_binding_admits (&b, &six));

  /* TCP: bound to the connection, not to its address and port. */
  memset (&b, 0, sizeof b);
  rp_reflector_peer_init (&tcp_again, RP_REFLECTOR_PEER_TCP, mapped, 16, 5000, 1);
  rp_reflector_peer_init (&tcp_later, RP_REFLECTOR_PEER_TCP, v4, 4, 5000, 2);
  rp_reflector_binding_prove (&b, &tcp);
  g_assert_true (rp_reflector_binding_admits (&b, &tcp_again));
  g_assert_false (rp_reflector_binding_admits (&b, &tcp_later));
  g_assert_false (rp_reflector_binding_admits (&b, &first));
}

/* Budgets are charged to verified packets only (a flood of forged or
 * replayed ones leaves them full), and a packet one budget refuses costs
 * the others nothing. */
static RpReflectorAdmit
admit (RpReflectorBinding *b, const RpReflectorPeer *from, const guint8 *buf, gsize len,
       const RpReflectorBudget budgets[2], gint64 now_us)
{
  return rp_reflector_admit (b, from, buf, len, key, budgets, 2, now_us);
}

static void
test_admit_budgets (void)
{
  static const guint8 lo[4] = { 192, 0, 2, 1 }, other[4] = { 192, 0, 2, 9 };
  RpStampSender p = { .error_estimate = RP_STAMP_EE_DEFAULT, .ssid = 5 };
  RpReflectorBinding b = { 0 };
  RpReflectorPeer me, them;
  RpBucket session, global;
  RpReflectorBudget budgets[] = { { &session, 10 }, { &global, 3 } };
  guint8 good[172], forged[172], garbage[172];

  rp_reflector_peer_init (&me, RP_REFLECTOR_PEER_UDP, lo, 4, 4000, 0);
  rp_reflector_peer_init (&them, RP_REFLECTOR_PEER_UDP, other, 4, 4000, 0);
  rp_bucket_init (&session, 10, 0);
  rp_bucket_init (&global, 3, 0);
  g_assert_cmpuint (rp_reflector_packet_encode (&p, sizeof good, key, good, sizeof good), ==,
                    sizeof good);
  memcpy (forged, good, sizeof forged);
  forged[sizeof forged - 1] ^= 1;
  memset (garbage, 0xa5, sizeof garbage);

  /* Unauthenticated, 10000 times, from two peers: nothing charged, nothing bound. */
  for (int i = 0; i < 10000; i++) {
    g_assert_cmpint (admit (&b, &them, forged, sizeof forged, budgets, 0), ==,
                     RP_REFLECTOR_UNAUTHENTICATED);
    g_assert_cmpint (admit (&b, &me, garbage, sizeof garbage, budgets, 0), ==,
                     RP_REFLECTOR_UNAUTHENTICATED);
    g_assert_cmpint (admit (&b, &me, good, 63, budgets, 0), ==,
                     RP_REFLECTOR_UNAUTHENTICATED);
  }
  g_assert_false (b.bound);
  g_assert_cmpfloat (session.tokens, ==, 10);
  g_assert_cmpfloat (global.tokens, ==, 3);

  /* The first that verifies binds and is charged to both. */
  g_assert_cmpint (admit (&b, &me, good, sizeof good, budgets, 0), ==, RP_REFLECTOR_ADMIT);
  g_assert_true (b.bound);
  g_assert_cmpfloat (session.tokens, ==, 9);
  g_assert_cmpfloat (global.tokens, ==, 2);
  /* A replay of that packet from elsewhere: refused before its HMAC, free. */
  for (int i = 0; i < 1000; i++)
    g_assert_cmpint (admit (&b, &them, good, sizeof good, budgets, 0), ==,
                     RP_REFLECTOR_FOREIGN);
  g_assert_cmpfloat (session.tokens, ==, 9);
  g_assert_cmpfloat (global.tokens, ==, 2);
  /* The global budget runs out first; what it refuses costs the session nothing. */
  g_assert_cmpint (admit (&b, &me, good, sizeof good, budgets, 0), ==, RP_REFLECTOR_ADMIT);
  g_assert_cmpint (admit (&b, &me, good, sizeof good, budgets, 0), ==, RP_REFLECTOR_ADMIT);
  g_assert_cmpint (admit (&b, &me, good, sizeof good, budgets, 0), ==,
                   RP_REFLECTOR_OVER_RATE);
  g_assert_cmpfloat (session.tokens, ==, 7);
  g_assert_cmpfloat (global.tokens, ==, 0);
  /* One second later both have refilled. */
  g_assert_cmpint (admit (&b, &me, good, sizeof good, budgets, G_USEC_PER_SEC), ==,
                   RP_REFLECTOR_ADMIT);
  /* Without a binding, any peer that verifies is answered. */
  g_assert_cmpint (admit (NULL, &them, good, sizeof good, budgets, G_USEC_PER_SEC), ==,
                   RP_REFLECTOR_ADMIT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reflector/token/make", test_token_make_matches_rest_convention);
  g_test_add_func ("/reflector/token/verify", test_token_verify);
  g_test_add_func ("/reflector/packet/sign-verify", test_packet_sign_verify);
  g_test_add_func ("/reflector/packet/tag-keys", test_packet_tag_keys);
  g_test_add_func ("/reflector/packet/answer", test_answer_in_place);
  g_test_add_func ("/reflector/messages", test_messages);
  g_test_add_func ("/reflector/messages/load", test_load_messages);
  g_test_add_func ("/reflector/binding", test_binding);
  g_test_add_func ("/reflector/admit-budgets", test_admit_budgets);
  g_test_add_func ("/reflector/messages/depth", test_depth);
  g_test_add_func ("/reflector/candidates/limit-foreign", test_limit_foreign);
  return g_test_run ();
}
