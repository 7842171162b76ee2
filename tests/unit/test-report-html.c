/* Tests for the HTML renderer: the golden page for the fixed report (with a
 * voice check carrying per-packet series), read back as XML with GMarkup to
 * check what a person sees: the verdict, the sections by kind, one row per
 * check with its badge, hints only under rows that did not pass, folded
 * metrics and details, and the charts with every lost packet marked. Then
 * that the page can fetch nothing (no script, no URL in any attribute, a
 * CSP) and that hostile strings stay text. */
#include <math.h>
#include <string.h>

#include "common/result.h"
#include "reports/fields.h"
#include "reports/html-chart.h"
#include "reports/report.h"
#include "tests/unit/markup-tree.h"
#include "tests/unit/report-fixture.h"

static Node *
parse (const char *doc)
{
  return markup_parse (doc, "<!DOCTYPE html>\n");
}

static gboolean
has_class (const Node *n, const char *cls)
{
  g_auto(GStrv) classes = g_strsplit (attr (n, "class") != NULL ? attr (n, "class") : "", " ", -1);
  return g_strv_contains ((const char * const *) classes, cls);
}

/* Every element under n (depth first) named name, or with class cls. */
static void
collect (const Node *n, const char *name, const char *cls, GPtrArray *out)
{
  for (guint i = 0; i < n->children->len; i++)
    {
      Node *c = g_ptr_array_index (n->children, i);
      if ((name == NULL || strcmp (c->name, name) == 0) && (cls == NULL || has_class (c, cls)))
        g_ptr_array_add (out, c);
      collect (c, name, cls, out);
    }
}

static GPtrArray *
all (const Node *n, const char *name, const char *cls)
{
  GPtrArray *out = g_ptr_array_new ();
  collect (n, name, cls, out);
  return out;
}

static guint
count (const Node *n, const char *name, const char *cls)
{
  g_autoptr(GPtrArray) found = all (n, name, cls);
  return found->len;
}

static Node *
one (const Node *n, const char *name, const char *cls)
{
  g_autoptr(GPtrArray) found = all (n, name, cls);
  g_assert_cmpuint (found->len, ==, 1);
  return g_ptr_array_index (found, 0);
}

/* ---- the fixture, with series on its voice check */

#define N_PACKETS 120

static RpReport *
fixture_with_series (void)
{
  RpReport *report = fixture_report ();
  g_autoptr(GString) rtt = g_string_new (NULL);
  g_autoptr(GString) jitter = g_string_new (NULL);
  static const guint lost[] = { 17, 18, 63, 101 };

  for (guint i = 0; i < N_PACKETS; i++)
    {
      gboolean is_lost = FALSE;
      for (guint l = 0; l < G_N_ELEMENTS (lost); l++)
        is_lost |= lost[l] == i;
      if (i > 0)
        {
          g_string_append_c (rtt, ',');
          g_string_append_c (jitter, ',');
        }
      if (is_lost)
        continue;  /* no sample: a gap */
      /* Whole tenths, so the page does not depend on libm. */
      g_string_append_printf (rtt, "%u.%u", 40 + (i * 7) % 5 + (i >= 70 && i < 80 ? 12 : 0),
                              (i * 3) % 10);
      g_string_append_printf (jitter, "%u.%u", 1 + (i >= 70 && i < 85 ? 2 : 0), (i * 7) % 10);
    }
  for (guint i = 0; i < report->checks->len; i++)
    {
      RpCheckResult *r = g_ptr_array_index (report->checks, i);
      if (strcmp (r->id, "voice.relay") != 0)
        continue;
      rp_check_result_detail_str (r, "series.rtt_ms", rtt->str);
      rp_check_result_detail_str (r, "series.jitter_ms", jitter->str);
      rp_check_result_detail_str (r, "series.lost", "17,18,63,101");
      rp_check_result_detail_int (r, "series.interval_ms", 20);
    }
  return report;
}

static void
test_golden (void)
{
  g_autoptr(RpReport) report = fixture_with_series ();
  g_autofree char *html = rp_report_render_html (report);

  golden_check ("report.html", html);
}

