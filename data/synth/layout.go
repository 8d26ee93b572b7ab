package synth

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/paulmach/orb"
)

// lattice is a jittered, rotated grid of points over a district's urban
// core. Cell (i, j) is the block between columns i, i+1 and rows j, j+1;
// rows grow northwards and columns eastwards. Every area polygon of the core
// is a rectangle of cells whose ring runs through every lattice point on its
// perimeter, so neighbours share their border vertices exactly.
type lattice struct {
	W, H int         // cells across and up
	P    []orb.Point // (W+1)*(H+1) points, row-major from the south-west
	// road is the lattice whose lines are the roads, when this one is its
	// refinement (see refine); nil when this lattice's own lines are roads.
	road *lattice
}

// refine returns l with every cell cut in two both ways: the plots lattice
// over the road lattice l. Its even points are l's points, the others the
// midpoints of l's cell sides and the centres of its cells (rounded like
// every published coordinate). Each point is computed once, so cells of the
// refinement that share a side share its vertices exactly.
func (l *lattice) refine() *lattice {
	f := &lattice{W: 2 * l.W, H: 2 * l.H, P: make([]orb.Point, (2*l.W+1)*(2*l.H+1)), road: l}
	for J := 0; J <= f.H; J++ {
		for I := 0; I <= f.W; I++ {
			if I%2 == 0 && J%2 == 0 {
				f.P[J*(f.W+1)+I] = l.at(I/2, J/2)
				continue
			}
			i, j, u, v := I/2, J/2, 0.5*float64(I%2), 0.5*float64(J%2)
			if i == l.W {
				i, u = l.W-1, 1
			}
			if j == l.H {
				j, v = l.H-1, 1
			}
			f.P[J*(f.W+1)+I] = l.bilinear(i, j, u, v)
		}
	}
	return f
}

func (l *lattice) at(i, j int) orb.Point { return l.P[j*(l.W+1)+i] }

// newLattice lays out a W×H lattice centred on c with cells of cw×ch metres,
// rotated by theta radians, each inner point jittered by up to jit of a cell.
func newLattice(c orb.Point, w, h int, cw, ch, theta, jit float64, rng *rand.Rand) *lattice {
	mx, my := metresPerDegree(c[1])
	l := &lattice{W: w, H: h, P: make([]orb.Point, (w+1)*(h+1))}
	cos, sin := math.Cos(theta), math.Sin(theta)
	for j := 0; j <= h; j++ {
		for i := 0; i <= w; i++ {
			x := (float64(i) - float64(w)/2) * cw
			y := (float64(j) - float64(h)/2) * ch
			x += (rng.Float64()*2 - 1) * jit * cw
			y += (rng.Float64()*2 - 1) * jit * ch
			rx, ry := x*cos-y*sin, x*sin+y*cos
			l.P[j*(w+1)+i] = orb.Point{round7(c[0] + rx/mx), round7(c[1] + ry/my)}
		}
	}
	return l
}

// round7 rounds a coordinate to 1e-7 degrees (about 1 cm), the precision
// the demo city is published at.
func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func metresPerDegree(lat float64) (float64, float64) {
	const r = 6371008.8
	m := r * math.Pi / 180
	return m * math.Cos(lat*math.Pi/180), m
}

// rect is a rectangle of cells [I0,I1) × [J0,J1).
type rect struct{ I0, J0, I1, J1 int }

func (r rect) cells() int { return (r.I1 - r.I0) * (r.J1 - r.J0) }

// ring returns the counter-clockwise ring of the rectangle through every
// lattice point on its perimeter, closed.
func (l *lattice) ring(r rect) orb.Ring {
	out := make(orb.Ring, 0, 2*(r.I1-r.I0+r.J1-r.J0)+1)
	for i := r.I0; i < r.I1; i++ { // south edge, west → east
		out = append(out, l.at(i, r.J0))
	}
	for j := r.J0; j < r.J1; j++ { // east edge, south → north
		out = append(out, l.at(r.I1, j))
	}
	for i := r.I1; i > r.I0; i-- { // north edge, east → west
		out = append(out, l.at(i, r.J1))
	}
	for j := r.J1; j > r.J0; j-- { // west edge, north → south
		out = append(out, l.at(r.I0, j))
	}
	return append(out, out[0])
}

