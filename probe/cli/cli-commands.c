/* The commands: each one's options and how it turns its arguments into
 * checks on the runner. Usage errors are a GError and RP_EXIT_USAGE; nothing
 * here touches the network before the runner starts. */
#include <stdio.h>
#include <string.h>

#include "common/quote.h"
#include "probe/checks/check-deployment.h"
#include "probe/checks/checks-network.h"
#include "probe/cli/cli-private.h"
#include "probe/core/credentials.h"
#include "probe/checks/checks-ice.h"
#include "probe/checks/checks-reflector.h"
#include "reflector/serve.h"
#include "probe/checks/checks-turn.h"
#include "probe/checks/checks-voice.h"
#include "probe/checks/checks-web.h"

const GOptionEntry rp_cli_turn_credential_entries[] = {
  { "user", 'u', 0, G_OPTION_ARG_STRING, RP_CLI_OPT (user),
    "TURN user name (with REST credentials: the name part; check: instead of the profile's)",
    "USER" },
  { "password-file", 0, 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (password_file),
    "Read the TURN password from FILE (or set RTCPROBE_TURN_PASSWORD); never on the command line",
    "FILE" },
  { "secret-file", 0, 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (secret_file),
    "Read coturn's static-auth-secret from FILE (or set RTCPROBE_TURN_SECRET) and make TURN REST "
    "credentials",
    "FILE" },
  { "rest-ttl", 0, 0, G_OPTION_ARG_INT, RP_CLI_OPT (rest_ttl),
    "Lifetime of the REST credentials made from the secret (default 3600 s; check: the profile's)",
    "S" },
  { NULL }
};

static const GOptionEntry ports_entries[] = {
  { "ports", 'p', 0, G_OPTION_ARG_STRING, RP_CLI_OPT (ports),
    "Ports to probe, e.g. 80/tcp,3478/udp,50000-50010/udp (default: a web, TURN and LiveKit "
    "deployment's " RP_PORTLIST_DEFAULT ")",
    "LIST" },
  { NULL }
};

static const GOptionEntry turn_entries[] = {
  { "all-transports", 'a', 0, G_OPTION_ARG_NONE, RP_CLI_OPT (all_transports),
    "Also test turns: on 5349 and 443 for every host given", NULL },
  { "audit", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (audit),
    "Check the server refuses relaying into loopback, private, link-local and metadata addresses, "
    "and allocations without credentials",
    NULL },
  { "relay-family", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (relay_family),
    "Relayed address families to require besides IPv4: ipv6 (an IPv6 relay and data through it), "
    "dual (one allocation with both), all, or ipv4 (neither). Default: test ipv6 and dual, and "
    "skip them on a server without an IPv6 relay",
    "FAMILY" },
  { NULL }
};

static const GOptionEntry http_entries[] = {
  { "expect-json", 'j', 0, G_OPTION_ARG_STRING_ARRAY, RP_CLI_OPT (expect_json),
    "The body is JSON and KEY (dotted path) has VALUE, e.g. status=ok (repeatable)", "KEY=VALUE" },
  { "origin", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (origin),
    "Check CORS: this origin is allowed and a foreign one is not", "URL" },
  { "header", 'H', 0, G_OPTION_ARG_STRING_ARRAY, RP_CLI_OPT (headers),
    "Add a request header (repeatable)", "'K: V'" },
  { NULL }
};

static const GOptionEntry ws_entries[] = {
  { "hold", 0, 0, G_OPTION_ARG_DOUBLE, RP_CLI_OPT (hold_s),
    "Keep the connection idle for S seconds and report whether and why it was closed", "S" },
  { "header", 'H', 0, G_OPTION_ARG_STRING_ARRAY, RP_CLI_OPT (headers),
    "Add a header to the upgrade request (repeatable)", "'K: V'" },
  { "engineio", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (engineio),
    "Speak Engine.IO v4 / Socket.IO (automatic when the path contains /socket.io/)", NULL },
  { "livekit", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (livekit),
    "The URL is LiveKit signalling: probe /, /rtc/validate and the /rtc upgrade", NULL },
  { "livekit-key", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (livekit_key),
    "LiveKit API key: sign a token and expect /rtc/validate to accept it", "KEY" },
  { "livekit-secret-file", 0, 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (livekit_secret_file),
    "Read the LiveKit API secret from FILE (or set RTCPROBE_LIVEKIT_SECRET)", "FILE" },
  { NULL }
};

