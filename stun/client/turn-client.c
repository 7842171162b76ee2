/* A TURN allocation over one STUN client connection (see turn-client.h).
 * Each request is kept as a template (method and its own attributes); every
 * send copies it, gives it a fresh transaction id and appends USERNAME,
 * REALM, NONCE and MESSAGE-INTEGRITY, so a 401 or 438 answer can be retried
 * with what the server just taught us. */
#include "stun/client/turn-client.h"

#include <string.h>
#include <sys/socket.h>

#include "rp-config.h"

#define MAX_STALE_RETRIES 2

typedef struct {
  RpTurnClient *turn;
  RpStunBuilder tmpl;         /* header + the request's own attributes */
  gboolean authenticate;      /* FALSE: the unauthenticated probe */
  gboolean sent_with_auth;
  guint stale_retries;
  guint retransmissions;
  RpTurnFunc func;
  gpointer user_data;
  RpTurnFamily family;        /* Allocate: the relayed families asked for */
  gboolean with_peer;         /* XOR-PEER-ADDRESS, written per transmission */
  RpStunAddress peer;
} Request;

struct _RpTurnClient {
  RpStunClient *stun;
  char *username;
  RpSecret *password;
  char *realm;
  char *nonce;
  guint8 key[16];
  gboolean have_key;
  char *software;
  gboolean have_relayed, have_mapped, have_alternate;
  RpStunAddress relayed, mapped, alternate;
  RpStunAddress relayed_all[2];   /* every relayed address, in the answer's order */
  guint n_relayed;
  int address_error_family;       /* 0: no ADDRESS-ERROR-CODE */
  guint address_error_code;
  char *address_error_reason;
  guint32 lifetime;
  RpTurnDataFunc data_func;
  gpointer data_user;
  GList *pending;             /* Request*: freed here if the connection dies first */
};

RpStunClient *rp_turn_client_get_stun (RpTurnClient *turn) { return turn->stun; }
const char *rp_turn_client_get_realm (RpTurnClient *turn) { return turn->realm; }
const char *rp_turn_client_get_software (RpTurnClient *turn) { return turn->software; }
guint32 rp_turn_client_get_lifetime (RpTurnClient *turn) { return turn->lifetime; }

gboolean
rp_turn_client_get_relayed (RpTurnClient *turn, RpStunAddress *out)
{
  if (turn->have_relayed)
    *out = turn->relayed;
  return turn->have_relayed;
}

