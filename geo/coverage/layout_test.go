package coverage

import (
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/synth"
)

// TestOnLayout: the city's own layout changes nothing; moving
// buildings between grids moves their coverage with them, and the after
// figures equal a report built from scratch on the new layout.
func TestOnLayout(t *testing.T) {
	c, err := synth.City(synth.Options{Seed: 1, Incidents: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Index(); err != nil {
		t.Fatal(err)
	}
	m := NewModel(c, Options{})
	rep := m.Report(Built(m), true)
	same, err := m.OnLayout(rep, m.City)
	if err != nil {
		t.Fatal(err)
	}
	if len(same.Grids) != 0 || same.After.GridsCovered != rep.City.GridsCovered {
		t.Fatalf("same layout: %d grids changed, %d covered after, %d before", len(same.Grids), same.After.GridsCovered, rep.City.GridsCovered)
	}
	// Move every building of an uncovered grid into a covered neighbour of
	// its community (a layout need not be valid for the count).
	after := *m.City
	after.Buildings = append([]data.Building(nil), m.City.Buildings...)
	var from, to string
	for _, g := range rep.Grids {
		if from == "" && g.GridsCovered == 0 {
			from = g.Code
		}
	}
	for _, g := range rep.Grids {
		if g.GridsCovered == 1 && m.City.Grid(g.Code).CommunityCode == m.City.Grid(from).CommunityCode {
			to = g.Code
			break
		}
	}
	if from == "" || to == "" {
		t.Skip("no uncovered grid with a covered neighbour in the demo city")
	}
	for i := range after.Buildings {
		if after.Buildings[i].GridCode == from {
			after.Buildings[i].GridCode = to
		}
	}
	ch, err := m.OnLayout(rep, &after)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Grids) != 2 || ch.Grids[0].Code != min(from, to) {
		t.Fatalf("changed grids %+v, want %s and %s", ch.Grids, from, to)
	}
	fresh := NewModel(&after, Options{}).Report(Built(m), false)
	if ch.After.GridsCovered != fresh.City.GridsCovered || ch.After.HouseholdsCovered != fresh.City.HouseholdsCovered {
		t.Errorf("after: %d grids / %d households covered, a fresh report says %d / %d",
			ch.After.GridsCovered, ch.After.HouseholdsCovered, fresh.City.GridsCovered, fresh.City.HouseholdsCovered)
	}
	if _, err := m.OnLayout(rep, &data.City{}); err == nil {
		t.Error("a city with other buildings was accepted")
	}
}
