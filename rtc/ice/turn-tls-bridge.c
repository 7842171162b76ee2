/* The TURN-over-TLS bridge (see turn-tls-bridge.h for why it exists).
 *
 * Every connection libnice opens to the listener gets its own upstream TCP
 * connection and TLS session (RFC 8656 3.1: one allocation per TLS
 * connection, so connections are never shared). Bytes are copied both ways
 * unchanged: libnice already frames STUN and ChannelData for TCP (RFC 8656
 * 11.5), TLS only wraps the stream. One GSource per connection watches both
 * sockets; each dispatch runs one "pump" that tries every direction
 * non-blockingly and then sets which conditions to wait for, so progress
 * never depends on which socket woke us. Each direction holds at most
 * BUF_SIZE bytes: a full buffer stops reading on the other side
 * (backpressure instead of growth). Either side closing closes both. */
#define _GNU_SOURCE   /* accept4 */
#include "rtc/ice/turn-tls-bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/tls-client.h"

#define BUF_SIZE 16384   /* one TLS record */

typedef enum { CONN_CONNECTING, CONN_HANDSHAKE, CONN_OPEN } ConnState;

typedef struct _Conn Conn;

typedef struct {
  GSource base;
  Conn *conn;
} ConnSource;

struct _Conn {
  RpTurnTlsBridge *bridge;
  ConnSource *source;
  gpointer down_tag, up_tag;
  int down, up;                 /* libnice side, server side */
  SSL *ssl;
  ConnState state;
  gboolean ssl_wants_write;
  gboolean down_eof, up_eof;
  guint8 d2u[BUF_SIZE];         /* from libnice, to go over TLS */
  gsize d2u_len;
  guint8 u2d[BUF_SIZE];         /* from TLS, to libnice */
  gsize u2d_len;
  gint64 start_us, tls_start_us;
};

struct _RpTurnTlsBridge {
  GMainContext *context;
  SSL_CTX *tls_ctx;
  char *host;
  gboolean insecure;
  struct sockaddr_storage server;
  socklen_t server_len;
  int listen_fd;
  guint16 port;
  GSource *listen_source;
  GList *conns;                 /* Conn* */
  RpTurnTlsBridgeInfo info;
  RpTurnTlsBridgeFailFunc fail_func;
  gpointer fail_data;
  GSource *fail_idle;
};

static void pump (Conn *c);

static gboolean
call_fail (gpointer data)
{
  RpTurnTlsBridge *b = data;

  g_clear_pointer (&b->fail_idle, g_source_unref);
  if (b->fail_func != NULL)
    b->fail_func (b, b->fail_data);   /* may free b */
  return G_SOURCE_REMOVE;
}

/* ---- connection lifecycle ---- */

static void
conn_close (Conn *c)
{
  RpTurnTlsBridge *b = c->bridge;

  b->conns = g_list_remove (b->conns, c);
  if (c->source != NULL) {
    g_source_destroy ((GSource *) c->source);
    g_source_unref ((GSource *) c->source);
  }
  if (c->ssl != NULL) {
    if (c->state == CONN_OPEN && !c->up_eof)
      SSL_shutdown (c->ssl);   /* best effort close_notify; no waiting */
    SSL_free (c->ssl);
  }
  if (c->up >= 0)
    close (c->up);
  if (c->down >= 0)
    close (c->down);
  ERR_clear_error ();
  g_free (c);
}

/* The upstream failed: remember the first reason; libnice sees its TCP
 * connection close and gives up on that relay. */
static void
conn_fail (Conn *c, const char *reason, gboolean untrusted)
{
  RpTurnTlsBridgeInfo *info = &c->bridge->info;

  info->failures++;
  if (info->failure == NULL) {
    info->failure = g_strdup (reason);
    info->failure_untrusted = untrusted;
    /* From the loop: the owner may free the bridge in its callback. */
    c->bridge->fail_idle = g_idle_source_new ();
    g_source_set_priority (c->bridge->fail_idle, G_PRIORITY_DEFAULT);
    g_source_set_callback (c->bridge->fail_idle, call_fail, c->bridge, NULL);
    g_source_attach (c->bridge->fail_idle, c->bridge->context);
  }
  conn_close (c);
}

