/* Live progress of long checks (a voice stream), for the terminal line the
 * command line shows on stderr. Checks only update numbers here; the CLI
 * decides whether and how to show them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *id;
  double elapsed_s;
  double total_s;
  guint sent;
  guint received;
  double rtt_ms;           /* last sample */
} RpProgress;

/* Creates or updates the entry for id. */
void rp_progress_update (const char *id, double elapsed_s, double total_s, guint sent,
                         guint received, double rtt_ms);
void rp_progress_remove (const char *id);
/* Entries in the order they were first updated (owned by the registry). */
const GPtrArray *rp_progress_entries (void);
/* A line a long check has to say (a watched stream's window); at most
 * RP_PROGRESS_MAX_LINES wait, older ones are dropped. */
#define RP_PROGRESS_MAX_LINES 64
void rp_progress_add_line (const char *line);
/* The lines waiting, oldest first; the caller frees the array. */
GPtrArray *rp_progress_take_lines (void);

G_END_DECLS
