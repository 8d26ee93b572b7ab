package coverage

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// smallCity is a w×h lattice of roads about 150 m apart with a few
// buildings scattered off the roads, and some roads removed at random.
func smallCity(seed uint64, w, h, buildings int) *data.City {
	rng := rand.New(rand.NewPCG(seed, 1))
	c := &data.City{}
	pt := func(i, j int) orb.Point { return orb.Point{117.5 + float64(i)*0.0016, 34.8 + float64(j)*0.00135} }
	node := func(i, j int) int64 { return int64(j*(w+1) + i) }
	id := int64(0)
	for j := 0; j <= h; j++ {
		for i := 0; i <= w; i++ {
			if i < w && rng.IntN(5) > 0 {
				id++
				c.Roads = append(c.Roads, data.Road{ID: id, FromNode: node(i, j), ToNode: node(i+1, j), Geom: orb.LineString{pt(i, j), pt(i+1, j)}})
			}
			if j < h && rng.IntN(5) > 0 {
				id++
				c.Roads = append(c.Roads, data.Road{ID: id, FromNode: node(i, j), ToNode: node(i, j+1), Geom: orb.LineString{pt(i, j), pt(i, j+1)}})
			}
		}
	}
	c.Grids = []data.Grid{{Code: "g"}}
	for b := 0; b < buildings; b++ {
		p := orb.Point{117.5 + rng.Float64()*0.0016*float64(w), 34.8 + rng.Float64()*0.00135*float64(h)}
		c.Buildings = append(c.Buildings, data.Building{Code: string(rune('A' + b%26)), GridCode: "g", Entrance: p, Households: 1 + rng.IntN(100)})
	}
	c.Index()
	return c
}

// bruteDistance is the walking distance by Floyd–Warshall over the road
// nodes, joining each point to its segment's two ends.
func bruteDistance(n *Network, from, to Access) float64 {
	k := n.Nodes()
	d := make([][]float64, k)
	for i := range d {
		d[i] = make([]float64, k)
		for j := range d[i] {
			if i != j {
				d[i][j] = math.Inf(1)
			}
		}
	}
	for _, s := range n.segs {
		if s.length < d[s.a][s.b] {
			d[s.a][s.b], d[s.b][s.a] = s.length, s.length
		}
	}
	for m := 0; m < k; m++ {
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				if v := d[i][m] + d[m][j]; v < d[i][j] {
					d[i][j] = v
				}
			}
		}
	}
	if from.Seg < 0 || to.Seg < 0 {
		return math.Inf(1)
	}
	fs, ts := n.segs[from.Seg], n.segs[to.Seg]
	best := math.Inf(1)
	for _, x := range []struct {
		node int32
		off  float64
	}{{fs.a, from.ToA}, {fs.b, from.ToB}} {
		for _, y := range []struct {
			node int32
			off  float64
		}{{ts.a, to.ToA}, {ts.b, to.ToB}} {
			best = math.Min(best, from.Snap+x.off+d[x.node][y.node]+y.off+to.Snap)
		}
	}
	if from.Seg == to.Seg {
		best = math.Min(best, from.Snap+math.Abs(from.Along-to.Along)+to.Snap)
	}
	return best
}

func TestReachAgainstBruteForce(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		c := smallCity(seed, 6, 5, 40)
		m := NewModel(c, Options{MaxSnap: 400})
		site := c.Buildings[0].Entrance
		from := m.Net.Snap(site, m.Opt.MaxSnap)
		for _, radius := range []float64{300, 600, 1200} {
			got := map[int32]float64{}
			for _, r := range m.Reach(site, radius) {
				got[r.Building] = r.DistanceM
			}
			for b := range c.Buildings {
				want := bruteDistance(m.Net, from, m.access[b])
				g, ok := got[int32(b)]
				switch {
				case want <= radius-1e-6 && !ok:
					t.Errorf("seed %d r %v: building %d at %.2f m not reached", seed, radius, b, want)
				case ok && math.Abs(g-want) > 1e-6:
					t.Errorf("seed %d r %v: building %d at %.4f m, brute force %.4f", seed, radius, b, g, want)
				case ok && want > radius+1e-6:
					t.Errorf("seed %d r %v: building %d reached at %.2f beyond the radius", seed, radius, b, want)
				}
			}
		}
	}
}

