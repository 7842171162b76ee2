/* The table of check fields that every renderer walks, and the small value
 * formatters the human-readable renderers share. Order here is the order of
 * the members of each check in the JSON report; the text table takes its
 * columns from text_column instead, status first. */
#include "reports/fields.h"

#include <math.h>
#include <string.h>

#define FIELD(member) G_STRUCT_OFFSET (RpCheckResult, member)

const RpField
  rp_check_fields[] = {
    /* name          offset               format                placement col  max */
    { "id", FIELD (id), RP_FORMAT_STRING, RP_TEXT_COLUMN, 2, 32 },
    { "kind", FIELD (kind), RP_FORMAT_STRING, RP_TEXT_VERBOSE, 0, 0 },
    { "target", FIELD (target), RP_FORMAT_STRING, RP_TEXT_COLUMN, 3, 40 },
    { "status", FIELD (status), RP_FORMAT_STATUS, RP_TEXT_COLUMN, 1, 0 },
    { "summary", FIELD (summary), RP_FORMAT_STRING, RP_TEXT_COLUMN, 4, 0 },
    { "hint", FIELD (hint), RP_FORMAT_OPT_STRING, RP_TEXT_NOTE, 0, 0 },
    { "duration_ms", FIELD (duration_ms), RP_FORMAT_MS, RP_TEXT_VERBOSE, 0, 0 },
    { "metrics", FIELD (metrics), RP_FORMAT_METRICS, RP_TEXT_COMPACT | RP_TEXT_VERBOSE, 0, 0 },
    { "details", FIELD (details), RP_FORMAT_DETAILS, RP_TEXT_VERBOSE, 0, 0 },
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

/* Where the unit sits in a metric name: at the end (rtt_ms) or before a
 * qualifier (rtt_ms_p95, jitter_ms_fwd). NULL when the name has none. */
static const char *
find_unit (const char *name, const char *unit)
{
  gsize ulen = strlen (unit);

  for (const char *p = strstr (name, unit); p != NULL; p = strstr (p + 1, unit))
    if (p > name && (p[ulen] == '\0' || p[ulen] == '_'))
      return p;
  return NULL;
}

static gboolean
is_ms (const char *name)
{
  return find_unit (name, "_ms") != NULL;
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

  /* "rtt_ms_p95" reads "rtt p95 0.294 ms". */
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      const char *at = find_unit (m->name, units[i].suffix);
      const char *rest;
      if (at == NULL)
        continue;
      rest = at + strlen (units[i].suffix);
      if (*rest == '_')
        return g_strdup_printf ("%.*s %s %s %s", (int) (at - m->name), m->name, rest + 1, value,
                                units[i].unit);
      return g_strdup_printf ("%.*s %s %s", (int) (at - m->name), m->name, value, units[i].unit);
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

static gboolean
is_unwanted (gunichar c)
{
  if (c < 0x20)
    return c != '\t' && c != '\n' && c != '\r';
  return (c >= 0x7F && c <= 0x9F) || c == 0xFFFE || c == 0xFFFF
         || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

char *
rp_clean_string (const char *s)
{
  g_autofree char *valid = g_utf8_make_valid (s != NULL ? s : "", -1);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (!is_unwanted (c))
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

char *
rp_markup_escape (const char *s, gboolean attribute)
{
  g_autofree char *clean = rp_clean_string (s);
  GString *out = g_string_sized_new (strlen (clean) + 16);

  for (const char *p = clean; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '&':
          g_string_append (out, "&amp;");
          break;
        case '<':
          g_string_append (out, "&lt;");
          break;
        case '>':
          g_string_append (out, "&gt;");
          break;
        case '"':
          g_string_append (out, "&quot;");
          break;
        case '\'':
          g_string_append (out, "&#39;");
          break;
        case '\r':
          g_string_append (out, "&#13;");
          break;
        case '\n':
        case '\t':
          if (attribute)
            g_string_append_printf (out, "&#%d;", *p);
          else
            g_string_append_c (out, *p);
          break;
        default:
          g_string_append_c (out, *p);
        }
    }
  return g_string_free (out, FALSE);
}

char *
rp_format_number (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    return g_strdup ("NaN");
  if (isinf (v))
    return g_strdup (v > 0 ? "+Inf" : "-Inf");
  /* %.17g always reads back exactly; fewer digits usually do too. */
  int digits = 1;
  char fmt[8];
  for (; digits < 17; digits++)
    {
      g_snprintf (fmt, sizeof fmt, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  /* Plain notation for everyday magnitudes: 40, not 4e+01. */
  if (v != 0 && fabs (v) >= 1e-4 && fabs (v) < 1e15)
    digits = MAX (digits, (int) floor (log10 (fabs (v))) + 1);
  g_snprintf (fmt, sizeof fmt, "%%.%dg", digits);
  g_ascii_formatd (buf, sizeof buf, fmt, v);
  return g_strdup (buf);
}

char *
rp_format_counts (const RpReport *r)
{
  guint counts[4];
  GString *out = g_string_new (NULL);

  rp_report_count (r, counts);
  g_string_append_printf (out, "%u passed, %u warned, %u failed", counts[RP_STATUS_PASS],
                          counts[RP_STATUS_WARN], counts[RP_STATUS_FAIL]);
  if (counts[RP_STATUS_SKIP] > 0)
    g_string_append_printf (out, ", %u skipped", counts[RP_STATUS_SKIP]);
  return g_string_free (out, FALSE);
}

const char *const rp_report_groups[] = {
  "Web & API", "Realtime", "Files", "TURN", "Voice", "Other"
};
const guint rp_n_report_groups = G_N_ELEMENTS (rp_report_groups);

guint
rp_report_group_of_kind (const char *kind)
{
  static const struct {
    const char *kind;
    guint group;
  } map[] = {
    { "dns", 0 }, { "port", 0 }, { "http", 0 }, { "tls", 0 },
    { "websocket", 1 },
    { "file", 2 },
    { "stun", 3 }, { "nat", 3 }, { "turn", 3 }, { "relay", 3 }, { "audit", 3 },
    { "ice", 4 }, { "voice", 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_strcmp0 (kind, map[i].kind) == 0)
      return map[i].group;
  return G_N_ELEMENTS (rp_report_groups) - 1;
}
