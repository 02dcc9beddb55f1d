#!/usr/bin/env node
/*
 * dsco.js - check the sandbox's DSCO (Rithum) API against Rithum's OpenAPI
 * 3.1 file.
 *
 *   node dsco.js --base http://127.0.0.1:PORT --spec FILE.yaml [--verbose]
 *
 * Starts nothing: it talks to an already running pearlsync-sandbox.  It
 * resets the sandbox to an empty account, sets up a catalogue, warehouses
 * and purchase orders through the control API, then drives every DSCO
 * endpoint the simulator serves as a supplier's client would (token,
 * paging, acknowledge, shipments, cancels, inventory, invoices, change
 * logs, warehouses) and validates each reply body against the response
 * schema of the matching operation and status in the spec (dereferenced
 * once).  The spec is OpenAPI 3.1 but its schemas use only keywords that
 * the 3.0 converter in oas.js already handles (type arrays, "nullable",
 * numeric bounds), so the same ajv set-up serves.
 *
 * Statuses the spec does not document (the simulator's UNCONFIRMED error
 * bodies: 400 on synchronous endpoints, 401, 403, 404, 429) must be listed
 * in UNDOCUMENTED below with the reason; they are checked against the
 * shape the sandbox promises (the spec's own envelope for 400s).  Finally
 * every route the simulator serves must have been exercised.
 *
 * Exit status: 0 all checks passed, 1 a check failed, 2 usage or set-up
 * error.
 */
'use strict';

const SwaggerParser = require('@apidevtools/swagger-parser');
const { toJsonSchema, makeAjv } = require('./oas');

const TOKEN = 'sandbox-dsco-token';

/*
 * Replies the spec leaves undocumented, with the shape the simulator uses
 * (README, DSCO, "UNCONFIRMED"): "message" = {"message": string};
 * "envelope" = the spec's async envelope (the 202 of /order/acknowledge).
 */
const UNDOCUMENTED = {
	400: { shape: 'envelope', why: 'validation failures of sync endpoints use the standard envelope (status failure)' },
	401: { shape: 'message', why: 'missing or expired bearer token; the spec documents no 401 body' },
	403: { shape: 'message', why: 'unknown route: the AWS API Gateway answer observed for /order/changelog' },
	404: { shape: 'message', why: 'unknown order or expired scroll page; the spec gives the status only' },
	429: { shape: 'message', why: 'per-endpoint rate limit; the spec gives the limits but no body' },
};

/*
 * A defect of the spec's own schemas that no body could avoid:
 * OrderLineItemActivity requires a field "activity" but names it "action"
 * (as the wire does).  It sits inside the stream payload's oneOf too, where
 * setting an error aside afterwards cannot work, so the schema is read as
 * requiring "action" instead (fixed once, after dereferencing).
 */
function fixSpec(spec) {
	const seen = new Set();
	let fixed = 0;
	(function walk(o) {
		if (!o || typeof o !== 'object' || seen.has(o)) return;
		seen.add(o);
		if (o.title === 'OrderLineItemActivity' && Array.isArray(o.required) &&
		    o.required.includes('activity') && o.properties && !o.properties.activity) {
			o.required = o.required.map((k) => (k === 'activity' ? 'action' : k));
			fixed++;
		}
		for (const v of Object.values(o)) walk(v);
	})(spec.paths);
	return fixed;
}

/*
 * A oneOf whose branches overlap (the change-log payload: an acknowledge
 * {id,type} and a cancel {id,type,lineItems} both match a cancel) fails
 * with several passing branches.  Such a failure is a spec defect, not a
 * bad body: the value matched every passing branch in full, so the
 * errors under it (from the branches that did not pass) are dropped.
 */
function realErrors(errors) {
	const overlap = errors.filter((e) => e.keyword === 'oneOf' && e.params &&
		Array.isArray(e.params.passingSchemas) && e.params.passingSchemas.length > 1).map((e) => e.instancePath);
	return errors.filter((e) => !overlap.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)));
}

const MESSAGE_SCHEMA = {
	type: 'object', required: ['message'], additionalProperties: false,
	properties: { message: { type: 'string', minLength: 1 } },
};

function parseArgs(argv) {
	const o = { verbose: false };
	for (let i = 2; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--verbose') o.verbose = true;
		else if (['--base', '--spec'].includes(a) && i + 1 < argv.length) o[a.slice(2)] = argv[++i];
		else throw new Error(`bad argument '${a}'`);
	}
	if (!o.base || !o.spec) throw new Error('--base and --spec are required');
	o.base = o.base.replace(/\/+$/, '');
	return o;
}

