/* The human-readable report: one aligned row per check (status, id, target,
 * summary), then under the row its metrics in compact form, the hint when
 * the check did not pass, and with verbose every remaining field as
 * "name = value". Which field goes where comes from the table in fields.c.
 *
 * Columns are measured in terminal cells. A cell wider than its column cap
 * pushes the rest of its row onto the next line instead of shifting the
 * columns, and the summary wraps under its own column, so status and id
 * always line up. Text from the network is untrusted: control characters
 * (a terminal escape, a newline) never reach the output.
 *
 * The report of `check` (a "check" command with a verdict) is grouped like
 * the runbook's smoke list: the verdict and where the run was made from on
 * top, then Web & API, Realtime, Files, TURN and Voice, each row under the
 * group of its kind. Every other report lists its rows as they came. */
#include "reports/report.h"

#include <math.h>
#include <string.h>

#include "reports/fields.h"

#define GAP 2          /* spaces between columns */
#define MIN_WRAP 30    /* never wrap narrower than this, however wide the columns */
#define NOTE_ARROW "-> "

#define ANSI_RESET "\033[0m"

static const char *
status_color (RpStatus s)
{
  switch (s)
    {
    case RP_STATUS_PASS:
      return "\033[32m";
    case RP_STATUS_WARN:
      return "\033[33m";
    case RP_STATUS_FAIL:
      return "\033[31m";
    case RP_STATUS_SKIP:
      return "\033[2m";
    }
  return "";
}

static gboolean
is_bidi_control (gunichar c)
{
  /* Embeddings, overrides and isolates can make a line read backwards. */
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* Valid UTF-8 with whitespace controls turned into spaces and every other
 * control character into U+FFFD, so that nothing can move the cursor. */
static char *
sanitize (const char *s)
{
  g_autofree char *valid = g_utf8_make_valid (s != NULL ? s : "", -1);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c == '\t' || c == '\n' || c == '\r')
        g_string_append_c (out, ' ');
      else if (g_unichar_iscntrl (c) || is_bidi_control (c))
        g_string_append_unichar (out, 0xFFFD);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

static guint
unichar_width (gunichar c)
{
  if (g_unichar_iszerowidth (c))
    return 0;
  return g_unichar_iswide (c) ? 2 : 1;
}

static guint
display_width (const char *s)
{
  guint w = 0;

  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    w += unichar_width (g_utf8_get_char (p));
  return w;
}

static void
pad (GString *out, guint n)
{
  for (guint i = 0; i < n; i++)
    g_string_append_c (out, ' ');
}

/* Ends a line: drops trailing padding so the output has no trailing blanks. */
static void
end_line (GString *out)
{
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  g_string_append_c (out, '\n');
}

/* Starts a new line in lines holding token, cutting a token wider than
 * width into pieces at character boundaries. */
static void
start_line (GPtrArray *lines, const char *token, guint width)
{
  GString *cur = g_string_new (NULL);
  guint w = 0;

  for (const char *p = token; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint cw = unichar_width (c);
      if (w > 0 && w + cw > width)
        {
          g_ptr_array_add (lines, g_string_free (cur, FALSE));
          cur = g_string_new (NULL);
          w = 0;
        }
      g_string_append_unichar (cur, c);
      w += cw;
    }
  g_ptr_array_add (lines, g_string_free (cur, FALSE));
}

/* Greedy wrap: packs tokens joined by sep into lines at most width cells
 * wide. Returns the lines, never empty for at least one token. */
static GPtrArray *
wrap_tokens (char **tokens, const char *sep, guint width)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  guint sep_w = display_width (sep);
  guint cur_w = 0;

  for (guint i = 0; tokens[i] != NULL; i++)
    {
      const char *t = tokens[i];
      guint tw = display_width (t);

      if (*t == '\0')
        continue;
      if (lines->len > 0 && cur_w + sep_w + tw <= width)
        {
          char *last = g_ptr_array_index (lines, lines->len - 1);
          g_ptr_array_index (lines, lines->len - 1) = g_strconcat (last, sep, t, NULL);
          g_free (last);
          cur_w += sep_w + tw;
          continue;
        }
      start_line (lines, t, width);
      cur_w = display_width (g_ptr_array_index (lines, lines->len - 1));
    }
  return lines;
}

