/* Tests for the runner: checks that finish at once or later, checks that
 * never finish and are expired at their own deadline (with the expire hook's
 * words, or the generic fail without one), a run timeout that cuts every
 * pending check and bounds how long rp_runner_run() blocks, checks added
 * while running, results in the order added rather than finished, an
 * idempotent rp_check_finish(), the cancellable cancelled on finish, and a
 * check whose state outlives the runner while a GIO callback still holds a
 * reference, and rp_runner_start on a loop the caller runs (done once, at
 * the deadline at the latest). Time bounds are generous: a loaded 2-core machine must not
 * make them flaky; what they prove is "at the deadline, not never". */
#include <gio/gio.h>

#include "probe/core/runner.h"

#define MS G_GINT64_CONSTANT (1000)
#define SLACK_US (300 * MS)
#define STATE_MAGIC 0x52554e52u

/* How many check states have been freed: proves free_state runs once per
 * check, and only after the last reference is gone. */
static guint n_freed;

typedef struct {
  guint32 magic;
  guint finish_after_ms;    /* 0: in start; G_MAXUINT: never */
  RpStatus status;
  guint n_expired;
  gboolean cancelled_in_expire;
  GPtrArray *finish_order;  /* not owned: ids in the order checks finished */
  GSocketListener *listener;
} Probe;

static Probe *
probe_new (guint finish_after_ms)
{
  Probe *p = g_new0 (Probe, 1);

  p->magic = STATE_MAGIC;
  p->finish_after_ms = finish_after_ms;
  p->status = RP_STATUS_PASS;
  return p;
}

static void
probe_free (gpointer data)
{
  Probe *p = data;

  g_assert_cmpuint (p->magic, ==, STATE_MAGIC);
  p->magic = 0;
  g_clear_object (&p->listener);
  g_free (p);
  n_freed++;
}

static void
finish_with (RpCheck *check, RpStatus status)
{
  Probe *p = rp_check_get_state (check);

  rp_check_result_set (rp_check_get_result (check), status, "done");
  if (p->finish_order != NULL)
    g_ptr_array_add (p->finish_order, rp_check_get_result (check)->id);
  rp_check_finish (check);
}

static gboolean
on_finish_timer (gpointer data)
{
  RpCheck *check = data;

  finish_with (check, ((Probe *) rp_check_get_state (check))->status);
  return G_SOURCE_REMOVE;
}

static void
probe_start (RpCheck *check)
{
  Probe *p = rp_check_get_state (check);
  GSource *src;

  if (p->finish_after_ms == 0) {
    finish_with (check, p->status);
    return;
  }
  if (p->finish_after_ms == G_MAXUINT)
    return;
  /* The timer holds a reference, as a real asynchronous step would. */
  src = g_timeout_source_new (p->finish_after_ms);
  g_source_set_callback (src, on_finish_timer, rp_check_ref (check),
                         (GDestroyNotify) rp_check_unref);
  g_source_attach (src, rp_runner_get_context (rp_check_get_runner (check)));
  g_source_unref (src);
}

static void
probe_expire (RpCheck *check)
{
  Probe *p = rp_check_get_state (check);

  p->n_expired++;
  p->cancelled_in_expire = g_cancellable_is_cancelled (rp_check_get_cancellable (check));
  rp_check_result_set (rp_check_get_result (check), RP_STATUS_WARN, "partial: expired");
}

static const RpCheckClass probe_class = { probe_start, probe_expire, probe_free };
static const RpCheckClass probe_class_no_expire = { probe_start, NULL, probe_free };

static RpCheck *
add (RpRunner *runner, const char *id, gint64 timeout_us, const RpCheckClass *klass, Probe *p)
{
  return rp_runner_add (runner, rp_check_result_new (id, "test", "here"), timeout_us, klass, p);
}

static RpReport *
take (RpRunner *runner)
{
  RpReport *report = rp_report_new ("test");

  rp_runner_take_results (runner, report);
  return report;
}

static RpCheckResult *
nth (RpReport *report, guint i)
{
  g_assert_cmpuint (i, <, report->checks->len);
  return g_ptr_array_index (report->checks, i);
}

