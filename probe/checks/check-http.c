/* The `http` check for one URL: GET through libcurl on the run's loop,
 * following up to five redirects by hand so that every hop's status and URL
 * is evidence, then the verdict on the final answer: status code, the
 * certificate of the user's host (verified by us, so --insecure still says
 * what would fail), --expect-json against the body, and cache headers for
 * file endpoints. The per-host hygiene checks and CORS are added from here
 * (http-hygiene.c, http-cors.c). */
#include <openssl/x509_vfy.h>
#include <string.h>

#include "probe/checks/http-private.h"
#include "probe/core/explain.h"
#include "probe/core/resolve.h"
#include "probe/net/http-tls.h"
#include "common/tls-client.h"

#define MAX_REDIRECTS 5
/* Warn this long before a certificate expires: renewals run 30 days ahead,
 * so two weeks left means renewal has been failing for two weeks. */
#define CERT_WARN_DAYS 14.0
/* A request pinned to one family gets this long: a filtered family shows
 * as silence, and the URL's own check must not wait for it. */
#define FAMILY_PROBE_US (5 * G_USEC_PER_SEC)

/* One family of a dual-stack name, fetched on its own (headers only, no
 * --header lines, verification off: the certificate is compared, and the
 * URL's own check judges trust). */
typedef struct {
  char family[5];           /* "ipv4" / "ipv6" */
  char *address;
  RpHttpTransfer *xfer;
  gboolean done;
  gboolean answered;
  long status;
  double connect_ms;
  char *leaf_sha256;
  char *error;
} FamilyProbe;

typedef struct {
  RpProbeOptions options;
  char *ca_file;
  char *host;               /* of the URL given */
  char *url;                /* the URL given: custom headers go only to its origin */
  guint16 port;
  char *path;
  char **expect_json;
  char **headers;
  RpHttpTransfer *xfer;     /* the hop in flight or the final one */
  char *hop_host;
  guint16 hop_port;
  GString *chain;           /* "301 https://a/ -> 200 https://b/" */
  guint hops;
  gint64 earlier_us;        /* total time of the hops before the current one */
  RpHttpCert cert;          /* of the first HTTPS hop */
  gboolean cert_seen;
  long insecure_failure;    /* with --insecure: what verification would have said */
  char *insecure_host;
  char *verify_error;       /* curl's words when it refused the certificate */
  /* Dual stack: both families tried on their own beside the happy-eyeballs
   * request; the check finishes once all of them have. */
  gboolean resolving;
  gboolean main_done;
  guint n_families;         /* 0 (one family, a literal, -4/-6) or 2 */
  FamilyProbe fam[2];       /* [0] the family the resolver puts first */
  char *winner;             /* the family of the first hop's connection */
  double main_connect_ms;
} HttpState;

static void
family_probe_clear (FamilyProbe *f)
{
  rp_http_transfer_free (f->xfer);
  g_free (f->address);
  g_free (f->leaf_sha256);
  g_free (f->error);
}

static void
http_state_free (gpointer data)
{
  HttpState *s = data;

  rp_http_transfer_free (s->xfer);
  for (guint i = 0; i < G_N_ELEMENTS (s->fam); i++)
    family_probe_clear (&s->fam[i]);
  g_free (s->winner);
  rp_http_cert_clear (&s->cert);
  g_string_free (s->chain, TRUE);
  g_strfreev (s->expect_json);
  g_strfreev (s->headers);
  g_free (s->ca_file);
  g_free (s->host);
  g_free (s->url);
  g_free (s->path);
  g_free (s->hop_host);
  g_free (s->insecure_host);
  g_free (s->verify_error);
  g_free (s);
}

static void on_hop_done (RpHttpTransfer *t, CURLcode code, gpointer data);
static void on_evidence_done (RpHttpTransfer *t, CURLcode code, gpointer data);

/* evidence: a second look at a certificate curl refused. curl 7.88 fills
 * CURLINFO_CERTINFO only after verification passed, so the chain is fetched
 * again with verification off, stopping after the headers and without the
 * user's --header lines: nothing is sent that the refused server should not
 * see, and the report still gets subject, SAN, days left and OpenSSL's
 * exact reason. */
