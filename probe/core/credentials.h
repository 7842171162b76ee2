/* TURN credentials from where the design allows them: a password file or
 * RTCPROBE_TURN_PASSWORD for long-term credentials; a secret file or
 * RTCPROBE_TURN_SECRET for TURN REST credentials (coturn use-auth-secret).
 * Never from argv; never printed. */
#pragma once

#include <glib.h>

#include "common/secret.h"

G_BEGIN_DECLS

typedef enum {
  RP_CREDS_NONE,
  RP_CREDS_LONG_TERM,
  RP_CREDS_REST,
} RpCredsKind;

typedef struct {
  RpCredsKind kind;
  char *username;
  RpSecret *password;
  gint64 rest_expiry;     /* unix time the REST username expires, or -1 */
  const char *source;     /* "--password-file", "RTCPROBE_TURN_SECRET", ... */
} RpTurnCreds;

/* user: --user; password_file / secret_file: the options (NULL when not
 * given); rest_ttl_s: lifetime of generated REST credentials. Environment
 * variables are consulted when the matching file option is absent. A
 * username that looks like a REST one ("<unix time>:name") with a password
 * yields its expiry, so an expired pasted credential can be explained. */
gboolean rp_turn_creds_load (RpTurnCreds *creds, const char *user, const char *password_file,
                             const char *secret_file, gint64 rest_ttl_s, GError **error);
void rp_turn_creds_clear (RpTurnCreds *creds);
/* dst: an independent copy of src (the password duplicated; clear both). */
void rp_turn_creds_copy (RpTurnCreds *dst, const RpTurnCreds *src);
/* Reads a secret file: at most 4 KiB, one trailing newline dropped, not empty. */
RpSecret *rp_read_secret_file (const char *path, GError **error);

G_END_DECLS