static const GOptionEntry ice_entries[] = {
  { "turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, RP_CLI_OPT (ice_turn),
    "TURN server URI (repeatable): turn:host[:port][?transport=udp|tcp], turns:host[:port]",
    "URI" },
  { "stun", 0, 0, G_OPTION_ARG_STRING_ARRAY, RP_CLI_OPT (ice_stun),
    "STUN server URI for server-reflexive candidates (repeatable)", "URI" },
  { "relay-only", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (relay_only),
    "Use relay candidates only: the path a user behind a strict firewall gets", NULL },
  { "reflector", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (reflector),
    "ICE with an `rtcprobe serve` reflector at this ws:// or wss:// URL instead of two local "
    "agents",
    "URL" },
  { "reflector-secret-file", 0, 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (reflector_secret_file),
    "Read the reflector's shared secret from FILE (or set RTCPROBE_REFLECTOR_SECRET; else "
    "--secret-file's)",
    "FILE" },
  { "reflector-name", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (reflector_name),
    "The client name in the reflector token (default rtcprobe)", "NAME" },
  { NULL }
};

static const GOptionEntry serve_entries[] = {
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (serve_config),
    "The reflector's INI file (listen addresses, secret, TURN servers, limits)", "FILE" },
  { NULL }
};

static const GOptionEntry exporter_entries[] = {
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (exporter_config),
    "The exporter's INI file ([listen] address and allow_targets, [module NAME] sections)",
    "FILE" },
  { NULL }
};

static const GOptionEntry invite_entries[] = {
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (serve_config),
    "The reflector's INI file: its [auth] secret signs the invite, [tester] public_url starts "
    "the link", "FILE" },
  { "ttl", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (invite_ttl),
    "How long the link works: seconds, or 90m, 12h, 7d (default " RP_SERVE_INVITE_TTL_DEFAULT
    ", at most 30d)", "DURATION" },
  { "uses", 0, 0, G_OPTION_ARG_INT, RP_CLI_OPT (invite_uses),
    "How many test runs the link allows (default 1, at most 1000)", "N" },
  { NULL }
};

static const GOptionEntry results_entries[] = {
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (serve_config),
    "The reflector's INI file: its [results] database is read", "FILE" },
  { "since", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (results_since),
    "Only runs received this long ago or later: seconds, or 90m, 12h, 7d", "DURATION" },
  { NULL }
};

static const GOptionEntry voice_entries[] = {
  { "turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, RP_CLI_OPT (ice_turn),
    "TURN server URI to send the voice stream through (repeatable): "
    "turn:host[:port][?transport=udp|tcp], turns:host[:port]",
    "URI" },
  { "reflector", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (reflector),
    "Stream to an `rtcprobe serve` reflector at this ws:// or wss:// URL: its direct UDP port and "
    "over ICE (--turn: for gathering)",
    "URL" },
  { "reflector-secret-file", 0, 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (reflector_secret_file),
    "Read the reflector's shared secret from FILE (or set RTCPROBE_REFLECTOR_SECRET; else "
    "--secret-file's)",
    "FILE" },
  { "relay-only", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (relay_only),
    "With --reflector: ICE over relay candidates only, the path a user behind a strict firewall "
    "gets",
    NULL },
  { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, RP_CLI_OPT (duration_s),
    "Seconds of measured stream (default 10)", "S" },
  { "codec", 'c', 0, G_OPTION_ARG_STRING, RP_CLI_OPT (codec),
    "Packet shape and E-model profile: opus (default, 102 bytes every 20 ms), g711 (172 bytes), or "
    "SIZE@MS",
    "CODEC" },
  { "threshold", 0, 0, G_OPTION_ARG_STRING_ARRAY, RP_CLI_OPT (thresholds),
    "Override a verdict threshold (repeatable): warn_mos=4.0 warn_rtt_p95_ms=300 warn_jitter_ms=30 "
    "warn_loss_pct=1 "
    "fail_mos=3.1 fail_loss_pct=5",
    "NAME=VALUE" },
  { "watch", 'w', 0, G_OPTION_ARG_STRING, RP_CLI_OPT (watch),
    "Keep the stream running this long (90, 90s, 10m, 2h; up to 24h), reported in windows: "
    "loss and jitter episodes",
    "DURATION" },
  { "window", 0, 0, G_OPTION_ARG_DOUBLE, RP_CLI_OPT (window_s),
    "With --watch: seconds per window (default 10)", "S" },
  { NULL }
};

