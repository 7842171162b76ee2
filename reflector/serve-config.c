/* Loading and checking the reflector's INI file (see serve-config.h and the
 * documented example examples/serve.ini). Unknown groups and keys are
 * refused: a misspelt limit must not silently fall back to its default on
 * an internet-facing server. */
#include "reflector/serve-config.h"

#include <gio/gio.h>
#include <string.h>

#include "common/ini-load.h"
#include "common/quote.h"
#include "reflector/protocol/reflector-auth.h"
#include "reflector/protocol/reflector-proto.h"

static const char *const known[] = {
  "listen/websocket",
  "listen/path",
  "listen/tls_cert",
  "listen/tls_key",
  "listen/udp",
  "listen/tcp",
  "listen/trusted_proxies",
  "auth/secret_file",
  "auth/max_token_ttl",
  "turn/servers",
  "turn/user",
  "turn/password_file",
  "turn/secret_file",
  "turn/rest_ttl",
  "turn/ca_file",
  "ice/loopback_only",
  "limits/max_sessions",
  "limits/max_sessions_per_token",
  "limits/max_load_streams",
  "limits/max_connections",
  "limits/session_lifetime",
  "limits/hello_timeout",
  "limits/max_packet",
  "limits/session_packet_rate",
  "limits/source_rate",
  "limits/source_burst",
  "limits/source_table_size",
  "limits/global_packet_rate",
  "limits/max_tcp_connections",
  "limits/tcp_idle_timeout",
  "limits/tcp_connections_per_source",
  "limits/tcp_frame_timeout",
  "tester/public_url",
  "tester/voice_duration",
  "tester/turn_ttl",
  "results/database",
  "results/retention",
  "results/max_results",
  "results/max_report_size",
  "results/upload_rate",
  "results/upload_burst",
};

gboolean
rp_serve_parse_listen (const char *text, RpServeListen *out, GError **error)
{
  g_autofree char *host = NULL;
  const char *colon;
  guint64 port;

  memset (out, 0, sizeof *out);
  if (text == NULL || *text == '\0' || g_str_equal (text, "off")) {
    out->address = g_strdup ("");
    return TRUE;
  }
  if (text[0] == '[') {
    const char *close = strchr (text, ']');
    if (close == NULL || close[1] != ':')
      goto bad;
    host = g_strndup (text + 1, close - text - 1);
    colon = close + 1;
  } else {
    colon = strrchr (text, ':');
    if (colon == NULL)
      goto bad;
    host = g_strndup (text, colon - text);
    if (strchr (host, ':') != NULL)
      goto bad;   /* IPv6 needs brackets */
  }
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    goto bad;
  if (*host != '\0' && !g_hostname_is_ip_address (host))
    goto bad;
  out->address = g_steal_pointer (&host);
  out->port = (guint16) port;
  return TRUE;
bad:
  {
    g_autofree char *q = rp_quote_input (text, strlen (text), 64);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s: write a numeric ADDRESS:PORT, [IPv6]:PORT, :PORT for every address, or off",
                 q);
  }
  return FALSE;
}

static gboolean
check_known (GKeyFile *kf, GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);

  for (guint g = 0; groups[g] != NULL; g++) {
    g_auto (GStrv) keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
    for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
      g_autofree char *full = g_strdup_printf ("%s/%s", groups[g], keys[k]);
      gboolean ok = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (known) && !ok; i++)
        ok = g_str_equal (known[i], full);
      if (!ok) {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                     "[%s] %s: unknown key", groups[g], keys[k]);
        return FALSE;
      }
    }
  }
  return TRUE;
}

static char *
get_str (GKeyFile *kf, const char *group, const char *key)
{
  g_autofree char *v = g_key_file_get_string (kf, group, key, NULL);

  if (v == NULL)
    return NULL;
  g_strstrip (v);
  return *v != '\0' ? g_steal_pointer (&v) : NULL;
}

/* A number in [min, max]; the default when absent. */
static gboolean
get_num (GKeyFile *kf, const char *group, const char *key, double min, double max, double *out,
         GError **error)
{
  g_autofree char *v = get_str (kf, group, key);
  char *end = NULL;
  double d;

  if (v == NULL)
    return TRUE;
  d = g_ascii_strtod (v, &end);
  if (end == v || *end != '\0' || !(d >= min && d <= max)) {
    g_autofree char *q = rp_quote_input (v, strlen (v), 32);
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "[%s] %s = %s: give a number from %g to %g", group, key, q, min, max);
    return FALSE;
  }
  *out = d;
  return TRUE;
}

#define NUM(group, key, min, max, field, type)                                  \
  do {                                                                         \
    double d_ = (double) c->field;                                             \
    if (!get_num (kf, group, key, min, max, &d_, error))                       \
      return FALSE;                                                            \
    c->field = (type) d_;                                                      \
  } while (0)

