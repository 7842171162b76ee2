/* The exporter's watches (see exporter-watch.h). Each watch runs one voice
 * stream at a time through the prober (`voice --watch 1h` with the
 * section's keys); the stream's tap feeds the counters here. Losses that
 * cannot be given a direction (nothing came back after them) are counted
 * under direction="unknown". Histograms are written cumulative, with
 * le="+Inf", _sum and _count, as client libraries write them. */
#include "exporter/exporter-watch.h"

#include <stdio.h>

static const double buckets_s[] = { 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1 };
#define N_BUCKETS G_N_ELEMENTS (buckets_s)

typedef struct {
  guint64 counts[N_BUCKETS + 1];   /* per bucket, the last one over 1 s */
  double sum;
  guint64 count;
} Histogram;

typedef struct {
  RpExporterWatches *owner;
  const RpExporterModule *m;
  RpVoiceTap tap;
  gpointer probe;                  /* the stream, while it runs */
  GSource *retry;
  guint failures;                  /* in a row */
  guint dead_windows;              /* in a row, nothing came back */
  gboolean aborted_dead;
  gboolean up;
  guint64 starts, sent, windows, bursty_windows;
  guint64 lost[3];                 /* forward, backward, unknown */
  guint64 late[2];
  Histogram rtt, jitter[2];
} Watch;

struct _RpExporterWatches {
  const RpExporterProber *prober;
  GPtrArray *watches;              /* Watch * */
  gboolean stopping;
  GSourceFunc idle;
  gpointer idle_data;
};

static void
observe (Histogram *h, double seconds)
{
  guint i = 0;

  while (i < N_BUCKETS && seconds > buckets_s[i])
    i++;
  h->counts[i]++;
  h->sum += seconds;
  h->count++;
}

static void
on_window (const RpVoiceSummary *s, gpointer data)
{
  Watch *w = data;

  w->windows++;
  w->sent += s->sent;
  w->lost[0] += s->forward.lost;
  w->lost[1] += s->backward.lost;
  w->lost[2] += s->unattributed;
  w->late[0] += s->forward.late;
  w->late[1] += s->backward.late;
  w->bursty_windows += s->longest_burst >= 2;
  if (s->received > 0) {
    observe (&w->jitter[0], s->forward.jitter_mean_ms / 1000);
    observe (&w->jitter[1], s->backward.jitter_mean_ms / 1000);
  }
  w->up = s->received > 0;
  w->dead_windows = s->received > 0 ? 0 : w->dead_windows + 1;
  if (w->dead_windows == RP_WATCH_DEAD_WINDOWS && w->probe != NULL && !w->aborted_dead) {
    w->aborted_dead = TRUE;
    w->owner->prober->abort (w->probe);
  }
}

static void
on_rtt (double rtt_ms, gpointer data)
{
  observe (&((Watch *) data)->rtt, rtt_ms / 1000);
}

static void start_one (Watch *w);

static gboolean
on_retry (gpointer data)
{
  Watch *w = data;

  g_clear_pointer (&w->retry, g_source_unref);
  start_one (w);
  return G_SOURCE_REMOVE;
}

static void
retry_later (Watch *w, const char *why)
{
  guint delay = RP_WATCH_RETRY_MIN_S << MIN (w->failures, 6);

  delay = MIN (delay, RP_WATCH_RETRY_MAX_S);
  w->failures++;
  w->up = FALSE;
  fprintf (stderr, "rtcprobe exporter: [watch %s] %s; trying again in %u s\n", w->m->name, why,
           delay);
  w->retry = g_timeout_source_new_seconds (delay);
  g_source_set_callback (w->retry, on_retry, w, NULL);
  g_source_attach (w->retry, NULL);
}

static void
maybe_idle (RpExporterWatches *x)
{
  if (x->stopping && !rp_exporter_watches_running (x) && x->idle != NULL) {
    GSourceFunc idle = x->idle;
    x->idle = NULL;
    g_idle_add (idle, x->idle_data);
  }
}

