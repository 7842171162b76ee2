/* Writing a rendered report where the user asked: "-" is standard output,
 * anything else is replaced atomically, so a reader (a monitoring job, a CI
 * step) sees either the previous file or the complete new one. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes len bytes of data to path ("-" = stdout). A file is written to a
 * temporary sibling, flushed to disk and renamed over path; on failure the
 * temporary is removed, path is untouched, and error holds one line naming
 * path. New files get mode 0644 less the umask. */
gboolean rp_output_write_atomic (const char *path, const char *data, gsize len, GError **error);

G_END_DECLS
