/* Tests for `rtcprobe load`'s arithmetic (rtc/voice/load-plan.c): the ramp
 * parser takes STEP/S within bounds and refuses the rest with one line; the
 * ramp's steps reach N; a step's loss splits by direction and its
 * percentiles come from its histograms; the knee is the first step over a
 * threshold or with refused allocations, and a late sender is named. */
#include <glib.h>
#include <string.h>

#include "rtc/voice/load-plan.h"

static void
test_ramp_parse (void)
{
  static const char *const bad[] = { "",     "10",   "/5",  "10/",  "0/5",  "10/0",
                                     "x/5",  "10/x", "-1/5", "10/-5", "10/0.1", "2000/5",
                                     "10/5s", "10/1e9", "1/nan", "1/inf", " 1/5" };
  RpLoadRamp r;

  g_assert_true (rp_load_parse_ramp ("10/5", 1000, &r, NULL));
  g_assert_cmpuint (r.step, ==, 10);
  g_assert_cmpfloat (r.interval_s, ==, 5);
  g_assert_true (rp_load_parse_ramp ("1/2.5", 1000, &r, NULL));
  g_assert_cmpfloat (r.interval_s, ==, 2.5);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_false (rp_load_parse_ramp (bad[i], 1000, &r, &error));
    g_assert_nonnull (error);
    g_assert_null (strchr (error->message, '\n'));
  }
  g_assert_false (rp_load_parse_ramp (NULL, 1000, &r, NULL));
}

static void
test_ramp_steps (void)
{
  RpLoadRamp r = { 10, 5 };

  g_assert_cmpuint (rp_load_ramp_steps (&r, 25), ==, 3);
  g_assert_cmpuint (rp_load_ramp_streams_at (&r, 25, 0), ==, 10);
  g_assert_cmpuint (rp_load_ramp_streams_at (&r, 25, 2), ==, 25);
  g_assert_cmpuint (rp_load_ramp_steps (&r, 20), ==, 2);
  g_assert_cmpuint (rp_load_ramp_steps (&r, 0), ==, 0);
  /* A step's set-up waits the step's length, at least 10 s. */
  g_assert_cmpint (rp_load_settle_cap_us (5), ==, 10 * G_USEC_PER_SEC);
  g_assert_cmpint (rp_load_settle_cap_us (30), ==, 30 * G_USEC_PER_SEC);
}