/* Nothing on the page may make the browser load anything. */
static void
assert_self_contained (const char *html, const Node *root)
{
  g_autoptr(GPtrArray) elements = all (root, NULL, NULL);
  g_autoptr(GPtrArray) metas = all (root, "meta", NULL);
  gboolean csp = FALSE, viewport = FALSE;
  const char *style;
  static const char *const forbidden[] = { "script", "img",   "link",  "iframe",        "object",
                                           "embed",  "image", "use",   "foreignObject", "form",
                                           "base",   "audio", "video", "source",        "a" };

  for (guint i = 0; i < elements->len; i++)
    {
      Node *e = g_ptr_array_index (elements, i);
      GHashTableIter it;
      gpointer k, v;

      for (guint f = 0; f < G_N_ELEMENTS (forbidden); f++)
        g_assert_cmpstr (e->name, !=, forbidden[f]);
      g_hash_table_iter_init (&it, e->attrs);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          /* No event handlers, no URL but the SVG namespace name. */
          g_assert_false (g_str_has_prefix (k, "on"));
          g_assert_cmpstr (k, !=, "href");
          g_assert_cmpstr (k, !=, "src");
          if (strcmp (k, "xmlns") == 0)
            g_assert_cmpstr (v, ==, "http://www.w3.org/2000/svg");
          else if (strcmp (k, "content") != 0)
            g_assert_null (strstr (v, ":/"));
        }
    }
  for (guint i = 0; i < metas->len; i++)
    {
      Node *m = g_ptr_array_index (metas, i);
      if (g_strcmp0 (attr (m, "http-equiv"), "Content-Security-Policy") == 0)
        csp = g_str_has_prefix (attr (m, "content"), "default-src 'none';");
      if (g_strcmp0 (attr (m, "name"), "viewport") == 0)
        viewport = strstr (attr (m, "content"), "width=device-width") != NULL;
    }
  g_assert_true (csp);
  g_assert_true (viewport);
  /* The one style sheet is ours: it loads nothing. */
  style = one (root, "style", NULL)->text->str;
  g_assert_null (strstr (style, "url("));
  g_assert_null (strstr (style, "@import"));
  g_assert_null (strstr (style, "@font-face"));
}

