/* Tests for the text renderer: golden files for the fixed report (plain,
 * coloured, verbose), column alignment with over-long cells, wrapping, and
 * that hostile strings from the network cannot inject control characters. */
#include <math.h>
#include <string.h>

#include "common/result.h"
#include "reports/report.h"
#include "tests/unit/report-fixture.h"

static guint
line_width (const char *line)
{
  return (guint) g_utf8_strlen (line, -1);
}

static void
test_golden_plain (void)
{
  g_autoptr(RpReport) report = fixture_report ();
  RpTextOptions opt = { .color = FALSE, .verbose = FALSE, .width = 100 };
  g_autofree char *text = rp_report_render_text (report, &opt);

  golden_check ("report.txt", text);
  g_assert_null (strchr (text, '\033'));
}

static void
test_golden_color (void)
{
  g_autoptr(RpReport) report = fixture_report ();
  RpTextOptions opt = { .color = TRUE, .verbose = FALSE, .width = 100 };
  g_autofree char *text = rp_report_render_text (report, &opt);

  golden_check ("report-color.txt", text);
  g_assert_nonnull (strstr (text, "\033[32mPASS\033[0m"));
  g_assert_nonnull (strstr (text, "\033[33mWARN\033[0m"));
  g_assert_nonnull (strstr (text, "\033[31mFAIL\033[0m"));
  g_assert_nonnull (strstr (text, "\033[2mSKIP\033[0m"));
}

static void
test_golden_verbose (void)
{
  g_autoptr(RpReport) report = fixture_report ();
  RpTextOptions opt = { .color = FALSE, .verbose = TRUE, .width = 100 };
  g_autofree char *text = rp_report_render_text (report, &opt);

  golden_check ("report-verbose.txt", text);
  g_assert_nonnull (strstr (text, "metrics.rtt_ms = 23.457\n"));
  g_assert_nonnull (strstr (text, "details.attempts = 1\n"));
  g_assert_nonnull (strstr (text, "details.tls_verified = false\n"));
  g_assert_nonnull (strstr (text, "vantage.public_address = 198.51.100.7\n"));
}

/* Every row line starts with a status word, and its id starts in the same
 * column; lines under a row are indented at least that far. With room for
 * the columns, no line is wider than the wrap width. */
static void
check_alignment (guint width, gboolean fits)
{
  g_autoptr(RpReport) report = fixture_report ();
  RpTextOptions opt = { .width = width };
  g_autofree char *text = rp_report_render_text (report, &opt);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  int id_col = -1;
  guint rows = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = lines[i];

      if (fits)
        g_assert_cmpuint (line_width (l), <=, width);
      g_assert_false (g_str_has_suffix (l, " "));
      if (g_str_has_prefix (l, "PASS") || g_str_has_prefix (l, "WARN") ||
          g_str_has_prefix (l, "FAIL") || g_str_has_prefix (l, "SKIP"))
        {
          int col = (int) strspn (l + 4, " ") + 4;
          if (id_col < 0)
            id_col = col;
          g_assert_cmpint (col, ==, id_col);
          rows++;
        }
      else if (*l != '\0' && !g_str_has_prefix (l, "1 passed") && !g_ascii_isdigit (*l))
        {
          /* Anything under a row is indented at least to the id column. */
          g_assert_cmpint ((int) strspn (l, " "), >=, id_col);
        }
    }
  g_assert_cmpuint (rows, ==, report->checks->len);
}

static void
test_alignment (void)
{
  check_alignment (100, TRUE);
  check_alignment (120, TRUE);
  /* Too narrow for the columns: wider lines, same alignment. */
  check_alignment (40, FALSE);
}