/* The first voice check that got nothing back, or NULL. */
static const RpCheckResult *
failed_check (const RpReport *report)
{
  for (guint i = 0; i < report->checks->len; i++) {
    const RpCheckResult *r = g_ptr_array_index (report->checks, i);
    const RpDetail *d = rp_check_result_get_detail (r, "packets_received");
    if (g_str_equal (r->kind, "voice") && (d == NULL || d->type != RP_DETAIL_INT || d->num == 0))
      return r;
  }
  return NULL;
}

static void
on_done (RpReport *report, gpointer data)
{
  Watch *w = data;
  RpExporterWatches *x = w->owner;
  const RpCheckResult *bad = failed_check (report);

  w->probe = NULL;
  if (!x->stopping) {
    if (w->aborted_dead) {
      retry_later (w, "nothing came back for " G_STRINGIFY (RP_WATCH_DEAD_WINDOWS) " windows");
    } else if (bad != NULL || report->checks->len == 0) {
      const char *said = bad != NULL && bad->summary != NULL ? bad->summary : "no check ran";
      g_autofree char *why = g_strdup_printf ("could not stream: %s", said);
      retry_later (w, why);
    } else {
      w->failures = 0;
      start_one (w);
    }
  }
  rp_report_free (report);
  maybe_idle (x);
}

static void
start_one (Watch *w)
{
  g_autoptr (GError) error = NULL;

  w->aborted_dead = FALSE;
  w->dead_windows = 0;
  w->starts++;
  w->probe = w->owner->prober->start_watch (w->m, &w->tap, on_done, w, &error);
  if (w->probe == NULL)
    retry_later (w, error->message);
}

RpExporterWatches *
rp_exporter_watches_new (const RpExporterConfig *c, const RpExporterProber *prober)
{
  RpExporterWatches *x = g_new0 (RpExporterWatches, 1);

  x->prober = prober;
  x->watches = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < c->watches->len; i++) {
    Watch *w = g_new0 (Watch, 1);
    w->owner = x;
    w->m = g_ptr_array_index (c->watches, i);
    w->tap = (RpVoiceTap){ on_window, on_rtt, w };
    g_ptr_array_add (x->watches, w);
  }
  return x;
}

void
rp_exporter_watches_start (RpExporterWatches *x)
{
  for (guint i = 0; i < x->watches->len; i++)
    start_one (g_ptr_array_index (x->watches, i));
}

gboolean
rp_exporter_watches_running (const RpExporterWatches *x)
{
  for (guint i = 0; i < x->watches->len; i++)
    if (((Watch *) g_ptr_array_index (x->watches, i))->probe != NULL)
      return TRUE;
  return FALSE;
}

void
rp_exporter_watches_stop (RpExporterWatches *x, GSourceFunc idle, gpointer data)
{
  x->stopping = TRUE;
  x->idle = idle;
  x->idle_data = data;
  for (guint i = 0; i < x->watches->len; i++) {
    Watch *w = g_ptr_array_index (x->watches, i);
    if (w->retry != NULL) {
      g_source_destroy (w->retry);
      g_clear_pointer (&w->retry, g_source_unref);
    }
    if (w->probe != NULL)
      x->prober->abort (w->probe);
  }
  maybe_idle (x);
}

void
rp_exporter_watches_free (RpExporterWatches *x)
{
  if (x == NULL)
    return;
  for (guint i = 0; i < x->watches->len; i++) {
    Watch *w = g_ptr_array_index (x->watches, i);
    if (w->retry != NULL) {
      g_source_destroy (w->retry);
      g_source_unref (w->retry);
    }
  }
  g_ptr_array_unref (x->watches);
  g_free (x);
}

/* ---- the exposition ---- */

