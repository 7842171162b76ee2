/* Token buckets per source in a bounded LRU table, a pool of slots shared
 * between sources, and shares per key (see reflector-limits.h). A hash table finds a
 * source's entry; a GQueue of the same entries, most recent first, gives
 * the eviction order in O(1). */
#include "reflector/protocol/reflector-limits.h"

#include <string.h>

typedef struct {
  guint8 len;
  guint8 addr[16];
  RpBucket bucket;
  GList link;          /* in lru; data points back at the entry */
} Source;

struct _RpRateTable {
  guint max;
  double rate, burst;
  GHashTable *by_addr;   /* Source* -> Source* (keyed by len + addr) */
  GQueue lru;            /* head: most recently seen */
  guint64 evictions, refused;
};

void
rp_bucket_init (RpBucket *b, double burst, gint64 now_us)
{
  b->tokens = burst;
  b->last_us = now_us;
}

gboolean
rp_bucket_take (RpBucket *b, double rate, double burst, double cost, gint64 now_us)
{
  if (now_us > b->last_us) {
    b->tokens = MIN (burst, b->tokens + (now_us - b->last_us) * rate / G_USEC_PER_SEC);
    b->last_us = now_us;
  }
  if (b->tokens < cost)
    return FALSE;
  b->tokens -= cost;
  return TRUE;
}

static guint
source_hash (gconstpointer p)
{
  const Source *s = p;
  guint h = 2166136261u;   /* FNV-1a; the table is bounded, so collisions cost time, not memory */

  for (guint i = 0; i < s->len; i++)
    h = (h ^ s->addr[i]) * 16777619u;
  return h ^ s->len;
}

static gboolean
source_equal (gconstpointer a, gconstpointer b)
{
  const Source *x = a, *y = b;

  return x->len == y->len && memcmp (x->addr, y->addr, x->len) == 0;
}

RpRateTable *
rp_rate_table_new (guint max_sources, double rate, double burst)
{
  RpRateTable *t = g_new0 (RpRateTable, 1);

  t->max = MAX (max_sources, 1);
  t->rate = rate > 0 ? rate : 1;
  t->burst = burst >= 1 ? burst : 1;
  t->by_addr = g_hash_table_new_full (source_hash, source_equal, NULL, g_free);
  g_queue_init (&t->lru);
  return t;
}

void
rp_rate_table_free (RpRateTable *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref (t->by_addr);
  g_free (t);
}

gboolean
rp_rate_table_allow (RpRateTable *t, const guint8 *addr, gsize addr_len, gint64 now_us)
{
  static const guint8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  Source key = { 0 };
  Source *s;

  if (addr_len == 16 && memcmp (addr, v4mapped, sizeof v4mapped) == 0) {
    addr += 12;
    addr_len = 4;
  }
  key.len = (guint8) MIN (addr_len, sizeof key.addr);
  memcpy (key.addr, addr, key.len);
  s = g_hash_table_lookup (t->by_addr, &key);
  if (s != NULL) {
    g_queue_unlink (&t->lru, &s->link);
  } else {
    if (g_hash_table_size (t->by_addr) >= t->max) {
      GList *oldest = g_queue_pop_tail_link (&t->lru);
      g_hash_table_remove (t->by_addr, oldest->data);
      t->evictions++;
    }
    s = g_new0 (Source, 1);
    *s = key;
    s->link.data = s;
    rp_bucket_init (&s->bucket, t->burst, now_us);
    g_hash_table_add (t->by_addr, s);
  }
  g_queue_push_head_link (&t->lru, &s->link);
  if (rp_bucket_take (&s->bucket, t->rate, t->burst, 1, now_us))
    return TRUE;
  t->refused++;
  return FALSE;
}

gboolean
rp_rate_table_allow_inet (RpRateTable *t, GInetAddress *addr, gint64 now_us)
{
  return rp_rate_table_allow (t, g_inet_address_to_bytes (addr),
                              g_inet_address_get_native_size (addr), now_us);
}

guint rp_rate_table_size (RpRateTable *t) { return g_hash_table_size (t->by_addr); }
guint64 rp_rate_table_evictions (RpRateTable *t) { return t->evictions; }
guint64 rp_rate_table_refused (RpRateTable *t) { return t->refused; }

/* ---- slots ---- */

typedef struct {
  guint8 len;
  guint8 addr[16];
  guint held;
} Holder;

struct _RpSlotTable {
  guint total, per_source, used;
  GHashTable *by_addr;   /* Holder* -> Holder* (keyed by len + addr) */
};

