/* Tests for the JSON renderer: the golden file for the fixed report, the
 * "rtcprobe.report/1" contract checked by parsing the output back with
 * json-glib (member names, order and types), and hostile input: quotes,
 * newlines, control characters, invalid UTF-8 and non-finite numbers must
 * still give valid JSON. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "common/result.h"
#include "reports/report.h"
#include "tests/unit/report-fixture.h"

static JsonObject *
parse_report (const char *text, JsonParser *parser)
{
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

static void
assert_members (JsonObject *o, const char * const *expected)
{
  g_autoptr(GList) members = json_object_get_members (o);
  guint i = 0;

  for (GList *l = members; l != NULL; l = l->next, i++)
    {
      g_assert_nonnull (expected[i]);
      g_assert_cmpstr (l->data, ==, expected[i]);
    }
  g_assert_null (expected[i]);
}

static void
assert_type (JsonObject *o, const char *member, GType type)
{
  JsonNode *n = json_object_get_member (o, member);

  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_VALUE (n));
  g_assert_cmpstr (g_type_name (json_node_get_value_type (n)), ==, g_type_name (type));
}

static void
test_golden (void)
{
  g_autoptr(RpReport) report = fixture_report ();
  g_autofree char *json = rp_report_render_json (report);

  golden_check ("report.json", json);
  g_assert_true (g_str_has_suffix (json, "}\n"));
}

static void
test_schema (void)
{
  static const char * const top[] = { "schema", "tool", "command", "started_at", "duration_ms",
                                      "vantage", "checks", "summary", NULL };
  static const char * const check_members[] = { "id", "kind", "target", "status", "summary", "hint",
                                                "duration_ms", "metrics", "details", NULL };
  static const char * const summary_members[] = { "pass", "warn", "fail", "skip", NULL };
  g_autoptr(RpReport) report = fixture_report ();
  g_autofree char *json = rp_report_render_json (report);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = parse_report (json, parser);
  JsonObject *tool, *vantage, *summary;
  JsonArray *checks;
  g_autoptr (GRegex) iso =
    g_regex_new ("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$", 0, 0, NULL);

  assert_members (o, top);
  g_assert_cmpstr (json_object_get_string_member (o, "schema"), ==, "rtcprobe.report/1");

  tool = json_object_get_object_member (o, "tool");
  assert_members (tool, (const char *[]) { "name", "version", NULL });
  g_assert_cmpstr (json_object_get_string_member (tool, "name"), ==, "rtcprobe");
  g_assert_cmpstr (json_object_get_string_member (tool, "version"), ==, "0.1.0");

  g_assert_cmpstr (json_object_get_string_member (o, "command"), ==, "check");
  g_assert_cmpstr (json_object_get_string_member (o, "started_at"), ==, "2026-11-27T21:48:25.123Z");
  g_assert_true (g_regex_match (iso, json_object_get_string_member (o, "started_at"), 0, NULL));
  assert_type (o, "duration_ms", G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_object_get_double_member (o, "duration_ms"), ==, 1234.567);

  vantage = json_object_get_object_member (o, "vantage");
  assert_members (vantage, (const char *[]) { "hostname", "public_address", "ipv6", NULL });
  assert_type (vantage, "ipv6", G_TYPE_BOOLEAN);

  checks = json_object_get_array_member (o, "checks");
  g_assert_cmpuint (json_array_get_length (checks), ==, report->checks->len);
  for (guint i = 0; i < json_array_get_length (checks); i++)
    {
      JsonObject *c = json_array_get_object_element (checks, i);
      const RpCheckResult *r = g_ptr_array_index (report->checks, i);
      JsonObject *metrics, *details;

      assert_members (c, check_members);
      g_assert_cmpstr (json_object_get_string_member (c, "id"), ==, r->id);
      g_assert_cmpstr (json_object_get_string_member (c, "kind"), ==, r->kind);
      g_assert_cmpstr (json_object_get_string_member (c, "target"), ==, r->target);
      g_assert_cmpstr (json_object_get_string_member (c, "status"), ==,
                       rp_status_to_string (r->status));
      g_assert_cmpstr (json_object_get_string_member (c, "summary"), ==, r->summary);
      if (r->hint == NULL)
        g_assert_true (json_object_get_null_member (c, "hint"));
      else
        g_assert_cmpstr (json_object_get_string_member (c, "hint"), ==, r->hint);
      assert_type (c, "duration_ms", G_TYPE_DOUBLE);
      g_assert_cmpfloat (json_object_get_double_member (c, "duration_ms"), ==, r->duration_ms);

      metrics = json_object_get_object_member (c, "metrics");
      g_assert_cmpuint (json_object_get_size (metrics), ==, r->metrics->len);
      for (guint m = 0; m < r->metrics->len; m++)
        {
          const RpMetric *rm = &g_array_index (r->metrics, RpMetric, m);
          assert_type (metrics, rm->name, G_TYPE_DOUBLE);
          /* The generator prints 17 digits: numbers survive exactly. */
          g_assert_cmpfloat (json_object_get_double_member (metrics, rm->name), ==, rm->value);
        }

      details = json_object_get_object_member (c, "details");
      g_assert_cmpuint (json_object_get_size (details), ==, r->details->len);
      for (guint d = 0; d < r->details->len; d++)
        {
          const RpDetail *rd = &g_array_index (r->details, RpDetail, d);
          switch (rd->type)
            {
            case RP_DETAIL_STRING:
              g_assert_cmpstr (json_object_get_string_member (details, rd->key), ==, rd->str);
              break;
            case RP_DETAIL_INT:
              assert_type (details, rd->key, G_TYPE_INT64);
              g_assert_cmpint (json_object_get_int_member (details, rd->key), ==, rd->num);
              break;
            case RP_DETAIL_BOOL:
              assert_type (details, rd->key, G_TYPE_BOOLEAN);
              g_assert_cmpint (json_object_get_boolean_member (details, rd->key), ==, rd->num != 0);
              break;
            }
        }
    }

  summary = json_object_get_object_member (o, "summary");
  assert_members (summary, summary_members);
  assert_type (summary, "pass", G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (summary, "pass"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (summary, "warn"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (summary, "fail"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (summary, "skip"), ==, 1);
}

static void
test_hostile (void)
{
  g_autoptr(RpReport) report = rp_report_new (NULL);
  RpCheckResult *r = rp_check_result_new ("id \"quoted\" \\ back", "k\x01", "bad \xff\xfe utf8");
  g_autofree char *json = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o, *c, *metrics, *details;

  rp_check_result_set (r, RP_STATUS_WARN, "line one\nline two\r\t\x1b[31m\x7f end");
  rp_check_result_set_hint (r, "truncated \xe2\x82");
  r->duration_ms = INFINITY;
  rp_check_result_metric (r, "nan_ms", NAN);
  rp_check_result_metric (r, "inf_ms", INFINITY);
  rp_check_result_metric (r, "neg_inf", -INFINITY);
  rp_check_result_metric (r, "bad\xc3", 1.5);
  rp_check_result_detail_str (r, "key\n\"", "value\x02");
  rp_check_result_detail_str (r, "bad", "\xc0\xaf overlong");
  rp_report_add (report, r);
  report->duration_ms = NAN;

  json = rp_report_render_json (report);
  o = parse_report (json, parser);

  g_assert_true (json_object_get_null_member (o, "command"));
  g_assert_true (json_object_get_null_member (o, "duration_ms"));
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (o, "vantage")), ==, 0);

  c = json_array_get_object_element (json_object_get_array_member (o, "checks"), 0);
  g_assert_cmpstr (json_object_get_string_member (c, "id"), ==, "id \"quoted\" \\ back");
  g_assert_cmpstr (json_object_get_string_member (c, "kind"), ==, "k\x01");
  g_assert_cmpstr (json_object_get_string_member (c, "target"), ==,
                   "bad \xef\xbf\xbd\xef\xbf\xbd utf8");
  g_assert_cmpstr (json_object_get_string_member (c, "summary"), ==,
                   "line one\nline two\r\t\x1b[31m\x7f end");
  g_assert_true (
    g_str_has_prefix (json_object_get_string_member (c, "hint"), "truncated \xef\xbf\xbd"));
  g_assert_true (json_object_get_null_member (c, "duration_ms"));

  metrics = json_object_get_object_member (c, "metrics");
  g_assert_true (json_object_get_null_member (metrics, "nan_ms"));
  g_assert_true (json_object_get_null_member (metrics, "inf_ms"));
  g_assert_true (json_object_get_null_member (metrics, "neg_inf"));
  g_assert_cmpfloat (json_object_get_double_member (metrics, "bad\xef\xbf\xbd"), ==, 1.5);

  details = json_object_get_object_member (c, "details");
  g_assert_cmpstr (json_object_get_string_member (details, "key\n\""), ==, "value\x02");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (details, "bad"), " overlong"));

  /* Raw control characters never appear in the document itself. */
  for (const char *p = json; *p != '\0'; p++)
    g_assert_true (*p == '\n' || (guchar) *p >= 0x20);
  g_assert_null (strstr (json, ": nan"));
  g_assert_null (strstr (json, ": inf"));
  g_assert_null (strstr (json, ": -inf"));
}

