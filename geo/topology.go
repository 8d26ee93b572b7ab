package geo

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"
	"github.com/tidwall/rtree"
)

// The topology checks behind `gridmap validate` and `gridmap import`. They
// recompute everything from the geometry and the codes and trust none of
// the generator's bookkeeping (stored totals, Seq numbers, City indexes).
//
// Areas for the tolerance tests are planar areas in degrees² computed about
// each ring's first vertex, so they are additive over an exact partition to
// ~1e-14 relative and agree with the planar overlay of simplefeatures.
// Areas quoted to people (Detail, Stats) are in m² and km².
//
// Spatial predicates are decided by simplefeatures (its JTS port), after
// fast paths that prove the common cases in plain float arithmetic: a child
// whose edges are its parent's edges or keep 1e-9° (≈0.1 mm) clear of the
// parent's boundary lies inside it; siblings whose unshared edges keep
// clear of each other lie outside each other. Anything closer than the
// margin, and every failure, goes to simplefeatures. On the 1,230-grid demo
// city this takes ValidateCity from ~0.33 s to ~0.15 s of CPU.

// Check names used in Problem.Check.
const (
	CheckCount     = "count"     // a layer's feature count differs from ValidateOptions.Expect
	CheckGeometry  = "geometry"  // invalid polygon or point (see ValidPolygon)
	CheckDuplicate = "duplicate" // two features of a layer share a code
	CheckCode      = "code"      // code not of the layer's pattern, or not extending its parent's code
	CheckParent    = "parent"    // parent reference empty or unknown
	CheckHierarchy = "hierarchy" // a hierarchy field disagrees with the parent's
	CheckNesting   = "nesting"   // a feature does not lie inside its parent
	CheckOverlap   = "overlap"   // two siblings overlap, or children's areas exceed their parent's
	CheckGap       = "gap"       // children do not cover their parent
	CheckBuildings = "buildings" // a grid has no building
	CheckHead      = "head"      // a grid has no head (网格长)
	CheckTotals    = "totals"    // a grid's stored totals disagree with its buildings
	CheckInternal  = "internal"  // a check could not be evaluated
)

// DefaultRelTol is the relative area tolerance of the partition checks.
const DefaultRelTol = 1e-9

// Reasons ValidPolygon rejects a polygon; test them with errors.Is.
var (
	ErrEmptyPolygon     = errors.New("empty polygon")
	ErrShortRing        = errors.New("ring has fewer than 4 points")
	ErrOpenRing         = errors.New("ring not closed")
	ErrNonFinite        = errors.New("NaN or Inf coordinate")
	ErrOutOfRange       = errors.New("coordinate out of range")
	ErrSelfIntersection = errors.New("self-intersecting ring")
	ErrRings            = errors.New("invalid ring arrangement")
	ErrZeroArea         = errors.New("zero area")
	ErrOrientation      = errors.New("wrong ring orientation")
)

// Problem is one defect found by a check.
type Problem struct {
	Check  string `json:"check"`
	Layer  string `json:"layer"`
	Code   string `json:"code,omitempty"`
	Other  string `json:"other,omitempty"` // the other feature involved (parent, sibling, duplicate)
	Detail string `json:"detail"`
}

func (p Problem) String() string {
	s := p.Check + " " + p.Layer
	if p.Code != "" {
		s += " " + p.Code
	}
	if p.Other != "" {
		s += " (" + p.Other + ")"
	}
	return s + ": " + p.Detail
}

// Stats are figures gathered while checking.
type Stats struct {
	ElapsedMS float64 `json:"elapsed_ms"`
	// AreaKm2 is the summed spherical area of the valid polygons per layer.
	AreaKm2 map[string]float64 `json:"area_km2"`
	// PairsTested counts sibling pairs whose bounding boxes overlap and whose
	// interiors were therefore tested for overlap.
	PairsTested int `json:"pairs_tested"`
	// Partitions counts parents whose children were checked for gaps.
	Partitions int `json:"partitions"`
	// MaxCoverResidual is the largest |1 − Σ child area / parent area| over
	// the checked partitions: how exact the partition is.
	MaxCoverResidual float64 `json:"max_cover_residual"`
}

// Report is the outcome of ValidateCity. OK is true when Problems is empty.
type Report struct {
	OK       bool           `json:"ok"`
	Counts   map[string]int `json:"counts"`
	Problems []Problem      `json:"problems"`
	Stats    Stats          `json:"stats"`
}

// ValidateOptions tune ValidateCity. The zero value checks everything with
// DefaultRelTol on all CPUs and expects no particular counts.
type ValidateOptions struct {
	// Expect maps a layer name (data.LayerGrids …) to its expected count.
	Expect map[string]int
	// RelTol is the relative area tolerance; 0 means DefaultRelTol.
	RelTol float64
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
}

// ValidPolygon reports why p is not a valid area of the model, or nil: every
// ring closed with at least 4 points, coordinates finite and within
// lon [-180, 180], lat [-90, 90], rings simple (no bowtie) and validly
// arranged (OGC rules, checked by simplefeatures), non-zero area, exterior
// counter-clockwise and holes clockwise (RFC 7946).
func ValidPolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return ErrEmptyPolygon
	}
	for i, r := range p {
		if err := checkRing(r); err != nil {
			return fmt.Errorf("ring %d: %w", i, err)
		}
	}
	sp := sfPolygon(p)
	if err := sp.Validate(); err != nil {
		// Tell a self-intersecting ring from a bad arrangement of rings.
		for i := 0; i < sp.NumRings(); i++ {
			ring := sp.ExteriorRing()
			if i > 0 {
				ring = sp.InteriorRingN(i - 1)
			}
			if !ring.IsSimple() {
				return fmt.Errorf("ring %d: %w", i, ErrSelfIntersection)
			}
		}
		return fmt.Errorf("%w: %v", ErrRings, err)
	}
	for i, r := range p {
		a := ringArea2(r)
		switch {
		case a == 0:
			return fmt.Errorf("ring %d: %w", i, ErrZeroArea)
		case i == 0 && a < 0:
			return fmt.Errorf("exterior ring clockwise: %w", ErrOrientation)
		case i > 0 && a > 0:
			return fmt.Errorf("hole %d counter-clockwise: %w", i, ErrOrientation)
		}
	}
	return nil
}

