package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every route × every role (and anonymous, and a revoked token) gets an
// exact status; what a viewer or an anonymous caller reads holds no phone
// number and no full name of a cadre, grid head or caller.
func TestAuthMatrix(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	ctx := context.Background()
	b, p := buildingInGrid(t, 900)
	g := demo.Grid(b.GridCode)
	// a revoked token
	revokedSecret, revoked, _ := NewToken(RoleAdmin, "gone")
	env.st.CreateToken(ctx, revoked)
	env.st.RevokeToken(ctx, revoked.ID, "test")
	_, seed := env.create(t, pointBody("safety.fire", p))

	callers := []string{"", RoleViewer, RoleDispatcher, RolePlanner, RoleAdmin, "revoked", "garbage"}
	header := func(who string) []string {
		switch who {
		case "":
			return nil
		case "revoked":
			return []string{"Authorization", "Bearer " + revokedSecret}
		case "garbage":
			return []string{"Authorization", "Bearer gm_nope"}
		}
		return env.auth(who)
	}
	apiKey := func(who string) string {
		switch who {
		case "":
			return ""
		case "revoked":
			return revokedSecret
		case "garbage":
			return "gm_nope"
		}
		return env.tokens[who]
	}
	// fresh targets for the calls that change state
	freshIncident := func() string {
		_, v := env.create(t, pointBody("property.parking", p))
		return v.ID
	}
	freshToken := func() string {
		_, tok, _ := NewToken(RoleViewer, "throwaway")
		env.st.CreateToken(ctx, tok)
		return tok.ID
	}
	rules := string(mustRulesJSON(t, env))
	type route struct {
		name, method, path, ctype string
		body                      func() string
		path2                     func(who string) string // path built per caller
		headers                   func(who string) []string
		want                      map[string]int // caller → status
	}
	std := func(anon, viewer, disp, planner, admin int) map[string]int {
		return map[string]int{"": anon, RoleViewer: viewer, RoleDispatcher: disp, RolePlanner: planner, RoleAdmin: admin, "revoked": 401, "garbage": 401}
	}
	routes := []route{
		{name: "list incidents", method: "GET", path: "/api/v1/incidents", want: std(401, 200, 200, 200, 200)},
		{name: "get incident", method: "GET", path: "/api/v1/incidents/" + seed.ID, want: std(401, 200, 200, 200, 200)},
		{name: "create incident", method: "POST", path: "/api/v1/incidents", ctype: "application/json",
			body: func() string { return pointBody("traffic.order", p) }, want: std(401, 403, 201, 403, 201)},
		{name: "transition", method: "POST", ctype: "application/json", body: func() string { return `{"to":"accepted"}` },
			path2: func(string) string { return "/api/v1/incidents/" + freshIncident() + "/transitions" }, want: std(401, 403, 200, 403, 200)},
		{name: "events", method: "GET", path: "/api/v1/events", want: std(401, 200, 200, 200, 200)},
		{name: "events with access_token", method: "GET",
			path2: func(who string) string {
				if h := header(who); h != nil {
					return "/api/v1/events?access_token=" + url.QueryEscape(strings.TrimPrefix(h[1], "Bearer "))
				}
				return "/api/v1/events"
			}, headers: func(string) []string { return nil }, want: std(401, 200, 200, 200, 200)},
		{name: "whoami", method: "GET", path: "/api/v1/whoami", want: std(401, 200, 200, 200, 200)},
		{name: "plan measures", method: "GET", path: "/api/v1/plan/measures?level=city", want: std(200, 200, 200, 200, 200)},
		// The matrix's memory store keeps no plans: past the role check, 503.
		{name: "list plans", method: "GET", path: "/api/v1/plans", want: std(401, 403, 403, 503, 503)},
		{name: "create plan", method: "POST", path: "/api/v1/plans", ctype: "application/json", body: func() string { return `{"name":"matrix"}` },
			want: std(401, 403, 403, 503, 503)},
		{name: "coverage", method: "GET", path: "/api/v1/coverage?level=city", want: std(200, 200, 200, 200, 200)},
		{name: "coverage siting", method: "POST", path: "/api/v1/coverage/siting", ctype: "application/json", body: func() string { return `{"k":1}` },
			want: std(200, 200, 200, 200, 200)},
		{name: "get rules", method: "GET", path: "/api/v1/rules", want: std(200, 200, 200, 200, 200)},
		{name: "put rules", method: "PUT", path: "/api/v1/rules", ctype: "application/json", body: func() string { return rules },
			want: std(401, 403, 403, 403, 200)},
		{name: "audit", method: "GET", path: "/api/v1/audit", want: std(401, 403, 403, 403, 200)},
		{name: "list tokens", method: "GET", path: "/api/v1/tokens", want: std(401, 403, 403, 403, 200)},
		{name: "create token", method: "POST", path: "/api/v1/tokens", ctype: "application/json",
			body: func() string { return `{"name":"wall-2","role":"viewer"}` }, want: std(401, 403, 403, 403, 201)},
		{name: "revoke token", method: "DELETE", path2: func(string) string { return "/api/v1/tokens/" + freshToken() }, want: std(401, 403, 403, 403, 200)},
		{name: "locate", method: "GET", path: fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", p[0], p[1]), want: std(200, 200, 200, 200, 200)},
		{name: "layers", method: "GET", path: "/api/v1/layers", want: std(200, 200, 200, 200, 200)},
		{name: "metrics", method: "GET", path: "/metrics", want: std(200, 200, 200, 200, 200)},
		// health probes ignore credentials, even wrong ones
		{name: "healthz", method: "GET", path: "/healthz", want: map[string]int{"": 200, RoleViewer: 200, RoleDispatcher: 200, RolePlanner: 200, RoleAdmin: 200, "revoked": 200, "garbage": 200}},
		{name: "open311 services", method: "GET", path: "/open311/v2/services.json", want: std(200, 200, 200, 200, 200)},
		{name: "open311 requests", method: "GET", path: "/open311/v2/requests.json", want: std(200, 200, 200, 200, 200)},
		{name: "open311 post (api_key)", method: "POST", path: "/open311/v2/requests.json", ctype: "application/x-www-form-urlencoded",
			headers: func(string) []string { return nil },
			want:    map[string]int{"": 401, RoleViewer: 403, RoleDispatcher: 201, RolePlanner: 403, RoleAdmin: 201, "revoked": 403, "garbage": 403}},
	}
	// a mobile number: 11 digits from 13…19, not part of a longer number
	// or of a decimal fraction (0.17923137484… is not a phone)
	phone := regexp.MustCompile(`(?:^|[^\d.])(1[3-9]\d{9})(?:\D|$)`)
	names := []string{"王小明", g.Head.Name}
	for _, cd := range demo.CadresOf(g.Code) {
		names = append(names, cd.Name)
	}
	for _, rt := range routes {
		for _, who := range callers {
			path := rt.path
			if rt.path2 != nil {
				path = rt.path2(who)
			}
			body := ""
			if rt.body != nil {
				body = rt.body()
			}
			if strings.HasPrefix(rt.name, "open311 post") {
				f := url.Values{"service_code": {"safety.fire"}, "lat": {fmt.Sprint(p[1])}, "long": {fmt.Sprint(p[0])},
					"description": {"堆物"}, "first_name": {"小明"}, "last_name": {"王"}, "phone": {"13812345678"}}
				if k := apiKey(who); k != "" {
					f.Set("api_key", k)
				}
				body = f.Encode()
			}
			hdr := header(who)
			if rt.headers != nil {
				hdr = rt.headers(who)
			}
			req := httptest.NewRequest(rt.method, path, strings.NewReader(body))
			if rt.ctype != "" {
				req.Header.Set("Content-Type", rt.ctype)
			}
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			if strings.HasPrefix(rt.name, "events") {
				c, cancel := context.WithTimeout(req.Context(), 100*time.Millisecond)
				defer cancel()
				req = req.WithContext(c)
			}
			w := httptest.NewRecorder()
			env.s.ServeHTTP(w, req)
			if want := rt.want[who]; w.Code != want {
				t.Errorf("%s as %q: %d, want %d (%s)", rt.name, who, w.Code, want, strings.TrimSpace(w.Body.String()))
			}
			if w.Code < 300 && (who == "" || who == RoleViewer) && rt.method == "GET" && rt.name != "metrics" { // metrics: numbers only
				if m := phone.FindStringSubmatch(w.Body.String()); m != nil {
					t.Errorf("%s as %q shows phone %s", rt.name, who, m[1])
				}
				for _, n := range names {
					if len([]rune(n)) > 1 && strings.Contains(w.Body.String(), n) {
						t.Errorf("%s as %q shows the name %s", rt.name, who, n)
					}
				}
			}
		}
	}
	// the personal roles do see them
	w := do(t, env.s, "GET", "/api/v1/incidents/"+seed.ID, "", "", env.auth(RolePlanner)...)
	if !strings.Contains(w.Body.String(), "13812345678") || !strings.Contains(w.Body.String(), g.Head.Phone) {
		t.Errorf("planner does not see the caller's and head's phones")
	}
}

func mustRulesJSON(t *testing.T, env *dispatchEnv) []byte {
	t.Helper()
	w := do(t, env.s, "GET", "/api/v1/rules", "", "")
	if w.Code != http.StatusOK {
		t.Fatal(w.Code)
	}
	return w.Body.Bytes()
}

// Tokens: only the hash is stored; a revoked token stops working.
func TestTokenLifecycleHTTP(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	w := do(t, env.s, "POST", "/api/v1/tokens", "application/json", `{"name":"wall","role":"viewer"}`, env.auth(RoleAdmin)...)
	var created struct{ ID, Token string }
	if w.Code != 201 || jsonInto(w.Body.Bytes(), &created) != nil || created.Token == "" {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	toks, _ := env.st.Tokens(context.Background())
	for _, tk := range toks {
		if strings.Contains(tk.Hash, created.Token) || tk.Hash == created.Token {
			t.Fatal("the secret is stored")
		}
	}
	if w := do(t, env.s, "GET", "/api/v1/incidents", "", "", "Authorization", "Bearer "+created.Token); w.Code != 200 {
		t.Fatalf("new token: %d", w.Code)
	}
	if w := do(t, env.s, "POST", "/api/v1/tokens", "application/json", `{"name":"x","role":"god"}`, env.auth(RoleAdmin)...); w.Code != 422 {
		t.Errorf("unknown role: %d", w.Code)
	}
	if w := do(t, env.s, "DELETE", "/api/v1/tokens/"+created.ID, "", "", env.auth(RoleAdmin)...); w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	if w := do(t, env.s, "GET", "/api/v1/incidents", "", "", "Authorization", "Bearer "+created.Token); w.Code != 401 {
		t.Errorf("revoked token: %d", w.Code)
	}
	if w := do(t, env.s, "DELETE", "/api/v1/tokens/"+created.ID, "", "", env.auth(RoleAdmin)...); w.Code != 404 {
		t.Errorf("second revoke: %d", w.Code)
	}
	if w := do(t, env.s, "GET", "/api/v1/incidents", "", "", "Authorization", "Basic abc"); w.Code != 401 {
		t.Errorf("basic auth: %d", w.Code)
	}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }
