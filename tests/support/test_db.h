/*
 * test_db.h - the scratch database every test that needs a store uses.
 *
 * test_db_open() makes a private directory under $TMPDIR (or /tmp) and
 * opens a fresh store in it; test_db_close() closes the store and removes
 * the directory with whatever the test left in it (the WAL and shared
 * memory files, scripts, dumps).  Tests that open the store themselves
 * (the store's own tests, a worker given a config) take the directory and
 * the path alone from test_db_mkdir().
 */
#ifndef PEARLSYNC_TEST_DB_H
#define PEARLSYNC_TEST_DB_H

#include <stddef.h>

#include "pearlsync/store.h"

typedef struct test_db {
	char dir[64];   /* scratch directory; "" when none */
	char path[128]; /* dir + "/pearlsync.db" */
	ps_store *st;   /* owned; NULL unless test_db_open made it */
} test_db;

/*
 * test_db_mkdir - zero db, create a scratch directory named after tag
 * ("ps-<tag>-XXXXXX") and fill in path; no store is opened.  Returns 0,
 * or -1 with the reason printed on stderr (db is then empty).
 */
int test_db_mkdir(test_db *db, const char *tag);

/*
 * test_db_open - test_db_mkdir, then open a fresh store on path into
 * db->st.  Returns 0, or -1 with the reason printed on stderr (nothing is
 * left behind).
 */
int test_db_open(test_db *db, const char *tag);

/*
 * test_db_file - "<dir>/<name>" into buf (cap bytes), for the other files
 * a test keeps next to its database.  Returns buf.
 */
char *test_db_file(char *buf, size_t cap, const test_db *db, const char *name);

/*
 * test_db_close - close db->st if open, delete every file in the scratch
 * directory and the directory, and zero db.  Accepts NULL and a db that
 * was never made or is already closed.
 */
void test_db_close(test_db *db);

#endif
