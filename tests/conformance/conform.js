#!/usr/bin/env node
/*
 * conform.js - check the sandbox's BigCommerce API against the official
 * OpenAPI files.
 *
 *   node conform.js --base http://127.0.0.1:PORT --specs DIR
 *                   [--store sandbox] [--token sandbox-token] [--verbose]
 *
 * Starts nothing: it talks to an already running pearlsync-sandbox.  It
 * resets the sandbox to an empty store, then drives every endpoint the
 * BigCommerce simulator serves through the real API (creating products,
 * customers, orders, shipments and hooks as a client would), and validates
 * each response body against the response schema of the matching operation
 * and status code in the spec files (dereferenced; OpenAPI 3.0 "nullable"
 * turned into JSON Schema).  A status the spec does not document is a
 * failure unless allowlist.json lists it, with the reason.  Finally it asks
 * the sandbox which routes it serves and fails if any was not exercised.
 *
 * Exit status: 0 all checks passed, 1 a check failed, 2 usage or set-up
 * error.
 */
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const yaml = require('js-yaml');
const SwaggerParser = require('@apidevtools/swagger-parser');

const SPEC_FILES = {
	'orders.v2': 'orders.v2.oas2.yml',
	'orders.v3': 'orders.v3.yml',
	products: 'catalog/products_catalog.v3.yml',
	variants: 'catalog/product-variants_catalog.v3.yml',
	inventory: 'inventory.v3.yml',
	locations: 'locations.v3.yml',
	customers: 'customers.v3.yml',
	webhooks: 'webhooks.v3.yml',
	store: 'store_information.v2.yml',
};

function parseArgs(argv) {
	const o = { store: 'sandbox', token: 'sandbox-token', verbose: false };
	for (let i = 2; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--verbose') o.verbose = true;
		else if (['--base', '--specs', '--store', '--token'].includes(a) &&
			 i + 1 < argv.length)
			o[a.slice(2)] = argv[++i];
		else throw new Error(`bad argument '${a}'`);
	}
	if (!o.base || !o.specs) throw new Error('--base and --specs are required');
	o.base = o.base.replace(/\/+$/, '');
	return o;
}

const { toJsonSchema, makeAjv } = require('./oas');

async function loadSpecs(dir) {
	const specs = {};
	for (const [name, file] of Object.entries(SPEC_FILES)) {
		const full = path.join(dir, file);
		specs[name] = await SwaggerParser.dereference(full);
	}
	return specs;
}

class Runner {
	constructor(opt, specs, allow, defects) {
		this.opt = opt;
		this.specs = specs;
		this.allow = allow;
		this.defects = defects;
		this.ajv = makeAjv();
		this.compiled = new Map();
		this.passed = 0;
		this.failed = 0;
		this.failures = [];
		this.usedAllow = new Set();
	}

	url(version, p) {
		return `${this.opt.base}/bigcommerce/stores/${this.opt.store}/${version}${p}`;
	}

