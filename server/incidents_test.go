package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/geo"
)

// fakeClock is an injected clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// dispatchEnv is a server over the demo city with a GeoPackage for
// incidents and tokens, one token per role, and a fake clock.
type dispatchEnv struct {
	s      *Server
	st     store.Store
	tokens map[string]string // role → bearer token
	clock  *fakeClock
}

func newDispatchEnv(t testing.TB, cfg Config) *dispatchEnv {
	t.Helper()
	st, err := backends.Create(context.Background(), filepath.Join(t.TempDir(), "dispatch.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &dispatchEnv{st: st, tokens: map[string]string{}, clock: &fakeClock{t: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)}}
	for _, role := range Roles {
		secret, tok, err := NewToken(role, role+"-test")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		env.tokens[role] = secret
	}
	cfg.Incidents, cfg.Tokens, cfg.Now = st, st, env.clock.Now
	if cfg.EscalationInterval == 0 {
		cfg.EscalationInterval = -1
	}
	env.s = testServer(t, cfg)
	t.Cleanup(env.s.Close)
	return env
}

func (e *dispatchEnv) auth(role string) []string {
	if role == "" {
		return nil
	}
	return []string{"Authorization", "Bearer " + e.tokens[role]}
}

// buildingInGrid returns a building of the demo city and a point inside
// its grid (the centre of the building).
func buildingInGrid(t testing.TB, i int) (data.Building, [2]float64) {
	t.Helper()
	b := demoCity(t).Buildings[i]
	p, q := b.Geom[0][0], b.Geom[0][2]
	return b, [2]float64{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2}
}

func (e *dispatchEnv) create(t testing.TB, body string, hdr ...string) (*httptest.ResponseRecorder, incidentJSON) {
	t.Helper()
	w := do(t, e.s, "POST", "/api/v1/incidents", "application/json", body, append(e.auth(RoleDispatcher), hdr...)...)
	var v incidentJSON
	if w.Code == http.StatusCreated {
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
	}
	return w, v
}

func pointBody(category string, p [2]float64) string {
	return fmt.Sprintf(`{"category":%q,"description":"楼道堆物","lon":%v,"lat":%v,"caller":{"name":"王小明","phone":"13812345678"}}`, category, p[0], p[1])
}

func TestIncidentRoutingAndLifecycle(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	b, p := buildingInGrid(t, 500)
	g := demo.Grid(b.GridCode)
	w, inc := env.create(t, pointBody("safety.fire", p))
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("Location") != "/api/v1/incidents/"+inc.ID {
		t.Errorf("Location %q", w.Header().Get("Location"))
	}
	// routed to the grid, its community and street; the grid head and its
	// cadres are the first responders; module and SLA from the rules
	if inc.GridCode != g.Code || inc.CommunityCode != g.CommunityCode || inc.StreetCode != g.StreetCode ||
		inc.Status != data.StatusReported || inc.Module != data.ModuleEnforcement {
		t.Errorf("routed to %+v, want grid %s", inc, g.Code)
	}
	if len(inc.Responders) != 1+len(demo.CadresOf(g.Code)) || inc.Responders[0].Role != "grid_head" || inc.Responders[0].Phone != g.Head.Phone {
		t.Errorf("responders %+v", inc.Responders)
	}
	now := env.clock.Now()
	if inc.SLA.AcceptDue == nil || !inc.SLA.AcceptDue.Equal(now.Add(15*time.Minute)) || !inc.SLA.ResolveDue.Equal(now.Add(12*time.Hour)) {
		t.Errorf("SLA %+v", inc.SLA)
	}
	if inc.Caller == nil || inc.Caller.Phone != "13812345678" {
		t.Errorf("dispatcher does not see the caller: %+v", inc.Caller)
	}
	// the same place in GCJ-02 and by its standard address route the same
	gp := geo.WGS84ToGCJ02(p)
	_, inc2 := env.create(t, fmt.Sprintf(`{"category":"traffic.order","description":"x","lon":%v,"lat":%v,"crs":"gcj02"}`, gp[0], gp[1]))
	addr := features.Address(demo, &b)
	w3, inc3 := env.create(t, fmt.Sprintf(`{"category":"property.parking","description":"乱停车","address":%q}`, addr))
	if inc2.GridCode != g.Code || inc3.GridCode != g.Code {
		t.Errorf("gcj02 → %s, address %q → %s (%d %s); want %s", inc2.GridCode, addr, inc3.GridCode, w3.Code, w3.Body, g.Code)
	}
	// bad reports change nothing
	for _, tc := range []struct {
		name, body string
		code       int
	}{
		{"unknown category", `{"category":"fun","description":"x","lon":117.5,"lat":34.8}`, 422},
		{"no place", `{"category":"safety.fire","description":"x"}`, 400},
		{"no description", fmt.Sprintf(`{"category":"safety.fire","lon":%v,"lat":%v}`, p[0], p[1]), 400},
		{"outside every grid", `{"category":"safety.fire","description":"x","lon":100,"lat":20}`, 422},
		{"NaN-ish", `{"category":"safety.fire","description":"x","lon":1e999,"lat":20}`, 400},
		{"out of range", `{"category":"safety.fire","description":"x","lon":190,"lat":20}`, 400},
		{"lon without lat", `{"category":"safety.fire","description":"x","lon":117}`, 400},
		{"unknown field", `{"category":"safety.fire","description":"x","lon":117,"lat":34,"colour":1}`, 400},
		{"two objects", `{"category":"safety.fire"}{}`, 400},
		{"unknown address", `{"category":"safety.fire","description":"x","address":"火星路1号"}`, 422},
		{"bad crs", fmt.Sprintf(`{"category":"safety.fire","description":"x","lon":%v,"lat":%v,"crs":"bd09"}`, p[0], p[1]), 400},
	} {
		if w, _ := env.create(t, tc.body); w.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.code)
		}
	}
	if _, total, _ := env.st.Incidents(context.Background(), store.IncidentFilter{}); total != 3 {
		t.Errorf("%d incidents stored, want 3", total)
	}
	// the whole lifecycle over HTTP, with an illegal step refused on the way
	id := inc.ID
	step := func(body string, code int) map[string]any {
		t.Helper()
		env.clock.Add(time.Minute)
		w := do(t, env.s, "POST", "/api/v1/incidents/"+id+"/transitions", "application/json", body, env.auth(RoleDispatcher)...)
		if w.Code != code {
			t.Fatalf("%s: %d %s, want %d", body, w.Code, w.Body, code)
		}
		var m map[string]any
		json.Unmarshal(w.Body.Bytes(), &m)
		return m
	}
	step(`{"to":"closed"}`, 409)
	step(`{"to":"accepted","note":"受理"}`, 200)
	step(`{"to":"dispatched","departments":["nobody"]}`, 422)
	m := step(`{"to":"dispatched","note":"吹哨"}`, 200)
	if deps := m["incident"].(map[string]any)["departments"].([]any); len(deps) != 2 {
		t.Errorf("dispatch named %v", deps)
	}
	step(`{"to":"responded","departments":["emergency_management"],"note":"报到"}`, 200)
	step(`{"to":"responded","departments":["street_enforcement"]}`, 200)
	step(`{"to":"resolved"}`, 200)
	step(`{"to":"closed"}`, 200)
	step(`{"to":"accepted"}`, 409)
	step(`{"to":"flying"}`, 400)
	if w := do(t, env.s, "POST", "/api/v1/incidents/nope/transitions", "application/json", `{"to":"accepted"}`, env.auth(RoleDispatcher)...); w.Code != 404 {
		t.Errorf("unknown incident: %d", w.Code)
	}
	w = do(t, env.s, "GET", "/api/v1/incidents/"+id, "", "", env.auth(RoleDispatcher)...)
	var got struct {
		Incident incidentJSON  `json:"incident"`
		History  []historyJSON `json:"history"`
	}
	json.Unmarshal(w.Body.Bytes(), &got)
	if got.Incident.Status != data.StatusClosed || len(got.History) != 7 || got.History[2].Action != "dispatch" ||
		got.History[3].Actor == "" || got.Incident.Version != 7 || len(got.Incident.NextStates) != 0 {
		t.Errorf("after the lifecycle: %d %+v", w.Code, got)
	}
	// duplicate of an existing incident; of a missing one refused
	step2 := func(id, body string, code int) {
		w := do(t, env.s, "POST", "/api/v1/incidents/"+id+"/transitions", "application/json", body, env.auth(RoleDispatcher)...)
		if w.Code != code {
			t.Errorf("%s %s: %d %s", id, body, w.Code, w.Body)
		}
	}
	step2(inc2.ID, `{"to":"duplicate","duplicate_of":"GM-none"}`, 422)
	step2(inc2.ID, fmt.Sprintf(`{"to":"duplicate","duplicate_of":%q}`, inc3.ID), 200)
	step2(inc3.ID, `{"to":"rejected"}`, 422) // needs a reason
	// list filters and paging
	list := func(q string) (n, total int) {
		t.Helper()
		w := do(t, env.s, "GET", "/api/v1/incidents?"+q, "", "", env.auth(RoleViewer)...)
		var l struct {
			Incidents []incidentJSON `json:"incidents"`
			Total     int            `json:"total"`
		}
		if w.Code != 200 {
			t.Fatalf("list %s: %d %s", q, w.Code, w.Body)
		}
		json.Unmarshal(w.Body.Bytes(), &l)
		return len(l.Incidents), l.Total
	}
	bb := fmt.Sprintf("%v,%v,%v,%v", p[0]-0.01, p[1]-0.01, p[0]+0.01, p[1]+0.01)
	for q, want := range map[string]int{
		"":                       3,
		"status=closed":          1,
		"status=reported,closed": 2,
		"category=traffic.order": 1,
		"grid=" + g.Code:         3,
		"community=" + g.CommunityCode + "&street=" + g.StreetCode: 3,
		"street=000000000":   0,
		"bbox=" + bb:         3,
		"bbox=100,20,101,21": 0,
		"from=2026-11-26T07:00:00Z&to=2026-11-26T09:00:00Z": 3,
		"from=2026-11-27T00:00:00Z":                         0,
		"module=livelihood":                                 1,
		"escalated=true":                                    0,
	} {
		if _, total := list(q); total != want {
			t.Errorf("list %q: %d, want %d", q, total, want)
		}
	}
	if n, total := list("limit=2&offset=2"); n != 1 || total != 3 {
		t.Errorf("paging: %d of %d", n, total)
	}
	for _, q := range []string{"status=lost", "bbox=1,2", "limit=0", "limit=5000", "from=yesterday", "escalated=maybe"} {
		if w := do(t, env.s, "GET", "/api/v1/incidents?"+q, "", "", env.auth(RoleViewer)...); w.Code != 400 {
			t.Errorf("list %q: %d", q, w.Code)
		}
	}
}

