/* Inline SVG line charts for the HTML report: round-trip time and jitter per
 * packet, with gaps where a packet has no sample and a red mark at every lost
 * packet. The page's stylesheet colours them (classes below), so they follow
 * its light and dark themes. Every number written into the SVG is formatted
 * here from a parsed double; no string from the check reaches the markup. */
#include "reports/html-chart.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The drawing area inside a 640 x 180 viewBox. */
#define VIEW_W 640
#define VIEW_H 180
#define PLOT_X0 52.0
#define PLOT_X1 628.0
#define PLOT_Y0 12.0
#define PLOT_Y1 148.0

GArray *
rp_html_parse_series (const char *s)
{
  GArray *values = g_array_new (FALSE, FALSE, sizeof (double));
  const char *p = s != NULL ? s : "";

  if (*p == '\0')
    return values;
  while (values->len < RP_HTML_SERIES_MAX)
    {
      char *end = NULL;
      double v;

      while (*p == ' ')
        p++;
      v = g_ascii_strtod (p, &end);
      /* Times are never negative, and a value past a few hours is noise. */
      if (end == p || !isfinite (v) || v < 0 || v > 1e7)
        v = NAN;
      g_array_append_val (values, v);
      p = strchr (p, ',');
      if (p == NULL)
        break;
      p++;
    }
  return values;
}

/* The lost packet indexes; anything that is not a small whole number is
 * ignored. */
static GArray *
parse_indexes (const char *s)
{
  GArray *values = g_array_new (FALSE, FALSE, sizeof (guint));
  g_auto(GStrv) fields = g_strsplit (s != NULL ? s : "", ",", -1);

  for (guint i = 0; fields[i] != NULL && values->len < RP_HTML_SERIES_MAX; i++)
    {
      guint64 v;
      if (g_ascii_string_to_unsigned (g_strstrip (fields[i]), 10, 0, RP_HTML_SERIES_MAX - 1, &v,
                                      NULL)) {
        guint u = (guint) v;
        g_array_append_val (values, u);
      }
    }
  return values;
}

const char *
rp_html_detail_str (const RpCheckResult *r, const char *key)
{
  const RpDetail *d = rp_check_result_get_detail (r, key);
  return d != NULL && d->type == RP_DETAIL_STRING ? d->str : NULL;
}

/* The send interval in ms, or 0 when not given. */
static double
interval_ms (const RpCheckResult *r)
{
  const RpDetail *d = rp_check_result_get_detail (r, "series.interval_ms");
  double v = 0;

  if (d == NULL)
    return 0;
  if (d->type == RP_DETAIL_INT)
    v = (double) d->num;
  else if (d->type == RP_DETAIL_STRING && d->str != NULL)
    v = g_ascii_strtod (d->str, NULL);
  return isfinite (v) && v > 0 && v < 1e6 ? v : 0;
}

gboolean
rp_html_has_series (const RpCheckResult *r)
{
  return rp_html_detail_str (r, "series.rtt_ms") != NULL ||
         rp_html_detail_str (r, "series.jitter_ms") != NULL;
}

double
rp_html_nice_ceiling (double v)
{
  static const double steps[] = { 1, 2, 2.5, 5, 10 };
  double mag;

  if (!(v > 0))
    return 1;
  mag = pow (10, floor (log10 (v)));
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i] * mag >= v)
      return steps[i] * mag;
  return 10 * mag;
}

void
rp_html_num (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.1f", v));
}

/* A short axis label: no trailing zeros ("2.5", "40", "0.25"). */
static void
label (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%g", v));
}

static double
x_of (guint i, guint n)
{
  if (n <= 1)
    return (PLOT_X0 + PLOT_X1) / 2;
  return PLOT_X0 + (PLOT_X1 - PLOT_X0) * i / (n - 1);
}

static double
y_of (double v, double ymax)
{
  return PLOT_Y1 - (PLOT_Y1 - PLOT_Y0) * CLAMP (v, 0, ymax) / ymax;
}

static void
append_axes (GString *out, double ymax, guint n, double step_ms)
{
  for (guint k = 0; k <= 4; k++)
    {
      double v = ymax * k / 4;
      double y = y_of (v, ymax);

      g_string_append (out, "<line class=\"grid\" x1=\"");
      rp_html_num (out, PLOT_X0);
      g_string_append (out, "\" x2=\"");
      rp_html_num (out, PLOT_X1);
      g_string_append (out, "\" y1=\"");
      rp_html_num (out, y);
      g_string_append (out, "\" y2=\"");
      rp_html_num (out, y);
      g_string_append (out, "\"/><text class=\"ax\" text-anchor=\"end\" x=\"");
      rp_html_num (out, PLOT_X0 - 6);
      g_string_append (out, "\" y=\"");
      rp_html_num (out, y + 4);
      g_string_append (out, "\">");
      label (out, v);
      g_string_append (out, "</text>");
    }

  /* First, middle and last packet, or their send times in seconds. */
  guint ticks[] = { 0, n > 2 ? (n - 1) / 2 : 0, n > 0 ? n - 1 : 0 };
  for (guint k = 0; k < G_N_ELEMENTS (ticks); k++)
    {
      const char *anchor = k == 0 ? "start" : k == 1 ? "middle" : "end";
      if ((k == 1 && n <= 2) || (k == 2 && n <= 1))
        continue;
      g_string_append_printf (out, "<text class=\"ax\" text-anchor=\"%s\" x=\"", anchor);
      rp_html_num (out, x_of (ticks[k], n));
      g_string_append (out, "\" y=\"");
      rp_html_num (out, PLOT_Y1 + 16);
      g_string_append (out, "\">");
      if (step_ms > 0)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_string_append (out,
                           g_ascii_formatd (buf, sizeof buf, "%.1f", ticks[k] * step_ms / 1000));
          g_string_append (out, " s");
        }
      else
        g_string_append_printf (out, "#%u", ticks[k]);
      g_string_append (out, "</text>");
    }
}

