/* The streams of `rtcprobe load` and their steps (see load-run.h).
 *
 * A step first sets up its new streams (the streams of earlier steps keep
 * sending, counted nowhere), then opens its measured window: the window
 * measures its streams sending, not the server answering set-ups too. The
 * window opens when every set-up is answered, or after
 * rp_load_settle_cap_us() with what is up by then (the step says how many
 * were not). Its loss counts the packets sent from the window's start
 * until a grace period before the step's end (so each had that long to
 * come back): per stream, their sequence numbers are [lo, hi); RTT and
 * jitter count the replies to packets from lo on.
 * With --allocations-only the set-ups are what a step measures: its window
 * opens at once. RTT is (T4 - T1) - (T3 - T2) (RFC 8762
 * 4.2.1 timestamps, all on this host's monotonic clock: the one-way transit
 * times are real here, so RFC 3550 A.8 jitter is taken per direction). */
#include "probe/net/load-run.h"

#include <string.h>

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe/net/relay-pair.h"
#include "reflector/protocol/reflector-auth.h"
#include "rtc/voice/stamp.h"
#include "rtc/voice/stats.h"
#include "stun/stun-timer.h"

#define GRACE_MAX_US (500 * 1000)
#define REFRESH_CHECK_S 2
/* RFC 8656: permissions last 300 s, channels 600 s, allocations the
 * LIFETIME the server granted (600 s by default): each is renewed at half
 * its allocation's lifetime, and at least every 120 s. */
#define REFRESH_MAX_US (120 * G_USEC_PER_SEC)
#define REFRESH_MIN_US (4 * G_USEC_PER_SEC)
#define DEFAULT_LIFETIME_S 600
#define RELEASE_BUDGET_MS 3000
#define ENGINE_SLOTS 4096
/* Set-ups in flight at once: a step of 500 streams is 2,000 requests with
 * the 401 round; sent together they queue at the server past the STUN
 * retransmission timer, and a retransmitted Allocate that the server had
 * already granted is answered 437 (RFC 8656 7.2): the probe would measure
 * its own burst. */
#define MAX_SETUPS 32
#define MAX_437_RETRIES 3

typedef enum { SETUP, LIVE, FAILED } StreamState;

typedef struct {
  RpLoadRun *run;
  const RpLoadServer *server;
  StreamState state;
  RpRelayPair *pair;            /* streams */
  RpTurnClient *turn;           /* allocations_only */
  gint64 started_us;
  RpEngineSocket *sa, *sb;
  RpEngineTimer timer;
  guint32 next_seq, lo, hi;
  RpStampReflector reflector;
  gboolean have[2];
  double transit_ms[2], jitter_ms[2];
  gint64 refreshed_us;
  gboolean releasing;
  guint retries;                /* set up again from a new port after a 437 */
  /* direct: the socket, the SSID, and the replies that bound the window */
  guint index;                  /* in run->streams */
  int fd;
  guint16 ssid;
  guint32 returned;             /* in the window */
  gboolean have_first, have_after;
  guint32 first_seq, first_r, last_r, after_r;
} Stream;

struct _RpLoadRun {
  RpLoadConfig config;
  RpPacketEngine *engine;
  GPtrArray *streams;           /* Stream*, in the order started */
  guint steps;                  /* planned */
  guint step;                   /* the current one */
  RpLoadStep current;
  gint64 begin_us;              /* the step's start: its set-ups go */
  gint64 step_start_us, window_end_us;   /* its measured window */
  gboolean settling;            /* set-ups before the window */
  GSource *settle_timer, *step_timer, *window_timer, *refresh_timer, *release_timer;
  gboolean running, stopping, finished;
  gboolean quota_seen;          /* a 486 came; the quota is not counted yet */
  guint want;                   /* streams the current step asks for */
  guint setups;                 /* in flight */
  GPtrArray *discarded;         /* clients and pairs given up for a new port, freed at the end */
  guint releases_pending;
  gint64 first_allocate_us, last_answer_us;
  RpLoadTotals totals;
};

static void end_step (RpLoadRun *run);
static void open_window (RpLoadRun *run);

static gint64
step_len_us (RpLoadRun *run, guint k)
{
  double s = k + 1 == run->steps && run->config.last_hold_s > 0 ? run->config.last_hold_s
                                                                 : run->config.ramp.interval_s;
  return (gint64) (s * G_USEC_PER_SEC);
}

