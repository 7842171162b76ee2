/* The HTML overview of the results store (results-view.h): one page, no
 * script, style inline, a Content-Security-Policy that allows no request
 * to anywhere; per vantage its runs (failures first) and, with several
 * runs, MOS and loss over time as inline SVG; a line on what the failing
 * vantages have in common; each run's full report on the page itself. */
#include "reflector/results-view.h"

#include <math.h>
#include <string.h>

#define CHART_W 640
#define CHART_H 140
#define LOSSY_PCT 5.0

static const char head[] =
  "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
  "style-src 'unsafe-inline'\">\n"
  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
  "<title>rtcprobe results</title>\n<style>\n"
  "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\n"
  "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:.2em .6em;"
  "border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}\n"
  "td.why{white-space:normal;min-width:16em}\n"
  ".fail{color:#b00020;font-weight:600}.warn{color:#a15c00}.pass{color:#1b6e20}\n"
  ".summary{background:#fff4f4;border-left:4px solid #b00020;padding:.5em 1em}\n"
  "svg{max-width:100%;height:auto;background:#fafafa;border:1px solid #eee}\n"
  ".mos{stroke:#1565c0;fill:none;stroke-width:2}.loss{stroke:#b00020;fill:none;stroke-width:2}\n"
  "pre{white-space:pre-wrap;font-size:12px;background:#f6f6f6;padding:.5em}\n"
  "</style></head><body>\n<h1>rtcprobe results</h1>\n";

static void
esc (GString *s, const char *text)
{
  g_autofree char *e = g_markup_escape_text (text != NULL ? text : "", -1);

  g_string_append (s, e);
}

static void
cell_num (GString *s, const char *fmt, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (s, "<td>");
  g_string_append (s, isnan (v) ? "–" : g_ascii_formatd (buf, sizeof buf, fmt, v));
  g_string_append (s, "</td>");
}

/* "TURN over udp blocked for all 3 failing vantages; uplink loss over 5 %
 * for 2 of 3", from the last run of each failing vantage. */
static void
append_summary (GString *s, GPtrArray *views)
{
  g_autoptr (GHashTable) last = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GString) line = g_string_new (NULL);
  static const char *const ts[] = { "udp", "tcp", "tls" };
  guint n = 0, blocked[3] = { 0 }, fwd = 0, bwd = 0;
  GHashTableIter it;
  gpointer key, value;

  for (guint i = 0; i < views->len; i++) {
    const RpResultView *v = g_ptr_array_index (views, i);
    if (v->status == RP_STATUS_FAIL)
      g_hash_table_insert (last, v->vantage, (gpointer) v);
  }
  n = g_hash_table_size (last);
  if (n == 0) {
    g_string_append (s, "<p class=\"pass\">No vantage has a failing run.</p>\n");
    return;
  }
  g_hash_table_iter_init (&it, last);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    const RpResultView *v = value;
    for (guint t = 0; t < G_N_ELEMENTS (ts); t++)
      blocked[t] += strstr (v->transports_bad, ts[t]) != NULL;
    fwd += !isnan (v->loss_fwd_pct) && v->loss_fwd_pct >= LOSSY_PCT;
    bwd += !isnan (v->loss_bwd_pct) && v->loss_bwd_pct >= LOSSY_PCT;
  }
  for (guint t = 0; t < G_N_ELEMENTS (ts); t++)
    if (blocked[t] >= MIN (n, 2u))
      g_string_append_printf (line, "%sTURN over %s blocked for %u of %u", line->len ? "; " : "",
                              ts[t], blocked[t], n);
  if (fwd >= MIN (n, 2u))
    g_string_append_printf (line, "%suplink loss of %g %% or more for %u of %u",
                            line->len ? "; " : "", LOSSY_PCT, fwd, n);
  if (bwd >= MIN (n, 2u))
    g_string_append_printf (line, "%sdownlink loss of %g %% or more for %u of %u",
                            line->len ? "; " : "", LOSSY_PCT, bwd, n);
  g_string_append_printf (s, "<p class=\"summary\"><b>%u failing vantage%s</b>: %s.</p>\n", n,
                          n == 1 ? "" : "s",
                          line->len ? line->str : "no blocked transport or lossy direction in "
                                                  "common");
}

