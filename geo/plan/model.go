// Package plan is gridmap's planner engine: measures of grids and
// communities (households, workload, compactness, contiguity, deviation
// from the community's mean), plans of boundary edits (move compounds
// between neighbouring grids, split, merge, create and retire grid codes)
// that re-derive and re-validate every grid they touch, automatic
// rebalancing proposals, and the follow-through of a plan on cadres,
// stations and open incidents.
//
// The unit of a plan is the block: the lattice cell that holds one compound
// (小区). A grid is a set of blocks of one community and its polygon is the
// union of their cells. The union is computed exactly by walking the
// boundary edges of the cell set (edges shared by two cells of the grid
// cancel): every vertex of a derived ring is a lattice point taken from the
// city itself, so neighbouring grids share their vertices bit for bit, the
// community stays an exact partition, and putting the blocks back restores
// the previous ring exactly. A general polygon union (simplefeatures) would
// give the same region but with its own vertex order and rounding, so
// neither exactness nor revert-to-identical would hold.
package plan

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Block is one lattice cell of a community and the compound in it.
type Block struct {
	Compound  string       // compound code
	Community int          // index into Model.Communities
	Cell      [4]orb.Point // corners: SW, SE, NE, NW in lattice orientation
	I, J      int          // lattice position inside the community
	// Totals of the compound's buildings.
	Households, Population, Buildings int
	Nbr                               [4]int32 // neighbouring block across each side (south, east, north, west) in the same community, or -1
	// Stations and incidents whose point lies in the cell (indexes into
	// the city's slices).
	Stations  []int32
	Incidents []int32
}

// Community is a community's share of the model.
type Community struct {
	Code string
	// Blocks of the community (indexes into Model.Blocks).
	Blocks []int32
	// Fixed is set when the community's grids could not be derived from
	// blocks (no lattice found, or a derived ring differs from the stored
	// one): its grids can be measured but not edited.
	Fixed  string
	Lat    float64 // latitude for local metric projection
	i0, j0 int
	w, h   int
	cellAt []int32 // (j-j0)*w+(i-i0) → block, or -1
}

// Model is the block structure of a city, derived once and shared by
// every plan on that city. It is read-only after NewModel.
type Model struct {
	City        *data.City
	Blocks      []Block
	Communities []Community
	commIdx     map[string]int
	blockOf     map[string]int32 // compound code → block
	// BaseAssign is each block's grid in the city, as an index into City.Grids.
	BaseAssign []int32
	// Stations and incidents in no block; they follow their grid code.
	looseStations, looseIncidents []int32
	bOnce                         sync.Once
	compoundOfBuilding            map[string]string
}

// Side offsets in lattice space: south, east, north, west.
var sideOff = [4][2]int{{0, -1}, {1, 0}, {0, 1}, {-1, 0}}

// ErrNoModel is returned when a city has no block structure at all.
var ErrNoModel = errors.New("plan: the city has no compounds to build blocks from")

