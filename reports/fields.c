/* The table of check fields that every renderer walks, and the small value
 * formatters the human-readable renderers share. Order here is the order of
 * the members of each check in the JSON report; the text table takes its
 * columns from text_column instead, status first. */
#include "reports/fields.h"

#include <math.h>
#include <string.h>

#define FIELD(member) G_STRUCT_OFFSET (RpCheckResult, member)

const RpField rp_check_fields[] = {
  /* name          offset               format                placement                         col  max */
  { "id",          FIELD (id),          RP_FORMAT_STRING,     RP_TEXT_COLUMN,                   2,   32 },
  { "kind",        FIELD (kind),        RP_FORMAT_STRING,     RP_TEXT_VERBOSE,                  0,   0 },
  { "target",      FIELD (target),      RP_FORMAT_STRING,     RP_TEXT_COLUMN,                   3,   40 },
  { "status",      FIELD (status),      RP_FORMAT_STATUS,     RP_TEXT_COLUMN,                   1,   0 },
  { "summary",     FIELD (summary),     RP_FORMAT_STRING,     RP_TEXT_COLUMN,                   4,   0 },
  { "hint",        FIELD (hint),        RP_FORMAT_OPT_STRING, RP_TEXT_NOTE,                     0,   0 },
  { "duration_ms", FIELD (duration_ms), RP_FORMAT_MS,         RP_TEXT_VERBOSE,                  0,   0 },
  { "metrics",     FIELD (metrics),     RP_FORMAT_METRICS,    RP_TEXT_COMPACT | RP_TEXT_VERBOSE, 0,  0 },
  { "details",     FIELD (details),     RP_FORMAT_DETAILS,    RP_TEXT_VERBOSE,                  0,   0 },
};

const guint rp_n_check_fields = G_N_ELEMENTS (rp_check_fields);

const char *
rp_field_get_string (const RpField *f, const RpCheckResult *r)
{
  g_return_val_if_fail (f->format == RP_FORMAT_STRING || f->format == RP_FORMAT_OPT_STRING, NULL);
  const char *s = G_STRUCT_MEMBER (const char *, r, f->offset);
  /* Checks are not trusted to fill every mandatory string. */
  if (s == NULL && f->format == RP_FORMAT_STRING)
    return "";
  return s;
}

RpStatus
rp_field_get_status (const RpField *f, const RpCheckResult *r)
{
  g_return_val_if_fail (f->format == RP_FORMAT_STATUS, RP_STATUS_SKIP);
  return G_STRUCT_MEMBER (RpStatus, r, f->offset);
}

double
rp_field_get_double (const RpField *f, const RpCheckResult *r)
{
  g_return_val_if_fail (f->format == RP_FORMAT_MS, 0.0);
  return G_STRUCT_MEMBER (double, r, f->offset);
}

GArray *
rp_field_get_array (const RpField *f, const RpCheckResult *r)
{
  g_return_val_if_fail (f->format == RP_FORMAT_METRICS || f->format == RP_FORMAT_DETAILS, NULL);
  return G_STRUCT_MEMBER (GArray *, r, f->offset);
}

static gboolean
is_ms (const char *name)
{
  return g_str_has_suffix (name, "_ms");
}

char *
rp_format_metric_value (const RpMetric *m)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (m->value))
    return g_strdup ("nan");
  if (isinf (m->value))
    return g_strdup (m->value > 0 ? "inf" : "-inf");
  /* g_ascii_formatd: a report must not depend on the user's locale. */
  g_ascii_formatd (buf, sizeof buf, is_ms (m->name) ? "%.3f" : "%g", m->value);
  return g_strdup (buf);
}

char *
rp_format_metric_compact (const RpMetric *m)
{
  static const struct {
    const char *suffix;
    const char *unit;
  } units[] = {
    { "_ms", "ms" },
    { "_pct", "%" },
  };
  g_autofree char *value = rp_format_metric_value (m);

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      gsize name_len = strlen (m->name);
      gsize suffix_len = strlen (units[i].suffix);
      if (name_len > suffix_len && g_str_has_suffix (m->name, units[i].suffix))
        return g_strdup_printf ("%.*s %s %s", (int) (name_len - suffix_len), m->name,
                                value, units[i].unit);
    }
  return g_strdup_printf ("%s %s", m->name, value);
}

char *
rp_format_detail_value (const RpDetail *d)
{
  switch (d->type)
    {
    case RP_DETAIL_STRING:
      return g_strdup (d->str != NULL ? d->str : "");
    case RP_DETAIL_INT:
      return g_strdup_printf ("%" G_GINT64_FORMAT, d->num);
    case RP_DETAIL_BOOL:
      return g_strdup (d->num ? "true" : "false");
    }
  return g_strdup ("");
}

char *
rp_format_timestamp (GDateTime *t)
{
  if (t == NULL)
    return NULL;
  g_autoptr(GDateTime) utc = g_date_time_to_utc (t);
  g_autofree char *base = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", base, g_date_time_get_microsecond (utc) / 1000);
}
