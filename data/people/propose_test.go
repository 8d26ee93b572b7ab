package people_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
)

// instance builds a city of one district with nc communities and units
// holding the given pairings (unit → community indexes).
func instance(nc int, holds [][]int) *data.City {
	c := &data.City{Districts: []data.District{{Code: "370402", Name: "市中区"}}}
	for j := 0; j < nc; j++ {
		c.Communities = append(c.Communities, data.Community{Code: fmt.Sprintf("370402001%03d", j+1), Name: fmt.Sprintf("社区%d", j+1), DistrictCode: "370402"})
	}
	n := 0
	for k, hs := range holds {
		code := fmt.Sprintf("U%03d", k+1)
		c.ReportingUnits = append(c.ReportingUnits, data.ReportingUnit{Code: code, Name: "单位" + code, Level: data.UnitDistrict, DistrictCode: "370402"})
		for _, j := range hs {
			n++
			c.Pairings = append(c.Pairings, data.Pairing{ID: fmt.Sprintf("B%06d", n), UnitCode: code, CommunityCode: c.Communities[j].Code, From: d0})
		}
	}
	c.Staff = []data.Staff{{ID: "P1", Name: "占位", Role: data.StaffWorker, Joined: d0}}
	c.Index()
	return c
}

// bruteForce finds the best final pairing by trying every one: first the
// most pairs kept placed plus minima filled, then the fewest changes (a
// unit's changes: the larger of the pairs it leaves and the pairs it
// takes).
func bruteForce(nc int, holds [][]int, rg people.Range) (primary, moves int) {
	subsets := func(size int) [][]int {
		var out [][]int
		for m := 0; m < 1<<nc; m++ {
			var s []int
			for j := 0; j < nc; j++ {
				if m&(1<<j) != 0 {
					s = append(s, j)
				}
			}
			if len(s) <= size {
				out = append(out, s)
			}
		}
		return out
	}
	options := make([][][]int, len(holds))
	for k, hs := range holds {
		options[k] = subsets(max(1, len(hs)))
	}
	best := [2]int{-1 << 30, 0}
	choice := make([][]int, len(holds))
	var walk func(k int)
	walk = func(k int) {
		if k == len(holds) {
			count := make([]int, nc)
			p, mv := 0, 0
			for u, f := range choice {
				for _, j := range f {
					count[j]++
				}
				if len(holds[u]) > 0 {
					p += len(f)
				}
				held := map[int]bool{}
				for _, j := range holds[u] {
					held[j] = true
				}
				left, took := len(holds[u]), 0
				for _, j := range f {
					if held[j] {
						left--
					} else {
						took++
					}
				}
				mv += max(left, took)
			}
			for j := range count {
				if rg.Max > 0 && count[j] > rg.Max {
					return
				}
				p += min(count[j], rg.Min)
			}
			if p > best[0] || (p == best[0] && mv < best[1]) {
				best = [2]int{p, mv}
			}
			return
		}
		for _, o := range options[k] {
			choice[k] = o
			walk(k + 1)
		}
	}
	walk(0)
	return best[0], best[1]
}

