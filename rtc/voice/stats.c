/* Streaming voice statistics. Everything is judged per sender sequence
 * number inside a sliding window of RP_VOICE_SEQ_WINDOW numbers that moves
 * with the sending: a number leaving the window is final (came back or
 * lost), which is when loss bursts are counted. The reflector's own
 * counter (RFC 8762 4.3.1, stateful mode) splits the loss by direction:
 *
 *   R = highest reflector number + 1   packets the reflector received
 *   W = sender number it echoed + 1    packets we had sent by then
 *   forward  = W - (R - forward duplicates)   never reached the reflector
 *   backward = R - distinct reflector numbers received   lost on the way back
 *
 * Packets sent after the last one the reflector is known to have seen
 * cannot be attributed and are reported as such. */
#include "rtc/voice/stats.h"

#include <math.h>
#include <string.h>

#define WIN RP_VOICE_SEQ_WINDOW
#define WORDS (WIN / 64)

typedef struct {
  gboolean have;
  gint64 base_us;               /* first transit: the clock offset, cancelled */
  double prev_ms;
  double j, j_sum, j_max;
  guint64 j_n;
  RpSignedHistogram var;        /* transit - base, us */
} Direction;

typedef struct {
  gint64 first_send_us;
  guint sent, received;
  gint64 rtt_min, rtt_max, rtt_sum;
} Bucket;

/* A ring of bits for numbers base .. base + WIN - 1. */
typedef struct {
  guint64 base;
  guint64 bits[WORDS];
} SeqWindow;

typedef struct {
  guint64 run, longest, bursts;
} Bursts;

struct _RpVoiceStats {
  RpVoiceStatsConfig config;
  guint64 sent;
  gint64 first_send_us;

  SeqWindow seen;               /* sender numbers that came back */
  gboolean have_s;
  guint64 s_max;
  guint64 received, duplicates, reordered, stale, bogus;
  Bursts bursts;

  SeqWindow r_seen;             /* reflector numbers received */
  gboolean have_r;
  guint64 r_max, s_at_r_max, r_distinct, fwd_dups;
  gboolean have_counted;         /* the count after the last packet is known */
  guint64 counted;

  RpHistogram rtt;
  gint64 rtt_sum;
  Direction fwd, bwd;

  guint stride, n_buckets;
  Bucket buckets[RP_VOICE_MAX_POINTS];
};

void
rp_jitter_update (double *j, double transit_prev, double transit_now)
{
  double d = fabs (transit_now - transit_prev);

  /* RFC 3550 A.8: J(i) = J(i-1) + (|D(i-1,i)| - J(i-1)) / 16 */
  *j += (d - *j) / 16.0;
}

void
rp_voice_stats_config_init (RpVoiceStatsConfig *c)
{
  c->jitter_buffer_ms = 60;
  c->reflector_stateful = TRUE;
}

void
rp_voice_sample_from_stamp (RpVoiceSample *out, const RpStampReflected *r, gint64 t4_us)
{
  out->sender_seq = r->sender_seq;
  out->reflector_seq = r->seq;
  out->t1_us = rp_stamp_timestamp_to_us (r->sender_timestamp, r->sender_error_estimate);
  out->t2_us = rp_stamp_timestamp_to_us (r->receive_timestamp, r->error_estimate);
  /* T3 from T2 plus their difference, so the residence time survives a
   * rollover of the reflector's timestamp between the two. */
  out->t3_us =
    out->t2_us + rp_stamp_timestamp_diff_us (r->timestamp, r->receive_timestamp, r->error_estimate);
  out->t4_us = t4_us;
}

static gboolean
window_get (const SeqWindow *w, guint64 n)
{
  guint i = (guint) (n % WIN);

  return (w->bits[i / 64] >> (i % 64)) & 1;
}

static void
window_set (SeqWindow *w, guint64 n, gboolean v)
{
  guint i = (guint) (n % WIN);
  guint64 m = G_GUINT64_CONSTANT (1) << (i % 64);

  if (v)
    w->bits[i / 64] |= m;
  else
    w->bits[i / 64] &= ~m;
}

static void
bursts_step (Bursts *b, gboolean lost)
{
  if (lost) {
    if (b->run++ == 0)
      b->bursts++;
    b->longest = MAX (b->longest, b->run);
  } else {
    b->run = 0;
  }
}

RpVoiceStats *
rp_voice_stats_new (const RpVoiceStatsConfig *config)
{
  RpVoiceStats *s = g_new0 (RpVoiceStats, 1);

  if (config != NULL)
    s->config = *config;
  else
    rp_voice_stats_config_init (&s->config);
  s->stride = 1;
  rp_histogram_init (&s->rtt);
  rp_signed_histogram_init (&s->fwd.var);
  rp_signed_histogram_init (&s->bwd.var);
  return s;
}

void
rp_voice_stats_free (RpVoiceStats *s)
{
  g_free (s);
}

