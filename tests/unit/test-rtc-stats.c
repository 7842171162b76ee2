/* Tests for the voice statistics: the RFC 3550 A.8 jitter step by hand, the
 * histogram's percentiles against an exact sort of random data (the 1/128
 * bound), and whole runs through the real STAMP codec on a simulated path
 * whose losses, delays, duplicates and reordering are chosen here, so the
 * expected counts are known without the code under test. The two hosts'
 * clocks differ by an arbitrary offset, which RTT and jitter must cancel. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "rtc/voice/stats.h"

#define MS 1000
#define CLOCK_OFFSET_US G_GINT64_CONSTANT (987654321)   /* reflector clock - ours */

static void
test_jitter_step (void)
{
  double j = 0;

  rp_jitter_update (&j, 0, 16);         /* |D| = 16: J = 0 + 16/16 */
  g_assert_cmpfloat_with_epsilon (j, 1.0, 1e-12);
  rp_jitter_update (&j, 16, 16);        /* |D| = 0: J = 1 - 1/16 */
  g_assert_cmpfloat_with_epsilon (j, 0.9375, 1e-12);
  rp_jitter_update (&j, 16, 8);         /* |D| = 8: sign does not matter */
  g_assert_cmpfloat_with_epsilon (j, 0.9375 + (8 - 0.9375) / 16, 1e-12);

  /* a constant |D| is what J converges to */
  j = 0;
  for (guint i = 0; i < 1000; i++)
    rp_jitter_update (&j, (i % 2) ? 10 : 0, (i % 2) ? 0 : 10);
  g_assert_cmpfloat_with_epsilon (j, 10, 1e-9);
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static gint64
exact_percentile (const gint64 *sorted, guint n, double p)
{
  double r = ceil (p / 100.0 * n);
  guint k = (guint) CLAMP (r, 1, n);

  return sorted[k - 1];
}

static const double percentiles[] = { 0.1, 1, 5, 25, 50, 75, 90, 95, 99, 99.9, 100 };

static void
test_histogram_vs_sort (void)
{
  const guint n = 200000;
  g_autofree gint64 *v = g_new (gint64, n);
  RpHistogram *h = g_new (RpHistogram, 1);

  for (guint round = 0; round < 3; round++) {
    rp_histogram_init (h);
    for (guint i = 0; i < n; i++) {
      /* log-uniform from 1 us to 100 s, or a narrow RTT-like cluster */
      if (round == 0)
        v[i] = (gint64) exp (g_test_rand_double_range (0, log (1e8)));
      else if (round == 1)
        v[i] = 40 * MS + (gint64) (g_test_rand_double_range (0, 1) *
                                   g_test_rand_double_range (0, 1) * 200 * MS);
      else
        v[i] = g_test_rand_int_range (0, 200);
      rp_histogram_add (h, v[i]);
    }
    qsort (v, n, sizeof *v, cmp_i64);
    g_assert_cmpint (h->min, ==, v[0]);
    g_assert_cmpint (h->max, ==, v[n - 1]);
    for (guint i = 0; i < G_N_ELEMENTS (percentiles); i++) {
      double exact = exact_percentile (v, n, percentiles[i]);
      double est = rp_histogram_percentile (h, percentiles[i]);

      g_assert_cmpfloat (fabs (est - exact), <=, exact * RP_HISTOGRAM_REL_ERROR + 1e-9);
      if (exact < RP_HISTOGRAM_SUB)
        g_assert_cmpfloat (est, ==, exact);
    }
  }
  g_free (h);
}

static void
test_signed_histogram (void)
{
  const guint n = 50000;
  g_autofree gint64 *v = g_new (gint64, n);
  RpSignedHistogram *h = g_new (RpSignedHistogram, 1);
  guint64 above = 0;

  rp_signed_histogram_init (h);
  for (guint i = 0; i < n; i++) {
    v[i] = (gint64) g_test_rand_int_range (-30000, 90000);
    rp_signed_histogram_add (h, v[i]);
    above += v[i] > -10000;
  }
  qsort (v, n, sizeof *v, cmp_i64);
  g_assert_cmpfloat (rp_signed_histogram_min (h), ==, v[0]);
  for (guint i = 0; i < G_N_ELEMENTS (percentiles); i++) {
    double exact = exact_percentile (v, n, percentiles[i]);
    double est = rp_signed_histogram_percentile (h, percentiles[i]);

    g_assert_cmpfloat (fabs (est - exact), <=, fabs (exact) * RP_HISTOGRAM_REL_ERROR + 1e-9);
  }
  /* the count above a threshold is off by at most the one bucket around it
   * (width <= 10000/64 here, about 160 values of the 120000 range) */
  g_assert_cmpint (llabs ((gint64) rp_signed_histogram_count_above (h, -10000) - (gint64) above),
                   <=, n / 500);
  g_free (h);
}

/* --- a simulated path ------------------------------------------------- */

typedef struct {
  guint n;                      /* packets */
  const guint *fwd_drop;        /* sender numbers dropped on the way out */
  guint n_fwd_drop;
  const guint *bwd_drop;        /* reflector numbers dropped on the way back */
  guint n_bwd_drop;
  gint64 fwd_delay_us, bwd_delay_us;
  gint64 (*bwd_extra) (guint seq);  /* extra backward delay per packet */
  guint fwd_dup;                /* sender number delivered twice to the reflector (0: none) */
  guint bwd_dup;                /* sender number whose reflection arrives twice (0: none) */
  guint swap;                   /* deliver this number's reflection after the next one (0: none) */
  gboolean stateless;
} Path;

static gboolean
in (const guint *list, guint n, guint v)
{
  for (guint i = 0; i < n; i++)
    if (list[i] == v)
      return TRUE;
  return FALSE;
}

static void
deliver (RpVoiceStats *s, const guint8 *buf, gsize len, gint64 t4)
{
  RpStampReflected d;
  RpVoiceSample x;

  g_assert_cmpint (rp_stamp_reflected_decode (buf, len, &d), ==, RP_STAMP_OK);
  rp_voice_sample_from_stamp (&x, &d, t4);
  rp_voice_stats_received (s, &x);
}

static void
run (const Path *p, RpVoiceStats *s, RpVoiceSummary *out)
{
  RpStampReflector refl;
  guint8 held[RP_STAMP_VOICE_FRAME_LEN];
  gint64 held_t4 = 0;
  gboolean holding = FALSE;

  rp_stamp_reflector_init (&refl, p->stateless);
  for (guint i = 0; i < p->n; i++) {
    gint64 t1 = 1000000 + (gint64) i * 20 * MS;
    guint32 seq = rp_voice_stats_sent (s, t1);
    RpStampSender sp = { seq, rp_stamp_us_to_ntp (t1), RP_STAMP_EE_DEFAULT, 0 };
    guint8 buf[RP_STAMP_VOICE_FRAME_LEN];
    guint copies = (p->fwd_dup != 0 && seq == p->fwd_dup) ? 2 : 1;

    g_assert_cmpuint (seq, ==, i);
    g_assert_cmpuint (rp_stamp_sender_encode (&sp, sizeof buf, buf, sizeof buf), ==, sizeof buf);
    if (in (p->fwd_drop, p->n_fwd_drop, seq))
      continue;
    for (guint c = 0; c < copies; c++) {
      guint8 pkt[sizeof buf];
      gint64 t2 = t1 + CLOCK_OFFSET_US + p->fwd_delay_us + c * 100;
      gint64 t3 = t2 + 30;      /* reflector residence */
      gint64 t4;
      RpStampReflected d;

      memcpy (pkt, buf, sizeof pkt);
      g_assert_cmpint (rp_stamp_reflect (&refl, pkt, sizeof pkt, t2, t3, 64), ==, RP_STAMP_OK);
      rp_stamp_reflected_decode (pkt, sizeof pkt, &d);
      if (in (p->bwd_drop, p->n_bwd_drop, d.seq))
        continue;
      t4 = t3 - CLOCK_OFFSET_US + p->bwd_delay_us + (p->bwd_extra ? p->bwd_extra (seq) : 0);
      if (p->swap != 0 && seq == p->swap) {
        memcpy (held, pkt, sizeof held);
        held_t4 = t4;
        holding = TRUE;
        continue;
      }
      deliver (s, pkt, sizeof pkt, t4);
      if (holding && seq != p->swap) {
        deliver (s, held, sizeof held, MAX (held_t4, t4));
        holding = FALSE;
      }
      if (p->bwd_dup != 0 && seq == p->bwd_dup)
        deliver (s, pkt, sizeof pkt, t4 + 50);
    }
  }
  rp_voice_stats_summarize (s, out);
}

static RpVoiceSummary *
run_default (const Path *p)
{
  g_autoptr (RpVoiceStats) s = rp_voice_stats_new (NULL);
  RpVoiceSummary *out = g_new0 (RpVoiceSummary, 1);

  run (p, s, out);
  return out;
}

static void
test_clean_path (void)
{
  Path p = { .n = 500, .fwd_delay_us = 12 * MS, .bwd_delay_us = 18 * MS };
  g_autofree RpVoiceSummary *o = run_default (&p);

  g_assert_cmpuint (o->sent, ==, 500);
  g_assert_cmpuint (o->received, ==, 500);
  g_assert_cmpuint (o->lost, ==, 0);
  g_assert_true (o->directional);
  g_assert_cmpuint (o->forward.lost + o->backward.lost + o->unattributed, ==, 0);
  g_assert_cmpuint (o->duplicates + o->reordered + o->stale + o->bogus, ==, 0);
  g_assert_cmpuint (o->longest_burst, ==, 0);
  g_assert_cmpfloat (o->burst_ratio, ==, 1);
  /* RTT = 12 + 18 ms exactly, the 30 us residence and the clock offset
   * taken out */
  g_assert_cmpfloat (o->rtt_min_ms, ==, 30);
  g_assert_cmpfloat (o->rtt_max_ms, ==, 30);
  g_assert_cmpfloat (o->rtt_mean_ms, ==, 30);
  g_assert_cmpfloat (o->rtt_p50_ms, ==, 30);
  g_assert_cmpfloat (o->rtt_p99_ms, ==, 30);
  g_assert_cmpfloat (o->forward.jitter_ms, ==, 0);
  g_assert_cmpfloat (o->backward.jitter_max_ms, ==, 0);
  g_assert_cmpuint (o->forward.late + o->backward.late, ==, 0);
  g_assert_cmpuint (o->n_points, ==, 500);
  g_assert_cmpuint (o->points_stride, ==, 1);
  g_assert_cmpint (o->points[499].send_offset_us, ==, 499 * 20 * MS);
}

/* Forward loss of 10, 11, 12 (one burst of 3) and 300; the reflections
 * numbered 100 and 200 (sender numbers 103 and 203: three were lost before
 * them) lost on the way back. */
static void
test_loss_by_direction (void)
{
  static const guint fwd[] = { 10, 11, 12, 300 };
  static const guint bwd[] = { 100, 200 };
  Path p = { .n = 1000, .fwd_drop = fwd, .n_fwd_drop = 4, .bwd_drop = bwd, .n_bwd_drop = 2,
             .fwd_delay_us = 10 * MS, .bwd_delay_us = 10 * MS };
  g_autofree RpVoiceSummary *o = run_default (&p);

  g_assert_cmpuint (o->lost, ==, 6);
  g_assert_true (o->directional);
  g_assert_cmpuint (o->forward.lost, ==, 4);
  g_assert_cmpuint (o->backward.lost, ==, 2);
  g_assert_cmpuint (o->unattributed, ==, 0);
  g_assert_cmpuint (o->longest_burst, ==, 3);
  g_assert_cmpfloat_with_epsilon (o->loss_pct, 0.6, 1e-9);
  g_assert_cmpfloat_with_epsilon (o->forward.loss_pct, 0.4, 1e-9);
  /* backward: out of the 996 that reached the reflector */
  g_assert_cmpfloat_with_epsilon (o->backward.loss_pct, 100.0 * 2 / 996, 1e-9);
  /* 4 bursts of mean length 1.5; random loss at p = 0.006 gives 1/(1-p) */
  g_assert_cmpfloat_with_epsilon (o->burst_ratio, 1.5 * (1 - 0.006), 1e-9);
  /* the chart (1000 packets: two per point) shows the losses where they were */
  g_assert_cmpuint (o->points_stride, ==, 2);
  g_assert_cmpuint (o->points[5].lost, ==, 2);      /* 10, 11 */
  g_assert_cmpuint (o->points[6].lost, ==, 1);      /* 12 */
  g_assert_cmpuint (o->points[51].lost, ==, 1);     /* 103 */
  g_assert_cmpuint (o->points[52].lost, ==, 0);
  g_assert_cmpfloat (o->points[5].rtt_max_ms, ==, 0);
  g_assert_cmpfloat (o->points[6].rtt_max_ms, ==, 20);
}

/* The last two reflections are lost: nothing later tells which way. */
static void
test_tail_unattributed (void)
{
  static const guint fwd[] = { 5 };
  static const guint bwd[] = { 97, 98 };  /* sender numbers 98 and 99 */
  Path p = { .n = 100, .fwd_drop = fwd, .n_fwd_drop = 1, .bwd_drop = bwd, .n_bwd_drop = 2 };
  g_autofree RpVoiceSummary *o = run_default (&p);

  g_assert_cmpuint (o->lost, ==, 3);
  g_assert_cmpuint (o->forward.lost, ==, 1);
  g_assert_cmpuint (o->backward.lost, ==, 0);
  g_assert_cmpuint (o->unattributed, ==, 2);
  g_assert_cmpuint (o->longest_burst, ==, 2);
}

/* The tail of test_tail_unattributed, settled by a later packet's reply:
 * the reflector had counted 99 (all but 5), so 98 and 99 were lost on the
 * way back; had it counted 97, on the way out. A count below what the
 * replies already prove is not taken. */
static void
test_tail_counted (void)
{
  static const guint fwd[] = { 5 };
  static const guint bwd[] = { 97, 98 };
  static const guint out_fwd[] = { 5, 98, 99 };
  Path p = { .n = 100, .fwd_drop = fwd, .n_fwd_drop = 1, .bwd_drop = bwd, .n_bwd_drop = 2 };
  Path q = { .n = 100, .fwd_drop = out_fwd, .n_fwd_drop = 3 };
  g_autoptr (RpVoiceStats) s = rp_voice_stats_new (NULL);
  g_autoptr (RpVoiceStats) t = rp_voice_stats_new (NULL);
  g_autoptr (RpVoiceStats) u = rp_voice_stats_new (NULL);
  RpVoiceSummary o;

  rp_voice_stats_reflector_counted (s, 99);
  run (&p, s, &o);
  g_assert_cmpuint (o.forward.lost, ==, 1);
  g_assert_cmpuint (o.backward.lost, ==, 2);
  g_assert_cmpuint (o.unattributed, ==, 0);

  rp_voice_stats_reflector_counted (t, 97);
  run (&q, t, &o);
  g_assert_cmpuint (o.forward.lost, ==, 3);
  g_assert_cmpuint (o.backward.lost, ==, 0);
  g_assert_cmpuint (o.unattributed, ==, 0);

  rp_voice_stats_reflector_counted (u, 50);
  run (&p, u, &o);
  g_assert_cmpuint (o.forward.lost, ==, 1);
  g_assert_cmpuint (o.unattributed, ==, 2);
}

/* Without a counting reflector the loss cannot be split. */
static void
test_not_directional (void)
{
  static const guint fwd[] = { 5, 6 };
  Path p = { .n = 100, .fwd_drop = fwd, .n_fwd_drop = 2 };
  RpVoiceStatsConfig c;
  g_autoptr (RpVoiceStats) s = NULL;
  g_autofree RpVoiceSummary *o = g_new0 (RpVoiceSummary, 1);

  rp_voice_stats_config_init (&c);
  c.reflector_stateful = FALSE;
  s = rp_voice_stats_new (&c);
  run (&p, s, o);
  g_assert_false (o->directional);
  g_assert_cmpuint (o->lost, ==, 2);
  g_assert_cmpuint (o->unattributed, ==, 2);
  g_assert_cmpuint (o->forward.lost + o->backward.lost, ==, 0);
}

static void
test_duplicates (void)
{
  /* backward: the same reflection twice; forward: the reflector gets 40
   * twice and answers both (two reflector numbers) */
  Path p = { .n = 100, .bwd_dup = 20, .fwd_dup = 40 };
  g_autofree RpVoiceSummary *o = run_default (&p);

  g_assert_cmpuint (o->received, ==, 100);
  g_assert_cmpuint (o->duplicates, ==, 2);
  g_assert_cmpuint (o->lost, ==, 0);
  g_assert_true (o->directional);
  g_assert_cmpuint (o->forward.lost + o->backward.lost + o->unattributed, ==, 0);
}

static void
test_reordered (void)
{
  Path p = { .n = 100, .swap = 50 };
  g_autofree RpVoiceSummary *o = run_default (&p);

  g_assert_cmpuint (o->reordered, ==, 1);
  g_assert_cmpuint (o->lost, ==, 0);
  g_assert_cmpuint (o->duplicates, ==, 0);
}

/* Backward delay 10 ms, every 25th packet 100 ms more: later than the
 * median + 60 ms budget, so late for voice; 50 ms more would not be. */
static gint64
spikes_100 (guint seq)
{
  return seq % 25 == 0 ? 100 * MS : 0;
}

static gint64
spikes_50 (guint seq)
{
  return seq % 25 == 0 ? 50 * MS : 0;
}

static void
test_late (void)
{
  Path p = { .n = 1000, .fwd_delay_us = 10 * MS, .bwd_delay_us = 10 * MS, .bwd_extra = spikes_100 };
  g_autofree RpVoiceSummary *o = run_default (&p);
  g_autofree RpVoiceSummary *o2 = NULL;

  g_assert_cmpuint (o->lost, ==, 0);
  g_assert_cmpuint (o->backward.late, ==, 40);
  g_assert_cmpuint (o->forward.late, ==, 0);
  g_assert_cmpfloat_with_epsilon (o->backward.voice_loss_pct, 4.0, 1e-9);
  g_assert_cmpfloat (o->forward.jitter_max_ms, ==, 0);
  /* each spike is |D| = 100 ms twice (up, then down): J jumps by 100/16 */
  g_assert_cmpfloat (o->backward.jitter_max_ms, >=, 100.0 / 16);
  g_assert_cmpfloat_with_epsilon (o->backward.pdv_p95_ms, 0, 1e-9);
  g_assert_cmpfloat (o->rtt_max_ms, ==, 120);
  g_assert_cmpfloat (o->points[25].rtt_max_ms, ==, 120);

  p.bwd_extra = spikes_50;
  o2 = run_default (&p);
  g_assert_cmpuint (o2->backward.late, ==, 0);
}

/* A reflection that comes back more than a window late is stale (the
 * number was already judged lost); numbers never sent are bogus. */
static void
test_stale_and_bogus (void)
{
  g_autoptr (RpVoiceStats) s = rp_voice_stats_new (NULL);
  RpVoiceSample x = { 0, 0, 1000000, 5000000, 5000030, 1020000 };
  g_autofree RpVoiceSummary *o = g_new0 (RpVoiceSummary, 1);

  for (guint i = 0; i < RP_VOICE_SEQ_WINDOW + 10; i++)
    rp_voice_stats_sent (s, 1000000 + (gint64) i * 20 * MS);
  x.t4_us = 1000000 + (gint64) (RP_VOICE_SEQ_WINDOW + 10) * 20 * MS;
  rp_voice_stats_received (s, &x);
  x.sender_seq = RP_VOICE_SEQ_WINDOW + 10;       /* never sent */
  rp_voice_stats_received (s, &x);
  x.sender_seq = 20;
  x.t4_us = x.t1_us - 1;                         /* back before it left */
  rp_voice_stats_received (s, &x);
  rp_voice_stats_summarize (s, o);
  g_assert_cmpuint (o->stale, ==, 1);
  g_assert_cmpuint (o->bogus, ==, 2);
  g_assert_cmpuint (o->received, ==, 0);
  g_assert_cmpuint (o->lost, ==, o->sent);
  g_assert_cmpuint (o->longest_burst, ==, o->sent);
  g_assert_cmpfloat (o->burst_ratio, ==, 1);
  g_assert_cmpfloat (o->rtt_p95_ms, ==, 0);
}

static gint64
spikes_every_10 (guint seq)
{
  return seq % 10 == 0 ? 100 * MS : 0;
}

/* Long runs: at most RP_VOICE_MAX_POINTS points, none lost in the merge. */
static void
test_series_bounded (void)
{
  static const guint fwd[] = { 3333, 3334 };
  Path p = { .n = 601, .fwd_delay_us = 5 * MS, .bwd_delay_us = 5 * MS };
  g_autofree RpVoiceSummary *o = run_default (&p);
  g_autofree RpVoiceSummary *big = NULL;
  guint64 sent = 0, lost = 0;

  g_assert_cmpuint (o->points_stride, ==, 2);
  g_assert_cmpuint (o->n_points, ==, 301);
  g_assert_cmpuint (o->points[300].sent, ==, 1);
  g_assert_cmpint (o->points[1].send_offset_us, ==, 2 * 20 * MS);

  p = (Path) { .n = 7000, .fwd_drop = fwd, .n_fwd_drop = 2, .bwd_extra = spikes_every_10 };
  big = run_default (&p);
  g_assert_cmpuint (big->points_stride, ==, 16);
  g_assert_cmpuint (big->n_points, <=, RP_VOICE_MAX_POINTS);
  g_assert_cmpuint (big->n_points, >, RP_VOICE_MAX_POINTS / 2);
  for (guint i = 0; i < big->n_points; i++) {
    sent += big->points[i].sent;
    lost += big->points[i].lost;
    g_assert_cmpfloat (big->points[i].rtt_min_ms, <=, big->points[i].rtt_mean_ms);
    g_assert_cmpfloat (big->points[i].rtt_mean_ms, <=, big->points[i].rtt_max_ms);
    /* every full bucket (16 packets) holds a spike: min/max keep it; the
     * last one (6992..6999) holds none */
    if (i + 1 < big->n_points)
      g_assert_cmpfloat (big->points[i].rtt_max_ms, >=, 100);
    else
      g_assert_cmpfloat (big->points[i].rtt_max_ms, <, 100);
  }
  g_assert_cmpuint (sent, ==, 7000);
  g_assert_cmpuint (lost, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtc/stats/jitter-step", test_jitter_step);
  g_test_add_func ("/rtc/stats/histogram-vs-sort", test_histogram_vs_sort);
  g_test_add_func ("/rtc/stats/signed-histogram", test_signed_histogram);
  g_test_add_func ("/rtc/stats/clean-path", test_clean_path);
  g_test_add_func ("/rtc/stats/loss-by-direction", test_loss_by_direction);
  g_test_add_func ("/rtc/stats/tail-unattributed", test_tail_unattributed);
  g_test_add_func ("/rtc/stats/tail-counted", test_tail_counted);
  g_test_add_func ("/rtc/stats/not-directional", test_not_directional);
  g_test_add_func ("/rtc/stats/duplicates", test_duplicates);
  g_test_add_func ("/rtc/stats/reordered", test_reordered);
  g_test_add_func ("/rtc/stats/late", test_late);
  g_test_add_func ("/rtc/stats/stale-and-bogus", test_stale_and_bogus);
  g_test_add_func ("/rtc/stats/series-bounded", test_series_bounded);
  return g_test_run ();
}
