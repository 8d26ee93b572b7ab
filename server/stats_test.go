package server

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/geo/coverage"
	"github.com/paulmach/orb"
)

func square(x0, y0, d float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x0 + d, y0}, {x0 + d, y0 + d}, {x0, y0 + d}, {x0, y0}}}
}

func TestComputeStats(t *testing.T) {
	c := &data.City{
		Districts: []data.District{{Code: "d1", Name: "一区"}, {Code: "d2", Name: "二区"}, {Code: "d3", Name: "空区"}},
		Grids: []data.Grid{
			{Code: "A", DistrictCode: "d1", Households: 100, Population: 250, Geom: square(117, 34, 0.25)},
			{Code: "B", DistrictCode: "d1", Households: 50, Population: 120, Geom: square(117.25, 34, 0.25)},
			{Code: "C", DistrictCode: "d2", Households: 0, Population: 0, Geom: square(117.5, 34.25, 0.25)},
			{Code: "D", DistrictCode: "d2", Households: 10, Population: 20, Geom: square(117.75, 34, 0.25)},
		},
		Cadres: []data.Cadre{
			{ID: "1", GridCodes: []string{"A", "B"}},
			{ID: "2", GridCodes: []string{"A"}},
			{ID: "3"},                           // not sunk to any grid
			{ID: "4", GridCodes: []string{"Z"}}, // unknown grid: not deployed here
		},
		// No roads: reach is the straight line × 1.3. A is covered (60 of
		// its 100 households next to s1 and s2), B only once the planned s3
		// is built, C has a station but no households, D nothing in reach.
		Buildings: []data.Building{
			{Code: "a1", GridCode: "A", Households: 60, Entrance: orb.Point{117.1, 34.1}},
			{Code: "a2", GridCode: "A", Households: 40, Entrance: orb.Point{117.2, 34.2}},
			{Code: "b1", GridCode: "B", Households: 50, Entrance: orb.Point{117.3, 34.1}},
			{Code: "d1", GridCode: "D", Households: 10, Entrance: orb.Point{117.8, 34.1}},
		},
		Stations: []data.Station{
			{Code: "s1", Kind: data.StationGrid, Status: data.StationBuilt, GridCode: "A", Point: orb.Point{117.1, 34.1}},
			{Code: "s2", Kind: data.StationGrid, Status: data.StationBuilt, GridCode: "A", Point: orb.Point{117.1005, 34.1}},
			{Code: "s3", Kind: data.StationGrid, Status: data.StationPlanned, GridCode: "B", Point: orb.Point{117.3005, 34.1}},
			{Code: "s4", Kind: data.StationGrid, Status: data.StationBuilt, GridCode: "C", Point: orb.Point{117.6, 34.4}},
		},
		Incidents: []data.Incident{
			{ID: "i1", Status: "reported", GridCode: "A"},
			{ID: "i2", Status: "dispatched", GridCode: "A"},
			{ID: "i3", Status: "responded", GridCode: "D"},
			{ID: "i4", Status: "resolved", GridCode: "D"},
			{ID: "i5", Status: "closed", GridCode: "B"},
		},
	}
	c.Index()
	m := coverage.NewModel(c, coverage.Options{})
	st, grids := ComputeStats(c, m.Report(coverage.Built(m), true), m.Report(coverage.BuiltAndPlanned(m), true))
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"grids", st.Grids, 4},
		{"households", st.Households, 160},
		{"population", st.Population, 390},
		{"cadres deployed", st.Cadres, 2},
		{"grids with cadres", st.GridsWithCadres, 2},
		{"stations", st.Stations, 4},
		{"built", st.StationsBuilt, 3},
		{"planned", st.StationsPlanned, 1},
		{"grids covered", st.GridsCovered, 1},
		{"coverage", st.CoveragePct, 25.0},
		{"covered with planned", st.GridsCoveredWithPlanned, 2},
		{"coverage with planned", st.CoverageWithPlannedPct, 50.0},
		{"target", st.CoverageTargetPct, 70.0},
		{"households covered", st.HouseholdsCovered, 60},
		{"incidents", st.Incidents, 5},
		{"open", st.OpenIncidents, 3},
		{"open reported", st.OpenByStatus["reported"], 1},
		{"bbox", st.BBox, [4]float64{117, 34, 118, 34.5}},
		{"A cadres", grids[0].Cadres, 2},
		{"A covered", grids[0].Covered, true},
		{"A households covered", grids[0].HouseholdsCovered, 60},
		{"A stations covering", grids[0].StationsBuilt, 2},
		{"A stations inside", grids[0].StationsInside, 2},
		{"A open", grids[0].OpenIncidents, 2},
		{"B cadres", grids[1].Cadres, 1},
		{"B covered", grids[1].Covered, false},
		{"B covered with planned", grids[1].CoveredWithPlanned, true},
		{"B stations", grids[1].StationsBuilt, 0},
		{"B planned covering", grids[1].StationsPlanned, 1},
		{"B planned inside", grids[1].PlannedInside, 1},
		{"C covered", grids[2].Covered, false},
		{"C stations inside", grids[2].StationsInside, 1},
		{"C stations covering", grids[2].StationsBuilt, 0},
		{"D covered with planned", grids[3].CoveredWithPlanned, false},
		{"D planned", grids[3].StationsPlanned, 0},
		{"B open", grids[1].OpenIncidents, 0},
		{"D open", grids[3].OpenIncidents, 1},
		{"C code", grids[2].Code, "C"},
		{"districts", len(st.ByDistrict), 3},
		{"d1 grids", st.ByDistrict[0].Grids, 2},
		{"d1 households", st.ByDistrict[0].Households, 150},
		{"d1 covered", st.ByDistrict[0].GridsCovered, 1},
		{"d1 coverage", st.ByDistrict[0].CoveragePct, 50.0},
		{"d1 open", st.ByDistrict[0].OpenIncidents, 2},
		{"d1 bbox", st.ByDistrict[0].BBox, [4]float64{117, 34, 117.5, 34.25}},
		{"d2 open", st.ByDistrict[1].OpenIncidents, 1},
		{"d2 covered", st.ByDistrict[1].GridsCovered, 0},
		{"d2 coverage", st.ByDistrict[1].CoveragePct, 0.0},
		{"d3 grids", st.ByDistrict[2].Grids, 0},
		{"d3 bbox", st.ByDistrict[2].BBox, [4]float64{}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}

	empty, none := ComputeStats(&data.City{}, nil, nil)
	if empty.Grids != 0 || empty.CoveragePct != 0 || empty.BBox != [4]float64{} || len(none) != 0 {
		t.Errorf("empty city: %+v %v", empty, none)
	}
	// Without coverage reports nothing counts as covered.
	bare, bareGrids := ComputeStats(c, nil, nil)
	if bare.GridsCovered != 0 || bare.CoveragePct != 0 || bareGrids[0].Covered || bareGrids[0].StationsBuilt != 0 || bareGrids[0].StationsInside != 2 {
		t.Errorf("no reports: %d covered (%v%%), grid A %+v", bare.GridsCovered, bare.CoveragePct, bareGrids[0])
	}
}

