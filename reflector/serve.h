/* `rtcprobe serve`: the reflector for the far end (serve.c). A server, not
 * a run of checks: it has no report and logs to stderr. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs until SIGTERM or SIGINT. Returns the exit code: 0 after a clean
 * stop, 2 when the configuration is wrong or a port cannot be opened
 * (error says why). */
int rp_serve_main (const char *config_path, GError **error);

G_END_DECLS
