/* Deployment profiles (profile.h). The keys are one table: section, key,
 * type and where the value goes, so the parser, the unknown-key check and
 * the documentation cannot drift apart. A typo is an error naming the key:
 * a misspelt key that was silently ignored would silently skip a check. */
#include "probe/core/profile.h"

#include <gio/gio.h>
#include <string.h>

#include "common/ini-load.h"
#include "probe/core/portlist.h"
#include "probe/core/target.h"

typedef enum {
  K_STRING,
  K_PATH,       /* a file; relative to the profile's folder */
  K_LIST,       /* separated by ; , or blanks */
  K_INT,
  K_DOUBLE,
  K_BOOL,
  K_THRESHOLD,  /* appended to voice_thresholds as key=value */
} KeyType;

typedef struct {
  const char *section;
  const char *key;
  KeyType type;
  gsize offset;
} KeyDef;

#define F(member) G_STRUCT_OFFSET (RpProfile, member)

static const KeyDef keys[] = {
  { "deployment", "domain", K_STRING, F (domain) },
  { "deployment", "ca_file", K_PATH, F (ca_file) },
  { "web", "app_url", K_STRING, F (app_url) },
  { "web", "api_url", K_STRING, F (api_url) },
  { "web", "health_url", K_STRING, F (health_url) },
  { "web", "health_expect", K_LIST, F (health_expect) },
  { "web", "origin", K_STRING, F (origin) },
  { "web", "socketio_url", K_STRING, F (socketio_url) },
  { "web", "http_urls", K_LIST, F (http_urls) },
  { "files", "cdn_url", K_STRING, F (cdn_url) },
  { "files", "file_hash", K_STRING, F (file_hash) },
  { "files", "file_url", K_STRING, F (file_url) },
  { "turn", "uris", K_LIST, F (turn_uris) },
  { "turn", "user", K_STRING, F (turn_user) },
  { "turn", "password_file", K_PATH, F (turn_password_file) },
  { "turn", "password_env", K_STRING, F (turn_password_env) },
  { "turn", "secret_file", K_PATH, F (turn_secret_file) },
  { "turn", "secret_env", K_STRING, F (turn_secret_env) },
  { "turn", "rest_ttl", K_INT, F (rest_ttl) },
  { "turn", "audit", K_BOOL, F (audit) },
  { "livekit", "url", K_STRING, F (livekit_url) },
  { "livekit", "key", K_STRING, F (livekit_key) },
  { "livekit", "secret_file", K_PATH, F (livekit_secret_file) },
  { "livekit", "secret_env", K_STRING, F (livekit_secret_env) },
  { "reflector", "url", K_STRING, F (reflector_url) },
  { "reflector", "secret_file", K_PATH, F (reflector_secret_file) },
  { "reflector", "secret_env", K_STRING, F (reflector_secret_env) },
  { "voice", "enabled", K_BOOL, F (voice) },
  { "voice", "duration", K_DOUBLE, F (voice_duration_s) },
  { "voice", "codec", K_STRING, F (voice_codec) },
  { "voice", "warn_mos", K_THRESHOLD, F (voice_thresholds) },
  { "voice", "warn_rtt_p95_ms", K_THRESHOLD, F (voice_thresholds) },
  { "voice", "warn_jitter_ms", K_THRESHOLD, F (voice_thresholds) },
  { "voice", "warn_loss_pct", K_THRESHOLD, F (voice_thresholds) },
  { "voice", "fail_mos", K_THRESHOLD, F (voice_thresholds) },
  { "voice", "fail_loss_pct", K_THRESHOLD, F (voice_thresholds) },
  { "ports", "host", K_STRING, F (ports_host) },
  { "ports", "list", K_STRING, F (ports) },
};

#define FIELD(p, off, type) (*(type *) G_STRUCT_MEMBER_P ((p), (off)))

static RpProfile *
profile_new (const char *source)
{
  RpProfile *p = g_new0 (RpProfile, 1);

  p->source = g_strdup (source);
  p->rest_ttl = 3600;
  p->voice = TRUE;
  return p;
}