/* Halves the series: pairs of buckets become one. */
static void
series_merge (RpVoiceStats *s)
{
  guint n = 0;

  for (guint i = 0; i < s->n_buckets; i += 2, n++) {
    Bucket m = s->buckets[i];

    if (i + 1 < s->n_buckets) {
      const Bucket *b = &s->buckets[i + 1];

      if (b->received > 0) {
        m.rtt_min = m.received > 0 ? MIN (m.rtt_min, b->rtt_min) : b->rtt_min;
        m.rtt_max = m.received > 0 ? MAX (m.rtt_max, b->rtt_max) : b->rtt_max;
      }
      m.sent += b->sent;
      m.received += b->received;
      m.rtt_sum += b->rtt_sum;
    }
    s->buckets[n] = m;
  }
  memset (s->buckets + n, 0, (RP_VOICE_MAX_POINTS - n) * sizeof (Bucket));
  s->n_buckets = n;
  s->stride *= 2;
}

guint32
rp_voice_stats_sent (RpVoiceStats *s, gint64 t1_us)
{
  guint64 seq = s->sent++;
  guint idx;

  if (seq == 0)
    s->first_send_us = t1_us;

  /* Numbers WIN behind the newest are final. */
  while (s->sent - s->seen.base > WIN) {
    bursts_step (&s->bursts, !window_get (&s->seen, s->seen.base));
    window_set (&s->seen, s->seen.base, FALSE);
    s->seen.base++;
  }

  idx = (guint) (seq / s->stride);
  if (idx >= RP_VOICE_MAX_POINTS) {
    series_merge (s);
    idx = (guint) (seq / s->stride);
  }
  if (idx >= s->n_buckets) {
    s->n_buckets = idx + 1;
    s->buckets[idx].first_send_us = t1_us - s->first_send_us;
  }
  s->buckets[idx].sent++;
  return (guint32) seq;
}

void
rp_voice_stats_reflector_counted (RpVoiceStats *s, guint64 counted)
{
  s->have_counted = TRUE;
  s->counted = counted;
}

/* Counts a reflector number; FALSE when it was already received. */
static gboolean
reflector_seen (RpVoiceStats *s, guint64 r, guint64 sender_seq)
{
  SeqWindow *w = &s->r_seen;

  if (!s->have_r || r > s->r_max) {
    s->have_r = TRUE;
    s->r_max = r;
    s->s_at_r_max = sender_seq;
  }
  if (r >= w->base + WIN) {
    guint64 new_base = r - WIN + 1;

    if (new_base - w->base >= WIN)
      memset (w->bits, 0, sizeof w->bits);
    else
      for (guint64 n = w->base; n < new_base; n++)
        window_set (w, n, FALSE);
    w->base = new_base;
  }
  if (r >= w->base) {
    if (window_get (w, r))
      return FALSE;
    window_set (w, r, TRUE);
  }
  s->r_distinct++;
  return TRUE;
}

static void
direction_add (Direction *d, gint64 transit_us)
{
  double now_ms;

  if (!d->have) {
    d->have = TRUE;
    d->base_us = transit_us;
    d->prev_ms = 0;
    rp_signed_histogram_add (&d->var, 0);
    return;
  }
  transit_us -= d->base_us;
  rp_signed_histogram_add (&d->var, transit_us);
  now_ms = transit_us / 1000.0;
  rp_jitter_update (&d->j, d->prev_ms, now_ms);
  d->prev_ms = now_ms;
  d->j_sum += d->j;
  d->j_max = MAX (d->j_max, d->j);
  d->j_n++;
}

void
rp_voice_stats_received (RpVoiceStats *s, const RpVoiceSample *x)
{
  guint64 seq = x->sender_seq;
  gboolean r_new;
  gint64 rtt, residence;
  Bucket *b;

  /* Not ours: a number never sent, or times that cannot be. */
  if (seq >= s->sent || x->t1_us < s->first_send_us || x->t4_us < x->t1_us) {
    s->bogus++;
    return;
  }
  r_new = reflector_seen (s, x->reflector_seq, seq);
  if (seq < s->seen.base) {
    s->stale++;
    return;
  }
  if (window_get (&s->seen, seq)) {
    /* RFC 5560: a duplicate. A new reflector number means the reflector
     * received it twice (duplicated forward); the same one, backward. */
    s->duplicates++;
    if (r_new)
      s->fwd_dups++;
    return;
  }
  window_set (&s->seen, seq, TRUE);
  s->received++;
  /* RFC 4737 3.3: reordered when below the next expected number. */
  if (s->have_s && seq < s->s_max)
    s->reordered++;
  else
    s->s_max = seq;
  s->have_s = TRUE;

  residence = MAX (x->t3_us - x->t2_us, 0);
  rtt = MAX ((x->t4_us - x->t1_us) - residence, 0);
  rp_histogram_add (&s->rtt, rtt);
  s->rtt_sum += rtt;

  direction_add (&s->fwd, x->t2_us - x->t1_us);
  direction_add (&s->bwd, x->t4_us - x->t3_us);

  b = &s->buckets[seq / s->stride];
  b->rtt_min = b->received > 0 ? MIN (b->rtt_min, rtt) : rtt;
  b->rtt_max = b->received > 0 ? MAX (b->rtt_max, rtt) : rtt;
  b->rtt_sum += rtt;
  b->received++;
}

