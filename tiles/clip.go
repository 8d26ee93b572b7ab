package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// clipPolygon clips a polygon of integer tile coordinates to the square
// [lo, hi]². rings[0] is the exterior with a positive area (surveyor's
// formula), the rest are holes with negative areas; rings are open (no
// repeated closing vertex). The result is zero or more polygons wound the
// same way, whose rings are simple where the input's were: pieces are
// joined along the square's border by walking it (Weiler–Atherton on a
// rectangle) rather than by Sutherland–Hodgman's zero-width bridges.
//
// Points where an edge crosses the border are rounded to integers and
// computed from the edge's endpoints in a fixed order, so two rings that
// share an edge in opposite directions get the very same point.
func clipPolygon(rings [][]orb.Point, lo, hi float64) [][][]orb.Point {
	if len(rings) == 0 {
		return nil
	}
	inBox := func(p orb.Point) bool { return p[0] >= lo && p[0] <= hi && p[1] >= lo && p[1] <= hi }
	all := true
	for _, r := range rings {
		for _, p := range r {
			if !inBox(p) {
				all = false
				break
			}
		}
	}
	if all {
		return [][][]orb.Point{rings}
	}
	type chain struct {
		pts     []orb.Point
		in, out float64 // border positions of the entry and exit
		used    bool
	}
	var chains []*chain
	var innerExt, innerHoles [][]orb.Point
	covers, inHole := false, false
	centre := orb.Point{(lo + hi) / 2, (lo + hi) / 2}
	for ri, r := range rings {
		n := len(r)
		start := -1
		for i, p := range r {
			if !inBox(p) {
				start = i
				break
			}
		}
		if start < 0 {
			if ri == 0 {
				innerExt = append(innerExt, r)
			} else {
				innerHoles = append(innerHoles, r)
			}
			continue
		}
		var cur []orb.Point
		found := false
		for k := 0; k < n; k++ {
			a, b := r[(start+k)%n], r[(start+k+1)%n]
			ain, bin := inBox(a), inBox(b)
			switch {
			case ain && bin:
				cur = append(cur, b)
			case ain && !bin:
				_, e, ok := crossBox(a, b, lo, hi)
				if !ok {
					e = a
				}
				cur = append(cur, e)
				chains = append(chains, &chain{pts: cur})
				cur = nil
				found = true
			case !ain && bin:
				e, _, ok := crossBox(a, b, lo, hi)
				if !ok {
					e = b
				}
				cur = []orb.Point{e, b}
			default:
				if e, x, ok := crossBox(a, b, lo, hi); ok {
					chains = append(chains, &chain{pts: []orb.Point{e, x}})
					found = true
				}
			}
		}
		if !found && ringContains(r, centre) {
			if ri == 0 {
				covers = true
			} else {
				inHole = true
			}
		}
	}
	box := []orb.Point{{lo, lo}, {hi, lo}, {hi, hi}, {lo, hi}}
	if len(chains) == 0 {
		var exts [][]orb.Point
		switch {
		case len(innerExt) > 0:
			exts = innerExt
		case covers && !inHole:
			exts = [][]orb.Point{box}
		default:
			return nil
		}
		return assignHoles(exts, innerHoles)
	}
	side := hi - lo
	pos := func(p orb.Point) float64 { // counter-clockwise from (lo, lo)
		switch {
		case p[1] == lo:
			return p[0] - lo
		case p[0] == hi:
			return side + p[1] - lo
		case p[1] == hi:
			return 2*side + hi - p[0]
		default:
			return 3*side + hi - p[1]
		}
	}
	for _, c := range chains {
		c.in, c.out = pos(c.pts[0]), pos(c.pts[len(c.pts)-1])
	}
	perim := 4 * side
	ahead := func(from, to float64) float64 {
		d := to - from
		if d < 0 {
			d += perim
		}
		return d
	}
	var exts [][]orb.Point
	for _, first := range chains {
		if first.used {
			continue
		}
		var ring []orb.Point
		c := first
		for guard := 0; guard <= len(chains); guard++ {
			c.used = true
			ring = append(ring, c.pts...)
			// The next entry counter-clockwise along the border.
			var next *chain
			best := math.Inf(1)
			for _, o := range chains {
				if o.used && o != first {
					continue
				}
				if d := ahead(c.out, o.in); d < best {
					next, best = o, d
				}
			}
			if next == nil {
				break
			}
			// The corners passed on the way, in order.
			k0 := int(math.Floor(c.out/side)) + 1
			for j := 0; j < 4; j++ {
				k := (k0 + j) % 4
				if d := ahead(c.out, float64(k)*side); d > 0 && d < best {
					ring = append(ring, box[k])
				}
			}
			if next == first {
				break
			}
			c = next
		}
		for _, piece := range splitTouching(ring, lo, hi) {
			if ringArea(orb.Ring(piece)) > 0 {
				exts = append(exts, piece)
			} else {
				innerHoles = append(innerHoles, piece)
			}
		}
	}
	return assignHoles(exts, innerHoles)
}

