/* The shape of a voice-shaped stream (the codec's packet size and interval,
 * its length, the verdict's thresholds) and the parsers of its options,
 * shared by the voice checks and the stream that sends it (voice-stream.c). */
#pragma once

#include <glib.h>

#include "rtc/voice/verdict.h"

G_BEGIN_DECLS

/* Who follows a watched stream as it runs (the exporter's [watch]): told of
 * every window once judged and of every round trip. Called from the loop. */
typedef struct {
  void (*window) (const RpVoiceSummary *s, gpointer data);
  void (*rtt) (double rtt_ms, gpointer data);
  gpointer data;
} RpVoiceTap;

typedef struct {
  GPtrArray *turn;              /* RpTarget* (turn:, turns:), borrowed for the call */
  double duration_s;            /* measured part of the stream (default 10) */
  double warmup_s;              /* sent first and not counted (default 1) */
  RpCodec codec;                /* E-model profile */
  gsize packet_size;            /* bytes per packet (STAMP padded to it) */
  gint64 interval_us;           /* one packet per frame interval */
  RpVoiceThresholds thresholds;
  double window_s;              /* --watch: reported in windows of this length (0: not) */
  const RpVoiceTap *tap;        /* watched: borrowed, outlives the stream (NULL: none) */
} RpVoiceOptions;

void rp_voice_options_init (RpVoiceOptions *o);
/* "opus", "g711", or SIZE@MS (e.g. 200@20). FALSE with a one-line error. */
gboolean rp_voice_parse_codec (RpVoiceOptions *o, const char *text, GError **error);
/* "NAME=VALUE" for a verdict threshold (warn_mos, warn_rtt_p95_ms, warn_jitter_ms,
 * warn_loss_pct, fail_mos, fail_loss_pct). */
gboolean rp_voice_parse_threshold (RpVoiceOptions *o, const char *text, GError **error);
/* --watch DURATION (90, 90s, 10m, 2h: 10 s to RP_VOICE_WATCH_MAX_S) and
 * --window S (2 s to half the watch; 0: 10 s): sets duration_s and
 * window_s. FALSE with a one-line error, o unchanged. */
#define RP_VOICE_WATCH_MAX_S (24 * 3600)
gboolean rp_voice_parse_watch (RpVoiceOptions *o, const char *duration, double window_s,
                               GError **error);

G_END_DECLS
