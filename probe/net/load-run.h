/* `rtcprobe load`'s traffic: N voice-shaped streams ramped in steps, each two
 * TURN allocations on one server bound to each other (relay-pair.c, as the
 * voice check's TURN path), their data path handed to one packet engine
 * (packet-engine.c). A sends STAMP packets (RFC 8762) on an absolute
 * schedule to B through both relays; B reflects them; A measures. Each step
 * is gathered into an RpLoadStep (rtc/voice/load-plan.h) and handed over
 * when it ends. Allocations are refreshed before their lifetime ends
 * (RFC 8656 7: Refresh; 12: ChannelBind again, which keeps the permission
 * too) and released at the end (Refresh LIFETIME 0). Or, with direct, each
 * stream is a socket to a reflector's direct UDP port (`rtcprobe serve`),
 * which answers in B's place. With allocations_only,
 * only Allocate and release, at the ramp's rate. Only the servers given are
 * contacted: a 300 Try Alternate is counted, never followed. Never prints. */
#pragma once

#include <gio/gio.h>

#include "probe/core/credentials.h"
#include "probe/net/packet-engine.h"
#include "rtc/voice/load-plan.h"
#include "stun/client/turn-client.h"

G_BEGIN_DECLS

typedef struct _RpLoadRun RpLoadRun;

typedef struct {
  GSocketAddress *address;      /* UDP, resolved */
  const char *host;
  const char *server_str;       /* ADDR:PORT */
} RpLoadServer;

/* A step ended (k from 0); step is valid during the call. */
typedef void (*RpLoadStepFunc) (RpLoadRun *run, guint k, const RpLoadStep *step,
                                gpointer user_data);
/* A stream's (or allocation's) set-up failed at step `what` on who's server. */
typedef void (*RpLoadFailFunc) (RpLoadRun *run, const char *what, const RpTurnResult *res,
                                RpTurnClient *who, const RpLoadServer *server, gpointer user_data);
/* Everything was released (or the release gave up): the run is over. */
typedef void (*RpLoadDoneFunc) (RpLoadRun *run, gpointer user_data);

typedef struct {
  GPtrArray *servers;           /* RpLoadServer*, borrowed: streams go round-robin */
  const RpTurnCreds *creds;     /* borrowed */
  GMainContext *context;
  guint streams;
  RpLoadRamp ramp;
  double last_hold_s;           /* the last step is held this long (0: ramp.interval_s) */
  gsize packet_size;            /* STAMP bytes per packet (>= 44) */
  gint64 interval_us;           /* one packet per stream per interval */
  gboolean allocations_only;
  /* Set: over a reflector's direct UDP port instead of TURN (servers and
   * creds unused), one socket and one SSID per stream, packets signed with
   * the session key (reflector-auth.h); the reflector's stateful counter
   * splits the loss by direction. */
  GSocketAddress *direct;
  const guint8 *direct_key;     /* RP_REFLECTOR_KEY_LEN octets, borrowed */
  const GArray *direct_ssids;   /* guint16, one per stream (>= streams), borrowed */
  RpLoadStepFunc step_done;
  RpLoadFailFunc failed;
  RpLoadDoneFunc done;
  gpointer user_data;
} RpLoadConfig;

typedef struct {
  guint64 allocations;          /* succeeded */
  guint quota;                  /* allocations held at the end of the step in which the first
                                   486 came (0: none came) */
  gboolean alternate_refused;   /* a 300 Try Alternate came and was not followed */
  gint64 allocate_elapsed_us;   /* first Allocate sent to the last answer */
  guint setup_retries;          /* Allocates answered 437, set up again from a new port */
  guint refreshes, refresh_failures;
  guint released, release_failures;
  guint steps_done;
  gboolean cut_short;           /* stopped (Ctrl-C or the deadline) before the end */
  gboolean kernel_timestamps;
  RpPacketEngineCounts engine;
} RpLoadTotals;

RpLoadRun *rp_load_run_new (const RpLoadConfig *config, GError **error);
void rp_load_run_free (RpLoadRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpLoadRun, rp_load_run_free)
void rp_load_run_start (RpLoadRun *run);
/* Ends the run now: the current step is handed over with what it measured,
 * the allocations are released, then done. Nothing happens twice. */
void rp_load_run_stop (RpLoadRun *run);
/* Stops at once without waiting for the releases (the run's deadline). */
void rp_load_run_abandon (RpLoadRun *run);
const RpLoadTotals *rp_load_run_get_totals (RpLoadRun *run);

G_END_DECLS
