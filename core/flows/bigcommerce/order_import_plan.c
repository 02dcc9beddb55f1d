/*
 * order_import_bc_plan.c - a BigCommerce order as Brightpearl requests: the
 * pure part of the order import, shared by the flow and `pearlsync preview
 * order`.
 *
 * Totals: every product row carries the line's own net and tax (before
 * discounts), then shipping, handling and wrapping rows; finally one
 * "Discounts" row takes whatever makes the net and the tax add up to the
 * BigCommerce order's total_ex_tax and total_tax.  So coupons, order
 * discounts and tax-inclusive prices all land on the same cent, and a
 * rounding difference (rows are sent in cents) shows as its own row
 * instead of a silent mismatch.  That row only carries what discounts
 * and rounding explain (see ROUNDING_PER_ROW); totals that disagree with
 * their parts by more are refused, naming the field, not forced.
 *
 * Every amount comes from BigCommerce and may be anything ps_money holds,
 * so all arithmetic on amounts is checked (a wrapped sum would be a
 * plausible-looking row): an order whose amounts do not fit is refused.
 */
#include "flows/bigcommerce/order_import_int.h"
#include "internal.h"
#include "pearlsync/settings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The most the adjustment row may carry beyond the discounts, per row of
 * the order (product, shipping, handling, wrapping) plus one: one cent.
 * Each row's net and tax are sent rounded to the cent (half a cent off
 * at most, each) and BigCommerce rounds its own totals once more, so
 * honest rounding stays within a cent a row.  A larger difference is a
 * data error in the order (the +62.00 and -56.32 "rounding" rows seen),
 * which an operator must look at rather than find booked.
 */
#define ROUNDING_PER_ROW ps_money_from_cents(1)

/* The order's amounts do not fit a ps_money once added up. */
static int
too_big(const ps_bc_order *o, const char *field)
{
	return ps_error_set(PS_EDATA,
			    "BigCommerce order %lld: field '%s' is out of "
			    "range: the order's amounts do not add up within "
			    "limits",
			    (long long)o->id, field);
}

/* *out = a + b, or PS_EDATA naming field when it overflows. */
static int
add_ck(ps_money *out, ps_money a, ps_money b, const ps_bc_order *o,
       const char *field)
{
	return __builtin_add_overflow(a, b, out) ? too_big(o, field) : 0;
}

/* *out = a - b, or PS_EDATA naming field when it overflows. */
static int
sub_ck(ps_money *out, ps_money a, ps_money b, const ps_bc_order *o,
       const char *field)
{
	return __builtin_sub_overflow(a, b, out) ? too_big(o, field) : 0;
}

/* *out = m rounded to whole cents, half away from zero (checked). */
static int
to_cents(ps_money *out, ps_money m, const ps_bc_order *o, const char *field)
{
	ps_money unit = PS_MONEY_SCALE / 100, r = m % unit;

	if (r == 0) {
		*out = m;
		return 0;
	}
	/* m - r moves toward zero: it cannot overflow; the step can */
	if (m > 0)
		return add_ck(out, m - r, r * 2 >= unit ? unit : 0, o, field);
	return sub_ck(out, m - r, -r * 2 >= unit ? unit : 0, o, field);
}

/* *out = to_cents(a - b) (checked), for a tax part (inc - ex). */
static int
diff_cents(ps_money *out, ps_money a, ps_money b, const ps_bc_order *o,
	   const char *field)
{
	ps_money d;
	int error;

	if ((error = sub_ck(&d, a, b, o, field)) < 0)
		return error;
	return to_cents(out, d, o, field);
}

