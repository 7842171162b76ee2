/* STUN client transaction timer (RFC 8489 6.2.1 for UDP, 6.2.2 for TCP/TLS).
 * It owns no clock and no socket: the caller sends the request, starts the
 * timer, and then calls rp_stun_timer_tick() at or after
 * rp_stun_timer_next_us() to learn whether to send again or give up. With the
 * defaults the sends happen at 0, 500, 1500, 3500, 7500, 15500 and 31500 ms
 * and the transaction times out at 39500 ms, the example of 6.2.1. */
#include "stun/stun-timer.h"

/* Bounds that keep every product below in gint64 range whatever the caller
 * passes: 2^31 * 60 s and G_MAXUINT * 60 s are both far below 2^63 us. */
#define MAX_RC 32
#define MAX_RTO_US (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)

void
rp_stun_timer_start (RpStunTimer *t, gint64 now_us, gboolean reliable, gint64 initial_rto_us,
                     guint rc, guint rm)
{
  /* 0 selects the RFC 8489 default for each parameter */
  if (initial_rto_us <= 0)
    initial_rto_us = RP_STUN_DEFAULT_RTO_US;
  if (initial_rto_us > MAX_RTO_US)
    initial_rto_us = MAX_RTO_US;
  if (rc == 0)
    rc = RP_STUN_DEFAULT_RC;
  if (rc > MAX_RC)
    rc = MAX_RC;
  if (rm == 0)
    rm = RP_STUN_DEFAULT_RM;

  t->reliable = reliable;
  t->rto_us = initial_rto_us;
  t->max_sends = reliable ? 1 : rc;
  t->rm = rm;
  t->sends = 1;
  if (reliable)
    /* RFC 8489 6.2.2: no retransmission; fail after Ti = 39.5 s */
    t->next_us = now_us + RP_STUN_RELIABLE_TI_US;
  else if (t->sends >= t->max_sends)
    t->next_us = now_us + (gint64) rm * initial_rto_us;
  else
    t->next_us = now_us + initial_rto_us;
}

RpStunTimerAction
rp_stun_timer_tick (RpStunTimer *t, gint64 now_us)
{
  if (now_us < t->next_us)
    return RP_STUN_TIMER_WAIT;
  if (t->reliable || t->sends >= t->max_sends)
    return RP_STUN_TIMER_TIMEOUT;

  /* RFC 8489 6.2.1: the interval doubles after each retransmission, counted
   * from when this one is sent (now) */
  t->sends++;
  t->rto_us *= 2;
  if (t->sends < t->max_sends) {
    t->next_us = now_us + t->rto_us;
  } else {
    /* After the last of Rc requests wait Rm times the initial RTO (the
     * 6.2.1 example: 31500 ms + 16 * 500 ms = 39500 ms). rto_us has been
     * doubled once per retransmission, so shift that back out. */
    gint64 initial = t->rto_us >> (t->sends - 1);

    t->next_us = now_us + (gint64) t->rm * initial;
  }
  return RP_STUN_TIMER_RETRANSMIT;
}

gint64
rp_stun_timer_next_us (const RpStunTimer *t)
{
  return t->next_us;
}

guint
rp_stun_timer_retransmissions (const RpStunTimer *t)
{
  return t->sends > 0 ? t->sends - 1 : 0;
}
