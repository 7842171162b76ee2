/* A loopback TCP listener that carries each accepted connection over a new
 * TLS connection to a TURN server (turns:). libnice 0.1.21 speaks TLS to a
 * TURN server only in its Google and OC2007 modes (pseudo-TLS); in RFC 5245
 * mode a NICE_RELAY_TYPE_TURN_TLS server gets plain TCP. So the agent is
 * given 127.0.0.1:<port> of this bridge as a TCP TURN server, and the bridge
 * does the real TLS (SNI, certificate verification as for stuns:/turns:).
 * Non-blocking on the run's GMainContext, bounded buffers; never prints. */
#pragma once

#include <gio/gio.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

typedef struct _RpTurnTlsBridge RpTurnTlsBridge;

typedef struct {
  guint accepted;               /* connections libnice opened */
  guint handshakes;             /* TLS handshakes completed */
  guint failures;               /* upstream connections that failed */
  gint64 connect_us;            /* first TCP connect to the server */
  gint64 tls_us;                /* first TLS handshake */
  char *tls_version;            /* of the first handshake */
  long tls_verify_result;       /* X509_V_OK when trusted */
  gboolean tls_verified;
  char *failure;                /* the first failure, operator words (TLS wording from stun-tls) */
  gboolean failure_untrusted;   /* that failure was certificate verification */
  guint64 bytes_up, bytes_down;
} RpTurnTlsBridgeInfo;

/* server: the TURN server's numeric address; host: what the user wrote
 * (SNI unless a literal, certificate name); tls_ctx from rp_tls_client_ctx_new()
 * (a reference is taken). insecure: carry on when verification fails. */
RpTurnTlsBridge *rp_turn_tls_bridge_new (GMainContext *context, GInetSocketAddress *server,
                                         const char *host, SSL_CTX *tls_ctx, gboolean insecure,
                                         GError **error);
/* Closes the listener and every connection. */
void rp_turn_tls_bridge_free (RpTurnTlsBridge *bridge);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpTurnTlsBridge, rp_turn_tls_bridge_free)

/* Called (from the context, once) when an upstream connection first fails;
 * the bridge may be freed there. Details are in the info. */
typedef void (*RpTurnTlsBridgeFailFunc) (RpTurnTlsBridge *bridge, gpointer user_data);
void rp_turn_tls_bridge_set_fail_func (RpTurnTlsBridge *bridge, RpTurnTlsBridgeFailFunc func,
                                       gpointer user_data);

/* "127.0.0.1" and the listener's port: what libnice gets. */
const char *rp_turn_tls_bridge_get_host (RpTurnTlsBridge *bridge);
guint16 rp_turn_tls_bridge_get_port (RpTurnTlsBridge *bridge);
const RpTurnTlsBridgeInfo *rp_turn_tls_bridge_get_info (RpTurnTlsBridge *bridge);

G_END_DECLS
