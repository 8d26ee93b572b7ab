package plan

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
)

// The search behind Propose works on one community at a time, on a copy
// of its blocks in local arrays, so that a step costs a fraction of a
// microsecond and depends on nothing but the community, the seed and the
// step count:
//
//   - Whether a block may change grid is decided from its 3×3
//     neighbourhood alone: the block must be a simple point (Yokoi's
//     4-connectivity number is 1) of the grid it leaves and of the grid it
//     joins, and neither grid may end up touching itself at a corner.
//     A grid that is one simple ring (4-connected, no hole, no pinch)
//     stays one, so the moves never need a flood fill or a ring walk. The
//     layout found is re-validated in full by ApplyEdit all the same.
//   - Polsby-Popper scores follow from each grid's area and perimeter,
//     kept as integer sums (0.1 mm, 0.01 m²) of the lattice cells' areas
//     and side lengths; a move changes them by the four sides of one
//     block.
//   - Only IEEE-exact operations decide anything: products are rounded
//     explicitly (no fused multiply-add on any architecture), e^−x is a
//     polynomial of our own, random numbers come from PCG, and nothing
//     iterates a map. The same seed and step count give the same layout
//     on any machine, with any number of cores, however busy.

// compoundEquivalent is the disruption of moving a compound beyond its
// households, in households: each compound moved is re-coded, changes its
// grid worker and its cadres, so two compounds of 25 households disturb
// more than one of 50.
const compoundEquivalent = 10

// floorWeight is the cost of each unit of a community's summed
// Polsby-Popper score lost below where it started: compactness is kept
// from falling while disruption is held down.
const floorWeight = 20

// Annealing temperatures at the start and the end of the schedule, in the
// cost's units (a grid over tolerance costs 10 and more), and ln(t0/t1).
const (
	tempStart = 1.5
	tempEnd   = 0.02
	lnTemps   = 4.31748811353631 // ln(1.5/0.02) = ln 75
)

// tempLevels is the annealing schedule sampled at 256 levels: level i is
// tempStart·(tempEnd/tempStart)^(i/255).
var tempLevels = schedule(tempStart, lnTemps)

// schedule samples t0·e^(−ln(t0/t1)·i/255) for i = 0..255; lnRatio is
// ln(t0/t1).
func schedule(t0, lnRatio float64) (t [256]float64) {
	for i := range t {
		t[i] = float64(t0 * expNeg(float64(lnRatio*float64(i))/255))
	}
	return t
}

// expNegN holds e^−n for n = 0..39, by repeated exact-rounded products.
var expNegN = func() (t [40]float64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = float64(t[i-1] * 0.36787944117144233)
	}
	return t
}()

// expNeg returns e^−x for x ≥ 0 (0 beyond 40) with plain, explicitly
// rounded IEEE operations, so that it gives the same bits everywhere
// (math.Exp has assembly versions that may differ in the last place).
func expNeg(x float64) float64 {
	if !(x < 40) {
		return 0
	}
	if x <= 0 {
		return 1
	}
	n := int(x)
	f := x - float64(n)
	r := 1.0
	for k := 17; k >= 1; k-- {
		r = 1 - float64(f*r)/float64(k)
	}
	return float64(expNegN[n] * r)
}

// Neighbourhood offsets in lattice space, counter-clockwise from east:
// E, NE, N, NW, W, SW, S, SE. The even ones are the sides.
var ring8Off = [8][2]int{{1, 0}, {1, 1}, {0, 1}, {-1, 1}, {-1, 0}, {-1, -1}, {0, -1}, {1, -1}}

// searchWeights are the weights of the cost.
type searchWeights struct {
	compact    float64 // per grid: compact·(1 − Polsby-Popper)
	disruption float64 // per compound moved: disruption·(households + compoundEquivalent)/target
	tol        float64
}

// commSearch is the search state of one community.
type commSearch struct {
	ci     int
	target float64
	w      searchWeights
	// Blocks, locally numbered.
	glob []int32    // local → global block
	hh   []int32    // households
	nbr  [][4]int32 // side neighbours (south, east, north, west) or -1
	n8   [][8]int32 // the 3×3 neighbourhood, ring8Off order, or -1
	side [][4]int64 // side lengths, 0.1 mm
	area []int64    // cell areas, 0.01 m²
	mc   []float64  // cost of moving the block off its base grid
	// Grids, locally numbered.
	grid []int32 // local → global grid
	base []int32 // each block's grid at the start
	a    []int32 // each block's grid now
	// Per grid: households, blocks, area, perimeter, Polsby-Popper.
	gh    []int
	cnt   []int
	garea []int64
	gper  []int64
	pp    []float64
	// ppSum0 is the summed Polsby-Popper score at the start.
	ppSum0, ppSum float64
	cost          float64
	best          []int32
	bestCost      float64
	startCost     float64
	rng           *rand.Rand
	steps         int64
	u             undo
}

