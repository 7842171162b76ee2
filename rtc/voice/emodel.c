/* G.107 E-model arithmetic and the codec table. The only choices made here:
 *
 * - Loudness, noise and echo parameters are G.107 Table 3 defaults (a
 *   handset with echo control at TELR 65 dB): a network probe cannot see
 *   them. Their delay-dependent terms are computed, not folded into 93.2:
 *   at 100 ms one way the echo terms alone take 2.7 from R.
 * - The echo paths follow the mouth-to-ear delay: T = Ta, Tr = 2 Ta.
 * - Opus has no entry in G.113 Appendix I. Super-wideband Opus would be
 *   rated on the G.107.2 fullband scale, which no other figure here uses;
 *   we rate it like G.711 with PLC (Ie 0, Bpl 25.1), which is what a
 *   narrowband listener of a good codec with concealment gets and keeps
 *   every verdict on the one G.107 scale.
 * - Codec delay is one 20 ms frame for G.711 and Opus's 26.5 ms algorithmic
 *   delay at 20 ms frames (frame plus look-ahead). */
#include "rtc/voice/emodel.h"

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

/* G.107 Table 3 defaults. */
#define SLR 8.0     /* send loudness rating, dB */
#define RLR 2.0     /* receive loudness rating, dB */
#define STMR 15.0   /* sidetone masking rating, dB */
#define LSTR 18.0   /* listener sidetone rating, dB */
#define DS 3.0      /* D-value of the telephone, send side */
#define TELR 65.0   /* talker echo loudness rating, dB */
#define WEPL 110.0  /* weighted echo path loss, dB */
#define QDU 1.0     /* quantizing distortion units */
#define NC (-70.0)  /* circuit noise, dBm0p */
#define NFOR (-64.0) /* noise floor at the receive side, dBmp */
#define PS 35.0     /* room noise at the send side, dB(A) */
#define PR 35.0     /* room noise at the receive side, dB(A) */

static double
sq (double x)
{
  return x * x;
}

/* G.107 7.2: the total noise No, dBm0p. */
static double
total_noise (void)
{
  double pre = PR + 10 * log10 (1 + pow (10, (10 - LSTR) / 10));
  double nor = RLR - 121 + pre + 0.008 * sq (pre - 35);
  double nos = PS - SLR - DS - 100 + 0.004 * sq (PS - (SLR + RLR) - DS - 14);
  double nfo = NFOR + RLR;

  return 10 *
         log10 (pow (10, NC / 10) + pow (10, nos / 10) + pow (10, nor / 10) + pow (10, nfo / 10));
}

static double
basic_ro (void)
{
  return 15 - 1.5 * (SLR + total_noise ());
}

/* G.107 7.3, Ist: sidetone. */
static double
sidetone_impairment (double t_ms)
{
  double stmro = -10 * log10 (pow (10, -STMR / 10) + exp (-t_ms / 4) * pow (10, -TELR / 10));

  return 12 * pow (1 + pow ((stmro - 13) / 6, 8), 1.0 / 8) -
         28 * pow (1 + pow ((stmro + 1) / 19.4, 35), 1.0 / 35) -
         13 * pow (1 + pow ((stmro - 3) / 33, 13), 1.0 / 13) + 29;
}

double
rp_emodel_ro_minus_is (double t_ms)
{
  double no = total_noise (), ro = basic_ro ();
  double xolr = SLR + RLR + 0.2 * (64 + no - RLR);
  double iolr = 20 * (pow (1 + pow (xolr / 8, 8), 1.0 / 8) - xolr / 8);
  double q = 37 - 15 * log10 (QDU);
  double g = 1.07 + 0.258 * q + 0.0602 * q * q;
  double z = 46.0 / 30 - g / 40, y = (ro - 100) / 15 + 46 / 8.4 - g / 9;
  double iq = 15 * log10 (1 + pow (10, y) + pow (10, z));

  return ro - (iolr + sidetone_impairment (t_ms) + iq);
}

double
rp_emodel_idte (double t_ms)
{
  /* TERV = TELR - 40 lg((1 + T/10) / (1 + T/150)) + 6 e^(-0.3 T^2); the
   * STMR < 9 and > 20 corrections do not apply at STMR 15. */
  double terv, roe, re;

  if (!(t_ms > 0))
    return 0;
  terv = TELR - 40 * log10 ((1 + t_ms / 10) / (1 + t_ms / 150)) + 6 * exp (-0.3 * t_ms * t_ms);
  roe = -1.5 * (total_noise () - RLR);
  re = 80 + 2.5 * (terv - 14);
  return ((roe - re) / 2 + sqrt (sq (roe - re) / 4 + 100) - 1) * (1 - exp (-t_ms));
}

double
rp_emodel_idle (double tr_ms)
{
  double ro = basic_ro ();
  double rle = 10.5 * (WEPL + 7) * pow (MAX (tr_ms, 0) + 1, -0.25);

  return (ro - rle) / 2 + sqrt (sq (ro - rle) / 4 + 169);
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
  double ta = MAX (in->ta_ms, 0);

  out->ro_minus_is = rp_emodel_ro_minus_is (ta);
  out->idte = rp_emodel_idte (ta);
  out->idle = rp_emodel_idle (2 * ta);
  out->idd = rp_emodel_idd (ta);
  out->id = out->idte + out->idle + out->idd;
  out->ie_eff = rp_emodel_ie_eff (in->ie, in->bpl, in->ppl, in->burst_r);
  out->r = out->ro_minus_is - out->id - out->ie_eff + in->a;
  out->mos = rp_emodel_mos (out->r);
  out->grade = rp_emodel_grade (out->r);
}
