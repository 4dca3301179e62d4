#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time each (FUZZTIME, default 20s).
# `go test -fuzz` takes one target per package per run, so targets are listed per package with
# `go test -list` and run one by one. `make test` runs the seed corpora as ordinary tests; this goes
# looking for new inputs. A failing input is written to <package>/testdata/fuzz/<Target>/, where it
# becomes a seed that `make test` runs: fix the code, keep the file.
#
#   FUZZTIME=1m bash infra/local/fuzz.sh                  every target, a minute each
#   bash infra/local/fuzz.sh ./shared/scan ./shared/store  only these packages
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzztime="${FUZZTIME:-20s}"

if [ $# -gt 0 ]; then
	pkgs=("$@")
else
	# Only packages whose tests declare a fuzz target: listing every package would build every test
	# binary (the CDK app's among them) for nothing.
	mapfile -t pkgs < <(grep -rl --include='*_test.go' --exclude-dir=node_modules --exclude-dir=testdata '^func Fuzz' functions shared infra |
		xargs -r -n1 dirname | sort -u | sed 's|^|./|')
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0 failed=() flaked=()
for pkg in "${pkgs[@]}"; do
	targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for target in $targets; do
		echo "fuzz: $pkg $target ($fuzztime)"
		# -fuzzminimizetime 0: a failing input found near the end of the time is written as it is;
		# minimizing it (60s by default) would outlast the time and the input would be lost.
		if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 "$pkg" 2>&1 | tee "$log"; then
			passed=$((passed + 1))
		elif ! grep -q -e 'Failing input written to' -e 'failure while testing seed corpus' "$log" &&
			[ "$(grep -v '^\(FAIL\|exit status\|fuzz: \|--- FAIL: \)' "$log" | tr -d ' \t' | grep -v '^$')" = "contextdeadlineexceeded" ]; then
			# Go 1.26's fuzz coordinator can report its own time limit as a failure, with no input
			# (golang/go#75804, fixed in Go 1.27): not a finding.
			echo "fuzz: $target stopped with Go's own deadline error and no failing input: not a finding"
			flaked+=("$target")
		else
			failed+=("$pkg $target")
		fi
	done
done

echo "fuzz: $passed passed, ${#flaked[@]} stopped by Go's deadline race (no input), ${#failed[@]} failed"
for f in "${failed[@]}"; do
	echo "  FAILED: $f (the failing input is under its package's testdata/fuzz/)"
done
[ ${#failed[@]} -eq 0 ]
