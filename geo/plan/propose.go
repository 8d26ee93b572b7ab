package plan

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// EditAssign sets the grid of many compounds at once (Assign: compound →
// grid code); proposals and reverts are recorded as such edits.
const EditAssign = "assign"

// ProposeOptions tune Propose. The zero value rebalances the whole city
// with seed 0 in at most 10 s.
type ProposeOptions struct {
	Communities []string      `json:"communities,omitempty"` // scope: these communities …
	Street      string        `json:"street,omitempty"`      // … or the communities of a street; none: the whole city
	Targets     Targets       `json:"targets"`
	Seed        uint64        `json:"seed"`
	Budget      time.Duration `json:"-"` // time budget; 0 means 10 s
	// Effort scales the search: steps per block of a community (0 means 1000).
	Effort int `json:"effort,omitempty"`
	// Kicks is the number of perturb-and-recombine rounds per community
	// after the annealing (0 means 8).
	Kicks int `json:"kicks,omitempty"`
	// Compact weighs compactness: the cost of a grid is Compact·(1 − its
	// Polsby-Popper score); 0 means 2.
	Compact float64 `json:"compact,omitempty"`
	// Move weighs the households moved: each moved household costs
	// Move/target (target: the community's households per grid); 0 means
	// 0.2. Higher moves fewer households for less compactness.
	Move float64 `json:"move,omitempty"`
}

func (o ProposeOptions) moveWeight() float64 {
	if o.Move > 0 {
		return o.Move
	}
	return 0.2
}

// Move is one compound a proposal moves.
type Move struct {
	Compound   string `json:"compound"`
	From       string `json:"from"`
	To         string `json:"to"`
	Households int    `json:"households"`
}

// Proposal is the outcome of Propose: the measures of the scope before and
// after, and what moved.
type Proposal struct {
	Before          Summary  `json:"before"`
	After           Summary  `json:"after"`
	Moves           []Move   `json:"moves"`
	MovedHouseholds int      `json:"moved_households"`
	Communities     int      `json:"communities"`
	Unsolved        []string `json:"unsolved,omitempty"` // communities still with a grid over tolerance
	ElapsedMS       float64  `json:"elapsed_ms"`
	Steps           int64    `json:"steps"`
	TimedOut        bool     `json:"timed_out,omitempty"`
}

// scope resolves the communities of a proposal.
func (p *Plan) scope(o ProposeOptions) ([]int, error) {
	m := p.Model
	var out []int
	switch {
	case len(o.Communities) > 0:
		for _, c := range o.Communities {
			ci, ok := m.CommunityIndex(c)
			if !ok {
				return nil, refuse(ReasonNotFound, "no community %s", c)
			}
			out = append(out, ci)
		}
	case o.Street != "":
		for ci, cm := range m.City.Communities {
			if cm.StreetCode == o.Street {
				out = append(out, ci)
			}
		}
		if len(out) == 0 {
			return nil, refuse(ReasonNotFound, "no community in street %s", o.Street)
		}
	default:
		for ci := range m.Communities {
			out = append(out, ci)
		}
	}
	return out, nil
}

