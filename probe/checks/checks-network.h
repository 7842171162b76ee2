/* The checks the commands put on the runner. Each adds one or more checks
 * (and may add more as results come in: a resolved name adds its port
 * checks). */
#pragma once

#include "probe/core/options.h"
#include "probe/core/portlist.h"
#include "probe/core/runner.h"
#include "probe/core/target.h"

G_BEGIN_DECLS

/* Called once the name resolved (addresses: GInetAddress list, borrowed). */
typedef void (*RpResolvedFunc) (RpRunner *runner, GList *addresses, gpointer user_data);

/* A `dns` check for host, unless it is a literal; on success calls func. */
void rp_check_dns_add (RpRunner *runner, const RpProbeOptions *options, const char *host,
                       RpResolvedFunc func, gpointer user_data, GDestroyNotify destroy);

/* `ports HOST`: dns, then one `port` check per address and port. */
void rp_check_ports_add (RpRunner *runner, const RpProbeOptions *options, const char *host,
                         GArray *ports);

/* What the deployment uses a runbook port for ("TURN over TLS (coturn)"),
 * or NULL. */
const char *rp_port_role (guint16 port, RpPortProto proto);

/* After the run: for each port tested on both an IPv4 and an IPv6 address
 * of one name, a `port.<port>/<proto>.families` result (both open, or the
 * family that is closed or filtered named with its fix), inserted before
 * the port's first row. Returns how many were added. */
guint rp_family_findings_add (GPtrArray *checks);

/* `stun URI`: one `stun.<transport>` check per target, and for UDP a `nat`
 * check (RFC 5780) when the server offers OTHER-ADDRESS. ids_unique: FALSE
 * when several targets share a transport (ids then carry host:port). */
void rp_check_stun_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                        gboolean ids_unique);

/* The same; families (`check`): where the name has A and AAAA records, the
 * check takes the first address and a sibling `<id>.ipv4` / `<id>.ipv6` the
 * other family's first, each with details family, state, port and host for
 * the family comparison (rp_family_findings_add). */
void rp_check_stun_add_families (RpRunner *runner, const RpProbeOptions *options,
                                 const RpTarget *target, gboolean ids_unique, gboolean families);

G_END_DECLS

G_BEGIN_DECLS
/* `nat`: RFC 5780 mapping and filtering behaviour through the server at
 * primary, whose OTHER-ADDRESS is other (NULL: a skip saying why). */
void rp_check_nat_add (RpRunner *runner, const RpProbeOptions *options, const char *id,
                       const char *target, GInetSocketAddress *primary, GInetSocketAddress *other);
G_END_DECLS
