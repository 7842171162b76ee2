/* Tests for the pure decisions of the `http` checks: Strict-Transport-Security
 * parsing (RFC 6797 6.1 grammar, duplicates, quoting, overflow) and its
 * verdict, redirect classification, status-code hints, dotted-path JSON
 * lookup and --expect-json verdicts (mismatch, missing, not JSON, hostile
 * nesting), the CORS decision (exact origin, *, * with credentials,
 * reflection, preflight), curl timestamps to phases, and the mapping of
 * curl's TLS error text back to X509 codes. Table-driven. */
#include <openssl/x509_vfy.h>
#include <string.h>

#include "probe/net/http-policy.h"
#include "probe/net/http-tls.h"

/* ------------------------------------------------------------ HSTS */

typedef struct {
  const char *value;
  gboolean ok;
  gint64 max_age;
  gboolean subdomains;
  gboolean preload;
} HstsCase;

static const HstsCase hsts_cases[] = {
  { "max-age=31536000", TRUE, 31536000, FALSE, FALSE },
  { "max-age=31536000; includeSubDomains", TRUE, 31536000, TRUE, FALSE },
  { "max-age=63072000; includeSubDomains; preload", TRUE, 63072000, TRUE, TRUE },
  { "MAX-AGE=10;INCLUDESUBDOMAINS", TRUE, 10, TRUE, FALSE },
  { "  max-age = 300 ;  includeSubDomains  ", TRUE, 300, TRUE, FALSE },
  { "max-age=\"15552000\"", TRUE, 15552000, FALSE, FALSE }, /* quoted-string allowed */
  { "includeSubDomains; max-age=5", TRUE, 5, TRUE, FALSE },
  { ";;max-age=5;;", TRUE, 5, FALSE, FALSE }, /* empty directives */
  { "max-age=5; future-directive=\"x;y\"", TRUE, 5, FALSE,
    FALSE }, /* unknown ignored, ';' inside quotes */
  { "max-age=0", TRUE, 0, FALSE, FALSE },
  { "max-age=99999999999999999999999", TRUE, G_MAXINT64, FALSE, FALSE }, /* capped, no overflow */
  { "", FALSE, 0, FALSE, FALSE },
  { "includeSubDomains", FALSE, 0, FALSE, FALSE }, /* max-age required */
  { "max-age=", FALSE, 0, FALSE, FALSE },
  { "max-age", FALSE, 0, FALSE, FALSE },
  { "max-age=-1", FALSE, 0, FALSE, FALSE },
  { "max-age=1e6", FALSE, 0, FALSE, FALSE },
  { "max-age=5; max-age=6", FALSE, 0, FALSE, FALSE }, /* duplicate: invalid */
  { "max-age=5; includeSubDomains; includesubdomains", FALSE, 0, FALSE, FALSE },
  { "max-age=\"5", FALSE, 0, FALSE, FALSE }, /* unterminated */
  { "max-age=5 x", FALSE, 0, FALSE, FALSE },
  { "max-age=5, includeSubDomains", FALSE, 0, FALSE, FALSE },
  { "=5", FALSE, 0, FALSE, FALSE },
};

static void
test_hsts_parse (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hsts_cases); i++) {
    const HstsCase *c = &hsts_cases[i];
    RpHsts h;
    g_autofree char *error = NULL;
    gboolean ok = rp_hsts_parse (c->value, &h, &error);

    g_test_message ("HSTS '%s' -> %s %s", c->value, ok ? "ok" : "invalid", error ? error : "");
    g_assert_cmpint (ok, ==, c->ok);
    if (!ok) {
      g_assert_nonnull (error);
      g_assert_null (strchr (error, '\n'));
      continue;
    }
    g_assert_null (error);
    g_assert_cmpint (h.max_age, ==, c->max_age);
    g_assert_cmpint (h.include_subdomains, ==, c->subdomains);
    g_assert_cmpint (h.preload, ==, c->preload);
  }
}

