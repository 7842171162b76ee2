/* Peers for the STUN client tests, all on 127.0.0.1: a UDP peer driven by
 * the test's own GMainContext that answers (or misanswers) Binding requests
 * with the project's codec, a TCP/TLS server in a thread with blocking
 * sockets that plays one scripted behaviour per connection, and a
 * throw-away self-signed certificate for the TLS cases. Waits are bounded
 * so that a failing test ends instead of hanging. */
#pragma once

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stun/stun-message.h"

#define MS G_GINT64_CONSTANT (1000)

/* ---- helpers ---- */

static GSocketAddress *
lo_addr (guint16 port)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  return g_inet_socket_address_new (lo, port);
}

static guint16
addr_port (GSocketAddress *a)
{
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a));
}

static gboolean
on_wait_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates ctx until *flag is set; a test that waits longer has failed. */
static void
wait_for (GMainContext *ctx, const gboolean *flag, guint max_ms)
{
  gboolean timed_out = FALSE;
  GSource *src = g_timeout_source_new (max_ms);

  g_source_set_callback (src, on_wait_timeout, &timed_out, NULL);
  g_source_attach (src, ctx);
  while (!*flag && !timed_out)
    g_main_context_iteration (ctx, TRUE);
  g_source_destroy (src);
  g_source_unref (src);
  g_assert_true (*flag);
}

/* Runs ctx for ms: long enough for anything wrongly still scheduled (a
 * retransmission, a callback after free) to happen. */
static void
spin (GMainContext *ctx, guint ms)
{
  gboolean done = FALSE;
  GSource *src = g_timeout_source_new (ms);

  g_source_set_callback (src, on_wait_timeout, &done, NULL);
  g_source_attach (src, ctx);
  while (!done)
    g_main_context_iteration (ctx, TRUE);
  g_source_unref (src);
}

static gsize
binding_request (RpStunBuilder *b)
{
  guint8 tid[RP_STUN_TID_LEN];

  rp_stun_random_tid (tid);
  rp_stun_builder_init (b, RP_STUN_BINDING, RP_STUN_REQUEST, tid);
  rp_stun_builder_add_fingerprint (b);
  return b->len;
}

/* A Binding success telling the requester where it came from. */
static void
binding_response (RpStunBuilder *b, const guint8 *tid, const struct sockaddr_in *from)
{
  RpStunAddress a = { .family = AF_INET, .port = ntohs (from->sin_port) };

  memcpy (a.addr, &from->sin_addr, 4);
  rp_stun_builder_init (b, RP_STUN_BINDING, RP_STUN_SUCCESS, tid);
  g_assert_true (rp_stun_builder_add_address (b, RP_STUN_ATTR_XOR_MAPPED_ADDRESS, &a));
}

static void
mapped_string (const struct sockaddr_in *sin, char out[64])
{
  RpStunAddress a = { .family = AF_INET, .port = ntohs (sin->sin_port) };

  memcpy (a.addr, &sin->sin_addr, 4);
  rp_stun_address_to_string (&a, out, 64);
}

/* A port nothing listens on: bind one, note it, close it. */
static guint16
closed_port (int type)
{
  int fd = socket (AF_INET, type, 0);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t sl = sizeof sin;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sin, &sl), ==, 0);
  close (fd);
  return ntohs (sin.sin_port);
}

/* ---- UDP peer, on the test's context ---- */

typedef enum {
  UDP_ANSWER,
  UDP_SILENT,
  UDP_GARBAGE,
  UDP_TEXT,
  UDP_WRONG_TID,
  UDP_TRAILING,
  UDP_FROM_OTHER,   /* noise, then the answer, both from a second socket */
} UdpMode;

typedef struct {
  UdpMode mode;
  guint drop;          /* leave the first N requests unanswered */
  GSocket *sock;
  GSocket *other;
  GSource *src;
  guint16 port;
  guint16 other_port;
  guint received;
  char seen_from[64];  /* the requester's address as the peer saw it */
} UdpPeer;

