#!/usr/bin/env bash
# Installs the external programs gridmap's tests drive, from Debian's
# packages: GDAL (ogrinfo) to open the GeoPackage and read the APIs, and
# Chromium with a CJK font for the wall map's browser test, and PostgreSQL
# 15 with PostGIS 3 for the PostGIS store's tests (a throwaway cluster per
# test binary, started by data/store/pgtest).
# Idempotent: does nothing when they are already there.
set -euo pipefail
need=()
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
{ [ -x /usr/lib/postgresql/15/bin/postgres ] && [ -f /usr/lib/postgresql/15/lib/postgis-3.so ]; } || need+=(postgresql-15-postgis-3)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-test-deps: need root to install ${need[*]}; tests that need them will say so" >&2
  exit 0
fi
echo "ensure-test-deps: installing ${need[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
