/* The team's view of the results store (`rtcprobe results`): each stored
 * run summed up from its report (verdict, TURN transports, best path, RTT,
 * jitter and loss per direction, MOS), grouped by vantage with failures
 * first, rendered as text, JSON, HTML (inline SVG, nothing fetched) or
 * Prometheus text. */
#pragma once

#include <glib.h>

#include "common/result.h"
#include "reflector/results-store.h"

G_BEGIN_DECLS

typedef struct {
  const RpResultRow *row;
  char *vantage;          /* the report's vantage label, else the address */
  RpStatus status;        /* the worst check's */
  char *verdict;          /* the first failing (or warning) check's summary */
  char *transports_ok;    /* TURN transports that work: "udp tcp" ("": none worked) */
  char *transports_bad;   /* tested and failed */
  char *path;             /* the best voice path ("ice", "turn.udp"), NULL: none */
  double rtt_ms, jitter_fwd_ms, jitter_bwd_ms, loss_fwd_pct, loss_bwd_pct, mos; /* NAN: absent */
} RpResultView;

/* Views of rows (RpResultRow*, which must outlive them), ordered by
 * vantage (vantages with a failure first), then time. */
GPtrArray *rp_result_views_new (GPtrArray *rows);

char *rp_results_render_text (GPtrArray *views);
char *rp_results_render_json (GPtrArray *views);
/* per label: rtcprobe_results_runs, _failures, _last_mos, _last_status */
char *rp_results_render_prometheus (GPtrArray *views);
/* One page; each row links to its full report further down the page. */
char *rp_results_render_html (GPtrArray *views);

G_END_DECLS
