/* The voice stream every path shares (see voice-stream.h): STAMP
 * Session-Sender packets on an absolute schedule (rtc/voice/schedule.h), warm-up
 * first and not counted, then the measured stream numbered by rtc/stats so
 * it has no gaps, a drain for the packets in flight, and one way to turn
 * the statistics into a result: RTT percentiles, RFC 3550 jitter and loss
 * per direction, the E-model verdict (rtc/voice/verdict.h) and the chart series.
 *
 * A reflector whose count cannot be reset (rtcprobe serve keeps one per
 * session and path) has counted the warm-up too. Then the stream pauses
 * after the warm-up until its packets are back (or WARMUP_GAP_US), so the
 * reflector sees all of the warm-up before the measured stream, and its
 * numbers are taken relative to the count the warm-up reached (see
 * rp_voice_stream_received), so warm-up packets never read as loss.
 *
 * Watched (window_s > 0, `voice --watch`): each window of the stream has
 * statistics of its own besides the whole run's, numbered from its first
 * packet, kept open for DRAIN_US after the next window starts so its last
 * packets can come back, then judged and handed to rtc/voice/watch.h,
 * which finds the episodes; a line per window goes to the progress lines. */
#include "probe/net/voice-stream.h"

#include "probe/core/progress.h"
#include "rtc/voice/schedule.h"
#include "rtc/voice/stats.h"
#include "rtc/voice/watch.h"

#define DRAIN_US (1000 * 1000)
#define WARMUP_GAP_US (1000 * 1000)

/* One window of a watched stream. */
typedef struct {
  RpVoiceStats *stats;               /* NULL: no window */
  guint32 base;                      /* the run's number of its first packet */
  guint32 sent;
  guint32 r_floor;                   /* the reflector had counted this many before it */
  gboolean answered;                 /* one of its packets came back */
} Window;

typedef enum { PHASE_IDLE, PHASE_WARMUP, PHASE_GAP, PHASE_STREAM, PHASE_DRAIN, PHASE_DONE } Phase;

struct _RpVoiceStream {
  RpVoiceStreamConfig config;
  RpVoiceOptions voice;
  char *id, *rx_timestamps;
  gsize packet_size;
  Phase phase;
  guint warmup_packets, packets;
  guint warmup_back;                 /* warm-up packets that came back */
  guint32 r_warmup;                  /* the reflector had counted at least this many */
  gboolean have_r_base;
  guint32 r_base;                    /* reflector count after the warm-up */
  RpSchedule *warmup_schedule, *schedule;
  RpVoiceStats *stats;
  GSource *timer;                    /* gap or drain */
  gint64 stream_start_us;
  guint received;                    /* for the progress line */
  double last_rtt_ms;
  /* watched */
  RpWatch *watch;
  guint window_packets;
  Window current, closing;
  GSource *window_timer;             /* the closing window's drain */
  guint32 r_high;                    /* highest reflector count seen */
  gint64 start_wall_us;
};

static void watch_close_all (RpVoiceStream *s, gboolean judge_current);

RpVoiceStream *
rp_voice_stream_new (const RpVoiceStreamConfig *config)
{
  RpVoiceStream *s = g_new0 (RpVoiceStream, 1);
  RpVoiceStatsConfig sc;

  s->config = *config;
  s->voice = *config->voice;
  s->voice.turn = NULL;
  s->config.voice = &s->voice;
  s->id = g_strdup (config->id);
  s->config.id = s->id;
  s->rx_timestamps = g_strdup (config->rx_timestamps);
  s->config.rx_timestamps = s->rx_timestamps;
  s->packet_size = config->packet_size != 0 ? config->packet_size : config->voice->packet_size;
  s->warmup_packets = (guint) (s->voice.warmup_s * G_USEC_PER_SEC / s->voice.interval_us);
  s->packets = MAX (1, (guint) (s->voice.duration_s * G_USEC_PER_SEC / s->voice.interval_us));
  rp_voice_stats_config_init (&sc);
  sc.reflector_stateful = config->reflector_stateful;
  s->stats = rp_voice_stats_new (&sc);
  if (s->voice.window_s > 0) {
    RpWatchThresholds wt = { s->voice.thresholds.fail_loss_pct,
                             s->voice.thresholds.warn_jitter_ms };
    s->watch = rp_watch_new (&wt);
    s->window_packets =
      MAX (1, (guint) (s->voice.window_s * G_USEC_PER_SEC / s->voice.interval_us));
  }
  return s;
}

