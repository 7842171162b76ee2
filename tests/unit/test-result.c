/* Tests for the result model: construction, formatted summaries and hints,
 * metrics and details keeping insertion order and being replaced in place,
 * report bookkeeping (tool name and version, UTC start, counts) and the exit
 * code rule of doc/internals/ARCHITECTURE.md (0 no fail, 1 a fail, strict: or a warn). */
#include "common/result.h"

#include "rp-config.h"

static void
test_status_strings (void)
{
  g_assert_cmpstr (rp_status_to_string (RP_STATUS_PASS), ==, "pass");
  g_assert_cmpstr (rp_status_to_string (RP_STATUS_WARN), ==, "warn");
  g_assert_cmpstr (rp_status_to_string (RP_STATUS_FAIL), ==, "fail");
  g_assert_cmpstr (rp_status_to_string (RP_STATUS_SKIP), ==, "skip");
}

static void
test_new (void)
{
  g_autoptr(RpCheckResult) r = rp_check_result_new ("stun.udp", "stun", "stun:example.org:3478");

  g_assert_cmpstr (r->id, ==, "stun.udp");
  g_assert_cmpstr (r->kind, ==, "stun");
  g_assert_cmpstr (r->target, ==, "stun:example.org:3478");
  /* Not reported yet is not a pass. */
  g_assert_cmpint (r->status, ==, RP_STATUS_SKIP);
  g_assert_cmpstr (r->summary, ==, "");
  g_assert_null (r->hint);
  g_assert_cmpfloat (r->duration_ms, ==, 0.0);
  g_assert_cmpuint (r->metrics->len, ==, 0);
  g_assert_cmpuint (r->details->len, ==, 0);
}

static void
test_set (void)
{
  g_autoptr(RpCheckResult) r = rp_check_result_new ("port.3478/udp", "port", "h:3478/udp");

  rp_check_result_set (r, RP_STATUS_FAIL, "no answer after %d tries", 3);
  g_assert_cmpint (r->status, ==, RP_STATUS_FAIL);
  g_assert_cmpstr (r->summary, ==, "no answer after 3 tries");

  rp_check_result_set_hint (r, "open %u/%s", 3478u, "udp");
  g_assert_cmpstr (r->hint, ==, "open 3478/udp");

  /* Retried and passed: both are replaced, the hint can be cleared. */
  rp_check_result_set (r, RP_STATUS_PASS, "answered");
  rp_check_result_set_hint (r, NULL);
  g_assert_cmpint (r->status, ==, RP_STATUS_PASS);
  g_assert_cmpstr (r->summary, ==, "answered");
  g_assert_null (r->hint);
}

static void
test_metrics_order_and_replace (void)
{
  g_autoptr(RpCheckResult) r = rp_check_result_new ("voice", "voice", "t");
  const RpMetric *m;

  rp_check_result_metric (r, "rtt_ms", 12.0);
  rp_check_result_metric (r, "jitter_ms", 1.5);
  rp_check_result_metric (r, "loss_pct", 0.0);
  rp_check_result_metric (r, "jitter_ms", 2.5);

  g_assert_cmpuint (r->metrics->len, ==, 3);
  g_assert_cmpstr (g_array_index (r->metrics, RpMetric, 0).name, ==, "rtt_ms");
  g_assert_cmpstr (g_array_index (r->metrics, RpMetric, 1).name, ==, "jitter_ms");
  g_assert_cmpfloat (g_array_index (r->metrics, RpMetric, 1).value, ==, 2.5);
  g_assert_cmpstr (g_array_index (r->metrics, RpMetric, 2).name, ==, "loss_pct");

  m = rp_check_result_get_metric (r, "rtt_ms");
  g_assert_nonnull (m);
  g_assert_cmpfloat (m->value, ==, 12.0);
  g_assert_null (rp_check_result_get_metric (r, "mos"));
}

static void
test_details_order_and_replace (void)
{
  g_autoptr(RpCheckResult) r = rp_check_result_new ("turn", "turn", "t");
  const RpDetail *d;

  rp_check_result_detail_str (r, "software", "coturn");
  rp_check_result_detail_int (r, "error_code", 401);
  rp_check_result_detail_bool (r, "tls", TRUE);
  rp_check_result_detail_str (r, "address", NULL);

  /* Replacing changes the value and even the type, never the position. */
  rp_check_result_detail_int (r, "software", -7);
  rp_check_result_detail_str (r, "error_code", "438 Stale Nonce");
  rp_check_result_detail_bool (r, "tls", FALSE);

  g_assert_cmpuint (r->details->len, ==, 4);
  d = &g_array_index (r->details, RpDetail, 0);
  g_assert_cmpstr (d->key, ==, "software");
  g_assert_cmpint (d->type, ==, RP_DETAIL_INT);
  g_assert_cmpint (d->num, ==, -7);
  g_assert_null (d->str);

  d = &g_array_index (r->details, RpDetail, 1);
  g_assert_cmpstr (d->key, ==, "error_code");
  g_assert_cmpint (d->type, ==, RP_DETAIL_STRING);
  g_assert_cmpstr (d->str, ==, "438 Stale Nonce");

  d = rp_check_result_get_detail (r, "tls");
  g_assert_nonnull (d);
  g_assert_cmpint (d->type, ==, RP_DETAIL_BOOL);
  g_assert_cmpint (d->num, ==, 0);
  g_assert_true (d == &g_array_index (r->details, RpDetail, 2));

  /* A NULL string is stored as empty: renderers need not check. */
  d = rp_check_result_get_detail (r, "address");
  g_assert_cmpstr (d->str, ==, "");

  g_assert_null (rp_check_result_get_detail (r, "missing"));
}