// newCommSearch sets up community ci with the plan's layout as the start,
// or returns nil when it cannot change (a fixed community, one grid).
func (p *Plan) newCommSearch(ci int, o ProposeOptions) *commSearch {
	m := p.Model
	cm := &m.Communities[ci]
	if cm.Fixed != "" || len(cm.Blocks) < 2 {
		return nil
	}
	s := &commSearch{ci: ci, w: searchWeights{compact: o.Compact, disruption: o.Disruption, tol: o.Targets.tol()}}
	n := len(cm.Blocks)
	local := make(map[int32]int32, n)
	for i, b := range cm.Blocks {
		local[b] = int32(i)
	}
	gl := map[int32]int32{}
	s.glob = append([]int32(nil), cm.Blocks...)
	s.hh = make([]int32, n)
	s.nbr = make([][4]int32, n)
	s.n8 = make([][8]int32, n)
	s.side = make([][4]int64, n)
	s.area = make([]int64, n)
	s.base = make([]int32, n)
	mx, my := localScale(cm.Lat)
	total := 0
	for i, b := range cm.Blocks {
		bl := &m.Blocks[b]
		s.hh[i] = int32(bl.Households)
		total += bl.Households
		for k, nb := range bl.Nbr {
			s.nbr[i][k] = -1
			if nb >= 0 {
				s.nbr[i][k] = local[nb]
			}
		}
		for k, off := range ring8Off {
			s.n8[i][k] = -1
			if nb := m.at(cm, bl.I+off[0], bl.J+off[1]); nb >= 0 {
				s.n8[i][k] = local[nb]
			}
		}
		// Sides and area in a local projection; corners are lattice
		// points shared bit for bit with the neighbours, so a shared side
		// has one length.
		o := bl.Cell[0]
		var xy [4][2]float64
		for k, c := range bl.Cell {
			xy[k] = [2]float64{float64((c[0] - o[0]) * mx), float64((c[1] - o[1]) * my)}
		}
		var a2 float64
		for k := 0; k < 4; k++ {
			u, v := xy[k], xy[(k+1)%4]
			dx, dy := v[0]-u[0], v[1]-u[1]
			s.side[i][k] = int64(math.Round(math.Sqrt(float64(dx*dx)+float64(dy*dy)) * 1e4))
			a2 += float64(u[0]*v[1]) - float64(v[0]*u[1])
		}
		s.area[i] = int64(math.Round(math.Abs(a2) / 2 * 100))
		g := p.Assign[b]
		lg, ok := gl[g]
		if !ok {
			lg = int32(len(s.grid))
			gl[g] = lg
			s.grid = append(s.grid, g)
		}
		s.base[i] = lg
	}
	if len(s.grid) < 2 {
		return nil
	}
	s.target = float64(total) / float64(len(s.grid))
	if v, ok := o.Targets.Households[cm.Code]; ok && v > 0 {
		s.target = v
	}
	s.mc = make([]float64, n)
	for i := range s.mc {
		s.mc[i] = float64(s.w.disruption*float64(float64(s.hh[i])+compoundEquivalent)) / s.target
	}
	s.a = append([]int32(nil), s.base...)
	k := len(s.grid)
	s.gh, s.cnt, s.garea, s.gper, s.pp = make([]int, k), make([]int, k), make([]int64, k), make([]int64, k), make([]float64, k)
	s.recount()
	s.ppSum0 = s.ppSum
	s.startCost = s.cost
	s.best = append([]int32(nil), s.a...)
	s.bestCost = s.cost
	s.rng = rand.New(rand.NewPCG(o.Seed, uint64(ci)*0x9E3779B97F4A7C15+7))
	return s
}

// over reports whether a grid of the layout is outside the target.
func (s *commSearch) over() bool {
	for _, h := range s.gh {
		if s.balance(h) > 0 {
			return true
		}
	}
	return false
}

// localScale is metres per degree of longitude and latitude at lat, from
// a cosine of our own (see expNeg): only the ratio matters to
// Polsby-Popper.
func localScale(lat float64) (float64, float64) {
	x := lat * (math.Pi / 180)
	x2 := float64(x * x)
	// cos x = 1 − x²/2! + x⁴/4! − …, |x| ≤ π/2
	c, t := 1.0, 1.0
	for k := 1; k <= 12; k++ {
		t = float64(-t*x2) / float64((2*k-1)*(2*k))
		c += t
	}
	const mPerDeg = 111319.49079327357
	return float64(mPerDeg * c), mPerDeg
}

