/* The relayed address families of a TURN server, per transport: an IPv6
 * relay (turn.<t>.ipv6: two allocations with REQUESTED-ADDRESS-FAMILY IPv6,
 * RFC 6156 / RFC 8656 7.1 and 18.6, that admit and bind each other, and
 * packets forwarded between them over IPv6, so a peer with only an IPv6
 * address is reachable through the relay) and a dual allocation
 * (turn.<t>.dual: ADDITIONAL-ADDRESS-FAMILY, RFC 8656 7.3 and 18.11, one
 * relayed address per family, or one and ADDRESS-ERROR-CODE, 18.12).
 * A server that deliberately relays IPv4 only answers 440: by default that
 * is a skip with the reason, a fail only when --relay-family asked for it.
 * Every allocation is deleted before the result is final. */
#include <sys/socket.h>

#include "probe/checks/checks-turn.h"
#include "probe/core/explain.h"
#include "probe/core/resolve.h"
#include "probe/core/server-target.h"
#include "probe/net/relay-pair.h"
#include "probe/net/turn-relay.h"
#include "stun/stun-timer.h"

#define FAMILY_TIMEOUT_US (15 * G_USEC_PER_SEC)
#define RELAY_PACKETS 20
#define RELAY_SIZE 172            /* an Opus 20 ms frame with RTP header, as relay.<t> */
#define RELAY_INTERVAL_US 20000
#define RELAY_DRAIN_US 1000000

typedef struct {
  RpTurnPlan *plan;
  RpServerTarget srv;
  RpTurnFamily family;          /* IPV6: the relay pair; DUAL: one allocation */
  gboolean required;            /* a missing family fails instead of skipping */
  gboolean where_ipv6;          /* skip unless the server publishes an IPv6 address */
  RpCheck *check;
  RpTurnClient *a;              /* DUAL */
  RpRelayPair *pair;            /* IPV6 */
  RpRelayPairConfig pair_config;
  RpRelayProbe *probe;
  gboolean settled;             /* the result is written; only the deallocation is missing */
} FamilyRun;

static void
family_run_free (gpointer data)
{
  FamilyRun *t = data;

  rp_relay_probe_free (t->probe);
  if (t->pair != NULL)
    rp_relay_pair_free (t->pair);
  rp_turn_client_free (t->a);
  rp_server_target_clear (&t->srv);
  rp_turn_plan_unref (t->plan);
  g_free (t);
}

static RpTurnContext
context_of (FamilyRun *t, RpTurnClient *who)
{
  RpTurnContext ctx = { t->srv.target.transport, t->srv.server_str,
                        rp_turn_plan_get_creds (t->plan),
                        who != NULL ? rp_turn_client_get_realm (who) : NULL };
  return ctx;
}

static const char *
what_of (FamilyRun *t)
{
  return t->family == RP_TURN_FAMILY_DUAL ? "a dual (IPv4 and IPv6) allocation" : "an IPv6 relay";
}

/* The server has no relay of the family (440, or an answer without it):
 * skip, or fail when the operator asked for that family. */
