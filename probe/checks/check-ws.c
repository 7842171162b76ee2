/* The `ws` check: a websocket upgrade through whatever proxy fronts the app,
 * as a state machine on the runner's loop. resolve -> connect/TLS/upgrade
 * (libwebsockets, ws-client.c) -> five ping/pong round trips -> for
 * Engine.IO endpoints the open packet and a Socket.IO CONNECT (the
 * `socketio` result, fed by this check) -> optionally an idle hold -> close.
 * When an Engine.IO upgrade fails, HTTP long-polling is tried with libcurl:
 * "polling works, websocket does not" is a proxy that strips Upgrade. */
#include <math.h>
#include <string.h>

#include "probe/net/engineio.h"
#include "probe/core/explain.h"
#include "probe/checks/check-livekit.h"
#include "probe/core/resolve.h"
#include "probe/checks/checks-web.h"
#include "probe/net/ws-client.h"
#include "probe/net/ws-explain.h"
#include "probe/net/ws-http.h"
#include "common/tls-client.h"

#define WS_BUDGET_US (10 * G_USEC_PER_SEC)
#define PINGS 5
#define PING_WAIT_MS 2000
#define MAX_MESSAGE (64 * 1024)

typedef struct {
  RpProbeOptions options;
  char *ca_file;
  char *host;
  guint16 port;
  gboolean tls;
  char *uri;
  char *req_path;          /* path?query as requested */
  char *base_path;         /* the URL's path and query, for polling */
  char *query;
  char **headers;
  double hold_s;
  gboolean engineio;
  char *nsp;               /* Socket.IO namespace */
  GList *addrs;            /* resolved, tried in order while connecting fails */
  char *address;
  char *server;            /* address:port for sentences */
  /* happy eyeballs (RFC 8305): the first family's attempt gets
   * RP_HAPPY_EYEBALLS_MS to connect before the other family is tried */
  GSource *he_timer;
  GInetAddress *addrs_current;  /* the address of the attempt in flight */
  gint64 first_attempt_us;
  gint64 fallback_us;      /* when the first family was given up, 0 never */
  char *abandoned;         /* address:port given up on for silence */
  RpWsConn *conn;
  RpCheck *sio;            /* the socketio check this one fills */
  /* pings */
  GArray *rtts;            /* double ms */
  guint pings_sent;
  guint pings_lost;
  GSource *ping_timer;
  gboolean pings_done;
  /* Engine.IO / Socket.IO */
  gboolean eio_open_seen;
  RpEioOpen eio;
  gboolean sio_answered;
  guint server_pings;
  /* hold */
  GSource *hold_timer;
  gint64 hold_start_us;
  gint64 hold_end_us;      /* when the idle period ended, 0 while holding */
  guint after_hold_wait_ms;/* how long the ping after the hold may take */
  double hold_effective_s;
  gboolean holding;
  /* fallback evidence over HTTP */
  RpWsHttp *poll;
  RpWsHttp *plain;
  guint http_pending;
} WsState;

static void
ws_state_free (gpointer data)
{
  WsState *s = data;

  if (s->ping_timer != NULL) {
    g_source_destroy (s->ping_timer);
    g_source_unref (s->ping_timer);
  }
  if (s->hold_timer != NULL) {
    g_source_destroy (s->hold_timer);
    g_source_unref (s->hold_timer);
  }
  if (s->he_timer != NULL) {
    g_source_destroy (s->he_timer);
    g_source_unref (s->he_timer);
  }
  g_free (s->abandoned);
  g_clear_object (&s->addrs_current);
  rp_ws_http_free (s->poll);
  rp_ws_http_free (s->plain);
  rp_ws_conn_free (s->conn);
  g_clear_pointer (&s->sio, rp_check_unref);
  rp_eio_open_clear (&s->eio);
  g_array_unref (s->rtts);
  g_strfreev (s->headers);
  g_free (s->ca_file);
  g_free (s->host);
  g_free (s->uri);
  g_free (s->req_path);
  g_free (s->base_path);
  g_free (s->query);
  g_free (s->nsp);
  g_resolver_free_addresses (s->addrs);
  g_free (s->address);
  g_free (s->server);
  g_free (s);
}

