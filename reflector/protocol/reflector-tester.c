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

/* ---- what the browser measured ---- */

gboolean
rp_tester_voice_id_valid (const char *id)
{
  static const char *const ids[] = {
    "voice.ice", "voice.turn.udp", "voice.turn.tcp", "voice.turn.tls",
  };

  for (guint i = 0; id != NULL && i < G_N_ELEMENTS (ids); i++)
    if (g_str_equal (id, ids[i]))
      return TRUE;
  return FALSE;
}

gboolean
rp_tester_ice_id_valid (const char *id)
{
  static const char *const ids[] = {
    "ice.reflector", "ice.udp", "ice.tcp", "ice.tls",
  };

  for (guint i = 0; id != NULL && i < G_N_ELEMENTS (ids); i++)
    if (g_str_equal (id, ids[i]))
      return TRUE;
  return FALSE;
}

static gboolean
int_element (JsonArray *a, guint i, gint64 min, gint64 max, gint64 *out)
{
  JsonNode *n = json_array_get_element (a, i);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (n);
  return *out >= min && *out <= max;
}

static JsonArray *
array_member (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

#define TIME_MAX G_GINT64_CONSTANT (4000000000000000)   /* microseconds: year 2096 */

gboolean
rp_tester_msg_get_timings (JsonObject *o, const char **id, GArray **sent, GArray **replies,
                           GError **error)
{
  JsonArray *s = array_member (o, "sent");
  JsonArray *r = array_member (o, "replies");
  JsonNode *idn = value (o, "id", G_TYPE_STRING);
  g_autoptr (GArray) out_s = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) out_r = g_array_new (FALSE, FALSE, sizeof (RpTesterReply));

  *id = idn != NULL ? json_node_get_string (idn) : NULL;
  if (!rp_tester_voice_id_valid (*id) || s == NULL || r == NULL
      || json_array_get_length (s) + json_array_get_length (r) > RP_TESTER_MAX_ROWS)
    goto bad;
  for (guint i = 0; i < json_array_get_length (s); i++) {
    gint64 t1;
    if (!int_element (s, i, 0, TIME_MAX, &t1))
      goto bad;
    g_array_append_val (out_s, t1);
  }
  for (guint i = 0; i < json_array_get_length (r); i++) {
    JsonNode *n = json_array_get_element (r, i);
    JsonArray *row = JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
    gint64 v[5];
    RpTesterReply rep;
    if (row == NULL || json_array_get_length (row) != 5)
      goto bad;
    for (guint k = 0; k < 5; k++)
      if (!int_element (row, k, 0, k == 0 || k == 4 ? G_MAXUINT32 : TIME_MAX, &v[k]))
        goto bad;
    rep = (RpTesterReply) { (guint32) v[0], (guint32) v[4], v[1], v[2], v[3] };
    g_array_append_val (out_r, rep);
  }
  *sent = g_steal_pointer (&out_s);
  *replies = g_steal_pointer (&out_r);
  return TRUE;
bad:
  *id = NULL;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "timings: a known \"id\", \"sent\" times and \"replies\" rows of five integers, "
               "at most %d in all", RP_TESTER_MAX_ROWS);
  return FALSE;
}

void
rp_tester_result_clear (RpTesterResult *r)
{
  for (guint i = 0; r->gather != NULL && i < r->gather->len; i++) {
    RpTesterGather *g = &g_array_index (r->gather, RpTesterGather, i);
    g_free (g->uri);
    g_free (g->mapped);
  }
  for (guint i = 0; r->ice != NULL && i < r->ice->len; i++) {
    RpTesterIce *c = &g_array_index (r->ice, RpTesterIce, i);
    g_free (c->id);
    g_free (c->local);
    g_free (c->remote);
  }
  g_clear_pointer (&r->gather, g_array_unref);
  g_clear_pointer (&r->ice, g_array_unref);
}

/* A number in [0, 3600000] ms, or -1 when absent or null. */
static gboolean
ms_member (JsonObject *o, const char *member, double *out)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;

  *out = -1;
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || (json_node_get_value_type (n) != G_TYPE_DOUBLE
                                     && json_node_get_value_type (n) != G_TYPE_INT64))
    return FALSE;
  *out = json_node_get_double (n);
  return *out >= 0 && *out <= 3600000;
}