static void
family_missing (FamilyRun *t, const char *how, guint code, const char *reason)
{
  RpCheckResult *r = rp_check_get_result (t->check);
  const char *option = t->family == RP_TURN_FAMILY_DUAL ? "dual" : "ipv6";
  g_autofree char *consequence =
    t->required ? g_strdup ("--relay-family asked for it, so this fails")
                : g_strdup_printf ("--relay-family %s makes this a failure where IPv6 relaying "
                                   "is required", option);

  if (code == 0) {
    /* A dual request answered with IPv4 alone, and nothing said about IPv6:
     * no dual allocation, which says nothing about IPv6 relaying itself. */
    rp_check_result_detail_bool (r, "dual_allocation", FALSE);
    rp_check_result_set (r, t->required ? RP_STATUS_FAIL : RP_STATUS_SKIP,
                         "no dual allocation over %s: %s",
                         rp_transport_words (t->srv.target.transport), how);
  } else {
    rp_check_result_detail_bool (r, "ipv6_relay", FALSE);
    rp_check_result_detail_int (r, "error_code", code);
    rp_check_result_detail_str (r, "error_reason", reason != NULL ? reason : "");
    rp_check_result_set (r, t->required ? RP_STATUS_FAIL : RP_STATUS_SKIP,
                         "no IPv6 relay over %s: %s%s",
                         rp_transport_words (t->srv.target.transport), how,
                         t->required ? "" : " (fine if the server relays IPv4 only on purpose)");
  }
  if (code == 0) {
    /* It may still relay IPv6 when asked for IPv6 alone: turn.<t>.ipv6 says. */
    rp_check_result_set_hint (
      r, "the server does not implement dual allocation (RFC 8656 7.3): a client that asks for "
         "both families gets an IPv4 relay only and must allocate again for IPv6. turn.%s.ipv6 "
         "says whether it has an IPv6 relay at all. coturn (4.6) implements dual allocation "
         "when it has a relay-ip of each family, under the attribute's pre-RFC code point, which "
         "rtcprobe sends only to a server that names itself coturn in SOFTWARE (coturn's "
         "no-software-attribute hides that). %s",
      rp_transport_to_string (t->srv.target.transport), consequence);
    return;
  }
  rp_check_result_set_hint (
    r, "the server has no relay address of the IPv6 family, so calls cannot reach peers that "
       "have only IPv6 addresses (IPv6-only mobile networks) through it; IPv4 relaying is not "
       "affected. coturn hands out an IPv6 relay only when it has a relay-ip of that family: add "
       "relay-ip=<the server's IPv6 address> in turnserver.conf (with listening-ip for it, or "
       "listening-ip/relay-ip pairs, one per family; behind NAT also external-ip for it). %s",
    consequence);
}

/* ---- the end: deallocate, then finish ---- */

static void
finish_now (FamilyRun *t)
{
  if (!rp_check_is_finished (t->check))
    rp_check_finish (t->check);
}

static void
on_pair_dealloc (RpRelayPair *pair, gboolean ok, const char *step, const RpTurnResult *res,
                 RpTurnClient *who, gpointer data)
{
  FamilyRun *t = data;

  if (rp_check_is_finished (t->check))
    return;
  if (!ok)
    rp_check_result_detail_bool (rp_check_get_result (t->check), "deallocate_error", TRUE);
  finish_now (t);
}

static void
on_a_dealloc (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  FamilyRun *t = data;

  if (rp_check_is_finished (t->check))
    return;
  if (!rp_relay_dealloc_succeeded (res))
    rp_check_result_detail_bool (rp_check_get_result (t->check), "deallocate_error", TRUE);
  finish_now (t);
}

/* RFC 8656 7: a Refresh with LIFETIME 0 deletes what was allocated. */
static void
settle (FamilyRun *t)
{
  RpStunAddress unused;

  t->settled = TRUE;
  if (t->pair != NULL) {
    rp_relay_pair_deallocate (t->pair, on_pair_dealloc, t);
  } else if (t->a != NULL && rp_turn_client_get_relayed (t->a, &unused)) {
    rp_turn_client_refresh (t->a, 0, on_a_dealloc, t);
  } else {
    finish_now (t);
  }
}

static void
explain_failure (FamilyRun *t, const char *step, const RpTurnResult *res, RpTurnClient *who)
{
  RpCheckResult *r = rp_check_get_result (t->check);
  RpTurnContext ctx = context_of (t, who);
  g_autofree char *summary = NULL;

  rp_explain_turn_failure (r, step, res, &ctx,
                           who != NULL ? rp_stun_client_get_info (rp_turn_client_get_stun (who))
                                       : NULL);
  summary = g_strdup (r->summary);
  rp_check_result_set (r, RP_STATUS_FAIL, "%s over %s: %s", what_of (t),
                       rp_transport_words (t->srv.target.transport), summary);
}

/* Failures that are not about the address family: no answer, a broken
 * connection, credentials refused, a redirection. turn.<t>.allocate reports them for the
 * transport; here they leave the family untested. */
