/* Name resolution (see resolve.h). GResolver's lookups run in its worker
 * threads and call back on the caller's thread-default context; cancellation
 * by the check's deadline is honoured. */
#include "probe/core/resolve.h"

#include <string.h>

static GList *
dedupe (GList *addrs)
{
  GList *out = NULL;

  for (GList *l = addrs; l != NULL; l = l->next) {
    gboolean seen = FALSE;
    for (GList *o = out; o != NULL && !seen; o = o->next)
      seen = g_inet_address_equal (o->data, l->data);
    if (!seen)
      out = g_list_append (out, g_object_ref (l->data));
  }
  g_resolver_free_addresses (addrs);
  return out;
}

static void
on_lookup (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (GTask) task = data;
  GError *error = NULL;
  GList *addrs = g_resolver_lookup_by_name_with_flags_finish (G_RESOLVER (source), res, &error);

  if (addrs == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, dedupe (addrs), (GDestroyNotify) g_resolver_free_addresses);
}

void
rp_resolve_async (const char *host, RpFamily family, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GInetAddress) literal = g_inet_address_new_from_string (host);
  g_autoptr (GResolver) resolver = NULL;
  GResolverNameLookupFlags flags = G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT;

  g_task_set_source_tag (task, rp_resolve_async);
  if (literal != NULL) {
    GSocketFamily f = g_inet_address_get_family (literal);
    if ((family == RP_FAMILY_V4 && f != G_SOCKET_FAMILY_IPV4)
        || (family == RP_FAMILY_V6 && f != G_SOCKET_FAMILY_IPV6)) {
      g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                               "%s is an IPv%c address, but -%c was given", host,
                               f == G_SOCKET_FAMILY_IPV4 ? '4' : '6',
                               family == RP_FAMILY_V4 ? '4' : '6');
    } else {
      g_task_return_pointer (task, g_list_append (NULL, g_object_ref (literal)),
                             (GDestroyNotify) g_resolver_free_addresses);
    }
    g_object_unref (task);
    return;
  }
  if (family == RP_FAMILY_V4)
    flags = G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY;
  else if (family == RP_FAMILY_V6)
    flags = G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY;
  resolver = g_resolver_get_default ();
  g_resolver_lookup_by_name_with_flags_async (resolver, host, flags, cancellable, on_lookup, task);
}

GList *
rp_resolve_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
rp_resolve_hint (const char *host, RpFamily family, const GError *error)
{
  if (g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND)) {
    if (family != RP_FAMILY_ANY)
      return g_strdup_printf ("%s has no %s record: add it in DNS, or drop -%c", host,
                              family == RP_FAMILY_V4 ? "A" : "AAAA",
                              family == RP_FAMILY_V4 ? '4' : '6');
    return g_strdup_printf ("%s does not resolve: create its A/AAAA record (the runbook's DNS "
                            "step) or check the spelling",
                            host);
  }
  if (g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE))
    return g_strdup_printf ("the DNS resolver of this network did not answer for %s: check this "
                            "machine's DNS settings or retry",
                            host);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup_printf (
      "no DNS answer for %s before the deadline: this network's resolver is slow or unreachable",
      host);
  return g_strdup_printf ("resolving %s failed: %s", host, error->message);
}

char *
rp_address_port_to_string (GInetAddress *address, guint16 port)
{
  g_autofree char *ip = g_inet_address_to_string (address);

  return rp_host_port_to_string (ip, port);
}

char *
rp_host_port_to_string (const char *host, guint16 port)
{
  gboolean v6 = strchr (host, ':') != NULL;

  return g_strdup_printf ("%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

const char *
rp_address_family_tag (GInetAddress *address)
{
  return g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 ? "ipv6" : "ipv4";
}

const char *
rp_address_text_family_tag (const char *address)
{
  if (address == NULL || *address == '\0')
    return NULL;
  if (*address == '[' || strchr (address, ':') != strrchr (address, ':'))
    return "ipv6";
  return g_ascii_isdigit (*address) ? "ipv4" : NULL;
}
