/* Tests for the STUN client against peers run by the test itself on
 * 127.0.0.1, speaking through the project's own codec. UDP: an answered
 * Binding (RTT, mapped address equal to the client's local address),
 * retransmission after drops, the timeout after exactly Rc sends, every way
 * of answering wrongly (garbage, text, another transaction id, trailing
 * bytes), the ICMP port unreachable of a closed port, an unconnected client
 * answered from another port, and a flood that must not starve the loop.
 * TCP: a response dribbled one byte at a time, two responses in one write,
 * ChannelData framed with its stream padding, garbage, a server that closes,
 * a refused connect. TLS with a throw-away self-signed certificate:
 * untrusted, trusted through --ca-file, a name mismatch, --insecure, and a
 * port that does not speak TLS. Freeing the client from inside its callbacks
 * is exercised throughout (run the ASan build to see it is clean). */
#include <gio/gio.h>

#include <stdlib.h>

#include "stun/client/stun-client.h"
#include "common/tls-client.h"
#include "tests/unit/stun-peers.h"

/* Generous bound for anything that should take a few milliseconds. */
#define WAIT_MS 3000

/* ---- what the client reports ---- */

typedef struct {
  gboolean done;
  guint calls;
  RpStunNetStatus status;
  char *reason;
  gboolean free_client;
  RpStunClient **client;
} Conn;

static void
on_connect (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  Conn *c = data;

  c->calls++;
  c->done = TRUE;
  c->status = status;
  g_free (c->reason);
  c->reason = g_strdup (reason);
  if (c->free_client) {
    g_assert_true (*c->client == client);
    rp_stun_client_free (client);
    *c->client = NULL;
  }
}

typedef struct {
  gboolean done;
  guint calls;
  RpStunTxnOutcome outcome;
  RpStunNetStatus net;
  char *reason;
  gint64 rtt_us;
  gint64 rtt_last_us;
  guint retransmissions;
  guint8 tid[RP_STUN_TID_LEN];
  char mapped[64];
  guint16 from_port;
  gboolean free_client;
  RpStunClient **client;
} Res;

static void
on_response (RpStunClient *client, const RpStunTxnResult *r, gpointer data)
{
  Res *res = data;

  res->calls++;
  res->done = TRUE;
  res->outcome = r->outcome;
  res->net = r->net;
  g_free (res->reason);
  res->reason = g_strdup (r->reason);
  res->rtt_us = r->rtt_us;
  res->rtt_last_us = r->rtt_last_us;
  res->retransmissions = r->retransmissions;
  if (r->outcome == RP_STUN_TXN_RESPONSE) {
    RpStunAddress a;

    memcpy (res->tid, r->msg.tid, RP_STUN_TID_LEN);
    if (rp_stun_message_get_mapped_address (&r->msg, &a))
      rp_stun_address_to_string (&a, res->mapped, sizeof res->mapped);
    if (r->from != NULL)
      res->from_port = addr_port (r->from);
  }
  if (res->free_client) {
    g_assert_true (*res->client == client);
    rp_stun_client_free (client);
    *res->client = NULL;
  }
}

static void
res_clear (Res *res)
{
  g_free (res->reason);
}

static void
conn_clear (Conn *c)
{
  g_free (c->reason);
}


/* A connected client, ready to send. */
static RpStunClient *
connect_client (GMainContext *ctx, RpTransport transport, guint16 port, const char *host,
                SSL_CTX *tls, gboolean insecure, Conn *conn)
{
  g_autoptr (GSocketAddress) server = lo_addr (port);
  RpStunClient *client = rp_stun_client_new (transport, server, host, tls, insecure, ctx);

  rp_stun_client_connect (client, on_connect, conn);
  /* Never called from inside rp_stun_client_connect() itself. */
  g_assert_false (conn->done);
  wait_for (ctx, &conn->done, WAIT_MS);
  return client;
}

static void
request (RpStunClient *client, Res *res)
{
  RpStunBuilder b;

  binding_request (&b);
  rp_stun_client_request (client, b.buf, b.len, on_response, res);
}

/* ---- UDP ---- */

