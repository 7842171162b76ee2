/* ITU-T G.107 E-model, with every loudness, noise and echo parameter at its
 * G.107 (06/2015) Table 3 default and what a network test measures fed in:
 * R = Ro - Is - Id - Ie,eff + A, where Id = Idte + Idle + Idd grows with the
 * mouth-to-ear delay (the echo terms too: the default R of 93.2 is at zero
 * delay) and Ie,eff with loss. MOS from R by G.107 Annex B, grade by G.109. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* G.107's rounded default R (every parameter at its default, no delay);
 * the computed value is 93.2062. */
#define RP_EMODEL_R_DEFAULT 93.2

typedef enum {
  RP_CODEC_G711_PLC,    /* G.711 with packet loss concealment */
  RP_CODEC_G711,        /* G.711 without PLC */
  RP_CODEC_OPUS,        /* no G.113 values: G.711 + PLC ones (see emodel.c) */
} RpCodec;

typedef struct {
  const char *name;
  double ie;            /* G.113 Appendix I equipment impairment */
  double bpl;           /* G.113 Appendix I packet-loss robustness */
  double delay_ms;      /* frame + look-ahead, added to the mouth-to-ear delay */
} RpCodecProfile;

const RpCodecProfile *rp_codec_profile (RpCodec codec);

typedef struct {
  double a;             /* advantage factor: 0 (G.107 Table 3: conventional wirebound) */
  double ta_ms;         /* mouth-to-ear delay; echo paths T = Ta, Tr = 2 Ta */
  double ppl;           /* packet loss, percent (0..100) */
  double burst_r;       /* G.107 BurstR: 1 random, > 1 bursty */
  double ie, bpl;       /* from the codec profile */
} RpEmodelInput;

typedef enum {
  RP_GRADE_BEST,            /* 90 <= R        (G.109: very satisfied) */
  RP_GRADE_HIGH,            /* 80 <= R < 90   (satisfied) */
  RP_GRADE_MEDIUM,          /* 70 <= R < 80   (some users dissatisfied) */
  RP_GRADE_LOW,             /* 60 <= R < 70   (many users dissatisfied) */
  RP_GRADE_POOR,            /* 50 <= R < 60   (nearly all dissatisfied) */
  RP_GRADE_NOT_RECOMMENDED, /*       R < 50   (G.109 note: not recommended) */
} RpGrade;

typedef struct {
  double r;
  double mos;
  double ro_minus_is;   /* basic signal-to-noise ratio less simultaneous impairments */
  double idte, idle;    /* talker and listener echo at the default TELR / WEPL */
  double idd;           /* delay alone */
  double id;            /* Idte + Idle + Idd */
  double ie_eff;
  RpGrade grade;
} RpEmodelResult;

/* Defaults for a codec: A 0, no delay, no loss, BurstR 1 (R 93.2). */
void rp_emodel_input_init (RpEmodelInput *in, RpCodec codec);
/* Mouth-to-ear delay: network one way (RTT / 2) + jitter buffer + codec. */
double rp_emodel_mouth_to_ear_ms (double rtt_ms, double jitter_buffer_ms, RpCodec codec);

/* G.107 7.2: Ro - Is at the default parameters, T in ms (Is depends on T
 * through STMRo, negligibly at the default TELR). */
double rp_emodel_ro_minus_is (double t_ms);
/* G.107 7.3 delay impairments, delays in ms: talker echo Idte(T), listener
 * echo Idle(Tr), pure delay Idd(Ta). */
double rp_emodel_idte (double t_ms);
double rp_emodel_idle (double tr_ms);
double rp_emodel_idd (double ta_ms);
/* G.107 7.4 effective equipment impairment; ppl in percent. */
double rp_emodel_ie_eff (double ie, double bpl, double ppl, double burst_r);
/* G.107 Annex B: MOS (conversational quality estimate) from R. */
double rp_emodel_mos (double r);
RpGrade rp_emodel_grade (double r);
const char *rp_grade_to_string (RpGrade g);

void rp_emodel_compute (const RpEmodelInput *in, RpEmodelResult *out);

G_END_DECLS
