/* The exporter's own metrics (see exporter-metrics.h), in the Prometheus
 * text exposition format 0.0.4: counters end in _total, the duration is a
 * summary without quantiles (_sum and _count), as Go exporters write it. */
#include "exporter/exporter-metrics.h"

#include "rp-config.h"

static const char *const outcome_names[RP_PROBE_N_OUTCOMES] = {
  "success", "failure", "bad_request", "forbidden", "busy", "rate_limited",
};

typedef struct {
  guint64 counts[RP_PROBE_N_OUTCOMES];
  double duration_sum;
  guint64 duration_count;
} ModuleStats;

struct _RpExporterMetrics {
  GHashTable *modules;  /* name ("" for none) -> ModuleStats */
  GPtrArray *order;     /* names in first-seen order, owned by modules */
  guint in_flight;
};

RpExporterMetrics *
rp_exporter_metrics_new (void)
{
  RpExporterMetrics *m = g_new0 (RpExporterMetrics, 1);

  m->modules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m->order = g_ptr_array_new ();
  return m;
}

void
rp_exporter_metrics_free (RpExporterMetrics *m)
{
  if (m == NULL)
    return;
  g_ptr_array_unref (m->order);
  g_hash_table_unref (m->modules);
  g_free (m);
}

static ModuleStats *
stats_of (RpExporterMetrics *m, const char *module)
{
  const char *name = module != NULL ? module : "";
  ModuleStats *s = g_hash_table_lookup (m->modules, name);

  if (s == NULL) {
    char *key = g_strdup (name);
    s = g_new0 (ModuleStats, 1);
    g_hash_table_insert (m->modules, key, s);
    g_ptr_array_add (m->order, key);
  }
  return s;
}

void
rp_exporter_metrics_count (RpExporterMetrics *m, const char *module, RpProbeOutcome outcome,
                           double duration_s)
{
  ModuleStats *s = stats_of (m, module);

  s->counts[outcome]++;
  if (outcome == RP_PROBE_SUCCESS || outcome == RP_PROBE_FAILURE) {
    s->duration_sum += duration_s;
    s->duration_count++;
  }
}

void
rp_exporter_metrics_in_flight (RpExporterMetrics *m, int delta)
{
  g_assert (delta > 0 || m->in_flight >= (guint) -delta);
  m->in_flight += delta;
}

guint
rp_exporter_metrics_get_in_flight (const RpExporterMetrics *m)
{
  return m->in_flight;
}

char *
rp_exporter_metrics_render (const RpExporterMetrics *m)
{
  GString *out = g_string_new (NULL);
  char num[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, "# HELP rtcprobe_exporter_probes_total Probe requests by module and "
                        "outcome.\n# TYPE rtcprobe_exporter_probes_total counter\n");
  for (guint i = 0; i < m->order->len; i++) {
    const char *name = g_ptr_array_index (m->order, i);
    const ModuleStats *s = g_hash_table_lookup (m->modules, name);
    for (guint o = 0; o < RP_PROBE_N_OUTCOMES; o++)
      g_string_append_printf (out, "rtcprobe_exporter_probes_total{module=\"%s\",outcome=\"%s\"} "
                              "%" G_GUINT64_FORMAT "\n", name, outcome_names[o], s->counts[o]);
  }
  g_string_append (out, "# HELP rtcprobe_exporter_probe_duration_seconds Wall time of the "
                        "probes that ran.\n"
                        "# TYPE rtcprobe_exporter_probe_duration_seconds summary\n");
  for (guint i = 0; i < m->order->len; i++) {
    const char *name = g_ptr_array_index (m->order, i);
    const ModuleStats *s = g_hash_table_lookup (m->modules, name);
    g_string_append_printf (out, "rtcprobe_exporter_probe_duration_seconds_sum{module=\"%s\"} %s\n",
                            name, g_ascii_dtostr (num, sizeof num, s->duration_sum));
    g_string_append_printf (out, "rtcprobe_exporter_probe_duration_seconds_count{module=\"%s\"} "
                            "%" G_GUINT64_FORMAT "\n", name, s->duration_count);
  }
  g_string_append_printf (out, "# HELP rtcprobe_exporter_probes_in_flight Probes running now.\n"
                          "# TYPE rtcprobe_exporter_probes_in_flight gauge\n"
                          "rtcprobe_exporter_probes_in_flight %u\n", m->in_flight);
  g_string_append (out, "# HELP rtcprobe_exporter_build_info The running rtcprobe's version.\n"
                        "# TYPE rtcprobe_exporter_build_info gauge\n"
                        "rtcprobe_exporter_build_info{version=\"" RP_VERSION "\"} 1\n");
  return g_string_free (out, FALSE);
}
