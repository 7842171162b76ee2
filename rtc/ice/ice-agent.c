/* One ICE agent through libnice (see ice-agent.h). The wrapper keeps libnice's
 * quirks in one place:
 *  - libnice 0.1.21 skips loopback addresses when it picks host addresses
 *    itself (nice_interfaces_get_local_ips (FALSE)); once any address is added
 *    with nice_agent_add_local_address() it uses exactly the added ones. For
 *    a server on loopback the agent adds 127.0.0.1 and ::1 only: requests
 *    from other local addresses to 127.0.0.1 get no answer on Linux, and
 *    libnice would wait for each of them to time out before gathering ends.
 *  - "upnp" defaults to TRUE and sends SSDP multicast into the LAN: off.
 *  - TURN over TCP is gathered from each UDP host candidate (one TCP
 *    connection per host address); the relayed candidate itself is UDP, so
 *    ICE-TCP host candidates add nothing to a relay path: "ice-tcp" off.
 *  - "force-relay" keeps host and server-reflexive candidates out of the
 *    checklist, but the gathered list is filtered here as well.
 *  - Remote candidates are only accepted after local gathering is done.
 *  - Candidate signals come while libnice holds no lock, so the agent may be
 *    freed from a callback; the NiceAgent itself is closed asynchronously
 *    (nice_agent_close_async sends the TURN deallocations) and dropped then. */
#include "rtc/ice/ice-agent.h"

#include <nice/agent.h>
#include <nice/interfaces.h>
#include <string.h>

#define STREAM_COMPONENT 1
/* RFC 8445 14.3 / RFC 8489 6.2.1: RTO 500 ms. One more retransmission than
 * libnice's default of 3, so one late answer does not fail a healthy pair. */
#define STUN_RTO_MS 500
#define STUN_RETRANSMISSIONS 4

struct _RpIceAgent {
  NiceAgent *nice;
  GMainContext *context;
  guint stream;
  RpIceAgentOptions options;
  RpIceAgentCallbacks cb;
  gpointer user_data;
  GArray *local;              /* RpIceCandidate */
  gint64 gather_start_us;
  gint64 gathered_at_us;
  gboolean gathering_done;
  gboolean selected;          /* libnice selected a pair */
  RpIceState state;
  RpIceState best_state;
  guint dispatching;
  gboolean dead;
};

const char *
rp_ice_state_to_string (RpIceState s)
{
  static const char *names[] = { "new", "gathering", "connecting", "connected", "ready", "failed" };
  return (guint) s < G_N_ELEMENTS (names) ? names[s] : "unknown";
}

static void
really_free (RpIceAgent *self)
{
  g_array_unref (self->local);
  g_main_context_unref (self->context);
  g_free (self);
}

static void
enter (RpIceAgent *self)
{
  self->dispatching++;
}

/* FALSE when a callback freed the agent (it is gone now). */
static gboolean
leave (RpIceAgent *self)
{
  gboolean alive = !self->dead;

  if (--self->dispatching == 0 && self->dead)
    really_free (self);
  return alive;
}

/* Agents freed whose close (the TURN deallocations) has not finished. */
static guint closing;

static void
on_closed (GObject *source, GAsyncResult *res, gpointer data)
{
  g_object_unref (source);
  g_assert (closing > 0);
  closing--;
}

