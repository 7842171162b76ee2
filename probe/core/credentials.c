/* Loading TURN credentials (see credentials.h). Secrets live in RpSecret
 * strings that are wiped when freed, and error messages name the file or
 * variable, never its content. */
#include "probe/core/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/quote.h"
#include "stun/turn-codec.h"

#define SECRET_MAX 4096

RpSecret *
rp_read_secret_file (const char *path, GError **error)
{
  char buf[SECRET_MAX + 1];
  gsize len = 0;
  /* O_NONBLOCK: a FIFO or device named by mistake must not block open() or
   * read(); anything but a regular file is refused below. */
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  g_autofree char *shown = rp_quote_path (path);

  if (fd < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", shown, g_strerror (e));
    return NULL;
  }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
    close (fd);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: not a regular file", shown);
    return NULL;
  }
  while (len < sizeof buf) {
    gssize n = read (fd, buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close (fd);
      explicit_bzero (buf, sizeof buf);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", shown, g_strerror (e));
      return NULL;
    }
    if (n == 0)
      break;
    len += (gsize) n;
  }
  close (fd);
  if (len > SECRET_MAX) {
    explicit_bzero (buf, sizeof buf);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s: longer than %d bytes; is this the right file?", shown, SECRET_MAX);
    return NULL;
  }
  if (len > 0 && buf[len - 1] == '\n')
    len--;
  if (len > 0 && buf[len - 1] == '\r')
    len--;
  if (len == 0 || memchr (buf, '\0', len) != NULL || memchr (buf, '\n', len) != NULL) {
    explicit_bzero (buf, sizeof buf);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 len == 0 ? "%s: empty" : "%s: must hold one line of text", shown);
    return NULL;
  }
  {
    RpSecret *s = g_strndup (buf, len);
    explicit_bzero (buf, sizeof buf);
    return s;
  }
}

static RpSecret *
secret_from (const char *file, const char *env, const char **source, GError **error)
{
  const char *v;

  if (file != NULL) {
    *source = NULL;
    return rp_read_secret_file (file, error);
  }
  v = env != NULL ? g_getenv (env) : NULL;
  if (v != NULL && *v != '\0') {
    *source = env;
    return g_strdup (v);
  }
  return NULL;
}

gboolean
rp_turn_creds_load (RpTurnCreds *creds, const char *user, const char *password_file,
                    const char *secret_file, gint64 rest_ttl_s, GError **error)
{
  GError *local = NULL;
  const char *src = NULL;
  g_autoptr (RpSecret) secret = NULL;
  g_autoptr (RpSecret) password = NULL;

  memset (creds, 0, sizeof *creds);
  creds->rest_expiry = -1;
  if (password_file != NULL && secret_file != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--password-file and --secret-file exclude each other");
    return FALSE;
  }
  /* An explicit file option wins over the environment. */
  secret =
    secret_from (secret_file, password_file != NULL ? NULL : "RTCPROBE_TURN_SECRET", &src, &local);
  if (local != NULL) {
    g_propagate_error (error, local);
    return FALSE;
  }
  if (secret != NULL) {
    g_autofree char *username = NULL;
    g_autofree char *pw = NULL;
    rp_turn_rest_credentials (secret, strlen (secret), user,
                              g_get_real_time () / G_USEC_PER_SEC + rest_ttl_s, &username, &pw);
    creds->kind = RP_CREDS_REST;
    creds->username = g_steal_pointer (&username);
    creds->password = g_steal_pointer (&pw);
    creds->rest_expiry = rp_turn_rest_username_expiry (creds->username);
    creds->source = secret_file != NULL ? "--secret-file" : "RTCPROBE_TURN_SECRET";
    return TRUE;
  }
  password = secret_from (password_file, "RTCPROBE_TURN_PASSWORD", &src, &local);
  if (local != NULL) {
    g_propagate_error (error, local);
    return FALSE;
  }
  if (password != NULL) {
    if (user == NULL || *user == '\0') {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "a TURN password needs --user");
      return FALSE;
    }
    creds->kind = RP_CREDS_LONG_TERM;
    creds->username = g_strdup (user);
    creds->password = g_steal_pointer (&password);
    creds->rest_expiry = rp_turn_rest_username_expiry (user);
    creds->source = password_file != NULL ? "--password-file" : "RTCPROBE_TURN_PASSWORD";
    return TRUE;
  }
  if (user != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "--user needs --password-file or --secret-file (or RTCPROBE_TURN_PASSWORD / "
                 "RTCPROBE_TURN_SECRET)");
    return FALSE;
  }
  creds->kind = RP_CREDS_NONE;
  return TRUE;
}

void
rp_turn_creds_clear (RpTurnCreds *creds)
{
  g_free (creds->username);
  rp_secret_free (creds->password);
  memset (creds, 0, sizeof *creds);
}

void
rp_turn_creds_copy (RpTurnCreds *dst, const RpTurnCreds *src)
{
  *dst = *src;
  dst->username = g_strdup (src->username);
  dst->password = g_strdup (src->password);
}
