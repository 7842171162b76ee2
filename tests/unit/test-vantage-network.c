/* Unit tests for probe/core/vantage-network.c (the kernel's route tables
 * read, the facts described into the vantage) and probe/checks/family-hints.c
 * (the IPv6-only hint on a failed IPv4 literal, NAT64 reach in the verdict). */
#include <string.h>

#include "probe/checks/family-hints.h"
#include "probe/core/vantage-network.h"

static const char route_v4[] =
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
  "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
  "eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";

static const char route_v6_lo_only[] =
  "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
  "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";

static const char route_v6[] =
  "20010db8000600000000000000000000 40 00000000000000000000000000000000 00 "
  "00000000000000000000000000000000 00000100 00000001 00000000 00000001   c6\n"
  "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
  "20010db8000600000000000000000001 00000400 00000001 00000000 00000003   c6\n";

static void
test_routes (void)
{
  g_autofree char *v4 = rp_vantage_default_route_v4 (route_v4);
  g_autofree char *v6 = rp_vantage_default_route_v6 (route_v6);
  g_autofree char *none4 = rp_vantage_default_route_v4 (route_v4 + strlen (route_v4) - 1);
  g_autofree char *lo6 = rp_vantage_default_route_v6 (route_v6_lo_only);

  g_assert_cmpstr (v4, ==, "eth0");
  g_assert_cmpstr (v6, ==, "c6");
  g_assert_null (none4);
  g_assert_null (lo6);
  g_assert_null (rp_vantage_default_route_v4 (NULL));
  g_assert_null (rp_vantage_default_route_v6 ("garbage\n\n  \t"));
}

static const char *
vstr (const RpCheckResult *r, const char *key)
{
  const RpDetail *d = rp_check_result_get_detail (r, key);
  return d != NULL && d->type == RP_DETAIL_STRING ? d->str : NULL;
}

static gboolean
vbool (const RpCheckResult *r, const char *key)
{
  const RpDetail *d = rp_check_result_get_detail (r, key);
  g_assert_nonnull (d);
  g_assert_cmpint (d->type, ==, RP_DETAIL_BOOL);
  return d->num != 0;
}

/* An IPv6-only phone network behind NAT64 with the well-known prefix. */
static void
ipv6_only_facts (RpNetworkFacts *f, gboolean clat)
{
  memset (f, 0, sizeof *f);
  f->ipv6_interface = g_strdup ("rmnet0");
  f->ipv6_address = g_strdup ("2001:db8:6::2");
  if (clat) {
    f->ipv4_interface = g_strdup ("v4-rmnet0");
    f->ipv4_address = g_strdup ("192.0.0.4");
    f->ipv4_clat = TRUE;
  }
  f->dns64 = RP_DNS64_PRESENT;
  f->dns64_answers = g_strdup ("64:ff9b::c000:aa, 64:ff9b::c000:ab");
  f->prefixes[0] = rp_nat64_well_known_prefix;
  f->n_prefixes = 1;
}

static void
test_describe (void)
{
  RpNetworkFacts f;
  g_autoptr (RpCheckResult) v = rp_check_result_new ("vantage", "vantage", "");
  g_autoptr (RpCheckResult) c = rp_check_result_new ("vantage", "vantage", "");
  g_autoptr (RpCheckResult) d = rp_check_result_new ("vantage", "vantage", "");

  ipv6_only_facts (&f, FALSE);
  g_assert_true (rp_network_facts_ipv6_only (&f));
  rp_network_facts_describe (&f, v);
  g_assert_cmpstr (vstr (v, "network"), ==, "ipv6-only");
  g_assert_cmpstr (vstr (v, "ipv4_route"), ==, "none: no IPv4 default route");
  g_assert_cmpstr (vstr (v, "ipv6_route"), ==, "2001:db8:6::2 on rmnet0 (default route)");
  g_assert_true (vbool (v, "dns64"));
  g_assert_true (vbool (v, "nat64"));
  g_assert_cmpstr (vstr (v, "nat64_prefix"), ==, "64:ff9b::/96");
  g_assert_false (vbool (v, "clat"));
  rp_network_facts_clear (&f);

  /* 464XLAT: an IPv4 route on the CLAT's interface is not native IPv4. */
  ipv6_only_facts (&f, TRUE);
  g_assert_true (rp_network_facts_ipv6_only (&f));
  rp_network_facts_describe (&f, c);
  g_assert_cmpstr (vstr (c, "network"), ==, "ipv6-only");
  g_assert_true (vbool (c, "clat"));
  g_assert_true (strstr (vstr (c, "ipv4_route"), "CLAT") != NULL);
  rp_network_facts_clear (&f);

  /* Dual stack, a resolver without DNS64. */
  memset (&f, 0, sizeof f);
  f.ipv4_interface = g_strdup ("eth0");
  f.ipv4_address = g_strdup ("198.18.2.2");
  f.ipv6_interface = g_strdup ("eth0");
  f.ipv6_address = g_strdup ("2001:db8:46::2");
  f.dns64 = RP_DNS64_ABSENT;
  f.dns64_answers = g_strdup ("no AAAA record for ipv4only.arpa (no DNS64)");
  g_assert_false (rp_network_facts_ipv6_only (&f));
  rp_network_facts_describe (&f, d);
  g_assert_cmpstr (vstr (d, "network"), ==, "dual-stack");
  g_assert_false (vbool (d, "dns64"));
  g_assert_false (vbool (d, "nat64"));
  g_assert_false (vbool (d, "clat"));
  g_assert_null (rp_check_result_get_detail (d, "nat64_prefix"));
  rp_network_facts_clear (&f);
}

