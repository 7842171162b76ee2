/* The libwebsockets glue (see ws-client.h). lws joins the run's GMainContext
 * through its GLib event library: the context is created with
 * LWS_SERVER_OPTION_GLIB and a GMainLoop wrapping that context as its
 * foreign loop, so lws attaches its fd watches and timers there and the
 * runner, which iterates the context, services them. No thread, no polling.
 *
 * Each connection carries its RpWsConn as lws "opaque user data". When the
 * caller drops a connection that lws still holds, the wsi is re-pointed at
 * a sentinel so that later callbacks only close it. Terminal callbacks
 * (failed, closed) are delivered from an idle source, never from inside
 * lws_client_connect_via_info() or with lws state half torn down. */
#include "probe/net/ws-client.h"

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "common/quote.h"
#include "common/tls-client.h"

#define PING_PAYLOAD 8

struct _RpWsConn {
  struct lws *wsi;
  GMainContext *context;
  RpWsCallbacks cb;
  gpointer data;
  RpWsInfo info;
  char *host;
  char **headers;
  gsize max_message;
  GByteArray *rx;          /* the message being reassembled */
  gboolean rx_binary;
  GQueue tx;               /* of char*, text messages to send */
  gsize tx_bytes;          /* their total length */
  guint pings_wanted;
  guint64 ping_seq;
  GHashTable *pings;       /* seq -> sent time (monotonic us) */
  gboolean close_wanted;
  guint close_code;        /* the status our close frame carries */
  GSource *notify;         /* pending terminal callback */
  gboolean terminal;       /* failed/closed already decided */
};

/* Points a wsi whose RpWsConn is gone: its callbacks only close it. */
static int orphan_sentinel;

typedef struct {
  GMainContext *gctx;
  char *ca_file;
  GMainLoop *loop;
  struct lws_context *lws;
} LwsLoop;

static GPtrArray *lws_loops;   /* LwsLoop*, kept for the process */
static int ssl_times_index = -1;

typedef struct {
  gint64 start_us;
  gint64 done_us;
} SslTimes;

const char *
rp_ws_phase_to_string (RpWsPhase phase)
{
  static const char *const names[] = { "connect", "tls", "upgrade", "open", "closed" };

  return phase <= RP_WS_PHASE_CLOSED ? names[phase] : "unknown";
}

static void
log_to_debug (int level, const char *line)
{
  g_debug ("lws: %.*s", (int) strcspn (line, "\n"), line);
}

static void
ssl_times_free (void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
  g_free (ptr);
}

/* Timestamps the TLS handshake of every lws client connection. */
static void
ssl_info_cb (const SSL *ssl, int where, int ret)
{
  SslTimes *t;

  if (!(where & (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE)))
    return;
  t = SSL_get_ex_data (ssl, ssl_times_index);
  if (t == NULL) {
    t = g_new0 (SslTimes, 1);
    SSL_set_ex_data ((SSL *) ssl, ssl_times_index, t);
  }
  if ((where & SSL_CB_HANDSHAKE_START) && t->start_us == 0)
    t->start_us = g_get_monotonic_time ();
  if ((where & SSL_CB_HANDSHAKE_DONE) && t->done_us == 0)
    t->done_us = g_get_monotonic_time ();
}

static void
schedule_terminal (RpWsConn *conn, gboolean failed);

