/* Transport failures of the `http` checks in operator words: curl's error
 * codes and OS errno become "does not resolve", "refused", "filtered", "TLS
 * handshake failed", "no answer after the request", each with the likely
 * fix in the deployment's terms (DNS record, security list, nginx listen). */
#include <errno.h>
#include <string.h>
#include <gio/gio.h>

#include "probe/checks/http-private.h"
#include "probe/net/http-tls.h"
#include "probe/core/explain.h"
#include "probe/core/resolve.h"
#include "common/tls-client.h"

static gboolean
is_https (const RpHttpTransfer *t)
{
  return t != NULL && g_ascii_strncasecmp (t->url, "https:", 6) == 0;
}

void
rp_http_phase_metrics (RpCheckResult *r, const RpHttpTransfer *t)
{
  RpHttpTimes times;
  RpHttpPhases p;

  rp_http_transfer_times (t, &times);
  rp_http_phases (&times, &p);
  /* microseconds in, milliseconds with three decimals out */
  if (times.namelookup > 0)
    rp_check_result_metric (r, "dns_ms", p.dns / 1000.0);
  if (times.connect > 0)
    rp_check_result_metric (r, "connect_ms", p.connect / 1000.0);
  if (times.appconnect > 0)
    rp_check_result_metric (r, "tls_ms", p.tls / 1000.0);
  if (times.starttransfer > 0)
    rp_check_result_metric (r, "ttfb_ms", p.ttfb / 1000.0);
  if (t->tcp_rtt_us > 0)
    rp_check_result_metric (r, "tcp_rtt_ms", t->tcp_rtt_us / 1000.0);
}

void
rp_http_explain_stall (RpCheckResult *r, const RpHttpTransfer *t, const char *host, guint16 port)
{
  RpHttpTimes times = { 0 };

  if (t != NULL) {
    rp_http_transfer_times (t, &times);
    rp_http_phase_metrics (r, t);
  }
  /* curl leaves the connect time at 0 until TLS is done too. */
  if (t != NULL && t->tls_started && times.connect == 0)
    times.connect = MAX (times.namelookup, 1);
  if (times.namelookup == 0 && times.connect == 0 && !g_hostname_is_ip_address (host)) {
    rp_check_result_set (r, RP_STATUS_FAIL, "no DNS answer for %s before the deadline", host);
    rp_check_result_set_hint (
      r, "this network's DNS resolver is slow or unreachable: probe by IP address to tell");
  } else if (times.connect == 0) {
    rp_check_result_set (
      r, RP_STATUS_FAIL,
      "%u/tcp filtered: no answer to the TCP handshake with %s before the deadline", port, host);
    rp_check_result_set_hint (
      r,
      "a firewall drops %u/tcp (OCI security list ingress rule, host firewall such as "
      "iptables/ufw) or this network blocks it",
      port);
  } else if (is_https (t) && times.appconnect == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "TLS handshake with %s:%u did not finish before the deadline", host, port);
    rp_check_result_set_hint (
      r,
      "TCP %u is open but the TLS handshake stalls: is this port really HTTPS (nginx "
      "`listen %u ssl`), or is something in between holding the connection?",
      port, port);
  } else if (times.starttransfer == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "the request was sent but no response came back before the deadline");
    rp_check_result_set_hint (
      r, "the server accepts the connection but does not answer: the app behind nginx hangs "
         "(nginx waits proxy_read_timeout, 60 s by default), or this port is not HTTP");
  } else if (!t->headers_done) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "the response headers started after %.1f ms but never finished",
                         times.starttransfer / 1000.0);
    rp_check_result_set_hint (
      r, "the server trickles its headers (a stuck or hostile sender, or a broken proxy): "
         "look at nginx's error.log and the app");
  } else {
    rp_check_result_set (
      r, RP_STATUS_FAIL,
      "the response started after %.1f ms but the body did not finish before the deadline",
      times.starttransfer / 1000.0);
    rp_check_result_set_hint (
      r, "the server sends the body too slowly or without end: check the app's response and "
         "nginx buffering (proxy_buffering) for this path");
  }
  rp_check_result_detail_str (r, "stalled_in", times.namelookup == 0 && times.connect == 0 ? "dns"
                              : times.connect == 0 ? "connect"
                              : is_https (t) && times.appconnect == 0 ? "tls"
                              : times.starttransfer == 0 ? "response"
                              : !t->headers_done ? "headers" : "body");
}

