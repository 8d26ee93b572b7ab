package synth

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// cityGen holds the state of one copy while it is generated.
type cityGen struct {
	ref  *reference
	opt  Options
	k    int
	rng  *rand.Rand
	city *data.City
	off  orb.Point // shift of this copy in degrees

	// per grid, the cells (blocks) of the lattice it owns
	gridCells [][]cellRef
	gridDist  []int // district index of each grid
	lines     map[lineKey]lineInfo
	// compound name prefixes taken in each community, and how often
	compoundNames map[string]map[string]int
	estates       map[estateKey]*estate
	schoolNo      map[string]int // middle schools numbered so far, per city
}

type cellRef struct {
	lat  *lattice
	i, j int
}

// layoutAttempts bounds the redraws of a copy whose random shares cannot
// be laid out with straight cuts (rare: about one copy in a thousand).
const layoutAttempts = 8

func generateCopy(ref *reference, opt Options, k int) (*data.City, error) {
	var err error
	for attempt := uint64(0); attempt < layoutAttempts; attempt++ {
		var c *data.City
		if c, err = generateAttempt(ref, opt, k, attempt); err == nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no layout after %d draws: %w", layoutAttempts, err)
}

// generateAttempt draws copy k; attempt 0 is the copy's own random stream,
// later attempts redraw it deterministically.
func generateAttempt(ref *reference, opt Options, k int, attempt uint64) (*data.City, error) {
	g := &cityGen{
		ref:  ref,
		opt:  opt,
		k:    k,
		rng:  rand.New(rand.NewPCG(opt.Seed+attempt*0xD1B54A32D192ED03, uint64(k)*0x9E3779B97F4A7C15+1)),
		city: &data.City{},
	}
	if k > 0 {
		g.off = orb.Point{float64(k%40) * 1.0, float64(k/40) * 1.0}
	}
	if err := g.areas(); err != nil {
		return nil, err
	}
	g.compoundRates()
	g.people()
	g.stations()
	g.cadres()
	g.reportingUnits()
	g.incidents()
	g.pois() // before staffing: it removes the buildings of the POIs' plots
	g.staffing()
	if err := g.places(); err != nil { // places.go: its own random stream, after everything else
		return nil, err
	}
	return g.city, nil
}

func (g *cityGen) shift(p orb.Point) orb.Point {
	if g.k == 0 {
		return p
	}
	return orb.Point{round7(p[0] + g.off[0]), round7(p[1] + g.off[1])}
}

func (g *cityGen) shiftRing(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = g.shift(p)
	}
	return out
}