// NewModel derives the block structure of c (indexed): every compound's
// cell is found by snapping the corners of its polygon to the nearest
// lattice point (a vertex of a grid ring or a road end), cells are placed
// on a lattice per community through their shared edges, and every grid's
// ring is re-derived and compared with the stored one. Communities where
// any of this fails are marked Fixed with the reason.
func NewModel(c *data.City) (*Model, error) {
	if c == nil || len(c.Compounds) == 0 {
		return nil, ErrNoModel
	}
	m := &Model{City: c, commIdx: map[string]int{}, blockOf: make(map[string]int32, len(c.Compounds))}
	for i, cm := range c.Communities {
		m.commIdx[cm.Code] = i
		m.Communities = append(m.Communities, Community{Code: cm.Code, Lat: cm.Geom.Bound().Center()[1]})
	}
	snap := newSnapper(c)
	tot := map[string][3]int{}
	for _, b := range c.Buildings {
		t := tot[b.CompoundCode]
		tot[b.CompoundCode] = [3]int{t[0] + b.Households, t[1] + b.Population, t[2] + 1}
	}
	fixed := map[int]string{}
	for _, cp := range c.Compounds {
		ci, ok := m.commIdx[cp.CommunityCode]
		if !ok {
			continue
		}
		b := Block{Compound: cp.Code, Community: ci, Nbr: [4]int32{-1, -1, -1, -1}}
		t := tot[cp.Code]
		b.Households, b.Population, b.Buildings = t[0], t[1], t[2]
		if cell, ok := snap.cell(cp.Geom); ok {
			b.Cell = cell
		} else if fixed[ci] == "" {
			fixed[ci] = "compound " + cp.Code + " is not a lattice block"
		}
		id := int32(len(m.Blocks))
		m.blockOf[cp.Code] = id
		m.Blocks = append(m.Blocks, b)
		m.Communities[ci].Blocks = append(m.Communities[ci].Blocks, id)
	}
	m.BaseAssign = make([]int32, len(m.Blocks))
	for i := range m.Blocks {
		cp := c.Compound(m.Blocks[i].Compound)
		gi, ok := c.GridIndex(cp.GridCode)
		if !ok {
			gi = -1
			if fixed[m.Blocks[i].Community] == "" {
				fixed[m.Blocks[i].Community] = "compound " + cp.Code + " has an unknown grid"
			}
		}
		m.BaseAssign[i] = int32(gi)
	}
	for ci := range m.Communities {
		cm := &m.Communities[ci]
		if r := fixed[ci]; r != "" {
			cm.Fixed = r
			continue
		}
		if err := m.lattice(ci); err != nil {
			cm.Fixed = err.Error()
		}
	}
	m.attach()
	// Every grid must come back exactly from its blocks.
	byGrid := map[int32][]int32{}
	for b, g := range m.BaseAssign {
		byGrid[g] = append(byGrid[g], int32(b))
	}
	for gi, gr := range c.Grids {
		ci, ok := m.commIdx[gr.CommunityCode]
		if !ok || m.Communities[ci].Fixed != "" {
			continue
		}
		cm := &m.Communities[ci]
		blocks := byGrid[int32(gi)]
		if len(blocks) == 0 {
			cm.Fixed = "grid " + gr.Code + " has no compound"
			continue
		}
		ring, err := m.ring(blocks, func(b int32) bool { return m.BaseAssign[b] == int32(gi) })
		if err != nil {
			cm.Fixed = "grid " + gr.Code + ": " + err.Error()
			continue
		}
		if len(gr.Geom) != 1 || !ringsEqual(ring, gr.Geom[0]) {
			cm.Fixed = "grid " + gr.Code + " is not the union of its blocks' cells"
		}
	}
	return m, nil
}

// buildingCompound returns the compound of a building of the model's city.
func (m *Model) buildingCompound(code string) (string, bool) {
	m.bOnce.Do(func() {
		m.compoundOfBuilding = make(map[string]string, len(m.City.Buildings))
		for i := range m.City.Buildings {
			m.compoundOfBuilding[m.City.Buildings[i].Code] = m.City.Buildings[i].CompoundCode
		}
	})
	c, ok := m.compoundOfBuilding[code]
	return c, ok
}

// Block returns the block of a compound.
func (m *Model) Block(compound string) (int32, bool) { b, ok := m.blockOf[compound]; return b, ok }

// CommunityIndex returns the position of a community in Model.Communities.
func (m *Model) CommunityIndex(code string) (int, bool) { i, ok := m.commIdx[code]; return i, ok }

