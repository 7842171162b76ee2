/* One tester's browser session (see serve-private.h and
 * reflector/protocol/reflector-tester.h): after a valid invite, the welcome
 * hands the browser the deployment's TURN servers with REST credentials
 * that live [tester] turn_ttl seconds; each offer then makes one
 * rtc/webrtc peer (ICE with the deployment's TURN servers, DTLS, SCTP; the
 * browser offers and controls), whose candidates are trickled both ways.
 * On a channel the browser opened unordered with maxRetransmits 0, voice
 * test messages are answered in place, never larger (RFC 3550 jitter per
 * direction from the reflector's timestamps).
 *
 * Bounded: RP_TESTER_MAX_PEERS peers in a session, RP_TESTER_MAX_LIVE at
 * once; of a peer's candidates at addresses other than the browser's, the
 * first RP_REFLECTOR_MAX_FOREIGN within the reflector's shared budget for
 * them; replies charged to the session's packet rate and the ICE path's
 * global one; a lifetime. One line in the log when a session opens and one
 * when it ends; never the invite, a credential or a key. */
#include "reflector/serve-private.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "common/quote.h"
#include "reflector/protocol/reflector-tester.h"
#include "rtc/webrtc/voice-message.h"
#include "stun/turn-codec.h"

/* The page's voice stream: Opus-sized messages every 20 ms (probe/net's
 * default codec, rp_voice_options_init). */
#define VOICE_INTERVAL_US 20000
#define VOICE_PACKET_SIZE 102

typedef struct {
  RpServeTester *tester;
  guint pc;
  RpWebrtcPeer *peer;
  guint foreign;
  gboolean connected;
  RpVoiceReflector voice;
} Pc;

struct _RpServeTester {
  RpServe *serve;
  gpointer conn;              /* the websocket, NULL once gone */
  char id[17];
  char *peer, *label, *share_key;
  char *agent;                /* the browser's User-Agent (NULL: none sent) */
  Pc *pcs[RP_TESTER_MAX_PEERS];
  guint n_pcs, live, connected;
  RpBucket packets;
  guint64 replies, dropped, skipped_candidates;
  gint64 started_us;
  RpTesterRuns *runs;
  gboolean reported;
  GSource *lifetime;
};

static void
send_text (RpServeTester *t, char *text)
{
  if (t->conn != NULL)
    rp_serve_ws_send (t->conn, text);
  OPENSSL_cleanse (text, strlen (text));   /* the welcome holds TURN credentials */
  g_free (text);
}

static Pc *
find_pc (RpServeTester *t, guint pc)
{
  for (guint i = 0; i < t->n_pcs; i++)
    if (t->pcs[i]->pc == pc)
      return t->pcs[i];
  return NULL;
}

static void
drop_peer (Pc *p)
{
  if (p->peer == NULL)
    return;
  g_clear_pointer (&p->peer, rp_webrtc_peer_free);
  p->tester->live--;
}

static void
on_candidate (RpWebrtcPeer *peer, const char *candidate, gpointer data)
{
  Pc *p = data;

  send_text (p->tester, rp_tester_msg_candidate (p->pc, candidate));
}

static void
on_state (RpWebrtcPeer *peer, RpWebrtcState state, const char *reason, gpointer data)
{
  Pc *p = data;

  send_text (p->tester,
             rp_tester_msg_peer_state (p->pc, rp_webrtc_state_to_string (state), reason));
  if (state == RP_WEBRTC_STATE_CONNECTED && !p->connected) {
    p->connected = TRUE;
    p->tester->connected++;
  }
  /* Nothing more happens on a failed or closed peer: free it now (the
   * peer allows it from its own callback). */
  if (state == RP_WEBRTC_STATE_FAILED || state == RP_WEBRTC_STATE_CLOSED)
    drop_peer (p);
}

static gboolean
is_voice_channel (RpWebrtcChannel *channel)
{
  const RpDcepPolicy *p = rp_webrtc_channel_get_policy (channel);

  return !p->ordered && p->limit_rtx && p->max_rtx == 0;
}

