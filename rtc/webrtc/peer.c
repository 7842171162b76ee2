/* The WebRTC peer (see peer.h): ICE, then DTLS, then SCTP, then DCEP. Every
 * entry from a lower layer holds the peer across the call (enter/leave), so
 * that a callback of ours that frees the peer defers the teardown until the
 * lower layer has returned. Datagrams on the ICE component are demultiplexed
 * by their first octet (RFC 7983): only DTLS is taken. */
#include "rtc/webrtc/peer.h"

#include <gio/gio.h>
#include <string.h>

#include "rtc/webrtc/dtls-transport.h"
#include "rtc/webrtc/sctp-transport.h"
#include "rtc/webrtc/sdp.h"

struct _RpWebrtcChannel {
  RpWebrtcPeer *peer;
  guint16 id;
  char *label, *protocol;
  RpDcepPolicy policy;
  gboolean ours, open, open_sent, closing;
};

typedef struct {
  char ip[RP_ICE_ADDR_MAX];
  guint16 port;
  RpIceRelayTransport transport;
  char *username, *password;
} TurnServer;

struct _RpWebrtcPeer {
  GMainContext *context;
  RpDtlsCert *cert;
  RpWebrtcPeerOptions options;
  RpWebrtcPeerCallbacks cb;
  gpointer user_data;
  RpWebrtcState state;
  RpIceAgent *ice;
  char stun_ip[RP_ICE_ADDR_MAX];
  guint16 stun_port;
  TurnServer turn[RP_WEBRTC_MAX_TURN_SERVERS];
  guint n_turn;
  RpDtlsTransport *dtls;
  RpSctpTransport *sctp;
  gboolean offerer, have_remote, dtls_client;
  RpSdpSession *remote;
  char mid[RP_SDP_MID_MAX];
  GArray *pending_remote;        /* RpIceCandidate, until local gathering is done */
  guint remote_count;            /* remote candidates taken, at most RP_SDP_MAX_CANDIDATES */
  guint skipped_candidates;
  GHashTable *channels;          /* stream id -> RpWebrtcChannel */
  guint16 next_id;               /* our next stream id (RFC 8832 6: parity by DTLS role) */
  gboolean describing;           /* inside create_offer/answer: candidates go in the SDP */
  GSource *end_idle;             /* the end of candidates, told after the description */
  guint dispatching;
  gboolean dead;
};

const char *
rp_webrtc_state_to_string (RpWebrtcState s)
{
  static const char *names[] = { "new", "connecting", "connected", "failed", "closed" };
  return (guint) s < G_N_ELEMENTS (names) ? names[s] : "unknown";
}

static void
channel_free (gpointer p)
{
  RpWebrtcChannel *c = p;

  g_free (c->label);
  g_free (c->protocol);
  g_free (c);
}

static void
really_free (RpWebrtcPeer *p)
{
  g_clear_pointer (&p->end_idle, g_source_unref);
  /* top down: SCTP, then DTLS (its close_notify still goes out over ICE) */
  g_clear_pointer (&p->sctp, rp_sctp_transport_free);
  g_clear_pointer (&p->dtls, rp_dtls_transport_free);
  g_clear_pointer (&p->ice, rp_ice_agent_free);
  for (guint i = 0; i < p->n_turn; i++) {
    g_free (p->turn[i].username);
    if (p->turn[i].password != NULL)
      memset (p->turn[i].password, 0, strlen (p->turn[i].password));
    g_free (p->turn[i].password);
  }
  g_hash_table_unref (p->channels);
  g_array_unref (p->pending_remote);
  rp_sdp_session_free (p->remote);
  g_main_context_unref (p->context);
  g_free (p);
}

static void
enter (RpWebrtcPeer *p)
{
  p->dispatching++;
}

/* FALSE when the peer was freed meanwhile (it is gone now). */
static gboolean
leave (RpWebrtcPeer *p)
{
  gboolean alive = !p->dead;

  if (--p->dispatching == 0 && p->dead)
    really_free (p);
  return alive;
}

/* Entered from a lower layer: nothing to do for a peer being freed. */
#define RETURN_IF_DEAD(p) \
  do { \
    if ((p)->dead) \
      return; \
  } while (0)

static void
set_state (RpWebrtcPeer *p, RpWebrtcState s, const char *reason)
{
  if (p->dead || p->state == s || p->state == RP_WEBRTC_STATE_FAILED
      || p->state == RP_WEBRTC_STATE_CLOSED)
    return;
  p->state = s;
  if (p->cb.state_changed != NULL)
    p->cb.state_changed (p, s, reason, p->user_data);
}

