/* The text `rtcprobe --version` prints. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Three lines: version and git revision, libraries, trust store. Free with g_free(). */
char *rp_cli_version_text (void);

G_END_DECLS
