/* The `voice` check over TURN: two allocations of our own on the
 * deployment's server (relay-pair.c), and between them a voice-shaped
 * stream of STAMP packets (RFC 8762): A is the Session-Sender, B a stateful
 * Session-Reflector, every packet client -> relay -> relay -> client and
 * back, one per frame interval on an absolute schedule. Kernel receive
 * timestamps give T2 and T4; the reflector's own counter splits loss by
 * direction (rtc/stats.c); the E-model turns it into MOS (rtc/emodel.c). */
#include <string.h>

#include "probe/explain.h"
#include "probe/progress.h"
#include "probe/relay-pair.h"
#include "probe/resolve.h"
#include "probe/voice-checks.h"
#include "rtc/schedule.h"
#include "rtc/stamp.h"
#include "rtc/stats.h"
#include "stun/stun-tls.h"

#define SETUP_BUDGET_US (10 * G_USEC_PER_SEC)
#define DRAIN_US (1000 * 1000)
#define WARMUP_SSID 1             /* warm-up packets carry it; the measured stream 0 */

typedef enum { PHASE_SETUP, PHASE_STREAM, PHASE_DRAIN, PHASE_DONE } Phase;

typedef struct {
  RpTurnPlan *plan;
  RpTarget target;
  char *host, *uri, *ca_file;
  RpProbeOptions options;
  RpVoiceOptions voice;
  SSL_CTX *tls_ctx;
  GInetSocketAddress *server;
  char *server_str;
  RpCheck *check;
  RpRelayPairConfig pair_config;
  RpRelayPair *pair;
  Phase phase;
  guint warmup_packets, packets;
  RpSchedule *schedule;
  RpVoiceStats *stats;
  RpStampReflector reflector;
  gboolean reflector_measuring;
  GSource *drain;
  gint64 stream_start_us;
  guint received;              /* for the progress line */
  double last_rtt_ms;
  guint8 *buf;                 /* one packet */
} VoiceRun;

static void
voice_run_free (gpointer data)
{
  VoiceRun *v = data;

  if (v->check != NULL)
    rp_progress_remove (rp_check_get_result (v->check) != NULL ? rp_check_get_result (v->check)->id : "");
  rp_schedule_free (v->schedule);
  if (v->drain != NULL) {
    g_source_destroy (v->drain);
    g_source_unref (v->drain);
  }
  if (v->stats != NULL)
    rp_voice_stats_free (v->stats);
  rp_relay_pair_free (v->pair);
  if (v->tls_ctx != NULL)
    SSL_CTX_free (v->tls_ctx);
  g_clear_object (&v->server);
  rp_turn_plan_unref (v->plan);
  g_free (v->server_str);
  g_free (v->host);
  g_free (v->uri);
  g_free (v->ca_file);
  g_free (v->buf);
  g_free (v);
}

/* ---- the result ---- */

static void
series_details (RpCheckResult *r, const RpVoiceSummary *s, gint64 interval_us)
{
  g_autoptr (GString) rtt = g_string_new (NULL);
  g_autoptr (GString) lost = g_string_new (NULL);

  for (guint i = 0; i < s->n_points; i++) {
    const RpVoicePoint *p = &s->points[i];
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    if (i > 0)
      g_string_append_c (rtt, ',');
    /* A point whose packets were all lost is a gap (an empty field). */
    if (p->lost < p->sent)
      g_string_append (rtt, g_ascii_formatd (num, sizeof num, "%.3f", p->rtt_mean_ms));
    if (p->lost > 0)
      g_string_append_printf (lost, "%s%u", lost->len ? "," : "", i);
  }
  rp_check_result_detail_str (r, "series.rtt_ms", rtt->str);
  rp_check_result_detail_str (r, "series.lost", lost->str);
  {
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    rp_check_result_detail_str (r, "series.interval_ms",
                                g_ascii_formatd (num, sizeof num, "%.3f", s->points_stride * interval_us / 1000.0));
  }
}

