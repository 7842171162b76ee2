/* ICE candidates as plain values: what an agent gathered (with the time it
 * took), what goes to the peer in signalling (the SDP "candidate:" attribute
 * of RFC 8839 5.1, the same string a browser puts in an RTCIceCandidate), and
 * the filters a relay-only client applies before signalling. Pure: no
 * sockets, no libnice, no printing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  RP_ICE_CAND_HOST,
  RP_ICE_CAND_SRFLX,
  RP_ICE_CAND_PRFLX,
  RP_ICE_CAND_RELAY,
} RpIceCandType;

typedef enum {
  RP_ICE_CAND_UDP,
  RP_ICE_CAND_TCP_ACTIVE,
  RP_ICE_CAND_TCP_PASSIVE,
  RP_ICE_CAND_TCP_SO,
} RpIceCandTransport;

#define RP_ICE_FOUNDATION_MAX 33   /* RFC 8445 5.1.1.3: 1 to 32 ice-chars */
#define RP_ICE_ADDR_MAX 46         /* INET6_ADDRSTRLEN */

typedef struct {
  RpIceCandType type;
  RpIceCandTransport transport;
  char foundation[RP_ICE_FOUNDATION_MAX];
  guint component;
  guint32 priority;
  char addr[RP_ICE_ADDR_MAX];
  guint16 port;
  char raddr[RP_ICE_ADDR_MAX];     /* related address (base / mapped), "" when none */
  guint16 rport;
  gint64 gathered_us;               /* local: since gathering started; -1 when unknown */
} RpIceCandidate;

/* "host", "srflx", "prflx", "relay" (the SDP typ values). */
const char *rp_ice_cand_type_to_string (RpIceCandType t);
gboolean rp_ice_cand_type_from_string (const char *s, RpIceCandType *out);
/* "udp", "tcp-active", "tcp-passive", "tcp-so" (for people; SDP says "tcp" + tcptype). */
const char *rp_ice_cand_transport_to_string (RpIceCandTransport t);

/* "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host" (RFC 8839 5.1:
 * raddr/rport for every type but host, tcptype for TCP). New string. */
char *rp_ice_candidate_to_sdp (const RpIceCandidate *c);
/* Parses that form, with or without the "a=" and "candidate:" prefixes;
 * unknown extension attributes (generation, ufrag, network-id) are skipped.
 * G_IO_ERROR_INVALID_DATA with what is wrong. gathered_us is set to -1. */
gboolean rp_ice_candidate_from_sdp (const char *line, RpIceCandidate *out, GError **error);

/* For reports: "relay udp 127.0.0.1:50000 prio 16777215 at 12.345 ms"
 * (the time only when known). */
char *rp_ice_candidate_describe (const RpIceCandidate *c);
/* The describe() strings of an array of RpIceCandidate joined with "; ". */
char *rp_ice_candidates_describe (const GArray *cands);

/* How many candidates of a type. */
guint rp_ice_candidates_count (const GArray *cands, RpIceCandType type);
/* A new array with the candidates of that type only, in order: what a
 * relay-only client (iceTransportPolicy "relay") signals. */
GArray *rp_ice_candidates_filter_type (const GArray *cands, RpIceCandType type);

G_END_DECLS
