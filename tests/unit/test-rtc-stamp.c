/* Tests for the STAMP codec against octets worked out by hand from the
 * figures of RFC 8762 4.2.1 and 4.3.1 (and RFC 8972 4.3 for padding), the
 * reflector's size and counter rules, hostile input, and the clock mapping
 * (1.5 s = 0x00000001_80000000 in NTP 32.32). */
#include <glib.h>
#include <string.h>

#include "rtc/voice/stamp.h"

/* seq 0x01020304, T1 = 1.5 s, Error Estimate 0x0C01, SSID 0, 30 MBZ */
static const guint8 sender_44[RP_STAMP_BASE_LEN] = {
  0x01, 0x02, 0x03, 0x04,
  0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00,
  0x0C, 0x01,
  0x00, 0x00,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* The reflection of sender_44 by a fresh stateful reflector at T2 = 2.25 s,
 * T3 = 2.5 s, received TTL 64. */
static const guint8 reflected_44[RP_STAMP_BASE_LEN] = {
  0x00, 0x00, 0x00, 0x00,                         /* reflector seq 0 */
  0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00, /* T3 2.5 s */
  0x0C, 0x01,                                     /* its Error Estimate */
  0x00, 0x00,                                     /* SSID */
  0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, /* T2 2.25 s */
  0x01, 0x02, 0x03, 0x04,                         /* sender seq */
  0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00, /* T1 */
  0x0C, 0x01,                                     /* sender Error Estimate */
  0x00, 0x00,                                     /* MBZ */
  0x40,                                           /* TTL */
  0x00, 0x00, 0x00,                               /* MBZ */
};

static RpStampSender
sender_packet (void)
{
  RpStampSender p = { 0x01020304, 0, RP_STAMP_EE_DEFAULT, 0 };

  p.timestamp = rp_stamp_us_to_ntp (1500000);
  return p;
}

static void
test_encode_base (void)
{
  RpStampSender p = sender_packet ();
  guint8 buf[64];

  memset (buf, 0xAA, sizeof buf);
  g_assert_cmpuint (rp_stamp_sender_encode (&p, RP_STAMP_BASE_LEN, buf, sizeof buf), ==, 44);
  g_assert_cmpmem (buf, 44, sender_44, 44);
  g_assert_cmpuint (buf[44], ==, 0xAA);   /* nothing written past the packet */
}

static void
test_encode_padded (void)
{
  RpStampSender p = sender_packet ();
  guint8 buf[RP_STAMP_VOICE_FRAME_LEN];
  guint8 zeros[RP_STAMP_VOICE_FRAME_LEN] = { 0 };

  memset (buf, 0xAA, sizeof buf);
  g_assert_cmpuint (rp_stamp_sender_encode (&p, 172, buf, sizeof buf), ==, 172);
  g_assert_cmpmem (buf, 44, sender_44, 44);
  /* RFC 8972 Extra Padding TLV: flags 0, type 1, length 172 - 44 - 4 = 124 */
  g_assert_cmpuint (buf[44], ==, 0x00);
  g_assert_cmpuint (buf[45], ==, 0x01);
  g_assert_cmpuint (buf[46], ==, 0x00);
  g_assert_cmpuint (buf[47], ==, 0x7C);
  g_assert_cmpmem (buf + 48, 124, zeros, 124);

  /* too little room for a TLV header: plain zeros */
  memset (buf, 0xAA, sizeof buf);
  g_assert_cmpuint (rp_stamp_sender_encode (&p, 47, buf, sizeof buf), ==, 47);
  g_assert_cmpmem (buf + 44, 3, zeros, 3);
  /* exactly a header: empty padding */
  g_assert_cmpuint (rp_stamp_sender_encode (&p, 48, buf, sizeof buf), ==, 48);
  g_assert_cmpuint (buf[45], ==, 1);
  g_assert_cmpuint (buf[47], ==, 0);
}

static void
test_encode_bad_sizes (void)
{
  RpStampSender p = sender_packet ();
  guint8 buf[100];

  g_assert_cmpuint (rp_stamp_sender_encode (&p, 43, buf, sizeof buf), ==, 0);
  g_assert_cmpuint (rp_stamp_sender_encode (&p, 101, buf, sizeof buf), ==, 0);
  g_assert_cmpuint (rp_stamp_sender_encode (&p, RP_STAMP_MAX_LEN + 1, buf, G_MAXSIZE), ==, 0);
}

static void
test_decode_sender (void)
{
  RpStampSender p;

  g_assert_cmpint (rp_stamp_sender_decode (sender_44, 44, &p), ==, RP_STAMP_OK);
  g_assert_cmphex (p.seq, ==, 0x01020304);
  g_assert_cmphex (p.timestamp, ==, G_GUINT64_CONSTANT (0x0000000180000000));
  g_assert_cmphex (p.error_estimate, ==, 0x0C01);
  g_assert_cmpint (rp_stamp_ntp_to_us (p.timestamp), ==, 1500000);
  g_assert_cmpint (rp_stamp_sender_decode (sender_44, 43, &p), ==, RP_STAMP_TOO_SHORT);
  g_assert_cmpint (rp_stamp_sender_decode (sender_44, 0, &p), ==, RP_STAMP_TOO_SHORT);
}

static void
test_reflect (void)
{
  RpStampReflector r;
  RpStampReflected d;
  guint8 buf[RP_STAMP_VOICE_FRAME_LEN];
  guint8 tail[RP_STAMP_VOICE_FRAME_LEN - 44];
  RpStampSender p = sender_packet ();

  rp_stamp_reflector_init (&r, FALSE);
  g_assert_cmpuint (rp_stamp_sender_encode (&p, sizeof buf, buf, sizeof buf), ==, sizeof buf);
  memcpy (tail, buf + 44, sizeof tail);

  g_assert_cmpint (rp_stamp_reflect (&r, buf, sizeof buf, 2250000, 2500000, 64), ==, RP_STAMP_OK);
  g_assert_cmpmem (buf, 44, reflected_44, 44);
  g_assert_cmpmem (buf + 44, sizeof tail, tail, sizeof tail);   /* padding reflected as is */

  g_assert_cmpint (rp_stamp_reflected_decode (buf, sizeof buf, &d), ==, RP_STAMP_OK);
  g_assert_cmpuint (d.seq, ==, 0);
  g_assert_cmphex (d.sender_seq, ==, 0x01020304);
  g_assert_cmphex (d.sender_timestamp, ==, p.timestamp);
  g_assert_cmphex (d.sender_error_estimate, ==, 0x0C01);
  g_assert_cmpuint (d.sender_ttl, ==, 64);
  g_assert_cmpint (rp_stamp_ntp_to_us (d.receive_timestamp), ==, 2250000);
  g_assert_cmpint (rp_stamp_ntp_to_us (d.timestamp), ==, 2500000);
}

/* RFC 8762 4.3.1: the stateful counter counts received packets from 0,
 * whatever their numbers; stateless copies the sender's number. */
static void
test_reflector_counter (void)
{
  RpStampReflector stateful, stateless;
  RpStampReflected d;
  static const guint32 seqs[] = { 7, 9, 8, 100 };

  rp_stamp_reflector_init (&stateful, FALSE);
  rp_stamp_reflector_init (&stateless, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (seqs); i++) {
    RpStampSender p = { seqs[i], 0, RP_STAMP_EE_DEFAULT, 0 };
    guint8 a[44], b[44];

    rp_stamp_sender_encode (&p, 44, a, sizeof a);
    memcpy (b, a, sizeof b);
    g_assert_cmpint (rp_stamp_reflect (&stateful, a, sizeof a, 1, 2, 0), ==, RP_STAMP_OK);
    g_assert_cmpint (rp_stamp_reflect (&stateless, b, sizeof b, 1, 2, 0), ==, RP_STAMP_OK);
    rp_stamp_reflected_decode (a, sizeof a, &d);
    g_assert_cmpuint (d.seq, ==, i);
    g_assert_cmpuint (d.sender_seq, ==, seqs[i]);
    rp_stamp_reflected_decode (b, sizeof b, &d);
    g_assert_cmpuint (d.seq, ==, seqs[i]);
  }
}

/* Too short or corrupt: not answered, buffer and counter untouched. */
static void
test_reflect_refuses (void)
{
  RpStampReflector r;
  guint8 buf[44], copy[44];

  rp_stamp_reflector_init (&r, FALSE);
  memcpy (buf, sender_44, 44);
  g_assert_cmpint (rp_stamp_reflect (&r, buf, 43, 1, 2, 64), ==, RP_STAMP_TOO_SHORT);
  g_assert_cmpmem (buf, 44, sender_44, 44);

  buf[13] = 0;  /* Multiplier 0: RFC 4656 4.1.2 */
  memcpy (copy, buf, sizeof copy);
  g_assert_cmpint (rp_stamp_reflect (&r, buf, 44, 1, 2, 64), ==, RP_STAMP_BAD_ERROR_ESTIMATE);
  g_assert_cmpmem (buf, 44, copy, 44);
  g_assert_cmpuint (r.next_seq, ==, 0);
  g_assert_nonnull (rp_stamp_result_to_string (RP_STAMP_BAD_ERROR_ESTIMATE));
}

/* The SSID of RFC 8972 3 comes back; the stale MBZ octets of the sender
 * packet that overlap reflector MBZ fields are zeroed. */
static void
test_reflect_ssid_and_mbz (void)
{
  RpStampReflector r;
  RpStampReflected d;
  guint8 buf[44];

  memset (buf, 0xFF, sizeof buf);
  memcpy (buf, sender_44, 14);
  buf[14] = 0xBE;
  buf[15] = 0xEF;
  rp_stamp_reflector_init (&r, FALSE);
  g_assert_cmpint (rp_stamp_reflect (&r, buf, 44, 1, 2, 3), ==, RP_STAMP_OK);
  rp_stamp_reflected_decode (buf, 44, &d);
  g_assert_cmphex (d.ssid, ==, 0xBEEF);
  g_assert_cmpuint (buf[38], ==, 0);
  g_assert_cmpuint (buf[39], ==, 0);
  g_assert_cmpuint (buf[41], ==, 0);
  g_assert_cmpuint (buf[42], ==, 0);
  g_assert_cmpuint (buf[43], ==, 0);
}

static void
test_clock_mapping (void)
{
  g_assert_cmphex (rp_stamp_us_to_ntp (1), ==, 0x10C6);
  g_assert_cmphex (rp_stamp_us_to_ntp (999999), ==, 0xFFFFEF39);
  g_assert_cmphex (rp_stamp_us_to_ntp (2250010), ==, G_GUINT64_CONSTANT (0x24000A7C5));
  g_assert_cmphex (rp_stamp_us_to_ntp (-5), ==, 0);

  /* exact round trip */
  for (gint64 us = 0; us < 2000000; us += 997)
    g_assert_cmpint (rp_stamp_ntp_to_us (rp_stamp_us_to_ntp (us)), ==, us);
  for (guint i = 0; i < 100000; i++) {
    gint64 us =
      (gint64) g_test_rand_int_range (0, G_MAXINT32) * 1000 + g_test_rand_int_range (0, 1000);

    g_assert_cmpint (rp_stamp_ntp_to_us (rp_stamp_us_to_ntp (us)), ==, us);
  }
}

static void
test_timestamp_diff (void)
{
  /* across the NTP era rollover: -0.25 s to +0.25 s */
  g_assert_cmpint (rp_stamp_timestamp_diff_us (G_GUINT64_CONSTANT (0x0000000040000000),
                                               G_GUINT64_CONSTANT (0xFFFFFFFFC0000000), 0),
                   ==, 500000);
  g_assert_cmpint (rp_stamp_timestamp_diff_us (G_GUINT64_CONSTANT (0xFFFFFFFFC0000000),
                                               G_GUINT64_CONSTANT (0x0000000040000000), 0),
                   ==, -500000);
  g_assert_cmpint (
    rp_stamp_timestamp_diff_us (rp_stamp_us_to_ntp (2500000), rp_stamp_us_to_ntp (2250010), 0), ==,
    249990);
  /* PTPv2 truncated (Z = 1): 2 s + 500000000 ns */
  g_assert_cmpint (
    rp_stamp_timestamp_to_us (G_GUINT64_CONSTANT (0x000000021DCD6500), RP_STAMP_EE_Z | 1), ==,
    2500000);
  g_assert_cmpint (rp_stamp_timestamp_diff_us (G_GUINT64_CONSTANT (0x000000021DCD6500),
                                               G_GUINT64_CONSTANT (0x0000000200000000),
                                               RP_STAMP_EE_Z | 1),
                   ==, 500000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtc/stamp/encode-base", test_encode_base);
  g_test_add_func ("/rtc/stamp/encode-padded", test_encode_padded);
  g_test_add_func ("/rtc/stamp/encode-bad-sizes", test_encode_bad_sizes);
  g_test_add_func ("/rtc/stamp/decode-sender", test_decode_sender);
  g_test_add_func ("/rtc/stamp/reflect", test_reflect);
  g_test_add_func ("/rtc/stamp/reflector-counter", test_reflector_counter);
  g_test_add_func ("/rtc/stamp/reflect-refuses", test_reflect_refuses);
  g_test_add_func ("/rtc/stamp/reflect-ssid-mbz", test_reflect_ssid_and_mbz);
  g_test_add_func ("/rtc/stamp/clock-mapping", test_clock_mapping);
  g_test_add_func ("/rtc/stamp/timestamp-diff", test_timestamp_diff);
  return g_test_run ();
}
