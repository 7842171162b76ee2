/* Tests for ICE candidates as plain values: the SDP "candidate:" form of
 * RFC 8839 5.1 both ways (with strings as browsers send them, and hostile
 * ones), the report wording, the relay-only filter, and the RTT median. */
#include <glib.h>
#include <gio/gio.h>

#include "rtc/ice/ice-candidate.h"
#include "rtc/ice/ice-pair.h"

static RpIceCandidate
cand (RpIceCandType type, RpIceCandTransport tr, const char *addr, guint16 port, const char *raddr,
      guint16 rport)
{
  RpIceCandidate c = { .type = type,
                       .transport = tr,
                       .component = 1,
                       .priority = 2130706431,
                       .port = port,
                       .rport = rport,
                       .gathered_us = -1 };

  g_strlcpy (c.foundation, "1", sizeof c.foundation);
  g_strlcpy (c.addr, addr, sizeof c.addr);
  g_strlcpy (c.raddr, raddr != NULL ? raddr : "", sizeof c.raddr);
  return c;
}

static void
test_to_sdp (void)
{
  RpIceCandidate host = cand (RP_ICE_CAND_HOST, RP_ICE_CAND_UDP, "192.0.2.1", 50000, NULL, 0);
  RpIceCandidate relay =
    cand (RP_ICE_CAND_RELAY, RP_ICE_CAND_UDP, "203.0.113.9", 49152, "198.51.100.4", 40000);
  RpIceCandidate tcp = cand (RP_ICE_CAND_HOST, RP_ICE_CAND_TCP_ACTIVE, "2001:db8::1", 9, NULL, 0);
  g_autofree char *a = rp_ice_candidate_to_sdp (&host);
  g_autofree char *b = rp_ice_candidate_to_sdp (&relay);
  g_autofree char *c = rp_ice_candidate_to_sdp (&tcp);

  g_assert_cmpstr (a, ==, "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host");
  g_assert_cmpstr (
    b, ==,
    "candidate:1 1 udp 2130706431 203.0.113.9 49152 typ relay raddr 198.51.100.4 rport 40000");
  g_assert_cmpstr (c, ==, "candidate:1 1 tcp 2130706431 2001:db8::1 9 typ host tcptype active");
}

static void
test_round_trip (void)
{
  RpIceCandidate in[] = {
    cand (RP_ICE_CAND_HOST, RP_ICE_CAND_UDP, "127.0.0.1", 1, NULL, 0),
    cand (RP_ICE_CAND_SRFLX, RP_ICE_CAND_UDP, "198.51.100.7", 61665, "10.0.0.5", 61665),
    cand (RP_ICE_CAND_PRFLX, RP_ICE_CAND_TCP_SO, "2001:db8::7", 65535, "fd00::2", 1),
    cand (RP_ICE_CAND_RELAY, RP_ICE_CAND_TCP_PASSIVE, "203.0.113.9", 0, "198.51.100.4", 40000),
  };

  for (guint i = 0; i < G_N_ELEMENTS (in); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *sdp = rp_ice_candidate_to_sdp (&in[i]);
    RpIceCandidate out;

    g_assert_true (rp_ice_candidate_from_sdp (sdp, &out, &error));
    g_assert_no_error (error);
    g_assert_cmpint (out.type, ==, in[i].type);
    g_assert_cmpint (out.transport, ==, in[i].transport);
    g_assert_cmpstr (out.foundation, ==, in[i].foundation);
    g_assert_cmpuint (out.component, ==, 1);
    g_assert_cmpuint (out.priority, ==, in[i].priority);
    g_assert_cmpstr (out.addr, ==, in[i].addr);
    g_assert_cmpuint (out.port, ==, in[i].port);
    g_assert_cmpstr (out.raddr, ==, in[i].raddr);
    g_assert_cmpuint (out.rport, ==, in[i].rport);
    g_assert_cmpint (out.gathered_us, ==, -1);
  }
}

