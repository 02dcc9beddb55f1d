#!/bin/sh
# `pearlsync preview order ID` against the sandbox, as an operator reads
# it: no field printed without a value ("phone: ", "customer: ,", an
# address ending in ", "), unset ids as an em dash rather than 0, and
# failures as messages without internal error names.
set -eu
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/lib.sh"
. "$PS_SOURCE_DIR/tests/integration/fixtures/cli/sandbox.sh"

start_sandbox
connect_platforms
ok settings set brightpearl.installed_integration_instance_id 7
ok settings set bigcommerce.orders.enabled true
ok settings set bigcommerce.defaults.channel_id 1
ok settings set bigcommerce.defaults.warehouse_id 2
ok settings set bigcommerce.defaults.tax_code T
ok settings set bigcommerce.payments.enabled true
ok mappings set order_status 'bc>bp' 11 2
ok mappings set-default payment_method 'bc>bp' BIGCOMMERCE

# plan_lines - the request part of the preview (before "Why:")
plan_lines() { sed '/^Why:/,$d' "$tmp/out"; }

for id in 100 101; do
	step="preview order $id: no empty fields"
	ok preview order "$id"
	expect_out "^1\. POST /"
	plan_lines >"$tmp/plan"
	grep -nE ': ,|: *$|, *$|,  ' "$tmp/plan" && fail "an empty field"
	grep -nE '(project|lead source|price list|shipping method) 0(,|$)' \
		"$tmp/plan" && fail "an unset id printed as 0"
	grep -n ' x   net ' "$tmp/plan" && fail "a row with an empty name"
	grep -q "project —" "$tmp/plan" || fail "the unset project is not shown as —"
done
step="the guest's contact has no phone: the field is left out"
ok preview order 101
expect_out "^    name: Sam Guest, email: sam@example.org$"

step="an order that does not exist: a message, no internal names"
run preview order 999
expect_rc 1
expect_err "^pearlsync: the import of order 999 would fail: BigCommerce order 999 not found$"
grep -q "PS_E" "$tmp/err" && fail "an internal error name was printed"

step="a mapping missing: the reason, no internal names"
ok mappings delete order_status 'bc>bp' 11
run preview order 100
expect_rc 1
expect_err "has no Brightpearl status"
grep -q "PS_E" "$tmp/err" && fail "an internal error name was printed"
echo "cli_preview: ok"
