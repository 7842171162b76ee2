/* Fuzz target for the TURN codec. The input is parsed as one ChannelData
 * datagram and as a ChannelData frame on a stream, as one STUN message with
 * every TURN getter applied (the dual allocation's relayed addresses,
 * ADDITIONAL-ADDRESS-FAMILY and ADDRESS-ERROR-CODE included), and as a
 * stream of STUN and ChannelData frames split with rp_stun_frame_length.
 * What parses is rebuilt with the TURN adders and ChannelData builder and
 * must read back the same; the REST username parser sees the input as a
 * string. Any broken invariant aborts. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stun/turn-codec.h"

static void
require (gboolean ok)
{
  if (!ok)
    abort ();
}

/* Parses buf as ChannelData; when it parses, the invariants of the header
 * hold and building the same frame again gives the same bytes. */
static void
one_channeldata (const guint8 *buf, gsize size, gboolean stream)
{
  guint16 ch;
  const guint8 *data;
  gsize len, n, want;
  guint8 *out;

  if (!rp_turn_channeldata_parse (buf, size, stream, &ch, &data, &len)) {
    require (data == NULL && len == 0 && ch == 0);
    return;
  }
  require (rp_turn_channel_is_valid (ch));
  require (data == buf + RP_TURN_CHANNELDATA_HEADER);
  require (RP_TURN_CHANNELDATA_HEADER + len <= size);
  require (len <= G_MAXUINT16);
  if (stream) {
    require (rp_stun_frame_length (buf, size) ==
             (gssize) ((RP_TURN_CHANNELDATA_HEADER + len + 3) & ~(gsize) 3));
  } else {
    want = RP_TURN_CHANNELDATA_HEADER + len;
    require (size == want || size == ((want + 3) & ~(gsize) 3));
  }

  want = (RP_TURN_CHANNELDATA_HEADER + len + 3) & ~(gsize) 3;
  out = g_malloc (want);
  n = rp_turn_channeldata_build (ch, data, len, TRUE, out, want);
  require (n == want);
  require (memcmp (out, buf, RP_TURN_CHANNELDATA_HEADER + len) == 0);
  require (rp_turn_channeldata_parse (out, n, TRUE, NULL, NULL, NULL));
  require (rp_turn_channeldata_parse (out, n, FALSE, NULL, NULL, NULL));
  n = rp_turn_channeldata_build (ch, data, len, FALSE, out, want);
  require (n == RP_TURN_CHANNELDATA_HEADER + len);
  require (rp_turn_channeldata_parse (out, n, FALSE, NULL, NULL, NULL));
  g_free (out);
}

/* Every TURN getter on msg; what they return is written again with the
 * TURN adders into a fresh message, which must read back identically. */
