package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// The direct routes (GET /api/v1/locate and GET /tiles/{z}/{x}/{y}.mvt,
// served without the router) must enforce exactly what their registry
// entries declare, as the route guard does for every other route.

// routedAs serves r through the front and the router (the guard), never
// the direct way.
func routedAs(s *Server, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.front(w, r, s.serveHTTP)
	return w
}

func newReq(method, path, who string, fx *routeFixture) *http.Request {
	r := httptest.NewRequest(method, path, nil)
	if who != "" {
		r.Header.Set("Authorization", "Bearer "+fx.tokens[who])
	}
	return r
}

// TestDirectRoutesFollowRegistry: for every caller (anonymous and each
// role) and good and bad requests, a direct route answers exactly what the
// routed one answers, and the bad requests are the 4xx naming what is
// wrong that the registry's declaration makes them.
func TestDirectRoutesFollowRegistry(t *testing.T) {
	fx := newRouteFixture(t)
	s := fx.s
	for _, d := range []struct {
		rt   *Route
		path string
	}{{s.direct.locate, locatePath}, {s.direct.tile, tilePathRoute}} {
		if d.rt == nil {
			t.Fatalf("%s is not a direct route", d.path)
		}
		found := false
		for i := range s.table {
			found = found || &s.table[i] == d.rt
		}
		if !found || d.rt.Path != d.path || d.rt.Method != http.MethodGet {
			t.Fatalf("direct route %s is not the registry's entry: %+v", d.path, d.rt)
		}
	}
	in := fmt.Sprintf("lon=%v&lat=%v", fx.point[0], fx.point[1])
	long := strings.Repeat("1", 300)
	type probe struct {
		path string
		code int    // 0: as the routed answer, whatever it is
		want string // in the body
	}
	probes := []probe{
		{"/api/v1/locate?" + in, 200, `"match":"inside"`},
		{"/api/v1/locate?" + in + "&fields=grid,station", 200, `"grid":"`},
		{"/api/v1/locate?" + in + "&crs=gcj02", 200, ""},
		{"/api/v1/locate?lon=100&lat=20", 200, `"nearest_station":null`},
		{"/api/v1/locate?" + in + "&x=1", 400, `unknown query parameter \"x\"`},
		{"/api/v1/locate?" + in + "&access_token=" + fx.tokens[RoleAdmin], 400, "unknown query parameter"},
		{"/api/v1/locate?" + in + "&lon=1", 400, "query parameter lon given more than once"},
		{"/api/v1/locate?" + in + "&fields=grid&fields=all", 400, "fields given more than once"},
		{"/api/v1/locate?" + in + "&fields=grid,grid,grid,grid,grid,grid", 400, "fields: 6 items, at most 5"},
		{"/api/v1/locate?" + in + "&fields=nope", 400, "fields"},
		{"/api/v1/locate?" + in + "&crs=bd09", 400, "crs"},
		{"/api/v1/locate?" + in + "&crs=%00", 400, "control character"},
		{"/api/v1/locate?lon=117.5%E2%80%AE&lat=34.8", 400, "bidirectional control"},
		{"/api/v1/locate?lon=" + long + "&lat=34.8", 400, "lon: 300 bytes"},
		{"/api/v1/locate?lon=1_17.55&lat=34.8", 400, "not a plain decimal number"},
		{"/api/v1/locate?lon=117.55&lat=0x1p-2", 400, "not a plain decimal number"},
		{"/api/v1/locate?lon=181&lat=1", 400, "out of range"},
		{"/api/v1/locate?lat=1", 400, "lon is required"},
		{"/api/v1/locate?" + in + ";x=1", 400, `a \";\" is not allowed`},
		{"/api/v1/locate?lon=%zz&lat=1", 400, "malformed %-escape"},
		{fx.tile(""), 200, ""},
		{fx.tile("") + "?v=1", 400, `unknown query parameter \"v\"`},
		{"/tiles/12345/1/1.mvt", 400, "path parameter z: 5 bytes, at most 4"},
		{"/tiles/1/1234567890123/1.mvt", 400, "path parameter x: 13 bytes, at most 12"},
		{"/tiles/a/1/2.mvt", 400, "not an integer"},
		{"/tiles/99/1/1.mvt", 404, ""},
	}
	for _, who := range callers() {
		for _, pr := range probes {
			direct := do(t, s, http.MethodGet, pr.path, "", "", authHeader(fx, who)...)
			routed := routedAs(s, newReq(http.MethodGet, pr.path, who, fx))
			if direct.Code != routed.Code || direct.Body.String() != routed.Body.String() ||
				direct.Header().Get("Content-Type") != routed.Header().Get("Content-Type") {
				t.Errorf("%s as %q: direct %d %.200s, routed %d %.200s", pr.path, who, direct.Code, direct.Body, routed.Code, routed.Body)
			}
			if pr.code != 0 && direct.Code != pr.code || !strings.Contains(direct.Body.String(), pr.want) {
				t.Errorf("%s as %q: %d %.300s; want %d with %q", pr.path, who, direct.Code, direct.Body, pr.code, pr.want)
			}
		}
	}
}