/* ---- the data path ---- */

static gboolean
in_window (const Stream *s, guint32 seq)
{
  return seq >= s->lo && seq < s->hi;
}

/* A reply that belongs to the step's figures: sent since its window opened. */
static gboolean
since_window (const Stream *s, guint32 seq)
{
  return seq >= s->lo;
}

static void
jitter (Stream *s, RpLoadDir d, double transit_ms)
{
  if (s->have[d])
    rp_jitter_update (&s->jitter_ms[d], s->transit_ms[d], transit_ms);
  s->have[d] = TRUE;
  s->transit_ms[d] = transit_ms;
  rp_histogram_add (&s->run->current.jitter_us[d], (gint64) (s->jitter_ms[d] * 1000));
}

static void
on_tick (RpEngineTimer *t, gint64 due_us, gpointer data)
{
  Stream *s = data;
  RpLoadRun *run = s->run;
  RpStampSender p = { 0 };
  guint8 *buf;

  if (s->state != LIVE || !run->running)
    return;
  p.seq = s->next_seq++;
  p.error_estimate = RP_STAMP_EE_DEFAULT;
  p.timestamp = rp_stamp_us_to_ntp (g_get_monotonic_time ());
  if (in_window (s, p.seq))
    run->current.sent++;
  buf = rp_packet_engine_prepare (run->engine, s->sa, RP_RELAY_CHANNEL_A, due_us);
  if (buf != NULL && run->config.direct != NULL) {
    p.ssid = s->ssid;
    rp_reflector_packet_encode (&p, run->config.packet_size, run->config.direct_key, buf,
                                run->config.packet_size);
    rp_packet_engine_commit (run->engine, s->sa, run->config.packet_size);
  } else if (buf != NULL) {
    rp_stamp_sender_encode (&p, run->config.packet_size, buf, run->config.packet_size);
    rp_packet_engine_commit (run->engine, s->sa, run->config.packet_size);
  }
  /* Out now: T1 is when it leaves, not when the last stream due with it
   * was encoded (each stream has its own socket: a batch saves nothing). */
  rp_packet_engine_flush (run->engine);
  rp_packet_engine_schedule (run->engine, t, due_us + run->config.interval_us);
}

/* B: the Session-Reflector, answering through its own channel. */
static void
on_b_data (RpEngineSocket *sock, guint16 channel, guint8 *payload, gsize len, gint64 rx_us,
           gpointer data)
{
  Stream *s = data;
  RpLoadRun *run = s->run;
  RpStampSender sp;
  guint8 *out;

  if (!run->running || len > run->config.packet_size ||
      rp_stamp_sender_decode (payload, len, &sp) != RP_STAMP_OK)
    return;
  if (in_window (s, sp.seq))
    run->current.reached++;
  if (since_window (s, sp.seq))
    jitter (s, RP_LOAD_FWD, (rx_us - rp_stamp_ntp_to_us (sp.timestamp)) / 1000.0);
  out = rp_packet_engine_prepare (run->engine, s->sb, RP_RELAY_CHANNEL_B, 0);
  if (out == NULL)
    return;
  memcpy (out, payload, len);
  if (rp_stamp_reflect (&s->reflector, out, len, rx_us, g_get_monotonic_time (), 0) ==
      RP_STAMP_OK)
    rp_packet_engine_commit (run->engine, s->sb, len);
}

static void
on_a_data (RpEngineSocket *sock, guint16 channel, guint8 *payload, gsize len, gint64 rx_us,
           gpointer data)
{
  Stream *s = data;
  RpLoadRun *run = s->run;
  RpStampReflected r;
  RpVoiceSample x;

  if (!run->running || rp_stamp_reflected_decode (payload, len, &r) != RP_STAMP_OK)
    return;
  rp_voice_sample_from_stamp (&x, &r, rx_us);
  if (x.sender_seq >= s->next_seq)
    return;   /* never sent */
  if (in_window (s, x.sender_seq))
    run->current.returned++;
  if (!since_window (s, x.sender_seq))
    return;
  rp_histogram_add (&run->current.rtt_us, (x.t4_us - x.t1_us) - (x.t3_us - x.t2_us));
  jitter (s, RP_LOAD_BWD, (x.t4_us - x.t3_us) / 1000.0);
}

/* The reflector's signed answer on the direct path. Its T2 and T3 are on
 * its own clock: the offset cancels in RTT and in RFC 3550 jitter. */