gboolean
rp_turn_client_get_relayed_family (RpTurnClient *turn, int family, RpStunAddress *out)
{
  for (guint i = 0; i < turn->n_relayed; i++) {
    if (turn->relayed_all[i].family == family) {
      *out = turn->relayed_all[i];
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
rp_turn_client_get_address_error (RpTurnClient *turn, int *family, guint *code,
                                  const char **reason)
{
  if (turn->address_error_family == 0)
    return FALSE;
  if (family != NULL)
    *family = turn->address_error_family;
  if (code != NULL)
    *code = turn->address_error_code;
  if (reason != NULL)
    *reason = turn->address_error_reason;
  return TRUE;
}

const char *
rp_turn_family_to_string (RpTurnFamily family)
{
  switch (family) {
  case RP_TURN_FAMILY_IPV6:
    return "IPv6";
  case RP_TURN_FAMILY_DUAL:
    return "dual";
  case RP_TURN_FAMILY_IPV4:
  default:
    return "IPv4";
  }
}

/* A relayed address of all zeros and port 0 is no relay: coturn 4.6 sends
 * one (0.0.0.0:0) in place of the family it could not allocate, next to the
 * ADDRESS-ERROR-CODE that says so. Keeps the others, in order. */
static guint
drop_unspecified (RpStunAddress *a, guint n)
{
  static const guint8 zero[16] = { 0 };
  guint kept = 0;

  for (guint i = 0; i < n; i++) {
    gsize len = a[i].family == AF_INET6 ? 16 : 4;

    if (a[i].port == 0 && memcmp (a[i].addr, zero, len) == 0)
      continue;
    a[kept++] = a[i];
  }
  return kept;
}

/* The relayed addresses of an Allocate success against what was asked:
 * NULL when they fit, else why not. */
static const char *
check_relayed_families (RpTurnClient *turn, RpTurnFamily asked)
{
  gboolean v4 = FALSE, v6 = FALSE;

  for (guint i = 0; i < turn->n_relayed; i++) {
    v4 |= turn->relayed_all[i].family == AF_INET;
    v6 |= turn->relayed_all[i].family == AF_INET6;
  }
  switch (asked) {
  case RP_TURN_FAMILY_IPV6:
    /* RFC 6156 4.2 / RFC 8656 7.2: the relayed address is of the family asked for */
    return v6 ? NULL : "the server answered an Allocate for an IPv6 relay with an IPv4 one "
                       "(it ignores REQUESTED-ADDRESS-FAMILY)";
  case RP_TURN_FAMILY_DUAL:
    /* RFC 8656 7.3: one address per family, or one and ADDRESS-ERROR-CODE */
    if (turn->n_relayed == 2 && v4 && v6)
      return NULL;
    if (turn->n_relayed == 2)
      return "the dual Allocate success has two relayed addresses of one family";
    return NULL;
  case RP_TURN_FAMILY_IPV4:
  default:
    return NULL;
  }
}

gboolean
rp_turn_client_get_mapped (RpTurnClient *turn, RpStunAddress *out)
{
  if (turn->have_mapped)
    *out = turn->mapped;
  return turn->have_mapped;
}

gboolean
rp_turn_client_get_alternate (RpTurnClient *turn, RpStunAddress *out)
{
  if (turn->have_alternate)
    *out = turn->alternate;
  return turn->have_alternate;
}

static void send_request (Request *req);

/* Does the server say it is coturn (SOFTWARE "Coturn-4.6.1 'Gorst'")? */
static gboolean
is_coturn (RpTurnClient *turn)
{
  return turn->software != NULL && g_ascii_strncasecmp (turn->software, "coturn", 6) == 0;
}

static void
learn (RpTurnClient *turn, const RpStunMessage *msg)
{
  g_autofree char *software = rp_stun_message_get_string (msg, RP_STUN_ATTR_SOFTWARE);
  g_autofree char *realm = rp_stun_message_get_string (msg, RP_STUN_ATTR_REALM);
  const RpStunAttr *nonce = rp_stun_message_find (msg, RP_STUN_ATTR_NONCE);

  if (software != NULL) {
    g_free (turn->software);
    turn->software = g_steal_pointer (&software);
  }
  /* The nonce is echoed byte for byte (RFC 8489 9.2.4), not sanitised. */
  if (nonce != NULL && nonce->len > 0 && nonce->len < 764) {
    g_free (turn->nonce);
    turn->nonce = g_strndup ((const char *) nonce->value, nonce->len);
  }
  if (realm != NULL && nonce != NULL) {
    const RpStunAttr *ra = rp_stun_message_find (msg, RP_STUN_ATTR_REALM);
    g_free (turn->realm);
    turn->realm = g_strndup ((const char *) ra->value, ra->len);
    if (turn->username != NULL && turn->password != NULL) {
      rp_stun_long_term_key (turn->username, turn->realm, turn->password, turn->key);
      turn->have_key = TRUE;
    }
  }
}

static void
complete (Request *req, RpTurnResult *res)
{
  res->retransmissions = req->retransmissions;
  res->stale_nonce_retries = req->stale_retries;
  req->turn->pending = g_list_remove (req->turn->pending, req);
  if (req->func != NULL)
    req->func (req->turn, res, req->user_data);
  g_free (req);
}

static const char *
integrity_reason (RpStunIntegrity mi)
{
  switch (mi) {
  case RP_STUN_INTEGRITY_ABSENT:
    return "the server did not prove it knows the key "
           "(no MESSAGE-INTEGRITY in the success response)";
  case RP_STUN_INTEGRITY_MISMATCH:
    return "the server did not prove it knows the key "
           "(the success response's MESSAGE-INTEGRITY does not match our credentials)";
  default:
    return "the server did not prove it knows the key "
           "(malformed MESSAGE-INTEGRITY in the success response)";
  }
}

static void
on_response (RpStunClient *client, const RpStunTxnResult *txn, gpointer data)
{
  Request *req = data;
  RpTurnClient *turn = req->turn;
  RpTurnResult res = {
    .outcome = txn->outcome, .rtt_us = txn->rtt_us, .net = txn->net, .reason = txn->reason
  };
  g_autofree char *reason = NULL;

  req->retransmissions += txn->retransmissions;
  if (txn->outcome != RP_STUN_TXN_RESPONSE) {
    complete (req, &res);
    return;
  }
  res.msg = &txn->msg;
  learn (turn, &txn->msg);

  if (txn->msg.klass == RP_STUN_ERROR) {
    rp_stun_message_get_error (&txn->msg, &res.error_code, &reason);
    res.error_reason = reason;
    /* RFC 8489 9.2.5: a 401 to a request without credentials is the
     * challenge; answer it once with the realm and nonce it carries. */
    if (res.error_code == RP_TURN_ERR_UNAUTHORIZED && req->authenticate && !req->sent_with_auth &&
        turn->have_key) {
      send_request (req);
      return;
    }
    /* RFC 8489 9.2.5: 438 Stale Nonce: retry with the new nonce. */
    if (res.error_code == RP_TURN_ERR_STALE_NONCE && req->authenticate &&
        req->stale_retries < MAX_STALE_RETRIES && turn->have_key) {
      req->stale_retries++;
      send_request (req);
      return;
    }
    if (res.error_code == RP_TURN_ERR_TRY_ALTERNATE) {
      const RpStunAttr *alt = rp_stun_message_find (&txn->msg, RP_STUN_ATTR_ALTERNATE_SERVER);
      turn->have_alternate =
        alt != NULL && rp_stun_attr_get_address (&txn->msg, alt, &turn->alternate);
    }
    complete (req, &res);
    return;
  }
  if (txn->msg.klass != RP_STUN_SUCCESS) {
    res.outcome = RP_STUN_TXN_MALFORMED;
    res.reason = "the server answered with a request or indication where a response was due";
    complete (req, &res);
    return;
  }
  /* RFC 8489 9.2.5: a response to an authenticated request must carry a
   * MESSAGE-INTEGRITY made with the same key; one without it, or with one
   * that does not match, does not come from a server that knows the key. */
  if (req->sent_with_auth) {
    RpStunIntegrity mi = rp_stun_message_check_integrity (&txn->msg, turn->key, sizeof turn->key);
    if (mi != RP_STUN_INTEGRITY_OK) {
      res.outcome = RP_STUN_TXN_MALFORMED;
      res.integrity_failed = TRUE;
      res.reason = integrity_reason (mi);
      complete (req, &res);
      return;
    }
  }
  if (txn->msg.method == RP_STUN_ALLOCATE) {
    const RpStunAttr *ra = rp_stun_message_find (&txn->msg, RP_STUN_ATTR_XOR_RELAYED_ADDRESS);
    const RpStunAttr *ma = rp_stun_message_find (&txn->msg, RP_STUN_ATTR_XOR_MAPPED_ADDRESS);
    const char *bad;
    turn->have_relayed = ra != NULL && rp_stun_attr_get_address (&txn->msg, ra, &turn->relayed);
    turn->have_mapped = ma != NULL && rp_stun_attr_get_address (&txn->msg, ma, &turn->mapped);
    /* RFC 8656 7.3: a dual allocation answers with one per family */
    turn->n_relayed = rp_turn_get_relayed_addresses (&txn->msg, turn->relayed_all,
                                                     G_N_ELEMENTS (turn->relayed_all));
    turn->n_relayed = drop_unspecified (turn->relayed_all, turn->n_relayed);
    if (turn->have_relayed && turn->n_relayed > 0)
      turn->relayed = turn->relayed_all[0];
    g_clear_pointer (&turn->address_error_reason, g_free);
    if (!rp_turn_get_address_error (&txn->msg, &turn->address_error_family,
                                    &turn->address_error_code, &turn->address_error_reason) &&
        !(is_coturn (turn) &&
          rp_turn_get_address_error_draft (&txn->msg, &turn->address_error_family,
                                           &turn->address_error_code,
                                           &turn->address_error_reason)))
      turn->address_error_family = 0;
    if (!turn->have_relayed || turn->n_relayed == 0) {
      turn->have_relayed = FALSE;
      turn->n_relayed = 0;
      res.outcome = RP_STUN_TXN_MALFORMED;
      res.reason = "the Allocate success has no XOR-RELAYED-ADDRESS";
      complete (req, &res);
      return;
    }
    if ((bad = check_relayed_families (turn, req->family)) != NULL) {
      res.outcome = RP_STUN_TXN_MALFORMED;
      res.reason = bad;
      complete (req, &res);
      return;
    }
  }
  if (txn->msg.method == RP_STUN_ALLOCATE || txn->msg.method == RP_STUN_REFRESH)
    rp_turn_get_lifetime (&txn->msg, &turn->lifetime);
  res.success = TRUE;
  complete (req, &res);
}

static void
send_request (Request *req)
{
  RpTurnClient *turn = req->turn;
  RpStunBuilder b = req->tmpl;

  /* A retry is a new transaction (RFC 8489 6.2). */
  rp_stun_random_tid (b.buf + 8);
  /* RFC 8489 14.2: an IPv6 XOR address is masked with the cookie and the
   * transaction id, so it is written after the id is chosen */
  if (req->with_peer)
    rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_PEER_ADDRESS, &req->peer);
  /* coturn (4.6) reads ADDITIONAL-ADDRESS-FAMILY at the draft's 0x8032 only;
   * it names itself in SOFTWARE, in the 401 that precedes this request */
  if (req->family == RP_TURN_FAMILY_DUAL && is_coturn (turn))
    rp_turn_add_additional_address_family_draft (&b, AF_INET6);
  req->sent_with_auth = FALSE;
  if (req->authenticate && turn->have_key && turn->nonce != NULL) {
    rp_stun_builder_add_string (&b, RP_STUN_ATTR_USERNAME, turn->username);
    rp_stun_builder_add (&b, RP_STUN_ATTR_REALM, turn->realm, (guint16) strlen (turn->realm));
    rp_stun_builder_add (&b, RP_STUN_ATTR_NONCE, turn->nonce, (guint16) strlen (turn->nonce));
    rp_stun_builder_add_integrity (&b, turn->key, sizeof turn->key);
    req->sent_with_auth = TRUE;
  }
  rp_stun_builder_add_fingerprint (&b);
  rp_stun_client_request (turn->stun, b.buf, b.len, on_response, req);
}

static Request *
request_new (RpTurnClient *turn, guint16 method, gboolean authenticate, RpTurnFunc func,
             gpointer user_data)
{
  Request *req = g_new0 (Request, 1);
  guint8 tid[RP_STUN_TID_LEN] = { 0 };

  req->turn = turn;
  req->authenticate = authenticate;
  req->func = func;
  req->user_data = user_data;
  rp_stun_builder_init (&req->tmpl, method, RP_STUN_REQUEST, tid);
  rp_stun_builder_add_string (&req->tmpl, RP_STUN_ATTR_SOFTWARE, "rtcprobe/" RP_VERSION);
  turn->pending = g_list_prepend (turn->pending, req);
  return req;
}

void
rp_turn_client_probe_unauthenticated (RpTurnClient *turn, RpTurnFunc func, gpointer user_data)
{
  Request *req = request_new (turn, RP_STUN_ALLOCATE, FALSE, func, user_data);

  rp_turn_add_requested_transport (&req->tmpl, RP_TURN_TRANSPORT_UDP);
  send_request (req);
}

void
rp_turn_client_allocate_family (RpTurnClient *turn, RpTurnFamily family, RpTurnFunc func,
                                gpointer user_data)
{
  Request *req = request_new (turn, RP_STUN_ALLOCATE, TRUE, func, user_data);

  req->family = family;
  rp_turn_add_requested_transport (&req->tmpl, RP_TURN_TRANSPORT_UDP);
  /* RFC 8656 7.1: REQUESTED-ADDRESS-FAMILY and ADDITIONAL-ADDRESS-FAMILY
   * exclude each other; without either the server allocates IPv4 */
  if (family == RP_TURN_FAMILY_IPV6)
    rp_turn_add_requested_address_family (&req->tmpl, AF_INET6);
  else if (family == RP_TURN_FAMILY_DUAL)
    rp_turn_add_additional_address_family (&req->tmpl, AF_INET6);
  send_request (req);
}

void
rp_turn_client_allocate (RpTurnClient *turn, RpTurnFunc func, gpointer user_data)
{
  rp_turn_client_allocate_family (turn, RP_TURN_FAMILY_IPV4, func, user_data);
}

void
rp_turn_client_refresh (RpTurnClient *turn, guint32 lifetime_s, RpTurnFunc func, gpointer user_data)
{
  Request *req = request_new (turn, RP_STUN_REFRESH, TRUE, func, user_data);

  rp_turn_add_lifetime (&req->tmpl, lifetime_s);
  send_request (req);
}

void
rp_turn_client_create_permission (RpTurnClient *turn, const RpStunAddress *peer, RpTurnFunc func,
                                  gpointer user_data)
{
  Request *req = request_new (turn, RP_STUN_CREATE_PERMISSION, TRUE, func, user_data);

  req->with_peer = TRUE;
  req->peer = *peer;
  send_request (req);
}

void
rp_turn_client_channel_bind (RpTurnClient *turn, guint16 channel, const RpStunAddress *peer,
                             RpTurnFunc func, gpointer user_data)
{
  Request *req = request_new (turn, RP_STUN_CHANNEL_BIND, TRUE, func, user_data);

  rp_turn_add_channel_number (&req->tmpl, channel);
  req->with_peer = TRUE;
  req->peer = *peer;
  send_request (req);
}

gboolean
rp_turn_client_send_channel (RpTurnClient *turn, guint16 channel, const guint8 *data, gsize len)
{
  guint8 buf[RP_STUN_MAX_MESSAGE + 8];
  gboolean stream = rp_stun_client_get_transport (turn->stun) != RP_TRANSPORT_UDP;
  gsize n = rp_turn_channeldata_build (channel, data, len, stream, buf, sizeof buf);

  return n > 0 && rp_stun_client_send (turn->stun, buf, n);
}

static void
on_unsolicited (RpStunClient *client, const guint8 *data, gsize len, gpointer user_data)
{
  RpTurnClient *turn = user_data;
  gboolean stream = rp_stun_client_get_transport (client) != RP_TRANSPORT_UDP;
  RpStunMessage msg;
  const guint8 *payload;
  gsize plen;
  guint16 channel;

  if (turn->data_func == NULL)
    return;
  if (rp_turn_channeldata_parse (data, len, stream, &channel, &payload, &plen)) {
    turn->data_func (turn, channel, NULL, payload, plen, turn->data_user);
    return;
  }
  /* RFC 8656 11.6: a Data indication carries XOR-PEER-ADDRESS and DATA. */
  if (rp_stun_message_parse (data, len, &msg) == RP_STUN_PARSE_OK && msg.method == RP_STUN_DATA
      && msg.klass == RP_STUN_INDICATION) {
    const RpStunAttr *pa = rp_stun_message_find (&msg, RP_STUN_ATTR_XOR_PEER_ADDRESS);
    RpStunAddress peer;
    if (pa != NULL && rp_stun_attr_get_address (&msg, pa, &peer) &&
        rp_turn_get_data (&msg, &payload, &plen))
      turn->data_func (turn, 0, &peer, payload, plen, turn->data_user);
  }
}

void
rp_turn_client_set_data_func (RpTurnClient *turn, RpTurnDataFunc func, gpointer user_data)
{
  turn->data_func = func;
  turn->data_user = user_data;
}

RpTurnClient *
rp_turn_client_new (RpStunClient *client, const char *username, const char *password)
{
  RpTurnClient *turn = g_new0 (RpTurnClient, 1);

  turn->stun = client;
  turn->username = g_strdup (username);
  turn->password = g_strdup (password);
  rp_stun_client_set_unsolicited (client, on_unsolicited, turn);
  return turn;
}

void
rp_turn_client_free (RpTurnClient *turn)
{
  if (turn == NULL)
    return;
  /* Pending requests die with the connection; their callbacks never run. */
  rp_stun_client_free (turn->stun);
  g_list_free_full (turn->pending, g_free);
  explicit_bzero (turn->key, sizeof turn->key);
  rp_secret_free (turn->password);
  g_free (turn->username);
  g_free (turn->realm);
  g_free (turn->nonce);
  g_free (turn->software);
  g_free (turn->address_error_reason);
  g_free (turn);
}
