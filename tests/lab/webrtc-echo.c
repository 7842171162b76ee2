/* The far end of the WebRTC browser test: one rtc/webrtc peer driven by JSON
 * lines on stdin and reporting on stdout, so that a browser driver can carry
 * the offer, answer and trickled candidates between it and a page.
 *   in:  {"type":"offer","sdp":"..."}  {"candidate":"candidate:..."}  {"candidate":""}
 *        {"type":"create-offer"}  {"type":"answer","sdp":"..."}   (we offer instead)
 *   out: {"type":"answer","sdp":"..."}  {"type":"offer","sdp":"..."}
 *        {"candidate":"..."}  {"candidate":null}
 *        {"event":"state","state":"connected","reason":null}
 *        {"event":"open","label":"...","id":N,"ordered":B,"maxRetransmits":N|null,
 *         "maxPacketLifeTime":N|null}
 *        {"event":"closed","label":"..."}  {"event":"error","message":"..."}
 * A channel labelled "voice" answers voice test messages
 * (rtc/webrtc/voice-message.h); any other channel echoes each message as it
 * came. Once connected it opens a channel "server" of its own and sends
 * "hello" on it when that opens. Exits at the end of stdin or after
 * --timeout seconds (default 30). Host candidates on loopback only; with
 * --turn IP:PORT (TURN over UDP; --turn-user, --turn-password-file) and
 * --relay-only, relay candidates only. */
#include <gio/gio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "rtc/webrtc/peer.h"
#include "rtc/webrtc/voice-message.h"

#define LINE_MAX_LEN (128 * 1024)

typedef struct {
  GMainLoop *loop;
  RpWebrtcPeer *peer;
  RpVoiceReflector reflector;
  int exit_code;
} Echo;

static void
emit (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *s = json_to_string (root, FALSE);

  printf ("%s\n", s);
  fflush (stdout);
}

static void
emit_pair (const char *k1, const char *v1, const char *k2, const char *v2)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, k1);
  json_builder_add_string_value (b, v1);
  json_builder_set_member_name (b, k2);
  if (v2 != NULL)
    json_builder_add_string_value (b, v2);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  emit (b);
}

static void
on_candidate (RpWebrtcPeer *peer, const char *cand, gpointer data)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "candidate");
  if (cand != NULL)
    json_builder_add_string_value (b, cand);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  emit (b);
}

static void
on_state (RpWebrtcPeer *peer, RpWebrtcState s, const char *reason, gpointer data)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  RpDcepPolicy reliable = { .ordered = TRUE };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "state");
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, rp_webrtc_state_to_string (s));
  json_builder_set_member_name (b, "reason");
  if (reason != NULL)
    json_builder_add_string_value (b, reason);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  emit (b);
  if (s == RP_WEBRTC_STATE_CONNECTED)
    rp_webrtc_peer_open_channel (peer, "server", &reliable, NULL);
}

static void
add_limit (JsonBuilder *b, const char *name, gboolean set, guint32 v)
{
  json_builder_set_member_name (b, name);
  if (set)
    json_builder_add_int_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
on_open (RpWebrtcPeer *peer, RpWebrtcChannel *ch, gpointer data)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const RpDcepPolicy *p = rp_webrtc_channel_get_policy (ch);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "open");
  json_builder_set_member_name (b, "label");
  json_builder_add_string_value (b, rp_webrtc_channel_get_label (ch));
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, rp_webrtc_channel_get_id (ch));
  json_builder_set_member_name (b, "ordered");
  json_builder_add_boolean_value (b, p->ordered);
  add_limit (b, "maxRetransmits", p->limit_rtx, p->max_rtx);
  add_limit (b, "maxPacketLifeTime", p->limit_time, p->lifetime_ms);
  json_builder_end_object (b);
  emit (b);
  if (strcmp (rp_webrtc_channel_get_label (ch), "server") == 0)
    rp_webrtc_channel_send (ch, (const guint8 *) "hello", 5, FALSE, NULL);
}

static void
on_message (RpWebrtcPeer *peer, RpWebrtcChannel *ch, const guint8 *d, gsize len, gboolean binary,
            gpointer data)
{
  Echo *e = data;
  guint8 reply[RP_VOICE_MSG_MAX_LEN];
  guint64 now;
  g_autoptr (GError) error = NULL;

  if (strcmp (rp_webrtc_channel_get_label (ch), "voice") != 0) {
    if (!rp_webrtc_channel_send (ch, d, len, binary, &error))
      emit_pair ("event", "error", "message", error->message);
    return;
  }
  now = (guint64) g_get_real_time ();
  if (rp_voice_reflect (&e->reflector, d, len, now, (guint64) g_get_real_time (), reply)
      == RP_VOICE_MSG_OK)
    rp_webrtc_channel_send (ch, reply, len, TRUE, NULL);
}

static void
on_closed (RpWebrtcPeer *peer, RpWebrtcChannel *ch, gpointer data)
{
  emit_pair ("event", "closed", "label", rp_webrtc_channel_get_label (ch));
}

static const RpWebrtcPeerCallbacks callbacks = {
  on_candidate, on_state, on_open, on_message, on_closed,
};

