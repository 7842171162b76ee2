/* Tests for SDP of data channel sessions (rtc/webrtc/sdp.h) and the DTLS
 * certificate's fingerprint (rtc/webrtc/dtls-cert.h): the offers Chromium,
 * Firefox and Safari send (tests/data/sdp), what we refuse and how the
 * error reads, the answer we build, and the RFC 8122 fingerprint form. */
#include <gio/gio.h>
#include <glib.h>
#include <string.h>

#include "rtc/ice/ice-candidate.h"
#include "rtc/webrtc/dtls-cert.h"
#include "rtc/webrtc/sdp.h"

static RpSdpSession *
parse_file (const char *name, gboolean is_answer, GError **error)
{
  g_autofree char *path = g_build_filename (RP_TEST_DATA, "sdp", name, NULL);
  g_autofree char *text = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  return rp_sdp_parse (text, len, is_answer, error);
}

static void
test_chromium (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpSdpSession) s = parse_file ("chromium-156-offer.sdp", FALSE, &error);
  g_autofree char *fp = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (s->ufrag, ==, "cHr5");
  g_assert_cmpstr (s->pwd, ==, "JUJUhcH3/sknuPM7P3lDVvfy");
  g_assert_cmpint (s->setup, ==, RP_SDP_SETUP_ACTPASS);
  g_assert_cmpstr (s->mid, ==, "0");
  g_assert_cmpuint (s->sctp_port, ==, 5000);
  g_assert_cmpuint (s->max_message_size, ==, 262144);
  g_assert_true (s->trickle);
  g_assert_false (s->end_of_candidates);
  g_assert_cmpuint (s->candidates->len, ==, 0);
  fp = rp_dtls_fingerprint_to_string (s->fingerprint);
  g_assert_cmpstr (fp, ==, "46:63:4B:02:2B:30:B7:FC:20:99:AA:56:FE:C2:5A:20:A9:11:77:FC:1E:BA:83:"
                           "F0:22:14:AA:96:93:13:AC:70");
}

static void
test_chromium_answer (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpSdpSession) s = parse_file ("chromium-156-answer.sdp", TRUE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (s->ufrag, ==, "irzj");
  g_assert_cmpint (s->setup, ==, RP_SDP_SETUP_ACTIVE);
  g_assert_cmpuint (s->fingerprint[0], ==, 0x4f);
  g_assert_cmpstr (s->mid, ==, "0");
}

static void
test_firefox (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpSdpSession) s = parse_file ("firefox-128-offer.sdp", FALSE, &error);

  g_assert_no_error (error);
  /* the fingerprint at session level, credentials at media level */
  g_assert_cmpuint (s->fingerprint[0], ==, 0x7b);
  g_assert_cmpuint (s->fingerprint[31], ==, 0x05);
  g_assert_cmpstr (s->ufrag, ==, "8a1b2c3d");
  g_assert_cmpuint (s->max_message_size, ==, 1073741823);
  g_assert_true (s->trickle);
}

static void
test_safari (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpSdpSession) s = parse_file ("safari-17-offer.sdp", FALSE, &error);
  RpIceCandidate *relay;

  g_assert_no_error (error);
  /* the mDNS host candidate cannot be used by us: skipped, not an error */
  g_assert_cmpuint (s->skipped_candidates, ==, 1);
  g_assert_cmpuint (s->candidates->len, ==, 2);
  relay = &g_array_index (s->candidates, RpIceCandidate, 1);
  g_assert_cmpint (relay->type, ==, RP_ICE_CAND_RELAY);
  g_assert_cmpstr (relay->addr, ==, "198.51.100.20");
  g_assert_cmpuint (relay->port, ==, 61022);
}

static void
assert_refused (const char *sdp, gboolean is_answer, GQuark domain, int code, const char *msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpSdpSession) s = rp_sdp_parse (sdp, strlen (sdp), is_answer, &error);

  g_assert_null (s);
  g_assert_error (error, domain, code);
  g_assert_cmpstr (error->message, ==, msg);
}

static void
test_refused_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpSdpSession) a = parse_file ("audio-offer.sdp", FALSE, &error);
  g_autoptr (GError) error2 = NULL;
  g_autoptr (RpSdpSession) b = parse_file ("legacy-sctpmap-offer.sdp", FALSE, &error2);

  g_assert_null (a);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (error->message, ==, "SDP line 6: an m=\"audio\" section: only data channels "
                   "(m=application UDP/DTLS/SCTP webrtc-datachannel) are answered");
  g_assert_null (b);
  g_assert_cmpstr (error2->message, ==, "SDP line 5: the pre-RFC 8841 form DTLS/SCTP: only data "
                   "channels (m=application UDP/DTLS/SCTP webrtc-datachannel) are answered");
}

