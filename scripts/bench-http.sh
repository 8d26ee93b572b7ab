#!/usr/bin/env bash
# HTTP load test of the locate endpoints on loopback, client included on
# the same machine: wrk (Debian) for single-point GETs over random building
# entrances, curl for a streamed batch POST of a million points.
# Usage: scripts/bench-http.sh [seconds] ; prints requests/s, latency
# percentiles and batch points/s.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
work=${TMPDIR:-/tmp}/gridmap-bench
mkdir -p "$work"
if ! command -v wrk >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
go build -o bin/gridmap ./cmd/gridmap
[ -f "$work/city.gpkg" ] || ./bin/gridmap generate --out "$work/city.gpkg" --seed 1 >/dev/null
./bin/gridmap export --data "$work/city.gpkg" --layer buildings --format csv \
  | awk -F, 'NR>1 {print $9" "$8" "$7}' > "$work/points.txt"
port=18080
./bin/gridmap serve --data "$work/city.gpkg" --addr 127.0.0.1:$port >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs http://127.0.0.1:$port/readyz >/dev/null 2>&1 && break; sleep 0.1; done

cat > "$work/locate.lua" <<LUA
local pts = {}
for line in io.lines("$work/points.txt") do
  local lon, lat = line:match("([^ ]+) ([^ ]+)")
  pts[#pts + 1] = {tonumber(lon), tonumber(lat)}
end
math.randomseed(1)
request = function()
  local p = pts[math.random(#pts)]
  -- jitter up to ~50 m so the points spread over grids, not just doors
  local lon = p[1] + (math.random() - 0.5) * 0.001
  local lat = p[2] + (math.random() - 0.5) * 0.001
  return wrk.format("GET", string.format("/api/v1/locate?lon=%.7f&lat=%.7f", lon, lat))
end
LUA
echo "== GET /api/v1/locate: wrk -t2 -c32 -d${secs}s (client and server share the 2 cores)"
wrk -t2 -c32 -d"${secs}s" --latency -s "$work/locate.lua" http://127.0.0.1:$port/ | sed -n '1,20p'

echo "== POST /api/v1/locate: 1,000,000 CSV points, streamed"
# uniform over the bounding box of 市中区's urban core: most points fall in
# grids, some between them or outside
read -r minx maxx miny maxy < <(awk '$3=="370402" { if (!n++||$1<a) a=$1; if (n==1||$1>b) b=$1; if (n==1||$2<c) c=$2; if (n==1||$2>d) d=$2 } END {print a, b, c, d}' "$work/points.txt")
awk -v a="$minx" -v b="$maxx" -v c="$miny" -v d="$maxy" 'BEGIN{srand(1); print "id,lon,lat"; for(i=0;i<1000000;i++) printf "%d,%.7f,%.7f\n", i, a+rand()*(b-a), c+rand()*(d-c)}' > "$work/batch.csv"
start=$(date +%s.%N)
curl -fsS -H 'Content-Type: text/csv' --data-binary @"$work/batch.csv" http://127.0.0.1:$port/api/v1/locate -o "$work/batch.out"
end=$(date +%s.%N)
rows=$(($(wc -l < "$work/batch.out") - 1))
awk -v r="$rows" -v s="$start" -v e="$end" 'BEGIN{printf "batch: %d points in %.2f s = %.0f points/s\n", r, e-s, r/(e-s)}'
