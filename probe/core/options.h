/* Options every check may consult, filled by the command line. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  RP_FAMILY_ANY,
  RP_FAMILY_V4,
  RP_FAMILY_V6,
} RpFamily;

typedef struct {
  gint64 timeout_us;      /* the whole run (--timeout) */
  RpFamily family;        /* -4 / -6 */
  char *ca_file;          /* --ca-file */
  gboolean insecure;      /* --insecure */
} RpProbeOptions;

/* Per-check budgets; the run's --timeout caps each of them. */
#define RP_TCP_CONNECT_TIMEOUT_US (3 * G_USEC_PER_SEC)
#define RP_UDP_PORT_TIMEOUT_US (4 * G_USEC_PER_SEC)   /* RFC 8489 sends at 0, .5, 1.5, 3.5 s */
#define RP_DNS_TIMEOUT_US (5 * G_USEC_PER_SEC)
/* Happy eyeballs: how long a connection attempt on the first address family
 * gets before the other family is tried (RFC 8305 section 5 recommends 250 ms
 * as the Connection Attempt Delay; Chrome waits 300 ms, curl 200 ms). */
#define RP_HAPPY_EYEBALLS_MS 250

G_END_DECLS
