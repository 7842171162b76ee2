/* Tests for the E-model against values worked out from the G.107 formulas
 * independently of this code (Python, double precision):
 *   G.107's rounded default R 93.2          -> MOS 4.4093
 *   every default, no delay                 -> Ro 94.7688, Is 1.4136, Idle 0.1490,
 *                                              R 93.2062, MOS 4.4094
 *   Ta 100 ms, Ppl 1 %, BurstR 1, G.711+PLC -> Idte 1.9638, Idle 0.7277, Id 2.6915,
 *                                              Ie,eff 3.6398, R 87.0239, MOS 4.2594
 *                                              (the usual check value, MOS 4.26)
 *   the same without PLC (Bpl 4.3)          -> Ie,eff 17.9245, R 72.7392, MOS 3.7227
 *   Idd(200 / 300 / 400 ms)                 -> 3.0444 / 14.7607 / 24.0701
 *   Idte(200 ms) 3.5708, Idle(Tr 400 ms) 0.9353
 * and for the properties a verdict relies on: grade bands meet without gaps
 * or overlaps, and more loss, burstiness or delay never raises MOS. */
#include <glib.h>

#include "rtc/voice/emodel.h"

static void
test_mos_from_r (void)
{
  g_assert_cmpfloat_with_epsilon (rp_emodel_mos (RP_EMODEL_R_DEFAULT), 4.4093, 1e-4);
  g_assert_cmpfloat (rp_emodel_mos (0), ==, 1);
  g_assert_cmpfloat (rp_emodel_mos (-10), ==, 1);
  g_assert_cmpfloat (rp_emodel_mos (100), ==, 4.5);
  g_assert_cmpfloat (rp_emodel_mos (120), ==, 4.5);
  /* R 60 is exactly MOS 3.1 (the (R - 60) term vanishes) */
  g_assert_cmpfloat_with_epsilon (rp_emodel_mos (60), 3.1, 1e-12);
  /* continuous at 100 */
  g_assert_cmpfloat_with_epsilon (rp_emodel_mos (99.9999), 4.5, 1e-4);
  /* the polynomial's dip below 1 near R = 3.2 is held at 1 */
  g_assert_cmpfloat (rp_emodel_mos (3.2), ==, 1);
}

static void
test_check_values (void)
{
  RpEmodelInput in;
  RpEmodelResult r;

  rp_emodel_input_init (&in, RP_CODEC_G711_PLC);
  in.ta_ms = 100;
  in.ppl = 1;
  in.burst_r = 1;
  rp_emodel_compute (&in, &r);
  g_assert_cmpfloat (r.idd, ==, 0);
  g_assert_cmpfloat_with_epsilon (r.idte, 1.9638, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.idle, 0.7277, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.id, 2.6915, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.ie_eff, 95.0 / 26.1, 1e-9);
  g_assert_cmpfloat_with_epsilon (r.r, 87.0239, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.mos, 4.2594, 1e-4);
  g_assert_cmpint (r.grade, ==, RP_GRADE_HIGH);

  rp_emodel_input_init (&in, RP_CODEC_G711);
  in.ta_ms = 100;
  in.ppl = 1;
  rp_emodel_compute (&in, &r);
  g_assert_cmpfloat_with_epsilon (r.ie_eff, 17.9245, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.r, 72.7392, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.mos, 3.7227, 1e-4);
  g_assert_cmpint (r.grade, ==, RP_GRADE_MEDIUM);

  /* no delay, no loss: the default R, 93.2 as G.107 rounds it */
  rp_emodel_input_init (&in, RP_CODEC_OPUS);
  rp_emodel_compute (&in, &r);
  g_assert_cmpfloat_with_epsilon (r.ro_minus_is, 93.3553, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.idle, 0.1490, 1e-4);
  g_assert_cmpfloat (r.idte, ==, 0);
  g_assert_cmpfloat_with_epsilon (r.r, 93.2062, 1e-4);
  g_assert_cmpfloat_with_epsilon (r.r, RP_EMODEL_R_DEFAULT, 0.05);
  g_assert_cmpfloat_with_epsilon (r.mos, 4.4094, 1e-4);
  g_assert_cmpint (r.grade, ==, RP_GRADE_BEST);
}

static void
test_idd (void)
{
  g_assert_cmpfloat (rp_emodel_idd (0), ==, 0);
  g_assert_cmpfloat (rp_emodel_idd (99.9), ==, 0);
  g_assert_cmpfloat (rp_emodel_idd (100), ==, 0);
  g_assert_cmpfloat_with_epsilon (rp_emodel_idd (200), 3.0444, 1e-4);
  g_assert_cmpfloat_with_epsilon (rp_emodel_idd (300), 14.7607, 1e-4);
  g_assert_cmpfloat_with_epsilon (rp_emodel_idd (400), 24.0701, 1e-4);
  /* continuous at 100 ms: X = 0 gives 25 (1 - 3 + 2) = 0 */
  g_assert_cmpfloat (rp_emodel_idd (100.001), <, 1e-9);
  /* the echo terms grow with delay from the first millisecond */
  g_assert_cmpfloat_with_epsilon (rp_emodel_idte (200), 3.5708, 1e-4);
  g_assert_cmpfloat_with_epsilon (rp_emodel_idle (400), 0.9353, 1e-4);
  g_assert_cmpfloat (rp_emodel_idte (0), ==, 0);
  g_assert_cmpfloat (rp_emodel_idte (50), <, rp_emodel_idte (100));
  g_assert_cmpfloat (rp_emodel_idle (100), <, rp_emodel_idle (200));
}

