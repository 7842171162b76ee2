/* The STUN client's state, shared by stun-client.c (the socket, transactions, connecting)
 * and stun-client-settings.c (what callers set and read). Private to stun/client/. */
#pragma once

#include <openssl/ssl.h>

#include "stun/client/stun-client.h"
#include "stun/stun-timer.h"

G_BEGIN_DECLS

#define STREAM_BUFFER_MAX (128 * 1024)

typedef enum {
  STATE_NEW,
  STATE_CONNECTING,
  STATE_HANDSHAKE,
  STATE_READY,
  STATE_FAILED,
} State;

typedef struct {
  RpStunClient *client;
  guint8 tid[RP_STUN_TID_LEN];
  guint8 *bytes;
  gsize len;
  RpStunTimer timer;
  GSource *timeout;
  gint64 first_send_us;
  gint64 last_send_us;
  guint strays;               /* responses with an id we never sent */
  GSocketAddress *to;         /* unconnected UDP: destination */
  RpStunResponseFunc func;
  gpointer user_data;
} Txn;

typedef struct {
  GSource source;
  gpointer tag;
  RpStunClient *client;
} FdSource;

struct _RpStunClient {
  RpTransport transport;
  GSocketAddress *server;     /* NULL when unconnected */
  GSocketAddress *local;      /* unconnected: where to bind */
  char *host;
  SSL_CTX *tls_ctx;
  gboolean insecure;
  GMainContext *context;
  int fd;
  SSL *ssl;
  State state;
  FdSource *watch;
  gboolean want_write;        /* connect, handshake or queued output */
  gboolean tls_wants_write;
  gint64 connect_start_us;
  gint64 tls_start_us;
  GByteArray *inbuf;
  GByteArray *outbuf;
  GList *txns;
  gint64 rto_us;
  guint rc;
  guint rm;
  RpStunConnectFunc connect_func;
  gpointer connect_data;
  RpStunUnsolicitedFunc unsolicited;
  gpointer unsolicited_data;
  RpStunClientInfo info;
  guint dispatching;
  gboolean dead;
  gint64 rx_us;               /* receive time of the data being delivered */
  guint requests_sent;        /* request transmissions, retransmissions included */
  gint64 connect_budget_us;   /* 0: no budget for the TCP handshake */
  GSource *connect_timer;
  GSource *deferred;          /* reports a failure of connect() from the loop */
  RpStunNetStatus deferred_net;
  char *deferred_reason;
};

G_END_DECLS
