/* Fuzz target for the HTML timeline of a watched voice stream
 * (reports/html-timeline.c): the input's lines are, in order, the details
 * series.window.start_s, end_s, loss_pct_fwd, loss_pct_bwd, jitter_ms_fwd,
 * jitter_ms_bwd, rtt_p95_ms and watch.episodes. Whatever they hold, the
 * output is valid UTF-8, has no markup of the input's ('<' only where the
 * renderer writes it: no "<script", no input text), and is bounded. */
#include <stdint.h>
#include <string.h>

#include "reports/html-timeline.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const keys[] = {
    "series.window.start_s",     "series.window.end_s",         "series.window.loss_pct_fwd",
    "series.window.loss_pct_bwd", "series.window.jitter_ms_fwd", "series.window.jitter_ms_bwd",
    "series.window.rtt_p95_ms",  "watch.episodes",
  };
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (RpCheckResult) r = rp_check_result_new ("voice.turn.udp", "voice", "turn:h");
  g_autoptr (GString) out = g_string_new (NULL);

  if (size > 65536)
    return 0;
  text = g_utf8_make_valid ((const char *) data, (gssize) size);
  lines = g_strsplit (text, "\n", G_N_ELEMENTS (keys));
  for (guint i = 0; lines[i] != NULL && i < G_N_ELEMENTS (keys); i++)
    rp_check_result_detail_str (r, keys[i], lines[i]);
  rp_html_append_watch_timeline (out, r);
  g_assert_true (g_utf8_validate (out->str, (gssize) out->len, NULL));
  g_assert_null (strstr (out->str, "<script"));
  g_assert_null (strstr (out->str, "&"));
  g_assert_cmpuint (out->len, <, 3 * 64 * 1024 + 200 * RP_HTML_SERIES_MAX);
  return 0;
}
