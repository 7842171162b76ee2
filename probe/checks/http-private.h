/* Shared by the files of the `http` command: check-http.c (the per-URL
 * check and the entry point), http-hygiene.c (per-host redirect and HSTS),
 * http-cors.c (CORS with --origin), http-explain.c (transport failures in
 * operator words). Not for other commands: they use web-checks.h. */
#pragma once

#include "probe/net/http-transfer.h"
#include "probe/checks/checks-web.h"

G_BEGIN_DECLS

/* Each http check's budget (all hops of one URL); --timeout caps it. */
#define RP_HTTP_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* What the CORS check sends as a site that must not be allowed. */
#define RP_HTTP_FOREIGN_ORIGIN "https://rtcprobe-foreign-origin.invalid"

/* Registers target's host for http.<host>.redirect and http.<host>.hsts:
 * the first URL of a host adds both checks; later URLs of the same host
 * only tell them which http:// and https:// URLs the user gave. */
void rp_http_hygiene_register (RpRunner *runner, const RpProbeOptions *options,
                               const RpTarget *target);

/* http.cors (index 0) or http.cors.<index> for one URL. */
void rp_http_cors_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                       const RpHttpOptions *http, guint index);

/* The transfer ended without an HTTP answer (code != CURLE_OK): a fail with
 * what went wrong and the likely fix. port: the URL's port. */
void rp_http_explain_failure (RpCheckResult *r, const RpHttpTransfer *t, CURLcode code,
                              const char *host, guint16 port);
/* The deadline passed during t (NULL: before it started): which phase stalled. */
void rp_http_explain_stall (RpCheckResult *r, const RpHttpTransfer *t, const char *host,
                            guint16 port);
/* dns_ms, connect_ms, tls_ms, ttfb_ms of t (phases, see RpHttpPhases). */
void rp_http_phase_metrics (RpCheckResult *r, const RpHttpTransfer *t);

G_END_DECLS