static void
stop_source (GSource **src)
{
  if (*src != NULL) {
    g_source_destroy (*src);
    g_clear_pointer (src, g_source_unref);
  }
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
rtt_metrics (WsState *s, RpCheckResult *r)
{
  g_autoptr (GArray) sorted = NULL;
  double median;

  rp_check_result_detail_int (r, "pings_sent", s->pings_sent);
  if (s->pings_lost > 0)
    rp_check_result_detail_int (r, "pings_unanswered", s->pings_lost);
  rp_check_result_detail_int (r, "pongs_received", s->rtts->len);
  if (s->rtts->len == 0)
    return;
  sorted = g_array_copy (s->rtts);
  g_array_sort (sorted, cmp_double);
  median = sorted->len % 2 ? g_array_index (sorted, double, sorted->len / 2)
                           : (g_array_index (sorted, double, sorted->len / 2 - 1)
                              + g_array_index (sorted, double, sorted->len / 2)) / 2;
  rp_check_result_metric (r, "ping_rtt_ms", median);
  rp_check_result_metric (r, "ping_rtt_min_ms", g_array_index (sorted, double, 0));
}

/* The socketio check ends when this one says so. */
static void sio_finish (WsState *s, RpStatus status, const char *hint, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);
static void
sio_finish (WsState *s, RpStatus status, const char *hint, const char *fmt, ...)
{
  RpCheckResult *r;
  va_list ap;
  g_autofree char *summary = NULL;

  if (s->sio == NULL || rp_check_is_finished (s->sio))
    return;
  r = rp_check_get_result (s->sio);
  va_start (ap, fmt);
  summary = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  rp_check_result_set (r, status, "%s", summary);
  if (hint != NULL)
    rp_check_result_set_hint (r, "%s", hint);
  rp_check_finish (s->sio);
}

static void
eio_details (WsState *s, RpCheckResult *r)
{
  g_autofree char *up = NULL;

  if (!s->eio_open_seen)
    return;
  up = g_strjoinv (",", s->eio.upgrades);
  rp_check_result_detail_str (r, "eio_sid", s->eio.sid);
  if (s->eio.ping_interval_ms >= 0)
    rp_check_result_detail_int (r, "ping_interval_ms", s->eio.ping_interval_ms);
  if (s->eio.ping_timeout_ms >= 0)
    rp_check_result_detail_int (r, "ping_timeout_ms", s->eio.ping_timeout_ms);
  if (s->eio.max_payload >= 0)
    rp_check_result_detail_int (r, "max_payload", s->eio.max_payload);
  rp_check_result_detail_str (r, "upgrades", up);
}

/* Success (or a warning) once everything wanted has been seen. */
/* The first family stayed silent and the other one carried the websocket:
 * it works, but every new connection of a client with that family first
 * loses the happy-eyeballs delay (or fails, without a fallback). */
static void
happy_eyeballs_details (WsState *s, RpCheckResult *r)
{
  if (s->abandoned == NULL)
    return;
  rp_check_result_detail_str (r, "happy_eyeballs_fallback_from", s->abandoned);
  rp_check_result_detail_str (r, "happy_eyeballs_winner", rp_address_text_family_tag (s->server));
  rp_check_result_detail_str (r, "broken_family", rp_address_text_family_tag (s->abandoned));
  rp_check_result_metric (r, "happy_eyeballs_lost_ms",
                          (s->fallback_us - s->first_attempt_us) / 1000.0);
}

static void
happy_eyeballs_evidence (RpCheck *check)
{
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  double lost_ms;
  const char *bad, *good;
  g_autofree char *summary = NULL;

  if (s->abandoned == NULL)
    return;
  lost_ms = (s->fallback_us - s->first_attempt_us) / 1000.0;
  bad = rp_address_text_family_tag (s->abandoned);
  good = rp_address_text_family_tag (s->server);
  happy_eyeballs_details (s, r);
  if (r->status != RP_STATUS_PASS)
    return;
  summary = g_strdup (r->summary);
  rp_check_result_set (r, RP_STATUS_WARN,
                       "%s; but over %s after %s gave no TCP answer in %.1f ms (happy eyeballs)",
                       summary, g_strcmp0 (good, "ipv6") == 0 ? "IPv6" : "IPv4", s->abandoned,
                       lost_ms);
  rp_check_result_set_hint (
    r,
    "%s has %s record but %u/tcp does not answer over %s (%s): browsers try it first and lose "
    "the happy-eyeballs delay (250-300 ms) on every new websocket, and clients without a "
    "fallback fail. Open %u/tcp in the security list's %s rules and the host firewall, or "
    "remove the %s record",
    s->host, g_strcmp0 (bad, "ipv6") == 0 ? "an AAAA" : "an A", s->port,
    g_strcmp0 (bad, "ipv6") == 0 ? "IPv6" : "IPv4", s->abandoned, s->port,
    g_strcmp0 (bad, "ipv6") == 0 ? "IPv6" : "IPv4", g_strcmp0 (bad, "ipv6") == 0 ? "AAAA" : "A");
}

static void
finish_open (RpCheck *check)
{
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const RpWsInfo *i = rp_ws_conn_get_info (s->conn);
  const RpMetric *rtt;

  stop_source (&s->ping_timer);
  stop_source (&s->hold_timer);
  rp_ws_explain_details (r, i, s->options.insecure);
  rtt_metrics (s, r);
  eio_details (s, r);
  rtt = rp_check_result_get_metric (r, "ping_rtt_ms");
  if (rtt != NULL)
    rp_check_result_set (r, RP_STATUS_PASS,
                         "websocket upgraded (101, Sec-WebSocket-Accept verified) in %.1f ms; "
                         "ping RTT %.2f ms",
                         i->upgrade_us / 1000.0, rtt->value);
  else
    rp_check_result_set (r, RP_STATUS_PASS,
                         "websocket upgraded (101, Sec-WebSocket-Accept verified) in %.1f ms",
                         i->upgrade_us / 1000.0);
  if (s->rtts->len == 0) {
    rp_check_result_set (r, RP_STATUS_WARN,
                         "websocket upgraded (101) but no pong came back to %u pings",
                         s->pings_sent);
    rp_check_result_set_hint (
      r, "RFC 6455 5.5.2 requires a pong for every ping: something between here and the app "
         "swallows control frames, or the server is not a conforming websocket endpoint");
  }
  if (s->holding) {
    double held =
      ((s->hold_end_us != 0 ? s->hold_end_us : g_get_monotonic_time ()) - s->hold_start_us) /
      (double) G_USEC_PER_SEC;
    rp_check_result_metric (r, "held_s", round (held * 10) / 10);
    rp_check_result_detail_bool (r, "closed_during_hold", FALSE);
    if (s->hold_effective_s + 0.05 < s->hold_s) {
      rp_check_result_set (r, RP_STATUS_WARN,
                           "websocket stayed open for %.1f s, but --hold %.0f s was cut short by "
                           "--timeout",
                           held, s->hold_s);
      rp_check_result_set_hint (
        r,
        "the run's --timeout ends before the hold: raise --timeout above --hold plus about "
        "%d s to watch the whole idle period",
        (int) (WS_BUDGET_US / G_USEC_PER_SEC));
    } else if (s->engineio && s->server_pings > 0) {
      rp_check_result_set (
        r, r->status,
        "websocket stayed open for %.1f s, kept busy by the server's Engine.IO ping "
        "every %.0f s (answered %u): that hides any proxy idle limit longer than the ping",
        held, s->eio.ping_interval_ms / 1000.0, s->server_pings);
      rp_check_result_detail_bool (r, "keepalive_masks_idle_limit", TRUE);
      rp_check_result_set_hint (
        r,
        "the server's Engine.IO ping every %.0f s keeps the connection busy, which hides any "
        "proxy idle limit longer than that (nginx proxy_read_timeout, default 60 s): a plain "
        "websocket through the same proxy, or a larger pingInterval, may still be cut",
        s->eio.ping_interval_ms / 1000.0);
    } else if (r->status == RP_STATUS_PASS) {
      rp_check_result_set (r, RP_STATUS_PASS,
                           "websocket stayed open for %.1f s while idle; ping RTT %.2f ms", held,
                           rtt != NULL ? rtt->value : 0.0);
    }
  }
  if (s->options.insecure && i->tls_version != NULL && !i->tls_verified) {
    g_autofree char *why = rp_tls_verify_reason (i->tls_verify_result, s->host);
    rp_check_result_set (r, RP_STATUS_WARN,
                         "websocket upgraded, but the certificate is not trusted (--insecure)");
    rp_check_result_set_hint (r, "%s", why);
  }
  happy_eyeballs_evidence (check);
  if (s->engineio && !s->sio_answered)
    sio_finish (
      s, RP_STATUS_FAIL,
      "the websocket is open but the Socket.IO server never answered CONNECT: is this path "
      "a Socket.IO server of version 3 or later (Engine.IO v4)?",
      "no answer to the Socket.IO CONNECT");
  g_clear_pointer (&s->conn, rp_ws_conn_free);
  rp_check_finish (check);
}

static gboolean
on_hold_silent (gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  double held = (s->hold_end_us - s->hold_start_us) / (double) G_USEC_PER_SEC;

  g_clear_pointer (&s->ping_timer, g_source_unref);
  rp_ws_explain_details (r, rp_ws_conn_get_info (s->conn), s->options.insecure);
  rtt_metrics (s, r);
  eio_details (s, r);
  rp_check_result_metric (r, "held_s", round (held * 10) / 10);
  rp_check_result_detail_bool (r, "closed_during_hold", TRUE);
  rp_check_result_detail_bool (r, "close_frame", FALSE);
  rp_check_result_set (r, RP_STATUS_FAIL,
                       "after %.1f s idle the websocket no longer answers a ping: dropped silently",
                       held);
  rp_check_result_set_hint (
    r,
    "something on the path forgot the idle connection without telling either end (no FIN, "
    "no RST): a NAT or stateful firewall idle timeout shorter than %.0f s; clients need "
    "keepalives more often than that",
    held);
  g_clear_pointer (&s->conn, rp_ws_conn_free);
  rp_check_finish (check);
  return G_SOURCE_REMOVE;
}

/* The idle period is over: the connection counts as alive only if a ping
 * still gets its pong (RFC 6455 5.5.2); a path that dropped the state
 * silently shows nothing until something is sent. */
static gboolean
on_hold_done (gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);

  g_clear_pointer (&s->hold_timer, g_source_unref);
  s->hold_end_us = g_get_monotonic_time ();
  if (s->rtts->len == 0 || !rp_ws_conn_ping (s->conn)) {
    finish_open (check);   /* pongs never worked here: nothing to compare */
    return G_SOURCE_REMOVE;
  }
  s->ping_timer = g_timeout_source_new (s->after_hold_wait_ms);
  g_source_set_callback (s->ping_timer, on_hold_silent, check, NULL);
  g_source_attach (s->ping_timer, rp_runner_get_context (rp_check_get_runner (check)));
  return G_SOURCE_REMOVE;
}

