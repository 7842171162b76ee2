/* Atomic report output. The report goes to a temporary file created next to
 * the target (rename(2) is only atomic within one file system), is fsync'd,
 * then renamed over the target and the directory is fsync'd so the rename
 * itself survives a crash. Any failure removes the temporary, so no partial
 * or stray file is ever left behind. */
#include "probe/cli/output.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The path for an error message: valid UTF-8 without control characters,
 * so the message stays one line whatever the file is called. */
static char *
display_path (const char *path)
{
  g_autofree char *name = g_filename_display_name (path);
  GString *out = g_string_new (NULL);

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_iscntrl (c))
        g_string_append_c (out, '?');
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

static gboolean
set_errno_error (GError **error, int saved_errno, const char *path, const char *what)
{
  g_autofree char *shown = display_path (path);

  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "cannot write '%s': %s: %s", shown, what, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_all (int fd, const char *data, gsize len, int *saved_errno)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, MIN (len, (gsize) G_MAXSSIZE));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *saved_errno = errno;
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
write_stdout (const char *data, gsize len, GError **error)
{
  int saved_errno = 0;

  /* Keep order with anything already printed through stdio. */
  fflush (stdout);
  if (!write_all (STDOUT_FILENO, data, len, &saved_errno))
    return set_errno_error (error, saved_errno, "-", "writing to standard output");
  return TRUE;
}

static void
sync_directory (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  /* Best effort: some file systems refuse fsync on a directory. */
  if (fd < 0)
    return;
  (void) fsync (fd);
  close (fd);
}

gboolean
rp_output_write_atomic (const char *path, const char *data, gsize len, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp = NULL;
  const char *what;
  int saved_errno;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_str_equal (path, "-"))
    return write_stdout (data, len, error);
  if (*path == '\0')
    {
    g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                         "cannot write '': empty file name");
    return FALSE;
    }

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  /* Hidden, so a directory listing never shows a half-written report;
   * the name is cut so that the suffix still fits in NAME_MAX. */
  tmp = g_strdup_printf ("%s/.%.200s.XXXXXX", dir, base);

  /* 0644 is narrowed further by the umask, as open(2) does. */
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    return set_errno_error (error, errno, path, "creating a temporary file");

  saved_errno = 0;
  what = NULL;
  if (!write_all (fd, data, len, &saved_errno))
    what = "writing";
  else if (fsync (fd) != 0)
    {
      saved_errno = errno;
      what = "flushing to disk";
    }

  /* close() can report a deferred write error (NFS, quotas). */
  if (close (fd) != 0 && what == NULL)
    {
      saved_errno = errno;
      what = "closing";
    }

  if (what == NULL && rename (tmp, path) != 0)
    {
      saved_errno = errno;
      what = "renaming into place";
    }

  if (what != NULL)
    {
      (void) g_unlink (tmp);
      return set_errno_error (error, saved_errno, path, what);
    }

  sync_directory (dir);
  return TRUE;
}
