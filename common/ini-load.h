/* Loading an INI file (profiles, the reflector's configuration) with an
 * error a user can read on one line: GKeyFile quotes the whole offending
 * line, which for a binary or mangled file can run to kilobytes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* FALSE with the reason on one line, at most about 160 characters, in
 * GKeyFile's or GFileError's domain; callers add the path. */
gboolean rp_ini_load (GKeyFile *kf, const char *path, GError **error);

G_END_DECLS
