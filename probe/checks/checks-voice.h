/* The voice path (check-voice.c): a voice-shaped STAMP stream through the
 * deployment's TURN server, measured per direction. */
#pragma once

#include "probe/core/options.h"
#include "probe/checks/checks-reflector.h"
#include "probe/core/runner.h"
#include "probe/checks/checks-turn.h"
#include "probe/net/voice-options.h"

G_BEGIN_DECLS

/* `voice.turn.<transport>` for each TURN URI: two allocations, the stream
 * client -> relay -> relay -> client and back. */
void rp_check_voice_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                         const RpVoiceOptions *voice);

/* `voice.reflector` (the stream to `rtcprobe serve`'s direct UDP port, no
 * ICE; not with ro->relay_only) and `voice.ice` (over the pair ICE selects
 * with the reflector, gathering with ro->turn), check-voice-reflector.c. */
void rp_check_voice_reflector_add (RpRunner *runner, const RpProbeOptions *options,
                                   RpTurnPlan *plan, const RpVoiceOptions *voice,
                                   const RpIceReflectorOptions *ro);

G_END_DECLS