static void
test_step_summary (void)
{
  RpLoadStep s;
  RpLoadStepSummary o;

  rp_load_step_init (&s);
  s.sent = 1000;
  s.reached = 980;
  s.returned = 970;
  for (guint i = 1; i <= 100; i++) {
    rp_histogram_add (&s.rtt_us, i * 100);
    rp_histogram_add (&s.jitter_us[RP_LOAD_BWD], i * 10);
    rp_histogram_add (&s.lateness_us, i);
  }
  s.fail[RP_LOAD_FAIL_QUOTA] = 2;
  s.fail[RP_LOAD_FAIL_TIMEOUT] = 1;
  s.setup_us = 1500;
  s.setting_up = 4;
  rp_load_step_summarize (&s, &o);
  g_assert_cmpfloat (o.setup_ms, ==, 1.5);
  g_assert_cmpuint (o.setting_up, ==, 4);
  g_assert_cmpfloat_with_epsilon (o.loss_pct[RP_LOAD_FWD], 2.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (o.loss_pct[RP_LOAD_BWD], 100.0 * 10 / 980, 1e-9);
  g_assert_cmpfloat_with_epsilon (o.rtt_p50_ms, 5.0, 5.0 * RP_HISTOGRAM_REL_ERROR);
  g_assert_cmpfloat_with_epsilon (o.rtt_p99_ms, 9.9, 9.9 * RP_HISTOGRAM_REL_ERROR);
  g_assert_cmpfloat_with_epsilon (o.jitter_p95_ms[RP_LOAD_BWD], 0.95, 0.95 / 128);
  g_assert_cmpfloat (o.jitter_p95_ms[RP_LOAD_FWD], ==, 0);
  g_assert_cmpfloat_with_epsilon (o.schedule_p99_ms, 0.099, 1e-6);
  g_assert_cmpuint (o.allocation_failures, ==, 3);
  /* Nothing sent: no loss, not 100 %. */
  rp_load_step_init (&s);
  rp_load_step_summarize (&s, &o);
  g_assert_cmpfloat (o.loss_pct[RP_LOAD_FWD], ==, 0);
}

static RpLoadStepSummary
clean (void)
{
  RpLoadStepSummary s = { 0 };

  s.sent = 1000;
  s.jitter_p95_ms[0] = s.jitter_p95_ms[1] = 0.2;
  s.schedule_p99_ms = 0.1;
  return s;
}

static void
test_knee (void)
{
  RpLoadThresholds t;
  RpLoadStepSummary st[5] = { clean (), clean (), clean (), clean (), clean () };
  RpLoadKnee k;

  rp_load_thresholds_init (&t);
  rp_load_find_knee (st, 5, &t, &k);
  g_assert_cmpint (k.kind, ==, RP_LOAD_KNEE_NONE);
  g_assert_false (k.probe_limited);
  /* 1 % exactly is not over; 1.2 % backward is. */
  st[1].loss_pct[RP_LOAD_FWD] = 1.0;
  st[3].loss_pct[RP_LOAD_BWD] = 1.2;
  rp_load_find_knee (st, 5, &t, &k);
  g_assert_cmpint (k.kind, ==, RP_LOAD_KNEE_LOSS);
  g_assert_cmpuint (k.step, ==, 3);
  g_assert_cmpint (k.dir, ==, RP_LOAD_BWD);
  /* Jitter earlier wins. */
  st[2].jitter_p95_ms[RP_LOAD_FWD] = 31;
  rp_load_find_knee (st, 5, &t, &k);
  g_assert_cmpint (k.kind, ==, RP_LOAD_KNEE_JITTER);
  g_assert_cmpuint (k.step, ==, 2);
  g_assert_cmpint (k.dir, ==, RP_LOAD_FWD);
  /* A refused allocation earlier still. */
  st[1].allocation_failures = 1;
  rp_load_find_knee (st, 5, &t, &k);
  g_assert_cmpint (k.kind, ==, RP_LOAD_KNEE_ALLOCATION);
  g_assert_cmpuint (k.step, ==, 1);
  g_assert_false (k.probe_limited);
  /* The sender was late at step 0: the probe is the limit. */
  st[0].schedule_p99_ms = 2.5;
  rp_load_find_knee (st, 5, &t, &k);
  g_assert_true (k.probe_limited);
  g_assert_cmpuint (k.probe_step, ==, 0);
  /* Late only after the knee: not the probe. */
  st[0].schedule_p99_ms = 0.1;
  st[4].schedule_p99_ms = 5;
  rp_load_find_knee (st, 5, &t, &k);
  g_assert_false (k.probe_limited);
  /* A threshold made an option moves the knee. */
  t.jitter_p95_ms = 40;
  st[1].allocation_failures = 0;
  rp_load_find_knee (st, 5, &t, &k);
  g_assert_cmpint (k.kind, ==, RP_LOAD_KNEE_LOSS);
}

static void
test_fail_codes (void)
{
  g_assert_cmpint (rp_load_fail_from_code (486), ==, RP_LOAD_FAIL_QUOTA);
  g_assert_cmpint (rp_load_fail_from_code (508), ==, RP_LOAD_FAIL_CAPACITY);
  g_assert_cmpint (rp_load_fail_from_code (401), ==, RP_LOAD_FAIL_UNAUTHORIZED);
  g_assert_cmpint (rp_load_fail_from_code (300), ==, RP_LOAD_FAIL_ALTERNATE);
  g_assert_cmpint (rp_load_fail_from_code (403), ==, RP_LOAD_FAIL_OTHER);
  g_assert_cmpstr (rp_load_fail_to_string (RP_LOAD_FAIL_QUOTA), ==, "quota_486");
}

/* Phases: inside the interval, on the grid, at most five streams to a
 * slot, and at 1,000 streams of 20 ms the 100 us grid (five to each). */
static void
check_phases (guint n, gint64 iv, gint64 grid, guint per_slot_max)
{
  g_autofree guint *slot = g_new0 (guint, (gsize) (iv / RP_LOAD_GRID_MIN_US));
  gint64 last = 0;

  for (guint k = 0; k < n; k++) {
    gint64 p = rp_load_send_phase_us (k, n, iv);
    g_assert_cmpint (p, >=, 0);
    g_assert_cmpint (p, <, iv);
    g_assert_cmpint (p % grid, ==, 0);
    slot[p / RP_LOAD_GRID_MIN_US]++;
    g_assert_cmpuint (slot[p / RP_LOAD_GRID_MIN_US], <=, per_slot_max);
    last = MAX (last, p);
  }
  /* spread over the whole interval, not bunched at its start: the last
   * stream's slot is within one grid step of its share's */
  g_assert_cmpint (last, >=, iv - iv / n - grid);
}

static void
test_send_phase (void)
{
  check_phases (1, 20000, 1000, 1);
  check_phases (10, 20000, 1000, 1);       /* 2 ms apart: a slot each */
  check_phases (100, 20000, 1000, 5);      /* 20 slots of 1 ms, five each */
  check_phases (500, 20000, 200, 5);       /* 100 slots of 200 us */
  check_phases (1000, 20000, 100, 5);      /* the 100 us grid, five each */
  check_phases (2000, 20000, 100, 10);     /* the grid's floor: more to a slot */
  check_phases (100, 30000, 1000, 4);      /* G.711 at 30 ms */
  g_assert_cmpint (rp_load_send_phase_us (0, 0, 20000), ==, 0);
  g_assert_cmpint (rp_load_send_phase_us (5, 5, 20000), ==, 0);  /* wraps, stays inside */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/load-plan/ramp-parse", test_ramp_parse);
  g_test_add_func ("/load-plan/ramp-steps", test_ramp_steps);
  g_test_add_func ("/load-plan/step-summary", test_step_summary);
  g_test_add_func ("/load-plan/knee", test_knee);
  g_test_add_func ("/load-plan/fail-codes", test_fail_codes);
  g_test_add_func ("/load-plan/send-phase", test_send_phase);
  return g_test_run ();
}
