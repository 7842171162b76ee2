/* Operator words for failures (see explain.h). Hints name the likely cause
 * first and the fix in the deployment's terms: the OCI security list, the
 * host firewall, coturn's turnserver.conf options. */
#include "probe/core/explain.h"
#include "probe/core/resolve.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/tls-client.h"

void
rp_explain_resolve_failure (RpCheckResult *r, const char *host, RpFamily family,
                            const GError *error)
{
  g_autofree char *hint = rp_resolve_hint (host, family, error);

  rp_check_result_set (r, RP_STATUS_FAIL, "%s does not resolve", host);
  rp_check_result_set_hint (r, "%s", hint);
  rp_check_result_detail_str (r, "error", error->message);
}

RpResolveOutcome
rp_check_resolve_finish (RpCheck *check, GAsyncResult *res, const char *host, RpFamily family,
                         GList **addresses)
{
  g_autoptr (GError) error = NULL;
  GList *addrs = rp_resolve_finish (res, &error);

  *addresses = NULL;
  if (rp_check_is_finished (check)) {
    g_resolver_free_addresses (addrs);
    return RP_RESOLVE_LATE;
  }
  if (addrs == NULL) {
    rp_explain_resolve_failure (rp_check_get_result (check), host, family, error);
    return RP_RESOLVE_FAILED;
  }
  *addresses = addrs;
  return RP_RESOLVED;
}

const char *
rp_transport_words (RpTransport t)
{
  return t == RP_TRANSPORT_UDP ? "UDP" : t == RP_TRANSPORT_TCP ? "TCP" : "TLS";
}

void
rp_explain_tls_details (RpCheckResult *r, const RpStunClientInfo *info, gboolean insecure)
{
  if (info == NULL || info->tls_version == NULL)
    return;
  rp_check_result_metric (r, "tls_ms", info->tls_us / 1000.0);
  rp_check_result_detail_str (r, "tls_version", info->tls_version);
  rp_check_result_detail_str (r, "tls_cipher", info->tls_cipher);
  rp_check_result_detail_bool (r, "tls_verified", info->tls_verified);
  if (!info->tls_verified)
    rp_check_result_detail_str (r, "tls_error", rp_tls_verify_tag (info->tls_verify_result));
  if (info->cert_subject != NULL)
    rp_check_result_detail_str (r, "cert_subject", info->cert_subject);
  if (info->cert_issuer != NULL)
    rp_check_result_detail_str (r, "cert_issuer", info->cert_issuer);
  if (info->cert_not_after != 0)
    /* Days to two decimals: finer says nothing about a renewal. */
    rp_check_result_metric (
      r, "cert_days_left",
      round ((info->cert_not_after - g_get_real_time () / G_USEC_PER_SEC) / 864.0) / 100.0);
  if (insecure)
    rp_check_result_detail_bool (r, "insecure", TRUE);
}

gboolean
rp_explain_tls_untrusted (const RpCheckResult *r)
{
  const RpDetail *d = r != NULL ? rp_check_result_get_detail (r, "tls_verified") : NULL;

  return d != NULL && d->type == RP_DETAIL_BOOL && d->num == 0;
}

