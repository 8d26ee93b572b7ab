#!/usr/bin/env bash
# make bench-pg: the PostGIS store against the GeoPackage, on loopback.
#  1. gridmap copy of the demo city, GeoPackage → PostGIS and back;
#  2. incident POST throughput and latency (scripts/incidentload) on a
#     server over the GeoPackage, then over PostGIS;
#  3. SSE fan-out across two replicas on one database: POSTs to replica A,
#     event clients on replica B, delivery lag p50/p99;
#  4. gridmap copy of the --scale 100 city (123,000 grids) both ways.
# PostgreSQL runs with fsync on (scripts/pgserver). Prints uptime beside
# the figures: on a shared machine they are only as quiet as it is.
# Env: RATE (POSTs/s offered, default 1500), SECONDS_EACH (default 20),
# CLIENTS (SSE clients, default 50), SCALE (default 100).
set -euo pipefail
RATE=${RATE:-1500}
SECONDS_EACH=${SECONDS_EACH:-20}
CLIENTS=${CLIENTS:-50}
SCALE=${SCALE:-100}
dir=$(mktemp -d /tmp/gridmap-bench-pg.XXXXXX)
bin=$dir/gridmap
go build -o "$bin" ./cmd/gridmap
go build -o "$dir/pgserver" ./scripts/pgserver
go build -o "$dir/incidentload" ./scripts/incidentload
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

"$dir/pgserver" > "$dir/pg.url" 2> "$dir/pg.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$dir/pg.url" ] && break; sleep 0.2; done
url=$(head -1 "$dir/pg.url")
base=${url%%\?*}; base=${base%/*}
echo "== bench-pg  $(date -u +%FT%TZ)  uptime:$(uptime)"

serve() { # serve DATA PORT → pid
  "$bin" serve --data "$1" --addr 127.0.0.1:"$2" --rate-limit 0 --log-level warn > "$dir/serve-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.2; done
  echo "server on $2 did not start"; cat "$dir/serve-$2.log"; exit 1
}
newdb() { # a fresh database on the server
  local name=$1
  psql -q "$url" -c "CREATE DATABASE $name" && psql -q "$base/$name?sslmode=disable" -c "CREATE EXTENSION postgis"
  echo "$base/$name?sslmode=disable"
}
timed() { local s; s=$(date +%s%N); "$@" >/dev/null; local ms=$(( ($(date +%s%N) - s) / 1000000 )); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }

echo "-- 1. gridmap copy, demo city (1,230 grids)"
"$bin" generate --out "$dir/city.gpkg" >/dev/null
echo "copy GeoPackage → PostGIS: $(timed "$bin" copy --from "$dir/city.gpkg" --to "$url")   uptime:$(uptime | sed 's/.*load/load/')"
echo "copy PostGIS → GeoPackage: $(timed "$bin" copy --from "$url" --to "$dir/back.gpkg")   uptime:$(uptime | sed 's/.*load/load/')"

echo "-- 2. incident POSTs: offered $RATE/s for ${SECONDS_EACH}s, $CLIENTS event clients"
for data in "$dir/city.gpkg" "$url"; do
  disp=$("$bin" token create --data "$data" --role dispatcher --name load 2>/dev/null)
  view=$("$bin" token create --data "$data" --role viewer --name wall 2>/dev/null)
  port=$((18500 + RANDOM % 400))
  serve "$data" $port
  case "$data" in postgres*) echo "PostGIS:";; *) echo "GeoPackage:";; esac
  "$dir/incidentload" --url "http://127.0.0.1:$port" --token "$disp" --viewer "$view" --clients "$CLIENTS" --rate "$RATE" --duration "${SECONDS_EACH}s" | grep -E "posted|POST latency|missing|lag"
  echo "   uptime:$(uptime | sed 's/.*load/load/')"
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
done

echo "-- 3. SSE fan-out across two replicas (POST to A, $CLIENTS event clients on B), offered 300/s"
disp=$("$bin" token create --data "$url" --role dispatcher --name load-ab 2>/dev/null)
view=$("$bin" token create --data "$url" --role viewer --name wall-ab 2>/dev/null)
pa=$((18900 + RANDOM % 50)); pb=$((18950 + RANDOM % 50))
serve "$url" $pa; serve "$url" $pb
"$dir/incidentload" --url "http://127.0.0.1:$pa" --events-url "http://127.0.0.1:$pb" --token "$disp" --viewer "$view" --clients "$CLIENTS" --rate 300 --duration "${SECONDS_EACH}s" | grep -E "posted|POST latency|missing|lag"
echo "   uptime:$(uptime | sed 's/.*load/load/')"

echo "-- 4. gridmap copy, --scale $SCALE city"
t0=$(date +%s)
"$bin" generate --out "$dir/scale.gpkg" --scale "$SCALE" >/dev/null 2>&1
echo "(generate --scale $SCALE: $(( $(date +%s) - t0 )) s; $(du -h "$dir/scale.gpkg" | cut -f1))"
big=$(newdb scale)
echo "copy GeoPackage → PostGIS: $(timed "$bin" copy --from "$dir/scale.gpkg" --to "$big")   uptime:$(uptime | sed 's/.*load/load/')"
echo "copy PostGIS → GeoPackage: $(timed "$bin" copy --from "$big" --to "$dir/scale-back.gpkg")   uptime:$(uptime | sed 's/.*load/load/')"
echo "grids in PostGIS: $(psql -tA "$big" -c 'SELECT count(*) FROM grids'); buildings: $(psql -tA "$big" -c 'SELECT count(*) FROM buildings')"