static void
test_udp_answered (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (UdpPeer) peer = udp_peer_new (ctx, UDP_ANSWER, 0);
  Conn conn = { 0 };
  Res res = { 0 };
  g_autoptr (RpStunClient) client = connect_client (ctx, RP_TRANSPORT_UDP, peer->port, "127.0.0.1",
                                                    NULL, FALSE, &conn);
  const RpStunClientInfo *info = rp_stun_client_get_info (client);

  g_assert_cmpint (conn.status, ==, RP_STUN_NET_OK);
  g_assert_cmpint (info->connect_us, ==, 0);
  g_assert_true (g_str_has_prefix (info->local_address, "127.0.0.1:"));
  request (client, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_RESPONSE);
  g_assert_cmpint (res.rtt_us, >, 0);
  g_assert_cmpint (res.retransmissions, ==, 0);
  g_assert_cmpuint (peer->received, ==, 1);
  /* The peer saw the address the client says it has, and the XOR'd
   * mapped address made it back intact. */
  g_assert_cmpstr (peer->seen_from, ==, info->local_address);
  g_assert_cmpstr (res.mapped, ==, info->local_address);
  g_assert_cmpuint (res.from_port, ==, peer->port);
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_udp_retransmit (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (UdpPeer) peer = udp_peer_new (ctx, UDP_ANSWER, 2);
  Conn conn = { 0 };
  Res res = { 0 };
  g_autoptr (RpStunClient) client = connect_client (ctx, RP_TRANSPORT_UDP, peer->port, "127.0.0.1",
                                                    NULL, FALSE, &conn);

  rp_stun_client_set_timer (client, 20 * MS, 7, 16);
  request (client, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_RESPONSE);
  g_assert_cmpuint (res.retransmissions, ==, 2);
  g_assert_cmpuint (peer->received, ==, 3);
  /* RFC 8489 6.2.1: the third send is RTO + 2 RTO after the first. */
  g_assert_cmpint (res.rtt_us, >=, 60 * MS);
  g_assert_cmpint (res.rtt_last_us, <, res.rtt_us);
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_udp_timeout (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (UdpPeer) peer = udp_peer_new (ctx, UDP_SILENT, 0);
  Conn conn = { 0 };
  Res res = { 0 };
  g_autoptr (RpStunClient) client = connect_client (ctx, RP_TRANSPORT_UDP, peer->port, "127.0.0.1",
                                                    NULL, FALSE, &conn);
  gint64 t0;

  /* Sends at 0, 10, 30, 70 ms; gives up Rm * RTO = 20 ms later. */
  rp_stun_client_set_timer (client, 10 * MS, 4, 2);
  t0 = g_get_monotonic_time ();
  request (client, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 90 * MS);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_TIMEOUT);
  g_assert_cmpuint (res.retransmissions, ==, 3);
  spin (ctx, 30);
  g_assert_cmpuint (peer->received, ==, 4);
  g_assert_cmpuint (res.calls, ==, 1);
  res_clear (&res);
  conn_clear (&conn);
}

static void
expect_malformed (UdpMode mode, const char *reason_part)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (UdpPeer) peer = udp_peer_new (ctx, mode, 0);
  Conn conn = { 0 };
  Res res = { 0 };
  g_autoptr (RpStunClient) client = connect_client (ctx, RP_TRANSPORT_UDP, peer->port, "127.0.0.1",
                                                    NULL, FALSE, &conn);
  gint64 t0 = g_get_monotonic_time ();

  /* Default RTO (500 ms): answered at once means before any retransmission. */
  request (client, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_MALFORMED);
  g_assert_cmpuint (res.retransmissions, ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 400 * MS);
  g_assert_nonnull (strstr (res.reason, reason_part));
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_udp_garbage (void)
{
  expect_malformed (UDP_GARBAGE, "not a STUN message");
}

static void
test_udp_text (void)
{
  expect_malformed (UDP_TEXT, "not a STUN message");
}

static void
test_udp_trailing (void)
{
  expect_malformed (UDP_TRAILING, "malformed STUN response");
}

static void
test_udp_wrong_tid (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (UdpPeer) peer = udp_peer_new (ctx, UDP_WRONG_TID, 0);
  Conn conn = { 0 };
  Res res = { 0 };
  g_autoptr (RpStunClient) client = connect_client (ctx, RP_TRANSPORT_UDP, peer->port, "127.0.0.1",
                                                    NULL, FALSE, &conn);
  gint64 t0;

  /* RFC 8489 6.3: a response for no transaction is discarded; only the
   * timeout can tell, and then it says the server did answer. */
  rp_stun_client_set_timer (client, 10 * MS, 3, 2);
  t0 = g_get_monotonic_time ();
  request (client, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 50 * MS);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_MALFORMED);
  g_assert_cmpuint (res.retransmissions, ==, 2);
  g_assert_nonnull (strstr (res.reason, "transaction id"));
  /* Counted for the caller too, whose deadline may come first. */
  g_assert_cmpuint (rp_stun_client_get_info (client)->strays, ==, 3);
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_udp_refused (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Conn conn = { 0 };
  Res res = { 0 };
  g_autoptr (RpStunClient) client = connect_client (ctx, RP_TRANSPORT_UDP, closed_port (SOCK_DGRAM),
                                                    "127.0.0.1", NULL, FALSE, &conn);

  /* UDP has no handshake: the ICMP port unreachable answers the request. */
  g_assert_cmpint (conn.status, ==, RP_STUN_NET_OK);
  rp_stun_client_set_timer (client, 20 * MS, 7, 16);
  request (client, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_NET);
  g_assert_cmpint (res.net, ==, RP_STUN_NET_REFUSED);
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_udp_unconnected_other_port (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (UdpPeer) peer = udp_peer_new (ctx, UDP_FROM_OTHER, 0);
  g_autoptr (GSocketAddress) local = lo_addr (0);
  g_autoptr (GSocketAddress) to = lo_addr (peer->port);
  g_autoptr (RpStunClient) client = rp_stun_client_new_unconnected (local, ctx);
  Conn conn = { 0 };
  Res res = { 0 };
  RpStunBuilder b;

  rp_stun_client_connect (client, on_connect, &conn);
  wait_for (ctx, &conn.done, WAIT_MS);
  g_assert_cmpint (conn.status, ==, RP_STUN_NET_OK);
  binding_request (&b);
  rp_stun_client_request_to (client, to, b.buf, b.len, on_response, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_RESPONSE);
  g_assert_cmpuint (peer->received, ==, 1);
  /* RFC 5780 needs to know which address answered. */
  g_assert_cmpuint (peer->other_port, !=, peer->port);
  g_assert_cmpuint (res.from_port, ==, peer->other_port);
  g_assert_cmpstr (res.mapped, ==, rp_stun_client_get_info (client)->local_address);
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_udp_free_in_response (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (UdpPeer) peer = udp_peer_new (ctx, UDP_ANSWER, 0);
  Conn conn = { 0 };
  Res first = { 0 }, second = { 0 };
  RpStunClient *client = connect_client (ctx, RP_TRANSPORT_UDP, peer->port, "127.0.0.1", NULL,
                                         FALSE, &conn);

  /* A short RTO: a timer left behind after free would fire within spin(). */
  rp_stun_client_set_timer (client, 10 * MS, 7, 16);
  first.free_client = second.free_client = TRUE;
  first.client = second.client = &client;
  request (client, &first);
  request (client, &second);
  wait_for (ctx, &first.done, WAIT_MS);
  g_assert_null (client);
  spin (ctx, 100);
  /* No callback after rp_stun_client_free(), whatever was in flight. */
  g_assert_cmpuint (first.calls + second.calls, ==, 1);
  res_clear (&first);
  res_clear (&second);
  conn_clear (&conn);
}

static void
test_udp_free_in_connect (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (UdpPeer) peer = udp_peer_new (ctx, UDP_ANSWER, 0);
  g_autoptr (GSocketAddress) server = lo_addr (peer->port);
  RpStunClient *client =
    rp_stun_client_new (RP_TRANSPORT_UDP, server, "127.0.0.1", NULL, FALSE, ctx);
  Conn conn = { .free_client = TRUE, .client = &client };
  Res res = { 0 };

  rp_stun_client_set_timer (client, 10 * MS, 7, 16);
  rp_stun_client_connect (client, on_connect, &conn);
  /* Sent before the connect callback: it is answered, but nobody is left
   * to hear it. */
  request (client, &res);
  wait_for (ctx, &conn.done, WAIT_MS);
  g_assert_null (client);
  spin (ctx, 100);
  g_assert_cmpuint (conn.calls, ==, 1);
  g_assert_cmpuint (res.calls, ==, 0);
  res_clear (&res);
  conn_clear (&conn);
}

/* ---- flood ---- */

typedef struct {
  int fd;
  struct sockaddr_in to;
  gint stop;
  guint sent;
} Flood;

static gpointer
flood_thread (gpointer data)
{
  Flood *f = data;
  gint64 give_up = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  RpStunBuilder b;
  guint8 tid[RP_STUN_TID_LEN];

  /* Valid indications: every one is read, parsed and handed on. */
  rp_stun_random_tid (tid);
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_INDICATION, tid);
  while ((f->sent < 10000 || !g_atomic_int_get (&f->stop)) && g_get_monotonic_time () < give_up) {
    if (sendto (f->fd, b.buf, b.len, 0, (struct sockaddr *) &f->to, sizeof f->to) == (gssize) b.len)
      f->sent++;
  }
  return NULL;
}

/* A consumer slower than the sender: the socket never drains, so only the
 * client's bounded read batch lets the loop get to anything else. */
static void
on_stray (RpStunClient *client, const guint8 *data, gsize len, gpointer user_data)
{
  (*(guint *) user_data)++;
  g_usleep (20);
}

static gboolean
on_flood_timer (gpointer data)
{
  *(gint64 *) data = g_get_monotonic_time ();
  return G_SOURCE_REMOVE;
}

static void
test_udp_flood (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  struct sockaddr_in server = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t sl = sizeof server;
  Flood f = { .to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) } };
  Conn conn = { 0 };
  RpStunClient *client;
  const char *colon;
  guint strays = 0;
  gint64 t0, fired = 0;
  GThread *thread;
  GSource *timer;

  /* The connected client only hears its server: the server floods. */
  f.fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (bind (f.fd, (struct sockaddr *) &server, sizeof server), ==, 0);
  g_assert_cmpint (getsockname (f.fd, (struct sockaddr *) &server, &sl), ==, 0);
  client = connect_client (ctx, RP_TRANSPORT_UDP, ntohs (server.sin_port), "127.0.0.1", NULL, FALSE,
                           &conn);
  colon = strrchr (rp_stun_client_get_info (client)->local_address, ':');
  f.to.sin_port = htons ((guint16) atoi (colon + 1));
  rp_stun_client_set_unsolicited (client, on_stray, &strays);

  t0 = g_get_monotonic_time ();
  timer = g_timeout_source_new (100);
  g_source_set_callback (timer, on_flood_timer, &fired, NULL);
  g_source_attach (timer, ctx);
  thread = g_thread_new ("flood", flood_thread, &f);
  while (fired == 0)
    g_main_context_iteration (ctx, TRUE);
  g_atomic_int_set (&f.stop, 1);
  g_thread_join (thread);
  g_source_unref (timer);
  rp_stun_client_free (client);
  close (f.fd);

  g_assert_cmpint (fired - t0, >=, 100 * MS);
  g_assert_cmpint (fired - t0, <, 500 * MS);
  g_assert_cmpuint (f.sent, >=, 10000);
  g_assert_cmpuint (strays, >, 0);
  g_test_message ("flood: %u sent, %u delivered, timer after %" G_GINT64_FORMAT " ms",
                  f.sent, strays, (fired - t0) / 1000);
  conn_clear (&conn);
}