static GPtrArray *
wrap_words (const char *text, guint width)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  return wrap_tokens (words, " ", width);
}

/* Emits wrapped lines: the first continues the current line, the others
 * are padded to cont_col. */
static void
emit_wrapped (GString *out, GPtrArray *lines, guint cont_col)
{
  for (guint i = 0; i < lines->len; i++)
    {
      if (i > 0)
        pad (out, cont_col);
      g_string_append (out, g_ptr_array_index (lines, i));
      end_line (out);
    }
  if (lines->len == 0)
    end_line (out);
}

static guint
wrap_width (guint total, guint col)
{
  return total > col + MIN_WRAP ? total - col : MIN_WRAP;
}

/* The plain text of a scalar field, sanitised; NULL when absent. */
static char *
field_text (const RpField *f, const RpCheckResult *r)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  switch (f->format)
    {
    case RP_FORMAT_STRING:
    case RP_FORMAT_OPT_STRING:
      {
        const char *s = rp_field_get_string (f, r);
        return s != NULL ? sanitize (s) : NULL;
      }
    case RP_FORMAT_STATUS:
      return g_ascii_strup (rp_status_to_string (rp_field_get_status (f, r)), -1);
    case RP_FORMAT_MS:
      return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.3f", rp_field_get_double (f, r)));
    case RP_FORMAT_METRICS:
    case RP_FORMAT_DETAILS:
      break;
    }
  return NULL;
}

typedef struct {
  const RpField *columns[8];
  guint n_columns;
  guint start[8];   /* first cell of each column */
  guint indent;     /* where lines under a row start: the second column */
  guint width;      /* total width that summaries and notes wrap at */
  gboolean color;
  gboolean verbose;
} Layout;

static int
compare_columns (gconstpointer a, gconstpointer b)
{
  const RpField *fa = *(const RpField * const *) a;
  const RpField *fb = *(const RpField * const *) b;
  return (int) fa->text_column - (int) fb->text_column;
}

static void
layout_init (Layout *l, const RpReport *report, const RpTextOptions *opt)
{
  guint widths[G_N_ELEMENTS (l->columns)] = { 0 };

  memset (l, 0, sizeof *l);
  l->width = opt->width != 0 ? opt->width : RP_TEXT_DEFAULT_WIDTH;
  l->color = opt->color;
  l->verbose = opt->verbose;

  for (guint i = 0; i < rp_n_check_fields && l->n_columns < G_N_ELEMENTS (l->columns); i++)
    if (rp_check_fields[i].text & RP_TEXT_COLUMN)
      l->columns[l->n_columns++] = &rp_check_fields[i];
  qsort (l->columns, l->n_columns, sizeof l->columns[0], compare_columns);

  for (guint c = 0; c < l->n_columns; c++)
    {
      const RpField *f = l->columns[c];
      for (guint i = 0; i < report->checks->len; i++)
        {
          g_autofree char *cell = field_text (f, g_ptr_array_index (report->checks, i));
          guint w = cell != NULL ? display_width (cell) : 0;
          widths[c] = MAX (widths[c], w);
        }
      if (f->text_max_width != 0)
        widths[c] = MIN (widths[c], f->text_max_width);
    }

  for (guint c = 1; c < l->n_columns; c++)
    l->start[c] = l->start[c - 1] + widths[c - 1] + GAP;
  l->indent = l->n_columns > 1 ? l->start[1] : GAP;
}

