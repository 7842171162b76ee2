/* The relay data path probe (see turn-relay.h). Each packet carries a magic
 * word, its sequence number and nothing else of meaning; the far side echoes
 * the bytes unchanged through its own channel. Sends follow an absolute
 * schedule so a slow callback does not stretch the stream. */
#include "probe/net/turn-relay.h"

#include <string.h>

#define MAGIC 0x72705231u   /* "rpR1" */
#define MAX_PACKETS 1000

struct _RpRelayProbe {
  RpTurnClient *a, *b;
  guint16 channel_a, channel_b;
  guint count;
  gsize size;
  gint64 interval_us;
  gint64 drain_us;
  GMainContext *context;
  RpRelayDoneFunc done;
  gpointer user_data;
  gint64 start_us;
  gint64 *sent_at;          /* per sequence number; 0 = not sent */
  gint64 *rtt_us;           /* per sequence number; -1 = not back */
  guint next;
  RpRelayStats stats;
  GSource *timer;
  gboolean finished;
};

static void
put_u32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static guint32
get_u32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static gint
cmp_i64 (gconstpointer x, gconstpointer y)
{
  gint64 a = *(const gint64 *) x, b = *(const gint64 *) y;
  return a < b ? -1 : a > b;
}

static void
compute_stats (RpRelayProbe *p)
{
  g_autofree gint64 *rtts = g_new (gint64, p->count);
  guint n = 0;

  for (guint i = 0; i < p->count; i++)
    if (p->rtt_us[i] >= 0)
      rtts[n++] = p->rtt_us[i];
  p->stats.received = n;
  if (n == 0)
    return;
  qsort (rtts, n, sizeof *rtts, cmp_i64);
  p->stats.rtt_min_ms = rtts[0] / 1000.0;
  p->stats.rtt_max_ms = rtts[n - 1] / 1000.0;
  p->stats.rtt_median_ms = (n % 2 ? rtts[n / 2] : (rtts[n / 2 - 1] + rtts[n / 2]) / 2.0) / 1000.0;
}

static void
finish (RpRelayProbe *p)
{
  if (p->finished)
    return;
  p->finished = TRUE;
  if (p->timer != NULL) {
    g_source_destroy (p->timer);
    g_clear_pointer (&p->timer, g_source_unref);
  }
  compute_stats (p);
  p->done (p, p->user_data);
}

static gboolean on_timer (gpointer data);

static void
schedule (RpRelayProbe *p, gint64 at_us)
{
  gint64 now = g_get_monotonic_time ();
  guint ms = at_us > now ? (guint) ((at_us - now + 999) / 1000) : 0;

  if (p->timer != NULL) {
    g_source_destroy (p->timer);
    g_source_unref (p->timer);
  }
  p->timer = g_timeout_source_new (ms);
  g_source_set_callback (p->timer, on_timer, p, NULL);
  g_source_attach (p->timer, p->context);
}

static gboolean
on_timer (gpointer data)
{
  RpRelayProbe *p = data;
  gint64 now = g_get_monotonic_time ();

  g_clear_pointer (&p->timer, g_source_unref);
  /* Send every packet whose slot has come (catching up after a stall). */
  while (p->next < p->count && now >= p->start_us + (gint64) p->next * p->interval_us) {
    g_autofree guint8 *pkt = g_malloc0 (p->size);
    put_u32 (pkt, MAGIC);
    put_u32 (pkt + 4, p->next);
    p->sent_at[p->next] = g_get_monotonic_time ();
    p->stats.sent++;
    if (!rp_turn_client_send_channel (p->a, p->channel_a, pkt, p->size)) {
      finish (p);
      return G_SOURCE_REMOVE;
    }
    p->next++;
  }
  if (p->next < p->count)
    schedule (p, p->start_us + (gint64) p->next * p->interval_us);
  else if (p->stats.received < p->count)
    schedule (p, p->start_us + (gint64) (p->count - 1) * p->interval_us + p->drain_us);
  if (p->next >= p->count &&
      now >= p->start_us + (gint64) (p->count - 1) * p->interval_us + p->drain_us)
    finish (p);
  return G_SOURCE_REMOVE;
}

/* Far side: echo what arrives through our channel back to the sender. */
static void
on_b_data (RpTurnClient *turn, guint16 channel, const RpStunAddress *peer, const guint8 *data,
           gsize len, gpointer user_data)
{
  RpRelayProbe *p = user_data;

  if (p->finished || len < 8 || get_u32 (data) != MAGIC)
    return;
  p->stats.echoed++;
  rp_turn_client_send_channel (p->b, p->channel_b, data, len);
}

static void
on_a_data (RpTurnClient *turn, guint16 channel, const RpStunAddress *peer, const guint8 *data,
           gsize len, gpointer user_data)
{
  RpRelayProbe *p = user_data;
  guint32 seq;

  if (p->finished || len < 8 || get_u32 (data) != MAGIC)
    return;
  seq = get_u32 (data + 4);
  if (seq >= p->count || p->sent_at[seq] == 0)
    return;
  if (p->rtt_us[seq] >= 0) {
    p->stats.duplicates++;
    return;
  }
  /* Kernel receive time on UDP: the RTT excludes our own loop's latency. */
  p->rtt_us[seq] = rp_stun_client_get_rx_time (rp_turn_client_get_stun (turn)) - p->sent_at[seq];
  p->stats.received++;
  if (p->next >= p->count && p->stats.received == p->count)
    finish (p);
}

RpRelayProbe *
rp_relay_probe_start (RpTurnClient *a, guint16 channel_a, RpTurnClient *b, guint16 channel_b,
                      guint count, gsize size, gint64 interval_us, gint64 drain_us,
                      GMainContext *context, RpRelayDoneFunc done, gpointer user_data)
{
  RpRelayProbe *p = g_new0 (RpRelayProbe, 1);

  p->a = a;
  p->b = b;
  p->channel_a = channel_a;
  p->channel_b = channel_b;
  p->count = CLAMP (count, 1, MAX_PACKETS);
  p->size = CLAMP (size, 8, 1200);
  p->interval_us = interval_us;
  p->drain_us = drain_us;
  p->context = context;
  p->done = done;
  p->user_data = user_data;
  p->sent_at = g_new0 (gint64, p->count);
  p->rtt_us = g_new (gint64, p->count);
  for (guint i = 0; i < p->count; i++)
    p->rtt_us[i] = -1;
  rp_turn_client_set_data_func (a, on_a_data, p);
  rp_turn_client_set_data_func (b, on_b_data, p);
  p->start_us = g_get_monotonic_time ();
  schedule (p, p->start_us);
  return p;
}

void
rp_relay_probe_get_stats (RpRelayProbe *p, RpRelayStats *stats)
{
  if (!p->finished)
    compute_stats (p);
  *stats = p->stats;
}

void
rp_relay_probe_free (RpRelayProbe *p)
{
  if (p == NULL)
    return;
  if (p->timer != NULL) {
    g_source_destroy (p->timer);
    g_source_unref (p->timer);
  }
  rp_turn_client_set_data_func (p->a, NULL, NULL);
  rp_turn_client_set_data_func (p->b, NULL, NULL);
  g_free (p->sent_at);
  g_free (p->rtt_us);
  g_free (p);
}