static gboolean
on_wait_over (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
rp_ice_agent_wait_closed (GMainContext *context, gint64 budget_us)
{
  gboolean over = FALSE;
  GSource *timer;

  if (closing == 0 || budget_us <= 0)
    return closing == 0;
  timer = g_timeout_source_new ((guint) (budget_us / 1000));
  g_source_set_callback (timer, on_wait_over, &over, NULL);
  g_source_attach (timer, context);
  while (closing > 0 && !over)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  return closing == 0;
}

static void
discard_recv (NiceAgent *nice, guint stream, guint component, guint len, gchar *buf, gpointer data)
{
}

void
rp_ice_agent_free (RpIceAgent *self)
{
  if (self == NULL || self->dead)
    return;
  self->dead = TRUE;
  g_signal_handlers_disconnect_by_data (self->nice, self);
  /* Not NULL: without a receive callback libnice stops reading the socket,
   * the TURN deallocation answers are never read, and the unread socket
   * keeps the context busy until the deallocation times out. */
  if (self->stream != 0)
    nice_agent_attach_recv (self->nice, self->stream, STREAM_COMPONENT, self->context, discard_recv,
                            NULL);
  closing++;
  nice_agent_close_async (self->nice, on_closed, NULL);
  self->nice = NULL;
  if (self->dispatching == 0)
    really_free (self);
}

/* ---- conversions ---- */

static RpIceCandType
type_from_nice (NiceCandidateType t)
{
  switch (t) {
  case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
    return RP_ICE_CAND_SRFLX;
  case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
    return RP_ICE_CAND_PRFLX;
  case NICE_CANDIDATE_TYPE_RELAYED:
    return RP_ICE_CAND_RELAY;
  case NICE_CANDIDATE_TYPE_HOST:
  default:
    return RP_ICE_CAND_HOST;
  }
}

static NiceCandidateType
type_to_nice (RpIceCandType t)
{
  static const NiceCandidateType map[] = { NICE_CANDIDATE_TYPE_HOST,
                                           NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE,
                                           NICE_CANDIDATE_TYPE_PEER_REFLEXIVE,
                                           NICE_CANDIDATE_TYPE_RELAYED };
  return map[t];
}

static RpIceCandTransport
transport_from_nice (NiceCandidateTransport t)
{
  switch (t) {
  case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE:
    return RP_ICE_CAND_TCP_ACTIVE;
  case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE:
    return RP_ICE_CAND_TCP_PASSIVE;
  case NICE_CANDIDATE_TRANSPORT_TCP_SO:
    return RP_ICE_CAND_TCP_SO;
  case NICE_CANDIDATE_TRANSPORT_UDP:
  default:
    return RP_ICE_CAND_UDP;
  }
}

static NiceCandidateTransport
transport_to_nice (RpIceCandTransport t)
{
  static const NiceCandidateTransport map[] = { NICE_CANDIDATE_TRANSPORT_UDP,
                                                NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE,
                                                NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE,
                                                NICE_CANDIDATE_TRANSPORT_TCP_SO };
  return map[t];
}

static void
from_nice (const NiceCandidate *n, RpIceCandidate *out)
{
  char buf[NICE_ADDRESS_STRING_LEN];

  memset (out, 0, sizeof *out);
  out->type = type_from_nice (n->type);
  out->transport = transport_from_nice (n->transport);
  g_strlcpy (out->foundation, n->foundation, sizeof out->foundation);
  out->component = n->component_id;
  out->priority = n->priority;
  nice_address_to_string (&n->addr, buf);
  g_strlcpy (out->addr, buf, sizeof out->addr);
  out->port = nice_address_get_port (&n->addr);
  /* libnice keeps no separate related address: the base stands in for it. */
  if (out->type != RP_ICE_CAND_HOST && nice_address_is_valid (&n->base_addr)) {
    nice_address_to_string (&n->base_addr, buf);
    g_strlcpy (out->raddr, buf, sizeof out->raddr);
    out->rport = nice_address_get_port (&n->base_addr);
  }
  out->gathered_us = -1;
}

static NiceCandidate *
to_nice (const RpIceCandidate *c, guint stream)
{
  NiceCandidate *n = nice_candidate_new (type_to_nice (c->type));

  n->transport = transport_to_nice (c->transport);
  n->stream_id = stream;
  n->component_id = STREAM_COMPONENT;
  n->priority = c->priority;
  g_strlcpy (n->foundation, c->foundation, NICE_CANDIDATE_MAX_FOUNDATION);
  if (!nice_address_set_from_string (&n->addr, c->addr)) {
    nice_candidate_free (n);
    return NULL;
  }
  nice_address_set_port (&n->addr, c->port);
  if (c->raddr[0] != '\0' && nice_address_set_from_string (&n->base_addr, c->raddr))
    nice_address_set_port (&n->base_addr, c->rport);
  return n;
}

/* ---- libnice signals ---- */

static RpIceState
state_from_nice (NiceComponentState s)
{
  switch (s) {
  case NICE_COMPONENT_STATE_GATHERING:
    return RP_ICE_STATE_GATHERING;
  case NICE_COMPONENT_STATE_CONNECTING:
    return RP_ICE_STATE_CONNECTING;
  case NICE_COMPONENT_STATE_CONNECTED:
    return RP_ICE_STATE_CONNECTED;
  case NICE_COMPONENT_STATE_READY:
    return RP_ICE_STATE_READY;
  case NICE_COMPONENT_STATE_FAILED:
    return RP_ICE_STATE_FAILED;
  case NICE_COMPONENT_STATE_DISCONNECTED:
  default:
    return RP_ICE_STATE_NEW;
  }
}

static void
on_new_candidate (NiceAgent *nice, NiceCandidate *n, gpointer data)
{
  RpIceAgent *self = data;
  RpIceCandidate c;

  if (n->stream_id != self->stream || n->component_id != STREAM_COMPONENT)
    return;
  from_nice (n, &c);
  c.gathered_us = g_get_monotonic_time () - self->gather_start_us;
  if (self->options.relay_only && c.type != RP_ICE_CAND_RELAY)
    return;
  g_array_append_val (self->local, c);
  if (self->cb.candidate != NULL) {
    enter (self);
    self->cb.candidate (self, &c, self->user_data);
    leave (self);
  }
}

static void
on_gathering_done (NiceAgent *nice, guint stream, gpointer data)
{
  RpIceAgent *self = data;

  if (stream != self->stream || self->gathering_done)
    return;
  self->gathering_done = TRUE;
  self->gathered_at_us = g_get_monotonic_time ();
  if (self->cb.gathering_done != NULL) {
    enter (self);
    self->cb.gathering_done (self, self->user_data);
    leave (self);
  }
}

static void
on_state_changed (NiceAgent *nice, guint stream, guint component, guint state, gpointer data)
{
  RpIceAgent *self = data;
  RpIceState s = state_from_nice (state);

  if (stream != self->stream || component != STREAM_COMPONENT || s == self->state)
    return;
  self->state = s;
  if (s != RP_ICE_STATE_FAILED && s > self->best_state)
    self->best_state = s;
  if (self->cb.state_changed != NULL) {
    enter (self);
    self->cb.state_changed (self, s, self->user_data);
    leave (self);
  }
}

/* libnice selects a pair when its nomination succeeds; the state may have
 * changed before or may change after, so both wake the caller. */
static void
on_selected_pair (NiceAgent *nice, guint stream, guint component, NiceCandidate *l,
                  NiceCandidate *r, gpointer data)
{
  RpIceAgent *self = data;

  if (stream != self->stream || component != STREAM_COMPONENT)
    return;
  self->selected = TRUE;
  if (self->cb.state_changed != NULL) {
    enter (self);
    self->cb.state_changed (self, self->state, self->user_data);
    leave (self);
  }
}

static void
on_recv (NiceAgent *nice, guint stream, guint component, guint len, gchar *buf, gpointer data)
{
  RpIceAgent *self = data;

  if (self->dead || self->cb.receive == NULL)
    return;
  enter (self);
  self->cb.receive (self, (const guint8 *) buf, len, self->user_data);
  leave (self);
}

/* ---- public ---- */

RpIceAgent *
rp_ice_agent_new (GMainContext *context, const RpIceAgentOptions *options,
                  const RpIceAgentCallbacks *callbacks, gpointer user_data)
{
  RpIceAgent *self = g_new0 (RpIceAgent, 1);

  self->context = g_main_context_ref (context);
  self->options = *options;
  if (callbacks != NULL)
    self->cb = *callbacks;
  self->user_data = user_data;
  self->local = g_array_new (FALSE, TRUE, sizeof (RpIceCandidate));
  self->gathered_at_us = 0;
  /* RFC 7675 consent freshness: a path the peer stops answering is dropped.
   * Aggressive nomination (libnice's default), although RFC 8445 8.1.1 keeps
   * only regular: libnice's regular nomination waits until every
   * higher-priority pair has failed, so behind a NAT (the peer's host
   * address unreachable) nomination comes after the retransmission timers,
   * and connect time would measure libnice, not the network. Even so,
   * libnice's READY waits for every pair's checks: callers wait for the
   * nominated pair instead (rp_ice_agent_is_connected). */
  self->nice =
    nice_agent_new_full (context, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_CONSENT_FRESHNESS);
  g_object_set (self->nice,
                "controlling-mode", options->controlling,
                "upnp", FALSE,
                "ice-tcp", FALSE,
                "ice-udp", TRUE,
                "force-relay", options->relay_only,
                "stun-initial-timeout", STUN_RTO_MS,
                "stun-max-retransmissions", STUN_RETRANSMISSIONS,
                NULL);
  if (options->loopback_only) {
    static const char *loopback[] = { "127.0.0.1", "::1" };
    for (guint i = 0; i < G_N_ELEMENTS (loopback); i++) {
      NiceAddress a;
      if (nice_address_set_from_string (&a, loopback[i]))
        nice_agent_add_local_address (self->nice, &a);
    }
  }
  self->stream = nice_agent_add_stream (self->nice, 1);
  g_signal_connect (self->nice, "new-candidate-full", G_CALLBACK (on_new_candidate), self);
  g_signal_connect (self->nice, "candidate-gathering-done", G_CALLBACK (on_gathering_done), self);
  g_signal_connect (self->nice, "component-state-changed", G_CALLBACK (on_state_changed), self);
  g_signal_connect (self->nice, "new-selected-pair-full", G_CALLBACK (on_selected_pair), self);
  nice_agent_attach_recv (self->nice, self->stream, STREAM_COMPONENT, context, on_recv, self);
  return self;
}

gboolean
rp_ice_has_local_address (GSocketFamily family)
{
  GList *ips = nice_interfaces_get_local_ips (FALSE);
  gboolean found = FALSE;

  for (GList *l = ips; l != NULL && !found; l = l->next) {
    g_autoptr (GInetAddress) a = g_inet_address_new_from_string (l->data);
    found = a != NULL && g_inet_address_get_family (a) == family;
  }
  g_list_free_full (ips, g_free);
  return found;
}

static gboolean
numeric (const char *ip, GError **error)
{
  if (g_hostname_is_ip_address (ip))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "ICE: '%s' is not a numeric address",
               ip);
  return FALSE;
}