/* ---- TCP ---- */

static void
test_tcp_split_writes (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Server *s = server_new (TCP_SPLIT, NULL);
  g_autoptr (GSocketAddress) server = lo_addr (s->port);
  RpStunClient *client =
    rp_stun_client_new (RP_TRANSPORT_TCP, server, "127.0.0.1", NULL, FALSE, ctx);
  Conn conn = { 0 };
  Res res = { 0 };

  rp_stun_client_connect (client, on_connect, &conn);
  /* Queued until the connection is up. */
  request (client, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_true (conn.done);
  g_assert_cmpint (conn.status, ==, RP_STUN_NET_OK);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_RESPONSE);
  g_assert_cmpuint (res.retransmissions, ==, 0);
  g_assert_cmpint (rp_stun_client_get_info (client)->connect_us, >, 0);
  g_assert_cmpstr (res.mapped, ==, rp_stun_client_get_info (client)->local_address);
  rp_stun_client_free (client);
  server_free (s);
  res_clear (&res);
  conn_clear (&conn);
}

static void
two_in_one_write (gboolean free_in_first)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Server *s = server_new (TCP_TWO, NULL);
  Conn conn = { 0 };
  Res res[2] = { { 0 } };
  RpStunBuilder b[2];
  RpStunClient *client =
    connect_client (ctx, RP_TRANSPORT_TCP, s->port, "127.0.0.1", NULL, FALSE, &conn);

  for (guint i = 0; i < 2; i++) {
    res[i].free_client = free_in_first;
    res[i].client = &client;
    binding_request (&b[i]);
    rp_stun_client_request (client, b[i].buf, b[i].len, on_response, &res[i]);
  }
  wait_for (ctx, &res[0].done, WAIT_MS);
  if (free_in_first) {
    /* The second response is already in the client's buffer: it must not
     * be delivered to a freed client. */
    g_assert_null (client);
    spin (ctx, 50);
    g_assert_false (res[1].done);
  } else {
    wait_for (ctx, &res[1].done, WAIT_MS);
    for (guint i = 0; i < 2; i++) {
      g_assert_cmpint (res[i].outcome, ==, RP_STUN_TXN_RESPONSE);
      g_assert_cmpmem (res[i].tid, RP_STUN_TID_LEN, b[i].buf + 8, RP_STUN_TID_LEN);
    }
    rp_stun_client_free (client);
  }
  server_free (s);
  res_clear (&res[0]);
  res_clear (&res[1]);
  conn_clear (&conn);
}

