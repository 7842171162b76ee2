/* Pure decisions of the `http` checks (see http-policy.h): header and body
 * parsers for server-controlled text, and the verdicts with their hints in
 * the deployment's terms (nginx server blocks, the API's CORS_ORIGIN). Every
 * parser here is bounded and fuzzed: servers may send anything. */
#include "probe/net/http-policy.h"
#include "common/json-guard.h"

#include <string.h>

/* json-glib parses recursively: a body of a million '[' would exhaust the
 * stack long before the 1 MiB cap. Health documents nest a few levels. */
#define JSON_MAX_DEPTH 64

#define HSTS_HINT                                                                                  \
  "add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always; "          \
  "in the nginx server block for 443 (and reload nginx)"

/* ------------------------------------------------------------ HSTS */

static const char *
skip_ws (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* RFC 7230 3.2.6 tchar */
static gboolean
is_tchar (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

gboolean
rp_hsts_parse (const char *value, RpHsts *hsts, char **error)
{
  const char *p = value;
  gboolean seen_max_age = FALSE;

  memset (hsts, 0, sizeof *hsts);
  *error = NULL;
  for (;;) {
    g_autofree char *name = NULL;
    g_autoptr (GString) val = NULL;
    const char *start;

    p = skip_ws (p);
    if (*p == ';') {   /* RFC 6797 6.1: empty directives are allowed */
      p++;
      continue;
    }
    if (*p == '\0')
      break;
    for (start = p; is_tchar (*p); p++)
      ;
    if (p == start) {
      *error = g_strdup_printf ("unexpected character 0x%02x", (guint) (guchar) *p);
      return FALSE;
    }
    name = g_ascii_strdown (start, p - start);
    p = skip_ws (p);
    if (*p == '=') {
      val = g_string_new (NULL);
      p = skip_ws (p + 1);
      if (*p == '"') {
        /* RFC 7230 3.2.6 quoted-string with quoted-pair */
        for (p++; *p != '"'; p++) {
          if (*p == '\\' && p[1] != '\0')
            p++;
          if (*p == '\0') {
            *error = g_strdup_printf ("unterminated quoted value of %s", name);
            return FALSE;
          }
          g_string_append_c (val, *p);
        }
        p++;
      } else {
        for (start = p; is_tchar (*p); p++)
          ;
        if (p == start) {
          *error = g_strdup_printf ("%s= has no value", name);
          return FALSE;
        }
        g_string_append_len (val, start, p - start);
      }
      p = skip_ws (p);
    }
    if (*p != ';' && *p != '\0') {
      *error = g_strdup_printf ("unexpected character 0x%02x after %s", (guint) (guchar) *p, name);
      return FALSE;
    }
    if (g_str_equal (name, "max-age")) {
      gint64 age = 0;
      /* RFC 6797 6.1: each directive at most once, else the header is invalid */
      if (seen_max_age) {
        *error = g_strdup ("max-age appears twice");
        return FALSE;
      }
      if (val == NULL || val->len == 0) {
        *error = g_strdup ("max-age has no value");
        return FALSE;
      }
      for (gsize i = 0; i < val->len; i++) {
        int d = val->str[i] - '0';
        if (d < 0 || d > 9) {
          *error = g_strdup ("max-age is not a number of seconds");
          return FALSE;
        }
        age = age > (G_MAXINT64 - d) / 10 ? G_MAXINT64 : age * 10 + d;
      }
      hsts->max_age = age;
      seen_max_age = TRUE;
    } else if (g_str_equal (name, "includesubdomains")) {
      if (hsts->include_subdomains) {
        *error = g_strdup ("includeSubDomains appears twice");
        return FALSE;
      }
      hsts->include_subdomains = TRUE;
    } else if (g_str_equal (name, "preload")) {
      hsts->preload = TRUE;
    }
    /* RFC 6797 6.1: unknown directives are ignored */
  }
  if (!seen_max_age) {
    *error = g_strdup ("no max-age directive");
    return FALSE;
  }
  return TRUE;
}

void
rp_hsts_judge (RpCheckResult *r, const char *value, guint n_headers)
{
  RpHsts h;
  g_autofree char *why = NULL;

  if (value == NULL) {
    rp_check_result_set (
      r, RP_STATUS_WARN,
      "no Strict-Transport-Security header: browsers may still try http:// first");
    rp_check_result_set_hint (r, "%s", HSTS_HINT);
    return;
  }
  rp_check_result_detail_str (r, "hsts", value);
  if (n_headers > 1)
    /* RFC 6797 8.1: the user agent processes only the first one */
    rp_check_result_detail_int (r, "hsts_headers", n_headers);
  if (!rp_hsts_parse (value, &h, &why)) {
    rp_check_result_set (r, RP_STATUS_WARN,
                         "Strict-Transport-Security is malformed (%s): browsers ignore it", why);
    rp_check_result_set_hint (r, "%s", HSTS_HINT);
    return;
  }
  rp_check_result_metric (r, "hsts_max_age_s", (double) h.max_age);
  rp_check_result_detail_bool (r, "include_subdomains", h.include_subdomains);
  if (h.preload)
    rp_check_result_detail_bool (r, "preload", TRUE);
  if (h.max_age == 0) {
    rp_check_result_set (r, RP_STATUS_WARN, "HSTS is switched off (max-age=0)");
    rp_check_result_set_hint (r, "max-age=0 tells browsers to forget HSTS for this host: %s",
                              HSTS_HINT);
  } else if (h.max_age < RP_HSTS_MIN_MAX_AGE) {
    rp_check_result_set (r, RP_STATUS_WARN,
                         "HSTS max-age is %" G_GINT64_FORMAT " s (%.1f days), under the 180 "
                         "days browsers and preload lists expect",
                         h.max_age, h.max_age / 86400.0);
    rp_check_result_set_hint (r, "raise max-age: %s", HSTS_HINT);
  } else {
    rp_check_result_set (r, RP_STATUS_PASS, "HSTS for %" G_GINT64_FORMAT " days%s",
                         h.max_age / 86400, h.include_subdomains ? ", including subdomains" : "");
  }
  if (n_headers > 1 && r->status == RP_STATUS_PASS) {
    rp_check_result_set (r, RP_STATUS_WARN,
                         "%u Strict-Transport-Security headers: browsers use only the first",
                         n_headers);
    rp_check_result_set_hint (
      r, "the header is added twice (nginx add_header and the app, e.g. helmet): keep one");
  }
}

/* ------------------------------------------------------------ redirects */

RpRedirectKind
rp_redirect_classify (long status, const char *location)
{
  if (status >= 300 && status < 400 && status != 304) {
    if (location == NULL || *location == '\0')
      return RP_REDIRECT_NO_LOCATION;
    if (g_ascii_strncasecmp (location, "https://", 8) == 0)
      return RP_REDIRECT_TO_HTTPS;
    return RP_REDIRECT_TO_HTTP;
  }
  if (status >= 200 && status < 300)
    return RP_REDIRECT_CLEARTEXT;
  return RP_REDIRECT_ERROR_STATUS;
}

#define REDIRECT_HINT                                                                              \
  "give the port-80 server block only `return 301 https://$host$request_uri;` (nginx) so "         \
  "nobody uses the site without TLS"

void
rp_redirect_judge (RpCheckResult *r, const char *http_url, long status, const char *location)
{
  rp_check_result_detail_int (r, "status", status);
  if (location != NULL)
    rp_check_result_detail_str (r, "location", location);
  switch (rp_redirect_classify (status, location)) {
  case RP_REDIRECT_TO_HTTPS:
    rp_check_result_detail_bool (r, "permanent", status == 301 || status == 308);
    rp_check_result_set (
      r, RP_STATUS_PASS, "http:// redirects to https:// (%ld %s)%s", status, location,
      status == 301 || status == 308 ? "" : "; temporary: a 301 lets browsers remember it");
    break;
  case RP_REDIRECT_TO_HTTP:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s redirects (%ld), but to %s, not to https://",
                         http_url, status, location);
    rp_check_result_set_hint (r, "%s", REDIRECT_HINT);
    break;
  case RP_REDIRECT_NO_LOCATION:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s answers %ld without a Location header", http_url,
                         status);
    rp_check_result_set_hint (r, "%s", REDIRECT_HINT);
    break;
  case RP_REDIRECT_CLEARTEXT:
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "served in clear: %s answers %ld instead of redirecting to https://",
                         http_url, status);
    rp_check_result_set_hint (r, "%s", REDIRECT_HINT);
    break;
  case RP_REDIRECT_ERROR_STATUS:
    rp_check_result_set (r, RP_STATUS_FAIL, "%s answers %ld instead of redirecting to https://",
                         http_url, status);
    rp_check_result_set_hint (r, "%s", REDIRECT_HINT);
    break;
  }
}

