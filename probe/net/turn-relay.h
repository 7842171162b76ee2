/* The relay data path: packets sent by one allocation through its channel to
 * the other allocation's relayed address, echoed back the same way, each
 * timed on the monotonic clock. Proves the relay forwards, in both
 * directions, and measures it. Fills numbers; never prints. */
#pragma once

#include "stun/client/turn-client.h"

G_BEGIN_DECLS

typedef struct _RpRelayProbe RpRelayProbe;
typedef void (*RpRelayDoneFunc) (RpRelayProbe *probe, gpointer user_data);

typedef struct {
  guint sent;
  guint received;          /* echoes back at the sender */
  guint echoed;            /* packets the far allocation saw and sent back */
  guint duplicates;
  double rtt_min_ms, rtt_median_ms, rtt_max_ms;
} RpRelayStats;

/* a has channel_a bound to b's relayed address and b has channel_b bound to
 * a's; count packets of size bytes go out every interval_us, then the probe
 * waits drain_us for late echoes and calls done once. Neither client is
 * owned; both must outlive the probe. */
RpRelayProbe *rp_relay_probe_start (RpTurnClient *a, guint16 channel_a, RpTurnClient *b,
                                    guint16 channel_b, guint count, gsize size, gint64 interval_us,
                                    gint64 drain_us, GMainContext *context, RpRelayDoneFunc done,
                                    gpointer user_data);
void rp_relay_probe_get_stats (RpRelayProbe *probe, RpRelayStats *stats);
void rp_relay_probe_free (RpRelayProbe *probe);

G_END_DECLS
