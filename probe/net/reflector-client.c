/* A session with `rtcprobe serve` from the probe's side (see
 * reflector-client.h). Signalling is the reflector's websocket protocol
 * (reflector-proto.h): hello with a token, welcome with the far end's
 * credentials, candidates and packet key, our answer. With ICE, one
 * libnice agent here gathers with the --turn/--stun servers as a browser
 * would with its iceServers list; we control (RFC 8445 6.1.1).
 *
 * The path reported is the selected pair's most indirect side: relay if
 * either end relays, else srflx/prflx, else host; for a relay of ours, the
 * TURN URI it came from. libnice does not say which server made a relay
 * candidate (and gives relays over UDP and TCP the same priority), so it is
 * told from the relayed address; several servers on one address are all
 * named, turn_uri_certain false. Measures and never prints. */
#include "probe/net/reflector-client.h"

#include <string.h>

#include "probe/core/resolve.h"
#include "probe/net/ws-client.h"
#include "probe/net/ws-explain.h"
#include "rtc/ice/ice-agent.h"
#include "rtc/ice/turn-tls-bridge.h"
#include "common/tls-client.h"

#define TOKEN_TTL_S 300

typedef struct {
  RpTarget *target;
  char *ip;
  RpTurnTlsBridge *bridge;
} Server;

struct _RpReflectorClient {
  RpCheck *check;
  RpReflectorClientCallbacks cb;
  gpointer user_data;
  RpProbeOptions options;
  char *ca_file, *host, *path, *name;
  guint16 port;
  gboolean tls, relay_only, use_ice;
  guint load_streams;
  RpSecret *secret;
  gsize secret_len;
  RpTurnCreds creds;
  GPtrArray *turn, *stun;          /* Server* */
  char *reflector_ip;
  guint pending;
  SSL_CTX *tls_ctx;
  RpWsConn *ws;
  RpIceAgent *agent;
  RpReflectorWelcome welcome;
  gboolean have_welcome, answered, ready, failed;
  const char *phase;
  gint64 t_hello, t_answer, t_ready;
  char *server_pair;
  RpIceCandidate local, remote;
};

static void
server_free (gpointer p)
{
  Server *s = p;

  g_clear_pointer (&s->bridge, rp_turn_tls_bridge_free);
  rp_target_free (s->target);
  g_free (s->ip);
  g_free (s);
}

static Server *
server_new (const RpTarget *t)
{
  Server *s = g_new0 (Server, 1);

  s->target = rp_target_parse (t->uri, NULL);
  return s;
}

static gboolean
free_ws_later (gpointer ws)
{
  rp_ws_conn_free (ws);
  return G_SOURCE_REMOVE;
}

void
rp_reflector_client_stop (RpReflectorClient *c)
{
  /* The websocket may be inside its own callback: let go of it from the loop. */
  if (c->ws != NULL) {
    if (c->welcome.session != NULL) {
      g_autofree char *bye = rp_reflector_msg_bye ("done");
      rp_ws_conn_send_text (c->ws, bye);
    }
    g_idle_add (free_ws_later, g_steal_pointer (&c->ws));
  }
  g_clear_pointer (&c->agent, rp_ice_agent_free);
  for (guint i = 0; c->turn != NULL && i < c->turn->len; i++)
    g_clear_pointer (&((Server *) g_ptr_array_index (c->turn, i))->bridge, rp_turn_tls_bridge_free);
}

void
rp_reflector_client_free (RpReflectorClient *c)
{
  if (c == NULL)
    return;
  rp_reflector_client_stop (c);
  rp_reflector_welcome_clear (&c->welcome);
  if (c->tls_ctx != NULL)
    SSL_CTX_free (c->tls_ctx);
  g_ptr_array_unref (c->turn);
  g_ptr_array_unref (c->stun);
  rp_turn_creds_clear (&c->creds);
  rp_secret_free (c->secret);
  g_free (c->reflector_ip);
  g_free (c->server_pair);
  g_free (c->ca_file);
  g_free (c->host);
  g_free (c->path);
  g_free (c->name);
  g_free (c);
}

