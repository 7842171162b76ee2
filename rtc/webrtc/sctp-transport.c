/* SCTP through usrsctp (see sctp-transport.h). usrsctp is initialised once
 * per process. Each transport is known to usrsctp by a small number, not by
 * a pointer: the callbacks look the number up in a table under a lock, so a
 * callback that races with rp_sctp_transport_free() finds nothing and drops
 * its data. What they find is the transport's mailbox (a reference-counted
 * queue with a GSource), never the transport itself. */
#include "rtc/webrtc/sctp-transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#define MAILBOX_ITEMS 4096

typedef enum { ITEM_OUTPUT, ITEM_MESSAGE, ITEM_UP, ITEM_DOWN, ITEM_RESET } ItemKind;

typedef struct {
  ItemKind kind;
  guint16 stream;
  guint32 ppid;
  gboolean eor;
  GBytes *bytes;            /* OUTPUT, MESSAGE */
} Item;

typedef struct {
  gint refs;
  GMutex lock;
  GQueue items;             /* Item */
  gsize bytes;
  gboolean closed;
  GSource *source;
} Mailbox;

struct _RpSctpTransport {
  GMainContext *context;
  guint id;                 /* usrsctp's address for this transport */
  struct socket *sock;
  Mailbox *mailbox;
  guint16 local_port, remote_port;
  gsize max_message;
  RpSctpCallbacks cb;
  gpointer user_data;
  gboolean connected, gone;
  GByteArray *partial;      /* a message delivered in pieces */
  gboolean discarding;      /* the partial message outgrew max_message */
  guint dispatching;
  gboolean dead;
};

static GMutex table_lock;
static GHashTable *table;   /* id -> Mailbox */
static guint next_id = 1;

/* ---- the mailbox, used from any thread ---- */

static Mailbox *
mailbox_ref (Mailbox *m)
{
  g_atomic_int_inc (&m->refs);
  return m;
}

static void
item_free (gpointer p)
{
  Item *it = p;

  g_clear_pointer (&it->bytes, g_bytes_unref);
  g_free (it);
}

static void
mailbox_unref (Mailbox *m)
{
  if (!g_atomic_int_dec_and_test (&m->refs))
    return;
  g_queue_clear_full (&m->items, item_free);
  g_mutex_clear (&m->lock);
  if (m->source != NULL)
    g_source_unref (m->source);
  g_free (m);
}

static Mailbox *
lookup (void *addr)
{
  Mailbox *m;

  g_mutex_lock (&table_lock);
  m = table != NULL ? g_hash_table_lookup (table, addr) : NULL;
  if (m != NULL)
    mailbox_ref (m);
  g_mutex_unlock (&table_lock);
  return m;
}

/* Takes it. Items past the bounds are dropped: SCTP retransmits what matters. */
static void
post (Mailbox *m, Item *it)
{
  gsize n = it->bytes != NULL ? g_bytes_get_size (it->bytes) : 0;

  g_mutex_lock (&m->lock);
  if (m->closed || m->items.length >= MAILBOX_ITEMS || m->bytes + n > RP_SCTP_MAILBOX_BYTES) {
    g_mutex_unlock (&m->lock);
    item_free (it);
    return;
  }
  g_queue_push_tail (&m->items, it);
  m->bytes += n;
  g_source_set_ready_time (m->source, 0);
  g_mutex_unlock (&m->lock);
}

/* ---- usrsctp's callbacks (its threads, or inside a usrsctp call) ---- */

static int
on_output (void *addr, void *buffer, size_t length, uint8_t tos, uint8_t set_df)
{
  Mailbox *m = lookup (addr);
  Item *it;

  if (m == NULL)
    return 0;
  it = g_new0 (Item, 1);
  it->kind = ITEM_OUTPUT;
  it->bytes = g_bytes_new (buffer, length);
  post (m, it);
  mailbox_unref (m);
  return 0;
}