static void
maybe_advance (RpCheck *check)
{
  WsState *s = rp_check_get_state (check);
  gint64 now = g_get_monotonic_time ();
  gint64 left;

  if (rp_check_is_finished (check) || s->holding || !s->pings_done ||
      (s->engineio && !s->sio_answered))
    return;
  if (s->hold_s <= 0) {
    finish_open (check);
    return;
  }
  /* Keep time for the ping after the hold and for the result: the deadline
   * must not win. A tight --timeout shortens that wait, not only the hold. */
  left = rp_check_get_deadline_us (check) - now - 300 * 1000;
  s->after_hold_wait_ms = (guint) CLAMP (left / 4000, 200, PING_WAIT_MS);
  left -= s->after_hold_wait_ms * 1000;
  s->hold_effective_s = MIN (s->hold_s, MAX (left, 0) / (double) G_USEC_PER_SEC);
  s->holding = TRUE;
  s->hold_start_us = now;
  s->hold_timer = g_timeout_source_new ((guint) (s->hold_effective_s * 1000));
  g_source_set_callback (s->hold_timer, on_hold_done, check, NULL);
  g_source_attach (s->hold_timer, rp_runner_get_context (rp_check_get_runner (check)));
}

static void send_ping (RpCheck *check);

static gboolean
on_ping_lost (gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);

  g_clear_pointer (&s->ping_timer, g_source_unref);
  /* One unanswered ping says enough; more would only spend the budget. */
  s->pings_lost++;
  s->pings_done = TRUE;
  maybe_advance (check);
  return G_SOURCE_REMOVE;
}

