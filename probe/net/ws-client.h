/* A websocket client connection on the run's GMainContext, through
 * libwebsockets and its GLib event library: one lws context per GMainContext,
 * made on first use and kept. The caller resolves the name and passes a
 * numeric address; the name goes into the Host header and SNI. The connection
 * records what a probe needs as evidence (phase timings, the upgrade's status
 * and headers, TLS facts, the close frame) and never prints. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _RpWsConn RpWsConn;

/* Where the connection is (or was when it stopped). */
typedef enum {
  RP_WS_PHASE_CONNECT,     /* TCP handshake */
  RP_WS_PHASE_TLS,         /* TLS handshake */
  RP_WS_PHASE_UPGRADE,     /* request sent, waiting for the 101 */
  RP_WS_PHASE_OPEN,        /* websocket established */
  RP_WS_PHASE_CLOSED,
} RpWsPhase;

const char *rp_ws_phase_to_string (RpWsPhase phase);

typedef struct {
  const char *address;     /* numeric IPv4/IPv6 */
  guint16 port;
  const char *host;        /* Host header and SNI (the name the user wrote) */
  const char *path;        /* path and query */
  gboolean tls;
  gboolean insecure;       /* accept untrusted certificates, but record why */
  const char *ca_file;     /* NULL: the system's trust store */
  char **headers;          /* extra "K: V" lines, or NULL */
  const char *origin;      /* NULL: none */
  gsize max_message;       /* larger messages end the connection (1009) */
} RpWsConnOptions;

typedef struct {
  RpWsPhase phase;
  gint64 start_us;         /* monotonic, when the connect began */
  gint64 connect_us;       /* TCP handshake took (0 unknown) */
  gint64 tls_us;           /* TLS handshake took (0 unknown or cleartext) */
  gint64 upgrade_us;       /* from start to the 101 (or the failed answer) */
  guint http_status;       /* status of the upgrade answer, 0 none */
  char *server;            /* Server header of the answer */
  char *content_type;
  char *location;
  char *upgrade;           /* Upgrade header of the answer */
  char *connection;
  char *subprotocol;       /* Sec-WebSocket-Protocol */
  char *extensions;        /* Sec-WebSocket-Extensions */
  gboolean accept_verified;/* lws checked Sec-WebSocket-Accept (RFC 6455 4.1) */
  char *error;             /* lws's reason when the connection failed */
  /* TLS */
  char *tls_version;
  char *tls_cipher;
  gboolean tls_handshake_done;
  gboolean tls_verified;
  long tls_verify_result;  /* X509_V_* of the first problem, X509_V_OK */
  char *cert_subject;
  char *cert_issuer;
  gint64 cert_not_after;   /* unix time, 0 unknown */
  /* Close */
  gboolean close_frame;    /* the server sent a close frame (RFC 6455 5.5.1) */
  guint close_code;        /* its status code, 0 none (RFC 6455 7.4) */
  char *close_reason;
  gint64 closed_us;        /* monotonic */
  gboolean too_big;        /* a message exceeded max_message */
  gboolean outpaced;       /* the send queue overflowed: closed with 1008 */
  guint tx_queued;         /* messages waiting when it overflowed */
  gsize tx_queued_bytes;
} RpWsInfo;

typedef struct {
  /* The 101 arrived and was accepted. */
  void (*established) (RpWsConn *conn, gpointer data);
  /* The connection could not be made or the upgrade was refused; info says
   * which phase, the status and lws's reason. Last callback. */
  void (*failed) (RpWsConn *conn, gpointer data);
  /* A complete message (text or binary), at most max_message bytes. */
  void (*message) (RpWsConn *conn, const char *payload, gsize len, gboolean binary, gpointer data);
  /* A pong arrived for the ping sent rtt_us ago. */
  void (*pong) (RpWsConn *conn, gint64 rtt_us, gpointer data);
  /* An established connection ended (close frame or not). Last callback. */
  void (*closed) (RpWsConn *conn, gpointer data);
} RpWsCallbacks;

/* Starts connecting; callbacks come from the loop, never from this call.
 * NULL with error when lws cannot make its context (no GLib event library
 * plugin, unreadable CA file). */
RpWsConn *rp_ws_conn_new (GMainContext *context, const RpWsConnOptions *options,
                          const RpWsCallbacks *callbacks, gpointer data, GError **error);
/* The send queue's bounds: a peer that makes us answer faster than the
 * connection drains (an Engine.IO ping flood) fills it; then the message is
 * refused, info.outpaced is set and the connection is closed (1008). */
#define RP_WS_TX_MAX_MESSAGES 64
#define RP_WS_TX_MAX_BYTES (256 * 1024)

/* Queue a text message / a ping (only once established). FALSE when not
 * open or when the send queue is full (see RP_WS_TX_MAX_MESSAGES). */
gboolean rp_ws_conn_send_text (RpWsConn *conn, const char *text);
gboolean rp_ws_conn_ping (RpWsConn *conn);
const RpWsInfo *rp_ws_conn_get_info (RpWsConn *conn);
/* Ends the connection politely (a close frame with 1000 when open) and
 * drops it; no callback is called after this. NULL is fine. */
void rp_ws_conn_free (RpWsConn *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpWsConn, rp_ws_conn_free)

G_END_DECLS
