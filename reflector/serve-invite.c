/* `rtcprobe invite`: a tester's link, made from the reflector's own
 * configuration so that the secret never leaves its file (see serve.h and
 * reflector/protocol/reflector-invite.h). */
#include "reflector/serve.h"

#include <gio/gio.h>
#include <string.h>

#include "reflector/protocol/reflector-invite.h"
#include "reflector/serve-config.h"

char *
rp_serve_invite_link (const char *config_path, const char *label, const char *ttl,
                      gint uses, gint64 now_unix, GError **error)
{
  RpServeConfig c;
  g_autofree char *invite = NULL;
  gint64 ttl_s = 0;
  char *link = NULL;

  if (label == NULL || !rp_invite_label_valid (label)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "invite: give --label TEXT, 1 to %d octets without control characters "
                 "(who the link is for, e.g. 'alice, hotel wifi')", RP_INVITE_LABEL_MAX);
    return NULL;
  }
  if (uses < 1 || uses > RP_INVITE_USES_MAX) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "invite: --uses must be between 1 and %d", RP_INVITE_USES_MAX);
    return NULL;
  }
  if (!rp_invite_parse_duration (ttl != NULL ? ttl : RP_SERVE_INVITE_TTL_DEFAULT,
                                 RP_INVITE_TTL_MIN_S, RP_INVITE_TTL_MAX_S, &ttl_s, error)) {
    g_prefix_error (error, "invite: --ttl ");
    return NULL;
  }
  if (!rp_serve_config_load (&c, config_path, error)) {
    rp_serve_config_clear (&c);   /* what was loaded before the bad key */
    return NULL;
  }
  if (c.public_url == NULL)
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                 "%s: [tester] public_url: invites need the URL testers reach the reflector at",
                 config_path);
  else
    invite = rp_invite_make (c.secret, strlen (c.secret), label, now_unix + ttl_s, (guint) uses,
                             error);
  if (invite != NULL)
    link = g_strconcat (c.public_url, "/test#", invite, NULL);
  rp_serve_config_clear (&c);
  return link;
}
