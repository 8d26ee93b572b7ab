package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/geo/coverage"
)

// Stats are the city-wide key figures the command-centre wall map shows:
// GET /api/v1/stats.
type Stats struct {
	Version     int64     `json:"version"`
	GeneratedAt time.Time `json:"generated_at"`

	Districts   int `json:"districts"`
	Streets     int `json:"streets"`
	Communities int `json:"communities"`
	Grids       int `json:"grids"`
	Buildings   int `json:"buildings"`
	Households  int `json:"households"`
	Population  int `json:"population"`

	// Cadres counts the cadres sunk to at least one grid;
	// GridsWithCadres the grids helped by at least one of them.
	Cadres          int `json:"cadres_deployed"`
	GridsWithCadres int `json:"grids_with_cadres"`

	Stations        int `json:"stations"`
	StationsBuilt   int `json:"stations_built"`
	StationsPlanned int `json:"stations_planned"`
	// StationsUnderConstruction counts the stations between planned and
	// built in their lifecycle (places.go).
	StationsUnderConstruction int `json:"stations_under_construction"`
	// GridsCovered counts the grids covered by the built grid red
	// stations as the coverage engine counts them (/api/v1/coverage, the
	// same report): at least half the grid's households within walking
	// reach (500 m along the roads) of a built grid station. CoveragePct is
	// their share of all grids in percent: 100 × the city's grid_share of
	// /api/v1/coverage, to one decimal.
	GridsCovered int     `json:"grids_covered"`
	CoveragePct  float64 `json:"coverage_pct"`
	// The same with the planned sites built too, and the city's target.
	GridsCoveredWithPlanned int     `json:"grids_covered_with_planned"`
	CoverageWithPlannedPct  float64 `json:"coverage_with_planned_pct"`
	CoverageTargetPct       float64 `json:"coverage_target_pct"`
	// HouseholdsCovered counts the households within reach of a built grid
	// station.
	HouseholdsCovered int `json:"households_covered"`

	Incidents     int `json:"incidents"`
	OpenIncidents int `json:"open_incidents"`
	// OpenByStatus counts open incidents by their status.
	OpenByStatus map[string]int `json:"open_by_status"`

	// BBox is the extent of the grids: minLon, minLat, maxLon, maxLat.
	BBox [4]float64 `json:"bbox"`
	// ByDistrict breaks the figures down by district, in the city's order.
	ByDistrict []DistrictStat `json:"by_district"`

	// IncidentsLive says the incident figures come from the incident store
	// as of this request (the dispatch flow), not from the loaded city;
	// IncidentsSeq is then the store's last incident event, which changes
	// whenever an incident does.
	IncidentsLive bool  `json:"incidents_live"`
	IncidentsSeq  int64 `json:"incidents_seq,omitempty"`

	// People are the live figures of the people who serve the grids (the
	// managed records as of today): counts only.
	People *PeopleSummary `json:"people,omitempty"`

	// TilesURL is the TileJSON of the server's vector tiles, empty when
	// this server has none (the wall map then draws GeoJSON).
	TilesURL string `json:"tiles_url,omitempty"`

	// Places are the figures of property, volunteers and stations
	// (places.go): the three rates, property complaints, timely visits and
	// station stars.
	Places *PlacesKPIs `json:"places,omitempty"`
}

// DistrictStat is one district's share of the key figures.
type DistrictStat struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Grids      int    `json:"grids"`
	Households int    `json:"households"`
	Population int    `json:"population"`
	// GridsCovered and CoveragePct: as the city's, over the district's grids.
	GridsCovered  int     `json:"grids_covered"`
	CoveragePct   float64 `json:"coverage_pct"`
	OpenIncidents int     `json:"open_incidents"`
	// BBox is the extent of the district's grids (its urban area), zero
	// when it has none.
	BBox [4]float64 `json:"bbox"`
}

