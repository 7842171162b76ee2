/* Tests for the Prometheus renderer: the golden file for the fixed report,
 * and the exposition read back by a strict parser written here from the
 * text format's rules (names, label escaping, HELP and TYPE once and before
 * the samples, families contiguous, no series twice). Then the values:
 * blackbox-style probe_success, the status codes, unit conversion to seconds
 * and ratios, the transport label, and hostile names and label values. */
#include <math.h>
#include <string.h>

#include "common/result.h"
#include "reports/fields.h"
#include "reports/report.h"
#include "tests/unit/report-fixture.h"

typedef struct {
  char *name;
  GHashTable *labels;  /* name -> unescaped value */
  double value;
} Sample;

static void
sample_free (Sample *s)
{
  g_free (s->name);
  g_hash_table_unref (s->labels);
  g_free (s);
}

static gboolean
name_char (char c, gboolean first)
{
  return g_ascii_isalpha (c) || c == '_' || c == ':' || (!first && g_ascii_isdigit (c));
}

/* Reads a metric or label name at *p. */
static char *
read_name (const char **p, gboolean colons)
{
  const char *start = *p;

  g_assert_true (name_char (**p, TRUE) && (colons || **p != ':'));
  while (name_char (**p, FALSE) && (colons || **p != ':'))
    (*p)++;
  return g_strndup (start, *p - start);
}

static char *
read_label_value (const char **p)
{
  GString *v = g_string_new (NULL);

  g_assert_cmpint (**p, ==, '"');
  for ((*p)++; **p != '"'; (*p)++)
    {
      g_assert_cmpint (**p, !=, '\0');
      g_assert_cmpint (**p, !=, '\n');
      if (**p == '\\')
        {
          (*p)++;
          g_assert_true (**p == '\\' || **p == '"' || **p == 'n');
          g_string_append_c (v, **p == 'n' ? '\n' : **p);
        }
      else
        g_string_append_c (v, **p);
    }
  (*p)++;
  g_assert_true (g_utf8_validate (v->str, -1, NULL));
  return g_string_free (v, FALSE);
}

static double
read_value (const char *s)
{
  char *end = NULL;
  double v;

  if (strcmp (s, "NaN") == 0)
    return NAN;
  if (strcmp (s, "+Inf") == 0)
    return INFINITY;
  if (strcmp (s, "-Inf") == 0)
    return -INFINITY;
  v = g_ascii_strtod (s, &end);
  g_assert_true (end != s && *end == '\0');
  return v;
}

/* Parses the whole exposition, asserting every rule on the way. */
static GPtrArray *
parse (const char *text)
{
  GPtrArray *samples = g_ptr_array_new_with_free_func ((GDestroyNotify) sample_free);
  g_autoptr(GHashTable) help = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) typed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) closed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *current = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_true (*text == '\0' || g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    {
      const char *p = lines[i];
      g_autofree char *name = NULL;

      if (g_str_has_prefix (p, "# HELP ") || g_str_has_prefix (p, "# TYPE "))
        {
          gboolean is_help = p[2] == 'H';
          p += 7;
          name = read_name (&p, TRUE);
          g_assert_cmpint (*p, ==, ' ');
          /* A family is announced once, HELP first, before its samples. */
          g_assert_false (g_hash_table_contains (closed, name));
          g_assert_cmpstr (current, !=, name);
          if (is_help)
            {
              g_assert_false (g_hash_table_contains (help, name));
              g_assert_false (g_hash_table_contains (typed, name));
              for (const char *h = p + 1; *h != '\0'; h++)
                if (*h == '\\')
                  g_assert_true (*++h == '\\' || *h == 'n');
              g_hash_table_add (help, g_strdup (name));
            }
          else
            {
              g_assert_true (g_hash_table_contains (help, name));
              g_assert_false (g_hash_table_contains (typed, name));
              g_assert_cmpstr (p + 1, ==, "gauge");
              g_hash_table_add (typed, g_strdup (name));
            }
          continue;
        }
      g_assert_cmpint (*p, !=, '#');
      g_assert_cmpint (*p, !=, '\0');

      Sample *s = g_new0 (Sample, 1);
      GString *key = g_string_new (NULL);
      g_autoptr(GList) keys = NULL;

      s->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      s->name = read_name (&p, TRUE);
      if (*p == '{')
        {
          p++;
          while (*p != '}')
            {
              char *lname = read_name (&p, FALSE);
              g_assert_cmpint (*p++, ==, '=');
              g_assert_false (g_hash_table_contains (s->labels, lname));
              g_hash_table_insert (s->labels, lname, read_label_value (&p));
              if (*p == ',')
                p++;
              else
                g_assert_cmpint (*p, ==, '}');
            }
          p++;
        }
      g_assert_cmpint (*p++, ==, ' ');
      s->value = read_value (p);

      g_assert_true (g_hash_table_contains (typed, s->name));
      if (g_strcmp0 (current, s->name) != 0)
        {
          g_assert_false (g_hash_table_contains (closed, s->name));
          if (current != NULL)
            g_hash_table_add (closed, g_steal_pointer (&current));
          current = g_strdup (s->name);
        }
      /* The same series twice would be rejected by a scraper. */
      g_string_append (key, s->name);
      keys = g_list_sort (g_hash_table_get_keys (s->labels), (GCompareFunc) strcmp);
      for (GList *l = keys; l != NULL; l = l->next)
        g_string_append_printf (key, "\x01%s=%s", (char *) l->data,
                                (char *) g_hash_table_lookup (s->labels, l->data));
      g_assert_true (g_hash_table_add (series, g_string_free (key, FALSE)));
      g_ptr_array_add (samples, s);
    }
  return samples;
}

