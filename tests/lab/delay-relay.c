/* delay-relay: the lab's userspace delay injector (Debian's kernel here has
 * no netem). It sits between a client and a target and holds everything it
 * forwards for a delay drawn from a known distribution, one independent
 * draw per packet (UDP) or per read chunk (TCP), with a separate
 * distribution and random stream for each direction:
 *
 *   up    client -> target
 *   down  target -> client
 *
 * UDP mode keeps one upstream socket per client address (as a NAT would),
 * so the target sees each client as its own 5-tuple, and sends the target's
 * answers back to that client. TCP mode accepts, connects to the target
 * and forwards bytes chunk by chunk: a delayed stream (TURN over TCP).
 *
 * Timing: one min-heap of due times on CLOCK_MONOTONIC in microseconds and
 * ppoll() with nanosecond timeouts and a 1 ns timer slack, sleeping until
 * --spin-us before the next due time and polling without sleep from there
 * (timer wakeups alone come tens of microseconds late on a VM). A flow (one
 * client, one direction) is never reordered: a packet leaves no earlier
 * than the one before it, unless --reorder (UDP only). The queue is bounded:
 * UDP drops and counts when it is full, TCP stops reading. Counters and
 * the injector's own lateness go to stderr at exit (SIGTERM, SIGINT or
 * --max-seconds). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLOWS 64            /* UDP clients or TCP connections */
#define UDP_BATCH 64            /* datagrams read per wakeup and socket */
#define CHUNK_MAX 16384         /* TCP read size */

enum { UP, DOWN };
static const char *const dir_name[] = { "up", "down" };

typedef enum { DIST_CONST, DIST_UNIFORM, DIST_NORMAL } DistKind;

typedef struct {
  DistKind kind;
  double mean_us;
  double spread_us;             /* uniform: half width a; normal: sigma */
  GRand *rand;
} Dist;

typedef struct {
  guint64 received, forwarded, dropped, bytes;
  guint64 delayed;              /* items queued (packets, chunks, closes) */
  double delay_sum_us;          /* their drawn delays */
  double late_sum_us;           /* how late the injector itself sent */
  gint64 late_max_us;
  guint64 held;                 /* packets held back to keep the flow in order */
} Counters;

typedef struct {
  gint64 due_us;
  guint64 order;                /* FIFO among equal due times */
  int flow;
  guint gen;                    /* the flow's generation: stale items are dropped */
  int dir;
  gboolean eof;                 /* TCP: the sender shut its side */
  gsize len;
  guint8 data[];
} Item;

typedef struct {
  gboolean used;
  guint gen;
  /* UDP: the client's address and our socket toward the target */
  struct sockaddr_storage client;
  socklen_t client_len;
  int up_fd;
  /* TCP: fd[UP] is the client side (read for up), fd[DOWN] the target side */
  int fd[2];
  GQueue out[2];                /* due items waiting to be written, in order */
  gsize out_off[2];
  gboolean rd_closed[2], wr_closed[2];
  gint64 last_due[2];
} Flow;

typedef struct {
  gboolean tcp, reorder;
  gint64 spin_us;
  int listen_fd;
  struct sockaddr_storage target;
  socklen_t target_len;
  Dist dist[2];
  GPtrArray *heap;              /* Item*, min-heap on (due_us, order) */
  guint64 order;
  guint queued, queue_max;
  Flow flows[MAX_FLOWS];
  Counters c[2];
  guint64 flows_opened, flows_refused;
} Relay;

static volatile sig_atomic_t stop_signal;

static void
on_signal (int sig)
{
  stop_signal = sig;
}

static gint64
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- distributions ---- */

/* "D", "const:D", "uniform:D:A" (D-A .. D+A, A <= D) or "normal:D:SIGMA"
 * (resampled until >= 0: the normal truncated at 0); milliseconds. */
