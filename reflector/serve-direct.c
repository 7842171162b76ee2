/* The reflector's direct ports: test packets over plain UDP and TCP, for a
 * path without ICE or TURN. A packet is answered only when it is a signed
 * STAMP packet of a live session (reflector-auth.h) and comes from the peer
 * the session's direct path is bound to: the first that sent it a packet
 * that verified (UDP: that address and port; TCP: that connection).
 * Everything else gets nothing, not even an error: an unauthenticated
 * sender learns nothing, and neither a spoofed source nor a replay of
 * captured packets from another address or port makes us send anything to
 * anyone but the bound peer (no amplification, no reflection). What the
 * binding does not cover is said in reflector-auth.h. The answer has the
 * request's length (RFC 8762 4.3).
 *
 * Order of the checks is cheapest first: length, session lookup by SSID,
 * the session's bound peer, then the HMAC (rp_reflector_admit). Only a
 * packet that verified is charged to a rate: its session's, then the direct
 * ports' global one (global_packet_rate, apart from the ICE path's), so
 * unauthenticated datagrams, however many and from however many addresses,
 * cannot use up the budget of the measurements the reflector exists for;
 * they cost a receive and a hash lookup each (an HMAC when they name a live
 * session and it is not bound yet) and are counted. A wakeup drains what is
 * ready with recvmmsg, a batch at a time, but at most RECV_ROUNDS batches,
 * so a flood cannot starve the loop.
 *
 * Timestamps (RFC 8762 4.3): T2, the receive time, is the kernel's stamp of
 * the datagram (SO_TIMESTAMPNS, common/rx-time.h), so the time it waited
 * for us to wake up and read it is residence (T3 - T2), which the sender
 * subtracts, not path. T3 is taken once the packet verified and was
 * admitted, just before the answer is signed (the HMAC covers it) and sent.
 * Rates are charged at the time of the read, as before, not at T2. On TCP
 * the stamp is that of the segment the read that completed a frame took
 * last, i.e. when the frame's last octet arrived; the answer is written at
 * once, a write watch only when the socket's buffer is full.
 *
 * TCP: RFC 4571 framing (two octets of length, then the packet). A
 * connection that sends anything unauthenticated or malformed is closed.
 * Connections are capped (max_tcp_connections), and one source holds at
 * most tcp_connections_per_source of them (an IPv6 source by its /64), so
 * one address cannot take every slot. A frame must be complete
 * tcp_frame_timeout after its first octet, the first frame after the
 * connection opened: octets trickled in cannot hold a slot, since only a
 * complete frame ends the deadline. Between frames idle connections are
 * closed at tcp_idle_timeout. While an answer waits to be written nothing
 * more is read from that connection (backpressure). */
#define _GNU_SOURCE   /* recvmmsg */
#include "reflector/serve-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "common/rx-time.h"

#define RECV_BATCH 64            /* datagrams per recvmmsg, at most */
#define RECV_ROUNDS 4            /* recvmmsg calls per wakeup, at most */
#define BATCH_BYTES (128 * 1024) /* receive buffers: fewer datagrams when max_packet is large */
#define SUMMARY_INTERVAL_S 10
#define RCVBUF_SECONDS 0.05      /* of global_packet_rate queued in the kernel, at most */
#define RCVBUF_PER_PACKET 1024   /* octets the kernel charges a small datagram, about */

typedef struct {
  RpServeDirect *d;
  GSocket *sock;
  GInetAddress *peer;
  GSource *source;
  GSource *idle;
  GSource *deadline;       /* the frame being read must be complete by then */
  RpReflectorPeer from;    /* this connection, for the session binding */
  guint8 *in;              /* 2 + max_packet */
  gsize in_len;
  guint8 *out;             /* one answer, 2 + max_packet */
  gsize out_len, out_off;
} TcpConn;

