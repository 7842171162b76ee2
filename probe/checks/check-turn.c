/* The `turn` checks: for one TURN URI, the whole allocation lifecycle of
 * RFC 8656 over its transport, timed step by step (turn.<t>.allocate), and
 * the relay data path between two allocations of our own (relay.<t>). One
 * state machine drives both results: the relay result is finished by it.
 * When several transports are tested, a verdict says which ones a client on
 * this network can fall back to (turn.verdict). */
#include <sys/socket.h>

#include "probe/checks/checks-network.h"
#include "probe/core/explain.h"
#include "probe/core/resolve.h"
#include "probe/core/server-target.h"
#include "probe/checks/checks-turn.h"
#include "probe/net/relay-pair.h"
#include "probe/net/turn-relay.h"
#include "stun/stun-timer.h"
#include "common/tls-client.h"

#define TURN_TIMEOUT_US (15 * G_USEC_PER_SEC)
#define RELAY_PACKETS 20
#define RELAY_SIZE 172            /* an Opus 20 ms frame with RTP header */
#define RELAY_INTERVAL_US 20000
#define RELAY_DRAIN_US 1000000

typedef struct {
  RpTurnPlan *plan;
  RpServerTarget srv;           /* the server, its TLS context and address */
  guint alternate_hops;
  RpCheck *alloc;               /* the check that owns this state */
  RpCheck *relay;               /* ref */
  RpTurnClient *a;              /* owned here until the pair takes it */
  RpRelayPair *pair;            /* A and a second allocation B, for the relay */
  RpRelayPairConfig pair_config;
  gboolean unauth_allocation;   /* the server allocated without credentials */
  gboolean a_ready;             /* allocated and refreshed */
  gint64 dealloc_start_us;
  RpRelayProbe *probe;
} TurnRun;

static void relay_skip (TurnRun *t, const char *why);
static void connect_a (TurnRun *t);
static void deallocate (TurnRun *t);

static void
turn_run_free (gpointer data)
{
  TurnRun *t = data;

  rp_relay_probe_free (t->probe);
  if (t->pair != NULL)
    rp_relay_pair_free (t->pair);   /* and A with it */
  else
    rp_turn_client_free (t->a);
  g_clear_pointer (&t->relay, rp_check_unref);
  rp_server_target_clear (&t->srv);
  rp_turn_plan_unref (t->plan);
  g_free (t);
}

static RpTurnContext
context_of (TurnRun *t)
{
  RpTurnContext ctx = { t->srv.target.transport, t->srv.server_str,
                        rp_turn_plan_get_creds (t->plan),
                        t->a != NULL ? rp_turn_client_get_realm (t->a) : NULL };
  return ctx;
}

static void
done_alloc (TurnRun *t)
{
  if (!rp_check_is_finished (t->relay))
    return;   /* the allocation result waits for the relay to deallocate */
  rp_turn_plan_transport_done (t->plan, &t->srv.target, rp_check_get_result (t->alloc),
                               rp_check_get_result (t->relay));
  rp_check_finish (t->alloc);
}

static void
fail_alloc (TurnRun *t, const char *step, const RpTurnResult *res, RpTurnClient *who)
{
  RpTurnContext ctx = context_of (t);

  rp_explain_turn_failure (rp_check_get_result (t->alloc), step, res, &ctx,
                           rp_stun_client_get_info (rp_turn_client_get_stun (who)));
  /* Leave nothing allocated on the server (the answers find a finished check). */
  if (t->pair != NULL)
    rp_relay_pair_deallocate (t->pair, NULL, NULL);
  relay_skip (t, "no allocation to relay through");
  done_alloc (t);
}

static void
relay_skip (TurnRun *t, const char *why)
{
  if (rp_check_is_finished (t->relay))
    return;
  rp_check_result_set (rp_check_get_result (t->relay), RP_STATUS_SKIP, "relay not tested: %s", why);
  rp_check_finish (t->relay);
}

/* ---- deallocation: Refresh with LIFETIME 0 (RFC 8656 7.2) ---- */