typedef struct {
  const char *value;
  guint n;
  RpStatus status;
  const char *summary_has;
} HstsVerdict;

static const HstsVerdict hsts_verdicts[] = {
  { "max-age=31536000; includeSubDomains", 1, RP_STATUS_PASS, "365 days, including subdomains" },
  { "max-age=15552000", 1, RP_STATUS_PASS, "180 days" },
  { "max-age=15551999", 1, RP_STATUS_WARN, "under the 180 days" },
  { "max-age=300", 1, RP_STATUS_WARN, "300 s" },
  { "max-age=0", 1, RP_STATUS_WARN, "switched off" },
  { NULL, 0, RP_STATUS_WARN, "no Strict-Transport-Security" },
  { "max-age=abc", 1, RP_STATUS_WARN, "malformed" },
  { "max-age=31536000", 2, RP_STATUS_WARN, "browsers use only the first" },
};

static void
test_hsts_judge (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hsts_verdicts); i++) {
    const HstsVerdict *c = &hsts_verdicts[i];
    g_autoptr (RpCheckResult) r = rp_check_result_new ("http.h.hsts", "http", "https://h/");

    rp_hsts_judge (r, c->value, c->n);
    g_test_message ("%s -> %s: %s", c->value ? c->value : "(none)", rp_status_to_string (r->status),
                    r->summary);
    g_assert_cmpint (r->status, ==, c->status);
    g_assert_nonnull (strstr (r->summary, c->summary_has));
    if (r->status != RP_STATUS_PASS)
      g_assert_nonnull (r->hint);
    if (c->status == RP_STATUS_WARN && c->n == 1 && c->value != NULL &&
        strstr (c->value, "abc") == NULL)
      g_assert_nonnull (strstr (r->hint, "max-age=31536000; includeSubDomains\" always;"));
  }
}

/* ------------------------------------------------------------ redirects */

typedef struct {
  long status;
  const char *location;
  RpRedirectKind kind;
  RpStatus verdict;
} RedirectCase;

static const RedirectCase redirect_cases[] = {
  { 301, "https://example.org/", RP_REDIRECT_TO_HTTPS, RP_STATUS_PASS },
  { 308, "https://example.org/x?y", RP_REDIRECT_TO_HTTPS, RP_STATUS_PASS },
  { 302, "HTTPS://www.example.org/", RP_REDIRECT_TO_HTTPS, RP_STATUS_PASS },
  { 307, "https://example.org:8443/", RP_REDIRECT_TO_HTTPS, RP_STATUS_PASS },
  { 301, "http://www.example.org/", RP_REDIRECT_TO_HTTP, RP_STATUS_FAIL },
  { 302, NULL, RP_REDIRECT_NO_LOCATION, RP_STATUS_FAIL },
  { 301, "", RP_REDIRECT_NO_LOCATION, RP_STATUS_FAIL },
  { 200, NULL, RP_REDIRECT_CLEARTEXT, RP_STATUS_FAIL },
  { 204, NULL, RP_REDIRECT_CLEARTEXT, RP_STATUS_FAIL },
  { 304, "https://example.org/", RP_REDIRECT_ERROR_STATUS, RP_STATUS_FAIL },
  { 404, NULL, RP_REDIRECT_ERROR_STATUS, RP_STATUS_FAIL },
  { 502, NULL, RP_REDIRECT_ERROR_STATUS, RP_STATUS_FAIL },
};

static void
test_redirect (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (redirect_cases); i++) {
    const RedirectCase *c = &redirect_cases[i];
    g_autoptr (RpCheckResult) r = rp_check_result_new ("http.h.redirect", "http", "http://h/");

    g_assert_cmpint (rp_redirect_classify (c->status, c->location), ==, c->kind);
    rp_redirect_judge (r, "http://h/", c->status, c->location);
    g_test_message ("%ld %s -> %s", c->status, c->location, r->summary);
    g_assert_cmpint (r->status, ==, c->verdict);
    if (c->verdict != RP_STATUS_PASS)
      g_assert_nonnull (strstr (r->hint, "return 301 https://$host$request_uri;"));
    if (c->kind == RP_REDIRECT_CLEARTEXT)
      g_assert_nonnull (strstr (r->summary, "served in clear"));
  }
}

