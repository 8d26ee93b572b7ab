package synth

import (
	"math"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
)

var placesCity *data.City

func demoPlaces(t testing.TB) *data.City {
	if placesCity == nil {
		c, err := City(Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		placesCity = c
	}
	return placesCity
}

// TestPlacesRecordsValid holds every generated record to the rules of
// package places, and the current fields of compounds, grids and stations
// to the records.
func TestPlacesRecordsValid(t *testing.T) {
	c := demoPlaces(t)
	p := &c.Places
	prop := places.NewProperty(p)
	known := func(code string) bool { return prop.Company(code) != nil }
	bad := 0
	fail := func(what string, err error) {
		if bad++; bad <= 10 {
			t.Errorf("%s: %v", what, err)
		}
	}
	for i := range p.Companies {
		if err := places.ValidateCompany(&p.Companies[i], c); err != nil {
			fail(p.Companies[i].Code, err)
		}
	}
	for i := range p.CompanyRecords {
		if err := places.ValidateCompanyRecord(&p.CompanyRecords[i], known); err != nil {
			fail("company record", err)
		}
	}
	for i := range p.Property {
		if err := places.ValidatePropertyRecord(&p.Property[i], c, known); err != nil {
			fail(p.Property[i].CompoundCode+" "+p.Property[i].From, err)
		}
	}
	for i := range p.Evaluations {
		if err := places.CheckEvaluation(&p.Evaluations[i], c, prop); err != nil {
			fail("evaluation", err)
		}
	}
	for i := range p.Teams {
		if err := places.ValidateTeam(&p.Teams[i], c); err != nil {
			fail("team "+p.Teams[i].GridCode, err)
		}
	}
	bs := places.IndexBuildings(c)
	targets := map[string]*data.ServiceTarget{}
	for i := range p.Targets {
		targets[p.Targets[i].ID] = &p.Targets[i]
		if err := places.ValidateTarget(&p.Targets[i], bs); err != nil {
			fail("target "+p.Targets[i].ID, err)
		}
	}
	teams := map[string]bool{}
	for _, tm := range p.Teams {
		teams[tm.GridCode] = true
	}
	stations := map[string]*data.Station{}
	for i := range c.Stations {
		stations[c.Stations[i].Code] = &c.Stations[i]
	}
	refs := places.LogRefs{
		Team:    func(g string) bool { return teams[g] },
		Target:  func(id string) *data.ServiceTarget { return targets[id] },
		Station: func(code string) *data.Station { return stations[code] },
		GridOf: func(b string) (string, bool) {
			if x := bs[b]; x != nil {
				return x.GridCode, true
			}
			return "", false
		},
		Now: places.EndOfDay(PlacesAsOf),
	}
	ids := map[string]bool{}
	for i := range p.Logs {
		if ids[p.Logs[i].ID] {
			fail("log", nil)
		}
		ids[p.Logs[i].ID] = true
		if err := places.ValidateLog(&p.Logs[i], refs); err != nil {
			fail("log "+p.Logs[i].ID, err)
		}
	}
	byStation := map[string][]data.StationRecord{}
	for i := range p.Stations {
		r := &p.Stations[i]
		byStation[r.StationCode] = append(byStation[r.StationCode], *r)
		if err := places.ValidateStationRecord(r, c); err != nil {
			fail("station "+r.StationCode, err)
		}
	}
	st := places.NewStations(p)
	day := places.Day(places.EndOfDay(PlacesAsOf).Add(-time.Second))
	for code, recs := range byStation {
		if err := places.CheckLifecycle(recs); err != nil {
			fail(code, err)
		}
		r, _ := st.At(code, day)
		if s := stations[code]; s.Status != r.Status {
			fail(code, nil)
		}
	}
	if len(byStation) != len(c.Stations) {
		t.Errorf("%d stations have records, of %d", len(byStation), len(c.Stations))
	}
	for i := range c.Compounds {
		cp := &c.Compounds[i]
		r, ok := prop.At(cp.Code, day)
		if !ok || r.Status != cp.PropertyStatus || r.Committee != cp.OwnersCommittee || (prop.Company(r.CompanyCode) != nil) != (cp.PropertyCompany != "") {
			fail(cp.Code, nil)
		}
	}
	members := map[string]int{}
	for _, tm := range p.Teams {
		members[tm.GridCode] = len(tm.Members)
	}
	for _, g := range c.Grids {
		if g.Volunteers != members[g.Code] || (g.VolunteerTeam == "") != (members[g.Code] == 0) {
			fail(g.Code, nil)
		}
	}
	t.Logf("companies %d (%d records), property records %d, evaluations %d, teams %d, targets %d, logs %d, station records %d, ratings %d",
		len(p.Companies), len(p.CompanyRecords), len(p.Property), len(p.Evaluations), len(p.Teams), len(p.Targets), len(p.Logs), len(p.Stations), len(p.Ratings))
}

// TestPlacesFigures: the three rates near the assumed shares on the base
// day and the options' shares now; complaints concentrated where there is
// no professional management and falling year on year; most targets
// visited in time; a few stations due a downgrade.
func TestPlacesFigures(t *testing.T) {
	c := demoPlaces(t)
	prop := places.NewProperty(&c.Places)
	r := places.NewRater(c, prop)
	now := places.Day(places.EndOfDay(PlacesAsOf).Add(-time.Second))
	base, _ := r.Rates(places.LevelCity, PlacesBase)
	cur, _ := r.Rates(places.LevelCity, now)
	for _, x := range []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"base professional", base[0].Professional.Value, baseProfessional, 0.02},
		{"base committee", base[0].Committee.Value, baseCommittee, 0.02},
		{"base party org", base[0].PartyOrg.Value, basePartyOrg, 0.1},
		{"professional", cur[0].Professional.Value, 0.88, 0.002},
		{"committee", cur[0].Committee.Value, 0.72, 0.002},
		{"party org", cur[0].PartyOrg.Value, 0.93, 0.01},
	} {
		if math.Abs(x.got-x.want) > x.tol {
			t.Errorf("%s %.4f, want %.2f ± %.3f", x.name, x.got, x.want, x.tol)
		}
	}
	t.Logf("base %+v", base[0])
	t.Logf("now  %+v", cur[0])
	if cur[0].CommitteeParty.Value < 0.8 {
		t.Errorf("committees meeting 60%%: %v", cur[0].CommitteeParty)
	}
	cs := places.NewLinker(c, nil).Complaints(c.Incidents, prop)
	end := places.EndOfDay("2026-10-31")
	st, _ := places.ComplaintReport(c, prop, cs, places.ComplaintQuery{Level: places.LevelStatus, End: end})
	per := map[string]float64{}
	for _, f := range st {
		per[f.Code] = f.Per1000
	}
	if per[data.PropertyNone] < 4*per[data.PropertyManaged] || per[data.PropertyAbandoned] < 4*per[data.PropertyManaged] {
		t.Errorf("complaints per 1,000 households by status %v: not concentrated without management", per)
	}
	city, _ := places.ComplaintReport(c, prop, cs, places.ComplaintQuery{Level: places.LevelCity, End: end})
	if y := city[0].YoY; y == nil || *y > -0.05 || *y < -0.4 {
		t.Errorf("city complaints %d vs %d: yoy %v", city[0].Count, city[0].Prior, y)
	}
	links := places.LinkSummary(cs)
	if links[places.LinkNone] > len(cs)/6 {
		t.Errorf("links %v", links)
	}
	t.Logf("complaints %d vs %d, per 1000 households %v, links (no resolver) %v", city[0].Count, city[0].Prior, per, links)
	at := places.EndOfDay(PlacesAsOf).Add(-time.Second)
	_, sum := places.Coverage(places.IndexBuildings(c), &c.Places, places.DefaultIntervals, at)
	if sum.Covered.Value < 0.85 || sum.Covered.Value > 0.97 || sum.NoTeam == 0 {
		t.Errorf("coverage %+v", sum)
	}
	t.Logf("service coverage %+v", sum)
	stations := places.NewStations(&c.Places)
	acts := places.ActivityCounts(c.Places.Logs, at)
	down, rated := 0, 0
	for _, s := range c.Stations {
		rec, ok := stations.At(s.Code, places.Day(at))
		if !ok || rec.Status != data.StationBuilt {
			continue
		}
		rated++
		a := places.Assess(s.Code, places.Facts{Record: &rec, Activities: acts[s.Code], Ratings: stations.Ratings(s.Code)}, at)
		if a.Rated != s.Stars {
			t.Errorf("%s rated %d, station says %d", s.Code, a.Rated, s.Stars)
		}
		if a.Stars < a.Rated {
			down++
		}
	}
	if down == 0 || down > rated/10 {
		t.Errorf("%d of %d built stations due a downgrade", down, rated)
	}
	t.Logf("%d of %d built stations due a downgrade", down, rated)
}
