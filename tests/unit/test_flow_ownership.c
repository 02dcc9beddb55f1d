/*
 * test_flow_ownership.c - what the flows write, as data (ps_flow_ops.owns):
 * no two flows own the same field of the same object in the same
 * direction, each row agrees with its flow's direction, and README.md's
 * "Who writes what" table lists exactly these rows with the same owners.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/flow.h"
#include "pearlsync/platform.h"

/* Two rows overlap: same place, same direction, same field or a "*". */
static int
overlap(const ps_flow_owns *a, const ps_flow_owns *b)
{
	return a->platform == b->platform && a->from == b->from &&
	       strcmp(a->object, b->object) == 0 &&
	       (strcmp(a->field, b->field) == 0 || strcmp(a->field, "*") == 0 ||
		strcmp(b->field, "*") == 0);
}

static void
test_no_two_owners(void **state)
{
	const ps_flow_ops *const *flows = ps_flows_all();
	size_t i, j, k, l, nflows = 0, total = 0;

	(void)state;
	for (i = 0; flows[i] != NULL; i++) {
		const ps_flow_ops *f = flows[i];

		nflows++;
		total += f->nowns;
		assert_true(f->nowns == 0 || f->owns != NULL);
		for (k = 0; k < f->nowns; k++) {
			const ps_flow_owns *r = &f->owns[k];

			/* a flow writes its target from its source */
			assert_int_equal(r->platform, f->target);
			assert_int_equal(r->from, f->source);
			assert_non_null(r->object);
			assert_non_null(r->field);
			assert_true(r->object[0] != '\0' &&
				    r->field[0] != '\0');
			for (j = i + 1; flows[j] != NULL; j++)
				for (l = 0; l < flows[j]->nowns; l++)
					if (overlap(r, &flows[j]->owns[l])) {
						print_error(
							"%s and %s both own "
							"%s.%s\n",
							f->name, flows[j]->name,
							r->object, r->field);
						fail();
					}
		}
	}
	assert_true(nflows >= 5);
	assert_true(total >= nflows);
}

/* The overlap rule itself: a "*" row claims every field of its object. */
static void
test_overlap_rule(void **state)
{
	const ps_flow_owns a = {PS_PLATFORM_BIGCOMMERCE, "order", "status",
				PS_PLATFORM_BRIGHTPEARL};
	const ps_flow_owns star = {PS_PLATFORM_BIGCOMMERCE, "order", "*",
				   PS_PLATFORM_BRIGHTPEARL};
	const ps_flow_owns other_way = {PS_PLATFORM_BIGCOMMERCE, "order",
					"status", PS_PLATFORM_DSCO};
	const ps_flow_owns other_field = {PS_PLATFORM_BIGCOMMERCE, "order",
					  "staff_notes",
					  PS_PLATFORM_BRIGHTPEARL};

	(void)state;
	assert_true(overlap(&a, &a));
	assert_true(overlap(&a, &star));
	assert_true(overlap(&star, &other_field));
	assert_false(overlap(&a, &other_way));
	assert_false(overlap(&a, &other_field));
}