#define HEAD "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define MEDIA "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
#define CREDS "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
#define FP "a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:" \
           "14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r\n"

static void
test_refused (void)
{
  assert_refused ("", FALSE, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "SDP: the description is empty");
  assert_refused ("v=1\r\n", FALSE, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "SDP line 1: an SDP description starts with v=0");
  assert_refused (HEAD CREDS FP, FALSE, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                  "SDP: no m= section: only data channels (m=application UDP/DTLS/SCTP "
                  "webrtc-datachannel) are answered");
  assert_refused (HEAD MEDIA FP, FALSE, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "SDP: the description has no a=ice-ufrag and a=ice-pwd");
  assert_refused (HEAD MEDIA CREDS, FALSE, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "SDP: the description has no a=fingerprint:sha-256 (RFC 8122)");
  assert_refused (HEAD MEDIA CREDS FP "a=setup:actpass\r\n", TRUE, G_IO_ERROR,
                  G_IO_ERROR_INVALID_DATA,
                  "SDP line 9: a=setup:\"actpass\" is not active or passive (an answer)");
  assert_refused (HEAD "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n", FALSE, G_IO_ERROR,
                  G_IO_ERROR_NOT_SUPPORTED, "SDP line 5: the data channel section is rejected "
                  "(port 0): only data channels (m=application UDP/DTLS/SCTP webrtc-datachannel) "
                  "are answered");
  assert_refused (HEAD MEDIA "a=ice-ufrag:a\x1b[2Jb\r\n", FALSE, G_IO_ERROR,
                  G_IO_ERROR_INVALID_DATA,
                  "SDP line 6: a=ice-ufrag \"a\\033[2Jb\" is not 4 to 256 ice-chars");
  assert_refused (HEAD MEDIA "a=fingerprint:sha-256 00:01\r\n", FALSE, G_IO_ERROR,
                  G_IO_ERROR_INVALID_DATA,
                  "SDP line 6: a=fingerprint sha-256 \"00:01\" is not 32 hex pairs joined by ':'");
  assert_refused (HEAD MEDIA "a=ice-lite\r\n", FALSE, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                  "SDP line 6: an ice-lite peer (browsers are full ICE agents): only data "
                  "channels (m=application UDP/DTLS/SCTP webrtc-datachannel) are answered");
}

static void
test_nul_and_size (void)
{
  g_autoptr (GError) e1 = NULL, e2 = NULL;
  g_autofree char *big = g_malloc0 (RP_SDP_MAX_LEN + 1);

  g_assert_null (rp_sdp_parse ("v=0\0\r\n", 6, FALSE, &e1));
  g_assert_cmpstr (e1->message, ==, "SDP: 6 bytes with a NUL byte (at most 65536 bytes of text)");
  g_assert_null (rp_sdp_parse (big, RP_SDP_MAX_LEN + 1, FALSE, &e2));
  g_assert_cmpstr (e2->message, ==, "SDP: 65537 bytes (at most 65536 bytes of text)");
}

static void
test_defaults (void)
{
  const char *sdp = HEAD MEDIA CREDS FP "a=end-of-candidates\r\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (RpSdpSession) offer = rp_sdp_parse (sdp, strlen (sdp), FALSE, &error);
  g_autoptr (RpSdpSession) answer = rp_sdp_parse (sdp, strlen (sdp), TRUE, &error);

  g_assert_no_error (error);
  /* RFC 8841 5.1 / 6.1 and RFC 8842 5.3: what an absent attribute means */
  g_assert_cmpuint (offer->sctp_port, ==, 5000);
  g_assert_cmpuint (offer->max_message_size, ==, 65536);
  g_assert_cmpint (offer->setup, ==, RP_SDP_SETUP_ACTPASS);
  g_assert_cmpint (answer->setup, ==, RP_SDP_SETUP_ACTIVE);
  g_assert_true (offer->end_of_candidates);
  g_assert_cmpstr (offer->mid, ==, "");
}

static void
test_answer_setup (void)
{
  g_assert_cmpint (rp_sdp_answer_setup (RP_SDP_SETUP_ACTPASS), ==, RP_SDP_SETUP_PASSIVE);
  g_assert_cmpint (rp_sdp_answer_setup (RP_SDP_SETUP_ACTIVE), ==, RP_SDP_SETUP_PASSIVE);
  g_assert_cmpint (rp_sdp_answer_setup (RP_SDP_SETUP_PASSIVE), ==, RP_SDP_SETUP_ACTIVE);
}

