/* Two TURN allocations on one server that can reach each other: each admits
 * the other's relayed address (CreatePermission) and binds a channel to it
 * (ChannelBind). The relay data path and the voice stream run between them:
 * a client is its own peer, so nothing else needs to be deployed. */
#pragma once

#include "probe/core/credentials.h"
#include "stun/client/turn-client.h"

G_BEGIN_DECLS

#define RP_RELAY_CHANNEL_A 0x4000   /* A's channel, bound to B's relayed address */
#define RP_RELAY_CHANNEL_B 0x4001   /* B's channel, bound to A's */

typedef struct _RpRelayPair RpRelayPair;

/* ok: both channels are bound. Otherwise step names what failed
 * ("Allocate", "CreatePermission", "ChannelBind"), res says how, and who is
 * the client it failed on (its connection info explains TLS and sockets). */
typedef void (*RpRelayPairFunc) (RpRelayPair *pair, gboolean ok, const char *step,
                                 const RpTurnResult *res, RpTurnClient *who, gpointer user_data);

typedef struct {
  RpTransport transport;
  GSocketAddress *server;
  const char *host;            /* SNI and certificate name */
  SSL_CTX *tls_ctx;            /* TLS only */
  gboolean insecure;
  const RpTurnCreds *creds;
  GMainContext *context;
  /* UDP retransmission timer (0: the default RTO with RP_STUN_PROBE_RC/RM) */
  gint64 rto_us;
  guint rc, rm;
  /* the relayed family of the allocations the pair makes (0: IPv4); with
   * IPv6 each admits and binds the other's IPv6 relayed address, so the
   * data path runs over IPv6 between the relays */
  RpTurnFamily family;
} RpRelayPairConfig;

/* a: an allocated client to use as A (the pair takes it), or NULL to make
 * both allocations. The config's pointers must outlive the pair. */
RpRelayPair *rp_relay_pair_new (const RpRelayPairConfig *config, RpTurnClient *a);
void rp_relay_pair_start (RpRelayPair *pair, RpRelayPairFunc func, gpointer user_data);
RpTurnClient *rp_relay_pair_get_a (RpRelayPair *pair);
RpTurnClient *rp_relay_pair_get_b (RpRelayPair *pair);
/* Monotonic microseconds each step took on A (0 when not reached). */
gint64 rp_relay_pair_permission_us (RpRelayPair *pair);
gint64 rp_relay_pair_channel_bind_us (RpRelayPair *pair);
/* Refresh(LIFETIME=0) on both allocations; func (may be NULL) once both answered. */
void rp_relay_pair_deallocate (RpRelayPair *pair, RpRelayPairFunc func, gpointer user_data);

/* Whether a Refresh(LIFETIME=0) deleted the allocation: a success, or a 437
 * to a retransmitted request (RFC 8656 7.3: the first transmission deleted
 * it and its answer was lost; the retransmission finds nothing to delete). */
gboolean rp_relay_dealloc_succeeded (const RpTurnResult *res);
void rp_relay_pair_free (RpRelayPair *pair);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpRelayPair, rp_relay_pair_free)

G_END_DECLS
