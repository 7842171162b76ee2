/* The client side of a reflector session (reflector-client.c), shared by
 * `ice --reflector` and `voice --reflector`: names resolved, the websocket
 * to `rtcprobe serve`, hello with a token, the welcome (session key, SSID,
 * direct ports), and optionally a libnice agent gathering with the --turn
 * servers, our answer and ICE up to READY. It writes what it learns and
 * why it failed into the check's result; the caller sends test packets. */
#pragma once

#include "probe/core/credentials.h"
#include "probe/core/options.h"
#include "probe/core/runner.h"
#include "probe/core/target.h"
#include "reflector/protocol/reflector-proto.h"
#include "rtc/ice/ice-candidate.h"

G_BEGIN_DECLS

typedef struct {
  const RpTarget *url;      /* ws:// or wss://, borrowed for the call */
  GPtrArray *turn;          /* RpTarget* (turn:, turns:), may be empty */
  GPtrArray *stun;          /* RpTarget* (stun:), may be empty */
  gboolean relay_only;      /* --relay-only: offer and use relay candidates only */
  const char *secret;       /* the reflector's shared secret (copied) */
  gsize secret_len;
  const char *name;         /* the client name in the token */
  guint load_streams;       /* > 0: a load session of that many streams (no ICE) */
} RpIceReflectorOptions;


typedef struct _RpReflectorClient RpReflectorClient;

typedef struct {
  /* The welcome is in (w is the client's). With ICE, ready follows. */
  void (*welcome) (RpReflectorClient *c, const RpReflectorWelcome *w, gpointer user_data);
  /* ICE is READY on a selected pair. */
  void (*ready) (RpReflectorClient *c, gpointer user_data);
  /* A packet over the selected pair; rx_us is when the callback ran (libnice
   * gives no kernel timestamp). */
  void (*receive) (RpReflectorClient *c, const guint8 *data, gsize len, gint64 rx_us,
                   gpointer user_data);
  /* The session failed and the result says why (fail, hint, stalled_in):
   * stop and finish the check. */
  void (*failed) (RpReflectorClient *c, gpointer user_data);
} RpReflectorClientCallbacks;

/* ice FALSE: signalling only, for the direct ports. ro and creds (the TURN
 * credentials for ro->turn) are copied. */
RpReflectorClient *rp_reflector_client_new (const RpProbeOptions *options, const RpTurnCreds *creds,
                                            const RpIceReflectorOptions *ro, gboolean ice,
                                            const RpReflectorClientCallbacks *callbacks,
                                            gpointer user_data);
void rp_reflector_client_free (RpReflectorClient *c);
/* From the check's start: the check must outlive the client (its state owns it). */
void rp_reflector_client_start (RpReflectorClient *c, RpCheck *check);
/* Says bye and lets go of the websocket, the agent and the TLS bridges. */
void rp_reflector_client_stop (RpReflectorClient *c);

/* Sets the result to fail with summary and hint, stops, calls failed. */
void rp_reflector_client_fail (RpReflectorClient *c, const char *hint, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);
/* The result when the deadline came before a result: where it stalled. */
void rp_reflector_client_explain_deadline (RpReflectorClient *c, RpCheckResult *res);

void rp_reflector_client_set_phase (RpReflectorClient *c, const char *phase);
/* The reflector's address as resolved (numeric), once started. */
const char *rp_reflector_client_get_address (RpReflectorClient *c);
gboolean rp_reflector_client_send (RpReflectorClient *c, const guint8 *data, gsize len);

/* After ready: details of the selected pair (path host/srflx/relay,
 * path_transport, turn_uri, local and remote candidates, both sides'
 * selected pairs) and metrics.connect_ms (answer to READY). Returns words
 * for a summary, e.g. "relay over udp via turn:h:3478?transport=udp". */
char *rp_reflector_client_describe_path (RpReflectorClient *c, RpCheckResult *res);
double rp_reflector_client_get_connect_ms (RpReflectorClient *c);
void rp_reflector_client_get_pair (RpReflectorClient *c, RpIceCandidate *local,
                                   RpIceCandidate *remote);

G_END_DECLS