/* ------------------------------------------------------------ origins */

static int
default_port (const char *scheme)
{
  if (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "ws") == 0)
    return 80;
  if (g_ascii_strcasecmp (scheme, "https") == 0 || g_ascii_strcasecmp (scheme, "wss") == 0)
    return 443;
  return -1;
}

gboolean
rp_http_same_origin (const char *a, const char *b)
{
  g_autoptr (GUri) ua = a != NULL ? g_uri_parse (a, G_URI_FLAGS_NONE, NULL) : NULL;
  g_autoptr (GUri) ub = b != NULL ? g_uri_parse (b, G_URI_FLAGS_NONE, NULL) : NULL;
  int pa, pb;

  if (ua == NULL || ub == NULL || g_uri_get_host (ua) == NULL || g_uri_get_host (ub) == NULL
      || g_ascii_strcasecmp (g_uri_get_scheme (ua), g_uri_get_scheme (ub)) != 0
      || g_ascii_strcasecmp (g_uri_get_host (ua), g_uri_get_host (ub)) != 0)
    return FALSE;
  pa = g_uri_get_port (ua) > 0 ? g_uri_get_port (ua) : default_port (g_uri_get_scheme (ua));
  pb = g_uri_get_port (ub) > 0 ? g_uri_get_port (ub) : default_port (g_uri_get_scheme (ub));
  return pa > 0 && pa == pb;
}

