// Package geocode turns Chinese addresses as callers speak them into
// points and grids: it normalises the text (full-width, Chinese numerals,
// unit words, traditional characters, administrative abbreviations), parses
// it into levels, matches the parts against a gazetteer built from the city
// (districts, streets, communities, grids, compounds and their aliases,
// roads with house-number ranges, buildings, stations) through a character
// bigram index and a one-edit neighbourhood, and ranks the candidates by how
// well the levels agree. Every answer carries a confidence in [0,1] and the
// reasons behind it; when two candidates in different grids score alike the
// answer says so instead of guessing.
//
// No network service is used; a Gazetteer is immutable once built and safe
// for concurrent use.
package geocode

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// Kind is the kind of place a gazetteer entry or a candidate is.
type Kind uint8

// Kinds of places.
const (
	KindNone Kind = iota
	KindDistrict
	KindStreet
	KindCommunity
	KindGrid
	KindCompound
	KindRoad
	KindStation
	KindBuilding
	KindHouse        // a house number on a road, placed by interpolation
	KindPOI          // a landmark: school, hospital, market, park, bus stop, government office
	KindIntersection // where two named roads cross
)

var kindNames = [...]string{"none", "district", "street", "community", "grid", "compound", "road", "station", "building", "house_number", "poi", "intersection"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// MarshalText makes kinds readable in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind written by MarshalText.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("geocode: unknown kind %q", b)
}

type nameRef struct {
	kind  Kind
	id    int32
	alias bool
}

// nameKey is one distinct normalised name and every place it names.
type nameKey struct {
	text  string
	runes []rune
	refs  []nameRef
}

// roadGroup is one named road: the connected segments of one name.
type roadGroup struct {
	name string
	segs []int32
	mid  orb.Point
}

type gateKey struct {
	group  int32
	number int32
}

// Gazetteer holds every named place of a city, indexed for matching.
type Gazetteer struct {
	city *data.City
	ix   *geo.Index

	keys    []nameKey
	byName  map[string]int32
	bigrams map[[2]rune][]int32 // bigram → keys containing it (names of 3+ runes)
	deletes map[string][]int32  // one-deletion neighbourhood → keys
	sorted  []int32             // keys in text order, for prefix suggest

	commNames                        []string // everyday names (青檀社区)
	streetDist, commStreet, commDist []int32
	gridComm                         []int32
	compGrid                         []int32
	compPoint                        []orb.Point
	compBuildings                    [][]int32
	compGate                         []gateKey
	commGrids                        [][]int32
	stationGrid                      []int32
	roads                            []roadGroup
	gates                            map[gateKey]int32 // → compound
	roadsByName                      map[string][]int32

	crossings   map[crossKey][]orb.Point // road group pair → where they cross
	crossList   []crossPoint
	poiGrid     []int32
	poiShadowed []bool  // the POI's name is an area's (街道办事处 → 街道)
	poiRoad     []int32 // road group of each POI's address, or -1
	lmLast      runeSet // last characters of landmark names
	lmMaxRunes  int
}

// City returns the city the gazetteer was built from.
func (g *Gazetteer) City() *data.City { return g.city }

