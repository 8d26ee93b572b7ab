package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// latticeOptions shape a hand-made city: a jittered, rotated lattice of
// points whose rectangles of cells are the grids, so that neighbours share
// their border vertices exactly, the way the demo city is built.
type latticeOptions struct {
	Seed         uint64
	GridsX       int     // grids across
	GridsY       int     // grids up
	CellsPerSide int     // lattice cells along a grid's side (ring has 4*k vertices)
	CellM        float64 // lattice cell size in metres
	Gap          float64 // share of grids left out (holes in the urban area)
	NoBuildings  bool
}

type lattice2 struct {
	w, h int
	p    []orb.Point
}

func (l *lattice2) at(i, j int) orb.Point { return l.p[j*(l.w+1)+i] }

// ring returns the closed counter-clockwise ring around cells
// [i0,i1)×[j0,j1), through every lattice point on its perimeter.
func (l *lattice2) ring(i0, j0, i1, j1 int) orb.Ring {
	var r orb.Ring
	for i := i0; i < i1; i++ {
		r = append(r, l.at(i, j0))
	}
	for j := j0; j < j1; j++ {
		r = append(r, l.at(i1, j))
	}
	for i := i1; i > i0; i-- {
		r = append(r, l.at(i, j1))
	}
	for j := j1; j > j0; j-- {
		r = append(r, l.at(i0, j))
	}
	return append(r, r[0])
}

func latticeCity(o latticeOptions) *data.City {
	rng := rand.New(rand.NewPCG(o.Seed, 7))
	k := o.CellsPerSide
	if k == 0 {
		k = 2
	}
	if o.CellM == 0 {
		o.CellM = 150
	}
	W, H := o.GridsX*k, o.GridsY*k
	c0 := orb.Point{117.56, 34.86}
	mx, my := MetresPerDegree(c0[1])
	theta := 0.3
	cos, sin := math.Cos(theta), math.Sin(theta)
	l := &lattice2{w: W, h: H, p: make([]orb.Point, (W+1)*(H+1))}
	for j := 0; j <= H; j++ {
		for i := 0; i <= W; i++ {
			x := (float64(i)-float64(W)/2)*o.CellM + (rng.Float64()*2-1)*0.3*o.CellM
			y := (float64(j)-float64(H)/2)*o.CellM + (rng.Float64()*2-1)*0.3*o.CellM
			rx, ry := x*cos-y*sin, x*sin+y*cos
			l.p[j*(W+1)+i] = orb.Point{math.Round((c0[0]+rx/mx)*1e7) / 1e7, math.Round((c0[1]+ry/my)*1e7) / 1e7}
		}
	}
	c := &data.City{Meta: map[string]string{"generator": "latticeCity"}}
	const cg, cs, cd = 4, 3, 2 // grids per community side, communities per street side, streets per district side
	blocks := func(n, b int) int { return (n + b - 1) / b }
	gx, gy := o.GridsX, o.GridsY
	area := func(x0, y0, x1, y1 int) orb.Polygon { // in grid units
		return orb.Polygon{l.ring(x0*k, y0*k, min(x1, gx)*k, min(y1, gy)*k)}
	}
	for dy := 0; dy < blocks(gy, cg*cs*cd); dy++ {
		for dx := 0; dx < blocks(gx, cg*cs*cd); dx++ {
			d := data.District{Code: fmt.Sprintf("37%04d", len(c.Districts)+1), Name: fmt.Sprintf("区%d", len(c.Districts)+1)}
			s := cg * cs * cd
			d.Geom = orb.MultiPolygon{area(dx*s, dy*s, dx*s+s, dy*s+s)}
			c.Districts = append(c.Districts, d)
		}
	}
	// Streets, communities and grids are numbered in row-major order inside
	// their parent, so codes nest.
	nStreet := map[string]int{}
	nComm := map[string]int{}
	nGrid := map[string]int{}
	for sy := 0; sy < blocks(gy, cg*cs); sy++ {
		for sx := 0; sx < blocks(gx, cg*cs); sx++ {
			dcode := c.Districts[(sy/cd)*blocks(gx, cg*cs*cd)+sx/cd].Code
			nStreet[dcode]++
			s := cg * cs
			c.Streets = append(c.Streets, data.Street{Code: fmt.Sprintf("%s%03d", dcode, nStreet[dcode]), DistrictCode: dcode,
				Geom: area(sx*s, sy*s, sx*s+s, sy*s+s)})
		}
	}
	commIdx := map[[2]int]int{}
	for qy := 0; qy < blocks(gy, cg); qy++ {
		for qx := 0; qx < blocks(gx, cg); qx++ {
			st := c.Streets[(qy/cs)*blocks(gx, cg*cs)+qx/cs]
			nComm[st.Code]++
			commIdx[[2]int{qx, qy}] = len(c.Communities)
			code := fmt.Sprintf("%s%03d", st.Code, nComm[st.Code])
			c.Communities = append(c.Communities, data.Community{Code: code, StreetCode: st.Code, DistrictCode: st.DistrictCode,
				Geom: area(qx*cg, qy*cg, qx*cg+cg, qy*cg+cg)})
			ctr := l.at(min(qx*cg*k+cg*k/2, W), min(qy*cg*k+cg*k/2, H))
			c.Stations = append(c.Stations, data.Station{Code: "S" + code, Kind: data.StationCommunityCentre,
				Status: data.StationBuilt, CommunityCode: code, Point: ctr})
		}
	}
	for y := 0; y < gy; y++ {
		for x := 0; x < gx; x++ {
			if o.Gap > 0 && rng.Float64() < o.Gap {
				continue
			}
			cm := c.Communities[commIdx[[2]int{x / cg, y / cg}]]
			nGrid[cm.Code]++
			code := fmt.Sprintf("%s%03d", cm.Code, nGrid[cm.Code])
			c.Grids = append(c.Grids, data.Grid{Code: code, CommunityCode: cm.Code, StreetCode: cm.StreetCode,
				DistrictCode: cm.DistrictCode, Seq: nGrid[cm.Code], Geom: orb.Polygon{l.ring(x*k, y*k, x*k+k, y*k+k)}})
			if !o.NoBuildings {
				e := l.at(x*k+k/2, y*k+k/2)
				c.Buildings = append(c.Buildings, data.Building{Code: code + "01001", GridCode: code, Entrance: e})
			}
		}
	}
	return c
}

