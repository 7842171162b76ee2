/* HTTPS hygiene, once per host however many of its URLs are probed:
 * http.<host>.redirect (plain http must redirect to https://) and
 * http.<host>.hsts (Strict-Transport-Security with max-age >= 180 days).
 *
 * Which URLs: the redirect check asks http://host/ on port 80 when the user
 * gave the https URL on its default port. With an explicit https port the
 * plain port cannot be guessed and the check is skipped, unless the user
 * also gave an http:// URL for the same host (http://host:8080/ next to
 * https://host:8443/, as in a lab): that URL is used as given. The HSTS
 * check asks the first https:// URL given for the host (https://host/ when
 * only http://host/ on port 80 was given). Both checks start from the loop,
 * after every URL of the command line has been registered. Certificate
 * trust is the http check's verdict; these two only read headers. */
#include <string.h>

#include "probe/checks/http-private.h"

typedef struct {
  char *host;
  char *http_url;           /* the first http:// URL given for the host */
  char *https_url;          /* the first https:// URL given */
  guint16 https_port;
  gboolean https_port_explicit;
  guint16 http_port;
  gboolean http_port_explicit;
} HostEntry;

/* Hosts seen per runner. Each hygiene check holds a reference; the last one
 * to go drops the registry and its entry in the map. */
typedef struct {
  gatomicrefcount ref;
  RpRunner *runner;
  GHashTable *hosts;        /* host -> HostEntry* */
} Registry;

static GHashTable *registries;  /* RpRunner* -> Registry* (not referenced) */

typedef struct {
  Registry *registry;
  HostEntry *entry;         /* owned by the registry */
  gboolean is_hsts;
  RpProbeOptions options;
  RpHttpTransfer *xfer;
  char *url;
  guint16 port;
} HygieneState;

static void
host_entry_free (gpointer data)
{
  HostEntry *e = data;

  g_free (e->host);
  g_free (e->http_url);
  g_free (e->https_url);
  g_free (e);
}

static Registry *
registry_ref_for (RpRunner *runner)
{
  Registry *reg;

  if (registries == NULL)
    registries = g_hash_table_new (NULL, NULL);
  reg = g_hash_table_lookup (registries, runner);
  if (reg != NULL) {
    g_atomic_ref_count_inc (&reg->ref);
    return reg;
  }
  reg = g_new0 (Registry, 1);
  g_atomic_ref_count_init (&reg->ref);
  reg->runner = runner;
  reg->hosts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, host_entry_free);
  g_hash_table_insert (registries, runner, reg);
  return reg;
}

static void
registry_unref (Registry *reg)
{
  if (!g_atomic_ref_count_dec (&reg->ref))
    return;
  if (g_hash_table_lookup (registries, reg->runner) == reg)
    g_hash_table_remove (registries, reg->runner);
  g_hash_table_unref (reg->hosts);
  g_free (reg);
}

static void
hygiene_state_free (gpointer data)
{
  HygieneState *s = data;

  rp_http_transfer_free (s->xfer);
  registry_unref (s->registry);
  g_free (s->options.ca_file);
  g_free (s->url);
  g_free (s);
}

/* "host" or "[v6]" for URLs */
static char *
url_host (const char *host)
{
  return strchr (host, ':') != NULL ? g_strdup_printf ("[%s]", host) : g_strdup (host);
}

static void
on_done (RpHttpTransfer *t, CURLcode code, gpointer data)
{
  RpCheck *check = data;
  HygieneState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (rp_check_is_finished (check))
    return;
  if (code != CURLE_OK) {
    rp_http_explain_failure (r, t, code, s->entry->host, s->port);
    if (code == CURLE_COULDNT_RESOLVE_HOST) {
      /* Not a finding about redirects or HSTS: the http check says it */
      g_autofree char *why = g_strdup (r->summary);
      rp_check_result_set (r, RP_STATUS_SKIP, "cannot check: %s", why);
    } else if (s->is_hsts) {
      /* The http check of this URL reports the failure itself */
      g_autofree char *why = g_strdup (r->summary);
      rp_check_result_set (r, RP_STATUS_SKIP, "cannot read the HSTS header: %s", why);
    } else {
      g_autofree char *hint = g_strdup (r->hint);
      rp_check_result_set_hint (
        r, "%s; once it answers, let it only redirect: `return 301 https://$host$request_uri;`",
        hint);
    }
    rp_check_finish (check);
    return;
  }
  if (s->is_hsts) {
    rp_check_result_detail_int (r, "status", t->status);
    rp_hsts_judge (r, rp_http_transfer_header (t, "strict-transport-security"),
                   rp_http_transfer_header_count (t, "strict-transport-security"));
  } else {
    rp_redirect_judge (r, s->url, t->status, rp_http_transfer_redirect_url (t));
  }
  rp_check_finish (check);
}

