/* The measuring core every `voice` path shares (voice-stream.c): a
 * voice-shaped STAMP stream (RFC 8762) on an absolute schedule, the
 * reflected packets fed into rtc/stats, and the result written the same way
 * for every path (metrics, E-model verdict, chart series). A path brings
 * only a send function and calls rp_voice_stream_received() with each
 * reflected packet and its receive time. Measures and never prints. */
#pragma once

#include "common/result.h"
#include "probe/net/voice-options.h"
#include "rtc/voice/schedule.h"
#include "rtc/voice/stamp.h"
#include "rtc/voice/stats.h"

G_BEGIN_DECLS

typedef struct _RpVoiceStream RpVoiceStream;

/* Warm-up packets carry sender numbers with this bit set; the measured
 * stream counts from 0. */
#define RP_VOICE_WARMUP_SEQ 0x80000000u

/* Sends one packet: p has seq, timestamp (T1) and error estimate; the path
 * encodes it (adding its SSID, signature) at the configured size. FALSE
 * when it could not be sent (it still counts, as lost). */
typedef gboolean (*RpVoiceSendFunc) (const RpStampSender *p, gboolean warmup, gpointer user_data);
/* The stream is over and drained: write the result. */
typedef void (*RpVoiceDoneFunc) (gpointer user_data);

typedef struct {
  const RpVoiceOptions *voice;    /* copied */
  gsize packet_size;              /* bytes on the wire (0: voice->packet_size) */
  GMainContext *context;
  const char *id;                 /* the check's id, for the progress line */
  gboolean reflector_stateful;    /* the reflector counts what it receives (RFC 8762 4.3.1) */
  /* The reflector's count includes the warm-up (a session that cannot be
   * reset): pause after the warm-up until it is back, and count from there. */
  gboolean reflector_counts_warmup;
  const char *rx_timestamps;      /* "kernel" or "userspace", for the details (NULL: not said) */
  RpVoiceSendFunc send;
  RpVoiceDoneFunc done;
  gpointer user_data;
} RpVoiceStreamConfig;

/* How a path names itself in the result. */
typedef struct {
  const char *over;               /* "over TURN/UDP", in the summary after the MOS */
  const char *no_media_summary;   /* nothing came back */
  const char *no_media_hint;
  const char *advice;             /* ends the hint when the verdict is not pass */
} RpVoiceStreamWords;

RpVoiceStream *rp_voice_stream_new (const RpVoiceStreamConfig *config);
void rp_voice_stream_free (RpVoiceStream *s);
/* Warm-up first, then the measured stream; done is called after the drain. */
void rp_voice_stream_start (RpVoiceStream *s);
/* A reflected packet (decoded, authenticated by the path) that arrived at
 * t4_us on the monotonic clock. */
void rp_voice_stream_received (RpVoiceStream *s, const RpStampReflected *p, gint64 t4_us);
/* Stops sending and waiting (the deadline); done is not called. */
void rp_voice_stream_stop (RpVoiceStream *s);
/* TRUE from start until done or stop. */
gboolean rp_voice_stream_is_running (const RpVoiceStream *s);
gsize rp_voice_stream_get_packet_size (const RpVoiceStream *s);
/* What the result says about the stream beside its statistics. */
typedef struct {
  const RpVoiceOptions *voice;    /* codec, interval, thresholds */
  gsize packet_size;
  const RpSchedule *schedule;     /* the sender's own lateness (NULL: not known) */
  const char *rx_timestamps;      /* "kernel" or "userspace" (NULL: not said) */
} RpVoiceResultShape;

/* Metrics, details, series, status, summary and hint from statistics fed
 * elsewhere (a tester's browser sends its raw timings to the reflector):
 * the same E-model verdict and wording as a stream of ours. */
void rp_voice_stats_write_result (const RpVoiceStats *stats, const RpVoiceResultShape *shape,
                                  RpCheckResult *r, const RpVoiceStreamWords *w);
/* Metrics, details, series, status, summary and hint. */
void rp_voice_stream_write_result (RpVoiceStream *s, RpCheckResult *r,
                                   const RpVoiceStreamWords *words, gboolean cut_short);

G_END_DECLS