static Item *
notification (const union sctp_notification *n, size_t len)
{
  Item *it;

  if (len < sizeof n->sn_header)
    return NULL;
  switch (n->sn_header.sn_type) {
  case SCTP_ASSOC_CHANGE:
    if (len < sizeof n->sn_assoc_change)
      return NULL;
    it = g_new0 (Item, 1);
    it->kind = n->sn_assoc_change.sac_state == SCTP_COMM_UP ? ITEM_UP : ITEM_DOWN;
    if (n->sn_assoc_change.sac_state == SCTP_RESTART)
      it->kind = ITEM_UP;
    return it;
  case SCTP_SHUTDOWN_EVENT:
    it = g_new0 (Item, 1);
    it->kind = ITEM_DOWN;
    return it;
  default:
    return NULL;
  }
}

/* An incoming reset names several streams: one item per stream. */
static void
post_resets (Mailbox *m, const struct sctp_stream_reset_event *e, size_t len)
{
  size_t count;

  if (len < sizeof *e || !(e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN))
    return;
  count = MIN ((len - sizeof *e) / sizeof (uint16_t), (size_t) RP_SCTP_STREAMS);
  for (size_t i = 0; i < count; i++) {
    Item *it = g_new0 (Item, 1);
    it->kind = ITEM_RESET;
    it->stream = e->strreset_stream_list[i];
    post (m, it);
  }
}

static int
on_receive (struct socket *sock, union sctp_sockstore addr, void *data, size_t len,
            struct sctp_rcvinfo rcv, int flags, void *ulp_info)
{
  Mailbox *m = lookup (ulp_info);
  Item *it = NULL;

  if (m != NULL && data == NULL) {
    it = g_new0 (Item, 1);
    it->kind = ITEM_DOWN;
  } else if (m != NULL && (flags & MSG_NOTIFICATION)) {
    const union sctp_notification *n = data;
    if (len >= sizeof n->sn_header && n->sn_header.sn_type == SCTP_STREAM_RESET_EVENT)
      post_resets (m, &n->sn_strreset_event, len);
    else
      it = notification (n, len);
  } else if (m != NULL) {
    it = g_new0 (Item, 1);
    it->kind = ITEM_MESSAGE;
    it->stream = rcv.rcv_sid;
    it->ppid = ntohl (rcv.rcv_ppid);
    it->eor = (flags & MSG_EOR) != 0;
    it->bytes = g_bytes_new (data, len);
  }
  if (it != NULL)
    post (m, it);
  if (m != NULL)
    mailbox_unref (m);
  free (data);
  return 1;
}

/* ---- delivery on the context ---- */

static void
enter (RpSctpTransport *t)
{
  t->dispatching++;
}

static void really_free (RpSctpTransport *t);

static gboolean
leave (RpSctpTransport *t)
{
  gboolean alive = !t->dead;

  if (--t->dispatching == 0 && t->dead)
    really_free (t);
  return alive;
}

static void
deliver_message (RpSctpTransport *t, Item *it)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (it->bytes, &n);

  if (t->partial->len + n > t->max_message)
    t->discarding = TRUE;
  if (!t->discarding)
    g_byte_array_append (t->partial, d, (guint) n);
  if (!it->eor)
    return;
  if (!t->discarding && t->cb.message != NULL)
    t->cb.message (it->stream, it->ppid, t->partial->data, t->partial->len, t->user_data);
  if (!t->dead) {
    g_byte_array_set_size (t->partial, 0);
    t->discarding = FALSE;
  }
}

static void
deliver (RpSctpTransport *t, Item *it)
{
  switch (it->kind) {
  case ITEM_OUTPUT:
    if (t->cb.send != NULL) {
      gsize n;
      const guint8 *d = g_bytes_get_data (it->bytes, &n);
      t->cb.send (d, n, t->user_data);
    }
    break;
  case ITEM_MESSAGE:
    deliver_message (t, it);
    break;
  case ITEM_UP:
    if (!t->connected && !t->gone) {
      t->connected = TRUE;
      if (t->cb.connected != NULL)
        t->cb.connected (t->user_data);
    }
    break;
  case ITEM_DOWN:
    if (!t->gone) {
      gboolean was = t->connected;
      t->gone = TRUE;
      t->connected = FALSE;
      if (t->cb.closed != NULL)
        t->cb.closed (was ? "SCTP: the association ended" : "SCTP: the association never came up",
                      t->user_data);
    }
    break;
  case ITEM_RESET:
    if (t->cb.stream_reset != NULL)
      t->cb.stream_reset (it->stream, t->user_data);
    break;
  }
}

