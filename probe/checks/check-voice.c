/* The `voice` check over TURN: two allocations of our own on the
 * deployment's server (relay-pair.c), and between them a voice-shaped
 * stream of STAMP packets (RFC 8762): A is the Session-Sender, B a stateful
 * Session-Reflector, every packet client -> relay -> relay -> client and
 * back. The stream, its statistics and the result are voice-stream.c's;
 * this file sets up the allocations and plays reflector B. Kernel receive
 * timestamps give T2 and T4 over UDP (TCP and TLS: when the bytes are read).
 * Over UDP both sockets are handed to a packet engine (packet-engine.c):
 * it reads them with recvmmsg and the kernel's receive times, and sends
 * what A and B queue with sendmmsg; STUN it reads (refreshes) goes back to
 * the allocations' clients. */
#include <string.h>

#include "probe/core/explain.h"
#include "probe/net/packet-engine.h"
#include "probe/net/relay-pair.h"
#include "probe/core/resolve.h"
#include "probe/core/server-target.h"
#include "probe/checks/checks-voice.h"
#include "probe/net/voice-stream.h"
#include "rtc/voice/stamp.h"
#include "common/tls-client.h"

#define SETUP_BUDGET_US (10 * G_USEC_PER_SEC)
#define DRAIN_US (1000 * 1000)
#define ENGINE_SLOTS 64           /* packets queued between flushes */
#define WARMUP_SSID 1             /* warm-up packets carry it; the measured stream 0 */

typedef struct {
  RpTurnPlan *plan;
  RpServerTarget srv;           /* the server, its TLS context and address */
  RpVoiceOptions voice;
  RpCheck *check;
  RpRelayPairConfig pair_config;
  RpRelayPair *pair;
  gboolean done;
  RpVoiceStream *stream;
  RpStampReflector reflector;
  gboolean reflector_measuring;
  guint8 *buf;                 /* one packet */
  RpPacketEngine *engine;      /* UDP: reads and sends for A and B */
  RpEngineSocket *sa, *sb;     /* NULL: that client reads its own socket */
} VoiceRun;

static void
voice_run_free (gpointer data)
{
  VoiceRun *v = data;

  rp_voice_stream_free (v->stream);
  if (v->engine != NULL) {
    if (v->sa != NULL)
      rp_packet_engine_remove_socket (v->engine, v->sa);
    if (v->sb != NULL)
      rp_packet_engine_remove_socket (v->engine, v->sb);
    rp_packet_engine_free (v->engine);
  }
  rp_relay_pair_free (v->pair);
  rp_server_target_clear (&v->srv);
  rp_turn_plan_unref (v->plan);
  g_free (v->buf);
  g_free (v);
}

static void
write_result (VoiceRun *v, gboolean cut_short)
{
  const char *t = rp_transport_words (v->srv.target.transport);
  g_autofree char *over = g_strdup_printf ("over TURN/%s", t);
  g_autofree char *none = g_strdup_printf (
    "no voice packet came back over TURN/%s: the relay path does not carry media", t);
  g_autofree char *advice =
    g_strdup_printf ("this is the %s relay path: compare `rtcprobe voice` over another transport "
                     "and from another network to tell the server from this network",
                     t);
  RpVoiceStreamWords w = { over, none,
                           "the allocations and channels were set up but no data flows between the "
                           "relays: check relay-ip/external-ip and that the relay port range is "
                           "open (see `rtcprobe turn`)",
                           advice };

  rp_voice_stream_write_result (v->stream, rp_check_get_result (v->check), &w, cut_short);
}

static void
on_stream_done (gpointer data)
{
  VoiceRun *v = data;

  if (v->done)
    return;
  v->done = TRUE;
  write_result (v, FALSE);
  rp_relay_pair_deallocate (v->pair, NULL, NULL);
  rp_check_finish (v->check);
}

/* ---- the stream ---- */

/* One ChannelData message from A (sock sa) or B (sb) on its channel: through
 * the engine when it reads that socket, else the client's own send. */
static gboolean
send_channel (VoiceRun *v, RpEngineSocket *sock, RpTurnClient *turn, guint16 channel,
              const guint8 *data, gsize len, gint64 due_us)
{
  guint8 *out;

  if (sock == NULL)
    return rp_turn_client_send_channel (turn, channel, data, len);
  out = rp_packet_engine_prepare (v->engine, sock, channel, due_us);
  if (out == NULL)
    return FALSE;
  memcpy (out, data, len);
  rp_packet_engine_commit (v->engine, sock, len);
  return TRUE;
}

static gboolean
send_packet (const RpStampSender *p, gboolean warmup, gpointer data)
{
  VoiceRun *v = data;
  RpStampSender q = *p;
  gboolean ok;

  q.ssid = warmup ? WARMUP_SSID : 0;
  rp_stamp_sender_encode (&q, v->voice.packet_size, v->buf, v->voice.packet_size);
  ok = send_channel (v, v->sa, rp_relay_pair_get_a (v->pair), RP_RELAY_CHANNEL_A, v->buf,
                     v->voice.packet_size, 0);
  /* Sent from the stream's own timer: out now, not at the engine's next
   * wake-up. */
  if (v->sa != NULL)
    rp_packet_engine_flush (v->engine);
  return ok;
}

