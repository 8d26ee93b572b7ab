package places

import (
	"errors"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data"
)

type wantRates struct {
	code                                   string
	compounds, unrecorded                  int
	committee, professional, party, cparty [2]int
	households                             [2]int
}

func TestRatesHandCounted(t *testing.T) {
	c := fixtureCity()
	r := NewRater(c, NewProperty(fixturePlaces()))
	cases := []struct {
		level, day string
		want       []wantRates
	}{
		// Base day: no company has a party organisation yet (PC0001's
		// record says none; PC0002 and PC0003 have no record).
		{LevelCommunity, "2020-01-01", []wantRates{
			{fC1, 4, 0, [2]int{1, 4}, [2]int{2, 4}, [2]int{0, 2}, [2]int{1, 1}, [2]int{300, 400}},
			{fC2, 3, 0, [2]int{1, 3}, [2]int{1, 3}, [2]int{0, 1}, [2]int{0, 1}, [2]int{120, 300}},
			{fC3, 2, 1, [2]int{1, 2}, [2]int{2, 2}, [2]int{0, 2}, [2]int{1, 1}, [2]int{450, 450}},
		}},
		{LevelStreet, "2020-01-01", []wantRates{
			{fS1, 7, 0, [2]int{2, 7}, [2]int{3, 7}, [2]int{0, 2}, [2]int{1, 2}, [2]int{420, 700}},
			{fS2, 2, 1, [2]int{1, 2}, [2]int{2, 2}, [2]int{0, 2}, [2]int{1, 1}, [2]int{450, 450}},
		}},
		{LevelCity, "2020-01-01", []wantRates{
			{"", 9, 1, [2]int{3, 9}, [2]int{5, 9}, [2]int{0, 3}, [2]int{2, 3}, [2]int{870, 1150}},
		}},
		// 2021-03-01: PC0001 independent, PC0002 joint, PC0003 none; A3
		// not yet managed, E3 not yet on record.
		{LevelCity, "2021-03-01", []wantRates{
			{"", 9, 1, [2]int{3, 9}, [2]int{5, 9}, [2]int{2, 3}, [2]int{2, 3}, [2]int{870, 1150}},
		}},
		{LevelDistrict, "2021-03-01", []wantRates{
			{fD, 9, 1, [2]int{3, 9}, [2]int{5, 9}, [2]int{2, 3}, [2]int{2, 3}, [2]int{870, 1150}},
		}},
		// The day before a record takes effect, and the day itself.
		{LevelCommunity, "2021-04-30", []wantRates{
			{fC1, 4, 0, [2]int{1, 4}, [2]int{2, 4}, [2]int{2, 2}, [2]int{1, 1}, [2]int{300, 400}},
			{fC2, 3, 0, [2]int{1, 3}, [2]int{1, 3}, [2]int{1, 1}, [2]int{0, 1}, [2]int{120, 300}},
			{fC3, 2, 1, [2]int{1, 2}, [2]int{2, 2}, [2]int{1, 2}, [2]int{1, 1}, [2]int{450, 450}},
		}},
		{LevelCommunity, "2021-05-01", []wantRates{
			{fC1, 4, 0, [2]int{2, 4}, [2]int{3, 4}, [2]int{2, 2}, [2]int{2, 2}, [2]int{350, 400}},
			{fC2, 3, 0, [2]int{1, 3}, [2]int{1, 3}, [2]int{1, 1}, [2]int{0, 1}, [2]int{120, 300}},
			{fC3, 2, 1, [2]int{1, 2}, [2]int{2, 2}, [2]int{1, 2}, [2]int{1, 1}, [2]int{450, 450}},
		}},
		// Now: everything in force, every company with a party organisation.
		{LevelCommunity, "2026-06-01", []wantRates{
			{fC1, 4, 0, [2]int{2, 4}, [2]int{4, 4}, [2]int{3, 3}, [2]int{2, 2}, [2]int{400, 400}},
			{fC2, 3, 0, [2]int{1, 3}, [2]int{1, 3}, [2]int{1, 1}, [2]int{1, 1}, [2]int{120, 300}},
			{fC3, 3, 0, [2]int{2, 3}, [2]int{3, 3}, [2]int{3, 3}, [2]int{2, 2}, [2]int{500, 500}},
		}},
		{LevelCity, "2026-06-01", []wantRates{
			{"", 10, 0, [2]int{5, 10}, [2]int{8, 10}, [2]int{3, 3}, [2]int{5, 5}, [2]int{1020, 1200}},
		}},
		// Before any record: every compound unrecorded, every rate 0/0.
		{LevelCity, "2019-01-01", []wantRates{
			{"", 0, 10, [2]int{0, 0}, [2]int{0, 0}, [2]int{0, 0}, [2]int{0, 0}, [2]int{0, 0}},
		}},
	}
	for _, tc := range cases {
		got, err := r.Rates(tc.level, tc.day)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.level, tc.day, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s %s: %d areas, want %d", tc.level, tc.day, len(got), len(tc.want))
		}
		for i, w := range tc.want {
			g := got[i]
			pair := func(x Rate) [2]int { return [2]int{x.Num, x.Den} }
			if g.Code != w.code || g.Compounds != w.compounds || g.Unrecorded != w.unrecorded ||
				pair(g.Committee) != w.committee || pair(g.Professional) != w.professional ||
				pair(g.PartyOrg) != w.party || pair(g.CommitteeParty) != w.cparty || pair(g.Households) != w.households {
				t.Errorf("%s %s %s:\n got  %+v\n want %+v", tc.level, tc.day, w.code, g, w)
			}
		}
	}
}

