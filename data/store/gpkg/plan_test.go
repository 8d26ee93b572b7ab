package gpkg_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/gpkg"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo"
	"github.com/gridmap/gridmap/geo/plan"
)

// gridSet is a fingerprint of a loaded layout: its grid codes, and whether
// every building and compound points at one of them.
func gridSet(c *data.City) (string, bool) {
	codes := map[string]bool{}
	var list []string
	for _, g := range c.Grids {
		codes[g.Code] = true
		list = append(list, g.Code)
	}
	sort.Strings(list)
	s := strings.Join(list, ",")
	for _, b := range c.Buildings {
		if !codes[b.GridCode] {
			return s, false
		}
	}
	for _, cp := range c.Compounds {
		if !codes[cp.GridCode] {
			return s, false
		}
	}
	return s, true
}

func TestApplyPlanAtomicUnderReads(t *testing.T) { applyUnderReads(t, false) }

// TestApplyPlanDeltaUnderReads writes only the changed rows.
func TestApplyPlanDeltaUnderReads(t *testing.T) { applyUnderReads(t, true) }

func applyUnderReads(t *testing.T, withDelta bool) {
	ctx := context.Background()
	city, err := synth.City(synth.Options{Seed: 1, Incidents: 500})
	if err != nil {
		t.Fatal(err)
	}
	st, err := gpkg.Open(filepath.Join(t.TempDir(), "city.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Append(ctx, city); err != nil {
		t.Fatal(err)
	}
	base, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := plan.NewModel(base)
	if err != nil {
		t.Fatal(err)
	}
	p := plan.NewPlan(m, nil)
	// Merge the first two grids of the first community with three or more.
	var keep, gone string
	for i := 0; i+2 < len(base.Grids); i++ {
		if base.Grids[i].CommunityCode == base.Grids[i+2].CommunityCode {
			for j := i + 1; j < i+3; j++ {
				if _, err := p.ApplyEdit(plan.Edit{Kind: plan.EditMerge, Grid: base.Grids[i].Code, With: base.Grids[j].Code}); err == nil {
					keep, gone = base.Grids[i].Code, base.Grids[j].Code
					break
				}
			}
			if keep != "" {
				break
			}
		}
	}
	if keep == "" {
		t.Fatal("no mergeable pair")
	}
	after, ft, err := p.City()
	if err != nil {
		t.Fatal(err)
	}
	edits, _ := json.Marshal(p.Edits)
	if err := st.SavePlan(ctx, store.PlanRecord{ID: "p1", Name: "merge", CreatedBy: "test", Edits: edits}); err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(plan.Snapshot(base))
	snap, _ := json.Marshal(plan.Snapshot(after))
	var inc []store.IncidentGrid
	for _, r := range ft.Incidents {
		inc = append(inc, store.IncidentGrid{ID: r.ID, GridCode: r.After})
	}
	oldSet, _ := gridSet(base)
	newSet, _ := gridSet(after)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads, mixed atomic.Int64
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				c, err := st.Load(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				s, ok := gridSet(c)
				if !ok || (s != oldSet && s != newSet) {
					mixed.Add(1)
				}
				reads.Add(1)
			}
		}()
	}
	var delta *store.PlanDelta
	if withDelta {
		ch := plan.ChangesOf(base, after, ft)
		delta = &store.PlanDelta{Grids: ch.Grids, Compounds: ch.Compounds, Stations: ch.Stations, Cadres: ch.Cadres}
	}
	v, err := st.ApplyPlan(ctx, store.PlanApply{PlanID: "p1", Actor: "test", City: after, Incidents: inc,
		Retired: []string{gone}, Before: before, After: snap, Summary: `{}`, Delta: delta})
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if v != 1 {
		t.Errorf("version %d, want 1", v)
	}
	if mixed.Load() > 0 {
		t.Fatalf("%d of %d reads saw a mixed layout", mixed.Load(), reads.Load())
	}
	got, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := gridSet(got); !ok || s != newSet || got.Grid(gone) != nil {
		t.Fatal("stored layout is not the plan's")
	}
	// Every row the plan touched reads back as the plan wrote it.
	if rep := geo.ValidateCity(got, geo.ValidateOptions{}); !rep.OK {
		t.Fatalf("stored city invalid: %v", rep.Problems[0])
	}
	if g := got.Grid(keep); g == nil || !reflect.DeepEqual(g.Geom, after.Grid(keep).Geom) || g.Households != after.Grid(keep).Households {
		t.Fatal("merged grid not stored as planned")
	}
	for _, cd := range after.Cadres {
		var gc []string
		for _, c := range got.Cadres {
			if c.ID == cd.ID {
				gc = c.GridCodes
			}
		}
		if !reflect.DeepEqual(gc, cd.GridCodes) {
			t.Fatalf("cadre %s: stored %v, planned %v", cd.ID, gc, cd.GridCodes)
		}
	}
	codes, _ := st.RetiredCodes(ctx)
	if len(codes) != 1 || codes[0] != gone {
		t.Errorf("retired %v", codes)
	}
	vs, _ := st.LayoutVersions(ctx)
	if len(vs) != 2 || vs[0].Version != 0 || vs[1].PlanID != "p1" {
		t.Errorf("versions %+v", vs)
	}
	v0, err := st.LayoutVersion(ctx, 0)
	if err != nil || string(v0.Snapshot) != string(before) {
		t.Errorf("version 0 not the layout before: %v", err)
	}
	// Applying again, or a plan on a stale base, or reusing a retired code, is refused.
	if _, err := st.ApplyPlan(ctx, store.PlanApply{PlanID: "p1", Actor: "test", City: after, After: snap}); !errors.Is(err, store.ErrPlanApplied) {
		t.Errorf("re-apply: %v", err)
	}
	st.SavePlan(ctx, store.PlanRecord{ID: "p2", Name: "stale", CreatedBy: "test"})
	if _, err := st.ApplyPlan(ctx, store.PlanApply{PlanID: "p2", Actor: "test", City: after, After: snap, BaseVersion: 0}); !errors.Is(err, store.ErrStalePlan) {
		t.Errorf("stale: %v", err)
	}
	if _, err := st.ApplyPlan(ctx, store.PlanApply{PlanID: "p2", Actor: "test", City: base, After: snap, BaseVersion: 1}); !errors.Is(err, store.ErrRetiredReuse) {
		t.Errorf("retired reuse: %v", err)
	}
	if err := st.SavePlan(ctx, store.PlanRecord{ID: "p1", Name: "x", CreatedBy: "test"}); !errors.Is(err, store.ErrPlanApplied) {
		t.Errorf("saving an applied plan: %v", err)
	}
}
