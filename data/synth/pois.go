package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
)

// POIs: the landmarks callers name. Schools, hospitals, markets, parks and
// government offices each stand on a plot of their own (a quarter block,
// or half a block for the large ones), taken over from the residential
// compound the layout put there: the compound record stays (the planner's
// unit is the plot) but is renamed after the institution and loses its
// buildings. Plots with a station or an incident are never taken, nor the
// last plots of a grid or one that would leave its grid with fewer than
// minGridHouseholds households. Hospitals and government offices stand on
// main roads, schools and markets on secondary and branch roads where they
// can. Every plot POI has a main gate on the road of its address and a
// gate on each other side that faces a road; bus stops stand at the kerb
// of the main and secondary roads, 35 m before a crossing.
//
// The POIs are drawn from their own random stream after everything else,
// so adding them changed no other record's draw.

const (
	minGridHouseholds = 220
	gateInsetM        = 5.0  // gates stand this far inside the plot's edge
	stopKerbM         = 12.0 // bus stops stand this far from the road's centreline
	stopBeforeM       = 35.0 // … and this far before the crossing
)

// poiSpec is one POI to place: its name, aliases, kind, plots (1 or 2) and
// the road class it wants in front of its gate.
type poiSpec struct {
	name    string
	aliases []string
	kind    string
	plots   int
	road    string // data.RoadMain … or "" for any
	// named from the plot: the name is built once the plot is known
	nameOf func(p *plotInfo) (string, []string)
}

type plotInfo struct {
	compound int // index into city.Compounds
	grid     int
	cell     cellRef
	road     string // the former compound's gate road
	number   int
	class    string
	street   string // street name
	comm     string // community short name (青檀社区)
}

