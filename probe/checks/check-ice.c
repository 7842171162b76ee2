/* The `ice` checks, through libnice (rtc/ice/ice-agent.h):
 *  - ice.gather.<t> for each --turn and --stun server: the candidates one
 *    agent gathers with it (type, transport, address, priority, time). libnice
 *    says nothing about why a TURN server gave no relay candidate, so then our
 *    own TURN client does one authenticated Allocate with the same
 *    credentials and the failure is explained from its answer.
 *  - ice.<udp|tcp|tls> for each TURN server: two agents in this process, A
 *    with only that server's relay candidates, B a normal peer (host,
 *    server-reflexive, and the same relay; relay only with --relay-only),
 *    must connect (a nominated pair selected on both sides: where a call
 *    starts media); then the round trip over the selected pair.
 *  - ice.verdict: which transports ICE completes through, i.e. what a caller
 *    on this network falls back to.
 * Names are resolved here and libnice gets numeric addresses; turns: goes
 * through the loopback TLS bridge (rtc/ice/turn-tls-bridge.h). */
#include "probe/checks/checks-ice.h"

#include <string.h>

#include "probe/core/explain.h"
#include "probe/core/resolve.h"
#include "probe/core/server-target.h"
#include "rtc/ice/ice-agent.h"
#include "rtc/ice/ice-pair.h"
#include "rtc/ice/turn-tls-bridge.h"
#include "common/tls-client.h"

#define ICE_TIMEOUT_US (20 * G_USEC_PER_SEC)
#define GATHER_BUDGET_US (6 * G_USEC_PER_SEC)   /* then report what came, and diagnose */
/* A healthy server gives libnice its relay in two round trips (TLS: four or
 * five through the bridge). Past this, our own TURN client starts beside
 * libnice, so a blocked transport is explained by the time libnice gives up
 * (about 4.5 s) plus little, not by that time plus the client's own 5.5 s. */
#define DIAGNOSE_AFTER_US (1500 * G_GINT64_CONSTANT (1000))
#define ECHO_PACKETS 10
#define ECHO_INTERVAL_US 20000
#define ECHO_DRAIN_US 1000000
/* Right after an interface comes up libnice may find no address to gather
 * from yet: wait for one, bounded, polling the interfaces. */
#define ADDRESS_WAIT_US (4 * G_USEC_PER_SEC)
#define ADDRESS_POLL_MS 100

/* ---- the verdict across TURN transports ---- */

typedef struct {
  RpTransport transport;
  guint16 port;
  char *label;
  gboolean works;
} IceOutcome;

typedef struct {
  gatomicrefcount ref;
  guint expected, reported;
  GArray *outcomes;             /* of IceOutcome, in finishing order */
  GString *works, *fails;       /* "UDP, TCP, TLS": always in that order */
  gboolean no_local_address;    /* a transport failed because this machine had no address */
  RpCheck *verdict;             /* borrowed: the verdict check owns this plan */
} IcePlan;

static IcePlan *
plan_ref (IcePlan *p)
{
  g_atomic_ref_count_inc (&p->ref);
  return p;
}

static void
outcome_clear (gpointer data)
{
  g_free (((IceOutcome *) data)->label);
}

static void
plan_unref (IcePlan *p)
{
  if (p == NULL || !g_atomic_ref_count_dec (&p->ref))
    return;
  g_array_unref (p->outcomes);
  g_string_free (p->works, TRUE);
  g_string_free (p->fails, TRUE);
  g_free (p);
}

static void
list_add (GString *s, const char *label)
{
  if (s->len > 0)
    g_string_append (s, ", ");
  g_string_append (s, label);
}

static gint
by_transport (gconstpointer a, gconstpointer b)
{
  const IceOutcome *x = a, *y = b;
  if (x->transport != y->transport)
    return (int) x->transport - (int) y->transport;
  return (int) x->port - (int) y->port;
}

/* The lists in a fixed order (UDP, TCP, TLS), not the order checks ended. */
static void
verdict_lists (IcePlan *p)
{
  g_autoptr (GArray) sorted = g_array_sized_new (FALSE, FALSE, sizeof (IceOutcome),
                                                 p->outcomes->len);

  g_array_append_vals (sorted, p->outcomes->data, p->outcomes->len);
  g_array_sort (sorted, by_transport);
  g_string_truncate (p->works, 0);
  g_string_truncate (p->fails, 0);
  for (guint i = 0; i < sorted->len; i++) {
    IceOutcome *o = &g_array_index (sorted, IceOutcome, i);
    list_add (o->works ? p->works : p->fails, o->label);
  }
}