static void
alloc_passed (TurnRun *t)
{
  RpCheckResult *r = rp_check_get_result (t->alloc);
  RpStunAddress relayed;
  char buf[64];

  rp_turn_client_get_relayed (t->a, &relayed);
  if (t->unauth_allocation) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "the server hands out relays without credentials (relayed %s)",
                         rp_stun_address_to_string (&relayed, buf, sizeof buf));
    rp_check_result_set_hint (
      r, "anyone can relay traffic through this server, including into its own network: "
         "enable lt-cred-mech or use-auth-secret (with static-auth-secret) in turnserver.conf");
    return;
  }
  if (rp_check_result_get_detail (r, "deallocate_error") != NULL)
    return;   /* already explained */
  rp_check_result_set (r, RP_STATUS_PASS,
                       "allocation lifecycle over %s works; relayed %s, allocate %.3f ms",
                       rp_transport_words (t->srv.target.transport),
                       rp_stun_address_to_string (&relayed, buf, sizeof buf),
                       rp_check_result_get_metric (r, "allocate_ms")->value);
  if (t->alternate_hops > 0) {
    /* RFC 8656 7.1 / RFC 8489 10: the server sent us elsewhere; say where. */
    g_autofree char *summary = g_strdup (r->summary);
    rp_check_result_set (r, RP_STATUS_PASS, "%s (redirected by 300 Try Alternate from %s to %s)",
                         summary, rp_check_result_get_detail (r, "redirected_from")->str,
                         t->srv.server_str);
  }
  if (rp_explain_tls_untrusted (r)) {
    /* Works here only because --insecure ignored the certificate. */
    g_autofree char *summary = g_strdup (r->summary);
    const RpStunClientInfo *info = rp_stun_client_get_info (rp_turn_client_get_stun (t->a));
    g_autofree char *why = rp_tls_verify_reason (info->tls_verify_result, t->srv.target.host);
    rp_check_result_set (r, RP_STATUS_WARN, "%s, but the certificate is not trusted (--insecure): "
                         "browsers refuse this relay", summary);
    rp_check_result_set_hint (r, "%s", why);
  }
}

static void
dealloc_done (TurnRun *t, gboolean ok, const char *step, const RpTurnResult *res, RpTurnClient *who)
{
  RpCheckResult *r = rp_check_get_result (t->alloc);

  if (rp_check_is_finished (t->alloc))
    return;
  rp_check_result_metric (r, "deallocate_ms",
                          (g_get_monotonic_time () - t->dealloc_start_us) / 1000.0);
  if (!ok && res != NULL) {
    RpTurnContext ctx = context_of (t);
    rp_explain_turn_failure (r, step, res, &ctx,
                             rp_stun_client_get_info (rp_turn_client_get_stun (who)));
    r->status = RP_STATUS_WARN;
    rp_check_result_detail_bool (r, "deallocate_error", TRUE);
  }
  alloc_passed (t);
  done_alloc (t);
}

static void
on_pair_dealloc (RpRelayPair *pair, gboolean ok, const char *step, const RpTurnResult *res,
                 RpTurnClient *who, gpointer data)
{
  dealloc_done (data, ok, step, res, who);
}

static void
on_a_dealloc (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  dealloc_done (data, rp_relay_dealloc_succeeded (res), "Refresh(LIFETIME=0)", res, turn);
}

/* RFC 8656 7: a Refresh with LIFETIME 0 deletes the allocation. */
static void
deallocate (TurnRun *t)
{
  t->dealloc_start_us = g_get_monotonic_time ();
  if (t->pair != NULL)
    rp_relay_pair_deallocate (t->pair, on_pair_dealloc, t);
  else
    rp_turn_client_refresh (t->a, 0, on_a_dealloc, t);
}

/* ---- the relay: permissions, channels, data ---- */

/* Loss per direction: out = sent but never echoed by the far allocation;
 * back = echoed but never received, out of those that reached the far end. */
static void
relay_loss (const RpRelayStats *st, double *out_pct, double *back_pct)
{
  guint echoed = MIN (st->echoed, st->sent), received = MIN (st->received, echoed);

  *out_pct = st->sent > 0 ? 100.0 * (st->sent - echoed) / st->sent : 100.0;
  *back_pct = echoed > 0 ? 100.0 * (echoed - received) / echoed : 0.0;
}

/* Echoes came back, so the relay forwards: loss on it is a finding about
 * voice quality, not a broken transport. Clients do not leave a working UDP
 * relay because of loss (ICE picks pairs by connectivity, not by loss). */
