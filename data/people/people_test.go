package people_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

var (
	d0    = day(2024, 1, 1)
	today = day(2026, 6, 1)
	rules = people.DefaultRules()
)

// fixture is a small city that keeps every rule on today: district D1
// with streets S1 (communities C1, C2) and S2 (C3); grids G11, G12 in C1,
// G21 in C2, G31 in C3; every grid a head and a worker; cadres K1 (3
// grids), K2 (1); district units U1..U4 and municipal units M1, M2; one
// leader with a contact point; street secretaries X1, X2.
func fixture() *data.City {
	c := &data.City{
		Districts: []data.District{{Code: "370402", Name: "市中区"}, {Code: "370403", Name: "薛城区"}},
		Streets: []data.Street{
			{Code: "370402001", Name: "中心街街道", DistrictCode: "370402"},
			{Code: "370402002", Name: "光明路街道", DistrictCode: "370402"},
			{Code: "370403001", Name: "临城街道", DistrictCode: "370403"},
		},
		Communities: []data.Community{
			{Code: "370402001001", Name: "青檀社区", StreetCode: "370402001", DistrictCode: "370402"},
			{Code: "370402001002", Name: "文化社区", StreetCode: "370402001", DistrictCode: "370402"},
			{Code: "370402002001", Name: "振兴社区", StreetCode: "370402002", DistrictCode: "370402"},
			{Code: "370403001001", Name: "临山社区", StreetCode: "370403001", DistrictCode: "370403"},
		},
	}
	grid := func(comm string, n int, hh int) data.Grid {
		cm := c.Communities[slices.IndexFunc(c.Communities, func(x data.Community) bool { return x.Code == comm })]
		return data.Grid{Code: fmt.Sprintf("%s%03d", comm, n), Name: fmt.Sprintf("%s第%d网格", cm.Name, n),
			CommunityCode: comm, StreetCode: cm.StreetCode, DistrictCode: cm.DistrictCode, Households: hh, Population: hh * 3}
	}
	c.Grids = []data.Grid{grid("370402001001", 1, 400), grid("370402001001", 2, 500), grid("370402001002", 1, 600), grid("370402002001", 1, 700), grid("370403001001", 1, 300)}
	st := func(id, role, name string) data.Staff {
		return data.Staff{ID: id, Name: name, Role: role, Unit: "市中区民政局", Rank: "副科级", Phone: "13812345678", Joined: d0}
	}
	c.Staff = []data.Staff{
		st("H1", data.StaffHead, "王一"), st("H2", data.StaffHead, "王二"), st("H3", data.StaffHead, "王三"), st("H4", data.StaffHead, "王四"), st("H5", data.StaffHead, "王五"),
		st("W1", data.StaffWorker, "李一"), st("W2", data.StaffWorker, "李二"), st("W3", data.StaffMember, "李三"),
		st("K1", data.StaffCadre, "张一"), st("K2", data.StaffCadre, "张二"),
		st("L1", data.StaffLeader, "赵一"),
		{ID: "X1", Name: "孙一", Role: data.StaffSecretary, StreetCode: "370402001", Joined: d0},
		{ID: "X2", Name: "孙二", Role: data.StaffSecretary, StreetCode: "370402002", Joined: d0},
	}
	n := 0
	as := func(staff, grid, duty string) data.Assignment {
		n++
		return data.Assignment{ID: fmt.Sprintf("A%06d", n), StaffID: staff, GridCode: grid, Duty: duty, From: d0}
	}
	g := func(i int) string { return c.Grids[i].Code }
	c.Assignments = []data.Assignment{
		as("H1", g(0), data.DutyHead), as("H2", g(1), data.DutyHead), as("H3", g(2), data.DutyHead), as("H4", g(3), data.DutyHead), as("H5", g(4), data.DutyHead),
		as("W1", g(0), data.DutyWorker), as("W1", g(1), data.DutyWorker), as("W2", g(2), data.DutyWorker), as("W3", g(3), data.DutyWorker), as("W2", g(4), data.DutyWorker),
		as("K1", g(0), data.DutyCadre), as("K1", g(1), data.DutyCadre), as("K1", g(2), data.DutyCadre), as("K2", g(3), data.DutyCadre),
	}
	c.ReportingUnits = []data.ReportingUnit{
		{Code: "U1", Name: "市中区民政局机关党委", Level: data.UnitDistrict, DistrictCode: "370402", Members: 30},
		{Code: "U2", Name: "市中区财政局机关党委", Level: data.UnitDistrict, DistrictCode: "370402", Members: 25},
		{Code: "U3", Name: "市中区教育局机关党委", Level: data.UnitDistrict, DistrictCode: "370402", Members: 40},
		{Code: "U4", Name: "薛城区民政局机关党委", Level: data.UnitDistrict, DistrictCode: "370403", Members: 20},
		{Code: "M1", Name: "枣庄市委组织部机关党委", Level: data.UnitMunicipal, Members: 60},
		{Code: "M2", Name: "枣庄市民政局机关党委", Level: data.UnitMunicipal, Members: 50},
	}
	pn := 0
	pr := func(unit, comm string) data.Pairing {
		pn++
		return data.Pairing{ID: fmt.Sprintf("B%06d", pn), UnitCode: unit, CommunityCode: comm, From: d0}
	}
	c.Pairings = []data.Pairing{
		pr("U1", "370402001001"), pr("U2", "370402001002"), pr("U3", "370402002001"), pr("U4", "370403001001"),
		pr("M1", "370402001001"), pr("M1", "370402001002"), pr("M2", "370402002001"), pr("M2", "370403001001"),
	}
	c.ContactPoints = []data.ContactPoint{{ID: "K000001", StaffID: "L1", CommunityCode: "370402001001", From: d0}}
	if err := c.Index(); err != nil {
		panic(err)
	}
	c.DeriveStaffing(today)
	return c
}

