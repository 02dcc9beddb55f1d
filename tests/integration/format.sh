#!/bin/sh
# Every C source is formatted as .clang-format says (scripts/format
# --check); the list of files that differ is the failure message.  Run
# `scripts/format` to fix them.
set -eu
cf=${CLANG_FORMAT:-clang-format}
command -v "$cf" >/dev/null 2>&1 || { echo "SKIP: $cf not installed"; exit 77; }
if ! out=$(sh "$PS_SOURCE_DIR/scripts/format" --check 2>&1); then
	echo "FAIL: not formatted (run scripts/format):" >&2
	echo "$out" >&2
	exit 1
fi
exit 0