static void
relay_lossy (RpCheckResult *r, const RpRelayStats *st, double loss, double out, double back)
{
  const char *where = out > 0 && back > 0 ? "both ways"
                       : out > 0 ? "on the way out (this network or the relay)" : "on the way back";

  rp_check_result_set (r, RP_STATUS_WARN, "the relay forwards, with loss: %u of %u packets back "
                       "(%.1f %% lost: %.1f %% out, %.1f %% back), RTT %.3f ms", st->received,
                       st->sent, loss, out, back, st->rtt_median_ms);
  rp_check_result_set_hint (r, "packets are lost %s. The relay works, and clients stay on it "
                            "despite the loss rather than fall back to another transport: measure "
                            "what it does to calls with `rtcprobe voice` (%u packets are too few "
                            "to judge voice quality)", where, st->sent);
}

static void
on_relay_done (RpRelayProbe *probe, gpointer data)
{
  TurnRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->relay);
  RpRelayStats st;
  double loss, out, back;

  rp_relay_probe_get_stats (probe, &st);
  loss = st.sent > 0 ? 100.0 * (st.sent - st.received) / st.sent : 100.0;
  relay_loss (&st, &out, &back);
  rp_check_result_detail_int (r, "packets_sent", st.sent);
  rp_check_result_detail_int (r, "packets_received", st.received);
  rp_check_result_detail_int (r, "packets_echoed", st.echoed);
  rp_check_result_metric (r, "loss_pct", loss);
  if (st.received > 0) {
    rp_check_result_metric (r, "loss_pct_out", out);
    rp_check_result_metric (r, "loss_pct_back", back);
    rp_check_result_metric (r, "rtt_ms", st.rtt_median_ms);
    rp_check_result_metric (r, "rtt_min_ms", st.rtt_min_ms);
    rp_check_result_metric (r, "rtt_max_ms", st.rtt_max_ms);
  }
  if (st.received == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL, "the relay does not forward: 0 of %u packets came back",
                         st.sent);
    if (st.echoed == 0)
      rp_check_result_set_hint (
        r, "permissions and channels were accepted, but nothing sent through one relayed "
           "address reached the other: the server cannot reach its own relay addresses. Check "
           "relay-ip and external-ip in turnserver.conf (behind NAT, external-ip must map the "
           "public address to the private one) and that the relay port range is open");
    else
      rp_check_result_set_hint (
        r,
        "data reached the far allocation but the echo never came back: the return path "
        "through the relay is blocked (relay port range min-port..max-port in the security list?)");
  } else if (st.received < st.sent) {
    relay_lossy (r, &st, loss, out, back);
  } else {
    rp_check_result_set (r, RP_STATUS_PASS,
                         "the relay forwards both ways: %u of %u packets back, RTT %.3f ms "
                         "(min %.3f, max %.3f)",
                         st.received, st.sent, st.rtt_median_ms, st.rtt_min_ms, st.rtt_max_ms);
  }
  rp_check_finish (t->relay);
  deallocate (t);
}

static void
on_pair_ready (RpRelayPair *pair, gboolean ok, const char *step, const RpTurnResult *res,
               RpTurnClient *who, gpointer data)
{
  TurnRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->relay);

  if (rp_check_is_finished (t->relay))
    return;
  if (rp_relay_pair_permission_us (pair) > 0)
    rp_check_result_metric (r, "permission_ms", rp_relay_pair_permission_us (pair) / 1000.0);
  if (rp_relay_pair_channel_bind_us (pair) > 0)
    rp_check_result_metric (r, "channel_bind_ms", rp_relay_pair_channel_bind_us (pair) / 1000.0);
  if (!ok) {
    RpTurnContext ctx = context_of (t);
    rp_explain_turn_failure (r, step, res, &ctx,
                             rp_stun_client_get_info (rp_turn_client_get_stun (who)));
    if (g_str_equal (step, "Allocate")) {
      /* The first allocation worked; say the failure is the second one's. */
      g_autofree char *summary = g_strdup (r->summary);
      rp_check_result_set (r, RP_STATUS_FAIL, "a second allocation failed: %s", summary);
    }
    rp_check_finish (t->relay);
    deallocate (t);
    return;
  }
  {
    RpStunAddress ra, rb;
    char buf[64];
    rp_turn_client_get_relayed (rp_relay_pair_get_a (pair), &ra);
    rp_turn_client_get_relayed (rp_relay_pair_get_b (pair), &rb);
    rp_check_result_detail_str (r, "relayed_a", rp_stun_address_to_string (&ra, buf, sizeof buf));
    rp_check_result_detail_str (r, "relayed_b", rp_stun_address_to_string (&rb, buf, sizeof buf));
  }
  t->probe = rp_relay_probe_start (
    rp_relay_pair_get_a (pair), RP_RELAY_CHANNEL_A, rp_relay_pair_get_b (pair), RP_RELAY_CHANNEL_B,
    RELAY_PACKETS, RELAY_SIZE, RELAY_INTERVAL_US, RELAY_DRAIN_US,
    rp_runner_get_context (rp_check_get_runner (t->alloc)), on_relay_done, t);
}