// Retried POSTs with the same Idempotency-Key create one incident, even
// when the retries race; the key with another body is refused.
func TestIdempotentRetries(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	_, p := buildingInGrid(t, 42)
	body := pointBody("property.sanitation", p)
	w1, first := env.create(t, body, "Idempotency-Key", "call-0001")
	w2, again := env.create(t, body, "Idempotency-Key", "call-0001")
	if w1.Code != 201 || w2.Code != 201 || again.ID != first.ID || w2.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s / %d %s", w1.Code, first.ID, w2.Code, again.ID)
	}
	if w, _ := env.create(t, pointBody("safety.fire", p), "Idempotency-Key", "call-0001"); w.Code != 422 {
		t.Errorf("key reused with another body: %d", w.Code)
	}
	// another caller's key space is its own
	w := do(t, env.s, "POST", "/api/v1/incidents", "application/json", body, "Authorization", "Bearer "+env.tokens[RoleAdmin], "Idempotency-Key", "call-0001")
	var other incidentJSON
	json.Unmarshal(w.Body.Bytes(), &other)
	if w.Code != 201 || other.ID == first.ID {
		t.Errorf("admin's key collides with dispatcher's: %d %s", w.Code, other.ID)
	}
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, v := env.create(t, body, "Idempotency-Key", "race")
			if w.Code != 201 {
				t.Errorf("racing retry: %d %s", w.Code, w.Body)
			}
			ids[i] = v.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("racing retries created several incidents: %v", ids)
		}
	}
	if _, total, _ := env.st.Incidents(context.Background(), store.IncidentFilter{}); total != 3 {
		t.Errorf("%d incidents, want 3", total)
	}
}

