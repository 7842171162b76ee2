/* Tester invites for the reflector's page (`rtcprobe invite`), sans-I/O.
 *
 * An invite is what follows '#' in the link a tester opens,
 * `<public_url>/test#<invite>`: in the fragment, so it never reaches a
 * proxy's access log. It is two base64url strings (RFC 4648 5, no padding)
 * joined by '.':
 *
 *   payload = "1:<expiry unix time>:<uses>:<id, 16 hex digits>:<label>"
 *   invite  = b64url(payload) "." b64url(HMAC-SHA-256(secret, "rtcprobe-invite\n" payload))
 *
 * keyed with the reflector's [auth] secret. The prefix keeps an invite's MAC
 * apart from a signalling token's (HMAC-SHA1 over "<expiry>:<name>"). The
 * MAC is checked first, in constant time; only then are the fields read, so
 * what a forger learns does not depend on the payload. The label is what
 * the team named the tester ("alice, hotel wifi"): 1 to 64 octets of UTF-8
 * without control characters. The id tells invites apart for the use
 * count, which the reflector keeps in memory (RpInviteLedger): a restart
 * forgets how often an invite was used, not when it expires. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RP_INVITE_LABEL_MAX 64
#define RP_INVITE_MAX_LEN 512         /* longer text is refused before any decoding */
#define RP_INVITE_USES_MAX 1000
#define RP_INVITE_TTL_MIN_S 60
#define RP_INVITE_TTL_MAX_S (86400 * 30)
#define RP_INVITE_ID_HEX 16

typedef enum {
  RP_INVITE_OK,
  RP_INVITE_MALFORMED,     /* not two base64url parts, or a payload we never make */
  RP_INVITE_FORGED,        /* the MAC does not match this reflector's secret */
  RP_INVITE_EXPIRED,
  RP_INVITE_USED_UP,       /* the ledger counted every use already */
  RP_INVITE_BUSY,          /* the ledger is full of live invites */
} RpInviteResult;

typedef struct {
  gint64 expiry_unix;
  guint uses;
  char id[RP_INVITE_ID_HEX + 1];
  char *label;
} RpInvite;

void rp_invite_clear (RpInvite *invite);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RpInvite, rp_invite_clear)

/* "ok", "malformed", "forged", "expired", "used-up", "busy" (for the log). */
const char *rp_invite_result_to_string (RpInviteResult r);
/* The one sentence a tester reads when the invite is refused. */
const char *rp_invite_result_sentence (RpInviteResult r);

/* Is label acceptable in an invite (see above)? */
gboolean rp_invite_label_valid (const char *label);

/* A new invite with a random id. NULL with error when the label, uses
 * (1..RP_INVITE_USES_MAX) or the secret cannot make one. */
char *rp_invite_make (const char *secret, gsize secret_len, const char *label, gint64 expiry_unix,
                      guint uses, GError **error);

/* Checks text as the reflector does and fills out (clear it) on
 * RP_INVITE_OK and RP_INVITE_EXPIRED. Never RP_INVITE_USED_UP or BUSY: that
 * is the ledger's. */
RpInviteResult rp_invite_verify (const char *secret, gsize secret_len, const char *text, gsize len,
                                 gint64 now_unix, RpInvite *out);

/* "90", "90s", "15m", "2h", "7d": seconds in [min_s, max_s]. */
gboolean rp_invite_parse_duration (const char *text, gint64 min_s, gint64 max_s, gint64 *out,
                                   GError **error);

/* How often each invite was used, in memory, bounded in entries. */
typedef struct _RpInviteLedger RpInviteLedger;

RpInviteLedger *rp_invite_ledger_new (guint max_entries);
void rp_invite_ledger_free (RpInviteLedger *ledger);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpInviteLedger, rp_invite_ledger_free)

/* One use of a verified, unexpired invite: RP_INVITE_OK (counted),
 * RP_INVITE_USED_UP, or RP_INVITE_BUSY when the table is full of invites
 * that have not expired (expired ones are dropped to make room). */
RpInviteResult rp_invite_ledger_take (RpInviteLedger *ledger, const RpInvite *invite,
                                      gint64 now_unix);
/* Uses counted for an id so far (0 when unknown). */
guint rp_invite_ledger_used (const RpInviteLedger *ledger, const char *id);

G_END_DECLS
