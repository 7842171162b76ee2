/* The messages between a tester's browser and the reflector
 * (reflector/protocol/reflector-tester.h): what the builders write, read
 * back with json-glib, and the bounds the getters keep. */
#include <gio/gio.h>
#include <string.h>

#include "reflector/protocol/reflector-invite.h"
#include "reflector/protocol/reflector-proto.h"
#include "reflector/protocol/reflector-tester.h"

static JsonObject *
parse (const char *text, const char *want_type)
{
  const char *type = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *o = rp_reflector_msg_parse (text, strlen (text), &type, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (type, ==, want_type);
  return o;
}

static void
test_welcome (void)
{
  RpTesterIceServer servers[2] = {
    { g_strdup ("turn:turn.example.org:3478?transport=udp"), g_strdup ("1700000300:t"),
      g_strdup ("pw1") },
    { g_strdup ("turns:turn.example.org:5349"), g_strdup ("1700000300:t"), g_strdup ("pw2") },
  };
  RpTesterWelcome w = { "abcd", "alice \"hotel\"", 10, 120, servers, 2 };
  g_autofree char *text = rp_tester_msg_welcome (&w);
  g_autoptr (JsonObject) o = parse (text, "tester-welcome");
  JsonArray *a = json_object_get_array_member (o, "ice_servers");
  JsonObject *s1;

  g_assert_cmpstr (json_object_get_string_member (o, "label"), ==, "alice \"hotel\"");
  g_assert_cmpint (json_object_get_int_member (o, "voice_duration_s"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (o, "lifetime_s"), ==, 120);
  g_assert_cmpuint (json_array_get_length (a), ==, 2);
  s1 = json_array_get_object_element (a, 1);
  /* RTCIceServer: urls is a list. */
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (s1, "urls"), 0),
                   ==, "turns:turn.example.org:5349");
  g_assert_cmpstr (json_object_get_string_member (s1, "credential"), ==, "pw2");
  for (guint i = 0; i < 2; i++)
    rp_tester_ice_server_clear (&servers[i]);
  g_assert_null (servers[0].credential);
}

static void
test_signalling (void)
{
  g_autofree char *ans = rp_tester_msg_answer (3, "v=0\r\n");
  g_autofree char *cand = rp_tester_msg_candidate (3, "candidate:1 1 udp 1 127.0.0.1 9 typ host");
  g_autofree char *end = rp_tester_msg_candidate (3, NULL);
  g_autofree char *st = rp_tester_msg_peer_state (3, "failed", "DTLS: no answer");
  g_autoptr (JsonObject) a = parse (ans, "answer");
  g_autoptr (JsonObject) c = parse (cand, "candidate");
  g_autoptr (JsonObject) e = parse (end, "candidate");
  g_autoptr (JsonObject) s = parse (st, "peer-state");
  const char *got = NULL;
  guint pc = 0;

  g_assert_true (rp_tester_msg_get_pc (a, &pc, NULL));
  g_assert_cmpuint (pc, ==, 3);
  g_assert_cmpstr (rp_tester_msg_get_sdp (a, NULL), ==, "v=0\r\n");
  g_assert_true (rp_tester_msg_get_candidate (c, &got, NULL));
  g_assert_cmpstr (got, ==, "candidate:1 1 udp 1 127.0.0.1 9 typ host");
  /* null is the end of candidates. */
  g_assert_true (rp_tester_msg_get_candidate (e, &got, NULL));
  g_assert_null (got);
  g_assert_cmpstr (json_object_get_string_member (s, "reason"), ==, "DTLS: no answer");
}