static void
test_tcp_two_in_one_write (void)
{
  two_in_one_write (FALSE);
}

static void
test_tcp_free_in_response (void)
{
  two_in_one_write (TRUE);
}

typedef struct {
  guint calls;
  GByteArray *data;
} Unsolicited;

static void
on_unsolicited (RpStunClient *client, const guint8 *data, gsize len, gpointer user_data)
{
  Unsolicited *u = user_data;

  u->calls++;
  g_byte_array_append (u->data, data, (guint) len);
}

static void
test_tcp_channeldata (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Server *s = server_new (TCP_CHANNELDATA, NULL);
  Conn conn = { 0 };
  Res res = { 0 };
  Unsolicited u = { .data = g_byte_array_new () };
  RpStunClient *client =
    connect_client (ctx, RP_TRANSPORT_TCP, s->port, "127.0.0.1", NULL, FALSE, &conn);

  rp_stun_client_set_unsolicited (client, on_unsolicited, &u);
  request (client, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  /* The frame as it was on the stream: 4-byte header, 5 bytes of data, 3 of
   * padding (rp_stun_frame_length); the length field still says 5. Had the
   * padding been miscounted, the response after it would be lost. */
  g_assert_cmpuint (u.calls, ==, 1);
  g_assert_cmpuint (u.data->len, ==, 12);
  g_assert_cmpmem (u.data->data, 9, "\x40\x00\x00\x05hello", 9);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_RESPONSE);
  rp_stun_client_free (client);
  server_free (s);
  g_byte_array_unref (u.data);
  res_clear (&res);
  conn_clear (&conn);
}

