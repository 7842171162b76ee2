/* The `port` checks: is each port the deployment needs reachable from here?
 * TCP: a handshake that completes is open, a reset is closed, silence until
 * the deadline is filtered. UDP: a STUN Binding request with RFC 8489
 * retransmissions; any answer is open, ICMP port unreachable is closed, and
 * silence is open|filtered, which a single probe cannot split further. */
#include "probe/checks/checks-network.h"
#include "probe/core/explain.h"
#include "probe/core/resolve.h"
#include "stun/client/stun-client.h"

typedef struct {
  char *host;
  GInetAddress *address;
  RpPortSpec spec;
  RpStunClient *client;
  gint64 budget_us;
} PortState;

static void no_route (PortState *s, RpCheckResult *r, const char *reason);

static void
port_state_free (gpointer data)
{
  PortState *s = data;

  rp_stun_client_free (s->client);
  g_object_unref (s->address);
  g_free (s->host);
  g_free (s);
}

/* What the deployment uses each runbook port for. */
const char *
rp_port_role (guint16 port, RpPortProto proto)
{
  const RpPortSpec spec = { port, proto };
  const RpPortSpec *p = &spec;

  switch (p->port) {
  case 80:
    return p->proto == RP_PROTO_TCP ? "HTTP (redirect to HTTPS, certificate renewal)" : NULL;
  case 443:
    return p->proto == RP_PROTO_TCP ? "HTTPS and websockets (API, Socket.IO)"
                                    : "HTTP/3 or TURN over DTLS";
  case 3478:
    return p->proto == RP_PROTO_UDP ? "STUN/TURN over UDP (coturn)" : "TURN over TCP (coturn)";
  case 5349:
    return p->proto == RP_PROTO_TCP ? "TURN over TLS (coturn)" : "TURN over DTLS";
  case 7880:
    return p->proto == RP_PROTO_TCP ? "LiveKit signalling (HTTP/websocket)" : NULL;
  case 7881:
    return p->proto == RP_PROTO_TCP ? "LiveKit ICE over TCP" : NULL;
  case 7882:
    return p->proto == RP_PROTO_UDP ? "LiveKit ICE over UDP (UDP mux)" : NULL;
  default:
    return NULL;
  }
}

static const char *
proto_name (const RpPortSpec *p)
{
  return rp_port_proto_to_string (p->proto);
}

static void
set_state (RpCheckResult *r, const char *state)
{
  rp_check_result_detail_str (r, "state", state);
}

static void
tcp_filtered (RpCheck *check)
{
  PortState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const char *role = rp_port_role (s->spec.port, s->spec.proto);

  set_state (r, "filtered");
  rp_check_result_set (r, RP_STATUS_FAIL,
                       "%u/tcp filtered: no answer to the TCP handshake in %.1f s", s->spec.port,
                       s->budget_us / 1e6);
  rp_check_result_set_hint (
    r,
    "a firewall silently drops %u/tcp%s%s%s: on the server, add an ingress rule for %u/tcp "
    "to the subnet's security list and allow it in the host firewall (iptables/ufw); "
    "or this network blocks outgoing %u/tcp (try from another network to tell which)",
    s->spec.port, role ? " (" : "", role ? role : "", role ? ")" : "", s->spec.port, s->spec.port);
}

static void
udp_silent (RpCheck *check, guint sent)
{
  PortState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  set_state (r, "open|filtered");
  rp_check_result_detail_int (r, "requests_sent", sent);
  rp_check_result_set (r, RP_STATUS_WARN,
                       "%u/udp open|filtered: no answer to %u STUN Binding request%s in %.1f s",
                       s->spec.port, sent, sent == 1 ? "" : "s", s->budget_us / 1e6);
  if (s->spec.port == 7882)
    rp_check_result_set_hint (
      r,
      "silence is expected here even when 7882/udp is open: LiveKit's UDP mux answers only ICE "
      "checks that carry valid session credentials, so `rtcprobe ice` and `rtcprobe voice` are "
      "what "
      "prove this port. If those fail too, add an ingress rule for 7882/udp to the security list");
  else
    rp_check_result_set_hint (
      r,
      "silence cannot tell a dropped packet from a service that ignores STUN: either %u/udp is "
      "blocked (security list ingress rule for %u/udp, host firewall, or this network blocks "
      "outgoing UDP) or what listens there does not speak STUN. No ICMP port-unreachable came "
      "back, so it is not simply closed; `rtcprobe stun`/`turn` tell more",
      s->spec.port, s->spec.port);
}

