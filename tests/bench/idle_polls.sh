#!/bin/sh
# idle_polls.sh - what an idle worker costs the platforms' request pools:
# thirty BigCommerce orders imported, every flow of the pair on, then
# PASSES worker passes (`pearlsync worker --once`, one poll of each flow)
# with nothing new; prints the sandbox's own request counts per endpoint
# and per pass.  A real worker polls once per sync.poll_interval_seconds
# (60 by default), so "per pass" is "per minute" at the default.
#   sh tests/bench/idle_polls.sh [PASSES]       (scripts/bench idle)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
passes=${1:-5}
"$root/scripts/build" >/dev/null
PS_BIN_DIR="$root/build/bin"
PS_SOURCE_DIR="$root"
export PS_BIN_DIR PS_SOURCE_DIR
. "$root/tests/integration/fixtures/cli/lib.sh"
. "$root/tests/integration/fixtures/cli/sandbox.sh"
start_sandbox
connect_sandbox
for s in notes.enabled fulfilment.enabled inventory.enabled payments.enabled; do
	ok settings set "bigcommerce.$s" true
done
ok settings set bigcommerce.orders.sync_statuses 2,5,7,8
ok mappings set order_status 'bp>bc' 2 11
k=0
while [ "$k" -lt 30 ]; do
	sb_post bigcommerce/orders '{"billing_address":{"first_name":"I","last_name":"D","email":"idle'$k'@example.com","street_1":"1 St","city":"C","zip":"12345","country_iso2":"US"},"lines":[{"sku":"CAP-BLK","quantity":1}],"status_id":11}'
	k=$((k + 1))
done
"$ps" worker --once >/dev/null 2>&1 || fail "import pass"
"$ps" worker --once >/dev/null 2>&1 || fail "second pass"
sb_post requests/reset '{}'
i=0
while [ "$i" -lt "$passes" ]; do
	"$ps" worker --once >/dev/null 2>&1 || fail "idle pass"
	i=$((i + 1))
done
curl -s "$control/requests" | awk -v n="$passes" '
	BEGIN { RS = "\""; }
	/^(brightpearl|bigcommerce)$/ { plat = $0 }
	/^(GET|POST|PUT|PATCH|DELETE) / { ep = $0; getline; c = $0; gsub(/[^0-9]/, "", c)
		printf "%-12s %-52s %4d  %5.1f per pass\n", plat, ep, c, c / n }'
exit 0