static const GOptionEntry check_entries[] = {
  { "profile", 'P', 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (profile),
    "The deployment's profile (INI): hosts, URLs, TURN URIs, where credentials live", "FILE" },
  { "livekit-key", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (livekit_key),
    "LiveKit API key: sign a token and validate it", "KEY" },
  { "livekit-secret-file", 0, 0, G_OPTION_ARG_FILENAME, RP_CLI_OPT (livekit_secret_file),
    "Read the LiveKit API secret from FILE (or set RTCPROBE_LIVEKIT_SECRET)", "FILE" },
  { "file-hash", 0, 0, G_OPTION_ARG_STRING, RP_CLI_OPT (file_hash),
    "A file that exists: /api/v1/files/HASH must render", "HASH" },
  { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, RP_CLI_OPT (duration_s),
    "Seconds of measured voice stream (default 5)", "S" },
  { "audit", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (audit),
    "Also audit what the TURN server relays to (see turn --audit)", NULL },
  { "no-voice", 0, 0, G_OPTION_ARG_NONE, RP_CLI_OPT (no_voice),
    "Leave out the voice stream (the run then takes about a second)", NULL },
  { NULL }
};

/* --rest-ttl, or its default. */
static gint
rest_ttl (const RpCliOptions *o)
{
  return o->rest_ttl == RP_CLI_REST_TTL_UNSET ? 3600 : o->rest_ttl;
}

RpTurnPlan *
rp_cli_turn_plan (const RpCliOptions *o, GError **error)
{
  RpTurnCreds creds;

  if (!rp_turn_creds_load (&creds, o->user, o->password_file, o->secret_file, rest_ttl (o),
                           error))
    return NULL;
  return rp_turn_plan_new (&creds);
}

static int
cmd_ports (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  RpRunner *runner = run->runner;
  const RpProbeOptions *po = run->po;
  g_autoptr (GArray) ports = NULL;

  if (argc != 2) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 argc < 2 ? "ports: give one HOST" : "ports: give one HOST (got %d arguments)",
                 argc - 1);
    return RP_EXIT_USAGE;
  }
  ports = rp_portlist_parse (o->ports != NULL ? o->ports : RP_PORTLIST_DEFAULT, error);
  if (ports == NULL)
    return RP_EXIT_USAGE;
  if (!g_hostname_is_ip_address (argv[1])) {
    /* Reuse the URI parser's host validation for names. */
    g_autofree char *uri = g_strdup_printf ("stun:%s", argv[1]);
    g_autoptr (RpTarget) t = rp_target_parse (uri, NULL);
    if (t == NULL || t->port_explicit) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "ports: '%s' is not a host name or IP address", argv[1]);
      return RP_EXIT_USAGE;
    }
  }
  rp_check_ports_add (runner, po, argv[1], ports);
  return 0;
}

static int
cmd_stun (RpCliRun *run, int argc, char **argv, GError **error)
{
  RpRunner *runner = run->runner;
  const RpProbeOptions *po = run->po;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  guint per_transport[3] = { 0, 0, 0 };

  if (argc < 2) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "stun: give at least one URI (stun:host[:port], stuns:host[:port])");
    return RP_EXIT_USAGE;
  }
  for (int i = 1; i < argc; i++) {
    RpTarget *t = rp_target_parse (argv[i], error);
    if (t == NULL)
      return RP_EXIT_USAGE;
    if (t->scheme != RP_SCHEME_STUN && t->scheme != RP_SCHEME_STUNS && t->scheme != RP_SCHEME_TURN
        && t->scheme != RP_SCHEME_TURNS) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "stun: '%s' is not a stun:, stuns:, turn: or turns: URI", argv[i]);
      rp_target_free (t);
      return RP_EXIT_USAGE;
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
  return a->transport == b->transport && a->port == b->port &&
         g_ascii_strcasecmp (a->host, b->host) == 0;
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
  g_autofree char *host =
    t->host_is_ip && strchr (t->host, ':') ? g_strdup_printf ("[%s]", t->host) : g_strdup (t->host);
  g_autofree char *uri = scheme == RP_SCHEME_TURNS
                           ? g_strdup_printf ("turns:%s:%u", host, port)
                           : g_strdup_printf ("turn:%s:%u?transport=%s", host, port,
                                              transport == RP_TRANSPORT_TCP ? "tcp" : "udp");
  return rp_target_parse (uri, NULL);
}

