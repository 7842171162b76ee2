/* The sender schedule (see schedule.h). One timerfd, re-armed with an
 * absolute expiry for the next due tick; ticks that fell behind (a stalled
 * loop) are all run at once, in order, each with its own due time, so a
 * stall shows up as lateness rather than as a shorter stream. */
#include "rtc/voice/schedule.h"

#include <glib-unix.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct _RpSchedule {
  GMainContext *context;
  gint64 start_us;
  gint64 interval_us;
  guint count;
  guint next;
  RpScheduleFunc func;
  gpointer user_data;
  int fd;
  GSource *source;
  RpHistogram lateness;
  gboolean running;          /* inside a tick: a free is deferred */
  gboolean dead;
};

/* g_get_monotonic_time() is CLOCK_MONOTONIC in microseconds on Linux. */
static void
arm (RpSchedule *s, gint64 due_us)
{
  struct itimerspec its = { 0 };

  its.it_value.tv_sec = due_us / G_USEC_PER_SEC;
  its.it_value.tv_nsec = (due_us % G_USEC_PER_SEC) * 1000;
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
    its.it_value.tv_nsec = 1;   /* zero would disarm */
  timerfd_settime (s->fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void
really_free (RpSchedule *s)
{
  if (s->source != NULL) {
    g_source_destroy (s->source);
    g_source_unref (s->source);
  }
  if (s->fd >= 0)
    close (s->fd);
  g_main_context_unref (s->context);
  g_free (s);
}

/* Runs every tick that is due; returns FALSE when the schedule is over or freed. */
static gboolean
run_due (RpSchedule *s)
{
  gint64 now = g_get_monotonic_time ();

  s->running = TRUE;
  while (s->next < s->count && !s->dead) {
    gint64 due = s->start_us + (gint64) s->next * s->interval_us;
    guint k;
    if (due > now)
      break;
    k = s->next++;
    rp_histogram_add (&s->lateness, now - due);
    s->func (s, k, due, s->user_data);
    now = g_get_monotonic_time ();
  }
  s->running = FALSE;
  if (s->dead) {
    really_free (s);
    return FALSE;
  }
  return s->next < s->count;
}

static gboolean
on_timerfd (gint fd, GIOCondition cond, gpointer data)
{
  RpSchedule *s = data;
  guint64 expirations;

  if (read (fd, &expirations, sizeof expirations) < 0) {
    /* EAGAIN: woken without expiry; fall through and re-check the clock */
  }
  if (!run_due (s))
    return G_SOURCE_REMOVE;   /* over, or freed inside a tick */
  arm (s, s->start_us + (gint64) s->next * s->interval_us);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout (gpointer data)
{
  RpSchedule *s = data;
  gint64 next_due;
  gint64 now;

  g_clear_pointer (&s->source, g_source_unref);
  if (!run_due (s))
    return G_SOURCE_REMOVE;
  next_due = s->start_us + (gint64) s->next * s->interval_us;
  now = g_get_monotonic_time ();
  s->source = g_timeout_source_new (next_due > now ? (guint) ((next_due - now) / 1000) : 0);
  g_source_set_callback (s->source, on_timeout, s, NULL);
  g_source_attach (s->source, s->context);
  return G_SOURCE_REMOVE;
}

RpSchedule *
rp_schedule_new (GMainContext *context, gint64 interval_us, guint count, RpScheduleFunc func,
                 gpointer user_data)
{
  RpSchedule *s = g_new0 (RpSchedule, 1);

  s->context = g_main_context_ref (context);
  s->interval_us = interval_us;
  s->count = count;
  s->func = func;
  s->user_data = user_data;
  s->start_us = g_get_monotonic_time ();
  rp_histogram_init (&s->lateness);
  s->fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (s->fd >= 0) {
    s->source = g_unix_fd_source_new (s->fd, G_IO_IN);
    g_source_set_callback (s->source, (GSourceFunc) (void (*) (void)) on_timerfd, s, NULL);
    g_source_attach (s->source, context);
    arm (s, s->start_us);
  } else {
    s->source = g_timeout_source_new (0);
    g_source_set_callback (s->source, on_timeout, s, NULL);
    g_source_attach (s->source, context);
  }
  return s;
}

gboolean
rp_schedule_is_precise (const RpSchedule *s)
{
  return s->fd >= 0;
}

const RpHistogram *
rp_schedule_lateness (const RpSchedule *s)
{
  return &s->lateness;
}

void
rp_schedule_stop (RpSchedule *s)
{
  s->count = s->next;
  if (s->source != NULL) {
    g_source_destroy (s->source);
    g_clear_pointer (&s->source, g_source_unref);
  }
}

void
rp_schedule_free (RpSchedule *s)
{
  if (s == NULL)
    return;
  if (s->running) {
    s->dead = TRUE;
    return;
  }
  really_free (s);
}