/* The one sample of name whose label id (if given) is id. */
static const Sample *
find (GPtrArray *samples, const char *name, const char *id)
{
  const Sample *found = NULL;

  for (guint i = 0; i < samples->len; i++)
    {
      const Sample *s = g_ptr_array_index (samples, i);
      if (strcmp (s->name, name) != 0)
        continue;
      if (id != NULL && g_strcmp0 (g_hash_table_lookup (s->labels, "id"), id) != 0)
        continue;
      g_assert_null (found);
      found = s;
    }
  return found;
}

static double
value (GPtrArray *samples, const char *name, const char *id)
{
  const Sample *s = find (samples, name, id);
  if (s == NULL)
    g_test_message ("no sample %s{id=\"%s\"}", name, id != NULL ? id : "");
  g_assert_nonnull (s);
  return s->value;
}

static void
test_golden (void)
{
  g_autoptr(RpReport) report = fixture_report ();
  g_autofree char *text = rp_report_render_prometheus (report);
  g_autoptr(GPtrArray) samples = parse (text);

  golden_check ("report.prom", text);
}

static void
test_values (void)
{
  g_autoptr(RpReport) report = fixture_report ();
  g_autofree char *text = rp_report_render_prometheus (report);
  g_autoptr(GPtrArray) samples = parse (text);
  static const struct {
    const char *id;
    const char *transport;
  } transports[] = {
    { "port.443/tcp", "tcp" },  /* host:port/proto */
    { "stun.udp", "udp" },      /* stun: defaults to UDP */
    { "turn.udp.allocate", "udp" },
    { "turn.tls.allocate", "tls" },
    { "voice.relay", "udp" },   /* ?transport=udp */
    { "http.api", "tls" },      /* https: */
  };

  /* The fixture has a failed check. */
  g_assert_cmpfloat (value (samples, "probe_success", NULL), ==, 0);
  g_assert_cmpfloat (value (samples, "probe_duration_seconds", NULL), ==, 1.234567);
  g_assert_cmpuint (g_hash_table_size (find (samples, "probe_success", NULL)->labels), ==, 0);

  g_assert_cmpfloat (value (samples, "rtcprobe_check_status", "port.443/tcp"), ==, 0);
  g_assert_cmpfloat (value (samples, "rtcprobe_check_status", "turn.udp.allocate"), ==, 1);
  g_assert_cmpfloat (value (samples, "rtcprobe_check_status", "turn.tls.allocate"), ==, 2);
  g_assert_cmpfloat (value (samples, "rtcprobe_check_status", "http.api"), ==, 3);
  g_assert_cmpfloat (value (samples, "rtcprobe_check_duration_seconds", "voice.relay"), ==, 1.0);
  g_assert_cmpfloat (value (samples, "rtcprobe_check_duration_seconds", "turn.udp.allocate"), ==,
                     0.08025);

  /* Base units: ms / 1000, pct / 100, s stays; unitless names as they are. */
  g_assert_cmpfloat (value (samples, "rtcprobe_rtt_seconds", "stun.udp"), ==, 23.4567 / 1000);
  g_assert_cmpfloat (value (samples, "rtcprobe_connect_seconds", "turn.tls.allocate"), ==,
                     10.0005 / 1000);
  g_assert_cmpfloat (value (samples, "rtcprobe_lifetime_seconds", "turn.udp.allocate"), ==, 60);
  g_assert_cmpfloat (value (samples, "rtcprobe_loss_ratio", "voice.relay"), ==, 0.005);
  g_assert_cmpfloat (value (samples, "rtcprobe_mos", "voice.relay"), ==, 4.3);
  g_assert_cmpfloat (value (samples, "rtcprobe_packets", "voice.relay"), ==, 250);
  g_assert_null (find (samples, "rtcprobe_rtt_ms", NULL));
  g_assert_null (find (samples, "rtcprobe_loss_pct", NULL));

  for (guint i = 0; i < samples->len; i++)
    {
      const Sample *s = g_ptr_array_index (samples, i);
      if (strcmp (s->name, "rtcprobe_checks") == 0)
        g_assert_cmpfloat (s->value, ==,
                           strcmp (g_hash_table_lookup (s->labels, "status"), "pass") == 0 ? 3 : 1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (transports); i++)
    {
      const Sample *s = find (samples, "rtcprobe_check_status", transports[i].id);
      const RpCheckResult *r = NULL;
      g_assert_nonnull (s);
      for (guint c = 0; c < report->checks->len; c++)
        if (strcmp (((RpCheckResult *) g_ptr_array_index (report->checks, c))->id,
                    transports[i].id) == 0)
          r = g_ptr_array_index (report->checks, c);
      g_assert_cmpstr (g_hash_table_lookup (s->labels, "transport"), ==, transports[i].transport);
      g_assert_cmpstr (g_hash_table_lookup (s->labels, "kind"), ==, r->kind);
      g_assert_cmpstr (g_hash_table_lookup (s->labels, "target"), ==, r->target);
    }
}

static void
test_success_with_warnings (void)
{
  g_autoptr(RpReport) report = rp_report_new ("stun");
  RpCheckResult *r = rp_check_result_new ("a", "stun", "stun:h");
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) samples = NULL;

  rp_check_result_set (r, RP_STATUS_WARN, "slow");
  rp_report_add (report, r);
  r = rp_check_result_new ("b", "stun", "stun:h");
  rp_check_result_set (r, RP_STATUS_SKIP, "not run");
  rp_report_add (report, r);
  text = rp_report_render_prometheus (report);
  samples = parse (text);
  g_assert_cmpfloat (value (samples, "probe_success", NULL), ==, 1);
}

