/* LiveKit signalling checks and access tokens (see livekit.h). Three small
 * checks share one state shape: resolve, then one request (an HTTP GET via
 * libcurl, or a websocket upgrade via libwebsockets), then a verdict whose
 * hint names the proxy or the key that is wrong. */
#include "probe/checks/check-livekit.h"
#include "probe/core/explain.h"

#include <curl/curl.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "probe/core/credentials.h"
#include "probe/core/resolve.h"
#include "probe/net/ws-client.h"
#include "probe/net/ws-explain.h"
#include "probe/net/ws-http.h"

#define LK_BUDGET_US (10 * G_USEC_PER_SEC)
#define LK_TOKEN_TTL_S 600

typedef enum { LK_HTTP, LK_VALIDATE, LK_RTC } LkKind;

typedef struct {
  LkKind kind;
  RpProbeOptions options;
  char *ca_file;
  char *host;
  guint16 port;
  gboolean tls;
  char **headers;
  char *key;
  RpSecret *secret;
  const char *secret_source;
  char *secret_error;      /* the secret could not be read */
  GList *addrs;            /* resolved addresses not tried yet */
  char *address;
  char *server;
  RpWsHttp *http;
  RpWsConn *conn;
} LkState;

char *
rp_base64url_encode (const guint8 *data, gsize len)
{
  char *s = g_base64_encode (data, len);
  char *w = s;

  for (char *p = s; *p != '\0'; p++) {
    if (*p == '=')
      continue;
    *w++ = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  }
  *w = '\0';
  return s;
}

RpSecret *
rp_livekit_token_new (const char *key, const char *secret, const char *identity, const char *room,
                      gint64 now, gint64 ttl_s)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *claims = NULL;
  g_autofree char *h64 = NULL;
  g_autofree char *c64 = NULL;
  g_autofree char *s64 = NULL;
  g_autofree char *input = NULL;
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

  /* LiveKit's access token: standard claims plus the "video" grant. */
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "iss");
  json_builder_add_string_value (b, key);
  json_builder_set_member_name (b, "sub");
  json_builder_add_string_value (b, identity);
  json_builder_set_member_name (b, "nbf");
  json_builder_add_int_value (b, now);
  json_builder_set_member_name (b, "exp");
  json_builder_add_int_value (b, now + ttl_s);
  json_builder_set_member_name (b, "video");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, room);
  json_builder_set_member_name (b, "roomJoin");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  claims = json_generator_to_data (gen, NULL);

  /* RFC 7519 / RFC 7515: base64url(header) "." base64url(claims), signed with
   * HMAC-SHA256 (RFC 7518 3.2), signature base64url without padding. */
  h64 = rp_base64url_encode ((const guint8 *) header, strlen (header));
  c64 = rp_base64url_encode ((const guint8 *) claims, strlen (claims));
  input = g_strdup_printf ("%s.%s", h64, c64);
  if (HMAC (EVP_sha256 (), secret, (int) strlen (secret), (const guint8 *) input, strlen (input),
            mac, &mac_len) == NULL)
    return NULL;
  s64 = rp_base64url_encode (mac, mac_len);
  OPENSSL_cleanse (mac, sizeof mac);
  return g_strdup_printf ("%s.%s", input, s64);
}

static void
lk_state_free (gpointer data)
{
  LkState *s = data;

  rp_ws_http_free (s->http);
  rp_ws_conn_free (s->conn);
  rp_secret_free (s->secret);
  g_strfreev (s->headers);
  g_free (s->secret_error);
  g_free (s->ca_file);
  g_free (s->host);
  g_free (s->key);
  g_resolver_free_addresses (s->addrs);
  g_free (s->address);
  g_free (s->server);
  g_free (s);
}

static void
body_detail (RpCheckResult *r, const RpWsHttpResult *res)
{
  if (res->body_len > 0 && res->body_len < 256 &&
      g_utf8_validate (res->body, res->body_len, NULL)) {
    g_autofree char *b = g_strstrip (g_strdup (res->body));
    rp_check_result_detail_str (r, "body", b);
  }
}