void
rp_profile_free (RpProfile *p)
{
  if (p == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    switch (keys[i].type) {
    case K_STRING:
    case K_PATH:
      g_clear_pointer (&FIELD (p, keys[i].offset, char *), g_free);
      break;
    case K_LIST:
    case K_THRESHOLD:
      g_clear_pointer (&FIELD (p, keys[i].offset, char **), g_strfreev);
      break;
    case K_INT:
    case K_DOUBLE:
    case K_BOOL:
      break;
    }
  }
  g_free (p->source);
  g_free (p);
}

static gboolean
fail (GError **error, const char *source, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, const char *source, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "profile %s: %s", source, msg);
  return FALSE;
}

static const KeyDef *
find_key (const char *section, const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_equal (keys[i].section, section) && g_str_equal (keys[i].key, key))
      return &keys[i];
  return NULL;
}

static gboolean
known_section (const char *section)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_equal (keys[i].section, section))
      return TRUE;
  return FALSE;
}

/* password=, secret=, turn_password=, api_secret=...: anything but the
 * _file and _env forms puts a credential in the profile. */
static gboolean
is_inline_secret (const char *key)
{
  return g_str_has_suffix (key, "password") || g_str_has_suffix (key, "secret") ||
         g_str_equal (key, "token") || g_str_has_suffix (key, "_token");
}

static char **
split_list (const char *value)
{
  g_auto (GStrv) parts = g_strsplit_set (value, ";, \t", -1);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      g_strv_builder_add (b, parts[i]);
  return g_strv_builder_end (b);
}

static gboolean
set_value (RpProfile *p, const KeyDef *k, const char *value, const char *dir, GError **error)
{
  char *end = NULL;

  switch (k->type) {
  case K_STRING:
    if (*value == '\0')
      return fail (error, p->source, "[%s] %s is empty", k->section, k->key);
    g_free (FIELD (p, k->offset, char *));
    FIELD (p, k->offset, char *) = g_strdup (value);
    return TRUE;
  case K_PATH:
    if (*value == '\0')
      return fail (error, p->source, "[%s] %s is empty", k->section, k->key);
    g_free (FIELD (p, k->offset, char *));
    FIELD (p, k->offset, char *) =
      g_path_is_absolute (value) ? g_strdup (value) : g_build_filename (dir, value, NULL);
    return TRUE;
  case K_LIST:
    g_strfreev (FIELD (p, k->offset, char **));
    FIELD (p, k->offset, char **) = split_list (value);
    return TRUE;
  case K_INT: {
    gint64 v = g_ascii_strtoll (value, &end, 10);
    if (end == value || *end != '\0' || v < G_MININT || v > G_MAXINT)
      return fail (error, p->source, "[%s] %s = %s is not a whole number", k->section, k->key,
                   value);
    FIELD (p, k->offset, gint) = (gint) v;
    return TRUE;
  }
  case K_DOUBLE: {
    double v = g_ascii_strtod (value, &end);
    if (end == value || *end != '\0' || !(v == v))
      return fail (error, p->source, "[%s] %s = %s is not a number", k->section, k->key, value);
    FIELD (p, k->offset, double) = v;
    return TRUE;
  }
  case K_BOOL:
    if (g_ascii_strcasecmp (value, "true") == 0 || g_str_equal (value, "1") ||
        g_ascii_strcasecmp (value, "yes") == 0)
      FIELD (p, k->offset, gboolean) = TRUE;
    else if (g_ascii_strcasecmp (value, "false") == 0 || g_str_equal (value, "0") ||
             g_ascii_strcasecmp (value, "no") == 0)
      FIELD (p, k->offset, gboolean) = FALSE;
    else
      return fail (error, p->source, "[%s] %s = %s: write true or false", k->section, k->key,
                   value);
    return TRUE;
  case K_THRESHOLD: {
    char ***list = &FIELD (p, k->offset, char **);
    guint n = *list != NULL ? g_strv_length (*list) : 0;
    *list = g_renew (char *, *list, n + 2);
    (*list)[n] = g_strdup_printf ("%s=%s", k->key, value);
    (*list)[n + 1] = NULL;
    return TRUE;
  }
  }
  return FALSE;
}

