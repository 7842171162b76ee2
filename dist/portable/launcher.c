/* The portable rtcprobe's first stage, linked statically so that it runs on
 * any Linux: it reads the bundle appended to its own file (payload.h), unpacks
 * it once into a cache folder named by the bundle's key, then runs the bundled
 * rtcprobe through the bundled C library's loader, with the bundle's lib/ as
 * the only library path. Nothing of the host's libraries is used; the host
 * gives the kernel, /proc, the CA store and the resolver's configuration.
 * Cache: $RTCPROBE_PORTABLE_CACHE, else $XDG_CACHE_HOME/rtcprobe, else
 * $HOME/.cache/rtcprobe, else /tmp/rtcprobe-UID: a folder of ours, 0700. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dist/portable/payload.h"

#define LOADER "lib/ld-linux-x86-64.so.2"
#define PROGRAM "bin/rtcprobe"
#define EXIT_LAUNCH 3   /* as rtcprobe's own internal error (common/exit-code.h) */

static void
fail (const char *fmt, ...)
{
  va_list ap;

  fputs ("rtcprobe (portable): ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (EXIT_LAUNCH);
}

/* snprintf into a PATH_MAX buffer; a path that does not fit is an error, never cut. */
static void
path_printf (char *out, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (out, PATH_MAX, fmt, ap);
  va_end (ap);
  if (n < 0 || n >= PATH_MAX)
    fail ("a path is longer than %d bytes; set RTCPROBE_PORTABLE_CACHE to a shorter folder",
          PATH_MAX);
}

static void
read_at (int fd, void *buf, size_t len, uint64_t off)
{
  size_t done = 0;

  while (done < len) {
    ssize_t n = pread (fd, (char *) buf + done, len - done, (off_t) (off + done));
    if (n <= 0)
      fail ("cannot read its own file: %s", n == 0 ? "it is truncated" : strerror (errno));
    done += (size_t) n;
  }
}

/* A folder that is ours alone: created 0700 if missing, else owned by us and
 * not writable by others, and not a symbolic link. */
static int
own_dir (const char *path)
{
  struct stat st;

  if (mkdir (path, 0700) != 0 && errno != EEXIST)
    return 0;
  return lstat (path, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == geteuid ()
         && (st.st_mode & 022) == 0;
}

static int
cache_root (char *out)
{
  const char *v;

  if ((v = getenv ("RTCPROBE_PORTABLE_CACHE")) != NULL && *v == '/') {
    path_printf (out, "%s", v);
    return own_dir (out);
  }
  if ((v = getenv ("XDG_CACHE_HOME")) != NULL && *v == '/') {
    path_printf (out, "%s/rtcprobe", v);
    if (own_dir (out))
      return 1;
  }
  if ((v = getenv ("HOME")) != NULL && *v == '/') {
    char parent[PATH_MAX];
    path_printf (parent, "%s/.cache", v);
    path_printf (out, "%s/.cache/rtcprobe", v);
    if ((mkdir (parent, 0700) == 0 || errno == EEXIST) && own_dir (out))
      return 1;
  }
  path_printf (out, "/tmp/rtcprobe-%u", (unsigned) geteuid ());
  return own_dir (out);
}

static void
make_parents (const char *root, const char *name)
{
  char path[PATH_MAX];
  const char *s = name;

  while ((s = strchr (s, '/')) != NULL) {
    path_printf (path, "%s/%.*s", root, (int) (s - name), name);
    if (mkdir (path, 0755) != 0 && errno != EEXIST)
      fail ("cannot create %s: %s", path, strerror (errno));
    s++;
  }
}

static void
extract_one (int self, const char *root, const RpPortableEntry *e)
{
  unsigned char in[65536], out[65536];
  char path[PATH_MAX];
  z_stream z = { 0 };
  uint64_t left = e->csize, written = 0;
  int fd, rc = Z_OK;

  make_parents (root, e->name);
  path_printf (path, "%s/%s", root, e->name);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || inflateInit (&z) != Z_OK)
    fail ("cannot create %s: %s", path, strerror (errno));
  while (rc != Z_STREAM_END) {
    if (z.avail_in == 0) {
      size_t n = left < sizeof in ? (size_t) left : sizeof in;
      if (n == 0)
        fail ("%s is cut short in the bundle", e->name);
      read_at (self, in, n, e->offset + (e->csize - left));
      left -= n;
      z.next_in = in;
      z.avail_in = (uInt) n;
    }
    z.next_out = out;
    z.avail_out = sizeof out;
    rc = inflate (&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END)
      fail ("%s is damaged in the bundle (zlib %d)", e->name, rc);
    written += sizeof out - z.avail_out;
    if (written > e->size || write (fd, out, sizeof out - z.avail_out)
                                 != (ssize_t) (sizeof out - z.avail_out))
      fail ("cannot write %s: %s", path, written > e->size ? "larger than said" : strerror (errno));
  }
  inflateEnd (&z);
  if (written != e->size || fchmod (fd, e->mode) != 0 || close (fd) != 0)
    fail ("cannot write %s", path);
}

static int
remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove (path);
}

