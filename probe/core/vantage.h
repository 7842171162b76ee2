/* The vantage point: where a report was made from. Every report says when,
 * with which version, with which address family and under which --label
 * ("hotel wifi"); `check` adds what its own STUN and NAT results saw (the
 * public address, NAT behaviour, IPv6, the local address and interface).
 * Nothing here sends a packet. */
#pragma once

#include "probe/core/options.h"
#include "common/result.h"

G_BEGIN_DECLS

/* label (may be NULL), time, version, family: known without the network. */
void rp_vantage_fill (RpCheckResult *vantage, const RpReport *report, const char *label,
                      RpFamily family);

/* public_address, mapped_address, nat_mapping, nat_filtering, ipv6,
 * local_address, interface: from the finished checks (RpCheckResult*). */
void rp_vantage_fill_from_checks (RpCheckResult *vantage, GPtrArray *checks);

/* The name of the local interface that has address ip, or NULL. */
char *rp_vantage_interface_of (const char *ip);

G_END_DECLS