// recount recomputes every sum of the layout in s.a, in a fixed order.
func (s *commSearch) recount() {
	for g := range s.gh {
		s.gh[g], s.cnt[g], s.garea[g], s.gper[g] = 0, 0, 0, 0
	}
	for i, g := range s.a {
		s.gh[g] += int(s.hh[i])
		s.cnt[g]++
		s.garea[g] += s.area[i]
		for k, nb := range s.nbr[i] {
			if nb < 0 || s.a[nb] != g {
				s.gper[g] += s.side[i][k]
			}
		}
	}
	s.ppSum = 0
	for g := range s.pp {
		s.pp[g] = ppOf(s.garea[g], s.gper[g])
		s.ppSum += s.pp[g]
	}
	s.cost = s.costOf()
}

// costOf is the cost of the layout from its sums:
//
//	Σ grids balance + compact·Σ(1 − PP) + disruption·Σ moved (households+10)/target + floorWeight·max(0, PP₀ − ΣPP)
func (s *commSearch) costOf() float64 {
	c := 0.0
	for g := range s.gh {
		c += s.balance(s.gh[g]) + float64(s.w.compact*(1-s.pp[g]))
	}
	for i, g := range s.a {
		if g != s.base[i] {
			c += s.mc[i]
		}
	}
	return c + s.floor(s.ppSum)
}

func (s *commSearch) floor(ppSum float64) float64 {
	if d := s.ppSum0 - ppSum; d > 0 {
		return float64(floorWeight * d)
	}
	return 0
}

// ppOf is 4πA/P² from the sums (area in 0.01 m², perimeter in 0.1 mm).
func ppOf(area, per int64) float64 {
	if per <= 0 {
		return 0
	}
	a := float64(area) * 1e6 // 0.1 mm squared per 0.01 m²
	p := float64(per)
	return float64(4*math.Pi*a) / float64(p*p)
}

// balance is the cost of a grid of h households: 0 within the tolerance,
// else 10 + 100 × the relative excess beyond it.
func (s *commSearch) balance(h int) float64 {
	d := math.Abs(float64(h)-s.target) / s.target
	if d <= s.w.tol+1e-12 {
		return 0
	}
	return float64(10 + float64(100*(d-s.w.tol)))
}

// canMove reports whether block i may leave its grid f for grid t: f
// keeps a block, and both stay one simple ring (see the package's search
// notes).
func (s *commSearch) canMove(i int, f, t int32) bool {
	if s.cnt[f] <= 1 {
		return false
	}
	var inF, inT [8]bool
	for k, nb := range s.n8[i] {
		if nb >= 0 {
			inF[k] = s.a[nb] == f
			inT[k] = s.a[nb] == t
		}
	}
	return simpleRemove(&inF) && simpleAdd(&inT)
}

// yokoi4 is Yokoi's connectivity number of a cell for 4-connectivity:
// the number of 4-connected components of the set around it that touch
// its sides.
func yokoi4(x *[8]bool) int {
	n := 0
	for k := 0; k < 8; k += 2 {
		if x[k] && !(x[(k+1)%8] && x[(k+2)%8]) {
			n++
		}
	}
	return n
}

// simpleRemove reports whether taking the cell out of a set that holds it
// (neighbourhood x) keeps the set's topology and pinches no corner.
func simpleRemove(x *[8]bool) bool {
	if yokoi4(x) != 1 {
		return false
	}
	for k := 1; k < 8; k += 2 {
		if x[k-1] && x[(k+1)%8] && !x[k] {
			return false
		}
	}
	return true
}

// simpleAdd reports whether putting the cell into a set (neighbourhood x)
// keeps the set's topology and pinches no corner.
func simpleAdd(x *[8]bool) bool {
	if yokoi4(x) != 1 {
		return false
	}
	for k := 1; k < 8; k += 2 {
		if x[k] && !x[k-1] && !x[(k+1)%8] {
			return false
		}
	}
	return true
}

// moveDelta is the change of cost if block i moves from grid f to t
// (which must be allowed), with the two grids' new perimeters.
func (s *commSearch) moveDelta(i int, f, t int32) (d float64, perF, perT int64) {
	h := int(s.hh[i])
	d = s.balance(s.gh[f]-h) + s.balance(s.gh[t]+h) - s.balance(s.gh[f]) - s.balance(s.gh[t])
	switch s.base[i] {
	case f:
		d += s.mc[i]
	case t:
		d -= s.mc[i]
	}
	perF, perT = s.perimeters(i, f, t)
	ppF := ppOf(s.garea[f]-s.area[i], perF)
	ppT := ppOf(s.garea[t]+s.area[i], perT)
	dpp := (ppF - s.pp[f]) + (ppT - s.pp[t])
	d += float64(s.w.compact*(-dpp)) + s.floor(s.ppSum+dpp) - s.floor(s.ppSum)
	return d, perF, perT
}

