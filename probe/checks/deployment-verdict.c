/* The verdict of `check`: one line over every finished result, in the
 * order a person would fix things (the API, the web app, names, the TURN
 * paths, websockets, LiveKit, files, the rest), each problem said once.
 * A finding names the cause where the results prove one ("UDP 3478 is
 * blocked": the TURN server answers over TCP but UDP gets no answer), and
 * marks the results it explains, so that a blocked port does not come back
 * as five separate problems. */
#include <string.h>

#include "probe/checks/check-deployment.h"
#include "reports/fields.h"
#include "probe/core/explain.h"
#include "probe/core/target.h"

#define MAX_SHOWN 3

typedef struct {
  GPtrArray *checks;          /* RpCheckResult*, borrowed */
  GHashTable *explained;      /* RpCheckResult* already part of a finding */
  GPtrArray *texts;           /* char*: the findings, most important first */
  const char *hint;           /* the first finding's hint */
} Verdict;

const char *
rp_check_group_of_kind (const char *kind)
{
  return rp_report_groups[rp_report_group_of_kind (kind)];
}

static gboolean
bad (const RpCheckResult *r)
{
  return r->status == RP_STATUS_FAIL || r->status == RP_STATUS_WARN;
}

static gboolean
works (const RpCheckResult *r)
{
  return r != NULL && (r->status == RP_STATUS_PASS || r->status == RP_STATUS_WARN);
}

/* The result with this id (or id@address), or NULL. */
static RpCheckResult *
find (Verdict *v, const char *id)
{
  gsize n = strlen (id);

  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    if (g_str_has_prefix (r->id, id) && (r->id[n] == '\0' || r->id[n] == '@'))
      return r;
  }
  return NULL;
}

static void
add_finding (Verdict *v, const RpCheckResult *r, char *text)
{
  g_ptr_array_add (v->texts, text);
  if (v->hint == NULL && r != NULL && r->hint != NULL)
    v->hint = r->hint;
  if (r != NULL)
    g_hash_table_add (v->explained, (gpointer) r);
}

static void
explain (Verdict *v, const RpCheckResult *r)
{
  g_hash_table_add (v->explained, (gpointer) r);
}

/* The summary without a trailing period, for joining. */
static char *
clause (const RpCheckResult *r)
{
  char *s = g_strdup (r->summary != NULL ? r->summary : rp_status_to_string (r->status));
  gsize n = strlen (s);

  if (n > 0 && s[n - 1] == '.')
    s[n - 1] = '\0';
  return s;
}

/* "a", "a and b", "a, b and c" */
static char *
join_words (GPtrArray *words)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < words->len; i++) {
    if (i > 0)
      g_string_append (s, i + 1 == words->len ? " and " : ", ");
    g_string_append (s, g_ptr_array_index (words, i));
  }
  return g_string_free (s, FALSE);
}

static void
add_unique_word (GPtrArray *words, const char *w)
{
  for (guint i = 0; i < words->len; i++)
    if (g_str_equal (g_ptr_array_index (words, i), w))
      return;
  g_ptr_array_add (words, g_strdup (w));
}

/* The port of "turn:h:3478?transport=udp", "host:3478/udp", ... */
static char *
port_of (const char *target)
{
  const char *end = target + strlen (target), *p;
  const char *q = strpbrk (target, "?/");

  if (q != NULL && g_str_has_prefix (target, "turn"))
    end = q;
  else if (strrchr (target, '/') != NULL && !strstr (target, "://"))
    end = strrchr (target, '/');
  p = end;
  while (p > target && g_ascii_isdigit (p[-1]))
    p--;
  return p < end && p > target && p[-1] == ':' ? g_strndup (p, end - p) : NULL;
}

/* A port (or `check`'s STUN Binding) that answers on one family of a
 * dual-stack name only (family-findings.c) comes first: it explains the failing per-address row
 * and the http rows that fell back to the other family. */