/* The Session-Reflector: B answers through its own channel. */
static void
b_received (VoiceRun *v, const guint8 *data, gsize len, gint64 t2)
{
  RpStampSender sp;
  guint8 pkt[1500];

  if (v->done || len > sizeof pkt || rp_stamp_sender_decode (data, len, &sp) != RP_STAMP_OK)
    return;
  /* The measured stream starts a fresh reflector count: warm-up packets
   * must not read as backward loss. */
  if (sp.ssid != WARMUP_SSID && !v->reflector_measuring) {
    rp_stamp_reflector_init (&v->reflector, FALSE);
    v->reflector_measuring = TRUE;
  }
  memcpy (pkt, data, len);
  if (rp_stamp_reflect (&v->reflector, pkt, len, t2, g_get_monotonic_time (), 0) == RP_STAMP_OK)
    send_channel (v, v->sb, rp_relay_pair_get_b (v->pair), RP_RELAY_CHANNEL_B, pkt, len, 0);
}

static void
a_received (VoiceRun *v, const guint8 *data, gsize len, gint64 t4)
{
  RpStampReflected rp;

  if (v->done || rp_stamp_reflected_decode (data, len, &rp) != RP_STAMP_OK)
    return;
  rp_voice_stream_received (v->stream, &rp, t4);
}

static void
on_b_data (RpTurnClient *turn, guint16 channel, const RpStunAddress *peer, const guint8 *data,
           gsize len, gpointer user_data)
{
  b_received (user_data, data, len, rp_stun_client_get_rx_time (rp_turn_client_get_stun (turn)));
}

static void
on_a_data (RpTurnClient *turn, guint16 channel, const RpStunAddress *peer, const guint8 *data,
           gsize len, gpointer user_data)
{
  a_received (user_data, data, len, rp_stun_client_get_rx_time (rp_turn_client_get_stun (turn)));
}

static void
on_engine_data (RpEngineSocket *sock, guint16 channel, guint8 *payload, gsize len, gint64 rx_us,
                gpointer data)
{
  VoiceRun *v = data;

  if (sock == v->sa)
    a_received (v, payload, len, rx_us);
  else
    b_received (v, payload, len, rx_us);
}

/* STUN on a socket the engine reads: its client's (refresh answers). */
static void
on_engine_other (RpEngineSocket *sock, const guint8 *d, gsize len, gint64 rx_us, gpointer data)
{
  VoiceRun *v = data;
  RpTurnClient *turn =
    sock == v->sa ? rp_relay_pair_get_a (v->pair) : rp_relay_pair_get_b (v->pair);

  rp_stun_client_feed (rp_turn_client_get_stun (turn), d, len, rx_us);
}

/* UDP: the engine reads and sends for whichever client lets go of its
 * socket; a client that does not keeps its own reader and sends. */
static void
attach_engine (VoiceRun *v, GMainContext *context)
{
  RpTurnClient *a = rp_relay_pair_get_a (v->pair), *b = rp_relay_pair_get_b (v->pair);
  int fd;

  if (v->srv.target.transport != RP_TRANSPORT_UDP)
    return;
  v->engine = rp_packet_engine_new (context, v->voice.packet_size, ENGINE_SLOTS, NULL);
  if (v->engine == NULL)
    return;
  fd = rp_stun_client_release_reader (rp_turn_client_get_stun (a));
  if (fd >= 0)
    v->sa = rp_packet_engine_add_socket (v->engine, fd, on_engine_data, on_engine_other, v, NULL);
  fd = rp_stun_client_release_reader (rp_turn_client_get_stun (b));
  if (fd >= 0)
    v->sb = rp_packet_engine_add_socket (v->engine, fd, on_engine_data, on_engine_other, v, NULL);
}

