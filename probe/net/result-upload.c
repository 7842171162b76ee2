/* POST of a report to a reflector (see result-upload.h). The invite travels
 * in the Authorization header (RFC 6750 section 2.1), never in the URL, and
 * the header list is wiped after the transfer. */
#include "probe/net/result-upload.h"
#include "probe/net/curl-trust.h"

#include <curl/curl.h>
#include <gio/gio.h>
#include <openssl/crypto.h>
#include <string.h>

#include "common/quote.h"
#include "probe/core/credentials.h"
#include "rp-config.h"

#define ANSWER_MAX 512

gboolean
rp_result_upload_url_ok (const char *url, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  if (uri == NULL || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || g_uri_get_userinfo (uri) != NULL || g_uri_get_fragment (uri) != NULL) {
    g_autofree char *q = rp_quote_input (url, strlen (url), 80);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--upload %s: an http:// or https:// URL without user or fragment, e.g. "
                 "https://api.example.org/rtcprobe/results", q);
    return FALSE;
  }
  return TRUE;
}

RpSecret *
rp_result_upload_invite (const char *file, GError **error)
{
  g_autoptr (RpSecret) text = NULL;
  const char *env = g_getenv ("RTCPROBE_INVITE");
  const char *hash, *start;

  if (file != NULL)
    text = rp_read_secret_file (file, error);
  else if (env != NULL && *env != '\0')
    text = g_strdup (env);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--upload needs an invite: --invite-file FILE or RTCPROBE_INVITE");
  if (text == NULL)
    return NULL;
  hash = strrchr (text, '#');
  start = hash != NULL ? hash + 1 : text;
  start += strspn (start, " \t\r\n");
  if (*start == '\0' || strpbrk (start, " \t\r\n") != NULL || strlen (start) > 512) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "the invite is not one token (give the invite or the whole link)");
    return NULL;
  }
  return g_strdup (start);
}

static size_t
on_body (char *data, size_t size, size_t n, void *user)
{
  GString *answer = user;
  gsize len = size * n;

  if (answer->len < ANSWER_MAX)
    g_string_append_len (answer, data, MIN (len, ANSWER_MAX - answer->len));
  return len;
}

gboolean
rp_result_upload (const char *url, const RpSecret *invite, const char *json, gsize len,
                  const char *ca_file, gboolean insecure, double timeout_s, GError **error)
{
  g_autoptr (GString) answer = g_string_new (NULL);
  g_autofree char *auth = g_strconcat ("Authorization: Bearer ", invite, NULL);
  struct curl_slist *headers = NULL;
  CURL *curl = curl_easy_init ();
  char why[CURL_ERROR_SIZE] = "";
  long status = 0;
  CURLcode rc;

  if (curl == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "upload: libcurl could not start");
    return FALSE;
  }
  headers = curl_slist_append (headers, auth);
  headers = curl_slist_append (headers, "Content-Type: application/json");
  headers = curl_slist_append (headers, "Expect:");
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, json);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
  curl_easy_setopt (curl, CURLOPT_USERAGENT, "rtcprobe/" RP_VERSION);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) (timeout_s * 1000));
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, why);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, answer);
  rp_curl_set_trust (curl, ca_file);
  if (insecure) {
    curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  rc = curl_easy_perform (curl);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup (curl);
  for (struct curl_slist *h = headers; h != NULL; h = h->next)
    OPENSSL_cleanse (h->data, strlen (h->data));
  curl_slist_free_all (headers);
  OPENSSL_cleanse (auth, strlen (auth));
  if (rc != CURLE_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "upload: %s",
                 *why != '\0' ? why : curl_easy_strerror (rc));
    return FALSE;
  }
  if (status != 200) {
    g_autofree char *line = rp_quote_input (answer->str, strcspn (answer->str, "\r\n"), 200);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "upload refused (HTTP %ld): %s", status,
                 line);
    return FALSE;
  }
  return TRUE;
}
