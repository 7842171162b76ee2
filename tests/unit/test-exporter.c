/* Unit tests of exporter/: the allow-list (names, *.patterns, address
 * ranges), the query and request parsers (RFC 9112, RFC 3986 section 3.4),
 * the scrape timeout header, the INI file's checks, the hosts a target
 * names, and the probe exposition's stable families. */
#include <gio/gio.h>
#include <string.h>

#include "exporter/exporter-allow.h"
#include "exporter/exporter-config.h"
#include "exporter/exporter-request.h"
#include "exporter/exporter.h"
#include "reports/report.h"

static void
test_allow (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpAllowList) l =
    rp_allow_list_parse ("turn.example.org, *.lab.test; 127.0.0.0/8 ::1 10.1.2.3", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rp_allow_list_size (l), ==, 5);
  g_assert_true (rp_allow_list_permits (l, "turn.example.org"));
  g_assert_true (rp_allow_list_permits (l, "TURN.Example.ORG."));
  g_assert_false (rp_allow_list_permits (l, "xturn.example.org"));
  g_assert_false (rp_allow_list_permits (l, "example.org"));
  g_assert_true (rp_allow_list_permits (l, "a.lab.test"));
  g_assert_true (rp_allow_list_permits (l, "a.b.lab.test"));
  g_assert_false (rp_allow_list_permits (l, "lab.test"));
  g_assert_false (rp_allow_list_permits (l, "evillab.test"));
  g_assert_true (rp_allow_list_permits (l, "127.5.6.7"));
  g_assert_false (rp_allow_list_permits (l, "128.0.0.1"));
  g_assert_true (rp_allow_list_permits (l, "::1"));
  g_assert_true (rp_allow_list_permits (l, "[::1]"));
  g_assert_false (rp_allow_list_permits (l, "::2"));
  g_assert_true (rp_allow_list_permits (l, "10.1.2.3"));
  g_assert_false (rp_allow_list_permits (l, "10.1.2.4"));
  /* A name is not resolved: "localhost" is not 127.0.0.1. */
  g_assert_false (rp_allow_list_permits (l, "localhost"));
  g_assert_false (rp_allow_list_permits (l, ""));
  g_assert_false (rp_allow_list_permits (l, "a b"));
  g_assert_false (rp_allow_list_permits (NULL, "127.0.0.1"));
}

static void
test_allow_bad (void)
{
  const char *bad[] = { "10.0.0.0/33", "*.", "**.x", "a..b", "x/y", "ex ample/8", "*.a b" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RpAllowList) l = rp_allow_list_parse (bad[i], &error);
    if (strchr (bad[i], ' ') != NULL && l != NULL)
      continue;   /* split into two entries, each of which may be valid */
    g_assert_null (l);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "allow_targets"));
  }
  {
    g_autoptr (RpAllowList) empty = rp_allow_list_parse ("", NULL);
    g_assert_nonnull (empty);
    g_assert_cmpuint (rp_allow_list_size (empty), ==, 0);
    g_assert_false (rp_allow_list_permits (empty, "127.0.0.1"));
  }
}

static void
test_query (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) q =
    rp_exporter_query_parse ("target=turn%3A127.0.0.1%3A3478%3Ftransport%3Dudp&module=a+b&"
                             "module=second&&debug", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (q, "target"), ==, "turn:127.0.0.1:3478?transport=udp");
  g_assert_cmpstr (g_hash_table_lookup (q, "module"), ==, "a b");
  g_assert_cmpstr (g_hash_table_lookup (q, "debug"), ==, "");
  g_clear_pointer (&q, g_hash_table_unref);

  q = rp_exporter_query_parse (NULL, &error);
  g_assert_cmpuint (g_hash_table_size (q), ==, 0);
  g_clear_pointer (&q, g_hash_table_unref);

  for (guint i = 0; i < 4; i++) {
    const char *bad[] = { "a=%4", "a=%zz", "a=%0a", "a=%00" };
    g_autoptr (GError) e = NULL;
    g_assert_null (rp_exporter_query_parse (bad[i], &e));
    g_assert_error (e, G_URI_ERROR, G_URI_ERROR_BAD_QUERY);
  }
  {
    g_autoptr (GString) many = g_string_new (NULL);
    g_autoptr (GError) e = NULL;
    for (guint i = 0; i <= RP_EXPORTER_QUERY_MAX; i++)
      g_string_append_printf (many, "k%u=v&", i);
    g_assert_null (rp_exporter_query_parse (many->str, &e));
    g_assert_nonnull (strstr (e->message, "more than"));
  }
}