static void
test_finish_now_and_later (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (RpRunner) runner = rp_runner_new (ctx, 5 * G_USEC_PER_SEC);
  g_autoptr (RpReport) report = NULL;

  n_freed = 0;
  add (runner, "now", 5 * G_USEC_PER_SEC, &probe_class, probe_new (0));
  add (runner, "later", 5 * G_USEC_PER_SEC, &probe_class, probe_new (30));
  rp_runner_run (runner);
  report = take (runner);

  g_assert_cmpuint (report->checks->len, ==, 2);
  g_assert_cmpstr (nth (report, 0)->id, ==, "now");
  g_assert_cmpint (nth (report, 0)->status, ==, RP_STATUS_PASS);
  g_assert_cmpfloat (nth (report, 0)->duration_ms, >=, 0.0);
  g_assert_cmpfloat (nth (report, 0)->duration_ms, <, 30.0);
  g_assert_cmpstr (nth (report, 1)->id, ==, "later");
  g_assert_cmpint (nth (report, 1)->status, ==, RP_STATUS_PASS);
  /* A GLib timeout never fires early, and started_us is taken before it is
   * scheduled. */
  g_assert_cmpfloat (nth (report, 1)->duration_ms, >=, 30.0);
  g_clear_pointer (&runner, rp_runner_free);
  g_assert_cmpuint (n_freed, ==, 2);
}

static void
test_expire_at_deadline (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (RpRunner) runner = rp_runner_new (ctx, 10 * G_USEC_PER_SEC);
  g_autoptr (RpReport) report = NULL;
  Probe *hooked = probe_new (G_MAXUINT);
  Probe *bare = probe_new (G_MAXUINT);
  gint64 t0 = g_get_monotonic_time ();
  gint64 elapsed;
  RpCheck *c;

  n_freed = 0;
  c = add (runner, "hooked", 50 * MS, &probe_class, hooked);
  g_assert_cmpint (rp_check_get_deadline_us (c) - rp_check_get_started_us (c), <=, 50 * MS);
  add (runner, "bare", 80 * MS, &probe_class_no_expire, bare);
  rp_runner_run (runner);
  elapsed = g_get_monotonic_time () - t0;
  /* Expired by its own 80 ms deadline, not by the 10 s run timeout. */
  g_assert_cmpint (elapsed, >=, 80 * MS);
  g_assert_cmpint (elapsed, <, 80 * MS + SLACK_US);

  g_assert_cmpuint (hooked->n_expired, ==, 1);
  g_assert_true (hooked->cancelled_in_expire);
  report = take (runner);
  g_assert_cmpint (nth (report, 0)->status, ==, RP_STATUS_WARN);
  g_assert_cmpstr (nth (report, 0)->summary, ==, "partial: expired");
  g_assert_cmpfloat (nth (report, 0)->duration_ms, >=, 50.0);
  g_assert_cmpfloat (nth (report, 0)->duration_ms, <, (50 * MS + SLACK_US) / 1000.0);
  g_assert_cmpint (nth (report, 1)->status, ==, RP_STATUS_FAIL);
  g_assert_cmpstr (nth (report, 1)->summary, ==, "no result before the deadline");
  g_assert_cmpfloat (nth (report, 1)->duration_ms, >=, 80.0);
  g_clear_pointer (&runner, rp_runner_free);
  g_assert_cmpuint (n_freed, ==, 2);
}

static void
test_run_timeout (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (RpRunner) runner = rp_runner_new (ctx, 200 * MS);
  g_autoptr (RpReport) report = NULL;
  Probe *stuck[3];
  gint64 elapsed;

  n_freed = 0;
  add (runner, "quick", 10 * G_USEC_PER_SEC, &probe_class, probe_new (0));
  for (guint i = 0; i < G_N_ELEMENTS (stuck); i++) {
    g_autofree char *id = g_strdup_printf ("stuck%u", i);
    RpCheck *c;

    stuck[i] = probe_new (G_MAXUINT);
    c = add (runner, id, 10 * G_USEC_PER_SEC, i == 2 ? &probe_class_no_expire : &probe_class,
             stuck[i]);
    /* The per-check deadline is capped by what is left of the run. */
    g_assert_cmpint (rp_check_get_deadline_us (c), <=, g_get_monotonic_time () + 200 * MS);
  }
  rp_runner_run (runner);
  elapsed = g_get_monotonic_time () - t0;
  g_assert_cmpint (elapsed, >=, 200 * MS);
  g_assert_cmpint (elapsed, <, 200 * MS + SLACK_US);

  g_assert_cmpuint (stuck[0]->n_expired, ==, 1);
  g_assert_cmpuint (stuck[1]->n_expired, ==, 1);
  report = take (runner);
  g_assert_cmpuint (report->checks->len, ==, 4);
  g_assert_cmpint (nth (report, 0)->status, ==, RP_STATUS_PASS);
  g_assert_cmpint (nth (report, 1)->status, ==, RP_STATUS_WARN);
  g_assert_cmpint (nth (report, 2)->status, ==, RP_STATUS_WARN);
  g_assert_cmpint (nth (report, 3)->status, ==, RP_STATUS_FAIL);
  g_clear_pointer (&runner, rp_runner_free);
  g_assert_cmpuint (n_freed, ==, 4);
}

