/* What callers set on a STUN client (unsolicited messages, the connect budget, the
 * retransmission timer) and what they read back (connection info, counts, the receive
 * time of the message being delivered, the transport). */
#include "stun/client/stun-client-private.h"

void
rp_stun_client_set_unsolicited (RpStunClient *client, RpStunUnsolicitedFunc func,
                                gpointer user_data)
{
  client->unsolicited = func;
  client->unsolicited_data = user_data;
}

void
rp_stun_client_set_connect_timeout (RpStunClient *client, gint64 us)
{
  client->connect_budget_us = MAX (us, 0);
}

void
rp_stun_client_set_timer (RpStunClient *client, gint64 rto_us, guint rc, guint rm)
{
  client->rto_us = rto_us;
  client->rc = rc;
  client->rm = rm;
}

const RpStunClientInfo *
rp_stun_client_get_info (RpStunClient *client)
{
  return &client->info;
}

guint
rp_stun_client_get_requests_sent (RpStunClient *client)
{
  return client->requests_sent;
}

gint64
rp_stun_client_get_rx_time (RpStunClient *client)
{
  return client->rx_us;
}

RpTransport
rp_stun_client_get_transport (RpStunClient *client)
{
  return client->transport;
}