func checkRing(r orb.Ring) error {
	for j, pt := range r {
		if err := checkPoint(pt); err != nil {
			return fmt.Errorf("point %d: %w", j, err)
		}
	}
	if len(r) < 4 {
		return fmt.Errorf("%w (has %d)", ErrShortRing, len(r))
	}
	if r[0] != r[len(r)-1] {
		return fmt.Errorf("%w: first %v, last %v", ErrOpenRing, r[0], r[len(r)-1])
	}
	return nil
}

func checkPoint(pt orb.Point) error {
	for _, v := range pt {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %v", ErrNonFinite, pt)
		}
	}
	if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
		return fmt.Errorf("%w: %v", ErrOutOfRange, pt)
	}
	return nil
}

// ringArea2 is the signed planar area of r in degrees², positive when
// counter-clockwise, computed about r[0] to avoid cancellation. It accepts
// closed and unclosed rings.
func ringArea2(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	x0, y0 := r[0][0], r[0][1]
	var s float64
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s / 2
}

// polyArea2 is the planar area of a valid polygon in degrees².
func polyArea2(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := math.Abs(ringArea2(p[0]))
	for _, h := range p[1:] {
		a -= math.Abs(ringArea2(h))
	}
	return a
}

// geomArea2 is the planar area in degrees² of the polygons in g, computed
// like ringArea2: geom's own Area sums products of absolute coordinates,
// whose rounding (~1e-14 deg² at lon 117) is 1e-9 of a grid.
func geomArea2(g geom.Geometry) float64 {
	switch g.Type() {
	case geom.TypePolygon:
		return sfPolygonArea2(g.MustAsPolygon())
	case geom.TypeMultiPolygon:
		mp := g.MustAsMultiPolygon()
		var a float64
		for i := 0; i < mp.NumPolygons(); i++ {
			a += sfPolygonArea2(mp.PolygonN(i))
		}
		return a
	case geom.TypeGeometryCollection:
		gc := g.MustAsGeometryCollection()
		var a float64
		for i := 0; i < gc.NumGeometries(); i++ {
			a += geomArea2(gc.GeometryN(i))
		}
		return a
	}
	return 0
}

func sfPolygonArea2(p geom.Polygon) float64 {
	if p.IsEmpty() {
		return 0
	}
	a := math.Abs(sfRingArea2(p.ExteriorRing()))
	for i := 0; i < p.NumInteriorRings(); i++ {
		a -= math.Abs(sfRingArea2(p.InteriorRingN(i)))
	}
	return a
}

func sfRingArea2(ls geom.LineString) float64 {
	seq := ls.Coordinates()
	n := seq.Length()
	if n < 3 {
		return 0
	}
	o := seq.GetXY(0)
	var s float64
	a := seq.GetXY(1)
	for i := 2; i < n; i++ {
		b := seq.GetXY(i)
		s += (a.X-o.X)*(b.Y-o.Y) - (b.X-o.X)*(a.Y-o.Y)
		a = b
	}
	return s / 2
}

func sfPolygon(p orb.Polygon) geom.Polygon {
	rings := make([]geom.LineString, len(p))
	for i, r := range p {
		xy := make([]float64, 0, 2*len(r))
		for _, pt := range r {
			xy = append(xy, pt[0], pt[1])
		}
		rings[i] = geom.NewLineString(geom.NewSequence(xy, geom.DimXY))
	}
	return geom.NewPolygon(rings)
}

// area is a polygon prepared for the checks.
type area struct {
	code string
	poly orb.Polygon
	g    geom.Geometry
	a2   float64 // planar area, degrees²
	box  orb.Bound
	ok   bool // passed ValidPolygon
}

func newArea(code string, p orb.Polygon) (*area, error) {
	ar := &area{code: code, poly: p}
	if err := ValidPolygon(p); err != nil {
		return ar, err
	}
	ar.g = sfPolygon(p).AsGeometry()
	ar.a2 = polyArea2(p)
	ar.box = p.Bound()
	ar.ok = true
	return ar, nil
}

// m2 converts a planar area in degrees² near latitude lat to m².
func m2(a2, lat float64) float64 {
	mx, my := MetresPerDegree(lat)
	return a2 * mx * my
}

func boxesOverlap(a, b orb.Bound) bool {
	// Strict: boxes that only touch cannot hold overlapping interiors.
	return a.Min[0] < b.Max[0] && b.Min[0] < a.Max[0] && a.Min[1] < b.Max[1] && b.Min[1] < a.Max[1]
}

// partitionResult is what checkChildren learned besides its problems.
type partitionResult struct {
	problems []Problem
	pairs    int
	residual float64 // |1 − Σchildren/parent|, when coverage was checked
	covered  bool    // coverage was checked
}

