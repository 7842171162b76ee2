/* Fuzz target for the SDP parser of data channel sessions
 * (rtc/webrtc/sdp.h). The input is parsed as an offer and as an answer; an
 * error must be one line; a description that parses is built again and the
 * result must parse to the same credentials, fingerprint, setup, mid, ports
 * and candidates. Any broken invariant aborts. */
#include <gio/gio.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/webrtc/sdp.h"

static void
require (gboolean ok)
{
  if (!ok)
    abort ();
}

static void
round_trip (const RpSdpSession *s, gboolean is_answer)
{
  g_autofree char *text = rp_sdp_build (s, 1);
  g_autoptr (RpSdpSession) back = rp_sdp_parse (text, strlen (text), is_answer, NULL);

  require (back != NULL);
  require (strcmp (back->ufrag, s->ufrag) == 0 && strcmp (back->pwd, s->pwd) == 0);
  require (memcmp (back->fingerprint, s->fingerprint, sizeof s->fingerprint) == 0);
  require (back->setup == s->setup && back->sctp_port == s->sctp_port);
  require (back->max_message_size == s->max_message_size);
  require (strcmp (back->mid, s->mid[0] != '\0' ? s->mid : "0") == 0);
  require (back->candidates->len == s->candidates->len);
  require (back->candidates->len <= RP_SDP_MAX_CANDIDATES);
}

static void
one (const uint8_t *data, size_t size, gboolean is_answer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpSdpSession) s = rp_sdp_parse ((const char *) data, size, is_answer, &error);

  require ((s == NULL) == (error != NULL));
  if (s == NULL) {
    require (strchr (error->message, '\n') == NULL && strchr (error->message, '\r') == NULL);
    return;
  }
  require (s->ufrag != NULL && s->pwd != NULL);
  require (!is_answer || s->setup != RP_SDP_SETUP_ACTPASS);
  round_trip (s, is_answer);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  one (data, size, FALSE);
  one (data, size, TRUE);
  return 0;
}
