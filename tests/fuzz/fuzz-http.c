/* Fuzz target for the parsers of server-controlled text in the `http`
 * checks. The first byte picks the parser, the rest is what a server sent:
 *   'h'  a Strict-Transport-Security value: rp_hsts_parse() succeeds with a
 *        non-negative max-age, or fails with a one-line reason; the verdict
 *        always has a summary, and a hint when not pass;
 *   'j'  "PATH=VALUE\n" then a body: rp_json_judge() fails with a summary
 *        and hint, or passes; the lookup never crashes on any shape, and
 *        hostile nesting is refused before json-glib recurses;
 *   'c'  CORS header values (ACAO\nACAC\n): the verdict is total;
 *   'l'  "URL\nLOCATION": the redirect rules. The origin comparison is
 *        symmetric, one origin is never a downgrade, and a refused scheme is
 *        lower case, not http or https.
 * Summaries and hints must be valid UTF-8 (reports are JSON). */
#include <stdint.h>
#include <string.h>

#include "probe/net/http-policy.h"

static void
check_words (const RpCheckResult *r)
{
  g_assert_nonnull (r->summary);
  g_assert_true (g_utf8_validate (r->summary, -1, NULL));
  if (r->status != RP_STATUS_PASS) {
    g_assert_nonnull (r->hint);
    g_assert_true (g_utf8_validate (r->hint, -1, NULL));
  }
}

static void
fuzz_hsts (const char *text)
{
  RpHsts h;
  g_autofree char *error = NULL;
  g_autoptr (RpCheckResult) r = rp_check_result_new ("http.h.hsts", "http", "https://h/");

  if (rp_hsts_parse (text, &h, &error)) {
    g_assert_null (error);
    g_assert_cmpint (h.max_age, >=, 0);
  } else {
    g_assert_nonnull (error);
    g_assert_null (strchr (error, '\n'));
  }
  if (g_utf8_validate (text, -1, NULL)) {
    rp_hsts_judge (r, text, 1);
    check_words (r);
  }
}

static void
fuzz_json (const char *data, gsize size)
{
  const char *nl = memchr (data, '\n', size);
  g_autofree char *spec = NULL;
  char *expect[2] = { NULL, NULL };
  g_autoptr (RpCheckResult) r = rp_check_result_new ("http", "http", "https://h/health");

  if (nl == NULL)
    return;
  spec = g_strndup (data, nl - data);
  if (strchr (spec, '=') == NULL || !g_utf8_validate (spec, -1, NULL))
    return;
  expect[0] = spec;
  if (!rp_json_judge (r, "application/json", nl + 1, size - (nl + 1 - data), expect))
    check_words (r);
}

static void
fuzz_cors (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", 3);
  RpCorsAnswer a = { TRUE, 200, NULL, NULL, NULL, NULL };
  g_autoptr (RpCheckResult) r = rp_check_result_new ("http.cors", "http", "https://h/");

  if (!g_utf8_validate (text, -1, NULL))
    return;
  a.acao = lines[0];
  a.acac = lines[0] != NULL ? lines[1] : NULL;
  rp_cors_judge (r, "https://app.example.org", "https://rtcprobe-foreign-origin.invalid", &a, &a,
                 &a);
  check_words (r);
}

static void
fuzz_location (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", 2);
  const char *url = lines[0], *location = url != NULL ? lines[1] : NULL;
  const char *scheme;
  gboolean same;

  if (location == NULL)
    return;
  same = rp_http_same_origin (url, location);
  g_assert_cmpint (same, ==, rp_http_same_origin (location, url));
  if (same)
    g_assert_false (rp_http_is_downgrade (url, location));
  scheme = rp_http_refused_scheme (location);
  if (scheme != NULL) {
    g_assert_cmpstr (scheme, !=, "http");
    g_assert_cmpstr (scheme, !=, "https");
    for (const char *p = scheme; *p != '\0'; p++)
      g_assert_false (g_ascii_isupper (*p) || *p == ':');
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;

  if (size < 1)
    return 0;
  text = g_strndup ((const char *) data + 1, size - 1);   /* stops at a NUL, as header values do */
  switch (data[0]) {
  case 'h':
    fuzz_hsts (text);
    break;
  case 'j':
    fuzz_json ((const char *) data + 1, size - 1);
    break;
  case 'c':
    fuzz_cors (text);
    break;
  case 'l':
    fuzz_location (text);
    break;
  default:
    break;
  }
  return 0;
}
