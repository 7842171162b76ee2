/* ICE candidates as plain values: SDP "candidate:" strings for signalling
 * (RFC 8839 5.1, tcptype from RFC 6544), one-line descriptions for reports,
 * and the relay-only filter. See ice-candidate.h. */
#include "rtc/ice/ice-candidate.h"

#include <gio/gio.h>
#include <string.h>

static const char *type_names[] = { "host", "srflx", "prflx", "relay" };
static const char *transport_names[] = { "udp", "tcp-active", "tcp-passive", "tcp-so" };
static const char *tcptype_names[] = { NULL, "active", "passive", "so" };

const char *
rp_ice_cand_type_to_string (RpIceCandType t)
{
  return (guint) t < G_N_ELEMENTS (type_names) ? type_names[t] : "unknown";
}

gboolean
rp_ice_cand_type_from_string (const char *s, RpIceCandType *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (g_ascii_strcasecmp (s, type_names[i]) == 0) {
      *out = i;
      return TRUE;
    }
  return FALSE;
}

const char *
rp_ice_cand_transport_to_string (RpIceCandTransport t)
{
  return (guint) t < G_N_ELEMENTS (transport_names) ? transport_names[t] : "unknown";
}

static gboolean
is_ipv6 (const char *addr)
{
  return strchr (addr, ':') != NULL;
}

char *
rp_ice_candidate_to_sdp (const RpIceCandidate *c)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "candidate:%s %u %s %u %s %u typ %s", c->foundation, c->component,
                          c->transport == RP_ICE_CAND_UDP ? "udp" : "tcp", c->priority, c->addr,
                          c->port, rp_ice_cand_type_to_string (c->type));
  /* RFC 8839 5.1: rel-addr/rel-port are present for srflx, prflx and relay. */
  if (c->type != RP_ICE_CAND_HOST && c->raddr[0] != '\0')
    g_string_append_printf (s, " raddr %s rport %u", c->raddr, c->rport);
  if (c->transport != RP_ICE_CAND_UDP)
    g_string_append_printf (s, " tcptype %s", tcptype_names[c->transport]);
  return g_string_free (s, FALSE);
}

static gboolean
bad (GError **error, const char *what, const char *line)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "ICE candidate: %s in '%s'", what, line);
  return FALSE;
}

static gboolean
parse_uint (const char *s, guint64 max, guint64 *out)
{
  return s != NULL && g_ascii_string_to_unsigned (s, 10, 0, max, out, NULL);
}

static gboolean
parse_addr (const char *s, char *out)
{
  g_autoptr (GInetAddress) a = NULL;

  /* Numeric only: names (and mDNS .local names) are not resolved here. */
  if (s == NULL || strlen (s) >= RP_ICE_ADDR_MAX ||
      (a = g_inet_address_new_from_string (s)) == NULL)
    return FALSE;
  g_strlcpy (out, s, RP_ICE_ADDR_MAX);
  return TRUE;
}

static gboolean
foundation_ok (const char *f)
{
  gsize n = strlen (f);

  if (n == 0 || n >= RP_ICE_FOUNDATION_MAX)
    return FALSE;
  for (gsize i = 0; i < n; i++)   /* RFC 8445 5.1.1.3: ice-char = ALPHA / DIGIT / "+" / "/" */
    if (!g_ascii_isalnum (f[i]) && f[i] != '+' && f[i] != '/')
      return FALSE;
  return TRUE;
}

