/* JSON messages between a tester's browser and the reflector (see
 * reflector-tester.h). Every field read from the wire is checked for type
 * and length before use. */
#include "reflector/protocol/reflector-tester.h"

#include <gio/gio.h>
#include <openssl/crypto.h>
#include <string.h>

#include "reflector/protocol/reflector-invite.h"

void
rp_tester_ice_server_clear (RpTesterIceServer *s)
{
  g_free (s->urls);
  g_free (s->username);
  if (s->credential != NULL)
    OPENSSL_cleanse (s->credential, strlen (s->credential));
  g_free (s->credential);
  memset (s, 0, sizeof *s);
}

static char *
finish (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = NULL;

  json_builder_end_object (b);
  root = json_builder_get_root (b);
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
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

char *
rp_tester_msg_welcome (const RpTesterWelcome *w)
{
  g_autoptr (JsonBuilder) b = start ("tester-welcome");
  char *out;

  add_int (b, "version", RP_TESTER_PROTO_VERSION);
  add_str (b, "session", w->session);
  add_str (b, "label", w->label);
  add_int (b, "voice_duration_s", w->voice_duration_s);
  add_int (b, "lifetime_s", w->lifetime_s);
  json_builder_set_member_name (b, "ice_servers");
  json_builder_begin_array (b);
  for (guint i = 0; i < w->n_ice_servers; i++) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "urls");
    json_builder_begin_array (b);
    json_builder_add_string_value (b, w->ice_servers[i].urls);
    json_builder_end_array (b);
    add_str (b, "username", w->ice_servers[i].username);
    add_str (b, "credential", w->ice_servers[i].credential);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  out = finish (b);
  return out;
}

char *
rp_tester_msg_answer (guint pc, const char *sdp)
{
  g_autoptr (JsonBuilder) b = start ("answer");

  add_int (b, "pc", pc);
  add_str (b, "sdp", sdp);
  return finish (b);
}

char *
rp_tester_msg_candidate (guint pc, const char *candidate)
{
  g_autoptr (JsonBuilder) b = start ("candidate");

  add_int (b, "pc", pc);
  add_str (b, "candidate", candidate);
  return finish (b);
}

char *
rp_tester_msg_peer_state (guint pc, const char *state, const char *reason)
{
  g_autoptr (JsonBuilder) b = start ("peer-state");

  add_int (b, "pc", pc);
  add_str (b, "state", state);
  add_str (b, "reason", reason);
  return finish (b);
}

static JsonNode *
value (JsonObject *o, const char *member, GType type)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != type)
    return NULL;
  return n;
}

const char *
rp_tester_msg_get_invite (JsonObject *o)
{
  JsonNode *n = value (o, "invite", G_TYPE_STRING);
  const char *s = n != NULL ? json_node_get_string (n) : NULL;

  return s != NULL && strlen (s) <= RP_INVITE_MAX_LEN ? s : NULL;
}

gboolean
rp_tester_msg_get_pc (JsonObject *o, guint *pc, GError **error)
{
  JsonNode *n = value (o, "pc", G_TYPE_INT64);
  gint64 v = n != NULL ? json_node_get_int (n) : 0;

  if (v < 1 || v > RP_TESTER_MAX_PC) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "\"pc\" must be an integer from 1 to %d", RP_TESTER_MAX_PC);
    return FALSE;
  }
  *pc = (guint) v;
  return TRUE;
}

const char *
rp_tester_msg_get_sdp (JsonObject *o, GError **error)
{
  JsonNode *n = value (o, "sdp", G_TYPE_STRING);
  const char *s = n != NULL ? json_node_get_string (n) : NULL;

  if (s == NULL || strlen (s) > RP_TESTER_MAX_SDP) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "\"sdp\" must be a string of at most %d octets", RP_TESTER_MAX_SDP);
    return NULL;
  }
  return s;
}

gboolean
rp_tester_msg_get_candidate (JsonObject *o, const char **candidate, GError **error)
{
  JsonNode *n = json_object_get_member (o, "candidate");

  *candidate = NULL;
  if (n != NULL && JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  n = value (o, "candidate", G_TYPE_STRING);
  if (n == NULL || strlen (json_node_get_string (n)) > RP_TESTER_MAX_CANDIDATE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "\"candidate\" must be null or a string of at most %d octets",
                 RP_TESTER_MAX_CANDIDATE);
    return FALSE;
  }
  *candidate = json_node_get_string (n);
  return TRUE;
}
