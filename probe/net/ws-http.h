/* Plain HTTP GETs that the websocket checks need as evidence: Engine.IO
 * long-polling, the body of a refused upgrade, LiveKit's / and
 * /rtc/validate. libcurl on the run's loop (curl-glib.h), pinned to the
 * address we resolved (CURLOPT_RESOLVE) so that the name stays the Host and
 * SNI. Bodies are capped; nothing is printed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RpWsHttp RpWsHttp;

typedef struct {
  gboolean ok;             /* a response arrived (any status) */
  long status;
  char *body;              /* NUL-terminated, at most the cap */
  gsize body_len;
  gboolean truncated;
  char *content_type;
  char *server;
  char *error;             /* curl's words when !ok */
  int curl_code;
  gboolean tls_error;      /* the failure was TLS (handshake or verification) */
  double total_ms;
} RpWsHttpResult;

typedef void (*RpWsHttpDone) (const RpWsHttpResult *result, gpointer data);

typedef struct {
  const char *url;         /* http(s)://host[:port]/path?query */
  const char *host;        /* as in the URL */
  guint16 port;
  const char *address;     /* numeric, from our resolver */
  const char *ca_file;
  gboolean insecure;
  char **headers;          /* extra "K: V" or NULL */
  gint64 timeout_us;       /* > 0 */
} RpWsHttpRequest;

/* done is called once from the loop, unless the request is freed first.
 * NULL when libcurl refuses to start the transfer. */
RpWsHttp *rp_ws_http_get (GMainContext *context, const RpWsHttpRequest *req, RpWsHttpDone done,
                          gpointer data);
void rp_ws_http_free (RpWsHttp *http);   /* cancels; NULL is fine */

G_END_DECLS
