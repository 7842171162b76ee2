/* Tests for the voice verdict on hand-made summaries: each threshold on
 * its own (and exactly on the line, which passes), the fail lines, the
 * direction to blame and its wording, overrides, and a path where nothing
 * came back. MOS values are the G.107 numbers for Opus rated as G.711+PLC
 * with Ta = RTT/2 + 60 + 26.5 ms, worked out independently:
 * (echo paths T = Ta, Tr = 2 Ta, every other parameter at its default):
 *   RTT 40, no loss       -> Ta 106.5, Id 2.8230, R 90.5322, MOS 4.3518
 *   RTT 40, 2 % forward   -> R 83.5212, MOS 4.1499 (far end), 4.3518 (user)
 *   RTT 300, no loss      -> Ta 236.5, Idd 7.2562, Id 12.3229, R 81.0324, MOS 4.0624 */
#include <glib.h>

#include "rtc/voice/verdict.h"

static RpVoiceSummary *
clean_summary (void)
{
  RpVoiceSummary *s = g_new0 (RpVoiceSummary, 1);

  s->sent = s->received = 1000;
  s->directional = TRUE;
  s->burst_ratio = 1;
  s->rtt_min_ms = 38;
  s->rtt_p50_ms = s->rtt_mean_ms = 40;
  s->rtt_p95_ms = 60;
  s->rtt_p99_ms = s->rtt_max_ms = 70;
  s->forward.jitter_mean_ms = s->backward.jitter_mean_ms = 2;
  return s;
}

static void
lose (RpVoiceSummary *s, guint64 forward, guint64 backward, guint64 unattributed)
{
  s->forward.lost = forward;
  s->backward.lost = backward;
  s->unattributed = unattributed;
  s->lost = forward + backward + unattributed;
  s->received = s->sent - s->lost;
  s->loss_pct = 100.0 * s->lost / s->sent;
}

static void
judge (const RpVoiceSummary *s, RpVoiceVerdict *v)
{
  RpVoiceVerdictConfig c;

  rp_voice_verdict_config_init (&c);
  rp_voice_judge (s, &c, v);
}

static void
test_pass (void)
{
  g_autofree RpVoiceSummary *s = clean_summary ();
  RpVoiceVerdict v;

  judge (s, &v);
  g_assert_cmpint (v.status, ==, RP_VOICE_PASS);
  g_assert_cmpuint (v.reasons, ==, 0);
  g_assert_cmpfloat (v.ta_ms, ==, 106.5);
  g_assert_cmpfloat_with_epsilon (v.mos, 4.3518, 1e-4);
  g_assert_cmpint (v.blame.loss, ==, RP_BLAME_NONE);
  g_assert_null (rp_voice_blame_describe (&v.blame));
  g_assert_cmpstr (rp_voice_status_to_string (v.status), ==, "pass");
}

static void
test_forward_loss_warns (void)
{
  g_autofree RpVoiceSummary *s = clean_summary ();
  g_autofree char *text = NULL;
  RpVoiceVerdict v;

  lose (s, 20, 0, 0);
  judge (s, &v);
  g_assert_cmpint (v.status, ==, RP_VOICE_WARN);
  g_assert_cmpuint (v.reasons, ==, RP_VOICE_REASON_LOSS);
  g_assert_cmpfloat_with_epsilon (v.loss_pct, 2, 1e-9);
  g_assert_cmpfloat_with_epsilon (v.forward.mos, 4.1499, 1e-4);
  g_assert_cmpfloat_with_epsilon (v.backward.mos, 4.3518, 1e-4);
  g_assert_cmpfloat (v.mos, ==, v.forward.mos);
  g_assert_cmpint (v.blame.loss, ==, RP_BLAME_FORWARD);
  text = rp_voice_blame_describe (&v.blame);
  g_assert_cmpstr (text, ==, "loss only forward");
}

static void
test_loss_fails (void)
{
  g_autofree RpVoiceSummary *s = clean_summary ();
  g_autofree char *text = NULL;
  RpVoiceVerdict v;

  lose (s, 0, 60, 0);
  judge (s, &v);
  g_assert_cmpint (v.status, ==, RP_VOICE_FAIL);
  g_assert_true (v.reasons & RP_VOICE_REASON_LOSS);
  g_assert_cmpint (v.blame.loss, ==, RP_BLAME_BACKWARD);

  /* exactly 5 % is not over the fail line; 1 % not over the warn line */
  lose (s, 0, 50, 0);
  judge (s, &v);
  g_assert_cmpint (v.status, ==, RP_VOICE_WARN);
  lose (s, 10, 0, 0);
  judge (s, &v);
  g_assert_cmpint (v.status, ==, RP_VOICE_PASS);

  /* late packets are lost for voice */
  lose (s, 0, 0, 0);
  s->backward.late = 20;
  judge (s, &v);
  g_assert_cmpint (v.status, ==, RP_VOICE_WARN);
  g_assert_cmpint (v.blame.loss, ==, RP_BLAME_BACKWARD);

  /* both ways */
  lose (s, 15, 15, 0);
  judge (s, &v);
  g_assert_cmpint (v.blame.loss, ==, RP_BLAME_BOTH);
  text = rp_voice_blame_describe (&v.blame);
  g_assert_cmpstr (text, ==, "loss in both directions");
}

/* Loss only over the line once the unattributed part is counted, or with
 * no directional split at all: the direction is unknown. */