static void
verdict_fill (IcePlan *p)
{
  RpCheckResult *r = rp_check_get_result (p->verdict);

  verdict_lists (p);
  if (p->fails->len == 0 && p->reported == p->expected) {
    rp_check_result_set (r, RP_STATUS_PASS, "ICE completes through TURN over %s", p->works->str);
  } else if (p->works->len > 0) {
    rp_check_result_set (
      r, RP_STATUS_WARN, "ICE completes only through TURN over %s (not %s): voice falls back to %s",
      p->works->str, p->fails->len > 0 ? p->fails->str : "the rest", p->works->str);
    rp_check_result_set_hint (
      r,
      "clients on this network connect through TURN over %s; see the failing ice.* "
      "results for what blocks the others",
      p->works->str);
  } else {
    rp_check_result_set (r, RP_STATUS_FAIL, "ICE completes through no TURN transport (%s tried)",
                         p->fails->str);
    rp_check_result_set_hint (
      r, "a caller on this network that needs a relay cannot connect: see ice.gather.* for "
         "whether relay candidates came back");
  }
  if (p->no_local_address && p->works->len == 0)
    rp_check_result_set_hint (r, "this machine had no usable network address, so ICE could not "
                              "start: nothing is known about the network yet (see ice.gather.*)");
  rp_check_result_detail_str (r, "works", p->works->str);
  rp_check_result_detail_str (r, "fails", p->fails->str);
}

static void
plan_report (IcePlan *p, const RpTarget *target, const char *label, gboolean works)
{
  IceOutcome o = { target->transport, target->port, g_strdup (label), works };

  g_array_append_val (p->outcomes, o);
  if (++p->reported < p->expected || rp_check_is_finished (p->verdict))
    return;
  verdict_fill (p);
  rp_check_finish (p->verdict);
}

static void verdict_start (RpCheck *check) {}

static void
verdict_expire (RpCheck *check)
{
  IcePlan *p = rp_check_get_state (check);

  verdict_fill (p);
  if (p->reported < p->expected)
    rp_check_result_set_hint (rp_check_get_result (check),
                              "only %u of %u transports finished before the deadline", p->reported,
                              p->expected);
}

static const RpCheckClass verdict_class = { verdict_start, verdict_expire,
                                            (GDestroyNotify) plan_unref };

/* ---- one check (gather or pair) ---- */

typedef struct {
  gboolean is_pair;             /* ice.<t>, else ice.gather.<t> */
  RpServerTarget srv;           /* the server, its TLS context and address */
  char *label;
  RpTurnPlan *plan;             /* credentials */
  IcePlan *ice_plan;            /* pair only */
  gboolean relay_only;
  RpCheck *check;
  const char *phase;            /* for the deadline: what stalled */
  char *server_ip;
  gboolean loopback;
  RpTurnTlsBridge *bridge;
  RpIceAgent *agent;            /* gather */
  GSource *budget;
  GSource *address_wait;        /* polls for a local address to gather from */
  gint64 address_wait_start_us;
  GSource *diag_timer;          /* gather: starts the diagnosis beside libnice */
  RpTurnClient *diag;
  gboolean diag_allocated;      /* our client got a relay while libnice was still gathering */
  RpIcePair *pair;
  gboolean reported;
} IceRun;

static gboolean
is_turn (IceRun *t)
{
  return t->srv.target.scheme == RP_SCHEME_TURN || t->srv.target.scheme == RP_SCHEME_TURNS;
}

