/* What a check of one STUN or TURN server holds about it, made and freed the
 * same way by every such check (stun, turn, the audit, voice, ice): the
 * target with its strings owned, the probe options with the CA file owned,
 * the TLS client context of a stuns:/turns: target, and the server's address
 * once resolved. */
#pragma once

#include <gio/gio.h>
#include <openssl/ssl.h>

#include "probe/core/options.h"
#include "probe/core/target.h"

G_BEGIN_DECLS

typedef struct {
  RpTarget target;              /* host and uri owned; no path or query */
  RpProbeOptions options;       /* ca_file owned */
  SSL_CTX *tls_ctx;             /* a TLS target, after rp_server_target_prepare_tls */
  GInetSocketAddress *server;   /* after rp_server_target_set_address */
  char *server_str;             /* the same, as ADDR:PORT */
} RpServerTarget;

void rp_server_target_init (RpServerTarget *s, const RpTarget *target,
                            const RpProbeOptions *options);
void rp_server_target_clear (RpServerTarget *s);
/* The TLS client context for a TLS target (--ca-file or the system's trust,
 * --insecure); nothing for the others. FALSE with error when it cannot be
 * made. */
gboolean rp_server_target_prepare_tls (RpServerTarget *s, GError **error);
/* The server's address: address (the first one resolved, or where a 300
 * Try Alternate pointed) at port. */
void rp_server_target_set_address (RpServerTarget *s, GInetAddress *address, guint16 port);

G_END_DECLS
