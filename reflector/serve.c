/* `rtcprobe serve`: the reflector a remote tester's probe talks to (see
 * reflector-proto.h for the protocol, serve-config.h for the INI file).
 * This file is the process: the websocket signalling server (libwebsockets
 * on the GMainLoop through its GLib event library, like the client in
 * ws-client.c), authentication of the hello, the caps on connections and
 * sessions, the per-source limits, SIGTERM/SIGINT, and the log.
 *
 * Hardening, in the order a connection meets it: lws's fd table is sized to
 * max_connections; a new TCP connection takes a token from its source's
 * bucket (not for a trusted proxy, whose clients are counted by their
 * X-Forwarded-For address at the upgrade instead); only the configured path
 * upgrades, plain HTTP on that path gets a fixed 426 (a proxy that drops
 * Upgrade shows as that, not as a 502) and elsewhere is closed unanswered; the HTTP phase and the
 * hello are bounded by hello_timeout (a silent client gets error "timeout"); the hello must carry a
 * valid token before anything is allocated; sessions are capped, in all and per token; messages are
 * capped at 16 KiB and only the ones the protocol expects are accepted, anything else closes the
 * connection (RFC 6455 7.4.1 1008). A tester's browser says hello with an invite instead of a token
 * (reflector-tester.h): checked before anything is allocated, then the same caps, then its use is
 * counted (serve-tester.c does the rest). The server logs to stderr, one line per event, never a
 * token, invite, key or password. */
#include "reflector/serve.h"

#include <arpa/inet.h>
#include <glib-unix.h>
#include <libwebsockets.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include "reflector/serve-private.h"
#include "common/quote.h"
#include "common/tls-client.h"
#include "reflector/protocol/reflector-tester.h"

#define TX_QUEUE_MAX 8
/* A tester's browser gets its peers' trickled candidates in bursts (every
 * host candidate of an answer at once): a larger bound, still a bound. */
#define TX_QUEUE_MAX_TESTER 128
#define SUMMARY_INTERVAL_S 10
#define SHUTDOWN_GRACE_MS 300
#define HELLO_CLOSE_GRACE_S 2   /* after the "timeout" error, for the close */
#define INVITE_LEDGER_MAX 4096   /* invites whose uses are counted at once */

typedef struct {
  RpServe *serve;
  struct lws *wsi;
  RpServeSession *session;
  RpServeTester *tester;
  gboolean hello_done;
  gboolean counted;
  char peer[INET6_ADDRSTRLEN];
  char agent[RP_UPLOAD_FIELD_MAX + 1]; /* User-Agent, printable ASCII ("": none) */
  RpServeUpload *upload;      /* a POST of a result, while its body arrives */
  GByteArray *rx;
  GQueue tx;
  guint close_code;
} Conn;

static RpServe *the_serve;   /* lws's protocol callback has no user pointer of ours */

void
rp_serve_log_refusal (RpServe *s, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *line = NULL;

  if (!rp_bucket_take (&s->log_bucket, 1, 10, 1, g_get_monotonic_time ()))
    return;
  va_start (ap, fmt);
  line = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_message ("refused: %s", line);
}

gboolean
rp_serve_packet_allowed (RpServe *s, gint64 now_us)
{
  if (rp_bucket_take (&s->global, s->config->global_packet_rate, s->config->global_packet_rate, 1,
                      now_us))
    return TRUE;
  s->dropped_packets++;
  return FALSE;
}

/* ---- the websocket side of a session ---- */

void
rp_serve_ws_send (gpointer conn, const char *text)
{
  Conn *c = conn;

  if (c->close_code != 0)
    return;
  if (g_queue_get_length (&c->tx) >= (c->tester != NULL ? TX_QUEUE_MAX_TESTER : TX_QUEUE_MAX)) {
    /* A client that does not read its messages gets no more. */
    c->close_code = 1008;
  } else {
    g_queue_push_tail (&c->tx, g_strdup (text));
  }
  lws_callback_on_writable (c->wsi);
}

void
rp_serve_ws_close (gpointer conn, guint code)
{
  Conn *c = conn;

  if (c == NULL)
    return;
  if (c->close_code == 0)
    c->close_code = code;
  lws_callback_on_writable (c->wsi);
}

