/* The reflector's results store: every tester's result it receives, in one
 * SQLite database ([results] database). WAL journal, one transaction per
 * result, synchronous=FULL: a result is acknowledged only once it is on
 * disk, so a killed reflector keeps every acknowledged row. The schema
 * carries its version (table schema_version) and is migrated forward on
 * open; a database written by a newer rtcprobe is refused, never changed. */
#pragma once

#include <gio/gio.h>

#include "reflector/protocol/results-upload.h"

G_BEGIN_DECLS

#define RP_RESULTS_SCHEMA_VERSION 1

typedef struct _RpResultsStore RpResultsStore;

/* One result as received: when, from whom, what. */
typedef struct {
  gint64 received_s;        /* Unix time */
  const char *label;        /* the invite's label */
  const char *address;      /* the tester's public address as the reflector saw it */
  const char *agent;        /* the browser's User-Agent or "rtcprobe/VERSION"; NULL: unknown */
  const RpUpload *upload;
} RpResultIn;

/* Opens (creating it if absent) and migrates the database at path. A busy
 * database is waited for at most busy_ms milliseconds. G_IO_ERROR naming
 * the file on failure. */
RpResultsStore *rp_results_store_open (const char *path, guint busy_ms, GError **error);
void rp_results_store_free (RpResultsStore *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpResultsStore, rp_results_store_free)

/* Stores r in one transaction, which also removes rows received more than
 * retention_s seconds before r and the oldest beyond max_results. Returns
 * the row's id (> 0), or 0 with error: G_IO_ERROR_NO_SPACE (the disk or
 * database is full), G_IO_ERROR_BUSY (locked by another process), or
 * G_IO_ERROR_FAILED. Nothing of r is kept on error. */
gint64 rp_results_store_add (RpResultsStore *st, const RpResultIn *r, gint64 retention_s,
                             guint max_results, GError **error);
/* Rows in the store (-1 with error). */
gint64 rp_results_store_count (RpResultsStore *st, GError **error);
/* One stored row, as read back. */
typedef struct {
  gint64 id, received_s;
  char *label, *address, *agent, *command, *vantage, *report;
} RpResultRow;

void rp_result_row_free (RpResultRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RpResultRow, rp_result_row_free)

/* Opens an existing database for reading only (`rtcprobe results`): never
 * created, never migrated; a schema newer than this rtcprobe's is refused. */
RpResultsStore *rp_results_store_open_readonly (const char *path, GError **error);
/* Rows received at or after since_s (0: all) with this label (NULL: any),
 * oldest first, at most max_rows (the newest of them). RpResultRow*, or
 * NULL with error. */
GPtrArray *rp_results_store_list (RpResultsStore *st, gint64 since_s, const char *label,
                                  guint max_rows, GError **error);
/* The schema version of the open database. */
gint rp_results_store_version (RpResultsStore *st);

G_END_DECLS
