/* The watch timeline (see html-timeline.h): x is seconds from the start of
 * the stream, one point per window at its middle, two lines per figure
 * (uplink solid, downlink dashed) and a shaded band per episode. Every
 * number written into the SVG is formatted here from a parsed double; a
 * series or episode that does not parse is left out. */
#include "reports/html-timeline.h"

#include <math.h>
#include <string.h>

#include "reports/html-chart.h"

#define VIEW_W 640
#define VIEW_H 180
#define PLOT_X0 52.0
#define PLOT_X1 628.0
#define PLOT_Y0 12.0
#define PLOT_Y1 148.0

typedef struct {
  gboolean loss;                /* else jitter */
  double start_s, end_s;
} Episode;

static double
x_of (double t, double total)
{
  return PLOT_X0 + (PLOT_X1 - PLOT_X0) * CLAMP (t / total, 0, 1);
}

static double
y_of (double v, double ymax)
{
  return PLOT_Y1 - (PLOT_Y1 - PLOT_Y0) * CLAMP (v, 0, ymax) / ymax;
}

/* "loss,uplink,20.0,50.0,50.2;...": only the known words, only sane times. */
static GArray *
parse_episodes (const char *s)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (Episode));
  g_auto (GStrv) items = g_strsplit (s != NULL ? s : "", ";", RP_HTML_EPISODES_MAX + 1);

  for (guint i = 0; items[i] != NULL && out->len < RP_HTML_EPISODES_MAX; i++) {
    g_auto (GStrv) f = g_strsplit (items[i], ",", 6);
    Episode e;
    if (g_strv_length (f) != 5)
      continue;
    if (!g_str_equal (f[0], "loss") && !g_str_equal (f[0], "jitter"))
      continue;
    e.loss = g_str_equal (f[0], "loss");
    e.start_s = g_ascii_strtod (f[2], NULL);
    e.end_s = g_ascii_strtod (f[3], NULL);
    if (!isfinite (e.start_s) || !isfinite (e.end_s) || e.start_s < 0 || e.end_s < e.start_s ||
        e.end_s > 1e7)
      continue;
    g_array_append_val (out, e);
  }
  return out;
}

static void
append_line (GString *out, const char *css, const GArray *mid, const GArray *v, double total,
             double ymax)
{
  gboolean pen = FALSE;

  g_string_append_printf (out, "<path class=\"line %s\" d=\"", css);
  for (guint i = 0; i < v->len && i < mid->len; i++) {
    double y = g_array_index (v, double, i);
    if (isnan (y)) {
      pen = FALSE;
      continue;
    }
    g_string_append_c (out, pen ? 'L' : 'M');
    rp_html_num (out, x_of (g_array_index (mid, double, i), total));
    g_string_append_c (out, ' ');
    rp_html_num (out, y_of (y, ymax));
    pen = TRUE;
  }
  g_string_append (out, "\"/>");
}

static void
append_axes (GString *out, double ymax, double total)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint k = 0; k <= 4; k++) {
    double y = y_of (ymax * k / 4, ymax);
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
    g_string_append_printf (out, "\">%s</text>",
                            g_ascii_formatd (buf, sizeof buf, "%g", ymax * k / 4));
  }
  for (guint k = 0; k <= 2; k++) {
    g_string_append_printf (out, "<text class=\"ax\" text-anchor=\"%s\" x=\"",
                            k == 0 ? "start" : k == 1 ? "middle" : "end");
    rp_html_num (out, x_of (total * k / 2, total));
    g_string_append (out, "\" y=\"");
    rp_html_num (out, PLOT_Y1 + 16);
    g_string_append_printf (out, "\">%s s</text>",
                            g_ascii_formatd (buf, sizeof buf, "%.0f", total * k / 2));
  }
}

