/* Reading and writing the portable bundle's index and trailer (payload.h).
 * Plain C and libc only: the launcher that uses it is linked statically and
 * runs before any library of the bundle is there. */
#include <string.h>

#include "dist/portable/payload.h"

static uint64_t
get_le (const unsigned char *p, int n)
{
  uint64_t v = 0;

  for (int i = n - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static void
put_le (unsigned char *p, uint64_t v, int n)
{
  for (int i = 0; i < n; i++, v >>= 8)
    p[i] = (unsigned char) (v & 0xff);
}

const char *
rp_portable_trailer_parse (const unsigned char *buf, size_t len, uint64_t file_size,
                           RpPortableTrailer *out)
{
  const unsigned char *p = buf + RP_PORTABLE_MAGIC_LEN;

  if (len != RP_PORTABLE_TRAILER_LEN || memcmp (buf, RP_PORTABLE_MAGIC, RP_PORTABLE_MAGIC_LEN))
    return "no bundle at its end (the file is truncated, or not a portable rtcprobe)";
  out->data_start = get_le (p, 8);
  out->index_start = get_le (p + 8, 8);
  out->index_len = get_le (p + 16, 8);
  memcpy (out->key, p + 24, RP_PORTABLE_KEY_LEN);
  out->key[RP_PORTABLE_KEY_LEN] = '\0';
  out->count = (uint32_t) get_le (p + 24 + RP_PORTABLE_KEY_LEN, 4);
  if (file_size < RP_PORTABLE_TRAILER_LEN
      || out->data_start > out->index_start
      || out->index_start > file_size - RP_PORTABLE_TRAILER_LEN
      || out->index_len != file_size - RP_PORTABLE_TRAILER_LEN - out->index_start
      || out->index_len > RP_PORTABLE_MAX_INDEX)
    return "the bundle's offsets do not fit the file (it is truncated or damaged)";
  if (out->count == 0 || out->count > RP_PORTABLE_MAX_FILES)
    return "the bundle names no files, or too many";
  if (strspn (out->key, "0123456789abcdef") != RP_PORTABLE_KEY_LEN)
    return "the bundle's key is not a hex digest";
  return NULL;
}

/* A relative path of plain segments: no "", ".", ".." segment, no leading '/'. */
static int
name_is_safe (const char *name, size_t n)
{
  static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-/";
  size_t seg = 0;

  if (n == 0 || strspn (name, ok) != n)
    return 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && name[i] != '/')
      continue;
    if (i == seg || (i - seg == 1 && name[seg] == '.')
        || (i - seg == 2 && name[seg] == '.' && name[seg + 1] == '.'))
      return 0;
    seg = i + 1;
  }
  return 1;
}

static const char *
entry_parse (const unsigned char **pp, const unsigned char *end, const RpPortableTrailer *t,
             RpPortableEntry *e)
{
  const unsigned char *p = *pp;
  size_t n;

  if (end - p < 2)
    return "the bundle's index ends inside an entry";
  n = (size_t) get_le (p, 2);
  if (n > RP_PORTABLE_MAX_NAME || (size_t) (end - p) < 2 + n + 28)
    return "the bundle's index ends inside an entry";
  memcpy (e->name, p + 2, n);
  e->name[n] = '\0';
  p += 2 + n;
  e->mode = (uint32_t) get_le (p, 4);
  e->offset = get_le (p + 4, 8);
  e->csize = get_le (p + 12, 8);
  e->size = get_le (p + 20, 8);
  *pp = p + 28;
  if (!name_is_safe (e->name, n))
    return "the bundle names a file outside its folder";
  if ((e->mode & ~0777u) != 0)
    return "the bundle gives a file a mode other than permissions";
  if (e->offset < t->data_start || e->offset > t->index_start
      || e->csize > t->index_start - e->offset || e->size > RP_PORTABLE_MAX_FILE_SIZE)
    return "a file of the bundle lies outside its data";
  return NULL;
}

const char *
rp_portable_index_parse (const unsigned char *buf, size_t len, const RpPortableTrailer *t,
                         RpPortableEntry *entries)
{
  const unsigned char *p = buf, *end = buf + len;
  const char *why;

  for (uint32_t i = 0; i < t->count; i++) {
    if ((why = entry_parse (&p, end, t, &entries[i])) != NULL)
      return why;
    for (uint32_t j = 0; j < i; j++)
      if (strcmp (entries[j].name, entries[i].name) == 0)
        return "the bundle names one file twice";
  }
  return p == end ? NULL : "the bundle's index has bytes past its last entry";
}

size_t
rp_portable_entry_encode (const RpPortableEntry *e, unsigned char *buf)
{
  size_t n = strlen (e->name);

  put_le (buf, n, 2);
  memcpy (buf + 2, e->name, n);
  put_le (buf + 2 + n, e->mode, 4);
  put_le (buf + 6 + n, e->offset, 8);
  put_le (buf + 14 + n, e->csize, 8);
  put_le (buf + 22 + n, e->size, 8);
  return 30 + n;
}

void
rp_portable_trailer_encode (const RpPortableTrailer *t, unsigned char *buf)
{
  unsigned char *p = buf + RP_PORTABLE_MAGIC_LEN;

  memset (buf, 0, RP_PORTABLE_TRAILER_LEN);
  memcpy (buf, RP_PORTABLE_MAGIC, RP_PORTABLE_MAGIC_LEN);
  put_le (p, t->data_start, 8);
  put_le (p + 8, t->index_start, 8);
  put_le (p + 16, t->index_len, 8);
  memcpy (p + 24, t->key, strnlen (t->key, RP_PORTABLE_KEY_LEN));
  put_le (p + 24 + RP_PORTABLE_KEY_LEN, t->count, 4);
}
