/* The reflector's results store (reflector/results-store.h) on a real
 * SQLite file in a temporary directory, and the upload check in front of
 * it (reflector/protocol/results-upload.h): what is refused leaves no row,
 * what is kept reads back byte for byte, retention and max_results remove
 * the old rows and nothing else, a locked database is an error. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "reflector/protocol/results-upload.h"
#include "reflector/results-store.h"

#define REPORT                                                                                  \
  "{\"schema\":\"rtcprobe.report/1\",\"tool\":{\"name\":\"rtcprobe\",\"version\":\"0.9\"},"    \
  "\"command\":\"check\",\"started_at\":\"2026-01-01T00:00:00Z\",\"duration_ms\":5,"           \
  "\"vantage\":{\"label\":\"hotel\",\"from\":\"a hotel\"},\"checks\":[]}"

typedef struct {
  char *dir, *path;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("rtcprobe-results-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "results.db", NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  const char *suffix[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffix); i++) {
    g_autofree char *p = g_strconcat (f->path, suffix[i], NULL);
    g_unlink (p);
  }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static RpUploadStatus
parse (const char *text, gsize max, RpUpload *out)
{
  g_autoptr (GError) error = NULL;
  RpUploadStatus st = rp_upload_parse (text, strlen (text), max, out, &error);

  if (st == RP_UPLOAD_OK)
    g_assert_no_error (error);
  else
    g_assert_nonnull (error);
  return st;
}

static void
test_upload_ok (void)
{
  RpUpload u = { 0 };

  g_assert_cmpint (parse (REPORT, 4096, &u), ==, RP_UPLOAD_OK);
  g_assert_cmpstr (u.command, ==, "check");
  g_assert_cmpstr (u.tool_version, ==, "0.9");
  g_assert_cmpstr (u.vantage, ==, "{\"label\":\"hotel\",\"from\":\"a hotel\"}");
  g_assert_cmpstr (u.json, ==, REPORT);
  g_assert_cmpuint (rp_upload_http_status (RP_UPLOAD_OK), ==, 200);
  rp_upload_clear (&u);
}

static void
test_upload_refused (void)
{
  RpUpload u = { 0 };
  g_autofree char *deep = g_strnfill (RP_UPLOAD_MAX_DEPTH + 1, '[');

  g_assert_cmpint (parse (REPORT, strlen (REPORT) - 1, &u), ==, RP_UPLOAD_TOO_LARGE);
  g_assert_cmpuint (rp_upload_http_status (RP_UPLOAD_TOO_LARGE), ==, 413);
  g_assert_cmpint (parse ("", 4096, &u), ==, RP_UPLOAD_MALFORMED);
  g_assert_cmpint (parse ("{\"schema\":", 4096, &u), ==, RP_UPLOAD_MALFORMED);
  g_assert_cmpint (parse ("\"\xff\xfe\"", 4096, &u), ==, RP_UPLOAD_MALFORMED);
  g_assert_cmpint (parse (deep, 4096, &u), ==, RP_UPLOAD_MALFORMED);
  g_assert_cmpuint (rp_upload_http_status (RP_UPLOAD_MALFORMED), ==, 400);
  g_assert_cmpint (parse ("[1,2]", 4096, &u), ==, RP_UPLOAD_NOT_REPORT);
  g_assert_cmpint (parse ("{\"schema\":\"rtcprobe.report/2\",\"command\":\"check\","
                          "\"started_at\":\"x\",\"checks\":[]}", 4096, &u), ==,
                   RP_UPLOAD_NOT_REPORT);
  g_assert_cmpint (parse ("{\"schema\":\"rtcprobe.report/1\",\"command\":\"check\","
                          "\"started_at\":\"x\",\"checks\":{}}", 4096, &u), ==,
                   RP_UPLOAD_NOT_REPORT);
  /* A lone surrogate: json-glib refuses it or decodes it into bytes that
   * are not UTF-8; either way no row. */
  g_assert_cmpint (parse ("{\"schema\":\"rtcprobe.report/1\",\"command\":\"\\udc00\","
                          "\"started_at\":\"x\",\"checks\":[]}", 4096, &u), !=, RP_UPLOAD_OK);
  g_assert_cmpuint (rp_upload_http_status (RP_UPLOAD_NOT_REPORT), ==, 422);
  g_assert_null (u.json);
}

static gint64
add (RpResultsStore *st, gint64 when, const char *label, gint64 retention_s, guint max,
     GError **error)
{
  RpUpload u = { 0 };
  RpResultIn in = { when, label, "192.0.2.7", "rtcprobe/0.9", &u };
  gint64 id;

  g_assert_cmpint (parse (REPORT, 4096, &u), ==, RP_UPLOAD_OK);
  id = rp_results_store_add (st, &in, retention_s, max, error);
  rp_upload_clear (&u);
  return id;
}

