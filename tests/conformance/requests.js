#!/usr/bin/env node
/*
 * requests.js - check the requests pearlsync sent, as the sandbox recorded
 * them (PEARLSYNC_SANDBOX_RECORD, one JSON object per line).
 *
 *   node requests.js --record FILE --specs DIR --rules FILE
 *                    [--dsco-spec FILE.yaml] [--verbose]
 *
 * BigCommerce: each request is matched to an operation of the official
 * OpenAPI files (server version, path template and method); one that
 * matches none fails.  Its query parameters must be declared by the
 * operation (and required ones present, integer/boolean/enum values of the
 * declared type), and a JSON body must validate against the operation's
 * request-body schema.
 *
 * DSCO (with --dsco-spec, Rithum's OpenAPI 3.1 file): as BigCommerce, each
 * request (its path after the platform prefix, under /api/v3) is matched
 * to an operation, its query parameters must be declared and a JSON or
 * form body must validate against the request-body schema.
 *
 * Brightpearl: there is no machine-readable spec, so brightpearl-requests.json
 * holds one rule per request shape, each citing its source.  A request is
 * checked against the first rule whose method and path match; one that no
 * rule matches fails.  Multi-message calls are unpacked and each message is
 * checked as a request of its own.
 *
 * A rule is never widened to let a request through that its source does not
 * back.  What the suite flags in pearlsync's own traffic is either fixed in
 * pearlsync or listed in request-findings.json (platform, method, a path
 * and an error pattern, the reason): a listed failure is reported as
 * "KNOWN" and does not fail the run, and a listed finding that no longer
 * occurs does, so the list shrinks as pearlsync is fixed.
 *
 * Exit status: 0 all checks passed, 1 a check failed, 2 usage or set-up
 * error.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const SwaggerParser = require('@apidevtools/swagger-parser');
const { toJsonSchema, makeAjv } = require('./oas');

/* Every spec file whose operations pearlsync may call. */
const SPEC_FILES = [
	'orders.v2.oas2.yml', 'orders.v3.yml', 'catalog/products_catalog.v3.yml',
	'catalog/product-variants_catalog.v3.yml', 'inventory.v3.yml',
	'locations.v3.yml', 'customers.v3.yml', 'customers.v2.yml',
	'webhooks.v3.yml', 'store_information.v2.yml',
];

function parseArgs(argv) {
	const o = { verbose: false };
	for (let i = 2; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--verbose') o.verbose = true;
		else if (['--record', '--specs', '--rules', '--findings', '--dsco-spec'].includes(a) && i + 1 < argv.length)
			o[a.slice(2)] = argv[++i];
		else throw new Error(`bad argument '${a}'`);
	}
	if (!o.record || !o.specs || !o.rules)
		throw new Error('--record, --specs and --rules are required');
	return o;
}

function templateRegex(t, idset) {
	const parts = t.split('/').map((seg) => {
		const m = /^\{([^}]+)\}$/.exec(seg);
		if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
		return idset && idset[m[1]] ? idset[m[1]] : '[^/]+';
	});
	return new RegExp(`^${parts.join('/')}/?$`);
}

class Report {
	constructor(verbose, findings) {
		this.verbose = verbose;
		this.counts = {};
		this.failures = 0;
		this.findings = findings;
		this.seen = new Set();
	}

	tally(platform, what) {
		const c = this.counts[platform] || (this.counts[platform] = { ok: 0, fail: 0, known: 0 });
		c[what]++;
	}

	ok(platform, label) {
		this.tally(platform, 'ok');
		if (this.verbose) console.log(`ok   ${platform} ${label}`);
	}

	fail(platform, label, why) {
		const f = this.findings.find((x) => x.platform === platform &&
			label.startsWith(`${x.method} `) && new RegExp(x.path).test(label.slice(x.method.length + 1)) &&
			new RegExp(x.error).test(why));
		if (f) {
			this.seen.add(f);
			this.tally(platform, 'known');
			console.log(`KNOWN ${platform} ${label}: ${why} [${f.id}]`);
			return;
		}
		this.tally(platform, 'fail');
		this.failures++;
		console.log(`FAIL ${platform} ${label}: ${why}`);
	}
}

/* ---- BigCommerce ---- */

