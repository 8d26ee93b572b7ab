package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo/coverage"
)

// coverageState holds the coverage of one snapshot: the model (network and
// every building's access to it), built on first use, and the figures at
// the default options, computed once and shared by /api/v1/coverage,
// /api/v1/stats and the catchment and uncovered-household layers, so every
// page shows one figure.
type coverageState struct {
	sn *Snapshot

	once  sync.Once
	model *coverage.Model

	figOnce sync.Once
	figs    *coverageFigures

	catchMu sync.Mutex
	catch   map[string][]coverage.Catchment // by station selection, default radii

	// Sitings wait in the server's siting queue (heavy.go: each takes a
	// core for up to seconds, and the endpoint is open to the wall map
	// without a token); identical requests share one computation, and
	// answers are kept by request, so a repeated one costs nothing and
	// answers the same.
	sitingMu sync.Mutex
	inflight map[string]*sitingFlight
	sitings  map[string][]byte
}

// sitingFlight is one siting being computed, which identical requests wait for.
type sitingFlight struct {
	done chan struct{}
	b    []byte
	err  error
}

// maxSitings bounds the answers kept per snapshot.
const maxSitings = 32

// siting returns the answer for key, computing it with run when it is not
// kept yet; identical requests at the same time share one run. hit reports
// an answer that this request did not compute.
func (c *coverageState) siting(ctx context.Context, key string, run func(context.Context) ([]byte, error)) (b []byte, hit bool, err error) {
	c.sitingMu.Lock()
	if c.sitings == nil {
		c.sitings, c.inflight = map[string][]byte{}, map[string]*sitingFlight{}
	}
	if b, ok := c.sitings[key]; ok {
		c.sitingMu.Unlock()
		return b, true, nil
	}
	if f := c.inflight[key]; f != nil {
		c.sitingMu.Unlock()
		select {
		case <-f.done:
			return f.b, true, f.err
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	f := &sitingFlight{done: make(chan struct{})}
	c.inflight[key] = f
	c.sitingMu.Unlock()
	f.b, f.err = run(ctx)
	c.sitingMu.Lock()
	delete(c.inflight, key)
	if f.err == nil {
		if len(c.sitings) >= maxSitings {
			clear(c.sitings)
		}
		c.sitings[key] = f.b
	}
	c.sitingMu.Unlock()
	close(f.done)
	return f.b, false, f.err
}

// coverageFigures are the detailed reports at the default options: the
// built grid stations (the city's figure) and those with the planned sites.
type coverageFigures struct {
	built, planned *coverage.Report
}

func (c *coverageState) get(opt coverage.Options) *coverage.Model {
	c.once.Do(func() { c.model = coverage.NewModel(c.sn.City, coverage.Options{}) })
	if opt == (coverage.Options{}) {
		return c.model
	}
	// Other radii share the network but need their own options.
	return c.model.WithOptions(opt)
}

// figures returns the default reports, computing them on first use.
func (c *coverageState) figures() *coverageFigures {
	c.figOnce.Do(func() {
		m := c.get(coverage.Options{})
		c.figs = &coverageFigures{built: m.Report(coverage.Built(m), true), planned: m.Report(coverage.BuiltAndPlanned(m), true)}
	})
	return c.figs
}

// catchments returns the catchments of a station selection at the default
// radii, computing them once per selection.
func (c *coverageState) catchments(stations string) ([]coverage.Catchment, error) {
	m := c.get(coverage.Options{})
	sel, err := selectStations(m, stations)
	if err != nil {
		return nil, err
	}
	c.catchMu.Lock()
	defer c.catchMu.Unlock()
	if x, ok := c.catch[stations]; ok {
		return x, nil
	}
	if c.catch == nil {
		c.catch = map[string][]coverage.Catchment{}
	}
	x := m.Catchments(sel)
	c.catch[stations] = x
	return x, nil
}

// defaultCoverage reports whether options are the defaults, whose figures
// are cached.
func defaultCoverage(radius, share float64) bool { return radius == 500 && share == 0.5 }

// selectStations names the station sets of the coverage endpoints.
func selectStations(m *coverage.Model, v string) (coverage.Sites, error) {
	switch v {
	case "", "grid":
		return coverage.Built(m), nil
	case "all":
		return coverage.AllBuilt(m), nil
	case "planned":
		return coverage.BuiltAndPlanned(m), nil
	}
	return nil, fmt.Errorf("stations must be grid, all or planned, not %q", v)
}

func init() {
	register(extension{
		name:  "coverage",
		build: func(sn *Snapshot) (any, error) { return &coverageState{sn: sn}, nil },
		routes: func(s *Server) []Route {
			stations := Param{Name: "stations", Enum: []string{"grid", "all", "planned"}, Desc: "which stations: the built grid stations (default), all built, or with the planned sites"}
			return []Route{
				{Method: http.MethodGet, Path: "/api/v1/coverage", Tag: "Coverage", Summary: "Station coverage figures",
					Params: []Param{{Name: "level", Enum: []string{"city", "street", "community", "grid"}, Desc: "the level of the items"},
						{Name: "radius", Type: "number", Min: 50, Max: 5000, Desc: "walking reach in metres (default 500)"},
						{Name: "grid_share", Type: "number", Min: 0.01, Max: 1, Desc: "share of a grid's households reached for it to count as covered (default 0.5)"},
						stations},
					Handler: s.handleCoverage},
				{Method: http.MethodGet, Path: "/api/v1/coverage/catchments", Tag: "Coverage", Summary: "Each station's catchment as GeoJSON",
					Media: mediaGeoJSON, Params: []Param{stations, pBBox}, Handler: s.handleCatchments},
				{Method: http.MethodGet, Path: "/api/v1/coverage/uncovered", Tag: "Coverage", Summary: "Buildings no built grid station reaches",
					Media: mediaGeoJSON, Errors: []int{404}, Params: []Param{{Name: "grid", MaxLen: 32, Desc: "grid code"}, pBBox}, Handler: s.handleUncovered},
				{Method: http.MethodPost, Path: "/api/v1/coverage/siting", Tag: "Coverage", Summary: "Choose new station sites",
					Description: "Runs in the siting queue: callers with a token and anonymous callers have separate lanes, anonymous callers are rate limited (429 with Retry-After). Answers are kept per snapshot, so a repeated request costs nothing.",
					Media:       mediaGeoJSON, Heavy: "siting", HeavyInHandler: true, Body: &Body{Media: []string{mediaJSON}, Desc: "k, radius, candidates, mode (site or cover)"},
					Handler: s.handleSiting},
			}
		},
	})
}

func floatParam(v string, def, lo, hi float64) (float64, error) {
	if v == "" {
		return def, nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || x < lo || x > hi {
		return 0, fmt.Errorf("%q is not a number in %v..%v", v, lo, hi)
	}
	return x, nil
}

// handleCoverage answers GET /api/v1/coverage?level=grid|community|street|city&radius=&grid_share=&stations=grid|all|planned
func (s *Server) handleCoverage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	radius, err := floatParam(q.Get("radius"), 500, 50, 5000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "radius: "+err.Error())
		return
	}
	share, err := floatParam(q.Get("grid_share"), 0.5, 0.01, 1)
	if err != nil {
		writeError(w, http.StatusBadRequest, "grid_share: "+err.Error())
		return
	}
	level := q.Get("level")
	if level == "" {
		level = "city"
	}
	switch level {
	case "city", "street", "community", "grid":
	default:
		writeError(w, http.StatusBadRequest, "level must be grid, community, street or city")
		return
	}
	st := s.Current().Ext("coverage").(*coverageState)
	m := st.get(coverage.Options{GridRadius: radius, GridShare: share})
	stations := q.Get("stations")
	sel, err := selectStations(m, stations)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var rep *coverage.Report
	switch {
	case defaultCoverage(radius, share) && (stations == "" || stations == "grid"):
		rep = st.figures().built // the figure /api/v1/stats shows
	case defaultCoverage(radius, share) && stations == "planned":
		rep = st.figures().planned
	default:
		rep = m.Report(sel, level != "city")
	}
	out := map[string]any{"level": level, "options": rep.Options, "stations": rep.Stations, "city": rep.City}
	switch level {
	case "street":
		out["items"] = rep.Streets
	case "community":
		out["items"] = rep.Communities
	case "grid":
		out["items"] = rep.Grids
		out["redundant_stations"] = rep.Redundant
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCatchments answers GET /api/v1/coverage/catchments?stations=grid|all|planned&bbox=
// with each station's catchment polygon as GeoJSON: its code, name, kind,
// status, point, reach and the buildings and households within it; for the built
// grid stations also the households no other station reaches and the
// share reached by another (redundancy).
func (s *Server) handleCatchments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bbox, ok := bboxParam(w, q)
	if !ok {
		return
	}
	sn := s.Current() // one snapshot: the catchments index its stations
	st := sn.Ext("coverage").(*coverageState)
	stations := q.Get("stations")
	catch, err := st.catchments(stations)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// The built grid stations' redundancy comes from the city's report.
	var redundancy map[string]coverage.StationFigures
	if stations == "" || stations == "grid" {
		figs := st.figures().built
		redundancy = make(map[string]coverage.StationFigures, len(figs.Catchments))
		for _, f := range figs.Catchments {
			redundancy[f.Code] = f
		}
	}
	c := sn.City
	feats := make([]map[string]any, 0, len(catch))
	for _, ct := range catch {
		if len(ct.Polygon) == 0 || len(ct.Polygon[0]) < 4 {
			continue
		}
		if bbox != nil && !bbox.Intersects(ct.Polygon.Bound()) {
			continue
		}
		x := &c.Stations[ct.Station]
		props := map[string]any{
			"code": x.Code, "name": x.Name, "kind": x.Kind, "status": x.Status, "grid_code": x.GridCode,
			"point": []float64{x.Point[0], x.Point[1]}, "stars": x.Stars,
			"radius_m": ct.RadiusM, "buildings": ct.Buildings, "households": ct.Households,
		}
		if f, ok := redundancy[x.Code]; ok {
			props["exclusive_households"] = f.Exclusive
			props["redundancy"] = f.Redundancy
		}
		feats = append(feats, map[string]any{
			"type":       "Feature",
			"geometry":   map[string]any{"type": "Polygon", "coordinates": ct.Polygon},
			"properties": props,
		})
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(map[string]any{"type": "FeatureCollection", "features": feats})
}

// handleUncovered answers GET /api/v1/coverage/uncovered?grid=&bbox= with
// the buildings out of reach of every built grid station, as points at
// their entrances with their households: where the holes are.
func (s *Server) handleUncovered(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bbox, ok := bboxParam(w, q)
	if !ok {
		return
	}
	grid := q.Get("grid")
	sn := s.Current() // one snapshot: the report indexes its buildings
	c := sn.City
	if grid != "" {
		if _, ok := c.GridIndex(grid); !ok {
			writeError(w, http.StatusNotFound, "no grid "+strconv.Quote(grid))
			return
		}
	}
	rep := sn.Ext("coverage").(*coverageState).figures().built
	var feats []map[string]any
	households := 0
	for i := range c.Buildings {
		b := &c.Buildings[i]
		if rep.Covered(i) || (grid != "" && b.GridCode != grid) || (bbox != nil && !bbox.Contains(b.Entrance)) {
			continue
		}
		households += b.Households
		feats = append(feats, uncoveredFeature(b))
	}
	if feats == nil {
		feats = []map[string]any{}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(map[string]any{"type": "FeatureCollection", "features": feats, "households": households})
}

func uncoveredFeature(b *data.Building) map[string]any {
	return map[string]any{
		"type":     "Feature",
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{b.Entrance[0], b.Entrance[1]}},
		"properties": map[string]any{
			"code": b.Code, "grid_code": b.GridCode, "community_code": b.CommunityCode, "households": b.Households,
		},
	}
}

// handleSiting answers POST /api/v1/coverage/siting {"k":300,"radius":500,"candidates":"buildings","mode":"site|cover"}
// with the chosen sites as GeoJSON.
func (s *Server) handleSiting(w http.ResponseWriter, r *http.Request) {
	var req struct {
		K          int     `json:"k"`
		Radius     float64 `json:"radius"`
		Candidates string  `json:"candidates"`
		Mode       string  `json:"mode"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	if req.K == 0 {
		req.K = 300
	}
	if req.K < 1 || req.K > 5000 {
		writeError(w, http.StatusBadRequest, "k must be 1..5000")
		return
	}
	if req.Radius == 0 {
		req.Radius = 500
	}
	if math.IsNaN(req.Radius) || req.Radius < 50 || req.Radius > 5000 {
		writeError(w, http.StatusBadRequest, "radius must be 50..5000 metres")
		return
	}
	if req.Mode == "" {
		req.Mode = "site"
	}
	if req.Mode != "site" && req.Mode != "cover" {
		writeError(w, http.StatusBadRequest, "mode must be site or cover")
		return
	}
	st := s.Current().Ext("coverage").(*coverageState)
	key := fmt.Sprintf("%s|%d|%g|%s", req.Mode, req.K, req.Radius, req.Candidates)
	rt := currentRoute(r)
	b, hit, err := st.siting(r.Context(), key, func(ctx context.Context) ([]byte, error) {
		release, wait, ok := s.heavy.acquire(ctx, rt.Heavy, PrincipalFrom(ctx), remoteHost(r))
		if !ok {
			return nil, &errBusy{wait}
		}
		defer release()
		m := st.get(coverage.Options{GridRadius: req.Radius})
		opt := coverage.SitingOptions{K: req.K, Radius: req.Radius, Candidates: req.Candidates, SwapBudget: 2 * time.Second}
		var res *coverage.Siting
		var err error
		if req.Mode == "cover" {
			res, err = m.Cover(ctx, opt)
		} else {
			res, err = m.Site(ctx, opt)
		}
		if err != nil {
			return nil, err
		}
		return json.Marshal(res.GeoJSON())
	})
	var busy *errBusy
	switch {
	case errors.As(err, &busy):
		s.writeBusy(w, r, rt, busy.wait)
		return
	case err != nil && r.Context().Err() != nil:
		return // the caller went away
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("X-Siting-Cache", map[bool]string{true: "hit", false: "miss"}[hit])
	w.Write(b)
}
