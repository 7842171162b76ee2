/* Voice-shaped test messages and replies (see voice-message.h). */
#include "rtc/webrtc/voice-message.h"

#include <string.h>

const char *
rp_voice_msg_result_to_string (RpVoiceMsgResult r)
{
  static const char *names[] = {
    "ok", "length out of range", "unknown version", "unexpected message type", "flags set",
  };
  return (guint) r < G_N_ELEMENTS (names) ? names[r] : "unknown";
}

static void
put32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (24 - 8 * i));
}

static void
put64 (guint8 *p, guint64 v)
{
  put32 (p, (guint32) (v >> 32));
  put32 (p + 4, (guint32) v);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint64
get64 (const guint8 *p)
{
  return (guint64) get32 (p) << 32 | get32 (p + 4);
}

static RpVoiceMsgResult
check_header (const guint8 *d, gsize len, guint8 type)
{
  if (len < RP_VOICE_MSG_MIN_LEN || len > RP_VOICE_MSG_MAX_LEN)
    return RP_VOICE_MSG_BAD_LENGTH;
  if (d[0] != RP_VOICE_MSG_VERSION)
    return RP_VOICE_MSG_BAD_VERSION;
  if (d[1] != type)
    return RP_VOICE_MSG_BAD_TYPE;
  if (d[2] != 0 || d[3] != 0)
    return RP_VOICE_MSG_BAD_FLAGS;
  return RP_VOICE_MSG_OK;
}

RpVoiceMsgResult
rp_voice_request_parse (const guint8 *d, gsize len, RpVoiceRequest *out)
{
  RpVoiceMsgResult r = check_header (d, len, RP_VOICE_MSG_REQUEST);

  if (r != RP_VOICE_MSG_OK)
    return r;
  out->seq = get32 (d + 4);
  out->send_us = get64 (d + 8);
  return RP_VOICE_MSG_OK;
}

RpVoiceMsgResult
rp_voice_reply_parse (const guint8 *d, gsize len, RpVoiceReply *out)
{
  RpVoiceMsgResult r = check_header (d, len, RP_VOICE_MSG_REPLY);

  if (r != RP_VOICE_MSG_OK)
    return r;
  out->seq = get32 (d + 4);
  out->send_us = get64 (d + 8);
  out->reflector_receive_us = get64 (d + 16);
  out->reflector_send_us = get64 (d + 24);
  out->reflector_seq = get32 (d + 32);
  out->received = get32 (d + 36);
  return RP_VOICE_MSG_OK;
}

static gboolean
start (guint8 *buf, gsize size, gsize len, guint8 type)
{
  if (len < RP_VOICE_MSG_MIN_LEN || len > RP_VOICE_MSG_MAX_LEN || size < len)
    return FALSE;
  memset (buf, 0, len);
  buf[0] = RP_VOICE_MSG_VERSION;
  buf[1] = type;
  return TRUE;
}

gsize
rp_voice_request_build (const RpVoiceRequest *req, gsize len, guint8 *buf, gsize size)
{
  if (!start (buf, size, len, RP_VOICE_MSG_REQUEST))
    return 0;
  put32 (buf + 4, req->seq);
  put64 (buf + 8, req->send_us);
  return len;
}

gsize
rp_voice_reply_build (const RpVoiceReply *rep, gsize len, guint8 *buf, gsize size)
{
  if (!start (buf, size, len, RP_VOICE_MSG_REPLY))
    return 0;
  put32 (buf + 4, rep->seq);
  put64 (buf + 8, rep->send_us);
  put64 (buf + 16, rep->reflector_receive_us);
  put64 (buf + 24, rep->reflector_send_us);
  put32 (buf + 32, rep->reflector_seq);
  put32 (buf + 36, rep->received);
  return len;
}

RpVoiceMsgResult
rp_voice_reflect (RpVoiceReflector *r, const guint8 *data, gsize len, guint64 receive_us,
                  guint64 send_us, guint8 *out)
{
  RpVoiceRequest req;
  RpVoiceReply rep;
  RpVoiceMsgResult res = rp_voice_request_parse (data, len, &req);

  if (res != RP_VOICE_MSG_OK)
    return res;
  r->received++;
  rep = (RpVoiceReply) {
    .seq = req.seq, .send_us = req.send_us, .reflector_receive_us = receive_us,
    .reflector_send_us = send_us, .reflector_seq = r->next_seq++, .received = r->received,
  };
  rp_voice_reply_build (&rep, len, out, len);
  return RP_VOICE_MSG_OK;
}