// areas lays out districts, streets, communities, grids, compounds,
// buildings and roads.
func (g *cityGen) areas() error {
	ref := g.ref
	// Communities per street, in proportion to the statistical list.
	listPerStreet := map[string][]refCommunity{}
	for _, c := range ref.communities {
		listPerStreet[c.Street] = append(listPerStreet[c.Street], c)
	}
	sw := make([]float64, len(ref.streets))
	for i, s := range ref.streets {
		sw[i] = float64(len(listPerStreet[s.Code]))
	}
	commPerStreet := capped(largestRemainder(sw, Communities, 1), sw)
	type commPick struct {
		ref    refCommunity
		street int
	}
	var picks []commPick
	for si, s := range ref.streets {
		list := listPerStreet[s.Code]
		perm := shuffled(g.rng, len(list))[:commPerStreet[si]]
		sort.Ints(perm)
		for _, p := range perm {
			picks = append(picks, commPick{list[p], si})
		}
	}
	// Grids per community.
	cw := make([]float64, len(picks))
	for i := range cw {
		cw[i] = 0.55 + g.rng.Float64()*0.9
	}
	gridsPerComm := largestRemainder(cw, Grids, 2)

	for di, d := range ref.districts {
		dcode := copyCode(d.Code, g.k, di)
		name := d.Name
		if g.k > 0 {
			name = fmt.Sprintf("%s(副本%d)", d.Name, g.k)
		}
		g.city.Districts = append(g.city.Districts, data.District{
			Code: dcode, Name: name, Seat: g.shift(ref.wgsSeats[di]),
			Geom: orb.MultiPolygon{orb.Polygon{g.shiftRing(ref.wgsRings[di])}},
		})
		// Streets, communities and grid weights of this district.
		var streets []int
		for si, s := range ref.streets {
			if s.District == d.Code {
				streets = append(streets, si)
			}
		}
		if len(streets) == 0 {
			continue
		}
		type gridPlan struct {
			comm   int // index into picks
			weight float64
		}
		var plans [][]gridPlan // per community of the district, in pick order
		var commIdx []int
		for ci, p := range picks {
			if ref.streets[p.street].District != d.Code {
				continue
			}
			var gp []gridPlan
			for n := 0; n < gridsPerComm[ci]; n++ {
				gp = append(gp, gridPlan{ci, 1 + float64(g.rng.IntN(3)) + g.rng.Float64()*0.5})
			}
			plans = append(plans, gp)
			commIdx = append(commIdx, ci)
		}
		total := 0.0
		for _, gp := range plans {
			for _, x := range gp {
				total += x.weight
			}
		}
		roadLat, err := g.fitCore(di, int(math.Ceil(total)))
		if err != nil {
			return err
		}
		// Plots: every block between roads holds 2×2 compounds, so grid
		// boundaries can run between compounds of one block and a planner
		// can move a quarter of a block between grids.
		lat := roadLat.refine()
		// Split the core among streets.
		var sWeights []float64
		var sMins []int
		for _, si := range streets {
			w, m := 0.0, 0
			for pi, ci := range commIdx {
				if picks[ci].street == si {
					for _, x := range plans[pi] {
						w += x.weight
					}
					m += len(plans[pi])
				}
			}
			sWeights = append(sWeights, w)
			sMins = append(sMins, minPlots*m)
		}
		sRects, ok := split(rect{0, 0, lat.W, lat.H}, sWeights, sMins)
		if !ok {
			return fmt.Errorf("district %s: core too small for its streets", d.Name)
		}
		for n, si := range streets {
			s := ref.streets[si]
			scode := copyCode(s.Code, g.k, di)
			g.city.Streets = append(g.city.Streets, data.Street{
				Code: scode, Name: s.Name, DistrictCode: dcode,
				Geom: orb.Polygon{lat.ring(sRects[n])},
			})
			// Communities of the street.
			var cWeights []float64
			var cMins []int
			var cPlans []int
			for pi, ci := range commIdx {
				if picks[ci].street != si {
					continue
				}
				w := 0.0
				for _, x := range plans[pi] {
					w += x.weight
				}
				cWeights = append(cWeights, w)
				cMins = append(cMins, minPlots*len(plans[pi]))
				cPlans = append(cPlans, pi)
			}
			cRects, ok := split(sRects[n], cWeights, cMins)
			if !ok {
				return fmt.Errorf("street %s: too small for its communities", s.Name)
			}
			for m, pi := range cPlans {
				rc := picks[commIdx[pi]].ref
				ccode := copyCode(rc.Code, g.k, di)
				g.city.Communities = append(g.city.Communities, data.Community{
					Code: ccode, Name: rc.Name, StreetCode: scode, DistrictCode: dcode,
					Geom: orb.Polygon{lat.ring(cRects[m])},
				})
				gw := make([]float64, len(plans[pi]))
				gm := make([]int, len(plans[pi]))
				for x, p := range plans[pi] {
					gw[x], gm[x] = p.weight, minPlots
				}
				gRects, ok := split(cRects[m], gw, gm)
				if !ok {
					return fmt.Errorf("community %s: too small for its grids", rc.Name)
				}
				// Number grids north to south, west to east.
				sort.Slice(gRects, func(a, b int) bool {
					if gRects[a].J1 != gRects[b].J1 {
						return gRects[a].J1 > gRects[b].J1
					}
					return gRects[a].I0 < gRects[b].I0
				})
				short := communityShort(rc.Name)
				for seq, gr := range gRects {
					gcode := fmt.Sprintf("%s%03d", ccode, seq+1)
					gname := fmt.Sprintf("%s第%d网格", short, seq+1)
					g.city.Grids = append(g.city.Grids, data.Grid{
						Code: gcode, Name: gname, CommunityCode: ccode, StreetCode: scode, DistrictCode: dcode,
						Seq: seq + 1, Geom: orb.Polygon{lat.ring(gr)},
						VolunteerTeam: gname + "党员志愿服务队", Volunteers: 8 + g.rng.IntN(33),
					})
					var cells []cellRef
					for j := gr.J1 - 1; j >= gr.J0; j-- {
						for i := gr.I0; i < gr.I1; i++ {
							cells = append(cells, cellRef{lat, i, j})
						}
					}
					g.gridCells = append(g.gridCells, cells)
					g.gridDist = append(g.gridDist, di)
				}
			}
		}
		g.roads(di, roadLat)
	}
	for gi := range g.city.Grids {
		g.compounds(gi)
	}
	return nil
}

