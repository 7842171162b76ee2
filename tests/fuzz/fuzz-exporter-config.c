/* Fuzz target: the exporter's INI file (`rtcprobe exporter --config`) and
 * the allow-list in it. Loading either succeeds with a configuration the
 * server can run (a numeric address and a port, limits above zero, modules
 * with a known kind and lowercase keys) or fails with a one-line error. The
 * first line is also tried as an allow_targets list on its own, and every
 * line after it as a host against the list. No name is resolved. */
#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

#include "exporter/exporter-config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
one_line (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_null (strchr (error->message, '\n'));
  g_assert_cmpuint (strlen (error->message), <, 1024);
}

static void
check_allow (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", 64);
  g_autoptr (GError) error = NULL;
  g_autoptr (RpAllowList) l = rp_allow_list_parse (lines[0], &error);

  if (l == NULL) {
    one_line (error);
    return;
  }
  for (guint i = 1; lines[i] != NULL; i++)
    if (rp_allow_list_permits (l, lines[i]))
      g_assert_cmpuint (rp_allow_list_size (l), >, 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (RpExporterConfig) c = NULL;

  check_allow (text);
  c = rp_exporter_config_parse ((const char *) data, size, &error);
  if (c == NULL) {
    one_line (error);
    return 0;
  }
  g_assert_true (g_hostname_is_ip_address (c->address));
  g_assert_cmpuint (c->port, >, 0);
  g_assert_cmpuint (c->max_in_flight, >, 0);
  g_assert_cmpuint (c->target_rate, >, 0);
  g_assert_cmpuint (c->max_connections, >, 0);
  g_assert_cmpuint (c->modules->len, <=, RP_EXPORTER_MODULES_MAX);
  for (guint i = 0; i < c->modules->len; i++) {
    const RpExporterModule *m = g_ptr_array_index (c->modules, i);
    g_assert_nonnull (m->kind);
    g_assert_true (rp_exporter_config_module (c, m->name) != NULL);
    g_assert_cmpuint (m->keys->len, ==, m->values->len);
    for (guint k = 0; k < m->keys->len; k++) {
      const char *key = g_ptr_array_index (m->keys, k);
      g_assert_cmpuint (strspn (key, "abcdefghijklmnopqrstuvwxyz0123456789_"), ==, strlen (key));
      g_assert_null (strpbrk (g_ptr_array_index (m->values, k), "\r\n"));
    }
  }
  return 0;
}