void
rp_serve_ws_link (gpointer conn, RpServeSession *ss)
{
  Conn *c = conn;

  g_assert (ss == NULL || c->session == NULL);
  c->session = ss;
}

void
rp_serve_ws_link_tester (gpointer conn, RpServeTester *t)
{
  Conn *c = conn;

  g_assert (t == NULL || c->tester == NULL);
  c->tester = t;
}

/* The websocket is ending (or has ended): its session, if any, ends now and
 * only here, once; rp_serve_session_end() (rp_serve_tester_end()) unlinks
 * both sides. */
static void
end_session (Conn *c, const char *reason)
{
  if (c->session != NULL)
    rp_serve_session_end (c->session, reason, FALSE);
  if (c->tester != NULL)
    rp_serve_tester_end (c->tester, reason, FALSE);
  g_assert (c->session == NULL && c->tester == NULL);
}

static guint
open_sessions (RpServe *s)
{
  return s->n_sessions + g_hash_table_size (s->testers);
}

/* error {code, message}, then the close: the session ends with it. */
static void
send_error (Conn *c, const char *code, const char *message, guint close_code)
{
  g_autofree char *m = rp_reflector_msg_error (code, message);

  rp_serve_ws_send (c, m);
  end_session (c, code);
  rp_serve_ws_close (c, close_code);
}

/* lws listens on an IPv6 socket: show IPv4 clients as IPv4. */
static void
peer_address (struct lws *wsi, char *buf, gsize len)
{
  lws_get_peer_simple (wsi, buf, len);
  if (g_str_has_prefix (buf, "::ffff:") && strchr (buf + 7, '.') != NULL)
    memmove (buf, buf + 7, strlen (buf + 7) + 1);
}

static gboolean
is_trusted_proxy (RpServe *s, const char *addr)
{
  char **p = s->config->trusted_proxies;

  for (guint i = 0; p != NULL && p[i] != NULL; i++)
    if (g_str_equal (p[i], addr))
      return TRUE;
  return FALSE;
}

static gboolean
allow_source (RpRateTable *t, const char *addr)
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (addr);

  return a == NULL || rp_rate_table_allow_inet (t, a, g_get_monotonic_time ());
}

/* A tester's browser: the invite instead of a token. Refused (one
 * sentence, nothing else) when it is malformed, forged, expired or used
 * up; the caps come before the use is counted. */
static void
on_tester_hello (Conn *c, JsonObject *msg)
{
  RpServe *s = c->serve;
  const char *text = rp_tester_msg_get_invite (msg);
  g_auto (RpInvite) inv = { 0 };
  g_autofree char *share = NULL;
  g_autofree char *label = NULL;
  RpInviteResult r = text == NULL ? RP_INVITE_MALFORMED
                     : rp_invite_verify (s->config->secret, strlen (s->config->secret), text,
                                         strlen (text), g_get_real_time () / G_USEC_PER_SEC, &inv);

  /* The label only when the invite is genuine: a forger chooses the text. */
  if (inv.label != NULL)
    label = rp_quote_input (inv.label, strlen (inv.label), 80);
  if (r != RP_INVITE_OK) {
    s->refused_auth++;
    rp_serve_log_refusal (s, "%s: invite %s%s%s", c->peer, rp_invite_result_to_string (r),
                          label != NULL ? " label=" : "", label != NULL ? label : "");
    send_error (c, "invite", rp_invite_result_sentence (r), 1008);
    return;
  }
  c->hello_done = TRUE;
  lws_set_timer_usecs (c->wsi, LWS_SET_TIMER_USEC_CANCEL);
  share = g_strconcat ("invite:", inv.id, NULL);
  if (s->stopping || open_sessions (s) >= s->config->max_sessions
      || !rp_share_take (s->token_share, share, s->config->max_sessions_per_token)) {
    s->refused_busy++;
    rp_serve_log_refusal (s, "%s label=%s: busy (%u sessions)", c->peer, label, open_sessions (s));
    send_error (c, "busy", rp_invite_result_sentence (RP_INVITE_BUSY), s->stopping ? 1001 : 1013);
    return;
  }
  r = rp_invite_ledger_take (s->invites, &inv, g_get_real_time () / G_USEC_PER_SEC);
  if (r != RP_INVITE_OK) {
    rp_share_give (s->token_share, share);
    s->refused_auth++;
    rp_serve_log_refusal (s, "%s: invite %s label=%s", c->peer, rp_invite_result_to_string (r),
                          label);
    send_error (c, r == RP_INVITE_BUSY ? "busy" : "invite", rp_invite_result_sentence (r), 1008);
    return;
  }
  lws_set_timeout (c->wsi, NO_PENDING_TIMEOUT, 0);
  rp_serve_tester_new (s, c, c->peer, *c->agent != '\0' ? c->agent : NULL, &inv, share);
}