static void
on_direct_data (RpEngineSocket *sock, guint16 channel, guint8 *payload, gsize len, gint64 rx_us,
                gpointer data)
{
  Stream *s = data;
  RpLoadRun *run = s->run;
  RpStampReflected r;
  RpVoiceSample x;

  if (!run->running || len != run->config.packet_size ||
      !rp_reflector_packet_verify (payload, len, run->config.direct_key) ||
      rp_stamp_reflected_decode (payload, len, &r) != RP_STAMP_OK)
    return;
  rp_voice_sample_from_stamp (&x, &r, rx_us);
  if (x.sender_seq >= s->next_seq || x.sender_seq < s->lo)
    return;   /* never sent, or before the window */
  if (in_window (s, x.sender_seq)) {
    run->current.returned++;
    s->returned++;
    if (!s->have_first) {
      s->have_first = TRUE;
      s->first_seq = x.sender_seq;
      s->first_r = x.reflector_seq;
    }
    s->last_r = x.reflector_seq;
  } else if (!s->have_after) {
    s->have_after = TRUE;
    s->after_r = x.reflector_seq;
  }
  rp_histogram_add (&run->current.rtt_us, (x.t4_us - x.t1_us) - (x.t3_us - x.t2_us));
  jitter (s, RP_LOAD_FWD, (x.t2_us - x.t1_us) / 1000.0);
  jitter (s, RP_LOAD_BWD, (x.t4_us - x.t3_us) / 1000.0);
}

/* The reflector counts what it receives (RFC 8762 4.3.1, stateful): two
 * answers whose counters are r1 and r2 say that r2 - r1 of the packets sent
 * between them reached it. The window's packets before its first answer are
 * counted as reached (their direction is unknown; with no answer at all,
 * none is); the count stays between what came back and what was sent. */
static void
direct_reached (RpLoadRun *run, Stream *s)
{
  guint32 hi = MIN (s->hi, s->next_seq);
  guint32 sent = hi > s->lo ? hi - s->lo : 0;
  guint32 reached;

  if (!s->have_first)
    return;
  reached = (s->have_after ? s->after_r : s->last_r + 1) - s->first_r + (s->first_seq - s->lo);
  run->current.reached += CLAMP (reached, s->returned, sent);
}

/* STUN on a socket the engine reads: its client's (refresh answers). */
static void
on_other (RpEngineSocket *sock, const guint8 *d, gsize len, gint64 rx_us, gpointer data)
{
  Stream *s = data;
  RpTurnClient *turn =
    sock == s->sa ? rp_relay_pair_get_a (s->pair) : rp_relay_pair_get_b (s->pair);

  rp_stun_client_feed (rp_turn_client_get_stun (turn), d, len, rx_us);
}

/* ---- set-up ---- */

static guint
held_allocations (RpLoadRun *run)
{
  guint n = 0;
  RpStunAddress unused;

  for (guint i = 0; i < run->streams->len; i++) {
    Stream *s = g_ptr_array_index (run->streams, i);
    RpTurnClient *c[3] = { s->turn, s->pair ? rp_relay_pair_get_a (s->pair) : NULL,
                           s->pair ? rp_relay_pair_get_b (s->pair) : NULL };
    for (guint j = 0; j < 3; j++)
      if (c[j] != NULL && rp_turn_client_get_relayed (c[j], &unused))
        n++;
  }
  return n;
}

static void start_more (RpLoadRun *run);
static void go_live (RpLoadRun *run, Stream *s, guint k);

/* A set-up answered: the next one may go; after the step's last, its
 * window opens. */
static void
setup_done (RpLoadRun *run)
{
  run->setups--;
  start_more (run);
  if (run->settling && run->setups == 0 && run->streams->len >= run->want)
    open_window (run);
}

static void
count_failure (RpLoadRun *run, Stream *s, const char *what, const RpTurnResult *res,
               RpTurnClient *who)
{
  RpLoadFail f = res->outcome == RP_STUN_TXN_TIMEOUT ? RP_LOAD_FAIL_TIMEOUT
                 : res->outcome == RP_STUN_TXN_RESPONSE ? rp_load_fail_from_code (res->error_code)
                                                        : RP_LOAD_FAIL_OTHER;

  s->state = FAILED;
  run->current.fail[f]++;
  /* The quota is counted when the step ends: the step's requests go out
   * together and their answers come in any order. */
  if (f == RP_LOAD_FAIL_QUOTA)
    run->quota_seen = TRUE;
  if (f == RP_LOAD_FAIL_ALTERNATE)
    run->totals.alternate_refused = TRUE;
  run->last_answer_us = g_get_monotonic_time ();
  if (run->config.failed != NULL)
    run->config.failed (run, what, res, who, s->server, run->config.user_data);
  setup_done (run);
}

