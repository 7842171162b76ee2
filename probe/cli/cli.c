/* The command line (README "Commands", doc/rtcprobe.1). Global options may stand
 * before or after the command. Parsing happens in two passes: the global
 * options up to the command, then the command's own options together with
 * the global ones. A usage error is one line on stderr and exit 2; checks
 * that find problems are results, not errors. */
#include "probe/cli/cli.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/quote.h"
#include "probe/cli/cli-private.h"
#include "probe/cli/output.h"
#include "probe/cli/version.h"
#include "probe/core/progress.h"
#include "probe/checks/family-hints.h"
#include "probe/core/vantage-network.h"
#include "probe/core/vantage.h"
#include "probe/net/result-upload.h"
#include "reports/report.h"
#include "rtc/ice/ice-agent.h"
#include "rp-config.h"

const GOptionEntry rp_cli_global_entries[] = {
  { "format", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (format),
    "Report format: text (default), json, junit, html or prometheus", "FORMAT" },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME_ARRAY, RP_CLI_OPT (outputs),
    "Write the report to FILE, atomically (repeatable; the format comes from the extension: .json "
    ".xml .html .prom .txt)",
    "FILE" },
  { "timeout", 't', 0, G_OPTION_ARG_DOUBLE, RP_CLI_OPT (timeout_s),
    "Bound the whole run to S seconds (default 30)", "S" },
  { "strict", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (strict), "Exit 1 on warnings too", NULL },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (ca_file),
    "Trust the CA certificates in FILE (PEM) for TLS instead of the system store", "FILE" },
  { "insecure", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (insecure),
    "Complete TLS checks even when the certificate does not verify (reported)", NULL },
  { "ipv4", '4', 0, G_OPTION_ARG_NONE, RP_CLI_OPT (ipv4), "Use IPv4 addresses only", NULL },
  { "ipv6", '6', 0, G_OPTION_ARG_NONE, RP_CLI_OPT (ipv6), "Use IPv6 addresses only", NULL },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, RP_CLI_OPT (quiet),
    "Print no report (exit code only; --output still written)", NULL },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, RP_CLI_OPT (verbose),
    "Show every metric and detail in the text report", NULL },
  { "version", 'V', 0, G_OPTION_ARG_NONE, RP_CLI_OPT (version), "Print the version and exit",
    NULL },
  { "label", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (label),
    "Name where the report was made from, e.g. 'hotel wifi' (in the report's vantage)", "TEXT" },
  { "upload", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (upload),
    "POST the JSON report to a reflector's results store, e.g. "
    "https://api.example.org/rtcprobe/results (needs an invite)", "URL" },
  { "invite-file", 0, 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (invite_file),
    "The invite (or the whole link) for --upload (else RTCPROBE_INVITE)", "FILE" },
  { NULL }
};

const RpCliCommand *
rp_cli_find_command (const char *name)
{
  for (guint i = 0; i < rp_cli_n_commands; i++)
    if (g_strcmp0 (rp_cli_commands[i].name, name) == 0)
      return &rp_cli_commands[i];
  return NULL;
}

static char *
commands_help (void)
{
  GString *s = g_string_new ("Commands:\n");

  for (guint i = 0; i < rp_cli_n_commands; i++)
    g_string_append_printf (s, "  %-8s %-14s %s\n", rp_cli_commands[i].name,
                            rp_cli_commands[i].args, rp_cli_commands[i].summary);
  g_string_append (s, "\nrtcprobe COMMAND --help shows a command's options.\n"
                      "Exit status: 0 no check failed, 1 a check failed (--strict: or warned), 2 "
                      "usage error, 3 internal error.");
  return g_string_free (s, FALSE);
}

static void
print_version (void)
{
  g_autofree char *text = rp_cli_version_text ();

  fputs (text, stdout);
}

static void
usage_error (const char *message)
{
  fprintf (stderr, "rtcprobe: %s (see rtcprobe --help)\n", message);
}

static const char *const formats[] = { "text", "json", "junit", "html", "prometheus" };

