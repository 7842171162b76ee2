/* Summing up stored runs and rendering the team's view (results-view.h).
 * Reports are read with json-glib as stored; a report that no longer parses
 * shows as one failing row, never stops the view. */
#include "reflector/results-view.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "common/quote.h"

static const char *const transports[] = { "udp", "tcp", "tls" };

static void
view_free (RpResultView *v)
{
  g_free (v->vantage);
  g_free (v->verdict);
  g_free (v->transports_ok);
  g_free (v->transports_bad);
  g_free (v->path);
  g_free (v);
}

static double
metric (JsonObject *check, const char *name)
{
  JsonNode *m = json_object_get_member (check, "metrics");
  JsonNode *n;

  if (m == NULL || !JSON_NODE_HOLDS_OBJECT (m))
    return NAN;
  n = json_object_get_member (json_node_get_object (m), name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) == G_TYPE_STRING)
    return NAN;
  return json_node_get_double (n);
}

static const char *
member_str (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? json_node_get_string (n) : NULL;
}

static RpStatus
status_of (const char *s)
{
  return g_strcmp0 (s, "fail") == 0 ? RP_STATUS_FAIL
         : g_strcmp0 (s, "warn") == 0 ? RP_STATUS_WARN
         : g_strcmp0 (s, "skip") == 0 ? RP_STATUS_SKIP : RP_STATUS_PASS;
}

/* The transport a check proves, for turn.T.allocate (command line) and
 * ice.T (the tester's relay-only path); NULL for other checks. */
static const char *
transport_of (const char *id)
{
  for (guint i = 0; id != NULL && i < G_N_ELEMENTS (transports); i++) {
    g_autofree char *turn = g_strdup_printf ("turn.%s.allocate", transports[i]);
    g_autofree char *ice = g_strdup_printf ("ice.%s", transports[i]);
    if (g_str_equal (id, turn) || g_str_equal (id, ice))
      return transports[i];
  }
  return NULL;
}

static void
add_word (GString *s, const char *w)
{
  if (strstr (s->str, w) == NULL)
    g_string_append_printf (s, "%s%s", s->len ? " " : "", w);
}

static void
read_checks (RpResultView *v, JsonArray *checks)
{
  g_autoptr (GString) ok = g_string_new (NULL), bad = g_string_new (NULL);
  const char *first_warn = NULL, *first_fail = NULL;
  JsonObject *best = NULL;

  for (guint i = 0; i < json_array_get_length (checks); i++) {
    JsonNode *n = json_array_get_element (checks, i);
    JsonObject *c = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
    const char *id = member_str (c, "id");
    RpStatus st = status_of (member_str (c, "status"));
    const char *t = transport_of (id);
    if (c == NULL || st == RP_STATUS_SKIP)
      continue;
    if (st == RP_STATUS_FAIL && first_fail == NULL)
      first_fail = member_str (c, "summary");
    if (st == RP_STATUS_WARN && first_warn == NULL)
      first_warn = member_str (c, "summary");
    if (st > v->status && st != RP_STATUS_SKIP)
      v->status = st;
    if (t != NULL)
      add_word (st == RP_STATUS_FAIL ? bad : ok, t);
    if (id != NULL && g_str_has_prefix (id, "voice.") && !isnan (metric (c, "mos"))
        && (best == NULL || metric (c, "mos") > metric (best, "mos"))) {
      best = c;
      g_free (v->path);
      v->path = g_strdup (id + strlen ("voice."));
    }
  }
  v->verdict = g_strdup (first_fail != NULL   ? first_fail
                         : first_warn != NULL ? first_warn
                                              : "every check passes");
  v->transports_ok = g_strdup (ok->str);
  v->transports_bad = g_strdup (bad->str);
  if (best != NULL) {
    v->rtt_ms = metric (best, "rtt_ms_p50");
    v->jitter_fwd_ms = metric (best, "jitter_ms_fwd");
    v->jitter_bwd_ms = metric (best, "jitter_ms_bwd");
    v->loss_fwd_pct = metric (best, "loss_pct_fwd");
    v->loss_bwd_pct = metric (best, "loss_pct_bwd");
    v->mos = metric (best, "mos");
  }
}

