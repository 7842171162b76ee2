/* A result handed to the reflector's store: an rtcprobe.report/1 document
 * (reports/report.h) uploaded by a tester's browser or the command line.
 * Sans-I/O: bytes in, the few fields the store indexes out, and the HTTP
 * status (RFC 9110 section 15) that tells the uploader why a result was
 * refused. Nothing is stored unless this says RP_UPLOAD_OK. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RP_UPLOAD_MAX_DEPTH 32
#define RP_UPLOAD_FIELD_MAX 256     /* command, tool version: at most this many bytes */

typedef enum {
  RP_UPLOAD_OK,
  RP_UPLOAD_TOO_LARGE,      /* 413 Content Too Large */
  RP_UPLOAD_MALFORMED,      /* 400 Bad Request: not JSON text, too deep, not UTF-8 */
  RP_UPLOAD_NOT_REPORT,     /* 422 Unprocessable Content: JSON, but not a report */
} RpUploadStatus;

typedef struct {
  char *command;            /* "check", "turn", "tester", ... */
  char *tool_version;       /* tool.version, NULL when absent */
  char *vantage;            /* the report's vantage object, compact JSON ("null": none) */
  char *json;               /* the document as received (valid UTF-8, NUL-terminated) */
} RpUpload;

/* Parses len octets of data, refusing anything over max_size octets before
 * reading it. On RP_UPLOAD_OK out is filled (clear it); otherwise out is
 * untouched and error says why in one line. */
RpUploadStatus rp_upload_parse (const char *data, gsize len, gsize max_size, RpUpload *out,
                                GError **error);
void rp_upload_clear (RpUpload *u);
/* The HTTP status code for a status (200 for RP_UPLOAD_OK). */
guint rp_upload_http_status (RpUploadStatus status);

G_END_DECLS
