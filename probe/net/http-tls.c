/* Certificate evaluation for the `http` checks (see http-tls.h): PEM from
 * curl's certinfo, chain building and host matching with OpenSSL, and the
 * evidence an operator reads (subject, issuer, SAN, days left). */
#include "probe/net/http-tls.h"

#include <gio/gio.h>
#include <math.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "common/tls-client.h"

/* A hostile certificate may carry thousands of names: list enough to judge. */
#define SAN_MAX 32

void
rp_http_cert_clear (RpHttpCert *cert)
{
  g_free (cert->subject);
  g_free (cert->issuer);
  g_free (cert->san);
  memset (cert, 0, sizeof *cert);
}

static X509 *
cert_from_slist (const struct curl_slist *s)
{
  for (; s != NULL; s = s->next) {
    if (g_str_has_prefix (s->data, "Cert:")) {
      BIO *bio = BIO_new_mem_buf (s->data + 5, -1);
      X509 *x = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
      BIO_free (bio);
      return x;
    }
  }
  return NULL;
}

char *
rp_http_leaf_sha256 (const struct curl_certinfo *ci)
{
  X509 *x;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  GString *hex;

  if (ci == NULL || ci->num_of_certs <= 0)
    return NULL;
  x = cert_from_slist (ci->certinfo[0]);
  if (x == NULL)
    return NULL;
  if (X509_digest (x, EVP_sha256 (), md, &len) != 1) {
    X509_free (x);
    return NULL;
  }
  X509_free (x);
  hex = g_string_sized_new (len * 3);
  for (unsigned int i = 0; i < len; i++)
    g_string_append_printf (hex, "%s%02x", i ? ":" : "", md[i]);
  return g_string_free (hex, FALSE);
}

static char *
name_text (const X509_NAME *name)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len;
  char *out;

  X509_NAME_print_ex (bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  len = BIO_get_mem_data (bio, &data);
  out = g_utf8_make_valid (data, len);
  BIO_free (bio);
  return out;
}

static char *
san_text (X509 *x)
{
  GENERAL_NAMES *names = X509_get_ext_d2i (x, NID_subject_alt_name, NULL, NULL);
  GString *s = g_string_new (NULL);
  int n;

  if (names == NULL)
    return g_string_free (s, FALSE);
  n = sk_GENERAL_NAME_num (names);
  for (int i = 0; i < n && i < SAN_MAX; i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value (names, i);
    if (s->len > 0)
      g_string_append (s, ", ");
    if (g->type == GEN_DNS) {
      const ASN1_IA5STRING *d = g->d.dNSName;
      g_autofree char *v =
        g_utf8_make_valid ((const char *) ASN1_STRING_get0_data (d), ASN1_STRING_length (d));
      g_string_append_printf (s, "DNS:%s", v);
    } else if (g->type == GEN_IPADD &&
               (g->d.iPAddress->length == 4 || g->d.iPAddress->length == 16)) {
      g_autoptr (GInetAddress) ip = g_inet_address_new_from_bytes (
        g->d.iPAddress->data,
        g->d.iPAddress->length == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
      g_autofree char *v = g_inet_address_to_string (ip);
      g_string_append_printf (s, "IP:%s", v);
    } else {
      g_string_append (s, "other");
    }
  }
  if (n > SAN_MAX)
    g_string_append_printf (s, ", ... (%d names)", n);
  GENERAL_NAMES_free (names);
  return g_string_free (s, FALSE);
}

static gint64
asn1_unix (const ASN1_TIME *t)
{
  struct tm tm;

  if (t == NULL || ASN1_TIME_to_tm (t, &tm) != 1)
    return 0;
  return (gint64) timegm (&tm);
}

gboolean
rp_http_cert_evaluate (const struct curl_certinfo *ci, const char *host, const char *ca_file,
                       RpHttpCert *cert, GError **error)
{
  X509 *leaf = NULL;
  STACK_OF (X509) *chain = NULL;
  X509_STORE *store = NULL;
  X509_STORE_CTX *ctx = NULL;
  X509_VERIFY_PARAM *param;
  gboolean ok = FALSE;

  rp_http_cert_clear (cert);
  if (ci == NULL || ci->num_of_certs <= 0 || (leaf = cert_from_slist (ci->certinfo[0])) == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "the server sent no certificate curl could read");
    return FALSE;
  }
  chain = sk_X509_new_null ();
  for (int i = 1; i < ci->num_of_certs; i++) {
    X509 *x = cert_from_slist (ci->certinfo[i]);
    if (x != NULL)
      sk_X509_push (chain, x);
  }
  cert->have_cert = TRUE;
  cert->subject = name_text (X509_get_subject_name (leaf));
  cert->issuer = name_text (X509_get_issuer_name (leaf));
  cert->san = san_text (leaf);
  cert->not_before = asn1_unix (X509_get0_notBefore (leaf));
  cert->not_after = asn1_unix (X509_get0_notAfter (leaf));

  /* --ca-file alone, or the process's shared system store (borrowed). */
  if (ca_file != NULL) {
    store = X509_STORE_new ();
    if (store != NULL && X509_STORE_load_file (store, ca_file) != 1)
      g_clear_pointer (&store, X509_STORE_free);
  } else if ((store = rp_tls_system_store ()) != NULL) {
    X509_STORE_up_ref (store);
  }
  if (store == NULL) {
    g_autofree char *why = rp_tls_last_error ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s: cannot load CA certificates (%s)", ca_file ? ca_file : "system trust store",
                 why);
    goto out;
  }
  ctx = X509_STORE_CTX_new ();
  if (X509_STORE_CTX_init (ctx, store, leaf, chain) != 1) {
    g_autofree char *why = rp_tls_last_error ();
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS: %s", why);
    goto out;
  }
  param = X509_STORE_CTX_get0_param (ctx);
  /* The same purpose and name rules a TLS client applies */
  X509_STORE_CTX_set_purpose (ctx, X509_PURPOSE_SSL_SERVER);
  if (g_hostname_is_ip_address (host)) {
    X509_VERIFY_PARAM_set1_ip_asc (param, host);
  } else {
    X509_VERIFY_PARAM_set_hostflags (param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host (param, host, 0);
  }
  if (X509_verify_cert (ctx) == 1)
    cert->verify_result = X509_V_OK;
  else if ((cert->verify_result = X509_STORE_CTX_get_error (ctx)) == X509_V_OK)
    cert->verify_result = X509_V_ERR_UNSPECIFIED;   /* an internal error, not a verdict */
  ok = TRUE;
out:
  X509_STORE_CTX_free (ctx);
  X509_STORE_free (store);
  sk_X509_pop_free (chain, X509_free);
  X509_free (leaf);
  return ok;
}

