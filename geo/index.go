// Point location over the grid partition.
//
// An Index answers "which grid is this WGS84 point in" for a data.City. The
// grids are rasterised once into a uniform grid of cells over their
// bounding box (about 64 cells to a grid, stored sparsely in blocks so
// empty country between cities costs almost nothing): a cell that lies wholly
// inside one grid answers at once, with no point-in-polygon test; a cell
// that a grid boundary crosses lists the few grids that touch it, tested
// exactly in grid order. Communities, streets and districts get the same
// structure, for points that lie outside every grid. Stations, building
// entrances and grid bounding boxes sit in R-trees (github.com/tidwall/rtree)
// for k-nearest-neighbour search.
//
// # Semantics
//
// Locate(p) answers with exactly one of three matches:
//
//   - "inside": p lies in a grid. A point strictly inside a grid gets that
//     grid. A point on a boundary shared by several grids (an edge or a
//     vertex) gets exactly one of them, by the half-open rule: the grid that
//     contains the points displaced infinitesimally east of p, and on an
//     east–west edge the one to the north-east, i.e. the grid containing
//     p + (ε, ε²) for a vanishing ε > 0. The test is an even-odd ray cast
//     towards +x in which an edge counts when lo.y <= p.y < hi.y and p lies
//     strictly left of the upward edge lo→hi, (hi−lo)×(p−lo) > 0; every
//     edge is evaluated from its lower endpoint whichever way its ring runs,
//     so neighbours sharing an edge compute bit-identical values and, in a
//     partition whose neighbours share their vertices (as the store's
//     topology checks demand), no point is claimed by two grids or by none.
//     Should bad data let several grids claim a point (overlaps, T-junctions),
//     the lowest index in City.Grids wins. The answer depends only on the
//     coordinates and the grid order, not on the cell layout, so it is the
//     same on every run, rebuild and replica. A point on the outer
//     boundary of the urban area (touched by one grid only), which the
//     half-open rule may leave outside, is given to the grid whose boundary
//     is nearest, if within BoundaryTolerance (1e-9°, about 0.1 mm); among
//     grids at the same distance, the one with the lowest index.
//   - "nearest": p lies in no grid, but a grid boundary is within the
//     index's MaxDistance (DefaultMaxDistance, 100 m, unless set otherwise).
//     Grid is -1; Nearest is that grid and DistanceM the great-circle
//     distance in metres from p to it. Never a silent guess: Grid stays -1.
//   - "none": no grid within reach; Grid and Nearest are -1.
//
// The hierarchy of an "inside" answer (Community, Street, District) is read
// from the grid's record in the model, never from separate lookups that
// could disagree. For "nearest" and "none" it comes from the community,
// street and district outlines that contain p (same half-open rule), so a
// point in a district outside every urban grid still has a district; -1
// where no outline contains p.
//
// NaN, infinite or out-of-range coordinates locate to "none" and never
// panic. Locate allocates nothing for points that fall in a grid.
package geo

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Match values of a Result.
const (
	MatchInside  = "inside"
	MatchNearest = "nearest"
	MatchNone    = "none"
)

// DefaultMaxDistance is the reach in metres of a "nearest" answer.
const DefaultMaxDistance = 100.0

// BoundaryTolerance is how far in degrees a point outside every grid may lie
// from a grid's boundary and still be "inside" it (about 0.1 mm).
const BoundaryTolerance = 1e-9

// Result is the answer of Locate. Indexes point into the slices of the
// City the Index was built from; -1 means none.
type Result struct {
	Grid      int     // the grid containing the point, or -1
	Match     string  // MatchInside, MatchNearest or MatchNone
	DistanceM float64 // metres to Nearest for MatchNearest; 0 otherwise
	Nearest   int     // the nearest grid for MatchNearest; equals Grid for MatchInside; else -1

	Community int // index into City.Communities, or -1
	Street    int // index into City.Streets, or -1
	District  int // index into City.Districts, or -1
}

// Hit is one answer of a nearest-neighbour search.
type Hit struct {
	Index     int     // into City.Stations or City.Buildings
	DistanceM float64 // great-circle metres from the query point
}

// IndexOptions tune NewIndexWith. The zero value gives the defaults.
type IndexOptions struct {
	// MaxDistance is the reach in metres of a "nearest" answer; 0 means
	// DefaultMaxDistance, a negative value turns nearest answers off.
	MaxDistance float64
	// CellsPerGrid is the target number of cells per grid in the
	// rasterised index (default 64); more cells answer more points without
	// a polygon test, at the cost of memory.
	CellsPerGrid int
	// MaxCells caps the cells of the grid layer (default 1<<25, 128 MiB).
	MaxCells int
}