// checkChildren checks that every valid child lies inside parent (nesting)
// and, with partition set, that no two children overlap and together they
// cover the parent. parent.g may be a MultiPolygon.
func checkChildren(layer, parentLayer string, parent *area, children []*area, relTol float64, partition bool) partitionResult {
	var res partitionResult
	add := func(p Problem) { res.problems = append(res.problems, p) }
	lat := parent.box.Center()[1]
	outside := false

	var fast *ringEdges
	if len(parent.poly) == 1 {
		fast = newRingEdges(parent.poly[0])
	}
	var prep *geom.PreparedGeometry
	for _, ch := range children {
		if !ch.ok || fast != nil && fast.contains(ch.poly[0]) {
			continue
		}
		if prep == nil {
			p, err := geom.Prepare(parent.g)
			if err != nil {
				add(Problem{Check: CheckInternal, Layer: parentLayer, Code: parent.code, Detail: fmt.Sprintf("preparing parent: %v", err)})
				return res
			}
			prep = &p
		}
		if in, err := prep.Covers(ch.g); err == nil && in {
			continue
		}
		d, err := geom.Difference(ch.g, parent.g)
		if err != nil {
			add(Problem{Check: CheckInternal, Layer: layer, Code: ch.code, Other: parent.code, Detail: fmt.Sprintf("difference with %s %s: %v", parentLayer, parent.code, err)})
			outside = true
			continue
		}
		out := geomArea2(d)
		if out/ch.a2 <= relTol {
			continue
		}
		outside = true
		add(Problem{Check: CheckNesting, Layer: layer, Code: ch.code, Other: parent.code, Detail: fmt.Sprintf(
			"%.3g of its area (%.1f m²) lies outside %s %s%s", out/ch.a2, m2(out, lat), singular(parentLayer), parent.code, where(d))})
	}

	if !partition || parent.a2 <= 0 {
		return res
	}
	overlaps := overlapProblems(layer, children, relTol, &res.pairs)
	res.problems = append(res.problems, overlaps...)

	var sum float64
	valid := make([]geom.Geometry, 0, len(children))
	for _, ch := range children {
		if !ch.ok {
			// An invalid child is reported as such; coverage is unknowable.
			return res
		}
		sum += ch.a2
		valid = append(valid, ch.g)
	}
	res.covered = true
	rel := 1 - sum/parent.a2
	res.residual = math.Abs(rel)
	if len(overlaps) == 0 && !outside {
		// Inside the parent, pairwise disjoint interiors and equal total
		// area: the children cover the parent up to relTol.
		switch {
		case rel > relTol:
			add(Problem{Check: CheckGap, Layer: layer, Other: parent.code, Detail: fmt.Sprintf(
				"%s of %s %s cover %.12g of its area; %.1f m² uncovered%s",
				layer, singular(parentLayer), parent.code, sum/parent.a2, m2(parent.a2-sum, lat), gapWhere(parent.g, valid))})
		case rel < -relTol:
			add(Problem{Check: CheckOverlap, Layer: layer, Other: parent.code, Detail: fmt.Sprintf(
				"%s of %s %s sum to %.12g of its area", layer, singular(parentLayer), parent.code, sum/parent.a2)})
		}
		return res
	}
	// Overlaps or children outside could hide a gap in the area sum: measure
	// the uncovered part of the parent directly.
	u, err := geom.UnionMany(valid)
	if err == nil {
		var d geom.Geometry
		d, err = geom.Difference(parent.g, u)
		if err == nil {
			if g := geomArea2(d); g/parent.a2 > relTol {
				add(Problem{Check: CheckGap, Layer: layer, Other: parent.code, Detail: fmt.Sprintf(
					"%s of %s %s leave %.1f m² (%.3g of it) uncovered%s",
					layer, singular(parentLayer), parent.code, m2(g, lat), g/parent.a2, where(d))})
			}
		}
	}
	if err != nil {
		add(Problem{Check: CheckInternal, Layer: layer, Other: parent.code, Detail: fmt.Sprintf("measuring cover of %s %s: %v", singular(parentLayer), parent.code, err)})
	}
	return res
}

// overlapProblems finds the overlapping pairs among the valid areas, testing
// only pairs whose bounding boxes overlap (found with an R-tree).
func overlapProblems(layer string, areas []*area, relTol float64, pairs *int) []Problem {
	var tr rtree.RTreeG[int]
	edges := make([]*ringEdges, len(areas)) // for the fast path; nil with holes
	for i, a := range areas {
		if a.ok {
			tr.Insert(a.box.Min, a.box.Max, i)
			if len(a.poly) == 1 {
				edges[i] = newRingEdges(a.poly[0])
			}
		}
	}
	var out []Problem
	for i, a := range areas {
		if !a.ok {
			continue
		}
		tr.Search(a.box.Min, a.box.Max, func(_, _ [2]float64, j int) bool {
			b := areas[j]
			if j <= i || !boxesOverlap(a.box, b.box) {
				return true
			}
			*pairs++
			if edges[i] != nil && edges[j] != nil && disjoint(edges[i], edges[j]) {
				return true
			}
			m, err := geom.Relate(a.g, b.g)
			if err == nil && m[0] == 'F' {
				return true // interiors disjoint
			}
			var inter geom.Geometry
			if err == nil {
				inter, err = geom.Intersection(a.g, b.g)
			}
			if err != nil {
				out = append(out, Problem{Check: CheckInternal, Layer: layer, Code: a.code, Other: b.code, Detail: fmt.Sprintf("intersecting: %v", err)})
				return true
			}
			ov := geomArea2(inter)
			if ov/math.Min(a.a2, b.a2) > relTol {
				out = append(out, Problem{Check: CheckOverlap, Layer: layer, Code: a.code, Other: b.code, Detail: fmt.Sprintf(
					"overlaps %s %s by %.1f m² (%.3g of the smaller)%s", singular(layer), b.code, m2(ov, a.box.Center()[1]), ov/math.Min(a.a2, b.a2), where(inter))})
			}
			return true
		})
	}
	return out
}

func where(g geom.Geometry) string {
	env := g.Envelope()
	c, ok := env.Center().XY()
	if !ok {
		return ""
	}
	return fmt.Sprintf(" near %.6f,%.6f", c.X, c.Y)
}

func gapWhere(parent geom.Geometry, children []geom.Geometry) string {
	u, err := geom.UnionMany(children)
	if err != nil {
		return ""
	}
	d, err := geom.Difference(parent, u)
	if err != nil || d.IsEmpty() {
		return ""
	}
	return where(d)
}

func singular(layer string) string {
	switch layer {
	case data.LayerCommunities:
		return "community"
	case data.LayerReportingUnits:
		return "reporting unit"
	}
	return strings.TrimSuffix(layer, "s")
}