static void
test_long_cells (void)
{
  g_autoptr(RpReport) report = rp_report_new ("http");
  RpCheckResult *r;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *long_target = g_strnfill (70, 'x');
  g_autofree char *long_word = g_strnfill (150, 'y');

  r = rp_check_result_new ("http.a", "http", "short");
  rp_check_result_set (r, RP_STATUS_PASS, "ok");
  rp_report_add (report, r);
  r = rp_check_result_new ("http.b", "http", long_target);
  rp_check_result_set (r, RP_STATUS_FAIL, "unreachable %s", long_word);
  rp_report_add (report, r);

  RpTextOptions opt = { .width = 80 };
  text = rp_report_render_text (report, &opt);
  lines = g_strsplit (text, "\n", -1);

  /* The target column is capped at 40: the summary of the first row starts
   * at 6 + 6 + 2 + 40 + 2 = 56, and so does the second row's on its own line. */
  g_assert_cmpstr (lines[0], ==, "PASS  http.a  short                                     ok");
  g_assert_true (g_str_has_prefix (lines[1], "FAIL  http.b  xxxx"));
  g_assert_cmpuint (strlen (lines[1]), ==, 14 + 70);
  g_assert_cmpuint (strspn (lines[2], " "), ==, 56);
  g_assert_true (g_str_has_prefix (lines[2] + 56, "unreachable"));
  /* The unbreakable word is cut to the MIN_WRAP (30) cells left for it. */
  g_assert_cmpuint (strspn (lines[3], " "), ==, 56);
  g_assert_cmpuint (strlen (lines[3] + 56), ==, 30);
}

static void
test_hostile_strings (void)
{
  g_autoptr(RpReport) report = rp_report_new ("stun");
  RpCheckResult *r = rp_check_result_new ("stun.\x1b[31mred", "stun", "stun:\"evil\"\x01host");
  RpTextOptions opt = { .verbose = TRUE };
  g_autofree char *text = NULL;

  rp_check_result_set (r, RP_STATUS_FAIL,
                       "line one\nline two\r\x1b]0;title\x07 bad \xff\xfe utf8 \u202Eevil");
  rp_check_result_set_hint (r, "hint\twith\ttabs\n\x01");
  rp_check_result_detail_str (r, "key\n", "value\x1b[2J");
  rp_check_result_metric (r, "odd\x7f_ms", NAN);
  rp_report_add (report, r);

  text = rp_report_render_text (report, &opt);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p != '\0'; p++)
    g_assert_true (*p == '\n' || (guchar) *p >= 0x20);
  g_assert_null (strstr (text, "\xe2\x80\xae"));  /* U+202E */
  g_assert_nonnull (strstr (text, "line one line two"));
  g_assert_nonnull (strstr (text, "-> hint: hint with tabs"));
  g_assert_nonnull (strstr (text, "nan"));
}

static void
test_numbers (void)
{
  g_autoptr(RpReport) report = rp_report_new ("voice");
  RpCheckResult *r = rp_check_result_new ("voice.relay", "voice", "t");
  g_autofree char *text = NULL;

  rp_check_result_set (r, RP_STATUS_PASS, "ok");
  rp_check_result_metric (r, "rtt_ms", 12.3454);
  rp_check_result_metric (r, "jitter_ms", 0.0005);
  rp_check_result_metric (r, "mos", 4.25);
  rp_check_result_metric (r, "loss_pct", 12.5);
  rp_check_result_metric (r, "bytes", 1e9);
  rp_report_add (report, r);
  report->duration_ms = 1500;

  text = rp_report_render_text (report, NULL);
  g_assert_nonnull (
    strstr (text, "      rtt 12.345 ms, jitter 0.001 ms, mos 4.25, loss 12.5 %, bytes 1e+09\n"));
  g_assert_true (g_str_has_suffix (text, "\n1 passed, 0 warned, 0 failed, 0 skipped in 1.500 s\n"));
}

