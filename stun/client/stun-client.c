/* The STUN/TURN client over a socket (see stun-client.h). One non-blocking fd
 * watched by a small GSource whose conditions follow what the connection is
 * waiting for (connect, TLS handshake, read, pending write). Transactions run
 * the sans-I/O timer of stun-timer.c; responses are matched by transaction
 * id. On a connected UDP socket only the server can reach us, so a datagram
 * that is not STUN is the server answering garbage, reported at once. */
#include "stun/client/stun-client.h"
#include "common/rx-time.h"

#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stun/stun-timer.h"
#include "common/tls-client.h"

#include "stun/client/stun-client-private.h"

const char *
rp_stun_net_status_to_string (RpStunNetStatus s)
{
  static const char *const names[] = { "ok",      "refused",       "unreachable",
                                       "closed",  "tls_handshake", "tls_untrusted",
                                       "garbage", "filtered",      "error",
                                       "no_route" };
  return (guint) s < G_N_ELEMENTS (names) ? names[s] : "error";
}

static RpStunNetStatus
status_from_errno (int err)
{
  switch (err) {
  case ECONNREFUSED:
    return RP_STUN_NET_REFUSED;
  case EHOSTUNREACH:
  case ENETUNREACH:
  case EHOSTDOWN:
  case ENETDOWN:
    return RP_STUN_NET_UNREACHABLE;
  case ECONNRESET:
  case EPIPE:
    return RP_STUN_NET_CLOSED;
  default:
    return RP_STUN_NET_ERROR;
  }
}

/* A connect() or sendto() that fails before any packet leaves: the
 * kernel's routing table has nothing for the address (no default route of
 * its family, an `unreachable` route, no source address of the family). */
static gboolean
errno_is_no_route (int err)
{
  return err == ENETUNREACH || err == EHOSTUNREACH || err == EADDRNOTAVAIL;
}

/* ---- lifetime: callbacks may free the client ---- */

static void really_free (RpStunClient *client);

static void
enter (RpStunClient *client)
{
  client->dispatching++;
}

static gboolean
leave (RpStunClient *client)
{
  gboolean alive = !client->dead;

  if (--client->dispatching == 0 && client->dead)
    really_free (client);
  return alive;
}

/* ---- fd watch ---- */

static void update_watch (RpStunClient *client);
static void on_fd_ready (RpStunClient *client, GIOCondition cond);

