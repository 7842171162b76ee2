/* Tests for the packet engine (probe/net/packet-engine.c) over two
 * connected UDP sockets on 127.0.0.1: the schedule runs timers in the
 * order of their absolute times whatever order they were set in; queued
 * ChannelData leaves framed (RFC 8656 12.4: channel, length, payload) in
 * one sendmmsg per socket with its lateness measured; everything ready is
 * drained in one wake-up, ChannelData to one function and the rest (STUN)
 * to the other, each with a receive time; a removed socket is not read. */
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe/net/packet-engine.h"

typedef struct {
  GArray *order;                /* timer ids in the order they ran */
  gint64 last_due;
  guint data, other;
  guint16 last_channel;
  gsize data_bytes;
  gint64 min_rx, max_rx;
} Seen;

static void
udp_pair (int *a, int *b)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  struct sockaddr_in ab, bb;
  socklen_t len = sizeof ab;

  *a = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  *b = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  g_assert_cmpint (bind (*a, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (bind (*b, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (getsockname (*a, (struct sockaddr *) &ab, &len), ==, 0);
  len = sizeof bb;
  g_assert_cmpint (getsockname (*b, (struct sockaddr *) &bb, &len), ==, 0);
  g_assert_cmpint (connect (*a, (struct sockaddr *) &bb, sizeof bb), ==, 0);
  g_assert_cmpint (connect (*b, (struct sockaddr *) &ab, sizeof ab), ==, 0);
}

static void
on_timer (RpEngineTimer *t, gint64 due_us, gpointer data)
{
  Seen *seen = data;

  g_assert_cmpint (due_us, >=, seen->last_due);
  seen->last_due = due_us;
  g_array_append_val (seen->order, due_us);
}

static void
test_schedule_order (void)
{
  g_autoptr (RpPacketEngine) e = rp_packet_engine_new (NULL, 200, 64, NULL);
  Seen seen = { g_array_new (FALSE, FALSE, sizeof (gint64)) };
  RpEngineTimer t[50];
  gint64 now = g_get_monotonic_time ();
  gint64 end;

  for (guint i = 0; i < G_N_ELEMENTS (t); i++) {
    rp_engine_timer_init (&t[i], on_timer, &seen);
    /* Out of order, some equal, some in the past. */
    rp_packet_engine_schedule (e, &t[i], now + ((i * 7919) % 50) * 400 - 2000);
  }
  /* Moved and removed ones. */
  rp_packet_engine_schedule (e, &t[3], now + 30000);
  rp_packet_engine_unschedule (e, &t[4]);
  rp_packet_engine_unschedule (e, &t[4]);
  end = now + 200000;
  while (seen.order->len < G_N_ELEMENTS (t) - 1 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (seen.order->len, ==, G_N_ELEMENTS (t) - 1);
  g_assert_cmpint (g_array_index (seen.order, gint64, seen.order->len - 1), ==, now + 30000);
  /* Nothing ran before its time. */
  g_assert_cmpint (g_get_monotonic_time (), >=, now + 30000);
  g_array_unref (seen.order);
}

static void
on_data (RpEngineSocket *s, guint16 channel, guint8 *payload, gsize len, gint64 rx_us,
         gpointer data)
{
  Seen *seen = data;

  seen->data++;
  seen->last_channel = channel;
  seen->data_bytes += len;
  g_assert_cmpuint (payload[0], ==, 0xAB);
  seen->min_rx = seen->min_rx == 0 ? rx_us : MIN (seen->min_rx, rx_us);
  seen->max_rx = MAX (seen->max_rx, rx_us);
}

static void
on_other (RpEngineSocket *s, const guint8 *d, gsize len, gint64 rx_us, gpointer data)
{
  Seen *seen = data;

  seen->other++;
  g_assert_cmpuint (len, ==, d[0] == 0x01 ? 20 : 8);
}

static void
test_receive_batch (void)
{
  g_autoptr (RpPacketEngine) e = rp_packet_engine_new (NULL, 200, 64, NULL);
  Seen seen = { 0 };
  int a, b;
  RpEngineSocket *s;
  guint8 cd[104] = { 0x40, 0x01, 0, 100, 0xAB };
  guint8 stun[20] = { 0x01, 0x01, 0, 0, 0x21, 0x12, 0xA4, 0x42 };
  guint8 bad_len[8] = { 0x40, 0x01, 0, 200, 0xAB };   /* claims more than it has */
  gint64 before = g_get_monotonic_time (), end;

  udp_pair (&a, &b);
  s = rp_packet_engine_add_socket (e, a, on_data, on_other, &seen, NULL);
  g_assert_nonnull (s);
  g_assert_true (rp_packet_engine_kernel_timestamps (e));
  /* More than two batches, sent before the loop runs. */
  for (guint i = 0; i < 70; i++)
    g_assert_cmpint (send (b, cd, sizeof cd, 0), ==, sizeof cd);
  g_assert_cmpint (send (b, stun, sizeof stun, 0), ==, sizeof stun);
  g_assert_cmpint (send (b, bad_len, sizeof bad_len, 0), ==, sizeof bad_len);
  end = before + G_USEC_PER_SEC;
  while (seen.data + seen.other < 72 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (seen.data, ==, 70);
  g_assert_cmpuint (seen.data_bytes, ==, 70 * 100);
  g_assert_cmpuint (seen.last_channel, ==, 0x4001);
  /* The STUN message and the ChannelData that lies about its length. */
  g_assert_cmpuint (seen.other, ==, 2);
  /* Kernel stamps: taken when the datagrams arrived, before the loop ran. */
  g_assert_cmpint (seen.min_rx, >=, before);
  g_assert_cmpint (seen.max_rx, <=, g_get_monotonic_time ());
  /* 72 datagrams in batches of 32: three recvmmsg calls can do it. */
  g_assert_cmpuint (rp_packet_engine_get_counts (e)->received, ==, 72);
  g_assert_cmpuint (rp_packet_engine_get_counts (e)->recv_calls, <=, 6);
  rp_packet_engine_remove_socket (e, s);
  g_assert_cmpint (send (b, cd, sizeof cd, 0), ==, sizeof cd);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (seen.data, ==, 70);
  close (a);
  close (b);
}

static void
test_send_framed (void)
{
  g_autoptr (RpPacketEngine) e = rp_packet_engine_new (NULL, 200, 8, NULL);
  Seen seen = { 0 };
  RpHistogram late;
  int a, b;
  RpEngineSocket *s;
  guint8 buf[512];
  gint64 due = g_get_monotonic_time ();

  rp_histogram_init (&late);
  rp_packet_engine_set_lateness (e, &late);
  udp_pair (&a, &b);
  s = rp_packet_engine_add_socket (e, a, on_data, on_other, &seen, NULL);
  /* 12 packets through 8 slots: the arena flushes when it is full. */
  for (guint i = 0; i < 12; i++) {
    guint8 *p = rp_packet_engine_prepare (e, s, 0x4000, due);
    g_assert_nonnull (p);
    memset (p, (int) i, 150);
    rp_packet_engine_commit (e, s, 150);
  }
  /* A second prepare before the commit is refused. */
  g_assert_nonnull (rp_packet_engine_prepare (e, s, 0x4000, 0));
  g_assert_null (rp_packet_engine_prepare (e, s, 0x4000, 0));
  rp_packet_engine_commit (e, s, 0);
  /* The loop flushes on its next wake-up: make one with a timer. */
  {
    Seen ts = { g_array_new (FALSE, FALSE, sizeof (gint64)) };
    RpEngineTimer t;
    rp_engine_timer_init (&t, on_timer, &ts);
    rp_packet_engine_schedule (e, &t, g_get_monotonic_time ());
    while (ts.order->len == 0)
      g_main_context_iteration (NULL, TRUE);
    g_array_unref (ts.order);
  }
  for (guint i = 0; i < 12; i++) {
    gssize n = recv (b, buf, sizeof buf, 0);
    g_assert_cmpint (n, ==, 154);
    g_assert_cmpuint (buf[0], ==, 0x40);
    g_assert_cmpuint (buf[1], ==, 0x00);
    g_assert_cmpuint (buf[2] << 8 | buf[3], ==, 150);
    g_assert_cmpuint (buf[4], ==, i);
  }
  /* The empty ChannelData message: a header alone. */
  g_assert_cmpint (recv (b, buf, sizeof buf, 0), ==, 4);
  g_assert_cmpint (recv (b, buf, sizeof buf, 0), ==, -1);
  g_assert_cmpint (errno, ==, EAGAIN);
  g_assert_cmpuint (late.count, ==, 12);
  g_assert_cmpuint (rp_packet_engine_get_counts (e)->sent, ==, 13);
  g_assert_cmpuint (rp_packet_engine_get_counts (e)->send_calls, <=, 4);
  rp_packet_engine_remove_socket (e, s);
  close (a);
  close (b);
}

static void
test_bad_sizes (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (rp_packet_engine_new (NULL, 0, 8, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (rp_packet_engine_new (NULL, RP_ENGINE_MTU, 8, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/packet-engine/schedule-order", test_schedule_order);
  g_test_add_func ("/packet-engine/receive-batch", test_receive_batch);
  g_test_add_func ("/packet-engine/send-framed", test_send_framed);
  g_test_add_func ("/packet-engine/bad-sizes", test_bad_sizes);
  return g_test_run ();
}
