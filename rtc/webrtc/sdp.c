/* SDP for data channel sessions (see sdp.h; RFC 8866, 8841, 8839, 8842,
 * 8122). */
#include "rtc/webrtc/sdp.h"

#include <gio/gio.h>
#include <string.h>

#include "common/quote.h"
#include "rtc/ice/ice-candidate.h"

#define QUOTE_MAX 60

const char *
rp_sdp_setup_to_string (RpSdpSetup s)
{
  static const char *names[] = { "actpass", "active", "passive" };
  return (guint) s < G_N_ELEMENTS (names) ? names[s] : "unknown";
}

RpSdpSetup
rp_sdp_answer_setup (RpSdpSetup offered)
{
  return offered == RP_SDP_SETUP_PASSIVE ? RP_SDP_SETUP_ACTIVE : RP_SDP_SETUP_PASSIVE;
}

RpSdpSession *
rp_sdp_session_new (void)
{
  RpSdpSession *s = g_new0 (RpSdpSession, 1);

  s->candidates = g_array_new (FALSE, TRUE, sizeof (RpIceCandidate));
  s->sctp_port = RP_SDP_DEFAULT_SCTP_PORT;
  s->max_message_size = RP_SDP_DEFAULT_MAX_MESSAGE;
  return s;
}

void
rp_sdp_session_free (RpSdpSession *s)
{
  if (s == NULL)
    return;
  g_free (s->ufrag);
  if (s->pwd != NULL)
    memset (s->pwd, 0, strlen (s->pwd));
  g_free (s->pwd);
  g_array_unref (s->candidates);
  g_free (s);
}

/* ---- parsing ---- */

typedef struct {
  RpSdpSession *s;
  gboolean is_answer;
  guint lineno;
  guint media;              /* m= sections seen */
  gboolean have_fp, have_setup, session_fp, session_setup;
  char *session_ufrag, *session_pwd;
} Parser;

G_GNUC_PRINTF (3, 4) static gboolean
fail (Parser *p, GError **error, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (p->lineno > 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "SDP line %u: %s", p->lineno, msg);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "SDP: %s", msg);
  return FALSE;
}

static gboolean
unsupported (Parser *p, GError **error, const char *what)
{
  g_autofree char *where = p->lineno > 0 ? g_strdup_printf (" line %u", p->lineno) : NULL;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "SDP%s: %s: only data channels (m=application UDP/DTLS/SCTP "
               "webrtc-datachannel) are answered", where != NULL ? where : "", what);
  return FALSE;
}

/* RFC 8839 5.4: ice-char = ALPHA / DIGIT / "+" / "/" */
static gboolean
ice_chars (const char *v, gsize min, gsize max)
{
  gsize n = strlen (v);

  if (n < min || n > max)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (v[i]) && v[i] != '+' && v[i] != '/')
      return FALSE;
  return TRUE;
}

static gboolean
parse_uint (const char *v, guint64 max, guint64 *out)
{
  guint64 n = 0;

  if (*v == '\0' || strlen (v) > 20)
    return FALSE;
  for (; *v != '\0'; v++) {
    if (!g_ascii_isdigit (*v))
      return FALSE;
    n = n * 10 + (guint64) (*v - '0');
    if (n > max)
      return FALSE;
  }
  *out = n;
  return TRUE;
}

static gboolean
parse_media (Parser *p, const char *v, GError **error)
{
  g_auto (GStrv) f = g_strsplit (v, " ", 5);
  guint64 port;

  if (++p->media > 1)
    return unsupported (p, error, "a second m= section");
  if (g_strv_length (f) < 4)
    return fail (p, error, "m= needs media, port, protocol and format");
  if (strcmp (f[0], "application") != 0) {
    g_autofree char *q = rp_quote_input (f[0], strlen (f[0]), QUOTE_MAX);
    g_autofree char *what = g_strdup_printf ("an m=%s section", q);
    return unsupported (p, error, what);
  }
  if (strcmp (f[2], "DTLS/SCTP") == 0)
    return unsupported (p, error, "the pre-RFC 8841 form DTLS/SCTP");
  if (strcmp (f[2], "UDP/DTLS/SCTP") != 0 && strcmp (f[2], "TCP/DTLS/SCTP") != 0) {
    g_autofree char *q = rp_quote_input (f[2], strlen (f[2]), QUOTE_MAX);
    g_autofree char *what = g_strdup_printf ("protocol %s", q);
    return unsupported (p, error, what);
  }
  if (strcmp (f[3], "webrtc-datachannel") != 0 || f[4] != NULL)
    return unsupported (p, error, "a format other than webrtc-datachannel alone");
  if (!parse_uint (f[1], 65535, &port))
    return fail (p, error, "m= port is not a number from 0 to 65535");
  if (port == 0)
    return unsupported (p, error, "the data channel section is rejected (port 0)");
  return TRUE;
}

