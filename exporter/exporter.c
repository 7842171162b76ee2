/* The exporter's HTTP server (see exporter.h): HTTP/1.1 over GIO's
 * GSocketService on the default context (RFC 9112; one request per
 * connection, answered with Connection: close). Its order of work is its
 * defence: the connection cap, then a bounded request head read within
 * HEAD_TIMEOUT_S, then the module, the target's form, the allow-list, the
 * probes in flight and the per-target rate, and only then a probe, which
 * its scrape timeout bounds. */
#include "exporter/exporter.h"

#include <errno.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/exit-code.h"
#include "exporter/exporter-metrics.h"
#include "exporter/exporter-request.h"
#include "exporter/exporter-watch.h"
#include "reports/report.h"

#define HEAD_TIMEOUT_S 10
/* A client that does not read its answer lets go of its slot after this. */
#define WRITE_TIMEOUT_S 10
/* At exit, open connections are cancelled and their callbacks run, bounded. */
#define DRAIN_MAX_US (500 * 1000)
/* blackbox_exporter's default: the probe ends this long before the scrape. */
#define SCRAPE_MARGIN_S 0.5
#define MIN_PROBE_S 0.1
#define DEFAULT_PROBE_S 30.0
#define RATE_WINDOW_US (60 * G_USEC_PER_SEC)
#define RATE_TABLE_MAX 4096
#define LISTEN_BACKLOG 256

typedef struct {
  RpExporterConfig *config;
  const RpExporterProber *prober;
  RpExporterMetrics *metrics;
  GHashTable *rates;       /* "module\ttarget" -> Rate */
  guint connections;
  GHashTable *conns;       /* Conn * of the open connections, not owned */
  gboolean stopping;
  GMainLoop *loop;
  RpExporterWatches *watches;
} Exporter;

typedef struct {
  gint64 window_us;
  guint count;
} Rate;

typedef struct {
  gatomicrefcount ref;
  Exporter *x;
  GSocketConnection *conn;
  GCancellable *cancel;
  GSource *timer;
  char head[RP_EXPORTER_HEAD_MAX];
  gsize len;
  char *module;       /* the probe's, for the metrics */
  gpointer probe;     /* the prober's, while it runs */
  GSource *watch;     /* the client's end while the probe runs */
  gboolean debug;
  gint64 started_us;
  char *reply;
  gsize reply_len;
} Conn;

static Conn *
conn_ref (Conn *c)
{
  g_atomic_ref_count_inc (&c->ref);
  return c;
}

static void
conn_unref (Conn *c)
{
  if (!g_atomic_ref_count_dec (&c->ref))
    return;
  if (c->timer != NULL) {
    g_source_destroy (c->timer);
    g_source_unref (c->timer);
  }
  if (c->watch != NULL) {
    g_source_destroy (c->watch);
    g_source_unref (c->watch);
  }
  g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
  g_object_unref (c->conn);
  g_object_unref (c->cancel);
  g_free (c->module);
  g_free (c->reply);
  c->x->connections--;
  g_hash_table_remove (c->x->conns, c);
  g_free (c);
}

static const char *
reason (guint status)
{
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 503: return "Service Unavailable";
  default: return "Internal Server Error";
  }
}

/* The head was not read, or the answer not taken, in time: let go. */
static gboolean
on_timeout (gpointer data)
{
  Conn *c = data;

  g_clear_pointer (&c->timer, g_source_unref);
  g_cancellable_cancel (c->cancel);
  return G_SOURCE_REMOVE;
}

static void
on_written (GObject *source, GAsyncResult *res, gpointer data)
{
  Conn *c = data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, NULL);
  conn_unref (c);
}

/* Answers and closes; body ends in a newline. */
static void
reply (Conn *c, guint status, const char *type, const char *body)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (c->conn));
  GString *r = g_string_new (NULL);

  g_string_append_printf (r, "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                          "Connection: close\r\n\r\n%s", status, reason (status), type,
                          strlen (body), body);
  c->reply_len = r->len;
  c->reply = g_string_free (r, FALSE);
  if (c->timer == NULL) {
    c->timer = g_timeout_source_new_seconds (WRITE_TIMEOUT_S);
    g_source_set_callback (c->timer, on_timeout, c, NULL);
    g_source_attach (c->timer, NULL);
  }
  g_output_stream_write_all_async (out, c->reply, c->reply_len, G_PRIORITY_DEFAULT, c->cancel,
                                   on_written, conn_ref (c));
}

static void
reply_text (Conn *c, guint status, const char *message)
{
  g_autofree char *body = g_strconcat (message, "\n", NULL);

  reply (c, status, "text/plain; charset=utf-8", body);
}

