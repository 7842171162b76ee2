/* Voice verdict: E-model per listening direction (each direction of a call
 * is its own stream, so each listener gets the loss of his direction and
 * the common mouth-to-ear delay), thresholds, and blame. BurstR is only
 * known for the round trip and is used for both directions. A value
 * exactly on a line passes it: warn and fail are strict inequalities. */
#include "rtc/voice/verdict.h"

#include <string.h>

void
rp_voice_thresholds_init (RpVoiceThresholds *t)
{
  t->warn_mos = 4.0;
  t->warn_rtt_p95_ms = 300;
  t->warn_jitter_ms = 30;
  t->warn_loss_pct = 1;
  t->fail_mos = 3.1;
  t->fail_loss_pct = 5;
}

void
rp_voice_verdict_config_init (RpVoiceVerdictConfig *c)
{
  c->codec = RP_CODEC_OPUS;
  c->jitter_buffer_ms = 60;
  rp_voice_thresholds_init (&c->thresholds);
}

static double
pct (guint64 part, guint64 whole)
{
  return whole > 0 ? 100.0 * (double) part / (double) whole : 0;
}

void
rp_voice_direction_loss (const RpVoiceSummary *s, double *forward_pct, double *backward_pct)
{
  guint64 shared = s->directional ? s->unattributed : s->lost;
  guint64 reached = s->sent - MIN (s->forward.lost, s->sent);

  *forward_pct = pct (s->forward.lost + s->forward.late + shared, s->sent);
  /* The way back carries only what reached the far end. */
  *backward_pct = pct (s->backward.lost + s->backward.late + shared, reached);
}

static RpBlame
blame_of (gboolean forward_bad, gboolean backward_bad, gboolean overall_bad)
{
  if (forward_bad && backward_bad)
    return RP_BLAME_BOTH;
  if (forward_bad)
    return RP_BLAME_FORWARD;
  if (backward_bad)
    return RP_BLAME_BACKWARD;
  return overall_bad ? RP_BLAME_UNKNOWN : RP_BLAME_NONE;
}

RpVoiceBlame
rp_voice_blame (const RpVoiceSummary *s, const RpVoiceThresholds *t)
{
  RpVoiceBlame b = { RP_BLAME_NONE, RP_BLAME_NONE };
  guint64 reached = s->sent - MIN (s->forward.lost, s->sent);   /* what the way back carried */
  double fwd, bwd;

  if (s->received == 0) {
    /* Nothing came back: either way could be dead. */
    if (s->sent > 0)
      b.loss = RP_BLAME_UNKNOWN;
    return b;
  }
  /* Blame a direction on what is attributed to it; loss over the line
   * only once the unattributed part is added is "direction unknown". */
  rp_voice_direction_loss (s, &fwd, &bwd);
  b.loss = blame_of (pct (s->forward.lost + s->forward.late, s->sent) > t->warn_loss_pct,
                     pct (s->backward.lost + s->backward.late, reached) > t->warn_loss_pct,
                     MAX (fwd, bwd) > t->warn_loss_pct);
  b.jitter = blame_of (s->forward.jitter_mean_ms > t->warn_jitter_ms,
                       s->backward.jitter_mean_ms > t->warn_jitter_ms, FALSE);
  return b;
}

void
rp_voice_judge (const RpVoiceSummary *s, const RpVoiceVerdictConfig *c, RpVoiceVerdict *out)
{
  const RpVoiceThresholds *t = &c->thresholds;
  RpEmodelInput in;
  double fwd_loss, bwd_loss;
  gboolean fail = FALSE;

  memset (out, 0, sizeof *out);
  out->blame = rp_voice_blame (s, t);
  if (s->received == 0) {
    out->status = RP_VOICE_FAIL;
    out->reasons = RP_VOICE_REASON_NO_REPLY;
    out->mos = 1;
    out->loss_pct = 100;
    rp_emodel_input_init (&in, c->codec);
    in.ppl = 100;
    rp_emodel_compute (&in, &out->forward);
    out->backward = out->forward;
    return;
  }

  rp_voice_direction_loss (s, &fwd_loss, &bwd_loss);
  /* RTT / 2 from the median: the delay most packets see. */
  out->ta_ms = rp_emodel_mouth_to_ear_ms (s->rtt_p50_ms, c->jitter_buffer_ms, c->codec);

  rp_emodel_input_init (&in, c->codec);
  in.ta_ms = out->ta_ms;
  in.burst_r = s->burst_ratio;
  in.ppl = fwd_loss;
  rp_emodel_compute (&in, &out->forward);
  in.ppl = bwd_loss;
  rp_emodel_compute (&in, &out->backward);

  out->mos = MIN (out->forward.mos, out->backward.mos);
  out->loss_pct = MAX (fwd_loss, bwd_loss);
  out->jitter_ms = MAX (s->forward.jitter_mean_ms, s->backward.jitter_mean_ms);

  if (out->mos < t->warn_mos)
    out->reasons |= RP_VOICE_REASON_MOS;
  if (s->rtt_p95_ms > t->warn_rtt_p95_ms)
    out->reasons |= RP_VOICE_REASON_RTT;
  if (out->jitter_ms > t->warn_jitter_ms)
    out->reasons |= RP_VOICE_REASON_JITTER;
  if (out->loss_pct > t->warn_loss_pct)
    out->reasons |= RP_VOICE_REASON_LOSS;

  if (out->mos < t->fail_mos || out->loss_pct > t->fail_loss_pct)
    fail = TRUE;
  if (fail)
    out->status = RP_VOICE_FAIL;
  else
    out->status = out->reasons != 0 ? RP_VOICE_WARN : RP_VOICE_PASS;
}

static const char *
blame_phrase (RpBlame b)
{
  switch (b) {
  case RP_BLAME_FORWARD:
    return "only forward";
  case RP_BLAME_BACKWARD:
    return "only backward";
  case RP_BLAME_BOTH:
    return "in both directions";
  case RP_BLAME_UNKNOWN:
    return "in an unknown direction";
  case RP_BLAME_NONE:
  default:
    return NULL;
  }
}

char *
rp_voice_blame_describe (const RpVoiceBlame *b)
{
  const char *loss = blame_phrase (b->loss);
  const char *jitter = blame_phrase (b->jitter);

  if (loss != NULL && jitter != NULL)
    return g_strdup_printf ("loss %s; jitter %s", loss, jitter);
  if (loss != NULL)
    return g_strdup_printf ("loss %s", loss);
  if (jitter != NULL)
    return g_strdup_printf ("jitter %s", jitter);
  return NULL;
}

const char *
rp_voice_status_to_string (RpVoiceStatus s)
{
  switch (s) {
  case RP_VOICE_PASS:
    return "pass";
  case RP_VOICE_WARN:
    return "warn";
  case RP_VOICE_FAIL:
  default:
    return "fail";
  }
}
