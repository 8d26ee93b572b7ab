package coverage

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/synth"
)

var (
	demoOnce  sync.Once
	demoModel *Model
)

func demo(t testing.TB) *Model {
	t.Helper()
	demoOnce.Do(func() {
		c, err := synth.City(synth.Options{Seed: 1, Incidents: 1})
		if err != nil {
			t.Fatal(err)
		}
		demoModel = NewModel(c, Options{})
	})
	return demoModel
}

func TestDemoCoverage(t *testing.T) {
	m := demo(t)
	built := m.Report(Built(m), true)
	all := m.Report(BuiltAndPlanned(m), false)
	t.Logf("built: %+v", built.City)
	t.Logf("built+planned: %+v", all.City)
	if built.City.Grids != 1230 || built.City.GridsCovered == 0 || built.City.GridsCovered == 1230 {
		t.Errorf("implausible coverage %+v", built.City)
	}
	if all.City.HouseholdsCovered < built.City.HouseholdsCovered {
		t.Error("adding the planned sites lowered coverage")
	}
	if len(built.Grids) != 1230 || len(built.Streets) != 21 || len(built.Communities) != 206 {
		t.Errorf("levels: %d grids, %d streets, %d communities", len(built.Grids), len(built.Streets), len(built.Communities))
	}
}

func TestDemoSiting(t *testing.T) {
	m := demo(t)
	s, err := m.Site(context.Background(), SitingOptions{K: 300})
	if err != nil {
		t.Fatal(err)
	}
	planned := m.Report(BuiltAndPlanned(m), false)
	t.Logf("siting: %d sites, before %d/%d grids, after %d/%d grids (%d hh), planned %d grids (%d hh), bound %d hh, swaps %d, %s",
		len(s.Sites), s.Before.GridsCovered, s.Before.Grids, s.After.GridsCovered, s.After.Grids, s.After.HouseholdsCovered,
		planned.City.GridsCovered, planned.City.HouseholdsCovered, s.UpperBound, s.Swaps, s.Elapsed)
	if s.After.HouseholdsCovered <= planned.City.HouseholdsCovered {
		t.Errorf("algorithm (%d households) does not beat the planned sites (%d)", s.After.HouseholdsCovered, planned.City.HouseholdsCovered)
	}
	if s.UpperBound < s.After.HouseholdsCovered {
		t.Errorf("upper bound %d below the solution %d", s.UpperBound, s.After.HouseholdsCovered)
	}
	_ = math.Abs
	_ = data.StationBuilt
}
