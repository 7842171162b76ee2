/* The family post-pass (family-hints.h). Every sentence rests on a measured
 * fact: the vantage's routes and the ipv4only.arpa answers (RFC 7050), a
 * check's own failure, and the address a check reached, recognised as
 * IPv4-embedded under the learnt NAT64 prefix (RFC 6052). */
#include "probe/checks/family-hints.h"

#include <string.h>

#include <gio/gio.h>

#include "common/nat64-address.h"
#include "probe/core/target.h"

static const char *
detail_str (const RpCheckResult *r, const char *key)
{
  const RpDetail *d = rp_check_result_get_detail (r, key);
  return d != NULL && d->type == RP_DETAIL_STRING ? d->str : NULL;
}

static gboolean
detail_true (const RpCheckResult *r, const char *key)
{
  const RpDetail *d = rp_check_result_get_detail (r, key);
  return d != NULL && d->type == RP_DETAIL_BOOL && d->num != 0;
}

/* "1.2.3.4:5" -> "1.2.3.4", "[::1]:5" -> "::1", a bare literal as it is. */
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
    return g_strdup (hostport);
  return g_strndup (hostport, colon - hostport);
}

/* The host a result's target names: a URI's, or host:port's. */
static char *
target_host (const char *target, RpScheme *scheme, gboolean *is_uri)
{
  g_autoptr (RpTarget) t = target != NULL ? rp_target_parse (target, NULL) : NULL;

  *is_uri = t != NULL;
  if (t != NULL) {
    *scheme = t->scheme;
    return g_strdup (t->host);
  }
  return address_part (target);
}

static const char *
what_words (gboolean is_uri, RpScheme scheme)
{
  if (!is_uri)
    return "the target";
  switch (scheme) {
  case RP_SCHEME_TURN:
  case RP_SCHEME_TURNS:
    return "your TURN URI";
  case RP_SCHEME_STUN:
  case RP_SCHEME_STUNS:
    return "your STUN URI";
  case RP_SCHEME_WS:
  case RP_SCHEME_WSS:
    return "the websocket URL";
  default:
    return "the URL";
  }
}

static gboolean
ipv4_literal (const char *host, guint8 v4[4])
{
  g_autoptr (GInetAddress) a = host != NULL ? g_inet_address_new_from_string (host) : NULL;

  if (a == NULL || g_inet_address_get_family (a) != G_SOCKET_FAMILY_IPV4)
    return FALSE;
  memcpy (v4, g_inet_address_to_bytes (a), 4);
  return TRUE;
}

/* Why an IPv4 literal failed from this IPv6-only network, and the fix. */
static char *
literal_reason (const RpCheckResult *vantage, const RpNat64Prefix *prefix, const char *what,
                const char *host, const guint8 v4[4])
{
  if (prefix != NULL) {
    g_autofree char *p = rp_nat64_prefix_to_string (prefix);
    g_autoptr (GInetAddress) synth = NULL;
    g_autofree char *s = NULL;
    guint8 b[16];

    rp_nat64_synthesize (prefix, v4, b);
    synth = g_inet_address_new_from_bytes (b, G_SOCKET_FAMILY_IPV6);
    s = g_inet_address_to_string (synth);
    return g_strdup_printf (
      "This network is IPv6-only behind NAT64 (prefix %s): clients reach IPv4-only servers only "
      "by name, through DNS64; %s uses the IPv4 literal %s, which clients without CLAT "
      "(464XLAT) cannot reach: use a host name (an A record is enough: DNS64 answers %s for it)",
      p, what, host, s);
  }
  if (vantage != NULL && detail_str (vantage, "dns64_answers") != NULL
      && !detail_true (vantage, "dns64")
      && g_str_has_prefix (detail_str (vantage, "dns64_answers"), "no AAAA"))
    return g_strdup_printf (
      "This network is IPv6-only without NAT64 (ipv4only.arpa has no AAAA record, so no DNS64): "
      "no IPv4 server can be reached from it; %s uses the IPv4 literal %s: give the server an "
      "IPv6 address and use a host name with an AAAA record",
      what, host);
  return g_strdup_printf (
    "This network is IPv6-only (no IPv4 route) and whether it has NAT64 is unknown (%s); %s uses "
    "the IPv4 literal %s, which clients here cannot reach without CLAT (464XLAT): use a host name "
    "with an AAAA record, or an A record behind DNS64",
    vantage != NULL && detail_str (vantage, "dns64_answers") != NULL
      ? detail_str (vantage, "dns64_answers")
      : "ipv4only.arpa was not looked up",
    what, host);
}

