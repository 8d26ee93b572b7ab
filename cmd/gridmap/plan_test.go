package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestPlanCommands(t *testing.T) {
	city := demoCity(t)
	code, out, e := gridmap(t, "plan", "measures", "--data", city)
	if code != 0 || !strings.Contains(out, "grids  1230") {
		t.Fatalf("measures: exit %d\n%s%s", code, out, e)
	}
	code, out, _ = gridmap(t, "plan", "measures", "--data", city, "--level", "community", "--json")
	var rep struct {
		Communities []map[string]any `json:"communities"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Communities) != 206 {
		t.Fatalf("measures --json: exit %d", code)
	}
	for _, bad := range [][]string{{"plan"}, {"plan", "nope"}, {"plan", "measures", "--level", "x"}, {"plan", "apply", "--data", city}} {
		if code, _, _ := gridmap(t, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	// Propose for one street, save, apply; a second apply is refused.
	code, out, e = gridmap(t, "plan", "propose", "--data", city, "--street", "370402001", "--budget", "3s", "--save", "--name", "street 1")
	if code != 0 {
		t.Fatalf("propose: exit %d\n%s%s", code, out, e)
	}
	id := regexp.MustCompile(`saved as plan (P\w+)`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no plan id in\n%s", out)
	}
	code, out, e = gridmap(t, "plan", "apply", "--data", city, "--plan", id[1], "--actor", "test")
	if code != 0 || !strings.Contains(out, "layout version 1") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, e)
	}
	if code, _, _ := gridmap(t, "validate", "--data", city, "--no-people"); code != 0 {
		t.Errorf("validate after apply: exit %d", code)
	}
	if code, _, _ := gridmap(t, "plan", "apply", "--data", city, "--plan", id[1]); code == 0 {
		t.Error("second apply accepted")
	}
	code, out, _ = gridmap(t, "plan", "measures", "--data", city, "--version", "0")
	if code != 0 || !strings.Contains(out, "grids  1230") {
		t.Errorf("measures --version 0: exit %d\n%s", code, out)
	}
}

// TestPlanProposeReport: propose prints the before/after table with the
// households and compounds moved, grids touched and the bound, lists the
// reassignments per move, gives one plan for one seed and step count, and
// refuses bad search flags with exit 2; eval prints the same table.
func TestPlanProposeReport(t *testing.T) {
	city := demoCity(t)
	fp := regexp.MustCompile(`plan ([0-9a-f]{16})`)
	var plans []string
	for range 2 {
		code, out, e := gridmap(t, "plan", "propose", "--data", city, "--street", "370402001", "--seed", "4", "--steps", "60000", "--moves")
		if code != 0 {
			t.Fatalf("propose: exit %d\n%s%s", code, out, e)
		}
		for _, want := range []string{"households moved", "compounds moved", "grids touched", "lower bound on households moved", "× the bound", "leave: grid_head", "join:  grid_head", "60000 of 60000 steps"} {
			if !strings.Contains(out, want) {
				t.Fatalf("propose output lacks %q:\n%s", want, out)
			}
		}
		m := fp.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no plan fingerprint in\n%s", out)
		}
		plans = append(plans, m[1])
	}
	if plans[0] != plans[1] {
		t.Errorf("same seed and steps, two plans: %v", plans)
	}
	for _, bad := range [][]string{{"--steps", "-1"}, {"--disruption", "-3"}, {"--budget", "0s"}, {"--steps", "x"}} {
		args := append([]string{"plan", "propose", "--data", city, "--street", "370402001"}, bad...)
		if code, _, _ := gridmap(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	code, out, e := gridmap(t, "plan", "eval", "--steps", "200000")
	if code != 0 || !regexp.MustCompile(`(?m)^\s+after\s+1230\s`).MatchString(out) || !strings.Contains(out, "households moved ≤ 2× the bound") {
		t.Fatalf("eval: exit %d\n%s%s", code, out, e)
	}
}