static void
connect_failure (RpCheckResult *r, const RpHttpTransfer *t, const char *host, guint16 port)
{
  long os_errno = 0;

  curl_easy_getinfo (t->easy, CURLINFO_OS_ERRNO, &os_errno);
  switch (os_errno) {
  case ECONNREFUSED:
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "%s:%u refused the connection: nothing listens on %u/tcp", host, port,
                         port);
    rp_check_result_set_hint (
      r,
      "the host is up but nothing accepts %u/tcp: start the web server (nginx `listen %u`) "
      "or fix the port in the URL",
      port, port);
    break;
  case EHOSTUNREACH:
  case ENETUNREACH:
  case EADDRNOTAVAIL: {
    char *ip = NULL;
    g_autofree char *server = NULL, *no_route = NULL;

    curl_easy_getinfo (t->easy, CURLINFO_PRIMARY_IP, &ip);
    if (ip == NULL || *ip == '\0')
      ip = (char *) host;
    server = strchr (ip, ':') != NULL ? g_strdup_printf ("[%s]:%u", ip, port)
                                      : g_strdup_printf ("%s:%u", ip, port);
    no_route = rp_explain_route_missing (server);
    if (no_route != NULL) {
      rp_explain_no_route (r, server, no_route);
      break;
    }
  }
    if (os_errno == EADDRNOTAVAIL) {
      rp_check_result_set (r, RP_STATUS_FAIL, "connecting to %s:%u failed: %s", host, port,
                           g_strerror ((int) os_errno));
      rp_check_result_set_hint (r, "the connection failed on this machine before reaching the "
                                   "network: check its network setup");
      break;
    }
    rp_check_result_set (r, RP_STATUS_FAIL, "%s:%u is unreachable: %s", host, port,
                         g_strerror ((int) os_errno));
    rp_check_result_set_hint (
      r, "an ICMP unreachable came back: a router or firewall rejects traffic to this host; "
         "check the security list, the host firewall and this network's routing");
    break;
  case ETIMEDOUT:
  case 0:
    rp_http_explain_stall (r, t, host, port);
    break;
  default:
    rp_check_result_set (r, RP_STATUS_FAIL, "connecting to %s:%u failed: %s", host, port,
                         g_strerror ((int) os_errno));
    rp_check_result_set_hint (
      r,
      "the connection failed on this machine before reaching the network: check its network setup");
    break;
  }
}

