/* Fuzz target: SDP candidate lines (RFC 8839) as a peer or reflector sends
 * them. A line that parses must format back to a line that parses to the
 * same candidate. */
#include <stdint.h>
#include <string.h>

#include "rtc/ice/ice-candidate.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *line = g_strndup ((const char *) data, size);
  RpIceCandidate c, again;
  g_autofree char *sdp = NULL;
  g_autofree char *text = NULL;

  if (!rp_ice_candidate_from_sdp (line, &c, NULL))
    return 0;
  sdp = rp_ice_candidate_to_sdp (&c);
  text = rp_ice_candidate_describe (&c);
  g_assert (sdp != NULL && text != NULL);
  g_assert (rp_ice_candidate_from_sdp (sdp, &again, NULL));
  g_assert (again.type == c.type && again.transport == c.transport && again.priority == c.priority);
  return 0;
}
