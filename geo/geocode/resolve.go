package geocode

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

func (g *Gazetteer) notFound(a *Answer, reason, msg string) {
	a.Status, a.Reason, a.Message = StatusNotFound, reason, msg
	a.Candidates = []Candidate{}
}

func roadsOf(ms []match) []match {
	var out []match
	for _, m := range ms {
		if m.kind == KindRoad {
			out = append(out, m)
		}
	}
	return out
}

// intersection answers an address that names two roads and no number:
// where they cross, with the grid there. It reports false when the
// address is no intersection.
func (g *Gazetteer) intersection(a *Answer, p *Parsed, ms [][]match, limit int) bool {
	if p.HouseNumber != 0 || p.Building != 0 || p.Unit != 0 || p.Room != 0 {
		return false
	}
	var ri []int
	for k, t := range p.Names {
		if t.Level == LevelRoad {
			ri = append(ri, k)
		}
	}
	// 光明路与青檀 交叉口: a second road said without its road word.
	if len(ri) == 1 && p.Intersection {
		for k, t := range p.Names {
			if k == ri[0]+1 && t.Level == LevelUnknown {
				for _, w := range []string{"路", "街", "大道"} {
					txt := strings.TrimLeftFunc(t.Text, isConnector) + w
					if rm := roadsOf(g.lookup(Token{txt, LevelRoad}, nil)); len(rm) > 0 {
						p.Names[k] = Token{txt, LevelRoad}
						ms[k] = rm
						ri = append(ri, k)
						break
					}
				}
			}
		}
	}
	if len(ri) != 2 {
		return false
	}
	var groups [2][]match
	joined := p.Intersection || ri[1] == ri[0]+1
	for n, k := range ri {
		t := p.Names[k]
		rm := roadsOf(ms[k])
		_, exact := g.byName[t.Text]
		if rs := []rune(t.Text); len(rs) > 2 && isConnector(rs[0]) && (!exact || len(rm) == 0) {
			// 与青檀路: the connector belongs to no name.
			_, w := utf8.DecodeRuneInString(t.Text)
			stripped := t.Text[w:] // one connector: 和和平路 is 和 + 和平路
			if sm := roadsOf(g.lookup(Token{stripped, LevelRoad}, nil)); len(sm) > 0 {
				rm = sm
				p.Names[k].Text = stripped
				joined = true
			}
		}
		groups[n] = rm
	}
	if !joined {
		return false
	}
	for n, k := range ri {
		if len(groups[n]) == 0 {
			if !p.Intersection && len(groups[1-n]) == 0 {
				return false
			}
			name := p.Names[k].Text
			if r, w := utf8.DecodeRuneInString(name); isConnector(r) {
				name = name[w:]
			}
			g.notFound(a, ReasonUnknownRoad, name+" is not a road of this city")
			return true
		}
	}
	// The other names judge the crossings (区, 街道, 社区 given).
	ctx := &Parsed{}
	var cms [][]match
	for k, t := range p.Names {
		if k != ri[0] && k != ri[1] {
			ctx.Names = append(ctx.Names, t)
			cms = append(cms, ms[k])
		}
	}
	var cs []cand
	seen := map[crossKey]bool{}
	for _, x := range groups[0] {
		for _, y := range groups[1] {
			k := ck(x.id, y.id)
			if seen[k] {
				continue
			}
			seen[k] = true
			for _, pt := range g.crossings[k] {
				gi := int32(-1)
				if r := g.ix.Locate(pt); r.Grid >= 0 {
					gi = int32(r.Grid)
				} else if r.Nearest >= 0 {
					gi = int32(r.Nearest)
				}
				c := g.newCand(KindIntersection, x.id, gi, -1, 0.75*math.Min(x.sim, y.sim))
				c.road, c.road2, c.point = x.id, y.id, pt
				if gi >= 0 && g.ix.Locate(pt).Grid < 0 {
					c.reasons = append(c.reasons, reason{text: "the crossing lies outside every grid; the nearest grid is given"})
				}
				g.score(&c, ctx, cms, nil)
				cs = append(cs, c)
			}
		}
	}
	if len(cs) == 0 {
		near := math.Inf(1)
		for _, x := range groups[0] {
			for _, y := range groups[1] {
				near = math.Min(near, g.closestApproach(x.id, y.id))
			}
		}
		na, nb := g.roads[groups[0][0].id].name, g.roads[groups[1][0].id].name
		msg := fmt.Sprintf("%s and %s do not cross", na, nb)
		if na == nb {
			msg = na + " was named twice"
		} else if !math.IsInf(near, 0) {
			msg += fmt.Sprintf(" (they come no nearer than %.0f m)", near)
		}
		g.notFound(a, ReasonNoCrossing, msg)
		return true
	}
	g.rank(a, cs, p, limit)
	return true
}