static void
expect_tcp_net (TcpMode mode, RpStunNetStatus want)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Server *s = server_new (mode, NULL);
  Conn conn = { 0 };
  Res res = { 0 };
  RpStunClient *client =
    connect_client (ctx, RP_TRANSPORT_TCP, s->port, "127.0.0.1", NULL, FALSE, &conn);

  g_assert_cmpint (conn.status, ==, RP_STUN_NET_OK);
  request (client, &res);
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_NET);
  g_assert_cmpint (res.net, ==, want);
  g_assert_nonnull (res.reason);
  /* The connection is dead: later requests fail at once. */
  {
    Res after = { 0 };
    request (client, &after);
    g_assert_true (after.done);
    g_assert_cmpint (after.outcome, ==, RP_STUN_TXN_NET);
    res_clear (&after);
  }
  rp_stun_client_free (client);
  server_free (s);
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_tcp_garbage (void)
{
  expect_tcp_net (TCP_GARBAGE, RP_STUN_NET_GARBAGE);
}

static void
test_tcp_server_closes (void)
{
  expect_tcp_net (TCP_CLOSE, RP_STUN_NET_CLOSED);
}

static void
refused (gboolean free_in_connect)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GSocketAddress) server = lo_addr (closed_port (SOCK_STREAM));
  RpStunClient *client =
    rp_stun_client_new (RP_TRANSPORT_TCP, server, "127.0.0.1", NULL, FALSE, ctx);
  Conn conn = { .free_client = free_in_connect, .client = &client };
  Res res = { 0 };

  rp_stun_client_connect (client, on_connect, &conn);
  g_assert_false (conn.done);
  request (client, &res);
  wait_for (ctx, &conn.done, WAIT_MS);
  g_assert_cmpint (conn.status, ==, RP_STUN_NET_REFUSED);
  g_assert_nonnull (strstr (conn.reason, "connect"));
  if (free_in_connect) {
    g_assert_null (client);
    spin (ctx, 50);
    g_assert_cmpuint (res.calls, ==, 0);
  } else {
    /* The queued request fails with the connection, once. */
    g_assert_cmpuint (res.calls, ==, 1);
    g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_NET);
    g_assert_cmpint (res.net, ==, RP_STUN_NET_REFUSED);
    rp_stun_client_free (client);
  }
  g_assert_cmpuint (conn.calls, ==, 1);
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_tcp_refused (void)
{
  refused (FALSE);
}