class Runner {
	constructor(opt, spec) {
		this.opt = opt;
		this.spec = spec;
		this.ajv = makeAjv();
		this.compiled = new Map();
		this.passed = 0;
		this.failed = 0;
	}

	record(ok, label, detail) {
		if (ok) {
			this.passed++;
			if (this.opt.verbose) console.log(`ok   ${label}`);
		} else {
			this.failed++;
			console.log(`FAIL ${label}: ${detail}`);
		}
	}

	async http(method, url, body, headers = {}) {
		const h = Object.assign({ Accept: 'application/json' }, headers);
		const init = { method, headers: h };
		if (body !== undefined) {
			if (typeof body === 'string') {
				init.body = body;
			} else {
				h['Content-Type'] = 'application/json';
				init.body = JSON.stringify(body);
			}
		}
		const res = await fetch(url, init);
		const text = await res.text();
		let json;
		try { json = text.length ? JSON.parse(text) : undefined; } catch (e) { json = undefined; }
		return { status: res.status, text, json };
	}

	async control(method, path, body) {
		const res = await this.http(method, `${this.opt.base}/_sandbox${path}`, body);
		if (res.status !== 200) throw new Error(`control ${method} ${path}: ${res.status} ${res.text.slice(0, 200)}`);
		return res.json;
	}

	schemaFor(template, method, status) {
		const key = `${method} ${template} ${status}`;
		if (this.compiled.has(key)) return this.compiled.get(key);
		const op = this.spec.paths[template] && this.spec.paths[template][method.toLowerCase()];
		if (!op) throw new Error(`the spec has no operation ${method} ${template}`);
		const resp = op.responses[String(status)];
		let v = null;
		if (resp) {
			const content = resp.content || {};
			const ct = Object.keys(content).find((c) => /json/.test(c));
			v = { documented: true };
			if (ct && content[ct].schema) v.fn = this.ajv.compile(toJsonSchema(content[ct].schema));
		} else if (UNDOCUMENTED[status]) {
			const u = UNDOCUMENTED[status];
			v = { documented: false, why: u.why };
			if (u.shape === 'message') {
				v.fn = this.ajv.compile(MESSAGE_SCHEMA);
			} else {
				const env = this.spec.paths['/order/acknowledge'].post.responses['202'].content['application/json'].schema;
				v.fn = this.ajv.compile(toJsonSchema(env));
			}
		} else {
			v = { documented: false };
		}
		this.compiled.set(key, v);
		return v;
	}

