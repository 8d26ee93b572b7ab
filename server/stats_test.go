package server

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
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
		Stations: []data.Station{
			{Code: "s1", Status: data.StationBuilt, GridCode: "A"},
			{Code: "s2", Status: data.StationBuilt, GridCode: "A"},
			{Code: "s3", Status: data.StationPlanned, GridCode: "B"},
			{Code: "s4", Status: data.StationBuilt, GridCode: "C"},
		},
		Incidents: []data.Incident{
			{ID: "i1", Status: "reported", GridCode: "A"},
			{ID: "i2", Status: "dispatched", GridCode: "A"},
			{ID: "i3", Status: "responded", GridCode: "D"},
			{ID: "i4", Status: "resolved", GridCode: "D"},
			{ID: "i5", Status: "closed", GridCode: "B"},
		},
	}
	st, grids := ComputeStats(c)
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
		{"grids covered", st.GridsCovered, 2},
		{"coverage", st.CoveragePct, 50.0},
		{"incidents", st.Incidents, 5},
		{"open", st.OpenIncidents, 3},
		{"open reported", st.OpenByStatus["reported"], 1},
		{"bbox", st.BBox, [4]float64{117, 34, 118, 34.5}},
		{"A cadres", grids[0].Cadres, 2},
		{"A stations", grids[0].StationsBuilt, 2},
		{"A open", grids[0].OpenIncidents, 2},
		{"B cadres", grids[1].Cadres, 1},
		{"B stations", grids[1].StationsBuilt, 0},
		{"B planned", grids[1].StationsPlanned, 1},
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
		{"d2 coverage", st.ByDistrict[1].CoveragePct, 50.0},
		{"d3 grids", st.ByDistrict[2].Grids, 0},
		{"d3 bbox", st.ByDistrict[2].BBox, [4]float64{}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}

	empty, none := ComputeStats(&data.City{})
	if empty.Grids != 0 || empty.CoveragePct != 0 || empty.BBox != [4]float64{} || len(none) != 0 {
		t.Errorf("empty city: %+v %v", empty, none)
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
	covered := map[string]bool{}
	for _, x := range demo.Stations {
		switch x.Status {
		case data.StationBuilt:
			built++
			covered[x.GridCode] = true
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
	if st.GridsCovered != len(covered) || st.CoveragePct <= 0 || st.CoveragePct > 100 {
		t.Errorf("covered %d (%v%%), want %d", st.GridsCovered, st.CoveragePct, len(covered))
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
	before := s.stats().city
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
	if x := s.stats(); x.city.OpenIncidents != before.OpenIncidents || x.city.IncidentsLive {
		t.Errorf("snapshot figures changed: %+v", x.city)
	}
}
