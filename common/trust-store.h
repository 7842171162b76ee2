/* The process's trust store: the system's CA certificates, found where
 * OpenSSL was built to look, or else where the common distributions keep
 * them (a portable build runs on systems other than the one it was built on),
 * loaded once and shared by every TLS client (ours, libcurl's, libwebsockets'). */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

/* The store itself (borrowed; NULL when the system has none), for verifying
 * a chain outside a handshake. One X509_STORE for the process: decoding the
 * bundle file took tens of milliseconds per context with OpenSSL 3. Where the
 * system keeps OpenSSL's hashed directory (Debian's /etc/ssl/certs) the
 * store reads a CA only when a chain needs it. */
X509_STORE *rp_tls_system_store (void);
/* That store in ctx; FALSE when the system has none. */
gboolean rp_tls_load_system_store (SSL_CTX *ctx);
/* Where it came from, for --version: "/etc/ssl/certs (hashed directory)",
 * "/etc/pki/tls/certs/ca-bundle.crt (SSL_CERT_FILE)", "none found (looked in ...)". */
char *rp_tls_system_store_describe (void);

G_END_DECLS
