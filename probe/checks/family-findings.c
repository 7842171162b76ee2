/* The family comparison after a run: where a name publishes A and AAAA
 * records, the `port` checks ran once per address (check-ports.c, details
 * `family`, `state`, `host`), and `check`'s STUN Binding once per family
 * (check-stun.c, the same details and `port`). This pass pairs the two
 * families of each port and adds one result per port tested on both: a
 * pass that says both were tested, or the classic dual-stack fault named
 * (for STUN: TURN/STUN reachable on one family only), e.g. an AAAA record whose
 * 443/tcp is filtered (RFC 8305: clients try IPv6 first and wait out the
 * Connection Attempt Delay, 250 ms, before IPv4; clients without happy
 * eyeballs fail). Pure: results in, results out, no network. */
#include <stdlib.h>
#include <string.h>

#include "probe/checks/checks-network.h"

typedef struct {
  gboolean seen;
  const char *address;     /* the first address of the family */
  const char *bad_state;   /* the first state that is not "open", or NULL */
  const char *bad_address;
} FamilySide;

typedef struct {
  const char *kind;        /* "port", or "stun" for STUN Binding on each family */
  char *host;              /* the published name, or NULL for a literal */
  guint16 port;
  RpPortProto proto;
  guint first_index;       /* where the first row of the port is */
  FamilySide v4, v6;
} PortPair;

static void
pair_free (PortPair *p)
{
  g_free (p->host);
  g_free (p);
}

static const char *
detail (const RpCheckResult *r, const char *key)
{
  const RpDetail *d = rp_check_result_get_detail (r, key);

  return d != NULL && d->type == RP_DETAIL_STRING ? d->str : NULL;
}

/* "port.443/tcp" or "port.443/tcp@2001:db8::1" -> 443, TCP. */
static gboolean
parse_port_id (const char *id, guint16 *port, RpPortProto *proto)
{
  char *end = NULL;
  unsigned long n;

  if (!g_str_has_prefix (id, "port."))
    return FALSE;
  n = strtoul (id + 5, &end, 10);
  if (end == id + 5 || n == 0 || n > 65535)
    return FALSE;
  if (g_str_has_prefix (end, "/tcp"))
    *proto = RP_PROTO_TCP;
  else if (g_str_has_prefix (end, "/udp"))
    *proto = RP_PROTO_UDP;
  else
    return FALSE;
  end += 4;
  if (*end != '\0' && *end != '@')
    return FALSE;
  *port = n;
  return TRUE;
}

static void
note (FamilySide *side, const RpCheckResult *r)
{
  const char *state = detail (r, "state");
  const char *address = detail (r, "address");

  /* No route from this network to the family is a fact about the client's
   * network, not the server's: that family is not tested here. */
  if (g_strcmp0 (state, "no-route") == 0)
    return;
  if (!side->seen) {
    side->seen = TRUE;
    side->address = address;
  }
  if (g_strcmp0 (state, "open") != 0 && side->bad_state == NULL) {
    side->bad_state = state != NULL ? state : "untested";
    side->bad_address = address;
  }
}

static const char *
state_words (const char *state)
{
  if (g_strcmp0 (state, "open|filtered") == 0)
    return "silent (open|filtered)";
  if (g_strcmp0 (state, "error") == 0)
    return "unreachable";
  return state;
}

/* The fix for the broken family, in the operator's terms. */
static char *
fix_words (const PortPair *p, gboolean v6_broken, const char *state, const char *proto,
           const char *name)
{
  const char *fam = v6_broken ? "IPv6" : "IPv4";
  const char *rec = v6_broken ? "AAAA" : "A";

  if (g_strcmp0 (state, "closed") == 0)
    return g_strdup_printf (
      "nothing accepts %u/%s on the %s address: make the service listen on it (nginx: "
      "`listen %s%u`; coturn: listening-ip%s), or remove the %s record of %s",
      p->port, proto, fam, v6_broken ? "[::]:" : "0.0.0.0:", p->port,
      v6_broken ? " with the IPv6 address, or none to listen on all" : "", rec, name);
  return g_strdup_printf ("open %u/%s in the security list's %s rules (and the host firewall: "
                          "%s), or remove the %s record of %s",
                          p->port, proto, fam, v6_broken ? "ip6tables/nftables ip6" : "iptables",
                          rec, name);
}

