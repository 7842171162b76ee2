/* The voice verdict: a summary of the test stream in, a status with its
 * reasons, a MOS per listening direction and the direction to blame out.
 * Thresholds are a struct so a profile or option can override them. */
#pragma once

#include <glib.h>

#include "rtc/voice/emodel.h"
#include "rtc/voice/stats.h"

G_BEGIN_DECLS

typedef struct {
  double warn_mos;          /* 4.0: R about 79, just under G.109 "satisfied" (R 80) */
  double warn_rtt_p95_ms;   /* 300: twice G.114's 150 ms one-way comfort limit */
  double warn_jitter_ms;    /* 30: RFC 3550 jitter, mean over the run */
  double warn_loss_pct;     /* 1 */
  double fail_mos;          /* 3.1: exactly R 60, G.109 "many users dissatisfied" */
  double fail_loss_pct;     /* 5 */
} RpVoiceThresholds;

typedef enum {
  RP_VOICE_PASS,
  RP_VOICE_WARN,
  RP_VOICE_FAIL,
} RpVoiceStatus;

/* Why the status is not pass (bits). */
typedef enum {
  RP_VOICE_REASON_NO_REPLY = 1 << 0,
  RP_VOICE_REASON_MOS = 1 << 1,
  RP_VOICE_REASON_RTT = 1 << 2,
  RP_VOICE_REASON_JITTER = 1 << 3,
  RP_VOICE_REASON_LOSS = 1 << 4,
} RpVoiceReason;

typedef enum {
  RP_BLAME_NONE,            /* nothing over the warn line */
  RP_BLAME_FORWARD,         /* sender -> reflector only */
  RP_BLAME_BACKWARD,        /* reflector -> sender only */
  RP_BLAME_BOTH,
  RP_BLAME_UNKNOWN,         /* over the line, direction cannot be told */
} RpBlame;

typedef struct {
  RpBlame loss;
  RpBlame jitter;
} RpVoiceBlame;

typedef struct {
  RpCodec codec;
  double jitter_buffer_ms;  /* the one RpVoiceStatsConfig used: 60 */
  RpVoiceThresholds thresholds;
} RpVoiceVerdictConfig;

typedef struct {
  RpVoiceStatus status;
  guint reasons;            /* RpVoiceReason bits over the warn (or fail) line */
  double ta_ms;             /* mouth-to-ear delay fed to the E-model */
  RpEmodelResult forward;   /* what the far end hears */
  RpEmodelResult backward;  /* what the user hears */
  double mos;               /* the worse of the two */
  double loss_pct;          /* voice loss (lost + late) of the worse direction */
  double jitter_ms;         /* mean RFC 3550 jitter of the worse direction */
  RpVoiceBlame blame;
} RpVoiceVerdict;

void rp_voice_thresholds_init (RpVoiceThresholds *t);
void rp_voice_verdict_config_init (RpVoiceVerdictConfig *c);

/* Voice loss per direction, percent: attributed loss + late + unattributed
 * (counted against both, conservatively). Without a directional split the
 * round-trip loss is counted against both. */
void rp_voice_direction_loss (const RpVoiceSummary *s, double *forward_pct, double *backward_pct);

void rp_voice_judge (const RpVoiceSummary *s, const RpVoiceVerdictConfig *c, RpVoiceVerdict *out);
RpVoiceBlame rp_voice_blame (const RpVoiceSummary *s, const RpVoiceThresholds *t);
/* "loss only forward", "loss only backward; jitter in both directions", ...
 * NULL when nothing is to blame. Free with g_free(). */
char *rp_voice_blame_describe (const RpVoiceBlame *b);

const char *rp_voice_status_to_string (RpVoiceStatus s);

G_END_DECLS
