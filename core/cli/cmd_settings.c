/*
 * cmd_settings.c - `pearlsync settings`: the operator settings kept in the
 * database, their history, rollback, and export/import as one JSON
 * document (settings and mappings) for provisioning without the console.
 *
 * Secrets (type "secret" in the catalogue) never leave this command in
 * clear: list, get and history mask them, and export leaves them out
 * unless asked to write them into a new 0600 file.  Every stored secret is
 * also registered with the redactor (ps_cli_open_store), so an error
 * message that quotes one prints ****.
 *
 * Import is all or nothing: the whole document is checked (JSON syntax,
 * shape, every key and value against the catalogue) before a single row is
 * written, and the writes happen in one transaction.
 */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pearlsync/config.h"
#include "pearlsync/log.h"
#include "pearlsync/setting_check.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"

#define EXPORT_MARKER "settings"
#define EXPORT_FORMAT_VERSION 1

const char ps_cli_usage_settings[] =
	"usage: pearlsync settings list\n"
	"       pearlsync settings get KEY\n"
	"       pearlsync settings set [--force] KEY VALUE  (VALUE '-': read "
	"a line\n"
	"                                           from stdin)\n"
	"       pearlsync settings unset KEY\n"
	"       pearlsync settings history [KEY]\n"
	"       pearlsync settings rollback VERSION\n"
	"       pearlsync settings export [--include-secrets -o FILE]\n"
	"       pearlsync settings import [--force] FILE  (FILE '-': stdin)\n"
	"\n"
	"Operator settings (connections, tokens, statuses, defaults, toggles)\n"
	"live in the database.  Every change is recorded in the history as a\n"
	"numbered change-set (version) with the time, the actor, the old and\n"
	"the new value; mapping changes are recorded there too, as keys\n"
	"\"mapping:KIND:DIRECTION:SOURCE\".\n"
	"\n"
	"  list      every known setting: key, type, value; '(default)' marks\n"
	"            a value that comes from the built-in default\n"
	"  get       the value of KEY (stored, else its default)\n"
	"  set       validate VALUE against KEY's type and store it; use '-'\n"
	"            for tokens so they stay out of the shell history.  An\n"
	"            id picked from a platform's list (a default warehouse,\n"
	"            channel, status...) must be in that list: it is\n"
	"            fetched afresh when the copy fetched before is missing\n"
	"            or older than 10 minutes, and a platform that cannot be\n"
	"            reached refuses the value; --force stores it unchecked\n"
	"  unset     remove KEY's stored value (its default applies again)\n"
	"  history   change-sets, newest first, of every key or of KEY\n"
	"  rollback  put every setting and mapping back as it was right\n"
	"            after change-set VERSION (0: before the first change);\n"
	"            recorded as a new change-set, so it can be undone\n"
	"  export    one JSON document on stdout with every setting (null\n"
	"            when unset) and every mapping.  Secrets are left out\n"
	"            and listed under \"secrets_omitted\"; with\n"
	"            --include-secrets they are written, but only into a new\n"
	"            file (-o FILE, mode 0600)\n"
	"  import    apply such a document: a setting absent from it is left\n"
	"            alone, null unsets it; its mappings replace the existing\n"
	"            mappings of each kind and direction it contains.  The\n"
	"            whole document is validated first; any error (bad JSON,\n"
	"            unknown key, wrong type, bad value, an id not in its\n"
	"            platform's list) changes nothing; --force skips the\n"
	"            list check\n"
	"\n"
	"Secret values always print as ********.\n"
	"\n"
	"Exit status: 0 done, 1 failed (unknown key, invalid value or\n"
	"document, database error; nothing was changed), 2 bad usage or\n"
	"config file.\n"
	"\n"
	"Examples:\n"
	"  pearlsync settings set sync.poll_interval_seconds 30\n"
	"  printf '%s\\n' \"$SECRET\" |\n"
	"      pearlsync settings set webhooks.secret -\n"
	"  pearlsync settings history\n"
	"  pearlsync settings rollback 4\n"
	"  pearlsync settings export > site.json\n"
	"  pearlsync settings import site.json\n";

/* ------------------------------------------------------------------------ */

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ps_cli_usage_error("settings", "%s", msg);
}

static int
fail(const char *what)
{
	ps_cli_error("%s%s%s", what ? what : "", what ? ": " : "",
		     ps_error_last());
	return PS_EXIT_FAIL;
}

