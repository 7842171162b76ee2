/* The TURN audit (`turn --audit`): the server must not be a door into its
 * own network. With a valid allocation it asks for permissions (RFC 8656 9)
 * toward loopback, private, shared, link-local, metadata, unspecified and
 * multicast addresses, IPv6 unique local addresses, their IPv4-mapped and
 * NAT64 (RFC 6052, RFC 8215) IPv6 forms, and the server's own addresses;
 * where one is granted it also tries a ChannelBind. No data is ever sent
 * to any of them: a granted permission is the finding. IPv6 peers can only
 * be permitted on an IPv6 relay (RFC 8656 9.1: 443 otherwise), so the
 * audit's allocation is a dual one (RFC 8656 7.3); when the server has no
 * IPv6 relay, its IPv6 peers are "not applicable", never counted as
 * refused. It also checks that an Allocate without credentials is
 * refused. */
#include <string.h>
#include <sys/socket.h>

#include "probe/checks/checks-network.h"
#include "probe/core/explain.h"
#include "probe/core/resolve.h"
#include "probe/core/server-target.h"
#include "probe/checks/checks-turn.h"
#include "common/tls-client.h"

#define AUDIT_TIMEOUT_US (15 * G_USEC_PER_SEC)
#define AUDIT_PORT 5432          /* Postgres, which the runbook puts on the same VM */
#define FIRST_CHANNEL 0x4100

typedef struct {
  const char *id;                /* audit.<id> */
  const char *what;              /* for sentences */
  const char *addresses[6];      /* NULL-terminated; "self" = the server's own */
  const char *fix;               /* turnserver.conf lines that close it */
} Category;