// splitTouching makes a clipped ring simple where it touches itself on the
// square's border: a vertex of the ring that lies on the square's border
// and inside a border edge the walk added (the ring touched the border
// from inside there) becomes a vertex of that edge too, and the ring is
// cut at every vertex it then visits twice. The pieces keep the ring's
// direction; pieces without area are dropped.
func splitTouching(ring []orb.Point, lo, hi float64) [][]orb.Point {
	onBorder := func(p orb.Point) bool { return p[0] == lo || p[0] == hi || p[1] == lo || p[1] == hi }
	var border []orb.Point
	for _, p := range ring {
		if onBorder(p) {
			border = append(border, p)
		}
	}
	if len(border) < 3 {
		return [][]orb.Point{ring}
	}
	n := len(ring)
	var out []orb.Point
	inserted := false
	for i, a := range ring {
		out = append(out, a)
		b := ring[(i+1)%n]
		axis := -1
		switch {
		case a[0] == b[0] && (a[0] == lo || a[0] == hi):
			axis = 1 // a vertical border edge: points differ in y
		case a[1] == b[1] && (a[1] == lo || a[1] == hi):
			axis = 0
		}
		if axis < 0 {
			continue
		}
		var mid []orb.Point
		for _, p := range border {
			if p[1-axis] == a[1-axis] && (p[axis]-a[axis])*(p[axis]-b[axis]) < 0 {
				mid = append(mid, p)
			}
		}
		if len(mid) == 0 {
			continue
		}
		inserted = true
		asc := b[axis] > a[axis]
		slices.SortFunc(mid, func(x, y orb.Point) int {
			if (x[axis] < y[axis]) == asc {
				return -1
			}
			return 1
		})
		out = append(out, mid...)
	}
	if !inserted {
		return [][]orb.Point{ring}
	}
	// Cut at repeated vertices: a loop closes when a vertex comes back.
	var pieces [][]orb.Point
	var stack []orb.Point
	at := map[orb.Point]int{}
	for _, p := range out {
		if k, ok := at[p]; ok {
			loop := slices.Clone(stack[k:])
			for _, q := range stack[k+1:] {
				delete(at, q)
			}
			stack = stack[:k+1]
			if len(loop) >= 3 && ringArea(orb.Ring(loop)) != 0 {
				pieces = append(pieces, loop)
			}
			continue
		}
		at[p] = len(stack)
		stack = append(stack, p)
	}
	if len(stack) >= 3 && ringArea(orb.Ring(stack)) != 0 {
		pieces = append(pieces, stack)
	}
	return pieces
}

// crossBox clips segment ab to the square (Liang–Barsky): where it enters
// and where it leaves, each a itself or b itself when inside, else on the
// border, rounded. ok is false when the segment misses the square's inside.
func crossBox(a, b orb.Point, lo, hi float64) (in, out orb.Point, ok bool) {
	t0, t1 := 0.0, 1.0
	inAxis, inVal, outAxis, outVal := -1, 0.0, -1, 0.0
	d := orb.Point{b[0] - a[0], b[1] - a[1]}
	for axis := 0; axis < 2; axis++ {
		for _, bound := range [2]struct {
			p, q, v float64
		}{{-d[axis], a[axis] - lo, lo}, {d[axis], hi - a[axis], hi}} {
			if bound.p == 0 {
				if bound.q < 0 {
					return in, out, false
				}
				continue
			}
			t := bound.q / bound.p
			if bound.p < 0 {
				if t > t0 {
					t0, inAxis, inVal = t, axis, bound.v
				}
			} else if t < t1 {
				t1, outAxis, outVal = t, axis, bound.v
			}
		}
	}
	if t0 > t1 {
		return in, out, false
	}
	clamp := func(p orb.Point) orb.Point {
		p[0] = math.Max(lo, math.Min(hi, p[0]))
		p[1] = math.Max(lo, math.Min(hi, p[1]))
		return p
	}
	in, out = a, b
	if inAxis >= 0 {
		in = clamp(cut(a, b, inAxis, inVal))
	}
	if outAxis >= 0 {
		out = clamp(cut(a, b, outAxis, outVal))
	}
	return in, out, true
}