static void
one_message (const guint8 *buf, gsize size)
{
  RpStunMessage msg, again;
  RpStunBuilder b;
  RpStunAddress peers[RP_STUN_MAX_ATTRS], peers2[RP_STUN_MAX_ATTRS], relayed, relayed2;
  guint8 token[RP_TURN_RESERVATION_TOKEN_LEN], token2[RP_TURN_RESERVATION_TOKEN_LEN];
  const guint8 *data = NULL, *data2 = NULL;
  gsize dlen = 0, dlen2 = 0;
  guint16 ch = 0, ch2 = 0;
  guint32 life = 0, life2 = 0;
  guint8 proto = 0, proto2 = 0;
  int fam = 0, fam2 = 0;
  gboolean even = FALSE, even2 = FALSE;
  gboolean has_ch, has_life, has_data, has_proto, has_fam, has_even, has_tok, has_df, has_relayed;
  guint n_peers, n_peers2;
  RpStunAddress relays[2], relays2[2];
  guint n_relays, n_relays2;
  int add_fam = 0, add_fam2 = 0, err_fam = 0, err_fam2 = 0;
  guint err_code = 0, err_code2 = 0;
  g_autofree char *err_reason = NULL;
  g_autofree char *err_reason2 = NULL;
  gboolean has_add, has_err;

  if (rp_stun_message_parse (buf, size, &msg) != RP_STUN_PARSE_OK)
    return;
  has_ch = rp_turn_get_channel_number (&msg, &ch);
  has_life = rp_turn_get_lifetime (&msg, &life);
  has_data = rp_turn_get_data (&msg, &data, &dlen);
  has_proto = rp_turn_get_requested_transport (&msg, &proto);
  has_fam = rp_turn_get_requested_address_family (&msg, &fam);
  has_even = rp_turn_get_even_port (&msg, &even);
  has_tok = rp_turn_get_reservation_token (&msg, token);
  has_df = rp_turn_has_dont_fragment (&msg);
  has_relayed = rp_turn_get_relayed_address (&msg, &relayed);
  n_peers = rp_turn_get_peer_addresses (&msg, peers, G_N_ELEMENTS (peers));
  n_relays = rp_turn_get_relayed_addresses (&msg, relays, G_N_ELEMENTS (relays));
  has_add = rp_turn_get_additional_address_family (&msg, &add_fam);
  has_err = rp_turn_get_address_error (&msg, &err_fam, &err_code, &err_reason);
  require (has_err == (err_reason != NULL));
  if (has_err) {
    require (err_fam == AF_INET || err_fam == AF_INET6);
    require (err_code >= 300 && err_code <= 699);
    require (g_utf8_validate (err_reason, -1, NULL));
  }
  if (has_add)
    require (add_fam == AF_INET6);
  {
    g_autofree char *draft_reason = NULL;
    int dfam = 0;
    guint dcode = 0;
    gboolean has_draft = rp_turn_get_address_error_draft (&msg, &dfam, &dcode, &draft_reason);

    require (has_draft == (draft_reason != NULL));
    require (!has_draft || ((dfam == AF_INET || dfam == AF_INET6) && dcode >= 300 && dcode <= 699
                            && g_utf8_validate (draft_reason, -1, NULL)));
  }
  /* the first of the relayed addresses is the one the single getter gives */
  if (n_relays > 0) {
    require (has_relayed && rp_stun_address_equal (&relays[0], &relayed));
  }

  if (has_ch)
    require (rp_turn_channel_is_valid (ch));
  if (has_data)
    require (data >= buf && data + dlen <= buf + msg.len);
  if (has_fam)
    require (fam == AF_INET || fam == AF_INET6);
  require (n_peers <= msg.n_attrs);

  rp_stun_builder_init (&b, msg.method, msg.klass, msg.tid);
  if (has_ch)
    require (rp_turn_add_channel_number (&b, ch));
  if (has_life)
    require (rp_turn_add_lifetime (&b, life));
  if (has_proto)
    require (rp_turn_add_requested_transport (&b, proto));
  if (has_fam)
    require (rp_turn_add_requested_address_family (&b, fam));
  if (has_even)
    require (rp_turn_add_even_port (&b, even));
  if (has_tok)
    require (rp_turn_add_reservation_token (&b, token));
  if (has_df)
    require (rp_turn_add_dont_fragment (&b));
  if (has_add)
    require (rp_turn_add_additional_address_family (&b, add_fam));
  if (n_relays > 0) {
    for (guint i = 0; i < n_relays; i++)
      require (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, &relays[i]));
  } else if (has_relayed) {
    require (rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_RELAYED_ADDRESS, &relayed));
  }
  /* the reason phrase is rewritten printable; it may be too long to write
   * back (a U+FFFD per byte), in which case only the code is compared */
  if (has_err && !rp_turn_add_address_error (&b, err_fam, err_code, err_reason))
    require (rp_turn_add_address_error (&b, err_fam, err_code, NULL));
  for (guint i = 0; i < n_peers; i++) {
    if (!rp_stun_builder_add_address (&b, RP_STUN_ATTR_XOR_PEER_ADDRESS, &peers[i])) {
      n_peers = i;
      break;
    }
  }
  /* DATA may not fit in the builder's fixed buffer: that is a FALSE, not a crash */
  if (has_data && !rp_turn_add_data (&b, data, dlen))
    has_data = FALSE;
  rp_stun_builder_add_fingerprint (&b);

  require (rp_stun_message_parse (b.buf, b.len, &again) == RP_STUN_PARSE_OK);
  require (rp_turn_get_channel_number (&again, &ch2) == has_ch && ch2 == ch);
  require (rp_turn_get_lifetime (&again, &life2) == has_life && life2 == life);
  require (rp_turn_get_requested_transport (&again, &proto2) == has_proto && proto2 == proto);
  require (rp_turn_get_requested_address_family (&again, &fam2) == has_fam && fam2 == fam);
  require (rp_turn_get_even_port (&again, &even2) == has_even && even2 == even);
  require (rp_turn_get_reservation_token (&again, token2) == has_tok);
  if (has_tok)
    require (memcmp (token, token2, sizeof token) == 0);
  require (rp_turn_has_dont_fragment (&again) == has_df);
  require (rp_turn_get_relayed_address (&again, &relayed2) == has_relayed);
  if (has_relayed)
    require (rp_stun_address_equal (&relayed, &relayed2));
  require (rp_turn_get_additional_address_family (&again, &add_fam2) == has_add &&
           add_fam2 == add_fam);
  require (rp_turn_get_address_error (&again, &err_fam2, &err_code2, &err_reason2) == has_err);
  if (has_err)
    require (err_fam2 == err_fam && err_code2 == err_code);
  n_relays2 = rp_turn_get_relayed_addresses (&again, relays2, G_N_ELEMENTS (relays2));
  require (n_relays2 == (n_relays > 0 ? n_relays : (guint) has_relayed));
  for (guint i = 0; i < n_relays; i++)
    require (rp_stun_address_equal (&relays[i], &relays2[i]));
  n_peers2 = rp_turn_get_peer_addresses (&again, peers2, G_N_ELEMENTS (peers2));
  require (n_peers2 == n_peers);
  for (guint i = 0; i < n_peers; i++)
    require (rp_stun_address_equal (&peers[i], &peers2[i]));
  require (rp_turn_get_data (&again, &data2, &dlen2) == has_data);
  if (has_data)
    require (dlen2 == dlen && memcmp (data, data2, dlen) == 0);
  require (rp_stun_message_check_fingerprint (&again) == RP_STUN_INTEGRITY_OK);
}

