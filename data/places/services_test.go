package places

import (
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
)

func TestCheckEvaluation(t *testing.T) {
	c := fixtureCity()
	prop := NewProperty(fixturePlaces())
	for _, tc := range []struct {
		name  string
		e     data.PropertyEvaluation
		field string // "" accepted
		msg   string
	}{
		{"company benchmark", data.PropertyEvaluation{Year: 2025, Kind: data.EvalCompany, SubjectCode: "PC0001", Score: 95, Benchmark: true}, "", ""},
		{"company plain", data.PropertyEvaluation{Year: 2020, Kind: data.EvalCompany, SubjectCode: "PC0003", Score: 70}, "", ""},
		{"company without party org that year", data.PropertyEvaluation{Year: 2020, Kind: data.EvalCompany, SubjectCode: "PC0001", Score: 95, Benchmark: true}, "benchmark", "no party organisation"},
		{"PC0003 from 2025 on", data.PropertyEvaluation{Year: 2024, Kind: data.EvalCompany, SubjectCode: "PC0003", Score: 99, Benchmark: true}, "benchmark", "no party organisation"},
		{"score too low", data.PropertyEvaluation{Year: 2025, Kind: data.EvalCompany, SubjectCode: "PC0001", Score: 89.9, Benchmark: true}, "benchmark", "at least 90"},
		{"unknown company", data.PropertyEvaluation{Year: 2025, Kind: data.EvalCompany, SubjectCode: "PC0009", Score: 80}, "subject_code", ""},
		{"project benchmark", data.PropertyEvaluation{Year: 2025, Kind: data.EvalProject, SubjectCode: code("A3"), Score: 92, Benchmark: true}, "", ""},
		{"project without committee", data.PropertyEvaluation{Year: 2025, Kind: data.EvalProject, SubjectCode: code("A2"), Score: 92, Benchmark: true}, "benchmark", "no owners' committee"},
		{"project under 60%", data.PropertyEvaluation{Year: 2023, Kind: data.EvalProject, SubjectCode: code("B1"), Score: 92, Benchmark: true}, "benchmark", "2 party members of 5"},
		{"project share fixed in 2024", data.PropertyEvaluation{Year: 2024, Kind: data.EvalProject, SubjectCode: code("B1"), Score: 92, Benchmark: true}, "", ""},
		{"project not managed", data.PropertyEvaluation{Year: 2025, Kind: data.EvalProject, SubjectCode: code("B2"), Score: 92, Benchmark: true}, "benchmark", "not professionally managed"},
		{"project company without party org", data.PropertyEvaluation{Year: 2024, Kind: data.EvalProject, SubjectCode: code("E1"), Score: 92, Benchmark: true}, "benchmark", "PC0003"},
		{"unknown compound", data.PropertyEvaluation{Year: 2025, Kind: data.EvalProject, SubjectCode: "x", Score: 92}, "subject_code", ""},
		{"bad year", data.PropertyEvaluation{Year: 1999, Kind: data.EvalCompany, SubjectCode: "PC0001"}, "year", ""},
		{"bad kind", data.PropertyEvaluation{Year: 2025, Kind: "person", SubjectCode: "PC0001"}, "kind", ""},
		{"bad score", data.PropertyEvaluation{Year: 2025, Kind: data.EvalCompany, SubjectCode: "PC0001", Score: 101}, "score", ""},
	} {
		err := CheckEvaluation(&tc.e, c, prop)
		if FieldOf(err) != tc.field || (tc.field == "") != (err == nil) {
			t.Errorf("%s: %v, want field %q", tc.name, err, tc.field)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want it to say %q", tc.name, err, tc.msg)
		}
	}
	for score, g := range map[float64]string{100: "优秀", 90: "优秀", 89.99: "良好", 80: "良好", 60: "合格", 59.5: "不合格", 0: "不合格"} {
		if Grade(score) != g {
			t.Errorf("grade %v = %s, want %s", score, Grade(score), g)
		}
	}
}

