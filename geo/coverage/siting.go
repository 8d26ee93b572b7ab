package coverage

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
)

// Candidate sets for siting.
const (
	CandidatesPlanned   = "planned"   // the planned sites in the store
	CandidatesBuildings = "buildings" // every building's entrance
	CandidatesAll       = "all"       // both
)

// SitingOptions tune Site.
type SitingOptions struct {
	K          int     // sites to choose (300)
	Radius     float64 // reach of a new site in metres (Options.GridRadius)
	Candidates string  // CandidatesPlanned, CandidatesBuildings (default) or CandidatesAll
	// SwapBudget bounds the improvement step (default 3 s); 0 uses the
	// default, negative skips it.
	SwapBudget time.Duration
}

// Site is one chosen location.
type Site struct {
	Point    orb.Point `json:"point"`
	Source   string    `json:"source"` // building or station code the site stands at
	GridCode string    `json:"grid_code"`
	Gain     int       `json:"gain_households"` // households it newly covers, in the order chosen
}

// Siting is the answer of Site.
type Siting struct {
	Sites      []Site  `json:"sites"`
	Candidates int     `json:"candidates"`
	Before     Figures `json:"before"`
	After      Figures `json:"after"`
	// UpperBound is the most households any K sites from the candidates
	// could cover (with the existing stations): f(S) plus the K largest
	// marginal gains given S. The gap to After.HouseholdsCovered is how far
	// from optimal the answer can be.
	UpperBound int           `json:"upper_bound_households"`
	Swaps      int           `json:"swaps"`
	Elapsed    time.Duration `json:"elapsed_ns"`
}

type candidate struct {
	point  orb.Point
	source string
	grid   string
	reach  []int32
}

// candidates lists the candidate sites of a kind with the buildings each
// reaches, leaving out those the base already covers: a site's gain is
// only ever over the others, and at the scale of a province the full
// lists would not fit. Candidates that reach nothing new are dropped
// (they can never gain); total counts them all.
func (m *Model) candidates(kind string, radius float64, base []bool) (out []candidate, total int, err error) {
	c := m.City
	switch kind {
	case CandidatesPlanned, CandidatesBuildings, CandidatesAll, "":
	default:
		return nil, 0, fmt.Errorf("coverage: unknown candidate set %q (planned, buildings or all)", kind)
	}
	if kind == CandidatesPlanned || kind == CandidatesAll {
		for _, s := range c.Stations {
			if s.Status == data.StationPlanned {
				out = append(out, candidate{point: s.Point, source: s.Code, grid: s.GridCode})
			}
		}
	}
	if kind == CandidatesBuildings || kind == CandidatesAll || kind == "" {
		for _, b := range c.Buildings {
			out = append(out, candidate{point: b.Entrance, source: b.Code, grid: b.GridCode})
		}
	}
	pts := make([]orb.Point, len(out))
	radii := make([]float64, len(out))
	for i := range out {
		pts[i], radii[i] = out[i].point, radius
	}
	total = len(out)
	kept := out[:0]
	for i, r := range m.catchments(pts, radii, base) {
		if len(r) > 0 {
			out[i].reach = r
			kept = append(kept, out[i])
		}
	}
	return kept, total, nil
}