static void
test_hint_only_when_not_pass (void)
{
  g_autoptr(RpReport) report = rp_report_new ("ports");
  RpCheckResult *r = rp_check_result_new ("port.80/tcp", "port", "h:80/tcp");
  g_autofree char *text = NULL;

  rp_check_result_set (r, RP_STATUS_PASS, "open");
  rp_check_result_set_hint (r, "should not be shown");
  rp_report_add (report, r);
  r = rp_check_result_new ("port.3478/udp", "port", "h:3478/udp");
  rp_check_result_set (r, RP_STATUS_SKIP, "not probed");
  rp_check_result_set_hint (r, "   ");
  rp_report_add (report, r);

  text = rp_report_render_text (report, NULL);
  g_assert_cmpstr (text, ==,
                   "PASS  port.80/tcp    h:80/tcp    open\n"
                   "SKIP  port.3478/udp  h:3478/udp  not probed\n"
                   "\n"
                   "1 passed, 0 warned, 0 failed, 1 skipped in 0.000 s\n");
}

/* A `check` report: the verdict and the vantage on top, then the rows in
 * the smoke list's groups whatever order they finished in. */
static RpReport *
check_report (void)
{
  RpReport *report = rp_report_new ("check");
  RpCheckResult *r;

  g_free (report->tool_version);
  report->tool_version = g_strdup ("0.1.0");
  g_date_time_unref (report->started_at);
  report->started_at = g_date_time_new_utc (2026, 11, 27, 21, 48, 25.0);
  report->duration_ms = 6012.5;
  report->vantage = rp_check_result_new ("vantage", "vantage", "");
  rp_check_result_detail_str (report->vantage, "label", "hotel wifi");
  rp_check_result_detail_str (report->vantage, "public_address", "198.51.100.7");
  rp_check_result_detail_str (report->vantage, "local_address", "192.168.1.20");
  rp_check_result_detail_str (report->vantage, "interface", "wlan0");

  r = rp_check_result_new ("verdict", "verdict", "deployment");
  rp_check_result_set (
    r, RP_STATUS_FAIL,
    "Voice works only through TURN over TCP and TLS on this network: "
    "UDP 3478 and 7882 are blocked; the proxy does not pass websocket upgrades: Socket.IO "
    "falls back to long-polling");
  rp_check_result_set_hint (r, "3478/udp gets no answer: open 3478/udp in the security list");
  rp_report_add (report, r);
  r = rp_check_result_new ("turn.udp.allocate", "turn", "turn:rtc.example.org:3478?transport=udp");
  rp_check_result_set (r, RP_STATUS_FAIL,
                       "no answer to TURN Allocate over UDP before the deadline");
  rp_report_add (report, r);
  r = rp_check_result_new ("port.443/tcp", "port", "rtc.example.org:443/tcp");
  rp_check_result_set (r, RP_STATUS_PASS, "443/tcp open");
  rp_check_result_metric (r, "connect_ms", 12.345);
  rp_report_add (report, r);
  r = rp_check_result_new ("voice.turn.tls", "voice", "turns:rtc.example.org:5349");
  rp_check_result_set (r, RP_STATUS_PASS, "MOS 4.41 over TURN/TLS");
  rp_report_add (report, r);
  r = rp_check_result_new ("socketio", "websocket", "wss://api.example.org/socket.io/");
  rp_check_result_set (r, RP_STATUS_WARN,
                       "Socket.IO reachable only over long-polling: the websocket upgrade fails");
  rp_report_add (report, r);
  r = rp_check_result_new ("http.3", "file", "https://api.example.org/api/v1/files/3f2a");
  rp_check_result_set (r, RP_STATUS_PASS, "200 OK after 1 redirect");
  rp_report_add (report, r);
  r = rp_check_result_new ("custom", "custom", "x");
  rp_check_result_set (r, RP_STATUS_SKIP, "not configured");
  rp_report_add (report, r);
  r = rp_check_result_new ("http.1", "http", "https://app.example.org/");
  rp_check_result_set (r, RP_STATUS_PASS, "200 OK");
  rp_report_add (report, r);
  return report;
}