// ValidatePartition checks that children partition parent: each valid child
// lies inside it (CheckNesting: the part outside is at most relTol of the
// child), no two children overlap (CheckOverlap: at most relTol of the
// smaller; candidate pairs from an R-tree), and together they cover it
// (CheckGap: at most relTol of the parent uncovered). relTol 0 means
// DefaultRelTol. Children inside the parent with disjoint interiors whose
// areas sum to the parent's cover it; when some overlap or stick out, the
// uncovered part is measured from the union of the children instead, so an
// overlap cannot hide a gap. Invalid polygons are reported with
// CheckGeometry and left out of the other checks; an invalid parent gives
// a single problem. layer names the children's layer; childCodes name the
// children (missing codes are replaced by "#index").
func ValidatePartition(parent orb.Polygon, parentCode string, children []orb.Polygon, childCodes []string, layer string, relTol float64) []Problem {
	if relTol <= 0 || math.IsNaN(relTol) {
		relTol = DefaultRelTol
	}
	var probs []Problem
	par, err := newArea(parentCode, parent)
	if err != nil {
		return []Problem{{Check: CheckGeometry, Layer: layer, Code: parentCode, Detail: fmt.Sprintf("parent: %v", err)}}
	}
	kids := make([]*area, len(children))
	for i, p := range children {
		code := fmt.Sprintf("#%d", i)
		if i < len(childCodes) && childCodes[i] != "" {
			code = childCodes[i]
		}
		kids[i], err = newArea(code, p)
		if err != nil {
			probs = append(probs, Problem{Check: CheckGeometry, Layer: layer, Code: code, Detail: err.Error()})
		}
	}
	res := checkChildren(layer, "parent", par, kids, relTol, true)
	return append(probs, res.problems...)
}

// codeLen is the length of the codes of each coded layer.
var codeLen = map[string]int{
	data.LayerDistricts:   data.DistrictCodeLen,
	data.LayerStreets:     data.StreetCodeLen,
	data.LayerCommunities: data.CommunityCodeLen,
	data.LayerGrids:       data.GridCodeLen,
	data.LayerCompounds:   data.CompoundCodeLen,
	data.LayerBuildings:   data.BuildingCodeLen,
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validator carries the state of one ValidateCity run.
type validator struct {
	c       *data.City
	relTol  float64
	workers int
	probs   []Problem

	districts, streets, communities, grids, compounds map[string]int
	districtAreas                                     []*area // Geom as one MultiPolygon area
	streetAreas, communityAreas, gridAreas            []*area
	compoundAreas, buildingAreas                      []*area
}

func (v *validator) add(p Problem) { v.probs = append(v.probs, p) }

// parallel runs f(i) for i in [0, n) on v.workers goroutines and returns
// the problems of each call in index order.
func (v *validator) parallel(n int, f func(i int) []Problem) []Problem {
	res := make([][]Problem, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	w := min(v.workers, n)
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				res[i] = f(i)
			}
		}()
	}
	wg.Wait()
	var out []Problem
	for _, r := range res {
		out = append(out, r...)
	}
	return out
}

// codes indexes a layer's codes, reporting duplicates and bad patterns.
func (v *validator) codes(layer string, n int, code func(int) string) map[string]int {
	m := make(map[string]int, n)
	want := codeLen[layer]
	for i := 0; i < n; i++ {
		k := code(i)
		if k == "" {
			v.add(Problem{Check: CheckCode, Layer: layer, Detail: fmt.Sprintf("feature %d has no code", i)})
			continue
		}
		if j, dup := m[k]; dup {
			v.add(Problem{Check: CheckDuplicate, Layer: layer, Code: k, Detail: fmt.Sprintf("features %d and %d share the code", j, i)})
			continue
		}
		m[k] = i
		if want > 0 && (len(k) != want || !allDigits(k)) {
			v.add(Problem{Check: CheckCode, Layer: layer, Code: k, Detail: fmt.Sprintf("want %d digits", want)})
		}
	}
	return m
}

// parent checks one reference from a feature to its parent layer: that it
// is set and known and, when extends is set, that the feature's code
// extends the parent's code. It reports whether the parent is known.
func (v *validator) parent(layer, code, parentLayer, parentCode string, known map[string]int, extends bool) bool {
	if parentCode == "" {
		v.add(Problem{Check: CheckParent, Layer: layer, Code: code, Detail: fmt.Sprintf("no %s code", singular(parentLayer))})
		return false
	}
	if _, ok := known[parentCode]; !ok {
		v.add(Problem{Check: CheckParent, Layer: layer, Code: code, Other: parentCode, Detail: fmt.Sprintf("unknown %s %s", singular(parentLayer), parentCode)})
		return false
	}
	if extends && !strings.HasPrefix(code, parentCode) {
		v.add(Problem{Check: CheckCode, Layer: layer, Code: code, Other: parentCode, Detail: fmt.Sprintf("code does not extend its %s's code %s", singular(parentLayer), parentCode)})
	}
	return true
}

func (v *validator) agree(layer, code, field, got, want, parentLayer, parentCode string) {
	if got != want {
		v.add(Problem{Check: CheckHierarchy, Layer: layer, Code: code, Other: parentCode, Detail: fmt.Sprintf(
			"%s is %q but its %s %s has %q", field, got, singular(parentLayer), parentCode, want)})
	}
}

// areas validates the polygons of a layer in parallel.
func (v *validator) areas(layer string, n int, code func(int) string, poly func(int) orb.Polygon) []*area {
	out := make([]*area, n)
	probs := v.parallel(n, func(i int) []Problem {
		a, err := newArea(code(i), poly(i))
		out[i] = a
		if err != nil {
			return []Problem{{Check: CheckGeometry, Layer: layer, Code: code(i), Detail: err.Error()}}
		}
		return nil
	})
	v.probs = append(v.probs, probs...)
	return out
}