// Site chooses K new sites that maximise the households newly covered,
// keeping the built stations fixed.
func (m *Model) Site(ctx context.Context, opt SitingOptions) (*Siting, error) {
	start := time.Now()
	if opt.K <= 0 {
		opt.K = 300
	}
	if opt.Radius <= 0 {
		opt.Radius = m.Opt.GridRadius
	}
	if opt.SwapBudget == 0 {
		opt.SwapBudget = 3 * time.Second
	}
	base := m.Report(Built(m), false)
	cands, total, err := m.candidates(opt.Candidates, opt.Radius, base.covered)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return nil, errors.New("coverage: no candidate sites")
	}
	reach := make([][]int32, len(cands))
	for i := range cands {
		reach[i] = cands[i].reach
	}
	chosen, swaps, err := maxCover(ctx, reach, m.hh, base.covered, opt.K, opt.SwapBudget)
	if err != nil {
		return nil, err
	}
	inS := make([]bool, len(cands))
	for _, ci := range chosen {
		inS[ci] = true
	}
	count := make([]int32, len(m.City.Buildings))
	for b, cv := range base.covered {
		if cv {
			count[b] = 1 << 20
		}
	}
	gain := func(ci int) float64 {
		g := 0.0
		for _, b := range cands[ci].reach {
			if count[b] == 0 {
				g += m.hh[b]
			}
		}
		return g
	}
	// Gains in the order chosen, recomputed for the final set.
	res := &Siting{Candidates: total, Before: base.City, Swaps: swaps}
	for _, ci := range chosen {
		g := gain(ci)
		for _, b := range cands[ci].reach {
			count[b]++
		}
		cd := cands[ci]
		res.Sites = append(res.Sites, Site{Point: cd.point, Source: cd.source, GridCode: cd.grid, Gain: int(g)})
	}
	covered := make([]bool, len(count))
	for b, n := range count {
		covered[b] = n > 0
	}
	res.After = m.figures(covered, false).City
	// Upper bound: f(S) + sum of the K largest marginal gains given S.
	marg := make([]float64, 0, len(cands))
	for ci := range cands {
		if !inS[ci] {
			marg = append(marg, gain(ci))
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(marg)))
	ub := float64(res.After.HouseholdsCovered)
	for i := 0; i < opt.K && i < len(marg); i++ {
		ub += marg[i]
	}
	res.UpperBound = int(ub)
	if res.UpperBound > res.After.Households {
		res.UpperBound = res.After.Households
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// Cover answers the inverse question: the fewest new sites (greedy) that
// bring the share of covered grids to the target.
func (m *Model) Cover(ctx context.Context, opt SitingOptions) (*Siting, error) {
	start := time.Now()
	if opt.Radius <= 0 {
		opt.Radius = m.Opt.GridRadius
	}
	base := m.Report(Built(m), false)
	cands, total, err := m.candidates(opt.Candidates, opt.Radius, base.covered)
	if err != nil {
		return nil, err
	}
	covered := append([]bool(nil), base.covered...)
	gridCov := make([]float64, len(m.City.Grids))
	for b, cv := range covered {
		if cv && m.gridOf[b] >= 0 {
			gridCov[m.gridOf[b]] += m.hh[b]
		}
	}
	isCov := func(g int32, extra float64) bool {
		return m.gridHH[g] > 0 && gridCov[g]+extra >= m.Opt.GridShare*m.gridHH[g]
	}
	nCov := 0
	for g := range m.City.Grids {
		if isCov(int32(g), 0) {
			nCov++
		}
	}
	need := int(m.Opt.Target*float64(len(m.City.Grids)) + 0.999999)
	res := &Siting{Candidates: total, Before: base.City}
	used := make([]bool, len(cands))
	extra := map[int32]float64{}
	for nCov < need {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		best, bestGrids, bestHH := -1, 0, 0.0
		for ci := range cands {
			if used[ci] {
				continue
			}
			clear(extra)
			hh := 0.0
			for _, b := range cands[ci].reach {
				if !covered[b] && m.gridOf[b] >= 0 {
					extra[m.gridOf[b]] += m.hh[b]
					hh += m.hh[b]
				}
			}
			ng := 0
			for g, x := range extra {
				if !isCov(g, 0) && isCov(g, x) {
					ng++
				}
			}
			if ng > bestGrids || (ng == bestGrids && hh > bestHH) {
				best, bestGrids, bestHH = ci, ng, hh
			}
		}
		if best < 0 || (bestGrids == 0 && bestHH == 0) {
			break // the candidates cannot reach the target
		}
		used[best] = true
		for _, b := range cands[best].reach {
			if !covered[b] {
				covered[b] = true
				if g := m.gridOf[b]; g >= 0 {
					was := isCov(g, 0)
					gridCov[g] += m.hh[b]
					if !was && isCov(g, 0) {
						nCov++
					}
				}
			}
		}
		cd := cands[best]
		res.Sites = append(res.Sites, Site{Point: cd.point, Source: cd.source, GridCode: cd.grid, Gain: int(bestHH)})
	}
	res.After = m.figures(covered, false).City
	res.Elapsed = time.Since(start)
	return res, nil
}

type gainItem struct {
	i     int
	gain  float64
	round int
}

type gainHeap []gainItem

func (h gainHeap) Len() int { return len(h) }
func (h gainHeap) Less(i, j int) bool {
	if h[i].gain != h[j].gain {
		return h[i].gain > h[j].gain
	}
	return h[i].i < h[j].i
}
func (h gainHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *gainHeap) Push(x any)   { *h = append(*h, x.(gainItem)) }
func (h *gainHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// maxCover chooses k of the candidate sets (reach lists of items) to
// maximise the weight of items covered, items already covered by base not
// counting: lazy greedy (CELF), then swaps while one helps and the budget
// lasts. It returns the chosen candidates and the number of swaps.
func maxCover(ctx context.Context, reach [][]int32, w []float64, base []bool, k int, budget time.Duration) ([]int, int, error) {
	count := make([]int32, len(w))
	for b, cv := range base {
		if cv {
			count[b] = 1 << 20 // covered by existing stations: never lost
		}
	}
	gain := func(ci int) float64 {
		g := 0.0
		for _, b := range reach[ci] {
			if count[b] == 0 {
				g += w[b]
			}
		}
		return g
	}
	// Lazy greedy: stale gains are upper bounds by submodularity.
	pq := make(gainHeap, len(reach))
	for i := range reach {
		pq[i] = gainItem{i, gain(i), 0}
	}
	heap.Init(&pq)
	var chosen []int
	inS := make([]bool, len(reach))
	for round := 1; len(chosen) < k && pq.Len() > 0; {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		top := heap.Pop(&pq).(gainItem)
		if top.round != round {
			top.gain, top.round = gain(top.i), round
			heap.Push(&pq, top)
			continue
		}
		if top.gain <= 0 {
			break
		}
		chosen = append(chosen, top.i)
		inS[top.i] = true
		for _, b := range reach[top.i] {
			count[b]++
		}
		round++
	}
	// Swap improvement: replace a chosen site by an unchosen one when that
	// covers more. Taking out a site frees only what it alone covers (its
	// loss), so a candidate gaining nothing given the whole solution gains
	// at most that loss without the site: only candidates with a positive
	// gain given the solution ("live") can improve a swap. Once nothing is
	// left uncovered, no swap can help.
	swaps := 0
	deadline := time.Now().Add(budget)
	var live []int
	findLive := func() {
		live = live[:0]
		for ci := range reach {
			if !inS[ci] && gain(ci) > 0 {
				live = append(live, ci)
			}
		}
	}
	findLive()
	for improved := budget > 0 && len(live) > 0; improved && time.Now().Before(deadline); {
		improved = false
		for x := 0; x < len(chosen) && len(live) > 0 && time.Now().Before(deadline); x++ {
			out := chosen[x]
			loss := 0.0
			for _, b := range reach[out] {
				if count[b] == 1 {
					loss += w[b]
				}
				count[b]--
			}
			best, bestGain := -1, loss
			for _, ci := range live {
				if g := gain(ci); g > bestGain+1e-9 {
					best, bestGain = ci, g
				}
			}
			if best < 0 {
				best = out
			} else {
				inS[out], inS[best] = false, true
				chosen[x] = best
				swaps++
				improved = true
			}
			for _, b := range reach[best] {
				count[b]++
			}
			if best != out {
				findLive()
			}
		}
	}
	return chosen, swaps, nil
}

// GeoJSON returns the sites as a FeatureCollection with their gains, and
// the totals as foreign members.
func (s *Siting) GeoJSON() map[string]any {
	feats := make([]map[string]any, len(s.Sites))
	for i, x := range s.Sites {
		feats[i] = map[string]any{
			"type":     "Feature",
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{x.Point[0], x.Point[1]}},
			"properties": map[string]any{
				"rank": i + 1, "source": x.Source, "grid_code": x.GridCode, "gain_households": x.Gain,
			},
		}
	}
	return map[string]any{
		"type": "FeatureCollection", "features": feats,
		"before": s.Before, "after": s.After, "upper_bound_households": s.UpperBound,
		"candidates": s.Candidates, "swaps": s.Swaps, "elapsed_ms": s.Elapsed.Milliseconds(),
	}
}