static void
append_episodes (GString *out, const GArray *eps, gboolean loss, double total)
{
  for (guint i = 0; i < eps->len; i++) {
    const Episode *e = &g_array_index (eps, Episode, i);
    if (e->loss != loss)
      continue;
    g_string_append (out, "<rect class=\"episode\" x=\"");
    rp_html_num (out, x_of (e->start_s, total));
    g_string_append (out, "\" y=\"");
    rp_html_num (out, PLOT_Y0);
    g_string_append (out, "\" width=\"");
    rp_html_num (out, MAX (1, x_of (e->end_s, total) - x_of (e->start_s, total)));
    g_string_append (out, "\" height=\"");
    rp_html_num (out, PLOT_Y1 - PLOT_Y0);
    g_string_append (out, "\"/>");
  }
}

static void
append_figure (GString *out, const char *title, GArray *up, GArray *down, const GArray *mid,
               const GArray *eps, int episodes_of, double total)
{
  double max = 0;
  guint shaded = 0;

  for (guint i = 0; i < up->len; i++)
    if (!isnan (g_array_index (up, double, i)))
      max = MAX (max, g_array_index (up, double, i));
  for (guint i = 0; down != NULL && i < down->len; i++)
    if (!isnan (g_array_index (down, double, i)))
      max = MAX (max, g_array_index (down, double, i));
  for (guint i = 0; i < eps->len; i++)
    shaded += episodes_of >= 0 && g_array_index (eps, Episode, i).loss == (episodes_of == 1);
  g_string_append_printf (out, "<figure class=\"chart timeline\"><figcaption>%s per window "
                          "over %u windows%s, %u episode%s shaded</figcaption>",
                          title, mid->len, down != NULL ? " (uplink solid, downlink dashed)" : "",
                          shaded, shaded == 1 ? "" : "s");
  g_string_append_printf (out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                          "role=\"img\" aria-label=\"%s per window\">", VIEW_W, VIEW_H, title);
  append_axes (out, rp_html_nice_ceiling (max * 1.1), total);
  if (episodes_of >= 0)
    append_episodes (out, eps, episodes_of == 1, total);
  append_line (out, "up", mid, up, total, rp_html_nice_ceiling (max * 1.1));
  if (down != NULL)
    append_line (out, "down", mid, down, total, rp_html_nice_ceiling (max * 1.1));
  g_string_append (out, "</svg></figure>\n");
}

void
rp_html_append_watch_timeline (GString *out, const RpCheckResult *r)
{
  g_autoptr (GArray) start = rp_html_parse_series (rp_html_detail_str (r, "series.window.start_s"));
  g_autoptr (GArray) end = rp_html_parse_series (rp_html_detail_str (r, "series.window.end_s"));
  g_autoptr (GArray) mid = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) eps = parse_episodes (rp_html_detail_str (r, "watch.episodes"));
  static const struct {
    const char *title, *up, *down;
    int episodes_of;            /* 1 loss, 0 jitter, -1 none */
  } figures[] = {
    { "Voice loss in %", "series.window.loss_pct_fwd", "series.window.loss_pct_bwd", 1 },
    { "Jitter in ms", "series.window.jitter_ms_fwd", "series.window.jitter_ms_bwd", 0 },
    { "RTT p95 in ms", "series.window.rtt_p95_ms", NULL, -1 },
  };
  double total = 0;

  if (start->len == 0 || start->len != end->len)
    return;
  for (guint i = 0; i < start->len; i++) {
    double a = g_array_index (start, double, i), b = g_array_index (end, double, i);
    double m = isnan (a) || isnan (b) ? NAN : (a + b) / 2;
    g_array_append_val (mid, m);
    if (!isnan (b))
      total = MAX (total, b);
  }
  if (!(total > 0))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (figures); i++) {
    g_autoptr (GArray) up = rp_html_parse_series (rp_html_detail_str (r, figures[i].up));
    g_autoptr (GArray) down = figures[i].down != NULL
                                ? rp_html_parse_series (rp_html_detail_str (r, figures[i].down))
                                : NULL;
    append_figure (out, figures[i].title, up, down, mid, eps, figures[i].episodes_of, total);
  }
}
