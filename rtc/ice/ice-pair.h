/* Two ICE agents in one process with the signalling done in memory: both
 * gather, exchange credentials and candidates once gathering is done (no
 * trickle), run their checks to READY, and then measure the round trip over
 * the selected pair (A sends small numbered packets, B echoes them). Used to
 * prove that ICE completes through one TURN server and transport. It measures
 * and never prints. */
#pragma once

#include "rtc/ice/ice-agent.h"

G_BEGIN_DECLS

typedef struct _RpIcePair RpIcePair;

typedef enum {
  RP_ICE_PAIR_GATHERING,     /* waiting for both agents to finish gathering */
  RP_ICE_PAIR_CHECKING,      /* candidates exchanged, waiting for READY */
  RP_ICE_PAIR_MEASURING,     /* READY, echo packets in flight */
  RP_ICE_PAIR_DONE,
} RpIcePairPhase;

const char *
rp_ice_pair_phase_to_string (RpIcePairPhase p); /* "gathering", "checks", "rtt", "done" */

typedef struct {
  RpIcePairPhase phase;          /* the phase the pair got to */
  gboolean ready;                /* both agents reached READY */
  gboolean failed;               /* an agent reported FAILED */
  RpIceState state_a, state_b;   /* last state */
  RpIceState best_a, best_b;     /* furthest state */
  guint signalled_a, signalled_b;/* candidates each side handed to the other */
  gint64 gather_us;              /* start to both gathered; -1 if not */
  gint64 connect_us;             /* both gathered to both READY; -1 if not */
  gboolean have_pair;
  RpIceCandidate local, remote;  /* A's selected pair */
  guint sent, received;
  double rtt_median_ms, rtt_min_ms, rtt_max_ms;
  char *error;                   /* libnice refused something (a program error, not a finding) */
} RpIcePairResult;

typedef void (*RpIcePairDoneFunc) (RpIcePair *pair, gpointer user_data);

/* A is controlling. Configure the agents (servers) before rp_ice_pair_start(). */
RpIcePair *rp_ice_pair_new (GMainContext *context, const RpIceAgentOptions *a,
                            const RpIceAgentOptions *b);
void rp_ice_pair_free (RpIcePair *pair);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpIcePair, rp_ice_pair_free)
RpIceAgent *rp_ice_pair_get_agent (RpIcePair *pair, guint which);   /* 0: A, 1: B */

/* packets echo packets interval_us apart, then at most drain_us for the
 * last echoes. done is called once, from the context, never from inside
 * start; the pair may be freed there. */
void rp_ice_pair_start (RpIcePair *pair, guint packets, gint64 interval_us, gint64 drain_us,
                        RpIcePairDoneFunc done, gpointer user_data);
/* What is known so far (also before done: for a deadline). */
const RpIcePairResult *rp_ice_pair_get_result (RpIcePair *pair);

/* The median of n values (sorted in place); 0 for n == 0. */
double rp_ice_median (double *values, guint n);

G_END_DECLS
