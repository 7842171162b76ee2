/* One reflector session (see serve-private.h): after a valid hello, a
 * libnice agent with the deployment's TURN servers gathers; the welcome
 * carries its credentials, candidates and the session's packet key; the
 * client's answer starts the checks (the client controls, RFC 8445 6.1.1);
 * once a nominated pair is selected it is reported to the client and signed STAMP
 * packets are echoed on it, in place and never larger (RFC 8762 4.3).
 *
 * Bounded: one agent, at most RP_REFLECTOR_MAX_CANDIDATES remote candidates
 * of which RP_REFLECTOR_MAX_FOREIGN at addresses other than the client's,
 * within RP_SERVE_FOREIGN_RATE over all sessions (a client cannot aim a
 * stream of checks elsewhere),
 * packets no larger than max_packet answered from a fixed buffer, a packet
 * rate per session, and a lifetime after which the session ends. Each
 * session logs one line when it opens and one when it ends; neither holds
 * the token, the key or the ICE password.
 *
 * A load session (hello with streams, `rtcprobe load --reflector`) has no
 * agent: its welcome goes at once and names one SSID per stream, each
 * with its own binding, stateful counter and packet rate on the direct
 * ports; all of them share the session's key, lifetime and slot, and the
 * direct ports' global rate. At most max_load_streams streams. */
#include "reflector/serve-private.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "stun/turn-codec.h"

#define GATHER_BUDGET_MS 8000   /* then welcome with what came */

/* One stream of a load session on the direct ports. */
typedef struct {
  guint16 ssid;
  RpReflectorBinding peer;
  RpStampReflector stamp;
  RpBucket packets;
} LoadStream;

struct _RpServeSession {
  RpServe *serve;
  gpointer conn;              /* the websocket, NULL once gone */
  char id[17];
  char *peer, *name;
  char *token;                /* its username: the key of its share (not secret) */
  guint16 ssid;
  guint8 key[RP_REFLECTOR_KEY_LEN];
  RpIceAgent *agent;
  gboolean welcomed, answered, ready;
  RpStampReflector stamp_ice, stamp_direct;   /* stateful, one per path (RFC 8762 4.3.1) */
  RpReflectorBinding direct_peer;             /* the only peer answered on the direct ports */
  RpBucket packets;
  guint64 ice_packets, direct_packets, dropped;
  gint64 started_us;
  GSource *lifetime, *gather_budget;
  char *pair;                 /* "relay udp <-> host udp" once connected */
  LoadStream *load;           /* a load session's streams, sorted by SSID; NULL: ICE */
  guint n_load;
};

static void
destroy_source (GSource **s)
{
  if (*s != NULL) {
    g_source_destroy (*s);
    g_clear_pointer (s, g_source_unref);
  }
}

RpServeSession *
rp_serve_session_by_ssid (RpServe *s, guint16 ssid)
{
  return g_hash_table_lookup (s->sessions, GUINT_TO_POINTER ((guint) ssid));
}

/* The link between a session and its websocket, made and cleared on both
 * sides at once (see rp_serve_ws_link). */
static void
link_conn (RpServeSession *ss, gpointer conn)
{
  ss->conn = conn;
  if (conn != NULL)
    rp_serve_ws_link (conn, ss);
}

static gpointer
unlink_conn (RpServeSession *ss)
{
  gpointer conn = ss->conn;

  if (conn != NULL)
    rp_serve_ws_link (conn, NULL);
  ss->conn = NULL;
  return conn;
}

static void
send_msg (RpServeSession *ss, char *text)
{
  if (ss->conn != NULL)
    rp_serve_ws_send (ss->conn, text);
  OPENSSL_cleanse (text, strlen (text));   /* a welcome holds the key */
  g_free (text);
}