func TestRateValuesAndNames(t *testing.T) {
	r := NewRater(fixtureCity(), NewProperty(fixturePlaces()))
	got, _ := r.Rates(LevelCity, "2020-01-01")
	if v := got[0].Professional.Value; v != 0.5556 {
		t.Errorf("5/9 = %v, want 0.5556", v)
	}
	if got[0].Name != "全市" || got[0].ByStatus[data.PropertyManaged] != 5 || got[0].ByStatus[data.PropertyNone] != 2 ||
		got[0].ByStatus[data.PropertySelf] != 1 || got[0].ByStatus[data.PropertyAbandoned] != 1 {
		t.Errorf("city: %+v", got[0])
	}
	st, _ := r.Rates(LevelStreet, "2020-01-01")
	if st[0].Name != "甲街道" {
		t.Errorf("street name %q", st[0].Name)
	}
}

func TestChangesAgainstBase(t *testing.T) {
	r := NewRater(fixtureCity(), NewProperty(fixturePlaces()))
	ch, err := r.Changes(LevelCity, "2020-01-01", "2026-06-01")
	if err != nil {
		t.Fatal(err)
	}
	// committee 3/9 → 5/10: +16.67 pp; professional 5/9 → 8/10: +24.44 pp;
	// party organisations 0/3 → 3/3: +100 pp.
	c := ch[0]
	if c.CommitteePP != 16.67 || c.ProfessionalPP != 24.44 || c.PartyOrgPP != 100 {
		t.Errorf("changes %+v", c)
	}
	com, _ := r.Changes(LevelCommunity, "2020-01-01", "2026-06-01")
	// C2: committee 1/3 → 1/3 (0), professional 1/3 → 1/3 (0), party 0/1 → 1/1.
	if com[1].Code != fC2 || com[1].CommitteePP != 0 || com[1].ProfessionalPP != 0 || com[1].PartyOrgPP != 100 {
		t.Errorf("C2 %+v", com[1])
	}
}

func TestRatesBadInput(t *testing.T) {
	r := NewRater(fixtureCity(), NewProperty(fixturePlaces()))
	for _, tc := range []struct{ level, day string }{
		{"grid", "2020-01-01"}, {LevelCity, "2020-13-01"}, {LevelCity, "yesterday"}, {LevelCity, ""}, {LevelCity, "1800-01-01"},
	} {
		if _, err := r.Rates(tc.level, tc.day); err == nil {
			t.Errorf("%q %q accepted", tc.level, tc.day)
		}
	}
	if _, err := r.Changes(LevelCity, "bad", "2020-01-01"); err == nil || !strings.Contains(err.Error(), "base") {
		t.Errorf("bad base: %v", err)
	}
}