struct _RpServeDirect {
  RpServe *serve;
  GSocket *udp, *tcp;
  GSource *udp_source, *tcp_source;
  guint batch;             /* datagrams per recvmmsg */
  guint8 *bufs;            /* batch x (max_packet + 1): a longer datagram shows as truncated */
  struct mmsghdr *msgs;    /* batch of each: */
  struct iovec *iovs;
  struct sockaddr_storage *names;
  RpRxControl *controls;
  gboolean kernel_rx;      /* SO_TIMESTAMPNS took on the UDP socket */
  GList *conns;            /* TcpConn* */
  RpSlotTable *slots;      /* max_tcp_connections, a share per source */
  RpBucket budget;         /* authenticated packets answered, all sessions */
  GSource *summary;
  guint64 conn_serial;     /* tells TCP connections apart */
  guint64 unauthenticated; /* since the last summary line: */
  guint64 foreign, tcp_share, tcp_late;
};

RpBucket *
rp_serve_direct_budget (RpServeDirect *d)
{
  return &d->budget;
}

/* TRUE: buf[0..len) now holds the answer. now: when it was read (rates);
 * t2: when it arrived (the STAMP receive timestamp). */
static gboolean
answer (RpServeDirect *d, guint8 *buf, gsize len, const RpReflectorPeer *from, gint64 now,
        gint64 t2)
{
  RpServeSession *ss;

  if (len < RP_REFLECTOR_MIN_PACKET || len > d->serve->config->max_packet
      || (ss = rp_serve_session_by_ssid (d->serve, rp_reflector_packet_ssid (buf, len))) == NULL) {
    d->unauthenticated++;
    return FALSE;
  }
  switch (rp_serve_session_reflect_direct (ss, buf, len, from, now, t2)) {
  case RP_REFLECTOR_ADMIT:
    return TRUE;
  case RP_REFLECTOR_UNAUTHENTICATED:
    d->unauthenticated++;
    break;
  case RP_REFLECTOR_OVER_RATE:
    d->serve->dropped_packets++;
    break;
  case RP_REFLECTOR_FOREIGN:
    d->foreign++;
    break;
  }
  return FALSE;
}

static gboolean
on_summary (gpointer data)
{
  RpServeDirect *d = data;

  if (d->unauthenticated + d->foreign + d->tcp_share + d->tcp_late > 0)
    g_message ("direct ports, last %d s: %" G_GUINT64_FORMAT " unauthenticated packets and %"
               G_GUINT64_FORMAT " from a peer their session is not bound to, none answered; %"
               G_GUINT64_FORMAT " TCP connections over a source's share, %" G_GUINT64_FORMAT
               " frames past tcp_frame_timeout", SUMMARY_INTERVAL_S, d->unauthenticated, d->foreign,
               d->tcp_share, d->tcp_late);
  d->unauthenticated = d->foreign = d->tcp_share = d->tcp_late = 0;
  return G_SOURCE_CONTINUE;
}

static void
peer_of (RpReflectorPeer *p, RpReflectorTransport transport, GSocketAddress *sa, guint64 conn)
{
  GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (sa);
  GInetAddress *a = g_inet_socket_address_get_address (isa);

  rp_reflector_peer_init (p, transport, g_inet_address_to_bytes (a),
                          g_inet_address_get_native_size (a), g_inet_socket_address_get_port (isa),
                          conn);
}

/* A datagram's source, without a GSocketAddress per packet. */
static gboolean
peer_of_native (RpReflectorPeer *p, const struct sockaddr_storage *ss, socklen_t len)
{
  if (ss->ss_family == AF_INET && len >= sizeof (struct sockaddr_in)) {
    const struct sockaddr_in *a = (const struct sockaddr_in *) ss;
    rp_reflector_peer_init (p, RP_REFLECTOR_PEER_UDP, (const guint8 *) &a->sin_addr, 4,
                            g_ntohs (a->sin_port), 0);
    return TRUE;
  }
  if (ss->ss_family == AF_INET6 && len >= sizeof (struct sockaddr_in6)) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) ss;
    rp_reflector_peer_init (p, RP_REFLECTOR_PEER_UDP, (const guint8 *) &a->sin6_addr, 16,
                            g_ntohs (a->sin6_port), 0);
    return TRUE;
  }
  return FALSE;
}