// fitCore lays out a lattice of at least cells blocks on district di's seat,
// moving it inwards until it lies wholly inside the outline.
func (g *cityGen) fitCore(di int, cells int) (*lattice, error) {
	outline := orb.Polygon{g.ref.wgsRings[di]}
	seat := g.ref.wgsSeats[di]
	aspect := 1.1 + g.rng.Float64()*0.3
	w := int(math.Ceil(math.Sqrt(float64(cells) * aspect)))
	h := int(math.Ceil(float64(cells) / float64(w)))
	theta := (g.rng.Float64()*2 - 1) * 0.18
	base := newLattice(orb.Point{0, 0}, w, h, blockWidthM, blockHtM, theta, 0.16, g.rng)
	mx, my := metresPerDegree(seat[1])
	for r := 0.0; r <= 12000; r += 400 {
		steps := 1
		if r > 0 {
			steps = int(2 * math.Pi * r / 400)
		}
		for s := 0; s < steps; s++ {
			a := 2 * math.Pi * float64(s) / float64(steps)
			c := orb.Point{seat[0] + r*math.Cos(a)/mx, seat[1] + r*math.Sin(a)/my}
			lat := &lattice{W: w, H: h, P: make([]orb.Point, len(base.P))}
			// base was laid out at (0,0) with metres-per-degree of the equator;
			// re-project its offsets at this latitude.
			mx0, my0 := metresPerDegree(0)
			for i, p := range base.P {
				lat.P[i] = g.shift(orb.Point{round7(c[0] + p[0]*mx0/mx), round7(c[1] + p[1]*my0/my)})
			}
			if g.fits(lat, outline) {
				return lat, nil
			}
		}
	}
	return nil, errors.New("no place inside the district outline fits the urban core")
}

func (g *cityGen) fits(l *lattice, outline orb.Polygon) bool {
	shifted := orb.Polygon{g.shiftRing(outline[0])}
	for _, p := range l.P {
		if !planar.PolygonContains(shifted, p) {
			return false
		}
	}
	core := orb.Polygon{l.ring(rect{0, 0, l.W, l.H})}
	bound := core.Bound()
	for _, v := range shifted[0] {
		if bound.Contains(v) && planar.PolygonContains(core, v) {
			return false
		}
	}
	return true
}

// classOfLine gives the class of lattice line n of count+1 lines.
func classOfLine(n, count int) string {
	switch {
	case n%4 == 0 || n == count:
		return data.RoadMain
	case n%2 == 0:
		return data.RoadSecondary
	}
	return data.RoadBranch
}

// roads turns the lattice lines of district di into named road segments.
func (g *cityGen) roads(di int, l *lattice) {
	dcode := g.ref.districts[di].Code
	names := mainRoads[dcode]
	used := map[string]bool{}
	for _, n := range names[0] {
		used[n] = true
	}
	for _, n := range names[1] {
		used[n] = true
	}
	base := int64(g.k*10+di) * 10_000_000
	node := func(i, j int) int64 { return base + int64(j*(l.W+1)+i) }
	name := func(list []string, next *int, class string) string {
		if class == data.RoadMain && *next < len(list) {
			*next++
			return list[*next-1]
		}
		return minorRoadName(g.rng, used, class)
	}
	var nEW, nNS int
	for j := 0; j <= l.H; j++ { // east–west roads, numbered from the west
		class := classOfLine(j, l.H)
		rn := name(names[0], &nEW, class)
		for i := 0; i < l.W; i++ {
			g.city.Roads = append(g.city.Roads, data.Road{
				ID: base + 1_000_000 + int64(j)*1000 + int64(i), Name: rn, Class: class,
				FromNode: node(i, j), ToNode: node(i+1, j),
				LeftFrom: 20*i + 1, LeftTo: 20*i + 19, RightFrom: 20*i + 2, RightTo: 20*i + 20,
				Geom: orb.LineString{l.at(i, j), l.at(i+1, j)},
			})
		}
		g.lineNames(l, false, j, rn, class)
	}
	for i := 0; i <= l.W; i++ { // north–south roads, numbered from the south
		class := classOfLine(i, l.W)
		rn := name(names[1], &nNS, class)
		for j := 0; j < l.H; j++ {
			g.city.Roads = append(g.city.Roads, data.Road{
				ID: base + 2_000_000 + int64(i)*1000 + int64(j), Name: rn, Class: class,
				FromNode: node(i, j), ToNode: node(i, j+1),
				LeftFrom: 20*j + 1, LeftTo: 20*j + 19, RightFrom: 20*j + 2, RightTo: 20*j + 20,
				Geom: orb.LineString{l.at(i, j), l.at(i, j+1)},
			})
		}
		g.lineNames(l, true, i, rn, class)
	}
}

