/* Tests for the voice test messages (rtc/webrtc/voice-message.h): the byte
 * layout, the reflector's reply (same length as the request, echoed fields,
 * its own times and counters), and what is refused. */
#include <glib.h>
#include <string.h>

#include "rtc/webrtc/voice-message.h"

static void
test_request_layout (void)
{
  RpVoiceRequest req = { .seq = 0x01020304, .send_us = 0x1122334455667788ULL }, back;
  guint8 buf[160];
  static const guint8 head[16] = { 1, 1, 0, 0, 1, 2, 3, 4,
                                   0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

  memset (buf, 0xee, sizeof buf);
  g_assert_cmpuint (rp_voice_request_build (&req, sizeof buf, buf, sizeof buf), ==, 160);
  g_assert_cmpmem (buf, 16, head, 16);
  for (guint i = 16; i < sizeof buf; i++)
    g_assert_cmpuint (buf[i], ==, 0);
  g_assert_cmpint (rp_voice_request_parse (buf, sizeof buf, &back), ==, RP_VOICE_MSG_OK);
  g_assert_cmpuint (back.seq, ==, req.seq);
  g_assert_cmpuint (back.send_us, ==, req.send_us);
}

static void
test_reflect (void)
{
  RpVoiceReflector r = { 0 };
  RpVoiceRequest req = { .seq = 7, .send_us = 1000 };
  RpVoiceReply rep;
  guint8 in[80], out[80];

  g_assert_cmpuint (rp_voice_request_build (&req, sizeof in, in, sizeof in), ==, 80);
  g_assert_cmpint (rp_voice_reflect (&r, in, sizeof in, 5000, 5010, out), ==, RP_VOICE_MSG_OK);
  req.seq = 8;
  rp_voice_request_build (&req, sizeof in, in, sizeof in);
  g_assert_cmpint (rp_voice_reflect (&r, in, sizeof in, 6000, 6020, out), ==, RP_VOICE_MSG_OK);
  g_assert_cmpint (rp_voice_reply_parse (out, sizeof out, &rep), ==, RP_VOICE_MSG_OK);
  g_assert_cmpuint (rep.seq, ==, 8);
  g_assert_cmpuint (rep.send_us, ==, 1000);
  g_assert_cmpuint (rep.reflector_receive_us, ==, 6000);
  g_assert_cmpuint (rep.reflector_send_us, ==, 6020);
  g_assert_cmpuint (rep.reflector_seq, ==, 1);
  g_assert_cmpuint (rep.received, ==, 2);
  /* a reply is not a request: not reflected, nothing counted */
  g_assert_cmpint (rp_voice_reflect (&r, out, sizeof out, 0, 0, in), ==, RP_VOICE_MSG_BAD_TYPE);
  g_assert_cmpuint (r.received, ==, 2);
}

static void
test_refused (void)
{
  RpVoiceRequest req = { 0 };
  RpVoiceRequest back;
  guint8 buf[RP_VOICE_MSG_MAX_LEN + 1];

  g_assert_cmpuint (rp_voice_request_build (&req, RP_VOICE_MSG_MIN_LEN - 1, buf, sizeof buf),
                    ==, 0);
  g_assert_cmpuint (rp_voice_request_build (&req, RP_VOICE_MSG_MAX_LEN + 1, buf, sizeof buf),
                    ==, 0);
  g_assert_cmpuint (rp_voice_request_build (&req, 100, buf, 99), ==, 0);
  rp_voice_request_build (&req, 100, buf, sizeof buf);
  g_assert_cmpint (rp_voice_request_parse (buf, 39, &back), ==, RP_VOICE_MSG_BAD_LENGTH);
  g_assert_cmpint (rp_voice_request_parse (buf, RP_VOICE_MSG_MAX_LEN + 1, &back), ==,
                   RP_VOICE_MSG_BAD_LENGTH);
  buf[0] = 2;
  g_assert_cmpint (rp_voice_request_parse (buf, 100, &back), ==, RP_VOICE_MSG_BAD_VERSION);
  buf[0] = 1;
  buf[3] = 1;
  g_assert_cmpint (rp_voice_request_parse (buf, 100, &back), ==, RP_VOICE_MSG_BAD_FLAGS);
  g_assert_cmpstr (rp_voice_msg_result_to_string (RP_VOICE_MSG_BAD_FLAGS), ==, "flags set");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/webrtc/voice-message/request-layout", test_request_layout);
  g_test_add_func ("/webrtc/voice-message/reflect", test_reflect);
  g_test_add_func ("/webrtc/voice-message/refused", test_refused);
  return g_test_run ();
}