void
rp_reflector_client_fail (RpReflectorClient *c, const char *hint, const char *fmt, ...)
{
  RpCheckResult *res = rp_check_get_result (c->check);
  g_autofree char *summary = NULL;
  va_list ap;

  if (c->failed || rp_check_is_finished (c->check))
    return;
  c->failed = TRUE;
  va_start (ap, fmt);
  summary = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  rp_check_result_set (res, RP_STATUS_FAIL, "%s", summary);
  if (hint != NULL)
    rp_check_result_set_hint (res, "%s", hint);
  rp_check_result_detail_str (res, "stalled_in", c->phase);
  rp_reflector_client_stop (c);
  c->cb.failed (c, c->user_data);
}

void
rp_reflector_client_explain_deadline (RpReflectorClient *c, RpCheckResult *res)
{
  rp_check_result_set (res, RP_STATUS_FAIL,
                       "no result from the reflector before the deadline: stalled in %s", c->phase);
  rp_check_result_set_hint (
    res, "%s",
    g_strcmp0 (c->phase, "checks") == 0
      ? "connectivity checks did not finish: no candidate pair between here and the reflector works"
    : g_strcmp0 (c->phase, "welcome") == 0
      ? "the reflector did not answer the hello: is it rtcprobe serve?"
      : "raise --timeout to tell a slow path from a blocked one");
  rp_check_result_detail_str (res, "stalled_in", c->phase);
}

void rp_reflector_client_set_phase (RpReflectorClient *c, const char *phase) { c->phase = phase; }
const char *rp_reflector_client_get_address (RpReflectorClient *c) { return c->reflector_ip; }
double
rp_reflector_client_get_connect_ms (RpReflectorClient *c)
{
  return (c->t_ready - c->t_answer) / 1000.0;
}

void
rp_reflector_client_get_pair (RpReflectorClient *c, RpIceCandidate *local, RpIceCandidate *remote)
{
  *local = c->local;
  *remote = c->remote;
}

gboolean
rp_reflector_client_send (RpReflectorClient *c, const guint8 *data, gsize len)
{
  return c->agent != NULL && rp_ice_agent_send (c->agent, data, len);
}

/* ---- which path ---- */

/* The TURN servers a relayed candidate may have come from: those whose
 * address is the relayed address (a TURN server relays from its own
 * address unless relay-ip says otherwise), else all of them. */
static GPtrArray *
relay_servers (RpReflectorClient *c, const RpIceCandidate *cand)
{
  GPtrArray *match = g_ptr_array_new ();

  for (guint i = 0; i < c->turn->len; i++) {
    Server *s = g_ptr_array_index (c->turn, i);
    if (g_strcmp0 (s->ip, cand->addr) == 0)
      g_ptr_array_add (match, s);
  }
  if (match->len == 0)
    for (guint i = 0; i < c->turn->len; i++)
      g_ptr_array_add (match, g_ptr_array_index (c->turn, i));
  return match;
}

static const char *
path_type (const RpIceCandidate *l, const RpIceCandidate *r)
{
  if (l->type == RP_ICE_CAND_RELAY || r->type == RP_ICE_CAND_RELAY)
    return "relay";
  if (l->type != RP_ICE_CAND_HOST || r->type != RP_ICE_CAND_HOST)
    return "srflx";
  return "host";
}

static void
addr_detail (RpCheckResult *res, const char *key, const RpIceCandidate *cand)
{
  g_autofree char *s =
    g_strdup_printf (strchr (cand->addr, ':') ? "[%s]:%u" : "%s:%u", cand->addr, cand->port);

  rp_check_result_detail_str (res, key, s);
}

