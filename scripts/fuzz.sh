#!/usr/bin/env bash
# Runs every Go fuzz target in the tree (func FuzzXxx in a _test.go file)
# for FUZZTIME each (default 10m) and prints a table of target,
# executions, new corpus entries and the verdict. A failing input is kept
# by Go under the package's testdata/fuzz/ and the script exits 1 after
# the last target.
#
#   FUZZJOBS=N   run N targets at a time, each with nproc/N fuzz workers
#                (default 1: one after the other, every core each)
#   FUZZ=REGEXP  only the targets whose name matches (grep -E)
set -u
cd "$(dirname "$0")/.."
T=${1:-${FUZZTIME:-10m}}
GO=${GO:-go}
JOBS=${FUZZJOBS:-1}
FILTER=${FUZZ:-.}
cores=$(nproc)
par=$(( cores / JOBS )); [ "$par" -lt 1 ] && par=1
targets=$(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(' --exclude-dir=node_modules . |
  sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+)\($#\1 \2#' | sort -u |
  awk -v f="$FILTER" '$2 ~ f')
n=$(printf '%s\n' "$targets" | grep -c .)
echo "fuzz: $n targets, $T each, $JOBS at a time with $par workers each; $(uptime)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# one target: its table line in $out/NAME.line, its log in $out/NAME.log
run() {
  local dir=$1 name=$2 log="$out/$2.log" start secs verdict last execs newi
  start=$(date +%s)
  if $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$T" -parallel "$par" "./$dir/" >"$log" 2>&1; then verdict=ok; else verdict=FAIL; fi
  secs=$(( $(date +%s) - start ))
  last=$(grep -E '^fuzz: elapsed' "$log" | tail -1)
  execs=$(echo "$last" | sed -nE 's/.*execs: ([0-9]+).*/\1/p')
  newi=$(echo "$last" | sed -nE 's/.*new interesting: ([0-9]+).*/\1/p')
  printf '%-28s %-22s %8ss %12s execs %6s new  %s\n' "$name" "$dir" "$secs" "${execs:-?}" "${newi:-?}" "$verdict" >"$out/$name.line"
  cat "$out/$name.line"
  if [ "$verdict" = FAIL ]; then grep -E -- '--- FAIL|Failing input|panic|Error' "$log" | head -20; fi
}

while read -r dir name; do
  [ -z "$dir" ] && continue
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  run "$dir" "$name" &
done <<< "$targets"
wait

echo "---- fuzz summary ($(uptime))"
fail=0
while read -r dir name; do
  [ -z "$dir" ] && continue
  line=$(cat "$out/$name.line" 2>/dev/null || echo "$name $dir: no result")
  echo "$line"
  case "$line" in *ok) ;; *) fail=1 ;; esac
done <<< "$targets"
exit $fail