/* A load session of streams on the direct UDP port: within max_load_streams,
 * which the refusal names (the client says it to whoever runs the load). */
static gboolean
load_allowed (Conn *c, guint streams)
{
  RpServe *s = c->serve;
  guint max = s->config->max_load_streams;
  g_autofree char *why = NULL;

  if (s->direct == NULL || rp_serve_direct_udp_port (s->direct) == 0)
    why = g_strdup ("this reflector has no direct UDP port ([listen] udp)");
  else if (max == 0)
    why = g_strdup ("this reflector takes no load sessions ([limits] max_load_streams = 0)");
  else if (streams > max)
    why = g_strdup_printf ("this reflector allows at most %u streams in a load session "
                           "([limits] max_load_streams); %u asked", max, streams);
  if (why == NULL)
    return TRUE;
  s->refused_busy++;
  rp_serve_log_refusal (s, "%s: load of %u streams refused", c->peer, streams);
  send_error (c, "load-limit", why, 1008);
  return FALSE;
}

static void
on_hello (Conn *c, const char *type, JsonObject *msg)
{
  RpServe *s = c->serve;
  const char *username = rp_reflector_msg_str (msg, "username");
  const char *token = rp_reflector_msg_str (msg, "token");
  RpTokenResult tr;
  gint64 streams;

  if (g_str_equal (type, "tester")) {
    on_tester_hello (c, msg);
    return;
  }
  if (!g_str_equal (type, "hello")) {
    s->refused_auth++;
    rp_serve_log_refusal (s, "%s sent %s before hello", c->peer, type);
    send_error (c, "unauthorized", "say hello with a token first", 1008);
    return;
  }
  tr = rp_reflector_token_verify (s->config->secret, strlen (s->config->secret), username, token,
                                  g_get_real_time () / G_USEC_PER_SEC, s->config->max_token_ttl_s);
  if (tr != RP_TOKEN_OK) {
    s->refused_auth++;
    /* The name only when the token is genuine: a forger chooses the text. */
    rp_serve_log_refusal (s, "%s: token %s", c->peer, rp_token_result_to_string (tr));
    send_error (
      c, tr == RP_TOKEN_EXPIRED || tr == RP_TOKEN_TOO_LONG_LIVED ? "expired" : "unauthorized",
      tr == RP_TOKEN_EXPIRED          ? "the token has expired (check the client's clock)"
      : tr == RP_TOKEN_TOO_LONG_LIVED ? "the token lives longer than this reflector accepts"
                                      : "the token does not verify",
      1008);
    return;
  }
  c->hello_done = TRUE;
  lws_set_timer_usecs (c->wsi, LWS_SET_TIMER_USEC_CANCEL);
  streams = rp_reflector_msg_get_streams (msg);
  if (streams < 0) {
    send_error (c, "bad-request", "streams: a whole number of at least 1", 1008);
    return;
  }
  if (streams > 0 && !load_allowed (c, (guint) streams))
    return;
  if (s->stopping) {
    send_error (c, "busy", "the reflector is shutting down", 1001);
    return;
  }
  if (open_sessions (s) >= s->config->max_sessions) {
    s->refused_busy++;
    rp_serve_log_refusal (s, "%s name=%s: %u sessions already", c->peer,
                          rp_reflector_token_name (username), open_sessions (s));
    /* RFC 6455 7.4.1 1013: try again later. */
    send_error (c, "busy", "too many sessions; try again later", 1013);
    return;
  }
  if (!rp_share_take (s->token_share, username, s->config->max_sessions_per_token)) {
    s->refused_busy++;
    rp_serve_log_refusal (s, "%s name=%s: the token holds %u sessions already", c->peer,
                          rp_reflector_token_name (username),
                          rp_share_count (s->token_share, username));
    send_error (c, "busy", "this token holds as many sessions as it may; end one first", 1013);
    return;
  }
  lws_set_timeout (c->wsi, NO_PENDING_TIMEOUT, 0);
  rp_serve_session_new (s, c, c->peer, rp_reflector_token_name (username), username,
                        (guint) streams);
}