// ringContains reports whether p lies inside the open ring (even–odd).
func ringContains(r []orb.Point, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// assignHoles makes one polygon per exterior and puts each hole in the
// exterior holding it; a hole inside none is dropped.
func assignHoles(exts, holes [][]orb.Point) [][][]orb.Point {
	out := make([][][]orb.Point, len(exts))
	for i, e := range exts {
		out[i] = [][]orb.Point{e}
	}
	for _, h := range holes {
		for i, e := range exts {
			if len(h) > 0 && ringContains(e, h[0]) {
				out[i] = append(out[i], h)
				break
			}
		}
	}
	return out
}

// interiorPoint returns a point inside the polygon for its label: the
// centroid of the exterior when it lies inside, else the middle of the
// widest horizontal run through the polygon.
func interiorPoint(p orb.Polygon) (orb.Point, bool) {
	if len(p) == 0 || len(p[0]) < 4 {
		return orb.Point{}, false
	}
	c, _ := planar.CentroidArea(orb.Polygon{p[0]})
	if finite(c) && planar.PolygonContains(p, c) {
		return c, true
	}
	b := p.Bound()
	best, bw := orb.Point{}, -1.0
	for _, f := range []float64{0.5, 0.2929, 0.7071, 0.118, 0.382, 0.618, 0.882} {
		y := b.Min[1] + f*(b.Max[1]-b.Min[1])
		if f == 0.5 && finite(c) {
			y = c[1]
		}
		var xs []float64
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				a, d := r[i], r[i+1]
				if (a[1] > y) != (d[1] > y) {
					xs = append(xs, a[0]+(y-a[1])*(d[0]-a[0])/(d[1]-a[1]))
				}
			}
		}
		slices.Sort(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			if w := xs[i+1] - xs[i]; w > bw {
				best, bw = orb.Point{(xs[i] + xs[i+1]) / 2, y}, w
			}
		}
	}
	return best, bw > 0
}

// quantiles returns n+1 strictly increasing cut points (minimum, the n-1
// inner quantiles, maximum) of vals, with repeats dropped.
func quantiles(vals []float64, n int) []float64 {
	if len(vals) == 0 {
		return nil
	}
	s := slices.Clone(vals)
	slices.Sort(s)
	var out []float64
	for i := 0; i <= n; i++ {
		v := s[min(len(s)-1, i*(len(s)-1)/n)]
		if len(out) == 0 || v > out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// cut is where segment ab crosses the line p[axis] = v, rounded, computed
// the same whichever way the segment runs.
func cut(a, b orb.Point, axis int, v float64) orb.Point {
	if b[0] < a[0] || (b[0] == a[0] && b[1] < a[1]) {
		a, b = b, a
	}
	o := 1 - axis
	t := (v - a[axis]) / (b[axis] - a[axis])
	var p orb.Point
	p[axis] = v
	p[o] = math.Round(a[o] + t*(b[o]-a[o]))
	return p
}

// despike removes the zero-width spikes that snapping to the integer grid
// can make: a vertex where the ring turns straight back on itself. Both
// rings sharing an arc see the same spike (reversed) and lose it alike.
// Repeated points go too. The ring is open; it is changed in place.
func despike(pts []orb.Point) []orb.Point {
	spike := func(a, b, c orb.Point) bool {
		ux, uy, vx, vy := b[0]-a[0], b[1]-a[1], c[0]-b[0], c[1]-b[1]
		return ux*vy-uy*vx == 0 && ux*vx+uy*vy <= 0
	}
	out := pts[:0]
	for _, p := range pts {
		if len(out) > 0 && out[len(out)-1] == p {
			continue
		}
		out = append(out, p)
		for n := len(out); n >= 3 && spike(out[n-3], out[n-2], out[n-1]); n = len(out) {
			out[n-2] = out[n-1]
			out = out[:n-1]
			if n := len(out); n >= 2 && out[n-1] == out[n-2] {
				out = out[:n-1]
			}
		}
	}
	// Where the ring closes.
	for guard := 0; len(out) >= 3 && guard < len(pts); guard++ {
		n := len(out)
		switch {
		case out[n-1] == out[0]:
			out = out[:n-1]
		case spike(out[n-2], out[n-1], out[0]):
			out = out[:n-1]
		case spike(out[n-1], out[0], out[1]):
			out = out[1:]
		default:
			return out
		}
	}
	return out
}