static gboolean
attach (RpLoadRun *run, Stream *s)
{
  RpTurnClient *a = rp_relay_pair_get_a (s->pair), *b = rp_relay_pair_get_b (s->pair);
  int fa = rp_stun_client_release_reader (rp_turn_client_get_stun (a));
  int fb = rp_stun_client_release_reader (rp_turn_client_get_stun (b));

  if (fa < 0 || fb < 0)
    return FALSE;
  s->sa = rp_packet_engine_add_socket (run->engine, fa, on_a_data, on_other, s, NULL);
  s->sb = rp_packet_engine_add_socket (run->engine, fb, on_b_data, on_other, s, NULL);
  return s->sa != NULL && s->sb != NULL;
}

static void connect_stream (RpLoadRun *run, Stream *s);

/* RFC 8656 7.2: 437 to an Allocate means the server still holds an
 * allocation on this 5-tuple. coturn keeps a released allocation's 5-tuple
 * for a while, and the kernel may hand its local port to a new client: the
 * stream starts again from a new port (the old one is released), up to
 * MAX_437_RETRIES times. After a run of 500 streams (1,000 5-tuples held) a
 * random ephemeral port collides about once in 28, a stream's pair once in
 * 14: one retry left 2 of 500 streams failed in the next run on the same
 * coturn; three leave about one in 40,000. */
static gboolean
retry_elsewhere (RpLoadRun *run, Stream *s, const char *step, const RpTurnResult *res)
{
  if (s->retries >= MAX_437_RETRIES || !run->running || g_strcmp0 (step, "Allocate") != 0 ||
      res->outcome != RP_STUN_TXN_RESPONSE || res->error_code != RP_TURN_ERR_ALLOCATION_MISMATCH)
    return FALSE;
  s->retries++;
  run->totals.setup_retries++;
  if (s->pair != NULL) {
    rp_relay_pair_deallocate (s->pair, NULL, NULL);
    g_ptr_array_add (run->discarded, s->pair);
    s->pair = NULL;
  } else {
    g_ptr_array_add (run->discarded, s->turn);
    s->turn = NULL;
  }
  connect_stream (run, s);
  return TRUE;
}

static void
on_pair_ready (RpRelayPair *pair, gboolean ok, const char *step, const RpTurnResult *res,
               RpTurnClient *who, gpointer data)
{
  Stream *s = data;
  RpLoadRun *run = s->run;

  if (s->state != SETUP || run->finished || pair != s->pair)
    return;
  if (!ok && retry_elsewhere (run, s, step, res))
    return;
  if (!ok) {
    count_failure (run, s, step, res, who);
    rp_relay_pair_deallocate (pair, NULL, NULL);
    return;
  }
  run->totals.allocations += 2;
  run->last_answer_us = g_get_monotonic_time ();
  setup_done (run);
  if (!run->running || !attach (run, s)) {
    /* Set up after the end (or the engine refused it): released at once. */
    s->state = FAILED;
    rp_relay_pair_deallocate (pair, NULL, NULL);
    return;
  }
  s->refreshed_us = g_get_monotonic_time ();
  rp_stamp_reflector_init (&s->reflector, TRUE);
  go_live (run, s, s->index);
}

static void
on_allocated (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  Stream *s = data;
  RpLoadRun *run = s->run;

  if (s->state != SETUP || run->finished || turn != s->turn)
    return;
  if (!res->success && retry_elsewhere (run, s, "Allocate", res))
    return;
  if (!res->success) {
    count_failure (run, s, "Allocate", res, turn);
    return;
  }
  setup_done (run);
  if (!run->running) {
    s->state = FAILED;
    rp_turn_client_refresh (turn, 0, NULL, NULL);
    return;
  }
  s->state = LIVE;
  run->totals.allocations++;
  run->last_answer_us = g_get_monotonic_time ();
  /* Allocation latency, the 401 round included: what a client waits. */
  rp_histogram_add (&run->current.rtt_us, run->last_answer_us - s->started_us);
}

