/* The command line (DESIGN.md "Command line"). Global options may stand
 * before or after the command. Parsing happens in two passes: the global
 * options up to the command, then the command's own options together with
 * the global ones. A usage error is one line on stderr and exit 2; checks
 * that find problems are results, not errors. */
#include "probe/cli.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe/checks.h"
#include "probe/output.h"
#include "probe/runner.h"
#include "probe/turn-check.h"
#include "reports/report.h"
#include "rp-config.h"

#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

typedef struct {
  char *format;
  char *output;
  double timeout_s;
  gboolean strict;
  char *ca_file;
  gboolean insecure;
  gboolean ipv4;
  gboolean ipv6;
  gboolean quiet;
  gboolean verbose;
  gboolean version;
  char *ports;               /* ports --ports */
  char *user;                /* turn */
  char *password_file;
  char *secret_file;
  gint rest_ttl;
  gboolean all_transports;
  gboolean audit;
} CliOptions;

static CliOptions opts = { .timeout_s = 30.0, .rest_ttl = 3600 };

static GOptionEntry global_entries[] = {
  { "format", 0, 0, G_OPTION_ARG_STRING, &opts.format, "Report format: text (default) or json", "FORMAT" },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opts.output, "Write the report to FILE (atomically); format from .json if --format is not given", "FILE" },
  { "timeout", 't', 0, G_OPTION_ARG_DOUBLE, &opts.timeout_s, "Bound the whole run to S seconds (default 30)", "S" },
  { "strict", 0, 0, G_OPTION_ARG_NONE, &opts.strict, "Exit 1 on warnings too", NULL },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opts.ca_file, "Trust the CA certificates in FILE (PEM) for TLS instead of the system store", "FILE" },
  { "insecure", 0, 0, G_OPTION_ARG_NONE, &opts.insecure, "Complete TLS checks even when the certificate does not verify (reported)", NULL },
  { "ipv4", '4', 0, G_OPTION_ARG_NONE, &opts.ipv4, "Use IPv4 addresses only", NULL },
  { "ipv6", '6', 0, G_OPTION_ARG_NONE, &opts.ipv6, "Use IPv6 addresses only", NULL },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opts.quiet, "Print no report (exit code only; --output still written)", NULL },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts.verbose, "Show every metric and detail in the text report", NULL },
  { "version", 'V', 0, G_OPTION_ARG_NONE, &opts.version, "Print the version and exit", NULL },
  { NULL }
};

static GOptionEntry ports_entries[] = {
  { "ports", 'p', 0, G_OPTION_ARG_STRING, &opts.ports,
    "Ports to probe, e.g. 80/tcp,3478/udp,50000-50010/udp (default: the runbook's " RP_PORTLIST_DEFAULT ")", "LIST" },
  { NULL }
};

static GOptionEntry turn_entries[] = {
  { "user", 'u', 0, G_OPTION_ARG_STRING, &opts.user, "TURN user name (with REST credentials: the name part)", "USER" },
  { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &opts.password_file,
    "Read the TURN password from FILE (or set RTCPROBE_TURN_PASSWORD); never on the command line", "FILE" },
  { "secret-file", 0, 0, G_OPTION_ARG_FILENAME, &opts.secret_file,
    "Read coturn's static-auth-secret from FILE (or set RTCPROBE_TURN_SECRET) and make TURN REST credentials", "FILE" },
  { "rest-ttl", 0, 0, G_OPTION_ARG_INT, &opts.rest_ttl, "Lifetime of the REST credentials made from the secret (default 3600 s)", "S" },
  { "all-transports", 'a', 0, G_OPTION_ARG_NONE, &opts.all_transports,
    "Also test turns: on 5349 and 443 for every host given", NULL },
  { "audit", 0, 0, G_OPTION_ARG_NONE, &opts.audit,
    "Check the server refuses relaying into loopback, private, link-local and metadata addresses, and allocations without credentials", NULL },
  { NULL }
};

typedef int (*CommandFunc) (RpRunner *runner, const RpProbeOptions *po, int argc, char **argv, GError **error);

typedef struct {
  const char *name;
  const char *args;
  const char *summary;
  const char *description;
  GOptionEntry *entries;
  CommandFunc run;
} Command;

