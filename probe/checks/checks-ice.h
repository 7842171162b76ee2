/* ICE through libnice (check-ice.c): the gathering report for each STUN and
 * TURN server, and connectivity through each TURN transport between two
 * agents of our own. */
#pragma once

#include "probe/core/options.h"
#include "probe/core/runner.h"
#include "probe/checks/checks-turn.h"

G_BEGIN_DECLS

typedef struct {
  GPtrArray *turn;          /* RpTarget* (turn:, turns:), borrowed for the call */
  GPtrArray *stun;          /* RpTarget* (stun:), may be empty */
  gboolean relay_only;      /* --relay-only */
} RpIceOptions;

/* `ice.gather` (one per server URI: ice.gather.<t>[@host:port]) and
 * `ice.<udp|tcp|tls>` (two agents reach READY through that TURN transport).
 * Credentials come from the plan (the same as `turn`). */
void rp_check_ice_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                       const RpIceOptions *ice);

G_END_DECLS