/* ------------------------------------------------------------ status codes */

typedef struct {
  long status;
  RpStatus verdict;
  const char *hint_has;
} StatusCase;

static const StatusCase status_cases[] = {
  { 200, RP_STATUS_PASS, NULL },
  { 204, RP_STATUS_PASS, NULL },
  { 401, RP_STATUS_FAIL, "credentials" },
  { 403, RP_STATUS_FAIL, "allow/deny" },
  { 404, RP_STATUS_FAIL, "location block" },
  { 500, RP_STATUS_FAIL, "API's log" },
  { 502, RP_STATUS_FAIL,
    "nginx cannot reach the app: is the API running, does proxy_pass point at the right port?" },
  { 503, RP_STATUS_FAIL, "nginx cannot reach the app" },
  { 504, RP_STATUS_FAIL, "proxy_read_timeout" },
  { 418, RP_STATUS_FAIL, "refused" },
  { 599, RP_STATUS_FAIL, "failed" },
};

static void
test_status (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (status_cases); i++) {
    const StatusCase *c = &status_cases[i];
    g_autoptr (RpCheckResult) r = rp_check_result_new ("http", "http", "https://h/health");

    rp_http_status_judge (r, "https://h/health", c->status);
    g_assert_cmpint (r->status, ==, c->verdict);
    if (c->hint_has != NULL)
      g_assert_nonnull (strstr (r->hint, c->hint_has));
  }
  g_assert_true (rp_http_is_file_endpoint ("/api/v1/files/abc", "text/html"));
  g_assert_true (rp_http_is_file_endpoint ("/x", "image/png"));
  g_assert_false (rp_http_is_file_endpoint ("/health", "application/json; charset=utf-8"));
  g_assert_false (rp_http_is_file_endpoint ("/", "text/html; charset=utf-8"));
  g_assert_false (rp_http_is_file_endpoint ("/x", "application/problem+json"));
  g_assert_false (rp_http_is_file_endpoint ("/x", NULL));
}

/* ------------------------------------------------------------ JSON */

typedef struct {
  const char *body;
  const char *path;
  const char *want;
  RpJsonMatch match;
  const char *found;
} JsonCase;

static const JsonCase json_cases[] = {
  { "{\"status\":\"ok\"}", "status", "ok", RP_JSON_MATCH, "ok" },
  { "{\"status\":\"degraded\"}", "status", "ok", RP_JSON_MISMATCH, "\"degraded\"" },
  { "{\"data\":{\"db\":{\"status\":\"up\"}}}", "data.db.status", "up", RP_JSON_MATCH, "up" },
  { "{\"data\":{\"db\":{}}}", "data.db.status", "up", RP_JSON_MISSING, "data.db" },
  { "{\"data\":{}}", "data.db.status", "up", RP_JSON_MISSING, "data" },
  { "{}", "status", "ok", RP_JSON_MISSING, "" },
  { "{\"data\":\"x\"}", "data.db", "up", RP_JSON_NOT_CONTAINER, "data" },
  { "[1,2]", "status", "ok", RP_JSON_MISSING, "" },
  { "{\"n\":3}", "n", "3", RP_JSON_MATCH, "3" },
  { "{\"n\":3}", "n", "3.0", RP_JSON_MATCH, "3" },
  { "{\"n\":0.1}", "n", "0.1", RP_JSON_MATCH, "0.1" },
  { "{\"n\":2.5}", "n", "3", RP_JSON_MISMATCH, "2.5" },
  { "{\"n\":\"3\"}", "n", "3", RP_JSON_MATCH, "3" },
  { "{\"b\":true}", "b", "true", RP_JSON_MATCH, "true" },
  { "{\"b\":false}", "b", "true", RP_JSON_MISMATCH, "false" },
  { "{\"z\":null}", "z", "null", RP_JSON_MATCH, "null" },
  { "{\"o\":{\"a\":1}}", "o", "x", RP_JSON_MISMATCH, "an object" },
  { "{\"l\":[\"a\",\"b\"]}", "l.1", "b", RP_JSON_MATCH, "b" },
  { "{\"l\":[\"a\",\"b\"]}", "l.2", "b", RP_JSON_MISSING, "l" },
  { "{\"l\":[\"a\"]}", "l.x", "b", RP_JSON_MISSING, "l" },
  { "{\"s\":\"a\\\"b\"}", "s", "x", RP_JSON_MISMATCH, "\"a\\\"b\"" },
  { "{\"a.b\":1}", "a.b", "1", RP_JSON_MISSING, "" },   /* dots always separate */
};