static void
test_report_new (void)
{
  g_autoptr(GDateTime) before = g_date_time_new_now_utc ();
  g_autoptr(RpReport) report = rp_report_new ("stun");
  g_autoptr(GDateTime) after = g_date_time_new_now_utc ();

  g_assert_cmpstr (report->tool_name, ==, "rtcprobe");
  g_assert_cmpstr (report->tool_version, ==, RP_VERSION);
  g_assert_cmpstr (report->command, ==, "stun");
  g_assert_nonnull (report->started_at);
  g_assert_cmpint (g_date_time_get_utc_offset (report->started_at), ==, 0);
  g_assert_cmpint (g_date_time_compare (before, report->started_at), <=, 0);
  g_assert_cmpint (g_date_time_compare (report->started_at, after), <=, 0);
  g_assert_null (report->vantage);
  g_assert_cmpuint (report->checks->len, ==, 0);
}

static RpCheckResult *
with_status (const char *id, RpStatus status)
{
  RpCheckResult *r = rp_check_result_new (id, "test", "t");
  rp_check_result_set (r, status, "%s", id);
  return r;
}

static void
test_counts_and_exit_code (void)
{
  g_autoptr(RpReport) report = rp_report_new ("check");
  guint counts[4];

  rp_report_count (report, counts);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (counts[i], ==, 0);
  g_assert_cmpint (rp_report_exit_code (report, FALSE), ==, 0);
  g_assert_cmpint (rp_report_exit_code (report, TRUE), ==, 0);

  rp_report_add (report, with_status ("a", RP_STATUS_PASS));
  rp_report_add (report, with_status ("b", RP_STATUS_SKIP));
  rp_report_add (report, with_status ("c", RP_STATUS_PASS));
  g_assert_cmpint (rp_report_exit_code (report, TRUE), ==, 0);

  rp_report_add (report, with_status ("d", RP_STATUS_WARN));
  g_assert_cmpint (rp_report_exit_code (report, FALSE), ==, 0);
  g_assert_cmpint (rp_report_exit_code (report, TRUE), ==, 1);

  rp_report_add (report, with_status ("e", RP_STATUS_FAIL));
  g_assert_cmpint (rp_report_exit_code (report, FALSE), ==, 1);
  g_assert_cmpint (rp_report_exit_code (report, TRUE), ==, 1);

  rp_report_count (report, counts);
  g_assert_cmpuint (counts[RP_STATUS_PASS], ==, 2);
  g_assert_cmpuint (counts[RP_STATUS_WARN], ==, 1);
  g_assert_cmpuint (counts[RP_STATUS_FAIL], ==, 1);
  g_assert_cmpuint (counts[RP_STATUS_SKIP], ==, 1);

  /* Order is kept as added. */
  g_assert_cmpstr (((RpCheckResult *) g_ptr_array_index (report->checks, 3))->id, ==, "d");
}

static void
test_report_owns_vantage (void)
{
  RpReport *report = rp_report_new (NULL);

  g_assert_null (report->command);
  report->vantage = rp_check_result_new ("vantage", "vantage", "");
  rp_check_result_detail_str (report->vantage, "public_address", "198.51.100.7");
  rp_report_add (report, with_status ("a", RP_STATUS_PASS));
  /* Freed with the report: the leak checker would catch it otherwise. */
  rp_report_free (report);
  rp_report_free (NULL);
  rp_check_result_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/result/status-strings", test_status_strings);
  g_test_add_func ("/result/new", test_new);
  g_test_add_func ("/result/set", test_set);
  g_test_add_func ("/result/metrics", test_metrics_order_and_replace);
  g_test_add_func ("/result/details", test_details_order_and_replace);
  g_test_add_func ("/result/report-new", test_report_new);
  g_test_add_func ("/result/counts-and-exit-code", test_counts_and_exit_code);
  g_test_add_func ("/result/report-owns-vantage", test_report_owns_vantage);
  return g_test_run ();
}
