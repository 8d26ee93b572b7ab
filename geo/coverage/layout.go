package coverage

import (
	"fmt"
	"sort"

	"github.com/gridmap/gridmap/data"
)

// LayoutChange is how a new grid layout of the same buildings changes the
// coverage: stations and buildings stay where they are, so every
// building's reach is unchanged and only the grids it counts for move.
type LayoutChange struct {
	Before Figures      `json:"before"`
	After  Figures      `json:"after"`
	Grids  []GridChange `json:"grids"` // grids whose coverage share changed, in code order
}

// GridChange is one grid's coverage before and after a layout change (a
// grid absent on one side has a zero share there and Exists false).
type GridChange struct {
	Code          string  `json:"code"`
	ShareBefore   float64 `json:"share_before"`
	ShareAfter    float64 `json:"share_after"`
	CoveredBefore bool    `json:"covered_before"`
	CoveredAfter  bool    `json:"covered_after"`
}

// OnLayout re-counts the report r of the model's city on after, a city with
// the same buildings in the same order (a plan's city: grids redrawn,
// buildings re-assigned), at the model's grid share.
func (m *Model) OnLayout(r *Report, after *data.City) (*LayoutChange, error) {
	if len(after.Buildings) != len(m.City.Buildings) || len(r.covered) != len(m.City.Buildings) {
		return nil, fmt.Errorf("coverage: the layout has %d buildings, the report %d", len(after.Buildings), len(r.covered))
	}
	type tally struct{ hh, cov float64 }
	count := func(grids []data.Grid, gridOf func(i int) string) map[string]*tally {
		out := make(map[string]*tally, len(grids))
		for _, g := range grids {
			out[g.Code] = &tally{}
		}
		for i := range m.City.Buildings {
			t := out[gridOf(i)]
			if t == nil {
				continue
			}
			t.hh += m.hh[i]
			if r.covered[i] {
				t.cov += m.hh[i]
			}
		}
		return out
	}
	before := count(m.City.Grids, func(i int) string { return m.City.Buildings[i].GridCode })
	afterT := count(after.Grids, func(i int) string { return after.Buildings[i].GridCode })
	share := func(t *tally) float64 {
		if t == nil || t.hh == 0 {
			return 0
		}
		return t.cov / t.hh
	}
	// the rule of the reports: covered households ≥ GridShare × households
	covered := func(t *tally) bool { return t != nil && t.hh > 0 && t.cov >= m.Opt.GridShare*t.hh }
	out := &LayoutChange{Before: r.City, After: r.City, Grids: []GridChange{}}
	n := 0
	for _, t := range afterT {
		if covered(t) {
			n++
		}
	}
	out.After.Grids, out.After.GridsCovered = len(after.Grids), n
	out.After = finish(out.After, m.Opt.Target)
	codes := make([]string, 0, len(before)+len(afterT))
	for c := range before {
		codes = append(codes, c)
	}
	for c := range afterT {
		if before[c] == nil {
			codes = append(codes, c)
		}
	}
	sort.Strings(codes)
	for _, c := range codes {
		b, a := before[c], afterT[c]
		if b != nil && a != nil && b.hh == a.hh && b.cov == a.cov {
			continue
		}
		out.Grids = append(out.Grids, GridChange{Code: c, ShareBefore: round3(share(b)), ShareAfter: round3(share(a)), CoveredBefore: covered(b), CoveredAfter: covered(a)})
	}
	return out, nil
}
