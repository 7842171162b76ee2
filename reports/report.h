/* Renderers: an RpReport in, bytes out. They never measure, never write to
 * a file or terminal, and never look at the environment; the caller decides
 * colour, verbosity and where the bytes go. */
#pragma once

#include <glib.h>

#include "common/result.h"

G_BEGIN_DECLS

#define RP_REPORT_SCHEMA "rtcprobe.report/1"
#define RP_TEXT_DEFAULT_WIDTH 100

typedef struct {
  gboolean color;    /* ANSI colours: the caller checks the TTY and NO_COLOR */
  gboolean verbose;  /* also list every field, metric and detail under each row */
  guint width;       /* wrap summaries and hints at this many columns; 0 = RP_TEXT_DEFAULT_WIDTH */
} RpTextOptions;

/* opt may be NULL (no colour, not verbose, default width). */
char *rp_report_render_text (const RpReport *r, const RpTextOptions *opt);

/* The "rtcprobe.report/1" document, pretty-printed, ending in a newline. */
char *rp_report_render_json (const RpReport *r);

/* JUnit XML for CI (Jenkins, GitLab): one <testsuite name="rtcprobe COMMAND">
 * with one <testcase classname=KIND name=ID> per check. fail is a <failure>,
 * skip a <skipped>, warn passes with a note in <system-out>; every field of
 * the check (as in the JSON report) is also a <property>. */
char *rp_report_render_junit (const RpReport *r);

/* Prometheus text exposition (0.0.4) in blackbox_exporter's style:
 * probe_success, probe_duration_seconds, and per check
 * rtcprobe_check_status (0 pass, 1 warn, 2 fail, 3 skip),
 * rtcprobe_check_duration_seconds and every metric as rtcprobe_NAME, with
 * *_ms and *_s in seconds and *_pct as a ratio. */
char *rp_report_render_prometheus (const RpReport *r);
/* The same format for one probe of `rtcprobe exporter` (blackbox_exporter's
 * /probe): series labelled by id and kind only (Prometheus adds the target),
 * and the stable families rtcprobe_check_success, rtcprobe_rtt_seconds,
 * rtcprobe_jitter_seconds, rtcprobe_loss_ratio, rtcprobe_mos,
 * rtcprobe_tls_cert_expiry_seconds and rtcprobe_turn_transport_up.
 * probe_success is 0 when nothing passed. */
char *rp_report_render_prometheus_probe (const RpReport *r);

/* One self-contained HTML page (inline CSS and SVG, no script, nothing
 * fetched): the verdict, the checks grouped by kind with hints under the rows
 * that did not pass, metrics and details folded, and charts for voice checks.
 *
 * The verdict is the summary of a check whose id or kind is "verdict", else
 * the counts ("5 passed, 1 warned, 1 failed").
 *
 * Per-packet series travel as details, since the result model is flat:
 *   series.rtt_ms     comma-separated round-trip times in ms, one per packet
 *                     in send order; an empty field or "nan" for no sample
 *   series.jitter_ms  the same for the running jitter (RFC 3550 A.8)
 *   series.lost       comma-separated 0-based indexes of the lost packets
 *   series.interval_ms  optional send interval: the x axis is then in seconds
 * A check with series.rtt_ms or series.jitter_ms gets a chart. */
char *rp_report_render_html (const RpReport *r);

G_END_DECLS
