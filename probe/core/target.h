/* Targets as users write them: the URIs of RFC 7064 (stun:, stuns:) and
 * RFC 7065 (turn:, turns: with ?transport=), and http(s):/ws(s): URLs.
 * Pure parsing: no resolution, no I/O. */
#pragma once

#include <glib.h>

#include "stun/stun-types.h"

G_BEGIN_DECLS

typedef enum {
  RP_SCHEME_STUN,
  RP_SCHEME_STUNS,
  RP_SCHEME_TURN,
  RP_SCHEME_TURNS,
  RP_SCHEME_HTTP,
  RP_SCHEME_HTTPS,
  RP_SCHEME_WS,
  RP_SCHEME_WSS,
} RpScheme;

const char *rp_transport_to_string (RpTransport t);   /* "udp", "tcp", "tls" */
const char *rp_scheme_to_string (RpScheme s);         /* "stun", "turns", ... */

typedef struct {
  RpScheme scheme;
  char *host;              /* name or literal, IPv6 without brackets, never empty */
  gboolean host_is_ip;     /* an IPv4 or IPv6 literal */
  guint16 port;            /* explicit or the scheme's default (3478, 5349, 80, 443) */
  gboolean port_explicit;
  RpTransport
    transport; /* stun/turn: udp unless ?transport=tcp; stuns/turns: tls; http(s)/ws(s): tcp/tls */
  gboolean transport_explicit;
  char *path;              /* http(s)/ws(s) only: "/" when absent; NULL otherwise */
  char *query;             /* http(s)/ws(s) only, without '?'; NULL when absent */
  char *uri;               /* normalised form, as the user would write it */
} RpTarget;

/* G_IO_ERROR_INVALID_ARGUMENT with a one-line message naming what is wrong
 * ("turn URI: port 70000 out of range", "stuns: ?transport= is not allowed"). */
RpTarget *rp_target_parse (const char *text, GError **error);
void rp_target_free (RpTarget *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpTarget, rp_target_free)

/* host:port for display: "[::1]:3478" or "example.org:3478" (new string). */
char *rp_target_hostport (const RpTarget *t);

G_END_DECLS
