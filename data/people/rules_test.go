package people_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
)

// The rules kept in the meta table: the defaults where it keeps none, the
// older grid-limit key under the rules kept whole; what does not parse or
// cannot hold is an error beside the defaults.
func TestRulesFromMeta(t *testing.T) {
	def := people.DefaultRules()
	with := func(f func(*people.Rules)) people.Rules { r := def; f(&r); return r }
	for _, tc := range []struct {
		name string
		meta map[string]string
		want people.Rules
		bad  bool
	}{
		{"none", nil, def, false},
		{"other keys", map[string]string{"layout_version": "3"}, def, false},
		{"older key", map[string]string{people.MetaMaxCadreGrids: "5"}, with(func(r *people.Rules) { r.MaxGridsPerCadre = 5 }), false},
		{"whole", map[string]string{people.MetaRules: `{"max_grids_per_cadre":4,"min_workers_per_grid":2}`},
			with(func(r *people.Rules) { r.MaxGridsPerCadre, r.MinWorkersPerGrid = 4, 2 }), false},
		{"whole over the older key", map[string]string{people.MetaMaxCadreGrids: "5", people.MetaRules: `{"max_grids_per_cadre":4}`},
			with(func(r *people.Rules) { r.MaxGridsPerCadre = 4 }), false},
		{"older key kept where the whole leaves it", map[string]string{people.MetaMaxCadreGrids: "5", people.MetaRules: `{"min_workers_per_grid":2}`},
			with(func(r *people.Rules) { r.MaxGridsPerCadre, r.MinWorkersPerGrid = 5, 2 }), false},
		{"range in part", map[string]string{people.MetaRules: `{"district_units_per_community":{"max":3}}`},
			with(func(r *people.Rules) { r.DistrictUnits.Max = 3 }), false},
		{"older key not a number", map[string]string{people.MetaMaxCadreGrids: "three"}, def, true},
		{"older key zero", map[string]string{people.MetaMaxCadreGrids: "0"}, def, true},
		{"whole not JSON", map[string]string{people.MetaRules: `{"max_grids_per_cadre":`}, def, true},
		{"whole unknown field", map[string]string{people.MetaRules: `{"max_grids":4}`}, def, true},
		{"whole cannot hold", map[string]string{people.MetaRules: `{"municipal_units_per_community":{"min":3,"max":1}}`}, def, true},
	} {
		r, err := people.RulesFromMeta(tc.meta)
		if (err != nil) != tc.bad || r != tc.want {
			t.Errorf("%s: %+v %v, want %+v (error %v)", tc.name, r, err, tc.want, tc.bad)
		}
	}
}

func TestRulesWith(t *testing.T) {
	base := people.DefaultRules()
	base.MaxGridsPerCadre = 4
	for _, tc := range []struct {
		body string
		max  int
		kind string // "": fine; Invalid: cannot hold; "syntax": refused as malformed
	}{
		{`{}`, 4, ""},
		{`{"max_grids_per_cadre":2}`, 2, ""},
		{` {"max_households_per_person":0} `, 4, ""},
		{`{"max_grids_per_cadre":0}`, 4, people.Invalid},
		{`{"max_households_per_person":-5}`, 4, people.Invalid},
		{`{"max_grids_per_cadre":"2"}`, 4, "syntax"},
		{`{"max_grids_per_cadre":2.5}`, 4, "syntax"},
		{`{"shoe_size":42}`, 4, "syntax"},
		{`{"max_grids_per_cadre":2}{}`, 4, "syntax"},
		{`{`, 4, "syntax"},
		{``, 4, "syntax"},
	} {
		r, err := base.With([]byte(tc.body))
		switch {
		case tc.kind == "" && err != nil, tc.kind != "" && err == nil:
			t.Errorf("%s: err %v, want %q", tc.body, err, tc.kind)
		case tc.kind == people.Invalid && people.KindOf(err) != people.Invalid, tc.kind == "syntax" && people.KindOf(err) != "":
			t.Errorf("%s: err %v (kind %q), want %q", tc.body, err, people.KindOf(err), tc.kind)
		case r.MaxGridsPerCadre != tc.max || (tc.kind != "" && r != base):
			t.Errorf("%s: %+v", tc.body, r)
		}
	}
}