/* Numbers are written in the shortest form that reads back to the same
 * double, in plain notation for everyday magnitudes, always as doubles. */
static void
test_numbers (void)
{
  static const struct { double v; const char *text; } cases[] = {
    { 0.486, "\"m0\" : 0.486" },
    { 40.0, "\"m1\" : 40.0" },
    { 1234567.891, "\"m2\" : 1234567.891" },
    { 1e-7, "\"m3\" : 1e-07" },
    { -2.5, "\"m4\" : -2.5" },
    { 0.1 + 0.2, "\"m5\" : 0.30000000000000004" },
    { 1e300, "\"m6\" : 1e+300" },
    { 0.0, "\"m7\" : 0.0" },
  };
  g_autoptr(RpReport) report = rp_report_new ("ports");
  RpCheckResult *r = rp_check_result_new ("port.1/tcp", "port", "h:1/tcp");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;
  JsonObject *metrics;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *name = g_strdup_printf ("m%u", i);
    rp_check_result_metric (r, name, cases[i].v);
  }
  rp_check_result_detail_str (r, "tricky", "\"m0\" : 0.48599999999999999 {   }");
  rp_report_add (report, r);
  text = rp_report_render_json (report);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_nonnull (strstr (text, cases[i].text));
  /* Strings are left alone. */
  g_assert_nonnull (strstr (text, "0.48599999999999999 {   }"));
  metrics = json_object_get_object_member (
    json_array_get_object_element (
      json_object_get_array_member (parse_report (text, parser), "checks"), 0),
    "metrics");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *name = g_strdup_printf ("m%u", i);
    JsonNode *n = json_object_get_member (metrics, name);
    g_assert_cmpstr (g_type_name (json_node_get_value_type (n)), ==, "gdouble");
    g_assert_true (json_node_get_double (n) == cases[i].v);
  }
}

static void
test_started_at_utc (void)
{
  g_autoptr(RpReport) report = rp_report_new ("ports");
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+05:30");
  g_autofree char *json = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;

  /* A local time is converted, and sub-millisecond digits are cut. */
  g_date_time_unref (report->started_at);
  report->started_at = g_date_time_new (tz, 2026, 1, 2, 3, 4, 5.0009);
  json = rp_report_render_json (report);
  o = parse_report (json, parser);
  g_assert_cmpstr (json_object_get_string_member (o, "started_at"), ==, "2026-01-01T21:34:05.000Z");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "checks")), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report-json/golden", test_golden);
  g_test_add_func ("/report-json/schema", test_schema);
  g_test_add_func ("/report-json/hostile", test_hostile);
  g_test_add_func ("/report-json/started-at-utc", test_started_at_utc);
  g_test_add_func ("/report-json/numbers", test_numbers);
  return g_test_run ();
}
