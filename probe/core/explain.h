/* Operator words for what went wrong: one place that turns connection
 * failures, silence, TLS verification results and TURN error codes into a
 * summary and a hint, so `stun`, `turn` and the audit say the same thing the
 * same way. */
#pragma once

#include "probe/core/credentials.h"
#include "probe/core/options.h"
#include "common/result.h"
#include "probe/core/runner.h"
#include "stun/client/stun-client.h"
#include "stun/client/turn-client.h"

G_BEGIN_DECLS

/* The host name did not resolve: status FAIL, summary, hint, details.error. */
void rp_explain_resolve_failure (RpCheckResult *r, const char *host, RpFamily family,
                                 const GError *error);

typedef enum {
  RP_RESOLVED,        /* *addresses set: the caller frees them (g_resolver_free_addresses) */
  RP_RESOLVE_FAILED,  /* the result already says why; the caller finishes the check */
  RP_RESOLVE_LATE,    /* the check finished meanwhile: nothing to do */
} RpResolveOutcome;

/* The end of a check's rp_resolve_async() callback, shared by every check. */
RpResolveOutcome rp_check_resolve_finish (RpCheck *check, GAsyncResult *res, const char *host,
                                          RpFamily family, GList **addresses);

/* For sentences: "UDP", "TCP", "TLS". */
const char *rp_transport_words (RpTransport t);

/* TLS evidence (version, cipher, verification, certificate, days left). */
void rp_explain_tls_details (RpCheckResult *r, const RpStunClientInfo *info, gboolean insecure);

/* The result's TLS certificate did not verify (details.tls_verified false):
 * the check went on only because of --insecure, and no browser would. */
gboolean rp_explain_tls_untrusted (const RpCheckResult *r);

/* connect() or sendto() failed before any packet left (ENETUNREACH and the
 * like at once): this network has no route to the server's address family.
 * server is "ADDR:PORT" or "[ADDR]:PORT"; the summary names the family. */
void rp_explain_no_route (RpCheckResult *r, const char *server, const char *reason);

/* Asks the routing table (a UDP connect(), nothing sent) whether this
 * machine has a route to server ("ADDR", "ADDR:PORT" or "[ADDR]:PORT"):
 * NULL when it has one or server is no address literal, else the error
 * ("connect: Network is unreachable"), for rp_explain_no_route(). For
 * clients that do not say whether a connect() failed at once (curl,
 * libwebsockets). */
char *rp_explain_route_missing (const char *server);

/* The connection failed (refused, unreachable, TLS, garbage, closed). */
void rp_explain_net_failure (RpCheckResult *r, RpTransport transport, const char *server,
                             RpStunNetStatus net, const char *reason, const RpStunClientInfo *info);

/* No answer to `what` ("STUN Binding", "TURN Allocate") after the retries. */
void rp_explain_silence (RpCheckResult *r, RpTransport transport, const char *server, guint16 port,
                         const char *what, guint requests);

/* The deadline passed before the connection was up, or before `what` was
 * answered; says which phase stalled. */
void rp_explain_deadline (RpCheckResult *r, RpTransport transport, const char *server, guint16 port,
                          const char *what, const RpStunClientInfo *info);

typedef struct {
  RpTransport transport;
  const char *server;           /* ip:port */
  const RpTurnCreds *creds;
  const char *realm;            /* as the server sent it, or NULL */
} RpTurnContext;

/* A TURN request did not succeed: status FAIL, summary, hint, and details
 * (step, error_code, error_reason). */
void rp_explain_turn_failure (RpCheckResult *r, const char *step, const RpTurnResult *res,
                              const RpTurnContext *ctx, const RpStunClientInfo *info);

G_END_DECLS
