package synth

import (
	"math"
	"slices"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// TestPOIs checks the landmarks stand where such places stand: plot POIs
// on a plot of their own (a compound without buildings, the outline
// inside its grid), each kind present, gates inside the plot facing roads,
// bus stops at the kerb of a road, everything inside its grid.
func TestPOIs(t *testing.T) {
	c, err := City(Options{Seed: 1, Incidents: 200})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	withBuildings := map[string]bool{}
	for _, b := range c.Buildings {
		withBuildings[b.CompoundCode] = true
	}
	ix, err := geo.NewIndex(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.POIs {
		kinds[p.Kind]++
		g := c.Grid(p.GridCode)
		if g == nil || !planar.PolygonContains(g.Geom, p.Point) || p.CommunityCode != g.CommunityCode {
			t.Errorf("%s %s: not inside its grid %s", p.Code, p.Name, p.GridCode)
			continue
		}
		if !slices.Contains(data.POIKinds, p.Kind) || p.Name == "" {
			t.Errorf("%s: kind %q name %q", p.Code, p.Kind, p.Name)
		}
		if p.Kind == data.POIBusStop {
			if d := nearestRoadM(c, p.Point); d < 8 || d > 16 {
				t.Errorf("%s %s: %.1f m from the nearest road centreline, want the kerb", p.Code, p.Name, d)
			}
			continue
		}
		if len(p.Geom) == 0 || len(p.Gates) == 0 || p.Road == "" || p.HouseNumber <= 0 {
			t.Errorf("%s %s: plot %d rings, %d gates, address %s%d", p.Code, p.Name, len(p.Geom), len(p.Gates), p.Road, p.HouseNumber)
			continue
		}
		for _, gt := range p.Gates {
			if !planar.PolygonContains(p.Geom, gt.Point) {
				t.Errorf("%s %s: gate %s outside its plot", p.Code, p.Name, gt.Name)
			}
			if d := nearestRoadM(c, gt.Point); d > gateInsetM+1 {
				t.Errorf("%s %s: gate %s %.1f m from a road", p.Code, p.Name, gt.Name, d)
			}
		}
		// The plot is a compound with no building.
		for _, cp := range c.Compounds {
			if planar.PolygonContains(p.Geom, centre(cp.Geom)) && withBuildings[cp.Code] {
				t.Errorf("%s %s: residential compound %s on its plot", p.Code, p.Name, cp.Code)
			}
		}
		if r := ix.Locate(p.Point); r.Grid < 0 || c.Grids[r.Grid].Code != p.GridCode {
			t.Errorf("%s: located in another grid", p.Code)
		}
	}
	for _, k := range data.POIKinds {
		if kinds[k] == 0 {
			t.Errorf("no POI of kind %s", k)
		}
	}
	t.Logf("POIs by kind: %v", kinds)
}

func centre(p orb.Polygon) orb.Point {
	var x, y float64
	r := p[0][:len(p[0])-1]
	for _, q := range r {
		x += q[0]
		y += q[1]
	}
	return orb.Point{x / float64(len(r)), y / float64(len(r))}
}

func nearestRoadM(c *data.City, p orb.Point) float64 {
	mx, my := metresPerDegree(p[1])
	best := math.Inf(1)
	for _, r := range c.Roads {
		if d := segDistM(r.Geom[0], r.Geom[len(r.Geom)-1], p, mx, my); d < best {
			best = d
		}
	}
	return best
}
