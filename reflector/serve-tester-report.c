/* A tester's report (see serve-private.h): the browser's raw voice timings
 * fed into the project's own statistics (rtc/voice/stats.h) and written as
 * the command line writes a voice result (rp_voice_stats_write_result: the
 * RFC 3550 jitter per direction, loss per direction, the G.107 E-model), the
 * browser's websocket, gathering and ICE outcomes as results with the
 * command line's ids, and one verdict sentence with its hint. Bounded: at
 * most RP_TESTER_MAX_RUNS streams of max_rows entries each. */
#include "reflector/serve-private.h"

#include <string.h>

#include "probe/net/voice-options.h"
#include "probe/net/voice-stream.h"
#include "reports/report.h"

#define RP_TESTER_MAX_RUNS 4

typedef struct {
  char *id;
  GArray *sent;       /* gint64 t1 */
  GArray *replies;    /* RpTesterReply */
} Run;

struct _RpTesterRuns {
  Run runs[RP_TESTER_MAX_RUNS];
  guint n;
  guint max_rows;
};

RpTesterRuns *
rp_tester_runs_new (guint max_rows)
{
  RpTesterRuns *r = g_new0 (RpTesterRuns, 1);

  r->max_rows = max_rows;
  return r;
}

void
rp_tester_runs_free (RpTesterRuns *r)
{
  if (r == NULL)
    return;
  for (guint i = 0; i < r->n; i++) {
    g_free (r->runs[i].id);
    g_array_unref (r->runs[i].sent);
    g_array_unref (r->runs[i].replies);
  }
  g_free (r);
}

gboolean
rp_tester_runs_add (RpTesterRuns *r, const char *id, GArray *sent, GArray *replies,
                    GError **error)
{
  Run *run = NULL;

  for (guint i = 0; i < r->n && run == NULL; i++)
    if (g_str_equal (r->runs[i].id, id))
      run = &r->runs[i];
  if (run == NULL) {
    if (r->n >= RP_TESTER_MAX_RUNS) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "timings: at most %d streams",
                   RP_TESTER_MAX_RUNS);
      return FALSE;
    }
    run = &r->runs[r->n++];
    run->id = g_strdup (id);
    run->sent = g_array_new (FALSE, FALSE, sizeof (gint64));
    run->replies = g_array_new (FALSE, FALSE, sizeof (RpTesterReply));
  }
  if (run->sent->len + sent->len > r->max_rows || run->replies->len + replies->len > r->max_rows) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                 "timings: more than %u messages in one stream", r->max_rows);
    return FALSE;
  }
  g_array_append_vals (run->sent, sent->data, sent->len);
  g_array_append_vals (run->replies, replies->data, replies->len);
  return TRUE;
}

/* Sends and replies in the order they happened on the browser's clock, as
 * a stream of ours feeds its statistics. */
static RpVoiceStats *
feed (const Run *run)
{
  RpVoiceStatsConfig sc;
  RpVoiceStats *stats;
  guint i = 0, j = 0;

  rp_voice_stats_config_init (&sc);
  sc.reflector_stateful = TRUE;
  stats = rp_voice_stats_new (&sc);
  while (i < run->sent->len || j < run->replies->len) {
    const RpTesterReply *rep = j < run->replies->len
                               ? &g_array_index (run->replies, RpTesterReply, j) : NULL;
    gint64 t1 = i < run->sent->len ? g_array_index (run->sent, gint64, i) : G_MAXINT64;
    if (rep == NULL || t1 <= rep->t4_us) {
      rp_voice_stats_sent (stats, t1);
      i++;
      continue;
    }
    j++;
    /* A reply for a message not sent (yet) is not ours to count. */
    if (rep->seq < i) {
      RpVoiceSample x = {
        rep->seq, rep->reflector_seq, g_array_index (run->sent, gint64, rep->seq),
        rep->t2_us, rep->t3_us, rep->t4_us,
      };
      rp_voice_stats_received (stats, &x);
    }
  }
  return stats;
}

static const char *
path_words (const char *id)
{
  if (g_str_equal (id, "voice.ice"))
    return "from this browser over ICE with every candidate";
  if (g_str_equal (id, "voice.turn.udp"))
    return "from this browser through TURN over UDP";
  if (g_str_equal (id, "voice.turn.tcp"))
    return "from this browser through TURN over TCP";
  return "from this browser through TURN over TLS";
}

static RpCheckResult *
voice_result (const Run *run, const char *target, gint64 interval_us, gsize packet_size)
{
  g_autoptr (RpVoiceStats) stats = feed (run);
  RpCheckResult *r = rp_check_result_new (run->id, "voice", target);
  RpVoiceOptions o;
  RpVoiceResultShape shape = { &o, packet_size, NULL, "userspace" };
  RpVoiceStreamWords w = {
    path_words (run->id),
    "the data channel opened, but no voice message came back",
    "connectivity checks pass but data does not: a middlebox or relay drops it, or the "
    "reflector's session_packet_rate is below the stream's 50 messages a second",
    "compare voice.ice with the relay paths to tell this network from the relay",
  };

  rp_voice_options_init (&o);
  o.interval_us = interval_us;
  o.packet_size = packet_size;
  rp_voice_stats_write_result (stats, &shape, r, &w);
  return r;
}

