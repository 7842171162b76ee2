/* The web tier's checks: HTTPS endpoints through libcurl (check-http.c and
 * its helpers) and websocket upgrades through libwebsockets, with Engine.IO /
 * Socket.IO and LiveKit signalling (check-ws.c and its helpers). */
#pragma once

#include "probe/core/options.h"
#include "probe/core/runner.h"
#include "probe/core/target.h"

G_BEGIN_DECLS

typedef struct {
  char **expect_json;       /* "KEY=VALUE" with dotted keys, NULL-terminated, or NULL */
  char *origin;             /* --origin URL for the CORS check, or NULL */
  char **headers;           /* extra "K: V" request headers, or NULL */
  const char *kind;         /* the result's kind: NULL for "http", "file" for a file endpoint */
} RpHttpOptions;

/* `http URL`: http.<n> (status, redirects, phases, TLS), and per host
 * https hygiene (http.<host>.redirect, http.<host>.hsts), CORS when an origin
 * is given. index numbers the URL on the command line (ids stay unique). */
void rp_check_http_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                        const RpHttpOptions *http, guint index);

typedef struct {
  double hold_s;            /* --hold: idle time to watch for, 0 = none */
  char **headers;           /* extra "K: V" headers for the upgrade, or NULL */
  gboolean engineio;        /* --engineio (also automatic for /socket.io/ paths) */
  gboolean livekit;         /* --livekit: treat the URL as LiveKit signalling */
  char *livekit_key;        /* --livekit-key */
  char *livekit_secret_file;/* --livekit-secret-file (or RTCPROBE_LIVEKIT_SECRET) */
} RpWsOptions;

/* `ws URL`: ws.<n> (upgrade, accept key, RTT, hold), Engine.IO/Socket.IO
 * results when the URL is a Socket.IO endpoint, LiveKit results with --livekit. */
void rp_check_ws_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                      const RpWsOptions *ws, guint index);

G_END_DECLS
