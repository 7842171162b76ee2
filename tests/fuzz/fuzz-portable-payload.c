/* Fuzz target for dist/portable/payload.c: the launcher's reading of its own
 * bundle. The input is a whole file's tail: its last RP_PORTABLE_TRAILER_LEN
 * bytes as the trailer, the bytes before as the rest. A trailer that parses
 * bounds its index inside the file; an index that parses names only safe,
 * distinct relative paths whose data lies between the data start and the
 * index; each entry encodes back to the bytes it came from. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "dist/portable/payload.h"

static void
check_entries (const unsigned char *index, size_t len, const RpPortableTrailer *t,
               const RpPortableEntry *e)
{
  unsigned char buf[30 + RP_PORTABLE_MAX_NAME];
  size_t at = 0;

  for (uint32_t i = 0; i < t->count; i++) {
    size_t n = rp_portable_entry_encode (&e[i], buf);
    g_auto (GStrv) segs = g_strsplit (e[i].name, "/", -1);
    for (guint k = 0; segs[k] != NULL; k++)
      g_assert_true (*segs[k] != '\0' && strcmp (segs[k], ".") && strcmp (segs[k], ".."));
    for (uint32_t j = 0; j < i; j++)
      g_assert_cmpstr (e[j].name, !=, e[i].name);
    g_assert_cmpuint (e[i].offset, >=, t->data_start);
    g_assert_cmpuint (e[i].offset + e[i].csize, <=, t->index_start);
    g_assert_cmpuint (e[i].mode & ~0777u, ==, 0);
    g_assert_cmpuint (at + n, <=, len);
    g_assert_cmpmem (buf, n, index + at, n);
    at += n;
  }
  g_assert_cmpuint (at, ==, len);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  RpPortableTrailer t;
  RpPortableEntry *entries;
  const unsigned char *index;

  if (size < RP_PORTABLE_TRAILER_LEN)
    return 0;
  if (rp_portable_trailer_parse (data + size - RP_PORTABLE_TRAILER_LEN, RP_PORTABLE_TRAILER_LEN,
                                 size, &t) != NULL)
    return 0;
  g_assert_cmpuint (t.index_start + t.index_len + RP_PORTABLE_TRAILER_LEN, ==, size);
  g_assert_cmpuint (t.count, >=, 1);
  g_assert_cmpuint (t.count, <=, RP_PORTABLE_MAX_FILES);
  index = data + t.index_start;
  entries = g_new0 (RpPortableEntry, t.count);
  if (rp_portable_index_parse (index, t.index_len, &t, entries) == NULL)
    check_entries (index, t.index_len, &t, entries);
  g_free (entries);
  return 0;
}