/* ---- DCEP and channels ---- */

static void
send_open (RpWebrtcChannel *c)
{
  RpDcepOpen o = { .label = c->label, .protocol = c->protocol };
  RpDcepPolicy reliable = { .ordered = TRUE };
  g_autoptr (GBytes) m = NULL;
  gsize n;
  const guint8 *d;

  rp_dcep_open_from_policy (&c->policy, &o);
  m = rp_dcep_open_build (&o);
  d = g_bytes_get_data (m, &n);
  /* RFC 8832 6: DCEP messages go ordered and reliable */
  c->open_sent = rp_sctp_transport_send (c->peer->sctp, c->id, RP_DCEP_PPID_CONTROL, &reliable,
                                         d, n, NULL);
}

static void
on_dcep_open (RpWebrtcPeer *p, guint16 stream, const guint8 *data, gsize len)
{
  static const guint8 ack = RP_DCEP_MSG_ACK;
  RpDcepPolicy reliable = { .ordered = TRUE };
  g_auto (RpDcepOpen) o = { 0 };
  RpWebrtcChannel *c;

  if (g_hash_table_contains (p->channels, GUINT_TO_POINTER (stream))
      || g_hash_table_size (p->channels) >= RP_WEBRTC_MAX_CHANNELS
      || !rp_dcep_open_parse (data, len, &o, NULL)) {
    rp_sctp_transport_reset_stream (p->sctp, stream);
    return;
  }
  c = g_new0 (RpWebrtcChannel, 1);
  c->peer = p;
  c->id = stream;
  c->label = g_steal_pointer (&o.label);
  c->protocol = g_steal_pointer (&o.protocol);
  rp_dcep_policy (&o, &c->policy);
  c->open = TRUE;
  g_hash_table_insert (p->channels, GUINT_TO_POINTER (stream), c);
  rp_sctp_transport_send (p->sctp, stream, RP_DCEP_PPID_CONTROL, &reliable, &ack, 1, NULL);
  if (p->cb.channel_open != NULL)
    p->cb.channel_open (p, c, p->user_data);
}

static void
mark_open (RpWebrtcPeer *p, RpWebrtcChannel *c)
{
  if (c->open)
    return;
  c->open = TRUE;
  if (p->cb.channel_open != NULL)
    p->cb.channel_open (p, c, p->user_data);
}

static void
on_sctp_message (guint16 stream, guint32 ppid, const guint8 *data, gsize len, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;
  RpWebrtcChannel *c = g_hash_table_lookup (p->channels, GUINT_TO_POINTER (stream));
  gboolean binary = ppid == RP_DCEP_PPID_BINARY || ppid == RP_DCEP_PPID_BINARY_EMPTY;

  RETURN_IF_DEAD (p);

  enter (p);
  if (ppid == RP_DCEP_PPID_CONTROL) {
    if (len > 0 && data[0] == RP_DCEP_MSG_OPEN)
      on_dcep_open (p, stream, data, len);
    else if (c != NULL && c->ours && rp_dcep_is_ack (data, len))
      mark_open (p, c);
  } else if (c != NULL && (binary || ppid == RP_DCEP_PPID_STRING
                           || ppid == RP_DCEP_PPID_STRING_EMPTY)) {
    if (c->ours)
      mark_open (p, c);   /* RFC 8832 6: data after OPEN implies the ACK */
    if (!p->dead && p->cb.message != NULL)
      p->cb.message (p, c, data, ppid == RP_DCEP_PPID_STRING_EMPTY
                              || ppid == RP_DCEP_PPID_BINARY_EMPTY ? 0 : len,
                     binary, p->user_data);
  }
  leave (p);
}

static void
on_stream_reset (guint16 stream, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;
  RpWebrtcChannel *c = g_hash_table_lookup (p->channels, GUINT_TO_POINTER (stream));

  RETURN_IF_DEAD (p);

  if (c == NULL)
    return;
  enter (p);
  /* RFC 8831 6.7: the other side resets its outgoing stream, we reset ours */
  if (!c->closing)
    rp_sctp_transport_reset_stream (p->sctp, stream);
  c->open = FALSE;
  if (p->cb.channel_closed != NULL)
    p->cb.channel_closed (p, c, p->user_data);
  if (!p->dead)
    g_hash_table_remove (p->channels, GUINT_TO_POINTER (stream));
  leave (p);
}