char *
rp_explain_route_missing (const char *server)
{
  g_autofree char *ip = NULL;
  g_autoptr (GInetAddress) a = NULL;
  g_autoptr (GSocketAddress) sa = NULL;
  struct sockaddr_storage ss;
  int fd, err = 0;

  if (server == NULL)
    return NULL;
  if (server[0] == '[') {
    const char *end = strchr (server, ']');
    ip = end != NULL ? g_strndup (server + 1, end - server - 1) : NULL;
  } else {
    const char *colon = strrchr (server, ':');
    ip = colon != NULL && strchr (server, ':') == colon ? g_strndup (server, colon - server)
                                                        : g_strdup (server);
  }
  a = ip != NULL ? g_inet_address_new_from_string (ip) : NULL;
  if (a == NULL)
    return NULL;
  sa = g_inet_socket_address_new (a, 9);
  if (!g_socket_address_to_native (sa, &ss, sizeof ss, NULL))
    return NULL;
  /* A UDP connect() sends nothing: it only asks the routing table. */
  fd = socket (ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return NULL;
  if (connect (fd, (struct sockaddr *) &ss, (socklen_t) g_socket_address_get_native_size (sa))
      != 0)
    err = errno;
  close (fd);
  if (err != ENETUNREACH && err != EHOSTUNREACH && err != EADDRNOTAVAIL)
    return NULL;
  return g_strdup_printf ("connect: %s", g_strerror (err));
}

void
rp_explain_no_route (RpCheckResult *r, const char *server, const char *reason)
{
  /* "[2001:db8::1]:3478" or a bare IPv6 literal: the IPv6 family. */
  gboolean v6 =
    server != NULL && (server[0] == '[' || strchr (server, ':') != strrchr (server, ':'));
  const char *fam = v6 ? "IPv6" : "IPv4";

  rp_check_result_detail_str (r, "no_route_family", v6 ? "ipv6" : "ipv4");
  rp_check_result_set (r, RP_STATUS_FAIL,
                       "no %s route from this network: %s failed at once (%s), nothing was sent",
                       fam, server != NULL ? server : "the server", reason != NULL ? reason : "");
  rp_check_result_set_hint (
    r, "this machine has no route to %s addresses (no %s default route or address), so the "
       "server's %s address cannot be reached from this network at all; clients on such a "
       "network need a host name with %s",
    fam, fam, fam,
    v6 ? "an A record" : "an AAAA record, or an A record behind DNS64 and NAT64");
}

void
rp_explain_net_failure (RpCheckResult *r, RpTransport transport, const char *server,
                        RpStunNetStatus net, const char *reason, const RpStunClientInfo *info)
{
  const char *t = rp_transport_words (transport);

  rp_check_result_detail_str (r, "error", reason != NULL ? reason : "");
  rp_check_result_detail_str (r, "net", rp_stun_net_status_to_string (net));
  switch (net) {
  case RP_STUN_NET_REFUSED:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s to %s refused: nothing listens there", t, server);
    if (transport == RP_TRANSPORT_UDP)
      rp_check_result_set_hint (
        r, "ICMP port unreachable: the host is up but nothing listens on this UDP port; start "
           "coturn (listening-port) or fix the port, and check it is not started with no-udp");
    else
      rp_check_result_set_hint (
        r, "connection refused: the host is up but nothing accepts this TCP port; start coturn "
           "(listening-port / tls-listening-port), check it is not started with no-tcp / no-tls, "
           "or fix the port");
    break;
  case RP_STUN_NET_UNREACHABLE:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s to %s: %s", t, server, reason);
    rp_check_result_set_hint (
      r, "an ICMP unreachable came back: a router or firewall rejects traffic to this host; "
         "check the security list, the host firewall and this network's routing");
    break;
  case RP_STUN_NET_NO_ROUTE:
    rp_explain_no_route (r, server, reason);
    break;
  case RP_STUN_NET_FILTERED:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s to %s filtered: %s", t, server, reason);
    rp_check_result_set_hint (
      r, "no SYN-ACK, no reset, no ICMP: a firewall drops this TCP port (security list ingress "
         "rule, host firewall) or this network blocks it");
    break;
  case RP_STUN_NET_TLS_UNTRUSTED:
    rp_check_result_set (r, RP_STATUS_FAIL, "TLS certificate not trusted: %s",
                         info != NULL ? rp_tls_verify_phrase (info->tls_verify_result)
                                      : "unknown reason");
    rp_check_result_set_hint (r, "%s", reason);
    break;
  case RP_STUN_NET_TLS_HANDSHAKE:
    rp_check_result_set (r, RP_STATUS_FAIL, "TLS handshake with %s failed", server);
    rp_check_result_set_hint (r, "%s", reason);
    break;
  case RP_STUN_NET_GARBAGE:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s", reason);
    rp_check_result_set_hint (
      r, "the port answers, but not with STUN/TURN: check it is coturn's listener and not "
         "another service (a web server, LiveKit)");
    break;
  case RP_STUN_NET_CLOSED:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s connection to %s closed by the server: %s", t,
                         server, reason);
    rp_check_result_set_hint (
      r, "the server hung up mid-request: coturn closes connections it cannot parse or "
         "that exceed a quota; look at its log for this client address");
    break;
  default:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s to %s: %s", t, server, reason);
    rp_check_result_set_hint (
      r,
      "the connection failed on this machine before reaching the network: check its network setup");
    break;
  }
}

