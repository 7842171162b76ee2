/* The result model: plain structs that checks fill and renderers read.
 * Nothing here measures or prints. Metrics and details live in GArrays so
 * that every report format lists them in the order the check recorded them;
 * recording the same name twice overwrites the value where it already is,
 * which keeps that order stable when a check refines a number. */
#include "common/result.h"
#include "common/exit-code.h"

#include "rp-config.h"

const char *
rp_status_to_string (RpStatus status)
{
  switch (status)
    {
    case RP_STATUS_PASS:
      return "pass";
    case RP_STATUS_WARN:
      return "warn";
    case RP_STATUS_FAIL:
      return "fail";
    case RP_STATUS_SKIP:
      return "skip";
    }
  return "unknown";
}

static void
metric_clear (gpointer data)
{
  RpMetric *m = data;
  g_clear_pointer (&m->name, g_free);
}

static void
detail_clear (gpointer data)
{
  RpDetail *d = data;
  g_clear_pointer (&d->key, g_free);
  g_clear_pointer (&d->str, g_free);
}

RpCheckResult *
rp_check_result_new (const char *id, const char *kind, const char *target)
{
  RpCheckResult *r = g_new0 (RpCheckResult, 1);

  r->id = g_strdup (id != NULL ? id : "");
  r->kind = g_strdup (kind != NULL ? kind : "");
  r->target = g_strdup (target != NULL ? target : "");
  /* A check that never reports is not a pass: start as skip. */
  r->status = RP_STATUS_SKIP;
  r->summary = g_strdup ("");
  r->metrics = g_array_new (FALSE, TRUE, sizeof (RpMetric));
  g_array_set_clear_func (r->metrics, metric_clear);
  r->details = g_array_new (FALSE, TRUE, sizeof (RpDetail));
  g_array_set_clear_func (r->details, detail_clear);
  return r;
}

void
rp_check_result_free (RpCheckResult *r)
{
  if (r == NULL)
    return;
  g_free (r->id);
  g_free (r->kind);
  g_free (r->target);
  g_free (r->summary);
  g_free (r->hint);
  g_array_unref (r->metrics);
  g_array_unref (r->details);
  g_free (r);
}

void
rp_check_result_set (RpCheckResult *r, RpStatus status, const char *summary_fmt, ...)
{
  va_list ap;

  g_return_if_fail (r != NULL);
  g_return_if_fail (summary_fmt != NULL);

  r->status = status;
  g_free (r->summary);
  va_start (ap, summary_fmt);
  r->summary = g_strdup_vprintf (summary_fmt, ap);
  va_end (ap);
}

void
rp_check_result_set_hint (RpCheckResult *r, const char *hint_fmt, ...)
{
  va_list ap;

  g_return_if_fail (r != NULL);

  g_clear_pointer (&r->hint, g_free);
  /* NULL clears the hint: a retried check may end up passing. */
  if (hint_fmt == NULL)
    return;
  va_start (ap, hint_fmt);
  r->hint = g_strdup_vprintf (hint_fmt, ap);
  va_end (ap);
}

static RpMetric *
find_metric (GArray *metrics, const char *name)
{
  for (guint i = 0; i < metrics->len; i++)
    {
      RpMetric *m = &g_array_index (metrics, RpMetric, i);
      if (g_strcmp0 (m->name, name) == 0)
        return m;
    }
  return NULL;
}

static RpDetail *
find_detail (GArray *details, const char *key)
{
  for (guint i = 0; i < details->len; i++)
    {
      RpDetail *d = &g_array_index (details, RpDetail, i);
      if (g_strcmp0 (d->key, key) == 0)
        return d;
    }
  return NULL;
}

void
rp_check_result_metric (RpCheckResult *r, const char *name, double value)
{
  RpMetric *m;

  g_return_if_fail (r != NULL);
  g_return_if_fail (name != NULL);

  m = find_metric (r->metrics, name);
  if (m == NULL)
    {
      RpMetric fresh = { g_strdup (name), value };
      g_array_append_val (r->metrics, fresh);
      return;
    }
  m->value = value;
}

