/* Two of our WebRTC peers on loopback, one offering and one answering,
 * through the whole stack: ICE (trickle both ways), DTLS with the
 * fingerprints of the SDP, SCTP, DCEP. Channels open in both directions,
 * ordered and unordered (maxRetransmits 0) messages come back, an empty
 * message survives, and a wrong fingerprint fails the DTLS handshake. */
#include <glib.h>
#include <gio/gio.h>
#include <string.h>

#include "rtc/webrtc/peer.h"

#define TEST_TIMEOUT_S 20
#define MESSAGES 50

typedef struct {
  GMainContext *ctx;
  RpDtlsCert *cert_a, *cert_b;
  RpWebrtcPeer *a, *b;             /* a offers, b answers and echoes */
  GPtrArray *cand_a, *cand_b;      /* candidates held until the other side has a description */
  gboolean b_has_offer, a_has_answer;
  guint opened_a, opened_b;
  guint echoed[2];                 /* ordered, unordered */
  guint empty;
  RpWebrtcChannel *ordered, *unordered;
  gboolean failed;
  char *fail_reason;
  guint closed_a, closed_b;
  gboolean free_in_callback;       /* a frees itself when it fails or a channel opens */
  gsize b_max_message;             /* b's a=max-message-size (0: the default) */
  gboolean inflate_max;            /* a is told b takes 262144 octets, whatever b said */
  GPtrArray *lengths_b;            /* lengths of the messages b received */
  gboolean a_freed;
} Fixture;

static void
on_candidate (RpWebrtcPeer *peer, const char *cand, gpointer data)
{
  Fixture *f = data;
  RpWebrtcPeer *other = peer == f->a ? f->b : f->a;
  gboolean ready = peer == f->a ? f->b_has_offer : f->a_has_answer;

  if (cand == NULL)
    return;
  if (ready && other != NULL)
    g_assert_true (rp_webrtc_peer_add_remote_candidate (other, cand, NULL));
  else
    g_ptr_array_add (peer == f->a ? f->cand_a : f->cand_b, g_strdup (cand));
}

static void
free_a (Fixture *f)
{
  rp_webrtc_peer_free (f->a);
  f->a = NULL;
  f->a_freed = TRUE;
}

static void
on_state (RpWebrtcPeer *peer, RpWebrtcState s, const char *reason, gpointer data)
{
  Fixture *f = data;

  if (s == RP_WEBRTC_STATE_FAILED) {
    f->failed = TRUE;
    g_free (f->fail_reason);
    f->fail_reason = g_strdup (reason);
  }
  if (s == RP_WEBRTC_STATE_FAILED && peer == f->a && f->free_in_callback)
    free_a (f);
}

static void
on_open (RpWebrtcPeer *peer, RpWebrtcChannel *ch, gpointer data)
{
  Fixture *f = data;

  if (peer == f->a)
    f->opened_a++;
  else
    f->opened_b++;
  if (peer == f->a && f->free_in_callback)
    free_a (f);
}

static void
on_message (RpWebrtcPeer *peer, RpWebrtcChannel *ch, const guint8 *d, gsize len, gboolean binary,
            gpointer data)
{
  Fixture *f = data;

  if (peer == f->b) {
    g_ptr_array_add (f->lengths_b, GSIZE_TO_POINTER (len));
    g_assert_true (rp_webrtc_channel_send (ch, d, len, binary, NULL));
    return;
  }
  if (len == 0)
    f->empty++;
  else
    f->echoed[ch == f->ordered ? 0 : 1]++;
}

static void
on_closed (RpWebrtcPeer *peer, RpWebrtcChannel *ch, gpointer data)
{
  Fixture *f = data;

  if (peer == f->a)
    f->closed_a++;
  else
    f->closed_b++;
}

static const RpWebrtcPeerCallbacks callbacks = {
  on_candidate, on_state, on_open, on_message, on_closed,
};

static void
flush (Fixture *f, GPtrArray *cands, RpWebrtcPeer *to)
{
  for (guint i = 0; i < cands->len; i++)
    g_assert_true (rp_webrtc_peer_add_remote_candidate (to, cands->pdata[i], NULL));
  g_ptr_array_set_size (cands, 0);
}

static gboolean
iterate_until (Fixture *f, gboolean (*done) (Fixture *f))
{
  gint64 end = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC;

  while (!done (f) && !(f->failed && !f->free_in_callback) && g_get_monotonic_time () < end)
    g_main_context_iteration (f->ctx, TRUE);
  return done (f);
}

static void
setup (Fixture *f, gconstpointer data)
{
  RpWebrtcPeerOptions o = { .loopback_only = TRUE };
  RpWebrtcPeerOptions ob = { .loopback_only = TRUE };

  f->ctx = g_main_context_new ();
  g_main_context_push_thread_default (f->ctx);
  f->cert_a = rp_dtls_cert_new (NULL);
  f->cert_b = rp_dtls_cert_new (NULL);
  g_assert_nonnull (f->cert_a);
  f->cand_a = g_ptr_array_new_with_free_func (g_free);
  f->cand_b = g_ptr_array_new_with_free_func (g_free);
  f->lengths_b = g_ptr_array_new ();
  f->b_max_message = GPOINTER_TO_SIZE (data);
  ob.max_message_size = f->b_max_message;
  f->a = rp_webrtc_peer_new (f->ctx, f->cert_a, &o, &callbacks, f);
  f->b = rp_webrtc_peer_new (f->ctx, f->cert_b, &ob, &callbacks, f);
}