static gboolean
parse_setup (Parser *p, const char *v, GError **error)
{
  if (strcmp (v, "actpass") == 0 && !p->is_answer)
    p->s->setup = RP_SDP_SETUP_ACTPASS;
  else if (strcmp (v, "active") == 0)
    p->s->setup = RP_SDP_SETUP_ACTIVE;
  else if (strcmp (v, "passive") == 0)
    p->s->setup = RP_SDP_SETUP_PASSIVE;
  else {
    g_autofree char *q = rp_quote_input (v, strlen (v), QUOTE_MAX);
    return fail (p, error, "a=setup:%s is not %s", q,
                 p->is_answer ? "active or passive (an answer)" : "actpass, active or passive");
  }
  p->have_setup = TRUE;
  p->session_setup = p->media == 0;
  return TRUE;
}

/* RFC 8122 5: several may be given; we use sha-256 and skip other hashes. */
static gboolean
parse_fingerprint (Parser *p, const char *v, GError **error)
{
  const char *sp = strchr (v, ' ');

  if (sp == NULL)
    return fail (p, error, "a=fingerprint needs a hash function and a value");
  if ((gsize) (sp - v) != 7 || g_ascii_strncasecmp (v, "sha-256", 7) != 0)
    return TRUE;
  if (!rp_dtls_fingerprint_from_string (sp + 1, p->s->fingerprint)) {
    g_autofree char *q = rp_quote_input (sp + 1, strlen (sp + 1), QUOTE_MAX);
    return fail (p, error, "a=fingerprint sha-256 %s is not 32 hex pairs joined by ':'", q);
  }
  p->have_fp = TRUE;
  p->session_fp = p->media == 0;
  return TRUE;
}

static gboolean
parse_candidate (Parser *p, const char *v)
{
  RpIceCandidate c;

  if (p->s->candidates->len >= RP_SDP_MAX_CANDIDATES
      || !rp_ice_candidate_from_sdp (v, &c, NULL) || c.component != 1) {
    p->s->skipped_candidates++;
    return TRUE;
  }
  g_array_append_val (p->s->candidates, c);
  return TRUE;
}

static gboolean
set_cred (Parser *p, char **slot, const char *v, gsize min, const char *name, GError **error)
{
  if (!ice_chars (v, min, 256)) {
    g_autofree char *q = rp_quote_input (v, strlen (v), QUOTE_MAX);
    return fail (p, error, "a=%s %s is not %" G_GSIZE_FORMAT " to 256 ice-chars", name, q, min);
  }
  g_free (*slot);
  *slot = g_strdup (v);
  return TRUE;
}

static gboolean
parse_media_attr (Parser *p, const char *name, const char *v, GError **error)
{
  guint64 n;

  if (strcmp (name, "mid") == 0) {
    if (*v == '\0' || strlen (v) >= RP_SDP_MID_MAX || strpbrk (v, " \t") != NULL)
      return fail (p, error, "a=mid is not a token of 1 to %d characters", RP_SDP_MID_MAX - 1);
    g_strlcpy (p->s->mid, v, sizeof p->s->mid);
  } else if (strcmp (name, "sctp-port") == 0) {
    if (!parse_uint (v, 65535, &n) || n == 0)
      return fail (p, error, "a=sctp-port is not a port from 1 to 65535");
    p->s->sctp_port = (guint16) n;
  } else if (strcmp (name, "max-message-size") == 0) {
    if (!parse_uint (v, G_MAXUINT64 / 10, &n))
      return fail (p, error, "a=max-message-size is not a number");
    p->s->max_message_size = n;
  } else if (strcmp (name, "candidate") == 0) {
    return parse_candidate (p, v);
  } else if (strcmp (name, "end-of-candidates") == 0) {
    p->s->end_of_candidates = TRUE;
  } else if (strcmp (name, "sctpmap") == 0) {
    return unsupported (p, error, "a=sctpmap (the pre-RFC 8841 form)");
  }
  return TRUE;
}

/* Attributes valid at session and media level (RFC 8839, 8842, 8122). */
static gboolean
parse_attr (Parser *p, const char *line, GError **error)
{
  g_autofree char *name = NULL;
  const char *colon = strchr (line, ':');
  const char *v = colon != NULL ? colon + 1 : "";

  name = colon != NULL ? g_strndup (line, (gsize) (colon - line)) : g_strdup (line);
  if (strcmp (name, "ice-ufrag") == 0)
    return set_cred (p, p->media == 0 ? &p->session_ufrag : &p->s->ufrag, v, 4, name, error);
  if (strcmp (name, "ice-pwd") == 0)
    return set_cred (p, p->media == 0 ? &p->session_pwd : &p->s->pwd, v, 22, name, error);
  if (strcmp (name, "fingerprint") == 0)
    return parse_fingerprint (p, v, error);
  if (strcmp (name, "setup") == 0)
    return parse_setup (p, v, error);
  if (strcmp (name, "ice-options") == 0) {
    g_auto (GStrv) opts = g_strsplit (v, " ", 16);
    for (guint i = 0; opts[i] != NULL; i++)
      p->s->trickle |= strcmp (opts[i], "trickle") == 0;
    return TRUE;
  }
  if (strcmp (name, "ice-lite") == 0)
    return unsupported (p, error, "an ice-lite peer (browsers are full ICE agents)");
  if (p->media > 0)
    return parse_media_attr (p, name, v, error);
  return TRUE;
}