static void
on_connected (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  Stream *s = data;

  if (status != RP_STUN_NET_OK) {
    RpTurnResult res = { .outcome = RP_STUN_TXN_NET, .net = status, .reason = reason };
    count_failure (s->run, s, "Allocate", &res, s->turn);
    return;
  }
  rp_turn_client_allocate (s->turn, on_allocated, s);
}

/* Packets count in the step from the first one. Stream k (from 0) sends
 * at phase k/N of the interval, on the grid, from the next such time: one
 * wake-up sends for the streams that share a grid point, and the schedule
 * stays absolute. */
static void
go_live (RpLoadRun *run, Stream *s, guint k)
{
  gint64 iv = run->config.interval_us;
  gint64 phase = rp_load_send_phase_us (k, run->config.streams, iv);
  gint64 now = g_get_monotonic_time ();
  gint64 due = now / iv * iv + phase;

  if (due <= now)
    due += iv;
  s->state = LIVE;
  /* Before the window nothing counts; in it, from the first packet; after
   * it (the grace period) only the replies. */
  s->lo = run->settling ? G_MAXUINT32 : 0;
  s->hi = run->window_timer == NULL ? 0 : G_MAXUINT32;
  rp_packet_engine_schedule (run->engine, &s->timer, due);
}

/* A socket connected to the reflector's direct port: nothing to set up. */
static void
start_direct (RpLoadRun *run, Stream *s)
{
  g_autoptr (GError) error = NULL;
  struct sockaddr_storage ss;
  GSocketAddress *to = run->config.direct;
  gsize len = g_socket_address_get_native_size (to);

  s->ssid = g_array_index (run->config.direct_ssids, guint16, run->streams->len - 1);
  s->fd = socket (g_socket_address_get_family (to) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET,
                  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0 || !g_socket_address_to_native (to, &ss, sizeof ss, NULL) ||
      connect (s->fd, (struct sockaddr *) &ss, (socklen_t) len) < 0 ||
      (s->sa = rp_packet_engine_add_raw_socket (run->engine, s->fd, on_direct_data, s,
                                                &error)) == NULL) {
    s->state = FAILED;
    run->current.fail[RP_LOAD_FAIL_OTHER]++;
    return;
  }
  go_live (run, s, s->index);
}

static void
start_stream (RpLoadRun *run)
{
  Stream *s = g_new0 (Stream, 1);
  const RpLoadConfig *c = &run->config;

  s->run = run;
  s->fd = -1;
  s->state = SETUP;
  s->started_us = g_get_monotonic_time ();
  rp_engine_timer_init (&s->timer, on_tick, s);
  s->index = run->streams->len;
  g_ptr_array_add (run->streams, s);
  if (c->direct != NULL) {
    start_direct (run, s);
    return;
  }
  s->server = g_ptr_array_index (c->servers, run->streams->len % c->servers->len);
  run->setups++;
  if (run->first_allocate_us == 0)
    run->first_allocate_us = s->started_us;
  connect_stream (run, s);
}

static void
connect_stream (RpLoadRun *run, Stream *s)
{
  const RpLoadConfig *c = &run->config;

  if (c->allocations_only) {
    RpStunClient *stun = rp_stun_client_new (RP_TRANSPORT_UDP, s->server->address,
                                              s->server->host, NULL, FALSE, c->context);
    rp_stun_client_set_timer (stun, RP_STUN_DEFAULT_RTO_US, RP_STUN_PROBE_RC, RP_STUN_PROBE_RM);
    s->turn = rp_turn_client_new (stun, c->creds->username, c->creds->password);
    rp_stun_client_connect (stun, on_connected, s);
  } else {
    RpRelayPairConfig pc = { 0 };
    pc.transport = RP_TRANSPORT_UDP;
    pc.server = s->server->address;
    pc.host = s->server->host;
    pc.creds = c->creds;
    pc.context = c->context;
    s->pair = rp_relay_pair_new (&pc, NULL);
    rp_relay_pair_start (s->pair, on_pair_ready, s);
  }
}

/* Starts what the step asks for, MAX_SETUPS at a time. */
static void
start_more (RpLoadRun *run)
{
  while (run->running && !run->stopping && run->streams->len < run->want &&
         run->setups < MAX_SETUPS)
    start_stream (run);
}

/* ---- refresh ---- */

