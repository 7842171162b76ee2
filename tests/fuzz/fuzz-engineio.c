/* Fuzz target for the Engine.IO / Socket.IO parsers: any bytes either fail
 * with G_IO_ERROR_INVALID_DATA or give packets whose strings are valid UTF-8
 * and whose namespace starts with '/'; the polling splitter never returns
 * more packets than asked and loses no byte of the ones it returns. */
#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

#include "probe/net/engineio.h"

static void
check_utf8 (const char *s)
{
  if (s != NULL)
    g_assert_true (g_utf8_validate (s, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  RpEioOpen open;
  RpSioPacket p;
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GPtrArray) parts = NULL;
  gsize total = 0;

  (void) rp_eio_packet_type (text, size);

  if (rp_eio_parse_open (text, size, &open, &e1)) {
    g_assert_nonnull (open.sid);
    g_assert_nonnull (open.upgrades);
    check_utf8 (open.sid);
    for (guint i = 0; open.upgrades[i] != NULL; i++)
      check_utf8 (open.upgrades[i]);
    g_assert_cmpint (open.ping_interval_ms, >=, -1);
  } else {
    g_assert_error (e1, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  rp_eio_open_clear (&open);

  if (rp_sio_parse (text, size, &p, &e2)) {
    g_assert_nonnull (p.nsp);
    g_assert_true (p.nsp[0] == '/');
    check_utf8 (p.nsp);
    check_utf8 (p.sid);
    check_utf8 (p.message);
    check_utf8 (p.data);
    g_assert_cmpint (p.type, >=, RP_SIO_CONNECT);
    g_assert_cmpint (p.type, <=, RP_SIO_BINARY_ACK);
  } else {
    g_assert_error (e2, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  rp_sio_packet_clear (&p);

  parts = rp_eio_polling_split (text, size, 16);
  g_assert_cmpuint (parts->len, >=, 1);
  g_assert_cmpuint (parts->len, <=, 16);
  for (guint i = 0; i < parts->len; i++)
    total += strlen (g_ptr_array_index (parts, i)) + 1;
  if (parts->len < 16 && memchr (text, '\0', size) == NULL)
    g_assert_cmpuint (total, ==, size + 1);
  return 0;
}
