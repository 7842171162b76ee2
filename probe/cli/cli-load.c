/* `rtcprobe load`: its options, the streams they ask for over TURN or to
 * the reflector's direct port, and Ctrl-C, which ends the ramp with what
 * was measured. */
#include <signal.h>
#include <string.h>

#include <glib-unix.h>

#include "probe/checks/checks-load.h"
#include "probe/checks/checks-reflector.h"
#include "probe/cli/cli-private.h"
#include "probe/core/credentials.h"
#include "probe/net/packet-engine.h"
#include "reflector/serve.h"

const GOptionEntry rp_cli_load_entries[] = {
  { "turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, RP_CLI_OPT (ice_turn),
    "TURN server to load (repeatable; streams go round-robin): turn:host[:port] over UDP", "URI" },
  { "reflector", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (reflector),
    "Instead of --turn: the streams go to an `rtcprobe serve` reflector's direct UDP port (ws:// "
    "or wss:// URL; its [limits] max_load_streams must allow them)",
    "URL" },
  { "reflector-secret-file", 0, 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (reflector_secret_file),
    "Read the reflector's shared secret from FILE (or set RTCPROBE_REFLECTOR_SECRET; else "
    "--secret-file's)",
    "FILE" },
  { "reflector-name", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (reflector_name),
    "The client name in the reflector token (default rtcprobe)", "NAME" },
  { "streams", 'n', 0, G_OPTION_ARG_INT, RP_CLI_OPT (streams),
    "Concurrent voice streams to reach (each: two allocations)", "N" },
  { "ramp", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (ramp),
    "Add STEP streams every S seconds until N, each step measured (default: all at once)",
    "STEP/S" },
  { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, RP_CLI_OPT (duration_s),
    "Seconds the full load is held and measured (default: the ramp's interval, or 10)", "S" },
  { "codec", 'c', 0, G_OPTION_ARG_STRING, RP_CLI_OPT (codec),
    "Packet shape: opus (default, 102 bytes every 20 ms), g711 (172 bytes), or SIZE@MS", "CODEC" },
  { "allocations-only", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (allocations_only),
    "Only allocate (and release) at the ramp's rate: allocation rate, latency and the quota",
    NULL },
  { "max-streams", 0, 0, G_OPTION_ARG_INT, RP_CLI_OPT (max_streams),
    "Refuse --streams above this (default 1000): a cap against an accidental flood", "M" },
  { "knee-loss", 0, 0, G_OPTION_ARG_DOUBLE, RP_CLI_OPT (knee_loss_pct),
    "A step whose loss in either direction is above this percentage is the knee (default 1)",
    "PCT" },
  { "knee-jitter", 0, 0, G_OPTION_ARG_DOUBLE, RP_CLI_OPT (knee_jitter_ms),
    "A step whose jitter p95 in either direction is above this is the knee (default 30)", "MS" },
  { NULL }
};

typedef struct {
  RpLoadCommand *cmd;
  RpRunner *runner;
  guint signals[2];
  guint interrupts;
} LoadState;

static void
load_state_free (gpointer data)
{
  LoadState *st = data;

  for (guint i = 0; i < G_N_ELEMENTS (st->signals); i++)
    if (st->signals[i] != 0)
      g_source_remove (st->signals[i]);
  rp_load_command_free (st->cmd);
  g_free (st);
}

/* Ctrl-C (or SIGTERM): report what was measured and release the
 * allocations; a second one, or one before the ramp began, ends the run. */
static gboolean
on_load_signal (gpointer data)
{
  LoadState *st = data;

  if (st->interrupts++ > 0 || !rp_load_command_stop (st->cmd))
    rp_runner_abort (st->runner);
  return G_SOURCE_CONTINUE;
}

static gint
max_streams (const RpCliOptions *o)
{
  return o->max_streams > 0 ? o->max_streams : RP_LOAD_DEFAULT_MAX_STREAMS;
}