// Index locates points in the grids of a City. It is immutable once built
// and safe for concurrent use; rebuild and swap it with Live.
type Index struct {
	city        *data.City
	MaxDistance float64 // reach of a "nearest" answer in metres (read-only)

	grids                     cellIndex
	communities, streets      cellIndex
	districts                 cellIndex
	gridCommunity, gridStreet []int32
	gridDistrict              []int32

	gridTree     rtree.RTreeG[int32]
	stationTree  rtree.RTreeG[int32]
	buildingTree rtree.RTreeG[int32]

	codesOnce sync.Once // csvCodes, built on first batch
	codes     *gridCodes

	hugeBytes int64 // bytes moved out of the Go heap into huge pages
	// base is the index whose structures a WithCity index shares: kept
	// reachable, so that its huge pages are not freed under this one.
	base *Index
}

// NewIndex builds the index of c with the default options.
func NewIndex(c *data.City) (*Index, error) { return NewIndexWith(c, IndexOptions{}) }

// NewIndexWith builds the index of c. It fails on non-finite coordinates;
// grids with empty geometry are kept in the model but can never be found.
func NewIndexWith(c *data.City, opt IndexOptions) (*Index, error) {
	if c == nil {
		return nil, errors.New("geo: nil city")
	}
	ix := &Index{city: c, MaxDistance: opt.MaxDistance}
	if ix.MaxDistance == 0 {
		ix.MaxDistance = DefaultMaxDistance
	}
	per := opt.CellsPerGrid
	if per <= 0 {
		per = 64
	}
	maxCells := opt.MaxCells
	if maxCells <= 0 {
		maxCells = 1 << 25
	}

	var gs polySet
	for i := range c.Grids {
		if err := gs.add(int32(i), c.Grids[i].Geom); err != nil {
			return nil, fmt.Errorf("geo: grid %s: %w", c.Grids[i].Code, err)
		}
	}
	var cs, ss, ds polySet
	for i := range c.Communities {
		if err := cs.add(int32(i), c.Communities[i].Geom); err != nil {
			return nil, fmt.Errorf("geo: community %s: %w", c.Communities[i].Code, err)
		}
	}
	for i := range c.Streets {
		if err := ss.add(int32(i), c.Streets[i].Geom); err != nil {
			return nil, fmt.Errorf("geo: street %s: %w", c.Streets[i].Code, err)
		}
	}
	for i := range c.Districts {
		for _, p := range c.Districts[i].Geom {
			if err := ds.add(int32(i), p); err != nil {
				return nil, fmt.Errorf("geo: district %s: %w", c.Districts[i].Code, err)
			}
		}
	}
	// The grid layer on one core, everything else on another.
	var wg sync.WaitGroup
	wg.Go(func() { ix.grids.build(&gs, per, maxCells) })
	wg.Go(func() {
		for i := 0; i < gs.len(); i++ {
			b := gs.bbox[i]
			ix.gridTree.Insert([2]float64{b[0], b[1]}, [2]float64{b[2], b[3]}, int32(i))
		}
		ix.communities.build(&cs, 16, 1<<22)
		ix.streets.build(&ss, 16, 1<<22)
		ix.districts.build(&ds, 16, 1<<22)
	})
	defer wg.Wait()

	// The hierarchy of each grid, from its record.
	pos := func(n int, code func(int) string) map[string]int32 {
		m := make(map[string]int32, n)
		for i := 0; i < n; i++ {
			if _, dup := m[code(i)]; !dup {
				m[code(i)] = int32(i)
			}
		}
		return m
	}
	cm := pos(len(c.Communities), func(i int) string { return c.Communities[i].Code })
	sm := pos(len(c.Streets), func(i int) string { return c.Streets[i].Code })
	dm := pos(len(c.Districts), func(i int) string { return c.Districts[i].Code })
	get := func(m map[string]int32, k string) int32 {
		if v, ok := m[k]; ok {
			return v
		}
		return -1
	}
	n := len(c.Grids)
	ix.gridCommunity = make([]int32, n)
	ix.gridStreet = make([]int32, n)
	ix.gridDistrict = make([]int32, n)
	for i := range c.Grids {
		g := &c.Grids[i]
		ix.gridCommunity[i] = get(cm, g.CommunityCode)
		ix.gridStreet[i] = get(sm, g.StreetCode)
		ix.gridDistrict[i] = get(dm, g.DistrictCode)
	}

	wg.Wait()
	// Bounding boxes are only needed while building (they are also kept in
	// each polygon's data run).
	ix.grids.set.bbox, ix.communities.set.bbox, ix.streets.set.bbox, ix.districts.set.bbox = nil, nil, nil, nil
	if useHugePages {
		var frees []func()
		ix.grids.cells = toHuge(ix.grids.cells, &frees)
		ix.grids.cand = toHuge(ix.grids.cand, &frees)
		ix.grids.set.data = toHuge(ix.grids.set.data, &frees)
		ix.hugeBytes = int64(len(ix.grids.cells)+len(ix.grids.cand))*4 + int64(len(ix.grids.set.data))*8
		if len(frees) == 0 {
			ix.hugeBytes = 0
		}
		if len(frees) > 0 {
			runtime.AddCleanup(ix, func(fs []func()) {
				for _, f := range fs {
					f()
				}
			}, frees)
		}
	}

	for i := range c.Stations {
		p := c.Stations[i].Point
		if finite(p) {
			ix.stationTree.Insert(p, p, int32(i))
		}
	}
	for i := range c.Buildings {
		p := c.Buildings[i].Entrance
		if finite(p) && p != (orb.Point{}) {
			ix.buildingTree.Insert(p, p, int32(i))
		}
	}
	return ix, nil
}