static void
udp_take (RpServeDirect *d, int fd, struct mmsghdr *m, const RpRxNow *now)
{
  struct msghdr *mh = &m->msg_hdr;
  guint8 *buf = mh->msg_iov->iov_base;
  gsize len = m->msg_len;
  RpReflectorPeer peer;
  gint64 t2;

  if (len >= mh->msg_iov->iov_len || (mh->msg_flags & MSG_TRUNC)
      || !peer_of_native (&peer, mh->msg_name, mh->msg_namelen)) {
    d->unauthenticated++;   /* truncated: longer than max_packet */
    return;
  }
  t2 = rp_rx_time_from_msg_at (mh, now, NULL);
  if (answer (d, buf, len, &peer, now->mono_ns / 1000, t2))
    (void) sendto (fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, mh->msg_name, mh->msg_namelen);
}

static gboolean
on_udp (GSocket *sock, GIOCondition cond, gpointer data)
{
  RpServeDirect *d = data;
  int fd = g_socket_get_fd (sock);

  for (guint round = 0; round < RECV_ROUNDS; round++) {
    RpRxNow now;
    int n;
    for (guint i = 0; i < d->batch; i++) {
      struct msghdr *mh = &d->msgs[i].msg_hdr;
      mh->msg_namelen = sizeof d->names[i];
      mh->msg_controllen = sizeof d->controls[i].buf;
      mh->msg_flags = 0;
    }
    n = recvmmsg (fd, d->msgs, d->batch, MSG_DONTWAIT, NULL);
    if (n <= 0)
      break;   /* EAGAIN: all drained; anything else: the source calls again */
    rp_rx_now (&now);
    for (int i = 0; i < n; i++)
      udp_take (d, fd, &d->msgs[i], &now);
    if ((guint) n < d->batch)
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* ---- TCP ---- */

static void
destroy_source (GSource **s)
{
  if (*s != NULL) {
    g_source_destroy (*s);
    g_clear_pointer (s, g_source_unref);
  }
}

static void
tcp_close (TcpConn *c)
{
  RpServeDirect *d = c->d;

  d->conns = g_list_remove (d->conns, c);
  rp_slot_table_release_inet (d->slots, c->peer);
  if (c->source != NULL) {
    g_source_destroy (c->source);
    g_source_unref (c->source);
  }
  destroy_source (&c->idle);
  destroy_source (&c->deadline);
  g_socket_close (c->sock, NULL);
  g_object_unref (c->sock);
  g_object_unref (c->peer);
  g_free (c->in);
  g_free (c->out);
  g_free (c);
}

static gboolean on_tcp_io (GSocket *sock, GIOCondition cond, gpointer data);

static gboolean
on_tcp_idle (gpointer data)
{
  TcpConn *c = data;

  g_clear_pointer (&c->idle, g_source_unref);
  tcp_close (c);
  return G_SOURCE_REMOVE;
}

static gboolean
on_tcp_deadline (gpointer data)
{
  TcpConn *c = data;

  g_clear_pointer (&c->deadline, g_source_unref);
  c->d->tcp_late++;
  tcp_close (c);
  return G_SOURCE_REMOVE;
}

static void
tcp_arm_deadline (TcpConn *c)
{
  c->deadline = g_timeout_source_new_seconds ((guint) c->d->serve->config->tcp_frame_timeout_s);
  g_source_set_callback (c->deadline, on_tcp_deadline, c, NULL);
  g_source_attach (c->deadline, c->d->serve->context);
}

static void
tcp_watch (TcpConn *c, GIOCondition cond)
{
  if (c->source != NULL) {
    g_source_destroy (c->source);
    g_source_unref (c->source);
  }
  c->source = g_socket_create_source (c->sock, cond | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (c->source, (GSourceFunc) (void (*) (void)) on_tcp_io, c, NULL);
  g_source_attach (c->source, c->d->serve->context);
}

static void
tcp_touch (TcpConn *c)
{
  if (c->idle != NULL) {
    g_source_destroy (c->idle);
    g_source_unref (c->idle);
  }
  c->idle = g_timeout_source_new_seconds ((guint) c->d->serve->config->tcp_idle_timeout_s);
  g_source_set_callback (c->idle, on_tcp_idle, c, NULL);
  g_source_attach (c->idle, c->d->serve->context);
}

/* RFC 4571 2: the 16-bit length in front of each packet. */
static gsize
frame_len (const TcpConn *c)
{
  return ((gsize) c->in[0] << 8) | c->in[1];
}

/* FALSE: close the connection. t2: when the octets just read arrived. */
static gboolean
tcp_frame (TcpConn *c, gint64 t2)
{
  gsize need = c->in_len >= 2 ? 2 + frame_len (c) : 2;

  if (c->in_len < 2 || c->in_len < need)
    return TRUE;
  if (!answer (c->d, c->in + 2, need - 2, &c->from, g_get_monotonic_time (), t2))
    return FALSE;
  destroy_source (&c->deadline);
  memcpy (c->out, c->in, need);
  c->out_len = need;
  c->out_off = 0;
  c->in_len = 0;
  return TRUE;
}

/* Writes what is left of the answer; FALSE: close. out_len is 0 once all
 * of it is out. */
static gboolean
tcp_flush (TcpConn *c)
{
  g_autoptr (GError) error = NULL;
  gssize n = g_socket_send (c->sock, (const gchar *) c->out + c->out_off, c->out_len - c->out_off,
                            NULL, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return TRUE;
  if (n <= 0)
    return FALSE;
  c->out_off += (gsize) n;
  if (c->out_off == c->out_len)
    c->out_len = c->out_off = 0;
  return TRUE;
}

/* Reads up to want octets with the kernel's stamp of the last segment
 * read; as recv(): 0 at the end, -1 with errno. */
static gssize
tcp_read (TcpConn *c, gsize want, gint64 *t2)
{
  RpRxControl control;
  struct iovec iov = { c->in + c->in_len, want };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf };
  gssize n;

  do
    n = recvmsg (g_socket_get_fd (c->sock), &mh, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n > 0)
    *t2 = rp_rx_time_from_msg (&mh);
  return n;
}

static gboolean
on_tcp_io (GSocket *sock, GIOCondition cond, gpointer data)
{
  TcpConn *c = data;
  gsize max = 2 + c->d->serve->config->max_packet;

  if (cond & (G_IO_HUP | G_IO_ERR))
    goto close;
  if (c->out_len > 0) {
    if (!tcp_flush (c))
      goto close;
    if (c->out_len > 0)
      return G_SOURCE_CONTINUE;
    tcp_watch (c, G_IO_IN);
    return G_SOURCE_REMOVE;
  }
  {
    /* Read no further than the end of the current frame. */
    gsize want = c->in_len < 2 ? 2 - c->in_len : 2 + frame_len (c) - c->in_len;
    gint64 t2 = 0;
    gssize n = tcp_read (c, want, &t2);
    if (n < 0 && errno == EAGAIN)
      return G_SOURCE_CONTINUE;
    if (n <= 0)
      goto close;
    if (c->in_len == 0 && c->deadline == NULL)
      tcp_arm_deadline (c);   /* the first octet of a frame after the first */
    c->in_len += (gsize) n;
    if (c->in_len == 2 && (2 + frame_len (c) > max || frame_len (c) < RP_REFLECTOR_MIN_PACKET))
      goto close;
    tcp_touch (c);
    if (!tcp_frame (c, t2))
      goto close;
    /* The answer goes out now; a write watch only for what does not fit. */
    if (c->out_len > 0 && !tcp_flush (c))
      goto close;
    if (c->out_len > 0) {
      tcp_watch (c, G_IO_OUT);
      return G_SOURCE_REMOVE;
    }
  }
  return G_SOURCE_CONTINUE;
close:
  g_clear_pointer (&c->source, g_source_unref);
  tcp_close (c);
  return G_SOURCE_REMOVE;
}

/* A slot for a new connection: the source's rate, its share, the cap. */
static gboolean
admit (RpServeDirect *d, GInetAddress *peer)
{
  if (!rp_rate_table_allow_inet (d->serve->packet_limit, peer, g_get_monotonic_time ())) {
    d->serve->refused_rate++;
    return FALSE;
  }
  switch (rp_slot_table_take_inet (d->slots, peer)) {
  case RP_SLOT_TAKEN:
    return TRUE;
  case RP_SLOT_SOURCE_SHARE:
    d->tcp_share++;
    return FALSE;
  case RP_SLOT_FULL:
    d->serve->refused_rate++;
    return FALSE;
  }
  return FALSE;
}

static gboolean
on_accept (GSocket *listener, GIOCondition cond, gpointer data)
{
  RpServeDirect *d = data;

  for (guint i = 0; i < RECV_BATCH; i++) {
    GSocket *sock = g_socket_accept (listener, NULL, NULL);
    g_autoptr (GSocketAddress) sa = NULL;
    TcpConn *c;
    if (sock == NULL)
      break;
    sa = g_socket_get_remote_address (sock, NULL);
    if (sa == NULL || !admit (d, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)))) {
      g_socket_close (sock, NULL);
      g_object_unref (sock);
      continue;
    }
    g_socket_set_blocking (sock, FALSE);
    rp_rx_time_enable (g_socket_get_fd (sock));
    c = g_new0 (TcpConn, 1);
    c->d = d;
    c->sock = sock;
    c->peer = g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
    peer_of (&c->from, RP_REFLECTOR_PEER_TCP, sa, ++d->conn_serial);
    c->in = g_malloc (2 + d->serve->config->max_packet);
    c->out = g_malloc (2 + d->serve->config->max_packet);
    d->conns = g_list_prepend (d->conns, c);
    tcp_watch (c, G_IO_IN);
    tcp_touch (c);
    tcp_arm_deadline (c);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- setup ---- */

/* Room for RCVBUF_SECONDS of the direct ports' whole rate in the kernel's
 * queue, each datagram at its accounting size (about a page on Linux): a
 * burst, many streams due at once, is queued, not dropped before we read
 * it. SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; without
 * it the kernel caps SO_RCVBUF there, and the start says so. */
static void
size_receive_buffer (int fd, double rate)
{
  int want = (int) CLAMP (rate * RCVBUF_SECONDS * RCVBUF_PER_PACKET, 256 * 1024, 64 << 20);
  int got = 0;
  socklen_t len = sizeof got;

  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) < 0)
    (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  /* The kernel reports twice what was set (its bookkeeping share). */
  if (getsockopt (fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && got / 2 < want)
    g_message ("direct UDP port: receive buffer %d bytes of the %d its global_packet_rate wants "
               "(net.core.rmem_max caps it): bursts beyond it are dropped before they are read",
               got / 2, want);
}

static GSocket *
open_socket (const RpServeListen *l, GSocketType type, GError **error)
{
  g_autoptr (GInetAddress) addr = *l->address != '\0'
                                    ? g_inet_address_new_from_string (l->address)
                                    : g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (addr, l->port);
  g_autoptr (GSocket) sock = g_socket_new (
    g_inet_address_get_family (addr), type,
    type == G_SOCKET_TYPE_DATAGRAM ? G_SOCKET_PROTOCOL_UDP : G_SOCKET_PROTOCOL_TCP, error);

  if (sock == NULL)
    return NULL;
  g_socket_set_blocking (sock, FALSE);
  if (!g_socket_bind (sock, sa, TRUE, error))
    return NULL;
  if (type == G_SOCKET_TYPE_STREAM) {
    g_socket_set_listen_backlog (sock, 64);
    if (!g_socket_listen (sock, error))
      return NULL;
  }
  return g_steal_pointer (&sock);
}

static guint16
local_port (GSocket *sock)
{
  g_autoptr (GSocketAddress) sa = sock != NULL ? g_socket_get_local_address (sock, NULL) : NULL;

  return sa != NULL ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa)) : 0;
}

RpServeDirect *
rp_serve_direct_new (RpServe *s, GError **error)
{
  RpServeDirect *d = g_new0 (RpServeDirect, 1);
  RpServeConfig *c = s->config;

  d->serve = s;
  d->batch = CLAMP (BATCH_BYTES / (c->max_packet + 1), 1, RECV_BATCH);
  d->bufs = g_malloc ((gsize) d->batch * (c->max_packet + 1));
  d->msgs = g_new0 (struct mmsghdr, d->batch);
  d->iovs = g_new0 (struct iovec, d->batch);
  d->names = g_new0 (struct sockaddr_storage, d->batch);
  d->controls = g_new0 (RpRxControl, d->batch);
  for (guint i = 0; i < d->batch; i++) {
    d->iovs[i].iov_base = d->bufs + (gsize) i * (c->max_packet + 1);
    d->iovs[i].iov_len = c->max_packet + 1;
    d->msgs[i].msg_hdr.msg_iov = &d->iovs[i];
    d->msgs[i].msg_hdr.msg_iovlen = 1;
    d->msgs[i].msg_hdr.msg_name = &d->names[i];
    d->msgs[i].msg_hdr.msg_control = d->controls[i].buf;
  }
  rp_bucket_init (&d->budget, c->global_packet_rate, g_get_monotonic_time ());
  d->slots = rp_slot_table_new (c->max_tcp_connections, c->tcp_connections_per_source);
  d->summary = g_timeout_source_new_seconds (SUMMARY_INTERVAL_S);
  g_source_set_callback (d->summary, on_summary, d, NULL);
  g_source_attach (d->summary, s->context);
  if (c->udp.port != 0) {
    d->udp = open_socket (&c->udp, G_SOCKET_TYPE_DATAGRAM, error);
    if (d->udp == NULL)
      goto fail;
    size_receive_buffer (g_socket_get_fd (d->udp), c->global_packet_rate);
    d->kernel_rx = rp_rx_time_enable (g_socket_get_fd (d->udp));
    if (!d->kernel_rx)
      g_message ("direct UDP port: no kernel receive timestamps (SO_TIMESTAMPNS: %s); T2 is "
                 "taken when the datagram is read, so the reflector's wake-up counts as path",
                 g_strerror (errno));
    d->udp_source = g_socket_create_source (d->udp, G_IO_IN, NULL);
    g_source_set_callback (d->udp_source, (GSourceFunc) (void (*) (void)) on_udp, d, NULL);
    g_source_attach (d->udp_source, s->context);
  }
  if (c->tcp.port != 0) {
    d->tcp = open_socket (&c->tcp, G_SOCKET_TYPE_STREAM, error);
    if (d->tcp == NULL)
      goto fail;
    d->tcp_source = g_socket_create_source (d->tcp, G_IO_IN, NULL);
    g_source_set_callback (d->tcp_source, (GSourceFunc) (void (*) (void)) on_accept, d, NULL);
    g_source_attach (d->tcp_source, s->context);
  }
  return d;
fail:
  g_prefix_error (error, "direct reflector port: ");
  rp_serve_direct_free (d);
  return NULL;
}

guint16 rp_serve_direct_udp_port (RpServeDirect *d) { return local_port (d->udp); }
guint16 rp_serve_direct_tcp_port (RpServeDirect *d) { return local_port (d->tcp); }

void
rp_serve_direct_free (RpServeDirect *d)
{
  if (d == NULL)
    return;
  while (d->conns != NULL)
    tcp_close (d->conns->data);
  if (d->summary != NULL) {
    g_source_destroy (d->summary);
    g_source_unref (d->summary);
  }
  if (d->udp_source != NULL) {
    g_source_destroy (d->udp_source);
    g_source_unref (d->udp_source);
  }
  if (d->tcp_source != NULL) {
    g_source_destroy (d->tcp_source);
    g_source_unref (d->tcp_source);
  }
  if (d->udp != NULL)
    g_socket_close (d->udp, NULL);
  if (d->tcp != NULL)
    g_socket_close (d->tcp, NULL);
  g_clear_object (&d->udp);
  g_clear_object (&d->tcp);
  rp_slot_table_free (d->slots);
  g_free (d->bufs);
  g_free (d->msgs);
  g_free (d->iovs);
  g_free (d->names);
  g_free (d->controls);
  g_free (d);
}
