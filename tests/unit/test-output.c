/* Tests for atomic report output: a new file, an overwrite that leaves no
 * trace of the old content, the mode, standard output, and failures (no
 * such directory, a read-only directory, a directory in the way) that must
 * leave the target untouched, no temporary file behind and a one-line error
 * naming the path. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/cli/output.h"

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("rtcprobe-output-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  GDir *dir;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  g_chmod (path, 0755);
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The names in dir, sorted and joined by spaces. */
static char *
list_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static void
assert_contents (const char *path, const char *expected)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, strlen (expected));
  g_assert_cmpstr (contents, ==, expected);
}

static void
assert_one_line_naming (const GError *error, const char *path)
{
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_null (strchr (error->message, '\n'));
}

static void
test_write_new (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "report.json", NULL);
  g_autoptr(GError) error = NULL;
  const char *text = "{\"schema\" : \"rtcprobe.report/1\"}\n";
  mode_t mask = umask (022);
  struct stat st;

  g_assert_true (rp_output_write_atomic (path, text, strlen (text), &error));
  g_assert_no_error (error);
  umask (mask);
  assert_contents (path, text);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0644);

  g_autofree char *names = list_dir (f->dir);
  g_assert_cmpstr (names, ==, "report.json");
}

static void
test_umask (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "private.txt", NULL);
  g_autoptr(GError) error = NULL;
  mode_t mask = umask (077);
  struct stat st;

  g_assert_true (rp_output_write_atomic (path, "x", 1, &error));
  umask (mask);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
}

static void
test_overwrite (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "report.txt", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *big = g_strnfill (100000, 'a');
  struct stat before, after;

  g_assert_true (rp_output_write_atomic (path, big, strlen (big), &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &before), ==, 0);

  /* Shorter content: nothing of the old file may remain. */
  g_assert_true (rp_output_write_atomic (path, "short\n", 6, &error));
  g_assert_no_error (error);
  assert_contents (path, "short\n");
  g_assert_cmpint (g_stat (path, &after), ==, 0);
  /* A new inode: readers holding the old file still see it whole. */
  g_assert_cmpuint (before.st_ino, !=, after.st_ino);

  g_assert_true (rp_output_write_atomic (path, "", 0, &error));
  g_assert_no_error (error);
  assert_contents (path, "");

  g_autofree char *names = list_dir (f->dir);
  g_assert_cmpstr (names, ==, "report.txt");
}

static void
test_missing_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "nope", "report.json", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (rp_output_write_atomic (path, "x", 1, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  assert_one_line_naming (error, path);

  g_autofree char *names = list_dir (f->dir);
  g_assert_cmpstr (names, ==, "");
}

static void
test_read_only_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *ro = g_build_filename (f->dir, "ro", NULL);
  g_autofree char *path = g_build_filename (ro, "report.json", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (ro, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, "old\n", -1, NULL));
  g_assert_cmpint (g_chmod (ro, 0555), ==, 0);
  if (access (ro, W_OK) == 0)
    {
      /* root (CAP_DAC_OVERRIDE) writes anyway; test_directory_in_way
       * covers a failure after the temporary file exists. */
      g_test_skip ("permissions are not enforced for this user (root)");
      return;
    }

  g_assert_false (rp_output_write_atomic (path, "new\n", 4, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ACCES);
  assert_one_line_naming (error, path);
  assert_contents (path, "old\n");

  g_autofree char *names = list_dir (ro);
  g_assert_cmpstr (names, ==, "report.json");
}

/* rename() over a non-empty directory fails after the temporary file was
 * written: it must be removed, whoever runs the test. */
static void
test_directory_in_way (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "report.json", NULL);
  g_autofree char *inner = g_build_filename (path, "keep", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
  g_assert_true (g_file_set_contents (inner, "kept\n", -1, NULL));

  g_assert_false (rp_output_write_atomic (path, "new\n", 4, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_FILE_ERROR);
  assert_one_line_naming (error, path);
  assert_contents (inner, "kept\n");

  g_autofree char *names = list_dir (f->dir);
  g_assert_cmpstr (names, ==, "report.json");
}

static void
test_error_is_one_line (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "no\ndir", "re\x1bport", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (rp_output_write_atomic (path, "x", 1, &error));
  g_assert_nonnull (error);
  g_assert_null (strchr (error->message, '\n'));
  g_assert_null (strchr (error->message, '\x1b'));
  g_assert_nonnull (strstr (error->message, "no?dir"));
}

static void
test_stdout (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "captured", NULL);
  g_autoptr(GError) error = NULL;
  int saved, fd;
  gboolean ok;

  /* Send fd 1 to a file for the duration of the call. */
  fflush (stdout);
  saved = dup (STDOUT_FILENO);
  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint (saved, >=, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (dup2 (fd, STDOUT_FILENO), ==, STDOUT_FILENO);
  ok = rp_output_write_atomic ("-", "to stdout\n", 10, &error);
  dup2 (saved, STDOUT_FILENO);
  close (saved);
  close (fd);

  g_assert_no_error (error);
  g_assert_true (ok);
  assert_contents (path, "to stdout\n");
}

static void
test_empty_path (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (rp_output_write_atomic ("", "x", 1, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/output/write-new", test_write_new);
  ADD ("/output/umask", test_umask);
  ADD ("/output/overwrite", test_overwrite);
  ADD ("/output/missing-dir", test_missing_dir);
  ADD ("/output/read-only-dir", test_read_only_dir);
  ADD ("/output/directory-in-way", test_directory_in_way);
  ADD ("/output/error-is-one-line", test_error_is_one_line);
  ADD ("/output/stdout", test_stdout);
  ADD ("/output/empty-path", test_empty_path);
#undef ADD
  return g_test_run ();
}
