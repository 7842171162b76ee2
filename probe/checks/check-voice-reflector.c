/* `voice --reflector`: the voice stream (voice-stream.c) between this
 * machine and `rtcprobe serve`, on two paths, each its own session
 * (reflector-client.c):
 *
 *   voice.reflector  straight to the reflector's direct UDP port, no ICE and
 *                    no TURN: our own socket, kernel receive timestamps
 *                    (SO_TIMESTAMPNS);
 *   voice.ice        over the pair ICE selects with the reflector, gathering
 *                    with the --turn servers (--relay-only: relay pairs only,
 *                    what a user behind a strict firewall gets). libnice
 *                    hands over packets without a kernel timestamp: T4 is
 *                    taken when its callback runs, and the details say so.
 *
 * Packets are signed with the session key (RFC 8972 4.8 HMAC TLV) and carry
 * the session's SSID, as serve expects; answers that do not verify are
 * ignored. serve's reflector is stateful, one count per session and path
 * (RFC 8762 4.3.1), so loss splits by direction; its count includes the
 * warm-up, which voice-stream.c accounts for. Measures and never prints. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <glib-unix.h>

#include "probe/net/reflector-client.h"
#include "probe/checks/checks-voice.h"
#include "probe/net/voice-stream.h"
#include "common/rx-time.h"

#define SETUP_BUDGET_US (20 * G_USEC_PER_SEC)
#define SLACK_US (3 * G_USEC_PER_SEC)     /* warm-up gap, drain, goodbye */

typedef struct {
  RpCheck *check;
  gboolean direct;
  RpVoiceOptions voice;
  RpReflectorClient *client;
  const RpReflectorWelcome *welcome;
  RpVoiceStream *stream;
  gboolean finished;
  char *path_words;                /* voice.ice: "relay over udp via ..." */
  int fd;                          /* voice.reflector's socket */
  GSource *fd_source;
  guint8 buf[RP_STAMP_MAX_LEN + 1];
} VoiceRefl;

static void
close_socket (VoiceRefl *v)
{
  if (v->fd_source != NULL) {
    g_source_destroy (v->fd_source);
    g_clear_pointer (&v->fd_source, g_source_unref);
  }
  if (v->fd >= 0)
    close (v->fd);
  v->fd = -1;
}

static void
refl_free (gpointer data)
{
  VoiceRefl *v = data;

  close_socket (v);
  rp_voice_stream_free (v->stream);
  rp_reflector_client_free (v->client);
  g_free (v->path_words);
  g_free (v);
}

static void
stop_all (VoiceRefl *v)
{
  rp_voice_stream_stop (v->stream);
  close_socket (v);
  rp_reflector_client_stop (v->client);
}

static void
finish (VoiceRefl *v)
{
  if (v->finished || rp_check_is_finished (v->check))
    return;
  v->finished = TRUE;
  stop_all (v);
  rp_check_finish (v->check);
}

static void
write_result (VoiceRefl *v, gboolean cut_short)
{
  RpCheckResult *r = rp_check_get_result (v->check);
  g_autofree char *over = NULL, *none = NULL, *advice = NULL;
  RpVoiceStreamWords w;

  if (v->direct) {
    over = g_strdup_printf ("to the reflector's direct UDP port %u", v->welcome->udp_port);
    none = g_strdup_printf ("no voice packet came back from the reflector's direct UDP port %u",
                            v->welcome->udp_port);
    w.no_media_hint = "the session was set up over the websocket but UDP to the reflector's direct "
                      "port gets no answer: "
                      "open that port (udp) to the reflector in its firewall or security list, or "
                      "see voice.ice for the "
                      "path ICE finds";
    advice = g_strdup ("this is the direct UDP path to the reflector, without TURN: compare "
                       "voice.ice and `rtcprobe voice "
                       "--turn` to tell this network from the relay");
  } else {
    over = g_strdup_printf ("over ICE (%s)", v->path_words != NULL ? v->path_words : "no pair");
    none = g_strdup_printf ("ICE connects with the reflector (%s), but no voice packet came back",
                            v->path_words != NULL ? v->path_words : "no pair");
    w.no_media_hint = "connectivity checks pass but media does not: a middlebox or relay drops "
                      "data, or the reflector's "
                      "session_packet_rate is below this stream's rate";
    advice = g_strdup_printf (
      "this is the path ICE picked (%s): compare voice.reflector (direct) and --relay-only to tell "
      "the relay from this network",
      v->path_words != NULL ? v->path_words : "no pair");
  }
  w.over = over;
  w.no_media_summary = none;
  w.advice = advice;
  rp_voice_stream_write_result (v->stream, r, &w, cut_short);
}

