/* The exporter's own metrics (GET /metrics): probes by module and outcome,
 * their durations, the probes in flight, build information. Module labels
 * come from the configuration only, so every label set is bounded. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  RP_PROBE_SUCCESS,
  RP_PROBE_FAILURE,       /* ran, probe_success 0 */
  RP_PROBE_BAD_REQUEST,   /* 400: malformed query, unknown module, bad target */
  RP_PROBE_FORBIDDEN,     /* 403: target not in allow_targets */
  RP_PROBE_BUSY,          /* 503: max_in_flight reached */
  RP_PROBE_RATE_LIMITED,  /* 429: target_rate reached */
  RP_PROBE_N_OUTCOMES
} RpProbeOutcome;

typedef struct _RpExporterMetrics RpExporterMetrics;

RpExporterMetrics *rp_exporter_metrics_new (void);
void rp_exporter_metrics_free (RpExporterMetrics *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpExporterMetrics, rp_exporter_metrics_free)

/* module: a configured module's name, or NULL for a request that named none
 * that exists. duration_s only counts for probes that ran. */
void rp_exporter_metrics_count (RpExporterMetrics *m, const char *module, RpProbeOutcome outcome,
                                double duration_s);
void rp_exporter_metrics_in_flight (RpExporterMetrics *m, int delta);
guint rp_exporter_metrics_get_in_flight (const RpExporterMetrics *m);
/* The exposition (Prometheus text format 0.0.4). */
char *rp_exporter_metrics_render (const RpExporterMetrics *m);

G_END_DECLS