RpProfile *
rp_profile_load (const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (RpProfile) p = profile_new (path);
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) groups = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *abs = NULL;

  if (!rp_ini_load (kf, path, &local)) {
    fail (error, path, "%s", local->message);
    return NULL;
  }
  abs = g_canonicalize_filename (path, NULL);
  dir = g_path_get_dirname (abs);
  groups = g_key_file_get_groups (kf, NULL);
  /* Secrets first: an inline password is refused even in an unknown section. */
  for (guint g = 0; groups[g] != NULL; g++) {
    g_auto (GStrv) names = g_key_file_get_keys (kf, groups[g], NULL, NULL);
    for (guint i = 0; names != NULL && names[i] != NULL; i++)
      if (is_inline_secret (names[i])) {
        fail (error, path,
              "[%s] %s= puts a secret in the profile: name a file (%s_file=) or an environment "
              "variable (%s_env=) instead",
              groups[g], names[i], names[i], names[i]);
        return NULL;
      }
  }
  for (guint g = 0; groups[g] != NULL; g++) {
    g_auto (GStrv) names = NULL;

    if (!known_section (groups[g])) {
      fail (
        error, path,
        "unknown section [%s] (sections: deployment web files turn livekit reflector voice ports)",
        groups[g]);
      return NULL;
    }
    names = g_key_file_get_keys (kf, groups[g], NULL, NULL);
    for (guint i = 0; names != NULL && names[i] != NULL; i++) {
      const KeyDef *k = find_key (groups[g], names[i]);
      g_autofree char *value = NULL;

      if (k == NULL) {
        fail (error, path, "unknown key '%s' in [%s]", names[i], groups[g]);
        return NULL;
      }
      /* GLib can return a value and set an error (an invalid escape), so
       * the error decides: a value with an error is refused. */
      value = g_key_file_get_string (kf, groups[g], names[i], &local);
      if (local != NULL) {
        fail (error, path, "[%s] %s: %s", groups[g], names[i], local->message);
        return NULL;
      }
      g_strstrip (value);
      if (!set_value (p, k, value, dir, error))
        return NULL;
    }
  }
  return g_steal_pointer (&p);
}

RpProfile *
rp_profile_new_for_domain (const char *domain, GError **error)
{
  g_autofree char *uri = g_strdup_printf ("https://%s/", domain);
  g_autoptr (RpTarget) t = rp_target_parse (uri, NULL);
  RpProfile *p;

  if (t == NULL || t->host_is_ip || strchr (domain, '/') != NULL || strchr (domain, ':') != NULL) {
    g_set_error (
      error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
      "check: '%s' is not a domain name (give example.org; app., api. and cdn. are added)", domain);
    return NULL;
  }
  p = profile_new (NULL);
  p->source = g_strdup_printf ("domain %s", domain);
  p->domain = g_strdup (domain);
  return p;
}

/* base + "/" + rest, with exactly one slash between them. */
static char *
url_join (const char *base, const char *rest)
{
  gsize n = strlen (base);

  while (n > 0 && base[n - 1] == '/')
    n--;
  return g_strdup_printf ("%.*s/%s", (int) n, base, rest);
}

static void
set_default (char **field, char *value)
{
  if (*field == NULL)
    *field = value;
  else
    g_free (value);
}

typedef struct {
  const char *name;
  gsize offset;
  RpScheme a, b;
} UrlRule;

