/* The verdict over every TURN transport tested: which ones a client on this
 * network can fall back to. It waits for each transport's results, then
 * says it in one line, and adds the fallback to the hint of each failed
 * transport ("TURN over TLS works, so voice falls back to it"). It says what
 * a browser would do: loss on a relay that forwards is no reason to leave it
 * (ICE selects pairs by connectivity, not by loss), and a TLS relay whose
 * certificate does not verify is refused, --insecure or not. */
#include <string.h>

#include "probe/checks/checks-turn.h"
#include "probe/core/explain.h"

typedef struct {
  char *label;                /* UDP, TCP, TLS, or TLS:443 when a transport is tested twice */
  RpTransport transport;
  guint16 port;
  gboolean works;
  double loss_pct;            /* on a working relay that lost packets, else 0 */
  char *why;                  /* summary of the failing result */
  RpCheckResult *alloc;       /* borrowed; alive until the runner is freed */
} Outcome;

struct _RpTurnPlan {
  gatomicrefcount ref;
  RpTurnCreds creds;
  guint expected;
  GArray *outcomes;           /* of Outcome */
  RpCheck *verdict;           /* ref, or NULL */
};

static void
outcome_clear (gpointer data)
{
  Outcome *o = data;

  g_free (o->label);
  g_free (o->why);
}

RpTurnPlan *
rp_turn_plan_new (RpTurnCreds *creds)
{
  RpTurnPlan *plan = g_new0 (RpTurnPlan, 1);

  g_atomic_ref_count_init (&plan->ref);
  plan->creds = *creds;
  memset (creds, 0, sizeof *creds);
  plan->outcomes = g_array_new (FALSE, TRUE, sizeof (Outcome));
  g_array_set_clear_func (plan->outcomes, outcome_clear);
  return plan;
}

RpTurnPlan *
rp_turn_plan_ref (RpTurnPlan *plan)
{
  g_atomic_ref_count_inc (&plan->ref);
  return plan;
}

void
rp_turn_plan_unref (RpTurnPlan *plan)
{
  if (plan == NULL || !g_atomic_ref_count_dec (&plan->ref))
    return;
  rp_turn_creds_clear (&plan->creds);
  g_array_unref (plan->outcomes);
  g_clear_pointer (&plan->verdict, rp_check_unref);
  g_free (plan);
}

const RpTurnCreds *
rp_turn_plan_get_creds (RpTurnPlan *plan)
{
  return &plan->creds;
}

void
rp_turn_plan_expect (RpTurnPlan *plan)
{
  plan->expected++;
}

static char *
join_labels (RpTurnPlan *plan, gboolean works)
{
  GString *s = g_string_new (NULL);
  guint n = 0, total = 0;

  for (guint i = 0; i < plan->outcomes->len; i++)
    total += g_array_index (plan->outcomes, Outcome, i).works == works;
  for (guint i = 0; i < plan->outcomes->len; i++) {
    Outcome *o = &g_array_index (plan->outcomes, Outcome, i);
    if (o->works != works)
      continue;
    if (n > 0)
      g_string_append (s, n == total - 1 ? " and " : ", ");
    g_string_append (s, o->label);
    n++;
  }
  return g_string_free (s, FALSE);
}

/* Labels say the transport, and the port only where a transport was
 * tested on several ports. Outcomes are sorted UDP, TCP, TLS. */
static gint
by_transport (gconstpointer a, gconstpointer b)
{
  const Outcome *x = a, *y = b;
  return x->transport != y->transport ? (int) x->transport - (int) y->transport
                                      : (int) x->port - (int) y->port;
}

static void
label_outcomes (RpTurnPlan *plan)
{
  g_array_sort (plan->outcomes, by_transport);
  for (guint i = 0; i < plan->outcomes->len; i++) {
    Outcome *o = &g_array_index (plan->outcomes, Outcome, i);
    gboolean twice = FALSE;
    for (guint j = 0; j < plan->outcomes->len; j++)
      twice |= j != i && g_array_index (plan->outcomes, Outcome, j).transport == o->transport;
    g_free (o->label);
    o->label = twice ? g_strdup_printf ("%s:%u", rp_transport_words (o->transport), o->port)
                     : g_strdup (rp_transport_words (o->transport));
  }
}

/* "UDP relays with 10.0 % loss", for every working relay that lost
 * packets, or NULL. */
static char *
lossy_relays (RpTurnPlan *plan)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < plan->outcomes->len; i++) {
    Outcome *o = &g_array_index (plan->outcomes, Outcome, i);
    if (o->works && o->loss_pct > 0)
      g_string_append_printf (s, "%s%s relays with %.1f %% loss", s->len ? ", " : "", o->label,
                              o->loss_pct);
  }
  return g_string_free (s, s->len == 0);
}

static void
add_loss_note (RpCheckResult *r, const char *lossy)
{
  g_autofree char *hint = r->hint != NULL ? g_strdup_printf ("%s. ", r->hint) : g_strdup ("");

  rp_check_result_set_hint (r, "%s%s: clients stay on that relay despite the loss (they do not "
                            "fall back on loss), so calls connect and voice may break up; measure "
                            "it with `rtcprobe voice`", hint, lossy);
}

