/* Fuzz target: a tester invite as the reflector receives it from a page
 * (reflector/protocol/reflector-invite.h). Whatever the bytes, the answer is
 * one of the results; fields are filled only for a valid or expired invite,
 * and then they are within the bounds an invite can carry. An invite made
 * from a valid label verifies with the same fields. */
#include <stdint.h>
#include <string.h>

#include "reflector/protocol/reflector-invite.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char secret[] = "0123456789abcdef-fuzz-secret";

static void
check_fields (const RpInvite *inv)
{
  g_assert_true (rp_invite_label_valid (inv->label));
  g_assert_cmpuint (inv->uses, >=, 1);
  g_assert_cmpuint (inv->uses, <=, RP_INVITE_USES_MAX);
  g_assert_cmpuint (strlen (inv->id), ==, RP_INVITE_ID_HEX);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  RpInvite inv = { 0 };
  RpInviteResult r = rp_invite_verify (secret, strlen (secret), (const char *) data, size,
                                       1700000000, &inv);
  g_autofree char *text = g_strndup ((const char *) data, MIN (size, 200));
  gint64 seconds = 0;

  g_assert_true (r == RP_INVITE_OK || r == RP_INVITE_MALFORMED || r == RP_INVITE_FORGED
                 || r == RP_INVITE_EXPIRED);
  if (r == RP_INVITE_OK || r == RP_INVITE_EXPIRED)
    check_fields (&inv);
  else
    g_assert_null (inv.label);
  rp_invite_clear (&inv);
  /* The bytes as a label: made into an invite and read back unchanged. */
  if (rp_invite_label_valid (text)) {
    g_autofree char *made = rp_invite_make (secret, strlen (secret), text, 1700000600, 2, NULL);
    g_assert_nonnull (made);
    g_assert_cmpint (rp_invite_verify (secret, strlen (secret), made, strlen (made), 1700000000,
                                       &inv), ==, RP_INVITE_OK);
    g_assert_cmpstr (inv.label, ==, text);
    rp_invite_clear (&inv);
  }
  if (rp_invite_parse_duration (text, 60, RP_INVITE_TTL_MAX_S, &seconds, NULL))
    g_assert_true (seconds >= 60 && seconds <= RP_INVITE_TTL_MAX_S);
  return 0;
}