static void
send_ping (RpCheck *check)
{
  WsState *s = rp_check_get_state (check);

  if (s->pings_sent >= PINGS || !rp_ws_conn_ping (s->conn)) {
    s->pings_done = TRUE;
    maybe_advance (check);
    return;
  }
  s->pings_sent++;
  s->ping_timer = g_timeout_source_new (PING_WAIT_MS);
  g_source_set_callback (s->ping_timer, on_ping_lost, check, NULL);
  g_source_attach (s->ping_timer, rp_runner_get_context (rp_check_get_runner (check)));
}

static void
on_pong (RpWsConn *conn, gint64 rtt_us, gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);
  double ms = rtt_us / 1000.0;

  if (rp_check_is_finished (check) || s->ping_timer == NULL)
    return;
  stop_source (&s->ping_timer);
  if (s->hold_end_us != 0) {
    rp_check_result_metric (rp_check_get_result (check), "after_hold_rtt_ms", ms);
    finish_open (check);
    return;
  }
  g_array_append_val (s->rtts, ms);
  send_ping (check);
}

static void
on_established (RpWsConn *conn, gpointer data)
{
  RpCheck *check = data;

  if (rp_check_is_finished (check))
    return;
  send_ping (check);
}

static void
on_sio_packet (RpCheck *check, const char *msg, gsize len)
{
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = s->sio != NULL ? rp_check_get_result (s->sio) : NULL;
  RpSioPacket p;
  g_autoptr (GError) error = NULL;

  if (!rp_sio_parse (msg, len, &p, &error) || r == NULL || s->sio_answered) {
    rp_sio_packet_clear (&p);
    return;
  }
  if (g_strcmp0 (p.nsp, s->nsp) != 0 ||
      (p.type != RP_SIO_CONNECT && p.type != RP_SIO_CONNECT_ERROR)) {
    rp_sio_packet_clear (&p);
    return;
  }
  s->sio_answered = TRUE;
  rp_check_result_detail_str (r, "namespace", s->nsp);
  eio_details (s, r);
  /* From the start of the check: resolve, upgrade, open packet, CONNECT. */
  rp_check_result_metric (r, "ready_ms",
                          (g_get_monotonic_time () - rp_check_get_started_us (check)) / 1000.0);
  if (p.type == RP_SIO_CONNECT) {
    rp_check_result_detail_str (r, "sid", p.sid != NULL ? p.sid : "");
    sio_finish (
      s, RP_STATUS_PASS, NULL,
      "Socket.IO connected to namespace %s over websocket (sid %s, pingInterval %" G_GINT64_FORMAT
      " ms)",
      s->nsp, p.sid != NULL ? p.sid : "?", s->eio.ping_interval_ms);
  } else {
    rp_check_result_detail_str (r, "connect_error",
                                p.message != NULL ? p.message : (p.data != NULL ? p.data : ""));
    sio_finish (
      s, RP_STATUS_FAIL,
      "the Socket.IO server refused CONNECT to this namespace (CONNECT_ERROR, \"44\"): a "
      "namespace middleware rejected it, usually for missing auth; the transport itself works",
      "Socket.IO refused namespace %s: %s", s->nsp, p.message != NULL ? p.message : "(no message)");
  }
  rp_sio_packet_clear (&p);
  maybe_advance (check);
}