func TestFixtureHolds(t *testing.T) {
	rep := people.Check(fixture(), today, rules)
	if !rep.OK {
		t.Fatalf("fixture breaks rules: %+v", rep.Violations)
	}
	if rep.Counts["assignments_active"] != 14 || rep.Counts["pairings_active"] != 8 || rep.Counts["contact_points_active"] != 1 {
		t.Errorf("counts %v", rep.Counts)
	}
}

// Each case breaks one rule of the fixture and expects exactly that
// violation.
func TestCheckRules(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(c *data.City)
		rule    string
		subject string
	}{
		{"grid without head", func(c *data.City) { c.Assignments[0].To = day(2026, 1, 1) }, people.RuleGridHead, "370402001001001"},
		{"head retired", func(c *data.City) {
			c.Staff[0].Retired = day(2026, 1, 1)
			c.Assignments[0].To = day(2026, 1, 1)
		}, people.RuleGridHead, "370402001001001"},
		{"two heads", func(c *data.City) {
			c.Assignments = append(c.Assignments, data.Assignment{ID: "A9", StaffID: "H2", GridCode: "370402001001001", Duty: data.DutyHead, From: d0})
		}, people.RuleGridHead, "370402001001001"},
		{"grid without worker", func(c *data.City) { c.Assignments[8].To = day(2026, 1, 1) }, people.RuleGridWorker, "370402002001001"},
		{"cadre over the limit", func(c *data.City) {
			c.Assignments = append(c.Assignments, data.Assignment{ID: "A9", StaffID: "K1", GridCode: "370402002001001", Duty: data.DutyCadre, From: d0})
		}, people.RuleCadreLoad, "K1"},
		{"assignment to unknown staff", func(c *data.City) { c.Assignments[13].StaffID = "NOPE" }, people.RuleAssignment, "A000014"},
		{"duty not fitting role", func(c *data.City) {
			c.Assignments = append(c.Assignments, data.Assignment{ID: "A9", StaffID: "K2", GridCode: "370402002001001", Duty: data.DutyWorker, From: d0})
		}, people.RuleAssignment, "A9"},
		{"assignment to a retired grid", func(c *data.City) {
			c.Assignments = append(c.Assignments, data.Assignment{ID: "A9", StaffID: "K2", GridCode: "370402002001099", Duty: data.DutyCadre, From: d0})
		}, people.RuleAssignment, "A9"},
		{"assignment ends before it starts", func(c *data.City) {
			c.Assignments = append(c.Assignments, data.Assignment{ID: "A9", StaffID: "K2", GridCode: "370402002001001", Duty: data.DutyCadre, From: d0, To: d0})
		}, people.RuleAssignment, "A9"},
		{"assignment past retirement", func(c *data.City) { c.Staff[9].Retired = day(2027, 1, 1) }, people.RuleAssignment, "A000014"},
		{"same duty twice", func(c *data.City) {
			c.Assignments = append(c.Assignments, data.Assignment{ID: "A9", StaffID: "K2", GridCode: c.Assignments[13].GridCode, Duty: data.DutyCadre, From: day(2025, 1, 1), To: day(2025, 6, 1)})
		}, people.RuleAssignment, "A9"},
		{"community with 3 district units", func(c *data.City) {
			c.Pairings = append(c.Pairings, data.Pairing{ID: "B9", UnitCode: "U3", CommunityCode: "370402001001", From: d0},
				data.Pairing{ID: "B10", UnitCode: "U2", CommunityCode: "370402001001", From: d0})
		}, people.RuleDistrictUnits, "370402001001"},
		{"community without district unit", func(c *data.City) { c.Pairings[1].To = day(2026, 1, 1) }, people.RuleDistrictUnits, "370402001002"},
		{"community without municipal unit", func(c *data.City) { c.Pairings[7].To = day(2026, 1, 1) }, people.RuleMunicipalUnits, "370403001001"},
		{"district unit in another district", func(c *data.City) { c.Pairings[3].UnitCode = "U3" }, people.RulePairing, "B000004"},
		{"pairing to a missing community", func(c *data.City) {
			c.Pairings = append(c.Pairings, data.Pairing{ID: "B9", UnitCode: "U4", CommunityCode: "370403001999", From: d0})
		}, people.RulePairing, "B9"},
		{"two contact points", func(c *data.City) {
			c.ContactPoints = append(c.ContactPoints, data.ContactPoint{ID: "K9", StaffID: "L1", CommunityCode: "370402001002", From: d0})
		}, people.RuleContactPoint, "L1"},
		{"contact point of a non-leader", func(c *data.City) {
			c.ContactPoints = append(c.ContactPoints, data.ContactPoint{ID: "K9", StaffID: "K1", CommunityCode: "370402001002", From: d0})
		}, people.RuleContactPoint, "K9"},
		{"leading cadre without a contact point", func(c *data.City) { c.ContactPoints[0].To = day(2026, 1, 1) }, people.RuleContactPoint, "L1"},
		{"secretary 优秀 over a 一般 street", func(c *data.City) {
			c.Evaluations = []data.Evaluation{
				{ID: "E1", Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402001", Grade: data.GradeFair},
				{ID: "E2", Year: 2025, Subject: data.SubjectPerson, SubjectID: "X1", Grade: data.GradeExcellent},
			}
		}, people.RuleGradeCap, "E2"},
		{"commitment with an unknown status", func(c *data.City) {
			c.Commitments = []data.Commitment{{ID: "Y1", UnitCode: "U1", CommunityCode: "370402001001", Year: 2026, Title: "修缮小区道路", Status: "maybe"}}
		}, people.RuleCommitment, "Y1"},
		{"commitment to a community not reported to", func(c *data.City) {
			c.Commitments = []data.Commitment{{ID: "Y1", UnitCode: "U1", CommunityCode: "370402002001", Year: 2026, Title: "修缮小区道路", Status: data.CommitPledged}}
		}, people.RuleCommitment, "Y1"},
		{"staff with a bad phone", func(c *data.City) { c.Staff[0].Phone = "12345" }, people.RuleStaff, "H1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fixture()
			tc.edit(c)
			c.Index()
			c.DeriveStaffing(today)
			rep := people.Check(c, today, rules)
			if rep.OK {
				t.Fatal("reported OK")
			}
			var got []string
			for _, v := range rep.Violations {
				got = append(got, v.Rule+" "+v.Subject+": "+v.Reason)
			}
			if len(rep.Violations) != 1 || rep.Violations[0].Rule != tc.rule || rep.Violations[0].Subject != tc.subject {
				t.Errorf("violations:\n%s\nwant one %s of %s", strings.Join(got, "\n"), tc.rule, tc.subject)
			}
			for _, v := range rep.Violations {
				for _, s := range c.Staff {
					if strings.Contains(v.Reason+v.Name, s.Name) || strings.Contains(v.Reason, s.Phone) && s.Phone != "" {
						t.Errorf("violation %q names a person", v.Reason)
					}
				}
			}
		})
	}
}

