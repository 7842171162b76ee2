/* `rtcprobe ice --reflector URL` (check-ice-reflector.c): ICE between this
 * machine and a reflector (`rtcprobe serve`) next to the deployment, with
 * the signalling over its websocket (reflector-proto.h). */
#pragma once

#include "probe/core/options.h"
#include "probe/core/runner.h"
#include "probe/core/target.h"
#include "probe/net/reflector-client.h"
#include "probe/checks/checks-turn.h"

G_BEGIN_DECLS

/* Adds `ice.reflector`: the path ICE chose (host, srflx or relay; UDP or
 * TCP; which TURN URI), metrics.connect_ms and the RTT of signed STAMP
 * packets echoed over the selected pair. TURN credentials come from plan. */
void rp_check_ice_reflector_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                                 const RpIceReflectorOptions *ro);

/* Reads the reflector secret: file when given, else
 * RTCPROBE_REFLECTOR_SECRET, else shared_file (a deployment that uses one
 * secret for TURN REST credentials and the reflector: --secret-file). NULL
 * with error when none. */
RpSecret *rp_reflector_secret_load (const char *file, const char *shared_file, GError **error);

G_END_DECLS
