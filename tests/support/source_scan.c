/*
 * source_scan.c - see source_scan.h.
 */
#include "source_scan.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void
source_strip_comments(char *t)
{
	char *p = t, q;

	while (*p != '\0') {
		if (p[0] == '/' && p[1] == '*') {
			while (*p != '\0' && !(p[0] == '*' && p[1] == '/')) {
				if (*p != '\n')
					*p = ' ';
				p++;
			}
			if (*p != '\0') {
				p[0] = p[1] = ' ';
				p += 2;
			}
		} else if (p[0] == '/' && p[1] == '/') {
			while (*p != '\0' && *p != '\n')
				*p++ = ' ';
		} else if (*p == '"' || *p == '\'') {
			q = *p++;
			while (*p != '\0' && *p != q && *p != '\n')
				p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
			if (*p == q)
				p++;
		} else {
			p++;
		}
	}
}

char *
source_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long size;
	size_t len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)size + 1)) != NULL) {
		len = fread(text, 1, (size_t)size, f);
		text[len] = '\0';
	}
	fclose(f);
	return text;
}

size_t
source_scan_file(const char *top, const char *rel, source_scan_fn fn, void *ctx,
		 int *ok)
{
	char path[1024];
	char *text;
	size_t found;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if ((text = source_read(path)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", path);
		*ok = 0;
		return 0;
	}
	source_strip_comments(text);
	found = fn(text, rel, ctx);
	free(text);
	return found;
}

static int
is_c_source(const char *name)
{
	size_t n = strlen(name);

	return n > 2 && name[0] != '.' &&
	       (strcmp(name + n - 2, ".c") == 0 ||
		strcmp(name + n - 2, ".h") == 0);
}

size_t
source_scan_tree(const char *top, const char *rel, int recursive,
		 source_scan_fn fn, void *ctx, size_t *files, int *ok)
{
	char path[1024], sub[512];
	struct dirent *d;
	struct stat sb;
	size_t found = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if ((dir = opendir(path)) == NULL) {
		fprintf(stderr, "%s: cannot open\n", path);
		*ok = 0;
		return 0;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, d->d_name);
		snprintf(path, sizeof(path), "%s/%s", top, sub);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (recursive)
				found += source_scan_tree(top, sub, 1, fn, ctx,
							  files, ok);
			continue;
		}
		if (!is_c_source(d->d_name))
			continue;
		found += source_scan_file(top, sub, fn, ctx, ok);
		if (files != NULL)
			(*files)++;
	}
	closedir(dir);
	return found;
}