static void
teardown (Fixture *f, gconstpointer unused)
{
  rp_webrtc_peer_free (f->a);
  rp_webrtc_peer_free (f->b);
  /* let libnice close its sockets */
  for (guint i = 0; i < 50 && g_main_context_iteration (f->ctx, FALSE); i++)
    ;
  rp_dtls_cert_free (f->cert_a);
  rp_dtls_cert_free (f->cert_b);
  g_ptr_array_unref (f->cand_a);
  g_ptr_array_unref (f->cand_b);
  g_ptr_array_unref (f->lengths_b);
  g_free (f->fail_reason);
  g_main_context_pop_thread_default (f->ctx);
  g_main_context_unref (f->ctx);
}

static char *
inflate_max_size (const char *sdp)
{
  g_auto (GStrv) parts = g_strsplit (sdp, "a=max-message-size:1024\r\n", 2);

  return g_strjoin ("a=max-message-size:262144\r\n", parts[0], parts[1], NULL);
}

static void
negotiate (Fixture *f, gboolean corrupt_fingerprint)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *offer = rp_webrtc_peer_create_offer (f->a, &error);
  g_autofree char *answer = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (strstr (offer, "a=setup:actpass\r\n"));
  g_assert_true (rp_webrtc_peer_set_remote_description (f->b, offer, strlen (offer), FALSE,
                                                        &error));
  g_assert_no_error (error);
  f->b_has_offer = TRUE;
  flush (f, f->cand_a, f->b);
  answer = rp_webrtc_peer_create_answer (f->b, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (answer, "a=setup:passive\r\n"));
  if (corrupt_fingerprint) {
    char *fp = strstr (answer, "a=fingerprint:sha-256 ") + strlen ("a=fingerprint:sha-256 ");
    fp[0] = fp[0] == 'A' ? 'B' : 'A';
  }
  if (f->inflate_max) {
    g_autofree char *lie = NULL;
    g_assert_nonnull (strstr (answer, "a=max-message-size:1024\r\n"));
    lie = inflate_max_size (answer);
    g_free (answer);
    answer = g_steal_pointer (&lie);
  }
  g_assert_true (rp_webrtc_peer_set_remote_description (f->a, answer, strlen (answer), TRUE,
                                                        &error));
  g_assert_no_error (error);
  f->a_has_answer = TRUE;
  flush (f, f->cand_b, f->a);
}

static gboolean
both_open (Fixture *f)
{
  return f->opened_a >= 2 && f->opened_b >= 2;
}

static gboolean
all_echoed (Fixture *f)
{
  return f->echoed[0] == MESSAGES && f->empty == 1 && f->echoed[1] >= MESSAGES * 9 / 10;
}

static gboolean
both_closed (Fixture *f)
{
  return f->closed_a == 1 && f->closed_b == 1;
}

static void
test_echo (Fixture *f, gconstpointer unused)
{
  RpDcepPolicy ordered = { .ordered = TRUE };
  RpDcepPolicy voice = { .ordered = FALSE, .limit_rtx = TRUE, .max_rtx = 0 };
  guint8 msg[160];

  negotiate (f, FALSE);
  f->ordered = rp_webrtc_peer_open_channel (f->a, "ordered", &ordered, NULL);
  f->unordered = rp_webrtc_peer_open_channel (f->a, "voice", &voice, NULL);
  g_assert_nonnull (f->ordered);
  /* a opens first as the DTLS client (actpass answered passive): even ids */
  g_assert_cmpuint (rp_webrtc_channel_get_id (f->ordered) % 2, ==, 0);
  g_assert_true (iterate_until (f, both_open));
  g_assert_cmpint (rp_webrtc_peer_get_state (f->a), ==, RP_WEBRTC_STATE_CONNECTED);
  memset (msg, 0x5a, sizeof msg);
  for (guint i = 0; i < MESSAGES; i++) {
    g_assert_true (rp_webrtc_channel_send (f->ordered, msg, sizeof msg, TRUE, NULL));
    g_assert_true (rp_webrtc_channel_send (f->unordered, msg, sizeof msg, TRUE, NULL));
  }
  g_assert_true (rp_webrtc_channel_send (f->ordered, msg, 0, FALSE, NULL));
  g_assert_true (iterate_until (f, all_echoed));
  g_assert_false (f->failed);
  /* RFC 8831 6.7: a closes, b sees it and resets too, a learns it is done */
  rp_webrtc_channel_close (f->ordered);
  g_assert_false (rp_webrtc_channel_send (f->ordered, msg, 1, TRUE, NULL));
  g_assert_true (iterate_until (f, both_closed));
  g_assert_true (rp_webrtc_channel_send (f->unordered, msg, sizeof msg, TRUE, NULL));
}

