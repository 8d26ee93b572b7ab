package places

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
)

// complaintFixture: property complaints around the fixture's compounds.
//
// In the year to 2026-11-01 (CST):
//
//	A3 ×3 by point (2026-01-10, 2026-02-10, 2026-02-20), all sanitation
//	A4 ×2: one by point, one by address (point on the street outside)
//	B3 ×1 by point
//	one unresolvable (no point, address not known) routed to C2's grid
//
// In the year before: A3 ×5 (2025-03-…), A1 ×1, A4 ×1.
// Not counted: a noise incident in A3, and a complaint from 2023.
func complaintFixture() []data.Incident {
	n := 0
	inc := func(cat, at string, p orb.Point, addr, grid string) data.Incident {
		n++
		return data.Incident{ID: fmt.Sprintf("I%04d", n), Category: cat, Status: data.StatusClosed, Point: p, Address: addr,
			GridCode: grid, CommunityCode: grid[:12], StreetCode: grid[:9], DistrictCode: grid[:6], ReportedAt: mustTime(at)}
	}
	g1, g2 := fC1+"001", fC2+"001"
	out := []data.Incident{
		inc("property.sanitation", "2026-01-10 09:00", centre("A3"), "", g1),
		inc("property.sanitation", "2026-02-10 09:00", centre("A3"), "", g1),
		inc("property.sanitation", "2026-02-20 09:00", centre("A3"), "", g1),
		inc("property.parking", "2026-03-01 09:00", centre("A4"), "", g1),
		inc("property.facilities", "2026-10-31 23:59", orb.Point{116.5, 34.5}, "光明路8号A4小区", g1),
		inc("property.parking", "2025-11-01 00:00", centre("B3"), "", g2), // first instant of the year
		inc("property", "2026-05-05 10:00", orb.Point{}, "不知道哪里", g2),
		inc("neighbour.noise", "2026-04-01 10:00", centre("A3"), "", g1),
		inc("property.sanitation", "2023-06-01 10:00", centre("A3"), "", g1),
		inc("property.parking", "2026-11-01 00:00", centre("A3"), "", g1), // End itself: next year
		inc("property.sanitation", "2025-10-31 23:59", centre("A1"), "", g1),
		inc("property.sanitation", "2025-01-15 10:00", centre("A4"), "", g1),
	}
	for _, d := range []string{"2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04", "2025-03-05"} {
		out = append(out, inc("property.sanitation", d+" 08:00", centre("A3"), "", g1))
	}
	return out
}

func fixtureResolver(c *data.City) Resolver {
	return func(addr string) (string, bool) {
		if addr == "光明路8号A4小区" {
			return code("A4"), true
		}
		return "", false
	}
}

func TestLink(t *testing.T) {
	c := fixtureCity()
	l := NewLinker(c, fixtureResolver(c))
	for _, tc := range []struct {
		name     string
		inc      data.Incident
		compound string
		method   string
	}{
		{"point in its grid", data.Incident{Point: centre("B2"), GridCode: fC2 + "001"}, code("B2"), LinkPoint},
		{"point routed to another grid", data.Incident{Point: centre("E1"), GridCode: fC1 + "001"}, code("E1"), LinkPoint},
		{"point beats address", data.Incident{Point: centre("B2"), Address: "光明路8号A4小区"}, code("B2"), LinkPoint},
		{"address when outside", data.Incident{Point: orb.Point{116, 34}, Address: "光明路8号A4小区"}, code("A4"), LinkAddress},
		{"no point, address", data.Incident{Address: "光明路8号A4小区"}, code("A4"), LinkAddress},
		{"neither", data.Incident{Point: orb.Point{116, 34}, Address: "别处"}, "", LinkNone},
		{"between compounds", data.Incident{Point: orb.Point{117.007, 35.002}}, "", LinkNone},
	} {
		got, m := l.Link(&tc.inc)
		if got != tc.compound || m != tc.method {
			t.Errorf("%s: %q %s, want %q %s", tc.name, got, m, tc.compound, tc.method)
		}
	}
	// A resolver naming a compound that does not exist links nothing.
	bad := NewLinker(c, func(string) (string, bool) { return "37040200100100199", true })
	if got, m := bad.Link(&data.Incident{Address: "x"}); got != "" || m != LinkNone {
		t.Errorf("unknown compound from resolver: %q %s", got, m)
	}
}

