#!/bin/sh
# conformance_dsco_requests.sh - the requests pearlsync sends to DSCO
# validate against Rithum's OpenAPI 3.1 file.
#
# Runs test_dsco_orders (the order import and the cancels: order pages,
# single orders, acknowledgements, item cancels, the order change log)
# and test_dsco_out (shipments partial and whole, by either trigger,
# invoices, stock batches and their change logs, a crash's adoption, the
# token) with the sandbox recording every request
# (PEARLSYNC_SANDBOX_RECORD), then checks each DSCO request with
# tests/conformance/requests.js --dsco-spec: a documented operation,
# declared query parameters, a body valid against the request schema.
# Then shows the check can fail: the same record with a shipment's
# trackingNumber removed and an undocumented query parameter must fail.
# Skips (exit 77) when the spec is absent; fails when node or the tool's
# modules are missing (scripts/install-deps).
set -eu

: "${PS_BIN_DIR:?PS_BIN_DIR must name the build's bin directory}"
: "${PS_SOURCE_DIR:?PS_SOURCE_DIR must name the source tree}"

spec="$PS_SOURCE_DIR/../shared/specs/dsco/dsco-api-v3-openapi.yaml"
tool="$PS_SOURCE_DIR/tests/conformance"
bin="$PS_BIN_DIR/../tests/test_dsco_out"
bin_in="$PS_BIN_DIR/../tests/test_dsco_orders"

if [ ! -f "$spec" ]; then
	echo "SKIPPED: DSCO OpenAPI file not found at $spec"
	exit 77
fi
[ -x "$bin" ] || { echo "SKIPPED: test_dsco_out not built"; exit 77; }
[ -x "$bin_in" ] || { echo "SKIPPED: test_dsco_orders not built"; exit 77; }
command -v node >/dev/null 2>&1 || { echo "conformance_dsco_requests: node is not installed; run scripts/install-deps" >&2; exit 1; }
[ -d "$tool/node_modules/ajv" ] || { echo "conformance_dsco_requests: $tool/node_modules is missing; run scripts/install-deps" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
record="$tmp/requests.jsonl"

PEARLSYNC_SANDBOX_RECORD=$record "$bin_in" >"$tmp/test.out" 2>&1 || {
	cat "$tmp/test.out" >&2
	echo "FAIL: test_dsco_orders failed while recording" >&2
	exit 1
}
PEARLSYNC_SANDBOX_RECORD=$record "$bin" >"$tmp/test.out" 2>&1 || {
	cat "$tmp/test.out" >&2
	echo "FAIL: test_dsco_out failed while recording" >&2
	exit 1
}
grep -q '"platform":"dsco"' "$record" || { echo "FAIL: no DSCO request recorded" >&2; exit 1; }
grep -q 'sandbox-secret' "$record" && { echo "FAIL: the client secret reached the record" >&2; exit 1; }

# only DSCO's requests are checked here (sh_conformance_requests covers
# the others)
grep '"platform":"dsco"' "$record" >"$tmp/dsco.jsonl"
check() {
	node "$tool/requests.js" --record "$1" --specs "$tmp" \
		--rules "$tool/brightpearl-requests.json" --dsco-spec "$spec" \
		>"$tmp/out" 2>"$tmp/err"
}
if ! check "$tmp/dsco.jsonl"; then
	cat "$tmp/out" "$tmp/err" >&2
	echo "FAIL: pearlsync sent DSCO requests the spec does not back" >&2
	exit 1
fi
tail -2 "$tmp/out"
node "$tool/requests.js" --record "$tmp/dsco.jsonl" --specs "$tmp" \
	--rules "$tool/brightpearl-requests.json" --dsco-spec "$spec" --verbose >"$tmp/v.out" 2>&1
for op in "GET /order/page" "POST /order/acknowledge" "POST /order/item/cancel" "GET /order/log" \
	"POST /order/singleShipment" "POST /invoice" "POST /inventory/batch/small" "GET /inventory/log" "POST /oauth2/token"; do
	grep -q "^ok   dsco $op" "$tmp/v.out" || { echo "FAIL: no checked request for $op" >&2; exit 1; }
done

# the checks can fail
node -e '
const fs = require("fs");
const out = [];
let cut = 0, q = 0;
for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) {
	const r = JSON.parse(l);
	if (!cut && r.path === "/order/singleShipment" && r.json) {
		delete r.json.shipments[0].trackingNumber;
		cut = 1;
	}
	if (!q && r.method === "GET" && r.path === "/order/") {
		r.query.madeUp = "1";
		q = 1;
	}
	out.push(JSON.stringify(r));
}
fs.writeFileSync(process.argv[2], out.join("\n") + "\n");
' "$tmp/dsco.jsonl" "$tmp/bad.jsonl"
if check "$tmp/bad.jsonl"; then
	echo "FAIL: a shipment without trackingNumber passed" >&2
	exit 1
fi
grep -q "trackingNumber" "$tmp/out" || { cat "$tmp/out" >&2; echo "FAIL: the missing trackingNumber was not named" >&2; exit 1; }
grep -q "madeUp" "$tmp/out" || { cat "$tmp/out" >&2; echo "FAIL: the undeclared query parameter was not named" >&2; exit 1; }
echo "DSCO requests: valid; a broken shipment and query are caught"
exit 0
