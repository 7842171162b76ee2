/* Tests for the TURN client's address families against a scripted TURN peer
 * on 127.0.0.1 (UDP, on the test's own GMainContext): an Allocate for an
 * IPv6 relay (REQUESTED-ADDRESS-FAMILY), a dual one (ADDITIONAL-ADDRESS-
 * FAMILY under the RFC's and coturn's code points), the coturn way of
 * refusing one family (0.0.0.0:0 and ADDRESS-ERROR-CODE 0x8033), a server
 * that answers IPv6 with IPv4, and an IPv6 XOR-PEER-ADDRESS that must reach
 * the server intact (it is masked with the transaction id of the request
 * actually sent). The relayed addresses are data in the answers only: no
 * packet goes anywhere but 127.0.0.1. */
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#include "stun/client/turn-client.h"

#define WAIT_MS 5000
#define USER "alice"
#define REALM "lab.test"
#define PASSWORD "secret"
#define COTURN "Coturn-4.6.1 'Gorst'"

typedef enum {
  PEER_HONEST,       /* the family asked for; dual: both */
  PEER_NO_IPV6,      /* 440 for IPv6; dual: IPv4, 0.0.0.0:0 and ADDRESS-ERROR-CODE (coturn) */
  PEER_IPV4_ONLY,    /* ignores the family attributes: always an IPv4 relay */
} PeerMode;

typedef struct {
  GSocket *sock;
  GSource *source;
  guint16 port;
  PeerMode mode;
  const char *software;          /* SOFTWARE in every answer: coturn's name, or another */
  gboolean saw_requested_v6, saw_additional, saw_additional_draft;
  char *permitted;               /* the XOR-PEER-ADDRESS of the last CreatePermission */
} Peer;

static void
relayed (RpStunBuilder *b, const char *ip, guint16 port)
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (ip);
  RpStunAddress s = { 0 };
  gsize n = g_inet_address_get_native_size (a);

  s.family = n == 4 ? AF_INET : AF_INET6;
  memcpy (s.addr, g_inet_address_to_bytes (a), n);
  s.port = port;
  g_assert_true (rp_stun_builder_add_address (b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, &s));
}

/* Writes the answer into b; TRUE for a success (which is signed). */
static gboolean
answer_allocate (Peer *p, const RpStunMessage *m, RpStunBuilder *b)
{
  int fam = 0;
  gboolean v6 = rp_turn_get_requested_address_family (m, &fam) && fam == AF_INET6;
  gboolean dual = rp_turn_get_additional_address_family (m, NULL) ||
                  rp_stun_message_find (m, RP_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY_DRAFT) != NULL;

  p->saw_requested_v6 |= v6;
  p->saw_additional |= rp_turn_get_additional_address_family (m, NULL);
  p->saw_additional_draft |=
    rp_stun_message_find (m, RP_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY_DRAFT) != NULL;
  if (v6 && p->mode == PEER_NO_IPV6) {
    guint8 v[4] = { 0, 0, 4, 40 };
    rp_stun_builder_init (b, RP_STUN_ALLOCATE, RP_STUN_ERROR, m->tid);
    rp_stun_builder_add (b, RP_STUN_ATTR_ERROR_CODE, v, sizeof v);
    return FALSE;
  }
  rp_stun_builder_init (b, RP_STUN_ALLOCATE, RP_STUN_SUCCESS, m->tid);
  if (p->mode == PEER_IPV4_ONLY || (!v6 && !dual)) {
    relayed (b, "127.0.0.1", 40000);
  } else if (v6) {
    relayed (b, "::1", 40002);
  } else if (p->mode == PEER_HONEST) {
    relayed (b, "127.0.0.1", 40000);
    relayed (b, "::1", 40002);
  } else {
    guint8 v[8] = { 0x02, 0, 4, 40, 'n', 'o', '6', 0 };
    relayed (b, "127.0.0.1", 40000);
    relayed (b, "0.0.0.0", 0);
    rp_stun_builder_add (b, RP_STUN_ATTR_ADDRESS_ERROR_CODE_DRAFT, v, 7);
  }
  rp_turn_add_lifetime (b, 600);
  return TRUE;
}

