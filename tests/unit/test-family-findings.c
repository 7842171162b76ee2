/* Tests for the family comparison of port results (family-findings.c):
 * port rows made by hand as check-ports.c fills them for a name with A and
 * AAAA records, and the finding that comes out: both open, the AAAA fault
 * (IPv6 filtered or closed), the reverse, UDP silence on one family, and no
 * finding where only one family was published, neither family answers or
 * this network has no route to one of them.
 * Then the http side (http-family.c): the families of one URL judged after
 * the happy-eyeballs request, and the verdict leading with the fault. */
#include <string.h>

#include "probe/checks/check-deployment.h"
#include "probe/checks/checks-network.h"
#include "probe/checks/checks-web.h"

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
add_stun (GPtrArray *c, const char *id, const char *ip, const char *state)
{
  RpCheckResult *r = rp_check_result_new (id, "stun", "stun:api.lab.test:3478");

  rp_check_result_detail_str (r, "address", ip);
  rp_check_result_detail_str (r, "family", strchr (ip, ':') != NULL ? "ipv6" : "ipv4");
  rp_check_result_detail_str (r, "host", "api.lab.test");
  rp_check_result_detail_str (r, "port", "3478/udp");
  rp_check_result_detail_str (r, "state", state);
  rp_check_result_set (r, g_str_equal (state, "open") ? RP_STATUS_PASS : RP_STATUS_FAIL, "%s",
                       state);
  g_ptr_array_add (c, r);
}

/* `check`'s STUN Binding on each family: TURN/STUN reachable on IPv4 only,
 * and the port rows of the same port give no second finding. */
