/* The `dns` check: one A/AAAA resolution of a host, timed, with the addresses
 * as evidence. Other checks that need the addresses start from its callback,
 * so a name is resolved once per run. */
#include "probe/checks/checks-network.h"
#include "probe/core/explain.h"
#include "probe/core/resolve.h"

typedef struct {
  char *host;
  RpFamily family;
  RpResolvedFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
} DnsState;

static void
dns_state_free (gpointer data)
{
  DnsState *s = data;

  if (s->destroy != NULL)
    s->destroy (s->user_data);
  g_free (s->host);
  g_free (s);
}

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  DnsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  g_autoptr (GError) error = NULL;
  GList *addrs = rp_resolve_finish (res, &error);
  g_autoptr (GString) list = g_string_new (NULL);
  guint n4 = 0, n6 = 0;

  if (rp_check_is_finished (check)) {
    g_resolver_free_addresses (addrs);
    return;
  }
  rp_check_result_metric (r, "resolve_ms",
                          (g_get_monotonic_time () - rp_check_get_started_us (check)) / 1000.0);
  if (addrs == NULL) {
    rp_explain_resolve_failure (r, s->host, s->family, error);
    rp_check_finish (check);
    return;
  }
  for (GList *l = addrs; l != NULL; l = l->next) {
    g_autofree char *ip = g_inet_address_to_string (l->data);
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4)
      n4++;
    else
      n6++;
    g_string_append_printf (list, "%s%s", list->len ? "," : "", ip);
  }
  rp_check_result_detail_str (r, "addresses", list->str);
  rp_check_result_detail_int (r, "a_records", n4);
  rp_check_result_detail_int (r, "aaaa_records", n6);
  rp_check_result_set (r, RP_STATUS_PASS, "%s resolves to %s", s->host, list->str);
  rp_check_finish (check);
  s->func (rp_check_get_runner (check), addrs, s->user_data);
  g_resolver_free_addresses (addrs);
}

static void
dns_start (RpCheck *check)
{
  DnsState *s = rp_check_get_state (check);

  rp_resolve_async (s->host, s->family, rp_check_get_cancellable (check), on_resolved,
                    rp_check_ref (check));
}

static void
dns_expire (RpCheck *check)
{
  DnsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  rp_check_result_set (r, RP_STATUS_FAIL, "no DNS answer for %s before the deadline", s->host);
  rp_check_result_set_hint (r, "this network's DNS resolver is slow or unreachable: check the "
                               "machine's DNS settings, or probe by IP address");
}

static const RpCheckClass dns_class = { dns_start, dns_expire, dns_state_free };

void
rp_check_dns_add (RpRunner *runner, const RpProbeOptions *options, const char *host,
                  RpResolvedFunc func, gpointer user_data, GDestroyNotify destroy)
{
  g_autoptr (GInetAddress) literal = g_inet_address_new_from_string (host);
  DnsState *s;
  g_autofree char *id = NULL;

  if (literal != NULL) {
    GList one = { literal, NULL, NULL };
    func (runner, &one, user_data);
    if (destroy != NULL)
      destroy (user_data);
    return;
  }
  s = g_new0 (DnsState, 1);
  s->host = g_strdup (host);
  s->family = options->family;
  s->func = func;
  s->user_data = user_data;
  s->destroy = destroy;
  id = g_strdup_printf ("dns.%s", host);
  rp_runner_add (runner, rp_check_result_new (id, "dns", host),
                 MIN (RP_DNS_TIMEOUT_US, options->timeout_us), &dns_class, s);
}
