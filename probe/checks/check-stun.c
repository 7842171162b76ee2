/* The `stun` check: one Binding transaction over UDP, TCP or TLS (RFC 8489,
 * RFC 7064 URIs), timed to the microsecond, with the mapped address, the
 * server's software and its RFC 5780 addresses as evidence. Over UDP, an
 * OTHER-ADDRESS leads to the `nat` check. */
#include <sys/socket.h>

#include "probe/checks/checks-network.h"
#include "probe/core/explain.h"
#include "probe/core/resolve.h"
#include "probe/core/server-target.h"
#include "rp-config.h"
#include "common/tls-client.h"
#include "stun/client/stun-client.h"
#include "stun/stun-timer.h"

typedef struct {
  RpServerTarget srv;       /* the server, its TLS context and address */
  char *nat_id;
  RpStunClient *client;
  gboolean families;        /* `check`: a name with A and AAAA is tested on both */
  GInetAddress *fixed;      /* the other family's check: its address, no lookup */
} StunState;

static void
stun_state_free (gpointer data)
{
  StunState *s = data;

  rp_stun_client_free (s->client);
  rp_server_target_clear (&s->srv);
  g_clear_object (&s->fixed);
  g_free (s->nat_id);
  g_free (s);
}

static void
address_detail (RpCheckResult *r, const RpStunMessage *msg, guint16 type, const char *key)
{
  const RpStunAttr *a = rp_stun_message_find (msg, type);
  RpStunAddress addr;
  char buf[64];

  if (a != NULL && rp_stun_attr_get_address (msg, a, &addr))
    rp_check_result_detail_str (r, key, rp_stun_address_to_string (&addr, buf, sizeof buf));
}

static GInetSocketAddress *
to_inet (const RpStunAddress *a)
{
  g_autoptr (GInetAddress) ip = g_inet_address_new_from_bytes (
    a->addr, a->family == AF_INET6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, a->port));
}

static void
add_nat_check (RpCheck *check, const RpStunMessage *msg)
{
  StunState *s = rp_check_get_state (check);
  const RpStunAttr *a = rp_stun_message_find (msg, RP_STUN_ATTR_OTHER_ADDRESS);
  RpStunAddress other;
  g_autoptr (GInetSocketAddress) other_sa = NULL;

  if (a != NULL && rp_stun_attr_get_address (msg, a, &other))
    other_sa = to_inet (&other);
  rp_check_nat_add (rp_check_get_runner (check), &s->srv.options, s->nat_id, s->srv.target.uri,
                    s->srv.server, other_sa);
}

/* For the family comparison (family-findings.c): what this family's
 * address did, in the `port` checks' words. */
static void
family_state (StunState *s, RpCheckResult *r, const RpStunTxnResult *res)
{
  const char *state = "error";
  g_autofree char *port = NULL;

  if (!s->families)
    return;
  switch (res->outcome) {
  case RP_STUN_TXN_RESPONSE:
  case RP_STUN_TXN_MALFORMED:
    state = "open";
    break;
  case RP_STUN_TXN_TIMEOUT:
    state = s->srv.target.transport == RP_TRANSPORT_UDP ? "open|filtered" : "filtered";
    break;
  case RP_STUN_TXN_NET:
    state = res->net == RP_STUN_NET_REFUSED       ? "closed"
            : res->net == RP_STUN_NET_UNREACHABLE ? "filtered"
            : res->net == RP_STUN_NET_FILTERED    ? "filtered"
            : res->net == RP_STUN_NET_NO_ROUTE    ? "no-route"
                                                  : "error";
    break;
  }
  port = g_strdup_printf ("%u/%s", s->srv.target.port,
                          s->srv.target.transport == RP_TRANSPORT_UDP ? "udp" : "tcp");
  rp_check_result_detail_str (r, "state", state);
  rp_check_result_detail_str (r, "port", port);
  if (s->srv.server != NULL) {
    g_autofree char *ip = g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (s->srv.server)));
    rp_check_result_detail_str (r, "address", ip);
  }
  if (!s->srv.target.host_is_ip)
    rp_check_result_detail_str (r, "host", s->srv.target.host);
}

