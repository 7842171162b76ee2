/* Handing a report to a reflector's results store (`--upload URL`): one
 * HTTP POST of the rtcprobe.report/1 document with the tester's invite as
 * the bearer token (reflector/serve-upload.c is the other side). Runs after
 * the run, when nothing else is on the loop: libcurl's easy interface. */
#pragma once

#include <glib.h>

#include "common/secret.h"

G_BEGIN_DECLS

/* An http:// or https:// URL without user or fragment? error says why. */
gboolean rp_result_upload_url_ok (const char *url, GError **error);
/* The invite from --invite-file FILE or RTCPROBE_INVITE: the invite itself
 * or the whole link (the part after '#'). */
RpSecret *rp_result_upload_invite (const char *file, GError **error);
/* POSTs len octets of json to url. TRUE when the reflector answered 200;
 * otherwise error holds the HTTP status and the reflector's one line (or
 * curl's reason). Follows no redirect; TLS verified against ca_file (NULL:
 * the system store) unless insecure. */
gboolean rp_result_upload (const char *url, const RpSecret *invite, const char *json, gsize len,
                           const char *ca_file, gboolean insecure, double timeout_s,
                           GError **error);

G_END_DECLS
