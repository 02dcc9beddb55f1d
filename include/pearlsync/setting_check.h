/*
 * setting_check.h - checking a setting's value against the platform list
 * it is picked from (a default warehouse, channel, status...), when it is
 * set: by the console, `pearlsync settings set` and `settings import`.
 *
 * Which list a setting comes from is the flow groups' setup data
 * (setup.h: a PICK field's key and cache kind); which platform serves
 * that list is the platform registry's.  The list is read from the
 * store's cache; when the cache is missing or older than max_age_ms it is
 * fetched afresh from the platform first (the platform's lists_fetch
 * refreshes every list it serves).  A platform that is switched off or
 * not configured is checked against its cached copy, and a list never
 * fetched from it lets any value through (setup may happen offline).
 * When a configured platform cannot be reached the value is refused:
 * the caller may offer to store it unchecked ("--force", "save anyway").
 */
#ifndef PEARLSYNC_SETTING_CHECK_H
#define PEARLSYNC_SETTING_CHECK_H

#include <stdint.h>

#include "pearlsync/config.h"
#include "pearlsync/http.h"
#include "pearlsync/store.h"

typedef struct ps_setting_check_options {
	/* for a fetch; NULL: check against the cache only */
	const ps_config *cfg;
	/* the client fetches use (borrowed); NULL: one is made per call,
	 * with short timeouts and two attempts */
	ps_http *http;
	/* a cached list older than this (ms) is fetched again */
	int64_t max_age_ms;
	int64_t now; /* unix ms */
} ps_setting_check_options;

#define PS_SETTING_CHECK_MAX_AGE_MS (10 * 60 * 1000)
#define PS_SETTING_CHECK_OPTIONS_INIT                                          \
	{                                                                      \
		NULL, NULL, PS_SETTING_CHECK_MAX_AGE_MS, 0                     \
	}

/*
 * ps_setting_check_list - the cache kind key's value is picked from
 * ("bp.warehouses"), static, or NULL when it is free (not from a list).
 */
const char *ps_setting_check_list(const char *key);

/*
 * ps_setting_check - whether value (NULL or "": unset, always fine) is in
 * the list key is picked from.  Returns 0 (in the list, or nothing to
 * check it against); PS_EINVAL when it is not ("bigcommerce.defaults.
 * warehouse_id: 99 is not in Brightpearl warehouses (2 Main warehouse,
 * 3 Outlet)"); the fetch's error (PS_ENET, PS_ETIMEOUT, PS_EAUTH, ...)
 * when the list had to be fetched and could not be, the detail naming the
 * platform and why; or a store error.
 */
int ps_setting_check(ps_store *st, const char *key, const char *value,
		     const ps_setting_check_options *opts);

#endif
