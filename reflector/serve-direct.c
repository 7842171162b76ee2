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
 * session and it is not bound yet) and are counted. Work per wakeup is
 * bounded (RECV_BATCH datagrams), so a flood cannot starve the loop.
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
#include "reflector/serve-private.h"

#include <string.h>

#define RECV_BATCH 64
#define SUMMARY_INTERVAL_S 10

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
  guint8 *buf;             /* max_packet + 1: a longer datagram shows as truncated */
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

/* TRUE: buf[0..len) now holds the answer. */
static gboolean
answer (RpServeDirect *d, guint8 *buf, gsize len, const RpReflectorPeer *from, gint64 t2)
{
  RpServeSession *ss;

  if (len < RP_REFLECTOR_MIN_PACKET || len > d->serve->config->max_packet
      || (ss = rp_serve_session_by_ssid (d->serve, rp_reflector_packet_ssid (buf, len))) == NULL) {
    d->unauthenticated++;
    return FALSE;
  }
  switch (rp_serve_session_reflect_direct (ss, buf, len, from, t2)) {
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

static gboolean
on_udp (GSocket *sock, GIOCondition cond, gpointer data)
{
  RpServeDirect *d = data;
  gsize cap = d->serve->config->max_packet + 1;

  for (guint i = 0; i < RECV_BATCH; i++) {
    GSocketAddress *from = NULL;
    gssize n = g_socket_receive_from (sock, &from, (gchar *) d->buf, cap, NULL, NULL);
    gint64 t2 = g_get_monotonic_time ();
    if (n < 0)
      break;
    if ((gsize) n >= cap || from == NULL) {
      d->unauthenticated++;   /* truncated: longer than max_packet */
    } else {
      RpReflectorPeer peer;
      peer_of (&peer, RP_REFLECTOR_PEER_UDP, from, 0);
      if (answer (d, d->buf, (gsize) n, &peer, t2))
        g_socket_send_to (sock, from, (const gchar *) d->buf, (gsize) n, NULL, NULL);
    }
    g_clear_object (&from);
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

/* FALSE: close the connection. */
static gboolean
tcp_frame (TcpConn *c)
{
  gsize need = c->in_len >= 2 ? 2 + frame_len (c) : 2;
  gint64 t2 = g_get_monotonic_time ();

  if (c->in_len < 2 || c->in_len < need)
    return TRUE;
  if (!answer (c->d, c->in + 2, need - 2, &c->from, t2))
    return FALSE;
  destroy_source (&c->deadline);
  memcpy (c->out, c->in, need);
  c->out_len = need;
  c->out_off = 0;
  c->in_len = 0;
  return TRUE;
}

static gboolean
on_tcp_io (GSocket *sock, GIOCondition cond, gpointer data)
{
  TcpConn *c = data;
  gsize max = 2 + c->d->serve->config->max_packet;

  if (cond & (G_IO_HUP | G_IO_ERR))
    goto close;
  if (c->out_len > 0) {
    gssize n = g_socket_send (sock, (const gchar *) c->out + c->out_off, c->out_len - c->out_off,
                              NULL, NULL);
    if (n <= 0)
      goto close;
    c->out_off += (gsize) n;
    if (c->out_off < c->out_len)
      return G_SOURCE_CONTINUE;
    c->out_len = c->out_off = 0;
    tcp_watch (c, G_IO_IN);
    return G_SOURCE_REMOVE;
  }
  {
    /* Read no further than the end of the current frame. */
    gsize want = c->in_len < 2 ? 2 - c->in_len : 2 + frame_len (c) - c->in_len;
    gssize n;
    n = g_socket_receive (sock, (gchar *) c->in + c->in_len, want, NULL, NULL);
    if (n <= 0)
      goto close;
    if (c->in_len == 0 && c->deadline == NULL)
      tcp_arm_deadline (c);   /* the first octet of a frame after the first */
    c->in_len += (gsize) n;
    if (c->in_len == 2 && (2 + frame_len (c) > max || frame_len (c) < RP_REFLECTOR_MIN_PACKET))
      goto close;
    tcp_touch (c);
    if (!tcp_frame (c))
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
  d->buf = g_malloc (c->max_packet + 1);
  rp_bucket_init (&d->budget, c->global_packet_rate, g_get_monotonic_time ());
  d->slots = rp_slot_table_new (c->max_tcp_connections, c->tcp_connections_per_source);
  d->summary = g_timeout_source_new_seconds (SUMMARY_INTERVAL_S);
  g_source_set_callback (d->summary, on_summary, d, NULL);
  g_source_attach (d->summary, s->context);
  if (c->udp.port != 0) {
    d->udp = open_socket (&c->udp, G_SOCKET_TYPE_DATAGRAM, error);
    if (d->udp == NULL)
      goto fail;
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
  g_free (d->buf);
  g_free (d);
}
