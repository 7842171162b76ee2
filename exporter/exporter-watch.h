/* The exporter's [watch NAME] sections: a low-rate voice stream kept running
 * to each configured path, its figures published on /metrics as cumulative
 * counters and histograms (packets sent and lost per direction, late
 * packets, windows with a loss burst, RTT per packet and jitter per window
 * in buckets from 1 ms to 1 s), so Prometheus' rate() and
 * histogram_quantile() show what happened between scrapes. A stream that
 * fails, or from which nothing comes back for RP_WATCH_DEAD_WINDOWS windows,
 * is started again after a growing pause, and the exporter says so on
 * stderr. Labels come from the configuration only. */
#pragma once

#include <glib.h>

#include "exporter/exporter.h"

G_BEGIN_DECLS

#define RP_WATCH_DEAD_WINDOWS 3
#define RP_WATCH_RETRY_MIN_S 5
#define RP_WATCH_RETRY_MAX_S 300

typedef struct _RpExporterWatches RpExporterWatches;

/* c and prober outlive the set. */
RpExporterWatches *rp_exporter_watches_new (const RpExporterConfig *c,
                                            const RpExporterProber *prober);
void rp_exporter_watches_free (RpExporterWatches *w);
void rp_exporter_watches_start (RpExporterWatches *w);
/* Stops every stream and retries no more; idle is called from the loop once
 * none runs. */
void rp_exporter_watches_stop (RpExporterWatches *w, GSourceFunc idle, gpointer data);
gboolean rp_exporter_watches_running (const RpExporterWatches *w);
/* Appends the watches' metrics (text format 0.0.4); nothing without watches. */
void rp_exporter_watches_render (const RpExporterWatches *w, GString *out);

G_END_DECLS