func ringsEqual(a, b orb.Ring) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lattice places community ci's blocks on integer positions through their
// shared edges and fills the neighbour links.
func (m *Model) lattice(ci int) error {
	cm := &m.Communities[ci]
	type ekey [2]orb.Point
	edges := make(map[ekey][2]int32, 4*len(cm.Blocks))
	for _, b := range cm.Blocks {
		cell := m.Blocks[b].Cell
		for s := 0; s < 4; s++ {
			a, z := cell[s], cell[(s+1)%4]
			if _, dup := edges[ekey{a, z}]; dup {
				return fmt.Errorf("blocks overlap at compound %s", m.Blocks[b].Compound)
			}
			edges[ekey{a, z}] = [2]int32{b, int32(s)}
		}
	}
	for _, b := range cm.Blocks {
		cell := m.Blocks[b].Cell
		for s := 0; s < 4; s++ {
			o, ok := edges[ekey{cell[(s+1)%4], cell[s]}]
			if !ok {
				continue
			}
			if int(o[1]) != (s+2)%4 {
				return fmt.Errorf("compound %s is not aligned with its neighbour %s", m.Blocks[b].Compound, m.Blocks[o[0]].Compound)
			}
			m.Blocks[b].Nbr[s] = o[0]
		}
	}
	// Breadth-first placement.
	seen := map[int32]bool{cm.Blocks[0]: true}
	queue := []int32{cm.Blocks[0]}
	m.Blocks[cm.Blocks[0]].I, m.Blocks[cm.Blocks[0]].J = 0, 0
	for len(queue) > 0 {
		b := queue[0]
		queue = queue[1:]
		for s, n := range m.Blocks[b].Nbr {
			if n < 0 || seen[n] {
				continue
			}
			seen[n] = true
			m.Blocks[n].I = m.Blocks[b].I + sideOff[s][0]
			m.Blocks[n].J = m.Blocks[b].J + sideOff[s][1]
			queue = append(queue, n)
		}
	}
	if len(seen) != len(cm.Blocks) {
		return errors.New("the community's blocks are not connected")
	}
	i0, j0, i1, j1 := math.MaxInt, math.MaxInt, math.MinInt, math.MinInt
	for _, b := range cm.Blocks {
		bl := &m.Blocks[b]
		i0, j0, i1, j1 = min(i0, bl.I), min(j0, bl.J), max(i1, bl.I), max(j1, bl.J)
	}
	cm.i0, cm.j0, cm.w, cm.h = i0, j0, i1-i0+1, j1-j0+1
	cm.cellAt = make([]int32, cm.w*cm.h)
	for k := range cm.cellAt {
		cm.cellAt[k] = -1
	}
	for _, b := range cm.Blocks {
		bl := &m.Blocks[b]
		k := (bl.J-j0)*cm.w + (bl.I - i0)
		if cm.cellAt[k] >= 0 {
			return fmt.Errorf("compounds %s and %s fall on one lattice cell", m.Blocks[cm.cellAt[k]].Compound, bl.Compound)
		}
		cm.cellAt[k] = b
	}
	// Neighbour links must agree with lattice positions.
	for _, b := range cm.Blocks {
		bl := &m.Blocks[b]
		for s := 0; s < 4; s++ {
			if n := m.at(cm, bl.I+sideOff[s][0], bl.J+sideOff[s][1]); n != bl.Nbr[s] {
				return fmt.Errorf("compound %s: lattice neighbours disagree", bl.Compound)
			}
		}
	}
	return nil
}

func (m *Model) at(cm *Community, i, j int) int32 {
	i, j = i-cm.i0, j-cm.j0
	if i < 0 || j < 0 || i >= cm.w || j >= cm.h {
		return -1
	}
	return cm.cellAt[j*cm.w+i]
}

// attach finds the block of every station and incident, by the community
// they name first and then by a search of all blocks.
func (m *Model) attach() {
	type cellBox struct {
		b   int32
		box orb.Bound
	}
	const bucket = 0.002
	grid := map[[2]int32][]cellBox{}
	key := func(p orb.Point) [2]int32 {
		return [2]int32{int32(math.Floor(p[0] / bucket)), int32(math.Floor(p[1] / bucket))}
	}
	for i := range m.Blocks {
		bl := &m.Blocks[i]
		if bl.Cell[0] == (orb.Point{}) {
			continue
		}
		box := orb.Ring(bl.Cell[:]).Bound()
		k0, k1 := key(box.Min), key(box.Max)
		for x := k0[0]; x <= k1[0]; x++ {
			for y := k0[1]; y <= k1[1]; y++ {
				grid[[2]int32{x, y}] = append(grid[[2]int32{x, y}], cellBox{int32(i), box})
			}
		}
	}
	find := func(p orb.Point) int32 {
		for _, cb := range grid[key(p)] {
			if !cb.box.Contains(p) {
				continue
			}
			c := m.Blocks[cb.b].Cell
			if planar.RingContains(orb.Ring{c[0], c[1], c[2], c[3], c[0]}, p) {
				return cb.b
			}
		}
		return -1
	}
	for i, st := range m.City.Stations {
		if b := find(st.Point); b >= 0 {
			m.Blocks[b].Stations = append(m.Blocks[b].Stations, int32(i))
		} else {
			m.looseStations = append(m.looseStations, int32(i))
		}
	}
	for i, in := range m.City.Incidents {
		if b := find(in.Point); b >= 0 {
			m.Blocks[b].Incidents = append(m.Blocks[b].Incidents, int32(i))
		} else {
			m.looseIncidents = append(m.looseIncidents, int32(i))
		}
	}
}

// snapper finds lattice points near compound corners.
type snapper struct {
	pts map[[2]int32][]orb.Point
}

const snapBucket = 0.001 // ≈100 m

func snapKey(p orb.Point) [2]int32 {
	return [2]int32{int32(math.Floor(p[0] / snapBucket)), int32(math.Floor(p[1] / snapBucket))}
}

