/* `rtcprobe load` (check-load.c): how many voice-shaped streams a TURN
 * server relays before loss or jitter rise, ramped in steps, with the knee
 * named; or, allocations only, the allocation rate, latency and quota; or
 * (--reflector) the same streams on the direct path to a reflector. */
#pragma once

#include "probe/checks/checks-turn.h"
#include "probe/core/options.h"
#include "probe/core/runner.h"
#include "probe/net/reflector-client.h"
#include "probe/net/voice-options.h"
#include "rtc/voice/load-plan.h"

G_BEGIN_DECLS

/* The default and hard ceilings of --max-streams. */
#define RP_LOAD_DEFAULT_MAX_STREAMS 1000
#define RP_LOAD_HARD_MAX_STREAMS 10000

typedef struct {
  GPtrArray *turn;              /* RpTarget* (turn: over UDP), borrowed for the call */
  /* --reflector: the streams go to an `rtcprobe serve` reflector's direct
   * UDP port in one load session instead (turn unused); copied */
  const RpIceReflectorOptions *reflector;
  guint streams;
  RpLoadRamp ramp;              /* without --ramp: every stream in one step */
  double last_hold_s;           /* --duration: the last step held this long (0: the interval) */
  RpVoiceOptions voice;         /* packet size and interval (--codec) */
  gboolean allocations_only;
  RpLoadThresholds thresholds;
} RpLoadOptions;

typedef struct _RpLoadCommand RpLoadCommand;

/* Adds the `load` check (its result is the verdict, `load.verdict`). */
RpLoadCommand *rp_check_load_add (RpRunner *runner, const RpProbeOptions *options,
                                  RpTurnPlan *plan, const RpLoadOptions *o);
/* Ctrl-C: the step in progress is reported with what it measured, the
 * allocations are released, the run ends. FALSE when no ramp runs yet
 * (nothing to report: the caller aborts the run). */
gboolean rp_load_command_stop (RpLoadCommand *cmd);
/* After the run: the steps (`load.step.<n>`) go before the verdict. */
void rp_load_command_finish (RpLoadCommand *cmd, RpReport *report);
void rp_load_command_free (RpLoadCommand *cmd);
/* How long the ramp takes as planned, set-up and release excluded. */
gint64 rp_load_planned_us (const RpLoadOptions *o);
/* The most the steps may wait for their set-ups before their windows. */
gint64 rp_load_settle_max_us (const RpLoadOptions *o);

G_END_DECLS