func TestFallbackOffNetwork(t *testing.T) {
	c := smallCity(1, 2, 2, 3)
	c.Roads = nil
	m := NewModel(c, Options{})
	site := c.Buildings[0].Entrance
	for _, r := range m.Reach(site, 400) {
		want := geo.Distance(site, c.Buildings[r.Building].Entrance) * 1.3
		if r.Network || math.Abs(r.DistanceM-want) > 1e-9 {
			t.Errorf("fallback distance %v, want straight line × 1.3 = %v", r.DistanceM, want)
		}
	}
}

func TestCoverageAgainstBruteCount(t *testing.T) {
	m := demo(t)
	rep := m.Report(Built(m), true)
	// brute force: every built grid station, every building, the distance
	// from the station's search
	covered := make([]bool, len(m.City.Buildings))
	for _, s := range m.City.Stations {
		if s.Status != data.StationBuilt || s.Kind != data.StationGrid {
			continue
		}
		for _, r := range m.Reach(s.Point, m.Opt.GridRadius) {
			covered[r.Building] = true
		}
	}
	hh, n := 0, 0
	gridHH := map[string][2]int{}
	for i, b := range m.City.Buildings {
		x := gridHH[b.GridCode]
		x[0] += b.Households
		if covered[i] {
			hh += b.Households
			n++
			x[1] += b.Households
		}
		gridHH[b.GridCode] = x
	}
	grids := 0
	for _, x := range gridHH {
		if float64(x[1]) >= 0.5*float64(x[0]) {
			grids++
		}
	}
	if rep.City.HouseholdsCovered != hh || rep.City.BuildingsCovered != n || rep.City.GridsCovered != grids {
		t.Errorf("report %+v, brute force %d households, %d buildings, %d grids", rep.City, hh, n, grids)
	}
}

// TestGreedyAgainstExhaustive compares maxCover with every k-subset on
// small random instances.
func TestGreedyAgainstExhaustive(t *testing.T) {
	bound := 1 - 1/math.E
	equal, total := 0, 0
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 9))
		items, cands, k := 30, 10, 1+rng.IntN(4)
		w := make([]float64, items)
		for i := range w {
			w[i] = float64(1 + rng.IntN(20))
		}
		base := make([]bool, items)
		for i := range base {
			base[i] = rng.IntN(6) == 0
		}
		reach := make([][]int32, cands)
		for c := range reach {
			for i := 0; i < items; i++ {
				if rng.IntN(4) == 0 {
					reach[c] = append(reach[c], int32(i))
				}
			}
		}
		value := func(set []int) float64 {
			cov := append([]bool(nil), base...)
			v := 0.0
			for _, c := range set {
				for _, i := range reach[c] {
					if !cov[i] {
						cov[i] = true
						v += w[i]
					}
				}
			}
			return v
		}
		best := 0.0
		var rec func(start int, set []int)
		rec = func(start int, set []int) {
			if len(set) == k {
				best = math.Max(best, value(set))
				return
			}
			for c := start; c < cands; c++ {
				rec(c+1, append(set, c))
			}
		}
		rec(0, nil)
		greedy, _, _ := maxCover(context.Background(), reach, w, base, k, -1)
		improved, _, _ := maxCover(context.Background(), reach, w, base, k, 1e9)
		g, s := value(greedy), value(improved)
		if g < bound*best-1e-9 {
			t.Errorf("seed %d: greedy %v below (1-1/e)·opt = %v", seed, g, bound*best)
		}
		if s < g {
			t.Errorf("seed %d: swaps made it worse (%v < %v)", seed, s, g)
		}
		total++
		if s == best {
			equal++
		}
	}
	if equal < total*9/10 {
		t.Errorf("greedy+swap equals the optimum on only %d of %d small instances", equal, total)
	}
	t.Logf("greedy+swap optimal on %d of %d instances", equal, total)
}