static void
on_message (Conn *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) msg = NULL;
  const char *type = NULL;

  msg = rp_reflector_msg_parse ((const char *) c->rx->data, c->rx->len, &type, &error);
  g_byte_array_set_size (c->rx, 0);
  if (msg == NULL) {
    rp_serve_log_refusal (c->serve, "%s: bad message", c->peer);
    /* Our own reasons are fixed text; json-glib's may quote the input. */
    send_error (c, "bad-request",
                error->domain == G_IO_ERROR ? error->message : "not a protocol message", 1008);
    return;
  }
  if (!c->hello_done)
    on_hello (c, type, msg);
  else if (c->session != NULL)
    rp_serve_session_message (c->session, type, msg);
  else if (c->tester != NULL)
    rp_serve_tester_message (c->tester, type, msg);
}

static int
on_writeable (Conn *c)
{
  if (!g_queue_is_empty (&c->tx)) {
    g_autofree char *text = g_queue_pop_head (&c->tx);
    gsize len = strlen (text);
    g_autofree guint8 *out = g_malloc (LWS_PRE + len);
    int n;
    memcpy (out + LWS_PRE, text, len);
    n = lws_write (c->wsi, out + LWS_PRE, len, LWS_WRITE_TEXT);
    memset (out, 0, LWS_PRE + len);   /* a welcome holds the session key */
    memset (text, 0, len);
    if (n < (int) len)
      return -1;
  }
  if (!g_queue_is_empty (&c->tx)) {
    lws_callback_on_writable (c->wsi);
    return 0;
  }
  if (c->close_code != 0) {
    lws_close_reason (c->wsi, c->close_code, NULL, 0);
    return -1;
  }
  return 0;
}

/* The path the websocket lives on (the query is ignored). */
static gboolean
path_ok (struct lws *wsi, RpServe *s)
{
  char uri[512];
  int n = lws_hdr_copy (wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);

  if (n <= 0)
    return FALSE;
  uri[strcspn (uri, "?")] = '\0';
  return g_str_equal (uri, s->config->path);
}

/* <path>/test: the tester's page (the invite is in the fragment, which no
 * request carries). */
static gboolean
page_path (struct lws *wsi, RpServe *s)
{
  char uri[512];
  int n = lws_hdr_copy (wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);

  if (n <= 0)
    return FALSE;
  uri[strcspn (uri, "?")] = '\0';
  return g_str_has_prefix (uri, s->config->path)
         && g_str_equal (uri + strlen (s->config->path), "/test");
}

/* The User-Agent of the upgrade, cut to the buffer; anything but printable
 * ASCII becomes '?' (it reaches the results store and its views). */
static void
user_agent (struct lws *wsi, Conn *c)
{
  int n = lws_hdr_copy (wsi, c->agent, sizeof c->agent, WSI_TOKEN_HTTP_USER_AGENT);

  if (n < 0)
    n = 0;
  c->agent[MIN ((gsize) n, sizeof c->agent - 1)] = '\0';
  for (char *p = c->agent; *p != '\0'; p++)
    if (*p < 0x20 || *p > 0x7e)
      *p = '?';
}

/* Behind a trusted proxy the client is the last X-Forwarded-For entry (the
 * one the proxy appended itself); anything further left is client-supplied. */
static void
client_address (struct lws *wsi, Conn *c)
{
  char xff[256];
  const char *last;

  peer_address (wsi, c->peer, sizeof c->peer);
  if (!is_trusted_proxy (c->serve, c->peer) ||
      lws_hdr_copy (wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR) <= 0)
    return;
  last = strrchr (xff, ',');
  last = last != NULL ? last + 1 : xff;
  while (*last == ' ')
    last++;
  if (g_hostname_is_ip_address (last) && strlen (last) < sizeof c->peer)
    g_strlcpy (c->peer, last, sizeof c->peer);
}

