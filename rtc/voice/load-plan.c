/* The ramp, the steps and the knee of `rtcprobe load` (see load-plan.h).
 * Loss per direction follows RFC 7680's definition per packet: forward a
 * packet that never reached the reflecting side, backward one that reached
 * it and did not come back; jitter is RFC 3550 A.8's estimate per stream. */
#include "rtc/voice/load-plan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/quote.h"

gboolean
rp_load_parse_ramp (const char *text, guint max_streams, RpLoadRamp *out, GError **error)
{
  const char *slash;
  char *end = NULL;
  guint64 step;
  double s;
  g_autofree char *q = rp_quote_input (text != NULL ? text : "", text != NULL ? strlen (text) : 0,
                                       40);

  if (text == NULL || (slash = strchr (text, '/')) == NULL || slash == text ||
      !g_ascii_isdigit (text[0]) || strlen (text) > 32) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--ramp %s: use STEP/S (10/5: 10 more streams every 5 seconds)", q);
    return FALSE;
  }
  errno = 0;
  step = g_ascii_strtoull (text, &end, 10);
  if (errno != 0 || end != slash || step < 1 || step > max_streams) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--ramp %s: the step must be a whole number of streams from 1 to %u", q,
                 max_streams);
    return FALSE;
  }
  if (!g_ascii_isdigit (slash[1])) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--ramp %s: use STEP/S (10/5: 10 more streams every 5 seconds)", q);
    return FALSE;
  }
  s = g_ascii_strtod (slash + 1, &end);
  if (*end != '\0' || !isfinite (s) || s < RP_LOAD_MIN_STEP_S || s > RP_LOAD_MAX_STEP_S) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--ramp %s: the interval must be %.1f to %.0f seconds", q, RP_LOAD_MIN_STEP_S,
                 RP_LOAD_MAX_STEP_S);
    return FALSE;
  }
  out->step = (guint) step;
  out->interval_s = s;
  return TRUE;
}

gint64
rp_load_settle_cap_us (double step_s)
{
  return (gint64) (MAX (step_s, RP_LOAD_SETTLE_MIN_S) * G_USEC_PER_SEC);
}

gint64
rp_load_send_phase_us (guint k, guint n, gint64 interval_us)
{
  gint64 streams = MAX (n, 1);
  gint64 grid = CLAMP (interval_us * RP_LOAD_STREAMS_PER_SLOT / streams, RP_LOAD_GRID_MIN_US,
                       RP_LOAD_GRID_MAX_US);

  return (gint64) (k % streams) * interval_us / streams / grid * grid;
}

guint
rp_load_ramp_steps (const RpLoadRamp *ramp, guint n)
{
  return n == 0 ? 0 : (n + ramp->step - 1) / ramp->step;
}

guint
rp_load_ramp_streams_at (const RpLoadRamp *ramp, guint n, guint k)
{
  guint64 want = (guint64) ramp->step * (k + 1);

  return (guint) MIN (want, (guint64) n);
}

const char *
rp_load_fail_to_string (RpLoadFail f)
{
  static const char *const names[] = { "quota_486",        "capacity_508", "timeout",
                                       "unauthorized_401", "alternate_300", "other" };

  return f < RP_LOAD_FAIL_N ? names[f] : "other";
}

RpLoadFail
rp_load_fail_from_code (guint error_code)
{
  switch (error_code) {
  case 486:
    return RP_LOAD_FAIL_QUOTA;
  case 508:
    return RP_LOAD_FAIL_CAPACITY;
  case 401:
    return RP_LOAD_FAIL_UNAUTHORIZED;
  case 300:
    return RP_LOAD_FAIL_ALTERNATE;
  default:
    return RP_LOAD_FAIL_OTHER;
  }
}

void
rp_load_step_init (RpLoadStep *s)
{
  memset (s, 0, sizeof *s);
  rp_histogram_init (&s->rtt_us);
  rp_histogram_init (&s->jitter_us[RP_LOAD_FWD]);
  rp_histogram_init (&s->jitter_us[RP_LOAD_BWD]);
  rp_histogram_init (&s->lateness_us);
}

static double
pct (guint64 part, guint64 whole)
{
  return whole == 0 ? 0 : 100.0 * (double) part / (double) whole;
}

void
rp_load_step_summarize (const RpLoadStep *s, RpLoadStepSummary *out)
{
  memset (out, 0, sizeof *out);
  out->streams_attempted = s->streams_attempted;
  out->streams_established = s->streams_established;
  for (guint i = 0; i < RP_LOAD_FAIL_N; i++) {
    out->fail[i] = s->fail[i];
    out->allocation_failures += s->fail[i];
  }
  out->first_refused = s->first_refused;
  out->sent = s->sent;
  out->planned = s->planned;
  out->setup_ms = s->setup_us / 1000.0;
  out->setting_up = s->setting_up;
  out->rtt_p50_ms = rp_histogram_percentile (&s->rtt_us, 50) / 1000.0;
  out->rtt_p95_ms = rp_histogram_percentile (&s->rtt_us, 95) / 1000.0;
  out->rtt_p99_ms = rp_histogram_percentile (&s->rtt_us, 99) / 1000.0;
  for (guint d = 0; d < 2; d++)
    out->jitter_p95_ms[d] = rp_histogram_percentile (&s->jitter_us[d], 95) / 1000.0;
  /* A reflecting side cannot have seen more than was sent, nor returned
   * more than it saw (duplicates are not counted twice by the caller). */
  out->loss_pct[RP_LOAD_FWD] = pct (s->sent - MIN (s->reached, s->sent), s->sent);
  out->loss_pct[RP_LOAD_BWD] = pct (s->reached - MIN (s->returned, s->reached), s->reached);
  out->schedule_p50_ms = rp_histogram_percentile (&s->lateness_us, 50) / 1000.0;
  out->schedule_p99_ms = rp_histogram_percentile (&s->lateness_us, 99) / 1000.0;
}

void
rp_load_thresholds_init (RpLoadThresholds *t)
{
  t->loss_pct = 1;
  t->jitter_p95_ms = 30;
  t->schedule_p99_ms = 1;
}

static RpLoadDir
worse (const double v[2])
{
  return v[RP_LOAD_BWD] > v[RP_LOAD_FWD] ? RP_LOAD_BWD : RP_LOAD_FWD;
}

void
rp_load_find_knee (const RpLoadStepSummary *steps, guint n, const RpLoadThresholds *t,
                   RpLoadKnee *out)
{
  memset (out, 0, sizeof *out);
  out->kind = RP_LOAD_KNEE_NONE;
  for (guint i = 0; i < n; i++) {
    const RpLoadStepSummary *s = &steps[i];
    if (!out->probe_limited && s->sent > 0 && s->schedule_p99_ms > t->schedule_p99_ms) {
      out->probe_limited = TRUE;
      out->probe_step = i;
    }
    if (s->allocation_failures > 0) {
      out->kind = RP_LOAD_KNEE_ALLOCATION;
    } else if (s->sent > 0 && MAX (s->loss_pct[0], s->loss_pct[1]) > t->loss_pct) {
      out->kind = RP_LOAD_KNEE_LOSS;
      out->dir = worse (s->loss_pct);
    } else if (MAX (s->jitter_p95_ms[0], s->jitter_p95_ms[1]) > t->jitter_p95_ms) {
      out->kind = RP_LOAD_KNEE_JITTER;
      out->dir = worse (s->jitter_p95_ms);
    }
    if (out->kind != RP_LOAD_KNEE_NONE) {
      out->step = i;
      return;
    }
  }
}