static void
record_headers (RpWsConn *conn)
{
  static const struct { enum lws_token_indexes tok; gsize offset; } rows[] = {
    { WSI_TOKEN_HTTP_SERVER, G_STRUCT_OFFSET (RpWsInfo, server) },
    { WSI_TOKEN_HTTP_CONTENT_TYPE, G_STRUCT_OFFSET (RpWsInfo, content_type) },
    { WSI_TOKEN_HTTP_LOCATION, G_STRUCT_OFFSET (RpWsInfo, location) },
    { WSI_TOKEN_UPGRADE, G_STRUCT_OFFSET (RpWsInfo, upgrade) },
    { WSI_TOKEN_CONNECTION, G_STRUCT_OFFSET (RpWsInfo, connection) },
    { WSI_TOKEN_PROTOCOL, G_STRUCT_OFFSET (RpWsInfo, subprotocol) },
    { WSI_TOKEN_EXTENSIONS, G_STRUCT_OFFSET (RpWsInfo, extensions) },
  };
  char buf[256];
  int status = lws_http_client_http_response (conn->wsi);

  if (status > 0 && conn->info.http_status == 0)
    conn->info.http_status = status;
  if (conn->info.http_status == 0 && lws_hdr_copy (conn->wsi, buf, sizeof buf, WSI_TOKEN_HTTP) > 0)
    conn->info.http_status = (guint) g_ascii_strtoull (buf, NULL, 10);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    char **field = G_STRUCT_MEMBER_P (&conn->info, rows[i].offset);
    if (*field == NULL && lws_hdr_copy (conn->wsi, buf, sizeof buf, rows[i].tok) > 0)
      *field = g_strdup (buf);
  }
}

static void
record_tls (RpWsConn *conn)
{
  SSL *ssl = lws_get_ssl (conn->wsi);
  SslTimes *t;

  if (ssl == NULL)
    return;
  t = SSL_get_ex_data (ssl, ssl_times_index);
  if (t != NULL && t->start_us != 0 && conn->info.connect_us == 0)
    conn->info.connect_us = t->start_us - conn->info.start_us;
  if (t != NULL && t->done_us != 0) {
    conn->info.tls_us = t->done_us - t->start_us;
    conn->info.tls_handshake_done = TRUE;
  }
  if (conn->info.tls_version == NULL && SSL_is_init_finished (ssl)) {
    conn->info.tls_version = g_strdup (SSL_get_version (ssl));
    conn->info.tls_cipher = g_strdup (SSL_get_cipher_name (ssl));
    conn->info.tls_handshake_done = TRUE;
  }
}

/* Verification as OpenSSL would have done it without --insecure's
 * allowances: the chain against the context's trust store and the name. */
static void
verify_peer (RpWsConn *conn)
{
  SSL *ssl = lws_get_ssl (conn->wsi);
  X509 *leaf;
  X509_STORE_CTX *xs;
  X509_VERIFY_PARAM *param;
  char buf[256];

  if (ssl == NULL || (leaf = SSL_get1_peer_certificate (ssl)) == NULL)
    return;
  if (X509_NAME_oneline (X509_get_subject_name (leaf), buf, sizeof buf) != NULL)
    conn->info.cert_subject = g_strdup (buf);
  if (X509_NAME_oneline (X509_get_issuer_name (leaf), buf, sizeof buf) != NULL)
    conn->info.cert_issuer = g_strdup (buf);
  {
    struct tm tm;
    if (ASN1_TIME_to_tm (X509_get0_notAfter (leaf), &tm) == 1) {
      g_autoptr (GDateTime) dt = g_date_time_new_utc (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                                      tm.tm_hour, tm.tm_min, tm.tm_sec);
      if (dt != NULL)
        conn->info.cert_not_after = g_date_time_to_unix (dt);
    }
  }
  xs = X509_STORE_CTX_new ();
  if (xs != NULL && X509_STORE_CTX_init (xs, SSL_CTX_get_cert_store (SSL_get_SSL_CTX (ssl)), leaf,
                                         SSL_get_peer_cert_chain (ssl)) == 1) {
    param = X509_STORE_CTX_get0_param (xs);
    X509_VERIFY_PARAM_set_purpose (param, X509_PURPOSE_SSL_SERVER);
    if (!X509_VERIFY_PARAM_set1_ip_asc (param, conn->host))
      X509_VERIFY_PARAM_set1_host (param, conn->host, 0);
    if (X509_verify_cert (xs) == 1)
      conn->info.tls_verify_result = X509_V_OK;
    else
      conn->info.tls_verify_result = X509_STORE_CTX_get_error (xs);
    conn->info.tls_verified = conn->info.tls_verify_result == X509_V_OK;
  }
  X509_STORE_CTX_free (xs);
  X509_free (leaf);
}

