/* The process's exit codes, defined once (README "Exit codes", the man
 * page's EXIT STATUS): what a script or a CI job branches on. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  RP_EXIT_OK = 0,         /* no check failed (--strict: none warned either) */
  RP_EXIT_FAILED = 1,     /* a check failed (--strict: or warned) */
  RP_EXIT_USAGE = 2,      /* usage or configuration error, one line on stderr */
  RP_EXIT_INTERNAL = 3,   /* internal error: a report could not be written, ... */
} RpExitCode;

G_END_DECLS