static RpResultView *
view_new (const RpResultRow *row)
{
  g_autoptr (JsonParser) p = json_parser_new_immutable ();
  RpResultView *v = g_new0 (RpResultView, 1);
  JsonObject *o = NULL, *vantage = NULL;
  JsonNode *checks = NULL;
  const char *label;

  v->row = row;
  v->rtt_ms = v->jitter_fwd_ms = v->jitter_bwd_ms = v->loss_fwd_pct = v->loss_bwd_pct = v->mos =
    NAN;
  if (json_parser_load_from_data (p, row->report, -1, NULL) && json_parser_get_root (p) != NULL
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    o = json_node_get_object (json_parser_get_root (p));
  if (o != NULL && json_object_get_member (o, "vantage") != NULL
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "vantage")))
    vantage = json_object_get_object_member (o, "vantage");
  label = member_str (vantage, "label");
  v->vantage = g_strdup (label != NULL && *label != '\0' ? label : row->address);
  if (o != NULL)
    checks = json_object_get_member (o, "checks");
  if (checks == NULL || !JSON_NODE_HOLDS_ARRAY (checks)) {
    v->status = RP_STATUS_FAIL;
    v->verdict = g_strdup ("the stored report does not parse");
    v->transports_ok = g_strdup ("");
    v->transports_bad = g_strdup ("");
    return v;
  }
  read_checks (v, json_node_get_array (checks));
  return v;
}

static gboolean
vantage_failed (GHashTable *failed, const RpResultView *v)
{
  return g_hash_table_contains (failed, v->vantage);
}

static GHashTable *sort_failed;

static gint
by_vantage (gconstpointer a, gconstpointer b)
{
  const RpResultView *x = *(RpResultView *const *) a, *y = *(RpResultView *const *) b;
  gboolean fx = vantage_failed (sort_failed, x), fy = vantage_failed (sort_failed, y);
  int c;

  if (fx != fy)
    return fx ? -1 : 1;
  if ((c = g_strcmp0 (x->vantage, y->vantage)) != 0)
    return c;
  return x->row->id < y->row->id ? -1 : x->row->id > y->row->id;
}

GPtrArray *
rp_result_views_new (GPtrArray *rows)
{
  GPtrArray *views = g_ptr_array_new_with_free_func ((GDestroyNotify) view_free);
  g_autoptr (GHashTable) failed = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < rows->len; i++) {
    RpResultView *v = view_new (g_ptr_array_index (rows, i));
    g_ptr_array_add (views, v);
    if (v->status == RP_STATUS_FAIL)
      g_hash_table_add (failed, v->vantage);
  }
  sort_failed = failed;
  g_ptr_array_sort (views, by_vantage);
  sort_failed = NULL;
  return views;
}

/* ---- text ---- */

static void
num (GString *s, const char *fmt, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    g_string_append (s, "-");
  else
    g_string_append (s, g_ascii_formatd (buf, sizeof buf, fmt, v));
}

static char *
when (gint64 t)
{
  g_autoptr (GDateTime) d = g_date_time_new_from_unix_utc (t);

  return d != NULL ? g_date_time_format (d, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

static char *
safe (const char *s)
{
  return rp_quote_input (s != NULL ? s : "", s != NULL ? strlen (s) : 0, 80);
}

char *
rp_results_render_text (GPtrArray *views)
{
  GString *s = g_string_new (NULL);
  const char *group = NULL;

  if (views->len == 0)
    g_string_append (s, "No results.\n");
  for (guint i = 0; i < views->len; i++) {
    const RpResultView *v = g_ptr_array_index (views, i);
    g_autofree char *t = when (v->row->received_s);
    g_autofree char *vq = safe (v->vantage), *lq = safe (v->row->label), *dq = safe (v->verdict);
    if (group == NULL || !g_str_equal (group, v->vantage)) {
      g_string_append_printf (s, "%s== %s\n", group != NULL ? "\n" : "", vq);
      group = v->vantage;
    }
    g_string_append_printf (s, "%-4s %s %s from %s  turn ok: %s%s%s  path: %s  rtt ",
                            rp_status_to_string (v->status), t, lq, v->row->address,
                            *v->transports_ok ? v->transports_ok : "-",
                            *v->transports_bad ? "  blocked: " : "", v->transports_bad,
                            v->path != NULL ? v->path : "-");
    num (s, "%.1f", v->rtt_ms);
    g_string_append (s, " ms  jitter ");
    num (s, "%.1f", v->jitter_fwd_ms);
    g_string_append (s, "/");
    num (s, "%.1f", v->jitter_bwd_ms);
    g_string_append (s, " ms  loss ");
    num (s, "%.1f", v->loss_fwd_pct);
    g_string_append (s, "/");
    num (s, "%.1f", v->loss_bwd_pct);
    g_string_append (s, " %  MOS ");
    num (s, "%.2f", v->mos);
    g_string_append_printf (s, "\n     %s\n", dq);
  }
  return g_string_free (s, FALSE);
}

/* ---- JSON ---- */

static void
json_num (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isnan (v))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, v);
}

