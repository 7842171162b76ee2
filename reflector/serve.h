/* `rtcprobe serve`: the reflector for the far end (serve.c). A server, not
 * a run of checks: it has no report and logs to stderr. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs until SIGTERM or SIGINT. Returns the exit code: 0 after a clean
 * stop, 2 when the configuration is wrong or a port cannot be opened
 * (error says why). */
int rp_serve_main (const char *config_path, GError **error);

#define RP_SERVE_INVITE_TTL_DEFAULT "1d"
#define RP_SERVE_INVITE_USES_DEFAULT 1

/* `rtcprobe invite`: the link a tester opens, "<public_url>/test#<invite>",
 * signed with the secret named by the reflector's configuration at
 * config_path (reflector/protocol/reflector-invite.h). ttl: a duration
 * ("90m", "2d"; NULL: RP_SERVE_INVITE_TTL_DEFAULT); uses: 1 to 1000. NULL
 * with a one-line error naming the option or the configuration key. */
char *rp_serve_invite_link (const char *config_path, const char *label, const char *ttl,
                            gint uses, gint64 now_unix, GError **error);

G_END_DECLS
