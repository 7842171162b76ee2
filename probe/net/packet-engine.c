/* The batched packet engine (see packet-engine.h). Linux only: epoll,
 * timerfd with an absolute CLOCK_MONOTONIC expiry (g_get_monotonic_time's
 * clock), recvmmsg and sendmmsg. ChannelData framing (RFC 8656 12.4): two
 * octets of channel number (0x4000-0x4FFF), two of payload length, the
 * payload; over UDP no padding (12.5). */
#define _GNU_SOURCE
#include "probe/net/packet-engine.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/rx-time.h"

#define EVENTS_PER_WAKEUP 256
#define BATCHES_PER_SOCKET 4      /* then the next wake-up: a flood cannot starve the loop */

typedef struct {
  guint8 *buf;                  /* header + payload, in the arena */
  gsize len;
  gint64 due_us;
  int next;                     /* next slot of the same socket, or of the free list */
} Slot;

struct _RpEngineSocket {
  int fd;
  RpEngineDataFunc data;
  RpEngineOtherFunc other;
  gpointer user_data;
  int head, tail;               /* queued slots */
  int pending;                  /* prepared, not committed */
  gboolean dirty;
  gboolean removed;
  gboolean raw;                 /* datagrams as they are, no ChannelData framing */
};

typedef struct {
  GSource source;
  RpPacketEngine *engine;
} EngineSource;

struct _RpPacketEngine {
  EngineSource *source;
  gpointer tag;                 /* the epoll descriptor (sockets) in the source */
  gpointer timer_tag;           /* the timerfd in the source */
  gboolean deferred;            /* sockets not watched until drain_at_us */
  gint64 last_drain_us, drain_at_us;
  int epfd, tfd;
  gsize slot_size;
  guint n_slots;
  guint8 *arena;
  Slot *slots;
  int free_head;
  GPtrArray *dirty;             /* sockets with queued slots */
  GPtrArray *graveyard;         /* removed while dispatching */
  gboolean dispatching;
  RpEngineTimer **heap;
  guint heap_len, heap_cap;
  gint64 armed_us;
  RpHistogram *lateness;
  gboolean kernel_ts;
  RpPacketEngineCounts counts;
  /* one receive batch, shared by every socket (one is drained at a time) */
  guint8 rbuf[RP_ENGINE_BATCH][RP_ENGINE_MTU];
  RpRxControl rctl[RP_ENGINE_BATCH];
  struct iovec riov[RP_ENGINE_BATCH];
  struct mmsghdr rmsg[RP_ENGINE_BATCH];
  struct iovec siov[RP_ENGINE_BATCH];
  struct mmsghdr smsg[RP_ENGINE_BATCH];
  int sidx[RP_ENGINE_BATCH];
};

/* ---- the schedule: a binary min-heap on due_us ---- */

static void
heap_set (RpPacketEngine *e, guint i, RpEngineTimer *t)
{
  e->heap[i] = t;
  t->index = i;
}

