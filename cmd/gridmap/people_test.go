package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data/people"
)

type validateOut struct {
	OK     bool           `json:"ok"`
	People *people.Report `json:"people"`
}

func validatePeople(t *testing.T, city string) (int, validateOut) {
	t.Helper()
	code, out, _ := gridmap(t, "validate", "--data", city)
	var v validateOut
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("validate output: %v\n%s", err, out)
	}
	return code, v
}

// The demo city's people keep every rule but the five deliberate
// violations, which validate reports (exit 1); the proposal fixes the
// pairings with one move, and after --apply only the other three remain.
func TestPeopleValidateAndPropose(t *testing.T) {
	city := demoCity(t)
	code, v := validatePeople(t, city)
	if code != 1 || v.OK || v.People == nil {
		t.Fatalf("validate exit %d, ok %v", code, v.OK)
	}
	want := map[string]int{people.RuleGridHead: 1, people.RuleGridWorker: 1, people.RuleCadreLoad: 1, people.RuleDistrictUnits: 2}
	for k, n := range want {
		if v.People.ByRule[k] != n {
			t.Errorf("%s: %d violations, want %d (%v)", k, v.People.ByRule[k], n, v.People.ByRule)
		}
	}
	// A looser limit of grids per cadre clears the cadre's violation.
	if _, out, _ := gridmap(t, "people", "check", "--data", city, "--max-cadre-grids", "4"); strings.Contains(out, `"cadre_load"`) {
		t.Error("--max-cadre-grids 4 still reports the cadre")
	}
	if code, _, _ := gridmap(t, "people", "check", "--data", city, "--max-cadre-grids", "0x"); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
	// The limit kept in the store: validate checks against it, a bad one
	// is refused (exit 2) and changes nothing.
	for _, bad := range []string{`{"max_grids_per_cadre":0}`, `{"max_grids":4}`, `{"max_grids_per_cadre":`, `[]`} {
		if code, _, _ := gridmap(t, "people", "rules", "--data", city, "--set", bad); code != 2 {
			t.Errorf("people rules --set %s: exit %d", bad, code)
		}
	}
	if code, _, _ := gridmap(t, "people", "rules", "--data", city, "--max-cadre-grids", "4"); code != 2 {
		t.Errorf("people rules --max-cadre-grids: exit %d", code)
	}
	rulesNow := func() people.Rules {
		t.Helper()
		code, out, errs := gridmap(t, "people", "rules", "--data", city)
		var r people.Rules
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("people rules: exit %d %s %s", code, out, errs)
		}
		return r
	}
	if r := rulesNow(); r != people.DefaultRules() {
		t.Errorf("rules after refused changes: %+v", r)
	}
	if code, _, errs := gridmap(t, "people", "rules", "--data", city, "--set", `{"max_grids_per_cadre":4}`, "--actor", "组织部"); code != 0 {
		t.Fatalf("people rules --set: exit %d %s", code, errs)
	}
	if r := rulesNow(); r.MaxGridsPerCadre != 4 || r.MinWorkersPerGrid != people.DefaultRules().MinWorkersPerGrid {
		t.Errorf("rules after --set: %+v", r)
	}
	if _, v := validatePeople(t, city); v.People.ByRule[people.RuleCadreLoad] != 0 || v.People.Rules.MaxGridsPerCadre != 4 {
		t.Errorf("validate after the store's limit of 4: %v", v.People.ByRule)
	}
	if code, _, errs := gridmap(t, "people", "rules", "--data", city, "--set", `{"max_grids_per_cadre":3}`); code != 0 {
		t.Fatalf("people rules --set back: exit %d %s", code, errs)
	}
	code, out, errs := gridmap(t, "units", "propose", "--data", city)
	var p people.Proposal
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil || len(p.Moves) != 1 || p.LowerBound != 1 {
		t.Fatalf("propose: exit %d %s %s", code, out, errs)
	}
	if code, _, errs := gridmap(t, "units", "propose", "--data", city, "--apply", "--actor", "组织部"); code != 0 {
		t.Fatalf("propose --apply: %s", errs)
	}
	_, v = validatePeople(t, city)
	if v.People.ByRule[people.RuleDistrictUnits] != 0 || len(v.People.Violations) != 3 {
		t.Errorf("after the rebalancing: %v", v.People.ByRule)
	}
}

