/* Two agents in one process (see ice-pair.h). Signalling is the simplest
 * RFC 8445 allows: full candidate lists after gathering (no trickle), each
 * side's credentials with them. Connected is taken from both sides: the
 * controlling agent selects when its nomination succeeds, the controlled one
 * when it sees the nominated pair (RFC 8445 8.1.1, 8.2); libnice's READY
 * (every other pair checked too) is not waited for. The echo packets
 * carry a sequence number and a CLOCK_MONOTONIC send time, so the RTT needs
 * no state per packet beyond the array of results. */
#include "rtc/ice/ice-pair.h"

#include <string.h>
#include <time.h>

#define ECHO_MAGIC 0x52504543u   /* "RPEC" */
#define ECHO_LEN 32
#define ECHO_MAX 1000

struct _RpIcePair {
  GMainContext *context;
  RpIceAgent *agent[2];
  RpIcePairResult res;
  gint64 start_us;
  guint packets;
  gint64 interval_us, drain_us;
  GSource *timer, *done_idle;
  double *rtts;
  RpIcePairDoneFunc done;
  gpointer user_data;
};

const char *
rp_ice_pair_phase_to_string (RpIcePairPhase p)
{
  static const char *names[] = { "gathering", "checks", "rtt", "done" };
  return (guint) p < G_N_ELEMENTS (names) ? names[p] : "unknown";
}

static gint64
mono_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