// oracle answers by brute force with orb/planar, boundary-inclusive: every
// grid whose closed polygon contains p. To keep a million points quick it
// only skips grids whose bounding box (orb's own) misses the point, found
// through 64×64 buckets of the city's box; it shares no code with Index.
type oracle struct {
	c      *data.City
	bb     []orb.Bound
	all    orb.Bound
	bucket [64 * 64][]int
}

func newOracle(c *data.City) *oracle {
	o := &oracle{c: c}
	for i, g := range c.Grids {
		o.bb = append(o.bb, g.Geom.Bound())
		if i == 0 {
			o.all = o.bb[0]
		}
		o.all = o.all.Union(o.bb[i])
	}
	for i, b := range o.bb {
		x0, y0 := o.cell(b.Min)
		x1, y1 := o.cell(b.Max)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				o.bucket[y*64+x] = append(o.bucket[y*64+x], i)
			}
		}
	}
	return o
}

func (o *oracle) cell(p orb.Point) (int, int) {
	f := func(v, lo, hi float64) int {
		return min(63, max(0, int((v-lo)/(hi-lo)*64)))
	}
	return f(p[0], o.all.Min[0], o.all.Max[0]), f(p[1], o.all.Min[1], o.all.Max[1])
}

func (o *oracle) containing(p orb.Point, out []int) []int {
	out = out[:0]
	if len(o.bb) == 0 || !o.all.Contains(p) {
		return out
	}
	x, y := o.cell(p)
	for _, i := range o.bucket[y*64+x] {
		if o.bb[i].Contains(p) && planar.PolygonContains(o.c.Grids[i].Geom, p) {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

var (
	smallOnce sync.Once
	smallCity *data.City
	smallIx   *Index
)

// testIndex is a 24×20 lattice (480 grids, 2% left out) shared by tests.
func testIndex(t testing.TB) (*data.City, *Index) {
	smallOnce.Do(func() {
		smallCity = latticeCity(latticeOptions{Seed: 1, GridsX: 24, GridsY: 20, CellsPerSide: 2, Gap: 0.02})
		ix, err := NewIndex(smallCity)
		if err != nil {
			panic(err)
		}
		smallIx = ix
	})
	return smallCity, smallIx
}

func cityBound(c *data.City) orb.Bound {
	b := c.Grids[0].Geom.Bound()
	for _, g := range c.Grids {
		b = b.Union(g.Geom.Bound())
	}
	return b
}

func TestLocateAgreesWithOracle(t *testing.T) {
	c, ix := testIndex(t)
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	agreeWithOracle(t, c, ix, n)
}

// randomPoints returns n points: four in five uniform in the bounding box
// of a grid picked at random (so the urban area and its boundaries are well
// covered however sparse the city), one in five uniform in the city's
// bounding box grown by 2%.
func randomPoints(c *data.City, n int, seed uint64) []orb.Point {
	b := cityBound(c)
	dx, dy := (b.Max[0]-b.Min[0])*0.02, (b.Max[1]-b.Min[1])*0.02
	b.Min[0], b.Min[1], b.Max[0], b.Max[1] = b.Min[0]-dx, b.Min[1]-dy, b.Max[0]+dx, b.Max[1]+dy
	rng := rand.New(rand.NewPCG(seed, 99))
	pts := make([]orb.Point, n)
	for i := range pts {
		bb := b
		if rng.IntN(5) != 0 {
			bb = c.Grids[rng.IntN(len(c.Grids))].Geom.Bound()
		}
		pts[i] = orb.Point{bb.Min[0] + rng.Float64()*(bb.Max[0]-bb.Min[0]), bb.Min[1] + rng.Float64()*(bb.Max[1]-bb.Min[1])}
	}
	return pts
}

// urbanPoints returns n random points that lie in some grid.
func urbanPoints(c *data.City, ix *Index, n int, seed uint64) []orb.Point {
	out := make([]orb.Point, 0, n)
	for s := seed; len(out) < n; s++ {
		for _, p := range randomPoints(c, n, s) {
			if len(out) < n && ix.Locate(p).Grid >= 0 {
				out = append(out, p)
			}
		}
	}
	return out
}

func agreeWithOracle(t *testing.T, c *data.City, ix *Index, n int) {
	o := newOracle(c)
	pts := randomPoints(c, n, 1)
	workers := runtime.GOMAXPROCS(0)
	var mu sync.Mutex
	var inside, outside, fails int
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf []int
			in, out, bad := 0, 0, 0
			for i := w; i < n; i += workers {
				p := pts[i]
				buf = o.containing(p, buf)
				r := ix.Locate(p)
				switch len(buf) {
				case 0:
					out++
					if r.Grid != -1 || r.Match == MatchInside {
						bad++
						if bad < 5 {
							t.Errorf("%v: oracle none, got grid %d (%s)", p, r.Grid, r.Match)
						}
					}
				case 1:
					in++
					if r.Grid != buf[0] || r.Match != MatchInside {
						bad++
						if bad < 5 {
							t.Errorf("%v: oracle %d, got %d (%s)", p, buf[0], r.Grid, r.Match)
						}
					}
				default: // on a boundary: vanishingly rare for random points
					if !slices.Contains(buf, r.Grid) {
						bad++
						t.Errorf("%v: oracle %v, got %d", p, buf, r.Grid)
					}
				}
			}
			mu.Lock()
			inside, outside, fails = inside+in, outside+out, fails+bad
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	t.Logf("%d random points: %d inside a grid, %d outside, %d disagreements with the oracle", n, inside, outside, fails)
	if inside < n/2 {
		t.Errorf("only %d of %d points inside", inside, n)
	}
}

// boundaryPoints returns every grid vertex and every edge midpoint, each
// with the grids that touch it by topology (share the vertex or the edge).
func boundaryPoints(c *data.City) (pts []orb.Point, touching [][]int) {
	type edge struct{ a, b orb.Point }
	norm := func(a, b orb.Point) edge {
		if a[0] > b[0] || (a[0] == b[0] && a[1] > b[1]) {
			a, b = b, a
		}
		return edge{a, b}
	}
	vert := map[orb.Point][]int{}
	edges := map[edge][]int{}
	for i, g := range c.Grids {
		r := g.Geom[0]
		for j := 0; j+1 < len(r); j++ {
			vert[r[j]] = append(vert[r[j]], i)
			e := norm(r[j], r[j+1])
			edges[e] = append(edges[e], i)
		}
	}
	// Vertices that lie inside another grid's edge (T-junctions) also touch
	// that grid; the lattice has none, so vertex sets are exact.
	for i, g := range c.Grids {
		r := g.Geom[0]
		for j := 0; j+1 < len(r); j++ {
			pts = append(pts, r[j])
			touching = append(touching, vert[r[j]])
			e := norm(r[j], r[j+1])
			pts = append(pts, orb.Point{(e.a[0] + e.b[0]) / 2, (e.a[1] + e.b[1]) / 2})
			touching = append(touching, edges[e])
		}
		_ = i
	}
	return pts, touching
}

func TestLocateBoundaries(t *testing.T) {
	c, ix := testIndex(t)
	checkBoundaries(t, c, ix)
}

// checkBoundaries locates every grid vertex and edge midpoint: the answer
// must be "inside" one of the grids that touch the point (by topology, or by
// the boundary-inclusive oracle), and the same on a second call and on
// rebuilds with very different cell sizes.
func checkBoundaries(t *testing.T, c *data.City, ix *Index) {
	pts, touching := boundaryPoints(c)
	o := newOracle(c)
	ix2, err := NewIndexWith(c, IndexOptions{CellsPerGrid: 7})
	if err != nil {
		t.Fatal(err)
	}
	ix3, err := NewIndexWith(c, IndexOptions{CellsPerGrid: 300})
	if err != nil {
		t.Fatal(err)
	}
	shared, outer := 0, 0
	var buf []int
	for i, p := range pts {
		r := ix.Locate(p)
		buf = o.containing(p, buf)
		if (!slices.Contains(touching[i], r.Grid) && !slices.Contains(buf, r.Grid)) || r.Match != MatchInside {
			t.Fatalf("%v touches %v (oracle %v), got grid %d (%s)", p, touching[i], buf, r.Grid, r.Match)
		}
		if len(touching[i]) > 1 {
			shared++
		} else {
			outer++
		}
		for _, other := range []*Index{ix2, ix3} {
			if r2 := other.Locate(p); r2 != r {
				t.Fatalf("%v: rebuild answers %+v, first %+v", p, r2, r)
			}
		}
		if r2 := ix.Locate(p); r2 != r {
			t.Fatalf("%v: second call answers %+v, first %+v", p, r2, r)
		}
	}
	t.Logf("%d boundary points (%d shared by several grids, %d on the outer boundary): each resolved to one touching grid, stable across calls and rebuilds", len(pts), shared, outer)
}

// TestLocateHalfOpenRule pins the documented tie-break on a hand-made
// square of four grids meeting at the origin.
func TestLocateHalfOpenRule(t *testing.T) {
	sq := func(x0, y0 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x0 + 1, y0}, {x0 + 1, y0 + 1}, {x0, y0 + 1}, {x0, y0}}}
	}
	c := &data.City{Grids: []data.Grid{
		{Code: "SW", Geom: sq(-1, -1)}, {Code: "SE", Geom: sq(0, -1)},
		{Code: "NW", Geom: sq(-1, 0)}, {Code: "NE", Geom: sq(0, 0)},
	}}
	ix, err := NewIndex(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    orb.Point
		want string
	}{
		{orb.Point{0, 0}, "NE"},       // shared vertex of all four
		{orb.Point{0, -0.5}, "SE"},    // vertical edge between SW and SE: east
		{orb.Point{0, 0.5}, "NE"},     // vertical edge between NW and NE: east
		{orb.Point{-0.5, 0}, "NW"},    // horizontal edge between SW and NW: north
		{orb.Point{0.5, 0}, "NE"},     // horizontal edge between SE and NE: north
		{orb.Point{-0.5, -0.5}, "SW"}, // interior
		{orb.Point{1, 1}, "NE"},       // outer corner: snapped
		{orb.Point{-1, -1}, "SW"},     // outer corner
		{orb.Point{1, 0}, "SE"},       // outer vertex of SE and NE: snapped, lowest index
		{orb.Point{-1, 0}, "NW"},      // outer west vertex shared by SW and NW
	} {
		r := ix.Locate(tc.p)
		if r.Grid < 0 || c.Grids[r.Grid].Code != tc.want || r.Match != MatchInside {
			t.Errorf("Locate(%v) = %+v, want %s", tc.p, r, tc.want)
		}
	}
}

