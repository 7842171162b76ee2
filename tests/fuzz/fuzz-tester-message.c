/* Fuzz target: what a tester's browser sends the reflector
 * (reflector/protocol/reflector-tester.h), parsed as the server does: the
 * message, then its invite, pc, sdp and candidate. Whatever the bytes, each
 * getter gives a value within its bound or refuses with a one-line error;
 * timings and result (what the browser measured) likewise. */
#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

#include "reflector/protocol/reflector-invite.h"
#include "reflector/protocol/reflector-proto.h"
#include "reflector/protocol/reflector-tester.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
one_line (GError *error)
{
  g_assert_nonnull (error);
  g_assert_null (strchr (error->message, '\n'));
}

static void
check_measured (JsonObject *o)
{
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GArray) sent = NULL;
  g_autoptr (GArray) replies = NULL;
  const char *id = NULL;
  RpTesterResult res;

  if (rp_tester_msg_get_timings (o, &id, &sent, &replies, &e1)) {
    g_assert_true (rp_tester_voice_id_valid (id));
    g_assert_cmpuint (sent->len + replies->len, <=, RP_TESTER_MAX_ROWS);
  } else {
    one_line (e1);
  }
  if (rp_tester_msg_get_result (o, &res, &e2)) {
    g_assert_cmpuint (res.gather->len, <=, RP_TESTER_MAX_PATHS);
    g_assert_cmpuint (res.ice->len, <=, RP_TESTER_MAX_PATHS);
    for (guint i = 0; i < res.ice->len; i++)
      g_assert_true (rp_tester_ice_id_valid (g_array_index (res.ice, RpTesterIce, i).id));
    for (guint i = 0; i < res.gather->len; i++) {
      const RpTesterGather *g = &g_array_index (res.gather, RpTesterGather, i);
      g_assert_true (g->mapped == NULL || g_hostname_is_ip_address (g->mapped));
    }
    rp_tester_result_clear (&res);
  } else {
    one_line (e2);
    g_assert_null (res.gather);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *type = NULL;
  g_autoptr (JsonObject) o = rp_reflector_msg_parse ((const char *) data, size, &type, NULL);
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  const char *s, *cand = NULL;
  guint pc = 0;

  if (o == NULL)
    return 0;
  s = rp_tester_msg_get_invite (o);
  g_assert_true (s == NULL || strlen (s) <= RP_INVITE_MAX_LEN);
  if (rp_tester_msg_get_pc (o, &pc, &e1))
    g_assert_true (pc >= 1 && pc <= RP_TESTER_MAX_PC);
  else
    one_line (e1);
  s = rp_tester_msg_get_sdp (o, &e2);
  if (s != NULL)
    g_assert_cmpuint (strlen (s), <=, RP_TESTER_MAX_SDP);
  else
    one_line (e2);
  if (rp_tester_msg_get_candidate (o, &cand, &e3))
    g_assert_true (cand == NULL || strlen (cand) <= RP_TESTER_MAX_CANDIDATE);
  else
    one_line (e3);
  check_measured (o);
  return 0;
}