static RpExporterRequest *
parse (const char *head, GError **error)
{
  gsize len = rp_exporter_head_length (head, strlen (head));

  g_assert_cmpuint (len, ==, strlen (head));
  return rp_exporter_request_parse (head, len, error);
}

static void
test_request (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpExporterRequest) r =
    parse ("GET /probe?module=turn&target=turn:127.0.0.1 HTTP/1.1\r\nHost: x\r\n"
           "x-prometheus-scrape-timeout-seconds:  4.5 \r\nAccept: */*\r\n\r\n", &error);
  double s = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (r->method, ==, "GET");
  g_assert_cmpstr (r->path, ==, "/probe");
  g_assert_cmpstr (g_hash_table_lookup (r->query, "target"), ==, "turn:127.0.0.1");
  g_assert_cmpstr (r->scrape_timeout, ==, "4.5");
  g_assert_true (rp_exporter_scrape_timeout (r->scrape_timeout, &s));
  g_assert_cmpfloat (s, ==, 4.5);
  g_assert_false (rp_exporter_scrape_timeout ("0", &s));
  g_assert_false (rp_exporter_scrape_timeout ("-1", &s));
  g_assert_false (rp_exporter_scrape_timeout ("inf", &s));
  g_assert_false (rp_exporter_scrape_timeout ("nan", &s));
  g_assert_false (rp_exporter_scrape_timeout ("5s", &s));
  g_assert_false (rp_exporter_scrape_timeout ("", &s));
  g_assert_cmpuint (rp_exporter_head_length ("GET / HTTP/1.1\r\n", 16), ==, 0);

  {
    const char *bad[] = {
      "GET /probe HTTP/2.0\r\n\r\n", "GET probe HTTP/1.1\r\n\r\n", "GET /probe\r\n\r\n",
      "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nno colon\r\n\r\n", "\r\n\r\n",
      "GET /a%zz HTTP/1.1\r\n\r\n", "GET /?a=%0d HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autoptr (GError) e = NULL;
      g_autoptr (RpExporterRequest) br = parse (bad[i], &e);
      g_assert_null (br);
      g_assert_nonnull (e);
      g_assert_null (strchr (e->message, '\n'));
    }
  }
}

static RpExporterConfig *
config (const char *text, GError **error)
{
  return rp_exporter_config_parse (text, strlen (text), error);
}

static void
test_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpExporterConfig) c =
    config ("[listen]\naddress = [::1]:9999\nallow_targets = 127.0.0.1\nmax_in_flight = 2\n"
            "[module turn_udp]\nkind = turn\nuser = u\npassword_file = /p\n"
            "[module stun]\nkind = stun\n", &error);
  const RpExporterModule *m;

  g_assert_no_error (error);
  g_assert_cmpstr (c->address, ==, "::1");
  g_assert_cmpuint (c->port, ==, 9999);
  g_assert_cmpuint (c->max_in_flight, ==, 2);
  g_assert_cmpuint (c->target_rate, ==, 12);
  g_assert_true (rp_allow_list_permits (c->allow, "127.0.0.1"));
  m = rp_exporter_config_module (c, "turn_udp");
  g_assert_cmpstr (m->kind, ==, "turn");
  g_assert_cmpuint (m->keys->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (m->keys, 1), ==, "password_file");
  g_assert_null (rp_exporter_config_module (c, "nope"));
  g_clear_pointer (&c, rp_exporter_config_free);

  c = config ("[module a]\nkind = ports\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->address, ==, RP_EXPORTER_DEFAULT_ADDRESS);
  g_assert_cmpuint (c->port, ==, RP_EXPORTER_DEFAULT_PORT);
  g_assert_null (c->allow);
}