static void
point (GString *s, double x, double y)
{
  char bx[G_ASCII_DTOSTR_BUF_SIZE], by[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (s, "%s,%s ", g_ascii_formatd (bx, sizeof bx, "%.1f", x),
                          g_ascii_formatd (by, sizeof by, "%.1f", y));
}

/* MOS (1 to 5, left scale) and the worse direction's loss (0 to lmax %)
 * of views[from, to), one step per run in the order received. */
static void
append_chart (GString *s, GPtrArray *views, guint from, guint to)
{
  double lmax = 10, pad = 30;
  g_autoptr (GString) mos = g_string_new (NULL), loss = g_string_new (NULL);

  for (guint i = from; i < to; i++) {
    const RpResultView *v = g_ptr_array_index (views, i);
    lmax = MAX (lmax, MAX (isnan (v->loss_fwd_pct) ? 0 : v->loss_fwd_pct,
                           isnan (v->loss_bwd_pct) ? 0 : v->loss_bwd_pct));
  }
  for (guint i = from; i < to; i++) {
    const RpResultView *v = g_ptr_array_index (views, i);
    double x = pad + (CHART_W - 2 * pad) * (i - from) / (double) (to - from - 1);
    double l = MAX (isnan (v->loss_fwd_pct) ? 0 : v->loss_fwd_pct,
                    isnan (v->loss_bwd_pct) ? 0 : v->loss_bwd_pct);
    if (!isnan (v->mos))
      point (mos, x, CHART_H - 20 - (CHART_H - 30) * (CLAMP (v->mos, 1, 5) - 1) / 4);
    point (loss, x, CHART_H - 20 - (CHART_H - 30) * l / lmax);
  }
  g_string_append_printf (s, "<figure><figcaption>MOS (blue, 1 to 5) and loss (red, 0 to %g %%)"
                          " over %u runs</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                          "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"MOS and loss over "
                          "time\"><line x1=\"%g\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
                          "<text x=\"2\" y=\"14\" font-size=\"11\">5</text><text x=\"2\" y=\"%d\" "
                          "font-size=\"11\">1</text>", lmax, to - from, CHART_W, CHART_H, pad,
                          CHART_H - 20, CHART_W - 10, CHART_H - 20, CHART_H - 20);
  if (mos->len)
    g_string_append_printf (s, "<polyline class=\"mos\" points=\"%s\"/>", mos->str);
  g_string_append_printf (s, "<polyline class=\"loss\" points=\"%s\"/></svg></figure>\n",
                          loss->str);
}

static void
append_row (GString *s, const RpResultView *v)
{
  g_autoptr (GDateTime) d = g_date_time_new_from_unix_utc (v->row->received_s);
  g_autofree char *t = d != NULL ? g_date_time_format (d, "%Y-%m-%d %H:%M") : g_strdup ("?");

  g_string_append_printf (s, "<tr><td class=\"%s\">%s</td><td>%s</td><td>",
                          rp_status_to_string (v->status), rp_status_to_string (v->status), t);
  esc (s, v->row->label);
  g_string_append (s, "</td><td>");
  esc (s, v->row->address);
  g_string_append (s, "</td><td>");
  esc (s, *v->transports_ok ? v->transports_ok : "–");
  g_string_append (s, "</td><td>");
  esc (s, *v->transports_bad ? v->transports_bad : "–");
  g_string_append (s, "</td><td>");
  esc (s, v->path != NULL ? v->path : "–");
  g_string_append (s, "</td>");
  cell_num (s, "%.1f", v->rtt_ms);
  cell_num (s, "%.1f", v->jitter_fwd_ms);
  cell_num (s, "%.1f", v->jitter_bwd_ms);
  cell_num (s, "%.1f", v->loss_fwd_pct);
  cell_num (s, "%.1f", v->loss_bwd_pct);
  cell_num (s, "%.2f", v->mos);
  g_string_append (s, "<td class=\"why\">");
  esc (s, v->verdict);
  g_string_append_printf (s, "</td><td><a href=\"#run-%" G_GINT64_FORMAT
                          "\">report</a></td></tr>\n", v->row->id);
}

char *
rp_results_render_html (GPtrArray *views)
{
  GString *s = g_string_new (head);

  append_summary (s, views);
  for (guint i = 0; i < views->len;) {
    const RpResultView *v = g_ptr_array_index (views, i);
    guint j = i;
    while (j < views->len
           && g_str_equal (((RpResultView *) g_ptr_array_index (views, j))->vantage, v->vantage))
      j++;
    g_string_append (s, "<h2>");
    esc (s, v->vantage);
    g_string_append_printf (s, "</h2>\n");
    if (j - i >= 2)
      append_chart (s, views, i, j);
    g_string_append (s, "<table><tr><th>verdict</th><th>when (UTC)</th><th>label</th>"
                     "<th>address</th><th>TURN works</th><th>blocked</th><th>best path</th>"
                     "<th>RTT ms</th><th>jitter up</th><th>jitter down</th><th>loss up %</th>"
                     "<th>loss down %</th><th>MOS</th><th>why</th><th></th></tr>\n");
    for (guint k = i; k < j; k++)
      append_row (s, g_ptr_array_index (views, k));
    g_string_append (s, "</table>\n");
    i = j;
  }
  g_string_append (s, "<h2>Reports</h2>\n");
  for (guint i = 0; i < views->len; i++) {
    const RpResultView *v = g_ptr_array_index (views, i);
    g_string_append_printf (s, "<details id=\"run-%" G_GINT64_FORMAT "\"><summary>run %"
                            G_GINT64_FORMAT " (", v->row->id, v->row->id);
    esc (s, v->row->label);
    g_string_append (s, ")</summary><pre>");
    esc (s, v->row->report);
    g_string_append (s, "</pre></details>\n");
  }
  g_string_append (s, "</body></html>\n");
  return g_string_free (s, FALSE);
}
