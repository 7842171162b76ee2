/* Which hosts a probe names, for [listen] allow_targets (see exporter.h).
 * ports and check take a host; the other kinds a URI (RFC 7064/7065 for
 * stun:/turn:, RFC 3986 for http(s):// and ws(s)://). check probes the
 * domain and its app., api. and cdn. hosts (probe/checks/check-deployment.c),
 * so each must be allowed. */
#include "exporter/exporter.h"

#include <gio/gio.h>
#include <string.h>

#include "common/quote.h"
#include "probe/core/target.h"

#define TARGET_MAX 512

/* Adds s to b and frees it (g_strv_builder_take is GLib 2.80). */
static void
builder_take (GStrvBuilder *b, char *s)
{
  g_strv_builder_add (b, s);
  g_free (s);
}

static gboolean
bad_target (const char *kind, const char *target, const char *want, GError **error)
{
  g_autofree char *shown = rp_quote_input (target, strlen (target), 80);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: target %s is not %s", kind,
               shown, want);
  return FALSE;
}

/* A bare host: a name or an address literal, no port. */
static char *
bare_host (const char *target)
{
  g_autofree char *uri = NULL;
  g_autoptr (RpTarget) t = NULL;

  if (g_hostname_is_ip_address (target))
    return g_strdup (target);
  uri = g_strdup_printf ("stun:%s", target);
  t = rp_target_parse (uri, NULL);
  if (t == NULL || t->port_explicit || t->host_is_ip)
    return NULL;
  return g_strdup (t->host);
}

GStrv
rp_exporter_target_hosts (const char *kind, const char *target, GError **error)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_autoptr (RpTarget) t = NULL;

  if (target == NULL || *target == '\0' || strlen (target) > TARGET_MAX) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "give a target of 1 to %d characters", TARGET_MAX);
    return NULL;
  }
  if (g_str_equal (kind, "ports") || g_str_equal (kind, "check")) {
    g_autofree char *host = bare_host (target);
    if (host == NULL || (g_str_equal (kind, "check") && g_hostname_is_ip_address (host))) {
      bad_target (kind, target, g_str_equal (kind, "check") ? "a domain" : "a host", error);
      return NULL;
    }
    g_strv_builder_add (b, host);
    if (g_str_equal (kind, "check"))
      for (guint i = 0; i < 3; i++)
        builder_take (b, g_strconcat ((const char *[]) { "app.", "api.", "cdn." }[i],
                                             host, NULL));
    return g_strv_builder_end (b);
  }
  t = rp_target_parse (target, NULL);
  if (t == NULL) {
    bad_target (kind, target, "a URI", error);
    return NULL;
  }
  g_strv_builder_add (b, t->host);
  return g_strv_builder_end (b);
}
