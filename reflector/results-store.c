/* The results store over SQLite (see results-store.h). Migrations are SQL
 * scripts applied in order, each in its own transaction together with the
 * version it reaches, so a database is always at one known version. */
#include "reflector/results-store.h"

#include <sqlite3.h>
#include <string.h>

#include "common/quote.h"

struct _RpResultsStore {
  sqlite3 *db;
  char *path;
  gint version;
};

/* migrations[i] takes the schema from version i to version i + 1. */
static const char *const migrations[] = {
  "CREATE TABLE results ("
  " id INTEGER PRIMARY KEY,"
  " received_at INTEGER NOT NULL,"  /* Unix time */
  " label TEXT NOT NULL,"
  " address TEXT NOT NULL,"
  " agent TEXT,"
  " command TEXT NOT NULL,"
  " vantage TEXT NOT NULL,"         /* the report's vantage object, JSON */
  " report TEXT NOT NULL);"         /* the whole rtcprobe.report/1 document */
  "CREATE INDEX results_received ON results (received_at);"
  "CREATE INDEX results_label ON results (label, received_at);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == RP_RESULTS_SCHEMA_VERSION);

static gboolean
fail (RpResultsStore *st, int rc, const char *what, GError **error)
{
  g_autofree char *q = rp_quote_input (st->path, strlen (st->path), 120);
  int code = G_IO_ERROR_FAILED;

  if (rc == SQLITE_FULL)
    code = G_IO_ERROR_NO_SPACE;
  else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    code = G_IO_ERROR_BUSY;
  g_set_error (error, G_IO_ERROR, code, "%s: %s: %s", q, what,
               st->db != NULL ? sqlite3_errmsg (st->db) : sqlite3_errstr (rc));
  return FALSE;
}

static gboolean
exec (RpResultsStore *st, const char *sql, const char *what, GError **error)
{
  int rc = sqlite3_exec (st->db, sql, NULL, NULL, NULL);

  return rc == SQLITE_OK || fail (st, rc, what, error);
}

static void
rollback (RpResultsStore *st)
{
  if (!sqlite3_get_autocommit (st->db))
    sqlite3_exec (st->db, "ROLLBACK", NULL, NULL, NULL);
}

static gboolean
read_version (RpResultsStore *st, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT version FROM schema_version", -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    return fail (st, rc, "reading the schema version", error);
  rc = sqlite3_step (stmt);
  st->version = rc == SQLITE_ROW ? sqlite3_column_int (stmt, 0) : 0;
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail (st, rc, "reading the schema version", error);
  return TRUE;
}

static gboolean
migrate (RpResultsStore *st, GError **error)
{
  if (!exec (st, "BEGIN IMMEDIATE;"
             "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
             "INSERT INTO schema_version SELECT 0"
             " WHERE NOT EXISTS (SELECT 1 FROM schema_version);"
             "COMMIT;", "creating the schema version", error)
      || !read_version (st, error)) {
    rollback (st);
    return FALSE;
  }
  if (st->version > RP_RESULTS_SCHEMA_VERSION) {
    g_autofree char *q = rp_quote_input (st->path, strlen (st->path), 120);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "%s: schema version %d was written by a newer rtcprobe (this one knows %d)", q,
                 st->version, RP_RESULTS_SCHEMA_VERSION);
    return FALSE;
  }
  while (st->version < RP_RESULTS_SCHEMA_VERSION) {
    g_autofree char *bump = g_strdup_printf ("UPDATE schema_version SET version = %d;",
                                             st->version + 1);
    if (!exec (st, "BEGIN IMMEDIATE", "migrating the schema", error)
        || !exec (st, migrations[st->version], "migrating the schema", error)
        || !exec (st, bump, "migrating the schema", error)
        || !exec (st, "COMMIT", "migrating the schema", error)) {
      rollback (st);
      return FALSE;
    }
    st->version++;
  }
  return TRUE;
}

RpResultsStore *
rp_results_store_open (const char *path, guint busy_ms, GError **error)
{
  g_autoptr (RpResultsStore) st = g_new0 (RpResultsStore, 1);
  int rc;

  st->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                        | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    fail (st, rc, "cannot open the results database", error);
    return NULL;
  }
  sqlite3_busy_timeout (st->db, (int) busy_ms);
  sqlite3_extended_result_codes (st->db, 0);
  if (!exec (st, "PRAGMA journal_mode=WAL", "setting the WAL journal", error)
      || !exec (st, "PRAGMA synchronous=FULL", "setting synchronous writes", error)
      || !migrate (st, error))
    return NULL;
  return g_steal_pointer (&st);
}

void
rp_results_store_free (RpResultsStore *st)
{
  if (st == NULL)
    return;
  sqlite3_close_v2 (st->db);
  g_free (st->path);
  g_free (st);
}