static GSocket *
udp_socket (guint16 *port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) any = lo_addr (0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_socket_set_blocking (sock, FALSE);
  g_socket_bind (sock, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  *port = addr_port (bound);
  return sock;
}

static void
peer_send (GSocket *sock, GSocketAddress *to, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_socket_send_to (sock, to, data, len, NULL, &error), ==, (gssize) len);
  g_assert_no_error (error);
}

static gboolean
on_peer_readable (GSocket *sock, GIOCondition cond, gpointer data)
{
  UdpPeer *p = data;

  for (;;) {
    guint8 buf[2048];
    g_autoptr (GSocketAddress) from = NULL;
    g_autoptr (GError) error = NULL;
    struct sockaddr_in sin;
    RpStunMessage req;
    RpStunBuilder b;
    gssize n = g_socket_receive_from (sock, &from, (char *) buf, sizeof buf, NULL, &error);

    if (n < 0) {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      return G_SOURCE_CONTINUE;
    }
    g_assert_cmpint (rp_stun_message_parse (buf, (gsize) n, &req), ==, RP_STUN_PARSE_OK);
    g_assert_cmpint (req.klass, ==, RP_STUN_REQUEST);
    g_assert_true (g_socket_address_to_native (from, &sin, sizeof sin, NULL));
    mapped_string (&sin, p->seen_from);
    if (++p->received <= p->drop)
      continue;
    switch (p->mode) {
    case UDP_SILENT:
      break;
    case UDP_ANSWER:
      binding_response (&b, req.tid, &sin);
      peer_send (sock, from, b.buf, b.len);
      break;
    case UDP_GARBAGE:
      peer_send (sock, from, "\xff\xfe\xfd\xfc not stun", 13);
      break;
    case UDP_TEXT:
      /* Every ASCII letter starts with the bits 01 that mark ChannelData. */
      peer_send (sock, from, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
      break;
    case UDP_WRONG_TID: {
      guint8 tid[RP_STUN_TID_LEN];
      memcpy (tid, req.tid, sizeof tid);
      tid[0] ^= 0xff;
      binding_response (&b, tid, &sin);
      peer_send (sock, from, b.buf, b.len);
      break;
    }
    case UDP_TRAILING: {
      guint8 out[RP_STUN_MAX_MESSAGE + 4];
      binding_response (&b, req.tid, &sin);
      memcpy (out, b.buf, b.len);
      memset (out + b.len, 0, 4);
      peer_send (sock, from, out, b.len + 4);
      break;
    }
    case UDP_FROM_OTHER:
      /* Unconnected: noise from anyone is ignored, answers from anywhere
       * are taken. */
      peer_send (p->other, from, "\xff noise", 7);
      binding_response (&b, req.tid, &sin);
      peer_send (p->other, from, b.buf, b.len);
      break;
    }
  }
}

static UdpPeer *
udp_peer_new (GMainContext *ctx, UdpMode mode, guint drop)
{
  UdpPeer *p = g_new0 (UdpPeer, 1);

  p->mode = mode;
  p->drop = drop;
  p->sock = udp_socket (&p->port);
  p->other = udp_socket (&p->other_port);
  p->src = g_socket_create_source (p->sock, G_IO_IN, NULL);
  g_source_set_callback (p->src, (GSourceFunc) (void (*) (void)) on_peer_readable, p, NULL);
  g_source_attach (p->src, ctx);
  return p;
}

static void
udp_peer_free (UdpPeer *p)
{
  g_source_destroy (p->src);
  g_source_unref (p->src);
  g_object_unref (p->sock);
  g_object_unref (p->other);
  g_free (p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UdpPeer, udp_peer_free)

/* ---- TCP and TLS server, in a thread with blocking sockets ---- */

typedef enum {
  TCP_SPLIT,          /* the response one byte at a time */
  TCP_TWO,            /* two requests, both responses in one write */
  TCP_CHANNELDATA,    /* ChannelData, then the response, in one write */
  TCP_GARBAGE,
  TCP_CLOSE,          /* read the request, close */
  TCP_PLAIN_REPLY,    /* a plain server on a port the client thinks is TLS */
  TLS_ANSWER,
} TcpMode;

typedef struct {
  TcpMode mode;
  int lfd;
  guint16 port;
  SSL_CTX *tls;
  GThread *thread;
  int fd;
  SSL *ssl;
  char error[128];    /* what went wrong in the thread, if anything */
} Server;

static gboolean
srv_read (Server *s, guint8 *buf, gsize n)
{
  for (gsize got = 0; got < n;) {
    gssize r = s->ssl != NULL ? SSL_read (s->ssl, buf + got, (int) (n - got))
                              : recv (s->fd, buf + got, n - got, 0);
    if (r <= 0)
      return FALSE;
    got += (gsize) r;
  }
  return TRUE;
}

static void
srv_write (Server *s, const void *buf, gsize n)
{
  if (s->ssl != NULL)
    SSL_write (s->ssl, buf, (int) n);
  else
    (void) send (s->fd, buf, n, MSG_NOSIGNAL);
}

/* Reads one request and builds the Binding success for it into b. */
static gboolean
srv_answer (Server *s, RpStunBuilder *b)
{
  guint8 buf[RP_STUN_HEADER_LEN + 1024];
  struct sockaddr_in peer;
  socklen_t sl = sizeof peer;
  RpStunMessage req;
  gsize body;

  if (!srv_read (s, buf, RP_STUN_HEADER_LEN))
    return FALSE;
  body = (gsize) buf[2] << 8 | buf[3];
  if (body > 1024 || !srv_read (s, buf + RP_STUN_HEADER_LEN, body)
      || rp_stun_message_parse (buf, RP_STUN_HEADER_LEN + body, &req) != RP_STUN_PARSE_OK) {
    g_strlcpy (s->error, "bad request", sizeof s->error);
    return FALSE;
  }
  getpeername (s->fd, (struct sockaddr *) &peer, &sl);
  binding_response (b, req.tid, &peer);
  return TRUE;
}

static void
serve (Server *s)
{
  RpStunBuilder b, b2;
  GByteArray *out;

  switch (s->mode) {
  case TCP_SPLIT:
    if (!srv_answer (s, &b))
      return;
    for (gsize i = 0; i < b.len; i++) {
      srv_write (s, b.buf + i, 1);
      g_usleep (500);
    }
    break;
  case TCP_TWO:
    if (!srv_answer (s, &b) || !srv_answer (s, &b2))
      return;
    out = g_byte_array_new ();
    g_byte_array_append (out, b.buf, (guint) b.len);
    g_byte_array_append (out, b2.buf, (guint) b2.len);
    srv_write (s, out->data, out->len);
    g_byte_array_unref (out);
    break;
  case TCP_CHANNELDATA: {
    /* RFC 8656 12.5: channel 0x4000, 5 bytes of data, padded to 4 on a stream. */
    static const guint8 cd[] = { 0x40, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0 };
    if (!srv_answer (s, &b))
      return;
    out = g_byte_array_new ();
    g_byte_array_append (out, cd, sizeof cd);
    g_byte_array_append (out, b.buf, (guint) b.len);
    srv_write (s, out->data, out->len);
    g_byte_array_unref (out);
    break;
  }
  case TCP_GARBAGE:
    if (!srv_answer (s, &b))
      return;
    srv_write (s, "\xff\xfe\xfd\xfc not stun at all", 20);
    break;
  case TCP_CLOSE:
    srv_answer (s, &b);
    return;   /* and close */
  case TCP_PLAIN_REPLY: {
    guint8 hello[64];
    /* Read part of the ClientHello, answer like a web server would. */
    if (!srv_read (s, hello, 5))
      return;
    srv_write (s, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
    return;
  }
  case TLS_ANSWER:
    if (!srv_answer (s, &b))
      return;
    srv_write (s, b.buf, b.len);
    break;
  }
  /* Keep the connection until the client lets go, so that the client, not
   * the server, decides when it ends. */
  for (guint8 sink[256];;) {
    gssize r =
      s->ssl != NULL ? SSL_read (s->ssl, sink, sizeof sink) : recv (s->fd, sink, sizeof sink, 0);
    if (r <= 0)
      break;
  }
}

static gpointer
server_thread (gpointer data)
{
  Server *s = data;
  struct pollfd pfd = { .fd = s->lfd, .events = POLLIN };
  struct timeval tv = { .tv_sec = 5 };

  /* Bounded waits: a failing test must end, not hang. */
  if (poll (&pfd, 1, 5000) != 1) {
    g_strlcpy (s->error, "no connection", sizeof s->error);
    return NULL;
  }
  s->fd = accept (s->lfd, NULL, NULL);
  if (s->fd < 0) {
    g_strlcpy (s->error, "accept failed", sizeof s->error);
    return NULL;
  }
  setsockopt (s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (s->tls != NULL) {
    s->ssl = SSL_new (s->tls);
    SSL_set_fd (s->ssl, s->fd);
    if (SSL_accept (s->ssl) != 1) {
      g_strlcpy (s->error, "handshake failed", sizeof s->error);
      return NULL;
    }
  }
  serve (s);
  /* TCP_CLOSE and TCP_PLAIN_REPLY hang up here; the others once the client
   * has. */
  g_clear_pointer (&s->ssl, SSL_free);
  close (s->fd);
  s->fd = -1;
  return NULL;
}

static Server *
server_new (TcpMode mode, SSL_CTX *tls)
{
  Server *s = g_new0 (Server, 1);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t sl = sizeof sin;

  s->mode = mode;
  s->tls = tls;
  s->fd = -1;
  s->lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (bind (s->lfd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (listen (s->lfd, 4), ==, 0);
  g_assert_cmpint (getsockname (s->lfd, (struct sockaddr *) &sin, &sl), ==, 0);
  s->port = ntohs (sin.sin_port);
  s->thread = g_thread_new ("server", server_thread, s);
  return s;
}

/* Joins the thread: free the client first, so that the server sees EOF. */
static void
server_free (Server *s)
{
  g_thread_join (s->thread);
  if (s->error[0] != '\0')
    g_test_message ("server: %s", s->error);
  if (s->ssl != NULL)
    SSL_free (s->ssl);
  if (s->fd >= 0)
    close (s->fd);
  close (s->lfd);
  g_free (s);
}

static struct {
  SSL_CTX *server;
  char *ca_file;
} tls;

/* A throw-away self-signed certificate for 127.0.0.1 (SAN IP), made once. */
static void
tls_setup (void)
{
  EVP_PKEY *key;
  X509 *cert;
  X509V3_CTX v3;
  X509_NAME *name;
  X509_EXTENSION *ext;
  g_autoptr (GError) error = NULL;
  FILE *f;
  int fd;

  if (tls.server != NULL)
    return;
  key = EVP_EC_gen ("P-256");
  g_assert_nonnull (key);
  cert = X509_new ();
  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), g_random_int_range (1, G_MAXINT32));
  X509_gmtime_adj (X509_getm_notBefore (cert), -3600);
  X509_gmtime_adj (X509_getm_notAfter (cert), 24 * 3600);
  X509_set_pubkey (cert, key);
  name = X509_get_subject_name (cert);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const guint8 *) "rtcprobe test", -1, -1,
                              0);
  X509_set_issuer_name (cert, name);
  X509V3_set_ctx (&v3, cert, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
  X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  ext = X509V3_EXT_conf_nid (NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
  X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  g_assert_cmpint (X509_sign (cert, key, EVP_sha256 ()), >, 0);

  fd = g_file_open_tmp ("rtcprobe-test-ca-XXXXXX.pem", &tls.ca_file, &error);
  g_assert_no_error (error);
  f = fdopen (fd, "w");
  g_assert_cmpint (PEM_write_X509 (f, cert), ==, 1);
  fclose (f);

  tls.server = SSL_CTX_new (TLS_server_method ());
  g_assert_cmpint (SSL_CTX_use_certificate (tls.server, cert), ==, 1);
  g_assert_cmpint (SSL_CTX_use_PrivateKey (tls.server, key), ==, 1);
  X509_free (cert);
  EVP_PKEY_free (key);
}

static void
tls_teardown (void)
{
  if (tls.server == NULL)
    return;
  SSL_CTX_free (tls.server);
  g_unlink (tls.ca_file);
  g_free (tls.ca_file);
}