// SetRules makes the change that keeps the rules in the meta table; Apply
// puts them in the city, which Check then uses.
func TestSetRules(t *testing.T) {
	c := fixture()
	cur, _ := people.RulesFromMeta(c.Meta)
	if ch, err := people.SetRules(cur, cur); err != nil || !ch.Empty() {
		t.Errorf("the same rules: %+v %v", ch, err)
	}
	bad := cur
	bad.MaxGridsPerCadre = 0
	if _, err := people.SetRules(cur, bad); people.KindOf(err) != people.Invalid {
		t.Errorf("rules that cannot hold: %v", err)
	}
	n := cur
	n.MaxGridsPerCadre = 2
	ch, err := people.SetRules(cur, n)
	if err != nil || ch.Empty() || ch.Summary()["rules"] != 1 || ch.Meta()[people.MetaRules] == "" {
		t.Fatalf("SetRules: %+v %v", ch, err)
	}
	after := ch.Apply(c, today)
	if c.Meta[people.MetaRules] != "" {
		t.Error("Apply changed the base city's meta")
	}
	r, err := people.RulesFromMeta(after.Meta)
	if err != nil || r != n {
		t.Fatalf("rules after Apply: %+v %v", r, err)
	}
	// K1 helps 3 grids: over the new limit.
	if rep := people.Check(after, today, r); rep.ByRule[people.RuleCadreLoad] != 1 {
		t.Errorf("the new limit is not checked: %v", rep.ByRule)
	}
	var m people.Change
	m.Merge(people.Change{Staff: []data.Staff{{ID: "H1"}}})
	m.Merge(ch)
	if m.Rules == nil || *m.Rules != n {
		t.Error("Merge dropped the rules")
	}
}

// The audit entry names every record and what changes, with the values
// of the office but never a name, phone or note.
func TestChangeAudit(t *testing.T) {
	c := fixture()
	h := *c.StaffByID("H1")
	h.Name, h.Phone, h.Rank, h.Note = "王一一", "13900009999", "正科级", "住院请假"
	u := c.ReportingUnits[0]
	u.Secretary, u.Phone, u.Members = "钱六", "13700007777", 31
	r := people.DefaultRules()
	r.MaxGridsPerCadre = 4
	ch := people.Change{
		Staff:       []data.Staff{h, {ID: "P000001", Name: "周八", Role: data.StaffWorker, Phone: "13812340000"}},
		Units:       []data.ReportingUnit{u},
		Assignments: []data.Assignment{{ID: "A000099", StaffID: "P000001", GridCode: "370402001001001", Duty: data.DutyWorker, From: today}},
		Rules:       &r,
	}
	a := ch.Audit(c)
	all := fmt.Sprint(a)
	for _, secret := range []string{"王一", "13900009999", "13812345678", "住院", "周八", "13812340000", "钱六", "13700007777"} {
		if strings.Contains(all, secret) {
			t.Errorf("the audit detail holds %q: %s", secret, all)
		}
	}
	for _, want := range []string{"H1 head: name changed", "rank 副科级→正科级", "phone changed", "note changed", "P000001 worker: new",
		"U1: members 30→31, secretary changed", "A000099 P000001 worker 370402001001001 2026-06-01..", "max_grids_per_cadre 4"} {
		if !strings.Contains(all, want) {
			t.Errorf("the audit detail lacks %q: %s", want, all)
		}
	}
	if got := (people.Change{Staff: []data.Staff{*c.StaffByID("H2")}}).Audit(c); got[data.LayerStaff][0] != "H2 head: unchanged" {
		t.Errorf("an unchanged record: %v", got)
	}
}

func ExampleRulesFromMeta() {
	r, err := people.RulesFromMeta(map[string]string{people.MetaRules: `{"max_grids_per_cadre":4}`})
	fmt.Println(r.MaxGridsPerCadre, r.MinWorkersPerGrid, r.DistrictUnits, err)
	_, err = people.RulesFromMeta(map[string]string{people.MetaRules: `{"max_grids_per_cadre":0}`})
	fmt.Println(err)
	// Output:
	// 4 1 1–2 <nil>
	// meta people.rules: rules: max_grids_per_cadre must be at least 1
}

func ExampleRules_With() {
	r, err := people.DefaultRules().With([]byte(`{"district_units_per_community":{"max":3}}`))
	fmt.Println(r.DistrictUnits, r.MaxGridsPerCadre, err)
	// Output: 1–3 3 <nil>
}
