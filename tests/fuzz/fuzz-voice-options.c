/* Fuzz target for the voice settings a user types (--codec, --threshold, and
 * the same keys in a profile). The first byte picks the parser:
 *   'c'  rp_voice_parse_codec(): opus, g711 or SIZE@MS;
 *   't'  rp_voice_parse_threshold(): NAME=VALUE;
 *   'w'  rp_voice_parse_watch(): --watch DURATION, with --window from the
 *        second byte (0: the default, else 1 to 255 s).
 * Either it succeeds with values inside their documented ranges (and leaves
 * everything else as it was), or it fails with a one-line
 * G_IO_ERROR_INVALID_ARGUMENT and changes nothing. */
#include <gio/gio.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "probe/checks/checks-voice.h"
#include "rtc/voice/stamp.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_thresholds (const RpVoiceThresholds *t)
{
  const double *v = (const double *) t;

  for (guint i = 0; i < sizeof *t / sizeof (double); i++)
    g_assert_true (isfinite (v[i]) && v[i] >= 0 && v[i] <= 100000);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  RpVoiceOptions before, o;
  gboolean ok;

  if (size < 1)
    return 0;
  text = g_strndup ((const char *) data + 1, size - 1);
  rp_voice_options_init (&o);
  before = o;
  if (data[0] == 'c')
    ok = rp_voice_parse_codec (&o, text, &error);
  else if (data[0] == 't')
    ok = rp_voice_parse_threshold (&o, text, &error);
  else if (data[0] == 'w' && size >= 2) {
    g_free (text);
    text = g_strndup ((const char *) data + 2, size - 2);
    ok = rp_voice_parse_watch (&o, text, data[1], &error);
    if (ok) {
      g_assert_true (o.duration_s >= 10 && o.duration_s <= RP_VOICE_WATCH_MAX_S);
      g_assert_true (o.window_s >= 2 && o.window_s <= o.duration_s / 2);
      g_assert_true (memcmp (&before.thresholds, &o.thresholds, sizeof o.thresholds) == 0);
      return 0;
    }
  } else
    return 0;
  if (!ok) {
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_null (strchr (error->message, '\n'));
    g_assert_null (strchr (error->message, '\r'));
    g_assert_cmpuint (strlen (error->message), <, 512);
    g_assert_true (memcmp (&before, &o, sizeof o) == 0);
    return 0;
  }
  g_assert_no_error (error);
  g_assert_cmpuint (o.packet_size, >=, RP_STAMP_BASE_LEN);
  g_assert_cmpuint (o.packet_size, <=, 1200);
  g_assert_cmpint (o.interval_us, >=, 5000);
  g_assert_cmpint (o.interval_us, <=, 200000);
  g_assert_true (o.codec == RP_CODEC_OPUS || o.codec == RP_CODEC_G711_PLC ||
                 o.codec == RP_CODEC_G711);
  check_thresholds (&o.thresholds);
  g_assert_cmpfloat (o.duration_s, ==, before.duration_s);
  return 0;
}