static int
cmd_turn (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  RpRunner *runner = run->runner;
  const RpProbeOptions *po = run->po;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  g_autoptr (RpTurnPlan) plan = NULL;
  RpTurnRelayFamilies families = RP_TURN_RELAY_IPV6 | RP_TURN_RELAY_DUAL;

  if (o->relay_family != NULL && !rp_turn_relay_families_parse (o->relay_family, &families)) {
    g_autofree char *q = rp_quote_input (o->relay_family, strlen (o->relay_family), 32);
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "turn: --relay-family is ipv4, ipv6, dual or all, not %s", q);
    return RP_EXIT_USAGE;
  }
  if (argc < 2) {
    g_set_error (
      error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
      "turn: give at least one URI (turn:host[:port][?transport=udp|tcp], turns:host[:port])");
    return RP_EXIT_USAGE;
  }
  for (int i = 1; i < argc; i++) {
    g_autoptr (RpTarget) t = rp_target_parse (argv[i], error);
    if (t == NULL)
      return RP_EXIT_USAGE;
    if (t->scheme != RP_SCHEME_TURN && t->scheme != RP_SCHEME_TURNS) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "turn: '%s' is not a turn: or turns: URI", argv[i]);
      return RP_EXIT_USAGE;
    }
    if (t->scheme == RP_SCHEME_TURN && !t->transport_explicit) {
      add_unique (targets, variant (t, RP_SCHEME_TURN, RP_TRANSPORT_UDP, t->port));
      add_unique (targets, variant (t, RP_SCHEME_TURN, RP_TRANSPORT_TCP, t->port));
    } else {
      add_unique (targets, g_steal_pointer (&t));
    }
  }
  if (o->all_transports) {
    guint n = targets->len;
    for (guint i = 0; i < n; i++) {
      const RpTarget *t = g_ptr_array_index (targets, i);
      add_unique (targets, variant (t, RP_SCHEME_TURNS, RP_TRANSPORT_TLS, 5349));
      add_unique (targets, variant (t, RP_SCHEME_TURNS, RP_TRANSPORT_TLS, 443));
    }
  }
  plan = rp_cli_turn_plan (o, error);
  if (plan == NULL)
    return RP_EXIT_USAGE;
  rp_check_turn_family_add (runner, po, plan, targets, o->audit);
  rp_check_turn_relay_families_add (runner, po, plan, targets, families, o->relay_family != NULL);
  return 0;
}

/* Parses each argument as a URL of the given schemes. */
static GPtrArray *
parse_urls (const char *cmd, int argc, char **argv, RpScheme a, RpScheme b, GError **error)
{
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);

  if (argc < 2) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "%s: give at least one %s:// or %s:// URL", cmd, rp_scheme_to_string (a),
                 rp_scheme_to_string (b));
    return NULL;
  }
  for (int i = 1; i < argc; i++) {
    RpTarget *t = rp_target_parse (argv[i], error);
    if (t == NULL)
      return NULL;
    g_ptr_array_add (targets, t);
    if (t->scheme != a && t->scheme != b) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: '%s' is not a %s:// or %s:// URL", cmd, argv[i], rp_scheme_to_string (a),
                   rp_scheme_to_string (b));
      return NULL;
    }
  }
  return g_steal_pointer (&targets);
}

static gboolean
check_headers (char **headers, GError **error)
{
  for (guint i = 0; headers != NULL && headers[i] != NULL; i++) {
    const char *colon = strchr (headers[i], ':');
    if (colon == NULL || colon == headers[i] || strpbrk (headers[i], "\r\n") != NULL) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--header '%s': write it as 'Name: value' on one line", headers[i]);
      return FALSE;
    }
  }
  return TRUE;
}

static int
cmd_http (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  RpRunner *runner = run->runner;
  const RpProbeOptions *po = run->po;
  g_autoptr (GPtrArray) targets =
    parse_urls ("http", argc, argv, RP_SCHEME_HTTPS, RP_SCHEME_HTTP, error);
  RpHttpOptions ho = { o->expect_json, o->origin, o->headers };

  if (targets == NULL || !check_headers (o->headers, error))
    return RP_EXIT_USAGE;
  for (guint i = 0; o->expect_json != NULL && o->expect_json[i] != NULL; i++) {
    const char *eq = strchr (o->expect_json[i], '=');
    if (eq == NULL || eq == o->expect_json[i]) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--expect-json '%s': write KEY=VALUE, e.g. status=ok", o->expect_json[i]);
      return RP_EXIT_USAGE;
    }
  }
  if (o->origin != NULL) {
    g_autoptr (RpTarget) origin = rp_target_parse (o->origin, NULL);
    if (origin == NULL || (origin->scheme != RP_SCHEME_HTTPS && origin->scheme != RP_SCHEME_HTTP)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--origin '%s': give the app's origin, e.g. https://app.example.org", o->origin);
      return RP_EXIT_USAGE;
    }
  }
  for (guint i = 0; i < targets->len; i++)
    rp_check_http_add (runner, po, g_ptr_array_index (targets, i), &ho,
                       targets->len > 1 ? i + 1 : 0);
  return 0;
}

