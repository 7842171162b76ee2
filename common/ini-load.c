/* See ini-load.h. */
#include "common/ini-load.h"

#include <string.h>

#define REASON_MAX 160

gboolean
rp_ini_load (GKeyFile *kf, const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *valid = NULL;
  g_autofree char *reason = NULL;

  if (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local))
    return TRUE;
  valid = g_utf8_make_valid (local->message, -1);
  if (g_utf8_strlen (valid, -1) > REASON_MAX) {
    g_autofree char *cut = g_utf8_substring (valid, 0, REASON_MAX);
    reason = g_strconcat (cut, "...", NULL);
  } else {
    reason = g_steal_pointer (&valid);
  }
  for (char *p = reason; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  g_set_error_literal (error, local->domain, local->code, reason);
  return FALSE;
}
