/* User input in error messages: quoted, printable (C escapes for control
 * and non-ASCII bytes, so a message stays one line) and cut to a bound. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "\"text\"", or "\"first max bytes...\"" for longer input. */
char *rp_quote_input (const char *s, gsize len, gsize max);

G_END_DECLS