/* A is allocated and refreshed: a second allocation B, and each admits and
 * binds a channel to the other (relay-pair.c). */
static void
start_relay (TurnRun *t)
{
  RpRelayPairConfig *c = &t->pair_config;

  c->transport = t->srv.target.transport;
  c->server = G_SOCKET_ADDRESS (t->srv.server);
  c->host = t->srv.target.host;
  c->tls_ctx = t->srv.tls_ctx;
  c->insecure = t->srv.options.insecure;
  c->creds = rp_turn_plan_get_creds (t->plan);
  c->context = rp_runner_get_context (rp_check_get_runner (t->alloc));
  t->pair = rp_relay_pair_new (c, t->a);
  rp_relay_pair_start (t->pair, on_pair_ready, t);
}

static RpTurnClient *
new_turn_client (TurnRun *t)
{
  const RpTurnCreds *c = rp_turn_plan_get_creds (t->plan);
  RpStunClient *stun = rp_stun_client_new (
    t->srv.target.transport, G_SOCKET_ADDRESS (t->srv.server), t->srv.target.host, t->srv.tls_ctx,
    t->srv.options.insecure, rp_runner_get_context (rp_check_get_runner (t->alloc)));

  rp_stun_client_set_timer (stun, RP_STUN_DEFAULT_RTO_US, RP_STUN_PROBE_RC, RP_STUN_PROBE_RM);
  return rp_turn_client_new (stun, c->username, c->password);
}

/* ---- the first allocation: the lifecycle ---- */

static void
on_refresh (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  TurnRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->alloc);

  if (rp_check_is_finished (t->alloc))
    return;
  if (res->outcome == RP_STUN_TXN_RESPONSE)
    rp_check_result_metric (r, "refresh_ms", res->rtt_us / 1000.0);
  if (!res->success) {
    fail_alloc (t, "Refresh", res, t->a);
    return;
  }
  rp_check_result_metric (r, "refreshed_lifetime_s", rp_turn_client_get_lifetime (turn));
  t->a_ready = TRUE;
  start_relay (t);
}

static void
on_allocate (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  TurnRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->alloc);
  RpStunAddress addr;
  char buf[64];

  if (rp_check_is_finished (t->alloc))
    return;
  if (res->outcome == RP_STUN_TXN_RESPONSE)
    rp_check_result_metric (r, "allocate_ms", res->rtt_us / 1000.0);
  rp_check_result_detail_int (r, "stale_nonce_retries", res->stale_nonce_retries);
  if (rp_turn_client_get_software (turn) != NULL)
    rp_check_result_detail_str (r, "server_software", rp_turn_client_get_software (turn));
  if (!res->success) {
    fail_alloc (t, "Allocate", res, turn);
    return;
  }
  if (rp_turn_client_get_relayed (turn, &addr))
    rp_check_result_detail_str (r, "relayed_address",
                                rp_stun_address_to_string (&addr, buf, sizeof buf));
  if (rp_turn_client_get_mapped (turn, &addr))
    rp_check_result_detail_str (r, "mapped_address",
                                rp_stun_address_to_string (&addr, buf, sizeof buf));
  rp_check_result_metric (r, "lifetime_s", rp_turn_client_get_lifetime (turn));
  rp_turn_client_refresh (turn, 600, on_refresh, t);
}

