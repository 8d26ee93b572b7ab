package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/data/tabular"
)

// peopleEnv is a server over the seed-1 demo city in a GeoPackage, one
// token per role, the clock on the demo's reference day.
type peopleEnv struct {
	s      *Server
	st     store.Store
	city   *data.City
	tokens map[string]string
}

func newPeopleEnv(t *testing.T) *peopleEnv {
	t.Helper()
	return newPeopleEnvOver(t, func(st store.Store) Loader { return st })
}

// newPeopleEnvOver is newPeopleEnv with the server's store wrapped.
func newPeopleEnvOver(t *testing.T, wrap func(store.Store) Loader) *peopleEnv {
	t.Helper()
	c, err := synth.City(synth.Options{Seed: 1, Incidents: 300})
	if err != nil {
		t.Fatal(err)
	}
	st, err := backends.Create(context.Background(), filepath.Join(t.TempDir(), "people.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Append(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	env := &peopleEnv{st: st, city: c, tokens: map[string]string{}}
	for _, role := range Roles {
		secret, tok, _ := NewToken(role, role+"-test")
		if err := st.CreateToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		env.tokens[role] = secret
	}
	now := func() time.Time { return synth.ReferenceDay.Add(2 * time.Hour) } // 10:00 CST on 2026-11-01
	env.s, err = New(context.Background(), Config{Store: wrap(st), Tokens: st, Incidents: st, Now: now, EscalationInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.s.Close)
	return env
}

func (e *peopleEnv) call(t *testing.T, role, method, url, body string) (int, map[string]any, string) {
	t.Helper()
	var hdr []string
	if role != "" {
		hdr = []string{"Authorization", "Bearer " + e.tokens[role]}
	}
	w := do(t, e.s, method, url, "application/json", body, hdr...)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out, w.Body.String()
}

func (e *peopleEnv) violations(t *testing.T) map[string]any {
	_, out, _ := e.call(t, RoleViewer, "GET", "/api/v1/people/report", "")
	return out["violations_by_rule"].(map[string]any)
}

// Who may do what: anonymous callers get 401 but for the disclosure,
// viewers counts and units' names only, the personal-data roles the
// records, the organiser and admin the edits.
func TestPeopleRoles(t *testing.T) {
	e := newPeopleEnv(t)
	for _, tc := range []struct {
		role, method, url string
		code              int
	}{
		{"", "GET", "/api/v1/people/summary", 401},
		{"", "GET", "/api/v1/disclosure", 200},
		{RoleViewer, "GET", "/api/v1/people/summary", 200},
		{RoleViewer, "GET", "/api/v1/people/report", 200},
		{RoleViewer, "GET", "/api/v1/people/units", 200},
		{RoleViewer, "GET", "/api/v1/people/workload?by=grid", 200},
		{RoleViewer, "GET", "/api/v1/people/workload?by=person", 403},
		{RoleViewer, "GET", "/api/v1/people/staff", 403},
		{RoleViewer, "GET", "/api/v1/people/units/R0000M001", 403},
		{RoleViewer, "GET", "/api/v1/people/lists/staff", 403},
		{RoleDispatcher, "GET", "/api/v1/people/staff", 200},
		{RoleDispatcher, "POST", "/api/v1/people/staff", 403},
		{RolePlanner, "POST", "/api/v1/people/assignments", 403},
		{RoleViewer, "POST", "/api/v1/people/pairings/proposal/apply", 403},
		{"", "POST", "/api/v1/people/staff", 401},
	} {
		code, _, body := e.call(t, tc.role, tc.method, tc.url, "{}")
		if code != tc.code {
			t.Errorf("%s %s as %q: %d, want %d: %.200s", tc.method, tc.url, tc.role, code, tc.code, body)
		}
	}
	// What a viewer gets holds no personal name or phone.
	for _, url := range []string{"/api/v1/people/summary", "/api/v1/people/report", "/api/v1/people/units?limit=10000",
		"/api/v1/people/workload?by=grid&limit=10000", "/api/v1/people/pairings?limit=10000", "/api/v1/disclosure"} {
		_, _, body := e.call(t, RoleViewer, "GET", url, "")
		for _, s := range e.city.Staff {
			if strings.Contains(body, s.Phone) || (len([]rune(s.Name)) >= 3 && strings.Contains(body, s.Name)) {
				t.Fatalf("%s shows %s's name or phone to a viewer", url, s.ID)
			}
		}
		for _, u := range e.city.ReportingUnits {
			if strings.Contains(body, u.Phone) || (len([]rune(u.Secretary)) >= 3 && strings.Contains(body, u.Secretary)) {
				t.Fatalf("%s shows unit %s's secretary to a viewer", url, u.Code)
			}
		}
	}
	_, out, _ := e.call(t, RoleOrganiser, "GET", "/api/v1/people/staff?role=cadre&limit=1", "")
	st := out["staff"].([]any)[0].(map[string]any)
	if st["name"] == "" || !strings.HasPrefix(st["phone"].(string), "1") || out["total"].(float64) != synth.Cadres {
		t.Errorf("organiser's staff list: %v (total %v)", st, out["total"])
	}
}

// The organiser's edits reach the records, the snapshot (grid card,
// stats) and the audit trail at once; every refusal is a clear 4xx that
// changes nothing.
func TestPeopleEdits(t *testing.T) {
	e := newPeopleEnv(t)
	v := e.violations(t)
	if v[people.RuleGridHead] != 1.0 || v[people.RuleCadreLoad] != 1.0 {
		t.Fatalf("demo violations %v", v)
	}
	// The headless grid.
	_, rep, _ := e.call(t, RoleViewer, "GET", "/api/v1/people/report?rule=grid_head", "")
	grid := rep["violations"].([]any)[0].(map[string]any)["subject"].(string)
	// The cadre already at the limit of grids (which one depends on the
	// draw of the whole city).
	_, rep, _ = e.call(t, RoleOrganiser, "GET", "/api/v1/people/report?rule=cadre_load", "")
	loaded := rep["violations"].([]any)[0].(map[string]any)["subject"].(string)

	// Refusals: nothing changes.
	for _, tc := range []struct {
		method, url, body string
		code              int
		field             string
	}{
		{"POST", "/api/v1/people/staff", `{"name":"周八","role":"head","phone":"123"}`, 422, "phone"},
		{"POST", "/api/v1/people/staff", `{"name":"周八","role":"boss"}`, 422, "role"},
		{"POST", "/api/v1/people/staff", `{"name":"周八","role":"head","joined":"2026-02-30"}`, 422, "joined"},
		{"POST", "/api/v1/people/staff", `{"name":"周八","role":"head","shoe_size":42}`, 400, ""},
		{"POST", "/api/v1/people/staff", `{"name":`, 400, ""},
		{"PATCH", "/api/v1/people/staff/NOPE", `{"phone":"13800001111"}`, 404, "id"},
		{"POST", "/api/v1/people/assignments", `{"staff_id":"` + loaded + `","grid_code":"` + grid + `"}`, 409, "staff_id"},
		{"POST", "/api/v1/people/assignments", `{"staff_id":"NOPE","grid_code":"` + grid + `"}`, 404, "staff_id"},
		{"POST", "/api/v1/people/assignments", `{"staff_id":"W000000001","grid_code":"` + grid + `","from":"tomorrow"}`, 422, "from"},
		{"POST", "/api/v1/people/assignments/NOPE/end", `{}`, 404, "id"},
		{"POST", "/api/v1/people/pairings", `{"unit_code":"R0000D001","community_code":"370481001001"}`, 409, "community_code"},
		{"POST", "/api/v1/people/commitments", `{"unit_code":"R0000M001","community_code":"370402001001","year":2026,"title":"电话13812345678"}`, 422, "title"},
		{"POST", "/api/v1/people/evaluations", `{"year":2026,"subject":"grid","subject_id":"x"}`, 422, "subject"},
		{"POST", "/api/v1/people/contact-points", `{"staff_id":"C000000001","community_code":"370402001001"}`, 422, "staff_id"},
	} {
		before := len(e.s.Current().City.Staff) + len(e.s.Current().City.Assignments)
		code, out, body := e.call(t, RoleOrganiser, tc.method, tc.url, tc.body)
		if code != tc.code || (tc.field != "" && out["field"] != tc.field) {
			t.Errorf("%s %s %s: %d %s, want %d field %s", tc.method, tc.url, tc.body, code, body, tc.code, tc.field)
		}
		if after := len(e.s.Current().City.Staff) + len(e.s.Current().City.Assignments); after != before {
			t.Errorf("%s %s: a refused edit changed the records", tc.method, tc.url)
		}
	}

	// A new head for the headless grid: created, assigned, shown.
	code, out, body := e.call(t, RoleOrganiser, "POST", "/api/v1/people/staff", `{"name":"周八","role":"head","phone":"13900001111","title":"网格党支部书记"}`)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	id := out["result"].(map[string]any)["id"].(string)
	code, out, body = e.call(t, RoleOrganiser, "POST", "/api/v1/people/assignments", fmt.Sprintf(`{"staff_id":%q,"grid_code":%q,"from":"2026-11-01"}`, id, grid))
	if code != 201 || out["violations"].(float64) != 4 {
		t.Fatalf("assign: %d %s", code, body)
	}
	if e.violations(t)[people.RuleGridHead] != nil {
		t.Error("the grid still has no head")
	}
	g := e.s.Current().City.Grid(grid)
	if g.Head.Name != "周八" {
		t.Errorf("the snapshot's grid shows head %q", g.Head.Name)
	}
	// The wall map's card, from locate, shows the new head (masked for a viewer).
	var b data.Building
	for _, x := range e.city.Buildings {
		if x.GridCode == grid {
			b = x
			break
		}
	}
	_, loc, _ := e.call(t, RoleDispatcher, "GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", b.Entrance[0], b.Entrance[1]), "")
	if h := loc["grid"].(map[string]any)["head"].(map[string]any); h["name"] != "周八" || h["phone"] != "13900001111" {
		t.Errorf("locate card head %v", h)
	}
	// Who served the grid: before and after.
	_, served, _ := e.call(t, RoleOrganiser, "GET", "/api/v1/people/grids/"+grid+"?day=2026-10-15", "")
	for _, a := range served["served"].([]any) {
		if a.(map[string]any)["duty"] == "head" {
			t.Error("a head served on 2026-10-15, after the old one retired")
		}
	}
	// The audit trail names the action and the ids, not the name or phone.
	au, err := e.st.Audit(context.Background(), 2)
	if err != nil || au[0].Action != "people.assign" || au[1].Action != "people.staff.create" {
		t.Fatalf("audit %+v %v", au, err)
	}
	if strings.Contains(au[1].Detail, "周八") || strings.Contains(au[1].Detail, "13900001111") || !strings.Contains(au[1].Detail, id) {
		t.Errorf("audit detail %s", au[1].Detail)
	}
	// The records survive a reload from the store.
	if err := e.s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.s.Current().City.Grid(grid).Head.Name != "周八" {
		t.Error("the new head is lost on reload")
	}
	// Retire: the assignment ends with it.
	code, out, body = e.call(t, RoleOrganiser, "POST", "/api/v1/people/staff/"+id+"/retire", `{"day":"2026-11-20"}`)
	if code != 200 || out["result"].(map[string]any)["assignments_ended"].(float64) != 1 {
		t.Errorf("retire: %d %s", code, body)
	}
}

// The pairing proposal moves the fewest pairs; applying it takes the
// reviewed moves and refuses a stale review.
func TestPeoplePairingProposal(t *testing.T) {
	e := newPeopleEnv(t)
	_, out, _ := e.call(t, RoleViewer, "GET", "/api/v1/people/pairings/proposal", "")
	p := out["proposal"].(map[string]any)
	moves := p["moves"].([]any)
	if len(moves) != 1 || p["lower_bound"].(float64) != 1 {
		t.Fatalf("proposal %v", p)
	}
	mv, _ := json.Marshal(map[string]any{"moves": moves})
	if code, _, body := e.call(t, RolePlanner, "POST", "/api/v1/people/pairings/proposal/apply", `{"moves":[]}`); code != 409 {
		t.Errorf("stale review: %d %s", code, body)
	}
	if code, _, body := e.call(t, RolePlanner, "POST", "/api/v1/people/pairings/proposal/apply", string(mv)); code != 201 {
		t.Fatalf("apply: %d %s", code, body)
	}
	if v := e.violations(t); v[people.RuleDistrictUnits] != nil {
		t.Errorf("after the rebalancing: %v", v)
	}
	_, out, _ = e.call(t, RoleViewer, "GET", "/api/v1/people/pairings/proposal", "")
	if n := len(out["proposal"].(map[string]any)["moves"].([]any)); n != 0 {
		t.Errorf("a second proposal moves %d", n)
	}
}

func TestPeopleCommitmentsAndEvaluations(t *testing.T) {
	e := newPeopleEnv(t)
	c := e.s.Current().City
	var unit, comm string
	for _, p := range c.Pairings {
		if p.To.IsZero() {
			unit, comm = p.UnitCode, p.CommunityCode
			break
		}
	}
	code, out, body := e.call(t, RoleOrganiser, "POST", "/api/v1/people/commitments", fmt.Sprintf(`{"unit_code":%q,"community_code":%q,"year":2026,"title":"为社区安装充电桩"}`, unit, comm))
	if code != 201 {
		t.Fatalf("pledge: %d %s", code, body)
	}
	id := out["result"].(map[string]any)["id"].(string)
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"status":"done","evidence":"装好了"}`, 409},
		{`{"status":"in_progress","evidence":"已采购"}`, 200},
		{`{"status":"done"}`, 200}, // the note before counts as evidence
		{`{"status":"in_progress"}`, 409},
		{`{"evidence":"居民满意"}`, 200},
	} {
		if code, _, body := e.call(t, RoleOrganiser, "PATCH", "/api/v1/people/commitments/"+id, tc.body); code != tc.code {
			t.Errorf("%s: %d %s", tc.body, code, body)
		}
	}
	// The disclosure lists it, complete, with no evidence notes.
	_, d, raw := e.call(t, "", "GET", "/api/v1/disclosure?year=2026", "")
	if !strings.Contains(raw, "为社区安装充电桩") || strings.Contains(raw, "居民满意") || d["total"].(float64) < 1000 {
		t.Errorf("disclosure: %.300s", raw)
	}
	w := do(t, e.s, "GET", "/api/v1/disclosure?year=2026&format=csv", "", "")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.Contains(w.Body.String(), "完成情况") {
		t.Errorf("disclosure csv: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if code, _, _ := e.call(t, "", "GET", "/api/v1/disclosure?year=1999", ""); code != 400 {
		t.Errorf("year 1999: %d", code)
	}
	// The grade cap, both ways.
	sec := ""
	street := ""
	for _, s := range c.Staff {
		if s.Role == data.StaffSecretary {
			sec, street = s.ID, s.StreetCode
			break
		}
	}
	if code, _, body := e.call(t, RoleOrganiser, "POST", "/api/v1/people/evaluations", fmt.Sprintf(`{"year":2026,"subject":"street","subject_id":%q,"grade":"一般"}`, street)); code != 201 {
		t.Fatalf("street: %d %s", code, body)
	}
	code, out, body = e.call(t, RoleOrganiser, "POST", "/api/v1/people/evaluations", fmt.Sprintf(`{"year":2026,"subject":"person","subject_id":%q,"grade":"优秀"}`, sec))
	if code != 409 || !strings.Contains(out["reason"].(string), "cannot be graded 优秀") {
		t.Errorf("secretary 优秀: %d %s", code, body)
	}
	if code, _, body := e.call(t, RoleOrganiser, "POST", "/api/v1/people/evaluations", fmt.Sprintf(`{"year":2026,"subject":"person","subject_id":%q,"grade":"合格","score":80}`, sec)); code != 201 {
		t.Errorf("secretary 合格: %d %s", code, body)
	}
	// The whole year from the incidents.
	code, out, body = e.call(t, RoleOrganiser, "POST", "/api/v1/people/evaluations/run", `{"year":2026}`)
	if code != 201 || out["result"].(map[string]any)["evaluated"].(float64) < 5000 {
		t.Errorf("run: %d %.300s", code, body)
	}
	if v := e.violations(t); v[people.RuleGradeCap] != nil {
		t.Errorf("the year's evaluations break the cap: %v", v)
	}
}

// Lists: an Excel export imported back changes nothing; a bad file is
// refused whole with its rows and columns, and nothing is written.
func TestPeopleListsAPI(t *testing.T) {
	e := newPeopleEnv(t)
	auth := []string{"Authorization", "Bearer " + e.tokens[RoleOrganiser]}
	w := do(t, e.s, "GET", "/api/v1/people/lists/assignments?format=xlsx", "", "", auth...)
	if w.Code != 200 || w.Header().Get("Content-Type") != tabular.XLSX.ContentType() {
		t.Fatalf("export: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	xlsx := w.Body.Bytes()
	w = do(t, e.s, "POST", "/api/v1/people/lists/assignments", tabular.XLSX.ContentType(), string(xlsx), auth...)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	if w.Code != 200 || len(out["changed"].(map[string]any)) != 0 {
		t.Errorf("re-import: %d %.300s", w.Code, w.Body.String())
	}
	n := len(e.s.Current().City.Assignments)
	bad := "人员编号,网格编码,职责,起始日期\nW000000001,370402001016001,网格员,2026-11-01\nNOPE,370402001016001,网格员,2026-11-01\n"
	w = do(t, e.s, "POST", "/api/v1/people/lists/assignments", "text/csv", bad, auth...)
	json.Unmarshal(w.Body.Bytes(), &out)
	probs, _ := out["problems"].([]any)
	if w.Code != 422 || len(probs) != 1 || probs[0].(map[string]any)["row"].(float64) != 3 || probs[0].(map[string]any)["column"].(float64) != 1 {
		t.Errorf("bad import: %d %s", w.Code, w.Body.String())
	}
	if len(e.s.Current().City.Assignments) != n {
		t.Error("a refused file changed the records")
	}
	w = do(t, e.s, "POST", "/api/v1/people/lists/assignments", "image/png", "x", auth...)
	if w.Code != 415 {
		t.Errorf("png: %d", w.Code)
	}
	w = do(t, e.s, "POST", "/api/v1/people/lists/nope", "text/csv", bad, auth...)
	if w.Code != 404 {
		t.Errorf("unknown list: %d", w.Code)
	}
	// The good row alone goes in.
	good := "人员编号,网格编码,职责,起始日期\nW000000001,370402001016001,网格员,2026-11-01\n"
	w = do(t, e.s, "POST", "/api/v1/people/lists/assignments", "text/csv", good, auth...)
	if w.Code != 201 || len(e.s.Current().City.Assignments) != n+1 {
		t.Errorf("good import: %d %s", w.Code, w.Body.String())
	}
	if v := e.violations(t); v[people.RuleGridWorker] != nil {
		t.Errorf("the worker filled the gap, still %v", v)
	}
}

func TestPeopleWorkloadAPI(t *testing.T) {
	e := newPeopleEnv(t)
	_, out, _ := e.call(t, RoleViewer, "GET", "/api/v1/people/workload?by=grid&sort=households&order=desc&limit=5", "")
	gs := out["grids"].([]any)
	if len(gs) != 5 || out["total"].(float64) != synth.Grids {
		t.Fatalf("workload: %v", out)
	}
	if gs[0].(map[string]any)["households"].(float64) < gs[4].(map[string]any)["households"].(float64) {
		t.Error("not sorted by households")
	}
	_, out, _ = e.call(t, RoleViewer, "GET", "/api/v1/people/workload?by=grid&only=gaps", "")
	if out["total"].(float64) != 2 {
		t.Errorf("gaps: %v", out["total"])
	}
	_, out, _ = e.call(t, RoleOrganiser, "GET", "/api/v1/people/workload?by=person&only=overloaded", "")
	if out["total"].(float64) < 1 {
		t.Errorf("overloaded: %v", out)
	}
	for _, bad := range []string{"by=street", "sort=shoe", "order=up", "format=pdf", "day=yesterday", "limit=0"} {
		if code, _, _ := e.call(t, RoleViewer, "GET", "/api/v1/people/workload?"+bad, ""); code != 400 {
			t.Errorf("%s: %d", bad, code)
		}
	}
	w := do(t, e.s, "GET", "/api/v1/people/workload?by=grid&format=xlsx", "", "", "Authorization", "Bearer "+e.tokens[RoleViewer])
	if w.Code != 200 || !bytes.HasPrefix(w.Body.Bytes(), []byte("PK")) {
		t.Errorf("xlsx: %d", w.Code)
	}
	_ = http.StatusOK
}

// The rules in force are the store's: the organiser changes them (the
// fields given, the others kept), the report and the edits follow at
// once and after a reload, the audit trail keeps the change; a bad body
// is a 4xx that changes nothing, and other roles may only read them.
func TestPeopleRulesAPI(t *testing.T) {
	e := newPeopleEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		role string
		code int
	}{{"", 401}, {RoleViewer, 403}, {RoleDispatcher, 403}, {RolePlanner, 403}} {
		if code, _, body := e.call(t, tc.role, "PATCH", "/api/v1/people/rules", `{"max_grids_per_cadre":9}`); code != tc.code {
			t.Errorf("PATCH rules as %q: %d, want %d: %s", tc.role, code, tc.code, body)
		}
	}
	_, rep, _ := e.call(t, RoleViewer, "GET", "/api/v1/people/report?rule=cadre_load", "")
	vs := rep["violations"].([]any)
	if len(vs) != 1 {
		t.Fatalf("demo cadre_load violations %v", vs)
	}
	held := int(vs[0].(map[string]any)["count"].(float64)) // grids the overloaded cadre helps

	audits := func() int {
		au, err := e.st.Audit(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(au)
	}
	before, nAudit := e.s.Current().City.Meta[people.MetaRules], audits()
	for _, tc := range []struct {
		body  string
		code  int
		field string
	}{
		{`{"max_grids_per_cadre":0}`, 422, "rules"},
		{`{"min_workers_per_grid":-1}`, 422, "rules"},
		{`{"district_units_per_community":{"min":3,"max":2}}`, 422, "rules"},
		{`{"max_grids":4}`, 400, ""},
		{`{"max_grids_per_cadre":"4"}`, 400, ""},
		{`{"max_grids_per_cadre":4} {}`, 400, ""},
		{`[{"max_grids_per_cadre":4}]`, 400, ""},
		{`{"max_grids_per_cadre":`, 400, ""},
		{``, 400, ""},
	} {
		code, out, body := e.call(t, RoleOrganiser, "PATCH", "/api/v1/people/rules", tc.body)
		if code != tc.code || (tc.field != "" && out["field"] != tc.field) || out["error"] == nil {
			t.Errorf("PATCH rules %s: %d %s, want %d field %q", tc.body, code, body, tc.code, tc.field)
		}
		if e.s.Current().City.Meta[people.MetaRules] != before || audits() != nAudit {
			t.Errorf("PATCH rules %s: a refused change was written", tc.body)
		}
	}

	// Raising the limit to what the cadre helps clears the violation; the
	// other rules keep their values.
	code, out, body := e.call(t, RoleOrganiser, "PATCH", "/api/v1/people/rules", fmt.Sprintf(`{"max_grids_per_cadre":%d}`, held))
	if code != 200 || out["violations_by_rule"].(map[string]any)[people.RuleCadreLoad] != nil {
		t.Fatalf("raise the limit: %d %s", code, body)
	}
	want := people.DefaultRules()
	want.MaxGridsPerCadre = held
	check := func(when string) {
		t.Helper()
		_, got, _ := e.call(t, RoleViewer, "GET", "/api/v1/people/rules", "")
		b, _ := json.Marshal(got["rules"])
		var r people.Rules
		if err := json.Unmarshal(b, &r); err != nil || r != want {
			t.Errorf("%s: rules %+v, want %+v", when, r, want)
		}
		_, rep, _ := e.call(t, RoleViewer, "GET", "/api/v1/people/report", "")
		if rep["rules"].(map[string]any)["max_grids_per_cadre"].(float64) != float64(want.MaxGridsPerCadre) {
			t.Errorf("%s: the report checks against %v", when, rep["rules"])
		}
	}
	check("after the change")
	au, err := e.st.Audit(ctx, 1)
	if err != nil || au[0].Action != "people.rules" || !strings.Contains(au[0].Detail, fmt.Sprintf("max_grids_per_cadre %d", held)) {
		t.Errorf("audit %+v %v", au, err)
	}
	if err := e.s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	check("after a reload")

	// The same rules again write nothing.
	nAudit = audits()
	if code, out, body := e.call(t, RoleOrganiser, "PATCH", "/api/v1/people/rules", fmt.Sprintf(`{"max_grids_per_cadre":%d}`, held)); code != 200 || len(out["changed"].(map[string]any)) != 0 || audits() != nAudit {
		t.Errorf("unchanged rules: %d %s", code, body)
	}

	// A stricter limit is taken and its breaches reported, not refused; an
	// assignment over it is refused.
	code, out, body = e.call(t, RoleOrganiser, "PATCH", "/api/v1/people/rules", `{"max_grids_per_cadre":1}`)
	if code != 200 || out["violations_by_rule"].(map[string]any)[people.RuleCadreLoad].(float64) < 2 {
		t.Fatalf("stricter limit: %d %s", code, body)
	}
	want.MaxGridsPerCadre = 1
	check("after the stricter limit")
	var cadre, grid string
	c := e.s.Current().City
	for i := range c.Assignments {
		if a := &c.Assignments[i]; a.Duty == data.DutyCadre && a.ActiveOn(e.s.today()) {
			cadre = a.StaffID
			for j := range c.Grids {
				if c.Grids[j].Code != a.GridCode {
					grid = c.Grids[j].Code
					break
				}
			}
			break
		}
	}
	if code, out, body := e.call(t, RoleOrganiser, "POST", "/api/v1/people/assignments", fmt.Sprintf(`{"staff_id":%q,"grid_code":%q,"duty":"cadre"}`, cadre, grid)); code != 409 || out["field"] != "staff_id" {
		t.Errorf("assignment over the limit of 1: %d %s", code, body)
	}
}