char *
rp_reflector_client_describe_path (RpReflectorClient *c, RpCheckResult *res)
{
  const char *path = path_type (&c->local, &c->remote);
  const char *transport = c->local.transport == RP_ICE_CAND_UDP ? "udp" : "tcp";
  const char *turn_uri = NULL;
  g_autofree char *l = rp_ice_candidate_describe (&c->local);
  g_autofree char *p = rp_ice_candidate_describe (&c->remote);
  g_autofree char *sel = g_strdup_printf ("%s <-> %s", l, p);
  g_autofree char *turn_list = NULL;

  if (c->local.type == RP_ICE_CAND_RELAY) {
    g_autoptr (GPtrArray) from = relay_servers (c, &c->local);
    if (from->len >= 1) {
      const Server *s = g_ptr_array_index (from, 0);
      /* The relayed candidate itself is UDP; the leg to the TURN server is
       * what this network has to carry. */
      transport = s->target->transport == RP_TRANSPORT_UDP   ? "udp"
                  : s->target->transport == RP_TRANSPORT_TCP ? "tcp"
                                                             : "tls";
      turn_uri = s->target->uri;
    }
    /* libnice does not say which server made a relay candidate: with
     * several servers on one address, name them all and say so. */
    rp_check_result_detail_bool (res, "turn_uri_certain", from->len == 1);
    if (from->len > 1) {
      GString *all = g_string_new ("one of ");
      for (guint i = 0; i < from->len; i++)
        g_string_append_printf (all, "%s%s", i > 0 ? ", " : "",
                                ((Server *) g_ptr_array_index (from, i))->target->uri);
      turn_list = g_string_free (all, FALSE);
      turn_uri = turn_list;
      transport = "udp or tcp";
    }
  }
  rp_check_result_detail_str (res, "path", path);
  rp_check_result_detail_str (res, "path_transport", transport);
  if (turn_uri != NULL)
    rp_check_result_detail_str (res, "turn_uri", turn_uri);
  else if (c->remote.type == RP_ICE_CAND_RELAY)
    rp_check_result_detail_str (res, "turn_uri", "the reflector's TURN server");
  rp_check_result_detail_str (res, "local_type", rp_ice_cand_type_to_string (c->local.type));
  rp_check_result_detail_str (res, "local_transport",
                              rp_ice_cand_transport_to_string (c->local.transport));
  addr_detail (res, "local_address", &c->local);
  rp_check_result_detail_str (res, "remote_type", rp_ice_cand_type_to_string (c->remote.type));
  rp_check_result_detail_str (res, "remote_transport",
                              rp_ice_cand_transport_to_string (c->remote.transport));
  addr_detail (res, "remote_address", &c->remote);
  rp_check_result_detail_str (res, "selected_pair", sel);
  if (c->server_pair != NULL)
    rp_check_result_detail_str (res, "reflector_selected_pair", c->server_pair);
  rp_check_result_metric (res, "connect_ms", rp_reflector_client_get_connect_ms (c));
  return g_strdup_printf ("%s over %s%s%s", path, transport, turn_uri != NULL ? " via " : "",
                          turn_uri != NULL ? turn_uri : "");
}

/* ---- ICE ---- */

static void
on_receive (RpIceAgent *agent, const guint8 *data, gsize len, gpointer user_data)
{
  RpReflectorClient *c = user_data;
  gint64 rx = g_get_monotonic_time ();

  if (c->ready && !c->failed && c->cb.receive != NULL)
    c->cb.receive (c, data, len, rx, c->user_data);
}

static void
on_state (RpIceAgent *agent, RpIceState state, gpointer data)
{
  RpReflectorClient *c = data;

  if (rp_check_is_finished (c->check) || c->failed)
    return;
  if (state == RP_ICE_STATE_FAILED && c->answered && !c->ready) {
    rp_reflector_client_fail (
      c,
      "no candidate pair between this machine and the reflector works: with --relay-only the "
      "TURN server cannot reach the reflector's addresses; without it, UDP to the reflector and "
      "to TURN are both blocked",
      "ICE with the reflector failed after connectivity checks");
    return;
  }
  if (!rp_ice_agent_is_connected (agent) || c->ready ||
      !rp_ice_agent_get_selected_pair (agent, &c->local, &c->remote))
    return;
  c->t_ready = g_get_monotonic_time ();
  c->ready = TRUE;
  if (c->cb.ready != NULL)
    c->cb.ready (c, c->user_data);
}

