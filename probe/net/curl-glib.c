/* libcurl's multi socket interface on a GMainContext (see curl-glib.h).
 * curl tells us which sockets to watch and when its next timeout is; we
 * tell it which socket became ready. Finished transfers are collected after
 * each action and reported from the loop. */
#include "probe/net/curl-glib.h"

#include <glib-unix.h>

typedef struct {
  GSource source;
  gpointer tag;
  RpCurlLoop *loop;
  curl_socket_t fd;
} SockSource;

typedef struct {
  RpCurlDoneFunc done;
  gpointer user_data;
} Transfer;

struct _RpCurlLoop {
  GMainContext *context;
  CURLM *multi;
  GSource *timer;
  GHashTable *transfers;     /* CURL* -> Transfer* */
};

static void check_done (RpCurlLoop *loop);

static gboolean
sock_dispatch (GSource *source, GSourceFunc cb, gpointer data)
{
  SockSource *s = (SockSource *) source;
  GIOCondition cond = g_source_query_unix_fd (source, s->tag);
  int mask = 0;
  int running = 0;

  if (cond & G_IO_IN)
    mask |= CURL_CSELECT_IN;
  if (cond & G_IO_OUT)
    mask |= CURL_CSELECT_OUT;
  if (cond & (G_IO_ERR | G_IO_HUP))
    mask |= CURL_CSELECT_ERR;
  curl_multi_socket_action (s->loop->multi, s->fd, mask, &running);
  check_done (s->loop);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs sock_funcs = { NULL, NULL, sock_dispatch, NULL, NULL, NULL };

static int
on_socket (CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
  RpCurlLoop *loop = userp;
  SockSource *s = socketp;
  GIOCondition cond = 0;

  if (what == CURL_POLL_REMOVE) {
    if (s != NULL) {
      g_source_destroy ((GSource *) s);
      g_source_unref ((GSource *) s);
      curl_multi_assign (loop->multi, fd, NULL);
    }
    return 0;
  }
  if (what & CURL_POLL_IN)
    cond |= G_IO_IN;
  if (what & CURL_POLL_OUT)
    cond |= G_IO_OUT;
  if (s == NULL) {
    s = (SockSource *) g_source_new (&sock_funcs, sizeof (SockSource));
    s->loop = loop;
    s->fd = fd;
    s->tag = g_source_add_unix_fd ((GSource *) s, fd, cond);
    g_source_attach ((GSource *) s, loop->context);
    curl_multi_assign (loop->multi, fd, s);
  } else {
    g_source_modify_unix_fd ((GSource *) s, s->tag, cond);
  }
  return 0;
}

static gboolean
on_timeout (gpointer data)
{
  RpCurlLoop *loop = data;
  int running = 0;

  g_clear_pointer (&loop->timer, g_source_unref);
  curl_multi_socket_action (loop->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done (loop);
  return G_SOURCE_REMOVE;
}

static int
on_timer (CURLM *multi, long timeout_ms, void *userp)
{
  RpCurlLoop *loop = userp;

  if (loop->timer != NULL) {
    g_source_destroy (loop->timer);
    g_clear_pointer (&loop->timer, g_source_unref);
  }
  if (timeout_ms < 0)
    return 0;
  /* curl asks for 0 to be called "as soon as possible": from the loop. */
  loop->timer = g_timeout_source_new ((guint) timeout_ms);
  g_source_set_callback (loop->timer, on_timeout, loop, NULL);
  g_source_attach (loop->timer, loop->context);
  return 0;
}

static void
check_done (RpCurlLoop *loop)
{
  CURLMsg *msg;
  int left;

  while ((msg = curl_multi_info_read (loop->multi, &left)) != NULL) {
    CURL *easy;
    CURLcode result;
    Transfer *t;

    if (msg->msg != CURLMSG_DONE)
      continue;
    easy = msg->easy_handle;
    result = msg->data.result;
    curl_multi_remove_handle (loop->multi, easy);
    t = g_hash_table_lookup (loop->transfers, easy);
    if (t == NULL)
      continue;
    g_hash_table_steal (loop->transfers, easy);
    /* The callback may start new transfers on this loop. */
    t->done (easy, result, t->user_data);
    g_free (t);
  }
}

RpCurlLoop *
rp_curl_loop_get (GMainContext *context)
{
  static GHashTable *loops;   /* GMainContext* -> RpCurlLoop*, kept for the process */
  RpCurlLoop *loop;

  if (loops == NULL) {
    curl_global_init (CURL_GLOBAL_DEFAULT);
    loops = g_hash_table_new (NULL, NULL);
  }
  loop = g_hash_table_lookup (loops, context);
  if (loop != NULL)
    return loop;
  loop = g_new0 (RpCurlLoop, 1);
  loop->context = g_main_context_ref (context);
  loop->multi = curl_multi_init ();
  loop->transfers = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  curl_multi_setopt (loop->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt (loop->multi, CURLMOPT_SOCKETDATA, loop);
  curl_multi_setopt (loop->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt (loop->multi, CURLMOPT_TIMERDATA, loop);
  g_hash_table_insert (loops, context, loop);
  return loop;
}

gboolean
rp_curl_loop_add (RpCurlLoop *loop, CURL *easy, RpCurlDoneFunc done, gpointer user_data)
{
  Transfer *t = g_new0 (Transfer, 1);

  t->done = done;
  t->user_data = user_data;
  if (curl_multi_add_handle (loop->multi, easy) != CURLM_OK) {
    g_free (t);
    return FALSE;
  }
  g_hash_table_insert (loop->transfers, easy, t);
  return TRUE;
}

void
rp_curl_loop_remove (RpCurlLoop *loop, CURL *easy)
{
  if (g_hash_table_remove (loop->transfers, easy))
    curl_multi_remove_handle (loop->multi, easy);
}