static void
test_hostile (void)
{
  g_autoptr(RpReport) report = rp_report_new ("x");
  RpCheckResult *r = rp_check_result_new ("id \"q\" \\ back\nslash", "k\x01ind", "bad \xff utf8");
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) samples = NULL;
  const Sample *s;

  rp_check_result_set (r, RP_STATUS_FAIL, "x");
  rp_check_result_detail_str (r, "transport", "TCP\"}\n");
  rp_check_result_metric (r, "rtt_ms", 10);
  rp_check_result_metric (r, "rtt_s", 0.5);            /* the same series: dropped */
  rp_check_result_metric (r, "9 lives/\xc2\xb5_s", 1);  /* sanitised */
  rp_check_result_metric (r, "check_status", 7);       /* may not take a reserved name */
  rp_check_result_metric (r, "_ms", 3);                /* nothing but a unit */
  rp_check_result_metric (r, "a:b{c}", NAN);
  rp_check_result_metric (r, "up_pct", INFINITY);
  rp_report_add (report, r);
  report->duration_ms = NAN;

  text = rp_report_render_prometheus (report);
  samples = parse (text);
  /* Also checked by promtool in tests/integration. */
  golden_check ("report-hostile.prom", text);

  s = find (samples, "rtcprobe_check_status", NULL);
  g_assert_cmpstr (g_hash_table_lookup (s->labels, "id"), ==, "id \"q\" \\ back\nslash");
  g_assert_cmpstr (g_hash_table_lookup (s->labels, "kind"), ==, "kind");
  g_assert_cmpstr (g_hash_table_lookup (s->labels, "target"), ==, "bad \xef\xbf\xbd utf8");
  g_assert_cmpstr (g_hash_table_lookup (s->labels, "transport"), ==, "tcp\"}\n");
  g_assert_cmpfloat (s->value, ==, 2);

  g_assert_cmpfloat (value (samples, "rtcprobe_rtt_seconds", NULL), ==, 0.01);
  g_assert_cmpfloat (value (samples, "rtcprobe_9_lives____seconds", NULL), ==, 1);
  g_assert_cmpfloat (value (samples, "rtcprobe_check_status_metric", NULL), ==, 7);
  g_assert_cmpfloat (value (samples, "rtcprobe_unnamed_seconds", NULL), ==, 0.003);
  g_assert_true (isnan (value (samples, "rtcprobe_a_b_c_", NULL)));
  g_assert_true (isinf (value (samples, "rtcprobe_up_ratio", NULL)));
  g_assert_true (isnan (value (samples, "probe_duration_seconds", NULL)));
  g_assert_cmpfloat (value (samples, "probe_success", NULL), ==, 0);
}

static void
test_empty (void)
{
  g_autoptr(RpReport) report = rp_report_new (NULL);
  g_autofree char *text = rp_report_render_prometheus (report);
  g_autoptr(GPtrArray) samples = parse (text);

  g_assert_cmpfloat (value (samples, "probe_success", NULL), ==, 1);
  g_assert_null (find (samples, "rtcprobe_check_status", NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report-prometheus/golden", test_golden);
  g_test_add_func ("/report-prometheus/values", test_values);
  g_test_add_func ("/report-prometheus/success-with-warnings", test_success_with_warnings);
  g_test_add_func ("/report-prometheus/hostile", test_hostile);
  g_test_add_func ("/report-prometheus/empty", test_empty);
  return g_test_run ();
}