static void
family_findings (Verdict *v)
{
  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    g_autofree char *prefix = NULL;

    gboolean stun = g_strcmp0 (r->kind, "stun") == 0;

    if (!bad (r) || (g_strcmp0 (r->kind, "port") != 0 && !stun)
        || !g_str_has_suffix (r->id, ".families"))
      continue;
    add_finding (v, r, clause (r));
    prefix = g_strndup (r->id, strlen (r->id) - strlen (".families"));
    for (guint j = 0; j < v->checks->len; j++) {
      RpCheckResult *o = g_ptr_array_index (v->checks, j);
      const RpDetail *broken = rp_check_result_get_detail (o, "broken_family");
      if (g_str_has_prefix (o->id, prefix) && o->id[strlen (prefix)] == '@')
        explain (v, o);
      else if (stun && o != r && g_strcmp0 (o->kind, "stun") == 0
               && rp_check_result_get_detail (o, "state") != NULL)
        explain (v, o);   /* stun.udp and its other family's row */
      else if ((g_strcmp0 (o->kind, "http") == 0 || g_strcmp0 (o->kind, "websocket") == 0) &&
               broken != NULL && o->status == RP_STATUS_WARN)
        explain (v, o);
    }
  }
}

static void
web_findings (Verdict *v, const char *app_id, const char *health_id)
{
  RpCheckResult *health = health_id != NULL ? find (v, health_id) : NULL;
  RpCheckResult *app = app_id != NULL ? find (v, app_id) : NULL;

  if (health != NULL && health->status == RP_STATUS_FAIL) {
    g_autofree char *c = clause (health);
    add_finding (v, health, g_strdup_printf ("The API is down: %s", c));
  }
  if (app != NULL && app->status == RP_STATUS_FAIL) {
    g_autofree char *c = clause (app);
    add_finding (v, app, g_strdup_printf ("The web app does not load: %s", c));
  }
  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    if (g_strcmp0 (r->kind, "dns") == 0 && r->status == RP_STATUS_FAIL) {
      gboolean said = FALSE;
      /* The API or the app finding already names this host: once is enough. */
      for (guint j = 0; j < v->texts->len && !said; j++)
        said = strstr (g_ptr_array_index (v->texts, j), r->target) != NULL;
      if (said) {
        explain (v, r);
      } else {
        char *c = clause (r);
        /* Our own dns summary already says "<host> does not resolve". */
        if (strstr (c, r->target) != NULL) {
          add_finding (v, r, c);
        } else {
          add_finding (v, r, g_strdup_printf ("%s does not resolve: %s", r->target, c));
          g_free (c);
        }
      }
    }
  }
}

/* Every transport relays, one with loss: clients stay on it (loss is no
 * reason to fall back), so this is about voice quality. */
static void
lossy_finding (Verdict *v, RpCheckResult *relay, const char *tw, RpCheckResult *verdict)
{
  const RpMetric *m = rp_check_result_get_metric (relay, "loss_pct");

  add_finding (v, relay, g_strdup_printf ("TURN over %s relays with %.1f %% loss: clients stay on "
                                          "it, so calls connect and voice may break up (measure "
                                          "it with `rtcprobe voice`)", tw,
                                          m != NULL ? m->value : 0.0));
  if (verdict != NULL)
    explain (v, verdict);
}

