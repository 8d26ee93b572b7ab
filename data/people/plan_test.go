package people_test

import (
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo/plan"
)

// A plan that merges two grids and splits a third: the follow-through ends
// the retired grid's assignments, moves its head and team into the kept
// grid, makes the split's promoted worker the new grid's head, and moves
// the cadres with their grids; after it the records show what the plan
// shows.
func TestFollowPlan(t *testing.T) {
	c, err := synth.City(synth.Options{Seed: 1, Incidents: 10})
	if err != nil {
		t.Fatal(err)
	}
	d := synth.ReferenceDay
	c.DeriveStaffing(d)
	m, err := plan.NewModel(c)
	if err != nil {
		t.Fatal(err)
	}
	p := plan.NewPlan(m, nil)
	// Two neighbouring grids of one community to merge; a grid of another
	// community with several compounds and a full-time worker to split.
	var keep, gone, split string
	for i := 0; i+1 < len(c.Grids) && keep == ""; i++ {
		a, b := c.Grids[i], c.Grids[i+1]
		if a.CommunityCode == b.CommunityCode {
			if _, err := p.ApplyEdit(plan.Edit{Kind: plan.EditMerge, Grid: a.Code, With: b.Code}); err == nil {
				keep, gone = a.Code, b.Code
			}
		}
	}
	for _, g := range c.Grids[200:] {
		var comps []string
		for _, cp := range c.Compounds {
			if cp.GridCode == g.Code {
				comps = append(comps, cp.Code)
			}
		}
		hasFT := false
		for _, tm := range g.Team {
			hasFT = hasFT || tm.Title == "专职网格员"
		}
		if len(comps) >= 4 && hasFT {
			if _, err := p.ApplyEdit(plan.Edit{Kind: plan.EditSplit, Grid: g.Code, Compounds: comps[len(comps)/2:]}); err == nil {
				split = g.Code
				break
			}
		}
	}
	if keep == "" || split == "" {
		t.Fatal("no merge or split found")
	}
	after, _, err := p.City()
	if err != nil {
		t.Fatal(err)
	}
	after.Index()
	ch, list := people.FollowPlan(after, d)
	if len(list) == 0 {
		t.Fatal("nothing to review")
	}
	ends := map[string]int{}
	starts := map[string]int{}
	for _, r := range list {
		if r.Action == "end" {
			ends[r.GridCode]++
		} else if r.Action == "start" {
			starts[r.GridCode]++
		}
	}
	if ends[gone] == 0 || starts[keep] == 0 {
		t.Errorf("merge: %d ended in %s, %d started in %s: %+v", ends[gone], gone, starts[keep], keep, list)
	}
	res := ch.Apply(after, d)
	rep := people.Check(res, d, people.DefaultRules())
	for _, v := range rep.Violations {
		if v.Subject == gone || (v.Rule == people.RuleAssignment) {
			t.Errorf("after the follow-through: %+v", v)
		}
	}
	// What the records show matches what the plan showed.
	for _, g := range after.Grids {
		r := res.Grid(g.Code)
		if r.Head.Name != g.Head.Name && g.Head.Name != "待任命" {
			t.Errorf("grid %s: plan shows head %q, records %q", g.Code, g.Head.Name, r.Head.Name)
		}
		if len(r.Team) != len(g.Team) {
			t.Errorf("grid %s: plan shows %d in the team, records %d", g.Code, len(g.Team), len(r.Team))
		}
	}
	for _, cd := range after.Cadres {
		got := map[string]bool{}
		for _, x := range res.CadresOf("") {
			_ = x
		}
		for _, a := range res.Assignments {
			if a.StaffID == cd.ID && a.Duty == data.DutyCadre && a.ActiveOn(d) {
				got[a.GridCode] = true
			}
		}
		for _, gc := range cd.GridCodes {
			if !got[gc] {
				t.Fatalf("cadre %s does not follow to %s", cd.ID, gc)
			}
		}
	}
	// A second follow-through proposes nothing.
	if ch2, l2 := people.FollowPlan(res, d); !ch2.Empty() {
		t.Errorf("second follow-through: %+v", l2)
	}
}
