/* Fuzz target for rp_portlist_parse(): any input either fails with a one-line
 * G_IO_ERROR_INVALID_ARGUMENT or gives 1..RP_PORTLIST_MAX distinct, non-zero
 * ports that, written back out, parse to the same list. */
#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

#include "probe/core/portlist.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) a = rp_portlist_parse (text, &error);
  g_autoptr (GHashTable) seen = NULL;
  g_autoptr (GString) out = NULL;

  if (a == NULL) {
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_null (strchr (error->message, '\n'));
    g_assert_cmpuint (strlen (error->message), <, 512);
    return 0;
  }
  g_assert_no_error (error);
  g_assert_cmpuint (a->len, >, 0);
  g_assert_cmpuint (a->len, <=, RP_PORTLIST_MAX);

  seen = g_hash_table_new (NULL, NULL);
  out = g_string_new (NULL);
  for (guint i = 0; i < a->len; i++) {
    RpPortSpec *p = &g_array_index (a, RpPortSpec, i);
    guint key = (guint) p->proto << 16 | p->port;

    g_assert_cmpuint (p->port, >, 0);
    g_assert_true (g_hash_table_add (seen, GUINT_TO_POINTER (key)));
    g_string_append_printf (out, "%s%u/%s", i ? "," : "", p->port,
                            rp_port_proto_to_string (p->proto));
  }

  g_autoptr (GArray) again = rp_portlist_parse (out->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, a->len);
  for (guint i = 0; i < a->len; i++) {
    g_assert_cmpuint (g_array_index (again, RpPortSpec, i).port, ==,
                      g_array_index (a, RpPortSpec, i).port);
    g_assert_cmpint (g_array_index (again, RpPortSpec, i).proto, ==,
                     g_array_index (a, RpPortSpec, i).proto);
  }
  return 0;
}
