/* Matching targets against [listen] allow_targets (see exporter-allow.h).
 * Address ranges are GInetAddressMask (CIDR, RFC 4632 section 3.1; IPv6
 * prefixes, RFC 4291 section 2.3). */
#include "exporter/exporter-allow.h"

#include <gio/gio.h>
#include <string.h>

#include "common/quote.h"

struct _RpAllowList {
  GPtrArray *names;     /* lowercase, no trailing dot */
  GPtrArray *suffixes;  /* ".example.org" for *.example.org */
  GPtrArray *ranges;    /* GInetAddressMask */
};

void
rp_allow_list_free (RpAllowList *list)
{
  if (list == NULL)
    return;
  g_ptr_array_unref (list->names);
  g_ptr_array_unref (list->suffixes);
  g_ptr_array_unref (list->ranges);
  g_free (list);
}

guint
rp_allow_list_size (const RpAllowList *list)
{
  return list->names->len + list->suffixes->len + list->ranges->len;
}

/* Lowercase without a trailing dot; NULL when not a host name (RFC 1123
 * section 2.1: letters, digits, hyphens, dots; labels of 1 to 63). */
static char *
normal_name (const char *s)
{
  g_autofree char *n = g_ascii_strdown (s, -1);
  gsize len = strlen (n);
  gsize label = 0;

  if (len > 0 && n[len - 1] == '.')
    n[--len] = '\0';
  if (len == 0 || len > 253)
    return NULL;
  for (gsize i = 0; i < len; i++) {
    if (n[i] == '.') {
      if (label == 0)
        return NULL;
      label = 0;
    } else if (g_ascii_isalnum (n[i]) || n[i] == '-' || n[i] == '_') {
      if (++label > 63)
        return NULL;
    } else {
      return NULL;
    }
  }
  return label == 0 ? NULL : g_steal_pointer (&n);
}

/* An address literal, without brackets; NULL when not one. */
static GInetAddress *
address_of (const char *s)
{
  gsize len = strlen (s);

  if (len > 2 && s[0] == '[' && s[len - 1] == ']') {
    g_autofree char *inner = g_strndup (s + 1, len - 2);
    return g_inet_address_new_from_string (inner);
  }
  return g_inet_address_new_from_string (s);
}

static gboolean
add_entry (RpAllowList *list, const char *e, GError **error)
{
  g_autoptr (GInetAddress) addr = NULL;
  g_autofree char *name = NULL;

  if (strchr (e, '/') != NULL) {
    GInetAddressMask *mask = g_inet_address_mask_new_from_string (e, NULL);
    if (mask != NULL) {
      g_ptr_array_add (list->ranges, mask);
      return TRUE;
    }
  } else if ((addr = address_of (e)) != NULL) {
    g_ptr_array_add (list->ranges,
                     g_inet_address_mask_new (addr, g_inet_address_get_native_size (addr) * 8, NULL));
    return TRUE;
  } else if (g_str_has_prefix (e, "*.") && (name = normal_name (e + 2)) != NULL) {
    g_ptr_array_add (list->suffixes, g_strconcat (".", name, NULL));
    return TRUE;
  } else if ((name = normal_name (e)) != NULL) {
    g_ptr_array_add (list->names, g_steal_pointer (&name));
    return TRUE;
  }
  {
    g_autofree char *shown = rp_quote_input (e, strlen (e), 64);
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "allow_targets: %s is not a host name, *.pattern or address range", shown);
  }
  return FALSE;
}

RpAllowList *
rp_allow_list_parse (const char *spec, GError **error)
{
  g_autoptr (RpAllowList) list = g_new0 (RpAllowList, 1);
  g_auto (GStrv) parts = g_strsplit_set (spec != NULL ? spec : "", ",; \t", -1);

  list->names = g_ptr_array_new_with_free_func (g_free);
  list->suffixes = g_ptr_array_new_with_free_func (g_free);
  list->ranges = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0' && !add_entry (list, parts[i], error))
      return NULL;
  return g_steal_pointer (&list);
}

gboolean
rp_allow_list_permits (const RpAllowList *list, const char *host)
{
  g_autoptr (GInetAddress) addr = NULL;
  g_autofree char *name = NULL;

  if (list == NULL || host == NULL)
    return FALSE;
  if ((addr = address_of (host)) != NULL) {
    for (guint i = 0; i < list->ranges->len; i++)
      if (g_inet_address_mask_matches (g_ptr_array_index (list->ranges, i), addr))
        return TRUE;
    return FALSE;
  }
  name = normal_name (host);
  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < list->names->len; i++)
    if (g_str_equal (name, g_ptr_array_index (list->names, i)))
      return TRUE;
  for (guint i = 0; i < list->suffixes->len; i++) {
    const char *suffix = g_ptr_array_index (list->suffixes, i);
    if (strlen (name) > strlen (suffix) && g_str_has_suffix (name, suffix))
      return TRUE;
  }
  return FALSE;
}
