/* DTLS over the ICE component (see dtls-transport.h). Incoming datagrams go
 * into a memory BIO; outgoing records leave through a BIO of ours whose
 * write hands each one to the send callback as it is, so a flight is never
 * glued into one oversized datagram (RFC 6347 4.1.1). */
#include "rtc/webrtc/dtls-transport.h"

#include <gio/gio.h>
#include <openssl/err.h>
#include <string.h>

#define READ_BUF 16384
/* RFC 8827 6.5 and RFC 8261: DTLS 1.2 with ECDHE and AEAD, as browsers offer. */
#define CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
                "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:" \
                "ECDHE-RSA-AES256-GCM-SHA384"

struct _RpDtlsTransport {
  GMainContext *context;
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *rbio;               /* owned by ssl */
  gboolean client, started, connected, dead;
  guint8 peer_fp[RP_DTLS_FINGERPRINT_LEN];
  RpDtlsCallbacks cb;
  gpointer user_data;
  GSource *timer;          /* OpenSSL's retransmission timer */
  GSource *deadline;       /* the whole handshake */
};

/* ---- the outgoing BIO: one write, one datagram ---- */

static BIO_METHOD *out_method;

static int
out_write (BIO *b, const char *data, int len)
{
  RpDtlsTransport *t = BIO_get_data (b);

  if (len > 0 && t != NULL && !t->dead)
    t->cb.send ((const guint8 *) data, (gsize) len, t->user_data);
  return len;
}

static long
out_ctrl (BIO *b, int cmd, long num, void *ptr)
{
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_DGRAM_QUERY_MTU:
    return RP_DTLS_MTU;
  case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
    return 0;
  default:
    return 0;
  }
}

static int
out_create (BIO *b)
{
  BIO_set_init (b, 1);
  return 1;
}

static gpointer
make_method (gpointer unused)
{
  BIO_METHOD *m = BIO_meth_new (BIO_get_new_index () | BIO_TYPE_SOURCE_SINK, "rp-dtls-out");

  BIO_meth_set_write (m, out_write);
  BIO_meth_set_ctrl (m, out_ctrl);
  BIO_meth_set_create (m, out_create);
  return m;
}

/* ---- state ---- */

static void
stop_source (GSource **s)
{
  if (*s != NULL) {
    g_source_destroy (*s);
    g_source_unref (*s);
    *s = NULL;
  }
}

static void
fail (RpDtlsTransport *t, const char *reason)
{
  if (t->dead)
    return;
  t->dead = TRUE;
  stop_source (&t->timer);
  stop_source (&t->deadline);
  if (t->cb.failed != NULL)
    t->cb.failed (reason, t->user_data);
}

static void arm_timer (RpDtlsTransport *t);

static gboolean
on_timer (gpointer data)
{
  RpDtlsTransport *t = data;

  g_clear_pointer (&t->timer, g_source_unref);
  if (t->dead)
    return G_SOURCE_REMOVE;
  if (DTLSv1_handle_timeout (t->ssl) < 0) {
    fail (t, "DTLS: the handshake gave up retransmitting");
    return G_SOURCE_REMOVE;
  }
  arm_timer (t);
  return G_SOURCE_REMOVE;
}