static void
test_stun_families (void)
{
  g_autoptr (GPtrArray) c = new_checks ();
  RpCheckResult *r;

  add_stun (c, "stun.udp", "2001:db8::2", "open|filtered");
  add_stun (c, "stun.udp.ipv4", "198.18.0.2", "open");
  add_port (c, "3478/udp", "2001:db8::2", "open|filtered", TRUE);
  add_port (c, "3478/udp", "198.18.0.2", "open", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 1);
  r = by_id (c, "stun.3478/udp.families");
  g_assert_nonnull (r);
  g_assert_null (by_id (c, "port.3478/udp.families"));
  g_assert_cmpstr (r->kind, ==, "stun");
  g_assert_cmpint (r->status, ==, RP_STATUS_FAIL);
  g_assert_cmpstr (detail (r, "broken_family"), ==, "ipv6");
  g_assert_true (g_str_has_prefix (r->summary, "TURN/STUN reachable on IPv4 only: api.lab.test "
                                               "has an AAAA record but 3478/udp is silent"));
  g_assert_nonnull (strstr (r->summary, "STUN answers over IPv4 (198.18.0.2)"));
  g_assert_nonnull (strstr (r->hint, "IPv6 rules"));
  /* both answer: a pass that says so */
  g_ptr_array_set_size (c, 0);
  add_stun (c, "stun.udp", "2001:db8::2", "open");
  add_stun (c, "stun.udp.ipv4", "198.18.0.2", "open");
  g_assert_cmpuint (rp_family_findings_add (c), ==, 1);
  g_assert_cmpint (by_id (c, "stun.3478/udp.families")->status, ==, RP_STATUS_PASS);
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
  g_ptr_array_set_size (c, 0);
  /* no route from this network to IPv6 (an IPv4-only client): the AAAA
   * address was not tested, so the server is not blamed for it */
  add_port (c, "443/tcp", "2001:db8::1", "no-route", TRUE);
  add_port (c, "443/tcp", "198.18.0.1", "open", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 0);
  g_ptr_array_set_size (c, 0);
  /* ...while a filtered AAAA port beside it still is */
  add_port (c, "443/tcp", "2001:db8::1", "filtered", TRUE);
  add_port (c, "443/tcp", "198.18.0.1", "open", TRUE);
  g_assert_cmpuint (rp_family_findings_add (c), ==, 1);
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

static RpCheckResult *
http_pass (void)
{
  RpCheckResult *r = rp_check_result_new ("http", "http", "https://api.lab.test/");

  rp_check_result_set (r, RP_STATUS_PASS, "200 OK in 253.8 ms (HTTP/1.1, TLSv1.3)");
  return r;
}

static void
test_http_v6_silent (void)
{
  g_autoptr (RpCheckResult) r = http_pass ();
  RpHttpFamilyView v6 = { "ipv6", "2001:db8::1", FALSE, 0, -1, NULL,
                          "no answer to the TCP handshake with 2001:db8::1 in 5.0 s" };
  RpHttpFamilyView v4 = { "ipv4", "198.18.0.1", TRUE, 200, 0.2, "aa:bb", NULL };

  rp_http_families_judge (r, "api.lab.test", 443, &v6, &v4, "ipv4", 250.7);
  g_assert_cmpint (r->status, ==, RP_STATUS_WARN);
  g_assert_cmpfloat_with_epsilon (rp_check_result_get_metric (r, "happy_eyeballs_lost_ms")->value,
                                  250.5, 1e-9);
  g_assert_cmpstr (detail (r, "families"), ==, "ipv6,ipv4");
  g_assert_cmpstr (detail (r, "broken_family"), ==, "ipv6");
  g_assert_cmpstr (detail (r, "happy_eyeballs_winner"), ==, "ipv4");
  g_assert_nonnull (strstr (r->summary, "200 OK in 253.8 ms"));
  g_assert_nonnull (strstr (r->summary, "clients lost 250.5 ms before IPv4 answered"));
  g_assert_nonnull (strstr (r->hint, "api.lab.test has an AAAA record but 443/tcp does not "
                                     "answer over IPv6 (2001:db8::1)"));
  g_assert_nonnull (strstr (r->hint, "remove the AAAA record"));
}

static void
test_http_v4_broken (void)
{
  g_autoptr (RpCheckResult) r = http_pass ();
  RpHttpFamilyView v6 = { "ipv6", "2001:db8::1", TRUE, 200, 0.3, NULL, NULL };
  RpHttpFamilyView v4 = { "ipv4", "198.18.0.1", FALSE, 0, -1, NULL, "Connection refused" };

  /* IPv6 is tried first and works: nothing lost, but IPv4-only clients fail */
  rp_http_families_judge (r, "api.lab.test", 443, &v6, &v4, "ipv6", 0.3);
  g_assert_cmpint (r->status, ==, RP_STATUS_WARN);
  g_assert_cmpfloat (rp_check_result_get_metric (r, "happy_eyeballs_lost_ms")->value, ==, 0);
  g_assert_nonnull (strstr (r->summary, "clients with IPv4 only cannot connect"));
  g_assert_nonnull (strstr (r->hint, "has an A record but 443/tcp"));
}

static void
test_http_certs_differ (void)
{
  g_autoptr (RpCheckResult) r = http_pass ();
  RpHttpFamilyView v6 = { "ipv6", "2001:db8::1", TRUE, 200, 0.3, "11:22", NULL };
  RpHttpFamilyView v4 = { "ipv4", "198.18.0.1", TRUE, 200, 0.2, "33:44", NULL };

  rp_http_families_judge (r, "api.lab.test", 443, &v6, &v4, "ipv6", 0.3);
  g_assert_cmpint (r->status, ==, RP_STATUS_WARN);
  g_assert_nonnull (strstr (r->summary, "certificate over IPv6 differs from the one over IPv4"));
  g_assert_nonnull (strstr (r->hint, "sha256 11:22"));
  g_assert_nonnull (strstr (r->hint, "sha256 33:44"));
}

static void
test_http_both_fine (void)
{
  g_autoptr (RpCheckResult) r = http_pass ();
  g_autoptr (RpCheckResult) failed = rp_check_result_new ("http", "http", "https://x/");
  RpHttpFamilyView v6 = { "ipv6", "2001:db8::1", TRUE, 200, 0.3, "11:22", NULL };
  RpHttpFamilyView v4 = { "ipv4", "198.18.0.1", TRUE, 200, 0.2, "11:22", NULL };
  RpHttpFamilyView off = { "ipv4", "198.18.0.1", FALSE, 0, -1, NULL, "refused" };

  rp_http_families_judge (r, "api.lab.test", 443, &v6, &v4, "ipv6", 0.3);
  g_assert_cmpint (r->status, ==, RP_STATUS_PASS);
  g_assert_cmpstr (r->summary, ==,
                   "200 OK in 253.8 ms (HTTP/1.1, TLSv1.3); IPv6 and IPv4 both answer 200 with "
                   "the same certificate");
  g_assert_null (r->hint);
  /* a URL that failed keeps its own story; the families are evidence */
  rp_check_result_set (failed, RP_STATUS_FAIL, "502 Bad Gateway");
  rp_http_families_judge (failed, "x", 443, &v6, &off, NULL, -1);
  g_assert_cmpint (failed->status, ==, RP_STATUS_FAIL);
  g_assert_cmpstr (failed->summary, ==, "502 Bad Gateway");
  g_assert_cmpstr (detail (failed, "ipv4_error"), ==, "refused");
  g_assert_null (rp_check_result_get_metric (failed, "happy_eyeballs_lost_ms"));
}

static void
test_verdict_leads_with_family (void)
{
  g_autoptr (GPtrArray) c = new_checks ();
  g_autoptr (RpCheckResult) verdict = NULL;
  RpCheckResult *h = http_pass ();

  add_port (c, "443/tcp", "2001:db8::1", "filtered", TRUE);
  add_port (c, "443/tcp", "198.18.0.1", "open", TRUE);
  g_ptr_array_add (c, h);
  rp_check_result_metric (h, "cert_days_left", 397);
  rp_check_result_set (h, RP_STATUS_WARN, "200 OK; certificate valid for 397 more days; but no "
                       "answer over IPv6");
  rp_check_result_detail_str (h, "broken_family", "ipv6");
  rp_family_findings_add (c);
  verdict = rp_deployment_verdict (c, "http", NULL);
  g_assert_true (g_str_has_prefix (verdict->summary, "api.lab.test has an AAAA record but "
                                                     "443/tcp is filtered over IPv6"));
  /* the per-address row and the http row that fell back are the same story */
  g_assert_null (strstr (verdict->summary, ";"));
  g_assert_nonnull (strstr (verdict->hint, "IPv6 rules"));
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
  g_test_add_func ("/family-findings/stun", test_stun_families);
  g_test_add_func ("/family-findings/two-per-family", test_two_addresses_per_family);
  g_test_add_func ("/http-families/v6-silent", test_http_v6_silent);
  g_test_add_func ("/http-families/v4-broken", test_http_v4_broken);
  g_test_add_func ("/http-families/certs-differ", test_http_certs_differ);
  g_test_add_func ("/http-families/both-fine", test_http_both_fine);
  g_test_add_func ("/family-findings/verdict", test_verdict_leads_with_family);
  return g_test_run ();
}