// New builds the gazetteer of c. ix locates interpolated house numbers and
// answers reverse queries; it must have been built from c.
func New(c *data.City, ix *geo.Index) (*Gazetteer, error) {
	if c == nil || ix == nil {
		return nil, fmt.Errorf("geocode: New needs a city and its index")
	}
	g := &Gazetteer{city: c, ix: ix, byName: make(map[string]int32, 8192)}
	distIdx := make(map[string]int32, len(c.Districts))
	for i, d := range c.Districts {
		distIdx[d.Code] = int32(i)
	}
	streetIdx := make(map[string]int32, len(c.Streets))
	g.streetDist = make([]int32, len(c.Streets))
	for i, s := range c.Streets {
		streetIdx[s.Code] = int32(i)
		g.streetDist[i] = lookupIdx(distIdx, s.DistrictCode)
	}
	commIdx := make(map[string]int32, len(c.Communities))
	g.commStreet = make([]int32, len(c.Communities))
	g.commDist = make([]int32, len(c.Communities))
	for i, m := range c.Communities {
		commIdx[m.Code] = int32(i)
		g.commStreet[i] = lookupIdx(streetIdx, m.StreetCode)
		g.commDist[i] = lookupIdx(distIdx, m.DistrictCode)
	}
	gridIdx := make(map[string]int32, len(c.Grids))
	g.gridComm = make([]int32, len(c.Grids))
	g.commGrids = make([][]int32, len(c.Communities))
	for i, gr := range c.Grids {
		gridIdx[gr.Code] = int32(i)
		cm := lookupIdx(commIdx, gr.CommunityCode)
		g.gridComm[i] = cm
		if cm >= 0 {
			g.commGrids[cm] = append(g.commGrids[cm], int32(i))
		}
	}
	compIdx := make(map[string]int32, len(c.Compounds))
	g.compGrid = make([]int32, len(c.Compounds))
	g.compPoint = make([]orb.Point, len(c.Compounds))
	for i, cp := range c.Compounds {
		compIdx[cp.Code] = int32(i)
		g.compGrid[i] = lookupIdx(gridIdx, cp.GridCode)
		g.compPoint[i] = centroid(cp.Geom)
	}
	g.compBuildings = make([][]int32, len(c.Compounds))
	for i, b := range c.Buildings {
		if ci := lookupIdx(compIdx, b.CompoundCode); ci >= 0 {
			g.compBuildings[ci] = append(g.compBuildings[ci], int32(i))
		}
	}
	g.stationGrid = make([]int32, len(c.Stations))
	for i, s := range c.Stations {
		g.stationGrid[i] = lookupIdx(gridIdx, s.GridCode)
	}
	g.buildRoads()
	g.buildGates(compIdx)
	g.buildCrossings()

	// Names.
	for i, d := range c.Districts {
		g.addName(d.Name, KindDistrict, i, false)
		n := Normalize(d.Name)
		if r := []rune(n); len(r) >= 3 && (strings.HasSuffix(n, "区") || strings.HasSuffix(n, "市")) {
			g.addName(string(r[:len(r)-1]), KindDistrict, i, true)
		}
	}
	for i, s := range c.Streets {
		g.addName(s.Name, KindStreet, i, false)
	}
	g.commNames = make([]string, len(c.Communities))
	for i, m := range c.Communities {
		g.commNames[i] = communityName(m.Name)
		g.addName(g.commNames[i], KindCommunity, i, false)
	}
	for i, gr := range c.Grids {
		g.addName(gr.Name, KindGrid, i, false)
	}
	for i, cp := range c.Compounds {
		if len(g.compBuildings[i]) == 0 {
			continue // a plot with no building (a school's, a park's): the POI names it
		}
		g.addName(cp.Name, KindCompound, i, false)
		for _, a := range cp.Aliases {
			g.addName(a, KindCompound, i, true)
		}
		// A phase of an estate (幸福小区二期) answers to the estate's name
		// too: callers often leave the phase out.
		for _, n := range append([]string{cp.Name}, cp.Aliases...) {
			if est, ok := estateOf(n); ok {
				g.addName(est, KindCompound, i, true)
			}
		}
	}
	for i, r := range g.roads {
		g.addName(r.name, KindRoad, i, false)
	}
	for i, s := range c.Stations {
		g.addName(s.Name, KindStation, i, false)
	}
	g.addLandmarks()
	g.poiRoad = make([]int32, len(c.POIs))
	for i := range c.POIs {
		g.poiRoad[i] = g.nearestGroup(c.POIs[i].Road, c.POIs[i].Point)
	}
	// Callers drop the level word: 香港街 for 香港街社区, 临城 for 临城街道.
	// The stems are aliases only where no other place has that name.
	stem := func(name, suffix string, k Kind, id int) {
		n := Normalize(name)
		st := strings.TrimSuffix(n, suffix)
		if st == n || len([]rune(st)) < 2 {
			return
		}
		if _, taken := g.byName[st]; !taken {
			g.addName(st, k, id, true)
		} else if ki := g.byName[st]; g.keys[ki].refs[0].kind == k && g.keys[ki].refs[0].alias {
			g.addName(st, k, id, true) // two streets or communities with one stem
		}
	}
	for i := range c.Streets {
		stem(c.Streets[i].Name, "街道", KindStreet, i)
	}
	for i := range c.Communities {
		stem(g.commNames[i], "社区", KindCommunity, i)
	}
	g.buildIndexes()
	divisions() // load the national list now, not on the first query
	return g, nil
}

func lookupIdx(m map[string]int32, code string) int32 {
	if i, ok := m[code]; ok {
		return i
	}
	return -1
}

