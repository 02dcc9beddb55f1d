/*
 * test_db.c - scratch databases for tests (see test_db.h).
 */
#include "test_db.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
test_db_mkdir(test_db *db, const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	memset(db, 0, sizeof(*db));
	/* a long $TMPDIR would cut the name: fall back to /tmp */
	n = snprintf(db->dir, sizeof(db->dir), "%s/ps-%s-XXXXXX",
		     tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp",
		     tag != NULL ? tag : "test");
	if (n < 0 || (size_t)n >= sizeof(db->dir))
		snprintf(db->dir, sizeof(db->dir), "/tmp/ps-test-XXXXXX");
	if (mkdtemp(db->dir) == NULL) {
		fprintf(stderr, "test_db: cannot create %s\n", db->dir);
		db->dir[0] = '\0';
		return -1;
	}
	test_db_file(db->path, sizeof(db->path), db, "pearlsync.db");
	return 0;
}

int
test_db_open(test_db *db, const char *tag)
{
	if (test_db_mkdir(db, tag) < 0)
		return -1;
	if (ps_store_open(&db->st, db->path, 0) < 0) {
		fprintf(stderr, "test_db: %s\n", ps_error_last());
		test_db_close(db);
		return -1;
	}
	return 0;
}

char *
test_db_file(char *buf, size_t cap, const test_db *db, const char *name)
{
	snprintf(buf, cap, "%s/%s", db->dir, name);
	return buf;
}

void
test_db_close(test_db *db)
{
	struct dirent *d;
	char p[400];
	DIR *dir;

	if (db == NULL)
		return;
	ps_store_close(db->st);
	db->st = NULL;
	if (db->dir[0] != '\0' && (dir = opendir(db->dir)) != NULL) {
		while ((d = readdir(dir)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", db->dir, d->d_name);
			unlink(p);
		}
		closedir(dir);
		rmdir(db->dir);
	}
	memset(db, 0, sizeof(*db));
}