long
rp_http_tls_code_from_error (const char *curl_error)
{
  const char *problem;

  if (curl_error == NULL)
    return X509_V_OK;
  /* lib/vtls/openssl.c: the host name check is curl's own */
  if (strstr (curl_error, "subject name") != NULL &&
      (strstr (curl_error, "does not match") != NULL ||
       strstr (curl_error, "matches target host") != NULL))
    return X509_V_ERR_HOSTNAME_MISMATCH;
  problem = strstr (curl_error, "certificate problem: ");
  if (problem == NULL)
    return X509_V_OK;
  problem += strlen ("certificate problem: ");
  /* curl prints X509_verify_cert_error_string(): map the words back */
  for (long code = 1; code < 200; code++) {
    const char *s = X509_verify_cert_error_string (code);
    if (s != NULL && g_str_has_prefix (problem, s) && !g_str_has_prefix (s, "error number"))
      return code;
  }
  return X509_V_ERR_UNSPECIFIED;
}

double
rp_http_cert_days_left (const RpHttpCert *cert, gint64 now_unix)
{
  /* Days to two decimals: finer says nothing about a renewal. */
  return round ((cert->not_after - now_unix) / 864.0) / 100.0;
}

void
rp_http_cert_details (RpCheckResult *r, const RpHttpCert *cert, gint64 now_unix)
{
  if (!cert->have_cert)
    return;
  rp_check_result_detail_bool (r, "tls_verified", cert->verify_result == X509_V_OK);
  if (cert->verify_result != X509_V_OK)
    rp_check_result_detail_str (r, "tls_error", rp_tls_verify_tag (cert->verify_result));
  rp_check_result_detail_str (r, "cert_subject", cert->subject);
  rp_check_result_detail_str (r, "cert_issuer", cert->issuer);
  rp_check_result_detail_str (r, "cert_san", cert->san);
  if (cert->not_after != 0)
    rp_check_result_metric (r, "cert_days_left", rp_http_cert_days_left (cert, now_unix));
}