gboolean
rp_http_is_downgrade (const char *from, const char *to)
{
  const char *f = from != NULL ? g_uri_peek_scheme (from) : NULL;
  const char *t = to != NULL ? g_uri_peek_scheme (to) : NULL;

  return g_strcmp0 (f, "https") == 0 && g_strcmp0 (t, "http") == 0;
}

const char *
rp_http_refused_scheme (const char *location)
{
  const char *scheme = location != NULL ? g_uri_peek_scheme (location) : NULL;

  if (scheme == NULL || g_str_equal (scheme, "http") || g_str_equal (scheme, "https"))
    return NULL;
  return scheme;
}

/* ------------------------------------------------------------ status codes */

static const char *
reason_phrase (long status)
{
  static const struct { long code; const char *phrase;
  } table[] = {
    { 200, "OK" },
    { 201, "Created" },
    { 204, "No Content" },
    { 206, "Partial Content" },
    { 301, "Moved Permanently" },
    { 302, "Found" },
    { 303, "See Other" },
    { 304, "Not Modified" },
    { 307, "Temporary Redirect" },
    { 308, "Permanent Redirect" },
    { 400, "Bad Request" },
    { 401, "Unauthorized" },
    { 403, "Forbidden" },
    { 404, "Not Found" },
    { 405, "Method Not Allowed" },
    { 408, "Request Timeout" },
    { 413, "Content Too Large" },
    { 429, "Too Many Requests" },
    { 500, "Internal Server Error" },
    { 501, "Not "
           "Implemented" /* RFC 9110 15.6.2 */ },
    { 502, "Bad Gateway" },
    { 503, "Service Unavailable" },
    { 504, "Gateway Timeout" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (table[i].code == status)
      return table[i].phrase;
  return "";
}

#define UPSTREAM_HINT                                                                              \
  "nginx cannot reach the app: is the API running, does proxy_pass point at the right port?"

void
rp_http_status_judge (RpCheckResult *r, const char *url, long status)
{
  const char *phrase = reason_phrase (status);

  if (status >= 200 && status < 300) {
    rp_check_result_set (r, RP_STATUS_PASS, "%ld %s", status, phrase);
    return;
  }
  rp_check_result_set (r, RP_STATUS_FAIL, "%s answers %ld%s%s", url, status, *phrase ? " " : "",
                       phrase);
  switch (status) {
  case 400:
    rp_check_result_set_hint (r, "the request was rejected as malformed: check the --header "
                                 "values, and the proxy's and the app's logs");
    break;
  case 401:
    rp_check_result_set_hint (
      r, "this URL wants credentials: a health or public file endpoint should not; if it "
         "really needs them, pass them with --header (and keep them out of shell history)");
    break;
  case 403:
    rp_check_result_set_hint (
      r, "the proxy or the app refuses this client: check nginx allow/deny and auth rules, a "
         "WAF or rate limiter, and file permissions for static files");
    break;
  case 404:
    rp_check_result_set_hint (
      r, "nothing is routed at this path: check the nginx location block that should "
         "proxy_pass it to the API (and its trailing slash), and the app's route; paths are "
         "case-sensitive");
    break;
  case 405:
    rp_check_result_set_hint (
      r, "the route exists but not for GET: check the URL, or the proxy's limit_except");
    break;
  case 429:
    rp_check_result_set_hint (r, "rate limited: nginx limit_req or the app's limiter counts this "
                                 "client; exempt monitoring or raise the limit");
    break;
  case 500:
    rp_check_result_set_hint (
      r, "the app failed on this request: look at the API's log (docker compose logs api) "
         "for the exception, often a missing setting in .env or an unmigrated database");
    break;
  case 502:
    rp_check_result_set_hint (r, "%s (502: the connection to the upstream failed)", UPSTREAM_HINT);
    break;
  case 503:
    rp_check_result_set_hint (r, "%s Or the app reports itself unavailable (starting, maintenance)",
                              UPSTREAM_HINT);
    break;
  case 504:
    rp_check_result_set_hint (
      r, "%s (504: the upstream did not answer in time; a slow app needs proxy_read_timeout)",
      UPSTREAM_HINT);
    break;
  default:
    if (status >= 500)
      rp_check_result_set_hint (
        r, "the server failed: look at the proxy's error.log and the API's log");
    else if (status >= 400)
      rp_check_result_set_hint (
        r, "the server refused the request: check the URL and the proxy's access.log");
    else
      rp_check_result_set_hint (r, "an unexpected status for a GET: check the URL");
    break;
  }
}

gboolean
rp_http_is_file_endpoint (const char *path, const char *content_type)
{
  if (path != NULL && strstr (path, "/api/v1/files/") != NULL)
    return TRUE;
  if (content_type == NULL)
    return FALSE;
  return g_ascii_strncasecmp (content_type, "text/html", 9) != 0
         && g_ascii_strncasecmp (content_type, "application/json", 16) != 0
         && strstr (content_type, "+json") == NULL;
}

/* ------------------------------------------------------------ JSON */

JsonNode *
rp_json_lookup (JsonNode *root, const char *path, guint *reached)
{
  g_auto (GStrv) segs = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  *reached = 0;
  for (guint i = 0; segs[i] != NULL; i++) {
    if (JSON_NODE_HOLDS_OBJECT (node)) {
      JsonObject *o = json_node_get_object (node);
      if (!json_object_has_member (o, segs[i]))
        return NULL;
      node = json_object_get_member (o, segs[i]);
    } else if (JSON_NODE_HOLDS_ARRAY (node)) {
      JsonArray *a = json_node_get_array (node);
      char *end = NULL;
      guint64 idx;
      if (!g_ascii_isdigit (segs[i][0]))
        return NULL;
      idx = g_ascii_strtoull (segs[i], &end, 10);
      if (*end != '\0' || idx >= json_array_get_length (a))
        return NULL;
      node = json_array_get_element (a, (guint) idx);
    } else {
      return NULL;
    }
    *reached = i + 1;
  }
  return node;
}

char *
rp_json_node_text (JsonNode *node, gboolean quoted)
{
  switch (json_node_get_node_type (node)) {
  case JSON_NODE_OBJECT:
    return g_strdup ("an object");
  case JSON_NODE_ARRAY:
    return g_strdup ("an array");
  case JSON_NODE_NULL:
    return g_strdup ("null");
  case JSON_NODE_VALUE:
    break;
  }
  switch (json_node_get_value_type (node)) {
  case G_TYPE_STRING:
    if (quoted) {
      const char *s = json_node_get_string (node);
      return rp_body_excerpt (s, strlen (s), 120);
    }
    return g_strdup (json_node_get_string (node));
  case G_TYPE_BOOLEAN:
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  case G_TYPE_INT64:
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  case G_TYPE_DOUBLE: {
    /* Shortest text that reads back the same: 0.1, not 0.10000000000000001 */
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    double d = json_node_get_double (node);
    g_ascii_formatd (buf, sizeof buf, "%.15g", d);
    if (g_ascii_strtod (buf, NULL) != d)
      g_ascii_formatd (buf, sizeof buf, "%.17g", d);
    return g_strdup (buf);
  }
  default:
    return g_strdup ("?");
  }
}

/* The first n segments of a dotted path ("" for none). */
static char *
path_prefix (const char *path, guint n)
{
  const char *p = path;

  for (guint i = 0; i < n; i++) {
    const char *dot = strchr (p, '.');
    if (dot == NULL)
      return g_strdup (path);
    if (i + 1 == n)
      return g_strndup (path, dot - path);
    p = dot + 1;
  }
  return g_strdup ("");
}

RpJsonMatch
rp_json_expect (JsonNode *root, const char *path, const char *expected, char **found)
{
  guint reached = 0;
  JsonNode *node = rp_json_lookup (root, path, &reached);
  g_autofree char *text = NULL;

  if (node == NULL) {
    g_autofree char *prefix = path_prefix (path, reached);
    guint r2;
    JsonNode *at = reached == 0 ? root : rp_json_lookup (root, prefix, &r2);
    *found = g_steal_pointer (&prefix);
    return JSON_NODE_HOLDS_OBJECT (at) || JSON_NODE_HOLDS_ARRAY (at) ? RP_JSON_MISSING
                                                                     : RP_JSON_NOT_CONTAINER;
  }
  text = rp_json_node_text (node, FALSE);
  if (g_str_equal (text, expected)) {
    *found = g_steal_pointer (&text);
    return RP_JSON_MATCH;
  }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) != G_TYPE_STRING
      && json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
    /* Numbers by value too: 1 matches 1.0 and 1e0 */
    char *end = NULL;
    double want = g_ascii_strtod (expected, &end);
    if (*expected != '\0' && end != NULL && *end == '\0' && want == json_node_get_double (node)) {
      *found = g_steal_pointer (&text);
      return RP_JSON_MATCH;
    }
  }
  *found = rp_json_node_text (node, TRUE);
  return RP_JSON_MISMATCH;
}