static gboolean
on_datagram (GSocket *sock, GIOCondition cond, gpointer data)
{
  Peer *p = data;
  guint8 buf[1500];
  GSocketAddress *from = NULL;
  gssize n = g_socket_receive_from (sock, &from, (char *) buf, sizeof buf, NULL, NULL);
  RpStunMessage m;
  RpStunBuilder b;
  guint8 key[16];

  if (n <= 0 || rp_stun_message_parse (buf, (gsize) n, &m) != RP_STUN_PARSE_OK) {
    g_clear_object (&from);
    return G_SOURCE_CONTINUE;
  }
  rp_stun_long_term_key (USER, REALM, PASSWORD, key);
  if (rp_stun_message_find (&m, RP_STUN_ATTR_MESSAGE_INTEGRITY) == NULL) {
    guint8 v[4] = { 0, 0, 4, 1 };
    rp_stun_builder_init (&b, m.method, RP_STUN_ERROR, m.tid);
    rp_stun_builder_add (&b, RP_STUN_ATTR_ERROR_CODE, v, sizeof v);
    rp_stun_builder_add (&b, RP_STUN_ATTR_REALM, REALM, strlen (REALM));
    rp_stun_builder_add (&b, RP_STUN_ATTR_NONCE, "nonce-1", 7);
    rp_stun_builder_add_string (&b, RP_STUN_ATTR_SOFTWARE, p->software);
  } else if (m.method == RP_STUN_ALLOCATE) {
    if (answer_allocate (p, &m, &b))
      rp_stun_builder_add_integrity (&b, key, sizeof key);
  } else {
    RpStunAddress peers[2];
    char text[64];
    if (m.method == RP_STUN_CREATE_PERMISSION && rp_turn_get_peer_addresses (&m, peers, 2) == 1) {
      g_free (p->permitted);
      p->permitted = g_strdup (rp_stun_address_to_string (&peers[0], text, sizeof text));
    }
    rp_stun_builder_init (&b, m.method, RP_STUN_SUCCESS, m.tid);
    rp_stun_builder_add_integrity (&b, key, sizeof key);
  }
  rp_stun_builder_add_fingerprint (&b);
  g_socket_send_to (sock, from, (const char *) b.buf, b.len, NULL, NULL);
  g_clear_object (&from);
  return G_SOURCE_CONTINUE;
}

static Peer *
peer_new (GMainContext *ctx, PeerMode mode, const char *software)
{
  Peer *p = g_new0 (Peer, 1);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  p->mode = mode;
  p->software = software;
  p->sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                          NULL);
  g_assert_nonnull (p->sock);
  g_assert_true (g_socket_bind (p->sock, any, TRUE, NULL));
  bound = g_socket_get_local_address (p->sock, NULL);
  p->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_set_blocking (p->sock, FALSE);
  p->source = g_socket_create_source (p->sock, G_IO_IN, NULL);
  g_source_set_callback (p->source, (GSourceFunc) (GCallback) on_datagram, p, NULL);
  g_source_attach (p->source, ctx);
  return p;
}

static void
peer_free (Peer *p)
{
  g_source_destroy (p->source);
  g_source_unref (p->source);
  g_object_unref (p->sock);
  g_free (p->permitted);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

typedef struct {
  gboolean done, success;
  RpStunTxnOutcome outcome;
  guint code;
  char *reason;
} Res;

static void
on_result (RpTurnClient *turn, const RpTurnResult *r, gpointer data)
{
  Res *res = data;

  res->done = TRUE;
  res->success = r->success;
  res->outcome = r->outcome;
  res->code = r->error_code;
  g_free (res->reason);
  res->reason = g_strdup (r->reason);
}

static void
on_connected (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  Res *res = data;

  res->done = TRUE;
  res->success = status == RP_STUN_NET_OK;
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_res (GMainContext *ctx, Res *res)
{
  gboolean late = FALSE;
  GSource *t = g_timeout_source_new (WAIT_MS);

  g_source_set_callback (t, on_timeout, &late, NULL);
  g_source_attach (t, ctx);
  while (!res->done && !late)
    g_main_context_iteration (ctx, TRUE);
  g_source_destroy (t);
  g_source_unref (t);
  g_assert_true (res->done);
}

static RpTurnClient *
client_for (GMainContext *ctx, Peer *p)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) server = g_inet_socket_address_new (lo, p->port);
  RpStunClient *stun = rp_stun_client_new (RP_TRANSPORT_UDP, server, "127.0.0.1", NULL, FALSE, ctx);
  RpTurnClient *turn = rp_turn_client_new (stun, USER, PASSWORD);
  Res connected = { 0 };

  rp_stun_client_connect (stun, on_connected, &connected);
  wait_res (ctx, &connected);
  g_assert_true (connected.success);
  return turn;
}