static void
welcome (RpServeSession *ss)
{
  RpServeConfig *c = ss->serve->config;
  RpReflectorWelcome w = { 0 };
  g_autofree char *ufrag = NULL, *pwd = NULL;

  if (ss->welcomed)
    return;
  ss->welcomed = TRUE;
  destroy_source (&ss->gather_budget);
  w.session = ss->id;
  w.ssid = ss->ssid;
  memcpy (w.key, ss->key, sizeof w.key);
  if (ss->load != NULL) {
    w.streams = g_array_sized_new (FALSE, FALSE, sizeof (guint16), ss->n_load);
    for (guint i = 0; i < ss->n_load; i++)
      g_array_append_val (w.streams, ss->load[i].ssid);
    w.stream_rate = c->session_packet_rate;
    w.direct_rate = c->global_packet_rate;
  } else {
    rp_ice_agent_get_local_credentials (ss->agent, &ufrag, &pwd);
    w.ufrag = ufrag;
    w.pwd = pwd;
    w.candidates = (GArray *) rp_ice_agent_get_local_candidates (ss->agent);
  }
  w.lifetime_s = c->session_lifetime_s;
  w.max_packet = c->max_packet;
  w.udp_port = ss->serve->direct != NULL ? rp_serve_direct_udp_port (ss->serve->direct) : 0;
  w.tcp_port = ss->serve->direct != NULL ? rp_serve_direct_tcp_port (ss->serve->direct) : 0;
  send_msg (ss, rp_reflector_msg_welcome (&w));
  if (w.streams != NULL)
    g_array_unref (w.streams);
  OPENSSL_cleanse (w.key, sizeof w.key);
  if (pwd != NULL)
    OPENSSL_cleanse (pwd, strlen (pwd));
}

static gboolean
on_gather_budget (gpointer data)
{
  RpServeSession *ss = data;

  g_clear_pointer (&ss->gather_budget, g_source_unref);
  welcome (ss);
  return G_SOURCE_REMOVE;
}

static void
on_gathered (RpIceAgent *agent, gpointer data)
{
  welcome (data);
}

static char *
pair_words (const RpIceCandidate *l, const RpIceCandidate *r)
{
  return g_strdup_printf ("%s %s <-> %s %s", rp_ice_cand_type_to_string (l->type),
                          rp_ice_cand_transport_to_string (l->transport),
                          rp_ice_cand_type_to_string (r->type),
                          rp_ice_cand_transport_to_string (r->transport));
}

static void
on_state (RpIceAgent *agent, RpIceState state, gpointer data)
{
  RpServeSession *ss = data;
  RpIceCandidate l, r;

  if (!rp_ice_agent_is_connected (agent) || ss->ready)
    return;
  if (!rp_ice_agent_get_selected_pair (agent, &l, &r))
    return;
  ss->ready = TRUE;
  g_free (ss->pair);
  ss->pair = pair_words (&l, &r);
  send_msg (ss, rp_reflector_msg_selected (&l, &r));
}

/* A test packet over the selected pair: answered in place, same length. */
static void
on_receive (RpIceAgent *agent, const guint8 *data, gsize len, gpointer user_data)
{
  RpServeSession *ss = user_data;
  guint8 buf[RP_STAMP_MAX_LEN];
  gint64 t2 = g_get_monotonic_time ();

  /* Budgets are charged only once the packet verified: what others send
   * to our candidates must not use up this session's rate or the ICE
   * path's global one. */
  if (len > ss->serve->config->max_packet || len < RP_REFLECTOR_MIN_PACKET ||
      !rp_reflector_packet_verify (data, len, ss->key) ||
      !rp_bucket_take (&ss->packets, ss->serve->config->session_packet_rate,
                       ss->serve->config->session_packet_rate, 1, t2) ||
      !rp_serve_packet_allowed (ss->serve, t2)) {
    ss->dropped++;
    return;
  }
  memcpy (buf, data, len);
  if (!rp_reflector_reflect (&ss->stamp_ice, buf, len, ss->key, t2, g_get_monotonic_time (), 0)) {
    ss->dropped++;
    return;
  }
  if (rp_ice_agent_send (agent, buf, len))
    ss->ice_packets++;
}

static int
cmp_stream (const void *a, const void *b)
{
  return (int) ((const LoadStream *) a)->ssid - (int) ((const LoadStream *) b)->ssid;
}

