package plan

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// EditAssign sets the grid of many compounds at once (Assign: compound →
// grid code); proposals and reverts are recorded as such edits.
const EditAssign = "assign"

// ProposeOptions tune Propose. The zero value rebalances the whole city
// with seed 0, DefaultEffort steps per block, in at most 10 s.
type ProposeOptions struct {
	Communities []string `json:"communities,omitempty"` // scope: these communities …
	Street      string   `json:"street,omitempty"`      // … or the communities of a street; none: the whole city
	Targets     Targets  `json:"targets"`
	Seed        uint64   `json:"seed"`
	// Steps is the annealing budget in steps for the whole scope, shared
	// among its communities in proportion to their blocks. With the same
	// seed and steps the proposal is the same on any machine. 0 means
	// Effort steps per block of the communities that need work.
	Steps int64 `json:"steps,omitempty"`
	// Effort is the budget in steps per block when Steps is 0; 0 means
	// DefaultEffort.
	Effort int `json:"effort,omitempty"`
	// Budget is the time budget (0 means 10 s). The search's window ends
	// at 80% of it, leaving time for the final repair and checks; a
	// search that cannot do its steps in the window cools by the clock
	// and is cut cold (see Propose).
	Budget time.Duration `json:"-"`
	// Compact weighs compactness: the cost of a grid is Compact·(1 − its
	// Polsby-Popper score); 0 means 2.
	Compact float64 `json:"compact,omitempty"`
	// Disruption weighs the compounds moved: moving a compound of h
	// households costs Disruption·(h + 10)/target (target: the
	// community's households per grid; the 10 stands for the compound's
	// re-coding and hand-over). 0 means DefaultDisruption; higher moves
	// fewer households, lower balances and rounds grids more freely.
	Disruption float64 `json:"disruption,omitempty"`
	// Staff says who serves each grid, for the reassignments listed with
	// each move; nil means the plan's own grid teams and cadres.
	Staff Staffing `json:"-"`
}

// Defaults of ProposeOptions.
const (
	DefaultEffort     = 400
	DefaultDisruption = 20
	DefaultCompact    = 2
)

// minRounds and roundSteps set how many slices the annealing schedule is
// cut into: at least minRounds, and no slice longer than roundSteps steps
// per block. Every community runs one slice per round, so a time cut
// finds them all at the same point of the schedule, none left unsearched.
const (
	minRounds  = 32
	roundSteps = 16
)

func (o *ProposeOptions) defaults() {
	if o.Budget <= 0 {
		o.Budget = 10 * time.Second
	}
	if o.Effort <= 0 {
		o.Effort = DefaultEffort
	}
	if !(o.Compact > 0) || math.IsInf(o.Compact, 0) {
		o.Compact = DefaultCompact
	}
	if !(o.Disruption > 0) || math.IsInf(o.Disruption, 0) {
		o.Disruption = DefaultDisruption
	}
}

// Move is one compound a proposal moves, and who its households' grid
// worker and cadres are before and after.
type Move struct {
	Compound   string        `json:"compound"`
	Name       string        `json:"name,omitempty"`
	From       string        `json:"from"`
	To         string        `json:"to"`
	Households int           `json:"households"`
	Reassign   *Reassignment `json:"reassign,omitempty"`
}