// Propose searches, community by community, for a layout that brings
// every grid within the household target while keeping grids contiguous,
// hole-free and compact and moving few households. The cost of a layout is
//
//	Σ over grids [10 + 100·excess/target if over tolerance] + 2·Σ(1 − Polsby-Popper) + 0.2·(households moved / target)
//
// It runs in three stages, each seeded per community so the outcome does
// not depend on scheduling (unless the time budget cuts it short):
// simulated annealing over single-block moves between neighbouring grids;
// exact recombination of pairs of neighbouring grids (every split of their
// blocks into two contiguous, hole-free grids is tried, until no pair
// improves); and iterated local search (random kicks, recombination again,
// keep the better). The best layout is applied to the plan as one assign
// edit per community and re-validated like any edit.
func (p *Plan) Propose(ctx context.Context, o ProposeOptions) (*Proposal, error) {
	start := time.Now()
	comms, err := p.scope(o)
	if err != nil {
		return nil, err
	}
	if o.Budget <= 0 {
		o.Budget = 10 * time.Second
	}
	if o.Effort <= 0 {
		o.Effort = 1000
	}
	if o.Kicks <= 0 {
		o.Kicks = 8
	}
	if !(o.Compact > 0) || math.IsInf(o.Compact, 0) {
		o.Compact = 2
	}
	// The search stops early enough to leave time for the final checks.
	deadline := start.Add(o.Budget * 8 / 10)
	inScope := map[string]bool{}
	for _, ci := range comms {
		inScope[p.Model.Communities[ci].Code] = true
	}
	before := p.Measures(o.Targets, time.Time{})
	out := &Proposal{Before: scopeSummary(before, inScope), Communities: len(comms)}

	type job struct {
		ci     int
		assign map[int32]int32
		steps  int64
		late   bool
	}
	jobs := make([]job, len(comms))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				j := &jobs[k]
				j.assign, j.steps, j.late = p.anneal(ctx, j.ci, o, deadline)
			}
		}()
	}
	for k, ci := range comms {
		jobs[k].ci = ci
		next <- k
	}
	close(next)
	wg.Wait()

	for _, j := range jobs {
		out.Steps += j.steps
		out.TimedOut = out.TimedOut || j.late
		if len(j.assign) == 0 {
			continue
		}
		e := Edit{Kind: EditAssign, Assign: map[string]string{}}
		bs := make([]int32, 0, len(j.assign))
		for b := range j.assign {
			bs = append(bs, b)
		}
		sort.Slice(bs, func(a, b int) bool { return bs[a] < bs[b] })
		for _, b := range bs {
			bl := &p.Model.Blocks[b]
			mv := Move{Compound: bl.Compound, From: p.Grids[p.Assign[b]].Code, To: p.Grids[j.assign[b]].Code, Households: bl.Households}
			out.Moves = append(out.Moves, mv)
			out.MovedHouseholds += mv.Households
			e.Assign[bl.Compound] = mv.To
		}
		if _, err := p.ApplyEdit(e); err != nil {
			return nil, fmt.Errorf("plan: proposal for community %s failed its own check: %w", p.Model.Communities[j.ci].Code, err)
		}
	}
	after := p.Measures(o.Targets, time.Time{})
	out.After = scopeSummary(after, inScope)
	for _, cm := range after.Communities {
		if inScope[cm.Code] && cm.Over > 0 {
			out.Unsolved = append(out.Unsolved, cm.Code)
		}
	}
	out.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return out, nil
}

// scopeSummary sums up the measures of the communities in scope.
func scopeSummary(r *Report, in map[string]bool) Summary {
	s := Summary{At: r.Summary.At, Tolerance: r.Summary.Tolerance}
	var abs, pp, reock float64
	for _, g := range r.Grids {
		if !in[g.Community] {
			continue
		}
		s.Grids++
		s.Households += g.Households
		ad := math.Abs(g.Deviation)
		abs += ad
		s.MaxAbsDeviation = math.Max(s.MaxAbsDeviation, ad)
		if !g.Within {
			s.Over++
		}
		if !g.Contiguous {
			s.NonContiguous++
		}
		pp += g.PolsbyPopper
		reock += g.Reock
	}
	for _, c := range r.Communities {
		if in[c.Code] {
			s.Communities++
			if c.Fixed != "" {
				s.FixedCommunities++
			}
		}
	}
	if s.Grids > 0 {
		n := float64(s.Grids)
		s.MeanAbsDeviation, s.MeanPolsbyPopper, s.MeanReock = abs/n, pp/n, reock/n
		s.WithinShare = float64(s.Grids-s.Over) / n
	}
	return s
}

// moveOK reports whether block b can move from its grid to grid to with
// both grids staying non-empty, contiguous and one simple ring. assign is
// restored before it returns.
func (p *Plan) moveOK(assign []int32, b int32, to int32, count []int) bool {
	_, _, ok := p.tryMove(assign, b, to, count)
	return ok
}

