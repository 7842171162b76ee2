/* A WebRTC peer for data channels, as a browser sees it: ICE (the project's
 * libnice agent, trickle candidates in and out), DTLS over the ICE component
 * with the certificate's fingerprint in the SDP, SCTP over DTLS, and data
 * channels opened by DCEP in either direction (RFC 8829 offer/answer, RFC
 * 8831, RFC 8832). Everything runs on one GMainContext; callbacks may free
 * the peer. The stack is bounded: at most RP_WEBRTC_MAX_CHANNELS channels,
 * messages up to the agreed a=max-message-size, remote candidates up to
 * RP_SDP_MAX_CANDIDATES, the DTLS handshake within its deadline. */
#pragma once

#include <glib.h>

#include "rtc/ice/ice-agent.h"
#include "rtc/webrtc/dcep.h"
#include "rtc/webrtc/dtls-cert.h"

G_BEGIN_DECLS

#define RP_WEBRTC_MAX_CHANNELS 64
#define RP_WEBRTC_SCTP_PORT 5000
#define RP_WEBRTC_MAX_TURN_SERVERS 8

typedef struct _RpWebrtcPeer RpWebrtcPeer;
typedef struct _RpWebrtcChannel RpWebrtcChannel;   /* owned by its peer */

typedef enum {
  RP_WEBRTC_STATE_NEW,
  RP_WEBRTC_STATE_CONNECTING,    /* a description on each side; ICE, DTLS, SCTP under way */
  RP_WEBRTC_STATE_CONNECTED,     /* the SCTP association is up: channels can open */
  RP_WEBRTC_STATE_FAILED,        /* reason given; nothing more happens */
  RP_WEBRTC_STATE_CLOSED,        /* the peer closed DTLS or SCTP */
} RpWebrtcState;

const char *rp_webrtc_state_to_string (RpWebrtcState s);

typedef struct {
  gboolean loopback_only;        /* host candidates on 127.0.0.1 and ::1 only */
  gboolean relay_only;           /* offer and use TURN relay candidates only */
  guint64 max_message_size;      /* what we accept (a=max-message-size); 0: 65536 */
} RpWebrtcPeerOptions;

typedef struct {
  /* A local candidate ("candidate:..." of RFC 8839 5.1, for
   * RTCIceCandidate.candidate with sdpMid rp_webrtc_peer_get_mid()); NULL
   * once gathering is done (end of candidates). */
  void (*candidate) (RpWebrtcPeer *peer, const char *candidate, gpointer user_data);
  void (*state_changed) (RpWebrtcPeer *peer, RpWebrtcState state, const char *reason,
                         gpointer user_data);
  /* A channel is open: the peer's (its DATA_CHANNEL_OPEN came and we
   * acknowledged it) or ours (acknowledged). */
  void (*channel_open) (RpWebrtcPeer *peer, RpWebrtcChannel *channel, gpointer user_data);
  void (*message) (RpWebrtcPeer *peer, RpWebrtcChannel *channel, const guint8 *data, gsize len,
                   gboolean binary, gpointer user_data);
  /* The peer closed the channel; it is freed after this returns. */
  void (*channel_closed) (RpWebrtcPeer *peer, RpWebrtcChannel *channel, gpointer user_data);
} RpWebrtcPeerCallbacks;

/* The certificate must outlive the peer (one per process will do). */
RpWebrtcPeer *rp_webrtc_peer_new (GMainContext *context, RpDtlsCert *cert,
                                  const RpWebrtcPeerOptions *options,
                                  const RpWebrtcPeerCallbacks *callbacks, gpointer user_data);
void rp_webrtc_peer_free (RpWebrtcPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpWebrtcPeer, rp_webrtc_peer_free)

/* The deployment's STUN and TURN servers (numeric addresses), before the
 * first description; relay candidates then come after it, trickled. */
gboolean rp_webrtc_peer_set_stun_server (RpWebrtcPeer *peer, const char *ip, guint16 port,
                                         GError **error);
gboolean rp_webrtc_peer_add_turn_server (RpWebrtcPeer *peer, const char *ip, guint16 port,
                                         RpIceRelayTransport transport, const char *username,
                                         const char *password, GError **error);

/* Offerer: gathers and returns our offer (a=setup:actpass, trickle, the
 * candidates known so far). The offerer is the controlling ICE agent. */
char *rp_webrtc_peer_create_offer (RpWebrtcPeer *peer, GError **error);
/* The peer's offer (is_answer FALSE) or its answer to ours. Errors name
 * the SDP line (rtc/webrtc/sdp.h). */
gboolean rp_webrtc_peer_set_remote_description (RpWebrtcPeer *peer, const char *sdp, gsize len,
                                                gboolean is_answer, GError **error);
/* Answerer, after the offer: gathers and returns our answer. */
char *rp_webrtc_peer_create_answer (RpWebrtcPeer *peer, GError **error);
/* A trickled candidate ("candidate:..." with or without "a="); NULL or ""
 * is the end of candidates. Candidates we cannot use (mDNS names, other
 * components) are skipped and counted: not an error. Past
 * RP_SDP_MAX_CANDIDATES in all (the description's included):
 * G_IO_ERROR_NO_SPACE. */
gboolean rp_webrtc_peer_add_remote_candidate (RpWebrtcPeer *peer, const char *candidate,
                                              GError **error);
const char *rp_webrtc_peer_get_mid (RpWebrtcPeer *peer);
/* Remote candidates skipped so far: mDNS names (a browser hiding its
 * addresses) and components other than 1. */
guint rp_webrtc_peer_get_skipped_candidates (RpWebrtcPeer *peer);
RpWebrtcState rp_webrtc_peer_get_state (RpWebrtcPeer *peer);

/* A channel of ours; DATA_CHANNEL_OPEN goes once SCTP is up. */
RpWebrtcChannel *rp_webrtc_peer_open_channel (RpWebrtcPeer *peer, const char *label,
                                              const RpDcepPolicy *policy, GError **error);

const char *rp_webrtc_channel_get_label (RpWebrtcChannel *channel);
const char *rp_webrtc_channel_get_protocol (RpWebrtcChannel *channel);
guint16 rp_webrtc_channel_get_id (RpWebrtcChannel *channel);
const RpDcepPolicy *rp_webrtc_channel_get_policy (RpWebrtcChannel *channel);
/* One message with the channel's ordering and reliability; FALSE with an
 * error when the channel is not open, the message exceeds the peer's
 * a=max-message-size, or the send buffer is full. */
gboolean rp_webrtc_channel_send (RpWebrtcChannel *channel, const guint8 *data, gsize len,
                                 gboolean binary, GError **error);
/* Closes the channel (RFC 8831 6.7: we reset our outgoing stream, the peer
 * resets its own); channel_closed follows when the peer has. Nothing more
 * can be sent on it. */
void rp_webrtc_channel_close (RpWebrtcChannel *channel);

G_END_DECLS
