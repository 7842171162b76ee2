/* The Prometheus text exposition format (version 0.0.4), shaped like
 * blackbox_exporter's output so that the same dashboards and alert rules fit:
 *
 *   probe_success                    1 when no check failed (warnings allowed)
 *   probe_duration_seconds           wall time of the whole run
 *   rtcprobe_checks{status}          how many checks ended in each status
 *   rtcprobe_check_status{...}       0 pass, 1 warn, 2 fail, 3 skip
 *   rtcprobe_check_duration_seconds{...}
 *   rtcprobe_NAME{...}               every metric of every check
 *
 * Per-check series carry the labels id, kind, target and, when it can be
 * told, transport. The status is one numeric gauge per check, as blackbox
 * does with probe_success and probe_http_status_code, rather than one series
 * per possible status: a single series per check, and alerts read naturally
 * ("rtcprobe_check_status == 2"). Metric names lose their unit suffix for
 * the base unit (rtt_ms becomes rtcprobe_rtt_seconds, divided by 1000;
 * loss_pct becomes rtcprobe_loss_ratio, divided by 100) and are reduced to
 * [a-zA-Z0-9_]. Each family is written once, with HELP and TYPE, all its
 * samples together, and a series that would repeat is dropped. */
#include "reports/report.h"

#include <string.h>

#include "reports/fields.h"

/* Units in metric names and their base unit (Prometheus naming practice). */
static const struct {
  const char *suffix;
  const char *base;
  double divisor;
  const char *unit;  /* for HELP */
} units[] = {
  { "_ms", "_seconds", 1000, "in seconds" },
  { "_us", "_seconds", 1e6, "in seconds" },
  { "_s", "_seconds", 1, "in seconds" },
  { "_pct", "_ratio", 100, "as a ratio (1 = 100 %)" },
};

/* Families this renderer writes itself; a metric may not take their names. */
static const char * const reserved[] = {
  "probe_success", "probe_duration_seconds", "rtcprobe_checks",
  "rtcprobe_check_status", "rtcprobe_check_duration_seconds",
};

typedef struct {
  char *name;
  char *help;
  GString *samples;
  GHashTable *series;  /* label sets already written */
} Family;

static void
family_free (Family *f)
{
  g_free (f->name);
  g_free (f->help);
  g_string_free (f->samples, TRUE);
  g_hash_table_unref (f->series);
  g_free (f);
}

typedef struct {
  GPtrArray *families;  /* of Family, in order of first use */
  GHashTable *by_name;  /* name -> Family, borrowed */
} Exposition;

static Family *
family (Exposition *e, const char *name, const char *help)
{
  Family *f = g_hash_table_lookup (e->by_name, name);

  if (f != NULL)
    return f;
  f = g_new0 (Family, 1);
  f->name = g_strdup (name);
  f->help = g_strdup (help);
  f->samples = g_string_new (NULL);
  f->series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_ptr_array_add (e->families, f);
  g_hash_table_insert (e->by_name, f->name, f);
  return f;
}

/* labels is the rendered "{...}" or "". */
static void
sample (Exposition *e, const char *name, const char *help, const char *labels, double value)
{
  Family *f = family (e, name, help);
  g_autofree char *v = NULL;

  if (!g_hash_table_add (f->series, g_strdup (labels)))
    return;
  v = rp_format_number (value);
  g_string_append_printf (f->samples, "%s%s %s\n", name, labels, v);
}

/* Label values: UTF-8; backslash, double quote and line feed escaped. */
static void
append_label (GString *out, const char *name, const char *value)
{
  g_autofree char *clean = rp_clean_string (value);

  if (out->len > 1)
    g_string_append_c (out, ',');
  g_string_append_printf (out, "%s=\"", name);
  for (const char *p = clean; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append_c (out, ' ');
          break;
        default:
          g_string_append_c (out, *p);
        }
    }
  g_string_append_c (out, '"');
}

