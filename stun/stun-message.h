/* STUN message codec (RFC 8489, RFC 5766/8656 attributes, RFC 5780), sans-I/O:
 * bytes in, structs out, never a socket and never a print. Parsed messages
 * borrow the caller's buffer; the builder writes into a fixed-size buffer so
 * no input can make it allocate without bound. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RP_STUN_MAGIC_COOKIE 0x2112A442u
#define RP_STUN_HEADER_LEN 20
#define RP_STUN_TID_LEN 12
#define RP_STUN_MAX_MESSAGE 1500   /* builder capacity; parser accepts up to 65535+20 */
#define RP_STUN_MAX_ATTRS 64

typedef enum {
  RP_STUN_REQUEST = 0,
  RP_STUN_INDICATION = 1,
  RP_STUN_SUCCESS = 2,
  RP_STUN_ERROR = 3,
} RpStunClass;

enum {
  RP_STUN_BINDING = 0x001,
  RP_STUN_ALLOCATE = 0x003,          /* RFC 8656 */
  RP_STUN_REFRESH = 0x004,
  RP_STUN_SEND = 0x006,
  RP_STUN_DATA = 0x007,
  RP_STUN_CREATE_PERMISSION = 0x008,
  RP_STUN_CHANNEL_BIND = 0x009,
};

enum {
  RP_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
  RP_STUN_ATTR_CHANGE_REQUEST = 0x0003,      /* RFC 5780 */
  RP_STUN_ATTR_USERNAME = 0x0006,
  RP_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
  RP_STUN_ATTR_ERROR_CODE = 0x0009,
  RP_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
  RP_STUN_ATTR_CHANNEL_NUMBER = 0x000C,
  RP_STUN_ATTR_LIFETIME = 0x000D,
  RP_STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
  RP_STUN_ATTR_DATA = 0x0013,
  RP_STUN_ATTR_REALM = 0x0014,
  RP_STUN_ATTR_NONCE = 0x0015,
  RP_STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
  RP_STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
  RP_STUN_ATTR_EVEN_PORT = 0x0018,
  RP_STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
  RP_STUN_ATTR_DONT_FRAGMENT = 0x001A,
  RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
  RP_STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
  RP_STUN_ATTR_USERHASH = 0x001E,
  RP_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
  RP_STUN_ATTR_RESERVATION_TOKEN = 0x0022,
  RP_STUN_ATTR_PRIORITY = 0x0024,
  RP_STUN_ATTR_USE_CANDIDATE = 0x0025,
  RP_STUN_ATTR_PADDING = 0x0026,             /* RFC 5780 */
  RP_STUN_ATTR_RESPONSE_PORT = 0x0027,       /* RFC 5780 */
  RP_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000,   /* RFC 8656 18.11 */
  RP_STUN_ATTR_ADDRESS_ERROR_CODE = 0x8001,          /* RFC 8656 18.12 */
  RP_STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
  RP_STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
  RP_STUN_ATTR_SOFTWARE = 0x8022,
  RP_STUN_ATTR_ALTERNATE_SERVER = 0x8023,
  RP_STUN_ATTR_FINGERPRINT = 0x8028,
  RP_STUN_ATTR_ICE_CONTROLLED = 0x8029,
  RP_STUN_ATTR_ICE_CONTROLLING = 0x802A,
  RP_STUN_ATTR_RESPONSE_ORIGIN = 0x802B,     /* RFC 5780 */
  RP_STUN_ATTR_OTHER_ADDRESS = 0x802C,       /* RFC 5780 */
  /* draft-ietf-tram-turnbis code points of the two RFC 8656 attributes,
   * still the ones coturn (4.6) reads and writes; not IANA's: coturn only */
  RP_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY_DRAFT = 0x8032,
  RP_STUN_ATTR_ADDRESS_ERROR_CODE_DRAFT = 0x8033,
};

/* RFC 5780 7.2 CHANGE-REQUEST flags */
#define RP_STUN_CHANGE_IP   0x4u
#define RP_STUN_CHANGE_PORT 0x2u

typedef enum {
  RP_STUN_PARSE_OK = 0,
  RP_STUN_PARSE_NOT_STUN,        /* top bits not zero or cookie wrong: not a STUN message */
  RP_STUN_PARSE_TRUNCATED,       /* fewer bytes than the header or its length field say */
  RP_STUN_PARSE_BAD_LENGTH,      /* length not a multiple of 4, or trailing bytes */
  RP_STUN_PARSE_BAD_ATTRIBUTE,   /* an attribute runs past the end */
  RP_STUN_PARSE_TOO_MANY_ATTRS,
} RpStunParseResult;

const char *rp_stun_parse_result_to_string (RpStunParseResult r);

typedef struct {
  guint16 type;
  guint16 len;
  const guint8 *value;   /* borrowed from the parsed buffer */
  gsize offset;          /* offset of this attribute's 4-byte header in the message */
} RpStunAttr;

typedef struct {
  guint16 method;
  RpStunClass klass;
  guint8 tid[RP_STUN_TID_LEN];
  const guint8 *buf;     /* the whole message, borrowed */
  gsize len;             /* 20 + length field */
  RpStunAttr attrs[RP_STUN_MAX_ATTRS];
  guint n_attrs;
  /* RFC 8489 14: comprehension-required (0x0000-0x7FFF) types we do not know */
  guint16 unknown_required[RP_STUN_MAX_ATTRS];
  guint n_unknown_required;
} RpStunMessage;