static void
render_row (GString *out, const Layout *l, const RpCheckResult *r)
{
  guint pos = 0;

  for (guint c = 0; c < l->n_columns; c++)
    {
      const RpField *f = l->columns[c];
      g_autofree char *cell = field_text (f, r);
      gboolean last = c + 1 == l->n_columns;

      if (c > 0)
        {
          /* An over-wide cell before us: continue on a fresh line. */
          if (pos + GAP > l->start[c])
            {
              end_line (out);
              pos = 0;
            }
          pad (out, l->start[c] - pos);
          pos = l->start[c];
        }
      if (cell == NULL)
        cell = g_strdup ("");

      if (last)
        {
          g_autoptr(GPtrArray) lines = wrap_words (cell, wrap_width (l->width, l->start[c]));
          emit_wrapped (out, lines, l->start[c]);
          return;
        }

      if (l->color && f->format == RP_FORMAT_STATUS)
        g_string_append_printf (out, "%s%s%s", status_color (rp_field_get_status (f, r)),
                                cell, ANSI_RESET);
      else
        g_string_append (out, cell);
      pos += display_width (cell);
    }
  end_line (out);
}

static void
render_compact (GString *out, const Layout *l, const RpField *f, const RpCheckResult *r)
{
  GArray *metrics;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  if (f->format != RP_FORMAT_METRICS)
    return;
  metrics = rp_field_get_array (f, r);
  if (metrics == NULL || metrics->len == 0)
    return;

  entries = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < metrics->len; i++)
    {
      g_autofree char *e = rp_format_metric_compact (&g_array_index (metrics, RpMetric, i));
      g_ptr_array_add (entries, sanitize (e));
    }
  g_ptr_array_add (entries, NULL);

  lines = wrap_tokens ((char **) entries->pdata, ", ", wrap_width (l->width, l->indent));
  pad (out, l->indent);
  emit_wrapped (out, lines, l->indent);
}

static void
render_note (GString *out, const Layout *l, const RpField *f, const RpCheckResult *r)
{
  g_autofree char *value = field_text (f, r);
  g_autofree char *prefix = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  guint prefix_w;

  if (value == NULL || *g_strstrip (value) == '\0')
    return;

  prefix = g_strdup_printf (NOTE_ARROW "%s: ", f->name);
  prefix_w = display_width (prefix);
  lines = wrap_words (value, wrap_width (l->width, l->indent + prefix_w));
  pad (out, l->indent);
  g_string_append (out, prefix);
  emit_wrapped (out, lines, l->indent + prefix_w);
}

static void
verbose_line (GString *out, guint indent, const char *prefix, const char *name, const char *value)
{
  g_autofree char *clean_name = sanitize (name);
  g_autofree char *clean_value = sanitize (value);

  pad (out, indent);
  g_string_append_printf (out, "%s%s = %s", prefix, clean_name, clean_value);
  end_line (out);
}

static void
render_details (GString *out, guint indent, const char *prefix, const GArray *details)
{
  for (guint i = 0; details != NULL && i < details->len; i++)
    {
      const RpDetail *d = &g_array_index (details, RpDetail, i);
      g_autofree char *v = rp_format_detail_value (d);
      verbose_line (out, indent, prefix, d->key, v);
    }
}

static void
render_verbose (GString *out, const Layout *l, const RpField *f, const RpCheckResult *r)
{
  g_autofree char *prefix = g_strconcat (f->name, ".", NULL);

  switch (f->format)
    {
    case RP_FORMAT_STRING:
    case RP_FORMAT_OPT_STRING:
    case RP_FORMAT_STATUS:
    case RP_FORMAT_MS:
      {
        g_autofree char *v = field_text (f, r);
        if (v != NULL)
          verbose_line (out, l->indent, "", f->name, v);
      }
      break;
    case RP_FORMAT_METRICS:
      {
        GArray *metrics = rp_field_get_array (f, r);
        for (guint i = 0; metrics != NULL && i < metrics->len; i++)
          {
            const RpMetric *m = &g_array_index (metrics, RpMetric, i);
            g_autofree char *v = rp_format_metric_value (m);
            verbose_line (out, l->indent, prefix, m->name, v);
          }
      }
      break;
    case RP_FORMAT_DETAILS:
      render_details (out, l->indent, prefix, rp_field_get_array (f, r));
      break;
    }
}

