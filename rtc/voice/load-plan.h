/* The arithmetic of `rtcprobe load`, sans-I/O: the ramp (STEP/S: add STEP
 * streams every S seconds), one step's figures gathered across its streams
 * (RTT percentiles, RFC 3550 jitter per direction, loss per direction, the
 * sender's schedule error, allocation failures by reason), and the knee: the
 * first step whose loss or jitter crosses a threshold, or whose allocations
 * were refused, and whether the probe's own schedule error rose first. */
#pragma once

#include <glib.h>

#include "rtc/voice/histogram.h"

G_BEGIN_DECLS

/* Bounds of the command line (no accidental flood). */
#define RP_LOAD_MAX_STEP_S 3600.0
#define RP_LOAD_MIN_STEP_S 0.5

typedef struct {
  guint step;                   /* streams added per step (>= 1) */
  double interval_s;            /* seconds each step is held and measured */
} RpLoadRamp;

/* "10/5" (10 streams every 5 s), "10/2.5". The step must be 1..max_streams,
 * the interval RP_LOAD_MIN_STEP_S..RP_LOAD_MAX_STEP_S. FALSE with a one-line
 * error naming the text. */
gboolean rp_load_parse_ramp (const char *text, guint max_streams, RpLoadRamp *out,
                             GError **error);
/* How many steps reach n streams, and how many streams step k (from 0) holds. */
guint rp_load_ramp_steps (const RpLoadRamp *ramp, guint n);
guint rp_load_ramp_streams_at (const RpLoadRamp *ramp, guint n, guint k);
/* A step's new streams are set up before its measured window opens; the
 * window opens when every set-up is answered, or after this long (the
 * step's length, at least RP_LOAD_SETTLE_MIN_S) with what is up by then. */
#define RP_LOAD_SETTLE_MIN_S 10.0
gint64 rp_load_settle_cap_us (double step_s);

/* When in each interval stream k of n sends (us from the interval's start):
 * phases spread over the interval, RP_LOAD_STREAMS_PER_SLOT to a slot of a
 * grid RP_LOAD_GRID_MIN_US to RP_LOAD_GRID_MAX_US wide. Real calls are not in
 * step, and n packets due at one instant would be a burst the probe sends
 * late and the far end's socket buffer may drop; a few streams share each
 * wake-up, which on a VM costs more than the datagrams it sends. At 100
 * streams a 100 us grid gave every stream its own wake-up: 34 us of CPU per
 * datagram; five to a slot, 12 to 18 us. At 1,000 streams fifty to a (1 ms)
 * slot put the schedule error p99 at 1.9 ms, five at 0.2 to 0.3 ms. */
#define RP_LOAD_STREAMS_PER_SLOT 5
#define RP_LOAD_GRID_MIN_US 100
#define RP_LOAD_GRID_MAX_US 1000
gint64 rp_load_send_phase_us (guint k, guint n, gint64 interval_us);

/* Why an allocation failed, as the load report counts them. */
typedef enum {
  RP_LOAD_FAIL_QUOTA,           /* 486 Allocation Quota Reached */
  RP_LOAD_FAIL_CAPACITY,        /* 508 Insufficient Capacity */
  RP_LOAD_FAIL_TIMEOUT,         /* no answer */
  RP_LOAD_FAIL_UNAUTHORIZED,    /* 401 after our credentials */
  RP_LOAD_FAIL_ALTERNATE,       /* 300 Try Alternate: not followed */
  RP_LOAD_FAIL_OTHER,           /* any other error, malformed answer or socket error */
  RP_LOAD_FAIL_N
} RpLoadFail;

const char *rp_load_fail_to_string (RpLoadFail f);   /* "quota_486", "timeout", ... */
RpLoadFail rp_load_fail_from_code (guint error_code);

typedef enum { RP_LOAD_FWD, RP_LOAD_BWD } RpLoadDir;

/* One step as it runs: what each stream adds. */
typedef struct {
  guint streams_attempted;      /* streams the ramp asked for by this step */
  guint streams_established;    /* of them, with both channels bound */
  guint fail[RP_LOAD_FAIL_N];   /* allocations refused in this step, by reason */
  guint first_refused;          /* 1-based number of the first allocation refused (0: none) */
  guint64 sent;                 /* packets sent within the measured window */
  guint64 planned;              /* what the streams not refused would have sent in it had each
                                 * sent from the window's start: sent falls short of it when
                                 * streams were still being set up as it opened */
  gint64 setup_us;              /* the step's start to its window's: its streams' set-up */
  guint setting_up;             /* streams not yet set up when the window opened */
  guint64 reached;              /* of them, arrived at the reflecting side */
  guint64 returned;             /* of them, back at the sender */
  RpHistogram rtt_us;
  RpHistogram jitter_us[2];     /* each stream's RFC 3550 estimate at each arrival */
  RpHistogram lateness_us;      /* each send vs its absolute time */
} RpLoadStep;

void rp_load_step_init (RpLoadStep *s);

typedef struct {
  guint streams_attempted, streams_established, allocation_failures;
  guint fail[RP_LOAD_FAIL_N];
  guint first_refused;
  guint64 sent, planned;
  double setup_ms;
  guint setting_up;
  double rtt_p50_ms, rtt_p95_ms, rtt_p99_ms;
  double jitter_p95_ms[2];
  double loss_pct[2];           /* forward: not reached; backward: reached, not back */
  double schedule_p50_ms, schedule_p99_ms;
} RpLoadStepSummary;

void rp_load_step_summarize (const RpLoadStep *s, RpLoadStepSummary *out);

typedef struct {
  double loss_pct;              /* 1 */
  double jitter_p95_ms;         /* 30 */
  double schedule_p99_ms;       /* above it the probe, not the relay, is the limit (1 here;
                                   the command sets half the packet interval) */
} RpLoadThresholds;

void rp_load_thresholds_init (RpLoadThresholds *t);

typedef enum {
  RP_LOAD_KNEE_NONE,
  RP_LOAD_KNEE_ALLOCATION,      /* allocations refused or unanswered */
  RP_LOAD_KNEE_LOSS,
  RP_LOAD_KNEE_JITTER,
} RpLoadKneeKind;

typedef struct {
  RpLoadKneeKind kind;
  guint step;                   /* index of the knee's step (valid unless NONE) */
  RpLoadDir dir;                /* LOSS, JITTER: the worse direction */
  /* the probe's schedule error p99 crossed its threshold at or before the
   * knee (or anywhere, without a knee): the figures measure the probe */
  gboolean probe_limited;
  guint probe_step;             /* the first such step */
} RpLoadKnee;

void rp_load_find_knee (const RpLoadStepSummary *steps, guint n, const RpLoadThresholds *t,
                        RpLoadKnee *out);

G_END_DECLS