/* ---- SCTP ---- */

static void
on_sctp_send (const guint8 *data, gsize len, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;

  if (p->dtls != NULL)
    rp_dtls_transport_send (p->dtls, data, len);
}

static void
on_sctp_connected (gpointer user_data)
{
  RpWebrtcPeer *p = user_data;
  GHashTableIter it;
  gpointer value;

  RETURN_IF_DEAD (p);

  enter (p);
  set_state (p, RP_WEBRTC_STATE_CONNECTED, NULL);
  g_hash_table_iter_init (&it, p->channels);
  while (!p->dead && g_hash_table_iter_next (&it, NULL, &value)) {
    RpWebrtcChannel *c = value;
    if (c->ours && !c->open_sent)
      send_open (c);
  }
  leave (p);
}

static void
on_sctp_closed (const char *reason, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;

  RETURN_IF_DEAD (p);

  enter (p);
  set_state (p, p->state == RP_WEBRTC_STATE_CONNECTED ? RP_WEBRTC_STATE_CLOSED
                                                     : RP_WEBRTC_STATE_FAILED, reason);
  leave (p);
}

static const RpSctpCallbacks sctp_callbacks = {
  on_sctp_send, on_sctp_connected, on_sctp_closed, on_sctp_message, on_stream_reset,
};

/* ---- DTLS ---- */

static void
on_dtls_send (const guint8 *data, gsize len, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;

  if (p->ice != NULL)
    rp_ice_agent_send (p->ice, data, len);
}

static void
on_dtls_connected (gpointer user_data)
{
  RpWebrtcPeer *p = user_data;
  g_autoptr (GError) error = NULL;
  gsize max = p->options.max_message_size;

  RETURN_IF_DEAD (p);

  p->sctp = rp_sctp_transport_new (p->context, RP_WEBRTC_SCTP_PORT, p->remote->sctp_port, max,
                                   &sctp_callbacks, p, &error);
  if (p->sctp == NULL || !rp_sctp_transport_connect (p->sctp, &error))
    set_state (p, RP_WEBRTC_STATE_FAILED, error->message);
}

static void
on_dtls_failed (const char *reason, gpointer user_data)
{
  set_state (user_data, RP_WEBRTC_STATE_FAILED, reason);
}

static void
on_dtls_receive (const guint8 *data, gsize len, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;

  RETURN_IF_DEAD (p);

  if (p->sctp != NULL)
    rp_sctp_transport_receive (p->sctp, data, len);
}

static void
on_dtls_closed (gpointer user_data)
{
  set_state (user_data, RP_WEBRTC_STATE_CLOSED, "DTLS: the peer closed the connection");
}

static const RpDtlsCallbacks dtls_callbacks = {
  on_dtls_send, on_dtls_connected, on_dtls_failed, on_dtls_receive, on_dtls_closed,
};

/* ---- ICE ---- */

static void
flush_remote (RpWebrtcPeer *p)
{
  if (p->ice == NULL || !p->have_remote || !rp_ice_agent_is_gathering_done (p->ice)
      || p->pending_remote->len == 0)
    return;
  rp_ice_agent_add_remote_candidates (p->ice, p->pending_remote, NULL);
  g_array_set_size (p->pending_remote, 0);
}

static void
on_ice_candidate (RpIceAgent *agent, const RpIceCandidate *cand, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;
  g_autofree char *line = rp_ice_candidate_to_sdp (cand);

  RETURN_IF_DEAD (p);

  if (p->describing)
    return;   /* the description being made carries it */
  enter (p);
  if (p->cb.candidate != NULL)
    p->cb.candidate (p, line, p->user_data);
  leave (p);
}

static gboolean
on_end_idle (gpointer data)
{
  RpWebrtcPeer *p = data;

  g_clear_pointer (&p->end_idle, g_source_unref);
  enter (p);
  if (p->cb.candidate != NULL)
    p->cb.candidate (p, NULL, p->user_data);
  leave (p);
  return G_SOURCE_REMOVE;
}