/* Under a row: compact metrics, then the hint, then the verbose listing. */
static void
render_below (GString *out, const Layout *l, const RpCheckResult *r)
{
  for (guint i = 0; i < rp_n_check_fields; i++)
    if (rp_check_fields[i].text & RP_TEXT_COMPACT)
      render_compact (out, l, &rp_check_fields[i], r);
  if (r->status != RP_STATUS_PASS)
    for (guint i = 0; i < rp_n_check_fields; i++)
      if (rp_check_fields[i].text & RP_TEXT_NOTE)
        render_note (out, l, &rp_check_fields[i], r);
  if (l->verbose)
    for (guint i = 0; i < rp_n_check_fields; i++)
      if (rp_check_fields[i].text & RP_TEXT_VERBOSE)
        render_verbose (out, l, &rp_check_fields[i], r);
}

static void
render_check (GString *out, const Layout *l, const RpCheckResult *r)
{
  render_row (out, l, r);
  render_below (out, l, r);
}

static void
render_header (GString *out, const RpReport *r)
{
  g_autofree char *started = rp_format_timestamp (r->started_at);
  g_autofree char *head = g_strdup_printf ("%s %s %s, started %s",
                                           r->tool_name != NULL ? r->tool_name : "",
                                           r->tool_version != NULL ? r->tool_version : "",
                                           r->command != NULL ? r->command : "",
                                           started != NULL ? started : "unknown");
  g_autofree char *clean = sanitize (head);

  g_string_append (out, clean);
  end_line (out);
  if (r->vantage != NULL)
    render_details (out, 0, "vantage.", r->vantage->details);
  end_line (out);
}

static void
append_count (GString *out, gboolean color, RpStatus s, guint n, const char *word)
{
  if (color && n > 0)
    g_string_append_printf (out, "%s%u %s%s", status_color (s), n, word, ANSI_RESET);
  else
    g_string_append_printf (out, "%u %s", n, word);
}

static void
render_footer (GString *out, const RpReport *r, gboolean color)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  guint counts[4];

  rp_report_count (r, counts);
  append_count (out, color, RP_STATUS_PASS, counts[RP_STATUS_PASS], "passed");
  g_string_append (out, ", ");
  append_count (out, color, RP_STATUS_WARN, counts[RP_STATUS_WARN], "warned");
  g_string_append (out, ", ");
  append_count (out, color, RP_STATUS_FAIL, counts[RP_STATUS_FAIL], "failed");
  g_string_append (out, ", ");
  append_count (out, color, RP_STATUS_SKIP, counts[RP_STATUS_SKIP], "skipped");
  if (isfinite (r->duration_ms))
    g_string_append_printf (out, " in %s s",
                            g_ascii_formatd (buf, sizeof buf, "%.3f", r->duration_ms / 1000.0));
  end_line (out);
}

static guint
group_index (const RpCheckResult *c)
{
  return rp_report_group_of_kind (c->kind);
}

static gboolean
is_verdict (const RpCheckResult *c)
{
  return g_strcmp0 (c->kind, "verdict") == 0;
}

static const RpCheckResult *
find_verdict (const RpReport *r)
{
  if (g_strcmp0 (r->command, "check") != 0)
    return NULL;
  for (guint i = 0; i < r->checks->len; i++)
    if (is_verdict (g_ptr_array_index (r->checks, i)))
      return g_ptr_array_index (r->checks, i);
  return NULL;
}

static const char *
vantage_str (const RpReport *r, const char *key)
{
  const RpDetail *d = r->vantage != NULL ? rp_check_result_get_detail (r->vantage, key) : NULL;
  return d != NULL && d->type == RP_DETAIL_STRING && d->str != NULL && *d->str != '\0' ? d->str
                                                                                       : NULL;
}