static gboolean
bool_member (JsonObject *o, const char *member, gboolean *out)
{
  JsonNode *n = value (o, member, G_TYPE_BOOLEAN);

  *out = n != NULL && json_node_get_boolean (n);
  return n != NULL;
}

/* NULL or a string for which ok() holds: *ok_out FALSE when neither. */
static char *
opt_str (JsonObject *o, const char *member, gboolean (*ok) (const char *), gboolean *ok_out)
{
  JsonNode *n = json_object_get_member (o, member);
  const char *s;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return NULL;
  s = JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
      ? json_node_get_string (n) : NULL;
  if (s == NULL || !ok (s)) {
    *ok_out = FALSE;
    return NULL;
  }
  return g_strdup (s);
}

static gboolean
cand_type_ok (const char *s)
{
  return g_str_equal (s, "host") || g_str_equal (s, "srflx") || g_str_equal (s, "prflx")
         || g_str_equal (s, "relay");
}

static gboolean
address_ok (const char *s)
{
  return strlen (s) < 64 && g_hostname_is_ip_address (s);
}

static gboolean
uri_ok (const char *s)
{
  if (strlen (s) > 256 || !(g_str_has_prefix (s, "turn:") || g_str_has_prefix (s, "turns:")))
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    if (!g_ascii_isgraph (*p))
      return FALSE;
  return TRUE;
}

static gboolean
get_gather (JsonArray *a, GArray *out)
{
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *n = json_array_get_element (a, i);
    JsonObject *e = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
    RpTesterGather g = { 0 };
    gboolean ok = e != NULL;
    if (ok) {
      g.uri = opt_str (e, "uri", uri_ok, &ok);
      g.mapped = opt_str (e, "mapped", address_ok, &ok);
      ok = ok && g.uri != NULL && bool_member (e, "relay", &g.relay) && ms_member (e, "ms", &g.ms);
    }
    g_array_append_val (out, g);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

static gboolean
get_ice (JsonArray *a, GArray *out)
{
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *n = json_array_get_element (a, i);
    JsonObject *e = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
    RpTesterIce c = { 0 };
    gboolean ok = e != NULL;
    if (ok) {
      c.id = opt_str (e, "id", rp_tester_ice_id_valid, &ok);
      c.local = opt_str (e, "local", cand_type_ok, &ok);
      c.remote = opt_str (e, "remote", cand_type_ok, &ok);
      ok = ok && c.id != NULL && bool_member (e, "connected", &c.connected)
           && ms_member (e, "ms", &c.ms);
    }
    g_array_append_val (out, c);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

gboolean
rp_tester_msg_get_result (JsonObject *o, RpTesterResult *out, GError **error)
{
  JsonNode *wsn = json_object_get_member (o, "ws");
  JsonObject *ws = wsn != NULL && JSON_NODE_HOLDS_OBJECT (wsn) ? json_node_get_object (wsn) : NULL;
  JsonArray *gather = array_member (o, "gather");
  JsonArray *ice = array_member (o, "ice");

  memset (out, 0, sizeof *out);
  out->gather = g_array_new (FALSE, TRUE, sizeof (RpTesterGather));
  out->ice = g_array_new (FALSE, TRUE, sizeof (RpTesterIce));
  if (ws == NULL || gather == NULL || ice == NULL
      || json_array_get_length (gather) > RP_TESTER_MAX_PATHS
      || json_array_get_length (ice) > RP_TESTER_MAX_PATHS
      || !ms_member (ws, "upgrade_ms", &out->ws_upgrade_ms)
      || !ms_member (ws, "rtt_ms", &out->ws_rtt_ms)
      || !get_gather (gather, out->gather) || !get_ice (ice, out->ice)) {
    rp_tester_result_clear (out);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "result: \"ws\", \"gather\" and \"ice\" as documented, at most %d paths each",
                 RP_TESTER_MAX_PATHS);
    return FALSE;
  }
  return TRUE;
}