/* HELP text: backslash and line feed escaped. */
static char *
help_text (const char *s)
{
  g_autofree char *clean = rp_clean_string (s);
  GString *out = g_string_new (NULL);

  for (const char *p = clean; *p != '\0'; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\");
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else if (*p == '\r')
        g_string_append_c (out, ' ');
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* The transport the check used: its "transport" detail, else what the
 * target says (?transport=, the URI scheme, a host:port/proto suffix). */
static char *
transport_of (const RpCheckResult *r)
{
  static const struct {
    const char *scheme;
    const char *transport;
  } schemes[] = {
    /* RFC 7064/7065: stun: and turn: default to UDP, stuns: and turns: to TLS. */
    { "turns:", "tls" }, { "stuns:", "tls" }, { "https:", "tls" }, { "wss:", "tls" },
    { "turn:", "udp" }, { "stun:", "udp" }, { "http:", "tcp" }, { "ws:", "tcp" },
  };
  const RpDetail *d = rp_check_result_get_detail (r, "transport");
  g_autofree char *target = NULL;
  const char *q;

  if (d != NULL && d->type == RP_DETAIL_STRING && d->str != NULL && *d->str != '\0')
    return g_ascii_strdown (d->str, -1);
  if (r->target == NULL)
    return NULL;

  target = g_ascii_strdown (r->target, -1);
  q = strstr (target, "?transport=");
  if (q == NULL)
    q = strstr (target, "&transport=");
  if (q != NULL)
    {
      q += strlen ("?transport=");
      return g_strndup (q, strcspn (q, "&#"));
    }
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_str_has_prefix (target, schemes[i].scheme))
      return g_strdup (schemes[i].transport);
  if (g_str_has_suffix (target, "/tcp"))
    return g_strdup ("tcp");
  if (g_str_has_suffix (target, "/udp"))
    return g_strdup ("udp");
  return NULL;
}

static char *
check_labels (const RpCheckResult *r)
{
  GString *l = g_string_new ("{");
  g_autofree char *transport = transport_of (r);

  append_label (l, "id", r->id);
  append_label (l, "kind", r->kind);
  append_label (l, "target", r->target);
  if (transport != NULL && *transport != '\0')
    append_label (l, "transport", transport);
  g_string_append_c (l, '}');
  return g_string_free (l, FALSE);
}

/* rtcprobe_NAME in base units, reduced to the characters Prometheus allows
 * ([a-zA-Z_:][a-zA-Z0-9_:]*, colons being for recording rules). */
static char *
metric_family_name (const char *metric, double *divisor, const char **unit)
{
  GString *name = g_string_new ("rtcprobe_");
  gsize len = strlen (metric);
  const char *base = "";

  *divisor = 1;
  *unit = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      gsize slen = strlen (units[i].suffix);
      if (len >= slen && g_str_has_suffix (metric, units[i].suffix))
        {
          len -= slen;
          base = units[i].base;
          *divisor = units[i].divisor;
          *unit = units[i].unit;
          break;
        }
    }
  if (len == 0)
    g_string_append (name, "unnamed");
  for (gsize i = 0; i < len; i++)
    g_string_append_c (name, g_ascii_isalnum (metric[i]) ? metric[i] : '_');
  g_string_append (name, base);

  for (guint i = 0; i < G_N_ELEMENTS (reserved); i++)
    if (strcmp (name->str, reserved[i]) == 0)
      g_string_append (name, "_metric");
  return g_string_free (name, FALSE);
}

/* For the probe exposition: a unit in the middle of a metric's name moves
 * to its end (rtt_ms_p50 becomes rtt_p50_ms, loss_pct_fwd loss_fwd_pct), so
 * that every name ends in its base unit as Prometheus' naming rules want. */
static char *
unit_last (const char *metric)
{
  static const char *const infixes[] = { "_ms_", "_us_", "_pct_" };

  for (guint i = 0; i < G_N_ELEMENTS (infixes); i++)
    {
      const char *at = strstr (metric, infixes[i]);
      gsize ulen = strlen (infixes[i]) - 1;   /* "_ms" */

      if (at != NULL && at != metric)
        return g_strdup_printf ("%.*s%s%.*s", (int) (at - metric), metric, at + ulen,
                                (int) ulen, at);
    }
  return g_strdup (metric);
}

static void
add_check_metrics (Exposition *e, const RpCheckResult *r, const char *labels, gboolean probe)
{
  sample (e, "rtcprobe_check_status",
          "Outcome of the check: 0 pass, 1 warn, 2 fail, 3 skip.", labels, (double) r->status);
  sample (e, "rtcprobe_check_duration_seconds", "Wall time of the check in seconds.", labels,
          r->duration_ms / 1000);

  for (guint i = 0; r->metrics != NULL && i < r->metrics->len; i++)
    {
      const RpMetric *m = &g_array_index (r->metrics, RpMetric, i);
      double divisor;
      const char *unit;
      g_autofree char *moved = probe ? unit_last (m->name) : g_strdup (m->name);
      g_autofree char *name = metric_family_name (moved, &divisor, &unit);
      g_autofree char *raw = NULL;
      g_autofree char *help = NULL;

      if (unit != NULL)
        raw = g_strdup_printf ("rtcprobe check metric %s, %s.", m->name, unit);
      else
        raw = g_strdup_printf ("rtcprobe check metric %s.", m->name);
      help = help_text (raw);
      sample (e, name, help, labels, m->value / divisor);
    }
}

