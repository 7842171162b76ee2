/* The targets `rtcprobe exporter` may probe ([listen] allow_targets): host
 * names, patterns of one leading label (*.example.org) and address ranges
 * (127.0.0.0/8, ::1). Anything else is refused before a packet is sent. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RpAllowList RpAllowList;

/* Entries separated by commas, semicolons or white space. NULL with a
 * one-line error naming the entry that is none of the three forms. */
RpAllowList *rp_allow_list_parse (const char *spec, GError **error);
void rp_allow_list_free (RpAllowList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpAllowList, rp_allow_list_free)

guint rp_allow_list_size (const RpAllowList *list);
/* host: a name (a trailing dot and case ignored) or an address literal
 * (brackets allowed). A name matches a name entry or a pattern (*.example.org
 * matches a.example.org and a.b.example.org, not example.org); an address
 * matches an address or range entry. Names are not resolved: a name is
 * allowed for what it is called. */
gboolean rp_allow_list_permits (const RpAllowList *list, const char *host);

G_END_DECLS
