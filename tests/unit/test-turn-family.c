/* Tests for the pieces of the TURN address-family checks that need no
 * server: the --relay-family values, the family names, and the operator
 * wording of 440 (Address Family not Supported) and 443 (Peer Address
 * Family Mismatch) with the coturn fix in it. The checks themselves run
 * against coturn in tests/integration/turn-families.sh. */
#include <glib.h>
#include <string.h>

#include "probe/checks/checks-turn.h"
#include "probe/core/explain.h"

static void
test_relay_families_parse (void)
{
  RpTurnRelayFamilies f = 99;

  g_assert_true (rp_turn_relay_families_parse ("ipv4", &f));
  g_assert_cmpint (f, ==, 0);
  g_assert_true (rp_turn_relay_families_parse ("ipv6", &f));
  g_assert_cmpint (f, ==, RP_TURN_RELAY_IPV6);
  g_assert_true (rp_turn_relay_families_parse ("DUAL", &f));
  g_assert_cmpint (f, ==, RP_TURN_RELAY_DUAL);
  g_assert_true (rp_turn_relay_families_parse ("all", &f));
  g_assert_cmpint (f, ==, RP_TURN_RELAY_IPV6 | RP_TURN_RELAY_DUAL);
  /* anything else is refused and leaves the value alone */
  f = 7;
  g_assert_false (rp_turn_relay_families_parse ("", &f));
  g_assert_false (rp_turn_relay_families_parse ("ipv46", &f));
  g_assert_false (rp_turn_relay_families_parse ("ipv6 ", &f));
  g_assert_false (rp_turn_relay_families_parse (NULL, &f));
  g_assert_cmpint (f, ==, 7);

  g_assert_cmpstr (rp_turn_family_to_string (RP_TURN_FAMILY_IPV4), ==, "IPv4");
  g_assert_cmpstr (rp_turn_family_to_string (RP_TURN_FAMILY_IPV6), ==, "IPv6");
  g_assert_cmpstr (rp_turn_family_to_string (RP_TURN_FAMILY_DUAL), ==, "dual");
}

static RpCheckResult *
explained (const char *step, guint code, const char *reason)
{
  RpCheckResult *r = rp_check_result_new ("turn.udp.ipv6", "turn", "turn:192.0.2.1:3478");
  RpTurnCreds creds = { 0 };
  RpTurnContext ctx = { RP_TRANSPORT_UDP, "192.0.2.1:3478", &creds, "example.org" };
  RpTurnResult res = { .outcome = RP_STUN_TXN_RESPONSE, .error_code = code,
                       .error_reason = reason };

  rp_explain_turn_failure (r, step, &res, &ctx, NULL);
  return r;
}

static void
test_explain_families (void)
{
  g_autoptr (RpCheckResult) a = explained ("Allocate", 440, "Unsupported address family");
  g_autoptr (RpCheckResult) p = explained ("CreatePermission", 443, "Peer Address Family Mismatch");

  g_assert_cmpint (a->status, ==, RP_STATUS_FAIL);
  g_assert_cmpint (rp_check_result_get_detail (a, "error_code")->num, ==, 440);
  g_assert_nonnull (strstr (a->hint, "Address Family not Supported"));
  g_assert_nonnull (strstr (a->hint, "relay-ip="));
  g_assert_nonnull (strstr (a->hint, "listening-ip/relay-ip pairs"));

  g_assert_cmpint (p->status, ==, RP_STATUS_FAIL);
  g_assert_nonnull (strstr (p->hint, "Peer Address Family Mismatch"));
  g_assert_nonnull (strstr (p->hint, "IPv6 peer on an IPv4 relay"));
  g_assert_nonnull (strstr (p->hint, "REQUESTED-ADDRESS-FAMILY"));
  g_assert_nonnull (strstr (p->hint, "relay-ip=<IPv6>"));
  /* one line each */
  g_assert_null (strchr (a->hint, '\n'));
  g_assert_null (strchr (p->hint, '\n'));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/turn/family/relay-families-parse", test_relay_families_parse);
  g_test_add_func ("/turn/family/explain-440-443", test_explain_families);
  return g_test_run ();
}