/* Counts and answers a refusal. */
static void
refuse (Conn *c, const char *module, RpProbeOutcome outcome, guint status, const char *message)
{
  rp_exporter_metrics_count (c->x->metrics, module, outcome, 0);
  reply_text (c, status, message);
}

/* The per-target rate: TRUE when this probe is within target_rate. */
static gboolean
rate_allows (Exporter *x, const char *module, const char *target)
{
  g_autofree char *key = g_strdup_printf ("%s\t%s", module, target);
  gint64 now = g_get_monotonic_time ();
  Rate *r = g_hash_table_lookup (x->rates, key);

  if (r == NULL) {
    if (g_hash_table_size (x->rates) >= RATE_TABLE_MAX) {
      GHashTableIter it;
      gpointer v;
      g_hash_table_iter_init (&it, x->rates);
      while (g_hash_table_iter_next (&it, NULL, &v))
        if (now - ((Rate *) v)->window_us >= RATE_WINDOW_US)
          g_hash_table_iter_remove (&it);
      if (g_hash_table_size (x->rates) >= RATE_TABLE_MAX)
        return FALSE;
    }
    r = g_new0 (Rate, 1);
    r->window_us = now;
    g_hash_table_insert (x->rates, g_steal_pointer (&key), r);
  }
  if (now - r->window_us >= RATE_WINDOW_US) {
    r->window_us = now;
    r->count = 0;
  }
  if (r->count >= x->config->target_rate)
    return FALSE;
  r->count++;
  return TRUE;
}

static void
on_probe_done (RpReport *report, gpointer data)
{
  Conn *c = data;
  Exporter *x = c->x;
  double duration = (g_get_monotonic_time () - c->started_us) / 1e6;
  guint counts[4];
  gboolean ok;
  g_autofree char *body = NULL;

  c->probe = NULL;
  if (c->watch != NULL) {
    g_source_destroy (c->watch);
    g_clear_pointer (&c->watch, g_source_unref);
  }
  rp_report_count (report, counts);
  ok = counts[RP_STATUS_FAIL] == 0 && counts[RP_STATUS_PASS] + counts[RP_STATUS_WARN] > 0;
  rp_exporter_metrics_in_flight (x->metrics, -1);
  rp_exporter_metrics_count (x->metrics, c->module, ok ? RP_PROBE_SUCCESS : RP_PROBE_FAILURE,
                             duration);
  if (c->debug) {
    RpTextOptions to = { .verbose = TRUE };
    body = rp_report_render_text (report, &to);
    reply (c, 200, "text/plain; charset=utf-8", body);
  } else {
    body = rp_report_render_prometheus_probe (report);
    reply (c, 200, "text/plain; version=0.0.4; charset=utf-8", body);
  }
  rp_report_free (report);
  conn_unref (c);
  if (x->stopping && rp_exporter_metrics_get_in_flight (x->metrics) == 0 &&
      !rp_exporter_watches_running (x->watches))
    g_main_loop_quit (x->loop);
}

/* The probe's time: the scrape's timeout less the margin, at most the
 * default; FALSE when the header is there but no positive number. */
static gboolean
probe_timeout (const RpExporterRequest *req, double *seconds)
{
  double scrape;

  *seconds = DEFAULT_PROBE_S;
  if (req->scrape_timeout == NULL)
    return TRUE;
  if (!rp_exporter_scrape_timeout (req->scrape_timeout, &scrape))
    return FALSE;
  *seconds = MIN (DEFAULT_PROBE_S, MAX (scrape - SCRAPE_MARGIN_S, MIN_PROBE_S));
  return TRUE;
}

/* The scrape went away (Prometheus closes the connection when it gives up):
 * the probe stops now rather than at its deadline. */
static gboolean
on_client_readable (GSocket *socket, GIOCondition cond, gpointer data)
{
  Conn *c = data;
  char byte;
  gssize n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&c->watch, g_source_unref);
  /* End of stream or an error: gone. More bytes (a pipelined request) are
   * no departure; then stop watching. */
  if (n <= 0 && c->probe != NULL)
    c->x->prober->abort (c->probe);
  return G_SOURCE_REMOVE;
}

static void
watch_client (Conn *c)
{
  GSocket *socket = g_socket_connection_get_socket (c->conn);

  c->watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (c->watch, (GSourceFunc) (void (*) (void)) on_client_readable, c, NULL);
  g_source_attach (c->watch, NULL);
}

