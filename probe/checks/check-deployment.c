/* The `check` command (check-deployment.h): turns a profile into checks.
 * Nothing here measures: each part of the deployment goes to the adder the
 * matching command uses (ports, stun, http, ws, turn, ice, voice), all on
 * one runner, so they run concurrently and only a check that needs another
 * one's result waits for it (ports wait for DNS, the TURN verdict for the
 * transports). What the profile leaves out becomes a `skip` saying which
 * key would enable it. The verdict is written after the run, over every
 * result (deployment-verdict.c). */
#include "probe/checks/check-deployment.h"

#include <stdarg.h>
#include <string.h>

#include "common/exit-code.h"
#include "common/quote.h"
#include "probe/checks/checks-network.h"
#include "probe/core/credentials.h"
#include "probe/checks/http-private.h"
#include "probe/checks/checks-ice.h"
#include "probe/core/profile.h"
#include "probe/checks/checks-reflector.h"
#include "probe/checks/checks-turn.h"
#include "probe/core/vantage.h"
#include "probe/checks/checks-voice.h"
#include "probe/checks/checks-web.h"


/* A run of the command: the profile and what finish needs after the run. */
struct _RpCheckCommand {
  RpProfile *profile;
  char *app_id;
  char *health_id;
  char *ca_file;
};

static void skip_start (RpCheck *check) { rp_check_finish (check); }

static const RpCheckClass skip_class = { skip_start, NULL, NULL };

void
rp_check_skip_add (RpRunner *runner, const char *id, const char *kind, const char *target,
                   const char *summary_fmt, ...)
{
  RpCheckResult *r = rp_check_result_new (id, kind, target != NULL ? target : "");
  g_autofree char *summary = NULL;
  va_list ap;

  va_start (ap, summary_fmt);
  summary = g_strdup_vprintf (summary_fmt, ap);
  va_end (ap);
  rp_check_result_set (r, RP_STATUS_SKIP, "%s", summary);
  rp_runner_add (runner, r, G_USEC_PER_SEC, &skip_class, NULL);
}

static void
resolved_nothing_more (RpRunner *runner, GList *addresses, gpointer user_data)
{
}

/* A literal or a name: "dns.<host>" either way, so every host has a row. */
static void
add_dns (RpRunner *runner, const RpProbeOptions *po, const RpProfile *p)
{
  g_autoptr (GPtrArray) hosts = rp_profile_hosts (p);

  for (guint i = 0; i < hosts->len; i++) {
    const char *host = g_ptr_array_index (hosts, i);
    g_autofree char *id = g_strdup_printf ("dns.%s", host);

    if (g_hostname_is_ip_address (host))
      rp_check_skip_add (runner, id, "dns", host, "%s is an address: nothing to resolve", host);
    else if (p->ports_host == NULL || g_ascii_strcasecmp (host, p->ports_host) != 0)
      rp_check_dns_add (runner, po, host, resolved_nothing_more, NULL, NULL);
    /* The ports host: rp_check_ports_add resolves it (once). */
  }
}

static gboolean
add_ports (RpRunner *runner, const RpProbeOptions *po, const RpProfile *p, GError **error)
{
  g_autofree char *list = rp_profile_port_list (p);
  g_autoptr (GArray) ports = NULL;

  if (p->ports_host == NULL || *list == '\0') {
    rp_check_skip_add (runner, "ports", "port", "", "no ports to probe: set [ports] host and list");
    return TRUE;
  }
  ports = rp_portlist_parse (list, error);
  if (ports == NULL)
    return FALSE;
  rp_check_ports_add (runner, po, p->ports_host, ports);
  return TRUE;
}

static RpTarget *
parse (const char *url)
{
  return url != NULL ? rp_target_parse (url, NULL) : NULL;
}

/* http.N for the app, the health URL (with --expect-json and CORS) and the
 * file URL; hygiene (redirect, HSTS) for each of their hosts and the CDN's. */
