package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/store"
)

// SmallPlaces are places records over SmallCity that set every field of
// every record (times in UTC to the millisecond, as both stores keep them).
func SmallPlaces() data.Places {
	t0 := time.Date(2026, 11, 20, 2, 30, 0, 0, time.UTC)
	cp, grid, st := "37040200101300101", "370402001013001", "S370402001013001"
	return data.Places{
		Companies: []data.PropertyCompany{{Code: "PC0001", Name: "枣庄物业", CreditCode: "91370400MA3C123456", DistrictCode: "370402", Hotline: "0632-3311234"}},
		CompanyRecords: []data.CompanyRecord{
			{CompanyCode: "PC0001", From: "2019-01-01", PartyOrg: data.PartyOrgNone},
			{CompanyCode: "PC0001", From: "2021-03-01", PartyOrg: data.PartyOrgIndependent, PartyOrgName: "枣庄物业党支部", PartyMembers: 7, Note: "单独组建"},
		},
		Property: []data.PropertyRecord{
			{CompoundCode: cp, From: "2019-06-01", Status: data.PropertyNone},
			{CompoundCode: cp, From: "2022-01-01", Status: data.PropertyManaged, CompanyCode: "PC0001", Committee: true, Note: "引入物业",
				Members: []data.CommitteeMember{{Name: "张伟", Phone: "13812345678", Role: "主任", PartyMember: true}, {Name: "李娜", Role: "副主任", PartyMember: true},
					{Name: "王强", Role: "委员", PartyMember: true}, {Name: "刘洋", Role: "委员"}, {Name: "陈静", Role: "委员"}}},
		},
		Evaluations: []data.PropertyEvaluation{{Year: 2025, Kind: data.EvalCompany, SubjectCode: "PC0001", Score: 93.5, Benchmark: true, Note: "标杆"}},
		Teams: []data.VolunteerTeam{{GridCode: grid, Name: "光明先锋队", Leader: "赵敏", LeaderPhone: "13900002222", Founded: "2020-05-04",
			Members: []data.Volunteer{{Name: "赵敏", Phone: "13900002222", PartyMember: true}, {Name: "钱多"}}}},
		Targets: []data.ServiceTarget{{ID: "T1", Kind: data.TargetLonelyElderly, Name: "孙老", Gender: "男", BirthYear: 1941, Phone: "13600003333",
			Guardian: "孙小", BuildingCode: "37040200101300101001", Room: "1单元101", Items: []string{data.ItemCare, data.ItemHealth},
			IntervalDays: 5, Since: "2024-01-01", Until: "2027-01-01", Note: "独居"}},
		Logs: []data.ServiceLog{
			{ID: "L1", GridCode: grid, TargetID: "T1", Item: data.ItemCare, At: t0, Minutes: 45, Volunteers: []string{"赵敏", "钱多"}, Note: "送餐"},
			{ID: "L2", GridCode: grid, StationCode: st, Item: data.ItemActivity, At: t0.Add(24 * time.Hour), Minutes: 90, Volunteers: []string{"赵敏"}},
		},
		Stations: []data.StationRecord{
			{StationCode: st, From: "2024-03-01", Status: data.StationPlanned},
			{StationCode: st, From: "2025-01-01", Status: data.StationBuilt, Hours: "1-5 08:30-17:30; 6 09:00-12:00",
				Functions: []string{data.FuncPolicy, data.FuncServices}, AreaM2: 80, Note: "建成"},
		},
		Ratings: []data.StarRating{{StationCode: st, At: t0.Add(-90 * 24 * time.Hour), Stars: 1, Kind: data.RatingAward,
			Criteria: []string{"L1-sign"}, Actor: "组织部", Note: "首评"}},
	}
}

// DiffPlaces reports the first list where got differs from want.
func DiffPlaces(got, want *data.Places) string {
	pairs := []struct {
		name      string
		got, want any
	}{
		{"companies", got.Companies, want.Companies}, {"company records", got.CompanyRecords, want.CompanyRecords},
		{"property", got.Property, want.Property}, {"evaluations", got.Evaluations, want.Evaluations},
		{"teams", got.Teams, want.Teams}, {"targets", got.Targets, want.Targets}, {"logs", got.Logs, want.Logs},
		{"stations", got.Stations, want.Stations}, {"ratings", got.Ratings, want.Ratings},
	}
	for _, p := range pairs {
		if !reflect.DeepEqual(p.got, p.want) {
			return p.name + " differ"
		}
	}
	return ""
}