func TestCheckCommittee(t *testing.T) {
	for _, tc := range []struct {
		n, party int
		share    float64
		ok       bool
	}{
		{5, 3, 0.6, true}, {5, 2, 0.4, false}, {7, 5, 0.7143, true}, {7, 4, 0.5714, false},
		{9, 6, 0.6667, true}, {9, 5, 0.5556, false}, {11, 7, 0.6364, true}, {11, 6, 0.5455, false},
		{10, 6, 0.6, true}, {0, 0, 0, false}, {5, 5, 1, true},
	} {
		var ms []data.CommitteeMember
		if tc.n > 0 {
			ms = committee(tc.n, tc.party)
		}
		s := CheckCommittee(ms)
		if s.Members != tc.n || s.Party != tc.party || s.Share != tc.share || s.OK != tc.ok {
			t.Errorf("%d/%d: %+v", tc.party, tc.n, s)
		}
	}
}

func TestValidatePropertyRecord(t *testing.T) {
	c := fixtureCity()
	known := func(s string) bool { return s == "PC0001" }
	ok := rec("A1", "2024-01-01", data.PropertyManaged, "PC0001", committee(5, 3))
	if err := ValidatePropertyRecord(&ok, c, known); err != nil {
		t.Fatalf("valid record refused: %v", err)
	}
	mod := func(f func(r *data.PropertyRecord)) *data.PropertyRecord {
		r := ok
		r.Members = append([]data.CommitteeMember(nil), ok.Members...)
		f(&r)
		return &r
	}
	for _, tc := range []struct {
		name, field string
		r           *data.PropertyRecord
	}{
		{"unknown compound", "compound_code", mod(func(r *data.PropertyRecord) { r.CompoundCode = "37040200100199901" })},
		{"bad date", "from", mod(func(r *data.PropertyRecord) { r.From = "2024-02-30" })},
		{"bad status", "status", mod(func(r *data.PropertyRecord) { r.Status = "professional" })},
		{"managed without company", "company_code", mod(func(r *data.PropertyRecord) { r.CompanyCode = "" })},
		{"unknown company", "company_code", mod(func(r *data.PropertyRecord) { r.CompanyCode = "PC0009" })},
		{"company on none", "company_code", mod(func(r *data.PropertyRecord) { r.Status = data.PropertyNone })},
		{"members without committee", "members", mod(func(r *data.PropertyRecord) { r.Committee = false })},
		{"even committee", "members", mod(func(r *data.PropertyRecord) { r.Members = committee(6, 4) })},
		{"small committee", "members", mod(func(r *data.PropertyRecord) { r.Members = committee(3, 3) })},
		{"big committee", "members", mod(func(r *data.PropertyRecord) { r.Members = committee(13, 9) })},
		{"two chairs", "members", mod(func(r *data.PropertyRecord) { r.Members[1].Role = "主任" })},
		{"no chair", "members", mod(func(r *data.PropertyRecord) { r.Members[0].Role = "委员" })},
		{"bad role", "members[2].role", mod(func(r *data.PropertyRecord) { r.Members[2].Role = "秘书长" })},
		{"duplicate member", "members[1].name", mod(func(r *data.PropertyRecord) { r.Members[1].Name = r.Members[0].Name })},
		{"empty member", "members[3].name", mod(func(r *data.PropertyRecord) { r.Members[3].Name = " " })},
		{"bad phone", "members[0].phone", mod(func(r *data.PropertyRecord) { r.Members[0].Phone = "☎️" })},
		{"bidi note", "note", mod(func(r *data.PropertyRecord) { r.Note = "ok\u202eevil" })},
		{"long note", "note", mod(func(r *data.PropertyRecord) { r.Note = strings.Repeat("长", 501) })},
	} {
		err := ValidatePropertyRecord(tc.r, c, known)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if f := FieldOf(err); f != tc.field {
			t.Errorf("%s: field %q (%v), want %q", tc.name, f, err, tc.field)
		}
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: not a FieldError", tc.name)
		}
	}
}