static gboolean
dist_parse (Dist *d, const char *text, GError **error)
{
  g_auto (GStrv) f = g_strsplit (text, ":", -1);
  guint n = g_strv_length (f);
  double v[2] = { 0, 0 };
  const char *kind = "const";
  guint first = 0;

  if (n >= 1 && g_ascii_isalpha (f[0][0])) {
    kind = f[0];
    first = 1;
  }
  if (n - first < 1 || n - first > 2)
    goto bad;
  for (guint i = first; i < n; i++) {
    char *end;
    v[i - first] = g_ascii_strtod (f[i], &end);
    if (end == f[i] || *end != '\0' || !(v[i - first] >= 0 && v[i - first] < 1e6))
      goto bad;
  }
  d->mean_us = v[0] * 1000;
  d->spread_us = v[1] * 1000;
  if (g_str_equal (kind, "const") && n - first == 1) {
    d->kind = DIST_CONST;
  } else if (g_str_equal (kind, "uniform") && n - first == 2 && v[1] <= v[0]) {
    d->kind = DIST_UNIFORM;
  } else if (g_str_equal (kind, "normal") && n - first == 2) {
    d->kind = DIST_NORMAL;
  } else {
    goto bad;
  }
  return TRUE;
bad:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "delay '%s': use D, const:D, uniform:D:A (A <= D) or normal:D:SIGMA, in ms", text);
  return FALSE;
}

static char *
dist_describe (const Dist *d)
{
  switch (d->kind) {
  case DIST_UNIFORM:
    return g_strdup_printf ("uniform %.3f +- %.3f ms", d->mean_us / 1000, d->spread_us / 1000);
  case DIST_NORMAL:
    return g_strdup_printf ("normal %.3f ms, sigma %.3f ms, truncated at 0", d->mean_us / 1000,
                            d->spread_us / 1000);
  case DIST_CONST:
  default:
    return g_strdup_printf ("constant %.3f ms", d->mean_us / 1000);
  }
}

static double
dist_draw_us (Dist *d)
{
  switch (d->kind) {
  case DIST_UNIFORM:
    return g_rand_double_range (d->rand, d->mean_us - d->spread_us, d->mean_us + d->spread_us);
  case DIST_NORMAL:
    /* Box-Muller; a negative draw is drawn again (truncation, not clamping,
     * which would pile mass on 0). Bounded: give 0 after many misses. */
    for (guint i = 0; i < 1000; i++) {
      double u1 = 1.0 - g_rand_double (d->rand);   /* (0, 1] */
      double u2 = g_rand_double (d->rand);
      double x = d->mean_us + d->spread_us * sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);
      if (x >= 0)
        return x;
    }
    return 0;
  case DIST_CONST:
  default:
    return d->mean_us;
  }
}

/* ---- the heap ---- */

static gboolean
item_before (const Item *a, const Item *b)
{
  return a->due_us < b->due_us || (a->due_us == b->due_us && a->order < b->order);
}

static void
heap_push (Relay *r, Item *it)
{
  GPtrArray *h = r->heap;
  guint i;

  g_ptr_array_add (h, it);
  for (i = h->len - 1; i > 0;) {
    guint p = (i - 1) / 2;
    if (!item_before (h->pdata[i], h->pdata[p]))
      break;
    Item *t = h->pdata[i];
    h->pdata[i] = h->pdata[p];
    h->pdata[p] = t;
    i = p;
  }
}

static Item *
heap_pop (Relay *r)
{
  GPtrArray *h = r->heap;
  Item *top = h->pdata[0];
  guint i = 0;

  h->pdata[0] = h->pdata[h->len - 1];
  g_ptr_array_set_size (h, h->len - 1);
  for (;;) {
    guint l = 2 * i + 1, m = i;
    if (l < h->len && item_before (h->pdata[l], h->pdata[m]))
      m = l;
    if (l + 1 < h->len && item_before (h->pdata[l + 1], h->pdata[m]))
      m = l + 1;
    if (m == i)
      break;
    Item *t = h->pdata[i];
    h->pdata[i] = h->pdata[m];
    h->pdata[m] = t;
    i = m;
  }
  return top;
}

