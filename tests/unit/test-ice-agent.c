/* Tests for the libnice wrapper and the in-process pair, on loopback only and
 * without any server: two agents with host candidates on 127.0.0.1/::1 reach
 * a nominated pair and echo packets; a relay-only agent without a TURN server offers
 * nothing (so no private address reaches the peer); an agent freed from its
 * own callback does not crash. */
#include <glib.h>
#include <gio/gio.h>

#include "rtc/ice/ice-agent.h"
#include "rtc/ice/ice-pair.h"

typedef struct {
  GMainContext *ctx;
  gboolean done;
} Wait;

static void
on_pair_done (RpIcePair *pair, gpointer data)
{
  ((Wait *) data)->done = TRUE;
}

static gboolean
on_timeout (gpointer data)
{
  ((Wait *) data)->done = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_until_done (Wait *w, guint timeout_ms)
{
  GSource *t = g_timeout_source_new (timeout_ms);

  g_source_set_callback (t, on_timeout, w, NULL);
  g_source_attach (t, w->ctx);
  while (!w->done)
    g_main_context_iteration (w->ctx, TRUE);
  g_source_destroy (t);
  g_source_unref (t);
}

static void
drain (GMainContext *ctx)
{
  for (guint i = 0; i < 100 && g_main_context_iteration (ctx, FALSE); i++)
    ;
}

static void
test_pair_loopback (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  RpIceAgentOptions o = { .loopback_only = TRUE };
  Wait w = { ctx, FALSE };
  RpIcePair *pair = rp_ice_pair_new (ctx, &o, &o);
  const RpIcePairResult *res;

  rp_ice_pair_start (pair, 5, 10000, 1000000, on_pair_done, &w);
  run_until_done (&w, 10000);
  res = rp_ice_pair_get_result (pair);
  g_assert_null (res->error);
  g_assert_cmpint (res->phase, ==, RP_ICE_PAIR_DONE);
  g_assert_true (res->ready);
  /* Measuring starts on the nominated pair; READY may come later. */
  g_assert_cmpint (res->state_a, >=, RP_ICE_STATE_CONNECTED);
  g_assert_cmpint (res->state_a, <=, RP_ICE_STATE_READY);
  g_assert_cmpint (res->state_b, >=, RP_ICE_STATE_CONNECTED);
  g_assert_cmpint (res->state_b, <=, RP_ICE_STATE_READY);
  g_assert_true (rp_ice_agent_is_connected (rp_ice_pair_get_agent (pair, 0)));
  g_assert_true (rp_ice_agent_is_connected (rp_ice_pair_get_agent (pair, 1)));
  g_assert_cmpuint (res->signalled_a, >=, 1);
  g_assert_cmpint (res->gather_us, >=, 0);
  g_assert_cmpint (res->connect_us, >=, 0);
  g_assert_true (res->have_pair);
  g_assert_cmpint (res->local.type, ==, RP_ICE_CAND_HOST);
  g_assert_true (g_str_equal (res->local.addr, "127.0.0.1") ||
                 g_str_equal (res->local.addr, "::1"));
  g_assert_cmpuint (res->sent, ==, 5);
  g_assert_cmpuint (res->received, ==, 5);
  g_assert_cmpfloat (res->rtt_min_ms, >, 0);
  g_assert_cmpfloat (res->rtt_min_ms, <=, res->rtt_median_ms);
  g_assert_cmpfloat (res->rtt_median_ms, <=, res->rtt_max_ms);
  rp_ice_pair_free (pair);
  drain (ctx);
}

static void
test_relay_only_without_turn (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  RpIceAgentOptions a = { .loopback_only = TRUE, .relay_only = TRUE };
  RpIceAgentOptions b = { .loopback_only = TRUE };
  Wait w = { ctx, FALSE };
  RpIcePair *pair = rp_ice_pair_new (ctx, &a, &b);
  const RpIcePairResult *res;

  rp_ice_pair_start (pair, 5, 10000, 1000000, on_pair_done, &w);
  run_until_done (&w, 10000);
  res = rp_ice_pair_get_result (pair);
  g_assert_cmpint (res->phase, ==, RP_ICE_PAIR_DONE);
  g_assert_false (res->ready);
  g_assert_cmpuint (res->signalled_a, ==, 0);
  g_assert_cmpuint (rp_ice_agent_get_local_candidates (rp_ice_pair_get_agent (pair, 0))->len, ==,
                    0);
  g_assert_cmpuint (rp_ice_agent_get_local_candidates (rp_ice_pair_get_agent (pair, 1))->len, >=,
                    1);
  rp_ice_pair_free (pair);
  drain (ctx);
}

typedef struct {
  RpIceAgent *agent;
  guint candidates;
} FreeInCallback;

static void
free_on_candidate (RpIceAgent *agent, const RpIceCandidate *c, gpointer data)
{
  FreeInCallback *f = data;

  f->candidates++;
  g_clear_pointer (&f->agent, rp_ice_agent_free);
}

static void
test_free_in_callback (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  RpIceAgentOptions o = { .loopback_only = TRUE };
  RpIceAgentCallbacks cb = { .candidate = free_on_candidate };
  FreeInCallback f = { NULL, 0 };
  g_autoptr (GError) error = NULL;

  f.agent = rp_ice_agent_new (ctx, &o, &cb, &f);
  g_assert_true (rp_ice_agent_gather (f.agent, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 200 && f.agent != NULL; i++)
    g_main_context_iteration (ctx, FALSE);
  g_assert_null (f.agent);
  g_assert_cmpuint (f.candidates, ==, 1);   /* no callback after the free */
  drain (ctx);
}

static void
test_numeric_only (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  RpIceAgentOptions o = { 0 };
  g_autoptr (RpIceAgent) agent = rp_ice_agent_new (ctx, &o, NULL, NULL);
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;

  /* libnice would resolve names synchronously (or assert): refused here. */
  g_assert_false (rp_ice_agent_set_stun_server (agent, "media.example.test", 3478, &e1));
  g_assert_error (e1, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_false (rp_ice_agent_add_turn_server (agent, "turn.example.org", 3478, RP_ICE_RELAY_UDP,
                                                "u", "p", &e2));
  g_assert_error (e2, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (rp_ice_state_to_string (RP_ICE_STATE_READY), ==, "ready");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ice-agent/pair-loopback", test_pair_loopback);
  g_test_add_func ("/ice-agent/relay-only-without-turn", test_relay_only_without_turn);
  g_test_add_func ("/ice-agent/free-in-callback", test_free_in_callback);
  g_test_add_func ("/ice-agent/numeric-only", test_numeric_only);
  return g_test_run ();
}