func TestValidateCompany(t *testing.T) {
	c := fixtureCity()
	for _, tc := range []struct {
		co    data.PropertyCompany
		field string
	}{
		{data.PropertyCompany{Code: "PC0001", Name: "甲物业", CreditCode: "91370400MA3C123456", DistrictCode: fD, Hotline: "0632-3311234"}, ""},
		{data.PropertyCompany{Code: "P1", Name: "x"}, "code"},
		{data.PropertyCompany{Code: "PC0001", Name: ""}, "name"},
		{data.PropertyCompany{Code: "PC0001", Name: "x", CreditCode: "123"}, "credit_code"},
		{data.PropertyCompany{Code: "PC0001", Name: "x", DistrictCode: "370499"}, "district_code"},
		{data.PropertyCompany{Code: "PC0001", Name: "x", Hotline: "call us"}, "hotline"},
	} {
		err := ValidateCompany(&tc.co, c)
		if FieldOf(err) != tc.field || (tc.field == "") != (err == nil) {
			t.Errorf("%+v: %v, want field %q", tc.co, err, tc.field)
		}
	}
	known := func(s string) bool { return s == "PC0001" }
	for _, tc := range []struct {
		r     data.CompanyRecord
		field string
	}{
		{data.CompanyRecord{CompanyCode: "PC0001", From: "2021-01-01", PartyOrg: data.PartyOrgIndependent, PartyOrgName: "党支部", PartyMembers: 4}, ""},
		{data.CompanyRecord{CompanyCode: "PC0002", From: "2021-01-01", PartyOrg: data.PartyOrgNone}, "company_code"},
		{data.CompanyRecord{CompanyCode: "PC0001", From: "", PartyOrg: data.PartyOrgNone}, "from"},
		{data.CompanyRecord{CompanyCode: "PC0001", From: "2021-01-01", PartyOrg: "yes"}, "party_org"},
		{data.CompanyRecord{CompanyCode: "PC0001", From: "2021-01-01", PartyOrg: data.PartyOrgNone, PartyOrgName: "党支部"}, "party_org_name"},
		{data.CompanyRecord{CompanyCode: "PC0001", From: "2021-01-01", PartyOrg: data.PartyOrgJoint, PartyMembers: -1}, "party_members"},
	} {
		err := ValidateCompanyRecord(&tc.r, known)
		if FieldOf(err) != tc.field || (tc.field == "") != (err == nil) {
			t.Errorf("%+v: %v, want field %q", tc.r, err, tc.field)
		}
	}
}

func TestPropertyHistory(t *testing.T) {
	p := NewProperty(fixturePlaces())
	if h := p.History(code("A3")); len(h) != 2 || h[0].From != "2019-12-01" || h[1].Status != data.PropertyManaged {
		t.Errorf("A3 history %+v", h)
	}
	if _, ok := p.At(code("E3"), "2022-02-28"); ok {
		t.Error("E3 on record before its first record")
	}
	if got := p.Served("PC0002", "2026-01-01"); len(got) != 3 {
		t.Errorf("PC0002 serves %v, want A2 A3 E3", got)
	}
	if p.HasPartyOrg("PC0003", "2024-12-31") || !p.HasPartyOrg("PC0003", "2025-01-01") {
		t.Error("PC0003 party organisation from 2025-01-01")
	}
	// The last record given for a day wins.
	pl := fixturePlaces()
	pl.Property = append(pl.Property, rec("A2", "2019-12-01", data.PropertyNone, "", nil))
	if r, _ := NewProperty(pl).At(code("A2"), "2020-01-01"); r.Status != data.PropertyNone {
		t.Errorf("later record of a day did not replace: %+v", r)
	}
}

func BenchmarkRatesCommunity(b *testing.B) {
	r := NewRater(fixtureCity(), NewProperty(fixturePlaces()))
	for b.Loop() {
		r.Rates(LevelCommunity, "2026-06-01")
	}
}