async function loadBigCommerce(dir) {
	const ops = [];
	for (const file of SPEC_FILES) {
		const full = path.join(dir, file);
		if (!fs.existsSync(full)) continue;
		const doc = await SwaggerParser.dereference(full);
		const server = (doc.servers && doc.servers[0] && doc.servers[0].url) || '';
		const version = (/\/(v\d)$/.exec(server) || [])[1];
		if (!version) continue;
		for (const [tpl, item] of Object.entries(doc.paths || {})) {
			for (const m of ['get', 'put', 'post', 'delete', 'patch']) {
				if (!item[m]) continue;
				const params = [].concat(item.parameters || [], item[m].parameters || []);
				ops.push({ file, version, template: tpl, method: m.toUpperCase(),
					   re: templateRegex(tpl), op: item[m], params,
					   literal: tpl.split('/').filter((s) => !s.startsWith('{')).length });
			}
		}
	}
	return ops;
}

function checkValue(p, value) {
	const s = p.schema || {};
	/* orders.v2 GET /orders documents `sort=field:asc|:desc` in prose */
	if (/`:asc`/.test(p.description || '') && /:(asc|desc)$/.test(value))
		value = value.replace(/:(asc|desc)$/, '');
	const type = s.type || (s.items ? 'array' : undefined);
	const one = (v, t, en) => {
		if (t === 'integer' && !/^-?\d+$/.test(v)) return `'${v}' is not an integer`;
		if (t === 'number' && !/^-?\d+(\.\d+)?$/.test(v)) return `'${v}' is not a number`;
		if (t === 'boolean' && !/^(true|false|1|0)$/.test(v)) return `'${v}' is not a boolean`;
		if (en && !en.map(String).includes(v)) return `'${v}' is not one of ${en.join(',')}`;
		return null;
	};
	if (type === 'array') {
		const it = s.items || {};
		for (const v of value.split(',')) {
			const e = one(v, it.type, it.enum);
			if (e) return e;
		}
		return null;
	}
	return one(value, type, s.enum);
}