static gboolean
has_failed (Fixture *f)
{
  return f->failed;
}

static void
test_wrong_fingerprint (Fixture *f, gconstpointer unused)
{
  negotiate (f, TRUE);
  g_assert_true (iterate_until (f, has_failed));
  g_assert_cmpstr (f->fail_reason, ==,
                   "DTLS: the peer's certificate is not the one its SDP fingerprint names");
}

static gboolean
a_freed (Fixture *f)
{
  return f->a_freed;
}

/* The peer freed from inside its own callbacks, with DTLS (a failed
 * handshake) or SCTP (a channel opening) on the stack: under ASan this
 * proves the teardown waits until the lower layer has returned. */
static void
test_free_in_callback (Fixture *f, gconstpointer wrong_fingerprint)
{
  RpDcepPolicy ordered = { .ordered = TRUE };

  f->free_in_callback = TRUE;
  negotiate (f, GPOINTER_TO_INT (wrong_fingerprint));
  g_assert_nonnull (rp_webrtc_peer_open_channel (f->a, "x", &ordered, NULL));
  g_assert_true (iterate_until (f, a_freed));
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (f->ctx, FALSE);
}

static gboolean
small_echoed (Fixture *f)
{
  return f->echoed[0] >= 1;
}

/* b accepts 1024 octets (a=max-message-size:1024); a is told otherwise and
 * sends 5000: b must drop that message whole, deliver the next one, and a
 * must refuse to send more than b's real limit once it knows it. */
static void
test_max_message (Fixture *f, gconstpointer unused)
{
  RpDcepPolicy ordered = { .ordered = TRUE };
  g_autofree guint8 *big = g_malloc0 (262145);
  g_autoptr (GError) error = NULL;

  f->inflate_max = TRUE;
  negotiate (f, FALSE);
  f->ordered = rp_webrtc_peer_open_channel (f->a, "ordered", &ordered, NULL);
  f->unordered = rp_webrtc_peer_open_channel (f->a, "spare", &ordered, NULL);
  g_assert_true (iterate_until (f, both_open));
  g_assert_true (rp_webrtc_channel_send (f->ordered, big, 5000, TRUE, NULL));
  g_assert_true (rp_webrtc_channel_send (f->ordered, big, 1000, TRUE, NULL));
  g_assert_true (iterate_until (f, small_echoed));
  g_assert_cmpuint (f->lengths_b->len, ==, 1);
  g_assert_cmpuint (GPOINTER_TO_SIZE (f->lengths_b->pdata[0]), ==, 1000);
  /* past what a was told, a refuses the message itself */
  g_assert_false (rp_webrtc_channel_send (f->ordered, big, 262145, TRUE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

/* A peer that trickles without end: past 64 remote candidates in all, the
 * rest are refused (each would cost a libnice check list entry). Loopback
 * addresses only: the checks libnice sends to them stay on this host. */
static void
test_candidate_bound (Fixture *f, gconstpointer unused)
{
  guint taken = 0;
  g_autoptr (GError) error = NULL;

  negotiate (f, FALSE);
  for (guint i = 0; i < 100 && error == NULL; i++) {
    g_autofree char *line = g_strdup_printf ("candidate:%u 1 udp %u 127.0.%u.%u 9 typ host", i + 7,
                                             1000 + i, 1 + i / 200, 2 + i % 200);
    if (rp_webrtc_peer_add_remote_candidate (f->a, line, &error))
      taken++;
  }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpuint (taken, <, 64);
  /* an mDNS name is skipped and counted, not an error */
  g_assert_cmpuint (rp_webrtc_peer_get_skipped_candidates (f->b), ==, 0);
  g_assert_true (rp_webrtc_peer_add_remote_candidate (
    f->b, "candidate:1 1 udp 2113937151 4f1c8e2a-6b1d-4d2e-9a55-3c7b2e91d0af.local 5 typ host",
    NULL));
  g_assert_cmpuint (rp_webrtc_peer_get_skipped_candidates (f->b), ==, 1);
  g_assert_cmpuint (taken, >, 50);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/webrtc/peer/echo", Fixture, NULL, setup, test_echo, teardown);
  g_test_add ("/webrtc/peer/wrong-fingerprint", Fixture, NULL, setup, test_wrong_fingerprint,
              teardown);
  g_test_add ("/webrtc/peer/candidate-bound", Fixture, NULL, setup, test_candidate_bound,
              teardown);
  g_test_add ("/webrtc/peer/max-message", Fixture, GSIZE_TO_POINTER (1024), setup,
              test_max_message, teardown);
  g_test_add ("/webrtc/peer/free-when-open", Fixture, GINT_TO_POINTER (FALSE), setup,
              test_free_in_callback, teardown);
  g_test_add ("/webrtc/peer/free-when-failed", Fixture, GINT_TO_POINTER (TRUE), setup,
              test_free_in_callback, teardown);
  return g_test_run ();
}