func TestStatsHTTP(t *testing.T) {
	s := testServer(t, Config{})
	w := do(t, s, "GET", "/api/v1/stats", "", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var st Stats
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	// Recount from the city itself.
	hh, open, built, planned := 0, 0, 0, 0
	for _, g := range demo.Grids {
		hh += g.Households
	}
	for _, n := range demo.Incidents {
		if n.Status != "closed" && n.Status != "resolved" {
			open++
		}
	}
	for _, x := range demo.Stations {
		switch x.Status {
		case data.StationBuilt:
			built++
		case data.StationPlanned:
			planned++
		}
	}
	if st.Grids != 1230 || st.Grids != len(demo.Grids) {
		t.Errorf("grids %d, want 1230", st.Grids)
	}
	if st.Households != hh || st.OpenIncidents != open || st.StationsBuilt != built || st.StationsPlanned != planned {
		t.Errorf("got households %d open %d built %d planned %d; want %d %d %d %d",
			st.Households, st.OpenIncidents, st.StationsBuilt, st.StationsPlanned, hh, open, built, planned)
	}
	if st.GridsCovered <= 0 || st.CoveragePct <= 0 || st.CoveragePct > 100 {
		t.Errorf("covered %d (%v%%)", st.GridsCovered, st.CoveragePct)
	}
	if st.Cadres == 0 || st.Cadres > len(demo.Cadres) {
		t.Errorf("cadres deployed %d of %d", st.Cadres, len(demo.Cadres))
	}
	sumGrids := 0
	for _, d := range st.ByDistrict {
		sumGrids += d.Grids
	}
	if len(st.ByDistrict) != len(demo.Districts) || sumGrids != st.Grids {
		t.Errorf("%d districts with %d grids, want %d with %d", len(st.ByDistrict), sumGrids, len(demo.Districts), st.Grids)
	}
	if !s.routed("/api/v1/stats") || s.routed("/no-such-thing.json") {
		t.Errorf("routed: /api/v1/stats %v, /no-such-thing.json %v", s.routed("/api/v1/stats"), s.routed("/no-such-thing.json"))
	}
	if st.TilesURL != "" && st.TilesURL != "/tiles.json" {
		t.Errorf("tiles_url %q", st.TilesURL)
	}
	if st.Version != s.Current().Version {
		t.Errorf("version %d, want %d", st.Version, s.Current().Version)
	}

	w = do(t, s, "GET", "/api/v1/stats/grids", "", "")
	if w.Code != 200 {
		t.Fatalf("grids status %d: %s", w.Code, w.Body)
	}
	var gs struct {
		Grids []GridStat `json:"grids"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &gs); err != nil {
		t.Fatal(err)
	}
	if len(gs.Grids) != len(demo.Grids) {
		t.Fatalf("%d grid stats, want %d", len(gs.Grids), len(demo.Grids))
	}
	sumOpen := 0
	for i, g := range gs.Grids {
		if g.Code != demo.Grids[i].Code {
			t.Fatalf("grid %d: code %s, want %s", i, g.Code, demo.Grids[i].Code)
		}
		sumOpen += g.OpenIncidents
	}
	if sumOpen != open {
		t.Errorf("per-grid open incidents add up to %d, want %d", sumOpen, open)
	}
	if w := do(t, s, "POST", "/api/v1/stats", "", ""); w.Code < 400 {
		t.Errorf("POST /api/v1/stats: %d, want a 4xx", w.Code)
	}
}

// fakeIncidents is an incident store holding a fixed list; only what the
// stats read is implemented.
type fakeIncidents struct {
	IncidentStore
	recs []data.IncidentRecord
	seq  int64
}

func (f *fakeIncidents) LastIncidentEvent(context.Context) (int64, error) { return f.seq, nil }

func (f *fakeIncidents) IncidentCounts(context.Context) (map[string]int, error) {
	m := map[string]int{}
	for _, r := range f.recs {
		m[r.Status]++
	}
	return m, nil
}

func (f *fakeIncidents) Incidents(_ context.Context, flt store.IncidentFilter) ([]data.IncidentRecord, int, error) {
	var out []data.IncidentRecord
	for _, r := range f.recs {
		if slices.Contains(flt.Statuses, r.Status) {
			out = append(out, r)
		}
	}
	n := len(out)
	if flt.Limit > 0 && len(out) > flt.Limit {
		out = out[:flt.Limit]
	}
	return out, n, nil
}

func TestStatsLiveIncidents(t *testing.T) {
	s := testServer(t, Config{})
	before, _ := s.stats().figures()
	g0, g1 := demo.Grids[0], demo.Grids[1]
	rec := func(id, status string, g data.Grid) data.IncidentRecord {
		return data.IncidentRecord{Incident: data.Incident{ID: id, Status: status, GridCode: g.Code, DistrictCode: g.DistrictCode}}
	}
	s.ops.inc = &fakeIncidents{seq: 42, recs: []data.IncidentRecord{
		rec("a", "reported", g0), rec("b", "dispatched", g0), rec("c", "closed", g0),
		rec("d", "accepted", g1), rec("e", "resolved", g1),
	}}
	t.Cleanup(func() { s.ops.inc = nil })

	w := do(t, s, "GET", "/api/v1/stats", "", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var st Stats
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if !st.IncidentsLive || st.IncidentsSeq != 42 || st.Incidents != 5 || st.OpenIncidents != 3 || st.OpenByStatus["accepted"] != 1 {
		t.Errorf("live incidents: %+v", st)
	}
	open := 0
	for _, d := range st.ByDistrict {
		open += d.OpenIncidents
	}
	if open != 3 {
		t.Errorf("districts' open incidents add up to %d, want 3", open)
	}
	if st.Grids != before.Grids || st.Households != before.Households {
		t.Errorf("the rest changed: %d grids, %d households", st.Grids, st.Households)
	}

	w = do(t, s, "GET", "/api/v1/stats/grids", "", "")
	var gs struct {
		Seq   int64      `json:"incidents_seq"`
		Grids []GridStat `json:"grids"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &gs); err != nil {
		t.Fatal(err)
	}
	if gs.Seq != 42 || gs.Grids[0].OpenIncidents != 2 || gs.Grids[1].OpenIncidents != 1 {
		t.Errorf("grid figures: seq %d, %+v %+v", gs.Seq, gs.Grids[0], gs.Grids[1])
	}
	// The snapshot's own figures are untouched.
	if x, _ := s.stats().figures(); x.OpenIncidents != before.OpenIncidents || x.IncidentsLive {
		t.Errorf("snapshot figures changed: %+v", x)
	}
}

// coverageAnswer is the part of GET /api/v1/coverage the stats must agree with.
type coverageAnswer struct {
	City  coverage.Figures   `json:"city"`
	Items []coverage.Figures `json:"items"`
}

func getCoverage(t *testing.T, s *Server, url string) coverageAnswer {
	t.Helper()
	w := do(t, s, "GET", url, "", "")
	if w.Code != 200 {
		t.Fatalf("%s: %d %s", url, w.Code, w.Body)
	}
	var a coverageAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return a
}

// The wall map's coverage KPI, its district table and its per-grid
// colouring are the coverage engine's figure: /api/v1/stats and
// /api/v1/stats/grids agree with /api/v1/coverage grid by grid.
func TestStatsCoverageIsTheCoverageFigure(t *testing.T) {
	s := testServer(t, Config{})
	var st Stats
	if w := do(t, s, "GET", "/api/v1/stats", "", ""); w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &st) != nil {
		t.Fatalf("stats: %d %.200s", w.Code, w.Body)
	}
	var gs struct {
		Grids []GridStat `json:"grids"`
	}
	if w := do(t, s, "GET", "/api/v1/stats/grids", "", ""); w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &gs) != nil {
		t.Fatalf("stats/grids: %d %.200s", w.Code, w.Body)
	}
	built := getCoverage(t, s, "/api/v1/coverage?level=grid")
	planned := getCoverage(t, s, "/api/v1/coverage?level=grid&stations=planned")
	city := getCoverage(t, s, "/api/v1/coverage")
	streets := getCoverage(t, s, "/api/v1/coverage?level=street")

	round1 := func(share float64) float64 { return math.Round(1000*share) / 10 }
	streetCovered := 0
	for _, f := range streets.Items {
		streetCovered += f.GridsCovered
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"grids covered = coverage city", st.GridsCovered, city.City.GridsCovered},
		{"grids covered = coverage grid level's city", st.GridsCovered, built.City.GridsCovered},
		{"grids covered = streets' sum", st.GridsCovered, streetCovered},
		{"grids", st.Grids, city.City.Grids},
		{"coverage_pct = 100 × grid_share", st.CoveragePct, round1(city.City.GridShare)},
		{"households covered", st.HouseholdsCovered, city.City.HouseholdsCovered},
		{"with planned", st.GridsCoveredWithPlanned, planned.City.GridsCovered},
		{"with planned pct", st.CoverageWithPlannedPct, round1(planned.City.GridShare)},
		{"target", st.CoverageTargetPct, round1(city.City.Target)},
		{"grid items", len(built.Items), len(gs.Grids)},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: stats %v, coverage %v", tc.name, tc.got, tc.want)
		}
	}
	// The demo city's figure (issue 8's closing note): far above the old
	// "a station inside the grid" count of about half the grids.
	if st.CoveragePct < 80 || st.CoveragePct > 95 {
		t.Errorf("demo city coverage %v%%, expected about 86%%", st.CoveragePct)
	}

	byDistrict := map[string]int{}
	classes := [3]int{}
	for i, g := range gs.Grids {
		b, p := built.Items[i], planned.Items[i]
		if g.Code != b.Code || g.Code != p.Code {
			t.Fatalf("grid %d: stats %s, coverage %s/%s", i, g.Code, b.Code, p.Code)
		}
		if g.Covered != (b.GridsCovered == 1) || g.CoveredWithPlanned != (p.GridsCovered == 1) || g.HouseholdsCovered != b.HouseholdsCovered {
			t.Errorf("grid %s: stats %+v, coverage %+v, with planned %+v", g.Code, g, b, p)
		}
		// The wall map's classes (wall.js refreshGridStats).
		class := 0
		switch {
		case g.StationsBuilt > 0:
			class = 2
		case g.StationsPlanned > 0:
			class = 1
		}
		want := 0
		switch {
		case b.GridsCovered == 1:
			want = 2
		case p.GridsCovered == 1:
			want = 1
		}
		if class != want {
			t.Errorf("grid %s: map class %d, coverage says %d (%+v)", g.Code, class, want, g)
		}
		classes[class]++
		if g.Covered {
			byDistrict[demo.Grids[i].DistrictCode]++
		}
	}
	if classes[2] != st.GridsCovered || classes[2]+classes[1] != st.GridsCoveredWithPlanned {
		t.Errorf("map classes %v; covered %d, with planned %d", classes, st.GridsCovered, st.GridsCoveredWithPlanned)
	}
	for _, d := range st.ByDistrict {
		want := 0.0
		if d.Grids > 0 {
			want = math.Round(1000*float64(byDistrict[d.Code])/float64(d.Grids)) / 10
		}
		if d.GridsCovered != byDistrict[d.Code] || d.CoveragePct != want {
			t.Errorf("district %s: %d covered (%v%%), coverage grids say %d (%v%%)", d.Code, d.GridsCovered, d.CoveragePct, byDistrict[d.Code], want)
		}
	}
	t.Logf("coverage %v%% (%d of %d grids), with planned %v%%, map classes %v", st.CoveragePct, st.GridsCovered, st.Grids, st.CoverageWithPlannedPct, classes)
}
