package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The numbered defects of issue 19, one test each (the route × role table
// and the personal-data scanner in routes_test.go cover them all again).

// Defect 1: anonymous callers got raw incident text from the layer and
// OGC routes while /api/v1/incidents refused them. Now every route gives
// anonymous callers the same: no free text, names and phones masked.
func TestDefect1AnonymousIncidentText(t *testing.T) {
	fx := newRouteFixture(t)
	for _, path := range []string{"/api/v1/layers/incidents", "/collections/incidents/items?limit=10000",
		"/collections/incidents/items/" + fx.incidents[0], "/open311/v2/requests.json", "/open311/v2/requests/" + fx.incidents[0] + ".xml"} {
		code, body := fx.call("", http.MethodGet, exampleReq{path: path})
		if code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		for _, leak := range []string{"王小明", "反映车辆堵门", "13912345678", "370402199001011234", "139****5678"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("anonymous %s shows %q", path, leak)
			}
		}
	}
	// the same rule everywhere: /api/v1/incidents still wants a token
	if code, _ := fx.call("", http.MethodGet, exampleReq{path: "/api/v1/incidents"}); code != http.StatusUnauthorized {
		t.Errorf("anonymous /api/v1/incidents: %d", code)
	}
	// a viewer gets the text, masked
	_, body := fx.call(RoleViewer, http.MethodGet, exampleReq{path: "/collections/incidents/items/" + fx.incidents[0]})
	if !strings.Contains(string(body), "王**反映车辆堵门，回电139****5678，身份证370***********1234") {
		t.Errorf("viewer item: %s", body)
	}
}

// Defect 2: 18-digit ID numbers and +86 phones were never masked: viewer
// responses (description, address, history notes), SSE events, Open311.
func TestDefect2IDNumbersAndIntlPhones(t *testing.T) {
	fx := newRouteFixture(t)
	for _, path := range []string{"/api/v1/incidents/" + fx.incidents[1], "/api/v1/incidents?limit=1000", "/api/v1/events?last_event_id=0",
		"/open311/v2/requests.json", "/open311/v2/requests.xml"} {
		_, body := fx.call(RoleViewer, http.MethodGet, exampleReq{path: path})
		for _, leak := range []string{"370402199001011234", "37040219850315123X", "370402197706061118", "+86 139 1234 5678", "+8613812345678"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("viewer %s shows %q", path, leak)
			}
		}
		if m := idPattern.FindString(string(body)); m != "" {
			t.Errorf("viewer %s shows an ID number %s", path, m)
		}
	}
	_, body := fx.call(RoleViewer, http.MethodGet, exampleReq{path: "/api/v1/incidents/" + fx.incidents[0]})
	var v struct {
		History []historyJSON `json:"history"`
	}
	json.Unmarshal(body, &v)
	if len(v.History) < 2 || !strings.Contains(v.History[1].Note, "370***********1118") || v.History[1].Actor != "" {
		t.Errorf("viewer history: %+v", v.History)
	}
}

// Defect 3: anonymous Open311 GET listed every description and address.
func TestDefect3Open311Anonymous(t *testing.T) {
	fx := newRouteFixture(t)
	code, body := fx.call("", http.MethodGet, exampleReq{path: "/open311/v2/requests.json"})
	var reqs []o311RequestJSON
	if code != 200 || json.Unmarshal(body, &reqs) != nil || len(reqs) < len(personalTexts) {
		t.Fatalf("%d %.300s", code, body)
	}
	for _, r := range reqs {
		if r.Description != "" || r.Address != "" {
			t.Errorf("anonymous Open311 request %s: %q %q", r.ServiceRequestID, r.Description, r.Address)
		}
	}
	// with a viewer's api_key: the text, masked
	_, body = fx.call("", http.MethodGet, exampleReq{path: "/open311/v2/requests.json?api_key=" + url.QueryEscape(fx.tokens[RoleViewer])})
	if !strings.Contains(string(body), "139****5678") || strings.Contains(string(body), "13912345678") {
		t.Errorf("viewer Open311: %.400s", body)
	}
	// a wrong api_key is refused, in Open311's error format
	code, body = fx.call("", http.MethodGet, exampleReq{path: "/open311/v2/requests.json?api_key=gm_nope"})
	if code != 401 || !strings.Contains(string(body), `"code":401`) {
		t.Errorf("bad api_key: %d %s", code, body)
	}
}

