/* Fuzz target: the reflector's INI file (`rtcprobe serve --config`), and its
 * listen addresses. Loading either succeeds with a configuration the server
 * can run (a signalling port, an absolute path, numeric trusted proxies,
 * TURN URIs, limits above zero, a secret of 16 or more characters) or fails
 * with a one-line error naming the key. The bytes go through a file, the
 * only way a configuration comes in; "@SECRET@" in them names a secret file
 * the target writes, so seeds can load completely. No name is resolved
 * while loading. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "reflector/serve-config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
one_line (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_null (strchr (error->message, '\n'));
  g_assert_cmpuint (strlen (error->message), <, 1024);
}

static void
check_listen (const RpServeListen *l)
{
  g_assert_nonnull (l->address);
  g_assert_true (*l->address == '\0' || g_hostname_is_ip_address (l->address));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *path, *secret;
  g_autofree char *first = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) parts = NULL;
  g_autoptr (GError) error = NULL;
  RpServeConfig c = { 0 };
  RpServeListen l = { 0 };
  const uint8_t *nl = memchr (data, '\n', size);

  /* The first line as a listen address on its own. */
  first = g_strndup ((const char *) data, nl != NULL ? (gsize) (nl - data) : size);
  if (rp_serve_parse_listen (first, &l, &error)) {
    check_listen (&l);
    g_assert_true (l.port > 0 || *l.address == '\0');
  } else {
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    one_line (error);
  }
  g_free (l.address);
  g_clear_error (&error);

  if (path == NULL) {
    path = g_strdup_printf ("%s/rtcprobe-fuzz-serve-%d.ini", g_get_tmp_dir (), (int) getpid ());
    secret =
      g_strdup_printf ("%s/rtcprobe-fuzz-serve-%d.secret", g_get_tmp_dir (), (int) getpid ());
    if (!g_file_set_contents (secret, "fuzz-secret-0123456789abcdef\n", -1, NULL))
      return 0;
  }
  text = g_strndup ((const char *) data, size);
  parts = g_strsplit (text, "@SECRET@", -1);
  g_free (text);
  text = g_strjoinv (secret, parts);
  if (!g_file_set_contents (path, text, -1, NULL))
    return 0;
  if (!rp_serve_config_load (&c, path, &error)) {
    one_line (error);
    rp_serve_config_clear (&c);
    g_unlink (path);
    return 0;
  }
  g_assert_no_error (error);
  check_listen (&c.websocket);
  g_assert_cmpuint (c.websocket.port, >, 0);
  check_listen (&c.udp);
  check_listen (&c.tcp);
  g_assert_true (c.path != NULL && c.path[0] == '/');
  g_assert_true ((c.tls_cert == NULL) == (c.tls_key == NULL));
  for (guint i = 0; c.trusted_proxies != NULL && c.trusted_proxies[i] != NULL; i++)
    g_assert_true (g_hostname_is_ip_address (c.trusted_proxies[i]));
  g_assert_nonnull (c.secret);
  g_assert_cmpuint (strlen (c.secret), >=, 16);
  for (guint i = 0; c.turn != NULL && i < c.turn->len; i++) {
    const RpTarget *t = g_ptr_array_index (c.turn, i);
    g_assert_true (t->scheme == RP_SCHEME_TURN || t->scheme == RP_SCHEME_TURNS);
  }
  g_assert_true (c.turn_password == NULL || c.turn_secret == NULL);
  g_assert_cmpuint (c.max_sessions, >, 0);
  g_assert_cmpuint (c.max_connections, >, 0);
  g_assert_cmpuint (c.max_packet, >, 0);
  g_assert_cmpint (c.session_lifetime_s, >, 0);
  g_assert_cmpint (c.hello_timeout_s, >, 0);
  g_assert_cmpfloat (c.session_packet_rate, >, 0);
  g_assert_cmpuint (c.tcp_connections_per_source, >, 0);
  g_assert_cmpint (c.tcp_frame_timeout_s, >, 0);
  rp_serve_config_clear (&c);
  g_unlink (path);
  return 0;
}