/* Returns the slot for key, emptied of any previous value, appending one
 * at the end when the key is new. */
static RpDetail *
detail_slot (RpCheckResult *r, const char *key)
{
  RpDetail *d = find_detail (r->details, key);

  if (d != NULL)
    {
      g_clear_pointer (&d->str, g_free);
      d->num = 0;
      return d;
    }

  RpDetail fresh = { g_strdup (key), RP_DETAIL_STRING, NULL, 0 };
  g_array_append_val (r->details, fresh);
  return &g_array_index (r->details, RpDetail, r->details->len - 1);
}

void
rp_check_result_detail_str (RpCheckResult *r, const char *key, const char *value)
{
  RpDetail *d;

  g_return_if_fail (r != NULL);
  g_return_if_fail (key != NULL);

  d = detail_slot (r, key);
  d->type = RP_DETAIL_STRING;
  /* Renderers may rely on str being set for string details. */
  d->str = g_strdup (value != NULL ? value : "");
}

void
rp_check_result_detail_int (RpCheckResult *r, const char *key, gint64 value)
{
  RpDetail *d;

  g_return_if_fail (r != NULL);
  g_return_if_fail (key != NULL);

  d = detail_slot (r, key);
  d->type = RP_DETAIL_INT;
  d->num = value;
}

void
rp_check_result_detail_bool (RpCheckResult *r, const char *key, gboolean value)
{
  RpDetail *d;

  g_return_if_fail (r != NULL);
  g_return_if_fail (key != NULL);

  d = detail_slot (r, key);
  d->type = RP_DETAIL_BOOL;
  d->num = value ? 1 : 0;
}

const RpMetric *
rp_check_result_get_metric (const RpCheckResult *r, const char *name)
{
  g_return_val_if_fail (r != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return find_metric (r->metrics, name);
}

const RpDetail *
rp_check_result_get_detail (const RpCheckResult *r, const char *key)
{
  g_return_val_if_fail (r != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return find_detail (r->details, key);
}

RpReport *
rp_report_new (const char *command)
{
  RpReport *report = g_new0 (RpReport, 1);

  report->tool_name = g_strdup ("rtcprobe");
  report->tool_version = g_strdup (RP_VERSION);
  report->command = g_strdup (command);
  report->started_at = g_date_time_new_now_utc ();
  report->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_check_result_free);
  return report;
}

void
rp_report_free (RpReport *report)
{
  if (report == NULL)
    return;
  g_free (report->tool_name);
  g_free (report->tool_version);
  g_free (report->command);
  g_clear_pointer (&report->started_at, g_date_time_unref);
  g_clear_pointer (&report->vantage, rp_check_result_free);
  g_ptr_array_unref (report->checks);
  g_free (report);
}

void
rp_report_add (RpReport *report, RpCheckResult *result)
{
  g_return_if_fail (report != NULL);
  g_return_if_fail (result != NULL);
  g_ptr_array_add (report->checks, result);
}

void
rp_report_count (const RpReport *report, guint counts[4])
{
  for (guint i = 0; i < 4; i++)
    counts[i] = 0;
  g_return_if_fail (report != NULL);

  for (guint i = 0; i < report->checks->len; i++)
    {
      const RpCheckResult *r = g_ptr_array_index (report->checks, i);
      if ((guint) r->status < 4)
        counts[r->status]++;
    }
}

int
rp_report_exit_code (const RpReport *report, gboolean strict)
{
  guint counts[4];

  rp_report_count (report, counts);
  if (counts[RP_STATUS_FAIL] > 0)
    return RP_EXIT_FAILED;
  if (strict && counts[RP_STATUS_WARN] > 0)
    return RP_EXIT_FAILED;
  return RP_EXIT_OK;
}