/* Per transport, whether TURN (allocation and relay) works. */
static void
turn_findings (Verdict *v)
{
  static const char *const names[] = { "udp", "tcp", "tls" };
  static const char *const words[] = { "UDP", "TCP", "TLS" };
  g_autoptr (GPtrArray) ok = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) failed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) blocked = g_ptr_array_new_with_free_func (g_free);
  RpCheckResult *udp_alloc = NULL, *first_bad = NULL, *lossy = NULL;
  RpCheckResult *verdict = find (v, "turn.verdict");
  const char *lossy_word = NULL;
  gboolean udp_silent = FALSE;

  for (guint t = 0; t < G_N_ELEMENTS (names); t++) {
    g_autofree char *aid = g_strdup_printf ("turn.%s.allocate", names[t]);
    g_autofree char *rid = g_strdup_printf ("relay.%s", names[t]);
    RpCheckResult *alloc = find (v, aid), *relay = find (v, rid);

    if (alloc == NULL)
      continue;
    /* A certificate that verified only with --insecure: browsers refuse it. */
    if (works (alloc) && works (relay) && !rp_explain_tls_untrusted (alloc)) {
      g_ptr_array_add (ok, g_strdup (words[t]));
      if (relay->status == RP_STATUS_WARN && lossy == NULL) {
        lossy = relay;
        lossy_word = words[t];
      }
      continue;
    }
    g_ptr_array_add (failed, g_strdup (words[t]));
    if (first_bad == NULL)
      first_bad = works (alloc) && relay != NULL && !works (relay) ? relay : alloc;
    if (t == 0) {
      udp_alloc = alloc;
      udp_silent = alloc->summary != NULL && strstr (alloc->summary, "no answer") != NULL;
    }
  }
  if (failed->len == 0) {
    if (lossy != NULL)
      lossy_finding (v, lossy, lossy_word, verdict);
    return;
  }

  /* UDP that gets no answer: name the ports (TURN's and any UDP port probe
   * that heard nothing). */
  if (udp_alloc != NULL && udp_silent) {
    g_autofree char *p = port_of (udp_alloc->target);
    if (p != NULL)
      add_unique_word (blocked, p);
  }
  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    if (g_strcmp0 (r->kind, "port") == 0 && bad (r) && g_str_has_suffix (r->target, "/udp")) {
      g_autofree char *p = port_of (r->target);
      if (p != NULL && udp_silent)
        add_unique_word (blocked, p);
    }
  }
  if (ok->len > 0 && udp_alloc != NULL && udp_silent) {
    g_autofree char *okw = join_words (ok);
    g_autofree char *ports = join_words (blocked);
    const RpDetail *fam = rp_check_result_get_detail (udp_alloc, "family");
    /* The allocation went to the name's AAAA address: what is blocked is
     * UDP over IPv6 (the family comparison says whether IPv4 answers). */
    gboolean v6 =
      fam != NULL && fam->type == RP_DETAIL_STRING && g_strcmp0 (fam->str, "ipv6") == 0;
    add_finding (
      v, udp_alloc,
      g_strdup_printf ("Voice works only through TURN over %s on this network: UDP %s %s "
                       "blocked%s", okw, ports, blocked->len > 1 ? "are" : "is",
                       v6 ? " over IPv6" : ""));
  } else if (ok->len == 0) {
    g_autofree char *c = clause (verdict != NULL ? verdict : first_bad);
    add_finding (v, verdict != NULL ? verdict : first_bad,
                 g_strdup_printf ("Voice cannot connect through TURN from here: %s", c));
  } else {
    g_autofree char *okw = join_words (ok);
    g_autofree char *badw = join_words (failed);
    g_autofree char *c = clause (first_bad);
    add_finding (v, first_bad,
                 g_strdup_printf ("TURN over %s fails (%s); voice works over %s", badw, c, okw));
  }
  /* What the failing transports explain: their own rows, the verdicts, and
   * the UDP probes, STUN, ICE and voice over a silent UDP path. */
  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    gboolean on_failed = FALSE;
    if (!bad (r))
      continue;
    for (guint f = 0; f < failed->len; f++) {
      g_autofree char *lower = g_ascii_strdown (g_ptr_array_index (failed, f), -1);
      g_autofree char *mid = g_strdup_printf (".%s", lower);
      on_failed |= strstr (r->id, mid) != NULL;
    }
    if (on_failed || g_str_has_suffix (r->id, ".verdict") || g_strcmp0 (r->kind, "relay") == 0 ||
        (udp_silent &&
         (g_strcmp0 (r->kind, "stun") == 0 || g_strcmp0 (r->kind, "nat") == 0 ||
          (g_strcmp0 (r->kind, "port") == 0 && g_str_has_suffix (r->target, "/udp")))))
      explain (v, r);
  }
}

/* Websocket upgrades that do not reach the app: one cause (the proxy)
 * behind Socket.IO falling back to polling and LiveKit's /rtc failing. */
