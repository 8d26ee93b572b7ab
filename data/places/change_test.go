package places

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/tabular"
)

func fullFixture() *data.Places {
	p := fixturePlaces()
	s := servicesFixture()
	p.Teams, p.Targets, p.Logs = s.Teams, s.Targets, s.Logs
	st1 := fC1 + "001S01"
	p.Stations = []data.StationRecord{
		{StationCode: st1, From: "2024-01-01", Status: data.StationPlanned},
		{StationCode: st1, From: "2024-06-01", Status: data.StationUnderConstruction},
		{StationCode: st1, From: "2025-01-01", Status: data.StationBuilt, Hours: "1-5 08:30-17:30", Functions: data.StationFunctions, AreaM2: 40},
		{StationCode: fC2 + "001S01", From: "2026-03-01", Status: data.StationPlanned},
	}
	p.Ratings = []data.StarRating{award(3, "2026-03-01 10:00", "L1-sign", "L3-duty")}
	p.Ratings[0].StationCode = st1
	return p
}

func fixtureContext() Context {
	c := fixtureCity()
	return Context{City: c, Buildings: IndexBuildings(c), Now: mustTime("2026-12-06 12:00")}
}

func TestMerge(t *testing.T) {
	p := fullFixture()
	ch := &Change{
		Property: []data.PropertyRecord{
			rec("A2", "2019-12-01", data.PropertyNone, "", nil),                      // replaces A2's first record
			rec("B2", "2026-07-01", data.PropertyManaged, "PC0002", committee(5, 3)), // a new one
		},
		Delete: []Key{{Sheet: SheetProperty, Code: code("B3"), From: "2023-01-01"}},
	}
	m, err := Merge(p, ch)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Property) != len(p.Property)+1-1 {
		t.Errorf("%d records, want %d", len(m.Property), len(p.Property))
	}
	prop := NewProperty(m)
	if r, _ := prop.At(code("A2"), "2020-01-01"); r.Status != data.PropertyNone {
		t.Errorf("A2 not replaced: %+v", r)
	}
	if r, _ := prop.At(code("B3"), "2026-01-01"); r.Status != data.PropertyNone {
		t.Errorf("B3's 2023 record not deleted: %+v", r)
	}
	if len(p.Property) != 14 || p.Property[1].Status != data.PropertyManaged {
		t.Error("Merge changed its input")
	}
	if _, err := Merge(p, &Change{Delete: []Key{{Sheet: SheetProperty, Code: code("B3"), From: "2023-01-02"}}}); err == nil || FieldOf(err) != "delete" {
		t.Errorf("deleting a record that does not exist: %v", err)
	}
	if _, err := Merge(p, &Change{Delete: []Key{{Sheet: "people", Code: "x"}}}); err == nil {
		t.Error("deleting from an unknown list")
	}
}