static void
add_web (RpCheckCommand *cmd, RpRunner *runner, const RpProbeOptions *po, const RpProfile *p)
{
  g_autoptr (RpTarget) app = parse (p->app_url);
  g_autoptr (RpTarget) health = parse (p->health_url);
  g_autoptr (RpTarget) file = parse (p->file_url);
  g_autoptr (RpTarget) cdn = parse (p->cdn_url);
  RpHttpOptions plain = { NULL, NULL, NULL, NULL };
  RpHttpOptions file_endpoint = { NULL, NULL, NULL, "file" };
  RpHttpOptions api = { p->health_expect, p->origin, NULL, NULL };
  guint index = 0;

  if (app != NULL) {
    rp_check_http_add (runner, po, app, &plain, ++index);
    cmd->app_id = g_strdup_printf ("http.%u", index);
  } else
    rp_check_skip_add (runner, "http.app", "http", "",
                       "no web app URL: set [web] app_url or [deployment] domain");
  if (health != NULL) {
    rp_check_http_add (runner, po, health, &api, ++index);
    cmd->health_id = g_strdup_printf ("http.%u", index);
  } else
    rp_check_skip_add (runner, "http.health", "http", "",
                       "no API health URL: set [web] api_url or health_url");
  if (file != NULL) {
    /* Its own kind, so reports and the verdict put it under Files. */
    rp_check_http_add (runner, po, file, &file_endpoint, ++index);
  } else {
    rp_check_skip_add (runner, "file", "file", p->cdn_url,
                       "no sample file: set [files] file_hash (or --file-hash) to a file "
                       "that exists, and /api/v1/files/HASH must render");
  }
  if (cdn != NULL)
    rp_http_hygiene_register (runner, po, cdn);
  for (guint i = 0; p->http_urls != NULL && p->http_urls[i] != NULL; i++) {
    g_autoptr (RpTarget) t = parse (p->http_urls[i]);
    rp_http_hygiene_register (runner, po, t);
  }
}

static void
add_realtime (RpRunner *runner, const RpProbeOptions *po, const RpProfile *p)
{
  g_autoptr (RpTarget) sio = parse (p->socketio_url);
  g_autoptr (RpTarget) lk = parse (p->livekit_url);

  if (sio != NULL) {
    RpWsOptions wo = { 0 };
    wo.engineio = TRUE;
    rp_check_ws_add (runner, po, sio, &wo, 0);
  } else {
    rp_check_skip_add (runner, "socketio", "websocket", "",
                       "no Socket.IO URL: set [web] api_url or socketio_url");
  }
  if (lk != NULL) {
    RpWsOptions wo = { 0 };
    wo.livekit = TRUE;
    wo.livekit_key = p->livekit_key;
    wo.livekit_secret_file = p->livekit_secret_file;
    if (p->livekit_secret_env != NULL)
      g_setenv ("RTCPROBE_LIVEKIT_SECRET",
                g_getenv (p->livekit_secret_env) ? g_getenv (p->livekit_secret_env) : "", TRUE);
    rp_check_ws_add (runner, po, lk, &wo, 0);
  } else {
    rp_check_skip_add (runner, "livekit", "websocket", "", "no LiveKit URL: set [livekit] url");
  }
}

/* stun:H:P over UDP at the first TURN server: the public address and NAT,
 * and each family where the name has A and AAAA records. */
static void
add_stun (RpRunner *runner, const RpProbeOptions *po, GPtrArray *turn)
{
  const RpTarget *first = NULL;
  g_autofree char *uri = NULL;
  g_autoptr (RpTarget) stun = NULL;

  for (guint i = 0; i < turn->len && first == NULL; i++)
    if (((RpTarget *) g_ptr_array_index (turn, i))->transport == RP_TRANSPORT_UDP)
      first = g_ptr_array_index (turn, i);
  if (first == NULL && turn->len > 0)
    first = g_ptr_array_index (turn, 0);
  if (first == NULL) {
    rp_check_skip_add (runner, "stun.udp", "stun", "", "no TURN/STUN server: set [turn] uris");
    return;
  }
  uri = first->host_is_ip && strchr (first->host, ':')
          ? g_strdup_printf ("stun:[%s]:%u", first->host,
                             first->transport == RP_TRANSPORT_UDP ? first->port : 3478)
          : g_strdup_printf ("stun:%s:%u", first->host,
                             first->transport == RP_TRANSPORT_UDP ? first->port : 3478);
  stun = rp_target_parse (uri, NULL);
  if (stun != NULL)
    rp_check_stun_add_families (runner, po, stun, TRUE, TRUE);
}

/* Credentials from the profile's sources. FALSE: a usage error. *why: why
 * there are none (the checks that need them are skipped). */
static gboolean
load_creds (const RpProfile *p, RpTurnCreds *creds, char **why, GError **error)
{
  const char *pw_env = p->turn_password_env, *secret_env = p->turn_secret_env;

  /* A named variable stands in for the one the loader reads. */
  if (secret_env != NULL) {
    if (g_getenv (secret_env) == NULL || *g_getenv (secret_env) == '\0') {
      *why = g_strdup_printf ("the TURN secret variable %s is not set", secret_env);
      memset (creds, 0, sizeof *creds);
      return TRUE;
    }
    g_setenv ("RTCPROBE_TURN_SECRET", g_getenv (secret_env), TRUE);
  }
  if (pw_env != NULL) {
    if (g_getenv (pw_env) == NULL || *g_getenv (pw_env) == '\0') {
      *why = g_strdup_printf ("the TURN password variable %s is not set", pw_env);
      memset (creds, 0, sizeof *creds);
      return TRUE;
    }
    g_unsetenv ("RTCPROBE_TURN_SECRET");
    g_setenv ("RTCPROBE_TURN_PASSWORD", g_getenv (pw_env), TRUE);
  }
  if (!rp_turn_creds_load (creds, p->turn_user, p->turn_password_file, p->turn_secret_file,
                           p->rest_ttl, error)) {
    g_prefix_error (error, "profile %s: [turn] ", p->source);
    return FALSE;
  }
  if (creds->kind == RP_CREDS_NONE)
    *why = g_strdup ("no TURN credentials: set [turn] user with password_file/password_env, or "
                     "secret_file/secret_env");
  return TRUE;
}