/* ---- checks that add checks ---- */

static gboolean
on_parent_timer (gpointer data)
{
  RpCheck *check = data;
  Probe *p = rp_check_get_state (check);
  RpRunner *runner = rp_check_get_runner (check);
  Probe *child_later = probe_new (40);
  Probe *child_now = probe_new (0);

  child_later->finish_order = child_now->finish_order = p->finish_order;
  /* A check that depends on this one's outcome, added mid-run. */
  add (runner, "child-later", 5 * G_USEC_PER_SEC, &probe_class, child_later);
  add (runner, "child-now", 5 * G_USEC_PER_SEC, &probe_class, child_now);
  finish_with (check, RP_STATUS_PASS);
  return G_SOURCE_REMOVE;
}

static void
parent_start (RpCheck *check)
{
  GSource *src = g_timeout_source_new (20);

  g_source_set_callback (src, on_parent_timer, rp_check_ref (check),
                         (GDestroyNotify) rp_check_unref);
  g_source_attach (src, rp_runner_get_context (rp_check_get_runner (check)));
  g_source_unref (src);
}

static const RpCheckClass parent_class = { parent_start, NULL, probe_free };

static void
test_add_while_running (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (RpRunner) runner = rp_runner_new (ctx, 5 * G_USEC_PER_SEC);
  g_autoptr (RpReport) report = NULL;
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  Probe *parent = probe_new (G_MAXUINT);
  Probe *sibling = probe_new (10);

  n_freed = 0;
  parent->finish_order = sibling->finish_order = order;
  add (runner, "parent", 5 * G_USEC_PER_SEC, &parent_class, parent);
  add (runner, "sibling", 5 * G_USEC_PER_SEC, &probe_class, sibling);
  rp_runner_run (runner);

  /* Finished: sibling (10 ms), then parent and child-now (20 ms, the
   * child started from the parent's callback), child-later (60 ms). */
  g_assert_cmpuint (order->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (order, 0), ==, "sibling");
  g_assert_cmpstr (g_ptr_array_index (order, 3), ==, "child-later");
  /* Reported in the order added. */
  report = take (runner);
  g_assert_cmpuint (report->checks->len, ==, 4);
  g_assert_cmpstr (nth (report, 0)->id, ==, "parent");
  g_assert_cmpstr (nth (report, 1)->id, ==, "sibling");
  g_assert_cmpstr (nth (report, 2)->id, ==, "child-later");
  g_assert_cmpstr (nth (report, 3)->id, ==, "child-now");
  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (nth (report, i)->status, ==, RP_STATUS_PASS);
  g_clear_pointer (&runner, rp_runner_free);
  g_assert_cmpuint (n_freed, ==, 4);
}

static void
test_order_added_not_finished (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (RpRunner) runner = rp_runner_new (ctx, 5 * G_USEC_PER_SEC);
  g_autoptr (RpReport) report = NULL;
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  const guint after_ms[] = { 60, 10, 30, 0 };
  const char *ids[] = { "a", "b", "c", "d" };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    Probe *p = probe_new (after_ms[i]);
    p->finish_order = order;
    add (runner, ids[i], 5 * G_USEC_PER_SEC, &probe_class, p);
  }
  rp_runner_run (runner);
  g_assert_cmpuint (order->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (order, 0), ==, "d");
  g_assert_cmpstr (g_ptr_array_index (order, 1), ==, "b");
  g_assert_cmpstr (g_ptr_array_index (order, 2), ==, "c");
  g_assert_cmpstr (g_ptr_array_index (order, 3), ==, "a");
  report = take (runner);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_cmpstr (nth (report, i)->id, ==, ids[i]);
}

/* ---- finish is idempotent and cancels ---- */

static void
twice_start (RpCheck *check)
{
  GCancellable *cancellable = rp_check_get_cancellable (check);
  double first;

  g_assert_false (g_cancellable_is_cancelled (cancellable));
  g_assert_false (rp_check_is_finished (check));
  rp_check_result_set (rp_check_get_result (check), RP_STATUS_PASS, "first");
  rp_check_finish (check);
  /* Anything still running for this check must learn it is over. */
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  g_assert_true (rp_check_is_finished (check));
  first = rp_check_get_result (check)->duration_ms;
  g_usleep (5 * MS);
  /* A second finish must neither count the check twice (the runner would
   * stop with "other" still pending, or assert) nor move its duration. */
  rp_check_finish (check);
  g_assert_cmpfloat (rp_check_get_result (check)->duration_ms, ==, first);
}