/* Parse one message from buf. On a stream (TCP/TLS) buf may hold more than one
 * message: the parser reads only msg->len bytes; use rp_stun_frame_length()
 * first to know how many bytes a message needs. */
RpStunParseResult rp_stun_message_parse (const guint8 *buf, gsize len, RpStunMessage *msg);

/* On a stream: how many bytes the message or ChannelData frame starting at buf
 * occupies (RFC 8656 12.5: ChannelData padded to 4 on streams), or 0 when
 * fewer than 4 bytes are available to tell, or -1 when buf starts with neither. */
gssize rp_stun_frame_length (const guint8 *buf, gsize len);

/* First attribute of that type (RFC 8489 14: later duplicates are ignored). */
const RpStunAttr *rp_stun_message_find (const RpStunMessage *msg, guint16 type);

typedef struct {
  int family;          /* AF_INET or AF_INET6 */
  guint8 addr[16];     /* network order; 4 bytes used for AF_INET */
  guint16 port;        /* host order */
} RpStunAddress;

/* "192.0.2.1:3478" or "[2001:db8::1]:3478" into a caller buffer of >= 64 bytes. */
char *rp_stun_address_to_string (const RpStunAddress *a, char *buf, gsize size);
gboolean rp_stun_address_equal (const RpStunAddress *a, const RpStunAddress *b);

/* Decode MAPPED-ADDRESS-style or XOR-*-ADDRESS attributes (XOR decoding chosen
 * by the attribute type: XOR-MAPPED, XOR-PEER, XOR-RELAYED). FALSE on a
 * malformed value (bad family, bad length). */
gboolean rp_stun_attr_get_address (const RpStunMessage *msg, const RpStunAttr *attr,
                                   RpStunAddress *out);
/* Convenience: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (RFC 8489 14.1 fallback). */
gboolean rp_stun_message_get_mapped_address (const RpStunMessage *msg, RpStunAddress *out);
/* ERROR-CODE: class*100+number; reason copied (UTF-8 validated, may be "") */
gboolean rp_stun_message_get_error (const RpStunMessage *msg, guint *code, char **reason);
/* A text attribute (SOFTWARE, REALM, NONCE, USERNAME) as a new string made
 * valid UTF-8 and printable, or NULL when absent. */
char *rp_stun_message_get_string (const RpStunMessage *msg, guint16 type);
gboolean rp_stun_message_get_u32 (const RpStunMessage *msg, guint16 type, guint32 *out);

typedef enum {
  RP_STUN_INTEGRITY_OK = 0,
  RP_STUN_INTEGRITY_ABSENT,
  RP_STUN_INTEGRITY_MISMATCH,
  RP_STUN_INTEGRITY_MALFORMED,   /* wrong length, or attributes after it other than allowed */
} RpStunIntegrity;

/* RFC 8489 14.5/14.6/14.7. The key is the short-term password or the
 * long-term key (see rp_stun_long_term_key). */
RpStunIntegrity rp_stun_message_check_integrity (const RpStunMessage *msg, const guint8 *key,
                                                 gsize key_len);
RpStunIntegrity rp_stun_message_check_integrity_sha256 (const RpStunMessage *msg, const guint8 *key,
                                                        gsize key_len);
RpStunIntegrity rp_stun_message_check_fingerprint (const RpStunMessage *msg);

/* RFC 8489 9.2.2: MD5(username ":" realm ":" password) into key[16]. */
void rp_stun_long_term_key (const char *username, const char *realm, const char *password,
                            guint8 key[16]);

/* Builder. All adders return FALSE (and leave the message unchanged) when the
 * attribute would not fit in RP_STUN_MAX_MESSAGE. */
typedef struct {
  guint8 buf[RP_STUN_MAX_MESSAGE];
  gsize len;
} RpStunBuilder;

void rp_stun_builder_init (RpStunBuilder *b, guint16 method, RpStunClass klass,
                           const guint8 tid[RP_STUN_TID_LEN]);
/* Fills tid with 12 random bytes (GLib's RNG is fine: not a secret, RFC 8489 6). */
void rp_stun_random_tid (guint8 tid[RP_STUN_TID_LEN]);
gboolean rp_stun_builder_add (RpStunBuilder *b, guint16 type, const void *value, guint16 len);
gboolean rp_stun_builder_add_u32 (RpStunBuilder *b, guint16 type, guint32 value);
gboolean rp_stun_builder_add_string (RpStunBuilder *b, guint16 type, const char *value);
gboolean
rp_stun_builder_add_address (RpStunBuilder *b, guint16 type,
                             const RpStunAddress *a); /* XOR'd when type is an XOR-* type */
gboolean rp_stun_builder_add_error (RpStunBuilder *b, guint code, const char *reason);
gboolean rp_stun_builder_add_integrity (RpStunBuilder *b, const guint8 *key, gsize key_len);
gboolean rp_stun_builder_add_integrity_sha256 (RpStunBuilder *b, const guint8 *key, gsize key_len);
gboolean rp_stun_builder_add_fingerprint (RpStunBuilder *b);

G_END_DECLS
