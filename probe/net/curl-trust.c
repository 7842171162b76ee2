/* rp_curl_set_trust() (curl-trust.h). */
#include "probe/net/curl-trust.h"

#include "common/trust-store.h"

static CURLcode
load_system_store (CURL *easy, void *ssl_ctx, void *unused)
{
  return rp_tls_load_system_store (ssl_ctx) ? CURLE_OK : CURLE_SSL_CACERT_BADFILE;
}

void
rp_curl_set_trust (CURL *easy, const char *ca_file)
{
  curl_easy_setopt (easy, CURLOPT_CAINFO, ca_file);
  curl_easy_setopt (easy, CURLOPT_CAPATH, NULL);
  if (ca_file == NULL)
    curl_easy_setopt (easy, CURLOPT_SSL_CTX_FUNCTION, load_system_store);
}
