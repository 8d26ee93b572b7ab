package synth

import (
	"reflect"
	"sort"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
)

// The demo city's people keep every rule but the deliberate violations,
// and match the published figures.
func TestPeopleRecords(t *testing.T) {
	for _, opt := range []Options{{Seed: 1}, {Seed: 2, Scale: 2, Incidents: 100}} {
		c, err := City(opt)
		if err != nil {
			t.Fatal(err)
		}
		copies := max(1, opt.Scale)
		rep := people.Check(c, ReferenceDay, people.DefaultRules())
		want := map[string]int{people.RuleGridHead: 1, people.RuleGridWorker: 1, people.RuleCadreLoad: 1, people.RuleDistrictUnits: 2}
		for k := range want {
			want[k] *= copies
		}
		if !reflect.DeepEqual(rep.ByRule, want) || len(rep.Violations) != PeopleViolations*copies {
			t.Errorf("seed %d: violations %v, want %v: %+v", opt.Seed, rep.ByRule, want, rep.Violations)
		}
		for role, n := range map[string]int{data.StaffCadre: Cadres, data.StaffWorker: FullTimeWorkers, data.StaffMember: PartTimeMembers,
			data.StaffHead: Grids - 1, data.StaffLeader: LeadingCadres, data.StaffSecretary: 21} {
			if got := rep.Counts["staff_serving_"+role]; got != n*copies {
				t.Errorf("seed %d: %d %s serving, want %d", opt.Seed, got, role, n*copies)
			}
		}
		if len(c.Cadres) != Cadres*copies || len(c.Commitments) != Commitments*copies || len(c.ContactPoints) != LeadingCadres*copies {
			t.Errorf("seed %d: %d cadres, %d commitments, %d contact points", opt.Seed, len(c.Cadres), len(c.Commitments), len(c.ContactPoints))
		}
		// The published units, every one with its members; one move fixes the pairings.
		if rep.Counts["units_municipal"] != MunicipalUnits*copies || rep.Counts["units_district"] != DistrictUnits*copies {
			t.Errorf("units %v", rep.Counts)
		}
		p := people.ProposePairings(c, ReferenceDay, people.DefaultRules())
		if len(p.Moves) != copies || p.LowerBound != copies {
			t.Errorf("seed %d: %s", opt.Seed, p.Summary())
		}
		// History: some heads handed over, some pairings were rebalanced.
		ended := 0
		for _, a := range c.Assignments {
			if !a.To.IsZero() {
				ended++
			}
		}
		if ended < 50 {
			t.Errorf("only %d ended assignments", ended)
		}
		// What the grids show is derived from the records.
		c.DeriveStaffing(ReferenceDay)
		for _, g := range c.Grids[:50] {
			served := people.ServedOn(c, g.Code, ReferenceDay)
			if len(served) > 0 && served[0].Duty == data.DutyHead && c.StaffByID(served[0].StaffID).Name != g.Head.Name {
				t.Errorf("grid %s shows head %q", g.Code, g.Head.Name)
			}
		}
	}
}

func TestPeopleDeterministic(t *testing.T) {
	a, _ := City(Options{Seed: 5, Incidents: 50})
	b, _ := City(Options{Seed: 5, Incidents: 50})
	if !reflect.DeepEqual(a.Staff, b.Staff) || !reflect.DeepEqual(a.Assignments, b.Assignments) ||
		!reflect.DeepEqual(a.Pairings, b.Pairings) || !reflect.DeepEqual(a.Commitments, b.Commitments) {
		t.Error("same seed, different people")
	}
	ids := map[string]bool{}
	for _, s := range a.Staff {
		if ids[s.ID] {
			t.Fatalf("staff id %s twice", s.ID)
		}
		ids[s.ID] = true
	}
	sorted := sort.SliceIsSorted(a.Commitments, func(i, j int) bool { return a.Commitments[i].ID < a.Commitments[j].ID })
	if !sorted {
		t.Error("commitments not in id order")
	}
}