static void
clear_timer (RpVoiceStream *s)
{
  if (s->timer != NULL) {
    g_source_destroy (s->timer);
    g_clear_pointer (&s->timer, g_source_unref);
  }
}

static void
arm (RpVoiceStream *s, gint64 us, GSourceFunc fn)
{
  clear_timer (s);
  s->timer = g_timeout_source_new ((guint) (us / 1000));
  g_source_set_callback (s->timer, fn, s, NULL);
  g_source_attach (s->timer, s->config.context);
}

void
rp_voice_stream_free (RpVoiceStream *s)
{
  if (s == NULL)
    return;
  rp_progress_remove (s->id);
  clear_timer (s);
  watch_close_all (s, FALSE);
  rp_watch_free (s->watch);
  rp_schedule_free (s->warmup_schedule);
  rp_schedule_free (s->schedule);
  rp_voice_stats_free (s->stats);
  g_free (s->id);
  g_free (s->rx_timestamps);
  g_free (s);
}

gsize
rp_voice_stream_get_packet_size (const RpVoiceStream *s)
{
  return s->packet_size;
}

gboolean
rp_voice_stream_is_running (const RpVoiceStream *s)
{
  return s != NULL && s->phase != PHASE_IDLE && s->phase != PHASE_DONE;
}

/* ---- windows (watched) ---- */

/* "voice.turn.udp 14:02:10 RTT p50 40.1 ms p95 52.3 ms, jitter 1.2/1.5 ms,
 * loss 0.0/0.0 %, MOS 4.35": directions are uplink/downlink. */
static void
say_window (RpVoiceStream *s, const RpWatchWindow *w, guint started)
{
  gint64 at = s->start_wall_us + (gint64) (w->start_s * G_USEC_PER_SEC);
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_local (at / G_USEC_PER_SEC);
  g_autofree char *clock = t != NULL ? g_date_time_format (t, "%H:%M:%S") : g_strdup ("");
  g_autoptr (GString) line = g_string_new (NULL);

  g_string_append_printf (line, "%s %s ", s->id, clock);
  if (w->received == 0)
    g_string_append (line, "nothing came back");
  else
    g_string_append_printf (line,
                            "RTT p50 %.1f ms p95 %.1f ms, jitter %.1f/%.1f ms, loss %.1f/%.1f %%, "
                            "MOS %.2f",
                            w->rtt_p50_ms, w->rtt_p95_ms, w->jitter_ms[RP_WATCH_FWD],
                            w->jitter_ms[RP_WATCH_BWD], w->loss_pct[RP_WATCH_FWD],
                            w->loss_pct[RP_WATCH_BWD], w->mos);
  for (guint m = 0; m < RP_WATCH_METRICS; m++)
    for (guint d = 0; d < RP_WATCH_DIRECTIONS; d++)
      if (started & (1u << (m * 2 + d)))
        g_string_append_printf (line, " [%s episode on the %s starts]",
                                rp_watch_metric_to_string (m), rp_watch_direction_to_string (d));
  rp_progress_add_line (line->str);
}

