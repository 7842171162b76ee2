/* The `load` check: the servers resolved, the ramp run (probe/net/load-run.c),
 * one result per step (`load.step.<n>`) and the verdict (`load.verdict`)
 * naming the knee: the first step whose loss or jitter p95 crosses its
 * threshold, or whose allocations were refused (486 Allocation Quota
 * Reached, 508 Insufficient Capacity, RFC 8656 7.2 and 19), and whether the
 * probe's own schedule error rose at or before it. */
#include "probe/checks/checks-load.h"

#include "probe/core/explain.h"
#include "probe/core/resolve.h"
#include "probe/core/server-target.h"
#include "probe/net/load-run.h"

#define SETUP_BUDGET_US (15 * G_USEC_PER_SEC)

struct _RpLoadCommand {
  RpLoadOptions o;
  char *uri;                    /* the first --turn, or the reflector's URL */
  RpReflectorClient *client;    /* --reflector */
  GSocketAddress *direct;       /* the reflector's direct UDP port, once welcomed */
  const RpReflectorWelcome *welcome;   /* the client's */
  RpTurnPlan *plan;
  RpCheck *check;
  GPtrArray *targets;           /* RpServerTarget* */
  GPtrArray *servers;           /* RpLoadServer*, pointing into targets */
  guint resolving;
  RpLoadRun *run;
  GArray *summaries;            /* RpLoadStepSummary */
  GPtrArray *step_results;      /* RpCheckResult*, until the report takes them */
  RpHistogram allocate_us;      /* allocations only: every step's latencies */
  char *first_failure;          /* the first set-up failure, explained */
  char *first_failure_hint;
  gboolean done;
};

static void
server_target_free (gpointer p)
{
  rp_server_target_clear (p);
  g_free (p);
}

static void
command_clear (gpointer data)
{
  RpLoadCommand *c = data;

  rp_load_run_free (c->run);
  rp_reflector_client_free (c->client);
  g_clear_object (&c->direct);
  g_free (c->uri);
  rp_turn_plan_unref (c->plan);
  g_ptr_array_unref (c->servers);
  g_ptr_array_unref (c->targets);
  g_array_unref (c->summaries);
  g_ptr_array_unref (c->step_results);
  g_free (c->first_failure);
  g_free (c->first_failure_hint);
}

void
rp_load_command_free (RpLoadCommand *cmd)
{
  if (cmd != NULL)
    g_rc_box_release_full (cmd, command_clear);
}

static void
release_cmd (gpointer data)
{
  rp_load_command_free (data);
}

gint64
rp_load_planned_us (const RpLoadOptions *o)
{
  guint steps = rp_load_ramp_steps (&o->ramp, o->streams);
  double s = steps * o->ramp.interval_s;

  if (steps > 0 && o->last_hold_s > 0)
    s += o->last_hold_s - o->ramp.interval_s;
  return (gint64) (s * G_USEC_PER_SEC);
}

gint64
rp_load_settle_max_us (const RpLoadOptions *o)
{
  if (o->allocations_only || o->reflector != NULL)
    return 0;
  return rp_load_ramp_steps (&o->ramp, o->streams) * rp_load_settle_cap_us (o->ramp.interval_s);
}

/* ---- one step ---- */