static RpCheckResult *
pair_result (const PortPair *p)
{
  const char *proto = rp_port_proto_to_string (p->proto);
  const char *role = rp_port_role (p->port, p->proto);
  const char *name = p->host != NULL ? p->host : "this host";
  gboolean open4 = p->v4.bad_state == NULL, open6 = p->v6.bad_state == NULL;
  gboolean stun = g_str_equal (p->kind, "stun");
  g_autofree char *id = g_strdup_printf ("%s.%u/%s.families", p->kind, p->port, proto);
  g_autofree char *target =
    g_strdup_printf ("%s:%u/%s", p->host != NULL ? p->host : p->v4.address, p->port, proto);
  RpCheckResult *r;

  if (!open4 && !open6)
    return NULL;   /* the per-address rows already say it; no family is the odd one out */
  r = rp_check_result_new (id, p->kind, target);
  rp_check_result_detail_str (r, "families", "ipv4,ipv6");
  rp_check_result_detail_str (r, "ipv4_address", p->v4.address);
  rp_check_result_detail_str (r, "ipv6_address", p->v6.address);
  rp_check_result_detail_str (r, "ipv4_state", open4 ? "open" : p->v4.bad_state);
  rp_check_result_detail_str (r, "ipv6_state", open6 ? "open" : p->v6.bad_state);
  if (open4 && open6) {
    rp_check_result_set (r, RP_STATUS_PASS, "%u/%s %s over IPv4 (%s) and IPv6 (%s)", p->port,
                         proto, stun ? "answers STUN" : "open", p->v4.address, p->v6.address);
    return r;
  }
  {
    gboolean v6_broken = !open6;
    const FamilySide *bad = v6_broken ? &p->v6 : &p->v4;
    const FamilySide *good = v6_broken ? &p->v4 : &p->v6;
    gboolean silent = g_strcmp0 (bad->bad_state, "open|filtered") == 0;
    g_autofree char *fix = fix_words (p, v6_broken, bad->bad_state, proto, name);
    g_autofree char *who = NULL;

    rp_check_result_detail_str (r, "broken_family", v6_broken ? "ipv6" : "ipv4");
    if (p->proto == RP_PROTO_TCP && v6_broken)
      who = g_strdup ("clients with IPv6 try the AAAA address first: browsers and curl lose the "
                      "happy-eyeballs delay (250-300 ms) on every new connection, and clients "
                      "without a fallback fail");
    else if (p->proto == RP_PROTO_TCP)
      who = g_strdup ("clients without IPv6 (most networks) cannot connect at all, and dual-stack "
                      "clients that try IPv4 first wait out the happy-eyeballs delay");
    else if (stun)
      who = g_strdup_printf ("clients on %s get no server-reflexive or relay candidate from "
                             "this TURN/STUN server over %s (ICE then relies on the other "
                             "family, and clients with %s only cannot relay at all)",
                             v6_broken ? "IPv6" : "IPv4", v6_broken ? "IPv6" : "IPv4",
                             v6_broken ? "IPv6" : "IPv4");
    else
      who = g_strdup_printf ("clients on %s lose this server's candidates (ICE then relies on "
                             "the other family, or fails where it has only this one)",
                             v6_broken ? "IPv6" : "IPv4");
    /* UDP silence is open|filtered: strong evidence beside an answer on the
     * other family, not proof; beside a STUN answer from the same name it is
     * the server silent on that family. */
    rp_check_result_set (r, silent && !stun ? RP_STATUS_WARN : RP_STATUS_FAIL,
                         "%s%s has %s record but %u/%s is %s over %s (%s), %s over %s (%s)",
                         stun ? (v6_broken ? "TURN/STUN reachable on IPv4 only: "
                                           : "TURN/STUN reachable on IPv6 only: ")
                              : "",
                         name,
                         v6_broken ? "an AAAA" : "an A", p->port, proto,
                         state_words (bad->bad_state), v6_broken ? "IPv6" : "IPv4",
                         bad->bad_address != NULL ? bad->bad_address : "?",
                         stun ? "STUN answers" : "open", v6_broken ? "IPv4" : "IPv6",
                         good->address);
    rp_check_result_set_hint (r, "%u/%s%s%s%s answers on %s only: %s. Fix: %s", p->port, proto,
                              role ? " (" : "", role ? role : "", role ? ")" : "",
                              v6_broken ? "IPv4" : "IPv6", who, fix);
  }
  return r;
}

