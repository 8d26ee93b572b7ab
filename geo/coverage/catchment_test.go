package coverage

import (
	"math"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestHull(t *testing.T) {
	for _, tc := range []struct {
		name string
		pts  []orb.Point
		want int // vertices of the closed ring, 0 for none
	}{
		{"square with inside points", []orb.Point{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0.5, 0.5}, {0.2, 0.7}}, 5},
		{"collinear", []orb.Point{{0, 0}, {1, 1}, {2, 2}}, 0},
		{"duplicates", []orb.Point{{0, 0}, {0, 0}, {1, 0}, {1, 0}, {0, 1}}, 4},
		{"too few", []orb.Point{{0, 0}, {1, 0}}, 0},
		{"edge points dropped", []orb.Point{{0, 0}, {1, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 1}}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hull(tc.pts)
			if len(r) != tc.want {
				t.Fatalf("hull has %d points, want %d: %v", len(r), tc.want, r)
			}
			if len(r) == 0 {
				return
			}
			if r[0] != r[len(r)-1] {
				t.Error("ring not closed")
			}
			if planar.Area(r) <= 0 {
				t.Errorf("ring not counter-clockwise: area %v", planar.Area(r))
			}
			for _, p := range tc.pts {
				if !planar.RingContains(r, p) && !onRing(r, p) {
					t.Errorf("%v outside the hull", p)
				}
			}
		})
	}
}

// onRing reports whether p lies on an edge of r (to rounding).
func onRing(r orb.Ring, p orb.Point) bool {
	for i := 1; i < len(r); i++ {
		a, b := r[i-1], r[i]
		cross := (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
		if math.Abs(cross) < 1e-12 &&
			p[0] >= math.Min(a[0], b[0])-1e-12 && p[0] <= math.Max(a[0], b[0])+1e-12 &&
			p[1] >= math.Min(a[1], b[1])-1e-12 && p[1] <= math.Max(a[1], b[1])+1e-12 {
			return true
		}
	}
	return false
}

func TestBetween(t *testing.T) {
	g := orb.LineString{{117.5, 34.8}, {117.501, 34.8}, {117.502, 34.8}}
	length := geo.Distance(g[0], g[1]) + geo.Distance(g[1], g[2])
	for _, tc := range []struct {
		name   string
		lo, hi float64
		n      int
	}{
		{"whole", 0, length, 3},
		{"first half", 0, length / 2, 2}, // start, middle vertex (the cut falls on it)
		{"inside the first piece", length / 8, length / 4, 2},
		{"across the middle", length / 4, 3 * length / 4, 3},
		{"empty", length / 2, length / 4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := between(g, length, tc.lo, tc.hi)
			if len(got) != tc.n {
				t.Fatalf("%d points, want %d: %v", len(got), tc.n, got)
			}
			for _, p := range got {
				x := geo.Distance(g[0], p)
				if x < tc.lo-0.01 || x > tc.hi+0.01 {
					t.Errorf("%v at %.2f m, outside %.2f..%.2f", p, x, tc.lo, tc.hi)
				}
			}
		})
	}
}

// Every building a site reaches lies in its catchment polygon, and so does
// the site; off the network the polygon is the fallback circle.
func TestCatchmentHoldsWhatItReaches(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		c := smallCity(seed, 6, 5, 60)
		m := NewModel(c, Options{MaxSnap: 400})
		for _, tc := range []struct {
			name   string
			p      orb.Point
			radius float64
		}{
			{"at a building", c.Buildings[0].Entrance, 500},
			{"wide", c.Buildings[1].Entrance, 1200},
			{"off the network", orb.Point{117.6, 34.9}, 500},
		} {
			ct := m.Catchment(tc.p, tc.radius)
			if len(ct.Polygon) != 1 || len(ct.Polygon[0]) < 4 {
				t.Fatalf("seed %d %s: no polygon", seed, tc.name)
			}
			ring := ct.Polygon[0]
			if planar.Area(ring) <= 0 {
				t.Errorf("seed %d %s: ring not counter-clockwise", seed, tc.name)
			}
			inside := func(p orb.Point) bool { return planar.RingContains(ring, p) || onRing(ring, p) }
			if !inside(tc.p) {
				t.Errorf("seed %d %s: the site is outside its catchment", seed, tc.name)
			}
			reached := m.Reach(tc.p, tc.radius)
			if ct.Buildings != len(reached) {
				t.Errorf("seed %d %s: %d buildings, Reach says %d", seed, tc.name, ct.Buildings, len(reached))
			}
			for _, r := range reached {
				if p := c.Buildings[r.Building].Entrance; !inside(p) {
					t.Errorf("seed %d %s: reached building %d at %v outside the polygon", seed, tc.name, r.Building, p)
				}
			}
			// Nothing of the polygon lies farther than the radius as the crow flies.
			for _, p := range ring {
				if d := geo.Distance(tc.p, p); d > tc.radius+1 {
					t.Errorf("seed %d %s: vertex %.0f m away, radius %.0f", seed, tc.name, d, tc.radius)
				}
			}
		}
	}
}

