/* Checking an uploaded result before it may reach the store (see
 * results-upload.h): size first, then nesting depth (common/json-guard.h),
 * UTF-8, JSON syntax (RFC 8259), then the report's shape: schema
 * "rtcprobe.report/1", a command, a started_at time, a checks array. */
#include "reflector/protocol/results-upload.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "common/json-guard.h"

#define SCHEMA "rtcprobe.report/1"

static RpUploadStatus
refuse (GError **error, RpUploadStatus status, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static RpUploadStatus
refuse (GError **error, RpUploadStatus status, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, msg);
  return status;
}

/* A string member of at most RP_UPLOAD_FIELD_MAX bytes, or NULL. */
static const char *
short_string (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  const char *s;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  s = json_node_get_string (n);
  if (s == NULL || *s == '\0' || strlen (s) > RP_UPLOAD_FIELD_MAX)
    return NULL;
  return s;
}

static JsonObject *
object_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

RpUploadStatus
rp_upload_parse (const char *data, gsize len, gsize max_size, RpUpload *out, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local = NULL;
  JsonNode *root, *checks, *vantage;
  JsonObject *o;
  const char *schema, *command;
  g_autofree char *vantage_text = NULL;

  if (len > max_size)
    return refuse (error, RP_UPLOAD_TOO_LARGE, "the result is %" G_GSIZE_FORMAT
                   " bytes, over the limit of %" G_GSIZE_FORMAT, len, max_size);
  if (len == 0)
    return refuse (error, RP_UPLOAD_MALFORMED, "the result is empty");
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, len, NULL))
    return refuse (error, RP_UPLOAD_MALFORMED, "the result is not UTF-8 text");
  if (!rp_json_depth_ok (data, len, RP_UPLOAD_MAX_DEPTH))
    return refuse (error, RP_UPLOAD_MALFORMED, "the result nests deeper than %u levels",
                   RP_UPLOAD_MAX_DEPTH);
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local))
    return refuse (error, RP_UPLOAD_MALFORMED, "the result is not JSON: %s", local->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return refuse (error, RP_UPLOAD_NOT_REPORT, "the result is not a JSON object");
  o = json_node_get_object (root);
  schema = short_string (o, "schema");
  if (schema == NULL || !g_str_equal (schema, SCHEMA))
    return refuse (error, RP_UPLOAD_NOT_REPORT, "the result is not an " SCHEMA " report");
  command = short_string (o, "command");
  checks = json_object_get_member (o, "checks");
  if (command == NULL || short_string (o, "started_at") == NULL || checks == NULL
      || !JSON_NODE_HOLDS_ARRAY (checks))
    return refuse (error, RP_UPLOAD_NOT_REPORT,
                   "the report lacks its command, started_at or checks");
  vantage = json_object_get_member (o, "vantage");
  if (vantage != NULL && JSON_NODE_HOLDS_OBJECT (vantage))
    vantage_text = json_to_string (vantage, FALSE);
  /* json-glib decodes \u escapes into strings that may not be UTF-8. */
  if (vantage_text != NULL && !g_utf8_validate (vantage_text, -1, NULL))
    return refuse (error, RP_UPLOAD_NOT_REPORT, "the report's vantage is not UTF-8 text");
  if (!g_utf8_validate (command, -1, NULL))
    return refuse (error, RP_UPLOAD_NOT_REPORT, "the report's command is not UTF-8 text");
  out->command = g_strdup (command);
  out->tool_version = g_strdup (short_string (object_member (o, "tool"), "version"));
  if (out->tool_version != NULL && !g_utf8_validate (out->tool_version, -1, NULL))
    g_clear_pointer (&out->tool_version, g_free);
  out->vantage = vantage_text != NULL ? g_steal_pointer (&vantage_text) : g_strdup ("null");
  out->json = g_strndup (data, len);
  return RP_UPLOAD_OK;
}

void
rp_upload_clear (RpUpload *u)
{
  g_clear_pointer (&u->command, g_free);
  g_clear_pointer (&u->tool_version, g_free);
  g_clear_pointer (&u->vantage, g_free);
  g_clear_pointer (&u->json, g_free);
}

guint
rp_upload_http_status (RpUploadStatus status)
{
  switch (status) {
  case RP_UPLOAD_OK:
    return 200;
  case RP_UPLOAD_TOO_LARGE:
    return 413;
  case RP_UPLOAD_MALFORMED:
    return 400;
  case RP_UPLOAD_NOT_REPORT:
  default:
    return 422;
  }
}
