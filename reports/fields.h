/* The check fields as a table: one row per field of RpCheckResult, naming
 * it, locating it in the struct and saying how it is formatted. The text and
 * JSON renderers both iterate this table (in the manner of curl's -w
 * variables), so a field added here shows up in every format, and a new
 * format kind fails to compile (-Wswitch) until each renderer handles it. */
#pragma once

#include <glib.h>

#include "common/result.h"

G_BEGIN_DECLS

typedef enum {
  RP_FORMAT_STRING,      /* char *, never NULL */
  RP_FORMAT_OPT_STRING,  /* char *, NULL means absent (JSON null, no text) */
  RP_FORMAT_STATUS,      /* RpStatus, as its word */
  RP_FORMAT_MS,          /* double milliseconds */
  RP_FORMAT_METRICS,     /* GArray of RpMetric */
  RP_FORMAT_DETAILS,     /* GArray of RpDetail */
} RpFieldFormat;

/* Where the text renderer puts a field; flags, a field may appear twice. */
typedef enum {
  RP_TEXT_COLUMN = 1 << 0,   /* a table column, see text_column */
  RP_TEXT_NOTE = 1 << 1,     /* an indented "-> name: value" line under rows that are not pass */
  RP_TEXT_COMPACT = 1 << 2,  /* a compact line under the row (metrics) */
  RP_TEXT_VERBOSE = 1 << 3,  /* "name = value" lines under the row, verbose only */
} RpTextPlace;

typedef struct {
  const char *name;      /* JSON member name and text label */
  gsize offset;          /* of the member in RpCheckResult */
  RpFieldFormat format;
  RpTextPlace text;
  guint text_column;     /* 1-based column position when RP_TEXT_COLUMN */
  guint text_max_width;  /* column width cap; 0 = none */
} RpField;

/* In JSON member order. */
extern const RpField rp_check_fields[];
extern const guint rp_n_check_fields;

/* Accessors; the format of the row says which one applies. */
const char *rp_field_get_string (const RpField *f, const RpCheckResult *r); /* STRING, OPT_STRING */
RpStatus rp_field_get_status (const RpField *f, const RpCheckResult *r);
double rp_field_get_double (const RpField *f, const RpCheckResult *r);       /* MS */
GArray *rp_field_get_array (const RpField *f, const RpCheckResult *r);       /* METRICS, DETAILS */

/* Shared value formatting for human-readable output. Metrics named *_ms get
 * three decimals (microsecond precision), others %g. */
char *rp_format_metric_value (const RpMetric *m);
/* "rtt 12.345 ms", "loss 0.5 %", "mos 4.2": the unit suffix becomes a unit. */
char *rp_format_metric_compact (const RpMetric *m);
/* A string as is, an integer in decimal, a boolean as true/false. */
char *rp_format_detail_value (const RpDetail *d);
/* ISO 8601 in UTC with milliseconds: "2026-11-27T21:48:25.123Z"; NULL for NULL. */
char *rp_format_timestamp (GDateTime *t);

/* Shared by the markup and machine formats (junit, html, prometheus). */

/* Valid UTF-8 without the characters no report wants: C0 controls other
 * than tab, LF and CR; DEL and the C1 controls; U+FFFE and U+FFFF (XML 1.0
 * forbids all of these) and the bidi embedding, override and isolate
 * controls that can make hostile text read backwards. NULL gives "". */
char *rp_clean_string (const char *s);
/* rp_clean_string, then & < > " ' as entities. In an attribute, tab, LF and
 * CR become character references so that they survive attribute-value
 * normalisation; CR always does. Good for XML 1.0 and HTML alike. */
char *rp_markup_escape (const char *s, gboolean attribute);
/* The shortest decimal that reads back to the same double ("0.1", "40",
 * "1e-07"); non-finite values as "NaN", "+Inf", "-Inf". Locale-independent. */
char *rp_format_number (double v);
/* "3 passed, 1 warned, 1 failed", with ", 1 skipped" when any were. */
char *rp_format_counts (const RpReport *r);

/* The groups of the runbook's smoke list, in report order, by check kind;
 * every renderer and the `check` verdict use this one table. The last
 * group, "Other", takes any kind not listed. */
extern const char *const rp_report_groups[];
extern const guint rp_n_report_groups;
guint rp_report_group_of_kind (const char *kind);

G_END_DECLS
