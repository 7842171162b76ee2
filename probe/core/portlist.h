/* Port lists as users write them: "80/tcp,443/tcp,50000-50010/udp". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  RP_PROTO_TCP,
  RP_PROTO_UDP,
} RpPortProto;

typedef struct {
  guint16 port;
  RpPortProto proto;
} RpPortSpec;

/* The runbook's ports. */
#define RP_PORTLIST_DEFAULT "80/tcp,443/tcp,3478/udp,3478/tcp,5349/tcp,7880/tcp,7881/tcp,7882/udp"
#define RP_PORTLIST_MAX 1024   /* more than this is a usage error, not a scan */

/* Entries separated by commas and/or whitespace; each PORT/PROTO or LO-HI/PROTO
 * (PROTO tcp or udp, case-insensitive). Duplicates are dropped, order kept.
 * Returns a GArray of RpPortSpec, or NULL with G_IO_ERROR_INVALID_ARGUMENT and a
 * one-line message naming the bad entry. */
GArray *rp_portlist_parse (const char *text, GError **error);
const char *rp_port_proto_to_string (RpPortProto p);

G_END_DECLS