func (g *cityGen) pois() {
	rng := rand.New(rand.NewPCG(g.opt.Seed^0x504f4953, uint64(g.k)*0x2545F4914F6CDD1D+7))
	c := g.city
	// Plots: compound → cell, in the order compounds were laid out.
	plots := make([]plotInfo, 0, len(c.Compounds))
	k := 0
	for gi, cells := range g.gridCells {
		for _, cell := range cells {
			if k >= len(c.Compounds) {
				break
			}
			plots = append(plots, plotInfo{compound: k, grid: gi, cell: cell})
			k++
		}
	}
	if len(plots) != len(c.Compounds) {
		return // not laid out by this generator: no POIs
	}
	cellPlot := make(map[cellRef]int, len(plots))
	for i, p := range plots {
		cellPlot[p.cell] = i
	}
	firstBuilding := make(map[string]int, len(c.Compounds))
	for i := len(c.Buildings) - 1; i >= 0; i-- {
		firstBuilding[c.Buildings[i].CompoundCode] = i
	}
	roadClass := map[string]string{}
	for _, r := range c.Roads {
		if classRank[r.Class] > classRank[roadClass[r.Name]] {
			roadClass[r.Name] = r.Class
		}
	}
	gridIdx := map[string]int{}
	for i, gr := range c.Grids {
		gridIdx[gr.Code] = i
	}
	streetName := map[string]string{}
	for _, s := range c.Streets {
		streetName[s.Code] = s.Name
	}
	commShort := map[string]string{}
	for _, m := range c.Communities {
		commShort[m.Code] = communityShort(m.Name)
	}
	for i := range plots {
		p := &plots[i]
		cp := &c.Compounds[p.compound]
		if b, ok := firstBuilding[cp.Code]; ok {
			p.road, p.number = c.Buildings[b].Road, c.Buildings[b].HouseNumber
		}
		p.class = roadClass[p.road]
		gr := &c.Grids[p.grid]
		p.street, p.comm = streetName[gr.StreetCode], commShort[gr.CommunityCode]
	}
	// Plots that may not be taken: a station or an incident on them.
	blocked := make([]bool, len(plots))
	mark := func(gridCode string, pt orb.Point) {
		gi, ok := gridIdx[gridCode]
		if !ok {
			return
		}
		for _, cr := range g.gridCells[gi] {
			if q := cr.lat.quad(cr.i, cr.j, 0, 0, 1, 1); q.Bound().Contains(pt) && ringContains(q, pt) {
				blocked[cellPlot[cr]] = true
			}
		}
	}
	for _, s := range c.Stations {
		mark(s.GridCode, s.Point)
	}
	for _, in := range c.Incidents {
		mark(in.GridCode, in.Point)
	}
	// Households per compound and residential compounds per grid.
	compHH := make([]int, len(c.Compounds))
	compIdx := make(map[string]int, len(c.Compounds))
	for i, cp := range c.Compounds {
		compIdx[cp.Code] = i
	}
	for _, b := range c.Buildings {
		compHH[compIdx[b.CompoundCode]] += b.Households
	}
	left := make([]int, len(c.Grids)) // residential compounds per grid
	for _, p := range plots {
		left[p.grid]++
	}
	taken := make([]bool, len(plots))
	hasPOI := make([]bool, len(c.Grids))

	// The POIs of each district, in the order they are placed.
	perDistrict := map[string][]int{}
	for i, p := range plots {
		d := c.Grids[p.grid].DistrictCode
		perDistrict[d] = append(perDistrict[d], i)
	}
	var placed []data.POI
	gridSeq := map[string]int{}
	usedName := map[string]bool{}
	for di, d := range c.Districts {
		specs := g.poiSpecs(di, rng)
		cand := perDistrict[d.Code]
		for _, sp := range specs {
			// Shuffle the district's plots and take the first that fits.
			order := shuffled(rng, len(cand))
			best, bestRank := -1, -1
			for n, x := range order {
				pi := cand[x]
				p := &plots[pi]
				if taken[pi] || blocked[pi] || hasPOI[p.grid] || p.road == "" {
					continue
				}
				need := sp.plots
				if left[p.grid]-need < 2 {
					continue
				}
				partner := -1
				if need == 2 {
					partner = g.partnerPlot(pi, plots, cellPlot)
					if partner < 0 || taken[partner] || blocked[partner] || plots[partner].grid != p.grid {
						continue
					}
				}
				hh := c.Grids[p.grid].Households - compHH[p.compound]
				if partner >= 0 {
					hh -= compHH[plots[partner].compound]
				}
				if hh < minGridHouseholds {
					continue
				}
				rank := 1
				if sp.road == "" || p.class == sp.road {
					rank = 3
				} else if sp.road == data.RoadMain && p.class == data.RoadSecondary {
					rank = 2
				}
				if rank > bestRank {
					best, bestRank = pi, rank
				}
				if rank == 3 || n > 400 {
					break
				}
			}
			if best < 0 {
				continue
			}
			name, aliases := sp.name, sp.aliases
			if sp.nameOf != nil {
				name, aliases = sp.nameOf(&plots[best])
			}
			if name == "" || usedName[d.Code+name] {
				continue
			}
			usedName[d.Code+name] = true
			group := []int{best}
			if sp.plots == 2 {
				group = append(group, g.partnerPlot(best, plots, cellPlot))
			}
			p := &plots[best]
			gr := &c.Grids[p.grid]
			poi := g.plotPOI(group, plots, sp.kind, name, aliases)
			gridSeq[gr.Code]++
			poi.Code = fmt.Sprintf("%sP%02d", gr.Code, gridSeq[gr.Code])
			placed = append(placed, poi)
			for _, pi := range group {
				taken[pi] = true
				left[plots[pi].grid]--
			}
			hasPOI[p.grid] = true
		}
	}
	// Take the plots over: the compounds keep their code and plot, get the
	// POI's name and lose their buildings.
	drop := map[string]bool{}
	for pi, t := range taken {
		if !t {
			continue
		}
		drop[c.Compounds[plots[pi].compound].Code] = true
	}
	for _, poi := range placed {
		for pi, t := range taken {
			if t && poiContains(poi, plots[pi].cell) {
				cp := &c.Compounds[plots[pi].compound]
				cp.Name, cp.Aliases = poi.Name, []string{}
			}
		}
	}
	kept := c.Buildings[:0]
	for _, b := range c.Buildings {
		if drop[b.CompoundCode] {
			gr := &c.Grids[gridIdx[b.GridCode]]
			gr.Buildings--
			gr.Households -= b.Households
			gr.Population -= b.Population
			continue
		}
		kept = append(kept, b)
	}
	c.Buildings = kept
	placed = append(placed, g.busStops(rng, gridSeq)...)
	sort.Slice(placed, func(a, b int) bool { return placed[a].Code < placed[b].Code })
	c.POIs = placed
}

