/* The JUnit XML report, for CI systems that collect test results (Jenkins,
 * GitLab). One <testsuite> per run, one <testcase> per check:
 *
 *   pass  an empty test case
 *   fail  <failure message=SUMMARY> with the summary and the hint as body
 *   skip  <skipped message=SUMMARY/>, the hint (if any) in <system-out>
 *   warn  a passing test case with "WARN: summary" and the hint in
 *         <system-out>.
 *
 * A warning must not fail the CI job (exit code 0 allows warnings), so it
 * cannot be a <failure>, and there is no standard "passed with warning".
 * GitLab's test report shows a case's system-out in its detail view and
 * Jenkins shows it as "Standard Output" on the case page, while properties
 * are shown by neither out of the box; so the note goes to system-out, and a
 * "status" property keeps the word for tools that read properties.
 *
 * Every field of the check is also a <property>, walked from the field table
 * in fields.c like the JSON members: metrics as "metrics.NAME", details as
 * "details.KEY". All text is cleaned of what XML 1.0 forbids and escaped. */
#include "reports/report.h"

#include <math.h>
#include <string.h>

#include "reports/fields.h"

static void
append_attr (GString *out, const char *name, const char *value)
{
  g_autofree char *esc = rp_markup_escape (value, TRUE);
  g_string_append_printf (out, " %s=\"%s\"", name, esc);
}

static void
append_text (GString *out, const char *value)
{
  g_autofree char *esc = rp_markup_escape (value, FALSE);
  g_string_append (out, esc);
}

/* Seconds with millisecond precision; JUnit readers want a plain number. */
static char *
seconds (double ms)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (ms) || ms < 0)
    ms = 0;
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.3f", ms / 1000.0));
}

static void
append_property (GString *out, const char *indent, const char *name, const char *value)
{
  g_string_append_printf (out, "%s<property", indent);
  append_attr (out, "name", name);
  append_attr (out, "value", value);
  g_string_append (out, "/>\n");
}

static void
append_field_properties (GString *out, const char *indent, const RpField *f, const RpCheckResult *r)
{
  switch (f->format)
    {
    case RP_FORMAT_STRING:
    case RP_FORMAT_OPT_STRING:
      {
        const char *s = rp_field_get_string (f, r);
        if (s != NULL)  /* an absent hint is no property, as JSON's null */
          append_property (out, indent, f->name, s);
      }
      break;
    case RP_FORMAT_STATUS:
      append_property (out, indent, f->name, rp_status_to_string (rp_field_get_status (f, r)));
      break;
    case RP_FORMAT_MS:
      {
        g_autofree char *v = rp_format_number (rp_field_get_double (f, r));
        append_property (out, indent, f->name, v);
      }
      break;
    case RP_FORMAT_METRICS:
      {
        GArray *metrics = rp_field_get_array (f, r);
        for (guint i = 0; metrics != NULL && i < metrics->len; i++)
          {
            const RpMetric *m = &g_array_index (metrics, RpMetric, i);
            g_autofree char *name = g_strconcat (f->name, ".", m->name, NULL);
            g_autofree char *v = rp_format_number (m->value);
            append_property (out, indent, name, v);
          }
      }
      break;
    case RP_FORMAT_DETAILS:
      {
        GArray *details = rp_field_get_array (f, r);
        for (guint i = 0; details != NULL && i < details->len; i++)
          {
            const RpDetail *d = &g_array_index (details, RpDetail, i);
            g_autofree char *name = g_strconcat (f->name, ".", d->key, NULL);
            g_autofree char *v = rp_format_detail_value (d);
            append_property (out, indent, name, v);
          }
      }
      break;
    }
}

static gboolean
has_text (const char *s)
{
  if (s == NULL)
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isspace (*s))
      return TRUE;
  return FALSE;
}

/* "summary" and, when there is one, "hint: ..." on the next line. */
static char *
summary_and_hint (const char *prefix, const RpCheckResult *r)
{
  if (has_text (r->hint))
    return g_strdup_printf ("%s%s\nhint: %s", prefix, r->summary != NULL ? r->summary : "",
                            r->hint);
  return g_strdup_printf ("%s%s", prefix, r->summary != NULL ? r->summary : "");
}

