/* The runner. Each check gets a GCancellable and a deadline timer on the run's
 * context; when the timer fires the cancellable is cancelled, the check's
 * expire hook writes what it knows, and the check is finished. The run as a
 * whole has its own deadline that expires every check still pending, so no
 * network behaviour can make a run outlast --timeout. Checks are refcounted
 * because cancelled GIO operations call back after the check has finished. */
#include "probe/core/runner.h"

#define DRAIN_MAX_US (500 * 1000)
#define DRAIN_MAX_ITERATIONS 100000

struct _RpRunner {
  GMainContext *context;
  gint64 run_deadline_us;
  GPtrArray *checks;     /* RpCheck*, in order added (refs held) */
  guint pending;
  GSource *run_timer;
  GSourceFunc done;      /* rp_runner_start: called from the loop when all finished */
  gpointer done_data;
  GSource *done_source;
};

struct _RpCheck {
  gatomicrefcount ref;
  RpRunner *runner;
  const RpCheckClass *klass;
  gpointer state;
  RpCheckResult *result;
  GCancellable *cancellable;
  GSource *timer;
  GSource *starter;
  gint64 started_us;
  gint64 deadline_us;
  gboolean started;
  gboolean finished;
};

RpCheck *
rp_check_ref (RpCheck *check)
{
  g_atomic_ref_count_inc (&check->ref);
  return check;
}

void
rp_check_unref (RpCheck *check)
{
  if (!g_atomic_ref_count_dec (&check->ref))
    return;
  if (check->timer != NULL) {
    g_source_destroy (check->timer);
    g_source_unref (check->timer);
  }
  if (check->starter != NULL) {
    g_source_destroy (check->starter);
    g_source_unref (check->starter);
  }
  if (check->klass->free_state != NULL && check->state != NULL)
    check->klass->free_state (check->state);
  g_clear_pointer (&check->result, rp_check_result_free);
  g_object_unref (check->cancellable);
  g_free (check);
}

RpCheckResult *rp_check_get_result (RpCheck *check) { return check->result; }
gpointer rp_check_get_state (RpCheck *check) { return check->state; }
RpRunner *rp_check_get_runner (RpCheck *check) { return check->runner; }
GCancellable *rp_check_get_cancellable (RpCheck *check) { return check->cancellable; }
gint64 rp_check_get_deadline_us (RpCheck *check) { return check->deadline_us; }
gint64 rp_check_get_started_us (RpCheck *check) { return check->started_us; }
gboolean rp_check_is_finished (RpCheck *check) { return check->finished; }
GMainContext *rp_runner_get_context (RpRunner *runner) { return runner->context; }

static gboolean
on_done (gpointer data)
{
  RpRunner *runner = data;

  g_clear_pointer (&runner->done_source, g_source_unref);
  /* A finishing check may have added others since. */
  if (runner->pending == 0)
    runner->done (runner->done_data);
  return G_SOURCE_REMOVE;
}

/* rp_runner_start: tell the caller from the loop, never from inside a
 * check's callback, once nothing is pending. */
static void
schedule_done (RpRunner *runner)
{
  if (runner->done == NULL || runner->pending > 0 || runner->done_source != NULL)
    return;
  runner->done_source = g_idle_source_new ();
  g_source_set_callback (runner->done_source, on_done, runner, NULL);
  g_source_attach (runner->done_source, runner->context);
}

void
rp_check_finish (RpCheck *check)
{
  if (check->finished)
    return;
  check->finished = TRUE;
  check->result->duration_ms = (g_get_monotonic_time () - check->started_us) / 1000.0;
  if (check->timer != NULL) {
    g_source_destroy (check->timer);
    g_clear_pointer (&check->timer, g_source_unref);
  }
  /* Anything still in flight sees the cancellation and lets go. */
  g_cancellable_cancel (check->cancellable);
  g_assert (check->runner->pending > 0);
  check->runner->pending--;
  schedule_done (check->runner);
  g_main_context_wakeup (check->runner->context);
}

static void
expire (RpCheck *check)
{
  if (check->finished)
    return;
  rp_check_ref (check);
  g_cancellable_cancel (check->cancellable);
  if (check->klass->expire != NULL)
    check->klass->expire (check);
  else
    rp_check_result_set (check->result, RP_STATUS_FAIL, "no result before the deadline");
  rp_check_finish (check);
  rp_check_unref (check);
}

static gboolean
on_check_deadline (gpointer data)
{
  expire (data);
  return G_SOURCE_REMOVE;
}

static GSource *
timer_at (RpRunner *runner, gint64 deadline_us, GSourceFunc func, gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  guint ms = deadline_us > now ? (guint) ((deadline_us - now + 999) / 1000) : 0;
  GSource *src = g_timeout_source_new (ms);

  g_source_set_callback (src, func, data, NULL);
  g_source_attach (src, runner->context);
  return src;
}

