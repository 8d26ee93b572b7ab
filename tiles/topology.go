package tiles

import (
	"math"

	"github.com/paulmach/orb"
)

// topology is the planar graph of every area ring of a city, built once:
// rings are cut into arcs between nodes (vertices where the set of
// neighbours changes, i.e. whose degree in the edge graph is not 2), so a
// border shared by two areas is one arc. Each arc is simplified once per
// zoom and both sides reassemble their rings from the same simplified
// points, which keeps the partition free of gaps and slivers at every zoom.
type topology struct {
	pts  []orb.Point // vertices in world fractions (x east, y south, 0..1)
	arcs [][]int32   // vertex indices, first and last are nodes
	// closed[a] reports that arc a is a whole ring without nodes.
	closed []bool
}

// arcRef is one arc of a ring, walked forwards or backwards.
type arcRef struct {
	arc int32
	rev bool
}

// topoRing is a ring as a sequence of arcs.
type topoRing []arcRef

// topoPoly is a polygon: the exterior first, then holes.
type topoPoly []topoRing

// topoBuilder collects rings before cutting them into arcs.
type topoBuilder struct {
	ids   map[orb.Point]int32
	pts   []orb.Point
	rings [][]int32 // open rings (no repeated closing vertex)
}

func newTopoBuilder() *topoBuilder {
	return &topoBuilder{ids: map[orb.Point]int32{}}
}

// addRing registers a ring in lon/lat and returns its handle, or -1 for a
// ring with fewer than three distinct vertices or a non-finite coordinate.
func (b *topoBuilder) addRing(r orb.Ring) int {
	out := make([]int32, 0, len(r))
	for _, p := range r {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			return -1
		}
		id, ok := b.ids[p]
		if !ok {
			id = int32(len(b.pts))
			b.ids[p] = id
			b.pts = append(b.pts, project(p))
		}
		if len(out) > 0 && out[len(out)-1] == id {
			continue
		}
		out = append(out, id)
	}
	for len(out) > 1 && out[len(out)-1] == out[0] {
		out = out[:len(out)-1]
	}
	if len(out) < 3 {
		return -1
	}
	b.rings = append(b.rings, out)
	return len(b.rings) - 1
}

// build cuts the rings into arcs and returns the topology and each ring as
// arcs, indexed by the handles addRing returned.
func (b *topoBuilder) build() (*topology, []topoRing) {
	type edge struct{ a, b int32 }
	und := func(a, c int32) edge {
		if a > c {
			a, c = c, a
		}
		return edge{a, c}
	}
	edges := map[edge]struct{}{}
	degree := make([]int32, len(b.pts))
	for _, r := range b.rings {
		for i, v := range r {
			w := r[(i+1)%len(r)]
			e := und(v, w)
			if _, ok := edges[e]; !ok {
				edges[e] = struct{}{}
				degree[v]++
				degree[w]++
			}
		}
	}
	t := &topology{pts: b.pts}
	byFirst := map[edge]arcRef{} // first directed edge of a walk → arc
	out := make([]topoRing, len(b.rings))
	for ri, r := range b.rings {
		n := len(r)
		start := -1
		for i, v := range r {
			if degree[v] != 2 {
				start = i
				break
			}
		}
		if start < 0 {
			// No node: the whole ring is one closed arc, started at its
			// smallest vertex id so every ring that shares it agrees.
			start = 0
			for i, v := range r {
				if v < r[start] {
					start = i
				}
			}
			chain := make([]int32, 0, n+1)
			for i := 0; i <= n; i++ {
				chain = append(chain, r[(start+i)%n])
			}
			if ref, ok := byFirst[edge{chain[0], chain[1]}]; ok {
				out[ri] = topoRing{ref}
				continue
			}
			id := int32(len(t.arcs))
			t.arcs = append(t.arcs, chain)
			t.closed = append(t.closed, true)
			byFirst[edge{chain[0], chain[1]}] = arcRef{id, false}
			byFirst[edge{chain[0], chain[n-1]}] = arcRef{id, true}
			out[ri] = topoRing{{id, false}}
			continue
		}
		var ring topoRing
		i := start
		for done := 0; done < n; {
			chain := []int32{r[i%n]}
			for {
				i++
				done++
				v := r[i%n]
				chain = append(chain, v)
				if degree[v] != 2 || done == n {
					break
				}
			}
			k := len(chain) - 1
			if ref, ok := byFirst[edge{chain[0], chain[1]}]; ok {
				ring = append(ring, ref)
				continue
			}
			id := int32(len(t.arcs))
			t.arcs = append(t.arcs, chain)
			t.closed = append(t.closed, false)
			byFirst[edge{chain[0], chain[1]}] = arcRef{id, false}
			byFirst[edge{chain[k], chain[k-1]}] = arcRef{id, true}
			ring = append(ring, arcRef{id, false})
		}
		out[ri] = ring
	}
	return t, out
}