static gboolean
parse_line (Parser *p, const char *line, GError **error)
{
  if (p->lineno == 1 && strcmp (line, "v=0") != 0)
    return fail (p, error, "an SDP description starts with v=0");
  if (strlen (line) < 2 || line[1] != '=' || !g_ascii_islower (line[0]))
    return fail (p, error, "not a <type>=<value> line");
  switch (line[0]) {
  case 'm':
    return parse_media (p, line + 2, error);
  case 'a':
    return parse_attr (p, line + 2, error);
  default:
    return TRUE;   /* o=, s=, t=, c=, b= and the rest say nothing we use */
  }
}

static gboolean
finish (Parser *p, GError **error)
{
  RpSdpSession *s = p->s;

  p->lineno = 0;   /* what is missing is on no line */
  if (p->media == 0)
    return unsupported (p, error, "no m= section");
  if (s->ufrag == NULL)
    s->ufrag = g_steal_pointer (&p->session_ufrag);
  if (s->pwd == NULL)
    s->pwd = g_steal_pointer (&p->session_pwd);
  if (s->ufrag == NULL || s->pwd == NULL)
    return fail (p, error, "the description has no a=ice-ufrag and a=ice-pwd");
  if (!p->have_fp)
    return fail (p, error, "the description has no a=fingerprint:sha-256 (RFC 8122)");
  if (!p->have_setup)
    s->setup = p->is_answer ? RP_SDP_SETUP_ACTIVE : RP_SDP_SETUP_ACTPASS;   /* RFC 8842 5.3 */
  return TRUE;
}

RpSdpSession *
rp_sdp_parse (const char *sdp, gsize len, gboolean is_answer, GError **error)
{
  g_autoptr (RpSdpSession) s = rp_sdp_session_new ();
  Parser p = { .s = s, .is_answer = is_answer };
  gsize i = 0;
  gboolean ok = TRUE;

  if (len > RP_SDP_MAX_LEN || memchr (sdp, '\0', len) != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "SDP: %" G_GSIZE_FORMAT " bytes%s (at most %d bytes of text)", len,
                 len > RP_SDP_MAX_LEN ? "" : " with a NUL byte", RP_SDP_MAX_LEN);
    return NULL;
  }
  while (ok && i < len) {
    const char *nl = memchr (sdp + i, '\n', len - i);
    gsize end = nl != NULL ? (gsize) (nl - sdp) : len;
    gsize stop = end > i && sdp[end - 1] == '\r' ? end - 1 : end;
    g_autofree char *line = g_strndup (sdp + i, stop - i);

    p.lineno++;
    i = end + 1;
    if (*line == '\0' && i >= len)
      break;   /* the final line break */
    ok = parse_line (&p, line, error);
  }
  if (ok && p.lineno == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "SDP: the description is empty");
    ok = FALSE;
  }
  ok = ok && finish (&p, error);
  g_free (p.session_ufrag);
  g_free (p.session_pwd);
  return ok ? g_steal_pointer (&s) : NULL;
}

/* ---- building ---- */

char *
rp_sdp_build (const RpSdpSession *l, guint64 session_id)
{
  GString *s = g_string_sized_new (1024);
  g_autofree char *fp = rp_dtls_fingerprint_to_string (l->fingerprint);
  const char *mid = l->mid[0] != '\0' ? l->mid : "0";

  g_string_append_printf (s, "v=0\r\no=- %" G_GUINT64_FORMAT " 2 IN IP4 127.0.0.1\r\n"
                          "s=-\r\nt=0 0\r\n", session_id);
  g_string_append_printf (s, "a=group:BUNDLE %s\r\n", mid);
  if (l->trickle)
    g_string_append (s, "a=ice-options:trickle\r\n");
  g_string_append (s, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                      "c=IN IP4 0.0.0.0\r\n");
  g_string_append_printf (s, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", l->ufrag, l->pwd);
  g_string_append_printf (s, "a=fingerprint:sha-256 %s\r\n", fp);
  g_string_append_printf (s, "a=setup:%s\r\na=mid:%s\r\n", rp_sdp_setup_to_string (l->setup), mid);
  g_string_append_printf (s, "a=sctp-port:%u\r\n", l->sctp_port);
  g_string_append_printf (s, "a=max-message-size:%" G_GUINT64_FORMAT "\r\n", l->max_message_size);
  for (guint i = 0; l->candidates != NULL && i < l->candidates->len; i++) {
    const RpIceCandidate *cand = &g_array_index (l->candidates, RpIceCandidate, i);
    g_autofree char *c = rp_ice_candidate_to_sdp (cand);
    g_string_append_printf (s, "a=%s\r\n", c);
  }
  if (l->end_of_candidates)
    g_string_append (s, "a=end-of-candidates\r\n");
  return g_string_free (s, FALSE);
}