func (s *commSearch) perimeters(i int, f, t int32) (int64, int64) {
	perF, perT := s.gper[f], s.gper[t]
	for k, nb := range s.nbr[i] {
		l := s.side[i][k]
		switch {
		case nb >= 0 && s.a[nb] == f:
			perF += l
			perT += l
		case nb >= 0 && s.a[nb] == t:
			perF -= l
			perT -= l
		default:
			perF -= l
			perT += l
		}
	}
	return perF, perT
}

// apply moves block i from f to t, given moveDelta's answer.
func (s *commSearch) apply(i int, f, t int32, d float64, perF, perT int64) {
	h := int(s.hh[i])
	s.a[i] = t
	s.gh[f] -= h
	s.gh[t] += h
	s.cnt[f]--
	s.cnt[t]++
	s.garea[f] -= s.area[i]
	s.garea[t] += s.area[i]
	s.gper[f], s.gper[t] = perF, perT
	ppF, ppT := ppOf(s.garea[f], perF), ppOf(s.garea[t], perT)
	s.ppSum += (ppF - s.pp[f]) + (ppT - s.pp[t])
	s.pp[f], s.pp[t] = ppF, ppT
	s.cost += d
}

// maxChain is the most single moves one step of the search makes.
const maxChain = 4

// chainProb is the share of annealing steps whose move, when the
// Metropolis rule refuses it, is extended into an ejection chain.
const chainProb = 0.25

// undo holds what a chain of moves changed, to take it back.
type undo struct {
	gh, cnt     []int
	garea, gper []int64
	pp          []float64
	ppSum, cost float64
	blocks      [maxChain]int
	from        [maxChain]int32
	n           int
}

func (s *commSearch) save(u *undo) {
	if u.gh == nil {
		k := len(s.gh)
		u.gh, u.cnt, u.garea, u.gper, u.pp = make([]int, k), make([]int, k), make([]int64, k), make([]int64, k), make([]float64, k)
	}
	copy(u.gh, s.gh)
	copy(u.cnt, s.cnt)
	copy(u.garea, s.garea)
	copy(u.gper, s.gper)
	copy(u.pp, s.pp)
	u.ppSum, u.cost, u.n = s.ppSum, s.cost, 0
}

func (s *commSearch) rollback(u *undo) {
	for k := u.n - 1; k >= 0; k-- {
		s.a[u.blocks[k]] = u.from[k]
	}
	copy(s.gh, u.gh)
	copy(s.cnt, u.cnt)
	copy(s.garea, u.garea)
	copy(s.gper, u.gper)
	copy(s.pp, u.pp)
	s.ppSum, s.cost, u.n = u.ppSum, u.cost, 0
}

// do applies an allowed move and records it in u.
func (s *commSearch) do(u *undo, i int, f, t int32) float64 {
	d, perF, perT := s.moveDelta(i, f, t)
	u.blocks[u.n], u.from[u.n] = i, f
	u.n++
	s.apply(i, f, t, d, perF, perT)
	return d
}

// chain makes the allowed move of block i to grid t, then, while a grid
// it touched is outside the target and the chain is short, the best move
// that brings that grid back towards it (out of a grid over, into a grid
// under; a block moves once). It returns the chain's change of cost; u
// can take it back.
func (s *commSearch) chain(u *undo, i int, t int32) float64 {
	s.save(u)
	d := s.do(u, i, s.a[i], t)
	for u.n < maxChain {
		// The touched grid furthest outside the target.
		g, worst := int32(-1), 0.0
		for k := 0; k < u.n; k++ {
			for _, x := range [2]int32{u.from[k], s.a[u.blocks[k]]} {
				if c := s.balance(s.gh[x]); c > worst {
					g, worst = x, c
				}
			}
		}
		if g < 0 {
			break
		}
		j, jf, jt := s.bestFix(u, g)
		if j < 0 {
			break
		}
		d += s.do(u, j, jf, jt)
	}
	return d
}