func TestNoStaffRecords(t *testing.T) {
	rep := people.Check(&data.City{}, today, rules)
	if rep.OK || rep.Violations[0].Rule != people.RuleNoStaffRecords {
		t.Errorf("%+v", rep)
	}
}

func TestDeriveStaffing(t *testing.T) {
	c := fixture()
	g := c.Grid("370402001001001")
	if g.Head.Name != "王一" || len(g.Team) != 1 || g.Team[0].Name != "李一" {
		t.Errorf("grid card: head %+v team %+v", g.Head, g.Team)
	}
	if n := len(c.CadresOf("370402001001001")); n != 1 {
		t.Errorf("%d cadres", n)
	}
	if got := c.ReportingUnits[4].CommunityCodes; !reflect.DeepEqual(got, []string{"370402001001", "370402001002"}) {
		t.Errorf("M1 communities %v", got)
	}
	// Before the assignments started nobody served.
	c.DeriveStaffing(day(2023, 1, 1))
	if c.Grid("370402001001001").Head.Name != "" || len(c.Cadres) != 0 {
		t.Error("people shown before they joined")
	}
}

func TestApplyLeavesBase(t *testing.T) {
	c := fixture()
	_, ch, err := people.EndAssignment(c, "A000001", day(2026, 3, 1))
	if err != nil {
		t.Fatal(err)
	}
	n := ch.Apply(c, today)
	if n.Grid("370402001001001").Head.Name != "" {
		t.Error("the head still shows after the assignment ended")
	}
	if c.Grid("370402001001001").Head.Name != "王一" || !c.Assignments[0].To.IsZero() {
		t.Error("Apply changed the base city")
	}
	if len(n.Assignments) != len(c.Assignments) {
		t.Error("an upsert appended instead of replacing")
	}
}