/* The server makes us answer faster than the connection carries the answers
 * (ws-client.c bounds the send queue): a finding, and the end of the check. */
static void
finish_outpaced (RpCheck *check)
{
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const RpWsInfo *i = rp_ws_conn_get_info (s->conn);
  double open_s = (g_get_monotonic_time () - i->start_us - i->upgrade_us)
                  / (double) G_USEC_PER_SEC;

  stop_source (&s->ping_timer);
  stop_source (&s->hold_timer);
  rp_ws_explain_details (r, i, s->options.insecure);
  rtt_metrics (s, r);
  eio_details (s, r);
  rp_check_result_detail_int (r, "server_pings", s->server_pings);
  rp_check_result_detail_int (r, "unsent_messages", i->tx_queued);
  rp_check_result_detail_int (r, "unsent_bytes", i->tx_queued_bytes);
  rp_check_result_set (r, RP_STATUS_FAIL, "the server outpaces us: %u Engine.IO pings in %.1f s, "
                       "%u messages still waiting to be sent; closed (1008)", s->server_pings,
                       open_s, i->tx_queued);
  rp_check_result_set_hint (r, "an Engine.IO v4 server pings once per pingInterval (25 s by "
                            "default); this one sends pings faster than the connection carries "
                            "the pongs: a broken server or a proxy loop. The probe stops at %d "
                            "queued messages (%d KiB) rather than use memory without bound",
                            RP_WS_TX_MAX_MESSAGES, RP_WS_TX_MAX_BYTES / 1024);
  sio_finish (s, RP_STATUS_FAIL, NULL,
              "the server flooded the connection before Socket.IO answered CONNECT");
  g_clear_pointer (&s->conn, rp_ws_conn_free);
  rp_check_finish (check);
}

static void
on_message (RpWsConn *conn, const char *msg, gsize len, gboolean binary, gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);
  g_autoptr (GError) error = NULL;

  if (rp_check_is_finished (check) || !s->engineio || binary)
    return;
  switch (rp_eio_packet_type (msg, len)) {
  case RP_EIO_OPEN:
    if (s->eio_open_seen)
      break;
    if (!rp_eio_parse_open (msg, len, &s->eio, &error)) {
      rp_eio_open_clear (&s->eio);
      sio_finish (s, RP_STATUS_FAIL,
                  "the endpoint upgraded but does not speak Engine.IO v4 (Socket.IO 3 or later)",
                  "malformed Engine.IO open packet: %s", error->message);
      s->sio_answered = TRUE;
      maybe_advance (check);
      break;
    }
    s->eio_open_seen = TRUE;
    {
      /* Socket.IO v5: the client connects to a namespace with "40[nsp,]". */
      g_autofree char *connect = rp_sio_connect_packet (s->nsp);
      if (!rp_ws_conn_send_text (conn, connect) && rp_ws_conn_get_info (conn)->outpaced)
        finish_outpaced (check);
    }
    break;
  case RP_EIO_PING:
    /* Engine.IO v4: the server pings every pingInterval; a client that does
     * not answer with a pong within pingTimeout is dropped. */
    s->server_pings++;
    if (!rp_ws_conn_send_text (conn, "3") && rp_ws_conn_get_info (conn)->outpaced)
      finish_outpaced (check);
    break;
  case RP_EIO_MESSAGE:
    on_sio_packet (check, msg, len);
    break;
  default:
    break;
  }
}

static void
on_closed (RpWsConn *conn, gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const RpWsInfo *i = rp_ws_conn_get_info (conn);

  if (rp_check_is_finished (check))
    return;
  stop_source (&s->ping_timer);
  stop_source (&s->hold_timer);
  rp_ws_explain_details (r, i, s->options.insecure);
  rtt_metrics (s, r);
  eio_details (s, r);
  if (s->holding) {
    rp_ws_explain_hold_close (r, i, (i->closed_us - s->hold_start_us) / (double) G_USEC_PER_SEC,
                              s->eio_open_seen ? s->eio.ping_interval_ms : -1);
  } else if (i->too_big) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "the server sent a message larger than %d KiB; closed (1009)",
                         MAX_MESSAGE / 1024);
    rp_check_result_set_hint (
      r, "this probe caps messages; the endpoint is not the Socket.IO/websocket server expected");
  } else {
    double after = (i->closed_us - i->start_us - i->upgrade_us) / (double) G_USEC_PER_SEC;
    if (i->close_frame)
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "the websocket closed %.1f s after the upgrade, with close code %u",
                           after, i->close_code);
    else
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "the websocket closed %.1f s after the upgrade, without a close frame",
                           after);
    rp_check_result_set_hint (
      r, "the server accepted the upgrade and then hung up: an Engine.IO server of another "
         "major version (EIO=3 vs 4), a proxy that closes upgraded connections, or an app error");
  }
  sio_finish (s, RP_STATUS_FAIL, NULL, "the websocket closed before Socket.IO answered CONNECT");
  g_clear_pointer (&s->conn, rp_ws_conn_free);
  rp_check_finish (check);
}

