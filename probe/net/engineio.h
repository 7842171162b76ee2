/* Engine.IO v4 and Socket.IO v5 packets, sans-I/O: text in, structs out.
 * Engine.IO frames every websocket message as one packet whose first byte
 * is its type ('0' open, '2' ping, '3' pong, '4' message, ...); Socket.IO
 * rides inside '4' messages ("40" CONNECT, "44" CONNECT_ERROR). Over HTTP
 * long-polling, packets of one payload are separated by 0x1e.
 * Reference: the Engine.IO protocol (v4) and Socket.IO protocol (v5) specs
 * at socket.io/docs/v4/engine-io-protocol and socket-io-protocol. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Engine.IO v4 packet types (the first character). */
typedef enum {
  RP_EIO_OPEN = 0,
  RP_EIO_CLOSE = 1,
  RP_EIO_PING = 2,
  RP_EIO_PONG = 3,
  RP_EIO_MESSAGE = 4,
  RP_EIO_UPGRADE = 5,
  RP_EIO_NOOP = 6,
  RP_EIO_INVALID = -1,
} RpEioType;

/* The type of a text packet; RP_EIO_INVALID for empty or unknown. */
RpEioType rp_eio_packet_type (const char *data, gsize len);

/* The handshake: 0{"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..} */
typedef struct {
  char *sid;
  char **upgrades;         /* NULL-terminated, never NULL after a parse */
  gint64 ping_interval_ms; /* -1 when absent */
  gint64 ping_timeout_ms;
  gint64 max_payload;
} RpEioOpen;

/* data: the whole packet, starting with '0'. */
gboolean rp_eio_parse_open (const char *data, gsize len, RpEioOpen *open, GError **error);
void rp_eio_open_clear (RpEioOpen *open);

/* Splits an HTTP long-polling payload into its packets (0x1e separated);
 * never more than max packets (the rest is dropped). */
GPtrArray *rp_eio_polling_split (const char *data, gsize len, guint max);

/* Socket.IO v5 packet types (the character after Engine.IO's '4'). */
typedef enum {
  RP_SIO_CONNECT = 0,
  RP_SIO_DISCONNECT = 1,
  RP_SIO_EVENT = 2,
  RP_SIO_ACK = 3,
  RP_SIO_CONNECT_ERROR = 4,
  RP_SIO_BINARY_EVENT = 5,
  RP_SIO_BINARY_ACK = 6,
} RpSioType;

typedef struct {
  RpSioType type;
  char *nsp;               /* "/" when absent */
  char *sid;               /* CONNECT: {"sid":...} */
  char *message;           /* CONNECT_ERROR: {"message":...} or a bare JSON string (v4 servers) */
  char *data;              /* the JSON payload as sent (may be NULL) */
} RpSioPacket;

/* data: the whole Engine.IO message, starting with '4'. */
gboolean rp_sio_parse (const char *data, gsize len, RpSioPacket *packet, GError **error);
void rp_sio_packet_clear (RpSioPacket *packet);

/* "40" for "/" or "40/private," (Socket.IO v5 CONNECT, no auth payload). */
char *rp_sio_connect_packet (const char *nsp);

/* The request path for an Engine.IO endpoint: path plus the query with
 * EIO=4 and transport= added when absent (transport replaced otherwise). */
char *rp_eio_request_path (const char *path, const char *query, const char *transport);

/* Whether a URL path is an Engine.IO endpoint ("/socket.io/" inside). */
gboolean rp_eio_path_is_socketio (const char *path);

G_END_DECLS