static void
test_json_expect (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (json_cases); i++) {
    const JsonCase *c = &json_cases[i];
    g_autoptr (JsonParser) p = json_parser_new ();
    g_autofree char *found = NULL;

    g_assert_true (json_parser_load_from_data (p, c->body, -1, NULL));
    g_test_message ("%s %s=%s", c->body, c->path, c->want);
    g_assert_cmpint (rp_json_expect (json_parser_get_root (p), c->path, c->want, &found), ==,
                     c->match);
    g_assert_cmpstr (found, ==, c->found);
  }
}

typedef struct {
  const char *ctype;
  const char *body;
  const char *expect[3];
  gboolean ok;
  const char *summary;
} JudgeCase;

static const JudgeCase judge_cases[] = {
  { "application/json", "{\"status\":\"ok\"}", { "status=ok" }, TRUE, NULL },
  { "application/json",
    "{\"status\":\"degraded\"}",
    { "status=ok" },
    FALSE,
    "status is \"degraded\", expected \"ok\"" },
  { "text/plain", "OK", { "status=ok" }, FALSE, "body is not JSON (text/plain: \"OK\")" },
  { "text/html",
    "<!doctype html><title>app</title>",
    { "status=ok" },
    FALSE,
    "body is not JSON (text/html: \"<!doctype" },
  { "application/json", "", { "status=ok" }, FALSE, "body is empty" },
  { "application/json", "{\"a\":1}", { "status=ok" }, FALSE, "status is missing" },
  { "application/json",
    "{\"data\":{}}",
    { "data.db.status=up" },
    FALSE,
    "data.db.status is missing (data has no \"db\")" },
  { "application/json",
    "{\"status\":\"ok\",\"db\":\"down\"}",
    { "status=ok", "db=up" },
    FALSE,
    "db is \"down\", expected \"up\"" },
  { "application/json",
    "{\"status\":\"bad\",\"db\":\"down\"}",
    { "status=ok", "db=up" },
    FALSE,
    "status is \"bad\", expected \"ok\"; db is \"down\", expected \"up\"" },
  { "application/json",
    "{\"status\":\"ok\"} trailing",
    { "status=ok" },
    FALSE,
    "body is not JSON" },
};

static void
test_json_judge (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (judge_cases); i++) {
    const JudgeCase *c = &judge_cases[i];
    g_autoptr (RpCheckResult) r = rp_check_result_new ("http", "http", "https://h/health");
    gboolean ok = rp_json_judge (r, c->ctype, c->body, strlen (c->body), (char *const *) c->expect);

    g_test_message ("%s -> %s", c->body, r->summary);
    g_assert_cmpint (ok, ==, c->ok);
    if (!ok) {
      g_assert_cmpint (r->status, ==, RP_STATUS_FAIL);
      g_assert_nonnull (strstr (r->summary, c->summary));
      g_assert_nonnull (r->hint);
    }
  }
}