	async http(method, url, body, headers = {}) {
		const h = Object.assign({ Accept: 'application/json' }, headers);
		const init = { method, headers: h };
		if (body !== undefined) {
			h['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
		}
		const res = await fetch(url, init);
		const text = await res.text();
		let json;
		if (text.length) {
			try { json = JSON.parse(text); } catch (e) { json = undefined; }
		}
		return { status: res.status, headers: res.headers, text, json };
	}

	validator(spec, template, method, status) {
		const key = `${spec} ${method} ${template} ${status}`;
		if (this.compiled.has(key)) return this.compiled.get(key);
		const doc = this.specs[spec];
		const op = doc.paths[template] && doc.paths[template][method.toLowerCase()];
		if (!op) throw new Error(`spec ${spec} has no operation ${method} ${template}`);
		const resp = op.responses[String(status)];
		let v = null;
		if (resp) {
			const content = resp.content || {};
			const ct = Object.keys(content).find((c) => /json/.test(c));
			v = { documented: true, schema: false, ctype: ct };
			if (ct && content[ct].schema)
				v.fn = this.ajv.compile(toJsonSchema(content[ct].schema));
		} else {
			v = { documented: false };
		}
		this.compiled.set(key, v);
		return v;
	}

	/*
	 * The schema errors left once the known spec defects (allowlist.json
	 * "schema_defects": a keyword at an instance path) are set aside; the
	 * scenario checks what such a defect hides by other means.
	 */
	realErrors(spec, template, method, status, errors) {
		return errors.filter((e) => !this.defects.some((d) => {
			const hit = d.spec === spec && d.path === template && d.method === method &&
				d.status === status && d.keyword === e.keyword &&
				new RegExp(d.instance_path).test(e.instancePath);
			if (hit) this.usedAllow.add(d);
			return hit;
		}));
	}

	allowed(spec, template, method, status) {
		return this.allow.find((a) => a.spec === spec && a.path === template &&
			a.method === method && a.status === status);
	}

	record(ok, label, detail) {
		if (ok) {
			this.passed++;
			if (this.opt.verbose) console.log(`ok   ${label}`);
		} else {
			this.failed++;
			this.failures.push(`${label}: ${detail}`);
			console.log(`FAIL ${label}: ${detail}`);
		}
	}

	/*
	 * Send one request and check it.  expect is the status the scenario
	 * needs (a mismatch is a failure); the body is validated against the
	 * spec's schema for the status received.
	 */
	async check(spec, version, method, template, concrete, body, expect, opts = {}) {
		const url = this.url(version, concrete);
		const headers = opts.noAuth ? {} : { 'X-Auth-Token': this.opt.token };
		const res = await this.http(method, url, body, headers);
		const label = `${method} /${version}${concrete} -> ${res.status}`;
		if (expect !== undefined && res.status !== expect) {
			this.record(false, label, `expected status ${expect}; body ${res.text.slice(0, 300)}`);
			return res;
		}
		for (const h of ['X-Rate-Limit-Requests-Left', 'X-Rate-Limit-Requests-Quota',
				 'X-Rate-Limit-Time-Reset-Ms', 'X-Rate-Limit-Time-Window-Ms']) {
			if (!opts.noAuth && !/^\d+$/.test(res.headers.get(h) || '')) {
				this.record(false, label, `missing or non-integer ${h}`);
				return res;
			}
		}
		let v = this.validator(spec, template, method, res.status);
		let status = res.status;
		if (!v.documented) {
			const a = this.allowed(spec, template, method, res.status);
			if (!a) {
				this.record(false, label, `status ${res.status} is not documented for ${method} ${template} in ${SPEC_FILES[spec]} and not in allowlist.json`);
				return res;
			}
			this.usedAllow.add(a);
			if (a.validate_as === null || a.validate_as === undefined) {
				if (a.empty_body && res.text.length !== 0) {
					this.record(false, label, 'allow-listed as an empty body but has one');
					return res;
				}
				this.record(true, `${label} (allow-listed: ${a.id})`);
				return res;
			}
			status = a.validate_as;
			v = this.validator(spec, template, method, status);
		}
		if (!v.fn || res.status === 204) {
			/* No schema, or No Content: the body must be empty. */
			if (res.status === 204 && res.text.length !== 0)
				this.record(false, label, '204 with a body');
			else
				this.record(true, label);
			return res;
		}
		if (res.json === undefined) {
			this.record(false, label, `body is not JSON: ${res.text.slice(0, 200)}`);
			return res;
		}
		if (!v.fn(res.json) && this.realErrors(spec, template, method, status, v.fn.errors).length) {
			const errs = this.realErrors(spec, template, method, status, v.fn.errors).slice(0, 5).map((e) =>
				`${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
			this.record(false, label, `schema (${SPEC_FILES[spec]} ${method} ${template} ${status}): ${errs.join('; ')}`);
			return res;
		}
		this.record(true, label);
		return res;
	}
}

/*
 * The spec's consignments are ambiguous for a validator: the order's
 * `consignments` is oneOf(orderConsignments_Resource, orderConsignment_Get)
 * and every line_items is oneOf(products_Resource[], orderProducts[]),
 * where the *_Resource schemas accept any object.  A body that matches the
 * real shape therefore fails oneOf, and a wrong one may pass.  So each
 * consignment is checked here against its own component schema with
 * line_items taken out, and each line item against exactly the branch the
 * include asked for: orderProducts (consignments.line_items) or a
 * products_Resource with string url and resource (consignments).
 */
function checkConsignments(r, label, order, full) {
	const S = r.specs['orders.v2'].components.schemas;
	const fn = (name, schema) => {
		const key = `consignment ${name}`;
		if (!r.compiled.has(key)) r.compiled.set(key, r.ajv.compile(toJsonSchema(schema)));
		return r.compiled.get(key);
	};
	const ref = {
		type: 'object', required: ['url', 'resource'], additionalProperties: false,
		properties: { url: { type: 'string', pattern: '^https://' },
			      resource: { type: 'string', pattern: '^/orders/\\d+/products/\\d+$' } },
	};
	const errs = [];
	const c = order && order.consignments;
	const one = (what, name, schema, value) => {
		const f = fn(name, schema);
		if (!f(value)) errs.push(`${what}: ${f.errors.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
	};
	if (!c || typeof c !== 'object' || Array.isArray(c)) {
		r.record(false, `${label} consignments`, 'no consignments object');
		return;
	}
	for (const k of ['pickups', 'shipping', 'downloads'])
		if (!Array.isArray(c[k])) errs.push(`${k} is not an array`);
	if (!c.email || !Array.isArray(c.email.gift_certificates)) errs.push('email.gift_certificates is not an array');
	const kinds = [['pickups', 'pickupConsignment_Get'], ['shipping', 'shippingConsignment_Get'],
		['downloads', 'digitalConsignment_Get']];
	const all = [];
	for (const [k, name] of kinds)
		for (const x of c[k] || []) all.push([`${k}[]`, name, S[name], x]);
	for (const x of (c.email && c.email.gift_certificates) || [])
		all.push(['gift_certificates[]', 'giftCertificateConsignment_Get', S.giftCertificateConsignment_Get, x]);
	for (const [what, name, schema, x] of all) {
		const rest = Object.assign({}, x);
		delete rest.line_items;
		delete rest.__warning__; /* undocumented, see the sandbox README */
		one(`${what} ${x.id || ''}`, name, schema, rest);
		if (!Array.isArray(x.line_items)) { errs.push(`${what} line_items is not an array`); continue; }
		if (x.line_items.length > 50) errs.push(`${what} carries ${x.line_items.length} line items inline (at most 50)`);
		for (const li of x.line_items)
			one(`${what} line`, full ? 'orderProducts' : 'products_Resource', full ? S.orderProducts : ref, li);
		if (x.__warning__ !== undefined &&
		    (typeof x.__warning__ !== 'object' || typeof x.__warning__.message !== 'string'))
			errs.push(`${what} __warning__ is not {message}`);
	}
	r.record(errs.length === 0, `${label} consignments`, errs.slice(0, 5).join('; '));
}

function rfc2822Minus(seconds) {
	const d = new Date(Date.now() - seconds * 1000);
	return d.toUTCString().replace('GMT', '+0000');
}

async function scenario(r) {
	const v2 = (m, t, c, b, e, o) => r.check('orders.v2', 'v2', m, t, c, b, e, o);
	const enc = encodeURIComponent;
	const stamp = Date.now();

	/* store information */
	await r.check('store', 'v2', 'GET', '/time', '/time', undefined, 200);
	await r.check('store', 'v2', 'GET', '/store', '/store', undefined, 200);
	await v2('GET', '/order_statuses', '/order_statuses', undefined, 200);
	await v2('GET', '/order_statuses/{status_id}', '/order_statuses/11', undefined, 200);

	/* catalog: create through the API */
	const prod = await r.check('products', 'v3', 'POST', '/catalog/products', '/catalog/products', {
		name: `Conformance Tee ${stamp}`, type: 'physical', weight: 0.5, price: 20,
		sku: `CONF-TEE-${stamp}`, inventory_tracking: 'variant',
		variants: [
			{ sku: `CONF-TEE-${stamp}-S`, price: 20, inventory_level: 5,
			  option_values: [{ option_display_name: 'Size', label: 'S' }] },
			{ sku: `CONF-TEE-${stamp}-M`, price: 21, inventory_level: 7,
			  option_values: [{ option_display_name: 'Size', label: 'M' }] },
		],
	}, 200);
	const prod2 = await r.check('products', 'v3', 'POST', '/catalog/products', '/catalog/products', {
		name: `Conformance Mug ${stamp}`, type: 'physical', weight: 0.4, price: 12.5,
		sku: `CONF-MUG-${stamp}`, inventory_tracking: 'product', inventory_level: 30,
	}, 200);
	if (!prod.json || !prod2.json) throw new Error('product creation failed; cannot continue');
	const pid = prod.json.data.id;
	const pid2 = prod2.json.data.id;
	const vid = prod.json.data.variants[0].id;
	const vid2 = prod.json.data.variants[1].id;
	await r.check('products', 'v3', 'POST', '/catalog/products', '/catalog/products',
		{ name: `Conformance Tee ${stamp}`, type: 'physical', weight: 1 }, 409);
	await r.check('products', 'v3', 'POST', '/catalog/products', '/catalog/products',
		{ type: 'physical', weight: 1 }, 422);
	await r.check('products', 'v3', 'GET', '/catalog/products', '/catalog/products', undefined, 200);
	await r.check('products', 'v3', 'GET', '/catalog/products',
		`/catalog/products?include=variants&sku:in=${enc(`CONF-TEE-${stamp},CONF-MUG-${stamp}`)}`, undefined, 200);
	await r.check('products', 'v3', 'GET', '/catalog/products',
		`/catalog/products?sku=${enc(`CONF-MUG-${stamp}`)}&limit=1&page=1`, undefined, 200);
	await r.check('products', 'v3', 'GET', '/catalog/products/{product_id}', `/catalog/products/${pid}`, undefined, 200);
	await r.check('products', 'v3', 'GET', '/catalog/products/{product_id}', '/catalog/products/999999', undefined, 404);
	await r.check('products', 'v3', 'PUT', '/catalog/products/{product_id}', `/catalog/products/${pid2}`,
		{ inventory_level: 25, price: 13 }, 200);
	/* the batch update: at most 10, every item checked first */
	await r.check('products', 'v3', 'PUT', '/catalog/products', '/catalog/products',
		[{ id: pid, price: 19.5 }, { id: pid2, weight: 0.45, upc: '012345678905' }], 200);
	await r.check('products', 'v3', 'PUT', '/catalog/products', '/catalog/products',
		Array.from({ length: 11 }, () => ({ id: pid, price: 1 })), 413);
	await r.check('products', 'v3', 'PUT', '/catalog/products', '/catalog/products',
		[{ id: pid2, name: `Conformance Tee ${stamp}` }], 409);
	await r.check('products', 'v3', 'PUT', '/catalog/products', '/catalog/products',
		[{ id: pid2, name: 'N'.repeat(251) }], 422);

	await r.check('variants', 'v3', 'GET', '/catalog/products/{product_id}/variants',
		`/catalog/products/${pid}/variants`, undefined, 200);
	const nv = await r.check('variants', 'v3', 'POST', '/catalog/products/{product_id}/variants',
		`/catalog/products/${pid}/variants`,
		{ sku: `CONF-TEE-${stamp}-L`, price: 22, inventory_level: 3,
		  option_values: [{ option_display_name: 'Size', label: 'L' }] }, 200);
	await r.check('variants', 'v3', 'GET', '/catalog/products/{product_id}/variants/{variant_id}',
		`/catalog/products/${pid}/variants/${vid}`, undefined, 200);
	await r.check('variants', 'v3', 'PUT', '/catalog/products/{product_id}/variants/{variant_id}',
		`/catalog/products/${pid}/variants/${vid}`, { inventory_level: 6 }, 200);
	await r.check('variants', 'v3', 'GET', '/catalog/variants',
		`/catalog/variants?sku=${enc(`CONF-TEE-${stamp}-M`)}`, undefined, 200);
	await r.check('variants', 'v3', 'PUT', '/catalog/variants', '/catalog/variants',
		[{ id: vid, inventory_level: 9 }, { id: vid2, inventory_level: 4 }], 200);
	await r.check('variants', 'v3', 'PUT', '/catalog/variants', '/catalog/variants',
		Array.from({ length: 51 }, () => ({ id: vid, inventory_level: 1 })), 413);
	await r.check('variants', 'v3', 'PUT', '/catalog/variants', '/catalog/variants',
		[{ id: 987654321, inventory_level: 1 }], 422);

	/* inventory */
	await r.check('inventory', 'v3', 'PUT', '/inventory/adjustments/absolute', '/inventory/adjustments/absolute', {
		reason: 'conformance', items: [
			{ location_id: 1, variant_id: vid, quantity: 11 },
			{ location_id: 1, sku: `CONF-TEE-${stamp}-M`, quantity: 12 },
			{ location_id: 1, product_id: pid2, quantity: 13 }],
	}, 200);
	await r.check('inventory', 'v3', 'POST', '/inventory/adjustments/relative', '/inventory/adjustments/relative', {
		reason: 'conformance', items: [{ location_id: 1, variant_id: vid, quantity: -1 }],
	}, 200);
	await r.check('inventory', 'v3', 'PUT', '/inventory/adjustments/absolute', '/inventory/adjustments/absolute', {
		items: [{ location_id: 1, variant_id: prod2.json.data.base_variant_id, quantity: 1 }],
	}, 422);
	await r.check('inventory', 'v3', 'GET', '/inventory/items',
		`/inventory/items?variant_id:in=${vid},${vid2}`, undefined, 200);
	await r.check('inventory', 'v3', 'GET', '/inventory/locations/{location_id}/items',
		'/inventory/locations/1/items', undefined, 200);
	await r.check('locations', 'v3', 'GET', '/inventory/locations', '/inventory/locations', undefined, 200);

	/* customers */
	const email = `conf-${stamp}@example.com`;
	const cust = await r.check('customers', 'v3', 'POST', '/customers', '/customers', [{
		email, first_name: 'Con', last_name: 'Formance',
		addresses: [{ first_name: 'Con', last_name: 'Formance', address1: '1 Test Road',
			city: 'Austin', state_or_province: 'Texas', postal_code: '78701', country_code: 'US' }],
	}], 200);
	await r.check('customers', 'v3', 'POST', '/customers', '/customers',
		[{ email, first_name: 'Dup', last_name: 'Licate' }], 422);
	await r.check('customers', 'v3', 'POST', '/customers', '/customers',
		Array.from({ length: 11 }, (_, i) => ({ email: `bulk${i}-${stamp}@example.com`, first_name: 'B', last_name: 'K' })), 413);
	await r.check('customers', 'v3', 'GET', '/customers', `/customers?email:in=${enc(email)}`, undefined, 200);
	await r.check('customers', 'v3', 'GET', '/customers', '/customers?include=addresses&limit=2', undefined, 200);
	const customerId = cust.json && cust.json.data[0].id;

	/* orders v2 */
	const billing = { first_name: 'Con', last_name: 'Formance', street_1: '1 Test Road', city: 'Austin',
		state: 'Texas', zip: '78701', country: 'United States', country_iso2: 'US', email };
	await v2('GET', '/orders', `/orders?min_id=987654`, undefined, 204);
	const ord = await v2('POST', '/orders', '/orders', {
		billing_address: billing, customer_id: customerId, status_id: 11,
		products: [
			{ product_id: pid, variant_id: vid, quantity: 2, price_inc_tax: 21.65, price_ex_tax: 20 },
			{ product_id: pid2, quantity: 3 },
			{ name: 'Gift note', quantity: 1, price_inc_tax: 1, price_ex_tax: 1, sku: 'NOTE' }],
		shipping_cost_ex_tax: 5, shipping_cost_inc_tax: 5.41, customer_message: 'Leave at door',
		staff_notes: 'conformance',
	}, 201);
	if (!ord.json) throw new Error('order creation failed; cannot continue');
	const oid = ord.json.id;
	await v2('POST', '/orders', '/orders', { products: [] }, 400);
	await v2('GET', '/orders', '/orders', undefined, 200);
	await v2('GET', '/orders', `/orders?min_date_modified=${enc(rfc2822Minus(3600))}&sort=date_modified:asc&limit=250&page=1`, undefined, 200);
	await v2('GET', '/orders', `/orders?status_id=11&max_date_created=${enc(new Date(Date.now() + 3600e3).toISOString())}`, undefined, 200);
	await v2('GET', '/orders', '/orders?status_id=13', undefined, 204);
	await v2('GET', '/orders/count', '/orders/count', undefined, 200);
	await v2('GET', '/orders/{order_id}', `/orders/${oid}`, undefined, 200);
	await v2('GET', '/orders/{order_id}', '/orders/99999999', undefined, 404);

	/* consignments inline: refs, full lines, on one order and on a list */
	const incl = '&consignment_structure=object';
	for (const [inc, full] of [['consignments', false], ['consignments.line_items', true],
				   ['consignments.line_items,fees', true]]) {
		const one = await v2('GET', '/orders/{order_id}', `/orders/${oid}?include=${inc}${incl}`, undefined, 200);
		checkConsignments(r, `GET /v2/orders/${oid}?include=${inc}`, one.json, full);
		const many = await v2('GET', '/orders', `/orders?min_id=${oid}&max_id=${oid + 249}&limit=250&include=${inc}${incl}`,
			undefined, 200);
		const rows = Array.isArray(many.json) ? many.json : [];
		r.record(rows.length > 0 && rows.every((o) => o.id >= oid && o.id <= oid + 249),
			`GET /v2/orders?min_id&max_id rows in range`, `ids ${rows.map((o) => o.id).join(',')}`);
		for (const o of rows) checkConsignments(r, `GET /v2/orders?include=${inc} order ${o.id}`, o, full);
	}
	/* more than 50 lines: the consignment is cut and says so */
	const bulk = await v2('POST', '/orders', '/orders', {
		billing_address: billing, status_id: 11,
		products: Array.from({ length: 55 }, (_, i) => ({
			name: `Bulk ${i}`, quantity: 1, price_inc_tax: 1, price_ex_tax: 1, sku: `BULK-${i}` })),
	}, 201);
	if (bulk.json) {
		const b = await v2('GET', '/orders/{order_id}',
			`/orders/${bulk.json.id}?include=consignments.line_items${incl}`, undefined, 200);
		checkConsignments(r, `GET /v2/orders/${bulk.json.id}?include=consignments.line_items (55 lines)`, b.json, true);
		const sh = b.json && b.json.consignments && b.json.consignments.shipping[0];
		r.record(Boolean(sh && sh.line_items.length === 50 && sh.__warning__),
			'55 lines: 50 inline and a __warning__', JSON.stringify(sh && sh.__warning__));
	}
	await v2('PUT', '/orders/{order_id}', `/orders/${oid}`, { staff_notes: 'updated by conformance' }, 200);
	await v2('PUT', '/orders/{order_id}', `/orders/${oid}`, { status_id: 9 }, 200);
	const lines = await v2('GET', '/orders/{order_id}/products', `/orders/${oid}/products`, undefined, 200);
	await v2('GET', '/orders/{order_id}/products/{product_id}',
		`/orders/${oid}/products/${lines.json[0].id}`, undefined, 200);
	const addrs = await v2('GET', '/orders/{order_id}/shipping_addresses',
		`/orders/${oid}/shipping_addresses`, undefined, 200);
	await v2('GET', '/orders/{order_id}/shipping_addresses/{id}',
		`/orders/${oid}/shipping_addresses/${addrs.json[0].id}`, undefined, 200);
	await v2('PUT', '/orders/{order_id}/shipping_addresses/{id}',
		`/orders/${oid}/shipping_addresses/${addrs.json[0].id}`,
		{ street_1: '2 Conformance Road', zip: '54321' }, 200);
	await v2('GET', '/orders/{order_id}/coupons', `/orders/${oid}/coupons`, undefined, 204);
	/* taxed lines and shipping: rows, with the details members when asked */
	const taxes = await v2('GET', '/orders/{order_id}/taxes', `/orders/${oid}/taxes?details=true`, undefined, 200);
	const trows = Array.isArray(taxes.json) ? taxes.json : [];
	r.record(trows.some((t) => t.line_item_type === 'item' && t.order_product_id === String(lines.json[0].id)) &&
		trows.some((t) => t.line_item_type === 'shipping' && t.order_product_id === null),
		'GET /v2/orders/{id}/taxes?details=true names the line and the shipping', JSON.stringify(trows));
	const plain = await v2('GET', '/orders/{order_id}/taxes', `/orders/${oid}/taxes`, undefined, 200);
	r.record(Array.isArray(plain.json) && plain.json.every((t) => !('line_item_type' in t)),
		'GET /v2/orders/{id}/taxes without details has no line_item_type', JSON.stringify(plain.json));
	await v2('GET', '/orders/{order_id}/messages', `/orders/${oid}/messages`, undefined, 204);

	/* shipments */
	await v2('GET', '/orders/{order_id}/shipments', `/orders/${oid}/shipments`, undefined, 204);
	const sh = await v2('POST', '/orders/{order_id}/shipments', `/orders/${oid}/shipments`, {
		order_address_id: addrs.json[0].id, tracking_number: '1Z999', shipping_provider: 'ups',
		comments: 'first parcel', items: [{ order_product_id: lines.json[0].id, quantity: 1 }],
	}, 201);
	await v2('POST', '/orders/{order_id}/shipments', `/orders/${oid}/shipments`, {
		order_address_id: addrs.json[0].id, items: [{ order_product_id: lines.json[0].id, quantity: 5 }],
	}, 422);
	await v2('GET', '/orders/{order_id}/shipments', `/orders/${oid}/shipments`, undefined, 200);
	await v2('GET', '/orders/{order_id}/shipments/count', `/orders/${oid}/shipments/count`, undefined, 200);
	await v2('GET', '/orders/{order_id}/shipments/{shipment_id}',
		`/orders/${oid}/shipments/${sh.json.id}`, undefined, 200);
	await v2('PUT', '/orders/{order_id}/shipments/{shipment_id}',
		`/orders/${oid}/shipments/${sh.json.id}`, { tracking_number: '1Z1000' }, 200);

	/* orders v3: transactions and refunds */
	await r.check('orders.v3', 'v3', 'GET', '/orders/{order_id}/transactions',
		`/orders/${oid}/transactions`, undefined, 204);
	const placed = await r.http('POST', `${r.opt.base}/_sandbox/bigcommerce/orders`, {
		billing_address: billing, lines: [{ sku: `CONF-MUG-${stamp}`, quantity: 1 }],
		status_id: 11, payment: { gateway: 'braintree', captured: false },
	});
	if (placed.status !== 201) throw new Error(`control order failed: ${placed.text}`);
	const paid = placed.json.order.id;
	/* the merchant's refund: a quote, the over-refund refused, then the
	 * refund of the quoted amount */
	const items = [{ item_type: 'PRODUCT', item_id: placed.json.products[0].id, quantity: 1 }];
	const quote = await r.check('orders.v3', 'v3', 'POST', '/orders/{order_id}/payment_actions/refund_quotes',
		`/orders/${paid}/payment_actions/refund_quotes`, { items }, 201);
	await r.check('orders.v3', 'v3', 'POST', '/orders/{order_id}/payment_actions/refund_quotes',
		`/orders/${paid}/payment_actions/refund_quotes`,
		{ items: [{ item_type: 'PRODUCT', item_id: placed.json.products[0].id, quantity: 5 }] }, 422);
	const amount = quote.json && quote.json.data ? quote.json.data.total_refund_amount : 0;
	await r.check('orders.v3', 'v3', 'POST', '/orders/{order_id}/payment_actions/refunds',
		`/orders/${paid}/payment_actions/refunds`,
		{ items, payments: [{ provider_id: 'braintree', amount, offline: false }] }, 201);
	await r.check('orders.v3', 'v3', 'GET', '/orders/{order_id}/transactions',
		`/orders/${paid}/transactions`, undefined, 200);
	await r.check('orders.v3', 'v3', 'GET', '/orders/{order_id}/payment_actions/refunds',
		`/orders/${paid}/payment_actions/refunds`, undefined, 200);
	await r.check('orders.v3', 'v3', 'GET', '/orders/payment_actions/refunds',
		`/orders/payment_actions/refunds?order_id:in=${paid}`, undefined, 200);
	/* a split tender: store credit, then the card for the rest; its
	 * transactions and the v2 order that sums them (store_credit_amount,
	 * payment_provider_id) */
	const split = await r.http('POST', `${r.opt.base}/_sandbox/bigcommerce/orders`, {
		billing_address: billing, lines: [{ sku: `CONF-MUG-${stamp}`, quantity: 2 }],
		status_id: 11, payment: { gateway: 'stripe', captured: true, store_credit: '1.00' },
	});
	if (split.status !== 201) throw new Error(`control order failed: ${split.text}`);
	await r.check('orders.v3', 'v3', 'GET', '/orders/{order_id}/transactions',
		`/orders/${split.json.order.id}/transactions`, undefined, 200);
	await v2('GET', '/orders/{order_id}', `/orders/${split.json.order.id}`, undefined, 200);
	await v2('DELETE', '/orders/{order_id}/shipments/{shipment_id}',
		`/orders/${oid}/shipments/${sh.json.id}`, undefined, 204);
	await v2('DELETE', '/orders/{order_id}', `/orders/${paid}`, undefined, 204);

	/* webhooks */
	const hook = await r.check('webhooks', 'v3', 'POST', '/hooks', '/hooks', {
		scope: 'store/order/created', destination: 'https://hooks.example.com/bc',
		is_active: false, headers: { 'X-Secret': 'conformance' },
	}, 200);
	await r.check('webhooks', 'v3', 'POST', '/hooks', '/hooks', { scope: 'store/order/created' }, 422);
	await r.check('webhooks', 'v3', 'GET', '/hooks', '/hooks', undefined, 200);
	await r.check('webhooks', 'v3', 'GET', '/hooks', '/hooks', undefined, 401, { noAuth: true });
	await r.check('webhooks', 'v3', 'GET', '/hooks/{webhook_id}', `/hooks/${hook.json.data.id}`, undefined, 200);
	await r.check('webhooks', 'v3', 'GET', '/hooks/{webhook_id}', '/hooks/1', undefined, 404);
	await r.check('webhooks', 'v3', 'PUT', '/hooks/{webhook_id}', `/hooks/${hook.json.data.id}`,
		{ is_active: false, destination: 'https://hooks.example.com/bc2' }, 200);
	await r.check('webhooks', 'v3', 'DELETE', '/hooks/{webhook_id}', `/hooks/${hook.json.data.id}`, undefined, 200);
	void nv;
}

async function main() {
	let opt;
	try {
		opt = parseArgs(process.argv);
	} catch (e) {
		console.error(`conform: ${e.message}`);
		console.error('usage: node conform.js --base URL --specs DIR [--store S] [--token T] [--verbose]');
		process.exit(2);
	}
	const allowPath = path.join(__dirname, 'allowlist.json');
	const allowDoc = JSON.parse(fs.readFileSync(allowPath, 'utf8'));
	const allow = allowDoc.entries;
	const defects = allowDoc.schema_defects || [];
	for (const d of defects) {
		if (!d.id || !d.reason || !d.spec || !d.method || !d.path || !d.status || !d.keyword ||
		    typeof d.instance_path !== 'string')
			throw new Error(`schema_defects entry ${JSON.stringify(d)} lacks id, reason, spec, method, path, status, keyword or instance_path`);
	}
	for (const a of allow) {
		if (!a.id || !a.reason || !a.spec || !a.method || !a.path || !a.status)
			throw new Error(`allowlist entry ${JSON.stringify(a)} lacks id, reason, spec, method, path or status`);
	}
	const specs = await loadSpecs(opt.specs);
	const r = new Runner(opt, specs, allow, defects);

	const reset = await r.http('POST', `${opt.base}/_sandbox/reset`, { seed: 'empty' });
	if (reset.status !== 200) throw new Error(`reset failed: ${reset.status}`);
	/* The quota must not interfere with a long scenario. */
	await r.http('POST', `${opt.base}/_sandbox/bigcommerce/config`, { quota: 0 });

	/* A receiver for the callbacks, and hooks on every event family. */
	const received = [];
	const server = http.createServer((req, res) => {
		let body = '';
		req.on('data', (c) => { body += c; });
		req.on('end', () => {
			received.push({ headers: req.headers, body });
			res.writeHead(200);
			res.end();
		});
	});
	await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
	const dest = `http://127.0.0.1:${server.address().port}/callbacks`;
	for (const family of ['order', 'shipment', 'product', 'sku', 'customer']) {
		const h = await r.http('POST', r.url('v3', '/hooks'), {
			scope: `store/${family}/*`, destination: dest, is_active: true,
			headers: { 'X-Conformance': family },
		}, { 'X-Auth-Token': opt.token });
		if (h.status !== 200) throw new Error(`hook for ${family} failed: ${h.text}`);
	}

	await scenario(r);

	/* Wait for the deliveries to settle, then check every callback. */
	const deadline = Date.now() + 15000;
	for (;;) {
		const d = await r.http('GET', `${opt.base}/_sandbox/webhooks?platform=bigcommerce`);
		const list = Array.isArray(d.json) ? d.json : (d.json && d.json.deliveries) || [];
		const pending = list.filter((x) => x.state === 'pending').length;
		if ((pending === 0 && received.length > 0) || Date.now() > deadline) break;
		await new Promise((ok) => setTimeout(ok, 50));
	}
	server.close();
	r.record(received.length >= 10, `webhooks received (${received.length})`, 'too few callbacks arrived');
	const cbDir = path.join(opt.specs, 'webhook-callbacks');
	const cbValidators = new Map();
	const scopes = new Set();
	for (const cb of received) {
		let payload;
		try { payload = JSON.parse(cb.body); } catch (e) { payload = null; }
		const scope = payload && payload.scope;
		const label = `webhook ${scope || '?'}`;
		if (!scope) { r.record(false, label, `not JSON: ${cb.body.slice(0, 100)}`); continue; }
		if (!cb.headers['x-conformance']) { r.record(false, label, 'custom header missing'); continue; }
		if (!cbValidators.has(scope)) {
			const file = path.join(cbDir, `${scope.replace(/\//g, '_')}.yml`);
			let fn = null;
			if (fs.existsSync(file)) {
				const doc = yaml.load(fs.readFileSync(file, 'utf8'));
				const schema = doc && doc.properties && doc.properties[scope];
				if (schema) fn = r.ajv.compile(toJsonSchema(schema));
			}
			cbValidators.set(scope, fn);
		}
		const fn = cbValidators.get(scope);
		if (!fn) { r.record(false, label, `no callback schema for ${scope} in webhook-callbacks`); continue; }
		if (scopes.has(scope)) continue; /* one check per scope is enough */
		scopes.add(scope);
		if (!fn(payload)) {
			const errs = fn.errors.slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
			r.record(false, label, errs.join('; '));
		} else {
			r.record(true, label);
		}
	}

	/* Every route the simulator serves must have been exercised. */
	const routes = await r.http('GET', `${opt.base}/_sandbox/bigcommerce/routes`);
	const counts = await r.http('GET', `${opt.base}/_sandbox/requests`);
	const seen = (counts.json && counts.json.bigcommerce && counts.json.bigcommerce.endpoints) || {};
	for (const route of (routes.json || [])) {
		r.record(Boolean(seen[route]), `coverage ${route}`, 'served by the sandbox but never exercised');
	}
	for (const a of allow.concat(defects)) {
		if (!r.usedAllow.has(a))
			console.log(`note: allow-list entry '${a.id}' was not needed in this run`);
	}
	console.log(`conformance: ${r.passed} passed, ${r.failed} failed`);
	process.exit(r.failed ? 1 : 0);
}

main().catch((e) => {
	console.error(`conform: ${e.stack || e.message}`);
	process.exit(2);
});