// rank orders scored candidates, applies gates and offsets, and settles
// the answer.
func (g *Gazetteer) rank(a *Answer, cs []cand, p *Parsed, limit int) {
	g.adjust(cs, p)
	slices.SortStableFunc(cs, func(a, b cand) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return int(a.grid - b.grid)
	})
	g.conclude(a, cs, p, limit)
}

// conclude turns ranked, adjusted candidates into the answer.
func (g *Gazetteer) conclude(a *Answer, cs []cand, p *Parsed, limit int) {
	if top := &cs[0]; top.grid < 0 && top.moved > 0 {
		r := g.ix.LocateWithin(top.point, 5000)
		msg := "the offsets move the point out of every grid"
		if r.Nearest >= 0 {
			msg += fmt.Sprintf(" (%.0f m from %s)", r.DistanceM, g.city.Grids[r.Nearest].Name)
		}
		g.notFound(a, ReasonOutsideGrid, msg)
		return
	}
	g.finish(a, cs, limit, p)
	g.settle(a, cs, p)
}

// landmark answers an address that names a POI or a station (人民医院东门,
// 光明路小学门口, 荆善社区服务中心). It reports false when there is none.
func (g *Gazetteer) landmark(a *Answer, p *Parsed, limit int) bool {
	// 安康社区的党群服务中心: 的 joins no name.
	s := strings.ReplaceAll(strings.ReplaceAll(p.head, string(sep), ""), "的", "")
	said := p.Gate != ""
	for _, o := range p.Offsets {
		if o.Kind != OffsetNear {
			said = true
		}
	}
	span, ok := g.findLandmark(s, said)
	if !ok {
		return false
	}
	rest := strings.Trim(s[:span.start]+string(sep)+s[span.end:], string(sep))
	ctx := &Parsed{}
	if rest != "" {
		ctx = parseNormalized(rest)
	}
	if ctx.Building > 0 || ctx.Unit > 0 || ctx.Room > 0 {
		return false // 某某小学3号楼: a building, not the landmark
	}
	if span.shadowed {
		for _, t := range ctx.Names {
			if t.Level != LevelDistrict {
				return false // 幸福小区 北辛街道门口: the street is context
			}
		}
	}
	cms := g.lookupNames(ctx)
	var cs []cand
	for _, x := range span.refs {
		if x.sim < 0.97 {
			x.sim *= 0.75 // a name one edit away: never confident on its own
		}
		switch x.kind {
		case KindPOI:
			c := g.newCand(KindPOI, x.id, g.poiGrid[x.id], -1, 0.75*x.sim)
			c.point, c.road = g.city.POIs[x.id].Point, g.poiRoad[x.id]
			g.score(&c, ctx, cms, nil)
			cs = append(cs, c)
		case KindStation:
			c := g.newCand(KindStation, x.id, g.stationGrid[x.id], -1, 0.75*x.sim)
			c.point = g.city.Stations[x.id].Point
			g.score(&c, ctx, cms, nil)
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return false
	}
	g.rank(a, cs, p, limit)
	return true
}

// adjust moves each candidate to the gate named and by the offsets, and
// finds the grid it lands in.
func (g *Gazetteer) adjust(cs []cand, p *Parsed) {
	if p.Gate == "" && len(p.Offsets) == 0 {
		return
	}
	for i := range cs {
		c := &cs[i]
		an := anchor{pt: c.point, road: c.road}
		switch {
		case c.kind == KindPOI:
			an.poly = g.city.POIs[c.id].Geom
			if p.Gate != "" {
				pt, name, ok := g.poiGate(c.id, p.Gate)
				c.point, c.gate, an.pt, an.poly = pt, name, pt, nil
				if !ok {
					c.reasons = append(c.reasons, reason{text: "no " + p.Gate + " of " + g.city.POIs[c.id].Name + " on record; " + gateFallback(name)})
				}
			}
		case c.compound >= 0:
			an.poly = g.city.Compounds[c.compound].Geom
			if c.road < 0 {
				an.road = g.compGate[c.compound].group
			}
			if b, _, ok := dirAt([]rune(p.Gate), 0); ok && c.building < 0 {
				c.point = outlinePoint(an.poly, b, gateInset)
				an.pt, an.poly = c.point, nil
				c.reasons = append(c.reasons, reason{text: "the " + bearingWord(b) + " side of the compound (" + p.Gate + ")"})
			}
			if c.building >= 0 {
				an.poly = nil // offsets from a building start at its entrance
			}
		case c.kind == KindIntersection:
			an.road = -1
		}
		if len(p.Offsets) == 0 {
			continue
		}
		pt, moved, why := g.applyOffsets(an, p.Offsets)
		c.anchor, c.point, c.moved = an.pt, pt, moved
		for _, w := range why {
			c.reasons = append(c.reasons, reason{text: w})
		}
		before := c.grid
		r := g.ix.Locate(pt)
		switch {
		case r.Grid >= 0:
			c.grid = int32(r.Grid)
		case r.Nearest >= 0:
			c.grid = int32(r.Nearest)
			c.reasons = append(c.reasons, reason{text: fmt.Sprintf("the point lands outside every grid; the nearest grid is %.0f m away", r.DistanceM)})
		default:
			c.grid = -1
		}
		c.comm, c.street, c.dist = g.hierarchyOfGrid(c.grid)
		if before >= 0 && c.grid >= 0 && before != c.grid {
			c.reasons = append(c.reasons, reason{text: "lands in " + g.city.Grids[c.grid].Name + ", not in " + g.city.Grids[before].Name + " where the named place is"})
		}
	}
}

func gateFallback(name string) string {
	if name == "" {
		return "that side of its plot is used"
	}
	return "its " + name + " is used"
}

// settle caps the confidence of moved, near and edge answers, names the
// grids an edge answer may also be in, and sets the match.
func (g *Gazetteer) settle(a *Answer, cs []cand, p *Parsed) {
	if a.Status == StatusNotFound || len(a.Candidates) == 0 || len(cs) == 0 {
		return
	}
	top := &cs[0]
	a.Match = a.Candidates[0].Kind.String()
	cap := 1.0
	for _, o := range p.Offsets {
		switch o.Kind {
		case OffsetNear, OffsetOpposite:
			cap = math.Min(cap, NearCap)
		default:
			cap = math.Min(cap, OffsetCap)
		}
	}
	if top.grid >= 0 && top.kind != KindCommunity && top.kind != KindStreet && top.kind != KindDistrict && top.kind != KindRoad {
		margin := edgeBaseM
		if top.moved > 0 {
			margin = edgeMoveM + edgeShare*top.moved
		}
		if d := g.edgeDistance(int(top.grid), top.point); d < margin {
			cap = math.Min(cap, EdgeCap)
			nb := g.neighbourGrids(int(top.grid), top.point, margin+1)
			var names []string
			for _, n := range nb {
				names = append(names, g.city.Grids[n].Name+" ("+g.city.Grids[n].Code+")")
			}
			msg := fmt.Sprintf("%.0f m from the edge of %s", d, g.city.Grids[top.grid].Name)
			if len(names) > 0 {
				msg += "; it may as well be in " + strings.Join(names, ", ")
			}
			a.Candidates[0].Reasons = append(a.Candidates[0].Reasons, msg)
			if a.Status == StatusOK {
				for _, n := range nb {
					if len(a.Candidates) >= 8 {
						break
					}
					alt := *top
					alt.grid = int32(n)
					alt.comm, alt.street, alt.dist = g.hierarchyOfGrid(alt.grid)
					cd := g.candidate(&alt, 0)
					cd.Reasons = []string{"the grid across the edge"}
					a.Candidates = append(a.Candidates, cd)
				}
			}
		}
	}
	for i := range a.Candidates {
		c := &a.Candidates[i]
		if c.Confidence > cap {
			c.Confidence = round3(cap)
		}
	}
	if top.moved >= 0 && len(p.Offsets) > 0 {
		an := [2]float64{top.anchor[0], top.anchor[1]}
		a.Candidates[0].Anchor = &an
	}
	// Alternatives of an edge answer share its confidence at most, lower.
	for i := 1; i < len(a.Candidates); i++ {
		if c := &a.Candidates[i]; c.Confidence == 0 {
			c.Confidence = round3(math.Min(a.Candidates[0].Confidence, 0.5) * 0.8)
		}
	}
}

// pointOf is a candidate's point as an orb.Point.
func pointOf(c *Candidate) orb.Point { return orb.Point{c.Point[0], c.Point[1]} }
