/* `rtcprobe results --config FILE [--since DURATION] [--label TEXT]
 * [--format text|json|html|prometheus]`: the reflector's results store
 * ([results] database of its INI file), read only, rendered to standard
 * output by reflector/results-view.h. */
#include <stdio.h>
#include <string.h>

#include "probe/cli/cli-private.h"
#include "reflector/protocol/reflector-invite.h"
#include "reflector/results-view.h"
#include "reflector/serve-config.h"

/* The most runs one view shows (the newest). */
#define RESULTS_VIEW_MAX 5000

static char *
render (const char *format, GPtrArray *views)
{
  if (g_str_equal (format, "json"))
    return rp_results_render_json (views);
  if (g_str_equal (format, "html"))
    return rp_results_render_html (views);
  if (g_str_equal (format, "prometheus"))
    return rp_results_render_prometheus (views);
  return rp_results_render_text (views);
}

static gboolean
read_store (const RpCliOptions *o, const char *database, GPtrArray **rows, GError **error)
{
  g_autoptr (RpResultsStore) st = rp_results_store_open_readonly (database, error);
  gint64 since = 0;

  if (st == NULL)
    return FALSE;
  if (o->results_since != NULL) {
    if (!rp_invite_parse_duration (o->results_since, 1, 86400 * 3650, &since, error)) {
      g_prefix_error (error, "--since: ");
      return FALSE;
    }
    since = g_get_real_time () / G_USEC_PER_SEC - since;
  }
  *rows = rp_results_store_list (st, since, o->label, RESULTS_VIEW_MAX, error);
  return *rows != NULL;
}

int
rp_cli_results (RpCliRun *run, int argc, char **argv, GError **error)
{
  const RpCliOptions *o = run->o;
  const char *format = o->format != NULL ? o->format : "text";
  RpServeConfig c;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GPtrArray) views = NULL;
  g_autofree char *out = NULL;
  gboolean ok;

  if (argc > 1 || o->serve_config == NULL || g_str_equal (format, "junit")) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "results: give --config FILE (the reflector's) and --format text, json, html "
                 "or prometheus");
    return RP_EXIT_USAGE;
  }
  if (!rp_serve_config_load (&c, o->serve_config, error)) {
    rp_serve_config_clear (&c);
    return RP_EXIT_USAGE;
  }
  if (c.results_database == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "results: %s has no [results] database", o->serve_config);
    rp_serve_config_clear (&c);
    return RP_EXIT_USAGE;
  }
  ok = read_store (o, c.results_database, &rows, error);
  rp_serve_config_clear (&c);
  if (!ok)
    return RP_EXIT_USAGE;
  views = rp_result_views_new (rows);
  out = render (format, views);
  fputs (out, stdout);
  return fflush (stdout) == 0 ? RP_EXIT_OK : RP_EXIT_INTERNAL;
}
