/* The progress registry (see progress.h): one process-wide list, touched
 * only from the run's main loop thread. */
#include "probe/core/progress.h"

static GPtrArray *entries;
static GPtrArray *lines;

static void
progress_free (gpointer data)
{
  RpProgress *p = data;

  g_free (p->id);
  g_free (p);
}

static RpProgress *
find (const char *id)
{
  for (guint i = 0; entries != NULL && i < entries->len; i++) {
    RpProgress *p = g_ptr_array_index (entries, i);
    if (g_str_equal (p->id, id))
      return p;
  }
  return NULL;
}

void
rp_progress_update (const char *id, double elapsed_s, double total_s, guint sent, guint received,
                    double rtt_ms)
{
  RpProgress *p = find (id);

  if (entries == NULL)
    entries = g_ptr_array_new_with_free_func (progress_free);
  if (p == NULL) {
    p = g_new0 (RpProgress, 1);
    p->id = g_strdup (id);
    g_ptr_array_add (entries, p);
  }
  p->elapsed_s = elapsed_s;
  p->total_s = total_s;
  p->sent = sent;
  p->received = received;
  p->rtt_ms = rtt_ms;
}

void
rp_progress_remove (const char *id)
{
  RpProgress *p = find (id);

  if (p != NULL)
    g_ptr_array_remove (entries, p);
}

const GPtrArray *
rp_progress_entries (void)
{
  if (entries == NULL)
    entries = g_ptr_array_new_with_free_func (progress_free);
  return entries;
}

void
rp_progress_add_line (const char *line)
{
  if (lines == NULL)
    lines = g_ptr_array_new_with_free_func (g_free);
  if (lines->len == RP_PROGRESS_MAX_LINES)
    g_ptr_array_remove_index (lines, 0);
  g_ptr_array_add (lines, g_strdup (line));
}

GPtrArray *
rp_progress_take_lines (void)
{
  GPtrArray *out = lines != NULL ? lines : g_ptr_array_new_with_free_func (g_free);

  lines = NULL;
  return out;
}