char *
rp_body_excerpt (const char *body, gsize len, gsize max)
{
  GString *s = g_string_new ("\"");

  for (gsize i = 0; i < len && i < max; i++) {
    guchar c = (guchar) body[i];
    if (c == '"' || c == '\\')
      g_string_append_printf (s, "\\%c", c);
    else if (c == '\n')
      g_string_append (s, "\\n");
    else if (c == '\r')
      g_string_append (s, "\\r");
    else if (c < 0x20 || c >= 0x7f)
      g_string_append_c (s, '?');   /* keeps reports valid UTF-8 whatever the server sent */
    else
      g_string_append_c (s, (char) c);
  }
  g_string_append (s, len > max ? "...\"" : "\"");
  return g_string_free (s, FALSE);
}


static void
not_json (RpCheckResult *r, const char *content_type, const char *body, gsize len, const char *why)
{
  g_autofree char *excerpt = rp_body_excerpt (body, len, 60);

  rp_check_result_set (r, RP_STATUS_FAIL, "body is not JSON (%s: %s)%s%s",
                       content_type ? content_type : "no content type", excerpt, why ? ": " : "",
                       why ? why : "");
  if (content_type != NULL && g_ascii_strncasecmp (content_type, "text/html", 9) == 0)
    rp_check_result_set_hint (
      r, "this URL serves an HTML page, probably the web frontend's index.html (an SPA "
         "fallback such as try_files ... /index.html): route the path to the API in nginx");
  else
    rp_check_result_set_hint (
      r, "this URL does not serve the JSON health document: check the path (/health vs "
         "/api/health) and that nginx proxies it to the API");
}