/* Judges a window (its packets not back by now are lost) and frees it. */
static void
window_judge (RpVoiceStream *s, Window *win, gboolean judge)
{
  g_autofree RpVoiceSummary *sum = NULL;
  RpVoiceVerdictConfig vc;
  RpVoiceVerdict verdict;
  RpWatchWindow w = { 0 };

  if (win->stats == NULL)
    return;
  if (judge && win->sent > 0) {
    sum = g_new0 (RpVoiceSummary, 1);
    rp_voice_stats_summarize (win->stats, sum);
    rp_voice_verdict_config_init (&vc);
    vc.codec = s->voice.codec;
    vc.thresholds = s->voice.thresholds;
    rp_voice_judge (sum, &vc, &verdict);
    w.start_s = win->base * s->voice.interval_us / 1e6;
    w.end_s = (win->base + win->sent) * s->voice.interval_us / 1e6;
    w.sent = (guint) sum->sent;
    w.received = (guint) sum->received;
    w.rtt_p50_ms = sum->rtt_p50_ms;
    w.rtt_p95_ms = sum->rtt_p95_ms;
    w.jitter_ms[RP_WATCH_FWD] = sum->forward.jitter_mean_ms;
    w.jitter_ms[RP_WATCH_BWD] = sum->backward.jitter_mean_ms;
    rp_voice_direction_loss (sum, &w.loss_pct[RP_WATCH_FWD], &w.loss_pct[RP_WATCH_BWD]);
    w.mos = verdict.mos;
    say_window (s, &w, rp_watch_add (s->watch, &w));
    if (s->voice.tap != NULL && s->voice.tap->window != NULL)
      s->voice.tap->window (sum, s->voice.tap->data);
  }
  g_clear_pointer (&win->stats, rp_voice_stats_free);
}

static void
clear_window_timer (RpVoiceStream *s)
{
  if (s->window_timer != NULL) {
    g_source_destroy (s->window_timer);
    g_clear_pointer (&s->window_timer, g_source_unref);
  }
}

static gboolean
on_window_drained (gpointer data)
{
  RpVoiceStream *s = data;

  g_clear_pointer (&s->window_timer, g_source_unref);
  window_judge (s, &s->closing, TRUE);
  return G_SOURCE_REMOVE;
}

/* The stream is over (judge_current: drained) or stopped. */
static void
watch_close_all (RpVoiceStream *s, gboolean judge_current)
{
  if (s->watch == NULL)
    return;
  clear_window_timer (s);
  window_judge (s, &s->closing, TRUE);
  window_judge (s, &s->current, judge_current);
  rp_watch_finish (s->watch);
}

static void
watch_sent (RpVoiceStream *s, guint32 seq, gint64 t1_us)
{
  RpVoiceStatsConfig sc;

  if (seq % s->window_packets == 0) {
    /* The window before is judged once its last packets had DRAIN_US to
     * come back; windows are at least twice that long. */
    clear_window_timer (s);
    window_judge (s, &s->closing, TRUE);
    s->closing = s->current;
    s->current = (Window){ NULL, seq, 0, s->r_high, FALSE };
    rp_voice_stats_config_init (&sc);
    sc.reflector_stateful = s->config.reflector_stateful;
    s->current.stats = rp_voice_stats_new (&sc);
    if (s->closing.stats != NULL) {
      s->window_timer = g_timeout_source_new (DRAIN_US / 1000);
      g_source_set_callback (s->window_timer, on_window_drained, s, NULL);
      g_source_attach (s->window_timer, s->config.context);
    }
  }
  rp_voice_stats_sent (s->current.stats, t1_us);
  s->current.sent++;
}

/* A sample for the window its packet was sent in, numbered from the
 * window's first packet (the reflector's count from where it stood then). */
static void
window_received (Window *win, const RpVoiceSample *x)
{
  RpVoiceSample y = *x;

  if (win->stats == NULL || x->sender_seq < win->base || x->sender_seq - win->base >= win->sent)
    return;
  y.sender_seq = x->sender_seq - win->base;
  y.reflector_seq = x->reflector_seq >= win->r_floor ? x->reflector_seq - win->r_floor : 0;
  rp_voice_stats_received (win->stats, &y);
}

