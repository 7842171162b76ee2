/* Fuzz target for rp_target_parse(): any input either fails with a one-line
 * G_IO_ERROR_INVALID_ARGUMENT or gives a target whose fields are consistent
 * and whose normalised uri parses back to the same fields. */
#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

#include "probe/core/target.h"

static void
check_same (const RpTarget *a, const RpTarget *b)
{
  g_assert_cmpint (a->scheme, ==, b->scheme);
  g_assert_cmpstr (a->host, ==, b->host);
  g_assert_cmpint (a->host_is_ip, ==, b->host_is_ip);
  g_assert_cmpuint (a->port, ==, b->port);
  g_assert_cmpint (a->port_explicit, ==, b->port_explicit);
  g_assert_cmpint (a->transport, ==, b->transport);
  g_assert_cmpint (a->transport_explicit, ==, b->transport_explicit);
  g_assert_cmpstr (a->path, ==, b->path);
  g_assert_cmpstr (a->query, ==, b->query);
  g_assert_cmpstr (a->uri, ==, b->uri);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (RpTarget) t = rp_target_parse (text, &error);

  if (t == NULL) {
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_null (strchr (error->message, '\n'));
    g_assert_cmpuint (strlen (error->message), <, 512);
    return 0;
  }
  g_assert_no_error (error);

  g_assert_nonnull (t->host);
  g_assert_cmpstr (t->host, !=, "");
  g_assert_cmpuint (t->port, >, 0);
  g_assert_cmpint (t->host_is_ip, ==, g_hostname_is_ip_address (t->host));
  g_assert_cmpstr (rp_scheme_to_string (t->scheme), !=, "unknown");
  g_assert_cmpstr (rp_transport_to_string (t->transport), !=, "unknown");
  gboolean url = t->scheme >= RP_SCHEME_HTTP;
  g_assert_true (url == (t->path != NULL));
  g_assert_true (url || t->query == NULL);
  for (const char *p = t->uri; *p != '\0'; p++)
    g_assert_true (*p > 0x20 && *p < 0x7f);

  g_autofree char *hp = rp_target_hostport (t);
  g_autofree char *port = g_strdup_printf (":%u", t->port);
  g_assert_true (g_str_has_suffix (hp, port));

  g_autoptr (RpTarget) again = rp_target_parse (t->uri, &error);
  g_assert_no_error (error);
  check_same (t, again);
  return 0;
}