static void
head (GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
histogram (GString *out, const char *name, const char *labels, const Histogram *h)
{
  char num[G_ASCII_DTOSTR_BUF_SIZE];
  guint64 acc = 0;

  for (guint i = 0; i <= N_BUCKETS; i++) {
    acc += h->counts[i];
    if (i < N_BUCKETS)
      g_string_append_printf (out, "%s_bucket{%s,le=\"%s\"} %" G_GUINT64_FORMAT "\n", name, labels,
                              g_ascii_formatd (num, sizeof num, "%g", buckets_s[i]), acc);
    else
      g_string_append_printf (out, "%s_bucket{%s,le=\"+Inf\"} %" G_GUINT64_FORMAT "\n", name,
                              labels, acc);
  }
  g_string_append_printf (out, "%s_sum{%s} %s\n", name, labels,
                          g_ascii_formatd (num, sizeof num, "%.9g", h->sum));
  g_string_append_printf (out, "%s_count{%s} %" G_GUINT64_FORMAT "\n", name, labels, h->count);
}

typedef enum { SENT, LOST, LATE, BURSTY, WINDOWS, STARTS, UP, RTT, JITTER, N_FAMILIES } Family;

static void
family (GString *out, const Watch *w, Family f)
{
  static const char *const dirs[] = { "forward", "backward", "unknown" };
  g_autofree char *l = g_strdup_printf ("watch=\"%s\"", w->m->name);
  char labels[256];

  switch (f) {
  case SENT:
    g_string_append_printf (out, "rtcprobe_watch_packets_sent_total{%s} %" G_GUINT64_FORMAT "\n",
                            l, w->sent);
    break;
  case LOST:
    for (guint d = 0; d < 3; d++)
      g_string_append_printf (out,
                              "rtcprobe_watch_packets_lost_total{%s,direction=\"%s\"} "
                              "%" G_GUINT64_FORMAT "\n", l, dirs[d], w->lost[d]);
    break;
  case LATE:
    for (guint d = 0; d < 2; d++)
      g_string_append_printf (out,
                              "rtcprobe_watch_late_packets_total{%s,direction=\"%s\"} "
                              "%" G_GUINT64_FORMAT "\n", l, dirs[d], w->late[d]);
    break;
  case BURSTY:
    g_string_append_printf (out, "rtcprobe_watch_loss_burst_windows_total{%s} %" G_GUINT64_FORMAT
                            "\n", l, w->bursty_windows);
    break;
  case WINDOWS:
    g_string_append_printf (out, "rtcprobe_watch_windows_total{%s} %" G_GUINT64_FORMAT "\n", l,
                            w->windows);
    break;
  case STARTS:
    g_string_append_printf (out, "rtcprobe_watch_stream_starts_total{%s} %" G_GUINT64_FORMAT "\n",
                            l, w->starts);
    break;
  case UP:
    g_string_append_printf (out, "rtcprobe_watch_up{%s} %d\n", l, w->up ? 1 : 0);
    break;
  case RTT:
    histogram (out, "rtcprobe_watch_rtt_seconds", l, &w->rtt);
    break;
  case JITTER:
    for (guint d = 0; d < 2; d++) {
      g_snprintf (labels, sizeof labels, "%s,direction=\"%s\"", l, dirs[d]);
      histogram (out, "rtcprobe_watch_jitter_seconds", labels, &w->jitter[d]);
    }
    break;
  default:
    break;
  }
}

void
rp_exporter_watches_render (const RpExporterWatches *x, GString *out)
{
  static const struct {
    const char *name, *type, *help;
  } heads[N_FAMILIES] = {
    { "rtcprobe_watch_packets_sent_total", "counter", "Voice packets sent by the watch." },
    { "rtcprobe_watch_packets_lost_total", "counter",
      "Voice packets lost, by direction (unknown: nothing came back after them)." },
    { "rtcprobe_watch_late_packets_total", "counter",
      "Voice packets that came later than the jitter buffer allows." },
    { "rtcprobe_watch_loss_burst_windows_total", "counter",
      "Windows with a burst of two or more consecutive packets lost." },
    { "rtcprobe_watch_windows_total", "counter", "Windows of the stream judged." },
    { "rtcprobe_watch_stream_starts_total", "counter",
      "Streams started (the first, and each reconnection)." },
    { "rtcprobe_watch_up", "gauge", "1 when the last window got packets back." },
    { "rtcprobe_watch_rtt_seconds", "histogram", "Round-trip time of each voice packet." },
    { "rtcprobe_watch_jitter_seconds", "histogram",
      "RFC 3550 jitter per window (its mean), by direction." },
  };

  if (x->watches->len == 0)
    return;
  for (guint f = 0; f < N_FAMILIES; f++) {
    head (out, heads[f].name, heads[f].type, heads[f].help);
    for (guint i = 0; i < x->watches->len; i++)
      family (out, g_ptr_array_index (x->watches, i), f);
  }
}