func TestLocateBadInput(t *testing.T) {
	_, ix := testIndex(t)
	nan, inf := math.NaN(), math.Inf(1)
	for _, p := range []orb.Point{
		{nan, 34.86}, {117.56, nan}, {nan, nan}, {inf, 34.86}, {117.56, -inf},
		{181, 34}, {-200, 34}, {117, 91}, {117, -1e300}, {1e308, 1e308}, {0, 0},
	} {
		r := ix.Locate(p)
		if r.Grid != -1 || r.Match != MatchNone || r.Nearest != -1 || r.District != -1 {
			t.Errorf("Locate(%v) = %+v, want none", p, r)
		}
		r = ix.LocateGCJ02(p)
		if r.Grid != -1 || r.Match != MatchNone {
			t.Errorf("LocateGCJ02(%v) = %+v, want none", p, r)
		}
		if h := ix.NearestStations(p, 3); len(p) > 0 && !finite(p) && h != nil {
			t.Errorf("NearestStations(%v) = %v, want nil", p, h)
		}
	}
	var empty Index
	_ = empty.grids.locate(1, 2)
	e, err := NewIndex(&data.City{})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.Locate(orb.Point{117, 34}); r.Grid != -1 || r.Match != MatchNone {
		t.Errorf("empty city: %+v", r)
	}
	if h := e.NearestStations(orb.Point{117, 34}, 3); len(h) != 0 {
		t.Errorf("empty city stations: %v", h)
	}
	if _, err := NewIndex(nil); err == nil {
		t.Error("nil city: no error")
	}
	bad := &data.City{Grids: []data.Grid{{Code: "X", Geom: orb.Polygon{{{0, 0}, {1, 0}, {nan, 1}, {0, 0}}}}}}
	if _, err := NewIndex(bad); err == nil {
		t.Error("NaN geometry: no error")
	}
	// Degenerate and empty grids are never found but do not break the rest.
	odd := &data.City{Grids: []data.Grid{
		{Code: "empty"},
		{Code: "line", Geom: orb.Polygon{{{0, 0}, {1, 1}}}},
		{Code: "flat", Geom: orb.Polygon{{{0, 0}, {1, 0}, {2, 0}, {0, 0}}}},
		{Code: "ok", Geom: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}},
	}}
	oi, err := NewIndex(odd)
	if err != nil {
		t.Fatal(err)
	}
	if r := oi.Locate(orb.Point{0.5, 0.5}); r.Grid != 3 {
		t.Errorf("odd city: %+v", r)
	}
}

