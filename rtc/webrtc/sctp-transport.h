/* SCTP over DTLS (RFC 8261) through usrsctp: one association per transport,
 * on an AF_CONN socket whose packets travel through callbacks instead of a
 * network socket. usrsctp calls back from its own threads (timers, and its
 * receive path); every callback is copied into a bounded mailbox and
 * delivered on the given GMainContext, so the owner sees one thread only and
 * nothing it frees can be reached from usrsctp afterwards. Messages are
 * reassembled up to the agreed maximum size (RFC 8841 6.1); larger ones are
 * dropped. Sends honour ordered/unordered and PR-SCTP (RFC 3758) policies. */
#pragma once

#include <glib.h>

#include "rtc/webrtc/dcep.h"

G_BEGIN_DECLS

#define RP_SCTP_STREAMS 1024            /* inbound and outbound streams we offer */
#define RP_SCTP_BUFFER (256 * 1024)     /* usrsctp's send and receive buffers */
#define RP_SCTP_MAILBOX_BYTES (1024 * 1024)   /* queued from usrsctp, not yet delivered */

typedef struct _RpSctpTransport RpSctpTransport;

typedef struct {
  /* An SCTP packet for the peer (into DTLS). */
  void (*send) (const guint8 *data, gsize len, gpointer user_data);
  /* The association is up (SCTP_COMM_UP). */
  void (*connected) (gpointer user_data);
  /* The association is gone (lost, shut down, or could not start). */
  void (*closed) (const char *reason, gpointer user_data);
  /* One whole message. */
  void (*message) (guint16 stream, guint32 ppid, const guint8 *data, gsize len, gpointer user_data);
  /* The peer reset its outgoing stream (a data channel closes, RFC 8831 6.7). */
  void (*stream_reset) (guint16 stream, gpointer user_data);
} RpSctpCallbacks;

/* max_message: the larger of the two sides' a=max-message-size that we
 * accept for incoming messages (0: RP_SCTP_BUFFER). Callbacks may free the
 * transport. */
RpSctpTransport *rp_sctp_transport_new (GMainContext *context, guint16 local_port,
                                        guint16 remote_port, gsize max_message,
                                        const RpSctpCallbacks *callbacks, gpointer user_data,
                                        GError **error);
/* Aborts the association, then frees. */
void rp_sctp_transport_free (RpSctpTransport *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpSctpTransport, rp_sctp_transport_free)

/* Starts the association (both sides connect: RFC 8841 and RFC 8261 use
 * SCTP's simultaneous open). */
gboolean rp_sctp_transport_connect (RpSctpTransport *t, GError **error);
/* An SCTP packet from the peer (out of DTLS). */
void rp_sctp_transport_receive (RpSctpTransport *t, const guint8 *data, gsize len);
/* One message on a stream. An empty message goes as one zero octet with the
 * empty PPID (RFC 8831 6.6). G_IO_ERROR_WOULD_BLOCK when the send buffer is
 * full. */
gboolean rp_sctp_transport_send (RpSctpTransport *t, guint16 stream, guint32 ppid,
                                 const RpDcepPolicy *policy, const guint8 *data, gsize len,
                                 GError **error);
/* Resets our outgoing stream (closing a data channel). */
gboolean rp_sctp_transport_reset_stream (RpSctpTransport *t, guint16 stream);
gboolean rp_sctp_transport_is_connected (RpSctpTransport *t);

G_END_DECLS
