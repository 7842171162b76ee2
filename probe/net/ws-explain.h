/* Operator words for websocket findings: a refused or failed upgrade, an
 * idle connection cut by a proxy, a stalled phase. Shared by the `ws` check
 * and the LiveKit checks so both say the same thing the same way. */
#pragma once

#include "common/result.h"
#include "probe/net/ws-client.h"

G_BEGIN_DECLS

/* The nginx lines that let websocket upgrades through a proxy. */
#define RP_WS_NGINX_UPGRADE_LINES                                                                  \
  "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "   \
  "\"upgrade\";"

/* Evidence of the connection as details/metrics (timings, TLS, headers). */
void rp_ws_explain_details (RpCheckResult *r, const RpWsInfo *info, gboolean insecure);

/* The connection or the upgrade failed: status FAIL, summary and hint by
 * phase and HTTP status. server: "host:port" for sentences. */
void rp_ws_explain_failure (RpCheckResult *r, const RpWsInfo *info, const char *server,
                            const char *host);

/* An upgraded connection closed while idle after held_s seconds.
 * ping_interval_ms: the server's Engine.IO pingInterval, or -1. */
void rp_ws_explain_hold_close (RpCheckResult *r, const RpWsInfo *info, double held_s,
                               gint64 ping_interval_ms);

/* The deadline passed in phase (what was awaited when open, e.g. "the
 * Engine.IO open packet"). */
void rp_ws_explain_deadline (RpCheckResult *r, const RpWsInfo *info, const char *server,
                             guint16 port, const char *awaiting);

G_END_DECLS