static void
http_failure (RpCheckResult *r, const RpWsHttpResult *res, const char *server)
{
  rp_check_result_detail_str (r, "error", res->error);
  rp_check_result_set (r, RP_STATUS_FAIL, "no HTTP answer from %s: %s", server, res->error);
  rp_check_result_set_hint (
    r, res->tls_error ? "TLS failed: check the certificate for this name (--ca-file for a private "
                        "CA) and that the port is the TLS one"
                      : "the proxy in front of LiveKit does not answer: check it listens on "
                        "this port and the security list / host firewall allow it");
}

static void lk_request (RpCheck *check);

static void
on_http_done (const RpWsHttpResult *res, gpointer data)
{
  RpCheck *check = data;
  LkState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (rp_check_is_finished (check))
    goto out;
  if (!res->ok && res->curl_code == CURLE_COULDNT_CONNECT && s->addrs != NULL) {
    g_clear_pointer (&s->http, rp_ws_http_free);
    lk_request (check);   /* refused: try the name's next address */
    return;
  }
  if (!res->ok) {
    http_failure (r, res, s->server);
    rp_check_finish (check);
    goto out;
  }
  rp_check_result_detail_int (r, "http_status", res->status);
  rp_check_result_metric (r, "total_ms", res->total_ms);
  if (res->server != NULL)
    rp_check_result_detail_str (r, "server", res->server);
  body_detail (r, res);
  if (s->kind == LK_HTTP) {
    if (res->status == 200 && g_str_has_prefix (res->body, "OK")) {
      rp_check_result_set (r, RP_STATUS_PASS, "LiveKit answers GET / with 200 OK in %.1f ms",
                           res->total_ms);
    } else if (res->status == 502 || res->status == 504) {
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "the proxy answers %ld: LiveKit behind it is down or unreachable",
                           res->status);
      rp_check_result_set_hint (
        r, "start livekit-server, and check proxy_pass points at its port (7880 by default) "
           "and the proxy can reach it");
    } else {
      rp_check_result_set (r, RP_STATUS_FAIL, "GET / answered %ld, not LiveKit's 200 \"OK\"",
                           res->status);
      rp_check_result_set_hint (
        r, "this host name is not routed to LiveKit: check the proxy's server_name / location "
           "for the LiveKit host, or use the URL clients are given");
    }
  } else if (s->key == NULL) {
    if (res->status == 401) {
      rp_check_result_set (r, RP_STATUS_PASS,
                           "/rtc/validate answers 401 without a token: LiveKit is up and routed");
    } else {
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "/rtc/validate answered %ld, not LiveKit's 401 for a missing token",
                           res->status);
      rp_check_result_set_hint (r, res->status == 404
                                     ? "the proxy does not route /rtc to LiveKit (or this is not "
                                       "LiveKit): proxy the whole host to livekit-server"
                                     : "something other than LiveKit answers /rtc/validate");
    }
  } else if (res->status == 200) {
    rp_check_result_set (r, RP_STATUS_PASS,
                         "LiveKit accepted a token signed with API key %s: the key and secret "
                         "match the server's",
                         s->key);
  } else if (res->status == 401) {
    rp_check_result_set (r, RP_STATUS_FAIL, "LiveKit rejected a token signed with API key %s (401)",
                         s->key);
    rp_check_result_set_hint (
      r,
      "the API key or secret differs from the server's (keys: in livekit.yaml, or "
      "LIVEKIT_KEYS): tokens the app signs with them are refused too; also compare clocks "
      "(`date -u`): the token is valid from now for %d s",
      LK_TOKEN_TTL_S);
  } else {
    rp_check_result_set (r, RP_STATUS_FAIL, "/rtc/validate with a token answered %ld", res->status);
    rp_check_result_set_hint (
      r, "expected 200 for a valid token or 401 for a wrong key/secret: something other "
         "than LiveKit answers this path");
  }
  rp_check_finish (check);
out:
  g_clear_pointer (&s->http, rp_ws_http_free);
}

