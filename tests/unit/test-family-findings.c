/* Tests for the family comparison of port results (family-findings.c):
 * port rows made by hand as check-ports.c fills them for a name with A and
 * AAAA records, and the finding that comes out: both open, the AAAA fault
 * (IPv6 filtered or closed), the reverse, UDP silence on one family, and no
 * finding where only one family was published or neither family answers. */
#include <string.h>

#include "probe/checks/checks-network.h"

static GPtrArray *
new_checks (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) rp_check_result_free);
}

static void
add_port (GPtrArray *c, const char *spec, const char *ip, const char *state, gboolean several)
{
  gboolean v6 = strchr (ip, ':') != NULL;
  g_autofree char *id =
    several ? g_strdup_printf ("port.%s@%s", spec, ip) : g_strdup_printf ("port.%s", spec);
  g_autofree char *target = g_strdup_printf ("%s%s%s:%s", v6 ? "[" : "", ip, v6 ? "]" : "", spec);
  RpCheckResult *r = rp_check_result_new (id, "port", target);

  rp_check_result_detail_str (r, "address", ip);
  rp_check_result_detail_str (r, "family", v6 ? "ipv6" : "ipv4");
  rp_check_result_detail_str (r, "host", "api.lab.test");
  rp_check_result_detail_str (r, "state", state);
  rp_check_result_set (r, g_str_equal (state, "open") ? RP_STATUS_PASS : RP_STATUS_FAIL, "%s",
                       state);
  g_ptr_array_add (c, r);
}

static RpCheckResult *
by_id (GPtrArray *c, const char *id)
{
  for (guint i = 0; i < c->len; i++)
    if (g_str_equal (((RpCheckResult *) c->pdata[i])->id, id))
      return c->pdata[i];
  return NULL;
}

static const char *
detail (RpCheckResult *r, const char *key)
{
  const RpDetail *d = rp_check_result_get_detail (r, key);
  return d != NULL ? d->str : NULL;
}

static void
test_both_open (void)
{
  g_autoptr (GPtrArray) c = new_checks ();
  RpCheckResult *r;

  add_port (c, "443/tcp", "2001:db8::1", "open", TRUE);
  add_port (c, "443/tcp", "198.18.0.1", "open", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 1);
  g_assert_cmpuint (c->len, ==, 3);
  r = by_id (c, "port.443/tcp.families");
  g_assert_nonnull (r);
  /* inserted before the port's rows */
  g_assert_true (c->pdata[0] == r);
  g_assert_cmpint (r->status, ==, RP_STATUS_PASS);
  g_assert_cmpstr (r->summary, ==, "443/tcp open over IPv4 (198.18.0.1) and IPv6 (2001:db8::1)");
  g_assert_cmpstr (detail (r, "families"), ==, "ipv4,ipv6");
  g_assert_null (r->hint);
}

static void
test_aaaa_filtered (void)
{
  g_autoptr (GPtrArray) c = new_checks ();
  RpCheckResult *r;

  add_port (c, "80/tcp", "2001:db8::1", "open", TRUE);
  add_port (c, "80/tcp", "198.18.0.1", "open", TRUE);
  add_port (c, "443/tcp", "2001:db8::1", "filtered", TRUE);
  add_port (c, "443/tcp", "198.18.0.1", "open", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 2);
  g_assert_true (c->pdata[0] == by_id (c, "port.80/tcp.families"));
  g_assert_true (c->pdata[3] == by_id (c, "port.443/tcp.families"));
  r = by_id (c, "port.443/tcp.families");
  g_assert_cmpint (r->status, ==, RP_STATUS_FAIL);
  g_assert_cmpstr (r->summary, ==,
                   "api.lab.test has an AAAA record but 443/tcp is filtered over IPv6 "
                   "(2001:db8::1), open over IPv4 (198.18.0.1)");
  g_assert_cmpstr (detail (r, "broken_family"), ==, "ipv6");
  g_assert_cmpstr (detail (r, "ipv6_state"), ==, "filtered");
  g_assert_nonnull (strstr (r->hint, "security list's IPv6 rules"));
  g_assert_nonnull (strstr (r->hint, "remove the AAAA record of api.lab.test"));
  g_assert_nonnull (strstr (r->hint, "250-300 ms"));
}