static void
on_stream_done (gpointer data)
{
  VoiceRefl *v = data;

  write_result (v, FALSE);
  finish (v);
}

/* A reflected packet: ours only when signed with the session key. */
static void
take_packet (VoiceRefl *v, const guint8 *data, gsize len, gint64 t4)
{
  RpStampReflected p;

  if (v->stream == NULL || len != rp_voice_stream_get_packet_size (v->stream)
      || !rp_reflector_packet_verify (data, len, v->welcome->key)
      || rp_stamp_reflected_decode (data, len, &p) != RP_STAMP_OK || p.ssid != v->welcome->ssid)
    return;
  rp_voice_stream_received (v->stream, &p, t4);
}

static gboolean
send_packet (const RpStampSender *p, gboolean warmup, gpointer data)
{
  VoiceRefl *v = data;
  RpStampSender q = *p;
  gsize len = rp_voice_stream_get_packet_size (v->stream);

  q.ssid = v->welcome->ssid;
  if (rp_reflector_packet_encode (&q, len, v->welcome->key, v->buf, sizeof v->buf) != len)
    return FALSE;
  if (v->direct)
    return v->fd >= 0 && send (v->fd, v->buf, len, 0) == (gssize) len;
  return rp_reflector_client_send (v->client, v->buf, len);
}

static gboolean
start_stream (VoiceRefl *v, const char *rx_timestamps)
{
  RpVoiceStreamConfig sc = { 0 };
  gsize size = MAX (v->voice.packet_size, (gsize) RP_REFLECTOR_MIN_PACKET);

  if (size > v->welcome->max_packet) {
    rp_reflector_client_fail (
      v->client,
      "use a smaller --codec SIZE, or raise [limits] max_packet in the reflector's config",
      "the reflector answers packets of at most %u bytes; this stream's are %" G_GSIZE_FORMAT,
      v->welcome->max_packet, size);
    return FALSE;
  }
  /* Signing needs room for the HMAC TLV: small codec packets grow to it. */
  if (size != v->voice.packet_size)
    rp_check_result_detail_int (rp_check_get_result (v->check), "packet_bytes_requested",
                                v->voice.packet_size);
  sc.voice = &v->voice;
  sc.packet_size = size;
  sc.context = rp_runner_get_context (rp_check_get_runner (v->check));
  sc.id = rp_check_get_result (v->check)->id;
  sc.reflector_stateful =
    TRUE; /* serve: rp_stamp_reflector_init (.., FALSE) per session and path */
  sc.reflector_counts_warmup = TRUE;
  sc.rx_timestamps = rx_timestamps;
  sc.send = send_packet;
  sc.done = on_stream_done;
  sc.user_data = v;
  v->stream = rp_voice_stream_new (&sc);
  rp_reflector_client_set_phase (v->client, "stream");
  rp_voice_stream_start (v->stream);
  return TRUE;
}

/* ---- voice.reflector: our own UDP socket ---- */

static gboolean
on_udp (gint fd, GIOCondition cond, gpointer data)
{
  VoiceRefl *v = data;
  union {
    char buf[CMSG_SPACE (sizeof (struct timespec))];
    struct cmsghdr align;
  } control;

  /* A bounded batch per wakeup: a flood must not starve the loop. */
  for (guint batch = 0; batch < 64; batch++) {
    struct iovec iov = { v->buf, sizeof v->buf };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf };
    gssize n = recvmsg (fd, &mh, 0);

    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        break;
      continue;   /* ICMP unreachable on a connected socket: shows as loss */
    }
    take_packet (v, v->buf, (gsize) n, rp_rx_time_from_msg (&mh));
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
open_direct (VoiceRefl *v, gboolean *kernel_ts, GError **error)
{
  const char *ip = rp_reflector_client_get_address (v->client);
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new_from_string (ip, v->welcome->udp_port);
  struct sockaddr_storage ss;

  if (sa == NULL || !g_socket_address_to_native (sa, &ss, sizeof ss, error))
    return FALSE;
  v->fd = socket (ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (v->fd < 0 ||
      connect (v->fd, (struct sockaddr *) &ss, g_socket_address_get_native_size (sa)) < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "UDP socket to %s port %u: %s", ip,
                 v->welcome->udp_port, g_strerror (e));
    return FALSE;
  }
  *kernel_ts = rp_rx_time_enable (v->fd);
  v->fd_source = g_unix_fd_source_new (v->fd, G_IO_IN);
  g_source_set_callback (v->fd_source, (GSourceFunc) (void (*) (void)) on_udp, v, NULL);
  g_source_attach (v->fd_source, rp_runner_get_context (rp_check_get_runner (v->check)));
  return TRUE;
}