RpReflectorAdmit
rp_serve_session_reflect_direct (RpServeSession *ss, guint8 *buf, gsize len,
                                 const RpReflectorPeer *from, gint64 now_us, gint64 t2_us)
{
  double rate = ss->serve->config->session_packet_rate;
  RpReflectorBinding *peer = &ss->direct_peer;
  RpStampReflector *stamp = &ss->stamp_direct;
  RpBucket *bucket = &ss->packets;
  LoadStream *ls = NULL;
  RpReflectorBudget budgets[] = {
    { bucket, rate },
    { rp_serve_direct_budget (ss->serve->direct), ss->serve->config->global_packet_rate },
  };
  RpReflectorAdmit a;

  if (ss->load != NULL) {
    LoadStream key = { .ssid = rp_reflector_packet_ssid (buf, len) };
    ls = bsearch (&key, ss->load, ss->n_load, sizeof *ss->load, cmp_stream);
    if (ls == NULL)
      return RP_REFLECTOR_UNAUTHENTICATED;
    peer = &ls->peer;
    stamp = &ls->stamp;
    budgets[0].bucket = &ls->packets;
  }
  a = rp_reflector_admit (peer, from, buf, len, ss->key, budgets, G_N_ELEMENTS (budgets), now_us);
  if (a == RP_REFLECTOR_OVER_RATE)
    ss->dropped++;
  if (a != RP_REFLECTOR_ADMIT)
    return a;
  /* T3 as late as it can be: the signature covers it, the send follows. */
  if (!rp_reflector_reflect (stamp, buf, len, ss->key, t2_us, g_get_monotonic_time (), 0))
    return RP_REFLECTOR_UNAUTHENTICATED;
  ss->direct_packets++;
  return RP_REFLECTOR_ADMIT;
}

static const RpIceAgentCallbacks agent_callbacks = { NULL, on_gathered, on_state, on_receive };

