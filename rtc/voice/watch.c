/* Windows and episodes of a watched voice stream (see watch.h). An episode
 * opens at the first window over a threshold and closes at the first one
 * under it; its end is the end of the last window over the line, so its
 * start and end are within one window of the truth. */
#include "rtc/voice/watch.h"

struct _RpWatch {
  RpWatchThresholds t;
  RpWatchWindow windows[RP_WATCH_MAX_WINDOWS];
  guint n_windows;
  RpWatchEpisode open[RP_WATCH_METRICS][RP_WATCH_DIRECTIONS];
  gboolean is_open[RP_WATCH_METRICS][RP_WATCH_DIRECTIONS];
  RpWatchEpisode episodes[RP_WATCH_MAX_EPISODES];
  guint n_episodes, total_episodes;
};

RpWatch *
rp_watch_new (const RpWatchThresholds *t)
{
  RpWatch *w = g_new0 (RpWatch, 1);

  w->t = *t;
  return w;
}

void
rp_watch_free (RpWatch *w)
{
  g_free (w);
}

/* Two neighbouring windows as one: the worse of their figures, loss
 * weighted by the packets sent. */
static void
merge (RpWatchWindow *a, const RpWatchWindow *b)
{
  guint sent = a->sent + b->sent;

  for (guint d = 0; d < RP_WATCH_DIRECTIONS; d++) {
    a->loss_pct[d] = sent > 0 ? (a->loss_pct[d] * a->sent + b->loss_pct[d] * b->sent) / sent : 0;
    a->jitter_ms[d] = MAX (a->jitter_ms[d], b->jitter_ms[d]);
  }
  a->rtt_p50_ms = (a->rtt_p50_ms + b->rtt_p50_ms) / 2;
  a->rtt_p95_ms = MAX (a->rtt_p95_ms, b->rtt_p95_ms);
  a->mos = MIN (a->mos, b->mos);
  a->end_s = b->end_s;
  a->sent = sent;
  a->received += b->received;
}

static void
keep_window (RpWatch *w, const RpWatchWindow *win)
{
  if (w->n_windows == RP_WATCH_MAX_WINDOWS) {
    for (guint i = 0; i < RP_WATCH_MAX_WINDOWS / 2; i++) {
      w->windows[i] = w->windows[2 * i];
      merge (&w->windows[i], &w->windows[2 * i + 1]);
    }
    w->n_windows = RP_WATCH_MAX_WINDOWS / 2;
  }
  w->windows[w->n_windows++] = *win;
}

static void
close_episode (RpWatch *w, guint m, guint d)
{
  if (!w->is_open[m][d])
    return;
  w->is_open[m][d] = FALSE;
  w->total_episodes++;
  if (w->n_episodes < RP_WATCH_MAX_EPISODES)
    w->episodes[w->n_episodes++] = w->open[m][d];
}

guint
rp_watch_add (RpWatch *w, const RpWatchWindow *win)
{
  guint started = 0;

  if (win->sent == 0)
    return 0;
  keep_window (w, win);
  for (guint m = 0; m < RP_WATCH_METRICS; m++) {
    for (guint d = 0; d < RP_WATCH_DIRECTIONS; d++) {
      double v = m == RP_WATCH_LOSS ? win->loss_pct[d] : win->jitter_ms[d];
      double line = m == RP_WATCH_LOSS ? w->t.loss_pct : w->t.jitter_ms;
      RpWatchEpisode *e = &w->open[m][d];
      if (!(v > line)) {
        close_episode (w, m, d);
        continue;
      }
      if (!w->is_open[m][d]) {
        w->is_open[m][d] = TRUE;
        *e = (RpWatchEpisode){ m, d, win->start_s, win->end_s, v };
        started |= 1u << (m * 2 + d);
      }
      e->end_s = win->end_s;
      e->worst = MAX (e->worst, v);
    }
  }
  return started;
}

void
rp_watch_finish (RpWatch *w)
{
  for (guint m = 0; m < RP_WATCH_METRICS; m++)
    for (guint d = 0; d < RP_WATCH_DIRECTIONS; d++)
      close_episode (w, m, d);
}

const RpWatchWindow *
rp_watch_get_windows (const RpWatch *w, guint *n)
{
  *n = w->n_windows;
  return w->windows;
}

const RpWatchEpisode *
rp_watch_get_episodes (const RpWatch *w, guint *n)
{
  *n = w->n_episodes;
  return w->episodes;
}

guint
rp_watch_count_episodes (const RpWatch *w)
{
  return w->total_episodes;
}

const char *
rp_watch_metric_to_string (RpWatchMetric m)
{
  return m == RP_WATCH_LOSS ? "loss" : "jitter";
}

const char *
rp_watch_direction_to_string (guint direction)
{
  return direction == RP_WATCH_FWD ? "uplink" : "downlink";
}

static void
append_clock (GString *out, gint64 start_wall_us, double offset_s)
{
  gint64 us = start_wall_us + (gint64) (offset_s * G_USEC_PER_SEC);
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_local (us / G_USEC_PER_SEC);

  if (t == NULL) {
    g_string_append_printf (out, "+%.0f s", offset_s);
    return;
  }
  g_autofree char *s = g_date_time_format (t, "%H:%M:%S");
  g_string_append (out, s);
}

/* One clause: "2 episodes of loss over 5 % on the uplink, 14:02:00-14:02:20, ...". */
static void
describe_one (const RpWatch *w, guint m, guint d, gint64 start_wall_us, GString *out)
{
  guint count = 0, listed = 0;

  for (guint i = 0; i < w->n_episodes; i++)
    count += w->episodes[i].metric == m && w->episodes[i].direction == d;
  if (count == 0)
    return;
  if (out->len > 0)
    g_string_append (out, "; ");
  if (m == RP_WATCH_LOSS)
    g_string_append_printf (out, "%u episode%s of loss over %g %% on the %s", count,
                            count == 1 ? "" : "s", w->t.loss_pct, rp_watch_direction_to_string (d));
  else
    g_string_append_printf (out, "%u episode%s of jitter over %g ms on the %s", count,
                            count == 1 ? "" : "s", w->t.jitter_ms,
                            rp_watch_direction_to_string (d));
  for (guint i = 0; i < w->n_episodes && listed < 3; i++) {
    const RpWatchEpisode *e = &w->episodes[i];
    if (e->metric != m || e->direction != d)
      continue;
    g_string_append (out, ", ");
    append_clock (out, start_wall_us, e->start_s);
    g_string_append_c (out, '-');
    append_clock (out, start_wall_us, e->end_s);
    listed++;
  }
  if (count > listed)
    g_string_append (out, ", ...");
}

char *
rp_watch_describe (const RpWatch *w, gint64 start_wall_us)
{
  GString *out = g_string_new (NULL);

  for (guint m = 0; m < RP_WATCH_METRICS; m++)
    for (guint d = 0; d < RP_WATCH_DIRECTIONS; d++)
      describe_one (w, m, d, start_wall_us, out);
  if (w->total_episodes > w->n_episodes)
    g_string_append_printf (out, " (%u more not kept)", w->total_episodes - w->n_episodes);
  if (out->len == 0) {
    g_string_free (out, TRUE);
    return NULL;
  }
  return g_string_free (out, FALSE);
}
