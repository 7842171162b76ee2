/* http.cors (--origin): can the app's origin read this URL from a browser,
 * and is every other origin refused? Three requests run side by side: a GET
 * with Origin: <app origin>, the preflight a browser sends before requests
 * with Authorization or a JSON body (OPTIONS with
 * Access-Control-Request-Method: GET), and a GET from a made-up foreign
 * origin that must not be allowed. The verdict is rp_cors_judge(). */
#include <string.h>

#include "probe/checks/http-private.h"

enum { REQ_GET, REQ_PREFLIGHT, REQ_FOREIGN, N_REQ };

typedef struct {
  RpProbeOptions options;
  char *url;
  char *host;
  guint16 port;
  char *origin;             /* serialised as a browser sends it */
  char **headers;
  RpHttpTransfer *xfer[N_REQ];
  CURLcode code[N_REQ];
  gboolean done[N_REQ];
} CorsState;

static void
cors_state_free (gpointer data)
{
  CorsState *s = data;

  for (guint i = 0; i < N_REQ; i++)
    rp_http_transfer_free (s->xfer[i]);
  g_free (s->options.ca_file);
  g_free (s->url);
  g_free (s->host);
  g_free (s->origin);
  g_strfreev (s->headers);
  g_free (s);
}

/* RFC 6454 6.1: scheme "://" host [":" port], the port only when it is not
 * the scheme's default; no path, no trailing slash. */
static char *
serialise_origin (const char *text)
{
  g_autoptr (RpTarget) t = rp_target_parse (text, NULL);
  gboolean https;
  gboolean v6;

  if (t == NULL)
    return g_strdup (text);
  https = t->scheme == RP_SCHEME_HTTPS;
  v6 = strchr (t->host, ':') != NULL;
  if (t->port == (https ? 443 : 80))
    return g_strdup_printf ("%s://%s%s%s", https ? "https" : "http", v6 ? "[" : "", t->host,
                            v6 ? "]" : "");
  return g_strdup_printf ("%s://%s%s%s:%u", https ? "https" : "http", v6 ? "[" : "", t->host,
                          v6 ? "]" : "", t->port);
}

static void
answer_of (CorsState *s, guint i, RpCorsAnswer *a)
{
  RpHttpTransfer *t = s->xfer[i];

  memset (a, 0, sizeof *a);
  if (t == NULL || !s->done[i]) {
    a->error = "no answer before the deadline";
    return;
  }
  if (s->code[i] != CURLE_OK) {
    a->error = t->error[0] ? t->error : curl_easy_strerror (s->code[i]);
    return;
  }
  a->answered = TRUE;
  a->status = t->status;
  a->acao = rp_http_transfer_header (t, "access-control-allow-origin");
  a->acac = rp_http_transfer_header (t, "access-control-allow-credentials");
  a->acam = rp_http_transfer_header (t, "access-control-allow-methods");
}

static void
judge (RpCheck *check)
{
  CorsState *s = rp_check_get_state (check);
  RpCorsAnswer a[N_REQ];

  for (guint i = 0; i < N_REQ; i++)
    answer_of (s, i, &a[i]);
  rp_cors_judge (rp_check_get_result (check), s->origin, RP_HTTP_FOREIGN_ORIGIN, &a[REQ_GET],
                 &a[REQ_PREFLIGHT], &a[REQ_FOREIGN]);
}

static void
on_done (RpHttpTransfer *t, CURLcode code, gpointer data)
{
  RpCheck *check = data;
  CorsState *s = rp_check_get_state (check);

  if (rp_check_is_finished (check))
    return;
  for (guint i = 0; i < N_REQ; i++) {
    if (s->xfer[i] == t) {
      s->done[i] = TRUE;
      s->code[i] = code;
    }
  }
  for (guint i = 0; i < N_REQ; i++)
    if (!s->done[i])
      return;
  judge (check);
  rp_check_finish (check);
}

static gboolean
start_one (RpCheck *check, guint i)
{
  CorsState *s = rp_check_get_state (check);
  g_autoptr (GPtrArray) headers = g_ptr_array_new_with_free_func (g_free);
  RpHttpRequest req = { 0 };

  for (guint k = 0; s->headers != NULL && s->headers[k] != NULL; k++)
    g_ptr_array_add (headers, g_strdup (s->headers[k]));
  g_ptr_array_add (
    headers, g_strdup_printf ("Origin: %s", i == REQ_FOREIGN ? RP_HTTP_FOREIGN_ORIGIN : s->origin));
  if (i == REQ_PREFLIGHT)
    g_ptr_array_add (headers, g_strdup ("Access-Control-Request-Method: GET"));
  g_ptr_array_add (headers, NULL);
  req.url = s->url;
  req.method = i == REQ_PREFLIGHT ? "OPTIONS" : NULL;
  req.headers = (char *const *) headers->pdata;
  req.ca_file = s->options.ca_file;
  req.verify = !s->options.insecure;
  req.family = s->options.family;
  req.body_cap = 0;   /* CORS lives in the headers */
  req.deadline_us = rp_check_get_deadline_us (check);
  s->xfer[i] = rp_http_transfer_new (&req);
  return rp_http_transfer_start (s->xfer[i], rp_runner_get_context (rp_check_get_runner (check)),
                                 on_done, check);
}

static void
cors_start (RpCheck *check)
{
  for (guint i = 0; i < N_REQ; i++) {
    if (!start_one (check, i)) {
      rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL,
                           "cannot start the CORS requests");
      rp_check_finish (check);
      return;
    }
  }
}

static void
cors_expire (RpCheck *check)
{
  CorsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  for (guint i = 0; i < N_REQ; i++) {
    if (s->xfer[i] != NULL && s->xfer[i]->running) {
      rp_curl_loop_remove (s->xfer[i]->loop, s->xfer[i]->easy);
      s->xfer[i]->running = FALSE;
    }
  }
  if (!s->done[REQ_GET]) {
    rp_http_explain_stall (r, s->xfer[REQ_GET], s->host, s->port);
    return;
  }
  judge (check);
}

static const RpCheckClass cors_class = { cors_start, cors_expire, cors_state_free };

void
rp_http_cors_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                  const RpHttpOptions *http, guint index)
{
  CorsState *s = g_new0 (CorsState, 1);
  g_autofree char *id =
    index > 0 ? g_strdup_printf ("http.cors.%u", index) : g_strdup ("http.cors");

  s->options = *options;
  s->options.ca_file = g_strdup (options->ca_file);
  s->url = g_strdup (target->uri);
  s->host = g_strdup (target->host);
  s->port = target->port;
  s->origin = serialise_origin (http->origin);
  s->headers = g_strdupv (http->headers);
  rp_runner_add (runner, rp_check_result_new (id, "http", target->uri), RP_HTTP_TIMEOUT_US,
                 &cors_class, s);
}