void
rp_explain_silence (RpCheckResult *r, RpTransport transport, const char *server, guint16 port,
                    const char *what, guint requests)
{
  rp_check_result_set (r, RP_STATUS_FAIL, "no answer to %s over %s from %s (%u request%s)", what,
                       rp_transport_words (transport), server, requests, requests == 1 ? "" : "s");
  if (transport == RP_TRANSPORT_UDP)
    rp_check_result_set_hint (
      r,
      "%u/udp gets no answer: it is blocked on this network or at the server's firewall "
      "(security list ingress rule for %u/udp, host firewall), or the server is not running",
      port, port);
  else
    rp_check_result_set_hint (
      r,
      "the connection to %u is up but the server never answered %s: it is probably not a "
      "STUN/TURN listener (a TLS port? then use turns: / stuns:)",
      port, what);
}

void
rp_explain_deadline (RpCheckResult *r, RpTransport transport, const char *server, guint16 port,
                     const char *what, const RpStunClientInfo *info)
{
  if (server == NULL) {
    rp_check_result_set (r, RP_STATUS_FAIL, "no DNS answer before the deadline");
    rp_check_result_set_hint (
      r, "this network's DNS resolver is slow or unreachable: probe by IP address to tell");
    return;
  }
  if (transport != RP_TRANSPORT_UDP && (info == NULL || info->connect_us == 0)) {
    rp_check_result_set (
      r, RP_STATUS_FAIL,
      "%u/tcp filtered: no answer to the TCP handshake with %s before the deadline", port, server);
    rp_check_result_set_hint (
      r,
      "a firewall drops %u/tcp (security list ingress rule, host firewall) or this network "
      "blocks it",
      port);
    return;
  }
  if (transport == RP_TRANSPORT_TLS && (info == NULL || info->tls_version == NULL)) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "TLS handshake with %s did not finish before the deadline", server);
    rp_check_result_set_hint (
      r, "TCP %u is open but the TLS handshake stalls: is this port really TLS?", port);
    return;
  }
  if (info != NULL && info->strays > 0) {
    /* RFC 8489 6.3: such answers are discarded; the server did answer. */
    rp_check_result_detail_int (r, "stray_responses", info->strays);
    rp_check_result_set (r, RP_STATUS_FAIL, "no answer to %s over %s before the deadline: "
                         "the server answered %u time%s, but never with the transaction id "
                         "of our request", what, rp_transport_words (transport), info->strays,
                         info->strays == 1 ? "" : "s");
    rp_check_result_set_hint (r, "every client discards answers to transactions it did not "
                              "start: the server at %s is broken, or something between here "
                              "and it rewrites STUN transaction ids", server);
    return;
  }
  rp_check_result_set (r, RP_STATUS_FAIL, "no answer to %s over %s before the deadline", what,
                       rp_transport_words (transport));
  if (transport == RP_TRANSPORT_UDP)
    rp_check_result_set_hint (
      r,
      "%u/udp gets no answer: it is blocked on this network or at the server's firewall "
      "(security list ingress rule for %u/udp, host firewall), or the server is not running",
      port, port);
  else
    rp_check_result_set_hint (
      r,
      "the connection is up but %s got no answer in time: the server is overloaded, or this "
      "is not a STUN/TURN listener",
      what);
}

