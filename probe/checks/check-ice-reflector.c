/* `ice.reflector` (see reflector-check.h): the session with the reflector
 * and ICE up to a nominated pair are reflector-client.c's. Then signed STAMP
 * packets (RFC 8762, RFC 8972 HMAC TLV) go over the selected pair and come
 * back reflected; the RTT is (T4 - T1) - (T3 - T2), so the reflector's own
 * time is taken out.
 *
 * connect_ms is ICE alone: from our answer (both candidate lists known) to
 * the nominated pair, the same span as ice.<t>. Measures and never prints. */
#include "probe/checks/checks-reflector.h"

#include <string.h>

#include "probe/core/credentials.h"
#include "probe/core/resolve.h"
#include "probe/net/reflector-client.h"
#include "rtc/ice/ice-pair.h"

#define CHECK_TIMEOUT_US (20 * G_USEC_PER_SEC)
#define ECHO_PACKETS 10
#define ECHO_INTERVAL_MS 20
#define ECHO_DRAIN_MS 1000
#define ECHO_LEN RP_STAMP_VOICE_FRAME_LEN

typedef struct {
  RpCheck *check;
  RpReflectorClient *client;
  const RpReflectorWelcome *welcome;
  gboolean measuring;
  GSource *timer;
  guint sent, received;
  double rtt[ECHO_PACKETS];
  gboolean got[ECHO_PACKETS];
} Refl;

static void
stop_timer (Refl *r)
{
  if (r->timer != NULL) {
    g_source_destroy (r->timer);
    g_clear_pointer (&r->timer, g_source_unref);
  }
}

static void
refl_free (gpointer data)
{
  Refl *r = data;

  stop_timer (r);
  rp_reflector_client_free (r->client);
  g_free (r);
}

static void
done (Refl *r)
{
  if (rp_check_is_finished (r->check))
    return;
  stop_timer (r);
  rp_reflector_client_stop (r->client);
  rp_check_finish (r->check);
}

static void
report (Refl *r)
{
  RpCheckResult *res = rp_check_get_result (r->check);
  g_autofree char *path = rp_reflector_client_describe_path (r->client, res);
  RpIceCandidate local, remote;
  double v[ECHO_PACKETS];
  guint n = 0;

  rp_reflector_client_get_pair (r->client, &local, &remote);
  if (rp_address_text_family_tag (local.addr) != NULL)
    rp_check_result_detail_str (res, "selected_family", rp_address_text_family_tag (local.addr));
  rp_check_result_detail_int (res, "packets_sent", r->sent);
  rp_check_result_detail_int (res, "packets_received", r->received);
  for (guint i = 0; i < ECHO_PACKETS; i++)
    if (r->got[i])
      v[n++] = r->rtt[i];
  if (n == 0) {
    rp_reflector_client_fail (
      r->client,
      "connectivity checks pass but test packets do not come back: a middlebox or relay "
      "drops data, or the reflector's packet limits are lower than this probe's rate",
      "ICE connects through the reflector (%s), but none of %u test packets came back", path,
      r->sent);
    return;
  }
  {
    double median = rp_ice_median (v, n);   /* sorts v */
    rp_check_result_metric (res, "rtt_ms", median);
    rp_check_result_metric (res, "rtt_min_ms", v[0]);
    rp_check_result_metric (res, "rtt_max_ms", v[n - 1]);
    rp_check_result_set (res, RP_STATUS_PASS,
                         "connected through the reflector in %.3f ms: %s, %s <-> %s, RTT %.3f ms "
                         "(%u/%u back)",
                         rp_reflector_client_get_connect_ms (r->client), path,
                         rp_ice_cand_type_to_string (local.type),
                         rp_ice_cand_type_to_string (remote.type), median, n, r->sent);
  }
  done (r);
}

/* ---- echo over the selected pair ---- */

static gboolean
on_drained (gpointer data)
{
  Refl *r = data;

  g_clear_pointer (&r->timer, g_source_unref);
  report (r);
  return G_SOURCE_REMOVE;
}

static void
arm (Refl *r, guint ms, GSourceFunc fn)
{
  r->timer = g_timeout_source_new (ms);
  g_source_set_callback (r->timer, fn, r, NULL);
  g_source_attach (r->timer, rp_runner_get_context (rp_check_get_runner (r->check)));
}