/* As Chrome and Firefox put them in an RTCIceCandidate / SDP line. */
static void
test_browser_lines (void)
{
  g_autoptr (GError) error = NULL;
  RpIceCandidate c;

  g_assert_true (rp_ice_candidate_from_sdp (
    "candidate:842163049 1 udp 1677729535 198.51.100.7 61665 typ srflx "
    "raddr 10.0.0.5 rport 61665 generation 0 ufrag ab/C network-cost 999",
    &c, &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.type, ==, RP_ICE_CAND_SRFLX);
  g_assert_cmpstr (c.foundation, ==, "842163049");
  g_assert_cmpuint (c.priority, ==, 1677729535);
  g_assert_cmpstr (c.raddr, ==, "10.0.0.5");

  g_assert_true (rp_ice_candidate_from_sdp (
    "a=candidate:0 1 UDP 2122252543 2001:db8::5 50123 typ host\r\n", &c, &error));
  g_assert_cmpint (c.transport, ==, RP_ICE_CAND_UDP);
  g_assert_cmpstr (c.addr, ==, "2001:db8::5");

  g_assert_true (rp_ice_candidate_from_sdp (
    "candidate:a+b/9 1 TCP 1518280447 192.0.2.1 9 typ host tcptype active", &c, &error));
  g_assert_cmpint (c.transport, ==, RP_ICE_CAND_TCP_ACTIVE);
}

static void
test_rejects (void)
{
  const char *bad[] = {
    "",
    "   ",
    "candidate:",
    "candidate:1 1 udp 1 192.0.2.1 5000 typ",
    "candidate:1 1 udp 1 192.0.2.1 5000 host",
    "candidate:1 1 udp 1 192.0.2.1 5000 typ unknown",
    "candidate:1 0 udp 1 192.0.2.1 5000 typ host", /* component 0 */
    "candidate:1 1 sctp 1 192.0.2.1 5000 typ host",
    "candidate:1 1 udp 0 192.0.2.1 5000 typ host",          /* priority 0 */
    "candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host", /* priority > 2^32-1 */
    "candidate:1 1 udp 1 192.0.2.1 70000 typ host",
    "candidate:1 1 udp 1 192.0.2.1 -1 typ host",
    "candidate:1 1 udp 1 4b1c7a2e-1f2d.local 5000 typ host", /* mDNS names are not resolved here */
    "candidate:1 1 udp 1 192.0.2.300 5000 typ host",
    "candidate:f_o 1 udp 1 192.0.2.1 5000 typ host", /* '_' is no ice-char */
    "candidate:123456789012345678901234567890123 1 udp 1 192.0.2.1 5000 typ host", /* 33 chars */
    "candidate:1 1 tcp 1 192.0.2.1 9 typ host",                /* tcp without tcptype */
    "candidate:1 1 udp 1 192.0.2.1 9 typ host tcptype active", /* tcptype on udp */
    "candidate:1 1 tcp 1 192.0.2.1 9 typ host tcptype sideways",
    "candidate:1 1 udp 1 192.0.2.1 9 typ srflx raddr 2001:db8::1 rport 9",
    "candidate:1 1 udp 1 192.0.2.1 9 typ srflx raddr",
    "candidate:1 1 udp 1 192.0.2.1 9 typ srflx raddr 10.0.0.1 rport 99999",
    "candidate:1 1 udp 1 192.0.2.1 9 typ host \xff", /* not UTF-8 */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    RpIceCandidate c;

    if (rp_ice_candidate_from_sdp (bad[i], &c, &error))
      g_error ("accepted: '%s'", bad[i]);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  /* Bytes that are not UTF-8 (a JSON "\377" escape makes them): a clear error
   * that does not quote them, not a failed regex split. */
  {
    g_autoptr (GError) error = NULL;
    RpIceCandidate c;

    const char *line = "candidate:1 1 udp 1 192.0.2.1 5000 typ host \xff";

    g_assert_false (rp_ice_candidate_from_sdp (line, &c, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_cmpstr (error->message, ==, "ICE candidate: not valid UTF-8");
  }
}

static void
test_describe (void)
{
  RpIceCandidate r =
    cand (RP_ICE_CAND_RELAY, RP_ICE_CAND_UDP, "127.0.0.1", 50000, "127.0.0.1", 40000);
  RpIceCandidate h = cand (RP_ICE_CAND_HOST, RP_ICE_CAND_UDP, "::1", 9, NULL, 0);
  g_autoptr (GArray) all = g_array_new (FALSE, TRUE, sizeof (RpIceCandidate));
  g_autofree char *one = NULL;
  g_autofree char *list = NULL;

  r.priority = 123;
  r.gathered_us = 12345;
  one = rp_ice_candidate_describe (&r);
  g_assert_cmpstr (one, ==, "relay udp 127.0.0.1:50000 prio 123 at 12.345 ms");
  g_array_append_val (all, r);
  g_array_append_val (all, h);
  list = rp_ice_candidates_describe (all);
  g_assert_cmpstr (
    list, ==, "relay udp 127.0.0.1:50000 prio 123 at 12.345 ms; host udp [::1]:9 prio 2130706431");
}

static void
test_relay_only_filter (void)
{
  g_autoptr (GArray) all = g_array_new (FALSE, TRUE, sizeof (RpIceCandidate));
  g_autoptr (GArray) relay = NULL;
  g_autoptr (GArray) none = NULL;
  RpIceCandidate c[] = {
    cand (RP_ICE_CAND_HOST, RP_ICE_CAND_UDP, "10.0.0.5", 1, NULL, 0),
    cand (RP_ICE_CAND_RELAY, RP_ICE_CAND_UDP, "203.0.113.9", 2, "198.51.100.4", 3),
    cand (RP_ICE_CAND_SRFLX, RP_ICE_CAND_UDP, "198.51.100.4", 3, "10.0.0.5", 1),
    cand (RP_ICE_CAND_RELAY, RP_ICE_CAND_UDP, "203.0.113.9", 4, "198.51.100.4", 5),
  };

  g_array_append_vals (all, c, G_N_ELEMENTS (c));
  g_assert_cmpuint (rp_ice_candidates_count (all, RP_ICE_CAND_HOST), ==, 1);
  g_assert_cmpuint (rp_ice_candidates_count (all, RP_ICE_CAND_RELAY), ==, 2);
  g_assert_cmpuint (rp_ice_candidates_count (all, RP_ICE_CAND_PRFLX), ==, 0);
  relay = rp_ice_candidates_filter_type (all, RP_ICE_CAND_RELAY);
  g_assert_cmpuint (relay->len, ==, 2);
  /* Order kept, and nothing but relay: no private address leaks to the peer. */
  g_assert_cmpuint (g_array_index (relay, RpIceCandidate, 0).port, ==, 2);
  g_assert_cmpuint (g_array_index (relay, RpIceCandidate, 1).port, ==, 4);
  for (guint i = 0; i < relay->len; i++)
    g_assert_cmpstr (g_array_index (relay, RpIceCandidate, i).addr, !=, "10.0.0.5");
  none = rp_ice_candidates_filter_type (NULL, RP_ICE_CAND_RELAY);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (rp_ice_candidates_count (NULL, RP_ICE_CAND_HOST), ==, 0);
}

static void
test_median (void)
{
  double odd[] = { 5, 1, 3 };
  double even[] = { 4, 1, 3, 2 };
  double one[] = { 7.5 };

  g_assert_cmpfloat (rp_ice_median (odd, 3), ==, 3);
  g_assert_cmpfloat (rp_ice_median (even, 4), ==, 2.5);
  g_assert_cmpfloat (rp_ice_median (one, 1), ==, 7.5);
  g_assert_cmpfloat (rp_ice_median (NULL, 0), ==, 0);
}

static void
test_names (void)
{
  RpIceCandType t;

  g_assert_cmpstr (rp_ice_cand_type_to_string (RP_ICE_CAND_SRFLX), ==, "srflx");
  g_assert_cmpstr (rp_ice_cand_transport_to_string (RP_ICE_CAND_TCP_PASSIVE), ==, "tcp-passive");
  g_assert_true (rp_ice_cand_type_from_string ("RELAY", &t));
  g_assert_cmpint (t, ==, RP_ICE_CAND_RELAY);
  g_assert_false (rp_ice_cand_type_from_string ("relayed", &t));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ice-candidate/to-sdp", test_to_sdp);
  g_test_add_func ("/ice-candidate/round-trip", test_round_trip);
  g_test_add_func ("/ice-candidate/browser-lines", test_browser_lines);
  g_test_add_func ("/ice-candidate/rejects", test_rejects);
  g_test_add_func ("/ice-candidate/describe", test_describe);
  g_test_add_func ("/ice-candidate/relay-only-filter", test_relay_only_filter);
  g_test_add_func ("/ice-candidate/median", test_median);
  g_test_add_func ("/ice-candidate/names", test_names);
  return g_test_run ();
}