/* A column of the row with id, read by a connection of the test's own. */
static char *
column (const char *path, gint64 id, const char *name)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM results WHERE id = %" G_GINT64_FORMAT,
                                          name, id);
  char *v = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

static void
test_store_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpResultsStore) st = rp_results_store_open (f->path, 100, &error);
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *report = NULL, *label = NULL, *address = NULL, *agent = NULL;
  g_autofree char *vantage = NULL, *mode = NULL;
  gint64 id;

  g_assert_no_error (error);
  g_assert_cmpint (rp_results_store_version (st), ==, RP_RESULTS_SCHEMA_VERSION);
  id = add (st, 1700000000, "hotel wifi", 86400, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_clear_pointer (&st, rp_results_store_free);
  /* Reopened: the row is there, unchanged, and the schema is not redone. */
  st = rp_results_store_open (f->path, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rp_results_store_count (st, &error), ==, 1);
  report = column (f->path, id, "report");
  label = column (f->path, id, "label");
  address = column (f->path, id, "address");
  agent = column (f->path, id, "agent");
  vantage = column (f->path, id, "json_extract(vantage, '$.label')");
  mode = column (f->path, id, "(SELECT journal_mode FROM pragma_journal_mode)");
  g_assert_cmpstr (report, ==, REPORT);
  g_assert_cmpstr (label, ==, "hotel wifi");
  g_assert_cmpstr (address, ==, "192.0.2.7");
  g_assert_cmpstr (agent, ==, "rtcprobe/0.9");
  g_assert_cmpstr (vantage, ==, "hotel");
  g_assert_cmpstr (mode, ==, "wal");
}

static void
test_store_retention (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpResultsStore) st = rp_results_store_open (f->path, 100, &error);
  gint64 day = 86400, keep;
  g_autofree char *label = NULL, *gone = NULL;

  g_assert_no_error (error);
  add (st, 1000 * day, "old", 30 * day, 100, &error);
  keep = add (st, 1020 * day, "recent", 30 * day, 100, &error);
  g_assert_cmpint (rp_results_store_count (st, &error), ==, 2);
  /* 31 days after the first: only it is older than the 30 days kept. */
  add (st, 1031 * day, "new", 30 * day, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rp_results_store_count (st, &error), ==, 2);
  label = column (f->path, keep, "label");
  g_assert_cmpstr (label, ==, "recent");
  /* max_results 2: the oldest goes, the newest two stay. */
  add (st, 1032 * day, "newest", 30 * day, 2, &error);
  g_assert_cmpint (rp_results_store_count (st, &error), ==, 2);
  gone = column (f->path, keep, "label");
  g_assert_null (gone);
}

static void
test_store_locked (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpResultsStore) st = rp_results_store_open (f->path, 50, &error);
  sqlite3 *other = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (f->path, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "BEGIN EXCLUSIVE; INSERT INTO results (received_at,"
                                 " label, address, command, vantage, report)"
                                 " VALUES (1, 'x', 'x', 'x', 'x', 'x')", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (add (st, 1700000000, "busy", 86400, 10, &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "results.db"));
  sqlite3_exec (other, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (other);
  g_clear_error (&error);
  g_assert_cmpint (rp_results_store_count (st, &error), ==, 0);
  g_assert_cmpint (add (st, 1700000000, "free again", 86400, 10, &error), >, 0);
}

static void
test_store_newer_schema (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RpResultsStore) st = rp_results_store_open (f->path, 50, &error);
  sqlite3 *db = NULL;

  g_assert_no_error (error);
  g_clear_pointer (&st, rp_results_store_free);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  st = rp_results_store_open (f->path, 50, &error);
  g_assert_null (st);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "newer rtcprobe"));
}

static void
test_store_not_a_database (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  RpResultsStore *st;

  g_assert_true (g_file_set_contents (f->path, "this is not SQLite, it is text and more text"
                                      " that fills more than a header's hundred bytes .........."
                                      "..........................................", -1, NULL));
  st = rp_results_store_open (f->path, 50, &error);
  g_assert_null (st);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "results.db"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/results/upload/ok", test_upload_ok);
  g_test_add_func ("/results/upload/refused", test_upload_refused);
  g_test_add ("/results/store/round-trip", Fixture, NULL, setup, test_store_round_trip, teardown);
  g_test_add ("/results/store/retention", Fixture, NULL, setup, test_store_retention, teardown);
  g_test_add ("/results/store/locked", Fixture, NULL, setup, test_store_locked, teardown);
  g_test_add ("/results/store/newer-schema", Fixture, NULL, setup, test_store_newer_schema,
              teardown);
  g_test_add ("/results/store/not-a-database", Fixture, NULL, setup, test_store_not_a_database,
              teardown);
  return g_test_run ();
}