static const UrlRule url_rules[] = {
  { "[web] app_url", F (app_url), RP_SCHEME_HTTPS, RP_SCHEME_HTTP },
  { "[web] api_url", F (api_url), RP_SCHEME_HTTPS, RP_SCHEME_HTTP },
  { "[web] health_url", F (health_url), RP_SCHEME_HTTPS, RP_SCHEME_HTTP },
  { "[web] origin", F (origin), RP_SCHEME_HTTPS, RP_SCHEME_HTTP },
  { "[web] socketio_url", F (socketio_url), RP_SCHEME_WSS, RP_SCHEME_WS },
  { "[files] cdn_url", F (cdn_url), RP_SCHEME_HTTPS, RP_SCHEME_HTTP },
  { "[files] file_url", F (file_url), RP_SCHEME_HTTPS, RP_SCHEME_HTTP },
  { "[livekit] url", F (livekit_url), RP_SCHEME_WSS, RP_SCHEME_WS },
  { "[reflector] url", F (reflector_url), RP_SCHEME_WSS, RP_SCHEME_WS },
};

static gboolean
check_urls (RpProfile *p, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (url_rules); i++) {
    const char *url = FIELD (p, url_rules[i].offset, char *);
    g_autoptr (GError) local = NULL;
    g_autoptr (RpTarget) t = NULL;

    if (url == NULL)
      continue;
    t = rp_target_parse (url, &local);
    if (t == NULL)
      return fail (error, p->source, "%s: %s", url_rules[i].name, local->message);
    if (t->scheme != url_rules[i].a && t->scheme != url_rules[i].b)
      return fail (error, p->source, "%s = %s: give a %s:// or %s:// URL", url_rules[i].name, url,
                   rp_scheme_to_string (url_rules[i].a), rp_scheme_to_string (url_rules[i].b));
  }
  for (guint i = 0; p->http_urls != NULL && p->http_urls[i] != NULL; i++) {
    g_autoptr (RpTarget) t = rp_target_parse (p->http_urls[i], NULL);
    if (t == NULL || t->scheme != RP_SCHEME_HTTP)
      return fail (error, p->source, "[web] http_urls: '%s' is not an http:// URL",
                   p->http_urls[i]);
  }
  for (guint i = 0; p->health_expect != NULL && p->health_expect[i] != NULL; i++) {
    const char *eq = strchr (p->health_expect[i], '=');
    if (eq == NULL || eq == p->health_expect[i])
      return fail (error, p->source,
                   "[web] health_expect: write KEY=VALUE, e.g. status=ok, not '%s'",
                   p->health_expect[i]);
  }
  return TRUE;
}

/* scheme://host[:port] of an http(s) URL. */
static char *
origin_of (const char *url)
{
  g_autoptr (RpTarget) t = rp_target_parse (url, NULL);
  g_autofree char *hp = NULL;

  if (t == NULL)
    return NULL;
  if (!t->port_explicit)
    return g_strdup_printf ("%s://%s", rp_scheme_to_string (t->scheme), t->host);
  hp = rp_target_hostport (t);
  return g_strdup_printf ("%s://%s", rp_scheme_to_string (t->scheme), hp);
}

/* https://h/x -> wss://h/x, http -> ws. */
static char *
to_ws (const char *url)
{
  if (g_str_has_prefix (url, "https://"))
    return g_strconcat ("wss://", url + 8, NULL);
  if (g_str_has_prefix (url, "http://"))
    return g_strconcat ("ws://", url + 7, NULL);
  return g_strdup (url);
}

