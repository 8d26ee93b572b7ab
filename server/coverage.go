package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/geo/coverage"
)

// coverageState builds the coverage model of a snapshot on first use.
type coverageState struct {
	once  sync.Once
	model *coverage.Model
	sn    *Snapshot
}

func (c *coverageState) get(opt coverage.Options) *coverage.Model {
	c.once.Do(func() { c.model = coverage.NewModel(c.sn.City, coverage.Options{}) })
	if opt == (coverage.Options{}) {
		return c.model
	}
	// Other radii share the network but need their own options.
	return c.model.WithOptions(opt)
}

func init() {
	register(extension{
		name:  "coverage",
		build: func(sn *Snapshot) (any, error) { return &coverageState{sn: sn}, nil },
		routes: func(s *Server, _, api *mux.Router) {
			api.HandleFunc("/coverage", s.handleCoverage).Methods(http.MethodGet)
			api.HandleFunc("/coverage/siting", s.handleSiting).Methods(http.MethodPost)
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

// handleCoverage answers GET /api/v1/coverage?level=grid|community|street|city&radius=&grid_share=&stations=grid|all
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
	sel := coverage.Built(m)
	switch q.Get("stations") {
	case "", "grid":
	case "all":
		sel = coverage.AllBuilt(m)
	case "planned":
		sel = coverage.BuiltAndPlanned(m)
	default:
		writeError(w, http.StatusBadRequest, "stations must be grid, all or planned")
		return
	}
	rep := m.Report(sel, level != "city")
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
	st := s.Current().Ext("coverage").(*coverageState)
	m := st.get(coverage.Options{GridRadius: req.Radius})
	opt := coverage.SitingOptions{K: req.K, Radius: req.Radius, Candidates: req.Candidates, SwapBudget: 2 * time.Second}
	var res *coverage.Siting
	var err error
	switch req.Mode {
	case "", "site":
		res, err = m.Site(r.Context(), opt)
	case "cover":
		res, err = m.Cover(r.Context(), opt)
	default:
		writeError(w, http.StatusBadRequest, "mode must be site or cover")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(res.GeoJSON())
}
