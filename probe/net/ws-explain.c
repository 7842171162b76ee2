/* Websocket findings in the operator's words (see ws-explain.h). Hints name
 * the likely cause first and the fix in nginx / load-balancer terms, since
 * that is what sits in front of the app and LiveKit in the deployment. */
#include "probe/net/ws-explain.h"

#include <math.h>
#include <openssl/x509_vfy.h>

#include "common/tls-client.h"
#include "probe/core/explain.h"

void
rp_ws_explain_details (RpCheckResult *r, const RpWsInfo *i, gboolean insecure)
{
  if (i->connect_us > 0)
    rp_check_result_metric (r, "connect_ms", i->connect_us / 1000.0);
  if (i->tls_us > 0)
    rp_check_result_metric (r, "tls_ms", i->tls_us / 1000.0);
  if (i->upgrade_us > 0)
    rp_check_result_metric (r, "upgrade_ms", i->upgrade_us / 1000.0);
  if (i->http_status != 0)
    rp_check_result_detail_int (r, "http_status", i->http_status);
  if (i->server != NULL)
    rp_check_result_detail_str (r, "server", i->server);
  if (i->http_status != 101 && i->content_type != NULL)
    rp_check_result_detail_str (r, "content_type", i->content_type);
  if (i->location != NULL)
    rp_check_result_detail_str (r, "location", i->location);
  if (i->http_status == 101) {
    rp_check_result_detail_bool (r, "accept_verified", i->accept_verified);
    rp_check_result_detail_str (r, "subprotocol", i->subprotocol != NULL ? i->subprotocol : "");
    rp_check_result_detail_str (r, "extensions", i->extensions != NULL ? i->extensions : "");
  }
  if (i->tls_version != NULL) {
    rp_check_result_detail_str (r, "tls_version", i->tls_version);
    rp_check_result_detail_str (r, "tls_cipher", i->tls_cipher);
    rp_check_result_detail_bool (r, "tls_verified", i->tls_verified);
    if (!i->tls_verified)
      rp_check_result_detail_str (r, "tls_error", rp_tls_verify_tag (i->tls_verify_result));
    if (i->cert_subject != NULL)
      rp_check_result_detail_str (r, "cert_subject", i->cert_subject);
    if (i->cert_issuer != NULL)
      rp_check_result_detail_str (r, "cert_issuer", i->cert_issuer);
    if (i->cert_not_after != 0)
      rp_check_result_metric (
        r, "cert_days_left",
        round ((i->cert_not_after - g_get_real_time () / G_USEC_PER_SEC) / 864.0) / 100.0);
  }
  if (insecure)
    rp_check_result_detail_bool (r, "insecure", TRUE);
}

static void
status_hint (RpCheckResult *r, const RpWsInfo *i, const char *server)
{
  guint s = i->http_status;

  if (s == 200) {
    rp_check_result_set_hint (
      r, "the upgrade was answered like a page request: the proxy (or a static host / SPA "
         "fallback) served this path itself, or dropped Upgrade so the app saw a plain GET; "
         "proxy this path to the app with: " RP_WS_NGINX_UPGRADE_LINES);
  } else if (s == 301 || s == 302 || s == 307 || s == 308) {
    rp_check_result_set_hint (
      r,
      "websocket clients do not follow redirects: use the final URL (%s), or stop the proxy "
      "from redirecting this path (an http->https or trailing-slash redirect)",
      i->location != NULL ? i->location : "see Location");
  } else if (s == 400) {
    rp_check_result_set_hint (
      r, "the server found the upgrade malformed: a proxy that drops the Upgrade/Connection "
         "headers turns it into a plain GET; pass them with: " RP_WS_NGINX_UPGRADE_LINES);
  } else if (s == 401 || s == 403) {
    rp_check_result_set_hint (
      r,
      "the server refused the upgrade (%u): it wants credentials or refuses this Origin "
      "(Socket.IO cors / allowRequest, a WAF, basic auth on the proxy)",
      s);
  } else if (s == 404) {
    rp_check_result_set_hint (
      r, "a bare 404 on an upgrade: no proxy location serves this path, or the proxy "
         "strips Upgrade and the app has no plain-HTTP route there; check the location block "
         "proxies the path to the app with: " RP_WS_NGINX_UPGRADE_LINES);
  } else if (s == 426) {
    rp_check_result_set_hint (
      r, "426 Upgrade Required: the app wanted a websocket but the Upgrade header did not "
         "reach it; pass it with: " RP_WS_NGINX_UPGRADE_LINES);
  } else if (s == 502) {
    rp_check_result_set_hint (
      r,
      "502 Bad Gateway from %s: the proxy is up but cannot reach the app behind it "
      "(app down, or proxy_pass points at the wrong host/port); check the app is running "
      "and listening where proxy_pass points, and the proxy's error log",
      server);
  } else if (s == 503) {
    rp_check_result_set_hint (
      r, "503: the proxy has no healthy upstream, or the app is overloaded / in maintenance");
  } else if (s == 504) {
    rp_check_result_set_hint (
      r, "504 Gateway Timeout: the proxy reached no answer from the app in time (app hung, "
         "or unreachable from the proxy: firewall between them, wrong upstream address)");
  } else {
    rp_check_result_set_hint (
      r,
      "the server answered %u instead of 101 Switching Protocols: check what serves this "
      "path behind the proxy",
      s);
  }
}