static void
on_refreshed (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  RpLoadRun *run = data;

  if (!res->success)
    run->totals.refresh_failures++;
}

static void
refresh (RpLoadRun *run, RpTurnClient *turn, guint16 channel, RpTurnClient *peer)
{
  RpStunAddress addr;
  guint32 lifetime = rp_turn_client_get_lifetime (turn);

  rp_turn_client_refresh (turn, lifetime > 0 ? lifetime : DEFAULT_LIFETIME_S, on_refreshed, run);
  run->totals.refreshes++;
  if (peer != NULL && rp_turn_client_get_relayed (peer, &addr))
    rp_turn_client_channel_bind (turn, channel, &addr, on_refreshed, run);
}

static gboolean
on_refresh_timer (gpointer data)
{
  RpLoadRun *run = data;
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < run->streams->len; i++) {
    Stream *s = g_ptr_array_index (run->streams, i);
    guint32 lifetime;
    if (s->state != LIVE || (s->pair == NULL && s->turn == NULL))
      continue;
    lifetime = rp_turn_client_get_lifetime (s->turn != NULL ? s->turn
                                                            : rp_relay_pair_get_a (s->pair));
    if (now - s->refreshed_us <
        CLAMP ((gint64) lifetime * G_USEC_PER_SEC / 2, REFRESH_MIN_US, REFRESH_MAX_US))
      continue;
    s->refreshed_us = now;
    if (s->turn != NULL) {
      refresh (run, s->turn, 0, NULL);
    } else {
      RpTurnClient *a = rp_relay_pair_get_a (s->pair), *b = rp_relay_pair_get_b (s->pair);
      refresh (run, a, RP_RELAY_CHANNEL_A, b);
      refresh (run, b, RP_RELAY_CHANNEL_B, a);
    }
  }
  return G_SOURCE_CONTINUE;
}

/* ---- steps ---- */

static void
clear_source (GSource **s)
{
  if (*s != NULL) {
    g_source_destroy (*s);
    g_clear_pointer (s, g_source_unref);
  }
}

static GSource *
add_timeout (RpLoadRun *run, gint64 us, GSourceFunc func)
{
  GSource *t = g_timeout_source_new ((guint) MAX (us / 1000, 0));

  g_source_set_callback (t, func, run, NULL);
  g_source_attach (t, run->config.context);
  return t;
}