/* ---- README.md ----------------------------------------------------------- */

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Cell i (0-based) of table row line into out, trimmed. */
static void
cell(char *out, size_t cap, const char *line, int i)
{
	const char *p = line, *end;
	size_t n;
	int j;

	for (j = 0; j <= i; j++) {
		p = strchr(p, '|');
		assert_non_null(p);
		p++;
	}
	end = strchr(p, '|');
	assert_non_null(end);
	while (*p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	n = (size_t)(end - p);
	assert_true(n < cap);
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The platform whose title starts s ("Brightpearl → ..."), or -1. */
static int
platform_titled(const char *s)
{
	const ps_platform_ops *const *all = ps_platforms_all();
	size_t i, n;

	for (i = 0; all[i] != NULL; i++) {
		n = strlen(all[i]->title);
		if (strncmp(s, all[i]->title, n) == 0 &&
		    (s[n] == ' ' || s[n] == '\0'))
			return (int)all[i]->id;
	}
	return -1;
}

/* The platform named name (len bytes), or -1. */
static int
platform_named(const char *name, size_t len)
{
	const ps_platform_ops *const *all = ps_platforms_all();
	size_t i;

	for (i = 0; all[i] != NULL; i++)
		if (strlen(all[i]->name) == len &&
		    strncmp(all[i]->name, name, len) == 0)
			return (int)all[i]->id;
	return -1;
}

#define MAX_SEEN 256

static void
test_readme_matches(void **state)
{
	const char *dir = getenv("PS_SOURCE_DIR");
	const ps_flow_ops *const *flows = ps_flows_all();
	char path[4096], owner[1024], dirn[1024], writes[1024];
	char *text, *line, *next;
	const ps_flow_owns *seen[MAX_SEEN];
	size_t nseen = 0, total = 0, nrows = 0, i, k;
	int in_section = 0, in_table = 0;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/README.md", dir);
	text = slurp(path);
	for (line = text; line != NULL; line = next) {
		const ps_flow_ops *f;
		const char *p, *q, *owner_name;
		int from, to;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "### Who writes what", 19) == 0) {
			in_section = 1;
			continue;
		}
		if (!in_section)
			continue;
		if (line[0] != '|') {
			if (in_table || strncmp(line, "#", 1) == 0)
				break; /* the table (or the section) ended */
			continue;
		}
		if (!in_table) { /* the header and the rule under it */
			cell(writes, sizeof(writes), line, 4);
			assert_string_equal(writes, "writes");
			in_table = 1;
			continue;
		}
		if (strncmp(line, "|---", 4) == 0)
			continue;
		nrows++;
		/* owner: the first `name` in the cell */
		cell(owner, sizeof(owner), line, 2);
		assert_true(owner[0] == '`');
		owner_name = owner + 1;
		*strchr(owner + 1, '`') = '\0';
		f = ps_flow_find(owner_name);
		if (f == NULL) {
			print_error("README names no flow '%s'\n", owner_name);
			fail();
		}
		/* direction: "<source title> → <target title> ..." */
		cell(dirn, sizeof(dirn), line, 1);
		from = platform_titled(dirn);
		p = strstr(dirn, " \xe2\x86\x92 ");
		assert_non_null(p);
		to = platform_titled(p + 5);
		assert_int_equal(from, (int)f->source);
		assert_int_equal(to, (int)f->target);
		/* writes: `platform/object/field`, ... each owned by f */
		cell(writes, sizeof(writes), line, 4);
		for (p = writes; (p = strchr(p, '`')) != NULL; p = q + 1) {
			const char *s1, *s2;
			int plat, found = 0;

			q = strchr(p + 1, '`');
			assert_non_null(q);
			s1 = memchr(p + 1, '/', (size_t)(q - p - 1));
			assert_non_null(s1);
			s2 = memchr(s1 + 1, '/', (size_t)(q - s1 - 1));
			assert_non_null(s2);
			plat = platform_named(p + 1, (size_t)(s1 - p - 1));
			assert_int_equal(plat, to);
			for (k = 0; k < f->nowns && !found; k++) {
				const ps_flow_owns *r = &f->owns[k];

				if ((int)r->platform != plat ||
				    (int)r->from != from ||
				    strlen(r->object) !=
					    (size_t)(s2 - s1 - 1) ||
				    strncmp(r->object, s1 + 1,
					    (size_t)(s2 - s1 - 1)) != 0 ||
				    strlen(r->field) != (size_t)(q - s2 - 1) ||
				    strncmp(r->field, s2 + 1,
					    (size_t)(q - s2 - 1)) != 0)
					continue;
				found = 1;
				for (i = 0; i < nseen; i++)
					assert_true(seen[i] != r);
				assert_true(nseen < MAX_SEEN);
				seen[nseen++] = r;
			}
			if (!found) {
				print_error("README: %s does not own %.*s\n",
					    f->name, (int)(q - p - 1), p + 1);
				fail();
			}
		}
	}
	free(text);
	assert_true(nrows >= 5);
	/* every row of the data is in the table */
	for (i = 0; flows[i] != NULL; i++) {
		total += flows[i]->nowns;
		for (k = 0; k < flows[i]->nowns; k++) {
			size_t j;
			int listed = 0;

			for (j = 0; j < nseen; j++)
				listed |= seen[j] == &flows[i]->owns[k];
			if (!listed) {
				print_error("README lacks %s: %s.%s\n",
					    flows[i]->name,
					    flows[i]->owns[k].object,
					    flows[i]->owns[k].field);
				fail();
			}
		}
	}
	assert_int_equal(nseen, total);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlap_rule),
		cmocka_unit_test(test_no_two_owners),
		cmocka_unit_test(test_readme_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
