/* The JSON report, schema "rtcprobe.report/1" (doc/internals/ARCHITECTURE.md, "The result model").
 * Member names are frozen once released: add, never rename. Each check's members come from the
 * field table in fields.c. Strings are made valid UTF-8 before they reach json-glib, which escapes
 * control characters but passes invalid bytes through, and non-finite numbers become null because
 * JSON has no NaN. */
#include "reports/report.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <math.h>

#include "reports/fields.h"

static void
add_string (JsonBuilder *b, const char *s)
{
  if (s == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  g_autofree char *valid = g_utf8_make_valid (s, -1);
  json_builder_add_string_value (b, valid);
}

static void
set_member (JsonBuilder *b, const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name, -1);
  json_builder_set_member_name (b, valid);
}

static void
add_number (JsonBuilder *b, double v)
{
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_metrics (JsonBuilder *b, const GArray *metrics)
{
  json_builder_begin_object (b);
  for (guint i = 0; metrics != NULL && i < metrics->len; i++)
    {
      const RpMetric *m = &g_array_index (metrics, RpMetric, i);
      set_member (b, m->name);
      add_number (b, m->value);
    }
  json_builder_end_object (b);
}

static void
add_details (JsonBuilder *b, const GArray *details)
{
  json_builder_begin_object (b);
  for (guint i = 0; details != NULL && i < details->len; i++)
    {
      const RpDetail *d = &g_array_index (details, RpDetail, i);
      set_member (b, d->key);
      switch (d->type)
        {
        case RP_DETAIL_STRING:
          add_string (b, d->str != NULL ? d->str : "");
          break;
        case RP_DETAIL_INT:
          json_builder_add_int_value (b, d->num);
          break;
        case RP_DETAIL_BOOL:
          json_builder_add_boolean_value (b, d->num != 0);
          break;
        }
    }
  json_builder_end_object (b);
}

static void
add_check (JsonBuilder *b, const RpCheckResult *r)
{
  json_builder_begin_object (b);
  for (guint i = 0; i < rp_n_check_fields; i++)
    {
      const RpField *f = &rp_check_fields[i];

      json_builder_set_member_name (b, f->name);
      switch (f->format)
        {
        case RP_FORMAT_STRING:
        case RP_FORMAT_OPT_STRING:
          add_string (b, rp_field_get_string (f, r));
          break;
        case RP_FORMAT_STATUS:
          json_builder_add_string_value (b, rp_status_to_string (rp_field_get_status (f, r)));
          break;
        case RP_FORMAT_MS:
          add_number (b, rp_field_get_double (f, r));
          break;
        case RP_FORMAT_METRICS:
          add_metrics (b, rp_field_get_array (f, r));
          break;
        case RP_FORMAT_DETAILS:
          add_details (b, rp_field_get_array (f, r));
          break;
        }
    }
  json_builder_end_object (b);
}

/* json-glib prints every double with 17 significant digits (0.486 becomes
 * 0.48599999999999999). Rewrite each number outside strings in the shortest
 * form that reads back to the same double, so values keep their exact
 * meaning and stay readable. Empty objects and arrays lose their padding. */
static char *
shorten_numbers (const char *json)
{
  GString *out = g_string_sized_new (strlen (json));
  gboolean in_string = FALSE;

  for (const char *p = json; *p != '\0';) {
    if (in_string) {
      if (*p == '\\' && p[1] != '\0') {
        g_string_append_len (out, p, 2);
        p += 2;
        continue;
      }
      if (*p == '"')
        in_string = FALSE;
      g_string_append_c (out, *p++);
      continue;
    }
    if (*p == '"') {
      in_string = TRUE;
      g_string_append_c (out, *p++);
      continue;
    }
    if (*p == '{' || *p == '[') {
      /* and "{      }" (json-glib's empty object) becomes "{}" */
      const char *q = p + 1;
      while (*q == ' ' || *q == '\n')
        q++;
      if (*q == (*p == '{' ? '}' : ']')) {
        g_string_append_c (out, *p);
        g_string_append_c (out, *q);
        p = q + 1;
        continue;
      }
    }
    if (*p == '-' || g_ascii_isdigit (*p)) {
      char *end = NULL;
      double v = g_ascii_strtod (p, &end);
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      gboolean is_float = memchr (p, '.', end - p) != NULL || memchr (p, 'e', end - p) != NULL
                          || memchr (p, 'E', end - p) != NULL;

      if (end == p) {
        g_string_append_c (out, *p++);
        continue;
      }
      if (!is_float) {
        g_string_append_len (out, p, end - p);
      } else {
        int digits = 1;
        char fmt[8];

        while (digits < 17) {
          g_snprintf (fmt, sizeof fmt, "%%.%dg", digits);
          g_ascii_formatd (buf, sizeof buf, fmt, v);
          if (g_ascii_strtod (buf, NULL) == v)
            break;
          digits++;
        }
        /* Plain notation for everyday magnitudes (40, not 4e+01), and a
         * decimal point kept so a double stays a double for typed readers. */
        if (v != 0 && fabs (v) >= 1e-4 && fabs (v) < 1e15)
          digits = MAX (digits, (int) floor (log10 (fabs (v))) + 1);
        g_snprintf (fmt, sizeof fmt, "%%.%dg", digits);
        g_ascii_formatd (buf, sizeof buf, fmt, v);
        if (strpbrk (buf, ".e") == NULL)
          g_strlcat (buf, ".0", sizeof buf);
        g_string_append (out, buf);
      }
      p = end;
      continue;
    }
    g_string_append_c (out, *p++);
  }
  return g_string_free (out, FALSE);
}

char *
rp_report_render_json (const RpReport *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *started_at = NULL;
  g_autofree char *text = NULL;
  g_autofree char *short_text = NULL;
  guint counts[4];

  g_return_val_if_fail (r != NULL, NULL);

  started_at = rp_format_timestamp (r->started_at);
  rp_report_count (r, counts);

  json_builder_begin_object (b);

  json_builder_set_member_name (b, "schema");
  json_builder_add_string_value (b, RP_REPORT_SCHEMA);

  json_builder_set_member_name (b, "tool");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  add_string (b, r->tool_name);
  json_builder_set_member_name (b, "version");
  add_string (b, r->tool_version);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "command");
  add_string (b, r->command);

  json_builder_set_member_name (b, "started_at");
  add_string (b, started_at);

  json_builder_set_member_name (b, "duration_ms");
  add_number (b, r->duration_ms);

  /* Only the vantage point's details are evidence worth reporting. */
  json_builder_set_member_name (b, "vantage");
  add_details (b, r->vantage != NULL ? r->vantage->details : NULL);

  json_builder_set_member_name (b, "checks");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->checks->len; i++)
    add_check (b, g_ptr_array_index (r->checks, i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  static const RpStatus order[] = { RP_STATUS_PASS, RP_STATUS_WARN, RP_STATUS_FAIL,
                                    RP_STATUS_SKIP };
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      json_builder_set_member_name (b, rp_status_to_string (order[i]));
      json_builder_add_int_value (b, counts[order[i]]);
    }
  json_builder_end_object (b);

  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  text = json_generator_to_data (gen, NULL);
  short_text = shorten_numbers (text);
  /* A file that ends in a newline is friendlier to cat and diff. */
  return g_strconcat (short_text, "\n", NULL);
}