gboolean
rp_profile_finish (RpProfile *p, GError **error)
{
  const char *d = p->domain;

  if (p->turn_password_file != NULL && p->turn_password_env != NULL)
    return fail (error, p->source, "[turn] give password_file or password_env, not both");
  if (p->turn_secret_file != NULL && p->turn_secret_env != NULL)
    return fail (error, p->source, "[turn] give secret_file or secret_env, not both");
  if ((p->turn_secret_file != NULL || p->turn_secret_env != NULL)
      && (p->turn_password_file != NULL || p->turn_password_env != NULL))
    return fail (error, p->source,
                 "[turn] a password (long-term credentials) and a secret (REST credentials) "
                 "exclude each other");
  if (p->livekit_secret_file != NULL && p->livekit_secret_env != NULL)
    return fail (error, p->source, "[livekit] give secret_file or secret_env, not both");
  if (p->reflector_secret_file != NULL && p->reflector_secret_env != NULL)
    return fail (error, p->source, "[reflector] give secret_file or secret_env, not both");
  if (p->rest_ttl < -86400 * 365 || p->rest_ttl > 86400 * 365)
    return fail (error, p->source, "[turn] rest_ttl must be within a year");
  if (p->voice_duration_s != 0 && !(p->voice_duration_s >= 1 && p->voice_duration_s <= 3600))
    return fail (error, p->source, "[voice] duration must be between 1 and 3600 seconds");
  if (p->voice_duration_s == 0)
    p->voice_duration_s = 5;

  if (d != NULL) {
    set_default (&p->app_url, g_strdup_printf ("https://app.%s/", d));
    set_default (&p->api_url, g_strdup_printf ("https://api.%s/", d));
    set_default (&p->cdn_url, g_strdup_printf ("https://cdn.%s/", d));
    set_default (&p->livekit_url, g_strdup_printf ("wss://%s:7880", d));
    if (p->turn_uris == NULL) {
      p->turn_uris = g_new0 (char *, 3);
      p->turn_uris[0] = g_strdup_printf ("turn:api.%s:3478", d);
      p->turn_uris[1] = g_strdup_printf ("turns:api.%s:5349", d);
    }
  }
  if (p->api_url != NULL) {
    g_autofree char *ws = to_ws (p->api_url);
    set_default (&p->health_url, url_join (p->api_url, "health"));
    set_default (&p->socketio_url, url_join (ws, "socket.io/"));
    if (p->file_hash != NULL)
      set_default (&p->file_url, url_join (p->api_url, "api/v1/files/"));
  }
  if (p->file_hash != NULL && p->file_url != NULL && g_str_has_suffix (p->file_url, "/")) {
    char *full = g_strconcat (p->file_url, p->file_hash, NULL);
    g_free (p->file_url);
    p->file_url = full;
  }
  if (p->health_expect == NULL && p->health_url != NULL) {
    p->health_expect = g_new0 (char *, 2);
    p->health_expect[0] = g_strdup ("status=ok");
  }
  if (p->origin == NULL && p->app_url != NULL)
    p->origin = origin_of (p->app_url);
  if (!check_urls (p, error))
    return FALSE;
  if (p->ports_host == NULL) {
    g_autoptr (GError) local = NULL;
    g_autoptr (GPtrArray) turn = rp_profile_turn_targets (p, &local);
    if (turn == NULL) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
    if (turn->len > 0)
      p->ports_host = g_strdup (((RpTarget *) g_ptr_array_index (turn, 0))->host);
    else if (p->api_url != NULL) {
      g_autoptr (RpTarget) t = rp_target_parse (p->api_url, NULL);
      p->ports_host = g_strdup (t->host);
    }
  }
  if (p->ports != NULL) {
    g_autoptr (GError) local = NULL;
    g_autoptr (GArray) list = rp_portlist_parse (p->ports, &local);
    if (list == NULL)
      return fail (error, p->source, "[ports] list: %s", local->message);
  }
  if (p->app_url == NULL && p->api_url == NULL && p->health_url == NULL && p->turn_uris == NULL &&
      p->livekit_url == NULL)
    return fail (
      error, p->source,
      "nothing to check: give [deployment] domain, or [web] api_url, [turn] uris, [livekit] url");
  return TRUE;
}

static void
add_unique_host (GPtrArray *hosts, const char *url)
{
  g_autoptr (RpTarget) t = NULL;

  if (url == NULL || (t = rp_target_parse (url, NULL)) == NULL)
    return;
  for (guint i = 0; i < hosts->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (hosts, i), t->host) == 0)
      return;
  g_ptr_array_add (hosts, g_strdup (t->host));
}

GPtrArray *
rp_profile_hosts (const RpProfile *p)
{
  GPtrArray *hosts = g_ptr_array_new_with_free_func (g_free);
  const char *urls[] = { p->app_url, p->api_url,  p->health_url,  p->socketio_url,
                         p->cdn_url, p->file_url, p->livekit_url, p->reflector_url };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    add_unique_host (hosts, urls[i]);
  for (guint i = 0; p->turn_uris != NULL && p->turn_uris[i] != NULL; i++)
    add_unique_host (hosts, p->turn_uris[i]);
  return hosts;
}

