/* The HTML report: one self-contained page to send to a person or open on
 * a phone. It has the verdict, then the checks grouped by what they probe
 * (web and API, realtime, files, TURN, voice), each row with a status badge,
 * the hint under every row that did not pass, metrics and details folded in
 * <details>, and SVG charts for voice checks that carry per-packet series.
 *
 * Self-contained means nothing is ever fetched: the style and the charts are
 * inline, there is no script, no font or image URL, and a Content Security
 * Policy forbids loading anything should a string slip through. Every
 * string from a check is server-controlled and may be hostile: all of it is
 * cleaned and HTML-escaped (rp_markup_escape). The markup is also
 * well-formed XML, so tests can parse it back. Columns come from the field
 * table in fields.c; the layout stacks into cards below 600 px. */
#include "reports/report.h"

#include <math.h>
#include <string.h>

#include "reports/fields.h"
#include "reports/html-chart.h"
#include "reports/html-timeline.h"

static const char style[] =
  ":root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--mut:#59636e;--line:#d1d9e0;"
  "--card:#f6f8fa;--pass:#1a7f37;--warn:#9a6700;--fail:#d1242f;--skip:#6e7781;"
  "--rtt:#0969da;--jit:#8250df}\n"
  "@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mut:#9198a1;"
  "--line:#3d444d;--card:#151b23;--pass:#2f9e44;--warn:#bb8009;--fail:#e5534b;--skip:#656c76;"
  "--rtt:#4493f8;--jit:#ab7df8}}\n"
  "*{box-sizing:border-box}\n"
  "body{margin:0 auto;max-width:1100px;padding:16px;background:var(--bg);color:var(--fg);"
  "font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}\n"
  "h1{font-size:1.25em;margin:0 0 8px}\n"
  "h2{font-size:1.05em;margin:24px 0 4px;padding-bottom:4px;border-bottom:2px solid var(--line)}\n"
  ".verdict{font-size:1.15em;font-weight:600;margin:0 0 8px;padding:10px 14px;border-radius:6px;"
  "border-left:6px solid var(--skip);background:var(--card)}\n"
  ".verdict.pass{border-color:var(--pass)}.verdict.warn{border-color:var(--warn)}"
  ".verdict.fail{border-color:var(--fail)}\n"
  ".meta{color:var(--mut);font-size:.88em;margin:0 0 4px}\n"
  "table{width:100%;border-collapse:collapse;table-layout:fixed}\n"
  "th.st{width:5.5em}th.check{width:32%}th.time{width:5.5em;text-align:right}\n"
  "th{font-size:.8em;color:var(--mut);font-weight:600;text-align:left;padding:4px 8px}\n"
  "td{vertical-align:top;padding:8px;border-top:1px solid var(--line)}\n"
  "tr.note td{border-top:0;padding-top:0}\n"
  "td.st{width:5.5em}td.time{white-space:nowrap;text-align:right;color:var(--mut)}\n"
  ".badge{display:inline-block;min-width:4.2em;text-align:center;font-size:.75em;font-weight:700;"
  "letter-spacing:.04em;padding:2px 8px;border-radius:10px;color:#fff;background:var(--skip)}\n"
  ".badge.pass{background:var(--pass)}.badge.warn{background:var(--warn)}"
  ".badge.fail{background:var(--fail)}\n"
  ".id{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;overflow-wrap:"
  "anywhere}\n"
  ".target{color:var(--mut);font-size:.85em;overflow-wrap:anywhere}\n"
  ".sum{overflow-wrap:anywhere}\n"
  ".hint{margin:0 0 6px;padding:6px 10px;border-left:3px solid var(--skip);background:var(--card);"
  "border-radius:4px;overflow-wrap:anywhere}\n"
  ".hint.warn{border-color:var(--warn)}.hint.fail{border-color:var(--fail)}\n"
  "details{margin:2px 0 6px}summary{cursor:pointer;color:var(--mut);font-size:.88em}\n"
  "dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0 "
  "0;font-size:.88em}\n"
  "dl.kv dt{font-family:ui-monospace,Menlo,monospace;color:var(--mut)}\n"
  "dl.kv dd{margin:0;overflow-wrap:anywhere}\n"
  "figure{margin:6px 0 10px;max-width:640px}figcaption{font-size:.85em;color:var(--mut)}\n"
  "svg{display:block;width:100%;height:auto}\n"
  "svg .grid{stroke:var(--line);stroke-width:1}svg .ax{fill:var(--mut);font-size:13px}\n"
  "svg .line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}\n"
  ".rtt .line{stroke:var(--rtt)}.jitter .line{stroke:var(--jit)}\n"
  "svg .lost{stroke:var(--fail);stroke-width:1;stroke-dasharray:3 3;opacity:.7}"
  "svg .lostmark{fill:var(--fail)}\n"
  ".timeline .up{stroke:var(--rtt)}.timeline .down{stroke:var(--jit);stroke-dasharray:6 3}\n"
  "svg .episode{fill:var(--fail);opacity:.15}\n"
  "footer{margin-top:24px;color:var(--mut);font-size:.8em}\n"
  "@media (max-width:600px){body{padding:10px}thead{display:none}"
  "table,tbody,tr,td{display:block;width:100%}"
  "tr.row{border-top:1px solid var(--line);padding-top:8px}tr.row:first-child{border-top:0}"
  "tr.row td{border-top:0;padding:2px 0}td.st{width:auto}"
  "td.time{text-align:left}td.pad{display:none}tr.note td{padding:4px 0 8px}}\n";