static void
on_unauthenticated (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  TurnRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->alloc);
  const RpTurnCreds *c = rp_turn_plan_get_creds (t->plan);

  if (rp_check_is_finished (t->alloc))
    return;
  /* Step times only for answers: silence or a broken connection took none. */
  if (res->outcome == RP_STUN_TXN_RESPONSE)
    rp_check_result_metric (r, "unauthenticated_ms", res->rtt_us / 1000.0);
  rp_check_result_detail_int (r, "retransmissions", res->retransmissions);
  if (rp_turn_client_get_software (turn) != NULL)
    rp_check_result_detail_str (r, "server_software", rp_turn_client_get_software (turn));
  if (res->success) {
    /* RFC 8656 7.1 expects a challenge; this server gave a relay away. */
    t->unauth_allocation = TRUE;
    rp_check_result_detail_bool (r, "unauthenticated_allocation", TRUE);
    on_allocate (turn, res, t);
    return;
  }
  if (res->outcome == RP_STUN_TXN_RESPONSE && res->error_code == RP_TURN_ERR_TRY_ALTERNATE) {
    RpStunAddress alt;
    char buf[64];
    if (t->alternate_hops == 0 && rp_turn_client_get_alternate (turn, &alt)) {
      g_autoptr (GInetAddress) ip = g_inet_address_new_from_bytes (
        alt.addr, alt.family == AF_INET6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
      rp_check_result_detail_str (r, "alternate_server",
                                  rp_stun_address_to_string (&alt, buf, sizeof buf));
      rp_check_result_detail_str (r, "redirected_from", t->srv.server_str);
      t->alternate_hops++;
      rp_server_target_set_address (&t->srv, ip, alt.port);
      g_clear_pointer (&t->a, rp_turn_client_free);
      connect_a (t);
      return;
    }
  }
  if (res->outcome == RP_STUN_TXN_RESPONSE && res->error_code == RP_TURN_ERR_UNAUTHORIZED) {
    if (rp_turn_client_get_realm (turn) == NULL) {
      RpTurnResult bad = *res;
      bad.outcome = RP_STUN_TXN_MALFORMED;
      bad.reason = "401 without REALM and NONCE: clients cannot authenticate";
      fail_alloc (t, "Allocate", &bad, turn);
      return;
    }
    rp_check_result_detail_str (r, "realm", rp_turn_client_get_realm (turn));
    if (c->kind == RP_CREDS_NONE) {
      fail_alloc (t, "Allocate", res, turn);
      return;
    }
    rp_turn_client_allocate (turn, on_allocate, t);
    return;
  }
  fail_alloc (t, "Allocate", res, turn);
}

static void
on_a_connected (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  TurnRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->alloc);
  const RpStunClientInfo *info = rp_stun_client_get_info (client);

  if (rp_check_is_finished (t->alloc))
    return;
  if (t->srv.target.transport != RP_TRANSPORT_UDP && info->connect_us > 0)
    rp_check_result_metric (r, "connect_ms", info->connect_us / 1000.0);
  if (info->tcp_rtt_us > 0)
    rp_check_result_metric (r, "handshake_rtt_ms", info->tcp_rtt_us / 1000.0);
  rp_explain_tls_details (r, info, t->srv.options.insecure);
  if (status != RP_STUN_NET_OK) {
    RpTurnResult res = { .outcome = RP_STUN_TXN_NET, .net = status, .reason = reason };
    fail_alloc (t, "connect", &res, t->a);
    return;
  }
  rp_check_result_detail_str (r, "local_address", info->local_address);
  rp_turn_client_probe_unauthenticated (t->a, on_unauthenticated, t);
}

static void
connect_a (TurnRun *t)
{
  rp_check_result_detail_str (rp_check_get_result (t->alloc), "server_address", t->srv.server_str);
  rp_check_result_detail_str (rp_check_get_result (t->alloc), "family",
                              rp_address_text_family_tag (t->srv.server_str));
  t->a = new_turn_client (t);
  rp_stun_client_connect (rp_turn_client_get_stun (t->a), on_a_connected, t);
}

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  TurnRun *t = rp_check_get_state (check);
  GList *addrs = NULL;

  switch (rp_check_resolve_finish (check, res, t->srv.target.host, t->srv.options.family, &addrs)) {
  case RP_RESOLVE_LATE:
    return;
  case RP_RESOLVE_FAILED:
    relay_skip (t, "the TURN server's name does not resolve");
    done_alloc (t);
    return;
  case RP_RESOLVED:
    break;
  }
  rp_server_target_set_address (&t->srv, addrs->data, t->srv.target.port);
  g_resolver_free_addresses (addrs);
  connect_a (t);
}