func TestComplaintReportHandCounted(t *testing.T) {
	c := fixtureCity()
	prop := NewProperty(fixturePlaces())
	cs := NewLinker(c, fixtureResolver(c)).Complaints(complaintFixture(), prop)
	if len(cs) != 16 { // 17 incidents, one noise
		t.Fatalf("%d complaints, want 16", len(cs))
	}
	if s := LinkSummary(cs); s[LinkPoint] != 14 || s[LinkAddress] != 1 || s[LinkNone] != 1 {
		t.Errorf("links %v", s)
	}
	end := mustTime("2026-11-01 00:00")
	get := func(level string) map[string]ComplaintFigures {
		fs, err := ComplaintReport(c, prop, cs, ComplaintQuery{Level: level, End: end})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]ComplaintFigures{}
		for _, f := range fs {
			m[f.Code] = f
		}
		return m
	}
	yoy := func(f ComplaintFigures) string {
		if f.YoY == nil {
			return "nil"
		}
		return fmt.Sprint(*f.YoY)
	}
	comp := get(LevelCompound)
	for _, w := range []struct {
		name         string
		count, prior int
		yoy          string
	}{
		{"A3", 3, 5, "-0.4"}, {"A4", 2, 1, "1"}, {"B3", 1, 0, "nil"}, {"A1", 0, 1, "-1"},
	} {
		f := comp[code(w.name)]
		if f.Count != w.count || f.Prior != w.prior || yoy(f) != w.yoy {
			t.Errorf("%s: count %d prior %d yoy %s, want %d %d %s", w.name, f.Count, f.Prior, yoy(f), w.count, w.prior, w.yoy)
		}
	}
	// A3's trend: Jan 1, Feb 2 in the twelve months Nov 2025 … Oct 2026.
	a3 := comp[code("A3")]
	if len(a3.Monthly) != 12 || a3.Monthly[0].Month != "2025-11" || a3.Monthly[11].Month != "2026-10" ||
		a3.Monthly[2].Count != 1 || a3.Monthly[3].Count != 2 {
		t.Errorf("A3 monthly %+v", a3.Monthly)
	}
	if a3.Households != 50 || a3.Per1000 != 60 || a3.ByCategory["property.sanitation"] != 3 || a3.Name != "A3小区" {
		t.Errorf("A3 %+v", a3)
	}
	// Companies on the day of each complaint: A3 had none until 2021 and
	// PC0002 since (all A3 complaints here are later: PC0002); A4 was
	// abandoned until 2022, PC0003 since; B3 is self-managed; A1 PC0001.
	co := get(LevelCompany)
	if co["PC0002"].Count != 3 || co["PC0002"].Prior != 5 || co["PC0003"].Count != 2 || co["PC0003"].Prior != 1 ||
		co["PC0001"].Count != 0 || co["PC0001"].Prior != 1 || len(co) != 3 {
		t.Errorf("companies %+v", co)
	}
	// Communities: C1 5 (A3 3, A4 2) vs 7 prior (A3 5, A1, A4); C2 2 (B3 and
	// the unlinked one routed to C2's grid) vs 0.
	cm := get(LevelCommunity)
	if cm[fC1].Count != 5 || cm[fC1].Prior != 7 || yoy(cm[fC1]) != "-0.2857" || cm[fC2].Count != 2 || cm[fC2].Prior != 0 {
		t.Errorf("communities %+v", cm)
	}
	city := get(LevelCity)[""]
	if city.Count != 7 || city.Prior != 7 || yoy(city) != "0" || city.Households != 1200 {
		t.Errorf("city %+v", city)
	}
	// By property status on the complaint's day: managed 5 (A3 3, A4 2),
	// self 1 (B3); the unlinked one has none.
	st := get(LevelStatus)
	if st[data.PropertyManaged].Count != 5 || st[data.PropertySelf].Count != 1 || st[data.PropertySelf].Name != "自管" {
		t.Errorf("statuses %+v", st)
	}
	// Most first.
	fs, _ := ComplaintReport(c, prop, cs, ComplaintQuery{Level: LevelCompound, End: end})
	if fs[0].Code != code("A3") || fs[1].Code != code("A4") {
		t.Errorf("order %s %s", fs[0].Code, fs[1].Code)
	}
}

func TestComplaintQueryBad(t *testing.T) {
	c := fixtureCity()
	for _, q := range []ComplaintQuery{{Level: "grid", End: time.Now()}, {Level: LevelCity, End: time.Now(), Months: 61}, {Level: LevelCity, End: time.Now(), Months: -1}} {
		if _, err := ComplaintReport(c, nil, nil, q); err == nil {
			t.Errorf("%+v accepted", q)
		}
	}
	// Months: 24 months of trend, End mid-month counts its own month.
	fs, err := ComplaintReport(c, nil, []Complaint{{ReportedAt: mustTime("2026-10-15 10:00"), Category: "property"}}, ComplaintQuery{Level: LevelCity, End: mustTime("2026-10-20 00:00"), Months: 24})
	if err != nil || len(fs[0].Monthly) != 24 || fs[0].Monthly[23].Month != "2026-10" || fs[0].Monthly[23].Count != 1 {
		t.Errorf("trend %+v %v", fs, err)
	}
}

func TestIsPropertyCategory(t *testing.T) {
	for cat, want := range map[string]bool{"property": true, "property.parking": true, "propertyx": false, "neighbour.noise": false, "": false} {
		if IsPropertyCategory(cat) != want {
			t.Errorf("%q", cat)
		}
	}
}

func BenchmarkLink(b *testing.B) {
	c := fixtureCity()
	l := NewLinker(c, nil)
	inc := data.Incident{Point: centre("E3"), GridCode: fC1 + "001"}
	for b.Loop() {
		l.Link(&inc)
	}
}