static int
cmd_ws (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  RpRunner *runner = run->runner;
  const RpProbeOptions *po = run->po;
  g_autoptr (GPtrArray) targets = parse_urls ("ws", argc, argv, RP_SCHEME_WSS, RP_SCHEME_WS, error);
  RpWsOptions wo = { o->hold_s,  o->headers,     o->engineio,
                     o->livekit, o->livekit_key, o->livekit_secret_file };

  if (targets == NULL || !check_headers (o->headers, error))
    return RP_EXIT_USAGE;
  if (o->hold_s < 0 || o->hold_s > 3600) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--hold must be between 0 and 3600 seconds");
    return RP_EXIT_USAGE;
  }
  if (o->livekit_key != NULL && !o->livekit)
    wo.livekit = TRUE;
  if (o->livekit_key != NULL) {
    /* A key without its secret can prove nothing: say so before any traffic. */
    if (o->livekit_secret_file != NULL) {
      g_autoptr (RpSecret) secret = rp_read_secret_file (o->livekit_secret_file, error);
      if (secret == NULL) {
        g_prefix_error (error, "--livekit-secret-file: ");
        return RP_EXIT_USAGE;
      }
    } else if (g_getenv ("RTCPROBE_LIVEKIT_SECRET") == NULL ||
               *g_getenv ("RTCPROBE_LIVEKIT_SECRET") == '\0') {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "--livekit-key needs --livekit-secret-file (or RTCPROBE_LIVEKIT_SECRET)");
      return RP_EXIT_USAGE;
    }
  }
  for (guint i = 0; i < targets->len; i++)
    rp_check_ws_add (runner, po, g_ptr_array_index (targets, i), &wo, targets->len > 1 ? i + 1 : 0);
  return 0;
}

gboolean
rp_cli_reflector_options (const RpCliOptions *o, GPtrArray *turn, GPtrArray *stun,
                          RpTarget **url, RpSecret **secret, RpIceReflectorOptions *ro,
                          GError **error)
{
  RpIceReflectorOptions r = { NULL, turn, stun, o->relay_only, NULL, 0, o->reflector_name };

  *url = rp_target_parse (o->reflector, error);
  if (*url == NULL)
    return FALSE;
  if ((*url)->scheme != RP_SCHEME_WS && (*url)->scheme != RP_SCHEME_WSS) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--reflector '%s': give the reflector's wss:// URL", o->reflector);
    return FALSE;
  }
  if (o->relay_only && turn->len == 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--relay-only needs a --turn server");
    return FALSE;
  }
  *secret = rp_reflector_secret_load (o->reflector_secret_file, o->secret_file, error);
  if (*secret == NULL)
    return FALSE;
  r.url = *url;
  r.secret = *secret;
  r.secret_len = strlen (*secret);
  *ro = r;
  return TRUE;
}

/* ice --reflector: one check against `rtcprobe serve`. */
static int
add_reflector (const RpCliOptions *o, RpRunner *runner, const RpProbeOptions *po, RpTurnPlan *plan,
               GPtrArray *turn, GPtrArray *stun, GError **error)
{
  g_autoptr (RpTarget) url = NULL;
  g_autoptr (RpSecret) secret = NULL;
  RpIceReflectorOptions ro;

  if (!rp_cli_reflector_options (o, turn, stun, &url, &secret, &ro, error))
    return RP_EXIT_USAGE;
  rp_check_ice_reflector_add (runner, po, plan, &ro);
  return 0;
}

static int
cmd_ice (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  RpRunner *runner = run->runner;
  const RpProbeOptions *po = run->po;
  g_autoptr (GPtrArray) turn = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  g_autoptr (GPtrArray) stun = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  g_autoptr (RpTurnPlan) plan = NULL;
  RpIceOptions io = { turn, stun, o->relay_only };

  if (argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "ice: unexpected argument '%s' (servers go in --turn/--stun)", argv[1]);
    return RP_EXIT_USAGE;
  }
  if ((o->reflector == NULL || o->ice_turn != NULL) && !rp_cli_parse_turn_option (o, turn, error))
    return RP_EXIT_USAGE;
  for (guint i = 0; o->ice_stun != NULL && o->ice_stun[i] != NULL; i++) {
    RpTarget *t = rp_target_parse (o->ice_stun[i], error);
    if (t == NULL)
      return RP_EXIT_USAGE;
    if (t->scheme != RP_SCHEME_STUN || t->transport != RP_TRANSPORT_UDP) {
      rp_target_free (t);
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--stun '%s': ICE uses stun: over UDP", o->ice_stun[i]);
      return RP_EXIT_USAGE;
    }
    g_ptr_array_add (stun, t);
  }
  plan = rp_cli_turn_plan (o, error);
  if (plan == NULL)
    return RP_EXIT_USAGE;
  if (o->reflector != NULL)
    return add_reflector (o, runner, po, plan, turn, stun, error);
  rp_check_ice_add (runner, po, plan, &io);
  return 0;
}

