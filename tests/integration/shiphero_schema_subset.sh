#!/bin/sh
# shiphero_schema_subset.sh - keep the ShipHero simulator's schema honest.
#
# tests/sandbox/shiphero/schema.graphql is the part of ShipHero's GraphQL
# schema the simulator serves.  This compares it with the full schema
# description (../shared/specs/shiphero beside the source tree) using the
# simulator's own SDL reader ("test_sh_gql --subset"): any type, field,
# argument, enum value, default or list/non-null wrapper that the full
# file does not declare the same way fails the test, and so does an
# argument, input field or enum value the subset leaves out.  Skips
# (exit 77) when the full file is absent.
set -eu

: "${PS_BIN_DIR:?PS_BIN_DIR must name the build's bin directory}"
: "${PS_SOURCE_DIR:?PS_SOURCE_DIR must name the source tree}"

full="$PS_SOURCE_DIR/../shared/specs/shiphero/shiphero-schema.DERIVED.graphql"
subset="$PS_SOURCE_DIR/tests/sandbox/shiphero/schema.graphql"
tool="$PS_BIN_DIR/../tests/test_sh_gql"

if [ ! -f "$full" ]; then
	echo "************************************************************"
	echo "SKIPPED: ShipHero schema file not found at $full"
	echo "************************************************************"
	exit 77
fi
if [ ! -x "$tool" ]; then
	echo "shiphero_schema_subset: $tool is not built" >&2
	exit 1
fi
"$tool" --subset "$subset" "$full"