static gboolean
not_about_family (const RpTurnResult *res)
{
  if (res->outcome == RP_STUN_TXN_TIMEOUT || res->outcome == RP_STUN_TXN_NET)
    return TRUE;
  if (res->outcome != RP_STUN_TXN_RESPONSE)
    return FALSE;
  /* 300: the server sends clients elsewhere; turn.<t>.allocate follows it */
  return res->error_code == RP_TURN_ERR_UNAUTHORIZED ||
         res->error_code == RP_TURN_ERR_WRONG_CREDENTIALS ||
         res->error_code == RP_TURN_ERR_TRY_ALTERNATE;
}

static void
not_tested (FamilyRun *t, const char *step, const RpTurnResult *res, RpTurnClient *who)
{
  RpCheckResult *r = rp_check_get_result (t->check);
  RpTurnContext ctx = context_of (t, who);
  g_autofree char *summary = NULL;

  rp_explain_turn_failure (r, step, res, &ctx,
                           who != NULL ? rp_stun_client_get_info (rp_turn_client_get_stun (who))
                                       : NULL);
  summary = g_strdup (r->summary);
  rp_check_result_set (r, RP_STATUS_SKIP, "%s not tested (%s); turn.%s.allocate reports the "
                       "transport", what_of (t), summary,
                       rp_transport_to_string (t->srv.target.transport));
}

/* ---- IPv6: two IPv6 relays and the data path between them ---- */

static void
on_relay_done (RpRelayProbe *probe, gpointer data)
{
  FamilyRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->check);
  const char *tw = rp_transport_words (t->srv.target.transport);
  RpRelayStats st;
  double loss;

  if (rp_check_is_finished (t->check))
    return;
  rp_relay_probe_get_stats (probe, &st);
  loss = st.sent > 0 ? 100.0 * (st.sent - MIN (st.received, st.sent)) / st.sent : 100.0;
  rp_check_result_detail_int (r, "packets_sent", st.sent);
  rp_check_result_detail_int (r, "packets_received", st.received);
  rp_check_result_detail_int (r, "packets_echoed", st.echoed);
  rp_check_result_metric (r, "loss_pct", loss);
  if (st.received > 0) {
    rp_check_result_metric (r, "rtt_ms", st.rtt_median_ms);
    rp_check_result_metric (r, "rtt_min_ms", st.rtt_min_ms);
    rp_check_result_metric (r, "rtt_max_ms", st.rtt_max_ms);
  }
  if (st.received == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL, "the IPv6 relay over %s does not forward: 0 of %u "
                         "packets came back", tw, st.sent);
    rp_check_result_set_hint (
      r, "IPv6 relays are allocated and their permissions and channels accepted, but %s: check "
         "that the IPv6 relay-ip is an address of this host that the host can reach (no firewall "
         "rule for ip6 on min-port..max-port, behind NAT an external-ip for the IPv6 relay)",
      st.echoed == 0 ? "nothing sent through one reached the other"
                     : "the echo never came back through the relay");
  } else if (st.received < st.sent) {
    rp_check_result_set (r, RP_STATUS_WARN, "the IPv6 relay over %s forwards, with loss: %u of "
                         "%u packets back (%.1f %% lost), RTT %.3f ms", tw, st.received, st.sent,
                         loss, st.rtt_median_ms);
    rp_check_result_set_hint (r, "packets relayed over IPv6 are lost; compare with relay.<t> over "
                              "IPv4 and measure calls with `rtcprobe voice`");
  } else {
    rp_check_result_set (r, RP_STATUS_PASS, "IPv6 relay over %s works: relayed %s, %u of %u "
                         "packets forwarded to an IPv6 peer and back, RTT %.3f ms", tw,
                         rp_check_result_get_detail (r, "relayed_address")->str, st.received,
                         st.sent, st.rtt_median_ms);
  }
  settle (t);
}

