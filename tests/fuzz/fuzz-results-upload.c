/* Fuzz target: a result uploaded to the reflector's store
 * (reflector/protocol/results-upload.h). Whatever the bytes, the answer is
 * one of the statuses; only RP_UPLOAD_OK fills the result, and then every
 * field is UTF-8, the document is the input unchanged, the command within
 * its bound; over the size limit nothing is read. */
#include <stdint.h>
#include <string.h>

#include "reflector/protocol/results-upload.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  RpUpload u = { 0 };
  RpUploadStatus st = rp_upload_parse ((const char *) data, size, 65536, &u, NULL);
  guint http = rp_upload_http_status (st);

  g_assert_true (http == 200 || http == 400 || http == 413 || http == 422);
  if (st != RP_UPLOAD_OK) {
    g_assert_null (u.json);
    g_assert_null (u.command);
  } else {
    g_assert_cmpuint (strlen (u.json), ==, size);
    g_assert_true (memcmp (u.json, data, size) == 0);
    g_assert_true (g_utf8_validate (u.command, -1, NULL));
    g_assert_cmpuint (strlen (u.command), <=, RP_UPLOAD_FIELD_MAX);
    g_assert_true (g_utf8_validate (u.vantage, -1, NULL));
    g_assert_true (u.tool_version == NULL || g_utf8_validate (u.tool_version, -1, NULL));
  }
  rp_upload_clear (&u);
  /* The same bytes one octet over a limit: refused before parsing. */
  if (size > 0)
    g_assert_cmpint (rp_upload_parse ((const char *) data, size, size - 1, &u, NULL), ==,
                     RP_UPLOAD_TOO_LARGE);
  return 0;
}