static void connect_next (RpCheck *check);

/* ---- a failed upgrade: gather HTTP evidence, then conclude ---- */

static void
conclude_failure (RpCheck *check)
{
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const RpDetail *polling = rp_check_result_get_detail (r, "polling");
  const RpDetail *eio400 = rp_check_result_get_detail (r, "engineio_error");
  gboolean polling_ok = polling != NULL && g_str_equal (polling->str, "works");

  if (rp_check_is_finished (check) || s->http_pending > 0)
    return;
  if (eio400 != NULL && strstr (eio400->str, "\"code\":3") != NULL) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "websocket upgrade refused: Engine.IO answered 400 %s%s", eio400->str,
                         polling_ok ? "; long-polling works" : "");
    rp_check_result_set_hint (
      r,
      "Engine.IO's {\"code\":3,\"message\":\"Bad request\"} to a websocket request means it "
      "arrived without its Upgrade header: %sthe proxy strips the upgrade. In nginx's location "
      "for /socket.io/: " RP_WS_NGINX_UPGRADE_LINES,
      polling_ok ? "polling works, websocket does not: " : "");
  } else if (polling_ok) {
    g_autofree char *was = g_strdup (r->summary);
    rp_check_result_set (r, RP_STATUS_FAIL, "%s; Engine.IO long-polling works", was);
    rp_check_result_set_hint (
      r, "polling works, websocket does not: the proxy strips the Upgrade headers (clients fall "
         "back to slow long-polling or fail). In nginx's location for "
         "/socket.io/: " RP_WS_NGINX_UPGRADE_LINES);
  }
  if (s->engineio) {
    if (polling_ok)
      sio_finish (s, RP_STATUS_WARN,
                  "clients fall back to HTTP long-polling (more latency, more requests, sticky "
                  "sessions needed with several app instances); fix the websocket upgrade in the "
                  "proxy: " RP_WS_NGINX_UPGRADE_LINES,
                  "Socket.IO reachable only over long-polling: the websocket upgrade fails");
    else if (polling != NULL)
      sio_finish (s, RP_STATUS_FAIL, NULL,
                  "Socket.IO unreachable: neither the websocket upgrade nor long-polling works");
    else
      sio_finish (s, RP_STATUS_FAIL, NULL,
                  "Socket.IO unreachable: the websocket connection failed (see %s)", r->id);
  }
  rp_check_finish (check);
}

static void
on_poll_done (const RpWsHttpResult *res, gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  GPtrArray *packets;
  RpEioOpen open = { 0 };

  s->http_pending--;
  if (!rp_check_is_finished (check)) {
    packets = res->ok ? rp_eio_polling_split (res->body, res->body_len, 4) : g_ptr_array_new ();
    if (res->ok)
      rp_check_result_detail_int (r, "polling_status", res->status);
    if (res->ok && res->status == 200 && packets->len > 0 &&
        rp_eio_parse_open (g_ptr_array_index (packets, 0), strlen (g_ptr_array_index (packets, 0)),
                           &open, NULL)) {
      rp_check_result_detail_str (r, "polling", "works");
      rp_check_result_detail_str (r, "polling_sid", open.sid);
      if (open.ping_interval_ms >= 0)
        rp_check_result_detail_int (r, "ping_interval_ms", open.ping_interval_ms);
      rp_eio_open_clear (&open);
    } else {
      rp_eio_open_clear (&open);
      rp_check_result_detail_str (r, "polling", "fails");
    }
    g_ptr_array_unref (packets);
  }
  g_clear_pointer (&s->poll, rp_ws_http_free);
  conclude_failure (check);
}

static void
on_plain_done (const RpWsHttpResult *res, gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);

  s->http_pending--;
  if (!rp_check_is_finished (check) && res->ok && res->status == 400 && res->body_len > 0
      && res->body_len < 512 && g_utf8_validate (res->body, res->body_len, NULL))
    rp_check_result_detail_str (rp_check_get_result (check), "engineio_error",
                                g_strstrip (res->body));
  g_clear_pointer (&s->plain, rp_ws_http_free);
  conclude_failure (check);
}

static RpWsHttp *
http_get (RpCheck *check, const char *path, RpWsHttpDone done)
{
  WsState *s = rp_check_get_state (check);
  g_autofree char *hostport = NULL;
  g_autofree char *url = NULL;
  RpWsHttpRequest req = { 0 };

  hostport = strchr (s->host, ':') != NULL ? g_strdup_printf ("[%s]:%u", s->host, s->port)
                                           : g_strdup_printf ("%s:%u", s->host, s->port);
  url = g_strdup_printf ("%s://%s%s", s->tls ? "https" : "http", hostport, path);
  req.url = url;
  req.host = s->host;
  req.port = s->port;
  req.address = s->address;
  req.ca_file = s->ca_file;
  req.insecure = s->options.insecure;
  req.headers = s->headers;
  req.timeout_us =
    MAX (rp_check_get_deadline_us (check) - g_get_monotonic_time () - 200 * 1000, 1000);
  return rp_ws_http_get (rp_runner_get_context (rp_check_get_runner (check)), &req, done, check);
}

