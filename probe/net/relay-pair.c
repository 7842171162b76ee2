/* Two allocations that reach each other (see relay-pair.h). The steps run
 * on both clients at once and meet at each stage: allocate, permit, bind.
 * The first failure ends the setup and is reported once. */
#include "probe/net/relay-pair.h"

#include "stun/stun-timer.h"

typedef enum { STAGE_ALLOCATE, STAGE_PERMIT, STAGE_BIND, STAGE_READY, STAGE_FAILED } Stage;

struct _RpRelayPair {
  RpRelayPairConfig config;
  RpTurnClient *a, *b;
  Stage stage;
  guint pending;
  gint64 permission_us, bind_us;
  RpRelayPairFunc func;
  gpointer user_data;
  RpRelayPairFunc dealloc_func;
  gpointer dealloc_data;
  guint dealloc_pending;
  gboolean dealloc_failed;
};

RpTurnClient *rp_relay_pair_get_a (RpRelayPair *pair) { return pair->a; }
RpTurnClient *rp_relay_pair_get_b (RpRelayPair *pair) { return pair->b; }
gint64 rp_relay_pair_permission_us (RpRelayPair *pair) { return pair->permission_us; }
gint64 rp_relay_pair_channel_bind_us (RpRelayPair *pair) { return pair->bind_us; }

static RpTurnClient *
new_client (RpRelayPair *pair)
{
  const RpRelayPairConfig *c = &pair->config;
  RpStunClient *stun =
    rp_stun_client_new (c->transport, c->server, c->host, c->tls_ctx, c->insecure, c->context);

  if (c->rto_us > 0)
    rp_stun_client_set_timer (stun, c->rto_us, c->rc, c->rm);
  else
    rp_stun_client_set_timer (stun, RP_STUN_DEFAULT_RTO_US, RP_STUN_PROBE_RC, RP_STUN_PROBE_RM);
  return rp_turn_client_new (stun, c->creds->username, c->creds->password);
}

static void
fail (RpRelayPair *pair, const char *step, const RpTurnResult *res, RpTurnClient *who)
{
  if (pair->stage == STAGE_FAILED)
    return;
  pair->stage = STAGE_FAILED;
  pair->func (pair, FALSE, step, res, who, pair->user_data);
}

static void advance (RpRelayPair *pair);

static void
on_step (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  RpRelayPair *pair = data;
  static const char *const steps[] = { "Allocate", "CreatePermission", "ChannelBind" };

  if (pair->stage == STAGE_FAILED)
    return;
  /* Step times only for answers (0 stays "not reached"). */
  if (turn == pair->a && pair->stage == STAGE_PERMIT && res->outcome == RP_STUN_TXN_RESPONSE)
    pair->permission_us = res->rtt_us;
  if (turn == pair->a && pair->stage == STAGE_BIND && res->outcome == RP_STUN_TXN_RESPONSE)
    pair->bind_us = res->rtt_us;
  if (!res->success) {
    fail (pair, steps[pair->stage], res, turn);
    return;
  }
  if (--pair->pending == 0)
    advance (pair);
}

static void
on_connected (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  RpRelayPair *pair = data;
  RpTurnClient *turn = client == rp_turn_client_get_stun (pair->a) ? pair->a : pair->b;

  if (pair->stage == STAGE_FAILED)
    return;
  if (status != RP_STUN_NET_OK) {
    RpTurnResult res = { .outcome = RP_STUN_TXN_NET, .net = status, .reason = reason };
    fail (pair, "Allocate", &res, turn);
    return;
  }
  rp_turn_client_allocate_family (turn, pair->config.family, on_step, pair);
}

