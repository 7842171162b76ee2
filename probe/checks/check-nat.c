/* The `nat` check: NAT behaviour discovery of RFC 5780 section 4, through a
 * STUN server that offers an OTHER-ADDRESS on a second IP. Mapping (4.3) and
 * filtering (4.4) run at once on separate sockets, so that the mapping
 * tests' packets to the alternate address cannot open the filter that the
 * filtering tests measure. Every request is retransmitted, so one lost packet is not
 * read as a stricter filter. */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe/checks/checks-network.h"
#include "probe/core/resolve.h"
#include "stun/client/stun-client.h"

/* 4 sends over 1.4 s, then 0.8 s more: a path that loses one packet in four
 * still answers, and a filter that drops everything costs 2.2 s. */
#define NAT_RTO_US 200000
#define NAT_RC 4
#define NAT_RM 4

typedef enum { MAP_T1, MAP_T2, MAP_T3, MAP_DONE } MapStep;

/* One filtering test on its own socket: a plain Binding to open the
 * mapping, then the Binding with CHANGE-REQUEST. */
typedef enum { FILT_BINDING, FILT_CHANGE, FILT_DONE } FiltStep;
typedef enum {
  FILT_PENDING,
  FILT_ANSWERED,
  FILT_SILENT,
  FILT_WRONG_SOURCE,
  FILT_NO_MAPPING
} FiltOutcome;

typedef struct _NatState NatState;

typedef struct {
  NatState *nat;
  RpStunClient *client;
  guint32 change;             /* CHANGE-REQUEST flags */
  GInetSocketAddress *expect; /* where the changed answer must come from */
  FiltStep step;
  FiltOutcome outcome;
} Filter;

struct _NatState {
  RpCheck *check;             /* borrowed: the state dies with the check */
  GInetSocketAddress *primary;
  GInetSocketAddress *other;
  char *skip_reason;
  GInetAddress *local_ip;
  RpStunClient *map;
  Filter ipport;              /* RFC 5780 4.4 test II: change IP and port */
  Filter port;                /* RFC 5780 4.4 test III: change port only */
  MapStep map_step;
  RpStunAddress x1, x2;
  char map_local[64];
  const char *mapping;        /* result words, NULL until known */
  const char *filtering;
  char *problem;              /* why a test could not be completed */
};

static void
nat_state_free (gpointer data)
{
  NatState *s = data;

  rp_stun_client_free (s->map);
  rp_stun_client_free (s->ipport.client);
  rp_stun_client_free (s->port.client);
  g_clear_object (&s->ipport.expect);
  g_clear_object (&s->port.expect);
  g_clear_object (&s->primary);
  g_clear_object (&s->other);
  g_clear_object (&s->local_ip);
  g_free (s->skip_reason);
  g_free (s->problem);
  g_free (s);
}

static GSocketAddress *
with_port (GInetSocketAddress *ip_of, GInetSocketAddress *port_of)
{
  return g_inet_socket_address_new (g_inet_socket_address_get_address (ip_of),
                                    g_inet_socket_address_get_port (port_of));
}

static gboolean
same_as (GSocketAddress *from, GInetSocketAddress *expected)
{
  GInetSocketAddress *f;

  if (from == NULL || !G_IS_INET_SOCKET_ADDRESS (from))
    return FALSE;
  f = G_INET_SOCKET_ADDRESS (from);
  return g_inet_socket_address_get_port (f) == g_inet_socket_address_get_port (expected)
         && g_inet_address_equal (g_inet_socket_address_get_address (f),
                                  g_inet_socket_address_get_address (expected));
}