func testPlaces(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t, fixed)
	c := SmallCity()
	c.Places = SmallPlaces()
	if err := st.Append(ctx, c); err != nil {
		t.Fatal(err)
	}
	got := load(t, st)
	want := SmallPlaces()
	if d := DiffPlaces(&got.Places, &want); d != "" {
		t.Fatalf("round trip: %s:\n got %+v\nwant %+v", d, got.Places, want)
	}
	audits, _ := st.Audit(ctx, 0)

	// A change: a record replaced (same key), one added, a company and its
	// record added, a log deleted, a rating appended, the intervals, and
	// the projection onto the layers.
	t1 := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	rec := want.Property[1]
	rec.Note, rec.Members = "换届", append([]data.CommitteeMember(nil), rec.Members...)
	rec.Members[3].PartyMember = true
	ch := &places.Change{
		Companies:      []data.PropertyCompany{{Code: "PC0002", Name: "新物业"}, {Code: "PC0001", Name: "枣庄物业有限公司"}},
		CompanyRecords: []data.CompanyRecord{{CompanyCode: "PC0002", From: "2026-01-01", PartyOrg: data.PartyOrgJoint, PartyOrgName: "联合党支部", PartyMembers: 2}},
		Property:       []data.PropertyRecord{rec, {CompoundCode: rec.CompoundCode, From: "2026-11-01", Status: data.PropertyManaged, CompanyCode: "PC0002"}},
		Ratings:        []data.StarRating{{StationCode: "S370402001013001", At: t1, Stars: 0, Kind: data.RatingDowngrade, Criteria: []string{"L1-sign"}, Actor: "system"}},
		Delete:         []places.Key{{Sheet: places.SheetLogs, Code: "L2"}},
		Intervals:      places.Intervals{data.TargetLonelyElderly: 3, data.TargetSeverelyDisabled: 7, data.TargetLeftBehindChild: 14, data.TargetVulnerableChild: 7},
	}
	pr := places.Projection{
		Compounds: []places.CompoundState{{Code: rec.CompoundCode, PropertyStatus: data.PropertyManaged, PropertyCompany: "新物业", OwnersCommittee: false, PartyOrg: true}},
		Stations:  []places.StationState{{Code: "S370402001013001", Status: data.StationBuilt, Stars: 0}},
		Grids:     []places.GridTeam{{Code: "370402001013002", VolunteerTeam: "新队", Volunteers: 3}},
	}
	entry := data.AuditEntry{At: t1, Actor: "organiser-test", Action: "places.change", Target: "test", Detail: "{}"}
	if err := st.ApplyPlaces(ctx, ch, pr, entry); err != nil {
		t.Fatal(err)
	}
	got = load(t, st)
	merged, err := places.Merge(&want, ch)
	if err != nil {
		t.Fatal(err)
	}
	// The store keeps rows by key, not in the merge's order: compare as sets.
	if d := DiffPlaces(sorted(got.Places), sorted(*merged)); d != "" {
		t.Fatalf("after the change: %s:\n got %+v\nwant %+v", d, got.Places, *merged)
	}
	if got.Meta[tablesMetaIntervals] == "" {
		t.Errorf("intervals not stored: %v", got.Meta)
	}
	cp := got.Compound(rec.CompoundCode)
	if cp.PropertyCompany != "新物业" || cp.OwnersCommittee || !cp.PartyOrg {
		t.Errorf("compound projection: %+v", cp)
	}
	if got.Stations[0].Stars != 0 || got.Grid("370402001013002").VolunteerTeam != "新队" || got.Grid("370402001013002").Volunteers != 3 {
		t.Errorf("station/grid projection: %+v %+v", got.Stations[0], got.Grid("370402001013002"))
	}
	if es, _ := st.Audit(ctx, 1); len(es) != 1 || es[0].Action != "places.change" || es[0].Actor != "organiser-test" {
		t.Errorf("audit %+v", es)
	}
	after := load(t, st)
	n, _ := st.Audit(ctx, 0)

	// A change that fails in the store changes nothing: a record of a
	// company that does not exist (the checks of package places refuse it
	// first; the store's reference holds anyway), after other writes; and
	// a rating deletion (the history is append-only).
	for _, bad := range []*places.Change{
		{Teams: []data.VolunteerTeam{{GridCode: "370402001013002", Name: "x", Leader: "y", Members: []data.Volunteer{{Name: "y"}}}},
			Property:       []data.PropertyRecord{{CompoundCode: rec.CompoundCode, From: "2026-12-01", Status: data.PropertyNone}},
			CompanyRecords: []data.CompanyRecord{{CompanyCode: "PC9999", From: "2026-01-01", PartyOrg: data.PartyOrgNone}}},
		{Teams: []data.VolunteerTeam{{GridCode: "370402001013002", Name: "x"}}, Delete: []places.Key{{Sheet: places.SheetRatings, Code: "S370402001013001", From: t1.Format(time.RFC3339)}}},
	} {
		if err := st.ApplyPlaces(ctx, bad, places.Projection{Grids: []places.GridTeam{{Code: "370402001013002", VolunteerTeam: "坏", Volunteers: 9}}}, entry); err == nil {
			t.Errorf("a failing change was written: %+v", bad)
		}
		if d := DiffPlaces(&load(t, st).Places, &after.Places); d != "" || load(t, st).Grid("370402001013002").VolunteerTeam != "新队" {
			t.Errorf("a failed change changed the store: %s", d)
		}
		if m, _ := st.Audit(ctx, 0); len(m) != len(n) {
			t.Errorf("a failed change left an audit entry")
		}
	}
	if len(audits) == 0 {
		t.Error("no audit entry for the append")
	}
}