static void
on_rtc_failed (RpWsConn *conn, gpointer data)
{
  RpCheck *check = data;
  LkState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const RpWsInfo *i = rp_ws_conn_get_info (conn);

  if (rp_check_is_finished (check))
    return;
  if (i->phase == RP_WS_PHASE_CONNECT && s->addrs != NULL) {
    g_clear_pointer (&s->conn, rp_ws_conn_free);
    lk_request (check);   /* refused: try the name's next address */
    return;
  }
  rp_ws_explain_details (r, i, s->options.insecure);
  if (i->phase == RP_WS_PHASE_UPGRADE && i->http_status == 401) {
    rp_check_result_set (
      r, RP_STATUS_PASS,
      "websocket upgrade on /rtc reaches LiveKit (401 without a token) in %.1f ms",
      i->upgrade_us / 1000.0);
  } else if (i->phase == RP_WS_PHASE_UPGRADE && i->http_status == 404) {
    rp_check_result_set (r, RP_STATUS_FAIL, "websocket upgrade on /rtc answered a bare 404");
    rp_check_result_set_hint (
      r, "LiveKit answers an upgrade without a token with 401; a 404 means the request reached "
         "it without the Upgrade header (the proxy strips it) or the proxy does not route "
         "/rtc: " RP_WS_NGINX_UPGRADE_LINES);
  } else {
    rp_ws_explain_failure (r, i, s->server, s->host);
  }
  rp_check_finish (check);
}

static void
on_rtc_established (RpWsConn *conn, gpointer data)
{
  RpCheck *check = data;
  LkState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (rp_check_is_finished (check))
    return;
  rp_ws_explain_details (r, rp_ws_conn_get_info (conn), s->options.insecure);
  rp_check_result_set (r, RP_STATUS_PASS,
                       "websocket upgrade on /rtc accepted (101) without a token");
  g_clear_pointer (&s->conn, rp_ws_conn_free);
  rp_check_finish (check);
}

static const RpWsCallbacks rtc_callbacks = { on_rtc_established, on_rtc_failed, NULL, NULL, NULL };

static void
lk_request (RpCheck *check)
{
  LkState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  GMainContext *ctx = rp_runner_get_context (rp_check_get_runner (check));
  g_autoptr (GError) error = NULL;
  GInetAddress *ip = s->addrs->data;

  s->addrs = g_list_delete_link (s->addrs, s->addrs);
  g_free (s->address);
  g_free (s->server);
  s->address = g_inet_address_to_string (ip);
  s->server = rp_address_port_to_string (ip, s->port);
  g_object_unref (ip);
  rp_check_result_detail_str (r, "server_address", s->server);

  g_autofree char *hostport = strchr (s->host, ':') != NULL
                                ? g_strdup_printf ("[%s]:%u", s->host, s->port)
                                : g_strdup_printf ("%s:%u", s->host, s->port);

  if (s->kind == LK_RTC) {
    RpWsConnOptions o = { s->address,          s->port,    s->host,    "/rtc", s->tls,
                          s->options.insecure, s->ca_file, s->headers, NULL,   4096 };
    s->conn = rp_ws_conn_new (ctx, &o, &rtc_callbacks, check, &error);
    if (s->conn == NULL) {
      rp_check_result_set (r, RP_STATUS_FAIL, "%s", error->message);
      rp_check_finish (check);
    }
    return;
  }
  {
    g_autofree char *url = NULL;
    g_autofree char *id = NULL;
    g_autofree char *room = NULL;
    g_autoptr (RpSecret) token = NULL;
    RpWsHttpRequest req = { 0 };

    if (s->kind == LK_HTTP) {
      url = g_strdup_printf ("%s://%s/", s->tls ? "https" : "http", hostport);
    } else if (s->key == NULL) {
      url = g_strdup_printf ("%s://%s/rtc/validate", s->tls ? "https" : "http", hostport);
    } else {
      id = g_strdup_printf ("rtcprobe-%08x", g_random_int ());
      room = g_strdup_printf ("rtcprobe-%08x", g_random_int ());
      token = rp_livekit_token_new (s->key, s->secret, id, room,
                                    g_get_real_time () / G_USEC_PER_SEC, LK_TOKEN_TTL_S);
      rp_check_result_detail_str (r, "identity", id);
      rp_check_result_detail_str (r, "room", room);
      rp_check_result_detail_str (r, "secret_source", s->secret_source);
      rp_check_result_detail_str (r, "path", "/rtc/validate?access_token=(redacted)");
      url = g_strdup_printf ("%s://%s/rtc/validate?access_token=%s", s->tls ? "https" : "http",
                             hostport, token);
    }
    req.url = url;
    req.host = s->host;
    req.port = s->port;
    req.address = s->address;
    req.ca_file = s->ca_file;
    req.insecure = s->options.insecure;
    req.headers = s->headers;
    req.timeout_us =
      MAX (rp_check_get_deadline_us (check) - g_get_monotonic_time () - 200 * 1000, 1000);
    s->http = rp_ws_http_get (ctx, &req, on_http_done, check);
    if (url != NULL && token != NULL)
      memset (url, 0, strlen (url));   /* the URL carries the token */
    if (s->http == NULL) {
      rp_check_result_set (r, RP_STATUS_FAIL, "libcurl could not start the request");
      rp_check_finish (check);
    }
  }
}

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  LkState *s = rp_check_get_state (check);
  GList *addrs = NULL;

  switch (rp_check_resolve_finish (check, res, s->host, s->options.family, &addrs)) {
  case RP_RESOLVE_LATE:
    return;
  case RP_RESOLVE_FAILED:
    rp_check_finish (check);
    return;
  case RP_RESOLVED:
    break;
  }
  s->addrs = addrs;
  lk_request (check);
}