static void
turn_start (RpCheck *check)
{
  TurnRun *t = rp_check_get_state (check);

  t->alloc = check;
  {
    g_autoptr (GError) error = NULL;
    if (!rp_server_target_prepare_tls (&t->srv, &error)) {
      rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL, "%s", error->message);
      relay_skip (t, "TLS could not be set up");
      done_alloc (t);
      return;
    }
  }
  rp_resolve_async (t->srv.target.host, t->srv.options.family, rp_check_get_cancellable (check),
                    on_resolved, rp_check_ref (check));
}

static void
turn_expire (RpCheck *check)
{
  TurnRun *t = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (t->a_ready) {
    /* Everything that matters answered; only the deallocation is missing. */
    alloc_passed (t);
    rp_check_result_detail_bool (r, "deallocate_unanswered", TRUE);
  } else {
    rp_explain_deadline (
      r, t->srv.target.transport, t->srv.server_str, t->srv.target.port, "TURN Allocate",
      t->a != NULL ? rp_stun_client_get_info (rp_turn_client_get_stun (t->a)) : NULL);
  }
  if (!rp_check_is_finished (t->relay)) {
    if (!t->a_ready) {
      relay_skip (t, "no allocation to relay through");
    } else {
      RpCheckResult *rr = rp_check_get_result (t->relay);
      rp_check_result_set (rr, RP_STATUS_FAIL, "the relay test did not finish before the deadline");
      rp_check_result_set_hint (
        rr, "the allocations work but the data path stalled: see relay details for the last step");
      rp_check_finish (t->relay);
    }
  }
  rp_turn_plan_transport_done (t->plan, &t->srv.target, r, rp_check_get_result (t->relay));
}

static const RpCheckClass turn_class = { turn_start, turn_expire, turn_run_free };

/* The relay result is finished by the allocation's state machine. */
static void relay_start (RpCheck *check) {}

static void
relay_expire (RpCheck *check)
{
  rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL,
                       "the relay test did not finish before the deadline");
  rp_check_result_set_hint (rp_check_get_result (check),
                            "raise --timeout, or see the allocation result for what stalled");
}

static const RpCheckClass relay_class = { relay_start, relay_expire, NULL };

void
rp_check_turn_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                   const RpTarget *target, gboolean ids_unique)
{
  TurnRun *t = g_new0 (TurnRun, 1);
  g_autofree char *base = NULL;
  g_autofree char *alloc_id = NULL;
  g_autofree char *relay_id = NULL;
  const char *tname = rp_transport_to_string (target->transport);

  t->plan = rp_turn_plan_ref (plan);
  rp_server_target_init (&t->srv, target, options);
  if (ids_unique) {
    base = g_strdup (tname);
  } else {
    g_autofree char *hp = rp_target_hostport (target);
    base = g_strdup_printf ("%s@%s", tname, hp);
  }
  alloc_id = g_strdup_printf ("turn.%s.allocate", base);
  relay_id = g_strdup_printf ("relay.%s", base);
  rp_turn_plan_expect (plan);
  /* Checks start from the loop, so the relay result exists before the
   * allocation's state machine first runs. */
  rp_runner_add (runner, rp_check_result_new (alloc_id, "turn", target->uri), TURN_TIMEOUT_US,
                 &turn_class, t);
  t->relay =
    rp_check_ref (rp_runner_add (runner, rp_check_result_new (relay_id, "relay", target->uri),
                                 TURN_TIMEOUT_US, &relay_class, NULL));
}

void
rp_check_turn_family_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                          GPtrArray *targets, gboolean audit)
{
  guint per_transport[3] = { 0, 0, 0 };

  for (guint i = 0; i < targets->len; i++)
    per_transport[((RpTarget *) g_ptr_array_index (targets, i))->transport]++;
  for (guint i = 0; i < targets->len; i++) {
    const RpTarget *t = g_ptr_array_index (targets, i);
    rp_check_turn_add (runner, options, plan, t, per_transport[t->transport] == 1);
  }
  if (targets->len > 1)
    rp_turn_plan_add_verdict (plan, runner, options->timeout_us);
  if (audit)
    rp_check_turn_audit_add (runner, options, plan, targets);
}
