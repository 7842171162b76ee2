/* Tests for DCEP (rtc/webrtc/dcep.h): DATA_CHANNEL_OPEN as Chromium sends it
 * (RFC 8832 5.1 octet by octet), every channel type's sending policy, the
 * round trip from a policy, and the malformed messages refused. */
#include <gio/gio.h>
#include <glib.h>
#include <string.h>

#include "rtc/webrtc/dcep.h"

/* createDataChannel("voice", {ordered: false, maxRetransmits: 0}) */
static const guint8 voice_open[] = {
  0x03, 0x81, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00,
  'v', 'o', 'i', 'c', 'e',
};

static void
test_parse (void)
{
  g_auto (RpDcepOpen) o = { 0 };
  g_autoptr (GError) error = NULL;
  RpDcepPolicy p;

  g_assert_true (rp_dcep_open_parse (voice_open, sizeof voice_open, &o, &error));
  g_assert_no_error (error);
  g_assert_cmpint (o.channel_type, ==, RP_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED);
  g_assert_cmpstr (o.label, ==, "voice");
  g_assert_cmpstr (o.protocol, ==, "");
  rp_dcep_policy (&o, &p);
  g_assert_false (p.ordered);
  g_assert_true (p.limit_rtx);
  g_assert_false (p.limit_time);
  g_assert_cmpuint (p.max_rtx, ==, 0);
}

static void
test_policies (void)
{
  struct { guint8 type; guint32 rel; gboolean ordered, rtx, ttl; guint32 max_rtx, ms; } cases[] = {
    { 0x00, 7, TRUE, FALSE, FALSE, 0, 0 },     /* reliable: the parameter is ignored */
    { 0x80, 0, FALSE, FALSE, FALSE, 0, 0 },
    { 0x01, 3, TRUE, TRUE, FALSE, 3, 0 },
    { 0x81, 0, FALSE, TRUE, FALSE, 0, 0 },
    { 0x02, 150, TRUE, FALSE, TRUE, 0, 150 },
    { 0x82, 60, FALSE, FALSE, TRUE, 0, 60 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    RpDcepOpen in = { .channel_type = cases[i].type, .reliability = cases[i].rel,
                      .priority = 256, .label = "x", .protocol = "p" };
    g_autoptr (GBytes) m = rp_dcep_open_build (&in);
    g_auto (RpDcepOpen) out = { 0 };
    RpDcepOpen again = { 0 };
    RpDcepPolicy p;
    gsize n;
    const guint8 *d = g_bytes_get_data (m, &n);

    g_assert_true (rp_dcep_open_parse (d, n, &out, NULL));
    g_assert_cmpuint (out.priority, ==, 256);
    g_assert_cmpstr (out.protocol, ==, "p");
    rp_dcep_policy (&out, &p);
    g_assert_cmpint (p.ordered, ==, cases[i].ordered);
    g_assert_cmpint (p.limit_rtx, ==, cases[i].rtx);
    g_assert_cmpint (p.limit_time, ==, cases[i].ttl);
    g_assert_cmpuint (p.max_rtx, ==, cases[i].max_rtx);
    g_assert_cmpuint (p.lifetime_ms, ==, cases[i].ms);
    rp_dcep_open_from_policy (&p, &again);
    g_assert_cmpint (again.channel_type, ==, cases[i].type);
    g_assert_cmpuint (again.reliability, ==, out.reliability);
  }
}

static void
assert_bad (const guint8 *d, gsize n, const char *msg)
{
  g_auto (RpDcepOpen) o = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_false (rp_dcep_open_parse (d, n, &o, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, msg);
  g_assert_null (o.label);
}

static void
test_malformed (void)
{
  guint8 m[sizeof voice_open + 1];

  assert_bad (voice_open, 11, "DCEP: DATA_CHANNEL_OPEN is shorter than its 12-octet header");
  memcpy (m, voice_open, sizeof voice_open);
  m[0] = 0x02;
  assert_bad (m, sizeof voice_open,
              "DCEP: DATA_CHANNEL_OPEN does not start with message type 0x03");
  memcpy (m, voice_open, sizeof voice_open);
  m[1] = 0x03;
  assert_bad (m, sizeof voice_open, "DCEP: DATA_CHANNEL_OPEN has an unknown channel type 0x03");
  memcpy (m, voice_open, sizeof voice_open);
  m[9] = 0x06;   /* label runs past the end */
  assert_bad (m, sizeof voice_open,
              "DCEP: DATA_CHANNEL_OPEN lengths do not match the message size");
  memcpy (m, voice_open, sizeof voice_open);
  m[sizeof voice_open] = 0;   /* one trailing octet */
  assert_bad (m, sizeof m, "DCEP: DATA_CHANNEL_OPEN lengths do not match the message size");
  memcpy (m, voice_open, sizeof voice_open);
  m[13] = 0xff;
  assert_bad (m, sizeof voice_open,
              "DCEP: DATA_CHANNEL_OPEN has a label or protocol that is not UTF-8");
}

static void
test_long_label (void)
{
  gsize n = RP_DCEP_OPEN_HEADER_LEN + RP_DCEP_LABEL_MAX + 1;
  g_autofree guint8 *m = g_malloc0 (n);

  memcpy (m, voice_open, RP_DCEP_OPEN_HEADER_LEN);
  m[8] = (RP_DCEP_LABEL_MAX + 1) >> 8;
  m[9] = (RP_DCEP_LABEL_MAX + 1) & 0xff;
  memset (m + RP_DCEP_OPEN_HEADER_LEN, 'a', RP_DCEP_LABEL_MAX + 1);
  assert_bad (m, n, "DCEP: DATA_CHANNEL_OPEN has a label or protocol longer than 1024 octets");
}

static void
test_ack (void)
{
  static const guint8 ack[] = { 0x02 }, two[] = { 0x02, 0x00 }, open[] = { 0x03 };

  g_assert_true (rp_dcep_is_ack (ack, 1));
  g_assert_false (rp_dcep_is_ack (two, 2));
  g_assert_false (rp_dcep_is_ack (open, 1));
  g_assert_false (rp_dcep_is_ack (ack, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/webrtc/dcep/parse", test_parse);
  g_test_add_func ("/webrtc/dcep/policies", test_policies);
  g_test_add_func ("/webrtc/dcep/malformed", test_malformed);
  g_test_add_func ("/webrtc/dcep/long-label", test_long_label);
  g_test_add_func ("/webrtc/dcep/ack", test_ack);
  return g_test_run ();
}
