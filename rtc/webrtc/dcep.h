/* The Data Channel Establishment Protocol (RFC 8832): DATA_CHANNEL_OPEN and
 * DATA_CHANNEL_ACK, parsed and built, and what the channel type means for
 * sending (ordered or not, partial reliability by retransmissions or by
 * lifetime: PR-SCTP, RFC 3758). Also the SCTP payload protocol identifiers of
 * RFC 8831 8. Pure: bytes in, structs out. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 8831 8 (PPID) */
#define RP_DCEP_PPID_CONTROL 50
#define RP_DCEP_PPID_STRING 51
#define RP_DCEP_PPID_BINARY 53
#define RP_DCEP_PPID_STRING_EMPTY 56
#define RP_DCEP_PPID_BINARY_EMPTY 57

/* RFC 8832 8.2.1 */
#define RP_DCEP_MSG_ACK 0x02
#define RP_DCEP_MSG_OPEN 0x03

#define RP_DCEP_OPEN_HEADER_LEN 12
#define RP_DCEP_LABEL_MAX 1024      /* ours: a label or protocol longer than this is refused */

/* RFC 8832 5.1, Channel Type */
typedef enum {
  RP_DCEP_RELIABLE = 0x00,
  RP_DCEP_PARTIAL_RELIABLE_REXMIT = 0x01,
  RP_DCEP_PARTIAL_RELIABLE_TIMED = 0x02,
  RP_DCEP_RELIABLE_UNORDERED = 0x80,
  RP_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED = 0x81,
  RP_DCEP_PARTIAL_RELIABLE_TIMED_UNORDERED = 0x82,
} RpDcepChannelType;

typedef struct {
  RpDcepChannelType channel_type;
  guint16 priority;
  guint32 reliability;      /* retransmissions (REXMIT) or milliseconds (TIMED); else 0 */
  char *label;              /* UTF-8 */
  char *protocol;
} RpDcepOpen;

void rp_dcep_open_clear (RpDcepOpen *open);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RpDcepOpen, rp_dcep_open_clear)

/* A DATA_CHANNEL_OPEN (PPID 50). G_IO_ERROR_INVALID_DATA with what is wrong:
 * short, an unknown channel type, lengths past the end, a label or protocol
 * that is not UTF-8 or longer than RP_DCEP_LABEL_MAX. Octets past the
 * protocol are refused too (RFC 8832 5.1 defines none). */
gboolean rp_dcep_open_parse (const guint8 *data, gsize len, RpDcepOpen *out, GError **error);
/* The message, new bytes. */
GBytes *rp_dcep_open_build (const RpDcepOpen *open);
/* TRUE for exactly one octet, 0x02. */
gboolean rp_dcep_is_ack (const guint8 *data, gsize len);

/* What a channel type asks of the sender of each message. */
typedef struct {
  gboolean ordered;
  gboolean limit_rtx;         /* at most max_rtx retransmissions (RFC 3758 "rtx" policy) */
  gboolean limit_time;        /* abandon after lifetime_ms (RFC 3758 "ttl" policy) */
  guint32 max_rtx;
  guint32 lifetime_ms;
} RpDcepPolicy;

void rp_dcep_policy (const RpDcepOpen *open, RpDcepPolicy *out);
/* The channel type and reliability parameter for a policy (limit_rtx wins
 * over limit_time when both are set, as browsers refuse both). */
void rp_dcep_open_from_policy (const RpDcepPolicy *policy, RpDcepOpen *out);

G_END_DECLS