static void
test_json_hostile (void)
{
  /* A million '[' must be refused before the recursive parser sees it */
  gsize n = 1000000;
  g_autofree char *deep = g_malloc (n);
  char *const expect[] = { (char *) "status=ok", NULL };
  g_autoptr (RpCheckResult) r = rp_check_result_new ("http", "http", "https://h/");
  g_autofree char *ex = NULL;

  memset (deep, '[', n);
  g_assert_false (rp_json_judge (r, "application/json", deep, n, expect));
  g_assert_nonnull (strstr (r->summary, "nested deeper"));
  /* brackets inside strings do not count */
  {
    g_autoptr (GString) s = g_string_new ("{\"status\":\"");
    g_autoptr (RpCheckResult) r2 = rp_check_result_new ("http", "http", "https://h/");
    for (int i = 0; i < 1000; i++)
      g_string_append (s, "[{");
    g_string_append (s, "\"}");
    g_assert_false (rp_json_judge (r2, NULL, s->str, s->len, expect));
    g_assert_nonnull (strstr (r2->summary, "status is \"[{[{"));
  }
  /* excerpts are printable ASCII, quoted, and bounded */
  ex = rp_body_excerpt ("a\"b\\c\n\x01\xff", 8, 100);
  g_assert_cmpstr (ex, ==, "\"a\\\"b\\\\c\\n??\"");
  g_clear_pointer (&ex, g_free);
  ex = rp_body_excerpt ("abcdef", 6, 3);
  g_assert_cmpstr (ex, ==, "\"abc...\"");
}

/* ------------------------------------------------------------ CORS */

#define O "https://app.example.org"
#define F "https://rtcprobe-foreign-origin.invalid"

typedef struct {
  const char *name;
  RpCorsAnswer get, pre, foreign;
  RpStatus status;
  const char *summary_has;
  const char *hint_has;
} CorsCase;

static const CorsCase cors_cases[] = {
  { "strict",
    { TRUE, 200, O, "true", NULL, NULL },
    { TRUE, 204, O, "true", "GET,POST", NULL },
    { TRUE, 200, NULL, NULL, NULL, NULL },
    RP_STATUS_PASS,
    "foreign origin is refused",
    NULL },
  { "star",
    { TRUE, 200, "*", NULL, NULL, NULL },
    { TRUE, 204, "*", NULL, NULL, NULL },
    { TRUE, 200, "*", NULL, NULL, NULL },
    RP_STATUS_PASS,
    "any origin",
    NULL },
  { "star-creds",
    { TRUE, 200, "*", "true", NULL, NULL },
    { TRUE, 204, "*", "true", NULL, NULL },
    { TRUE, 200, "*", "true", NULL, NULL },
    RP_STATUS_FAIL,
    "Access-Control-Allow-Credentials: true",
    "CORS_ORIGIN" },
  { "reflect",
    { TRUE, 200, O, "true", NULL, NULL },
    { TRUE, 204, O, "true", NULL, NULL },
    { TRUE, 200, F, "true", NULL, NULL },
    RP_STATUS_FAIL,
    "reflects Origin",
    "strict" },
  { "missing",
    { TRUE, 200, NULL, NULL, NULL, NULL },
    { TRUE, 204, NULL, NULL, NULL, NULL },
    { TRUE, 200, NULL, NULL, NULL, NULL },
    RP_STATUS_FAIL,
    "no Access-Control-Allow-Origin",
    "add the app origin to CORS_ORIGIN" },
  { "other",
    { TRUE, 200, "https://other.example.org", NULL, NULL, NULL },
    { TRUE, 204, NULL, NULL, NULL, NULL },
    { TRUE, 200, NULL, NULL, NULL, NULL },
    RP_STATUS_FAIL,
    "\"https://other.example.org\"",
    "CORS_ORIGIN=" O },
  { "trailing-slash",
    { TRUE, 200, O "/", NULL, NULL, NULL },
    { TRUE, 204, O "/", NULL, NULL, NULL },
    { TRUE, 200, NULL, NULL, NULL, NULL },
    RP_STATUS_FAIL,
    "may not read",
    "exactly" },
  { "no-preflight",
    { TRUE, 200, O, NULL, NULL, NULL },
    { TRUE, 404, NULL, NULL, NULL, NULL },
    { TRUE, 200, NULL, NULL, NULL, NULL },
    RP_STATUS_WARN,
    "preflight",
    "OPTIONS" },
  { "preflight-error",
    { TRUE, 200, O, NULL, NULL, NULL },
    { TRUE, 500, O, NULL, NULL, NULL },
    { TRUE, 200, NULL, NULL, NULL, NULL },
    RP_STATUS_WARN,
    "OPTIONS answers 500",
    "OPTIONS" },
  { "no-answer",
    { FALSE, 0, NULL, NULL, NULL, "Connection refused" },
    { FALSE, 0, NULL, NULL, NULL, "x" },
    { FALSE, 0, NULL, NULL, NULL, "x" },
    RP_STATUS_FAIL,
    "Connection refused",
    NULL },
};