static void
write_result (VoiceRun *v, gboolean cut_short)
{
  RpCheckResult *r = rp_check_get_result (v->check);
  RpVoiceSummary *s = g_new0 (RpVoiceSummary, 1);
  RpVoiceVerdictConfig vc;
  RpVoiceVerdict verdict;
  const RpHistogram *late = rp_schedule_lateness (v->schedule);
  g_autofree char *blame = NULL;
  double fwd, bwd;

  rp_voice_stats_summarize (v->stats, s);
  rp_voice_verdict_config_init (&vc);
  vc.codec = v->voice.codec;
  vc.thresholds = v->voice.thresholds;
  rp_voice_judge (s, &vc, &verdict);
  rp_voice_direction_loss (s, &fwd, &bwd);
  blame = rp_voice_blame_describe (&verdict.blame);

  rp_check_result_detail_int (r, "packets_sent", s->sent);
  rp_check_result_detail_int (r, "packets_received", s->received);
  if (s->received > 0) {
    rp_check_result_metric (r, "rtt_ms_min", s->rtt_min_ms);
    rp_check_result_metric (r, "rtt_ms_p50", s->rtt_p50_ms);
    rp_check_result_metric (r, "rtt_ms_p95", s->rtt_p95_ms);
    rp_check_result_metric (r, "rtt_ms_p99", s->rtt_p99_ms);
    rp_check_result_metric (r, "rtt_ms_max", s->rtt_max_ms);
    rp_check_result_metric (r, "jitter_ms_fwd", s->forward.jitter_mean_ms);
    rp_check_result_metric (r, "jitter_ms_bwd", s->backward.jitter_mean_ms);
  }
  rp_check_result_metric (r, "loss_pct", s->loss_pct);
  if (s->directional) {
    rp_check_result_metric (r, "loss_pct_fwd", s->forward.loss_pct);
    rp_check_result_metric (r, "loss_pct_bwd", s->backward.loss_pct);
    rp_check_result_detail_int (r, "late_fwd", s->forward.late);
    rp_check_result_detail_int (r, "late_bwd", s->backward.late);
  }
  rp_check_result_detail_int (r, "longest_loss_burst", s->longest_burst);
  rp_check_result_detail_int (r, "reordered", s->reordered);
  rp_check_result_detail_int (r, "duplicates", s->duplicates);
  rp_check_result_metric (r, "mos", verdict.mos);
  rp_check_result_metric (r, "r_factor", MIN (verdict.forward.r, verdict.backward.r));
  rp_check_result_detail_str (r, "grade", rp_grade_to_string (rp_emodel_grade (MIN (verdict.forward.r,
                                                                                      verdict.backward.r))));
  rp_check_result_detail_str (r, "codec", rp_codec_profile (v->voice.codec)->name);
  rp_check_result_detail_int (r, "packet_bytes", v->voice.packet_size);
  rp_check_result_metric (r, "interval_ms", v->voice.interval_us / 1000.0);
  /* The sender's self-check: how late its own schedule ran. */
  rp_check_result_metric (r, "schedule_error_ms_p99", rp_histogram_percentile (late, 99) / 1000.0);
  rp_check_result_detail_bool (r, "schedule_precise", rp_schedule_is_precise (v->schedule));
  if (blame != NULL)
    rp_check_result_detail_str (r, "blame", blame);
  series_details (r, s, v->voice.interval_us);

  if (s->received == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL, "no voice packet came back over TURN/%s: the relay path does not carry "
                         "media", rp_transport_words (v->target.transport));
    rp_check_result_set_hint (r, "the allocations and channels were set up but no data flows between the relays: "
                              "check relay-ip/external-ip and that the relay port range is open (see `rtcprobe turn`)");
  } else {
    RpStatus st = verdict.status == RP_VOICE_PASS ? RP_STATUS_PASS
                  : verdict.status == RP_VOICE_WARN ? RP_STATUS_WARN : RP_STATUS_FAIL;
    rp_check_result_set (r, st, "MOS %.2f (%s) over TURN/%s: RTT p50 %.3f ms, p95 %.3f ms; jitter %.3f/%.3f ms; loss "
                         "%.2f %% (fwd %.2f, bwd %.2f)", verdict.mos,
                         rp_grade_to_string (rp_emodel_grade (MIN (verdict.forward.r, verdict.backward.r))),
                         rp_transport_words (v->target.transport), s->rtt_p50_ms, s->rtt_p95_ms,
                         s->forward.jitter_mean_ms, s->backward.jitter_mean_ms, s->loss_pct, fwd, bwd);
    if (st != RP_STATUS_PASS) {
      g_autoptr (GString) why = g_string_new (NULL);
      if (verdict.reasons & RP_VOICE_REASON_LOSS)
        g_string_append_printf (why, "packets are lost%s%s; ", blame ? " (" : "", blame ? blame : "");
      if (verdict.reasons & RP_VOICE_REASON_JITTER)
        g_string_append (why, "delay varies more than a jitter buffer hides; ");
      if (verdict.reasons & RP_VOICE_REASON_RTT)
        g_string_append (why, "the round trip is long enough for people to talk over each other; ");
      if (verdict.reasons & RP_VOICE_REASON_MOS)
        g_string_append (why, "the estimated call quality is below what users accept; ");
      g_string_append_printf (why, "this is the %s relay path: compare `rtcprobe voice` over another transport and "
                              "from another network to tell the server from this network",
                              rp_transport_words (v->target.transport));
      rp_check_result_set_hint (r, "%s", why->str);
    }
  }
  if (cut_short) {
    rp_check_result_detail_bool (r, "cut_short", TRUE);
    if (r->status == RP_STATUS_PASS)
      r->status = RP_STATUS_WARN;
    rp_check_result_set_hint (r, "the run's deadline stopped the stream early: raise --timeout above --duration");
  }
  g_free (s);
}