// Overdue incidents escalate to their street on the injected clock, once.
func TestSLAEscalationOverHTTP(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	_, p := buildingInGrid(t, 7)
	_, fire := env.create(t, pointBody("safety.fire", p))          // accept within 15 min
	_, slow := env.create(t, pointBody("development.business", p)) // accept within 4 h
	ctx := context.Background()
	env.clock.Add(14 * time.Minute)
	if n, err := env.s.EscalateOverdue(ctx); err != nil || n != 0 {
		t.Fatalf("before the deadline: %d %v", n, err)
	}
	env.clock.Add(2 * time.Minute)
	if n, err := env.s.EscalateOverdue(ctx); err != nil || n != 1 {
		t.Fatalf("after the deadline: %d %v", n, err)
	}
	if n, _ := env.s.EscalateOverdue(ctx); n != 0 {
		t.Errorf("escalated twice: %d", n)
	}
	w := do(t, env.s, "GET", "/api/v1/incidents/"+fire.ID, "", "", env.auth(RoleViewer)...)
	var got struct {
		Incident incidentJSON  `json:"incident"`
		History  []historyJSON `json:"history"`
	}
	json.Unmarshal(w.Body.Bytes(), &got)
	if got.Incident.SLA.EscalatedTo == nil || got.Incident.SLA.EscalatedTo.Code != fire.StreetCode || got.Incident.SLA.EscalatedTo.Name == "" ||
		!got.Incident.SLA.Overdue || len(got.History) != 2 || got.History[1].Type != data.EventEscalated {
		t.Errorf("escalated incident: %+v", got)
	}
	w = do(t, env.s, "GET", "/api/v1/incidents/"+slow.ID, "", "", env.auth(RoleViewer)...)
	got.Incident = incidentJSON{}
	json.Unmarshal(w.Body.Bytes(), &got)
	if got.Incident.SLA.EscalatedTo != nil || got.Incident.SLA.Overdue {
		t.Errorf("incident within its SLA escalated: %+v", got.Incident.SLA)
	}
	// accepted in time but not resolved in time escalates too
	do(t, env.s, "POST", "/api/v1/incidents/"+slow.ID+"/transitions", "application/json", `{"to":"accepted"}`, env.auth(RoleDispatcher)...)
	env.clock.Add(168 * time.Hour)
	if n, _ := env.s.EscalateOverdue(ctx); n != 1 {
		t.Errorf("resolve deadline: %d escalated", n)
	}
	w = do(t, env.s, "GET", "/api/v1/incidents?escalated=true", "", "", env.auth(RoleViewer)...)
	if !strings.Contains(w.Body.String(), `"total":2`) {
		t.Errorf("escalated list: %s", w.Body)
	}
}