static int
filter_accept (RpServe *s, void *in)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char addr[INET6_ADDRSTRLEN] = "";
  int fd = (int) (lws_intptr_t) in;

  if (s->stopping)
    return 1;
  if (getpeername (fd, (struct sockaddr *) &ss, &len) != 0)
    return 1;
  if (ss.ss_family == AF_INET)
    inet_ntop (AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, addr, sizeof addr);
  else if (ss.ss_family == AF_INET6 &&
           IN6_IS_ADDR_V4MAPPED (&((struct sockaddr_in6 *) &ss)->sin6_addr))
    inet_ntop (AF_INET, &((struct sockaddr_in6 *) &ss)->sin6_addr.s6_addr[12], addr, sizeof addr);
  else if (ss.ss_family == AF_INET6)
    inet_ntop (AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, addr, sizeof addr);
  if (is_trusted_proxy (s, addr))
    return 0;
  if (!allow_source (s->upgrade_limit, addr)) {
    s->refused_rate++;
    rp_serve_log_refusal (s, "%s: connection rate", addr);
    return 1;
  }
  return 0;
}

/* RFC 7231 6.5.15: 426 with the protocol to upgrade to; small, then close. */
static void
answer_upgrade_required (struct lws *wsi)
{
  static const char body[] =
    "rtcprobe serve: this path is a websocket; the request arrived without "
    "Upgrade: websocket (a proxy that does not pass Upgrade and Connection)\n";
  guint8 buf[LWS_PRE + 512];
  guint8 *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
  guint8 out[LWS_PRE + sizeof body];

  if (lws_add_http_header_status (wsi, 426, &p, end) ||
      lws_add_http_header_by_name (wsi, (const guint8 *) "upgrade:", (const guint8 *) "websocket",
                                   9, &p, end) ||
      lws_add_http_header_by_name (
        wsi, (const guint8 *) "connection:", (const guint8 *) "Upgrade, close", 14, &p, end) ||
      lws_add_http_header_by_token (wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (const guint8 *) "text/plain",
                                    10, &p, end) ||
      lws_add_http_header_content_length (wsi, sizeof body - 1, &p, end) ||
      lws_finalize_write_http_header (wsi, start, &p, end))
    return;
  memcpy (out + LWS_PRE, body, sizeof body - 1);
  lws_write (wsi, out + LWS_PRE, sizeof body - 1, LWS_WRITE_HTTP_FINAL);
}