static int
cmd_ports (RpRunner *runner, const RpProbeOptions *po, int argc, char **argv, GError **error)
{
  g_autoptr (GArray) ports = NULL;

  if (argc != 2) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 argc < 2 ? "ports: give one HOST" : "ports: give one HOST (got %d arguments)", argc - 1);
    return EXIT_USAGE;
  }
  ports = rp_portlist_parse (opts.ports != NULL ? opts.ports : RP_PORTLIST_DEFAULT, error);
  if (ports == NULL)
    return EXIT_USAGE;
  if (!g_hostname_is_ip_address (argv[1])) {
    /* Reuse the URI parser's host validation for names. */
    g_autofree char *uri = g_strdup_printf ("stun:%s", argv[1]);
    g_autoptr (RpTarget) t = rp_target_parse (uri, NULL);
    if (t == NULL || t->port_explicit) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "ports: '%s' is not a host name or IP address", argv[1]);
      return EXIT_USAGE;
    }
  }
  rp_check_ports_add (runner, po, argv[1], ports);
  return 0;
}

static int
cmd_stun (RpRunner *runner, const RpProbeOptions *po, int argc, char **argv, GError **error)
{
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  guint per_transport[3] = { 0, 0, 0 };

  if (argc < 2) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "stun: give at least one URI (stun:host[:port], stuns:host[:port])");
    return EXIT_USAGE;
  }
  for (int i = 1; i < argc; i++) {
    RpTarget *t = rp_target_parse (argv[i], error);
    if (t == NULL)
      return EXIT_USAGE;
    if (t->scheme != RP_SCHEME_STUN && t->scheme != RP_SCHEME_STUNS && t->scheme != RP_SCHEME_TURN
        && t->scheme != RP_SCHEME_TURNS) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "stun: '%s' is not a stun:, stuns:, turn: or turns: URI", argv[i]);
      rp_target_free (t);
      return EXIT_USAGE;
    }
    per_transport[t->transport]++;
    g_ptr_array_add (targets, t);
  }
  for (guint i = 0; i < targets->len; i++) {
    RpTarget *t = g_ptr_array_index (targets, i);
    rp_check_stun_add (runner, po, t, per_transport[t->transport] == 1);
  }
  return 0;
}

static gboolean
same_target (const RpTarget *a, const RpTarget *b)
{
  return a->transport == b->transport && a->port == b->port && g_ascii_strcasecmp (a->host, b->host) == 0;
}

static void
add_unique (GPtrArray *targets, RpTarget *t)
{
  for (guint i = 0; i < targets->len; i++)
    if (same_target (g_ptr_array_index (targets, i), t)) {
      rp_target_free (t);
      return;
    }
  g_ptr_array_add (targets, t);
}

/* A bare turn:host means UDP and TCP (RFC 7065 leaves the choice to the
 * client; WebRTC clients try both); --all-transports adds TLS on 5349 and 443. */
static RpTarget *
variant (const RpTarget *t, RpScheme scheme, RpTransport transport, guint16 port)
{
  g_autofree char *host = t->host_is_ip && strchr (t->host, ':') ? g_strdup_printf ("[%s]", t->host) : g_strdup (t->host);
  g_autofree char *uri = scheme == RP_SCHEME_TURNS
                           ? g_strdup_printf ("turns:%s:%u", host, port)
                           : g_strdup_printf ("turn:%s:%u?transport=%s", host, port, transport == RP_TRANSPORT_TCP ? "tcp" : "udp");
  return rp_target_parse (uri, NULL);
}

static int
cmd_turn (RpRunner *runner, const RpProbeOptions *po, int argc, char **argv, GError **error)
{
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  g_autoptr (RpTurnPlan) plan = NULL;
  RpTurnCreds creds;
  guint per_transport[3] = { 0, 0, 0 };

  if (argc < 2) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "turn: give at least one URI (turn:host[:port][?transport=udp|tcp], turns:host[:port])");
    return EXIT_USAGE;
  }
  if (opts.rest_ttl < -86400 * 365 || opts.rest_ttl > 86400 * 365) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--rest-ttl must be within a year");
    return EXIT_USAGE;
  }
  for (int i = 1; i < argc; i++) {
    g_autoptr (RpTarget) t = rp_target_parse (argv[i], error);
    if (t == NULL)
      return EXIT_USAGE;
    if (t->scheme != RP_SCHEME_TURN && t->scheme != RP_SCHEME_TURNS) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "turn: '%s' is not a turn: or turns: URI", argv[i]);
      return EXIT_USAGE;
    }
    if (t->scheme == RP_SCHEME_TURN && !t->transport_explicit) {
      add_unique (targets, variant (t, RP_SCHEME_TURN, RP_TRANSPORT_UDP, t->port));
      add_unique (targets, variant (t, RP_SCHEME_TURN, RP_TRANSPORT_TCP, t->port));
    } else {
      add_unique (targets, g_steal_pointer (&t));
    }
  }
  if (opts.all_transports) {
    guint n = targets->len;
    for (guint i = 0; i < n; i++) {
      const RpTarget *t = g_ptr_array_index (targets, i);
      add_unique (targets, variant (t, RP_SCHEME_TURNS, RP_TRANSPORT_TLS, 5349));
      add_unique (targets, variant (t, RP_SCHEME_TURNS, RP_TRANSPORT_TLS, 443));
    }
  }
  if (!rp_turn_creds_load (&creds, opts.user, opts.password_file, opts.secret_file, opts.rest_ttl, error))
    return EXIT_USAGE;
  plan = rp_turn_plan_new (&creds);
  for (guint i = 0; i < targets->len; i++)
    per_transport[((RpTarget *) g_ptr_array_index (targets, i))->transport]++;
  for (guint i = 0; i < targets->len; i++) {
    const RpTarget *t = g_ptr_array_index (targets, i);
    rp_check_turn_add (runner, po, plan, t, per_transport[t->transport] == 1);
  }
  if (targets->len > 1)
    rp_turn_plan_add_verdict (plan, runner, po->timeout_us);
  if (opts.audit)
    rp_check_turn_audit_add (runner, po, plan, targets);
  return 0;
}

