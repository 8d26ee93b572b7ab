package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/data/synth"
)

// placesEnv is a server over the demo city kept in a real GeoPackage
// (places writes go through the store and reload), with a token per role
// and a clock at the city's places day.
type placesEnv struct {
	s      *Server
	st     store.Store
	tokens map[string]string
	clock  *fakeClock
}

var (
	placesCityOnce sync.Once
	placesCity     *data.City
)

func newPlacesEnv(t testing.TB) *placesEnv {
	t.Helper()
	placesCityOnce.Do(func() {
		c, err := synth.City(synth.Options{Seed: 1, Incidents: 400})
		if err != nil {
			t.Fatal(err)
		}
		placesCity = c
	})
	ctx := context.Background()
	st, err := backends.Create(ctx, filepath.Join(t.TempDir(), "places.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Append(ctx, placesCity); err != nil {
		t.Fatal(err)
	}
	env := &placesEnv{st: st, tokens: map[string]string{}, clock: &fakeClock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, places.CST)}}
	for _, role := range Roles {
		secret, tok, err := NewToken(role, role+"-test")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		env.tokens[role] = secret
	}
	s, err := New(ctx, Config{Store: st, Tokens: st, Incidents: st, Now: env.clock.Now, EscalationInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	env.s = s
	return env
}

func (e *placesEnv) do(t testing.TB, role, method, url, body string) (int, map[string]any, string) {
	t.Helper()
	var hdr []string
	if role != "" {
		hdr = []string{"Authorization", "Bearer " + e.tokens[role]}
	}
	ctype := ""
	if body != "" {
		ctype = "application/json"
	}
	w := do(t, e.s, method, url, ctype, body, hdr...)
	var m map[string]any
	json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m, w.Body.String()
}

// stored reads what the store holds: the places records and the length of
// the audit trail.
func (e *placesEnv) stored(t testing.TB) (data.Places, int) {
	t.Helper()
	c, err := e.st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.st.Audit(context.Background(), 0)
	return c.Places, len(a)
}

func sameStore(t *testing.T, what string, before data.Places, na int, e *placesEnv) {
	t.Helper()
	after, nb := e.stored(t)
	b1, _ := json.Marshal(before)
	b2, _ := json.Marshal(after)
	if !bytes.Equal(b1, b2) || na != nb {
		t.Errorf("%s changed the store (audit %d → %d)", what, na, nb)
	}
}

func TestPlacesWrites(t *testing.T) {
	e := newPlacesEnv(t)
	st := e.s.Current().Ext("places").(*placesState)
	// A compound without professional service now, and a company.
	var cp *data.Compound
	for i := range placesCity.Compounds {
		if placesCity.Compounds[i].PropertyStatus == data.PropertyNone {
			cp = &placesCity.Compounds[i]
			break
		}
	}
	co := st.prop.Companies()[0]
	rates := func() places.Rate {
		_, m, _ := e.do(t, "", "GET", "/api/v1/property/rates?level=city&day=2026-12-01", "")
		b, _ := json.Marshal(m["areas"].([]any)[0].(map[string]any)["at"].(map[string]any)["professional_rate"])
		var r places.Rate
		json.Unmarshal(b, &r)
		return r
	}
	before := rates()
	body := fmt.Sprintf(`{"status":"managed","company_code":%q,"committee":true,"members":[
		{"name":"甲一","role":"主任","party_member":true},{"name":"乙二","role":"副主任","party_member":true},
		{"name":"丙三","role":"委员","party_member":true},{"name":"丁四","role":"委员"},{"name":"戊五","role":"委员"}]}`, co.Code)
	url := "/api/v1/property/compounds/" + cp.Code + "/records/2026-11-15"
	for _, tc := range []struct {
		role string
		want int
	}{{"", 401}, {RoleViewer, 403}, {RoleDispatcher, 403}, {RolePlanner, 403}} {
		if code, _, b := e.do(t, tc.role, "PUT", url, body); code != tc.want {
			t.Errorf("PUT as %q: %d %s", tc.role, code, b)
		}
	}
	code, m, b := e.do(t, RoleOrganiser, "PUT", url, body)
	if code != 200 {
		t.Fatalf("organiser PUT: %d %s", code, b)
	}
	if after := rates(); after.Num != before.Num+1 || after.Den != before.Den {
		t.Errorf("professional rate %v → %v, want one more compound", before, after)
	}
	// The layer shows it (projection), and the audit trail has it.
	if c := e.s.Current().City.Compound(cp.Code); c.PropertyStatus != data.PropertyManaged || c.PropertyCompany != co.Name || !c.OwnersCommittee {
		t.Errorf("compound layer %+v", c)
	}
	stored, _ := e.st.Load(context.Background())
	if c := stored.Compound(cp.Code); c.PropertyStatus != data.PropertyManaged {
		t.Errorf("stored compound %+v", c)
	}
	es, _ := e.st.Audit(context.Background(), 1)
	if len(es) != 1 || es[0].Action != "property.record.put" || !strings.Contains(es[0].Actor, "organiser-test") || !strings.Contains(es[0].Detail, `"before"`) {
		t.Errorf("audit %+v", es)
	}
	_ = m
	_, m, _ = e.do(t, "", "GET", "/api/v1/property/compounds/"+cp.Code, "")
	if cur, _ := m["current"].(map[string]any); cur == nil || cur["from"] != "2026-11-15" || cur["company_code"] != co.Code {
		t.Errorf("compound card %v", m["current"])
	}

	// Every bad input: a clear 4xx, nothing written.
	p0, a0 := e.stored(t)
	sid := ""
	for _, s := range placesCity.Stations {
		if s.Status == data.StationPlanned {
			sid = s.Code
			break
		}
	}
	built := ""
	for _, s := range placesCity.Stations {
		if s.Status == data.StationBuilt && s.Kind == data.StationGrid && s.Stars >= 2 {
			built = s.Code
			break
		}
	}
	for _, tc := range []struct {
		name, method, url, body string
		want                    int
		says                    string
	}{
		{"unknown company", "PUT", url, `{"status":"managed","company_code":"PC9999999"}`, 422, "no company"},
		{"committee of four", "PUT", url, `{"status":"self","committee":true,"members":[{"name":"a","role":"主任"},{"name":"b","role":"委员"},{"name":"c","role":"委员"},{"name":"d","role":"委员"}]}`, 422, "odd number"},
		{"bad day", "PUT", "/api/v1/property/compounds/" + cp.Code + "/records/2026-02-30", `{"status":"none"}`, 400, "path parameter from"},
		{"unknown compound", "PUT", "/api/v1/property/compounds/x/records/2026-01-01", `{"status":"none"}`, 422, "no compound"},
		{"malformed JSON", "PUT", url, `{"status":`, 400, "body"},
		{"unknown field", "PUT", url, `{"status":"none","rate":1}`, 400, "unknown field"},
		{"delete what is not there", "DELETE", "/api/v1/property/compounds/" + cp.Code + "/records/2001-01-01", "", 422, "no record"},
		{"planned straight to built", "PUT", "/api/v1/stations/" + sid + "/records/2026-11-20", `{"status":"built","hours":"1-5 09:00-17:00"}`, 422, "one step at a time"},
		{"bad hours", "PUT", "/api/v1/stations/" + sid + "/records/2026-11-20", `{"status":"under_construction","hours":"weekdays"}`, 422, "hours"},
		{"five stars not earned", "POST", "/api/v1/stations/" + built + "/ratings", `{"stars":5,"criteria":["L1-sign"]}`, 422, "meets the criteria of"},
		{"a log in the future", "POST", "/api/v1/volunteers/logs", fmt.Sprintf(`{"grid_code":%q,"station_code":%q,"item":"activity","at":"2027-01-01T10:00:00+08:00","minutes":60,"volunteers":["x"]}`, placesCity.Stations[0].GridCode, placesCity.Stations[0].Code), 422, "future"},
		{"intervals out of range", "PUT", "/api/v1/volunteers/intervals", `{"lonely_elderly":0,"severely_disabled":7,"left_behind_child":14,"vulnerable_child":7}`, 422, "out of range"},
		{"a target without a building", "PUT", "/api/v1/volunteers/targets/T99", `{"kind":"lonely_elderly","name":"某","gender":"女","birth_year":1940,"building_code":"x","items":["care"],"since":"2026-01-01"}`, 422, "no building"},
		{"an empty change", "POST", "/api/v1/places/changes", `{}`, 400, "writes nothing"},
		{"a rating deletion", "POST", "/api/v1/places/changes", `{"delete":[{"sheet":"ratings","code":"x","from":"2026-01-01T00:00:00Z"}]}`, 422, ""},
		{"evaluation year", "PUT", "/api/v1/property/evaluations/20x5/company/" + co.Code, `{"score":90}`, 400, "year"},
	} {
		code, _, b := e.do(t, RoleOrganiser, tc.method, tc.url, tc.body)
		if code != tc.want || !strings.Contains(b, tc.says) {
			t.Errorf("%s: %d %s", tc.name, code, b)
		}
	}
	sameStore(t, "bad input", p0, a0, e)

	// A lapse brings its downgrade at once: cut a built station's hours.
	rec, _ := st.stations.At(built, "2026-11-30")
	code, m, b = e.do(t, RoleOrganiser, "PUT", "/api/v1/stations/"+built+"/records/2026-11-29",
		fmt.Sprintf(`{"status":"built","hours":"1 09:00-10:00","functions":%s,"area_m2":%d}`, mustJSON(rec.Functions), rec.AreaM2))
	if code != 200 {
		t.Fatalf("hours cut: %d %s", code, b)
	}
	if d, _ := m["downgrades"].([]any); len(d) == 0 {
		t.Errorf("no downgrade after the hours were cut below every level: %s", b)
	}
	if s := e.s.Current().City.Stations[e.s.Current().Ext("places").(*placesState).stationIx[built]]; s.Stars != 0 {
		t.Errorf("station still shows %d stars", s.Stars)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPlacesImportExport(t *testing.T) {
	e := newPlacesEnv(t)
	auth := []string{"Authorization", "Bearer " + e.tokens[RoleOrganiser]}
	// Export as organiser only.
	for _, role := range []string{"", RoleViewer, RoleDispatcher} {
		if code, _, _ := e.do(t, role, "GET", "/api/v1/places/export/targets?format=csv", ""); code != 401 && code != 403 {
			t.Errorf("export of targets as %q: %d", role, code)
		}
	}
	w := do(t, e.s, "GET", "/api/v1/places/export/companies?format=xlsx", "", "", auth...)
	if w.Code != 200 || !bytes.HasPrefix(w.Body.Bytes(), []byte("PK")) {
		t.Fatalf("xlsx export: %d", w.Code)
	}
	// The same file back: every record rewritten to itself.
	p0, a0 := e.stored(t)
	imp := do(t, e.s, "POST", "/api/v1/places/import/companies", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", w.Body.String(), auth...)
	if imp.Code != 200 {
		t.Fatalf("re-import: %d %s", imp.Code, imp.Body)
	}
	p1, a1 := e.stored(t)
	if a1 != a0+1 || len(p1.Companies) != len(p0.Companies) {
		t.Errorf("re-import: audit %d → %d, companies %d → %d", a0, a1, len(p0.Companies), len(p1.Companies))
	}
	// A bad CSV: refused whole with row and column, nothing written.
	csv := "企业编码,生效日期,党组织形式\n" + p0.Companies[0].Code + ",2026-11-01,联合组建\nPC0000001,2026-13-01,联合组建\nPC9999999,2026-11-01,单独组建\n"
	bad := do(t, e.s, "POST", "/api/v1/places/import/company_records", "text/csv", csv, auth...)
	if bad.Code != 422 {
		t.Fatalf("bad file: %d %s", bad.Code, bad.Body)
	}
	var res struct {
		Errors []struct {
			Row, Column int
			Reason      string
		}
	}
	json.Unmarshal(bad.Body.Bytes(), &res)
	// Every problem, cell by cell: the bad date (row 3, column B) and the
	// unknown company (row 4, column A).
	if len(res.Errors) != 2 || res.Errors[0].Row != 3 || res.Errors[0].Column != 2 || res.Errors[1].Row != 4 || res.Errors[1].Column != 1 {
		t.Errorf("bad file errors %+v", res.Errors)
	}
	csv = "企业编码,生效日期,党组织形式\n" + p0.Companies[0].Code + ",2026-11-01,联合组建\nPC9999999,2026-11-01,单独组建\n"
	bad = do(t, e.s, "POST", "/api/v1/places/import/company_records", "text/csv", csv, auth...)
	json.Unmarshal(bad.Body.Bytes(), &res)
	if bad.Code != 422 || len(res.Errors) != 1 || res.Errors[0].Row != 3 || res.Errors[0].Column != 1 || !strings.Contains(res.Errors[0].Reason, "no company") {
		t.Errorf("unknown company: %d %s", bad.Code, bad.Body)
	}
	for _, tc := range []struct{ url, ctype, body string }{
		{"/api/v1/places/import/people", "text/csv", "a\n1\n"},
		{"/api/v1/places/import/companies", "text/csv", ""},
		{"/api/v1/places/import/companies", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "企业编码\nx\n"},
		{"/api/v1/places/import/companies?dry_run=yes", "text/csv", "企业编码,企业名称\nPC0001,x\n"},
	} {
		if r := do(t, e.s, "POST", tc.url, tc.ctype, tc.body, auth...); r.Code < 400 || r.Code >= 500 {
			t.Errorf("%s: %d %s", tc.url, r.Code, r.Body)
		}
	}
	sameStore(t, "bad files", p1, a1, e)
	// A good CSV in a dry run writes nothing; for real, it writes.
	good := "企业编码,生效日期,党组织形式,党组织名称,党员人数\n" + p0.Companies[0].Code + ",2026-11-01,联合组建,联合党支部,3\n"
	if r := do(t, e.s, "POST", "/api/v1/places/import/company_records?dry_run=true", "text/csv", good, auth...); r.Code != 200 {
		t.Errorf("dry run %d %s", r.Code, r.Body)
	}
	sameStore(t, "a dry run", p1, a1, e)
	if r := do(t, e.s, "POST", "/api/v1/places/import/company_records", "text/csv", good, auth...); r.Code != 200 {
		t.Errorf("good file %d %s", r.Code, r.Body)
	}
	if p2, _ := e.stored(t); len(p2.CompanyRecords) != len(p1.CompanyRecords)+1 {
		t.Errorf("company records %d → %d", len(p1.CompanyRecords), len(p2.CompanyRecords))
	}
}
