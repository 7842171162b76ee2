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

/* `audit.*` through the first of targets (RpTarget*) that reaches the
 * server: what it lets an authenticated client reach (RFC 1918, loopback,
 * metadata, ...) and whether it allocates without credentials. */
void rp_check_turn_audit_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                              GPtrArray *targets);

G_END_DECLS