func TestAssign(t *testing.T) {
	for _, tc := range []struct {
		name     string
		a        data.Assignment
		replaces string
		kind     string // "" accepted
		reason   string // part of the error
	}{
		{"cadre's third grid is fine", data.Assignment{StaffID: "K2", GridCode: "370402001001001", From: day(2026, 2, 1)}, "", "", ""},
		{"cadre over the limit", data.Assignment{StaffID: "K1", GridCode: "370402002001001", From: day(2026, 2, 1)}, "", people.Conflict, "would help 4 grids at once (limit 3)"},
		{"cadre over the limit only later", data.Assignment{StaffID: "K1", GridCode: "370402002001001", From: day(2020, 2, 1), To: day(2023, 12, 1)}, "", people.Conflict, "joined"},
		{"cadre in a span before the others", data.Assignment{StaffID: "K2", GridCode: "370402002001001", From: day(2024, 1, 1), To: day(2024, 2, 1)}, "", people.Conflict, "already holds"},
		{"unknown staff", data.Assignment{StaffID: "P404", GridCode: "370402001001001"}, "", people.NotFound, "no staff"},
		{"unknown grid", data.Assignment{StaffID: "K2", GridCode: "370402001001404"}, "", people.NotFound, "no grid"},
		{"unknown duty", data.Assignment{StaffID: "W1", GridCode: "370402001002001", Duty: "boss"}, "", people.Invalid, "unknown"},
		{"duty not fitting", data.Assignment{StaffID: "K2", GridCode: "370402001002001", Duty: data.DutyHead}, "", people.Invalid, "cannot hold"},
		{"ends before it starts", data.Assignment{StaffID: "K2", GridCode: "370402001002001", From: day(2026, 2, 1), To: day(2026, 1, 1)}, "", people.Invalid, "is not after"},
		{"second head", data.Assignment{StaffID: "H2", GridCode: "370402001001001", From: day(2026, 2, 1)}, "", people.Conflict, "already has a head"},
		{"head handing over", data.Assignment{StaffID: "H2", GridCode: "370402001001001", From: day(2026, 2, 1)}, "A000001", "", ""},
		{"replace another grid's", data.Assignment{StaffID: "H2", GridCode: "370402001001001", From: day(2026, 2, 1)}, "A000002", people.Invalid, "not head in"},
		{"replace unknown", data.Assignment{StaffID: "H2", GridCode: "370402001001001"}, "A404", people.NotFound, "no assignment"},
		{"worker second grid", data.Assignment{StaffID: "W3", GridCode: "370402001001001"}, "", "", ""},
		{"before joining", data.Assignment{StaffID: "W3", GridCode: "370402001001001", From: day(2020, 1, 1)}, "", people.Conflict, "joined"},
		{"a long note", data.Assignment{StaffID: "W3", GridCode: "370402001001001", Note: strings.Repeat("长", 501)}, "", people.Invalid, "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fixture()
			a, ch, err := people.Assign(c, tc.a, rules, tc.replaces)
			if people.KindOf(err) != tc.kind || (err != nil && !strings.Contains(err.Error(), tc.reason)) {
				t.Fatalf("err %v (kind %q), want kind %q with %q", err, people.KindOf(err), tc.kind, tc.reason)
			}
			if err != nil {
				if !ch.Empty() {
					t.Error("a refused edit returned a change")
				}
				return
			}
			if a.ID != "A000015" || a.From.IsZero() {
				t.Errorf("assignment %+v", a)
			}
			n := ch.Apply(c, today)
			if rep := people.Check(n, today, rules); !rep.OK {
				t.Errorf("accepted edit breaks rules: %+v", rep.Violations)
			}
			if tc.replaces != "" {
				if g := n.Grid(tc.a.GridCode); g.Head.Name != "王二" {
					t.Errorf("head after hand-over: %+v", g.Head)
				}
				// History: who headed the grid before the hand-over.
				before := people.ServedOn(n, tc.a.GridCode, day(2026, 1, 31))
				after := people.ServedOn(n, tc.a.GridCode, day(2026, 2, 1))
				if before[0].StaffID != "H1" || after[0].StaffID != "H2" {
					t.Errorf("served on: before %v after %v", before, after)
				}
				if h := people.History(n, tc.a.GridCode); len(h) != 4 || h[0].StaffID != "H2" {
					t.Errorf("history %v", h)
				}
			}
		})
	}
}

