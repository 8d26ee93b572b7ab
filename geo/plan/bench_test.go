package plan

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func BenchmarkNewModel(b *testing.B) {
	m := demoModel(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NewModel(m.City); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMeasuresCity(b *testing.B) {
	p := NewPlan(demoModel(b), nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Measures(Targets{}, evalAt)
	}
}

func BenchmarkApplyEditMove(b *testing.B) {
	m := demoModel(b)
	p := NewPlan(m, nil)
	var there, back Edit
	for g := range p.Grids {
		for h := range p.Grids {
			if g == h || p.Grids[g].CommunityCode != p.Grids[h].CommunityCode {
				continue
			}
			if bl, ok := movable(p, g, h); ok {
				there = Edit{Kind: EditMove, Compounds: []string{m.Blocks[bl].Compound}, To: p.Grids[h].Code}
				back = Edit{Kind: EditMove, Compounds: []string{m.Blocks[bl].Compound}, To: p.Grids[g].Code}
				goto found
			}
		}
	}
found:
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.ApplyEdit(there); err != nil {
			b.Fatal(err)
		}
		if _, err := p.ApplyEdit(back); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProposeCity is `make plan-eval`'s proposal: the whole city
// from the unbalanced start, with the eval's step budget.
func BenchmarkProposeCity(b *testing.B) {
	m := demoModel(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := NewPlan(m, nil)
		if _, err := p.Unbalance(0.15, 1); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		pr, err := p.Propose(context.Background(), ProposeOptions{Seed: 1, Steps: evalSteps, Budget: 5 * time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(100*pr.After.WithinShare, "%within")
		b.ReportMetric(pr.Disruption.Ratio, "x_bound")
	}
}

// BenchmarkProposeCommunity rebalances one community with the default
// effort.
func BenchmarkProposeCommunity(b *testing.B) {
	m := demoModel(b)
	base := NewPlan(m, nil)
	if _, err := base.Unbalance(0.15, 1); err != nil {
		b.Fatal(err)
	}
	code := base.Grids[0].CommunityCode
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := *base
		if _, err := p.Propose(context.Background(), ProposeOptions{Communities: []string{code}, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSearch is the search of one unbalanced community with a grid over.
func benchSearch(b *testing.B) *commSearch {
	p := unbalancedPlan(b)
	for ci := range p.Model.Communities {
		if s := p.newCommSearch(ci, ProposeOptions{Compact: DefaultCompact, Disruption: DefaultDisruption}); s != nil && s.over() && len(s.a) > 40 {
			s.rng = rand.New(rand.NewPCG(1, 1))
			return s
		}
	}
	b.Fatal("no community to search")
	return nil
}

// BenchmarkAnnealStep is one annealing step (ns/op), chains included.
func BenchmarkAnnealStep(b *testing.B) {
	s := benchSearch(b)
	var stop atomic.Bool
	b.ResetTimer()
	s.anneal(int64(b.N), 0, 1, &stop)
}

// BenchmarkRepair is the final repair of one community from its start.
func BenchmarkRepair(b *testing.B) {
	s := benchSearch(b)
	start := append([]int32(nil), s.a...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(s.best, start)
		s.repair()
	}
}

// BenchmarkMoveTest compares the search's 3×3 test of a move with the
// flood fill and ring walk it replaces.
func BenchmarkMoveTest(b *testing.B) {
	s := benchSearch(b)
	p := unbalancedPlan(b)
	count := make([]int, len(p.Grids))
	for _, g := range p.Assign {
		count[g]++
	}
	type mv struct {
		i    int
		f, t int32
	}
	var moves []mv
	for i := range s.a {
		for _, nb := range s.nbr[i] {
			if nb >= 0 && s.a[nb] != s.a[i] {
				moves = append(moves, mv{i, s.a[i], s.a[nb]})
			}
		}
	}
	b.Run("local", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m := moves[i%len(moves)]
			s.canMove(m.i, m.f, m.t)
		}
	})
	b.Run("rings", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m := moves[i%len(moves)]
			p.moveOK(p.Assign, s.glob[m.i], s.grid[m.t], count)
		}
	})
}