// Proposal is the outcome of Propose: the measures of the scope before and
// after, what moved and what that disturbs.
type Proposal struct {
	Before          Summary    `json:"before"`
	After           Summary    `json:"after"`
	Moves           []Move     `json:"moves"`
	MovedHouseholds int        `json:"moved_households"`
	Disruption      Disruption `json:"disruption"`
	Communities     int        `json:"communities"`
	Unsolved        []string   `json:"unsolved,omitempty"` // communities still with a grid over tolerance
	ElapsedMS       float64    `json:"elapsed_ms"`
	// Steps is the annealing steps done, StepBudget those asked for;
	// fewer when the time budget cut the search (TimedOut).
	Steps      int64  `json:"steps"`
	StepBudget int64  `json:"step_budget"`
	TimedOut   bool   `json:"timed_out,omitempty"`
	Seed       uint64 `json:"seed"`
	// Fingerprint identifies the layout proposed (FNV-1a of the moves in
	// order): two runs proposed the same plan when it is the same.
	Fingerprint string `json:"fingerprint"`
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
// hole-free and compact, and disturbing as few households as it can. The
// cost of a community's layout is
//
//	Σ grids [10 + 100·excess/target if over tolerance] + 2·Σ(1 − Polsby-Popper)
//	  + 20·Σ moved compounds (households + 10)/target + 20·max(0, ΣPP before − ΣPP)
//
// (weights: Compact, Disruption; the last term keeps each community's
// compactness from falling). Communities whose grids are all within the
// target are left alone.
//
// The search is simulated annealing over single-block moves between
// neighbouring grids; a move the Metropolis rule refuses is, a quarter of
// the time, extended into an ejection chain (the grid it pushed over
// passes a block on, up to four moves) judged as a whole. It runs in
// rounds: every community does one slice of its steps per round, all at
// the same point of the cooling schedule. That point is the larger of the
// share of steps done and the share of the time window used (counted from
// a tenth of the window, so a search on pace to finish keeps the step
// schedule through a passing stall): a machine too busy for the steps
// asked gets a search that is cut cold, never one left hot. Every
// community then ends with a greedy repair from the best layout its
// annealing saw: the best single move, else the best chain, until none
// improves. Each community has its own random stream and nothing depends
// on timing unless the time budget runs out, so the same seed and steps
// give the same plan on one core or many, idle or busy (Fingerprint tells
// plans apart). The layout is applied to the plan as one assign edit per
// community and re-validated like any edit.
func (p *Plan) Propose(ctx context.Context, o ProposeOptions) (*Proposal, error) {
	start := time.Now()
	comms, err := p.scope(o)
	if err != nil {
		return nil, err
	}
	o.defaults()
	deadline := start.Add(o.Budget * 8 / 10)
	inScope := map[string]bool{}
	for _, ci := range comms {
		inScope[p.Model.Communities[ci].Code] = true
	}
	before := p.Measures(o.Targets, time.Time{})
	out := &Proposal{Before: scopeSummary(before, inScope), Communities: len(comms), Seed: o.Seed, Moves: []Move{}}
	out.Disruption.Bound = disruptionBound(before, inScope)

	var ss []*commSearch
	blocks := int64(0)
	for _, ci := range comms {
		// Communities whose grids are all within the target are left alone.
		if s := p.newCommSearch(ci, o); s != nil && s.over() {
			ss = append(ss, s)
			blocks += int64(len(s.a))
		}
	}
	budget := o.Steps
	if budget <= 0 {
		budget = int64(o.Effort) * blocks
	}
	out.StepBudget = budget
	// Steps in proportion to blocks; what the rounding leaves goes to the
	// first communities, one each.
	share := make([]int64, len(ss))
	left := budget
	for k, s := range ss {
		share[k] = budget * int64(len(s.a)) / max(blocks, 1)
		left -= share[k]
	}
	for k := 0; left > 0 && len(ss) > 0; k, left = (k+1)%len(ss), left-1 {
		share[k]++
	}
	searchStart := time.Now()
	window := deadline.Sub(searchStart)
	// stop is set at the deadline or when ctx ends; the annealing looks at
	// it every 1024 steps.
	var stop atomic.Bool
	timer := time.AfterFunc(window, func() { stop.Store(true) })
	defer timer.Stop()
	defer context.AfterFunc(ctx, func() { stop.Store(true) })()
	rounds := max(minRounds, (budget/max(blocks, 1)+roundSteps-1)/roundSteps)
	for r := int64(0); r < rounds && len(ss) > 0; r++ {
		p0 := float64(r) / float64(rounds)
		used := float64(time.Since(searchStart)) / float64(window)
		if window <= 0 || used >= 1 || stop.Load() {
			break
		}
		// Time counts from a tenth of the window: a search on pace to
		// finish in the window keeps the step schedule (and its result)
		// through a passing stall; one that is not cools by the clock.
		if pt := (used - 0.1) / 0.9; pt > p0 {
			p0 = pt
		}
		p1 := min(1, p0+1/float64(rounds))
		parallel(len(ss), func(k int) {
			s := ss[k]
			// The slice of round r: steps r·n/R up to (r+1)·n/R.
			n := share[k]*(r+1)/rounds - share[k]*r/rounds
			s.anneal(n, p0, p1, &stop)
		})
	}
	parallel(len(ss), func(k int) { ss[k].repair() })

	staff := o.Staff
	if staff == nil {
		staff = p.staffing(time.Now())
	}
	touched := map[int32]bool{}
	for _, s := range ss {
		out.Steps += s.steps
		if s.bestCost >= s.startCost-1e-9 {
			continue // nothing better than leaving the community as it is
		}
		e := Edit{Kind: EditAssign, Assign: map[string]string{}}
		for i, g := range s.best {
			if g == s.base[i] {
				continue
			}
			b := s.glob[i]
			bl := &p.Model.Blocks[b]
			from, to := p.Grids[p.Assign[b]].Code, p.Grids[s.grid[g]].Code
			mv := Move{Compound: bl.Compound, From: from, To: to, Households: bl.Households,
				Reassign: &Reassignment{Before: staff.Staff(from), After: staff.Staff(to)}}
			if cp := p.Model.City.Compound(bl.Compound); cp != nil {
				mv.Name = cp.Name
			}
			out.Moves = append(out.Moves, mv)
			out.MovedHouseholds += mv.Households
			touched[p.Assign[b]], touched[s.grid[g]] = true, true
			e.Assign[bl.Compound] = to
		}
		if _, err := p.ApplyEdit(e); err != nil {
			return nil, fmt.Errorf("plan: proposal for community %s failed its own check: %w", p.Model.Communities[s.ci].Code, err)
		}
	}
	// Cut by the deadline or by ctx: fewer steps done than asked.
	out.TimedOut = len(ss) > 0 && out.Steps < budget
	after := p.Measures(o.Targets, time.Time{})
	out.After = scopeSummary(after, inScope)
	for _, cm := range after.Communities {
		if inScope[cm.Code] && cm.Over > 0 {
			out.Unsolved = append(out.Unsolved, cm.Code)
		}
	}
	fp := fnv.New64a()
	for _, mv := range out.Moves {
		fmt.Fprintf(fp, "%s>%s\n", mv.Compound, mv.To)
	}
	out.Fingerprint = fmt.Sprintf("%016x", fp.Sum64())
	d := &out.Disruption
	d.Households, d.Compounds, d.GridsTouched = out.MovedHouseholds, len(out.Moves), len(touched)
	if d.Bound.Households > 0 {
		d.Ratio = float64(d.Households) / float64(d.Bound.Households)
	}
	out.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	return out, nil
}

// parallel calls f(k) for k in [0, n) on every core, each core taking
// the next k left.
func parallel(n int, f func(k int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(n, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1) - 1); k < n; k = int(next.Add(1) - 1) {
				f(k)
			}
		}()
	}
	wg.Wait()
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
// both grids staying non-empty, contiguous and one simple ring, by a flood
// fill and the rings of both grids (the search's local test is checked
// against it). assign is restored before it returns.
func (p *Plan) moveOK(assign []int32, b int32, to int32, count []int) bool {
	from := assign[b]
	if from == to || count[from] <= 1 {
		return false
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
		return false
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
		return false
	}
	cm := &m.Communities[m.Blocks[b].Community]
	for _, g := range [2]int32{from, to} {
		var buf [64]int32
		bl := buf[:0]
		for _, x := range cm.Blocks {
			if assign[x] == g {
				bl = append(bl, x)
			}
		}
		if _, err := m.ring(bl, func(x int32) bool { return assign[x] == g }); err != nil {
			return false
		}
	}
	return true
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
