#!/usr/bin/env bash
# Runs every Go fuzz target in the tree (func FuzzXxx in a _test.go file)
# for FUZZTIME each (default 10m), one after the other, and prints a table
# of target, executions, new corpus entries and the verdict. A failing
# input is kept by Go under the package's testdata/fuzz/ and the script
# exits 1 after the last target.
set -u
cd "$(dirname "$0")/.."
T=${1:-${FUZZTIME:-10m}}
GO=${GO:-go}
targets=$(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(' --exclude-dir=node_modules . |
  sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+)\($#\1 \2#' | sort -u)
n=$(printf '%s\n' "$targets" | grep -c .)
echo "fuzz: $n targets, $T each; $(uptime)"
fail=0
summary=""
while read -r dir name; do
  [ -z "$dir" ] && continue
  log=$(mktemp)
  start=$(date +%s)
  if $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$T" "./$dir/" >"$log" 2>&1; then verdict=ok; else verdict=FAIL; fail=1; fi
  secs=$(( $(date +%s) - start ))
  last=$(grep -E '^fuzz: elapsed' "$log" | tail -1)
  execs=$(echo "$last" | sed -nE 's/.*execs: ([0-9]+).*/\1/p')
  newi=$(echo "$last" | sed -nE 's/.*new interesting: ([0-9]+).*/\1/p')
  line=$(printf '%-28s %-22s %8ss %12s execs %6s new  %s' "$name" "$dir" "$secs" "${execs:-?}" "${newi:-?}" "$verdict")
  echo "$line"
  summary+="$line"$'\n'
  if [ "$verdict" = FAIL ]; then grep -E -- '--- FAIL|Failing input|panic|Error' "$log" | head -20; fi
  rm -f "$log"
done <<< "$targets"
echo "---- fuzz summary ($(uptime))"
printf '%s' "$summary"
exit $fail