static char *
format_time (gint64 unix_time)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (unix_time);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("?");
}

/* 401 after credentials: say which credential and what to compare. */
static void
unauthorized_hint (RpCheckResult *r, const RpTurnContext *ctx)
{
  const RpTurnCreds *c = ctx->creds;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (c == NULL || c->kind == RP_CREDS_NONE) {
    rp_check_result_set_hint (
      r, "the server requires credentials: pass --user with --password-file (long-term), or "
         "--secret-file with the server's static-auth-secret (TURN REST)");
    return;
  }
  if (c->rest_expiry >= 0 && c->rest_expiry < now) {
    g_autofree char *when = format_time (c->rest_expiry);
    rp_check_result_detail_int (r, "rest_expiry", c->rest_expiry);
    rp_check_result_set_hint (
      r,
      "the REST credential expired at %s, %" G_GINT64_FORMAT " s ago: time-limited "
      "credentials must be fresh; get a new one from the app (or check this machine's clock)",
      when, now - c->rest_expiry);
    return;
  }
  if (c->kind == RP_CREDS_REST) {
    rp_check_result_set_hint (
      r, "the server rejected the REST credential: the secret differs from coturn's "
         "static-auth-secret (use-auth-secret), or the server's clock is behind this machine's "
         "by more than the credential's lifetime (--rest-ttl); compare `date -u` on both");
    return;
  }
  rp_check_result_set_hint (
    r,
    "wrong user or password for realm \"%s\": check the user= line (or the user database) "
    "in turnserver.conf; if coturn runs with use-auth-secret, it wants REST credentials: "
    "use --secret-file",
    ctx->realm != NULL ? ctx->realm : "?");
}