func team(grid string, names ...string) data.VolunteerTeam {
	t := data.VolunteerTeam{GridCode: grid, Name: "党员志愿服务队", Leader: names[0], LeaderPhone: "13800000000"}
	for _, n := range names {
		t.Members = append(t.Members, data.Volunteer{Name: n, PartyMember: true})
	}
	return t
}

func target(id, kind, building, since string, born int) data.ServiceTarget {
	return data.ServiceTarget{ID: id, Kind: kind, Name: "某某", Gender: "女", BirthYear: born, BuildingCode: building, Items: []string{data.ItemCare}, Since: since}
}

// servicesFixture: teams in C1's and C3's grids, none in C2's. Targets:
//
//	T1 lonely elderly in A1, visited 11-21 and 12-01 (interval 7: due 12-08)
//	T2 severely disabled in A2, visited 2026-11-20 09:00 (due 11-27 09:00:
//	   9 days 3 hours late at 12-06 12:00, counted as the 10th day)
//	T3 left-behind child in B1 (grid without a team), visited 2026-12-01
//	T4 vulnerable child in E1, never visited, served from 2026-12-01 (due 12-08)
//	T5 lonely elderly in E2, never visited, served from 2026-10-01 (due 10-08)
//	T6 served until 2026-06-01: not counted
//	T7 own interval 30 days in A3, visited 2026-11-10 (due 12-10)
func servicesFixture() *data.Places {
	g1, g2, g3 := fC1+"001", fC2+"001", fC3+"001"
	b := func(n string) string { return code(n) + "001" }
	p := &data.Places{
		Teams: []data.VolunteerTeam{team(g1, "张一", "王二"), team(g3, "李三")},
		Targets: []data.ServiceTarget{
			target("T1", data.TargetLonelyElderly, b("A1"), "2025-01-01", 1940),
			target("T2", data.TargetSeverelyDisabled, b("A2"), "2025-01-01", 1970),
			target("T3", data.TargetLeftBehindChild, b("B1"), "2025-01-01", 2015),
			target("T4", data.TargetVulnerableChild, b("E1"), "2026-12-01", 2016),
			target("T5", data.TargetLonelyElderly, b("E2"), "2026-10-01", 1945),
			target("T6", data.TargetLonelyElderly, b("E2"), "2025-01-01", 1930),
			target("T7", data.TargetLonelyElderly, b("A3"), "2025-01-01", 1950),
		},
	}
	p.Targets[5].Until = "2026-06-01"
	p.Targets[6].IntervalDays = 30
	at := func(s string) time.Time { return mustTime(s) }
	p.Logs = []data.ServiceLog{
		{ID: "L1", GridCode: g1, TargetID: "T1", Item: data.ItemCare, At: at("2026-11-21 09:00"), Minutes: 60, Volunteers: []string{"张一"}},
		{ID: "L2", GridCode: g1, TargetID: "T1", Item: data.ItemHome, At: at("2026-12-01 09:00"), Minutes: 60, Volunteers: []string{"张一"}},
		{ID: "L3", GridCode: g1, TargetID: "T2", Item: data.ItemCare, At: at("2026-11-20 09:00"), Minutes: 60, Volunteers: []string{"王二"}},
		{ID: "L4", GridCode: g2, TargetID: "T3", Item: data.ItemTutoring, At: at("2026-12-01 16:00"), Minutes: 90, Volunteers: []string{"某志愿者"}},
		{ID: "L5", GridCode: g1, TargetID: "T7", Item: data.ItemCompanion, At: at("2026-11-10 09:00"), Minutes: 30, Volunteers: []string{"王二"}},
		{ID: "L6", GridCode: g1, TargetID: "T1", Item: data.ItemCare, At: at("2026-12-20 09:00"), Minutes: 60, Volunteers: []string{"张一"}}, // after now
		{ID: "L7", GridCode: g1, StationCode: fC1 + "001S01", Item: data.ItemActivity, At: at("2026-11-15 09:00"), Minutes: 120, Volunteers: []string{"张一", "王二"}},
	}
	return p
}

