/* Loading and checking the exporter's INI file (see exporter-config.h).
 * Unknown groups and [listen] keys are refused: a misspelt allow_targets
 * must not silently allow nothing, nor a misspelt limit fall back. */
#include "exporter/exporter-config.h"

#include <gio/gio.h>
#include <string.h>

#include "common/ini-load.h"
#include "common/quote.h"

static const char *const kinds[] = {
  "check", "ports", "stun", "turn", "ice", "http", "ws", "voice", NULL,
};
static const char *const listen_keys[] = {
  "address", "allow_targets", "max_in_flight", "target_rate", "max_connections", NULL,
};

static void
module_free (RpExporterModule *m)
{
  g_free (m->name);
  g_free (m->kind);
  g_ptr_array_unref (m->keys);
  g_ptr_array_unref (m->values);
  g_free (m->target);
  g_free (m);
}

void
rp_exporter_config_free (RpExporterConfig *c)
{
  if (c == NULL)
    return;
  g_free (c->address);
  g_clear_pointer (&c->allow, rp_allow_list_free);
  g_clear_pointer (&c->modules, g_ptr_array_unref);
  g_clear_pointer (&c->watches, g_ptr_array_unref);
  g_free (c);
}

const RpExporterModule *
rp_exporter_config_module (const RpExporterConfig *c, const char *name)
{
  for (guint i = 0; name != NULL && i < c->modules->len; i++) {
    const RpExporterModule *m = g_ptr_array_index (c->modules, i);
    if (g_str_equal (m->name, name))
      return m;
  }
  return NULL;
}

/* A group or key name for an error: valid UTF-8, no control character, at
 * most 64 characters. */
static char *
shown (const char *s)
{
  g_autofree char *valid = g_utf8_make_valid (s, -1);
  char *out = g_utf8_substring (valid, 0, MIN (g_utf8_strlen (valid, -1), 64));

  for (char *p = out; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return out;
}

static gboolean
bad (GError **error, const char *group, const char *key, const char *why)
{
  g_autofree char *g = shown (group);
  g_autofree char *k = key != NULL ? shown (key) : NULL;

  if (k != NULL)
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[%s] %s: %s", g, k, why);
  else
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[%s]: %s", g, why);
  return FALSE;
}

/* address = HOST:PORT, numeric, [IPv6]:PORT for IPv6. */
static gboolean
parse_address (RpExporterConfig *c, const char *text, GError **error)
{
  g_autofree char *host = NULL;
  const char *colon;
  guint64 port;

  if (text[0] == '[') {
    const char *close = strchr (text, ']');
    colon = close != NULL && close[1] == ':' ? close + 1 : NULL;
    host = close != NULL ? g_strndup (text + 1, close - text - 1) : NULL;
  } else {
    colon = strrchr (text, ':');
    host = colon != NULL ? g_strndup (text, colon - text) : NULL;
    if (host != NULL && strchr (host, ':') != NULL)
      colon = NULL;
  }
  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL)
      || !g_hostname_is_ip_address (host))
    return bad (error, "listen", "address", "write a numeric HOST:PORT, or [IPv6]:PORT");
  g_free (c->address);
  c->address = g_steal_pointer (&host);
  c->port = (guint16) port;
  return TRUE;
}

static gboolean
parse_count (GKeyFile *kf, const char *key, guint max, guint *out, GError **error)
{
  g_autofree char *v = g_key_file_get_value (kf, "listen", key, NULL);
  guint64 n;

  if (v == NULL)
    return TRUE;
  g_strstrip (v);
  if (!g_ascii_string_to_unsigned (v, 10, 1, max, &n, NULL)) {
    g_autofree char *why = g_strdup_printf ("give a whole number from 1 to %u", max);
    return bad (error, "listen", key, why);
  }
  *out = (guint) n;
  return TRUE;
}

static gboolean
load_listen (RpExporterConfig *c, GKeyFile *kf, GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (kf, "listen", NULL, NULL);
  g_autofree char *address = NULL;
  g_autofree char *allow = NULL;

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (!g_strv_contains (listen_keys, keys[i]))
      return bad (error, "listen", keys[i], "unknown key");
  address = g_key_file_get_value (kf, "listen", "address", NULL);
  if (address != NULL && !parse_address (c, g_strstrip (address), error))
    return FALSE;
  allow = g_key_file_get_value (kf, "listen", "allow_targets", NULL);
  if (allow != NULL) {
    c->allow = rp_allow_list_parse (allow, error);
    if (c->allow == NULL)
      return FALSE;
  }
  return parse_count (kf, "max_in_flight", 1024, &c->max_in_flight, error)
         && parse_count (kf, "target_rate", 6000, &c->target_rate, error)
         && parse_count (kf, "max_connections", 4096, &c->max_connections, error);
}