type lineInfo struct {
	name, class string
}

// lineNames remembers the name and class of each lattice line for compound
// gate addresses.
func (g *cityGen) lineNames(l *lattice, vertical bool, n int, name, class string) {
	if g.lines == nil {
		g.lines = map[lineKey]lineInfo{}
	}
	g.lines[lineKey{l, vertical, n}] = lineInfo{name, class}
}

type lineKey struct {
	l        *lattice
	vertical bool
	n        int
}

var classRank = map[string]int{data.RoadMain: 3, data.RoadSecondary: 2, data.RoadBranch: 1}

// estate is one housing estate (小区): the plots of one road block, each
// a phase (期) of it and a compound of the city's records, since grid
// boundaries may run between phases.
type estate struct {
	name, alias string
	phases      int
}

type estateKey struct {
	l    *lattice
	i, j int
}

var phaseNames = []string{"一期", "二期", "三期", "四期"}

// estateName names the compound on plot c: the estate of its road block
// and the phase. Estate names and aliases are unique in a community (the
// one of the estate's first plot); a prefix taken before comes back with a
// courtyard word only when a community has more estates than prefixes.
func (g *cityGen) estateName(c cellRef, usedNames map[string]int) (string, string) {
	key := estateKey{c.lat, c.i, c.j}
	if c.lat.road != nil {
		key = estateKey{c.lat.road, c.i / 2, c.j / 2}
	}
	if g.estates == nil {
		g.estates = map[estateKey]*estate{}
	}
	e := g.estates[key]
	if e == nil {
		prefix := compoundPrefix[g.rng.IntN(len(compoundPrefix))]
		for try := 0; usedNames[prefix] > 0 && try < 4*len(compoundPrefix); try++ {
			prefix = compoundPrefix[g.rng.IntN(len(compoundPrefix))]
		}
		suffix := compoundSuffix[g.rng.IntN(len(compoundSuffix))]
		e = &estate{name: prefix + suffix, alias: prefix + "苑"}
		if suffix == "苑" {
			e.alias = prefix + "小区"
		}
		if k := usedNames[prefix]; k > 0 {
			part := fmt.Sprintf("%d院", k+1)
			if k <= len(courtyards) {
				part = courtyards[k-1]
			}
			e.name, e.alias = e.name+part, e.alias+part
		}
		usedNames[prefix]++
		g.estates[key] = e
	}
	if c.lat.road == nil {
		return e.name, e.alias
	}
	ph := phaseNames[e.phases%len(phaseNames)]
	e.phases++
	return e.name + ph, e.alias + ph
}

// compounds fills grid gi's blocks with compounds and buildings.
func (g *cityGen) compounds(gi int) {
	gr := &g.city.Grids[gi]
	cells := g.gridCells[gi]
	households := int(math.Round(g.rng.NormFloat64()*120 + 470))
	households = max(180, min(900, households))
	share := make([]float64, len(cells))
	for i := range share {
		share[i] = 0.6 + g.rng.Float64()
	}
	perCell := largestRemainder(share, households, 8)
	if g.compoundNames == nil {
		g.compoundNames = map[string]map[string]int{}
	}
	usedNames := g.compoundNames[gr.CommunityCode]
	if usedNames == nil {
		usedNames = map[string]int{}
		g.compoundNames[gr.CommunityCode] = usedNames
	}
	for ci, c := range cells {
		code := fmt.Sprintf("%s%02d", gr.Code, ci+1)
		name, alias := g.estateName(c, usedNames)
		road, number := g.gate(c)
		g.city.Compounds = append(g.city.Compounds, data.Compound{
			Code: code, Name: name, Aliases: []string{alias}, GridCode: gr.Code, CommunityCode: gr.CommunityCode,
			Geom: orb.Polygon{c.lat.quad(c.i, c.j, 0, 0, 1, 1)}, // the whole plot
		})
		g.buildings(gr, code, c, road, number, perCell[ci])
	}
}