static void
on_pair_ready (RpRelayPair *pair, gboolean ok, const char *step, const RpTurnResult *res,
               RpTurnClient *who, gpointer data)
{
  FamilyRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->check);
  RpStunAddress ra, rb;
  char buf[64];

  if (rp_check_is_finished (t->check))
    return;
  if (rp_relay_pair_permission_us (pair) > 0)
    rp_check_result_metric (r, "permission_ms", rp_relay_pair_permission_us (pair) / 1000.0);
  if (rp_relay_pair_channel_bind_us (pair) > 0)
    rp_check_result_metric (r, "channel_bind_ms", rp_relay_pair_channel_bind_us (pair) / 1000.0);
  if (!ok) {
    if (who != NULL && rp_turn_client_get_software (who) != NULL)
      rp_check_result_detail_str (r, "server_software", rp_turn_client_get_software (who));
    if (g_str_equal (step, "Allocate") && res->outcome == RP_STUN_TXN_RESPONSE &&
        res->error_code == RP_TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED) {
      g_autofree char *how = g_strdup_printf (
        "the server answered %u (Address Family not Supported) to an Allocate for an IPv6 relay",
        res->error_code);
      family_missing (t, how, res->error_code, res->error_reason);
    } else if (g_str_equal (step, "Allocate") && not_about_family (res)) {
      not_tested (t, step, res, who);
    } else {
      explain_failure (t, step, res, who);
    }
    settle (t);
    return;
  }
  rp_turn_client_get_relayed (rp_relay_pair_get_a (pair), &ra);
  rp_turn_client_get_relayed (rp_relay_pair_get_b (pair), &rb);
  rp_check_result_detail_bool (r, "ipv6_relay", TRUE);
  rp_check_result_detail_str (r, "relayed_address",
                              rp_stun_address_to_string (&ra, buf, sizeof buf));
  rp_check_result_detail_str (r, "peer_address", rp_stun_address_to_string (&rb, buf, sizeof buf));
  if (rp_turn_client_get_software (rp_relay_pair_get_a (pair)) != NULL)
    rp_check_result_detail_str (r, "server_software",
                                rp_turn_client_get_software (rp_relay_pair_get_a (pair)));
  t->probe = rp_relay_probe_start (
    rp_relay_pair_get_a (pair), RP_RELAY_CHANNEL_A, rp_relay_pair_get_b (pair), RP_RELAY_CHANNEL_B,
    RELAY_PACKETS, RELAY_SIZE, RELAY_INTERVAL_US, RELAY_DRAIN_US,
    rp_runner_get_context (rp_check_get_runner (t->check)), on_relay_done, t);
}

static void
start_ipv6 (FamilyRun *t)
{
  RpRelayPairConfig *c = &t->pair_config;

  c->transport = t->srv.target.transport;
  c->server = G_SOCKET_ADDRESS (t->srv.server);
  c->host = t->srv.target.host;
  c->tls_ctx = t->srv.tls_ctx;
  c->insecure = t->srv.options.insecure;
  c->creds = rp_turn_plan_get_creds (t->plan);
  c->context = rp_runner_get_context (rp_check_get_runner (t->check));
  c->family = RP_TURN_FAMILY_IPV6;
  t->pair = rp_relay_pair_new (c, NULL);
  rp_relay_pair_start (t->pair, on_pair_ready, t);
}

/* ---- dual: one allocation, one relayed address per family ---- */

