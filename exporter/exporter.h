/* `rtcprobe exporter`: blackbox_exporter's contract for rtcprobe's probes.
 * GET /probe?target=T&module=M runs module M against T once and answers the
 * Prometheus text format; GET /metrics answers the exporter's own metrics.
 * One thread, the default GMainContext: the HTTP server (GIO), the probes'
 * runners and their network clients are all sources on it. The probes are
 * started through an RpExporterProber, which the command line provides: it
 * owns the option tables that turn a module's keys into a command's options. */
#pragma once

#include <glib.h>

#include "common/result.h"
#include "exporter/exporter-config.h"
#include "probe/net/voice-options.h"

G_BEGIN_DECLS

/* Takes the report. Called from the loop, once per started probe. */
typedef void (*RpExporterDone) (RpReport *report, gpointer data);

typedef struct {
  /* At start, for every module: FALSE with a one-line error when a key is
   * not an option of its command or a value does not parse. */
  gboolean (*check_module) (const RpExporterModule *m, GError **error);
  /* Starts the module against target, bounded to timeout_s: the probe,
   * valid until done is called. NULL with an error when the target or the
   * options are refused; nothing was sent. */
  gpointer (*start) (const RpExporterModule *m, const char *target, double timeout_s,
                     RpExporterDone done, gpointer data, GError **error);
  /* Cuts a started probe short (its scrape went away); done follows. */
  void (*abort) (gpointer probe);
  /* Starts the voice stream of a [watch] (an hour long), telling tap of its
   * windows and round trips; done when it ends, fails or is aborted. NULL
   * with an error when its options are refused; nothing was sent. */
  gpointer (*start_watch) (const RpExporterModule *w, const RpVoiceTap *tap, RpExporterDone done,
                           gpointer data, GError **error);
} RpExporterProber;

/* The host names and addresses a probe of target by a module of kind would
 * reach by name (the allow-list is checked against each). NULL with a
 * one-line error when target is malformed for the kind. */
GStrv rp_exporter_target_hosts (const char *kind, const char *target, GError **error);

/* Runs until SIGTERM or SIGINT (then waits for the probes in flight). 0, or
 * an exit code with error set. */
int rp_exporter_main (const char *config_path, const RpExporterProber *prober, GError **error);

G_END_DECLS
