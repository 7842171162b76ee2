/* Parsing of the targets users hand to rtcprobe: the stun:/stuns: URIs of
 * RFC 7064, the turn:/turns: URIs of RFC 7065 (as written in a WebRTC
 * iceServers list) and http(s)/ws(s) URLs. The parser is strict where a
 * lenient reading would probe something other than what the user meant
 * (unbracketed IPv6, numeric shorthands, unknown query keys) and says in one
 * line what is wrong. It never resolves or connects. */
#include "probe/core/target.h"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <string.h>

#include "common/quote.h"

#define MAX_INPUT_LEN 4096   /* longer is a mistake, not a target */
#define MAX_HOST_LEN 253     /* RFC 1035 2.3.4, without the trailing dot */
#define MAX_LABEL_LEN 63

static const struct {
  const char *name;
  RpScheme scheme;
  guint16 default_port;
  RpTransport transport;
} schemes[] = {
  { "stun",  RP_SCHEME_STUN,  3478, RP_TRANSPORT_UDP },   /* RFC 7064 3.2 */
  { "stuns", RP_SCHEME_STUNS, 5349, RP_TRANSPORT_TLS },
  { "turn",  RP_SCHEME_TURN,  3478, RP_TRANSPORT_UDP },   /* RFC 7065 3.2 */
  { "turns", RP_SCHEME_TURNS, 5349, RP_TRANSPORT_TLS },
  { "http",  RP_SCHEME_HTTP,    80, RP_TRANSPORT_TCP },
  { "https", RP_SCHEME_HTTPS,  443, RP_TRANSPORT_TLS },
  { "ws",    RP_SCHEME_WS,      80, RP_TRANSPORT_TCP },
  { "wss",   RP_SCHEME_WSS,    443, RP_TRANSPORT_TLS },
};

const char *
rp_transport_to_string (RpTransport t)
{
  switch (t) {
  case RP_TRANSPORT_UDP: return "udp";
  case RP_TRANSPORT_TCP: return "tcp";
  case RP_TRANSPORT_TLS: return "tls";
  }
  return "unknown";
}