gboolean
rp_cli_parse_turn_option (const RpCliOptions *o, GPtrArray *out, GError **error)
{
  for (guint i = 0; o->ice_turn != NULL && o->ice_turn[i] != NULL; i++) {
    RpTarget *t = rp_target_parse (o->ice_turn[i], error);
    if (t == NULL)
      return FALSE;
    if (t->scheme != RP_SCHEME_TURN && t->scheme != RP_SCHEME_TURNS) {
      rp_target_free (t);
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--turn '%s' is not a turn: or turns: URI", o->ice_turn[i]);
      return FALSE;
    }
    g_ptr_array_add (out, t);
  }
  if (out->len == 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "give at least one --turn URI");
    return FALSE;
  }
  return TRUE;
}

gboolean
rp_cli_watch_seconds (const RpCliOptions *o, double *seconds, GError **error)
{
  RpVoiceOptions vo;

  *seconds = 0;
  if (o->watch == NULL) {
    if (o->window_s != 0) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--window goes with --watch");
      return FALSE;
    }
    return TRUE;
  }
  if (o->duration_s != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--watch and --duration exclude each other (--watch is the duration)");
    return FALSE;
  }
  rp_voice_options_init (&vo);
  if (!rp_voice_parse_watch (&vo, o->watch, o->window_s, error))
    return FALSE;
  *seconds = vo.duration_s;
  return TRUE;
}

static int
cmd_voice (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  RpRunner *runner = run->runner;
  const RpProbeOptions *po = run->po;
  g_autoptr (GPtrArray) turn = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  g_autoptr (RpTurnPlan) plan = NULL;
  RpVoiceOptions vo;
  double watch_s;

  rp_voice_options_init (&vo);
  if (argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "voice: unexpected argument '%s' (servers go in --turn)", argv[1]);
    return RP_EXIT_USAGE;
  }
  if ((o->reflector == NULL || o->ice_turn != NULL) && !rp_cli_parse_turn_option (o, turn, error))
    return RP_EXIT_USAGE;
  if (o->duration_s != 0) {
    if (!(o->duration_s >= 1 && o->duration_s <= 3600)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--duration must be between 1 and 3600 seconds");
      return RP_EXIT_USAGE;
    }
    vo.duration_s = o->duration_s;
  }
  if (!rp_cli_watch_seconds (o, &watch_s, error))
    return RP_EXIT_USAGE;
  if (watch_s > 0 && !rp_voice_parse_watch (&vo, o->watch, o->window_s, error))
    return RP_EXIT_USAGE;
  if (watch_s > 0)
    vo.tap = run->tap;
  if (o->codec != NULL && !rp_voice_parse_codec (&vo, o->codec, error))
    return RP_EXIT_USAGE;
  for (guint i = 0; o->thresholds != NULL && o->thresholds[i] != NULL; i++)
    if (!rp_voice_parse_threshold (&vo, o->thresholds[i], error))
      return RP_EXIT_USAGE;
  plan = rp_cli_turn_plan (o, error);
  if (plan == NULL)
    return RP_EXIT_USAGE;
  vo.turn = turn;
  if (o->reflector != NULL) {
    g_autoptr (RpTarget) url = NULL;
    g_autoptr (RpSecret) secret = NULL;
    RpIceReflectorOptions ro;
    if (!rp_cli_reflector_options (o, turn, NULL, &url, &secret, &ro, error))
      return RP_EXIT_USAGE;
    rp_check_voice_reflector_add (runner, po, plan, &vo, &ro);
    return 0;
  }
  if (o->relay_only) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--relay-only goes with --reflector");
    return RP_EXIT_USAGE;
  }
  rp_check_voice_add (runner, po, plan, &vo);
  return 0;
}

/* A server: no runner and no report; runs until SIGTERM. */
static int
cmd_serve (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  if (argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "serve: unexpected argument '%s' (use --config FILE)", argv[1]);
    return RP_EXIT_USAGE;
  }
  if (o->serve_config == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "serve: give --config FILE (see examples/serve.ini)");
    return RP_EXIT_USAGE;
  }
  return rp_serve_main (o->serve_config, error);
}

/* Prints the tester's link on one line; no runner, no report. */
static int
cmd_invite (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  g_autofree char *link = NULL;
  gint uses = o->invite_uses != RP_CLI_INVITE_USES_UNSET ? o->invite_uses
                                                          : RP_SERVE_INVITE_USES_DEFAULT;

  if (argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "invite: unexpected argument '%s' (use --label TEXT)", argv[1]);
    return RP_EXIT_USAGE;
  }
  if (o->serve_config == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "invite: give --config FILE, the reflector's (see examples/serve.ini)");
    return RP_EXIT_USAGE;
  }
  link = rp_serve_invite_link (o->serve_config, o->label, o->invite_ttl, uses,
                               g_get_real_time () / G_USEC_PER_SEC, error);
  if (link == NULL)
    return RP_EXIT_USAGE;
  printf ("%s\n", link);
  return fflush (stdout) == 0 ? RP_EXIT_OK : RP_EXIT_INTERNAL;
}