func TestCoverageHandCounted(t *testing.T) {
	c := fixtureCity()
	now := mustTime("2026-12-06 12:00")
	tc, sum := Coverage(IndexBuildings(c), servicesFixture(), DefaultIntervals, now)
	// Six served (T6 ended); T3 has no team; overdue: T2 (due 11-27), T5
	// (due 10-08). Covered: T1, T4, T7 = 3 of 6.
	if sum.Targets != 6 || sum.WithTeam != 5 || sum.NoTeam != 1 || sum.Overdue != 2 || sum.Covered.Num != 3 || sum.Covered.Den != 6 {
		t.Errorf("summary %+v", sum)
	}
	if sum.ByKind[data.TargetLonelyElderly] != 3 {
		t.Errorf("by kind %v", sum.ByKind)
	}
	by := map[string]TargetCoverage{}
	for _, x := range tc {
		by[x.TargetID] = x
	}
	if x := by["T1"]; x.Overdue || x.LastVisit == nil || !x.LastVisit.Equal(mustTime("2026-12-01 09:00")) ||
		!x.Due.Equal(mustTime("2026-12-08 09:00")) || x.Visits != 2 || !x.Covered || x.GridCode != fC1+"001" {
		t.Errorf("T1 %+v", x)
	}
	if x := by["T5"]; !x.Overdue || x.DaysOverdue != 60 {
		t.Errorf("T5 %+v", x)
	}
	if x := by["T2"]; !x.Overdue || x.DaysOverdue != 10 || x.Covered {
		t.Errorf("T2 %+v", x)
	}
	if x := by["T3"]; x.Team || x.Overdue || x.Covered {
		t.Errorf("T3 %+v", x)
	}
	if x := by["T4"]; x.Overdue || x.LastVisit != nil || !x.Due.Equal(mustTime("2026-12-08 00:00")) || !x.Covered {
		t.Errorf("T4 %+v", x)
	}
	if x := by["T7"]; x.Overdue || x.IntervalDays != 30 || !x.Covered {
		t.Errorf("T7 %+v", x)
	}
	if _, ok := by["T6"]; ok {
		t.Error("T6 counted after it ended")
	}
	od := Overdue(tc)
	if len(od) != 3 || od[0].TargetID != "T5" || od[1].TargetID != "T2" || od[2].TargetID != "T3" {
		t.Errorf("overdue order %+v", od)
	}
	grids := ByGrid(c, servicesFixture(), tc, now)
	if g := grids[0]; !g.Team || g.Members != 2 || g.Targets != 3 || g.Overdue != 1 || g.Logs90 != 5 {
		t.Errorf("grid C1 %+v", g)
	}
	if g := grids[1]; g.Team || g.Targets != 1 {
		t.Errorf("grid C2 %+v", g)
	}
}

func TestCoverageDueBoundary(t *testing.T) {
	c := fixtureCity()
	p := servicesFixture()
	// T1 visited 2026-12-01 09:00, interval 7: due 12-08 09:00; seen from
	// 11-25, its last visit is 11-21 (due 11-28).
	for _, tc := range []struct {
		now     string
		overdue bool
	}{{"2026-12-08 09:00", false}, {"2026-12-08 09:01", true}, {"2026-11-25 00:00", false}, {"2026-11-28 09:01", true}} {
		cov, _ := Coverage(IndexBuildings(c), p, DefaultIntervals, mustTime(tc.now))
		for _, x := range cov {
			if x.TargetID == "T1" && x.Overdue != tc.overdue {
				t.Errorf("at %s T1 overdue %v, want %v", tc.now, x.Overdue, tc.overdue)
			}
		}
	}
	// A configured interval of 21 days for the severely disabled: T2 due
	// 12-11, not overdue.
	iv := Intervals{data.TargetLonelyElderly: 7, data.TargetSeverelyDisabled: 21, data.TargetLeftBehindChild: 14, data.TargetVulnerableChild: 7}
	cov, _ := Coverage(IndexBuildings(c), p, iv, mustTime("2026-12-06 12:00"))
	for _, x := range cov {
		if x.TargetID == "T2" && (x.Overdue || x.IntervalDays != 21) {
			t.Errorf("T2 with 21 days %+v", x)
		}
	}
}

