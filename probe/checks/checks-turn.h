/* The `turn` command's checks: per URI the allocation lifecycle and the
 * relay data path (check-turn.c), across URIs the fallback verdict
 * (turn-plan.c), and the security audit (turn-audit.c). */
#pragma once

#include "probe/core/credentials.h"
#include "probe/core/options.h"
#include "probe/core/runner.h"
#include "probe/core/target.h"

G_BEGIN_DECLS

/* What the transports of one `turn` run share: the credentials, and the
 * verdict that waits for all of them. */
typedef struct _RpTurnPlan RpTurnPlan;

RpTurnPlan *rp_turn_plan_new (RpTurnCreds *creds);   /* takes the credentials */
RpTurnPlan *rp_turn_plan_ref (RpTurnPlan *plan);
void rp_turn_plan_unref (RpTurnPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpTurnPlan, rp_turn_plan_unref)
const RpTurnCreds *rp_turn_plan_get_creds (RpTurnPlan *plan);
/* One more transport will report. */
void rp_turn_plan_expect (RpTurnPlan *plan);
/* A transport's results are final (called once per transport). */
void rp_turn_plan_transport_done (RpTurnPlan *plan, const RpTarget *target, RpCheckResult *alloc,
                                  RpCheckResult *relay);
/* Adds the `turn.verdict` check, finished when every transport has reported. */
void rp_turn_plan_add_verdict (RpTurnPlan *plan, RpRunner *runner, gint64 timeout_us);

/* `turn.<t>.allocate` and `relay.<t>` for one URI. */
void rp_check_turn_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                        const RpTarget *target, gboolean ids_unique);

/* The TURN family for targets (RpTarget*), as `turn` and `check` run it:
 * turn.<t>.allocate and relay.<t> per URI (ids by transport where a
 * transport occurs once), turn.verdict when there are several, and the
 * audit when asked. */
void rp_check_turn_family_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                               GPtrArray *targets, gboolean audit);

/* The relayed address families `turn` tests besides IPv4 (--relay-family). */
typedef enum {
  RP_TURN_RELAY_IPV6 = 1 << 0,   /* turn.<t>.ipv6: an IPv6 relay and data through it */
  RP_TURN_RELAY_DUAL = 1 << 1,   /* turn.<t>.dual: one allocation with a relay of each family */
  /* `check`: only where the server publishes IPv6 (an AAAA record or an IPv6
   * literal); an IPv4-only server's turn.<t>.ipv6 / .dual skip, saying so */
  RP_TURN_RELAY_WHERE_IPV6 = 1 << 2,
} RpTurnRelayFamilies;

/* "ipv4" (nothing besides IPv4), "ipv6", "dual", "all" (case-insensitive);
 * FALSE for anything else. */
gboolean rp_turn_relay_families_parse (const char *text, RpTurnRelayFamilies *out);

/* turn.<t>.ipv6 and/or turn.<t>.dual per URI of targets (RpTarget*), ids
 * as turn.<t>.allocate's. A server without an IPv6 relay (440) makes them
 * skip, or fail when required (the operator asked for the family). */
void rp_check_turn_relay_families_add (RpRunner *runner, const RpProbeOptions *options,
                                       RpTurnPlan *plan, GPtrArray *targets,
                                       RpTurnRelayFamilies families, gboolean required);

/* `audit.*` through the first of targets (RpTarget*) that reaches the
 * server: what it lets an authenticated client reach (RFC 1918, loopback,
 * metadata, ...) and whether it allocates without credentials. */
void rp_check_turn_audit_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                              GPtrArray *targets);

G_END_DECLS