static gboolean
mailbox_dispatch (GSource *source, GSourceFunc unused, gpointer data)
{
  RpSctpTransport *t = data;
  GQueue items = G_QUEUE_INIT;
  Item *it;

  g_source_set_ready_time (source, -1);
  g_mutex_lock (&t->mailbox->lock);
  items = t->mailbox->items;
  g_queue_init (&t->mailbox->items);
  t->mailbox->bytes = 0;
  g_mutex_unlock (&t->mailbox->lock);
  enter (t);
  while ((it = g_queue_pop_head (&items)) != NULL) {
    if (!t->dead)
      deliver (t, it);
    item_free (it);
  }
  leave (t);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs mailbox_funcs = { NULL, NULL, mailbox_dispatch, NULL, NULL, NULL };

/* ---- setup ---- */

static gpointer
init_usrsctp (gpointer unused)
{
  usrsctp_init (0, on_output, NULL);
  usrsctp_sysctl_set_sctp_ecn_enable (0);
  usrsctp_sysctl_set_sctp_pr_enable (1);         /* RFC 3758, for partial reliability */
  usrsctp_sysctl_set_sctp_asconf_enable (0);    /* unused by data channels, as Firefox has it */
  usrsctp_sysctl_set_sctp_auth_enable (0);      /* DTLS authenticates (RFC 8261 6) */
  table = g_hash_table_new (NULL, NULL);
  return NULL;
}

static gboolean
setopt (struct socket *s, int level, int name, const void *v, socklen_t len)
{
  return usrsctp_setsockopt (s, level, name, v, len) == 0;
}

static gboolean
configure (RpSctpTransport *t)
{
  static const uint16_t events[] = { SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT,
                                     SCTP_SHUTDOWN_EVENT };
  struct linger lin = { 1, 0 };
  int one = 1, buf = RP_SCTP_BUFFER;
  struct sctp_assoc_value reset = { SCTP_ALL_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ };
  struct sctp_initmsg init = { .sinit_num_ostreams = RP_SCTP_STREAMS,
                               .sinit_max_instreams = RP_SCTP_STREAMS };
  struct sctp_event ev = { .se_assoc_id = SCTP_ALL_ASSOC, .se_on = 1 };

  if (usrsctp_set_non_blocking (t->sock, 1) != 0
      || !setopt (t->sock, SOL_SOCKET, SO_LINGER, &lin, sizeof lin)
      || !setopt (t->sock, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf)
      || !setopt (t->sock, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf)
      || !setopt (t->sock, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one)
      || !setopt (t->sock, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof one)
      || !setopt (t->sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof reset)
      || !setopt (t->sock, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (events); i++) {
    ev.se_type = events[i];
    if (!setopt (t->sock, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev))
      return FALSE;
  }
  return TRUE;
}

static void
sconn (RpSctpTransport *t, struct sockaddr_conn *a, guint16 port)
{
  memset (a, 0, sizeof *a);
  a->sconn_family = AF_CONN;
  a->sconn_port = htons (port);
  a->sconn_addr = GUINT_TO_POINTER (t->id);
}

RpSctpTransport *
rp_sctp_transport_new (GMainContext *context, guint16 local_port, guint16 remote_port,
                       gsize max_message, const RpSctpCallbacks *callbacks, gpointer user_data,
                       GError **error)
{
  static GOnce once = G_ONCE_INIT;
  RpSctpTransport *t = g_new0 (RpSctpTransport, 1);
  Mailbox *m = g_new0 (Mailbox, 1);
  struct sockaddr_conn a;

  g_once (&once, init_usrsctp, NULL);
  t->context = g_main_context_ref (context);
  t->local_port = local_port;
  t->remote_port = remote_port;
  t->max_message = max_message > 0 ? max_message : RP_SCTP_BUFFER;
  t->cb = *callbacks;
  t->user_data = user_data;
  t->partial = g_byte_array_new ();
  m->refs = 1;
  g_mutex_init (&m->lock);
  m->source = g_source_new (&mailbox_funcs, sizeof (GSource));
  g_source_set_callback (m->source, NULL, t, NULL);
  g_source_attach (m->source, context);
  t->mailbox = m;
  g_mutex_lock (&table_lock);
  t->id = next_id++;
  g_hash_table_insert (table, GUINT_TO_POINTER (t->id), mailbox_ref (m));
  g_mutex_unlock (&table_lock);
  usrsctp_register_address (GUINT_TO_POINTER (t->id));
  t->sock = usrsctp_socket (AF_CONN, SOCK_STREAM, IPPROTO_SCTP, on_receive, NULL, 0,
                            GUINT_TO_POINTER (t->id));
  sconn (t, &a, local_port);
  if (t->sock == NULL || !configure (t)
      || usrsctp_bind (t->sock, (struct sockaddr *) &a, sizeof a) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "SCTP: usrsctp could not open a socket: %s",
                 g_strerror (errno));
    rp_sctp_transport_free (t);
    return NULL;
  }
  return t;
}

static void
really_free (RpSctpTransport *t)
{
  g_byte_array_unref (t->partial);
  g_main_context_unref (t->context);
  g_free (t);
}

void
rp_sctp_transport_free (RpSctpTransport *t)
{
  Mailbox *m;

  if (t == NULL || t->dead)
    return;
  m = t->mailbox;
  g_mutex_lock (&table_lock);
  if (g_hash_table_remove (table, GUINT_TO_POINTER (t->id)))
    mailbox_unref (m);
  g_mutex_unlock (&table_lock);
  if (t->sock != NULL)
    usrsctp_close (t->sock);
  usrsctp_deregister_address (GUINT_TO_POINTER (t->id));
  g_mutex_lock (&m->lock);
  m->closed = TRUE;
  g_source_destroy (m->source);
  g_mutex_unlock (&m->lock);
  mailbox_unref (m);
  t->dead = TRUE;
  if (t->dispatching == 0)
    really_free (t);
}

gboolean
rp_sctp_transport_connect (RpSctpTransport *t, GError **error)
{
  struct sockaddr_conn a;

  sconn (t, &a, t->remote_port);
  if (usrsctp_connect (t->sock, (struct sockaddr *) &a, sizeof a) != 0 && errno != EINPROGRESS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "SCTP: connect failed: %s",
                 g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

void
rp_sctp_transport_receive (RpSctpTransport *t, const guint8 *data, gsize len)
{
  if (!t->dead)
    usrsctp_conninput (GUINT_TO_POINTER (t->id), data, len, 0);
}

gboolean
rp_sctp_transport_send (RpSctpTransport *t, guint16 stream, guint32 ppid,
                        const RpDcepPolicy *policy, const guint8 *data, gsize len,
                        GError **error)
{
  static const guint8 zero = 0;
  struct sctp_sendv_spa spa = { .sendv_flags = SCTP_SEND_SNDINFO_VALID };

  if (!t->connected) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "SCTP: the association is not up");
    return FALSE;
  }
  if (len == 0) {
    ppid = ppid == RP_DCEP_PPID_STRING ? RP_DCEP_PPID_STRING_EMPTY : RP_DCEP_PPID_BINARY_EMPTY;
    data = &zero;
    len = 1;
  }
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl (ppid);
  spa.sendv_sndinfo.snd_flags = SCTP_EOR | (policy->ordered ? 0 : SCTP_UNORDERED);
  if (policy->limit_rtx || policy->limit_time) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = policy->limit_rtx ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
    spa.sendv_prinfo.pr_value = policy->limit_rtx ? policy->max_rtx : policy->lifetime_ms;
  }
  if (usrsctp_sendv (t->sock, data, len, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0) < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, e == EWOULDBLOCK ? G_IO_ERROR_WOULD_BLOCK : G_IO_ERROR_FAILED,
                 "SCTP: sending %" G_GSIZE_FORMAT " octets on stream %u failed: %s", len, stream,
                 g_strerror (e));
    return FALSE;
  }
  return TRUE;
}

gboolean
rp_sctp_transport_reset_stream (RpSctpTransport *t, guint16 stream)
{
  gsize size = sizeof (struct sctp_reset_streams) + sizeof (uint16_t);
  g_autofree struct sctp_reset_streams *r = g_malloc0 (size);

  r->srs_assoc_id = SCTP_ALL_ASSOC;
  r->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  r->srs_number_streams = 1;
  r->srs_stream_list[0] = stream;
  return t->connected && setopt (t->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, r, (socklen_t) size);
}

gboolean rp_sctp_transport_is_connected (RpSctpTransport *t) { return t->connected; }