static const RpCheckClass twice_class = { twice_start, probe_expire, probe_free };

static void
test_finish_idempotent (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (RpRunner) runner = rp_runner_new (ctx, 5 * G_USEC_PER_SEC);
  g_autoptr (RpReport) report = NULL;
  Probe *p = probe_new (0);
  Probe *other = probe_new (100);
  RpCheck *check;

  check = add (runner, "twice", 30 * MS, &twice_class, p);
  /* Keeps the run going past the 30 ms deadline of "twice": a finished
   * check is not expired. */
  add (runner, "other", 5 * G_USEC_PER_SEC, &probe_class, other);
  rp_runner_run (runner);
  g_assert_true (rp_check_is_finished (check));
  /* And once more from outside, after the run. */
  rp_check_finish (check);
  g_assert_cmpuint (p->n_expired, ==, 0);
  report = take (runner);
  g_assert_cmpint (nth (report, 0)->status, ==, RP_STATUS_PASS);
  g_assert_cmpstr (nth (report, 0)->summary, ==, "first");
  g_assert_cmpfloat (nth (report, 0)->duration_ms, <, 30.0);
  g_assert_cmpint (nth (report, 1)->status, ==, RP_STATUS_PASS);
}

/* ---- a GIO callback outliving the check ---- */

/* Outside the state, which is gone by the time they are read. */
static gboolean gio_callback_ran;
static guint freed_when_callback_ran;

static void
on_accept (GObject *source, GAsyncResult *res, gpointer data)
{
  RpCheck *check = data;   /* the reference taken when the operation began */
  Probe *p = rp_check_get_state (check);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) conn =
    g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), res, NULL, &error);

  g_assert_null (conn);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The state is still there although the check finished long ago. */
  g_assert_cmpuint (p->magic, ==, STATE_MAGIC);
  g_assert_true (rp_check_is_finished (check));
  gio_callback_ran = TRUE;
  freed_when_callback_ran = n_freed;
  rp_check_unref (check);
}

static void
gio_start (RpCheck *check)
{
  Probe *p = rp_check_get_state (check);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GError) error = NULL;

  /* An accept nobody will satisfy: it ends only through the cancellable,
   * and GIO reports that from the loop, after rp_check_finish(). */
  p->listener = g_socket_listener_new ();
  g_socket_listener_add_address (p->listener, any, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_accept_async (p->listener, rp_check_get_cancellable (check), on_accept,
                                  rp_check_ref (check));
  finish_with (check, RP_STATUS_PASS);
}

static const RpCheckClass gio_class = { gio_start, NULL, probe_free };

static void
test_ref_outlives_runner (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  RpRunner *runner = rp_runner_new (ctx, 5 * G_USEC_PER_SEC);
  g_autoptr (RpReport) report = NULL;
  Probe *p = probe_new (0);
  Probe *held = probe_new (0);
  RpCheck *held_check;

  n_freed = 0;
  gio_callback_ran = FALSE;
  /* GIO delivers to the thread-default context of the caller. */
  g_main_context_push_thread_default (ctx);
  add (runner, "gio", 5 * G_USEC_PER_SEC, &gio_class, p);
  held_check = rp_check_ref (add (runner, "held", 5 * G_USEC_PER_SEC, &probe_class, held));
  rp_runner_run (runner);
  report = take (runner);
  g_assert_cmpuint (report->checks->len, ==, 2);
  rp_runner_free (runner);

  while (!gio_callback_ran)
    g_main_context_iteration (ctx, TRUE);
  /* The cancelled callback held the last reference to "gio": its state was
   * alive in the callback (asserted there, and ASan would see a use after
   * free) and freed when it let go; "held" is still referenced here. */
  g_assert_cmpuint (freed_when_callback_ran, ==, 0);
  g_assert_cmpuint (n_freed, ==, 1);
  g_assert_cmpuint (held->magic, ==, STATE_MAGIC);
  g_assert_true (rp_check_is_finished (held_check));
  /* Its result went to the report. */
  g_assert_null (rp_check_get_result (held_check));
  rp_check_unref (held_check);
  g_assert_cmpuint (n_freed, ==, 2);
  g_main_context_pop_thread_default (ctx);
}