// useHugePages moves the large lookup arrays of an index into transparent
// huge pages (see hugeAlloc); tests may turn it off to compare.
var useHugePages = true

// toHuge copies s into huge-page memory when it is large (≥ 4 MiB) and the
// mapping succeeds, adding the unmapping to frees; otherwise it returns s.
func toHuge[T uint32 | float64](s []T, frees *[]func()) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(s)*size < 4<<20 {
		return s
	}
	b, free := hugeAlloc(len(s) * size)
	if b == nil {
		return s
	}
	h := unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(s))
	copy(h, s)
	*frees = append(*frees, free)
	return h
}

// City returns the city the index was built from. Callers must not modify it.
func (ix *Index) City() *data.City { return ix.city }

// WithCity returns the index over c, a city with the same geometry as the
// indexed one in the same order (its grids, communities, streets,
// districts, stations and buildings), such as the city after an edit of
// its people records: the spatial structures are shared, not rebuilt.
func (ix *Index) WithCity(c *data.City) *Index {
	return &Index{city: c, MaxDistance: ix.MaxDistance, grids: ix.grids, communities: ix.communities, streets: ix.streets,
		districts: ix.districts, gridCommunity: ix.gridCommunity, gridStreet: ix.gridStreet, gridDistrict: ix.gridDistrict,
		gridTree: ix.gridTree, stationTree: ix.stationTree, buildingTree: ix.buildingTree, hugeBytes: ix.hugeBytes, base: ix.root()}
}

func (ix *Index) root() *Index {
	for ix.base != nil {
		ix = ix.base
	}
	return ix
}

// Locate finds the grid containing the WGS84 point p, as described in the
// package documentation, reaching up to ix.MaxDistance for a nearest grid.
func (ix *Index) Locate(p orb.Point) Result { return ix.LocateWithin(p, ix.MaxDistance) }

// LocateGCJ02 is Locate for a point given in GCJ-02.
func (ix *Index) LocateGCJ02(p orb.Point) Result {
	if !finite(p) {
		return noResult
	}
	return ix.Locate(GCJ02ToWGS84(p))
}

var noResult = Result{Grid: -1, Nearest: -1, Match: MatchNone, Community: -1, Street: -1, District: -1}

// LocateWithin is Locate with a reach of maxM metres for a nearest answer
// (none when maxM < 0).
func (ix *Index) LocateWithin(p orb.Point, maxM float64) Result {
	x, y := p[0], p[1]
	if g := ix.grids.locate(x, y); g >= 0 {
		return Result{Grid: int(g), Nearest: int(g), Match: MatchInside,
			Community: int(ix.gridCommunity[g]), Street: int(ix.gridStreet[g]), District: int(ix.gridDistrict[g])}
	}
	if !finite(p) || x < -180 || x > 180 || y < -90 || y > 90 {
		return noResult
	}
	return ix.outside(p, maxM)
}

// outside answers for a point in no grid: the nearest grid within maxM
// metres (or within BoundaryTolerance, which counts as inside), and the
// outlines containing p.
func (ix *Index) outside(p orb.Point, maxM float64) Result {
	r := noResult
	reachDeg := BoundaryTolerance
	if maxM > 0 {
		_, mlat := MetresPerDegree(p[1])
		reachDeg = math.Max(reachDeg, maxM/mlat)
	}
	poly, bestD := ix.nearestGrid(p, reachDeg)
	if poly < 0 {
		goto areas
	}
	if g := ix.grids.set.id[poly]; bestD <= BoundaryTolerance {
		return Result{Grid: int(g), Nearest: int(g), Match: MatchInside,
			Community: int(ix.gridCommunity[g]), Street: int(ix.gridStreet[g]), District: int(ix.gridDistrict[g])}
	}
	if maxM > 0 {
		q := closestOnPoly(&ix.grids.set, int(poly), p)
		if d := Distance(p, q); d <= maxM {
			r.Nearest, r.Match, r.DistanceM = int(ix.grids.set.id[poly]), MatchNearest, d
		}
	}
areas:
	r.Community = int(ix.communities.locate(p[0], p[1]))
	r.Street = int(ix.streets.locate(p[0], p[1]))
	r.District = int(ix.districts.locate(p[0], p[1]))
	return r
}

