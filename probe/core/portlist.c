/* Parsing of the port lists given to `rtcprobe ports --ports`:
 * "80/tcp,443/tcp 50000-50010/udp". Every entry names its protocol, since
 * TCP and UDP reachability are different findings and guessing one would
 * hide half of them. The expanded list is bounded: a probe, not a scan. */
#include "probe/core/portlist.h"

#include <gio/gio.h>
#include <string.h>

#include "common/quote.h"

const char *
rp_port_proto_to_string (RpPortProto p)
{
  switch (p) {
  case RP_PROTO_TCP: return "tcp";
  case RP_PROTO_UDP: return "udp";
  }
  return "unknown";
}

static gboolean
is_separator (char ch)
{
  return ch == ',' || g_ascii_isspace (ch);
}

/* Printable, bounded copy of user input for an error message. */
static char *
quote (const char *s, gsize len)
{
  return rp_quote_input (s, len, 40);
}

static gboolean fail (GError **error, const char *entry, gsize len, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, const char *entry, gsize len, const char *fmt, ...)
{
  g_autofree char *q = quote (entry, len);
  g_autofree char *what = NULL;
  va_list ap;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "port list entry %s: %s", q, what);
  return FALSE;
}

/* A decimal port 1-65535 at *pp, no sign, no leading '+'; leaves *pp after it. */
static gboolean
parse_port (const char **pp, const char *end, guint16 *out, const char *entry, gsize elen,
            GError **error)
{
  const char *p = *pp;
  guint32 v = 0;

  if (p == end || !g_ascii_isdigit (*p))
    return fail (error, entry, elen, "expected a port number (1-65535)");
  for (; p < end && g_ascii_isdigit (*p); p++)
    if (v <= 65535)
      v = v * 10 + (guint32) (*p - '0');
  if (v == 0 || v > 65535) {
    g_autofree char *q = quote (*pp, (gsize) (p - *pp));
    return fail (error, entry, elen, "port %s is out of range (1-65535)", q);
  }
  *out = (guint16) v;
  *pp = p;
  return TRUE;
}

static gboolean
parse_entry (const char *entry, gsize elen, guint16 *lo, guint16 *hi, RpPortProto *proto,
             GError **error)
{
  const char *end = entry + elen;
  const char *p = entry;
  const char *slash = memchr (entry, '/', elen);
  const char *ports_end = slash != NULL ? slash : end;

  if (!parse_port (&p, ports_end, lo, entry, elen, error))
    return FALSE;
  *hi = *lo;
  if (p < ports_end && *p == '-') {
    p++;
    if (!parse_port (&p, ports_end, hi, entry, elen, error))
      return FALSE;
    if (*lo > *hi)
      return fail (error, entry, elen, "range %u-%u runs backwards (write %u-%u)",
                   *lo, *hi, *hi, *lo);
  }
  if (p != ports_end) {
    g_autofree char *q = quote (p, 1);
    return fail (error, entry, elen, "unexpected %s (write PORT/PROTO or LO-HI/PROTO)", q);
  }

  if (slash == NULL) {
    g_autofree char *ports = *lo == *hi ? g_strdup_printf ("%u", *lo)
                                        : g_strdup_printf ("%u-%u", *lo, *hi);
    return fail (error, entry, elen, "no protocol: write %s/tcp or %s/udp", ports, ports);
  }

  g_autofree char *name = g_strndup (slash + 1, (gsize) (end - slash - 1));
  if (g_ascii_strcasecmp (name, "tcp") == 0) {
    *proto = RP_PROTO_TCP;
  } else if (g_ascii_strcasecmp (name, "udp") == 0) {
    *proto = RP_PROTO_UDP;
  } else {
    g_autofree char *q = quote (name, strlen (name));
    return fail (error, entry, elen, "unknown protocol %s (tcp or udp)", q);
  }
  return TRUE;
}

GArray *
rp_portlist_parse (const char *text, GError **error)
{
  g_autoptr (GArray) out = NULL;
  g_autofree guint8 *seen = NULL;   /* one bit per (proto, port) */
  const char *p = text;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  out = g_array_new (FALSE, FALSE, sizeof (RpPortSpec));
  seen = g_new0 (guint8, 2 * 65536 / 8);

  for (;;) {
    while (is_separator (*p))
      p++;
    if (*p == '\0')
      break;

    const char *entry = p;
    while (*p != '\0' && !is_separator (*p))
      p++;
    gsize elen = (gsize) (p - entry);
    guint16 lo = 0, hi = 0;
    RpPortProto proto = RP_PROTO_TCP;

    if (!parse_entry (entry, elen, &lo, &hi, &proto, error))
      return NULL;
    for (guint port = lo; port <= hi; port++) {
      guint bit = (guint) proto * 65536 + port;
      if (seen[bit / 8] & (1u << (bit % 8)))
        continue;
      if (out->len >= RP_PORTLIST_MAX) {
        fail (error, entry, elen, "the list expands to more than %d ports; probe fewer",
              RP_PORTLIST_MAX);
        return NULL;
      }
      seen[bit / 8] |= (guint8) (1u << (bit % 8));
      RpPortSpec spec = { (guint16) port, proto };
      g_array_append_val (out, spec);
    }
  }

  if (out->len == 0) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         "port list is empty (write e.g. 443/tcp,3478/udp)");
    return NULL;
  }
  return g_steal_pointer (&out);
}
