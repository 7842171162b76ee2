/* Tests for the windows and episodes of a watched voice stream: an episode
 * spans exactly the windows over the line, one per metric and direction,
 * open episodes close at the end, the series stays bounded (merged in
 * pairs, worst figures kept), episodes past the cap are counted, and the
 * verdict's words name the count, the metric, the direction and the times. */
#include <glib.h>

#include "rtc/voice/watch.h"

static const RpWatchThresholds thresholds = { 5, 30 };

static RpWatchWindow
window (guint i, double loss_fwd, double jitter_bwd)
{
  RpWatchWindow w = { 0 };

  w.start_s = i * 10.0;
  w.end_s = w.start_s + 10;
  w.sent = 500;
  w.received = 500 - (guint) (loss_fwd * 5);
  w.rtt_p50_ms = 40;
  w.rtt_p95_ms = 50 + i;
  w.loss_pct[RP_WATCH_FWD] = loss_fwd;
  w.jitter_ms[RP_WATCH_BWD] = jitter_bwd;
  w.mos = loss_fwd > 5 ? 2.5 : 4.3;
  return w;
}

static void
test_one_loss_episode (void)
{
  g_autoptr (RpWatch) w = rp_watch_new (&thresholds);
  guint n;
  const RpWatchEpisode *e;

  for (guint i = 0; i < 9; i++) {
    RpWatchWindow win = window (i, i >= 3 && i <= 4 ? 40 : (i == 5 ? 5 : 0.2), 2);
    guint started = rp_watch_add (w, &win);
    g_assert_cmpuint (started, ==, i == 3 ? 1u << (RP_WATCH_LOSS * 2 + RP_WATCH_FWD) : 0);
  }
  rp_watch_finish (w);
  e = rp_watch_get_episodes (w, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (rp_watch_count_episodes (w), ==, 1);
  g_assert_cmpint (e[0].metric, ==, RP_WATCH_LOSS);
  g_assert_cmpuint (e[0].direction, ==, RP_WATCH_FWD);
  /* Exactly on the line (window 5, 5 %) is not over it. */
  g_assert_cmpfloat (e[0].start_s, ==, 30);
  g_assert_cmpfloat (e[0].end_s, ==, 50);
  g_assert_cmpfloat (e[0].worst, ==, 40);
  rp_watch_get_windows (w, &n);
  g_assert_cmpuint (n, ==, 9);
}

static void
test_open_at_end_and_both_metrics (void)
{
  g_autoptr (RpWatch) w = rp_watch_new (&thresholds);
  g_autofree char *words = NULL;
  RpWatchWindow empty = { 0 };
  guint n;
  const RpWatchEpisode *e;

  for (guint i = 0; i < 4; i++) {
    RpWatchWindow win = window (i, i == 0 ? 12 : 0, i >= 2 ? 45 + i : 3);
    rp_watch_add (w, &win);
  }
  /* Nothing sent: not a window, and it does not end the open episode. */
  g_assert_cmpuint (rp_watch_add (w, &empty), ==, 0);
  e = rp_watch_get_episodes (w, &n);
  g_assert_cmpuint (n, ==, 1);
  rp_watch_finish (w);
  e = rp_watch_get_episodes (w, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (e[1].metric, ==, RP_WATCH_JITTER);
  g_assert_cmpuint (e[1].direction, ==, RP_WATCH_BWD);
  g_assert_cmpfloat (e[1].start_s, ==, 20);
  g_assert_cmpfloat (e[1].end_s, ==, 40);
  g_assert_cmpfloat (e[1].worst, ==, 48);
  /* 2026-12-05 14:02:00 UTC; TZ is UTC in main(). */
  words = rp_watch_describe (w, G_GINT64_CONSTANT (1796479320) * G_USEC_PER_SEC);
  g_assert_cmpstr (words, ==,
                   "1 episode of loss over 5 % on the uplink, 14:02:00-14:02:10; "
                   "1 episode of jitter over 30 ms on the downlink, 14:02:20-14:02:40");
}

static void
test_bounded (void)
{
  g_autoptr (RpWatch) w = rp_watch_new (&thresholds);
  guint n;
  const RpWatchWindow *win;
  const guint total = 3 * RP_WATCH_MAX_WINDOWS + 7;

  /* An episode every other window: far more than are kept. */
  for (guint i = 0; i < total; i++) {
    RpWatchWindow x = window (i, i % 2 ? 50 : 0, 0);
    rp_watch_add (w, &x);
  }
  rp_watch_finish (w);
  win = rp_watch_get_windows (w, &n);
  g_assert_cmpuint (n, <=, RP_WATCH_MAX_WINDOWS);
  g_assert_cmpuint (n, >=, RP_WATCH_MAX_WINDOWS / 2);
  /* The series still covers the whole stream, in order, worst kept. */
  g_assert_cmpfloat (win[0].start_s, ==, 0);
  g_assert_cmpfloat (win[n - 1].end_s, ==, total * 10.0);
  for (guint i = 1; i < n; i++)
    g_assert_cmpfloat (win[i].start_s, ==, win[i - 1].end_s);
  g_assert_cmpfloat (win[0].rtt_p95_ms, >, 50);
  g_assert_cmpfloat (win[0].mos, ==, 2.5);
  rp_watch_get_episodes (w, &n);
  g_assert_cmpuint (n, ==, RP_WATCH_MAX_EPISODES);
  g_assert_cmpuint (rp_watch_count_episodes (w), ==, total / 2);
}

static void
test_none (void)
{
  g_autoptr (RpWatch) w = rp_watch_new (&thresholds);
  RpWatchWindow x = window (0, 1, 10);

  rp_watch_add (w, &x);
  rp_watch_finish (w);
  g_assert_null (rp_watch_describe (w, 0));
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtc/watch/one-loss-episode", test_one_loss_episode);
  g_test_add_func ("/rtc/watch/open-at-end-and-both-metrics", test_open_at_end_and_both_metrics);
  g_test_add_func ("/rtc/watch/bounded", test_bounded);
  g_test_add_func ("/rtc/watch/none", test_none);
  return g_test_run ();
}