static RpTarget *
turn_variant (const RpTarget *t, RpTransport transport)
{
  g_autofree char *host =
    t->host_is_ip && strchr (t->host, ':') ? g_strdup_printf ("[%s]", t->host) : g_strdup (t->host);
  g_autofree char *uri =
    g_strdup_printf ("turn:%s:%u?transport=%s", host, t->port, rp_transport_to_string (transport));
  return rp_target_parse (uri, NULL);
}

static void
add_target (GPtrArray *out, RpTarget *t)
{
  for (guint i = 0; i < out->len; i++) {
    const RpTarget *o = g_ptr_array_index (out, i);
    if (o->transport == t->transport && o->port == t->port &&
        g_ascii_strcasecmp (o->host, t->host) == 0) {
      rp_target_free (t);
      return;
    }
  }
  g_ptr_array_add (out, t);
}

GPtrArray *
rp_profile_turn_targets (const RpProfile *p, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);

  for (guint i = 0; p->turn_uris != NULL && p->turn_uris[i] != NULL; i++) {
    g_autoptr (GError) local = NULL;
    g_autoptr (RpTarget) t = rp_target_parse (p->turn_uris[i], &local);

    if (t == NULL) {
      fail (error, p->source, "[turn] uris: %s", local->message);
      return NULL;
    }
    if (t->scheme != RP_SCHEME_TURN && t->scheme != RP_SCHEME_TURNS) {
      fail (error, p->source, "[turn] uris: '%s' is not a turn: or turns: URI", p->turn_uris[i]);
      return NULL;
    }
    if (t->scheme == RP_SCHEME_TURN && !t->transport_explicit) {
      add_target (out, turn_variant (t, RP_TRANSPORT_UDP));
      add_target (out, turn_variant (t, RP_TRANSPORT_TCP));
    } else {
      add_target (out, g_steal_pointer (&t));
    }
  }
  return g_steal_pointer (&out);
}

static void
add_port (GString *s, const char *url, const char *host)
{
  g_autoptr (RpTarget) t = url != NULL ? rp_target_parse (url, NULL) : NULL;

  g_autofree char *entry = NULL;
  g_autofree char *all = NULL;

  if (t == NULL || g_ascii_strcasecmp (t->host, host) != 0)
    return;
  entry = g_strdup_printf (",%u/%s,", t->port, t->transport == RP_TRANSPORT_UDP ? "udp" : "tcp");
  all = g_strdup_printf (",%s,", s->str);
  if (strstr (all, entry) == NULL)
    g_string_append_printf (s, "%s%.*s", s->len > 0 ? "," : "", (int) strlen (entry) - 2,
                            entry + 1);
}

char *
rp_profile_port_list (const RpProfile *p)
{
  g_autoptr (GPtrArray) turn = NULL;
  GString *s;
  const char *urls[] = { p->app_url, p->api_url,  p->health_url,  p->socketio_url,
                         p->cdn_url, p->file_url, p->livekit_url, p->reflector_url };

  if (p->ports != NULL)
    return g_strdup (p->ports);
  if (p->domain != NULL)
    return g_strdup (RP_PORTLIST_DEFAULT);
  s = g_string_new (NULL);
  if (p->ports_host == NULL)
    return g_string_free (s, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    add_port (s, urls[i], p->ports_host);
  for (guint i = 0; p->http_urls != NULL && p->http_urls[i] != NULL; i++)
    add_port (s, p->http_urls[i], p->ports_host);
  turn = rp_profile_turn_targets (p, NULL);
  for (guint i = 0; turn != NULL && i < turn->len; i++)
    add_port (s, ((RpTarget *) g_ptr_array_index (turn, i))->uri, p->ports_host);
  return g_string_free (s, FALSE);
}
