package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/store"
)

func init() {
	extraCases = append(extraCases, contractCase{"People", testPeople})
}

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// PeopleCity is SmallCity with people records in every people table.
func PeopleCity() *data.City {
	c := SmallCity()
	g1, g2 := c.Grids[0].Code, c.Grids[1].Code
	c.Staff = []data.Staff{
		{ID: "H1", Name: "张伟", Role: data.StaffHead, Phone: "13812345678", Title: "网格党支部书记", CommunityCode: "370402001013", Joined: day(2023, 1, 1)},
		{ID: "H2", Name: "赵敏", Role: data.StaffHead, Joined: day(2023, 1, 1)},
		{ID: "W1", Name: "李娜", Role: data.StaffWorker, Phone: "13900001111", Title: "专职网格员", Unit: "光明路社区居委会", Joined: day(2022, 5, 1)},
		{ID: "C1", Name: "王强", Role: data.StaffCadre, Unit: "市中区民政局", Rank: "副科级", Phone: "0632-3311234", Joined: day(2024, 2, 29)},
		{ID: "L1", Name: "孙一", Role: data.StaffLeader, Unit: "市中区委", Rank: "正处级", Joined: day(2020, 1, 1), Retired: day(2030, 1, 1), Note: "联系点"},
	}
	c.Assignments = []data.Assignment{
		{ID: "A1", StaffID: "H1", GridCode: g1, Duty: data.DutyHead, From: day(2023, 1, 1)},
		{ID: "A2", StaffID: "H2", GridCode: g2, Duty: data.DutyHead, From: day(2023, 1, 1)},
		{ID: "A3", StaffID: "W1", GridCode: g1, Duty: data.DutyWorker, From: day(2022, 5, 1), To: day(2023, 5, 1), Note: "调整"},
		{ID: "A4", StaffID: "W1", GridCode: g2, Duty: data.DutyWorker, From: day(2023, 5, 1)},
		{ID: "A5", StaffID: "C1", GridCode: g1, Duty: data.DutyCadre, From: day(2024, 3, 1)},
	}
	for i := range c.ReportingUnits {
		c.ReportingUnits[i].DistrictCode, c.ReportingUnits[i].Secretary, c.ReportingUnits[i].Phone, c.ReportingUnits[i].Note = "370402", "周书记", "0632-1234567", "备注"
	}
	u := c.ReportingUnits[0].Code
	c.Pairings = []data.Pairing{{ID: "B1", UnitCode: u, CommunityCode: "370402001013", From: day(2024, 3, 1), Note: "结对"}}
	c.Commitments = []data.Commitment{{ID: "Y1", UnitCode: u, CommunityCode: "370402001013", Year: 2026, Title: "修缮健身器材", Status: data.CommitInProgress,
		Evidence:  []data.Evidence{{At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), By: "组织部", Text: "已采购"}},
		UpdatedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	c.Evaluations = []data.Evaluation{{ID: "E1", Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402001", Incidents: 12, OnTimeShare: 0.75,
		ReopenRate: 0.083, Score: 82.5, Grade: data.GradeGood, Comment: "良好", At: time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC), By: "组织部"}}
	c.ContactPoints = []data.ContactPoint{{ID: "K1", StaffID: "L1", CommunityCode: "370402001013", From: day(2021, 1, 1)}}
	return c
}

func peopleOf(c *data.City) []any {
	return []any{c.Staff, c.Assignments, c.Pairings, c.Commitments, c.Evaluations, c.ContactPoints}
}

