package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestCoverageEndpoints(t *testing.T) {
	s := testServer(t, Config{})
	for _, tc := range []struct {
		method, url, body string
		code              int
	}{
		{"GET", "/api/v1/coverage", "", 200},
		{"GET", "/api/v1/coverage?level=street&radius=800", "", 200},
		{"GET", "/api/v1/coverage?level=grid&stations=all", "", 200},
		{"GET", "/api/v1/coverage?level=county", "", 400},
		{"GET", "/api/v1/coverage?radius=abc", "", 400},
		{"GET", "/api/v1/coverage?radius=NaN", "", 400},
		{"POST", "/api/v1/coverage/siting", `{"k":20,"candidates":"planned"}`, 200},
		{"POST", "/api/v1/coverage/siting", `{"k":-1}`, 400},
		{"POST", "/api/v1/coverage/siting", `{"k":5,"candidates":"everything"}`, 400},
		{"POST", "/api/v1/coverage/siting", `{"k":5,"bogus":1}`, 400},
		{"POST", "/api/v1/coverage/siting", `nope`, 400},
		{"GET", "/api/v1/coverage/catchments", "", 200},
		{"GET", "/api/v1/coverage/catchments?stations=all", "", 200},
		{"GET", "/api/v1/coverage/catchments?stations=some", "", 400},
		{"GET", "/api/v1/coverage/catchments?bbox=1,2,3", "", 400},
		{"GET", "/api/v1/coverage/uncovered", "", 200},
		{"GET", "/api/v1/coverage/uncovered?grid=nosuchgrid", "", 404},
		{"GET", "/api/v1/coverage/uncovered?bbox=200,0,1,1", "", 400},
	} {
		w := do(t, s, tc.method, tc.url, "application/json", tc.body)
		if w.Code != tc.code {
			t.Errorf("%s %s %s: %d, want %d: %.300s", tc.method, tc.url, tc.body, w.Code, tc.code, w.Body)
		}
	}
	w := do(t, s, "GET", "/api/v1/coverage?level=street", "", "")
	var rep struct {
		City struct {
			Grids int `json:"grids"`
		} `json:"city"`
		Items []json.RawMessage `json:"items"`
	}
	json.Unmarshal(w.Body.Bytes(), &rep)
	if rep.City.Grids != 1230 || len(rep.Items) != 21 {
		t.Errorf("street level: %d grids, %d items", rep.City.Grids, len(rep.Items))
	}
	w = do(t, s, "POST", "/api/v1/coverage/siting", "application/json", `{"k":10}`)
	if !strings.Contains(w.Body.String(), `"gain_households"`) {
		t.Errorf("siting answer lacks gains: %.300s", w.Body)
	}
}

