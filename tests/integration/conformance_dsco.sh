#!/bin/sh
# conformance_dsco.sh - validate the sandbox's DSCO (Rithum) replies against
# Rithum's OpenAPI 3.1 file with tests/conformance/dsco.js.
#
# Starts pearlsync-sandbox on an ephemeral loopback port, runs the scripted
# scenario against it and stops the sandbox.  Skips (exit 77) when the spec
# (../shared/specs/dsco beside the source tree) is absent.  Node and the
# tool's node_modules come from scripts/install-deps; without them the test
# fails rather than hiding the gap.
set -eu

# shellcheck disable=SC2034 # read by lib.sh
name=conformance_dsco
. "${PS_SOURCE_DIR:?PS_SOURCE_DIR must name the source tree}/tests/integration/fixtures/conformance/lib.sh"

spec="$PS_SOURCE_DIR/../shared/specs/dsco/dsco-api-v3-openapi.yaml"
conformance_require "$spec" "DSCO OpenAPI file not found at $spec"
conformance_run dsco.js --spec "$spec"
