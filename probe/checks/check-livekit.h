/* LiveKit signalling without a client SDK: is the server up and routed
 * (GET / answers "OK", /rtc/validate answers 401 without a token), do
 * websocket upgrades reach it (/rtc answers 401, not a bare 404), and with
 * an API key and secret, does a token we sign validate (200): that proves
 * the key and secret are the server's. The token is a credential: it never
 * appears in a result. */
#pragma once

#include "probe/checks/checks-web.h"
#include "stun/turn-codec.h"

G_BEGIN_DECLS

/* An HS256 JWT in LiveKit's access-token format (iss = key, sub = identity,
 * nbf, exp, video grant {room, roomJoin}). base64url without padding. */
RpSecret *rp_livekit_token_new (const char *key, const char *secret, const char *identity,
                                const char *room, gint64 now, gint64 ttl_s);

/* RFC 4648 section 5, no padding. */
char *rp_base64url_encode (const guint8 *data, gsize len);

/* livekit.http, livekit.validate, livekit.rtc (with .<index> when several URLs). */
void rp_livekit_checks_add (RpRunner *runner, const RpProbeOptions *options, const RpTarget *target,
                            const RpWsOptions *ws, guint index);

G_END_DECLS