static void
on_dual_allocate (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  FamilyRun *t = data;
  RpCheckResult *r = rp_check_get_result (t->check);
  const char *tw = rp_transport_words (t->srv.target.transport);
  RpStunAddress r4, r6;
  gboolean have4, have6;
  char b4[64], b6[64];
  int efam = 0;
  guint ecode = 0;
  const char *ereason = NULL;

  if (rp_check_is_finished (t->check))
    return;
  if (res->outcome == RP_STUN_TXN_RESPONSE)
    rp_check_result_metric (r, "allocate_ms", res->rtt_us / 1000.0);
  if (rp_turn_client_get_software (turn) != NULL)
    rp_check_result_detail_str (r, "server_software", rp_turn_client_get_software (turn));
  if (!res->success) {
    if (res->outcome == RP_STUN_TXN_RESPONSE &&
        res->error_code == RP_TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED) {
      g_autofree char *how = g_strdup_printf (
        "the server answered %u (Address Family not Supported) to a dual Allocate",
        res->error_code);
      family_missing (t, how, res->error_code, res->error_reason);
    } else if (not_about_family (res)) {
      not_tested (t, "Allocate", res, turn);
    } else {
      explain_failure (t, "Allocate", res, turn);
    }
    settle (t);
    return;
  }
  have4 = rp_turn_client_get_relayed_family (turn, AF_INET, &r4);
  have6 = rp_turn_client_get_relayed_family (turn, AF_INET6, &r6);
  if (have4)
    rp_check_result_detail_str (r, "relayed_ipv4", rp_stun_address_to_string (&r4, b4, sizeof b4));
  if (have6)
    rp_check_result_detail_str (r, "relayed_ipv6", rp_stun_address_to_string (&r6, b6, sizeof b6));
  rp_check_result_metric (r, "lifetime_s", rp_turn_client_get_lifetime (turn));
  if (rp_turn_client_get_address_error (turn, &efam, &ecode, &ereason)) {
    rp_check_result_detail_str (r, "address_error_family", efam == AF_INET6 ? "IPv6" : "IPv4");
    rp_check_result_detail_int (r, "address_error_code", ecode);
    rp_check_result_detail_str (r, "address_error_reason", ereason != NULL ? ereason : "");
  }
  if (have4 && have6) {
    rp_check_result_detail_bool (r, "ipv6_relay", TRUE);
    rp_check_result_set (r, RP_STATUS_PASS, "dual allocation over %s works: relayed %s and %s, "
                         "allocate %.3f ms", tw, b4, b6, res->rtt_us / 1000.0);
  } else if (have4 && efam == AF_INET6) {
    g_autofree char *how = g_strdup_printf (
      "the dual Allocate got an IPv4 relay (%s) only; the IPv6 one was refused with %u%s", b4,
      ecode, ecode == RP_TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED ? " (Address Family not Supported)"
             : ecode == RP_TURN_ERR_INSUFFICIENT_CAPACITY ? " (Insufficient Capacity)" : "");
    family_missing (t, how, ecode, ereason);
  } else if (have4) {
    g_autofree char *how = g_strdup_printf (
      "the dual Allocate got an IPv4 relay (%s) only, and no ADDRESS-ERROR-CODE: the server "
      "ignores ADDITIONAL-ADDRESS-FAMILY (no RFC 8656 dual allocation)", b4);
    family_missing (t, how, 0, NULL);
  } else {
    /* RFC 8656 7.3: only the IPv6 relay; the IPv4 one failed */
    rp_check_result_set (r, RP_STATUS_FAIL, "the dual Allocate over %s got an IPv6 relay (%s) "
                         "only; the IPv4 one was refused (%u)", tw, have6 ? b6 : "?", ecode);
    rp_check_result_set_hint (r, "the server could not allocate an IPv4 relay (%u): check "
                              "relay-ip for IPv4, min-port..max-port and total-quota in "
                              "turnserver.conf", ecode);
  }
  settle (t);
}

static void
on_dual_connected (RpStunClient *client, RpStunNetStatus status, const char *reason,
                   gpointer data)
{
  FamilyRun *t = data;

  if (rp_check_is_finished (t->check))
    return;
  if (status != RP_STUN_NET_OK) {
    RpTurnResult res = { .outcome = RP_STUN_TXN_NET, .net = status, .reason = reason };
    not_tested (t, "connect", &res, t->a);
    settle (t);
    return;
  }
  rp_turn_client_allocate_family (t->a, RP_TURN_FAMILY_DUAL, on_dual_allocate, t);
}

