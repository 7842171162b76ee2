/* The voice command's settings: codec profiles and verdict thresholds as a
 * user writes them on the command line or in a profile. */
#include <gio/gio.h>
#include <string.h>

#include "common/quote.h"
#include "probe/net/voice-options.h"
#include "rtc/voice/stamp.h"

void
rp_voice_options_init (RpVoiceOptions *o)
{
  memset (o, 0, sizeof *o);
  o->duration_s = 10;
  o->warmup_s = 1;
  o->codec = RP_CODEC_OPUS;
  /* An Opus 20 ms frame as WebRTC sends it: RTP header, SRTP tag, ~32 kbit/s payload. */
  o->packet_size = 12 + 10 + 80;
  o->interval_us = 20000;
  rp_voice_thresholds_init (&o->thresholds);
}

gboolean
rp_voice_parse_codec (RpVoiceOptions *o, const char *text, GError **error)
{
  guint64 size, ms;
  char *end;

  if (g_ascii_strcasecmp (text, "opus") == 0) {
    o->codec = RP_CODEC_OPUS;
    o->packet_size = 12 + 10 + 80;
    o->interval_us = 20000;
    return TRUE;
  }
  if (g_ascii_strcasecmp (text, "g711") == 0) {
    o->codec = RP_CODEC_G711_PLC;
    o->packet_size = RP_STAMP_VOICE_FRAME_LEN;   /* RTP 12 + 160 bytes of 20 ms G.711 */
    o->interval_us = 20000;
    return TRUE;
  }
  size = g_ascii_strtoull (text, &end, 10);
  if (end != text && *end == '@') {
    const char *m = end + 1;
    ms = g_ascii_strtoull (m, &end, 10);
    if (end != m && *end == '\0' && size >= RP_STAMP_BASE_LEN && size <= 1200 && ms >= 5 &&
        ms <= 200) {
      o->packet_size = size;
      o->interval_us = (gint64) ms * 1000;
      return TRUE;
    }
  }
  {
    g_autofree char *q = rp_quote_input (text, strlen (text), 32);
    g_set_error (
      error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "--codec %s: use opus, g711, or SIZE@MS with SIZE %d-1200 bytes and MS 5-200 (e.g. 200@20)",
      q, RP_STAMP_BASE_LEN);
  }
  return FALSE;
}

gboolean
rp_voice_parse_threshold (RpVoiceOptions *o, const char *text, GError **error)
{
  static const struct { const char *name; gsize offset; } names[] = {
    { "warn_mos", G_STRUCT_OFFSET (RpVoiceThresholds, warn_mos) },
    { "warn_rtt_p95_ms", G_STRUCT_OFFSET (RpVoiceThresholds, warn_rtt_p95_ms) },
    { "warn_jitter_ms", G_STRUCT_OFFSET (RpVoiceThresholds, warn_jitter_ms) },
    { "warn_loss_pct", G_STRUCT_OFFSET (RpVoiceThresholds, warn_loss_pct) },
    { "fail_mos", G_STRUCT_OFFSET (RpVoiceThresholds, fail_mos) },
    { "fail_loss_pct", G_STRUCT_OFFSET (RpVoiceThresholds, fail_loss_pct) },
  };
  const char *eq = strchr (text, '=');
  g_autofree char *name = eq != NULL ? g_strndup (text, eq - text) : NULL;

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (names); i++) {
    char *end;
    double v;
    if (!g_str_equal (name, names[i].name))
      continue;
    v = g_ascii_strtod (eq + 1, &end);
    if (end == eq + 1 || *end != '\0' || !(v >= 0 && v <= 100000)) {
      g_autofree char *q = rp_quote_input (text, strlen (text), 40);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--threshold %s: the value must be a number from 0 to 100000", q);
      return FALSE;
    }
    G_STRUCT_MEMBER (double, &o->thresholds, names[i].offset) = v;
    return TRUE;
  }
  {
    g_autofree char *q = rp_quote_input (text, strlen (text), 40);
    g_set_error (
      error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "--threshold %s: use NAME=VALUE with NAME one of warn_mos, warn_rtt_p95_ms, warn_jitter_ms, "
      "warn_loss_pct, fail_mos, fail_loss_pct",
      q);
  }
  return FALSE;
}

gboolean
rp_voice_parse_watch (RpVoiceOptions *o, const char *text, double window_s, GError **error)
{
  char *end = NULL;
  double v, unit = 1;

  v = g_ascii_strtod (text, &end);
  if (end != text && g_str_equal (end, "m"))
    unit = 60;
  else if (end != text && g_str_equal (end, "h"))
    unit = 3600;
  else if (end == text || !(g_str_equal (end, "") || g_str_equal (end, "s")))
    v = -1;
  v *= unit;
  if (!(v >= 10 && v <= RP_VOICE_WATCH_MAX_S)) {
    g_autofree char *q = rp_quote_input (text, strlen (text), 32);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--watch %s: give a duration from 10s to 24h (90, 90s, 10m, 2h)", q);
    return FALSE;
  }
  if (window_s == 0)
    window_s = MIN (10, v / 2);
  if (!(window_s >= 2 && window_s <= v / 2)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--window must be from 2 seconds to half of --watch");
    return FALSE;
  }
  o->duration_s = v;
  o->window_s = window_s;
  return TRUE;
}
