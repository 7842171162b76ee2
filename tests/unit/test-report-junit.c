/* Tests for the JUnit renderer: the golden file for the fixed report, the
 * structure CI systems read (parsed back with GMarkup: suite totals, one
 * testcase per check, failure / skipped / system-out by status, properties
 * mirroring the JSON members), hostile strings that must come back intact
 * minus what XML 1.0 forbids, and xmllint on the output when installed. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "common/result.h"
#include "reports/fields.h"
#include "reports/report.h"
#include "tests/unit/markup-tree.h"
#include "tests/unit/report-fixture.h"

static Node *
parse (const char *doc)
{
  return markup_parse (doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

static GPtrArray *
children (const Node *n, const char *name)
{
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < n->children->len; i++)
    {
      Node *c = g_ptr_array_index (n->children, i);
      if (strcmp (c->name, name) == 0)
        g_ptr_array_add (out, c);
    }
  return out;
}

static Node *
child (const Node *n, const char *name)
{
  g_autoptr(GPtrArray) all = children (n, name);
  g_assert_cmpuint (all->len, <=, 1);
  return all->len == 1 ? g_ptr_array_index (all, 0) : NULL;
}

/* The value of <property name=NAME> under n's <properties>, or NULL. */
static const char *
property (const Node *n, const char *name)
{
  Node *props = child (n, "properties");
  g_assert_nonnull (props);
  for (guint i = 0; i < props->children->len; i++)
    {
      Node *p = g_ptr_array_index (props->children, i);
      g_assert_cmpstr (p->name, ==, "property");
      if (g_strcmp0 (attr (p, "name"), name) == 0)
        return attr (p, "value");
    }
  return NULL;
}

static void
test_golden (void)
{
  g_autoptr(RpReport) report = fixture_report ();
  g_autofree char *xml = rp_report_render_junit (report);

  golden_check ("report.junit.xml", xml);
}