// TestDirectRoutesReadTheirDeclaration: what a direct route enforces is
// read from its registry entry, not a copy: give the entry roles or
// parameters and the direct way answers by them at once.
func TestDirectRoutesReadTheirDeclaration(t *testing.T) {
	fx := newRouteFixture(t)
	s := fx.s
	in := fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", fx.point[0], fx.point[1])
	tile := fx.tile("")
	for _, tc := range []struct {
		rt   *Route
		path string
	}{{s.direct.locate, in}, {s.direct.tile, tile}} {
		saved := *tc.rt
		tc.rt.Roles = []string{RoleDispatcher, RoleAdmin}
		for who, want := range map[string]int{"": 401, RoleViewer: 403, RolePlanner: 403, RoleDispatcher: 200, RoleAdmin: 200} {
			if w := do(t, s, http.MethodGet, tc.path, "", "", authHeader(fx, who)...); w.Code != want {
				t.Errorf("%s with roles %v as %q: %d, want %d: %s", tc.path, tc.rt.Roles, who, w.Code, want, w.Body)
			}
		}
		tc.rt.Roles = nil
		tc.rt.Params = append(tc.rt.Params, Param{Name: "v", Type: "integer", Required: true})
		if w := do(t, s, http.MethodGet, tc.path, "", ""); w.Code != 400 || !strings.Contains(w.Body.String(), "query parameter v is required") {
			t.Errorf("%s with a required v: %d %s", tc.path, w.Code, w.Body)
		}
		sep := "?"
		if strings.Contains(tc.path, "?") {
			sep = "&"
		}
		if w := do(t, s, http.MethodGet, tc.path+sep+"v=0x1", "", ""); w.Code != 400 || !strings.Contains(w.Body.String(), "plain decimal integer") {
			t.Errorf("%s with v=0x1: %d %s", tc.path, w.Code, w.Body)
		}
		if w := do(t, s, http.MethodGet, tc.path+sep+"v=2", "", ""); w.Code != 200 && w.Code != 204 {
			t.Errorf("%s with v=2: %d %s", tc.path, w.Code, w.Body)
		}
		*tc.rt = saved
	}
	// the metrics name the route template, as for routed requests
	do(t, s, http.MethodGet, in+"&x=1", "", "")
	w := do(t, s, http.MethodGet, "/metrics", "", "")
	for _, want := range []string{`route="/api/v1/locate",method="GET",code="400"}`, `route="/tiles/{z}/{x}/{y}.mvt",method="GET",code="200"}`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestDirectLocateCardPrivacy: the card the direct locate serves (and the
// NDJSON stream, each line answered as a GET) shows the grid's people as
// the masking policy lets the caller's audience see them.
func TestDirectLocateCardPrivacy(t *testing.T) {
	fx := newRouteFixture(t)
	s := fx.s
	c := s.Current().City
	res := s.Current().Index.Locate(orb.Point(fx.point))
	if res.Grid < 0 {
		t.Fatal("fixture point not in a grid")
	}
	g := &c.Grids[res.Grid]
	secrets := []string{g.Head.Name, g.Head.Phone}
	for _, p := range g.Team {
		secrets = append(secrets, p.Name, p.Phone)
	}
	q := fmt.Sprintf("lon=%v&lat=%v", fx.point[0], fx.point[1])
	ndjson := fmt.Sprintf("{\"id\":\"a\",\"lon\":%v,\"lat\":%v}\n[%v,%v]\n", fx.point[0], fx.point[1], fx.point[0], fx.point[1])
	for _, who := range callers() {
		personal := slices.Contains(personalRoles, who)
		get := do(t, s, http.MethodGet, "/api/v1/locate?"+q, "", "", authHeader(fx, who)...)
		post := do(t, s, http.MethodPost, "/api/v1/locate?fields=all", "application/x-ndjson", ndjson, authHeader(fx, who)...)
		if get.Code != 200 || post.Code != 200 {
			t.Fatalf("as %q: GET %d %s, POST %d %s", who, get.Code, get.Body, post.Code, post.Body)
		}
		lines := strings.Split(strings.TrimSpace(post.Body.String()), "\n")
		if len(lines) != 2 || lines[1] != strings.TrimSpace(get.Body.String()) {
			t.Errorf("as %q: the NDJSON line is not the GET's answer:\n%s\n%s", who, lines[len(lines)-1], get.Body)
		}
		for _, v := range secrets {
			if len([]rune(v)) < 2 {
				continue
			}
			if shown := strings.Contains(get.Body.String(), v); shown != personal {
				t.Errorf("as %q: %q shown %v, want %v", who, v, shown, personal)
			}
			if strings.Contains(post.Body.String(), v) != personal {
				t.Errorf("as %q: NDJSON shows %q: %v", who, v, !personal)
			}
		}
	}
	// the NDJSON route's parameters are the registry's too
	for _, tc := range []struct{ query, want string }{
		{"fields=nope", "fields"}, {"fields=grid&fields=all", "given more than once"}, {"crs=wgs84&x=1", "unknown query parameter"},
	} {
		w := do(t, s, http.MethodPost, "/api/v1/locate?"+tc.query, "application/x-ndjson", ndjson)
		if w.Code != 400 || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("POST ?%s: %d %s", tc.query, w.Code, w.Body)
		}
	}
}

// TestDirectRoutesAllocateNothing: with no token and a clean query the
// direct routes allocate nothing past what the request came with (the
// figures are BenchmarkLocateServe's and BenchmarkTileServe's).
func TestDirectRoutesAllocateNothing(t *testing.T) {
	s := testServer(t, Config{})
	g := demo.Grids[100].Geom.Bound().Center()
	st := s.tileState()
	k := st.tiler.Cover(14)[0]
	for _, path := range []string{
		fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", g[0], g[1]),
		fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v&fields=grid,station&crs=wgs84", g[0], g[1]),
		fmt.Sprintf("/tiles/14/%d/%d.mvt", k.X, k.Y),
	} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("Accept-Encoding", "gzip")
		w := &discardWriter{h: http.Header{}}
		s.ServeHTTP(w, r) // warm the caches
		if w.status != 0 && w.status != 200 && w.status != 204 {
			t.Fatalf("%s: %d", path, w.status)
		}
		if n := testing.AllocsPerRun(200, func() {
			w.reset()
			s.ServeHTTP(w, r)
		}); n != 0 {
			t.Errorf("%s: %v allocations a request", path, n)
		}
	}
}

// authHeader is the Authorization header of who ("" none).
func authHeader(fx *routeFixture, who string) []string {
	if who == "" {
		return nil
	}
	return []string{"Authorization", "Bearer " + fx.tokens[who]}
}