/* Messages are handed over NUL-terminated (the NUL is not counted). The
 * callback may free the connection: the buffer is taken out first. */
static void
deliver_message (RpWsConn *conn)
{
  g_autoptr (GByteArray) msg = conn->rx;
  guint8 nul = 0;

  conn->rx = g_byte_array_new ();
  g_byte_array_append (msg, &nul, 1);
  if (conn->cb.message != NULL)
    conn->cb.message (conn, (const char *) msg->data, msg->len - 1, conn->rx_binary, conn->data);
}

static int
on_writeable (struct lws *wsi, RpWsConn *conn)
{
  guint8 buf[LWS_PRE + 1024];

  if (conn->close_wanted) {
    lws_close_reason (wsi, conn->close_code != 0 ? conn->close_code : LWS_CLOSE_STATUS_NORMAL, NULL,
                      0);
    return -1;
  }
  if (conn->pings_wanted > 0) {
    guint64 seq = ++conn->ping_seq;
    memcpy (buf + LWS_PRE, &seq, PING_PAYLOAD);
    g_hash_table_insert (conn->pings, g_memdup2 (&seq, sizeof seq),
                         g_memdup2 (&(gint64) { g_get_monotonic_time () }, sizeof (gint64)));
    conn->pings_wanted--;
    if (lws_write (wsi, buf + LWS_PRE, PING_PAYLOAD, LWS_WRITE_PING) < PING_PAYLOAD)
      return -1;
  } else if (!g_queue_is_empty (&conn->tx)) {
    g_autofree char *text = g_queue_pop_head (&conn->tx);
    gsize len = strlen (text);
    g_autofree guint8 *out = g_malloc (LWS_PRE + len + 1);
    conn->tx_bytes -= len;
    memcpy (out + LWS_PRE, text, len);
    if (lws_write (wsi, out + LWS_PRE, len, LWS_WRITE_TEXT) < (int) len)
      return -1;
  }
  if (conn->pings_wanted > 0 || !g_queue_is_empty (&conn->tx))
    lws_callback_on_writable (wsi);
  return 0;
}

