/* `rtcprobe exporter`: the command, and the prober that runs a module's
 * probe. A module's keys become the command line its command would get
 * (key user becomes --user=VALUE, a boolean key true becomes --flag, a
 * repeatable option takes a ';'-separated list), parsed by the same option
 * tables and run by the same command function as on the command line, on a
 * runner that shares the exporter's loop. */
#include <string.h>

#include "exporter/exporter.h"
#include "probe/cli/cli-private.h"
#include "probe/checks/family-hints.h"
#include "probe/core/vantage-network.h"
#include "probe/core/vantage.h"

/* Global options a module may set; the others shape the CLI's output. */
/* Adds s to b and frees it (g_strv_builder_take is GLib 2.80). */
static void
builder_take (GStrvBuilder *b, char *s)
{
  g_strv_builder_add (b, s);
  g_free (s);
}

static const char *const module_globals[] = {
  "timeout", "ca-file", "insecure", "ipv4", "ipv6", "label", NULL,
};

static const GOptionEntry *
find_entry (const GOptionEntry *table, const char *name)
{
  for (guint i = 0; table != NULL && table[i].long_name != NULL; i++)
    if (g_str_equal (table[i].long_name, name))
      return &table[i];
  return NULL;
}

/* The option a module key names for cmd, or NULL. */
static const GOptionEntry *
module_option (const RpCliCommand *cmd, const char *key)
{
  g_autofree char *name = g_strdelimit (g_strdup (key), "_", '-');
  const GOptionEntry *e = find_entry (cmd->entries, name);

  if (e == NULL && cmd->turn_credentials)
    e = find_entry (rp_cli_turn_credential_entries, name);
  if (e == NULL && g_strv_contains (module_globals, name))
    e = find_entry (rp_cli_global_entries, name);
  return e;
}

static gboolean
add_option (GStrvBuilder *b, const RpExporterModule *m, const GOptionEntry *e, const char *value,
            GError **error)
{
  if (e->arg == G_OPTION_ARG_NONE) {
    if (g_str_equal (value, "true")) {
      builder_take (b, g_strconcat ("--", e->long_name, NULL));
    } else if (!g_str_equal (value, "false")) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: write true or false",
                   e->long_name);
      return FALSE;
    }
  } else if (e->arg == G_OPTION_ARG_STRING_ARRAY || e->arg == G_OPTION_ARG_FILENAME_ARRAY) {
    g_auto (GStrv) items = g_strsplit (value, ";", -1);
    for (guint i = 0; items[i] != NULL; i++)
      if (*g_strstrip (items[i]) != '\0')
        builder_take (b, g_strconcat ("--", e->long_name, "=", items[i], NULL));
  } else {
    builder_take (b, g_strconcat ("--", e->long_name, "=", value, NULL));
  }
  return TRUE;
}

/* The argv the module's command gets for target: its options, then the
 * target (ice and voice: as --turn or --reflector). */
static GStrv
module_argv (const RpCliCommand *cmd, const RpExporterModule *m, const char *target,
             GError **error)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();

  g_strv_builder_add (b, "rtcprobe");
  for (guint i = 0; i < m->keys->len; i++) {
    const char *key = g_ptr_array_index (m->keys, i);
    const GOptionEntry *e = module_option (cmd, key);
    if (e == NULL || (g_str_equal (cmd->name, "check") && g_str_equal (key, "profile"))) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                   "%s: not an option of %s in a module (see rtcprobe %s --help)", key, cmd->name,
                   cmd->name);
      return NULL;
    }
    if (!add_option (b, m, e, g_strstrip (g_ptr_array_index (m->values, i)), error))
      return NULL;
  }
  if (g_str_equal (cmd->name, "ice") || g_str_equal (cmd->name, "voice")) {
    gboolean ws = g_str_has_prefix (target, "ws://") || g_str_has_prefix (target, "wss://");
    builder_take (b, g_strconcat (ws ? "--reflector=" : "--turn=", target, NULL));
  } else {
    g_strv_builder_add (b, "--");
    g_strv_builder_add (b, target);
  }
  return g_strv_builder_end (b);
}

