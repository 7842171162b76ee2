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

static gint64
ns_of (clockid_t id)
{
  struct timespec ts;

  clock_gettime (id, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Nanoseconds, and the monotonic reading on both sides of the real one: a
 * preemption between the readings would shift every stamp of the batch by
 * its length, so a pair further apart than 2 us is read again. */
void
rp_rx_now (RpRxNow *now)
{
  for (guint tries = 0; tries < 4; tries++) {
    gint64 a = ns_of (CLOCK_MONOTONIC), r = ns_of (CLOCK_REALTIME), b = ns_of (CLOCK_MONOTONIC);
    now->mono_ns = a + (b - a) / 2;
    now->real_ns = r;
    if (b - a <= 2000)
      break;
  }
}

gint64
rp_rx_time_from_msg_at (struct msghdr *mh, const RpRxNow *now, gboolean *kernel)
{
  if (kernel != NULL)
    *kernel = FALSE;
  if (mh->msg_control == NULL || mh->msg_controllen == 0)
    return now->mono_ns / 1000;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (mh); c != NULL; c = CMSG_NXTHDR (mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      gint64 age;
      memcpy (&ts, CMSG_DATA (c), sizeof ts);
      age = now->real_ns - ((gint64) ts.tv_sec * 1000000000 + ts.tv_nsec);
      /* A clock step between the two readings must not produce nonsense. */
      if (age < 0 || age >= 1000000000)
        return now->mono_ns / 1000;
      if (kernel != NULL)
        *kernel = TRUE;
      return (now->mono_ns - age) / 1000;
    }
  }
  return now->mono_ns / 1000;
}

gint64
rp_rx_time_from_msg (struct msghdr *mh)
{
  RpRxNow now;

  rp_rx_now (&now);
  return rp_rx_time_from_msg_at (mh, &now, NULL);
}