// tryMove is moveOK that also returns the Polsby-Popper scores of the two
// grids after the move.
func (p *Plan) tryMove(assign []int32, b int32, to int32, count []int) (float64, float64, bool) {
	from := assign[b]
	if from == to || count[from] <= 1 {
		return 0, 0, false
	}
	m := p.Model
	assign[b] = to
	defer func() { assign[b] = from }()
	// from stays connected: flood from one neighbour of b in from.
	var seed int32 = -1
	for _, n := range m.Blocks[b].Nbr {
		if n >= 0 && assign[n] == from {
			seed = n
			break
		}
	}
	if seed < 0 {
		return 0, 0, false
	}
	var stack [64]int32
	st := append(stack[:0], seed)
	var seenBuf [64]int32
	seen := append(seenBuf[:0], seed)
	has := func(x int32) bool {
		for _, y := range seen {
			if y == x {
				return true
			}
		}
		return false
	}
	for len(st) > 0 {
		x := st[len(st)-1]
		st = st[:len(st)-1]
		for _, n := range m.Blocks[x].Nbr {
			if n >= 0 && assign[n] == from && !has(n) {
				seen = append(seen, n)
				st = append(st, n)
			}
		}
	}
	if len(seen) != count[from]-1 {
		return 0, 0, false
	}
	cm := &m.Communities[m.Blocks[b].Community]
	var pp [2]float64
	for k, g := range [2]int32{from, to} {
		var buf [64]int32
		bl := buf[:0]
		for _, x := range cm.Blocks {
			if assign[x] == g {
				bl = append(bl, x)
			}
		}
		ring, err := m.ring(bl, func(x int32) bool { return assign[x] == g })
		if err != nil {
			return 0, 0, false
		}
		pp[k] = polsbyPopper(ring, cm.Lat)
	}
	return pp[0], pp[1], true
}

// polsbyPopper is 4πA/P² of a ring in a local projection at latitude lat.
func polsbyPopper(r []orb.Point, lat float64) float64 {
	mx, my := geo.MetresPerDegree(lat)
	o := r[0]
	var a, per float64
	for i := 0; i+1 < len(r); i++ {
		x0, y0 := (r[i][0]-o[0])*mx, (r[i][1]-o[1])*my
		x1, y1 := (r[i+1][0]-o[0])*mx, (r[i+1][1]-o[1])*my
		a += x0*y1 - x1*y0
		per += math.Hypot(x1-x0, y1-y0)
	}
	if per == 0 {
		return 0
	}
	return 4 * math.Pi * math.Abs(a) / 2 / (per * per)
}

