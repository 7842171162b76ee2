/* The DTLS certificate and its fingerprint (see dtls-cert.h; RFC 8122 5,
 * RFC 8827 6.5). */
#include "rtc/webrtc/dtls-cert.h"

#include <gio/gio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <string.h>

struct _RpDtlsCert {
  EVP_PKEY *key;
  X509 *x509;
  guint8 fingerprint[RP_DTLS_FINGERPRINT_LEN];
};

void
rp_dtls_cert_free (RpDtlsCert *cert)
{
  if (cert == NULL)
    return;
  X509_free (cert->x509);
  EVP_PKEY_free (cert->key);
  g_free (cert);
}

static gboolean
fill_x509 (X509 *x, EVP_PKEY *key)
{
  X509_NAME *name = X509_get_subject_name (x);
  ASN1_INTEGER *serial = X509_get_serialNumber (x);
  guint8 rnd[8];

  if (RAND_bytes (rnd, sizeof rnd) != 1)
    return FALSE;
  rnd[0] &= 0x7f;   /* a positive serial */
  {
    BIGNUM *bn = BN_bin2bn (rnd, sizeof rnd, NULL);
    gboolean ok = bn != NULL && BN_to_ASN1_INTEGER (bn, serial) != NULL;
    BN_free (bn);
    if (!ok)
      return FALSE;
  }
  return X509_set_version (x, 2) == 1
         && X509_gmtime_adj (X509_getm_notBefore (x), -24 * 3600) != NULL
         && X509_gmtime_adj (X509_getm_notAfter (x), 30L * 24 * 3600) != NULL
         && X509_set_pubkey (x, key) == 1
         && X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC,
                                        (const unsigned char *) "rtcprobe", -1, -1, 0) == 1
         && X509_set_issuer_name (x, name) == 1
         && X509_sign (x, key, EVP_sha256 ()) > 0;
}

RpDtlsCert *
rp_dtls_cert_new (GError **error)
{
  g_autoptr (RpDtlsCert) cert = g_new0 (RpDtlsCert, 1);

  cert->key = EVP_EC_gen ("P-256");
  cert->x509 = X509_new ();
  if (cert->key == NULL || cert->x509 == NULL || !fill_x509 (cert->x509, cert->key)
      || !rp_dtls_x509_fingerprint (cert->x509, cert->fingerprint)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "DTLS: OpenSSL could not make an ECDSA P-256 certificate");
    return NULL;
  }
  return g_steal_pointer (&cert);
}

X509 *rp_dtls_cert_get_x509 (RpDtlsCert *cert) { return cert->x509; }
EVP_PKEY *rp_dtls_cert_get_key (RpDtlsCert *cert) { return cert->key; }
const guint8 *rp_dtls_cert_get_fingerprint (RpDtlsCert *cert) { return cert->fingerprint; }

gboolean
rp_dtls_x509_fingerprint (X509 *x509, guint8 out[RP_DTLS_FINGERPRINT_LEN])
{
  unsigned int len = 0;

  return X509_digest (x509, EVP_sha256 (), out, &len) == 1 && len == RP_DTLS_FINGERPRINT_LEN;
}

char *
rp_dtls_fingerprint_to_string (const guint8 fp[RP_DTLS_FINGERPRINT_LEN])
{
  GString *s = g_string_sized_new (3 * RP_DTLS_FINGERPRINT_LEN);

  for (guint i = 0; i < RP_DTLS_FINGERPRINT_LEN; i++)
    g_string_append_printf (s, i == 0 ? "%02X" : ":%02X", fp[i]);
  return g_string_free (s, FALSE);
}

gboolean
rp_dtls_fingerprint_from_string (const char *s, guint8 out[RP_DTLS_FINGERPRINT_LEN])
{
  if (strlen (s) != 3 * RP_DTLS_FINGERPRINT_LEN - 1)
    return FALSE;
  for (guint i = 0; i < RP_DTLS_FINGERPRINT_LEN; i++) {
    int hi = g_ascii_xdigit_value (s[3 * i]);
    int lo = g_ascii_xdigit_value (s[3 * i + 1]);

    if (hi < 0 || lo < 0 || (i + 1 < RP_DTLS_FINGERPRINT_LEN && s[3 * i + 2] != ':'))
      return FALSE;
    out[i] = (guint8) (hi << 4 | lo);
  }
  return TRUE;
}