static gboolean
module_name_ok (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && strchr ("_-.", name[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* [module NAME], or with watch [watch NAME] (kind voice, a target). */
static gboolean
load_module (RpExporterConfig *c, GKeyFile *kf, const char *group, gboolean watch, GError **error)
{
  const char *name = strchr (group, ' ') + 1;
  g_auto (GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);
  GPtrArray *list = watch ? c->watches : c->modules;
  RpExporterModule *m;

  if (!module_name_ok (name))
    return bad (error, group, NULL,
                watch ? "a watch name is 1 to 64 letters, digits, '_', '-' or '.'"
                      : "a module name is 1 to 64 letters, digits, '_', '-' or '.'");
  if (list->len >= (watch ? RP_EXPORTER_WATCHES_MAX : RP_EXPORTER_MODULES_MAX))
    return bad (error, group, NULL, watch ? "too many watches" : "too many modules");
  m = g_new0 (RpExporterModule, 1);
  m->name = g_strdup (name);
  m->keys = g_ptr_array_new_with_free_func (g_free);
  m->values = g_ptr_array_new_with_free_func (g_free);
  if (watch)
    m->kind = g_strdup ("voice");
  g_ptr_array_add (list, m);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
    g_autofree char *v = g_key_file_get_value (kf, group, keys[i], NULL);
    if (v == NULL || strpbrk (v, "\r\n") != NULL)
      return bad (error, group, keys[i], "not a one-line value");
    if (watch && g_str_equal (keys[i], "target")) {
      if (*g_strstrip (v) == '\0')
        return bad (error, group, "target", "empty: a turn: URI or the reflector's URL");
      m->target = g_steal_pointer (&v);
      continue;
    }
    if (watch && g_str_equal (keys[i], "kind"))
      return bad (error, group, "kind", "a watch is a voice stream: leave kind out");
    if (watch && (g_str_equal (keys[i], "watch") || g_str_equal (keys[i], "duration")))
      return bad (error, group, keys[i], "a watch runs as long as the exporter");
    if (g_str_equal (keys[i], "kind")) {
      if (!g_strv_contains (kinds, g_strstrip (v)))
        return bad (error, group, "kind", "use check, ports, stun, turn, ice, http, ws or voice");
      m->kind = g_steal_pointer (&v);
      continue;
    }
    for (const char *p = keys[i]; *p != '\0'; p++)
      if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_')
        return bad (error, group, keys[i], "option keys are lowercase, with '_' for '-'");
    g_ptr_array_add (m->keys, g_strdup (keys[i]));
    g_ptr_array_add (m->values, g_steal_pointer (&v));
  }
  if (m->kind == NULL)
    return bad (error, group, "kind", "missing: say which command the module runs");
  if (watch && m->target == NULL)
    return bad (error, group, "target", "missing: a turn: URI or the reflector's URL");
  return TRUE;
}

static RpExporterConfig *
load (GKeyFile *kf, GError **error)
{
  g_autoptr (RpExporterConfig) c = g_new0 (RpExporterConfig, 1);
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);

  c->address = g_strdup (RP_EXPORTER_DEFAULT_ADDRESS);
  c->port = RP_EXPORTER_DEFAULT_PORT;
  c->max_in_flight = 4;
  c->target_rate = 12;
  c->max_connections = 64;
  c->modules = g_ptr_array_new_with_free_func ((GDestroyNotify) module_free);
  c->watches = g_ptr_array_new_with_free_func ((GDestroyNotify) module_free);
  for (guint i = 0; groups[i] != NULL; i++) {
    if (g_str_equal (groups[i], "listen")) {
      if (!load_listen (c, kf, error))
        return NULL;
    } else if (g_str_has_prefix (groups[i], "module ")) {
      if (!load_module (c, kf, groups[i], FALSE, error))
        return NULL;
    } else if (g_str_has_prefix (groups[i], "watch ")) {
      if (!load_module (c, kf, groups[i], TRUE, error))
        return NULL;
    } else {
      bad (error, groups[i], NULL,
           "unknown section (use [listen], [module NAME] and [watch NAME])");
      return NULL;
    }
  }
  return g_steal_pointer (&c);
}

RpExporterConfig *
rp_exporter_config_parse (const char *data, gsize len, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local = NULL;

  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, &local)) {
    g_autofree char *reason = rp_quote_input (local->message, strlen (local->message), 160);
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, "%s", reason);
    return NULL;
  }
  return load (kf, error);
}

RpExporterConfig *
rp_exporter_config_load (const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *shown = rp_quote_path (path);
  RpExporterConfig *c;

  if (!rp_ini_load (kf, path, error)) {
    g_prefix_error (error, "%s: ", shown);
    return NULL;
  }
  c = load (kf, error);
  if (c == NULL)
    g_prefix_error (error, "%s: ", shown);
  return c;
}
