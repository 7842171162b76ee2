/* Per-source rate limits for the reflector, sans-I/O: a token bucket per
 * source address in a table of bounded size. When the table is full the
 * least recently seen source is evicted (LRU); an evicted source comes back
 * with a full bucket, so eviction can make the limiter more lenient for a
 * moment but never locks a well-behaved source out, and an attacker cycling
 * spoofed addresses cannot grow memory. Time is passed in (monotonic
 * microseconds) so the logic is tested without sleeping. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One token bucket (RFC 2697's idea without colours): rate tokens per
 * second, at most burst stored. */
typedef struct {
  double tokens;
  gint64 last_us;
} RpBucket;

void rp_bucket_init (RpBucket *b, double burst, gint64 now_us);
/* Refills for the time passed, then takes cost tokens if there are enough. */
gboolean rp_bucket_take (RpBucket *b, double rate, double burst, double cost, gint64 now_us);

typedef struct _RpRateTable RpRateTable;

/* max_sources >= 1; rate > 0; burst >= 1. */
RpRateTable *rp_rate_table_new (guint max_sources, double rate, double burst);
void rp_rate_table_free (RpRateTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpRateTable, rp_rate_table_free)

/* Takes one token from the bucket of this source (raw address octets:
 * 4 for IPv4, 16 for IPv6; an IPv4-mapped IPv6 address counts as IPv4).
 * FALSE: over the limit, drop. */
gboolean rp_rate_table_allow (RpRateTable *t, const guint8 *addr, gsize addr_len, gint64 now_us);
/* The same for a GInetAddress. */
gboolean rp_rate_table_allow_inet (RpRateTable *t, GInetAddress *addr, gint64 now_us);

guint rp_rate_table_size (RpRateTable *t);
guint64 rp_rate_table_evictions (RpRateTable *t);
guint64 rp_rate_table_refused (RpRateTable *t);

/* Shares of a capped resource by key (the reflector: sessions per token):
 * a count per key, kept only while it is above zero, so the table is never
 * larger than what is held. */
typedef struct _RpShareTable RpShareTable;

RpShareTable *rp_share_table_new (void);
void rp_share_table_free (RpShareTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpShareTable, rp_share_table_free)
/* One more for key if it holds fewer than max. FALSE: its share is full. */
gboolean rp_share_take (RpShareTable *t, const char *key, guint max);
/* Gives one back (one that was taken; more are ignored). */
void rp_share_give (RpShareTable *t, const char *key);
guint rp_share_count (RpShareTable *t, const char *key);
/* Keys holding at least one. */
guint rp_share_table_size (RpShareTable *t);
/* A capped pool of slots (connections) shared between sources: at most
 * total in all and per_source held by one source at once, so one source
 * cannot take every slot. An IPv6 source counts by its /64 (one subscriber
 * usually has all of it); IPv4-mapped IPv6 counts as IPv4. Memory: one
 * entry per source holding a slot, at most total. */
typedef struct _RpSlotTable RpSlotTable;

typedef enum {
  RP_SLOT_TAKEN,
  RP_SLOT_FULL,           /* every slot is held */
  RP_SLOT_SOURCE_SHARE,   /* this source holds per_source already */
} RpSlotResult;

/* total >= 1, per_source >= 1. */
RpSlotTable *rp_slot_table_new (guint total, guint per_source);
void rp_slot_table_free (RpSlotTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpSlotTable, rp_slot_table_free)

RpSlotResult rp_slot_table_take (RpSlotTable *t, const guint8 *addr, gsize addr_len);
/* Gives back a slot this source took; anything else is ignored. */
void rp_slot_table_release (RpSlotTable *t, const guint8 *addr, gsize addr_len);
RpSlotResult rp_slot_table_take_inet (RpSlotTable *t, GInetAddress *addr);
void rp_slot_table_release_inet (RpSlotTable *t, GInetAddress *addr);
/* Slots held in all, and by this source. */
guint rp_slot_table_used (RpSlotTable *t);
guint rp_slot_table_held (RpSlotTable *t, const guint8 *addr, gsize addr_len);

G_END_DECLS
