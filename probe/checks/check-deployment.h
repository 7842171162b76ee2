/* `rtcprobe check DOMAIN | --profile FILE`: every check of one deployment
 * (web, API, Socket.IO, files, LiveKit, STUN/NAT, TURN, ICE, voice) on one
 * runner under one deadline, through the other commands' adders, then a
 * `verdict` that opens the report with one line a person can act on. */
#pragma once

#include <gio/gio.h>

#include "probe/core/options.h"
#include "probe/core/runner.h"

G_BEGIN_DECLS

/* What the command line may override in the profile (borrowed; NULL or 0:
 * the profile's value). */
typedef struct {
  const char *profile;          /* the profile file, or NULL: derived from the domain */
  const char *user;
  const char *password_file;
  const char *secret_file;
  gint rest_ttl;                /* with rest_ttl_given: instead of the profile's */
  gboolean rest_ttl_given;
  const char *livekit_key;
  const char *livekit_secret_file;
  const char *file_hash;
  double duration_s;
  gboolean audit;
  gboolean no_voice;
} RpCheckCommandOptions;

/* One run of the command: the profile and what finish needs after the run. */
typedef struct _RpCheckCommand RpCheckCommand;

RpCheckCommand *rp_check_command_new (void);
void rp_check_command_free (RpCheckCommand *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpCheckCommand, rp_check_command_free)

/* Reads options->profile (or derives a profile from domain) and adds every
 * check. Returns 0, or 2 with error set for a usage or configuration error. */
int rp_check_command_add (RpCheckCommand *cmd, RpRunner *runner, const RpProbeOptions *options,
                          const RpCheckCommandOptions *copts, const char *domain, GError **error);

/* After the run: puts the `verdict` first in report, marks the file URL's
 * check as kind "file", and fills the vantage from the STUN and NAT results. */
void rp_check_command_finish (RpCheckCommand *cmd, RpReport *report);

/* Adds a check that is already decided: status skip, summary as given. */
void rp_check_skip_add (RpRunner *runner, const char *id, const char *kind, const char *target,
                        const char *summary_fmt, ...) G_GNUC_PRINTF (5, 6);

/* The group of the smoke list a check kind belongs to: "Web & API",
 * "Realtime", "Files", "TURN", "Voice", or "Other". */
const char *rp_check_group_of_kind (const char *kind);

/* The `verdict` result over the finished checks (in report order); the ids
 * of the web app's and the API health URL's http checks, or NULL. */
RpCheckResult *rp_deployment_verdict (GPtrArray *checks, const char *app_id, const char *health_id);

G_END_DECLS
