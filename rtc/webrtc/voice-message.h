/* The voice-shaped test messages of a browser's data channel and the
 * reflector's replies: the counterpart of STAMP (rtc/voice/stamp.h) for a
 * tester whose only transport is an unordered, maxRetransmits 0 data channel.
 * A request carries the sender's sequence number and send time; the reply
 * echoes both and adds the reflector's receive and send times (its clock,
 * microseconds) and its counters, so that loss and jitter are known per
 * direction (clock offset cancels in RFC 3550 6.4.1 jitter) and RTT comes
 * from the sender's clock alone. A reply is exactly as long as its request
 * (an Opus-sized message gets an Opus-sized reply, never a larger one).
 * All fields are big-endian. Pure: bytes in, structs out.
 *
 *  request  0 version (1)  1 type (1)  2 flags (0)  4 seq  8 send_us  16.. zero padding
 *  reply    0 version (1)  1 type (2)  2 flags (0)  4 seq  8 send_us
 *           16 reflector receive_us  24 reflector send_us
 *           32 reflector seq (its replies so far)  36 received (requests so far)
 *           40.. zero padding to the request's length */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RP_VOICE_MSG_VERSION 1
#define RP_VOICE_MSG_REQUEST 1
#define RP_VOICE_MSG_REPLY 2
#define RP_VOICE_MSG_MIN_LEN 40      /* a request must have room for its reply */
#define RP_VOICE_MSG_MAX_LEN 1200    /* one datagram's worth: larger is not voice */

typedef struct {
  guint32 seq;
  guint64 send_us;              /* the sender's clock */
} RpVoiceRequest;

typedef struct {
  guint32 seq;                  /* the request's */
  guint64 send_us;              /* the request's */
  guint64 reflector_receive_us;
  guint64 reflector_send_us;
  guint32 reflector_seq;
  guint32 received;
} RpVoiceReply;

typedef enum {
  RP_VOICE_MSG_OK,
  RP_VOICE_MSG_BAD_LENGTH,      /* under RP_VOICE_MSG_MIN_LEN or over RP_VOICE_MSG_MAX_LEN */
  RP_VOICE_MSG_BAD_VERSION,
  RP_VOICE_MSG_BAD_TYPE,
  RP_VOICE_MSG_BAD_FLAGS,
} RpVoiceMsgResult;

const char *rp_voice_msg_result_to_string (RpVoiceMsgResult r);

RpVoiceMsgResult rp_voice_request_parse (const guint8 *data, gsize len, RpVoiceRequest *out);
RpVoiceMsgResult rp_voice_reply_parse (const guint8 *data, gsize len, RpVoiceReply *out);
/* Writes a request of len octets (RP_VOICE_MSG_MIN_LEN..MAX_LEN) into buf;
 * returns len, or 0 when len is out of range or buf too small. */
gsize rp_voice_request_build (const RpVoiceRequest *req, gsize len, guint8 *buf, gsize size);
gsize rp_voice_reply_build (const RpVoiceReply *rep, gsize len, guint8 *buf, gsize size);

/* The reflector's side of one channel: counts and answers requests. */
typedef struct {
  guint32 next_seq;
  guint32 received;
} RpVoiceReflector;

/* Parses the request in data and writes its reply (same length) into out
 * (at least len octets), stamped with the receive and send times given. */
RpVoiceMsgResult rp_voice_reflect (RpVoiceReflector *r, const guint8 *data, gsize len,
                                   guint64 receive_us, guint64 send_us, guint8 *out);

G_END_DECLS