// GridStat is one grid's figures for colouring the map:
// GET /api/v1/stats/grids.
type GridStat struct {
	Code       string `json:"code"`
	Households int    `json:"households"`
	Population int    `json:"population"`
	Cadres     int    `json:"cadres"`
	// Covered says the coverage engine counts the grid as covered (at
	// least half its households within walking reach of a built grid
	// station; /api/v1/coverage?level=grid), CoveredWithPlanned the same
	// with the planned sites built too.
	Covered            bool `json:"covered"`
	CoveredWithPlanned bool `json:"covered_with_planned"`
	HouseholdsCovered  int  `json:"households_covered"`
	// StationsBuilt counts the built grid stations that cover the grid —
	// those reaching one of its buildings — when it is covered, and is 0
	// when it is not: stations_built > 0 exactly when covered.
	// StationsPlanned counts the sites not built yet (planned or under
	// construction) reaching the grid when it is
	// covered with them, 0 otherwise. A map colouring by "built > 0, else
	// planned > 0" thus shows covered, covered once the planned sites are
	// built, and not covered.
	StationsBuilt   int `json:"stations_built"`
	StationsPlanned int `json:"stations_planned"`
	// StationsInside and PlannedInside count the built stations and the
	// planned sites standing inside the grid.
	StationsInside int `json:"stations_inside"`
	PlannedInside  int `json:"planned_inside"`
	OpenIncidents  int `json:"open_incidents"`
}

// statsExt is what the stats extension derives from each snapshot. The
// coverage figures come from the snapshot's coverage reports
// (coverageState.figures), computed once, on first use.
type statsExt struct {
	sn    *Snapshot
	once  sync.Once
	city  Stats
	grids []GridStat
}

// figures returns the snapshot's key figures, computing them on first use.
func (x *statsExt) figures() (Stats, []GridStat) {
	x.once.Do(func() {
		var built, planned *coverage.Report
		if cs, ok := x.sn.Ext("coverage").(*coverageState); ok {
			f := cs.figures()
			built, planned = f.built, f.planned
		}
		x.city, x.grids = ComputeStats(x.sn.City, built, planned)
		if x.sn.City.HasStaff() {
			r, _ := people.RulesFromMeta(x.sn.City.Meta)
			sum := Summarise(x.sn.City, data.Day(time.Now()), r)
			x.city.People = &sum
		}
		x.city.Version, x.city.GeneratedAt = x.sn.Version, x.sn.Loaded.UTC().Truncate(time.Second)
	})
	return x.city, x.grids
}

// IncidentOpen reports whether an incident still needs work: every status
// but resolved and closed.
func IncidentOpen(status string) bool {
	return status != "resolved" && status != "closed"
}