static guint
holder_hash (gconstpointer p)
{
  const Holder *h = p;
  guint v = 2166136261u;

  for (guint i = 0; i < h->len; i++)
    v = (v ^ h->addr[i]) * 16777619u;
  return v ^ h->len;
}

static gboolean
holder_equal (gconstpointer a, gconstpointer b)
{
  const Holder *x = a, *y = b;

  return x->len == y->len && memcmp (x->addr, y->addr, x->len) == 0;
}

/* The source an address counts as: IPv4, or the /64 of IPv6. */
static void
holder_key (const guint8 *addr, gsize addr_len, Holder *key)
{
  static const guint8 v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  memset (key, 0, sizeof *key);
  if (addr_len == 16 && memcmp (addr, v4mapped, sizeof v4mapped) == 0) {
    addr += 12;
    addr_len = 4;
  }
  key->len = (guint8) (addr_len == 16 ? 8 : MIN (addr_len, sizeof key->addr));
  memcpy (key->addr, addr, key->len);
}

RpSlotTable *
rp_slot_table_new (guint total, guint per_source)
{
  RpSlotTable *t = g_new0 (RpSlotTable, 1);

  t->total = MAX (total, 1);
  t->per_source = MAX (per_source, 1);
  t->by_addr = g_hash_table_new_full (holder_hash, holder_equal, NULL, g_free);
  return t;
}

void
rp_slot_table_free (RpSlotTable *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref (t->by_addr);
  g_free (t);
}

RpSlotResult
rp_slot_table_take (RpSlotTable *t, const guint8 *addr, gsize addr_len)
{
  Holder key, *h;

  holder_key (addr, addr_len, &key);
  h = g_hash_table_lookup (t->by_addr, &key);
  if (h != NULL && h->held >= t->per_source)
    return RP_SLOT_SOURCE_SHARE;
  if (t->used >= t->total)
    return RP_SLOT_FULL;
  if (h == NULL) {
    h = g_memdup2 (&key, sizeof key);
    g_hash_table_add (t->by_addr, h);
  }
  h->held++;
  t->used++;
  return RP_SLOT_TAKEN;
}

void
rp_slot_table_release (RpSlotTable *t, const guint8 *addr, gsize addr_len)
{
  Holder key, *h;

  holder_key (addr, addr_len, &key);
  h = g_hash_table_lookup (t->by_addr, &key);
  if (h == NULL)
    return;
  t->used--;
  if (--h->held == 0)
    g_hash_table_remove (t->by_addr, h);
}

RpSlotResult
rp_slot_table_take_inet (RpSlotTable *t, GInetAddress *addr)
{
  return rp_slot_table_take (t, g_inet_address_to_bytes (addr),
                             g_inet_address_get_native_size (addr));
}

void
rp_slot_table_release_inet (RpSlotTable *t, GInetAddress *addr)
{
  rp_slot_table_release (t, g_inet_address_to_bytes (addr),
                         g_inet_address_get_native_size (addr));
}

guint rp_slot_table_used (RpSlotTable *t) { return t->used; }

guint
rp_slot_table_held (RpSlotTable *t, const guint8 *addr, gsize addr_len)
{
  Holder key, *h;

  holder_key (addr, addr_len, &key);
  h = g_hash_table_lookup (t->by_addr, &key);
  return h != NULL ? h->held : 0;
}

/* ---- shares ---- */

struct _RpShareTable {
  GHashTable *count;          /* key (owned) -> GUINT_TO_POINTER (n > 0) */
};

RpShareTable *
rp_share_table_new (void)
{
  RpShareTable *t = g_new0 (RpShareTable, 1);

  t->count = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return t;
}

void
rp_share_table_free (RpShareTable *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref (t->count);
  g_free (t);
}

guint
rp_share_count (RpShareTable *t, const char *key)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (t->count, key));
}

gboolean
rp_share_take (RpShareTable *t, const char *key, guint max)
{
  guint n = rp_share_count (t, key);

  if (n >= max)
    return FALSE;
  g_hash_table_replace (t->count, g_strdup (key), GUINT_TO_POINTER (n + 1));
  return TRUE;
}

void
rp_share_give (RpShareTable *t, const char *key)
{
  guint n = rp_share_count (t, key);

  if (n > 1)
    g_hash_table_replace (t->count, g_strdup (key), GUINT_TO_POINTER (n - 1));
  else if (n == 1)
    g_hash_table_remove (t->count, key);
}

guint
rp_share_table_size (RpShareTable *t)
{
  return g_hash_table_size (t->count);
}
