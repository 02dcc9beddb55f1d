/*
 * seed.h - deterministic console test data, shared by the console's unit
 * and screen tests, the tmux tests (through bench_console --seed) and the
 * benchmark.  Header-only so each single-file test can include it.
 *
 * Entry i (0-based) is inserted at start + i * step_ms.  Every fourth is a
 * fulfilment (Brightpearl -> BigCommerce), the rest order imports; i % 10
 * == 4 is failed (an unknown SKU), i % 10 == 7 pending (waiting for a
 * setting), the rest synced 30 s after insertion.  An import's subject
 * is its order (the source id); a fulfilment's a goods-out note (the
 * source id) of order 7000 + i.
 */
#ifndef PS_TESTS_CONSOLE_SEED_H
#define PS_TESTS_CONSOLE_SEED_H

#include <stdio.h>
#include <string.h>

#include "pearlsync/common.h"
#include "pearlsync/store.h"

#define PS_SEED_NOW 1795348800000LL /* 2026-11-22 12:00:00 UTC */
#define PS_SEED_FAILED_REASON                                                  \
	"SKU 'TEE-RED-M' not found in Brightpearl (product search by SKU)"

static int
ps_seed_entry(ps_store *st, size_t i, int64_t at)
{
	static const char *const methods[] = {"Ground", "Express",
					      "Free Shipping"};
	char key[64], number[32], source[32], target[32], detail[160];
	char order[32];
	ps_log_entry e;
	int64_t id;
	int error, fulfil = i % 4 == 3;

	ps_log_entry_init(&e);
	snprintf(key, sizeof(key), "seed:%zu", i);
	snprintf(number, sizeof(number), "%zu", 1000 + i);
	snprintf(source, sizeof(source), "%zu", 100 + i);
	e.flow = (char *)(fulfil ? "fulfilment_bp_bc" : "order_import_bc");
	e.dedupe_key = key;
	e.order_number = number;
	e.total = (ps_money)((int64_t)((i * 1234) % 50000 + 999) * 100);
	e.has_total = 1;
	e.currency = (char *)"USD";
	e.shipping_method = (char *)methods[i % 3];
	e.shipment_status = (char *)(fulfil ? "shipped" : "awaiting");
	e.source_platform =
		fulfil ? PS_PLATFORM_BRIGHTPEARL : PS_PLATFORM_BIGCOMMERCE;
	e.target_platform =
		fulfil ? PS_PLATFORM_BIGCOMMERCE : PS_PLATFORM_BRIGHTPEARL;
	e.source_id = source;
	snprintf(order, sizeof(order), "%zu", 7000 + i);
	e.kind = (char *)(fulfil ? "goods-out-note.ship" : "order.import");
	e.subject = source;
	e.subject_order = fulfil ? order : NULL;
	if ((error = ps_store_log_add(&id, st, &e, at)) < 0)
		return error;
	if (i % 10 == 4)
		return ps_store_log_mark_failed(st, id, PS_SEED_FAILED_REASON,
						PS_EDATA, 0, at + 20000);
	if (i % 10 == 7)
		return ps_store_log_mark_pending(
			st, id,
			"waiting for setting bigcommerce.defaults.warehouse_id",
			0, at + 20000);
	snprintf(target, sizeof(target), "%zu", 5000 + i);
	snprintf(detail, sizeof(detail),
		 "POST /public-api/order: order %s, 2 rows, total %zu.99",
		 number, ((i * 1234) % 50000 + 999) / 100);
	return ps_store_log_mark_synced(st, id, target, detail, at + 30000);
}

/* Insert n entries, committing every 10,000. */
static int
ps_seed_log(ps_store *st, size_t n, int64_t start, int64_t step_ms)
{
	size_t i;
	int error = 0;

	for (i = 0; i < n; i++) {
		if (i % 10000 == 0 && (error = ps_store_begin(st)) < 0)
			return error;
		if ((error = ps_seed_entry(st, i,
					   start + (int64_t)i * step_ms)) < 0) {
			ps_store_rollback(st);
			return error;
		}
		if ((i % 10000 == 9999 || i + 1 == n) &&
		    (error = ps_store_commit(st)) < 0)
			return error;
	}
	return 0;
}

/* A worker heartbeat, API counters, a rate limit and settings history. */
static int
ps_seed_rest(ps_store *st, int64_t now)
{
	ps_heartbeat hb = {4242, now - 2 * 3600000LL, now - 3000,
			   (char *)"running"};
	ps_setting_kv first[] = {
		{"brightpearl.account", "demoaccount"},
		{"brightpearl.token", "bp-secret-token-1"},
		{"bigcommerce.store_hash", "abc123"},
	};
	ps_setting_kv second[] = {
		{"bigcommerce.defaults.warehouse_id", "2"},
		{"bigcommerce.orders.import_statuses", "11,12"},
		{"brightpearl.token", "bp-secret-token-2"},
	};
	ps_mapping m = {"order_status", "bc>bp", "11", "4"};
	int64_t hour = now - now % 3600000LL;
	int error;

	if ((error = ps_store_heartbeat_set(st, &hb)) < 0 ||
	    (error = ps_store_http_count_add(st, hour, PS_PLATFORM_BRIGHTPEARL,
					     "/order", "2xx", 120)) < 0 ||
	    (error = ps_store_http_count_add(st, hour, PS_PLATFORM_BRIGHTPEARL,
					     "/order", "429", 2)) < 0 ||
	    (error = ps_store_http_count_add(st, hour, PS_PLATFORM_BIGCOMMERCE,
					     "/v2/orders", "2xx", 80)) < 0 ||
	    (error = ps_store_budget_set(st, PS_PLATFORM_BRIGHTPEARL, "acme",
					 154, 200, "requests", now - 5000)) <
		    0 ||
	    (error = ps_store_settings_set_many(NULL, st, first, 3, "cli",
						now - 86400000LL)) < 0 ||
	    (error = ps_store_settings_set_many(NULL, st, second, 3, "console",
						now - 3600000LL)) < 0 ||
	    (error = ps_store_mapping_set(NULL, st, &m, "cli",
					  now - 1800000LL)) < 0)
		return error;
	return 0;
}

#endif
