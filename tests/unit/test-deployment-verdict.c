/* Tests for the verdict of `check`: results made by hand for a healthy
 * deployment, a network that blocks UDP behind a proxy that strips
 * websocket upgrades with an expiring certificate, and an API that is down,
 * and the check kinds' groups. */
#include <string.h>

#include "probe/checks/check-deployment.h"

static RpCheckResult *
add (GPtrArray *checks, const char *id, const char *kind, const char *target, RpStatus status,
     const char *summary)
{
  RpCheckResult *r = rp_check_result_new (id, kind, target);

  rp_check_result_set (r, status, "%s", summary);
  g_ptr_array_add (checks, r);
  return r;
}

static GPtrArray *
healthy (void)
{
  GPtrArray *c = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_check_result_free);

  add (c, "dns.api.example.org", "dns", "api.example.org", RP_STATUS_PASS, "resolves");
  add (c, "port.3478/udp", "port", "203.0.113.10:3478/udp", RP_STATUS_PASS, "open");
  add (c, "http.1", "http", "https://app.example.org/", RP_STATUS_PASS, "200 OK");
  add (c, "http.2", "http", "https://api.example.org/health", RP_STATUS_PASS,
       "200 OK; JSON as expected");
  add (c, "ws", "websocket", "wss://api.example.org/socket.io/", RP_STATUS_PASS,
       "websocket upgraded");
  add (c, "socketio", "websocket", "wss://api.example.org/socket.io/", RP_STATUS_PASS,
       "Socket.IO connected");
  add (c, "turn.udp.allocate", "turn", "turn:api.example.org:3478?transport=udp", RP_STATUS_PASS,
       "works");
  add (c, "relay.udp", "relay", "turn:api.example.org:3478?transport=udp", RP_STATUS_PASS, "works");
  add (c, "turn.tls.allocate", "turn", "turns:api.example.org:5349", RP_STATUS_PASS, "works");
  add (c, "relay.tls", "relay", "turns:api.example.org:5349", RP_STATUS_PASS, "works");
  add (c, "voice.turn.udp", "voice", "turn:api.example.org:3478?transport=udp", RP_STATUS_PASS,
       "MOS 4.41");
  add (c, "nat", "nat", "stun:api.example.org:3478", RP_STATUS_SKIP, "not tested");
  return c;
}

static RpCheckResult *
by_id (GPtrArray *c, const char *id)
{
  for (guint i = 0; i < c->len; i++)
    if (g_str_equal (((RpCheckResult *) c->pdata[i])->id, id))
      return c->pdata[i];
  g_assert_not_reached ();
}

static const char *
detail (RpCheckResult *r, const char *key)
{
  const RpDetail *d = rp_check_result_get_detail (r, key);
  return d != NULL ? d->str : NULL;
}

static void
test_healthy (void)
{
  g_autoptr (GPtrArray) c = healthy ();
  g_autoptr (RpCheckResult) v = rp_deployment_verdict (c, "http.1", "http.2");

  g_assert_cmpstr (v->id, ==, "verdict");
  g_assert_cmpstr (v->kind, ==, "verdict");
  g_assert_cmpint (v->status, ==, RP_STATUS_PASS);
  g_assert_cmpstr (v->summary, ==, "Everything works from here (1 check skipped, see below)");
  g_assert_null (v->hint);
  g_assert_cmpstr (detail (v, "Web & API"), ==, "pass");
  g_assert_cmpstr (detail (v, "TURN"), ==, "pass");
  g_assert_null (detail (v, "failing_groups"));
  g_assert_null (detail (v, "Files"));   /* no file check, no group */
}

