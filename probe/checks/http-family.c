/* The families of one dual-stack URL (checks-web.h): check-http.c fetches
 * the URL once with happy eyeballs, as browsers and curl do (RFC 8305: the
 * first family of the resolver's order, the other after a 250 ms Connection
 * Attempt Delay), and once pinned to each family. This file turns the three
 * into evidence and a verdict: which family won, the time lost when the
 * first family failed, and the classic faults (an AAAA record whose port
 * does not answer, certificates or statuses that differ between families).
 * Pure: no network, so the wording is unit-tested. */
#include <string.h>

#include "probe/checks/checks-web.h"

static const char *
family_words (const char *family)
{
  return g_strcmp0 (family, "ipv6") == 0 ? "IPv6" : "IPv4";
}

static void
side_details (RpCheckResult *r, const RpHttpFamilyView *v)
{
  g_autofree char *address = g_strdup_printf ("%s_address", v->family);
  g_autofree char *status = g_strdup_printf ("%s_status", v->family);
  g_autofree char *error = g_strdup_printf ("%s_error", v->family);
  g_autofree char *connect = g_strdup_printf ("%s_connect_ms", v->family);
  g_autofree char *cert = g_strdup_printf ("%s_cert_sha256", v->family);

  rp_check_result_detail_str (r, address, v->address);
  if (v->answered)
    rp_check_result_detail_int (r, status, v->status);
  else
    rp_check_result_detail_str (r, error, v->error != NULL ? v->error : "no answer");
  if (v->connect_ms >= 0)
    rp_check_result_metric (r, connect, v->connect_ms);
  if (v->leaf_sha256 != NULL)
    rp_check_result_detail_str (r, cert, v->leaf_sha256);
}

/* The time the happy-eyeballs connection spent before its own handshake:
 * its connect phase minus the same family's handshake measured alone. */
static double
time_lost (const RpHttpFamilyView *won, double main_connect_ms)
{
  double own = won != NULL && won->connect_ms >= 0 ? won->connect_ms : 0;

  return MAX (main_connect_ms - own, 0);
}

static void
one_family_fails (RpCheckResult *r, const char *host, guint16 port, const RpHttpFamilyView *bad,
                  const RpHttpFamilyView *good, gboolean bad_first, double lost_ms,
                  const char *summary)
{
  gboolean v6 = g_strcmp0 (bad->family, "ipv6") == 0;
  const char *fam = family_words (bad->family), *other = family_words (good->family);
  g_autofree char *cost = NULL;

  if (bad_first && lost_ms > 0)
    cost = g_strdup_printf ("clients lost %.1f ms before %s answered", lost_ms, other);
  else if (bad_first)
    cost = g_strdup_printf ("clients try %s first and fall back to %s", fam, other);
  else
    cost = g_strdup_printf ("clients with %s only cannot connect", fam);
  rp_check_result_detail_str (r, "broken_family", bad->family);
  rp_check_result_set (r, RP_STATUS_WARN, "%s; but no answer over %s (%s): %s", summary, fam,
                       bad->error != NULL ? bad->error : "no answer", cost);
  rp_check_result_set_hint (
    r,
    "%s has %s record but %u/tcp does not answer over %s (%s): %s, and clients without a "
    "fallback fail (browsers and curl try %s first and lose the happy-eyeballs delay, "
    "250-300 ms, on every new connection). Open %u/tcp in the security list's %s rules and "
    "the host firewall, check the server listens on %s (nginx: `listen %s%u ssl;`), or remove "
    "the %s record",
    host, v6 ? "an AAAA" : "an A", port, fam, bad->address, cost, v6 ? "IPv6" : "the first family",
    port, fam, fam, v6 ? "[::]:" : "", port, v6 ? "AAAA" : "A");
}

static void family_verdict (RpCheckResult *r, const char *host, guint16 port,
                            const RpHttpFamilyView *first, const RpHttpFamilyView *second,
                            const RpHttpFamilyView *won, double lost, const char *summary);

