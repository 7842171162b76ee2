/* Receive times that measure the network rather than our loop: the kernel's
 * SO_TIMESTAMPNS stamp of a datagram (or, on TCP, of the last segment a read
 * returned), moved onto the monotonic clock every interval in rtcprobe is
 * measured on. */
#pragma once

#include <glib.h>
#include <sys/socket.h>
#include <time.h>

G_BEGIN_DECLS

/* Room for the stamp's control message, aligned for CMSG_FIRSTHDR. */
typedef union {
  char buf[CMSG_SPACE (sizeof (struct timespec))];
  struct cmsghdr align;
} RpRxControl;

/* Both clocks (ns) read once, after a read returned: a batch of datagrams
 * is converted against one reading. */
typedef struct {
  gint64 mono_ns;
  gint64 real_ns;
} RpRxNow;

/* Asks the kernel to stamp datagrams received on fd; FALSE when it cannot.
 * The kernel switches arrival stamps on a little after the first socket of
 * the system asks; what arrives before that is stamped when it is read. */
gboolean rp_rx_time_enable (int fd);
/* The monotonic receive time (µs) of the datagram recvmsg() just filled mh
 * with; now when it carries no stamp. */
gint64 rp_rx_time_from_msg (struct msghdr *mh);
void rp_rx_now (RpRxNow *now);
/* The same against a reading taken after the read (recvmmsg: one for the
 * batch); *kernel (may be NULL) says whether mh carried a stamp. */
gint64 rp_rx_time_from_msg_at (struct msghdr *mh, const RpRxNow *now, gboolean *kernel);

G_END_DECLS
