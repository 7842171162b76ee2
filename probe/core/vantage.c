/* The vantage point (vantage.h). The basic part is what the program knows
 * of itself; the rest is read back from results the run already has, so
 * describing the vantage never adds traffic. The interface comes from
 * getifaddrs(), IPv6 routing from /proc/net/ipv6_route: both local. */
#include "probe/core/vantage.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "rp-config.h"

void
rp_vantage_fill (RpCheckResult *vantage, const RpReport *report, const char *label, RpFamily family)
{
  g_autofree char *time = NULL;

  if (label != NULL && *label != '\0')
    rp_check_result_detail_str (vantage, "label", label);
  if (report->started_at != NULL) {
    time = g_date_time_format (report->started_at, "%Y-%m-%dT%H:%M:%SZ");
    rp_check_result_detail_str (vantage, "time", time);
  }
  rp_check_result_detail_str (vantage, "version",
                              report->tool_version != NULL ? report->tool_version : RP_VERSION);
  rp_check_result_detail_str (vantage, "family",
                              family == RP_FAMILY_V4   ? "ipv4"
                              : family == RP_FAMILY_V6 ? "ipv6"
                                                       : "any");
}

/* "1.2.3.4:5" -> "1.2.3.4", "[::1]:5" -> "::1"; NULL when it is neither. */
static char *
address_part (const char *hostport)
{
  const char *colon;

  if (hostport == NULL)
    return NULL;
  if (hostport[0] == '[') {
    const char *end = strchr (hostport, ']');
    return end != NULL ? g_strndup (hostport + 1, end - hostport - 1) : NULL;
  }
  colon = strrchr (hostport, ':');
  if (colon == NULL || strchr (hostport, ':') != colon)
    return g_hostname_is_ip_address (hostport) ? g_strdup (hostport) : NULL;
  return g_strndup (hostport, colon - hostport);
}

char *
rp_vantage_interface_of (const char *ip)
{
  struct ifaddrs *list = NULL;
  g_autoptr (GInetAddress) want = g_inet_address_new_from_string (ip);
  char *name = NULL;

  if (want == NULL || getifaddrs (&list) != 0)
    return NULL;
  for (struct ifaddrs *i = list; i != NULL && name == NULL; i = i->ifa_next) {
    g_autoptr (GSocketAddress) sa = NULL;
    gsize len;

    if (i->ifa_addr == NULL ||
        (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
      continue;
    len = i->ifa_addr->sa_family == AF_INET ? sizeof (struct sockaddr_in)
                                            : sizeof (struct sockaddr_in6);
    sa = g_socket_address_new_from_native (i->ifa_addr, len);
    if (sa != NULL && G_IS_INET_SOCKET_ADDRESS (sa) &&
        g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)), want))
      name = g_strdup (i->ifa_name);
  }
  freeifaddrs (list);
  return name;
}

/* A default route (::/0) in the kernel's IPv6 table. */
static gboolean
has_ipv6_default_route (void)
{
  g_autofree char *table = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/net/ipv6_route", &table, NULL, NULL))
    return FALSE;
  lines = g_strsplit (table, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    /* destination, prefix length; skip the unreachable default on lo. */
    if (g_str_has_prefix (lines[i], "00000000000000000000000000000000 00 ") &&
        strstr (lines[i], " lo") == NULL)
      return TRUE;
  return FALSE;
}

static const char *
detail_str (const RpCheckResult *r, const char *key)
{
  const RpDetail *d = rp_check_result_get_detail (r, key);
  return d != NULL && d->type == RP_DETAIL_STRING ? d->str : NULL;
}

/* Did a check that passed talk to an IPv6 address? */
static gboolean
reached_ipv6 (GPtrArray *checks)
{
  static const char *const keys[] = { "server_address", "address", "remote_address",
                                      "local_address" };

  for (guint i = 0; i < checks->len; i++) {
    const RpCheckResult *r = g_ptr_array_index (checks, i);
    if (r->status != RP_STATUS_PASS)
      continue;
    for (guint k = 0; k < G_N_ELEMENTS (keys); k++) {
      g_autofree char *ip = address_part (detail_str (r, keys[k]));
      g_autoptr (GInetAddress) a = ip != NULL ? g_inet_address_new_from_string (ip) : NULL;
      if (a != NULL && g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV6 &&
          !g_inet_address_get_is_loopback (a))
        return TRUE;
    }
  }
  return FALSE;
}

void
rp_vantage_fill_from_checks (RpCheckResult *vantage, GPtrArray *checks)
{
  const RpCheckResult *stun = NULL, *nat = NULL, *turn = NULL;

  for (guint i = 0; i < checks->len; i++) {
    const RpCheckResult *r = g_ptr_array_index (checks, i);
    if (stun == NULL && g_strcmp0 (r->kind, "stun") == 0 &&
        detail_str (r, "mapped_address") != NULL)
      stun = r;
    if (turn == NULL && g_strcmp0 (r->kind, "turn") == 0 &&
        detail_str (r, "mapped_address") != NULL)
      turn = r;
    if (nat == NULL && g_strcmp0 (r->kind, "nat") == 0)
      nat = r;
  }
  /* Without a STUN answer over UDP, TURN over TCP saw the address too. */
  if (stun == NULL)
    stun = turn;
  if (stun != NULL) {
    const char *mapped = detail_str (stun, "mapped_address");
    const char *local = detail_str (stun, "local_address");
    g_autofree char *pub = address_part (mapped);
    g_autofree char *lip = address_part (local);
    g_autofree char *ifname = lip != NULL ? rp_vantage_interface_of (lip) : NULL;

    rp_check_result_detail_str (vantage, "public_address", pub != NULL ? pub : mapped);
    rp_check_result_detail_str (vantage, "mapped_address", mapped);
    if (local != NULL)
      rp_check_result_detail_str (vantage, "local_address", lip != NULL ? lip : local);
    if (ifname != NULL)
      rp_check_result_detail_str (vantage, "interface", ifname);
    rp_check_result_detail_bool (vantage, "behind_nat", g_strcmp0 (pub, lip) != 0);
  } else {
    rp_check_result_detail_str (vantage, "public_address", "unknown: no STUN answer");
  }
  if (nat != NULL && detail_str (nat, "mapping") != NULL) {
    rp_check_result_detail_str (vantage, "nat_mapping", detail_str (nat, "mapping"));
    if (detail_str (nat, "filtering") != NULL)
      rp_check_result_detail_str (vantage, "nat_filtering", detail_str (nat, "filtering"));
  } else {
    g_autofree char *why = g_strdup_printf (
      "untested: %s", nat != NULL && nat->summary != NULL ? nat->summary : "no STUN answer");
    rp_check_result_detail_str (vantage, "nat_mapping", why);
  }
  if (reached_ipv6 (checks))
    rp_check_result_detail_str (vantage, "ipv6", "works: a check reached the deployment over IPv6");
  else if (!has_ipv6_default_route ())
    rp_check_result_detail_str (vantage, "ipv6", "no IPv6 route on this machine");
  else
    rp_check_result_detail_str (
      vantage, "ipv6", "routed, but no check used it (the deployment has no IPv6 address)");
}