/* The input as a REST username: the expiry, when there is one, must print
 * back as the decimal prefix of the string (leading zeros aside). */
static void
one_username (const guint8 *data, gsize size)
{
  g_autofree char *s = g_strndup ((const char *) data, size);
  gint64 e = rp_turn_rest_username_expiry (s);
  const char *p = s;
  g_autofree char *digits = NULL;
  gsize n;

  if (e < 0)
    return;
  while (*p == '0' && g_ascii_isdigit (p[1]))
    p++;
  n = strspn (p, "0123456789");
  require (n > 0 && (p[n] == ':' || p[n] == '\0'));
  digits = g_strdup_printf ("%" G_GINT64_FORMAT, e);
  require (strlen (digits) == n && memcmp (digits, p, n) == 0);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize off = 0;

  one_channeldata (data, size, FALSE);
  one_channeldata (data, size, TRUE);
  one_message (data, size);
  if (size <= 64)
    one_username (data, size);

  /* as a stream: frame after frame until something cannot be framed */
  while (off < size) {
    gssize n = rp_stun_frame_length (data + off, size - off);

    if (n <= 0 || (gsize) n > size - off)
      break;
    require (n >= 4);
    if ((data[off] & 0xC0) == 0x40) {
      /* a frame the framer cut at the padded length: the stream parser
       * takes it exactly when the channel is in range */
      guint16 ch = (guint16) ((data[off] << 8) | data[off + 1]);

      require (rp_turn_channeldata_parse (data + off, (gsize) n, TRUE, NULL, NULL, NULL) ==
               rp_turn_channel_is_valid (ch));
      one_channeldata (data + off, (gsize) n, TRUE);
    } else {
      one_message (data + off, (gsize) n);
    }
    off += (gsize) n;
  }
  return 0;
}