// communityName is the everyday name of a community: 青檀社区 for
// 青檀社区居委会, 铁西社区 for 铁西居委会, 工农社区 for the truncated 工农社区居.
func communityName(raw string) string {
	n := Normalize(raw)
	n = strings.TrimSuffix(n, "居")
	if !strings.HasSuffix(n, "社区") {
		n += "社区"
	}
	return n
}

func (g *Gazetteer) addName(name string, k Kind, id int, alias bool) {
	n := Normalize(name)
	if n == "" {
		return
	}
	ki, ok := g.byName[n]
	if !ok {
		ki = int32(len(g.keys))
		g.keys = append(g.keys, nameKey{text: n, runes: []rune(n)})
		g.byName[n] = ki
	}
	g.keys[ki].refs = append(g.keys[ki].refs, nameRef{k, int32(id), alias})
}

func (g *Gazetteer) buildIndexes() {
	g.bigrams = make(map[[2]rune][]int32, 16384)
	g.deletes = make(map[string][]int32, 4*len(g.keys))
	g.sorted = make([]int32, len(g.keys))
	buf := make([]rune, 0, 32)
	for ki := range g.keys {
		k := &g.keys[ki]
		g.sorted[ki] = int32(ki)
		rs := k.runes
		short := onlyLandmarkAliases(k.refs) // found by exact lookup only (findLandmark)
		if len(rs) >= 3 && len(rs) <= 24 && !onlyGrid(k.refs) && !short {
			var seen [][2]rune
			for i := 0; i+1 < len(rs); i++ {
				bg := [2]rune{rs[i], rs[i+1]}
				dup := false
				for _, s := range seen {
					if s == bg {
						dup = true
					}
				}
				if !dup {
					seen = append(seen, bg)
					g.bigrams[bg] = append(g.bigrams[bg], int32(ki))
				}
			}
		}
		if len(rs) >= 3 && len(rs) <= 12 && !short {
			for i := range rs {
				buf = append(buf[:0], rs[:i]...)
				buf = append(buf, rs[i+1:]...)
				d := string(buf)
				l := g.deletes[d]
				if len(l) == 0 || l[len(l)-1] != int32(ki) {
					g.deletes[d] = append(l, int32(ki))
				}
			}
		}
	}
	sort.Slice(g.sorted, func(a, b int) bool { return g.keys[g.sorted[a]].text < g.keys[g.sorted[b]].text })
}

func onlyLandmarkAliases(refs []nameRef) bool {
	for _, r := range refs {
		if !r.alias || r.kind != KindPOI && r.kind != KindStation {
			return false
		}
	}
	return true
}

func onlyGrid(refs []nameRef) bool {
	for _, r := range refs {
		if r.kind != KindGrid {
			return false
		}
	}
	return true
}

// buildRoads groups road segments by name and connectivity: segments of one
// name that share a node are one road.
func (g *Gazetteer) buildRoads() {
	c := g.city
	parent := make([]int32, len(c.Roads))
	for i := range parent {
		parent[i] = int32(i)
	}
	var find func(int32) int32
	find = func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	type nodeName struct {
		node int64
		name string
	}
	first := make(map[nodeName]int32, 2*len(c.Roads))
	for i, r := range c.Roads {
		for _, n := range [2]int64{r.FromNode, r.ToNode} {
			k := nodeName{n, r.Name}
			if j, ok := first[k]; ok {
				a, b := find(int32(i)), find(j)
				if a != b {
					parent[a] = b
				}
			} else {
				first[k] = int32(i)
			}
		}
	}
	groupOf := make(map[int32]int32)
	for i, r := range c.Roads {
		root := find(int32(i))
		gi, ok := groupOf[root]
		if !ok {
			gi = int32(len(g.roads))
			groupOf[root] = gi
			g.roads = append(g.roads, roadGroup{name: r.Name})
		}
		g.roads[gi].segs = append(g.roads[gi].segs, int32(i))
	}
	for gi := range g.roads {
		rg := &g.roads[gi]
		s := c.Roads[rg.segs[len(rg.segs)/2]].Geom
		if len(s) > 0 {
			rg.mid = s[len(s)/2]
		}
	}
}

