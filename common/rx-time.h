/* Receive times that measure the network rather than our loop: the kernel's
 * SO_TIMESTAMPNS stamp of a datagram, moved onto the monotonic clock every
 * interval in rtcprobe is measured on. */
#pragma once

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

/* Asks the kernel to stamp datagrams received on fd; FALSE when it cannot. */
gboolean rp_rx_time_enable (int fd);
/* The monotonic receive time (µs) of the datagram recvmsg() just filled mh
 * with; now when it carries no stamp. */
gint64 rp_rx_time_from_msg (struct msghdr *mh);
/* The same for a batch (recvmmsg): the clocks read once for all of its
 * messages, now_mono and now_real (g_get_monotonic_time, g_get_real_time)
 * taken after the batch arrived. */
gint64 rp_rx_time_from_msg_at (struct msghdr *mh, gint64 now_mono, gint64 now_real);

G_END_DECLS
