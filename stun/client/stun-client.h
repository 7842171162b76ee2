/* The STUN/TURN client over sockets: one connection to one server over UDP,
 * TCP or TLS, on a GMainContext. It frames messages on streams, runs the
 * RFC 8489 transaction timer for each request, matches responses by
 * transaction id, and hands everything else (indications, ChannelData) to an
 * unsolicited handler. It measures and never prints. Callbacks may free the
 * client; none is called after rp_stun_client_free(). */
#pragma once

#include <gio/gio.h>
#include <openssl/ssl.h>

#include "stun/stun-message.h"
#include "stun/stun-types.h"

G_BEGIN_DECLS

typedef struct _RpStunClient RpStunClient;

typedef enum {
  RP_STUN_NET_OK,
  RP_STUN_NET_REFUSED,        /* TCP RST, or ICMP port unreachable on UDP */
  RP_STUN_NET_UNREACHABLE,    /* ICMP host/network unreachable, no route */
  RP_STUN_NET_CLOSED,         /* the server closed or reset the connection */
  RP_STUN_NET_TLS_HANDSHAKE,  /* the TLS handshake failed */
  RP_STUN_NET_TLS_UNTRUSTED,  /* handshake done, certificate not trusted */
  RP_STUN_NET_GARBAGE,        /* a stream carried bytes that are neither STUN nor ChannelData */
  RP_STUN_NET_FILTERED,       /* TCP: no answer to the handshake within the connect budget */
  RP_STUN_NET_ERROR,          /* any other socket error */
  RP_STUN_NET_NO_ROUTE,       /* connect()/sendto() failed at once: this host has no route to
                               * the server's address family (an IPv6-only network and an
                               * IPv4 address, or the reverse) */
} RpStunNetStatus;

const char *rp_stun_net_status_to_string (RpStunNetStatus s);

typedef struct {
  gint64 connect_us;          /* TCP connect (streams), 0 for UDP */
  gint64 tcp_rtt_us; /* the kernel's handshake RTT (TCP_INFO), 0 when unknown: free of our loop's
                        latency */
  gint64 tls_us;              /* TLS handshake, 0 unless TLS */
  char local_address[64];
  char *tls_version;
  char *tls_cipher;
  long tls_verify_result;     /* X509_V_OK when trusted */
  gboolean tls_verified;
  char *cert_subject;
  char *cert_issuer;
  gint64 cert_not_after;      /* unix time, 0 when unknown */
  guint strays;               /* responses whose transaction id matched no open request */
} RpStunClientInfo;

typedef enum {
  RP_STUN_TXN_RESPONSE,       /* a success or error response with our transaction id */
  RP_STUN_TXN_TIMEOUT,        /* RFC 8489 6.2.1: no answer after the last retransmission */
  RP_STUN_TXN_MALFORMED,      /* the server answered with something that is not a valid response */
  RP_STUN_TXN_NET,            /* the connection failed; see net and reason */
} RpStunTxnOutcome;

typedef struct {
  RpStunTxnOutcome outcome;
  RpStunMessage msg;          /* RESPONSE only; borrows bytes */
  const guint8 *bytes;
  gsize len;
  gint64 rtt_us;              /* first send to response */
  gint64 rtt_last_us;         /* last send to response */
  guint retransmissions;
  RpStunNetStatus net;
  const char *reason;         /* MALFORMED / NET: one line */
  GSocketAddress *from;       /* RESPONSE: where it came from (unconnected UDP) */
} RpStunTxnResult;

typedef void (*RpStunConnectFunc) (RpStunClient *client, RpStunNetStatus status,
                                   const char *reason, gpointer user_data);
typedef void (*RpStunResponseFunc) (RpStunClient *client, const RpStunTxnResult *result,
                                    gpointer user_data);
typedef void (*RpStunUnsolicitedFunc) (RpStunClient *client, const guint8 *data, gsize len,
                                       gpointer user_data);

/* host is what the user wrote (for SNI and certificate checks); tls_ctx is
 * needed for RP_TRANSPORT_TLS only. */
RpStunClient *rp_stun_client_new (RpTransport transport, GSocketAddress *server, const char *host,
                                  SSL_CTX *tls_ctx, gboolean insecure, GMainContext *context);
/* An unconnected UDP client bound to local (port 0 for any): requests go to
 * the address given with rp_stun_client_request_to() and responses are taken
 * from any source (RFC 5780 tests need both). Non-STUN datagrams are ignored. */
RpStunClient *rp_stun_client_new_unconnected (GSocketAddress *local, GMainContext *context);
void rp_stun_client_free (RpStunClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpStunClient, rp_stun_client_free)

/* Connects (TCP and TLS handshake; UDP at once) and calls func once. */
void rp_stun_client_connect (RpStunClient *client, RpStunConnectFunc func, gpointer user_data);
/* Sends a request (the builder's bytes) as a transaction; func is called once. */
void rp_stun_client_request (RpStunClient *client, const guint8 *msg, gsize len,
                             RpStunResponseFunc func, gpointer user_data);
void rp_stun_client_request_to (RpStunClient *client, GSocketAddress *to, const guint8 *msg,
                                gsize len, RpStunResponseFunc func, gpointer user_data);
/* Sends without a transaction (indications, ChannelData). */
gboolean rp_stun_client_send (RpStunClient *client, const guint8 *data, gsize len);
void rp_stun_client_set_unsolicited (RpStunClient *client, RpStunUnsolicitedFunc func,
                                     gpointer user_data);
/* RFC 8489 6.2.1 parameters for unreliable transports (defaults: RTO 500 ms,
 * Rc 7, Rm 16); applies to requests made afterwards. */
void rp_stun_client_set_timer (RpStunClient *client, gint64 rto_us, guint rc, guint rm);
/* How long a TCP handshake may go unanswered before the connection fails
 * as RP_STUN_NET_FILTERED (default RP_STUN_DEFAULT_CONNECT_US: Linux sends
 * SYNs at 0, 1 and 3 s, so three SYNs go unanswered); 0 waits for the
 * kernel (about two minutes) or the caller's deadline. Before connect. */
#define RP_STUN_DEFAULT_CONNECT_US (5500 * G_GINT64_CONSTANT (1000))
void rp_stun_client_set_connect_timeout (RpStunClient *client, gint64 us);
const RpStunClientInfo *rp_stun_client_get_info (RpStunClient *client);
RpTransport rp_stun_client_get_transport (RpStunClient *client);
/* Monotonic receive time (microseconds) of the message or frame being
 * delivered, from the kernel's timestamp on UDP (SO_TIMESTAMPNS), from the
 * read on streams. Valid inside response and unsolicited callbacks. */
gint64 rp_stun_client_get_rx_time (RpStunClient *client);
/* A connected UDP client whose datagrams another reader takes from now on
 * (a packet engine draining many sockets at once): the client stops
 * watching its socket and returns the descriptor (still the client's: not
 * to be closed), or -1 when it is not a ready UDP client. What the reader
 * gets that is not its own goes back through rp_stun_client_feed(). */
int rp_stun_client_release_reader (RpStunClient *client);
/* A datagram read by that reader, received at rx_us (monotonic): handled
 * as if the client had read it (responses, indications, ChannelData). */
void rp_stun_client_feed (RpStunClient *client, const guint8 *data, gsize len, gint64 rx_us);
/* Request transmissions so far, retransmissions included. */
guint rp_stun_client_get_requests_sent (RpStunClient *client);

G_END_DECLS
