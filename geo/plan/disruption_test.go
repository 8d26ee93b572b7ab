package plan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
)

// TestDisruptionBound: the bound is the larger of the summed excess and
// deficit, computed by hand here; and no community that a proposal
// brings wholly within the target moved fewer households than its own
// bound.
func TestDisruptionBound(t *testing.T) {
	p := unbalancedPlan(t)
	rep := p.Measures(Targets{}, evalAt)
	var ex, de int
	for _, g := range rep.Grids {
		hi, lo := 1.1*g.Target, 0.9*g.Target
		for h := g.Households; float64(h) > hi+1e-9; h-- {
			ex++
		}
		for h := g.Households; float64(h) < lo-1e-9; h++ {
			de++
		}
	}
	b := p.DisruptionBound(Targets{})
	if b.Excess != ex || b.Deficit != de || b.Households != max(ex, de) || b.Households == 0 {
		t.Fatalf("bound %+v, want excess %d, deficit %d", b, ex, de)
	}
	// A tighter tolerance has a larger bound.
	if b2 := p.DisruptionBound(Targets{Tolerance: 0.05}); b2.Households <= b.Households {
		t.Errorf("bound at ±5%% %d, at ±10%% %d", b2.Households, b.Households)
	}
	// Per community, against what a proposal moved.
	street := p.Model.City.Communities[0].StreetCode
	var comms []string
	for _, c := range p.Model.City.Communities {
		if c.StreetCode == street {
			comms = append(comms, c.Code)
		}
	}
	bounds := map[string]int{}
	for _, c := range comms {
		bounds[c] = p.DisruptionBound(Targets{}, c).Households
	}
	pr, err := p.Propose(context.Background(), ProposeOptions{Street: street, Seed: 1, Steps: 200_000})
	if err != nil {
		t.Fatal(err)
	}
	moved := map[string]int{}
	for _, mv := range pr.Moves {
		moved[mv.From[:12]] += mv.Households
	}
	after := p.Measures(Targets{}, evalAt)
	solved := 0
	for _, cm := range after.Communities {
		if _, ok := bounds[cm.Code]; !ok || cm.Over > 0 {
			continue
		}
		solved++
		if moved[cm.Code] < bounds[cm.Code] {
			t.Errorf("community %s: within the target after moving %d households, below its bound %d", cm.Code, moved[cm.Code], bounds[cm.Code])
		}
	}
	pb := pr.Disruption.Bound
	if solved == 0 || pb.PerCommunity != sum(bounds) || pb.Households > pb.PerCommunity || pb.Households != max(pb.Excess, pb.Deficit) {
		t.Errorf("%d communities solved; proposal bound %+v, communities' %d", solved, pb, sum(bounds))
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestDisruptionWeight: a heavier disruption weight moves fewer
// households; a lighter one rounds grids more.
func TestDisruptionWeight(t *testing.T) {
	street := demoModel(t).City.Communities[0].StreetCode
	var moved [3]int
	var pp [3]float64
	for k, w := range []float64{2, DefaultDisruption, 200} {
		p := unbalancedPlan(t)
		pr, err := p.Propose(context.Background(), ProposeOptions{Street: street, Seed: 1, Steps: 300_000, Disruption: w})
		if err != nil {
			t.Fatal(err)
		}
		moved[k], pp[k] = pr.MovedHouseholds, pr.After.MeanPolsbyPopper
	}
	if !(moved[0] > moved[1] && moved[1] > moved[2]) || !(pp[0] > pp[2]) {
		t.Errorf("weights 2, 20, 200 moved %v households, mean PP %v", moved, pp)
	}
}

// TestReassignments: every move lists the people of the grid it leaves
// and of the grid it joins, from today's grid teams and cadres, names
// masked; a Staffing of the caller's replaces them.
func TestReassignments(t *testing.T) {
	p := unbalancedPlan(t)
	c := p.Model.City
	code := c.Communities[3].Code
	pr, err := p.Propose(context.Background(), ProposeOptions{Communities: []string{code}, Seed: 1, Steps: 50_000})
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Moves) == 0 {
		t.Fatal("no moves")
	}
	want := func(grid string) []Assignee {
		g := c.Grid(grid)
		out := []Assignee{{Role: RoleGridHead, Name: data.MaskName(g.Head.Name), Title: g.Head.Title}}
		for _, m := range g.Team {
			out = append(out, Assignee{Role: RoleGridWorker, Name: data.MaskName(m.Name), Title: m.Title})
		}
		for _, cd := range c.Cadres { // in ID order, as generated
			for _, gc := range cd.GridCodes {
				if gc == grid {
					out = append(out, Assignee{Role: RoleCadre, ID: cd.ID, Name: data.MaskName(cd.Name), Title: cd.Unit + " " + cd.Rank})
				}
			}
		}
		return out
	}
	for _, mv := range pr.Moves {
		r := mv.Reassign
		if r == nil || !sameAssignees(r.Before, want(mv.From)) || !sameAssignees(r.After, want(mv.To)) {
			t.Fatalf("move %s %s → %s: reassignment %+v, want %+v → %+v", mv.Compound, mv.From, mv.To, r, want(mv.From), want(mv.To))
		}
		for _, a := range append(append([]Assignee{}, r.Before...), r.After...) {
			if strings.ContainsAny(a.Name, "0123456789") || len([]rune(a.Name)) > 1 && !strings.HasSuffix(a.Name, "*") {
				t.Errorf("name %q is not masked", a.Name)
			}
		}
		if mv.Name == "" || mv.Households <= 0 {
			t.Errorf("move %+v without name or households", mv)
		}
	}
	// The caller's own staffing (the people register, when there is one).
	q := unbalancedPlan(t)
	reg := StaffingMap{pr.Moves[0].From: {{Role: RoleGridWorker, ID: "W1", Name: "王*"}}}
	pr2, err := q.Propose(context.Background(), ProposeOptions{Communities: []string{code}, Seed: 1, Steps: 50_000, Staff: reg})
	if err != nil {
		t.Fatal(err)
	}
	if got := pr2.Moves[0].Reassign; got.Before[0].ID != "W1" || len(got.After) != 0 || got.After == nil {
		t.Errorf("register staffing: %+v", got)
	}
}

// sameAssignees compares people lists; heads' and workers' IDs come from
// the people register when the city has one, and are not compared.
func sameAssignees(a, b []Assignee) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Role != RoleCadre {
			x.ID, y.ID = "", ""
		}
		if x != y {
			return false
		}
	}
	return true
}