static void
arm_timer (RpDtlsTransport *t)
{
  struct timeval tv;
  guint ms;

  stop_source (&t->timer);
  if (t->dead || DTLSv1_get_timeout (t->ssl, &tv) != 1)
    return;
  ms = (guint) (tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
  t->timer = g_timeout_source_new (MAX (ms, 1));
  g_source_set_callback (t->timer, on_timer, t, NULL);
  g_source_attach (t->timer, t->context);
}

static gboolean
on_deadline (gpointer data)
{
  RpDtlsTransport *t = data;

  g_clear_pointer (&t->deadline, g_source_unref);
  fail (t, "DTLS: no handshake within 20 s");
  return G_SOURCE_REMOVE;
}

static gboolean
peer_matches (RpDtlsTransport *t)
{
  X509 *peer = SSL_get0_peer_certificate (t->ssl);
  guint8 fp[RP_DTLS_FINGERPRINT_LEN];

  return peer != NULL && rp_dtls_x509_fingerprint (peer, fp)
         && CRYPTO_memcmp (fp, t->peer_fp, sizeof fp) == 0;
}

static void
ssl_failure (RpDtlsTransport *t, const char *what)
{
  unsigned long e = ERR_get_error ();
  char buf[256] = "";
  g_autofree char *msg = NULL;

  if (e != 0)
    ERR_error_string_n (e, buf, sizeof buf);
  ERR_clear_error ();
  msg = g_strdup_printf ("DTLS: %s%s%s", what, *buf ? ": " : "", buf);
  fail (t, msg);
}

static void
handshake (RpDtlsTransport *t)
{
  int r = SSL_do_handshake (t->ssl);

  if (r == 1) {
    stop_source (&t->timer);
    stop_source (&t->deadline);
    if (!peer_matches (t)) {
      fail (t, "DTLS: the peer's certificate is not the one its SDP fingerprint names");
      return;
    }
    t->connected = TRUE;
    if (t->cb.connected != NULL)
      t->cb.connected (t->user_data);
    return;
  }
  switch (SSL_get_error (t->ssl, r)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    arm_timer (t);
    return;
  default:
    ssl_failure (t, "the handshake failed");
  }
}

static void
read_records (RpDtlsTransport *t)
{
  guint8 buf[READ_BUF];

  for (guint i = 0; i < 64 && !t->dead; i++) {
    int n = SSL_read (t->ssl, buf, sizeof buf);

    if (n > 0) {
      if (t->cb.receive != NULL)
        t->cb.receive (buf, (gsize) n, t->user_data);
      continue;
    }
    switch (SSL_get_error (t->ssl, n)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return;
    case SSL_ERROR_ZERO_RETURN:
      t->dead = TRUE;
      if (t->cb.closed != NULL)
        t->cb.closed (t->user_data);
      return;
    default:
      ssl_failure (t, "reading a record failed");
      return;
    }
  }
}

/* ---- public ---- */

static int
accept_any (int ok, X509_STORE_CTX *store)
{
  return 1;   /* self-signed by design; the fingerprint decides (peer_matches) */
}

static SSL_CTX *
make_ctx (RpDtlsCert *cert)
{
  SSL_CTX *ctx = SSL_CTX_new (DTLS_method ());

  if (ctx == NULL)
    return NULL;
  if (SSL_CTX_set_min_proto_version (ctx, DTLS1_2_VERSION) != 1
      || SSL_CTX_use_certificate (ctx, rp_dtls_cert_get_x509 (cert)) != 1
      || SSL_CTX_use_PrivateKey (ctx, rp_dtls_cert_get_key (cert)) != 1
      || SSL_CTX_set_cipher_list (ctx, CIPHERS) != 1) {
    SSL_CTX_free (ctx);
    return NULL;
  }
  SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
  SSL_CTX_set_read_ahead (ctx, 1);
  return ctx;
}

RpDtlsTransport *
rp_dtls_transport_new (GMainContext *context, RpDtlsCert *cert, gboolean client,
                       const guint8 peer_fingerprint[RP_DTLS_FINGERPRINT_LEN],
                       const RpDtlsCallbacks *callbacks, gpointer user_data, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  g_autoptr (RpDtlsTransport) t = g_new0 (RpDtlsTransport, 1);
  BIO *wbio;

  g_once (&once, make_method, NULL);
  out_method = once.retval;
  t->context = g_main_context_ref (context);
  t->client = client;
  t->cb = *callbacks;
  t->user_data = user_data;
  memcpy (t->peer_fp, peer_fingerprint, sizeof t->peer_fp);
  t->ctx = make_ctx (cert);
  t->ssl = t->ctx != NULL ? SSL_new (t->ctx) : NULL;
  if (t->ssl == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "DTLS: OpenSSL could not set up a session");
    return NULL;
  }
  t->rbio = BIO_new (BIO_s_mem ());
  BIO_set_mem_eof_return (t->rbio, -1);
  wbio = BIO_new (out_method);
  BIO_set_data (wbio, t);
  SSL_set_bio (t->ssl, t->rbio, wbio);
  SSL_set_options (t->ssl, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu (t->ssl, RP_DTLS_MTU);
  if (client)
    SSL_set_connect_state (t->ssl);
  else
    SSL_set_accept_state (t->ssl);
  return g_steal_pointer (&t);
}

void
rp_dtls_transport_free (RpDtlsTransport *t)
{
  if (t == NULL)
    return;
  stop_source (&t->timer);
  stop_source (&t->deadline);
  if (t->ssl != NULL && t->connected && !t->dead)
    SSL_shutdown (t->ssl);   /* close_notify, RFC 8261 6 */
  t->dead = TRUE;
  if (t->ssl != NULL)
    BIO_set_data (SSL_get_wbio (t->ssl), NULL);
  SSL_free (t->ssl);
  SSL_CTX_free (t->ctx);
  g_main_context_unref (t->context);
  g_free (t);
}

void
rp_dtls_transport_start (RpDtlsTransport *t)
{
  if (t->started || t->dead)
    return;
  t->started = TRUE;
  t->deadline = g_timeout_source_new (RP_DTLS_HANDSHAKE_TIMEOUT_MS);
  g_source_set_callback (t->deadline, on_deadline, t, NULL);
  g_source_attach (t->deadline, t->context);
  if (t->client)
    handshake (t);
}

gboolean
rp_dtls_is_dtls (const guint8 *data, gsize len)
{
  return len > 0 && data[0] >= 20 && data[0] <= 63;
}

void
rp_dtls_transport_receive (RpDtlsTransport *t, const guint8 *data, gsize len)
{
  if (t->dead || !rp_dtls_is_dtls (data, len) || len > READ_BUF)
    return;
  if (!t->started)
    rp_dtls_transport_start (t);
  BIO_write (t->rbio, data, (int) len);
  if (!t->connected)
    handshake (t);
  if (t->connected && !t->dead)
    read_records (t);
  (void) BIO_reset (t->rbio);   /* nothing of a bad datagram stays for the next */
}

gboolean
rp_dtls_transport_send (RpDtlsTransport *t, const guint8 *data, gsize len)
{
  if (!t->connected || t->dead || len == 0 || len > READ_BUF)
    return FALSE;
  return SSL_write (t->ssl, data, (int) len) == (int) len;
}

gboolean rp_dtls_transport_is_connected (RpDtlsTransport *t) { return t->connected && !t->dead; }

const char *
rp_dtls_transport_get_cipher (RpDtlsTransport *t)
{
  const char *c = t->connected ? SSL_get_cipher_name (t->ssl) : NULL;
  return c != NULL ? c : "";
}