static PortPair *
find_pair (GPtrArray *pairs, const char *kind, const char *host, guint16 port, RpPortProto proto)
{
  for (guint i = 0; i < pairs->len; i++) {
    PortPair *p = g_ptr_array_index (pairs, i);
    if (p->port == port && p->proto == proto && g_strcmp0 (p->host, host) == 0
        && g_str_equal (p->kind, kind))
      return p;
  }
  return NULL;
}

guint
rp_family_findings_add (GPtrArray *checks)
{
  g_autoptr (GPtrArray) pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) pair_free);
  guint added = 0;

  for (guint i = 0; i < checks->len; i++) {
    const RpCheckResult *r = g_ptr_array_index (checks, i);
    const char *family = detail (r, "family");
    guint16 port;
    RpPortProto proto;
    PortPair *p;

    const char *kind = g_strcmp0 (r->kind, "stun") == 0 ? "stun" : "port";

    if (family == NULL)
      continue;
    if (g_str_equal (kind, "stun")) {
      /* stun.udp and stun.udp.ipv6 (check-stun.c): details port and state */
      g_autofree char *as_id = g_strdup_printf ("port.%s", detail (r, "port"));
      if (detail (r, "port") == NULL || detail (r, "state") == NULL
          || !parse_port_id (as_id, &port, &proto))
        continue;
    } else if (g_strcmp0 (r->kind, "port") != 0 || !parse_port_id (r->id, &port, &proto)) {
      continue;
    }
    p = find_pair (pairs, kind, detail (r, "host"), port, proto);
    if (p == NULL) {
      p = g_new0 (PortPair, 1);
      p->kind = kind;
      p->host = g_strdup (detail (r, "host"));
      p->port = port;
      p->proto = proto;
      p->first_index = i;
      g_ptr_array_add (pairs, p);
    }
    note (g_str_equal (family, "ipv6") ? &p->v6 : &p->v4, r);
  }
  /* Where STUN compared the families of a port, its finding (the server
   * answers, or not) stands for the port rows' of the same port. */
  for (guint i = 0; i < pairs->len; i++) {
    PortPair *p = g_ptr_array_index (pairs, i);
    PortPair *stun = g_str_equal (p->kind, "port")
                       ? find_pair (pairs, "stun", p->host, p->port, p->proto)
                       : NULL;
    if (stun != NULL && stun->v4.seen && stun->v6.seen)
      p->v4.seen = p->v6.seen = FALSE;
  }
  /* Each finding goes before the first row of its port, so the report and
   * the verdict read the comparison first; newest index first keeps the
   * earlier indexes valid. */
  for (guint i = pairs->len; i > 0; i--) {
    PortPair *p = g_ptr_array_index (pairs, i - 1);
    RpCheckResult *r;

    if (!p->v4.seen || !p->v6.seen)
      continue;
    r = pair_result (p);
    if (r == NULL)
      continue;
    g_ptr_array_insert (checks, p->first_index, r);
    added++;
  }
  return added;
}