void
rp_http_families_judge (RpCheckResult *r, const char *host, guint16 port,
                        const RpHttpFamilyView *first, const RpHttpFamilyView *second,
                        const char *winner, double main_connect_ms)
{
  g_autofree char *families = g_strdup_printf ("%s,%s", first->family, second->family);
  g_autofree char *summary = g_strdup (r->summary != NULL ? r->summary : "");
  g_autofree char *prior_hint = g_strdup (r->hint);
  const RpHttpFamilyView *won = NULL;
  double lost = -1;

  rp_check_result_detail_str (r, "families", families);
  side_details (r, first);
  side_details (r, second);
  if (winner != NULL) {
    won = g_strcmp0 (winner, first->family) == 0 ? first : second;
    rp_check_result_detail_str (r, "happy_eyeballs_winner", winner);
    if (main_connect_ms >= 0) {
      lost = won == first ? 0 : time_lost (won, main_connect_ms);
      rp_check_result_metric (r, "happy_eyeballs_lost_ms", lost);
    }
  }
  if (r->status == RP_STATUS_FAIL || r->status == RP_STATUS_SKIP)
    return;   /* the URL's own failure is the story; the families are evidence */
  family_verdict (r, host, port, first, second, won, lost, summary);
  /* A warning the URL already had (an expiring certificate) stays in the
   * hint beside the family's. */
  if (prior_hint != NULL && r->hint != NULL && g_strcmp0 (prior_hint, r->hint) != 0) {
    g_autofree char *both = g_strdup_printf ("%s. Also: %s", r->hint, prior_hint);
    rp_check_result_set_hint (r, "%s", both);
  }
}

static void
family_verdict (RpCheckResult *r, const char *host, guint16 port, const RpHttpFamilyView *first,
                const RpHttpFamilyView *second, const RpHttpFamilyView *won, double lost,
                const char *summary)
{
  RpStatus before = r->status;

  if (first->answered != second->answered) {
    const RpHttpFamilyView *bad = first->answered ? second : first;
    one_family_fails (r, host, port, bad, first->answered ? first : second, bad == first,
                      MAX (lost, 0), summary);
    return;
  }
  if (!first->answered)
    return;
  if (first->leaf_sha256 != NULL && second->leaf_sha256 != NULL &&
      g_strcmp0 (first->leaf_sha256, second->leaf_sha256) != 0) {
    rp_check_result_set (r, RP_STATUS_WARN,
                         "%s; but the TLS certificate over %s differs from the one over %s",
                         summary, family_words (first->family), family_words (second->family));
    rp_check_result_set_hint (
      r,
      "%s (%s) serves the certificate sha256 %s and %s (%s) serves sha256 %s: the two "
      "addresses reach different servers or server blocks (an nginx `listen [::]:%u` in "
      "another server{} block, a load balancer per family, an old host still holding one "
      "address). Serve the same certificate on both, or point the A/AAAA record at the right "
      "host",
      family_words (first->family), first->address, first->leaf_sha256,
      family_words (second->family), second->address, second->leaf_sha256, port);
    return;
  }
  if (first->status != second->status) {
    rp_check_result_set (r, RP_STATUS_WARN, "%s; but %s answers %ld and %s answers %ld", summary,
                         family_words (first->family), first->status,
                         family_words (second->family), second->status);
    rp_check_result_set_hint (
      r,
      "the %s (%s) and %s (%s) addresses give different answers: they reach different "
      "servers or configurations; make both serve the deployment, or fix the A/AAAA record",
      family_words (first->family), first->address, family_words (second->family),
      second->address);
    return;
  }
  rp_check_result_set (r, before, "%s; %s and %s both answer %ld%s%s", summary,
                       family_words (first->family), family_words (second->family),
                       first->status,
                       first->leaf_sha256 != NULL ? " with the same certificate" : "",
                       won == second ? " (the first family lost the race)" : "");
}
