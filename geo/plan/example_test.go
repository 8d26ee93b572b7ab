package plan_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo/plan"
)

// Measure the demo city, then merge two grids of a community in a plan.
func Example() {
	c, _ := synth.City(synth.Options{Seed: 1, Incidents: 10})
	m, _ := plan.NewModel(c)
	p := plan.NewPlan(m, nil)
	rep := p.Measures(plan.Targets{}, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	fmt.Println(rep.Summary.Grids, "grids,", rep.Summary.NonContiguous, "non-contiguous")
	for i := 0; i+1 < len(c.Grids); i++ {
		a, b := c.Grids[i], c.Grids[i+1]
		if a.CommunityCode != b.CommunityCode {
			continue
		}
		if res, err := p.ApplyEdit(plan.Edit{Kind: plan.EditMerge, Grid: a.Code, With: b.Code}); err == nil {
			fmt.Println("retired", len(res.Retired), "code; touched", len(res.Touched), "grid")
			break
		}
	}
	_, err := p.ApplyEdit(plan.Edit{Kind: "split", Grid: "nope"})
	r, _ := plan.IsRefusal(err)
	fmt.Println("refused:", r.Reason)
	// Output:
	// 1230 grids, 0 non-contiguous
	// retired 1 code; touched 1 grid
	// refused: not_found
}

// Rebalance one street of an unbalanced demo city with a step budget (the
// same plan on any machine), and weigh what it disturbs against the
// lower bound.
func ExamplePlan_Propose() {
	c, _ := synth.City(synth.Options{Seed: 1, Incidents: 10})
	m, _ := plan.NewModel(c)
	p := plan.NewPlan(m, nil)
	p.Unbalance(0.15, 1)
	street := c.Communities[0].StreetCode
	pr, _ := p.Propose(context.Background(), plan.ProposeOptions{Street: street, Seed: 1, Steps: 200_000})
	d := pr.Disruption
	fmt.Println("grids over before:", pr.Before.Over > 0, "after:", pr.After.Over)
	fmt.Println("moved at least the bound:", d.Households >= d.Bound.Households, "at most twice:", d.Ratio <= 2)
	fmt.Println("each move lists its people:", len(pr.Moves[0].Reassign.Before) > 0)
	// Output:
	// grids over before: true after: 0
	// moved at least the bound: true at most twice: true
	// each move lists its people: true
}