static void
esc (GString *out, const char *s)
{
  g_autofree char *e = rp_markup_escape (s, FALSE);
  g_string_append (out, e);
}

/* Sections follow the smoke list's groups (reports/fields.c). */
static guint
group_of (const RpCheckResult *r)
{
  return rp_report_group_of_kind (r->kind);
}

static gboolean
is_verdict (const RpCheckResult *r)
{
  /* "verdict" (the whole run's, from `check`) or "<area>.verdict" (turn.verdict). */
  return g_strcmp0 (r->id, "verdict") == 0 || g_strcmp0 (r->kind, "verdict") == 0
         || (r->id != NULL && g_str_has_suffix (r->id, ".verdict"));
}

/* The verdict text and the status that colours it. */
static char *
verdict (const RpReport *r, RpStatus *status)
{
  guint counts[4];

  for (guint i = 0; i < r->checks->len; i++)
    {
      const RpCheckResult *c = g_ptr_array_index (r->checks, i);
      if (is_verdict (c))
        {
          *status = c->status;
          return g_strdup (c->summary != NULL ? c->summary : "");
        }
    }
  rp_report_count (r, counts);
  if (counts[RP_STATUS_FAIL] > 0)
    *status = RP_STATUS_FAIL;
  else if (counts[RP_STATUS_WARN] > 0)
    *status = RP_STATUS_WARN;
  else if (counts[RP_STATUS_PASS] > 0)
    *status = RP_STATUS_PASS;
  else
    *status = RP_STATUS_SKIP;
  return rp_format_counts (r);
}

static char *
format_duration (double ms)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* Zero is a check that never ran (skipped): no time to show. */
  if (!isfinite (ms) || ms <= 0)
    return g_strdup ("");
  if (ms < 1000)
    return g_strdup_printf ("%s ms", g_ascii_formatd (buf, sizeof buf, "%.1f", ms));
  return g_strdup_printf ("%s s", g_ascii_formatd (buf, sizeof buf, "%.2f", ms / 1000));
}

static void
kv (GString *out, const char *key, const char *value)
{
  g_string_append (out, "<dt>");
  esc (out, key);
  g_string_append (out, "</dt><dd>");
  esc (out, value);
  g_string_append (out, "</dd>");
}

static void
append_details_list (GString *out, const GArray *details)
{
  for (guint i = 0; details != NULL && i < details->len; i++)
    {
      const RpDetail *d = &g_array_index (details, RpDetail, i);
      g_autofree char *v = rp_format_detail_value (d);
      kv (out, d->key, v);
    }
}