/* The step's send window closes: later packets belong to no step's loss. */
static gboolean
on_window_end (gpointer data)
{
  RpLoadRun *run = data;
  guint refused = 0;
  gint64 open_us = MIN (g_get_monotonic_time (), run->window_end_us) - run->step_start_us;

  if (run->settling)
    return G_SOURCE_REMOVE;   /* stopped before it opened: nothing counted */
  for (guint i = 0; i < run->streams->len; i++) {
    Stream *s = g_ptr_array_index (run->streams, i);
    s->hi = s->next_seq;
    refused += s->state == FAILED;
  }
  if (run->engine != NULL && run->config.interval_us > 0 && run->want > refused)
    run->current.planned = (guint64) (run->want - refused) * (guint64) MAX (open_us, 0) /
                           (guint64) run->config.interval_us;
  g_clear_pointer (&run->window_timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

static gboolean
on_step_end (gpointer data)
{
  RpLoadRun *run = data;

  g_clear_pointer (&run->step_timer, g_source_unref);
  end_step (run);
  return G_SOURCE_REMOVE;
}

static gboolean
on_settle_timeout (gpointer data)
{
  /* open_window destroys and drops this source. */
  open_window (data);
  return G_SOURCE_REMOVE;
}

/* The step's measured window: every stream counts from its next packet;
 * the schedule error is the window's. */
static void
open_window (RpLoadRun *run)
{
  gint64 len = step_len_us (run, run->step);
  gint64 grace = MIN (GRACE_MAX_US, len / 4);
  gint64 win = run->config.allocations_only ? len : len - grace;

  clear_source (&run->settle_timer);
  run->settling = FALSE;
  run->step_start_us = g_get_monotonic_time ();
  run->current.setup_us = run->step_start_us - run->begin_us;
  run->current.setting_up = run->setups + (run->want > run->streams->len ?
                                            run->want - run->streams->len : 0);
  if (run->engine != NULL)
    rp_packet_engine_set_lateness (run->engine, &run->current.lateness_us);
  for (guint i = 0; i < run->streams->len; i++) {
    Stream *s = g_ptr_array_index (run->streams, i);
    s->lo = s->next_seq;
    s->hi = G_MAXUINT32;
    s->returned = 0;
    s->have_first = s->have_after = FALSE;
  }
  run->window_end_us = run->step_start_us + win;
  run->window_timer = add_timeout (run, win, on_window_end);
  run->step_timer = add_timeout (run, len, on_step_end);
}

static void
begin_step (RpLoadRun *run)
{
  rp_load_step_init (&run->current);
  run->want = rp_load_ramp_streams_at (&run->config.ramp, run->config.streams, run->step);
  run->current.streams_attempted = run->want;
  run->begin_us = g_get_monotonic_time ();
  if (run->engine != NULL)
    rp_packet_engine_set_lateness (run->engine, NULL);
  if (run->config.allocations_only) {
    open_window (run);
    start_more (run);
    return;
  }
  /* Until the window opens, no packet counts (lo past any sequence). */
  for (guint i = 0; i < run->streams->len; i++) {
    Stream *s = g_ptr_array_index (run->streams, i);
    s->lo = s->hi = G_MAXUINT32;
  }
  run->settling = TRUE;
  start_more (run);
  /* Direct streams (and a step that adds none) are up already. */
  if (run->settling && run->setups == 0)
    open_window (run);
  else if (run->settling)
    run->settle_timer = add_timeout (run, rp_load_settle_cap_us (run->config.ramp.interval_s),
                                     on_settle_timeout);
}

static void
stop_sending (RpLoadRun *run)
{
  run->running = FALSE;
  if (run->engine == NULL)
    return;
  for (guint i = 0; i < run->streams->len; i++) {
    Stream *s = g_ptr_array_index (run->streams, i);
    rp_packet_engine_unschedule (run->engine, &s->timer);
  }
  rp_packet_engine_set_lateness (run->engine, NULL);
}

static void
finish (RpLoadRun *run)
{
  if (run->finished)
    return;
  run->finished = TRUE;
  clear_source (&run->release_timer);
  clear_source (&run->refresh_timer);
  if (run->config.done != NULL)
    run->config.done (run, run->config.user_data);
}

static void
release_answered (RpLoadRun *run, gboolean ok)
{
  if (ok)
    run->totals.released++;
  else
    run->totals.release_failures++;
  if (--run->releases_pending == 0)
    finish (run);
}

static void
on_pair_released (RpRelayPair *pair, gboolean ok, const char *step, const RpTurnResult *res,
                  RpTurnClient *who, gpointer data)
{
  release_answered (data, ok);
}

static void
on_turn_released (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  release_answered (data, rp_relay_dealloc_succeeded (res));
}

static gboolean
on_release_timeout (gpointer data)
{
  RpLoadRun *run = data;

  run->totals.release_failures += run->releases_pending;
  run->releases_pending = 0;
  g_clear_pointer (&run->release_timer, g_source_unref);
  finish (run);
  return G_SOURCE_REMOVE;
}

/* RFC 8656 7: Refresh with LIFETIME 0 deletes an allocation. */
static void
release_all (RpLoadRun *run)
{
  RpStunAddress unused;

  for (guint i = 0; i < run->streams->len; i++) {
    Stream *s = g_ptr_array_index (run->streams, i);
    if (s->state != LIVE || (s->pair == NULL && s->turn == NULL))
      continue;
    s->releasing = TRUE;
    run->releases_pending++;
    if (s->pair != NULL)
      rp_relay_pair_deallocate (s->pair, on_pair_released, run);
    else if (rp_turn_client_get_relayed (s->turn, &unused))
      rp_turn_client_refresh (s->turn, 0, on_turn_released, run);
    else
      run->releases_pending--;
  }
  if (run->releases_pending == 0) {
    finish (run);
    return;
  }
  run->release_timer = g_timeout_source_new (RELEASE_BUDGET_MS);
  g_source_set_callback (run->release_timer, on_release_timeout, run, NULL);
  g_source_attach (run->release_timer, run->config.context);
}

static guint
live_streams (RpLoadRun *run)
{
  guint n = 0;

  for (guint i = 0; i < run->streams->len; i++)
    n += ((Stream *) g_ptr_array_index (run->streams, i))->state == LIVE;
  return n;
}

static void
end_step (RpLoadRun *run)
{
  gboolean last;
  guint live = live_streams (run);

  clear_source (&run->settle_timer);
  clear_source (&run->window_timer);
  clear_source (&run->step_timer);
  run->settling = FALSE;
  run->current.streams_established = live;
  for (guint i = 0; run->config.direct != NULL && i < run->streams->len; i++) {
    Stream *s = g_ptr_array_index (run->streams, i);
    if (s->state == LIVE)
      direct_reached (run, s);
  }
  if (run->quota_seen && run->totals.quota == 0) {
    /* What the server held when it said no: every allocation that
     * succeeded, including halves of pairs whose other half it refused. */
    run->totals.quota = held_allocations (run);
    run->current.first_refused = run->totals.quota + 1;
  }
  if (run->config.allocations_only)
    run->totals.allocate_elapsed_us = run->last_answer_us - run->first_allocate_us;
  run->totals.steps_done++;
  if (run->config.step_done != NULL)
    run->config.step_done (run, run->step, &run->current, run->config.user_data);
  /* Nothing set up at all: ramping further only repeats the failure. */
  last = run->stopping || ++run->step >= run->steps || live == 0;
  if (!last) {
    begin_step (run);
    return;
  }
  stop_sending (run);
  release_all (run);
}

/* ---- life ---- */

RpLoadRun *
rp_load_run_new (const RpLoadConfig *config, GError **error)
{
  g_autoptr (RpLoadRun) run = g_new0 (RpLoadRun, 1);

  run->config = *config;
  run->streams = g_ptr_array_new ();
  run->discarded = g_ptr_array_new ();
  run->steps = rp_load_ramp_steps (&config->ramp, config->streams);
  if (!config->allocations_only) {
    run->engine = rp_packet_engine_new (config->context, config->packet_size, ENGINE_SLOTS, error);
    if (run->engine == NULL)
      return NULL;
  }
  return g_steal_pointer (&run);
}

void
rp_load_run_start (RpLoadRun *run)
{
  run->running = TRUE;
  run->refresh_timer = g_timeout_source_new_seconds (REFRESH_CHECK_S);
  g_source_set_callback (run->refresh_timer, on_refresh_timer, run, NULL);
  g_source_attach (run->refresh_timer, run->config.context);
  begin_step (run);
}

void
rp_load_run_stop (RpLoadRun *run)
{
  if (run->stopping || run->finished || !run->running)
    return;
  run->stopping = TRUE;
  run->totals.cut_short = TRUE;
  on_window_end (run);
  end_step (run);
}

void
rp_load_run_abandon (RpLoadRun *run)
{
  if (run->finished)
    return;
  if (run->running) {
    run->stopping = TRUE;
    run->totals.cut_short = TRUE;
    on_window_end (run);
    end_step (run);
  }
  /* The releases are on the wire; their answers are not waited for. */
  finish (run);
}

const RpLoadTotals *
rp_load_run_get_totals (RpLoadRun *run)
{
  if (run->engine != NULL) {
    run->totals.engine = *rp_packet_engine_get_counts (run->engine);
    run->totals.kernel_timestamps = rp_packet_engine_kernel_timestamps (run->engine);
  }
  return &run->totals;
}

static void
stream_free (RpLoadRun *run, Stream *s)
{
  if (run->engine != NULL) {
    rp_packet_engine_unschedule (run->engine, &s->timer);
    rp_packet_engine_remove_socket (run->engine, s->sa);
    rp_packet_engine_remove_socket (run->engine, s->sb);
  }
  rp_relay_pair_free (s->pair);
  rp_turn_client_free (s->turn);
  if (s->fd >= 0)
    close (s->fd);
  g_free (s);
}

void
rp_load_run_free (RpLoadRun *run)
{
  if (run == NULL)
    return;
  clear_source (&run->settle_timer);
  clear_source (&run->step_timer);
  clear_source (&run->window_timer);
  clear_source (&run->refresh_timer);
  clear_source (&run->release_timer);
  for (guint i = 0; i < run->streams->len; i++)
    stream_free (run, g_ptr_array_index (run->streams, i));
  g_ptr_array_unref (run->streams);
  for (guint i = 0; i < run->discarded->len; i++) {
    if (run->config.allocations_only)
      rp_turn_client_free (g_ptr_array_index (run->discarded, i));
    else
      rp_relay_pair_free (g_ptr_array_index (run->discarded, i));
  }
  g_ptr_array_unref (run->discarded);
  rp_packet_engine_free (run->engine);
  g_free (run);
}