void
rp_ws_explain_failure (RpCheckResult *r, const RpWsInfo *i, const char *server, const char *host)
{
  rp_check_result_detail_str (r, "failed_phase", rp_ws_phase_to_string (i->phase));
  if (i->error != NULL)
    rp_check_result_detail_str (r, "error", i->error);
  switch (i->phase) {
  case RP_WS_PHASE_CONNECT: {
    g_autofree char *no_route = rp_explain_route_missing (server);
    if (no_route != NULL) {
      rp_explain_no_route (r, server, no_route);
      return;
    }
  }
    rp_check_result_set (r, RP_STATUS_FAIL, "TCP to %s refused or unreachable", server);
    rp_check_result_set_hint (
      r, "nothing accepts connections there, or a firewall rejects them: check the proxy "
         "listens on this port, the security list ingress rule and the host firewall");
    return;
  case RP_WS_PHASE_TLS:
    if (i->tls_verify_result != X509_V_OK) {
      g_autofree char *why = rp_tls_verify_reason (i->tls_verify_result, host);
      rp_check_result_detail_str (r, "tls_error", rp_tls_verify_tag (i->tls_verify_result));
      rp_check_result_set (r, RP_STATUS_FAIL, "TLS certificate not trusted: %s",
                           rp_tls_verify_phrase (i->tls_verify_result));
      rp_check_result_set_hint (r, "%s", why);
    } else {
      rp_check_result_set (r, RP_STATUS_FAIL, "TLS handshake with %s failed", server);
      rp_check_result_set_hint (
        r, "the port does not speak TLS as expected: wss:// to a cleartext port (use ws://), "
           "no certificate configured for this name, or no common protocol version/cipher");
    }
    return;
  case RP_WS_PHASE_UPGRADE:
    if (i->http_status == 0) {
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "the connection to %s closed without an answer to the upgrade (%s)",
                           server, i->error != NULL ? i->error : "no reason");
      rp_check_result_set_hint (
        r, "something accepted the connection but hung up on the HTTP request: ws:// to a "
           "TLS port (use wss://), or a proxy/middlebox that drops websocket requests");
      return;
    }
    if (i->http_status == 101) {
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "the 101 answer was not a valid websocket handshake: %s",
                           i->error != NULL ? i->error : "rejected");
      rp_check_result_set_hint (
        r, "RFC 6455 4.1: Sec-WebSocket-Accept must match the key, and Upgrade/Connection "
           "must be websocket/Upgrade; a proxy rewrites the handshake or answers for the app");
      return;
    }
    rp_check_result_set (r, RP_STATUS_FAIL, "websocket upgrade refused: HTTP %u%s%s",
                         i->http_status, i->server != NULL ? " from " : "",
                         i->server != NULL ? i->server : "");
    status_hint (r, i, server);
    return;
  default:
    rp_check_result_set (r, RP_STATUS_FAIL, "the websocket to %s failed: %s", server,
                         i->error != NULL ? i->error : "?");
    return;
  }
}