static void
try_answer (RpReflectorClient *c)
{
  RpCheckResult *res = rp_check_get_result (c->check);
  g_autoptr (GError) error = NULL;
  g_autofree char *ufrag = NULL, *pwd = NULL, *msg = NULL;

  if (c->answered || !c->have_welcome || !rp_ice_agent_is_gathering_done (c->agent))
    return;
  c->answered = TRUE;
  c->phase = "checks";
  rp_check_result_detail_int (res, "candidates_remote", c->welcome.candidates->len);
  rp_check_result_detail_int (res, "candidates_local",
                              rp_ice_agent_get_local_candidates (c->agent)->len);
  if (!rp_ice_agent_set_remote_credentials (c->agent, c->welcome.ufrag, c->welcome.pwd, &error) ||
      (c->welcome.candidates->len > 0 &&
       rp_ice_agent_add_remote_candidates (c->agent, c->welcome.candidates, &error) == 0)) {
    rp_reflector_client_fail (c, NULL, "the reflector's candidates were refused: %s",
                              error->message);
    return;
  }
  if (rp_ice_agent_get_local_candidates (c->agent)->len == 0) {
    rp_reflector_client_fail (
      c,
      c->relay_only ? "--relay-only needs a relay candidate: see `rtcprobe ice --turn` for why "
                      "the TURN server gave none"
                    : "no local address could be used",
      "no local candidate to offer the reflector");
    return;
  }
  rp_ice_agent_get_local_credentials (c->agent, &ufrag, &pwd);
  msg = rp_reflector_msg_answer (ufrag, pwd, rp_ice_agent_get_local_candidates (c->agent));
  c->t_answer = g_get_monotonic_time ();
  rp_ws_conn_send_text (c->ws, msg);
}

static void
on_gathered (RpIceAgent *agent, gpointer data)
{
  RpReflectorClient *c = data;

  rp_check_result_metric (rp_check_get_result (c->check), "gather_ms",
                          rp_ice_agent_get_gather_us (agent) / 1000.0);
  try_answer (c);
}

static const RpIceAgentCallbacks agent_callbacks = { NULL, on_gathered, on_state, on_receive };

/* ---- signalling ---- */

static void
on_ws_established (RpWsConn *conn, gpointer data)
{
  RpReflectorClient *c = data;
  g_autofree char *username = NULL;
  g_autoptr (RpSecret) token =
    rp_reflector_token_make (c->secret, c->secret_len, c->name,
                             g_get_real_time () / G_USEC_PER_SEC + TOKEN_TTL_S, &username);
  g_autofree char *hello = token != NULL ? rp_reflector_msg_hello (username, token, c->load_streams)
                                         : NULL;

  rp_check_result_metric (rp_check_get_result (c->check), "signalling_ms",
                          rp_ws_conn_get_info (conn)->upgrade_us / 1000.0);
  c->phase = "welcome";
  c->t_hello = g_get_monotonic_time ();
  if (hello != NULL) {
    rp_ws_conn_send_text (conn, hello);
    memset (hello, 0, strlen (hello));
  }
}

static void
on_welcome (RpReflectorClient *c, JsonObject *msg)
{
  RpCheckResult *res = rp_check_get_result (c->check);
  g_autoptr (GError) error = NULL;

  if (!rp_reflector_msg_get_welcome (msg, &c->welcome, &error)) {
    rp_reflector_client_fail (c, NULL, "the reflector's welcome is malformed: %s", error->message);
    return;
  }
  if (c->load_streams > 0 && (c->welcome.streams == NULL
                              || c->welcome.streams->len != c->load_streams)) {
    rp_reflector_client_fail (c, "update rtcprobe serve on the reflector",
                              "the reflector does not offer load sessions of %u streams",
                              c->load_streams);
    return;
  }
  c->have_welcome = TRUE;
  rp_check_result_metric (res, "welcome_ms", (g_get_monotonic_time () - c->t_hello) / 1000.0);
  rp_check_result_detail_str (res, "session", c->welcome.session);
  if (!c->use_ice) {
    c->ready = TRUE;
    c->phase = "direct";
  } else {
    c->phase = "gathering";
  }
  if (c->cb.welcome != NULL)
    c->cb.welcome (c, &c->welcome, c->user_data);
  if (c->use_ice && !c->failed)
    try_answer (c);
}