gboolean
rp_ice_agent_set_stun_server (RpIceAgent *self, const char *ip, guint16 port, GError **error)
{
  if (!numeric (ip, error))
    return FALSE;
  /* libnice resolves a name here synchronously: numeric only. */
  g_object_set (self->nice, "stun-server", ip, "stun-server-port", (guint) port, NULL);
  return TRUE;
}

gboolean
rp_ice_agent_add_turn_server (RpIceAgent *self, const char *ip, guint16 port,
                              RpIceRelayTransport transport, const char *username,
                              const char *password, GError **error)
{
  NiceRelayType type =
    transport == RP_ICE_RELAY_TCP ? NICE_RELAY_TYPE_TURN_TCP : NICE_RELAY_TYPE_TURN_UDP;

  if (!numeric (ip, error))
    return FALSE;
  /* libnice asserts on NULL credentials; an empty pair is an unauthenticated try. */
  if (!nice_agent_set_relay_info (self->nice, self->stream, STREAM_COMPONENT, ip, port,
                                  username != NULL ? username : "",
                                  password != NULL ? password : "", type)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "ICE: libnice refused the TURN server %s:%u",
                 ip, port);
    return FALSE;
  }
  return TRUE;
}

gboolean
rp_ice_agent_gather (RpIceAgent *self, GError **error)
{
  gboolean ok;

  self->gather_start_us = g_get_monotonic_time ();
  if (self->state == RP_ICE_STATE_NEW)
    self->state = self->best_state = RP_ICE_STATE_GATHERING;
  /* Host candidates are signalled from inside this call: a callback may
   * free the agent (then this still returns TRUE: it did start). */
  enter (self);
  ok = nice_agent_gather_candidates (self->nice, self->stream);
  if (!leave (self))
    return TRUE;
  if (!ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "ICE: libnice could not start gathering (no usable local address?)");
    return FALSE;
  }
  return TRUE;
}

