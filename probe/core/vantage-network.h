/* The vantage's network: IPv4 and IPv6 default routes and addresses (read
 * from /proc/net/route, /proc/net/ipv6_route and getifaddrs(), local), and,
 * when there is IPv6, NAT64 behind DNS64 learnt the RFC 7050 way: one AAAA
 * lookup of ipv4only.arpa through the system resolver, started before the
 * checks and read after them, so it costs the run nothing. An IPv4 route
 * beside NAT64 on a CLAT interface (RFC 6877 464XLAT: 192.0.0.0/29, RFC 7335)
 * is CLAT. The facts go into the report's vantage. */
#pragma once

#include <gio/gio.h>

#include "common/nat64-address.h"
#include "common/result.h"

G_BEGIN_DECLS

typedef enum {
  RP_DNS64_NOT_ASKED,   /* no IPv6 route: NAT64 cannot be used from here */
  RP_DNS64_NO_ANSWER,   /* the resolver did not answer in time */
  RP_DNS64_ABSENT,      /* ipv4only.arpa has no AAAA record: no DNS64 */
  RP_DNS64_PRESENT,     /* AAAA records: DNS64 synthesizes */
} RpDns64State;

typedef struct {
  char *ipv4_interface;    /* of the IPv4 default route, or NULL: none */
  char *ipv4_address;      /* an IPv4 address on it, or NULL */
  gboolean ipv4_clat;      /* that address is in 192.0.0.0/29 or the interface is a CLAT's */
  char *ipv6_interface;    /* of the IPv6 default route, or NULL: none */
  char *ipv6_address;      /* a global IPv6 address on it, or NULL */
  RpDns64State dns64;
  char *dns64_answers;     /* the AAAA answers, ", "-joined, or why there are none */
  RpNat64Prefix prefixes[RP_NAT64_MAX_PREFIXES];
  guint n_prefixes;        /* NAT64 prefixes learnt from the answers */
} RpNetworkFacts;

void rp_network_facts_clear (RpNetworkFacts *facts);

/* The interface of the IPv4 default route in /proc/net/route's text, or NULL. */
char *rp_vantage_default_route_v4 (const char *proc_net_route);
/* The interface of the IPv6 default route in /proc/net/ipv6_route's text
 * (not the kernel's unreachable default on lo), or NULL. */
char *rp_vantage_default_route_v6 (const char *proc_net_ipv6_route);

/* Is the network IPv6-only (no native IPv4 route; a CLAT's counts as none)? */
gboolean rp_network_facts_ipv6_only (const RpNetworkFacts *facts);

/* Fills the vantage: network (ipv6-only, ipv4-only, dual-stack, none),
 * ipv4_route, ipv6_route, dns64, dns64_answers, nat64, nat64_prefix, clat. */
void rp_network_facts_describe (const RpNetworkFacts *facts, RpCheckResult *vantage);

/* Reads the routes and addresses, and starts the ipv4only.arpa lookup on
 * the thread-default context when there is an IPv6 route. */
typedef struct _RpVantageNetwork RpVantageNetwork;
RpVantageNetwork *rp_vantage_network_start (void);

/* What a run waits for the answer after its checks: at least the first,
 * at most the second, else what is left of --timeout. */
#define RP_VANTAGE_NETWORK_MIN_WAIT_US (250 * G_TIME_SPAN_MILLISECOND)
#define RP_VANTAGE_NETWORK_MAX_WAIT_US (1 * G_TIME_SPAN_SECOND)

/* Waits at most wait_us for the lookup's answer (iterating the
 * thread-default context), then describes the facts into vantage. */
void rp_vantage_network_finish (RpVantageNetwork *net, RpCheckResult *vantage, gint64 wait_us);
void rp_vantage_network_free (RpVantageNetwork *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpVantageNetwork, rp_vantage_network_free)

G_END_DECLS