/* The options of `load` into lo; FALSE with a one-line error. */
static gboolean
load_options (const RpCliOptions *o, RpLoadOptions *lo, GError **error)
{
  memset (lo, 0, sizeof *lo);
  rp_voice_options_init (&lo->voice);
  rp_load_thresholds_init (&lo->thresholds);
  if (o->max_streams < 0 || o->max_streams > RP_LOAD_HARD_MAX_STREAMS) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--max-streams must be between 1 and %d", RP_LOAD_HARD_MAX_STREAMS);
    return FALSE;
  }
  if (o->streams <= 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--streams must be a number of streams from 1 to %d", max_streams (o));
    return FALSE;
  }
  if (o->streams > max_streams (o)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--streams %d is above --max-streams %d: raise --max-streams on a server of "
                 "your own if you mean it",
                 o->streams, max_streams (o));
    return FALSE;
  }
  lo->streams = (guint) o->streams;
  if (o->duration_s != 0 && !(o->duration_s >= 1 && o->duration_s <= 3600)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--duration must be between 1 and 3600 seconds");
    return FALSE;
  }
  if (o->ramp != NULL) {
    if (!rp_load_parse_ramp (o->ramp, lo->streams, &lo->ramp, error))
      return FALSE;
    lo->last_hold_s = o->duration_s;
  } else {
    lo->ramp.step = lo->streams;
    lo->ramp.interval_s = o->duration_s != 0 ? o->duration_s : 10;
  }
  if (o->codec != NULL && !rp_voice_parse_codec (&lo->voice, o->codec, error))
    return FALSE;
  if (lo->voice.packet_size > RP_ENGINE_MTU - 4) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--codec '%s': load sends at most %d bytes per packet", o->codec,
                 RP_ENGINE_MTU - 4);
    return FALSE;
  }
  if (o->knee_loss_pct < 0 || o->knee_loss_pct > 100 || o->knee_jitter_ms < 0 ||
      o->knee_jitter_ms > 10000) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--knee-loss is a percentage (0-100), --knee-jitter milliseconds (0-10000)");
    return FALSE;
  }
  /* A sender late by half the packet interval at p99 no longer sends the
   * voice pattern (a stream's packets bunch): then the probe is the limit.
   * Lateness below it moves T1, which the figures use, not the path. */
  lo->thresholds.schedule_p99_ms = lo->voice.interval_us / 2000.0;
  if (o->knee_loss_pct > 0)
    lo->thresholds.loss_pct = o->knee_loss_pct;
  if (o->knee_jitter_ms > 0)
    lo->thresholds.jitter_p95_ms = o->knee_jitter_ms;
  lo->allocations_only = o->allocations_only;
  return TRUE;
}

gint64
rp_cli_planned_us (const RpCliOptions *o)
{
  RpLoadOptions lo;

  if (o->streams == 0 || !load_options (o, &lo, NULL))
    return 0;
  return rp_load_planned_us (&lo) + rp_load_settle_max_us (&lo);
}

static void
load_watch (RpCliRun *run, RpLoadCommand *cmd)
{
  LoadState *st = g_new0 (LoadState, 1);

  st->runner = run->runner;
  st->cmd = cmd;
  st->signals[0] = g_unix_signal_add (SIGINT, on_load_signal, st);
  st->signals[1] = g_unix_signal_add (SIGTERM, on_load_signal, st);
  run->state = st;
  run->free_state = load_state_free;
}

/* load --reflector: one load session on the reflector's direct port. */
static int
load_reflector (RpCliRun *run, RpLoadOptions *lo, GError **error)
{
  const RpCliOptions *o = run->o;
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  g_autoptr (RpTarget) url = NULL;
  g_autoptr (RpSecret) secret = NULL;
  g_autoptr (RpTurnPlan) plan = NULL;
  RpTurnCreds creds = { 0 };
  RpIceReflectorOptions ro;

  if (o->ice_turn != NULL || lo->allocations_only || o->relay_only) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "load --reflector measures the direct path: no --turn, --allocations-only or "
                 "--relay-only with it (run load --turn for the relay)");
    return RP_EXIT_USAGE;
  }
  if (lo->streams > RP_REFLECTOR_MAX_STREAMS) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "load --reflector: at most %d streams in one session", RP_REFLECTOR_MAX_STREAMS);
    return RP_EXIT_USAGE;
  }
  if (!rp_cli_reflector_options (o, none, NULL, &url, &secret, &ro, error))
    return RP_EXIT_USAGE;
  plan = rp_turn_plan_new (&creds);
  lo->reflector = &ro;
  load_watch (run, rp_check_load_add (run->runner, run->po, plan, lo));
  return 0;
}

int
rp_cli_load (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  g_autoptr (GPtrArray) turn = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  g_autoptr (RpTurnPlan) plan = NULL;
  RpLoadOptions lo;

  if (argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "load: unexpected argument '%s' (servers go in --turn)", argv[1]);
    return RP_EXIT_USAGE;
  }
  if (!load_options (o, &lo, error))
    return RP_EXIT_USAGE;
  if (o->reflector != NULL)
    return load_reflector (run, &lo, error);
  if (!rp_cli_parse_turn_option (o, turn, error))
    return RP_EXIT_USAGE;
  for (guint i = 0; i < turn->len; i++) {
    const RpTarget *t = g_ptr_array_index (turn, i);
    if (t->transport != RP_TRANSPORT_UDP) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--turn '%s': load runs over UDP (turn:host[:port]), not TCP or TLS", t->uri);
      return RP_EXIT_USAGE;
    }
  }
  plan = rp_cli_turn_plan (o, error);
  if (plan == NULL)
    return RP_EXIT_USAGE;
  lo.turn = turn;
  load_watch (run, rp_check_load_add (run->runner, run->po, plan, &lo));
  return 0;
}

void
rp_cli_load_finish (RpCliRun *run, RpReport *report)
{
  LoadState *st = run->state;

  rp_load_command_finish (st->cmd, report);
}
