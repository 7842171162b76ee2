/* JSON messages of the reflector protocol (see reflector-proto.h). Every
 * field read from the wire is checked for type, length and character set
 * before use; the parsers never trust a count or a size they are given. */
#include "reflector/protocol/reflector-proto.h"

#include <gio/gio.h>
#include <openssl/crypto.h>

#include "common/json-guard.h"
#include <string.h>

void
rp_reflector_welcome_clear (RpReflectorWelcome *w)
{
  g_free (w->session);
  g_free (w->ufrag);
  g_free (w->pwd);
  if (w->candidates != NULL)
    g_array_unref (w->candidates);
  if (w->streams != NULL)
    g_array_unref (w->streams);
  OPENSSL_cleanse (w->key, sizeof w->key);
  memset (w, 0, sizeof *w);
}

JsonObject *
rp_reflector_msg_parse (const char *text, gsize len, const char **type, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  JsonObject *o;

  *type = NULL;
  if (len > RP_REFLECTOR_MAX_MESSAGE || !g_utf8_validate (text, len, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message too long or not UTF-8");
    return NULL;
  }
  if (!rp_json_depth_ok (text, len, RP_REFLECTOR_MAX_DEPTH)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message nests deeper than %d levels",
                 RP_REFLECTOR_MAX_DEPTH);
    return NULL;
  }
  if (!json_parser_load_from_data (parser, text, len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message is not a JSON object");
    return NULL;
  }
  o = json_object_ref (json_node_get_object (root));
  *type = rp_reflector_msg_str (o, "type");
  if (*type == NULL) {
    json_object_unref (o);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message has no \"type\"");
    return NULL;
  }
  return o;
}

const char *
rp_reflector_msg_str (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gint64
msg_int (JsonObject *o, const char *member, gint64 fallback)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (n);
}

static char *
finish (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  return json_to_string (root, FALSE);
}

static JsonBuilder *
start (const char *type)
{
  JsonBuilder *b = json_builder_new_immutable ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  return b;
}

static void
add_str (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value != NULL ? value : "");
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_candidates (JsonBuilder *b, const GArray *cands)
{
  json_builder_set_member_name (b, "candidates");
  json_builder_begin_array (b);
  for (guint i = 0; cands != NULL && i < cands->len && i < RP_REFLECTOR_MAX_CANDIDATES; i++) {
    g_autofree char *s = rp_ice_candidate_to_sdp (&g_array_index (cands, RpIceCandidate, i));
    json_builder_add_string_value (b, s);
  }
  json_builder_end_array (b);
}

char *
rp_reflector_msg_hello (const char *username, const char *token, guint streams)
{
  g_autoptr (JsonBuilder) b = start ("hello");

  add_int (b, "version", RP_REFLECTOR_PROTO_VERSION);
  add_str (b, "username", username);
  add_str (b, "token", token);
  if (streams > 0)
    add_int (b, "streams", streams);
  json_builder_end_object (b);
  return finish (b);
}

gint64
rp_reflector_msg_get_streams (JsonObject *hello)
{
  gint64 n;

  if (!json_object_has_member (hello, "streams"))
    return 0;
  n = msg_int (hello, "streams", -1);
  return n >= 1 && n <= RP_REFLECTOR_MAX_STREAMS ? n : -1;
}

