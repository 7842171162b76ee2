/* A TURN client allocation (RFC 8656) over one RpStunClient connection: the
 * long-term credential dance (401 with REALM/NONCE, 438 Stale Nonce), the
 * authenticated requests of an allocation's life, and the data path
 * (ChannelData and Send/Data indications). Every request reports its own
 * outcome and timing; the caller decides what they mean. It never prints. */
#pragma once

#include "stun/client/stun-client.h"
#include "stun/turn-codec.h"

G_BEGIN_DECLS

typedef struct _RpTurnClient RpTurnClient;

/* The outcome of one TURN request, 438 retries included. */
typedef struct {
  RpStunTxnOutcome outcome;   /* RESPONSE, TIMEOUT, MALFORMED, NET */
  gboolean success;           /* a success response that passed integrity */
  guint error_code;           /* error response: 300..699 */
  const char *error_reason;
  gint64 rtt_us;              /* of the last transaction */
  guint retransmissions;      /* summed over retries */
  guint stale_nonce_retries;
  RpStunNetStatus net;
  const char *reason;         /* MALFORMED / NET, or an integrity failure */
  gboolean integrity_failed;  /* MALFORMED: a success without our key's MESSAGE-INTEGRITY */
  const RpStunMessage *msg;   /* the response, when there is one (borrowed) */
} RpTurnResult;

typedef void (*RpTurnFunc) (RpTurnClient *turn, const RpTurnResult *result, gpointer user_data);
/* Data from a peer: through a channel (channel != 0) or a Data indication. */
typedef void (*RpTurnDataFunc) (RpTurnClient *turn, guint16 channel, const RpStunAddress *peer,
                                const guint8 *data, gsize len, gpointer user_data);

/* Takes ownership of client (connected or not yet: requests queue). */
RpTurnClient *rp_turn_client_new (RpStunClient *client, const char *username, const char *password);
void rp_turn_client_free (RpTurnClient *turn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpTurnClient, rp_turn_client_free)
RpStunClient *rp_turn_client_get_stun (RpTurnClient *turn);

/* Allocate without credentials, as a browser's first request does. A 401
 * with REALM and NONCE is the expected answer (and teaches the realm and
 * nonce); a success means the server hands out relays to anyone. */
void rp_turn_client_probe_unauthenticated (RpTurnClient *turn, RpTurnFunc func, gpointer user_data);
/* The relayed address families an Allocate asks for. */
typedef enum {
  RP_TURN_FAMILY_IPV4,   /* no family attribute: the server's default, IPv4 (RFC 8656 7.1) */
  RP_TURN_FAMILY_IPV6,   /* REQUESTED-ADDRESS-FAMILY IPv6 (RFC 6156, RFC 8656 18.6) */
  RP_TURN_FAMILY_DUAL,   /* ADDITIONAL-ADDRESS-FAMILY IPv6: one of each (RFC 8656 18.11) */
} RpTurnFamily;

const char *rp_turn_family_to_string (RpTurnFamily family);   /* "IPv4", "IPv6", "dual" */

/* Authenticated Allocate for a UDP relay (RFC 8656 7.1) of the default
 * family (IPv4); learns the realm and nonce first when needed. */
void rp_turn_client_allocate (RpTurnClient *turn, RpTurnFunc func, gpointer user_data);
/* The same for the relayed families asked for. A 440 (Address Family not
 * Supported) or 443 answer is an error like any other (error_code). A
 * success to a dual request may hold one relayed address only: then
 * rp_turn_client_get_address_error says which family failed and why. A
 * success whose relayed addresses are not of the families asked for is
 * MALFORMED. */
void rp_turn_client_allocate_family (RpTurnClient *turn, RpTurnFamily family, RpTurnFunc func,
                                     gpointer user_data);
/* func may be NULL for a request whose answer does not matter. */
void rp_turn_client_refresh (RpTurnClient *turn, guint32 lifetime_s, RpTurnFunc func,
                             gpointer user_data);
void rp_turn_client_create_permission (RpTurnClient *turn, const RpStunAddress *peer,
                                       RpTurnFunc func, gpointer user_data);
void rp_turn_client_channel_bind (RpTurnClient *turn, guint16 channel, const RpStunAddress *peer,
                                  RpTurnFunc func, gpointer user_data);

/* Data path. FALSE when the connection is gone. */
gboolean rp_turn_client_send_channel (RpTurnClient *turn, guint16 channel, const guint8 *data,
                                      gsize len);
void rp_turn_client_set_data_func (RpTurnClient *turn, RpTurnDataFunc func, gpointer user_data);

/* What the allocation learned (valid after a successful allocate). */
const char *rp_turn_client_get_realm (RpTurnClient *turn);
const char *rp_turn_client_get_software (RpTurnClient *turn);
gboolean rp_turn_client_get_relayed (RpTurnClient *turn, RpStunAddress *out);
/* The relayed address of that family (AF_INET, AF_INET6), if the
 * allocation has one. */
gboolean rp_turn_client_get_relayed_family (RpTurnClient *turn, int family, RpStunAddress *out);
/* ADDRESS-ERROR-CODE of the last dual Allocate success: the family not
 * allocated (AF_INET/AF_INET6), the code and reason (borrowed). */
gboolean rp_turn_client_get_address_error (RpTurnClient *turn, int *family, guint *code,
                                           const char **reason);
gboolean rp_turn_client_get_mapped (RpTurnClient *turn, RpStunAddress *out);
guint32 rp_turn_client_get_lifetime (RpTurnClient *turn);
/* ALTERNATE-SERVER of a 300 answer, if one came. */
gboolean rp_turn_client_get_alternate (RpTurnClient *turn, RpStunAddress *out);

G_END_DECLS