/* The current window's first answer: when it is the window's first packet,
 * or the reflector had counted nothing since the last answer we saw, its
 * count is where the reflector stood as the window began. That settles the
 * closing window's last packets (lost on the way out, or back), which no
 * answer of their own window can, and is the current window's exact floor. */
static void
window_first_answer (RpVoiceStream *s, const RpVoiceSample *x)
{
  Window *c = &s->closing;

  s->current.answered = TRUE;
  if (x->sender_seq != s->current.base && x->reflector_seq != s->current.r_floor)
    return;
  if (c->stats != NULL && x->reflector_seq >= c->r_floor)
    rp_voice_stats_reflector_counted (c->stats, x->reflector_seq - c->r_floor);
  s->current.r_floor = x->reflector_seq;
}

static void
watch_received (RpVoiceStream *s, const RpVoiceSample *x)
{
  if (!s->current.answered && x->sender_seq >= s->current.base &&
      x->sender_seq - s->current.base < s->current.sent)
    window_first_answer (s, x);
  window_received (&s->current, x);
  window_received (&s->closing, x);
  /* A late answer to an earlier window raises where the current one starts. */
  if (x->sender_seq < s->current.base)
    s->current.r_floor = MAX (s->current.r_floor, x->reflector_seq + 1);
  s->r_high = MAX (s->r_high, x->reflector_seq + 1);
}

/* ---- sending ---- */

static gboolean
on_drained (gpointer data)
{
  RpVoiceStream *s = data;

  g_clear_pointer (&s->timer, g_source_unref);
  s->phase = PHASE_DONE;
  rp_progress_remove (s->id);
  watch_close_all (s, TRUE);
  s->config.done (s->config.user_data);
  return G_SOURCE_REMOVE;
}

static void
send_one (RpVoiceStream *s, guint k, gboolean warmup)
{
  RpStampSender p = { 0 };
  gint64 t1 = g_get_monotonic_time ();

  p.error_estimate = RP_STAMP_EE_DEFAULT;
  if (warmup) {
    p.seq = RP_VOICE_WARMUP_SEQ | k;
  } else {
    if (k == 0) {
      s->stream_start_us = t1;
      s->start_wall_us = g_get_real_time ();
    }
    p.seq = rp_voice_stats_sent (s->stats, t1);
    if (s->watch != NULL)
      watch_sent (s, p.seq, t1);
  }
  p.timestamp = rp_stamp_us_to_ntp (t1);
  if (!warmup && k % 10 == 0)
    rp_progress_update (s->id, (t1 - s->stream_start_us) / 1e6, s->voice.duration_s, k, s->received,
                        s->last_rtt_ms);
  s->config.send (&p, warmup, s->config.user_data);
}

static void
on_stream_tick (RpSchedule *schedule, guint k, gint64 due_us, gpointer data)
{
  RpVoiceStream *s = data;

  if (s->phase != PHASE_STREAM)
    return;
  send_one (s, k, FALSE);
  if (k + 1 == s->packets) {
    s->phase = PHASE_DRAIN;
    arm (s, DRAIN_US, on_drained);
  }
}

static void
start_measured (RpVoiceStream *s)
{
  clear_timer (s);
  s->phase = PHASE_STREAM;
  s->schedule =
    rp_schedule_new (s->config.context, s->voice.interval_us, s->packets, on_stream_tick, s);
}

static gboolean
on_gap_over (gpointer data)
{
  RpVoiceStream *s = data;

  g_clear_pointer (&s->timer, g_source_unref);
  start_measured (s);
  return G_SOURCE_REMOVE;
}