func TestIntervalsValidate(t *testing.T) {
	if err := DefaultIntervals.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, iv := range []Intervals{
		{data.TargetLonelyElderly: 0, data.TargetSeverelyDisabled: 7, data.TargetLeftBehindChild: 7, data.TargetVulnerableChild: 7},
		{data.TargetLonelyElderly: 91, data.TargetSeverelyDisabled: 7, data.TargetLeftBehindChild: 7, data.TargetVulnerableChild: 7},
		{data.TargetLonelyElderly: 7},
		{data.TargetLonelyElderly: 7, data.TargetSeverelyDisabled: 7, data.TargetLeftBehindChild: 7, data.TargetVulnerableChild: 7, "pets": 7},
	} {
		if err := iv.Validate(); err == nil {
			t.Errorf("%v accepted", iv)
		}
	}
}

func TestValidateTeamTargetLog(t *testing.T) {
	c := fixtureCity()
	bs := IndexBuildings(c)
	ok := team(fC1+"001", "张一", "王二")
	if err := ValidateTeam(&ok, c); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mod   func(*data.VolunteerTeam)
		field string
	}{
		{func(x *data.VolunteerTeam) { x.GridCode = "x" }, "grid_code"},
		{func(x *data.VolunteerTeam) { x.Name = "" }, "name"},
		{func(x *data.VolunteerTeam) { x.Leader = "赵六" }, "leader"},
		{func(x *data.VolunteerTeam) { x.LeaderPhone = "" }, "leader_phone"},
		{func(x *data.VolunteerTeam) { x.Members = nil }, "members"},
		{func(x *data.VolunteerTeam) { x.Members = append(x.Members, x.Members[0]) }, "members[2].name"},
		{func(x *data.VolunteerTeam) { x.Founded = "2020-1-1" }, "founded"},
	} {
		x := ok
		x.Members = append([]data.Volunteer(nil), ok.Members...)
		tc.mod(&x)
		if err := ValidateTeam(&x, c); FieldOf(err) != tc.field {
			t.Errorf("team: %v, want field %q", err, tc.field)
		}
	}
	tg := target("T1", data.TargetLonelyElderly, code("A1")+"001", "2025-01-01", 1940)
	if err := ValidateTarget(&tg, bs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mod   func(*data.ServiceTarget)
		field string
	}{
		{func(x *data.ServiceTarget) { x.ID = "1" }, "id"},
		{func(x *data.ServiceTarget) { x.Kind = "poor" }, "kind"},
		{func(x *data.ServiceTarget) { x.Name = "" }, "name"},
		{func(x *data.ServiceTarget) { x.Gender = "F" }, "gender"},
		{func(x *data.ServiceTarget) { x.BuildingCode = "x" }, "building_code"},
		{func(x *data.ServiceTarget) { x.Items = nil }, "items"},
		{func(x *data.ServiceTarget) { x.Items = []string{"cooking"} }, "items"},
		{func(x *data.ServiceTarget) { x.Items = []string{data.ItemCare, data.ItemCare} }, "items"},
		{func(x *data.ServiceTarget) { x.IntervalDays = 91 }, "interval_days"},
		{func(x *data.ServiceTarget) { x.Since = "" }, "since"},
		{func(x *data.ServiceTarget) { x.Until = "2024-12-31" }, "until"},
		{func(x *data.ServiceTarget) { x.BirthYear = 1980 }, "birth_year"}, // 45: not elderly
		{func(x *data.ServiceTarget) { x.Kind = data.TargetLeftBehindChild }, "birth_year"},
		{func(x *data.ServiceTarget) { x.Phone = "abc" }, "phone"},
	} {
		x := tg
		tc.mod(&x)
		if err := ValidateTarget(&x, bs); FieldOf(err) != tc.field {
			t.Errorf("target: %v, want field %q", err, tc.field)
		}
	}
	p := servicesFixture()
	refs := LogRefs{
		Team: func(g string) bool { return g == fC1+"001" || g == fC3+"001" },
		Target: func(id string) *data.ServiceTarget {
			for i := range p.Targets {
				if p.Targets[i].ID == id {
					return &p.Targets[i]
				}
			}
			return nil
		},
		Station: func(code string) *data.Station {
			for i := range c.Stations {
				if c.Stations[i].Code == code {
					return &c.Stations[i]
				}
			}
			return nil
		},
		GridOf: func(b string) (string, bool) {
			if x := bs[b]; x != nil {
				return x.GridCode, true
			}
			return "", false
		},
		Now: mustTime("2026-12-06 12:00"),
	}
	lg := p.Logs[0]
	if err := ValidateLog(&lg, refs); err != nil {
		t.Fatal(err)
	}
	act := p.Logs[6]
	if err := ValidateLog(&act, refs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		base  data.ServiceLog
		mod   func(*data.ServiceLog)
		field string
	}{
		{lg, func(x *data.ServiceLog) { x.ID = "X1" }, "id"},
		{lg, func(x *data.ServiceLog) { x.GridCode = fC2 + "001" }, "grid_code"}, // no team
		{lg, func(x *data.ServiceLog) { x.GridCode = fC3 + "001" }, "grid_code"}, // T1 lives in C1
		{lg, func(x *data.ServiceLog) { x.TargetID = "T99" }, "target_id"},
		{lg, func(x *data.ServiceLog) { x.TargetID = "" }, "target_id"},
		{lg, func(x *data.ServiceLog) { x.Item = "shopping" }, "item"},
		{lg, func(x *data.ServiceLog) { x.At = mustTime("2026-12-08 12:00") }, "at"},
		{lg, func(x *data.ServiceLog) { x.At = mustTime("2024-12-01 12:00") }, "at"}, // before T1 was served
		{lg, func(x *data.ServiceLog) { x.Minutes = 0 }, "minutes"},
		{lg, func(x *data.ServiceLog) { x.Volunteers = nil }, "volunteers"},
		{lg, func(x *data.ServiceLog) { x.StationCode = "S" }, "station_code"},
		{act, func(x *data.ServiceLog) { x.StationCode = "" }, "station_code"},
		{act, func(x *data.ServiceLog) { x.TargetID = "T1" }, "target_id"},
	} {
		x := tc.base
		tc.mod(&x)
		if err := ValidateLog(&x, refs); FieldOf(err) != tc.field {
			t.Errorf("log: %v, want field %q", err, tc.field)
		}
	}
}

