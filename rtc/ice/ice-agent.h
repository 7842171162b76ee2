/* One ICE agent (RFC 8445) through libnice: one stream with one component on
 * the run's GMainContext, STUN and TURN servers given as numeric addresses,
 * gathering with a timestamp per candidate, local credentials and candidates
 * out and remote ones in as plain values (rtc/ice/ice-candidate.h) so that any
 * signalling can carry them, state changes, the selected pair, and datagrams
 * on the component. A relay-only agent never offers or uses anything but
 * relay candidates. It measures and never prints.
 *
 * TURN over TLS: hand the agent the loopback end of an RpTurnTlsBridge as a
 * TCP relay (libnice 0.1.21 speaks no TLS to TURN servers in RFC 5245 mode). */
#pragma once

#include <gio/gio.h>

#include "rtc/ice/ice-candidate.h"

G_BEGIN_DECLS

typedef struct _RpIceAgent RpIceAgent;

typedef enum {
  RP_ICE_STATE_NEW,          /* nothing started */
  RP_ICE_STATE_GATHERING,
  RP_ICE_STATE_CONNECTING,   /* checks running */
  RP_ICE_STATE_CONNECTED,    /* a pair works; checks of other pairs may go on */
  RP_ICE_STATE_READY,        /* every check is done */
  RP_ICE_STATE_FAILED,
} RpIceState;

const char *rp_ice_state_to_string (RpIceState s);   /* "new", "gathering", ... */

typedef enum {
  RP_ICE_RELAY_UDP,          /* TURN over UDP */
  RP_ICE_RELAY_TCP,          /* TURN over TCP (also the loopback end of a TLS bridge) */
} RpIceRelayTransport;

typedef struct {
  gboolean controlling;      /* RFC 8445 6.1.1: exactly one side controls */
  gboolean relay_only;       /* offer and use relay candidates only */
  gboolean loopback_only;    /* host candidates on 127.0.0.1 and ::1 only (a server on loopback) */
} RpIceAgentOptions;

typedef struct {
  /* A local candidate came up (relay_only: relay ones only). */
  void (*candidate) (RpIceAgent *agent, const RpIceCandidate *cand, gpointer user_data);
  /* Gathering finished, whether or not every server answered. */
  void (*gathering_done) (RpIceAgent *agent, gpointer user_data);
  /* The state changed, or a (new) pair was selected in the same state. */
  void (*state_changed) (RpIceAgent *agent, RpIceState state, gpointer user_data);
  /* A datagram from the peer over the selected pair. */
  void (*receive) (RpIceAgent *agent, const guint8 *data, gsize len, gpointer user_data);
} RpIceAgentCallbacks;

RpIceAgent *rp_ice_agent_new (GMainContext *context, const RpIceAgentOptions *options,
                              const RpIceAgentCallbacks *callbacks, gpointer user_data);
/* Safe inside a callback: no callback runs afterwards; libnice lets go of
 * its sockets (and deallocates TURN relays) from the context later. */
void rp_ice_agent_free (RpIceAgent *agent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpIceAgent, rp_ice_agent_free)
/* Runs context until every freed agent has closed (its TURN deallocations
 * answered or given up) or budget_us has passed; TRUE when all closed. A
 * process that exits before leaves its UDP relays allocated on the server
 * for their whole lifetime (RFC 8656 7: 600 s by default). */
gboolean rp_ice_agent_wait_closed (GMainContext *context, gint64 budget_us);

/* Whether libnice finds an address to gather from (an interface that is up,
 * loopback aside: nice_interfaces_get_local_ips) of this family. Right
 * after an interface comes up there may be none yet, and gathering fails. */
gboolean rp_ice_has_local_address (GSocketFamily family);

/* Servers: numeric addresses only (resolve first); before gathering. */
gboolean rp_ice_agent_set_stun_server (RpIceAgent *agent, const char *ip, guint16 port,
                                       GError **error);
gboolean rp_ice_agent_add_turn_server (RpIceAgent *agent, const char *ip, guint16 port,
                                       RpIceRelayTransport transport, const char *username,
                                       const char *password, GError **error);

gboolean rp_ice_agent_gather (RpIceAgent *agent, GError **error);
gboolean rp_ice_agent_is_gathering_done (RpIceAgent *agent);
/* Time from rp_ice_agent_gather() to gathering done (-1 before that). */
gint64 rp_ice_agent_get_gather_us (RpIceAgent *agent);
/* Monotonic time gathering finished (0 before that). */
gint64 rp_ice_agent_get_gathered_at_us (RpIceAgent *agent);

/* What goes to the peer. The array holds RpIceCandidate in the order they
 * came up (relay_only: relay only); owned by the agent. */
const GArray *rp_ice_agent_get_local_candidates (RpIceAgent *agent);
void rp_ice_agent_get_local_credentials (RpIceAgent *agent, char **ufrag, char **pwd);

/* What came from the peer. Candidates are an array of RpIceCandidate;
 * returns how many libnice took (a relay-only agent pairs with any of them). */
gboolean rp_ice_agent_set_remote_credentials (RpIceAgent *agent, const char *ufrag, const char *pwd,
                                              GError **error);
guint rp_ice_agent_add_remote_candidates (RpIceAgent *agent, const GArray *cands, GError **error);

RpIceState rp_ice_agent_get_state (RpIceAgent *agent);
/* The furthest state reached (CONNECTED beats CONNECTING, READY beats both). */
RpIceState rp_ice_agent_get_best_state (RpIceAgent *agent);
/* Media can flow: a nominated pair is selected and the state is CONNECTED
 * or READY. This is what a call waits for (RFC 8445 8.1.1: nominated
 * pair); READY comes only once every other pair has been checked, which
 * behind a NAT means waiting out the retransmissions to unreachable
 * addresses. */
gboolean rp_ice_agent_is_connected (RpIceAgent *agent);
/* FALSE until a pair is selected. */
gboolean rp_ice_agent_get_selected_pair (RpIceAgent *agent, RpIceCandidate *local,
                                         RpIceCandidate *remote);

/* Sends one datagram over the selected pair; FALSE when not possible yet. */
gboolean rp_ice_agent_send (RpIceAgent *agent, const guint8 *data, gsize len);

G_END_DECLS