static void
on_connected (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  RpCheck *check = data;
  PortState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const char *role = rp_port_role (s->spec.port, s->spec.proto);

  if (rp_check_is_finished (check))
    return;
  switch (status) {
  case RP_STUN_NET_OK:
    set_state (r, "open");
    rp_check_result_metric (r, "connect_ms", rp_stun_client_get_info (client)->connect_us / 1000.0);
    if (rp_stun_client_get_info (client)->tcp_rtt_us > 0)
      rp_check_result_metric (r, "handshake_rtt_ms",
                              rp_stun_client_get_info (client)->tcp_rtt_us / 1000.0);
    rp_check_result_detail_str (r, "local_address",
                                rp_stun_client_get_info (client)->local_address);
    rp_check_result_set (r, RP_STATUS_PASS, "%u/tcp open", s->spec.port);
    break;
  case RP_STUN_NET_REFUSED:
    set_state (r, "closed");
    rp_check_result_detail_str (r, "error", reason);
    rp_check_result_set (r, RP_STATUS_FAIL, "%u/tcp closed: connection refused", s->spec.port);
    rp_check_result_set_hint (
      r,
      "the host answered with a reset, so the path is open but nothing accepts %u/tcp%s%s%s: "
      "start the service, and check it listens on the public interface rather than 127.0.0.1 "
      "(or a firewall rule rejects it)",
      s->spec.port, role ? " (" : "", role ? role : "", role ? ")" : "");
    break;
  case RP_STUN_NET_UNREACHABLE:
    set_state (r, "filtered");
    rp_check_result_detail_str (r, "error", reason);
    rp_check_result_set (r, RP_STATUS_FAIL, "%u/tcp filtered: %s", s->spec.port, reason);
    rp_check_result_set_hint (
      r,
      "an ICMP unreachable came back: a router or firewall rejects traffic to this host or port; "
      "check the security list, the host firewall and this network's routing");
    break;
  case RP_STUN_NET_NO_ROUTE:
    no_route (s, r, reason);
    break;
  default:
    set_state (r, "error");
    rp_check_result_detail_str (r, "error", reason);
    rp_check_result_set (r, RP_STATUS_FAIL, "%u/tcp: %s", s->spec.port, reason);
    rp_check_result_set_hint (r, "the connection failed locally before reaching the network: check "
                                 "this machine's network setup");
    break;
  }
  rp_check_finish (check);
}

/* connect() found no route to the address's family: nothing was sent. */
static void
no_route (PortState *s, RpCheckResult *r, const char *reason)
{
  g_autofree char *ip = g_inet_address_to_string (s->address);
  g_autofree char *server =
    g_inet_address_get_family (s->address) == G_SOCKET_FAMILY_IPV6
      ? g_strdup_printf ("[%s]:%u", ip, s->spec.port)
      : g_strdup_printf ("%s:%u", ip, s->spec.port);

  set_state (r, "no-route");
  rp_explain_no_route (r, server, reason);
}

static void
on_binding (RpStunClient *client, const RpStunTxnResult *res, gpointer data)
{
  RpCheck *check = data;
  PortState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const char *role = rp_port_role (s->spec.port, s->spec.proto);

  if (rp_check_is_finished (check))
    return;
  rp_check_result_detail_int (r, "retransmissions", res->retransmissions);
  switch (res->outcome) {
  case RP_STUN_TXN_RESPONSE:
    set_state (r, "open");
    rp_check_result_detail_str (r, "answer", "stun");
    rp_check_result_metric (r, "rtt_ms", res->rtt_us / 1000.0);
    rp_check_result_set (r, RP_STATUS_PASS, "%u/udp open: STUN answered in %.3f ms", s->spec.port,
                         res->rtt_us / 1000.0);
    break;
  case RP_STUN_TXN_MALFORMED:
    set_state (r, "open");
    rp_check_result_detail_str (r, "answer", "not-stun");
    rp_check_result_detail_str (r, "error", res->reason);
    rp_check_result_set (r, RP_STATUS_PASS, "%u/udp open: something answered, though not with STUN",
                         s->spec.port);
    break;
  case RP_STUN_TXN_TIMEOUT:
    udp_silent (check, res->retransmissions + 1);
    break;
  case RP_STUN_TXN_NET:
    rp_check_result_detail_str (r, "error", res->reason);
    if (res->net == RP_STUN_NET_REFUSED) {
      set_state (r, "closed");
      rp_check_result_set (r, RP_STATUS_FAIL, "%u/udp closed: ICMP port unreachable", s->spec.port);
      rp_check_result_set_hint (
        r,
        "the host is reachable but nothing listens on %u/udp%s%s%s (or a firewall rule "
        "rejects it): start the service and check it binds the public address",
        s->spec.port, role ? " (" : "", role ? role : "", role ? ")" : "");
    } else if (res->net == RP_STUN_NET_NO_ROUTE) {
      no_route (s, r, res->reason);
    } else if (res->net == RP_STUN_NET_UNREACHABLE) {
      set_state (r, "filtered");
      rp_check_result_set (r, RP_STATUS_FAIL, "%u/udp filtered: %s", s->spec.port, res->reason);
      rp_check_result_set_hint (
        r, "an ICMP unreachable came back: a router or firewall rejects UDP to this host; "
           "check the security list and the host firewall");
    } else {
      set_state (r, "error");
      rp_check_result_set (r, RP_STATUS_FAIL, "%u/udp: %s", s->spec.port, res->reason);
    }
    break;
  }
  rp_check_finish (check);
}