static void
clear_source (GSource **source)
{
  if (*source != NULL) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

static void
stop_network (IceRun *t)
{
  clear_source (&t->budget);
  clear_source (&t->address_wait);
  clear_source (&t->diag_timer);
  g_clear_pointer (&t->agent, rp_ice_agent_free);
  g_clear_pointer (&t->pair, rp_ice_pair_free);
  g_clear_pointer (&t->diag, rp_turn_client_free);
  g_clear_pointer (&t->bridge, rp_turn_tls_bridge_free);
}

static void
ice_run_free (gpointer data)
{
  IceRun *t = data;

  stop_network (t);
  rp_server_target_clear (&t->srv);
  rp_turn_plan_unref (t->plan);
  plan_unref (t->ice_plan);
  g_free (t->server_ip);
  g_free (t->label);
  g_free (t);
}

static void
report_plan (IceRun *t)
{
  if (t->ice_plan != NULL && !t->reported) {
    t->reported = TRUE;
    RpCheckResult *r = rp_check_get_result (t->check);
    /* A certificate ignored with --insecure is one a browser refuses. */
    plan_report (t->ice_plan, &t->srv.target, t->label,
                 r->status == RP_STATUS_PASS && !rp_explain_tls_untrusted (r));
  }
}

/* Finishes the check and lets go of sockets, agents and relays. */
static void
done (IceRun *t)
{
  if (rp_check_is_finished (t->check))
    return;
  report_plan (t);
  stop_network (t);
  rp_check_finish (t->check);
}

static void
bridge_details (IceRun *t, RpCheckResult *r)
{
  const RpTurnTlsBridgeInfo *bi;

  if (t->bridge == NULL)
    return;
  bi = rp_turn_tls_bridge_get_info (t->bridge);
  rp_check_result_detail_str (
    r, "tls_bridge", "libnice speaks TCP to a loopback bridge that does TLS to the server");
  if (bi->tls_version != NULL) {
    rp_check_result_detail_str (r, "tls_version", bi->tls_version);
    rp_check_result_detail_bool (r, "tls_verified", bi->tls_verified);
    if (!bi->tls_verified)
      rp_check_result_detail_str (r, "tls_verify", rp_tls_verify_tag (bi->tls_verify_result));
  }
  if (bi->failure != NULL)
    rp_check_result_detail_str (r, "tls_bridge_error", bi->failure);
}

/* ---- ice.gather: diagnosis with our own TURN client ---- */

static RpTurnContext
turn_context (IceRun *t)
{
  RpTurnContext ctx = { t->srv.target.transport, t->srv.server_str,
                        rp_turn_plan_get_creds (t->plan),
                        t->diag != NULL ? rp_turn_client_get_realm (t->diag) : NULL };
  return ctx;
}

static void
explain_no_relay (IceRun *t, const char *step, const RpTurnResult *res)
{
  RpCheckResult *r = rp_check_get_result (t->check);
  RpTurnContext ctx = turn_context (t);
  g_autofree char *why = NULL;

  rp_explain_turn_failure (r, step, res, &ctx,
                           rp_stun_client_get_info (rp_turn_client_get_stun (t->diag)));
  why = g_strdup (r->summary);
  rp_check_result_set (r, RP_STATUS_FAIL, "no relay candidate from %s over %s: %s",
                       t->srv.server_str, rp_transport_words (t->srv.target.transport), why);
  rp_check_result_detail_str (r, "diagnosed_by",
                              "rtcprobe's TURN client (libnice reports no TURN errors)");
}

static void record_gather (IceRun *t);

static void
libnice_alone_failed (IceRun *t)
{
  RpCheckResult *r = rp_check_get_result (t->check);

  rp_check_result_set (r, RP_STATUS_FAIL,
                       "no relay candidate from %s over %s, although the server allocates for "
                       "rtcprobe's own TURN client",
                       t->srv.server_str, rp_transport_words (t->srv.target.transport));
  rp_check_result_set_hint (
    r, "the server works with these credentials, but libnice got no relay from it: %s",
    t->bridge != NULL ? "see tls_bridge_error" : "run with G_MESSAGES_DEBUG=libnice to see why");
  done (t);
}

static void
on_diag_allocate (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  IceRun *t = data;

  if (rp_check_is_finished (t->check))
    return;
  if (!res->success) {
    record_gather (t);
    explain_no_relay (t, "Allocate", res);
  } else if (t->agent != NULL) {
    /* Started early and libnice may still get its relay: wait for it. */
    t->diag_allocated = TRUE;
    rp_turn_client_refresh (turn, 0, NULL, NULL);
    return;
  } else {
    rp_turn_client_refresh (turn, 0, NULL, NULL);   /* leave nothing allocated */
    libnice_alone_failed (t);
    return;
  }
  done (t);
}

static void
on_diag_connected (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  IceRun *t = data;

  if (rp_check_is_finished (t->check))
    return;
  if (status != RP_STUN_NET_OK) {
    RpTurnResult res = { .outcome = RP_STUN_TXN_NET, .net = status, .reason = reason };
    record_gather (t);
    explain_no_relay (t, "connect", &res);
    done (t);
    return;
  }
  rp_turn_client_allocate (t->diag, on_diag_allocate, t);
}

static void
diagnose (IceRun *t)
{
  const RpTurnCreds *c = rp_turn_plan_get_creds (t->plan);
  RpStunClient *stun = rp_stun_client_new (
    t->srv.target.transport, G_SOCKET_ADDRESS (t->srv.server), t->srv.target.host, t->srv.tls_ctx,
    t->srv.options.insecure, rp_runner_get_context (rp_check_get_runner (t->check)));

  t->phase = "the diagnosis Allocate";
  /* RFC 8489 6.2.1 with Rc 4, Rm 4: silence is known after 5.5 s. */
  rp_stun_client_set_timer (stun, 500000, 4, 4);
  t->diag = rp_turn_client_new (stun, c->username, c->password);
  rp_stun_client_connect (stun, on_diag_connected, t);
}

/* ---- ice.gather ---- */

/* Gathering time, or the time so far while it goes on. */
static double
gather_ms (IceRun *t)
{
  gint64 us = rp_ice_agent_get_gather_us (t->agent);

  return (us >= 0 ? us : g_get_monotonic_time () - rp_check_get_started_us (t->check)) / 1000.0;
}

/* Candidates of this machine with an IPv6 address (host, srflx or relay). */
static guint
ipv6_count (const GArray *cands)
{
  guint n = 0;

  for (guint i = 0; cands != NULL && i < cands->len; i++)
    if (g_strcmp0 (rp_address_text_family_tag (g_array_index (cands, RpIceCandidate, i).addr),
                   "ipv6") == 0)
      n++;
  return n;
}

/* What the agent gathered so far, as metrics and details. */
static void
record_gather (IceRun *t)
{
  RpCheckResult *r = rp_check_get_result (t->check);
  const GArray *cands;

  if (t->agent == NULL)
    return;
  cands = rp_ice_agent_get_local_candidates (t->agent);
  g_autofree char *list = rp_ice_candidates_describe (cands);
  rp_check_result_metric (r, "host_candidates", rp_ice_candidates_count (cands, RP_ICE_CAND_HOST));
  rp_check_result_metric (r, "srflx_candidates",
                          rp_ice_candidates_count (cands, RP_ICE_CAND_SRFLX));
  rp_check_result_metric (r, "relay_candidates",
                          rp_ice_candidates_count (cands, RP_ICE_CAND_RELAY));
  rp_check_result_metric (r, "ipv6_candidates", ipv6_count (cands));
  rp_check_result_metric (r, "gather_ms", gather_ms (t));
  rp_check_result_detail_str (r, "candidates", list);
  rp_check_result_detail_bool (r, "gathering_complete", rp_ice_agent_get_gather_us (t->agent) >= 0);
  bridge_details (t, r);
}

static void
gather_report (IceRun *t)
{
  RpCheckResult *r = rp_check_get_result (t->check);
  const GArray *cands = rp_ice_agent_get_local_candidates (t->agent);
  guint host = rp_ice_candidates_count (cands, RP_ICE_CAND_HOST);
  guint srflx = rp_ice_candidates_count (cands, RP_ICE_CAND_SRFLX);
  guint relay = rp_ice_candidates_count (cands, RP_ICE_CAND_RELAY);

  clear_source (&t->budget);
  clear_source (&t->diag_timer);
  record_gather (t);
  if (is_turn (t)) {
    if (relay > 0) {
      rp_check_result_set (
        r, RP_STATUS_PASS,
        "%u host, %u srflx, %u relay candidates in %.3f ms; relay through %s over %s", host, srflx,
        relay, gather_ms (t), t->srv.server_str, rp_transport_words (t->srv.target.transport));
      done (t);
      return;
    }
    g_clear_pointer (&t->agent, rp_ice_agent_free);
    if (t->diag_allocated)
      libnice_alone_failed (t);
    else if (t->diag == NULL)
      diagnose (t);
    /* else the diagnosis under way reports */
    return;
  }
  if (srflx > 0) {
    rp_check_result_set (r, RP_STATUS_PASS, "%u host, %u srflx candidates in %.3f ms through %s",
                         host, srflx, gather_ms (t), t->srv.server_str);
  } else {
    /* RFC 8445 5.1.3: a server-reflexive candidate equal to its base is
     * redundant and libnice drops it, so "none" also means "no NAT". */
    rp_check_result_set (r, RP_STATUS_WARN, "no server-reflexive candidate from %s (%u host)",
                         t->srv.server_str, host);
    rp_check_result_set_hint (
      r,
      "either %u/udp to the STUN server gets no answer (see `rtcprobe stun %s`), or this host "
      "has a public address and the reflexive address equals a host candidate",
      t->srv.target.port, t->srv.target.uri);
  }
  done (t);
}

/* No relay yet: start our own client beside libnice. */
static gboolean
on_diag_timer (gpointer data)
{
  IceRun *t = data;

  g_clear_pointer (&t->diag_timer, g_source_unref);
  if (t->diag == NULL && t->agent != NULL &&
      rp_ice_candidates_count (rp_ice_agent_get_local_candidates (t->agent), RP_ICE_CAND_RELAY) ==
        0)
    diagnose (t);
  return G_SOURCE_REMOVE;
}

static gboolean
on_gather_budget (gpointer data)
{
  IceRun *t = data;

  g_clear_pointer (&t->budget, g_source_unref);
  gather_report (t);
  return G_SOURCE_REMOVE;
}

static void
on_agent_gathered (RpIceAgent *agent, gpointer data)
{
  gather_report (data);
}

static const RpIceAgentCallbacks gather_callbacks = { NULL, on_agent_gathered, NULL, NULL };

/* ---- ice.<t>: two agents to a nominated pair ---- */

static void
pair_report (IceRun *t, const RpIcePairResult *res)
{
  RpCheckResult *r = rp_check_get_result (t->check);
  const char *tw = rp_transport_words (t->srv.target.transport);
  g_autofree char *local = NULL;
  g_autofree char *remote = NULL;

  rp_check_result_detail_str (r, "relay_transport",
                              rp_transport_to_string (t->srv.target.transport));
  rp_check_result_detail_str (r, "ice_state", rp_ice_state_to_string (res->state_a));
  rp_check_result_detail_str (r, "ice_state_peer", rp_ice_state_to_string (res->state_b));
  rp_check_result_detail_int (r, "candidates_a", res->signalled_a);
  rp_check_result_detail_int (r, "candidates_b", res->signalled_b);
  if (res->gather_us >= 0)
    rp_check_result_metric (r, "gather_ms", res->gather_us / 1000.0);
  bridge_details (t, r);
  if (res->error != NULL) {
    rp_check_result_set (r, RP_STATUS_FAIL, "ICE could not run: %s", res->error);
    return;
  }
  if (res->phase != RP_ICE_PAIR_GATHERING && res->signalled_a == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "no relay candidate from %s over %s: ICE cannot use this transport",
                         t->srv.server_str, tw);
    rp_check_result_set_hint (
      r, "the TURN allocation failed; see ice.gather.%s for the server's answer",
      rp_transport_to_string (t->srv.target.transport));
    return;
  }
  if (!res->ready) {
    rp_check_result_set (r, RP_STATUS_FAIL, "ICE %s through TURN over %s: state %s (furthest %s)",
                         res->failed ? "failed after connectivity checks" : "did not complete", tw,
                         rp_ice_state_to_string (res->state_a),
                         rp_ice_state_to_string (res->best_a));
    rp_check_result_set_hint (
      r, "the relay candidate exists but no check through it succeeded: the relay cannot "
         "reach the peer. Check denied-peer-ip and allow-loopback-peers in turnserver.conf "
         "(permissions for the peer's address), and that the relay port range (min-port..max-port) "
         "is open on the server");
    return;
  }
  if (res->connect_us >= 0)
    rp_check_result_metric (r, "connect_ms", res->connect_us / 1000.0);
  if (res->have_pair) {
    g_autofree char *l = rp_ice_candidate_describe (&res->local);
    g_autofree char *p = rp_ice_candidate_describe (&res->remote);
    rp_check_result_detail_str (r, "local_type", rp_ice_cand_type_to_string (res->local.type));
    rp_check_result_detail_str (r, "local_transport",
                                rp_ice_cand_transport_to_string (res->local.transport));
    local = rp_host_port_to_string (res->local.addr, res->local.port);
    rp_check_result_detail_str (r, "local_address", local);
    rp_check_result_detail_str (r, "remote_type", rp_ice_cand_type_to_string (res->remote.type));
    rp_check_result_detail_str (r, "remote_transport",
                                rp_ice_cand_transport_to_string (res->remote.transport));
    remote = rp_host_port_to_string (res->remote.addr, res->remote.port);
    rp_check_result_detail_str (r, "remote_address", remote);
    g_autofree char *sel = g_strdup_printf ("%s <-> %s", l, p);
    rp_check_result_detail_str (r, "selected_pair", sel);
    /* Which family media would take: both ends of a pair share it. */
    rp_check_result_detail_str (r, "selected_family", rp_address_text_family_tag (res->local.addr));
  }
  rp_check_result_detail_int (r, "packets_sent", res->sent);
  rp_check_result_detail_int (r, "packets_received", res->received);
  if (res->received == 0) {
    rp_check_result_set (
      r, RP_STATUS_FAIL,
      "ICE connects through TURN over %s, but nothing sent over the selected pair "
      "came back (%u packets)",
      tw, res->sent);
    rp_check_result_set_hint (
      r,
      "connectivity checks pass but data does not: a middlebox or the relay drops data "
      "packets; see relay.%s from `rtcprobe turn`",
      rp_transport_to_string (t->srv.target.transport));
    return;
  }
  rp_check_result_metric (r, "rtt_ms", res->rtt_median_ms);
  rp_check_result_metric (r, "rtt_min_ms", res->rtt_min_ms);
  rp_check_result_metric (r, "rtt_max_ms", res->rtt_max_ms);
  rp_check_result_set (
    r, RP_STATUS_PASS,
    "connected through TURN over %s in %.3f ms: %s %s <-> %s %s, RTT %.3f ms (%u/%u back)", tw,
    res->connect_us / 1000.0, rp_ice_cand_type_to_string (res->local.type),
    local != NULL ? local : "?", rp_ice_cand_type_to_string (res->remote.type),
    remote != NULL ? remote : "?", res->rtt_median_ms, res->received, res->sent);
  if (rp_explain_tls_untrusted (r)) {
    g_autofree char *summary = g_strdup (r->summary);
    rp_check_result_set (r, RP_STATUS_WARN, "%s, but the certificate is not trusted (--insecure): "
                         "browsers refuse this relay", summary);
    rp_check_result_set_hint (r, "the TLS relay works only with certificate verification off; "
                              "see tls_verify");
  }
}