static void
on_message (RpWebrtcPeer *peer, RpWebrtcChannel *channel, const guint8 *data, gsize len,
            gboolean binary, gpointer user_data)
{
  Pc *p = user_data;
  RpServeTester *t = p->tester;
  RpServeConfig *c = t->serve->config;
  guint8 reply[RP_VOICE_MSG_MAX_LEN];
  guint64 t2 = (guint64) g_get_real_time ();
  gint64 now = g_get_monotonic_time ();

  /* Only what verified as a voice request on a voice channel is charged to
   * the budgets, as for STAMP. */
  if (!binary || !is_voice_channel (channel) || len < RP_VOICE_MSG_MIN_LEN
      || len > RP_VOICE_MSG_MAX_LEN) {
    t->dropped++;
    return;
  }
  if (!rp_bucket_take (&t->packets, c->session_packet_rate, c->session_packet_rate, 1, now)
      || !rp_serve_packet_allowed (t->serve, now)) {
    t->dropped++;
    return;
  }
  if (rp_voice_reflect (&p->voice, data, len, t2, (guint64) g_get_real_time (), reply)
      != RP_VOICE_MSG_OK) {
    t->dropped++;
    return;
  }
  if (rp_webrtc_channel_send (channel, reply, len, TRUE, NULL))
    t->replies++;
  else
    t->dropped++;
}

/* Channels need nothing when they open or close: messages say which they are. */
static const RpWebrtcPeerCallbacks peer_callbacks = {
  on_candidate, on_state, NULL, on_message, NULL,
};

/* The reflector's own peer uses the deployment's TURN servers with the
 * reflector's credentials, as a token session's agent does. */
static gboolean
add_turn (RpServeTester *t, RpWebrtcPeer *peer, GError **error)
{
  RpServeConfig *c = t->serve->config;
  g_autofree char *user = NULL;
  g_autoptr (RpSecret) pw = NULL;

  if (c->turn_secret != NULL) {
    rp_turn_rest_credentials (c->turn_secret, strlen (c->turn_secret), c->turn_user,
                              g_get_real_time () / G_USEC_PER_SEC + c->turn_rest_ttl_s, &user, &pw);
  } else if (c->turn_password != NULL) {
    user = g_strdup (c->turn_user);
    pw = g_strdup (c->turn_password);
  }
  for (guint i = 0; i < t->serve->turn->len && i < RP_WEBRTC_MAX_TURN_SERVERS; i++) {
    RpServeTurn *st = g_ptr_array_index (t->serve->turn, i);
    const char *ip = st->bridge != NULL ? rp_turn_tls_bridge_get_host (st->bridge) : st->ip;
    guint16 port = st->bridge != NULL ? rp_turn_tls_bridge_get_port (st->bridge) : st->port;
    if (!rp_webrtc_peer_add_turn_server (peer, ip, port, st->transport, user, pw, error))
      return FALSE;
  }
  return TRUE;
}

static void
refuse (RpServeTester *t, const char *code, const char *message, guint close_code)
{
  gpointer conn = t->conn;

  send_text (t, rp_reflector_msg_error (code, message));
  rp_serve_tester_end (t, code, FALSE);
  if (conn != NULL)
    rp_serve_ws_close (conn, close_code);
}

static void
on_offer (RpServeTester *t, guint pc, JsonObject *msg)
{
  RpServeConfig *c = t->serve->config;
  RpWebrtcPeerOptions o = { .loopback_only = c->loopback_only };
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;
  const char *sdp = rp_tester_msg_get_sdp (msg, &error);
  Pc *p;

  if (sdp == NULL || find_pc (t, pc) != NULL) {
    refuse (t, "bad-request", sdp == NULL ? error->message : "an offer for a pc already used",
            1008);
    return;
  }
  if (t->n_pcs >= RP_TESTER_MAX_PEERS || t->live >= RP_TESTER_MAX_LIVE) {
    send_text (t, rp_tester_msg_peer_state (pc, "failed", t->n_pcs >= RP_TESTER_MAX_PEERS
                                            ? "this session made as many peers as it may"
                                            : "close a peer connection before offering another"));
    return;
  }
  p = g_new0 (Pc, 1);
  p->tester = t;
  p->pc = pc;
  t->pcs[t->n_pcs++] = p;
  p->peer = rp_webrtc_peer_new (t->serve->context, t->serve->cert, &o, &peer_callbacks, p);
  t->live++;
  if (!add_turn (t, p->peer, &error)
      || !rp_webrtc_peer_set_remote_description (p->peer, sdp, strlen (sdp), FALSE, &error)
      || (answer = rp_webrtc_peer_create_answer (p->peer, &error)) == NULL) {
    g_autofree char *q = rp_quote_input (error->message, strlen (error->message), 200);
    g_message ("tester %s pc %u: offer refused: %s", t->id, pc, q);
    send_text (t, rp_tester_msg_peer_state (pc, "failed", error->message));
    drop_peer (p);
    return;
  }
  send_text (t, rp_tester_msg_answer (pc, answer));
}