func TestLocateHierarchyAndNearest(t *testing.T) {
	c, ix := testIndex(t)
	for i := range c.Grids {
		g := &c.Grids[i]
		// A point well inside: the centroid of the ring.
		p, _ := planar.CentroidArea(g.Geom)
		r := ix.Locate(p)
		if r.Grid != i {
			t.Fatalf("centroid of grid %d locates to %d", i, r.Grid)
		}
		if c.Communities[r.Community].Code != g.CommunityCode || c.Streets[r.Street].Code != g.StreetCode ||
			c.Districts[r.District].Code != g.DistrictCode {
			t.Fatalf("grid %s: hierarchy %d/%d/%d disagrees with its record", g.Code, r.Community, r.Street, r.District)
		}
	}
	// The gaps (grids left out) are in a community but in no grid.
	gaps := 0
	b := cityBound(c)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 200000 && gaps < 50; i++ {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		r := ix.Locate(p)
		if r.Grid >= 0 || r.Community < 0 {
			continue
		}
		gaps++
		if r.Street < 0 || r.District < 0 {
			t.Fatalf("%v in community %d but street %d district %d", p, r.Community, r.Street, r.District)
		}
		if !planar.PolygonContains(c.Communities[r.Community].Geom, p) {
			t.Fatalf("%v not in its community", p)
		}
		if r.Match == MatchNearest {
			q := closestOnPoly(&ix.grids.set, r.Nearest, p)
			if d := Distance(p, q); math.Abs(d-r.DistanceM) > 1e-6 || d > 100 {
				t.Fatalf("nearest distance %v, recomputed %v", r.DistanceM, d)
			}
		}
	}
	if gaps == 0 {
		t.Fatal("no gap found")
	}
	// Walk west from the west-most vertex: nearest within 100 m, none beyond.
	var west orb.Point
	west[0] = math.Inf(1)
	for _, g := range c.Grids {
		for _, q := range g.Geom[0] {
			if q[0] < west[0] {
				west = q
			}
		}
	}
	mlon, _ := MetresPerDegree(west[1])
	for _, m := range []float64{1, 50, 99} {
		p := orb.Point{west[0] - m/mlon, west[1]}
		r := ix.Locate(p)
		if r.Match != MatchNearest || r.Grid != -1 || math.Abs(r.DistanceM-m) > 0.5 {
			t.Errorf("%g m west: %+v", m, r)
		}
		if r := ix.LocateWithin(p, -1); r.Match != MatchNone {
			t.Errorf("%g m west, no reach: %+v", m, r)
		}
	}
	if r := ix.Locate(orb.Point{west[0] - 150/mlon, west[1]}); r.Match != MatchNone || r.Nearest != -1 {
		t.Errorf("150 m west: %+v", r)
	}
}

