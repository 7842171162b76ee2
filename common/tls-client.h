/* TLS for the STUN/TURN client (stuns:, turns:): an OpenSSL client context
 * and the words an operator needs when verification fails. Verification is
 * done after the handshake from OpenSSL's verify result, not by aborting the
 * handshake, so that --insecure still records what would have failed. */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

#include "common/trust-store.h"

G_BEGIN_DECLS

typedef struct {
  const char *ca_file;   /* NULL: the system's trust store */
  gboolean insecure;     /* complete the check even when verification fails */
} RpTlsOptions;

SSL_CTX *rp_tls_client_ctx_new (const RpTlsOptions *options, GError **error);
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
