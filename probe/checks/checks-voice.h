/* The voice path (check-voice.c): a voice-shaped STAMP stream through the
 * deployment's TURN server, measured per direction. */
#pragma once

#include "probe/core/options.h"
#include "probe/checks/checks-reflector.h"
#include "probe/core/runner.h"
#include "probe/checks/checks-turn.h"
#include "rtc/voice/verdict.h"

G_BEGIN_DECLS

typedef struct {
  GPtrArray *turn;              /* RpTarget* (turn:, turns:), borrowed for the call */
  double duration_s;            /* measured part of the stream (default 10) */
  double warmup_s;              /* sent first and not counted (default 1) */
  RpCodec codec;                /* E-model profile */
  gsize packet_size;            /* bytes per packet (STAMP padded to it) */
  gint64 interval_us;           /* one packet per frame interval */
  RpVoiceThresholds thresholds;
} RpVoiceOptions;

void rp_voice_options_init (RpVoiceOptions *o);
/* "opus", "g711", or SIZE@MS (e.g. 200@20). FALSE with a one-line error. */
gboolean rp_voice_parse_codec (RpVoiceOptions *o, const char *text, GError **error);
/* "NAME=VALUE" for a verdict threshold (warn_mos, warn_rtt_p95_ms, warn_jitter_ms,
 * warn_loss_pct, fail_mos, fail_loss_pct). */
gboolean rp_voice_parse_threshold (RpVoiceOptions *o, const char *text, GError **error);

/* `voice.turn.<transport>` for each TURN URI: two allocations, the stream
 * client -> relay -> relay -> client and back. */
void rp_check_voice_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan, const RpVoiceOptions *voice);

/* `voice.reflector` (the stream to `rtcprobe serve`'s direct UDP port, no
 * ICE; not with ro->relay_only) and `voice.ice` (over the pair ICE selects
 * with the reflector, gathering with ro->turn), check-voice-reflector.c. */
void rp_check_voice_reflector_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                                   const RpVoiceOptions *voice, const RpIceReflectorOptions *ro);

G_END_DECLS
