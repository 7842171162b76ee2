/* The timeline of a watched voice stream (`voice --watch`) for the HTML
 * report: per-window loss, jitter and RTT as inline SVG, with the episodes
 * shaded. Reads the details voice-stream.c writes (series.window.*,
 * watch.episodes); nothing here trusts or echoes them as markup. */
#pragma once

#include <glib.h>

#include "common/result.h"
#include "reports/html-chart.h"

G_BEGIN_DECLS

/* At most this many episodes are shaded (the report keeps no more). */
#define RP_HTML_EPISODES_MAX 64

/* Appends one <figure class="chart timeline"> per figure (voice loss, jitter,
 * RTT p95), each with the episodes of its metric shaded; nothing when r has
 * no windows. */
void rp_html_append_watch_timeline (GString *out, const RpCheckResult *r);

G_END_DECLS