gint
rp_results_store_version (RpResultsStore *st)
{
  return st->version;
}

static gboolean
insert (RpResultsStore *st, const RpResultIn *r, GError **error)
{
  static const char sql[] =
    "INSERT INTO results (received_at, label, address, agent, command, vantage, report)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (st->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    return fail (st, rc, "storing the result", error);
  sqlite3_bind_int64 (stmt, 1, r->received_s);
  sqlite3_bind_text (stmt, 2, r->label, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, r->address, -1, SQLITE_STATIC);
  if (r->agent != NULL)
    sqlite3_bind_text (stmt, 4, r->agent, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 4);
  sqlite3_bind_text (stmt, 5, r->upload->command, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, r->upload->vantage, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, r->upload->json, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE || fail (st, rc, "storing the result", error);
}

gint64
rp_results_store_add (RpResultsStore *st, const RpResultIn *r, gint64 retention_s,
                      guint max_results, GError **error)
{
  g_autofree char *prune = g_strdup_printf (
    "DELETE FROM results WHERE received_at < %" G_GINT64_FORMAT ";"
    "DELETE FROM results WHERE id <= (SELECT id FROM results ORDER BY id DESC"
    " LIMIT 1 OFFSET %u);", r->received_s - retention_s, max_results);
  gint64 id;

  if (!exec (st, "BEGIN IMMEDIATE", "storing the result", error))
    return 0;
  if (!insert (st, r, error)) {
    rollback (st);
    return 0;
  }
  id = sqlite3_last_insert_rowid (st->db);
  if (!exec (st, prune, "removing old results", error)
      || !exec (st, "COMMIT", "storing the result", error)) {
    rollback (st);
    return 0;
  }
  return id;
}

gint64
rp_results_store_count (RpResultsStore *st, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (st->db, "SELECT count(*) FROM results", -1, &stmt, NULL);
  gint64 n = -1;

  if (rc != SQLITE_OK) {
    fail (st, rc, "counting results", error);
    return -1;
  }
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  else
    fail (st, rc, "counting results", error);
  sqlite3_finalize (stmt);
  return n;
}

void
rp_result_row_free (RpResultRow *row)
{
  if (row == NULL)
    return;
  g_free (row->label);
  g_free (row->address);
  g_free (row->agent);
  g_free (row->command);
  g_free (row->vantage);
  g_free (row->report);
  g_free (row);
}

RpResultsStore *
rp_results_store_open_readonly (const char *path, GError **error)
{
  g_autoptr (RpResultsStore) st = g_new0 (RpResultsStore, 1);
  int rc;

  st->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    fail (st, rc, "cannot open the results database", error);
    return NULL;
  }
  sqlite3_busy_timeout (st->db, 1000);
  if (!read_version (st, error))
    return NULL;
  if (st->version != RP_RESULTS_SCHEMA_VERSION) {
    g_autofree char *q = rp_quote_input (path, strlen (path), 120);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "%s: schema version %d (this rtcprobe reads %d)", q, st->version,
                 RP_RESULTS_SCHEMA_VERSION);
    return NULL;
  }
  return g_steal_pointer (&st);
}

static char *
text_column (sqlite3_stmt *stmt, int i)
{
  const unsigned char *t = sqlite3_column_text (stmt, i);

  return t != NULL ? g_strdup ((const char *) t) : NULL;
}

GPtrArray *
rp_results_store_list (RpResultsStore *st, gint64 since_s, const char *label, guint max_rows,
                       GError **error)
{
  static const char sql[] =
    "SELECT * FROM (SELECT id, received_at, label, address, agent, command, vantage, report"
    " FROM results WHERE received_at >= ?1 AND (?2 IS NULL OR label = ?2)"
    " ORDER BY id DESC LIMIT ?3) ORDER BY id";
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) rp_result_row_free);
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (st->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK) {
    fail (st, rc, "reading results", error);
    return NULL;
  }
  sqlite3_bind_int64 (stmt, 1, since_s);
  if (label != NULL)
    sqlite3_bind_text (stmt, 2, label, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 2);
  sqlite3_bind_int64 (stmt, 3, max_rows);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    RpResultRow *r = g_new0 (RpResultRow, 1);
    r->id = sqlite3_column_int64 (stmt, 0);
    r->received_s = sqlite3_column_int64 (stmt, 1);
    r->label = text_column (stmt, 2);
    r->address = text_column (stmt, 3);
    r->agent = text_column (stmt, 4);
    r->command = text_column (stmt, 5);
    r->vantage = text_column (stmt, 6);
    r->report = text_column (stmt, 7);
    g_ptr_array_add (rows, r);
  }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE) {
    fail (st, rc, "reading results", error);
    return NULL;
  }
  return g_steal_pointer (&rows);
}