static void
start_dual (FamilyRun *t)
{
  const RpTurnCreds *c = rp_turn_plan_get_creds (t->plan);
  RpStunClient *stun = rp_stun_client_new (
    t->srv.target.transport, G_SOCKET_ADDRESS (t->srv.server), t->srv.target.host, t->srv.tls_ctx,
    t->srv.options.insecure, rp_runner_get_context (rp_check_get_runner (t->check)));

  rp_stun_client_set_timer (stun, RP_STUN_DEFAULT_RTO_US, RP_STUN_PROBE_RC, RP_STUN_PROBE_RM);
  t->a = rp_turn_client_new (stun, c->username, c->password);
  rp_stun_client_connect (stun, on_dual_connected, t);
}

/* ---- start, deadline ---- */

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  FamilyRun *t = rp_check_get_state (check);
  GList *addrs = NULL;

  switch (rp_check_resolve_finish (check, res, t->srv.target.host, t->srv.options.family, &addrs)) {
  case RP_RESOLVE_LATE:
    return;
  case RP_RESOLVE_FAILED:
    rp_check_finish (check);
    return;
  case RP_RESOLVED:
    break;
  }
  if (t->where_ipv6) {
    GInetAddress *v6 = NULL;
    for (GList *l = addrs; l != NULL && v6 == NULL; l = l->next)
      if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV6)
        v6 = l->data;
    if (v6 != NULL) {
      /* Over the AAAA address: what a client on an IPv6-only network does. */
      rp_server_target_set_address (&t->srv, v6, t->srv.target.port);
      g_resolver_free_addresses (addrs);
      rp_check_result_detail_str (rp_check_get_result (check), "server_address",
                                  t->srv.server_str);
      rp_check_result_detail_str (rp_check_get_result (check), "family", "ipv6");
      if (t->family == RP_TURN_FAMILY_DUAL)
        start_dual (t);
      else
        start_ipv6 (t);
      return;
    }
    rp_check_result_set (rp_check_get_result (check), RP_STATUS_SKIP,
                         "%s not tested: %s%s, so IPv6 clients reach this TURN server through "
                         "NAT64 only (--relay-family %s tests it anyway)",
                         what_of (t), t->srv.target.host,
                         t->srv.target.host_is_ip ? " is an IPv4 address" : " has no AAAA record",
                         t->family == RP_TURN_FAMILY_DUAL ? "dual" : "ipv6");
    g_resolver_free_addresses (addrs);
    rp_check_finish (check);
    return;
  }
  rp_server_target_set_address (&t->srv, addrs->data, t->srv.target.port);
  g_resolver_free_addresses (addrs);
  rp_check_result_detail_str (rp_check_get_result (check), "server_address", t->srv.server_str);
  if (t->family == RP_TURN_FAMILY_DUAL)
    start_dual (t);
  else
    start_ipv6 (t);
}

static void
family_start (RpCheck *check)
{
  FamilyRun *t = rp_check_get_state (check);
  const RpTurnCreds *c = rp_turn_plan_get_creds (t->plan);
  g_autoptr (GError) error = NULL;

  t->check = check;
  if (c->kind == RP_CREDS_NONE) {
    rp_check_result_set (rp_check_get_result (check), RP_STATUS_SKIP,
                         "%s not tested: an allocation needs credentials (--user with "
                         "--password-file, or --secret-file)", what_of (t));
    rp_check_finish (check);
    return;
  }
  if (!rp_server_target_prepare_tls (&t->srv, &error)) {
    rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL, "%s", error->message);
    rp_check_finish (check);
    return;
  }
  rp_resolve_async (t->srv.target.host, t->srv.options.family, rp_check_get_cancellable (check),
                    on_resolved, rp_check_ref (check));
}

