/* Streaming statistics of a voice test stream (STAMP packets sent on a voice
 * schedule and reflected back): RTT percentiles, RFC 3550 jitter, loss split
 * by direction, bursts, reordering, duplicates, late packets, and a bounded
 * series for charts. Memory is fixed (about 40 KiB) whatever the duration.
 *
 * Directions: forward is sender -> reflector (what the far end hears),
 * backward is reflector -> sender (what the user hears). */
#pragma once

#include <glib.h>

#include "rtc/voice/histogram.h"
#include "rtc/voice/stamp.h"

G_BEGIN_DECLS

/* RFC 3550 A.8 interarrival jitter, one step: D = transit_now - transit_prev,
 * J += (|D| - J) / 16. All in milliseconds. */
void rp_jitter_update (double *j, double transit_prev, double transit_now);

/* Chart points kept: between RP_VOICE_MAX_POINTS/2 and RP_VOICE_MAX_POINTS. */
#define RP_VOICE_MAX_POINTS 600
/* Loss, duplicates and bursts are judged within a window of this many
 * sequence numbers (20 s of 20 ms packets); a packet that comes back later
 * than that is counted lost and reported as stale. */
#define RP_VOICE_SEQ_WINDOW 1024

typedef struct {
  double jitter_buffer_ms;     /* late budget over the median one-way variation; 60 */
  gboolean reflector_stateful; /* reflector counts what it receives: loss splits by direction */
} RpVoiceStatsConfig;

void rp_voice_stats_config_init (RpVoiceStatsConfig *c);

/* One reflected packet: T1, T4 on our monotonic clock; T2, T3 on the
 * reflector's (only T3 - T2 and variations of T2 - T1 / T4 - T3 are used). */
typedef struct {
  guint32 sender_seq;
  guint32 reflector_seq;
  gint64 t1_us, t2_us, t3_us, t4_us;
} RpVoiceSample;

/* Fills a sample from a decoded reflector packet that arrived at t4_us. */
void rp_voice_sample_from_stamp (RpVoiceSample *out, const RpStampReflected *r, gint64 t4_us);

/* One chart point: a bucket of `sent` consecutive packets (1 while the run
 * has at most RP_VOICE_MAX_POINTS packets; pairs of buckets are merged each
 * time the series fills up, so min/max per bucket keep the spikes). */
typedef struct {
  gint64 send_offset_us;        /* first send of the bucket, from the first send */
  double rtt_min_ms, rtt_mean_ms, rtt_max_ms;   /* 0 when none came back (lost == sent) */
  guint sent, lost;
} RpVoicePoint;

typedef struct {
  guint64 lost;                 /* network loss attributed to this direction */
  guint64 late;                 /* arrived later than median + jitter buffer */
  double loss_pct;              /* lost / sent */
  double voice_loss_pct;        /* (lost + late) / sent: what a listener misses */
  double jitter_ms;             /* RFC 3550 A.8 estimate at the end */
  double jitter_mean_ms;        /* mean of the estimate over the run */
  double jitter_max_ms;
  double pdv_p95_ms;            /* RFC 5481 PDV: p95 of (one-way delay - its minimum) */
} RpVoiceDirectionStats;

typedef struct {
  guint64 sent;
  guint64 received;             /* distinct sender sequence numbers that came back */
  guint64 lost;                 /* round trip: sent - received */
  guint64 unattributed;         /* lost, but the direction cannot be told */
  gboolean directional;         /* forward/backward split is meaningful */
  guint64 duplicates;           /* RFC 5560: came back more than once */
  guint64 reordered;            /* RFC 4737: sequence below the highest seen */
  guint64 stale;                /* came back after leaving the window */
  guint64 bogus;                /* claims a sequence number never sent */
  double loss_pct;
  guint64 longest_burst;        /* consecutive sequence numbers lost */
  double burst_ratio;           /* G.107 BurstR (>= 1) */
  /* RTT = (T4 - T1) - (T3 - T2); percentiles within RP_HISTOGRAM_REL_ERROR;
   * all 0 when nothing came back */
  double rtt_min_ms, rtt_mean_ms, rtt_max_ms;
  double rtt_p50_ms, rtt_p95_ms, rtt_p99_ms;
  RpVoiceDirectionStats forward, backward;
  guint n_points;
  guint points_stride;          /* packets per point */
  RpVoicePoint points[RP_VOICE_MAX_POINTS];
} RpVoiceSummary;

typedef struct _RpVoiceStats RpVoiceStats;

RpVoiceStats *rp_voice_stats_new (const RpVoiceStatsConfig *config);
void rp_voice_stats_free (RpVoiceStats *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpVoiceStats, rp_voice_stats_free)

/* Records a packet sent at t1_us and returns its sequence number (0, 1, ...):
 * numbering is owned here so it has no gaps. A packet that could not be
 * sent is still recorded (it counts as lost). */
guint32 rp_voice_stats_sent (RpVoiceStats *s, gint64 t1_us);
/* Records a reflected packet, in arrival order. */
void rp_voice_stats_received (RpVoiceStats *s, const RpVoiceSample *x);
/* A later packet's reply says the reflector had counted `counted` of this
 * stream's packets once all of them were sent: losses after the last reply
 * are then attributed, not shared between the directions. */
void rp_voice_stats_reflector_counted (RpVoiceStats *s, guint64 counted);
/* The statistics so far. Call after waiting out the packets in flight:
 * anything not back by then is lost. */
void rp_voice_stats_summarize (const RpVoiceStats *s, RpVoiceSummary *out);

G_END_DECLS
