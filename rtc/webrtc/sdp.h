/* SDP offer/answer for WebRTC data channels only (RFC 8866 syntax, RFC 8841
 * for the m=application section, RFC 8839 for ICE attributes, RFC 8842 for
 * a=setup and a=fingerprint of RFC 8122). The parser takes what Chromium,
 * Firefox and Safari send for a session with data channels and nothing else:
 * one "m=application <port> UDP/DTLS/SCTP webrtc-datachannel" section, with
 * BUNDLE and trickle ICE; anything else is refused with a one-line error that
 * names the line. The builder writes our offer or answer. Pure: no sockets,
 * no printing. */
#pragma once

#include <glib.h>

#include "rtc/webrtc/dtls-cert.h"

G_BEGIN_DECLS

#define RP_SDP_MAX_LEN 65536        /* a browser's data channel offer is about 1 KB */
#define RP_SDP_MAX_CANDIDATES 64
#define RP_SDP_MID_MAX 33           /* RFC 8843: a token; browsers use "0" or "data" */
#define RP_SDP_DEFAULT_SCTP_PORT 5000
#define RP_SDP_DEFAULT_MAX_MESSAGE 65536   /* RFC 8841 6.1: absent means 64 KB */

typedef enum {
  RP_SDP_SETUP_ACTPASS,   /* offerer: either role (RFC 8842 5.2) */
  RP_SDP_SETUP_ACTIVE,    /* the DTLS client */
  RP_SDP_SETUP_PASSIVE,   /* the DTLS server */
} RpSdpSetup;

const char *rp_sdp_setup_to_string (RpSdpSetup s);

/* One side's description of the data channel session. */
typedef struct {
  char *ufrag;                                  /* RFC 8839 5.4 */
  char *pwd;
  guint8 fingerprint[RP_DTLS_FINGERPRINT_LEN];  /* sha-256 (RFC 8122 5) */
  RpSdpSetup setup;
  char mid[RP_SDP_MID_MAX];                     /* "" when the section has none */
  guint16 sctp_port;                            /* RFC 8841 5.1 */
  guint64 max_message_size;                     /* RFC 8841 6.1; 0: no limit */
  gboolean trickle;                             /* a=ice-options:trickle */
  gboolean end_of_candidates;
  GArray *candidates;                           /* RpIceCandidate, component 1 */
  guint skipped_candidates;    /* candidates we cannot use (mDNS names, other components) */
} RpSdpSession;

RpSdpSession *rp_sdp_session_new (void);
void rp_sdp_session_free (RpSdpSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpSdpSession, rp_sdp_session_free)

/* Parses an offer or answer. G_IO_ERROR_INVALID_DATA ("SDP line N: ...")
 * or G_IO_ERROR_NOT_SUPPORTED (a session we do not answer: audio, video,
 * the pre-RFC 8841 "DTLS/SCTP 5000" form, a port of 0). An answer may not
 * say actpass (RFC 8842 5.3). */
RpSdpSession *rp_sdp_parse (const char *sdp, gsize len, gboolean is_answer, GError **error);

/* The DTLS role of the answerer to an offer with this setup (RFC 8842 5.3):
 * passive for actpass (the browser, who must send the first flight, then
 * never waits for us) and for active, active for passive. */
RpSdpSetup rp_sdp_answer_setup (RpSdpSetup offered);

/* Our offer or answer: session id, one application section with our ICE
 * credentials, fingerprint, setup, mid, SCTP port and maximum message size,
 * the candidates given so far (RpIceCandidate; NULL for none) and
 * a=end-of-candidates when complete. Lines end in CRLF (RFC 8866 5). */
char *rp_sdp_build (const RpSdpSession *local, guint64 session_id);

G_END_DECLS
