/* The kernel's floor for one UDP datagram on loopback: the process CPU time
 * (user + system, CLOCK_PROCESS_CPUTIME_ID) to send a datagram from one
 * socket and receive it on another in the same process, with no timer, no
 * poll and no work on the payload. Loopback delivery (the receive path up
 * to the socket queue) runs in the sender's system call, so it is counted
 * here as it is in any tool measured on loopback.
 *
 * Two shapes, each over PAIRS socket pairs, ROUNDS rounds:
 *   own:     every datagram on its own socket, one sendmsg and one recvmsg
 *            each, as TURN makes it (an allocation is a 5-tuple);
 *   batched: every pair's datagrams of a round in one sendmmsg and one
 *            recvmmsg (64 at a time), the most a single 5-tuple allows.
 * Prints "shape pairs datagrams cpu_us_per_datagram" lines.
 *   udp-floor [PAIRS [ROUNDS [SIZE]]]    (1000 100 102 by default)
 * Traffic: 127.0.0.1 only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

typedef struct {
  int tx, rx;
} Pair;

static double
cpu_now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A bound loopback UDP socket with a receive buffer for a round's burst. */
static int
udp_socket (void)
{
  struct sockaddr_in a = { .sin_family = AF_INET };
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int buf = 4 << 20;

  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || bind (fd, (struct sockaddr *) &a, sizeof a) < 0)
    return -1;
  (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  return fd;
}

static int
open_pairs (Pair *p, int n)
{
  for (int i = 0; i < n; i++) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;

    p[i].tx = udp_socket ();
    p[i].rx = udp_socket ();
    if (p[i].tx < 0 || p[i].rx < 0 || getsockname (p[i].rx, (struct sockaddr *) &a, &len) < 0 ||
        connect (p[i].tx, (struct sockaddr *) &a, len) < 0)
      return -1;
  }
  return 0;
}

/* One datagram per pair per round, each its own sendmsg and recvmsg.
 * Returns the datagrams received. */
static long
run_own (Pair *p, int n, int rounds, char *buf, size_t size)
{
  long got = 0;

  for (int r = 0; r < rounds; r++) {
    for (int i = 0; i < n; i++)
      (void) send (p[i].tx, buf, size, MSG_DONTWAIT);
    for (int i = 0; i < n; i++)
      if (recv (p[i].rx, buf, size, MSG_DONTWAIT) > 0)
        got++;
  }
  return got;
}

/* The same datagrams on pair 0 alone, BATCH per system call. */
static long
run_batched (Pair *p, int n, int rounds, char *buf, size_t size)
{
  struct mmsghdr m[BATCH];
  struct iovec iov[BATCH];
  long got = 0;

  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = buf;
    iov[i].iov_len = size;
  }
  for (int r = 0; r < rounds; r++) {
    for (int left = n; left > 0;) {
      int k = left < BATCH ? left : BATCH, sent;

      memset (m, 0, sizeof m);
      for (int i = 0; i < k; i++) {
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
      }
      sent = sendmmsg (p[0].tx, m, (unsigned) k, MSG_DONTWAIT);
      if (sent <= 0)
        break;
      left -= sent;
      for (int i = 0; i < sent; i++)
        m[i].msg_len = 0;
      int n_got = recvmmsg (p[0].rx, m, (unsigned) sent, MSG_DONTWAIT, NULL);
      if (n_got > 0)
        got += n_got;
    }
  }
  return got;
}

int
main (int argc, char **argv)
{
  int n = argc > 1 ? atoi (argv[1]) : 1000;
  int rounds = argc > 2 ? atoi (argv[2]) : 100;
  size_t size = argc > 3 ? (size_t) atoi (argv[3]) : 102;
  Pair *p;
  char buf[1500] = { 0 };
  double t0, t1, t2;
  long own, batched;

  if (n < 1 || n > 5000 || rounds < 1 || size < 1 || size > sizeof buf) {
    fprintf (stderr, "udp-floor: PAIRS 1-5000, ROUNDS >= 1, SIZE 1-1500\n");
    return 2;
  }
  p = calloc ((size_t) n, sizeof *p);
  if (p == NULL || open_pairs (p, n) < 0) {
    perror ("udp-floor: sockets");
    return 1;
  }
  t0 = cpu_now_us ();
  own = run_own (p, n, rounds, buf, size);
  t1 = cpu_now_us ();
  batched = run_batched (p, n, rounds, buf, size);
  t2 = cpu_now_us ();
  if (own == 0 || batched == 0) {
    fprintf (stderr, "udp-floor: no datagram came back\n");
    return 1;
  }
  printf ("own %d %ld %.3f\n", n, own, (t1 - t0) / own);
  printf ("batched %d %ld %.3f\n", n, batched, (t2 - t1) / batched);
  return 0;
}
