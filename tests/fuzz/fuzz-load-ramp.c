/* Fuzz target for `rtcprobe load --ramp STEP/S` (rtc/voice/load-plan.c).
 * The first byte is --streams (1 to 256, 0 read as 1000); the rest is the
 * text. Either the parse succeeds with a step of 1..streams and an interval
 * within the documented bounds, and the ramp then reaches exactly the
 * streams asked for, or it fails with one line, naming the input, and
 * changes nothing. */
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rtc/voice/load-plan.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  RpLoadRamp r = { 77, 7.5 };
  guint n, steps;

  if (size < 1)
    return 0;
  n = data[0] == 0 ? 1000 : data[0];
  text = g_strndup ((const char *) data + 1, size - 1);
  if (!rp_load_parse_ramp (text, n, &r, &error)) {
    g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
    g_assert_true (g_str_has_prefix (error->message, "--ramp \""));
    g_assert_null (strchr (error->message, '\n'));
    g_assert_null (strchr (error->message, '\r'));
    g_assert_cmpuint (strlen (error->message), <, 256);
    g_assert_cmpuint (r.step, ==, 77);
    g_assert_cmpfloat (r.interval_s, ==, 7.5);
    return 0;
  }
  g_assert_no_error (error);
  g_assert_cmpuint (r.step, >=, 1);
  g_assert_cmpuint (r.step, <=, n);
  g_assert_true (isfinite (r.interval_s));
  g_assert_cmpfloat (r.interval_s, >=, RP_LOAD_MIN_STEP_S);
  g_assert_cmpfloat (r.interval_s, <=, RP_LOAD_MAX_STEP_S);
  steps = rp_load_ramp_steps (&r, n);
  g_assert_cmpuint (steps, >=, 1);
  g_assert_cmpuint (rp_load_ramp_streams_at (&r, n, steps - 1), ==, n);
  if (steps > 1)
    g_assert_cmpuint (rp_load_ramp_streams_at (&r, n, steps - 2), <, n);
  return 0;
}
