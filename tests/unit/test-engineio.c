/* Engine.IO v4 / Socket.IO v5 packet parsing: the packets a real
 * socket.io 4.x server sends (captured from the lab's app.js), and
 * truncated or hostile variants. */
#include <gio/gio.h>
#include <string.h>

#include "probe/net/engineio.h"

#define S(x) x, strlen (x)

static void
test_packet_type (void)
{
  g_assert_cmpint (rp_eio_packet_type (S ("0{}")), ==, RP_EIO_OPEN);
  g_assert_cmpint (rp_eio_packet_type (S ("2")), ==, RP_EIO_PING);
  g_assert_cmpint (rp_eio_packet_type (S ("3")), ==, RP_EIO_PONG);
  g_assert_cmpint (rp_eio_packet_type (S ("40")), ==, RP_EIO_MESSAGE);
  g_assert_cmpint (rp_eio_packet_type (S ("6")), ==, RP_EIO_NOOP);
  g_assert_cmpint (rp_eio_packet_type (S ("7")), ==, RP_EIO_INVALID);
  g_assert_cmpint (rp_eio_packet_type (S ("x")), ==, RP_EIO_INVALID);
  g_assert_cmpint (rp_eio_packet_type ("", 0), ==, RP_EIO_INVALID);
}

static void
test_open (void)
{
  const char *pkt =
    "0{\"sid\":\"78pynbhCY_SGrKiSAAAA\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,"
    "\"pingTimeout\":20000,\"maxPayload\":1000000}";
  RpEioOpen o;
  g_autoptr (GError) error = NULL;

  g_assert_true (rp_eio_parse_open (S (pkt), &o, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (o.sid, ==, "78pynbhCY_SGrKiSAAAA");
  g_assert_cmpint (o.ping_interval_ms, ==, 25000);
  g_assert_cmpint (o.ping_timeout_ms, ==, 20000);
  g_assert_cmpint (o.max_payload, ==, 1000000);
  g_assert_cmpuint (g_strv_length (o.upgrades), ==, 1);
  g_assert_cmpstr (o.upgrades[0], ==, "websocket");
  rp_eio_open_clear (&o);

  /* Over websocket the server offers no further upgrades. */
  g_assert_true (
    rp_eio_parse_open (S ("0{\"sid\":\"a\",\"upgrades\":[],\"pingInterval\":1000}"), &o, NULL));
  g_assert_cmpuint (g_strv_length (o.upgrades), ==, 0);
  g_assert_cmpint (o.ping_timeout_ms, ==, -1);
  g_assert_cmpint (o.max_payload, ==, -1);
  rp_eio_open_clear (&o);
}

static void
test_open_bad (void)
{
  static const char *const bad[] = {
    "0",
    "0{",
    "0[]",
    "0\"x\"",
    "0{\"sid\":5}",
    "0{\"upgrades\":[]}",
    "4{\"sid\":\"a\"}",
    "0{\"sid\":\"a\"",
    "0{\"sid\":\"a\",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]"
    "]]]]]]]]]]]]]]]]]]]]]]]]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    RpEioOpen o;
    g_autoptr (GError) error = NULL;
    g_assert_false (rp_eio_parse_open (S (bad[i]), &o, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    rp_eio_open_clear (&o);
  }
  /* Invalid UTF-8 and an embedded NUL. */
  {
    RpEioOpen o;
    g_assert_false (rp_eio_parse_open ("0{\"sid\":\"\xff\"}", 11, &o, NULL));
    rp_eio_open_clear (&o);
    g_assert_false (rp_eio_parse_open ("0{\"sid\":\"a\0\"}", 12, &o, NULL));
    rp_eio_open_clear (&o);
  }
  /* Valid UTF-8 text whose escapes json-glib decodes into bytes that are not
   * UTF-8 (octal escapes such as \662): such a string is absent. */
  {
    RpEioOpen o;
    g_assert_false (rp_eio_parse_open (S ("0{\"sid\":\"a\\662\"}"), &o, NULL));
    rp_eio_open_clear (&o);
    g_assert_true (rp_eio_parse_open (S ("0{\"sid\":\"a\",\"upgrades\":[\"\\222\",\"websocket\"]}"),
                                      &o, NULL));
    g_assert_cmpstr (o.upgrades[0], ==, "websocket");
    g_assert_null (o.upgrades[1]);
    rp_eio_open_clear (&o);
  }
  /* Odd numbers are absent, not garbage. */
  {
    RpEioOpen o;
    g_assert_true (rp_eio_parse_open (
      S ("0{\"sid\":\"a\",\"pingInterval\":-5,\"pingTimeout\":\"x\",\"maxPayload\":1e300}"), &o,
      NULL));
    g_assert_cmpint (o.ping_interval_ms, ==, -1);
    g_assert_cmpint (o.ping_timeout_ms, ==, -1);
    g_assert_cmpint (o.max_payload, ==, -1);
    rp_eio_open_clear (&o);
  }
}

static void
test_sio_connect (void)
{
  RpSioPacket p;
  g_autoptr (GError) error = NULL;

  g_assert_true (rp_sio_parse (S ("40{\"sid\":\"CSeTXMwSoCssCw66AAAA\"}"), &p, &error));
  g_assert_no_error (error);
  g_assert_cmpint (p.type, ==, RP_SIO_CONNECT);
  g_assert_cmpstr (p.nsp, ==, "/");
  g_assert_cmpstr (p.sid, ==, "CSeTXMwSoCssCw66AAAA");
  rp_sio_packet_clear (&p);

  g_assert_true (rp_sio_parse (S ("40/admin,{\"sid\":\"x\"}"), &p, NULL));
  g_assert_cmpstr (p.nsp, ==, "/admin");
  g_assert_cmpstr (p.sid, ==, "x");
  rp_sio_packet_clear (&p);

  /* A bare CONNECT (Socket.IO v4 servers answer "40" without a payload). */
  g_assert_true (rp_sio_parse (S ("40"), &p, NULL));
  g_assert_cmpint (p.type, ==, RP_SIO_CONNECT);
  g_assert_null (p.sid);
  rp_sio_packet_clear (&p);
}

static void
test_sio_connect_error (void)
{
  RpSioPacket p;

  /* What the lab's "/private" middleware sends. */
  g_assert_true (rp_sio_parse (
    S ("44/private,{\"message\":\"unauthorized: lab private namespace\"}"), &p, NULL));
  g_assert_cmpint (p.type, ==, RP_SIO_CONNECT_ERROR);
  g_assert_cmpstr (p.nsp, ==, "/private");
  g_assert_cmpstr (p.message, ==, "unauthorized: lab private namespace");
  rp_sio_packet_clear (&p);

  /* With data, and the older bare-string form. */
  g_assert_true (
    rp_sio_parse (S ("44{\"message\":\"Not authorized\",\"data\":{\"code\":7}}"), &p, NULL));
  g_assert_cmpstr (p.message, ==, "Not authorized");
  rp_sio_packet_clear (&p);
  g_assert_true (rp_sio_parse (S ("44\"Invalid namespace\""), &p, NULL));
  g_assert_cmpstr (p.message, ==, "Invalid namespace");
  rp_sio_packet_clear (&p);

  /* Escapes that json-glib decodes into invalid UTF-8 leave no message. */
  g_assert_true (rp_sio_parse (S ("44\"x\\377\""), &p, NULL));
  g_assert_null (p.message);
  rp_sio_packet_clear (&p);
  g_assert_true (rp_sio_parse (S ("40{\"sid\":\"\\662\"}"), &p, NULL));
  g_assert_null (p.sid);
  rp_sio_packet_clear (&p);
}

/* json-glib decodes an octal escape or a lone surrogate into bytes that are
 * not UTF-8: such a string is absent (never invalid UTF-8), and an open
 * packet without a sid is refused. */
static void
test_bad_escapes (void)
{
  RpEioOpen open;
  RpSioPacket p;

  g_assert_false (rp_eio_parse_open (S ("0{\"sid\":\"a\\222b\",\"upgrades\":[\"x\\ud800y\"]}"),
                                     &open, NULL));
  rp_eio_open_clear (&open);
  g_assert_true (rp_sio_parse (S ("40{\"sid\":\"\\ud800x\"}"), &p, NULL));
  g_assert_null (p.sid);
  rp_sio_packet_clear (&p);
  g_assert_true (rp_sio_parse (S ("44\"\\udc00z\""), &p, NULL));
  g_assert_null (p.message);
  rp_sio_packet_clear (&p);
}

static void
test_sio_other (void)
{
  RpSioPacket p;

  g_assert_true (rp_sio_parse (S ("42[\"hello\",1]"), &p, NULL));
  g_assert_cmpint (p.type, ==, RP_SIO_EVENT);
  g_assert_cmpstr (p.data, ==, "[\"hello\",1]");
  rp_sio_packet_clear (&p);
  g_assert_true (rp_sio_parse (S ("431[\"ack\"]"), &p, NULL));
  g_assert_cmpint (p.type, ==, RP_SIO_ACK);
  rp_sio_packet_clear (&p);
  g_assert_true (rp_sio_parse (S ("451-[\"up\",{\"_placeholder\":true,\"num\":0}]"), &p, NULL));
  g_assert_cmpint (p.type, ==, RP_SIO_BINARY_EVENT);
  rp_sio_packet_clear (&p);

  static const char *const bad[] = { "4", "47", "3", "40{", "45[]", "40/nsp,{bad", "4x" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_false (rp_sio_parse (S (bad[i]), &p, &error));
    g_assert_nonnull (error);
    rp_sio_packet_clear (&p);
  }
}

static void
test_connect_packet (void)
{
  g_autofree char *a = rp_sio_connect_packet ("/");
  g_autofree char *b = rp_sio_connect_packet ("/private");
  g_autofree char *c = rp_sio_connect_packet (NULL);

  g_assert_cmpstr (a, ==, "40");
  g_assert_cmpstr (b, ==, "40/private,");
  g_assert_cmpstr (c, ==, "40");
}

static void
test_request_path (void)
{
  g_autofree char *a = rp_eio_request_path ("/socket.io/", NULL, "websocket");
  g_autofree char *b =
    rp_eio_request_path ("/socket.io/", "EIO=4&transport=polling&t=abc", "websocket");
  g_autofree char *c = rp_eio_request_path ("/socket.io/", "token=x", "polling");
  g_autofree char *d = rp_eio_request_path ("/socket.io/", "EIO=3", "polling");

  g_assert_cmpstr (a, ==, "/socket.io/?EIO=4&transport=websocket");
  g_assert_cmpstr (b, ==, "/socket.io/?EIO=4&t=abc&transport=websocket");
  g_assert_cmpstr (c, ==, "/socket.io/?token=x&EIO=4&transport=polling");
  g_assert_cmpstr (d, ==, "/socket.io/?EIO=3&transport=polling");
  g_assert_true (rp_eio_path_is_socketio ("/socket.io/"));
  g_assert_true (rp_eio_path_is_socketio ("/api/socket.io"));
  g_assert_false (rp_eio_path_is_socketio ("/private"));
  g_assert_false (rp_eio_path_is_socketio (NULL));
}

static void
test_polling_split (void)
{
  g_autoptr (GPtrArray) a = rp_eio_polling_split (S ("0{\"sid\":\"a\"}\x1e"
                                                     "40{\"sid\":\"b\"}"),
                                                  8);
  g_autoptr (GPtrArray) b = rp_eio_polling_split (S ("\x1e\x1e\x1e\x1e\x1e"), 3);
  g_autoptr (GPtrArray) c = rp_eio_polling_split ("", 0, 8);

  g_assert_cmpuint (a->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (a, 1), ==, "40{\"sid\":\"b\"}");
  g_assert_cmpuint (b->len, ==, 3);
  g_assert_cmpuint (c->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (c, 0), ==, "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engineio/packet-type", test_packet_type);
  g_test_add_func ("/engineio/open", test_open);
  g_test_add_func ("/engineio/open-bad", test_open_bad);
  g_test_add_func ("/engineio/polling-split", test_polling_split);
  g_test_add_func ("/engineio/request-path", test_request_path);
  g_test_add_func ("/socketio/connect", test_sio_connect);
  g_test_add_func ("/socketio/connect-error", test_sio_connect_error);
  g_test_add_func ("/socketio/other", test_sio_other);
  g_test_add_func ("/socketio/bad-escapes", test_bad_escapes);
  g_test_add_func ("/socketio/connect-packet", test_connect_packet);
  return g_test_run ();
}