static void
test_cors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cors_cases); i++) {
    const CorsCase *c = &cors_cases[i];
    g_autoptr (RpCheckResult) r =
      rp_check_result_new ("http.cors", "http", "https://api.example.org/health");

    rp_cors_judge (r, O, F, &c->get, &c->pre, &c->foreign);
    g_test_message ("%s -> %s: %s", c->name, rp_status_to_string (r->status), r->summary);
    g_assert_cmpint (r->status, ==, c->status);
    g_assert_nonnull (strstr (r->summary, c->summary_has));
    if (c->hint_has != NULL)
      g_assert_nonnull (strstr (r->hint, c->hint_has));
  }
  {
    RpCorsAnswer a = { TRUE, 200, "*", "TRUE", NULL, NULL };
    g_assert_false (rp_cors_allows (&a, O));
    a.acac = "false";
    g_assert_true (rp_cors_allows (&a, O));
  }
}

/* ------------------------------------------------------------ timing */

static void
test_phases (void)
{
  /* https: dns 1000, tcp +2000, tls +5000, request sent at 8100, first byte 20100 */
  RpHttpTimes t = { 1000, 3000, 8000, 8100, 20100, 25000 };
  RpHttpTimes plain = { 500, 1500, 0, 1600, 4600, 5000 };
  RpHttpTimes refused = { 700, 0, 0, 0, 0, 900 };
  RpHttpTimes literal = { 0, 300, 0, 350, 1350, 1400 };
  RpHttpPhases p;

  rp_http_phases (&t, &p);
  g_assert_cmpint (p.dns, ==, 1000);
  g_assert_cmpint (p.connect, ==, 2000);
  g_assert_cmpint (p.tls, ==, 5000);
  g_assert_cmpint (p.ttfb, ==, 12000);
  g_assert_cmpint (p.total, ==, 25000);
  rp_http_phases (&plain, &p);
  g_assert_cmpint (p.connect, ==, 1000);
  g_assert_cmpint (p.tls, ==, 0);
  g_assert_cmpint (p.ttfb, ==, 3000);
  rp_http_phases (&refused, &p);
  g_assert_cmpint (p.dns, ==, 700);
  g_assert_cmpint (p.connect, ==, 0);
  g_assert_cmpint (p.ttfb, ==, 0);
  rp_http_phases (&literal, &p);
  g_assert_cmpint (p.dns, ==, 0);
  g_assert_cmpint (p.connect, ==, 300);
  g_assert_cmpint (p.ttfb, ==, 1000);
}

/* ------------------------------------------------------------ TLS words */