static void
test_aaaa_closed (void)
{
  g_autoptr (GPtrArray) c = new_checks ();
  RpCheckResult *r;

  add_port (c, "443/tcp", "198.18.0.1", "open", TRUE);
  add_port (c, "443/tcp", "2001:db8::1", "closed", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 1);
  r = by_id (c, "port.443/tcp.families");
  g_assert_cmpint (r->status, ==, RP_STATUS_FAIL);
  g_assert_nonnull (strstr (r->summary, "443/tcp is closed over IPv6"));
  g_assert_nonnull (strstr (r->hint, "listen [::]:443"));
}

static void
test_a_broken (void)
{
  g_autoptr (GPtrArray) c = new_checks ();
  RpCheckResult *r;

  add_port (c, "5349/tcp", "2001:db8::1", "open", TRUE);
  add_port (c, "5349/tcp", "198.18.0.1", "filtered", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 1);
  r = by_id (c, "port.5349/tcp.families");
  g_assert_cmpint (r->status, ==, RP_STATUS_FAIL);
  g_assert_nonnull (strstr (r->summary, "has an A record but 5349/tcp is filtered over IPv4"));
  g_assert_nonnull (strstr (r->hint, "TURN over TLS (coturn)"));
  g_assert_nonnull (strstr (r->hint, "cannot connect at all"));
  g_assert_cmpstr (detail (r, "broken_family"), ==, "ipv4");
}

static void
test_udp_silent_on_one_family (void)
{
  g_autoptr (GPtrArray) c = new_checks ();
  RpCheckResult *r;

  add_port (c, "3478/udp", "2001:db8::1", "open|filtered", TRUE);
  add_port (c, "3478/udp", "198.18.0.1", "open", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 1);
  r = by_id (c, "port.3478/udp.families");
  g_assert_cmpint (r->status, ==, RP_STATUS_WARN);
  g_assert_nonnull (strstr (r->summary, "silent (open|filtered) over IPv6"));
  g_assert_nonnull (strstr (r->hint, "(STUN/TURN over UDP (coturn)) answers on IPv4 only"));
}

static void
test_no_finding (void)
{
  g_autoptr (GPtrArray) c = new_checks ();

  /* one family only: an IPv4-only deployment's report stays as it was */
  add_port (c, "443/tcp", "198.18.0.1", "open", FALSE);
  add_port (c, "3478/udp", "198.18.0.1", "open", FALSE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 0);
  g_assert_cmpuint (c->len, ==, 2);
  g_ptr_array_set_size (c, 0);
  /* neither family answers: nothing to compare */
  add_port (c, "443/tcp", "2001:db8::1", "filtered", TRUE);
  add_port (c, "443/tcp", "198.18.0.1", "filtered", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 0);
  /* rows without a family (older reports) or of other kinds are left alone */
  g_ptr_array_add (c, rp_check_result_new ("port.x/tcp@1", "port", "x"));
  g_ptr_array_add (c, rp_check_result_new ("http.1", "http", "https://api.lab.test/"));
  g_assert_cmpuint (rp_family_findings_add (c), ==, 0);
}

static void
test_two_addresses_per_family (void)
{
  g_autoptr (GPtrArray) c = new_checks ();
  RpCheckResult *r;

  /* one bad AAAA of two is enough to lose the delay for some clients */
  add_port (c, "443/tcp", "2001:db8::1", "open", TRUE);
  add_port (c, "443/tcp", "2001:db8::2", "filtered", TRUE);
  add_port (c, "443/tcp", "198.18.0.1", "open", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 1);
  r = by_id (c, "port.443/tcp.families");
  g_assert_nonnull (strstr (r->summary, "filtered over IPv6 (2001:db8::2)"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/family-findings/both-open", test_both_open);
  g_test_add_func ("/family-findings/aaaa-filtered", test_aaaa_filtered);
  g_test_add_func ("/family-findings/aaaa-closed", test_aaaa_closed);
  g_test_add_func ("/family-findings/a-broken", test_a_broken);
  g_test_add_func ("/family-findings/udp-silent", test_udp_silent_on_one_family);
  g_test_add_func ("/family-findings/none", test_no_finding);
  g_test_add_func ("/family-findings/two-per-family", test_two_addresses_per_family);
  return g_test_run ();
}