static void
family_expire (RpCheck *check)
{
  FamilyRun *t = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  RpTurnClient *who = t->pair != NULL ? rp_relay_pair_get_a (t->pair) : t->a;

  if (t->settled) {
    /* Everything that matters answered; only the deallocation is missing. */
    rp_check_result_detail_bool (r, "deallocate_unanswered", TRUE);
    return;
  }
  if (t->probe != NULL) {
    rp_check_result_set (r, RP_STATUS_FAIL, "the IPv6 relay test did not finish before the "
                         "deadline");
    rp_check_result_set_hint (r, "the IPv6 relays were allocated and bound but the data path "
                              "stalled: raise --timeout, or compare with relay.<t>");
    return;
  }
  rp_explain_deadline (r, t->srv.target.transport, t->srv.server_str, t->srv.target.port,
                       t->family == RP_TURN_FAMILY_DUAL ? "TURN Allocate (dual)"
                                                        : "TURN Allocate (IPv6)",
                       who != NULL ? rp_stun_client_get_info (rp_turn_client_get_stun (who))
                                   : NULL);
  /* Silence is the transport's finding (turn.<t>.allocate), not the family's. */
  {
    g_autofree char *summary = g_strdup (r->summary);
    rp_check_result_set (r, RP_STATUS_SKIP, "%s not tested (%s); turn.%s.allocate reports the "
                         "transport", what_of (t), summary,
                         rp_transport_to_string (t->srv.target.transport));
  }
}

static const RpCheckClass family_class = { family_start, family_expire, family_run_free };

static void
add_one (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
         const RpTarget *target, const char *base, RpTurnFamily family, gboolean required,
         gboolean where_ipv6)
{
  FamilyRun *t = g_new0 (FamilyRun, 1);
  g_autofree char *id = g_strdup_printf (
    "turn.%s.%s", base, family == RP_TURN_FAMILY_DUAL ? "dual" : "ipv6");

  t->plan = rp_turn_plan_ref (plan);
  t->family = family;
  t->required = required;
  t->where_ipv6 = where_ipv6;
  rp_server_target_init (&t->srv, target, options);
  rp_runner_add (runner, rp_check_result_new (id, "turn", target->uri), FAMILY_TIMEOUT_US,
                 &family_class, t);
}

void
rp_check_turn_relay_families_add (RpRunner *runner, const RpProbeOptions *options,
                                  RpTurnPlan *plan, GPtrArray *targets,
                                  RpTurnRelayFamilies families, gboolean required)
{
  guint per_transport[3] = { 0, 0, 0 };

  if (families == 0)
    return;
  for (guint i = 0; i < targets->len; i++)
    per_transport[((RpTarget *) g_ptr_array_index (targets, i))->transport]++;
  for (guint i = 0; i < targets->len; i++) {
    const RpTarget *t = g_ptr_array_index (targets, i);
    const char *tname = rp_transport_to_string (t->transport);
    g_autofree char *base = NULL;

    /* the ids of turn.<t>.allocate: by transport, host:port where it repeats */
    if (per_transport[t->transport] == 1) {
      base = g_strdup (tname);
    } else {
      g_autofree char *hp = rp_target_hostport (t);
      base = g_strdup_printf ("%s@%s", tname, hp);
    }
    if (families & RP_TURN_RELAY_IPV6)
      add_one (runner, options, plan, t, base, RP_TURN_FAMILY_IPV6, required,
               (families & RP_TURN_RELAY_WHERE_IPV6) != 0);
    if (families & RP_TURN_RELAY_DUAL)
      add_one (runner, options, plan, t, base, RP_TURN_FAMILY_DUAL, required,
               (families & RP_TURN_RELAY_WHERE_IPV6) != 0);
  }
}

gboolean
rp_turn_relay_families_parse (const char *text, RpTurnRelayFamilies *out)
{
  static const struct {
    const char *name;
    RpTurnRelayFamilies families;
  } names[] = {
    { "ipv4", 0 },
    { "ipv6", RP_TURN_RELAY_IPV6 },
    { "dual", RP_TURN_RELAY_DUAL },
    { "all", RP_TURN_RELAY_IPV6 | RP_TURN_RELAY_DUAL },
  };

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (names); i++) {
    if (g_ascii_strcasecmp (text, names[i].name) == 0) {
      *out = names[i].families;
      return TRUE;
    }
  }
  return FALSE;
}