static void
test_structure (void)
{
  g_autoptr(RpReport) report = fixture_with_series ();
  g_autofree char *html = rp_report_render_html (report);
  g_autoptr(Node) root = parse (html);
  g_autoptr(GPtrArray) sections = all (root, "section", NULL);
  g_autoptr(GPtrArray) rows = all (root, "tr", "row");
  g_autoptr(GPtrArray) hints = all (root, "p", "hint");
  g_autoptr(GPtrArray) figures = all (root, "figure", NULL);
  static const char * const headings[] = { "Web & API", "TURN", "Voice" };
  /* The checks in page order: by section, then in report order. */
  static const char * const order[] = { "port.443/tcp", "http.api", "stun.udp", "turn.udp.allocate",
                                        "turn.tls.allocate", "voice.relay" };

  g_assert_cmpstr (root->name, ==, "html");
  assert_self_contained (html, root);
  g_assert_cmpstr (one (root, "p", "verdict")->text->str, ==,
                   "3 passed, 1 warned, 1 failed, 1 skipped");
  g_assert_true (has_class (one (root, "p", "verdict"), "fail"));
  g_assert_true (g_str_has_suffix (one (root, "title", NULL)->text->str, "rtcprobe"));

  g_assert_cmpuint (sections->len, ==, G_N_ELEMENTS (headings));
  for (guint i = 0; i < sections->len; i++)
    g_assert_cmpstr (one (g_ptr_array_index (sections, i), "h2", NULL)->text->str, ==, headings[i]);

  g_assert_cmpuint (rows->len, ==, report->checks->len);
  for (guint i = 0; i < rows->len; i++)
    {
      Node *row = g_ptr_array_index (rows, i);
      const RpCheckResult *r = NULL;
      Node *badge = one (row, "span", "badge");
      g_autofree char *upper = NULL;

      for (guint c = 0; c < report->checks->len; c++)
        if (strcmp (((RpCheckResult *) g_ptr_array_index (report->checks, c))->id, order[i]) == 0)
          r = g_ptr_array_index (report->checks, c);
      g_assert_nonnull (r);
      upper = g_ascii_strup (rp_status_to_string (r->status), -1);
      g_assert_cmpstr (one (row, "div", "id")->text->str, ==, r->id);
      g_assert_cmpstr (one (row, "div", "target")->text->str, ==, r->target);
      g_assert_cmpstr (one (row, "div", "sum")->text->str, ==, r->summary);
      g_assert_true (has_class (badge, rp_status_to_string (r->status)));
      g_assert_cmpstr (badge->text->str, ==, upper);
    }

  /* Hints for the warn and the fail (the skip has none). */
  g_assert_cmpuint (hints->len, ==, 2);
  g_assert_true (g_str_has_prefix (((Node *) g_ptr_array_index (hints, 0))->text->str,
                                   "Hint: coturn is started"));
  g_assert_true (has_class (g_ptr_array_index (hints, 1), "fail"));

  /* Two charts for the voice check, each marking the four lost packets. */
  g_assert_cmpuint (figures->len, ==, 2);
  for (guint i = 0; i < figures->len; i++)
    {
      Node *fig = g_ptr_array_index (figures, i);
      g_autoptr(GPtrArray) lost = all (fig, "line", "lost");
      g_autoptr(GPtrArray) marks = all (fig, "path", "lostmark");
      Node *line = one (fig, "path", "line");
      Node *svg = one (fig, "svg", NULL);

      g_assert_cmpuint (lost->len, ==, 4);
      g_assert_cmpuint (marks->len, ==, 4);
      g_assert_cmpstr (attr (svg, "role"), ==, "img");
      g_assert_nonnull (strstr (one (fig, "figcaption", NULL)->text->str, "over 120 packets"));
      g_assert_nonnull (strstr (one (fig, "figcaption", NULL)->text->str, "4 lost"));
      /* A gap at every run of lost packets: 17-18, 63, 101 give 4 pieces. */
      guint pieces = 0;
      for (const char *d = attr (line, "d"); *d != '\0'; d++)
        pieces += *d == 'M';
      g_assert_cmpuint (pieces, ==, 4);
    }
  g_assert_true (has_class (g_ptr_array_index (figures, 0), "rtt"));
  g_assert_true (has_class (g_ptr_array_index (figures, 1), "jitter"));
  /* The x axis is in seconds: 120 packets at 20 ms end at 2.4 s. */
  g_assert_nonnull (strstr (html, ">2.4 s</text>"));

  /* Metrics and details are folded. */
  g_assert_cmpuint (count (root, "details", NULL), >=, 5);
  g_assert_nonnull (strstr (html, "<summary>5 metrics, 4 details</summary>"));
  g_assert_nonnull (strstr (html, "<dt>loss_pct</dt><dd>0.5 %</dd>"));
}

static void
test_verdict_check (void)
{
  g_autoptr(RpReport) report = fixture_report ();
  RpCheckResult *v = rp_check_result_new ("turn.verdict", "verdict", "");
  g_autofree char *html = NULL;
  g_autoptr(Node) root = NULL;

  rp_check_result_set (v, RP_STATUS_WARN, "voice works, but only through TURN over TCP");
  rp_report_add (report, v);
  html = rp_report_render_html (report);
  root = parse (html);
  g_assert_cmpstr (one (root, "p", "verdict")->text->str, ==,
                   "voice works, but only through TURN over TCP");
  g_assert_true (has_class (one (root, "p", "verdict"), "warn"));
}

static void
test_hint_only_when_not_pass (void)
{
  g_autoptr(RpReport) report = rp_report_new ("ports");
  RpCheckResult *r = rp_check_result_new ("port.80/tcp", "port", "h:80/tcp");
  g_autofree char *html = NULL;
  g_autoptr(Node) root = NULL;

  rp_check_result_set (r, RP_STATUS_PASS, "open");
  rp_check_result_set_hint (r, "should not be shown");
  rp_report_add (report, r);
  html = rp_report_render_html (report);
  root = parse (html);
  g_assert_null (strstr (html, "should not be shown"));
  g_assert_cmpuint (count (root, "tr", "note"), ==, 0);
  g_assert_cmpstr (one (root, "p", "verdict")->text->str, ==, "1 passed, 0 warned, 0 failed");
  g_assert_true (has_class (one (root, "p", "verdict"), "pass"));
}