static void
test_structure (void)
{
  g_autoptr(RpReport) report = fixture_report ();
  g_autofree char *xml = rp_report_render_junit (report);
  g_autoptr(Node) root = parse (xml);
  g_autoptr(GPtrArray) suites = children (root, "testsuite");
  g_autoptr(GPtrArray) cases = NULL;
  Node *suite;

  g_assert_cmpstr (root->name, ==, "testsuites");
  g_assert_cmpuint (suites->len, ==, 1);
  suite = g_ptr_array_index (suites, 0);
  g_assert_cmpstr (attr (suite, "name"), ==, "rtcprobe check");
  g_assert_cmpstr (attr (suite, "tests"), ==, "6");
  g_assert_cmpstr (attr (suite, "failures"), ==, "1");
  g_assert_cmpstr (attr (suite, "errors"), ==, "0");
  g_assert_cmpstr (attr (suite, "skipped"), ==, "1");
  g_assert_cmpstr (attr (suite, "time"), ==, "1.235");
  g_assert_cmpstr (attr (suite, "timestamp"), ==, "2026-11-27T21:48:25.123Z");
  g_assert_cmpstr (attr (suite, "hostname"), ==, "tester-laptop");
  g_assert_cmpstr (attr (root, "tests"), ==, "6");
  g_assert_cmpstr (property (suite, "tool.version"), ==, "0.1.0");
  g_assert_cmpstr (property (suite, "vantage.public_address"), ==, "198.51.100.7");
  g_assert_cmpstr (property (suite, "vantage.ipv6"), ==, "false");

  cases = children (suite, "testcase");
  g_assert_cmpuint (cases->len, ==, report->checks->len);
  for (guint i = 0; i < cases->len; i++)
    {
      Node *tc = g_ptr_array_index (cases, i);
      const RpCheckResult *r = g_ptr_array_index (report->checks, i);
      Node *failure = child (tc, "failure");
      Node *skipped = child (tc, "skipped");
      Node *out = child (tc, "system-out");

      g_assert_cmpstr (attr (tc, "classname"), ==, r->kind);
      g_assert_cmpstr (attr (tc, "name"), ==, r->id);
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (attr (tc, "time"), NULL),
                                      r->duration_ms / 1000, 0.0005);

      /* Every field of the check is a property, as in the JSON report. */
      g_assert_cmpstr (property (tc, "id"), ==, r->id);
      g_assert_cmpstr (property (tc, "target"), ==, r->target);
      g_assert_cmpstr (property (tc, "status"), ==, rp_status_to_string (r->status));
      g_assert_cmpstr (property (tc, "summary"), ==, r->summary);
      g_assert_cmpstr (property (tc, "hint"), ==, r->hint);
      g_assert_cmpfloat (g_ascii_strtod (property (tc, "duration_ms"), NULL), ==, r->duration_ms);
      for (guint m = 0; m < r->metrics->len; m++)
        {
          const RpMetric *rm = &g_array_index (r->metrics, RpMetric, m);
          g_autofree char *name = g_strconcat ("metrics.", rm->name, NULL);
          g_assert_cmpfloat (g_ascii_strtod (property (tc, name), NULL), ==, rm->value);
        }
      for (guint d = 0; d < r->details->len; d++)
        {
          const RpDetail *rd = &g_array_index (r->details, RpDetail, d);
          g_autofree char *name = g_strconcat ("details.", rd->key, NULL);
          g_autofree char *value = rp_format_detail_value (rd);
          g_assert_cmpstr (property (tc, name), ==, value);
        }

      switch (r->status)
        {
        case RP_STATUS_PASS:
          g_assert_null (failure);
          g_assert_null (skipped);
          g_assert_null (out);
          break;
        case RP_STATUS_FAIL:
          {
            g_autofree char *body = g_strdup_printf ("%s\nhint: %s", r->summary, r->hint);
            g_assert_nonnull (failure);
            g_assert_null (skipped);
            g_assert_cmpstr (attr (failure, "message"), ==, r->summary);
            g_assert_cmpstr (failure->text->str, ==, body);
          }
          break;
        case RP_STATUS_SKIP:
          g_assert_null (failure);
          g_assert_nonnull (skipped);
          g_assert_cmpstr (attr (skipped, "message"), ==, r->summary);
          break;
        case RP_STATUS_WARN:
          {
            g_autofree char *note = g_strdup_printf ("WARN: %s\nhint: %s", r->summary, r->hint);
            /* A warning passes: the CI job must not fail on it. */
            g_assert_null (failure);
            g_assert_null (skipped);
            g_assert_nonnull (out);
            g_assert_cmpstr (out->text->str, ==, note);
          }
          break;
        }
    }
}