// The catchment layer has one polygon per built grid station with the
// figures of the city's report; the uncovered layer holds exactly the
// households the city's figure leaves out.
func TestCoverageLayers(t *testing.T) {
	s := testServer(t, Config{})
	city := getCoverage(t, s, "/api/v1/coverage")
	type feature struct {
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	}
	var fc struct {
		Type       string    `json:"type"`
		Features   []feature `json:"features"`
		Households int       `json:"households"`
	}
	get := func(url string) {
		t.Helper()
		fc.Features, fc.Households = nil, 0
		w := do(t, s, "GET", url, "", "")
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/geo+json") {
			t.Fatalf("%s: %d %s", url, w.Code, w.Header().Get("Content-Type"))
		}
		if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
	builtGrid := 0
	for _, x := range demo.Stations {
		if x.Status == data.StationBuilt && x.Kind == data.StationGrid {
			builtGrid++
		}
	}
	get("/api/v1/coverage/catchments")
	if fc.Type != "FeatureCollection" || len(fc.Features) != builtGrid || builtGrid == 0 {
		t.Errorf("%d catchments, want the %d built grid stations", len(fc.Features), builtGrid)
	}
	stations := map[string]data.Station{}
	for _, x := range demo.Stations {
		stations[x.Code] = x
	}
	for _, f := range fc.Features {
		var poly orb.Polygon
		if f.Geometry.Type != "Polygon" || json.Unmarshal(f.Geometry.Coordinates, &poly) != nil || len(poly) != 1 || len(poly[0]) < 4 {
			t.Fatalf("catchment %v: not a polygon", f.Properties["code"])
		}
		x, ok := stations[f.Properties["code"].(string)]
		if !ok || f.Properties["radius_m"] != 500.0 || f.Properties["redundancy"] == nil {
			t.Errorf("catchment properties %v", f.Properties)
		}
		if !planar.PolygonContains(poly, x.Point) {
			t.Errorf("station %s outside its catchment", x.Code)
		}
	}
	get("/api/v1/coverage/catchments?stations=all")
	if len(fc.Features) <= builtGrid {
		t.Errorf("stations=all: %d catchments", len(fc.Features))
	}

	get("/api/v1/coverage/uncovered")
	sum := 0
	for _, f := range fc.Features {
		sum += int(f.Properties["households"].(float64))
	}
	if fc.Households != sum || sum != city.City.UncoveredHousehold || sum == 0 {
		t.Errorf("uncovered: %d households listed (%d said), the city figure leaves out %d", sum, fc.Households, city.City.UncoveredHousehold)
	}
	grid := fc.Features[0].Properties["grid_code"].(string)
	all := len(fc.Features)
	get("/api/v1/coverage/uncovered?grid=" + grid)
	if len(fc.Features) == 0 || len(fc.Features) >= all {
		t.Errorf("uncovered in grid %s: %d of %d", grid, len(fc.Features), all)
	}
	for _, f := range fc.Features {
		if f.Properties["grid_code"] != grid {
			t.Errorf("grid filter let through %v", f.Properties)
		}
	}
}

// TestSitingOneAtATimeAndKept: concurrent identical sitings get one answer,
// computed once; a repeat is served as kept; another k is computed anew;
// a bad request is not kept.
func TestSitingOneAtATimeAndKept(t *testing.T) {
	s := testServer(t, Config{})
	const body = `{"k":7,"candidates":"planned"}`
	type answer struct {
		body, cache string
		code        int
	}
	answers := make(chan answer, 3)
	for range 3 {
		go func() {
			w := do(t, s, "POST", "/api/v1/coverage/siting", "application/json", body)
			answers <- answer{w.Body.String(), w.Header().Get("X-Siting-Cache"), w.Code}
		}()
	}
	var first answer
	misses := 0
	for i := range 3 {
		a := <-answers
		if a.code != 200 {
			t.Fatalf("siting %d: %d %s", i, a.code, a.body)
		}
		if a.cache == "miss" {
			misses++
		}
		if i == 0 {
			first = a
		} else if a.body != first.body {
			t.Error("concurrent identical sitings answered differently")
		}
	}
	if misses != 1 {
		t.Errorf("%d of 3 identical sitings computed, want 1", misses)
	}
	if w := do(t, s, "POST", "/api/v1/coverage/siting", "application/json", body); w.Header().Get("X-Siting-Cache") != "hit" || w.Body.String() != first.body {
		t.Errorf("repeat: cache %q", w.Header().Get("X-Siting-Cache"))
	}
	if w := do(t, s, "POST", "/api/v1/coverage/siting", "application/json", `{"k":8,"candidates":"planned"}`); w.Code != 200 || w.Header().Get("X-Siting-Cache") != "miss" {
		t.Errorf("another k: %d, cache %q", w.Code, w.Header().Get("X-Siting-Cache"))
	}
	for range 2 {
		if w := do(t, s, "POST", "/api/v1/coverage/siting", "application/json", `{"k":5,"candidates":"everything"}`); w.Code != 400 {
			t.Errorf("bad candidates: %d", w.Code)
		}
	}
}