// Every list exports and imports again unchanged, as CSV and as .xlsx; an
// edited file with a bad row is refused whole with its row and column, and
// nothing is written.
func TestPeopleListsCLI(t *testing.T) {
	city := demoCity(t)
	dir := t.TempDir()
	// (every list's round trip is data/people's TestListsRoundTrip; here
	// the command's own path, for three of them)
	for _, tc := range []struct{ list, ext string }{{"staff", "xlsx"}, {"assignments", "csv"}, {"commitments", "xlsx"}} {
		l, _ := people.ListByName(tc.list)
		for _, ext := range []string{tc.ext} {
			f := filepath.Join(dir, l.Name+"."+ext)
			if code, _, e := gridmap(t, "people", "list", "--data", city, "--list", l.Name, "--out", f, "--personal"); code != 0 {
				t.Fatalf("list %s: %s", l.Name, e)
			}
			code, out, e := gridmap(t, "people", "import", "--data", city, "--list", l.Name, "--in", f)
			if code != 0 || !strings.Contains(e, "nothing to change") {
				t.Errorf("import %s.%s: exit %d %s %s", l.Name, ext, code, out, e)
			}
		}
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("人员编号,网格编码,职责,起始日期\nC000000001,370402001016001,帮包干部,2026-11-02\nNOPE,370402001016001,网格员,2026-11-02\n"), 0o644)
	_, b1, _ := gridmap(t, "people", "list", "--data", city, "--list", "assignments")
	code, _, e := gridmap(t, "people", "import", "--data", city, "--list", "assignments", "--in", bad)
	if code != 1 || !strings.Contains(e, "row 3, column 1 (A 人员编号): staff_id: no staff NOPE") || !strings.Contains(e, "nothing was written") {
		t.Errorf("bad import: exit %d: %s", code, e)
	}
	_, b2, _ := gridmap(t, "people", "list", "--data", city, "--list", "assignments")
	if b1 != b2 {
		t.Error("a refused import changed the assignments")
	}
	if code, _, _ := gridmap(t, "people", "list", "--data", city, "--list", "nope"); code != 2 {
		t.Errorf("unknown list: exit %d", code)
	}
	// Who served a grid: today and before a hand-over.
	code, out, _ := gridmap(t, "people", "served", "--data", city, "--grid", "370402001016001", "--day", "2026-10-01")
	if code != 0 || !strings.Contains(out, "网格长") || !strings.Contains(out, "*") {
		t.Errorf("served: %d %s", code, out)
	}
	code, out, _ = gridmap(t, "people", "workload", "--data", city, "--by", "person", "--sort", "households")
	if code != 0 || strings.Count(out, "\n") < 1000 {
		t.Errorf("workload: %d, %d lines", code, strings.Count(out, "\n"))
	}
	code, out, e = gridmap(t, "people", "evaluate", "--data", city, "--year", "2026", "--actor", "组织部")
	if code != 0 || !strings.Contains(out, "evaluated") {
		t.Errorf("evaluate: %d %s %s", code, out, e)
	}
	if _, v := validatePeople(t, city); v.People.ByRule[people.RuleGradeCap] != 0 {
		t.Error("the evaluation broke the grade cap")
	}
	code, out, _ = gridmap(t, "units", "disclosure", "--data", city, "--year", "2026")
	if code != 0 || !strings.HasPrefix(strings.TrimPrefix(out, "\ufeff"), "年度,单位编码,单位名称") || strings.Count(out, "\n") < 1000 {
		t.Errorf("disclosure: %d %.200s", code, out)
	}
}
