/* What `rtcprobe exporter` reads of an HTTP/1.1 request (RFC 9112 section 3,
 * RFC 3986 section 3.4 for the query): the method, the path, the query's
 * parameters and Prometheus' scrape timeout header. Sans-I/O: bytes in,
 * a struct out; everything it keeps is bounded. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest request head read (request line and headers). */
#define RP_EXPORTER_HEAD_MAX 8192
/* At most this many query parameters. */
#define RP_EXPORTER_QUERY_MAX 16

typedef struct {
  char *method;
  char *path;              /* without the query, percent-decoded */
  GHashTable *query;       /* name -> value, both decoded; the first of a repeated name */
  char *scrape_timeout;    /* X-Prometheus-Scrape-Timeout-Seconds, or NULL */
} RpExporterRequest;

void rp_exporter_request_free (RpExporterRequest *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpExporterRequest, rp_exporter_request_free)

/* The length of the head in data (through the blank line), 0 when it is not
 * complete yet. */
gsize rp_exporter_head_length (const char *data, gsize len);
/* Parses a complete head (rp_exporter_head_length bytes). NULL with a
 * one-line error when it is not an HTTP/1.x request. */
RpExporterRequest *rp_exporter_request_parse (const char *head, gsize len, GError **error);
/* A query string (what follows '?'): name=value pairs split on '&',
 * '+' as space, %XX decoded. NULL with an error for a bad escape, a decoded
 * control character or more than RP_EXPORTER_QUERY_MAX parameters. */
GHashTable *rp_exporter_query_parse (const char *query, GError **error);
/* The scrape timeout header in seconds: FALSE when it is not a positive
 * finite number. */
gboolean rp_exporter_scrape_timeout (const char *value, double *seconds);

G_END_DECLS