static const Command commands[] = {
  { "ports", "HOST", "reachability of the deployment's ports",
    "Probes each port on every address of HOST. TCP: open, closed (refused) or filtered (no answer).\n"
    "UDP: a STUN Binding request; an answer is open, ICMP port unreachable is closed, silence is open|filtered.",
    ports_entries, cmd_ports },
  { "stun", "URI...", "STUN Binding: mapped address, RTT, NAT behaviour",
    "URIs as in a WebRTC iceServers list: stun:host[:port][?transport=tcp], stuns:host[:port] (TLS),\n"
    "turn:/turns: too (a TURN server answers Binding). Over UDP, NAT behaviour (RFC 5780) is tested\n"
    "when the server offers an OTHER-ADDRESS.",
    NULL, cmd_stun },
  { "turn", "URI...", "TURN allocation lifecycle, relay data path, fallback verdict, --audit",
    "URIs as in a WebRTC iceServers list: turn:host[:port][?transport=udp|tcp], turns:host[:port] (TLS).\n"
    "A bare turn:host tests UDP and TCP. For each transport: Allocate (401 challenge, then with\n"
    "credentials), Refresh, CreatePermission, ChannelBind, data through two relays and back, and\n"
    "deallocation, each step timed. Credentials come from files or the environment, never argv.",
    turn_entries, cmd_turn },
};

static const Command *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_strcmp0 (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static char *
commands_help (void)
{
  GString *s = g_string_new ("Commands:\n");

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (s, "  %-6s %-8s %s\n", commands[i].name, commands[i].args, commands[i].summary);
  g_string_append (s, "\nrtcprobe COMMAND --help shows a command's options.\n"
                      "Exit status: 0 no check failed, 1 a check failed (--strict: or warned), 2 usage error, 3 internal error.");
  return g_string_free (s, FALSE);
}

static void
usage_error (const char *message)
{
  fprintf (stderr, "rtcprobe: %s (see rtcprobe --help)\n", message);
}

/* Returns the format to render, or NULL after a usage error. */
static const char *
pick_format (GError **error)
{
  const char *f = opts.format;

  if (f == NULL && opts.output != NULL && g_str_has_suffix (opts.output, ".json"))
    f = "json";
  if (f == NULL)
    f = "text";
  if (strcmp (f, "text") != 0 && strcmp (f, "json") != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--format %s: use text or json", f);
    return NULL;
  }
  return f;
}

static gboolean
check_globals (GError **error)
{
  if (!(opts.timeout_s > 0 && opts.timeout_s <= 3600)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--timeout must be between 0 and 3600 seconds");
    return FALSE;
  }
  if (opts.ipv4 && opts.ipv6) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "-4 and -6 exclude each other");
    return FALSE;
  }
  if (opts.ca_file != NULL && !g_file_test (opts.ca_file, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--ca-file %s: no such file", opts.ca_file);
    return FALSE;
  }
  return pick_format (error) != NULL;
}

