/* Shared by the report tests: one fixed report (fixed clock, fixed
 * durations) that every renderer's golden file is made from, and the
 * golden-file comparison. RP_UPDATE_GOLDEN=1 rewrites the golden files
 * instead of comparing; review the diff before committing them. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

#include "common/result.h"

static inline RpReport *
fixture_report (void)
{
  RpReport *report = rp_report_new ("check");
  RpCheckResult *r;

  /* Fixed, so the output does not depend on the machine. */
  g_free (report->tool_version);
  report->tool_version = g_strdup ("0.1.0");
  g_date_time_unref (report->started_at);
  report->started_at = g_date_time_new_utc (2026, 11, 27, 21, 48, 25.123456);
  report->duration_ms = 1234.567;

  report->vantage = rp_check_result_new ("vantage", "vantage", "");
  rp_check_result_detail_str (report->vantage, "hostname", "tester-laptop");
  rp_check_result_detail_str (report->vantage, "public_address", "198.51.100.7");
  rp_check_result_detail_bool (report->vantage, "ipv6", FALSE);

  r = rp_check_result_new ("port.443/tcp", "port", "rtc.example.org:443/tcp");
  rp_check_result_set (r, RP_STATUS_PASS, "TCP connect succeeded");
  r->duration_ms = 12.5;
  rp_check_result_metric (r, "connect_ms", 12.345);
  rp_check_result_detail_str (r, "address", "203.0.113.10");
  rp_report_add (report, r);

  r = rp_check_result_new ("stun.udp", "stun", "stun:rtc.example.org:3478");
  rp_check_result_set (r, RP_STATUS_PASS, "mapped address 198.51.100.7:53211");
  r->duration_ms = 24.0;
  rp_check_result_metric (r, "rtt_ms", 23.4567);
  rp_check_result_detail_str (r, "mapped_address", "198.51.100.7:53211");
  rp_check_result_detail_int (r, "attempts", 1);
  rp_report_add (report, r);

  r = rp_check_result_new ("turn.udp.allocate", "turn", "turn:rtc.example.org:3478?transport=udp");
  rp_check_result_set (r, RP_STATUS_WARN,
                       "allocation succeeded, but the server granted a lifetime of only 60 s "
                       "where 600 s is the default, so long calls depend on timely refreshes");
  rp_check_result_set_hint (r,
                            "coturn is started with --max-allocate-lifetime=60: remove the option "
                            "or raise it to 600 in /etc/turnserver.conf");
  r->duration_ms = 80.25;
  rp_check_result_metric (r, "rtt_ms", 40.0);
  rp_check_result_metric (r, "lifetime_s", 60);
  rp_check_result_detail_str (r, "relayed_address", "203.0.113.10:49160");
  rp_check_result_detail_str (r, "software", "Coturn-4.6.1 'Gorst'");
  rp_report_add (report, r);

  r = rp_check_result_new ("turn.tls.allocate", "turn", "turns:rtc.example.org:5349");
  rp_check_result_set (r, RP_STATUS_FAIL, "TLS handshake failed: certificate has expired");
  rp_check_result_set_hint (r, "renew the certificate that coturn serves on 5349 (cert= in "
                               "turnserver.conf) and restart coturn");
  r->duration_ms = 31.0;
  rp_check_result_metric (r, "connect_ms", 10.0005);
  rp_check_result_detail_bool (r, "tls_verified", FALSE);
  rp_report_add (report, r);

  r = rp_check_result_new ("voice.relay", "voice", "turn:rtc.example.org:3478?transport=udp");
  rp_check_result_set (r, RP_STATUS_PASS, "voice over the relay: MOS 4.3");
  r->duration_ms = 1000.0;
  rp_check_result_metric (r, "rtt_ms", 41.5);
  rp_check_result_metric (r, "jitter_ms", 1.25);
  rp_check_result_metric (r, "loss_pct", 0.5);
  rp_check_result_metric (r, "mos", 4.3);
  rp_check_result_metric (r, "packets", 250);
  rp_report_add (report, r);

  r = rp_check_result_new ("http.api", "http",
                           "https://rtc.example.org/api/v1/health?probe=rtcprobe&verbose=1");
  rp_check_result_set (r, RP_STATUS_SKIP, "skipped: TLS to rtc.example.org already failed");
  rp_report_add (report, r);

  return report;
}

/* Compares actual with tests/data/golden/name byte for byte. */
static inline void
golden_check (const char *name, const char *actual)
{
  g_autofree char *path = g_build_filename (RP_TEST_DATA, "golden", name, NULL);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (g_getenv ("RP_UPDATE_GOLDEN"), "1") == 0)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      g_file_set_contents (path, actual, -1, &error);
      g_assert_no_error (error);
      g_test_message ("rewrote %s", path);
      return;
    }

  if (!g_file_get_contents (path, &expected, NULL, &error))
    {
      g_test_message ("%s: %s (run with RP_UPDATE_GOLDEN=1 to create it)", path, error->message);
      g_test_fail ();
      return;
    }
  if (g_strcmp0 (expected, actual) != 0)
    g_test_message ("%s differs; actual output:\n%s", path, actual);
  g_assert_cmpstr (actual, ==, expected);
}
