/* Parsing the HTTP/1.1 requests `rtcprobe exporter` answers (RFC 9112
 * section 3: request line; section 5: field lines), and their query strings
 * (RFC 3986 section 3.4, with HTML forms' '+' for space as Prometheus'
 * url.Values encodes it). Nothing here trusts a length it did not count. */
#include "exporter/exporter-request.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>


void
rp_exporter_request_free (RpExporterRequest *r)
{
  if (r == NULL)
    return;
  g_free (r->method);
  g_free (r->path);
  g_clear_pointer (&r->query, g_hash_table_unref);
  g_free (r->scrape_timeout);
  g_free (r);
}

gsize
rp_exporter_head_length (const char *data, gsize len)
{
  for (gsize i = 0; i + 3 < len; i++)
    if (memcmp (data + i, "\r\n\r\n", 4) == 0)
      return i + 4;
  return 0;
}

static int
hex (char c)
{
  return g_ascii_isxdigit (c) ? g_ascii_xdigit_value (c) : -1;
}

/* Percent-decodes s[0..len) ('+' as space when form); NULL on a bad escape
 * or a decoded control character or NUL. */
static char *
decode (const char *s, gsize len, gboolean form)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++) {
    unsigned char c = (unsigned char) s[i];
    if (c == '%') {
      int hi = i + 2 < len ? hex (s[i + 1]) : -1;
      int lo = i + 2 < len ? hex (s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        g_string_free (out, TRUE);
        return NULL;
      }
      c = (unsigned char) (hi * 16 + lo);
      i += 2;
    } else if (c == '+' && form) {
      c = ' ';
    }
    if (c < 0x20 || c == 0x7f) {
      g_string_free (out, TRUE);
      return NULL;
    }
    g_string_append_c (out, (char) c);
  }
  return g_string_free (out, FALSE);
}

GHashTable *
rp_exporter_query_parse (const char *query, GError **error)
{
  g_autoptr (GHashTable) q = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *p = query;
  guint n = 0;

  while (p != NULL && *p != '\0') {
    const char *amp = strchr (p, '&');
    gsize len = amp != NULL ? (gsize) (amp - p) : strlen (p);
    const char *eq = memchr (p, '=', len);
    gsize nlen = eq != NULL ? (gsize) (eq - p) : len;
    g_autofree char *name = NULL;
    g_autofree char *value = NULL;

    if (len > 0) {
      if (++n > RP_EXPORTER_QUERY_MAX) {
        g_set_error (error, G_URI_ERROR, G_URI_ERROR_BAD_QUERY,
                     "more than %d query parameters", RP_EXPORTER_QUERY_MAX);
        return NULL;
      }
      name = decode (p, nlen, TRUE);
      value = eq != NULL ? decode (eq + 1, len - nlen - 1, TRUE) : g_strdup ("");
      if (name == NULL || value == NULL) {
        g_set_error (error, G_URI_ERROR, G_URI_ERROR_BAD_QUERY,
                     "a query parameter has a bad %%-escape or a control character");
        return NULL;
      }
      if (!g_hash_table_contains (q, name))
        g_hash_table_insert (q, g_steal_pointer (&name), g_steal_pointer (&value));
    }
    p = amp != NULL ? amp + 1 : NULL;
  }
  return g_steal_pointer (&q);
}

gboolean
rp_exporter_scrape_timeout (const char *value, double *seconds)
{
  char *end = NULL;
  double v;

  if (value == NULL || *value == '\0')
    return FALSE;
  v = g_ascii_strtod (value, &end);
  while (end != NULL && (*end == ' ' || *end == '\t'))
    end++;
  if (end == value || end == NULL || *end != '\0' || !isfinite (v) || v <= 0)
    return FALSE;
  *seconds = v;
  return TRUE;
}

static gboolean
token_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The request line: METHOD SP request-target SP HTTP/1.x */
static gboolean
parse_request_line (RpExporterRequest *r, const char *line, gsize len, GError **error)
{
  const char *sp1 = memchr (line, ' ', len);
  const char *sp2 = sp1 != NULL ? memchr (sp1 + 1, ' ', len - (sp1 + 1 - line)) : NULL;
  const char *target, *q;
  gsize tlen;

  if (sp1 == NULL || sp2 == NULL || sp1 == line || len - (sp2 + 1 - line) != 8
      || memcmp (sp2 + 1, "HTTP/1.", 7) != 0 || !g_ascii_isdigit (sp2[8])) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an HTTP/1.x request line");
    return FALSE;
  }
  for (const char *c = line; c < sp1; c++)
    if (!token_char (*c)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a bad request method");
      return FALSE;
    }
  r->method = g_strndup (line, sp1 - line);
  target = sp1 + 1;
  tlen = sp2 - target;
  if (tlen == 0 || target[0] != '/') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the request target is not a path");
    return FALSE;
  }
  q = memchr (target, '?', tlen);
  r->path = decode (target, q != NULL ? (gsize) (q - target) : tlen, FALSE);
  if (r->path == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a bad %%-escape in the path");
    return FALSE;
  }
  {
    g_autofree char *query = q != NULL ? g_strndup (q + 1, tlen - (q + 1 - target)) : NULL;
    r->query = rp_exporter_query_parse (query, error);
  }
  return r->query != NULL;
}

/* One field line; keeps the scrape timeout. */
static gboolean
parse_field (RpExporterRequest *r, const char *line, gsize len, GError **error)
{
  static const char name[] = "X-Prometheus-Scrape-Timeout-Seconds";
  const char *colon = memchr (line, ':', len);

  if (colon == NULL || colon == line) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a header line without a name");
    return FALSE;
  }
  for (const char *c = line; c < colon; c++)
    if (!token_char (*c)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a bad header name");
      return FALSE;
    }
  if ((gsize) (colon - line) == strlen (name) && g_ascii_strncasecmp (line, name, strlen (name)) == 0
      && r->scrape_timeout == NULL) {
    const char *v = colon + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
      v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
      end--;
    r->scrape_timeout = g_strndup (v, end - v);
  }
  return TRUE;
}

RpExporterRequest *
rp_exporter_request_parse (const char *head, gsize len, GError **error)
{
  g_autoptr (RpExporterRequest) r = g_new0 (RpExporterRequest, 1);
  const char *p = head;
  const char *end = head + len;
  gboolean first = TRUE;

  if (len > RP_EXPORTER_HEAD_MAX || memchr (head, '\0', len) != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the request head is too long or binary");
    return NULL;
  }
  while (p < end) {
    const char *crlf = g_strstr_len (p, end - p, "\r\n");
    gsize llen;
    if (crlf == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the request head does not end");
      return NULL;
    }
    llen = crlf - p;
    if (llen == 0 && !first)
      return g_steal_pointer (&r);
    if (first ? !parse_request_line (r, p, llen, error) : !parse_field (r, p, llen, error))
      return NULL;
    first = FALSE;
    p = crlf + 2;
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the request head does not end");
  return NULL;
}
