/* Secrets (TURN passwords, shared secrets, tokens' keys) as strings that are
 * zeroed before their memory is given back. They come from files or the
 * environment, never from argv, and are never logged or reported. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A secret string: zeroed before it is freed (g_autoptr (RpSecret)). */
typedef char RpSecret;
void rp_secret_free (RpSecret *secret);   /* NULL is fine */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpSecret, rp_secret_free)

G_END_DECLS