gboolean rp_ice_agent_is_gathering_done (RpIceAgent *self) { return self->gathering_done; }
gint64 rp_ice_agent_get_gathered_at_us (RpIceAgent *self) { return self->gathered_at_us; }
const GArray *rp_ice_agent_get_local_candidates (RpIceAgent *self) { return self->local; }
RpIceState rp_ice_agent_get_state (RpIceAgent *self) { return self->state; }
RpIceState rp_ice_agent_get_best_state (RpIceAgent *self) { return self->best_state; }

gint64
rp_ice_agent_get_gather_us (RpIceAgent *self)
{
  return self->gathering_done ? self->gathered_at_us - self->gather_start_us : -1;
}

void
rp_ice_agent_get_local_credentials (RpIceAgent *self, char **ufrag, char **pwd)
{
  gchar *u = NULL, *p = NULL;

  nice_agent_get_local_credentials (self->nice, self->stream, &u, &p);
  *ufrag = u;
  *pwd = p;
}

gboolean
rp_ice_agent_set_remote_credentials (RpIceAgent *self, const char *ufrag, const char *pwd,
                                     GError **error)
{
  if (!nice_agent_set_remote_credentials (self->nice, self->stream, ufrag, pwd)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "ICE: libnice refused the remote credentials");
    return FALSE;
  }
  return TRUE;
}