/* Every step of a stage has answered: start the next stage on both sides. */
static void
advance (RpRelayPair *pair)
{
  RpStunAddress ra, rb;

  pair->stage++;
  if (pair->stage == STAGE_READY) {
    pair->func (pair, TRUE, NULL, NULL, NULL, pair->user_data);
    return;
  }
  rp_turn_client_get_relayed (pair->a, &ra);
  rp_turn_client_get_relayed (pair->b, &rb);
  pair->pending = 2;
  if (pair->stage == STAGE_PERMIT) {
    /* RFC 8656 9: permissions are per peer IP address; each side admits the other. */
    rp_turn_client_create_permission (pair->a, &rb, on_step, pair);
    rp_turn_client_create_permission (pair->b, &ra, on_step, pair);
  } else {
    /* RFC 8656 12: a channel carries 4 bytes of header instead of 36. */
    rp_turn_client_channel_bind (pair->a, RP_RELAY_CHANNEL_A, &rb, on_step, pair);
    rp_turn_client_channel_bind (pair->b, RP_RELAY_CHANNEL_B, &ra, on_step, pair);
  }
}

RpRelayPair *
rp_relay_pair_new (const RpRelayPairConfig *config, RpTurnClient *a)
{
  RpRelayPair *pair = g_new0 (RpRelayPair, 1);

  pair->config = *config;
  pair->a = a;
  return pair;
}

void
rp_relay_pair_start (RpRelayPair *pair, RpRelayPairFunc func, gpointer user_data)
{
  gboolean have_a = pair->a != NULL;

  pair->func = func;
  pair->user_data = user_data;
  pair->stage = STAGE_ALLOCATE;
  pair->pending = have_a ? 1 : 2;
  if (!have_a)
    pair->a = new_client (pair);
  pair->b = new_client (pair);
  if (!have_a)
    rp_stun_client_connect (rp_turn_client_get_stun (pair->a), on_connected, pair);
  rp_stun_client_connect (rp_turn_client_get_stun (pair->b), on_connected, pair);
}

gboolean
rp_relay_dealloc_succeeded (const RpTurnResult *res)
{
  return res->success || (res->outcome == RP_STUN_TXN_RESPONSE && res->retransmissions > 0
                          && res->error_code == RP_TURN_ERR_ALLOCATION_MISMATCH);
}

/* Reports once, when both answered: the first failure if there was one. */
static void
on_dealloc (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  RpRelayPair *pair = data;

  pair->dealloc_pending--;
  if (!rp_relay_dealloc_succeeded (res) && !pair->dealloc_failed) {
    pair->dealloc_failed = TRUE;
    if (pair->dealloc_func != NULL)
      pair->dealloc_func (pair, FALSE, "Refresh(LIFETIME=0)", res, turn, pair->dealloc_data);
    return;
  }
  if (pair->dealloc_pending == 0 && !pair->dealloc_failed && pair->dealloc_func != NULL)
    pair->dealloc_func (pair, TRUE, "Refresh(LIFETIME=0)", res, turn, pair->dealloc_data);
}

void
rp_relay_pair_deallocate (RpRelayPair *pair, RpRelayPairFunc func, gpointer user_data)
{
  RpStunAddress unused;

  pair->dealloc_func = func;
  pair->dealloc_data = user_data;
  pair->dealloc_pending = 0;
  /* Only what was allocated; RFC 8656 7: LIFETIME 0 deletes the allocation. */
  if (pair->a != NULL && rp_turn_client_get_relayed (pair->a, &unused))
    pair->dealloc_pending++;
  if (pair->b != NULL && rp_turn_client_get_relayed (pair->b, &unused))
    pair->dealloc_pending++;
  if (pair->dealloc_pending == 0) {
    if (func != NULL)
      func (pair, TRUE, "Refresh(LIFETIME=0)", NULL, NULL, user_data);
    return;
  }
  if (pair->a != NULL && rp_turn_client_get_relayed (pair->a, &unused))
    rp_turn_client_refresh (pair->a, 0, on_dealloc, pair);
  if (pair->b != NULL && rp_turn_client_get_relayed (pair->b, &unused))
    rp_turn_client_refresh (pair->b, 0, on_dealloc, pair);
}

void
rp_relay_pair_free (RpRelayPair *pair)
{
  if (pair == NULL)
    return;
  rp_turn_client_free (pair->a);
  rp_turn_client_free (pair->b);
  g_free (pair);
}