static gboolean
start_hop (RpCheck *check, const char *url, gboolean evidence)
{
  HttpState *s = rp_check_get_state (check);
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  RpHttpRequest req = { 0 };

  g_free (s->hop_host);
  s->hop_host =
    g_strdup (uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : s->host);
  s->hop_port = uri != NULL && g_uri_get_port (uri) > 0 ? g_uri_get_port (uri)
                : scheme != NULL && g_ascii_strcasecmp (scheme, "http") == 0 ? 80 : 443;
  req.url = url;
  /* Like curl since CVE-2022-27776: credentials a user adds with --header
   * go only to the origin they were given for (scheme, host and port), not
   * to a CDN, another port of the same host or a cleartext URL. */
  req.headers = !evidence && rp_http_same_origin (url, s->url) ? s->headers : NULL;
  req.ca_file = s->ca_file;
  req.verify = !s->options.insecure && !evidence;
  req.family = s->options.family;
  req.body_cap = evidence ? 0 : RP_HTTP_BODY_CAP;
  req.deadline_us = rp_check_get_deadline_us (check);
  rp_http_transfer_free (s->xfer);
  s->xfer = rp_http_transfer_new (&req);
  return rp_http_transfer_start (s->xfer, rp_runner_get_context (rp_check_get_runner (check)),
                                 evidence ? on_evidence_done : on_hop_done, check);
}

/* Certificate of this hop: evidence for the first HTTPS hop, and what
 * verification found. Returns the verification result (X509_V_OK when it
 * could not be evaluated: curl's own verdict then stands). */
