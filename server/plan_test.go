package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo/plan"
	"github.com/paulmach/orb"
)

const plannerToken = "planner-secret"

func planServer(t *testing.T) (*Server, store.Store) {
	t.Helper()
	c, err := synth.City(synth.Options{Seed: 1, Incidents: 200})
	if err != nil {
		t.Fatal(err)
	}
	st, err := backends.Create(context.Background(), filepath.Join(t.TempDir(), "city.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Append(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), Config{Store: st, PersonalTokens: []string{plannerToken}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, st
}

func planDo(t *testing.T, s *Server, method, url, body string) (int, map[string]any) {
	t.Helper()
	w := do(t, s, method, url, "application/json", body, "Authorization", "Bearer "+plannerToken)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %.200s", method, url, w.Code, w.Body.String())
	}
	return w.Code, out
}

func TestPlanAPI(t *testing.T) {
	s, _ := planServer(t)
	// Measures at every level.
	for _, lvl := range []string{"grid", "community", "city"} {
		code, out := planDo(t, s, "GET", "/api/v1/plan/measures?level="+lvl, "")
		if code != 200 || out["summary"] == nil {
			t.Fatalf("measures %s: %d %v", lvl, code, out)
		}
	}
	// Grid measures carry the coverage engine's station reach: as many
	// covered grids as /api/v1/coverage counts.
	_, gm := planDo(t, s, "GET", "/api/v1/plan/measures?level=grid", "")
	_, cityCov := planDo(t, s, "GET", "/api/v1/coverage?level=city", "")
	covered := 0
	for _, g := range gm["grids"].([]any) {
		g := g.(map[string]any)
		if _, ok := g["station_reach_share"].(float64); !ok {
			t.Fatalf("grid %v has no station reach", g["code"])
		}
		if g["station_covered"] == true {
			covered++
		}
	}
	if want := cityCov["city"].(map[string]any)["grids_covered"].(float64); float64(covered) != want {
		t.Errorf("plan measures count %d covered grids, /api/v1/coverage %v", covered, want)
	}
	for _, bad := range []string{"level=x", "tolerance=abc", "version=x", "version=5", "at=yesterday"} {
		code, out := planDo(t, s, "GET", "/api/v1/plan/measures?"+bad, "")
		if code < 400 || code >= 500 || out["error"] == nil {
			t.Errorf("measures?%s: %d %v", bad, code, out)
		}
	}
	// Writes need the planner role.
	if w := do(t, s, "POST", "/api/v1/plans", "application/json", `{"name":"x"}`); w.Code != http.StatusUnauthorized {
		t.Errorf("anonymous create: %d", w.Code)
	}
	for _, bad := range []string{``, `{`, `{"name":""}`, `{"name":"x","nope":1}`, `[]`} {
		if code, _ := planDo(t, s, "POST", "/api/v1/plans", bad); code != http.StatusBadRequest {
			t.Errorf("create %q: %d", bad, code)
		}
	}
	code, out := planDo(t, s, "POST", "/api/v1/plans", `{"name":"merge two grids"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	id := out["id"].(string)
	sn := s.Current()
	c := sn.City
	// A merge of two neighbouring grids, found by trying.
	var keep, gone string
	for i := 0; i+1 < len(c.Grids) && keep == ""; i++ {
		a, b := c.Grids[i], c.Grids[i+1]
		if a.CommunityCode != b.CommunityCode {
			continue
		}
		code, _ := planDo(t, s, "POST", "/api/v1/plans/"+id+"/edits", fmt.Sprintf(`{"kind":"merge","grid":%q,"with":%q}`, a.Code, b.Code))
		if code == 200 {
			keep, gone = a.Code, b.Code
		}
	}
	if keep == "" {
		t.Fatal("no merge accepted")
	}
	// Refusals come back as 422 with the reason.
	code, out = planDo(t, s, "POST", "/api/v1/plans/"+id+"/edits", fmt.Sprintf(`{"kind":"merge","grid":%q,"with":%q}`, keep, gone))
	if code != http.StatusUnprocessableEntity || out["reason"] != plan.ReasonRetiredCode {
		t.Errorf("merge again: %d %v", code, out)
	}
	code, out = planDo(t, s, "POST", "/api/v1/plans/"+id+"/edits", `{"kind":"explode"}`)
	if code != http.StatusUnprocessableEntity || out["reason"] != plan.ReasonBadEdit {
		t.Errorf("bad kind: %d %v", code, out)
	}
	if code, _ = planDo(t, s, "POST", "/api/v1/plans/nope/edits", `{"kind":"move"}`); code != http.StatusNotFound {
		t.Errorf("unknown plan: %d", code)
	}
	// A proposal for the community.
	code, out = planDo(t, s, "POST", "/api/v1/plans/"+id+"/propose", fmt.Sprintf(`{"communities":[%q],"seed":1,"budget_ms":2000}`, c.Grid(keep).CommunityCode))
	if code != 200 || out["proposal"] == nil {
		t.Fatalf("propose: %d %v", code, out)
	}
	if code, _ = planDo(t, s, "POST", "/api/v1/plans/"+id+"/propose", `{"communities":["x"]}`); code != http.StatusUnprocessableEntity {
		t.Errorf("propose unknown community: %d", code)
	}
	// The diff is GeoJSON with both sides.
	code, out = planDo(t, s, "GET", "/api/v1/plans/"+id+"/diff", "")
	if code != 200 || out["type"] != "FeatureCollection" || len(out["features"].([]any)) == 0 || out["follow_through"] == nil {
		t.Fatalf("diff: %d %v", code, out["type"])
	}
	// … and the plan's effect on station coverage, from the same figures
	// as /api/v1/coverage.
	cov, _ := out["coverage"].(map[string]any)
	if cov == nil {
		t.Fatal("diff without the coverage effect")
	}
	_, city := planDo(t, s, "GET", "/api/v1/coverage?level=city", "")
	before := cov["before"].(map[string]any)
	if want := city["city"].(map[string]any)["grids_covered"]; before["grids_covered"] != want {
		t.Errorf("coverage before the plan: %v grids, /api/v1/coverage says %v", before["grids_covered"], want)
	}
	if after := cov["after"].(map[string]any); after["grids"] == nil || after["grids_covered"] == nil {
		t.Errorf("coverage after the plan: %v", after)
	}
	// Apply while readers hammer the grids layer: every read sees one
	// whole layout, old or new.
	oldN := len(c.Grids)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var mixed, reads atomic.Int64
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				sn := s.Current()
				codes := map[string]bool{}
				for _, g := range sn.City.Grids {
					codes[g.Code] = true
				}
				for _, b := range sn.City.Buildings {
					if !codes[b.GridCode] {
						mixed.Add(1)
						break
					}
				}
				if n := len(sn.City.Grids); n != oldN && n != oldN-1 {
					mixed.Add(1)
				}
				reads.Add(1)
			}
		}()
	}
	code, out = planDo(t, s, "POST", "/api/v1/plans/"+id+"/apply", "")
	stop.Store(true)
	wg.Wait()
	if code != 200 || out["version"].(float64) != 1 {
		t.Fatalf("apply: %d %v", code, out)
	}
	if mixed.Load() > 0 {
		t.Fatalf("%d of %d reads saw a mixed layout", mixed.Load(), reads.Load())
	}
	if s.Current().City.Grid(gone) != nil || len(s.Current().City.Grids) != oldN-1 {
		t.Fatal("snapshot not swapped to the plan")
	}
	if code, _ = planDo(t, s, "POST", "/api/v1/plans/"+id+"/apply", ""); code != http.StatusConflict {
		t.Errorf("apply twice: %d", code)
	}
	// The previous version stays queryable.
	code, out = planDo(t, s, "GET", "/api/v1/plan/measures?level=city&version=0", "")
	if code != 200 || out["summary"].(map[string]any)["grids"].(float64) != float64(oldN) {
		t.Fatalf("measures at version 0: %d %v", code, out["summary"])
	}
	code, out = planDo(t, s, "GET", "/api/v1/plan/diff?from=0&to=1", "")
	if code != 200 || len(out["features"].([]any)) == 0 {
		t.Fatalf("version diff: %d", code)
	}
	// Revert by a new plan: the old outlines come back exactly.
	code, out = planDo(t, s, "POST", "/api/v1/plans", `{"name":"revert","revert_to":0}`)
	if code != http.StatusCreated {
		t.Fatalf("revert plan: %d %v", code, out)
	}
	rid := out["id"].(string)
	if code, out = planDo(t, s, "POST", "/api/v1/plans/"+rid+"/apply", ""); code != 200 {
		t.Fatalf("apply revert: %d %v", code, out)
	}
	now := s.Current().City
	if len(now.Grids) != oldN {
		t.Fatalf("%d grids after revert, want %d", len(now.Grids), oldN)
	}
	for _, g := range c.Grids {
		if g.Code == gone {
			continue
		}
		if ng := now.Grid(g.Code); ng == nil || !samePoly(ng.Geom[0], g.Geom[0]) {
			t.Fatalf("grid %s not restored exactly", g.Code)
		}
	}
	if now.Grid(gone) != nil {
		t.Error("retired code reused by the revert")
	}
	code, out = planDo(t, s, "GET", "/api/v1/plan/versions", "")
	if code != 200 || len(out["versions"].([]any)) != 3 {
		t.Errorf("versions: %d %v", code, out)
	}
}

func samePoly(a, b orb.Ring) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPlanProposeDisruption: the proposal API reports households and
// compounds moved, grids touched, the lower bound and the ratio, lists
// each move's reassignments, gives the same plan for the same seed and
// steps, and refuses bad search parameters without touching the plan.
func TestPlanProposeDisruption(t *testing.T) {
	s, _ := planServer(t)
	c := s.Current().City
	street := c.Communities[0].StreetCode
	newPlan := func() string {
		code, out := planDo(t, s, "POST", "/api/v1/plans", `{"name":"disruption"}`)
		if code != http.StatusCreated {
			t.Fatalf("create: %d %v", code, out)
		}
		return out["id"].(string)
	}
	body := fmt.Sprintf(`{"street":%q,"seed":2,"steps":100000,"disruption":20}`, street)
	var fps []string
	for range 2 {
		id := newPlan()
		code, out := planDo(t, s, "POST", "/api/v1/plans/"+id+"/propose", body)
		if code != 200 {
			t.Fatalf("propose: %d %v", code, out)
		}
		pr := out["proposal"].(map[string]any)
		d := pr["disruption"].(map[string]any)
		bound := d["bound"].(map[string]any)
		moves := pr["moves"].([]any)
		if len(moves) == 0 || d["households_moved"] != pr["moved_households"] || d["compounds_moved"] != float64(len(moves)) ||
			d["grids_touched"].(float64) < 2 || bound["households"].(float64) <= 0 || d["ratio_to_bound"].(float64) <= 0 {
			t.Fatalf("disruption %v, bound %v, %d moves", d, bound, len(moves))
		}
		if pr["steps"] != float64(100000) || pr["step_budget"] != float64(100000) || pr["fingerprint"] == "" {
			t.Errorf("steps %v of %v, fingerprint %v", pr["steps"], pr["step_budget"], pr["fingerprint"])
		}
		mv := moves[0].(map[string]any)
		re, _ := mv["reassign"].(map[string]any)
		if re == nil || len(re["before"].([]any)) == 0 || len(re["after"].([]any)) == 0 {
			t.Fatalf("move without reassignments: %v", mv)
		}
		head := re["before"].([]any)[0].(map[string]any)
		if g := c.Grid(mv["from"].(string)); head["role"] != plan.RoleGridHead || head["name"] == g.Head.Name || head["phone"] != nil {
			t.Errorf("the head of %s listed as %v (name %q must be masked, no phone)", g.Code, head, g.Head.Name)
		}
		fps = append(fps, pr["fingerprint"].(string))
	}
	if fps[0] != fps[1] {
		t.Errorf("same seed and steps, two plans: %v", fps)
	}
	id := newPlan()
	for _, bad := range []string{`{"steps":-1}`, `{"steps":10000000000}`, `{"disruption":-1}`, `{"disruption":"x"}`, `{"steps":1.5}`, `{"compact":-2}`} {
		if code, out := planDo(t, s, "POST", "/api/v1/plans/"+id+"/propose", bad); code != http.StatusBadRequest || out["error"] == nil {
			t.Errorf("%s: %d %v, want 400 with an error", bad, code, out)
		}
	}
	if code, out := planDo(t, s, "GET", "/api/v1/plans/"+id, ""); code != 200 || len(out["edits"].([]any)) != 0 {
		t.Errorf("refused proposals changed the plan: %d %v", code, out["edits"])
	}
}
