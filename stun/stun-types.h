/* Small types shared by the STUN client and the layers above it. */
#pragma once

G_BEGIN_DECLS

typedef enum {
  RP_TRANSPORT_UDP,
  RP_TRANSPORT_TCP,
  RP_TRANSPORT_TLS,
} RpTransport;

G_END_DECLS
