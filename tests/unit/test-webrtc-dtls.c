/* Tests for DTLS over a datagram path that is not a socket
 * (rtc/webrtc/dtls-transport.h): two transports joined in memory, each
 * datagram delivered from the test's GMainContext. The handshake completes
 * and data flows both ways; a lost first flight is retransmitted by the
 * timer on the context; a certificate that is not the announced one fails
 * the handshake; close_notify reaches the other side; garbage is survived;
 * RFC 7983's first octet decides what is DTLS. */
#include <glib.h>
#include <string.h>

#include "rtc/webrtc/dtls-transport.h"

#define WAIT_S 10

typedef struct _Side Side;

typedef struct {
  GMainContext *ctx;
  GQueue wire;                 /* Datagram, in flight */
  guint drop_first;            /* datagrams to lose before delivering */
  guint sent;
} Net;

struct _Side {
  Net *net;
  Side *other;
  RpDtlsCert *cert;
  RpDtlsTransport *t;
  gboolean connected, failed, closed;
  char *reason;
  GString *received;
};

typedef struct {
  Side *to;
  GBytes *bytes;
} Datagram;

static void
on_send (const guint8 *data, gsize len, gpointer user_data)
{
  Side *s = user_data;
  Datagram *d;

  s->net->sent++;
  if (s->net->drop_first > 0) {
    s->net->drop_first--;
    return;
  }
  d = g_new0 (Datagram, 1);
  d->to = s->other;
  d->bytes = g_bytes_new (data, len);
  g_queue_push_tail (&s->net->wire, d);
}

static void
on_connected (gpointer user_data)
{
  ((Side *) user_data)->connected = TRUE;
}

static void
on_failed (const char *reason, gpointer user_data)
{
  Side *s = user_data;

  s->failed = TRUE;
  s->reason = g_strdup (reason);
}

static void
on_receive (const guint8 *data, gsize len, gpointer user_data)
{
  g_string_append_len (((Side *) user_data)->received, (const char *) data, (gssize) len);
}

static void
on_closed (gpointer user_data)
{
  ((Side *) user_data)->closed = TRUE;
}

static const RpDtlsCallbacks callbacks = {
  on_send, on_connected, on_failed, on_receive, on_closed,
};

/* Delivers what is on the wire, else runs the context once. */
static void
step (Net *net)
{
  Datagram *d = g_queue_pop_head (&net->wire);

  if (d == NULL) {
    g_main_context_iteration (net->ctx, TRUE);
    return;
  }
  if (d->to->t != NULL) {
    gsize n;
    const guint8 *p = g_bytes_get_data (d->bytes, &n);
    rp_dtls_transport_receive (d->to->t, p, n);
  }
  g_bytes_unref (d->bytes);
  g_free (d);
}

static gboolean
run_until (Net *net, gboolean *flag_a, gboolean *flag_b)
{
  gint64 end = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  while (!(*flag_a && (flag_b == NULL || *flag_b)) && g_get_monotonic_time () < end)
    step (net);
  return *flag_a && (flag_b == NULL || *flag_b);
}

typedef struct {
  Net net;
  Side client, server;
  RpDtlsCert *stranger;
} Fixture;

static void
setup (Fixture *f, gconstpointer unused)
{
  f->net.ctx = g_main_context_new ();
  g_queue_init (&f->net.wire);
  f->client = (Side) { .net = &f->net, .other = &f->server, .received = g_string_new (NULL) };
  f->server = (Side) { .net = &f->net, .other = &f->client, .received = g_string_new (NULL) };
  f->client.cert = rp_dtls_cert_new (NULL);
  f->server.cert = rp_dtls_cert_new (NULL);
  f->stranger = rp_dtls_cert_new (NULL);
}

static void
make (Fixture *f, RpDtlsCert *server_claims)
{
  f->client.t = rp_dtls_transport_new (f->net.ctx, f->client.cert, TRUE,
                                       rp_dtls_cert_get_fingerprint (server_claims), &callbacks,
                                       &f->client, NULL);
  f->server.t = rp_dtls_transport_new (f->net.ctx, f->server.cert, FALSE,
                                       rp_dtls_cert_get_fingerprint (f->client.cert), &callbacks,
                                       &f->server, NULL);
  g_assert_nonnull (f->client.t);
  g_assert_nonnull (f->server.t);
  rp_dtls_transport_start (f->server.t);
  rp_dtls_transport_start (f->client.t);
}

static void
side_clear (Side *s)
{
  rp_dtls_transport_free (s->t);
  rp_dtls_cert_free (s->cert);
  g_string_free (s->received, TRUE);
  g_free (s->reason);
}

static void
datagram_free (gpointer p)
{
  Datagram *d = p;

  g_bytes_unref (d->bytes);
  g_free (d);
}

