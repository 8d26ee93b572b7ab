#!/usr/bin/env bash
# The HTTP figures of issue 18, on loopback with the client on the same
# machine (scripts/httpload, a raw keep-alive HTTP/1.1 load generator),
# against a fresh `gridmap serve` of the demo city, then one table:
# name, value, target, met or not. `make bench` runs it after the
# in-process benchmarks; run it in a quiet window, the figures are the
# machine's.
#   scripts/bench-http.sh [seconds per throughput run, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
work=${TMPDIR:-/tmp}/gridmap-bench
mkdir -p "$work"
go build -o bin/gridmap ./cmd/gridmap
go build -o bin/httpload ./scripts/httpload
city="$work/city.gpkg"
[ -f "$city" ] || ./bin/gridmap generate --out "$city" --seed 1 >/dev/null
load=./bin/httpload

pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap stop EXIT
# start: a fresh server (empty tile cache) on a free port, its stderr with
# the GC trace in $work/serve.log; sets $base.
start() {
  stop
  : > "$work/serve.out"
  GODEBUG=gctrace=1 ./bin/gridmap serve --data "$city" --addr 127.0.0.1:0 --rate-limit 0 >"$work/serve.out" 2>"$work/serve.log" &
  pid=$!
  for _ in $(seq 600); do
    port=$(sed -n 's|.*http://localhost:\([0-9]*\)/.*|\1|p' "$work/serve.out")
    [ -n "$port" ] && curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  base=http://127.0.0.1:$port
}
gcs() { grep -c '^gc [0-9]' "$work/serve.log" || true; }
# field NAME LINE: the value of NAME=… on a RESULT line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

rows=()
row() { # name value unit target-op target
  local met=no
  if [ "$4" = "info" ]; then met=—
  elif awk -v v="$2" -v t="$5" -v op="$4" 'BEGIN { exit !((op == ">=" && v >= t) || (op == "<=" && v <= t) || (op == "==" && v == t)) }'; then met=yes
  fi
  rows+=("$(printf '%-44s %12s %-8s %4s %-10s %s' "$1" "$2" "$3" "$4" "$5" "$met")")
}

echo "== uptime: $(uptime)"
start
echo "== locate, 16 connections, ${secs}s each"
r=$($load -url "$base" -name locate-compact -locate "$city" -query '&fields=grid' -c 16 -d "${secs}s"); echo "$r"
row "locate compact (fields=grid) req/s" "$(field rps "$r")" req/s ">=" 40000
row "locate compact p99" "$(field p99_ms "$r")" ms "<=" 2
row "locate compact errors" "$(field errors "$r")" "" "==" 0
row "locate compact bytes/answer" "$(field bytes_per_resp "$r")" B "<=" 100
r=$($load -url "$base" -name locate-full -locate "$city" -c 16 -d "${secs}s"); echo "$r"
row "locate full card req/s" "$(field rps "$r")" req/s ">=" 30000
row "locate full card p99" "$(field p99_ms "$r")" ms "<=" 2
row "locate full card errors" "$(field errors "$r")" "" "==" 0
r=$($load -url "$base" -name locate-compact-pipelined -locate "$city" -query '&fields=grid' -c 16 -pipeline 8 -d "${secs}s"); echo "$r"
row "locate compact, pipelined ×8, req/s" "$(field rps "$r")" req/s ">=" 40000

echo "== locate stream: 200,000 NDJSON points in one POST"
./bin/gridmap export --data "$city" --layer buildings --format csv | awk -F, 'NR>1 {print $9" "$8}' > "$work/points.txt"
awk 'BEGIN{srand(1)} {p[NR]=$0} END {for (i=0;i<200000;i++) {split(p[int(rand()*NR)+1], a, " "); printf "{\"id\":%d,\"lon\":%.7f,\"lat\":%.7f}\n", i, a[1]+(rand()-0.5)*0.001, a[2]+(rand()-0.5)*0.001}}' "$work/points.txt" > "$work/stream.ndjson"
t0=$(date +%s.%N)
curl -fsS -H 'Content-Type: application/x-ndjson' --data-binary @"$work/stream.ndjson" "$base/api/v1/locate?fields=grid" -o "$work/stream.out"
t1=$(date +%s.%N)
n=$(wc -l < "$work/stream.out")
pps=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n/(b-a)}')
echo "stream: $n answers, $pps points/s"
row "locate NDJSON stream points/s (fields=grid)" "$pps" pts/s ">=" 40000

echo "== tiles"
# Cold z12: every tile of the urban area's z12 cover once, one connection,
# five fresh servers (the cover is small).
: > "$work/z12.lat"
for i in 1 2 3 4 5; do
  start
  $load -url "$base" -name tiles-z12-cold -tiles "$city" -zooms 12 -c 1 -once -latfile "$work/z12.lat" >/dev/null
done
read -r n p50 p99 < <(sort -n "$work/z12.lat" | awk '{a[NR]=$1} END {printf "%d %.3f %.3f\n", NR, a[int(NR*0.5)+1]/1000, a[int(NR*0.99)+1]/1000}')
echo "cold z12: $n tiles, p50 $p50 ms, p99 $p99 ms"
row "tile z12 cold p50" "$p50" ms "<=" 1.5
row "tile z12 cold p99" "$p99" ms "<=" 5
start
g0=$(gcs)
r=$($load -url "$base" -name tiles-z10-16-cold -tiles "$city" -zooms 10-16 -c 4 -once); echo "$r"
g1=$(gcs)
row "cold z10–z16 list, 4 conns, tiles/s" "$(field rps "$r")" tiles/s ">=" 3000
row "cold list tiles" "$(field n "$r")" tiles info "≈1270"
row "cold list p99" "$(field p99_ms "$r")" ms info —
row "cold list errors" "$(field errors "$r")" "" "==" 0
row "GC cycles during the cold list" "$((g1 - g0))" "" info —
r=$($load -url "$base" -name tiles-warm -tiles "$city" -zooms 10-16 -c 16 -d "${secs}s"); echo "$r"
row "warm tiles, 16 conns, tiles/s" "$(field rps "$r")" tiles/s ">=" 25000
row "warm tiles p99" "$(field p99_ms "$r")" ms info —
stop

echo
echo "== issue 18 figures ($(uptime | sed 's/.*load average/load average/'))"
printf '%-44s %12s %-8s %4s %-10s %s\n' name value unit op target met
for r in "${rows[@]}"; do echo "$r"; done