static const char *
transport_of_uri (const char *uri)
{
  if (g_str_has_prefix (uri, "turns:"))
    return "tls";
  return strstr (uri, "transport=tcp") != NULL ? "tcp" : "udp";
}

static RpCheckResult *
ws_result (const RpTesterResult *res, const char *target)
{
  RpCheckResult *r = rp_check_result_new ("ws.reflector", "websocket", target);

  rp_check_result_set (r, RP_STATUS_PASS, "the reflector's websocket upgrades in %.3f ms; "
                       "RTT %.3f ms", MAX (res->ws_upgrade_ms, 0),
                       MAX (res->ws_rtt_ms, 0));
  if (res->ws_upgrade_ms >= 0)
    rp_check_result_metric (r, "upgrade_ms", res->ws_upgrade_ms);
  if (res->ws_rtt_ms >= 0)
    rp_check_result_metric (r, "rtt_ms", res->ws_rtt_ms);
  return r;
}

static RpCheckResult *
gather_result (const RpTesterGather *g)
{
  const char *t = transport_of_uri (g->uri);
  g_autofree char *id = g_strdup_printf ("ice.gather.%s", t);
  RpCheckResult *r = rp_check_result_new (id, "ice", g->uri);

  if (g->relay) {
    rp_check_result_set (r, RP_STATUS_PASS, "a relay candidate through %s in %.3f ms%s%s", g->uri,
                         MAX (g->ms, 0), g->mapped != NULL ? "; public address " : "",
                         g->mapped != NULL ? g->mapped : "");
  } else {
    rp_check_result_set (r, RP_STATUS_FAIL, "no relay candidate through %s", g->uri);
    rp_check_result_set_hint (r, "this network blocks %s to the TURN server, or the server "
                              "refused the credentials the reflector handed out (its "
                              "static-auth-secret must be the reflector's [turn] secret_file)",
                              g_str_equal (t, "tls") ? "TLS" : g_str_equal (t, "tcp") ? "TCP"
                                                                                       : "UDP");
  }
  if (g->ms >= 0)
    rp_check_result_metric (r, "gather_ms", g->ms);
  if (g->mapped != NULL)
    rp_check_result_detail_str (r, "public_address", g->mapped);
  return r;
}

static RpCheckResult *
ice_result (const RpTesterIce *c, const char *target)
{
  RpCheckResult *r = rp_check_result_new (c->id, "ice", target);
  gboolean relay_only = !g_str_equal (c->id, "ice.reflector");

  if (c->connected) {
    rp_check_result_set (r, RP_STATUS_PASS, "connected %s in %.3f ms (%s <-> %s)",
                         relay_only ? "relay-only" : "with every candidate", MAX (c->ms, 0),
                         c->local != NULL ? c->local : "?", c->remote != NULL ? c->remote : "?");
    if (c->local != NULL)
      rp_check_result_detail_str (r, "local_type", c->local);
    if (c->remote != NULL)
      rp_check_result_detail_str (r, "remote_type", c->remote);
  } else {
    rp_check_result_set (r, RP_STATUS_FAIL, "did not connect %s",
                         relay_only ? "relay-only" : "with every candidate");
    rp_check_result_set_hint (r, relay_only ? "this TURN transport is blocked from this network"
                              : "no path between this browser and the reflector: UDP and the "
                                "TURN ports are blocked from this network");
  }
  if (c->ms >= 0)
    rp_check_result_metric (r, "connect_ms", c->ms);
  return r;
}

static RpCheckResult *
find (GPtrArray *checks, const char *id)
{
  for (guint i = 0; i < checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (checks, i);
    if (g_str_equal (r->id, id))
      return r;
  }
  return NULL;
}

static gboolean
connected (GPtrArray *checks, const char *id)
{
  RpCheckResult *r = find (checks, id);

  return r != NULL && r->status == RP_STATUS_PASS;
}

/* "TCP", "TCP and TLS", ... of the relay transports that connect; NULL when
 * none does. */
static char *
relay_transports (GPtrArray *checks, gboolean with_udp)
{
  static const char *const ts[] = { "udp", "tcp", "tls" };
  static const char *const names[] = { "UDP", "TCP", "TLS" };
  g_autoptr (GPtrArray) ok = g_ptr_array_new ();

  for (guint i = with_udp ? 0 : 1; i < G_N_ELEMENTS (ts); i++) {
    g_autofree char *id = g_strdup_printf ("ice.%s", ts[i]);
    if (connected (checks, id))
      g_ptr_array_add (ok, (gpointer) names[i]);
  }
  if (ok->len == 0)
    return NULL;
  if (ok->len == 1)
    return g_strdup (ok->pdata[0]);
  if (ok->len == 2)
    return g_strdup_printf ("%s and %s", (char *) ok->pdata[0], (char *) ok->pdata[1]);
  return g_strdup_printf ("%s, %s and %s", (char *) ok->pdata[0], (char *) ok->pdata[1],
                          (char *) ok->pdata[2]);
}

