package geocode

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// Answer statuses.
const (
	StatusOK        = "ok"
	StatusAmbiguous = "ambiguous"
	StatusNotFound  = "not_found"
)

// Thresholds of the ranking.
const (
	// AmbiguityMargin: when the best candidates of two different grids are
	// closer than this in score, the answer is ambiguous.
	AmbiguityMargin = 0.1
	// AmbiguousCap is the highest confidence an ambiguous answer gets.
	AmbiguousCap = 0.5
)

// Candidate is one place an address may mean.
type Candidate struct {
	Kind      Kind       `json:"kind"`
	Name      string     `json:"name"`
	Address   string     `json:"address"`
	Point     [2]float64 `json:"point"` // WGS84 lon, lat
	GridCode  string     `json:"grid_code,omitempty"`
	GridName  string     `json:"grid_name,omitempty"`
	Community string     `json:"community,omitempty"`
	Street    string     `json:"street,omitempty"`
	District  string     `json:"district,omitempty"`
	Code      string     `json:"code,omitempty"` // the compound's, building's, station's … own code
	// Anchor is the place the offsets started from (an intersection, a
	// gate …) when the point was moved.
	Anchor     *[2]float64 `json:"anchor,omitempty"`
	Confidence float64     `json:"confidence"`
	Reasons    []string    `json:"reasons,omitempty"`
}