// nearestGrid returns the grid polygon whose boundary is nearest to p in a
// local equirectangular metric (degrees of latitude), if within reach; ties
// go to the lower polygon number.
func (ix *Index) nearestGrid(p orb.Point, reach float64) (int32, float64) {
	kx := math.Cos(p[1] * math.Pi / 180)
	best, bestD := int32(-1), math.Inf(1)
	s := &ix.grids.set
	ix.gridTree.Search([2]float64{p[0] - reach/math.Max(kx, 1e-6), p[1] - reach}, [2]float64{p[0] + reach/math.Max(kx, 1e-6), p[1] + reach},
		func(_, _ [2]float64, id int32) bool {
			d := s.distance(int(id), p, kx)
			if d < bestD || (d == bestD && id < best) {
				best, bestD = id, d
			}
			return true
		})
	if bestD > reach {
		return -1, bestD
	}
	return best, bestD
}

// NearestStations returns up to k stations nearest to p, nearest first.
func (ix *Index) NearestStations(p orb.Point, k int) []Hit {
	return nearest(&ix.stationTree, p, k, func(i int32) orb.Point { return ix.city.Stations[i].Point })
}

// NearestStation returns the station nearest to p, as NearestStations(p,
// 1) would, without allocating; false when there is none.
func (ix *Index) NearestStation(p orb.Point) (Hit, bool) {
	tr := &ix.stationTree
	if !finite(p) || tr.Len() == 0 {
		return Hit{}, false
	}
	kx := math.Cos(p[1] * math.Pi / 180)
	var best Hit
	found := false
	tr.Nearby(func(mn, mx [2]float64, _ int32, _ bool) float64 {
		dx := math.Max(0, math.Max(mn[0]-p[0], p[0]-mx[0])) * kx
		dy := math.Max(0, math.Max(mn[1]-p[1], p[1]-mx[1]))
		return dx*dx + dy*dy
	}, func(_, _ [2]float64, id int32, _ float64) bool {
		best, found = Hit{Index: int(id), DistanceM: Distance(p, ix.city.Stations[id].Point)}, true
		return false
	})
	return best, found
}

// NearestBuildings returns up to k buildings whose entrances are nearest to
// p, nearest first.
func (ix *Index) NearestBuildings(p orb.Point, k int) []Hit {
	return nearest(&ix.buildingTree, p, k, func(i int32) orb.Point { return ix.city.Buildings[i].Entrance })
}

func nearest(tr *rtree.RTreeG[int32], p orb.Point, k int, at func(int32) orb.Point) []Hit {
	if k <= 0 || !finite(p) || tr.Len() == 0 {
		return nil
	}
	kx := math.Cos(p[1] * math.Pi / 180)
	out := make([]Hit, 0, min(k, tr.Len()))
	tr.Nearby(func(mn, mx [2]float64, _ int32, _ bool) float64 {
		dx := math.Max(0, math.Max(mn[0]-p[0], p[0]-mx[0])) * kx
		dy := math.Max(0, math.Max(mn[1]-p[1], p[1]-mx[1]))
		return dx*dx + dy*dy
	}, func(_, _ [2]float64, id int32, _ float64) bool {
		out = append(out, Hit{Index: int(id), DistanceM: Distance(p, at(id))})
		return len(out) < k
	})
	slices.SortStableFunc(out, func(a, b Hit) int {
		if a.DistanceM != b.DistanceM {
			if a.DistanceM < b.DistanceM {
				return -1
			}
			return 1
		}
		return a.Index - b.Index
	})
	return out
}

// MemoryBytes estimates the memory held by the point-location structures
// (cells, candidate lists and flattened polygons of every layer), not
// counting the City itself or the R-trees.
func (ix *Index) MemoryBytes() int64 {
	return ix.grids.bytes() + ix.communities.bytes() + ix.streets.bytes() + ix.districts.bytes() +
		int64(len(ix.gridCommunity)+len(ix.gridStreet)+len(ix.gridDistrict))*4
}

// IndexStats describes the grid layer of an index.
type IndexStats struct {
	Grids       int // polygons indexed
	Cells       int // cells allocated (in occupied blocks)
	FullCells   int // cells answered without a polygon test
	EmptyCells  int // allocated cells touching no grid
	MixedCells  int // cells that need a polygon test
	Candidates  int // total candidates over mixed cells
	MemoryBytes int64
	// HugePageBytes is the part of MemoryBytes held outside the Go heap in
	// transparent huge pages (large indexes on Linux), freed with the Index.
	HugePageBytes int64
}

// Stats reports the shape of the grid layer.
func (ix *Index) Stats() IndexStats {
	st := IndexStats{Grids: ix.grids.set.len(), Cells: len(ix.grids.cells), MemoryBytes: ix.MemoryBytes(), HugePageBytes: ix.hugeBytes}
	for _, v := range ix.grids.cells {
		switch {
		case v == emptyCell:
			st.EmptyCells++
		case v&mixedBit == 0:
			st.FullCells++
		default:
			st.MixedCells++
			st.Candidates += int(ix.grids.cand[v&^mixedBit])
		}
	}
	return st
}