/* ice.reflector: ICE between here and `rtcprobe serve` next to the
 * deployment. The secret: [reflector] secret_file or secret_env, else the
 * TURN REST secret file (one secret for both). */
static gboolean
add_reflector (RpRunner *runner, const RpProbeOptions *po, const RpProfile *p, RpTurnPlan *plan,
               GPtrArray *turn, GPtrArray *stun, GError **error)
{
  g_autoptr (RpTarget) url = rp_target_parse (p->reflector_url, error);
  g_autoptr (RpSecret) secret = NULL;
  RpIceReflectorOptions ro = { NULL, turn, stun, FALSE, NULL, 0, "rtcprobe-check" };

  if (url == NULL)
    return FALSE;
  if (p->reflector_secret_env != NULL) {
    const char *v = g_getenv (p->reflector_secret_env);
    if (v == NULL || *v == '\0') {
      rp_check_skip_add (runner, "ice.reflector", "ice", url->uri,
                         "the reflector secret variable %s is not set", p->reflector_secret_env);
      return TRUE;
    }
    g_setenv ("RTCPROBE_REFLECTOR_SECRET", v, TRUE);
  } else if (p->reflector_secret_file == NULL && p->turn_secret_file == NULL
             && g_getenv ("RTCPROBE_REFLECTOR_SECRET") == NULL) {
    rp_check_skip_add (runner, "ice.reflector", "ice", url->uri,
                       "no reflector secret: set [reflector] secret_file or secret_env");
    return TRUE;
  }
  secret = rp_reflector_secret_load (p->reflector_secret_file, p->turn_secret_file, error);
  if (secret == NULL) {
    g_prefix_error (error, "profile %s: [reflector] ", p->source);
    return FALSE;
  }
  ro.url = url;
  ro.secret = secret;
  ro.secret_len = strlen (secret);
  rp_check_ice_reflector_add (runner, po, plan, &ro);
  return TRUE;
}

static gboolean
add_media (RpRunner *runner, const RpProbeOptions *po, const RpProfile *p, GError **error)
{
  g_autoptr (GPtrArray) turn = rp_profile_turn_targets (p, error);
  g_autoptr (GPtrArray) stun = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  g_autoptr (RpTurnPlan) plan = NULL;
  g_autofree char *why = NULL;
  RpTurnCreds creds;

  if (turn == NULL)
    return FALSE;
  add_stun (runner, po, turn);
  if (turn->len == 0) {
    rp_check_skip_add (runner, "turn", "turn", "", "no TURN server: set [turn] uris");
    rp_check_skip_add (runner, "ice", "ice", "",
                       "no TURN server to connect through: set [turn] uris");
    rp_check_skip_add (runner, "voice", "voice", "",
                       "no TURN server to send voice through: set [turn] uris");
    return TRUE;
  }
  if (!load_creds (p, &creds, &why, error))
    return FALSE;
  if (why != NULL) {
    rp_check_skip_add (runner, "turn", "turn", p->turn_uris[0], "%s", why);
    rp_check_skip_add (runner, "ice", "ice", p->turn_uris[0], "%s", why);
    rp_check_skip_add (runner, "voice", "voice", p->turn_uris[0], "%s", why);
    rp_turn_creds_clear (&creds);
    return TRUE;
  }
  plan = rp_turn_plan_new (&creds);
  rp_check_turn_family_add (runner, po, plan, turn, p->audit);
  /* IPv6 and dual relays where the TURN server publishes IPv6 (skips
   * elsewhere); a server without them skips too (440), as in `turn`. */
  if (po->family != RP_FAMILY_V4)
    rp_check_turn_relay_families_add (runner, po, plan, turn,
                                      RP_TURN_RELAY_IPV6 | RP_TURN_RELAY_DUAL
                                        | RP_TURN_RELAY_WHERE_IPV6,
                                      FALSE);

  /* ICE: with the reflector when there is one, else two agents of ours. */
  if (p->reflector_url != NULL) {
    if (!add_reflector (runner, po, p, plan, turn, stun, error))
      return FALSE;
  } else {
    RpIceOptions io = { turn, stun, FALSE };
    rp_check_ice_add (runner, po, plan, &io);
  }
  if (p->voice) {
    RpVoiceOptions vo;
    rp_voice_options_init (&vo);
    vo.duration_s = p->voice_duration_s;
    if (p->voice_codec != NULL && !rp_voice_parse_codec (&vo, p->voice_codec, error)) {
      g_prefix_error (error, "profile %s: [voice] codec: ", p->source);
      return FALSE;
    }
    for (guint i = 0; p->voice_thresholds != NULL && p->voice_thresholds[i] != NULL; i++)
      if (!rp_voice_parse_threshold (&vo, p->voice_thresholds[i], error)) {
        g_prefix_error (error, "profile %s: [voice] ", p->source);
        return FALSE;
      }
    vo.turn = turn;
    rp_check_voice_add (runner, po, plan, &vo);
  } else {
    rp_check_skip_add (runner, "voice", "voice", "",
                       "voice left out ([voice] enabled = false or --no-voice)");
  }
  return TRUE;
}