// anneal searches one community and returns the blocks whose grid should
// change (block → new grid index), or nil when nothing is better.
func (p *Plan) anneal(ctx context.Context, ci int, o ProposeOptions, deadline time.Time) (map[int32]int32, int64, bool) {
	m := p.Model
	cm := &m.Communities[ci]
	if cm.Fixed != "" || len(cm.Blocks) < 2 {
		return nil, 0, false
	}
	assign := append([]int32(nil), p.Assign...) // the whole slice: moveOK indexes by block
	hh := map[int32]int{}
	count := make([]int, len(p.Grids))
	for _, b := range cm.Blocks {
		g := assign[b]
		hh[g] += m.Blocks[b].Households
		count[g]++
	}
	if len(hh) < 2 {
		return nil, 0, false
	}
	total := 0
	for _, v := range hh {
		total += v
	}
	target := float64(total) / float64(len(hh))
	if v, ok := o.Targets.Households[cm.Code]; ok && v > 0 {
		target = v
	}
	tol := o.Targets.tol()
	excess := func(h int) float64 {
		return math.Max(0, math.Abs(float64(h)-target)-tol*target) / target
	}
	gridCost := func(h int) float64 {
		e := excess(h)
		if e > 0 {
			return 10 + 100*e
		}
		return 0
	}
	base := p.Assign
	cost := 0.0
	for _, v := range hh {
		cost += gridCost(v)
	}
	if cost == 0 {
		return nil, 0, false
	}
	pp := map[int32]float64{}
	{
		blocks := map[int32][]int32{}
		for _, b := range cm.Blocks {
			blocks[assign[b]] = append(blocks[assign[b]], b)
		}
		for g, bl := range blocks {
			ring, err := m.ring(bl, func(x int32) bool { return assign[x] == g })
			if err != nil {
				return nil, 0, false
			}
			pp[g] = polsbyPopper(ring, cm.Lat)
			cost += o.Compact * (1 - pp[g])
		}
	}
	best := cost
	bestAssign := map[int32]int32{}
	cur := map[int32]int32{} // blocks away from base
	rng := rand.New(rand.NewPCG(o.Seed, uint64(ci)*0x9E3779B97F4A7C15+7))
	steps := int64(o.Effort) * int64(len(cm.Blocks))
	temp0 := 2.0
	var done int64
	late := false
	for ; done < steps; done++ {
		if done&1023 == 0 {
			if time.Now().After(deadline) || ctx.Err() != nil {
				late = true
				break
			}
		}
		b := cm.Blocks[rng.IntN(len(cm.Blocks))]
		bl := &m.Blocks[b]
		// a neighbour in another grid
		k := rng.IntN(4)
		var to int32 = -1
		for d := 0; d < 4; d++ {
			n := bl.Nbr[(k+d)%4]
			if n >= 0 && assign[n] != assign[b] {
				to = assign[n]
				break
			}
		}
		if to < 0 {
			continue
		}
		from := assign[b]
		h := bl.Households
		delta := gridCost(hh[from]-h) + gridCost(hh[to]+h) - gridCost(hh[from]) - gridCost(hh[to])
		switch {
		case base[b] == from:
			delta += o.moveWeight() * float64(h) / target
		case base[b] == to:
			delta -= o.moveWeight() * float64(h) / target
		}
		temp := temp0 * (1 - float64(done)/float64(steps))
		// Reject early what even the best compactness gain cannot save.
		u := rng.Float64()
		if lo := delta - 2*o.Compact; lo > 0 && (temp <= 1e-9 || u >= math.Exp(-lo/temp)) {
			continue
		}
		ppFrom, ppTo, ok := p.tryMove(assign, b, to, count)
		if !ok {
			continue
		}
		delta += o.Compact * (pp[from] + pp[to] - ppFrom - ppTo)
		if delta > 0 && (temp <= 1e-9 || u >= math.Exp(-delta/temp)) {
			continue
		}
		pp[from], pp[to] = ppFrom, ppTo
		assign[b] = to
		count[from]--
		count[to]++
		hh[from] -= h
		hh[to] += h
		cost += delta
		if to == base[b] {
			delete(cur, b)
		} else {
			cur[b] = to
		}
		if cost < best-1e-9 {
			best = cost
			clear(bestAssign)
			for k, v := range cur {
				bestAssign[k] = v
			}
		}
	}
	// Recombine pairs of neighbouring grids exactly, from the best layout.
	for _, b := range cm.Blocks {
		assign[b] = base[b]
	}
	for b, g := range bestAssign {
		assign[b] = g
	}
	if !late {
		late = p.recombine(ctx, cm, assign, base, target, gridCost, o.Compact, o.moveWeight(), deadline)
	}
	// Iterated local search: kick the layout with a few random moves,
	// recombine again, keep what is better.
	costOf := func(a []int32) float64 {
		hh := map[int32]int{}
		bl := map[int32][]int32{}
		c := 0.0
		for _, b := range cm.Blocks {
			hh[a[b]] += m.Blocks[b].Households
			bl[a[b]] = append(bl[a[b]], b)
			if a[b] != base[b] {
				c += o.moveWeight() * float64(m.Blocks[b].Households) / target
			}
		}
		for g, h := range hh {
			c += gridCost(h)
			ring, err := m.ring(bl[g], func(x int32) bool { return a[x] == g })
			if err != nil {
				return math.Inf(1)
			}
			c += o.Compact * (1 - polsbyPopper(ring, cm.Lat))
		}
		return c
	}
	bestCost := costOf(assign)
	trial := append([]int32(nil), assign...)
	for round := 0; round < o.Kicks && !late && bestCost > 1e-9; round++ {
		copy(trial, assign)
		cnt := make([]int, len(p.Grids))
		for _, b := range cm.Blocks {
			cnt[trial[b]]++
		}
		for k := 0; k < 3; k++ {
			b := cm.Blocks[rng.IntN(len(cm.Blocks))]
			n := m.Blocks[b].Nbr[rng.IntN(4)]
			if n < 0 || trial[n] == trial[b] {
				continue
			}
			if p.moveOK(trial, b, trial[n], cnt) {
				cnt[trial[b]]--
				cnt[trial[n]]++
				trial[b] = trial[n]
			}
		}
		late = p.recombine(ctx, cm, trial, base, target, gridCost, o.Compact, o.moveWeight(), deadline)
		if c := costOf(trial); c < bestCost-1e-9 {
			bestCost = c
			copy(assign, trial)
		}
	}
	out := map[int32]int32{}
	for _, b := range cm.Blocks {
		if assign[b] != base[b] {
			out[b] = assign[b]
		}
	}
	if len(out) == 0 {
		return nil, done, late
	}
	return out, done, late
}

// maxRecombine caps the blocks of two grids recombined exhaustively.
const maxRecombine = 14