// ValidateCity runs every check on c and reports the problems found, in a
// deterministic order. It builds its own indexes, trusts no stored totals
// and does not modify c. The checks:
//
//   - counts against opt.Expect (CheckCount);
//   - codes unique per layer (CheckDuplicate), of 6/9/12/15/17/20 digits by
//     level and extending the parent's code (CheckCode);
//   - parent references set and known (CheckParent), and the hierarchy
//     fields equal to the parent's (CheckHierarchy);
//   - every polygon valid (ValidPolygon; districts also as a MultiPolygon)
//     and every point finite and in range (CheckGeometry);
//   - streets inside their district; compounds, buildings and stations
//     inside their grid (CheckNesting);
//   - communities partition their street and grids their community: inside
//     it, pairwise non-overlapping (candidates from an R-tree), and
//     covering it (CheckNesting, CheckOverlap, CheckGap); no two streets
//     overlap anywhere in the city;
//   - every grid has a building (CheckBuildings), a head (CheckHead), and
//     stored totals equal to those of its buildings (CheckTotals).
//
// Invalid geometry is reported once and left out of the spatial checks
// that would need it.
func ValidateCity(c *data.City, opt ValidateOptions) Report {
	start := time.Now()
	rep := Report{Counts: map[string]int{}, Problems: []Problem{}, Stats: Stats{AreaKm2: map[string]float64{}}}
	if c == nil {
		rep.Problems = append(rep.Problems, Problem{Check: CheckInternal, Detail: "no city"})
		return rep
	}
	v := &validator{c: c, relTol: opt.RelTol, workers: opt.Workers}
	if v.relTol <= 0 || math.IsNaN(v.relTol) {
		v.relTol = DefaultRelTol
	}
	if v.workers <= 0 {
		v.workers = runtime.GOMAXPROCS(0)
	}
	rep.Counts = c.Counts()
	for _, layer := range append(append([]string{}, data.SpatialLayers...), data.LayerCadres, data.LayerReportingUnits) {
		if want, ok := opt.Expect[layer]; ok && rep.Counts[layer] != want {
			v.add(Problem{Check: CheckCount, Layer: layer, Detail: fmt.Sprintf("%d features, want %d", rep.Counts[layer], want)})
		}
	}
	for layer, want := range opt.Expect {
		if _, known := rep.Counts[layer]; !known {
			v.add(Problem{Check: CheckCount, Layer: layer, Detail: fmt.Sprintf("unknown layer (want %d features)", want)})
		}
	}

	v.index()
	v.hierarchy()
	v.geometry(&rep.Stats)
	v.spatial(&rep.Stats)
	v.contents()
	v.pois()

	rep.Problems = append(rep.Problems, v.probs...)
	rep.OK = len(rep.Problems) == 0
	rep.Stats.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return rep
}

func (v *validator) index() {
	c := v.c
	v.districts = v.codes(data.LayerDistricts, len(c.Districts), func(i int) string { return c.Districts[i].Code })
	v.streets = v.codes(data.LayerStreets, len(c.Streets), func(i int) string { return c.Streets[i].Code })
	v.communities = v.codes(data.LayerCommunities, len(c.Communities), func(i int) string { return c.Communities[i].Code })
	v.grids = v.codes(data.LayerGrids, len(c.Grids), func(i int) string { return c.Grids[i].Code })
	v.compounds = v.codes(data.LayerCompounds, len(c.Compounds), func(i int) string { return c.Compounds[i].Code })
	v.codes(data.LayerBuildings, len(c.Buildings), func(i int) string { return c.Buildings[i].Code })
	v.codes(data.LayerStations, len(c.Stations), func(i int) string { return c.Stations[i].Code })
}

func (v *validator) hierarchy() {
	c := v.c
	for _, s := range c.Streets {
		v.parent(data.LayerStreets, s.Code, data.LayerDistricts, s.DistrictCode, v.districts, true)
	}
	for _, cm := range c.Communities {
		if v.parent(data.LayerCommunities, cm.Code, data.LayerStreets, cm.StreetCode, v.streets, true) {
			s := c.Streets[v.streets[cm.StreetCode]]
			v.agree(data.LayerCommunities, cm.Code, "district code", cm.DistrictCode, s.DistrictCode, data.LayerStreets, s.Code)
		}
	}
	for _, g := range c.Grids {
		if v.parent(data.LayerGrids, g.Code, data.LayerCommunities, g.CommunityCode, v.communities, true) {
			cm := c.Communities[v.communities[g.CommunityCode]]
			v.agree(data.LayerGrids, g.Code, "street code", g.StreetCode, cm.StreetCode, data.LayerCommunities, cm.Code)
			v.agree(data.LayerGrids, g.Code, "district code", g.DistrictCode, cm.DistrictCode, data.LayerCommunities, cm.Code)
		}
	}
	for _, cp := range c.Compounds {
		if v.parent(data.LayerCompounds, cp.Code, data.LayerGrids, cp.GridCode, v.grids, true) {
			g := c.Grids[v.grids[cp.GridCode]]
			v.agree(data.LayerCompounds, cp.Code, "community code", cp.CommunityCode, g.CommunityCode, data.LayerGrids, g.Code)
		}
	}
	for _, b := range c.Buildings {
		if !v.parent(data.LayerBuildings, b.Code, data.LayerGrids, b.GridCode, v.grids, true) {
			continue
		}
		g := c.Grids[v.grids[b.GridCode]]
		v.agree(data.LayerBuildings, b.Code, "community code", b.CommunityCode, g.CommunityCode, data.LayerGrids, g.Code)
		v.agree(data.LayerBuildings, b.Code, "street code", b.StreetCode, g.StreetCode, data.LayerGrids, g.Code)
		v.agree(data.LayerBuildings, b.Code, "district code", b.DistrictCode, g.DistrictCode, data.LayerGrids, g.Code)
		if len(c.Compounds) > 0 || b.CompoundCode != "" {
			if v.parent(data.LayerBuildings, b.Code, data.LayerCompounds, b.CompoundCode, v.compounds, true) {
				cp := c.Compounds[v.compounds[b.CompoundCode]]
				v.agree(data.LayerBuildings, b.Code, "grid code", b.GridCode, cp.GridCode, data.LayerCompounds, cp.Code)
			}
		}
	}
	for _, s := range c.Stations {
		if v.parent(data.LayerStations, s.Code, data.LayerGrids, s.GridCode, v.grids, false) {
			g := c.Grids[v.grids[s.GridCode]]
			v.agree(data.LayerStations, s.Code, "community code", s.CommunityCode, g.CommunityCode, data.LayerGrids, g.Code)
		}
	}
}