static gboolean
known_format (const char *f)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_strcmp0 (f, formats[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The format a file's extension names, or NULL (then *ext is unset). */
static const char *
format_of_name (const char *path, const char **ext)
{
  static const struct { const char *ext, *format; } by_ext[] = {
    { ".json", "json" }, { ".xml", "junit" }, { ".html", "html" }, { ".htm", "html" },
    { ".prom", "prometheus" }, { ".txt", "text" },
  };

  for (guint i = 0; path != NULL && i < G_N_ELEMENTS (by_ext); i++)
    if (g_str_has_suffix (path, by_ext[i].ext)) {
      *ext = by_ext[i].ext;
      return by_ext[i].format;
    }
  return NULL;
}

/* The format for one output: --format when there is a single destination,
 * else the file's extension. An extension that names another format than
 * --format is an error: the file would hold what its name denies. NULL
 * (with error) when neither says or they disagree. */
static const char *
format_for (const RpCliOptions *o, const char *path, gboolean single, GError **error)
{
  const char *ext = NULL;
  const char *named = format_of_name (path, &ext);

  if (o->format != NULL) {
    if (!known_format (o->format)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--format %s: use text, json, junit, html or prometheus", o->format);
      return NULL;
    }
    if (named != NULL && !g_str_equal (named, o->format)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--format %s contradicts an --output file named %s (%s): "
                   "drop --format or rename the file", o->format, ext, named);
      return NULL;
    }
    if (single || path == NULL)
      return o->format;
  }
  if (path == NULL || g_str_equal (path, "-"))
    return "text";
  if (named != NULL)
    return named;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "--output %s: name it .json, .xml (JUnit), .html, .prom or .txt, or give --format",
               path);
  return NULL;
}

gboolean
rp_cli_check_globals (const RpCliOptions *o, GError **error)
{
  if (!(o->timeout_s > 0 && o->timeout_s <= 3600)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--timeout must be between 0 and 3600 seconds");
    return FALSE;
  }
  if (o->ipv4 && o->ipv6) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "-4 and -6 exclude each other");
    return FALSE;
  }
  if (o->ca_file != NULL && !g_file_test (o->ca_file, G_FILE_TEST_IS_REGULAR)) {
    g_autofree char *shown = rp_quote_path (o->ca_file);
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--ca-file %s: no such file",
                 shown);
    return FALSE;
  }
  if (o->rest_ttl != RP_CLI_REST_TTL_UNSET &&
      (o->rest_ttl < -86400 * 365 || o->rest_ttl > 86400 * 365)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--rest-ttl must be within a year");
    return FALSE;
  }
  if (o->upload != NULL && !rp_result_upload_url_ok (o->upload, error))
    return FALSE;
  if (o->invite_file != NULL && o->upload == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--invite-file needs --upload");
    return FALSE;
  }
  if (o->outputs == NULL)
    return format_for (o, NULL, TRUE, error) != NULL;
  for (guint i = 0; o->outputs[i] != NULL; i++)
    if (format_for (o, o->outputs[i], o->outputs[1] == NULL, error) == NULL)
      return FALSE;
  return TRUE;
}

/* The live line on stderr (a terminal only): elapsed time, packets, loss
 * and RTT of each running stream. */
static gboolean
show_progress (gpointer data)
{
  const GPtrArray *entries = rp_progress_entries ();
  g_autoptr (GPtrArray) said = rp_progress_take_lines ();
  g_autoptr (GString) line = g_string_new ("\r\033[K");

  /* A watched stream's windows stay on the terminal, above the progress line. */
  for (guint i = 0; i < said->len; i++)
    g_string_append_printf (line, "%s\n\r\033[K", (const char *) g_ptr_array_index (said, i));

  for (guint i = 0; i < entries->len; i++) {
    const RpProgress *p = g_ptr_array_index (entries, i);
    double loss = p->sent > 0 ? 100.0 * (p->sent - MIN (p->received, p->sent)) / p->sent : 0;
    g_string_append_printf (line, "%s%s %.0f/%.0f s, %u sent, %.1f %% lost, RTT %.3f ms",
                            i ? " | " : "", p->id, p->elapsed_s, p->total_s, p->sent, loss,
                            p->rtt_ms);
  }
  fputs (line->str, stderr);
  fflush (stderr);
  return G_SOURCE_CONTINUE;
}

