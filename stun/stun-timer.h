/* The STUN client transaction timer of RFC 8489 6.2.1 (unreliable transports)
 * and 6.2.2 (reliable: one send, Ti = 39.5 s), sans-I/O: the caller asks what
 * to do at a given monotonic time and does it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  RP_STUN_TIMER_WAIT,        /* nothing to do before rp_stun_timer_next_us() */
  RP_STUN_TIMER_RETRANSMIT,  /* send the request again now */
  RP_STUN_TIMER_TIMEOUT,     /* the transaction failed */
} RpStunTimerAction;

typedef struct {
  gboolean reliable;
  gint64 rto_us;        /* current RTO (doubles after each send) */
  guint max_sends;      /* Rc: 7 by default */
  guint rm;             /* Rm: 16 by default */
  guint sends;          /* requests sent so far, the first one included */
  gint64 next_us;       /* monotonic time of the next action */
} RpStunTimer;

/* RFC 8489 defaults: initial RTO 500 ms, Rc = 7, Rm = 16, Ti = 39.5 s. */
#define RP_STUN_DEFAULT_RTO_US 500000
#define RP_STUN_DEFAULT_RC 7
#define RP_STUN_DEFAULT_RM 16
#define RP_STUN_RELIABLE_TI_US 39500000
/* What the probe's TURN checks use over UDP: Rc 5 and Rm 4 at the default
 * RTO send at 0, 0.5, 1.5, 3.5 and 7.5 s and know silence at 9.5 s. With
 * the defaults a check would wait 39.5 s, longer than its deadline, and
 * could only say "before the deadline". Five exchanges all lost is 0.2 %
 * at 30 % loss each way, a path that fails voice anyway. */
#define RP_STUN_PROBE_RC 5
#define RP_STUN_PROBE_RM 4

/* Call right after the first send at now_us. */
void rp_stun_timer_start (RpStunTimer *t, gint64 now_us, gboolean reliable, gint64 initial_rto_us,
                          guint rc, guint rm);
RpStunTimerAction rp_stun_timer_tick (RpStunTimer *t, gint64 now_us);
gint64 rp_stun_timer_next_us (const RpStunTimer *t);
/* Retransmissions so far: sends - 1. */
guint rp_stun_timer_retransmissions (const RpStunTimer *t);

G_END_DECLS
