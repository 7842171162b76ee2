/* Fuzz target: what a client or a server can send the reflector: JSON
 * signalling messages, token user names, and test packets to verify. */
#include <stdint.h>
#include <string.h>

#include "reflector/protocol/reflector-auth.h"
#include "reflector/protocol/reflector-proto.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const guint8 key[RP_REFLECTOR_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
  g_autofree char *text = g_strndup ((const char *) data, size);
  const char *type = NULL;
  JsonObject *o = rp_reflector_msg_parse ((const char *) data, size, &type, NULL);

  if (o != NULL) {
    g_autofree char *ufrag = NULL;
    g_autofree char *pwd = NULL;
    g_autoptr (GArray) cands = NULL;
    RpReflectorWelcome w = { 0 };

    rp_reflector_msg_str (o, "username");
    rp_reflector_msg_str (o, "token");
    if (rp_reflector_msg_get_ice (o, &ufrag, &pwd, &cands, NULL)) {
      guint before = cands->len;
      guint max = RP_REFLECTOR_MAX_FOREIGN;
      guint removed = rp_reflector_candidates_limit_foreign (cands, "127.0.0.1", max);
      /* Invariant: what was removed is gone, and no more than the limit of
       * the others is left. */
      g_assert (cands->len + removed == before);
      g_assert (rp_reflector_candidates_limit_foreign (cands, "127.0.0.1", max) == 0);
    }
    if (rp_reflector_msg_get_welcome (o, &w, NULL)) {
      /* Invariant: a load welcome's SSIDs are distinct and in range. */
      for (guint i = 0; w.streams != NULL && i < w.streams->len; i++)
        g_assert (g_array_index (w.streams, guint16, i) != 0);
      g_assert (w.streams == NULL
                || (w.streams->len >= 1 && w.streams->len <= RP_REFLECTOR_MAX_STREAMS));
      rp_reflector_welcome_clear (&w);
    }
    {
      gint64 n = rp_reflector_msg_get_streams (o);
      g_assert (n >= -1 && n <= RP_REFLECTOR_MAX_STREAMS);
    }
    json_object_unref (o);
  }
  rp_reflector_token_name (text);
  rp_reflector_packet_ssid (data, size);
  rp_reflector_packet_verify (data, size, key);
  return 0;
}
