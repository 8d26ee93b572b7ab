// Package server is gridmap's HTTP front: the JSON API, layer GeoJSON,
// health endpoints and the embedded frontend, routed with gorilla/mux.
// It is the only package, with cmd, that wires stores, the spatial engine
// and tiles together.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/data/privacy"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// Loader loads the whole city from the store of record.
type Loader interface {
	Load(ctx context.Context) (*data.City, error)
}

// Config configures a Server.
type Config struct {
	Store  Loader
	Logger *slog.Logger
	Assets fs.FS // frontend pages; nil serves none
	// MaxBodyBytes caps request bodies (default 32 MiB; batch locate
	// bodies are exempt up to MaxBatchBytes).
	MaxBodyBytes int64
	// MaxBatchBytes caps a streamed batch locate body (default 4 GiB).
	MaxBatchBytes int64
	// PersonalTokens are static bearer tokens that act as planner tokens.
	//
	// Deprecated: create tokens with roles (gridmap token create); kept
	// for the tests that predate them.
	PersonalTokens []string

	// Tokens and Incidents are the stores of API tokens and of the
	// dispatch flow; when nil, Store is used if it is one.
	Tokens    TokenStore
	Incidents IncidentStore
	// Rules are the incident routing rules (default: the last version
	// stored, else the built-in file).
	Rules *data.Rules
	// Now is the clock of incident timestamps and SLA deadlines (default
	// time.Now); tests inject one.
	Now func() time.Time
	// EscalationInterval is how often overdue incidents are escalated
	// (default 30 s; negative: never, tests call EscalateOverdue).
	EscalationInterval time.Duration
	// RateLimit is the requests per second allowed to each token, with
	// bursts of RateBurst (default twice the rate); 0 means no limit.
	// AnonRateLimit is the same for each address of anonymous callers.
	RateLimit     float64
	RateBurst     int
	AnonRateLimit float64
	// RequestTimeout bounds each request's context (default 30 s); event
	// streams and batch locate are exempt.
	RequestTimeout time.Duration
	// HeavyAnonRate is the heavy runs (siting, batch locate) per second
	// allowed to each address of anonymous callers, in bursts of
	// HeavyAnonBurst (default 6 a minute, bursts of 3); negative: no limit.
	HeavyAnonRate  float64
	HeavyAnonBurst int
}

// Snapshot is one consistent version of the city and everything derived
// from it. Handlers take one snapshot per request and never see a mix.
type Snapshot struct {
	City    *data.City
	Index   *geo.Index
	Version int64
	Loaded  time.Time

	ext map[string]any // what each extension derived from this city
}

// Ext returns what the named extension derived from this snapshot's city.
func (sn *Snapshot) Ext(name string) any { return sn.ext[name] }

// An extension is one feature of the server kept in its own file: it
// derives its state from each new city (tiles, gazetteer …) and adds its
// routes. Files register theirs from init, so features grow without
// touching this file.
type extension struct {
	name  string
	build func(sn *Snapshot) (any, error) // may be nil
	// routes returns the extension's routes for the registry (routes.go):
	// full paths, each with its roles, parameters and summary.
	routes func(s *Server) []Route // may be nil
}

var extensions []extension

// register adds an extension; called from init functions.
func register(e extension) { extensions = append(extensions, e) }

// Server serves the API. Create it with New.
type Server struct {
	cfg    Config
	log    *slog.Logger
	snap   atomic.Pointer[Snapshot]
	router *mux.Router
	table  []Route // the route registry the router was built from
	direct directRoutes
	ops    *ops // auth, limits, metrics and the dispatch flow (ops.go)
	heavy  *heavyQueues

	reloadStarted atomic.Int64 // when the last Reload began (unix ns)
}

// New loads the city from the store and builds the router.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.MaxBatchBytes == 0 {
		cfg.MaxBatchBytes = 4 << 30
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.ops = newOps(s)
	anonHeavy := cfg.HeavyAnonRate
	if anonHeavy == 0 {
		anonHeavy = defaultAnonHeavy
	}
	s.heavy = newHeavyQueues(anonHeavy, cfg.HeavyAnonBurst)
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	r, err := s.buildRouter()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.router = r
	s.findDirect()
	if err := s.startOps(ctx); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return s, nil
}

// Reload reads the city from the store and swaps it in atomically. A
// snapshot swapped in by a write while the city was being read (a people
// write shows its change at once) is newer than what was read, so the
// read starts again rather than overwrite it: the write had committed
// before its swap, so the next read holds it.
func (s *Server) Reload(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		s.reloadStarted.Store(time.Now().UnixNano())
		before := s.snap.Load()
		sn, err := s.loadSnapshot(ctx, before)
		if err != nil {
			return err
		}
		if s.snap.CompareAndSwap(before, sn) {
			s.log.Info("city loaded", "version", sn.Version, "grids", len(sn.City.Grids), "buildings", len(sn.City.Buildings))
			return nil
		}
		if attempt == maxReloadAttempts {
			return fmt.Errorf("server: reload: the snapshot moved during each of %d reads of the store", attempt)
		}
		s.log.Info("reload: a write swapped the snapshot during the read; reading again", "attempt", attempt)
	}
}

