/* The portable build's payload: the files of a bundle (the rtcprobe binary,
 * the libraries it runs with, the C library and its loader) appended to the
 * launcher, so that one file carries everything. The layout, all integers
 * little-endian:
 *   [launcher][file data, each deflated (zlib)][index][trailer]
 *   index:   per file: u16 name length, name, u32 mode, u64 offset, u64 deflated size,
 *            u64 size (offsets from the start of the whole file)
 *   trailer: the last RP_PORTABLE_TRAILER_LEN bytes: magic, u64 data start, u64 index
 *            start, u64 index length, the bundle's key (hex, NUL-padded), the count
 * The launcher trusts nothing it reads: rp_portable_trailer_parse() and
 * rp_portable_index_parse() bound every field (tests/fuzz/fuzz-portable-payload.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RP_PORTABLE_MAGIC "RTCPROBE-BUNDLE1"   /* 16 bytes, no NUL */
#define RP_PORTABLE_MAGIC_LEN 16
#define RP_PORTABLE_KEY_LEN 24                 /* hex digits of the content hash */
#define RP_PORTABLE_TRAILER_LEN (RP_PORTABLE_MAGIC_LEN + 3 * 8 + RP_PORTABLE_KEY_LEN + 8)
#define RP_PORTABLE_MAX_FILES 1024
#define RP_PORTABLE_MAX_NAME 255
#define RP_PORTABLE_MAX_INDEX (1024 * 1024)
#define RP_PORTABLE_MAX_FILE_SIZE (512ull * 1024 * 1024)

typedef struct {
  uint64_t data_start, index_start, index_len;
  char key[RP_PORTABLE_KEY_LEN + 1];
  uint32_t count;
} RpPortableTrailer;

typedef struct {
  char name[RP_PORTABLE_MAX_NAME + 1];   /* relative, '/'-separated, no "." or ".." */
  uint32_t mode;                          /* permission bits only */
  uint64_t offset, csize, size;
} RpPortableEntry;

/* Each returns NULL on success, else why the input is not a bundle (a constant string). */
const char *rp_portable_trailer_parse (const unsigned char *buf, size_t len, uint64_t file_size,
                                       RpPortableTrailer *out);
/* entries: room for t->count entries. */
const char *rp_portable_index_parse (const unsigned char *buf, size_t len,
                                     const RpPortableTrailer *t, RpPortableEntry *entries);

/* Writers for the packer: append the encoded form to buf (room checked by the caller). */
size_t rp_portable_entry_encode (const RpPortableEntry *e, unsigned char *buf);
void rp_portable_trailer_encode (const RpPortableTrailer *t, unsigned char *buf);