static void
write_verdict (RpTurnPlan *plan)
{
  RpCheckResult *r = rp_check_get_result (plan->verdict);
  guint good = 0, udp_good = 0, udp_total = 0;
  g_autofree char *ok = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *lossy = NULL;
  g_autoptr (GString) reasons = g_string_new (NULL);

  label_outcomes (plan);
  ok = join_labels (plan, TRUE);
  bad = join_labels (plan, FALSE);
  lossy = lossy_relays (plan);

  for (guint i = 0; i < plan->outcomes->len; i++) {
    Outcome *o = &g_array_index (plan->outcomes, Outcome, i);
    good += o->works;
    if (o->transport == RP_TRANSPORT_UDP) {
      udp_total++;
      udp_good += o->works;
    }
    if (!o->works)
      g_string_append_printf (reasons, "%s%s: %s", reasons->len ? "; " : "", o->label, o->why);
    rp_check_result_detail_bool (r, o->label, o->works);
  }
  if (good == plan->outcomes->len && lossy != NULL) {
    rp_check_result_set (r, RP_STATUS_WARN, "TURN works over %s from this network, but %s: "
                         "clients stay on it, so calls connect and voice may break up", ok, lossy);
    rp_check_result_set_hint (r, "measure what the loss does to calls with `rtcprobe voice`");
  } else if (good == plan->outcomes->len) {
    rp_check_result_set (r, RP_STATUS_PASS, "TURN works over %s from this network", ok);
  } else if (good == 0) {
    rp_check_result_set (r, RP_STATUS_FAIL,
                         "TURN fails on every transport tested (%s): clients that need a relay "
                         "cannot connect from this network",
                         bad);
    rp_check_result_set_hint (r, "%s", reasons->str);
  } else if (udp_total > 0 && udp_good == 0) {
    rp_check_result_set (r, RP_STATUS_WARN,
                         "voice falls back to TURN over %s: %s fails from this network", ok, bad);
    rp_check_result_set_hint (r, "%s. Calls still connect, with more latency than over UDP",
                              reasons->str);
  } else if (good == udp_good) {
    rp_check_result_set (r, RP_STATUS_WARN,
                         "TURN works over %s only: clients behind firewalls that block UDP have no "
                         "fallback (%s fails)",
                         ok, bad);
    rp_check_result_set_hint (r, "%s", reasons->str);
  } else {
    rp_check_result_set (
      r, RP_STATUS_WARN,
      "TURN works over %s; %s fails: clients that can only use it cannot connect", ok, bad);
    rp_check_result_set_hint (r, "%s", reasons->str);
  }
  if (lossy != NULL && good < plan->outcomes->len)
    add_loss_note (r, lossy);
  /* Each failed transport learns what a client falls back to. */
  for (guint i = 0; i < plan->outcomes->len; i++) {
    Outcome *o = &g_array_index (plan->outcomes, Outcome, i);
    g_autofree char *hint = NULL;
    if (o->works || o->alloc == NULL || o->alloc->hint == NULL)
      continue;
    /* set_hint frees the old hint: format from a copy. */
    hint = g_strdup (o->alloc->hint);
    if (good > 0)
      rp_check_result_set_hint (
        o->alloc, "%s. TURN over %s works, so clients on this network fall back to it", hint, ok);
    else
      rp_check_result_set_hint (o->alloc, "%s. No other TURN transport works from here either",
                                hint);
  }
  rp_check_finish (plan->verdict);
}

void
rp_turn_plan_transport_done (RpTurnPlan *plan, const RpTarget *target, RpCheckResult *alloc,
                             RpCheckResult *relay)
{
  Outcome o = { 0 };
  const RpMetric *loss = rp_check_result_get_metric (relay, "loss_pct");

  o.transport = target->transport;
  o.port = target->port;
  o.works = (alloc->status == RP_STATUS_PASS || alloc->status == RP_STATUS_WARN)
            && (relay->status == RP_STATUS_PASS || relay->status == RP_STATUS_WARN);
  o.why =
    g_strdup (alloc->status == RP_STATUS_PASS || alloc->status == RP_STATUS_WARN ? relay->summary
                                                                                 : alloc->summary);
  if (o.works && rp_explain_tls_untrusted (alloc)) {
    /* Only --insecure made it work: browsers refuse the certificate. */
    o.works = FALSE;
    g_free (o.why);
    o.why = g_strdup ("the certificate is not trusted (accepted only with --insecure): "
                      "browsers refuse this relay");
  }
  if (o.works && loss != NULL && relay->status == RP_STATUS_WARN)
    o.loss_pct = loss->value;
  o.alloc = alloc;
  g_array_append_val (plan->outcomes, o);
  if (plan->verdict != NULL && plan->outcomes->len == plan->expected &&
      !rp_check_is_finished (plan->verdict))
    write_verdict (plan);
}

static void verdict_start (RpCheck *check) {}

static void
verdict_expire (RpCheck *check)
{
  rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL,
                       "not every TURN transport finished before the deadline");
  rp_check_result_set_hint (rp_check_get_result (check),
                            "raise --timeout; the transport results say which step stalled");
}

static const RpCheckClass verdict_class = { verdict_start, verdict_expire, NULL };

void
rp_turn_plan_add_verdict (RpTurnPlan *plan, RpRunner *runner, gint64 timeout_us)
{
  plan->verdict =
    rp_check_ref (rp_runner_add (runner, rp_check_result_new ("turn.verdict", "turn", "fallback"),
                                 timeout_us, &verdict_class, NULL));
}