static void
test_tcp_free_in_connect (void)
{
  refused (TRUE);
}

/* A listener whose accept queue is full drops further SYNs (Linux), which is
 * what a firewall that drops the port looks like from here: no SYN-ACK, no
 * reset. The connect budget turns that into FILTERED, and a queued request
 * fails with it, once. */
static int
full_listener (guint16 *port, int *filler)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t sl = sizeof sin;

  g_assert_cmpint (bind (fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  g_assert_cmpint (listen (fd, 0), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sin, &sl), ==, 0);
  *port = ntohs (sin.sin_port);
  /* Backlog 0 holds one connection: this one, never accepted. */
  *filler = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (connect (*filler, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  return fd;
}

static void
test_tcp_filtered (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  int filler, lfd;
  guint16 port;
  Conn conn = { 0 };
  Res res = { 0 };
  gint64 t0;

  lfd = full_listener (&port, &filler);
  {
    g_autoptr (GSocketAddress) server = lo_addr (port);
    RpStunClient *client = rp_stun_client_new (RP_TRANSPORT_TCP, server, NULL, NULL, FALSE, ctx);

    rp_stun_client_set_connect_timeout (client, 300000);
    t0 = g_get_monotonic_time ();
    rp_stun_client_connect (client, on_connect, &conn);
    request (client, &res);
    wait_for (ctx, &conn.done, WAIT_MS);
    g_assert_true (conn.done);
    g_assert_cmpint (conn.status, ==, RP_STUN_NET_FILTERED);
    g_assert_cmpint (g_get_monotonic_time () - t0, >=, 300000);
    g_assert_nonnull (strstr (conn.reason, "no answer to the TCP handshake within 0.3 s"));
    g_assert_cmpstr (rp_stun_net_status_to_string (conn.status), ==, "filtered");
    spin (ctx, 20);
    g_assert_cmpuint (res.calls, ==, 1);
    g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_NET);
    g_assert_cmpint (res.net, ==, RP_STUN_NET_FILTERED);
    g_assert_cmpuint (conn.calls, ==, 1);
    rp_stun_client_free (client);
  }
  close (filler);
  close (lfd);
  res_clear (&res);
  conn_clear (&conn);
}

/* ---- TLS ---- */

static SSL_CTX *
client_ctx (const char *ca_file)
{
  RpTlsOptions options = { .ca_file = ca_file };
  g_autoptr (GError) error = NULL;
  SSL_CTX *ctx = rp_tls_client_ctx_new (&options, &error);

  g_assert_no_error (error);
  return ctx;
}

static void
test_tls_untrusted (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Server *s;
  SSL_CTX *cctx = client_ctx (NULL);   /* the system store does not know our cert */
  Conn conn = { 0 };
  RpStunClient *client;

  tls_setup ();
  s = server_new (TLS_ANSWER, tls.server);
  client = connect_client (ctx, RP_TRANSPORT_TLS, s->port, "127.0.0.1", cctx, FALSE, &conn);
  g_assert_cmpint (conn.status, ==, RP_STUN_NET_TLS_UNTRUSTED);
  g_assert_nonnull (strstr (conn.reason, "self-signed"));
  g_assert_false (rp_stun_client_get_info (client)->tls_verified);
  g_assert_cmpint (rp_stun_client_get_info (client)->tls_verify_result, ==,
                   X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  rp_stun_client_free (client);
  server_free (s);
  SSL_CTX_free (cctx);
  conn_clear (&conn);
}

static void
test_tls_free_in_connect (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Server *s;
  SSL_CTX *cctx = client_ctx (NULL);
  g_autoptr (GSocketAddress) server = NULL;
  RpStunClient *client;
  Conn conn = { .free_client = TRUE, .client = &client };
  Res res = { 0 };

  tls_setup ();
  s = server_new (TLS_ANSWER, tls.server);
  server = lo_addr (s->port);
  client = rp_stun_client_new (RP_TRANSPORT_TLS, server, "127.0.0.1", cctx, FALSE, ctx);
  rp_stun_client_connect (client, on_connect, &conn);
  request (client, &res);
  /* Freed from the callback that reports the untrusted certificate, with
   * the handshake's SSL and a queued request still attached. */
  wait_for (ctx, &conn.done, WAIT_MS);
  g_assert_cmpint (conn.status, ==, RP_STUN_NET_TLS_UNTRUSTED);
  g_assert_null (client);
  spin (ctx, 50);
  g_assert_cmpuint (res.calls, ==, 0);
  server_free (s);
  SSL_CTX_free (cctx);
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_tls_name_mismatch (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Server *s;
  SSL_CTX *cctx;
  Conn conn = { 0 };
  RpStunClient *client;

  tls_setup ();
  cctx = client_ctx (tls.ca_file);
  s = server_new (TLS_ANSWER, tls.server);
  /* Trusted issuer, but the certificate names 127.0.0.1 only. */
  client = connect_client (ctx, RP_TRANSPORT_TLS, s->port, "turn.example.org", cctx, FALSE, &conn);
  g_assert_cmpint (conn.status, ==, RP_STUN_NET_TLS_UNTRUSTED);
  g_assert_nonnull (strstr (conn.reason, "name mismatch"));
  g_assert_nonnull (strstr (conn.reason, "turn.example.org"));
  rp_stun_client_free (client);
  server_free (s);
  SSL_CTX_free (cctx);
  conn_clear (&conn);
}

static void
tls_answered (const char *ca_file, gboolean insecure)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Server *s;
  SSL_CTX *cctx;
  Conn conn = { 0 };
  Res res = { 0 };
  RpStunClient *client;
  const RpStunClientInfo *info;

  tls_setup ();
  cctx = client_ctx (ca_file);
  s = server_new (TLS_ANSWER, tls.server);
  if (insecure) {
    g_autoptr (GSocketAddress) server = lo_addr (s->port);

    /* Queued before the handshake, written through TLS once it is done. */
    client = rp_stun_client_new (RP_TRANSPORT_TLS, server, "127.0.0.1", cctx, insecure, ctx);
    rp_stun_client_connect (client, on_connect, &conn);
    request (client, &res);
  } else {
    client = connect_client (ctx, RP_TRANSPORT_TLS, s->port, "127.0.0.1", cctx, insecure, &conn);
    request (client, &res);
  }
  wait_for (ctx, &res.done, WAIT_MS);
  g_assert_true (conn.done);
  g_assert_cmpint (conn.status, ==, RP_STUN_NET_OK);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_RESPONSE);
  info = rp_stun_client_get_info (client);
  g_assert_cmpstr (res.mapped, ==, info->local_address);
  g_assert_nonnull (info->tls_version);
  g_assert_true (g_str_has_prefix (info->tls_version, "TLSv1."));
  g_assert_nonnull (info->tls_cipher);
  g_assert_cmpint (info->connect_us, >, 0);
  g_assert_cmpint (info->tls_us, >, 0);
  g_assert_nonnull (strstr (info->cert_subject, "rtcprobe test"));
  g_assert_cmpint (info->cert_not_after, >, g_get_real_time () / G_USEC_PER_SEC);
  if (insecure) {
    /* Completed anyway, and what would have failed is on record. */
    g_assert_false (info->tls_verified);
    g_assert_cmpint (info->tls_verify_result, ==, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  } else {
    g_assert_true (info->tls_verified);
    g_assert_cmpint (info->tls_verify_result, ==, X509_V_OK);
  }
  rp_stun_client_free (client);
  server_free (s);
  SSL_CTX_free (cctx);
  res_clear (&res);
  conn_clear (&conn);
}

static void
test_tls_trusted (void)
{
  tls_setup ();
  tls_answered (tls.ca_file, FALSE);
}

static void
test_tls_insecure (void)
{
  tls_answered (NULL, TRUE);
}

static void
test_tls_plain_server (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Server *s = server_new (TCP_PLAIN_REPLY, NULL);
  SSL_CTX *cctx = client_ctx (NULL);
  Conn conn = { 0 };
  RpStunClient *client =
    connect_client (ctx, RP_TRANSPORT_TLS, s->port, "127.0.0.1", cctx, FALSE, &conn);

  /* "HTTP/1.1 ..." is no ServerHello; a reset may come first on a
   * loaded machine. */
  g_assert_true (conn.status == RP_STUN_NET_TLS_HANDSHAKE || conn.status == RP_STUN_NET_CLOSED);
  g_assert_nonnull (conn.reason);
  g_assert_null (rp_stun_client_get_info (client)->tls_version);
  rp_stun_client_free (client);
  server_free (s);
  SSL_CTX_free (cctx);
  conn_clear (&conn);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stun-client/udp/answered", test_udp_answered);
  g_test_add_func ("/stun-client/udp/retransmit", test_udp_retransmit);
  g_test_add_func ("/stun-client/udp/timeout", test_udp_timeout);
  g_test_add_func ("/stun-client/udp/garbage", test_udp_garbage);
  g_test_add_func ("/stun-client/udp/text", test_udp_text);
  g_test_add_func ("/stun-client/udp/trailing", test_udp_trailing);
  g_test_add_func ("/stun-client/udp/wrong-tid", test_udp_wrong_tid);
  g_test_add_func ("/stun-client/udp/refused", test_udp_refused);
  g_test_add_func ("/stun-client/udp/unconnected-other-port", test_udp_unconnected_other_port);
  g_test_add_func ("/stun-client/udp/free-in-response", test_udp_free_in_response);
  g_test_add_func ("/stun-client/udp/free-in-connect", test_udp_free_in_connect);
  g_test_add_func ("/stun-client/udp/flood", test_udp_flood);
  g_test_add_func ("/stun-client/tcp/split-writes", test_tcp_split_writes);
  g_test_add_func ("/stun-client/tcp/two-in-one-write", test_tcp_two_in_one_write);
  g_test_add_func ("/stun-client/tcp/free-in-response", test_tcp_free_in_response);
  g_test_add_func ("/stun-client/tcp/channeldata", test_tcp_channeldata);
  g_test_add_func ("/stun-client/tcp/garbage", test_tcp_garbage);
  g_test_add_func ("/stun-client/tcp/server-closes", test_tcp_server_closes);
  g_test_add_func ("/stun-client/tcp/refused", test_tcp_refused);
  g_test_add_func ("/stun-client/tcp/free-in-connect", test_tcp_free_in_connect);
  g_test_add_func ("/stun-client/tcp/filtered", test_tcp_filtered);
  g_test_add_func ("/stun-client/tls/untrusted", test_tls_untrusted);
  g_test_add_func ("/stun-client/tls/free-in-connect", test_tls_free_in_connect);
  g_test_add_func ("/stun-client/tls/name-mismatch", test_tls_name_mismatch);
  g_test_add_func ("/stun-client/tls/trusted", test_tls_trusted);
  g_test_add_func ("/stun-client/tls/insecure", test_tls_insecure);
  g_test_add_func ("/stun-client/tls/plain-server", test_tls_plain_server);
  rc = g_test_run ();
  tls_teardown ();
  return rc;
}