// ComputeStats derives the key figures and the per-grid figures of a city.
// built and planned are the coverage engine's detailed reports of c by the
// built grid stations and with the planned sites (coverage.Built and
// coverage.BuiltAndPlanned); the coverage figures are theirs. Nil reports
// leave every grid uncovered.
func ComputeStats(c *data.City, built, planned *coverage.Report) (Stats, []GridStat) {
	st := Stats{
		Districts: len(c.Districts), Streets: len(c.Streets), Communities: len(c.Communities),
		Grids: len(c.Grids), Buildings: len(c.Buildings), Stations: len(c.Stations),
		Incidents: len(c.Incidents), OpenByStatus: map[string]int{},
	}
	grids := make([]GridStat, len(c.Grids))
	at := make(map[string]int, len(c.Grids))
	empty := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	grow := func(bb *[4]float64, g *data.Grid) {
		b := g.Geom.Bound()
		bb[0], bb[1] = math.Min(bb[0], b.Min[0]), math.Min(bb[1], b.Min[1])
		bb[2], bb[3] = math.Max(bb[2], b.Max[0]), math.Max(bb[3], b.Max[1])
	}
	st.ByDistrict = make([]DistrictStat, len(c.Districts))
	dist := make(map[string]*DistrictStat, len(c.Districts))
	for i, d := range c.Districts {
		st.ByDistrict[i] = DistrictStat{Code: d.Code, Name: d.Name, BBox: empty}
		dist[d.Code] = &st.ByDistrict[i]
	}
	bb := empty
	for i := range c.Grids {
		g := &c.Grids[i]
		at[g.Code] = i
		grids[i] = GridStat{Code: g.Code, Households: g.Households, Population: g.Population}
		st.Households += g.Households
		st.Population += g.Population
		grow(&bb, g)
		if d := dist[g.DistrictCode]; d != nil {
			d.Grids++
			d.Households += g.Households
			d.Population += g.Population
			grow(&d.BBox, g)
		}
	}
	if len(c.Grids) > 0 {
		st.BBox = bb
	}
	for i := range c.Cadres {
		deployed := false
		for _, code := range c.Cadres[i].GridCodes {
			if j, ok := at[code]; ok {
				grids[j].Cadres++
				deployed = true
			}
		}
		if deployed {
			st.Cadres++
		}
	}
	for i := range c.Stations {
		s := &c.Stations[i]
		switch s.Status {
		case data.StationBuilt:
			st.StationsBuilt++
			if j, ok := at[s.GridCode]; ok {
				grids[j].StationsInside++
			}
		case data.StationPlanned:
			st.StationsPlanned++
			if j, ok := at[s.GridCode]; ok {
				grids[j].PlannedInside++
			}
		case data.StationUnderConstruction:
			st.StationsUnderConstruction++
		}
	}
	applyCoverage(c, grids, built, planned)
	for i := range c.Incidents {
		n := &c.Incidents[i]
		if !IncidentOpen(n.Status) {
			continue
		}
		st.OpenIncidents++
		st.OpenByStatus[n.Status]++
		if j, ok := at[n.GridCode]; ok {
			grids[j].OpenIncidents++
		}
	}
	for i, g := range grids {
		d := dist[c.Grids[i].DistrictCode]
		if g.Covered {
			st.GridsCovered++
			if d != nil {
				d.GridsCovered++
			}
		}
		if g.CoveredWithPlanned {
			st.GridsCoveredWithPlanned++
		}
		st.HouseholdsCovered += g.HouseholdsCovered
		if g.Cadres > 0 {
			st.GridsWithCadres++
		}
		if d != nil {
			d.OpenIncidents += g.OpenIncidents
		}
	}
	st.CoveragePct = pct(st.GridsCovered, st.Grids)
	st.CoverageWithPlannedPct = pct(st.GridsCoveredWithPlanned, st.Grids)
	if built != nil {
		st.CoverageTargetPct = math.Round(1000*built.Options.Target) / 10
	}
	for i := range st.ByDistrict {
		d := &st.ByDistrict[i]
		d.CoveragePct = pct(d.GridsCovered, d.Grids)
		if d.Grids == 0 {
			d.BBox = [4]float64{}
		}
	}
	return st, grids
}

// applyCoverage sets the grids' coverage fields from the reports, whose
// grids are c's in order.
func applyCoverage(c *data.City, grids []GridStat, built, planned *coverage.Report) {
	// A report without its grids (or of another city) counts nothing.
	if built != nil && len(built.Grids) != len(c.Grids) {
		built = nil
	}
	if planned != nil && len(planned.Grids) != len(c.Grids) {
		planned = nil
	}
	count := func(rep *coverage.Report, g int, built bool) int {
		n := 0
		for _, i := range rep.StationsReaching(g) {
			if (c.Stations[i].Status == data.StationBuilt) == built {
				n++
			}
		}
		return n
	}
	for g := range grids {
		gs := &grids[g]
		if built != nil {
			f := built.Grids[g]
			gs.Covered = f.GridsCovered == 1
			gs.HouseholdsCovered = f.HouseholdsCovered
			if gs.Covered {
				gs.StationsBuilt = count(built, g, true)
			}
		}
		if planned != nil && planned.Grids[g].GridsCovered == 1 {
			gs.CoveredWithPlanned = true
			gs.StationsPlanned = count(planned, g, false) // planned or under construction
		}
	}
}

// pct is part of whole in percent with one decimal; 0 for an empty whole.
func pct(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return math.Round(1000*float64(part)/float64(whole)) / 10
}

func init() {
	register(extension{
		name:  "stats",
		build: func(sn *Snapshot) (any, error) { return &statsExt{sn: sn}, nil },
		routes: func(s *Server) []Route {
			return []Route{
				{Method: http.MethodGet, Path: "/api/v1/stats", Tag: "Stats", Summary: "The city's key figures", Errors: []int{503}, Handler: s.handleStats},
				{Method: http.MethodGet, Path: "/api/v1/stats/grids", Tag: "Stats", Summary: "Every grid's figures", Errors: []int{503}, Handler: s.handleGridStats},
			}
		},
	})
}

func (s *Server) stats() *statsExt {
	x, _ := s.Current().Ext("stats").(*statsExt)
	return x
}