static void
test_config_bad (void)
{
  static const struct { const char *text, *want; } bad[] = {
    { "[listen]\naddress = localhost:80\n", "[listen] address" },
    { "[listen]\naddress = 127.0.0.1\n", "[listen] address" },
    { "[listen]\naddress = ::1:80\n", "[listen] address" },
    { "[listen]\nallow_target = 127.0.0.1\n", "unknown key" },
    { "[listen]\nallow_targets = 1.2.3.4/40\n", "allow_targets" },
    { "[listen]\nmax_in_flight = 0\n", "max_in_flight" },
    { "[listen]\ntarget_rate = many\n", "target_rate" },
    { "[module x]\nuser = a\n", "kind" },
    { "[module x]\nkind = bogus\n", "kind" },
    { "[module x y]\nkind = stun\n", "module name" },
    { "[module x]\nkind = stun\nUser = a\n", "lowercase" },
    { "[modules]\n", "unknown section" },
    { "[watch a]\nuser = u\n", "[watch a] target: missing" },
    { "[watch a]\ntarget = \n", "[watch a] target: empty" },
    { "[watch a]\ntarget = turn:h\nkind = voice\n", "leave kind out" },
    { "[watch a]\ntarget = turn:h\nduration = 5\n", "as long as the exporter" },
    { "[watch a b]\ntarget = turn:h\n", "watch name" },
    { "garbage\n", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (RpExporterConfig) c = config (bad[i].text, &error);
    g_assert_null (c);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, bad[i].want));
    g_assert_null (strchr (error->message, '\n'));
  }
}

/* The documented example loads as it is. */
static void
test_config_example (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (RP_TEST_DATA, "..", "..", "examples", "exporter.ini",
                                            NULL);
  g_autoptr (RpExporterConfig) c = rp_exporter_config_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (c->port, ==, RP_EXPORTER_DEFAULT_PORT);
  g_assert_true (rp_allow_list_permits (c->allow, "turn.example.org"));
  g_assert_cmpstr (rp_exporter_config_module (c, "voice")->kind, ==, "voice");
  g_assert_cmpuint (c->watches->len, ==, 1);
  g_assert_cmpstr (((RpExporterModule *) g_ptr_array_index (c->watches, 0))->kind, ==, "voice");
  g_assert_cmpstr (((RpExporterModule *) g_ptr_array_index (c->watches, 0))->target, ==,
                   "turn:turn.example.org?transport=udp");
}

