/* What the command line's two files share: the parsed options and the
 * command table (cli-commands.c) that the parser (cli.c) runs. */
#pragma once

#include <glib.h>

#include "probe/core/options.h"
#include "probe/core/runner.h"

G_BEGIN_DECLS

#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

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
  char *ports;               /* ports --ports */
  char *user;                /* turn */
  char *password_file;
  char *secret_file;
  gint rest_ttl;
  gboolean all_transports;
  gboolean audit;
  char **expect_json;        /* http */
  char *origin;
  char **headers;            /* http, ws */
  double hold_s;             /* ws */
  gboolean engineio;
  gboolean livekit;
  char *livekit_key;
  char *livekit_secret_file;
  char **ice_turn;           /* ice, voice */
  char **ice_stun;
  gboolean relay_only;
  char *reflector;           /* ice --reflector */
  char *reflector_secret_file;
  char *reflector_name;
  char *serve_config;        /* serve */
  double duration_s;         /* voice */
  char *codec;
  char **thresholds;
} CliOptions;

/* Filled by GOption; one run per process. */
extern CliOptions rp_cli_opts;

typedef int (*CommandFunc) (RpRunner *runner, const RpProbeOptions *po, int argc, char **argv, GError **error);

typedef struct {
  const char *name;
  const char *args;
  const char *summary;
  const char *description;
  GOptionEntry *entries;
  CommandFunc run;
} RpCliCommand;

extern const RpCliCommand rp_cli_commands[];
extern const guint rp_cli_n_commands;

G_END_DECLS