// TestStaffingFromRegister: with managed people records, heads and
// workers are listed with the ID of the record assigned to the grid today.
func TestStaffingFromRegister(t *testing.T) {
	base := demoModel(t).City
	c := *base
	g := c.Grids[0]
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	c.Staff = []data.Staff{{ID: "S-HEAD", Name: g.Head.Name, Role: data.StaffHead, Joined: day.AddDate(-1, 0, 0)},
		{ID: "S-OLD", Name: g.Head.Name, Role: data.StaffHead, Joined: day.AddDate(-3, 0, 0), Retired: day.AddDate(-1, 0, 0)}}
	c.Assignments = []data.Assignment{{ID: "A1", StaffID: "S-OLD", GridCode: g.Code, Duty: data.DutyHead, From: day.AddDate(-3, 0, 0), To: day.AddDate(-1, 0, 0)},
		{ID: "A2", StaffID: "S-HEAD", GridCode: g.Code, Duty: data.DutyHead, From: day.AddDate(-1, 0, 0)}}
	m, err := NewModel(&c)
	if err != nil {
		t.Fatal(err)
	}
	got := NewPlan(m, nil).staffing(day)[g.Code]
	if len(got) == 0 || got[0].Role != RoleGridHead || got[0].ID != "S-HEAD" {
		t.Errorf("grid %s staffing %+v, want its head with ID S-HEAD", g.Code, got)
	}
	if other := NewPlan(m, nil).staffing(day)[c.Grids[1].Code]; len(other) > 0 && other[0].ID != "" {
		t.Errorf("grid %s has no register entry, got ID %q", c.Grids[1].Code, other[0].ID)
	}
}
