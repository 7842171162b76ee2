/* Fuzz target for the STAMP codec. The input is decoded as a Session-Sender
 * packet and as a Session-Reflector packet; a sender packet that decodes is
 * reflected in place (the length must not change, the echoed fields must
 * match, octets past 44 must come back untouched), re-encoded at the same
 * size (the fields must survive), and the reflection fed to the voice
 * statistics. Any broken invariant aborts. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/voice/stamp.h"
#include "rtc/voice/stats.h"

static void
require (gboolean ok)
{
  if (!ok)
    abort ();
}

static void
reflect_and_check (const guint8 *data, gsize size, const RpStampSender *in)
{
  g_autofree guint8 *buf = g_memdup2 (data, size);
  g_autoptr (RpVoiceStats) stats = rp_voice_stats_new (NULL);
  RpStampReflector r;
  RpStampReflected d;
  RpVoiceSample x;
  RpVoiceSummary *sum;

  rp_stamp_reflector_init (&r, FALSE);
  require (rp_stamp_reflect (&r, buf, size, 2250000, 2500000, 64) == RP_STAMP_OK);
  require (r.next_seq == 1);
  require (memcmp (buf + RP_STAMP_BASE_LEN, data + RP_STAMP_BASE_LEN, size - RP_STAMP_BASE_LEN) ==
           0);
  require (rp_stamp_reflected_decode (buf, size, &d) == RP_STAMP_OK);
  require (d.seq == 0 && d.sender_seq == in->seq && d.sender_timestamp == in->timestamp);
  require (d.sender_error_estimate == in->error_estimate && d.ssid == in->ssid &&
           d.sender_ttl == 64);
  require (rp_stamp_ntp_to_us (d.receive_timestamp) == 2250000);
  require (rp_stamp_ntp_to_us (d.timestamp) == 2500000);

  /* whatever T1 the packet claims, the statistics must stay sane */
  rp_voice_stats_sent (stats, rp_stamp_timestamp_to_us (in->timestamp, in->error_estimate));
  rp_voice_sample_from_stamp (&x, &d, 3000000);
  rp_voice_stats_received (stats, &x);
  sum = g_new0 (RpVoiceSummary, 1);
  rp_voice_stats_summarize (stats, sum);
  require (sum->sent == 1 && sum->received + sum->lost == 1 &&
           sum->received + sum->bogus + sum->stale <= 1);
  require (sum->forward.lost + sum->backward.lost + sum->unattributed == sum->lost);
  require (sum->rtt_min_ms >= 0 && sum->rtt_p99_ms <= sum->rtt_max_ms + 1e-9);
  g_free (sum);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  RpStampSender s, again;
  RpStampReflected d;
  RpStampResult rs = rp_stamp_sender_decode (data, size, &s);
  RpStampResult rr = rp_stamp_reflected_decode (data, size, &d);

  require (rp_stamp_result_to_string (rs) != NULL && rp_stamp_result_to_string (rr) != NULL);
  /* both layouts share length and Error Estimate position: same verdict */
  require (rs == rr);
  if (size < RP_STAMP_BASE_LEN)
    require (rs == RP_STAMP_TOO_SHORT);

  if (rr == RP_STAMP_OK)
    (void) rp_stamp_timestamp_diff_us (d.timestamp, d.receive_timestamp, d.error_estimate);

  if (rs == RP_STAMP_OK) {
    g_autofree guint8 *enc = g_malloc (size);

    require (rp_stamp_sender_encode (&s, size, enc, size) == size);
    require (rp_stamp_sender_decode (enc, size, &again) == RP_STAMP_OK);
    require (memcmp (&s, &again, sizeof s) == 0);
    reflect_and_check (data, size, &s);
  }
  return 0;
}