static void
on_ice_gathering_done (RpIceAgent *agent, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;

  RETURN_IF_DEAD (p);

  enter (p);
  flush_remote (p);
  if (p->describing && p->end_idle == NULL) {
    /* after the description that says a=end-of-candidates has been handed out */
    p->end_idle = g_idle_source_new ();
    g_source_set_callback (p->end_idle, on_end_idle, p, NULL);
    g_source_attach (p->end_idle, p->context);
  } else if (!p->dead && p->cb.candidate != NULL) {
    p->cb.candidate (p, NULL, p->user_data);
  }
  leave (p);
}

static void
on_ice_state (RpIceAgent *agent, RpIceState state, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;

  RETURN_IF_DEAD (p);

  enter (p);
  if (state == RP_ICE_STATE_FAILED)
    set_state (p, RP_WEBRTC_STATE_FAILED, "ICE: no candidate pair works");
  else if (p->dtls != NULL && rp_ice_agent_is_connected (agent))
    rp_dtls_transport_start (p->dtls);
  leave (p);
}

static void
on_ice_receive (RpIceAgent *agent, const guint8 *data, gsize len, gpointer user_data)
{
  RpWebrtcPeer *p = user_data;

  RETURN_IF_DEAD (p);

  if (p->dtls == NULL || !rp_dtls_is_dtls (data, len))
    return;
  enter (p);
  rp_dtls_transport_receive (p->dtls, data, len);
  leave (p);
}

static const RpIceAgentCallbacks ice_callbacks = {
  on_ice_candidate, on_ice_gathering_done, on_ice_state, on_ice_receive,
};

/* ---- public ---- */

RpWebrtcPeer *
rp_webrtc_peer_new (GMainContext *context, RpDtlsCert *cert, const RpWebrtcPeerOptions *options,
                    const RpWebrtcPeerCallbacks *callbacks, gpointer user_data)
{
  RpWebrtcPeer *p = g_new0 (RpWebrtcPeer, 1);

  p->context = g_main_context_ref (context);
  p->cert = cert;
  p->options = *options;
  if (p->options.max_message_size == 0)
    p->options.max_message_size = RP_SDP_DEFAULT_MAX_MESSAGE;
  p->cb = *callbacks;
  p->user_data = user_data;
  p->pending_remote = g_array_new (FALSE, TRUE, sizeof (RpIceCandidate));
  p->channels = g_hash_table_new_full (NULL, NULL, NULL, channel_free);
  g_strlcpy (p->mid, "0", sizeof p->mid);
  return p;
}

void
rp_webrtc_peer_free (RpWebrtcPeer *p)
{
  if (p == NULL || p->dead)
    return;
  p->dead = TRUE;
  if (p->end_idle != NULL)
    g_source_destroy (p->end_idle);
  /* inside a callback of ours a lower layer is on the stack: leave() frees */
  if (p->dispatching == 0)
    really_free (p);
}

static gboolean
make_ice (RpWebrtcPeer *p, gboolean controlling, GError **error)
{
  RpIceAgentOptions o = { .controlling = controlling, .loopback_only = p->options.loopback_only,
                          .relay_only = p->options.relay_only };

  if (p->ice != NULL)
    return TRUE;
  p->ice = rp_ice_agent_new (p->context, &o, &ice_callbacks, p);
  if (p->stun_port != 0 && !rp_ice_agent_set_stun_server (p->ice, p->stun_ip, p->stun_port, error))
    return FALSE;
  for (guint i = 0; i < p->n_turn; i++) {
    TurnServer *t = &p->turn[i];
    if (!rp_ice_agent_add_turn_server (p->ice, t->ip, t->port, t->transport, t->username,
                                       t->password, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
before_ice (RpWebrtcPeer *p, const char *ip, GError **error)
{
  if (p->ice != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "WebRTC: ICE servers are set before the first description");
    return FALSE;
  }
  if (!g_hostname_is_ip_address (ip) || strlen (ip) >= RP_ICE_ADDR_MAX) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "WebRTC: an ICE server needs a numeric address");
    return FALSE;
  }
  return TRUE;
}

gboolean
rp_webrtc_peer_set_stun_server (RpWebrtcPeer *p, const char *ip, guint16 port, GError **error)
{
  if (!before_ice (p, ip, error))
    return FALSE;
  g_strlcpy (p->stun_ip, ip, sizeof p->stun_ip);
  p->stun_port = port;
  return TRUE;
}

gboolean
rp_webrtc_peer_add_turn_server (RpWebrtcPeer *p, const char *ip, guint16 port,
                                RpIceRelayTransport transport, const char *username,
                                const char *password, GError **error)
{
  TurnServer *t;

  if (!before_ice (p, ip, error))
    return FALSE;
  if (p->n_turn >= RP_WEBRTC_MAX_TURN_SERVERS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "WebRTC: at most %d TURN servers",
                 RP_WEBRTC_MAX_TURN_SERVERS);
    return FALSE;
  }
  t = &p->turn[p->n_turn++];
  g_strlcpy (t->ip, ip, sizeof t->ip);
  t->port = port;
  t->transport = transport;
  t->username = g_strdup (username != NULL ? username : "");
  t->password = g_strdup (password != NULL ? password : "");
  return TRUE;
}