static void
handle_probe (Conn *c, const RpExporterRequest *req)
{
  Exporter *x = c->x;
  const char *name = g_hash_table_lookup (req->query, "module");
  const char *target = g_hash_table_lookup (req->query, "target");
  const RpExporterModule *m = rp_exporter_config_module (x->config, name);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) hosts = NULL;
  double timeout_s;

  if (m == NULL) {
    refuse (c, NULL, RP_PROBE_BAD_REQUEST, 400,
            name == NULL ? "give module=NAME" : "unknown module (see the exporter's configuration)");
    return;
  }
  hosts = rp_exporter_target_hosts (m->kind, target, &error);
  if (hosts == NULL) {
    refuse (c, m->name, RP_PROBE_BAD_REQUEST, 400, error->message);
    return;
  }
  for (guint i = 0; hosts[i] != NULL; i++)
    if (!rp_allow_list_permits (x->config->allow, hosts[i])) {
      refuse (c, m->name, RP_PROBE_FORBIDDEN, 403,
              "the target is not in [listen] allow_targets: nothing was sent");
      return;
    }
  if (!probe_timeout (req, &timeout_s)) {
    refuse (c, m->name, RP_PROBE_BAD_REQUEST, 400,
            "X-Prometheus-Scrape-Timeout-Seconds is not a positive number");
    return;
  }
  if (rp_exporter_metrics_get_in_flight (x->metrics) >= x->config->max_in_flight) {
    refuse (c, m->name, RP_PROBE_BUSY, 503, "too many probes in flight (max_in_flight)");
    return;
  }
  if (!rate_allows (x, m->name, target)) {
    refuse (c, m->name, RP_PROBE_RATE_LIMITED, 429,
            "this target and module were probed too often (target_rate per minute)");
    return;
  }
  c->module = g_strdup (m->name);
  c->debug = g_strcmp0 (g_hash_table_lookup (req->query, "debug"), "true") == 0;
  c->started_us = g_get_monotonic_time ();
  c->probe = x->prober->start (m, target, timeout_s, on_probe_done, conn_ref (c), &error);
  if (c->probe == NULL) {
    conn_unref (c);
    refuse (c, m->name, RP_PROBE_BAD_REQUEST, 400, error->message);
    return;
  }
  rp_exporter_metrics_in_flight (x->metrics, 1);
  watch_client (c);
}

static void
handle (Conn *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpExporterRequest) req = rp_exporter_request_parse (c->head, c->len, &error);

  if (req == NULL) {
    refuse (c, NULL, RP_PROBE_BAD_REQUEST, 400, error->message);
    return;
  }
  if (!g_str_equal (req->method, "GET")) {
    reply_text (c, 405, "only GET");
    return;
  }
  if (g_str_equal (req->path, "/probe")) {
    handle_probe (c, req);
  } else if (g_str_equal (req->path, "/metrics")) {
    g_autofree char *own = rp_exporter_metrics_render (c->x->metrics);
    g_autoptr (GString) body = g_string_new (own);
    rp_exporter_watches_render (c->x->watches, body);
    reply (c, 200, "text/plain; version=0.0.4; charset=utf-8", body->str);
  } else if (g_str_equal (req->path, "/")) {
    reply_text (c, 200, "rtcprobe exporter: GET /probe?target=T&module=M, GET /metrics");
  } else {
    reply_text (c, 404, "no such page: use /probe or /metrics");
  }
}

static void read_more (Conn *c);

static void
on_read (GObject *source, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, NULL);
  gsize head;

  if (n <= 0) {
    conn_unref (c);
    return;
  }
  c->len += n;
  head = rp_exporter_head_length (c->head, c->len);
  if (head == 0 && c->len < sizeof c->head) {
    read_more (c);
    return;
  }
  if (c->timer != NULL) {
    g_source_destroy (c->timer);
    g_clear_pointer (&c->timer, g_source_unref);
  }
  if (head == 0)
    refuse (c, NULL, RP_PROBE_BAD_REQUEST, 431, "the request head is too long");
  else {
    c->len = head;
    handle (c);
  }
  conn_unref (c);
}

static void
read_more (Conn *c)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (c->conn));

  g_input_stream_read_async (in, c->head + c->len, sizeof c->head - c->len, G_PRIORITY_DEFAULT,
                             c->cancel, on_read, c);
}


static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
             gpointer data)
{
  Exporter *x = data;
  Conn *c;

  if (x->connections >= x->config->max_connections || x->stopping) {
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    return TRUE;
  }
  x->connections++;
  c = g_new0 (Conn, 1);
  g_atomic_ref_count_init (&c->ref);
  c->x = x;
  c->conn = g_object_ref (connection);
  c->cancel = g_cancellable_new ();
  c->timer = g_timeout_source_new_seconds (HEAD_TIMEOUT_S);
  g_source_set_callback (c->timer, on_timeout, c, NULL);
  g_source_attach (c->timer, NULL);
  g_hash_table_add (x->conns, c);
  read_more (c);
  return TRUE;
}