func poiContains(p data.POI, c cellRef) bool {
	ctr := c.lat.bilinear(c.i, c.j, 0.5, 0.5)
	return len(p.Geom) > 0 && ringContains(p.Geom[0], ctr)
}

func ringContains(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// partnerPlot is the plot beside pi in the same road block (east or west),
// or -1.
func (g *cityGen) partnerPlot(pi int, plots []plotInfo, cellPlot map[cellRef]int) int {
	c := plots[pi].cell
	o := cellRef{c.lat, c.i ^ 1, c.j}
	if j, ok := cellPlot[o]; ok {
		return j
	}
	return -1
}

// plotPOI builds the POI on a group of plots (one, or two side by side in
// a row): its outline, centre, gates and address.
func (g *cityGen) plotPOI(group []int, plots []plotInfo, kind, name string, aliases []string) data.POI {
	c := g.city
	p := &plots[group[0]]
	i0, i1 := p.cell.i, p.cell.i+1
	for _, pi := range group[1:] {
		i0, i1 = min(i0, plots[pi].cell.i), max(i1, plots[pi].cell.i+1)
	}
	lat := p.cell.lat
	ring := lat.ring(rect{i0, p.cell.j, i1, p.cell.j + 1})
	var ctr orb.Point
	for _, v := range ring[:len(ring)-1] {
		ctr[0] += v[0]
		ctr[1] += v[1]
	}
	n := float64(len(ring) - 1)
	ctr = orb.Point{round7(ctr[0] / n), round7(ctr[1] / n)}
	gr := &c.Grids[p.grid]
	poi := data.POI{
		Name: name, Aliases: aliases, Kind: kind, GridCode: gr.Code, CommunityCode: gr.CommunityCode,
		Road: p.road, HouseNumber: p.number, Point: ctr, Geom: orb.Polygon{ring},
	}
	// Sides: midpoints of the outline's four sides (south, east, north,
	// west in lattice orientation) and their compass names.
	w := float64(i1 - i0)
	mids := [4]orb.Point{
		lat.bilinear(i0, p.cell.j, w/2, 0), lat.bilinear(i1-1, p.cell.j, 1, 0.5),
		lat.bilinear(i0, p.cell.j, w/2, 1), lat.bilinear(i0, p.cell.j, 0, 0.5),
	}
	if w == 2 { // bilinear is per cell: take the midpoints on the shared corner line
		mids[0] = lat.at(i0+1, p.cell.j)
		mids[2] = lat.at(i0+1, p.cell.j+1)
	}
	mx, my := metresPerDegree(ctr[1])
	type side struct {
		name  string
		pt    orb.Point
		dRoad float64
		road  string
	}
	var sides []side
	for _, m := range mids {
		dx, dy := (m[0]-ctr[0])*mx, (m[1]-ctr[1])*my
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		gp := orb.Point{round7(m[0] - dx/l*gateInsetM/mx), round7(m[1] - dy/l*gateInsetM/my)}
		road, d := g.nearestRoad(m, mx, my)
		sides = append(sides, side{compassName(dx, dy) + "门", gp, d, road})
	}
	// The main gate faces the road of the address.
	main := -1
	for k, s := range sides {
		if s.road == p.road && s.dRoad < 5 && (main < 0 || s.dRoad < sides[main].dRoad) {
			main = k
		}
	}
	if main < 0 {
		main = 0
	}
	poi.Gates = append(poi.Gates, data.Gate{Name: sides[main].name, Point: sides[main].pt})
	for k, s := range sides {
		if k != main && s.dRoad < 5 {
			poi.Gates = append(poi.Gates, data.Gate{Name: s.name, Point: s.pt})
		}
	}
	return poi
}

// nearestRoad is the road whose centreline passes nearest to p, and how
// far (metres).
func (g *cityGen) nearestRoad(p orb.Point, mx, my float64) (string, float64) {
	best, bd := "", math.Inf(1)
	for _, r := range g.city.Roads {
		a, b := r.Geom[0], r.Geom[len(r.Geom)-1]
		if d := segDistM(a, b, p, mx, my); d < bd {
			best, bd = r.Name, d
		}
	}
	return best, bd
}

func segDistM(a, b, p orb.Point, mx, my float64) float64 {
	ax, ay := (a[0]-p[0])*mx, (a[1]-p[1])*my
	bx, by := (b[0]-p[0])*mx, (b[1]-p[1])*my
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

// compassName names the direction of (dx east, dy north) metres: 东, 南, 西, 北.
func compassName(dx, dy float64) string {
	if math.Abs(dx) > math.Abs(dy) {
		if dx > 0 {
			return "东"
		}
		return "西"
	}
	if dy > 0 {
		return "北"
	}
	return "南"
}

// busStops puts a stop on every main and secondary road before every
// second crossing, at the kerb on the right of the way into the crossing,
// named after the road and the crossing road (光明路青檀路口站).
func (g *cityGen) busStops(rng *rand.Rand, gridSeq map[string]int) []data.POI {
	c := g.city
	type end struct {
		seg  int
		atTo bool
	}
	byNode := map[int64][]end{}
	for i, r := range c.Roads {
		byNode[r.FromNode] = append(byNode[r.FromNode], end{i, false})
		byNode[r.ToNode] = append(byNode[r.ToNode], end{i, true})
	}
	nodes := make([]int64, 0, len(byNode))
	for n := range byNode {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(a, b int) bool { return nodes[a] < nodes[b] })
	gridOf := newPointLocator(c)
	var out []data.POI
	seen := map[string]bool{}
	for _, n := range nodes {
		ends := byNode[n]
		for _, e := range ends {
			r := &c.Roads[e.seg]
			if r.Class == data.RoadBranch || !e.atTo {
				continue
			}
			var cross string
			for _, o := range ends {
				if or := &c.Roads[o.seg]; or.Name != r.Name && or.Class != data.RoadBranch {
					cross = or.Name
					break
				}
			}
			if cross == "" {
				continue
			}
			name := r.Name + cross + "路口站"
			if strings.HasSuffix(cross, "路") || strings.HasSuffix(cross, "街") || strings.HasSuffix(cross, "巷") {
				name = r.Name + cross + "口站"
			}
			if seen[name] {
				continue
			}
			a, b := r.Geom[0], r.Geom[len(r.Geom)-1]
			mx, my := metresPerDegree(b[1])
			dx, dy := (b[0]-a[0])*mx, (b[1]-a[1])*my
			l := math.Hypot(dx, dy)
			if l < 2*stopBeforeM {
				continue
			}
			// stopBeforeM back from the crossing, stopKerbM to the right.
			x := -dx/l*stopBeforeM + dy/l*stopKerbM
			y := -dy/l*stopBeforeM - dx/l*stopKerbM
			pt := orb.Point{round7(b[0] + x/mx), round7(b[1] + y/my)}
			gi := gridOf(pt)
			if gi < 0 {
				continue
			}
			seen[name] = true
			gr := &c.Grids[gi]
			gridSeq[gr.Code]++
			out = append(out, data.POI{
				Code: fmt.Sprintf("%sP%02d", gr.Code, gridSeq[gr.Code]), Name: name, Kind: data.POIBusStop,
				Aliases:  []string{strings.TrimSuffix(name, "站") + "公交站"},
				GridCode: gr.Code, CommunityCode: gr.CommunityCode, Road: r.Name, Point: pt,
				Gates: []data.Gate{},
			})
		}
	}
	_ = rng
	return out
}

// newPointLocator finds the grid of a point by its bounding box and ring
// (the generator has no index of its own).
func newPointLocator(c *data.City) func(orb.Point) int {
	boxes := make([]orb.Bound, len(c.Grids))
	for i, gr := range c.Grids {
		boxes[i] = gr.Geom.Bound()
	}
	return func(p orb.Point) int {
		for i := range c.Grids {
			if boxes[i].Contains(p) && ringContains(c.Grids[i].Geom[0], p) {
				return i
			}
		}
		return -1
	}
}