static void
json_str (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  if (v == NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, v);
}

char *
rp_results_render_json (GPtrArray *views)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) g = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_str (b, "schema", "rtcprobe.results/1");
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (guint i = 0; i < views->len; i++) {
    const RpResultView *v = g_ptr_array_index (views, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, v->row->id);
    json_builder_set_member_name (b, "received_at");
    json_builder_add_int_value (b, v->row->received_s);
    json_str (b, "label", v->row->label);
    json_str (b, "vantage", v->vantage);
    json_str (b, "address", v->row->address);
    json_str (b, "agent", v->row->agent);
    json_str (b, "command", v->row->command);
    json_str (b, "status", rp_status_to_string (v->status));
    json_str (b, "verdict", v->verdict);
    json_str (b, "turn_ok", v->transports_ok);
    json_str (b, "turn_blocked", v->transports_bad);
    json_str (b, "path", v->path);
    json_num (b, "rtt_ms", v->rtt_ms);
    json_num (b, "jitter_ms_fwd", v->jitter_fwd_ms);
    json_num (b, "jitter_ms_bwd", v->jitter_bwd_ms);
    json_num (b, "loss_pct_fwd", v->loss_fwd_pct);
    json_num (b, "loss_pct_bwd", v->loss_bwd_pct);
    json_num (b, "mos", v->mos);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (g, root);
  json_generator_set_pretty (g, TRUE);
  text = json_generator_to_data (g, NULL);
  return g_strconcat (text, "\n", NULL);
}

/* ---- Prometheus text (exposition format 0.0.4) ---- */

typedef struct {
  guint runs, failures;
  gint64 last_id;
  double last_mos;
  RpStatus last_status;
} LabelStats;

static char *
prom_escape (const char *s)
{
  GString *out = g_string_new (NULL);

  for (; *s != '\0'; s++) {
    if (*s == '\\' || *s == '"')
      g_string_append_c (out, '\\');
    if (*s == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *s);
  }
  return g_string_free (out, FALSE);
}

char *
rp_results_render_prometheus (GPtrArray *views)
{
  g_autoptr (GHashTable) by = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr (GList) labels = NULL;
  GString *s = g_string_new (NULL);
  static const struct { const char *name, *help, *type; } m[] = {
    { "rtcprobe_results_runs", "Stored runs per invite label", "gauge" },
    { "rtcprobe_results_failures", "Stored runs with a failing check per invite label", "gauge" },
    { "rtcprobe_results_last_mos", "MOS of the label's last run (NaN: no voice path)", "gauge" },
    { "rtcprobe_results_last_status", "The label's last run: 0 pass, 1 warn, 2 fail", "gauge" },
  };

  for (guint i = 0; i < views->len; i++) {
    const RpResultView *v = g_ptr_array_index (views, i);
    LabelStats *st = g_hash_table_lookup (by, v->row->label);
    if (st == NULL) {
      st = g_new0 (LabelStats, 1);
      g_hash_table_insert (by, v->row->label, st);
    }
    st->runs++;
    st->failures += v->status == RP_STATUS_FAIL;
    if (v->row->id > st->last_id) {
      st->last_id = v->row->id;
      st->last_mos = v->mos;
      st->last_status = v->status;
    }
  }
  labels = g_list_sort (g_hash_table_get_keys (by), (GCompareFunc) g_strcmp0);
  for (guint k = 0; k < G_N_ELEMENTS (m); k++) {
    g_string_append_printf (s, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name,
                            m[k].type);
    for (GList *l = labels; l != NULL; l = l->next) {
      const LabelStats *st = g_hash_table_lookup (by, l->data);
      g_autofree char *e = prom_escape (l->data);
      double val = k == 0 ? st->runs : k == 1 ? st->failures : k == 2 ? st->last_mos
                   : st->last_status == RP_STATUS_FAIL ? 2 : st->last_status == RP_STATUS_WARN;
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append_printf (s, "%s{label=\"%s\"} %s\n", m[k].name, e,
                              isnan (val) ? "NaN" : g_ascii_formatd (buf, sizeof buf, "%.6g", val));
    }
  }
  return g_string_free (s, FALSE);
}