static int
ws_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  RpServe *s = the_serve;
  Conn *c = user;

  switch (reason) {
  case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
    return s != NULL ? filter_accept (s, in) : 1;
  case LWS_CALLBACK_HTTP:
    /* Only the websocket is served. A plain GET on its path is what a proxy
     * that drops Upgrade/Connection forwards: say so (426), so the client
     * names the proxy instead of a bare 502. Anything else: no answer. */
    if (s != NULL && c != NULL && rp_serve_upload_path (wsi, s)) {
      c->serve = s;
      client_address (wsi, c);
      user_agent (wsi, c);
      return rp_serve_upload_begin (s, wsi, c->peer, *c->agent != '\0' ? c->agent : NULL,
                                    &c->upload);
    }
    if (s != NULL && !s->stopping && path_ok (wsi, s))
      answer_upgrade_required (wsi);
    else if (s != NULL && !s->stopping && page_path (wsi, s))
      rp_serve_page_answer (s, wsi);
    return -1;
  /* An HTTP connection that never sent a request has no Conn. */
  case LWS_CALLBACK_HTTP_BODY:
    return c != NULL && c->upload != NULL ? rp_serve_upload_body (c->upload, wsi, in, len) : -1;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    return c != NULL && c->upload != NULL && s != NULL
             ? rp_serve_upload_complete (s, c->upload, wsi) : -1;
  case LWS_CALLBACK_CLOSED_HTTP:
    if (c != NULL)
      g_clear_pointer (&c->upload, rp_serve_upload_free);
    return 0;
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
    char peer[INET6_ADDRSTRLEN];
    if (s == NULL || s->stopping || !path_ok (wsi, s) ||
        s->connections >= s->config->max_connections)
      return 1;
    peer_address (wsi, peer, sizeof peer);
    if (is_trusted_proxy (s, peer)) {
      Conn tmp = { .serve = s };
      client_address (wsi, &tmp);
      if (!allow_source (s->upgrade_limit, tmp.peer)) {
        s->refused_rate++;
        rp_serve_log_refusal (s, "%s (via %s): connection rate", tmp.peer, peer);
        return 1;
      }
    }
    return 0;
  }
  case LWS_CALLBACK_ESTABLISHED:
    c->serve = s;
    c->wsi = wsi;
    c->rx = g_byte_array_new ();
    g_queue_init (&c->tx);
    c->counted = TRUE;
    s->connections++;
    client_address (wsi, c);
    user_agent (wsi, c);
    /* At hello_timeout the client is told (error "timeout"); lws's own
     * timeout is only the backstop for one that does not take the close. */
    lws_set_timer_usecs (wsi, s->config->hello_timeout_s * G_USEC_PER_SEC);
    lws_set_timeout (wsi, PENDING_TIMEOUT_USER_OK,
                     (int) s->config->hello_timeout_s + HELLO_CLOSE_GRACE_S);
    return 0;
  case LWS_CALLBACK_TIMER:
    if (!c->hello_done && c->close_code == 0) {
      g_autofree char *why = g_strdup_printf ("no hello within %" G_GINT64_FORMAT " s",
                                              s->config->hello_timeout_s);
      s->refused_auth++;
      rp_serve_log_refusal (s, "%s: no hello in time", c->peer);
      send_error (c, "timeout", why, 1008);   /* RFC 6455 7.4.1: policy violation */
    }
    return 0;
  case LWS_CALLBACK_RECEIVE:
    if (c->close_code != 0)
      return 0;
    if (lws_frame_is_binary (wsi)) {
      send_error (c, "bad-request", "text messages only", 1003);
      return 0;
    }
    if (c->rx->len + len > RP_REFLECTOR_MAX_MESSAGE) {
      g_byte_array_set_size (c->rx, 0);
      lws_rx_flow_control (wsi, 0);
      send_error (c, "bad-request", "message too big", 1009);   /* RFC 6455 7.4.1 */
      return 0;
    }
    g_byte_array_append (c->rx, in, len);
    if (lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0)
      on_message (c);
    return 0;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return on_writeable (c);
  case LWS_CALLBACK_CLOSED:
    end_session (c, "closed");
    if (c->counted) {
      s->connections--;
      c->counted = FALSE;
    }
    g_queue_clear_full (&c->tx, g_free);
    if (c->rx != NULL)
      g_byte_array_unref (c->rx);
    c->rx = NULL;
    return 0;
  default:
    return 0;
  }
}

