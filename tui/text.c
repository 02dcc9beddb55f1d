/*
 * text.c - display-width arithmetic for UTF-8 and the console's number and
 * time formats.  No curses; the widths come from wcwidth() under the
 * locale the console runs in (any code point it does not know counts as
 * one column, so a C locale still lays out).
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

/* Decode one UTF-8 sequence at s; *len its length (1 for a bad byte). */
static uint32_t
decode(const unsigned char *s, size_t *len)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		*len = 1;
		return 0xfffd;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*len = 1;
			return 0xfffd;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	*len = n;
	return cp;
}

static int
cp_width(uint32_t cp)
{
	int w;

	if (cp < 0x20 || cp == 0x7f)
		return 1; /* drawn as a replacement by term.c */
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

size_t
ps_tui_utf8_fit(const char *s, int width, int *out_cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at = 0, len;
	int cols = 0, w;
	uint32_t cp;

	while (s != NULL && p[at] != '\0') {
		cp = decode(p + at, &len);
		w = cp_width(cp);
		if (cols + w > width)
			break;
		cols += w;
		at += len;
	}
	if (out_cols != NULL)
		*out_cols = cols;
	return at;
}

int
ps_tui_utf8_width(const char *s)
{
	int cols;

	ps_tui_utf8_fit(s, 1 << 30, &cols);
	return cols;
}

char *
ps_tui_ellipsize(char *buf, size_t cap, const char *s, int width)
{
	/* U+2026 where the terminal can show it; '~' in a C locale */
	const char *mark = MB_CUR_MAX > 1 ? "\xe2\x80\xa6" : "~";
	size_t n, mlen = strlen(mark);
	int cut;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	if (s == NULL || width <= 0)
		return buf;
	n = ps_tui_utf8_fit(s, width, NULL);
	if ((cut = s[n] != '\0'))
		n = ps_tui_utf8_fit(s, width - 1, NULL); /* room for the mark */
	/* a short buffer cuts too, never inside a character */
	while (n > 0 && n + (cut ? mlen : 0) >= cap) {
		cut = 1;
		n--;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (cut && n + mlen < cap)
		memcpy(buf + n, mark, mlen + 1);
	return buf;
}

char *
ps_tui_format_time(char *buf, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, cap, "-");
	return buf;
}

char *
ps_tui_format_age(char *buf, size_t cap, int64_t ms)
{
	long long s = ms < 0 ? 0 : (long long)(ms / 1000);

	if (s < 60)
		snprintf(buf, cap, "%llds", s);
	else if (s < 3600)
		snprintf(buf, cap, "%lldm %llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, cap, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, cap, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	return buf;
}

char *
ps_tui_format_count(char *buf, size_t cap, int64_t n)
{
	char digits[32], out[48];
	size_t len, i, o = 0;
	int neg = n < 0;

	snprintf(digits, sizeof(digits), "%lld",
		 neg ? -(long long)n : (long long)n);
	len = 0;
	while (digits[len] != '\0')
		len++;
	if (neg)
		out[o++] = '-';
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	snprintf(buf, cap, "%s", out);
	return buf;
}

int64_t
ps_tui_day_start(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return ms - ms % 86400000;
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}
