/* The result model: the contract between checks and reports (doc/internals/ARCHITECTURE.md, "The
 * result model"). A check fills one RpCheckResult and never prints; renderers in reports/ turn an
 * RpReport into bytes. Metrics are numbers with the unit in the name; details are typed evidence
 * (string, integer, boolean). Both keep insertion order so that every format lists them the same
 * way. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  RP_STATUS_PASS,
  RP_STATUS_WARN,
  RP_STATUS_FAIL,
  RP_STATUS_SKIP,
} RpStatus;

const char *rp_status_to_string (RpStatus status);

typedef struct {
  char *name;
  double value;
} RpMetric;

typedef enum {
  RP_DETAIL_STRING,
  RP_DETAIL_INT,
  RP_DETAIL_BOOL,
} RpDetailType;

typedef struct {
  char *key;
  RpDetailType type;
  char *str;
  gint64 num;   /* RP_DETAIL_INT value, or 0/1 for RP_DETAIL_BOOL */
} RpDetail;

typedef struct {
  char *id;          /* stable dotted name: port.443/tcp, stun.udp */
  char *kind;        /* port, dns, stun, nat, turn, ... */
  char *target;      /* what was probed, as the user would write it */
  RpStatus status;
  char *summary;     /* one line a person understands */
  char *hint;        /* when not pass: likely cause and fix; may be NULL */
  double duration_ms;
  GArray *metrics;   /* of RpMetric, insertion order */
  GArray *details;   /* of RpDetail, insertion order */
} RpCheckResult;

RpCheckResult *rp_check_result_new (const char *id, const char *kind, const char *target);
void rp_check_result_free (RpCheckResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpCheckResult, rp_check_result_free)

void rp_check_result_set (RpCheckResult *r, RpStatus status, const char *summary_fmt, ...)
  G_GNUC_PRINTF (3, 4);
void rp_check_result_set_hint (RpCheckResult *r, const char *hint_fmt, ...) G_GNUC_PRINTF (2, 3);
/* Setting a metric or detail twice replaces the earlier value in place. */
void rp_check_result_metric (RpCheckResult *r, const char *name, double value);
void rp_check_result_detail_str (RpCheckResult *r, const char *key, const char *value);
void rp_check_result_detail_int (RpCheckResult *r, const char *key, gint64 value);
void rp_check_result_detail_bool (RpCheckResult *r, const char *key, gboolean value);
const RpMetric *rp_check_result_get_metric (const RpCheckResult *r, const char *name);
const RpDetail *rp_check_result_get_detail (const RpCheckResult *r, const char *key);

/* The whole run: what the renderers take. */
typedef struct {
  char *tool_name;
  char *tool_version;
  char *command;          /* the subcommand that ran: ports, stun, ... */
  GDateTime *started_at;  /* UTC */
  double duration_ms;
  RpCheckResult *vantage; /* only its details are rendered; may be NULL */
  GPtrArray *checks;      /* of RpCheckResult*, owned, in a stable order */
} RpReport;

RpReport *rp_report_new (const char *command);
void rp_report_free (RpReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpReport, rp_report_free)
void rp_report_add (RpReport *report, RpCheckResult *result); /* takes ownership */
void rp_report_count (const RpReport *report, guint counts[4]); /* indexed by RpStatus */
/* 0 no fail (warnings allowed), 1 a fail (or with strict: a warn). */
int rp_report_exit_code (const RpReport *report, gboolean strict);

G_END_DECLS