func (v *validator) geometry(st *Stats) {
	c := v.c
	v.districtAreas = make([]*area, len(c.Districts))
	for i, d := range c.Districts {
		v.districtAreas[i] = v.districtArea(d)
	}
	v.streetAreas = v.areas(data.LayerStreets, len(c.Streets), func(i int) string { return c.Streets[i].Code }, func(i int) orb.Polygon { return c.Streets[i].Geom })
	v.communityAreas = v.areas(data.LayerCommunities, len(c.Communities), func(i int) string { return c.Communities[i].Code }, func(i int) orb.Polygon { return c.Communities[i].Geom })
	v.gridAreas = v.areas(data.LayerGrids, len(c.Grids), func(i int) string { return c.Grids[i].Code }, func(i int) orb.Polygon { return c.Grids[i].Geom })
	v.compoundAreas = v.areas(data.LayerCompounds, len(c.Compounds), func(i int) string { return c.Compounds[i].Code }, func(i int) orb.Polygon { return c.Compounds[i].Geom })
	v.buildingAreas = v.areas(data.LayerBuildings, len(c.Buildings), func(i int) string { return c.Buildings[i].Code }, func(i int) orb.Polygon { return c.Buildings[i].Geom })
	for i, b := range c.Buildings {
		if err := checkPoint(b.Entrance); err != nil {
			v.add(Problem{Check: CheckGeometry, Layer: data.LayerBuildings, Code: b.Code, Detail: fmt.Sprintf("entrance: %v", err)})
			v.buildingAreas[i].ok = false
		}
	}
	for _, s := range c.Stations {
		if err := checkPoint(s.Point); err != nil {
			v.add(Problem{Check: CheckGeometry, Layer: data.LayerStations, Code: s.Code, Detail: err.Error()})
		}
	}
	km2 := func(as []*area, poly func(int) orb.Polygon) float64 {
		var s float64
		for i, a := range as {
			if a.ok {
				s += PolygonArea(poly(i)) / 1e6
			}
		}
		return s
	}
	var dkm2 float64
	for i, a := range v.districtAreas {
		if a.ok {
			for _, p := range c.Districts[i].Geom {
				dkm2 += PolygonArea(p) / 1e6
			}
		}
	}
	st.AreaKm2[data.LayerDistricts] = dkm2
	st.AreaKm2[data.LayerStreets] = km2(v.streetAreas, func(i int) orb.Polygon { return c.Streets[i].Geom })
	st.AreaKm2[data.LayerCommunities] = km2(v.communityAreas, func(i int) orb.Polygon { return c.Communities[i].Geom })
	st.AreaKm2[data.LayerGrids] = km2(v.gridAreas, func(i int) orb.Polygon { return c.Grids[i].Geom })
	st.AreaKm2[data.LayerCompounds] = km2(v.compoundAreas, func(i int) orb.Polygon { return c.Compounds[i].Geom })
	st.AreaKm2[data.LayerBuildings] = km2(v.buildingAreas, func(i int) orb.Polygon { return c.Buildings[i].Geom })
}

// districtArea validates a district's multipolygon and wraps it as one area.
func (v *validator) districtArea(d data.District) *area {
	ar := &area{code: d.Code}
	if len(d.Geom) == 0 {
		v.add(Problem{Check: CheckGeometry, Layer: data.LayerDistricts, Code: d.Code, Detail: ErrEmptyPolygon.Error()})
		return ar
	}
	polys := make([]geom.Polygon, 0, len(d.Geom))
	bad := false
	for i, p := range d.Geom {
		if err := ValidPolygon(p); err != nil {
			v.add(Problem{Check: CheckGeometry, Layer: data.LayerDistricts, Code: d.Code, Detail: fmt.Sprintf("polygon %d: %v", i, err)})
			bad = true
			continue
		}
		polys = append(polys, sfPolygon(p))
		ar.a2 += polyArea2(p)
		if len(polys) == 1 {
			ar.box = p.Bound()
		} else {
			ar.box = ar.box.Union(p.Bound())
		}
	}
	if bad {
		return ar
	}
	mp := geom.NewMultiPolygon(polys)
	if err := mp.Validate(); err != nil {
		v.add(Problem{Check: CheckGeometry, Layer: data.LayerDistricts, Code: d.Code, Detail: fmt.Sprintf("%v: %v", ErrRings, err)})
		return ar
	}
	ar.g = mp.AsGeometry()
	ar.ok = true
	return ar
}

// spatial runs the nesting, overlap and cover checks.
func (v *validator) spatial(st *Stats) {
	c := v.c
	group := func(n int, parentOf func(int) string, parents map[string]int, np int) [][]int {
		out := make([][]int, np)
		for i := 0; i < n; i++ {
			if j, ok := parents[parentOf(i)]; ok {
				out[j] = append(out[j], i)
			}
		}
		return out
	}
	pick := func(as []*area, ix []int) []*area {
		out := make([]*area, len(ix))
		for k, i := range ix {
			out[k] = as[i]
		}
		return out
	}
	streetsOf := group(len(c.Streets), func(i int) string { return c.Streets[i].DistrictCode }, v.districts, len(c.Districts))
	communitiesOf := group(len(c.Communities), func(i int) string { return c.Communities[i].StreetCode }, v.streets, len(c.Streets))
	gridsOf := group(len(c.Grids), func(i int) string { return c.Grids[i].CommunityCode }, v.communities, len(c.Communities))
	compoundsOf := group(len(c.Compounds), func(i int) string { return c.Compounds[i].GridCode }, v.grids, len(c.Grids))
	buildingsOf := group(len(c.Buildings), func(i int) string { return c.Buildings[i].GridCode }, v.grids, len(c.Grids))
	stationsOf := group(len(c.Stations), func(i int) string { return c.Stations[i].GridCode }, v.grids, len(c.Grids))

	// Tasks: one per district (its streets inside it), one for all streets
	// (no two overlap, across districts too), one per street (its
	// communities partition it), one per community (its grids partition it)
	// and one per grid (its buildings and stations inside it).
	nd, ns, nc, ng := len(c.Districts), len(c.Streets), len(c.Communities), len(c.Grids)
	results := make([]partitionResult, nd+1+ns+nc)
	gridProbs := make([][]Problem, ng)
	total := nd + 1 + ns + nc + ng
	v.probs = append(v.probs, v.parallel(total, func(t int) []Problem {
		switch {
		case t < nd:
			if p := v.districtAreas[t]; p.ok {
				// Streets cover only the urban cores: nesting only here,
				// overlaps city-wide in the next task.
				results[t] = checkChildren(data.LayerStreets, data.LayerDistricts, p, pick(v.streetAreas, streetsOf[t]), v.relTol, false)
			}
		case t == nd:
			var pairs int
			results[t] = partitionResult{problems: overlapProblems(data.LayerStreets, v.streetAreas, v.relTol, &pairs), pairs: pairs}
		case t < nd+1+ns:
			i := t - nd - 1
			if p := v.streetAreas[i]; p.ok {
				results[t] = checkChildren(data.LayerCommunities, data.LayerStreets, p, pick(v.communityAreas, communitiesOf[i]), v.relTol, true)
			}
		case t < nd+1+ns+nc:
			i := t - nd - 1 - ns
			if p := v.communityAreas[i]; p.ok {
				results[t] = checkChildren(data.LayerGrids, data.LayerCommunities, p, pick(v.gridAreas, gridsOf[i]), v.relTol, true)
			}
		default:
			i := t - nd - 1 - ns - nc
			gridProbs[i] = v.gridContents(i, compoundsOf[i], buildingsOf[i], stationsOf[i])
		}
		return nil
	})...)
	for _, r := range results {
		v.probs = append(v.probs, r.problems...)
		st.PairsTested += r.pairs
		if r.covered {
			st.Partitions++
			st.MaxCoverResidual = math.Max(st.MaxCoverResidual, r.residual)
		}
	}
	for _, p := range gridProbs {
		v.probs = append(v.probs, p...)
	}
}