static char *
render (const RpCliOptions *o, RpReport *report, const char *format, gboolean to_terminal)
{
  if (g_str_equal (format, "json"))
    return rp_report_render_json (report);
  if (g_str_equal (format, "junit"))
    return rp_report_render_junit (report);
  if (g_str_equal (format, "html"))
    return rp_report_render_html (report);
  if (g_str_equal (format, "prometheus"))
    return rp_report_render_prometheus (report);
  {
    const char *no_color = g_getenv ("NO_COLOR");
    RpTextOptions to = { .verbose = o->verbose };
    struct winsize ws;
    /* Colour and the terminal's width only on a terminal. */
    if (to_terminal && isatty (STDOUT_FILENO)) {
      to.color = no_color == NULL || *no_color == '\0';
      if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 60)
        to.width = ws.ws_col;
    }
    return rp_report_render_text (report, &to);
  }
}

/* Renders to every destination; -1 when all went well, else an exit code. */
static int
render_and_write (const RpCliOptions *o, RpReport *report)
{
  if (o->outputs == NULL) {
    g_autofree char *out = render (o, report, format_for (o, NULL, TRUE, NULL), TRUE);
    if (out == NULL) {
      fprintf (stderr, "rtcprobe: the report could not be rendered\n");
      return RP_EXIT_INTERNAL;
    }
    if (!o->quiet) {
      fputs (out, stdout);
      fflush (stdout);
    }
    return -1;
  }
  for (guint i = 0; o->outputs[i] != NULL; i++) {
    g_autoptr (GError) error = NULL;
    const char *path = o->outputs[i];
    g_autofree char *out = render (o, report, format_for (o, path, o->outputs[1] == NULL, NULL),
                                   g_str_equal (path, "-"));
    if (out == NULL) {
      fprintf (stderr, "rtcprobe: the report could not be rendered\n");
      return RP_EXIT_INTERNAL;
    }
    if (!rp_output_write_atomic (path, out, strlen (out), &error)) {
      fprintf (stderr, "rtcprobe: %s\n", error->message);
      return RP_EXIT_USAGE;
    }
  }
  return -1;
}

/* --upload: the JSON report to the reflector; FALSE (told on stderr) when
 * it was not kept. */
static gboolean
upload (const RpCliOptions *o, RpReport *report, const RpSecret *invite)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *json = rp_report_render_json (report);

  if (json == NULL
      || !rp_result_upload (o->upload, invite, json, strlen (json), o->ca_file, o->insecure,
                            MIN (o->timeout_s, 30.0), &error)) {
    fprintf (stderr, "rtcprobe: %s\n", error != NULL ? error->message : "no report to upload");
    return FALSE;
  }
  return TRUE;
}

/* libnice deallocates an agent's TURN relays (Refresh with LIFETIME 0) as it
 * closes, after the checks have finished: let the answers come, or each
 * UDP relay stays allocated on the server for its lifetime and counts
 * against the user's quota. Up to 1.5 s, and at most 0.5 s past --timeout. */
#define ICE_CLOSE_WAIT_US (1500 * G_GINT64_CONSTANT (1000))
#define ICE_CLOSE_GRACE_US (500 * G_GINT64_CONSTANT (1000))

static void
wait_ice_closed (gint64 run_deadline_us)
{
  gint64 left = run_deadline_us - g_get_monotonic_time ();

  rp_ice_agent_wait_closed (g_main_context_default (),
                            CLAMP (left + ICE_CLOSE_GRACE_US, 0, ICE_CLOSE_WAIT_US));
}


/* A copy of table whose arg_data (RP_CLI_OPT offsets) point into o. */
static GOptionEntry *
bind_entries (const GOptionEntry *table, RpCliOptions *o)
{
  guint n = 0;
  GOptionEntry *bound;

  while (table[n].long_name != NULL)
    n++;
  bound = g_new0 (GOptionEntry, n + 1);
  for (guint i = 0; i < n; i++) {
    bound[i] = table[i];
    bound[i].arg_data = (char *) o + GPOINTER_TO_SIZE (table[i].arg_data);
  }
  return bound;
}