/* One probe: the options parsed for it, its runner, where to report. */
typedef struct {
  const RpCliCommand *cmd;
  RpCliOptions o;
  GPtrArray *bound;
  RpProbeOptions po;
  RpCliRun run;
  RpRunner *runner;
  gint64 t0;
  RpExporterDone done;
  gpointer data;
  RpVantageNetwork *net;   /* the vantage's network, read beside the checks */
} Probe;

static void
probe_free (Probe *p)
{
  if (p->run.free_state != NULL)
    p->run.free_state (p->run.state);
  g_clear_pointer (&p->runner, rp_runner_free);
  g_clear_pointer (&p->net, rp_vantage_network_free);
  rp_cli_clear_bound (p->bound);
  g_ptr_array_unref (p->bound);
  g_free (p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Probe, probe_free)

/* Parses the module's options for target into a new probe; a watch's
 * options (extra) come after the module's keys. */
static Probe *
probe_new_full (const RpExporterModule *m, const char *target, const char *const *extra,
                GStrv *args, GError **error)
{
  g_autoptr (Probe) p = g_new0 (Probe, 1);

  p->cmd = rp_cli_find_command (m->kind);
  p->bound = g_ptr_array_new_with_free_func (g_free);
  p->o.rest_ttl = RP_CLI_REST_TTL_UNSET;
  g_assert (p->cmd != NULL);
  *args = module_argv (p->cmd, m, target, error);
  if (*args == NULL)
    return NULL;
  if (extra != NULL) {
    g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
    g_strv_builder_addv (b, (const char **) *args);
    g_strv_builder_addv (b, (const char **) extra);
    g_strfreev (*args);
    *args = g_strv_builder_end (b);
  }
  if (!rp_cli_parse_command (p->cmd, &p->o, p->bound, args, error))
    return NULL;
  if (extra == NULL && (p->o.watch != NULL || p->o.window_s != 0)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "watch and window are for the command line: a scrape runs a module once, "
                 "within its timeout");
    return NULL;
  }
  if (p->o.timeout_s == 0)
    p->o.timeout_s = 30;
  if (!rp_cli_check_globals (&p->o, error))
    return NULL;
  return g_steal_pointer (&p);
}

static Probe *
probe_new (const RpExporterModule *m, const char *target, GStrv *args, GError **error)
{
  return probe_new_full (m, target, NULL, args, error);
}

