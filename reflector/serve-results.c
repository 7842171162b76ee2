/* The reflector's side of the results store (serve-private.h): opening
 * [results] database at start, and keeping each result a tester hands in,
 * with the HTTP status (RFC 9110 section 15, RFC 4918 section 11.5 for 507)
 * that tells the uploader what became of it. */
#include "reflector/serve-private.h"


/* How long a store locked by another process (a backup, the sqlite3 shell)
 * is waited for before the uploader is told: the loop serves everyone. */
#define STORE_BUSY_MS 250

gboolean
rp_serve_results_open (RpServe *s, GError **error)
{
  const char *path = s->config->results_database;

  if (path == NULL)
    return TRUE;
  s->results = rp_results_store_open (path, STORE_BUSY_MS, error);
  if (s->results == NULL) {
    g_prefix_error (error, "[results] database: ");
    return FALSE;
  }
  g_message ("results: %s (schema version %d, kept %" G_GINT64_FORMAT " days, at most %u)",
             path, rp_results_store_version (s->results), s->config->results_retention_days,
             s->config->max_results);
  return TRUE;
}

static guint
store_status (const GError *e)
{
  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    return 507;
  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_BUSY))
    return 503;
  return 500;
}

guint
rp_serve_results_add (RpServe *s, const char *label, const char *address, const char *agent,
                      const char *doc, gsize len, GError **error)
{
  RpServeConfig *c = s->config;
  RpUpload up = { 0 };
  RpUploadStatus st;
  RpResultIn in = { 0 };
  GError *local = NULL;
  gint64 id;

  if (s->results == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                         "this reflector keeps no results ([results] database)");
    return 404;
  }
  st = rp_upload_parse (doc, len, c->max_report_size, &up, error);
  if (st != RP_UPLOAD_OK)
    return rp_upload_http_status (st);
  in.received_s = g_get_real_time () / G_USEC_PER_SEC;
  in.label = label;
  in.address = address;
  in.agent = agent;
  in.upload = &up;
  id = rp_results_store_add (s->results, &in, c->results_retention_days * 86400, c->max_results,
                             &local);
  rp_upload_clear (&up);
  if (id == 0) {
    guint status = store_status (local);
    g_message ("results: not kept: %s", local->message);
    g_propagate_error (error, local);
    return status;
  }
  return 200;
}
