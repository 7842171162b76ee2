/* Inline SVG charts of a voice check's per-packet series for the HTML
 * report. The series travel as details (the convention is in report.h);
 * nothing here fetches, scripts or trusts the numbers it is given. */
#pragma once

#include <glib.h>

#include "common/result.h"

G_BEGIN_DECLS

/* At most this many samples are read from one series; the rest is cut. */
#define RP_HTML_SERIES_MAX 20000

/* Whether r carries a series worth a chart. */
gboolean rp_html_has_series (const RpCheckResult *r);
/* Appends one <figure> per series (RTT, jitter) with the lost packets
 * marked; appends nothing when r has no series. */
void rp_html_append_series_charts (GString *out, const RpCheckResult *r);

/* Parses "1.5,2,,nan,3" (ms): empty, unreadable, negative or absurd
 * fields become NaN, a gap. */
GArray *rp_html_parse_series (const char *s);

/* What the report's charts share: r's string detail key (NULL when absent
 * or not a string); v with one decimal, locale-free, as SVG wants it; and
 * the axis maximum for v: 1, 2, 2.5 or 5 times a power of ten, at least v. */
const char *rp_html_detail_str (const RpCheckResult *r, const char *key);
void rp_html_num (GString *out, double v);
double rp_html_nice_ceiling (double v);

G_END_DECLS
