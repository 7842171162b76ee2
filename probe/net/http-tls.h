/* Certificate evidence for the `http` checks. libcurl hands over the chain
 * the server sent (CURLOPT_CERTINFO, PEM per certificate); we verify it
 * ourselves with an OpenSSL X509_STORE against the same trust (--ca-file or
 * the system store) and the host name. That one path works with and without
 * --insecure: with verification off, curl completes the transfer and we
 * still know which check would have failed, with OpenSSL's exact code. */
#pragma once

#include <curl/curl.h>
#include <glib.h>

#include "common/result.h"

G_BEGIN_DECLS

typedef struct {
  gboolean have_cert;
  long verify_result;      /* X509_V_OK or the first failure (X509_V_ERR_*) */
  char *subject;           /* RFC 2253 */
  char *issuer;
  char *san;               /* "DNS:a.example.org, IP:192.0.2.1" */
  gint64 not_before;       /* Unix time */
  gint64 not_after;
} RpHttpCert;

void rp_http_cert_clear (RpHttpCert *cert);

/* Verifies the chain in ci for host. FALSE (with error) only when the trust
 * store cannot be loaded or ci holds no certificate. */
gboolean rp_http_cert_evaluate (const struct curl_certinfo *ci, const char *host,
                                const char *ca_file, RpHttpCert *cert, GError **error);

/* SHA-256 of the leaf certificate's DER in ci, lower-case hex with colons
 * (as `openssl x509 -fingerprint -sha256` prints it, in lower case), or NULL
 * when ci holds none. */
char *rp_http_leaf_sha256 (const struct curl_certinfo *ci);

/* The X509_V_ERR_* code behind one of curl's verification messages ("SSL
 * certificate problem: certificate has expired", "no alternative certificate
 * subject name matches ..."), or X509_V_OK when the text names none. */
long rp_http_tls_code_from_error (const char *curl_error);

/* cert_subject, cert_issuer, cert_san, tls_verified, tls_error and the
 * cert_days_left metric (two decimals; negative when expired). */
void rp_http_cert_details (RpCheckResult *r, const RpHttpCert *cert, gint64 now_unix);
double rp_http_cert_days_left (const RpHttpCert *cert, gint64 now_unix);

G_END_DECLS