double
rp_ice_median (double *v, guint n)
{
  if (n == 0)
    return 0;
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
clear_timer (RpIcePair *p)
{
  if (p->timer != NULL) {
    g_source_destroy (p->timer);
    g_clear_pointer (&p->timer, g_source_unref);
  }
}

static gboolean
call_done (gpointer data)
{
  RpIcePair *p = data;

  g_clear_pointer (&p->done_idle, g_source_unref);
  p->done (p, p->user_data);   /* may free p */
  return G_SOURCE_REMOVE;
}

static void
finish (RpIcePair *p)
{
  if (p->res.phase == RP_ICE_PAIR_DONE)
    return;
  clear_timer (p);
  if (p->res.received > 0) {
    g_autofree double *copy = g_memdup2 (p->rtts, p->res.received * sizeof (double));
    p->res.rtt_median_ms = rp_ice_median (copy, p->res.received);
    p->res.rtt_min_ms = copy[0];
    p->res.rtt_max_ms = copy[p->res.received - 1];
  }
  p->res.phase = RP_ICE_PAIR_DONE;
  p->done_idle = g_idle_source_new ();
  /* libnice keeps default-priority sources busy at times: do not starve. */
  g_source_set_priority (p->done_idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (p->done_idle, call_done, p, NULL);
  g_source_attach (p->done_idle, p->context);
}

static void
fail_error (RpIcePair *p, const GError *error)
{
  if (p->res.error == NULL)
    p->res.error = g_strdup (error->message);
  finish (p);
}

/* ---- RTT over the selected pair ---- */

static gboolean
on_drained (gpointer data)
{
  RpIcePair *p = data;

  g_clear_pointer (&p->timer, g_source_unref);
  finish (p);
  return G_SOURCE_REMOVE;
}

static gboolean
send_echo (gpointer data)
{
  RpIcePair *p = data;
  guint8 buf[ECHO_LEN] = { 0 };
  guint32 magic = GUINT32_TO_BE (ECHO_MAGIC), seq = GUINT32_TO_BE (p->res.sent);
  gint64 now = GINT64_TO_BE (mono_ns ());

  memcpy (buf, &magic, 4);
  memcpy (buf + 4, &seq, 4);
  memcpy (buf + 8, &now, 8);
  rp_ice_agent_send (p->agent[0], buf, sizeof buf);
  p->res.sent++;
  if (p->res.sent < p->packets)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&p->timer, g_source_unref);
  p->timer = g_timeout_source_new ((guint) (p->drain_us / 1000));
  g_source_set_callback (p->timer, on_drained, p, NULL);
  g_source_attach (p->timer, p->context);
  return G_SOURCE_REMOVE;
}

static void
start_measuring (RpIcePair *p)
{
  p->res.phase = RP_ICE_PAIR_MEASURING;
  p->res.ready = TRUE;
  p->res.have_pair = rp_ice_agent_get_selected_pair (p->agent[0], &p->res.local, &p->res.remote);
  if (p->packets == 0) {
    finish (p);
    return;
  }
  p->rtts = g_new0 (double, p->packets);
  /* Absolute schedule from here; the first packet goes now. */
  send_echo (p);
  if (p->res.sent < p->packets) {
    p->timer = g_timeout_source_new ((guint) MAX (1, p->interval_us / 1000));
    g_source_set_callback (p->timer, send_echo, p, NULL);
    g_source_attach (p->timer, p->context);
  }
}

static void
on_receive (RpIceAgent *agent, const guint8 *data, gsize len, gpointer user_data)
{
  RpIcePair *p = user_data;
  guint32 magic, seq;
  gint64 sent;

  if (len != ECHO_LEN)
    return;
  memcpy (&magic, data, 4);
  if (GUINT32_FROM_BE (magic) != ECHO_MAGIC)
    return;
  if (agent == p->agent[1]) {
    rp_ice_agent_send (agent, data, len);   /* B echoes */
    return;
  }
  memcpy (&seq, data + 4, 4);
  memcpy (&sent, data + 8, 8);
  seq = GUINT32_FROM_BE (seq);
  if (p->res.phase != RP_ICE_PAIR_MEASURING || seq >= p->res.sent || p->res.received >= p->packets)
    return;
  p->rtts[p->res.received++] = (mono_ns () - GINT64_FROM_BE (sent)) / 1e6;
  if (p->res.received == p->packets)
    finish (p);
}

/* ---- ICE ---- */

static void
exchange (RpIcePair *p)
{
  g_autoptr (GError) error = NULL;

  p->res.gather_us = g_get_monotonic_time () - p->start_us;
  p->res.phase = RP_ICE_PAIR_CHECKING;
  for (guint i = 0; i < 2; i++) {
    RpIceAgent *from = p->agent[i], *to = p->agent[1 - i];
    const GArray *cands = rp_ice_agent_get_local_candidates (from);
    g_autofree char *ufrag = NULL;
    g_autofree char *pwd = NULL;

    if (i == 0)
      p->res.signalled_a = cands->len;
    else
      p->res.signalled_b = cands->len;
    if (cands->len == 0) {
      finish (p);   /* nothing to pair with: the caller reads the counts */
      return;
    }
    rp_ice_agent_get_local_credentials (from, &ufrag, &pwd);
    if (!rp_ice_agent_set_remote_credentials (to, ufrag, pwd, &error)) {
      fail_error (p, error);
      return;
    }
  }
  /* Credentials first on both sides, then candidates: checks start at once. */
  for (guint i = 0; i < 2; i++) {
    if (rp_ice_agent_add_remote_candidates (
          p->agent[1 - i], rp_ice_agent_get_local_candidates (p->agent[i]), &error) == 0) {
      fail_error (p, error);
      return;
    }
  }
}

static void
on_gathering_done (RpIceAgent *agent, gpointer user_data)
{
  RpIcePair *p = user_data;

  if (p->res.phase == RP_ICE_PAIR_GATHERING && rp_ice_agent_is_gathering_done (p->agent[0])
      && rp_ice_agent_is_gathering_done (p->agent[1]))
    exchange (p);
}

static void
on_state (RpIceAgent *agent, RpIceState state, gpointer user_data)
{
  RpIcePair *p = user_data;

  p->res.state_a = rp_ice_agent_get_state (p->agent[0]);
  p->res.state_b = rp_ice_agent_get_state (p->agent[1]);
  p->res.best_a = rp_ice_agent_get_best_state (p->agent[0]);
  p->res.best_b = rp_ice_agent_get_best_state (p->agent[1]);
  if (p->res.phase != RP_ICE_PAIR_CHECKING)
    return;
  if (state == RP_ICE_STATE_FAILED) {
    p->res.failed = TRUE;
    finish (p);
    return;
  }
  if (rp_ice_agent_is_connected (p->agent[0]) && rp_ice_agent_is_connected (p->agent[1])) {
    p->res.connect_us =
      g_get_monotonic_time () - MAX (rp_ice_agent_get_gathered_at_us (p->agent[0]),
                                     rp_ice_agent_get_gathered_at_us (p->agent[1]));
    start_measuring (p);
  }
}

static const RpIceAgentCallbacks callbacks = { NULL, on_gathering_done, on_state, on_receive };

RpIcePair *
rp_ice_pair_new (GMainContext *context, const RpIceAgentOptions *a, const RpIceAgentOptions *b)
{
  RpIcePair *p = g_new0 (RpIcePair, 1);
  RpIceAgentOptions oa = *a, ob = *b;

  p->context = g_main_context_ref (context);
  oa.controlling = TRUE;
  ob.controlling = FALSE;
  p->agent[0] = rp_ice_agent_new (context, &oa, &callbacks, p);
  p->agent[1] = rp_ice_agent_new (context, &ob, &callbacks, p);
  p->res.gather_us = p->res.connect_us = -1;
  return p;
}

void
rp_ice_pair_free (RpIcePair *p)
{
  if (p == NULL)
    return;
  clear_timer (p);
  if (p->done_idle != NULL) {
    g_source_destroy (p->done_idle);
    g_source_unref (p->done_idle);
  }
  rp_ice_agent_free (p->agent[0]);
  rp_ice_agent_free (p->agent[1]);
  g_free (p->rtts);
  g_free (p->res.error);
  g_main_context_unref (p->context);
  g_free (p);
}

RpIceAgent *rp_ice_pair_get_agent (RpIcePair *p, guint which) { return p->agent[which ? 1 : 0]; }
const RpIcePairResult *rp_ice_pair_get_result (RpIcePair *p) { return &p->res; }

void
rp_ice_pair_start (RpIcePair *p, guint packets, gint64 interval_us, gint64 drain_us,
                   RpIcePairDoneFunc done, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  p->packets = MIN (packets, ECHO_MAX);
  p->interval_us = interval_us;
  p->drain_us = drain_us;
  p->done = done;
  p->user_data = user_data;
  p->start_us = g_get_monotonic_time ();
  p->res.phase = RP_ICE_PAIR_GATHERING;
  for (guint i = 0; i < 2; i++)
    if (!rp_ice_agent_gather (p->agent[i], &error)) {
      fail_error (p, error);
      return;
    }
}