static int
cmd_check (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  RpCheckCommandOptions co = {
    .profile = o->profile,
    .user = o->user,
    .password_file = o->password_file,
    .secret_file = o->secret_file,
    .rest_ttl = o->rest_ttl == RP_CLI_REST_TTL_UNSET ? 0 : o->rest_ttl,
    .rest_ttl_given = o->rest_ttl != RP_CLI_REST_TTL_UNSET,
    .livekit_key = o->livekit_key,
    .livekit_secret_file = o->livekit_secret_file,
    .file_hash = o->file_hash,
    .duration_s = o->duration_s,
    .audit = o->audit,
    .no_voice = o->no_voice,
  };
  g_autoptr (RpCheckCommand) cmd = NULL;
  int rc;

  if ((o->profile == NULL) == (argc != 2) || argc > 2) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 argc > 2 ? "check: give one DOMAIN (got %d arguments)"
                          : "check: give a DOMAIN or --profile FILE (not both)",
                 argc - 1);
    return RP_EXIT_USAGE;
  }
  cmd = rp_check_command_new ();
  rc = rp_check_command_add (cmd, run->runner, run->po, &co, argc == 2 ? argv[1] : NULL, error);
  if (rc != 0)
    return rc;
  run->state = g_steal_pointer (&cmd);
  run->free_state = (GDestroyNotify) rp_check_command_free;
  return 0;
}

/* `ports` on a name with A and AAAA records: the families compared. */
static void
finish_ports (RpCliRun *run, RpReport *report)
{
  rp_family_findings_add (report->checks);
}

static void
finish_check (RpCliRun *run, RpReport *report)
{
  rp_check_command_finish (run->state, report);
}