static void
on_failed (RpWsConn *conn, gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const RpWsInfo *i = rp_ws_conn_get_info (conn);

  if (rp_check_is_finished (check))
    return;
  if (i->phase == RP_WS_PHASE_CONNECT && s->addrs != NULL) {
    rp_check_result_detail_str (r, "refused_address", s->server);
    stop_source (&s->he_timer);
    connect_next (check);
    return;
  }
  rp_ws_explain_details (r, i, s->options.insecure);
  rp_ws_explain_failure (r, i, s->server, s->host);
  happy_eyeballs_details (s, r);
  /* Engine.IO: is it the upgrade or the whole endpoint? Ask over polling,
   * and fetch the body a plain request gets (Engine.IO's 400 {"code":3}). */
  if (s->engineio && i->phase == RP_WS_PHASE_UPGRADE && i->http_status != 0 &&
      i->http_status != 101) {
    g_autofree char *poll = rp_eio_request_path (s->base_path, s->query, "polling");
    s->poll = http_get (check, poll, on_poll_done);
    s->http_pending += s->poll != NULL;
    if (i->http_status == 400) {
      s->plain = http_get (check, s->req_path, on_plain_done);
      s->http_pending += s->plain != NULL;
    }
  }
  conclude_failure (check);
}

static const RpWsCallbacks ws_callbacks = { on_established, on_failed, on_message, on_pong,
                                            on_closed };

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  GList *addrs = NULL;

  switch (rp_check_resolve_finish (check, res, s->host, s->options.family, &addrs)) {
  case RP_RESOLVE_LATE:
    return;
  case RP_RESOLVE_FAILED:
    sio_finish (s, RP_STATUS_FAIL, NULL, "%s does not resolve", s->host);
    rp_check_finish (check);
    return;
  case RP_RESOLVED:
    break;
  }
  s->addrs = addrs;
  rp_check_result_detail_str (r, "path", s->req_path);
  s->first_attempt_us = g_get_monotonic_time ();
  connect_next (check);
}

/* Connects to the next resolved address (the first, or the next after a
 * refused connection: a name with IPv6 and IPv4 addresses may listen on
 * one family only). */
static gboolean
on_happy_eyeballs (gpointer data)
{
  RpCheck *check = data;
  WsState *s = rp_check_get_state (check);
  const RpWsInfo *i = s->conn != NULL ? rp_ws_conn_get_info (s->conn) : NULL;
  GSocketFamily silent;

  g_clear_pointer (&s->he_timer, g_source_unref);
  if (rp_check_is_finished (check) || i == NULL || i->phase != RP_WS_PHASE_CONNECT)
    return G_SOURCE_REMOVE;
  /* No TCP answer yet: give this family up and go on with the other one.
   * Browsers race both; one attempt at a time keeps the websocket state
   * machine single, and a handshake slower than 250 ms on the first family
   * is what this reports anyway. */
  silent = g_inet_address_get_family (s->addrs_current);
  while (s->addrs != NULL && g_inet_address_get_family (s->addrs->data) == silent) {
    g_object_unref (s->addrs->data);
    s->addrs = g_list_delete_link (s->addrs, s->addrs);
  }
  g_free (s->abandoned);
  s->abandoned = g_strdup (s->server);
  s->fallback_us = g_get_monotonic_time ();
  connect_next (check);
  return G_SOURCE_REMOVE;
}

static void
connect_next (RpCheck *check)
{
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  g_autoptr (GError) error = NULL;
  GInetAddress *ip;
  RpWsConnOptions o = { 0 };
  gboolean other_family = FALSE;

  stop_source (&s->he_timer);
  if (s->addrs == NULL)
    return;
  ip = s->addrs->data;
  s->addrs = g_list_delete_link (s->addrs, s->addrs);
  g_free (s->address);
  g_free (s->server);
  s->address = g_inet_address_to_string (ip);
  s->server = rp_address_port_to_string (ip, s->port);
  for (GList *l = s->addrs; l != NULL && !other_family; l = l->next)
    other_family = g_inet_address_get_family (l->data) != g_inet_address_get_family (ip);
  g_clear_object (&s->addrs_current);
  s->addrs_current = ip;
  rp_check_result_detail_str (r, "server_address", s->server);
  rp_check_result_detail_str (r, "family", rp_address_family_tag (ip));

  o.address = s->address;
  o.port = s->port;
  o.host = s->host;
  o.path = s->req_path;
  o.tls = s->tls;
  o.insecure = s->options.insecure;
  o.ca_file = s->ca_file;
  o.headers = s->headers;
  o.max_message = MAX_MESSAGE;
  g_clear_pointer (&s->conn, rp_ws_conn_free);
  s->conn = rp_ws_conn_new (rp_runner_get_context (rp_check_get_runner (check)), &o, &ws_callbacks,
                            check, &error);
  if (s->conn == NULL) {
    rp_check_result_set (r, RP_STATUS_FAIL, "%s", error->message);
    sio_finish (s, RP_STATUS_SKIP, NULL, "no websocket client: %s", error->message);
    rp_check_finish (check);
    return;
  }
  if (other_family) {
    s->he_timer = g_timeout_source_new (RP_HAPPY_EYEBALLS_MS);
    g_source_set_callback (s->he_timer, on_happy_eyeballs, check, NULL);
    g_source_attach (s->he_timer, rp_runner_get_context (rp_check_get_runner (check)));
  }
}