/* Command-line options win over the profile. */
static void
apply_options (RpProfile *p, const RpCheckCommandOptions *copts)
{
#define OVERRIDE(field, value) \
  if ((value) != NULL) { g_free (p->field); p->field = g_strdup (value); }
  OVERRIDE (turn_user, copts->user);
  if (copts->password_file != NULL || copts->secret_file != NULL) {
    g_clear_pointer (&p->turn_password_file, g_free);
    g_clear_pointer (&p->turn_password_env, g_free);
    g_clear_pointer (&p->turn_secret_file, g_free);
    g_clear_pointer (&p->turn_secret_env, g_free);
  }
  OVERRIDE (turn_password_file, copts->password_file);
  OVERRIDE (turn_secret_file, copts->secret_file);
  OVERRIDE (livekit_key, copts->livekit_key);
  OVERRIDE (livekit_secret_file, copts->livekit_secret_file);
  OVERRIDE (file_hash, copts->file_hash);
#undef OVERRIDE
  if (copts->rest_ttl_given)
    p->rest_ttl = copts->rest_ttl;
  if (copts->duration_s != 0)
    p->voice_duration_s = copts->duration_s;
  if (copts->audit)
    p->audit = TRUE;
  if (copts->no_voice)
    p->voice = FALSE;
}

RpCheckCommand *
rp_check_command_new (void)
{
  return g_new0 (RpCheckCommand, 1);
}

void
rp_check_command_free (RpCheckCommand *cmd)
{
  if (cmd == NULL)
    return;
  g_clear_pointer (&cmd->profile, rp_profile_free);
  g_free (cmd->app_id);
  g_free (cmd->health_id);
  g_free (cmd->ca_file);
  g_free (cmd);
}

int
rp_check_command_add (RpCheckCommand *cmd, RpRunner *runner, const RpProbeOptions *options,
                      const RpCheckCommandOptions *copts, const char *domain, GError **error)
{
  g_autoptr (RpProfile) p = NULL;
  RpProbeOptions po = *options;

  p = copts->profile != NULL ? rp_profile_load (copts->profile, error)
                             : rp_profile_new_for_domain (domain, error);
  if (p == NULL)
    return RP_EXIT_USAGE;
  apply_options (p, copts);
  if (!rp_profile_finish (p, error))
    return RP_EXIT_USAGE;
  /* --ca-file on the command line wins over the profile's. */
  if (po.ca_file == NULL && p->ca_file != NULL) {
    if (!g_file_test (p->ca_file, G_FILE_TEST_IS_REGULAR)) {
      g_autofree char *shown = rp_quote_path (p->ca_file);
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "profile %s: [deployment] ca_file %s: no such file", p->source, shown);
      return RP_EXIT_USAGE;
    }
    cmd->ca_file = g_strdup (p->ca_file);
    po.ca_file = cmd->ca_file;
  }
  add_dns (runner, &po, p);
  if (!add_ports (runner, &po, p, error))
    return RP_EXIT_USAGE;
  add_web (cmd, runner, &po, p);
  add_realtime (runner, &po, p);
  if (!add_media (runner, &po, p, error))
    return RP_EXIT_USAGE;
  cmd->profile = g_steal_pointer (&p);
  return 0;
}

void
rp_check_command_finish (RpCheckCommand *cmd, RpReport *report)
{
  RpCheckResult *verdict;

  /* Dual-stack names: each port's two families compared, before the verdict
   * reads the results. */
  rp_family_findings_add (report->checks);
  verdict = rp_deployment_verdict (report->checks, cmd->app_id, cmd->health_id);
  verdict->duration_ms = report->duration_ms;
  g_ptr_array_insert (report->checks, 0, verdict);
  if (report->vantage != NULL)
    rp_vantage_fill_from_checks (report->vantage, report->checks);
}