static void
write_step (RpLoadCommand *c, guint k, const RpLoadStepSummary *s)
{
  g_autofree char *id = g_strdup_printf ("load.step.%u", k + 1);
  RpCheckResult *r = rp_check_result_new (id, "load", c->uri);
  const RpLoadThresholds *t = &c->o.thresholds;
  gboolean over = MAX (s->loss_pct[0], s->loss_pct[1]) > t->loss_pct ||
                  MAX (s->jitter_p95_ms[0], s->jitter_p95_ms[1]) > t->jitter_p95_ms;

  rp_check_result_metric (r, "streams_attempted", s->streams_attempted);
  rp_check_result_metric (r, "streams_established", s->streams_established);
  rp_check_result_metric (r, "setup_failures", s->allocation_failures);
  for (guint i = 0; i < RP_LOAD_FAIL_N; i++) {
    g_autofree char *key = g_strdup_printf ("failures.%s", rp_load_fail_to_string (i));
    rp_check_result_detail_int (r, key, s->fail[i]);
  }
  if (s->first_refused > 0)
    rp_check_result_detail_int (r, "first_refused_allocation", s->first_refused);
  if (c->o.allocations_only) {
    rp_check_result_metric (r, "allocate_ms_p50", s->rtt_p50_ms);
    rp_check_result_metric (r, "allocate_ms_p99", s->rtt_p99_ms);
    rp_check_result_set (r, s->allocation_failures > 0 ? RP_STATUS_WARN : RP_STATUS_PASS,
                         "step %u: %u of %u allocations held, Allocate p50 %.1f ms, p99 %.1f ms, "
                         "%u refused or unanswered",
                         k + 1, s->streams_established, s->streams_attempted, s->rtt_p50_ms,
                         s->rtt_p99_ms, s->allocation_failures);
  } else if (s->sent == 0) {
    /* Nothing measured: no figure rather than zeros a dashboard would plot. */
    rp_check_result_metric (r, "packets_sent", 0);
    rp_check_result_set (r, s->streams_established == 0 ? RP_STATUS_FAIL : RP_STATUS_WARN,
                         "step %u: %u of %u streams set up, %u failed, no packet measured",
                         k + 1, s->streams_established, s->streams_attempted,
                         s->allocation_failures);
  } else {
    rp_check_result_metric (r, "packets_sent", (double) s->sent);
    /* What the shortfall is: streams still being set up as the window
     * opened, never a send skipped. */
    rp_check_result_metric (r, "packets_planned", (double) s->planned);
    rp_check_result_metric (r, "setup_ms", s->setup_ms);
    rp_check_result_detail_int (r, "streams_setting_up", s->setting_up);
    rp_check_result_metric (r, "rtt_ms_p50", s->rtt_p50_ms);
    rp_check_result_metric (r, "rtt_ms_p95", s->rtt_p95_ms);
    rp_check_result_metric (r, "rtt_ms_p99", s->rtt_p99_ms);
    rp_check_result_metric (r, "jitter_ms_p95_fwd", s->jitter_p95_ms[RP_LOAD_FWD]);
    rp_check_result_metric (r, "jitter_ms_p95_bwd", s->jitter_p95_ms[RP_LOAD_BWD]);
    rp_check_result_metric (r, "loss_pct_fwd", s->loss_pct[RP_LOAD_FWD]);
    rp_check_result_metric (r, "loss_pct_bwd", s->loss_pct[RP_LOAD_BWD]);
    rp_check_result_metric (r, "schedule_error_ms_p50", s->schedule_p50_ms);
    rp_check_result_metric (r, "schedule_error_ms_p99", s->schedule_p99_ms);
    rp_check_result_set (r,
                         s->streams_established == 0 ? RP_STATUS_FAIL
                         : over || s->allocation_failures > 0 ? RP_STATUS_WARN
                                                              : RP_STATUS_PASS,
                         "step %u: %u of %u streams, RTT p95 %.2f ms, loss %.2f %% / %.2f %% "
                         "(fwd/bwd), jitter p95 %.2f / %.2f ms, sender late p99 %.3f ms",
                         k + 1, s->streams_established, s->streams_attempted, s->rtt_p95_ms,
                         s->loss_pct[0], s->loss_pct[1], s->jitter_p95_ms[0], s->jitter_p95_ms[1],
                         s->schedule_p99_ms);
    /* Streams the window measured without: their set-up outlasted its wait. */
    if (s->setting_up > 0) {
      g_autofree char *more = g_strdup_printf (
        "%s; %u streams were still being set up when the window opened, %.1f s into the step",
        r->summary, s->setting_up, s->setup_ms / 1000.0);
      rp_check_result_set (r, r->status, "%s", more);
    }
    /* Packets never sent are said (a late stream sends every packet, late). */
    if (s->planned > 0 && s->sent < s->planned - s->planned / 20) {
      g_autofree char *more = g_strdup_printf (
        "%s; %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " planned packets sent", r->summary,
        s->sent, s->planned);
      rp_check_result_set (r, r->status, "%s", more);
    }
  }
  if (r->status != RP_STATUS_PASS)
    rp_check_result_set_hint (r, "see load.verdict for the knee and what to do");
  g_ptr_array_add (c->step_results, r);
}