/* Metrics with their units, then details, in one folded list. */
static void
append_folded (GString *out, const RpCheckResult *r)
{
  guint n_metrics = 0, n_details = 0;

  for (guint i = 0; i < rp_n_check_fields; i++)
    {
      const RpField *f = &rp_check_fields[i];
      GArray *a;
      if (f->format != RP_FORMAT_METRICS && f->format != RP_FORMAT_DETAILS)
        continue;
      a = rp_field_get_array (f, r);
      if (a != NULL)
        *(f->format == RP_FORMAT_METRICS ? &n_metrics : &n_details) += a->len;
    }
  if (n_metrics + n_details == 0)
    return;

  g_string_append (out, "<details><summary>");
  if (n_metrics > 0)
    g_string_append_printf (out, "%u metric%s%s", n_metrics, n_metrics == 1 ? "" : "s",
                            n_details > 0 ? ", " : "");
  if (n_details > 0)
    g_string_append_printf (out, "%u detail%s", n_details, n_details == 1 ? "" : "s");
  g_string_append (out, "</summary><dl class=\"kv\">");
  for (guint i = 0; i < rp_n_check_fields; i++)
    {
      const RpField *f = &rp_check_fields[i];
      GArray *a = NULL;

      if (f->format == RP_FORMAT_METRICS || f->format == RP_FORMAT_DETAILS)
        a = rp_field_get_array (f, r);
      if (a == NULL)
        continue;
      if (f->format == RP_FORMAT_DETAILS)
        {
          append_details_list (out, a);
          continue;
        }
      for (guint m = 0; m < a->len; m++)
        {
          const RpMetric *metric = &g_array_index (a, RpMetric, m);
          g_autofree char *v = rp_format_metric_value (metric);
          g_autofree char *with_unit = NULL;
          if (g_str_has_suffix (metric->name, "_ms"))
            with_unit = g_strconcat (v, " ms", NULL);
          else if (g_str_has_suffix (metric->name, "_pct"))
            with_unit = g_strconcat (v, " %", NULL);
          kv (out, metric->name, with_unit != NULL ? with_unit : v);
        }
    }
  g_string_append (out, "</dl></details>");
}

static gboolean
has_text (const char *s)
{
  for (; s != NULL && *s != '\0'; s++)
    if (!g_ascii_isspace (*s))
      return TRUE;
  return FALSE;
}

/* One table cell per text column of the field table, in column order. */
static void
append_cells (GString *out, const RpCheckResult *r)
{
  for (guint col = 1; col <= rp_n_check_fields; col++)
    for (guint i = 0; i < rp_n_check_fields; i++)
      {
        const RpField *f = &rp_check_fields[i];
        if (!(f->text & RP_TEXT_COLUMN) || f->text_column != col)
          continue;
        switch (f->format)
          {
          case RP_FORMAT_STATUS:
            {
              const char *word = rp_status_to_string (rp_field_get_status (f, r));
              g_autofree char *upper = g_ascii_strup (word, -1);
              g_string_append_printf (
                out, "<td class=\"st\"><span class=\"badge %s\">%s</span></td>", word, upper);
            }
            break;
          case RP_FORMAT_STRING:
          case RP_FORMAT_OPT_STRING:
            {
              const char *s = rp_field_get_string (f, r);
              /* The target sits under the id rather than in its own column. */
              if (f->offset == G_STRUCT_OFFSET (RpCheckResult, target))
                break;
              g_string_append_printf (out, "<td class=\"c-%s\">", f->name);
              if (f->offset == G_STRUCT_OFFSET (RpCheckResult, id))
                {
                  g_string_append (out, "<div class=\"id\">");
                  esc (out, s);
                  g_string_append (out, "</div><div class=\"target\">");
                  esc (out, r->target);
                  g_string_append (out, "</div>");
                }
              else
                {
                  g_string_append (out, "<div class=\"sum\">");
                  esc (out, s);
                  g_string_append (out, "</div>");
                }
              g_string_append (out, "</td>");
            }
            break;
          case RP_FORMAT_MS:
          case RP_FORMAT_METRICS:
          case RP_FORMAT_DETAILS:
            break;
          }
      }
}

static void
append_check (GString *out, const RpCheckResult *r)
{
  const char *word = rp_status_to_string (r->status);
  g_autofree char *dur = format_duration (r->duration_ms);
  GString *note = g_string_new (NULL);

  g_string_append_printf (out, "<tr class=\"row %s\">", word);
  append_cells (out, r);
  g_string_append_printf (out, "<td class=\"time\">%s</td></tr>\n", dur);

  if (r->status != RP_STATUS_PASS && has_text (r->hint))
    {
      g_string_append_printf (note, "<p class=\"hint %s\"><b>Hint:</b> ", word);
      esc (note, r->hint);
      g_string_append (note, "</p>");
    }
  rp_html_append_series_charts (note, r);
  rp_html_append_watch_timeline (note, r);
  append_folded (note, r);
  if (note->len > 0)
    g_string_append_printf (
      out, "<tr class=\"note\"><td class=\"pad\"></td><td colspan=\"3\">%s</td></tr>\n", note->str);
  g_string_free (note, TRUE);
}

