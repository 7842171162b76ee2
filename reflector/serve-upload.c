/* POST <path>/results: a result uploaded from the command line
 * (`rtcprobe ... --upload URL`) into the results store (serve-results.c).
 *
 *   POST <path>/results HTTP/1.1
 *   Authorization: Bearer <invite>        (reflector-invite.h, never logged)
 *   Content-Type: application/json
 *   Content-Length: N                     (required; no chunked body)
 *
 *   <rtcprobe.report/1 document>
 *
 * Cheap refusals come first, before a byte of the body is read: 503 when
 * no store is configured or the reflector stops, 429 over the source's
 * rate, 411 without Content-Length, 413 over [results] max_report_size,
 * 401 a missing, malformed, forged or expired invite, 429 over the
 * invite's rate ([results] upload_rate and upload_burst, for both), 403
 * an invite whose uses are spent (a replay). Each upload takes one use of
 * its invite. Then the body is checked and kept
 * (400/413/422/503/507/500, RFC 9110 section 15). Every answer is one line
 * of text/plain, then the connection closes. */
#include "reflector/serve-private.h"

#include <openssl/crypto.h>
#include <string.h>

#include "common/quote.h"

struct _RpServeUpload {
  char *label, *peer, *agent;
  gsize expected;
  GByteArray *body;
};

void
rp_serve_upload_free (RpServeUpload *u)
{
  if (u == NULL)
    return;
  g_free (u->label);
  g_free (u->peer);
  g_free (u->agent);
  if (u->body != NULL)
    g_byte_array_unref (u->body);
  g_free (u);
}

gboolean
rp_serve_upload_path (struct lws *wsi, RpServe *s)
{
  char uri[512];
  int n = lws_hdr_copy (wsi, uri, sizeof uri, WSI_TOKEN_POST_URI);

  if (n <= 0)
    return FALSE;
  uri[strcspn (uri, "?")] = '\0';
  return g_str_has_prefix (uri, s->config->path)
         && g_str_equal (uri + strlen (s->config->path), "/results");
}

/* One line of text/plain with status, then the connection closes. */
static int
answer (struct lws *wsi, guint status, const char *line)
{
  g_autofree char *body = g_strdup_printf ("%s\n", line);
  gsize n = strlen (body);
  guint8 buf[LWS_PRE + 512];
  guint8 *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
  g_autofree guint8 *out = g_malloc (LWS_PRE + n);

  if (lws_add_http_header_status (wsi, status, &p, end) ||
      lws_add_http_header_by_name (wsi, (const guint8 *) "connection:", (const guint8 *) "close",
                                   5, &p, end) ||
      lws_add_http_header_by_token (wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                    (const guint8 *) "text/plain; charset=utf-8", 25, &p, end) ||
      lws_add_http_header_content_length (wsi, n, &p, end) ||
      lws_finalize_write_http_header (wsi, start, &p, end))
    return -1;
  memcpy (out + LWS_PRE, body, n);
  lws_write (wsi, out + LWS_PRE, n, LWS_WRITE_HTTP_FINAL);
  return -1;
}

/* The invite id as a rate table key: its 8 octets as the /64 of an IPv6
 * address (the table counts IPv6 sources by their /64). */
static gboolean
allow_invite (RpServe *s, const char *id)
{
  guint8 key[16] = { 0 };

  for (guint i = 0; i < 8 && id[2 * i] != '\0'; i++)
    key[i] = (guint8) (g_ascii_xdigit_value (id[2 * i]) << 4
                       | g_ascii_xdigit_value (id[2 * i + 1]));
  return rp_rate_table_allow (s->upload_invite_limit, key, sizeof key, g_get_monotonic_time ());
}

static int
refuse (RpServe *s, struct lws *wsi, const char *peer, guint status, const char *line)
{
  s->refused_auth++;
  rp_serve_log_refusal (s, "%s: upload %u: %s", peer, status, line);
  return answer (wsi, status, line);
}