/* A relay candidate on one of the deployment's TURN servers: where the
 * browser's relayed path ends, not a target of the browser's choosing. */
static gboolean
on_our_turn (RpServeTester *t, const RpIceCandidate *cand)
{
  for (guint i = 0; cand->type == RP_ICE_CAND_RELAY && i < t->serve->turn->len; i++) {
    RpServeTurn *st = g_ptr_array_index (t->serve->turn, i);
    if (g_str_equal (cand->addr, st->ip))
      return TRUE;
  }
  return FALSE;
}

/* A browser candidate at an address other than the browser's (and not a
 * relay on our TURN servers) costs the reflector checks aimed elsewhere:
 * bounded as for token sessions. */
static gboolean
candidate_allowed (RpServeTester *t, Pc *p, const char *candidate)
{
  RpIceCandidate cand;
  const char *line = g_str_has_prefix (candidate, "a=") ? candidate + 2 : candidate;

  if (!rp_ice_candidate_from_sdp (line, &cand, NULL) || g_str_equal (cand.addr, t->peer)
      || on_our_turn (t, &cand))
    return TRUE;   /* the peer skips or refuses what does not parse */
  if (p->foreign >= RP_REFLECTOR_MAX_FOREIGN
      || !rp_bucket_take (&t->serve->foreign, RP_SERVE_FOREIGN_RATE, RP_SERVE_FOREIGN_BURST, 1,
                          g_get_monotonic_time ()))
    return FALSE;
  p->foreign++;
  return TRUE;
}

static void
on_candidate_msg (RpServeTester *t, guint pc, JsonObject *msg)
{
  g_autoptr (GError) error = NULL;
  const char *candidate = NULL;
  Pc *p = find_pc (t, pc);

  if (!rp_tester_msg_get_candidate (msg, &candidate, &error)) {
    refuse (t, "bad-request", error->message, 1008);
    return;
  }
  if (p == NULL || p->peer == NULL)
    return;   /* a late candidate for a peer already gone */
  if (candidate != NULL && *candidate != '\0' && !candidate_allowed (t, p, candidate)) {
    t->skipped_candidates++;
    return;
  }
  if (!rp_webrtc_peer_add_remote_candidate (p->peer, candidate, &error)) {
    send_text (t, rp_tester_msg_peer_state (pc, "failed", error->message));
    drop_peer (p);
  }
}

/* The report into the results store, when the reflector keeps one. FALSE
 * (the browser told why, the session ended) when the store could not keep
 * it: the tester learns that the team will not see this run. */
static gboolean
keep_result (RpServeTester *t, const char *doc)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  guint status;

  if (t->serve->results == NULL)
    return TRUE;
  status = rp_serve_results_add (t->serve, t->label, t->peer, t->agent, doc, strlen (doc), &error);
  if (status == 200)
    return TRUE;
  /* The error names the server's file: the log has it, the tester gets a sentence. */
  message = g_strdup_printf ("The reflector could not keep this result (%u): %s", status,
                             status == 503 ? "its results database is busy; run the test again"
                             " in a minute."
                             : status == 507 ? "its disk is full; tell the team."
                             : "tell the team.");
  refuse (t, "store", message, 1011);
  return FALSE;
}

/* ping: echoed as pong (the page's websocket RTT); timings: kept; result:
 * the report is computed, kept in the results store, sent and logged, once. */