static void
on_ws_message (RpWsConn *conn, const char *payload, gsize len, gboolean binary, gpointer data)
{
  RpReflectorClient *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) msg = NULL;
  const char *type;

  if (rp_check_is_finished (c->check) || c->failed || binary)
    return;
  msg = rp_reflector_msg_parse (payload, len, &type, &error);
  if (msg == NULL) {
    rp_reflector_client_fail (c, "is the URL the reflector's (rtcprobe serve) path?",
                              "the reflector sent something else: %s", error->message);
  } else if (g_str_equal (type, "error")) {
    const char *code = rp_reflector_msg_str (msg, "code");
    const char *text = rp_reflector_msg_str (msg, "message");
    rp_check_result_detail_str (rp_check_get_result (c->check), "reflector_error", code);
    rp_reflector_client_fail (
      c,
      g_strcmp0 (code, "unauthorized") == 0
        ? "the reflector does not accept our token: use the same secret as its [auth] secret_file "
          "(--reflector-secret-file or RTCPROBE_REFLECTOR_SECRET)"
      : g_strcmp0 (code, "expired") == 0 ? "check this machine's clock: tokens carry an expiry time"
      : g_strcmp0 (code, "busy") == 0    ? "the reflector is at its session cap; try again shortly"
      : g_strcmp0 (code, "load-limit") == 0
        ? "on your own reflector, raise [limits] max_load_streams (and global_packet_rate to "
          "at least 50 a second per stream), or ask for fewer --streams"
        : NULL,
      "the reflector refused the session: %s (%s)", code != NULL ? code : "?",
      text != NULL ? text : "");
  } else if (g_str_equal (type, "welcome") && !c->have_welcome) {
    on_welcome (c, msg);
  } else if (g_str_equal (type, "selected")) {
    const char *l = rp_reflector_msg_str (msg, "local"), *p = rp_reflector_msg_str (msg, "remote");
    RpIceCandidate lc, pc;
    if (l != NULL && p != NULL && rp_ice_candidate_from_sdp (l, &lc, NULL) &&
        rp_ice_candidate_from_sdp (p, &pc, NULL)) {
      g_autofree char *ld = rp_ice_candidate_describe (&lc), *pd = rp_ice_candidate_describe (&pc);
      g_free (c->server_pair);
      c->server_pair = g_strdup_printf ("%s <-> %s", ld, pd);
    }
  } else if (g_str_equal (type, "bye")) {
    const char *why = rp_reflector_msg_str (msg, "reason");
    rp_reflector_client_fail (
      c,
      g_strcmp0 (why, "lifetime") == 0 ? "the reflector's session_lifetime is shorter than "
                                         "this run: shorten --duration or raise it"
                                       : NULL,
      "the reflector ended the session early: %s", why != NULL ? why : "no reason");
  }
}

static void
on_ws_failed (RpWsConn *conn, gpointer data)
{
  RpReflectorClient *c = data;
  const RpWsInfo *i = rp_ws_conn_get_info (conn);
  RpCheckResult *r = rp_check_get_result (c->check);
  g_autofree char *server =
    rp_host_port_to_string (c->reflector_ip != NULL ? c->reflector_ip : c->host, c->port);
  g_autofree char *summary = NULL, *hint = NULL;

  if (rp_check_is_finished (c->check) || c->failed)
    return;
  rp_check_result_detail_str (r, "ws_phase", rp_ws_phase_to_string (i->phase));
  c->phase = "signalling";
  /* The same reasons as `rtcprobe ws` (refused, certificate, proxy status). */
  rp_ws_explain_details (r, i, c->options.insecure);
  rp_ws_explain_failure (r, i, server, c->host);
  summary = g_strdup (r->summary);
  hint = g_strdup (r->hint);
  rp_reflector_client_fail (c, hint, "the reflector's websocket did not open: %s", summary);
}