// project maps lon/lat to Web Mercator world fractions: x east and y south,
// both 0..1 over the world.
func project(p orb.Point) orb.Point {
	lat := math.Max(-85.0511287798, math.Min(85.0511287798, p[1]))
	siny := math.Sin(lat * math.Pi / 180)
	return orb.Point{
		p[0]/360 + 0.5,
		0.5 - math.Log((1+siny)/(1-siny))/(4*math.Pi),
	}
}

// unproject is the inverse of project.
func unproject(p orb.Point) orb.Point {
	n := math.Pi - 2*math.Pi*p[1]
	return orb.Point{(p[0] - 0.5) * 360, 180 / math.Pi * math.Atan(math.Sinh(n))}
}

// simplified returns every arc simplified with Douglas–Peucker at the
// tolerance tol (world fractions). Arcs keep their end nodes; a closed arc
// keeps at least three vertices so its ring keeps an area.
func (t *topology) simplified(tol float64) [][]int32 {
	out := make([][]int32, len(t.arcs))
	keep := []bool{}
	for a, arc := range t.arcs {
		if cap(keep) < len(arc) {
			keep = make([]bool, len(arc))
		}
		keep = keep[:len(arc)]
		clear(keep)
		last := len(arc) - 1
		keep[0], keep[last] = true, true
		if t.closed[a] {
			// Anchor on the vertex farthest from the start, and on the one
			// farthest from that chord, then simplify each piece.
			far, fd := 0, -1.0
			for i := 1; i < last; i++ {
				if d := dist2(t.pts[arc[i]], t.pts[arc[0]]); d > fd {
					far, fd = i, d
				}
			}
			if far > 0 {
				keep[far] = true
				third, td := -1, -1.0
				for i := 1; i < last; i++ {
					if i == far {
						continue
					}
					if d := segDist2(t.pts[arc[i]], t.pts[arc[0]], t.pts[arc[far]]); d > td {
						third, td = i, d
					}
				}
				if third > 0 {
					keep[third] = true
				}
				for i, j := 0, 1; j <= last; j++ {
					if keep[j] {
						t.dp(arc, i, j, tol*tol, keep)
						i = j
					}
				}
			}
		} else {
			t.dp(arc, 0, last, tol*tol, keep)
		}
		s := make([]int32, 0, 8)
		for i, k := range keep {
			if k {
				s = append(s, arc[i])
			}
		}
		out[a] = s
	}
	return out
}

// dp marks the vertices of arc[i:j+1] that Douglas–Peucker keeps.
func (t *topology) dp(arc []int32, i, j int, tol2 float64, keep []bool) {
	for j-i > 1 {
		a, b := t.pts[arc[i]], t.pts[arc[j]]
		far, fd := -1, tol2
		for k := i + 1; k < j; k++ {
			if d := segDist2(t.pts[arc[k]], a, b); d > fd {
				far, fd = k, d
			}
		}
		if far < 0 {
			return
		}
		keep[far] = true
		t.dp(arc, i, far, tol2, keep)
		i = far
	}
}

func dist2(a, b orb.Point) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}

// segDist2 is the squared distance from p to the segment ab.
func segDist2(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return dist2(p, a)
	}
	u := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
	u = math.Max(0, math.Min(1, u))
	return dist2(p, orb.Point{a[0] + u*dx, a[1] + u*dy})
}
