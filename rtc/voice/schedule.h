/* A sender schedule on the run's GMainContext: tick k is due at start + k *
 * interval on CLOCK_MONOTONIC, armed as an absolute timerfd so sleeps never
 * accumulate drift, at microsecond resolution (GLib's own timeouts are whole
 * milliseconds). Each tick reports how late it ran: the sender's self-check. */
#pragma once

#include <glib.h>

#include "rtc/voice/histogram.h"

G_BEGIN_DECLS

typedef struct _RpSchedule RpSchedule;
/* k from 0; due_us is the tick's scheduled monotonic time. */
typedef void (*RpScheduleFunc) (RpSchedule *schedule, guint k, gint64 due_us, gpointer user_data);

/* Starts at once: tick 0 is due now. FALSE-free: a timerfd that cannot be
 * made falls back to GLib timeouts (millisecond resolution), reported by
 * rp_schedule_is_precise(). */
RpSchedule *rp_schedule_new (GMainContext *context, gint64 interval_us, guint count,
                             RpScheduleFunc func, gpointer user_data);
/* No more ticks; what was measured stays readable. */
void rp_schedule_stop (RpSchedule *schedule);
void rp_schedule_free (RpSchedule *schedule);
gboolean rp_schedule_is_precise (const RpSchedule *schedule);
/* Lateness of ticks (microseconds) so far. */
const RpHistogram *rp_schedule_lateness (const RpSchedule *schedule);

G_END_DECLS
