/* TURN pieces of the codec (RFC 8656), sans-I/O: ChannelData framing, the
 * attributes whose value layout is TURN's own, and TURN REST credentials
 * (the use-auth-secret convention of coturn). No sockets, no printing. */
#pragma once

#include <glib.h>

#include "common/secret.h"
#include "stun/stun-message.h"

G_BEGIN_DECLS

/* RFC 8656 12: channel numbers 0x4000 through 0x4FFF. */
#define RP_TURN_CHANNEL_MIN 0x4000
#define RP_TURN_CHANNEL_MAX 0x4FFF
#define RP_TURN_CHANNELDATA_HEADER 4
/* RFC 8656 18.8: REQUESTED-TRANSPORT protocol numbers */
#define RP_TURN_TRANSPORT_UDP 17
#define RP_TURN_TRANSPORT_TCP 6

/* RFC 8656 error codes the client reacts to */
enum {
  RP_TURN_ERR_TRY_ALTERNATE = 300,
  RP_TURN_ERR_BAD_REQUEST = 400,
  RP_TURN_ERR_UNAUTHORIZED = 401,
  RP_TURN_ERR_FORBIDDEN = 403,
  RP_TURN_ERR_MOBILITY_FORBIDDEN = 405,
  RP_TURN_ERR_UNKNOWN_ATTRIBUTE = 420,
  RP_TURN_ERR_ALLOCATION_MISMATCH = 437,
  RP_TURN_ERR_STALE_NONCE = 438,
  RP_TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED = 440,
  RP_TURN_ERR_WRONG_CREDENTIALS = 441,
  RP_TURN_ERR_UNSUPPORTED_TRANSPORT = 442,
  RP_TURN_ERR_PEER_ADDRESS_FAMILY_MISMATCH = 443,
  RP_TURN_ERR_ALLOCATION_QUOTA = 486,
  RP_TURN_ERR_SERVER_ERROR = 500,
  RP_TURN_ERR_INSUFFICIENT_CAPACITY = 508,
};

/* Write a ChannelData message (RFC 8656 12.4) into out (capacity out_size):
 * 4-byte header then data; with pad (TCP/TLS, RFC 8656 12.5) zero bytes up to
 * a multiple of 4. Returns the bytes written, or 0 when the channel number is
 * out of range or it does not fit. */
gsize rp_turn_channeldata_build (guint16 channel, const guint8 *data, gsize len, gboolean pad,
                                 guint8 *out, gsize out_size);

/* Parse one ChannelData message from buf (a datagram, or a frame cut by
 * rp_stun_frame_length on a stream). On success sets channel, data (borrowed)
 * and len (the header's length field, padding excluded) and returns TRUE.
 * FALSE for a channel outside 0x4000-0x4FFF, a length past the end, or, for a
 * datagram (stream == FALSE), bytes after the data that are not padding: a
 * datagram is exactly 4 + len bytes, or that rounded up to a multiple of 4
 * (RFC 8656 12.5: padding optional on UDP). On a stream the padding must be
 * present; bytes after it belong to the next frame and are not looked at. */
gboolean rp_turn_channeldata_parse (const guint8 *buf, gsize buf_len, gboolean stream,
                                    guint16 *channel, const guint8 **data, gsize *len);

/* Attribute values with TURN layouts. Adders return FALSE when it does not
 * fit (as the builder does). */
gboolean rp_turn_add_requested_transport (RpStunBuilder *b,
                                          guint8 protocol); /* protocol + 3 RFFU bytes */
gboolean rp_turn_add_channel_number (RpStunBuilder *b,
                                     guint16 channel); /* channel + 2 RFFU bytes */
gboolean rp_turn_add_lifetime (RpStunBuilder *b, guint32 seconds);
gboolean rp_turn_add_data (RpStunBuilder *b, const guint8 *data, gsize len);
gboolean rp_turn_add_dont_fragment (RpStunBuilder *b);                       /* zero-length */
gboolean rp_turn_add_requested_address_family (RpStunBuilder *b,
                                               int family); /* AF_INET -> 0x01, AF_INET6 -> 0x02 */

gboolean rp_turn_get_channel_number (const RpStunMessage *msg, guint16 *channel);
gboolean rp_turn_get_lifetime (const RpStunMessage *msg, guint32 *seconds);
/* DATA attribute value, borrowed from the message */
gboolean rp_turn_get_data (const RpStunMessage *msg, const guint8 **data, gsize *len);
gboolean rp_turn_get_requested_transport (const RpStunMessage *msg, guint8 *protocol);

