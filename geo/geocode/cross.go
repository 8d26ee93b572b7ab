package geocode

import (
	"math"
	"sort"

	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// Crossings of named roads. Two road groups cross where a segment of one
// shares a node with a segment of the other, where their segments
// intersect, or where one ends within crossTouchM of the other (a
// T-junction not noded in the data). Crossings of one pair closer than
// crossMergeM are one crossing (a dual carriageway, a staggered junction).
const (
	crossTouchM = 8.0
	crossMergeM = 40.0
	crossCell   = 0.003 // degrees, the bucket of the segment hash
)

type crossKey [2]int32

// crossPoint is one crossing: the two road groups and where.
type crossPoint struct {
	a, b int32
	pt   orb.Point
}

func ck(a, b int32) crossKey {
	if a > b {
		a, b = b, a
	}
	return crossKey{a, b}
}

// buildCrossings finds every crossing of two differently named road groups.
func (g *Gazetteer) buildCrossings() {
	c := g.city
	g.crossings = map[crossKey][]orb.Point{}
	groupOf := make([]int32, len(c.Roads))
	for gi, r := range g.roads {
		for _, si := range r.segs {
			groupOf[si] = int32(gi)
		}
	}
	add := func(a, b int32, p orb.Point) {
		if a == b || g.roads[a].name == g.roads[b].name {
			return
		}
		k := ck(a, b)
		mx, my := geo.MetresPerDegree(p[1])
		for _, q := range g.crossings[k] {
			if math.Hypot((q[0]-p[0])*mx, (q[1]-p[1])*my) < crossMergeM {
				return
			}
		}
		g.crossings[k] = append(g.crossings[k], p)
		g.crossList = append(g.crossList, crossPoint{k[0], k[1], p})
	}
	// Shared nodes.
	type nodeEnd struct {
		group int32
		pt    orb.Point
	}
	atNode := make(map[int64][]nodeEnd, 2*len(c.Roads))
	for i, r := range c.Roads {
		if len(r.Geom) < 2 {
			continue
		}
		atNode[r.FromNode] = append(atNode[r.FromNode], nodeEnd{groupOf[i], r.Geom[0]})
		atNode[r.ToNode] = append(atNode[r.ToNode], nodeEnd{groupOf[i], r.Geom[len(r.Geom)-1]})
	}
	nodes := make([]int64, 0, len(atNode))
	for n := range atNode {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(a, b int) bool { return nodes[a] < nodes[b] })
	for _, n := range nodes {
		es := atNode[n]
		for i := range es {
			for j := i + 1; j < len(es); j++ {
				add(es[i].group, es[j].group, es[i].pt)
			}
		}
	}
	// Geometric crossings and near-touches, through a hash of segments.
	type seg struct {
		a, b  orb.Point
		group int32
	}
	var segs []seg
	for i, r := range c.Roads {
		for k := 0; k+1 < len(r.Geom); k++ {
			segs = append(segs, seg{r.Geom[k], r.Geom[k+1], groupOf[i]})
		}
	}
	cells := map[[2]int32][]int32{}
	key := func(x, y float64) [2]int32 {
		return [2]int32{int32(math.Floor(x / crossCell)), int32(math.Floor(y / crossCell))}
	}
	for i, s := range segs {
		k0 := key(math.Min(s.a[0], s.b[0]), math.Min(s.a[1], s.b[1]))
		k1 := key(math.Max(s.a[0], s.b[0]), math.Max(s.a[1], s.b[1]))
		for x := k0[0]; x <= k1[0]; x++ {
			for y := k0[1]; y <= k1[1]; y++ {
				cells[[2]int32{x, y}] = append(cells[[2]int32{x, y}], int32(i))
			}
		}
	}
	ckeys := make([][2]int32, 0, len(cells))
	for k := range cells {
		ckeys = append(ckeys, k)
	}
	sort.Slice(ckeys, func(a, b int) bool {
		if ckeys[a][0] != ckeys[b][0] {
			return ckeys[a][0] < ckeys[b][0]
		}
		return ckeys[a][1] < ckeys[b][1]
	})
	for _, k := range ckeys {
		list := cells[k]
		for x := 0; x < len(list); x++ {
			s := segs[list[x]]
			for y := x + 1; y < len(list); y++ {
				t := segs[list[y]]
				if s.group == t.group || g.roads[s.group].name == g.roads[t.group].name {
					continue
				}
				if p, ok := segCross(s.a, s.b, t.a, t.b); ok {
					add(s.group, t.group, p)
					continue
				}
				mx, my := geo.MetresPerDegree(s.a[1])
				for _, e := range [4]struct {
					p    orb.Point
					a, b orb.Point
				}{{s.a, t.a, t.b}, {s.b, t.a, t.b}, {t.a, s.a, s.b}, {t.b, s.a, s.b}} {
					if f, d := footM(e.a, e.b, e.p, mx, my); d <= crossTouchM {
						add(s.group, t.group, f)
						break
					}
				}
			}
		}
	}
}

// segCross is the point where segments ab and cd cross, ends included.
func segCross(a, b, c, d orb.Point) (orb.Point, bool) {
	rx, ry := b[0]-a[0], b[1]-a[1]
	sx, sy := d[0]-c[0], d[1]-c[1]
	den := rx*sy - ry*sx
	if den == 0 {
		return orb.Point{}, false
	}
	qx, qy := c[0]-a[0], c[1]-a[1]
	t := (qx*sy - qy*sx) / den
	u := (qx*ry - qy*rx) / den
	if t < 0 || t > 1 || u < 0 || u > 1 {
		return orb.Point{}, false
	}
	return orb.Point{a[0] + t*rx, a[1] + t*ry}, true
}

// footM is the point of segment ab nearest to p and its distance in metres.
func footM(a, b, p orb.Point, mx, my float64) (orb.Point, float64) {
	dx, dy := (b[0]-a[0])*mx, (b[1]-a[1])*my
	px, py := (p[0]-a[0])*mx, (p[1]-a[1])*my
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, (px*dx+py*dy)/l))
	}
	f := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
	return f, math.Hypot(px-t*dx, py-t*dy)
}

// closestApproach is how near (metres) two road groups come to each other.
func (g *Gazetteer) closestApproach(a, b int32) float64 {
	best := math.Inf(1)
	c := g.city
	for _, si := range g.roads[a].segs {
		s := c.Roads[si].Geom
		for _, ti := range g.roads[b].segs {
			t := c.Roads[ti].Geom
			for i := 0; i+1 < len(s); i++ {
				mx, my := geo.MetresPerDegree(s[i][1])
				for j := 0; j+1 < len(t); j++ {
					for _, e := range [4][3]orb.Point{{s[i], t[j], t[j+1]}, {s[i+1], t[j], t[j+1]}, {t[j], s[i], s[i+1]}, {t[j+1], s[i], s[i+1]}} {
						if _, d := footM(e[1], e[2], e[0], mx, my); d < best {
							best = d
						}
					}
				}
			}
		}
	}
	return best
}