func TestNearestStations(t *testing.T) {
	c, ix := testIndex(t)
	rng := rand.New(rand.NewPCG(3, 3))
	b := cityBound(c)
	for i := 0; i < 200; i++ {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		h := ix.NearestStations(p, 3)
		if len(h) != 3 {
			t.Fatalf("got %d stations", len(h))
		}
		best := math.Inf(1)
		for _, s := range c.Stations {
			best = math.Min(best, Distance(p, s.Point))
		}
		if math.Abs(h[0].DistanceM-best) > 1e-6 || h[0].DistanceM > h[1].DistanceM || h[1].DistanceM > h[2].DistanceM {
			t.Fatalf("stations %v, brute-force nearest %v m", h, best)
		}
		bh := ix.NearestBuildings(p, 1)
		if len(bh) != 1 {
			t.Fatalf("got %d buildings", len(bh))
		}
	}
}

func TestLocateZeroAllocs(t *testing.T) {
	c, ix := testIndex(t)
	p, _ := planar.CentroidArea(c.Grids[10].Geom)
	q := c.Grids[10].Geom[0][1] // a vertex: boundary path
	if n := testing.AllocsPerRun(1000, func() { ix.Locate(p); ix.Locate(q) }); n != 0 {
		t.Errorf("Locate allocates %v times", n)
	}
}