void
rp_explain_turn_failure (RpCheckResult *r, const char *step, const RpTurnResult *res,
                         const RpTurnContext *ctx, const RpStunClientInfo *info)
{
  rp_check_result_detail_str (r, "failed_step", step);
  switch (res->outcome) {
  case RP_STUN_TXN_TIMEOUT:
    rp_explain_silence (r, ctx->transport, ctx->server, 0, step, res->retransmissions + 1);
    if (ctx->transport == RP_TRANSPORT_UDP) {
      const char *colon = strrchr (ctx->server, ':');   /* "ADDR:PORT" or "[V6]:PORT" */
      guint port = colon != NULL ? (guint) g_ascii_strtoull (colon + 1, NULL, 10) : 0;
      rp_check_result_set_hint (
        r,
        "%u/udp gets no answer from %s: it is blocked on this network or at the server's "
        "firewall (security list ingress rule for %u/udp, host firewall), or coturn runs with "
        "no-udp",
        port, ctx->server, port);
    }
    return;
  case RP_STUN_TXN_MALFORMED:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s: %s", step, res->reason);
    if (res->integrity_failed)
      rp_check_result_set_hint (r, "a TURN server signs every answer to an authenticated "
                                "request with the user's key (RFC 8489 9.2.5); browsers drop "
                                "answers that are not signed, so no call gets this relay. Check "
                                "that %s is the TURN server you configured and that nothing "
                                "between here and it answers in its place", ctx->server);
    else
      rp_check_result_set_hint (r, "the server at %s does not answer like a TURN server: check "
                                "that this port is coturn's", ctx->server);
    return;
  case RP_STUN_TXN_NET:
    rp_explain_net_failure (r, ctx->transport, ctx->server, res->net, res->reason, info);
    return;
  case RP_STUN_TXN_RESPONSE:
    break;
  }
  rp_check_result_detail_int (r, "error_code", res->error_code);
  rp_check_result_detail_str (r, "error_reason",
                              res->error_reason != NULL ? res->error_reason : "");
  rp_check_result_set (r, RP_STATUS_FAIL, "%s refused: %u %s", step, res->error_code,
                       res->error_reason != NULL ? res->error_reason : "");
  switch (res->error_code) {
  case 300:
    rp_check_result_set_hint (
      r, "the server redirects clients (ALTERNATE-SERVER), and the alternate did not work either");
    break;
  case 400:
    rp_check_result_set_hint (
      r, "the server found the request malformed: a proxy or middlebox may be rewriting STUN, "
         "or the server is not coturn-compatible");
    break;
  case 401:
    unauthorized_hint (r, ctx);
    break;
  case 403:
    if (g_str_equal (step, "CreatePermission") || g_str_equal (step, "ChannelBind"))
      rp_check_result_set_hint (
        r, "Forbidden IP: the server refuses peers in that address range (denied-peer-ip, "
           "no-loopback-peers, no-multicast-peers in turnserver.conf). Clients whose relay or "
           "public addresses fall in a denied range cannot reach each other through this server");
    else
      rp_check_result_set_hint (
        r, "the server forbids this request for this user or address: check allowed-peer-ip, "
           "denied-peer-ip and user quotas in turnserver.conf");
    break;
  case 420:
    rp_check_result_set_hint (
      r, "the server does not understand an attribute rtcprobe sent: it may be an old or "
         "non-standard TURN server");
    break;
  case 437:
    rp_check_result_set_hint (
      r, "Allocation Mismatch: this source address and port already has an allocation, or the "
         "allocation is gone (expired or removed by a server restart); retry, and if it persists "
         "check the server's log");
    break;
  case 438:
    rp_check_result_set_hint (
      r, "the server keeps declaring the nonce stale even right after issuing it: its clock "
         "or its stale-nonce setting is wrong");
    break;
  case 440:
    /* RFC 6156 4.2 / RFC 8656 7.2 */
    rp_check_result_set_hint (
      r, "Address Family not Supported: the server has no relay address of the family asked "
         "for, so it cannot relay to peers that have only addresses of that family (IPv6-only "
         "mobile networks, for an IPv6 relay). coturn hands out an IPv6 relay only when it has "
         "a relay-ip of that family: add relay-ip=<the server's IPv6 address> in "
         "turnserver.conf (with listening-ip for it, or listening-ip/relay-ip pairs, one per "
         "family; behind NAT also external-ip for it). If the server deliberately relays one "
         "family only, this is expected");
    break;
  case 443:
    /* RFC 6156 6.2 / RFC 8656 9.1 */
    rp_check_result_set_hint (
      r, "Peer Address Family Mismatch: the peer's address is of another family than the "
         "allocation's relayed address (an IPv6 peer on an IPv4 relay, or the reverse), and a "
         "relay reaches peers of its own family only. Clients get a relay of the peer's family "
         "with REQUESTED-ADDRESS-FAMILY, or both with a dual allocation; coturn grants them when "
         "it has a relay-ip of each family (relay-ip=<IPv4> and relay-ip=<IPv6>, or "
         "listening-ip/relay-ip pairs)");
    break;
  case 441:
    rp_check_result_set_hint (
      r, "Wrong Credentials: a request used credentials other than those of the allocation "
         "(the username changed mid-allocation)");
    break;
  case 442:
    rp_check_result_set_hint (
      r, "the server does not relay UDP, which WebRTC needs: remove no-udp-relay from "
         "turnserver.conf");
    break;
  case 486:
    rp_check_result_set_hint (
      r, "Allocation Quota Reached: this user already holds too many relays (user-quota, "
         "total-quota in turnserver.conf), or earlier runs left allocations that have not expired "
         "yet");
    break;
  case 500:
    rp_check_result_set_hint (r, "the TURN server reported an internal error: check its log");
    break;
  case 508:
    rp_check_result_set_hint (
      r, "Insufficient Capacity: the server has no relay ports left; widen min-port/max-port "
         "(and open that UDP range in the security list) or raise total-quota");
    break;
  default:
    rp_check_result_set_hint (
      r, "the server refused %s with %u: see RFC 8656 section 18 and the server's log", step,
      res->error_code);
    break;
  }
}