// loadSnapshot reads the city and builds the snapshot that follows old.
func (s *Server) loadSnapshot(ctx context.Context, old *Snapshot) (*Snapshot, error) {
	c, err := s.cfg.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("server: load city: %w", err)
	}
	ix, err := geo.NewIndex(c)
	if err != nil {
		return nil, fmt.Errorf("server: index city: %w", err)
	}
	var v int64 = 1
	if old != nil {
		v = old.Version + 1
	}
	sn := &Snapshot{City: c, Index: ix, Version: v, Loaded: time.Now(), ext: map[string]any{}}
	for _, e := range extensions {
		if e.build == nil {
			continue
		}
		x, err := e.build(sn)
		if err != nil {
			return nil, fmt.Errorf("server: %s: %w", e.name, err)
		}
		sn.ext[e.name] = x
	}
	return sn, nil
}

// maxReloadAttempts bounds the reads of one Reload when snapshots keep
// moving under it.
const maxReloadAttempts = 8

// Current returns the snapshot in force.
func (s *Server) Current() *Snapshot { return s.snap.Load() }

// ServeHTTP implements http.Handler: authentication, rate limits, the
// request timeout and metrics (ops.go) around the router.
// GET /api/v1/locate and GET /tiles/{z}/{x}/{y}.mvt, the hot paths, take
// a shorter way that enforces what their registry entries declare as the
// route guard does (serveDirect, locate_fast.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		if rt := s.direct.locate; rt != nil && r.URL.Path == locatePath {
			s.serveLocate(w, r, rt)
			return
		}
		if rt := s.direct.tile; rt != nil {
			if z, x, y, ok := tileZXY(r.URL.Path); ok {
				s.serveTileDirect(w, r, rt, z, x, y)
				return
			}
		}
	}
	s.front(w, r, s.serveHTTP)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in handler", "path", r.URL.Path, "panic", v)
			writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	if r.Body != nil {
		limit := s.cfg.MaxBodyBytes
		if r.URL.Path == "/api/v1/locate" {
			limit = s.cfg.MaxBatchBytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	s.router.ServeHTTP(w, r)
}

// coreRoutes are the routes of this file: health, the layers and locate.
func (s *Server) coreRoutes() []Route {
	layers := make([]string, len(features.Layers))
	copy(layers, features.Layers)
	return []Route{
		{Method: http.MethodGet, Path: "/healthz", Tag: "Health", Summary: "Liveness probe", Auth: "none",
			Description: "Answers 200 while the process serves; credentials are ignored.",
			Handler: func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
			}},
		{Method: http.MethodGet, Path: "/readyz", Tag: "Health", Summary: "Readiness probe", Auth: "none",
			Description: "Answers 200 once a city is loaded, 503 before; credentials are ignored.", Errors: []int{503},
			Handler: s.handleReady},
		{Method: http.MethodGet, Path: "/metrics", Tag: "Health", Summary: "Prometheus metrics", Media: "text/plain; version=0.0.4", Unlimited: true,
			Handler: s.handleMetrics},
		{Method: http.MethodGet, Path: "/api/v1/layers", Tag: "Layers", Summary: "The layers and their feature counts",
			Handler: s.handleLayers},
		{Method: http.MethodGet, Path: "/api/v1/layers/{layer}", Tag: "Layers", Summary: "One layer as GeoJSON",
			Description: "A FeatureCollection of the layer, optionally cut to a bbox and paged. Names and phones of people are masked, and incidents' free text scanned (viewers) or withheld (anonymous callers), unless the token has a personal-data role.",
			Media:       mediaGeoJSON, Errors: []int{404},
			Params:  []Param{{Name: "layer", In: "path", Enum: layers, Desc: "the layer"}, pBBox, pLimit(0, math.MaxInt32), pOffset},
			Handler: s.handleLayer},
		{Method: http.MethodGet, Path: locatePath, Tag: "Locate", Summary: "Which grid a point is in, and who serves it",
			Description: "The grid's card (names and phones of its people masked unless the token has a personal-data role) and the nearest station within 20 km; with fields=, a compact answer of codes only. Served without the router (the direct route), under the same checks.",
			Params:      []Param{pLon, pLat, pCRS, pFields},
			Handler:     s.handleLocate},
		{Method: http.MethodPost, Path: locatePath, Tag: "Locate", Summary: "Locate many points (CSV, GeoJSON or NDJSON), streamed",
			Description: "CSV rows id,lon,lat, a GeoJSON FeatureCollection of points, or newline-delimited JSON ({\"id\",\"lon\",\"lat\"} or [lon,lat] a line, each answered as GET would answer it, fields= included); the answer streams as it is computed. Runs in the batch queue.",
			Body:        &Body{Media: []string{"text/csv", "application/geo+json", "application/x-ndjson"}, Required: true, Desc: "the points"},
			Params:      []Param{pCRS, pFields}, Media: "text/csv", Errors: []int{413, 415}, Heavy: "batch", Stream: true,
			Handler: s.handleLocateBatch},
	}
}