static void
on_pair_ready (RpRelayPair *pair, gboolean ok, const char *step, const RpTurnResult *res,
               RpTurnClient *who, gpointer data)
{
  VoiceRun *v = data;
  RpVoiceStreamConfig sc = { 0 };

  if (rp_check_is_finished (v->check))
    return;
  if (!ok) {
    RpTurnContext ctx = { v->srv.target.transport, v->srv.server_str,
                          rp_turn_plan_get_creds (v->plan), rp_turn_client_get_realm (who) };
    RpCheckResult *r = rp_check_get_result (v->check);
    g_autofree char *summary = NULL;
    rp_explain_turn_failure (r, step, res, &ctx,
                             rp_stun_client_get_info (rp_turn_client_get_stun (who)));
    summary = g_strdup (r->summary);
    rp_check_result_set (r, RP_STATUS_FAIL, "no voice path over TURN/%s: %s",
                         rp_transport_words (v->srv.target.transport), summary);
    v->done = TRUE;
    rp_relay_pair_deallocate (v->pair, NULL, NULL);
    rp_check_finish (v->check);
    return;
  }
  /* B is our own stateful reflector, reset when the measured stream starts. */
  sc.voice = &v->voice;
  sc.context = rp_runner_get_context (rp_check_get_runner (v->check));
  sc.id = rp_check_get_result (v->check)->id;
  sc.reflector_stateful = TRUE;
  sc.rx_timestamps = v->srv.target.transport == RP_TRANSPORT_UDP ? "kernel" : "userspace";
  sc.send = send_packet;
  sc.done = on_stream_done;
  sc.user_data = v;
  v->stream = rp_voice_stream_new (&sc);
  rp_stamp_reflector_init (&v->reflector, FALSE);
  rp_turn_client_set_data_func (rp_relay_pair_get_a (pair), on_a_data, v);
  rp_turn_client_set_data_func (rp_relay_pair_get_b (pair), on_b_data, v);
  attach_engine (v, sc.context);
  rp_voice_stream_start (v->stream);
}

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  VoiceRun *v = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  GList *addrs = NULL;
  RpRelayPairConfig *c = &v->pair_config;

  switch (rp_check_resolve_finish (check, res, v->srv.target.host, v->srv.options.family, &addrs)) {
  case RP_RESOLVE_LATE:
    return;
  case RP_RESOLVE_FAILED:
    rp_check_finish (check);
    return;
  case RP_RESOLVED:
    break;
  }
  rp_server_target_set_address (&v->srv, addrs->data, v->srv.target.port);
  g_resolver_free_addresses (addrs);
  rp_check_result_detail_str (r, "server_address", v->srv.server_str);
  c->transport = v->srv.target.transport;
  c->server = G_SOCKET_ADDRESS (v->srv.server);
  c->host = v->srv.target.host;
  c->tls_ctx = v->srv.tls_ctx;
  c->insecure = v->srv.options.insecure;
  c->creds = rp_turn_plan_get_creds (v->plan);
  c->context = rp_runner_get_context (rp_check_get_runner (check));
  v->pair = rp_relay_pair_new (c, NULL);
  rp_relay_pair_start (v->pair, on_pair_ready, v);
}

static void
voice_start (RpCheck *check)
{
  VoiceRun *v = rp_check_get_state (check);

  v->check = check;
  {
    g_autoptr (GError) error = NULL;
    if (!rp_server_target_prepare_tls (&v->srv, &error)) {
      rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL, "%s", error->message);
      rp_check_finish (check);
      return;
    }
  }
  rp_resolve_async (v->srv.target.host, v->srv.options.family, rp_check_get_cancellable (check),
                    on_resolved, rp_check_ref (check));
}

static void
voice_expire (RpCheck *check)
{
  VoiceRun *v = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (rp_voice_stream_is_running (v->stream)) {
    /* Report what was measured, and that it was cut short. */
    rp_voice_stream_stop (v->stream);
    v->done = TRUE;
    write_result (v, TRUE);
    if (v->pair != NULL)
      rp_relay_pair_deallocate (v->pair, NULL, NULL);
    return;
  }
  rp_explain_deadline (r, v->srv.target.transport, v->srv.server_str, v->srv.target.port,
                       "TURN Allocate", NULL);
  if (v->pair != NULL)
    rp_relay_pair_deallocate (v->pair, NULL, NULL);
}

static const RpCheckClass voice_class = { voice_start, voice_expire, voice_run_free };

void
rp_check_voice_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                    const RpVoiceOptions *voice)
{
  guint per_transport[3] = { 0, 0, 0 };

  for (guint i = 0; i < voice->turn->len; i++)
    per_transport[((RpTarget *) g_ptr_array_index (voice->turn, i))->transport]++;
  for (guint i = 0; i < voice->turn->len; i++) {
    const RpTarget *target = g_ptr_array_index (voice->turn, i);
    VoiceRun *v = g_new0 (VoiceRun, 1);
    g_autofree char *id = NULL;
    gint64 budget;

    v->plan = rp_turn_plan_ref (plan);
    rp_server_target_init (&v->srv, target, options);
    v->voice = *voice;
    v->voice.turn = NULL;
    v->buf = g_malloc0 (voice->packet_size);
    if (per_transport[target->transport] == 1) {
      id = g_strdup_printf ("voice.turn.%s", rp_transport_to_string (target->transport));
    } else {
      g_autofree char *hp = rp_target_hostport (target);
      id = g_strdup_printf ("voice.turn.%s@%s", rp_transport_to_string (target->transport), hp);
    }
    budget = SETUP_BUDGET_US + (gint64) ((voice->warmup_s + voice->duration_s) * G_USEC_PER_SEC) +
             DRAIN_US;
    rp_runner_add (runner, rp_check_result_new (id, "voice", target->uri), budget, &voice_class, v);
  }
}