static void
append_lost (GString *out, const GArray *lost, guint n)
{
  for (guint i = 0; i < lost->len; i++)
    {
      guint idx = g_array_index (lost, guint, i);
      double x;

      if (idx >= n)
        continue;
      x = x_of (idx, n);
      g_string_append (out, "<line class=\"lost\" x1=\"");
      rp_html_num (out, x);
      g_string_append (out, "\" x2=\"");
      rp_html_num (out, x);
      g_string_append (out, "\" y1=\"");
      rp_html_num (out, PLOT_Y0);
      g_string_append (out, "\" y2=\"");
      rp_html_num (out, PLOT_Y1);
      g_string_append (out, "\"/><path class=\"lostmark\" d=\"M");
      rp_html_num (out, x - 4);
      g_string_append_c (out, ' ');
      rp_html_num (out, PLOT_Y1 + 4);
      g_string_append (out, "h8l-4-6z\"/>");
    }
}

/* A path broken at every gap; a lone sample becomes a dot through the round
 * line caps of a zero-length segment. */
static void
append_line (GString *out, const GArray *values, guint n, double ymax)
{
  gboolean pen_down = FALSE;

  g_string_append (out, "<path class=\"line\" d=\"");
  for (guint i = 0; i < values->len; i++)
    {
      double v = g_array_index (values, double, i);
      gboolean next_ok = i + 1 < values->len && !isnan (g_array_index (values, double, i + 1));

      if (isnan (v))
        {
          pen_down = FALSE;
          continue;
        }
      g_string_append_c (out, pen_down ? 'L' : 'M');
      rp_html_num (out, x_of (i, n));
      g_string_append_c (out, ' ');
      rp_html_num (out, y_of (v, ymax));
      if (!pen_down && !next_ok)
        g_string_append (out, "h0");
      pen_down = TRUE;
    }
  g_string_append (out, "\"/>");
}

static void
append_chart (GString *out, const char *css, const char *title, const GArray *values,
              const GArray *lost, guint n, double step_ms)
{
  double max = 0, sum = 0;
  guint samples = 0, lost_shown = 0;
  double ymax;
  g_autofree char *caption = NULL;
  char avg[G_ASCII_DTOSTR_BUF_SIZE], peak[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < values->len; i++)
    {
      double v = g_array_index (values, double, i);
      if (isnan (v))
        continue;
      max = MAX (max, v);
      sum += v;
      samples++;
    }
  if (samples == 0)
    return;
  for (guint i = 0; i < lost->len; i++)
    if (g_array_index (lost, guint, i) < n)
      lost_shown++;
  ymax = rp_html_nice_ceiling (max * 1.1);

  g_ascii_formatd (avg, sizeof avg, "%.3g", sum / samples);
  g_ascii_formatd (peak, sizeof peak, "%.3g", max);
  caption = g_strdup_printf ("%s in ms over %u packets: mean %s, max %s, %u lost", title, n,
                             avg, peak, lost_shown);

  g_string_append_printf (out, "<figure class=\"chart %s\"><figcaption>%s</figcaption>", css,
                          caption);
  g_string_append_printf (out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                          "role=\"img\" aria-label=\"%s\">", VIEW_W, VIEW_H, caption);
  append_axes (out, ymax, n, step_ms);
  append_lost (out, lost, n);
  append_line (out, values, n, ymax);
  g_string_append (out, "</svg></figure>\n");
}

void
rp_html_append_series_charts (GString *out, const RpCheckResult *r)
{
  static const struct {
    const char *key;
    const char *css;
    const char *title;
  } series[] = {
    { "series.rtt_ms", "rtt", "Round-trip time" },
    { "series.jitter_ms", "jitter", "Jitter" },
  };
  g_autoptr(GArray) lost = NULL;
  GArray *values[G_N_ELEMENTS (series)] = { NULL };
  double step_ms;
  guint n = 0;

  if (!rp_html_has_series (r))
    return;

  lost = parse_indexes (rp_html_detail_str (r, "series.lost"));
  step_ms = interval_ms (r);
  for (guint i = 0; i < G_N_ELEMENTS (series); i++)
    {
      values[i] = rp_html_parse_series (rp_html_detail_str (r, series[i].key));
      n = MAX (n, values[i]->len);
    }
  /* A loss after the last sample still belongs on the axis. */
  for (guint i = 0; i < lost->len; i++)
    n = MAX (n, g_array_index (lost, guint, i) + 1);

  for (guint i = 0; i < G_N_ELEMENTS (series); i++)
    {
      append_chart (out, series[i].css, series[i].title, values[i], lost, n, step_ms);
      g_array_unref (values[i]);
    }
}