static void
finish_if_done (NatState *s)
{
  RpCheckResult *r = rp_check_get_result (s->check);

  if (s->map_step != MAP_DONE || s->ipport.step != FILT_DONE || s->port.step != FILT_DONE)
    return;
  if (s->mapping != NULL)
    rp_check_result_detail_str (r, "mapping", s->mapping);
  if (s->filtering != NULL)
    rp_check_result_detail_str (r, "filtering", s->filtering);
  if (s->problem != NULL) {
    rp_check_result_detail_str (r, "error", s->problem);
    rp_check_result_set (
      r, RP_STATUS_WARN, "NAT behaviour only partly known: mapping %s, filtering %s",
      s->mapping ? s->mapping : "unknown", s->filtering ? s->filtering : "unknown");
    rp_check_result_set_hint (r, "%s", s->problem);
  } else if (g_strcmp0 (s->mapping, "address-and-port-dependent") == 0) {
    rp_check_result_set (r, RP_STATUS_WARN, "symmetric NAT: mapping %s, filtering %s", s->mapping,
                         s->filtering);
    rp_check_result_set_hint (
      r, "this network gives every destination a new public port, so server-reflexive candidates "
         "do not work peer to peer: calls from here need the TURN relay");
  } else if (g_strcmp0 (s->mapping, "no-nat") == 0) {
    rp_check_result_set (r, RP_STATUS_PASS,
                         "no NAT between here and the server (mapped address = local address); "
                         "%s filtering",
                         s->filtering);
  } else {
    rp_check_result_set (r, RP_STATUS_PASS, "%s mapping, %s filtering", s->mapping, s->filtering);
  }
  rp_check_finish (s->check);
}

static void send_map (NatState *s);
static void send_filt (Filter *f);

static gboolean
response_mapped (const RpStunTxnResult *res, RpStunAddress *out)
{
  return res->outcome == RP_STUN_TXN_RESPONSE && res->msg.klass == RP_STUN_SUCCESS
         && rp_stun_message_get_mapped_address (&res->msg, out);
}

static void
on_map (RpStunClient *client, const RpStunTxnResult *res, gpointer data)
{
  NatState *s = data;
  RpCheckResult *r = rp_check_get_result (s->check);
  RpStunAddress x;
  char buf[64];

  if (rp_check_is_finished (s->check))
    return;
  if (!response_mapped (res, &x)) {
    g_free (s->problem);
    s->problem = g_strdup_printf (
      "mapping test %d got no usable answer from %s (%s): the server's alternate address "
      "may be firewalled",
      s->map_step + 1, s->map_step == MAP_T1 ? "the primary address" : "the alternate address",
      res->reason ? res->reason : "no answer");
    s->map_step = MAP_DONE;
    finish_if_done (s);
    return;
  }
  switch (s->map_step) {
  case MAP_T1:
    s->x1 = x;
    rp_check_result_detail_str (r, "mapped_address",
                                rp_stun_address_to_string (&x, buf, sizeof buf));
    rp_check_result_detail_str (r, "local_address", s->map_local);
    /* RFC 5780 4.3: a mapped address equal to the local one means no NAT. */
    if (g_strcmp0 (buf, s->map_local) == 0) {
      s->mapping = "no-nat";
      s->map_step = MAP_DONE;
      finish_if_done (s);
      return;
    }
    s->map_step = MAP_T2;
    break;
  case MAP_T2:
    s->x2 = x;
    if (rp_stun_address_equal (&x, &s->x1)) {
      s->mapping = "endpoint-independent";
      s->map_step = MAP_DONE;
      finish_if_done (s);
      return;
    }
    s->map_step = MAP_T3;
    break;
  case MAP_T3:
    s->mapping =
      rp_stun_address_equal (&x, &s->x2) ? "address-dependent" : "address-and-port-dependent";
    s->map_step = MAP_DONE;
    finish_if_done (s);
    return;
  default:
    return;
  }
  send_map (s);
}

static void
send_map (NatState *s)
{
  RpStunBuilder b;
  guint8 tid[RP_STUN_TID_LEN];
  g_autoptr (GSocketAddress) to = NULL;

  /* RFC 5780 4.3: test I primary, test II alternate IP + primary port,
   * test III alternate IP + alternate port. */
  if (s->map_step == MAP_T1)
    to = g_object_ref (G_SOCKET_ADDRESS (s->primary));
  else if (s->map_step == MAP_T2)
    to = with_port (s->other, s->primary);
  else
    to = g_object_ref (G_SOCKET_ADDRESS (s->other));
  rp_stun_random_tid (tid);
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid);
  rp_stun_builder_add_fingerprint (&b);
  rp_stun_client_request_to (s->map, to, b.buf, b.len, on_map, s);
}