static void
ws_start (RpCheck *check)
{
  WsState *s = rp_check_get_state (check);

  rp_resolve_async (s->host, s->options.family, rp_check_get_cancellable (check), on_resolved,
                    rp_check_ref (check));
}

static void
ws_expire (RpCheck *check)
{
  WsState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const RpWsInfo *i = s->conn != NULL ? rp_ws_conn_get_info (s->conn) : NULL;
  const char *awaiting = !s->pings_done                     ? "a pong"
                         : s->engineio && !s->eio_open_seen ? "the Engine.IO open packet"
                                                            : "the Socket.IO CONNECT answer";

  if (s->http_pending > 0) {
    /* The upgrade's answer is known; the HTTP evidence came too late. */
    g_clear_pointer (&s->poll, rp_ws_http_free);
    g_clear_pointer (&s->plain, rp_ws_http_free);
    s->http_pending = 0;
    conclude_failure (check);
    return;
  }
  if (i != NULL)
    rp_ws_explain_details (r, i, s->options.insecure);
  rtt_metrics (s, r);
  rp_ws_explain_deadline (r, i, s->server, s->port, awaiting);
  sio_finish (s, RP_STATUS_FAIL, NULL,
              "no Socket.IO answer before the deadline (the websocket stalled in phase %s)",
              i != NULL ? rp_ws_phase_to_string (i->phase) : "resolve");
  g_clear_pointer (&s->conn, rp_ws_conn_free);
}

static const RpCheckClass ws_class = { ws_start, ws_expire, ws_state_free };

/* The socketio check only waits: the ws check decides it. */
static void sio_start (RpCheck *check) { }

static void
sio_expire (RpCheck *check)
{
  rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL,
                       "no Socket.IO answer before the deadline");
}

static const RpCheckClass sio_class = { sio_start, sio_expire, NULL };

void
rp_check_ws_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                 const RpWsOptions *ws, guint index)
{
  WsState *s;
  g_autofree char *id = NULL;
  g_autofree char *sio_id = NULL;
  const char *path = target->path != NULL ? target->path : "/";
  gint64 timeout = WS_BUDGET_US + (gint64) (ws->hold_s * G_USEC_PER_SEC);

  if (ws->livekit) {
    rp_livekit_checks_add (runner, options, target, ws, index);
    return;
  }
  s = g_new0 (WsState, 1);
  s->options = *options;
  s->ca_file = g_strdup (options->ca_file);
  s->options.ca_file = s->ca_file;
  s->host = g_strdup (target->host);
  s->port = target->port;
  s->tls = target->scheme == RP_SCHEME_WSS || target->scheme == RP_SCHEME_HTTPS;
  s->uri = g_strdup (target->uri);
  s->query = g_strdup (target->query);
  s->headers = g_strdupv (ws->headers);
  s->hold_s = ws->hold_s;
  s->rtts = g_array_new (FALSE, FALSE, sizeof (double));
  s->engineio = ws->engineio || rp_eio_path_is_socketio (path);
  if (s->engineio && !rp_eio_path_is_socketio (path)) {
    /* Socket.IO's client convention: io("https://host/private") means the
     * namespace /private on the default engine path /socket.io/. */
    s->nsp = g_strdup (path);
    path = "/socket.io/";
  } else {
    s->nsp = g_strdup ("/");
  }
  s->base_path = g_strdup (path);
  s->req_path = s->engineio        ? rp_eio_request_path (path, s->query, "websocket")
                : s->query != NULL ? g_strdup_printf ("%s?%s", path, s->query)
                                   : g_strdup (path);
  id = index > 0 ? g_strdup_printf ("ws.%u", index) : g_strdup ("ws");
  rp_runner_add (runner, rp_check_result_new (id, "websocket", target->uri), timeout, &ws_class, s);
  if (s->engineio) {
    sio_id = index > 0 ? g_strdup_printf ("socketio.%u", index) : g_strdup ("socketio");
    s->sio = rp_check_ref (rp_runner_add (
      runner, rp_check_result_new (sio_id, "websocket", target->uri), timeout, &sio_class, NULL));
  }
}