static void
finish (VoiceRun *v, gboolean cut_short)
{
  if (v->phase == PHASE_DONE)
    return;
  v->phase = PHASE_DONE;
  rp_progress_remove (rp_check_get_result (v->check)->id);
  write_result (v, cut_short);
  rp_relay_pair_deallocate (v->pair, NULL, NULL);
  rp_check_finish (v->check);
}

/* ---- the stream ---- */

static gboolean
on_drained (gpointer data)
{
  VoiceRun *v = data;

  g_clear_pointer (&v->drain, g_source_unref);
  finish (v, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_tick (RpSchedule *schedule, guint k, gint64 due_us, gpointer data)
{
  VoiceRun *v = data;
  RpStampSender p = { 0 };
  gint64 t1 = g_get_monotonic_time ();
  gboolean warmup = k < v->warmup_packets;

  if (v->phase == PHASE_DONE)
    return;
  p.error_estimate = RP_STAMP_EE_DEFAULT;
  if (warmup) {
    p.seq = k;
    p.ssid = WARMUP_SSID;
  } else {
    if (k == v->warmup_packets)
      v->stream_start_us = t1;
    p.seq = rp_voice_stats_sent (v->stats, t1);
  }
  p.timestamp = rp_stamp_us_to_ntp (t1);
  if (!warmup && (k - v->warmup_packets) % 10 == 0)
    rp_progress_update (rp_check_get_result (v->check)->id, (t1 - v->stream_start_us) / 1e6, v->voice.duration_s,
                        k - v->warmup_packets, v->received, v->last_rtt_ms);
  rp_stamp_sender_encode (&p, v->voice.packet_size, v->buf, v->voice.packet_size);
  rp_turn_client_send_channel (rp_relay_pair_get_a (v->pair), RP_RELAY_CHANNEL_A, v->buf, v->voice.packet_size);
  if (k + 1 == v->warmup_packets + v->packets) {
    v->phase = PHASE_DRAIN;
    v->drain = g_timeout_source_new (DRAIN_US / 1000);
    g_source_set_callback (v->drain, on_drained, v, NULL);
    g_source_attach (v->drain, rp_runner_get_context (rp_check_get_runner (v->check)));
  }
}

/* The Session-Reflector: B answers through its own channel, in place. */
static void
on_b_data (RpTurnClient *turn, guint16 channel, const RpStunAddress *peer, const guint8 *data, gsize len,
           gpointer user_data)
{
  VoiceRun *v = user_data;
  RpStampSender sp;
  guint8 pkt[1500];
  gint64 t2 = rp_stun_client_get_rx_time (rp_turn_client_get_stun (turn));

  if (v->phase == PHASE_DONE || len > sizeof pkt || rp_stamp_sender_decode (data, len, &sp) != RP_STAMP_OK)
    return;
  /* The measured stream starts a fresh reflector count: warm-up packets
   * must not read as backward loss. */
  if (sp.ssid != WARMUP_SSID && !v->reflector_measuring) {
    rp_stamp_reflector_init (&v->reflector, FALSE);
    v->reflector_measuring = TRUE;
  }
  memcpy (pkt, data, len);
  if (rp_stamp_reflect (&v->reflector, pkt, len, t2, g_get_monotonic_time (), 0) == RP_STAMP_OK)
    rp_turn_client_send_channel (turn, RP_RELAY_CHANNEL_B, pkt, len);
}

static void
on_a_data (RpTurnClient *turn, guint16 channel, const RpStunAddress *peer, const guint8 *data, gsize len,
           gpointer user_data)
{
  VoiceRun *v = user_data;
  RpStampReflected rp;
  RpVoiceSample sample;

  if (v->phase == PHASE_DONE || rp_stamp_reflected_decode (data, len, &rp) != RP_STAMP_OK || rp.ssid == WARMUP_SSID)
    return;
  rp_voice_sample_from_stamp (&sample, &rp, rp_stun_client_get_rx_time (rp_turn_client_get_stun (turn)));
  rp_voice_stats_received (v->stats, &sample);
  v->received++;
  v->last_rtt_ms = ((sample.t4_us - sample.t1_us) - (sample.t3_us - sample.t2_us)) / 1000.0;
}

static void
on_pair_ready (RpRelayPair *pair, gboolean ok, const char *step, const RpTurnResult *res, RpTurnClient *who,
               gpointer data)
{
  VoiceRun *v = data;
  RpVoiceStatsConfig sc;

  if (rp_check_is_finished (v->check))
    return;
  if (!ok) {
    RpTurnContext ctx = { v->target.transport, v->server_str, rp_turn_plan_get_creds (v->plan),
                          rp_turn_client_get_realm (who) };
    RpCheckResult *r = rp_check_get_result (v->check);
    g_autofree char *summary = NULL;
    rp_explain_turn_failure (r, step, res, &ctx, rp_stun_client_get_info (rp_turn_client_get_stun (who)));
    summary = g_strdup (r->summary);
    rp_check_result_set (r, RP_STATUS_FAIL, "no voice path over TURN/%s: %s", rp_transport_words (v->target.transport),
                         summary);
    v->phase = PHASE_DONE;
    rp_relay_pair_deallocate (v->pair, NULL, NULL);
    rp_check_finish (v->check);
    return;
  }
  rp_voice_stats_config_init (&sc);
  sc.reflector_stateful = TRUE;
  v->stats = rp_voice_stats_new (&sc);
  rp_stamp_reflector_init (&v->reflector, FALSE);
  rp_turn_client_set_data_func (rp_relay_pair_get_a (pair), on_a_data, v);
  rp_turn_client_set_data_func (rp_relay_pair_get_b (pair), on_b_data, v);
  v->phase = PHASE_STREAM;
  v->schedule = rp_schedule_new (rp_runner_get_context (rp_check_get_runner (v->check)), v->voice.interval_us,
                                 v->warmup_packets + v->packets, on_tick, v);
}

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  VoiceRun *v = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  g_autoptr (GError) error = NULL;
  GList *addrs = rp_resolve_finish (res, &error);
  RpRelayPairConfig *c = &v->pair_config;

  if (rp_check_is_finished (check)) {
    g_resolver_free_addresses (addrs);
    return;
  }
  if (addrs == NULL) {
    rp_explain_resolve_failure (r, v->host, v->options.family, error);
    rp_check_finish (check);
    return;
  }
  v->server = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (addrs->data, v->target.port));
  v->server_str = rp_address_port_to_string (addrs->data, v->target.port);
  g_resolver_free_addresses (addrs);
  rp_check_result_detail_str (r, "server_address", v->server_str);
  c->transport = v->target.transport;
  c->server = G_SOCKET_ADDRESS (v->server);
  c->host = v->host;
  c->tls_ctx = v->tls_ctx;
  c->insecure = v->options.insecure;
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
  if (v->target.transport == RP_TRANSPORT_TLS) {
    g_autoptr (GError) error = NULL;
    RpTlsOptions tls = { v->ca_file, v->options.insecure };
    v->tls_ctx = rp_tls_client_ctx_new (&tls, &error);
    if (v->tls_ctx == NULL) {
      rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL, "%s", error->message);
      rp_check_finish (check);
      return;
    }
  }
  rp_resolve_async (v->host, v->options.family, rp_check_get_cancellable (check), on_resolved, rp_check_ref (check));
}

