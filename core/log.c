/*
 * log.c - the stderr log, the redactor and the terminal escaper.
 *
 * Redaction works on text, not on structure, because secrets reach text by
 * many roads: a curl header dump, a JSON body echoed in an error, a settings
 * export.  Two passes: literal secrets the process knows (registered when a
 * token is loaded from the store), then the values of anything that looks
 * like a credential field.  Both replace the value with "****".
 *
 * Log lines then pass through ps_log_escape, which the `logs` table uses
 * too: platform text (a SKU, a shipping method, a webhook's scope) must
 * never reach a terminal as raw control bytes (ESC ] 0 ; ... BEL retitles
 * a tmux pane), so those are printed as "\x1b".
 *
 * When stderr is the systemd journal's stream, each line starts with its
 * syslog priority as sd-daemon(3) describes ("<3>" error, "<4>" warn,
 * "<6>" info, "<7>" debug), which journald strips and records, so
 * `journalctl -p warning` filters.  The journal is recognised as systemd
 * documents it: $JOURNAL_STREAM holds "DEVICE:INODE" of the stream it
 * connected, compared with fstat(2) of stderr (a redirected stderr, or a
 * child whose stderr is elsewhere, keeps the plain lines).
 */
#include "internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PS__LOG_LINE_MAX 4096
#define PS__MASK "****"

static ps_log_level log_level = PS_LOG_INFO;
static FILE *log_stream;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static char **secrets;
static size_t nsecrets;
static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
/* syslog priorities (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG) */
static const char *const level_prefixes[] = {"<3>", "<4>", "<6>", "<7>"};
static pthread_once_t journal_once = PTHREAD_ONCE_INIT;
static int journal_stderr; /* stderr is the journal's stream */

static void
journal_detect(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat sb;
	char *end;

	if (v == NULL || v[0] == '\0')
		return;
	dev = strtoumax(v, &end, 10);
	if (end == v || *end != ':')
		return;
	v = end + 1;
	ino = strtoumax(v, &end, 10);
	if (end == v || *end != '\0')
		return;
	if (fstat(STDERR_FILENO, &sb) < 0)
		return;
	journal_stderr =
		(uintmax_t)sb.st_dev == dev && (uintmax_t)sb.st_ino == ino;
}

int
ps_log_to_journal(void)
{
	pthread_once(&journal_once, journal_detect);
	return journal_stderr;
}

int
ps_log_level_parse(ps_log_level *out, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < PS__ARRAY_LEN(level_names); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (ps_log_level)i;
			return 0;
		}
	}
	return ps_error_set(PS_EINVAL,
			    "unknown log level '%s' (error, warn, info, debug)",
			    name ? name : "");
}

const char *
ps_log_level_name(ps_log_level level)
{
	if ((size_t)level < PS__ARRAY_LEN(level_names))
		return level_names[level];
	return "?";
}

void
ps_log_set_level(ps_log_level level)
{
	log_level = level;
}

ps_log_level
ps_log_get_level(void)
{
	return log_level;
}

void
ps_log_set_stream(FILE *stream)
{
	pthread_mutex_lock(&log_lock);
	log_stream = stream;
	pthread_mutex_unlock(&log_lock);
}