func testPeople(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t, fixed)
	want := PeopleCity()
	if err := st.Append(ctx, want); err != nil {
		t.Fatal(err)
	}
	got := load(t, st)
	names := []string{"staff", "assignments", "pairings", "commitments", "evaluations", "contact points"}
	for i, g := range peopleOf(got) {
		if w := peopleOf(want)[i]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", names[i], g, w)
		}
	}
	u := got.ReportingUnits[0]
	if u.DistrictCode != "370402" || u.Secretary != "周书记" || u.Phone != "0632-1234567" || u.Note != "备注" {
		t.Errorf("unit details %+v", u)
	}
	// What the grids show is derived from the records as of today.
	if got.Grids[0].Head.Name != "张伟" || len(got.Grids[0].Team) != 0 || len(got.Grids[1].Team) != 1 || got.Grids[1].Team[0].Name != "李娜" {
		t.Errorf("derived grids: %+v / %+v", got.Grids[0], got.Grids[1])
	}
	if len(got.Cadres) != 1 || !reflect.DeepEqual(got.Cadres[0].GridCodes, []string{want.Grids[0].Code}) {
		t.Errorf("derived cadres %+v", got.Cadres)
	}
	if !reflect.DeepEqual(u.CommunityCodes, []string{"370402001013"}) {
		t.Errorf("derived unit communities %v", u.CommunityCodes)
	}

	// An edit replaces records by id and adds new ones, with its audit entry.
	h1 := want.Staff[0]
	h1.Phone = "13700000000"
	end := want.Assignments[0]
	end.To = day(2026, 1, 1)
	u.Members, u.Secretary = 99, "吴书记"
	ch := people.Change{
		Staff:       []data.Staff{h1, {ID: "H3", Name: "钱七", Role: data.StaffHead, Joined: day(2025, 12, 1)}},
		Assignments: []data.Assignment{end, {ID: "A6", StaffID: "H3", GridCode: want.Grids[0].Code, Duty: data.DutyHead, From: day(2026, 1, 1)}},
		Units:       []data.ReportingUnit{u},
	}
	if err := st.(store.PeopleStore).WritePeople(ctx, ch, data.AuditEntry{Actor: "组织部 (tk_1)", Action: "people.assign", Target: "grid " + want.Grids[0].Code, Detail: `{"assignments":2}`}); err != nil {
		t.Fatal(err)
	}
	got = load(t, st)
	if len(got.Staff) != 6 || got.Staff[0].Phone != "13700000000" || len(got.Assignments) != 6 || !got.Assignments[0].To.Equal(day(2026, 1, 1)) {
		t.Errorf("after the edit: %d staff (%+v), %d assignments", len(got.Staff), got.Staff[0], len(got.Assignments))
	}
	if got.Grids[0].Head.Name != "钱七" {
		t.Errorf("the new head does not show: %+v", got.Grids[0].Head)
	}
	if got.ReportingUnits[0].Members != 99 || got.ReportingUnits[0].Secretary != "吴书记" || len(got.ReportingUnits) != len(want.ReportingUnits) {
		t.Errorf("unit after the edit: %+v", got.ReportingUnits[0])
	}
	au, err := st.Audit(ctx, 1)
	if err != nil || len(au) != 1 || au[0].Action != "people.assign" {
		t.Errorf("audit %+v %v", au, err)
	}

	// The rules go to the meta table with the change that sets them.
	rules := people.DefaultRules()
	rules.MaxGridsPerCadre = 5
	if err := st.(store.PeopleStore).WritePeople(ctx, people.Change{Rules: &rules}, data.AuditEntry{Actor: "组织部 (tk_1)", Action: "people.rules", Target: "rules"}); err != nil {
		t.Fatal(err)
	}
	got = load(t, st)
	if r, err := people.RulesFromMeta(got.Meta); err != nil || r != rules {
		t.Errorf("rules after the write: %+v %v (meta %v)", r, err, got.Meta)
	}

	// A change with a bad record writes nothing, not even its good ones.
	before := load(t, st)
	bad := people.Change{
		Staff:       []data.Staff{{ID: "H9", Name: "好人", Role: data.StaffHead, Joined: day(2026, 1, 1)}, {ID: "H10", Name: "无入职日期", Role: data.StaffHead}},
		Assignments: []data.Assignment{{ID: "A9", StaffID: "H9", GridCode: want.Grids[1].Code, Duty: data.DutyWorker, From: day(2026, 1, 1)}},
	}
	if err := st.(store.PeopleStore).WritePeople(ctx, bad, data.AuditEntry{Actor: "x", Action: "people.bad"}); err == nil {
		t.Fatal("a staff record without its first day was written")
	}
	after := load(t, st)
	for i, g := range peopleOf(after) {
		if !reflect.DeepEqual(g, peopleOf(before)[i]) {
			t.Errorf("%s changed by a refused write", names[i])
		}
	}
	if au, _ := st.Audit(ctx, 1); au[0].Action == "people.bad" {
		t.Error("a refused write left an audit entry")
	}
	if err := st.(store.PeopleStore).WritePeople(ctx, people.Change{Staff: []data.Staff{h1}}, data.AuditEntry{}); err == nil {
		t.Error("a write without an actor was accepted")
	}
}
