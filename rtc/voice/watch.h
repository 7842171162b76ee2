/* A long voice stream reported in windows (`rtcprobe voice --watch`): each
 * window's figures (RTT p50/p95, jitter and voice loss per direction, MOS)
 * in, episodes out: runs of consecutive windows whose loss or jitter in one
 * direction is over its threshold, each with its start, end and worst
 * value. Memory is bounded whatever the duration: windows are merged in
 * pairs when the series fills up, and at most RP_WATCH_MAX_EPISODES
 * episodes are kept (all are counted). Sans-I/O: numbers in, numbers out. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Windows kept: between RP_WATCH_MAX_WINDOWS/2 and RP_WATCH_MAX_WINDOWS. */
#define RP_WATCH_MAX_WINDOWS 720
#define RP_WATCH_MAX_EPISODES 64

/* Directions, as in rtc/voice/stats.h: forward is the uplink (what the far
 * end hears), backward the downlink (what the user hears). */
enum { RP_WATCH_FWD, RP_WATCH_BWD, RP_WATCH_DIRECTIONS };

typedef struct {
  double start_s, end_s;          /* from the start of the measured stream */
  guint sent, received;
  double rtt_p50_ms, rtt_p95_ms;  /* 0 when nothing came back */
  double jitter_ms[RP_WATCH_DIRECTIONS];  /* mean RFC 3550 jitter */
  double loss_pct[RP_WATCH_DIRECTIONS];   /* voice loss: lost + late */
  double mos;
} RpWatchWindow;

typedef enum { RP_WATCH_LOSS, RP_WATCH_JITTER, RP_WATCH_METRICS } RpWatchMetric;

typedef struct {
  RpWatchMetric metric;
  guint direction;                /* RP_WATCH_FWD or RP_WATCH_BWD */
  double start_s, end_s;          /* start of its first window, end of its last */
  double worst;                   /* highest window value: percent or ms */
} RpWatchEpisode;

typedef struct {
  double loss_pct;                /* a window over this voice loss is in an episode (5) */
  double jitter_ms;               /* and over this mean jitter (30) */
} RpWatchThresholds;

typedef struct _RpWatch RpWatch;

RpWatch *rp_watch_new (const RpWatchThresholds *t);
void rp_watch_free (RpWatch *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpWatch, rp_watch_free)

/* Adds the next window (in time order) and updates the episodes. Returns a
 * bit (1 << (metric * 2 + direction)) per episode this window started. A
 * window in which nothing was sent is ignored. */
guint rp_watch_add (RpWatch *w, const RpWatchWindow *win);
/* Ends the episodes still open (the stream is over). */
void rp_watch_finish (RpWatch *w);

const RpWatchWindow *rp_watch_get_windows (const RpWatch *w, guint *n);
/* Closed episodes in the order they started (at most RP_WATCH_MAX_EPISODES). */
const RpWatchEpisode *rp_watch_get_episodes (const RpWatch *w, guint *n);
/* Every closed episode, also those not kept. */
guint rp_watch_count_episodes (const RpWatch *w);

/* "loss", "jitter"; "uplink", "downlink". */
const char *rp_watch_metric_to_string (RpWatchMetric m);
const char *rp_watch_direction_to_string (guint direction);

/* The verdict's words: "1 episode of loss over 5 % on the uplink,
 * 14:02:00-14:02:20", one clause per metric and direction, with the wall
 * clock (local time) from the stream's start (µs since the epoch). NULL
 * when there was none. Free with g_free(). */
char *rp_watch_describe (const RpWatch *w, gint64 start_wall_us);

G_END_DECLS