static gboolean
handle_description (Echo *e, const char *type, const char *sdp, GError **error)
{
  g_autofree char *answer = NULL;
  g_autofree char *offer = NULL;

  if (strcmp (type, "create-offer") == 0) {
    if ((offer = rp_webrtc_peer_create_offer (e->peer, error)) == NULL)
      return FALSE;
    emit_pair ("type", "offer", "sdp", offer);
    return TRUE;
  }
  if (strcmp (type, "answer") == 0)
    return rp_webrtc_peer_set_remote_description (e->peer, sdp, strlen (sdp), TRUE, error);
  if (!rp_webrtc_peer_set_remote_description (e->peer, sdp, strlen (sdp), FALSE, error)
      || (answer = rp_webrtc_peer_create_answer (e->peer, error)) == NULL)
    return FALSE;
  emit_pair ("type", "answer", "sdp", answer);
  return TRUE;
}

static void
handle_line (Echo *e, const char *line)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *o;

  if (!json_parser_load_from_data (parser, line, -1, &error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    emit_pair ("event", "error", "message", error != NULL ? error->message : "not an object");
    return;
  }
  o = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (o, "type"))
    handle_description (e, json_object_get_string_member_with_default (o, "type", ""),
                        json_object_get_string_member_with_default (o, "sdp", ""), &error);
  else if (json_object_has_member (o, "candidate"))
    rp_webrtc_peer_add_remote_candidate (
      e->peer, json_object_get_string_member_with_default (o, "candidate", ""), &error);
  if (error != NULL)
    emit_pair ("event", "error", "message", error->message);
}

static gboolean
on_stdin (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  Echo *e = data;
  g_autofree char *line = NULL;
  gsize len = 0;
  GIOStatus st = g_io_channel_read_line (ch, &line, &len, NULL, NULL);

  if (st == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  if (st != G_IO_STATUS_NORMAL || len > LINE_MAX_LEN) {
    g_main_loop_quit (e->loop);
    return G_SOURCE_REMOVE;
  }
  g_strchomp (line);
  if (*line != '\0')
    handle_line (e, line);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout (gpointer data)
{
  Echo *e = data;

  emit_pair ("event", "error", "message", "timeout");
  e->exit_code = 1;
  g_main_loop_quit (e->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
add_turn (RpWebrtcPeer *peer, const char *hostport, const char *user, const char *pw_file,
          GError **error)
{
  g_autofree char *pw = NULL;
  g_autofree char *ip = NULL;
  const char *colon = strrchr (hostport, ':');
  guint64 port = 0;

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, error))
    return FALSE;
  if (pw_file != NULL && !g_file_get_contents (pw_file, &pw, NULL, error))
    return FALSE;
  if (pw != NULL)
    g_strchomp (pw);
  ip = g_strndup (hostport, (gsize) (colon - hostport));
  return rp_webrtc_peer_add_turn_server (peer, ip, (guint16) port, RP_ICE_RELAY_UDP, user, pw,
                                         error);
}

int
main (int argc, char **argv)
{
  int timeout_s = 30;
  g_autofree char *turn = NULL;
  g_autofree char *turn_user = NULL;
  g_autofree char *turn_pw_file = NULL;
  gboolean relay_only = FALSE;
  GOptionEntry entries[] = {
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, "Give up after SECONDS", "SECONDS" },
    { "turn", 0, 0, G_OPTION_ARG_STRING, &turn, "TURN server over UDP", "IP:PORT" },
    { "turn-user", 0, 0, G_OPTION_ARG_STRING, &turn_user, "TURN user name", "NAME" },
    { "turn-password-file", 0, 0, G_OPTION_ARG_FILENAME, &turn_pw_file, "TURN password file",
      "FILE" },
    { "relay-only", 0, 0, G_OPTION_ARG_NONE, &relay_only, "Relay candidates only", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) oc = g_option_context_new ("- WebRTC echo peer for tests");
  g_autoptr (GError) error = NULL;
  g_autoptr (RpDtlsCert) cert = NULL;
  RpWebrtcPeerOptions options = { .loopback_only = TRUE };
  Echo e = { 0 };
  GIOChannel *in;

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error) || timeout_s <= 0 || timeout_s > 600) {
    fprintf (stderr, "webrtc-echo: %s\n", error != NULL ? error->message : "bad --timeout");
    return 2;
  }
  if ((cert = rp_dtls_cert_new (&error)) == NULL) {
    fprintf (stderr, "webrtc-echo: %s\n", error->message);
    return 1;
  }
  e.loop = g_main_loop_new (NULL, FALSE);
  options.relay_only = relay_only;
  e.peer = rp_webrtc_peer_new (g_main_context_default (), cert, &options, &callbacks, &e);
  if (turn != NULL && !add_turn (e.peer, turn, turn_user, turn_pw_file, &error)) {
    fprintf (stderr, "webrtc-echo: --turn: %s\n", error->message);
    rp_webrtc_peer_free (e.peer);
    g_main_loop_unref (e.loop);
    return 2;
  }
  in = g_io_channel_unix_new (0);
  g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &e);
  g_timeout_add_seconds ((guint) timeout_s, on_timeout, &e);
  g_main_loop_run (e.loop);
  rp_webrtc_peer_free (e.peer);
  g_io_channel_unref (in);
  g_main_loop_unref (e.loop);
  return e.exit_code;
}