/* The watches' streams have stopped (after a signal). */
static gboolean
on_watches_idle (gpointer data)
{
  Exporter *x = data;

  if (rp_exporter_metrics_get_in_flight (x->metrics) == 0)
    g_main_loop_quit (x->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  Exporter *x = data;

  if (!x->stopping)
    rp_exporter_watches_stop (x->watches, on_watches_idle, x);
  x->stopping = TRUE;
  if (rp_exporter_metrics_get_in_flight (x->metrics) == 0 &&
      !rp_exporter_watches_running (x->watches))
    g_main_loop_quit (x->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
check_modules (Exporter *x, GError **error)
{
  for (guint i = 0; i < x->config->modules->len; i++) {
    const RpExporterModule *m = g_ptr_array_index (x->config->modules, i);
    if (!x->prober->check_module (m, error)) {
      g_prefix_error (error, "[module %s] ", m->name);
      return FALSE;
    }
  }
  return TRUE;
}

/* The watches' options, on their own targets: nothing is sent. */
static gboolean
check_watches (Exporter *x, GError **error)
{
  for (guint i = 0; i < x->config->watches->len; i++) {
    const RpExporterModule *w = g_ptr_array_index (x->config->watches, i);
    if (!x->prober->check_module (w, error)) {
      g_prefix_error (error, "[watch %s] ", w->name);
      return FALSE;
    }
  }
  return TRUE;
}

static GSocketService *
listen_on (Exporter *x, GError **error)
{
  g_autoptr (GSocketService) service = g_socket_service_new ();
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (x->config->address);
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (addr, x->config->port);

  /* GIO's default backlog of 10 would leave a burst of scrapes waiting for
   * SYN retransmissions instead of a quick 503. */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (service), LISTEN_BACKLOG);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), sa, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, NULL, error)) {
    g_prefix_error (error, "[listen] address %s:%u: ", x->config->address, x->config->port);
    return NULL;
  }
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), x);
  return g_steal_pointer (&service);
}

/* At exit: cancel what the open connections wait for and let their
 * callbacks release them, bounded in time. */
static void
drain_connections (Exporter *x)
{
  gint64 until = g_get_monotonic_time () + DRAIN_MAX_US;
  GHashTableIter it;
  gpointer c;

  g_hash_table_iter_init (&it, x->conns);
  while (g_hash_table_iter_next (&it, &c, NULL))
    g_cancellable_cancel (((Conn *) c)->cancel);
  while (g_hash_table_size (x->conns) > 0 && g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
}

int
rp_exporter_main (const char *config_path, const RpExporterProber *prober, GError **error)
{
  Exporter x = { .prober = prober };
  g_autoptr (GSocketService) service = NULL;
  guint sig[2];

  x.config = rp_exporter_config_load (config_path, error);
  if (x.config == NULL)
    return RP_EXIT_USAGE;
  if (!check_modules (&x, error) || !check_watches (&x, error) ||
      (service = listen_on (&x, error)) == NULL) {
    rp_exporter_config_free (x.config);
    return RP_EXIT_USAGE;
  }
  x.metrics = rp_exporter_metrics_new ();
  x.watches = rp_exporter_watches_new (x.config, prober);
  x.rates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  x.conns = g_hash_table_new (NULL, NULL);
  x.loop = g_main_loop_new (NULL, FALSE);
  sig[0] = g_unix_signal_add (SIGTERM, on_signal, &x);
  sig[1] = g_unix_signal_add (SIGINT, on_signal, &x);
  fprintf (stderr, "rtcprobe exporter: listening on http://%s%s%s:%u/ with %u modules\n",
           strchr (x.config->address, ':') ? "[" : "", x.config->address,
           strchr (x.config->address, ':') ? "]" : "", x.config->port, x.config->modules->len);
  if (x.config->allow == NULL || rp_allow_list_size (x.config->allow) == 0)
    fprintf (stderr, "rtcprobe exporter: [listen] allow_targets is empty: every probe is "
                     "refused (403)\n");
  if (x.config->watches->len > 0)
    fprintf (stderr, "rtcprobe exporter: %u watches stream voice until it stops\n",
             x.config->watches->len);
  g_socket_service_start (service);
  rp_exporter_watches_start (x.watches);
  g_main_loop_run (x.loop);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  drain_connections (&x);
  g_source_remove (sig[0]);
  g_source_remove (sig[1]);
  fprintf (stderr, "rtcprobe exporter: stopped\n");
  g_main_loop_unref (x.loop);
  g_hash_table_unref (x.rates);
  g_hash_table_unref (x.conns);
  rp_exporter_watches_free (x.watches);
  rp_exporter_metrics_free (x.metrics);
  rp_exporter_config_free (x.config);
  return RP_EXIT_OK;
}
