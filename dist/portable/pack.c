/* Makes the portable rtcprobe: copies the launcher to OUT, then appends every
 * file under DIR deflated, the index and the trailer (payload.h).
 *   pack LAUNCHER DIR KEY OUT
 * KEY names the bundle's contents (hex; the launcher's cache folder is named
 * by it). Writes OUT.tmp and renames it, so OUT is never a partial file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dist/portable/payload.h"

typedef struct {
  FILE *out;
  RpPortableEntry entries[RP_PORTABLE_MAX_FILES];
  uint32_t count;
} Pack;

static void
die (const char *what, const char *name)
{
  fprintf (stderr, "pack: %s %s: %s\n", what, name, strerror (errno));
  exit (1);
}

static void
add_file (Pack *k, const char *path, const char *name, mode_t mode)
{
  FILE *in = fopen (path, "rb");
  RpPortableEntry *e = &k->entries[k->count];
  unsigned char src[65536], dst[65536];
  z_stream z = { 0 };
  int flush;

  if (in == NULL)
    die ("cannot read", path);
  if (k->count == RP_PORTABLE_MAX_FILES || strlen (name) > RP_PORTABLE_MAX_NAME) {
    fprintf (stderr, "pack: too many files or a name too long: %s\n", name);
    exit (1);
  }
  snprintf (e->name, sizeof e->name, "%s", name);
  e->mode = mode & 0777;
  e->offset = (uint64_t) ftello (k->out);
  deflateInit (&z, 9);
  do {
    z.avail_in = (uInt) fread (src, 1, sizeof src, in);
    z.next_in = src;
    e->size += z.avail_in;
    flush = feof (in) ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.avail_out = sizeof dst;
      z.next_out = dst;
      deflate (&z, flush);
      fwrite (dst, 1, sizeof dst - z.avail_out, k->out);
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH);
  e->csize = (uint64_t) ftello (k->out) - e->offset;
  deflateEnd (&z);
  fclose (in);
  k->count++;
}

static void
add_dir (Pack *k, const char *path, const char *prefix)
{
  struct dirent **list;
  int n = scandir (path, &list, NULL, alphasort);

  if (n < 0)
    die ("cannot list", path);
  for (int i = 0; i < n; i++) {
    char full[4096], name[4096];
    struct stat st;
    if (strcmp (list[i]->d_name, ".") && strcmp (list[i]->d_name, "..")) {
      snprintf (full, sizeof full, "%s/%s", path, list[i]->d_name);
      snprintf (name, sizeof name, "%s%s", prefix, list[i]->d_name);
      if (stat (full, &st) != 0)
        die ("cannot stat", full);
      if (S_ISDIR (st.st_mode)) {
        strncat (name, "/", sizeof name - strlen (name) - 1);
        add_dir (k, full, name);
      } else {
        add_file (k, full, name, st.st_mode);
      }
    }
    free (list[i]);
  }
  free (list);
}

static void
copy_launcher (Pack *k, const char *path)
{
  FILE *in = fopen (path, "rb");
  unsigned char buf[65536];
  size_t n;

  if (in == NULL)
    die ("cannot read", path);
  while ((n = fread (buf, 1, sizeof buf, in)) > 0)
    fwrite (buf, 1, n, k->out);
  fclose (in);
}

int
main (int argc, char **argv)
{
  static Pack k;
  static unsigned char index[RP_PORTABLE_MAX_INDEX];
  unsigned char trailer[RP_PORTABLE_TRAILER_LEN];
  RpPortableTrailer t = { 0 };
  size_t ilen = 0;
  char tmp[4096];

  if (argc != 5 || strlen (argv[3]) != RP_PORTABLE_KEY_LEN) {
    fprintf (stderr, "usage: pack LAUNCHER DIR KEY(%d hex) OUT\n", RP_PORTABLE_KEY_LEN);
    return 2;
  }
  snprintf (tmp, sizeof tmp, "%s.tmp", argv[4]);
  if ((k.out = fopen (tmp, "wb")) == NULL)
    die ("cannot write", tmp);
  copy_launcher (&k, argv[1]);
  t.data_start = (uint64_t) ftello (k.out);
  add_dir (&k, argv[2], "");
  for (uint32_t i = 0; i < k.count; i++) {
    if (ilen + 30 + RP_PORTABLE_MAX_NAME > sizeof index) {
      fprintf (stderr, "pack: the index is too large\n");
      return 1;
    }
    ilen += rp_portable_entry_encode (&k.entries[i], index + ilen);
  }
  t.index_start = (uint64_t) ftello (k.out);
  t.index_len = ilen;
  t.count = k.count;
  memcpy (t.key, argv[3], RP_PORTABLE_KEY_LEN);
  fwrite (index, 1, ilen, k.out);
  rp_portable_trailer_encode (&t, trailer);
  fwrite (trailer, 1, sizeof trailer, k.out);
  if (fclose (k.out) != 0 || chmod (tmp, 0755) != 0 || rename (tmp, argv[4]) != 0)
    die ("cannot write", argv[4]);
  return 0;
}