void
rp_http_explain_failure (RpCheckResult *r, const RpHttpTransfer *t, CURLcode code, const char *host,
                         guint16 port)
{
  const char *why = t->error[0] != '\0' ? t->error : curl_easy_strerror (code);

  rp_check_result_detail_str (r, "error", why);
  rp_check_result_detail_int (r, "curl_code", code);
  switch (code) {
  case CURLE_COULDNT_RESOLVE_HOST: {
    g_autoptr (GError) error =
      g_error_new_literal (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, why);
    g_autofree char *hint = rp_resolve_hint (host, t->family, error);
    rp_check_result_set (r, RP_STATUS_FAIL, "%s does not resolve", host);
    rp_check_result_set_hint (r, "%s", hint);
    return;
  }
  case CURLE_COULDNT_CONNECT:
    connect_failure (r, t, host, port);
    return;
  case CURLE_OPERATION_TIMEDOUT:
    rp_http_explain_stall (r, t, host, port);
    return;
  case CURLE_PEER_FAILED_VERIFICATION: {
    long v = rp_http_tls_code_from_error (t->error);
    g_autofree char *reason = rp_tls_verify_reason (v, host);
    rp_check_result_set (r, RP_STATUS_FAIL, "TLS certificate of %s not trusted: %s", host,
                         rp_tls_verify_phrase (v));
    rp_check_result_set_hint (r, "%s", reason);
    rp_check_result_detail_str (r, "tls_error", rp_tls_verify_tag (v));
    return;
  }
  case CURLE_SSL_CONNECT_ERROR:
    rp_check_result_set (r, RP_STATUS_FAIL, "TLS handshake with %s:%u failed: %s", host, port, why);
    rp_check_result_set_hint (
      r,
      "%u/tcp accepts connections but the TLS handshake fails: is it really HTTPS (not "
      "plain http on a TLS port)? Does nginx have ssl_certificate for this server_name, and "
      "a TLS version this client speaks (ssl_protocols TLSv1.2 TLSv1.3)?",
      port);
    return;
  case CURLE_SSL_CACERT_BADFILE:
    rp_check_result_set (r, RP_STATUS_FAIL, "cannot use the CA file: %s", why);
    rp_check_result_set_hint (r, "--ca-file must be a PEM file with the CA certificate(s)");
    return;
  case CURLE_GOT_NOTHING:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s:%u closed the connection without answering", host,
                         port);
    rp_check_result_set_hint (
      r, "the port accepts connections but says nothing: is it HTTP at all (https:// on a "
         "plain port, or the reverse)? Or the app behind it crashed on the request");
    return;
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_WEIRD_SERVER_REPLY:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s:%u does not answer like an HTTP server: %s", host,
                         port, why);
    rp_check_result_set_hint (
      r, "something other than a web server listens here (or plain http where https was "
         "expected): check the port and the scheme of the URL");
    return;
  case CURLE_WRITE_ERROR:
    if (t->headers_over) {
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "the server sent more than %u KiB of response headers",
                           RP_HTTP_MAX_HEADER_BYTES / 1024);
      rp_check_result_set_hint (
        r, "no sane endpoint answers with that many headers: check what the app sets (huge "
           "cookies, repeated headers) and whether this is the right server");
      return;
    }
    break;
  case CURLE_OUT_OF_MEMORY: {
    RpHttpTimes times;
    rp_http_transfer_times (t, &times);
    if (times.starttransfer == 0 || t->headers_done)
      break;
    /* curl refuses a single header line over CURL_MAX_HTTP_HEADER and says
     * only "Out of memory". */
    rp_check_result_detail_bool (r, "header_oversized", TRUE);
    rp_check_result_set (r, RP_STATUS_FAIL, "%s:%u sent a response header line longer than %d "
                         "KiB (curl's limit): an oversized header", host, port,
                         CURL_MAX_HTTP_HEADER / 1024);
    rp_check_result_set_hint (r, "no client reads a header that long: check what the app or proxy "
                              "puts in one header (a huge cookie or token, a header repeated into "
                              "one line) and whether this is the right server");
    return;
  }
  case CURLE_PARTIAL_FILE:
    rp_check_result_set (
      r, RP_STATUS_FAIL,
      "the body was cut short: fewer bytes arrived than Content-Length announced");
    rp_check_result_set_hint (
      r, "the upstream or nginx closed mid-response: look at nginx's error.log (upstream "
         "prematurely closed) and the app's log");
    return;
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
    rp_check_result_set (r, RP_STATUS_FAIL, "the connection to %s:%u broke: %s", host, port, why);
    rp_check_result_set_hint (
      r, "the server or something in between reset the connection: look at nginx's error.log; "
         "a middlebox may be interfering with this port");
    return;
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    rp_check_result_set (r, RP_STATUS_FAIL, "HTTP/2 error from %s:%u: %s", host, port, why);
    rp_check_result_set_hint (
      r, "the server's HTTP/2 layer rejected the request: look at nginx's error.log");
    return;
  default:
    break;
  }
  rp_check_result_set (r, RP_STATUS_FAIL, "request to %s:%u failed: %s", host, port, why);
  rp_check_result_set_hint (r, "curl reports \"%s\": check the URL and the server's logs",
                            curl_easy_strerror (code));
}
