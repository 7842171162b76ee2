/* The vantage's network (vantage-network.h). Routes come from the kernel's
 * tables in /proc (per network namespace), addresses from getifaddrs(); the
 * only packet is the system resolver's AAAA query for ipv4only.arpa (RFC
 * 7050 3), made only where IPv6 is routed, through GResolver (getaddrinfo
 * with AF_INET6 and no AI_V4MAPPED, so an answer is a real AAAA record or
 * one DNS64 synthesized). */
#include "probe/core/vantage-network.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define WKA_NAME "ipv4only.arpa"
/* Fully qualified: a resolver with a search list asks nothing else. */
#define WKA_QUERY WKA_NAME "."

void
rp_network_facts_clear (RpNetworkFacts *facts)
{
  g_clear_pointer (&facts->ipv4_interface, g_free);
  g_clear_pointer (&facts->ipv4_address, g_free);
  g_clear_pointer (&facts->ipv6_interface, g_free);
  g_clear_pointer (&facts->ipv6_address, g_free);
  g_clear_pointer (&facts->dns64_answers, g_free);
  memset (facts, 0, sizeof *facts);
}

char *
rp_vantage_default_route_v4 (const char *table)
{
  g_auto (GStrv) lines = g_strsplit (table != NULL ? table : "", "\n", -1);

  /* Iface Destination Gateway Flags RefCnt Use Metric Mask ...; RTF_UP is 1. The
   * header line matches nothing below. */
  for (guint i = 0; lines[i] != NULL; i++) {
    g_auto (GStrv) f = g_strsplit_set (lines[i], " \t", -1);
    g_autoptr (GPtrArray) cols = g_ptr_array_new ();
    guint64 flags;

    for (guint k = 0; f[k] != NULL; k++)
      if (*f[k] != '\0')
        g_ptr_array_add (cols, f[k]);
    if (cols->len < 8)
      continue;
    flags = g_ascii_strtoull (g_ptr_array_index (cols, 3), NULL, 16);
    if (g_str_equal (g_ptr_array_index (cols, 1), "00000000")
        && g_str_equal (g_ptr_array_index (cols, 7), "00000000") && (flags & 1)
        && !g_str_equal (g_ptr_array_index (cols, 0), "lo"))
      return g_strdup (g_ptr_array_index (cols, 0));
  }
  return NULL;
}

char *
rp_vantage_default_route_v6 (const char *table)
{
  g_auto (GStrv) lines = g_strsplit (table != NULL ? table : "", "\n", -1);

  /* dest len src len next-hop metric refcnt use flags iface; RTF_UP is 1,
   * RTF_REJECT (0x200) marks the unreachable default. */
  for (guint i = 0; lines[i] != NULL; i++) {
    g_auto (GStrv) f = g_strsplit_set (lines[i], " \t", -1);
    g_autoptr (GPtrArray) cols = g_ptr_array_new ();
    guint64 flags;

    for (guint k = 0; f[k] != NULL; k++)
      if (*f[k] != '\0')
        g_ptr_array_add (cols, f[k]);
    if (cols->len < 10)
      continue;
    flags = g_ascii_strtoull (g_ptr_array_index (cols, 8), NULL, 16);
    if (g_str_equal (g_ptr_array_index (cols, 0), "00000000000000000000000000000000")
        && g_str_equal (g_ptr_array_index (cols, 1), "00") && (flags & 1) && !(flags & 0x200)
        && !g_str_equal (g_ptr_array_index (cols, 9), "lo"))
      return g_strdup (g_ptr_array_index (cols, 9));
  }
  return NULL;
}

/* RFC 7335: the IPv4 service continuity prefix a CLAT takes its address from. */
static gboolean
is_clat_v4 (const guint8 *a)
{
  return a[0] == 192 && a[1] == 0 && a[2] == 0 && a[3] < 8;
}

static gboolean
is_clat_name (const char *ifname)
{
  /* clatd's default, and Android's v4-<uplink>. */
  return ifname != NULL && (g_str_has_prefix (ifname, "clat") || g_str_has_prefix (ifname, "v4-"));
}