// gridContents checks that the grid's compounds, buildings and stations lie
// inside it.
func (v *validator) gridContents(gi int, compounds, buildings, stations []int) []Problem {
	g := v.gridAreas[gi]
	if !g.ok || len(compounds)+len(buildings)+len(stations) == 0 {
		return nil
	}
	var out []Problem
	prep, err := geom.Prepare(g.g)
	if err != nil {
		return []Problem{{Check: CheckInternal, Layer: data.LayerGrids, Code: g.code, Detail: fmt.Sprintf("preparing grid: %v", err)}}
	}
	lat := g.box.Center()[1]
	simple := len(g.poly) == 1 // no holes: the fast paths apply
	inside := func(layer, what string, a *area) {
		if !a.ok || simple && ringInside(a.poly[0], g.poly[0]) {
			return
		}
		if in, err := prep.Covers(a.g); err == nil && in {
			return
		}
		d, err := geom.Difference(a.g, g.g)
		if err != nil {
			out = append(out, Problem{Check: CheckInternal, Layer: layer, Code: a.code, Other: g.code, Detail: fmt.Sprintf("difference with grid %s: %v", g.code, err)})
			return
		}
		if o := geomArea2(d); o/a.a2 > v.relTol {
			out = append(out, Problem{Check: CheckNesting, Layer: layer, Code: a.code, Other: g.code, Detail: fmt.Sprintf(
				"%.3g of its %s (%.1f m²) lies outside grid %s%s", o/a.a2, what, m2(o, lat), g.code, where(d))})
		}
	}
	for _, i := range compounds {
		inside(data.LayerCompounds, "area", v.compoundAreas[i])
	}
	for _, i := range buildings {
		inside(data.LayerBuildings, "footprint", v.buildingAreas[i])
	}
	for _, si := range stations {
		s := v.c.Stations[si]
		if checkPoint(s.Point) != nil {
			continue
		}
		if simple && pointInside(s.Point, g.poly[0]) {
			continue
		}
		pt := geom.XY{X: s.Point[0], Y: s.Point[1]}.AsPoint().AsGeometry()
		in, err := prep.Covers(pt)
		if err != nil {
			out = append(out, Problem{Check: CheckInternal, Layer: data.LayerStations, Code: s.Code, Other: g.code, Detail: fmt.Sprintf("locating in grid %s: %v", g.code, err)})
			continue
		}
		if !in {
			out = append(out, Problem{Check: CheckNesting, Layer: data.LayerStations, Code: s.Code, Other: g.code, Detail: fmt.Sprintf("point %.6f,%.6f lies outside grid %s", s.Point[0], s.Point[1], g.code)})
		}
	}
	return out
}

// insideMargin is the distance in degrees (≈ 0.1 mm) by which the fast
// paths below must clear a boundary; closer calls go to simplefeatures.
const insideMargin = 1e-9

// ringInside reports whether ring in lies inside ring out, clearing its
// boundary by insideMargin: no edge of one comes near an edge of the other
// and a vertex of in is inside out. False means "not proven".
func ringInside(in, out orb.Ring) bool {
	if len(in) < 2 || len(out) < 2 || !out.Bound().Contains(in[0]) {
		return false
	}
	m2 := insideMargin * insideMargin
	for i := 0; i+1 < len(in); i++ {
		a, b := in[i], in[i+1]
		for j := 0; j+1 < len(out); j++ {
			c, d := out[j], out[j+1]
			if segDist2(a, c, d) <= m2 || segDist2(b, c, d) <= m2 || segDist2(c, a, b) <= m2 || segDist2(d, a, b) <= m2 {
				return false
			}
			// All four endpoints clear the other segment, so the signs of
			// these cross products are exact enough to detect a crossing.
			if (cross(a, b, c) > 0) != (cross(a, b, d) > 0) && (cross(c, d, a) > 0) != (cross(c, d, b) > 0) {
				return false
			}
		}
	}
	return crossingInside(in[0], out)
}

// pointInside reports whether p lies inside ring out, clearing its
// boundary by insideMargin. False means "not proven".
func pointInside(p orb.Point, out orb.Ring) bool {
	m2 := insideMargin * insideMargin
	for j := 0; j+1 < len(out); j++ {
		if segDist2(p, out[j], out[j+1]) <= m2 {
			return false
		}
	}
	return len(out) > 3 && crossingInside(p, out)
}