/* ---- rp_runner_start: a loop the caller keeps running ---- */

typedef struct {
  GMainLoop *loop;
  RpRunner *runner;
  guint n_done;
  gint64 done_us;
} Started;

static gboolean
on_started_done (gpointer data)
{
  Started *s = data;

  s->n_done++;
  s->done_us = g_get_monotonic_time ();
  g_main_loop_quit (s->loop);
  return G_SOURCE_REMOVE;
}

/* done is called once, from the loop, when a quick and a later check have
 * finished, and at the run's deadline when one never does; the runner may
 * be freed from there on without iterating the caller's loop. */
static void
test_start_on_callers_loop (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (ctx, FALSE);
  gint64 t0 = g_get_monotonic_time ();
  Started s = { .loop = loop };
  g_autoptr (RpReport) report = NULL;

  n_freed = 0;
  s.runner = rp_runner_new (ctx, 300 * MS);
  add (s.runner, "quick", 5 * G_USEC_PER_SEC, &probe_class, probe_new (0));
  add (s.runner, "later", 5 * G_USEC_PER_SEC, &probe_class, probe_new (50));
  add (s.runner, "never", 5 * G_USEC_PER_SEC, &probe_class, probe_new (G_MAXUINT));
  rp_runner_start (s.runner, on_started_done, &s);
  g_assert_cmpuint (s.n_done, ==, 0);
  g_main_loop_run (loop);
  g_assert_cmpuint (s.n_done, ==, 1);
  g_assert_cmpint (s.done_us - t0, >=, 300 * MS);
  g_assert_cmpint (s.done_us - t0, <, 300 * MS + SLACK_US);
  report = take (s.runner);
  g_assert_cmpuint (report->checks->len, ==, 3);
  g_assert_cmpint (nth (report, 0)->status, ==, RP_STATUS_PASS);
  g_assert_cmpint (nth (report, 1)->status, ==, RP_STATUS_PASS);
  g_assert_cmpint (nth (report, 2)->status, ==, RP_STATUS_WARN);
  rp_runner_free (s.runner);
  g_assert_cmpuint (n_freed, ==, 3);
  /* Nothing of the runner is left on the loop. */
  for (guint i = 0; i < 100 && g_main_context_iteration (ctx, FALSE); i++)
    ;
  g_assert_cmpuint (s.n_done, ==, 1);
}

static gboolean
on_abort_timer (gpointer data)
{
  rp_runner_abort (data);
  return G_SOURCE_REMOVE;
}

/* rp_runner_abort cuts a started run short long before its deadline: the
 * pending check is expired with its own words and done follows. */
static void
test_abort (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (ctx, FALSE);
  gint64 t0 = g_get_monotonic_time ();
  Started s = { .loop = loop };
  g_autoptr (RpReport) report = NULL;
  GSource *timer = g_timeout_source_new (50);

  s.runner = rp_runner_new (ctx, 10 * G_USEC_PER_SEC);
  add (s.runner, "never", 10 * G_USEC_PER_SEC, &probe_class, probe_new (G_MAXUINT));
  rp_runner_start (s.runner, on_started_done, &s);
  g_source_set_callback (timer, on_abort_timer, s.runner, NULL);
  g_source_attach (timer, ctx);
  g_source_unref (timer);
  g_main_loop_run (loop);
  g_assert_cmpuint (s.n_done, ==, 1);
  g_assert_cmpint (s.done_us - t0, <, 50 * MS + SLACK_US);
  report = take (s.runner);
  g_assert_cmpint (nth (report, 0)->status, ==, RP_STATUS_WARN);
  g_assert_cmpstr (nth (report, 0)->summary, ==, "partial: expired");
  rp_runner_free (s.runner);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/runner/finish-now-and-later", test_finish_now_and_later);
  g_test_add_func ("/runner/expire-at-deadline", test_expire_at_deadline);
  g_test_add_func ("/runner/run-timeout", test_run_timeout);
  g_test_add_func ("/runner/add-while-running", test_add_while_running);
  g_test_add_func ("/runner/order-added-not-finished", test_order_added_not_finished);
  g_test_add_func ("/runner/finish-idempotent", test_finish_idempotent);
  g_test_add_func ("/runner/ref-outlives-runner", test_ref_outlives_runner);
  g_test_add_func ("/runner/start-on-callers-loop", test_start_on_callers_loop);
  g_test_add_func ("/runner/abort", test_abort);
  return g_test_run ();
}