const tablesMetaIntervals = "places_intervals"

// sorted returns p's lists in key order.
func sorted(p data.Places) *data.Places {
	q := p
	sortBy := func(n int, less func(i, j int) bool, swap func(i, j int)) {
		for i := 1; i < n; i++ {
			for j := i; j > 0 && less(j, j-1); j-- {
				swap(j, j-1)
			}
		}
	}
	q.Companies = append([]data.PropertyCompany(nil), p.Companies...)
	sortBy(len(q.Companies), func(i, j int) bool { return q.Companies[i].Code < q.Companies[j].Code }, func(i, j int) { q.Companies[i], q.Companies[j] = q.Companies[j], q.Companies[i] })
	q.CompanyRecords = append([]data.CompanyRecord(nil), p.CompanyRecords...)
	sortBy(len(q.CompanyRecords), func(i, j int) bool {
		return q.CompanyRecords[i].CompanyCode+q.CompanyRecords[i].From < q.CompanyRecords[j].CompanyCode+q.CompanyRecords[j].From
	}, func(i, j int) { q.CompanyRecords[i], q.CompanyRecords[j] = q.CompanyRecords[j], q.CompanyRecords[i] })
	q.Property = append([]data.PropertyRecord(nil), p.Property...)
	sortBy(len(q.Property), func(i, j int) bool {
		return q.Property[i].CompoundCode+q.Property[i].From < q.Property[j].CompoundCode+q.Property[j].From
	},
		func(i, j int) { q.Property[i], q.Property[j] = q.Property[j], q.Property[i] })
	q.Logs = append([]data.ServiceLog(nil), p.Logs...)
	sortBy(len(q.Logs), func(i, j int) bool { return q.Logs[i].ID < q.Logs[j].ID }, func(i, j int) { q.Logs[i], q.Logs[j] = q.Logs[j], q.Logs[i] })
	return &q
}

// testPlacesFollowPlans: a plan that re-codes a compound takes its places
// records along — property records, project evaluations, the service
// targets in its buildings.
func testPlacesFollowPlans(t *testing.T, open Opener) {
	ctx := context.Background()
	g := open(t, fixed)
	c := SmallCity()
	c.Places = SmallPlaces()
	c.Places.Evaluations = append(c.Places.Evaluations, data.PropertyEvaluation{Year: 2025, Kind: data.EvalProject, SubjectCode: "37040200101300101", Score: 91})
	if err := g.Append(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := g.SavePlan(ctx, store.PlanRecord{ID: "p1", Name: "move", CreatedBy: "li", Edits: []byte(`[]`)}); err != nil {
		t.Fatal(err)
	}
	// The compound moves to grid 2: 37040200101300101 → 37040200101300201.
	after := SmallCity()
	old, nc := after.Compounds[0].Code, "37040200101300201"
	after.Compounds[0].Code, after.Compounds[0].GridCode = nc, "370402001013002"
	for i := range after.Buildings {
		after.Buildings[i].Code = nc + after.Buildings[i].Code[17:]
		after.Buildings[i].CompoundCode, after.Buildings[i].GridCode = nc, "370402001013002"
	}
	apply := store.PlanApply{PlanID: "p1", Actor: "li", City: after, Before: []byte(`{}`), After: []byte(`{}`), Summary: `{}`,
		Delta: &store.PlanDelta{Grids: []string{"370402001013001", "370402001013002"}, Compounds: map[string]string{old: nc}}}
	if _, err := g.ApplyPlan(ctx, apply); err != nil {
		t.Fatal(err)
	}
	got := load(t, g).Places
	for _, r := range got.Property {
		if r.CompoundCode != nc {
			t.Errorf("property record of %s after the re-code", r.CompoundCode)
		}
	}
	if got.Evaluations[1].SubjectCode != nc || got.Evaluations[0].SubjectCode != "PC0001" {
		t.Errorf("evaluations %+v", got.Evaluations)
	}
	if got.Targets[0].BuildingCode != nc+"001" {
		t.Errorf("target building %s, want %s001", got.Targets[0].BuildingCode, nc)
	}
}