static void
on_pair_done (RpIcePair *pair, gpointer data)
{
  IceRun *t = data;

  if (rp_check_is_finished (t->check))
    return;
  pair_report (t, rp_ice_pair_get_result (pair));
  done (t);
}

/* Gathering through this server takes longer than a call setup can wait
 * (libnice retransmits its Allocate for 15 s): report it now. */
static gboolean
on_pair_budget (gpointer data)
{
  IceRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->check);
  const RpIcePairResult *res = rp_ice_pair_get_result (t->pair);
  const char *tname = rp_transport_to_string (t->srv.target.transport);

  g_clear_pointer (&t->budget, g_source_unref);
  if (res->phase != RP_ICE_PAIR_GATHERING)
    return G_SOURCE_REMOVE;
  pair_report (t, res);
  rp_check_result_set (r, RP_STATUS_FAIL,
                       "no relay candidate from %s over %s within %d s: ICE cannot use this "
                       "transport",
                       t->srv.server_str, rp_transport_words (t->srv.target.transport),
                       (int) (GATHER_BUDGET_US / G_USEC_PER_SEC));
  rp_check_result_set_hint (
    r, "the TURN server does not answer over %s from here; see ice.gather.%s for why", tname,
    tname);
  rp_check_result_detail_str (r, "stalled_in", "gathering");
  done (t);
  return G_SOURCE_REMOVE;
}

