/* Tests for the STUN transaction timer against the schedule RFC 8489 6.2.1
 * spells out (sends at 0, 500, 1500, 3500, 7500, 15500, 31500 ms, failure at
 * 39500 ms) and the reliable-transport rule of 6.2.2 (one send, Ti = 39.5 s). */
#include <glib.h>

#include "stun/stun-timer.h"

#define MS G_GINT64_CONSTANT (1000)

/* Drives the timer like a client that wakes exactly at next_us, and checks
 * it stays quiet one microsecond earlier. Returns the send times relative
 * to t0 (the first send included) and the timeout time in *timeout_at. */
static GArray *
run (RpStunTimer *t, gint64 t0, gint64 *timeout_at)
{
  GArray *sends = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 zero = 0;

  g_array_append_val (sends, zero);
  for (guint guard = 0; guard < 100; guard++) {
    gint64 next = rp_stun_timer_next_us (t);
    RpStunTimerAction act;

    g_assert_cmpint (next, >, t0);
    g_assert_cmpint (rp_stun_timer_tick (t, next - 1), ==, RP_STUN_TIMER_WAIT);
    act = rp_stun_timer_tick (t, next);
    if (act == RP_STUN_TIMER_TIMEOUT) {
      *timeout_at = next - t0;
      return sends;
    }
    g_assert_cmpint (act, ==, RP_STUN_TIMER_RETRANSMIT);
    next -= t0;
    g_array_append_val (sends, next);
  }
  g_assert_not_reached ();
}

static void
assert_schedule (GArray *sends, const gint64 *want_ms, gsize n)
{
  g_assert_cmpuint (sends->len, ==, n);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpint (g_array_index (sends, gint64, i), ==, want_ms[i] * MS);
}

