/* One bounded HTTP exchange for the `http` checks: a libcurl easy handle on
 * the run's loop (curl-glib) with the limits a probe needs against hostile
 * servers (body cap, header cap, low-speed cut-off, a timeout from the
 * check's deadline, http/https only) and the evidence collected on the way
 * (headers of the final response, TLS version, timings). Redirects are not
 * followed here: the caller follows them so that every hop is reported. */
#pragma once

#include <curl/curl.h>
#include <glib.h>

#include "probe/net/curl-glib.h"
#include "probe/net/http-policy.h"
#include "probe/core/options.h"

G_BEGIN_DECLS

/* Response headers kept, and the total size allowed before giving up. */
#define RP_HTTP_MAX_HEADERS 100
#define RP_HTTP_MAX_HEADER_BYTES (256 * 1024)
/* The most of a body ever read (--expect-json documents, excerpts). */
#define RP_HTTP_BODY_CAP (1024 * 1024)

typedef struct {
  const char *url;
  const char *method;          /* NULL: GET */
  char *const *headers;        /* extra "Name: value" lines, or NULL */
  const char *ca_file;         /* NULL: the system trust store */
  gboolean verify;             /* FALSE: --insecure (evidence is still collected) */
  RpFamily family;
  gsize body_cap;              /* bytes kept; 0: stop once the headers are in */
  gint64 deadline_us;          /* monotonic; curl's own timeout ends just before */
} RpHttpRequest;

typedef struct _RpHttpTransfer RpHttpTransfer;
typedef void (*RpHttpDoneFunc) (RpHttpTransfer *t, CURLcode code, gpointer user_data);

/* Read-only for callers; valid once done has been called (timings and
 * tls_version also while running). */
struct _RpHttpTransfer {
  CURL *easy;
  char *url;
  char error[CURL_ERROR_SIZE];
  long status;
  GPtrArray *header_names;     /* lower case, of the final response */
  GPtrArray *header_values;
  GByteArray *body;            /* at most body_cap bytes */
  gboolean body_over;          /* more than body_cap arrived: reading stopped */
  gboolean stopped;            /* stopped on purpose (body_cap 0, or body_over) */
  gboolean headers_over;       /* more than RP_HTTP_MAX_HEADER_BYTES of headers */
  gboolean headers_done;       /* the final response's header block is complete */
  gboolean tls_started;        /* the TLS handshake began, so TCP was connected */
  char *tls_version;           /* "TLSv1.3", or NULL */
  char *tls_cipher;
  gint64 tcp_rtt_us;           /* the kernel's min RTT on the connection (TCP_INFO), 0 unknown */
  RpFamily family;
  /* private */
  gsize body_cap;
  gsize header_bytes;
  gboolean system_store;       /* no ca_file: trust the system store */
  GArray *sockets;             /* int: the sockets curl opened, for TCP_INFO */
  struct curl_slist *req_headers;
  gboolean running;
  RpCurlLoop *loop;
  char *location;              /* resolved Location, when curl has none */
  RpHttpDoneFunc done;
  gpointer user_data;
};

RpHttpTransfer *rp_http_transfer_new (const RpHttpRequest *req);
/* Starts on context's curl loop; done is called from the loop, exactly once,
 * unless the transfer is freed first. The code is CURLE_OK when the transfer
 * stopped on purpose (see body_cap). */
gboolean rp_http_transfer_start (RpHttpTransfer *t, GMainContext *context, RpHttpDoneFunc done,
                                 gpointer user_data);
/* Removes a running transfer from the loop (no callback) and frees it. */
void rp_http_transfer_free (RpHttpTransfer *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpHttpTransfer, rp_http_transfer_free)

/* The first value of a response header (name in any case), or NULL. */
const char *rp_http_transfer_header (const RpHttpTransfer *t, const char *name);
guint rp_http_transfer_header_count (const RpHttpTransfer *t, const char *name);
void rp_http_transfer_times (const RpHttpTransfer *t, RpHttpTimes *times);
/* "HTTP/1.1", "HTTP/2", "HTTP/3" or NULL. */
const char *rp_http_transfer_version (const RpHttpTransfer *t);
/* The absolute URL of Location on a 3xx, or NULL. */
const char *rp_http_transfer_redirect_url (RpHttpTransfer *t);
/* "192.0.2.1:443" or "[2001:db8::1]:443", or NULL before connecting. */
char *rp_http_transfer_server_address (const RpHttpTransfer *t);

G_END_DECLS