static void
on_measured (RpServeTester *t, const char *type, JsonObject *msg)
{
  RpServeConfig *c = t->serve->config;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) sent = NULL;
  g_autoptr (GArray) replies = NULL;
  const char *id = NULL;

  if (g_str_equal (type, "ping")) {
    JsonNode *n = json_object_get_member (msg, "t");
    g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
    g_autoptr (JsonNode) root = NULL;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, "pong");
    json_builder_set_member_name (b, "t");
    if (n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) != G_TYPE_STRING)
      json_builder_add_value (b, json_node_copy (n));
    else
      json_builder_add_null_value (b);
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    send_text (t, json_to_string (root, FALSE));
    return;
  }
  if (t->reported) {
    refuse (t, "bad-request", "the result was already received", 1008);
    return;
  }
  if (g_str_equal (type, "timings")) {
    if (!rp_tester_msg_get_timings (msg, &id, &sent, &replies, &error)
        || !rp_tester_runs_add (t->runs, id, sent, replies, &error))
      refuse (t, "bad-request", error->message, 1008);
    return;
  }
  {
    RpTesterResult res;
    g_autofree char *report = NULL;
    g_autofree char *sentence = NULL;
    g_autofree char *paths = NULL;
    g_autofree char *doc = NULL;
    g_autofree char *label = rp_quote_input (t->label, strlen (t->label), 80);
    if (!rp_tester_msg_get_result (msg, &res, &error)) {
      refuse (t, "bad-request", error->message, 1008);
      return;
    }
    t->reported = TRUE;
    report = rp_tester_report_build (t->runs, &res, t->label, c->path, VOICE_INTERVAL_US,
                                     VOICE_PACKET_SIZE, &sentence, &doc);
    paths = rp_tester_report_log_line (t->runs, &res);
    rp_tester_result_clear (&res);
    g_message ("tester %s result: label=%s verdict \"%s\" (%s)", t->id, label, sentence, paths);
    if (!keep_result (t, doc))
      return;   /* t is gone */
    send_text (t, g_steal_pointer (&report));
  }
}

void
rp_serve_tester_message (RpServeTester *t, const char *type, JsonObject *msg)
{
  g_autoptr (GError) error = NULL;
  gpointer conn = t->conn;
  guint pc = 0;
  Pc *p;

  if (g_str_equal (type, "bye")) {
    rp_serve_tester_end (t, "bye", FALSE);
    if (conn != NULL)
      rp_serve_ws_close (conn, 1000);
    return;
  }
  if (g_str_equal (type, "ping") || g_str_equal (type, "timings")
      || g_str_equal (type, "result")) {
    on_measured (t, type, msg);
    return;
  }
  if (!g_str_equal (type, "offer") && !g_str_equal (type, "candidate")
      && !g_str_equal (type, "close")) {
    refuse (t, "bad-request", "unexpected message", 1008);
    return;
  }
  if (!rp_tester_msg_get_pc (msg, &pc, &error)) {
    refuse (t, "bad-request", error->message, 1008);
    return;
  }
  if (g_str_equal (type, "offer"))
    on_offer (t, pc, msg);
  else if (g_str_equal (type, "candidate"))
    on_candidate_msg (t, pc, msg);
  else if ((p = find_pc (t, pc)) != NULL)
    drop_peer (p);
}

static gboolean
on_lifetime (gpointer data)
{
  RpServeTester *t = data;

  g_clear_pointer (&t->lifetime, g_source_unref);
  rp_serve_tester_end (t, "lifetime", TRUE);
  return G_SOURCE_REMOVE;
}

/* The browser's TURN servers: each configured URI with REST credentials
 * that live turn_ttl; none without a TURN secret. */
static GArray *
ice_servers (RpServe *s)
{
  RpServeConfig *c = s->config;
  GArray *a = g_array_new (FALSE, TRUE, sizeof (RpTesterIceServer));
  gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + c->tester_turn_ttl_s;

  g_array_set_clear_func (a, (GDestroyNotify) rp_tester_ice_server_clear);
  for (guint i = 0; c->turn_secret != NULL && i < s->turn->len; i++) {
    RpServeTurn *st = g_ptr_array_index (s->turn, i);
    RpTesterIceServer is = { g_strdup (st->uri), NULL, NULL };
    rp_turn_rest_credentials (c->turn_secret, strlen (c->turn_secret), c->turn_user, expiry,
                              &is.username, &is.credential);
    g_array_append_val (a, is);
  }
  return a;
}