func TestCheckChange(t *testing.T) {
	cx := fixtureContext()
	p := fullFixture()
	st1 := fC1 + "001S01"
	st2 := fC2 + "001S01"
	for _, tc := range []struct {
		name   string
		ch     Change
		sheet  string
		field  string
		reason string
	}{
		{"a good change", Change{
			Companies: []data.PropertyCompany{{Code: "PC0004", Name: "丁物业"}},
			Property:  []data.PropertyRecord{rec("B2", "2026-07-01", data.PropertyManaged, "PC0004", nil)}, // the new company, same change
			Targets:   []data.ServiceTarget{target("T8", data.TargetLonelyElderly, code("A1")+"001", "2026-01-01", 1950)},
			Logs: []data.ServiceLog{{ID: "L9", GridCode: fC1 + "001", TargetID: "T8", Item: data.ItemCare, At: mustTime("2026-12-01 10:00"),
				Minutes: 30, Volunteers: []string{"张一"}}}, // the new target, same change
		}, "", "", ""},
		{"record names an unknown company", Change{Property: []data.PropertyRecord{rec("B2", "2026-07-01", data.PropertyManaged, "PC0009", nil)}},
			SheetProperty, "company_code", "no company"},
		{"two records with one key", Change{Property: []data.PropertyRecord{rec("B2", "2026-07-01", data.PropertySelf, "", nil), rec("B2", "2026-07-01", data.PropertyNone, "", nil)}},
			SheetProperty, "", "same record as entry 0"},
		{"planned straight to built", Change{Stations: []data.StationRecord{{StationCode: st2, From: "2026-11-01", Status: data.StationBuilt, Hours: "1-5 09:00-17:00"}}},
			SheetStations, "status", "one step at a time"},
		{"a built station back to planned", Change{Stations: []data.StationRecord{{StationCode: st1, From: "2026-11-01", Status: data.StationPlanned}}},
			SheetStations, "status", "does not go back"},
		{"under construction next", Change{Stations: []data.StationRecord{{StationCode: st2, From: "2026-11-01", Status: data.StationUnderConstruction}}},
			"", "", ""},
		{"an award above what the criteria allow", Change{Ratings: []data.StarRating{{StationCode: st1, At: mustTime("2026-12-01 10:00"), Stars: 4, Kind: data.RatingAward, Criteria: InspectionCriteria()}}},
			SheetRatings, "stars", "meets the criteria of"},
		{"a downgrade by hand", Change{Ratings: []data.StarRating{{StationCode: st1, At: mustTime("2026-12-01 10:00"), Stars: 1, Kind: data.RatingDowngrade}}},
			SheetRatings, "kind", "only awards"},
		{"an award in the future", Change{Ratings: []data.StarRating{{StationCode: st1, At: mustTime("2027-01-01 10:00"), Stars: 1, Kind: data.RatingAward}}},
			SheetRatings, "at", "up to now"},
		{"delete a company in use", Change{Delete: []Key{{Sheet: SheetCompanies, Code: "PC0001"}}},
			SheetCompanies, "code", "serves"},
		{"delete a target with logs", Change{Delete: []Key{{Sheet: SheetTargets, Code: "T1"}}},
			SheetTargets, "code", "service logs"},
		{"a log for a target of another grid", Change{Logs: []data.ServiceLog{{ID: "L9", GridCode: fC3 + "001", TargetID: "T1", Item: data.ItemCare, At: mustTime("2026-12-01 10:00"), Minutes: 30, Volunteers: []string{"李三"}}}},
			SheetLogs, "grid_code", "lives in grid"},
		{"a project benchmark without a committee", Change{Evaluations: []data.PropertyEvaluation{{Year: 2025, Kind: data.EvalProject, SubjectCode: code("A2"), Score: 95, Benchmark: true}}},
			SheetEvaluations, "benchmark", "no owners' committee"},
	} {
		m, err := Merge(p, &tc.ch)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		probs := Check(cx, m, &tc.ch)
		if tc.sheet == "" {
			if len(probs) > 0 {
				t.Errorf("%s: %v", tc.name, probs)
			}
			continue
		}
		if len(probs) == 0 {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if pr := probs[0]; pr.Sheet != tc.sheet || pr.Field != tc.field || !strings.Contains(pr.Reason, tc.reason) {
			t.Errorf("%s: %+v, want %s %s %q", tc.name, pr, tc.sheet, tc.field, tc.reason)
		}
	}
}

func TestReassessAndProject(t *testing.T) {
	cx := fixtureContext()
	p := fullFixture()
	st1 := fC1 + "001S01"
	// Rated 3 in March 2026 with the inspections of levels 1 and 3 met; 45
	// hours, five functions, 40 m². No activities at the station in the 90
	// days to 12-06 (the one of 11-15 is L7: one), so L2-activities (3)
	// lapses: down to 1 star.
	down := Reassess(cx.City, p, cx.Now)
	if len(down) != 1 || down[0].StationCode != st1 || down[0].Stars != 1 || down[0].Criteria[0] != "L2-activities" {
		t.Fatalf("downgrades %+v", down)
	}
	p.Ratings = append(p.Ratings, down...)
	if again := Reassess(cx.City, p, cx.Now); len(again) != 0 {
		t.Errorf("downgraded twice: %+v", again)
	}
	// A rating made at this very instant stands until the next check (the
	// store keys a station's ratings by their time): the same award made
	// at now is not downgraded at now, an hour later it is.
	r := fullFixture()
	r.Ratings[0].At = cx.Now
	if d := Reassess(cx.City, r, cx.Now); len(d) != 0 {
		t.Errorf("a rating of this instant downgraded at once: %+v", d)
	}
	if d := Reassess(cx.City, r, cx.Now.Add(time.Hour)); len(d) != 1 || d[0].Stars != 1 || !d[0].At.Equal(cx.Now.Add(time.Hour)) {
		t.Errorf("an hour later: %+v", d)
	}
	pr := Project(cx.City, p, cx.Now)
	// Every compound of the fixture has empty fields, so all ten project;
	// station 1 is built with 1 star; station 2 stays planned (no change);
	// grids: C1 and C3 have teams, C2 none (no change).
	if len(pr.Compounds) != 10 || len(pr.Stations) != 1 || pr.Stations[0].Stars != 1 || len(pr.Grids) != 2 {
		t.Fatalf("projection %+v", pr)
	}
	ApplyProjection(cx.City, pr)
	if cp := cx.City.Compound(code("A3")); cp.PropertyStatus != data.PropertyManaged || cp.PropertyCompany != "乙物业" || !cp.PartyOrg || !cp.OwnersCommittee {
		t.Errorf("A3 %+v", cp)
	}
	if g := cx.City.Grid(fC1 + "001"); g.Volunteers != 2 || g.VolunteerTeam != "党员志愿服务队" {
		t.Errorf("grid %+v", g)
	}
	if again := Project(cx.City, p, cx.Now); !again.Empty() {
		t.Errorf("projection after applying it: %+v", again)
	}
	// No team records at all: grids keep their fields.
	q := fullFixture()
	q.Teams = nil
	if pr := Project(cx.City, q, cx.Now); len(pr.Grids) != 0 {
		t.Errorf("grids projected without team records: %+v", pr.Grids)
	}
}

func TestSheetsRoundTrip(t *testing.T) {
	p := fullFixture()
	p.Companies[0].CreditCode, p.Companies[0].Hotline = "91370400MA3C123456", "0632-3311234"
	p.Evaluations = []data.PropertyEvaluation{{Year: 2025, Kind: data.EvalCompany, SubjectCode: "PC0001", Score: 93.5, Benchmark: true, Note: "=SUM(A1)"}}
	p.Targets[0].Note, p.Targets[0].Guardian, p.Targets[0].Room, p.Targets[0].Phone = "独居", "王某", "2单元301", "13912345678"
	p.Teams[0].Members[0].Phone = "13800000000"
	p.Property[0].Members[1].Phone = "13700000000"
	p.Property[0].Members[2].Role = "副主任"
	n := Names{Compound: func(c string) string { return "某小区" }}
	for _, sheet := range SheetNames {
		for _, f := range []tabular.Format{tabular.CSV, tabular.XLSX} {
			var buf bytes.Buffer
			if err := Export(sheet, &buf, f, p, n); err != nil {
				t.Fatalf("%s %s: %v", sheet, f, err)
			}
			var q data.Places
			var err error
			switch sheet {
			case SheetCompanies:
				q.Companies, err = CompanySheet().Read(&buf, f, nil)
			case SheetCompanyRecords:
				q.CompanyRecords, err = CompanyRecordSheet(n).Read(&buf, f, nil)
			case SheetProperty:
				q.Property, err = PropertySheet(n).Read(&buf, f, nil)
			case SheetEvaluations:
				q.Evaluations, err = EvaluationSheet(n).Read(&buf, f, nil)
			case SheetTeams:
				q.Teams, err = TeamSheet(n).Read(&buf, f, nil)
			case SheetTargets:
				q.Targets, err = TargetSheet().Read(&buf, f, nil)
			case SheetLogs:
				q.Logs, err = LogSheet(n).Read(&buf, f, nil)
			case SheetStations:
				q.Stations, err = StationSheet(n).Read(&buf, f, nil)
			case SheetRatings:
				q.Ratings, err = RatingSheet(n).Read(&buf, f, nil)
			}
			if err != nil {
				t.Fatalf("%s %s read back: %v", sheet, f, err)
			}
			if !samePlaces(sheet, p, &q) {
				t.Errorf("%s %s: round trip differs", sheet, f)
			}
		}
	}
}

// samePlaces compares one list of two record sets (times by instant).
func samePlaces(sheet string, a, b *data.Places) bool {
	var x, y bytes.Buffer
	Export(sheet, &x, tabular.CSV, a, Names{})
	Export(sheet, &y, tabular.CSV, b, Names{})
	if !bytes.Equal(x.Bytes(), y.Bytes()) {
		return false
	}
	switch sheet {
	case SheetProperty:
		for i := range a.Property {
			if len(a.Property[i].Members) != len(b.Property[i].Members) {
				return false
			}
			for j := range a.Property[i].Members {
				if a.Property[i].Members[j] != b.Property[i].Members[j] {
					return false
				}
			}
		}
	case SheetLogs:
		for i := range a.Logs {
			if !a.Logs[i].At.Equal(b.Logs[i].At) {
				return false
			}
		}
	}
	return true
}

func TestImportRefusedWithRowAndColumn(t *testing.T) {
	cx := fixtureContext()
	p := fullFixture()
	// Row 3 names an unknown company; row 4 has a committee of four; a
	// CSV file in the column order of a user's own making.
	csv := "生效日期,小区编码,物业状态,物业企业编码,已成立业委会,业委会成员\n" +
		"2026-07-01," + code("B2") + ",专业化物业,PC0001,否,\n" +
		"2026-07-01," + code("B3") + ",专业化物业,PC0009,否,\n" +
		"2026-07-01," + code("E2") + ",专业化物业,PC0001,是,甲（主任，党员）；乙（党员）；丙；丁\n"
	_, err := Import(SheetProperty, strings.NewReader(csv), tabular.CSV, cx, p, "")
	var es tabular.Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("want two cell errors, got %v", err)
	}
	if es[0].Row != 3 || es[0].Column != 4 || !strings.Contains(es[0].Reason, "PC0009") {
		t.Errorf("first %+v", es[0])
	}
	if es[1].Row != 4 || es[1].Column != 6 || !strings.Contains(es[1].Reason, "odd number") {
		t.Errorf("second %+v", es[1])
	}
	// A bad cell: the status.
	_, err = Import(SheetProperty, strings.NewReader("小区编码,生效日期,物业状态\n"+code("B2")+",2026-07-01,很好\n"), tabular.CSV, cx, p, "")
	if !errors.As(err, &es) || es[0].Row != 2 || es[0].Column != 3 {
		t.Errorf("bad status: %v", err)
	}
	// A good file.
	good := "小区编码,生效日期,物业状态,物业企业编码\n" + code("B2") + ",2026-07-01,专业化物业,PC0001\n"
	ch, err := Import(SheetProperty, strings.NewReader(good), tabular.CSV, cx, p, "")
	if err != nil || len(ch.Property) != 1 || ch.Property[0].CompanyCode != "PC0001" {
		t.Fatalf("good file: %v %+v", err, ch)
	}
	// Ratings take the importer as actor and are awards.
	rt := "驿站编码,评定时间,星级,检查合格项\n" + fC1 + "001S01,2026-12-01 10:00,1,L1-sign\n"
	ch, err = Import(SheetRatings, strings.NewReader(rt), tabular.CSV, cx, p, "组织部 (tk_1)")
	if err != nil || ch.Ratings[0].Actor != "组织部 (tk_1)" || ch.Ratings[0].Kind != data.RatingAward {
		t.Errorf("ratings: %v %+v", err, ch)
	}
	if _, err := Import("people", strings.NewReader(good), tabular.CSV, cx, p, ""); err == nil {
		t.Error("unknown list accepted")
	}
}

func TestMembersCell(t *testing.T) {
	ms, err := ParseMembers("张三（主任，党员，13800000000）；李四(副主任,党员)；王五；赵六（委员，非党员）;钱七（党员）")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 5 || ms[0].Role != "主任" || !ms[0].PartyMember || ms[0].Phone != "13800000000" || ms[1].Role != "副主任" ||
		ms[2].Role != "委员" || ms[2].PartyMember || ms[3].PartyMember || !ms[4].PartyMember {
		t.Errorf("%+v", ms)
	}
	back, _ := ParseMembers(FormatMembers(ms))
	for i := range ms {
		if back[i] != ms[i] {
			t.Errorf("round trip %d: %+v vs %+v", i, back[i], ms[i])
		}
	}
	for _, bad := range []string{"张三（组长）", "张三（主任（党员））"} {
		if _, err := ParseMembers(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if d, err := readDay("46022"); err != nil || d != "2025-12-31" {
		t.Errorf("Excel serial: %q %v", d, err)
	}
}