static void
test_build_round_trip (void)
{
  g_autoptr (RpSdpSession) l = rp_sdp_session_new ();
  g_autoptr (RpSdpSession) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  RpIceCandidate c = { .type = RP_ICE_CAND_HOST, .transport = RP_ICE_CAND_UDP, .component = 1,
                       .priority = 2015363327, .port = 50000, .gathered_us = -1 };

  g_strlcpy (c.foundation, "1", sizeof c.foundation);
  g_strlcpy (c.addr, "127.0.0.1", sizeof c.addr);
  l->ufrag = g_strdup ("AbCd");
  l->pwd = g_strdup ("0123456789abcdefghijkl");
  memset (l->fingerprint, 0xab, sizeof l->fingerprint);
  l->setup = RP_SDP_SETUP_PASSIVE;
  g_strlcpy (l->mid, "data", sizeof l->mid);
  l->max_message_size = 65536;
  l->trickle = TRUE;
  g_array_append_val (l->candidates, c);
  l->end_of_candidates = TRUE;
  text = rp_sdp_build (l, 42);
  g_assert_true (g_str_has_prefix (text, "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n"));
  g_assert_nonnull (strstr (text, "a=group:BUNDLE data\r\n"));
  g_assert_nonnull (strstr (text, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  g_assert_nonnull (strstr (text, "a=setup:passive\r\na=mid:data\r\n"));
  g_assert_nonnull (strstr (text, "a=candidate:1 1 udp 2015363327 127.0.0.1 50000 typ host\r\n"));
  back = rp_sdp_parse (text, strlen (text), TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->ufrag, ==, "AbCd");
  g_assert_cmpmem (back->fingerprint, 32, l->fingerprint, 32);
  g_assert_cmpint (back->setup, ==, RP_SDP_SETUP_PASSIVE);
  g_assert_cmpstr (back->mid, ==, "data");
  g_assert_cmpuint (back->candidates->len, ==, 1);
  g_assert_true (back->end_of_candidates && back->trickle);
}

static void
test_fingerprint (void)
{
  g_autoptr (RpDtlsCert) cert = rp_dtls_cert_new (NULL);
  guint8 fp[RP_DTLS_FINGERPRINT_LEN], again[RP_DTLS_FINGERPRINT_LEN];
  g_autofree char *s = NULL;
  g_autofree char *lower = NULL;

  g_assert_nonnull (cert);
  g_assert_true (rp_dtls_x509_fingerprint (rp_dtls_cert_get_x509 (cert), fp));
  g_assert_cmpmem (fp, sizeof fp, rp_dtls_cert_get_fingerprint (cert), sizeof fp);
  g_assert_cmpint (EVP_PKEY_get_id (rp_dtls_cert_get_key (cert)), ==, EVP_PKEY_EC);
  s = rp_dtls_fingerprint_to_string (fp);
  g_assert_cmpuint (strlen (s), ==, 95);
  g_assert_true (rp_dtls_fingerprint_from_string (s, again));
  g_assert_cmpmem (fp, sizeof fp, again, sizeof again);
  lower = g_ascii_strdown (s, -1);
  g_assert_true (rp_dtls_fingerprint_from_string (lower, again));
  g_assert_false (rp_dtls_fingerprint_from_string ("00:01", again));
  s[2] = '-';
  g_assert_false (rp_dtls_fingerprint_from_string (s, again));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/webrtc/sdp/chromium", test_chromium);
  g_test_add_func ("/webrtc/sdp/chromium-answer", test_chromium_answer);
  g_test_add_func ("/webrtc/sdp/firefox", test_firefox);
  g_test_add_func ("/webrtc/sdp/safari", test_safari);
  g_test_add_func ("/webrtc/sdp/refused-files", test_refused_files);
  g_test_add_func ("/webrtc/sdp/refused", test_refused);
  g_test_add_func ("/webrtc/sdp/nul-and-size", test_nul_and_size);
  g_test_add_func ("/webrtc/sdp/defaults", test_defaults);
  g_test_add_func ("/webrtc/sdp/answer-setup", test_answer_setup);
  g_test_add_func ("/webrtc/sdp/build-round-trip", test_build_round_trip);
  g_test_add_func ("/webrtc/sdp/fingerprint", test_fingerprint);
  return g_test_run ();
}