// buildGates maps each compound's gate address (road, house number) to the
// compound, choosing among roads of the same name the one nearest to it.
func (g *Gazetteer) buildGates(compIdx map[string]int32) {
	c := g.city
	byName := map[string][]int32{}
	for gi, r := range g.roads {
		byName[r.name] = append(byName[r.name], int32(gi))
	}
	g.roadsByName = byName
	g.gates = make(map[gateKey]int32, len(c.Compounds))
	g.compGate = make([]gateKey, len(c.Compounds))
	for i := range g.compGate {
		g.compGate[i] = gateKey{-1, 0}
	}
	for ci, bs := range g.compBuildings {
		if len(bs) == 0 {
			continue
		}
		b := &c.Buildings[bs[0]]
		groups := byName[b.Road]
		best, bestD := int32(-1), math.Inf(1)
		for _, gi := range groups {
			if d := g.roadDistance(gi, g.compPoint[ci]); d < bestD {
				best, bestD = gi, d
			}
		}
		if best < 0 || b.HouseNumber <= 0 {
			continue
		}
		k := gateKey{best, int32(b.HouseNumber)}
		g.compGate[ci] = k
		if _, dup := g.gates[k]; !dup {
			g.gates[k] = int32(ci)
		}
	}
}

// roadDistance is the distance in degrees (roughly) from p to the road.
func (g *Gazetteer) roadDistance(gi int32, p orb.Point) float64 {
	best := math.Inf(1)
	for _, si := range g.roads[gi].segs {
		ls := g.city.Roads[si].Geom
		for i := 0; i+1 < len(ls); i++ {
			if d := segDist(ls[i], ls[i+1], p); d < best {
				best = d
			}
		}
	}
	return best
}

func segDist(a, b, p orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	x, y := a[0]+t*dx-p[0], a[1]+t*dy-p[1]
	return math.Hypot(x, y)
}

func centroid(p orb.Polygon) orb.Point {
	if len(p) == 0 || len(p[0]) == 0 {
		return orb.Point{}
	}
	r := p[0]
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	var x, y float64
	for _, q := range r[:n] {
		x += q[0]
		y += q[1]
	}
	return orb.Point{x / float64(n), y / float64(n)}
}

// housePoint places house number n on road group gi by interpolation along
// the segment whose range holds it, set back 25 m on its side (odd left,
// even right of the segment's direction).
func (g *Gazetteer) housePoint(gi int32, n int) (orb.Point, bool) {
	if n <= 0 {
		return orb.Point{}, false
	}
	for _, si := range g.roads[gi].segs {
		r := &g.city.Roads[si]
		from, to, side := 0, 0, 0.0
		switch {
		case n%2 == 1 && r.LeftFrom > 0 && inRange(n, r.LeftFrom, r.LeftTo):
			from, to, side = r.LeftFrom, r.LeftTo, 1
		case n%2 == 0 && r.RightFrom > 0 && inRange(n, r.RightFrom, r.RightTo):
			from, to, side = r.RightFrom, r.RightTo, -1
		default:
			continue
		}
		if len(r.Geom) < 2 {
			continue
		}
		a, b := r.Geom[0], r.Geom[len(r.Geom)-1]
		t := float64(n-min(from, to)+1) / float64(absInt(to-from)+2)
		if from > to {
			t = 1 - t
		}
		p := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
		mx, my := geo.MetresPerDegree(p[1])
		dx, dy := (b[0]-a[0])*mx, (b[1]-a[1])*my
		l := math.Hypot(dx, dy)
		if l == 0 {
			return p, true
		}
		const setback = 25.0
		nx, ny := -dy/l*setback*side, dx/l*setback*side
		return orb.Point{p[0] + nx/mx, p[1] + ny/my}, true
	}
	return orb.Point{}, false
}

func inRange(n, a, b int) bool {
	if a > b {
		a, b = b, a
	}
	return n >= a && n <= b
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// estateOf strips a trailing phase (一期, 2期 …) from a compound name.
func estateOf(name string) (string, bool) {
	rs := []rune(name)
	n := len(rs)
	if n < 4 || rs[n-1] != '期' {
		return "", false
	}
	k := n - 1
	for k > 0 && strings.ContainsRune("0123456789一二三四五六七八九十", rs[k-1]) {
		k--
	}
	if k == n-1 || k < 2 {
		return "", false
	}
	return string(rs[:k]), true
}

// nearestGroup is the road group named name nearest to p, or -1.
func (g *Gazetteer) nearestGroup(name string, p orb.Point) int32 {
	best, bd := int32(-1), math.Inf(1)
	for _, gi := range g.roadsByName[name] {
		if d := g.roadDistance(gi, p); d < bd {
			best, bd = gi, d
		}
	}
	return best
}