static void
test_tls_error_text (void)
{
  static const struct { const char *text; long code;
  } cases[] = {
    { "SSL certificate problem: certificate has expired", X509_V_ERR_CERT_HAS_EXPIRED },
    { "SSL certificate problem: certificate is not yet valid", X509_V_ERR_CERT_NOT_YET_VALID },
    { "SSL certificate problem: self-signed certificate", X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT },
    { "SSL certificate problem: unable to get local issuer certificate",
      X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY },
    { "SSL: no alternative certificate subject name matches target host name 'x.example'",
      X509_V_ERR_HOSTNAME_MISMATCH },
    { "SSL: certificate subject name 'a' does not match target host name 'b'",
      X509_V_ERR_HOSTNAME_MISMATCH },
    { "SSL certificate problem: something new", X509_V_ERR_UNSPECIFIED },
    { "Connection refused", X509_V_OK },
    { NULL, X509_V_OK },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (rp_http_tls_code_from_error (cases[i].text), ==, cases[i].code);
}

/* RFC 6454 origins for --header on redirects (curl's CVE-2022-27776 rule). */
static void
test_origin (void)
{
  static const struct { const char *a, *b; gboolean same; } rows[] = {
    { "https://a.test/x", "https://a.test/y?z", TRUE },
    { "https://a.test/", "https://A.TEST:443/", TRUE },
    { "http://a.test/", "http://a.test:80/p", TRUE },
    { "https://a.test/", "https://a.test:8443/", FALSE },
    { "http://127.0.0.1:8080/", "http://127.0.0.1:8081/", FALSE },
    { "https://a.test/", "http://a.test/", FALSE },
    { "https://a.test:80/", "http://a.test:80/", FALSE },
    { "https://a.test/", "https://b.a.test/", FALSE },
    { "http://[::1]:8080/", "http://[::1]:8080/q", TRUE },
    { "http://[::1]:8080/", "http://127.0.0.1:8080/", FALSE },
    { "https://a.test/", "data:text/plain,a.test", FALSE },
    { "file:///etc/passwd", "file:///etc/passwd", FALSE },
    { "https://a.test/", "/relative", FALSE },
    { "https://a.test/", NULL, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
    g_test_message ("%s vs %s", rows[i].a, rows[i].b);
    g_assert_cmpint (rp_http_same_origin (rows[i].a, rows[i].b), ==, rows[i].same);
    g_assert_cmpint (rp_http_same_origin (rows[i].b, rows[i].a), ==, rows[i].same);
  }
  g_assert_true (rp_http_is_downgrade ("https://a.test/", "http://a.test/"));
  g_assert_true (rp_http_is_downgrade ("HTTPS://a.test/", "HTTP://b.test:8080/"));
  g_assert_false (rp_http_is_downgrade ("http://a.test/", "https://a.test/"));
  g_assert_false (rp_http_is_downgrade ("https://a.test/", "https://b.test/"));
  g_assert_false (rp_http_is_downgrade ("http://a.test/", "http://b.test/"));
  g_assert_cmpstr (rp_http_refused_scheme ("data:text/plain,hi"), ==, "data");
  g_assert_cmpstr (rp_http_refused_scheme ("JavaScript:alert(1)"), ==, "javascript");
  g_assert_cmpstr (rp_http_refused_scheme ("file:///etc/passwd"), ==, "file");
  g_assert_null (rp_http_refused_scheme ("https://a.test/"));
  g_assert_null (rp_http_refused_scheme ("HTTP://a.test/"));
  g_assert_null (rp_http_refused_scheme ("/next"));
  g_assert_null (rp_http_refused_scheme ("next?a=b:c"));
  g_assert_null (rp_http_refused_scheme (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/http-policy/hsts/parse", test_hsts_parse);
  g_test_add_func ("/http-policy/hsts/judge", test_hsts_judge);
  g_test_add_func ("/http-policy/redirect", test_redirect);
  g_test_add_func ("/http-policy/status", test_status);
  g_test_add_func ("/http-policy/json/expect", test_json_expect);
  g_test_add_func ("/http-policy/json/judge", test_json_judge);
  g_test_add_func ("/http-policy/json/hostile", test_json_hostile);
  g_test_add_func ("/http-policy/cors", test_cors);
  g_test_add_func ("/http-policy/phases", test_phases);
  g_test_add_func ("/http-policy/tls-error-text", test_tls_error_text);
  g_test_add_func ("/http-policy/origin", test_origin);
  return g_test_run ();
}
