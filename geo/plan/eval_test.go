package plan

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// evalSteps is the step budget of `make plan-eval`.
const evalSteps = 4_000_000

// TestEvalQuick is `make plan-eval` in a test: unbalance the demo city by
// 15% of households, propose for the whole city with the eval's step
// budget, check what must hold.
func TestEvalQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-city proposal: skipped with -short")
	}
	p := unbalancedPlan(t)
	// A generous time budget: the outcome is then decided by the steps.
	pr, err := p.Propose(context.Background(), ProposeOptions{Seed: 1, Steps: evalSteps, Budget: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	b, a, d := pr.Before, pr.After, pr.Disruption
	t.Logf("before: within %.4f, PP %.4f; after: within %.4f, PP %.4f, non-contiguous %d; moved %d households (%.2f× the bound %d), %d compounds, %d grids; %.0f ms",
		b.WithinShare, b.MeanPolsbyPopper, a.WithinShare, a.MeanPolsbyPopper, a.NonContiguous, d.Households, d.Ratio, d.Bound.Households, d.Compounds, d.GridsTouched, pr.ElapsedMS)
	if pr.TimedOut || pr.Steps != evalSteps {
		t.Errorf("steps %d of %d, timed out %v", pr.Steps, pr.StepBudget, pr.TimedOut)
	}
	if a.NonContiguous != 0 {
		t.Errorf("%d non-contiguous grids", a.NonContiguous)
	}
	if a.WithinShare < 0.99 {
		t.Errorf("within share %.4f, want ≥ 0.99", a.WithinShare)
	}
	if a.MeanPolsbyPopper < b.MeanPolsbyPopper {
		t.Errorf("mean Polsby-Popper fell from %.4f to %.4f", b.MeanPolsbyPopper, a.MeanPolsbyPopper)
	}
	if d.Ratio > 2 || d.Households < d.Bound.Households {
		t.Errorf("moved %d households, bound %d: ratio %.2f, want within [1, 2]", d.Households, d.Bound.Households, d.Ratio)
	}
	if d.Households != pr.MovedHouseholds || d.Compounds != len(pr.Moves) || d.GridsTouched == 0 {
		t.Errorf("disruption %+v disagrees with %d moves of %d households", d, len(pr.Moves), pr.MovedHouseholds)
	}
	bd := p.CompoundBound(Targets{})
	if a.WithinShare > bd.MaxWithinShare {
		t.Errorf("within share %.4f above the bound %.4f", a.WithinShare, bd.MaxWithinShare)
	}
	validateWhole(t, p)
}

// TestProposeDeterministic: one seed and one step count, one proposal —
// on one core or all of them, on an idle machine or one whose cores are
// held by busy loops.
func TestProposeDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("three whole-city proposals: skipped with -short")
	}
	run := func(procs int, busy bool) *Proposal {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var stop atomic.Bool
		var wg sync.WaitGroup
		if busy {
			for i := 0; i < 2*runtime.NumCPU(); i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					x := 0
					for !stop.Load() {
						x++
					}
					_ = x
				}()
			}
		}
		defer func() { stop.Store(true); wg.Wait() }()
		p := unbalancedPlan(t)
		pr, err := p.Propose(context.Background(), ProposeOptions{Seed: 3, Steps: 1_000_000, Budget: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	a, b, c := run(runtime.NumCPU(), false), run(1, false), run(runtime.NumCPU(), true)
	for _, pr := range []*Proposal{a, b, c} {
		pr.ElapsedMS, pr.Before.At, pr.After.At = 0, time.Time{}, time.Time{}
	}
	if len(a.Moves) == 0 || a.TimedOut {
		t.Fatalf("%d moves, timed out %v", len(a.Moves), a.TimedOut)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("all cores and one core differ: %s (%d moves, %d households) vs %s (%d, %d)", a.Fingerprint, len(a.Moves), a.MovedHouseholds, b.Fingerprint, len(b.Moves), b.MovedHouseholds)
	}
	if !reflect.DeepEqual(a, c) {
		t.Errorf("idle and busy differ: %s (%d moves, %d households) vs %s (%d, %d)", a.Fingerprint, len(a.Moves), a.MovedHouseholds, c.Fingerprint, len(c.Moves), c.MovedHouseholds)
	}
	t.Logf("plan %s: %d moves, %d households, within %.4f", a.Fingerprint, len(a.Moves), a.MovedHouseholds, a.After.WithinShare)
}

// TestProposeAnytime: a time budget far too short for the steps asked
// still gives a valid, repaired plan, and says it was cut.
func TestProposeAnytime(t *testing.T) {
	for _, budget := range []time.Duration{time.Millisecond, 400 * time.Millisecond} {
		p := unbalancedPlan(t)
		pr, err := p.Propose(context.Background(), ProposeOptions{Seed: 1, Steps: 1e10, Budget: budget})
		if err != nil {
			t.Fatal(err)
		}
		if !pr.TimedOut || pr.Steps >= pr.StepBudget {
			t.Errorf("budget %v: steps %d of %d, timed out %v: want a cut search", budget, pr.Steps, pr.StepBudget, pr.TimedOut)
		}
		a := pr.After
		t.Logf("budget %v, cut after %d steps: within %.4f, PP %.4f, moved %.2f× the bound", budget, pr.Steps, a.WithinShare, a.MeanPolsbyPopper, pr.Disruption.Ratio)
		if a.WithinShare < 0.97 || a.NonContiguous != 0 || a.MeanPolsbyPopper < pr.Before.MeanPolsbyPopper || pr.Disruption.Ratio > 2.5 {
			t.Errorf("budget %v: a cut search left within %.4f, %d non-contiguous, PP %.4f → %.4f, ratio %.2f", budget, a.WithinShare, a.NonContiguous,
				pr.Before.MeanPolsbyPopper, a.MeanPolsbyPopper, pr.Disruption.Ratio)
		}
		validateWhole(t, p)
	}
	// A cancelled context stops the search the same way.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := unbalancedPlan(t)
	pr, err := q.Propose(ctx, ProposeOptions{Seed: 1, Steps: 1e10})
	if err != nil || !pr.TimedOut || pr.After.NonContiguous != 0 {
		t.Errorf("cancelled: %v, timed out %v", err, pr != nil && pr.TimedOut)
	}
}