// bestFix returns the allowed move (block, from, to) with the lowest
// change of cost that takes a block out of grid g when it is over the
// target or into g when it is under, among blocks the chain in u has not
// moved; j < 0 when there is none.
func (s *commSearch) bestFix(u *undo, g int32) (j int, jf, jt int32) {
	over := float64(s.gh[g]) > s.target
	j, bd := -1, math.Inf(1)
	for i, f := range s.a {
		if over != (f == g) {
			continue
		}
		if !over && !s.touches(i, g) {
			continue
		}
		moved := false
		for k := 0; k < u.n; k++ {
			moved = moved || u.blocks[k] == i
		}
		if moved {
			continue
		}
		for _, nb := range s.nbr[i] {
			if nb < 0 || s.a[nb] == f {
				continue
			}
			t := s.a[nb]
			if !over && t != g {
				continue
			}
			if !s.canMove(i, f, t) {
				continue
			}
			if d, _, _ := s.moveDelta(i, f, t); d < bd-1e-12 {
				j, jf, jt, bd = i, f, t, d
			}
		}
	}
	return j, jf, jt
}

// touches reports whether block i has a side on grid g.
func (s *commSearch) touches(i int, g int32) bool {
	for _, nb := range s.nbr[i] {
		if nb >= 0 && s.a[nb] == g {
			return true
		}
	}
	return false
}

// anneal runs steps of simulated annealing, the temperature falling from
// schedule point p0 to p1 (0 = hot, 1 = cold), and keeps the best layout
// seen; it returns early once stop is set. A step proposes moving a random block across a random side; when
// the Metropolis rule refuses the move, a quarter of the time the move is
// extended into a chain (see chain) and the chain is judged as a whole.
func (s *commSearch) anneal(steps int64, p0, p1 float64, stop *atomic.Bool) {
	if steps <= 0 {
		return
	}
	s.recount() // drop the rounding of the last round's increments
	n := len(s.a)
	k := int64(0)
	defer func() { s.steps += k }()
	for ; k < steps; k++ {
		if k&1023 == 0 && stop.Load() {
			return
		}
		p := p0 + float64(float64(p1-p0)*float64(k))/float64(steps)
		temp := tempLevels[min(255, int(p*256))]
		i := s.rng.IntN(n)
		nb := s.nbr[i][s.rng.IntN(4)]
		u := s.rng.Float64()
		ext := s.rng.Float64() < chainProb
		if nb < 0 || s.a[nb] == s.a[i] {
			continue
		}
		f, t := s.a[i], s.a[nb]
		if !s.canMove(i, f, t) {
			continue
		}
		d, perF, perT := s.moveDelta(i, f, t)
		if d <= 0 || u < expNeg(d/temp) {
			s.apply(i, f, t, d, perF, perT)
		} else {
			if !ext {
				continue
			}
			if d = s.chain(&s.u, i, t); d > 0 && u >= expNeg(d/temp) {
				s.rollback(&s.u)
				continue
			}
		}
		if s.cost < s.bestCost-1e-9 {
			s.bestCost = s.cost
			copy(s.best, s.a)
		}
	}
}

// repair descends from the best layout to a local optimum: the best
// single move while one improves, then the best chain (see chain) from
// any first move, until neither improves. It is deterministic and
// bounded.
func (s *commSearch) repair() {
	copy(s.a, s.best)
	s.recount()
	n := len(s.a)
	for iter := 0; iter < 20*n; iter++ {
		bi, bt, bd := -1, int32(0), -1e-9
		s.eachMove(func(i int, f, t int32) {
			if d, _, _ := s.moveDelta(i, f, t); d < bd {
				bi, bt, bd = i, t, d
			}
		})
		if bi >= 0 {
			s.save(&s.u)
			s.do(&s.u, bi, s.a[bi], bt)
			continue
		}
		s.eachMove(func(i int, f, t int32) {
			d := s.chain(&s.u, i, t)
			s.rollback(&s.u)
			if d < bd {
				bi, bt, bd = i, t, d
			}
		})
		if bi < 0 {
			break
		}
		s.chain(&s.u, bi, bt)
	}
	s.recount()
	// Repair only takes improving steps from the best layout.
	s.bestCost = s.cost
	copy(s.best, s.a)
}

// eachMove calls f for every allowed single move, in block and side order.
func (s *commSearch) eachMove(fn func(i int, f, t int32)) {
	for i := range s.a {
		f := s.a[i]
		for k, nb := range s.nbr[i] {
			if nb < 0 || s.a[nb] == f {
				continue
			}
			t := s.a[nb]
			dup := false
			for _, o := range s.nbr[i][:k] {
				dup = dup || (o >= 0 && s.a[o] == t)
			}
			if dup || !s.canMove(i, f, t) {
				continue
			}
			fn(i, f, t)
		}
	}
}
