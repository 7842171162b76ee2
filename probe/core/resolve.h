/* Name resolution for every check: GResolver, asynchronous, with the -4/-6
 * filter applied, and an operator's explanation when it fails. Checks hand
 * numeric addresses to the libraries below them and keep the name for SNI. */
#pragma once

#include <gio/gio.h>

#include "probe/core/options.h"

G_BEGIN_DECLS

/* Literal addresses resolve to themselves without a lookup. */
void rp_resolve_async (const char *host, RpFamily family, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data);
/* A list of GInetAddress (no duplicates), or NULL with error. */
GList *rp_resolve_finish (GAsyncResult *result, GError **error);
/* One line saying what a resolution failure means and what to check. */
char *rp_resolve_hint (const char *host, RpFamily family, const GError *error);
/* "192.0.2.1:3478" or "[2001:db8::1]:3478" */
char *rp_address_port_to_string (GInetAddress *address, guint16 port);
/* The same for a numeric address (or a name) given as text. */
char *rp_host_port_to_string (const char *host, guint16 port);
/* "ipv4" or "ipv6": the `family` detail of every per-address result. */
const char *rp_address_family_tag (GInetAddress *address);
/* The same for a numeric address as text (brackets and a port allowed);
 * NULL when it is neither. */
const char *rp_address_text_family_tag (const char *address);

G_END_DECLS