guint
rp_ice_agent_add_remote_candidates (RpIceAgent *self, const GArray *cands, GError **error)
{
  GSList *list = NULL;
  int n;

  if (!self->gathering_done) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                 "ICE: remote candidates before local gathering is done");
    return 0;
  }
  for (guint i = 0; i < cands->len; i++) {
    NiceCandidate *c = to_nice (&g_array_index (cands, RpIceCandidate, i), self->stream);
    if (c != NULL)
      list = g_slist_prepend (list, c);
  }
  list = g_slist_reverse (list);
  /* State changes may be signalled from inside: keep self alive across. */
  enter (self);
  n = list != NULL
        ? nice_agent_set_remote_candidates (self->nice, self->stream, STREAM_COMPONENT, list)
        : 0;
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  if (!leave (self))
    return MAX (n, 0);
  if (n <= 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "ICE: libnice took none of %u remote candidates", cands->len);
    return 0;
  }
  return n;
}

gboolean
rp_ice_agent_is_connected (RpIceAgent *self)
{
  return self->selected &&
         (self->state == RP_ICE_STATE_CONNECTED || self->state == RP_ICE_STATE_READY);
}

gboolean
rp_ice_agent_get_selected_pair (RpIceAgent *self, RpIceCandidate *local, RpIceCandidate *remote)
{
  NiceCandidate *l = NULL, *r = NULL;

  if (!nice_agent_get_selected_pair (self->nice, self->stream, STREAM_COMPONENT, &l, &r) ||
      l == NULL || r == NULL)
    return FALSE;
  from_nice (l, local);
  from_nice (r, remote);
  return TRUE;
}

gboolean
rp_ice_agent_send (RpIceAgent *self, const guint8 *data, gsize len)
{
  return nice_agent_send (self->nice, self->stream, STREAM_COMPONENT, len, (const gchar *) data) ==
         (gint) len;
}