static void
test_rfc8489_defaults (void)
{
  const gint64 want[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
  const gint64 t0 = 123456789;
  RpStunTimer t;
  gint64 timeout_at = 0;
  g_autoptr (GArray) sends = NULL;

  rp_stun_timer_start (&t, t0, FALSE, RP_STUN_DEFAULT_RTO_US, RP_STUN_DEFAULT_RC,
                       RP_STUN_DEFAULT_RM);
  g_assert_cmpuint (rp_stun_timer_retransmissions (&t), ==, 0);
  sends = run (&t, t0, &timeout_at);
  assert_schedule (sends, want, G_N_ELEMENTS (want));
  g_assert_cmpint (timeout_at, ==, 39500 * MS);
  /* Rc = 7 requests in total: 6 retransmissions */
  g_assert_cmpuint (rp_stun_timer_retransmissions (&t), ==, 6);
  /* once failed, it stays failed */
  g_assert_cmpint (rp_stun_timer_tick (&t, t0 + 60000 * MS), ==, RP_STUN_TIMER_TIMEOUT);
  g_assert_cmpuint (rp_stun_timer_retransmissions (&t), ==, 6);
}

static void
test_zero_means_default (void)
{
  const gint64 want[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
  RpStunTimer t;
  gint64 timeout_at = 0;
  g_autoptr (GArray) sends = NULL;

  rp_stun_timer_start (&t, 1, FALSE, 0, 0, 0);
  sends = run (&t, 1, &timeout_at);
  assert_schedule (sends, want, G_N_ELEMENTS (want));
  g_assert_cmpint (timeout_at, ==, 39500 * MS);
}

static void
test_reliable (void)
{
  RpStunTimer t;
  const gint64 t0 = 5 * MS;

  /* RFC 8489 6.2.2: no retransmissions over TCP/TLS; fail after Ti */
  rp_stun_timer_start (&t, t0, TRUE, RP_STUN_DEFAULT_RTO_US, RP_STUN_DEFAULT_RC,
                       RP_STUN_DEFAULT_RM);
  g_assert_cmpint (rp_stun_timer_next_us (&t), ==, t0 + 39500 * MS);
  for (gint64 at = t0; at < t0 + RP_STUN_RELIABLE_TI_US; at += 250 * MS)
    g_assert_cmpint (rp_stun_timer_tick (&t, at), ==, RP_STUN_TIMER_WAIT);
  g_assert_cmpint (rp_stun_timer_tick (&t, t0 + RP_STUN_RELIABLE_TI_US - 1), ==,
                   RP_STUN_TIMER_WAIT);
  g_assert_cmpint (rp_stun_timer_tick (&t, t0 + RP_STUN_RELIABLE_TI_US), ==, RP_STUN_TIMER_TIMEOUT);
  g_assert_cmpuint (rp_stun_timer_retransmissions (&t), ==, 0);
}

static void
test_custom_parameters (void)
{
  const gint64 want[] = { 0, 100, 300 };
  RpStunTimer t;
  gint64 timeout_at = 0;
  g_autoptr (GArray) sends = NULL;
  g_autoptr (GArray) single = NULL;

  /* RTO 100 ms, Rc 3, Rm 4: last send at 300 ms, fail 4 * 100 ms later */
  rp_stun_timer_start (&t, 1000, FALSE, 100 * MS, 3, 4);
  sends = run (&t, 1000, &timeout_at);
  assert_schedule (sends, want, G_N_ELEMENTS (want));
  g_assert_cmpint (timeout_at, ==, 700 * MS);
  g_assert_cmpuint (rp_stun_timer_retransmissions (&t), ==, 2);

  /* Rc 1: the only send is also the last one */
  rp_stun_timer_start (&t, 1000, FALSE, 200 * MS, 1, 3);
  single = run (&t, 1000, &timeout_at);
  g_assert_cmpuint (single->len, ==, 1);
  g_assert_cmpint (timeout_at, ==, 600 * MS);
  g_assert_cmpuint (rp_stun_timer_retransmissions (&t), ==, 0);
}

static void
test_late_tick (void)
{
  RpStunTimer t;

  /* the next interval counts from the actual (late) retransmission */
  rp_stun_timer_start (&t, 0, FALSE, 500 * MS, 7, 16);
  g_assert_cmpint (rp_stun_timer_tick (&t, 800 * MS), ==, RP_STUN_TIMER_RETRANSMIT);
  g_assert_cmpint (rp_stun_timer_next_us (&t), ==, 1800 * MS);
  g_assert_cmpint (rp_stun_timer_tick (&t, 1799 * MS), ==, RP_STUN_TIMER_WAIT);
  g_assert_cmpint (rp_stun_timer_tick (&t, 1800 * MS), ==, RP_STUN_TIMER_RETRANSMIT);
  g_assert_cmpint (rp_stun_timer_next_us (&t), ==, 3800 * MS);
  g_assert_cmpuint (rp_stun_timer_retransmissions (&t), ==, 2);
}

static void
test_extreme_parameters (void)
{
  RpStunTimer t;
  gint64 timeout_at = 0;
  g_autoptr (GArray) sends = NULL;

  /* huge values are clamped rather than overflowing (UBSan would say) */
  rp_stun_timer_start (&t, 1000, FALSE, G_MAXINT64 / 2, G_MAXUINT, G_MAXUINT);
  sends = run (&t, 1000, &timeout_at);
  g_assert_cmpuint (sends->len, >=, 7);
  g_assert_cmpint (timeout_at, >, 0);
  g_assert_cmpuint (rp_stun_timer_retransmissions (&t), ==, sends->len - 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stun/timer/rfc8489-defaults", test_rfc8489_defaults);
  g_test_add_func ("/stun/timer/zero-means-default", test_zero_means_default);
  g_test_add_func ("/stun/timer/reliable", test_reliable);
  g_test_add_func ("/stun/timer/custom-parameters", test_custom_parameters);
  g_test_add_func ("/stun/timer/late-tick", test_late_tick);
  g_test_add_func ("/stun/timer/extreme-parameters", test_extreme_parameters);
  return g_test_run ();
}