// Live holds the current Index. Readers Load it without blocking; a rebuild
// builds a new Index aside and Stores it in one atomic step, so no reader
// ever sees half an index. The zero value holds no index.
type Live struct{ p atomic.Pointer[Index] }

// Load returns the current index, or nil before the first Store.
func (l *Live) Load() *Index { return l.p.Load() }

// Store makes ix the current index.
func (l *Live) Store(ix *Index) { l.p.Store(ix) }

// Rebuild builds an index of c and swaps it in; on error the current index
// stays.
func (l *Live) Rebuild(c *data.City, opt IndexOptions) (*Index, error) {
	ix, err := NewIndexWith(c, opt)
	if err != nil {
		return nil, err
	}
	l.p.Store(ix)
	return ix, nil
}

func finite(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
}

// ---- flattened polygons ----

// polySet holds polygons flattened for cache-friendly exact tests: each
// polygon is one run of data, [minX minY maxX maxY id nrings, then per ring
// npts x0 y0 x1 y1 ...], so a test touches a few adjacent cache lines. Each
// polygon carries the id of the feature it belongs to (a district's
// multipolygon gives several polygons with one id).
type polySet struct {
	data []float64
	off  []uint32 // polygon i starts at data[off[i]]
	bbox [][4]float64
	id   []int32
}

func (s *polySet) len() int { return len(s.id) }

func (s *polySet) add(id int32, p orb.Polygon) error {
	bb := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	var rings []orb.Ring
	for ri, r := range p {
		if len(r) < 3 {
			if ri == 0 {
				return nil // empty or degenerate exterior: nothing can be inside
			}
			continue
		}
		for _, q := range r {
			if !finite(q) {
				return fmt.Errorf("non-finite coordinate %v", q)
			}
			bb[0], bb[1] = math.Min(bb[0], q[0]), math.Min(bb[1], q[1])
			bb[2], bb[3] = math.Max(bb[2], q[0]), math.Max(bb[3], q[1])
		}
		rings = append(rings, r)
	}
	if len(rings) == 0 {
		return nil
	}
	if len(s.data) > math.MaxUint32-1<<20 {
		return errors.New("too many vertices for one index")
	}
	s.off = append(s.off, uint32(len(s.data)))
	s.data = append(s.data, bb[0], bb[1], bb[2], bb[3], float64(id), float64(len(rings)))
	for _, r := range rings {
		s.data = append(s.data, float64(len(r)))
		for _, q := range r {
			s.data = append(s.data, q[0], q[1])
		}
	}
	s.bbox = append(s.bbox, bb)
	s.id = append(s.id, id)
	return nil
}

// rings calls f with each ring of polygon i.
func (s *polySet) rings(i int, f func(pts []orb.Point)) {
	d := s.data[s.off[i]:]
	k := 6
	for nr := int(d[5]); nr > 0; nr-- {
		n := int(d[k])
		f(unsafe.Slice((*orb.Point)(unsafe.Pointer(&d[k+1])), n))
		k += 1 + 2*n
	}
}

// containsAt is the half-open even-odd test of the package documentation
// for the polygon starting at data[off]; it returns the polygon's feature
// id, or -1.
func (s *polySet) containsAt(off uint32, x, y float64) int32 {
	d := s.data[off:]
	if !(x >= d[0] && x <= d[2] && y >= d[1] && y <= d[3]) {
		return -1
	}
	in := false
	k := 6
	for nr := int(d[5]); nr > 0; nr-- {
		n := int(d[k])
		pts := unsafe.Slice((*orb.Point)(unsafe.Pointer(&d[k+1])), n)
		k += 1 + 2*n
		a := pts[n-1]
		for _, c := range pts {
			if (a[1] > y) != (c[1] > y) {
				lo, hi := a, c
				if lo[1] > hi[1] {
					lo, hi = hi, lo
				}
				// p strictly left of the upward edge lo→hi.
				if (hi[0]-lo[0])*(y-lo[1]) > (x-lo[0])*(hi[1]-lo[1]) {
					in = !in
				}
			}
			a = c
		}
	}
	if in {
		return int32(d[4])
	}
	return -1
}

// distance returns the distance from p to the boundary of polygon i in a
// local equirectangular metric: degrees of latitude, longitude scaled by kx.
func (s *polySet) distance(i int, p orb.Point, kx float64) float64 {
	_, d := s.closest(i, p, kx)
	return d
}

