/* Kernel receive timestamps on the monotonic clock (see rx-time.h). The
 * stamp is CLOCK_REALTIME; the packet's age is the same on both clocks, so
 * monotonic now minus that age is its monotonic arrival time. */
#include "common/rx-time.h"

#include <string.h>

gboolean
rp_rx_time_enable (int fd)
{
  int one = 1;

  return setsockopt (fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
}

void
rp_rx_now (RpRxNow *now)
{
  now->mono_us = g_get_monotonic_time ();
  now->real_us = g_get_real_time ();
}

gint64
rp_rx_time_from_msg_at (struct msghdr *mh, const RpRxNow *now, gboolean *kernel)
{
  if (kernel != NULL)
    *kernel = FALSE;
  if (mh->msg_control == NULL || mh->msg_controllen == 0)
    return now->mono_us;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (mh); c != NULL; c = CMSG_NXTHDR (mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      gint64 age;
      memcpy (&ts, CMSG_DATA (c), sizeof ts);
      age = now->real_us - ((gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000);
      /* A clock step between the two readings must not produce nonsense. */
      if (age < 0 || age >= G_USEC_PER_SEC)
        return now->mono_us;
      if (kernel != NULL)
        *kernel = TRUE;
      return now->mono_us - age;
    }
  }
  return now->mono_us;
}

gint64
rp_rx_time_from_msg (struct msghdr *mh)
{
  RpRxNow now;

  rp_rx_now (&now);
  return rp_rx_time_from_msg_at (mh, &now, NULL);
}
