/* DTLS 1.2 (RFC 6347) through OpenSSL over a datagram path that is not a
 * socket: the ICE component (RFC 8842, RFC 8261 4). Datagrams from the peer
 * go in with rp_dtls_transport_receive(); records go out through the send
 * callback, one datagram per OpenSSL write (a BIO that never merges them),
 * with a 1200-octet MTU. OpenSSL's retransmission timer runs as a source on
 * the given GMainContext. The peer's certificate is accepted only when its
 * SHA-256 fingerprint is the one the peer's SDP announced (RFC 8122 5); the
 * handshake must finish within RP_DTLS_HANDSHAKE_TIMEOUT_MS. */
#pragma once

#include <glib.h>

#include "rtc/webrtc/dtls-cert.h"

G_BEGIN_DECLS

#define RP_DTLS_MTU 1200
#define RP_DTLS_HANDSHAKE_TIMEOUT_MS 20000

typedef struct _RpDtlsTransport RpDtlsTransport;

typedef struct {
  /* A datagram for the peer (over ICE). */
  void (*send) (const guint8 *data, gsize len, gpointer user_data);
  /* The handshake is done and the peer's fingerprint matches. */
  void (*connected) (gpointer user_data);
  /* The handshake failed, timed out, or the peer's certificate is not the
   * announced one; reason is one line. Nothing more comes afterwards. */
  void (*failed) (const char *reason, gpointer user_data);
  /* Application data (an SCTP packet, RFC 8261). */
  void (*receive) (const guint8 *data, gsize len, gpointer user_data);
  /* The peer sent close_notify. */
  void (*closed) (gpointer user_data);
} RpDtlsCallbacks;

/* client: we send the ClientHello (a=setup:active). The certificate must
 * outlive the transport. Callbacks never free the transport. */
RpDtlsTransport *rp_dtls_transport_new (GMainContext *context, RpDtlsCert *cert, gboolean client,
                                        const guint8 peer_fingerprint[RP_DTLS_FINGERPRINT_LEN],
                                        const RpDtlsCallbacks *callbacks, gpointer user_data,
                                        GError **error);
/* Sends close_notify when connected, then frees. */
void rp_dtls_transport_free (RpDtlsTransport *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpDtlsTransport, rp_dtls_transport_free)

/* Begins the handshake (a client sends its ClientHello; a server waits). */
void rp_dtls_transport_start (RpDtlsTransport *t);
/* A datagram from the peer. RFC 7983: first octet 20 to 63 is DTLS. */
void rp_dtls_transport_receive (RpDtlsTransport *t, const guint8 *data, gsize len);
gboolean rp_dtls_is_dtls (const guint8 *data, gsize len);
/* Application data; FALSE before the handshake is done or after a failure. */
gboolean rp_dtls_transport_send (RpDtlsTransport *t, const guint8 *data, gsize len);
gboolean rp_dtls_transport_is_connected (RpDtlsTransport *t);
/* The negotiated cipher, for reports ("" before the handshake). */
const char *rp_dtls_transport_get_cipher (RpDtlsTransport *t);

G_END_DECLS