	/*
	 * One request through the DSCO API: concrete is the path after /dsco
	 * (with the query), template the spec's path.  The status must be
	 * expect; the body must match the schema for that status.
	 */
	async check(method, template, concrete, body, expect, opts = {}) {
		const headers = Object.assign({}, opts.headers || {});
		if (!opts.noAuth && !headers.Authorization) headers.Authorization = `Bearer ${TOKEN}`;
		const res = await this.http(method, `${this.opt.base}/dsco${concrete}`, body, headers);
		const label = `${method} ${concrete.slice(0, 90)} -> ${res.status}`;
		if (expect !== undefined && res.status !== expect) {
			this.record(false, label, `expected ${expect}; body ${res.text.slice(0, 300)}`);
			return res;
		}
		const v = this.schemaFor(template, method, res.status);
		if (!v.fn) {
			this.record(false, label, `status ${res.status} is neither documented for ${method} ${template} nor listed in UNDOCUMENTED`);
			return res;
		}
		if (res.json === undefined) {
			this.record(false, label, `body is not JSON: ${res.text.slice(0, 200)}`);
			return res;
		}
		if (!v.fn(res.json) && realErrors(v.fn.errors).length) {
			const errs = realErrors(v.fn.errors).slice(0, 5).map((e) =>
				`${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
			this.record(false, label, `schema (${method} ${template} ${res.status}): ${errs.join('; ')}`);
			return res;
		}
		this.record(true, v.documented ? label : `${label} (undocumented: ${v.why})`);
		return res;
	}

	/* Poll a change log by requestId until COMPLETED, validating each reply. */
	async logWait(which, rid) {
		for (let i = 0; i < 100; i++) {
			const res = await this.check('GET', `/${which}/log`, `/${which}/log?requestId=${encodeURIComponent(rid)}`, undefined, 200);
			if (res.json && res.json.status === 'COMPLETED') return res.json;
			await new Promise((r) => setTimeout(r, 50));
		}
		this.record(false, `${which}/log ${rid}`, 'never COMPLETED');
		return null;
	}
}

function iso(offsetS) {
	return new Date(Date.now() + offsetS * 1000).toISOString();
}

async function scenario(r) {
	await r.control('POST', '/reset', { seed: 'empty' });
	await r.control('POST', '/dsco/items', { items: [
		{ sku: 'TEE-RED-M', title: 'Classic tee red M', upc: '012345000028' },
		{ sku: 'MUG-LOGO', title: 'Logo mug 350ml' },
		{ sku: 'CAP-BLK', title: 'Baseball cap black' }] });
	await r.control('POST', '/dsco/warehouses', { warehouses: [
		{ code: 'WH01', name: 'Main warehouse', address: ['1 Depot Road'], city: 'Columbus', region: 'OH', postal: '43004', country: 'US' }] });
	const created = [];
	for (let i = 0; i < 12; i++) {
		const o = await r.control('POST', '/dsco/orders', {
			poNumber: `CF-${100 + i}`, consumerOrderNumber: `WEB-${100 + i}`, createdAt: iso(-600 + i),
			lines: [{ sku: 'TEE-RED-M', quantity: 2, expectedCost: 9.5, consumerPrice: 19 },
				{ sku: 'MUG-LOGO', quantity: 1, expectedCost: 4.5 }],
		});
		created.push(o);
	}
	await r.control('POST', '/dsco/request-cancel', { poNumber: 'CF-111', code: 'CXRR' });

	/* token endpoint: 200, 400, 401 */
	const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
	await r.check('POST', '/oauth2/token', '/oauth2/token',
		'grant_type=client_credentials&client_id=sandbox-client&client_secret=sandbox-secret', 200, { noAuth: true, headers: form });
	await r.check('POST', '/oauth2/token', '/oauth2/token', 'client_id=sandbox-client', 400, { noAuth: true, headers: form });
	await r.check('POST', '/oauth2/token', '/oauth2/token',
		'grant_type=client_credentials&client_id=sandbox-client&client_secret=nope', 401, { noAuth: true, headers: form });

	await r.check('GET', '/hello', '/hello', undefined, 200);
	await r.check('GET', '/hello', '/hello', undefined, 401, { noAuth: true });

	/* orders by page: window, scroll to the empty end, consumer number */
	const win = `ordersCreatedSince=${encodeURIComponent(iso(-3600))}&until=${encodeURIComponent(iso(-10))}`;
	let page = await r.check('GET', '/order/page', `/order/page?${win}&ordersPerPage=10`, undefined, 200);
	while (page.json && page.json.scrollId) {
		page = await r.check('GET', '/order/page', `/order/page?scrollId=${encodeURIComponent(page.json.scrollId)}`, undefined, 200);
	}
	await r.check('GET', '/order/page', `/order/page?consumerOrderNumber=WEB-101`, undefined, 200);
	await r.check('GET', '/order/page', `/order/page?${win}&status=created&status=shipped`, undefined, 200);
	await r.check('GET', '/order/page', `/order/page?scrollId=nope`, undefined, 404);
	await r.check('GET', '/order/', `/order/?orderKey=poNumber&value=CF-111`, undefined, 200);
	await r.check('GET', '/order/', `/order/?orderKey=poNumber&value=NOPE`, undefined, 404);

	/* acknowledge (async) and its log */
	const ack = await r.check('POST', '/order/acknowledge', '/order/acknowledge',
		created.slice(0, 6).map((o, i) => ({ id: o.dscoOrderId, type: 'DSCO_ORDER_ID', supplierOrderNumber: `SO-${i}` })), 202);
	if (ack.json) await r.logWait('order', ack.json.requestId);
	await r.check('GET', '/order/', `/order/?orderKey=supplierOrderNumber&value=SO-0`, undefined, 200);

	/* shipments: refused, partial, full, batch */
	await r.check('POST', '/order/singleShipment', '/order/singleShipment',
		{ poNumber: 'CF-100', shipments: [{ trackingNumber: 'Z1', shippingServiceLevelCode: 'GCG', lineItems: [{ sku: 'TEE-RED-M', quantity: 1 }] }] }, 400);
	await r.check('POST', '/order/singleShipment', '/order/singleShipment',
		{ poNumber: 'CF-100', shipments: [{ trackingNumber: 'Z1', shipCarrier: 'UPS', shipMethod: 'Ground', shippingServiceLevelCode: 'UPCG',
			shipDate: iso(0), shipCost: 4.25, shipWeight: 1, shipWeightUnits: 'LB', warehouseCode: 'WH01',
			lineItems: [{ lineNumber: 1, sku: 'TEE-RED-M', quantity: 1 }] }] }, 201);
	await r.check('POST', '/order/singleShipment', '/order/singleShipment',
		{ dscoOrderId: created[0].dscoOrderId, shipments: [{ trackingNumber: 'Z2', shippingServiceLevelCode: 'USGA',
			lineItems: [{ sku: 'TEE-RED-M', quantity: 1 }, { sku: 'MUG-LOGO', quantity: 1 }] }] }, 201);
	await r.check('GET', '/order/', `/order/?orderKey=poNumber&value=CF-100`, undefined, 200);
	const batch = await r.check('POST', '/order/shipment/batch/small', '/order/shipment/batch/small', [
		{ poNumber: 'CF-101', shipments: [{ trackingNumber: 'B1', shippingServiceLevelCode: 'FECG', lineItems: [{ sku: 'TEE-RED-M', quantity: 2 }] }] },
		{ poNumber: 'CF-102', shipments: [{ trackingNumber: 'B2', lineItems: [{ sku: 'TEE-RED-M', quantity: 9 }] }] }], 202);
	if (batch.json) await r.logWait('order', batch.json.requestId);

	/* cancellations */
	await r.check('POST', '/order/item/cancel', '/order/item/cancel',
		{ id: 'CF-101', type: 'PO_NUMBER', lineItems: [{ lineNumber: 2, sku: 'MUG-LOGO', cancelledQuantity: 1, cancelCode: 'CXSS', cancelledReason: 'Out of stock' }] }, 200);
	await r.check('POST', '/order/item/cancel', '/order/item/cancel',
		{ id: 'CF-103', type: 'PO_NUMBER', lineItems: [{ sku: 'MUG-LOGO', cancelledQuantity: 1, cancelCode: 'NOPE' }] }, 400);
	const cb = await r.check('POST', '/order/item/cancel/batch/small', '/order/item/cancel/batch/small', [
		{ id: 'CF-104', type: 'PO_NUMBER', lineItems: [{ sku: 'TEE-RED-M', cancelledQuantity: 2, cancelCode: 'CXSD' }] }], 202);
	if (cb.json) await r.logWait('order', cb.json.requestId);
	await r.check('GET', '/order/', `/order/?orderKey=poNumber&value=CF-101`, undefined, 200);
	await r.check('GET', '/order/', `/order/?orderKey=poNumber&value=CF-104`, undefined, 200);
	await r.check('GET', '/order/log', `/order/log?startDate=${encodeURIComponent(iso(-60))}&endDate=${encodeURIComponent(iso(60))}&status=success_or_failure`, undefined, 200);

	/* inventory */
	await r.check('POST', '/inventory/singleItem', '/inventory/singleItem',
		{ sku: 'TEE-RED-M', status: 'in-stock', quantityAvailable: 45, warehouses: [{ code: 'WH01', quantity: 45 }] }, 201);
	await r.check('POST', '/inventory/singleItem', '/inventory/singleItem',
		{ sku: 'TEE-RED-M', status: 'in-stock', quantityAvailable: 4, warehouses: [{ code: 'WH01', quantity: 5 }] }, 400);
	const ib = await r.check('POST', '/inventory/batch/small', '/inventory/batch/small?skipItemsThatDontExist=true', [
		{ sku: 'MUG-LOGO', status: 'in-stock', warehouses: [{ code: 'WH01', quantity: 12 }] },
		{ sku: 'GONE', status: 'in-stock', warehouses: [{ code: 'WH01', quantity: 1 }] },
		{ sku: 'CAP-BLK', status: 'in-stock', quantityAvailable: 3, warehouses: [{ code: 'WH01', quantity: 1 }] }], 202);
	if (ib.json) await r.logWait('inventory', ib.json.requestId);

	/* invoices */
	await r.check('POST', '/invoice', '/invoice',
		{ invoiceId: 'INV-1', poNumber: 'CF-100', totalAmount: 23.5, currencyCode: 'USD',
			lineItems: [{ lineNumber: 1, sku: 'TEE-RED-M', quantity: 2, unitPrice: 9.5 }, { lineNumber: 2, sku: 'MUG-LOGO', quantity: 1, unitPrice: 4.5 }] }, 201);
	await r.check('POST', '/invoice', '/invoice',
		{ invoiceId: 'INV-1', poNumber: 'CF-100', totalAmount: 23.5, lineItems: [{ sku: 'TEE-RED-M', quantity: 2, unitPrice: 9.5 }] }, 400);
	const vb = await r.check('POST', '/invoice/batch/small', '/invoice/batch/small', [
		{ invoiceId: 'INV-2', poNumber: 'CF-101', totalAmount: 19, lineItems: [{ sku: 'TEE-RED-M', quantity: 2, unitPrice: 9.5 }] },
		{ invoiceId: 'INV-1', poNumber: 'CF-101', totalAmount: 19, lineItems: [{ sku: 'TEE-RED-M', quantity: 2, unitPrice: 9.5 }] }], 202);
	if (vb.json) await r.logWait('invoice', vb.json.requestId);

	/* warehouses */
	await r.check('GET', '/warehouse/page', '/warehouse/page', undefined, 200);
	await r.check('GET', '/warehouse/page', '/warehouse/page?idType=code&idValue=WH01', undefined, 200);

	/* order streams: create, list, read, sync, checkpoint */
	const st = await r.check('POST', '/stream', '/stream',
		{ objectType: 'order', description: 'conformance', query: { queryType: 'order', statuses: ['created', 'shipment_pending', 'shipped'] } }, 201);
	if (st.json) {
		const id = st.json.id;
		const start = encodeURIComponent(st.json.partitions[0].position);
		await r.check('GET', '/stream', `/stream?id=${id}`, undefined, 200);
		await r.check('POST', '/stream/{id}', `/stream/${id}`, { operationType: 'sync' }, 202);
		await r.check('POST', '/order/acknowledge', '/order/acknowledge', [{ id: 'CF-110', type: 'PO_NUMBER' }], 202);
		await r.control('POST', '/dsco/process', {});
		const ev = await r.check('GET', '/stream/{id}/{partitionId}/{position}', `/stream/${id}/0/${start}`, undefined, 200);
		const events = (ev.json && ev.json.events) || [];
		r.record(events.length > 0, 'stream events after sync', 'no events');
		if (events.length)
			await r.check('PUT', '/stream/{id}/{partitionId}/{position}', `/stream/${id}/0/${encodeURIComponent(events[events.length - 1].id)}`, undefined, 200);
		await r.check('GET', '/stream/{id}/{partitionId}/{position}', `/stream/nope/0/0`, undefined, 404);
	}

	/* undocumented error replies: unknown route, rate limit */
	await r.check('GET', '/order/log', '/order/changelog?requestId=x', undefined, 403);
	await r.control('POST', '/dsco/quota', { perSecond: 1, perMinute: 0 });
	await r.check('GET', '/order/', '/order/?orderKey=poNumber&value=CF-100', undefined, 200);
	await r.check('GET', '/order/', '/order/?orderKey=poNumber&value=CF-100', undefined, 429);
}

async function main() {
	let opt;
	try {
		opt = parseArgs(process.argv);
	} catch (e) {
		console.error(`dsco conformance: ${e.message}`);
		process.exit(2);
	}
	const spec = await SwaggerParser.dereference(opt.spec);
	if (!fixSpec(spec)) {
		console.error('dsco conformance: OrderLineItemActivity defect not found; review fixSpec');
		process.exit(2);
	}
	const r = new Runner(opt, spec);
	await scenario(r);

	/* Every route the simulator serves must have been exercised. */
	const routes = await r.http('GET', `${opt.base}/_sandbox/dsco/routes`);
	const counts = await r.http('GET', `${opt.base}/_sandbox/requests`);
	const seen = (counts.json && counts.json.dsco && counts.json.dsco.endpoints) || {};
	for (const route of (routes.json || []))
		r.record(Boolean(seen[route]), `coverage ${route}`, 'served by the sandbox but never exercised');
	console.log(`dsco conformance: ${r.passed} passed, ${r.failed} failed`);
	process.exit(r.failed ? 1 : 0);
}

main().catch((e) => {
	console.error(`dsco conformance: ${e.stack || e.message}`);
	process.exit(2);
});
