package coverage

import (
	"math"

	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"
)

// Catchment is one station's reach drawn for display.
type Catchment struct {
	Station    int // index into City.Stations
	RadiusM    float64
	Buildings  int
	Households int
	// Polygon is the convex hull of everything the station reaches: the
	// roads within the walking distance (partial segments cut where the
	// distance runs out) and the buildings reached. It is a display shape
	// only: every figure counts buildings by their walking distance, so a
	// building inside the hull may still be out of reach.
	Polygon orb.Polygon
}

// Catchments draws the catchment of every selected station, in the order
// of the city's stations, in parallel.
func (m *Model) Catchments(sel Sites) []Catchment {
	var idx []int
	for i := range m.City.Stations {
		if sel(i) {
			idx = append(idx, i)
		}
	}
	out := make([]Catchment, len(idx))
	parallel(len(idx), func(k int) {
		s := &m.City.Stations[idx[k]]
		c := m.Catchment(s.Point, m.RadiusOf(s))
		c.Station = idx[k]
		out[k] = c
	})
	return out
}

// Catchment draws the reach of a site at p within radius metres.
func (m *Model) Catchment(p orb.Point, radius float64) Catchment {
	reached := m.Reach(p, radius)
	c := Catchment{Station: -1, RadiusM: radius, Buildings: len(reached)}
	pts := []orb.Point{p}
	for _, r := range reached {
		c.Households += int(m.hh[r.Building])
		pts = append(pts, m.City.Buildings[r.Building].Entrance)
	}
	from := m.Net.Snap(p, m.Opt.MaxSnap)
	if from.Seg < 0 {
		// Off the network: the straight-line fallback is a circle.
		pts = append(pts, circle(p, radius/m.Opt.Detour, 32)...)
	} else {
		pts = append(pts, m.roadReach(from, radius)...)
	}
	c.Polygon = orb.Polygon{hull(pts)}
	return c
}

// roadReach returns the points of the road network within radius metres of
// an access point: nodes, segment vertices, and the points where the
// distance runs out along each segment.
func (m *Model) roadReach(from Access, radius float64) []orb.Point {
	d := m.pool.Get().(*dijkstra)
	defer func() { d.reset(); m.pool.Put(d) }()
	d.run(m.Net, from, radius)
	var pts []orb.Point
	n := m.Net
	// The access segment itself, both ways from the snap point.
	left := radius - from.Snap
	if left > 0 {
		sg := &n.segs[from.Seg]
		pts = append(pts, between(sg.geom, sg.length, from.Along-left, from.Along+left)...)
	}
	done := map[int32]bool{}
	for _, x := range d.touched {
		if d.dist[x] > radius {
			continue
		}
		pts = append(pts, n.nodes[x])
		for _, s := range n.adj[x] {
			sg := &n.segs[s]
			if done[s] {
				continue
			}
			done[s] = true
			if left := radius - d.dist[sg.a]; left > 0 {
				pts = append(pts, between(sg.geom, sg.length, 0, left)...)
			}
			if left := radius - d.dist[sg.b]; left > 0 {
				pts = append(pts, between(sg.geom, sg.length, sg.length-left, sg.length)...)
			}
		}
	}
	return pts
}

// between returns the part of g from lo to hi metres along it: the points
// where it starts and stops and the vertices in between. length is the
// segment's length, to which the vertex distances are scaled.
func between(g orb.LineString, length, lo, hi float64) []orb.Point {
	if len(g) < 2 || hi < lo {
		return nil
	}
	total := 0.0
	for i := 1; i < len(g); i++ {
		total += geo.Distance(g[i-1], g[i])
	}
	scale := 1.0
	if total > 0 && length > 0 {
		scale = length / total
	}
	at := func(a, b orb.Point, t float64) orb.Point {
		return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
	}
	var out []orb.Point
	walked := 0.0
	if lo <= 0 {
		out = append(out, g[0])
	}
	for i := 1; i < len(g); i++ {
		a, b := g[i-1], g[i]
		step := geo.Distance(a, b) * scale
		next := walked + step
		if step > 0 && lo > walked && lo < next {
			out = append(out, at(a, b, (lo-walked)/step))
		}
		if step > 0 && hi > walked && hi < next {
			return append(out, at(a, b, (hi-walked)/step))
		}
		if next >= lo && next <= hi {
			out = append(out, b)
		}
		walked = next
	}
	return out
}

// circle is an n-gon of radius metres around p.
func circle(p orb.Point, radius float64, n int) []orb.Point {
	kx, ky := geo.MetresPerDegree(p[1])
	out := make([]orb.Point, n)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(n)
		out[i] = orb.Point{p[0] + radius*math.Cos(a)/kx, p[1] + radius*math.Sin(a)/ky}
	}
	return out
}

// hull is the convex hull of pts (simplefeatures) as a closed
// counter-clockwise ring; nil when the points span no area.
func hull(pts []orb.Point) orb.Ring {
	xy := make([]float64, 0, 2*len(pts))
	for _, p := range pts {
		xy = append(xy, p[0], p[1])
	}
	poly, ok := geom.NewMultiPointXY(xy...).ConvexHull().AsPolygon()
	if !ok {
		return nil
	}
	seq := poly.ExteriorRing().Coordinates()
	r := make(orb.Ring, seq.Length())
	for i := range r {
		c := seq.GetXY(i)
		r[i] = orb.Point{c.X, c.Y}
	}
	if r.Orientation() != orb.CCW {
		r.Reverse()
	}
	return r
}