static void
add_check (Exposition *e, const RpCheckResult *r)
{
  g_autofree char *labels = check_labels (r);

  add_check_metrics (e, r, labels, FALSE);
}

static void
add_head (Exposition *e, const RpReport *r, gboolean success)
{
  sample (e, "probe_success", "1 when no check failed (warnings allowed), else 0.", "",
          success ? 1 : 0);
  sample (e, "probe_duration_seconds", "How long the rtcprobe run took in seconds.", "",
          r->duration_ms / 1000);
}

static char *
exposition_end (Exposition *e)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < e->families->len; i++)
    {
      const Family *f = g_ptr_array_index (e->families, i);
      g_string_append_printf (out, "# HELP %s %s\n# TYPE %s gauge\n%s", f->name, f->help, f->name,
                              f->samples->str);
    }
  g_hash_table_unref (e->by_name);
  g_ptr_array_unref (e->families);
  return g_string_free (out, FALSE);
}

char *
rp_report_render_prometheus (const RpReport *r)
{
  Exposition e;
  guint counts[4];

  g_return_val_if_fail (r != NULL, NULL);

  e.families = g_ptr_array_new_with_free_func ((GDestroyNotify) family_free);
  e.by_name = g_hash_table_new (g_str_hash, g_str_equal);
  rp_report_count (r, counts);

  add_head (&e, r, counts[RP_STATUS_FAIL] == 0);
  static const RpStatus order[] = { RP_STATUS_PASS, RP_STATUS_WARN, RP_STATUS_FAIL,
                                    RP_STATUS_SKIP };
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      GString *l = g_string_new ("{");
      append_label (l, "status", rp_status_to_string (order[i]));
      g_string_append_c (l, '}');
      sample (&e, "rtcprobe_checks", "Number of checks that ended in each status.", l->str,
              counts[order[i]]);
      g_string_free (l, TRUE);
    }
  for (guint i = 0; i < r->checks->len; i++)
    add_check (&e, g_ptr_array_index (r->checks, i));
  return exposition_end (&e);
}

/* --- One probe of `rtcprobe exporter` (blackbox_exporter's /probe) ---
 *
 * Prometheus adds the target and instance labels itself, so per-check series
 * carry only id and kind (both bounded by the module). Besides every metric
 * as above, the figures dashboards and alerts read get stable names:
 *
 *   rtcprobe_check_success{id,kind}            1 pass or warn, 0 fail (skips left out)
 *   rtcprobe_rtt_seconds{id,kind}              rtt_ms, or the voice stream's median
 *   rtcprobe_jitter_seconds{id,kind,direction} forward (out) and backward (back)
 *   rtcprobe_loss_ratio{id,kind,direction}
 *   rtcprobe_mos{id,kind}
 *   rtcprobe_tls_cert_expiry_seconds{id,kind}  time left on the certificate
 *   rtcprobe_turn_transport_up{transport}      1 when some allocation over it worked */

static const struct {
  const char *metric;
  const char *family;
  const char *direction;  /* NULL: no direction label */
  double scale;           /* metric * scale = base unit */
  const char *help;
} probe_figures[] = {
  { "rtt_ms", "rtcprobe_rtt_seconds", NULL, 1e-3, "Round-trip time in seconds." },
  { "rtt_ms_p50", "rtcprobe_rtt_seconds", NULL, 1e-3, "Round-trip time in seconds." },
  { "jitter_ms_fwd", "rtcprobe_jitter_seconds", "forward", 1e-3,
    "RFC 3550 interarrival jitter in seconds, per direction." },
  { "jitter_ms_bwd", "rtcprobe_jitter_seconds", "backward", 1e-3,
    "RFC 3550 interarrival jitter in seconds, per direction." },
  { "loss_pct_fwd", "rtcprobe_loss_ratio", "forward", 1e-2,
    "Packets lost as a ratio (1 = all), per direction." },
  { "loss_pct_bwd", "rtcprobe_loss_ratio", "backward", 1e-2,
    "Packets lost as a ratio (1 = all), per direction." },
  { "loss_pct_out", "rtcprobe_loss_ratio", "forward", 1e-2,
    "Packets lost as a ratio (1 = all), per direction." },
  { "loss_pct_back", "rtcprobe_loss_ratio", "backward", 1e-2,
    "Packets lost as a ratio (1 = all), per direction." },
  { "mos", "rtcprobe_mos", NULL, 1, "E-model (ITU-T G.107) mean opinion score, 1 to 4.5." },
  { "cert_days_left", "rtcprobe_tls_cert_expiry_seconds", NULL, 86400,
    "Seconds until the TLS certificate expires (negative: expired)." },
};