// ringEdges is a parent ring with a set of its edges, for the nesting fast
// path of partitions whose children share the parent's vertices.
type ringEdges struct {
	r     orb.Ring
	edges map[[2]orb.Point]bool
}

func newRingEdges(r orb.Ring) *ringEdges {
	e := &ringEdges{r: r, edges: make(map[[2]orb.Point]bool, 2*len(r))}
	for i := 0; i+1 < len(r); i++ {
		e.edges[[2]orb.Point{r[i], r[i+1]}] = true
		e.edges[[2]orb.Point{r[i+1], r[i]}] = true
	}
	return e
}

// contains reports whether the region of ring c lies in the closed region
// of the parent ring: each edge of c is an edge of the parent or keeps clear
// of the parent's boundary with its midpoint inside (see clear). Then the
// boundary of c lies in the closed parent, and so does its region, the
// parent having no holes. False means "not proven".
func (pe *ringEdges) contains(c orb.Ring) bool {
	_, ok := pe.clear(c, true)
	return ok
}

// disjoint reports whether the interiors of rings a and b are disjoint:
// each edge of either not shared with the other keeps clear of the other's
// boundary with its midpoint outside, and each has such an edge. Then the
// boundary of a misses the interior of b, so b's connected interior lies
// wholly inside or wholly outside a; inside is ruled out by b's own
// outside edge. False means "not proven".
func disjoint(a, b *ringEdges) bool {
	na, ok := b.clear(a.r, false)
	if !ok || na == 0 {
		return false
	}
	nb, ok := a.clear(b.r, false)
	return ok && nb > 0
}

// clear checks each edge of ring c that is not an edge of the ring pe: it
// must keep insideMargin clear of pe's boundary except at end points that
// are pe's vertices, with its midpoint strictly inside (inside set) or
// outside pe. It returns how many such edges c has, and false when one
// fails or the margins are too close to call.
func (pe *ringEdges) clear(c orb.Ring, inside bool) (int, bool) {
	m2 := insideMargin * insideMargin
	p := pe.r
	n := 0
	for i := 0; i+1 < len(c); i++ {
		a, b := c[i], c[i+1]
		if pe.edges[[2]orb.Point{a, b}] {
			continue
		}
		n++
		minX, maxX := math.Min(a[0], b[0])-insideMargin, math.Max(a[0], b[0])+insideMargin
		minY, maxY := math.Min(a[1], b[1])-insideMargin, math.Max(a[1], b[1])+insideMargin
		for j := 0; j+1 < len(p); j++ {
			f0, f1 := p[j], p[j+1]
			if math.Max(f0[0], f1[0]) < minX || math.Min(f0[0], f1[0]) > maxX || math.Max(f0[1], f1[1]) < minY || math.Min(f0[1], f1[1]) > maxY {
				continue
			}
			atA, atB := f0 == a || f1 == a, f0 == b || f1 == b
			switch {
			case atA && atB:
				return n, false
			case atA || atB:
				// Sharing one end, the segments meet only there unless an
				// other end comes near the other segment.
				s, o := b, f1
				if atB {
					s = a
				}
				if o == a || o == b {
					o = f0
				}
				if segDist2(s, f0, f1) <= m2 || segDist2(o, a, b) <= m2 {
					return n, false
				}
			default:
				if segDist2(a, f0, f1) <= m2 || segDist2(b, f0, f1) <= m2 || segDist2(f0, a, b) <= m2 || segDist2(f1, a, b) <= m2 {
					return n, false
				}
				if (cross(a, b, f0) > 0) != (cross(a, b, f1) > 0) && (cross(f0, f1, a) > 0) != (cross(f0, f1, b) > 0) {
					return n, false
				}
			}
		}
		mid := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
		if inside && !pointInside(mid, p) || !inside && !pointOutside(mid, p) {
			return n, false
		}
	}
	return n, true
}

// pointOutside reports whether p lies outside ring out, clearing its
// boundary by insideMargin. False means "not proven".
func pointOutside(p orb.Point, out orb.Ring) bool {
	m2 := insideMargin * insideMargin
	for j := 0; j+1 < len(out); j++ {
		if segDist2(p, out[j], out[j+1]) <= m2 {
			return false
		}
	}
	return len(out) > 3 && !crossingInside(p, out)
}

func cross(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// segDist2 is the squared distance from p to segment ab.
func segDist2(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	ex, ey := a[0]+t*dx-p[0], a[1]+t*dy-p[1]
	return ex*ex + ey*ey
}

// crossingInside is the even-odd test of p against closed ring r; p must
// not lie on r.
func crossingInside(p orb.Point, r orb.Ring) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// contents checks every grid's buildings, head and stored totals against
// its buildings, counted here rather than read from the grid.
func (v *validator) contents() {
	c := v.c
	type tot struct{ n, households, population int }
	byGrid := make(map[string]*tot, len(c.Grids))
	for _, b := range c.Buildings {
		t := byGrid[b.GridCode]
		if t == nil {
			t = &tot{}
			byGrid[b.GridCode] = t
		}
		t.n++
		t.households += b.Households
		t.population += b.Population
	}
	for _, g := range c.Grids {
		t := byGrid[g.Code]
		if t == nil {
			t = &tot{}
		}
		if t.n == 0 {
			v.add(Problem{Check: CheckBuildings, Layer: data.LayerGrids, Code: g.Code, Detail: "no building"})
		}
		// With managed people records the head rule is data/people's.
		if strings.TrimSpace(g.Head.Name) == "" && !c.HasStaff() {
			v.add(Problem{Check: CheckHead, Layer: data.LayerGrids, Code: g.Code, Detail: "no grid head"})
		}
		if g.Buildings != t.n || g.Households != t.households || g.Population != t.population {
			v.add(Problem{Check: CheckTotals, Layer: data.LayerGrids, Code: g.Code, Detail: fmt.Sprintf(
				"stored buildings/households/population %d/%d/%d, counted %d/%d/%d",
				g.Buildings, g.Households, g.Population, t.n, t.households, t.population)})
		}
	}
}
