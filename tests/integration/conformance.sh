#!/bin/sh
# conformance.sh - validate the sandbox's BigCommerce responses against the
# official OpenAPI files with the Node tool in tests/conformance.
#
# Starts pearlsync-sandbox on an ephemeral loopback port, runs the tool
# against it and stops the sandbox.  Skips (exit 77) when the spec folder
# (../shared/specs/bigcommerce beside the source tree) is absent.  Node and
# the tool's node_modules come from scripts/install-deps; without them the
# test fails rather than hiding the gap.
set -eu

# shellcheck disable=SC2034 # read by lib.sh
name=conformance
. "${PS_SOURCE_DIR:?PS_SOURCE_DIR must name the source tree}/tests/integration/fixtures/conformance/lib.sh"

specs="$PS_SOURCE_DIR/../shared/specs/bigcommerce"
conformance_require "$specs/orders.v2.oas2.yml" \
	"BigCommerce OpenAPI specs not found at $specs"
conformance_run conform.js --specs "$specs"