/* The IPv4 address a passing check reached through the NAT64 prefix. */
static gboolean
reached_through (const RpCheckResult *r, const RpNat64Prefix *prefix, char **ip6, char **ip4)
{
  static const char *const keys[] = { "server_address", "address", "remote_address" };

  for (guint k = 0; k < G_N_ELEMENTS (keys); k++) {
    g_autofree char *ip = address_part (detail_str (r, keys[k]));
    g_autoptr (GInetAddress) a = ip != NULL ? g_inet_address_new_from_string (ip) : NULL;
    guint8 v4[4];

    if (a != NULL && g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV6
        && rp_nat64_extract (prefix, g_inet_address_to_bytes (a), v4)) {
      *ip6 = g_steal_pointer (&ip);
      *ip4 = g_strdup_printf ("%u.%u.%u.%u", v4[0], v4[1], v4[2], v4[3]);
      return TRUE;
    }
  }
  return FALSE;
}

void
rp_family_hints_apply (RpReport *report)
{
  RpCheckResult *vantage = report->vantage;
  RpCheckResult *verdict = NULL;
  const char *prefixes;
  g_auto (GStrv) first = NULL;
  RpNat64Prefix prefix;
  gboolean have_prefix = FALSE, ipv6_only;
  g_autofree char *reached = NULL;

  if (vantage == NULL || report->checks == NULL)
    return;
  ipv6_only = g_strcmp0 (detail_str (vantage, "network"), "ipv6-only") == 0
              && !detail_true (vantage, "clat");
  prefixes = detail_str (vantage, "nat64_prefix");
  if (detail_true (vantage, "nat64") && prefixes != NULL) {
    first = g_strsplit (prefixes, ", ", 2);
    have_prefix = first[0] != NULL && rp_nat64_prefix_parse (first[0], &prefix, NULL);
  }
  if (report->checks->len > 0
      && g_strcmp0(((RpCheckResult *) g_ptr_array_index (report->checks, 0))->kind, "verdict")
           == 0)
    verdict = g_ptr_array_index (report->checks, 0);

  for (guint i = 0; i < report->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (report->checks, i);
    g_autofree char *ip6 = NULL, *ip4 = NULL;

    if (r == verdict)
      continue;
    if (have_prefix && (r->status == RP_STATUS_PASS || r->status == RP_STATUS_WARN)
        && reached_through (r, &prefix, &ip6, &ip4)) {
      rp_check_result_detail_str (r, "nat64_ipv4", ip4);
      if (reached == NULL)
        reached = g_strdup_printf ("%s reached %s through NAT64 as %s", r->id, ip4, ip6);
    }
    if (ipv6_only && r->status == RP_STATUS_FAIL) {
      RpScheme scheme = RP_SCHEME_HTTP;
      gboolean is_uri = FALSE;
      g_autofree char *host = target_host (r->target, &scheme, &is_uri);
      g_autofree char *reason = NULL, *old = NULL;
      guint8 v4[4];

      if (!ipv4_literal (host, v4))
        continue;
      reason = literal_reason (vantage, have_prefix ? &prefix : NULL, what_words (is_uri, scheme),
                               host, v4);
      old = g_strdup (r->hint);
      /* A check that found no IPv4 route (explain.c) says it in its summary;
       * its hint said the same in fewer facts: the reason replaces it. */
      if (old != NULL && *old != '\0' && detail_str (r, "no_route_family") == NULL)
        rp_check_result_set_hint (r, "%s. %s", reason, old);
      else
        rp_check_result_set_hint (r, "%s", reason);
      rp_check_result_detail_bool (r, "ipv4_literal_on_ipv6_only", TRUE);
      if (verdict != NULL && (verdict->hint == NULL || g_strcmp0 (verdict->hint, old) == 0))
        rp_check_result_set_hint (verdict, "%s", r->hint);
    }
  }
  if (reached != NULL) {
    rp_check_result_detail_str (vantage, "nat64_reached", reached);
    if (verdict != NULL && first != NULL) {
      g_autofree char *summary = g_strdup (verdict->summary != NULL ? verdict->summary : "");
      rp_check_result_set (verdict, verdict->status, "%s (the deployment was reached through "
                           "NAT64, prefix %s%s)", summary, first[0],
                           ipv6_only ? ", from this IPv6-only network" : "");
    }
  }
}