static void
test_unknown_direction (void)
{
  g_autofree RpVoiceSummary *s = clean_summary ();
  RpVoiceVerdict v;

  lose (s, 5, 0, 8);
  judge (s, &v);
  g_assert_cmpint (v.blame.loss, ==, RP_BLAME_UNKNOWN);
  g_assert_cmpfloat_with_epsilon (v.loss_pct, 1.3, 1e-9);

  lose (s, 0, 0, 30);
  s->directional = FALSE;
  judge (s, &v);
  g_assert_cmpint (v.blame.loss, ==, RP_BLAME_UNKNOWN);
  g_assert_cmpfloat_with_epsilon (v.loss_pct, 3, 1e-9);
  g_assert_cmpint (v.status, ==, RP_VOICE_WARN);
}

static void
test_jitter_and_rtt (void)
{
  g_autofree RpVoiceSummary *s = clean_summary ();
  g_autofree char *text = NULL;
  RpVoiceVerdict v;

  s->backward.jitter_mean_ms = 45;
  judge (s, &v);
  g_assert_cmpint (v.status, ==, RP_VOICE_WARN);
  g_assert_cmpuint (v.reasons, ==, RP_VOICE_REASON_JITTER);
  g_assert_cmpint (v.blame.jitter, ==, RP_BLAME_BACKWARD);
  text = rp_voice_blame_describe (&v.blame);
  g_assert_cmpstr (text, ==, "jitter only backward");

  s->backward.jitter_mean_ms = 30;      /* on the line */
  s->rtt_p50_ms = 300;
  s->rtt_p95_ms = 310;
  judge (s, &v);
  g_assert_cmpuint (v.reasons, ==, RP_VOICE_REASON_RTT);
  g_assert_cmpfloat (v.ta_ms, ==, 236.5);
  g_assert_cmpfloat_with_epsilon (v.forward.idd, 7.2562, 1e-4);
  g_assert_cmpfloat_with_epsilon (v.forward.id, 12.3229, 1e-4);
  g_assert_cmpfloat_with_epsilon (v.mos, 4.0624, 1e-4);
  g_assert_cmpint (v.status, ==, RP_VOICE_WARN);
}

/* A slow, lossy path: MOS under 3.1 fails on its own. */
static void
test_mos_fails (void)
{
  g_autofree RpVoiceSummary *s = clean_summary ();
  RpVoiceVerdict v;

  s->rtt_p50_ms = s->rtt_p95_ms = 700;
  lose (s, 40, 0, 0);
  judge (s, &v);
  g_assert_cmpfloat (v.mos, <, 3.1);
  g_assert_cmpint (v.status, ==, RP_VOICE_FAIL);
  g_assert_true (v.reasons & RP_VOICE_REASON_MOS);
  g_assert_true (v.reasons & RP_VOICE_REASON_RTT);
  g_assert_cmpint (v.forward.grade, >=, RP_GRADE_POOR);
}

static void
test_no_reply (void)
{
  g_autofree RpVoiceSummary *s = clean_summary ();
  g_autofree char *text = NULL;
  RpVoiceVerdict v;

  lose (s, 0, 0, 1000);
  s->directional = FALSE;
  judge (s, &v);
  g_assert_cmpint (v.status, ==, RP_VOICE_FAIL);
  g_assert_cmpuint (v.reasons, ==, RP_VOICE_REASON_NO_REPLY);
  g_assert_cmpfloat (v.mos, ==, 1);
  g_assert_cmpint (v.blame.loss, ==, RP_BLAME_UNKNOWN);
  text = rp_voice_blame_describe (&v.blame);
  g_assert_cmpstr (text, ==, "loss in an unknown direction");
}

static void
test_overrides (void)
{
  g_autofree RpVoiceSummary *s = clean_summary ();
  RpVoiceVerdictConfig c;
  RpVoiceVerdict v;

  lose (s, 20, 0, 0);
  rp_voice_verdict_config_init (&c);
  c.thresholds.warn_loss_pct = 3;
  rp_voice_judge (s, &c, &v);
  g_assert_cmpint (v.status, ==, RP_VOICE_PASS);
  g_assert_cmpint (v.blame.loss, ==, RP_BLAME_NONE);

  c.thresholds.warn_mos = 4.3;
  rp_voice_judge (s, &c, &v);
  g_assert_cmpuint (v.reasons, ==, RP_VOICE_REASON_MOS);

  c.codec = RP_CODEC_G711;      /* no PLC: 2 % loss costs far more */
  rp_voice_judge (s, &c, &v);
  g_assert_cmpfloat (v.forward.mos, <, 3.6);
}

/* 100 of 1000 lost forward, 60 of the 900 that reached the far end lost
 * on the way back: backward is 6.67 %, not 60 / 1000. */
static void
test_backward_of_reached (void)
{
  g_autofree RpVoiceSummary *s = clean_summary ();
  double fwd, bwd;

  lose (s, 100, 60, 0);
  rp_voice_direction_loss (s, &fwd, &bwd);
  g_assert_cmpfloat_with_epsilon (fwd, 10, 1e-9);
  g_assert_cmpfloat_with_epsilon (bwd, 100.0 * 60 / 900, 1e-9);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtc/verdict/pass", test_pass);
  g_test_add_func ("/rtc/verdict/forward-loss-warns", test_forward_loss_warns);
  g_test_add_func ("/rtc/verdict/loss-fails", test_loss_fails);
  g_test_add_func ("/rtc/verdict/unknown-direction", test_unknown_direction);
  g_test_add_func ("/rtc/verdict/jitter-and-rtt", test_jitter_and_rtt);
  g_test_add_func ("/rtc/verdict/mos-fails", test_mos_fails);
  g_test_add_func ("/rtc/verdict/no-reply", test_no_reply);
  g_test_add_func ("/rtc/verdict/overrides", test_overrides);
  g_test_add_func ("/rtc/verdict/backward-of-reached", test_backward_of_reached);
  return g_test_run ();
}
