package server

import (
	"fmt"
	"testing"

	"github.com/gridmap/gridmap/data"
)

// A plan that merges two grids lists the reassignments for review, and
// applying it writes them: the retired grid's people serve the kept grid.
func TestPlanPeopleFollowThrough(t *testing.T) {
	s, _ := planServer(t)
	_, out := planDo(t, s, "POST", "/api/v1/plans", `{"name":"merge, with its people"}`)
	id := out["id"].(string)
	c := s.Current().City
	var keep, gone string
	for i := 0; i+1 < len(c.Grids) && keep == ""; i++ {
		a, b := c.Grids[i], c.Grids[i+1]
		if a.CommunityCode != b.CommunityCode {
			continue
		}
		if code, _ := planDo(t, s, "POST", "/api/v1/plans/"+id+"/edits", fmt.Sprintf(`{"kind":"merge","grid":%q,"with":%q}`, a.Code, b.Code)); code == 200 {
			keep, gone = a.Code, b.Code
		}
	}
	if keep == "" {
		t.Fatal("no merge accepted")
	}
	code, rev := planDo(t, s, "GET", "/api/v1/plans/"+id+"/people", "")
	if code != 200 {
		t.Fatalf("review: %d %v", code, rev)
	}
	ends, starts := 0, 0
	for _, x := range rev["reassignments"].([]any) {
		x := x.(map[string]any)
		switch {
		case x["action"] == "end" && x["grid_code"] == gone:
			ends++
		case x["action"] == "start" && x["grid_code"] == keep:
			starts++
		}
		if x["name"] == "" && x["action"] != "appoint" {
			t.Errorf("a reassignment without the person's name: %v", x)
		}
	}
	if ends == 0 || starts == 0 {
		t.Fatalf("review lists %d ends in %s and %d starts in %s: %v", ends, gone, starts, keep, rev)
	}
	if code, out := planDo(t, s, "POST", "/api/v1/plans/"+id+"/apply", `{}`); code != 200 {
		t.Fatalf("apply: %d %v", code, out)
	}
	after := s.Current().City
	for _, a := range after.Assignments {
		if a.GridCode == gone && a.To.IsZero() {
			t.Errorf("assignment %s still open on the retired grid %s", a.ID, gone)
		}
	}
	n := 0
	for _, a := range after.Assignments {
		if a.GridCode == keep && a.To.IsZero() && (a.Duty == data.DutyWorker || a.Duty == data.DutyHead) {
			n++
		}
	}
	if got := 1 + len(after.Grid(keep).Team); n != got {
		t.Errorf("kept grid: %d open head/worker assignments, the card shows %d people", n, got)
	}
	if code, _ := planDo(t, s, "GET", "/api/v1/plans/"+id+"/people", ""); code != 409 {
		t.Errorf("review of an applied plan: %d", code)
	}
}
