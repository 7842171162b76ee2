/* One bounded HTTP exchange (see http-transfer.h). Every transfer opens its
 * own connection and resolves afresh, so that each one measures the full
 * path (DNS, TCP, TLS) and sees the server's certificate chain; a probe has
 * nothing to gain from connection reuse. Proxies from the environment are
 * ignored: the probe measures the direct path to the server. */
#include "probe/net/http-transfer.h"

#include <gio/gio.h>
#include <linux/tcp.h>   /* struct tcp_info with tcpi_min_rtt */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "probe/net/curl-glib.h"
#include "common/tls-client.h"
#include "rp-config.h"

/* Bytes per second below which a transfer counts as stalled (slowloris),
 * and for how long. */
#define LOW_SPEED_LIMIT 1
#define LOW_SPEED_TIME_S 5
/* curl's timeout ends this much before the check's deadline, so that curl
 * names the failure rather than the runner. */
#define DEADLINE_MARGIN_MS 150

static void
record_tls (RpHttpTransfer *t)
{
  const struct curl_tlssessioninfo *info = NULL;

  if (t->tls_version != NULL)
    return;
  if (curl_easy_getinfo (t->easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == NULL
      || info->backend != CURLSSLBACKEND_OPENSSL || info->internals == NULL)
    return;
  /* Only valid while the connection is up: read it now, not after done. */
  t->tls_version = g_strdup (SSL_get_version (info->internals));
  t->tls_cipher = g_strdup (SSL_get_cipher_name (info->internals));
}

/* curl makes the SSL_CTX when the TCP connection is up and TLS begins:
 * the mark that tells a silent TLS server from a filtered port (curl's
 * connect time stays 0 until the handshake is done). */
static CURLcode
on_ssl_ctx (CURL *easy, void *ssl_ctx, void *userp)
{
  RpHttpTransfer *t = userp;

  t->tls_started = TRUE;
  if (!t->system_store)
    return CURLE_OK;
  return rp_tls_load_system_store (ssl_ctx) ? CURLE_OK : CURLE_SSL_CACERT_BADFILE;
}

/* Every socket curl opens for this transfer (fresh connections, no reuse). */
static int
on_sockopt (void *userp, curl_socket_t fd, curlsocktype purpose)
{
  RpHttpTransfer *t = userp;

  if (purpose == CURLSOCKTYPE_IPCXN) {
    int v = fd;
    g_array_append_val (t->sockets, v);
  }
  return CURL_SOCKOPT_OK;
}

static gboolean
same_endpoint (const struct sockaddr_storage *ss, const char *ip, long port)
{
  char buf[INET6_ADDRSTRLEN] = "";
  guint16 p;

  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;
    inet_ntop (AF_INET, &sin->sin_addr, buf, sizeof buf);
    p = ntohs (sin->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;
    inet_ntop (AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
    p = ntohs (sin6->sin6_port);
  } else {
    return FALSE;
  }
  return ip != NULL && g_str_equal (buf, ip) && p == port;
}

/* The kernel's RTT on the connection (the smallest sample: handshake, TLS,
 * request), read when the answer starts, from the socket whose two ends are
 * the ones curl reports (a closed socket's number may belong to another
 * check by now). It does not include this program's loop latency, which
 * curl's own phase times do when many checks run at once. */
static void
record_tcp_rtt (RpHttpTransfer *t)
{
  char *rip = NULL, *lip = NULL;
  long rport = 0, lport = 0;

  if (curl_easy_getinfo (t->easy, CURLINFO_PRIMARY_IP, &rip) != CURLE_OK
      || curl_easy_getinfo (t->easy, CURLINFO_PRIMARY_PORT, &rport) != CURLE_OK
      || curl_easy_getinfo (t->easy, CURLINFO_LOCAL_IP, &lip) != CURLE_OK
      || curl_easy_getinfo (t->easy, CURLINFO_LOCAL_PORT, &lport) != CURLE_OK)
    return;
  for (guint i = t->sockets->len; i-- > 0;) {
    int fd = g_array_index (t->sockets, int, i);
    struct sockaddr_storage local, peer;
    socklen_t ll = sizeof local, pl = sizeof peer, len = sizeof (struct tcp_info);
    struct tcp_info ti;

    if (getsockname (fd, (struct sockaddr *) &local, &ll) != 0 ||
        getpeername (fd, (struct sockaddr *) &peer, &pl) != 0 ||
        !same_endpoint (&local, lip, lport) || !same_endpoint (&peer, rip, rport))
      continue;
    memset (&ti, 0, sizeof ti);
    if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
      return;
    if (len >= offsetof (struct tcp_info, tcpi_min_rtt) + sizeof ti.tcpi_min_rtt &&
        ti.tcpi_min_rtt > 0 && ti.tcpi_min_rtt != G_MAXUINT32)
      t->tcp_rtt_us = ti.tcpi_min_rtt;
    else
      t->tcp_rtt_us = ti.tcpi_rtt;
    return;
  }
}

static size_t
on_header (char *data, size_t size, size_t n, void *userp)
{
  RpHttpTransfer *t = userp;
  gsize len = size * n;
  const char *colon;

  t->header_bytes += len;
  if (t->header_bytes > RP_HTTP_MAX_HEADER_BYTES) {
    t->headers_over = TRUE;
    return 0;   /* curl stops with CURLE_WRITE_ERROR */
  }
  record_tls (t);
  if (len >= 5 && memcmp (data, "HTTP/", 5) == 0) {
    record_tcp_rtt (t);
    /* A new status line (after a 1xx): only the final response counts */
    g_ptr_array_set_size (t->header_names, 0);
    g_ptr_array_set_size (t->header_values, 0);
    t->headers_done = FALSE;
    return len;
  }
  if ((len == 2 && data[0] == '\r') || (len == 1 && data[0] == '\n')) {
    t->headers_done = TRUE;
    return len;
  }
  colon = memchr (data, ':', len);
  if (colon == NULL || colon == data || t->header_names->len >= RP_HTTP_MAX_HEADERS)
    return len;
  {
    const char *v = colon + 1;
    const char *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
      v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
      end--;
    g_ptr_array_add (t->header_names, g_ascii_strdown (data, colon - data));
    /* Server-controlled: keep it valid UTF-8 and of reasonable size */
    g_ptr_array_add (t->header_values, g_utf8_make_valid (v, MIN (end - v, 2048)));
  }
  return len;
}

static size_t
on_body (char *data, size_t size, size_t n, void *userp)
{
  RpHttpTransfer *t = userp;
  gsize len = size * n;
  gsize room = t->body_cap - t->body->len;

  if (t->body_cap == 0) {
    t->stopped = TRUE;
    return 0;
  }
  if (len > room) {
    g_byte_array_append (t->body, (const guint8 *) data, room);
    t->body_over = TRUE;
    t->stopped = TRUE;
    return 0;
  }
  g_byte_array_append (t->body, (const guint8 *) data, len);
  return len;
}

RpHttpTransfer *
rp_http_transfer_new (const RpHttpRequest *req)
{
  RpHttpTransfer *t = g_new0 (RpHttpTransfer, 1);
  gint64 left_ms = (req->deadline_us - g_get_monotonic_time ()) / 1000 - DEADLINE_MARGIN_MS;
  CURL *e;

  t->url = g_strdup (req->url);
  t->body_cap = req->body_cap;
  t->family = req->family;
  t->body = g_byte_array_new ();
  t->header_names = g_ptr_array_new_with_free_func (g_free);
  t->header_values = g_ptr_array_new_with_free_func (g_free);
  t->sockets = g_array_new (FALSE, FALSE, sizeof (int));
  t->easy = e = curl_easy_init ();
  left_ms = CLAMP (left_ms, 1, G_MAXLONG);

  curl_easy_setopt (e, CURLOPT_URL, req->url);
  curl_easy_setopt (e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (e, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
  curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (e, CURLOPT_PROXY, "");
  curl_easy_setopt (e, CURLOPT_USERAGENT, "rtcprobe/" RP_VERSION);
  curl_easy_setopt (e, CURLOPT_TIMEOUT_MS, (long) left_ms);
  curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT_MS, (long) left_ms);
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_LIMIT, (long) LOW_SPEED_LIMIT);
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_TIME, (long) LOW_SPEED_TIME_S);
  curl_easy_setopt (e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt (e, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt (e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
  curl_easy_setopt (e, CURLOPT_IPRESOLVE,
                    req->family == RP_FAMILY_V4   ? CURL_IPRESOLVE_V4
                    : req->family == RP_FAMILY_V6 ? CURL_IPRESOLVE_V6
                                                  : CURL_IPRESOLVE_WHATEVER);
  /* The other family starts in parallel after RP_HAPPY_EYEBALLS_MS. */
  curl_easy_setopt (e, CURLOPT_HAPPY_EYEBALLS_TIMEOUT_MS, (long) RP_HAPPY_EYEBALLS_MS);
  curl_easy_setopt (e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt (e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
  curl_easy_setopt (e, CURLOPT_SOCKOPTDATA, t);
  curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt (e, CURLOPT_CERTINFO, 1L);
  curl_easy_setopt (e, CURLOPT_SSL_VERIFYPEER, req->verify ? 1L : 0L);
  curl_easy_setopt (e, CURLOPT_SSL_VERIFYHOST, req->verify ? 2L : 0L);
  if (req->ca_file != NULL) {
    /* Trust exactly the given CA, as the STUN/TURN TLS client does */
    curl_easy_setopt (e, CURLOPT_CAINFO, req->ca_file);
    curl_easy_setopt (e, CURLOPT_CAPATH, NULL);
  } else {
    /* The system store every TLS check shares (stun-tls.h), so SSL_CERT_FILE
     * and SSL_CERT_DIR mean the same here, and no transfer decodes the
     * bundle again. */
    curl_easy_setopt (e, CURLOPT_CAINFO, NULL);
    curl_easy_setopt (e, CURLOPT_CAPATH, NULL);
    t->system_store = TRUE;
  }
  curl_easy_setopt (e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
  curl_easy_setopt (e, CURLOPT_SSL_CTX_DATA, t);
  if (req->method != NULL)
    curl_easy_setopt (e, CURLOPT_CUSTOMREQUEST, req->method);
  for (guint i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
    t->req_headers = curl_slist_append (t->req_headers, req->headers[i]);
  if (t->req_headers != NULL)
    curl_easy_setopt (e, CURLOPT_HTTPHEADER, t->req_headers);
  return t;
}

static void
on_done (CURL *easy, CURLcode code, gpointer data)
{
  RpHttpTransfer *t = data;

  t->running = FALSE;
  curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &t->status);
  if (code == CURLE_WRITE_ERROR && t->stopped)
    code = CURLE_OK;
  t->done (t, code, t->user_data);
}

gboolean
rp_http_transfer_start (RpHttpTransfer *t, GMainContext *context, RpHttpDoneFunc done,
                        gpointer user_data)
{
  t->done = done;
  t->user_data = user_data;
  t->loop = rp_curl_loop_get (context);
  t->running = rp_curl_loop_add (t->loop, t->easy, on_done, t);
  return t->running;
}

void
rp_http_transfer_free (RpHttpTransfer *t)
{
  if (t == NULL)
    return;
  if (t->running)
    rp_curl_loop_remove (t->loop, t->easy);
  curl_easy_cleanup (t->easy);
  curl_slist_free_all (t->req_headers);
  g_ptr_array_unref (t->header_names);
  g_ptr_array_unref (t->header_values);
  g_array_unref (t->sockets);
  g_byte_array_unref (t->body);
  g_free (t->tls_version);
  g_free (t->tls_cipher);
  g_free (t->location);
  g_free (t->url);
  g_free (t);
}

const char *
rp_http_transfer_header (const RpHttpTransfer *t, const char *name)
{
  for (guint i = 0; i < t->header_names->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (t->header_names, i), name) == 0)
      return g_ptr_array_index (t->header_values, i);
  return NULL;
}

guint
rp_http_transfer_header_count (const RpHttpTransfer *t, const char *name)
{
  guint n = 0;

  for (guint i = 0; i < t->header_names->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (t->header_names, i), name) == 0)
      n++;
  return n;
}

void
rp_http_transfer_times (const RpHttpTransfer *t, RpHttpTimes *times)
{
  curl_off_t v;

#define GET(info, field)                                                                           \
  times->field = curl_easy_getinfo (t->easy, info, &v) == CURLE_OK ? (gint64) v : 0
  GET (CURLINFO_NAMELOOKUP_TIME_T, namelookup);
  GET (CURLINFO_CONNECT_TIME_T, connect);
  GET (CURLINFO_APPCONNECT_TIME_T, appconnect);
  GET (CURLINFO_PRETRANSFER_TIME_T, pretransfer);
  GET (CURLINFO_STARTTRANSFER_TIME_T, starttransfer);
  GET (CURLINFO_TOTAL_TIME_T, total);
#undef GET
}

const char *
rp_http_transfer_version (const RpHttpTransfer *t)
{
  long v = 0;

  curl_easy_getinfo (t->easy, CURLINFO_HTTP_VERSION, &v);
  switch (v) {
  case CURL_HTTP_VERSION_1_0:
    return "HTTP/1.0";
  case CURL_HTTP_VERSION_1_1:
    return "HTTP/1.1";
  case CURL_HTTP_VERSION_2_0:
    return "HTTP/2";
  case CURL_HTTP_VERSION_3:
    return "HTTP/3";
  default:
    return NULL;
  }
}

const char *
rp_http_transfer_redirect_url (RpHttpTransfer *t)
{
  char *url = NULL;
  const char *location;

  if (t->status < 300 || t->status >= 400)
    return NULL;
  curl_easy_getinfo (t->easy, CURLINFO_REDIRECT_URL, &url);
  if (url != NULL)
    return url;
  /* curl resolves Location only for transfers that ran to the end: one
   * stopped after the headers resolves it here (RFC 9110 10.2.2). */
  location = rp_http_transfer_header (t, "location");
  if (location == NULL || *location == '\0')
    return NULL;
  if (t->location == NULL)
    t->location = g_uri_resolve_relative (t->url, location, G_URI_FLAGS_NONE, NULL);
  return t->location;
}

char *
rp_http_transfer_server_address (const RpHttpTransfer *t)
{
  char *ip = NULL;
  long port = 0;

  if (curl_easy_getinfo (t->easy, CURLINFO_PRIMARY_IP, &ip) != CURLE_OK || ip == NULL ||
      *ip == '\0')
    return NULL;
  curl_easy_getinfo (t->easy, CURLINFO_PRIMARY_PORT, &port);
  return strchr (ip, ':') != NULL ? g_strdup_printf ("[%s]:%ld", ip, port)
                                  : g_strdup_printf ("%s:%ld", ip, port);
}
