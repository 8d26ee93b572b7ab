#!/usr/bin/env bash
# make cluster-demo: PostgreSQL with PostGIS and two gridmap replicas on
# loopback, on the demo city. Prints the replicas' URLs and tokens; Ctrl-C
# stops everything and removes the database.
# Env: PORT_A (default 8081), PORT_B (default 8082).
set -euo pipefail
PORT_A=${PORT_A:-8081}
PORT_B=${PORT_B:-8082}
dir=$(mktemp -d /tmp/gridmap-cluster.XXXXXX)
go build -o "$dir/gridmap" ./cmd/gridmap
go build -o "$dir/pgserver" ./scripts/pgserver
bin=$dir/gridmap
pids=()
cleanup() {
  echo; echo "stopping the replicas and PostgreSQL"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$dir/pgserver" > "$dir/pg.url" 2> "$dir/pg.log" &
pids+=($!)
for _ in $(seq 150); do [ -s "$dir/pg.url" ] && break; sleep 0.2; done
url=$(head -1 "$dir/pg.url")
[ -n "$url" ] || { cat "$dir/pg.log"; exit 1; }
"$bin" generate --out "$url" >/dev/null
disp=$("$bin" token create --data "$url" --role dispatcher --name demo-dispatcher 2>/dev/null)
admin=$("$bin" token create --data "$url" --role admin --name demo-admin 2>/dev/null)
for port in "$PORT_A" "$PORT_B"; do
  "$bin" serve --data "$url" --addr 127.0.0.1:"$port" > "$dir/serve-$port.log" 2>&1 &
  pids+=($!)
done
for port in "$PORT_A" "$PORT_B"; do
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
done
cat <<EOT

gridmap cluster on loopback: two replicas on one PostgreSQL/PostGIS database

  database    $url
  replica A   http://127.0.0.1:$PORT_A/     (wall map; dispatcher console: /dispatch.html)
  replica B   http://127.0.0.1:$PORT_B/

  dispatcher token  $disp
  admin token       $admin

Try: an incident posted to A streams from B.
  curl -N -H "Authorization: Bearer $disp" http://127.0.0.1:$PORT_B/api/v1/events &
  curl -s -H "Authorization: Bearer $disp" -H 'Content-Type: application/json' \\
    -d '{"category":"property.parking","description":"demo","lon":117.5569,"lat":34.8612}' \\
    http://127.0.0.1:$PORT_A/api/v1/incidents
  ogrinfo -so PG:"$(echo "$url" | sed -E 's#postgres://([^@]+)@([^:]+):([0-9]+)/([^?]+).*#host=\2 port=\3 user=\1 dbname=\4#')" grids

Logs in $dir. Ctrl-C stops everything.
EOT
wait "${pids[1]}"
