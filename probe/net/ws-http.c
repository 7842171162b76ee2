/* Capped HTTP GETs for the websocket checks (see ws-http.h). */
#include "probe/net/ws-http.h"
#include "probe/net/curl-trust.h"

#include <curl/curl.h>
#include <string.h>

#include "probe/net/curl-glib.h"

#define BODY_CAP (16 * 1024)

struct _RpWsHttp {
  CURL *easy;
  RpCurlLoop *loop;
  struct curl_slist *resolve;
  struct curl_slist *headers;
  GByteArray *body;
  gboolean truncated;
  gboolean running;
  RpWsHttpDone done;
  gpointer data;
  char errbuf[CURL_ERROR_SIZE];
};

static size_t
on_body (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  RpWsHttp *h = userdata;
  size_t n = size * nmemb;
  size_t room = BODY_CAP - MIN (h->body->len, BODY_CAP);

  if (n > room)
    h->truncated = TRUE;
  g_byte_array_append (h->body, (const guint8 *) ptr, MIN (n, room));
  return n;   /* keep reading (the status and headers matter more) */
}

static char *
info_string (CURL *easy, CURLINFO what)
{
  char *s = NULL;

  return curl_easy_getinfo (easy, what, &s) == CURLE_OK && s != NULL ? g_strdup (s) : NULL;
}

static char *
header_value (CURL *easy, const char *name)
{
  struct curl_header *hdr = NULL;

  if (curl_easy_header (easy, name, 0, CURLH_HEADER, -1, &hdr) == CURLHE_OK && hdr != NULL)
    return g_strdup (hdr->value);
  return NULL;
}

static void
on_done (CURL *easy, CURLcode code, gpointer data)
{
  RpWsHttp *h = data;
  RpWsHttpResult r = { 0 };
  guint8 nul = 0;
  double total = 0;

  h->running = FALSE;
  r.curl_code = code;
  r.ok = code == CURLE_OK;
  if (!r.ok) {
    r.error = g_strdup (h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror (code));
    r.tls_error = code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION
                  || code == CURLE_SSL_CACERT_BADFILE;
  }
  curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &r.status);
  if (curl_easy_getinfo (easy, CURLINFO_TOTAL_TIME, &total) == CURLE_OK)
    r.total_ms = total * 1000.0;
  r.content_type = info_string (easy, CURLINFO_CONTENT_TYPE);
  r.server = header_value (easy, "Server");
  g_byte_array_append (h->body, &nul, 1);
  r.body = (char *) h->body->data;
  r.body_len = h->body->len - 1;
  r.truncated = h->truncated;
  h->done (&r, h->data);   /* may free h */
  g_free (r.error);
  g_free (r.content_type);
  g_free (r.server);
}

RpWsHttp *
rp_ws_http_get (GMainContext *context, const RpWsHttpRequest *req, RpWsHttpDone done, gpointer data)
{
  RpWsHttp *h = g_new0 (RpWsHttp, 1);
  g_autofree char *pin = NULL;

  h->loop = rp_curl_loop_get (context);
  h->easy = curl_easy_init ();
  h->body = g_byte_array_new ();
  h->done = done;
  h->data = data;
  /* Use our resolver's answer: HOST:PORT:ADDRESS, IPv6 in brackets. */
  pin = strchr (req->address, ':') != NULL
          ? g_strdup_printf ("%s:%u:[%s]", req->host, req->port, req->address)
          : g_strdup_printf ("%s:%u:%s", req->host, req->port, req->address);
  h->resolve = curl_slist_append (NULL, pin);
  for (guint i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
    h->headers = curl_slist_append (h->headers, req->headers[i]);
  curl_easy_setopt (h->easy, CURLOPT_URL, req->url);
  curl_easy_setopt (h->easy, CURLOPT_RESOLVE, h->resolve);
  curl_easy_setopt (h->easy, CURLOPT_HTTPHEADER, h->headers);
  curl_easy_setopt (h->easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (h->easy, CURLOPT_WRITEDATA, h);
  curl_easy_setopt (h->easy, CURLOPT_ERRORBUFFER, h->errbuf);
  curl_easy_setopt (h->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (h->easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (h->easy, CURLOPT_USERAGENT, "rtcprobe");
  curl_easy_setopt (h->easy, CURLOPT_TIMEOUT_MS, (long) MAX (req->timeout_us / 1000, 1));
  curl_easy_setopt (h->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) (1024 * 1024));
  rp_curl_set_trust (h->easy, req->ca_file);
  if (req->insecure) {
    curl_easy_setopt (h->easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt (h->easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  h->running = rp_curl_loop_add (h->loop, h->easy, on_done, h);
  if (!h->running) {
    rp_ws_http_free (h);
    return NULL;
  }
  return h;
}

void
rp_ws_http_free (RpWsHttp *h)
{
  if (h == NULL)
    return;
  if (h->running)
    rp_curl_loop_remove (h->loop, h->easy);
  curl_easy_cleanup (h->easy);
  curl_slist_free_all (h->resolve);
  curl_slist_free_all (h->headers);
  g_byte_array_unref (h->body);
  g_free (h);
}