static gboolean
on_lifetime (gpointer data)
{
  RpServeSession *ss = data;

  g_clear_pointer (&ss->lifetime, g_source_unref);
  rp_serve_session_end (ss, "lifetime", TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
add_turn (RpServeSession *ss, GError **error)
{
  RpServeConfig *c = ss->serve->config;
  g_autofree char *user = NULL;
  g_autoptr (RpSecret) pw = NULL;

  if (c->turn_secret != NULL) {
    /* Fresh REST credentials per session: a long-running reflector never
     * presents an expired name (coturn use-auth-secret). */
    rp_turn_rest_credentials (c->turn_secret, strlen (c->turn_secret), c->turn_user,
                              g_get_real_time () / G_USEC_PER_SEC + c->turn_rest_ttl_s, &user, &pw);
  } else if (c->turn_password != NULL) {
    user = g_strdup (c->turn_user);
    pw = g_strdup (c->turn_password);
  }
  for (guint i = 0; i < ss->serve->turn->len; i++) {
    RpServeTurn *t = g_ptr_array_index (ss->serve->turn, i);
    const char *ip = t->bridge != NULL ? rp_turn_tls_bridge_get_host (t->bridge) : t->ip;
    guint16 port = t->bridge != NULL ? rp_turn_tls_bridge_get_port (t->bridge) : t->port;
    if (!rp_ice_agent_add_turn_server (ss->agent, ip, port, t->transport, user, pw, error))
      return FALSE;
  }
  return TRUE;
}

static guint16
new_ssid (RpServe *s)
{
  guint16 ssid = 0;

  /* Random and unused: a session cannot guess another's (its packets would
   * fail the HMAC anyway, but a counter would say how busy we are). */
  for (guint tries = 0; tries < 64; tries++) {
    if (RAND_bytes ((guint8 *) &ssid, sizeof ssid) != 1)
      ssid = (guint16) g_random_int ();
    if (ssid != 0 && rp_serve_session_by_ssid (s, ssid) == NULL)
      return ssid;
  }
  return 0;
}

/* A load session's streams, each with an SSID of its own in s->sessions. */
static gboolean
make_load (RpServeSession *ss, guint streams)
{
  RpServe *s = ss->serve;

  ss->load = g_new0 (LoadStream, streams);
  for (guint i = 0; i < streams; i++) {
    LoadStream *ls = &ss->load[i];
    ls->ssid = new_ssid (s);
    if (ls->ssid == 0)
      return FALSE;
    ss->n_load = i + 1;
    rp_stamp_reflector_init (&ls->stamp, FALSE);
    rp_bucket_init (&ls->packets, s->config->session_packet_rate, ss->started_us);
    g_hash_table_insert (s->sessions, GUINT_TO_POINTER ((guint) ls->ssid), ss);
  }
  qsort (ss->load, ss->n_load, sizeof *ss->load, cmp_stream);
  return TRUE;
}

static void
forget_ssids (RpServeSession *ss)
{
  RpServe *s = ss->serve;

  for (guint i = 0; i < ss->n_load; i++)
    g_hash_table_remove (s->sessions, GUINT_TO_POINTER ((guint) ss->load[i].ssid));
  g_hash_table_remove (s->sessions, GUINT_TO_POINTER ((guint) ss->ssid));
  g_clear_pointer (&ss->load, g_free);
  ss->n_load = 0;
}

RpServeSession *
rp_serve_session_new (RpServe *s, gpointer conn, const char *peer, const char *name,
                      const char *token, guint streams)
{
  RpServeSession *ss = g_new0 (RpServeSession, 1);
  RpIceAgentOptions o = { .controlling = FALSE,
                          .relay_only = FALSE,
                          .loopback_only = s->config->loopback_only };
  g_autoptr (GError) error = NULL;
  guint8 idb[8];

  ss->serve = s;
  ss->peer = g_strdup (peer);
  ss->name = g_strdup (name);
  ss->token = g_strdup (token);
  ss->started_us = g_get_monotonic_time ();
  ss->ssid = new_ssid (s);
  if (ss->ssid == 0 || RAND_bytes (ss->key, sizeof ss->key) != 1 ||
      RAND_bytes (idb, sizeof idb) != 1) {
    rp_share_give (s->token_share, token);
    g_free (ss->peer);
    g_free (ss->name);
    g_free (ss->token);
    g_free (ss);
    if (conn != NULL) {
      g_autofree char *m = rp_reflector_msg_error ("internal",
                                                   "the reflector could not start a session");
      rp_serve_ws_send (conn, m);
      rp_serve_ws_close (conn, 1011);   /* RFC 6455 7.4.1: internal error */
    }
    return NULL;
  }
  for (guint i = 0; i < sizeof idb; i++)
    g_snprintf (ss->id + 2 * i, 3, "%02x", idb[i]);
  rp_stamp_reflector_init (&ss->stamp_ice, FALSE);
  rp_stamp_reflector_init (&ss->stamp_direct, FALSE);
  rp_bucket_init (&ss->packets, s->config->session_packet_rate, ss->started_us);
  g_hash_table_insert (s->sessions, GUINT_TO_POINTER ((guint) ss->ssid), ss);
  link_conn (ss, conn);
  s->sessions_total++;
  s->n_sessions++;
  g_message ("session %s open: %s name=%s%s (%u of %u sessions)", ss->id, peer, name,
             streams > 0 ? " load" : "", s->n_sessions, s->config->max_sessions);

  ss->lifetime = g_timeout_source_new_seconds ((guint) s->config->session_lifetime_s);
  g_source_set_callback (ss->lifetime, on_lifetime, ss, NULL);
  g_source_attach (ss->lifetime, s->context);
  if (streams > 0) {
    /* The session's own SSID goes: stream 0 answers as the welcome's ssid. */
    g_hash_table_remove (s->sessions, GUINT_TO_POINTER ((guint) ss->ssid));
    if (!make_load (ss, streams)) {
      send_msg (ss, rp_reflector_msg_error ("internal", "the reflector has no SSIDs left"));
      rp_serve_session_end (ss, NULL, FALSE);
      if (conn != NULL)
        rp_serve_ws_close (conn, 1011);   /* RFC 6455 7.4.1: internal error */
      return NULL;
    }
    ss->ssid = ss->load[0].ssid;
    welcome (ss);
    return ss;
  }
  ss->agent = rp_ice_agent_new (s->context, &o, &agent_callbacks, ss);
  if (!add_turn (ss, &error) || !rp_ice_agent_gather (ss->agent, &error)) {
    g_message ("session %s: ICE could not start: %s", ss->id, error->message);
    send_msg (ss, rp_reflector_msg_error ("internal", "the reflector's ICE agent could not start"));
    rp_serve_session_end (ss, NULL, FALSE);
    if (conn != NULL)
      rp_serve_ws_close (conn, 1011);   /* RFC 6455 7.4.1: internal error */
    return NULL;
  }
  ss->gather_budget = g_timeout_source_new (GATHER_BUDGET_MS);
  g_source_set_callback (ss->gather_budget, on_gather_budget, ss, NULL);
  g_source_attach (ss->gather_budget, s->context);
  return ss;
}

static void
refuse (RpServeSession *ss, const char *code, const char *message)
{
  send_msg (ss, rp_reflector_msg_error (code, message));
  rp_serve_session_end (ss, code, FALSE);
}

/* Of the candidates not at the client's address, the first
 * RP_REFLECTOR_MAX_FOREIGN while the reflector's budget for them lasts. */
static void
limit_foreign (RpServeSession *ss, GArray *cands)
{
  RpServe *s = ss->serve;
  guint want = rp_reflector_candidates_count_foreign (cands, ss->peer);
  guint allowed = 0, removed;
  gint64 now = g_get_monotonic_time ();

  want = MIN (want, RP_REFLECTOR_MAX_FOREIGN);
  while (allowed < want
         && rp_bucket_take (&s->foreign, RP_SERVE_FOREIGN_RATE, RP_SERVE_FOREIGN_BURST, 1, now))
    allowed++;
  removed = rp_reflector_candidates_limit_foreign (cands, ss->peer, allowed);
  if (removed > 0)
    g_message ("session %s: %u candidates not at %s not checked "
               "(at most %d a session, %g a second in all)",
               ss->id, removed, ss->peer, RP_REFLECTOR_MAX_FOREIGN, RP_SERVE_FOREIGN_RATE);
}

void
rp_serve_session_message (RpServeSession *ss, const char *type, JsonObject *msg)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ufrag = NULL, *pwd = NULL;
  g_autoptr (GArray) cands = NULL;
  gpointer conn = ss->conn;

  if (g_str_equal (type, "bye")) {
    rp_serve_session_end (ss, "bye", FALSE);
    if (conn != NULL)
      rp_serve_ws_close (conn, 1000);
    return;
  }
  /* A load session has no agent: it expects nothing but bye. */
  if (!g_str_equal (type, "answer") || ss->answered || !ss->welcomed || ss->load != NULL) {
    refuse (ss, "bad-request", "unexpected message");
    rp_serve_ws_close (conn, 1008);
    return;
  }
  ss->answered = TRUE;
  if (rp_reflector_msg_get_ice (msg, &ufrag, &pwd, &cands, &error))
    limit_foreign (ss, cands);
  if (error != NULL
      || !rp_ice_agent_set_remote_credentials (ss->agent, ufrag, pwd, &error)
      || (cands->len > 0 && rp_ice_agent_add_remote_candidates (ss->agent, cands, &error) == 0)) {
    g_autofree char *why = g_strdup_printf ("answer refused: %s", error->message);
    refuse (ss, "bad-request", why);
    rp_serve_ws_close (conn, 1008);   /* RFC 6455 7.4.1: policy violation */
  }
  if (pwd != NULL)
    OPENSSL_cleanse (pwd, strlen (pwd));
}

void
rp_serve_session_end (RpServeSession *ss, const char *reason, gboolean tell)
{
  RpServe *s = ss->serve;
  double age = (g_get_monotonic_time () - ss->started_us) / 1e6;
  gpointer conn = unlink_conn (ss);

  g_message ("session %s end: %s after %.1f s; ice %s%s; echoed %" G_GUINT64_FORMAT
             " ice, %" G_GUINT64_FORMAT " direct, dropped %" G_GUINT64_FORMAT,
             ss->id, reason != NULL ? reason : "error", age,
             ss->ready      ? "ready "
             : ss->answered ? "not ready"
                            : "not started",
             ss->pair != NULL ? ss->pair : "", ss->ice_packets, ss->direct_packets, ss->dropped);
  if (tell && conn != NULL) {
    g_autofree char *bye = rp_reflector_msg_bye (reason);
    rp_serve_ws_send (conn, bye);
    rp_serve_ws_close (conn, reason != NULL && g_str_equal (reason, "shutdown") ? 1001 : 1000);
  }
  forget_ssids (ss);
  s->n_sessions--;
  rp_share_give (s->token_share, ss->token);
  destroy_source (&ss->lifetime);
  destroy_source (&ss->gather_budget);
  g_clear_pointer (&ss->agent, rp_ice_agent_free);
  OPENSSL_cleanse (ss->key, sizeof ss->key);
  g_free (ss->pair);
  g_free (ss->peer);
  g_free (ss->name);
  g_free (ss->token);
  g_free (ss);
}