static const Category categories[] = {
  { "loopback",
    "loopback",
    { "127.0.0.1", "::1", NULL },
    "remove allow-loopback-peers (or set no-loopback-peers on old coturn) and add "
    "denied-peer-ip=127.0.0.0-127.255.255.255 "
    "and denied-peer-ip=::1" },
  { "private",
    "private (RFC 1918)",
    { "10.0.0.1", "172.16.0.1", "192.168.0.1", NULL },
    "add denied-peer-ip=10.0.0.0-10.255.255.255, denied-peer-ip=172.16.0.0-172.31.255.255 and "
    "denied-peer-ip=192.168.0.0-192.168.255.255" },
  { "shared",
    "shared address space (100.64/10)",
    { "100.64.0.1", NULL },
    "add denied-peer-ip=100.64.0.0-100.127.255.255" },
  { "link-local",
    "link-local",
    { "169.254.0.1", "fe80::1", NULL },
    "add denied-peer-ip=169.254.0.0-169.254.255.255 and "
    "denied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
  { "metadata",
    "the cloud metadata service",
    { "169.254.169.254", NULL },
    "add denied-peer-ip=169.254.0.0-169.254.255.255: the metadata service hands out the instance's "
    "credentials" },
  { "unspecified",
    "unspecified (0.0.0.0, ::)",
    { "0.0.0.0", "::", NULL },
    /* Not "denied-peer-ip=::": coturn 4.6 reads that as a range that denies every peer. */
    "add denied-peer-ip=0.0.0.0-0.255.255.255 (do not write denied-peer-ip=:: : coturn reads it as "
    "denying every peer)" },
  { "multicast", "multicast", { "224.0.0.1", "ff02::1", NULL }, "set no-multicast-peers" },
  { "unique-local",
    "IPv6 unique local addresses (fc00::/7)",
    { "fd00::1", "fc00::1", NULL },
    "add denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
  { "nat64",
    "NAT64 forms (64:ff9b::/96, 64:ff9b:1::/48) of internal IPv4 addresses",
    { "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::c0a8:1", "64:ff9b::a9fe:a9fe",
      "64:ff9b:1::a00:1", NULL },
    /* RFC 6052 2.2: the IPv4 address in the last 32 bits of a /96 */
    "add denied-peer-ip for the internal IPv4 ranges in their NAT64 form: "
    "denied-peer-ip=64:ff9b::7f00:0-64:ff9b::7fff:ffff (127/8), "
    "denied-peer-ip=64:ff9b::a00:0-64:ff9b::aff:ffff (10/8), "
    "denied-peer-ip=64:ff9b::ac10:0-64:ff9b::ac1f:ffff (172.16/12), "
    "denied-peer-ip=64:ff9b::c0a8:0-64:ff9b::c0a8:ffff (192.168/16), "
    "denied-peer-ip=64:ff9b::a9fe:0-64:ff9b::a9fe:ffff (169.254/16, metadata), "
    "denied-peer-ip=64:ff9b::6440:0-64:ff9b::647f:ffff (100.64/10) and "
    "denied-peer-ip=64:ff9b::-64:ff9b::ff:ffff (0/8); and the local-use prefix whole: "
    "denied-peer-ip=64:ff9b:1::-64:ff9b:1:ffff:ffff:ffff:ffff:ffff. Where the network has no "
    "NAT64, deny 64:ff9b::-64:ff9b::ffff:ffff whole" },
  { "ipv4-mapped",
    "IPv4-mapped IPv6 forms of internal addresses",
    { "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:192.168.0.1", "::ffff:169.254.169.254",
      "::ffff:0.0.0.0", NULL },
    "add denied-peer-ip=::ffff:0.0.0.0-::ffff:255.255.255.255 so the IPv4 denials cannot be "
    "bypassed in IPv6 form" },
  { "self",
    "the TURN server's own addresses",
    { "self", NULL },
    "add denied-peer-ip for the server's own addresses other than its relay address "
    "(relay-to-relay calls need that "
    "one), and let the host firewall admit UDP on the relay address only for min-port..max-port: a "
    "client that relays "
    "to the server reaches its other services" },
};

typedef enum {
  PEER_PENDING,
  PEER_ALLOWED,
  PEER_DENIED,
  PEER_NOT_APPLICABLE,
  PEER_UNKNOWN
} PeerState;

typedef struct _Audit Audit;

typedef struct {
  Audit *audit;
  guint category;
  char *address;                 /* as tested */
  RpStunAddress peer;
  PeerState state;
  gboolean bound;                /* ChannelBind also granted */
  gboolean is_relay;             /* the allocation's own relay address */
  guint code;
} Probe;

struct _Audit {
  RpTurnPlan *plan;
  GPtrArray *targets;            /* RpTarget*, tried in order until one answers */
  guint current;
  const RpTarget *target;        /* targets[current] */
  char *ca_file;
  gboolean open_server;          /* allocates without credentials */
  RpProbeOptions options;
  RpServerTarget srv;            /* targets[current], its TLS context and address */
  RpTurnClient *turn;
  RpCheck *unauth;               /* the driver, owns this state */
  RpCheck *checks[G_N_ELEMENTS (categories)];   /* refs */
  GPtrArray *probes;             /* Probe* */
  guint pending;
  guint16 next_channel;
  gboolean retried_ipv4;         /* the dual Allocate failed; audited on an IPv4 relay */
  gboolean v6_relay;             /* an allocation with an IPv6 relayed address exists */
  RpTurnClient *turn6;           /* a second, IPv6, allocation when the dual one gave none */
  char *no_v6_why;               /* why not, for "not applicable" */
};

static void
probe_free (gpointer data)
{
  Probe *p = data;

  g_free (p->address);
  g_free (p);
}

static void
audit_free (gpointer data)
{
  Audit *a = data;

  rp_turn_client_free (a->turn);
  rp_turn_client_free (a->turn6);
  for (guint i = 0; i < G_N_ELEMENTS (categories); i++)
    g_clear_pointer (&a->checks[i], rp_check_unref);
  g_ptr_array_unref (a->probes);
  rp_server_target_clear (&a->srv);
  rp_turn_plan_unref (a->plan);
  g_ptr_array_unref (a->targets);
  g_free (a->ca_file);
  g_free (a->no_v6_why);
  g_free (a);
}

static void try_target (Audit *a);
static void on_resolved (GObject *source, GAsyncResult *res, gpointer data);

static void
skip_categories (Audit *a, const char *why)
{
  for (guint i = 0; i < G_N_ELEMENTS (categories); i++) {
    if (rp_check_is_finished (a->checks[i]))
      continue;
    rp_check_result_set (rp_check_get_result (a->checks[i]), RP_STATUS_SKIP, "not audited: %s",
                         why);
    rp_check_finish (a->checks[i]);
  }
}

/* Is this probe an IPv6 peer that only an IPv6 relay can reach? The
 * IPv4-mapped forms are asked on any relay: a server that maps them to IPv4
 * would be the bypass the category looks for. */
static gboolean
needs_v6_relay (const Probe *p)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  return p->peer.family == AF_INET6 && memcmp (p->peer.addr, mapped, sizeof mapped) != 0;
}

static void
write_category (Audit *a, guint c)
{
  RpCheckResult *r = rp_check_get_result (a->checks[c]);
  g_autoptr (GString) allowed = g_string_new (NULL);
  g_autoptr (GString) denied = g_string_new (NULL);
  g_autoptr (GString) other = g_string_new (NULL);
  guint n_allowed = 0, n_tested = 0, n_denied = 0, n_unasked = 0, relay_only_allowed = 0;
  g_autoptr (GString) unasked = g_string_new (NULL);

  for (guint i = 0; i < a->probes->len; i++) {
    Probe *p = g_ptr_array_index (a->probes, i);
    GString *into;
    if (p->category != c)
      continue;
    if (p->state == PEER_NOT_APPLICABLE && p->code == 0) {
      /* never asked: the audit has no relay of this peer's family */
      n_unasked++;
      g_string_append_printf (unasked, "%s%s", unasked->len ? ", " : "", p->address);
      continue;
    }
    n_tested++;
    into = p->state == PEER_ALLOWED ? allowed : p->state == PEER_DENIED ? denied : other;
    if (p->state == PEER_ALLOWED) {
      n_allowed++;
      relay_only_allowed += p->is_relay;
    }
    n_denied += p->state == PEER_DENIED;
    g_string_append_printf (into, "%s%s%s", into->len ? ", " : "", p->address,
                            p->state == PEER_ALLOWED && p->bound ? " (channel bound)" : "");
    if (p->state == PEER_NOT_APPLICABLE || p->state == PEER_UNKNOWN)
      g_string_append_printf (into, " (%u)", p->code);   /* 443: IPv6 peer on an IPv4 relay */
  }
  if (unasked->len) {
    g_string_append_printf (other, "%s%s (no IPv6 relay)", other->len ? ", " : "", unasked->str);
    rp_check_result_detail_str (r, "not_applicable_why", a->no_v6_why);
  }
  if (allowed->len)
    rp_check_result_detail_str (r, "allowed", allowed->str);
  if (denied->len)
    rp_check_result_detail_str (r, "denied", denied->str);
  if (other->len)
    rp_check_result_detail_str (r, "not_applicable", other->str);
  if (n_allowed > 0 && n_allowed == relay_only_allowed) {
    /* RFC 8656 allows it and calls between two relayed clients need it. */
    rp_check_result_set (r, RP_STATUS_PASS,
                         "only the relay address itself is reachable (%s), as calls between two "
                         "relayed clients need",
                         allowed->str);
    rp_check_result_detail_str (
      r, "note",
      "UDP services other than coturn on the relay address are reachable through "
      "it: keep them firewalled");
  } else if (n_allowed > 0) {
    rp_check_result_set (r, RP_STATUS_FAIL, "the server relays to %s: %s", categories[c].what,
                         allowed->str);
    rp_check_result_set_hint (r, "%s can reach %s through this server. In turnserver.conf: %s",
                              a->open_server
                                ? "anyone on the internet (the server needs no credentials)"
                                : "anyone with TURN credentials (every app user)",
                              categories[c].what, categories[c].fix);
  } else if (n_tested == 0 && n_unasked > 0) {
    /* Nothing could be asked: the server gave no relay of the peers' family. */
    rp_check_result_set (r, RP_STATUS_SKIP, "not applicable: %s; %s not tested: %s",
                         a->no_v6_why, categories[c].what, unasked->str);
  } else {
    g_autofree char *na = unasked->len ? g_strdup_printf ("; not applicable: %s, as %s",
                                                          unasked->str, a->no_v6_why)
                                       : g_strdup ("");
    if (n_denied == 0)
      rp_check_result_set (r, RP_STATUS_PASS,
                           "no permission toward %s (%u tested; refused as unreachable from this "
                           "relay, not by policy)%s",
                           categories[c].what, n_tested, na);
    else
      rp_check_result_set (r, RP_STATUS_PASS, "permissions toward %s are refused (%u tested)%s",
                           categories[c].what, n_tested, na);
  }
  rp_check_finish (a->checks[c]);
}

static void
maybe_finish (Audit *a)
{
  if (a->pending > 0)
    return;
  for (guint c = 0; c < G_N_ELEMENTS (categories); c++)
    if (!rp_check_is_finished (a->checks[c]))
      write_category (a, c);
  /* Give the relay back; the answer does not matter any more. */
  if (a->turn != NULL)
    rp_turn_client_refresh (a->turn, 0, NULL, NULL);
  if (a->turn6 != NULL)
    rp_turn_client_refresh (a->turn6, 0, NULL, NULL);
  rp_check_finish (a->unauth);
}

static void
on_bind (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  Probe *p = data;

  if (rp_check_is_finished (p->audit->unauth))
    return;
  p->bound = res->success;
  p->audit->pending--;
  maybe_finish (p->audit);
}

static void
on_permission (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  Probe *p = data;
  Audit *a = p->audit;

  if (rp_check_is_finished (a->unauth))
    return;
  p->code = res->error_code;
  if (res->success) {
    p->state = PEER_ALLOWED;
    /* A granted permission is the finding; a ChannelBind shows how far it
     * goes. Still no data is sent. */
    if (a->next_channel <= RP_TURN_CHANNEL_MAX) {
      rp_turn_client_channel_bind (turn, a->next_channel++, &p->peer, on_bind, p);
      return;
    }
  } else if (res->outcome == RP_STUN_TXN_RESPONSE && res->error_code == RP_TURN_ERR_FORBIDDEN) {
    p->state = PEER_DENIED;
  } else if (res->outcome == RP_STUN_TXN_RESPONSE
             && (res->error_code == RP_TURN_ERR_PEER_ADDRESS_FAMILY_MISMATCH
                 || res->error_code == RP_TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED)) {
    p->state = PEER_NOT_APPLICABLE;   /* an IPv6 peer on an IPv4 relay: unreachable either way */
  } else {
    p->state = PEER_UNKNOWN;
  }
  a->pending--;
  maybe_finish (a);
}

static gboolean
parse_peer (const char *text, RpStunAddress *out)
{
  g_autoptr (GInetAddress) ip = g_inet_address_new_from_string (text);
  gsize n;

  if (ip == NULL)
    return FALSE;
  n = g_inet_address_get_native_size (ip);
  memset (out, 0, sizeof *out);
  out->family = n == 4 ? AF_INET : AF_INET6;
  memcpy (out->addr, g_inet_address_to_bytes (ip), n);
  out->port = AUDIT_PORT;
  return TRUE;
}

static Probe *
add_probe (Audit *a, guint c, const char *address)
{
  Probe *p = g_new0 (Probe, 1);

  p->audit = a;
  p->category = c;
  p->address = g_strdup (address);
  if (!parse_peer (address, &p->peer)) {
    probe_free (p);
    return NULL;
  }
  g_ptr_array_add (a->probes, p);
  return p;
}

static void
start_probes (Audit *a)
{
  RpStunAddress relayed;

  for (guint c = 0; c < G_N_ELEMENTS (categories); c++) {
    for (guint i = 0; categories[c].addresses[i] != NULL; i++) {
      if (g_str_equal (categories[c].addresses[i], "self")) {
        /* The address we reached it at, and the address it relays from. */
        g_autofree char *server_ip =
          g_inet_address_to_string (g_inet_socket_address_get_address (a->srv.server));
        g_autofree char *rs = NULL;
        Probe *p;
        if (rp_turn_client_get_relayed (a->turn, &relayed)) {
          g_autoptr (GInetAddress) rip = g_inet_address_new_from_bytes (
            relayed.addr, relayed.family == AF_INET6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
          rs = g_inet_address_to_string (rip);
        }
        p = add_probe (a, c, server_ip);
        if (p != NULL)
          p->is_relay = g_strcmp0 (rs, server_ip) == 0;
        if (rs != NULL && !g_str_equal (rs, server_ip) && (p = add_probe (a, c, rs)) != NULL)
          p->is_relay = TRUE;
        /* the IPv6 relay (dual, or the second allocation) is the server's own too */
        if (rp_turn_client_get_relayed_family (a->turn, AF_INET6, &relayed) ||
            (a->turn6 != NULL &&
             rp_turn_client_get_relayed_family (a->turn6, AF_INET6, &relayed))) {
          g_autoptr (GInetAddress) r6 =
            g_inet_address_new_from_bytes (relayed.addr, G_SOCKET_FAMILY_IPV6);
          g_autofree char *r6s = g_inet_address_to_string (r6);
          if (g_strcmp0 (r6s, rs) != 0 && g_strcmp0 (r6s, server_ip) != 0 &&
              (p = add_probe (a, c, r6s)) != NULL)
            p->is_relay = TRUE;
        }
      } else {
        add_probe (a, c, categories[c].addresses[i]);
      }
    }
  }
  /* Without an IPv6 relay an IPv6 peer is unreachable (RFC 8656 9.1 would
   * answer 443): not asked, and reported as not applicable. */
  a->pending = 0;
  for (guint i = 0; i < a->probes->len; i++) {
    Probe *p = g_ptr_array_index (a->probes, i);
    if (!a->v6_relay && needs_v6_relay (p))
      p->state = PEER_NOT_APPLICABLE;
    else
      a->pending++;
  }
  for (guint i = 0; i < a->probes->len; i++) {
    Probe *p = g_ptr_array_index (a->probes, i);
    /* IPv6 peers through the IPv6 allocation when it is a second one */
    RpTurnClient *via = needs_v6_relay (p) && a->turn6 != NULL ? a->turn6 : a->turn;
    if (p->state == PEER_PENDING)
      rp_turn_client_create_permission (via, &p->peer, on_permission, p);
  }
  maybe_finish (a);
}

/* What the audit's allocation relays from: an IPv6 relay decides whether
 * IPv6 peers can be audited at all. */
static void
note_relays (Audit *a)
{
  RpCheckResult *r = rp_check_get_result (a->unauth);
  RpStunAddress addr;
  char buf[64];
  int efam = 0;
  guint ecode = 0;

  if (rp_turn_client_get_relayed_family (a->turn, AF_INET, &addr))
    rp_check_result_detail_str (r, "relayed_ipv4",
                                rp_stun_address_to_string (&addr, buf, sizeof buf));
  a->v6_relay = rp_turn_client_get_relayed_family (a->turn, AF_INET6, &addr);
  if (a->v6_relay)
    rp_check_result_detail_str (r, "relayed_ipv6",
                                rp_stun_address_to_string (&addr, buf, sizeof buf));
  rp_check_result_detail_bool (r, "ipv6_relay", a->v6_relay);
  if (a->v6_relay || a->no_v6_why != NULL)
    return;
  if (a->open_server)
    a->no_v6_why = g_strdup ("the allocation made without credentials has an IPv4 relay only");
  else if (rp_turn_client_get_address_error (a->turn, &efam, &ecode, NULL) && efam == AF_INET6)
    a->no_v6_why = g_strdup_printf ("the server has no IPv6 relay (%u to the audit's dual "
                                    "Allocate)", ecode);
}

static void
on_allocate6 (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  Audit *a = data;
  RpCheckResult *r = rp_check_get_result (a->unauth);
  RpStunAddress addr;
  char buf[64];

  if (rp_check_is_finished (a->unauth))
    return;
  if (res->success && rp_turn_client_get_relayed_family (turn, AF_INET6, &addr)) {
    a->v6_relay = TRUE;
    rp_check_result_detail_str (r, "relayed_ipv6",
                                rp_stun_address_to_string (&addr, buf, sizeof buf));
    rp_check_result_detail_bool (r, "ipv6_relay", TRUE);
  } else if (res->outcome == RP_STUN_TXN_RESPONSE &&
             res->error_code == RP_TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED) {
    a->no_v6_why = g_strdup_printf ("the server has no IPv6 relay (it ignores "
                                    "ADDITIONAL-ADDRESS-FAMILY, and answered %u to an Allocate "
                                    "for IPv6)", res->error_code);
  } else if (res->outcome == RP_STUN_TXN_RESPONSE) {
    a->no_v6_why = g_strdup_printf ("the audit's Allocate for an IPv6 relay failed (%u)",
                                    res->error_code);
  } else {
    a->no_v6_why = g_strdup ("the audit's Allocate for an IPv6 relay got no valid answer");
  }
  start_probes (a);
}

static void
on_connected6 (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  Audit *a = data;

  if (rp_check_is_finished (a->unauth))
    return;
  if (status != RP_STUN_NET_OK) {
    a->no_v6_why = g_strdup ("the audit's second connection, for an IPv6 relay, failed");
    start_probes (a);
    return;
  }
  rp_turn_client_allocate_family (a->turn6, RP_TURN_FAMILY_IPV6, on_allocate6, a);
}

/* The dual Allocate gave IPv4 only and said nothing about IPv6: a server of
 * RFC 6156 (no dual allocation) may still relay IPv6 when asked for it
 * alone, on another connection (one allocation per 5-tuple). */
static void
start_ipv6_allocation (Audit *a)
{
  const RpTurnCreds *creds = rp_turn_plan_get_creds (a->plan);
  RpStunClient *stun = rp_stun_client_new (
    a->target->transport, G_SOCKET_ADDRESS (a->srv.server), a->target->host, a->srv.tls_ctx,
    a->options.insecure, rp_runner_get_context (rp_check_get_runner (a->unauth)));

  if (a->target->transport == RP_TRANSPORT_UDP)
    rp_stun_client_set_timer (stun, 250000, 5, 4);
  a->turn6 = rp_turn_client_new (stun, creds->username, creds->password);
  rp_stun_client_connect (stun, on_connected6, a);
}

static void
on_allocate (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  Audit *a = data;

  if (rp_check_is_finished (a->unauth))
    return;
  if (!res->success && res->outcome == RP_STUN_TXN_RESPONSE && !a->retried_ipv4) {
    /* A server that refuses the dual request outright is audited on an
     * IPv4 relay: its IPv6 peers are then not applicable. */
    a->retried_ipv4 = TRUE;
    a->no_v6_why = g_strdup_printf ("the server refused the audit's dual Allocate (%u) and gave "
                                    "an IPv4 relay only", res->error_code);
    rp_turn_client_allocate (turn, on_allocate, a);
    return;
  }
  if (!res->success) {
    g_autofree char *why =
      g_strdup_printf ("the audit's own allocation failed (%u %s): see turn.*.allocate",
                       res->error_code, res->error_reason ? res->error_reason : "");
    skip_categories (a, why);
    rp_check_finish (a->unauth);
    return;
  }
  note_relays (a);
  if (!a->v6_relay && a->no_v6_why == NULL) {
    start_ipv6_allocation (a);
    return;
  }
  start_probes (a);
}

static void
on_unauthenticated (RpTurnClient *turn, const RpTurnResult *res, gpointer data)
{
  Audit *a = data;
  RpCheckResult *r = rp_check_get_result (a->unauth);
  const RpTurnCreds *creds = rp_turn_plan_get_creds (a->plan);

  if (rp_check_is_finished (a->unauth))
    return;
  if (res->success) {
    a->open_server = TRUE;
    rp_check_result_set (r, RP_STATUS_FAIL, "the server allocates relays without credentials");
    rp_check_result_set_hint (
      r, "anyone on the internet can relay through this server, into its own network too: "
         "enable lt-cred-mech, or use-auth-secret with static-auth-secret, in turnserver.conf");
    note_relays (a);
    start_probes (a);   /* the open allocation is the one to audit */
    return;
  }
  if (res->outcome == RP_STUN_TXN_RESPONSE && res->error_code == RP_TURN_ERR_UNAUTHORIZED) {
    rp_check_result_set (r, RP_STATUS_PASS, "an Allocate without credentials is refused (401)");
  } else if (res->outcome != RP_STUN_TXN_RESPONSE && a->current + 1 < a->targets->len) {
    /* This transport does not reach the server from here: audit through the next one. */
    rp_check_result_detail_str (r, "unreachable_via", a->target->uri);
    a->current++;
    try_target (a);
    return;
  } else {
    RpTurnContext ctx = { a->target->transport, a->srv.server_str, creds, NULL };
    rp_explain_turn_failure (r, "Allocate", res, &ctx,
                             rp_stun_client_get_info (rp_turn_client_get_stun (turn)));
    skip_categories (a, "the server could not be reached for the audit");
    rp_check_finish (a->unauth);
    return;
  }
  if (creds->kind == RP_CREDS_NONE) {
    skip_categories (a, "peer permissions need an allocation: give credentials");
    rp_check_finish (a->unauth);
    return;
  }
  /* RFC 8656 7.3: one relay per family, so IPv6 peers can be audited too */
  rp_turn_client_allocate_family (turn, RP_TURN_FAMILY_DUAL, on_allocate, a);
}

static void
on_connected (RpStunClient *client, RpStunNetStatus status, const char *reason, gpointer data)
{
  Audit *a = data;

  if (rp_check_is_finished (a->unauth))
    return;
  if (status != RP_STUN_NET_OK) {
    RpTurnResult res = { .outcome = RP_STUN_TXN_NET, .net = status, .reason = reason };
    on_unauthenticated (a->turn, &res, a);
    return;
  }
  rp_turn_client_probe_unauthenticated (a->turn, on_unauthenticated, a);
}

static void
on_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  Audit *a = rp_check_get_state (check);
  GList *addrs = NULL;
  const RpTurnCreds *creds = rp_turn_plan_get_creds (a->plan);
  RpStunClient *stun;

  switch (rp_check_resolve_finish (check, res, a->target->host, a->options.family, &addrs)) {
  case RP_RESOLVE_LATE:
    return;
  case RP_RESOLVE_FAILED:
    skip_categories (a, "the TURN server's name does not resolve");
    rp_check_finish (check);
    return;
  case RP_RESOLVED:
    break;
  }
  rp_server_target_set_address (&a->srv, addrs->data, a->target->port);
  g_resolver_free_addresses (addrs);
  stun = rp_stun_client_new (a->target->transport, G_SOCKET_ADDRESS (a->srv.server),
                             a->target->host, a->srv.tls_ctx, a->options.insecure,
                             rp_runner_get_context (rp_check_get_runner (check)));
  /* Over UDP, give up after 4.75 s rather than RFC 8489's 39.5 s, so the
   * audit can still move on to TCP or TLS within its deadline. */
  if (a->target->transport == RP_TRANSPORT_UDP)
    rp_stun_client_set_timer (stun, 250000, 5, 4);
  a->turn = rp_turn_client_new (stun, creds->username, creds->password);
  rp_stun_client_connect (stun, on_connected, a);
}

/* Connects to targets[current]: TLS context, resolution, then the probe. */
static void
try_target (Audit *a)
{
  RpCheck *check = a->unauth;

  a->target = g_ptr_array_index (a->targets, a->current);
  g_clear_pointer (&a->turn, rp_turn_client_free);
  g_clear_pointer (&a->turn6, rp_turn_client_free);
  rp_server_target_clear (&a->srv);
  rp_server_target_init (&a->srv, a->target, &a->options);
  /* The result names the URI the audit actually went through. */
  g_free (rp_check_get_result (check)->target);
  rp_check_get_result (check)->target = g_strdup (a->target->uri);
  {
    g_autoptr (GError) error = NULL;
    if (!rp_server_target_prepare_tls (&a->srv, &error)) {
      rp_check_result_set (rp_check_get_result (check), RP_STATUS_FAIL, "%s", error->message);
      skip_categories (a, "TLS could not be set up");
      rp_check_finish (check);
      return;
    }
  }
  rp_resolve_async (a->target->host, a->options.family, rp_check_get_cancellable (check),
                    on_resolved, rp_check_ref (check));
}

static void
audit_start (RpCheck *check)
{
  Audit *a = rp_check_get_state (check);

  a->unauth = check;
  try_target (a);
}

static void
audit_expire (RpCheck *check)
{
  Audit *a = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (r->summary == NULL || *r->summary == '\0')
    rp_explain_deadline (
      r, a->target->transport, a->srv.server_str, a->target->port, "TURN Allocate",
      a->turn != NULL ? rp_stun_client_get_info (rp_turn_client_get_stun (a->turn)) : NULL);
  /* Categories whose permissions all answered still get their verdict. */
  for (guint c = 0; c < G_N_ELEMENTS (categories); c++) {
    gboolean complete = a->probes->len > 0;
    for (guint i = 0; i < a->probes->len; i++) {
      Probe *p = g_ptr_array_index (a->probes, i);
      if (p->category == c && p->state == PEER_PENDING)
        complete = FALSE;
    }
    if (complete && !rp_check_is_finished (a->checks[c]))
      write_category (a, c);
  }
  skip_categories (a, "the run ended before the server answered");
}

static const RpCheckClass audit_class = { audit_start, audit_expire, audit_free };

static void category_start (RpCheck *check) {}

static void
category_expire (RpCheck *check)
{
  rp_check_result_set (rp_check_get_result (check), RP_STATUS_SKIP,
                       "not audited before the deadline");
}

static const RpCheckClass category_class = { category_start, category_expire, NULL };

void
rp_check_turn_audit_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                         GPtrArray *targets)
{
  Audit *a = g_new0 (Audit, 1);
  const RpTarget *first = g_ptr_array_index (targets, 0);

  a->plan = rp_turn_plan_ref (plan);
  a->targets = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_target_free);
  for (guint i = 0; i < targets->len; i++) {
    RpTarget *t = rp_target_parse (((RpTarget *) g_ptr_array_index (targets, i))->uri, NULL);
    if (t != NULL)
      g_ptr_array_add (a->targets, t);
  }
  a->options = *options;
  a->ca_file = g_strdup (options->ca_file);
  a->options.ca_file = a->ca_file;
  a->target = g_ptr_array_index (a->targets, 0);
  a->probes = g_ptr_array_new_with_free_func (probe_free);
  a->next_channel = FIRST_CHANNEL;
  rp_runner_add (runner, rp_check_result_new ("audit.unauthenticated", "audit", first->uri),
                 AUDIT_TIMEOUT_US, &audit_class, a);
  for (guint c = 0; c < G_N_ELEMENTS (categories); c++) {
    g_autofree char *id = g_strdup_printf ("audit.%s", categories[c].id);
    a->checks[c] =
      rp_check_ref (rp_runner_add (runner, rp_check_result_new (id, "audit", first->uri),
                                   AUDIT_TIMEOUT_US, &category_class, NULL));
  }
}
