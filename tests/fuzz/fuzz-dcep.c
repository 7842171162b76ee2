/* Fuzz target for DCEP (rtc/webrtc/dcep.h). A DATA_CHANNEL_OPEN that parses
 * is built again and must come out octet for octet the same (reliable types
 * aside, whose reliability parameter is ignored), and its policy must give
 * back its channel type. Errors are one line. Any broken invariant aborts. */
#include <gio/gio.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/webrtc/dcep.h"

static void
require (gboolean ok)
{
  if (!ok)
    abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_auto (RpDcepOpen) o = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) again = NULL;
  RpDcepPolicy p;
  RpDcepOpen from = { 0 };
  gsize n;
  const guint8 *d;

  (void) rp_dcep_is_ack (data, size);
  if (!rp_dcep_open_parse (data, size, &o, &error)) {
    require (error != NULL && strchr (error->message, '\n') == NULL && o.label == NULL);
    return 0;
  }
  again = rp_dcep_open_build (&o);
  d = g_bytes_get_data (again, &n);
  require (n == size && memcmp (d + 8, data + 8, size - 8) == 0 && memcmp (d, data, 4) == 0);
  rp_dcep_policy (&o, &p);
  rp_dcep_open_from_policy (&p, &from);
  require (from.channel_type == o.channel_type && from.reliability == o.reliability);
  return 0;
}