/*
 * The key to use for what the operator typed: a renamed key's new name,
 * with a note on stderr so scripts can be updated; else key unchanged.
 */
static const char *
current_key(const char *key)
{
	const char *now = ps_settings_renamed(key);

	if (now == NULL)
		return key;
	fprintf(stderr, "pearlsync: note: setting '%s' is now '%s'\n", key,
		now);
	return now;
}

/* Masked or plain display of value for key; "(unset)" for NULL. */
static const char *
shown(char *buf, size_t cap, const char *key, const char *value)
{
	if (value == NULL)
		return "(unset)";
	return ps_settings_display(buf, cap, key, value);
}

/* ------------------------------------------------------------------------ */
/* list, get                                                                 */

static int
cmd_list(ps_store *st)
{
	char buf[512];
	size_t i, n = ps_settings_count();
	int w = 3;

	for (i = 0; i < n; i++)
		if ((int)strlen(ps_settings_at(i)->key) > w)
			w = (int)strlen(ps_settings_at(i)->key);
	printf("%-*s %-9s %s\n", w, "KEY", "TYPE", "VALUE");
	for (i = 0; i < n; i++) {
		const ps_setting_def *d = ps_settings_at(i);
		char *value = NULL;
		int error = ps_store_setting_get(&value, st, d->key);
		const char *note = "";
		const char *v;

		if (error < 0 && error != PS_ENOTFOUND)
			return fail(d->key);
		if (value != NULL) {
			v = shown(buf, sizeof(buf), d->key, value);
		} else if (d->default_value != NULL) {
			v = shown(buf, sizeof(buf), d->key, d->default_value);
			note = " (default)";
		} else {
			v = d->required ? "(unset, required)" : "(unset)";
		}
		printf("%-*s %-9s %s%s\n", w, d->key,
		       ps_setting_type_name(d->type), v, note);
		free(value);
	}
	return PS_EXIT_OK;
}

static int
cmd_get(ps_store *st, const char *key)
{
	char buf[2048];
	char *value = NULL;

	if (ps_settings_validate(key, NULL) < 0)
		return fail(NULL);
	if (ps_settings_get(&value, st, key) < 0)
		return fail(NULL);
	printf("%s\n", shown(buf, sizeof(buf), key, value));
	free(value);
	return PS_EXIT_OK;
}

/* ------------------------------------------------------------------------ */
/* set, unset                                                                */