/* One schedule for warm-up and stream, unless the reflector needs the gap. */
static void
on_tick (RpSchedule *schedule, guint k, gint64 due_us, gpointer data)
{
  RpVoiceStream *s = data;
  gboolean warmup = k < s->warmup_packets;

  if (s->phase != PHASE_WARMUP && s->phase != PHASE_STREAM)
    return;
  if (!warmup && s->phase == PHASE_WARMUP)
    s->phase = PHASE_STREAM;
  if (warmup) {
    send_one (s, k, TRUE);
    if (k + 1 == s->warmup_packets && s->config.reflector_counts_warmup) {
      s->phase = PHASE_GAP;
      if (s->warmup_back == s->warmup_packets)
        start_measured (s);
      else
        arm (s, WARMUP_GAP_US, on_gap_over);
    }
    return;
  }
  on_stream_tick (schedule, k - s->warmup_packets, due_us, data);
}

void
rp_voice_stream_start (RpVoiceStream *s)
{
  g_return_if_fail (s->phase == PHASE_IDLE);
  if (s->warmup_packets == 0) {
    start_measured (s);
    return;
  }
  s->phase = PHASE_WARMUP;
  if (s->config.reflector_counts_warmup)
    s->warmup_schedule =
      rp_schedule_new (s->config.context, s->voice.interval_us, s->warmup_packets, on_tick, s);
  else
    s->schedule = rp_schedule_new (s->config.context, s->voice.interval_us,
                                   s->warmup_packets + s->packets, on_tick, s);
}

void
rp_voice_stream_stop (RpVoiceStream *s)
{
  if (s == NULL)
    return;
  if (s->warmup_schedule != NULL)
    rp_schedule_stop (s->warmup_schedule);
  if (s->schedule != NULL)
    rp_schedule_stop (s->schedule);
  clear_timer (s);
  s->phase = PHASE_DONE;
  rp_progress_remove (s->id);
  /* The current window's packets in flight would read as loss: left out. */
  watch_close_all (s, FALSE);
}

/* ---- receiving ---- */

void
rp_voice_stream_received (RpVoiceStream *s, const RpStampReflected *p, gint64 t4_us)
{
  RpVoiceSample sample;

  if (s->phase == PHASE_IDLE || s->phase == PHASE_DONE)
    return;
  if (p->sender_seq & RP_VOICE_WARMUP_SEQ) {
    /* The reflector had counted seq + 1 packets when it answered this one. */
    s->r_warmup = MAX (s->r_warmup, p->seq + 1);
    s->warmup_back++;
    if (s->phase == PHASE_GAP && s->warmup_back >= s->warmup_packets)
      start_measured (s);
    return;
  }
  rp_voice_sample_from_stamp (&sample, p, t4_us);
  if (s->config.reflector_counts_warmup) {
    /* The first measured answer fixes where the count stood after the
     * warm-up: it had counted the warm-up plus at most the measured packets
     * before this one, exactly r when this is packet 0. When it is not,
     * assume those were lost on the way back (the warm-up's highest answer
     * is a floor), the choice that keeps the count consistent. */
    if (!s->have_r_base) {
      s->r_base = MAX (s->r_warmup, p->seq >= p->sender_seq ? p->seq - p->sender_seq : 0);
      s->r_base = MIN (s->r_base, p->seq);
      s->have_r_base = TRUE;
    }
    sample.reflector_seq = sample.reflector_seq >= s->r_base ? sample.reflector_seq - s->r_base : 0;
  }
  rp_voice_stats_received (s->stats, &sample);
  if (s->watch != NULL)
    watch_received (s, &sample);
  s->received++;
  s->last_rtt_ms = ((sample.t4_us - sample.t1_us) - (sample.t3_us - sample.t2_us)) / 1000.0;
  if (s->voice.tap != NULL && s->voice.tap->rtt != NULL)
    s->voice.tap->rtt (s->last_rtt_ms, s->voice.tap->data);
}

/* ---- the result ---- */

