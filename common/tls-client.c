/* OpenSSL client context and certificate-verification wording for stuns: and
 * turns:. The handshake itself is driven by the transport (non-blocking). */
#include "common/tls-client.h"

#include <gio/gio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

char *
rp_tls_last_error (void)
{
  unsigned long e = ERR_get_error ();
  char buf[256];

  if (e == 0)
    return g_strdup ("unknown TLS error");
  ERR_error_string_n (e, buf, sizeof buf);
  ERR_clear_error ();
  return g_strdup (buf);
}

SSL_CTX *
rp_tls_client_ctx_new (const RpTlsOptions *options, GError **error)
{
  SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());

  if (ctx == NULL) {
    g_autofree char *why = rp_tls_last_error ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS: %s", why);
    return NULL;
  }
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  /* Verify after the handshake (see header): the chain is still built and
   * checked, and SSL_get_verify_result() tells us the first failure. */
  SSL_CTX_set_verify (ctx, SSL_VERIFY_NONE, NULL);
  if (options->ca_file != NULL) {
    if (SSL_CTX_load_verify_locations (ctx, options->ca_file, NULL) != 1) {
      g_autofree char *why = rp_tls_last_error ();
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--ca-file %s: cannot load CA certificates (%s)", options->ca_file, why);
      SSL_CTX_free (ctx);
      return NULL;
    }
  } else if (!rp_tls_load_system_store (ctx)) {
    g_autofree char *why = rp_tls_last_error ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS: no system trust store (%s)", why);
    SSL_CTX_free (ctx);
    return NULL;
  }
  return ctx;
}

SSL *
rp_tls_client_new (SSL_CTX *ctx, int fd, const char *host, GError **error)
{
  SSL *ssl = SSL_new (ctx);
  X509_VERIFY_PARAM *param;

  if (ssl == NULL || SSL_set_fd (ssl, fd) != 1) {
    g_autofree char *why = rp_tls_last_error ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS: %s", why);
    SSL_free (ssl);
    return NULL;
  }
  param = SSL_get0_param (ssl);
  if (g_hostname_is_ip_address (host)) {
    /* RFC 6066 3: literal IP addresses are not sent in SNI. */
    X509_VERIFY_PARAM_set1_ip_asc (param, host);
  } else {
    SSL_set_tlsext_host_name (ssl, host);
    X509_VERIFY_PARAM_set_hostflags (param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host (param, host, 0);
  }
  return ssl;
}

const char *
rp_tls_verify_tag (long v)
{
  switch (v) {
  case X509_V_OK:
    return "ok";
  case X509_V_ERR_CERT_HAS_EXPIRED:
    return "expired";
  case X509_V_ERR_CERT_NOT_YET_VALID:
    return "not_yet_valid";
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    return "self_signed";
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    return "unknown_ca";
  case X509_V_ERR_HOSTNAME_MISMATCH:
  case X509_V_ERR_IP_ADDRESS_MISMATCH:
    return "name_mismatch";
  default:
    return "other";
  }
}

const char *
rp_tls_verify_phrase (long v)
{
  const char *tag = rp_tls_verify_tag (v);

  if (g_str_equal (tag, "ok"))
    return "trusted";
  if (g_str_equal (tag, "expired"))
    return "expired";
  if (g_str_equal (tag, "not_yet_valid"))
    return "not valid yet";
  if (g_str_equal (tag, "self_signed"))
    return "self-signed";
  if (g_str_equal (tag, "unknown_ca"))
    return "issued by an unknown CA";
  if (g_str_equal (tag, "name_mismatch"))
    return "not valid for this name";
  return X509_verify_cert_error_string (v);
}

char *
rp_tls_verify_reason (long v, const char *host)
{
  switch (v) {
  case X509_V_ERR_CERT_HAS_EXPIRED:
    return g_strdup (
      "the server's certificate has expired: renew it (certbot renew) and reload the server");
  case X509_V_ERR_CERT_NOT_YET_VALID:
    return g_strdup ("the server's certificate is not valid yet: check the clock on this machine "
                     "and on the server");
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    return g_strdup (
      "the server presents a self-signed certificate: browsers will refuse it; install a "
      "certificate from a public CA (or pass --ca-file for a private one)");
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    return g_strdup ("the certificate is issued by a CA this machine does not trust, or the server "
                     "omits the intermediate certificate: serve the full chain (fullchain.pem), or "
                     "pass --ca-file for a private CA");
  case X509_V_ERR_HOSTNAME_MISMATCH:
  case X509_V_ERR_IP_ADDRESS_MISMATCH:
    return g_strdup_printf (
      "name mismatch: the certificate is not valid for %s: issue it for this name (subjectAltName)",
      host);
  default:
    return g_strdup_printf ("certificate verification failed: %s",
                            X509_verify_cert_error_string (v));
  }
}