/* ---- setup: resolve, bridge, agents ---- */

/* The bridge could not reach the server over TLS: libnice only sees its TCP
 * connection close and would wait out its timers; say it now. */
static void
on_bridge_failed (RpTurnTlsBridge *bridge, gpointer data)
{
  IceRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->check);

  if (rp_check_is_finished (t->check) || t->diag != NULL)
    return;
  if (!t->is_pair) {
    gather_report (t);   /* no relay yet: our own TURN client explains */
    return;
  }
  bridge_details (t, r);
  if (rp_turn_tls_bridge_get_info (bridge)->failure_untrusted) {
    rp_check_result_set (
      r, RP_STATUS_FAIL, "no relay candidate from %s over TLS: the certificate is %s",
      t->srv.server_str,
      rp_tls_verify_phrase (rp_turn_tls_bridge_get_info (bridge)->tls_verify_result));
    rp_check_result_set_hint (r, "%s", rp_turn_tls_bridge_get_info (bridge)->failure);
  } else {
    rp_check_result_set (r, RP_STATUS_FAIL, "no relay candidate from %s over TLS: %s",
                         t->srv.server_str, rp_turn_tls_bridge_get_info (bridge)->failure);
    rp_check_result_set_hint (r, "see ice.gather.tls for the server's answer");
  }
  done (t);
}

