/* Fuzz target for the voice test messages (rtc/webrtc/voice-message.h). The
 * input is parsed as a request and as a reply (both must agree on length and
 * version); a request is reflected, and the reply must be exactly as long,
 * parse as a reply and echo the request's fields. Any broken invariant
 * aborts. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/webrtc/voice-message.h"

static void
require (gboolean ok)
{
  if (!ok)
    abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  RpVoiceRequest req;
  RpVoiceReply rep;
  RpVoiceReflector r = { 0 };
  RpVoiceMsgResult a = rp_voice_request_parse (data, size, &req);
  RpVoiceMsgResult b = rp_voice_reply_parse (data, size, &rep);
  g_autofree guint8 *out = NULL;

  require (rp_voice_msg_result_to_string (a) != NULL);
  if (a == RP_VOICE_MSG_BAD_LENGTH || b == RP_VOICE_MSG_BAD_LENGTH)
    require (a == b);
  if (a == RP_VOICE_MSG_BAD_VERSION || b == RP_VOICE_MSG_BAD_VERSION)
    require (a == b);
  require (!(a == RP_VOICE_MSG_OK && b == RP_VOICE_MSG_OK));
  out = g_malloc (MAX (size, 1));
  if (rp_voice_reflect (&r, data, size, 10, 20, out) != RP_VOICE_MSG_OK) {
    require (a != RP_VOICE_MSG_OK && r.received == 0);
    return 0;
  }
  require (a == RP_VOICE_MSG_OK);
  require (rp_voice_reply_parse (out, size, &rep) == RP_VOICE_MSG_OK);
  require (rep.seq == req.seq && rep.send_us == req.send_us && rep.received == 1);
  require (rep.reflector_receive_us == 10 && rep.reflector_send_us == 20);
  return 0;
}