static void
on_ws_closed (RpWsConn *conn, gpointer data)
{
  RpReflectorClient *c = data;
  const RpWsInfo *i = rp_ws_conn_get_info (conn);

  if (rp_check_is_finished (c->check) || c->failed || c->ready)
    return;
  if (i->outpaced) {
    rp_reflector_client_fail (c, NULL, "the reflector outpaces us: %u messages waiting to be sent "
                              "in %s; closed (1008)", i->tx_queued, c->phase);
    return;
  }
  rp_reflector_client_fail (
    c,
    i->close_code == 1008 ? "the reflector refused the session (policy): check the secret and "
                            "the clock"
                          : NULL,
    "the reflector closed the websocket in %s (close code %u)", c->phase, i->close_code);
}

static const RpWsCallbacks ws_callbacks = { on_ws_established, on_ws_failed, on_ws_message, NULL,
                                            on_ws_closed };

/* ---- start ---- */

static void start_all (RpReflectorClient *c);

typedef struct {
  RpCheck *check;
  RpReflectorClient *client;
  char *host;
  char **out;              /* where the address goes, inside the client */
} Lookup;

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  Lookup *l = data;
  g_autoptr (RpCheck) check = l->check;
  g_autofree char *host = l->host;
  RpReflectorClient *c = l->client;
  g_autoptr (GError) error = NULL;
  GList *addrs = rp_resolve_finish (res, &error);
  char **out = l->out;

  g_free (l);
  if (rp_check_is_finished (check) || c->failed) {
    g_resolver_free_addresses (addrs);
    return;
  }
  if (addrs == NULL) {
    g_autofree char *hint = rp_resolve_hint (host, c->options.family, error);
    rp_reflector_client_fail (c, hint, "%s does not resolve", host);
    return;
  }
  *out = g_inet_address_to_string (addrs->data);
  g_resolver_free_addresses (addrs);
  if (--c->pending == 0)
    start_all (c);
}

static void
lookup (RpReflectorClient *c, const char *host, char **out)
{
  Lookup *l = g_new0 (Lookup, 1);

  l->check = rp_check_ref (c->check);
  l->client = c;
  l->host = g_strdup (host);
  l->out = out;
  c->pending++;
  rp_resolve_async (host, c->options.family, rp_check_get_cancellable (c->check), on_resolved, l);
}

/* Names are resolved first, asynchronously: libnice and lws want numeric
 * addresses. */
void
rp_reflector_client_start (RpReflectorClient *c, RpCheck *check)
{
  c->check = check;
  c->phase = "resolving";
  c->pending = 1;   /* held until every lookup is started */
  lookup (c, c->host, &c->reflector_ip);
  for (guint i = 0; c->use_ice && i < c->turn->len; i++) {
    Server *s = g_ptr_array_index (c->turn, i);
    lookup (c, s->target->host, &s->ip);
  }
  for (guint i = 0; c->use_ice && i < c->stun->len; i++) {
    Server *s = g_ptr_array_index (c->stun, i);
    lookup (c, s->target->host, &s->ip);
  }
  if (--c->pending == 0)
    start_all (c);
}

/* The agent with our TURN and STUN servers, gathering. */
static gboolean
start_agent (RpReflectorClient *c, GMainContext *ctx, gboolean loopback, GError **error)
{
  const RpTurnCreds *creds = &c->creds;
  RpIceAgentOptions o = { .controlling = TRUE,
                          .relay_only = c->relay_only,
                          .loopback_only = loopback };

  c->agent = rp_ice_agent_new (ctx, &o, &agent_callbacks, c);
  for (guint i = 0; i < c->turn->len; i++) {
    Server *s = g_ptr_array_index (c->turn, i);
    const char *ip = s->ip;
    guint16 port = s->target->port;
    if (s->target->transport == RP_TRANSPORT_TLS) {
      g_autoptr (GSocketAddress) sa =
        g_inet_socket_address_new_from_string (s->ip, s->target->port);
      if (c->tls_ctx == NULL) {
        RpTlsOptions tls = { c->ca_file, c->options.insecure };
        c->tls_ctx = rp_tls_client_ctx_new (&tls, error);
      }
      if (c->tls_ctx == NULL || sa == NULL ||
          (s->bridge = rp_turn_tls_bridge_new (ctx, G_INET_SOCKET_ADDRESS (sa), s->target->host,
                                               c->tls_ctx, c->options.insecure, error)) == NULL) {
        if (error != NULL && *error == NULL)
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad address");
        g_prefix_error (error, "%s: ", s->target->uri);
        return FALSE;
      }
      ip = rp_turn_tls_bridge_get_host (s->bridge);
      port = rp_turn_tls_bridge_get_port (s->bridge);
    }
    if (!rp_ice_agent_add_turn_server (c->agent, ip, port,
                                       s->target->transport == RP_TRANSPORT_UDP ? RP_ICE_RELAY_UDP
                                                                                : RP_ICE_RELAY_TCP,
                                       creds->username, creds->password, error))
      return FALSE;
  }
  if (c->stun->len > 0) {
    Server *s = g_ptr_array_index (c->stun, 0);
    if (!rp_ice_agent_set_stun_server (c->agent, s->ip, s->target->port, error))
      return FALSE;
  }
  return rp_ice_agent_gather (c->agent, error);
}