func TestLiveSwap(t *testing.T) {
	c, ix := testIndex(t)
	var l Live
	if l.Load() != nil {
		t.Fatal("zero Live holds an index")
	}
	l.Store(ix)
	p, _ := planar.CentroidArea(c.Grids[0].Geom)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r := l.Load().Locate(p); r.Grid != 0 {
					t.Errorf("reader saw %+v", r)
					return
				}
			}
		}()
	}
	for i := 0; i < 3; i++ {
		if _, err := l.Rebuild(c, IndexOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if _, err := l.Rebuild(&data.City{Grids: []data.Grid{{Geom: orb.Polygon{{{math.NaN(), 0}, {1, 0}, {1, 1}}}}}}, IndexOptions{}); err == nil {
		t.Fatal("bad rebuild accepted")
	}
	if l.Load().City() != c {
		t.Fatal("failed rebuild replaced the index")
	}
}

func TestIndexStats(t *testing.T) {
	_, ix := testIndex(t)
	st := ix.Stats()
	t.Logf("%+v (full %.0f%% of occupied cells)", st, 100*float64(st.FullCells)/float64(st.Cells-st.EmptyCells))
	if st.FullCells == 0 || st.MixedCells == 0 || st.MemoryBytes <= 0 {
		t.Errorf("odd stats %+v", st)
	}
}

// TestHugePages builds an index large enough for its arrays to move into
// huge pages, checks it answers like a heap-only one, and lets the GC free
// it while another index stays in use.
func TestHugePages(t *testing.T) {
	c := latticeCity(latticeOptions{Seed: 4, GridsX: 150, GridsY: 142, CellsPerSide: 2, CellM: 60, NoBuildings: true})
	useHugePages = false
	plain, err := NewIndex(c)
	useHugePages = true
	if err != nil {
		t.Fatal(err)
	}
	pts := randomPoints(c, 50_000, 8)
	for round := 0; round < 2; round++ {
		huge, err := NewIndex(c)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS == "linux" && huge.Stats().HugePageBytes == 0 {
			t.Error("no huge pages used")
		}
		for _, p := range pts {
			if a, b := huge.Locate(p), plain.Locate(p); a != b {
				t.Fatalf("%v: huge %+v, plain %+v", p, a, b)
			}
		}
		huge = nil
		runtime.GC()
		runtime.GC()
	}
	if r := plain.Locate(pts[0]); r.Match == "" {
		t.Fatal("plain index broken")
	}
}
