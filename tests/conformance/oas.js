/*
 * oas.js - helpers shared by conform.js and requests.js: OpenAPI 3.0
 * schemas turned into JSON Schema for ajv, and the ajv instance both use.
 */
'use strict';

const Ajv = require('ajv');
const addFormats = require('ajv-formats');

/* OpenAPI 3.0 schema -> JSON Schema draft 7 as ajv understands it. */
function toJsonSchema(s, seen = new Map()) {
	if (Array.isArray(s)) return s.map((x) => toJsonSchema(x, seen));
	if (s === null || typeof s !== 'object') return s;
	if (seen.has(s)) return seen.get(s);
	const out = {};
	seen.set(s, out);
	for (const [k, v] of Object.entries(s)) {
		if (k === 'example' || k === 'examples' || k.startsWith('x-') ||
		    k === 'xml' || k === 'externalDocs' || k === 'discriminator')
			continue;
		if (k === 'properties' || k === 'patternProperties') {
			out[k] = {};
			for (const [pk, pv] of Object.entries(v))
				out[k][pk] = toJsonSchema(pv, seen);
		} else {
			out[k] = toJsonSchema(v, seen);
		}
	}
	/* OpenAPI 3.0 keeps the draft-4 boolean form of the exclusive bounds. */
	for (const [ex, bound] of [['exclusiveMaximum', 'maximum'], ['exclusiveMinimum', 'minimum']]) {
		if (out[ex] === true && typeof out[bound] === 'number') {
			out[ex] = out[bound];
			delete out[bound];
		} else if (typeof out[ex] === 'boolean') {
			delete out[ex];
		}
	}
	if (out.nullable === true) {
		delete out.nullable;
		if (typeof out.type === 'string') {
			out.type = [out.type, 'null'];
			if (Array.isArray(out.enum) && !out.enum.includes(null))
				out.enum = out.enum.concat([null]);
		} else {
			const inner = Object.assign({}, out);
			for (const k of Object.keys(out)) delete out[k];
			out.anyOf = [inner, { type: 'null' }];
		}
	} else if (out.nullable === false) {
		delete out.nullable;
	}
	return out;
}

function makeAjv() {
	const quiet = { log() {}, warn() {}, error: console.error };
	const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: quiet });
	addFormats(ajv);
	/* Vendor formats in the BigCommerce files: documentation only. */
	for (const f of ['int32', 'int64', 'float', 'double', 'ISO-4217', 'decimal'])
		ajv.addFormat(f, true);
	return ajv;
}

module.exports = { toJsonSchema, makeAjv };