static void
lk_start (RpCheck *check)
{
  LkState *s = rp_check_get_state (check);

  if (s->secret_error != NULL) {
    rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL, "%s", s->secret_error);
    rp_check_result_set_hint (
      rp_check_get_result (check),
      "give the API secret with --livekit-secret-file FILE or "
      "the environment variable RTCPROBE_LIVEKIT_SECRET (never on the command line)");
    rp_check_finish (check);
    return;
  }
  rp_resolve_async (s->host, s->options.family, rp_check_get_cancellable (check), on_resolved,
                    rp_check_ref (check));
}

static void
lk_expire (RpCheck *check)
{
  LkState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (s->conn != NULL) {
    rp_ws_explain_deadline (r, rp_ws_conn_get_info (s->conn), s->server, s->port, "an answer");
    g_clear_pointer (&s->conn, rp_ws_conn_free);
    return;
  }
  rp_check_result_set (r, RP_STATUS_FAIL, s->server == NULL ? "no DNS answer before the deadline"
                                                            : "no HTTP answer before the deadline");
  rp_check_result_set_hint (
    r, s->server == NULL ? "this network's DNS resolver is slow or unreachable"
                         : "the port is filtered, or the proxy waits on a LiveKit that does not "
                           "answer (proxy_read_timeout turns this into a 504)");
  g_clear_pointer (&s->http, rp_ws_http_free);
}

static const RpCheckClass lk_class = { lk_start, lk_expire, lk_state_free };

static void
add_one (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
         const RpWsOptions *ws, guint index, LkKind kind)
{
  static const char *const names[] = { "livekit.http", "livekit.validate", "livekit.rtc" };
  LkState *s = g_new0 (LkState, 1);
  g_autofree char *id =
    index > 0 ? g_strdup_printf ("%s.%u", names[kind], index) : g_strdup (names[kind]);

  s->kind = kind;
  s->options = *options;
  s->ca_file = g_strdup (options->ca_file);
  s->options.ca_file = s->ca_file;
  s->host = g_strdup (target->host);
  s->port = target->port;
  s->tls = target->scheme == RP_SCHEME_WSS || target->scheme == RP_SCHEME_HTTPS;
  s->headers = g_strdupv (ws->headers);
  if (kind == LK_VALIDATE && ws->livekit_key != NULL) {
    g_autoptr (GError) error = NULL;
    const char *env = g_getenv ("RTCPROBE_LIVEKIT_SECRET");

    s->key = g_strdup (ws->livekit_key);
    if (ws->livekit_secret_file != NULL) {
      s->secret = rp_read_secret_file (ws->livekit_secret_file, &error);
      s->secret_source = "--livekit-secret-file";
      if (s->secret == NULL)
        s->secret_error = g_strdup_printf ("cannot read the LiveKit secret: %s", error->message);
    } else if (env != NULL && env[0] != '\0') {
      s->secret = g_strdup (env);
      s->secret_source = "RTCPROBE_LIVEKIT_SECRET";
    } else {
      s->secret_error = g_strdup ("--livekit-key needs the API secret");
    }
  }
  rp_runner_add (runner, rp_check_result_new (id, "websocket", target->uri), LK_BUDGET_US,
                 &lk_class, s);
}

void
rp_livekit_checks_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                       const RpWsOptions *ws, guint index)
{
  add_one (runner, options, target, ws, index, LK_HTTP);
  add_one (runner, options, target, ws, index, LK_VALIDATE);
  add_one (runner, options, target, ws, index, LK_RTC);
}
