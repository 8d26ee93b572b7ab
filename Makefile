# gridmap — the two commands: `make run` and `make test`.
GO      ?= go
BIN     := bin/gridmap
DATA    ?= city.gpkg
SEED    ?= 1
ADDR    ?= :8080
GOFILES := $(shell find . -name '*.go' -not -path './node_modules/*' -not -path './frontend/node_modules/*')

.PHONY: all build run test fmt-check vet test-deps bench bench-all scale clean frontend vendor e2e bench-tiles test-tiles-full

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gridmap

# The demo city is generated, not committed.
$(DATA): | build
	./$(BIN) generate --out $(DATA) --seed $(SEED) --places-as-of $$(date +%F)

run: build $(DATA)
	./$(BIN) serve --data $(DATA) --addr $(ADDR)

test-deps:
	./scripts/ensure-test-deps.sh

fmt-check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test: test-deps frontend fmt-check vet
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) e2e

# The figures of the hot paths in one table: the in-process benchmarks of
# locate and tiles (ns/op, allocs/op), the mutex profile of cold tiles,
# then the HTTP load runs (scripts/bench-http.sh: locate compact and full,
# pipelined, NDJSON stream; cold z12, the cold z10–z16 list with its GC
# cycles, warm tiles), ending in a table: name, value, target, met.
# Needs a quiet machine; `uptime` is printed beside the figures.
bench: build
	@uptime
	$(GO) test -run '^$$' -bench 'LocateServe|TileServe|TileColdServe|^BenchmarkLocate$$|TileZ12|EncodeZ12' -benchmem -count 1 \
	  -mutexprofile /tmp/gridmap-mutex.out ./server/ | tee bench.txt
	$(GO) test -run '^$$' -bench '^BenchmarkLocate$$|TileZ12|EncodeZ12' -benchmem -count 1 ./geo/ ./tiles/ | tee -a bench.txt
	$(GO) tool pprof -top -nodecount 6 /tmp/gridmap-mutex.out 2>/dev/null | sed -n '4,12p' | tee -a bench.txt
	./scripts/bench-http.sh 15 | tee -a bench.txt

# Every benchmark of every package, three times.
bench-all:
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./... | tee bench-all.txt

# Tiles: cold render per tile (median and p90) at z12/z14/z16, warm tiles
# through the HTTP handler, then a timed z8–z16 PMTiles bake.
bench-tiles: build
	$(GO) test -run '^$$' -bench 'Tile|New' -benchmem -count 3 ./tiles/ ./server/ | tee /tmp/gridmap-bench-tiles.txt
	./$(BIN) generate --out /tmp/gridmap-bench.gpkg --force >/dev/null
	./$(BIN) bake --data /tmp/gridmap-bench.gpkg --out /tmp/gridmap-bench.pmtiles | tee -a /tmp/gridmap-bench-tiles.txt

# Every tile of the z8–z16 pyramid decoded and checked (Go, GDAL, node).
test-tiles-full: test-deps
	GRIDMAP_TILES_FULL=1 $(GO) test -count=1 -timeout 30m ./tiles/

# The --scale 1000 city (1,230,000 grids): time, peak memory, file size.
scale: build
	/usr/bin/time -v ./$(BIN) generate --out /tmp/gridmap-scale1000.gpkg --scale 1000 --force 2> /tmp/gridmap-scale1000.log; \
	  grep -E 'Elapsed|Maximum resident' /tmp/gridmap-scale1000.log; ls -lh /tmp/gridmap-scale1000.gpkg

# The pages' npm packages: npm ci when the lock file changed (playwright-core
# for the browser tests; MapLibre GL JS), then check that the committed
# frontend/vendor/ holds exactly the browser builds package-lock.json pins.
# The binary needs no npm step: frontend/web/ (page sources) and
# frontend/vendor/ (vendored libraries) are committed and embedded.
frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
frontend: frontend/node_modules/.package-lock.json
	cd frontend && npm run --silent vendor:check

# After changing a vendored package's version in frontend/package.json (and
# npm install): copy its browser build into frontend/vendor/; commit the result.
vendor: frontend/node_modules/.package-lock.json
	cd frontend && npm run --silent vendor