static gboolean
listen_key (GKeyFile *kf, const char *key, const char *fallback, RpServeListen *out, GError **error)
{
  g_autofree char *v = get_str (kf, "listen", key);
  g_autoptr (GError) local = NULL;

  if (!rp_serve_parse_listen (v != NULL ? v : fallback, out, &local)) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[listen] %s = %s", key,
                 local->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
secret_key (GKeyFile *kf, const char *group, const char *key, RpSecret **out, GError **error)
{
  g_autofree char *path = get_str (kf, group, key);
  g_autoptr (GError) local = NULL;

  if (path == NULL)
    return TRUE;
  *out = rp_read_secret_file (path, &local);
  if (*out == NULL) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[%s] %s: %s", group, key,
                 local->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
load_turn (GKeyFile *kf, RpServeConfig *c, GError **error)
{
  g_auto (GStrv) uris = g_key_file_get_string_list (kf, "turn", "servers", NULL, NULL);

  for (guint i = 0; uris != NULL && uris[i] != NULL; i++) {
    g_autoptr (GError) local = NULL;
    RpTarget *t;
    g_strstrip (uris[i]);
    if (*uris[i] == '\0')
      continue;
    t = rp_target_parse (uris[i], &local);
    if (t == NULL || (t->scheme != RP_SCHEME_TURN && t->scheme != RP_SCHEME_TURNS)) {
      g_autofree char *q = rp_quote_input (uris[i], strlen (uris[i]), 64);
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[turn] servers: %s is not a turn: or turns: URI%s%s", q,
                   local != NULL ? ": " : "", local != NULL ? local->message : "");
      if (t != NULL)
        rp_target_free (t);
      return FALSE;
    }
    g_ptr_array_add (c->turn, t);
  }
  c->turn_user = get_str (kf, "turn", "user");
  c->ca_file = get_str (kf, "turn", "ca_file");
  if (!secret_key (kf, "turn", "password_file", &c->turn_password, error)
      || !secret_key (kf, "turn", "secret_file", &c->turn_secret, error))
    return FALSE;
  if (c->turn_password != NULL && c->turn_secret != NULL) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "[turn] password_file and secret_file exclude each other");
    return FALSE;
  }
  if (c->turn_password != NULL && c->turn_user == NULL) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "[turn] password_file needs user");
    return FALSE;
  }
  NUM ("turn", "rest_ttl", 60, 86400 * 7, turn_rest_ttl_s, gint64);
  return TRUE;
}

/* [tester] public_url: an absolute http: or https: URL without query or
 * fragment (the invite goes after "/test#"). */
static gboolean
load_tester (GKeyFile *kf, RpServeConfig *c, GError **error)
{
  g_autofree char *url = get_str (kf, "tester", "public_url");
  g_autoptr (GUri) uri = NULL;
  gsize len;

  if (url != NULL) {
    uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
    if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
        || (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0
            && g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
        || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL
        || g_uri_get_userinfo (uri) != NULL || strpbrk (url, " \r\n\t") != NULL) {
      g_autofree char *q = rp_quote_input (url, strlen (url), 64);
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[tester] public_url = %s: an https:// (or http://) URL without query, "
                   "fragment or user, e.g. https://api.example.org/rtcprobe", q);
      return FALSE;
    }
    len = strlen (url);
    while (len > 0 && url[len - 1] == '/')
      url[--len] = '\0';
    c->public_url = g_steal_pointer (&url);
  }
  NUM ("tester", "voice_duration", 1, 60, voice_duration_s, gint64);
  NUM ("tester", "turn_ttl", 60, 3600, tester_turn_ttl_s, gint64);
  return TRUE;
}

/* [results]: where testers' results are kept and for how long. */
static gboolean
load_results (GKeyFile *kf, RpServeConfig *c, GError **error)
{
  c->results_database = get_str (kf, "results", "database");
  NUM ("results", "retention", 1, 3650, results_retention_days, gint64);
  NUM ("results", "max_results", 1, 10000000, max_results, guint);
  NUM ("results", "max_report_size", 4096, 16 * 1024 * 1024, max_report_size, guint);
  NUM ("results", "upload_rate", 0.1, 10000, upload_rate, double);
  NUM ("results", "upload_burst", 1, 10000, upload_burst, double);
  return TRUE;
}

