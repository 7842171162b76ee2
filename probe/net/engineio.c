/* Engine.IO v4 / Socket.IO v5 packet parsing (see engineio.h). Everything
 * here comes from a server that may be hostile: lengths are explicit, JSON
 * nesting is bounded before json-glib (a recursive parser) sees it, and the
 * strings kept are valid UTF-8. */
#include "probe/net/engineio.h"
#include "common/json-guard.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define MAX_DEPTH 32

RpEioType
rp_eio_packet_type (const char *data, gsize len)
{
  if (len == 0 || data[0] < '0' || data[0] > '6')
    return RP_EIO_INVALID;
  return (RpEioType) (data[0] - '0');
}


static JsonNode *
parse_json (const char *s, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonNode *root;

  if (len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no JSON payload");
    return NULL;
  }
  if (!rp_json_depth_ok (s, len, MAX_DEPTH) || !g_utf8_validate (s, len, NULL) ||
      memchr (s, '\0', len) != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "payload is not usable JSON");
    return NULL;
  }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, s, (gssize) len, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "payload is not valid JSON");
    return NULL;
  }
  root = json_parser_steal_root (parser);
  if (root == NULL)   /* json-glib accepts a lone comment as empty input */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no JSON payload");
  return root;
}

/* A copy of the string N holds, or NULL when N is not a string or the string
 * is not valid UTF-8: json-glib decodes octal escapes such as "\662" into
 * bytes that are not UTF-8, so valid input text does not make valid strings. */
static char *
node_string (JsonNode *n)
{
  const char *s;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  s = json_node_get_string (n);
  return s != NULL && g_utf8_validate (s, -1, NULL) ? g_strdup (s) : NULL;
}

static char *
member_string (JsonObject *o, const char *name)
{
  return node_string (json_object_get_member (o, name));
}

static gint64
member_int (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return -1;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    return MAX (json_node_get_int (n), -1);
  if (json_node_get_value_type (n) == G_TYPE_DOUBLE) {
    double d = json_node_get_double (n);
    return d >= 0 && d < 1e15 ? (gint64) d : -1;
  }
  return -1;
}

gboolean
rp_eio_parse_open (const char *data, gsize len, RpEioOpen *open, GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) up = g_ptr_array_new ();
  JsonObject *o;
  JsonNode *n;

  memset (open, 0, sizeof *open);
  if (rp_eio_packet_type (data, len) != RP_EIO_OPEN) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an Engine.IO open packet");
    return FALSE;
  }
  root = parse_json (data + 1, len - 1, error);
  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "open packet payload is not a JSON object");
    return FALSE;
  }
  o = json_node_get_object (root);
  open->sid = member_string (o, "sid");
  if (open->sid == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "open packet has no sid");
    return FALSE;
  }
  open->ping_interval_ms = member_int (o, "pingInterval");
  open->ping_timeout_ms = member_int (o, "pingTimeout");
  open->max_payload = member_int (o, "maxPayload");
  n = json_object_get_member (o, "upgrades");
  if (n != NULL && JSON_NODE_HOLDS_ARRAY (n)) {
    JsonArray *a = json_node_get_array (n);
    for (guint i = 0; i < json_array_get_length (a) && i < 16; i++) {
      char *e = node_string (json_array_get_element (a, i));
      if (e != NULL)
        g_ptr_array_add (up, e);
    }
  }
  g_ptr_array_add (up, NULL);
  open->upgrades = (char **) g_ptr_array_free (g_steal_pointer (&up), FALSE);
  return TRUE;
}

void
rp_eio_open_clear (RpEioOpen *open)
{
  g_clear_pointer (&open->sid, g_free);
  g_clear_pointer (&open->upgrades, g_strfreev);
}

GPtrArray *
rp_eio_polling_split (const char *data, gsize len, guint max)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gsize start = 0;

  /* Engine.IO v4: packets of a polling payload are joined by the record
   * separator 0x1e (v3 used length prefixes; we speak v4 only). */
  for (gsize i = 0; i <= len && out->len < max; i++) {
    if (i == len || data[i] == '\x1e') {
      g_ptr_array_add (out, g_strndup (data + start, i - start));
      start = i + 1;
    }
  }
  return out;
}

