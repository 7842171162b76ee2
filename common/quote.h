/* User input in error messages: quoted, printable (C escapes for control
 * and non-ASCII bytes, so a message stays one line) and cut to a bound. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "\"text\"", or "\"first max bytes...\"" for longer input. */
char *rp_quote_input (const char *s, gsize len, gsize max);
/* A file name for messages: as it is when it is printable UTF-8 of at most
 * 256 bytes, otherwise quoted as above (an escaped newline in a *_file value
 * stays one line). */
char *rp_quote_path (const char *path);

G_END_DECLS