static void
voice_expire (RpCheck *check)
{
  VoiceRun *v = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (v->phase == PHASE_STREAM || v->phase == PHASE_DRAIN) {
    /* Report what was measured, and that it was cut short. */
    rp_schedule_stop (v->schedule);
    v->phase = PHASE_DONE;
    rp_progress_remove (r->id);
    write_result (v, TRUE);
    if (v->pair != NULL)
      rp_relay_pair_deallocate (v->pair, NULL, NULL);
    return;
  }
  rp_explain_deadline (r, v->target.transport, v->server_str, v->target.port, "TURN Allocate", NULL);
  if (v->pair != NULL)
    rp_relay_pair_deallocate (v->pair, NULL, NULL);
}

static const RpCheckClass voice_class = { voice_start, voice_expire, voice_run_free };

void
rp_check_voice_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan, const RpVoiceOptions *voice)
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
    v->target = *target;
    v->host = g_strdup (target->host);
    v->uri = g_strdup (target->uri);
    v->target.host = v->host;
    v->target.uri = v->uri;
    v->target.path = v->target.query = NULL;
    v->options = *options;
    v->ca_file = g_strdup (options->ca_file);
    v->options.ca_file = v->ca_file;
    v->voice = *voice;
    v->voice.turn = NULL;
    v->warmup_packets = (guint) (voice->warmup_s * G_USEC_PER_SEC / voice->interval_us);
    v->packets = MAX (1, (guint) (voice->duration_s * G_USEC_PER_SEC / voice->interval_us));
    v->buf = g_malloc0 (voice->packet_size);
    if (per_transport[target->transport] == 1) {
      id = g_strdup_printf ("voice.turn.%s", rp_transport_to_string (target->transport));
    } else {
      g_autofree char *hp = rp_target_hostport (target);
      id = g_strdup_printf ("voice.turn.%s@%s", rp_transport_to_string (target->transport), hp);
    }
    budget = SETUP_BUDGET_US + (gint64) ((voice->warmup_s + voice->duration_s) * G_USEC_PER_SEC) + DRAIN_US;
    rp_runner_add (runner, rp_check_result_new (id, "voice", target->uri), budget, &voice_class, v);
  }
}