static void
append_testcase (GString *out, const RpCheckResult *r)
{
  g_autofree char *secs = seconds (r->duration_ms);
  const char *summary = r->summary != NULL ? r->summary : "";

  g_string_append (out, "    <testcase");
  append_attr (out, "classname", r->kind);
  append_attr (out, "name", r->id);
  append_attr (out, "time", secs);
  g_string_append (out, ">\n");

  g_string_append (out, "      <properties>\n");
  for (guint i = 0; i < rp_n_check_fields; i++)
    append_field_properties (out, "        ", &rp_check_fields[i], r);
  g_string_append (out, "      </properties>\n");

  switch (r->status)
    {
    case RP_STATUS_PASS:
      break;
    case RP_STATUS_FAIL:
      {
        g_autofree char *body = summary_and_hint ("", r);
        g_string_append (out, "      <failure");
        append_attr (out, "message", summary);
        append_attr (out, "type", "fail");
        g_string_append (out, ">");
        append_text (out, body);
        g_string_append (out, "</failure>\n");
      }
      break;
    case RP_STATUS_SKIP:
      g_string_append (out, "      <skipped");
      append_attr (out, "message", summary);
      g_string_append (out, "/>\n");
      if (has_text (r->hint))
        {
          g_autofree char *note = g_strconcat ("hint: ", r->hint, NULL);
          g_string_append (out, "      <system-out>");
          append_text (out, note);
          g_string_append (out, "</system-out>\n");
        }
      break;
    case RP_STATUS_WARN:
      {
        g_autofree char *note = summary_and_hint ("WARN: ", r);
        g_string_append (out, "      <system-out>");
        append_text (out, note);
        g_string_append (out, "</system-out>\n");
      }
      break;
    }
  g_string_append (out, "    </testcase>\n");
}

/* tests, failures, errors, skipped and time: the same on both levels. */
static void
append_totals (GString *out, const RpReport *r)
{
  guint counts[4];
  g_autofree char *tests = NULL;
  g_autofree char *failures = NULL;
  g_autofree char *skipped = NULL;
  g_autofree char *secs = seconds (r->duration_ms);

  rp_report_count (r, counts);
  tests = g_strdup_printf ("%u", r->checks->len);
  failures = g_strdup_printf ("%u", counts[RP_STATUS_FAIL]);
  skipped = g_strdup_printf ("%u", counts[RP_STATUS_SKIP]);
  append_attr (out, "tests", tests);
  append_attr (out, "failures", failures);
  /* A network that misbehaves is a finding, never an error. */
  append_attr (out, "errors", "0");
  append_attr (out, "skipped", skipped);
  append_attr (out, "time", secs);
}

char *
rp_report_render_junit (const RpReport *r)
{
  GString *out;
  g_autofree char *suite = NULL;
  g_autofree char *started = NULL;
  const RpDetail *host = NULL;

  g_return_val_if_fail (r != NULL, NULL);

  out = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  suite = r->command != NULL ? g_strconcat ("rtcprobe ", r->command, NULL) : g_strdup ("rtcprobe");
  started = rp_format_timestamp (r->started_at);
  if (r->vantage != NULL)
    host = rp_check_result_get_detail (r->vantage, "hostname");

  g_string_append (out, "<testsuites");
  append_attr (out, "name", "rtcprobe");
  append_totals (out, r);
  g_string_append (out, ">\n");

  g_string_append (out, "  <testsuite");
  append_attr (out, "name", suite);
  append_totals (out, r);
  if (started != NULL)
    append_attr (out, "timestamp", started);
  if (host != NULL && host->type == RP_DETAIL_STRING && host->str != NULL)
    append_attr (out, "hostname", host->str);
  g_string_append (out, ">\n");

  g_string_append (out, "    <properties>\n");
  append_property (out, "      ", "tool.name", r->tool_name != NULL ? r->tool_name : "");
  append_property (out, "      ", "tool.version", r->tool_version != NULL ? r->tool_version : "");
  if (r->command != NULL)
    append_property (out, "      ", "command", r->command);
  for (guint i = 0; r->vantage != NULL && i < r->vantage->details->len; i++)
    {
      const RpDetail *d = &g_array_index (r->vantage->details, RpDetail, i);
      g_autofree char *name = g_strconcat ("vantage.", d->key, NULL);
      g_autofree char *v = rp_format_detail_value (d);
      append_property (out, "      ", name, v);
    }
  g_string_append (out, "    </properties>\n");

  for (guint i = 0; i < r->checks->len; i++)
    append_testcase (out, g_ptr_array_index (r->checks, i));

  g_string_append (out, "  </testsuite>\n</testsuites>\n");
  return g_string_free (out, FALSE);
}