// recombine improves a community's layout by exact recombination of pairs
// of neighbouring grids: the blocks of both are split again in the best
// way into two contiguous, hole-free grids (every bipartition is tried),
// pass after pass until no pair improves. It reports whether the deadline
// cut it short.
func (p *Plan) recombine(ctx context.Context, cm *Community, assign, base []int32, target float64, gridCost func(int) float64, compact, moveW float64, deadline time.Time) bool {
	m := p.Model
	moveCost := func(b int32, g int32) float64 {
		if base[b] != g {
			return moveW * float64(m.Blocks[b].Households) / target
		}
		return 0
	}
	blocksOf := func(g int32) []int32 {
		var out []int32
		for _, b := range cm.Blocks {
			if assign[b] == g {
				out = append(out, b)
			}
		}
		return out
	}
	ppOf := func(bl []int32, g int32) (float64, bool) {
		ring, err := m.ring(bl, func(x int32) bool { return assign[x] == g })
		if err != nil {
			return 0, false
		}
		return polsbyPopper(ring, cm.Lat), true
	}
	pairCost := func(g, h int32) float64 {
		c := 0.0
		for _, x := range [2]int32{g, h} {
			bl := blocksOf(x)
			hh := 0
			for _, b := range bl {
				hh += m.Blocks[b].Households
				c += moveCost(b, x)
			}
			pp, _ := ppOf(bl, x)
			c += gridCost(hh) + compact*(1-pp)
		}
		return c
	}
	for pass := 0; pass < 50; pass++ {
		improved := false
		// neighbouring pairs, in a fixed order
		pairs := map[[2]int32]bool{}
		for _, b := range cm.Blocks {
			for _, n := range m.Blocks[b].Nbr {
				if n >= 0 && assign[n] != assign[b] {
					g, h := assign[b], assign[n]
					if g > h {
						g, h = h, g
					}
					pairs[[2]int32{g, h}] = true
				}
			}
		}
		list := make([][2]int32, 0, len(pairs))
		for k := range pairs {
			list = append(list, k)
		}
		sort.Slice(list, func(a, b int) bool {
			if list[a][0] != list[b][0] {
				return list[a][0] < list[b][0]
			}
			return list[a][1] < list[b][1]
		})
		for _, pr := range list {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return true
			}
			g, h := pr[0], pr[1]
			u := append(blocksOf(g), blocksOf(h)...)
			if len(u) > maxRecombine || len(u) < 2 {
				continue
			}
			cur := pairCost(g, h)
			if cur < 1e-9 {
				continue
			}
			idx := map[int32]int{}
			for i, b := range u {
				idx[b] = i
			}
			hhs := make([]int, len(u))
			total := 0
			for i, b := range u {
				hhs[i] = m.Blocks[b].Households
				total += hhs[i]
			}
			full := uint32(1)<<len(u) - 1
			connected := func(mask uint32) bool {
				if mask == 0 {
					return false
				}
				start := uint32(mask & -mask)
				seen := start
				stack := []int{bitIndex(start)}
				for len(stack) > 0 {
					i := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					for _, n := range m.Blocks[u[i]].Nbr {
						if j, ok := idx[n]; ok && n >= 0 && mask&(1<<j) != 0 && seen&(1<<j) == 0 {
							seen |= 1 << j
							stack = append(stack, j)
						}
					}
				}
				return seen == mask
			}
			best, bestMask := cur-1e-9, uint32(0)
			saved := make([]int32, len(u))
			for i, b := range u {
				saved[i] = assign[b]
			}
			for mask := uint32(1); mask < full; mask++ {
				sg := 0
				var mv float64
				for i := range u {
					if mask&(1<<i) != 0 {
						sg += hhs[i]
						mv += moveCost(u[i], g)
					} else {
						mv += moveCost(u[i], h)
					}
				}
				lo := gridCost(sg) + gridCost(total-sg) + mv
				if lo >= best {
					continue
				}
				if !connected(mask) || !connected(full&^mask) {
					continue
				}
				var bg, bh []int32
				for i, b := range u {
					if mask&(1<<i) != 0 {
						assign[b] = g
						bg = append(bg, b)
					} else {
						assign[b] = h
						bh = append(bh, b)
					}
				}
				ppg, ok1 := ppOf(bg, g)
				pph, ok2 := ppOf(bh, h)
				for i, b := range u {
					assign[b] = saved[i]
				}
				if !ok1 || !ok2 {
					continue
				}
				if c := lo + compact*(2-ppg-pph); c < best {
					best, bestMask = c, mask
				}
			}
			if bestMask != 0 {
				for i, b := range u {
					if bestMask&(1<<i) != 0 {
						assign[b] = g
					} else {
						assign[b] = h
					}
				}
				improved = true
			}
		}
		if !improved {
			break
		}
	}
	return false
}