/* Unpacks into a fresh folder beside the final one, then renames it into
 * place: a second launcher racing with us uses whichever won, complete. */
static void
extract (int self, const char *root, const char *dir, const RpPortableEntry *entries,
         uint32_t count)
{
  char tmp[PATH_MAX], marker[PATH_MAX];
  int fd;

  path_printf (tmp, "%s/.unpacking-XXXXXX", root);
  if (mkdtemp (tmp) == NULL)
    fail ("cannot unpack into %s: %s", root, strerror (errno));
  for (uint32_t i = 0; i < count; i++)
    extract_one (self, tmp, &entries[i]);
  path_printf (marker, "%s/.complete", tmp);
  if ((fd = open (marker, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 || close (fd) != 0)
    fail ("cannot unpack into %s: %s", root, strerror (errno));
  if (rename (tmp, dir) != 0) {
    int err = errno;
    nftw (tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    if (err != EEXIST && err != ENOTEMPTY)
      fail ("cannot unpack into %s: %s", dir, strerror (err));
  }
}

static int
is_complete (const char *dir)
{
  char marker[PATH_MAX];
  struct stat st;

  path_printf (marker, "%s/.complete", dir);
  return lstat (dir, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == geteuid ()
         && (st.st_mode & 022) == 0 && access (marker, F_OK) == 0;
}

static int
open_self (const char *argv0)
{
  int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);

  if (fd < 0 && strchr (argv0, '/') != NULL)
    fd = open (argv0, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail ("cannot open its own file (is /proc mounted?): %s", strerror (errno));
  return fd;
}

/* Finds and checks the bundle; returns the entries (count in *count). */
static RpPortableEntry *
read_bundle (int self, RpPortableTrailer *t)
{
  unsigned char tail[RP_PORTABLE_TRAILER_LEN], *index;
  RpPortableEntry *entries;
  struct stat st;
  const char *why;

  if (fstat (self, &st) != 0 || st.st_size < RP_PORTABLE_TRAILER_LEN)
    fail ("its file carries no bundle (it is truncated)");
  read_at (self, tail, sizeof tail, (uint64_t) st.st_size - sizeof tail);
  if ((why = rp_portable_trailer_parse (tail, sizeof tail, (uint64_t) st.st_size, t)) != NULL)
    fail ("%s", why);
  index = malloc (t->index_len + 1);
  entries = calloc (t->count, sizeof *entries);
  if (index == NULL || entries == NULL)
    fail ("out of memory");
  read_at (self, index, t->index_len, t->index_start);
  if ((why = rp_portable_index_parse (index, t->index_len, t, entries)) != NULL)
    fail ("%s", why);
  free (index);
  return entries;
}

static void
set_env (const char *dir)
{
  char v[PATH_MAX];

  setenv ("RTCPROBE_PORTABLE", dir, 1);
  /* GLib and OpenSSL load modules and read configuration from the build's
   * paths: on another system those are another version's. Point them into
   * the bundle (empty folder, empty configuration). */
  path_printf (v, "%s/gio-modules", dir);
  setenv ("GIO_MODULE_DIR", v, 1);
  setenv ("GIO_USE_VFS", "local", 1);
  setenv ("GSETTINGS_BACKEND", "memory", 1);
  path_printf (v, "%s/openssl.cnf", dir);
  setenv ("OPENSSL_CONF", v, 1);
  path_printf (v, "%s/lib/ossl-modules", dir);
  setenv ("OPENSSL_MODULES", v, 1);
}

int
main (int argc, char **argv)
{
  char root[PATH_MAX], dir[PATH_MAX], loader[PATH_MAX], lib[PATH_MAX], prog[PATH_MAX];
  const char *argv0 = argc > 0 ? argv[0] : "rtcprobe";
  int self = open_self (argv0);
  RpPortableTrailer t;
  RpPortableEntry *entries = read_bundle (self, &t);
  char **args;

  if (!cache_root (root))
    fail ("no folder of its own to unpack into (set RTCPROBE_PORTABLE_CACHE to one): %s", root);
  path_printf (dir, "%s/bundle-%s", root, t.key);
  if (!is_complete (dir))
    extract (self, root, dir, entries, t.count);
  if (!is_complete (dir))
    fail ("%s is not a complete bundle; remove it and run again", dir);
  close (self);
  free (entries);
  path_printf (loader, "%s/" LOADER, dir);
  path_printf (lib, "%s/lib", dir);
  path_printf (prog, "%s/" PROGRAM, dir);
  set_env (dir);
  if ((args = calloc ((size_t) argc + 8, sizeof *args)) == NULL)
    fail ("out of memory");
  args[0] = (char *) argv0;
  args[1] = "--inhibit-cache";
  args[2] = "--library-path";
  args[3] = lib;
  args[4] = "--argv0";
  args[5] = (char *) argv0;
  args[6] = prog;
  for (int i = 1; i < argc; i++)
    args[6 + i] = argv[i];
  execv (loader, args);
  fail ("cannot run %s: %s", loader, strerror (errno));
}