static void
series_details (RpCheckResult *r, const RpVoiceSummary *s, gint64 interval_us)
{
  g_autoptr (GString) rtt = g_string_new (NULL);
  g_autoptr (GString) lost = g_string_new (NULL);
  char num[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < s->n_points; i++) {
    const RpVoicePoint *p = &s->points[i];
    if (i > 0)
      g_string_append_c (rtt, ',');
    /* A point whose packets were all lost is a gap (an empty field). */
    if (p->lost < p->sent)
      g_string_append (rtt, g_ascii_formatd (num, sizeof num, "%.3f", p->rtt_mean_ms));
    if (p->lost > 0)
      g_string_append_printf (lost, "%s%u", lost->len ? "," : "", i);
  }
  rp_check_result_detail_str (r, "series.rtt_ms", rtt->str);
  rp_check_result_detail_str (r, "series.lost", lost->str);
  rp_check_result_detail_str (
    r, "series.interval_ms",
    g_ascii_formatd (num, sizeof num, "%.3f", s->points_stride * interval_us / 1000.0));
}

static void
write_metrics (const RpVoiceResultShape *v, RpCheckResult *r, const RpVoiceSummary *s,
               const RpVoiceVerdict *verdict, const char *blame)
{
  const RpSchedule *sched = v->schedule;

  rp_check_result_detail_int (r, "packets_sent", s->sent);
  rp_check_result_detail_int (r, "packets_received", s->received);
  if (s->received > 0) {
    rp_check_result_metric (r, "rtt_ms_min", s->rtt_min_ms);
    rp_check_result_metric (r, "rtt_ms_p50", s->rtt_p50_ms);
    rp_check_result_metric (r, "rtt_ms_p95", s->rtt_p95_ms);
    rp_check_result_metric (r, "rtt_ms_p99", s->rtt_p99_ms);
    rp_check_result_metric (r, "rtt_ms_max", s->rtt_max_ms);
    rp_check_result_metric (r, "jitter_ms_fwd", s->forward.jitter_mean_ms);
    rp_check_result_metric (r, "jitter_ms_bwd", s->backward.jitter_mean_ms);
  }
  rp_check_result_metric (r, "loss_pct", s->loss_pct);
  if (s->directional) {
    rp_check_result_metric (r, "loss_pct_fwd", s->forward.loss_pct);
    rp_check_result_metric (r, "loss_pct_bwd", s->backward.loss_pct);
    rp_check_result_detail_int (r, "late_fwd", s->forward.late);
    rp_check_result_detail_int (r, "late_bwd", s->backward.late);
  }
  rp_check_result_detail_int (r, "longest_loss_burst", s->longest_burst);
  /* Lost after the last packet the reflector answered: no direction can be told. */
  rp_check_result_detail_int (r, "lost_unattributed", s->unattributed);
  rp_check_result_detail_int (r, "reordered", s->reordered);
  rp_check_result_detail_int (r, "duplicates", s->duplicates);
  rp_check_result_metric (r, "mos", verdict->mos);
  rp_check_result_metric (r, "r_factor", MIN (verdict->forward.r, verdict->backward.r));
  rp_check_result_detail_str (
    r, "grade",
    rp_grade_to_string (rp_emodel_grade (MIN (verdict->forward.r, verdict->backward.r))));
  rp_check_result_detail_str (r, "codec", rp_codec_profile (v->voice->codec)->name);
  rp_check_result_detail_int (r, "packet_bytes", v->packet_size);
  rp_check_result_metric (r, "interval_ms", v->voice->interval_us / 1000.0);
  if (sched != NULL) {
    /* The sender's self-check: how late its own schedule ran. */
    rp_check_result_metric (r, "schedule_error_ms_p99",
                            rp_histogram_percentile (rp_schedule_lateness (sched), 99) / 1000.0);
    rp_check_result_detail_bool (r, "schedule_precise", rp_schedule_is_precise (sched));
  }
  if (v->rx_timestamps != NULL)
    rp_check_result_detail_str (r, "rx_timestamps", v->rx_timestamps);
  if (blame != NULL)
    rp_check_result_detail_str (r, "blame", blame);
  series_details (r, s, v->voice->interval_us);
}