// Answer is the result of Geocode: the ranked candidates, best first, and
// what the caller should know about them.
type Answer struct {
	Query  string `json:"query"`
	Status string `json:"status"` // StatusOK, StatusAmbiguous or StatusNotFound
	// Match is the kind of the best candidate (building, compound,
	// house_number, intersection, poi, station …); Reason says why a
	// not_found answer has none (outside_city, roads_do_not_cross,
	// unknown_road, no_match).
	Match      string      `json:"match,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	Message    string      `json:"message,omitempty"`
	Parsed     *Parsed     `json:"parsed,omitempty"`
	Candidates []Candidate `json:"candidates"`
}

// Best returns the first candidate, or nil.
func (a *Answer) Best() *Candidate {
	if len(a.Candidates) == 0 {
		return nil
	}
	return &a.Candidates[0]
}

type match struct {
	kind Kind
	id   int32
	sim  float64
}

// lookup finds the places a name token may mean: the exact name first,
// then names one edit away, then names found inside it (exactly, or one edit
// away for names of four characters or more).
func (g *Gazetteer) lookup(t Token, out []match) []match {
	if ki, ok := g.byName[t.Text]; ok {
		for _, r := range g.keys[ki].refs {
			s := 1.0
			if r.alias {
				s = 0.97
			}
			out = append(out, match{r.kind, r.id, s})
		}
		return out
	}
	rs := []rune(t.Text)
	n0 := len(out)
	// One edit away, whole token.
	if len(rs) >= 3 && len(rs) <= 13 {
		out = g.nearNames(rs, t.Level, out)
	}
	if len(out) > n0 {
		return out
	}
	// Names inside the token.
	if len(rs) >= 4 {
		out = g.namesInside(rs, out)
	}
	return out
}

// nearNames finds names one edit from rs through the deletion neighbourhood.
func (g *Gazetteer) nearNames(rs []rune, level Level, out []match) []match {
	var seen [16]int32
	ns := 0
	try := func(key string) {
		for _, ki := range g.deletes[key] {
			dup := false
			for _, s := range seen[:ns] {
				if s == ki {
					dup = true
				}
			}
			if dup {
				continue
			}
			if ns < len(seen) {
				seen[ns] = ki
				ns++
			}
			k := &g.keys[ki]
			if editDistance(rs, k.runes, 1) > 1 {
				continue
			}
			// The level word must survive (光名路 may be 光明路, not 光明街),
			// except a misheard road word with nothing else to say what it
			// is (文化陆 → 文化路).
			lastChanged := last(rs) != last(k.runes) && len(rs) == len(k.runes)
			if lastChanged && (level != LevelUnknown || !onlyRoad(k.refs)) {
				continue
			}
			sim := 0.8
			if len(k.runes) <= 3 {
				sim = 0.7
			}
			for _, r := range k.refs {
				out = append(out, match{r.kind, r.id, sim})
			}
		}
	}
	try(string(rs)) // rs is a name with one character dropped
	buf := make([]rune, 0, len(rs))
	for i := range rs {
		buf = append(buf[:0], rs[:i]...)
		buf = append(buf, rs[i+1:]...)
		s := string(buf)
		if ki, ok := g.byName[s]; ok { // rs is a name with one character added
			k := &g.keys[ki]
			if len(k.runes) >= 3 {
				for _, r := range k.refs {
					out = append(out, match{r.kind, r.id, 0.8})
				}
			}
		}
		try(s)
	}
	return out
}

func onlyRoad(refs []nameRef) bool {
	for _, r := range refs {
		if r.kind != KindRoad {
			return false
		}
	}
	return true
}

func last(rs []rune) rune {
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1]
}

// namesInside finds names of three characters or more that occur in rs,
// exactly or (four characters or more) one edit away, through the bigram
// index.
func (g *Gazetteer) namesInside(rs []rune, out []match) []match {
	type hit struct {
		ki    int32
		count int
	}
	var hits []hit
	pos := map[int32]int{}
	for i := 0; i+1 < len(rs); i++ {
		for _, ki := range g.bigrams[[2]rune{rs[i], rs[i+1]}] {
			if j, ok := pos[ki]; ok {
				hits[j].count++
			} else {
				pos[ki] = len(hits)
				hits = append(hits, hit{ki, 1})
			}
		}
	}
	type found struct {
		ki   int32
		d    int
		size int
	}
	var fs []found
	for _, h := range hits {
		k := &g.keys[h.ki]
		nb := len(k.runes) - 1
		need := nb - 2
		if len(k.runes) < 4 {
			need = nb
		}
		if need < 1 {
			need = 1
		}
		if h.count < need || len(k.runes) > len(rs)+1 {
			continue
		}
		maxD := 1
		if len(k.runes) < 4 {
			maxD = 0
		}
		if d := substringDistance(k.runes, rs, maxD); d <= maxD {
			fs = append(fs, found{h.ki, d, len(k.runes)})
		}
	}
	// Prefer exact and longer names; drop names contained in a longer found
	// name (青檀 inside 青檀社区).
	sort.Slice(fs, func(a, b int) bool {
		if fs[a].d != fs[b].d {
			return fs[a].d < fs[b].d
		}
		return fs[a].size > fs[b].size
	})
	if len(fs) > 12 {
		fs = fs[:12]
	}
	for _, f := range fs {
		k := &g.keys[f.ki]
		inside := false
		for _, o := range fs {
			if o.ki != f.ki && o.size > f.size && o.d <= f.d && strings.Contains(g.keys[o.ki].text, k.text) {
				inside = true
			}
		}
		if inside {
			continue
		}
		sim := 0.95
		if f.d > 0 {
			sim = 0.75
		}
		for _, r := range k.refs {
			out = append(out, match{r.kind, r.id, sim})
		}
	}
	return out
}

// editDistance is the Levenshtein distance of a and b, or max+1 as soon as
// it is sure to exceed max.
func editDistance(a, b []rune, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	var prevA, curA [32]int
	if len(b)+1 > len(prevA) {
		return max + 1
	}
	prev, cur := prevA[:len(b)+1], curA[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1)
			cur[j] = c
			rowMin = min(rowMin, c)
		}
		if rowMin > max {
			return max + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// substringDistance is the least edit distance between pat and any
// substring of text (Sellers), or max+1 when above max.
func substringDistance(pat, text []rune, max int) int {
	var prevA, curA [64]int
	var prev, cur []int
	if len(text)+1 <= len(prevA) {
		prev, cur = prevA[:len(text)+1], curA[:len(text)+1]
	} else {
		prev, cur = make([]int, len(text)+1), make([]int, len(text)+1)
	}
	for i := 1; i <= len(pat); i++ {
		cur[0] = i
		for j := 1; j <= len(text); j++ {
			c := prev[j-1]
			if pat[i-1] != text[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	best := max + 1
	for _, v := range prev {
		if v < best {
			best = v
		}
	}
	return best
}

// cand is a candidate while it is scored.
type cand struct {
	kind     Kind
	id       int32 // compound, station, grid, community, street, district or road group
	grid     int32 // -1 when the candidate spans several grids
	comm     int32
	street   int32
	dist     int32
	compound int32 // -1 unless a compound
	building int32 // -1 unless a building is known
	road     int32 // road group of a house number (the first road of an intersection), or -1
	road2    int32 // the second road of an intersection
	house    int
	gate     string    // the gate's name, for a POI
	anchor   orb.Point // the point before offsets
	moved    float64   // metres the offsets moved it; -1 when not moved
	point    orb.Point
	tok      int // the token it came from; -1 for a house number
	base     float64
	score    float64
	reasons  []reason
}

// reason is why a candidate scored as it did, formatted only when shown.
type reason struct {
	code  uint8 // reasonText, reasonMissing, reasonConflict, reasonBuilding
	what  string
	text  string
	n     int
	units int
}

const (
	reasonText = iota
	reasonMissing
	reasonConflict
	reasonBuilding
	reasonUnits
)

func (r reason) String() string {
	switch r.code {
	case reasonMissing:
		return r.what + " not found: " + r.text
	case reasonConflict:
		return r.what + " does not fit: " + r.text
	case reasonBuilding:
		return "no building " + strconv.Itoa(r.n) + " in " + r.text
	case reasonUnits:
		return r.text + " building " + strconv.Itoa(r.n) + " has only " + strconv.Itoa(r.units) + " unit(s)"
	}
	return r.text
}

func (g *Gazetteer) hierarchyOfGrid(gr int32) (comm, street, dist int32) {
	if gr < 0 {
		return -1, -1, -1
	}
	comm = g.gridComm[gr]
	if comm < 0 {
		return -1, -1, -1
	}
	return comm, g.commStreet[comm], g.commDist[comm]
}

func (g *Gazetteer) newCand(kind Kind, id, grid int32, tok int, base float64) cand {
	c := cand{kind: kind, id: id, grid: grid, compound: -1, building: -1, road: -1, road2: -1, tok: tok, base: base, moved: -1}
	c.comm, c.street, c.dist = g.hierarchyOfGrid(grid)
	return c
}

// Geocode finds the places an address may mean, best first, at most limit
// (5 when limit ≤ 0). Input that is too long or empty after normalising is
// an error; an address that matches nothing is a not_found answer.
func (g *Gazetteer) Geocode(addr string, limit int) (*Answer, error) {
	if limit <= 0 {
		limit = 5
	}
	p, err := Parse(addr)
	if err != nil {
		return nil, err
	}
	a := &Answer{Query: addr, Parsed: p}
	ms := g.lookupNames(p)
	if msg := g.outsideCity(p.raw, p, ms); msg != "" {
		g.notFound(a, ReasonOutsideCity, msg)
		return a, nil
	}
	if g.landmark(a, p, limit) || g.intersection(a, p, ms, limit) {
		return a, nil
	}
	cs := make([]cand, 0, 16)
	// Houses on named roads.
	var houses []cand
	if p.HouseNumber > 0 {
		for ti, m := range ms {
			for _, x := range m {
				if x.kind != KindRoad {
					continue
				}
				houses = append(houses, g.houseCands(x, ti, p.HouseNumber)...)
			}
		}
	}
	cs = append(cs, houses...)
	for ti, m := range ms {
		for _, x := range m {
			switch x.kind {
			case KindCompound:
				c := g.newCand(KindCompound, x.id, g.compGrid[x.id], ti, 0.55*x.sim)
				c.compound, c.point = x.id, g.compPoint[x.id]
				cs = append(cs, c)
			case KindStation:
				c := g.newCand(KindStation, x.id, g.stationGrid[x.id], ti, 0.6*x.sim)
				c.point = g.city.Stations[x.id].Point
				cs = append(cs, c)
			case KindGrid:
				c := g.newCand(KindGrid, x.id, x.id, ti, 0.7*x.sim)
				c.point = centroid(g.city.Grids[x.id].Geom)
				cs = append(cs, c)
			case KindCommunity:
				if p.GridSeq > 0 {
					for _, gr := range g.commGrids[x.id] {
						if g.city.Grids[gr].Seq == p.GridSeq {
							c := g.newCand(KindGrid, gr, gr, ti, 0.65*x.sim)
							c.point = centroid(g.city.Grids[gr].Geom)
							cs = append(cs, c)
						}
					}
				}
			}
		}
	}
	if len(cs) == 0 {
		// Only areas, or a road without a number: coarse answers.
		for ti, m := range ms {
			for _, x := range m {
				switch x.kind {
				case KindCommunity:
					c := g.areaCand(KindCommunity, x.id, ti, 0.3*x.sim)
					cs = append(cs, c)
				case KindStreet:
					cs = append(cs, g.areaCand(KindStreet, x.id, ti, 0.2*x.sim))
				case KindDistrict:
					cs = append(cs, g.areaCand(KindDistrict, x.id, ti, 0.1*x.sim))
				case KindRoad:
					c := g.newCand(KindRoad, x.id, -1, ti, 0.15*x.sim)
					c.point = g.roads[x.id].mid
					if r := g.ix.Locate(c.point); r.District >= 0 {
						c.dist = int32(r.District)
					}
					c.road = x.id
					cs = append(cs, c)
				}
			}
		}
	}
	if len(cs) == 0 {
		msg := "no known place in the address"
		var miss []string
		for _, t := range p.Names {
			miss = append(miss, t.Text)
		}
		if len(miss) > 0 {
			msg += ": " + strings.Join(miss, ", ") + " not found"
		}
		g.notFound(a, ReasonNoMatch, msg)
		return a, nil
	}
	for i := range cs {
		g.score(&cs[i], p, ms, houses)
	}
	g.rank(a, dedupe(cs), p, limit)
	return a, nil
}

// houseCands are the candidates of house number n on road group x: the
// compound whose gate it is, or a point interpolated along the road.
func (g *Gazetteer) houseCands(x match, tok, n int) []cand {
	if ci, ok := g.gates[gateKey{x.id, int32(n)}]; ok {
		c := g.newCand(KindCompound, ci, g.compGrid[ci], tok, 0.55*x.sim)
		c.compound, c.point, c.road, c.house = ci, g.compPoint[ci], x.id, n
		c.reasons = append(c.reasons, reason{text: "house number is the compound's gate"})
		return []cand{c}
	}
	pt, ok := g.housePoint(x.id, n)
	if !ok {
		return nil
	}
	r := g.ix.Locate(pt)
	base, why := 0.5, "house number interpolated along the road"
	grid := r.Grid
	if grid < 0 {
		if r.Nearest < 0 {
			return nil
		}
		grid, base = r.Nearest, 0.3
		why = fmt.Sprintf("house number interpolated along the road lies outside every grid; nearest grid %.0f m away", r.DistanceM)
	}
	c := g.newCand(KindHouse, x.id, int32(grid), tok, base*x.sim)
	c.point, c.road, c.house = pt, x.id, n
	c.reasons = append(c.reasons, reason{text: why})
	return []cand{c}
}

func (g *Gazetteer) areaCand(k Kind, id int32, tok int, base float64) cand {
	c := cand{kind: k, id: id, grid: -1, comm: -1, street: -1, dist: -1, compound: -1, building: -1, road: -1, road2: -1, tok: tok, base: base, moved: -1}
	switch k {
	case KindCommunity:
		c.comm, c.street, c.dist = id, g.commStreet[id], g.commDist[id]
		if gs := g.commGrids[id]; len(gs) == 1 {
			c.grid = gs[0]
		}
		c.point = centroid(g.city.Communities[id].Geom)
	case KindStreet:
		c.street, c.dist = id, g.streetDist[id]
		c.point = centroid(g.city.Streets[id].Geom)
	case KindDistrict:
		c.dist = id
		c.point = g.city.Districts[id].Seat
	}
	return c
}

// level weights: what agreeing on a level adds to a candidate's score.
const (
	wDistrict  = 0.05
	wStreet    = 0.1
	wCommunity = 0.15
	wGrid      = 0.2
	wGate      = 0.3 // road and number name the compound's gate
	wNearby    = 0.1 // another named place in the same grid
	wConflict  = 0.2 // a named place that contradicts the candidate
	wMissing   = 0.05
)

func (g *Gazetteer) score(c *cand, p *Parsed, ms [][]match, houses []cand) {
	s := c.base
	for ti, m := range ms {
		t := p.Names[ti]
		if ti == c.tok {
			// The anchor's own token may name more places (青檀社区幸福小区
			// read as one): let the others judge too.
			best := 0.0
			for _, x := range m {
				if x.kind == c.kind || x.kind == KindCompound && c.compound >= 0 || x.kind == KindRoad && c.road >= 0 {
					continue
				}
				if v, rel := g.agree(c, x, p, houses); rel && v > best {
					best = v
				}
			}
			s += best
			continue
		}
		if len(m) == 0 {
			s -= wMissing
			c.reasons = append(c.reasons, reason{code: reasonMissing, what: levelWord(t.Level), text: t.Text})
			continue
		}
		best, relevant := -1.0, false
		for _, x := range m {
			if x.kind == KindPOI {
				continue // a landmark's name that is also an area's judges as the area
			}
			v, rel := g.agree(c, x, p, houses)
			if rel {
				relevant = true
			}
			if v > best {
				best = v
			}
		}
		if best > 0 {
			s += best
		} else if relevant && best < 0 {
			s -= wConflict
			c.reasons = append(c.reasons, reason{code: reasonConflict, what: kindWord(m[0].kind), text: t.Text})
		}
	}
	// A house number on no named road but with a compound: say so.
	if c.compound >= 0 {
		bs := g.compBuildings[c.compound]
		if p.Building > 0 {
			found := false
			if k := p.Building - 1; k < len(bs) && g.city.Buildings[bs[k]].Number == p.Building {
				c.building, c.point, found = bs[k], g.city.Buildings[bs[k]].Entrance, true
			}
			for _, bi := range bs {
				if found {
					break
				}
				if g.city.Buildings[bi].Number == p.Building {
					c.building, c.point, found = bi, g.city.Buildings[bi].Entrance, true
					break
				}
			}
			if found {
				s += 0.02
				if b := &g.city.Buildings[c.building]; p.Unit > b.Units {
					s -= 0.01
					c.reasons = append(c.reasons, reason{code: reasonUnits, text: g.city.Compounds[c.compound].Name, n: b.Number, units: b.Units})
				}
			} else {
				s -= 0.02
				c.reasons = append(c.reasons, reason{code: reasonBuilding, text: g.city.Compounds[c.compound].Name, n: p.Building})
			}
		}
		if p.HouseNumber > 0 && c.road < 0 {
			gate := g.compGate[c.compound]
			if gate.number != int32(p.HouseNumber) {
				hasRoad := false
				for _, t := range p.Names {
					if t.Level == LevelRoad {
						hasRoad = true
					}
				}
				if !hasRoad {
					c.reasons = append(c.reasons, reason{text: "house number without a road"})
				}
			}
		}
	}
	c.score = s
}

// agree says what place x, named in the address, adds to candidate c: a
// positive weight when it fits, negative when it contradicts, and whether it
// could judge at all.
func (g *Gazetteer) agree(c *cand, x match, p *Parsed, houses []cand) (float64, bool) {
	switch x.kind {
	case KindDistrict:
		if c.dist < 0 {
			return 0, false
		}
		if x.id == c.dist {
			return wDistrict * x.sim, true
		}
		return -1, true
	case KindStreet:
		if c.street < 0 {
			return 0, false
		}
		if x.id == c.street {
			return wStreet * x.sim, true
		}
		return -1, true
	case KindCommunity:
		if c.comm < 0 {
			return 0, false
		}
		if x.id == c.comm {
			return wCommunity * x.sim, true
		}
		return -1, true
	case KindGrid:
		if c.grid < 0 {
			return 0, false
		}
		if x.id == c.grid {
			return wGrid * x.sim, true
		}
		return -1, true
	case KindCompound:
		if c.compound == x.id {
			if c.road >= 0 { // a gate address naming this compound
				return wGate * x.sim, true
			}
			return 0.01, true // the same compound named twice (name and alias)
		}
		if c.grid >= 0 && g.compGrid[x.id] == c.grid {
			return wNearby * x.sim, true
		}
		return -1, c.grid >= 0
	case KindStation:
		if c.grid >= 0 && g.stationGrid[x.id] == c.grid {
			return wNearby * x.sim, true
		}
		return -1, c.grid >= 0
	case KindRoad:
		if c.road == x.id {
			return 0.01, true
		}
		if c.compound >= 0 && g.compGate[c.compound].group == x.id {
			if p.HouseNumber > 0 && g.compGate[c.compound].number == int32(p.HouseNumber) {
				return wGate * x.sim, true
			}
			return wNearby * x.sim, true
		}
		for _, h := range houses {
			if h.road == x.id && h.grid == c.grid && c.grid >= 0 {
				return wNearby * x.sim, true
			}
		}
		if p.HouseNumber > 0 && c.grid >= 0 {
			return -1, true
		}
		return 0, false
	}
	return 0, false
}

func levelWord(l Level) string {
	if l == LevelUnknown {
		return "name"
	}
	return l.String()
}

func kindWord(k Kind) string { return k.String() }

// dedupe keeps the best-scored candidate of each place.
func dedupe(cs []cand) []cand {
	type key struct {
		k        Kind
		id       int32
		building int32
	}
	best := map[key]int{}
	out := cs[:0]
	for _, c := range cs {
		k := key{c.kind, c.id, c.building}
		if c.compound >= 0 {
			k = key{KindCompound, c.compound, 0}
		}
		if j, ok := best[k]; ok {
			if c.score > out[j].score {
				out[j] = c
			}
			continue
		}
		best[k] = len(out)
		out = append(out, c)
	}
	return out
}

// finish turns the ranked candidates into the answer: confidences, the
// status and, for ambiguous or coarse answers, what to add.
func (g *Gazetteer) finish(a *Answer, cs []cand, limit int, p *Parsed) {
	top := cs[0]
	rival := -1
	for i := 1; i < len(cs); i++ {
		if cs[i].grid != top.grid || top.grid < 0 {
			rival = i
			break
		}
	}
	margin := 1.0
	if rival >= 0 {
		margin = top.score - cs[rival].score
	}
	conf := clamp01(top.score + minf(0.35, margin))
	a.Status = StatusOK
	switch {
	case top.grid < 0:
		a.Status = StatusAmbiguous
		conf = minf(conf, 0.3)
		a.Message = g.coarseMessage(&top)
	case rival >= 0 && margin < AmbiguityMargin:
		a.Status = StatusAmbiguous
		conf = minf(conf, AmbiguousCap)
		a.Message = g.ambiguityMessage(&top, &cs[rival], p)
	}
	// Named places that contradict the best candidate: never confident,
	// and say which.
	var conflicts []string
	for _, r := range top.reasons {
		if r.code == reasonConflict {
			conflicts = append(conflicts, r.text)
		}
	}
	if len(conflicts) > 0 {
		conf = minf(conf, 0.8)
		msg := g.candName(&top) + " is not in " + strings.Join(conflicts, ", ") + " as given — check the address"
		if a.Message != "" {
			msg += "; " + a.Message
		}
		a.Message = msg
	}
	n := min(limit, len(cs))
	a.Candidates = make([]Candidate, 0, n)
	for i := 0; i < n; i++ {
		c := &cs[i]
		cc := conf
		if i > 0 {
			cc = clamp01(c.score)
			if a.Status == StatusAmbiguous {
				cc = minf(cc, AmbiguousCap)
			}
			cc = minf(cc, conf)
		}
		a.Candidates = append(a.Candidates, g.candidate(c, cc))
	}
	if a.Message != "" {
		a.Candidates[0].Reasons = append(a.Candidates[0].Reasons, a.Message)
	}
}

func (g *Gazetteer) coarseMessage(c *cand) string {
	switch c.kind {
	case KindCommunity:
		return fmt.Sprintf("only the community is known: %s has %d grids — give the compound or the road and house number", g.commNames[c.id], len(g.commGrids[c.id]))
	case KindStreet:
		return "only the street is known — give the community, the compound or the road and house number"
	case KindDistrict:
		return "only the district is known — give the street, the compound or the road and house number"
	case KindRoad:
		return fmt.Sprintf("%s runs through several grids — give the house number", g.roads[c.id].name)
	}
	return "the address is not precise enough for one grid"
}

func (g *Gazetteer) ambiguityMessage(a, b *cand, p *Parsed) string {
	name := g.candName(a)
	what := "places"
	switch a.kind {
	case KindCompound:
		what = "compounds"
	case KindHouse:
		what = "roads"
	case KindStation:
		what = "stations"
	case KindGrid:
		what = "grids"
	}
	if a.road >= 0 && b.road >= 0 && g.roads[a.road].name == g.roads[b.road].name && a.house == b.house {
		// 文化路168号 on two roads of one name
		name, what = g.roads[a.road].name+strconv.Itoa(a.house)+"号", "addresses"
	} else if nb := g.candName(b); nb != name {
		if a.kind == KindCompound && b.kind == KindCompound && a.comm == b.comm {
			if ea, ok := estateOf(name); ok {
				if eb, ok := estateOf(nb); ok && ea == eb {
					// two phases of one estate in different grids
					return fmt.Sprintf("%s has phases in different grids (%s / %s) — give the phase (期) or the road and house number", ea, name, nb)
				}
			}
		}
		return fmt.Sprintf("%s / %s match equally in different grids — give the street or community", name, nb)
	}
	switch {
	case a.dist != b.dist:
		return fmt.Sprintf("two %s named %s in different districts — give the district or street", what, name)
	case a.street != b.street:
		return fmt.Sprintf("two %s named %s in different streets — give the street", what, name)
	case a.comm != b.comm:
		return fmt.Sprintf("two %s named %s in different communities — give the community", what, name)
	}
	return fmt.Sprintf("two %s named %s in different grids of one community — give the road and house number", what, name)
}

func (g *Gazetteer) candName(c *cand) string {
	switch c.kind {
	case KindCompound:
		return g.city.Compounds[c.compound].Name
	case KindStation:
		return g.city.Stations[c.id].Name
	case KindGrid:
		return g.city.Grids[c.id].Name
	case KindCommunity:
		return g.city.Communities[c.id].Name
	case KindStreet:
		return g.city.Streets[c.id].Name
	case KindDistrict:
		return g.city.Districts[c.id].Name
	case KindRoad:
		return g.roads[c.id].name
	case KindHouse:
		return g.roads[c.id].name + strconv.Itoa(c.house) + "号"
	case KindPOI:
		return g.city.POIs[c.id].Name + c.gate
	case KindIntersection:
		return g.roads[c.road].name + "与" + g.roads[c.road2].name + "交叉口"
	}
	return ""
}

func (g *Gazetteer) candidate(c *cand, conf float64) Candidate {
	out := Candidate{Kind: c.kind, Name: g.candName(c), Point: [2]float64{c.point[0], c.point[1]}, Confidence: round3(conf)}
	for _, r := range c.reasons {
		out.Reasons = append(out.Reasons, r.String())
	}
	city := g.city
	if c.grid >= 0 {
		gr := &city.Grids[c.grid]
		out.GridCode, out.GridName = gr.Code, gr.Name
	}
	var sb strings.Builder
	sb.Grow(96)
	if c.dist >= 0 {
		out.District = city.Districts[c.dist].Name
		sb.WriteString(out.District)
	}
	if c.street >= 0 {
		out.Street = city.Streets[c.street].Name
		sb.WriteString(out.Street)
	}
	if c.comm >= 0 {
		out.Community = g.commNames[c.comm]
		sb.WriteString(out.Community)
	}
	switch c.kind {
	case KindCompound:
		cp := &city.Compounds[c.compound]
		out.Code = cp.Code
		if bs := g.compBuildings[c.compound]; len(bs) > 0 {
			b := &city.Buildings[bs[0]]
			sb.WriteString(b.Road)
			sb.WriteString(strconv.Itoa(b.HouseNumber))
			sb.WriteString("号")
		}
		sb.WriteString(cp.Name)
		if c.building >= 0 {
			b := &city.Buildings[c.building]
			out.Kind, out.Code = KindBuilding, b.Code
			sb.WriteString(strconv.Itoa(b.Number))
			sb.WriteString("号楼")
		}
	case KindHouse:
		sb.WriteString(g.roads[c.id].name)
		sb.WriteString(strconv.Itoa(c.house))
		sb.WriteString("号")
	case KindStation:
		out.Code = city.Stations[c.id].Code
		sb.WriteString(city.Stations[c.id].Name)
	case KindGrid:
		out.Code = city.Grids[c.id].Code
		sb.Reset()
		sb.WriteString(city.Grids[c.id].Name)
	case KindRoad:
		sb.WriteString(g.roads[c.id].name)
	case KindPOI:
		poi := &city.POIs[c.id]
		out.Code = poi.Code
		if poi.Road != "" && poi.HouseNumber > 0 {
			sb.WriteString(poi.Road)
			sb.WriteString(strconv.Itoa(poi.HouseNumber))
			sb.WriteString("号")
		}
		sb.WriteString(poi.Name)
		sb.WriteString(c.gate)
	case KindIntersection:
		sb.WriteString(out.Name)
	case KindCommunity:
		out.Code = city.Communities[c.id].Code
	case KindStreet:
		out.Code = city.Streets[c.id].Code
	case KindDistrict:
		out.Code = city.Districts[c.id].Code
	}
	out.Address = sb.String()
	return out
}

func clamp01(x float64) float64 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

func minf(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func round3(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }

// lookupNames finds the places each name of p may mean, joining neighbours
// a level word cut apart, and drops the names so merged.
func (g *Gazetteer) lookupNames(p *Parsed) [][]match {
	ms := make([][]match, len(p.Names))
	for i, t := range p.Names {
		ms[i] = g.lookup(t, nil)
		// 香港街社区第1网格红色驿站 is read as community, grid number and
		// station word: try the station's whole name.
		if len(ms[i]) == 0 && t.Level == LevelStation && i > 0 {
			whole := p.Names[i-1].Text
			if p.GridSeq > 0 {
				whole += "第" + strconv.Itoa(p.GridSeq) + "网格"
			}
			if ki, ok := g.byName[whole+t.Text]; ok {
				for _, r := range g.keys[ki].refs {
					ms[i] = append(ms[i], match{r.kind, r.id, 1})
				}
			}
		}
		// Two neighbours that match nothing may be one name cut by a
		// level word inside a typo (南苑花花园 read as 南苑 + 花花园).
		if len(ms[i]) == 0 && i > 0 && len(ms[i-1]) == 0 && p.Names[i-1].Text != "" {
			joined := p.Names[i-1].Text + t.Text
			if strings.Contains(p.Normalized, joined) {
				if m := g.lookup(Token{joined, t.Level}, nil); len(m) > 0 {
					ms[i] = m
					p.Names[i].Text = joined
					p.Names[i-1].Text = "" // dropped below
				}
			}
		}
	}
	kept := 0
	for i := range p.Names {
		if p.Names[i].Text != "" {
			p.Names[kept], ms[kept] = p.Names[i], ms[i]
			kept++
		}
	}
	p.Names, ms = p.Names[:kept], ms[:kept]
	return ms
}