// gate picks the compound's gate on the best road along its plot and
// returns that road and the gate's house number. A plot is a quarter of a
// block, so it has one road on an east–west side and one on a north–south
// side; the two plots along one side of a road segment take the lower and
// the upper half of its house numbers.
func (g *cityGen) gate(c cellRef) (string, int) {
	type side struct {
		info lineInfo
		num  int
	}
	rl, ci, cj := c.lat, c.i, c.j
	hi, hj := 0, 0 // which half of the segment's numbers
	if c.lat.road != nil {
		rl, ci, cj, hi, hj = c.lat.road, c.i/2, c.j/2, c.i%2, c.j%2
	}
	r := g.rng.IntN(5)
	ri, rj := 2*(5*hi+r), 2*(5*hj+r)
	var sides []side
	if c.lat.road == nil || c.j%2 == 0 {
		sides = append(sides, side{g.lines[lineKey{rl, false, cj}], 20*ci + 1 + ri}) // south side: left of an eastbound road
	}
	if c.lat.road == nil || c.j%2 == 1 {
		sides = append(sides, side{g.lines[lineKey{rl, false, cj + 1}], 20*ci + 2 + ri}) // north side: right
	}
	if c.lat.road == nil || c.i%2 == 0 {
		sides = append(sides, side{g.lines[lineKey{rl, true, ci}], 20*cj + 2 + rj}) // west side: right of a northbound road
	}
	if c.lat.road == nil || c.i%2 == 1 {
		sides = append(sides, side{g.lines[lineKey{rl, true, ci + 1}], 20*cj + 1 + rj}) // east side: left
	}
	best := g.rng.IntN(len(sides))
	for n := range sides {
		if classRank[sides[n].info.class] > classRank[sides[best].info.class] {
			best = n
		}
	}
	return sides[best].info.name, sides[best].num
}

// buildings lays out a compound's buildings in rows inside its block.
func (g *cityGen) buildings(gr *data.Grid, compound string, c cellRef, road string, number, households int) {
	highRise := g.rng.Float64() < 0.45
	var units, floors, perLanding int
	if highRise {
		units, floors, perLanding = 1+g.rng.IntN(3), 11+g.rng.IntN(23), 2+g.rng.IntN(2)
	} else {
		units, floors, perLanding = 2+g.rng.IntN(4), 5+g.rng.IntN(3), 2
	}
	capacity := units * floors * perLanding
	n := max(1, int(math.Round(float64(households)/float64(capacity*9/10))))
	cols := int(math.Ceil(math.Sqrt(float64(n) * 1.3)))
	rows := (n + cols - 1) / cols
	hh := largestRemainder(make1(n), households, 1)
	const margin = 0.1
	su, sv := (1-2*margin)/float64(cols), (1-2*margin)/float64(rows)
	for b := 0; b < n; b++ {
		row, col := b/cols, b%cols
		u0 := margin + float64(col)*su
		v1 := 1 - margin - float64(row)*sv // first row in the north
		bu0, bu1 := u0+0.12*su, u0+0.88*su
		bv0, bv1 := v1-0.7*sv, v1-0.3*sv
		pop := int(math.Round(float64(hh[b]) * (2.45 + g.rng.Float64()*0.5)))
		gr.Buildings++
		gr.Households += hh[b]
		gr.Population += pop
		g.city.Buildings = append(g.city.Buildings, data.Building{
			Code: fmt.Sprintf("%s%03d", compound, b+1), CompoundCode: compound, GridCode: gr.Code,
			CommunityCode: gr.CommunityCode, StreetCode: gr.StreetCode, DistrictCode: gr.DistrictCode,
			Number: b + 1, Road: road, HouseNumber: number, Units: units, Floors: floors,
			Households: hh[b], Population: pop,
			Entrance: c.lat.bilinear(c.i, c.j, (bu0+bu1)/2, bv0),
			Geom:     orb.Polygon{c.lat.quad(c.i, c.j, bu0, bv0, bu1, bv1)},
		})
	}
}

