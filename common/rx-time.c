/* Kernel receive timestamps on the monotonic clock (see rx-time.h). The
 * stamp is CLOCK_REALTIME; the packet's age is the same on both clocks, so
 * monotonic now minus that age is its monotonic arrival time. */
#include "common/rx-time.h"

#include <string.h>
#include <time.h>

gboolean
rp_rx_time_enable (int fd)
{
  int one = 1;

  return setsockopt (fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
}

gint64
rp_rx_time_from_msg (struct msghdr *mh)
{
  gint64 now_mono = g_get_monotonic_time ();

  return rp_rx_time_from_msg_at (mh, now_mono, g_get_real_time ());
}

gint64
rp_rx_time_from_msg_at (struct msghdr *mh, gint64 now_mono, gint64 now_real)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR (mh); c != NULL; c = CMSG_NXTHDR (mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      gint64 age;
      memcpy (&ts, CMSG_DATA (c), sizeof ts);
      age = now_real - ((gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000);
      /* A clock step between the two readings must not produce nonsense. */
      return age >= 0 && age < G_USEC_PER_SEC ? now_mono - age : now_mono;
    }
  }
  return now_mono;
}
