/* A guard in front of json-glib for text a server sent: its parser recurses
 * once per nesting level, so a body of a million '[' would exhaust the stack.
 * Count the depth first, without parsing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when no bracket outside a string nests deeper than max_depth. */
gboolean rp_json_depth_ok (const char *text, gsize len, guint max_depth);

G_END_DECLS