// The flow's proposal is optimal: on random small cases, no pairing at all
// does better than it (exhaustive search).
func TestProposeMatchesExhaustiveSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for n := 0; n < 300; n++ {
		nc := 2 + rng.IntN(3)
		nu := 1 + rng.IntN(4)
		holds := make([][]int, nu)
		for k := range holds {
			perm := rng.Perm(nc)
			holds[k] = perm[:rng.IntN(min(3, nc+1))]
		}
		rg := people.Range{Min: rng.IntN(2), Max: 1 + rng.IntN(2)}
		r := people.DefaultRules()
		r.DistrictUnits = rg
		c := instance(nc, holds)
		p := people.ProposePairings(c, today, r)
		after := p.Change(c).Apply(c, today)
		// The primary objective of the proposal, recomputed from the result.
		count := map[string]int{}
		placed := 0
		for i := range after.Pairings {
			if pr := &after.Pairings[i]; pr.ActiveOn(today) {
				count[pr.CommunityCode]++
				for k, hs := range holds {
					if pr.UnitCode == fmt.Sprintf("U%03d", k+1) && len(hs) > 0 {
						placed++
					}
				}
			}
		}
		for _, cm := range c.Communities {
			if rg.Max > 0 && count[cm.Code] > rg.Max {
				t.Fatalf("case %d: %s over the maximum after the proposal", n, cm.Code)
			}
			placed += min(count[cm.Code], rg.Min)
		}
		bp, bm := bruteForce(nc, holds, rg)
		if placed != bp || len(p.Moves) != bm {
			t.Fatalf("case %d (communities %d, holds %v, range %v): proposal placed %d with %d moves %+v; best is %d with %d",
				n, nc, holds, rg, placed, len(p.Moves), p.Moves, bp, bm)
		}
		if len(p.Moves) < p.LowerBound {
			t.Fatalf("case %d: %d moves beat the lower bound %d", n, len(p.Moves), p.LowerBound)
		}
	}
}

// On district-sized cases where each unit reports to one community and the
// rule can be met, the proposal meets the lower bound max(excess, deficit)
// exactly: provably minimal, and the rule holds after it.
func TestProposeMeetsLowerBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for n := 0; n < 40; n++ {
		nc := 10 + rng.IntN(40)
		nu := nc + rng.IntN(nc) // between 1 and 2 per community on average
		holds := make([][]int, nu)
		for k := range holds {
			// skewed: some communities get many units
			j := int(float64(nc) * rng.Float64() * rng.Float64())
			holds[k] = []int{j}
		}
		c := instance(nc, holds)
		p := people.ProposePairings(c, today, rules)
		if len(p.Moves) != p.LowerBound || p.Unplaced != 0 || p.Unfilled != 0 {
			t.Fatalf("case %d: %s", n, p.Summary())
		}
		if p.LowerBound != max(p.Excess, p.Deficit) || p.Excess == 0 {
			t.Fatalf("case %d: bound %d, excess %d, deficit %d", n, p.LowerBound, p.Excess, p.Deficit)
		}
		after := p.Change(c).Apply(c, today)
		if rep := people.Check(after, today, rules); rep.ByRule[people.RuleDistrictUnits] != 0 || rep.ByRule[people.RulePairing] != 0 {
			t.Fatalf("case %d: after the proposal %v", n, rep.ByRule)
		}
		// Applying the proposal again proposes nothing.
		if again := people.ProposePairings(after, today, rules); len(again.Moves) != 0 {
			t.Fatalf("case %d: a second proposal moves %d", n, len(again.Moves))
		}
	}
}

func TestProposeFixture(t *testing.T) {
	c := fixture()
	// Three district units in 青檀社区, none in 文化社区.
	c.Pairings[1].To = day(2026, 1, 1)
	c.Pairings = append(c.Pairings, data.Pairing{ID: "B9", UnitCode: "U2", CommunityCode: "370402001001", From: d0},
		data.Pairing{ID: "B10", UnitCode: "U3", CommunityCode: "370402001001", From: d0})
	c.Index()
	p := people.ProposePairings(c, today, rules)
	if len(p.Moves) != 1 || p.LowerBound != 1 || p.Moves[0].To != "370402001002" {
		t.Fatalf("%s: %+v", p.Summary(), p.Moves)
	}
	after := p.Change(c).Apply(c, today)
	if rep := people.Check(after, today, rules); !rep.OK {
		t.Errorf("after: %+v", rep.Violations)
	}
}

func BenchmarkProposePairings(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	nc := 60
	holds := make([][]int, 150)
	for k := range holds {
		holds[k] = []int{int(float64(nc) * rng.Float64() * rng.Float64())}
	}
	c := instance(nc, holds)
	r := people.DefaultRules()
	for b.Loop() {
		people.ProposePairings(c, today, r)
	}
}