void
rp_voice_stats_write_result (const RpVoiceStats *stats, const RpVoiceResultShape *v,
                             RpCheckResult *r, const RpVoiceStreamWords *w)
{
  g_autofree RpVoiceSummary *s = g_new0 (RpVoiceSummary, 1);
  RpVoiceVerdictConfig vc;
  RpVoiceVerdict verdict;
  g_autofree char *blame = NULL;
  double fwd, bwd;

  rp_voice_stats_summarize (stats, s);
  rp_voice_verdict_config_init (&vc);
  vc.codec = v->voice->codec;
  vc.thresholds = v->voice->thresholds;
  rp_voice_judge (s, &vc, &verdict);
  rp_voice_direction_loss (s, &fwd, &bwd);
  blame = rp_voice_blame_describe (&verdict.blame);
  write_metrics (v, r, s, &verdict, blame);

  if (s->received == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL, "%s", w->no_media_summary);
    rp_check_result_set_hint (r, "%s", w->no_media_hint);
  } else {
    RpStatus st = verdict.status == RP_VOICE_PASS ? RP_STATUS_PASS
                  : verdict.status == RP_VOICE_WARN ? RP_STATUS_WARN : RP_STATUS_FAIL;
    rp_check_result_set (
      r, st,
      "MOS %.2f (%s) %s: RTT p50 %.3f ms, p95 %.3f ms; jitter %.3f/%.3f ms; loss "
      "%.2f %% (fwd %.2f, bwd %.2f)",
      verdict.mos,
      rp_grade_to_string (rp_emodel_grade (MIN (verdict.forward.r, verdict.backward.r))), w->over,
      s->rtt_p50_ms, s->rtt_p95_ms, s->forward.jitter_mean_ms, s->backward.jitter_mean_ms,
      s->loss_pct, fwd, bwd);
    if (st != RP_STATUS_PASS) {
      g_autoptr (GString) why = g_string_new (NULL);
      if (verdict.reasons & RP_VOICE_REASON_LOSS)
        g_string_append_printf (why, "packets are lost%s%s%s; ", blame ? " (" : "",
                                blame ? blame : "", blame ? ")" : "");
      if (verdict.reasons & RP_VOICE_REASON_JITTER)
        g_string_append (why, "delay varies more than a jitter buffer hides; ");
      if (verdict.reasons & RP_VOICE_REASON_RTT)
        g_string_append (why, "the round trip is long enough for people to talk over each other; ");
      if (verdict.reasons & RP_VOICE_REASON_MOS)
        g_string_append (why, "the estimated call quality is below what users accept; ");
      g_string_append (why, w->advice);
      rp_check_result_set_hint (r, "%s", why->str);
    }
  }
}

/* One comma-separated series of window figures ("%.3f"). */
static void
window_series (RpCheckResult *r, const char *name, const RpWatchWindow *w, guint n, gsize offset)
{
  g_autoptr (GString) out = g_string_new (NULL);
  char num[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < n; i++) {
    double v = *(const double *) ((const char *) &w[i] + offset);
    g_string_append_printf (out, "%s%s", i ? "," : "",
                            g_ascii_formatd (num, sizeof num, "%.3f", v));
  }
  rp_check_result_detail_str (r, name, out->str);
}

/* The windows (series.window.*), the episodes ("loss,uplink,START_S,END_S,WORST;..."),
 * and the episodes in the summary: a stream with an episode is no pass. */
