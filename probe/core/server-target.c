/* A STUN or TURN server as a check holds it (server-target.h). */
#include "probe/core/server-target.h"

#include <string.h>

#include "common/tls-client.h"
#include "probe/core/resolve.h"

void
rp_server_target_init (RpServerTarget *s, const RpTarget *target, const RpProbeOptions *options)
{
  memset (s, 0, sizeof *s);
  s->target = *target;
  s->target.host = g_strdup (target->host);
  s->target.uri = g_strdup (target->uri);
  s->target.path = s->target.query = NULL;
  s->options = *options;
  s->options.ca_file = g_strdup (options->ca_file);
}

void
rp_server_target_clear (RpServerTarget *s)
{
  if (s->tls_ctx != NULL)
    SSL_CTX_free (s->tls_ctx);
  g_clear_object (&s->server);
  g_free (s->server_str);
  g_free (s->target.host);
  g_free (s->target.uri);
  g_free (s->options.ca_file);
  memset (s, 0, sizeof *s);
}

gboolean
rp_server_target_prepare_tls (RpServerTarget *s, GError **error)
{
  RpTlsOptions tls = { s->options.ca_file, s->options.insecure };

  if (s->target.transport != RP_TRANSPORT_TLS || s->tls_ctx != NULL)
    return TRUE;
  s->tls_ctx = rp_tls_client_ctx_new (&tls, error);
  return s->tls_ctx != NULL;
}

void
rp_server_target_set_address (RpServerTarget *s, GInetAddress *address, guint16 port)
{
  g_clear_object (&s->server);
  g_free (s->server_str);
  s->server = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port));
  s->server_str = rp_address_port_to_string (address, port);
}
