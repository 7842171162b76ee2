/* Token buckets and the bounded LRU table of sources
 * (reflector/protocol/reflector-limits.h), with time passed in: no sleeping. */
#include "reflector/protocol/reflector-limits.h"

static const guint8 a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 }, a3[4] = { 192, 0, 2, 3 };

static void
test_bucket (void)
{
  RpBucket b;

  rp_bucket_init (&b, 3, 0);
  for (int i = 0; i < 3; i++)
    g_assert_true (rp_bucket_take (&b, 10, 3, 1, 0));
  g_assert_false (rp_bucket_take (&b, 10, 3, 1, 0));
  /* 10 per second: one token after 100 ms, none more yet. */
  g_assert_false (rp_bucket_take (&b, 10, 3, 1, 99999));
  g_assert_true (rp_bucket_take (&b, 10, 3, 1, 100000));
  g_assert_false (rp_bucket_take (&b, 10, 3, 1, 100000));
  /* Never more than the burst, however long idle. */
  for (int i = 0; i < 3; i++)
    g_assert_true (rp_bucket_take (&b, 10, 3, 1, 100 * G_USEC_PER_SEC));
  g_assert_false (rp_bucket_take (&b, 10, 3, 1, 100 * G_USEC_PER_SEC));
  /* A clock that goes back refills nothing. */
  g_assert_false (rp_bucket_take (&b, 10, 3, 1, 0));
}

static void
test_flood_one_source (void)
{
  g_autoptr (RpRateTable) t = rp_rate_table_new (16, 5, 10);
  guint allowed = 0;

  /* 1000 requests in one second from one source: burst + 1 s of rate. */
  for (int i = 0; i < 1000; i++)
    allowed += rp_rate_table_allow (t, a1, 4, i * 1000);
  g_assert_cmpuint (allowed, >=, 10);
  g_assert_cmpuint (allowed, <=, 15);
  g_assert_cmpuint (rp_rate_table_refused (t), ==, 1000 - allowed);
  /* Another source is untouched. */
  g_assert_true (rp_rate_table_allow (t, a2, 4, G_USEC_PER_SEC));
}

static void
test_lru_bounded (void)
{
  g_autoptr (RpRateTable) t = rp_rate_table_new (2, 1, 1);
  guint8 addr[16] = { 0x20, 0x01, 0x0d, 0xb8 };

  g_assert_true (rp_rate_table_allow (t, a1, 4, 0));
  g_assert_true (rp_rate_table_allow (t, a2, 4, 0));
  g_assert_false (rp_rate_table_allow (t, a1, 4, 0));    /* a1 most recent, empty */
  g_assert_true (rp_rate_table_allow (t, a3, 4, 0));     /* evicts a2, the least recent */
  g_assert_cmpuint (rp_rate_table_size (t), ==, 2);
  g_assert_cmpuint (rp_rate_table_evictions (t), ==, 1);
  g_assert_false (rp_rate_table_allow (t, a1, 4, 0));    /* a1 kept its empty bucket */
  /* A spoofed-source spray cannot grow the table. */
  for (guint i = 0; i < 10000; i++) {
    addr[15] = (guint8) i;
    addr[14] = (guint8) (i >> 8);
    rp_rate_table_allow (t, addr, 16, 0);
  }
  g_assert_cmpuint (rp_rate_table_size (t), ==, 2);
}

static void
test_v4_mapped (void)
{
  g_autoptr (RpRateTable) t = rp_rate_table_new (8, 1, 1);
  const guint8 mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 };
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string ("192.0.2.1");

  g_assert_true (rp_rate_table_allow (t, a1, 4, 0));
  /* The same client over an IPv6 socket is the same source. */
  g_assert_false (rp_rate_table_allow (t, mapped, 16, 0));
  g_assert_false (rp_rate_table_allow_inet (t, inet, 0));
  g_assert_cmpuint (rp_rate_table_size (t), ==, 1);
}

/* Sessions per token: a share is taken up to max, given back one by one,
 * and a key holding none is forgotten (the table holds only what is held). */
static void
test_share (void)
{
  g_autoptr (RpShareTable) t = rp_share_table_new ();

  for (guint i = 0; i < 4; i++)
    g_assert_true (rp_share_take (t, "1700000000:alice", 4));
  for (guint i = 0; i < 20; i++)
    g_assert_false (rp_share_take (t, "1700000000:alice", 4));
  g_assert_cmpuint (rp_share_count (t, "1700000000:alice"), ==, 4);
  /* Another token (even for the same name) has its own share. */
  g_assert_true (rp_share_take (t, "1700000001:alice", 4));
  g_assert_cmpuint (rp_share_table_size (t), ==, 2);
  rp_share_give (t, "1700000000:alice");
  g_assert_true (rp_share_take (t, "1700000000:alice", 4));
  g_assert_false (rp_share_take (t, "1700000000:alice", 4));
  for (guint i = 0; i < 4; i++)
    rp_share_give (t, "1700000000:alice");
  g_assert_cmpuint (rp_share_count (t, "1700000000:alice"), ==, 0);
  rp_share_give (t, "1700000000:alice");   /* one too many: ignored */
  rp_share_give (t, "never-taken");
  g_assert_cmpuint (rp_share_count (t, "1700000000:alice"), ==, 0);
  g_assert_cmpuint (rp_share_table_size (t), ==, 1);
  rp_share_give (t, "1700000001:alice");
  g_assert_cmpuint (rp_share_table_size (t), ==, 0);
  g_assert_false (rp_share_take (t, "x", 0));
}