static void
add_load (JsonBuilder *b, const RpReflectorWelcome *w)
{
  json_builder_set_member_name (b, "load");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ssids");
  json_builder_begin_array (b);
  for (guint i = 0; i < w->streams->len; i++)
    json_builder_add_int_value (b, g_array_index (w->streams, guint16, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "stream_rate");
  json_builder_add_double_value (b, w->stream_rate);
  json_builder_set_member_name (b, "direct_rate");
  json_builder_add_double_value (b, w->direct_rate);
  json_builder_end_object (b);
}

char *
rp_reflector_msg_welcome (const RpReflectorWelcome *w)
{
  g_autoptr (JsonBuilder) b = start ("welcome");
  g_autofree char *key = g_base64_encode (w->key, sizeof w->key);
  char *out;

  add_int (b, "version", RP_REFLECTOR_PROTO_VERSION);
  add_str (b, "session", w->session);
  add_int (b, "ssid", w->ssid);
  add_str (b, "key", key);
  if (w->streams != NULL) {
    add_load (b, w);
  } else {
    add_str (b, "ufrag", w->ufrag);
    add_str (b, "pwd", w->pwd);
    add_candidates (b, w->candidates);
  }
  add_int (b, "lifetime_s", w->lifetime_s);
  add_int (b, "max_packet", w->max_packet);
  json_builder_set_member_name (b, "direct");
  json_builder_begin_object (b);
  add_int (b, "udp", w->udp_port);
  add_int (b, "tcp", w->tcp_port);
  json_builder_end_object (b);
  json_builder_end_object (b);
  out = finish (b);
  OPENSSL_cleanse (key, strlen (key));
  return out;
}

char *
rp_reflector_msg_answer (const char *ufrag, const char *pwd, const GArray *candidates)
{
  g_autoptr (JsonBuilder) b = start ("answer");

  add_str (b, "ufrag", ufrag);
  add_str (b, "pwd", pwd);
  add_candidates (b, candidates);
  json_builder_end_object (b);
  return finish (b);
}

char *
rp_reflector_msg_selected (const RpIceCandidate *local, const RpIceCandidate *remote)
{
  g_autoptr (JsonBuilder) b = start ("selected");
  g_autofree char *l = rp_ice_candidate_to_sdp (local);
  g_autofree char *r = rp_ice_candidate_to_sdp (remote);

  add_str (b, "local", l);
  add_str (b, "remote", r);
  json_builder_end_object (b);
  return finish (b);
}

char *
rp_reflector_msg_error (const char *code, const char *message)
{
  g_autoptr (JsonBuilder) b = start ("error");

  add_str (b, "code", code);
  add_str (b, "message", message);
  json_builder_end_object (b);
  return finish (b);
}

char *
rp_reflector_msg_bye (const char *reason)
{
  g_autoptr (JsonBuilder) b = start ("bye");

  add_str (b, "reason", reason);
  json_builder_end_object (b);
  return finish (b);
}

/* RFC 8445 5.3 / RFC 8839 5.4: ice-char = ALPHA / DIGIT / "+" / "/". */
static gboolean
ice_chars (const char *s, gsize min, gsize max)
{
  gsize n = s != NULL ? strlen (s) : 0;

  if (n < min || n > max)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;
  return TRUE;
}

gboolean
rp_reflector_msg_get_ice (JsonObject *o, char **ufrag, char **pwd, GArray **candidates,
                          GError **error)
{
  const char *u = rp_reflector_msg_str (o, "ufrag");
  const char *p = rp_reflector_msg_str (o, "pwd");
  JsonNode *n = json_object_get_member (o, "candidates");
  JsonArray *a;
  g_autoptr (GArray) cands = g_array_new (FALSE, TRUE, sizeof (RpIceCandidate));

  if (!ice_chars (u, 4, 256) || !ice_chars (p, 22, 256)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "ufrag/pwd missing or not RFC 8445 ice-chars");
    return FALSE;
  }
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "\"candidates\" is not an array");
    return FALSE;
  }
  a = json_node_get_array (n);
  if (json_array_get_length (a) > RP_REFLECTOR_MAX_CANDIDATES) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "more than %d candidates",
                 RP_REFLECTOR_MAX_CANDIDATES);
    return FALSE;
  }
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);
    RpIceCandidate c;
    if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "candidate %u is not a string", i);
      return FALSE;
    }
    if (!rp_ice_candidate_from_sdp (json_node_get_string (e), &c, error))
      return FALSE;
    g_array_append_val (cands, c);
  }
  *ufrag = g_strdup (u);
  *pwd = g_strdup (p);
  *candidates = g_steal_pointer (&cands);
  return TRUE;
}

static double
msg_rate (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return -1;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    return (double) json_node_get_int (n);
  if (json_node_get_value_type (n) == G_TYPE_DOUBLE)
    return json_node_get_double (n);
  return -1;
}