static void
heap_up (RpPacketEngine *e, guint i)
{
  RpEngineTimer *t = e->heap[i];

  while (i > 0 && e->heap[(i - 1) / 2]->due_us > t->due_us) {
    heap_set (e, i, e->heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  heap_set (e, i, t);
}

static void
heap_down (RpPacketEngine *e, guint i)
{
  RpEngineTimer *t = e->heap[i];

  for (;;) {
    guint c = 2 * i + 1;
    if (c >= e->heap_len)
      break;
    if (c + 1 < e->heap_len && e->heap[c + 1]->due_us < e->heap[c]->due_us)
      c++;
    if (e->heap[c]->due_us >= t->due_us)
      break;
    heap_set (e, i, e->heap[c]);
    i = c;
  }
  heap_set (e, i, t);
}

static void
heap_remove (RpPacketEngine *e, RpEngineTimer *t)
{
  guint i = t->index;
  RpEngineTimer *last;

  t->index = G_MAXUINT;
  last = e->heap[--e->heap_len];
  if (last == t)
    return;
  heap_set (e, i, last);
  heap_up (e, i);
  heap_down (e, last->index);
}

void
rp_engine_timer_init (RpEngineTimer *t, RpEngineTimerFunc func, gpointer user_data)
{
  t->due_us = 0;
  t->index = G_MAXUINT;
  t->func = func;
  t->user_data = user_data;
}

static void
rearm (RpPacketEngine *e)
{
  struct itimerspec its = { 0 };
  gint64 due = e->heap_len > 0 ? MAX (e->heap[0]->due_us, 1) : 0;

  if (due == e->armed_us)
    return;
  e->armed_us = due;
  its.it_value.tv_sec = due / G_USEC_PER_SEC;
  its.it_value.tv_nsec = (due % G_USEC_PER_SEC) * 1000;
  (void) timerfd_settime (e->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void
rp_packet_engine_schedule (RpPacketEngine *e, RpEngineTimer *t, gint64 due_us)
{
  if (t->index != G_MAXUINT)
    heap_remove (e, t);
  if (e->heap_len == e->heap_cap) {
    e->heap_cap = MAX (64, e->heap_cap * 2);
    e->heap = g_renew (RpEngineTimer *, e->heap, e->heap_cap);
  }
  t->due_us = due_us;
  heap_set (e, e->heap_len++, t);
  heap_up (e, t->index);
  if (!e->dispatching)
    rearm (e);
}

void
rp_packet_engine_unschedule (RpPacketEngine *e, RpEngineTimer *t)
{
  if (t->index == G_MAXUINT)
    return;
  heap_remove (e, t);
  if (!e->dispatching)
    rearm (e);
}

/* Runs what is due; a stream that reschedules itself into the past runs
 * again on the next wake-up, not in a loop here. */
static void
run_due (RpPacketEngine *e)
{
  gint64 now = g_get_monotonic_time ();
  guint budget = e->heap_len;

  while (e->heap_len > 0 && e->heap[0]->due_us <= now && budget-- > 0) {
    RpEngineTimer *t = e->heap[0];
    gint64 due = t->due_us;
    heap_remove (e, t);
    t->func (t, due, t->user_data);
  }
}

/* ---- sending ---- */

static void
free_slot (RpPacketEngine *e, int i)
{
  e->slots[i].next = e->free_head;
  e->free_head = i;
}

static void
flush_socket (RpPacketEngine *e, RpEngineSocket *s)
{
  while (s->head >= 0) {
    guint k = 0;
    int n;
    gint64 now;

    for (; k < RP_ENGINE_BATCH && s->head >= 0; k++) {
      Slot *slot = &e->slots[s->head];
      e->sidx[k] = s->head;
      e->siov[k].iov_base = slot->buf;
      e->siov[k].iov_len = slot->len;
      memset (&e->smsg[k], 0, sizeof e->smsg[k]);
      e->smsg[k].msg_hdr.msg_iov = &e->siov[k];
      e->smsg[k].msg_hdr.msg_iovlen = 1;
      s->head = slot->next;
    }
    n = sendmmsg (s->fd, e->smsg, k, MSG_DONTWAIT);
    now = g_get_monotonic_time ();
    e->counts.send_calls++;
    if (n < 0)
      n = 0;
    e->counts.sent += (guint) n;
    e->counts.send_errors += k - (guint) n;
    for (guint i = 0; i < k; i++) {
      Slot *slot = &e->slots[e->sidx[i]];
      if ((int) i < n && e->lateness != NULL && slot->due_us > 0)
        rp_histogram_add (e->lateness, now - slot->due_us);
      free_slot (e, e->sidx[i]);
    }
  }
  s->tail = -1;
  s->dirty = FALSE;
}

static void
flush (RpPacketEngine *e)
{
  for (guint i = 0; i < e->dirty->len; i++)
    flush_socket (e, g_ptr_array_index (e->dirty, i));
  g_ptr_array_set_size (e->dirty, 0);
}

void
rp_packet_engine_flush (RpPacketEngine *e)
{
  flush (e);
}

guint8 *
rp_packet_engine_prepare (RpPacketEngine *e, RpEngineSocket *s, guint16 channel, gint64 due_us)
{
  Slot *slot;

  if (e->free_head < 0)
    flush (e);
  if (e->free_head < 0 || s->removed || s->pending >= 0) {
    e->counts.dropped++;
    return NULL;
  }
  s->pending = e->free_head;
  slot = &e->slots[s->pending];
  e->free_head = slot->next;
  slot->due_us = due_us;
  if (s->raw)
    return slot->buf;
  slot->buf[0] = channel >> 8;
  slot->buf[1] = channel & 0xff;
  return slot->buf + 4;
}

void
rp_packet_engine_commit (RpPacketEngine *e, RpEngineSocket *s, gsize len)
{
  Slot *slot;

  if (s->pending < 0)
    return;
  slot = &e->slots[s->pending];
  if (s->raw) {
    slot->len = MIN (len, e->slot_size);
  } else {
    len = MIN (len, e->slot_size - 4);
    slot->buf[2] = (len >> 8) & 0xff;
    slot->buf[3] = len & 0xff;
    slot->len = 4 + len;
  }
  slot->next = -1;
  if (s->tail >= 0)
    e->slots[s->tail].next = s->pending;
  else
    s->head = s->pending;
  s->tail = s->pending;
  s->pending = -1;
  if (!s->dirty) {
    s->dirty = TRUE;
    g_ptr_array_add (e->dirty, s);
  }
}

/* ---- receiving ---- */

static void
drain (RpPacketEngine *e, RpEngineSocket *s)
{
  for (guint round = 0; round < BATCHES_PER_SOCKET && !s->removed; round++) {
    int n;
    RpRxNow now;

    for (guint i = 0; i < RP_ENGINE_BATCH; i++) {
      memset (&e->rmsg[i].msg_hdr, 0, sizeof e->rmsg[i].msg_hdr);
      e->riov[i].iov_base = e->rbuf[i];
      e->riov[i].iov_len = RP_ENGINE_MTU;
      e->rmsg[i].msg_hdr.msg_iov = &e->riov[i];
      e->rmsg[i].msg_hdr.msg_iovlen = 1;
      e->rmsg[i].msg_hdr.msg_control = e->rctl[i].buf;
      e->rmsg[i].msg_hdr.msg_controllen = sizeof e->rctl[i].buf;
    }
    n = recvmmsg (s->fd, e->rmsg, RP_ENGINE_BATCH, MSG_DONTWAIT, NULL);
    e->counts.recv_calls++;
    if (n <= 0)
      return;   /* EAGAIN, or an ICMP error reported on a connected socket */
    rp_rx_now (&now);
    e->counts.received += (guint) n;
    for (int i = 0; i < n && !s->removed; i++) {
      guint8 *d = e->rbuf[i];
      gsize len = e->rmsg[i].msg_len;
      gint64 rx = rp_rx_time_from_msg_at (&e->rmsg[i].msg_hdr, &now, NULL);
      gsize clen = len >= 4 ? (gsize) (d[2] << 8 | d[3]) : 0;
      if (s->raw)
        s->data (s, 0, d, len, rx, s->user_data);
      else if (len >= 4 && d[0] >= 0x40 && d[0] <= 0x4F && 4 + clen <= len)
        s->data (s, (guint16) (d[0] << 8 | d[1]), d + 4, clen, rx, s->user_data);
      else
        s->other (s, d, len, rx, s->user_data);
    }
    if (n < RP_ENGINE_BATCH)
      return;
  }
}

/* Datagrams that arrive between two sends are read at most every
 * RP_ENGINE_COALESCE_US: a wake-up for many instead of one each. Their
 * kernel receive times are exact however late they are read, so only the
 * reflecting side's T3 - T2 grows, and RTT subtracts it. The timer has its
 * own descriptor and is never put off. */
static void
drain_ready (RpPacketEngine *e, GSource *source, gint64 now)
{
  struct epoll_event ev[EVENTS_PER_WAKEUP];
  gboolean ready = e->deferred ? now >= e->drain_at_us
                               : (g_source_query_unix_fd (source, e->tag) & G_IO_IN) != 0;
  int n;

  if (!ready)
    return;
  if (!e->deferred && now - e->last_drain_us < RP_ENGINE_COALESCE_US) {
    e->deferred = TRUE;
    e->drain_at_us = e->last_drain_us + RP_ENGINE_COALESCE_US;
    g_source_modify_unix_fd (source, e->tag, 0);
    g_source_set_ready_time (source, e->drain_at_us);
    return;
  }
  if (e->deferred) {
    e->deferred = FALSE;
    g_source_set_ready_time (source, -1);
    g_source_modify_unix_fd (source, e->tag, G_IO_IN);
  }
  e->last_drain_us = now;
  n = epoll_wait (e->epfd, ev, EVENTS_PER_WAKEUP, 0);
  for (int i = 0; i < n; i++) {
    RpEngineSocket *s = ev[i].data.ptr;
    if (!s->removed)
      drain (e, s);
  }
}

static gboolean
engine_dispatch (GSource *source, GSourceFunc cb, gpointer data)
{
  RpPacketEngine *e = ((EngineSource *) source)->engine;

  e->dispatching = TRUE;
  e->counts.wakeups++;
  if (g_source_query_unix_fd (source, e->timer_tag) & G_IO_IN) {
    guint64 expirations;
    (void) !read (e->tfd, &expirations, sizeof expirations);
    e->armed_us = 0;
  }
  /* Sends first: the schedule is what the figures are measured against. */
  run_due (e);
  flush (e);
  drain_ready (e, source, g_get_monotonic_time ());
  flush (e);
  run_due (e);
  flush (e);
  e->dispatching = FALSE;
  rearm (e);
  g_ptr_array_set_size (e->graveyard, 0);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs engine_funcs = { NULL, NULL, engine_dispatch, NULL, NULL, NULL };

/* ---- life ---- */

RpPacketEngine *
rp_packet_engine_new (GMainContext *context, gsize max_payload, guint slots, GError **error)
{
  g_autoptr (RpPacketEngine) e = g_new0 (RpPacketEngine, 1);
  e->epfd = -1;
  e->tfd = -1;
  if (max_payload == 0 || max_payload > RP_ENGINE_MTU - 4 || slots == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "packets of %" G_GSIZE_FORMAT " bytes do not fit a %d-byte datagram", max_payload,
                 RP_ENGINE_MTU);
    return NULL;
  }
  e->epfd = epoll_create1 (EPOLL_CLOEXEC);
  e->tfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (e->epfd < 0 || e->tfd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "the packet engine could not start: %s", g_strerror (errno));
    return NULL;
  }
  /* Timers expire at their time, not up to 50 us later (the default
   * slack of a normal thread): the schedule is what is measured. */
  (void) prctl (PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  e->slot_size = (4 + max_payload + 7) & ~(gsize) 7;
  e->n_slots = slots;
  e->arena = g_malloc0 (e->slot_size * slots);
  e->slots = g_new0 (Slot, slots);
  e->free_head = -1;
  for (guint i = slots; i-- > 0;) {
    e->slots[i].buf = e->arena + i * e->slot_size;
    free_slot (e, (int) i);
  }
  e->dirty = g_ptr_array_new ();
  e->graveyard = g_ptr_array_new_with_free_func (g_free);
  e->kernel_ts = TRUE;
  e->source = (EngineSource *) g_source_new (&engine_funcs, sizeof (EngineSource));
  e->source->engine = e;
  g_source_set_priority ((GSource *) e->source, G_PRIORITY_HIGH);
  g_source_set_name ((GSource *) e->source, "rtcprobe packet engine");
  /* GLib blocks a source that cannot recurse while it dispatches: it takes
   * its fds out of the poll set and puts them back, and each change writes
   * the context's wake-up eventfd, so the next poll returns at once only to
   * read it. Four system calls and an idle loop turn per dispatch, one
   * dispatch per tick: the engine's dispatch never iterates the context,
   * so nothing recurses. */
  g_source_set_can_recurse ((GSource *) e->source, TRUE);
  e->tag = g_source_add_unix_fd ((GSource *) e->source, e->epfd, G_IO_IN);
  e->timer_tag = g_source_add_unix_fd ((GSource *) e->source, e->tfd, G_IO_IN);
  g_source_attach ((GSource *) e->source, context);
  return g_steal_pointer (&e);
}

void
rp_packet_engine_free (RpPacketEngine *e)
{
  if (e == NULL)
    return;
  if (e->source != NULL) {
    g_source_destroy ((GSource *) e->source);
    g_source_unref ((GSource *) e->source);
  }
  if (e->epfd >= 0)
    close (e->epfd);
  if (e->tfd >= 0)
    close (e->tfd);
  g_clear_pointer (&e->dirty, g_ptr_array_unref);
  g_clear_pointer (&e->graveyard, g_ptr_array_unref);
  g_free (e->heap);
  g_free (e->arena);
  g_free (e->slots);
  g_free (e);
}

RpEngineSocket *
rp_packet_engine_add_socket (RpPacketEngine *e, int fd, RpEngineDataFunc data,
                             RpEngineOtherFunc other, gpointer user_data, GError **error)
{
  RpEngineSocket *s = g_new0 (RpEngineSocket, 1);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

  s->fd = fd;
  s->data = data;
  s->other = other;
  s->user_data = user_data;
  s->head = s->tail = s->pending = -1;
  if (epoll_ctl (e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "the packet engine could not watch a socket: %s", g_strerror (errno));
    g_free (s);
    return NULL;
  }
  if (!rp_rx_time_enable (fd))
    e->kernel_ts = FALSE;
  return s;
}

RpEngineSocket *
rp_packet_engine_add_raw_socket (RpPacketEngine *e, int fd, RpEngineDataFunc data,
                                 gpointer user_data, GError **error)
{
  RpEngineSocket *s = rp_packet_engine_add_socket (e, fd, data, NULL, user_data, error);

  if (s != NULL)
    s->raw = TRUE;
  return s;
}

void
rp_packet_engine_remove_socket (RpPacketEngine *e, RpEngineSocket *s)
{
  if (s == NULL)
    return;
  (void) epoll_ctl (e->epfd, EPOLL_CTL_DEL, s->fd, NULL);
  /* What it queued is dropped; its place in the dirty list is skipped. */
  while (s->head >= 0) {
    int next = e->slots[s->head].next;
    free_slot (e, s->head);
    s->head = next;
  }
  if (s->pending >= 0)
    free_slot (e, s->pending);
  s->pending = -1;
  s->removed = TRUE;
  if (s->dirty)
    g_ptr_array_remove_fast (e->dirty, s);
  if (e->dispatching)
    g_ptr_array_add (e->graveyard, s);
  else
    g_free (s);
}

void
rp_packet_engine_set_lateness (RpPacketEngine *e, RpHistogram *h)
{
  e->lateness = h;
}

const RpPacketEngineCounts *
rp_packet_engine_get_counts (RpPacketEngine *e)
{
  return &e->counts;
}

gboolean
rp_packet_engine_kernel_timestamps (RpPacketEngine *e)
{
  return e->kernel_ts;
}