static void
set_problem (NatState *s, const char *problem)
{
  g_free (s->problem);
  s->problem = g_strdup (problem);
}

/* RFC 5780 4.4: test II answered means endpoint-independent filtering,
 * else test III answered means address-dependent, else address-and-port-
 * dependent. The tests run at once on separate sockets, so a filter that
 * drops everything costs one timeout, not two. */
static void
decide_filtering (NatState *s)
{
  if (s->ipport.step != FILT_DONE || s->port.step != FILT_DONE)
    return;
  if (s->ipport.outcome == FILT_NO_MAPPING || s->port.outcome == FILT_NO_MAPPING)
    set_problem (s, "a filtering test's first Binding got no answer from the primary address");
  else if (s->ipport.outcome == FILT_WRONG_SOURCE || s->port.outcome == FILT_WRONG_SOURCE)
    set_problem (
      s,
      "the server ignores CHANGE-REQUEST (it answered from an address it was asked not to use), so "
      "filtering cannot be measured through it");
  else if (s->ipport.outcome == FILT_ANSWERED)
    s->filtering = "endpoint-independent";
  else if (s->port.outcome == FILT_ANSWERED)
    s->filtering = "address-dependent";
  else
    s->filtering = "address-and-port-dependent";
  finish_if_done (s);
}

static void
on_filt (RpStunClient *client, const RpStunTxnResult *res, gpointer data)
{
  Filter *f = data;
  gboolean answered = res->outcome == RP_STUN_TXN_RESPONSE && res->msg.klass == RP_STUN_SUCCESS;

  if (rp_check_is_finished (f->nat->check))
    return;
  if (f->step == FILT_BINDING) {
    if (!answered) {
      f->outcome = FILT_NO_MAPPING;
      f->step = FILT_DONE;
      decide_filtering (f->nat);
      return;
    }
    f->step = FILT_CHANGE;
    send_filt (f);
    return;
  }
  /* The changed answer must come from where we asked, or the test says
   * nothing about our filter. */
  f->outcome = !answered                        ? FILT_SILENT
               : same_as (res->from, f->expect) ? FILT_ANSWERED
                                                : FILT_WRONG_SOURCE;
  f->step = FILT_DONE;
  decide_filtering (f->nat);
}

static void
send_filt (Filter *f)
{
  RpStunBuilder b;
  guint8 tid[RP_STUN_TID_LEN];

  rp_stun_random_tid (tid);
  rp_stun_builder_init (&b, RP_STUN_BINDING, RP_STUN_REQUEST, tid);
  if (f->step == FILT_CHANGE)
    rp_stun_builder_add_u32 (&b, RP_STUN_ATTR_CHANGE_REQUEST, f->change);
  rp_stun_builder_add_fingerprint (&b);
  rp_stun_client_request_to (f->client, G_SOCKET_ADDRESS (f->nat->primary), b.buf, b.len, on_filt,
                             f);
}

static void
on_map_ready (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  NatState *s = data;

  if (rp_check_is_finished (s->check))
    return;
  g_strlcpy (s->map_local, rp_stun_client_get_info (client)->local_address, sizeof s->map_local);
  send_map (s);
}

static void
on_filt_ready (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  Filter *f = data;

  if (!rp_check_is_finished (f->nat->check))
    send_filt (f);
}

static void
start_filter (NatState *s, Filter *f, guint32 change, GSocketAddress *bind_to, GMainContext *ctx)
{
  f->nat = s;
  f->change = change;
  f->expect = change & RP_STUN_CHANGE_IP ? g_object_ref (s->other)
                                         : G_INET_SOCKET_ADDRESS (with_port (s->primary, s->other));
  f->client = rp_stun_client_new_unconnected (bind_to, ctx);
  rp_stun_client_set_timer (f->client, NAT_RTO_US, NAT_RC, NAT_RM);
  rp_stun_client_connect (f->client, on_filt_ready, f);
}