func TestRetireStaff(t *testing.T) {
	c := fixture()
	ch, err := people.RetireStaff(c, "W1", day(2026, 5, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Staff) != 1 || len(ch.Assignments) != 2 {
		t.Fatalf("change %+v", ch)
	}
	n := ch.Apply(c, today)
	rep := people.Check(n, today, rules)
	if rep.ByRule[people.RuleGridWorker] != 2 || len(rep.Violations) != 2 {
		t.Errorf("after retiring the worker of two grids: %+v", rep.Violations)
	}
	if people.Check(n, day(2026, 4, 30), rules).ByRule[people.RuleGridWorker] != 0 {
		t.Error("the day before retirement the grids had their worker")
	}
	for _, tc := range []struct {
		id   string
		d    time.Time
		kind string
	}{{"W404", today, people.NotFound}, {"W1", day(2023, 1, 1), people.Invalid}} {
		if _, err := people.RetireStaff(c, tc.id, tc.d); people.KindOf(err) != tc.kind {
			t.Errorf("retire %s %v: %v", tc.id, tc.d, err)
		}
	}
	if _, err := people.RetireStaff(n, "W1", today); people.KindOf(err) != people.Conflict {
		t.Errorf("retire twice: %v", err)
	}
}

func TestStaffEdits(t *testing.T) {
	c := fixture()
	for _, tc := range []struct {
		name string
		s    data.Staff
		kind string
	}{
		{"fine", data.Staff{Name: "周八", Role: data.StaffWorker, Phone: "0632-3311234", CommunityCode: "370402001001"}, ""},
		{"fine cadre", data.Staff{Name: "欧阳·明", Role: data.StaffCadre, Unit: "枣庄市民政局", Phone: "+86 13912345678"}, ""},
		{"no name", data.Staff{Role: data.StaffWorker}, people.Invalid},
		{"digits in the name", data.Staff{Name: "周8", Role: data.StaffWorker}, people.Invalid},
		{"unknown role", data.Staff{Name: "周八", Role: "boss"}, people.Invalid},
		{"bad phone", data.Staff{Name: "周八", Role: data.StaffWorker, Phone: "call me"}, people.Invalid},
		{"cadre without unit", data.Staff{Name: "周八", Role: data.StaffCadre}, people.Invalid},
		{"secretary without street", data.Staff{Name: "周八", Role: data.StaffSecretary}, people.Invalid},
		{"unknown community", data.Staff{Name: "周八", Role: data.StaffWorker, CommunityCode: "370402001404"}, people.NotFound},
		{"id taken", data.Staff{ID: "H1", Name: "周八", Role: data.StaffWorker}, people.Conflict},
		{"bad id", data.Staff{ID: "H 1", Name: "周八", Role: data.StaffWorker}, people.Invalid},
	} {
		s, ch, err := people.CreateStaff(c, tc.s)
		if people.KindOf(err) != tc.kind {
			t.Errorf("%s: err %v, want kind %q", tc.name, err, tc.kind)
			continue
		}
		if err == nil && (s.ID != "P000001" || len(ch.Staff) != 1 || s.Joined.IsZero()) {
			t.Errorf("%s: %+v", tc.name, s)
		}
	}
	// A worker holding grid duties cannot become a cadre; a head can become a worker? no: head duty fits worker.
	s := *c.StaffByID("W1")
	s.Role = data.StaffCadre
	s.Unit = "某单位"
	if _, _, err := people.UpdateStaff(c, s); people.KindOf(err) != people.Conflict {
		t.Errorf("role change over open duties: %v", err)
	}
	h := *c.StaffByID("H1")
	h.Role, h.Phone = data.StaffWorker, "13900001111"
	if _, ch, err := people.UpdateStaff(c, h); err != nil || ch.Staff[0].Phone != "13900001111" {
		t.Errorf("head → worker: %v", err)
	}
	l := *c.StaffByID("L1")
	l.Role = data.StaffCadre
	if _, _, err := people.UpdateStaff(c, l); people.KindOf(err) != people.Conflict {
		t.Errorf("leader with a contact point → cadre: %v", err)
	}
	if _, _, err := people.UpdateStaff(c, data.Staff{ID: "P404", Name: "x", Role: data.StaffWorker}); people.KindOf(err) != people.NotFound {
		t.Errorf("unknown: %v", err)
	}
}

func TestPair(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    data.Pairing
		kind string
	}{
		{"second district unit", data.Pairing{UnitCode: "U3", CommunityCode: "370402001001"}, ""},
		{"third district unit", data.Pairing{UnitCode: "U3", CommunityCode: "370402001001", From: d0}, ""},
		{"other district", data.Pairing{UnitCode: "U4", CommunityCode: "370402001001"}, people.Conflict},
		{"same pair", data.Pairing{UnitCode: "U1", CommunityCode: "370402001001"}, people.Conflict},
		{"unknown unit", data.Pairing{UnitCode: "U404", CommunityCode: "370402001001"}, people.NotFound},
		{"unknown community", data.Pairing{UnitCode: "U1", CommunityCode: "370402001404"}, people.NotFound},
		{"municipal anywhere", data.Pairing{UnitCode: "M1", CommunityCode: "370403001001"}, ""},
		{"bad dates", data.Pairing{UnitCode: "M1", CommunityCode: "370403001001", From: today, To: today}, people.Invalid},
	} {
		c := fixture()
		if tc.name == "third district unit" {
			c.Pairings = append(c.Pairings, data.Pairing{ID: "B9", UnitCode: "U2", CommunityCode: "370402001001", From: d0})
		}
		_, ch, err := people.Pair(c, tc.p, rules)
		want := tc.kind
		if tc.name == "third district unit" {
			want = people.Conflict
		}
		if people.KindOf(err) != want {
			t.Errorf("%s: %v, want %q", tc.name, err, want)
			continue
		}
		if err == nil {
			if rep := people.Check(ch.Apply(c, today), today, rules); !rep.OK {
				t.Errorf("%s: %+v", tc.name, rep.Violations)
			}
		}
	}
	c := fixture()
	if _, _, err := people.EndPairing(c, "B000001", d0); people.KindOf(err) != people.Invalid {
		t.Errorf("end on first day: %v", err)
	}
	if _, ch, err := people.EndPairing(c, "B000001", today); err != nil || !ch.Pairings[0].To.Equal(today) {
		t.Errorf("end: %v", err)
	}
}

