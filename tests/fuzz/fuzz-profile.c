/* Fuzz target: deployment profiles (INI) as users write them. Loading and
 * completing one either succeeds or fails with an error; it never crashes.
 * The bytes go through a file because that is the only way profiles come in. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <unistd.h>

#include "probe/core/profile.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *path;
  g_autoptr (RpProfile) p = NULL;

  if (path == NULL)
    path = g_strdup_printf ("%s/rtcprobe-fuzz-profile-%d.ini", g_get_tmp_dir (), (int) getpid ());
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    return 0;
  p = rp_profile_load (path, NULL);
  if (p != NULL && rp_profile_finish (p, NULL)) {
    g_autofree char *ports = rp_profile_port_list (p);
    g_autoptr (GPtrArray) turn = rp_profile_turn_targets (p, NULL);
  }
  g_unlink (path);
  return 0;
}
