/* The DTLS certificate of a WebRTC endpoint: a self-signed ECDSA P-256
 * certificate made at start (RFC 8827 6.5: a fresh key per endpoint; the
 * identity is the fingerprint in the SDP, not a CA), and SHA-256
 * fingerprints in the form of RFC 8122 5 ("sha-256 AB:CD:..."), of our
 * certificate and of any peer's. */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

#define RP_DTLS_FINGERPRINT_LEN 32   /* SHA-256 */

typedef struct _RpDtlsCert RpDtlsCert;

/* A new key and certificate (CN "rtcprobe", valid from a day ago for 30
 * days). NULL with an error when OpenSSL refuses. */
RpDtlsCert *rp_dtls_cert_new (GError **error);
void rp_dtls_cert_free (RpDtlsCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpDtlsCert, rp_dtls_cert_free)

/* Owned by the certificate. */
X509 *rp_dtls_cert_get_x509 (RpDtlsCert *cert);
EVP_PKEY *rp_dtls_cert_get_key (RpDtlsCert *cert);
const guint8 *rp_dtls_cert_get_fingerprint (RpDtlsCert *cert);

/* SHA-256 of the DER encoding (RFC 8122 5). */
gboolean rp_dtls_x509_fingerprint (X509 *x509, guint8 out[RP_DTLS_FINGERPRINT_LEN]);
/* "AB:CD:..." (95 characters, upper case, RFC 8122 5). New string. */
char *rp_dtls_fingerprint_to_string (const guint8 fp[RP_DTLS_FINGERPRINT_LEN]);
/* The hex pairs of that form, either case; FALSE for anything else. */
gboolean rp_dtls_fingerprint_from_string (const char *s, guint8 out[RP_DTLS_FINGERPRINT_LEN]);

G_END_DECLS