gboolean
rp_ice_candidate_from_sdp (const char *line, RpIceCandidate *out, GError **error)
{
  g_autofree char *copy = NULL;
  g_auto (GStrv) tok = NULL;
  const char *p = line;
  guint64 v;
  guint n;
  gboolean have_tcptype = FALSE;

  memset (out, 0, sizeof *out);
  out->gathered_us = -1;
  /* The splitting regex matches UTF-8 only (it returns no tokens otherwise),
   * and the line is quoted in errors: reject other bytes before either. */
  if (!g_utf8_validate (line, -1, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "ICE candidate: not valid UTF-8");
    return FALSE;
  }
  if (g_str_has_prefix (p, "a="))
    p += 2;
  if (g_str_has_prefix (p, "candidate:"))
    p += strlen ("candidate:");
  copy = g_strstrip (g_strdup (p));
  /* GRegex takes UTF-8 only (it returns NULL for anything else) */
  if (!g_utf8_validate (copy, -1, NULL))
    return bad (error, "not UTF-8 text", line);
  tok = g_regex_split_simple ("[ \t]+", copy, 0, 0);
  n = g_strv_length (tok);
  if (n < 8)
    return bad (error, "fewer than 8 fields", line);
  if (!foundation_ok (tok[0]))
    return bad (error, "bad foundation", line);
  g_strlcpy (out->foundation, tok[0], sizeof out->foundation);
  if (!parse_uint (tok[1], 256, &v) || v == 0)
    return bad (error, "bad component id", line);
  out->component = v;
  if (g_ascii_strcasecmp (tok[2], "udp") == 0)
    out->transport = RP_ICE_CAND_UDP;
  else if (g_ascii_strcasecmp (tok[2], "tcp") == 0)
    out->transport = RP_ICE_CAND_TCP_PASSIVE;   /* until tcptype says otherwise */
  else
    return bad (error, "transport is neither udp nor tcp", line);
  if (!parse_uint (tok[3], G_MAXUINT32, &v) || v == 0)
    return bad (error, "bad priority", line);
  out->priority = v;
  if (!parse_addr (tok[4], out->addr))
    return bad (error, "connection address is not a numeric IP address", line);
  if (!parse_uint (tok[5], 65535, &v))
    return bad (error, "bad port", line);
  out->port = v;
  if (g_strcmp0 (tok[6], "typ") != 0 || !rp_ice_cand_type_from_string (tok[7], &out->type))
    return bad (error, "missing or unknown 'typ'", line);
  for (guint i = 8; i < n; i += 2) {
    if (i + 1 >= n)
      return bad (error, "an attribute without a value", line);
    if (g_strcmp0 (tok[i], "raddr") == 0) {
      if (!parse_addr (tok[i + 1], out->raddr))
        return bad (error, "bad raddr", line);
    } else if (g_strcmp0 (tok[i], "rport") == 0) {
      if (!parse_uint (tok[i + 1], 65535, &v))
        return bad (error, "bad rport", line);
      out->rport = v;
    } else if (g_strcmp0 (tok[i], "tcptype") == 0) {
      guint t;
      for (t = 1; t < G_N_ELEMENTS (tcptype_names); t++)
        if (g_strcmp0 (tok[i + 1], tcptype_names[t]) == 0)
          break;
      if (t == G_N_ELEMENTS (tcptype_names) || out->transport == RP_ICE_CAND_UDP)
        return bad (error, "bad tcptype", line);
      out->transport = t;
      have_tcptype = TRUE;
    }
    /* RFC 8839 5.1: unknown extension attributes are ignored. */
  }
  if (out->transport != RP_ICE_CAND_UDP && !have_tcptype)
    return bad (error, "tcp candidate without tcptype", line);
  if (out->raddr[0] != '\0' && is_ipv6 (out->raddr) != is_ipv6 (out->addr))
    return bad (error, "raddr and address are of different families", line);
  return TRUE;
}

char *
rp_ice_candidate_describe (const RpIceCandidate *c)
{
  gboolean v6 = is_ipv6 (c->addr);
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s %s %s%s%s:%u prio %u", rp_ice_cand_type_to_string (c->type),
                          rp_ice_cand_transport_to_string (c->transport), v6 ? "[" : "", c->addr,
                          v6 ? "]" : "", c->port, c->priority);
  if (c->gathered_us >= 0)
    g_string_append_printf (s, " at %.3f ms", c->gathered_us / 1000.0);
  return g_string_free (s, FALSE);
}

char *
rp_ice_candidates_describe (const GArray *cands)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; cands != NULL && i < cands->len; i++) {
    g_autofree char *one = rp_ice_candidate_describe (&g_array_index (cands, RpIceCandidate, i));
    if (i > 0)
      g_string_append (s, "; ");
    g_string_append (s, one);
  }
  return g_string_free (s, FALSE);
}

guint
rp_ice_candidates_count (const GArray *cands, RpIceCandType type)
{
  guint n = 0;

  for (guint i = 0; cands != NULL && i < cands->len; i++)
    if (g_array_index (cands, RpIceCandidate, i).type == type)
      n++;
  return n;
}

GArray *
rp_ice_candidates_filter_type (const GArray *cands, RpIceCandType type)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (RpIceCandidate));

  for (guint i = 0; cands != NULL && i < cands->len; i++) {
    const RpIceCandidate *c = &g_array_index (cands, RpIceCandidate, i);
    if (c->type == type)
      g_array_append_val (out, *c);
  }
  return out;
}
