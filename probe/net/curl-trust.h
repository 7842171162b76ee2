/* The CAs a libcurl transfer trusts: exactly --ca-file when given, else the
 * process's system store (common/trust-store.h), never libcurl's compiled-in
 * paths, which the portable build's libcurl does not have and which could
 * differ from what every other TLS check of the run trusts. */
#pragma once

#include <curl/curl.h>

void rp_curl_set_trust (CURL *easy, const char *ca_file);