/* The local address the kernel would use towards the server: mapping
 * comparisons need a socket bound to it rather than to the wildcard. */
static GInetAddress *
route_source (GInetSocketAddress *server)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  int fd = socket (g_inet_address_get_family (g_inet_socket_address_get_address (server)) ==
                       G_SOCKET_FAMILY_IPV6
                     ? AF_INET6
                     : AF_INET,
                   SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_autoptr (GSocketAddress) local = NULL;
  GInetAddress *ip = NULL;

  if (fd < 0)
    return NULL;
  if (g_socket_address_to_native (G_SOCKET_ADDRESS (server), &ss, sizeof ss, NULL) &&
      connect (fd, (struct sockaddr *) &ss,
               (socklen_t) g_socket_address_get_native_size (G_SOCKET_ADDRESS (server))) == 0 &&
      getsockname (fd, (struct sockaddr *) &ss, &sl) == 0) {
    local = g_socket_address_new_from_native (&ss, sl);
    if (local != NULL && G_IS_INET_SOCKET_ADDRESS (local))
      ip = g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  }
  close (fd);
  return ip;
}

static void
nat_start (RpCheck *check)
{
  NatState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  GMainContext *ctx = rp_runner_get_context (rp_check_get_runner (check));
  g_autoptr (GSocketAddress) bind_to = NULL;

  s->check = check;
  if (s->skip_reason != NULL) {
    rp_check_result_set (r, RP_STATUS_SKIP, "NAT behaviour not tested: %s", s->skip_reason);
    rp_check_finish (check);
    return;
  }
  s->local_ip = route_source (s->primary);
  if (s->local_ip == NULL) {
    rp_check_result_set (r, RP_STATUS_FAIL, "no local route to the STUN server");
    rp_check_finish (check);
    return;
  }
  bind_to = g_inet_socket_address_new (s->local_ip, 0);
  s->map = rp_stun_client_new_unconnected (bind_to, ctx);
  rp_stun_client_set_timer (s->map, NAT_RTO_US, NAT_RC, NAT_RM);
  rp_stun_client_connect (s->map, on_map_ready, s);
  start_filter (s, &s->ipport, RP_STUN_CHANGE_IP | RP_STUN_CHANGE_PORT, bind_to, ctx);
  start_filter (s, &s->port, RP_STUN_CHANGE_PORT, bind_to, ctx);
}

static void
nat_expire (RpCheck *check)
{
  NatState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  rp_check_result_set (
    r, RP_STATUS_WARN,
    "NAT behaviour tests did not finish before the deadline (mapping %s, filtering %s)",
    s->mapping ? s->mapping : "unknown", s->filtering ? s->filtering : "unknown");
  rp_check_result_set_hint (r, "raise --timeout: each test retransmits for up to 2.2 s");
}

static const RpCheckClass nat_class = { nat_start, nat_expire, nat_state_free };

void
rp_check_nat_add (RpRunner *runner, const RpProbeOptions *options, const char *id,
                  const char *target, GInetSocketAddress *primary, GInetSocketAddress *other)
{
  NatState *s = g_new0 (NatState, 1);

  s->primary = g_object_ref (primary);
  if (other == NULL)
    s->skip_reason =
      g_strdup ("the server offers no OTHER-ADDRESS (RFC 5780); coturn does so only when it "
                "listens on two IP addresses");
  else if (g_inet_address_equal (g_inet_socket_address_get_address (other),
                                 g_inet_socket_address_get_address (primary)))
    s->skip_reason = g_strdup ("the server's OTHER-ADDRESS has the same IP as its primary address; "
                               "RFC 5780 tests need a second IP");
  else
    s->other = g_object_ref (other);
  rp_runner_add (runner, rp_check_result_new (id, "nat", target), 8 * G_USEC_PER_SEC, &nat_class,
                 s);
}