static gboolean
fd_dispatch (GSource *source, GSourceFunc cb, gpointer data)
{
  FdSource *s = (FdSource *) source;
  GIOCondition cond = g_source_query_unix_fd (source, s->tag);

  on_fd_ready (s->client, cond);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs fd_funcs = { NULL, NULL, fd_dispatch, NULL, NULL, NULL };

static void
update_watch (RpStunClient *client)
{
  GIOCondition cond = G_IO_IN | G_IO_ERR | G_IO_HUP;

  if (client->watch == NULL)
    return;
  if (client->state == STATE_CONNECTING || client->tls_wants_write
      || (client->outbuf->len > 0 && client->state == STATE_READY))
    cond |= G_IO_OUT;
  if (client->state == STATE_CONNECTING)
    cond = G_IO_OUT | G_IO_ERR | G_IO_HUP;
  g_source_modify_unix_fd ((GSource *) client->watch, client->watch->tag, cond);
}

static void
start_watch (RpStunClient *client)
{
  client->watch = (FdSource *) g_source_new (&fd_funcs, sizeof (FdSource));
  client->watch->client = client;
  client->watch->tag = g_source_add_unix_fd ((GSource *) client->watch, client->fd, G_IO_IN);
  g_source_attach ((GSource *) client->watch, client->context);
  update_watch (client);
}

/* ---- transactions ---- */

static void
txn_free (Txn *t)
{
  if (t->timeout != NULL) {
    g_source_destroy (t->timeout);
    g_source_unref (t->timeout);
  }
  g_clear_object (&t->to);
  g_free (t->bytes);
  g_free (t);
}

/* Removes t from the client and calls its callback; returns FALSE when the
 * callback freed the client. */
static gboolean
txn_complete (Txn *t, RpStunTxnResult *res)
{
  RpStunClient *client = t->client;
  gboolean alive;

  client->txns = g_list_remove (client->txns, t);
  res->retransmissions = rp_stun_timer_retransmissions (&t->timer);
  enter (client);
  t->func (client, res, t->user_data);
  alive = leave (client);
  txn_free (t);
  return alive;
}

static void
fail_all (RpStunClient *client, RpStunTxnOutcome outcome, RpStunNetStatus net, const char *reason)
{
  enter (client);
  while (client->txns != NULL && !client->dead) {
    RpStunTxnResult res = { .outcome = outcome, .net = net, .reason = reason };
    txn_complete (client->txns->data, &res);
  }
  leave (client);
}

static void
clear_connect_timer (RpStunClient *client)
{
  if (client->connect_timer != NULL) {
    g_source_destroy (client->connect_timer);
    g_clear_pointer (&client->connect_timer, g_source_unref);
  }
}

static void
fail_connection (RpStunClient *client, RpStunNetStatus net, const char *reason)
{
  RpStunConnectFunc func = client->connect_func;

  clear_connect_timer (client);
  client->state = STATE_FAILED;
  if (client->watch != NULL) {
    g_source_destroy ((GSource *) client->watch);
    g_clear_pointer ((GSource **) &client->watch, g_source_unref);
  }
  enter (client);
  if (func != NULL) {
    client->connect_func = NULL;
    func (client, net, reason, client->connect_data);
  }
  if (!client->dead)
    fail_all (client, RP_STUN_TXN_NET, net, reason);
  leave (client);
}

static void
fail_errno (RpStunClient *client, const char *what, int err)
{
  g_autofree char *reason = g_strdup_printf ("%s: %s", what, g_strerror (err));
  fail_connection (client, status_from_errno (err), reason);
}

static int transmit (RpStunClient *client, const guint8 *data, gsize len, GSocketAddress *to);

/* An unconnected client's sendto() found no route to t's destination:
 * retransmitting cannot help, so t fails now (the client lives on for the
 * other destinations). Returns FALSE when the callback freed the client. */
static gboolean
txn_no_route (Txn *t, int err)
{
  g_autofree char *why = g_strdup_printf ("sendto: %s", g_strerror (err));
  RpStunTxnResult res = { .outcome = RP_STUN_TXN_NET, .net = RP_STUN_NET_NO_ROUTE,
                          .reason = why };

  return txn_complete (t, &res);
}

static gboolean
on_txn_timer (gpointer data)
{
  Txn *t = data;
  RpStunClient *client = t->client;
  gint64 now = g_get_monotonic_time ();
  int err;

  g_clear_pointer (&t->timeout, g_source_unref);
  switch (rp_stun_timer_tick (&t->timer, now)) {
  case RP_STUN_TIMER_RETRANSMIT:
    t->last_send_us = now;
    client->requests_sent++;
    enter (client);
    err = transmit (client, t->bytes, t->len, t->to);
    if (leave (client) && client->state != STATE_FAILED && g_list_find (client->txns, t) != NULL) {
      if (err != 0) {
        txn_no_route (t, err);
        return G_SOURCE_REMOVE;
      }
      /* RP_STUN_TIMER_WAIT case below schedules the next action */
    } else {
      return G_SOURCE_REMOVE;
    }
    G_GNUC_FALLTHROUGH;
  case RP_STUN_TIMER_WAIT: {
    gint64 next = rp_stun_timer_next_us (&t->timer);
    gint64 delay_ms = MAX (0, (next - g_get_monotonic_time () + 999) / 1000);
    t->timeout = g_timeout_source_new ((guint) delay_ms);
    g_source_set_callback (t->timeout, on_txn_timer, t, NULL);
    g_source_attach (t->timeout, client->context);
    break;
  }
  case RP_STUN_TIMER_TIMEOUT: {
    RpStunTxnResult res = { .outcome = RP_STUN_TXN_TIMEOUT };
    g_autofree char *why = NULL;
    if (t->strays > 0) {
      why = g_strdup_printf (
        "the server answered %u time%s, but never with the transaction id of our request",
        t->strays, t->strays == 1 ? "" : "s");
      res.outcome = RP_STUN_TXN_MALFORMED;
      res.reason = why;
    }
    txn_complete (t, &res);
    break;
  }
  }
  return G_SOURCE_REMOVE;
}

static void
txn_start (Txn *t)
{
  RpStunClient *client = t->client;
  gint64 now = g_get_monotonic_time ();
  int err;

  t->first_send_us = t->last_send_us = now;
  rp_stun_timer_start (&t->timer, now, client->transport != RP_TRANSPORT_UDP, client->rto_us,
                       client->rc, client->rm);
  client->requests_sent++;
  enter (client);
  err = transmit (client, t->bytes, t->len, t->to);
  if (leave (client) && g_list_find (client->txns, t) != NULL) {
    if (err != 0)
      txn_no_route (t, err);
    else
      on_txn_timer (t);   /* schedules the first wait */
  }
}

/* ---- sending ---- */

static void
flush (RpStunClient *client)
{
  while (client->outbuf->len > 0) {
    gssize n;

    if (client->ssl != NULL) {
      int r = SSL_write (client->ssl, client->outbuf->data, (int) client->outbuf->len);
      if (r <= 0) {
        int e = SSL_get_error (client->ssl, r);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
          client->tls_wants_write = (e == SSL_ERROR_WANT_WRITE);
          break;
        }
        g_autofree char *why = rp_tls_last_error ();
        fail_connection (client, RP_STUN_NET_CLOSED, why);
        return;
      }
      n = r;
    } else {
      n = send (client->fd, client->outbuf->data, client->outbuf->len, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
          break;
        fail_errno (client, "send", errno);
        return;
      }
    }
    g_byte_array_remove_range (client->outbuf, 0, (guint) n);
  }
  if (client->outbuf->len == 0)
    client->tls_wants_write = FALSE;
  update_watch (client);
}