func bitIndex(x uint32) int {
	i := 0
	for x > 1 {
		x >>= 1
		i++
	}
	return i
}

// Unbalance moves whole compounds to neighbouring grids of their community,
// at random (seeded), each compound at most once and every grid kept
// non-empty, contiguous and hole-free, until share of the city's households
// has moved: the unbalanced start of the planner's evaluation. It returns
// the households moved.
func (p *Plan) Unbalance(share float64, seed uint64) (int, error) {
	m := p.Model
	total := 0
	for _, b := range m.Blocks {
		total += b.Households
	}
	goal := int(share * float64(total))
	assign := append([]int32(nil), p.Assign...)
	count := make([]int, len(p.Grids))
	for _, g := range assign {
		count[g]++
	}
	rng := rand.New(rand.NewPCG(seed, 0x5DEECE66D))
	order := rng.Perm(len(m.Blocks))
	moved := 0
	changed := map[int]map[string]string{}
	for pass := 0; pass < 4 && moved < goal; pass++ {
		for _, bi := range order {
			if moved >= goal {
				break
			}
			b := int32(bi)
			bl := &m.Blocks[b]
			if m.Communities[bl.Community].Fixed != "" || assign[b] != p.Assign[b] {
				continue
			}
			k := rng.IntN(4)
			for d := 0; d < 4; d++ {
				n := bl.Nbr[(k+d)%4]
				if n < 0 || assign[n] == assign[b] {
					continue
				}
				to := assign[n]
				if !p.moveOK(assign, b, to, count) {
					continue
				}
				count[assign[b]]--
				count[to]++
				assign[b] = to
				moved += bl.Households
				if changed[bl.Community] == nil {
					changed[bl.Community] = map[string]string{}
				}
				changed[bl.Community][bl.Compound] = p.Grids[to].Code
				break
			}
		}
	}
	cis := make([]int, 0, len(changed))
	for ci := range changed {
		cis = append(cis, ci)
	}
	sort.Ints(cis)
	for _, ci := range cis {
		if _, err := p.ApplyEdit(Edit{Kind: EditAssign, Assign: changed[ci]}); err != nil {
			return 0, err
		}
	}
	return moved, nil
}

// Bound is an upper bound on the grids that any layout moving whole
// compounds can bring within the target, whatever the search: a compound
// heavier than the upper limit makes the grid holding it over, and the
// grids within the target are made of the other compounds, each at least
// the lower limit.
type Bound struct {
	MaxWithin      int      `json:"max_within"`
	MaxWithinShare float64  `json:"max_within_share"`
	Communities    []string `json:"communities"` // communities where the bound forces a grid over
	Grids          int      `json:"grids"`
}

// CompoundBound computes the Bound of the plan's city for targets t.
func (p *Plan) CompoundBound(t Targets) Bound {
	m := p.Model
	tol := t.tol()
	grids := map[int]map[int32]bool{}
	for b, g := range p.Assign {
		ci := m.Blocks[b].Community
		if grids[ci] == nil {
			grids[ci] = map[int32]bool{}
		}
		grids[ci][g] = true
	}
	var out Bound
	for ci := range m.Communities {
		k := len(grids[ci])
		if k == 0 {
			continue
		}
		out.Grids += k
		total := 0
		for _, b := range m.Communities[ci].Blocks {
			total += m.Blocks[b].Households
		}
		target := float64(total) / float64(k)
		if v, ok := t.Households[m.Communities[ci].Code]; ok && v > 0 {
			target = v
		}
		light, heavy := 0, false
		for _, b := range m.Communities[ci].Blocks {
			if h := m.Blocks[b].Households; float64(h) > (1+tol)*target+1e-9 {
				heavy = true
			} else {
				light += h
			}
		}
		best := k
		if heavy {
			best = k - 1
		}
		if lim := int(float64(light) / ((1 - tol) * target)); lim < best {
			best = lim
		}
		if best < k {
			out.Communities = append(out.Communities, m.Communities[ci].Code)
		}
		out.MaxWithin += best
	}
	if out.Grids > 0 {
		out.MaxWithinShare = float64(out.MaxWithin) / float64(out.Grids)
	}
	return out
}
