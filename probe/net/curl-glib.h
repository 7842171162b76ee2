/* libcurl on the run's GMainContext: the multi socket interface driven by
 * GLib fd watches and timers, so HTTP transfers run concurrently with every
 * other check under the same deadlines. */
#pragma once

#include <curl/curl.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct _RpCurlLoop RpCurlLoop;
/* Called once when a transfer ends (result CURLE_OK or the error). */
typedef void (*RpCurlDoneFunc) (CURL *easy, CURLcode result, gpointer user_data);

/* One loop per context, made on first use and kept for the process. */
RpCurlLoop *rp_curl_loop_get (GMainContext *context);
/* Starts a transfer; done is called from the loop, never from this call. */
gboolean rp_curl_loop_add (RpCurlLoop *loop, CURL *easy, RpCurlDoneFunc done, gpointer user_data);
/* Stops a transfer without calling its done function (deadline, teardown).
 * The easy handle stays the caller's. */
void rp_curl_loop_remove (RpCurlLoop *loop, CURL *easy);

G_END_DECLS