static gboolean
on_send_tick (gpointer data)
{
  Refl *r = data;
  RpStampSender p = { .seq = r->sent,
                      .error_estimate = RP_STAMP_EE_DEFAULT,
                      .ssid = r->welcome->ssid };
  guint8 buf[ECHO_LEN];
  gsize len = MIN ((gsize) ECHO_LEN, r->welcome->max_packet);

  p.timestamp = rp_stamp_us_to_ntp (g_get_monotonic_time ());
  /* A packet the pair refused counts as sent and lost. */
  if (rp_reflector_packet_encode (&p, len, r->welcome->key, buf, sizeof buf) == len)
    rp_reflector_client_send (r->client, buf, len);
  r->sent++;
  if (r->sent < ECHO_PACKETS)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&r->timer, g_source_unref);
  arm (r, ECHO_DRAIN_MS, on_drained);
  return G_SOURCE_REMOVE;
}

static void
on_receive (RpReflectorClient *c, const guint8 *data, gsize len, gint64 t4, gpointer user_data)
{
  Refl *r = user_data;
  RpStampReflected p;

  if (!r->measuring || !rp_reflector_packet_verify (data, len, r->welcome->key) ||
      rp_stamp_reflected_decode (data, len, &p) != RP_STAMP_OK || p.sender_seq >= ECHO_PACKETS ||
      r->got[p.sender_seq])
    return;
  /* RFC 8762 4.2: RTT = (T4 - T1) - (T3 - T2). */
  r->rtt[p.sender_seq] =
    ((t4 - rp_stamp_ntp_to_us (p.sender_timestamp)) -
     rp_stamp_timestamp_diff_us (p.timestamp, p.receive_timestamp, p.error_estimate)) /
    1000.0;
  r->got[p.sender_seq] = TRUE;
  if (++r->received == ECHO_PACKETS && r->timer != NULL) {
    stop_timer (r);
    report (r);
  }
}

static void
on_welcome (RpReflectorClient *c, const RpReflectorWelcome *w, gpointer data)
{
  ((Refl *) data)->welcome = w;
}

static void
on_ready (RpReflectorClient *c, gpointer data)
{
  Refl *r = data;

  r->measuring = TRUE;
  rp_reflector_client_set_phase (c, "rtt");
  arm (r, ECHO_INTERVAL_MS, on_send_tick);
}

static void
on_failed (RpReflectorClient *c, gpointer data)
{
  done (data);
}

static const RpReflectorClientCallbacks client_callbacks = { on_welcome, on_ready, on_receive,
                                                             on_failed };

static void
ice_start (RpCheck *check)
{
  Refl *r = rp_check_get_state (check);

  r->check = check;
  rp_reflector_client_start (r->client, check);
}

static void
ice_expire (RpCheck *check)
{
  Refl *r = rp_check_get_state (check);

  rp_reflector_client_explain_deadline (r->client, rp_check_get_result (check));
  stop_timer (r);
  rp_reflector_client_stop (r->client);
}

static const RpCheckClass refl_class = { ice_start, ice_expire, refl_free };

void
rp_check_ice_reflector_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                            const RpIceReflectorOptions *ro)
{
  Refl *r = g_new0 (Refl, 1);

  r->client = rp_reflector_client_new (options, rp_turn_plan_get_creds (plan), ro, TRUE,
                                       &client_callbacks, r);
  rp_runner_add (runner, rp_check_result_new ("ice.reflector", "ice", ro->url->uri),
                 CHECK_TIMEOUT_US, &refl_class, r);
}

RpSecret *
rp_reflector_secret_load (const char *file, const char *shared_file, GError **error)
{
  const char *env;

  if (file != NULL)
    return rp_read_secret_file (file, error);
  env = g_getenv ("RTCPROBE_REFLECTOR_SECRET");
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (shared_file != NULL)
    return rp_read_secret_file (shared_file, error);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "--reflector needs the reflector's secret: --reflector-secret-file FILE or "
               "RTCPROBE_REFLECTOR_SECRET");
  return NULL;
}