static void
on_response (RpStunClient *client, const RpStunTxnResult *res, gpointer data)
{
  RpCheck *check = data;
  StunState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const char *tname = rp_transport_words (s->srv.target.transport);
  g_autofree char *server = rp_target_hostport (&s->srv.target);

  if (rp_check_is_finished (check))
    return;
  rp_explain_tls_details (r, rp_stun_client_get_info (client), s->srv.options.insecure);
  rp_check_result_detail_int (r, "retransmissions", res->retransmissions);
  family_state (s, r, res);
  switch (res->outcome) {
  case RP_STUN_TXN_RESPONSE: {
    RpStunAddress mapped;
    char buf[64];
    g_autofree char *software = rp_stun_message_get_string (&res->msg, RP_STUN_ATTR_SOFTWARE);
    RpStunIntegrity fp = rp_stun_message_check_fingerprint (&res->msg);

    rp_check_result_metric (r, "rtt_ms", res->rtt_us / 1000.0);
    if (software != NULL)
      rp_check_result_detail_str (r, "software", software);
    if (fp == RP_STUN_INTEGRITY_MISMATCH || fp == RP_STUN_INTEGRITY_MALFORMED) {
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "malformed STUN response: FINGERPRINT does not match");
      rp_check_result_set_hint (
        r, "something between here and the server rewrites STUN packets (a middlebox or ALG), "
           "or the server is broken: ICE agents drop such responses");
      break;
    }
    if (res->msg.method != RP_STUN_BINDING) {
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "malformed STUN response: method 0x%03x answers a Binding request",
                           res->msg.method);
      break;
    }
    if (res->msg.klass == RP_STUN_ERROR) {
      guint code = 0;
      g_autofree char *reason = NULL;
      rp_stun_message_get_error (&res->msg, &code, &reason);
      rp_check_result_detail_int (r, "error_code", code);
      rp_check_result_detail_str (r, "error_reason", reason ? reason : "");
      rp_check_result_set (r, RP_STATUS_FAIL, "the server refused Binding over %s: %u %s", tname,
                           code, reason ? reason : "");
      rp_check_result_set_hint (
        r, "a STUN server answers Binding without credentials; this one wants something else: "
           "check that the URI points at coturn (or another STUN server) and not at a proxy");
      break;
    }
    if (!rp_stun_message_get_mapped_address (&res->msg, &mapped)) {
      rp_check_result_set (
        r, RP_STATUS_FAIL,
        "malformed STUN response: no (XOR-)MAPPED-ADDRESS in the Binding success");
      rp_check_result_set_hint (r, "the server answered without the address it saw: clients cannot "
                                   "learn their public address from it");
      break;
    }
    rp_check_result_detail_str (r, "mapped_address",
                                rp_stun_address_to_string (&mapped, buf, sizeof buf));
    if (rp_stun_message_find (&res->msg, RP_STUN_ATTR_XOR_MAPPED_ADDRESS) == NULL)
      rp_check_result_detail_bool (r, "legacy_mapped_address", TRUE);
    address_detail (r, &res->msg, RP_STUN_ATTR_RESPONSE_ORIGIN, "response_origin");
    address_detail (r, &res->msg, RP_STUN_ATTR_OTHER_ADDRESS, "other_address");
    rp_check_result_set (r, RP_STATUS_PASS,
                         "Binding over %s answered in %.3f ms; mapped address %s", tname,
                         res->rtt_us / 1000.0, buf);
    if (s->srv.options.insecure && s->srv.target.transport == RP_TRANSPORT_TLS
        && !rp_stun_client_get_info (client)->tls_verified) {
      rp_check_result_set (
        r, RP_STATUS_WARN,
        "Binding over TLS answered in %.3f ms, but the certificate is not trusted "
        "(--insecure)",
        res->rtt_us / 1000.0);
      g_autofree char *why = rp_tls_verify_reason (
        rp_stun_client_get_info (client)->tls_verify_result, s->srv.target.host);
      rp_check_result_set_hint (r, "%s", why);
    }
    if (s->srv.target.transport == RP_TRANSPORT_UDP && s->nat_id != NULL)
      add_nat_check (check, &res->msg);
    break;
  }
  case RP_STUN_TXN_TIMEOUT:
    rp_explain_silence (r, s->srv.target.transport, server, s->srv.target.port, "STUN Binding",
                        res->retransmissions + 1);
    break;
  case RP_STUN_TXN_MALFORMED:
    if (rp_stun_client_get_info (client)->strays > 0)
      rp_check_result_detail_int (r, "stray_responses", rp_stun_client_get_info (client)->strays);
    rp_check_result_set (r, RP_STATUS_FAIL, "%s", res->reason);
    rp_check_result_set_hint (
      r,
      "the server at %s does not speak STUN correctly: check that the URI's port is the STUN/TURN "
      "listener and not another service",
      s->srv.target.uri);
    break;
  case RP_STUN_TXN_NET:
    rp_explain_net_failure (r, s->srv.target.transport,
                            rp_check_result_get_detail (r, "server_address")->str, res->net,
                            res->reason, rp_stun_client_get_info (client));
    break;
  }
  rp_check_finish (check);
}