/* Frees what GOption stored through a bound table. */
static void
clear_entries (const GOptionEntry *bound)
{
  for (guint i = 0; bound[i].long_name != NULL; i++) {
    gpointer field = bound[i].arg_data;
    switch (bound[i].arg) {
    case G_OPTION_ARG_STRING:
    case G_OPTION_ARG_FILENAME:
      g_clear_pointer ((char **) field, g_free);
      break;
    case G_OPTION_ARG_STRING_ARRAY:
    case G_OPTION_ARG_FILENAME_ARRAY:
      g_clear_pointer ((char ***) field, g_strfreev);
      break;
    default:
      break;
    }
  }
}

/* The tables a command parses: its own, the TURN credentials when it takes
 * them, the global ones. */
static void
add_command_entries (GOptionContext *ctx, const RpCliCommand *cmd, RpCliOptions *o,
                     GPtrArray *bound)
{
  const GOptionEntry *tables[] = {
    cmd->entries, cmd->turn_credentials ? rp_cli_turn_credential_entries : NULL,
    rp_cli_global_entries,
  };

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++) {
    if (tables[i] == NULL)
      continue;
    g_ptr_array_add (bound, bind_entries (tables[i], o));
    g_option_context_add_main_entries (ctx, g_ptr_array_index (bound, bound->len - 1), NULL);
  }
}

gboolean
rp_cli_parse_command (const RpCliCommand *cmd, RpCliOptions *o, GPtrArray *bound, GStrv *args,
                      GError **error)
{
  g_autofree char *param = g_strdup_printf ("%s %s", cmd->name, cmd->args);
  g_autoptr (GOptionContext) cctx = g_option_context_new (param);

  g_option_context_set_summary (cctx, cmd->description);
  add_command_entries (cctx, cmd, o, bound);
  return g_option_context_parse_strv (cctx, args, error);
}

void
rp_cli_clear_bound (GPtrArray *bound)
{
  for (guint i = 0; i < bound->len; i++)
    clear_entries (g_ptr_array_index (bound, i));
}