static char *
id_kind_labels (const RpCheckResult *r, const char *direction)
{
  GString *l = g_string_new ("{");

  append_label (l, "id", r->id);
  append_label (l, "kind", r->kind);
  if (direction != NULL)
    append_label (l, "direction", direction);
  g_string_append_c (l, '}');
  return g_string_free (l, FALSE);
}

static void
add_probe_figures (Exposition *e, const RpCheckResult *r)
{
  for (guint i = 0; i < G_N_ELEMENTS (probe_figures); i++)
    {
      const RpMetric *m = rp_check_result_get_metric (r, probe_figures[i].metric);
      g_autofree char *labels = NULL;

      if (m == NULL)
        continue;
      labels = id_kind_labels (r, probe_figures[i].direction);
      sample (e, probe_figures[i].family, probe_figures[i].help, labels,
              m->value * probe_figures[i].scale);
    }
}

/* rtcprobe_turn_transport_up: per transport, up when any allocation over it
 * passed or warned. */
static void
add_turn_transports (Exposition *e, const RpReport *r)
{
  g_autoptr (GHashTable) up = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) order = g_ptr_array_new ();

  for (guint i = 0; i < r->checks->len; i++)
    {
      const RpCheckResult *c = g_ptr_array_index (r->checks, i);
      g_autofree char *transport = NULL;
      gboolean ok = c->status == RP_STATUS_PASS || c->status == RP_STATUS_WARN;
      gpointer was;
      char *key;

      if (g_strcmp0 (c->kind, "turn") != 0 || c->status == RP_STATUS_SKIP)
        continue;
      transport = transport_of (c);
      if (transport == NULL || *transport == '\0')
        continue;
      if (g_hash_table_lookup_extended (up, transport, (gpointer *) &key, &was))
        {
          if (ok)
            g_hash_table_insert (up, g_strdup (transport), GINT_TO_POINTER (1));
          continue;
        }
      key = g_strdup (transport);
      g_hash_table_insert (up, key, GINT_TO_POINTER (ok));
      g_ptr_array_add (order, key);
    }
  for (guint i = 0; i < order->len; i++)
    {
      const char *transport = g_ptr_array_index (order, i);
      GString *l = g_string_new ("{");

      append_label (l, "transport", transport);
      g_string_append_c (l, '}');
      sample (e, "rtcprobe_turn_transport_up",
              "1 when a TURN allocation over the transport worked, else 0.", l->str,
              GPOINTER_TO_INT (g_hash_table_lookup (up, transport)));
      g_string_free (l, TRUE);
    }
}

char *
rp_report_render_prometheus_probe (const RpReport *r)
{
  Exposition e;
  guint counts[4];

  g_return_val_if_fail (r != NULL, NULL);

  e.families = g_ptr_array_new_with_free_func ((GDestroyNotify) family_free);
  e.by_name = g_hash_table_new (g_str_hash, g_str_equal);
  rp_report_count (r, counts);

  add_head (&e, r,
            counts[RP_STATUS_FAIL] == 0 && counts[RP_STATUS_PASS] + counts[RP_STATUS_WARN] > 0);
  for (guint i = 0; i < r->checks->len; i++)
    {
      const RpCheckResult *c = g_ptr_array_index (r->checks, i);
      g_autofree char *labels = id_kind_labels (c, NULL);

      if (c->status != RP_STATUS_SKIP)
        sample (&e, "rtcprobe_check_success",
                "1 when the check passed or warned, 0 when it failed.", labels,
                c->status == RP_STATUS_FAIL ? 0 : 1);
    }
  add_turn_transports (&e, r);
  for (guint i = 0; i < r->checks->len; i++)
    add_probe_figures (&e, g_ptr_array_index (r->checks, i));
  for (guint i = 0; i < r->checks->len; i++)
    {
      const RpCheckResult *c = g_ptr_array_index (r->checks, i);
      g_autofree char *labels = id_kind_labels (c, NULL);

      add_check_metrics (&e, c, labels, TRUE);
    }
  return exposition_end (&e);
}
