package plan

import (
	"context"
	"testing"
	"time"
)

func TestEvalQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-city proposal: skipped with -short")
	}
	m := demoModel(t)
	p := NewPlan(m, nil)
	r0 := p.Measures(Targets{}, evalAt).Summary
	moved, err := p.Unbalance(0.15, 1)
	if err != nil {
		t.Fatal(err)
	}
	r1 := p.Measures(Targets{}, evalAt).Summary
	t.Logf("base: over %d/%d within %.3f maxdev %.3f pp %.4f", r0.Over, r0.Grids, r0.WithinShare, r0.MaxAbsDeviation, r0.MeanPolsbyPopper)
	t.Logf("unbalanced (moved %d): over %d within %.3f maxdev %.3f pp %.4f noncontig %d", moved, r1.Over, r1.WithinShare, r1.MaxAbsDeviation, r1.MeanPolsbyPopper, r1.NonContiguous)
	start := time.Now()
	pr, err := p.Propose(context.Background(), ProposeOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := pr.After
	t.Logf("proposal %v steps %d: over %d within %.3f maxdev %.3f pp %.4f noncontig %d moved %d unsolved %d", time.Since(start), pr.Steps, a.Over, a.WithinShare, a.MaxAbsDeviation, a.MeanPolsbyPopper, a.NonContiguous, pr.MovedHouseholds, len(pr.Unsolved))
}