/* A target of the right form for each kind, to try a module's options on. */
static const char *
placeholder_target (const char *kind)
{
  static const char *const by_kind[][2] = {
    { "ports", "127.0.0.1" }, { "check", "example.org" }, { "http", "https://127.0.0.1/" },
    { "ws", "wss://127.0.0.1/" }, { "stun", "stun:127.0.0.1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (by_kind); i++)
    if (g_str_equal (kind, by_kind[i][0]))
      return by_kind[i][1];
  return "turn:127.0.0.1";   /* turn, ice, voice */
}

static void
probe_options (Probe *p, double timeout_s)
{
  p->po.timeout_us = (gint64) (MIN (p->o.timeout_s, timeout_s) * G_USEC_PER_SEC);
  p->po.family = p->o.ipv4 ? RP_FAMILY_V4 : p->o.ipv6 ? RP_FAMILY_V6 : RP_FAMILY_ANY;
  p->po.ca_file = p->o.ca_file;
  p->po.insecure = p->o.insecure;
  p->runner = rp_runner_new (g_main_context_default (), p->po.timeout_us);
  p->run = (RpCliRun) { .o = &p->o, .runner = p->runner, .po = &p->po };
}

/* At start: the options parse, and the command accepts them (credential
 * files readable, values in range) for a target of the right form. The
 * checks it adds are dropped before they start: nothing is sent. */
/* A watch's stream: an hour at a time (the exporter starts the next), and
 * unless its section says otherwise a low rate, a 102-octet packet every
 * 100 ms. */
#define WATCH_SEGMENT_S 3600
static const char *const watch_args[] = { "--watch=1h", NULL };
static const char *const watch_args_low_rate[] = { "--watch=1h", "--codec=102@100", NULL };

static const char *const *
watch_extra (const RpExporterModule *m)
{
  for (guint i = 0; i < m->keys->len; i++)
    if (g_str_equal (g_ptr_array_index (m->keys, i), "codec"))
      return watch_args;
  return watch_args_low_rate;
}

static gboolean
check_module (const RpExporterModule *m, GError **error)
{
  g_auto (GStrv) args = NULL;
  g_autoptr (Probe) p =
    m->target != NULL ? probe_new_full (m, m->target, watch_extra (m), &args, error)
                      : probe_new (m, placeholder_target (m->kind), &args, error);

  if (p == NULL)
    return FALSE;
  probe_options (p, p->o.timeout_s);
  return p->cmd->run (&p->run, (int) g_strv_length (args), args, error) == 0;
}

static gboolean
on_probe_done (gpointer data)
{
  Probe *p = data;
  RpReport *report = rp_report_new (p->cmd->name);

  rp_runner_take_results (p->runner, report);
  report->duration_ms = (g_get_monotonic_time () - p->t0) / 1000.0;
  report->vantage = rp_check_result_new ("vantage", "vantage", "");
  rp_vantage_fill (report->vantage, report, p->o.label, p->po.family);
  /* The lookup ran beside the checks: a server does not wait for it. */
  if (p->net != NULL)
    rp_vantage_network_finish (p->net, report->vantage, 0);
  if (p->cmd->finish != NULL)
    p->cmd->finish (&p->run, report);
  rp_family_hints_apply (report);
  p->done (report, p->data);
  probe_free (p);
  return G_SOURCE_REMOVE;
}

static gpointer
start (const RpExporterModule *m, const char *target, double timeout_s, RpExporterDone done,
       gpointer data, GError **error)
{
  g_auto (GStrv) args = NULL;
  g_autoptr (Probe) p = probe_new (m, target, &args, error);

  if (p == NULL)
    return NULL;
  probe_options (p, timeout_s);
  p->t0 = g_get_monotonic_time ();
  if (p->cmd->run (&p->run, (int) g_strv_length (args), args, error) != 0)
    return NULL;
  p->done = done;
  p->data = data;
  p->net = rp_vantage_network_start ();
  rp_runner_start (p->runner, on_probe_done, p);
  return g_steal_pointer (&p);
}

static void
abort_probe (gpointer probe)
{
  rp_runner_abort (((Probe *) probe)->runner);
}

static gpointer
start_watch (const RpExporterModule *m, const RpVoiceTap *tap, RpExporterDone done, gpointer data,
             GError **error)
{
  g_auto (GStrv) args = NULL;
  g_autoptr (Probe) p = probe_new_full (m, m->target, watch_extra (m), &args, error);

  if (p == NULL)
    return NULL;
  /* --timeout bounds the setup, on top of the stream. */
  p->o.timeout_s += WATCH_SEGMENT_S;
  probe_options (p, p->o.timeout_s);
  p->run.tap = tap;
  p->t0 = g_get_monotonic_time ();
  if (p->cmd->run (&p->run, (int) g_strv_length (args), args, error) != 0)
    return NULL;
  p->done = done;
  p->data = data;
  rp_runner_start (p->runner, on_probe_done, p);
  return g_steal_pointer (&p);
}

static const RpExporterProber prober = { check_module, start, abort_probe, start_watch };

int
rp_cli_exporter (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;

  if (argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "exporter: unexpected argument '%s' (use --config FILE)", argv[1]);
    return RP_EXIT_USAGE;
  }
  if (o->exporter_config == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "exporter: give --config FILE (see examples/exporter.ini)");
    return RP_EXIT_USAGE;
  }
  return rp_exporter_main (o->exporter_config, &prober, error);
}
