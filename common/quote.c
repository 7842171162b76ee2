/* See quote.h. */
#include "common/quote.h"

#include <string.h>

char *
rp_quote_input (const char *s, gsize len, gsize max)
{
  g_autofree char *cut = g_strndup (s, MIN (len, max));
  g_autofree char *esc = g_strescape (cut, NULL);

  return g_strdup_printf ("\"%s%s\"", esc, len > max ? "..." : "");
}

char *
rp_quote_path (const char *path)
{
  gsize len = strlen (path);

  for (const char *p = path; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return rp_quote_input (path, len, 256);
  if (!g_utf8_validate (path, len, NULL) || len > 256)
    return rp_quote_input (path, len, 256);
  return g_strdup (path);
}