static void
on_step (RpLoadRun *run, guint k, const RpLoadStep *step, gpointer data)
{
  RpLoadCommand *c = data;
  RpLoadStepSummary s;

  rp_load_step_summarize (step, &s);
  g_array_append_val (c->summaries, s);
  if (c->o.allocations_only)
    for (guint i = 0; i < RP_HISTOGRAM_BUCKETS; i++)
      c->allocate_us.buckets[i] += step->rtt_us.buckets[i];
  if (c->o.allocations_only && step->rtt_us.count > 0) {
    c->allocate_us.min = c->allocate_us.count == 0 ? step->rtt_us.min
                                                   : MIN (c->allocate_us.min, step->rtt_us.min);
    c->allocate_us.max = MAX (c->allocate_us.max, step->rtt_us.max);
    c->allocate_us.count += step->rtt_us.count;
  }
  write_step (c, k, &s);
}

static void
on_failed (RpLoadRun *run, const char *what, const RpTurnResult *res, RpTurnClient *who,
           const RpLoadServer *server, gpointer data)
{
  RpLoadCommand *c = data;
  g_autoptr (RpCheckResult) scratch = NULL;
  RpTurnContext ctx = { RP_TRANSPORT_UDP, server->server_str, rp_turn_plan_get_creds (c->plan),
                        rp_turn_client_get_realm (who) };

  if (c->first_failure != NULL)
    return;
  scratch = rp_check_result_new ("scratch", "turn", "");
  rp_explain_turn_failure (scratch, what, res, &ctx,
                           rp_stun_client_get_info (rp_turn_client_get_stun (who)));
  c->first_failure = g_strdup (scratch->summary);
  c->first_failure_hint = g_strdup (scratch->hint);
}

/* ---- the verdict ---- */

static void
write_totals (RpLoadCommand *c, RpCheckResult *r, const RpLoadTotals *t)
{
  rp_check_result_metric (r, "steps", c->summaries->len);
  rp_check_result_detail_str (r, "path", c->client != NULL ? "reflector-direct-udp" : "turn-udp");
  if (c->client == NULL)
    rp_check_result_metric (r, "allocations", (double) t->allocations);
  rp_check_result_detail_int (r, "setup_retries", t->setup_retries);
  rp_check_result_detail_int (r, "refreshes", t->refreshes);
  rp_check_result_detail_int (r, "refresh_failures", t->refresh_failures);
  rp_check_result_detail_int (r, "released", t->released);
  rp_check_result_detail_int (r, "release_failures", t->release_failures);
  rp_check_result_detail_bool (r, "cut_short", t->cut_short);
  rp_check_result_detail_bool (r, "alternate_server_followed", FALSE);
  rp_check_result_detail_bool (r, "alternate_server_offered", t->alternate_refused);
  if (t->quota > 0)
    rp_check_result_detail_int (r, "quota", t->quota);
  if (!c->o.allocations_only) {
    rp_check_result_detail_str (r, "rx_timestamps", t->kernel_timestamps ? "kernel" : "userspace");
    rp_check_result_detail_int (r, "datagrams_sent", (gint64) t->engine.sent);
    rp_check_result_detail_int (r, "datagrams_received", (gint64) t->engine.received);
    rp_check_result_detail_int (r, "send_calls", (gint64) t->engine.send_calls);
    rp_check_result_detail_int (r, "recv_calls", (gint64) t->engine.recv_calls);
    rp_check_result_detail_int (r, "send_errors", (gint64) t->engine.send_errors);
    /* Packets the engine had no slot for: their step counts them lost (A's
     * forward, B's reflections backward); the reader must see they were ours. */
    rp_check_result_detail_int (r, "datagrams_not_sent", (gint64) t->engine.dropped);
    rp_check_result_detail_int (r, "wakeups", (gint64) t->engine.wakeups);
    rp_check_result_detail_int (r, "packet_bytes", (gint64) c->o.voice.packet_size);
    rp_check_result_metric (r, "interval_ms", c->o.voice.interval_us / 1000.0);
  }
}

static const char *
dir_words (const RpLoadCommand *c, RpLoadDir d)
{
  if (c->client != NULL)
    return d == RP_LOAD_FWD ? "forward (to the reflector)" : "backward (from the reflector)";
  return d == RP_LOAD_FWD ? "forward (A to B through the relays)" : "backward (B to A)";
}