/* Returns the errno of an unconnected sendto() that found no route to `to`,
 * else 0. */
static int
transmit (RpStunClient *client, const guint8 *data, gsize len, GSocketAddress *to)
{
  if (client->state == STATE_FAILED)
    return 0;
  if (to != NULL) {
    struct sockaddr_storage ss;
    gssize sl = g_socket_address_get_native_size (to);
    /* Unconnected: a failed send is a lost packet, not a dead client;
     * but no route to the destination is no packet at all. */
    if (sl > 0 && g_socket_address_to_native (to, &ss, sizeof ss, NULL)
        && sendto (client->fd, data, len, 0, (struct sockaddr *) &ss, (socklen_t) sl) < 0
        && errno_is_no_route (errno))
      return errno;
    return 0;
  }
  if (client->transport == RP_TRANSPORT_UDP) {
    if (send (client->fd, data, len, 0) < 0 && errno != EAGAIN && errno != EINTR)
      fail_errno (client, "send", errno);
    return 0;
  }
  g_byte_array_append (client->outbuf, data, (guint) len);
  if (client->state == STATE_READY)
    flush (client);
  return 0;
}

gboolean
rp_stun_client_send (RpStunClient *client, const guint8 *data, gsize len)
{
  if (client->state == STATE_FAILED)
    return FALSE;
  transmit (client, data, len, NULL);
  return client->state != STATE_FAILED;
}

/* ---- receiving ---- */