static void
on_connected (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  RpCheck *check = data;
  StunState *s = rp_check_get_state (check);
  RpStunBuilder b;
  guint8 tid[RP_STUN_TID_LEN];

  if (rp_check_is_finished (check))
    return;
  if (status != RP_STUN_NET_OK) {
    RpStunTxnResult res = { .outcome = RP_STUN_TXN_NET, .net = status, .reason = reason };
    on_response (client, &res, check);
    return;
  }
  if (s->srv.target.transport != RP_TRANSPORT_UDP)
    rp_check_result_metric (rp_check_get_result (check), "connect_ms",
                            rp_stun_client_get_info (client)->connect_us / 1000.0);
  if (rp_stun_client_get_info (client)->tcp_rtt_us > 0)
    rp_check_result_metric (rp_check_get_result (check), "handshake_rtt_ms",
                            rp_stun_client_get_info (client)->tcp_rtt_us / 1000.0);
  rp_check_result_detail_str (rp_check_get_result (check), "local_address",
                              rp_stun_client_get_info (client)->local_address);
  rp_stun_random_tid (tid);
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid);
  rp_stun_builder_add_string (&b, RP_STUN_ATTR_SOFTWARE, "rtcprobe/" RP_VERSION);
  rp_stun_builder_add_fingerprint (&b);
  rp_stun_client_request (client, b.buf, b.len, on_response, check);
}

static void connect_to (RpCheck *check, GInetAddress *address);
static const RpCheckClass stun_class;

/* A name with A and AAAA records: this check takes the first address, as a
 * client would, and a sibling `<id>.ipv4` or `<id>.ipv6` the other family's
 * first, so the report says whether the server answers on both. */
static void
add_other_family (RpCheck *check, GList *addrs)
{
  StunState *s = rp_check_get_state (check), *o;
  GSocketFamily first = g_inet_address_get_family (addrs->data);
  GInetAddress *other = NULL;
  g_autofree char *id = NULL;

  for (GList *l = addrs; l != NULL && other == NULL; l = l->next)
    if (g_inet_address_get_family (l->data) != first)
      other = l->data;
  if (other == NULL)
    return;
  o = g_new0 (StunState, 1);
  rp_server_target_init (&o->srv, &s->srv.target, &s->srv.options);
  o->families = TRUE;
  o->fixed = g_object_ref (other);
  id = g_strdup_printf ("%s.%s", rp_check_get_result (check)->id, rp_address_family_tag (other));
  rp_check_result_detail_str (rp_check_get_result (check), "other_family_check", id);
  rp_runner_add (rp_check_get_runner (check),
                 rp_check_result_new (id, "stun", s->srv.target.uri),
                 s->srv.options.timeout_us, &stun_class, o);
}

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  StunState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  GList *addrs = NULL;

  switch (rp_check_resolve_finish (check, res, s->srv.target.host, s->srv.options.family, &addrs)) {
  case RP_RESOLVE_LATE:
    return;
  case RP_RESOLVE_FAILED:
    rp_check_finish (check);
    return;
  case RP_RESOLVED:
    break;
  }
  if (!s->srv.target.host_is_ip)
    rp_check_result_metric (r, "resolve_ms",
                            (g_get_monotonic_time () - rp_check_get_started_us (check)) / 1000.0);
  if (s->families)
    add_other_family (check, addrs);
  connect_to (check, addrs->data);
  g_resolver_free_addresses (addrs);
}