/* Parses, runs the command and writes the report; the exit code. */
static int
run_command_line (RpCliOptions *o, GPtrArray *bound, int argc, char **argv)
{
  g_autoptr (GOptionContext) gctx = g_option_context_new ("COMMAND [ARGS...]");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) args = NULL;
  g_autofree char *help = commands_help ();
  const RpCliCommand *cmd;
  int n, rc;
  RpProbeOptions po = { 0 };
  RpCliRun run = { .o = o, .po = &po };
  g_autoptr (RpReport) report = NULL;
  g_autoptr (RpRunner) runner = NULL;
  g_autoptr (RpSecret) invite = NULL;
  g_autoptr (RpVantageNetwork) net = NULL;
  gint64 t0;

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  /* Pass 1: global options up to the command. */
  g_option_context_set_summary (
    gctx, "Probes a realtime deployment (web, API, websockets, TURN, voice) from where you stand.");
  g_option_context_set_description (gctx, help);
  g_ptr_array_add (bound, bind_entries (rp_cli_global_entries, o));
  g_option_context_add_main_entries (gctx, g_ptr_array_index (bound, 0), NULL);
  g_option_context_set_strict_posix (gctx, TRUE);
  if (!g_option_context_parse_strv (gctx, &args, &error)) {
    usage_error (error->message);
    return RP_EXIT_USAGE;
  }
  if (o->version) {
    print_version ();
    return RP_EXIT_OK;
  }
  n = (int) g_strv_length (args);
  if (n < 2) {
    usage_error ("no command given");
    return RP_EXIT_USAGE;
  }
  cmd = rp_cli_find_command (args[1]);
  if (cmd == NULL) {
    g_autofree char *msg = g_strdup_printf ("unknown command '%s'", args[1]);
    usage_error (msg);
    return RP_EXIT_USAGE;
  }

  /* Pass 2: the command's options, and the global ones again. */
  {
    g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
    /* argv for pass 2: program name, then what follows the command. */
    g_strv_builder_add (b, args[0]);
    for (int i = 2; i < n; i++)
      g_strv_builder_add (b, args[i]);
    g_strfreev (args);
    args = g_strv_builder_end (b);
    if (!rp_cli_parse_command (cmd, o, bound, &args, &error)) {
      usage_error (error->message);
      return RP_EXIT_USAGE;
    }
    if (o->version) {
      print_version ();
      return RP_EXIT_OK;
    }
  }
  if (!rp_cli_check_globals (o, &error)) {
    usage_error (error->message);
    return RP_EXIT_USAGE;
  }

  if (o->upload != NULL && cmd->server) {
    usage_error ("--upload: this command makes no report");
    return RP_EXIT_USAGE;
  }
  if (o->upload != NULL && (invite = rp_result_upload_invite (o->invite_file, &error)) == NULL) {
    usage_error (error->message);
    return RP_EXIT_USAGE;
  }
  /* A server runs until SIGTERM: no runner, no report. */
  if (cmd->server) {
    run.po = NULL;
    rc = cmd->run (&run, (int) g_strv_length (args), args, &error);
    if (error != NULL)
      fprintf (stderr, "rtcprobe: %s\n", error->message);
    return rc;
  }
  po.timeout_us = (gint64) (o->timeout_s * G_USEC_PER_SEC);
  {
    double watch_s = 0;
    if (!rp_cli_watch_seconds (o, &watch_s, &error)) {
      usage_error (error->message);
      return RP_EXIT_USAGE;
    }
    /* A watch is as long as it says: --timeout then bounds the setup on top of it. */
    if (watch_s > 0)
      po.timeout_us += (gint64) (watch_s * G_USEC_PER_SEC);
    po.timeout_us += rp_cli_planned_us (o);
  }
  po.family = o->ipv4 ? RP_FAMILY_V4 : o->ipv6 ? RP_FAMILY_V6 : RP_FAMILY_ANY;
  po.ca_file = o->ca_file;
  po.insecure = o->insecure;

  report = rp_report_new (cmd->name);
  t0 = g_get_monotonic_time ();
  runner = rp_runner_new (g_main_context_default (), po.timeout_us);
  run.runner = runner;
  /* args[0] is the program; the command's arguments follow. Rewrite so the
   * command sees itself as argv[0]. */
  rc = cmd->run (&run, (int) g_strv_length (args), args, &error);
  if (rc != 0) {
    usage_error (error != NULL ? error->message : "bad arguments");
    if (run.free_state != NULL)
      run.free_state (run.state);
    return rc;
  }
  /* The vantage's network: its one DNS query runs beside the checks. */
  net = rp_vantage_network_start ();
  {
    guint progress = 0;
    if (!o->quiet && isatty (STDERR_FILENO))
      progress = g_timeout_add (500, show_progress, NULL);
    rp_runner_run (runner);
    wait_ice_closed (t0 + po.timeout_us);
    if (progress != 0) {
      g_autoptr (GPtrArray) said = rp_progress_take_lines ();
      g_source_remove (progress);
      fputs ("\r\033[K", stderr);
      /* The last window is judged as the stream ends. */
      for (guint i = 0; i < said->len; i++)
        fprintf (stderr, "%s\n", (const char *) g_ptr_array_index (said, i));
    }
  }
  rp_runner_take_results (runner, report);
  report->duration_ms = (g_get_monotonic_time () - t0) / 1000.0;
  if (report->vantage == NULL)
    report->vantage = rp_check_result_new ("vantage", "vantage", "");
  rp_vantage_fill (report->vantage, report, o->label, po.family);
  rp_vantage_network_finish (
    net, report->vantage,
    CLAMP (t0 + po.timeout_us - g_get_monotonic_time (), RP_VANTAGE_NETWORK_MIN_WAIT_US,
           RP_VANTAGE_NETWORK_MAX_WAIT_US));
  if (cmd->finish != NULL)
    cmd->finish (&run, report);
  rp_family_hints_apply (report);
  if (run.free_state != NULL)
    run.free_state (run.state);

  rc = render_and_write (o, report);
  if (rc >= 0)
    return rc;
  if (o->upload != NULL && !upload (o, report, invite))
    return RP_EXIT_INTERNAL;
  return rp_report_exit_code (report, o->strict);
}

int
rp_cli_main (int argc, char **argv)
{
  RpCliOptions o = { .timeout_s = 30.0, .rest_ttl = RP_CLI_REST_TTL_UNSET,
                     .invite_uses = RP_CLI_INVITE_USES_UNSET };
  g_autoptr (GPtrArray) bound = g_ptr_array_new_with_free_func (g_free);
  int rc;

  setlocale (LC_ALL, "");
  rc = run_command_line (&o, bound, argc, argv);
  rp_cli_clear_bound (bound);
  return rc;
}
