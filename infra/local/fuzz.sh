#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time each (FUZZTIME, default 20s).
# `go test -fuzz` takes one target per package per run, so targets are listed and run one by one.
# `make test` runs the seed corpora as ordinary tests; this goes looking for new inputs.
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzztime="${FUZZTIME:-20s}"
failed=0
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		echo "fuzz: $pkg $target ($fuzztime)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
			failed=1
		fi
	done
done
exit $failed