/* A watched stream: three figures over the windows, the loss episode shaded
 * in the loss figure only, the jitter one in the jitter figure, and episodes
 * that are not well formed (unknown words, markup, times out of order)
 * left out without a trace of their text. */
static void
test_watch_timeline (void)
{
  g_autoptr(RpReport) report = rp_report_new ("voice");
  RpCheckResult *r = rp_check_result_new ("voice.turn.udp", "voice", "turn:h");
  g_autofree char *html = NULL;
  g_autoptr(Node) root = NULL;
  g_autoptr(GPtrArray) figures = NULL;

  rp_check_result_set (r, RP_STATUS_FAIL, "1 episode of loss over 5 %% on the uplink");
  rp_check_result_detail_str (r, "series.window.start_s", "0,10,20,30,40,50");
  rp_check_result_detail_str (r, "series.window.end_s", "10,20,30,40,50,60");
  rp_check_result_detail_str (r, "series.window.loss_pct_fwd", "0,0,25,50,0,0");
  rp_check_result_detail_str (r, "series.window.loss_pct_bwd", "0,0,0,0,0,0");
  rp_check_result_detail_str (r, "series.window.jitter_ms_fwd", "1,1,1,1,40,1");
  rp_check_result_detail_str (r, "series.window.jitter_ms_bwd", "1,1,1,1,1,1");
  rp_check_result_detail_str (r, "series.window.rtt_p95_ms", "40,41,42,40,40,40");
  rp_check_result_detail_str (r, "watch.episodes",
                              "loss,uplink,20.0,40.0,50.000;jitter,uplink,40.0,50.0,40.000;"
                              "<svg>,uplink,1,2,3;loss,uplink,30,10,1;loss,x,nan,5,1");
  rp_report_add (report, r);
  html = rp_report_render_html (report);
  root = parse (html);
  assert_self_contained (html, root);
  figures = all (root, "figure", "timeline");
  g_assert_cmpuint (figures->len, ==, 3);
  g_assert_cmpuint (count (g_ptr_array_index (figures, 0), "rect", "episode"), ==, 1);
  g_assert_cmpuint (count (g_ptr_array_index (figures, 1), "rect", "episode"), ==, 1);
  g_assert_cmpuint (count (g_ptr_array_index (figures, 2), "rect", "episode"), ==, 0);
  g_assert_cmpuint (count (g_ptr_array_index (figures, 0), "path", "up"), ==, 1);
  g_assert_cmpuint (count (g_ptr_array_index (figures, 0), "path", "down"), ==, 1);
  /* The loss band runs from 20 s to 40 s of 60 s: x 244 to 436. */
  {
    Node *rect = one (g_ptr_array_index (figures, 0), "rect", "episode");
    g_assert_cmpstr (attr (rect, "x"), ==, "244.0");
    g_assert_cmpstr (attr (rect, "width"), ==, "192.0");
  }
  g_assert_cmpuint (count (root, "rect", "episode"), ==, 2);
  g_assert_nonnull (strstr (html, ">60 s</text>"));
}

