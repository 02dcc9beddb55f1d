/*
 * privacy.h - customers' personal data under the merchant's control.
 *
 * The store keeps what it synced for ever, and with it what customers
 * typed at checkout: the sync log's details and reasons name customers
 * and their e-mails and phones, webhook payloads and cached replies may
 * carry addresses, and the Brightpearl contact directory maps e-mails to
 * names.  Forgetting a customer redacts all of it locally ("[redacted]")
 * and keeps the non-personal record of what was synced: ids, amounts,
 * SKUs, statuses and times, the cross-references, the entries themselves.
 * Nothing is sent to a platform (the merchant erases the customer there
 * with the platform's own tools).
 *
 * Which columns hold personal data, and how each is redacted, is one
 * table in core/store/privacy.c: a new table or column is one line.
 *
 * Redaction, per value: the terms (the e-mail address, and the full
 * name, surname, phone and address values found with it) are replaced
 * wherever they occur as whole words, case-insensitively; a JSON value is
 * also walked, and every object that holds the e-mail has its personal
 * members (names, streets, addresses, cities, postcodes, phones, e-mails,
 * companies) blanked, their values becoming terms too (a first name alone
 * does not: other customers share it).  No card data is stored in
 * the first place (payments keep the gateway's transaction id only).
 */
#ifndef PEARLSYNC_PRIVACY_H
#define PEARLSYNC_PRIVACY_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/store.h"

/* What replaces a redacted value. */
#define PS_PRIVACY_REDACTED "[redacted]"

typedef struct ps_privacy_stats {
	int64_t values;   /* values redacted (or that would be) */
	int64_t rows;     /* rows deleted (the contact directory) */
	int64_t log_rows; /* sync log entries among the values' rows */
	int done;         /* ps_privacy_retain: nothing older is left */
} ps_privacy_stats;

/*
 * ps_privacy_forget - redact every trace of the customer with e-mail
 * address email (case-insensitive) in one transaction, zeroing what it
 * frees; with dry_run, only count.  Then, unless dry_run,
 * ps_privacy_compact with VACUUM.  Returns 0 or a
 * PS_E* (PS_EINVAL: not an e-mail address).
 */
int ps_privacy_forget(ps_privacy_stats *out, ps_store *st, const char *email,
		      int dry_run);

/*
 * ps_privacy_retain - the same for every customer, in the rows last
 * written before cutoff (ms): the e-mail addresses each value holds are
 * its row's terms (in any of the row's personal columns), with what the
 * contact directory and the value's own JSON objects say of them.  Stops
 * after the row that reaches limit values (one transaction); out->done
 * when none is left.  The directory itself has no age and is
 * kept.  Does not compact.  Returns 0 or a PS_E*.
 */
int ps_privacy_retain(ps_privacy_stats *out, ps_store *st, int64_t cutoff,
		      size_t limit);

/*
 * ps_privacy_compact - make redacted bytes leave the files: merge the log
 * search index (its old tokens), with vacuum VACUUM (the file shrinks; it
 * rewrites the whole file, so the worker does without: the redaction
 * zeroes what it frees, PRAGMA secure_delete), and checkpoint the WAL
 * with TRUNCATE.  Returns 0 or a PS_E* (PS_EBUSY when a reader held the
 * WAL).
 */
int ps_privacy_compact(ps_store *st, int vacuum);

#endif
