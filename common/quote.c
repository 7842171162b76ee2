/* See quote.h. */
#include "common/quote.h"

char *
rp_quote_input (const char *s, gsize len, gsize max)
{
  g_autofree char *cut = g_strndup (s, MIN (len, max));
  g_autofree char *esc = g_strescape (cut, NULL);

  return g_strdup_printf ("\"%s%s\"", esc, len > max ? "..." : "");
}
