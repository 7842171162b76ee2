/* Renderers: an RpReport in, bytes out. They never measure, never write to
 * a file or terminal, and never look at the environment; the caller decides
 * colour, verbosity and where the bytes go. */
#pragma once

#include <glib.h>

#include "probe/result.h"

G_BEGIN_DECLS

#define RP_REPORT_SCHEMA "rtcprobe.report/1"
#define RP_TEXT_DEFAULT_WIDTH 100

typedef struct {
  gboolean color;    /* ANSI colours: the caller checks the TTY and NO_COLOR */
  gboolean verbose;  /* also list every field, metric and detail under each row */
  guint width;       /* wrap summaries and hints at this many columns; 0 = RP_TEXT_DEFAULT_WIDTH */
} RpTextOptions;

/* opt may be NULL (no colour, not verbose, default width). */
char *rp_report_render_text (const RpReport *r, const RpTextOptions *opt);

/* The "rtcprobe.report/1" document, pretty-printed, ending in a newline. */
char *rp_report_render_json (const RpReport *r);

G_END_DECLS