func TestContactPoints(t *testing.T) {
	c := fixture()
	p, ch, err := people.SetContactPoint(c, data.ContactPoint{StaffID: "L1", CommunityCode: "370402002001", From: day(2026, 3, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.ContactPoints) != 2 || !ch.ContactPoints[0].To.Equal(day(2026, 3, 1)) || p.ID != "K000002" {
		t.Fatalf("moving a contact point: %+v", ch.ContactPoints)
	}
	if rep := people.Check(ch.Apply(c, today), today, rules); !rep.OK {
		t.Errorf("%+v", rep.Violations)
	}
	for _, tc := range []struct {
		p    data.ContactPoint
		kind string
	}{
		{data.ContactPoint{StaffID: "K1", CommunityCode: "370402002001"}, people.Invalid},
		{data.ContactPoint{StaffID: "L404", CommunityCode: "370402002001"}, people.NotFound},
		{data.ContactPoint{StaffID: "L1", CommunityCode: "370402002404"}, people.NotFound},
		{data.ContactPoint{StaffID: "L1", CommunityCode: "370402001001"}, people.Conflict},
		{data.ContactPoint{StaffID: "L1", CommunityCode: "370402002001", From: day(2023, 1, 1)}, people.Conflict},
	} {
		if _, _, err := people.SetContactPoint(c, tc.p); people.KindOf(err) != tc.kind {
			t.Errorf("%+v: %v, want %s", tc.p, err, tc.kind)
		}
	}
}

func TestCommitments(t *testing.T) {
	c := fixture()
	at := day(2026, 3, 1)
	x, ch, err := people.Pledge(c, data.Commitment{UnitCode: "U1", CommunityCode: "370402001001", Year: 2026, Title: "为青檀社区修缮健身器材"}, at)
	if err != nil {
		t.Fatal(err)
	}
	c = ch.Apply(c, today)
	steps := []struct {
		u    people.CommitmentUpdate
		kind string
	}{
		{people.CommitmentUpdate{Status: data.CommitDone, Evidence: "已完成"}, people.Conflict}, // skips 进行中
		{people.CommitmentUpdate{Status: "started"}, people.Invalid},
		{people.CommitmentUpdate{}, people.Invalid},
		{people.CommitmentUpdate{Status: data.CommitInProgress, Evidence: "已采购器材", By: "组织部"}, ""},
		{people.CommitmentUpdate{Status: data.CommitDone}, people.Conflict}, // evidence note added? no: one note exists, so allowed? see below
	}
	for i, s := range steps[:4] {
		y, ch, err := people.UpdateCommitment(c, x.ID, s.u, at)
		if people.KindOf(err) != s.kind {
			t.Fatalf("step %d: %v, want %q", i, err, s.kind)
		}
		if err == nil {
			c = ch.Apply(c, today)
			if y.Status != data.CommitInProgress || len(y.Evidence) != 1 || y.Evidence[0].By != "组织部" {
				t.Errorf("step %d: %+v", i, y)
			}
		}
	}
	y, ch, err := people.UpdateCommitment(c, x.ID, people.CommitmentUpdate{Status: data.CommitDone, Evidence: "器材已安装，居民验收"}, at)
	if err != nil || y.Status != data.CommitDone || len(y.Evidence) != 2 {
		t.Fatalf("done: %v %+v", err, y)
	}
	c = ch.Apply(c, today)
	if _, _, err := people.UpdateCommitment(c, x.ID, people.CommitmentUpdate{Status: data.CommitInProgress}, at); people.KindOf(err) != people.Conflict {
		t.Errorf("back from 完成: %v", err)
	}
	if _, _, err := people.UpdateCommitment(c, x.ID, people.CommitmentUpdate{Evidence: "补充照片"}, at); err != nil {
		t.Errorf("a note on a finished one: %v", err)
	}
	for _, bad := range []data.Commitment{
		{UnitCode: "U1", CommunityCode: "370402001001", Year: 2026, Title: "联系人13812345678"},
		{UnitCode: "U1", CommunityCode: "370402001001", Year: 2026, Title: "身份证370402199001011234"},
		{UnitCode: "U1", CommunityCode: "370402002001", Year: 2026, Title: "修路"},
		{UnitCode: "U1", CommunityCode: "370402001001", Year: 2023, Title: "修路"},
		{UnitCode: "U1", CommunityCode: "370402001001", Year: 1999, Title: "修路"},
		{UnitCode: "U404", CommunityCode: "370402001001", Year: 2026, Title: "修路"},
		{UnitCode: "U1", CommunityCode: "370402001001", Year: 2026, Title: "修路", Status: data.CommitDone},
	} {
		if _, _, err := people.Pledge(c, bad, at); err == nil {
			t.Errorf("pledged %+v", bad)
		}
	}
	rows, tot := people.Disclosure(c, 2026)
	if len(rows) != 1 || rows[0].StatusLabel != "完成" || rows[0].Unit != "市中区民政局机关党委" || rows[0].Community != "青檀社区" {
		t.Errorf("disclosure %+v", rows)
	}
	if len(tot) != 1 || tot[0].Done != 1 || tot[0].DonePct != 100 || tot[0].Members != 30 {
		t.Errorf("totals %+v", tot)
	}
}

func facts() []people.IncidentFact {
	g := "370402001001001"
	r := func(m, d int) time.Time { return time.Date(2025, time.Month(m), d, 9, 0, 0, 0, time.UTC) }
	return []people.IncidentFact{
		{GridCode: g, StreetCode: "370402001", Reported: r(3, 1), Due: r(3, 4), Resolved: r(3, 2)},               // on time
		{GridCode: g, StreetCode: "370402001", Reported: r(3, 5), Due: r(3, 8), Resolved: r(3, 10), Reopened: 1}, // late, reopened
		{GridCode: g, StreetCode: "370402001", Reported: r(4, 1), Due: r(4, 4), Open: true},                      // open, overdue
		{GridCode: "370402001002001", StreetCode: "370402001", Reported: r(5, 1), Due: r(5, 4), Resolved: r(5, 2)},
		{GridCode: g, StreetCode: "370402001", Reported: time.Date(2024, 12, 31, 9, 0, 0, 0, time.UTC), Due: r(1, 3), Resolved: r(1, 2)}, // last year
	}
}

func TestMetrics(t *testing.T) {
	c := fixture()
	now := day(2026, 1, 1)
	for _, tc := range []struct {
		subject, id string
		want        people.Figures
	}{
		{data.SubjectPerson, "H1", people.Figures{Incidents: 3, Open: 1, Overdue: 1, Resolved: 2, ResolvedOnTime: 1, Reopened: 1, OnTimeShare: 0.5, ReopenRate: 0.5}},
		{data.SubjectPerson, "K1", people.Figures{Incidents: 4, Open: 1, Overdue: 1, Resolved: 3, ResolvedOnTime: 2, Reopened: 1, OnTimeShare: 0.667, ReopenRate: 0.333}},
		{data.SubjectStreet, "370402001", people.Figures{Incidents: 4, Open: 1, Overdue: 1, Resolved: 3, ResolvedOnTime: 2, Reopened: 1, OnTimeShare: 0.667, ReopenRate: 0.333}},
		{data.SubjectPerson, "X1", people.Figures{Incidents: 4, Open: 1, Overdue: 1, Resolved: 3, ResolvedOnTime: 2, Reopened: 1, OnTimeShare: 0.667, ReopenRate: 0.333}},
		{data.SubjectPerson, "W3", people.Figures{}},
	} {
		if got := people.Metrics(c, facts(), tc.subject, tc.id, 2025, now); got != tc.want {
			t.Errorf("%s %s: %+v, want %+v", tc.subject, tc.id, got, tc.want)
		}
	}
	// A person who served only from April does not answer for March.
	c.Assignments[0].From = day(2025, 4, 1)
	if got := people.Metrics(c, facts(), data.SubjectPerson, "H1", 2025, now); got.Incidents != 1 {
		t.Errorf("after a late start: %+v", got)
	}
}

func TestEvaluateGradeCap(t *testing.T) {
	now := day(2026, 1, 10)
	for _, tc := range []struct {
		name  string
		first data.Evaluation
		then  data.Evaluation
		kind  string
	}{
		{"secretary 优秀 over a 一般 street", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402001", Grade: data.GradeFair},
			data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "X1", Grade: data.GradeExcellent}, people.Conflict},
		{"secretary 优秀 over a 差 street", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402001", Score: 50},
			data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "X1", Score: 95}, people.Conflict},
		{"street 差 under a 优秀 secretary", data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "X1", Grade: data.GradeExcellent},
			data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402001", Grade: data.GradePoor}, people.Conflict},
		{"secretary 合格 over a 一般 street", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402001", Grade: data.GradeFair},
			data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "X1", Grade: data.GradeGood}, ""},
		{"secretary 优秀 over a 合格 street", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402001", Grade: data.GradeGood},
			data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "X1", Grade: data.GradeExcellent}, ""},
		{"another year's street", data.Evaluation{Year: 2024, Subject: data.SubjectStreet, SubjectID: "370402001", Grade: data.GradePoor},
			data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "X1", Grade: data.GradeExcellent}, ""},
		{"another street's secretary", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402001", Grade: data.GradePoor},
			data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "X2", Grade: data.GradeExcellent}, ""},
		{"a head is not capped", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402001", Grade: data.GradePoor},
			data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "H1", Grade: data.GradeExcellent}, ""},
		{"bad grade", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402002", Grade: data.GradeGood},
			data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "H1", Grade: "良好"}, people.Invalid},
		{"bad score", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402002", Grade: data.GradeGood},
			data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "H1", Score: 101}, people.Invalid},
		{"unknown street", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402002", Grade: data.GradeGood},
			data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402404"}, people.NotFound},
		{"unknown subject kind", data.Evaluation{Year: 2025, Subject: data.SubjectStreet, SubjectID: "370402002", Grade: data.GradeGood},
			data.Evaluation{Year: 2025, Subject: "grid", SubjectID: "370402001001001"}, people.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fixture()
			_, ch, err := people.Evaluate(c, tc.first, facts(), now)
			if err != nil {
				t.Fatal(err)
			}
			c = ch.Apply(c, today)
			e, ch, err := people.Evaluate(c, tc.then, facts(), now)
			if people.KindOf(err) != tc.kind {
				t.Fatalf("err %v, want %q", err, tc.kind)
			}
			if err != nil {
				if tc.kind == people.Conflict && !strings.Contains(err.Error(), "优秀") {
					t.Errorf("the refusal does not give the reason: %v", err)
				}
				return
			}
			if e.ID != "E000002" || e.Grade == "" {
				t.Errorf("%+v", e)
			}
			if rep := people.Check(ch.Apply(c, today), today, rules); rep.ByRule[people.RuleGradeCap] != 0 {
				t.Error("accepted evaluation breaks the cap")
			}
		})
	}
	// One record per subject and year: evaluating again replaces it.
	c := fixture()
	e1, ch, _ := people.Evaluate(c, data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "H1"}, facts(), now)
	c = ch.Apply(c, today)
	e2, _, err := people.Evaluate(c, data.Evaluation{Year: 2025, Subject: data.SubjectPerson, SubjectID: "H1", Grade: data.GradeGood}, facts(), now)
	if err != nil || e2.ID != e1.ID {
		t.Errorf("re-evaluation: %v, ids %s %s", err, e1.ID, e2.ID)
	}
	// The metrics and the suggested score: H1 resolved half on time, half reopened.
	if e1.OnTimeShare != 0.5 || e1.ReopenRate != 0.5 || e1.Score != 50 || e1.Grade != data.GradePoor || e1.Incidents != 2 {
		t.Errorf("metrics %+v", e1)
	}
}