const char *
rp_scheme_to_string (RpScheme s)
{
  for (gsize i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (schemes[i].scheme == s)
      return schemes[i].name;
  return "unknown";
}

void
rp_target_free (RpTarget *t)
{
  if (t == NULL)
    return;
  g_free (t->host);
  g_free (t->path);
  g_free (t->query);
  g_free (t->uri);
  g_free (t);
}

static gboolean
is_url_scheme (RpScheme s)
{
  return s == RP_SCHEME_HTTP || s == RP_SCHEME_HTTPS ||
         s == RP_SCHEME_WS || s == RP_SCHEME_WSS;
}

/* Printable, bounded copy of user input for an error message. */
static char *
quote (const char *s, gsize len)
{
  return rp_quote_input (s, len, 64);
}

/* Parsing state: the input and how errors name it. */
typedef struct {
  const char *text;
  const char *kind;   /* "turn URI", "https URL", "target" */
} Ctx;

static gboolean fail (const Ctx *c, GError **error, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (const Ctx *c, GError **error, const char *fmt, ...)
{
  g_autofree char *what = NULL;
  g_autofree char *q = quote (c->text, strlen (c->text));
  va_list ap;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s %s: %s", c->kind, q, what);
  return FALSE;
}

static gboolean
is_ldh (char ch)
{
  return g_ascii_isalnum (ch) || ch == '-';
}

/* RFC 1123 2.1 host names: LDH labels of 1-63 octets, not starting or ending
 * with '-', 253 octets in all, one trailing dot allowed. The last label must
 * not be all digits (RFC 3696 2) and the name must not be a form inet_aton()
 * would read as an address ("127.1", "0x7f000001"): the resolver would
 * quietly probe a different host than the one the user sees. */
static gboolean
check_hostname (const Ctx *c, const char *host, GError **error)
{
  gsize len = strlen (host);
  const char *label;
  const char *last_label = host;
  struct in_addr unused;

  if (len > 0 && host[len - 1] == '.')
    len--;
  if (len == 0)
    return fail (c, error, "host name is empty");
  if (len > MAX_HOST_LEN)
    return fail (c, error, "host name is longer than %d characters", MAX_HOST_LEN);

  label = host;
  for (gsize i = 0; i <= len; i++) {
    if (i < len && host[i] != '.') {
      if (!is_ldh (host[i]))
        return fail (c, error, "host name has an invalid character '%c' "
                     "(letters, digits, '-' and '.' only)", host[i]);
      continue;
    }
    gsize llen = (gsize) (host + i - label);
    if (llen == 0)
      return fail (c, error, "host name has an empty label");
    if (llen > MAX_LABEL_LEN)
      return fail (c, error, "host name has a label longer than %d characters", MAX_LABEL_LEN);
    if (label[0] == '-' || label[llen - 1] == '-')
      return fail (c, error, "host name label starts or ends with '-'");
    last_label = label;
    label = host + i + 1;
  }

  gboolean all_digits = TRUE;
  for (const char *p = last_label; p < host + len; p++)
    if (!g_ascii_isdigit (*p))
      all_digits = FALSE;
  if (all_digits || inet_aton (host, &unused)) {
    g_autofree char *q = quote (host, strlen (host));
    return fail (c, error, "host %s is neither a name nor a dotted-quad IPv4 address", q);
  }
  return TRUE;
}

/* "2001:db8::1" or "2001:db8::1:3478" where HOST[:PORT] belongs (RFC 3986
 * 3.2.2 requires brackets): worth a hint rather than a port error. */
static gboolean
looks_like_bare_ipv6 (const char *p, gsize n)
{
  g_autofree char *s = g_strndup (p, n);
  char *last;

  if (g_hostname_is_ip_address (s) && strchr (s, ':') != NULL)
    return TRUE;
  last = strrchr (s, ':');
  if (last == NULL)
    return FALSE;
  *last = '\0';
  return strchr (s, ':') != NULL && g_hostname_is_ip_address (s);
}

/* Parses HOST or [IPV6] at *pp, leaving *pp after it. */
static gboolean
parse_host (const Ctx *c, const char **pp, const char *stops, RpTarget *t, GError **error)
{
  const char *p = *pp;

  if (*p == '[') {
    const char *close = strchr (p, ']');
    if (close == NULL)
      return fail (c, error, "'[' without a closing ']'");
    g_autofree char *lit = g_strndup (p + 1, (gsize) (close - p - 1));
    /* RFC 6874 zone ids name an interface of this machine: a deployment's
     * server is never reached through one. */
    if (strchr (lit, '%') != NULL)
      return fail (c, error, "IPv6 zone ids are not supported");
    if (lit[0] == '\0')
      return fail (c, error, "empty IPv6 address in brackets");
    g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (lit);
    if (addr == NULL || !g_hostname_is_ip_address (lit)) {
      g_autofree char *q = quote (p, (gsize) (close + 1 - p));
      return fail (c, error, "%s is not an IPv6 address", q);
    }
    if (g_inet_address_get_family (addr) != G_SOCKET_FAMILY_IPV6)
      return fail (c, error, "IPv4 addresses are written without brackets");
    if (g_inet_address_get_is_any (addr))
      return fail (c, error, "[::] is not a server address");
    t->host = g_inet_address_to_string (addr);
    t->host_is_ip = TRUE;
    *pp = close + 1;
    if (**pp != '\0' && **pp != ':' && strchr (stops, **pp) == NULL)
      return fail (c, error, "unexpected '%c' after ']'", **pp);
    return TRUE;
  }

  gsize n = strcspn (p, stops);
  const char *colon = memchr (p, ':', n);
  if (colon != NULL && looks_like_bare_ipv6 (p, n))
    return fail (c, error, "IPv6 addresses must be in brackets, e.g. [2001:db8::1]");
  if (colon != NULL)
    n = (gsize) (colon - p);
  if (n == 0)
    return fail (c, error, "missing host");

  g_autofree char *host = g_ascii_strdown (p, (gssize) n);
  if (g_hostname_is_ip_address (host)) {
    g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (host);
    if (addr == NULL)
      return fail (c, error, "\"%s\" is not an IP address", host);
    /* Connecting to the unspecified address reaches this machine: never the
     * server the user meant. */
    if (g_inet_address_get_is_any (addr))
      return fail (c, error, "%s is not a server address", host);
    t->host = g_inet_address_to_string (addr);
    t->host_is_ip = TRUE;
  } else {
    if (!check_hostname (c, host, error))
      return FALSE;
    t->host = g_steal_pointer (&host);
  }
  *pp = p + n;
  return TRUE;
}

/* Parses ":PORT" at *pp if present: decimal, 1-65535 (RFC 3986 3.2.3). */
static gboolean
parse_port (const Ctx *c, const char **pp, const char *stops, RpTarget *t, GError **error)
{
  const char *p = *pp;
  guint32 v = 0;
  gsize n;

  if (*p != ':')
    return TRUE;
  p++;
  n = strcspn (p, stops);
  if (n == 0)
    return fail (c, error, "empty port after ':'");
  for (gsize i = 0; i < n; i++) {
    if (!g_ascii_isdigit (p[i])) {
      g_autofree char *q = quote (p, n);
      return fail (c, error, "port %s is not a decimal number", q);
    }
    if (v <= 65535)
      v = v * 10 + (guint32) (p[i] - '0');
  }
  if (v == 0 || v > 65535) {
    g_autofree char *q = quote (p, n);
    return fail (c, error, "port %s is out of range (1-65535)", q);
  }
  t->port = (guint16) v;
  t->port_explicit = TRUE;
  *pp = p + n;
  return TRUE;
}

/* RFC 7065 3.1: turnURI = scheme ":" host [ ":" port ] [ "?transport=" transport ].
 * stun: takes the same parameter (browsers accept it); stuns: takes none. */
static gboolean
parse_ice_query (const Ctx *c, const char *q, RpTarget *t, GError **error)
{
  if (t->scheme == RP_SCHEME_STUNS)
    return fail (c, error, "stuns: ?transport= is not allowed (stuns is always TLS over TCP)");
  if (*q == '\0')
    return fail (c, error, "empty query after '?'");
  if (strchr (q, '&') != NULL)
    return fail (c, error, "only one parameter, ?transport=, is allowed");

  const char *eq = strchr (q, '=');
  gsize klen = eq != NULL ? (gsize) (eq - q) : strlen (q);
  if (klen != strlen ("transport") || g_ascii_strncasecmp (q, "transport", klen) != 0) {
    g_autofree char *k = quote (q, klen);
    return fail (c, error, "unknown parameter %s (only ?transport=udp|tcp)", k);
  }
  if (eq == NULL || eq[1] == '\0')
    return fail (c, error, "?transport= needs a value (udp or tcp)");

  const char *v = eq + 1;
  if (g_ascii_strcasecmp (v, "tcp") == 0) {
    if (t->scheme != RP_SCHEME_TURNS)
      t->transport = RP_TRANSPORT_TCP;
  } else if (g_ascii_strcasecmp (v, "udp") == 0) {
    if (t->scheme == RP_SCHEME_TURNS)
      return fail (c, error, "turns over UDP would be DTLS, which is not supported: "
                   "use turns:HOST (TLS over TCP) or turn:HOST?transport=udp");
    t->transport = RP_TRANSPORT_UDP;
  } else if (g_ascii_strcasecmp (v, "tls") == 0) {
    return fail (c, error, "transport=tls is not a transport: write %s:HOST for TLS",
                 t->scheme == RP_SCHEME_STUN ? "stuns" : "turns");
  } else {
    g_autofree char *vq = quote (v, strlen (v));
    return fail (c, error, "unknown transport %s (udp or tcp)", vq);
  }
  t->transport_explicit = TRUE;
  return TRUE;
}

static gboolean
parse_ice (const Ctx *c, const char *rest, RpTarget *t, GError **error)
{
  const char *p = rest;

  /* RFC 7064 3.1 has no authority ("//") form, but "stun://host" is a common
   * slip that some WebRTC stacks accept: read it as stun:host, and the
   * normalised uri shows the RFC form. */
  if (g_str_has_prefix (p, "//"))
    p += 2;
  if (memchr (p, '@', strcspn (p, "?")) != NULL)
    return fail (c, error, "credentials never go in a URI: pass --user with "
                 "--password-file or --secret-file");
  if (!parse_host (c, &p, "?/#", t, error) || !parse_port (c, &p, "?/#", t, error))
    return FALSE;
  if (*p == '/')
    return fail (c, error, "%s URIs have no path", rp_scheme_to_string (t->scheme));
  if (*p == '#')
    return fail (c, error, "%s URIs have no fragment", rp_scheme_to_string (t->scheme));
  if (*p == '?' && !parse_ice_query (c, p + 1, t, error))
    return FALSE;
  return TRUE;
}

static gboolean
is_pchar (char ch)
{
  /* RFC 3986 3.3: unreserved / sub-delims / ":" / "@" (pct-encoded apart) */
  return g_ascii_isalnum (ch) || strchr ("-._~!$&'()*+,;=:@", ch) != NULL;
}

/* Checks a path or query against RFC 3986 3.3/3.4, percent escapes included. */
static gboolean
check_url_part (const Ctx *c, const char *s, const char *extra, const char *what, GError **error)
{
  for (const char *p = s; *p != '\0'; p++) {
    if (*p == '%') {
      if (!g_ascii_isxdigit (p[1]) || !g_ascii_isxdigit (p[2]))
        return fail (c, error, "%s has a '%%' that is not a %%XX escape", what);
      p += 2;
    } else if (!is_pchar (*p) && strchr (extra, *p) == NULL) {
      return fail (c, error, "%s has a character '%c' that must be percent-encoded", what, *p);
    }
  }
  return TRUE;
}

static gboolean
parse_url (const Ctx *c, const char *rest, RpTarget *t, GError **error)
{
  const char *p = rest;
  const char *scheme = rp_scheme_to_string (t->scheme);
  g_autofree char *body = NULL;

  if (!g_str_has_prefix (p, "//"))
    return fail (c, error, "expected %s://HOST", scheme);
  p += 2;

  /* RFC 3986 3.5: the fragment never reaches the server. */
  body = g_strndup (p, strcspn (p, "#"));
  p = body;
  if (memchr (p, '@', strcspn (p, "/?")) != NULL)
    return fail (c, error, "credentials never go in a URL");
  if (!parse_host (c, &p, "/?", t, error) || !parse_port (c, &p, "/?", t, error))
    return FALSE;

  gsize plen = strcspn (p, "?");
  t->path = plen > 0 ? g_strndup (p, plen) : g_strdup ("/");
  if (!check_url_part (c, t->path, "/", "path", error))
    return FALSE;
  if (p[plen] == '?') {
    t->query = g_strdup (p + plen + 1);
    if (!check_url_part (c, t->query, "/?", "query", error))
      return FALSE;
  }
  return TRUE;
}

char *
rp_target_hostport (const RpTarget *t)
{
  g_return_val_if_fail (t != NULL, NULL);

  if (strchr (t->host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", t->host, t->port);
  return g_strdup_printf ("%s:%u", t->host, t->port);
}

static char *
normalise (const RpTarget *t)
{
  GString *s = g_string_new (rp_scheme_to_string (t->scheme));
  gboolean v6 = strchr (t->host, ':') != NULL;

  g_string_append (s, is_url_scheme (t->scheme) ? "://" : ":");
  g_string_append_printf (s, v6 ? "[%s]" : "%s", t->host);
  if (t->port_explicit)
    g_string_append_printf (s, ":%u", t->port);
  if (is_url_scheme (t->scheme)) {
    g_string_append (s, t->path);
    if (t->query != NULL)
      g_string_append_printf (s, "?%s", t->query);
  } else if (t->transport_explicit) {
    g_string_append_printf (s, "?transport=%s",
                            t->transport == RP_TRANSPORT_UDP ? "udp" : "tcp");
  }
  return g_string_free (s, FALSE);
}

RpTarget *
rp_target_parse (const char *text, GError **error)
{
  g_autoptr (RpTarget) t = NULL;
  Ctx c = { text, "target" };
  gsize len;
  gsize i;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = strlen (text);
  if (len == 0) {
    fail (&c, error, "empty (write e.g. turn:HOST:3478 or https://HOST/)");
    return NULL;
  }
  if (len > MAX_INPUT_LEN) {
    fail (&c, error, "longer than %d characters", MAX_INPUT_LEN);
    return NULL;
  }
  for (const char *p = text; *p != '\0'; p++) {
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f) {
      fail (&c, error, "contains a space, control or non-ASCII character at offset %d",
            (int) (p - text));
      return NULL;
    }
  }

  /* RFC 3986 3.1: schemes are case-insensitive. */
  const char *colon = strchr (text, ':');
  if (colon == NULL || colon == text) {
    fail (&c, error, "no scheme (write e.g. stun:HOST, turn:HOST:3478 or https://HOST/)");
    return NULL;
  }
  gsize slen = (gsize) (colon - text);
  for (i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (strlen (schemes[i].name) == slen && g_ascii_strncasecmp (text, schemes[i].name, slen) == 0)
      break;
  if (i == G_N_ELEMENTS (schemes)) {
    g_autofree char *q = quote (text, slen);
    fail (&c, error, "unknown scheme %s (stun, stuns, turn, turns, http, https, ws or wss)", q);
    return NULL;
  }

  t = g_new0 (RpTarget, 1);
  t->scheme = schemes[i].scheme;
  t->port = schemes[i].default_port;
  t->transport = schemes[i].transport;
  g_autofree char *kind = g_strdup_printf ("%s %s", schemes[i].name,
                                           is_url_scheme (t->scheme) ? "URL" : "URI");
  c.kind = kind;

  if (is_url_scheme (t->scheme) ? !parse_url (&c, colon + 1, t, error)
                                : !parse_ice (&c, colon + 1, t, error))
    return NULL;

  t->uri = normalise (t);
  return g_steal_pointer (&t);
}