/* A usable address on ifname: IPv4 not loopback; IPv6 global or unique local. */
static void
read_addresses (RpNetworkFacts *f)
{
  struct ifaddrs *list = NULL;

  if (getifaddrs (&list) != 0)
    return;
  for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
    char text[INET6_ADDRSTRLEN] = "";

    if (i->ifa_addr == NULL || i->ifa_name == NULL)
      continue;
    if (i->ifa_addr->sa_family == AF_INET && f->ipv4_address == NULL
        && g_strcmp0 (i->ifa_name, f->ipv4_interface) == 0) {
      const guint8 *a = (const guint8 *) &((struct sockaddr_in *) i->ifa_addr)->sin_addr;
      if (a[0] == 127)
        continue;
      g_snprintf (text, sizeof text, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
      f->ipv4_address = g_strdup (text);
      f->ipv4_clat = is_clat_v4 (a) || is_clat_name (i->ifa_name);
    } else if (i->ifa_addr->sa_family == AF_INET6 && f->ipv6_address == NULL
               && g_strcmp0 (i->ifa_name, f->ipv6_interface) == 0) {
      const struct in6_addr *a6 = &((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr;
      g_autoptr (GInetAddress) a = g_inet_address_new_from_bytes (a6->s6_addr,
                                                                  G_SOCKET_FAMILY_IPV6);
      if (g_inet_address_get_is_loopback (a) || g_inet_address_get_is_link_local (a)
          || g_inet_address_get_is_multicast (a) || g_inet_address_get_is_any (a))
        continue;
      f->ipv6_address = g_inet_address_to_string (a);
    }
  }
  freeifaddrs (list);
}

gboolean
rp_network_facts_ipv6_only (const RpNetworkFacts *f)
{
  return f->ipv6_interface != NULL && f->ipv6_address != NULL
         && (f->ipv4_interface == NULL || f->ipv4_address == NULL || f->ipv4_clat);
}

static char *
route_words (const char *ifname, const char *address, const char *family)
{
  if (ifname == NULL)
    return g_strdup_printf ("none: no %s default route", family);
  if (address == NULL)
    return g_strdup_printf ("default route on %s, but no %s address there", ifname,
                            g_str_equal (family, "IPv6") ? "global IPv6" : "IPv4");
  return g_strdup_printf ("%s on %s (default route)", address, ifname);
}

void
rp_network_facts_describe (const RpNetworkFacts *f, RpCheckResult *vantage)
{
  gboolean v4 = f->ipv4_interface != NULL && f->ipv4_address != NULL && !f->ipv4_clat;
  gboolean v6 = f->ipv6_interface != NULL && f->ipv6_address != NULL;
  gboolean nat64 = f->dns64 == RP_DNS64_PRESENT && f->n_prefixes > 0;
  gboolean clat = nat64 && f->ipv4_clat && f->ipv4_address != NULL;
  g_autofree char *r4 = route_words (f->ipv4_interface, f->ipv4_address, "IPv4");
  g_autofree char *r6 = route_words (f->ipv6_interface, f->ipv6_address, "IPv6");

  rp_check_result_detail_str (vantage, "network",
                              v4 && v6 ? "dual-stack"
                              : v4     ? "ipv4-only"
                              : v6     ? "ipv6-only"
                                       : "none");
  if (f->ipv4_clat && f->ipv4_address != NULL) {
    g_autofree char *c = g_strdup_printf ("%s, a CLAT's (464XLAT: IPv4 translated to IPv6)", r4);
    rp_check_result_detail_str (vantage, "ipv4_route", c);
  } else {
    rp_check_result_detail_str (vantage, "ipv4_route", r4);
  }
  rp_check_result_detail_str (vantage, "ipv6_route", r6);
  rp_check_result_detail_bool (vantage, "dns64", f->dns64 == RP_DNS64_PRESENT);
  if (f->dns64_answers != NULL)
    rp_check_result_detail_str (vantage, "dns64_answers", f->dns64_answers);
  rp_check_result_detail_bool (vantage, "nat64", nat64);
  if (nat64) {
    g_autoptr (GString) s = g_string_new (NULL);
    for (guint i = 0; i < f->n_prefixes; i++) {
      g_autofree char *p = rp_nat64_prefix_to_string (&f->prefixes[i]);
      g_string_append_printf (s, "%s%s", i ? ", " : "", p);
    }
    rp_check_result_detail_str (vantage, "nat64_prefix", s->str);
  }
  rp_check_result_detail_bool (vantage, "clat", clat);
}

struct _RpVantageNetwork {
  RpNetworkFacts facts;
  GCancellable *cancellable;
  gboolean pending;
  GMainLoop *waiting;       /* set while finish waits for the answer */
};

static void
network_clear (RpVantageNetwork *net)
{
  rp_network_facts_clear (&net->facts);
  g_clear_object (&net->cancellable);
}

static void
on_lookup (GObject *source, GAsyncResult *res, gpointer data)
{
  RpVantageNetwork *net = data;
  g_autoptr (GError) error = NULL;
  GList *addrs = g_resolver_lookup_by_name_with_flags_finish (G_RESOLVER (source), res, &error);

  if (net->pending) {
    RpNetworkFacts *f = &net->facts;
    net->pending = FALSE;
    if (addrs == NULL && g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND)) {
      f->dns64 = RP_DNS64_ABSENT;
      f->dns64_answers = g_strdup ("no AAAA record for " WKA_NAME " (no DNS64)");
    } else if (addrs == NULL) {
      f->dns64 = RP_DNS64_NO_ANSWER;
      f->dns64_answers = g_strdup_printf ("no answer for " WKA_NAME ": %s",
                                          error != NULL ? error->message : "unknown error");
    } else {
      g_autoptr (GByteArray) bytes = g_byte_array_new ();
      g_autoptr (GString) s = g_string_new (NULL);
      guint n = 0;

      for (GList *l = addrs; l != NULL && n < 64; l = l->next, n++) {
        g_autofree char *t = g_inet_address_to_string (l->data);
        g_byte_array_append (bytes, g_inet_address_to_bytes (l->data), 16);
        g_string_append_printf (s, "%s%s", s->len ? ", " : "", t);
      }
      f->dns64 = RP_DNS64_PRESENT;
      f->dns64_answers = g_string_free (g_steal_pointer (&s), FALSE);
      f->n_prefixes = rp_nat64_discover (bytes->data, n, f->prefixes, RP_NAT64_MAX_PREFIXES);
    }
    if (net->waiting != NULL)
      g_main_loop_quit (net->waiting);
  }
  g_resolver_free_addresses (addrs);
  g_rc_box_release_full (net, (GDestroyNotify) network_clear);
}

RpVantageNetwork *
rp_vantage_network_start (void)
{
  RpVantageNetwork *net = g_rc_box_new0 (RpVantageNetwork);
  RpNetworkFacts *f = &net->facts;
  g_autofree char *v4 = NULL, *v6 = NULL;

  if (g_file_get_contents ("/proc/net/route", &v4, NULL, NULL))
    f->ipv4_interface = rp_vantage_default_route_v4 (v4);
  if (g_file_get_contents ("/proc/net/ipv6_route", &v6, NULL, NULL))
    f->ipv6_interface = rp_vantage_default_route_v6 (v6);
  read_addresses (f);
  net->cancellable = g_cancellable_new ();
  if (g_strcmp0 (g_getenv ("RTCPROBE_VANTAGE_DNS64"), "off") == 0) {
    f->dns64 = RP_DNS64_NOT_ASKED;
    f->dns64_answers = g_strdup ("not asked: RTCPROBE_VANTAGE_DNS64=off");
  } else if (f->ipv6_interface == NULL || f->ipv6_address == NULL) {
    f->dns64 = RP_DNS64_NOT_ASKED;
    f->dns64_answers = g_strdup ("not asked: no IPv6 route, so no NAT64 to reach");
  } else {
    g_autoptr (GResolver) resolver = g_resolver_get_default ();
    net->pending = TRUE;
    g_resolver_lookup_by_name_with_flags_async (
      resolver, WKA_QUERY, G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY, net->cancellable, on_lookup,
      g_rc_box_acquire (net));
  }
  return net;
}

static gboolean
on_wait_over (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
rp_vantage_network_finish (RpVantageNetwork *net, RpCheckResult *vantage, gint64 wait_us)
{
  if (net->pending && wait_us > 0) {
    GMainContext *ctx = g_main_context_ref_thread_default ();
    GSource *timer = g_timeout_source_new ((guint) MAX (1, wait_us / 1000));
    g_autoptr (GMainLoop) loop = g_main_loop_new (ctx, FALSE);

    g_source_set_callback (timer, on_wait_over, loop, NULL);
    g_source_attach (timer, ctx);
    net->waiting = loop;
    g_main_loop_run (loop);
    net->waiting = NULL;
    g_source_destroy (timer);
    g_source_unref (timer);
    g_main_context_unref (ctx);
  }
  if (net->pending) {
    net->pending = FALSE;
    net->facts.dns64 = RP_DNS64_NO_ANSWER;
    net->facts.dns64_answers = g_strdup_printf (
      "no answer for " WKA_NAME " from the system resolver within %.1f s", wait_us / 1e6);
  }
  rp_network_facts_describe (&net->facts, vantage);
}

void
rp_vantage_network_free (RpVantageNetwork *net)
{
  if (net == NULL)
    return;
  g_cancellable_cancel (net->cancellable);
  g_rc_box_release_full (net, (GDestroyNotify) network_clear);
}