void
ps_log_v(ps_log_level level, const char *module, const char *fmt, va_list ap)
{
	char line[PS__LOG_LINE_MAX];
	char shown[PS__LOG_LINE_MAX];
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	FILE *out;

	if (level > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	ps_redact(line, sizeof(line));
	/* messages quote platform data: no raw control byte reaches the
	 * terminal or journal, and a record stays on one line */
	ps_log_escape(shown, sizeof(shown), line);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

	pthread_mutex_lock(&log_lock);
	out = log_stream ? log_stream : stderr;
	fprintf(out, "%s%s %-5s %s: %s\n",
		out == stderr && ps_log_to_journal() &&
				(size_t)level < PS__ARRAY_LEN(level_prefixes)
			? level_prefixes[level]
			: "",
		stamp, ps_log_level_name(level), module ? module : "-", shown);
	fflush(out);
	pthread_mutex_unlock(&log_lock);
}

void
ps_log(ps_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ps_log_v(level, module, fmt, ap);
	va_end(ap);
}

int
ps_log_add_secret(const char *secret)
{
	char **grown;
	char *copy;
	size_t i;

	if (secret == NULL || strlen(secret) < 4)
		return 0;
	pthread_mutex_lock(&secrets_lock);
	for (i = 0; i < nsecrets; i++) {
		if (strcmp(secrets[i], secret) == 0) {
			pthread_mutex_unlock(&secrets_lock);
			return 0;
		}
	}
	copy = ps_util__strdup(secret);
	grown = copy ? realloc(secrets, (nsecrets + 1) * sizeof(*secrets))
		     : NULL;
	if (grown == NULL) {
		free(copy);
		pthread_mutex_unlock(&secrets_lock);
		return PS_ENOMEM;
	}
	secrets = grown;
	secrets[nsecrets++] = copy;
	pthread_mutex_unlock(&secrets_lock);
	return 0;
}

void
ps_log_clear_secrets(void)
{
	size_t i;

	pthread_mutex_lock(&secrets_lock);
	for (i = 0; i < nsecrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
	pthread_mutex_unlock(&secrets_lock);
}

/*
 * Replace buf[start, end) with the mask; returns the index after the mask,
 * never past the terminating NUL.  buf holds a string of at most cap - 1
 * bytes and start <= end <= strlen(buf).  The mask is four bytes and the
 * value it replaces may be shorter, so the string can grow: what no longer
 * fits is cut from the end, first the text after the value, then the mask
 * itself (a value that starts in the last bytes of the buffer becomes a
 * shorter run of '*', never a partial secret).  Every size is computed
 * from the room left, so none can go below zero.
 */
static size_t
mask_span(char *buf, size_t cap, size_t start, size_t end)
{
	size_t len = strlen(buf);
	size_t room = cap - 1 - start; /* bytes that fit after start */
	size_t mlen = sizeof(PS__MASK) - 1;
	size_t tail = len - end;

	if (mlen > room)
		mlen = room;
	if (tail > room - mlen)
		tail = room - mlen;
	memmove(buf + start + mlen, buf + end, tail);
	memcpy(buf + start, PS__MASK, mlen);
	buf[start + mlen + tail] = '\0';
	return start + mlen;
}

static void
redact_literals(char *buf, size_t cap)
{
	size_t i;

	pthread_mutex_lock(&secrets_lock);
	for (i = 0; i < nsecrets; i++) {
		size_t slen = strlen(secrets[i]);
		char *hit = buf;

		while ((hit = strstr(hit, secrets[i])) != NULL) {
			size_t at = (size_t)(hit - buf);
			hit = buf + mask_span(buf, cap, at, at + slen);
		}
	}
	pthread_mutex_unlock(&secrets_lock);
}

/* Words whose presence in a field name marks its value as a credential. */
static const char *const credential_words[] = {
	"token",         "password", "passwd", "secret",
	"authorization", "api_key",  "apikey", "bearer",
};

static int
is_ident(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

/*
 * If the identifier starting at buf[at] contains a credential word
 * ("X-Auth-Token", "brightpearl-account-token", "password"), return the
 * offset just past the identifier; else 0.
 */
static size_t
credential_word_at(const char *buf, size_t at)
{
	size_t end = at, i, j;

	while (is_ident((unsigned char)buf[end]))
		end++;
	for (j = at; j < end; j++) {
		for (i = 0; i < PS__ARRAY_LEN(credential_words); i++) {
			size_t n = strlen(credential_words[i]);
			if (j + n <= end &&
			    strncasecmp(buf + j, credential_words[i], n) == 0)
				return end;
		}
	}
	return 0;
}

static void
redact_fields(char *buf, size_t cap)
{
	size_t i = 0;

	while (buf[i] != '\0') {
		size_t p, vstart, vend;
		int quoted = 0, bearer;
		char sep;

		/* only a word that starts here can name a credential field */
		if ((i > 0 && is_ident((unsigned char)buf[i - 1])) ||
		    (p = credential_word_at(buf, i)) == 0) {
			i++;
			continue;
		}
		bearer = strncasecmp(buf + i, "bearer", 6) == 0 && p == i + 6;
		if (bearer) {
			sep = ' ';
			while (buf[p] == ' ')
				p++;
		} else {
			if (buf[p] == '"' || buf[p] == '\'')
				p++;
			while (buf[p] == ' ' || buf[p] == '\t')
				p++;
			sep = buf[p];
			if (sep != ':' && sep != '=') {
				i++;
				continue;
			}
			p++;
			while (buf[p] == ' ' || buf[p] == '\t')
				p++;
		}
		if (buf[p] == '"' || buf[p] == '\'') {
			quoted = buf[p];
			p++;
		}
		/* "Authorization: Bearer xyz": keep the scheme, mask xyz */
		if (!bearer && strncasecmp(buf + p, "bearer ", 7) == 0) {
			p += 7;
		} else if (!bearer && strncasecmp(buf + p, "basic ", 6) == 0) {
			p += 6;
		}
		vstart = p;
		vend = p;
		while (buf[vend] != '\0') {
			char c = buf[vend];
			if (quoted ? c == quoted
				   : (c == '\r' || c == '\n' ||
				      (sep != ':' &&
				       (c == '&' || c == ' ' || c == ',' ||
					c == ';' || c == '"')) ||
				      (sep == ':' &&
				       (c == ',' || c == '}' || c == '"'))))
				break;
			vend++;
		}
		if (vend == vstart ||
		    strncmp(buf + vstart, PS__MASK, vend - vstart) == 0) {
			i = vend > i ? vend : i + 1;
			continue;
		}
		i = mask_span(buf, cap, vstart, vend);
	}
}

/*
 * Length of the valid UTF-8 sequence at s (2..4), or 0 when s does not
 * start one (overlong forms, surrogates and values past U+10FFFF are not
 * valid; RFC 3629).  s[0] >= 0x80.
 */
static size_t
utf8_seq_len(const unsigned char *s)
{
	size_t n, i;
	unsigned long cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

char *
ps_log_escape(char *out, size_t cap, const char *src)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	size_t o = 0;

	if (cap == 0)
		return out;
	while (*s != '\0') {
		char esc[8];
		const char *piece = esc;
		size_t n;

		if ((*s < 0x20 && *s != '\t') || *s == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *s);
			n = 4;
			s++;
		} else if (*s < 0x80) {
			piece = (const char *)s;
			n = 1;
			s++;
		} else if ((n = utf8_seq_len(s)) == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", *s);
			n = 4;
			s++;
		} else if (n == 2 && s[0] == 0xc2 && s[1] <= 0x9f) {
			snprintf(esc, sizeof(esc), "\\u%04x", s[1]);
			n = 6;
			s += 2;
		} else {
			piece = (const char *)s;
			s += n;
		}
		if (o + n > cap - 1)
			break;
		memcpy(out + o, piece, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

void
ps_redact(char *buf, size_t cap)
{
	if (buf == NULL || cap == 0)
		return;
	redact_literals(buf, cap);
	redact_fields(buf, cap);
}