static void
upgrade_findings (Verdict *v)
{
  g_autoptr (GPtrArray) effects = g_ptr_array_new_with_free_func (g_free);
  RpCheckResult *first = NULL;
  gboolean polling = FALSE, sio = FALSE, livekit = FALSE;

  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    if (!bad (r) || g_strcmp0 (r->kind, "websocket") != 0 || r->summary == NULL ||
        strstr (r->summary, "upgrade") == NULL)
      continue;
    if (first == NULL)
      first = r;
    if (g_str_has_prefix (r->id, "livekit"))
      livekit = TRUE;
    else if (strstr (r->summary, "long-polling") != NULL)
      polling = TRUE;
    else
      sio = TRUE;
  }
  if (first == NULL)
    return;
  if (polling)
    add_unique_word (effects, "Socket.IO falls back to long-polling");
  else if (sio)
    add_unique_word (effects, "Socket.IO websockets fail");
  if (livekit)
    add_unique_word (effects, "LiveKit signalling (/rtc) fails");
  {
    g_autofree char *list = join_words (effects);
    add_finding (v, first,
                 g_strdup_printf ("The proxy does not pass websocket upgrades: %s", list));
  }
  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    if (bad (r) && g_strcmp0 (r->kind, "websocket") == 0 && r->summary != NULL &&
        strstr (r->summary, "upgrade") != NULL)
      explain (v, r);
  }
  /* Socket.IO's own row says the same when the upgrade is what failed. */
  if (find (v, "socketio") != NULL && find (v, "ws") != NULL &&
      g_hash_table_contains (v->explained, find (v, "ws")))
    explain (v, find (v, "socketio"));
}

/* Certificates near or past expiry: one finding for the soonest, naming
 * the host, whichever checks noticed. */
static void
certificate_findings (Verdict *v)
{
  RpCheckResult *soonest = NULL;
  double days = 0;

  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    const RpMetric *m = rp_check_result_get_metric (r, "cert_days_left");
    if (!bad (r) || m == NULL || r->summary == NULL || strstr (r->summary, "certificate") == NULL)
      continue;
    /* Warned for an address family (family_findings), not for its certificate. */
    if (rp_check_result_get_detail (r, "broken_family") != NULL)
      continue;
    if (soonest == NULL || m->value < days) {
      soonest = r;
      days = m->value;
    }
    explain (v, r);
  }
  if (soonest != NULL) {
    g_autoptr (RpTarget) t = rp_target_parse (soonest->target, NULL);
    const char *host = t != NULL ? t->host : soonest->target;
    g_hash_table_remove (v->explained, soonest);
    add_finding (v, soonest,
                 days > 0
                   ? g_strdup_printf ("The certificate for %s expires in %.0f days", host, days)
                   : g_strdup_printf ("The certificate for %s has expired", host));
  }
}

/* One finding per kind of trouble for the remaining rows of a group. */
static void
group_findings (Verdict *v, const char *kind, const char *id_prefix, const char *lead)
{
  RpCheckResult *worst = NULL;

  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    if (!bad (r) || g_hash_table_contains (v->explained, r) || g_strcmp0 (r->kind, kind) != 0)
      continue;
    if (id_prefix != NULL && !g_str_has_prefix (r->id, id_prefix))
      continue;
    if (id_prefix == NULL && g_str_has_prefix (r->id, "livekit"))
      continue;
    if (worst == NULL || (r->status == RP_STATUS_FAIL && worst->status != RP_STATUS_FAIL))
      worst = r;
  }
  if (worst == NULL)
    return;
  {
    g_autofree char *c = clause (worst);
    add_finding (v, worst, lead != NULL ? g_strdup_printf ("%s: %s", lead, c) : g_strdup (c));
  }
  /* The group's other rows are part of the same story. */
  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    if (bad (r) && g_strcmp0 (r->kind, kind) == 0 &&
        (id_prefix == NULL || g_str_has_prefix (r->id, id_prefix)) &&
        (id_prefix != NULL || !g_str_has_prefix (r->id, "livekit")))
      explain (v, r);
  }
}

static void
rest_findings (Verdict *v)
{
  for (guint i = 0; i < v->checks->len; i++) {
    RpCheckResult *r = g_ptr_array_index (v->checks, i);
    if (bad (r) && !g_hash_table_contains (v->explained, r)) {
      g_autofree char *c = clause (r);
      add_finding (
        v, r, g_strdup_printf ("%s: %s", r->target != NULL && *r->target ? r->target : r->id, c));
    }
  }
}