void
rp_ws_explain_hold_close (RpCheckResult *r, const RpWsInfo *i, double held_s,
                          gint64 ping_interval_ms)
{
  double pi_s = ping_interval_ms / 1000.0;
  g_autofree char *how = i->close_frame
                           ? g_strdup_printf ("with close code %u%s%s%s", i->close_code,
                                              i->close_reason != NULL ? " (" : "",
                                              i->close_reason != NULL ? i->close_reason : "",
                                              i->close_reason != NULL ? ")" : "")
                           : g_strdup ("without a close frame");

  rp_check_result_metric (r, "held_s", round (held_s * 10) / 10);
  rp_check_result_detail_bool (r, "closed_during_hold", TRUE);
  rp_check_result_detail_bool (r, "close_frame", i->close_frame);
  if (i->close_frame)
    rp_check_result_detail_int (r, "close_code", i->close_code);
  rp_check_result_set (r, RP_STATUS_FAIL, "the idle websocket was closed after %.1f s %s", held_s,
                       how);
  if (i->close_frame && i->close_code != 1006) {
    rp_check_result_set_hint (
      r,
      "the server side ended the idle connection on purpose (code %u): an app or proxy "
      "idle policy; a client has to reconnect every %.0f s",
      i->close_code, held_s);
    return;
  }
  if (fabs (held_s - 60) < 3)
    rp_check_result_detail_str (r, "likely_limit",
                                "60 s: nginx's default proxy_read_timeout, or a load balancer's "
                                "default idle timeout (AWS ALB, OCI)");
  else if (fabs (held_s - 350) < 5)
    rp_check_result_detail_str (r, "likely_limit",
                                "350 s: the fixed idle timeout of AWS Network Load Balancers");
  if (ping_interval_ms > 0 && pi_s > held_s)
    rp_check_result_set_hint (
      r,
      "an idle timeout between here and the app cut the connection after %.0f s, before the "
      "server's first Engine.IO ping (pingInterval %.0f s): nginx proxy_read_timeout (default "
      "60 s) or a load balancer's idle timeout (often 60 s, 350 s) is shorter than pingInterval; "
      "raise proxy_read_timeout/proxy_send_timeout above pingInterval + pingTimeout in the "
      "location that proxies Socket.IO, or lower pingInterval",
      held_s, pi_s);
  else
    rp_check_result_set_hint (
      r,
      "an idle timeout between here and the app cut the connection after %.0f s: nginx "
      "proxy_read_timeout (default 60 s) or a load balancer's idle timeout (often 60 s, "
      "350 s); raise proxy_read_timeout/proxy_send_timeout in the location that proxies "
      "websockets (e.g. 3600s), or the load balancer's idle timeout",
      held_s);
}

void
rp_ws_explain_deadline (RpCheckResult *r, const RpWsInfo *i, const char *server, guint16 port,
                        const char *awaiting)
{
  RpWsPhase phase = i != NULL ? i->phase : RP_WS_PHASE_CONNECT;

  rp_check_result_detail_str (r, "stalled_phase",
                              server == NULL ? "resolve" : rp_ws_phase_to_string (phase));
  if (server == NULL) {
    rp_check_result_set (r, RP_STATUS_FAIL, "no DNS answer before the deadline");
    rp_check_result_set_hint (
      r, "this network's DNS resolver is slow or unreachable: probe by IP address to tell");
    return;
  }
  switch (phase) {
  case RP_WS_PHASE_CONNECT:
    rp_check_result_set (
      r, RP_STATUS_FAIL,
      "%u/tcp filtered: no answer to the TCP handshake with %s before the deadline", port, server);
    rp_check_result_set_hint (
      r,
      "a firewall drops %u/tcp (security list ingress rule, host firewall) or this network "
      "blocks it",
      port);
    return;
  case RP_WS_PHASE_TLS:
    rp_check_result_set (r, RP_STATUS_FAIL, "TLS handshake silence: %s accepted TCP but the TLS "
                         "handshake did not finish before the deadline", server);
    rp_check_result_set_hint (r, "TCP %u is open but the TLS handshake stalls: is this port really "
                              "TLS (not a plain HTTP or TCP service that waits for the client to "
                              "speak first)?", port);
    return;
  case RP_WS_PHASE_UPGRADE:
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "no answer to the websocket upgrade from %s before the deadline", server);
    rp_check_result_set_hint (
      r, "the request reached the server but nothing answered: the proxy waits on an app that "
         "does not respond (proxy_read_timeout will turn this into a 504), or the proxy buffers "
         "the upgrade; check the app and " RP_WS_NGINX_UPGRADE_LINES);
    return;
  default:
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "the websocket is open but %s did not arrive before the deadline",
                         awaiting);
    rp_check_result_set_hint (
      r, "the upgrade passed, so the proxy forwards websockets; the app behind it is slow or "
         "is not the server this probe expects");
    return;
  }
}