// bilinear maps (u, v) in the unit square onto cell (i, j).
func (l *lattice) bilinear(i, j int, u, v float64) orb.Point {
	a, b, c, d := l.at(i, j), l.at(i+1, j), l.at(i+1, j+1), l.at(i, j+1)
	x := (1-u)*(1-v)*a[0] + u*(1-v)*b[0] + u*v*c[0] + (1-u)*v*d[0]
	y := (1-u)*(1-v)*a[1] + u*(1-v)*b[1] + u*v*c[1] + (1-u)*v*d[1]
	return orb.Point{round7(x), round7(y)}
}

// quad returns the closed CCW ring of the (u0,v0)-(u1,v1) part of cell (i, j).
func (l *lattice) quad(i, j int, u0, v0, u1, v1 float64) orb.Ring {
	return orb.Ring{
		l.bilinear(i, j, u0, v0), l.bilinear(i, j, u1, v0),
		l.bilinear(i, j, u1, v1), l.bilinear(i, j, u0, v1),
		l.bilinear(i, j, u0, v0),
	}
}

// split shares r out among items with the given weights and minimum cell
// counts, by recursive cuts across the longer side, each cut placed in
// proportion to the weights on either side. It returns one rectangle per
// item, in item order; ok is false when r has too few cells.
func split(r rect, weights []float64, mins []int) ([]rect, bool) {
	out := make([]rect, len(weights))
	idx := make([]int, len(weights))
	for i := range idx {
		idx[i] = i
	}
	ok := splitRec(r, idx, weights, mins, out)
	return out, ok
}

func splitRec(r rect, idx []int, w []float64, mins []int, out []rect) bool {
	if len(idx) == 1 {
		out[idx[0]] = r
		return r.cells() >= mins[idx[0]]
	}
	// Cut the item list where the weights are most nearly halved; when no
	// straight cut can give both sides enough cells there, try the next most
	// balanced place.
	total := 0.0
	for _, i := range idx {
		total += w[i]
	}
	type cand struct {
		k int
		d float64
	}
	var cands []cand
	acc := 0.0
	for n := 1; n < len(idx); n++ {
		acc += w[idx[n-1]]
		cands = append(cands, cand{n, math.Abs(acc - total/2)})
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].d < cands[b].d })
	for _, cd := range cands {
		if a, b, ok := cutAt(r, idx, w, mins, cd.k, total); ok {
			return splitRec(a, idx[:cd.k], w, mins, out) && splitRec(b, idx[cd.k:], w, mins, out)
		}
	}
	return false
}

// cutAt cuts r in two for the items idx[:k] and idx[k:], across its longer
// side if it can, in proportion to their weights and with enough cells for
// each side's minimum.
func cutAt(r rect, idx []int, w []float64, mins []int, k int, total float64) (rect, rect, bool) {
	wa := 0.0
	ma, mb := 0, 0
	for n, i := range idx {
		if n < k {
			wa += w[i]
			ma += mins[i]
		} else {
			mb += mins[i]
		}
	}
	frac := wa / total
	cw, ch := r.I1-r.I0, r.J1-r.J0
	try := func(vertical bool) (rect, rect, bool) {
		length, across := cw, ch
		if !vertical {
			length, across = ch, cw
		}
		if length < 2 {
			return rect{}, rect{}, false
		}
		c := int(math.Round(frac * float64(length)))
		lo := (ma + across - 1) / across
		hi := length - (mb+across-1)/across
		if lo < 1 {
			lo = 1
		}
		if hi > length-1 {
			hi = length - 1
		}
		if lo > hi {
			return rect{}, rect{}, false
		}
		c = max(lo, min(hi, c))
		if vertical {
			return rect{r.I0, r.J0, r.I0 + c, r.J1}, rect{r.I0 + c, r.J0, r.I1, r.J1}, true
		}
		return rect{r.I0, r.J0, r.I1, r.J0 + c}, rect{r.I0, r.J0 + c, r.I1, r.J1}, true
	}
	if a, b, ok := try(cw >= ch); ok {
		return a, b, true
	}
	return try(cw < ch)
}