static char *
knee_words (RpLoadCommand *c, const RpLoadKnee *k, const RpLoadTotals *t)
{
  const RpLoadStepSummary *s = &g_array_index (c->summaries, RpLoadStepSummary, k->step);
  const RpLoadThresholds *th = &c->o.thresholds;
  const char *unit = c->o.allocations_only ? "allocations" : "streams";

  switch (k->kind) {
  case RP_LOAD_KNEE_ALLOCATION:
    if (s->fail[RP_LOAD_FAIL_QUOTA] > 0 && t->quota > 0)
      return g_strdup_printf ("knee at step %u (%u %s): the server refused allocation %u "
                              "with 486 Allocation Quota Reached: its user-quota/total-quota is %u",
                              k->step + 1, s->streams_attempted, unit, t->quota + 1, t->quota);
    if (s->fail[RP_LOAD_FAIL_CAPACITY] > 0)
      return g_strdup_printf ("knee at step %u (%u %s): the server answered 508 "
                              "Insufficient Capacity after %" G_GUINT64_FORMAT " allocations",
                              k->step + 1, s->streams_attempted, unit, t->allocations);
    return g_strdup_printf ("knee at step %u (%u %s): %u set-ups failed (first: %s)",
                            k->step + 1, s->streams_attempted, unit, s->allocation_failures,
                            c->first_failure != NULL ? c->first_failure : "no reason recorded");
  case RP_LOAD_KNEE_LOSS:
    return g_strdup_printf ("knee at step %u (%u streams): loss %.2f %% %s, over %.2g %%",
                            k->step + 1, s->streams_established, s->loss_pct[k->dir],
                            dir_words (c, k->dir), th->loss_pct);
  case RP_LOAD_KNEE_JITTER:
    return g_strdup_printf ("knee at step %u (%u streams): jitter p95 %.1f ms %s, over %.3g ms",
                            k->step + 1, s->streams_established, s->jitter_p95_ms[k->dir],
                            dir_words (c, k->dir), th->jitter_p95_ms);
  case RP_LOAD_KNEE_NONE:
  default:
    return NULL;
  }
}

