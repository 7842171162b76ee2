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

G_END_DECLS