func TestRulesAndMetrics(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	w := do(t, env.s, "GET", "/api/v1/rules", "", "")
	var r data.Rules
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &r) != nil || r.Category("safety.fire") == nil {
		t.Fatalf("rules: %d %s", w.Code, w.Body)
	}
	custom := strings.Replace(string(data.DefaultRulesJSON()), `"safety.fire", "name": "消防通道堵塞、楼道堆物", "module": "enforcement", "group": "safety", "departments": ["emergency_management", "street_enforcement"]`,
		`"safety.fire", "name": "消防通道堵塞、楼道堆物", "module": "enforcement", "group": "safety", "departments": ["emergency_management"]`, 1)
	if w := do(t, env.s, "PUT", "/api/v1/rules", "application/json", custom, env.auth(RoleDispatcher)...); w.Code != 403 {
		t.Errorf("dispatcher PUT rules: %d", w.Code)
	}
	if w := do(t, env.s, "PUT", "/api/v1/rules", "application/json", `{"categories":[]}`, env.auth(RoleAdmin)...); w.Code != 422 {
		t.Errorf("bad rules: %d", w.Code)
	}
	if w := do(t, env.s, "PUT", "/api/v1/rules", "application/json", custom, env.auth(RoleAdmin)...); w.Code != 200 {
		t.Fatalf("PUT rules: %d %s", w.Code, w.Body)
	}
	_, p := buildingInGrid(t, 3)
	_, inc := env.create(t, pointBody("safety.fire", p))
	for _, b := range []string{`{"to":"accepted"}`, `{"to":"dispatched"}`} {
		do(t, env.s, "POST", "/api/v1/incidents/"+inc.ID+"/transitions", "application/json", b, env.auth(RoleDispatcher)...)
	}
	got, _, _ := env.st.Incident(context.Background(), inc.ID)
	if strings.Join(got.Departments, ",") != "emergency_management" {
		t.Errorf("new rules not used: %v", got.Departments)
	}
	// a restarted server picks the stored rules up
	s2, err := New(context.Background(), Config{Store: memStore{demo}, Incidents: env.st, Tokens: env.st, EscalationInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if d := s2.ops.rules.Load().DepartmentsFor("safety.fire"); len(d) != 1 {
		t.Errorf("restart lost the rules: %v", d)
	}
	w = do(t, env.s, "GET", "/metrics", "", "")
	for _, want := range []string{
		`gridmap_http_requests_total{route="/api/v1/incidents",method="POST",code="201"} 1`,
		`gridmap_incidents{status="dispatched"} 1`,
		`gridmap_http_request_duration_seconds_bucket{route="/api/v1/incidents/{id}/transitions",le="+Inf"} 2`,
		"gridmap_sse_clients 0",
		"gridmap_incident_commit_batches_total 1",
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, w.Body)
		}
	}
	// audit: admin only, with before and after of the transition
	w = do(t, env.s, "GET", "/api/v1/audit?limit=10", "", "", env.auth(RoleAdmin)...)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"action":"incident.transition"`) || !strings.Contains(w.Body.String(), `"before"`) ||
		!strings.Contains(w.Body.String(), `"action":"rules.set"`) {
		t.Errorf("audit: %d %s", w.Code, w.Body)
	}
}

func TestRateLimitAndTimeouts(t *testing.T) {
	env := newDispatchEnv(t, Config{RateLimit: 1, RateBurst: 3, AnonRateLimit: 1})
	codes := []int{}
	for range 5 {
		codes = append(codes, do(t, env.s, "GET", "/api/v1/incidents", "", "", env.auth(RoleViewer)...).Code)
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Errorf("viewer codes %v", codes)
	}
	// another token has its own bucket; health checks are never limited
	if w := do(t, env.s, "GET", "/api/v1/incidents", "", "", env.auth(RoleAdmin)...); w.Code != 200 {
		t.Errorf("admin limited by the viewer's use: %d", w.Code)
	}
	for range 5 {
		if w := do(t, env.s, "GET", "/healthz", "", ""); w.Code != 200 {
			t.Fatalf("healthz limited: %d", w.Code)
		}
	}
	w := do(t, env.s, "GET", "/api/v1/incidents", "", "", env.auth(RoleViewer)...)
	if w.Header().Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	// anonymous callers are limited per address, on their own limit
	codes = nil
	for range 5 {
		codes = append(codes, do(t, env.s, "GET", "/api/v1/layers", "", "").Code)
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Errorf("anonymous codes %v", codes)
	}
	// without an anonymous limit, only tokens are limited
	env2 := newDispatchEnv(t, Config{RateLimit: 1, RateBurst: 1})
	for range 5 {
		if w := do(t, env2.s, "GET", "/api/v1/layers", "", ""); w.Code != 200 {
			t.Fatalf("anonymous limited without a limit: %d", w.Code)
		}
	}
	// a request's context carries the timeout
	env3 := newDispatchEnv(t, Config{RequestTimeout: time.Nanosecond})
	if w := do(t, env3.s, "GET", "/api/v1/incidents", "", "", env3.auth(RoleViewer)...); w.Code != 503 {
		t.Errorf("timed-out request: %d %s", w.Code, w.Body)
	}
}

// A free-text address that is not a standard address goes through the
// geocoder (the "geocode" extension's gazetteer).
func TestIncidentAddressThroughGeocoder(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	b, _ := buildingInGrid(t, 2000)
	cp := demo.Compound(b.CompoundCode)
	addr := fmt.Sprintf("%s%s%d号楼", demo.Street(b.StreetCode).Name, cp.Name, b.Number) // no district, road or community
	if env.s.Current().Ext("geocode") == nil {
		t.Skip("no geocode extension in this build")
	}
	w, inc := env.create(t, fmt.Sprintf(`{"category":"property.parking","description":"乱停车","address":%q}`, addr))
	if w.Code != 201 {
		t.Fatalf("%q: %d %s", addr, w.Code, w.Body)
	}
	if inc.GridCode != b.GridCode || inc.Address != addr {
		t.Errorf("%q routed to %s, want %s", addr, inc.GridCode, b.GridCode)
	}
}
