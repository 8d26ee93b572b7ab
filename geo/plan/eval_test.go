package plan

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestEvalQuick is `make plan-eval` in a test: unbalance the demo city by
// 15% of households, propose for the whole city, check what must hold.
func TestEvalQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-city proposal: skipped with -short")
	}
	m := demoModel(t)
	p := NewPlan(m, nil)
	if _, err := p.Unbalance(0.15, 1); err != nil {
		t.Fatal(err)
	}
	// A generous budget: the outcome is then decided by the step count
	// alone (deterministic), not by how busy the machine is.
	pr, err := p.Propose(context.Background(), ProposeOptions{Seed: 1, Budget: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	b, a := pr.Before, pr.After
	t.Logf("before: within %.4f, PP %.4f; after: within %.4f, PP %.4f, non-contiguous %d; moved %d households; %.0f ms",
		b.WithinShare, b.MeanPolsbyPopper, a.WithinShare, a.MeanPolsbyPopper, a.NonContiguous, pr.MovedHouseholds, pr.ElapsedMS)
	if a.NonContiguous != 0 {
		t.Errorf("%d non-contiguous grids", a.NonContiguous)
	}
	if a.WithinShare < 0.99 {
		t.Errorf("within share %.4f, want ≥ 0.99", a.WithinShare)
	}
	if a.MeanPolsbyPopper < b.MeanPolsbyPopper {
		t.Errorf("mean Polsby-Popper fell from %.4f to %.4f", b.MeanPolsbyPopper, a.MeanPolsbyPopper)
	}
	bd := p.CompoundBound(Targets{})
	if a.WithinShare > bd.MaxWithinShare {
		t.Errorf("within share %.4f above the bound %.4f", a.WithinShare, bd.MaxWithinShare)
	}
	validateWhole(t, p)
}

// TestProposeDeterministic: one seed, one proposal.
func TestProposeDeterministic(t *testing.T) {
	m := demoModel(t)
	var runs [2][]Move
	for i := range runs {
		p := NewPlan(m, nil)
		if _, err := p.Unbalance(0.15, 7); err != nil {
			t.Fatal(err)
		}
		pr, err := p.Propose(context.Background(), ProposeOptions{Street: m.City.Communities[0].StreetCode, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = pr.Moves
	}
	if len(runs[0]) == 0 || !reflect.DeepEqual(runs[0], runs[1]) {
		t.Errorf("two runs differ (%d and %d moves)", len(runs[0]), len(runs[1]))
	}
}