/* Gathers, then describes us with the candidates known by then; those are
 * not told through the candidate callback (the peer cannot take a
 * candidate before it has the description). NULL when a callback freed
 * the peer. */
static char *
describe_local (RpWebrtcPeer *p, RpSdpSetup setup, GError **error)
{
  g_autoptr (RpSdpSession) l = rp_sdp_session_new ();
  const GArray *cands;
  gboolean ok;

  enter (p);
  p->describing = TRUE;
  ok = rp_ice_agent_gather (p->ice, error);
  p->describing = FALSE;
  if (!leave (p) || !ok)
    return NULL;
  cands = rp_ice_agent_get_local_candidates (p->ice);

  rp_ice_agent_get_local_credentials (p->ice, &l->ufrag, &l->pwd);
  memcpy (l->fingerprint, rp_dtls_cert_get_fingerprint (p->cert), RP_DTLS_FINGERPRINT_LEN);
  l->setup = setup;
  g_strlcpy (l->mid, p->mid, sizeof l->mid);
  l->sctp_port = RP_WEBRTC_SCTP_PORT;
  l->max_message_size = p->options.max_message_size;
  l->trickle = TRUE;
  g_array_append_vals (l->candidates, cands->data, cands->len);
  l->end_of_candidates = rp_ice_agent_is_gathering_done (p->ice);
  return rp_sdp_build (l, (guint64) g_random_int () << 20 | g_random_int_range (0, 1 << 20));
}

char *
rp_webrtc_peer_create_offer (RpWebrtcPeer *p, GError **error)
{
  if (p->ice != NULL || p->have_remote) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "WebRTC: this peer already negotiates");
    return NULL;
  }
  p->offerer = TRUE;
  if (!make_ice (p, TRUE, error))
    return NULL;
  return describe_local (p, RP_SDP_SETUP_ACTPASS, error);
}

static gboolean
start_dtls (RpWebrtcPeer *p, GError **error)
{
  RpSdpSetup ours = p->offerer ? (p->remote->setup == RP_SDP_SETUP_ACTIVE ? RP_SDP_SETUP_PASSIVE
                                                                          : RP_SDP_SETUP_ACTIVE)
                               : rp_sdp_answer_setup (p->remote->setup);

  p->dtls_client = ours == RP_SDP_SETUP_ACTIVE;
  /* RFC 8832 6: the DTLS client takes even stream ids, the server odd */
  p->next_id = p->dtls_client ? 0 : 1;
  p->dtls = rp_dtls_transport_new (p->context, p->cert, p->dtls_client, p->remote->fingerprint,
                                   &dtls_callbacks, p, error);
  return p->dtls != NULL;
}

gboolean
rp_webrtc_peer_set_remote_description (RpWebrtcPeer *p, const char *sdp, gsize len,
                                       gboolean is_answer, GError **error)
{
  g_autoptr (RpSdpSession) s = NULL;

  if (p->have_remote || is_answer != p->offerer) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "WebRTC: an %s was not expected now",
                 is_answer ? "answer" : "offer");
    return FALSE;
  }
  if ((s = rp_sdp_parse (sdp, len, is_answer, error)) == NULL)
    return FALSE;
  if (!is_answer && !make_ice (p, FALSE, error))
    return FALSE;
  if (!rp_ice_agent_set_remote_credentials (p->ice, s->ufrag, s->pwd, error))
    return FALSE;
  if (s->mid[0] != '\0')
    g_strlcpy (p->mid, s->mid, sizeof p->mid);
  g_array_append_vals (p->pending_remote, s->candidates->data, s->candidates->len);
  p->remote_count += s->candidates->len;
  p->skipped_candidates += s->skipped_candidates;
  p->remote = g_steal_pointer (&s);
  p->have_remote = TRUE;
  if (!start_dtls (p, error))
    return FALSE;
  p->state = RP_WEBRTC_STATE_CONNECTING;
  enter (p);
  flush_remote (p);
  if (!p->dead && rp_ice_agent_is_connected (p->ice))
    rp_dtls_transport_start (p->dtls);
  leave (p);
  return TRUE;
}