static void
allocate (GMainContext *ctx, RpTurnClient *turn, RpTurnFamily family, Res *res)
{
  memset (res, 0, sizeof *res);
  rp_turn_client_allocate_family (turn, family, on_result, res);
  wait_res (ctx, res);
}

static char *
relayed_of (RpTurnClient *turn, int family)
{
  RpStunAddress a;
  char text[64];

  if (!rp_turn_client_get_relayed_family (turn, family, &a))
    return NULL;
  return g_strdup (rp_stun_address_to_string (&a, text, sizeof text));
}

static void
test_ipv6_relay_and_peer (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (Peer) p = peer_new (ctx, PEER_HONEST, COTURN);
  g_autoptr (RpTurnClient) turn = client_for (ctx, p);
  g_autofree char *r6 = NULL;
  RpStunAddress peer = { .family = AF_INET6, .port = 5432 }, primary;
  char text[64];
  Res res;

  allocate (ctx, turn, RP_TURN_FAMILY_IPV6, &res);
  g_assert_true (res.success);
  g_assert_true (p->saw_requested_v6);
  g_assert_false (p->saw_additional || p->saw_additional_draft);
  r6 = relayed_of (turn, AF_INET6);
  g_assert_cmpstr (r6, ==, "[::1]:40002");
  g_assert_null (relayed_of (turn, AF_INET));
  g_assert_true (rp_turn_client_get_relayed (turn, &primary));
  g_assert_cmpstr (rp_stun_address_to_string (&primary, text, sizeof text), ==, "[::1]:40002");

  /* the IPv6 peer reaches the server as sent: masked with the id of the
   * transaction that carried it (a 401 retry is a new one) */
  peer.addr[15] = 1;
  memset (&res, 0, sizeof res);
  rp_turn_client_create_permission (turn, &peer, on_result, &res);
  wait_res (ctx, &res);
  g_assert_true (res.success);
  g_assert_cmpstr (p->permitted, ==, "[::1]:5432");
  g_free (res.reason);
}

static void
test_dual (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (Peer) p = peer_new (ctx, PEER_HONEST, COTURN);
  g_autoptr (RpTurnClient) turn = client_for (ctx, p);
  g_autofree char *r4 = NULL;
  g_autofree char *r6 = NULL;
  Res res;

  allocate (ctx, turn, RP_TURN_FAMILY_DUAL, &res);
  g_assert_true (res.success);
  /* both code points to coturn: RFC 8656's and the draft's it reads */
  g_assert_true (p->saw_additional && p->saw_additional_draft);
  g_assert_false (p->saw_requested_v6);
  r4 = relayed_of (turn, AF_INET);
  r6 = relayed_of (turn, AF_INET6);
  g_assert_cmpstr (r4, ==, "127.0.0.1:40000");
  g_assert_cmpstr (r6, ==, "[::1]:40002");
  g_assert_false (rp_turn_client_get_address_error (turn, NULL, NULL, NULL));
  g_free (res.reason);
}