static void
test_getter_bounds (void)
{
  g_autofree char *long_sdp = g_strnfill (RP_TESTER_MAX_SDP + 1, 'a');
  g_autofree char *long_inv = g_strnfill (RP_INVITE_MAX_LEN + 1, 'A');
  g_autofree char *sdp_msg = g_strdup_printf ("{\"type\":\"offer\",\"pc\":1,\"sdp\":\"%s\"}",
                                              long_sdp);
  g_autofree char *inv_msg = g_strdup_printf ("{\"type\":\"tester\",\"invite\":\"%s\"}", long_inv);
  static const char *const bad_pc[] = {
    "{\"type\":\"offer\"}", "{\"type\":\"offer\",\"pc\":0}", "{\"type\":\"offer\",\"pc\":65}",
    "{\"type\":\"offer\",\"pc\":-1}", "{\"type\":\"offer\",\"pc\":\"1\"}",
    "{\"type\":\"offer\",\"pc\":1.0}",
  };
  guint pc;

  for (guint i = 0; i < G_N_ELEMENTS (bad_pc); i++) {
    g_autoptr (JsonObject) o = parse (bad_pc[i], "offer");
    g_autoptr (GError) error = NULL;
    g_assert_false (rp_tester_msg_get_pc (o, &pc, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  {
    g_autoptr (JsonObject) o = parse (sdp_msg, "offer");
    g_autoptr (GError) error = NULL;
    g_assert_null (rp_tester_msg_get_sdp (o, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  {
    g_autoptr (JsonObject) o = parse (inv_msg, "tester");
    g_assert_null (rp_tester_msg_get_invite (o));
  }
  {
    g_autoptr (JsonObject) o = parse ("{\"type\":\"candidate\",\"pc\":1,\"candidate\":5}",
                                      "candidate");
    g_autoptr (GError) error = NULL;
    const char *c = NULL;
    g_assert_false (rp_tester_msg_get_candidate (o, &c, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
}

static void
test_timings (void)
{
  g_autoptr (JsonObject) o = parse ("{\"type\":\"timings\",\"id\":\"voice.turn.tcp\","
                                    "\"sent\":[1000,21000],\"replies\":[[0,5,6,1700,0]]}",
                                    "timings");
  g_autoptr (JsonObject) bad_id = parse ("{\"type\":\"timings\",\"id\":\"voice.x\","
                                         "\"sent\":[],\"replies\":[]}", "timings");
  g_autoptr (JsonObject) short_row = parse ("{\"type\":\"timings\",\"id\":\"voice.ice\","
                                            "\"sent\":[],\"replies\":[[0,5,6,1700]]}", "timings");
  g_autoptr (GArray) sent = NULL;
  g_autoptr (GArray) replies = NULL;
  g_autoptr (GError) error = NULL;
  GString *many = g_string_new ("{\"type\":\"timings\",\"id\":\"voice.ice\",\"replies\":[],"
                                "\"sent\":[0");
  const char *id = NULL;
  const RpTesterReply *r;

  g_assert_true (rp_tester_msg_get_timings (o, &id, &sent, &replies, NULL));
  g_assert_cmpstr (id, ==, "voice.turn.tcp");
  g_assert_cmpuint (sent->len, ==, 2);
  g_assert_cmpint (g_array_index (sent, gint64, 1), ==, 21000);
  r = &g_array_index (replies, RpTesterReply, 0);
  g_assert_cmpint (r->t2_us, ==, 5);
  g_assert_cmpint (r->t3_us, ==, 6);
  g_assert_cmpint (r->t4_us, ==, 1700);
  g_assert_false (rp_tester_msg_get_timings (bad_id, &id, &sent, &replies, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (rp_tester_msg_get_timings (short_row, &id, &sent, &replies, NULL));
  /* One entry over the bound. */
  for (guint i = 0; i < RP_TESTER_MAX_ROWS; i++)
    g_string_append (many, ",1");
  g_string_append (many, "]}");
  {
    g_autoptr (JsonObject) m = parse (many->str, "timings");
    g_assert_false (rp_tester_msg_get_timings (m, &id, &sent, &replies, NULL));
  }
  g_string_free (many, TRUE);
}

static void
test_result (void)
{
  g_autoptr (JsonObject) o = parse (
    "{\"type\":\"result\",\"ws\":{\"upgrade_ms\":24.3,\"rtt_ms\":1},"
    "\"gather\":[{\"uri\":\"turn:198.51.100.7:3478?transport=udp\",\"relay\":true,"
    "\"ms\":70.6,\"mapped\":\"203.0.113.9\"}],"
    "\"ice\":[{\"id\":\"ice.tcp\",\"connected\":false,\"ms\":null,"
    "\"local\":null,\"remote\":null}]}", "result");
  static const char *const bad[] = {
    "{\"type\":\"result\",\"gather\":[],\"ice\":[]}",
    "{\"type\":\"result\",\"ws\":{\"rtt_ms\":-1},\"gather\":[],\"ice\":[]}",
    "{\"type\":\"result\",\"ws\":{},\"gather\":[{\"uri\":\"http://x\",\"relay\":true}],"
    "\"ice\":[]}",
    "{\"type\":\"result\",\"ws\":{},\"gather\":[{\"uri\":\"turn:x\",\"relay\":true,"
    "\"mapped\":\"evil.example\"}],\"ice\":[]}",
    "{\"type\":\"result\",\"ws\":{},\"gather\":[],\"ice\":[{\"id\":\"ice.other\","
    "\"connected\":true}]}",
    "{\"type\":\"result\",\"ws\":{},\"gather\":[],\"ice\":[{\"id\":\"ice.reflector\","
    "\"connected\":true,\"local\":\"magic\"}]}",
  };
  RpTesterResult res;

  g_assert_true (rp_tester_msg_get_result (o, &res, NULL));
  g_assert_cmpfloat (res.ws_upgrade_ms, ==, 24.3);
  g_assert_cmpfloat (res.ws_rtt_ms, ==, 1);
  g_assert_cmpstr (g_array_index (res.gather, RpTesterGather, 0).mapped, ==, "203.0.113.9");
  g_assert_false (g_array_index (res.ice, RpTesterIce, 0).connected);
  g_assert_cmpfloat (g_array_index (res.ice, RpTesterIce, 0).ms, ==, -1);
  rp_tester_result_clear (&res);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (JsonObject) b = parse (bad[i], "result");
    g_autoptr (GError) error = NULL;
    g_test_message ("%s", bad[i]);
    g_assert_false (rp_tester_msg_get_result (b, &res, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_null (res.gather);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tester/welcome", test_welcome);
  g_test_add_func ("/tester/signalling", test_signalling);
  g_test_add_func ("/tester/getter-bounds", test_getter_bounds);
  g_test_add_func ("/tester/timings", test_timings);
  g_test_add_func ("/tester/result", test_result);
  return g_test_run ();
}