static RpCheckResult *
best_voice (GPtrArray *checks)
{
  static const char *const ids[] = {
    "voice.ice", "voice.turn.udp", "voice.turn.tcp", "voice.turn.tls",
  };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    if (find (checks, ids[i]) != NULL)
      return find (checks, ids[i]);
  return NULL;
}

/* The verdict: one sentence, as `check` says it, and its hint (or NULL). */
static char *
verdict (GPtrArray *checks, char **hint)
{
  RpCheckResult *ice = find (checks, "ice.reflector");
  RpCheckResult *voice = best_voice (checks);
  const RpDetail *local = ice != NULL ? rp_check_result_get_detail (ice, "local_type") : NULL;
  gboolean direct = ice != NULL && ice->status == RP_STATUS_PASS
                    && (local == NULL || !g_str_equal (local->str, "relay"));
  g_autofree char *udp_relay = relay_transports (checks, TRUE);
  g_autofree char *tcp_relay = relay_transports (checks, FALSE);

  *hint = NULL;
  if (!direct && udp_relay == NULL && !(ice != NULL && ice->status == RP_STATUS_PASS)) {
    *hint = g_strdup ("neither UDP nor the TURN server's TCP and TLS ports connect from this "
                      "network: ask its administrator to allow them, or test from another network");
    return g_strdup ("Voice does not work from here: no path to the server connects.");
  }
  if (voice != NULL && voice->status == RP_STATUS_FAIL) {
    *hint = g_strdup (voice->hint);
    return g_strdup_printf ("Voice connects from here, but calls will sound bad: %s.",
                            voice->summary);
  }
  if (!direct && !connected (checks, "ice.udp") && tcp_relay != NULL) {
    *hint = g_strdup_printf ("UDP does not get through this network: calls here depend on TURN "
                             "over %s; the team should keep those TURN ports open", tcp_relay);
    return g_strdup_printf ("Voice works from here only through TURN over %s: this network "
                            "blocks UDP.", tcp_relay);
  }
  if (!direct) {
    *hint = g_strdup ("calls from this network go through the TURN relay: it must stay up and "
                      "have the capacity for them");
    return g_strdup_printf ("Voice works from here only through TURN over %s.", udp_relay);
  }
  if (voice != NULL && voice->status == RP_STATUS_WARN) {
    *hint = g_strdup (voice->hint);
    return g_strdup ("Voice works from here, but calls may sound worse than they should.");
  }
  return g_strdup ("Voice works from here.");
}

char *
rp_tester_report_build (RpTesterRuns *runs, const RpTesterResult *res, const char *label,
                        const char *target, gint64 interval_us, gsize packet_size,
                        char **verdict_out, char **document_out)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *doc = NULL;
  RpReport *report = rp_report_new ("tester");
  char *sentence;

  rp_report_add (report, ws_result (res, target));
  for (guint i = 0; i < res->gather->len; i++)
    rp_report_add (report, gather_result (&g_array_index (res->gather, RpTesterGather, i)));
  for (guint i = 0; i < res->ice->len; i++)
    rp_report_add (report, ice_result (&g_array_index (res->ice, RpTesterIce, i), target));
  for (guint i = 0; i < runs->n; i++)
    rp_report_add (report, voice_result (&runs->runs[i], target, interval_us, packet_size));
  report->vantage = rp_check_result_new ("vantage", "vantage", "");
  rp_check_result_detail_str (report->vantage, "label", label);
  rp_check_result_detail_str (report->vantage, "from", "a tester's browser");
  sentence = verdict (report->checks, &hint);
  doc = rp_report_render_json (report);
  rp_report_free (report);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "report");
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, sentence);
  json_builder_set_member_name (b, "hint");
  if (hint != NULL)
    json_builder_add_string_value (b, hint);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "report");
  if (json_parser_load_from_data (parser, doc, -1, NULL))
    json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  *verdict_out = sentence;
  *document_out = g_steal_pointer (&doc);
  return json_to_string (root, FALSE);
}

char *
rp_tester_report_log_line (RpTesterRuns *runs, const RpTesterResult *res)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < res->ice->len; i++) {
    const RpTesterIce *c = &g_array_index (res->ice, RpTesterIce, i);
    g_string_append_printf (s, "%s%s %s", s->len ? ", " : "", c->id,
                            c->connected ? "connected" : "failed");
  }
  for (guint i = 0; i < runs->n; i++)
    g_string_append_printf (s, "%s%s %u/%u", s->len ? ", " : "", runs->runs[i].id,
                            runs->runs[i].replies->len, runs->runs[i].sent->len);
  return g_string_free (s, FALSE);
}