static void
test_broken (void)
{
  g_autoptr (GPtrArray) c = healthy ();
  g_autoptr (RpCheckResult) v = NULL;
  RpCheckResult *r;

  r = by_id (c, "turn.udp.allocate");
  rp_check_result_set (r, RP_STATUS_FAIL,
                       "no answer to TURN Allocate over UDP before the deadline");
  rp_check_result_set_hint (r, "3478/udp gets no answer: open it");
  rp_check_result_set (by_id (c, "relay.udp"), RP_STATUS_SKIP, "relay not tested");
  rp_check_result_set (by_id (c, "voice.turn.udp"), RP_STATUS_FAIL,
                       "no answer to TURN Allocate over UDP");
  rp_check_result_set (by_id (c, "port.3478/udp"), RP_STATUS_WARN, "3478/udp open|filtered");
  add (c, "port.7882/udp", "port", "203.0.113.10:7882/udp", RP_STATUS_WARN,
       "7882/udp open|filtered");
  add (c, "turn.tcp.allocate", "turn", "turn:api.example.org:3478?transport=tcp", RP_STATUS_PASS,
       "works");
  add (c, "relay.tcp", "relay", "turn:api.example.org:3478?transport=tcp", RP_STATUS_PASS, "works");
  rp_check_result_set (by_id (c, "ws"), RP_STATUS_FAIL,
                       "websocket upgrade refused: Engine.IO answered 400");
  rp_check_result_set (by_id (c, "socketio"), RP_STATUS_WARN,
                       "Socket.IO reachable only over long-polling: the websocket upgrade fails");
  add (c, "livekit.rtc", "websocket", "wss://example.org:7880/", RP_STATUS_FAIL,
       "websocket upgrade on /rtc answered a bare 404");
  r = by_id (c, "http.1");
  rp_check_result_set (r, RP_STATUS_WARN, "200 OK; but the certificate expires in 5.0 days");
  rp_check_result_metric (r, "cert_days_left", 5.0);
  r = add (c, "http.3", "file", "https://api.example.org/api/v1/files/abc", RP_STATUS_WARN,
           "200 OK; but the certificate expires in 6.0 days");
  rp_check_result_metric (r, "cert_days_left", 6.0);

  v = rp_deployment_verdict (c, "http.1", "http.2");
  g_assert_cmpint (v->status, ==, RP_STATUS_FAIL);
  g_assert_cmpstr (
    v->summary, ==,
    "Voice works only through TURN over TCP and TLS on this network: UDP 3478 and 7882 are "
    "blocked; "
    "the proxy does not pass websocket upgrades: Socket.IO falls back to long-polling and LiveKit "
    "signalling (/rtc) fails; the certificate for app.example.org expires in 5 days");
  g_assert_cmpstr (v->hint, ==, "3478/udp gets no answer: open it");
  g_assert_cmpstr (detail (v, "failing_groups"), ==, "Web & API, Realtime, Files, TURN and Voice");
  g_assert_cmpstr (detail (v, "TURN"), ==, "fail: turn.udp.allocate");
  g_assert_cmpstr (detail (v, "Realtime"), ==, "fail: ws, socketio, livekit.rtc");
}

static void
test_api_down (void)
{
  g_autoptr (GPtrArray) c = healthy ();
  g_autoptr (RpCheckResult) v = NULL;
  RpCheckResult *r = by_id (c, "http.2");

  rp_check_result_set (r, RP_STATUS_FAIL, "502 Bad Gateway from nginx.");
  rp_check_result_set_hint (r, "the API behind the proxy is not running");
  add (c, "turn.tcp.allocate", "turn", "turn:api.example.org:3478?transport=tcp", RP_STATUS_FAIL,
       "connection refused");
  v = rp_deployment_verdict (c, "http.1", "http.2");
  g_assert_cmpint (v->status, ==, RP_STATUS_FAIL);
  g_assert_cmpstr (v->summary, ==,
                   "The API is down: 502 Bad Gateway from nginx; "
                   "TURN over TCP fails (connection refused); voice works over UDP and TLS");
  g_assert_cmpstr (v->hint, ==, "the API behind the proxy is not running");
}

static void
test_more_than_three (void)
{
  g_autoptr (GPtrArray) c = healthy ();
  g_autoptr (RpCheckResult) v = NULL;

  rp_check_result_set (by_id (c, "http.2"), RP_STATUS_FAIL, "timeout");
  rp_check_result_set (by_id (c, "http.1"), RP_STATUS_FAIL, "refused");
  rp_check_result_set (by_id (c, "dns.api.example.org"), RP_STATUS_FAIL, "NXDOMAIN");
  add (c, "odd", "custom", "x", RP_STATUS_WARN, "odd");
  add (c, "odder", "custom", "", RP_STATUS_WARN, "odder");
  v = rp_deployment_verdict (c, "http.1", "http.2");
  g_assert_cmpstr (v->summary, ==,
                   "The API is down: timeout; the web app does not load: refused; "
                   "api.example.org does not resolve: NXDOMAIN; and 2 more problems below");
  g_assert_cmpstr (detail (v, "Other"), ==, "warn: odd, odder");
}