func TestCatchmentsOfStations(t *testing.T) {
	c := smallCity(3, 6, 5, 60)
	c.Stations = []data.Station{
		{Code: "s0", Kind: data.StationGrid, Status: data.StationBuilt, Point: c.Buildings[2].Entrance},
		{Code: "s1", Kind: data.StationCommunityCentre, Status: data.StationBuilt, Point: c.Buildings[3].Entrance},
		{Code: "s2", Kind: data.StationGrid, Status: data.StationPlanned, Point: c.Buildings[4].Entrance},
	}
	m := NewModel(c, Options{MaxSnap: 400})
	for _, tc := range []struct {
		name  string
		sel   Sites
		want  []int
		radii []float64
	}{
		{"built grid stations", Built(m), []int{0}, []float64{500}},
		{"every built station", AllBuilt(m), []int{0, 1}, []float64{500, 1000}},
		{"with the planned", BuiltAndPlanned(m), []int{0, 2}, []float64{500, 500}},
	} {
		got := m.Catchments(tc.sel)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d catchments, want %d", tc.name, len(got), len(tc.want))
		}
		for i, ct := range got {
			if ct.Station != tc.want[i] || ct.RadiusM != tc.radii[i] {
				t.Errorf("%s: catchment %d is station %d at %v m, want %d at %v m", tc.name, i, ct.Station, ct.RadiusM, tc.want[i], tc.radii[i])
			}
		}
	}
}

// StationsReaching lists, per grid, the counted stations that reach one of
// its buildings: checked against Reach station by station.
func TestStationsReaching(t *testing.T) {
	c := smallCity(5, 6, 5, 80)
	c.Grids = []data.Grid{{Code: "g0"}, {Code: "g1"}}
	for i := range c.Buildings {
		c.Buildings[i].GridCode = c.Grids[i%2].Code
	}
	c.Stations = []data.Station{
		{Code: "s0", Kind: data.StationGrid, Status: data.StationBuilt, Point: c.Buildings[2].Entrance},
		{Code: "s1", Kind: data.StationGrid, Status: data.StationPlanned, Point: c.Buildings[9].Entrance},
		{Code: "s2", Kind: data.StationGrid, Status: data.StationBuilt, Point: c.Buildings[30].Entrance},
	}
	m := NewModel(c, Options{MaxSnap: 400})
	for _, tc := range []struct {
		name string
		sel  Sites
	}{{"built", Built(m)}, {"with planned", BuiltAndPlanned(m)}} {
		rep := m.Report(tc.sel, true)
		for g := range c.Grids {
			var want []int32
			for i := range c.Stations {
				if !tc.sel(i) {
					continue
				}
				for _, r := range m.Reach(c.Stations[i].Point, m.RadiusOf(&c.Stations[i])) {
					if r.Building%2 == int32(g) {
						want = append(want, int32(i))
						break
					}
				}
			}
			got := rep.StationsReaching(g)
			if len(got) != len(want) {
				t.Errorf("%s grid %d: %v, want %v", tc.name, g, got, want)
				continue
			}
			for k := range got {
				if got[k] != want[k] {
					t.Errorf("%s grid %d: %v, want %v", tc.name, g, got, want)
				}
			}
		}
		if m.Report(tc.sel, false).StationsReaching(0) != nil {
			t.Errorf("%s: a report without detail claims to know the stations", tc.name)
		}
	}
}