static void
test_slots_share (void)
{
  g_autoptr (RpSlotTable) t = rp_slot_table_new (6, 2);

  /* One source gets its share and no more, however often it asks. */
  g_assert_cmpint (rp_slot_table_take (t, a1, 4), ==, RP_SLOT_TAKEN);
  g_assert_cmpint (rp_slot_table_take (t, a1, 4), ==, RP_SLOT_TAKEN);
  for (int i = 0; i < 100; i++)
    g_assert_cmpint (rp_slot_table_take (t, a1, 4), ==, RP_SLOT_SOURCE_SHARE);
  g_assert_cmpuint (rp_slot_table_used (t), ==, 2);
  /* Others still find slots, until the pool is full. */
  g_assert_cmpint (rp_slot_table_take (t, a2, 4), ==, RP_SLOT_TAKEN);
  g_assert_cmpint (rp_slot_table_take (t, a2, 4), ==, RP_SLOT_TAKEN);
  g_assert_cmpint (rp_slot_table_take (t, a3, 4), ==, RP_SLOT_TAKEN);
  g_assert_cmpint (rp_slot_table_take (t, a3, 4), ==, RP_SLOT_TAKEN);
  g_assert_cmpint (rp_slot_table_take (t, (const guint8[4]) { 192, 0, 2, 4 }, 4), ==, RP_SLOT_FULL);
  /* A slot given back can be taken again, by anyone. */
  rp_slot_table_release (t, a1, 4);
  g_assert_cmpuint (rp_slot_table_held (t, a1, 4), ==, 1);
  g_assert_cmpint (rp_slot_table_take (t, (const guint8[4]){ 192, 0, 2, 4 }, 4), ==, RP_SLOT_TAKEN);
  g_assert_cmpuint (rp_slot_table_used (t), ==, 6);
  /* Releasing what was never taken changes nothing. */
  rp_slot_table_release (t, (const guint8[4]) { 192, 0, 2, 5 }, 4);
  g_assert_cmpuint (rp_slot_table_used (t), ==, 6);
  /* Every slot back: no entry left behind. */
  rp_slot_table_release (t, a1, 4);
  rp_slot_table_release (t, a2, 4);
  rp_slot_table_release (t, a2, 4);
  rp_slot_table_release (t, a3, 4);
  rp_slot_table_release (t, a3, 4);
  rp_slot_table_release (t, (const guint8[4]) { 192, 0, 2, 4 }, 4);
  g_assert_cmpuint (rp_slot_table_used (t), ==, 0);
  g_assert_cmpuint (rp_slot_table_held (t, a1, 4), ==, 0);
  rp_slot_table_release (t, a1, 4);
  g_assert_cmpuint (rp_slot_table_used (t), ==, 0);
}

static void
test_slots_ipv6_prefix (void)
{
  g_autoptr (RpSlotTable) t = rp_slot_table_new (100, 3);
  guint8 addr[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 };
  const guint8 mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 };

  /* Addresses of one /64 are one source: cycling the interface id does not
   * buy more slots. */
  for (guint i = 0; i < 50; i++) {
    addr[15] = (guint8) i;
    g_assert_cmpint (rp_slot_table_take (t, addr, 16), ==,
                     i < 3 ? RP_SLOT_TAKEN : RP_SLOT_SOURCE_SHARE);
  }
  addr[7] = 2;   /* another /64 */
  g_assert_cmpint (rp_slot_table_take (t, addr, 16), ==, RP_SLOT_TAKEN);
  /* An IPv4-mapped address is the IPv4 source. */
  g_assert_cmpint (rp_slot_table_take (t, a1, 4), ==, RP_SLOT_TAKEN);
  g_assert_cmpuint (rp_slot_table_held (t, mapped, 16), ==, 1);
  rp_slot_table_release (t, mapped, 16);
  g_assert_cmpuint (rp_slot_table_held (t, a1, 4), ==, 0);
  g_assert_cmpuint (rp_slot_table_used (t), ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reflector/limits/bucket", test_bucket);
  g_test_add_func ("/reflector/limits/flood", test_flood_one_source);
  g_test_add_func ("/reflector/limits/lru", test_lru_bounded);
  g_test_add_func ("/reflector/limits/v4-mapped", test_v4_mapped);
  g_test_add_func ("/reflector/limits/share", test_share);
  g_test_add_func ("/reflector/limits/slots-share", test_slots_share);
  g_test_add_func ("/reflector/limits/slots-ipv6-prefix", test_slots_ipv6_prefix);
  return g_test_run ();
}