static void
write_verdict (RpLoadCommand *c)
{
  RpCheckResult *r = rp_check_get_result (c->check);
  const RpLoadTotals *t = rp_load_run_get_totals (c->run);
  const RpLoadStepSummary *steps = (const RpLoadStepSummary *) c->summaries->data;
  guint n = c->summaries->len;
  RpLoadKnee k;
  g_autofree char *knee = NULL;
  g_autofree char *probe = NULL;
  guint best = 0;

  write_totals (c, r, t);
  rp_load_find_knee (steps, n, &c->o.thresholds, &k);
  for (guint i = 0; i < n; i++)
    best = MAX (best, steps[i].streams_established);
  rp_check_result_metric (r, "streams_max_established", best);
  if (k.probe_limited) {
    probe = g_strdup_printf ("the probe's own schedule error p99 was %.2f ms at step %u (over "
                             "%.3g ms, half the packet interval): this machine, not the relay, "
                             "is the limit of these figures",
                             steps[k.probe_step].schedule_p99_ms, k.probe_step + 1,
                             c->o.thresholds.schedule_p99_ms);
    rp_check_result_detail_bool (r, "probe_limited", TRUE);
  }
  if (k.kind != RP_LOAD_KNEE_NONE) {
    static const char *const kinds[] = { "none", "allocation", "loss", "jitter" };
    rp_check_result_detail_int (r, "knee_step", k.step + 1);
    rp_check_result_detail_int (r, "knee_streams", steps[k.step].streams_attempted);
    rp_check_result_detail_str (r, "knee_reason", kinds[k.kind]);
    if (k.kind == RP_LOAD_KNEE_ALLOCATION && steps[k.step].fail[RP_LOAD_FAIL_QUOTA] > 0)
      rp_check_result_detail_str (r, "knee_reason", "quota_486");
    if (t->quota > 0)
      rp_check_result_detail_int (r, "knee_refused_allocation", t->quota + 1);
  }
  if (c->o.allocations_only) {
    double secs = t->allocate_elapsed_us / 1e6;
    rp_check_result_metric (r, "allocations_per_s", secs > 0 ? t->allocations / secs : 0);
    rp_check_result_metric (r, "allocate_ms_p50",
                            rp_histogram_percentile (&c->allocate_us, 50) / 1000);
    rp_check_result_metric (r, "allocate_ms_p99",
                            rp_histogram_percentile (&c->allocate_us, 99) / 1000);
  }
  knee = knee_words (c, &k, t);
  if (best == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL, "no stream could be set up: %s",
                         c->first_failure != NULL ? c->first_failure : "the run ended first");
    if (c->first_failure_hint != NULL)
      rp_check_result_set_hint (r, "%s", c->first_failure_hint);
  } else if (knee != NULL) {
    rp_check_result_set (r, RP_STATUS_WARN, "%s%s", knee, t->cut_short ? " (cut short)" : "");
    rp_check_result_set_hint (
      r, "%s%s%s", probe != NULL ? probe : "",
      probe != NULL ? "; " : "",
      k.kind == RP_LOAD_KNEE_ALLOCATION
        ? "raise the server's quota or capacity (coturn: user-quota, total-quota, max-port - "
          "min-port) if this many calls must fit, or plan for fewer per server"
      : c->client != NULL
        ? "this many streams exceed what the path to the reflector (or the reflector's host) "
          "carries cleanly: the same streams without TURN, so compare with load --turn"
        : "this many calls exceed what the relay or its network carries cleanly: watch the "
          "relay's CPU (turnserver) and network during a run, and plan for the last clean step");
  } else {
    const RpLoadStepSummary *last = &steps[n - 1];
    rp_check_result_set (r, probe != NULL ? RP_STATUS_WARN : RP_STATUS_PASS,
                         "no knee up to %u streams%s: RTT p95 %.2f ms, loss %.2f %% / %.2f %%, "
                         "jitter p95 %.2f / %.2f ms at the last step",
                         best, t->cut_short ? " (cut short)" : "", last->rtt_p95_ms,
                         last->loss_pct[0], last->loss_pct[1], last->jitter_p95_ms[0],
                         last->jitter_p95_ms[1]);
    if (probe != NULL)
      rp_check_result_set_hint (r, "%s: run it from a machine with more headroom, or fewer "
                                   "streams", probe);
  }
  if (t->alternate_refused) {
    g_autofree char *h = g_strdup_printf (
      "%s%sthe server answered 300 Try Alternate: load contacts only the servers named and did "
      "not follow it; name that server with --turn to test it",
      r->hint != NULL ? r->hint : "", r->hint != NULL ? "; " : "");
    rp_check_result_set_hint (r, "%s", h);
  }
}

static void
on_done (RpLoadRun *run, gpointer data)
{
  RpLoadCommand *c = data;

  if (c->done)
    return;
  c->done = TRUE;
  write_verdict (c);
  if (c->client != NULL)
    rp_reflector_client_stop (c->client);
  rp_check_finish (c->check);
}

/* ---- start ---- */

static void
start_run (RpLoadCommand *c)
{
  RpLoadConfig lc = { 0 };
  g_autoptr (GError) error = NULL;

  lc.servers = c->servers;
  lc.creds = rp_turn_plan_get_creds (c->plan);
  lc.context = rp_runner_get_context (rp_check_get_runner (c->check));
  lc.streams = c->o.streams;
  lc.ramp = c->o.ramp;
  lc.last_hold_s = c->o.last_hold_s;
  lc.packet_size = c->o.voice.packet_size;
  lc.interval_us = c->o.voice.interval_us;
  lc.allocations_only = c->o.allocations_only;
  if (c->direct != NULL) {
    const RpReflectorWelcome *w = c->welcome;
    lc.direct = c->direct;
    lc.direct_key = w->key;
    lc.direct_ssids = w->streams;
  }
  lc.step_done = on_step;
  lc.failed = on_failed;
  lc.done = on_done;
  lc.user_data = c;
  c->run = rp_load_run_new (&lc, &error);
  if (c->run == NULL) {
    rp_check_result_set (rp_check_get_result (c->check), RP_STATUS_FAIL, "%s", error->message);
    rp_check_finish (c->check);
    return;
  }
  rp_load_run_start (c->run);
}