static int
render_and_write (RpReport *report)
{
  g_autoptr (GError) error = NULL;
  const char *format = pick_format (NULL);
  g_autofree char *out = NULL;

  if (strcmp (format, "json") == 0) {
    out = rp_report_render_json (report);
  } else {
    const char *no_color = g_getenv ("NO_COLOR");
    RpTextOptions to = { .verbose = opts.verbose };
    to.color = opts.output == NULL && isatty (STDOUT_FILENO) && (no_color == NULL || *no_color == '\0');
    out = rp_report_render_text (report, &to);
  }
  if (out == NULL) {
    fprintf (stderr, "rtcprobe: the report could not be rendered\n");
    return EXIT_INTERNAL;
  }
  if (opts.output != NULL) {
    if (!rp_output_write_atomic (opts.output, out, strlen (out), &error)) {
      fprintf (stderr, "rtcprobe: %s\n", error->message);
      return EXIT_USAGE;
    }
  } else if (!opts.quiet) {
    fputs (out, stdout);
    fflush (stdout);
  }
  return -1;
}

int
rp_cli_main (int argc, char **argv)
{
  g_autoptr (GOptionContext) gctx = g_option_context_new ("COMMAND [ARGS...]");
  g_autoptr (GOptionContext) cctx = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) args = NULL;
  g_autofree char *help = commands_help ();
  const Command *cmd;
  int n, rc;
  RpProbeOptions po = { 0 };
  g_autoptr (RpReport) report = NULL;
  g_autoptr (RpRunner) runner = NULL;
  gint64 t0;

  setlocale (LC_ALL, "");
  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  /* Pass 1: global options up to the command. */
  g_option_context_set_summary (gctx, "Probes a realtime deployment (web, API, websockets, TURN, voice) from where you stand.");
  g_option_context_set_description (gctx, help);
  g_option_context_add_main_entries (gctx, global_entries, NULL);
  g_option_context_set_strict_posix (gctx, TRUE);
  if (!g_option_context_parse_strv (gctx, &args, &error)) {
    usage_error (error->message);
    return EXIT_USAGE;
  }
  if (opts.version) {
    printf ("rtcprobe %s\n", RP_VERSION);
    return 0;
  }
  n = (int) g_strv_length (args);
  if (n < 2) {
    usage_error ("no command given");
    return EXIT_USAGE;
  }
  cmd = find_command (args[1]);
  if (cmd == NULL) {
    g_autofree char *msg = g_strdup_printf ("unknown command '%s'", args[1]);
    usage_error (msg);
    return EXIT_USAGE;
  }

  /* Pass 2: the command's options, and the global ones again. */
  {
    g_autofree char *param = g_strdup_printf ("%s %s", cmd->name, cmd->args);
    g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
    cctx = g_option_context_new (param);
    g_option_context_set_summary (cctx, cmd->description);
    if (cmd->entries != NULL)
      g_option_context_add_main_entries (cctx, cmd->entries, NULL);
    g_option_context_add_main_entries (cctx, global_entries, NULL);
    /* argv for pass 2: program name, then what follows the command. */
    g_strv_builder_add (b, args[0]);
    for (int i = 2; i < n; i++)
      g_strv_builder_add (b, args[i]);
    g_strfreev (args);
    args = g_strv_builder_end (b);
    if (!g_option_context_parse_strv (cctx, &args, &error)) {
      usage_error (error->message);
      return EXIT_USAGE;
    }
    if (opts.version) {
      printf ("rtcprobe %s\n", RP_VERSION);
      return 0;
    }
  }
  if (!check_globals (&error)) {
    usage_error (error->message);
    return EXIT_USAGE;
  }

  po.timeout_us = (gint64) (opts.timeout_s * G_USEC_PER_SEC);
  po.family = opts.ipv4 ? RP_FAMILY_V4 : opts.ipv6 ? RP_FAMILY_V6 : RP_FAMILY_ANY;
  po.ca_file = opts.ca_file;
  po.insecure = opts.insecure;

  report = rp_report_new (cmd->name);
  t0 = g_get_monotonic_time ();
  runner = rp_runner_new (g_main_context_default (), po.timeout_us);
  /* args[0] is the program; the command's arguments follow. Rewrite so the
   * command sees itself as argv[0]. */
  rc = cmd->run (runner, &po, (int) g_strv_length (args), args, &error);
  if (rc != 0) {
    usage_error (error != NULL ? error->message : "bad arguments");
    return rc;
  }
  rp_runner_run (runner);
  rp_runner_take_results (runner, report);
  report->duration_ms = (g_get_monotonic_time () - t0) / 1000.0;
  if (report->vantage == NULL)
    report->vantage = rp_check_result_new ("vantage", "vantage", "");
  rp_check_result_detail_str (report->vantage, "family", po.family == RP_FAMILY_V4 ? "ipv4" : po.family == RP_FAMILY_V6 ? "ipv6" : "any");

  rc = render_and_write (report);
  if (rc >= 0)
    return rc;
  return rp_report_exit_code (report, opts.strict);
}