static void
conn_fail_errno (Conn *c, const char *what, int err)
{
  g_autofree char *reason = g_strdup_printf ("%s: %s", what, g_strerror (err));
  conn_fail (c, reason, FALSE);
}

static gboolean
conn_dispatch (GSource *source, GSourceFunc cb, gpointer data)
{
  pump (((ConnSource *) source)->conn);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs conn_funcs = { NULL, NULL, conn_dispatch, NULL, NULL, NULL };

static void
update_watch (Conn *c)
{
  GIOCondition down = G_IO_ERR | G_IO_HUP, up = G_IO_ERR | G_IO_HUP;

  if (!c->down_eof && c->d2u_len < BUF_SIZE)
    down |= G_IO_IN;
  if (c->u2d_len > 0)
    down |= G_IO_OUT;
  switch (c->state) {
  case CONN_CONNECTING:
    up |= G_IO_OUT;
    break;
  case CONN_HANDSHAKE:
    up |= c->ssl_wants_write ? G_IO_OUT : G_IO_IN;
    break;
  case CONN_OPEN:
    if (c->u2d_len < BUF_SIZE)
      up |= G_IO_IN;
    if (c->ssl_wants_write || c->d2u_len > 0)
      up |= G_IO_OUT;
    break;
  }
  /* A side that already ended would report HUP forever: stop watching it. */
  if (c->up_eof)
    up = 0;
  if (c->down_eof)
    down = c->u2d_len > 0 ? G_IO_OUT : 0;
  g_source_modify_unix_fd ((GSource *) c->source, c->down_tag, down);
  g_source_modify_unix_fd ((GSource *) c->source, c->up_tag, up);
}

/* ---- the TLS side ---- */

static void
record_handshake (Conn *c)
{
  RpTurnTlsBridgeInfo *info = &c->bridge->info;
  X509 *cert = SSL_get1_peer_certificate (c->ssl);
  long verify =
    cert != NULL ? SSL_get_verify_result (c->ssl) : X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT;

  if (cert != NULL)
    X509_free (cert);
  if (info->handshakes++ == 0) {
    info->tls_us = g_get_monotonic_time () - c->tls_start_us;
    info->tls_version = g_strdup (SSL_get_version (c->ssl));
    info->tls_verify_result = verify;
    info->tls_verified = verify == X509_V_OK;
  }
}

/* FALSE when the connection is gone. */
static gboolean
do_handshake (Conn *c)
{
  int r = SSL_connect (c->ssl);
  long verify;

  if (r == 1) {
    record_handshake (c);
    verify = SSL_get_verify_result (c->ssl);
    if (verify != X509_V_OK && !c->bridge->insecure) {
      g_autofree char *why = rp_tls_verify_reason (verify, c->bridge->host);
      conn_fail (c, why, TRUE);
      return FALSE;
    }
    c->state = CONN_OPEN;
    c->ssl_wants_write = FALSE;
    return TRUE;
  }
  switch (SSL_get_error (c->ssl, r)) {
  case SSL_ERROR_WANT_READ:
    c->ssl_wants_write = FALSE;
    return TRUE;
  case SSL_ERROR_WANT_WRITE:
    c->ssl_wants_write = TRUE;
    return TRUE;
  case SSL_ERROR_SYSCALL:
    if (errno != 0) {
      conn_fail_errno (c, "TLS handshake", errno);
      return FALSE;
    }
    conn_fail (c,
               "TLS handshake failed: the server closed the connection (is this port really TLS?)",
               FALSE);
    return FALSE;
  default: {
    g_autofree char *why = rp_tls_last_error ();
    g_autofree char *msg =
      g_strdup_printf ("TLS handshake failed: %s (is this port really TLS?)", why);
    conn_fail (c, msg, FALSE);
    return FALSE;
  }
  }
}

/* Moves bytes over TLS both ways; FALSE when the connection is gone. */
static gboolean
tls_io (Conn *c)
{
  c->ssl_wants_write = FALSE;
  while (c->d2u_len > 0) {
    int r = SSL_write (c->ssl, c->d2u, (int) c->d2u_len);
    if (r > 0) {
      c->bridge->info.bytes_up += r;
      memmove (c->d2u, c->d2u + r, c->d2u_len - r);
      c->d2u_len -= r;
      continue;
    }
    int e = SSL_get_error (c->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE) {
      c->ssl_wants_write = TRUE;
      break;
    }
    if (e == SSL_ERROR_WANT_READ)
      break;
    c->up_eof = TRUE;
    c->d2u_len = 0;
    break;
  }
  while (!c->up_eof && c->u2d_len < BUF_SIZE) {
    int r = SSL_read (c->ssl, c->u2d + c->u2d_len, (int) (BUF_SIZE - c->u2d_len));
    if (r > 0) {
      c->bridge->info.bytes_down += r;
      c->u2d_len += r;
      continue;
    }
    int e = SSL_get_error (c->ssl, r);
    if (e == SSL_ERROR_WANT_READ)
      break;
    if (e == SSL_ERROR_WANT_WRITE) {
      c->ssl_wants_write = TRUE;
      break;
    }
    /* ZERO_RETURN (close_notify), SYSCALL (reset/EOF) or a protocol error:
     * the server side is gone; what was read still goes to libnice. */
    c->up_eof = TRUE;
  }
  ERR_clear_error ();
  return TRUE;
}

/* ---- the pump ---- */

static void
pump (Conn *c)
{
  if (c->state == CONN_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;

    if (getsockopt (c->up, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
      err = errno;
    if (err != 0) {
      conn_fail_errno (c, "TCP connect to the TURN server", err);
      return;
    }
    if (getpeername (c->up, (struct sockaddr *) &peer, &plen) == 0) {
      g_autoptr (GError) error = NULL;
      if (c->bridge->info.connect_us == 0)
        c->bridge->info.connect_us = g_get_monotonic_time () - c->start_us;
      c->ssl = rp_tls_client_new (c->bridge->tls_ctx, c->up, c->bridge->host, &error);
      if (c->ssl == NULL) {
        conn_fail (c, error->message, FALSE);
        return;
      }
      SSL_set_mode (c->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
      c->state = CONN_HANDSHAKE;
      c->tls_start_us = g_get_monotonic_time ();
    }
  }
  if (c->state == CONN_HANDSHAKE && !do_handshake (c))
    return;

  /* libnice -> bridge */
  while (!c->down_eof && c->d2u_len < BUF_SIZE) {
    ssize_t n = recv (c->down, c->d2u + c->d2u_len, BUF_SIZE - c->d2u_len, 0);
    if (n > 0) {
      c->d2u_len += n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      break;
    c->down_eof = TRUE;   /* libnice closed (or reset) its end */
  }
  if (c->state == CONN_OPEN)
    tls_io (c);
  /* bridge -> libnice */
  while (c->u2d_len > 0) {
    ssize_t n = send (c->down, c->u2d, c->u2d_len, MSG_NOSIGNAL);
    if (n > 0) {
      memmove (c->u2d, c->u2d + n, c->u2d_len - n);
      c->u2d_len -= n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      break;
    c->down_eof = TRUE;
    c->u2d_len = 0;
  }
  /* Teardown: libnice is done and everything it sent went out, or the
   * server is gone and everything it sent reached libnice. */
  if ((c->down_eof && (c->state != CONN_OPEN || c->d2u_len == 0)) ||
      (c->up_eof && c->u2d_len == 0)) {
    conn_close (c);
    return;
  }
  update_watch (c);
}

static void
conn_start (RpTurnTlsBridge *b, int down)
{
  Conn *c = g_new0 (Conn, 1);
  int r;

  c->bridge = b;
  c->down = down;
  c->start_us = g_get_monotonic_time ();
  b->conns = g_list_prepend (b->conns, c);
  c->up = socket (b->server.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (c->up < 0) {
    conn_fail_errno (c, "socket", errno);
    return;
  }
  {
    int one = 1;
    /* STUN and ChannelData are small: do not hold them back (Nagle). */
    setsockopt (c->up, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    setsockopt (c->down, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
  }
  r = connect (c->up, (struct sockaddr *) &b->server, b->server_len);
  if (r != 0 && errno != EINPROGRESS) {
    conn_fail_errno (c, "TCP connect to the TURN server", errno);
    return;
  }
  c->state = CONN_CONNECTING;
  c->source = (ConnSource *) g_source_new (&conn_funcs, sizeof (ConnSource));
  c->source->conn = c;
  c->down_tag = g_source_add_unix_fd ((GSource *) c->source, c->down, G_IO_IN);
  c->up_tag = g_source_add_unix_fd ((GSource *) c->source, c->up, G_IO_OUT);
  g_source_attach ((GSource *) c->source, b->context);
  update_watch (c);
}

static gboolean
on_accept (int fd, GIOCondition cond, gpointer data)
{
  RpTurnTlsBridge *b = data;

  for (;;) {
    int down = accept4 (fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (down < 0)
      break;
    b->info.accepted++;
    conn_start (b, down);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- public ---- */

RpTurnTlsBridge *
rp_turn_tls_bridge_new (GMainContext *context, GInetSocketAddress *server, const char *host,
                        SSL_CTX *tls_ctx, gboolean insecure, GError **error)
{
  g_autoptr (RpTurnTlsBridge) b = g_new0 (RpTurnTlsBridge, 1);
  struct sockaddr_in lo = { .sin_family = AF_INET,
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
                            .sin_port = 0 };
  socklen_t len = sizeof lo;

  b->listen_fd = -1;
  b->context = g_main_context_ref (context);
  b->host = g_strdup (host);
  b->insecure = insecure;
  SSL_CTX_up_ref (tls_ctx);
  b->tls_ctx = tls_ctx;
  b->info.tls_verify_result = X509_V_OK;
  if (!g_socket_address_to_native (G_SOCKET_ADDRESS (server), &b->server, sizeof b->server, error))
    return NULL;
  b->server_len = g_socket_address_get_native_size (G_SOCKET_ADDRESS (server));
  /* Loopback only, ephemeral port: nothing outside this host can use it. */
  b->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (b->listen_fd < 0 || bind (b->listen_fd, (struct sockaddr *) &lo, sizeof lo) != 0 ||
      listen (b->listen_fd, 16) != 0 ||
      getsockname (b->listen_fd, (struct sockaddr *) &lo, &len) != 0) {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                 "TLS bridge: cannot listen on 127.0.0.1: %s", g_strerror (err));
    return NULL;
  }
  b->port = ntohs (lo.sin_port);
  b->listen_source = g_unix_fd_source_new (b->listen_fd, G_IO_IN);
  g_source_set_callback (b->listen_source, G_SOURCE_FUNC (on_accept), b, NULL);
  g_source_attach (b->listen_source, context);
  return g_steal_pointer (&b);
}

void
rp_turn_tls_bridge_free (RpTurnTlsBridge *b)
{
  if (b == NULL)
    return;
  while (b->conns != NULL)
    conn_close (b->conns->data);
  if (b->fail_idle != NULL) {
    g_source_destroy (b->fail_idle);
    g_source_unref (b->fail_idle);
  }
  if (b->listen_source != NULL) {
    g_source_destroy (b->listen_source);
    g_source_unref (b->listen_source);
  }
  if (b->listen_fd >= 0)
    close (b->listen_fd);
  if (b->tls_ctx != NULL)
    SSL_CTX_free (b->tls_ctx);
  g_free (b->info.tls_version);
  g_free (b->info.failure);
  g_free (b->host);
  g_main_context_unref (b->context);
  g_free (b);
}

void
rp_turn_tls_bridge_set_fail_func (RpTurnTlsBridge *b, RpTurnTlsBridgeFailFunc func,
                                  gpointer user_data)
{
  b->fail_func = func;
  b->fail_data = user_data;
}

const char *rp_turn_tls_bridge_get_host (RpTurnTlsBridge *b) { return "127.0.0.1"; }
guint16 rp_turn_tls_bridge_get_port (RpTurnTlsBridge *b) { return b->port; }
const RpTurnTlsBridgeInfo *rp_turn_tls_bridge_get_info (RpTurnTlsBridge *b) { return &b->info; }