static void
item_free (Relay *r, Item *it)
{
  r->queued--;
  g_free (it);
}

/* Queues len bytes from flow f, direction dir, that arrived at arrival_us. */
static void
enqueue (Relay *r, int f, int dir, const guint8 *data, gsize len, gboolean eof, gint64 arrival_us)
{
  Flow *fl = &r->flows[f];
  Item *it = g_malloc (sizeof *it + len);
  double delay = dist_draw_us (&r->dist[dir]);
  gint64 due = arrival_us + (gint64) llround (delay);

  /* In order: never before the flow's previous packet (TCP always). */
  if (!r->reorder || r->tcp) {
    if (due < fl->last_due[dir]) {
      due = fl->last_due[dir];
      r->c[dir].held++;
    }
    fl->last_due[dir] = due;
  }
  it->due_us = due;
  it->order = r->order++;
  it->flow = f;
  it->gen = fl->gen;
  it->dir = dir;
  it->eof = eof;
  it->len = len;
  if (len > 0)
    memcpy (it->data, data, len);
  r->queued++;
  r->c[dir].received += eof ? 0 : 1;
  r->c[dir].bytes += len;
  r->c[dir].delayed++;
  r->c[dir].delay_sum_us += delay;
  heap_push (r, it);
}

/* ---- addresses ---- */

/* "HOST:PORT" or "[V6]:PORT", numeric only. */
static gboolean
parse_addr (const char *text, struct sockaddr_storage *ss, socklen_t *len, GError **error)
{
  g_autofree char *host = NULL;
  const char *colon = strrchr (text, ':');
  struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_family = AF_UNSPEC };
  struct addrinfo *res = NULL;

  if (colon == NULL || colon == text || colon[1] == '\0')
    goto bad;
  if (text[0] == '[' && colon[-1] == ']')
    host = g_strndup (text + 1, colon - text - 2);
  else
    host = g_strndup (text, colon - text);
  if (getaddrinfo (host, colon + 1, &hints, &res) != 0 || res == NULL)
    goto bad;
  memcpy (ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo (res);
  return TRUE;
bad:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "'%s': use ADDRESS:PORT or [V6]:PORT, numeric", text);
  return FALSE;
}