gboolean
rp_serve_config_load (RpServeConfig *c, const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *secret_file = NULL;

  memset (c, 0, sizeof *c);
  c->turn = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  c->max_token_ttl_s = 86400;
  c->turn_rest_ttl_s = 3600;
  c->max_sessions = 16;
  c->max_sessions_per_token = 4;
  c->max_load_streams = 0;
  c->max_connections = 64;
  c->session_lifetime_s = 120;
  c->hello_timeout_s = 5;
  c->max_packet = 1472;
  c->session_packet_rate = 200;
  c->source_rate = 20;
  c->source_burst = 40;
  c->source_table_size = 4096;
  c->global_packet_rate = 5000;
  c->max_tcp_connections = 64;
  c->tcp_idle_timeout_s = 30;
  c->tcp_connections_per_source = 4;
  c->tcp_frame_timeout_s = 5;
  c->voice_duration_s = 10;
  c->tester_turn_ttl_s = 300;
  c->results_retention_days = 90;
  c->max_results = 100000;
  c->max_report_size = 256 * 1024;
  c->upload_rate = 1;
  c->upload_burst = 10;

  if (!rp_ini_load (kf, path, error) || !check_known (kf, error)) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }
  if (!listen_key (kf, "websocket", "127.0.0.1:8089", &c->websocket, error) ||
      !listen_key (kf, "udp", "off", &c->udp, error) ||
      !listen_key (kf, "tcp", "off", &c->tcp, error))
    return FALSE;
  if (c->websocket.port == 0) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "[listen] websocket: the reflector needs its signalling port");
    return FALSE;
  }
  c->path = get_str (kf, "listen", "path");
  if (c->path == NULL)
    c->path = g_strdup ("/rtcprobe");
  if (c->path[0] != '/' || strpbrk (c->path, " ?#\r\n\t") != NULL) {
    g_autofree char *q = rp_quote_input (c->path, strlen (c->path), 64);
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "[listen] path = %s: an absolute path without query", q);
    return FALSE;
  }
  c->tls_cert = get_str (kf, "listen", "tls_cert");
  c->tls_key = get_str (kf, "listen", "tls_key");
  if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "[listen] tls_cert and tls_key go together");
    return FALSE;
  }
  c->trusted_proxies = g_key_file_get_string_list (kf, "listen", "trusted_proxies", NULL, NULL);
  for (guint i = 0; c->trusted_proxies != NULL && c->trusted_proxies[i] != NULL; i++) {
    g_strstrip (c->trusted_proxies[i]);
    if (!g_hostname_is_ip_address (c->trusted_proxies[i])) {
      g_autofree char *q =
        rp_quote_input (c->trusted_proxies[i], strlen (c->trusted_proxies[i]), 64);
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[listen] trusted_proxies: %s is not a numeric address", q);
      return FALSE;
    }
  }

  secret_file = get_str (kf, "auth", "secret_file");
  if (secret_file == NULL) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                 "[auth] secret_file: the reflector refuses to run without a secret");
    return FALSE;
  }
  if (!secret_key (kf, "auth", "secret_file", &c->secret, error))
    return FALSE;
  if (strlen (c->secret) < 16) {
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "[auth] secret_file: the secret is shorter than 16 characters");
    return FALSE;
  }
  NUM ("auth", "max_token_ttl", 60, 86400 * 30, max_token_ttl_s, gint64);
  if (!load_turn (kf, c, error))
    return FALSE;
  if (g_key_file_has_key (kf, "ice", "loopback_only", NULL)) {
    g_autoptr (GError) local = NULL;
    c->loopback_only = g_key_file_get_boolean (kf, "ice", "loopback_only", &local);
    if (local != NULL) {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[ice] loopback_only: true or false");
      return FALSE;
    }
  }
  NUM ("limits", "max_sessions", 1, 10000, max_sessions, guint);
  NUM ("limits", "max_sessions_per_token", 1, 10000, max_sessions_per_token, guint);
  NUM ("limits", "max_load_streams", 0, RP_REFLECTOR_MAX_STREAMS, max_load_streams, guint);
  NUM ("limits", "max_connections", 1, 100000, max_connections, guint);
  NUM ("limits", "session_lifetime", 5, 86400, session_lifetime_s, gint64);
  NUM ("limits", "hello_timeout", 1, 60, hello_timeout_s, gint64);
  NUM ("limits", "max_packet", RP_REFLECTOR_MIN_PACKET, 65507, max_packet, guint);
  NUM ("limits", "session_packet_rate", 1, 100000, session_packet_rate, double);
  NUM ("limits", "source_rate", 0.1, 100000, source_rate, double);
  NUM ("limits", "source_burst", 1, 100000, source_burst, double);
  NUM ("limits", "source_table_size", 16, 1000000, source_table_size, guint);
  NUM ("limits", "global_packet_rate", 1, 1000000, global_packet_rate, double);
  NUM ("limits", "max_tcp_connections", 1, 100000, max_tcp_connections, guint);
  NUM ("limits", "tcp_idle_timeout", 1, 3600, tcp_idle_timeout_s, gint64);
  NUM ("limits", "tcp_connections_per_source", 1, 100000, tcp_connections_per_source, guint);
  NUM ("limits", "tcp_frame_timeout", 1, 3600, tcp_frame_timeout_s, gint64);
  return load_tester (kf, c, error) && load_results (kf, c, error);
}

void
rp_serve_config_clear (RpServeConfig *c)
{
  g_free (c->websocket.address);
  g_free (c->udp.address);
  g_free (c->tcp.address);
  g_free (c->path);
  g_free (c->tls_cert);
  g_free (c->tls_key);
  g_strfreev (c->trusted_proxies);
  rp_secret_free (c->secret);
  if (c->turn != NULL)
    g_ptr_array_unref (c->turn);
  g_free (c->turn_user);
  rp_secret_free (c->turn_password);
  rp_secret_free (c->turn_secret);
  g_free (c->ca_file);
  g_free (c->public_url);
  g_free (c->results_database);
  memset (c, 0, sizeof *c);
}