static void
connect_to (RpCheck *check, GInetAddress *address)
{
  StunState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  rp_server_target_set_address (&s->srv, address, s->srv.target.port);
  rp_check_result_detail_str (r, "server_address", s->srv.server_str);
  rp_check_result_detail_str (r, "family", rp_address_family_tag (address));

  s->client = rp_stun_client_new (s->srv.target.transport, G_SOCKET_ADDRESS (s->srv.server),
                                  s->srv.target.host, s->srv.tls_ctx, s->srv.options.insecure,
                                  rp_runner_get_context (rp_check_get_runner (check)));
  /* Over UDP the transaction knows silence (or only stray answers) at 9.5 s,
   * as TURN does; over TCP and TLS the run's --timeout ends the wait. */
  rp_stun_client_set_timer (s->client, RP_STUN_DEFAULT_RTO_US, RP_STUN_PROBE_RC, RP_STUN_PROBE_RM);
  rp_stun_client_connect (s->client, on_connected, check);
}

static void
stun_start (RpCheck *check)
{
  StunState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  {
    g_autoptr (GError) error = NULL;
    if (!rp_server_target_prepare_tls (&s->srv, &error)) {
      rp_check_result_set (r, RP_STATUS_FAIL, "%s", error->message);
      rp_check_finish (check);
      return;
    }
  }
  if (s->fixed != NULL) {
    connect_to (check, s->fixed);
    return;
  }
  rp_resolve_async (s->srv.target.host, s->srv.options.family, rp_check_get_cancellable (check),
                    on_resolved, rp_check_ref (check));
}

static void
stun_expire (RpCheck *check)
{
  StunState *s = rp_check_get_state (check);
  const RpDetail *server =
    rp_check_result_get_detail (rp_check_get_result (check), "server_address");

  rp_explain_deadline (rp_check_get_result (check), s->srv.target.transport,
                       server != NULL ? server->str : NULL, s->srv.target.port, "STUN Binding",
                       s->client != NULL ? rp_stun_client_get_info (s->client) : NULL);
  if (server != NULL) {
    /* Silence until the deadline: the family's state, as a timeout's. */
    RpStunTxnResult res = { .outcome = RP_STUN_TXN_TIMEOUT };
    family_state (s, rp_check_get_result (check), &res);
  }
}

static const RpCheckClass stun_class = { stun_start, stun_expire, stun_state_free };

void
rp_check_stun_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                   gboolean ids_unique)
{
  rp_check_stun_add_families (runner, options, target, ids_unique, FALSE);
}

void
rp_check_stun_add_families (RpRunner *runner, const RpProbeOptions *options,
                            const RpTarget *target, gboolean ids_unique, gboolean families)
{
  StunState *s = g_new0 (StunState, 1);
  g_autofree char *id = NULL;
  g_autofree char *hostport = rp_target_hostport (target);

  rp_server_target_init (&s->srv, target, options);
  /* -4 / -6 ask for one family: nothing to compare. */
  s->families = families && options->family == RP_FAMILY_ANY && !target->host_is_ip;
  if (ids_unique) {
    id = g_strdup_printf ("stun.%s", rp_transport_to_string (target->transport));
    s->nat_id = g_strdup ("nat");
  } else {
    id = g_strdup_printf ("stun.%s@%s", rp_transport_to_string (target->transport), hostport);
    s->nat_id = g_strdup_printf ("nat@%s", hostport);
  }
  /* The budget is the run's --timeout (the runner caps it there). */
  rp_runner_add (runner, rp_check_result_new (id, "stun", target->uri),
                 options->timeout_us, &stun_class, s);
}
