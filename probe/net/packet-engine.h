/* A packet engine for many UDP sockets on the run's GMainContext: one GSource
 * watches one epoll descriptor holding every socket, and one timerfd. On a
 * wake-up every ready socket is drained with recvmmsg (a batch at a time,
 * the kernel's receive timestamp per message; at most every
 * RP_ENGINE_COALESCE_US between sends), the streams due are run from
 * one min-heap of absolute send times, and what they queued leaves with one
 * sendmmsg per socket. Packets live in buffers made once: TURN ChannelData
 * (RFC 8656 12.4: channel number, length, data) is framed in place, nothing
 * is allocated per packet. Measures and never prints. */
#pragma once

#include <glib.h>

#include "rtc/voice/histogram.h"

G_BEGIN_DECLS

typedef struct _RpPacketEngine RpPacketEngine;
typedef struct _RpEngineSocket RpEngineSocket;

/* Datagrams in a batch and sockets per wake-up. */
#define RP_ENGINE_BATCH 32
/* Datagrams are read at most this often between sends (see
 * packet-engine.c: their receive times are the kernel's). */
#define RP_ENGINE_COALESCE_US 1000
/* Largest datagram received (ChannelData header included). */
#define RP_ENGINE_MTU 1500

/* A datagram read from s at rx_us (monotonic, from the kernel's stamp):
 * ChannelData for the data function (channel and its payload, which may be
 * rewritten in place until the function returns), anything else (STUN) for
 * the other. */
typedef void (*RpEngineDataFunc) (RpEngineSocket *s, guint16 channel, guint8 *payload, gsize len,
                                  gint64 rx_us, gpointer user_data);
typedef void (*RpEngineOtherFunc) (RpEngineSocket *s, const guint8 *data, gsize len,
                                   gint64 rx_us, gpointer user_data);

/* A stream's place in the schedule, kept in the stream's own struct. */
typedef struct _RpEngineTimer RpEngineTimer;
typedef void (*RpEngineTimerFunc) (RpEngineTimer *t, gint64 due_us, gpointer user_data);
struct _RpEngineTimer {
  gint64 due_us;
  guint index;                  /* in the heap; G_MAXUINT when not scheduled */
  RpEngineTimerFunc func;
  gpointer user_data;
};

/* max_payload: the largest ChannelData payload queued (<= RP_ENGINE_MTU - 4);
 * slots: packets that may wait for the next flush. NULL with error. */
RpPacketEngine *rp_packet_engine_new (GMainContext *context, gsize max_payload, guint slots,
                                      GError **error);
void rp_packet_engine_free (RpPacketEngine *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpPacketEngine, rp_packet_engine_free)

/* fd: a connected UDP socket the caller keeps open while it is added. */
RpEngineSocket *rp_packet_engine_add_socket (RpPacketEngine *e, int fd, RpEngineDataFunc data,
                                             RpEngineOtherFunc other, gpointer user_data,
                                             GError **error);
/* The same for datagrams without ChannelData framing (a reflector's direct
 * port): data gets each whole datagram with channel 0; prepare ignores
 * channel and its buffer holds up to max_payload + 4 octets. */
RpEngineSocket *rp_packet_engine_add_raw_socket (RpPacketEngine *e, int fd, RpEngineDataFunc data,
                                                 gpointer user_data, GError **error);
void rp_packet_engine_remove_socket (RpPacketEngine *e, RpEngineSocket *s);

/* Queues one ChannelData message on s: write the payload (up to
 * max_payload bytes) into the returned buffer, then commit its length.
 * due_us: the send's absolute time (its lateness is measured when it
 * leaves), 0 for none. NULL when nothing can be queued (then counted). */
guint8 *rp_packet_engine_prepare (RpPacketEngine *e, RpEngineSocket *s, guint16 channel,
                                  gint64 due_us);
void rp_packet_engine_commit (RpPacketEngine *e, RpEngineSocket *s, gsize len);
/* Sends what is queued now (a caller queueing outside the engine's own
 * wake-ups, from a timer of its own); inside them it is done anyway. */
void rp_packet_engine_flush (RpPacketEngine *e);

void rp_engine_timer_init (RpEngineTimer *t, RpEngineTimerFunc func, gpointer user_data);
/* (Re)schedules t at due_us on the monotonic clock. */
void rp_packet_engine_schedule (RpPacketEngine *e, RpEngineTimer *t, gint64 due_us);
void rp_packet_engine_unschedule (RpPacketEngine *e, RpEngineTimer *t);

/* Where each sent packet's lateness (sendmmsg return vs due_us, in
 * microseconds) is added; NULL: not measured. Borrowed. */
void rp_packet_engine_set_lateness (RpPacketEngine *e, RpHistogram *h);

typedef struct {
  guint64 wakeups, recv_calls, received, send_calls, sent, send_errors, dropped;
} RpPacketEngineCounts;

const RpPacketEngineCounts *rp_packet_engine_get_counts (RpPacketEngine *e);
/* Whether sockets carry the kernel's receive timestamps. */
gboolean rp_packet_engine_kernel_timestamps (RpPacketEngine *e);

G_END_DECLS