static char *
addr_to_string (const struct sockaddr *sa, socklen_t len)
{
  char host[NI_MAXHOST], port[NI_MAXSERV];

  if (getnameinfo (sa, len, host, sizeof host, port, sizeof port,
                   NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return g_strdup ("?");
  return sa->sa_family == AF_INET6 ? g_strdup_printf ("[%s]:%s", host, port)
                                   : g_strdup_printf ("%s:%s", host, port);
}

static gboolean
addr_equal (const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
  if (a->ss_family != b->ss_family)
    return FALSE;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *) a, *y = (const void *) b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *) a, *y = (const void *) b;
    return x->sin6_port == y->sin6_port &&
           memcmp (&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return FALSE;
}

/* ---- flows ---- */

static int
flow_new (Relay *r)
{
  for (int i = 0; i < MAX_FLOWS; i++) {
    Flow *f = &r->flows[i];
    if (f->used)
      continue;
    guint gen = f->gen + 1;
    memset (f, 0, sizeof *f);
    f->used = TRUE;
    f->gen = gen;
    f->up_fd = f->fd[UP] = f->fd[DOWN] = -1;
    g_queue_init (&f->out[UP]);
    g_queue_init (&f->out[DOWN]);
    r->flows_opened++;
    return i;
  }
  r->flows_refused++;
  return -1;
}

static void
flow_close (Relay *r, int i)
{
  Flow *f = &r->flows[i];
  Item *it;

  for (int d = UP; d <= DOWN; d++) {
    while ((it = g_queue_pop_head (&f->out[d])) != NULL)
      item_free (r, it);
    if (f->fd[d] >= 0)
      close (f->fd[d]);
  }
  if (f->up_fd >= 0)
    close (f->up_fd);
  f->up_fd = f->fd[UP] = f->fd[DOWN] = -1;
  f->used = FALSE;       /* items still in the heap carry the old generation */
}

/* ---- UDP ---- */

static void
udp_read (Relay *r, int fd, int flow, int dir)
{
  static guint8 buf[65536];

  for (guint i = 0; i < UDP_BATCH; i++) {
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    gssize n = recvfrom (fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &from_len);
    gint64 t = now_us ();
    int f = flow;

    if (n < 0)
      return;   /* EAGAIN, or an ICMP error from the target: nothing to forward */
    if (dir == UP) {
      f = -1;
      for (int k = 0; k < MAX_FLOWS && f < 0; k++)
        if (r->flows[k].used && addr_equal (&r->flows[k].client, &from))
          f = k;
      if (f < 0) {
        int s;
        if ((f = flow_new (r)) < 0) {
          r->c[UP].dropped++;
          continue;
        }
        s = socket (r->target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s < 0 || connect (s, (struct sockaddr *) &r->target, r->target_len) != 0) {
          g_printerr ("delay-relay: upstream socket: %s\n", g_strerror (errno));
          if (s >= 0)
            close (s);
          r->flows[f].used = FALSE;
          r->c[UP].dropped++;
          continue;
        }
        r->flows[f].up_fd = s;
        r->flows[f].client = from;
        r->flows[f].client_len = from_len;
      }
    }
    if (r->queued >= r->queue_max) {
      r->c[dir].received++;
      r->c[dir].dropped++;
      continue;
    }
    enqueue (r, f, dir, buf, (gsize) n, FALSE, t);
  }
}

static void
udp_send (Relay *r, Item *it)
{
  Flow *f = &r->flows[it->flow];
  gssize n;

  if (it->dir == UP)
    n = send (f->up_fd, it->data, it->len, 0);
  else
    n = sendto (r->listen_fd, it->data, it->len, 0, (struct sockaddr *) &f->client, f->client_len);
  if (n == (gssize) it->len)
    r->c[it->dir].forwarded++;
  else
    r->c[it->dir].dropped++;
}

/* ---- TCP ---- */

static int
tcp_connect_target (Relay *r)
{
  int s = socket (r->target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  struct timeval tv = { 2, 0 };

  if (s < 0)
    return -1;
  /* Bounded, blocking: the target is on loopback or in a lab namespace. */
  setsockopt (s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect (s, (struct sockaddr *) &r->target, r->target_len) != 0) {
    g_printerr ("delay-relay: connect to the target: %s\n", g_strerror (errno));
    close (s);
    return -1;
  }
  setsockopt (s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl (s, F_SETFL, fcntl (s, F_GETFL) | O_NONBLOCK);
  return s;
}

static void
tcp_accept (Relay *r)
{
  int c = accept4 (r->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  int one = 1, f, t;

  if (c < 0)
    return;
  setsockopt (c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if ((f = flow_new (r)) < 0 || (t = tcp_connect_target (r)) < 0) {
    if (f >= 0)
      r->flows[f].used = FALSE;
    close (c);
    return;
  }
  r->flows[f].fd[UP] = c;
  r->flows[f].fd[DOWN] = t;
}

/* Writes what is due for one direction; FALSE when the connection broke. */
static gboolean
tcp_flush (Relay *r, int i, int dir)
{
  Flow *f = &r->flows[i];
  int fd = f->fd[dir == UP ? DOWN : UP];
  Item *it;

  while ((it = g_queue_peek_head (&f->out[dir])) != NULL) {
    if (it->eof) {
      shutdown (fd, SHUT_WR);
      f->wr_closed[dir] = TRUE;
    } else {
      gssize n = send (fd, it->data + f->out_off[dir], it->len - f->out_off[dir], MSG_NOSIGNAL);
      if (n < 0)
        return errno == EAGAIN || errno == EINTR;
      f->out_off[dir] += (gsize) n;
      if (f->out_off[dir] < it->len)
        return TRUE;
      r->c[dir].forwarded++;
    }
    f->out_off[dir] = 0;
    item_free (r, g_queue_pop_head (&f->out[dir]));
  }
  return TRUE;
}

static void
tcp_read (Relay *r, int i, int dir)
{
  Flow *f = &r->flows[i];
  guint8 buf[CHUNK_MAX];
  gssize n = recv (f->fd[dir], buf, sizeof buf, 0);
  gint64 t = now_us ();

  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR)
      flow_close (r, i);
    return;
  }
  if (n == 0) {
    /* The close travels with the same delay, behind the bytes before it. */
    f->rd_closed[dir] = TRUE;
    enqueue (r, i, dir, NULL, 0, TRUE, t);
    return;
  }
  enqueue (r, i, dir, buf, (gsize) n, FALSE, t);
}

/* ---- the loop ---- */

static void
run_due (Relay *r)
{
  while (r->heap->len > 0) {
    Item *it = r->heap->pdata[0];
    gint64 t = now_us ();
    Flow *f;

    if (it->due_us > t)
      return;
    heap_pop (r);
    f = &r->flows[it->flow];
    if (!f->used || f->gen != it->gen) {
      item_free (r, it);
      continue;
    }
    r->c[it->dir].late_sum_us += t - it->due_us;
    r->c[it->dir].late_max_us = MAX (r->c[it->dir].late_max_us, t - it->due_us);
    if (r->tcp) {
      g_queue_push_tail (&f->out[it->dir], it);
      if (!tcp_flush (r, it->flow, it->dir))
        flow_close (r, it->flow);
      else if (f->wr_closed[UP] && f->wr_closed[DOWN])
        flow_close (r, it->flow);
    } else {
      udp_send (r, it);
      item_free (r, it);
    }
  }
}

typedef struct {
  int flow, dir;                /* flow -1: the listening socket */
} Slot;

static void
loop (Relay *r, gint64 end_us)
{
  struct pollfd pfd[1 + 2 * MAX_FLOWS];
  Slot slot[1 + 2 * MAX_FLOWS];
  sigset_t during;

  sigemptyset (&during);
  while (!stop_signal) {
    gint64 t = now_us (), wake = end_us;
    struct timespec ts;
    nfds_t n = 0;
    int rc;

    if (t >= end_us)
      break;
    if (r->heap->len > 0)
      wake = MIN (wake, ((Item *) r->heap->pdata[0])->due_us);
    /* The last spin_us before a due time are polled without sleeping:
     * a timer wakeup on a VM is tens of microseconds late. */
    wake -= t;
    wake = wake > r->spin_us ? wake - r->spin_us : 0;
    ts.tv_sec = wake / G_USEC_PER_SEC;
    ts.tv_nsec = (wake % G_USEC_PER_SEC) * 1000;

    pfd[n] = (struct pollfd) { r->listen_fd, POLLIN, 0 };
    slot[n++] = (Slot) { -1, -1 };
    for (int i = 0; i < MAX_FLOWS; i++) {
      Flow *f = &r->flows[i];
      if (!f->used)
        continue;
      if (!r->tcp) {
        pfd[n] = (struct pollfd) { f->up_fd, POLLIN, 0 };
        slot[n++] = (Slot) { i, DOWN };
        continue;
      }
      /* TCP: one pollfd per socket; reading it feeds its direction, writing
       * it drains the other one. A full queue stops reading (no drops). */
      for (int d = UP; d <= DOWN; d++) {
        short ev = 0;
        if (!f->rd_closed[d] && r->queued < r->queue_max)
          ev |= POLLIN;
        if (!g_queue_is_empty (&f->out[d == UP ? DOWN : UP]))
          ev |= POLLOUT;
        /* Nothing wanted: -1, so a half-closed socket's POLLHUP cannot spin. */
        pfd[n] = (struct pollfd) { ev != 0 ? f->fd[d] : -1, ev, 0 };
        slot[n++] = (Slot) { i, d };
      }
    }
    rc = ppoll (pfd, n, &ts, &during);
    if (rc < 0 && errno != EINTR) {
      g_printerr ("delay-relay: ppoll: %s\n", g_strerror (errno));
      break;
    }
    for (nfds_t k = 0; rc > 0 && k < n; k++) {
      const Slot *s = &slot[k];
      short re = pfd[k].revents;
      if (re == 0)
        continue;
      if (s->flow < 0) {
        if (r->tcp)
          tcp_accept (r);
        else
          udp_read (r, r->listen_fd, -1, UP);
        continue;
      }
      if (!r->flows[s->flow].used)
        continue;
      if (!r->tcp) {
        udp_read (r, pfd[k].fd, s->flow, DOWN);
        continue;
      }
      if ((re & POLLOUT) && !tcp_flush (r, s->flow, s->dir == UP ? DOWN : UP)) {
        flow_close (r, s->flow);
        continue;
      }
      if (!r->flows[s->flow].used)
        continue;
      if (!r->flows[s->flow].rd_closed[s->dir] && (re & (POLLIN | POLLHUP | POLLERR)))
        tcp_read (r, s->flow, s->dir);
      else if (re & POLLERR)
        flow_close (r, s->flow);
    }
    run_due (r);
  }
}

static void
print_counters (const Relay *r, const char *why)
{
  g_printerr ("delay-relay: stopping (%s); flows %" G_GUINT64_FORMAT " opened, %" G_GUINT64_FORMAT
              " refused\n",
              why, r->flows_opened, r->flows_refused);
  for (int d = UP; d <= DOWN; d++) {
    const Counters *c = &r->c[d];
    g_printerr ("delay-relay: %s: received %" G_GUINT64_FORMAT " forwarded %" G_GUINT64_FORMAT
                " dropped %" G_GUINT64_FORMAT " held-in-order %" G_GUINT64_FORMAT
                " bytes %" G_GUINT64_FORMAT
                " mean-delay-ms %.3f late-mean-us %.1f late-max-us %" G_GINT64_FORMAT "\n",
                dir_name[d], c->received, c->forwarded, c->dropped, c->held, c->bytes,
                c->delayed > 0 ? c->delay_sum_us / c->delayed / 1000 : 0.0,
                c->forwarded > 0 ? c->late_sum_us / c->forwarded : 0.0, c->late_max_us);
  }
}

int
main (int argc, char **argv)
{
  g_autofree char *mode = NULL, *listen_s = NULL, *target_s = NULL;
  g_autofree char *delay_s = NULL, *up_s = NULL, *down_s = NULL;
  gint64 seed = -1;
  int max_seconds = 600, queue_max = 10000;
  gboolean reorder = FALSE;
  int spin_us = 250;
  GOptionEntry entries[] = {
    { "mode", 'm', 0, G_OPTION_ARG_STRING, &mode, "udp (default) or tcp", "MODE" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen_s, "Address to listen on (port 0: any)",
      "ADDR:PORT" },
    { "target", 't', 0, G_OPTION_ARG_STRING, &target_s, "Address to forward to", "ADDR:PORT" },
    { "delay", 'd', 0, G_OPTION_ARG_STRING, &delay_s,
      "Delay both ways: D, const:D, uniform:D:A, normal:D:SIGMA (ms; default 0)", "SPEC" },
    { "up", 0, 0, G_OPTION_ARG_STRING, &up_s, "Delay client -> target (overrides --delay)",
      "SPEC" },
    { "down", 0, 0, G_OPTION_ARG_STRING, &down_s, "Delay target -> client (overrides --delay)",
      "SPEC" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (default: random, printed)", "N" },
    { "queue", 'q', 0, G_OPTION_ARG_INT, &queue_max,
      "Most packets or chunks held at once (default 10000)", "N" },
    { "reorder", 0, 0, G_OPTION_ARG_NONE, &reorder,
      "UDP: let a shorter draw overtake (default: keep order)", NULL },
    { "spin-us", 0, 0, G_OPTION_ARG_INT, &spin_us,
      "Poll without sleeping this long before a due time (default 250)", "US" },
    { "max-seconds", 0, 0, G_OPTION_ARG_INT, &max_seconds, "Exit after this long (default 600)",
      "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- delay injector for the rtcprobe lab");
  g_autoptr (GError) error = NULL;
  Relay *r = g_new0 (Relay, 1);
  struct sockaddr_storage ls;
  socklen_t ls_len;
  struct sigaction sa = { 0 };
  sigset_t block;
  int one = 1;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    goto usage;
  r->tcp = mode != NULL && g_str_equal (mode, "tcp");
  if (mode != NULL && !r->tcp && !g_str_equal (mode, "udp")) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--mode udp or tcp, not '%s'",
                 mode);
    goto usage;
  }
  if (listen_s == NULL || target_s == NULL) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "--listen and --target are required");
    goto usage;
  }
  if (!parse_addr (listen_s, &ls, &ls_len, &error) ||
      !parse_addr (target_s, &r->target, &r->target_len, &error))
    goto usage;
  if (!dist_parse (&r->dist[UP], up_s ? up_s : delay_s ? delay_s : "0", &error) ||
      !dist_parse (&r->dist[DOWN], down_s ? down_s : delay_s ? delay_s : "0", &error))
    goto usage;
  if (max_seconds <= 0 || queue_max <= 0 || spin_us < 0 || spin_us > 100000) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--max-seconds and --queue must be > 0, --spin-us 0-100000");
    goto usage;
  }
  if (seed < 0)
    seed = g_random_int ();
  /* Independent streams per direction, each reproducible from the seed
   * whatever the other direction does. */
  r->dist[UP].rand = g_rand_new_with_seed ((guint32) seed);
  r->dist[DOWN].rand = g_rand_new_with_seed ((guint32) seed ^ 0x9e3779b9u);
  r->reorder = reorder;
  r->spin_us = spin_us;
  r->queue_max = (guint) queue_max;
  r->heap = g_ptr_array_new ();

  /* ppoll wakes within the timer slack: make it 1 ns, not 50 us. */
  prctl (PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  sa.sa_handler = on_signal;
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  /* Signals are taken only inside ppoll (its mask), so none is missed. */
  sigemptyset (&block);
  sigaddset (&block, SIGTERM);
  sigaddset (&block, SIGINT);
  sigprocmask (SIG_BLOCK, &block, NULL);

  r->listen_fd =
    socket (ls.ss_family, (r->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r->listen_fd < 0) {
    g_printerr ("delay-relay: socket: %s\n", g_strerror (errno));
    return 1;
  }
  setsockopt (r->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (r->listen_fd, (struct sockaddr *) &ls, ls_len) != 0 ||
      (r->tcp && listen (r->listen_fd, 64) != 0)) {
    g_printerr ("delay-relay: bind %s: %s\n", listen_s, g_strerror (errno));
    return 1;
  }
  {
    g_autofree char *la = NULL, *ta = NULL, *du = NULL, *dd = NULL;
    ls_len = sizeof ls;
    getsockname (r->listen_fd, (struct sockaddr *) &ls, &ls_len);
    la = addr_to_string ((struct sockaddr *) &ls, ls_len);
    ta = addr_to_string ((struct sockaddr *) &r->target, r->target_len);
    du = dist_describe (&r->dist[UP]);
    dd = dist_describe (&r->dist[DOWN]);
    g_print ("delay-relay: %s %s -> %s; up %s; down %s; seed %" G_GINT64_FORMAT "%s\n",
             r->tcp ? "tcp" : "udp", la, ta, du, dd, seed, r->reorder ? "; may reorder" : "");
    fflush (stdout);
  }

  loop (r, now_us () + (gint64) max_seconds * G_USEC_PER_SEC);
  print_counters (r, stop_signal == SIGTERM  ? "SIGTERM"
                     : stop_signal == SIGINT ? "SIGINT"
                                             : "--max-seconds");
  return 0;

usage:
  g_printerr ("delay-relay: %s\n", error->message);
  return 2;
}