static int
ws_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  RpWsConn *conn = wsi != NULL ? lws_get_opaque_user_data (wsi) : NULL;

  if (reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS && user != NULL) {
    const LwsLoop *l = wsi != NULL ? lws_context_user (lws_get_context (wsi)) : NULL;
    SSL_CTX_set_info_callback (user, ssl_info_cb);
    /* lws's own OS store is off (lws_context_for): without --ca-file, the
     * system store, shared and read lazily like the STUN/TURN clients'. */
    if (l != NULL && l->ca_file == NULL && !rp_tls_load_system_store (user))
      g_debug ("no system trust store for websockets");
    return 0;
  }
  if (conn == (RpWsConn *) &orphan_sentinel) {
    if (reason == LWS_CALLBACK_CLIENT_WRITEABLE) {
      lws_close_reason (wsi, LWS_CLOSE_STATUS_GOINGAWAY, NULL, 0);
      return -1;
    }
    if (reason == LWS_CALLBACK_CLIENT_RECEIVE || reason == LWS_CALLBACK_CLIENT_ESTABLISHED)
      return -1;
    return 0;
  }
  if (conn == NULL)
    return 0;
  if (conn->wsi == NULL && !conn->terminal)
    conn->wsi = wsi;   /* callbacks may come before connect_via_info returns */

  switch (reason) {
  case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
    /* Called when OpenSSL's verdict stands: keep the first problem. */
    if (len == 0 && conn->info.tls_verify_result == X509_V_OK)
      conn->info.tls_verify_result = X509_STORE_CTX_get_error (user);
    conn->info.phase = RP_WS_PHASE_TLS;
    return 0;
  case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
    char **p = in;
    char *end = *p + len;
    record_tls (conn);
    if (conn->info.connect_us == 0)
      conn->info.connect_us = g_get_monotonic_time () - conn->info.start_us;
    conn->info.phase = RP_WS_PHASE_UPGRADE;
    for (guint i = 0; conn->headers != NULL && conn->headers[i] != NULL; i++) {
      gsize n = strlen (conn->headers[i]);
      if (*p + n + 3 >= end)
        return -1;
      memcpy (*p, conn->headers[i], n);
      memcpy (*p + n, "\r\n", 2);
      *p += n + 2;
    }
    return 0;
  }
  case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
    record_headers (conn);
    return 0;
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    conn->info.upgrade_us = g_get_monotonic_time () - conn->info.start_us;
    conn->info.phase = RP_WS_PHASE_OPEN;
    /* lws refuses the upgrade unless Sec-WebSocket-Accept is the base64 SHA-1
     * of our key and the RFC 6455 GUID (4.1, step 4), so reaching here proves it. */
    conn->info.accept_verified = TRUE;
    if (conn->info.http_status == 0)
      conn->info.http_status = 101;
    record_tls (conn);
    verify_peer (conn);
    if (conn->cb.established != NULL)
      conn->cb.established (conn, conn->data);
    return 0;
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    if (conn->info.upgrade_us == 0 && conn->info.phase == RP_WS_PHASE_UPGRADE)
      conn->info.upgrade_us = g_get_monotonic_time () - conn->info.start_us;
    record_tls (conn);
    if (conn->info.phase == RP_WS_PHASE_UPGRADE) {
      record_headers (conn);
      if (conn->info.tls_handshake_done)
        verify_peer (conn);
    }
    if (conn->info.phase == RP_WS_PHASE_CONNECT && lws_get_ssl (wsi) != NULL)
      conn->info.phase = RP_WS_PHASE_TLS;
    if (conn->info.error == NULL)
      conn->info.error = in != NULL ? g_strndup (in, len) : g_strdup ("connection failed");
    g_strchomp (conn->info.error);
    conn->wsi = NULL;
    lws_set_opaque_user_data (wsi, NULL);
    schedule_terminal (conn, TRUE);
    return 0;
  case LWS_CALLBACK_CLIENT_WRITEABLE:
    return on_writeable (wsi, conn);
  case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
    if (len == PING_PAYLOAD) {
      guint64 seq;
      gint64 *sent;
      memcpy (&seq, in, sizeof seq);
      sent = g_hash_table_lookup (conn->pings, &seq);
      if (sent != NULL) {
        gint64 rtt = g_get_monotonic_time () - *sent;
        g_hash_table_remove (conn->pings, &seq);
        if (conn->cb.pong != NULL)
          conn->cb.pong (conn, rtt, conn->data);
      }
    }
    return 0;
  case LWS_CALLBACK_CLIENT_RECEIVE:
    if (lws_is_first_fragment (wsi))
      conn->rx_binary = lws_frame_is_binary (wsi);
    if (conn->info.too_big || conn->info.outpaced)
      return 0;
    if (conn->rx->len + len > conn->max_message) {
      /* RFC 6455 7.4.1: 1009, message too big to process. Returning -1
       * here while a huge frame is still arriving crashed lws 4.1.6 (a
       * 2^40-byte frame header): close from the writeable callback. */
      conn->info.too_big = TRUE;
      conn->close_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
      conn->close_wanted = TRUE;
      g_byte_array_set_size (conn->rx, 0);
      lws_rx_flow_control (wsi, 0);
      lws_callback_on_writable (wsi);
      return 0;
    }
    g_byte_array_append (conn->rx, in, len);
    if (lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0)
      deliver_message (conn);
    return 0;
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    /* RFC 6455 5.5.1: the body, if any, starts with a 2-byte status code. */
    conn->info.close_frame = TRUE;
    conn->info.closed_us = g_get_monotonic_time ();
    if (len >= 2) {
      const guint8 *b = in;
      conn->info.close_code = (b[0] << 8) | b[1];
      if (len > 2)
        conn->info.close_reason = g_utf8_make_valid ((const char *) b + 2, MIN (len - 2, 123));
    }
    return 0;
  case LWS_CALLBACK_CLIENT_CLOSED:
  case LWS_CALLBACK_WSI_DESTROY:
    if (conn->info.closed_us == 0)
      conn->info.closed_us = g_get_monotonic_time ();
    conn->wsi = NULL;
    lws_set_opaque_user_data (wsi, NULL);
    schedule_terminal (conn, conn->info.phase != RP_WS_PHASE_OPEN);
    return 0;
  default:
    return 0;
  }
}