// openIncidents reads the open incidents from the incident store, when the
// server has one (ok false otherwise: the snapshot's figures stand), with
// the store's counts by status and its last event sequence.
func (s *Server) openIncidents(ctx context.Context) (open []data.IncidentRecord, counts map[string]int, seq int64, ok bool, err error) {
	if s.ops == nil || s.ops.inc == nil {
		return nil, nil, 0, false, nil
	}
	inc := s.ops.inc
	if seq, err = inc.LastIncidentEvent(ctx); err != nil {
		return nil, nil, 0, true, err
	}
	if counts, err = inc.IncidentCounts(ctx); err != nil {
		return nil, nil, 0, true, err
	}
	var statuses []string
	n := 0
	for st, c := range counts {
		if IncidentOpen(st) {
			statuses = append(statuses, st)
			n += c
		}
	}
	if n == 0 {
		return nil, counts, seq, true, nil
	}
	open, _, err = inc.Incidents(ctx, store.IncidentFilter{Statuses: statuses, Limit: n + 1000})
	return open, counts, seq, true, err
}

// withLiveIncidents returns copies of the snapshot's figures with the
// incident figures replaced by the incident store's current ones.
func withLiveIncidents(x *statsExt, c *data.City, open []data.IncidentRecord, counts map[string]int, seq int64) (Stats, []GridStat) {
	city, snapGrids := x.figures()
	st := city
	st.IncidentsLive, st.IncidentsSeq = true, seq
	st.Incidents, st.OpenIncidents, st.OpenByStatus = 0, 0, map[string]int{}
	for _, n := range counts {
		st.Incidents += n
	}
	grids := make([]GridStat, len(snapGrids))
	copy(grids, snapGrids)
	for i := range grids {
		grids[i].OpenIncidents = 0
	}
	st.ByDistrict = append([]DistrictStat(nil), city.ByDistrict...)
	dist := make(map[string]*DistrictStat, len(st.ByDistrict))
	for i := range st.ByDistrict {
		st.ByDistrict[i].OpenIncidents = 0
		dist[st.ByDistrict[i].Code] = &st.ByDistrict[i]
	}
	for i := range open {
		n := &open[i]
		if !IncidentOpen(n.Status) {
			continue
		}
		st.OpenIncidents++
		st.OpenByStatus[n.Status]++
		if j, ok := c.GridIndex(n.GridCode); ok && j < len(grids) {
			grids[j].OpenIncidents++
		}
		if d := dist[n.DistrictCode]; d != nil {
			d.OpenIncidents++
		}
	}
	return st, grids
}

// current answers the figures in force: the snapshot's, with the incident
// store's live incident figures when the server has one.
func (s *Server) currentStats(ctx context.Context) (Stats, []GridStat, error) {
	x := s.stats()
	if x == nil {
		return Stats{}, nil, errStatsNotReady
	}
	open, counts, seq, ok, err := s.openIncidents(ctx)
	if err != nil {
		return Stats{}, nil, fmt.Errorf("stats: incidents: %w", err)
	}
	if !ok {
		st, grids := x.figures()
		return st, grids, nil
	}
	st, grids := withLiveIncidents(x, s.Current().City, open, counts, seq)
	return st, grids, nil
}

var errStatsNotReady = errors.New("stats not ready")

// handleStats serves the city's key figures; the wall map polls it.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	st, _, err := s.currentStats(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if s.routed("/tiles.json") {
		st.TilesURL = "/tiles.json"
	}
	if pk, err := s.placesKPIs(r.Context()); err != nil {
		s.log.Warn("stats: places figures", "err", err)
	} else {
		st.Places = pk
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, st)
}

// routed reports whether a GET of path reaches a route of its own rather
// than the catch-all of the frontend's files.
func (s *Server) routed(path string) bool {
	var m mux.RouteMatch
	r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}, Header: http.Header{"Accept": {"application/json"}}}
	if !s.router.Match(r, &m) || m.Route == nil || m.MatchErr != nil {
		return false
	}
	t, err := m.Route.GetPathTemplate()
	return err == nil && t == path
}

// handleGridStats serves every grid's figures, in the order of the city's
// grids, so the map can colour grids by a measure without new tiles.
func (s *Server) handleGridStats(w http.ResponseWriter, r *http.Request) {
	st, grids, err := s.currentStats(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"version": st.Version, "incidents_seq": st.IncidentsSeq, "grids": grids})
}