func newSnapper(c *data.City) *snapper {
	s := &snapper{pts: map[[2]int32][]orb.Point{}}
	seen := map[orb.Point]bool{}
	add := func(p orb.Point) {
		if seen[p] {
			return
		}
		seen[p] = true
		k := snapKey(p)
		s.pts[k] = append(s.pts[k], p)
	}
	for _, g := range c.Grids {
		for _, r := range g.Geom {
			for _, p := range r {
				add(p)
			}
		}
	}
	for _, r := range c.Roads {
		for _, p := range r.Geom {
			add(p)
		}
	}
	// A plot lattice's points inside a grid lie on no grid ring or road:
	// compounds that fill their plot bring them.
	for _, cp := range c.Compounds {
		for _, r := range cp.Geom {
			for _, p := range r {
				add(p)
			}
		}
	}
	return s
}

func (s *snapper) nearest(p orb.Point, maxM float64) (orb.Point, bool) {
	k := snapKey(p)
	mx, my := geo.MetresPerDegree(p[1])
	best, bd := orb.Point{}, math.Inf(1)
	for dx := int32(-1); dx <= 1; dx++ {
		for dy := int32(-1); dy <= 1; dy++ {
			for _, q := range s.pts[[2]int32{k[0] + dx, k[1] + dy}] {
				d := math.Hypot((q[0]-p[0])*mx, (q[1]-p[1])*my)
				if d < bd {
					best, bd = q, d
				}
			}
		}
	}
	return best, bd <= maxM
}

// cell snaps a compound's quadrilateral to the lattice cell around it.
func (s *snapper) cell(p orb.Polygon) ([4]orb.Point, bool) {
	var out [4]orb.Point
	if len(p) != 1 || len(p[0]) != 5 || p[0][0] != p[0][4] {
		return out, false
	}
	r := p[0]
	mx, my := geo.MetresPerDegree(r[0][1])
	short := math.Inf(1)
	for i := 0; i < 4; i++ {
		short = math.Min(short, math.Hypot((r[i+1][0]-r[i][0])*mx, (r[i+1][1]-r[i][1])*my))
	}
	for i := 0; i < 4; i++ {
		q, ok := s.nearest(r[i], short*0.25)
		if !ok {
			return out, false
		}
		out[i] = q
	}
	for i := 0; i < 4; i++ {
		for j := i + 1; j < 4; j++ {
			if out[i] == out[j] {
				return out, false
			}
		}
	}
	return out, true
}

// Errors of ring derivation.
var (
	errEmpty = errors.New("no blocks")
	errPinch = errors.New("its blocks would touch only at a corner")
	errHole  = errors.New("it would enclose a hole (another grid inside it) or fall apart")
)

// ring derives the counter-clockwise outline of a set of blocks of one
// community, starting at the south-west corner of its southernmost,
// westernmost block — the same start the generator uses for rectangles.
func (m *Model) ring(blocks []int32, in func(int32) bool) (orb.Ring, error) {
	if len(blocks) == 0 {
		return nil, errEmpty
	}
	cm := &m.Communities[m.Blocks[blocks[0]].Community]
	isIn := func(i, j int) bool {
		b := m.at(cm, i, j)
		return b >= 0 && in(b)
	}
	start := blocks[0]
	edges := 0
	for _, b := range blocks {
		bl := &m.Blocks[b]
		if bl.J < m.Blocks[start].J || bl.J == m.Blocks[start].J && bl.I < m.Blocks[start].I {
			start = b
		}
		for s := 0; s < 4; s++ {
			if !isIn(bl.I+sideOff[s][0], bl.J+sideOff[s][1]) {
				edges++
			}
		}
	}
	ring := make(orb.Ring, 0, edges+1)
	ci, cj, s := m.Blocks[start].I, m.Blocks[start].J, 0
	b := start
	for {
		ring = append(ring, m.Blocks[b].Cell[s])
		if len(ring) > edges {
			return nil, errHole
		}
		d := sideOff[(s+1)%4] // direction of travel along side s
		o := sideOff[s]       // outwards across side s
		ai, aj := ci+d[0], cj+d[1]
		bi, bj := ai+o[0], aj+o[1]
		aIn, bIn := isIn(ai, aj), isIn(bi, bj)
		switch {
		case bIn && !aIn:
			return nil, errPinch
		case bIn:
			ci, cj, s = bi, bj, (s+3)%4
		case aIn:
			ci, cj = ai, aj
		default:
			s = (s + 1) % 4
		}
		b = m.at(cm, ci, cj)
		if b == start && s == 0 {
			break
		}
	}
	if len(ring) != edges {
		return nil, errHole
	}
	return append(ring, ring[0]), nil
}

// sortedCodes returns the keys of a set in order.
func sortedCodes(s map[string]bool) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
