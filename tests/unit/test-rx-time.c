/* Kernel receive timestamps onto the monotonic clock (common/rx-time.h):
 * a control message built here with a known CLOCK_REALTIME stamp, converted
 * against a known reading of both clocks; then a real datagram over
 * loopback, whose stamp must lie between the send and the read. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "common/rx-time.h"

#define SEC 1000000000

static gint64
convert (RpRxControl *control, gint64 stamp_ns, const RpRxNow *now, gboolean *kernel)
{
  struct msghdr mh = { .msg_control = control->buf, .msg_controllen = sizeof control->buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  struct timespec ts = { stamp_ns / SEC, stamp_ns % SEC };

  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_TIMESTAMPNS;
  c->cmsg_len = CMSG_LEN (sizeof ts);
  memcpy (CMSG_DATA (c), &ts, sizeof ts);
  return rp_rx_time_from_msg_at (&mh, now, kernel);
}

static void
test_convert (void)
{
  RpRxControl control;
  /* Monotonic 5 s, real time an arbitrary date, in ns. */
  const RpRxNow now = { 5 * (gint64) SEC + 250, 1700000000 * (gint64) SEC + 999 };
  struct msghdr none = { 0 };
  gboolean kernel = FALSE;

  /* 300 us old: 300 us before monotonic now, to the us. */
  g_assert_cmpint (convert (&control, now.real_ns - 300000, &now, &kernel), ==, 5000000 - 300);
  g_assert_true (kernel);
  g_assert_cmpint (convert (&control, now.real_ns - 999999999, &now, &kernel), ==, 4000000);
  g_assert_true (kernel);
  /* A stamp from the future or older than a second (a clock step): now. */
  g_assert_cmpint (convert (&control, now.real_ns + 1000, &now, &kernel), ==, 5000000);
  g_assert_false (kernel);
  g_assert_cmpint (convert (&control, now.real_ns - 2 * (gint64) SEC, &now, &kernel), ==, 5000000);
  g_assert_false (kernel);
  /* No control message at all: now. */
  g_assert_cmpint (rp_rx_time_from_msg_at (&none, &now, &kernel), ==, 5000000);
  g_assert_false (kernel);
}

/* A datagram to ourselves, read 20 ms after it was sent: its receive time
 * is the kernel's, so it lies before the read by about those 20 ms. The
 * kernel turns arrival stamps on a little after the first socket asks (a
 * deferred switch); until then it stamps a datagram when it is read, so a
 * few tries are allowed. A receive time taken at the read fails every one. */
static void
test_loopback (void)
{
  int rx = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int tx = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t alen = sizeof a;
  gboolean early = FALSE;

  g_assert_cmpint (rx, >=, 0);
  g_assert_cmpint (tx, >=, 0);
  g_assert_cmpint (bind (rx, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (getsockname (rx, (struct sockaddr *) &a, &alen), ==, 0);
  if (!rp_rx_time_enable (rx)) {
    g_test_skip_printf ("SO_TIMESTAMPNS: %s", g_strerror (errno));
    close (rx);
    close (tx);
    return;
  }
  for (guint tries = 0; tries < 10 && !early; tries++) {
    char buf[16];
    struct iovec iov = { buf, sizeof buf };
    RpRxControl control;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf };
    RpRxNow now;
    gint64 sent, t;
    gboolean kernel = FALSE;

    sent = g_get_monotonic_time ();
    g_assert_cmpint (sendto (tx, "x", 1, 0, (struct sockaddr *) &a, sizeof a), ==, 1);
    g_usleep (20000);
    g_assert_cmpint (recvmsg (rx, &mh, 0), ==, 1);
    rp_rx_now (&now);
    t = rp_rx_time_from_msg_at (&mh, &now, &kernel);
    g_assert_true (kernel);
    /* Never before the send; a loaded machine may run us late. */
    g_assert_cmpint (t, >=, sent - 1);
    early = t <= now.mono_ns / 1000 - 15000;
  }
  g_assert_true (early);
  close (rx);
  close (tx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rx-time/convert", test_convert);
  g_test_add_func ("/rx-time/loopback", test_loopback);
  return g_test_run ();
}
