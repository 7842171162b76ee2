/* G.107 E-model arithmetic and the codec table. The only choices made here:
 *
 * - Id is Idd alone: talker and listener echo (Idte, Idle) at their default
 *   values are part of the default R of 93.2.
 * - Opus has no entry in G.113 Appendix I. Super-wideband Opus would be
 *   rated on the G.107.2 fullband scale, which no other figure here uses;
 *   we rate it like G.711 with PLC (Ie 0, Bpl 25.1), which is what a
 *   narrowband listener of a good codec with concealment gets and keeps
 *   every verdict on the one G.107 scale.
 * - Codec delay is one 20 ms frame for G.711 and Opus's 26.5 ms algorithmic
 *   delay at 20 ms frames (frame plus look-ahead). */
#include "rtc/emodel.h"

#include <math.h>

static const RpCodecProfile profiles[] = {
  [RP_CODEC_G711_PLC] = { "g711", 0, 25.1, 20 },
  [RP_CODEC_G711] = { "g711-noplc", 0, 4.3, 20 },
  [RP_CODEC_OPUS] = { "opus", 0, 25.1, 26.5 },
};

const RpCodecProfile *
rp_codec_profile (RpCodec codec)
{
  if ((guint) codec >= G_N_ELEMENTS (profiles))
    codec = RP_CODEC_G711_PLC;
  return &profiles[codec];
}

void
rp_emodel_input_init (RpEmodelInput *in, RpCodec codec)
{
  const RpCodecProfile *p = rp_codec_profile (codec);

  in->r0_minus_is = RP_EMODEL_R_DEFAULT;
  in->a = 0;
  in->ta_ms = 0;
  in->ppl = 0;
  in->burst_r = 1;
  in->ie = p->ie;
  in->bpl = p->bpl;
}

double
rp_emodel_mouth_to_ear_ms (double rtt_ms, double jitter_buffer_ms, RpCodec codec)
{
  return rtt_ms / 2 + jitter_buffer_ms + rp_codec_profile (codec)->delay_ms;
}

double
rp_emodel_idd (double ta_ms)
{
  double x;

  /* G.107 7.3: Idd = 0 for Ta <= 100 ms; above,
   * Idd = 25 {(1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) + 2}, X = lg(Ta/100) / lg 2 */
  if (!(ta_ms > 100))
    return 0;
  x = log10 (ta_ms / 100) / log10 (2);
  return 25 * (pow (1 + pow (x, 6), 1.0 / 6) - 3 * pow (1 + pow (x / 3, 6), 1.0 / 6) + 2);
}

double
rp_emodel_ie_eff (double ie, double bpl, double ppl, double burst_r)
{
  /* G.107 7.4: Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl) */
  ppl = CLAMP (ppl, 0, 100);
  if (!(burst_r >= 1))
    burst_r = 1;
  return ie + (95 - ie) * ppl / (ppl / burst_r + bpl);
}

double
rp_emodel_mos (double r)
{
  /* G.107 Annex B. The polynomial dips below 1 for 0 < R < 6.5 (to 0.98
   * near R = 3.2); held at 1 there so MOS never falls as R rises. */
  if (!(r > 0))
    return 1;
  if (r >= 100)
    return 4.5;
  return MAX (1.0, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6);
}

/* G.109 Table 1; half-open intervals, so every R has exactly one grade. */
RpGrade
rp_emodel_grade (double r)
{
  if (r >= 90)
    return RP_GRADE_BEST;
  if (r >= 80)
    return RP_GRADE_HIGH;
  if (r >= 70)
    return RP_GRADE_MEDIUM;
  if (r >= 60)
    return RP_GRADE_LOW;
  if (r >= 50)
    return RP_GRADE_POOR;
  return RP_GRADE_NOT_RECOMMENDED;
}

const char *
rp_grade_to_string (RpGrade g)
{
  switch (g) {
  case RP_GRADE_BEST:
    return "best";
  case RP_GRADE_HIGH:
    return "high";
  case RP_GRADE_MEDIUM:
    return "medium";
  case RP_GRADE_LOW:
    return "low";
  case RP_GRADE_POOR:
    return "poor";
  case RP_GRADE_NOT_RECOMMENDED:
  default:
    return "not recommended";
  }
}

void
rp_emodel_compute (const RpEmodelInput *in, RpEmodelResult *out)
{
  out->idd = rp_emodel_idd (in->ta_ms);
  out->ie_eff = rp_emodel_ie_eff (in->ie, in->bpl, in->ppl, in->burst_r);
  out->r = in->r0_minus_is - out->idd - out->ie_eff + in->a;
  out->mos = rp_emodel_mos (out->r);
  out->grade = rp_emodel_grade (out->r);
}
