/* Decisions of the `http` checks that need no network: parsing what a server
 * sent (Strict-Transport-Security, JSON bodies, CORS headers), classifying
 * redirects and status codes, and turning curl's cumulative timestamps into
 * phases. Everything here is pure (text in, verdict out) so it is table-tested
 * and fuzzed; the checks in check-http.c only feed it. */
#pragma once

#include <json-glib/json-glib.h>

#include "common/result.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------ HSTS */

/* RFC 6797 6.1.1: 180 days, what the runbook and hstspreload.org ask for. */
#define RP_HSTS_MIN_MAX_AGE G_GINT64_CONSTANT (15552000)

typedef struct {
  gint64 max_age;             /* seconds, capped at G_MAXINT64 */
  gboolean include_subdomains;
  gboolean preload;
} RpHsts;

/* RFC 6797 6.1: FALSE (with a reason in *error, one line) when the value is
 * malformed; a user agent then ignores the header altogether. */
gboolean rp_hsts_parse (const char *value, RpHsts *hsts, char **error);

/* http.<host>.hsts: value is the first Strict-Transport-Security header of an
 * HTTPS response (RFC 6797 8.1: only the first counts), NULL when absent. */
void rp_hsts_judge (RpCheckResult *r, const char *value, guint n_headers);

/* ------------------------------------------------------------ redirects */

typedef enum {
  RP_REDIRECT_TO_HTTPS,        /* 3xx to https:// (same or other host) */
  RP_REDIRECT_TO_HTTP,         /* 3xx, but to another http:// URL */
  RP_REDIRECT_NO_LOCATION,     /* 3xx without a usable Location */
  RP_REDIRECT_CLEARTEXT,       /* 2xx: served in clear */
  RP_REDIRECT_ERROR_STATUS,    /* 1xx, 304, 4xx, 5xx */
} RpRedirectKind;

/* location: the absolute URL curl resolved from Location, or NULL. */
RpRedirectKind rp_redirect_classify (long status, const char *location);
/* http.<host>.redirect from the answer to GET http_url. */
void rp_redirect_judge (RpCheckResult *r, const char *http_url, long status, const char *location);

/* RFC 6454 4: do two absolute URLs have one origin (scheme, host, port; a
 * missing port is the scheme's default)? Custom request headers go only to
 * the origin they were given for, as curl does since CVE-2022-27776. FALSE
 * when either URL does not parse or has no host. */
gboolean rp_http_same_origin (const char *a, const char *b);
/* A redirect from an https:// URL to an http:// one: a downgrade to cleartext. */
gboolean rp_http_is_downgrade (const char *from, const char *to);
/* The scheme of location (the Location header as sent; lower case, interned),
 * or NULL when it is relative or its scheme is http or https: a scheme the
 * probe refuses to follow (data:, javascript:, file:, ...). */
const char *rp_http_refused_scheme (const char *location);

/* ------------------------------------------------------------ status codes */

/* The final status of http.<n> (after redirects): pass for 2xx, otherwise a
 * fail with the operator's likely cause. */
void rp_http_status_judge (RpCheckResult *r, const char *url, long status);

/* A file endpoint (the runbook's /api/v1/files/:hash, or anything that is
 * neither HTML nor JSON): its cache headers are evidence worth reporting. */
gboolean rp_http_is_file_endpoint (const char *path, const char *content_type);

/* ------------------------------------------------------------ JSON */

typedef enum {
  RP_JSON_MATCH,
  RP_JSON_MISMATCH,            /* *found: the value as text, quoted if a string */
  RP_JSON_MISSING,             /* *found: the path that exists ("data", or "" for the root) */
  RP_JSON_NOT_CONTAINER,       /* *found: the prefix that is a scalar where an object was needed */
} RpJsonMatch;

/* Dotted path lookup (data.db.status; a numeric segment indexes an array).
 * NULL when absent; *reached says how far the path exists. */
JsonNode *rp_json_lookup (JsonNode *root, const char *path, guint *reached);
/* The node as --expect-json compares it: strings as is, numbers by text,
 * true/false/null; objects and arrays as "an object"/"an array" (quoted:
 * strings in double quotes, for messages). */
char *rp_json_node_text (JsonNode *node, gboolean quoted);
RpJsonMatch rp_json_expect (JsonNode *root, const char *path, const char *expected, char **found);

/* Every KEY=VALUE of expect against body (len bytes, not NUL-terminated).
 * Adds the outcome to r without touching a status it does not worsen:
 * on success r is left alone (and TRUE returned); otherwise a fail naming
 * what was found. */
gboolean rp_json_judge (RpCheckResult *r, const char *content_type, const char *body, gsize len,
                        char *const *expect);

/* A short, printable, quoted excerpt of a body for messages ("OK"). */
char *rp_body_excerpt (const char *body, gsize len, gsize max);

/* ------------------------------------------------------------ CORS */

typedef struct {
  gboolean answered;           /* an HTTP response came back */
  long status;
  const char *acao;            /* Access-Control-Allow-Origin, or NULL */
  const char *acac;            /* Access-Control-Allow-Credentials, or NULL */
  const char *acam;            /* Access-Control-Allow-Methods (preflight), or NULL */
  const char *error;           /* when !answered: why */
} RpCorsAnswer;

/* Does a browser at origin get to read this answer? (Fetch standard,
 * CORS check: ACAO is the origin byte for byte, or `*` without credentials.) */
gboolean rp_cors_allows (const RpCorsAnswer *a, const char *origin);

/* http.cors: get = GET with Origin: origin; preflight = OPTIONS with
 * Access-Control-Request-Method: GET; foreign = GET with foreign_origin. */
void rp_cors_judge (RpCheckResult *r, const char *origin, const char *foreign_origin,
                    const RpCorsAnswer *get, const RpCorsAnswer *preflight,
                    const RpCorsAnswer *foreign);

/* ------------------------------------------------------------ timing */

/* curl's CURLINFO_*_TIME_T: microseconds from the start of the transfer to
 * the end of each step, cumulative; 0 when the step has not happened (or
 * was skipped: a reused connection, an IP literal). */
typedef struct {
  gint64 namelookup, connect, appconnect, pretransfer, starttransfer, total;
} RpHttpTimes;

/* Phase durations in microseconds, each step on its own (not cumulative):
 * dns, connect (TCP), tls (handshake), ttfb (request sent to first response
 * byte, the server's think time plus one round trip), total (the whole
 * transfer, the only cumulative one). */
typedef struct {
  gint64 dns, connect, tls, ttfb, total;
} RpHttpPhases;

void rp_http_phases (const RpHttpTimes *t, RpHttpPhases *p);

G_END_DECLS
