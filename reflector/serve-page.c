/* The tester's page (reflector/page/tester.html, embedded with GResource)
 * at <path>/test: one self-contained HTML file, its script and style inline
 * and allowed by their SHA-256 in a strict Content-Security-Policy (CSP
 * Level 3: nothing from any other origin, the websocket to this one only),
 * never cached, never framed. */
#include "reflector/serve-private.h"

#include <string.h>

/* Made by glib-compile-resources from page/tester.gresource.xml (meson's
 * gnome.compile_resources, c_name rp_tester_page); referring to it keeps the
 * resource in the static library's link. */
GResource *rp_tester_page_get_resource (void);

#define PAGE_PATH "/org/rtcprobe/reflector/tester.html"

/* 'sha256-BASE64' of the text between open and close, or NULL. */
static char *
inline_hash (const char *html, gsize len, const char *open, const char *close)
{
  const char *start = g_strstr_len (html, len, open);
  const char *end;
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize n = sizeof digest;
  g_autofree char *b64 = NULL;

  if (start == NULL)
    return NULL;
  start += strlen (open);
  end = g_strstr_len (start, html + len - start, close);
  if (end == NULL)
    return NULL;
  g_checksum_update (sum, (const guchar *) start, end - start);
  g_checksum_get_digest (sum, digest, &n);
  b64 = g_base64_encode (digest, n);
  return g_strdup_printf ("'sha256-%s'", b64);
}

gboolean
rp_serve_page_load (RpServe *s, GError **error)
{
  g_autofree char *script = NULL;
  g_autofree char *style = NULL;
  gsize len;
  const char *html;

  s->page = g_resource_lookup_data (rp_tester_page_get_resource (), PAGE_PATH,
                                    G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (s->page == NULL)
    return FALSE;
  html = g_bytes_get_data (s->page, &len);
  script = inline_hash (html, len, "<script>", "</script>");
  style = inline_hash (html, len, "<style>", "</style>");
  if (script == NULL || style == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the tester's page has no inline script");
    return FALSE;
  }
  s->page_csp = g_strdup_printf ("default-src 'none'; script-src %s; style-src %s; "
                                 "connect-src 'self'; img-src 'none'; base-uri 'none'; "
                                 "form-action 'none'; frame-ancestors 'none'", script, style);
  return TRUE;
}

void
rp_serve_page_clear (RpServe *s)
{
  g_clear_pointer (&s->page, g_bytes_unref);
  g_clear_pointer (&s->page_csp, g_free);
}

static gboolean
header (struct lws *wsi, const char *name, const char *value, guint8 **p, guint8 *end)
{
  return lws_add_http_header_by_name (wsi, (const guint8 *) name, (const guint8 *) value,
                                      (int) strlen (value), p, end) == 0;
}

void
rp_serve_page_answer (RpServe *s, struct lws *wsi)
{
  gsize len = 0;
  const guint8 *body = g_bytes_get_data (s->page, &len);
  guint8 head[LWS_PRE + 2048];
  guint8 *start = head + LWS_PRE, *p = start, *end = head + sizeof head - 1;
  g_autofree guint8 *out = g_malloc (LWS_PRE + len);

  if (lws_add_http_header_status (wsi, 200, &p, end)
      || !header (wsi, "content-type:", "text/html; charset=utf-8", &p, end)
      || !header (wsi, "content-security-policy:", s->page_csp, &p, end)
      || !header (wsi, "x-content-type-options:", "nosniff", &p, end)
      || !header (wsi, "referrer-policy:", "no-referrer", &p, end)
      || !header (wsi, "cache-control:", "no-store", &p, end)
      || lws_add_http_header_content_length (wsi, len, &p, end)
      || lws_finalize_write_http_header (wsi, start, &p, end))
    return;
  memcpy (out + LWS_PRE, body, len);
  lws_write (wsi, out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
}