/* Returns FALSE when the client died or failed while delivering. */
static gboolean
deliver (RpStunClient *client, const guint8 *data, gsize len, GSocketAddress *from)
{
  RpStunMessage msg;
  RpStunParseResult pr;
  gboolean alive = TRUE;

  /* RFC 8656 12: ChannelData starts with 0b01, names a channel in
   * 0x4000-0x4FFF and its data fits; STUN starts with 0b00. Every ASCII
   * letter starts with 0b01 too: a text answer ("HTTP/1.1 400") falls
   * through to the parser and is reported as malformed. */
  if (len >= 4 && data[0] >= 0x40 && data[0] <= 0x4F &&
      4 + (gsize) (data[2] << 8 | data[3]) <= len) {
    if (client->unsolicited != NULL) {
      enter (client);
      client->unsolicited (client, data, len, client->unsolicited_data);
      alive = leave (client);
    }
    return alive;
  }
  pr = rp_stun_message_parse (data, len, &msg);
  /* RFC 8489 6.3: a datagram carries exactly one message. */
  if (pr == RP_STUN_PARSE_OK && client->transport == RP_TRANSPORT_UDP && msg.len != len)
    pr = RP_STUN_PARSE_BAD_LENGTH;
  if (pr != RP_STUN_PARSE_OK && client->server == NULL)
    return TRUE;   /* unconnected: anyone can send us noise */
  if (pr != RP_STUN_PARSE_OK) {
    g_autofree char *why =
      g_strdup_printf ("malformed STUN response: %s (%" G_GSIZE_FORMAT " bytes)",
                       rp_stun_parse_result_to_string (pr), len);
    enter (client);
    fail_all (client, RP_STUN_TXN_MALFORMED, RP_STUN_NET_OK, why);
    return leave (client);
  }
  if (msg.klass == RP_STUN_SUCCESS || msg.klass == RP_STUN_ERROR) {
    for (GList *l = client->txns; l != NULL; l = l->next) {
      Txn *t = l->data;
      if (memcmp (t->tid, msg.tid, RP_STUN_TID_LEN) == 0) {
        /* The kernel's receive time, when there is one: RTT without our loop's latency. */
        gint64 now = client->rx_us > 0 ? client->rx_us : g_get_monotonic_time ();
        RpStunTxnResult res = { .outcome = RP_STUN_TXN_RESPONSE, .msg = msg, .bytes = data,
                                .len = len, .rtt_us = now - t->first_send_us,
                                .rtt_last_us = now - t->last_send_us, .from = from };
        g_autofree char *why = NULL;
        /* RFC 8489 7.3.3 and 7.3.4: a response with an unknown
         * comprehension-required attribute fails the transaction. */
        if (msg.n_unknown_required > 0) {
          why = g_strdup_printf ("malformed STUN response: it carries attribute 0x%04x, "
                                 "comprehension-required and unknown to this client",
                                 msg.unknown_required[0]);
          res.outcome = RP_STUN_TXN_MALFORMED;
          res.reason = why;
        }
        return txn_complete (t, &res);
      }
    }
    /* RFC 8489 6.3: a response that matches no transaction is discarded;
     * remember it so a timeout (or the caller's deadline) can say the
     * server did answer. */
    for (GList *l = client->txns; l != NULL; l = l->next)
      ((Txn *) l->data)->strays++;
    if (client->txns != NULL)
      client->info.strays++;
    return TRUE;
  }
  if (client->unsolicited != NULL) {
    enter (client);
    client->unsolicited (client, data, len, client->unsolicited_data);
    alive = leave (client);
  }
  return alive;
}

static void
read_datagrams (RpStunClient *client)
{
  guint8 buf[65536];
  union {
    char buf[CMSG_SPACE (sizeof (struct timespec))];
    struct cmsghdr align;
  } control;

  /* A bounded batch per wakeup: a flooding peer must not starve the loop
   * (and with it every deadline). */
  for (guint batch = 0; batch < 64; batch++) {
    struct sockaddr_storage ss;
    struct iovec iov = { buf, sizeof buf };
    struct msghdr mh = { .msg_name = &ss,
                         .msg_namelen = sizeof ss,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf };
    g_autoptr (GSocketAddress) from = NULL;
    gssize n = recvmsg (client->fd, &mh, 0);
    gboolean alive;

    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return;
      if (client->server == NULL)
        continue;   /* unconnected: an ICMP error for one destination */
      fail_errno (client, "recv", errno);
      return;
    }
    client->rx_us = rp_rx_time_from_msg (&mh);
    from = g_socket_address_new_from_native (&ss, mh.msg_namelen);
    alive = deliver (client, buf, (gsize) n, from);
    if (!alive || client->state == STATE_FAILED)
      return;
  }
}

int
rp_stun_client_release_reader (RpStunClient *client)
{
  if (client->transport != RP_TRANSPORT_UDP || client->server == NULL ||
      client->state != STATE_READY)
    return -1;
  if (client->watch != NULL) {
    g_source_destroy ((GSource *) client->watch);
    g_clear_pointer ((GSource **) &client->watch, g_source_unref);
  }
  return client->fd;
}

void
rp_stun_client_feed (RpStunClient *client, const guint8 *data, gsize len, gint64 rx_us)
{
  if (client->state != STATE_READY)
    return;
  enter (client);
  client->rx_us = rx_us;
  deliver (client, data, len, NULL);
  leave (client);
}