/* "from: hotel wifi, public 198.51.100.7, local 192.168.1.20 (wlan0)" */
static void
render_vantage_line (GString *out, const Layout *l, const RpReport *r)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GPtrArray) lines = NULL;
  g_autofree char *clean = NULL;
  const char *label = vantage_str (r, "label"), *pub = vantage_str (r, "public_address");
  const char *local = vantage_str (r, "local_address"), *ifname = vantage_str (r, "interface");

  if (label != NULL)
    g_string_append (s, label);
  if (pub != NULL)
    g_string_append_printf (s, "%spublic %s", s->len ? ", " : "", pub);
  if (local != NULL)
    g_string_append_printf (s, "%slocal %s", s->len ? ", " : "", local);
  if (local != NULL && ifname != NULL)
    g_string_append_printf (s, " (%s)", ifname);
  /* The network, when the vantage knows it: "IPv6-only behind NAT64 (64:ff9b::/96)". */
  if (vantage_str (r, "network") != NULL && !g_str_equal (vantage_str (r, "network"), "none")) {
    const RpDetail *nat64 = rp_check_result_get_detail (r->vantage, "nat64");
    const RpDetail *clat = rp_check_result_get_detail (r->vantage, "clat");
    const char *prefix = vantage_str (r, "nat64_prefix");

    g_string_append_printf (s, "%s%s", s->len ? ", " : "", vantage_str (r, "network"));
    if (nat64 != NULL && nat64->type == RP_DETAIL_BOOL && nat64->num != 0 && prefix != NULL)
      g_string_append_printf (s, " behind NAT64 (%s)", prefix);
    if (clat != NULL && clat->type == RP_DETAIL_BOOL && clat->num != 0)
      g_string_append (s, " with CLAT");
  }
  if (s->len == 0)
    return;
  clean = sanitize (s->str);
  pad (out, l->indent);
  g_string_append (out, NOTE_ARROW "from: ");
  lines = wrap_words (clean, wrap_width (l->width, l->indent + 9));
  emit_wrapped (out, lines, l->indent + 9);
}

/* The verdict: its status, then its summary over the whole width. */
static void
render_verdict (GString *out, const Layout *l, const RpCheckResult *v)
{
  g_autofree char *status = g_ascii_strup (rp_status_to_string (v->status), -1);
  g_autofree char *summary = sanitize (v->summary);
  g_autoptr(GPtrArray) lines = wrap_words (summary, wrap_width (l->width, l->indent));
  guint w = display_width (status);

  if (l->color)
    g_string_append_printf (out, "%s%s%s", status_color (v->status), status, ANSI_RESET);
  else
    g_string_append (out, status);
  pad (out, l->indent > w ? l->indent - w : 1);
  emit_wrapped (out, lines, l->indent);
  render_below (out, l, v);
}

static void
render_grouped (GString *out, const Layout *l, const RpReport *r, const RpCheckResult *verdict)
{
  render_verdict (out, l, verdict);
  render_vantage_line (out, l, r);
  for (guint g = 0; g < rp_n_report_groups; g++)
    {
      gboolean heading = FALSE;

      for (guint i = 0; i < r->checks->len; i++)
        {
          const RpCheckResult *c = g_ptr_array_index (r->checks, i);

          if (c == verdict || group_index (c) != g)
            continue;
          if (!heading)
            {
              end_line (out);
              g_string_append_printf (out, l->color ? "\033[1m%s" ANSI_RESET : "%s",
                                      rp_report_groups[g]);
              end_line (out);
              heading = TRUE;
            }
          render_check (out, l, c);
        }
    }
}

char *
rp_report_render_text (const RpReport *r, const RpTextOptions *opt)
{
  const RpCheckResult *verdict;
  static const RpTextOptions defaults = { FALSE, FALSE, 0 };
  GString *out;
  Layout l;

  g_return_val_if_fail (r != NULL, NULL);
  if (opt == NULL)
    opt = &defaults;

  out = g_string_new (NULL);
  layout_init (&l, r, opt);

  if (l.verbose)
    render_header (out, r);
  verdict = find_verdict (r);
  if (verdict != NULL)
    render_grouped (out, &l, r, verdict);
  else
    for (guint i = 0; i < r->checks->len; i++)
      render_check (out, &l, g_ptr_array_index (r->checks, i));
  if (r->checks->len > 0)
    end_line (out);
  render_footer (out, r, l.color);

  return g_string_free (out, FALSE);
}