func TestLifecycle(t *testing.T) {
	P, U, B := data.StationPlanned, data.StationUnderConstruction, data.StationBuilt
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{P, P, true}, {P, U, true}, {U, B, true}, {B, B, true}, {U, U, true},
		{P, B, false}, {B, U, false}, {U, P, false}, {B, P, false}, {P, "open", false}, {"x", P, false},
	} {
		if err := NextStatus(tc.from, tc.to); (err == nil) != tc.ok {
			t.Errorf("%s → %s: %v", tc.from, tc.to, err)
		}
	}
	r := func(from, st string) data.StationRecord {
		return data.StationRecord{StationCode: "S", From: from, Status: st}
	}
	if err := CheckLifecycle([]data.StationRecord{r("2025-05-01", B), r("2024-01-01", P), r("2024-09-01", U)}); err != nil {
		t.Errorf("in-order history refused: %v", err)
	}
	if err := CheckLifecycle([]data.StationRecord{r("2024-01-01", P), r("2025-05-01", B)}); err == nil {
		t.Error("planned → built accepted")
	}
	if err := CheckLifecycle([]data.StationRecord{r("2024-01-01", P), r("2024-01-01", U)}); err == nil {
		t.Error("two records on one day accepted")
	}
}

func TestParseHours(t *testing.T) {
	for _, tc := range []struct {
		in      string
		weekly  float64
		weekend bool
		chinese string
	}{
		{"1-5 08:30-17:30", 45, false, "周一至周五 08:30-17:30"},
		{"1-5 08:30-12:00,14:00-17:30; 6,7 09:00-12:00", 41, true, "周一至周五 08:30-12:00、14:00-17:30；周六至周日 09:00-12:00"},
		{"1 00:00-24:00", 24, false, "周一 00:00-24:00"},
		{"", 0, false, "未开放"},
		{"1,3,5 09:00-11:00", 6, false, "周一 09:00-11:00；周三 09:00-11:00；周五 09:00-11:00"},
	} {
		h, err := ParseHours(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if h.Weekly() != tc.weekly || h.Weekend() != tc.weekend || h.Chinese() != tc.chinese {
			t.Errorf("%q: %v %v %q", tc.in, h.Weekly(), h.Weekend(), h.Chinese())
		}
	}
	for _, bad := range []string{"1-5", "8 09:00-10:00", "0 09:00-10:00", "5-1 09:00-10:00", "1 10:00-09:00", "1 9:00-10:00",
		"1 09:00-10:00,09:30-11:00", "1-5 09:00-10:00; 3 09:30-09:45", "1,1 09:00-10:00", "1 25:00-26:00", "1 09:60-10:00", strings.Repeat("1 09:00-10:00;", 30)} {
		if _, err := ParseHours(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// starFacts: a built station open 45 h a week on weekdays and Saturday
// mornings (48 h), all five functions, 80 m².
func starFacts() Facts {
	return Facts{Record: &data.StationRecord{StationCode: "S", Status: data.StationBuilt, Hours: "1-5 08:30-17:30; 6 09:00-12:00",
		Functions: data.StationFunctions, AreaM2: 80}, Activities: 20}
}

func award(stars int, at string, criteria ...string) data.StarRating {
	return data.StarRating{StationCode: "S", At: mustTime(at), Stars: stars, Kind: data.RatingAward, Criteria: criteria}
}

func TestAssessAndDowngrade(t *testing.T) {
	all := InspectionCriteria()
	now := mustTime("2026-12-06 12:00")
	for _, tc := range []struct {
		name           string
		mod            func(*Facts)
		ceiling, stars int
		lapsed         string
	}{
		{"all met", func(f *Facts) { f.Ratings = []data.StarRating{award(5, "2026-06-01 10:00", all...)} }, 5, 5, ""},
		{"activities fell to 10", func(f *Facts) {
			f.Activities = 10
			f.Ratings = []data.StarRating{award(5, "2026-06-01 10:00", all...)}
		}, 4, 4, "L5-activities"},
		{"activities fell to 2", func(f *Facts) {
			f.Activities = 2
			f.Ratings = []data.StarRating{award(5, "2026-06-01 10:00", all...)}
		}, 1, 1, "L2-activities,L4-activities,L5-activities"},
		{"inspection expired", func(f *Facts) { f.Ratings = []data.StarRating{award(4, "2025-12-05 10:00", all...)} }, 0, 0, "L1-sign,L3-duty,L4-opinion"},
		{"hours cut to 35", func(f *Facts) {
			f.Record.Hours = "1-5 09:00-16:00"
			f.Ratings = []data.StarRating{award(3, "2026-06-01 10:00", all...)}
		}, 2, 2, "L3-hours"},
		{"rated 3, supports 5", func(f *Facts) { f.Ratings = []data.StarRating{award(3, "2026-06-01 10:00", all...)} }, 5, 3, ""},
		{"after a downgrade", func(f *Facts) {
			f.Activities = 10
			f.Ratings = []data.StarRating{award(5, "2026-06-01 10:00", all...), {StationCode: "S", At: mustTime("2026-11-01 00:00"), Stars: 4, Kind: data.RatingDowngrade}}
		}, 4, 4, ""},
		{"never rated", func(f *Facts) {}, 0, 0, ""},
		{"not built", func(f *Facts) {
			f.Record.Status = data.StationUnderConstruction
			f.Ratings = []data.StarRating{award(2, "2026-06-01 10:00", all...)}
		}, 0, 0, "L1-sign,L1-hours,L1-functions,L2-hours,L2-functions,L2-activities"},
	} {
		f := starFacts()
		rec := *f.Record
		f.Record = &rec
		tc.mod(&f)
		a := Assess("S", f, now)
		if a.Ceiling != tc.ceiling || a.Stars != tc.stars || strings.Join(a.Lapsed, ",") != tc.lapsed {
			t.Errorf("%s: ceiling %d stars %d lapsed %v, want %d %d %s", tc.name, a.Ceiling, a.Stars, a.Lapsed, tc.ceiling, tc.stars, tc.lapsed)
		}
		d, ok := Downgrade(a, now)
		if ok != (a.Stars < a.Rated) {
			t.Errorf("%s: downgrade %v", tc.name, ok)
		}
		if ok && (d.Stars != tc.stars || d.Kind != data.RatingDowngrade || strings.Join(d.Criteria, ",") != tc.lapsed || !strings.Contains(d.Note, "降为") || d.Actor != "system") {
			t.Errorf("%s: downgrade entry %+v", tc.name, d)
		}
	}
}

func TestCheckAward(t *testing.T) {
	all := InspectionCriteria()
	f := starFacts()
	ok := award(5, "2026-12-06 10:00", all...)
	if err := CheckAward(&ok, f); err != nil {
		t.Fatalf("5 stars with everything met refused: %v", err)
	}
	// Without the satisfaction check, five stars are out of reach.
	noSat := award(5, "2026-12-06 10:00", "L1-sign", "L3-duty", "L4-opinion")
	err := CheckAward(&noSat, f)
	if FieldOf(err) != "stars" || !strings.Contains(err.Error(), "L5-satisfaction") || !strings.Contains(err.Error(), "4 stars, not 5") {
		t.Errorf("five stars without L5-satisfaction: %v", err)
	}
	four := award(4, "2026-12-06 10:00", "L1-sign", "L3-duty", "L4-opinion")
	if err := CheckAward(&four, f); err != nil {
		t.Errorf("four stars refused: %v", err)
	}
	for _, bad := range []data.StarRating{
		award(6, "2026-12-06 10:00"), award(-1, "2026-12-06 10:00"),
		award(1, "2026-12-06 10:00", "L1-hours"), award(1, "2026-12-06 10:00", "L1-sign", "L1-sign"),
	} {
		if err := CheckAward(&bad, f); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	planned := Facts{Record: &data.StationRecord{Status: data.StationPlanned}}
	one := award(1, "2026-12-06 10:00", all...)
	if err := CheckAward(&one, planned); err == nil {
		t.Error("rated a planned station")
	}
	zero := award(0, "2026-12-06 10:00")
	if err := CheckAward(&zero, planned); err != nil {
		t.Errorf("zero stars for a planned station: %v", err)
	}
}

func TestActivityCounts(t *testing.T) {
	now := mustTime("2026-12-06 12:00")
	logs := []data.ServiceLog{
		{StationCode: "S", At: mustTime("2026-12-06 11:00")},
		{StationCode: "S", At: mustTime("2026-09-07 13:00")}, // 89.96 days ago
		{StationCode: "S", At: mustTime("2026-09-07 11:00")}, // just over 90 days
		{StationCode: "S", At: mustTime("2026-12-06 13:00")}, // future
		{StationCode: "", At: mustTime("2026-12-01 11:00")},
	}
	if n := ActivityCounts(logs, now)["S"]; n != 2 {
		t.Errorf("%d activities, want 2", n)
	}
}

func BenchmarkAssess(b *testing.B) {
	f := starFacts()
	f.Ratings = []data.StarRating{award(5, "2026-06-01 10:00", InspectionCriteria()...)}
	now := mustTime("2026-12-06 12:00")
	for b.Loop() {
		Assess("S", f, now)
	}
}

func BenchmarkCoverage(b *testing.B) {
	c := fixtureCity()
	bs := IndexBuildings(c)
	p := servicesFixture()
	now := mustTime("2026-12-06 12:00")
	for b.Loop() {
		Coverage(bs, p, DefaultIntervals, now)
	}
}