static void
read_stream (RpStunClient *client)
{
  guint8 buf[16384];

  /* Bounded like read_datagrams; bytes OpenSSL has already decrypted are
   * always drained, since the fd will not wake us for them. */
  for (guint batch = 0; batch < 4 || (client->ssl != NULL && SSL_pending (client->ssl) > 0);
       batch++) {
    gssize n;

    if (client->ssl != NULL) {
      int r = SSL_read (client->ssl, buf, sizeof buf);
      if (r <= 0) {
        int e = SSL_get_error (client->ssl, r);
        if (e == SSL_ERROR_WANT_READ)
          break;
        if (e == SSL_ERROR_WANT_WRITE) {
          client->tls_wants_write = TRUE;
          update_watch (client);
          break;
        }
        fail_connection (client, RP_STUN_NET_CLOSED,
                         e == SSL_ERROR_ZERO_RETURN ? "the server closed the TLS connection"
                                                    : "the TLS connection broke");
        return;
      }
      n = r;
    } else {
      n = recv (client->fd, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
          break;
        fail_errno (client, "recv", errno);
        return;
      }
      if (n == 0) {
        fail_connection (client, RP_STUN_NET_CLOSED, "the server closed the connection");
        return;
      }
    }
    client->rx_us = g_get_monotonic_time ();
    if (client->inbuf->len + (gsize) n > STREAM_BUFFER_MAX) {
      fail_connection (client, RP_STUN_NET_GARBAGE,
                       "the server sent more than 128 KiB without a complete message");
      return;
    }
    g_byte_array_append (client->inbuf, buf, (guint) n);
  }

  /* RFC 8489 6.2.2 / RFC 8656 12.5: messages and ChannelData back to back. */
  while (client->inbuf->len > 0 && client->state == STATE_READY) {
    gssize need = rp_stun_frame_length (client->inbuf->data, client->inbuf->len);
    g_autofree guint8 *frame = NULL;

    /* Only a TURN client expects ChannelData; to a STUN client a frame that
     * starts with 0b01 is text or garbage ("HTTP/1.1 400" starts with 0x48,
     * which would otherwise wait for a 21 KB "frame"). */
    if (need > 0 && (client->inbuf->data[0] & 0xC0) == 0x40 && client->unsolicited == NULL)
      need = -1;
    if (need < 0) {
      g_autofree char *why = NULL;
      if (client->inbuf->len >= 5 && memcmp (client->inbuf->data, "HTTP/", 5) == 0)
        why = g_strdup ("malformed STUN response: the server answered with HTTP (a web server or "
                        "proxy listens on this port)");
      else
        why = g_strdup_printf ("malformed STUN response: the server sent bytes that are neither "
                               "STUN nor ChannelData (first byte 0x%02x)",
                               client->inbuf->data[0]);
      fail_connection (client, RP_STUN_NET_GARBAGE, why);
      return;
    }
    if (need == 0 || (gsize) need > client->inbuf->len)
      break;
    frame = g_memdup2 (client->inbuf->data, (gsize) need);
    g_byte_array_remove_range (client->inbuf, 0, (guint) need);
    if (!deliver (client, frame, (gsize) need, NULL))
      return;
  }
}

/* ---- connecting ---- */

static void
became_ready (RpStunClient *client)
{
  RpStunConnectFunc func = client->connect_func;

  client->state = STATE_READY;
  update_watch (client);
  enter (client);
  if (func != NULL) {
    client->connect_func = NULL;
    func (client, RP_STUN_NET_OK, NULL, client->connect_data);
  }
  if (!client->dead && client->state == STATE_READY)
    flush (client);
  leave (client);
}

static void
record_tls_info (RpStunClient *client)
{
  X509 *cert = SSL_get1_peer_certificate (client->ssl);

  client->info.tls_version = g_strdup (SSL_get_version (client->ssl));
  client->info.tls_cipher = g_strdup (SSL_get_cipher_name (client->ssl));
  client->info.tls_verify_result = cert != NULL ? SSL_get_verify_result (client->ssl)
                                                : X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT;
  client->info.tls_verified = client->info.tls_verify_result == X509_V_OK;
  if (cert != NULL) {
    char buf[512];
    const ASN1_TIME *na = X509_get0_notAfter (cert);
    struct tm tm;

    X509_NAME_oneline (X509_get_subject_name (cert), buf, sizeof buf);
    client->info.cert_subject = g_strdup (buf);
    X509_NAME_oneline (X509_get_issuer_name (cert), buf, sizeof buf);
    client->info.cert_issuer = g_strdup (buf);
    if (na != NULL && ASN1_TIME_to_tm (na, &tm) == 1) {
      g_autoptr (GDateTime) dt = g_date_time_new_utc (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                                      tm.tm_hour, tm.tm_min, tm.tm_sec);
      if (dt != NULL)
        client->info.cert_not_after = g_date_time_to_unix (dt);
    }
    X509_free (cert);
  }
}

