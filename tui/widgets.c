/*
 * widgets.c - the models behind the console's reusable widgets: a
 * scrolling list selection and a one-line UTF-8 text input.  No curses
 * here; term.c draws them and the screens own them.
 */
#include "tui.h"

#include <string.h>

void
ps_tui_list_show(ps_tui_list *l, int rows)
{
	size_t r = rows > 0 ? (size_t)rows : 1;

	if (l->sel < l->top)
		l->top = l->sel;
	else if (l->sel >= l->top + r)
		l->top = l->sel - r + 1;
	/* no blank tail when the list shrank */
	if (l->count > r && l->top > l->count - r)
		l->top = l->count - r;
	if (l->count <= r)
		l->top = 0;
}

void
ps_tui_list_set_count(ps_tui_list *l, size_t count)
{
	l->count = count;
	if (count == 0) {
		l->sel = 0;
		l->top = 0;
		return;
	}
	if (l->sel >= count)
		l->sel = count - 1;
	if (l->top > l->sel)
		l->top = l->sel;
}

int
ps_tui_list_move(ps_tui_list *l, ps_tui_request req, int rows)
{
	size_t page = rows > 1 ? (size_t)rows - 1 : 1;

	switch (req) {
	case PS_TUI_REQ_UP:
		if (l->sel > 0)
			l->sel--;
		break;
	case PS_TUI_REQ_DOWN:
		if (l->sel + 1 < l->count)
			l->sel++;
		break;
	case PS_TUI_REQ_PAGE_UP:
		l->sel = l->sel > page ? l->sel - page : 0;
		break;
	case PS_TUI_REQ_PAGE_DOWN:
		l->sel += page;
		if (l->count == 0)
			l->sel = 0;
		else if (l->sel >= l->count)
			l->sel = l->count - 1;
		break;
	case PS_TUI_REQ_HOME:
		l->sel = 0;
		break;
	case PS_TUI_REQ_END:
		l->sel = l->count > 0 ? l->count - 1 : 0;
		break;
	default:
		return 0;
	}
	ps_tui_list_show(l, rows);
	return 1;
}

void
ps_tui_input_set(ps_tui_input *in, const char *text)
{
	size_t n = text != NULL ? strlen(text) : 0;

	if (n >= sizeof(in->text))
		n = sizeof(in->text) - 1;
	/* never keep half a UTF-8 sequence */
	while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
		n--;
	if (n > 0)
		memcpy(in->text, text, n);
	in->text[n] = '\0';
	in->len = n;
	in->cursor = n;
}

static size_t
encode_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int
ps_tui_input_insert(ps_tui_input *in, uint32_t cp)
{
	char enc[4];
	size_t n;

	/* control characters, surrogates and beyond Unicode are refused */
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	n = encode_utf8(enc, cp);
	if (in->len + n >= sizeof(in->text))
		return -1;
	memmove(in->text + in->cursor + n, in->text + in->cursor,
		in->len - in->cursor + 1);
	memcpy(in->text + in->cursor, enc, n);
	in->len += n;
	in->cursor += n;
	return 0;
}

static size_t
prev_char(const ps_tui_input *in, size_t at)
{
	if (at == 0)
		return 0;
	at--;
	while (at > 0 && ((unsigned char)in->text[at] & 0xc0) == 0x80)
		at--;
	return at;
}

static size_t
next_char(const ps_tui_input *in, size_t at)
{
	if (at >= in->len)
		return in->len;
	at++;
	while (at < in->len && ((unsigned char)in->text[at] & 0xc0) == 0x80)
		at++;
	return at;
}

int
ps_tui_input_edit(ps_tui_input *in, ps_tui_request req)
{
	switch (req) {
	case PS_TUI_REQ_LEFT:
		in->cursor = prev_char(in, in->cursor);
		return 1;
	case PS_TUI_REQ_RIGHT:
		in->cursor = next_char(in, in->cursor);
		return 1;
	case PS_TUI_REQ_HOME:
		in->cursor = 0;
		return 1;
	case PS_TUI_REQ_END:
		in->cursor = in->len;
		return 1;
	default:
		return 0;
	}
}

static void
remove_range(ps_tui_input *in, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(in->text + from, in->text + to, in->len - to + 1);
	in->len -= to - from;
	in->cursor = from;
}

void
ps_tui_input_backspace(ps_tui_input *in)
{
	remove_range(in, prev_char(in, in->cursor), in->cursor);
}

void
ps_tui_input_delete(ps_tui_input *in)
{
	remove_range(in, in->cursor, next_char(in, in->cursor));
}