/* ---- the session ---- */

static void
on_welcome (RpReflectorClient *c, const RpReflectorWelcome *w, gpointer data)
{
  VoiceRefl *v = data;
  RpCheckResult *r = rp_check_get_result (v->check);
  g_autoptr (GError) error = NULL;
  gboolean kernel_ts = FALSE;

  v->welcome = w;
  if (!v->direct)
    return;
  if (w->udp_port == 0) {
    rp_check_result_set (r, RP_STATUS_SKIP, "the reflector offers no direct UDP port");
    rp_check_result_set_hint (
      r, "set [listen] udp in the reflector's config (and open that port) to measure the path "
         "without TURN; voice.ice measures the path ICE finds");
    finish (v);
    return;
  }
  {
    g_autofree char *hp =
      g_strdup_printf (strchr (rp_reflector_client_get_address (c), ':') ? "[%s]:%u" : "%s:%u",
                       rp_reflector_client_get_address (c), w->udp_port);
    rp_check_result_detail_str (r, "direct_address", hp);
  }
  if (!open_direct (v, &kernel_ts, &error)) {
    rp_reflector_client_fail (c, NULL, "%s", error->message);
    return;
  }
  start_stream (v, kernel_ts ? "kernel" : "userspace");
}

static void
on_ready (RpReflectorClient *c, gpointer data)
{
  VoiceRefl *v = data;

  v->path_words = rp_reflector_client_describe_path (c, rp_check_get_result (v->check));
  start_stream (v, "userspace");
}

static void
on_receive (RpReflectorClient *c, const guint8 *data, gsize len, gint64 rx_us, gpointer user_data)
{
  take_packet (user_data, data, len, rx_us);
}

static void
on_failed (RpReflectorClient *c, gpointer data)
{
  finish (data);
}

static const RpReflectorClientCallbacks client_callbacks = { on_welcome, on_ready, on_receive,
                                                             on_failed };

static void
voice_start (RpCheck *check)
{
  VoiceRefl *v = rp_check_get_state (check);

  v->check = check;
  rp_reflector_client_start (v->client, check);
}

static void
voice_expire (RpCheck *check)
{
  VoiceRefl *v = rp_check_get_state (check);

  v->finished = TRUE;
  if (rp_voice_stream_is_running (v->stream)) {
    /* Report what was measured, and that it was cut short. */
    rp_voice_stream_stop (v->stream);
    write_result (v, TRUE);
  } else {
    rp_reflector_client_explain_deadline (v->client, rp_check_get_result (check));
  }
  stop_all (v);
}

static const RpCheckClass voice_class = { voice_start, voice_expire, refl_free };

static void
add_one (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
         const RpVoiceOptions *voice, const RpIceReflectorOptions *ro, gboolean direct)
{
  VoiceRefl *v = g_new0 (VoiceRefl, 1);
  gint64 budget =
    SETUP_BUDGET_US + (gint64) ((voice->warmup_s + voice->duration_s) * G_USEC_PER_SEC) + SLACK_US;

  v->direct = direct;
  v->voice = *voice;
  v->voice.turn = NULL;
  v->fd = -1;
  v->client = rp_reflector_client_new (options, rp_turn_plan_get_creds (plan), ro, !direct,
                                       &client_callbacks, v);
  rp_runner_add (
    runner, rp_check_result_new (direct ? "voice.reflector" : "voice.ice", "voice", ro->url->uri),
    budget, &voice_class, v);
}

void
rp_check_voice_reflector_add (RpRunner *runner, const RpProbeOptions *options, RpTurnPlan *plan,
                              const RpVoiceOptions *voice, const RpIceReflectorOptions *ro)
{
  if (!ro->relay_only)
    add_one (runner, options, plan, voice, ro, TRUE);
  add_one (runner, options, plan, voice, ro, FALSE);
}