static gboolean
add_relay (IceRun *t, RpIceAgent *agent, GError **error)
{
  const RpTurnCreds *c = rp_turn_plan_get_creds (t->plan);
  const char *ip = t->bridge != NULL ? rp_turn_tls_bridge_get_host (t->bridge) : t->server_ip;
  guint16 port = t->bridge != NULL ? rp_turn_tls_bridge_get_port (t->bridge) : t->srv.target.port;
  RpIceRelayTransport rt =
    t->srv.target.transport == RP_TRANSPORT_UDP ? RP_ICE_RELAY_UDP : RP_ICE_RELAY_TCP;

  return rp_ice_agent_add_turn_server (agent, ip, port, rt, c->username, c->password, error);
}

static gboolean
start_ice (IceRun *t, GError **error)
{
  GMainContext *ctx = rp_runner_get_context (rp_check_get_runner (t->check));
  RpIceAgentOptions o = { .loopback_only = t->loopback };

  if (t->srv.target.transport == RP_TRANSPORT_TLS) {
    t->bridge = rp_turn_tls_bridge_new (ctx, t->srv.server, t->srv.target.host, t->srv.tls_ctx,
                                        t->srv.options.insecure, error);
    if (t->bridge == NULL)
      return FALSE;
    rp_turn_tls_bridge_set_fail_func (t->bridge, on_bridge_failed, t);
  }
  t->phase = "gathering";
  if (!t->is_pair) {
    t->agent = rp_ice_agent_new (ctx, &o, &gather_callbacks, t);
    if (is_turn (t) && !add_relay (t, t->agent, error))
      return FALSE;
    /* No STUN server for a TURN URI: libnice takes the server-reflexive
     * candidate from the Allocate answer (XOR-MAPPED-ADDRESS), and a Binding
     * to the same address as the TURN server is swallowed by the relay
     * socket ("incorrectly multiplexed") until it times out. */
    if (!is_turn (t) &&
        !rp_ice_agent_set_stun_server (t->agent, t->server_ip, t->srv.target.port, error))
      return FALSE;
    t->budget = g_timeout_source_new (GATHER_BUDGET_US / 1000);
    g_source_set_callback (t->budget, on_gather_budget, t, NULL);
    g_source_attach (t->budget, ctx);
    if (is_turn (t)) {
      t->diag_timer = g_timeout_source_new (DIAGNOSE_AFTER_US / 1000);
      g_source_set_callback (t->diag_timer, on_diag_timer, t, NULL);
      g_source_attach (t->diag_timer, ctx);
    }
    return rp_ice_agent_gather (t->agent, error);
  } else {
    RpIceAgentOptions a = o, b = o;
    a.relay_only = TRUE;
    b.relay_only = t->relay_only;
    t->pair = rp_ice_pair_new (ctx, &a, &b);
    t->budget = g_timeout_source_new (GATHER_BUDGET_US / 1000);
    g_source_set_callback (t->budget, on_pair_budget, t, NULL);
    g_source_attach (t->budget, ctx);
    if (!add_relay (t, rp_ice_pair_get_agent (t->pair, 0), error)
        || !add_relay (t, rp_ice_pair_get_agent (t->pair, 1), error))
      return FALSE;
    rp_ice_pair_start (t->pair, ECHO_PACKETS, ECHO_INTERVAL_US, ECHO_DRAIN_US, on_pair_done, t);
    return TRUE;
  }
}