# The map pages in Debian's Chromium (playwright-core): the binary is built
# once (after the frontend, which it embeds); each test file serves its own
# demo city.
e2e: test-deps frontend
	$(GO) build -o bin/gridmap-e2e ./cmd/gridmap
	cd frontend && GRIDMAP_BIN=$(CURDIR)/bin/gridmap-e2e npm run --silent e2e

clean:
	rm -rf bin $(DATA) $(DATA)-wal $(DATA)-shm

# Station coverage now, with the planned sites, and with 300 chosen sites.
coverage-eval: build $(DATA)
	./$(BIN) coverage eval --data $(DATA) --k 300

# Geocoder figures on 12,000 generated addresses of the demo city: top-1 grid
# accuracy, wrong grids among confident answers, how ambiguous input was told;
# then 1,500 cases of each dispatcher's form (intersections, offsets,
# landmarks and gates, short station names, bus stops, other cities), one row
# per form.
.PHONY: geocode-eval geocode-batch
geocode-eval:
	$(GO) test -count=1 -run '^TestEval$$' -v ./geo/geocode/ -geocode.eval=12000

# Batch geocoding speed: the 24,000 addresses of the evaluation (both sets),
# one a line, through `gridmap geocode` on the seed-1 city (lines/s on stderr).
geocode-batch: build
	@test -f /tmp/gridmap-geocode-seed1.gpkg || ./$(BIN) generate --out /tmp/gridmap-geocode-seed1.gpkg --seed 1 >/dev/null
	$(GO) test -count=1 -run '^TestEval$$' ./geo/geocode/ -geocode.eval=12000 -geocode.out=/tmp/gridmap-addresses.txt >/dev/null
	uptime
	./$(BIN) geocode --data /tmp/gridmap-geocode-seed1.gpkg < /tmp/gridmap-addresses.txt > /tmp/gridmap-geocoded.csv

# The crash test for longer (5 minutes by default): gridmap serve is killed
# with SIGKILL at random moments under a stream of incident POSTs; every
# acknowledged incident must survive and the store pass integrity_check.
CRASH_SECONDS ?= 300
.PHONY: crash
crash:
	GRIDMAP_CRASH_SECONDS=$(CRASH_SECONDS) $(GO) test -count=1 -run '^TestCrash$$' -timeout 60m -v ./cmd/gridmap/

# The planner: unbalance the demo city (15% of households moved), propose for
# the whole city with a step budget (the same plan on any machine), print
# before/after against the targets. plan-eval-busy does the same while two
# busy loops hold both cores (the loops are killed however the run ends).
PLAN_EVAL := plan eval --seed 1 --share 0.15 --steps 4000000 --budget 10s
.PHONY: plan-eval plan-eval-busy
plan-eval: build
	@uptime
	./$(BIN) $(PLAN_EVAL)

plan-eval-busy: build
	@sh -c 'while :; do :; done' & b1=$$!; sh -c 'while :; do :; done' & b2=$$!; \
	  trap "kill $$b1 $$b2 2>/dev/null" EXIT INT TERM; \
	  sleep 2; uptime; ./$(BIN) $(PLAN_EVAL); rc=$$?; uptime; exit $$rc

# Every Go fuzz target in the tree (func Fuzz* in a _test.go), FUZZTIME
# each (default 10 minutes), one after the other; FUZZJOBS=2 runs two at a
# time with a core each, FUZZ=REGEXP picks targets by name. Plain `go test`
# (make test) runs their seed corpora.
FUZZTIME ?= 10m
.PHONY: fuzz
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# Ten minutes of mixed load (locate, tiles, incidents, SSE) on a server it
# starts on loopback; prints resident memory and goroutines each minute and
# fails when either grows more than 5% after a two-minute warm-up.
SOAK ?= 10m
.PHONY: soak
soak: build
	$(GO) run ./scripts/soak -bin $(BIN) -duration $(SOAK)

# The PostGIS store against the GeoPackage: incident POST throughput and
# p99, SSE fan-out latency across two replicas (p50/p99), gridmap copy time
# of the demo city and of --scale 100. Figures with uptime beside them.
.PHONY: bench-pg cluster-demo
bench-pg: test-deps
	./scripts/bench-pg.sh 2>&1 | tee /tmp/gridmap-bench-pg.txt

# PostgreSQL/PostGIS and two gridmap replicas on loopback (ports 8081 and
# 8082, or PORT_A/PORT_B), on the demo city; prints their URLs.
cluster-demo: test-deps frontend
	./scripts/cluster-demo.sh