char *
rp_webrtc_peer_create_answer (RpWebrtcPeer *p, GError **error)
{
  if (p->offerer || !p->have_remote || rp_ice_agent_get_state (p->ice) != RP_ICE_STATE_NEW) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "WebRTC: an answer needs an offer first");
    return NULL;
  }
  return describe_local (p, p->dtls_client ? RP_SDP_SETUP_ACTIVE : RP_SDP_SETUP_PASSIVE, error);
}

gboolean
rp_webrtc_peer_add_remote_candidate (RpWebrtcPeer *p, const char *line, GError **error)
{
  RpIceCandidate c;

  if (line == NULL || *line == '\0')
    return TRUE;
  if (p->remote_count >= RP_SDP_MAX_CANDIDATES) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                 "WebRTC: more than %d remote candidates", RP_SDP_MAX_CANDIDATES);
    return FALSE;
  }
  if (!rp_ice_candidate_from_sdp (line, &c, NULL) || c.component != 1) {
    p->skipped_candidates++;
    return TRUE;
  }
  p->remote_count++;
  g_array_append_val (p->pending_remote, c);
  enter (p);
  flush_remote (p);
  leave (p);
  return TRUE;
}

const char *rp_webrtc_peer_get_mid (RpWebrtcPeer *p) { return p->mid; }
guint rp_webrtc_peer_get_skipped_candidates (RpWebrtcPeer *p) { return p->skipped_candidates; }
RpWebrtcState rp_webrtc_peer_get_state (RpWebrtcPeer *p) { return p->state; }

RpWebrtcChannel *
rp_webrtc_peer_open_channel (RpWebrtcPeer *p, const char *label, const RpDcepPolicy *policy,
                             GError **error)
{
  RpWebrtcChannel *c;

  if (!p->have_remote || g_hash_table_size (p->channels) >= RP_WEBRTC_MAX_CHANNELS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "WebRTC: %s",
                 !p->have_remote ? "a channel needs both descriptions first"
                                 : "too many channels");
    return NULL;
  }
  while (g_hash_table_contains (p->channels, GUINT_TO_POINTER (p->next_id)))
    p->next_id += 2;
  c = g_new0 (RpWebrtcChannel, 1);
  c->peer = p;
  c->id = p->next_id;
  p->next_id += 2;
  c->label = g_strdup (label);
  c->protocol = g_strdup ("");
  c->policy = *policy;
  c->ours = TRUE;
  g_hash_table_insert (p->channels, GUINT_TO_POINTER (c->id), c);
  if (p->sctp != NULL && rp_sctp_transport_is_connected (p->sctp))
    send_open (c);
  return c;
}

const char *rp_webrtc_channel_get_label (RpWebrtcChannel *c) { return c->label; }
const char *rp_webrtc_channel_get_protocol (RpWebrtcChannel *c) { return c->protocol; }
guint16 rp_webrtc_channel_get_id (RpWebrtcChannel *c) { return c->id; }
const RpDcepPolicy *rp_webrtc_channel_get_policy (RpWebrtcChannel *c) { return &c->policy; }

gboolean
rp_webrtc_channel_send (RpWebrtcChannel *c, const guint8 *data, gsize len, gboolean binary,
                        GError **error)
{
  RpWebrtcPeer *p = c->peer;
  guint64 max = p->remote->max_message_size;

  if (!c->open || c->closing || p->sctp == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "WebRTC: channel %u is not open",
                 c->id);
    return FALSE;
  }
  if (max != 0 && len > max) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                 "WebRTC: %" G_GSIZE_FORMAT " octets exceed the peer's a=max-message-size %"
                 G_GUINT64_FORMAT, len, max);
    return FALSE;
  }
  return rp_sctp_transport_send (p->sctp, c->id, binary ? RP_DCEP_PPID_BINARY : RP_DCEP_PPID_STRING,
                                 &c->policy, data, len, error);
}

void
rp_webrtc_channel_close (RpWebrtcChannel *c)
{
  if (c->closing)
    return;
  c->closing = TRUE;
  if (c->peer->sctp != NULL)
    rp_sctp_transport_reset_stream (c->peer->sctp, c->id);
}