gboolean
rp_json_judge (RpCheckResult *r, const char *content_type, const char *body, gsize len,
               char *const *expect)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) problems = g_string_new (NULL);
  JsonNode *root;
  guint n_bad = 0;
  RpJsonMatch first_bad = RP_JSON_MATCH;

  if (expect == NULL || expect[0] == NULL)
    return TRUE;
  if (len == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL, "body is empty, expected a JSON document");
    rp_check_result_set_hint (
      r,
      "the endpoint answers without a body: check the path and that nginx proxies it to the API");
    return FALSE;
  }
  if (!rp_json_depth_ok (body, len, JSON_MAX_DEPTH)) {
    not_json (r, content_type, body, len,
              "nested deeper than " G_STRINGIFY (JSON_MAX_DEPTH) " levels");
    return FALSE;
  }
  if (!json_parser_load_from_data (parser, body, (gssize) len, &error)
      || (root = json_parser_get_root (parser)) == NULL) {
    not_json (r, content_type, body, len, NULL);
    return FALSE;
  }
  for (guint i = 0; expect[i] != NULL; i++) {
    const char *eq = strchr (expect[i], '=');
    g_autofree char *key = eq ? g_strndup (expect[i], eq - expect[i]) : g_strdup (expect[i]);
    const char *want = eq ? eq + 1 : "";
    g_autofree char *found = NULL;
    g_autofree char *dkey = g_strconcat ("json.", key, NULL);
    RpJsonMatch m = rp_json_expect (root, key, want, &found);

    if (m == RP_JSON_MATCH) {
      rp_check_result_detail_str (r, dkey, found);
      continue;
    }
    if (n_bad++ == 0)
      first_bad = m;
    else
      g_string_append (problems, "; ");
    if (m == RP_JSON_MISMATCH) {
      g_autofree char *w = rp_body_excerpt (want, strlen (want), 120);
      rp_check_result_detail_str (r, dkey, found);
      g_string_append_printf (problems, "%s is %s, expected %s", key, found, w);
    } else if (m == RP_JSON_MISSING) {
      if (*found == '\0')
        g_string_append_printf (problems, "%s is missing", key);
      else
      {
        const char *next = key + strlen (found) + 1;
        g_string_append_printf (problems, "%s is missing (%s has no \"%.*s\")", key, found,
                                (int) strcspn (next, "."), next);
      }
    } else {
      g_string_append_printf (problems, "%s is missing (%s is not an object)", key,
                              *found ? found : "the body");
    }
  }
  if (n_bad == 0)
    return TRUE;
  rp_check_result_set (r, RP_STATUS_FAIL, "%s", problems->str);
  if (first_bad == RP_JSON_MISMATCH)
    rp_check_result_set_hint (
      r, "the app answers but reports itself unhealthy: look at which dependency the health "
         "document names (database, Redis, object storage) and at the API's log");
  else
    rp_check_result_set_hint (
      r, "the JSON does not have the expected shape: is this the API's health endpoint, and "
         "is the deployed API the version you expect?");
  return FALSE;
}