static gboolean
xml_char_allowed (gunichar c)
{
  /* XML 1.0, production [2] Char. */
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

static RpReport *
hostile_report (void)
{
  RpReport *report = rp_report_new ("stun\" & <x>");
  RpCheckResult *r = rp_check_result_new ("id \"q\" 'a' <b> & ]]> \x01\x1b[31m", "k<i>nd",
                                          "bad \xff\xfe utf8 \xef\xbf\xbe end");

  rp_check_result_set (r, RP_STATUS_FAIL, "line one\nline two\r\ttab \x0b\x0c </failure><x>");
  rp_check_result_set_hint (r, "]]> <![CDATA[ x ]]> &amp; \xe2\x80\xae rtl");
  r->duration_ms = NAN;
  rp_check_result_metric (r, "nan_ms", NAN);
  rp_check_result_metric (r, "inf\"<", INFINITY);
  rp_check_result_detail_str (r, "key\n\"", "value\x02\x7f\xc2\x85");
  rp_report_add (report, r);

  r = rp_check_result_new ("w", "warn", "");
  rp_check_result_set (r, RP_STATUS_WARN, "<system-out>");
  rp_report_add (report, r);

  report->vantage = rp_check_result_new ("vantage", "vantage", "");
  rp_check_result_detail_str (report->vantage, "hostname", "host\"<>&");
  report->duration_ms = -INFINITY;
  return report;
}

static void
test_hostile (void)
{
  g_autoptr(RpReport) report = hostile_report ();
  g_autofree char *xml = rp_report_render_junit (report);
  g_autoptr(Node) root = NULL;
  Node *suite, *tc, *failure;
  g_autoptr(GPtrArray) cases = NULL;

  g_assert_true (g_utf8_validate (xml, -1, NULL));
  for (const char *p = xml; *p != '\0'; p = g_utf8_next_char (p))
    g_assert_true (xml_char_allowed (g_utf8_get_char (p)));
  /* No markup from a check survives as markup. */
  g_assert_null (strstr (xml, "<x>"));
  g_assert_null (strstr (xml, "<b>"));
  g_assert_null (strstr (xml, "<![CDATA["));

  root = parse (xml);
  suite = g_ptr_array_index (root->children, 0);
  g_assert_cmpstr (attr (suite, "name"), ==, "rtcprobe stun\" & <x>");
  g_assert_cmpstr (attr (suite, "hostname"), ==, "host\"<>&");
  g_assert_cmpstr (attr (suite, "time"), ==, "0.000");
  cases = children (suite, "testcase");
  g_assert_cmpuint (cases->len, ==, 2);
  tc = g_ptr_array_index (cases, 0);

  /* Forbidden characters are gone, everything else comes back as it was. */
  g_assert_cmpstr (attr (tc, "name"), ==, "id \"q\" 'a' <b> & ]]> [31m");
  g_assert_cmpstr (attr (tc, "classname"), ==, "k<i>nd");
  g_assert_cmpstr (attr (tc, "time"), ==, "0.000");
  g_assert_cmpstr (property (tc, "target"), ==, "bad \xef\xbf\xbd\xef\xbf\xbd utf8  end");
  failure = child (tc, "failure");
  g_assert_nonnull (failure);
  /* Newlines and the tab survive in the attribute as character references. */
  g_assert_cmpstr (attr (failure, "message"), ==, "line one\nline two\r\ttab  </failure><x>");
  g_assert_cmpstr (
    failure->text->str, ==,
    "line one\nline two\r\ttab  </failure><x>\nhint: ]]> <![CDATA[ x ]]> &amp;  rtl");
  g_assert_cmpstr (property (tc, "metrics.nan_ms"), ==, "NaN");
  g_assert_cmpstr (property (tc, "metrics.inf\"<"), ==, "+Inf");
  g_assert_cmpstr (property (tc, "duration_ms"), ==, "NaN");
  g_assert_cmpstr (property (tc, "details.key\n\""), ==, "value");

  tc = g_ptr_array_index (cases, 1);
  g_assert_cmpstr (child (tc, "system-out")->text->str, ==, "WARN: <system-out>");
}

static void
test_empty (void)
{
  g_autoptr(RpReport) report = rp_report_new (NULL);
  g_autofree char *xml = rp_report_render_junit (report);
  g_autoptr(Node) root = parse (xml);
  Node *suite = g_ptr_array_index (root->children, 0);

  g_assert_cmpstr (attr (suite, "name"), ==, "rtcprobe");
  g_assert_cmpstr (attr (suite, "tests"), ==, "0");
  g_assert_cmpuint (root->children->len, ==, 1);
}

static void
xmllint (const char *what, const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *err = NULL;
  int fd = g_file_open_tmp ("rtcprobe-junit-XXXXXX.xml", &path, &error);
  int status = -1;

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, xml, -1, &error);
  g_assert_no_error (error);
  const char *argv[] = { "xmllint", "--noout", path, NULL };
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  g_unlink (path);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("xmllint on %s: %s", what, err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (err, ==, "");
}

static void
test_xmllint (void)
{
  g_autofree char *prog = g_find_program_in_path ("xmllint");
  g_autoptr(RpReport) fixture = fixture_report ();
  g_autoptr(RpReport) hostile = hostile_report ();
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  if (prog == NULL)
    {
      g_test_skip ("xmllint not installed (Debian package libxml2-utils)");
      return;
    }
  a = rp_report_render_junit (fixture);
  b = rp_report_render_junit (hostile);
  xmllint ("the fixed report", a);
  xmllint ("the hostile report", b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report-junit/golden", test_golden);
  g_test_add_func ("/report-junit/structure", test_structure);
  g_test_add_func ("/report-junit/hostile", test_hostile);
  g_test_add_func ("/report-junit/empty", test_empty);
  g_test_add_func ("/report-junit/xmllint", test_xmllint);
  return g_test_run ();
}