// closest returns the point of polygon i's boundary nearest to p and its
// distance in the metric of distance.
func (s *polySet) closest(i int, p orb.Point, kx float64) (orb.Point, float64) {
	best, bq := math.Inf(1), p
	s.rings(i, func(pts []orb.Point) {
		a := pts[len(pts)-1]
		for _, c := range pts {
			q := closestOnSeg(a, c, p, kx)
			dx, dy := (q[0]-p[0])*kx, q[1]-p[1]
			if d := dx*dx + dy*dy; d < best {
				best, bq = d, q
			}
			a = c
		}
	})
	return bq, math.Sqrt(best)
}

func closestOnPoly(s *polySet, i int, p orb.Point) orb.Point {
	q, _ := s.closest(i, p, math.Cos(p[1]*math.Pi/180))
	return q
}

func closestOnSeg(a, b, p orb.Point, kx float64) orb.Point {
	dx, dy := (b[0]-a[0])*kx, b[1]-a[1]
	l := dx*dx + dy*dy
	if l == 0 {
		return a
	}
	t := (((p[0] - a[0]) * kx * dx) + (p[1]-a[1])*dy) / l
	switch {
	case t <= 0:
		return a
	case t >= 1:
		return b
	}
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}

// ---- rasterised cell index ----

const (
	blockShift = 3 // blocks of 8×8 cells
	blockSide  = 1 << blockShift
	blockMask  = blockSide - 1
	blockCells = blockSide * blockSide
	superShift = 4 // super-blocks of 16×16 blocks (128×128 cells)
	superMask  = 1<<superShift - 1
	superCells = blockShift + superShift // log2 of a super-block's side in cells

	emptyCell = ^uint32(0)
	mixedBit  = uint32(1) << 31
)

// cellIndex rasterises a polySet into a uniform grid of cells, stored in
// 8×8 blocks of which only those under some polygon's bounding box are
// allocated, found through 16×16-block super-blocks (also allocated only
// where needed), so a country of scattered cities costs little more than
// its urban area. A cell holds emptyCell, a feature id (the cell lies wholly
// inside one polygon of that feature and no boundary comes near it), or
// mixedBit|offset of a candidate list in cand: a count followed by the data
// offsets of the polygons, in ascending polygon order.
type cellIndex struct {
	set        polySet
	minX, minY float64
	invW, invH float64 // cells per degree
	fnx, fny   float64
	nx, ny     int
	sx         int     // super-blocks across
	top        []int32 // super-block → its first entry in mid, or -1
	mid        []int32 // 16×16 block numbers per super-block, or -1
	cells      []uint32
	cand       []uint32
}

func (c *cellIndex) bytes() int64 {
	s := &c.set
	return int64(len(c.top)+len(c.mid))*4 + int64(len(c.cells))*4 + int64(len(c.cand))*4 +
		int64(len(s.data))*8 + int64(len(s.off)+len(s.id))*4 + int64(len(s.bbox))*32
}

// locate returns the feature id of the polygon containing (x, y), or -1.
func (c *cellIndex) locate(x, y float64) int32 {
	fx, fy := (x-c.minX)*c.invW, (y-c.minY)*c.invH
	if !(fx >= 0 && fx < c.fnx && fy >= 0 && fy < c.fny) {
		return -1
	}
	ix, iy := int(fx), int(fy)
	sb := c.top[(iy>>superCells)*c.sx+ix>>superCells]
	if sb < 0 {
		return -1
	}
	b := c.mid[int(sb)+(iy>>blockShift&superMask)<<superShift+ix>>blockShift&superMask]
	if b < 0 {
		return -1
	}
	v := c.cells[int(b)<<(2*blockShift)+(iy&blockMask)<<blockShift+ix&blockMask]
	if v&mixedBit == 0 {
		return int32(v) // a feature id
	}
	if v == emptyCell {
		return -1
	}
	off := int(v &^ mixedBit)
	n := int(c.cand[off])
	for _, po := range c.cand[off+1 : off+1+n] {
		if id := c.set.containsAt(po, x, y); id >= 0 {
			return id
		}
	}
	return -1
}