static GSocketFamily
server_family (IceRun *t)
{
  return g_inet_address_get_family (g_inet_socket_address_get_address (t->srv.server));
}

static gboolean
has_local_address (IceRun *t)
{
  return rp_ice_has_local_address (server_family (t));
}

/* No address libnice could gather from: this machine's state, not the
 * network's, and the hint must not blame the network. */
static void
no_local_address (IceRun *t)
{
  RpCheckResult *r = rp_check_get_result (t->check);

  rp_check_result_set (r, RP_STATUS_FAIL, "ICE could not start: this machine has no usable %s "
                       "address (no network interface but loopback is up with one; "
                       "waited %.1f s)",
                       server_family (t) == G_SOCKET_FAMILY_IPV6 ? "IPv6" : "IPv4",
                       (g_get_monotonic_time () - t->address_wait_start_us) / 1e6);
  rp_check_result_set_hint (r, "ICE gathers candidates from this machine's own addresses: "
                            "bring the network interface up (or wait for DHCP or address "
                            "configuration) and run again. This says nothing about the network "
                            "or the TURN server");
  rp_check_result_detail_bool (r, "no_local_address", TRUE);
  if (t->ice_plan != NULL)
    t->ice_plan->no_local_address = TRUE;
}

static void
begin_ice (IceRun *t)
{
  RpCheckResult *r = rp_check_get_result (t->check);
  g_autoptr (GError) error = NULL;

  if (t->address_wait_start_us > 0) {
    rp_check_result_metric (r, "local_address_wait_ms",
                            (g_get_monotonic_time () - t->address_wait_start_us) / 1000.0);
    if (!has_local_address (t)) {
      no_local_address (t);
      done (t);
      return;
    }
  }
  if (!start_ice (t, &error)) {
    rp_check_result_set (r, RP_STATUS_FAIL, "%s", error->message);
    done (t);
  }
}

static gboolean
on_address_wait (gpointer data)
{
  IceRun *t = data;
  gint64 waited = g_get_monotonic_time () - t->address_wait_start_us;

  if (!has_local_address (t) && waited < ADDRESS_WAIT_US)
    return G_SOURCE_CONTINUE;
  clear_source (&t->address_wait);
  begin_ice (t);
  return G_SOURCE_REMOVE;
}

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  IceRun *t = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  GList *addrs = NULL;

  switch (rp_check_resolve_finish (check, res, t->srv.target.host, t->srv.options.family, &addrs)) {
  case RP_RESOLVE_LATE:
    return;
  case RP_RESOLVE_FAILED:
    done (t);
    return;
  case RP_RESOLVED:
    break;
  }
  rp_server_target_set_address (&t->srv, addrs->data, t->srv.target.port);
  t->server_ip = g_inet_address_to_string (addrs->data);
  /* A lab server on loopback: libnice must offer loopback host candidates. */
  t->loopback = g_inet_address_get_is_loopback (addrs->data);
  g_resolver_free_addresses (addrs);
  rp_check_result_detail_str (r, "server_address", t->srv.server_str);
  if (!t->loopback && !has_local_address (t)) {
    t->phase = "waiting for a local address";
    t->address_wait_start_us = g_get_monotonic_time ();
    t->address_wait = g_timeout_source_new (ADDRESS_POLL_MS);
    g_source_set_callback (t->address_wait, on_address_wait, t, NULL);
    g_source_attach (t->address_wait, rp_runner_get_context (rp_check_get_runner (check)));
    return;
  }
  begin_ice (t);
}

static void
ice_start (RpCheck *check)
{
  IceRun *t = rp_check_get_state (check);

  t->check = check;
  t->phase = "resolving";
  {
    g_autoptr (GError) error = NULL;
    if (!rp_server_target_prepare_tls (&t->srv, &error)) {
      rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL, "%s", error->message);
      done (t);
      return;
    }
  }
  rp_resolve_async (t->srv.target.host, t->srv.options.family, rp_check_get_cancellable (check),
                    on_resolved, rp_check_ref (check));
}