static double
pct (guint64 part, guint64 whole)
{
  return whole > 0 ? 100.0 * (double) part / (double) whole : 0;
}

static void
direction_summarize (const Direction *d, double budget_ms, guint64 lost, guint64 sent,
                     RpVoiceDirectionStats *out)
{
  double median_us = rp_signed_histogram_percentile (&d->var, 50);

  out->lost = lost;
  out->late = d->have ? rp_signed_histogram_count_above (&d->var, median_us + budget_ms * 1000) : 0;
  out->loss_pct = pct (lost, sent);
  out->voice_loss_pct = pct (lost + out->late, sent);
  out->jitter_ms = d->j;
  out->jitter_mean_ms = d->j_n > 0 ? d->j_sum / (double) d->j_n : 0;
  out->jitter_max_ms = d->j_max;
  out->pdv_p95_ms =
    d->have
      ? (rp_signed_histogram_percentile (&d->var, 95) - rp_signed_histogram_min (&d->var)) / 1000
      : 0;
}

void
rp_voice_stats_summarize (const RpVoiceStats *s, RpVoiceSummary *out)
{
  Bursts bursts = s->bursts;
  guint64 fwd = 0, bwd = 0;

  memset (out, 0, sizeof *out);
  out->sent = s->sent;
  out->received = s->received;
  out->lost = s->sent - s->received;
  out->duplicates = s->duplicates;
  out->reordered = s->reordered;
  out->stale = s->stale;
  out->bogus = s->bogus;
  out->loss_pct = pct (out->lost, out->sent);

  /* The numbers still in the window are final now. */
  for (guint64 n = s->seen.base; n < s->sent; n++)
    bursts_step (&bursts, !window_get (&s->seen, n));
  out->longest_burst = bursts.longest;
  /* G.107 BurstR: mean burst length over the one random loss would give,
   * 1 / (1 - p). Below 1 (loss more spread than random) is taken as 1. */
  out->burst_ratio = 1;
  if (bursts.bursts > 0 && out->lost < out->sent) {
    double p = (double) out->lost / (double) out->sent;
    double mean = (double) out->lost / (double) bursts.bursts;

    out->burst_ratio = MAX (1.0, mean * (1 - p));
  }

  if (s->received > 0) {
    out->rtt_min_ms = s->rtt.min / 1000.0;
    out->rtt_max_ms = s->rtt.max / 1000.0;
    out->rtt_mean_ms = (double) s->rtt_sum / (double) s->received / 1000.0;
    out->rtt_p50_ms = rp_histogram_percentile (&s->rtt, 50) / 1000.0;
    out->rtt_p95_ms = rp_histogram_percentile (&s->rtt, 95) / 1000.0;
    out->rtt_p99_ms = rp_histogram_percentile (&s->rtt, 99) / 1000.0;
  }

  if (s->config.reflector_stateful && (s->have_r || s->have_counted)) {
    guint64 w = s->have_r ? s->s_at_r_max + 1 : 0;
    guint64 r = s->have_r ? s->r_max + 1 : 0;

    if (s->have_counted && s->counted >= r && s->counted <= s->sent + s->fwd_dups) {
      w = s->sent;
      r = s->counted;
    }

    /* A reflector count above what we had sent is not a count of our
     * packets (a stale session, a stateless or foreign reflector). */
    if (r - MIN (r, s->fwd_dups) <= w) {
      out->directional = TRUE;
      fwd = w - (r - MIN (r, s->fwd_dups));
      bwd = r > s->r_distinct ? r - s->r_distinct : 0;
      fwd = MIN (fwd, out->lost);
      bwd = MIN (bwd, out->lost - fwd);
    }
  }
  out->unattributed = out->lost - fwd - bwd;
  direction_summarize (&s->fwd, s->config.jitter_buffer_ms, fwd, s->sent, &out->forward);
  /* Backward loss is out of what reached the reflector, not of all sent. */
  direction_summarize (&s->bwd, s->config.jitter_buffer_ms, bwd, s->sent - fwd, &out->backward);

  out->points_stride = s->stride;
  out->n_points = s->n_buckets;
  for (guint i = 0; i < s->n_buckets; i++) {
    const Bucket *b = &s->buckets[i];
    RpVoicePoint *p = &out->points[i];

    p->send_offset_us = b->first_send_us;
    p->sent = b->sent;
    p->lost = b->sent - b->received;
    if (b->received > 0) {
      p->rtt_min_ms = b->rtt_min / 1000.0;
      p->rtt_max_ms = b->rtt_max / 1000.0;
      p->rtt_mean_ms = (double) b->rtt_sum / b->received / 1000.0;
    }
  }
}