static void
iso_date(char *buf, size_t cap, int64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (secs <= 0 || gmtime_r(&t, &tm) == NULL) {
		buf[0] = '\0';
		return;
	}
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

static int why_add(ps_oib_plan *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
why_add(ps_oib_plan *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = p->why_cap - p->why_len;

		va_start(ap, fmt);
		n = room ? vsnprintf(p->why + p->why_len, room, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && (size_t)n + 2 <= room) {
			p->why_len += (size_t)n;
			p->why[p->why_len++] = '\n';
			p->why[p->why_len] = '\0';
			return 0;
		}
		{
			size_t cap =
				p->why_cap * 2 + (n > 0 ? (size_t)n : 0) + 256;
			char *nb = realloc(p->why, cap);

			if (nb == NULL)
				return ps_error_set(PS_ENOMEM, "out of memory");
			p->why = nb;
			p->why_cap = cap;
			if (p->why_len == 0)
				p->why[0] = '\0';
		}
	}
}

static const char *
nz(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* "first last" of a into buf (cap bytes); NULL when both are empty. */
static const char *
full_name(char *buf, size_t cap, const ps_bc_address *a)
{
	const char *f = nz(a->first_name), *l = nz(a->last_name);

	snprintf(buf, cap, "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
	return nz(buf);
}

/*
 * *out = the alpha-3 code Brightpearl takes for BigCommerce's alpha-2 code
 * (NULL when BigCommerce gave none), or PS_EDATA naming the code.
 */
static int
country_map(const char **out, const char *iso2, int64_t order_id,
	    const char *what)
{
	*out = NULL;
	if (nz(iso2) == NULL)
		return 0;
	if ((*out = ps_bp_country_iso3(iso2)) == NULL)
		return ps_error_set(PS_EDATA,
				    "BigCommerce order %lld: %s country code "
				    "'%s' is not an ISO 3166-1 country "
				    "(Brightpearl needs its 3-letter code)",
				    (long long)order_id, what, iso2);
	return 0;
}

static int
address_map(ps_bp_address *out, char *name, size_t cap, const ps_bc_address *a,
	    int64_t order_id, const char *what)
{
	memset(out, 0, sizeof(*out));
	out->full_name = full_name(name, cap, a);
	out->company = nz(a->company);
	out->line1 = nz(a->street_1);
	out->line2 = nz(a->street_2);
	out->line3 = nz(a->city);
	out->line4 = nz(a->state);
	out->postal_code = nz(a->zip);
	out->telephone = nz(a->phone);
	out->email = nz(a->email);
	return country_map(&out->country_iso, a->country_iso2, order_id, what);
}

int
ps_oib__addresses(ps_oib_addresses *out, const ps_bc_order *o)
{
	const ps_bc_address *sa = o->nshipping_addresses
					  ? &o->shipping_addresses[0].address
					  : &o->billing_address;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = address_map(&out->billing, out->billing_name,
				 sizeof(out->billing_name), &o->billing_address,
				 o->id, "billing address")) < 0)
		return error;
	return address_map(&out->delivery, out->delivery_name,
			   sizeof(out->delivery_name), sa, o->id,
			   "delivery address");
}

int
ps_oib__importable(const ps_oib_settings *s, const ps_bc_order *o, char *why,
		   size_t cap)
{
	char id[16];

	snprintf(id, sizeof(id), "%d", o->status_id);
	if (o->is_deleted) {
		snprintf(why, cap, "order %lld is archived", (long long)o->id);
		return 0;
	}
	if (!ps_settings_list_contains(s->import_statuses, id)) {
		snprintf(why, cap,
			 "status '%s' (%d) is not in "
			 "bigcommerce.orders.import_statuses "
			 "(%s)",
			 o->status, o->status_id,
			 s->import_statuses ? s->import_statuses : "");
		return 0;
	}
	if (s->start_date > 0 && o->date_created < s->start_date) {
		snprintf(why, cap,
			 "created before bigcommerce.orders.start_date");
		return 0;
	}
	if (o->customer_id == 0 && !s->import_guests) {
		snprintf(why, cap,
			 "guest order and bigcommerce.orders.import_guests is "
			 "off");
		return 0;
	}
	why[0] = '\0';
	return 1;
}

void
ps_oib__plan_dispose(ps_oib_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->rows);
	free(p->row_refs);
	free(p->payments);
	for (i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->reserve);
	free(p->why);
	memset(p, 0, sizeof(*p));
}

