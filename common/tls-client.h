/* TLS for the STUN/TURN client (stuns:, turns:): an OpenSSL client context
 * and the words an operator needs when verification fails. Verification is
 * done after the handshake from OpenSSL's verify result, not by aborting the
 * handshake, so that --insecure still records what would have failed. */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

typedef struct {
  const char *ca_file;   /* NULL: the system's trust store */
  gboolean insecure;     /* complete the check even when verification fails */
} RpTlsOptions;

SSL_CTX *rp_tls_client_ctx_new (const RpTlsOptions *options, GError **error);
/* The system's trust store in ctx: one X509_STORE for the process, shared
 * by every context (each one decoding the bundle file took tens of
 * milliseconds with OpenSSL 3, on the loop every check shares). Where the
 * system keeps OpenSSL's hashed directory (Debian's /etc/ssl/certs) the
 * store reads a CA only when a chain needs it; otherwise, and when
 * SSL_CERT_FILE names a bundle, it holds OpenSSL's default paths. */
gboolean rp_tls_load_system_store (SSL_CTX *ctx);
/* That store itself (borrowed; NULL when the system has none), for
 * verifying a chain outside a handshake. */
X509_STORE *rp_tls_system_store (void);
/* host: the name the user wrote (SNI unless it is an IP literal; checked
 * against the certificate either way). */
SSL *rp_tls_client_new (SSL_CTX *ctx, int fd, const char *host, GError **error);

/* Why verification failed, in operator words: "certificate has expired",
 * "self-signed certificate", "name mismatch: the certificate is not valid for
 * turn.example.org", "issued by an unknown CA". */
char *rp_tls_verify_reason (long verify_result, const char *host);
/* A short tag for details: expired, not_yet_valid, self_signed, unknown_ca,
 * name_mismatch, other. */
const char *rp_tls_verify_tag (long verify_result);

/* A few words for a summary line: "expired", "self-signed", "issued by an
 * unknown CA", "not valid for this name". */
const char *rp_tls_verify_phrase (long verify_result);

/* The most recent OpenSSL error as one line (and clears the queue). */
char *rp_tls_last_error (void);

G_END_DECLS
