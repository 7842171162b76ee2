/* The runner: starts checks concurrently on one GMainContext, gives each a
 * deadline, bounds the whole run, and collects results in the order the
 * checks were added. A check is an asynchronous state machine that fills its
 * RpCheckResult and calls rp_check_finish(); it never prints. */
#pragma once

#include <gio/gio.h>

#include "common/result.h"

G_BEGIN_DECLS

typedef struct _RpRunner RpRunner;
typedef struct _RpCheck RpCheck;

typedef struct {
  /* Begin the work. Must lead to rp_check_finish() (now or later). */
  void (*start) (RpCheck *check);
  /* The deadline passed (or the run was cut short): the check's cancellable
   * is already cancelled; fill the result with what is known. The runner
   * finishes the check right after. NULL: a generic "no result" fail. */
  void (*expire) (RpCheck *check);
  /* Frees the state once nothing refers to the check any more. */
  GDestroyNotify free_state;
} RpCheckClass;

RpRunner *rp_runner_new (GMainContext *context, gint64 run_timeout_us);
void rp_runner_free (RpRunner *runner);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpRunner, rp_runner_free)

/* Adds a check (also while running: a check may add the checks that depend on
 * its outcome). It starts from the loop, not inside this call, so checks
 * added together all exist before any of them runs. timeout_us is capped by
 * what is left of the run. Takes ownership of result and state. */
RpCheck *rp_runner_add (RpRunner *runner, RpCheckResult *result, gint64 timeout_us,
                        const RpCheckClass *klass, gpointer state);
/* Runs until every check has finished. */
void rp_runner_run (RpRunner *runner);
/* Runs on a loop the caller keeps running (a server's): done (data) is called
 * from the loop once every check has finished, within the run's deadline.
 * Free the runner only from done or later (checks refer to it until then). */
void rp_runner_start (RpRunner *runner, GSourceFunc done, gpointer data);
/* Cuts the run short now, as its deadline would: every pending check is
 * expired (its expire hook says what it knew) and finished. */
void rp_runner_abort (RpRunner *runner);
/* Moves the results, in the order the checks were added, into report. */
void rp_runner_take_results (RpRunner *runner, RpReport *report);
GMainContext *rp_runner_get_context (RpRunner *runner);

RpCheck *rp_check_ref (RpCheck *check);
void rp_check_unref (RpCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpCheck, rp_check_unref)

RpCheckResult *rp_check_get_result (RpCheck *check);
gpointer rp_check_get_state (RpCheck *check);
RpRunner *rp_check_get_runner (RpCheck *check);
GCancellable *rp_check_get_cancellable (RpCheck *check);
gint64 rp_check_get_deadline_us (RpCheck *check);   /* monotonic */
gint64 rp_check_get_started_us (RpCheck *check);    /* monotonic */
gboolean rp_check_is_finished (RpCheck *check);
/* Records duration and hands the result to the runner. Idempotent. */
void rp_check_finish (RpCheck *check);

G_END_DECLS
