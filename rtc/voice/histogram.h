/* A fixed-size log-linear histogram of non-negative integers (microseconds),
 * for percentiles in memory that does not grow with the run. Values below
 * 64 have a bucket each; above, every power of two is cut into 64 equal
 * buckets, so a bucket is never wider than 1/64 of its lower bound and its
 * midpoint is within 1/128 (0.79 %) of any value in it. Values past
 * RP_HISTOGRAM_MAX (2^34 - 1: 4.7 h in us) are counted in the top bucket. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RP_HISTOGRAM_SUB 64
#define RP_HISTOGRAM_SHIFTS 28
#define RP_HISTOGRAM_BUCKETS (RP_HISTOGRAM_SUB + RP_HISTOGRAM_SHIFTS * RP_HISTOGRAM_SUB)
#define RP_HISTOGRAM_MAX ((G_GINT64_CONSTANT (1) << (RP_HISTOGRAM_SHIFTS + 6)) - 1)
/* Guaranteed bound on |estimate - exact| / exact for percentiles. */
#define RP_HISTOGRAM_REL_ERROR (1.0 / 128)

typedef struct {
  guint64 count;
  gint64 min, max;      /* exact */
  guint32 buckets[RP_HISTOGRAM_BUCKETS];
} RpHistogram;

void rp_histogram_init (RpHistogram *h);
void rp_histogram_add (RpHistogram *h, gint64 v);   /* v < 0 counts as 0 */
/* Nearest-rank percentile (the value of rank ceil(p/100 * n) in sorted
 * order), 0 < p <= 100, within RP_HISTOGRAM_REL_ERROR of the exact one.
 * 0 when empty. */
double rp_histogram_percentile (const RpHistogram *h, double p);
/* How many values are above threshold; values sharing threshold's bucket
 * are judged by the bucket midpoint (an error of at most one bucket). */
guint64 rp_histogram_count_above (const RpHistogram *h, double threshold);

/* Signed values: two magnitude histograms (negative and non-negative). */
typedef struct {
  RpHistogram neg, pos;
} RpSignedHistogram;

void rp_signed_histogram_init (RpSignedHistogram *h);
void rp_signed_histogram_add (RpSignedHistogram *h, gint64 v);
guint64 rp_signed_histogram_count (const RpSignedHistogram *h);
double rp_signed_histogram_min (const RpSignedHistogram *h);
double rp_signed_histogram_percentile (const RpSignedHistogram *h, double p);
guint64 rp_signed_histogram_count_above (const RpSignedHistogram *h, double threshold);

G_END_DECLS
