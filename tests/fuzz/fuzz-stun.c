/* Fuzz target for the STUN codec. The input is treated as a TCP stream of
 * STUN messages and ChannelData frames (split with rp_stun_frame_length) and
 * also as one datagram. Every parsed message has every accessor applied to
 * every attribute, its integrity and fingerprint checked with a fixed key,
 * and is rebuilt with the builder; the rebuilt message must parse, carry the
 * same decoded addresses and verify. Any broken invariant aborts. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun/stun-message.h"

static const guint8 key[] = "VOkJxbRl1RmTxUk/WvJxBt";

static void
require (gboolean ok)
{
  if (!ok)
    abort ();
}

static void
exercise_accessors (const RpStunMessage *msg)
{
  RpStunAddress mapped;
  char text[64];
  guint code;
  guint32 v;

  for (guint i = 0; i < msg->n_attrs; i++) {
    const RpStunAttr *a = &msg->attrs[i];
    RpStunAddress addr;
    g_autofree char *s = NULL;
    g_autofree char *reason = NULL;

    require (a->offset + 4 + a->len <= msg->len);
    require (a->value == msg->buf + a->offset + 4);
    if (rp_stun_attr_get_address (msg, a, &addr))
      rp_stun_address_to_string (&addr, text, sizeof text);
    s = rp_stun_message_get_string (msg, a->type);
    if (s != NULL)
      require (g_utf8_validate (s, -1, NULL));
    rp_stun_message_get_u32 (msg, a->type, &v);
    if (rp_stun_message_get_error (msg, &code, &reason))
      require (code >= 300 && code <= 699 && g_utf8_validate (reason, -1, NULL));
  }
  for (guint i = 0; i < msg->n_unknown_required; i++)
    require (msg->unknown_required[i] < 0x8000);
  if (rp_stun_message_get_mapped_address (msg, &mapped))
    require (mapped.family != 0);
  rp_stun_message_check_integrity (msg, key, sizeof key - 1);
  rp_stun_message_check_integrity_sha256 (msg, key, sizeof key - 1);
  rp_stun_message_check_fingerprint (msg);
}

static gboolean
is_address_type (guint16 t)
{
  return t == RP_STUN_ATTR_MAPPED_ADDRESS || t == RP_STUN_ATTR_XOR_MAPPED_ADDRESS ||
         t == RP_STUN_ATTR_XOR_PEER_ADDRESS || t == RP_STUN_ATTR_XOR_RELAYED_ADDRESS ||
         t == RP_STUN_ATTR_ALTERNATE_SERVER || t == RP_STUN_ATTR_RESPONSE_ORIGIN ||
         t == RP_STUN_ATTR_OTHER_ADDRESS;
}

/* Copies the attributes that count into a new message (addresses through
 * the address encoder), then protects it; the copy must round-trip. */
static void
rebuild (const RpStunMessage *msg)
{
  RpStunBuilder b;
  RpStunMessage again;
  guint copied = 0;

  rp_stun_builder_init (&b, msg->method, msg->klass, msg->tid);
  for (guint i = 0; i < msg->n_attrs; i++) {
    const RpStunAttr *a = &msg->attrs[i];
    RpStunAddress addr;
    gboolean ok;

    if (a->type == RP_STUN_ATTR_MESSAGE_INTEGRITY ||
        a->type == RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 || a->type == RP_STUN_ATTR_FINGERPRINT)
      continue;
    if (rp_stun_message_find (msg, a->type) != a)
      continue;
    if (is_address_type (a->type) && rp_stun_attr_get_address (msg, a, &addr))
      ok = rp_stun_builder_add_address (&b, a->type, &addr);
    else
      ok = rp_stun_builder_add (&b, a->type, a->value, a->len);
    if (!ok)
      break;
    copied++;
  }
  rp_stun_builder_add_integrity (&b, key, sizeof key - 1);
  rp_stun_builder_add_integrity_sha256 (&b, key, sizeof key - 1);
  rp_stun_builder_add_fingerprint (&b);

  require (rp_stun_message_parse (b.buf, b.len, &again) == RP_STUN_PARSE_OK);
  require (again.len == b.len && again.method == msg->method && again.klass == msg->klass);
  require (memcmp (again.tid, msg->tid, RP_STUN_TID_LEN) == 0);
  require (again.n_attrs >= copied);
  for (guint i = 0; i < copied; i++) {
    const RpStunAttr *a = &again.attrs[i];
    const RpStunAttr *orig = rp_stun_message_find (msg, a->type);
    RpStunAddress x, y;

    require (orig != NULL);
    if (is_address_type (a->type) && rp_stun_attr_get_address (msg, orig, &x)) {
      require (rp_stun_attr_get_address (&again, a, &y));
      require (rp_stun_address_equal (&x, &y));
    } else {
      require (a->len == orig->len && memcmp (a->value, orig->value, a->len) == 0);
    }
  }
  if (rp_stun_message_find (&again, RP_STUN_ATTR_MESSAGE_INTEGRITY) != NULL)
    require (rp_stun_message_check_integrity (&again, key, sizeof key - 1) == RP_STUN_INTEGRITY_OK);
  if (rp_stun_message_find (&again, RP_STUN_ATTR_MESSAGE_INTEGRITY_SHA256) != NULL)
    require (rp_stun_message_check_integrity_sha256 (&again, key, sizeof key - 1) ==
             RP_STUN_INTEGRITY_OK);
  if (rp_stun_message_find (&again, RP_STUN_ATTR_FINGERPRINT) != NULL)
    require (rp_stun_message_check_fingerprint (&again) == RP_STUN_INTEGRITY_OK);
}

static void
one_message (const guint8 *data, gsize size)
{
  RpStunMessage msg;
  RpStunParseResult r = rp_stun_message_parse (data, size, &msg);

  require (rp_stun_parse_result_to_string (r) != NULL);
  if (r != RP_STUN_PARSE_OK)
    return;
  require (msg.len <= size && msg.len >= RP_STUN_HEADER_LEN && msg.len % 4 == 0);
  exercise_accessors (&msg);
  rebuild (&msg);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize off = 0;

  one_message (data, size);

  /* as a stream: frame after frame until something cannot be framed */
  while (off < size) {
    gssize n = rp_stun_frame_length (data + off, size - off);

    if (n <= 0 || (gsize) n > size - off)
      break;
    require (n >= 4);
    if ((data[off] & 0xC0) == 0)
      one_message (data + off, (gsize) n);
    off += (gsize) n;
  }
  return 0;
}