/* A host that does not resolve is named once, however many checks fail
 * because of it. */
static void
test_dns_named_once (void)
{
  g_autoptr (GPtrArray) c = healthy ();
  g_autoptr (RpCheckResult) v = NULL;

  rp_check_result_set (by_id (c, "http.2"), RP_STATUS_FAIL, "api.example.org does not resolve");
  rp_check_result_set (by_id (c, "dns.api.example.org"), RP_STATUS_FAIL,
                       "api.example.org does not resolve");
  v = rp_deployment_verdict (c, "http.1", "http.2");
  g_assert_cmpstr (v->summary, ==, "The API is down: api.example.org does not resolve");
}

static void
test_groups (void)
{
  g_assert_cmpstr (rp_check_group_of_kind ("port"), ==, "Web & API");
  g_assert_cmpstr (rp_check_group_of_kind ("http"), ==, "Web & API");
  g_assert_cmpstr (rp_check_group_of_kind ("websocket"), ==, "Realtime");
  g_assert_cmpstr (rp_check_group_of_kind ("file"), ==, "Files");
  g_assert_cmpstr (rp_check_group_of_kind ("relay"), ==, "TURN");
  g_assert_cmpstr (rp_check_group_of_kind ("ice"), ==, "Voice");
  g_assert_cmpstr (rp_check_group_of_kind ("verdict"), ==, "Other");
  g_assert_cmpstr (rp_check_group_of_kind (NULL), ==, "Other");
}

/* A UDP relay that echoes with loss works: clients stay on it, so the
 * verdict says so and never that voice falls back to TLS. */
static void
test_lossy_udp (void)
{
  g_autoptr (GPtrArray) c = healthy ();
  g_autoptr (RpCheckResult) v = NULL;
  RpCheckResult *r = by_id (c, "relay.udp");

  rp_check_result_set (r, RP_STATUS_WARN, "the relay forwards, with loss: 17 of 20 packets back");
  rp_check_result_metric (r, "loss_pct", 15.0);
  add (c, "turn.verdict", "turn", "fallback", RP_STATUS_WARN,
       "TURN works over UDP and TLS from this network, but UDP relays with 15.0 % loss");
  v = rp_deployment_verdict (c, "http.1", "http.2");
  g_assert_cmpint (v->status, ==, RP_STATUS_WARN);
  g_assert_cmpstr (v->summary, ==, "TURN over UDP relays with 15.0 % loss: clients stay on it, so "
                   "calls connect and voice may break up (measure it with `rtcprobe voice`)");
  g_assert_null (strstr (v->summary, "falls back"));
}

/* A TLS relay that worked only because --insecure ignored its certificate
 * is not a transport a browser can use. */
static void
test_untrusted_tls (void)
{
  g_autoptr (GPtrArray) c = healthy ();
  g_autoptr (RpCheckResult) v = NULL;
  RpCheckResult *r = by_id (c, "turn.tls.allocate");

  rp_check_result_set (r, RP_STATUS_WARN, "allocation lifecycle over TLS works, but the "
                       "certificate is not trusted (--insecure): browsers refuse this relay");
  rp_check_result_detail_bool (r, "tls_verified", FALSE);
  v = rp_deployment_verdict (c, "http.1", "http.2");
  g_assert_cmpint (v->status, ==, RP_STATUS_WARN);
  g_assert_true (g_str_has_prefix (v->summary, "TURN over TLS fails (allocation lifecycle over TLS "
                                   "works, but the certificate is not trusted"));
  g_assert_nonnull (strstr (v->summary, "; voice works over UDP"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/deployment-verdict/healthy", test_healthy);
  g_test_add_func ("/deployment-verdict/broken", test_broken);
  g_test_add_func ("/deployment-verdict/api-down", test_api_down);
  g_test_add_func ("/deployment-verdict/more-than-three", test_more_than_three);
  g_test_add_func ("/deployment-verdict/groups", test_groups);
  g_test_add_func ("/deployment-verdict/dns-named-once", test_dns_named_once);
  g_test_add_func ("/deployment-verdict/lossy-udp", test_lossy_udp);
  g_test_add_func ("/deployment-verdict/untrusted-tls", test_untrusted_tls);
  return g_test_run ();
}