/* One line from stdin, without its newline, into buf. */
static int
read_stdin_line(char *buf, size_t cap)
{
	size_t n;

	if (fgets(buf, (int)cap, stdin) == NULL)
		return ps_error_set(PS_EINVAL, "no value on standard input");
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (n == cap - 1)
		return ps_error_set(PS_ETOOBIG,
				    "value on standard input is "
				    "longer than %zu bytes",
				    cap - 2);
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/*
 * value of key in the list it is picked from (setting_check.h), unless
 * force; prints why not.  Returns 0 or the check's PS_E*.
 */
static int
check_live(ps_store *st, const ps_config *cfg, const char *key,
	   const char *value, int force)
{
	ps_setting_check_options o = PS_SETTING_CHECK_OPTIONS_INIT;
	char why[PS_ERROR_MAX];
	int error;

	if (force)
		return 0;
	o.cfg = cfg;
	o.now = ps_cli_now_ms();
	error = ps_setting_check(st, key, value, &o);
	if (error == PS_EINVAL || error == PS_ESTORE || error == PS_ENOMEM ||
	    error == PS_EBUSY || error >= 0)
		return error;
	/* the platform could not be asked: say how to go on without it */
	snprintf(why, sizeof(why), "%s", ps_error_last());
	return ps_error_set(error, "%s; use --force to store it unchecked",
			    why);
}

static int
cmd_set(ps_store *st, const ps_config *cfg, const char *key, const char *value,
	int force)
{
	char line[8192];
	int64_t version = 0;

	if (value != NULL && strcmp(value, "-") == 0) {
		if (read_stdin_line(line, sizeof(line)) < 0)
			return fail(NULL);
		value = line;
	}
	/* mask the new value in any message, before anything can print it */
	if (value != NULL && ps_settings_is_secret(key) &&
	    ps_log_add_secret(value) < 0)
		return fail(NULL);
	if (ps_settings_validate(key, value) < 0 ||
	    check_live(st, cfg, key, value, force) < 0) {
		ps_cli_error("%s; nothing was changed", ps_error_last());
		return PS_EXIT_FAIL;
	}
	if (ps_store_setting_set(&version, st, key, value, PS_CLI_ACTOR,
				 ps_cli_now_ms()) < 0)
		return fail(NULL);
	if (version == 0)
		printf("%s unchanged\n", key);
	else
		printf("%s %s (version %lld)\n", key, value ? "set" : "unset",
		       (long long)version);
	return PS_EXIT_OK;
}

/* ------------------------------------------------------------------------ */
/* history, rollback                                                         */

static int
print_change(const ps_setting_change *ch, void *payload)
{
	char when[32], b1[512], b2[512];

	(void)payload;
	printf("%-7lld %-19s %-8s %s: %s -> %s\n", (long long)ch->version,
	       ps_cli_format_time(when, sizeof(when), ch->at),
	       ch->actor ? ch->actor : "-", ch->key,
	       shown(b1, sizeof(b1), ch->key, ch->old_value),
	       shown(b2, sizeof(b2), ch->key, ch->new_value));
	return 0;
}

static int
cmd_history(ps_store *st, const char *key)
{
	if (key != NULL && strncmp(key, "mapping:", 8) != 0 &&
	    ps_settings_validate(key, NULL) < 0)
		return fail(NULL);
	printf("%-7s %-19s %-8s %s\n", "VERSION", "WHEN", "ACTOR",
	       "KEY: OLD -> NEW");
	if (ps_store_setting_history_foreach(st, key, print_change, NULL) != 0)
		return fail(NULL);
	return PS_EXIT_OK;
}

static int
cmd_rollback(ps_store *st, const char *arg)
{
	int64_t latest = 0, version = 0;
	long target;

	if (ps_cli_parse_long(&target, arg, 0, 0x7fffffffL) < 0)
		return usage("VERSION must be a change-set number, not '%s'",
			     arg);
	if (ps_store_settings_version(&latest, st) < 0)
		return fail(NULL);
	if (target > latest) {
		ps_cli_error("no version %ld: the latest is %lld", target,
			     (long long)latest);
		return PS_EXIT_FAIL;
	}
	if (ps_store_settings_rollback(&version, st, target, PS_CLI_ACTOR,
				       ps_cli_now_ms()) < 0)
		return fail(NULL);
	if (version == 0)
		printf("already as of version %ld: nothing to change\n",
		       target);
	else
		printf("restored settings and mappings as of version %ld "
		       "(recorded as version %lld)\n",
		       target, (long long)version);
	return PS_EXIT_OK;
}

/* ------------------------------------------------------------------------ */
/* export                                                                    */

static int
add_mapping_json(const ps_mapping *m, void *payload)
{
	json_t *o = json_pack("{s:s, s:s, s:s?, s:s}", "kind", m->kind,
			      "direction", m->direction, "source",
			      (m->source && m->source[0]) ? m->source : NULL,
			      "target", m->target);

	if (o == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return json_array_append_new(payload, o) < 0 ? -1 : 0;
}

/*
 * Build the export document (new reference into *out).  Secrets are left
 * out unless with_secrets; the keys left out that have a value are listed.
 */
static int
build_export(json_t **out, ps_store *st, int with_secrets)
{
	json_t *doc = NULL, *settings, *omitted, *mappings;
	int64_t version = 0;
	size_t i, n = ps_settings_count();
	int error = 0;

	*out = NULL;
	if ((error = ps_store_settings_version(&version, st)) < 0)
		return error;
	doc = json_object();
	settings = json_object();
	omitted = json_array();
	mappings = json_array();
	if (doc == NULL)
		goto nomem;
	json_object_set_new(doc, "pearlsync", json_string(EXPORT_MARKER));
	json_object_set_new(doc, "format_version",
			    json_integer(EXPORT_FORMAT_VERSION));
	json_object_set_new(doc, "settings_version", json_integer(version));
	if (json_object_set_new(doc, "settings", settings) < 0 ||
	    json_object_set_new(doc, "secrets_omitted", omitted) < 0 ||
	    json_object_set_new(doc, "mappings", mappings) < 0)
		goto nomem;
	for (i = 0; i < n; i++) {
		const ps_setting_def *d = ps_settings_at(i);
		char *value = NULL;

		error = ps_store_setting_get(&value, st, d->key);
		if (error < 0 && error != PS_ENOTFOUND)
			goto done;
		error = 0;
		if (ps_settings_is_secret(d->key) && !with_secrets) {
			if (value != NULL)
				json_array_append_new(omitted,
						      json_string(d->key));
		} else {
			json_object_set_new(settings, d->key,
					    value ? json_string(value)
						  : json_null());
		}
		free(value);
	}
	if (ps_store_mapping_foreach(st, NULL, NULL, add_mapping_json,
				     mappings) != 0) {
		error = ps_error_last_code() < 0 ? ps_error_last_code()
						 : PS_ESTORE;
		goto done;
	}
	*out = doc;
	return 0;
nomem:
	if (doc == NULL) {
		json_decref(settings);
		json_decref(omitted);
		json_decref(mappings);
	}
	error = ps_error_set(PS_ENOMEM, NULL);
done:
	json_decref(doc);
	return error;
}

struct export_opts {
	const char *output; /* -o FILE, or NULL for stdout */
	int with_secrets;
};

static int
parse_export(struct export_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"include-secrets", no_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		if (c == 's')
			o->with_secrets = 1;
		else if (c == 'o')
			o->output = optarg;
		else if (c == ':')
			return usage("%s needs a value", argv[optind - 1]);
		else
			return usage("unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (o->with_secrets && o->output == NULL)
		return usage("%s needs -o FILE: secrets are never printed",
			     "--include-secrets");
	return PS_EXIT_OK;
}

static int
cmd_export(ps_store *st, const struct export_opts *o)
{
	const char *output = o->output;
	int with_secrets = o->with_secrets;
	json_t *doc = NULL;
	char *text = NULL;
	int fd = -1, status = PS_EXIT_FAIL;
	size_t len;

	if (build_export(&doc, st, with_secrets) < 0)
		return fail("export");
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	len = strlen(text);
	if (output == NULL) {
		printf("%s\n", text);
		status = PS_EXIT_OK;
		goto done;
	}
	/* a new file only: never widen the mode of an existing one */
	fd = open(output, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		ps_error_set(PS_EIO, "%s: %s", output, strerror(errno));
		goto done;
	}
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    close(fd) < 0) {
		ps_error_set(PS_EIO, "%s: write failed: %s", output,
			     strerror(errno));
		fd = -1;
		unlink(output);
		goto done;
	}
	fd = -1;
	fprintf(stderr, "pearlsync: wrote %s%s\n", output,
		with_secrets ? " (contains secrets; mode 0600)" : "");
	status = PS_EXIT_OK;
done:
	if (status != PS_EXIT_OK)
		fail("export");
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(doc);
	return status;
}

/* ------------------------------------------------------------------------ */
/* import                                                                    */

/* The checked content of an import document, borrowed from its json_t. */
struct import_doc {
	ps_setting_kv *kv;
	size_t nkv;
	char **owned; /* texts made from numbers and booleans */
	size_t nowned;
	ps_mapping *maps;
	size_t nmaps;
};

static void
import_doc_dispose(struct import_doc *d)
{
	size_t i;

	for (i = 0; i < d->nowned; i++)
		free(d->owned[i]);
	free(d->owned);
	free(d->kv);
	free(d->maps);
	memset(d, 0, sizeof(*d));
}

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* The text value of one setting in the document; *owned set if allocated. */
static int
setting_text(const char **out, char **owned, const ps_setting_def *def,
	     const json_t *v, const char *file)
{
	char num[32];

	*owned = NULL;
	if (json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (json_is_string(v)) {
		*out = json_string_value(v);
		if (def->type == PS_SETTING_SECRET && (*out)[0] != '\0' &&
		    strspn(*out, "*") == strlen(*out))
			return ps_error_set(
				PS_EDATA,
				"%s: the value of settings.%s looks like a "
				"masked secret; leave the key out to keep the "
				"stored value",
				file, def->key);
		return 0;
	}
	/* numbers and booleans are welcome where the type says so */
	if (json_is_integer(v) &&
	    (def->type == PS_SETTING_INT || def->type == PS_SETTING_ID)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
	} else if (json_is_boolean(v) && def->type == PS_SETTING_BOOL) {
		snprintf(num, sizeof(num), "%s",
			 json_is_true(v) ? "true" : "false");
	} else {
		return ps_error_set(PS_EDATA,
				    "%s: settings.%s: expected %s (type %s) or "
				    "null, not %s",
				    file, def->key,
				    def->type == PS_SETTING_INT ||
						    def->type == PS_SETTING_ID
					    ? "an integer or a string"
				    : def->type == PS_SETTING_BOOL
					    ? "true, false or a string"
					    : "a string",
				    ps_setting_type_name(def->type),
				    json_type_name(v));
	}
	*owned = strdup(num);
	if (*owned == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	*out = *owned;
	return 0;
}

static int
check_settings(struct import_doc *d, const json_t *obj, const char *file)
{
	const char *typed;
	json_t *v;
	int error;

	if (!json_is_object(obj))
		return ps_error_set(
			PS_EDATA, "%s: \"settings\" must be an object, not %s",
			file, json_type_name(obj));
	d->kv = calloc(json_object_size(obj) + 1, sizeof(*d->kv));
	d->owned = calloc(json_object_size(obj) + 1, sizeof(*d->owned));
	if (d->kv == NULL || d->owned == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	json_object_foreach ((json_t *)obj, typed, v) {
		const char *key = current_key(typed);
		const ps_setting_def *def = ps_settings_find(key);
		const char *text = NULL;
		char *owned;

		if (def == NULL)
			return ps_error_set(
				PS_EDATA, "%s: settings: unknown setting '%s'",
				file, key);
		if ((error = setting_text(&text, &owned, def, v, file)) < 0)
			return error;
		if (owned != NULL)
			d->owned[d->nowned++] = owned;
		if (text != NULL && def->type == PS_SETTING_SECRET &&
		    ps_log_add_secret(text) < 0)
			return ps_error_set(PS_ENOMEM, NULL);
		if (ps_settings_validate(key, text) < 0)
			return ps_cli_error_prefix(PS_EDATA, "%s", file);
		d->kv[d->nkv].key = key;
		d->kv[d->nkv].value = text;
		d->nkv++;
	}
	return 0;
}

/* A mapping field: a string, or (source only) null for the default. */
static int
mapping_field(const char **out, const json_t *m, const char *name, int nullable,
	      size_t index, const char *file)
{
	const json_t *v = json_object_get(m, name);

	if (v == NULL && !nullable)
		return ps_error_set(PS_EDATA,
				    "%s: mappings[%zu]: missing \"%s\"", file,
				    index, name);
	if (v == NULL || json_is_null(v)) {
		if (!nullable)
			return ps_error_set(PS_EDATA,
					    "%s: mappings[%zu].%s: must be a "
					    "string, not null",
					    file, index, name);
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return ps_error_set(PS_EDATA,
				    "%s: mappings[%zu].%s: must be a string, "
				    "not %s",
				    file, index, name, json_type_name(v));
	*out = json_string_value(v);
	if (!nullable && (*out)[0] == '\0')
		return ps_error_set(PS_EDATA,
				    "%s: mappings[%zu].%s: must not be empty",
				    file, index, name);
	return 0;
}

static int
check_mappings(struct import_doc *d, const json_t *arr, const char *file)
{
	static const char *const fields[] = {"kind", "direction", "source",
					     "target"};
	size_t i, f;
	json_t *m;
	int error;

	if (!json_is_array(arr))
		return ps_error_set(PS_EDATA,
				    "%s: \"mappings\" must be an array, not %s",
				    file, json_type_name(arr));
	d->maps = calloc(json_array_size(arr) + 1, sizeof(*d->maps));
	if (d->maps == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	json_array_foreach (arr, i, m) {
		ps_mapping *row = &d->maps[d->nmaps];
		const char *key;
		json_t *v;

		if (!json_is_object(m))
			return ps_error_set(PS_EDATA,
					    "%s: mappings[%zu]: must be an "
					    "object, not %s",
					    file, i, json_type_name(m));
		json_object_foreach (m, key, v) {
			for (f = 0; f < 4 && strcmp(key, fields[f]) != 0; f++)
				;
			if (f == 4)
				return ps_error_set(
					PS_EDATA,
					"%s: mappings[%zu]: unknown "
					"field '%s' (kind, "
					"direction, source, target)",
					file, i, key);
		}
		if ((error = mapping_field(&row->kind, m, "kind", 0, i, file)) <
			    0 ||
		    (error = mapping_field(&row->direction, m, "direction", 0,
					   i, file)) < 0 ||
		    (error = mapping_field(&row->source, m, "source", 1, i,
					   file)) < 0 ||
		    (error = mapping_field(&row->target, m, "target", 0, i,
					   file)) < 0)
			return error;
		d->nmaps++;
	}
	return 0;
}

/* Check the whole document into d; nothing is written. */
static int
check_document(struct import_doc *d, const json_t *doc, const char *file)
{
	static const char *const known[] = {
		"pearlsync", "format_version",  "settings_version",
		"settings",  "secrets_omitted", "mappings"};
	const json_t *v;
	const char *key;
	json_t *val;
	size_t i;
	int error;

	if (!json_is_object(doc))
		return ps_error_set(PS_EDATA,
				    "%s: the document must be a JSON object, "
				    "not %s",
				    file, json_type_name(doc));
	json_object_foreach ((json_t *)doc, key, val) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]) &&
			    strcmp(key, known[i]) != 0;
		     i++)
			;
		if (i == sizeof(known) / sizeof(known[0]))
			return ps_error_set(
				PS_EDATA,
				"%s: unknown member \"%s\" (settings, "
				"mappings, ...)",
				file, key);
	}
	v = json_object_get(doc, "pearlsync");
	if (v != NULL && (!json_is_string(v) ||
			  strcmp(json_string_value(v), EXPORT_MARKER) != 0))
		return ps_error_set(PS_EDATA,
				    "%s: \"pearlsync\" must be \"%s\"", file,
				    EXPORT_MARKER);
	v = json_object_get(doc, "format_version");
	if (v != NULL && (!json_is_integer(v) ||
			  json_integer_value(v) != EXPORT_FORMAT_VERSION))
		return ps_error_set(PS_EVERSION,
				    "%s: \"format_version\" must be %d", file,
				    EXPORT_FORMAT_VERSION);
	v = json_object_get(doc, "settings");
	if (v != NULL && (error = check_settings(d, v, file)) < 0)
		return error;
	v = json_object_get(doc, "mappings");
	if (v != NULL && (error = check_mappings(d, v, file)) < 0)
		return error;
	return 0;
}

int
ps_cli_settings_apply(ps_store *st, const char *file, int64_t now)
{
	struct import_doc d;
	json_error_t jerr;
	json_t *doc;
	int64_t v1 = 0, v2 = 0;
	int error = 0;

	memset(&d, 0, sizeof(d));
	doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return jerr.line <= 0 ? ps_error_set(PS_EDATA, "%s: %s", file,
						     jerr.text)
				      : ps_error_set(PS_EDATA, "%s:%d:%d: %s",
						     file, jerr.line,
						     jerr.column, jerr.text);
	if ((error = check_document(&d, doc, file)) == 0 && d.nkv > 0 &&
	    (error = ps_store_settings_set_many(&v1, st, d.kv, d.nkv, "preview",
						now)) < 0)
		error = ps_cli_error_prefix(error, "%s", file);
	if (error == 0 && d.nmaps > 0 &&
	    (error = ps_store_mapping_import(&v2, st, d.maps, d.nmaps,
					     PS_STORE_MAPPING_REPLACE,
					     "preview", now)) < 0)
		error = ps_cli_error_prefix(error, "%s: mappings", file);
	import_doc_dispose(&d);
	json_decref(doc);
	return error;
}

static int
cmd_import(ps_store *st, const ps_config *cfg, const char *file, int force)
{
	struct import_doc d;
	json_error_t jerr;
	json_t *doc;
	int64_t v1 = 0, v2 = 0, now = ps_cli_now_ms();
	size_t i;
	int error = 0, began = 0;
	const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;

	memset(&d, 0, sizeof(d));
	if (strcmp(file, "-") == 0)
		doc = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		if (jerr.line <= 0)
			ps_cli_error("%s: %s; nothing was imported", name,
				     jerr.text);
		else
			ps_cli_error("%s:%d:%d: %s; nothing was imported", name,
				     jerr.line, jerr.column, jerr.text);
		return PS_EXIT_FAIL;
	}
	if ((error = check_document(&d, doc, name)) < 0)
		goto done;
	/* against the platforms' lists, before the transaction: a fetch
	 * must not hold the database's write lock */
	for (i = 0; i < d.nkv; i++)
		if ((error = check_live(st, cfg, d.kv[i].key, d.kv[i].value,
					force)) < 0) {
			error = ps_cli_error_prefix(error, "%s", name);
			goto done;
		}
	if ((error = ps_store_begin(st)) < 0)
		goto done;
	began = 1;
	if (d.nkv > 0 && (error = ps_store_settings_set_many(
				  &v1, st, d.kv, d.nkv, "import", now)) < 0) {
		error = ps_cli_error_prefix(error, "%s", name);
		goto done;
	}
	if (d.nmaps > 0 &&
	    (error = ps_store_mapping_import(&v2, st, d.maps, d.nmaps,
					     PS_STORE_MAPPING_REPLACE, "import",
					     now)) < 0) {
		error = ps_cli_error_prefix(error, "%s: mappings", name);
		goto done;
	}
	if ((error = ps_store_commit(st)) < 0)
		goto done;
	began = 0;
	printf("imported %s: %zu setting%s, %zu mapping%s", name, d.nkv,
	       d.nkv == 1 ? "" : "s", d.nmaps, d.nmaps == 1 ? "" : "s");
	if (v1 == 0 && v2 == 0)
		printf(" (nothing changed)\n");
	else
		printf(" (version %lld)\n", (long long)(v2 ? v2 : v1));
done:
	if (began)
		ps_store_rollback(st);
	if (error < 0)
		ps_cli_error("%s; nothing was imported", ps_error_last());
	import_doc_dispose(&d);
	json_decref(doc);
	return error < 0 ? PS_EXIT_FAIL : PS_EXIT_OK;
}

/* ------------------------------------------------------------------------ */

int
ps_cli_cmd_settings(const ps_cli_global *g, int argc, char **argv)
{
	struct export_opts eo;
	const char *sub;
	ps_store *st = NULL;
	ps_config cfg;
	int status, nargs, force = 0;

	if (argc < 2)
		return usage("%s", "settings needs a subcommand");
	sub = argv[1];
	/* set and import take --force (before their arguments) */
	if (argc > 2 && strcmp(argv[2], "--force") == 0 &&
	    (strcmp(sub, "set") == 0 || strcmp(sub, "import") == 0)) {
		force = 1;
		argv[2] = argv[1];
		argv++;
		argc--;
	}
	nargs = argc - 2;
	/* check the shape before touching the config or the database */
	if (strcmp(sub, "list") == 0) {
		if (nargs != 0)
			return usage("unexpected argument '%s'", argv[2]);
	} else if (strcmp(sub, "get") == 0 || strcmp(sub, "unset") == 0 ||
		   strcmp(sub, "rollback") == 0 || strcmp(sub, "import") == 0) {
		if (nargs != 1)
			return usage("settings %s takes one argument", sub);
	} else if (strcmp(sub, "set") == 0) {
		if (nargs != 2)
			return usage("%s", "settings set takes KEY and VALUE");
	} else if (strcmp(sub, "history") == 0) {
		if (nargs > 1)
			return usage("%s",
				     "settings history takes at most a KEY");
	} else if (strcmp(sub, "export") != 0) {
		return usage("unknown settings subcommand '%s'", sub);
	}
	/* option errors first, so usage mistakes exit 2 */
	if (strcmp(sub, "export") == 0 &&
	    (status = parse_export(&eo, argc - 1, argv + 1)) != PS_EXIT_OK)
		return status;

	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	if (strcmp(sub, "list") == 0)
		status = cmd_list(st);
	else if (strcmp(sub, "get") == 0)
		status = cmd_get(st, current_key(argv[2]));
	else if (strcmp(sub, "set") == 0)
		status =
			cmd_set(st, &cfg, current_key(argv[2]), argv[3], force);
	else if (strcmp(sub, "unset") == 0)
		status = cmd_set(st, &cfg, current_key(argv[2]), NULL, 0);
	else if (strcmp(sub, "history") == 0)
		status = cmd_history(st, nargs ? current_key(argv[2]) : NULL);
	else if (strcmp(sub, "rollback") == 0)
		status = cmd_rollback(st, argv[2]);
	else if (strcmp(sub, "export") == 0)
		status = cmd_export(st, &eo);
	else
		status = cmd_import(st, &cfg, argv[2], force);
	ps_store_close(st);
	return status;
}