static void
append_group (GString *out, const RpReport *r, guint g)
{
  gboolean any = FALSE;

  for (guint i = 0; i < r->checks->len && !any; i++)
    any = group_of (g_ptr_array_index (r->checks, i)) == g;
  if (!any)
    return;

  g_string_append (out, "<section>\n<h2>");
  esc (out, rp_report_groups[g]);
  g_string_append (out, "</h2>\n<table>\n<thead><tr><th class=\"st\">Status</th>"
                        "<th class=\"check\">Check</th><th>Result</th><th "
                        "class=\"time\">Time</th></tr></thead>\n<tbody>\n");
  for (guint i = 0; i < r->checks->len; i++)
    {
      const RpCheckResult *c = g_ptr_array_index (r->checks, i);
      if (group_of (c) == g)
        append_check (out, c);
    }
  g_string_append (out, "</tbody>\n</table>\n</section>\n");
}

static void
append_header (GString *out, const RpReport *r)
{
  RpStatus vstatus;
  g_autofree char *vtext = verdict (r, &vstatus);
  g_autofree char *started = rp_format_timestamp (r->started_at);
  g_autofree char *dur = format_duration (r->duration_ms);
  g_autofree char *counts = rp_format_counts (r);

  g_string_append (out, "<header>\n<h1>");
  esc (out, r->tool_name != NULL ? r->tool_name : "rtcprobe");
  if (r->command != NULL)
    {
      g_string_append_c (out, ' ');
      esc (out, r->command);
    }
  g_string_append (out, "</h1>\n");
  g_string_append_printf (out, "<p class=\"verdict %s\">", rp_status_to_string (vstatus));
  esc (out, vtext);
  g_string_append (out, "</p>\n<p class=\"meta\">");
  /* The counts, unless the verdict already is them. */
  if (strcmp (vtext, counts) != 0)
    {
      esc (out, counts);
      g_string_append (out, " \xc2\xb7 ");
    }
  if (started != NULL)
    {
      g_string_append (out, "started ");
      esc (out, started);
    }
  if (*dur != '\0')
    g_string_append_printf (out, "%stook %s", started != NULL ? " \xc2\xb7 " : "", dur);
  g_string_append (out, "</p>\n");
  if (r->vantage != NULL && r->vantage->details->len > 0)
    {
      g_string_append (out, "<details><summary>Vantage point</summary><dl class=\"kv\">");
      append_details_list (out, r->vantage->details);
      g_string_append (out, "</dl></details>\n");
    }
  g_string_append (out, "</header>\n");
}

char *
rp_report_render_html (const RpReport *r)
{
  GString *out;
  RpStatus vstatus;
  g_autofree char *vtext = NULL;

  g_return_val_if_fail (r != NULL, NULL);

  vtext = verdict (r, &vstatus);
  out = g_string_new ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
                      /* Nothing may be loaded, whatever the page contains. */
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                      "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\"/>\n"
                      "<meta name=\"referrer\" content=\"no-referrer\"/>\n<title>");
  esc (out, r->command != NULL ? r->command : "report");
  g_string_append (out, ": ");
  esc (out, vtext);
  g_string_append (out, " \xe2\x80\x94 rtcprobe</title>\n<style>\n");
  g_string_append (out, style);
  g_string_append (out, "</style>\n</head>\n<body>\n");

  append_header (out, r);
  g_string_append (out, "<main>\n");
  for (guint g = 0; g < rp_n_report_groups; g++)
    append_group (out, r, g);
  if (r->checks->len == 0)
    g_string_append (out, "<p>No checks ran.</p>\n");
  g_string_append (out, "</main>\n<footer>");
  esc (out, r->tool_name != NULL ? r->tool_name : "rtcprobe");
  g_string_append_c (out, ' ');
  esc (out, r->tool_version != NULL ? r->tool_version : "");
  g_string_append (out, "</footer>\n</body>\n</html>\n");
  return g_string_free (out, FALSE);
}