static void
test_target_hosts (void)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) h = rp_exporter_target_hosts ("turn", "turn:[::1]:3478?transport=tcp", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (h[0], ==, "::1");
  g_assert_null (h[1]);
  g_clear_pointer (&h, g_strfreev);
  h = rp_exporter_target_hosts ("check", "lab.test", &error);
  g_assert_cmpuint (g_strv_length (h), ==, 4);
  g_assert_cmpstr (h[2], ==, "api.lab.test");
  g_clear_pointer (&h, g_strfreev);
  h = rp_exporter_target_hosts ("ports", "127.0.0.1", &error);
  g_assert_cmpstr (h[0], ==, "127.0.0.1");
  g_clear_pointer (&h, g_strfreev);

  {
    const char *bad[][2] = {
      { "ports", "127.0.0.1:80" }, { "check", "127.0.0.1" }, { "turn", "not a uri" },
      { "stun", "" }, { "ports", "-x" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autoptr (GError) e = NULL;
      g_auto (GStrv) bh = rp_exporter_target_hosts (bad[i][0], bad[i][1], &e);
      g_assert_null (bh);
      g_assert_nonnull (e);
    }
  }
}

static void
test_probe_exposition (void)
{
  g_autoptr (RpReport) r = rp_report_new ("turn");
  RpCheckResult *udp =
    rp_check_result_new ("turn.udp.allocate", "turn", "turn:h:3478?transport=udp");
  RpCheckResult *tcp =
    rp_check_result_new ("turn.tcp.allocate", "turn", "turn:h:3478?transport=tcp");
  RpCheckResult *v = rp_check_result_new ("voice.turn.udp", "voice", "turn:h:3478");
  g_autofree char *text = NULL;

  rp_check_result_set (udp, RP_STATUS_PASS, "ok");
  rp_check_result_set (tcp, RP_STATUS_FAIL, "no");
  rp_check_result_set (v, RP_STATUS_PASS, "ok");
  rp_check_result_metric (v, "rtt_ms_p50", 20);
  rp_check_result_metric (v, "jitter_ms_fwd", 3);
  rp_check_result_metric (v, "loss_pct_bwd", 2);
  rp_check_result_metric (v, "mos", 4.1);
  rp_check_result_metric (v, "rtt_ms_p95", 30);
  rp_check_result_metric (v, "loss_pct_fwd", 1);
  rp_report_add (r, udp);
  rp_report_add (r, tcp);
  rp_report_add (r, v);
  text = rp_report_render_prometheus_probe (r);
  g_assert_nonnull (strstr (text, "\nprobe_success 0\n"));
  g_assert_nonnull (strstr (text, "rtcprobe_turn_transport_up{transport=\"udp\"} 1\n"));
  g_assert_nonnull (strstr (text, "rtcprobe_turn_transport_up{transport=\"tcp\"} 0\n"));
  g_assert_nonnull (strstr (text, "rtcprobe_check_success{id=\"turn.tcp.allocate\","
                                  "kind=\"turn\"} 0\n"));
  g_assert_nonnull (strstr (text, "rtcprobe_rtt_seconds{id=\"voice.turn.udp\","
                                  "kind=\"voice\"} 0.02\n"));
  g_assert_nonnull (strstr (text, "rtcprobe_jitter_seconds{id=\"voice.turn.udp\",kind=\"voice\","
                                  "direction=\"forward\"} 0.003\n"));
  g_assert_nonnull (strstr (text, "rtcprobe_loss_ratio{id=\"voice.turn.udp\",kind=\"voice\","
                                  "direction=\"backward\"} 0.02\n"));
  g_assert_nonnull (strstr (text, "rtcprobe_mos{id=\"voice.turn.udp\",kind=\"voice\"} 4.1"));
  /* Units in the middle of a name move to its end, then to base units. */
  g_assert_nonnull (strstr (text, "rtcprobe_rtt_p95_seconds{id=\"voice.turn.udp\","
                                  "kind=\"voice\"} 0.03\n"));
  g_assert_nonnull (strstr (text, "rtcprobe_loss_fwd_ratio{id=\"voice.turn.udp\","
                                  "kind=\"voice\"} 0.01\n"));
  {
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      if (lines[i][0] != '#') {
        g_autofree char *name = g_strndup (lines[i], strcspn (lines[i], "{ "));
        g_assert_null (strstr (name, "_ms"));
        g_assert_null (strstr (name, "_pct"));
      }
  }
  /* Prometheus adds the target: the exposition carries none. */
  g_assert_null (strstr (text, "target="));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/exporter/allow", test_allow);
  g_test_add_func ("/exporter/allow-bad", test_allow_bad);
  g_test_add_func ("/exporter/query", test_query);
  g_test_add_func ("/exporter/request", test_request);
  g_test_add_func ("/exporter/config", test_config);
  g_test_add_func ("/exporter/config-bad", test_config_bad);
  g_test_add_func ("/exporter/config-example", test_config_example);
  g_test_add_func ("/exporter/target-hosts", test_target_hosts);
  g_test_add_func ("/exporter/probe-exposition", test_probe_exposition);
  return g_test_run ();
}