static int
add_note(ps_oib_plan *p, const char *label, const char *text, int pub)
{
	size_t n = strlen(label) + strlen(text) + 3;
	char *t = malloc(n);

	if (t == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	snprintf(t, n, "%s: %s", label, text);
	p->notes[p->nnotes] = t;
	p->note_public[p->nnotes] = pub;
	p->nnotes++;
	return 0;
}

/*
 * Copy name into buf cut to PS_OIB_NAME_MAX characters (counting UTF-8
 * characters, cutting only between them); 1 when it was cut.
 */
static int
name_cut(char *buf, size_t cap, const char *name)
{
	size_t i = 0, chars = 0;

	while (name[i] != '\0' && chars < PS_OIB_NAME_MAX) {
		i++;
		while ((name[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	if (i >= cap)
		i = cap - 1; /* not reached: cap holds 4 bytes a character */
	memcpy(buf, name, i);
	buf[i] = '\0';
	return name[i] != '\0';
}

void
ps_oib__names(ps_oib_names *out, const ps_bc_address *ba)
{
	memset(out, 0, sizeof(*out));
	if ((out->first = nz(ba->first_name)) != NULL &&
	    name_cut(out->first_buf, sizeof(out->first_buf), out->first)) {
		out->first = out->first_buf;
		out->cut = 1;
	}
	if ((out->last = nz(ba->last_name)) != NULL &&
	    name_cut(out->last_buf, sizeof(out->last_buf), out->last)) {
		out->last = out->last_buf;
		out->cut = 1;
	}
}

/* A billing name over Brightpearl's limit reaches the contact cut (when
 * it is created or updated): keep the full name in a private order note,
 * whichever way the contact was found. */
static int
plan_names(ps_oib_plan *p, const ps_bc_address *ba)
{
	char full[512];

	ps_oib__names(&p->names, ba);
	if (!p->names.cut)
		return 0;
	p->name_cut = 1;
	why_add(p,
		"customer name longer than Brightpearl's %d characters: "
		"cut, the full name in a private order note",
		PS_OIB_NAME_MAX);
	snprintf(full, sizeof(full), "%s%s%s",
		 nz(ba->first_name) ? ba->first_name : "",
		 nz(ba->first_name) && nz(ba->last_name) ? " " : "",
		 nz(ba->last_name) ? ba->last_name : "");
	return add_note(p, "Customer name in full", full, 0);
}

static int
plan_notes(ps_oib_plan *p, const ps_bc_order *o, const ps_oib_settings *s)
{
	int error;

	if (nz(o->customer_message)) {
		if (nz(s->customer_message_field)) {
			ps_bp_field_value *f = &p->fields[p->nfields++];

			f->code = s->customer_message_field;
			f->type = PS_BP_FIELD_TEXT;
			f->text = o->customer_message;
			why_add(p,
				"customer message -> custom field %s "
				"(bigcommerce.notes.customer_message_field)",
				f->code);
		} else {
			if ((error = add_note(p, "Customer message",
					      o->customer_message, 1)) < 0)
				return error;
			why_add(p, "customer message -> public order note "
				   "(bigcommerce.notes.customer_message_field "
				   "unset)");
		}
	}
	if (nz(o->staff_notes)) {
		if (nz(s->staff_notes_field)) {
			ps_bp_field_value *f = &p->fields[p->nfields++];

			f->code = s->staff_notes_field;
			f->type = PS_BP_FIELD_TEXT;
			f->text = o->staff_notes;
			why_add(p,
				"staff notes -> custom field %s "
				"(bigcommerce.notes.staff_notes_field)",
				f->code);
		} else {
			if ((error = add_note(p, "Staff notes", o->staff_notes,
					      0)) < 0)
				return error;
			why_add(p,
				"staff notes -> private order note "
				"(bigcommerce.notes.staff_notes_field unset)");
		}
	}
	return 0;
}

static int
plan_payments(ps_oib_plan *p, const ps_bc_order *o,
	      const ps_bc_transaction_list *txns, const ps_oib_settings *s,
	      const ps_oib_resolved *r)
{
	size_t i;

	if (!s->payments_enabled) {
		why_add(p, "payments: not recorded "
			   "(bigcommerce.payments.enabled off)");
		return 0;
	}
	if (txns == NULL || txns->count == 0) {
		why_add(p, "payments: %s",
			r->payments_note ? r->payments_note
					 : "none on the BigCommerce order");
		return 0;
	}
	p->payments = calloc(txns->count, sizeof(*p->payments));
	if (p->payments == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < txns->count; i++) {
		const ps_bc_transaction *t = &txns->items[i];
		ps_oib_payment *pay;
		char tname[48];

		if (t->from_order)
			snprintf(tname, sizeof(tname),
				 "of the order (payment_status %s)",
				 o->payment_status);
		else
			snprintf(tname, sizeof(tname), "transaction %lld",
				 (long long)t->id);
		if (!t->ok || (!t->captured && !t->authorized)) {
			why_add(p,
				"payment: %s (%s) skipped: "
				"neither captured nor authorised",
				tname, t->event_name);
			continue;
		}
		if (!t->captured && s->captured_only) {
			why_add(p,
				"payment: %s only authorised; "
				"skipped (bigcommerce.payments.captured_only)",
				tname);
			continue;
		}
		if (r->payment_codes == NULL || r->payment_codes[i] == NULL)
			return ps_error_set(
				PS_EMAPPING,
				"payment method '%s' (gateway '%s') has no "
				"Brightpearl payment method (mapping "
				"payment_method bc>bp, no default)",
				o->payment_method, t->gateway);
		pay = &p->payments[p->npayments++];
		if (t->from_order)
			/* one per order: the order path only takes a single
			 * tender */
			snprintf(pay->ref, sizeof(pay->ref),
				 PS_OIB_ORDER_PAY_REF, (long long)o->id);
		else
			snprintf(pay->ref, sizeof(pay->ref), "bc-txn-%lld",
				 (long long)t->id);
		iso_date(pay->date, sizeof(pay->date),
			 t->date_created ? t->date_created : o->date_created);
		pay->p.order_id = 0; /* filled once the order exists */
		pay->p.method_code = r->payment_codes[i];
		pay->p.type = t->captured ? "RECEIPT" : "AUTH";
		pay->p.currency = nz(t->currency) ? t->currency : p->currency;
		pay->p.amount = t->amount;
		pay->p.transaction_ref = pay->ref;
		pay->p.transaction_code = nz(t->gateway_transaction_id);
		pay->p.payment_date = pay->date;
		if (!t->captured) {
			int64_t at = t->date_created ? t->date_created
						     : o->date_created;

			/* an impossible date has no expiry a week later */
			if (!__builtin_add_overflow(at, 7 * 86400, &at))
				iso_date(pay->expiry, sizeof(pay->expiry), at);
			pay->p.auth_expiry = pay->expiry;
		}
		why_add(p, "payment: %s %s %s as %s (%s)", tname,
			ps_money_format(pay->amount, sizeof(pay->amount),
					t->amount, 2),
			t->captured ? "captured" : "authorised",
			pay->p.method_code,
			r->payment_how ? r->payment_how[i] : "");
	}
	return 0;
}

/*
 * The Brightpearl tax code of row (described by what, for the operator).
 * A fee (key: the row kind's key of the tax_code mapping) takes
 * class_code first, the mapping of its BigCommerce tax class, then own,
 * its key's mapping, then zero_rated when it has no tax, then
 * bigcommerce.defaults.tax_code.  A product line (key NULL) takes
 * zero_rated when it has no tax, then class_code, then the default.
 * class_id is the BigCommerce tax class (-1: not known).  PS_EMAPPING
 * naming the row and the mappings that would decide it when none
 * applies: never a code the merchant did not choose.
 */
static int
plan_tax(ps_oib_plan *p, ps_bp_order_row *row, const char *what,
	 const char *key, const char *own, const char *class_code,
	 int64_t class_id, const ps_oib_settings *s, const ps_oib_resolved *r)
{
	const char *zero = row->tax == 0 ? nz(r->tax_zero_rated) : NULL;
	char cls[64], hint[160];

	if (class_id >= 0)
		snprintf(cls, sizeof(cls), "BigCommerce tax class %lld",
			 (long long)class_id);
	else
		snprintf(cls, sizeof(cls), "its BigCommerce tax class id");
	if (key != NULL && nz(class_code)) {
		row->tax_code = class_code;
		return why_add(p,
			       "%s: tax code %s (mapping tax_code bc>bp %s, "
			       "before %s)",
			       what, class_code, cls, key);
	}
	if (nz(own)) {
		row->tax_code = own;
		return why_add(p, "%s: tax code %s (mapping tax_code bc>bp %s)",
			       what, own, key);
	}
	if (zero != NULL) {
		row->tax_code = zero;
		return why_add(p,
			       "%s: tax code %s (no tax: mapping tax_code "
			       "bc>bp zero_rated)",
			       what, zero);
	}
	if (nz(class_code)) {
		row->tax_code = class_code;
		return why_add(p,
			       "%s: tax code %s (mapping tax_code bc>bp of %s)",
			       what, class_code, cls);
	}
	if (nz(s->tax_code)) {
		row->tax_code = s->tax_code;
		return why_add(p,
			       "%s: tax code %s (bigcommerce.defaults.tax_code;"
			       " %s unmapped)",
			       what, s->tax_code,
			       key ? key
				   : (class_id >= 0 ? cls : "its tax class"));
	}
	/* what would decide it: a line's class, a fee's when the order
	 * names it (the discount row has none), the row's key, zero_rated
	 * when it has no tax */
	hint[0] = '\0';
	if (key == NULL || class_id >= 0) {
		if (class_id >= 0)
			snprintf(hint, sizeof(hint), "%s (key \"%lld\")", cls,
				 (long long)class_id);
		else
			snprintf(hint, sizeof(hint), "%s", cls);
	}
	if (key != NULL)
		snprintf(hint + strlen(hint), sizeof(hint) - strlen(hint),
			 "%s%s", hint[0] ? " or " : "", key);
	if (row->tax == 0)
		snprintf(hint + strlen(hint), sizeof(hint) - strlen(hint),
			 " or zero_rated");
	return ps_error_set(PS_EMAPPING,
			    "%s has no Brightpearl tax code: add a tax_code "
			    "mapping (bc>bp) for %s or set "
			    "bigcommerce.defaults.tax_code",
			    what, hint);
}

/*
 * A handling or gift-wrapping row (name) from its ex and inc tax costs,
 * when either is non-zero, added to *net and *tax.  field is the cost's
 * name without _ex_tax/_inc_tax, for the operator.
 */
static int
plan_cost_row(ps_oib_plan *p, ps_money *net, ps_money *tax,
	      const ps_bc_order *o, const char *name, ps_money ex, ps_money inc,
	      const char *field, const char *key, const char *code,
	      const char *class_code, int64_t class_id,
	      const ps_oib_settings *s, const ps_oib_resolved *r)
{
	ps_bp_order_row *row;
	char f[48], what[160];
	int error;

	if (ex == 0 && inc == 0)
		return 0;
	row = &p->rows[p->nrows++];
	row->name = name;
	row->quantity = 1;
	snprintf(f, sizeof(f), "%s_ex_tax", field);
	if ((error = to_cents(&row->net, ex, o, f)) < 0 ||
	    (error = add_ck(net, *net, row->net, o, f)) < 0)
		return error;
	snprintf(f, sizeof(f), "%s_inc_tax", field);
	if ((error = diff_cents(&row->tax, inc, ex, o, f)) < 0 ||
	    (error = add_ck(tax, *tax, row->tax, o, f)) < 0)
		return error;
	snprintf(what, sizeof(what), "BigCommerce order %lld %s row",
		 (long long)o->id, name);
	return plan_tax(p, row, what, key, code, class_code, class_id, s, r);
}

/*
 * Whether an adjustment d (net or tax) is what discounts disc and
 * rounding (limit) explain: never more than the rounding upwards (a
 * discount only takes away), never more than both downwards.
 */
static int
explained(ps_money d, ps_money disc, ps_money limit)
{
	ps_money floor;

	if (d > limit)
		return 0;
	if (__builtin_add_overflow(disc, limit, &floor))
		return 1; /* a discount that large explains anything */
	return d >= -floor;
}

/*
 * The "Discounts" or "Rounding adjustment" row that makes the rows add
 * up to the BigCommerce totals, when they do not already; refused with
 * PS_EDATA naming the total when the difference is more than the
 * order's discounts and ROUNDING_PER_ROW per row explain.
 */
static int
plan_adjustment(ps_oib_plan *p, ps_money *net, ps_money *tax,
		const ps_bc_order *o, const ps_oib_settings *s,
		const ps_oib_resolved *r)
{
	char a[PS_MONEY_STR_MAX], b[PS_MONEY_STR_MAX], c[PS_MONEY_STR_MAX];
	char what[200];
	ps_money want_net, want_inc, want_tax, dn, dt, disc, limit;
	ps_bp_order_row *row;
	int error, net_ok;

	if ((error = to_cents(&want_net, o->total_ex_tax, o, "total_ex_tax")) <
		    0 ||
	    (error = to_cents(&want_inc, o->total_inc_tax, o,
			      "total_inc_tax")) < 0 ||
	    (error = sub_ck(&want_tax, want_inc, want_net, o,
			    "total_inc_tax")) < 0 ||
	    (error = sub_ck(&dn, want_net, *net, o, "total_ex_tax")) < 0 ||
	    (error = sub_ck(&dt, want_tax, *tax, o, "total_inc_tax")) < 0 ||
	    (error = add_ck(&disc, o->discount_amount, o->coupon_discount, o,
			    "coupon_discount")) < 0)
		return error;
	if (dn == 0 && dt == 0)
		return 0;
	/* p->nrows < o->nproducts + 4 (calloc'd above): no overflow */
	limit = ROUNDING_PER_ROW * (ps_money)(p->nrows + 1);
	if (disc < 0)
		disc = 0; /* a negative discount explains nothing */
	net_ok = explained(dn, disc, limit);
	if (!net_ok || !explained(dt, disc, limit))
		return ps_error_set(
			PS_EDATA,
			"BigCommerce order %lld: field '%s' (%s) does not "
			"match the order's rows: off by %s, more than its "
			"discounts (%s) and rounding (at most %s) explain; "
			"refused rather than forced with an adjustment row",
			(long long)o->id,
			net_ok ? "total_inc_tax" : "total_ex_tax",
			ps_money_format(
				a, sizeof(a),
				net_ok ? o->total_inc_tax : o->total_ex_tax, 2),
			ps_money_format(b, sizeof(b), net_ok ? dt : dn, 2),
			ps_money_format(c, sizeof(c), disc, 2),
			ps_money_format((char[PS_MONEY_STR_MAX]){0},
					PS_MONEY_STR_MAX, limit, 2));
	row = &p->rows[p->nrows++];
	if (disc != 0)
		snprintf(p->discount_row_name, sizeof(p->discount_row_name),
			 "Discounts (coupon %s, order %s)",
			 ps_money_format(a, sizeof(a), o->coupon_discount, 2),
			 ps_money_format(b, sizeof(b), o->discount_amount, 2));
	else
		snprintf(p->discount_row_name, sizeof(p->discount_row_name),
			 "Rounding adjustment");
	row->name = p->discount_row_name;
	row->quantity = 1;
	row->net = dn;
	row->tax = dt;
	row->nominal_code = s->nominal_code;
	*net = want_net; /* += dn, which is exact */
	*tax = want_tax;
	why_add(p, "%s row: net %s tax %s so the total matches BigCommerce",
		row->name, ps_money_format(a, sizeof(a), dn, 2),
		ps_money_format(b, sizeof(b), dt, 2));
	snprintf(what, sizeof(what), "BigCommerce order %lld %s row",
		 (long long)o->id, row->name);
	return plan_tax(p, row, what, "discount", r->tax_discount, NULL, -1, s,
			r);
}

int
ps_oib__plan_build(ps_oib_plan *out, const ps_bc_order *o,
		   const ps_bc_transaction_list *txns, const ps_oib_settings *s,
		   const ps_oib_resolved *r)
{
	ps_oib_plan *p = out;
	ps_money net = 0, tax = 0;
	size_t i, cap;
	int error = 0;
	char a[PS_MONEY_STR_MAX], b[PS_MONEY_STR_MAX];

	memset(p, 0, sizeof(*p));
	if ((error = why_add(p, "BigCommerce order %lld, status '%s' (%d)",
			     (long long)o->id, o->status, o->status_id)) < 0)
		goto done;
	if (s->warehouse_id <= 0) {
		error = ps_error_set(PS_ESETTING,
				     "waiting for setting "
				     "bigcommerce.defaults.warehouse_id");
		goto done;
	}
	if (s->channel_id <= 0) {
		error = ps_error_set(
			PS_ESETTING,
			"waiting for setting bigcommerce.defaults.channel_id");
		goto done;
	}
	if (r->status_id <= 0) {
		error = ps_error_set(
			PS_EMAPPING,
			"BigCommerce status '%s' (%d) has no Brightpearl "
			"status (mapping order_status bc>bp) and "
			"bigcommerce.defaults.order_status_id is not set",
			o->status, o->status_id);
		goto done;
	}
	for (i = 0; i < o->nproducts; i++) {
		const ps_bc_order_product *l = &o->products[i];

		if (l->quantity <= 0) {
			error = ps_error_set(
				PS_EDATA,
				"BigCommerce order %lld line %lld ('%s'): "
				"field 'quantity' is %lld; a line needs at "
				"least 1",
				(long long)o->id, (long long)l->id,
				l->name ? l->name : "", (long long)l->quantity);
			goto done;
		}
		if (r->product_ids[i] == 0 && nz(l->sku)) {
			error = ps_error_set(
				PS_EDATA,
				"SKU '%s' not found in Brightpearl (product "
				"search by %s, no product mapping)",
				l->sku, ps_bp_identity_name(s->match_field));
			goto done;
		}
	}

	snprintf(p->currency, sizeof(p->currency), "%s",
		 nz(o->default_currency_code) ? o->default_currency_code
					      : o->currency_code);
	snprintf(p->external_ref, sizeof(p->external_ref), "%s%lld",
		 s->reference_prefix ? s->reference_prefix : "",
		 (long long)o->id);
	snprintf(p->ref, sizeof(p->ref), "#%lld", (long long)o->id);
	iso_date(p->placed_on, sizeof(p->placed_on), o->date_created);

	/* customer */
	if ((error = plan_names(p, &o->billing_address)) < 0)
		goto done;
	p->order.customer_id = r->customer_id;
	if (r->customer_id == 0 || r->update_customer) {
		const ps_bc_address *ba = &o->billing_address;

		p->create_contact = r->customer_id == 0;
		p->update_contact = r->customer_id != 0;
		p->contact.first_name = nz(ba->first_name);
		p->contact.last_name = nz(ba->last_name);
		/* an update leaves the contact's email alone: the order
		 * carries its own (see CUSTOMER_XREF in order_import_bc.c) */
		p->contact.email = p->create_contact ? nz(ba->email) : NULL;
		p->contact.telephone = nz(ba->phone);
		p->contact.company = nz(ba->company);
		p->contact.address.full_name = NULL;
		p->contact.address.line1 = nz(ba->street_1);
		p->contact.address.line2 = nz(ba->street_2);
		p->contact.address.line3 = nz(ba->city);
		p->contact.address.line4 = nz(ba->state);
		p->contact.address.postal_code = nz(ba->zip);
		p->contact.lead_source_id = s->lead_source_id;
		p->contact.price_list_id = s->price_list_id;
		p->contact.first_name = p->names.first;
		p->contact.last_name = p->names.last;
		if ((error = country_map(&p->contact.address.country_iso,
					 ba->country_iso2, o->id,
					 "billing address")) < 0)
			goto done;
	}
	why_add(p, "customer: %s", r->customer_how ? r->customer_how : "");

	/* rows */
	cap = o->nproducts + 4;
	p->rows = calloc(cap, sizeof(*p->rows));
	p->row_refs = calloc(cap, sizeof(*p->row_refs));
	p->reserve = calloc(cap, sizeof(*p->reserve));
	if (p->rows == NULL || p->row_refs == NULL || p->reserve == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < o->nproducts; i++) {
		const ps_bc_order_product *l = &o->products[i];
		ps_bp_order_row *row = &p->rows[p->nrows];

		snprintf(p->row_refs[p->nrows], sizeof(p->row_refs[0]),
			 "bc-line-%lld", (long long)l->id);
		row->product_id = r->product_ids[i];
		row->name = l->name;
		row->quantity = l->quantity;
		if ((error = to_cents(&row->net, l->total_ex_tax, o,
				      "total_ex_tax")) < 0 ||
		    (error = to_cents(&row->tax, l->total_tax, o,
				      "total_tax")) < 0 ||
		    (error = add_ck(&net, net, row->net, o, "total_ex_tax")) <
			    0 ||
		    (error = add_ck(&tax, tax, row->tax, o, "total_tax")) < 0)
			goto done;
		row->nominal_code = s->nominal_code;
		row->external_ref = p->row_refs[p->nrows];
		p->nrows++;
		{
			char what[200];

			snprintf(what, sizeof(what),
				 "BigCommerce order %lld line %lld ('%s')",
				 (long long)o->id, (long long)l->id,
				 l->name ? l->name : "");
			if ((error = plan_tax(
				     p, row, what, NULL, NULL,
				     r->product_tax_codes
					     ? r->product_tax_codes[i]
					     : NULL,
				     r->product_tax_classes
					     ? r->product_tax_classes[i]
					     : -1,
				     s, r)) < 0)
				goto done;
		}
		if (row->product_id > 0) {
			p->reserve[p->nreserve].product_id = row->product_id;
			p->reserve[p->nreserve].quantity = l->quantity;
			p->nreserve++;
			why_add(p,
				"line %lld: SKU '%s' x%lld -> product %lld "
				"(%s)",
				(long long)l->id, l->sku,
				(long long)l->quantity,
				(long long)row->product_id,
				r->product_how ? r->product_how[i] : "");
		} else {
			why_add(p, "line %lld: '%s' has no SKU: free-text row",
				(long long)l->id, l->name);
		}
	}
	{
		const char *method =
			o->nshipping_addresses
				? o->shipping_addresses[0].shipping_method
				: "";
		ps_money sn, st;
		char what[80];

		if ((error = to_cents(&sn, o->shipping_cost_ex_tax, o,
				      "shipping_cost_ex_tax")) < 0 ||
		    (error = diff_cents(&st, o->shipping_cost_inc_tax,
					o->shipping_cost_ex_tax, o,
					"shipping_cost_inc_tax")) < 0)
			goto done;
		if (sn != 0 || st != 0) {
			ps_bp_order_row *row = &p->rows[p->nrows++];

			snprintf(p->shipping_row_name,
				 sizeof(p->shipping_row_name), "Shipping%s%s",
				 nz(method) ? ": " : "", method);
			row->name = p->shipping_row_name;
			row->quantity = 1;
			row->net = sn;
			row->tax = st;
			row->nominal_code = s->shipping_nominal_code;
			if ((error = add_ck(&net, net, sn, o,
					    "shipping_cost_ex_tax")) < 0 ||
			    (error = add_ck(&tax, tax, st, o,
					    "shipping_cost_inc_tax")) < 0)
				goto done;
			snprintf(what, sizeof(what),
				 "BigCommerce order %lld shipping row",
				 (long long)o->id);
			if ((error = plan_tax(
				     p, row, what, "shipping", r->tax_shipping,
				     r->tax_shipping_class,
				     o->shipping_cost_tax_class_id, s, r)) < 0)
				goto done;
		}
	}
	if ((error = plan_cost_row(
		     p, &net, &tax, o, "Handling", o->handling_cost_ex_tax,
		     o->handling_cost_inc_tax, "handling_cost", "handling",
		     r->tax_handling, r->tax_handling_class,
		     o->handling_cost_tax_class_id, s, r)) < 0 ||
	    (error = plan_cost_row(
		     p, &net, &tax, o, "Gift wrapping", o->wrapping_cost_ex_tax,
		     o->wrapping_cost_inc_tax, "wrapping_cost", "gift_wrapping",
		     r->tax_gift_wrapping, r->tax_gift_wrapping_class,
		     o->wrapping_cost_tax_class_id, s, r)) < 0 ||
	    (error = plan_adjustment(p, &net, &tax, o, s, r)) < 0)
		goto done;
	p->total_net = net;
	p->total_tax = tax;
	if ((error = add_ck(&p->total, net, tax, o, "total_inc_tax")) < 0)
		goto done;
	why_add(p,
		"total %s %s (net %s, tax %s) = BigCommerce total_inc_tax; "
		"prices %s tax",
		ps_money_format(a, sizeof(a), p->total, 2), p->currency,
		ps_money_format(b, sizeof(b), net, 2),
		ps_money_format((char[PS_MONEY_STR_MAX]){0}, PS_MONEY_STR_MAX,
				tax, 2),
		o->is_tax_inclusive_pricing ? "include" : "exclude");

	/* the order */
	{
		ps_bp_order *bo = &p->order;

		bo->ref = p->ref;
		bo->external_ref = p->external_ref;
		bo->placed_on = p->placed_on[0] ? p->placed_on : NULL;
		bo->status_id = r->status_id;
		bo->warehouse_id = s->warehouse_id;
		bo->channel_id = s->channel_id;
		bo->project_id = s->project_id;
		bo->lead_source_id = s->lead_source_id;
		bo->price_list_id = s->price_list_id;
		bo->currency = p->currency;
		bo->price_mode = o->is_tax_inclusive_pricing ? "INC" : "EXC";
		bo->shipping_method_id = r->shipping_method_id;
		bo->rows = p->rows;
		bo->nrows = p->nrows;
		if ((error = ps_oib__addresses(&p->addresses, o)) < 0)
			goto done;
		bo->billing = p->addresses.billing;
		bo->delivery = p->addresses.delivery;
	}
	why_add(p, "status: %lld (%s)", (long long)r->status_id,
		r->status_how ? r->status_how : "");
	why_add(p, "shipping method: %lld (%s)",
		(long long)r->shipping_method_id,
		r->shipping_how ? r->shipping_how : "");
	why_add(p,
		"externalRef %s (bigcommerce.orders.reference_prefix%s), "
		"channel %lld, "
		"warehouse %lld",
		p->external_ref, s->reference_prefix ? "" : " unset",
		(long long)s->channel_id, (long long)s->warehouse_id);

	if ((error = plan_notes(p, o, s)) < 0 ||
	    (error = plan_payments(p, o, txns, s, r)) < 0)
		goto done;
	if (p->nreserve)
		why_add(p, "reservation: %zu product row(s) in warehouse %lld",
			p->nreserve, (long long)s->warehouse_id);
done:
	return error;
}

/* ---- rendering ---------------------------------------------------------- */

static void
render_address(ps_oib_plan *p, const char *what, const ps_bp_address *a)
{
	why_add(p, "    %s: %s%s%s, %s, %s %s, %s", what,
		a->company ? a->company : "", a->company ? ", " : "",
		a->line1 ? a->line1 : "", a->line3 ? a->line3 : "",
		a->line4 ? a->line4 : "", a->postal_code ? a->postal_code : "",
		a->country_iso ? a->country_iso : "");
}

int
ps_oib__plan_render(char **out, const ps_oib_plan *plan)
{
	ps_oib_plan t; /* a scratch plan used only for its text buffer */
	const ps_bp_order *o = &plan->order;
	char a[PS_MONEY_STR_MAX], b[PS_MONEY_STR_MAX];
	size_t i;
	int n = 1;

	*out = NULL;
	memset(&t, 0, sizeof(t));
	if (plan->create_contact || plan->update_contact) {
		const ps_bp_contact *c = &plan->contact;

		if (plan->create_contact)
			why_add(&t,
				"%d. POST /contact-service/contact "
				"(after /contact-service/postal-address)",
				n++);
		else
			why_add(&t, "%d. PATCH /contact-service/contact/%lld",
				n++, (long long)o->customer_id);
		why_add(&t, "    name: %s %s, email: %s, phone: %s",
			c->first_name ? c->first_name : "",
			c->last_name ? c->last_name : "",
			c->email ? c->email : "(unchanged)",
			c->telephone ? c->telephone : "");
		render_address(&t, "address", &c->address);
	}
	why_add(&t, "%d. POST /order-service/sales-order", n++);
	why_add(&t, "    customer: %s, externalRef: %s, ref: %s",
		o->customer_id ? "" : "(the contact above)", o->external_ref,
		o->ref);
	if (o->customer_id)
		why_add(&t, "    customer id: %lld", (long long)o->customer_id);
	why_add(&t,
		"    status %lld, channel %lld, warehouse %lld, project "
		"%lld, lead source %lld, price list %lld",
		(long long)o->status_id, (long long)o->channel_id,
		(long long)o->warehouse_id, (long long)o->project_id,
		(long long)o->lead_source_id, (long long)o->price_list_id);
	why_add(&t,
		"    currency %s, price mode %s, placed on %s, shipping "
		"method %lld",
		o->currency, o->price_mode, o->placed_on ? o->placed_on : "",
		(long long)o->shipping_method_id);
	render_address(&t, "billing", &o->billing);
	render_address(&t, "delivery", &o->delivery);
	for (i = 0; i < o->nrows; i++) {
		const ps_bp_order_row *r = &o->rows[i];

		why_add(&t,
			"    row: %s%lld x %s  net %s tax %s  tax code %s%s%s",
			r->product_id ? "product " : "",
			r->product_id ? (long long)r->product_id
				      : (long long)r->quantity,
			r->product_id ? "" : r->name,
			ps_money_format(a, sizeof(a), r->net, 2),
			ps_money_format(b, sizeof(b), r->tax, 2),
			r->tax_code ? r->tax_code : "(none)",
			r->nominal_code ? "  nominal " : "",
			r->nominal_code ? r->nominal_code : "");
		if (r->product_id)
			why_add(&t, "         quantity %lld, %s",
				(long long)r->quantity, r->name);
	}
	why_add(&t, "    total %s %s",
		ps_money_format(a, sizeof(a), plan->total, 2), plan->currency);
	if (plan->nfields) {
		why_add(&t, "%d. PATCH /order-service/order/{id}/custom-field",
			n++);
		for (i = 0; i < plan->nfields; i++)
			why_add(&t, "    %s = \"%s\"", plan->fields[i].code,
				plan->fields[i].text);
	}
	for (i = 0; i < plan->nnotes; i++) {
		why_add(&t, "%d. POST /order-service/order/{id}/note", n++);
		why_add(&t, "    %s: \"%s\"",
			plan->note_public[i] ? "public" : "private",
			plan->notes[i]);
	}
	for (i = 0; i < plan->npayments; i++) {
		const ps_bp_payment *pay = &plan->payments[i].p;

		why_add(&t, "%d. POST /accounting-service/customer-payment",
			n++);
		why_add(&t,
			"    %s %s %s, method %s, transactionRef %s, "
			"date %s",
			pay->type,
			ps_money_format(a, sizeof(a), pay->amount, 2),
			pay->currency, pay->method_code, pay->transaction_ref,
			pay->payment_date);
	}
	if (plan->nreserve) {
		why_add(&t,
			"%d. POST /warehouse-service/order/{id}/reservation/"
			"warehouse/%lld",
			n++, (long long)o->warehouse_id);
		for (i = 0; i < plan->nreserve; i++)
			why_add(&t, "    product %lld x%lld",
				(long long)plan->reserve[i].product_id,
				(long long)plan->reserve[i].quantity);
	}
	why_add(&t, "%s", "");
	why_add(&t, "Why:");
	why_add(&t, "%s", plan->why ? plan->why : "");
	if (t.why == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	*out = t.why;
	return 0;
}

int
ps_oib__plan_summary(char **out, const ps_oib_plan *p)
{
	char a[PS_MONEY_STR_MAX];
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "sales order externalRef %s: %zu row(s), total %s %s, "
		 "status %lld, %zu payment(s), %zu note(s), %zu field(s)%s%s",
		 p->external_ref, p->nrows,
		 ps_money_format(a, sizeof(a), p->total, 2), p->currency,
		 (long long)p->order.status_id, p->npayments, p->nnotes,
		 p->nfields, p->create_contact ? ", new customer" : "",
		 p->name_cut ? "; customer name cut to Brightpearl's "
			       "limit (in full in an order note)"
			     : "");
	*out = ps_util__strdup(buf);
	return *out ? 0 : ps_error_set(PS_ENOMEM, "out of memory");
}

/* ---- reservation rows --------------------------------------------------- */

/*
 * Brightpearl reserves per sales-order row (Reservation POST, api-docs
 * .brightpearl.com/warehouse/reservation/post.html: every product line
 * names its salesOrderRowId).  The sales-order POST replies only the
 * order id, so the row ids come from a read of the order.  The plan's
 * product rows were sent in BigCommerce line order, and Brightpearl
 * numbers rows in the order they arrive, so the n-th reservation line of
 * a product takes the n-th row of that product in row-id order.
 */
int
ps_oib__reserve_rows(ps_oib_plan *p, const ps_bp_order_row *rows, size_t n)
{
	unsigned char *used;
	size_t i, k;

	if (p->nreserve == 0)
		return 0;
	if ((used = calloc(n ? n : 1, 1)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < p->nreserve; i++) {
		ps_bp_reservation_line *l = &p->reserve[i];
		size_t best = n;

		for (k = 0; k < n; k++) {
			if (used[k] || rows[k].product_id != l->product_id)
				continue;
			/* rows are read sorted by id; do not rely on it */
			if (best == n || rows[k].id < rows[best].id)
				best = k;
		}
		if (best == n || rows[best].id <= 0) {
			free(used);
			return ps_error_set(PS_EDATA,
					    "reservation: the Brightpearl "
					    "order has no row left for "
					    "product %lld (reservation line "
					    "%zu of %zu)",
					    (long long)l->product_id, i + 1,
					    p->nreserve);
		}
		used[best] = 1;
		l->row_id = rows[best].id;
	}
	free(used);
	return 0;
}