static gboolean
start (gpointer data)
{
  RpCheck *check = data;

  g_clear_pointer (&check->starter, g_source_unref);
  if (check->finished)
    return G_SOURCE_REMOVE;
  check->started = TRUE;
  check->started_us = g_get_monotonic_time ();
  rp_check_ref (check);
  check->klass->start (check);
  rp_check_unref (check);
  return G_SOURCE_REMOVE;
}

RpRunner *
rp_runner_new (GMainContext *context, gint64 run_timeout_us)
{
  RpRunner *runner = g_new0 (RpRunner, 1);

  runner->context = g_main_context_ref (context);
  runner->run_deadline_us = g_get_monotonic_time () + run_timeout_us;
  runner->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_check_unref);
  return runner;
}

void
rp_runner_free (RpRunner *runner)
{
  if (runner->run_timer != NULL) {
    g_source_destroy (runner->run_timer);
    g_source_unref (runner->run_timer);
  }
  if (runner->done_source != NULL) {
    g_source_destroy (runner->done_source);
    g_source_unref (runner->done_source);
  }
  /* Drop every check before the context: their sources live on it. */
  g_ptr_array_unref (runner->checks);
  /* A runner started with rp_runner_start, or freed from inside a dispatch,
   * shares a loop that keeps running: cancelled operations let go there,
   * and iterating it here would dispatch the owner's other sources from
   * inside this call. */
  if (runner->done != NULL || g_main_depth () > 0) {
    g_main_context_unref (runner->context);
    g_free (runner);
    return;
  }
  /* Let what is ready finish (cancelled operations drop their references),
   * bounded in count and time: a peer that keeps a socket readable must not
   * hold the exit. */
  {
    gint64 until = g_get_monotonic_time () + DRAIN_MAX_US;
    for (guint i = 0; i < DRAIN_MAX_ITERATIONS && g_get_monotonic_time () < until; i++)
      if (!g_main_context_iteration (runner->context, FALSE))
        break;
  }
  g_main_context_unref (runner->context);
  g_free (runner);
}

RpCheck *
rp_runner_add (RpRunner *runner, RpCheckResult *result, gint64 timeout_us,
               const RpCheckClass *klass, gpointer state)
{
  RpCheck *check = g_new0 (RpCheck, 1);
  gint64 now = g_get_monotonic_time ();

  g_atomic_ref_count_init (&check->ref);
  check->runner = runner;
  check->klass = klass;
  check->state = state;
  check->result = result;
  check->cancellable = g_cancellable_new ();
  check->deadline_us = MIN (now + timeout_us, runner->run_deadline_us);
  g_ptr_array_add (runner->checks, check);
  runner->pending++;
  check->started_us = now;
  check->timer = timer_at (runner, check->deadline_us, on_check_deadline, check);
  /* Start from the loop, never inside the caller: a check may add checks
   * that refer to each other, and all of them exist before any runs. */
  check->starter = g_idle_source_new ();
  g_source_set_priority (check->starter, G_PRIORITY_HIGH);
  g_source_set_callback (check->starter, start, check, NULL);
  g_source_attach (check->starter, runner->context);
  return check;
}

static gboolean
on_run_deadline (gpointer data)
{
  RpRunner *runner = data;

  /* Copy: expiring a check may add none, but be safe against growth. */
  for (guint i = 0; i < runner->checks->len; i++)
    expire (g_ptr_array_index (runner->checks, i));
  g_clear_pointer (&runner->run_timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

void
rp_runner_run (RpRunner *runner)
{
  if (runner->run_timer == NULL)
    runner->run_timer = timer_at (runner, runner->run_deadline_us, on_run_deadline, runner);
  while (runner->pending > 0)
    g_main_context_iteration (runner->context, TRUE);
}

void
rp_runner_abort (RpRunner *runner)
{
  if (runner->run_timer != NULL) {
    g_source_destroy (runner->run_timer);
    g_clear_pointer (&runner->run_timer, g_source_unref);
  }
  for (guint i = 0; i < runner->checks->len; i++)
    expire (g_ptr_array_index (runner->checks, i));
}

void
rp_runner_start (RpRunner *runner, GSourceFunc done, gpointer data)
{
  g_return_if_fail (runner->done == NULL && done != NULL);
  runner->done = done;
  runner->done_data = data;
  if (runner->run_timer == NULL)
    runner->run_timer = timer_at (runner, runner->run_deadline_us, on_run_deadline, runner);
  schedule_done (runner);
}

void
rp_runner_take_results (RpRunner *runner, RpReport *report)
{
  for (guint i = 0; i < runner->checks->len; i++) {
    RpCheck *check = g_ptr_array_index (runner->checks, i);

    if (check->result != NULL && check->finished)
      rp_report_add (report, g_steal_pointer (&check->result));
  }
}