typedef struct {
  RpLoadCommand *c;             /* a reference */
  RpCheck *check;               /* a reference */
  guint index;
} Resolving;

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  Resolving *q = data;
  RpLoadCommand *c = q->c;
  RpServerTarget *srv = g_ptr_array_index (c->targets, q->index);
  GList *addrs = NULL;
  RpResolveOutcome outcome =
    rp_check_resolve_finish (q->check, res, srv->target.host, srv->options.family, &addrs);

  rp_check_unref (q->check);
  g_free (q);
  c->resolving--;
  if (outcome == RP_RESOLVED) {
    rp_server_target_set_address (srv, addrs->data, srv->target.port);
    g_resolver_free_addresses (addrs);
  } else if (outcome == RP_RESOLVE_FAILED) {
    rp_check_finish (c->check);
  }
  if (c->resolving == 0 && !rp_check_is_finished (c->check)) {
    for (guint i = 0; i < c->targets->len; i++) {
      RpServerTarget *t = g_ptr_array_index (c->targets, i);
      RpLoadServer *ls = g_new0 (RpLoadServer, 1);
      ls->address = G_SOCKET_ADDRESS (t->server);
      ls->host = t->target.host;
      ls->server_str = t->server_str;
      g_ptr_array_add (c->servers, ls);
    }
    rp_check_result_detail_str (rp_check_get_result (c->check), "server_address",
                                ((RpLoadServer *) g_ptr_array_index (c->servers, 0))->server_str);
    start_run (c);
  }
  rp_load_command_free (c);
}

/* ---- --reflector ---- */

/* The session's limits against the plan: what would be dropped is refused
 * before a packet goes, with the reflector's key that allows it. */
static gboolean
reflector_fits (RpLoadCommand *c, const RpReflectorWelcome *w)
{
  double pps = G_USEC_PER_SEC / (double) c->o.voice.interval_us;
  double all = pps * c->o.streams;
  double secs = (SETUP_BUDGET_US + rp_load_planned_us (&c->o)) / (double) G_USEC_PER_SEC;

  if (w->udp_port == 0) {
    rp_reflector_client_fail (c->client, "set [listen] udp in the reflector's config (and open "
                              "that port)", "the reflector offers no direct UDP port");
    return FALSE;
  }
  if (c->o.voice.packet_size > w->max_packet) {
    rp_reflector_client_fail (c->client, "raise [limits] max_packet there, or a smaller --codec",
                              "the reflector answers packets of at most %u bytes; these are %"
                              G_GSIZE_FORMAT, w->max_packet, c->o.voice.packet_size);
    return FALSE;
  }
  if (pps > w->stream_rate || all > w->direct_rate) {
    rp_reflector_client_fail (
      c->client,
      "on your own reflector raise [limits] session_packet_rate (per stream) and "
      "global_packet_rate (all streams), or ask for fewer --streams",
      "%u streams send %.0f packets a second (%.0f each); the reflector answers %.0f a stream and "
      "%.0f in all on its direct ports: it would drop what the run measures",
      c->o.streams, all, pps, w->stream_rate, w->direct_rate);
    return FALSE;
  }
  if (w->lifetime_s > 0 && secs > w->lifetime_s) {
    rp_reflector_client_fail (c->client,
                              "raise [limits] session_lifetime there, or shorten the run",
                              "the run takes up to %.0f s; the reflector ends sessions after %"
                              G_GINT64_FORMAT " s", secs, w->lifetime_s);
    return FALSE;
  }
  return TRUE;
}

static void
on_welcome (RpReflectorClient *client, const RpReflectorWelcome *w, gpointer data)
{
  RpLoadCommand *c = data;
  RpCheckResult *r = rp_check_get_result (c->check);
  const char *ip = rp_reflector_client_get_address (client);
  g_autofree char *hp = NULL;

  c->welcome = w;
  if (!reflector_fits (c, w))
    return;
  c->direct = g_inet_socket_address_new_from_string (ip, w->udp_port);
  if (c->direct == NULL) {
    rp_reflector_client_fail (client, NULL, "the reflector's address %s is not numeric", ip);
    return;
  }
  hp = rp_host_port_to_string (ip, w->udp_port);
  rp_check_result_detail_str (r, "server_address", hp);
  rp_reflector_client_set_phase (client, "load");
  start_run (c);
}

static void
on_client_failed (RpReflectorClient *client, gpointer data)
{
  RpLoadCommand *c = data;

  if (c->run != NULL) {
    /* The session ended under the run: what was measured, then the verdict. */
    rp_load_run_abandon (c->run);
    return;
  }
  if (!rp_check_is_finished (c->check))
    rp_check_finish (c->check);
}