func TestWorkload(t *testing.T) {
	c := fixture()
	c.Assignments[8].To = day(2026, 1, 1) // grid 370402002001001 loses its worker
	c.DeriveStaffing(today)
	fs := facts()
	for i := range fs { // move them into the year before today
		fs[i].Reported = fs[i].Reported.AddDate(1, 0, 0)
		fs[i].Due = fs[i].Due.AddDate(1, 0, 0)
		if !fs[i].Resolved.IsZero() {
			fs[i].Resolved = fs[i].Resolved.AddDate(1, 0, 0)
		}
	}
	r := rules
	r.MaxHouseholdsPerPerson = 800
	grids, ps := people.Workload(c, fs, today, today, r)
	g0 := grids[0]
	if g0.Households != 400 || g0.Heads != 1 || g0.Workers != 1 || g0.Cadres != 1 || g0.Open != 1 || g0.Overdue != 1 || g0.Resolved != 3 || g0.ResolvedOnTime != 2 || g0.Gap != "" {
		t.Errorf("grid 0: %+v", g0)
	}
	if grids[3].Gap != "worker" {
		t.Errorf("grid 3 gap %q", grids[3].Gap)
	}
	byID := map[string]people.PersonLoad{}
	for _, p := range ps {
		byID[p.StaffID] = p
	}
	if k := byID["K1"]; len(k.Grids) != 3 || k.Households != 1500 || k.Overloaded != "" || k.Incidents != 5 {
		t.Errorf("K1: %+v", k)
	}
	if w := byID["W1"]; w.Households != 900 || w.Overloaded != "households" {
		t.Errorf("W1: %+v", w)
	}
	if _, ok := byID["W3"]; ok {
		t.Error("W3's assignment ended but W3 has a load")
	}
}

func TestRulesValidate(t *testing.T) {
	if err := people.DefaultRules().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []people.Rules{
		{MaxGridsPerCadre: 0, DistrictUnits: people.Range{1, 2}},
		{MaxGridsPerCadre: 3, MinWorkersPerGrid: -1},
		{MaxGridsPerCadre: 3, DistrictUnits: people.Range{3, 2}},
		{MaxGridsPerCadre: 3, MunicipalUnits: people.Range{-1, 2}},
	} {
		if r.Validate() == nil {
			t.Errorf("%+v accepted", r)
		}
	}
}
