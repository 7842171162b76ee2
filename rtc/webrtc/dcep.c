/* DCEP messages (see dcep.h; RFC 8832 5, 8.2; RFC 3758). */
#include "rtc/webrtc/dcep.h"

#include <gio/gio.h>
#include <string.h>

void
rp_dcep_open_clear (RpDcepOpen *open)
{
  g_clear_pointer (&open->label, g_free);
  g_clear_pointer (&open->protocol, g_free);
}

static gboolean
known_type (guint8 t)
{
  switch (t) {
  case RP_DCEP_RELIABLE:
  case RP_DCEP_PARTIAL_RELIABLE_REXMIT:
  case RP_DCEP_PARTIAL_RELIABLE_TIMED:
  case RP_DCEP_RELIABLE_UNORDERED:
  case RP_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED:
  case RP_DCEP_PARTIAL_RELIABLE_TIMED_UNORDERED:
    return TRUE;
  default:
    return FALSE;
  }
}

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "DCEP: DATA_CHANNEL_OPEN %s", what);
  return FALSE;
}

static char *
text (const guint8 *p, guint16 n, GError **error)
{
  if (n > RP_DCEP_LABEL_MAX) {
    invalid (error, "has a label or protocol longer than 1024 octets");
    return NULL;
  }
  if (!g_utf8_validate_len ((const char *) p, n, NULL)) {
    invalid (error, "has a label or protocol that is not UTF-8");
    return NULL;
  }
  return g_strndup ((const char *) p, n);
}

gboolean
rp_dcep_open_parse (const guint8 *d, gsize len, RpDcepOpen *out, GError **error)
{
  guint16 label_len, proto_len;
  g_auto (RpDcepOpen) o = { 0 };

  memset (out, 0, sizeof *out);
  if (len < RP_DCEP_OPEN_HEADER_LEN)
    return invalid (error, "is shorter than its 12-octet header");
  if (d[0] != RP_DCEP_MSG_OPEN)
    return invalid (error, "does not start with message type 0x03");
  if (!known_type (d[1])) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "DCEP: DATA_CHANNEL_OPEN has an unknown channel type 0x%02x", d[1]);
    return FALSE;
  }
  o.channel_type = d[1];
  o.priority = (guint16) (d[2] << 8 | d[3]);
  o.reliability = (guint32) d[4] << 24 | (guint32) d[5] << 16 | (guint32) d[6] << 8 | d[7];
  label_len = (guint16) (d[8] << 8 | d[9]);
  proto_len = (guint16) (d[10] << 8 | d[11]);
  if ((gsize) RP_DCEP_OPEN_HEADER_LEN + label_len + proto_len != len)
    return invalid (error, "lengths do not match the message size");
  if ((o.label = text (d + 12, label_len, error)) == NULL
      || (o.protocol = text (d + 12 + label_len, proto_len, error)) == NULL)
    return FALSE;
  if ((o.channel_type & 0x7f) == 0)
    o.reliability = 0;   /* RFC 8832 5.1: ignored for reliable channels */
  *out = o;
  memset (&o, 0, sizeof o);
  return TRUE;
}

GBytes *
rp_dcep_open_build (const RpDcepOpen *open)
{
  const char *label = open->label != NULL ? open->label : "";
  const char *proto = open->protocol != NULL ? open->protocol : "";
  gsize ll = MIN (strlen (label), RP_DCEP_LABEL_MAX), pl = MIN (strlen (proto), RP_DCEP_LABEL_MAX);
  guint8 *m = g_malloc (RP_DCEP_OPEN_HEADER_LEN + ll + pl);

  m[0] = RP_DCEP_MSG_OPEN;
  m[1] = (guint8) open->channel_type;
  m[2] = open->priority >> 8;
  m[3] = open->priority & 0xff;
  m[4] = open->reliability >> 24;
  m[5] = (open->reliability >> 16) & 0xff;
  m[6] = (open->reliability >> 8) & 0xff;
  m[7] = open->reliability & 0xff;
  m[8] = (guint8) (ll >> 8);
  m[9] = ll & 0xff;
  m[10] = (guint8) (pl >> 8);
  m[11] = pl & 0xff;
  memcpy (m + 12, label, ll);
  memcpy (m + 12 + ll, proto, pl);
  return g_bytes_new_take (m, RP_DCEP_OPEN_HEADER_LEN + ll + pl);
}

gboolean
rp_dcep_is_ack (const guint8 *data, gsize len)
{
  return len == 1 && data[0] == RP_DCEP_MSG_ACK;
}

void
rp_dcep_policy (const RpDcepOpen *open, RpDcepPolicy *out)
{
  guint8 kind = open->channel_type & 0x7f;

  memset (out, 0, sizeof *out);
  out->ordered = (open->channel_type & 0x80) == 0;
  out->limit_rtx = kind == 0x01;
  out->limit_time = kind == 0x02;
  out->max_rtx = out->limit_rtx ? open->reliability : 0;
  out->lifetime_ms = out->limit_time ? open->reliability : 0;
}

void
rp_dcep_open_from_policy (const RpDcepPolicy *policy, RpDcepOpen *out)
{
  guint8 kind = policy->limit_rtx ? 0x01 : policy->limit_time ? 0x02 : 0x00;

  out->channel_type = (RpDcepChannelType) (kind | (policy->ordered ? 0x00 : 0x80));
  out->reliability = policy->limit_rtx ? policy->max_rtx
                     : policy->limit_time ? policy->lifetime_ms : 0;
}