gboolean
rp_sio_parse (const char *data, gsize len, RpSioPacket *p, GError **error)
{
  gsize i = 2;
  g_autoptr (JsonNode) root = NULL;

  memset (p, 0, sizeof *p);
  if (rp_eio_packet_type (data, len) != RP_EIO_MESSAGE || len < 2 || data[1] < '0' ||
      data[1] > '6') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a Socket.IO packet");
    return FALSE;
  }
  p->type = (RpSioType) (data[1] - '0');
  /* Socket.IO v5: <type>[<attachments>-][<nsp>,][<ack id>][JSON] */
  if (p->type == RP_SIO_BINARY_EVENT || p->type == RP_SIO_BINARY_ACK) {
    while (i < len && g_ascii_isdigit (data[i]))
      i++;
    if (i >= len || data[i] != '-') {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "binary packet without attachment count");
      return FALSE;
    }
    i++;
  }
  if (i < len && data[i] == '/') {
    const char *comma = memchr (data + i, ',', len - i);
    gsize end = comma != NULL ? (gsize) (comma - data) : len;
    if (!g_utf8_validate (data + i, end - i, NULL) || memchr (data + i, '\0', end - i) != NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "namespace is not UTF-8");
      return FALSE;
    }
    p->nsp = g_strndup (data + i, end - i);
    i = comma != NULL ? end + 1 : len;
  } else {
    p->nsp = g_strdup ("/");
  }
  while (i < len && g_ascii_isdigit (data[i]))
    i++;
  if (i == len)
    return TRUE;
  root = parse_json (data + i, len - i, error);
  if (root == NULL) {
    rp_sio_packet_clear (p);
    return FALSE;
  }
  p->data = g_strndup (data + i, len - i);
  if (p->type == RP_SIO_CONNECT && JSON_NODE_HOLDS_OBJECT (root)) {
    p->sid = member_string (json_node_get_object (root), "sid");
  } else if (p->type == RP_SIO_CONNECT_ERROR) {
    if (JSON_NODE_HOLDS_OBJECT (root))
      p->message = member_string (json_node_get_object (root), "message");
    else
      p->message = node_string (root);
  }
  return TRUE;
}

void
rp_sio_packet_clear (RpSioPacket *p)
{
  g_clear_pointer (&p->nsp, g_free);
  g_clear_pointer (&p->sid, g_free);
  g_clear_pointer (&p->message, g_free);
  g_clear_pointer (&p->data, g_free);
}

char *
rp_sio_connect_packet (const char *nsp)
{
  if (nsp == NULL || nsp[0] == '\0' || g_str_equal (nsp, "/"))
    return g_strdup ("40");
  return g_strdup_printf ("40%s%s,", nsp[0] == '/' ? "" : "/", nsp);
}

char *
rp_eio_request_path (const char *path, const char *query, const char *transport)
{
  g_autoptr (GString) q = g_string_new (NULL);
  gboolean have_eio = FALSE;
  g_auto (GStrv) parts = g_strsplit (query != NULL ? query : "", "&", -1);

  for (guint i = 0; parts[i] != NULL; i++) {
    if (parts[i][0] == '\0' || g_str_has_prefix (parts[i], "transport="))
      continue;
    if (g_str_has_prefix (parts[i], "EIO="))
      have_eio = TRUE;
    g_string_append_printf (q, "%s%s", q->len > 0 ? "&" : "", parts[i]);
  }
  if (!have_eio)
    g_string_append_printf (q, "%sEIO=4", q->len > 0 ? "&" : "");
  g_string_append_printf (q, "&transport=%s", transport);
  return g_strdup_printf ("%s?%s", path != NULL && path[0] != '\0' ? path : "/", q->str);
}

gboolean
rp_eio_path_is_socketio (const char *path)
{
  return path != NULL &&
         (strstr (path, "/socket.io/") != NULL || g_str_has_suffix (path, "/socket.io"));
}
