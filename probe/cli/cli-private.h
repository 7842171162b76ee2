/* What the command line's files share: the parsed options, the command
 * table (cli-commands.c) that the parser (cli.c) runs, and what a command
 * gets when it runs. */
#pragma once

#include <glib.h>

#include "common/exit-code.h"
#include "common/result.h"
#include "probe/checks/checks-turn.h"
#include "probe/core/options.h"
#include "probe/core/runner.h"
#include "probe/core/target.h"
#include "probe/net/reflector-client.h"
#include "probe/net/voice-options.h"

G_BEGIN_DECLS

/* Every option of every command. One value per run, filled by GOption
 * through the tables, whose arg_data are offsets into this struct
 * (RP_CLI_OPT) until cli.c binds them to the run's instance. */
typedef struct {
  char *format;
  char **outputs;
  double timeout_s;
  gboolean strict;
  char *ca_file;
  gboolean insecure;
  gboolean ipv4;
  gboolean ipv6;
  gboolean quiet;
  gboolean verbose;
  gboolean version;
  char *label;
  char *upload;              /* --upload URL: the reflector's results endpoint */
  char *invite_file;
  char *ports;               /* ports --ports */
  char *user;                /* TURN credentials: turn, ice, voice, check */
  char *password_file;
  char *secret_file;
  gint rest_ttl;             /* RP_CLI_REST_TTL_UNSET: not given */
  gboolean all_transports;   /* turn */
  gboolean audit;            /* turn, check */
  char *relay_family;        /* turn --relay-family */
  char **expect_json;        /* http */
  char *origin;
  char **headers;            /* http, ws */
  double hold_s;             /* ws */
  gboolean engineio;
  gboolean livekit;
  char *livekit_key;         /* ws, check */
  char *livekit_secret_file;
  char **ice_turn;           /* ice, voice */
  char **ice_stun;
  gboolean relay_only;
  char *reflector;           /* ice, voice --reflector */
  char *reflector_secret_file;
  char *reflector_name;
  char *serve_config;        /* serve, invite */
  char *exporter_config;     /* exporter */
  char *invite_ttl;          /* invite */
  char *results_since;       /* results --since */
  gint invite_uses;          /* RP_CLI_INVITE_USES_UNSET: not given */
  double duration_s;         /* voice, check */
  char *codec;               /* voice */
  char **thresholds;
  char *watch;               /* voice --watch DURATION */
  double window_s;           /* voice --window */
  char *profile;             /* check */
  char *file_hash;
  gboolean no_voice;
  gint streams;              /* load */
  char *ramp;
  gint max_streams;
  gboolean allocations_only;
  double knee_loss_pct;
  double knee_jitter_ms;
} RpCliOptions;

#define RP_CLI_REST_TTL_UNSET G_MININT
#define RP_CLI_INVITE_USES_UNSET G_MININT
/* An option table's arg_data before binding: the field's offset. */
#define RP_CLI_OPT(field) GSIZE_TO_POINTER (G_STRUCT_OFFSET (RpCliOptions, field))

/* What a command works with. For a server (RpCliCommand.server) runner and
 * po are NULL. A command that needs state after the run (its finish) keeps
 * it in state, freed with free_state. */
typedef struct {
  const RpCliOptions *o;
  RpRunner *runner;
  const RpProbeOptions *po;
  gpointer state;
  GDestroyNotify free_state;
  const RpVoiceTap *tap;     /* voice --watch from the exporter's [watch]: its counters */
} RpCliRun;

/* Adds the command's checks to run->runner (a server: runs until it is
 * told to stop). 0, or an exit code with error set. */
typedef int (*RpCliRunFunc) (RpCliRun *run, int argc, char **argv, GError **error);
/* After the runner finished, before the report is rendered. */
typedef void (*RpCliFinishFunc) (RpCliRun *run, RpReport *report);

typedef struct {
  const char *name;
  const char *args;
  const char *summary;
  const char *description;
  const GOptionEntry *entries;   /* NULL or the command's own options */
  gboolean turn_credentials;     /* also rp_cli_turn_credential_entries */
  gboolean server;               /* no runner, no report: serve (until SIGTERM), invite */
  RpCliRunFunc run;
  RpCliFinishFunc finish;        /* NULL or called after the run */
} RpCliCommand;

extern const RpCliCommand rp_cli_commands[];
extern const guint rp_cli_n_commands;
/* --user, --password-file, --secret-file, --rest-ttl: one table, one text. */
extern const GOptionEntry rp_cli_turn_credential_entries[];
/* --format, --output, --timeout, ...: before or after any command. */
extern const GOptionEntry rp_cli_global_entries[];

const RpCliCommand *rp_cli_find_command (const char *name);
/* How long a command runs by design beyond its set-up (load's ramp), from
 * its options; 0 for the others or when the options are refused later. */
gint64 rp_cli_planned_us (const RpCliOptions *o);
/* Parses a command's options (its own, the TURN credentials when it takes
 * them, the global ones) from args (args[0] the program) into o, leaving the
 * arguments in args. The tables bound to o are added to bound; free what
 * they stored with rp_cli_clear_bound. */
gboolean rp_cli_parse_command (const RpCliCommand *cmd, RpCliOptions *o, GPtrArray *bound,
                               GStrv *args, GError **error);
void rp_cli_clear_bound (GPtrArray *bound);
/* The TURN credentials (--user, --password-file, --secret-file,
 * --rest-ttl or the environment) in a plan; NULL with a one-line error. */
RpTurnPlan *rp_cli_turn_plan (const RpCliOptions *o, GError **error);
/* --turn URIs (turn: or turns:) into out; at least one. */
gboolean rp_cli_parse_turn_option (const RpCliOptions *o, GPtrArray *out, GError **error);
/* --reflector for ice, voice and load: the URL, the shared secret, and the
 * options the commands hand to the reflector client. */
gboolean rp_cli_reflector_options (const RpCliOptions *o, GPtrArray *turn, GPtrArray *stun,
                                   RpTarget **url, RpSecret **secret, RpIceReflectorOptions *ro,
                                   GError **error);
/* `rtcprobe load` (cli-load.c): its options, the command, its finish. */
extern const GOptionEntry rp_cli_load_entries[];
int rp_cli_load (RpCliRun *run, int argc, char **argv, GError **error);
void rp_cli_load_finish (RpCliRun *run, RpReport *report);
/* `rtcprobe exporter` (cli-exporter.c). */
int rp_cli_exporter (RpCliRun *run, int argc, char **argv, GError **error);
/* `rtcprobe results` (cli-results.c): the reflector's results store. */
int rp_cli_results (RpCliRun *run, int argc, char **argv, GError **error);
/* The global options' ranges and files. */
gboolean rp_cli_check_globals (const RpCliOptions *o, GError **error);
/* voice --watch: its length in seconds (0 without --watch); FALSE with a
 * one-line error when it or --window is out of range. */
gboolean rp_cli_watch_seconds (const RpCliOptions *o, double *seconds, GError **error);

G_END_DECLS
