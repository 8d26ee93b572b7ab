package plan

import (
	"context"
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

// BenchmarkProposeCity is the whole-city proposal from the unbalanced start.
func BenchmarkProposeCity(b *testing.B) {
	m := demoModel(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := NewPlan(m, nil)
		if _, err := p.Unbalance(0.15, 1); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		pr, err := p.Propose(context.Background(), ProposeOptions{Seed: 1, Budget: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(100*pr.After.WithinShare, "%within")
	}
}

// BenchmarkProposeCommunity rebalances one community.
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