static void
group_details (RpCheckResult *out, GPtrArray *checks)
{
  g_autoptr (GPtrArray) failing = g_ptr_array_new_with_free_func (g_free);

  for (guint g = 0; g < rp_n_report_groups; g++) {
    g_autoptr (GString) ids = g_string_new (NULL);
    RpStatus worst = RP_STATUS_SKIP;
    gboolean any = FALSE;

    for (guint i = 0; i < checks->len; i++) {
      const RpCheckResult *r = g_ptr_array_index (checks, i);
      if (rp_report_group_of_kind (r->kind) != g)
        continue;
      any = TRUE;
      if (r->status == RP_STATUS_FAIL || (r->status == RP_STATUS_WARN && worst != RP_STATUS_FAIL)
          || (r->status == RP_STATUS_PASS && worst == RP_STATUS_SKIP))
        worst = r->status;
      if (bad (r))
        g_string_append_printf (ids, "%s%s", ids->len ? ", " : "", r->id);
    }
    if (!any)
      continue;
    if (worst == RP_STATUS_FAIL || worst == RP_STATUS_WARN) {
      g_autofree char *val = g_strdup_printf ("%s: %s", rp_status_to_string (worst), ids->str);
      rp_check_result_detail_str (out, rp_report_groups[g], val);
      g_ptr_array_add (failing, g_strdup (rp_report_groups[g]));
    } else {
      rp_check_result_detail_str (out, rp_report_groups[g], rp_status_to_string (worst));
    }
  }
  if (failing->len > 0) {
    g_autofree char *list = join_words (failing);
    rp_check_result_detail_str (out, "failing_groups", list);
  }
}

RpCheckResult *
rp_deployment_verdict (GPtrArray *checks, const char *app_id, const char *health_id)
{
  RpCheckResult *out = rp_check_result_new ("verdict", "verdict", "deployment");
  Verdict v = { checks, g_hash_table_new (NULL, NULL), g_ptr_array_new_with_free_func (g_free),
                NULL };
  guint counts[4] = { 0, 0, 0, 0 };
  RpStatus status = RP_STATUS_PASS;

  for (guint i = 0; i < checks->len; i++)
    counts[((RpCheckResult *) g_ptr_array_index (checks, i))->status]++;
  if (counts[RP_STATUS_FAIL] > 0)
    status = RP_STATUS_FAIL;
  else if (counts[RP_STATUS_WARN] > 0)
    status = RP_STATUS_WARN;

  family_findings (&v);
  web_findings (&v, app_id, health_id);
  turn_findings (&v);
  upgrade_findings (&v);
  certificate_findings (&v);
  group_findings (&v, "websocket", NULL, "Realtime");
  group_findings (&v, "websocket", "livekit", "LiveKit signalling");
  group_findings (&v, "file", NULL, "The file URL does not render");
  group_findings (&v, "http", NULL, NULL);
  group_findings (&v, "voice", NULL, "Voice quality");
  rest_findings (&v);

  if (v.texts->len == 0) {
    if (counts[RP_STATUS_SKIP] > 0)
      rp_check_result_set (out, status,
                           "Everything works from here (%u check%s skipped, see below)",
                           counts[RP_STATUS_SKIP], counts[RP_STATUS_SKIP] > 1 ? "s" : "");
    else
      rp_check_result_set (out, status, "Everything works from here");
  } else {
    g_autoptr (GString) s = g_string_new (NULL);
    for (guint i = 0; i < v.texts->len && i < MAX_SHOWN; i++) {
      char *t = g_ptr_array_index (v.texts, i);
      /* Joined clauses: "The proxy" -> "the proxy", but "API" stays. */
      if (i > 0 && g_ascii_isupper (t[0]) && g_ascii_islower (t[1]))
        t[0] = g_ascii_tolower (t[0]);
      g_string_append_printf (s, "%s%s", i > 0 ? "; " : "", t);
    }
    if (v.texts->len > MAX_SHOWN)
      g_string_append_printf (s, "; and %u more problem%s below", v.texts->len - MAX_SHOWN,
                              v.texts->len - MAX_SHOWN > 1 ? "s" : "");
    rp_check_result_set (out, status, "%s", s->str);
    if (v.hint != NULL)
      rp_check_result_set_hint (out, "%s", v.hint);
  }
  rp_check_result_detail_int (out, "passed", counts[RP_STATUS_PASS]);
  rp_check_result_detail_int (out, "warned", counts[RP_STATUS_WARN]);
  rp_check_result_detail_int (out, "failed", counts[RP_STATUS_FAIL]);
  rp_check_result_detail_int (out, "skipped", counts[RP_STATUS_SKIP]);
  group_details (out, checks);
  g_hash_table_unref (v.explained);
  g_ptr_array_unref (v.texts);
  return out;
}