static RpReport *
report_on (gboolean clat)
{
  RpReport *report = rp_report_new ("check");
  RpNetworkFacts f;
  RpCheckResult *verdict = rp_check_result_new ("verdict", "verdict", "deployment");
  RpCheckResult *lit = rp_check_result_new ("turn.udp.allocate", "turn", "turn:198.18.0.2:3478");
  RpCheckResult *name = rp_check_result_new ("stun.udp", "stun", "stun:stun.example.test:3478");

  report->vantage = rp_check_result_new ("vantage", "vantage", "");
  ipv6_only_facts (&f, clat);
  rp_network_facts_describe (&f, report->vantage);
  rp_network_facts_clear (&f);
  rp_check_result_set (lit, RP_STATUS_FAIL, "no answer to TURN Allocate over UDP");
  rp_check_result_set_hint (lit, "check the firewall");
  rp_check_result_set (name, RP_STATUS_PASS, "STUN works");
  rp_check_result_detail_str (name, "server_address", "[64:ff9b::c612:3]:3478");
  rp_check_result_set (verdict, RP_STATUS_FAIL, "TURN over UDP fails");
  rp_check_result_set_hint (verdict, "check the firewall");
  rp_report_add (report, verdict);
  rp_report_add (report, lit);
  rp_report_add (report, name);
  return report;
}

static void
test_hints (void)
{
  g_autoptr (RpReport) r = report_on (FALSE);
  g_autoptr (RpReport) clat = report_on (TRUE);
  const RpCheckResult *verdict, *lit, *name;

  rp_family_hints_apply (r);
  verdict = g_ptr_array_index (r->checks, 0);
  lit = g_ptr_array_index (r->checks, 1);
  name = g_ptr_array_index (r->checks, 2);
  g_assert_true (g_str_has_prefix (
    lit->hint, "This network is IPv6-only behind NAT64 (prefix 64:ff9b::/96): clients reach "
               "IPv4-only servers only by name, through DNS64; your TURN URI uses the IPv4 "
               "literal 198.18.0.2, which clients without CLAT (464XLAT) cannot reach: use a "
               "host name (an A record is enough: DNS64 answers 64:ff9b::c612:2 for it). "));
  g_assert_true (g_str_has_suffix (lit->hint, "check the firewall"));
  g_assert_cmpstr (verdict->hint, ==, lit->hint);
  g_assert_cmpstr (vstr (name, "nat64_ipv4"), ==, "198.18.0.3");
  g_assert_true (strstr (vstr (r->vantage, "nat64_reached"), "198.18.0.3") != NULL);
  g_assert_true (strstr (verdict->summary, "reached through NAT64, prefix 64:ff9b::/96") != NULL);

  /* With a CLAT the literal is reachable: its failure is not explained so. */
  rp_family_hints_apply (clat);
  lit = g_ptr_array_index (clat->checks, 1);
  g_assert_cmpstr (lit->hint, ==, "check the firewall");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vantage-network/routes", test_routes);
  g_test_add_func ("/vantage-network/describe", test_describe);
  g_test_add_func ("/vantage-network/family-hints", test_hints);
  return g_test_run ();
}