static const struct lws_protocols protocols[] = {
  { "rtcprobe-reflector", ws_callback, sizeof (Conn), 4096, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void
lws_to_log (int level, const char *line)
{
  g_debug ("lws: %.*s", (int) strcspn (line, "\n"), line);
}

/* ---- start, summary, stop ---- */

static void
turn_free (gpointer p)
{
  RpServeTurn *t = p;

  g_clear_pointer (&t->bridge, rp_turn_tls_bridge_free);
  g_free (t->uri);
  g_free (t->ip);
  g_free (t);
}

/* Names are resolved once, at start: a reflector should not depend on DNS
 * in the middle of a session, and libnice wants numeric addresses. */
static gboolean
resolve_turn (RpServe *s, GError **error)
{
  g_autoptr (GResolver) resolver = g_resolver_get_default ();
  SSL_CTX *tls = NULL;

  for (guint i = 0; i < s->config->turn->len; i++) {
    const RpTarget *t = g_ptr_array_index (s->config->turn, i);
    RpServeTurn *st = g_new0 (RpServeTurn, 1);
    GList *addrs = g_resolver_lookup_by_name (resolver, t->host, NULL, error);
    if (addrs == NULL) {
      g_free (st);
      g_prefix_error (error, "[turn] servers: %s: ", t->uri);
      return FALSE;
    }
    st->uri = g_strdup (t->uri);
    st->ip = g_inet_address_to_string (addrs->data);
    st->port = t->port;
    st->transport = t->transport == RP_TRANSPORT_UDP ? RP_ICE_RELAY_UDP : RP_ICE_RELAY_TCP;
    g_ptr_array_add (s->turn, st);
    if (t->transport == RP_TRANSPORT_TLS) {
      g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (addrs->data, t->port);
      RpTlsOptions o = { s->config->ca_file, FALSE };
      if (tls == NULL && (tls = rp_tls_client_ctx_new (&o, error)) == NULL) {
        g_resolver_free_addresses (addrs);
        return FALSE;
      }
      st->bridge =
        rp_turn_tls_bridge_new (s->context, G_INET_SOCKET_ADDRESS (sa), t->host, tls, FALSE, error);
      if (st->bridge == NULL) {
        g_resolver_free_addresses (addrs);
        SSL_CTX_free (tls);
        return FALSE;
      }
    }
    g_resolver_free_addresses (addrs);
  }
  if (tls != NULL)
    SSL_CTX_free (tls);
  return TRUE;
}

static gboolean
start_lws (RpServe *s, GError **error)
{
  RpServeConfig *c = s->config;
  struct lws_context_creation_info ci;
  void *foreign[1] = { s->loop };

  lws_set_log_level (LLL_ERR | LLL_WARN, lws_to_log);
  memset (&ci, 0, sizeof ci);
  ci.port = c->websocket.port;
  ci.iface = *c->websocket.address != '\0' ? c->websocket.address : NULL;
  ci.protocols = protocols;
  ci.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_VALIDATE_UTF8;
  ci.foreign_loops = foreign;
  ci.timeout_secs = (unsigned int) c->hello_timeout_s;
  ci.fd_limit_per_thread = c->max_connections + 16;
  ci.vhost_name = "rtcprobe";
  ci.server_string = "rtcprobe";
  ci.gid = (gid_t) -1;
  ci.uid = (uid_t) -1;
  if (c->tls_cert != NULL) {
    ci.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    ci.ssl_cert_filepath = c->tls_cert;
    ci.ssl_private_key_filepath = c->tls_key;
    /* Websockets here are HTTP/1.1 upgrades (no RFC 8441): offer h2 to nobody. */
    ci.alpn = "http/1.1";
  }
  s->lws = lws_create_context (&ci);
  if (s->lws == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "the websocket server could not start on %s:%u (port in use? "
                 "libwebsockets-evlib-glib installed?%s)",
                 *c->websocket.address != '\0' ? c->websocket.address : "*", c->websocket.port,
                 c->tls_cert != NULL ? " tls_cert/tls_key readable?" : "");
    return FALSE;
  }
  return TRUE;
}

static gboolean
on_summary (gpointer data)
{
  RpServe *s = data;

  if (s->refused_rate + s->refused_auth + s->refused_busy + s->dropped_packets > 0)
    g_message ("last %d s: refused %" G_GUINT64_FORMAT " over rate, %" G_GUINT64_FORMAT
               " unauthenticated, %" G_GUINT64_FORMAT " over the session cap; %" G_GUINT64_FORMAT
               " packets dropped; %u sessions open",
               SUMMARY_INTERVAL_S, s->refused_rate, s->refused_auth, s->refused_busy,
               s->dropped_packets, open_sessions (s));
  s->refused_rate = s->refused_auth = s->refused_busy = s->dropped_packets = 0;
  return G_SOURCE_CONTINUE;
}

static gboolean
on_grace_over (gpointer data)
{
  g_main_loop_quit (((RpServe *) data)->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  RpServe *s = data;
  GHashTableIter it;
  gpointer v;

  if (s->stopping)
    return G_SOURCE_CONTINUE;
  s->stopping = TRUE;
  g_message ("stopping: %u sessions end", open_sessions (s));
  g_clear_pointer (&s->direct, rp_serve_direct_free);
  /* Tell every client (bye, then a 1001 close), give the close frames and
   * libnice's TURN deallocations a moment, then leave. */
  while (g_hash_table_size (s->sessions) > 0) {
    g_hash_table_iter_init (&it, s->sessions);
    g_hash_table_iter_next (&it, NULL, &v);
    rp_serve_session_end (v, "shutdown", TRUE);
  }
  while (g_hash_table_size (s->testers) > 0) {
    g_hash_table_iter_init (&it, s->testers);
    g_hash_table_iter_next (&it, &v, NULL);
    rp_serve_tester_end (v, "shutdown", TRUE);
  }
  g_timeout_add (SHUTDOWN_GRACE_MS, on_grace_over, s);
  return G_SOURCE_CONTINUE;
}

int
rp_serve_main (const char *config_path, GError **error)
{
  RpServeConfig config;
  RpServe s = { 0 };
  gint64 now = g_get_monotonic_time ();
  guint sig_term, sig_int, summary;
  int rc = 0;

  if (!rp_serve_config_load (&config, config_path, error)) {
    rp_serve_config_clear (&config);
    return 2;
  }
  s.config = &config;
  s.context = g_main_context_default ();
  s.loop = g_main_loop_new (s.context, FALSE);
  s.turn = g_ptr_array_new_with_free_func (turn_free);
  s.sessions = g_hash_table_new (g_direct_hash, g_direct_equal);
  s.testers = g_hash_table_new (g_direct_hash, g_direct_equal);
  s.invites = rp_invite_ledger_new (INVITE_LEDGER_MAX);
  s.token_share = rp_share_table_new ();
  s.upgrade_limit =
    rp_rate_table_new (config.source_table_size, config.source_rate, config.source_burst);
  s.packet_limit = rp_rate_table_new (config.source_table_size, config.session_packet_rate,
                                      config.session_packet_rate);
  s.upload_limit = rp_rate_table_new (config.source_table_size, config.upload_rate / 60.0,
                                      config.upload_burst);
  s.upload_invite_limit = rp_rate_table_new (config.source_table_size, config.upload_rate / 60.0,
                                             config.upload_burst);
  rp_bucket_init (&s.global, config.global_packet_rate, now);
  rp_bucket_init (&s.log_bucket, 10, now);
  rp_bucket_init (&s.foreign, RP_SERVE_FOREIGN_BURST, now);
  the_serve = &s;

  if ((s.cert = rp_dtls_cert_new (error)) == NULL || !rp_serve_page_load (&s, error)
      || !rp_serve_results_open (&s, error) || !resolve_turn (&s, error)
      || !start_lws (&s, error)) {
    rc = 2;
    goto out;
  }
  if ((config.udp.port != 0 || config.tcp.port != 0) &&
      (s.direct = rp_serve_direct_new (&s, error)) == NULL) {
    rc = 2;
    goto out;
  }
  sig_term = g_unix_signal_add (SIGTERM, on_signal, &s);
  sig_int = g_unix_signal_add (SIGINT, on_signal, &s);
  summary = g_timeout_add_seconds (SUMMARY_INTERVAL_S, on_summary, &s);
  g_message ("listening: websocket %s:%u%s (%s), udp %u, tcp %u; %u TURN servers; at most %u "
             "sessions of %" G_GINT64_FORMAT " s",
             *config.websocket.address != '\0' ? config.websocket.address : "*",
             config.websocket.port, config.path, config.tls_cert != NULL ? "wss" : "ws",
             s.direct != NULL ? rp_serve_direct_udp_port (s.direct) : 0,
             s.direct != NULL ? rp_serve_direct_tcp_port (s.direct) : 0, s.turn->len,
             config.max_sessions, config.session_lifetime_s);
  g_main_loop_run (s.loop);
  g_source_remove (sig_term);
  g_source_remove (sig_int);
  g_source_remove (summary);
  g_message ("stopped after %" G_GUINT64_FORMAT " sessions", s.sessions_total);
out:
  g_clear_pointer (&s.direct, rp_serve_direct_free);
  if (s.lws != NULL)
    lws_context_destroy (s.lws);
  the_serve = NULL;
  g_ptr_array_unref (s.turn);
  g_hash_table_unref (s.sessions);
  g_hash_table_unref (s.testers);
  rp_invite_ledger_free (s.invites);
  g_clear_pointer (&s.cert, rp_dtls_cert_free);
  rp_serve_page_clear (&s);
  g_clear_pointer (&s.results, rp_results_store_free);
  rp_share_table_free (s.token_share);
  rp_rate_table_free (s.upgrade_limit);
  rp_rate_table_free (s.packet_limit);
  rp_rate_table_free (s.upload_limit);
  rp_rate_table_free (s.upload_invite_limit);
  g_main_loop_unref (s.loop);
  rp_serve_config_clear (&config);
  return rc;
}
