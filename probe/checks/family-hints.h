/* A post-pass over a finished report that adds what the vantage's network
 * explains (probe/core/vantage-network.h): a check that failed toward an
 * IPv4 literal from an IPv6-only network gets the reason and the fix in its
 * hint; a check that reached the deployment through NAT64 says which IPv4
 * address it reached, and the vantage and the verdict say so. */
#pragma once

#include "common/result.h"

G_BEGIN_DECLS

/* Reads report->vantage (network, nat64_prefix, clat, dns64_answers) and
 * amends report->checks; a `verdict` first in the list is amended too. */
void rp_family_hints_apply (RpReport *report);

G_END_DECLS