func make1(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

// compoundRates sets property service, owners' committees and party
// organisations in exactly the shares of the options.
func (g *cityGen) compoundRates() {
	cs := g.city.Compounds
	n := len(cs)
	perm := shuffled(g.rng, n)
	managed := int(math.Round(g.opt.PropertyRate * float64(n)))
	var managedIdx []int
	for x, i := range perm {
		c := &cs[i]
		switch {
		case x < managed:
			c.PropertyStatus = data.PropertyManaged
			c.PropertyCompany = propertyCompanies[g.rng.IntN(len(propertyCompanies))]
			managedIdx = append(managedIdx, i)
		case (x-managed)%5 < 3:
			c.PropertyStatus = data.PropertyNone
		default:
			c.PropertyStatus = data.PropertyAbandoned
		}
	}
	sort.Ints(managedIdx)
	party := int(math.Round(g.opt.PartyOrgRate * float64(len(managedIdx))))
	for x, p := range shuffled(g.rng, len(managedIdx)) {
		if x < party {
			cs[managedIdx[p]].PartyOrg = true
		}
	}
	owners := int(math.Round(g.opt.OwnersCommitteeRate * float64(n)))
	for x, i := range shuffled(g.rng, n) {
		if x < owners {
			cs[i].OwnersCommittee = true
		}
	}
}

// people appoints each grid's head and its team of community workers.
func (g *cityGen) people() {
	gs := g.city.Grids
	for i := range gs {
		title := "网格党支部书记"
		if g.rng.IntN(10) < 3 {
			title = "网格党小组长"
		}
		gs[i].Head = data.Person{Name: personName(g.rng), Phone: phone(g.rng), Title: title}
	}
	for x, i := range shuffled(g.rng, len(gs)) {
		if x >= FullTimeWorkers {
			break
		}
		gs[i].Team = append(gs[i].Team, data.Person{Name: personName(g.rng), Phone: phone(g.rng), Title: "专职网格员"})
	}
	for x := 0; x < PartTimeMembers; x++ {
		i := g.rng.IntN(len(gs))
		gs[i].Team = append(gs[i].Team, data.Person{Name: personName(g.rng), Phone: phone(g.rng), Title: "兼职委员"})
	}
}

// stations places one party-mass service centre per community, the built
// grid red stations and the planned sites, each in a distinct grid.
func (g *cityGen) stations() {
	gridsOf := map[string][]int{}
	for i, gr := range g.city.Grids {
		gridsOf[gr.CommunityCode] = append(gridsOf[gr.CommunityCode], i)
	}
	stars := func() int {
		x := g.rng.Float64()
		switch {
		case x < 0.05:
			return 1
		case x < 0.2:
			return 2
		case x < 0.6:
			return 3
		case x < 0.88:
			return 4
		}
		return 5
	}
	place := func(gi int, u, v float64) orb.Point {
		cells := g.gridCells[gi]
		c := cells[g.rng.IntN(len(cells))]
		return c.lat.bilinear(c.i, c.j, u, v)
	}
	for _, cm := range g.city.Communities {
		gl := gridsOf[cm.Code]
		gi := gl[g.rng.IntN(len(gl))]
		gr := g.city.Grids[gi]
		g.city.Stations = append(g.city.Stations, data.Station{
			Code: gr.Code + "S00", Name: communityShort(cm.Name) + "党群服务中心",
			Kind: data.StationCommunityCentre, Status: data.StationBuilt, Stars: max(3, stars()),
			GridCode: gr.Code, CommunityCode: gr.CommunityCode, Point: place(gi, 0.5, 0.06),
		})
	}
	for x, gi := range shuffled(g.rng, len(g.city.Grids)) {
		if x >= BuiltGridStations+PlannedGridStations {
			break
		}
		gr := g.city.Grids[gi]
		st := data.Station{
			Code: gr.Code + "S01", Name: gr.Name + "红色驿站", Kind: data.StationGrid,
			GridCode: gr.Code, CommunityCode: gr.CommunityCode, Point: place(gi, 0.3, 0.94),
		}
		if x < BuiltGridStations {
			st.Status, st.Stars = data.StationBuilt, stars()
		} else {
			st.Status = data.StationPlanned
		}
		g.city.Stations = append(g.city.Stations, st)
	}
	sort.Slice(g.city.Stations, func(a, b int) bool { return g.city.Stations[a].Code < g.city.Stations[b].Code })
}

func (g *cityGen) districtName(code string) string {
	for _, d := range g.city.Districts {
		if d.Code == code {
			return d.Name
		}
	}
	return ""
}

// unitName draws a work unit: a municipal department or one of the
// district's departments.
func (g *cityGen) unitName(districtCode string) string {
	if g.rng.IntN(3) == 0 {
		return "枣庄" + municipalDepts[g.rng.IntN(len(municipalDepts))]
	}
	d := districtDepts[g.rng.IntN(len(districtDepts))]
	return g.districtName(districtCode) + d[len("区"):]
}

// cadres sinks 2,580 cadres into the grids: every grid gets at least one,
// and about a third of the cadres help a second grid of the same community.
func (g *cityGen) cadres() {
	gs := g.city.Grids
	gridsOf := map[string][]int{}
	for i, gr := range gs {
		gridsOf[gr.CommunityCode] = append(gridsOf[gr.CommunityCode], i)
	}
	for n := 0; n < Cadres; n++ {
		gi := n
		if n >= len(gs) {
			gi = g.rng.IntN(len(gs))
		}
		gr := gs[gi]
		rank := "副科级"
		if g.rng.IntN(10) < 4 {
			rank = "正科级"
		}
		cd := data.Cadre{
			ID: fmt.Sprintf("C%04d%05d", g.k, n+1), Name: personName(g.rng), Unit: g.unitName(gr.DistrictCode),
			Rank: rank, Phone: phone(g.rng), GridCodes: []string{gr.Code},
		}
		if g.rng.IntN(3) == 0 {
			sib := gridsOf[gr.CommunityCode]
			if o := sib[g.rng.IntN(len(sib))]; o != gi {
				cd.GridCodes = append(cd.GridCodes, gs[o].Code)
			}
		}
		g.city.Cadres = append(g.city.Cadres, cd)
	}
}

// reportingUnits creates the 104 municipal and 515 district 双报到 units:
// each municipal unit reports to two communities (every community gets one
// or two), each district unit to one community of its district.
func (g *cityGen) reportingUnits() {
	cs := g.city.Communities
	perm := shuffled(g.rng, len(cs))
	variants := []string{"机关党委", "第一党支部", "第二党支部", "第三党支部"}
	members := largestRemainder(make1(MunicipalUnits), MunicipalUnitMembers, 60)
	for n := 0; n < MunicipalUnits; n++ {
		ru := data.ReportingUnit{
			Code:  fmt.Sprintf("R%04dM%03d", g.k, n+1),
			Name:  "枣庄" + municipalDepts[n%len(municipalDepts)] + variants[n/len(municipalDepts)],
			Level: "municipal", Members: members[n],
		}
		for _, x := range []int{2 * n, 2*n + 1} {
			ru.CommunityCodes = append(ru.CommunityCodes, cs[perm[x%len(cs)]].Code)
		}
		g.city.ReportingUnits = append(g.city.ReportingUnits, ru)
	}
	// District units in proportion to each district's communities.
	byDistrict := map[string][]int{}
	var dcodes []string
	for i, c := range cs {
		if len(byDistrict[c.DistrictCode]) == 0 {
			dcodes = append(dcodes, c.DistrictCode)
		}
		byDistrict[c.DistrictCode] = append(byDistrict[c.DistrictCode], i)
	}
	w := make([]float64, len(dcodes))
	for i, d := range dcodes {
		w[i] = float64(len(byDistrict[d]))
	}
	perDistrict := largestRemainder(w, DistrictUnits, 1)
	dm := largestRemainder(make1(DistrictUnits), DistrictUnitMembers, 20)
	n := 0
	for di, d := range dcodes {
		comms := byDistrict[d]
		for x := 0; x < perDistrict[di]; x++ {
			dep := districtDepts[x%len(districtDepts)]
			v := variants[(x/len(districtDepts))%len(variants)]
			if x >= len(districtDepts)*len(variants) {
				v = fmt.Sprintf("第%d党支部", x/len(districtDepts))
			}
			g.city.ReportingUnits = append(g.city.ReportingUnits, data.ReportingUnit{
				Code:  fmt.Sprintf("R%04dD%03d", g.k, n+1),
				Name:  g.districtName(d) + dep[len("区"):] + v,
				Level: "district", Members: dm[n],
				CommunityCodes: []string{cs[comms[x%len(comms)]].Code},
			})
			n++
		}
	}
}

type incidentKind struct {
	module, category, what string
	departments            []string
}

// Incident categories with the departments that must report (1+6+N).
var incidentKinds = []incidentKind{
	{data.ModuleLivelihood, "property.sanitation", "小区环境卫生差、垃圾清运不及时", []string{"street_enforcement"}},
	{data.ModuleLivelihood, "property.facilities", "小区道路破损、设施损坏", []string{"street_enforcement", "housing"}},
	{data.ModuleLivelihood, "property.parking", "小区停车秩序混乱", []string{"street_enforcement", "traffic_police"}},
	{data.ModuleLivelihood, "utilities.heating", "供暖不热", []string{"housing"}},
	{data.ModuleLivelihood, "neighbour.noise", "噪音扰民", []string{"public_security"}},
	{data.ModuleEnforcement, "enforcement.illegal_building", "违章搭建", []string{"street_enforcement", "natural_resources"}},
	{data.ModuleEnforcement, "enforcement.street_vending", "占道经营", []string{"street_enforcement", "market_regulation"}},
	{data.ModuleEnforcement, "environment.pollution", "油烟、污水排放污染", []string{"ecology_environment"}},
	{data.ModuleEnforcement, "market.food_safety", "食品安全隐患", []string{"market_regulation"}},
	{data.ModuleEnforcement, "safety.fire", "楼道堆物、消防通道堵塞", []string{"emergency_management", "street_enforcement"}},
	{data.ModuleEnforcement, "traffic.order", "路口交通秩序混乱", []string{"traffic_police", "transport"}},
	{data.ModuleDevelopment, "development.business", "企业办事遇到困难", []string{"market_regulation"}},
	{data.ModuleDevelopment, "development.construction", "项目施工扰民", []string{"housing", "ecology_environment"}},
}

// incidents writes a year of historical incidents at buildings' doors.
func (g *cityGen) incidents() {
	start := time.Date(2025, 11, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	bs := g.city.Buildings
	compName := map[string]string{}
	for _, c := range g.city.Compounds {
		compName[c.Code] = c.Name
	}
	for n := 0; n < g.opt.Incidents; n++ {
		b := bs[g.rng.IntN(len(bs))]
		kind := incidentKinds[g.rng.IntN(len(incidentKinds))]
		at := start.Add(time.Duration(g.rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second)
		status := "closed"
		switch x := g.rng.IntN(100); {
		case x < 3:
			status = "reported"
		case x < 6:
			status = "dispatched"
		case x < 8:
			status = "responded"
		case x < 13:
			status = "resolved"
		}
		upd := at.Add(time.Duration(1+g.rng.IntN(96)) * time.Hour)
		g.city.Incidents = append(g.city.Incidents, data.Incident{
			ID: fmt.Sprintf("I%04d%06d", g.k, n+1), Module: kind.module, Category: kind.category,
			Description: fmt.Sprintf("%s%d号楼附近%s", compName[b.CompoundCode], b.Number, kind.what),
			Status:      status, Point: b.Entrance,
			Address:  fmt.Sprintf("%s%d号%s%d号楼", b.Road, b.HouseNumber, compName[b.CompoundCode], b.Number),
			GridCode: b.GridCode, CommunityCode: b.CommunityCode, StreetCode: b.StreetCode, DistrictCode: b.DistrictCode,
			Departments: kind.departments, ReportedAt: at, UpdatedAt: upd,
		})
	}
	sort.Slice(g.city.Incidents, func(a, b int) bool {
		return g.city.Incidents[a].ReportedAt.Before(g.city.Incidents[b].ReportedAt)
	})
	for n := range g.city.Incidents {
		g.city.Incidents[n].ID = fmt.Sprintf("I%04d%06d", g.k, n+1)
	}
}