static long
evaluate_cert (RpCheck *check, RpHttpTransfer *t)
{
  HttpState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  struct curl_certinfo *ci = NULL;
  RpHttpCert cert = { 0 };
  g_autoptr (GError) error = NULL;
  long v;

  if (g_ascii_strncasecmp (t->url, "https:", 6) != 0 ||
      curl_easy_getinfo (t->easy, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL ||
      ci->num_of_certs == 0)
    return X509_V_OK;
  if (!rp_http_cert_evaluate (ci, s->hop_host, s->ca_file, &cert, &error)) {
    rp_check_result_detail_str (r, "cert_error", error->message);
    rp_http_cert_clear (&cert);
    return X509_V_OK;
  }
  v = cert.verify_result;
  if (!s->cert_seen) {
    s->cert_seen = TRUE;
    s->cert = cert;
    rp_http_cert_details (r, &s->cert, g_get_real_time () / G_USEC_PER_SEC);
  } else {
    rp_http_cert_clear (&cert);
  }
  if (v != X509_V_OK && s->insecure_host == NULL) {
    s->insecure_failure = v;
    s->insecure_host = g_strdup (s->hop_host);
  }
  return v;
}

static void
tls_untrusted (RpCheck *check, long v)
{
  HttpState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  g_autofree char *reason = NULL;

  /* Our own evaluation names the failure; when it could not run (no chain
   * from curl), curl's error text still does. */
  if (v == X509_V_OK)
    v = rp_http_tls_code_from_error (s->verify_error);
  reason = rp_tls_verify_reason (v, s->hop_host);
  rp_check_result_set (r, RP_STATUS_FAIL, "TLS certificate of %s not trusted: %s", s->hop_host,
                       rp_tls_verify_phrase (v));
  rp_check_result_set_hint (r, "%s", reason);
  rp_check_result_detail_bool (r, "tls_verified", FALSE);
  rp_check_result_detail_str (r, "tls_error", rp_tls_verify_tag (v));
  rp_check_result_detail_str (r, "error", s->verify_error);
}

static void
hop_evidence (RpCheckResult *r, RpHttpTransfer *t)
{
  g_autofree char *addr = rp_http_transfer_server_address (t);

  if (addr != NULL) {
    rp_check_result_detail_str (r, "server_address", addr);
    rp_check_result_detail_str (r, "family", rp_address_text_family_tag (addr));
  }
  if (t->tls_version != NULL) {
    rp_check_result_detail_str (r, "tls_version", t->tls_version);
    rp_check_result_detail_str (r, "tls_cipher", t->tls_cipher);
  }
}

static void
file_evidence (RpCheckResult *r, RpHttpTransfer *t)
{
  static const char *const names[] = { "cache-control", "etag", "last-modified",
                                       "content-disposition" };
  curl_off_t len = -1;

  curl_easy_getinfo (t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
  if (len >= 0)
    rp_check_result_detail_int (r, "content_length", len);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
    const char *v = rp_http_transfer_header (t, names[i]);
    g_autofree char *key = g_strdelimit (g_strdup (names[i]), "-", '_');
    if (v != NULL)
      rp_check_result_detail_str (r, key, v);
  }
}

/* The final answer: status, body, certificate. */
static void
judge_final (RpCheck *check, RpHttpTransfer *t, gint64 total_us)
{
  HttpState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  const char *ctype = rp_http_transfer_header (t, "content-type");
  const char *server = rp_http_transfer_header (t, "server");
  const char *version = rp_http_transfer_version (t);
  double days =
    s->cert_seen ? rp_http_cert_days_left (&s->cert, g_get_real_time () / G_USEC_PER_SEC) : 0;
  g_autoptr (GString) sum = g_string_new (NULL);

  rp_check_result_detail_int (r, "status", t->status);
  if (version != NULL)
    rp_check_result_detail_str (r, "http_version", version);
  if (server != NULL)
    rp_check_result_detail_str (r, "server", server);
  if (ctype != NULL)
    rp_check_result_detail_str (r, "content_type", ctype);
  if (rp_http_is_file_endpoint (s->path, ctype))
    file_evidence (r, t);

  if (t->status >= 300 && t->status < 400 && t->status != 304) {
    if (s->hops >= MAX_REDIRECTS)
      rp_check_result_set (r, RP_STATUS_FAIL, "more than %d redirects: %s", MAX_REDIRECTS,
                           s->chain->str);
    else
      rp_check_result_set (r, RP_STATUS_FAIL, "%ld redirect without a usable Location header",
                           t->status);
    rp_check_result_set_hint (
      r, "the redirects loop or never end: check the return/rewrite rules in nginx and the "
         "app's base URL settings (http vs https behind the proxy: X-Forwarded-Proto)");
    return;
  }
  rp_http_status_judge (r, t->url, t->status);
  if (r->status != RP_STATUS_PASS) {
    if (t->body->len > 0) {
      g_autofree char *excerpt = rp_body_excerpt ((const char *) t->body->data, t->body->len, 120);
      rp_check_result_detail_str (r, "body", excerpt);
    }
    return;
  }
  if (s->expect_json != NULL) {
    if (t->body_over) {
      rp_check_result_set (r, RP_STATUS_FAIL, "body is larger than %d KiB: not a health document",
                           RP_HTTP_BODY_CAP / 1024);
      rp_check_result_set_hint (
        r, "--expect-json reads at most 1 MiB: point it at the health endpoint (/health)");
      return;
    }
    if (!rp_json_judge (r, ctype, (const char *) t->body->data, t->body->len, s->expect_json))
      return;
  } else if (t->body_over) {
    rp_check_result_detail_bool (r, "body_truncated", TRUE);
  }
  rp_check_result_detail_int (r, "body_bytes", t->body->len);

  /* rp_http_status_judge left "200 OK" as the summary: build around it */
  g_string_append_printf (sum, "%s in %.1f ms", r->summary, total_us / 1000.0);
  if (s->hops > 0)
    g_string_append_printf (sum, " after %u redirect%s", s->hops, s->hops == 1 ? "" : "s");
  g_string_append_printf (sum, " (%s%s%s)", version ? version : "HTTP", t->tls_version ? ", " : "",
                          t->tls_version ? t->tls_version : "");
  if (s->expect_json != NULL)
    g_string_append (sum, "; JSON as expected");
  if (s->cert_seen && days >= CERT_WARN_DAYS)
    g_string_append_printf (sum, "; certificate valid for %.0f more days", days);
  rp_check_result_set (r, RP_STATUS_PASS, "%s", sum->str);

  if (s->cert_seen && days < 0) {
    rp_check_result_set (r, RP_STATUS_FAIL, "the certificate of %s expired %.1f days ago", s->host,
                         -days);
    rp_check_result_set_hint (r, "%s", rp_tls_verify_reason (X509_V_ERR_CERT_HAS_EXPIRED, s->host));
  } else if (s->insecure_host != NULL) {
    g_autofree char *why = rp_tls_verify_reason (s->insecure_failure, s->insecure_host);
    rp_check_result_set (r, RP_STATUS_WARN,
                         "answers, but the certificate of %s is not trusted (--insecure): %s",
                         s->insecure_host, rp_tls_verify_phrase (s->insecure_failure));
    rp_check_result_set_hint (r, "%s", why);
  } else if (s->cert_seen && days < CERT_WARN_DAYS) {
    rp_check_result_set (r, RP_STATUS_WARN, "%s; but the certificate expires in %.1f days",
                         sum->str, days);
    rp_check_result_set_hint (
      r, "renew it now: certbot renew (and check why automatic renewal did not run: the "
         "certbot timer, the HTTP-01 challenge through nginx, the reload hook)");
  }
}

/* Redirects that are not followed: to a scheme other than http(s) (data:,
 * javascript:, file:), and from https to cleartext http, which would hand
 * the request (and any cookie or token in it) to every network on the way. */
static gboolean
refuse_redirect (RpCheck *check, RpHttpTransfer *t, const char *next)
{
  RpCheckResult *r = rp_check_get_result (check);
  const char *location = rp_http_transfer_header (t, "location");
  const char *scheme = rp_http_refused_scheme (location);

  if (scheme != NULL) {
    g_autofree char *shown = rp_body_excerpt (location, strlen (location), 60);
    rp_check_result_detail_str (r, "location", location);
    rp_check_result_set (r, RP_STATUS_FAIL, "%ld redirect to a %s: URL (%s) refused: only http "
                         "and https are followed", t->status, scheme, shown);
    rp_check_result_set_hint (r, "the server sends clients to %s: instead of a web page; a "
                              "browser refuses that too: fix the Location the app or proxy sets "
                              "for %s", scheme, t->url);
    return TRUE;
  }
  if (next != NULL && rp_http_is_downgrade (t->url, next)) {
    rp_check_result_detail_str (r, "location", next);
    rp_check_result_set (r, RP_STATUS_FAIL, "%ld redirect from https to cleartext http (%s): a "
                         "downgrade, not followed", t->status, next);
    rp_check_result_set_hint (r, "the redirect hands the next request, with its cookies and "
                              "tokens, to every network on the way in clear: make the app and "
                              "proxy redirect to https:// (behind a proxy, the app must trust "
                              "X-Forwarded-Proto)");
    return TRUE;
  }
  return FALSE;
}

/* The family of the happy-eyeballs connection to the URL given, and how
 * long its connect phase took (with the first family's failed attempt, if
 * there was one). */
static void
note_winner (HttpState *s, RpHttpTransfer *t, const RpHttpTimes *times)
{
  g_autofree char *addr = rp_http_transfer_server_address (t);
  RpHttpPhases ph;

  if (addr == NULL || rp_address_text_family_tag (addr) == NULL)
    return;
  s->winner = g_strdup (rp_address_text_family_tag (addr));
  rp_http_phases (times, &ph);
  s->main_connect_ms = times->connect > 0 ? ph.connect / 1000.0 : -1;
}

static void
families_apply (RpCheck *check)
{
  HttpState *s = rp_check_get_state (check);
  RpHttpFamilyView v[2];

  if (s->n_families != 2)
    return;
  for (guint i = 0; i < 2; i++) {
    const FamilyProbe *f = &s->fam[i];
    v[i] = (RpHttpFamilyView) { f->family, f->address, f->answered, f->status,
                                f->done ? f->connect_ms : -1, f->leaf_sha256,
                                f->done ? f->error : "no answer before the deadline" };
  }
  rp_http_families_judge (rp_check_get_result (check), s->host, s->port, &v[0], &v[1], s->winner,
                          s->main_connect_ms);
}

/* The check ends when the URL's request and both families' have. */
static void
maybe_finish (RpCheck *check)
{
  HttpState *s = rp_check_get_state (check);

  if (rp_check_is_finished (check) || !s->main_done || s->resolving)
    return;
  for (guint i = 0; i < s->n_families; i++)
    if (!s->fam[i].done)
      return;
  families_apply (check);
  rp_check_finish (check);
}

static void
main_finish (RpCheck *check)
{
  HttpState *s = rp_check_get_state (check);

  s->main_done = TRUE;
  maybe_finish (check);
}

static void
on_family_done (RpHttpTransfer *t, CURLcode code, gpointer data)
{
  RpCheck *check = data;
  HttpState *s = rp_check_get_state (check);
  FamilyProbe *f = NULL;
  struct curl_certinfo *ci = NULL;
  RpHttpTimes times;
  RpHttpPhases ph;

  if (rp_check_is_finished (check))
    return;
  for (guint i = 0; i < s->n_families; i++)
    if (s->fam[i].xfer == t)
      f = &s->fam[i];
  if (f == NULL)
    return;
  rp_http_transfer_times (t, &times);
  rp_http_phases (&times, &ph);
  f->done = TRUE;
  f->connect_ms = times.connect > 0 ? ph.connect / 1000.0 : -1;
  if (code == CURLE_OK && t->status > 0) {
    f->answered = TRUE;
    f->status = t->status;
  } else if (code == CURLE_OPERATION_TIMEDOUT && times.connect <= 0) {
    f->error = g_strdup_printf ("no answer to the TCP handshake with %s in %.1f s", f->address,
                                FAMILY_PROBE_US / 1e6);
  } else {
    f->error = g_strdup (t->error[0] != '\0' ? t->error : curl_easy_strerror (code));
  }
  if (g_ascii_strncasecmp (t->url, "https:", 6) == 0 &&
      curl_easy_getinfo (t->easy, CURLINFO_CERTINFO, &ci) == CURLE_OK)
    f->leaf_sha256 = rp_http_leaf_sha256 (ci);
  maybe_finish (check);
}

static void
family_start (RpCheck *check, FamilyProbe *f)
{
  HttpState *s = rp_check_get_state (check);
  RpHttpRequest req = { 0 };

  req.url = s->url;
  req.ca_file = s->ca_file;
  req.verify = FALSE;
  req.family = g_str_equal (f->family, "ipv6") ? RP_FAMILY_V6 : RP_FAMILY_V4;
  req.body_cap = 0;
  req.deadline_us =
    MIN (rp_check_get_deadline_us (check), g_get_monotonic_time () + FAMILY_PROBE_US);
  f->connect_ms = -1;
  f->xfer = rp_http_transfer_new (&req);
  if (!rp_http_transfer_start (f->xfer, rp_runner_get_context (rp_check_get_runner (check)),
                               on_family_done, check)) {
    f->done = TRUE;
    f->error = g_strdup ("cannot start the request");
  }
}

/* The name's addresses: with both families, each is fetched on its own. */
static void
on_families_resolved (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (RpCheck) check = data;
  HttpState *s = rp_check_get_state (check);
  g_autoptr (GError) error = NULL;
  GList *addrs = rp_resolve_finish (res, &error);
  GInetAddress *first = NULL, *v4 = NULL, *v6 = NULL;

  s->resolving = FALSE;
  if (rp_check_is_finished (check)) {
    g_resolver_free_addresses (addrs);
    return;
  }
  for (GList *l = addrs; l != NULL; l = l->next) {
    gboolean is6 = g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV6;
    if (first == NULL)
      first = l->data;
    if (is6 && v6 == NULL)
      v6 = l->data;
    if (!is6 && v4 == NULL)
      v4 = l->data;
  }
  if (v4 != NULL && v6 != NULL) {
    GInetAddress *order[2] = { first, first == v4 ? v6 : v4 };
    s->n_families = 2;
    for (guint i = 0; i < 2; i++) {
      g_strlcpy (s->fam[i].family, rp_address_family_tag (order[i]), sizeof s->fam[i].family);
      s->fam[i].address = g_inet_address_to_string (order[i]);
    }
    for (guint i = 0; i < 2; i++)
      family_start (check, &s->fam[i]);
  }
  g_resolver_free_addresses (addrs);
  maybe_finish (check);
}

static void
on_hop_done (RpHttpTransfer *t, CURLcode code, gpointer data)
{
  RpCheck *check = data;
  HttpState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  RpHttpTimes times;
  const char *next;
  long v;

  if (rp_check_is_finished (check))
    return;
  rp_http_transfer_times (t, &times);
  hop_evidence (r, t);
  if (s->hops == 0 && s->winner == NULL)
    note_winner (s, t, &times);
  v = evaluate_cert (check, t);
  if (code != CURLE_OK) {
    if (s->hops > 0)
      rp_check_result_detail_str (r, "redirects", s->chain->str);
    rp_http_phase_metrics (r, t);
    if (code == CURLE_PEER_FAILED_VERIFICATION) {
      s->verify_error = g_strdup (t->error);
      if (v == X509_V_OK) {
        g_autofree char *url = g_strdup (t->url);
        if (start_hop (check, url, TRUE))
          return;
      }
      tls_untrusted (check, v);
    } else
      rp_http_explain_failure (r, t, code, s->hop_host, s->hop_port);
    main_finish (check);
    return;
  }
  g_string_append_printf (s->chain, "%s%ld %s", s->chain->len ? " -> " : "", t->status, t->url);
  next = rp_http_transfer_redirect_url (t);
  if (t->status >= 300 && t->status < 400 && refuse_redirect (check, t, next)) {
    rp_http_phase_metrics (r, t);
    rp_check_result_detail_str (r, "redirects", s->chain->str);
    main_finish (check);
    return;
  }
  if (t->status >= 300 && t->status < 400 && next != NULL && s->hops < MAX_REDIRECTS) {
    g_autofree char *url = g_strdup (next);   /* owned by the handle about to go */
    s->hops++;
    s->earlier_us += times.total;
    if (!start_hop (check, url, FALSE)) {
      rp_check_result_set (r, RP_STATUS_FAIL, "cannot start the request for %s", url);
      main_finish (check);
    }
    return;
  }
  /* Phases are the final hop's; total_ms is what the user waits for, all
   * hops together, and redirect_ms the part spent in earlier hops. */
  rp_http_phase_metrics (r, t);
  rp_check_result_metric (r, "total_ms", (s->earlier_us + times.total) / 1000.0);
  if (s->hops > 0) {
    rp_check_result_metric (r, "redirect_ms", s->earlier_us / 1000.0);
    rp_check_result_detail_str (r, "redirects", s->chain->str);
    rp_check_result_detail_str (r, "final_url", t->url);
  }
  judge_final (check, t, s->earlier_us + times.total);
  main_finish (check);
}

static void
on_evidence_done (RpHttpTransfer *t, CURLcode code, gpointer data)
{
  RpCheck *check = data;
  long v;

  if (rp_check_is_finished (check))
    return;
  hop_evidence (rp_check_get_result (check), t);
  rp_http_phase_metrics (rp_check_get_result (check), t);
  v = code == CURLE_OK ? evaluate_cert (check, t) : X509_V_OK;
  tls_untrusted (check, v);
  main_finish (check);
}

static void
http_start (RpCheck *check)
{
  RpCheckResult *r = rp_check_get_result (check);
  HttpState *s = rp_check_get_state (check);

  /* A name with A and AAAA records: every family is tested (not with -4/-6,
   * which choose one). */
  if (!g_hostname_is_ip_address (s->host) && s->options.family == RP_FAMILY_ANY) {
    s->resolving = TRUE;
    rp_resolve_async (s->host, RP_FAMILY_ANY, rp_check_get_cancellable (check),
                      on_families_resolved, rp_check_ref (check));
  }

  if (!start_hop (check, r->target, FALSE)) {
    rp_check_result_set (r, RP_STATUS_FAIL, "cannot start the request for %s", r->target);
    main_finish (check);
  }
}

static void
http_expire (RpCheck *check)
{
  HttpState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (s->main_done) {
    /* The URL answered; a family did not within the run's budget. */
    families_apply (check);
    return;
  }
  if (s->xfer != NULL && s->xfer->running)
    rp_curl_loop_remove (s->xfer->loop, s->xfer->easy);
  if (s->xfer != NULL)
    s->xfer->running = FALSE;
  rp_http_explain_stall (r, s->xfer, s->hop_host ? s->hop_host : s->host,
                         s->hop_host ? s->hop_port : s->port);
  if (s->hops > 0)
    rp_check_result_detail_str (r, "redirects", s->chain->str);
}

static const RpCheckClass http_class = { http_start, http_expire, http_state_free };

void
rp_check_http_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                   const RpHttpOptions *http, guint index)
{
  HttpState *s = g_new0 (HttpState, 1);
  g_autofree char *id = index > 0 ? g_strdup_printf ("http.%u", index) : g_strdup ("http");

  s->options = *options;
  s->ca_file = g_strdup (options->ca_file);
  s->options.ca_file = s->ca_file;
  s->host = g_strdup (target->host);
  s->url = g_strdup (target->uri);
  s->port = target->port;
  s->path = g_strdup (target->path);
  s->expect_json = g_strdupv (http->expect_json);
  s->headers = g_strdupv (http->headers);
  s->chain = g_string_new (NULL);
  s->main_connect_ms = -1;
  rp_runner_add (runner,
                 rp_check_result_new (id, http->kind != NULL ? http->kind : "http", target->uri),
                 RP_HTTP_TIMEOUT_US, &http_class, s);
  rp_http_hygiene_register (runner, options, target);
  if (http->origin != NULL)
    rp_http_cors_add (runner, options, target, http, index);
}