function checkBigCommerce(rep, ajv, ops, cache, r) {
	const m = /^\/stores\/[^/]+\/(v\d)(\/.*)$/.exec(r.path);
	const label = `${r.method} ${r.path}`;
	if (!m) return rep.fail('bigcommerce', label, 'not under /stores/{store_hash}/v2|v3');
	const [, version, rest] = m;
	const cands = ops.filter((o) => o.version === version && o.method === r.method && o.re.test(rest))
		.sort((a, b) => b.literal - a.literal);
	if (!cands.length)
		return rep.fail('bigcommerce', label, 'matches no documented operation');
	const o = cands[0];
	const where = `${o.file} ${o.method} ${o.template}`;
	const errs = [];
	const h = r.headers || {};
	if (!h['x-auth-token']) errs.push('no X-Auth-Token header');
	const declared = new Map(o.params.filter((p) => p.in === 'query').map((p) => [p.name, p]));
	for (const [k, v] of Object.entries(r.query || {})) {
		const p = declared.get(k);
		if (!p) { errs.push(`query parameter '${k}' is not declared`); continue; }
		const e = checkValue(p, v);
		if (e) errs.push(`query ${k}: ${e}`);
	}
	for (const p of declared.values())
		if (p.required && !(p.name in (r.query || {}))) errs.push(`required query parameter '${p.name}' missing`);
	const rb = o.op.requestBody;
	const hasBody = r.json !== undefined || r.text !== undefined || r.form !== undefined;
	if (rb && rb.required && !hasBody) errs.push('request body required');
	if (hasBody) {
		const content = (rb && rb.content) || {};
		const ct = Object.keys(content).find((c) => /json/.test(c));
		if (!rb) errs.push('the operation takes no body');
		else if (!ct) errs.push('the operation takes no JSON body');
		else if (r.json === undefined) errs.push('body is not JSON');
		else if (!/^application\/json/i.test(h['content-type'] || ''))
			errs.push(`Content-Type '${h['content-type'] || ''}' is not application/json`);
		else if (content[ct].schema) {
			const key = `${where} body`;
			if (!cache.has(key)) cache.set(key, ajv.compile(toJsonSchema(content[ct].schema)));
			const fn = cache.get(key);
			if (!fn(r.json))
				for (const e of fn.errors.slice(0, 5))
					errs.push(`body ${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
		}
	}
	if (errs.length) rep.fail('bigcommerce', label, `${where}: ${errs.join('; ')}`);
	else rep.ok('bigcommerce', `${label} (${where})`);
}

/* ---- DSCO ---- */

async function loadDsco(file) {
	const ops = [];
	const doc = await SwaggerParser.dereference(file);
	for (const [tpl, item] of Object.entries(doc.paths || {})) {
		for (const m of ['get', 'put', 'post', 'delete', 'patch']) {
			if (!item[m]) continue;
			const params = [].concat(item.parameters || [], item[m].parameters || []);
			ops.push({ template: tpl, method: m.toUpperCase(), re: templateRegex(tpl),
				   op: item[m], params,
				   literal: tpl.split('/').filter((x) => !x.startsWith('{')).length });
		}
	}
	return ops;
}

function checkDsco(rep, ajv, ops, cache, r) {
	const label = `${r.method} ${r.path}`;
	if (!ops) return rep.fail('dsco', label, 'no DSCO spec given (--dsco-spec)');
	const cands = ops.filter((o) => o.method === r.method && o.re.test(r.path))
		.sort((a, b) => b.literal - a.literal);
	if (!cands.length) return rep.fail('dsco', label, 'matches no documented operation');
	const o = cands[0];
	const where = `${o.method} ${o.template}`;
	const errs = [];
	const h = r.headers || {};
	const open = o.op.security && o.op.security.length === 0;
	if (!open && !/^bearer /i.test(h.authorization || ''))
		errs.push('no bearer Authorization header');
	const declared = new Map(o.params.filter((p) => p.in === 'query').map((p) => [p.name, p]));
	for (const [k, v] of Object.entries(r.query || {})) {
		const p = declared.get(k);
		if (!p) { errs.push(`query parameter '${k}' is not declared`); continue; }
		for (const one of [].concat(v)) {
			const e = checkValue(p, String(one));
			if (e) errs.push(`query ${k}: ${e}`);
		}
	}
	for (const p of declared.values())
		if (p.required && !(p.name in (r.query || {}))) errs.push(`required query parameter '${p.name}' missing`);
	const rb = o.op.requestBody;
	const content = (rb && rb.content) || {};
	const body = r.json !== undefined ? r.json : r.form;
	if (rb && rb.required && body === undefined && r.text === undefined) errs.push('request body required');
	if (body !== undefined || r.text !== undefined) {
		const want = r.form !== undefined ? /x-www-form-urlencoded/ : /json/;
		const ct = Object.keys(content).find((c) => want.test(c));
		if (!rb) errs.push('the operation takes no body');
		else if (!ct) errs.push(`the operation takes no ${r.form !== undefined ? 'form' : 'JSON'} body`);
		else if (body === undefined) errs.push('body is neither JSON nor a form');
		else if (!want.test(h['content-type'] || ''))
			errs.push(`Content-Type '${h['content-type'] || ''}' is not ${ct}`);
		else if (content[ct].schema) {
			const key = `dsco ${where} ${ct}`;
			if (!cache.has(key)) cache.set(key, ajv.compile(toJsonSchema(content[ct].schema)));
			const fn = cache.get(key);
			/* a form's fields are strings; redacted secrets stay strings */
			if (!fn(body))
				for (const e of fn.errors.slice(0, 5))
					errs.push(`body ${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
		}
	}
	if (errs.length) rep.fail('dsco', label, `${where}: ${errs.join('; ')}`);
	else rep.ok('dsco', `${label} (${where})`);
}

/* ---- Brightpearl ---- */

const BP_PREFIX = /^\/public-api\/[^/]+(\/.*)$/;

function compileRules(ajv, file) {
	const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
	const idset = doc.id_set_pattern;
	for (const r of doc.rules) {
		if (!r.source) throw new Error(`rule ${r.id} has no source`);
		r.re = templateRegex(r.path, Object.fromEntries((r.id_sets || []).map((n) => [n, idset])));
		if (r.body) r.bodyFn = ajv.compile(r.body);
	}
	return doc;
}

function searchErrors(rule, query) {
	const s = rule.search;
	const errs = [];
	const known = new Set([].concat(s.columns, s.paging || []));
	for (const [k, v] of Object.entries(query)) {
		if (k === 'columns') {
			for (const c of v.split(','))
				if (!s.columns.includes(c)) errs.push(`column '${c}' is not a documented column`);
		} else if (k === 'sort') {
			for (const part of v.split(',')) {
				const [c, dir] = part.split(/[.|]/);
				if (!s.columns.includes(c)) errs.push(`sort column '${c}' is not a documented column`);
				if (dir !== undefined && !/^(ASC|DESC)$/.test(dir)) errs.push(`sort direction '${dir}'`);
			}
		} else if (!known.has(k)) {
			errs.push(`filter '${k}' is not a documented column`);
		} else if (s.periods && s.periods.includes(k) && !/^[^/]*\/[^/]*$/.test(v)) {
			errs.push(`PERIOD filter ${k}='${v}' is not from/to`);
		} else if (k === 'pageSize' && !(+v >= 1 && +v <= 500)) {
			errs.push(`pageSize ${v} outside 1..500`);
		} else if (k === 'firstResult' && !(+v >= 1)) {
			errs.push(`firstResult ${v} is not 1-based`);
		}
	}
	return errs;
}

function checkBrightpearlOne(rep, doc, method, uri, query, body, headers, label, outer) {
	const rule = doc.rules.find((r) => r.method === method && r.re.test(uri) &&
		(r.multi_message === undefined || r.multi_message === outer));
	if (!rule)
		return rep.fail('brightpearl', label, 'no rule backs this request');
	const errs = [];
	if (headers) {
		const h = doc.headers;
		if (rule.auth_headers !== false && !headers[h.app_ref])
			errs.push(`no ${h.app_ref} header`);
		if (rule.auth_headers !== false && !h.credentials.some((c) => headers[c]))
			errs.push(`none of ${h.credentials.join(', ')}`);
		if (headers.authorization && !/^Bearer /.test(headers.authorization))
			errs.push('Authorization is not a Bearer token');
		if (body !== undefined && rule.content_type &&
		    !new RegExp(rule.content_type, 'i').test(headers['content-type'] || ''))
			errs.push(`Content-Type '${headers['content-type'] || ''}'`);
	}
	if (rule.search) errs.push(...searchErrors(rule, query || {}));
	else {
		for (const k of Object.keys(query || {}))
			if (!(rule.query || []).includes(k)) errs.push(`query parameter '${k}' is not documented`);
	}
	if (rule.body) {
		if (body === undefined) errs.push('body missing');
		else if (!rule.bodyFn(body))
			for (const e of rule.bodyFn.errors.slice(0, 5))
				errs.push(`body ${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
	} else if (body !== undefined) {
		errs.push('the endpoint takes no body');
	}
	if (errs.length) rep.fail('brightpearl', label, `rule ${rule.id} (${rule.source}): ${errs.join('; ')}`);
	else rep.ok('brightpearl', `${label} (rule ${rule.id})`);
	return rule;
}

function checkBrightpearl(rep, doc, r) {
	const m = BP_PREFIX.exec(r.path);
	let body = r.json;
	if (body === undefined && r.form !== undefined) body = r.form;
	if (!m) {
		/* the OAuth token endpoint lives outside the account prefix */
		return checkBrightpearlOne(rep, doc, r.method, r.path, r.query, body, r.headers,
			`${r.method} ${r.path}`, true);
	}
	const uri = m[1];
	const rule = checkBrightpearlOne(rep, doc, r.method, uri, r.query, body, r.headers,
		`${r.method} ${uri}`, true);
	if (!rule || !rule.unpack || !body || !Array.isArray(body.messages)) return;
	for (const msg of body.messages) {
		const [p, q] = String(msg.uri).split('?');
		const query = q ? Object.fromEntries(new URLSearchParams(q)) : {};
		checkBrightpearlOne(rep, doc, msg.httpMethod, p, query, msg.body, null,
			`multi-message ${msg.httpMethod} ${p}`, false);
	}
}

async function main() {
	let opt;
	try {
		opt = parseArgs(process.argv);
	} catch (e) {
		console.error(`requests.js: ${e.message}`);
		process.exit(2);
	}
	const lines = fs.readFileSync(opt.record, 'utf8').split('\n').filter((l) => l.trim());
	const ajv = makeAjv();
	const ops = await loadBigCommerce(opt.specs);
	const doc = compileRules(ajv, opt.rules);
	const findings = opt.findings ? JSON.parse(fs.readFileSync(opt.findings, 'utf8')).findings : [];
	for (const f of findings)
		if (!f.id || !f.reason || !f.platform || !f.method || !f.path || !f.error)
			throw new Error(`finding ${f.id || '?'} lacks a member`);
	const rep = new Report(opt.verbose, findings);
	const cache = new Map();
	const dscoOps = opt['dsco-spec'] ? await loadDsco(opt['dsco-spec']) : null;
	for (const l of lines) {
		const r = JSON.parse(l);
		if (r.platform === 'bigcommerce') checkBigCommerce(rep, ajv, ops, cache, r);
		else if (r.platform === 'brightpearl') checkBrightpearl(rep, doc, r);
		else if (r.platform === 'dsco') checkDsco(rep, ajv, dscoOps, cache, r);
		else rep.fail(r.platform, `${r.method} ${r.path}`, 'no checks for this platform');
	}
	for (const f of findings) {
		if (rep.seen.has(f)) continue;
		rep.failures++;
		console.log(`FAIL finding ${f.id} no longer occurs: remove it from the findings file`);
	}
	for (const [p, c] of Object.entries(rep.counts))
		console.log(`${p}: ${c.ok} passed, ${c.fail} failed, ${c.known} known findings`);
	console.log(`${lines.length} recorded requests`);
	process.exit(rep.failures ? 1 : 0);
}

main().catch((e) => {
	console.error(`requests.js: ${e.stack || e.message}`);
	process.exit(2);
});