static void
ice_expire (RpCheck *check)
{
  IceRun *t = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (t->srv.server_str == NULL) {
    rp_explain_deadline (r, t->srv.target.transport, NULL, t->srv.target.port, "", NULL);
  } else if (t->address_wait != NULL) {
    no_local_address (t);
  } else if (t->diag != NULL) {
    /* Our own Allocate stalled: say where, as `turn` would. */
    rp_explain_deadline (r, t->srv.target.transport, t->srv.server_str, t->srv.target.port,
                         "TURN Allocate",
                         rp_stun_client_get_info (rp_turn_client_get_stun (t->diag)));
    rp_check_result_detail_str (r, "diagnosed_by",
                                "rtcprobe's TURN client (libnice reports no TURN errors)");
  } else if (t->pair != NULL) {
    const RpIcePairResult *res = rp_ice_pair_get_result (t->pair);
    pair_report (t, res);
    rp_check_result_set (
      r, RP_STATUS_FAIL,
      "ICE through TURN over %s stalled in %s before the deadline (state %s, furthest %s)",
      rp_transport_words (t->srv.target.transport), rp_ice_pair_phase_to_string (res->phase),
      rp_ice_state_to_string (res->state_a), rp_ice_state_to_string (res->best_a));
    rp_check_result_set_hint (
      r, "%s",
      res->phase == RP_ICE_PAIR_GATHERING
        ? "gathering did not finish: the TURN server does not answer in time (see ice.gather.*)"
        : "connectivity checks did not finish: the relay path drops or delays packets; raise "
          "--timeout to tell");
  } else {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "gathering through %s did not finish before the deadline",
                         t->srv.server_str);
    rp_check_result_set_hint (r, "raise --timeout; the server answers too slowly for a call setup");
  }
  rp_check_result_detail_str (r, "stalled_in", t->phase);
  report_plan (t);
  stop_network (t);
}

static const RpCheckClass ice_class = { ice_start, ice_expire, ice_run_free };

/* ---- adding ---- */

static char *
base_id (const RpTarget *target, gboolean unique)
{
  const char *name =
    target->scheme == RP_SCHEME_STUN ? "stun" : rp_transport_to_string (target->transport);
  g_autofree char *hp = NULL;

  if (unique)
    return g_strdup (name);
  hp = rp_target_hostport (target);
  return g_strdup_printf ("%s@%s", name, hp);
}

static gboolean
id_unique (GPtrArray *all, const RpTarget *t)
{
  guint n = 0;

  for (guint i = 0; i < all->len; i++) {
    const RpTarget *o = g_ptr_array_index (all, i);
    if (o->transport == t->transport &&
        (o->scheme == RP_SCHEME_STUN) == (t->scheme == RP_SCHEME_STUN))
      n++;
  }
  return n <= 1;
}

static void
add_one (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan, const RpTarget *target,
         gboolean pair, gboolean unique, gboolean relay_only, IcePlan *ice_plan)
{
  IceRun *t = g_new0 (IceRun, 1);
  g_autofree char *base = base_id (target, unique);
  g_autofree char *id = g_strdup_printf (pair ? "ice.%s" : "ice.gather.%s", base);

  t->is_pair = pair;
  rp_server_target_init (&t->srv, target, options);
  t->plan = rp_turn_plan_ref (plan);
  t->relay_only = relay_only;
  t->label = g_ascii_strup (base, -1);
  if (ice_plan != NULL)
    t->ice_plan = plan_ref (ice_plan);
  rp_runner_add (runner, rp_check_result_new (id, "ice", target->uri), ICE_TIMEOUT_US, &ice_class,
                 t);
}

void
rp_check_ice_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                  const RpIceOptions *ice)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  IcePlan *p = g_new0 (IcePlan, 1);

  g_atomic_ref_count_init (&p->ref);
  p->outcomes = g_array_new (FALSE, TRUE, sizeof (IceOutcome));
  g_array_set_clear_func (p->outcomes, outcome_clear);
  p->works = g_string_new (NULL);
  p->fails = g_string_new (NULL);
  for (guint i = 0; i < ice->turn->len; i++)
    g_ptr_array_add (all, g_ptr_array_index (ice->turn, i));
  for (guint i = 0; ice->stun != NULL && i < ice->stun->len; i++)
    g_ptr_array_add (all, g_ptr_array_index (ice->stun, i));
  for (guint i = 0; i < all->len; i++) {
    const RpTarget *t = g_ptr_array_index (all, i);
    add_one (runner, options, plan, t, FALSE, id_unique (all, t), ice->relay_only, NULL);
  }
  for (guint i = 0; i < ice->turn->len; i++) {
    const RpTarget *t = g_ptr_array_index (ice->turn, i);
    p->expected++;
    add_one (runner, options, plan, t, TRUE, id_unique (ice->turn, t), ice->relay_only, p);
  }
  /* The verdict check takes the first reference; each ice.<t> holds one. */
  p->verdict = rp_runner_add (runner, rp_check_result_new ("ice.verdict", "ice", ""),
                              ICE_TIMEOUT_US, &verdict_class, p);
}