/* RFC 8656 12: is channel in 0x4000-0x4FFF? rp_turn_add_channel_number and
 * rp_turn_get_channel_number refuse numbers outside it. */
gboolean rp_turn_channel_is_valid (guint16 channel);

/* RFC 8656 18.10: RESERVATION-TOKEN is 8 opaque bytes */
#define RP_TURN_RESERVATION_TOKEN_LEN 8
gboolean rp_turn_add_even_port (RpStunBuilder *b, gboolean reserve_next); /* R bit + 7 RFFU bits */
gboolean rp_turn_add_reservation_token (RpStunBuilder *b,
                                        const guint8 token[RP_TURN_RESERVATION_TOKEN_LEN]);
/* Getters return FALSE when the attribute is absent or its value does not
 * have the RFC's length (or, for the address family, a defined value). */
gboolean rp_turn_get_requested_address_family (const RpStunMessage *msg,
                                               int *family); /* AF_INET/AF_INET6 */
gboolean rp_turn_get_even_port (const RpStunMessage *msg, gboolean *reserve_next);
gboolean rp_turn_get_reservation_token (const RpStunMessage *msg,
                                        guint8 token[RP_TURN_RESERVATION_TOKEN_LEN]);
gboolean rp_turn_has_dont_fragment (const RpStunMessage *msg);
/* XOR-RELAYED-ADDRESS (RFC 8656 18.5) */
gboolean rp_turn_get_relayed_address (const RpStunMessage *msg, RpStunAddress *out);
/* Every XOR-RELAYED-ADDRESS that counts, in order, up to max: a dual
 * allocation answers with one per family (RFC 8656 7.3). Returns how many
 * were written, or 0 when any of them is malformed. */
guint rp_turn_get_relayed_addresses (const RpStunMessage *msg, RpStunAddress *out, guint max);

/* ADDITIONAL-ADDRESS-FAMILY (RFC 8656 18.11): asks for an IPv6 relay on top
 * of the IPv4 one; IPv6 (0x02) is its only valid value, so the adder takes
 * AF_INET6 only and the getter refuses anything else. */
gboolean rp_turn_add_additional_address_family (RpStunBuilder *b, int family);
gboolean rp_turn_get_additional_address_family (const RpStunMessage *msg, int *family);
/* The same value under the draft-ietf-tram-turnbis code point that coturn
 * (4.6) still reads, 0x8032. It is not the attribute's IANA code point (the
 * registry may give it to another attribute), so a client sends it to
 * coturn only. */
gboolean rp_turn_add_additional_address_family_draft (RpStunBuilder *b, int family);

/* ADDRESS-ERROR-CODE (RFC 8656 18.12): in the success response to a dual
 * Allocate, the family that was not allocated and why (440, 508). reason is
 * a new printable UTF-8 string (may be ""); FALSE when absent, shorter than
 * 4 bytes, of an undefined family, or a class/number outside 300-699. */
gboolean rp_turn_get_address_error (const RpStunMessage *msg, int *family, guint *code,
                                    char **reason);
/* The same at coturn's draft code point 0x8033 (not the IANA one: read it
 * from coturn only). */
gboolean rp_turn_get_address_error_draft (const RpStunMessage *msg, int *family, guint *code,
                                          char **reason);
/* Writes one (tests, the hostile peers): family AF_INET/AF_INET6. */
gboolean rp_turn_add_address_error (RpStunBuilder *b, int family, guint code, const char *reason);
/* Every XOR-PEER-ADDRESS that counts, in order, up to max (CreatePermission
 * may carry several, RFC 8656 9.1). Returns how many were written, or 0 when
 * any of them is malformed. */
guint rp_turn_get_peer_addresses (const RpStunMessage *msg, RpStunAddress *out, guint max);

/* TURN REST credentials (draft-uberti-behave-turn-rest, coturn use-auth-secret):
 * username = "<expiry unix time>:<user>" (just the expiry when user is NULL
 * or empty), password = base64(HMAC-SHA1(secret, username)). Both are new
 * strings; the password must be wiped by the caller (rp_secret_free). Both
 * are set to NULL when the HMAC cannot be computed. */
void rp_turn_rest_credentials (const char *secret, gsize secret_len, const char *user,
                               gint64 expiry_unix, char **username, char **password);
/* The expiry encoded in a REST username ("1700000000:alice" -> 1700000000),
 * or -1 when it does not start with a decimal time followed by ':' or end. */
gint64 rp_turn_rest_username_expiry (const char *username);

G_END_DECLS