static void
handshake (RpStunClient *client)
{
  int r = SSL_connect (client->ssl);

  if (r == 1) {
    client->info.tls_us = g_get_monotonic_time () - client->tls_start_us;
    client->tls_wants_write = FALSE;
    record_tls_info (client);
    if (!client->info.tls_verified && !client->insecure) {
      g_autofree char *why = rp_tls_verify_reason (client->info.tls_verify_result, client->host);
      fail_connection (client, RP_STUN_NET_TLS_UNTRUSTED, why);
      return;
    }
    became_ready (client);
    return;
  }
  switch (SSL_get_error (client->ssl, r)) {
  case SSL_ERROR_WANT_READ:
    client->tls_wants_write = FALSE;
    update_watch (client);
    return;
  case SSL_ERROR_WANT_WRITE:
    client->tls_wants_write = TRUE;
    update_watch (client);
    return;
  case SSL_ERROR_SYSCALL:
    if (errno != 0) {
      fail_errno (client, "TLS handshake", errno);
      return;
    }
    fail_connection (
      client, RP_STUN_NET_TLS_HANDSHAKE,
      "TLS handshake failed: the server closed the connection (is this port really TLS?)");
    return;
  default: {
    g_autofree char *why = rp_tls_last_error ();
    g_autofree char *msg =
      g_strdup_printf ("TLS handshake failed: %s (is this port really TLS?)", why);
    fail_connection (client, RP_STUN_NET_TLS_HANDSHAKE, msg);
    return;
  }
  }
}

static void
record_local_address (RpStunClient *client)
{
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  g_autoptr (GSocketAddress) sa = NULL;

  if (getsockname (client->fd, (struct sockaddr *) &ss, &sl) != 0)
    return;
  sa = g_socket_address_new_from_native (&ss, sl);
  if (G_IS_INET_SOCKET_ADDRESS (sa)) {
    GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (sa);
    g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (isa));
    guint16 port = g_inet_socket_address_get_port (isa);
    if (strchr (ip, ':') != NULL)
      g_snprintf (client->info.local_address, sizeof client->info.local_address, "[%s]:%u", ip,
                  port);
    else
      g_snprintf (client->info.local_address, sizeof client->info.local_address, "%s:%u", ip, port);
  }
}