const RpCliCommand rp_cli_commands[] = {
  { "ports", "HOST", "reachability of the deployment's ports",
    "Probes each port on every address of HOST. TCP: open, closed (refused) or filtered (no "
    "answer).\n"
    "UDP: a STUN Binding request; an answer is open, ICMP port unreachable is closed, silence is "
    "open|filtered.",
    ports_entries, FALSE, FALSE, cmd_ports, finish_ports },
  { "stun", "URI...", "STUN Binding: mapped address, RTT, NAT behaviour",
    "URIs as in a WebRTC iceServers list: stun:host[:port][?transport=tcp], stuns:host[:port] "
    "(TLS),\n"
    "turn:/turns: too (a TURN server answers Binding). Over UDP, NAT behaviour (RFC 5780) is "
    "tested\n"
    "when the server offers an OTHER-ADDRESS.",
    NULL, FALSE, FALSE, cmd_stun, NULL },
  { "turn", "URI...", "TURN allocation lifecycle, relay data path, fallback verdict, --audit",
    "URIs as in a WebRTC iceServers list: turn:host[:port][?transport=udp|tcp], turns:host[:port] "
    "(TLS).\n"
    "A bare turn:host tests UDP and TCP. For each transport: Allocate (401 challenge, then with\n"
    "credentials), Refresh, CreatePermission, ChannelBind, data through two relays and back, and\n"
    "deallocation, each step timed. Credentials come from files or the environment, never argv.",
    turn_entries, TRUE, FALSE, cmd_turn, NULL },
  { "http", "URL...", "HTTPS endpoints: status, phases, certificate, redirect, HSTS, JSON, CORS",
    "Each URL through libcurl: status and redirect chain, DNS/connect/TLS/first byte/total in "
    "microseconds,\n"
    "certificate verification and days left, http:// to https:// redirect and HSTS for the host,\n"
    "--expect-json status=ok on the body, --origin for a strict CORS policy.",
    http_entries, FALSE, FALSE, cmd_http, NULL },
  { "ws", "URL...", "websocket upgrades through the proxy: Socket.IO, LiveKit, idle hold",
    "The upgrade (status, Sec-WebSocket-Accept, time), ping RTT, and with --hold whether the proxy "
    "cuts\n"
    "idle connections. Socket.IO URLs (/socket.io/) speak Engine.IO v4 and fall back to polling to "
    "tell a\n"
    "proxy that strips Upgrade headers. --livekit probes LiveKit signalling; --livekit-key signs a "
    "token.",
    ws_entries, FALSE, FALSE, cmd_ws, NULL },
  { "ice", "--turn URI...",
    "ICE through libnice: gathering, and a connection through each TURN transport",
    "For each --turn/--stun server, the candidates gathered (type, transport, address, priority, "
    "time).\n"
    "For each TURN transport, two libnice agents in this process, one restricted to that server's "
    "relay\n"
    "candidates, must connect (a nominated pair on both sides): the selected pair, time to connect "
    "and\n"
    "RTT over it.",
    ice_entries, TRUE, FALSE, cmd_ice, NULL },
  { "voice", "--turn URI...",
    "the voice path (or --reflector URL): RTT, jitter, loss per direction, MOS",
    "A voice-shaped stream of STAMP packets (RFC 8762), one per frame interval on an absolute "
    "schedule,\n"
    "through two allocations on each --turn server and back: RTT percentiles, RFC 3550 jitter and "
    "loss\n"
    "per direction, bursts, late packets, and the E-model MOS, with a verdict and what to blame.",
    voice_entries, TRUE, FALSE, cmd_voice, NULL },
  { "load", "--turn URI...|--reflector URL --streams N [--ramp STEP/S]",
    "how many voice calls a TURN server relays before loss or jitter rise (own servers only)",
    "N voice-shaped streams, each two allocations on the server bound to each other, ramped in\n"
    "steps (--ramp 10/5: 10 more every 5 s); per step the set-ups that failed and why (486 quota,\n"
    "508 capacity, timeout), RTT p50/p95/p99, jitter p95 and loss per direction, and the sender's\n"
    "own schedule error; then the knee. Only the servers named are contacted (ALTERNATE-SERVER is\n"
    "not followed). Ctrl-C reports what was measured and releases the allocations.\n"
    "--reflector URL sends the same streams to an `rtcprobe serve` reflector's direct UDP port\n"
    "instead (one load session; its [limits] max_load_streams must allow them): the path\n"
    "without TURN, and the probe's own headroom. This is a load test: use it only on servers\n"
    "of your own.",
    rp_cli_load_entries, TRUE, FALSE, rp_cli_load, rp_cli_load_finish },
  { "serve", "--config FILE",
    "the reflector: the far end for ice --reflector, next to the deployment",
    "A websocket signalling endpoint (behind the same proxy as the API) where clients authenticate "
    "with a\n"
    "time-limited HMAC token, a libnice agent per session with the deployment's TURN servers, and "
    "signed\n"
    "STAMP echo on the selected pair and on plain UDP/TCP ports. Runs until SIGTERM; logs to "
    "stderr.",
    serve_entries, FALSE, TRUE, cmd_serve, NULL },
  { "exporter", "--config FILE", "a Prometheus exporter: /probe?target=T&module=M runs a probe",
    "blackbox_exporter's contract: each scrape of /probe runs one module of the INI file (a\n"
    "command and its options) against the target, bounded by the scrape's timeout, and answers\n"
    "Prometheus text; /metrics has the exporter's own. Only targets in [listen] allow_targets\n"
    "are probed. Runs until SIGTERM.",
    exporter_entries, FALSE, TRUE, rp_cli_exporter, NULL },
  { "invite", "--config FILE --label TEXT", "a link for a tester: the voice path from a browser",
    "Prints <public_url>/test#<invite>: the page `serve` shows there runs the checks from the\n"
    "tester's browser. The invite (in the fragment, never in a proxy's log) carries the label,\n"
    "its expiry and how many runs it allows, signed with the reflector's secret; the reflector\n"
    "counts uses in memory (a restart forgets them).",
    invite_entries, FALSE, TRUE, cmd_invite, NULL },
  { "results", "--config FILE [--since DURATION] [--label TEXT]",
    "every tester's run the reflector kept, grouped by vantage",
    "Reads the reflector's [results] database: one row per run (verdict, TURN transports that\n"
    "work, best path, RTT, jitter and loss per direction, MOS), grouped by vantage with failures\n"
    "first. --format text (default), json, html (MOS and loss over time, inline SVG, and what\n"
    "the failing vantages have in common) or prometheus (per label). --label picks one label.",
    results_entries, FALSE, TRUE, rp_cli_results, NULL },
  { "check", "DOMAIN", "everything for one deployment, in parallel, with a verdict",
    "DOMAIN is laid out the usual way: app.DOMAIN, api.DOMAIN (health, Socket.IO, files), "
    "cdn.DOMAIN, TURN on\n"
    "api.DOMAIN (3478 UDP/TCP, 5349 TLS), LiveKit at wss://DOMAIN:7880. --profile FILE names them "
    "instead,\n"
    "with where the credentials live. DNS, ports, HTTPS, redirects, HSTS, certificates, Socket.IO, "
    "LiveKit,\n"
    "the file URL, STUN/NAT, TURN on every transport, ICE and a 5 s voice stream run at once; the "
    "verdict\n"
    "comes first.",
    check_entries, TRUE, FALSE, cmd_check, finish_check },
};

const guint rp_cli_n_commands = G_N_ELEMENTS (rp_cli_commands);