/* A load session's streams: distinct SSIDs (1..65535), and the rates. */
static gboolean
get_load (JsonObject *o, RpReflectorWelcome *w, GError **error)
{
  JsonNode *ln = json_object_get_member (o, "load");
  JsonObject *l = ln != NULL && JSON_NODE_HOLDS_OBJECT (ln) ? json_node_get_object (ln) : NULL;
  JsonNode *sn = l != NULL ? json_object_get_member (l, "ssids") : NULL;
  JsonArray *a = sn != NULL && JSON_NODE_HOLDS_ARRAY (sn) ? json_node_get_array (sn) : NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint n = a != NULL ? json_array_get_length (a) : 0;

  if (n == 0 || n > RP_REFLECTOR_MAX_STREAMS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "welcome: load.ssids missing, empty or longer than %d", RP_REFLECTOR_MAX_STREAMS);
    return FALSE;
  }
  w->streams = g_array_sized_new (FALSE, FALSE, sizeof (guint16), n);
  for (guint i = 0; i < n; i++) {
    JsonNode *e = json_array_get_element (a, i);
    gint64 v = JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_INT64
                 ? json_node_get_int (e) : -1;
    guint16 ssid = (guint16) v;
    if (v < 1 || v > G_MAXUINT16 || !g_hash_table_add (seen, GUINT_TO_POINTER ((guint) v))) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "welcome: load.ssids holds a value that is not a distinct SSID");
      return FALSE;
    }
    g_array_append_val (w->streams, ssid);
  }
  w->stream_rate = msg_rate (l, "stream_rate");
  w->direct_rate = msg_rate (l, "direct_rate");
  if (!(w->stream_rate > 0) || !(w->direct_rate > 0)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "welcome: load.stream_rate or load.direct_rate missing or not positive");
    return FALSE;
  }
  return TRUE;
}

gboolean
rp_reflector_msg_get_welcome (JsonObject *o, RpReflectorWelcome *w, GError **error)
{
  const char *session = rp_reflector_msg_str (o, "session");
  const char *key = rp_reflector_msg_str (o, "key");
  JsonNode *direct = json_object_get_member (o, "direct");
  gint64 ssid = msg_int (o, "ssid", -1);
  guint8 raw[RP_REFLECTOR_KEY_LEN + 3];
  gint state = 0;
  guint save = 0;
  gsize n;

  memset (w, 0, sizeof *w);
  if (session == NULL || strlen (session) > 64 || ssid < 1 || ssid > G_MAXUINT16 || key == NULL
      || strlen (key) != 44) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "welcome: session, ssid or key missing or malformed");
    return FALSE;
  }
  n = g_base64_decode_step (key, strlen (key), raw, &state, &save);
  if (n != RP_REFLECTOR_KEY_LEN) {
    OPENSSL_cleanse (raw, sizeof raw);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "welcome: the key is not 32 octets of base64");
    return FALSE;
  }
  memcpy (w->key, raw, RP_REFLECTOR_KEY_LEN);
  OPENSSL_cleanse (raw, sizeof raw);
  if (json_object_has_member (o, "load") ? !get_load (o, w, error)
                                          : !rp_reflector_msg_get_ice (o, &w->ufrag, &w->pwd,
                                                                       &w->candidates, error)) {
    rp_reflector_welcome_clear (w);
    return FALSE;
  }
  w->session = g_strdup (session);
  w->ssid = (guint16) ssid;
  w->lifetime_s = msg_int (o, "lifetime_s", 0);
  w->max_packet = (guint) CLAMP (msg_int (o, "max_packet", RP_REFLECTOR_MIN_PACKET),
                                 RP_REFLECTOR_MIN_PACKET, RP_STAMP_MAX_LEN);
  if (direct != NULL && JSON_NODE_HOLDS_OBJECT (direct)) {
    JsonObject *d = json_node_get_object (direct);
    w->udp_port = (guint16) CLAMP (msg_int (d, "udp", 0), 0, G_MAXUINT16);
    w->tcp_port = (guint16) CLAMP (msg_int (d, "tcp", 0), 0, G_MAXUINT16);
  }
  return TRUE;
}

static gboolean
same_address (GInetAddress *peer, const char *addr)
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (addr);

  return peer != NULL && a != NULL && g_inet_address_equal (peer, a);
}

guint
rp_reflector_candidates_count_foreign (const GArray *cands, const char *peer)
{
  g_autoptr (GInetAddress) p = peer != NULL ? g_inet_address_new_from_string (peer) : NULL;
  guint n = 0;

  for (guint i = 0; i < cands->len; i++)
    n += !same_address (p, g_array_index (cands, RpIceCandidate, i).addr);
  return n;
}

guint
rp_reflector_candidates_limit_foreign (GArray *cands, const char *peer, guint max)
{
  g_autoptr (GInetAddress) p = peer != NULL ? g_inet_address_new_from_string (peer) : NULL;
  guint foreign = 0, removed = 0;

  for (guint i = 0; i < cands->len;) {
    if (same_address (p, g_array_index (cands, RpIceCandidate, i).addr) || foreign++ < max) {
      i++;
    } else {
      g_array_remove_index (cands, i);
      removed++;
    }
  }
  return removed;
}