/* ------------------------------------------------------------ CORS */

static gboolean
is_true (const char *v)
{
  return v != NULL && g_ascii_strcasecmp (v, "true") == 0;
}

gboolean
rp_cors_allows (const RpCorsAnswer *a, const char *origin)
{
  if (!a->answered || a->acao == NULL)
    return FALSE;
  if (g_str_equal (a->acao, origin))
    return TRUE;
  return g_str_equal (a->acao, "*") && !is_true (a->acac);
}

void
rp_cors_judge (RpCheckResult *r, const char *origin, const char *foreign_origin,
               const RpCorsAnswer *get, const RpCorsAnswer *preflight, const RpCorsAnswer *foreign)
{
  gboolean star = get->acao != NULL && g_str_equal (get->acao, "*");

  rp_check_result_detail_str (r, "origin", origin);
  if (!get->answered) {
    rp_check_result_set (r, RP_STATUS_FAIL, "the CORS request got no answer: %s",
                         get->error ? get->error : "?");
    rp_check_result_set_hint (
      r, "see the http check of this URL for why the server cannot be reached");
    return;
  }
  rp_check_result_detail_int (r, "status", get->status);
  rp_check_result_detail_str (r, "allow_origin", get->acao ? get->acao : "");
  if (get->acac != NULL)
    rp_check_result_detail_str (r, "allow_credentials", get->acac);
  if (preflight->answered) {
    rp_check_result_detail_int (r, "preflight_status", preflight->status);
    rp_check_result_detail_str (r, "preflight_allow_origin",
                                preflight->acao ? preflight->acao : "");
    if (preflight->acam != NULL)
      rp_check_result_detail_str (r, "preflight_allow_methods", preflight->acam);
  }
  if (foreign->answered)
    rp_check_result_detail_str (r, "foreign_allow_origin", foreign->acao ? foreign->acao : "");

  /* A redirect is not the endpoint the app reads: CORS is the final URL's
   * business, and a browser checks it there. */
  if (get->status >= 300 && get->status < 400 && get->acao == NULL) {
    rp_check_result_set (
      r, RP_STATUS_SKIP,
      "CORS not checked: the URL redirects (%ld); give the final URL with --origin", get->status);
    return;
  }
  if (star && is_true (get->acac)) {
    rp_check_result_set (
      r, RP_STATUS_FAIL,
      "Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true");
    rp_check_result_set_hint (
      r, "browsers refuse this combination for requests with cookies, and it shows a CORS "
         "layer configured to allow everything: set a strict CORS_ORIGIN with the app's origin "
         "(runbook)");
    return;
  }
  if (!rp_cors_allows (get, origin)) {
    if (get->acao == NULL)
      rp_check_result_set (
        r, RP_STATUS_FAIL,
        "%s may not read this endpoint: no Access-Control-Allow-Origin in the answer (%ld)", origin,
        get->status);
    else
      rp_check_result_set (r, RP_STATUS_FAIL,
                           "%s may not read this endpoint: Access-Control-Allow-Origin is \"%s\"",
                           origin, get->acao);
    rp_check_result_set_hint (
      r,
      "add the app origin to CORS_ORIGIN in the API's environment (CORS_ORIGIN=%s) and "
      "restart the API; the origin must match exactly (scheme, host, port, no path)",
      origin);
    return;
  }
  if (foreign->answered && foreign->acao != NULL && g_str_equal (foreign->acao, foreign_origin)) {
    rp_check_result_set (
      r, RP_STATUS_FAIL,
      "any origin may read this endpoint: the server reflects Origin (%s was allowed)%s",
      foreign_origin, is_true (foreign->acac) ? ", with credentials" : "");
    rp_check_result_set_hint (
      r,
      "the API echoes whatever Origin it gets, so any web site can call it%s: set a strict "
      "CORS_ORIGIN listing only the public app domains (runbook), not a wildcard or reflection",
      is_true (foreign->acac) ? " with the user's cookies" : "");
    return;
  }
  if (foreign->answered && foreign->acao != NULL && g_str_equal (foreign->acao, "*") &&
      is_true (foreign->acac)) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "Access-Control-Allow-Origin: * with credentials for a foreign origin");
    rp_check_result_set_hint (r, "set a strict CORS_ORIGIN with the app's origin (runbook)");
    return;
  }
  if (!preflight->answered || !rp_cors_allows (preflight, origin) || preflight->status < 200 ||
      preflight->status >= 300) {
    if (preflight->answered)
      rp_check_result_set (r, RP_STATUS_WARN,
                           "GET is allowed for %s, but the preflight is not (OPTIONS answers %ld, "
                           "Access-Control-Allow-Origin \"%s\")",
                           origin, preflight->status, preflight->acao ? preflight->acao : "");
    else
      rp_check_result_set (r, RP_STATUS_WARN,
                           "GET is allowed for %s, but the preflight OPTIONS got no answer: %s",
                           origin, preflight->error ? preflight->error : "?");
    rp_check_result_set_hint (
      r, "requests with Authorization or a JSON body are preflighted: let OPTIONS reach the "
         "API through nginx (no limit_except, no auth on OPTIONS) so it answers with the CORS "
         "headers");
    return;
  }
  if (star)
    rp_check_result_set (r, RP_STATUS_PASS,
                         "any origin may read this endpoint (Access-Control-Allow-Origin: *, "
                         "without credentials)");
  else
    rp_check_result_set (r, RP_STATUS_PASS,
                         "%s may read this endpoint (preflight too); a foreign origin is refused",
                         origin);
}

/* ------------------------------------------------------------ timing */

void
rp_http_phases (const RpHttpTimes *t, RpHttpPhases *p)
{
  gint64 sent;

  p->dns = MAX (t->namelookup, 0);
  p->connect = t->connect > 0 ? MAX (t->connect - t->namelookup, 0) : 0;
  p->tls = t->appconnect > 0 ? MAX (t->appconnect - MAX (t->connect, t->namelookup), 0) : 0;
  sent = MAX (MAX (t->pretransfer, t->appconnect), MAX (t->connect, t->namelookup));
  p->ttfb = t->starttransfer > 0 ? MAX (t->starttransfer - sent, 0) : 0;
  p->total = MAX (t->total, 0);
}