static void
on_udp_ready (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  RpCheck *check = data;
  RpStunBuilder b;
  guint8 tid[RP_STUN_TID_LEN];

  if (rp_check_is_finished (check))
    return;
  if (status != RP_STUN_NET_OK) {
    RpStunTxnResult res = { .outcome = RP_STUN_TXN_NET, .net = status, .reason = reason };
    on_binding (client, &res, check);
    return;
  }
  rp_stun_random_tid (tid);
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid);
  rp_stun_builder_add_fingerprint (&b);
  rp_stun_client_request (client, b.buf, b.len, on_binding, check);
}

static void
port_start (RpCheck *check)
{
  PortState *s = rp_check_get_state (check);
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (s->address, s->spec.port);
  gboolean udp = s->spec.proto == RP_PROTO_UDP;
  g_autofree char *ip = g_inet_address_to_string (s->address);

  rp_check_result_detail_str (rp_check_get_result (check), "address", ip);
  /* The family and the name it was published under: what the family
   * comparison (family-findings.c) pairs results by. */
  rp_check_result_detail_str (rp_check_get_result (check), "family",
                              rp_address_family_tag (s->address));
  if (!g_hostname_is_ip_address (s->host))
    rp_check_result_detail_str (rp_check_get_result (check), "host", s->host);
  s->client = rp_stun_client_new (udp ? RP_TRANSPORT_UDP : RP_TRANSPORT_TCP, sa, s->host, NULL,
                                  FALSE, rp_runner_get_context (rp_check_get_runner (check)));
  /* The check's own deadline (budget_us) is what bounds the handshake here. */
  rp_stun_client_set_connect_timeout (s->client, 0);
  /* The client only calls back while the check holds it (freed with the state). */
  rp_stun_client_connect (s->client, udp ? on_udp_ready : on_connected, check);
}

static void
port_expire (RpCheck *check)
{
  PortState *s = rp_check_get_state (check);

  if (s->spec.proto == RP_PROTO_TCP)
    tcp_filtered (check);
  else
    udp_silent (check, s->client != NULL ? rp_stun_client_get_requests_sent (s->client) : 0);
}

static const RpCheckClass port_class = { port_start, port_expire, port_state_free };

typedef struct {
  char *host;
  GArray *ports;
  RpProbeOptions options;
} PortsPlan;

static void
plan_free (gpointer data)
{
  PortsPlan *p = data;

  g_array_unref (p->ports);
  g_free (p->host);
  g_free (p);
}

static void
add_port_checks (RpRunner *runner, GList *addresses, gpointer data)
{
  PortsPlan *p = data;
  gboolean several = addresses->next != NULL;

  for (guint i = 0; i < p->ports->len; i++) {
    const RpPortSpec *spec = &g_array_index (p->ports, RpPortSpec, i);

    for (GList *l = addresses; l != NULL; l = l->next) {
      PortState *s = g_new0 (PortState, 1);
      g_autofree char *ip = g_inet_address_to_string (l->data);
      g_autofree char *hostport = rp_address_port_to_string (l->data, spec->port);
      g_autofree char *id = NULL;
      g_autofree char *target = g_strdup_printf ("%s/%s", hostport, proto_name (spec));
      gint64 budget =
        spec->proto == RP_PROTO_TCP ? RP_TCP_CONNECT_TIMEOUT_US : RP_UDP_PORT_TIMEOUT_US;

      id = several ? g_strdup_printf ("port.%u/%s@%s", spec->port, proto_name (spec), ip)
                   : g_strdup_printf ("port.%u/%s", spec->port, proto_name (spec));
      s->host = g_strdup (p->host);
      s->address = g_object_ref (l->data);
      s->spec = *spec;
      s->budget_us = MIN (budget, p->options.timeout_us);
      rp_runner_add (runner, rp_check_result_new (id, "port", target), budget, &port_class, s);
    }
  }
}

void
rp_check_ports_add (RpRunner *runner, const RpProbeOptions *options, const char *host,
                    GArray *ports)
{
  PortsPlan *p = g_new0 (PortsPlan, 1);

  p->host = g_strdup (host);
  p->ports = g_array_ref (ports);
  p->options = *options;
  p->options.ca_file = NULL;   /* not needed; avoid a dangling copy */
  rp_check_dns_add (runner, options, host, add_port_checks, p, plan_free);
}