// Defect 4: tens of thousands of comma-separated categories, statuses or
// Open311 service codes answered 500 (too many SQL variables).
func TestDefect4ListCaps(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	many := func(v string, n int) string { return strings.TrimSuffix(strings.Repeat(v+",", n), ",") }
	for _, path := range []string{
		"/api/v1/incidents?category=" + many("property.parking", 40000),
		"/api/v1/incidents?status=" + many("reported", 40000),
		"/open311/v2/requests.json?service_code=" + many("property.parking", 40000),
		"/open311/v2/requests.json?service_request_id=" + many("GM1", 40000),
		"/api/v1/incidents?status=" + many("reported", 150),           // under the query cap: the list cap
		"/open311/v2/requests.json?service_code=" + many("a.b", 2000), // the same
	} {
		w := do(t, env.s, "GET", path, "", "", env.auth(RoleViewer)...)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "at most") && !strings.Contains(w.Body.String(), "longer than") {
			t.Errorf("%.60s…: %d %.200s", path, w.Code, w.Body)
		}
	}
	// a list within the cap still works
	if w := do(t, env.s, "GET", "/api/v1/incidents?category="+many("property.parking", 200), "", "", env.auth(RoleViewer)...); w.Code != 200 {
		t.Errorf("200 categories: %d %.200s", w.Code, w.Body)
	}
}

// Defect 5: a query Go cannot parse made the filter vanish silently.
func TestDefect5UnparsableQuery(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	for path, param := range map[string]string{
		"/api/v1/incidents?bbox=1,1,1,1;x":    "bbox",
		"/api/v1/incidents?grid=NOPE;":        "grid",
		"/api/v1/incidents?limit=1;DROP":      "limit",
		"/api/v1/incidents?grid=%zz":          "grid",
		"/collections/grids/items?limit=1;x":  "limit",
		"/open311/v2/requests.json?status=o;": "status",
		"/api/v1/layers/grids?bbox=1;2":       "bbox",
		"/api/v1/incidents?statu=reported":    "statu",
		"/api/v1/incidents?grid=a&grid=b":     "grid",
	} {
		w := do(t, env.s, "GET", path, "", "", env.auth(RoleViewer)...)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), param) {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
		}
	}
}

// Defect 6: an anonymous siting needed no token and held up a planner's.
// Now callers with a token and anonymous callers have separate lanes, and
// anonymous callers are rate limited with 429 and Retry-After.
func TestDefect6HeavyLanes(t *testing.T) {
	env := newDispatchEnv(t, Config{HeavyAnonRate: 1.0 / 60, HeavyAnonBurst: 2})
	s := env.s
	// an anonymous siting holds the anonymous lane…
	release, _, ok := s.heavy.acquire(context.Background(), "siting", nil, "192.0.2.9")
	if !ok {
		t.Fatal("anonymous lane refused the first run")
	}
	// …a planner's siting does not wait for it
	done := make(chan int, 1)
	go func() {
		done <- do(t, s, "POST", "/api/v1/coverage/siting", "application/json", `{"k":2,"candidates":"planned"}`, env.auth(RolePlanner)...).Code
	}()
	select {
	case code := <-done:
		if code != 200 {
			t.Errorf("planner siting: %d", code)
		}
	case <-time.After(time.Minute):
		t.Fatal("the planner's siting waited behind the anonymous one")
	}
	release()
	// anonymous callers: the burst, then 429 with Retry-After
	codes := []int{}
	var retry string
	for k := 3; k < 7; k++ {
		w := do(t, s, "POST", "/api/v1/coverage/siting", "application/json", fmt.Sprintf(`{"k":%d,"candidates":"planned"}`, k))
		codes = append(codes, w.Code)
		if w.Code == http.StatusTooManyRequests {
			retry = w.Header().Get("Retry-After")
		}
	}
	if codes[0] != 200 || codes[len(codes)-1] != http.StatusTooManyRequests || retry == "" {
		t.Errorf("anonymous sitings: %v, Retry-After %q", codes, retry)
	}
	// a kept answer costs nothing and is not limited
	if w := do(t, s, "POST", "/api/v1/coverage/siting", "application/json", `{"k":3,"candidates":"planned"}`); w.Code != 200 {
		t.Errorf("kept answer: %d", w.Code)
	}
	// the default is on
	def, err := New(context.Background(), Config{Store: memStore{demo}})
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	if def.heavy.anonLimit == nil || def.heavy.anonLimit.rate != defaultAnonHeavy {
		t.Error("no anonymous heavy limit by default")
	}
}

