package geocode

import (
	"fmt"
	"math"
	"strconv"

	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// Offsets move a candidate's point: a distance along its bearing; a side
// or corner of an area to its outline there (gateInset inside), of a
// point DefaultOffsetM that way; 对面 across the road the place faces;
// 旁边, 附近 nowhere. The grid is then the one the moved point lands in.
//
// Edges. A point that lands within edgeMargin of its grid's outline may be
// in the neighbouring grid as well: callers' distances and sides are
// approximate. The margin is edgeBaseM for a point that was not moved and
// edgeMoveM plus edgeShare of the distance moved otherwise; inside it the
// confidence is at most EdgeCap and the neighbouring grids are named.
const (
	gateInset = 5.0
	edgeBaseM = 3.0
	edgeMoveM = 10.0
	edgeShare = 0.1
	// EdgeCap is the highest confidence of an answer that lands near a
	// grid edge.
	EdgeCap = 0.6
	// OffsetCap is the highest confidence of an answer moved by an
	// offset or a side: the caller's distance is approximate.
	OffsetCap = 0.9
	// NearCap is the highest confidence of a place said to be near
	// (旁边, 附近) or across from (对面) the named one.
	NearCap = 0.85
	// oppositeM is how far past the road's centreline 对面 lands at least.
	oppositeM = 30.0
)

// anchor is what offsets start from: the candidate's point, the outline of
// its area (POI plot, compound) and the road it faces, when known.
type anchor struct {
	pt   orb.Point
	poly orb.Polygon
	road int32 // road group, or -1
}

// move returns p moved d metres along bearing b (degrees from north).
func move(p orb.Point, b, d float64) orb.Point {
	mx, my := geo.MetresPerDegree(p[1])
	rad := b * math.Pi / 180
	return orb.Point{p[0] + d*math.Sin(rad)/mx, p[1] + d*math.Cos(rad)/my}
}

// outlinePoint is the point of poly's outline in direction b from its
// centre, inset metres inside.
func outlinePoint(poly orb.Polygon, b, inset float64) orb.Point {
	ctr := centroid(poly)
	far := move(ctr, b, 5000)
	best, bd := ctr, math.Inf(1)
	r := poly[0]
	for i := 0; i+1 < len(r); i++ {
		if p, ok := segCross(ctr, far, r[i], r[i+1]); ok {
			if d := planarDist(p, ctr); d < bd {
				best, bd = p, d
			}
		}
	}
	mx, my := geo.MetresPerDegree(ctr[1])
	l := math.Hypot((best[0]-ctr[0])*mx, (best[1]-ctr[1])*my)
	if l <= inset {
		return ctr
	}
	return orb.Point{best[0] - (best[0]-ctr[0])*inset/l, best[1] - (best[1]-ctr[1])*inset/l}
}

// applyOffsets moves a from its anchor by the offsets, in order. It returns
// the point, the metres moved and the words for the reasons.
func (g *Gazetteer) applyOffsets(a anchor, offs []Offset) (orb.Point, float64, []string) {
	p := a.pt
	moved := 0.0
	var why []string
	for _, o := range offs {
		switch o.Kind {
		case OffsetMove:
			d := math.Min(o.Distance, MaxOffsetM)
			p = move(p, o.Bearing, d)
			moved += d
			why = append(why, fmt.Sprintf("moved %s m %s (%s)", strconv.FormatFloat(d, 'f', -1, 64), bearingWord(o.Bearing), o.Text))
		case OffsetSide, OffsetCorner:
			if len(a.poly) > 0 && moved == 0 {
				q := outlinePoint(a.poly, o.Bearing, gateInset)
				moved += distM(p, q)
				p = q
				why = append(why, "the "+bearingWord(o.Bearing)+" side of the place ("+o.Text+")")
				continue
			}
			p = move(p, o.Bearing, DefaultOffsetM)
			moved += DefaultOffsetM
			why = append(why, fmt.Sprintf("%.0f m %s assumed (%s, no distance given)", DefaultOffsetM, bearingWord(o.Bearing), o.Text))
		case OffsetOpposite:
			if a.road < 0 {
				why = append(why, o.Text+": no road known to cross; the place itself is used")
				continue
			}
			f, d := g.roadFoot(a.road, p)
			mx, my := geo.MetresPerDegree(p[1])
			dx, dy := (f[0]-p[0])*mx, (f[1]-p[1])*my
			if d < 0.5 {
				why = append(why, o.Text+": the place is on the road; the place itself is used")
				continue
			}
			beyond := math.Max(d, oppositeM)
			q := orb.Point{f[0] + dx/d*beyond/mx, f[1] + dy/d*beyond/my}
			moved += distM(p, q)
			p = q
			why = append(why, "across "+g.roads[a.road].name+" ("+o.Text+")")
		case OffsetNear:
			why = append(why, "near the place, not at it ("+o.Text+")")
		}
	}
	return p, moved, why
}

// roadFoot is the point of road group gi nearest to p and its distance (m).
func (g *Gazetteer) roadFoot(gi int32, p orb.Point) (orb.Point, float64) {
	mx, my := geo.MetresPerDegree(p[1])
	best, bd := p, math.Inf(1)
	for _, si := range g.roads[gi].segs {
		ls := g.city.Roads[si].Geom
		for i := 0; i+1 < len(ls); i++ {
			if f, d := footM(ls[i], ls[i+1], p, mx, my); d < bd {
				best, bd = f, d
			}
		}
	}
	return best, bd
}

func distM(a, b orb.Point) float64 {
	mx, my := geo.MetresPerDegree(a[1])
	return math.Hypot((a[0]-b[0])*mx, (a[1]-b[1])*my)
}

func bearingWord(b float64) string {
	names := []string{"north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"}
	i := int(math.Round(math.Mod(b+360, 360)/45)) % 8
	return names[i]
}

// edgeDistance is how far (m) p lies from the outline of grid gi.
func (g *Gazetteer) edgeDistance(gi int, p orb.Point) float64 {
	r := g.city.Grids[gi].Geom
	if len(r) == 0 {
		return math.Inf(1)
	}
	mx, my := geo.MetresPerDegree(p[1])
	best := math.Inf(1)
	for _, ring := range r {
		for i := 0; i+1 < len(ring); i++ {
			if _, d := footM(ring[i], ring[i+1], p, mx, my); d < best {
				best = d
			}
		}
	}
	return best
}

// neighbourGrids are the grids other than gi within m metres of p.
func (g *Gazetteer) neighbourGrids(gi int, p orb.Point, m float64) []int {
	var out []int
	for k := 0; k < 8; k++ {
		q := move(p, float64(k)*45, m)
		r := g.ix.LocateWithin(q, 0)
		if r.Grid < 0 || r.Grid == gi {
			continue
		}
		dup := false
		for _, o := range out {
			if o == r.Grid {
				dup = true
			}
		}
		if !dup {
			out = append(out, r.Grid)
		}
	}
	return out
}