func (c *cellIndex) build(s *polySet, perPoly, maxCells int) {
	c.set = *s
	n := s.len()
	if n == 0 {
		return
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	var sumW, sumH float64
	for _, b := range s.bbox {
		minX, minY = math.Min(minX, b[0]), math.Min(minY, b[1])
		maxX, maxY = math.Max(maxX, b[2]), math.Max(maxY, b[3])
		sumW += b[2] - b[0]
		sumH += b[3] - b[1]
	}
	// Cells of about 1/sqrt(perPoly) of an average polygon's bounding box,
	// coarsened until the cells under the polygons fit maxCells.
	avgW, avgH := sumW/float64(n), sumH/float64(n)
	if avgW <= 0 {
		avgW = math.Max(maxX-minX, 1e-9)
	}
	if avgH <= 0 {
		avgH = math.Max(maxY-minY, 1e-9)
	}
	k := math.Sqrt(float64(perPoly))
	if t := float64(n * perPoly); t < 1<<16 { // small layers: at least 64Ki cells
		k *= math.Sqrt(float64(1<<16) / t)
	}
	cw, ch := avgW/k, avgH/k
	for {
		nx, ny := (maxX-minX)/cw+1, (maxY-minY)/ch+1
		if nx < 1<<24 && ny < 1<<24 && (nx/(1<<superCells)+1)*(ny/(1<<superCells)+1) < 1<<24 &&
			occupiedBlocks(s.bbox, minX, minY, cw, ch)*blockCells <= maxCells {
			break
		}
		cw, ch = cw*1.2, ch*1.2
	}
	c.minX, c.minY = minX, minY
	c.invW, c.invH = 1/cw, 1/ch
	c.nx = int((maxX-minX)*c.invW) + 1
	c.ny = int((maxY-minY)*c.invH) + 1
	const sm = 1<<superCells - 1
	c.nx = (c.nx + sm) &^ sm
	c.ny = (c.ny + sm) &^ sm
	c.fnx, c.fny = float64(c.nx), float64(c.ny)
	c.sx = c.nx >> superCells
	c.top = make([]int32, c.sx*(c.ny>>superCells))
	for i := range c.top {
		c.top[i] = -1
	}
	c.mid = c.mid[:0]

	// Allocate the blocks under every polygon's bounding box.
	nb := int32(0)
	for i := range s.bbox {
		x0, y0, x1, y1 := c.cellRange(s.bbox[i], cellMargin)
		for by := y0 >> blockShift; by <= y1>>blockShift; by++ {
			for bx := x0 >> blockShift; bx <= x1>>blockShift; bx++ {
				t := &c.top[(by>>superShift)*c.sx+bx>>superShift]
				if *t < 0 {
					*t = int32(len(c.mid))
					for k := 0; k < 1<<(2*superShift); k++ {
						c.mid = append(c.mid, -1)
					}
				}
				if m := &c.mid[int(*t)+(by&superMask)<<superShift+bx&superMask]; *m < 0 {
					*m = nb
					nb++
				}
			}
		}
	}
	ncell := int(nb) * blockCells

	// Two passes over every polygon's cells: count, then fill (CSR).
	// Entries are polygon numbers, with mixedBit set where a boundary
	// crosses the cell.
	count := make([]uint32, ncell+1)
	var r raster
	for i := 0; i < n; i++ {
		r.run(c, s, i, func(cell int, _ bool) { count[cell]++ })
	}
	start := make([]uint32, ncell+1)
	var sum uint32
	for i := 0; i < ncell; i++ {
		start[i] = sum
		sum += count[i]
	}
	start[ncell] = sum
	entries := make([]uint32, sum)
	fill := count[:ncell]
	copy(fill, start[:ncell])
	for i := 0; i < n; i++ {
		r.run(c, s, i, func(cell int, mixed bool) {
			v := uint32(i)
			if mixed {
				v |= mixedBit
			}
			entries[fill[cell]] = v
			fill[cell]++
		})
	}

	c.cells = make([]uint32, ncell)
	c.cand = c.cand[:0]
	for cell := 0; cell < ncell; cell++ {
		e := entries[start[cell]:start[cell+1]]
		switch {
		case len(e) == 0:
			c.cells[cell] = emptyCell
		case len(e) == 1 && e[0]&mixedBit == 0:
			c.cells[cell] = uint32(s.id[e[0]])
		default:
			// Polygons were visited in order, so e is ascending.
			c.cells[cell] = mixedBit | uint32(len(c.cand))
			c.cand = append(c.cand, uint32(len(e)))
			for _, v := range e {
				c.cand = append(c.cand, s.off[v&^mixedBit])
			}
		}
	}
	c.cand = slices.Clip(c.cand)
}

// occupiedBlocks counts the blocks of cells under some bounding box for
// cells of cw×ch degrees from (minX, minY).
func occupiedBlocks(bbox [][4]float64, minX, minY, cw, ch float64) int {
	bw, bh := cw*blockSide, ch*blockSide
	nbx := int((bbox[0][2]-minX)/bw) + 2
	for _, b := range bbox {
		nbx = max(nbx, int((b[2]-minX)/bw)+2)
	}
	seen := map[int]struct{}{}
	for _, b := range bbox {
		for y := int((b[1] - minY) / bh); y <= int((b[3]-minY)/bh); y++ {
			for x := int((b[0] - minX) / bw); x <= int((b[2]-minX)/bw); x++ {
				seen[y*nbx+x] = struct{}{}
			}
		}
	}
	return len(seen)
}

// cellRange returns the inclusive cell range under a box grown by margin
// cells, clamped to the index.
func (c *cellIndex) cellRange(b [4]float64, margin float64) (x0, y0, x1, y1 int) {
	clamp := func(v float64, n int) int {
		if v < 0 {
			return 0
		}
		if v >= float64(n) {
			return n - 1
		}
		return int(v)
	}
	x0 = clamp((b[0]-c.minX)*c.invW-margin, c.nx)
	x1 = clamp((b[2]-c.minX)*c.invW+margin, c.nx)
	y0 = clamp((b[1]-c.minY)*c.invH-margin, c.ny)
	y1 = clamp((b[3]-c.minY)*c.invH+margin, c.ny)
	return
}

func (c *cellIndex) cellID(x, y int) int {
	sb := int(c.top[(y>>superCells)*c.sx+x>>superCells])
	b := int(c.mid[sb+(y>>blockShift&superMask)<<superShift+x>>blockShift&superMask])
	return b<<(2*blockShift) + (y&blockMask)<<blockShift + x&blockMask
}

// cellMargin is how far, in cells, a boundary counts as touching a cell;
// it covers rounding in the cell arithmetic of locate.
const cellMargin = 1e-6

// raster enumerates the cells of one polygon: those its boundary touches
// (mixed) and those wholly inside it. Scratch space is reused.
type raster struct {
	mark []bool
	rows [][]float64
}

func (r *raster) run(c *cellIndex, s *polySet, i int, emit func(cell int, mixed bool)) {
	x0, y0, x1, y1 := c.cellRange(s.bbox[i], cellMargin)
	w, h := x1-x0+1, y1-y0+1
	if cap(r.mark) < w*h {
		r.mark = make([]bool, w*h)
	}
	mark := r.mark[:w*h]
	clear(mark)
	if cap(r.rows) < h {
		r.rows = make([][]float64, h)
	}
	rows := r.rows[:h]
	for j := range rows {
		rows[j] = rows[j][:0]
	}
	s.rings(i, func(pts []orb.Point) {
		a := pts[len(pts)-1]
		for _, b := range pts {
			// Cell-space coordinates of the edge.
			ax, ay := (a[0]-c.minX)*c.invW, (a[1]-c.minY)*c.invH
			bx, by := (b[0]-c.minX)*c.invW, (b[1]-c.minY)*c.invH
			// Mark the cells the edge passes within cellMargin of.
			cx0 := max(int(math.Floor(math.Min(ax, bx)-cellMargin)), x0)
			cx1 := min(int(math.Floor(math.Max(ax, bx)+cellMargin)), x1)
			cy0 := max(int(math.Floor(math.Min(ay, by)-cellMargin)), y0)
			cy1 := min(int(math.Floor(math.Max(ay, by)+cellMargin)), y1)
			ex, ey := bx-ax, by-ay
			for cy := cy0; cy <= cy1; cy++ {
				for cx := cx0; cx <= cx1; cx++ {
					if mark[(cy-y0)*w+cx-x0] {
						continue
					}
					// The edge's line separates the grown cell's corners?
					lx, ly := float64(cx)-cellMargin, float64(cy)-cellMargin
					hx, hy := float64(cx+1)+cellMargin, float64(cy+1)+cellMargin
					s1 := ex*(ly-ay) - ey*(lx-ax)
					s2 := ex*(ly-ay) - ey*(hx-ax)
					s3 := ex*(hy-ay) - ey*(lx-ax)
					s4 := ex*(hy-ay) - ey*(hx-ax)
					if (s1 > 0 && s2 > 0 && s3 > 0 && s4 > 0) || (s1 < 0 && s2 < 0 && s3 < 0 && s4 < 0) {
						continue
					}
					mark[(cy-y0)*w+cx-x0] = true
				}
			}
			// Crossings of the edge with the rows' centre lines, computed
			// in degrees exactly as contains does.
			if a[1] != b[1] {
				lo, hi := a, b
				if lo[1] > hi[1] {
					lo, hi = hi, lo
				}
				ry0 := max(int(math.Floor((lo[1]-c.minY)*c.invH-0.5))-1, y0)
				ry1 := min(int(math.Ceil((hi[1]-c.minY)*c.invH-0.5))+1, y1)
				for cy := ry0; cy <= ry1; cy++ {
					yc := c.minY + (float64(cy)+0.5)/c.invH
					if (lo[1] > yc) != (hi[1] > yc) {
						rows[cy-y0] = append(rows[cy-y0], lo[0]+(yc-lo[1])*(hi[0]-lo[0])/(hi[1]-lo[1]))
					}
				}
			}
			a = b
		}
	})
	for cy := y0; cy <= y1; cy++ {
		xs := rows[cy-y0]
		slices.Sort(xs)
		k := 0
		for cx := x0; cx <= x1; cx++ {
			id := c.cellID(cx, cy)
			if mark[(cy-y0)*w+cx-x0] {
				emit(id, true)
				continue
			}
			xc := c.minX + (float64(cx)+0.5)/c.invW
			for k < len(xs) && xs[k] <= xc {
				k++
			}
			// Crossings right of the centre: odd means inside.
			if (len(xs)-k)%2 == 1 {
				emit(id, false)
			}
		}
	}
}