static void
test_mouth_to_ear (void)
{
  /* RTT 80 -> 40 one way, + 60 buffer + codec */
  g_assert_cmpfloat (rp_emodel_mouth_to_ear_ms (80, 60, RP_CODEC_G711_PLC), ==, 120);
  g_assert_cmpfloat (rp_emodel_mouth_to_ear_ms (80, 60, RP_CODEC_OPUS), ==, 126.5);
  /* Opus is rated like G.711 with PLC */
  g_assert_cmpfloat (rp_codec_profile (RP_CODEC_OPUS)->bpl, ==,
                     rp_codec_profile (RP_CODEC_G711_PLC)->bpl);
  g_assert_cmpfloat (rp_codec_profile (RP_CODEC_G711)->bpl, ==, 4.3);
}

/* G.109: [90, inf) best, [80, 90) high, [70, 80) medium, [60, 70) low,
 * [50, 60) poor, below 50 not recommended. */
static void
test_grade_boundaries (void)
{
  static const struct {
    double r;
    RpGrade g;
  } cases[] = {
    { 100, RP_GRADE_BEST },  { 90, RP_GRADE_BEST },    { 89.999, RP_GRADE_HIGH },
    { 80, RP_GRADE_HIGH },   { 79.999, RP_GRADE_MEDIUM }, { 70, RP_GRADE_MEDIUM },
    { 69.999, RP_GRADE_LOW }, { 60, RP_GRADE_LOW },    { 59.999, RP_GRADE_POOR },
    { 50, RP_GRADE_POOR },   { 49.999, RP_GRADE_NOT_RECOMMENDED },
    { -5, RP_GRADE_NOT_RECOMMENDED },
  };
  RpGrade prev = RP_GRADE_BEST;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_assert_cmpint (rp_emodel_grade (cases[i].r), ==, cases[i].g);
    g_assert_nonnull (rp_grade_to_string (cases[i].g));
  }
  /* no gaps, no overlaps: walking R down, the grade only ever steps by one */
  for (double r = 100; r > -10; r -= 0.001) {
    RpGrade g = rp_emodel_grade (r);

    g_assert_true (g == prev || g == prev + 1);
    prev = g;
  }
  g_assert_cmpint (prev, ==, RP_GRADE_NOT_RECOMMENDED);
}

static double
mos_for (RpCodec codec, double ta, double ppl, double burst_r)
{
  RpEmodelInput in;
  RpEmodelResult r;

  rp_emodel_input_init (&in, codec);
  in.ta_ms = ta;
  in.ppl = ppl;
  in.burst_r = burst_r;
  rp_emodel_compute (&in, &r);
  return r.mos;
}

static void
test_monotonic (void)
{
  for (RpCodec c = RP_CODEC_G711_PLC; c <= RP_CODEC_OPUS; c++) {
    for (double ta = 0; ta <= 800; ta += 25)
      for (double ppl = 0; ppl < 100; ppl += 0.5) {
        double m = mos_for (c, ta, ppl, 1);

        g_assert_cmpfloat (mos_for (c, ta, ppl + 0.5, 1), <=, m);
        g_assert_cmpfloat (mos_for (c, ta + 25, ppl, 1), <=, m);
        g_assert_cmpfloat (mos_for (c, ta, ppl, 2), <=, m);
      }
    /* fine steps of delay through the Idd knee */
    for (double ta = 90; ta <= 1000; ta += 0.5)
      g_assert_cmpfloat (mos_for (c, ta + 0.5, 3, 1), <=, mos_for (c, ta, 3, 1));
  }
  /* R -> MOS on its own */
  for (double r = -10; r < 110; r += 0.01)
    g_assert_cmpfloat (rp_emodel_mos (r + 0.01), >=, rp_emodel_mos (r));
  /* BurstR below 1 is read as 1 */
  g_assert_cmpfloat (mos_for (RP_CODEC_G711_PLC, 0, 2, 0.5), ==,
                     mos_for (RP_CODEC_G711_PLC, 0, 2, 1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtc/emodel/mos-from-r", test_mos_from_r);
  g_test_add_func ("/rtc/emodel/check-values", test_check_values);
  g_test_add_func ("/rtc/emodel/idd", test_idd);
  g_test_add_func ("/rtc/emodel/mouth-to-ear", test_mouth_to_ear);
  g_test_add_func ("/rtc/emodel/grade-boundaries", test_grade_boundaries);
  g_test_add_func ("/rtc/emodel/monotonic", test_monotonic);
  return g_test_run ();
}