static void
start_all (RpReflectorClient *c)
{
  GMainContext *ctx = rp_runner_get_context (rp_check_get_runner (c->check));
  g_autoptr (GInetAddress) ra = g_inet_address_new_from_string (c->reflector_ip);
  RpWsConnOptions wo = { 0 };
  g_autoptr (GError) error = NULL;

  rp_check_result_detail_str (rp_check_get_result (c->check), "reflector_address", c->reflector_ip);
  /* A reflector on loopback (the lab): offer loopback host candidates. */
  if (c->use_ice &&
      !start_agent (c, ctx, ra != NULL && g_inet_address_get_is_loopback (ra), &error)) {
    rp_reflector_client_fail (c, NULL, "%s", error->message);
    return;
  }
  c->phase = "signalling";
  wo.address = c->reflector_ip;
  wo.port = c->port;
  wo.host = c->host;
  wo.path = c->path;
  wo.tls = c->tls;
  wo.insecure = c->options.insecure;
  wo.ca_file = c->ca_file;
  wo.max_message = RP_REFLECTOR_MAX_MESSAGE;
  c->ws = rp_ws_conn_new (ctx, &wo, &ws_callbacks, c, &error);
  if (c->ws == NULL)
    rp_reflector_client_fail (c, NULL, "%s", error->message);
}

RpReflectorClient *
rp_reflector_client_new (const RpProbeOptions *options, const RpTurnCreds *creds,
                         const RpIceReflectorOptions *ro, gboolean ice,
                         const RpReflectorClientCallbacks *callbacks, gpointer user_data)
{
  RpReflectorClient *c = g_new0 (RpReflectorClient, 1);
  const RpTarget *u = ro->url;

  c->cb = *callbacks;
  c->user_data = user_data;
  c->options = *options;
  c->ca_file = g_strdup (options->ca_file);
  c->options.ca_file = c->ca_file;
  c->host = g_strdup (u->host);
  c->path = u->query != NULL ? g_strdup_printf ("%s?%s", u->path, u->query) : g_strdup (u->path);
  c->port = u->port;
  c->tls = u->scheme == RP_SCHEME_WSS;
  c->relay_only = ro->relay_only;
  c->use_ice = ice;
  c->load_streams = ro->load_streams;
  c->secret = g_strndup (ro->secret, ro->secret_len);
  c->secret_len = ro->secret_len;
  c->name = g_strdup (ro->name != NULL ? ro->name : "rtcprobe");
  rp_turn_creds_copy (&c->creds, creds);
  c->turn = g_ptr_array_new_with_free_func (server_free);
  c->stun = g_ptr_array_new_with_free_func (server_free);
  for (guint i = 0; ro->turn != NULL && i < ro->turn->len; i++)
    g_ptr_array_add (c->turn, server_new (g_ptr_array_index (ro->turn, i)));
  for (guint i = 0; ro->stun != NULL && i < ro->stun->len; i++)
    g_ptr_array_add (c->stun, server_new (g_ptr_array_index (ro->stun, i)));
  c->phase = "resolving";
  return c;
}