static void
test_no_ipv6 (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (Peer) p = peer_new (ctx, PEER_NO_IPV6, COTURN);
  g_autoptr (RpTurnClient) turn = client_for (ctx, p);
  g_autofree char *r4 = NULL;
  RpStunAddress primary;
  int fam = 0;
  guint code = 0;
  const char *reason = NULL;
  char text[64];
  Res res;

  /* IPv6 alone: the 440 reaches the caller with its code */
  allocate (ctx, turn, RP_TURN_FAMILY_IPV6, &res);
  g_assert_false (res.success);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_RESPONSE);
  g_assert_cmpuint (res.code, ==, RP_TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
  g_free (res.reason);

  /* dual, coturn style: the IPv4 relay, 0.0.0.0:0 for IPv6 (no relay), and
   * ADDRESS-ERROR-CODE at 0x8033 */
  allocate (ctx, turn, RP_TURN_FAMILY_DUAL, &res);
  g_assert_true (res.success);
  r4 = relayed_of (turn, AF_INET);
  g_assert_cmpstr (r4, ==, "127.0.0.1:40000");
  g_assert_null (relayed_of (turn, AF_INET6));
  g_assert_true (rp_turn_client_get_relayed (turn, &primary));
  g_assert_cmpstr (rp_stun_address_to_string (&primary, text, sizeof text), ==,
                   "127.0.0.1:40000");
  g_assert_true (rp_turn_client_get_address_error (turn, &fam, &code, &reason));
  g_assert_cmpint (fam, ==, AF_INET6);
  g_assert_cmpuint (code, ==, 440);
  g_assert_cmpstr (reason, ==, "no6");
  g_free (res.reason);
}

static void
test_ipv4_for_ipv6 (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (Peer) p = peer_new (ctx, PEER_IPV4_ONLY, COTURN);
  g_autoptr (RpTurnClient) turn = client_for (ctx, p);
  g_autofree char *r4 = NULL;
  Res res;

  allocate (ctx, turn, RP_TURN_FAMILY_IPV6, &res);
  g_assert_false (res.success);
  g_assert_cmpint (res.outcome, ==, RP_STUN_TXN_MALFORMED);
  g_assert_nonnull (strstr (res.reason, "IPv6 relay with an IPv4 one"));
  g_free (res.reason);

  /* a dual request answered with IPv4 alone and no ADDRESS-ERROR-CODE is a
   * success with one family: the caller sees no IPv6 relay and no error */
  allocate (ctx, turn, RP_TURN_FAMILY_DUAL, &res);
  g_assert_true (res.success);
  r4 = relayed_of (turn, AF_INET);
  g_assert_cmpstr (r4, ==, "127.0.0.1:40000");
  g_assert_null (relayed_of (turn, AF_INET6));
  g_assert_false (rp_turn_client_get_address_error (turn, NULL, NULL, NULL));
  g_free (res.reason);
}

static void
test_dual_not_coturn (void)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (Peer) p = peer_new (ctx, PEER_NO_IPV6, "another-turn-server/1.0");
  g_autoptr (RpTurnClient) turn = client_for (ctx, p);
  g_autofree char *r4 = NULL;
  Res res;

  /* the draft code point goes to coturn only; another server's 0x8033 is
   * not taken for ADDRESS-ERROR-CODE */
  allocate (ctx, turn, RP_TURN_FAMILY_DUAL, &res);
  g_assert_true (res.success);
  g_assert_true (p->saw_additional);
  g_assert_false (p->saw_additional_draft);
  r4 = relayed_of (turn, AF_INET);
  g_assert_cmpstr (r4, ==, "127.0.0.1:40000");
  g_assert_null (relayed_of (turn, AF_INET6));
  g_assert_false (rp_turn_client_get_address_error (turn, NULL, NULL, NULL));
  g_free (res.reason);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/turn-client/ipv6-relay-and-peer", test_ipv6_relay_and_peer);
  g_test_add_func ("/turn-client/dual", test_dual);
  g_test_add_func ("/turn-client/no-ipv6", test_no_ipv6);
  g_test_add_func ("/turn-client/ipv4-for-ipv6", test_ipv4_for_ipv6);
  g_test_add_func ("/turn-client/dual-not-coturn", test_dual_not_coturn);
  return g_test_run ();
}