static void
test_golden_grouped (void)
{
  g_autoptr(RpReport) report = check_report ();
  RpTextOptions opt = { .width = 100 };
  g_autofree char *text = rp_report_render_text (report, &opt);
  const char *web, *rt, *files, *turn, *voice, *other;

  golden_check ("report-check.txt", text);
  g_assert_true (g_str_has_prefix (text, "FAIL  Voice works only"));
  web = strstr (text, "\nWeb & API\n");
  rt = strstr (text, "\nRealtime\n");
  files = strstr (text, "\nFiles\n");
  turn = strstr (text, "\nTURN\n");
  voice = strstr (text, "\nVoice\n");
  other = strstr (text, "\nOther\n");
  g_assert_true (web && rt && files && turn && voice && other);
  g_assert_true (web < rt && rt < files && files < turn && turn < voice && voice < other);
  g_assert_true (strstr (text, "http.1") < rt);
  g_assert_nonnull (
    strstr (text, "-> from: hotel wifi, public 198.51.100.7, local 192.168.1.20 (wlan0)\n"));
  g_assert_true (g_str_has_suffix (text, "\n4 passed, 1 warned, 2 failed, 1 skipped in 6.013 s\n"));
}

/* The from: line names the vantage's network, NAT64 and CLAT when known. */
static void
test_from_network (void)
{
  g_autoptr(RpReport) report = check_report ();
  g_autofree char *text = NULL, *clat = NULL;

  rp_check_result_detail_str (report->vantage, "network", "ipv6-only");
  rp_check_result_detail_bool (report->vantage, "nat64", TRUE);
  rp_check_result_detail_str (report->vantage, "nat64_prefix", "64:ff9b::/96");
  rp_check_result_detail_bool (report->vantage, "clat", FALSE);
  text = rp_report_render_text (report, &(RpTextOptions){ .width = 200 });
  g_assert_nonnull (strstr (text, "-> from: hotel wifi, public 198.51.100.7, local 192.168.1.20 "
                                  "(wlan0), ipv6-only behind NAT64 (64:ff9b::/96)\n"));
  rp_check_result_detail_bool (report->vantage, "clat", TRUE);
  clat = rp_report_render_text (report, &(RpTextOptions){ .width = 200 });
  g_assert_nonnull (strstr (clat, "ipv6-only behind NAT64 (64:ff9b::/96) with CLAT\n"));
}

/* Only `check` with a verdict groups: other commands, and a `check`
 * report without one (the shared fixture), list rows as they came. */
static void
test_not_grouped (void)
{
  g_autoptr(RpReport) report = check_report ();
  g_autofree char *grouped = rp_report_render_text (report, NULL);
  g_autofree char *plain = NULL;

  g_free (report->command);
  report->command = g_strdup ("turn");
  plain = rp_report_render_text (report, NULL);
  g_assert_nonnull (strstr (grouped, "\nTURN\n"));
  g_assert_null (strstr (plain, "\nTURN\n"));
  g_assert_true (g_str_has_prefix (plain, "FAIL  verdict  "));
}

static void
test_empty (void)
{
  g_autoptr(RpReport) report = rp_report_new ("ports");
  RpTextOptions opt = { .color = TRUE };
  g_autofree char *plain = rp_report_render_text (report, NULL);
  g_autofree char *color = rp_report_render_text (report, &opt);

  g_assert_cmpstr (plain, ==, "0 passed, 0 warned, 0 failed, 0 skipped in 0.000 s\n");
  /* Zero counts stay uncoloured. */
  g_assert_cmpstr (color, ==, plain);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report-text/golden/plain", test_golden_plain);
  g_test_add_func ("/report-text/golden/color", test_golden_color);
  g_test_add_func ("/report-text/golden/verbose", test_golden_verbose);
  g_test_add_func ("/report-text/alignment", test_alignment);
  g_test_add_func ("/report-text/long-cells", test_long_cells);
  g_test_add_func ("/report-text/hostile-strings", test_hostile_strings);
  g_test_add_func ("/report-text/numbers", test_numbers);
  g_test_add_func ("/report-text/hint-only-when-not-pass", test_hint_only_when_not_pass);
  g_test_add_func ("/report-text/empty", test_empty);
  g_test_add_func ("/report-text/golden/grouped", test_golden_grouped);
  g_test_add_func ("/report-text/not-grouped", test_not_grouped);
  g_test_add_func ("/report-text/from-network", test_from_network);
  return g_test_run ();
}