// Defect 7: the smaller things.
func TestDefect7SmallThings(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	s := env.s
	_, p := buildingInGrid(t, 300)
	t.Run("numbers are plain decimal", func(t *testing.T) {
		for _, q := range []string{"lon=1_17.55&lat=34.8", "lon=117.55&lat=0x1p-2", "lon=1e2&lat=34", "lon=Inf&lat=1", "lon=117.&lat=34"} {
			if w := do(t, s, "GET", "/api/v1/locate?"+q, "", ""); w.Code != 400 {
				t.Errorf("%s: %d %s", q, w.Code, w.Body)
			}
		}
		if w := do(t, s, "GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", p[0], p[1]), "", ""); w.Code != 200 {
			t.Errorf("plain decimal: %d", w.Code)
		}
	})
	t.Run("auth scheme is case-insensitive", func(t *testing.T) {
		for _, scheme := range []string{"bearer", "BEARER", "Bearer", "bEaReR"} {
			if w := do(t, s, "GET", "/api/v1/whoami", "", "", "Authorization", scheme+" "+env.tokens[RoleViewer]); w.Code != 200 {
				t.Errorf("%s: %d", scheme, w.Code)
			}
		}
		if w := do(t, s, "GET", "/api/v1/whoami", "", "", "Authorization", "Basic abc"); w.Code != 401 {
			t.Errorf("Basic: %d", w.Code)
		}
	})
	t.Run("health probes ignore credentials", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if w := do(t, s, "GET", path+"?probe=1", "", "", "Authorization", "Bearer gm_wrong"); w.Code != 200 {
				t.Errorf("%s with a bad token: %d", path, w.Code)
			}
		}
	})
	t.Run("caller phone must look like a phone", func(t *testing.T) {
		for _, phone := range []string{"☎️", "abc", "12", "13812345678; DROP"} {
			body := fmt.Sprintf(`{"category":"property.parking","description":"x","lon":%v,"lat":%v,"caller":{"name":"王","phone":%q}}`, p[0], p[1], phone)
			if w, _ := env.create(t, body); w.Code != 400 {
				t.Errorf("phone %q: %d", phone, w.Code)
			}
		}
		body := fmt.Sprintf(`{"category":"property.parking","description":"x","lon":%v,"lat":%v,"caller":{"name":"王","phone":"+86 139 1234 5678"}}`, p[0], p[1])
		if w, _ := env.create(t, body); w.Code != 201 {
			t.Errorf("good phone: %d %s", w.Code, w.Body)
		}
	})
	t.Run("no control or bidi characters in stored text", func(t *testing.T) {
		for _, text := range []string{"a\x00b", "evil\u202egnp.exe", "a\u2066b", "zero\u200bwidth", "bell\x07"} {
			body := fmt.Sprintf(`{"category":"property.parking","description":%q,"lon":%v,"lat":%v}`, text, p[0], p[1])
			if w, _ := env.create(t, body); w.Code != 400 {
				t.Errorf("description %q: %d", text, w.Code)
			}
		}
		body := fmt.Sprintf(`{"category":"property.parking","description":"第一行\n第二行\t完","lon":%v,"lat":%v}`, p[0], p[1])
		w, inc := env.create(t, body)
		if w.Code != 201 {
			t.Fatalf("multiline: %d %s", w.Code, w.Body)
		}
		tr := do(t, s, "POST", "/api/v1/incidents/"+inc.ID+"/transitions", "application/json", `{"to":"accepted","note":"ok\u202e"}`, env.auth(RoleDispatcher)...)
		if tr.Code != 400 {
			t.Errorf("note with a bidi override: %d", tr.Code)
		}
	})
	t.Run("batch error rows never echo huge ids", func(t *testing.T) {
		huge := strings.Repeat("x", 20<<20)
		body := fmt.Sprintf("%s,%v,%v\nok,%v,%v\n", huge, p[0], p[1], p[0], p[1])
		w := do(t, s, "POST", "/api/v1/locate", "text/csv", body)
		if w.Code != 200 || w.Body.Len() > 4096 || !strings.Contains(w.Body.String(), ",error,") || !strings.Contains(w.Body.String(), "ok,") {
			t.Errorf("huge id: %d, %d bytes: %.200s", w.Code, w.Body.Len(), w.Body)
		}
		gj := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","id":%q,"geometry":{"type":"Point","coordinates":[%v,%v]}}]}`, huge, p[0], p[1])
		w = do(t, s, "POST", "/api/v1/locate", "application/geo+json", gj)
		if w.Body.Len() > 4096 || !strings.Contains(w.Body.String(), "id longer than") {
			t.Errorf("huge GeoJSON id: %d, %d bytes: %.200s", w.Code, w.Body.Len(), w.Body)
		}
	})
	t.Run("no station thousands of kilometres away", func(t *testing.T) {
		w := do(t, s, "GET", "/api/v1/locate?lon=0&lat=0", "", "")
		var ans LocateAnswer
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &ans) != nil {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if ans.NearestStation != nil {
			t.Errorf("(0,0) offers station %s %.0f m away", ans.NearestStation.Code, ans.NearestStation.DistanceM)
		}
		w = do(t, s, "GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", p[0], p[1]), "", "")
		json.Unmarshal(w.Body.Bytes(), &ans)
		if ans.NearestStation == nil {
			t.Error("a point in the city has no nearest station")
		}
	})
}
