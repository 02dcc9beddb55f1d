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

: "${PS_BIN_DIR:?PS_BIN_DIR must name the build's bin directory}"
: "${PS_SOURCE_DIR:?PS_SOURCE_DIR must name the source tree}"

spec="$PS_SOURCE_DIR/../shared/specs/dsco/dsco-api-v3-openapi.yaml"
tool="$PS_SOURCE_DIR/tests/conformance"

if [ ! -f "$spec" ]; then
	echo "************************************************************"
	echo "SKIPPED: DSCO OpenAPI file not found at $spec"
	echo "************************************************************"
	exit 77
fi
if ! command -v node >/dev/null 2>&1; then
	echo "conformance_dsco: node is not installed; run scripts/install-deps" >&2
	exit 1
fi
if [ ! -d "$tool/node_modules/ajv" ]; then
	echo "conformance_dsco: $tool/node_modules is missing; run scripts/install-deps" >&2
	exit 1
fi

work=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$PS_BIN_DIR/pearlsync-sandbox" --listen 127.0.0.1:0 --seed empty \
	>"$work/out" 2>"$work/err" &
pid=$!

# Wait (at most ~10 s) for the "ready" line.
i=0
while ! grep -q '^ready' "$work/out" 2>/dev/null; do
	i=$((i + 1))
	if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "conformance_dsco: sandbox did not start" >&2
		cat "$work/err" >&2
		exit 1
	fi
	sleep 0.05
done
base=$(sed -n 's#^control \(http://[^ ]*\)/_sandbox$#\1#p' "$work/out")
if [ -z "$base" ]; then
	echo "conformance_dsco: no control URL in the sandbox's output" >&2
	cat "$work/out" >&2
	exit 1
fi

status=0
node "$tool/dsco.js" --base "$base" --spec "$spec" || status=$?

kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=""
if [ -s "$work/err" ]; then
	echo "conformance_dsco: sandbox stderr:" >&2
	cat "$work/err" >&2
	if grep -q 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$work/err"; then
		status=1
	fi
fi
exit "$status"
