/* Fuzz target: the HTTP requests `rtcprobe exporter` reads (request line,
 * header fields, the query string, the scrape timeout header). A head either
 * parses into a method, a path starting with '/', a bounded query without
 * control characters, or fails with a one-line error. */
#include <gio/gio.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "exporter/exporter-request.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_query (GHashTable *q)
{
  GHashTableIter it;
  gpointer k, v;

  g_assert_cmpuint (g_hash_table_size (q), <=, RP_EXPORTER_QUERY_MAX);
  g_hash_table_iter_init (&it, q);
  while (g_hash_table_iter_next (&it, &k, &v))
    for (const char *p = v; *p != '\0'; p++)
      g_assert_true ((guchar) *p >= 0x20 && *p != 0x7f);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *head = (const char *) data;
  gsize len = rp_exporter_head_length (head, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (RpExporterRequest) r = NULL;
  g_autofree char *text = g_strndup (head, size);
  g_autoptr (GHashTable) q = rp_exporter_query_parse (text, &error);
  double s;

  if (q != NULL)
    check_query (q);
  else
    g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);
  if (rp_exporter_scrape_timeout (text, &s))
    g_assert_true (isfinite (s) && s > 0);
  if (len == 0)
    return 0;
  g_assert_cmpuint (len, <=, size);
  r = rp_exporter_request_parse (head, len, &error);
  if (r == NULL) {
    g_assert_nonnull (error);
    g_assert_null (strchr (error->message, '\n'));
    return 0;
  }
  g_assert_nonnull (r->method);
  g_assert_true (r->path[0] == '/');
  check_query (r->query);
  return 0;
}