static const RpReflectorClientCallbacks client_callbacks = { on_welcome, NULL, NULL,
                                                             on_client_failed };

static void
load_start (RpCheck *check)
{
  RpLoadCommand *c = rp_check_get_state (check);

  c->check = check;
  if (c->client != NULL) {
    rp_reflector_client_start (c->client, check);
    return;
  }
  c->resolving = c->targets->len;
  for (guint i = 0; i < c->targets->len; i++) {
    RpServerTarget *srv = g_ptr_array_index (c->targets, i);
    Resolving *q = g_new0 (Resolving, 1);
    q->c = g_rc_box_acquire (c);
    q->check = rp_check_ref (check);
    q->index = i;
    rp_resolve_async (srv->target.host, srv->options.family, rp_check_get_cancellable (check),
                      on_resolved, q);
  }
}

static void
load_expire (RpCheck *check)
{
  RpLoadCommand *c = rp_check_get_state (check);
  RpServerTarget *srv = g_ptr_array_index (c->targets, 0);

  if (c->run != NULL) {
    /* What was measured so far, then the verdict (on_done). */
    rp_load_run_abandon (c->run);
    return;
  }
  if (c->client != NULL) {
    rp_reflector_client_explain_deadline (c->client, rp_check_get_result (check));
    rp_reflector_client_stop (c->client);
    return;
  }
  rp_explain_deadline (rp_check_get_result (check), RP_TRANSPORT_UDP, srv->server_str,
                       srv->target.port, "name resolution", NULL);
}

static const RpCheckClass load_class = { load_start, load_expire, release_cmd };

RpLoadCommand *
rp_check_load_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                   const RpLoadOptions *o)
{
  RpLoadCommand *c = g_rc_box_new0 (RpLoadCommand);
  gint64 budget = SETUP_BUDGET_US + rp_load_planned_us (o) + rp_load_settle_max_us (o);

  c->o = *o;
  c->o.turn = NULL;
  c->o.reflector = NULL;
  c->o.voice.turn = NULL;
  if (o->reflector != NULL) {
    RpIceReflectorOptions ro = *o->reflector;
    ro.load_streams = o->streams;
    c->uri = g_strdup (ro.url->uri);
    c->client = rp_reflector_client_new (options, rp_turn_plan_get_creds (plan), &ro, FALSE,
                                         &client_callbacks, c);
  } else {
    c->uri = g_strdup (((const RpTarget *) g_ptr_array_index (o->turn, 0))->uri);
  }
  c->plan = rp_turn_plan_ref (plan);
  c->targets = g_ptr_array_new_with_free_func (server_target_free);
  c->servers = g_ptr_array_new_with_free_func (g_free);
  c->summaries = g_array_new (FALSE, TRUE, sizeof (RpLoadStepSummary));
  c->step_results = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_check_result_free);
  rp_histogram_init (&c->allocate_us);
  for (guint i = 0; o->turn != NULL && i < o->turn->len; i++) {
    RpServerTarget *srv = g_new0 (RpServerTarget, 1);
    rp_server_target_init (srv, g_ptr_array_index (o->turn, i), options);
    g_ptr_array_add (c->targets, srv);
  }
  /* One reference for the runner's check, one for the command line. */
  rp_runner_add (runner, rp_check_result_new ("load.verdict", "load", c->uri), budget,
                 &load_class, g_rc_box_acquire (c));
  return c;
}

gboolean
rp_load_command_stop (RpLoadCommand *cmd)
{
  if (cmd->run == NULL || cmd->done)
    return FALSE;
  rp_load_run_stop (cmd->run);
  return TRUE;
}

void
rp_load_command_finish (RpLoadCommand *cmd, RpReport *report)
{
  guint at = report->checks->len;

  /* The steps go just before the verdict. */
  for (guint i = 0; i < report->checks->len; i++)
    if (g_strcmp0 (((RpCheckResult *) g_ptr_array_index (report->checks, i))->id,
                   "load.verdict") == 0)
      at = i;
  for (guint i = 0; i < cmd->step_results->len; i++)
    g_ptr_array_insert (report->checks, (gint) (at + i),
                        g_ptr_array_index (cmd->step_results, i));
  /* The report owns them now. */
  g_ptr_array_set_free_func (cmd->step_results, NULL);
  g_ptr_array_set_size (cmd->step_results, 0);
}
