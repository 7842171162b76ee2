/* Log-linear histogram (the HdrHistogram layout with 64 sub-buckets per
 * power of two): index of a value, bucket bounds, and rank queries. The
 * error bound in histogram.h follows from the bucket width: a value v >= 64
 * with most significant bit m lands in a bucket of width 2^(m-6) whose lower
 * bound is >= 2^m, so half a bucket is <= lower bound / 128. */
#include "rtc/voice/histogram.h"

#include <math.h>
#include <string.h>

static guint
bucket_of (gint64 v)
{
  guint msb, shift;

  if (v < 0)
    v = 0;
  if (v > RP_HISTOGRAM_MAX)
    v = RP_HISTOGRAM_MAX;
  if (v < RP_HISTOGRAM_SUB)
    return (guint) v;
  msb = 63 - (guint) __builtin_clzll ((guint64) v);
  shift = msb - 6;
  return RP_HISTOGRAM_SUB + shift * RP_HISTOGRAM_SUB + (guint) ((v >> shift) - RP_HISTOGRAM_SUB);
}

/* Lower bound and width of a bucket. */
static void
bucket_bounds (guint i, double *low, double *width)
{
  guint shift, sub;

  if (i < RP_HISTOGRAM_SUB) {
    *low = i;
    *width = 1;
    return;
  }
  shift = (i - RP_HISTOGRAM_SUB) / RP_HISTOGRAM_SUB;
  sub = (i - RP_HISTOGRAM_SUB) % RP_HISTOGRAM_SUB + RP_HISTOGRAM_SUB;
  *low = ldexp (sub, (int) shift);
  *width = ldexp (1, (int) shift);
}

/* The value reported for a bucket: exact for one-value buckets, else the
 * midpoint; clamped to the exact extremes seen. */
static double
bucket_value (const RpHistogram *h, guint i)
{
  double low, width, v;

  bucket_bounds (i, &low, &width);
  v = width <= 1 ? low : low + width / 2;
  return CLAMP (v, (double) h->min, (double) h->max);
}

void
rp_histogram_init (RpHistogram *h)
{
  memset (h, 0, sizeof *h);
}

void
rp_histogram_add (RpHistogram *h, gint64 v)
{
  if (v < 0)
    v = 0;
  if (h->count == 0 || v < h->min)
    h->min = v;
  if (h->count == 0 || v > h->max)
    h->max = v;
  h->count++;
  h->buckets[bucket_of (v)]++;
}

/* The value of 1-based rank k in ascending order. */
static double
value_at_rank (const RpHistogram *h, guint64 k)
{
  guint64 seen = 0;

  for (guint i = 0; i < RP_HISTOGRAM_BUCKETS; i++) {
    seen += h->buckets[i];
    if (seen >= k)
      return bucket_value (h, i);
  }
  return (double) h->max;
}

static guint64
nearest_rank (guint64 n, double p)
{
  double r = ceil (p / 100.0 * (double) n);

  return (guint64) CLAMP (r, 1.0, (double) n);
}

double
rp_histogram_percentile (const RpHistogram *h, double p)
{
  if (h->count == 0)
    return 0;
  return value_at_rank (h, nearest_rank (h->count, p));
}

guint64
rp_histogram_count_above (const RpHistogram *h, double threshold)
{
  guint64 n = 0;

  for (guint i = 0; i < RP_HISTOGRAM_BUCKETS; i++)
    if (h->buckets[i] != 0 && bucket_value (h, i) > threshold)
      n += h->buckets[i];
  return n;
}

void
rp_signed_histogram_init (RpSignedHistogram *h)
{
  rp_histogram_init (&h->neg);
  rp_histogram_init (&h->pos);
}

void
rp_signed_histogram_add (RpSignedHistogram *h, gint64 v)
{
  if (v < 0)
    rp_histogram_add (&h->neg, -v);
  else
    rp_histogram_add (&h->pos, v);
}

guint64
rp_signed_histogram_count (const RpSignedHistogram *h)
{
  return h->neg.count + h->pos.count;
}

double
rp_signed_histogram_min (const RpSignedHistogram *h)
{
  if (h->neg.count > 0)
    return -(double) h->neg.max;
  return h->pos.count > 0 ? (double) h->pos.min : 0;
}

/* Negative values come first in ascending order, largest magnitude first. */
double
rp_signed_histogram_percentile (const RpSignedHistogram *h, double p)
{
  guint64 n = rp_signed_histogram_count (h), k;

  if (n == 0)
    return 0;
  k = nearest_rank (n, p);
  if (k <= h->neg.count)
    return -value_at_rank (&h->neg, h->neg.count - k + 1);
  return value_at_rank (&h->pos, k - h->neg.count);
}

guint64
rp_signed_histogram_count_above (const RpSignedHistogram *h, double threshold)
{
  guint64 n = rp_histogram_count_above (&h->pos, threshold);

  /* -m > threshold  <=>  m < -threshold */
  if (threshold < 0)
    n += h->neg.count - rp_histogram_count_above (&h->neg, -threshold - 1e-9);
  return n;
}