RpServeTester *
rp_serve_tester_new (RpServe *s, gpointer conn, const char *peer, const char *agent,
                     const RpInvite *invite, const char *share_key)
{
  RpServeTester *t = g_new0 (RpServeTester, 1);
  g_autoptr (GArray) servers = NULL;
  g_autofree char *label = rp_quote_input (invite->label, strlen (invite->label), 80);
  RpTesterWelcome w = { 0 };
  guint8 idb[8];

  if (RAND_bytes (idb, sizeof idb) != 1)
    for (guint i = 0; i < sizeof idb; i++)
      idb[i] = (guint8) g_random_int ();
  for (guint i = 0; i < sizeof idb; i++)
    g_snprintf (t->id + 2 * i, 3, "%02x", idb[i]);
  t->serve = s;
  t->conn = conn;
  rp_serve_ws_link_tester (conn, t);
  t->peer = g_strdup (peer);
  t->agent = g_strdup (agent);
  t->label = g_strdup (invite->label);
  t->share_key = g_strdup (share_key);
  t->started_us = g_get_monotonic_time ();
  rp_bucket_init (&t->packets, s->config->session_packet_rate, t->started_us);
  /* One message per interval for the voice duration, with a second's slack. */
  t->runs = rp_tester_runs_new ((guint) ((s->config->voice_duration_s + 1) * G_USEC_PER_SEC
                                         / VOICE_INTERVAL_US));
  g_hash_table_add (s->testers, t);
  s->sessions_total++;
  servers = ice_servers (s);
  g_message ("tester %s open: %s label=%s invite=%s (%u TURN credentials for %" G_GINT64_FORMAT
             " s; %u of %u sessions)", t->id, peer, label, invite->id, servers->len,
             s->config->tester_turn_ttl_s,
             s->n_sessions + g_hash_table_size (s->testers),
             s->config->max_sessions);
  t->lifetime = g_timeout_source_new_seconds ((guint) s->config->session_lifetime_s);
  g_source_set_callback (t->lifetime, on_lifetime, t, NULL);
  g_source_attach (t->lifetime, s->context);
  w.session = t->id;
  w.label = invite->label;
  w.voice_duration_s = s->config->voice_duration_s;
  w.lifetime_s = s->config->session_lifetime_s;
  w.ice_servers = (const RpTesterIceServer *) servers->data;
  w.n_ice_servers = servers->len;
  send_text (t, rp_tester_msg_welcome (&w));
  return t;
}

void
rp_serve_tester_end (RpServeTester *t, const char *reason, gboolean tell)
{
  RpServe *s = t->serve;
  gpointer conn = t->conn;

  if (conn != NULL)
    rp_serve_ws_link_tester (conn, NULL);
  t->conn = NULL;
  g_message ("tester %s end: %s after %.1f s; %u peers, %u connected; %" G_GUINT64_FORMAT
             " voice replies, %" G_GUINT64_FORMAT " dropped, %" G_GUINT64_FORMAT
             " candidates not checked", t->id, reason != NULL ? reason : "error",
             (g_get_monotonic_time () - t->started_us) / 1e6, t->n_pcs, t->connected, t->replies,
             t->dropped, t->skipped_candidates);
  if (tell && conn != NULL) {
    g_autofree char *bye = rp_reflector_msg_bye (reason);
    rp_serve_ws_send (conn, bye);
    rp_serve_ws_close (conn, reason != NULL && g_str_equal (reason, "shutdown") ? 1001 : 1000);
  }
  g_hash_table_remove (s->testers, t);
  rp_share_give (s->token_share, t->share_key);
  if (t->lifetime != NULL) {
    g_source_destroy (t->lifetime);
    g_clear_pointer (&t->lifetime, g_source_unref);
  }
  for (guint i = 0; i < t->n_pcs; i++) {
    drop_peer (t->pcs[i]);
    g_free (t->pcs[i]);
  }
  rp_tester_runs_free (t->runs);
  g_free (t->peer);
  g_free (t->agent);
  g_free (t->label);
  g_free (t->share_key);
  g_free (t);
}
