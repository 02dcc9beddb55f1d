/*
 * sh_int.h - what the Brightpearl <-> ShipHero fulfilment flows share
 * (gon_export.c, tracking_import.c): the connectors out of the flow
 * environment, the partner order id of a goods-out note, the go-live
 * time, and the per-note record both flows keep in the store.
 *
 * Names are ps_shf__<name>; nothing here is used outside core/flows/.
 */
#ifndef PEARLSYNC_FLOWS_SH_INT_H
#define PEARLSYNC_FLOWS_SH_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pearlsync/brightpearl.h"
#include "pearlsync/flow.h"
#include "pearlsync/shiphero.h"
#include "pearlsync/store.h"

#define PS_SHF_BP(env) ((ps_bp *)(env)->conn[PS_PLATFORM_BRIGHTPEARL])
#define PS_SHF_SH(env) ((ps_sh *)(env)->conn[PS_PLATFORM_SHIPHERO])

/* The mapping tables (direction "bp>sh"). */
#define PS_SHF_MAP_WAREHOUSE "shiphero_warehouse"
#define PS_SHF_MAP_METHOD "shiphero_shipping_method"
#define PS_SHF_DIR "bp>sh"

/* The xref entity linking a note to its ShipHero order id. */
#define PS_SHF_XREF "goods-out-note"

/* Log entry kinds; the subject is the note id, or the shipment's. */
#define PS_SHF_KIND_EXPORT "goods-out-note.export"
#define PS_SHF_KIND_CANCEL "goods-out-note.cancel"
#define PS_SHF_KIND_SHIPMENT "shipment.import"

/* The default of shiphero.reference_prefix. */
#define PS_SHF_PREFIX_DEFAULT "BP-GON-"

/*
 * ps_shf__partner_id - the partner_order_id of note gon_id into buf
 * (the prefix setting, then the id).
 */
void ps_shf__partner_id(char *buf, size_t cap, ps_store *st, int64_t gon_id);

/*
 * ps_shf__gon_of_partner - the note id a partner_order_id carries into
 * *out; 0 when it has the prefix and a positive id after it, else
 * PS_ENOTFOUND (not an order pearlsync made).
 */
int ps_shf__gon_of_partner(int64_t *out, ps_store *st, const char *partner);

/*
 * ps_shf__go_live - shiphero.go_live as unix ms into *out, and its
 * ISO-8601 form into iso (cap bytes).  PS_ESETTING ("waiting for
 * shiphero.go_live") when it is unset or unreadable.
 */
int ps_shf__go_live(int64_t *out, char *iso, size_t cap, ps_store *st);

/* ps_shf__iso - unix ms as "YYYY-MM-DDTHH:MM:SSZ" into buf. */
void ps_shf__iso(char *buf, size_t cap, int64_t ms);

/*
 * The per-note record (the store's cursor "shiphero.gon.<id>", a JSON
 * object): "order_ref" (the Brightpearl customer reference), "sh_order"
 * (the ShipHero order id), "shipments": {"<shipment legacy id>":
 * {"rows": {"<row id>": quantity}, "tracking": [...], "carrier",
 * "method"}}.  Keyed by shipment id, so recording a shipment twice
 * counts it once: the covered quantity of a row is the sum over the
 * shipments.
 *
 * ps_shf__note_get - the record (new reference; an empty object when
 * none).  ps_shf__note_put - store it (in its own transaction unless
 * one is open).
 */
int ps_shf__note_get(json_t **out, ps_store *st, int64_t gon_id);
int ps_shf__note_put(ps_store *st, int64_t gon_id, const json_t *rec,
		     int64_t now);

/*
 * ps_shf__note_set_str - read-modify-write one string field of the
 * record (NULL value: left alone).
 */
int ps_shf__note_set_str(ps_store *st, int64_t gon_id, const char *key,
			 const char *value, int64_t now);

/* ps_shf__log_add - record one pending entry (see ps_pair__log_add). */
int ps_shf__log_add(ps_flow_env *env, const char *flow, const char *key,
		    const char *kind, int64_t subject, int64_t subject_order,
		    ps_platform source, ps_platform target,
		    const char *order_number);

extern const ps_flow_ops ps_flow_gon_export_sh;
extern const ps_flow_ops ps_flow_tracking_import_sh;

#endif