static const struct lws_protocols protocols[] = {
  { "rtcprobe", ws_callback, 0, 4096, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static struct lws_context *
lws_context_for (GMainContext *gctx, const char *ca_file, GError **error)
{
  struct lws_context_creation_info ci;
  LwsLoop *l;
  void *foreign[1];

  if (lws_loops == NULL) {
    lws_loops = g_ptr_array_new ();
    lws_set_log_level (LLL_ERR | LLL_WARN, log_to_debug);
    ssl_times_index = SSL_get_ex_new_index (0, NULL, NULL, NULL, ssl_times_free);
  }
  for (guint i = 0; i < lws_loops->len; i++) {
    l = g_ptr_array_index (lws_loops, i);
    if (l->gctx == gctx && g_strcmp0 (l->ca_file, ca_file) == 0)
      return l->lws;
  }
  l = g_new0 (LwsLoop, 1);
  l->gctx = g_main_context_ref (gctx);
  l->ca_file = g_strdup (ca_file);
  /* The GLib event library attaches to g_main_loop_get_context() of the
   * foreign loop; the loop itself is never run: the runner iterates the
   * context. */
  l->loop = g_main_loop_new (gctx, FALSE);
  foreign[0] = l->loop;
  memset (&ci, 0, sizeof ci);
  ci.port = CONTEXT_PORT_NO_LISTEN;
  ci.protocols = protocols;
  /* lws would decode the whole OS bundle for its context (tens of ms on
   * the loop every check shares) and trust it beside --ca-file: off. With
   * --ca-file only that file is trusted, as for curl and STUN/TURN; without
   * it, the system store comes in at LOAD_EXTRA_CLIENT_VERIFY_CERTS. */
  ci.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_GLIB |
               LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
  ci.foreign_loops = foreign;
  ci.user = l;
  ci.client_ssl_ca_filepath = l->ca_file;
  /* The checks' deadlines bound every phase and say which one stalled;
   * lws's own handshake timeouts would only blur that. */
  ci.timeout_secs = 3600;
  ci.gid = (gid_t) -1;
  ci.uid = (uid_t) -1;
  l->lws = lws_create_context (&ci);
  if (l->lws == NULL) {
    g_autofree char *shown = ca_file != NULL ? rp_quote_path (ca_file) : NULL;
    g_set_error (
      error, G_IO_ERROR, G_IO_ERROR_FAILED,
      "libwebsockets could not start on the GLib loop (is libwebsockets-evlib-glib installed?%s%s)",
      ca_file != NULL ? " or is --ca-file unreadable: " : "", ca_file != NULL ? shown : "");
    g_main_loop_unref (l->loop);
    g_main_context_unref (l->gctx);
    g_free (l->ca_file);
    g_free (l);
    return NULL;
  }
  g_ptr_array_add (lws_loops, l);
  return l->lws;
}

static gboolean
notify_terminal (gpointer data)
{
  RpWsConn *conn = data;
  gboolean failed = conn->info.phase != RP_WS_PHASE_OPEN;

  g_clear_pointer (&conn->notify, g_source_unref);
  conn->info.phase = failed ? conn->info.phase : RP_WS_PHASE_CLOSED;
  if (failed && conn->cb.failed != NULL)
    conn->cb.failed (conn, conn->data);
  else if (!failed && conn->cb.closed != NULL)
    conn->cb.closed (conn, conn->data);
  return G_SOURCE_REMOVE;
}

static void
schedule_terminal (RpWsConn *conn, gboolean failed)
{
  if (conn->terminal)
    return;
  conn->terminal = TRUE;
  if (failed && conn->info.phase == RP_WS_PHASE_OPEN)
    conn->info.phase = RP_WS_PHASE_CLOSED;
  conn->notify = g_idle_source_new ();
  g_source_set_callback (conn->notify, notify_terminal, conn, NULL);
  g_source_attach (conn->notify, conn->context);
}

RpWsConn *
rp_ws_conn_new (GMainContext *context, const RpWsConnOptions *o, const RpWsCallbacks *callbacks,
                gpointer data, GError **error)
{
  struct lws_context *lws = lws_context_for (context, o->ca_file, error);
  struct lws_client_connect_info ci;
  g_autofree char *host_header = NULL;
  RpWsConn *conn;
  struct lws *wsi;

  if (lws == NULL)
    return NULL;
  conn = g_new0 (RpWsConn, 1);
  conn->context = g_main_context_ref (context);
  conn->cb = *callbacks;
  conn->data = data;
  conn->host = g_strdup (o->host);
  conn->headers = g_strdupv (o->headers);
  conn->max_message = o->max_message > 0 ? o->max_message : 64 * 1024;
  conn->rx = g_byte_array_new ();
  conn->pings = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_queue_init (&conn->tx);
  conn->info.tls_verify_result = X509_V_OK;

  /* RFC 6455 4.1: Host carries the port when it is not the scheme's default. */
  if (strchr (o->host, ':') != NULL)
    host_header = (o->port == (o->tls ? 443 : 80)) ? g_strdup_printf ("[%s]", o->host)
                                                   : g_strdup_printf ("[%s]:%u", o->host, o->port);
  else
    host_header = (o->port == (o->tls ? 443 : 80)) ? g_strdup (o->host)
                                                   : g_strdup_printf ("%s:%u", o->host, o->port);

  memset (&ci, 0, sizeof ci);
  ci.context = lws;
  ci.address = o->address;
  ci.port = o->port;
  ci.path = o->path;
  ci.host = host_header;
  ci.origin = o->origin;
  ci.protocol = NULL;
  ci.local_protocol_name = protocols[0].name;
  ci.alpn = "http/1.1";
  ci.opaque_user_data = conn;
  if (o->tls) {
    ci.ssl_connection = LCCSCF_USE_SSL;
    if (o->insecure)
      ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                           LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
  }
  conn->info.phase = RP_WS_PHASE_CONNECT;
  conn->info.start_us = g_get_monotonic_time ();
  wsi = lws_client_connect_via_info (&ci);
  if (wsi == NULL) {
    /* lws may already have reported the reason through the callback. */
    if (!conn->terminal) {
      conn->info.error = g_strdup ("libwebsockets refused to start the connection");
      schedule_terminal (conn, TRUE);
    }
    return conn;
  }
  if (!conn->terminal)
    conn->wsi = wsi;
  return conn;
}

/* The peer makes us send faster than the connection drains: stop reading,
 * and close with 1008 (RFC 6455 7.4.1, a message that violates policy)
 * instead of queueing without end. */
static void
overflow (RpWsConn *conn)
{
  if (conn->info.outpaced)
    return;
  conn->info.outpaced = TRUE;
  conn->info.tx_queued = g_queue_get_length (&conn->tx);
  conn->info.tx_queued_bytes = conn->tx_bytes;
  g_queue_clear_full (&conn->tx, g_free);
  conn->tx_bytes = 0;
  conn->close_code = LWS_CLOSE_STATUS_POLICY_VIOLATION;
  conn->close_wanted = TRUE;
  lws_rx_flow_control (conn->wsi, 0);
  lws_callback_on_writable (conn->wsi);
}

gboolean
rp_ws_conn_send_text (RpWsConn *conn, const char *text)
{
  gsize len = strlen (text);

  if (conn->wsi == NULL || conn->info.phase != RP_WS_PHASE_OPEN || conn->close_wanted)
    return FALSE;
  if (g_queue_get_length (&conn->tx) >= RP_WS_TX_MAX_MESSAGES
      || conn->tx_bytes + len > RP_WS_TX_MAX_BYTES) {
    overflow (conn);
    return FALSE;
  }
  g_queue_push_tail (&conn->tx, g_strdup (text));
  conn->tx_bytes += len;
  lws_callback_on_writable (conn->wsi);
  return TRUE;
}

gboolean
rp_ws_conn_ping (RpWsConn *conn)
{
  if (conn->wsi == NULL || conn->info.phase != RP_WS_PHASE_OPEN)
    return FALSE;
  conn->pings_wanted++;
  lws_callback_on_writable (conn->wsi);
  return TRUE;
}

const RpWsInfo *
rp_ws_conn_get_info (RpWsConn *conn)
{
  gboolean connecting = conn->wsi != NULL && conn->info.phase == RP_WS_PHASE_CONNECT;
  SSL *ssl = connecting ? lws_get_ssl (conn->wsi) : NULL;
  SslTimes *t = ssl != NULL ? SSL_get_ex_data (ssl, ssl_times_index) : NULL;

  /* A server that accepts TCP and never answers the ClientHello leaves the
   * phase at connect (lws says nothing until the handshake ends): the
   * handshake's recorded start says TCP was done. */
  if (t != NULL && t->start_us != 0) {
    conn->info.phase = RP_WS_PHASE_TLS;
    if (conn->info.connect_us == 0)
      conn->info.connect_us = t->start_us - conn->info.start_us;
  }
  return &conn->info;
}

static void
info_clear (RpWsInfo *i)
{
  g_free (i->server);
  g_free (i->content_type);
  g_free (i->location);
  g_free (i->upgrade);
  g_free (i->connection);
  g_free (i->subprotocol);
  g_free (i->extensions);
  g_free (i->error);
  g_free (i->tls_version);
  g_free (i->tls_cipher);
  g_free (i->cert_subject);
  g_free (i->cert_issuer);
  g_free (i->close_reason);
}

void
rp_ws_conn_free (RpWsConn *conn)
{
  if (conn == NULL)
    return;
  if (conn->wsi != NULL) {
    struct lws *wsi = conn->wsi;
    lws_set_opaque_user_data (wsi, &orphan_sentinel);
    /* Read nothing more: a peer that floods control frames (which lws
     * answers itself, without a callback) would keep the fd busy. */
    lws_rx_flow_control (wsi, 0);
    if (conn->info.phase == RP_WS_PHASE_OPEN) {
      /* RFC 6455 7.1.2: start the closing handshake; lws drops the TCP
       * connection if the server does not answer in time. */
      lws_callback_on_writable (wsi);
      lws_set_timeout (wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
    } else {
      lws_set_timeout (wsi, PENDING_TIMEOUT_CLOSE_ACK, LWS_TO_KILL_ASYNC);
    }
  }
  if (conn->notify != NULL) {
    g_source_destroy (conn->notify);
    g_source_unref (conn->notify);
  }
  g_queue_clear_full (&conn->tx, g_free);
  g_hash_table_unref (conn->pings);
  g_byte_array_unref (conn->rx);
  g_strfreev (conn->headers);
  g_free (conn->host);
  info_clear (&conn->info);
  g_main_context_unref (conn->context);
  g_free (conn);
}