static void
test_hostile (void)
{
  static const char evil[] =
    "<script>fetch('https://evil.example/x')</script>\"><img src=x onerror=alert(1)>&amp;";
  g_autoptr(RpReport) report = rp_report_new ("<b>cmd</b>");
  RpCheckResult *r = rp_check_result_new (evil, "voice", "javascript:alert(1) \x01\x1b[2J \xff");
  g_autofree char *html = NULL;
  g_autoptr(Node) root = NULL;
  Node *row;

  rp_check_result_set (r, RP_STATUS_FAIL, "%s \xe2\x80\xae reversed", evil);
  rp_check_result_set_hint (
    r, "</td></tr></table><style>body{background:url(https://evil.example/)}</style>");
  rp_check_result_metric (r, "<i>_ms", 1);
  rp_check_result_detail_str (r, "\"key'", evil);
  rp_check_result_detail_str (r, "series.rtt_ms", "1,<script>,3\" onload=\"x,1e308,-5,inf");
  rp_check_result_detail_str (r, "series.jitter_ms", "");
  rp_check_result_detail_str (r, "series.lost", "1,-2,x,99999999999,\"<");
  rp_check_result_detail_str (r, "series.interval_ms", "<20>");
  rp_report_add (report, r);
  report->vantage = rp_check_result_new ("vantage", "vantage", "");
  rp_check_result_detail_str (report->vantage, "hostname", evil);
  report->duration_ms = NAN;
  /* No clock either, and the output is fixed. */
  g_clear_pointer (&report->started_at, g_date_time_unref);

  html = rp_report_render_html (report);
  /* Also opened in Chromium by tests/integration. */
  golden_check ("report-hostile.html", html);
  g_assert_true (g_utf8_validate (html, -1, NULL));
  root = parse (html);
  assert_self_contained (html, root);
  for (const char *p = html; *p != '\0'; p++)
    g_assert_true (*p == '\n' || (guchar) *p >= 0x20);
  g_assert_null (strstr (html, "\xe2\x80\xae"));

  row = one (root, "tr", "row");
  g_assert_cmpstr (one (row, "div", "id")->text->str, ==, evil);
  g_assert_cmpstr (one (row, "div", "target")->text->str, ==,
                   "javascript:alert(1) [2J \xef\xbf\xbd");
  g_assert_true (g_str_has_prefix (one (row, "div", "sum")->text->str, evil));
  g_assert_true (
    g_str_has_prefix (one (root, "p", "hint")->text->str, "Hint: </td></tr></table><style>"));
  g_assert_cmpuint (count (root, "style", NULL), ==, 1);
  g_assert_cmpstr (one (root, "h1", NULL)->text->str, ==, "rtcprobe <b>cmd</b>");
  g_assert_cmpuint (count (root, "b", NULL), ==, 1);  /* the "Hint:" label */
  /* The readable samples still make a chart; nothing else does. */
  g_assert_cmpuint (count (root, "figure", NULL), ==, 1);
  g_assert_cmpuint (count (root, "line", "lost"), ==, 1);
}

static void
test_parse_series (void)
{
  g_autoptr(GArray) a = rp_html_parse_series ("1.5, 2,,nan,x,-3,1e400");
  g_autoptr(GArray) empty = rp_html_parse_series ("");
  g_autoptr(GString) big = g_string_new ("0");
  g_autoptr(GArray) cut = NULL;

  g_assert_cmpuint (a->len, ==, 7);
  g_assert_cmpfloat (g_array_index (a, double, 0), ==, 1.5);
  g_assert_cmpfloat (g_array_index (a, double, 1), ==, 2);
  g_assert_true (isnan (g_array_index (a, double, 2)));
  g_assert_true (isnan (g_array_index (a, double, 3)));
  g_assert_true (isnan (g_array_index (a, double, 4)));
  g_assert_true (isnan (g_array_index (a, double, 5)));  /* a negative time */
  g_assert_true (isnan (g_array_index (a, double, 6)));
  g_assert_cmpuint (empty->len, ==, 0);

  for (guint i = 0; i < RP_HTML_SERIES_MAX + 10; i++)
    g_string_append (big, ",1");
  cut = rp_html_parse_series (big->str);
  g_assert_cmpuint (cut->len, ==, RP_HTML_SERIES_MAX);
}

static void
test_empty (void)
{
  g_autoptr(RpReport) report = rp_report_new (NULL);
  g_autofree char *html = rp_report_render_html (report);
  g_autoptr(Node) root = parse (html);

  assert_self_contained (html, root);
  g_assert_cmpuint (count (root, "section", NULL), ==, 0);
  g_assert_cmpstr (one (root, "p", "verdict")->text->str, ==, "0 passed, 0 warned, 0 failed");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report-html/golden", test_golden);
  g_test_add_func ("/report-html/structure", test_structure);
  g_test_add_func ("/report-html/verdict-check", test_verdict_check);
  g_test_add_func ("/report-html/hint-only-when-not-pass", test_hint_only_when_not_pass);
  g_test_add_func ("/report-html/hostile", test_hostile);
  g_test_add_func ("/report-html/watch-timeline", test_watch_timeline);
  g_test_add_func ("/report-html/parse-series", test_parse_series);
  g_test_add_func ("/report-html/empty", test_empty);
  return g_test_run ();
}