static void
teardown (Fixture *f, gconstpointer unused)
{
  side_clear (&f->client);
  side_clear (&f->server);
  rp_dtls_cert_free (f->stranger);
  g_queue_clear_full (&f->net.wire, datagram_free);
  g_main_context_unref (f->net.ctx);
}

static void
test_handshake_and_data (Fixture *f, gconstpointer unused)
{
  gboolean got_both = FALSE;

  make (f, f->server.cert);
  g_assert_true (run_until (&f->net, &f->client.connected, &f->server.connected));
  g_assert_cmpstr (rp_dtls_transport_get_cipher (f->client.t), !=, "");
  g_assert_true (rp_dtls_transport_send (f->client.t, (const guint8 *) "ping", 4));
  g_assert_true (rp_dtls_transport_send (f->server.t, (const guint8 *) "pong", 4));
  for (guint i = 0; i < 100 && !got_both; i++) {
    step (&f->net);
    got_both = f->server.received->len == 4 && f->client.received->len == 4;
  }
  g_assert_cmpstr (f->server.received->str, ==, "ping");
  g_assert_cmpstr (f->client.received->str, ==, "pong");
  /* close_notify (RFC 8261 6) */
  g_clear_pointer (&f->client.t, rp_dtls_transport_free);
  g_assert_true (run_until (&f->net, &f->server.closed, NULL));
}

static void
test_lost_flight (Fixture *f, gconstpointer unused)
{
  gint64 start = g_get_monotonic_time ();

  f->net.drop_first = 1;   /* the ClientHello */
  make (f, f->server.cert);
  g_assert_true (run_until (&f->net, &f->client.connected, &f->server.connected));
  /* OpenSSL's first retransmission comes after about 1 s */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
  g_assert_false (f->client.failed);
}

static void
test_wrong_fingerprint (Fixture *f, gconstpointer unused)
{
  make (f, f->stranger);
  g_assert_true (run_until (&f->net, &f->client.failed, NULL));
  g_assert_cmpstr (f->client.reason, ==,
                   "DTLS: the peer's certificate is not the one its SDP fingerprint names");
  g_assert_false (f->client.connected);
  g_assert_false (rp_dtls_transport_send (f->client.t, (const guint8 *) "x", 1));
}

/* Garbage from the peer's address: records of every DTLS content type with
 * random bodies, truncated headers, oversized datagrams. The server fails
 * at most once with a one-line reason, never delivers application data,
 * and a later send is refused; none of it crashes (ASan run). */
static void
test_garbage (Fixture *f, gconstpointer unused)
{
  GRand *r = g_rand_new_with_seed (8261);
  guint8 buf[20000];

  make (f, f->server.cert);
  for (guint i = 0; i < 2000; i++) {
    gsize len = i % 97 == 0 ? sizeof buf : (gsize) g_rand_int_range (r, 1, 300);
    for (gsize j = 0; j < len; j++)
      buf[j] = (guint8) g_rand_int (r);
    buf[0] = (guint8) g_rand_int_range (r, 20, 64);
    if (len > 2 && i % 3 == 0) {
      buf[1] = 0xfe;   /* DTLS 1.2 / 1.0 version octets */
      buf[2] = i % 2 ? 0xfd : 0xff;
    }
    rp_dtls_transport_receive (f->server.t, buf, len);
  }
  g_rand_free (r);
  g_assert_false (f->server.connected);
  g_assert_cmpuint (f->server.received->len, ==, 0);
  if (f->server.failed) {
    g_assert_true (g_str_has_prefix (f->server.reason, "DTLS: "));
    g_assert_null (strchr (f->server.reason, '\n'));
  }
  g_assert_false (rp_dtls_transport_send (f->server.t, (const guint8 *) "x", 1));
}

static void
test_demux (void)
{
  static const guint8 stun[] = { 0x00, 0x01 }, dtls[] = { 22, 0xfe }, rtp[] = { 0x80, 0 };

  g_assert_false (rp_dtls_is_dtls (stun, sizeof stun));
  g_assert_true (rp_dtls_is_dtls (dtls, sizeof dtls));
  g_assert_false (rp_dtls_is_dtls (rtp, sizeof rtp));
  g_assert_false (rp_dtls_is_dtls (dtls, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/webrtc/dtls/handshake-and-data", Fixture, NULL, setup, test_handshake_and_data,
              teardown);
  g_test_add ("/webrtc/dtls/lost-flight", Fixture, NULL, setup, test_lost_flight, teardown);
  g_test_add ("/webrtc/dtls/wrong-fingerprint", Fixture, NULL, setup, test_wrong_fingerprint,
              teardown);
  g_test_add ("/webrtc/dtls/garbage", Fixture, NULL, setup, test_garbage, teardown);
  g_test_add_func ("/webrtc/dtls/demux", test_demux);
  return g_test_run ();
}