static void
hygiene_start (RpCheck *check)
{
  HygieneState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);
  HostEntry *e = s->entry;
  g_autofree char *h = url_host (e->host);
  RpHttpRequest req = { 0 };

  if (s->is_hsts) {
    if (e->https_url != NULL) {
      s->url = g_strdup (e->https_url);
      s->port = e->https_port;
    } else if (!e->http_port_explicit || e->http_port == 80) {
      s->url = g_strdup_printf ("https://%s/", h);
      s->port = 443;
    } else {
      rp_check_result_set (r, RP_STATUS_SKIP,
                           "no https:// URL given for %s, and its port cannot be guessed from %s",
                           e->host, e->http_url);
      rp_check_finish (check);
      return;
    }
  } else {
    if (e->http_url != NULL) {
      s->url = g_strdup (e->http_url);
      s->port = e->http_port;
    } else if (!e->https_port_explicit || e->https_port == 443) {
      s->url = g_strdup_printf ("http://%s/", h);
      s->port = 80;
    } else {
      rp_check_result_set (r, RP_STATUS_SKIP,
                           "%s uses https port %u, so the plain-http port is unknown: pass the "
                           "http:// URL too (rtcprobe http http://%s:PORT/ %s)",
                           e->https_url, e->https_port, h, e->https_url);
      rp_check_finish (check);
      return;
    }
  }
  g_free (r->target);
  r->target = g_strdup (s->url);
  req.url = s->url;
  req.ca_file = s->options.ca_file;
  req.verify = FALSE;
  req.family = s->options.family;
  req.body_cap = 0;   /* headers are all these checks read */
  req.deadline_us = rp_check_get_deadline_us (check);
  s->xfer = rp_http_transfer_new (&req);
  if (!rp_http_transfer_start (s->xfer, rp_runner_get_context (rp_check_get_runner (check)),
                               on_done, check)) {
    rp_check_result_set (r, RP_STATUS_FAIL, "cannot start the request for %s", s->url);
    rp_check_finish (check);
  }
}

static void
hygiene_expire (RpCheck *check)
{
  HygieneState *s = rp_check_get_state (check);
  RpCheckResult *r = rp_check_get_result (check);

  if (s->xfer != NULL && s->xfer->running) {
    rp_curl_loop_remove (s->xfer->loop, s->xfer->easy);
    s->xfer->running = FALSE;
  }
  rp_http_explain_stall (r, s->xfer, s->entry->host, s->port);
  if (s->is_hsts) {
    g_autofree char *why = g_strdup (r->summary);
    rp_check_result_set (r, RP_STATUS_SKIP, "cannot read the HSTS header: %s", why);
  }
}

static const RpCheckClass hygiene_class = { hygiene_start, hygiene_expire, hygiene_state_free };

static void
add_one (RpRunner *runner, Registry *reg, HostEntry *e, const RpProbeOptions *options,
         gboolean is_hsts)
{
  HygieneState *s = g_new0 (HygieneState, 1);
  g_autofree char *id = g_strdup_printf ("http.%s.%s", e->host, is_hsts ? "hsts" : "redirect");
  const char *target = is_hsts ? e->https_url : e->http_url;

  s->registry = reg;
  g_atomic_ref_count_inc (&reg->ref);
  s->entry = e;
  s->is_hsts = is_hsts;
  s->options = *options;
  s->options.ca_file = g_strdup (options->ca_file);
  /* The target is refined at start, once every URL has been registered */
  rp_runner_add (runner, rp_check_result_new (id, "http", target != NULL ? target : e->host),
                 RP_HTTP_TIMEOUT_US, &hygiene_class, s);
}

void
rp_http_hygiene_register (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target)
{
  Registry *reg = registry_ref_for (runner);
  HostEntry *e = g_hash_table_lookup (reg->hosts, target->host);
  gboolean is_new = e == NULL;

  if (is_new) {
    e = g_new0 (HostEntry, 1);
    e->host = g_strdup (target->host);
    g_hash_table_insert (reg->hosts, e->host, e);
  }
  if (target->scheme == RP_SCHEME_HTTPS && e->https_url == NULL) {
    e->https_url = g_strdup (target->uri);
    e->https_port = target->port;
    e->https_port_explicit = target->port_explicit;
  } else if (target->scheme == RP_SCHEME_HTTP && e->http_url == NULL) {
    e->http_url = g_strdup (target->uri);
    e->http_port = target->port;
    e->http_port_explicit = target->port_explicit;
  }
  if (is_new) {
    add_one (runner, reg, e, options, FALSE);
    add_one (runner, reg, e, options, TRUE);
  }
  registry_unref (reg);
}