func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	sn := s.Current()
	if sn == nil || len(sn.City.Grids) == 0 {
		writeError(w, http.StatusServiceUnavailable, "city not loaded")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "version": sn.Version, "grids": len(sn.City.Grids)})
}

func (s *Server) handleLayers(w http.ResponseWriter, _ *http.Request) {
	c := s.Current().City
	type layer struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
		Href  string `json:"href"`
	}
	var out []layer
	counts := c.Counts()
	for _, l := range features.Layers {
		out = append(out, layer{l, counts[l], "/api/v1/layers/" + l})
	}
	writeJSON(w, http.StatusOK, map[string]any{"layers": out})
}

// handleLayer serves a layer as a GeoJSON FeatureCollection, optionally cut
// to a bbox (lon,lat,lon,lat) and paged with limit and offset.
func (s *Server) handleLayer(w http.ResponseWriter, r *http.Request) {
	c := s.Current().City
	layer := mux.Vars(r)["layer"]
	n, err := features.Count(c, layer)
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	q := r.URL.Query()
	bbox, ok := bboxParam(w, q)
	if !ok {
		return
	}
	limit, err := intParam(q.Get("limit"), n, 0, math.MaxInt32)
	if err != nil {
		writeError(w, http.StatusBadRequest, "limit: "+err.Error())
		return
	}
	offset, err := intParam(q.Get("offset"), 0, 0, math.MaxInt32)
	if err != nil {
		writeError(w, http.StatusBadRequest, "offset: "+err.Error())
		return
	}
	opt := features.Options{Audience: audience(r)}
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `{"type":"FeatureCollection","name":%q,"features":[`, layer)
	matched, written := 0, 0
	for i := 0; i < n && written < limit; i++ {
		f, err := features.Feature(c, layer, i, opt)
		if err != nil {
			break
		}
		if bbox != nil && (f.Geometry == nil || !bbox.Intersects(f.Geometry.Bound())) {
			continue
		}
		matched++
		if matched <= offset {
			continue
		}
		b, err := json.Marshal(f)
		if err != nil {
			continue
		}
		if written > 0 {
			w.Write([]byte{','})
		}
		w.Write(b)
		written++
	}
	fmt.Fprintf(w, `],"numberReturned":%d}`, written)
}

// ParseBBox parses "minLon,minLat,maxLon,maxLat" in WGS84.
func ParseBBox(v string) (orb.Bound, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return orb.Bound{}, errors.New("bbox: want minLon,minLat,maxLon,maxLat")
	}
	var f [4]float64
	for i, p := range parts {
		x, err := parseDecimal(strings.TrimSpace(p))
		if err != nil {
			return orb.Bound{}, fmt.Errorf("bbox: %s is not a plain decimal number", echo(p))
		}
		f[i] = x
	}
	if f[0] < -180 || f[2] > 180 || f[1] < -90 || f[3] > 90 || f[0] > f[2] || f[1] > f[3] {
		return orb.Bound{}, errors.New("bbox: out of range or min greater than max")
	}
	return orb.Bound{Min: orb.Point{f[0], f[1]}, Max: orb.Point{f[2], f[3]}}, nil
}

func intParam(v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := parseInteger(v)
	if err != nil {
		return 0, fmt.Errorf("%s is not a plain decimal integer", echo(v))
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d out of range %d..%d", n, lo, hi)
	}
	return n, nil
}

// writeJSON writes v as JSON, as the masking policy lets the request's
// audience see it (the guard records the audience on the response).
func writeJSON(w http.ResponseWriter, status int, v any) {
	v = privacy.Apply(v, responseAudience(w))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes a JSON error body {"error": msg, "status": code}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg, "status": status})
}

// bboxParam reads the optional bbox query parameter; on a bad one it
// answers 400 and returns false.
func bboxParam(w http.ResponseWriter, q url.Values) (*orb.Bound, bool) {
	v := q.Get("bbox")
	if v == "" {
		return nil, true
	}
	b, err := ParseBBox(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return &b, true
}