static void
connected (RpStunClient *client)
{
  clear_connect_timer (client);
  if (client->transport != RP_TRANSPORT_UDP) {
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    client->info.connect_us = g_get_monotonic_time () - client->connect_start_us;
    /* The SYN to SYN-ACK time as the kernel measured it (RFC 6298 sample). */
    if (getsockopt (client->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_rtt > 0)
      client->info.tcp_rtt_us = ti.tcpi_rtt;
  }
  record_local_address (client);
  if (client->transport == RP_TRANSPORT_TLS) {
    g_autoptr (GError) error = NULL;
    client->ssl = rp_tls_client_new (client->tls_ctx, client->fd, client->host, &error);
    if (client->ssl == NULL) {
      fail_connection (client, RP_STUN_NET_ERROR, error->message);
      return;
    }
    SSL_set_mode (client->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    client->state = STATE_HANDSHAKE;
    client->tls_start_us = g_get_monotonic_time ();
    update_watch (client);
    handshake (client);
    return;
  }
  became_ready (client);
}

static void
on_fd_ready (RpStunClient *client, GIOCondition cond)
{
  enter (client);
  switch (client->state) {
  case STATE_CONNECTING: {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt (client->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0)
      fail_errno (client, "connect", err);
    else
      connected (client);
    break;
  }
  case STATE_HANDSHAKE:
    handshake (client);
    break;
  case STATE_READY:
    if (cond & G_IO_OUT)
      flush (client);
    if (!client->dead && client->state == STATE_READY && (cond & (G_IO_IN | G_IO_ERR | G_IO_HUP))) {
      if (client->transport == RP_TRANSPORT_UDP)
        read_datagrams (client);
      else
        read_stream (client);
    }
    break;
  default:
    break;
  }
  leave (client);
}

/* No SYN-ACK, no RST, no ICMP: something drops the handshake. */
static gboolean
on_connect_timeout (gpointer data)
{
  RpStunClient *client = data;
  g_autofree char *reason = g_strdup_printf ("no answer to the TCP handshake within %.1f s",
                                             client->connect_budget_us / 1e6);

  g_clear_pointer (&client->connect_timer, g_source_unref);
  if (client->state != STATE_CONNECTING)
    return G_SOURCE_REMOVE;
  enter (client);
  fail_connection (client, RP_STUN_NET_FILTERED, reason);
  leave (client);
  return G_SOURCE_REMOVE;
}

static gboolean
on_deferred_failure (gpointer data)
{
  RpStunClient *client = data;
  g_autofree char *reason = g_steal_pointer (&client->deferred_reason);

  g_clear_pointer (&client->deferred, g_source_unref);
  enter (client);
  fail_connection (client, client->deferred_net, reason);
  leave (client);
  return G_SOURCE_REMOVE;
}

/* A failure inside rp_stun_client_connect() is reported from the loop, like
 * every other outcome. net OK means: classify err. */
static void
defer_failure (RpStunClient *client, RpStunNetStatus net, int err, const char *what)
{
  client->state = STATE_FAILED;
  /* The watch goes now: a socket whose connect() failed polls writable at
   * once and forever, and would starve the idle report below until the
   * caller's deadline. */
  if (client->watch != NULL) {
    g_source_destroy ((GSource *) client->watch);
    g_clear_pointer ((GSource **) &client->watch, g_source_unref);
  }
  if (net == RP_STUN_NET_OK && errno_is_no_route (err))
    net = RP_STUN_NET_NO_ROUTE;
  client->deferred_net = net == RP_STUN_NET_OK ? status_from_errno (err) : net;
  client->deferred_reason =
    err != 0 ? g_strdup_printf ("%s: %s", what, g_strerror (err)) : g_strdup (what);
  client->deferred = g_idle_source_new ();
  g_source_set_priority (client->deferred, G_PRIORITY_DEFAULT);
  g_source_set_callback (client->deferred, on_deferred_failure, client, NULL);
  g_source_attach (client->deferred, client->context);
}

void
rp_stun_client_connect (RpStunClient *client, RpStunConnectFunc func, gpointer user_data)
{
  struct sockaddr_storage ss;
  GSocketAddress *addr = client->server != NULL ? client->server : client->local;
  gssize sl = g_socket_address_get_native_size (addr);
  int type = client->transport == RP_TRANSPORT_UDP ? SOCK_DGRAM : SOCK_STREAM;

  g_return_if_fail (client->state == STATE_NEW);
  client->connect_func = func;
  client->connect_data = user_data;
  client->state = STATE_CONNECTING;
  client->connect_start_us = g_get_monotonic_time ();

  if (sl <= 0 || !g_socket_address_to_native (addr, &ss, sizeof ss, NULL)) {
    defer_failure (client, RP_STUN_NET_ERROR, 0, "bad server address");
    return;
  }
  client->fd = socket (ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (client->fd < 0) {
    defer_failure (client, RP_STUN_NET_ERROR, errno, "socket");
    return;
  }
  if (type == SOCK_STREAM) {
    int one = 1;
    setsockopt (client->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  } else {
    /* Kernel receive timestamps: what measures the network, not our loop. */
    rp_rx_time_enable (client->fd);
  }
  start_watch (client);
  if (client->server == NULL) {
    if (bind (client->fd, (struct sockaddr *) &ss, (socklen_t) sl) != 0) {
      defer_failure (client, RP_STUN_NET_ERROR, errno, "bind");
      return;
    }
    update_watch (client);   /* reports readiness from the loop */
    return;
  }
  /* Whether connect() finishes now (UDP, often loopback TCP) or later, the
   * writable fd reports it from the loop, so func is never called re-entrantly. */
  if (connect (client->fd, (struct sockaddr *) &ss, (socklen_t) sl) != 0 && errno != EINPROGRESS) {
    defer_failure (client, RP_STUN_NET_OK, errno, "connect");
    return;
  }
  if (type == SOCK_STREAM && client->connect_budget_us > 0) {
    client->connect_timer = g_timeout_source_new ((guint) (client->connect_budget_us / 1000));
    g_source_set_callback (client->connect_timer, on_connect_timeout, client, NULL);
    g_source_attach (client->connect_timer, client->context);
  }
  update_watch (client);
}

void
rp_stun_client_request (RpStunClient *client, const guint8 *msg, gsize len,
                        RpStunResponseFunc func, gpointer user_data)
{
  rp_stun_client_request_to (client, NULL, msg, len, func, user_data);
}

void
rp_stun_client_request_to (RpStunClient *client, GSocketAddress *to, const guint8 *msg,
                           gsize len, RpStunResponseFunc func, gpointer user_data)
{
  Txn *t = g_new0 (Txn, 1);

  g_return_if_fail (len >= RP_STUN_HEADER_LEN);
  t->client = client;
  memcpy (t->tid, msg + 8, RP_STUN_TID_LEN);
  t->bytes = g_memdup2 (msg, len);
  t->len = len;
  t->func = func;
  t->user_data = user_data;
  t->to = to != NULL ? g_object_ref (to) : NULL;
  client->txns = g_list_append (client->txns, t);
  if (client->state == STATE_FAILED) {
    RpStunTxnResult res = { .outcome = RP_STUN_TXN_NET, .net = RP_STUN_NET_ERROR,
                            .reason = "the connection had already failed" };
    txn_complete (t, &res);
    return;
  }
  txn_start (t);
}

RpStunClient *
rp_stun_client_new (RpTransport transport, GSocketAddress *server, const char *host,
                    SSL_CTX *tls_ctx, gboolean insecure, GMainContext *context)
{
  RpStunClient *client = g_new0 (RpStunClient, 1);

  client->transport = transport;
  client->server = server != NULL ? g_object_ref (server) : NULL;
  client->host = g_strdup (host);
  client->tls_ctx = tls_ctx != NULL ? (SSL_CTX_up_ref (tls_ctx), tls_ctx) : NULL;
  client->insecure = insecure;
  client->context = g_main_context_ref (context != NULL ? context : g_main_context_default ());
  client->fd = -1;
  client->inbuf = g_byte_array_new ();
  client->outbuf = g_byte_array_new ();
  client->rto_us = RP_STUN_DEFAULT_RTO_US;
  client->connect_budget_us = RP_STUN_DEFAULT_CONNECT_US;
  client->rc = RP_STUN_DEFAULT_RC;
  client->rm = RP_STUN_DEFAULT_RM;
  return client;
}

RpStunClient *
rp_stun_client_new_unconnected (GSocketAddress *local, GMainContext *context)
{
  RpStunClient *client = rp_stun_client_new (RP_TRANSPORT_UDP, NULL, NULL, NULL, FALSE, context);

  client->local = g_object_ref (local);
  return client;
}

static void
really_free (RpStunClient *client)
{
  clear_connect_timer (client);
  if (client->deferred != NULL) {
    g_source_destroy (client->deferred);
    g_source_unref (client->deferred);
  }
  g_free (client->deferred_reason);
  g_list_free_full (client->txns, (GDestroyNotify) txn_free);
  if (client->watch != NULL) {
    g_source_destroy ((GSource *) client->watch);
    g_source_unref ((GSource *) client->watch);
  }
  if (client->ssl != NULL)
    SSL_free (client->ssl);
  if (client->fd >= 0)
    close (client->fd);
  if (client->tls_ctx != NULL)
    SSL_CTX_free (client->tls_ctx);
  g_byte_array_unref (client->inbuf);
  g_byte_array_unref (client->outbuf);
  g_clear_object (&client->server);
  g_clear_object (&client->local);
  g_main_context_unref (client->context);
  g_free (client->host);
  g_free (client->info.tls_version);
  g_free (client->info.tls_cipher);
  g_free (client->info.cert_subject);
  g_free (client->info.cert_issuer);
  g_free (client);
}

void
rp_stun_client_free (RpStunClient *client)
{
  if (client == NULL)
    return;
  client->dead = TRUE;
  client->connect_func = NULL;
  if (client->dispatching == 0)
    really_free (client);
}