/* Reads the Authorization header's invite and takes one use of it. */
static int
authorize (RpServe *s, struct lws *wsi, const char *peer, RpInvite *inv)
{
  char auth[RP_INVITE_MAX_LEN + 16];
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  int n = lws_hdr_copy (wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
  RpInviteResult r;

  if (n <= 7 || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return refuse (s, wsi, peer, 401, "an upload needs Authorization: Bearer <invite>");
  r = rp_invite_verify (s->config->secret, strlen (s->config->secret), auth + 7, strlen (auth + 7),
                        now, inv);
  OPENSSL_cleanse (auth, sizeof auth);
  if (r != RP_INVITE_OK)
    return refuse (s, wsi, peer, 401, rp_invite_result_sentence (r));
  if (!allow_invite (s, inv->id))
    return refuse (s, wsi, peer, 429, "too many uploads with this invite: wait a minute");
  r = rp_invite_ledger_take (s->invites, inv, now);
  if (r != RP_INVITE_OK)
    return refuse (s, wsi, peer, r == RP_INVITE_BUSY ? 503 : 403, rp_invite_result_sentence (r));
  return 0;
}

int
rp_serve_upload_begin (RpServe *s, struct lws *wsi, const char *peer, const char *agent,
                       RpServeUpload **out)
{
  g_auto (RpInvite) inv = { 0 };
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (peer);
  char clen[32];
  guint64 len = 0;
  RpServeUpload *u;

  if (s->results == NULL || s->stopping)
    return answer (wsi, 503, "this reflector keeps no results");
  if (a != NULL && !rp_rate_table_allow_inet (s->upload_limit, a, g_get_monotonic_time ())) {
    s->refused_rate++;
    rp_serve_log_refusal (s, "%s: upload rate", peer);
    return answer (wsi, 429, "too many uploads from this address: wait a minute");
  }
  if (lws_hdr_copy (wsi, clen, sizeof clen, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0
      || !g_ascii_string_to_unsigned (clen, 10, 0, G_MAXUINT32, &len, NULL))
    return answer (wsi, 411, "an upload needs Content-Length");
  if (len > s->config->max_report_size) {
    g_autofree char *line = g_strdup_printf ("the result is %" G_GUINT64_FORMAT
                                             " bytes, over the limit of %u", len,
                                             s->config->max_report_size);
    return answer (wsi, 413, line);
  }
  if (authorize (s, wsi, peer, &inv) != 0)
    return -1;
  u = g_new0 (RpServeUpload, 1);
  u->label = g_strdup (inv.label);
  u->peer = g_strdup (peer);
  u->agent = g_strdup (agent);
  u->expected = (gsize) len;
  u->body = g_byte_array_sized_new ((guint) len);
  *out = u;
  return 0;
}

int
rp_serve_upload_body (RpServeUpload *u, struct lws *wsi, const void *in, gsize len)
{
  if (len > u->expected - u->body->len)
    return answer (wsi, 400, "the body is longer than its Content-Length");
  g_byte_array_append (u->body, in, (guint) len);
  return 0;
}

int
rp_serve_upload_complete (RpServe *s, RpServeUpload *u, struct lws *wsi)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *label = rp_quote_input (u->label, strlen (u->label), 80);
  guint status;

  if (u->body->len != u->expected)
    return answer (wsi, 400, "the body is shorter than its Content-Length");
  status = rp_serve_results_add (s, u->label, u->peer, u->agent, (const char *) u->body->data,
                                 u->body->len, &error);
  g_message ("upload from %s label=%s: %u%s%s", u->peer, label, status,
             error != NULL ? " " : "", error != NULL && status < 500 ? error->message : "");
  if (status == 200)
    return answer (wsi, 200, "kept");
  if (status >= 500)
    return answer (wsi, status, status == 503 ? "the results database is busy: try again"
                   : status == 507 ? "the reflector's disk is full" : "the result was not kept");
  return answer (wsi, status, error->message);
}
