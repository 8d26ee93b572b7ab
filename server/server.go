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
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
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
	// routes adds the extension's routes: api is the /api/v1 subrouter
	// (paths relative to it), root the top router for everything else.
	routes func(s *Server, root, api *mux.Router) // may be nil
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
	ops    *ops // auth, limits, metrics and the dispatch flow (ops.go)

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
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	s.routes()
	if err := s.startOps(ctx); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return s, nil
}

// Reload reads the city from the store and swaps it in atomically. A
// snapshot put in force while this one was being built (a people write's
// swap, another reload) is never overwritten by an older read of the
// store: the reload then reads again.
func (s *Server) Reload(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		s.reloadStarted.Store(time.Now().UnixNano())
		old := s.snap.Load()
		c, err := s.cfg.Store.Load(ctx)
		if err != nil {
			return fmt.Errorf("server: load city: %w", err)
		}
		ix, err := geo.NewIndex(c)
		if err != nil {
			return fmt.Errorf("server: index city: %w", err)
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
				return fmt.Errorf("server: %s: %w", e.name, err)
			}
			sn.ext[e.name] = x
		}
		if reloadBuilt != nil {
			reloadBuilt()
		}
		if s.snap.CompareAndSwap(old, sn) {
			s.log.Info("city loaded", "version", v, "grids", len(c.Grids), "buildings", len(c.Buildings))
			return nil
		}
		if attempt == maxReloadAttempts {
			return fmt.Errorf("server: reload: the snapshot moved during each of %d reads of the store", attempt)
		}
	}
}

// maxReloadAttempts bounds the reads of one Reload when snapshots keep
// moving under it.
const maxReloadAttempts = 8

// reloadBuilt, when set (by tests), runs after a reload has built its
// snapshot and before it is put in force.
var reloadBuilt func()

// Current returns the snapshot in force.
func (s *Server) Current() *Snapshot { return s.snap.Load() }

// ServeHTTP implements http.Handler: authentication, rate limits, the
// request timeout and metrics (ops.go) around the router.
// GET /api/v1/locate and GET /tiles/{z}/{x}/{y}.mvt, the hot paths, take
// a shorter way with the same checks (serveDirect, locate_fast.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		if r.URL.Path == locatePath {
			s.serveLocate(w, r)
			return
		}
		if z, x, y, ok := tileZXY(r.URL.Path); ok {
			s.serveTileDirect(w, r, z, x, y)
			return
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

func (s *Server) routes() {
	r := mux.NewRouter()
	r.Use(routeLabel)
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	}).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", s.handleReady).Methods(http.MethodGet, http.MethodHead)
	api := r.PathPrefix("/api/v1").Subrouter()
	api.HandleFunc("/layers", s.handleLayers).Methods(http.MethodGet)
	api.HandleFunc("/layers/{layer}", s.handleLayer).Methods(http.MethodGet)
	api.HandleFunc("/locate", s.handleLocate).Methods(http.MethodGet)
	api.HandleFunc("/locate", s.handleLocateBatch).Methods(http.MethodPost)
	api.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
	})
	api.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path)
	})
	for _, e := range extensions {
		if e.routes != nil {
			e.routes(s, r, api)
		}
	}
	if s.cfg.Assets != nil {
		r.PathPrefix("/").Handler(http.FileServerFS(s.cfg.Assets))
	}
	s.router = r
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
	opt := features.Options{}
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
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return orb.Bound{}, fmt.Errorf("bbox: %q is not a number", p)
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
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d out of range %d..%d", n, lo, hi)
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
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