static void
watch_write (RpVoiceStream *v, RpCheckResult *r)
{
  guint n, ne;
  const RpWatchWindow *w = rp_watch_get_windows (v->watch, &n);
  const RpWatchEpisode *e = rp_watch_get_episodes (v->watch, &ne);
  g_autoptr (GString) eps = g_string_new (NULL);
  g_autoptr (GDateTime) t0 = g_date_time_new_from_unix_utc (v->start_wall_us / G_USEC_PER_SEC);
  g_autofree char *words = rp_watch_describe (v->watch, v->start_wall_us);
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];

  rp_check_result_metric (r, "watch_window_s", v->voice.window_s);
  rp_check_result_metric (r, "episodes", rp_watch_count_episodes (v->watch));
  if (t0 != NULL) {
    g_autofree char *iso = g_date_time_format_iso8601 (t0);
    rp_check_result_detail_str (r, "watch.started", iso);
  }
  window_series (r, "series.window.start_s", w, n, G_STRUCT_OFFSET (RpWatchWindow, start_s));
  window_series (r, "series.window.end_s", w, n, G_STRUCT_OFFSET (RpWatchWindow, end_s));
  window_series (r, "series.window.rtt_p50_ms", w, n, G_STRUCT_OFFSET (RpWatchWindow, rtt_p50_ms));
  window_series (r, "series.window.rtt_p95_ms", w, n, G_STRUCT_OFFSET (RpWatchWindow, rtt_p95_ms));
  window_series (r, "series.window.loss_pct_fwd", w, n,
                 G_STRUCT_OFFSET (RpWatchWindow, loss_pct[RP_WATCH_FWD]));
  window_series (r, "series.window.loss_pct_bwd", w, n,
                 G_STRUCT_OFFSET (RpWatchWindow, loss_pct[RP_WATCH_BWD]));
  window_series (r, "series.window.jitter_ms_fwd", w, n,
                 G_STRUCT_OFFSET (RpWatchWindow, jitter_ms[RP_WATCH_FWD]));
  window_series (r, "series.window.jitter_ms_bwd", w, n,
                 G_STRUCT_OFFSET (RpWatchWindow, jitter_ms[RP_WATCH_BWD]));
  window_series (r, "series.window.mos", w, n, G_STRUCT_OFFSET (RpWatchWindow, mos));
  for (guint i = 0; i < ne; i++)
    g_string_append_printf (eps, "%s%s,%s,%s,%s,%s", i ? ";" : "",
                            rp_watch_metric_to_string (e[i].metric),
                            rp_watch_direction_to_string (e[i].direction),
                            g_ascii_formatd (a, sizeof a, "%.1f", e[i].start_s),
                            g_ascii_formatd (b, sizeof b, "%.1f", e[i].end_s),
                            g_ascii_formatd (c, sizeof c, "%.3f", e[i].worst));
  rp_check_result_detail_str (r, "watch.episodes", eps->str);
  if (words != NULL) {
    g_autofree char *was = g_strdup (r->summary);
    rp_check_result_set (r, r->status == RP_STATUS_PASS ? RP_STATUS_WARN : r->status, "%s; %s",
                         words, was);
    if (r->hint == NULL)
      rp_check_result_set_hint (r, "the stream was good on the whole but not all the time: "
                                   "compare the episodes' times with what else ran then "
                                   "(backups, a saturated uplink, the server's host)");
  }
}

void
rp_voice_stream_write_result (RpVoiceStream *v, RpCheckResult *r, const RpVoiceStreamWords *w,
                              gboolean cut_short)
{
  RpVoiceResultShape shape = {
    &v->voice, v->packet_size, v->schedule != NULL ? v->schedule : v->warmup_schedule,
    v->rx_timestamps,
  };

  rp_voice_stats_write_result (v->stats, &shape, r, w);
  if (v->watch != NULL)
    watch_write (v, r);
  if (cut_short) {
    rp_check_result_detail_bool (r, "cut_short", TRUE);
    if (r->status == RP_STATUS_PASS)
      r->status = RP_STATUS_WARN;
    rp_check_result_set_hint (
      r, "the run's deadline stopped the stream early: raise --timeout above --duration");
  }
}
