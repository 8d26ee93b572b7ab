package server

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The GeoReport v2 fields of a service request, as the spec lists them.
var open311RequestFields = []string{"service_request_id", "status", "status_notes", "service_name", "service_code",
	"description", "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
	"expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}

var open311ServiceFields = []string{"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}

// A GeoReport v2 client's session against a real HTTP server: discovery,
// services in JSON and XML, a form-encoded POST with api_key, the request
// back by id, by token and in lists, and the error shapes.
func TestOpen311Client(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	ts := httptest.NewServer(env.s)
	defer ts.Close()
	base := ts.URL + "/open311/v2"
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	post := func(form url.Values) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.PostForm(base+"/requests.json", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	// discovery
	resp, body := get("/discovery.json")
	var disc struct {
		Endpoints []struct {
			Specification, URL string
			Formats            []string
		}
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &disc) != nil || len(disc.Endpoints) != 1 ||
		disc.Endpoints[0].Specification != "http://wiki.open311.org/GeoReport_v2" || disc.Endpoints[0].URL != base {
		t.Fatalf("discovery: %d %s", resp.StatusCode, body)
	}
	if resp, body := get("/discovery.xml"); !strings.HasPrefix(string(body), xml.Header) || !strings.Contains(string(body), "<discovery>") ||
		!strings.Contains(resp.Header.Get("Content-Type"), "text/xml") {
		t.Errorf("discovery.xml: %s", body)
	}
	// services: JSON array of objects with every field; XML <services><service>
	_, body = get("/services.json")
	var services []map[string]any
	if err := json.Unmarshal(body, &services); err != nil || len(services) < 10 {
		t.Fatalf("services.json: %v %s", err, body)
	}
	for _, f := range open311ServiceFields {
		if _, ok := services[0][f]; !ok {
			t.Errorf("service lacks %s", f)
		}
	}
	_, body = get("/services.xml")
	var sx struct {
		XMLName  xml.Name `xml:"services"`
		Services []struct {
			Code  string `xml:"service_code"`
			Name  string `xml:"service_name"`
			Type  string `xml:"type"`
			Group string `xml:"group"`
		} `xml:"service"`
	}
	if err := xml.Unmarshal(body, &sx); err != nil || len(sx.Services) != len(services) || sx.Services[0].Type != "realtime" {
		t.Errorf("services.xml: %v %s", err, body)
	}
	if resp, body := get("/services/safety.fire.json"); resp.StatusCode != 200 || !strings.Contains(string(body), `"service_code":"safety.fire"`) {
		t.Errorf("service definition: %d %s", resp.StatusCode, body)
	}
	if resp, body := get("/services/safety.fire.xml"); resp.StatusCode != 200 || !strings.Contains(string(body), "<service_definition><service_code>safety.fire</service_code>") {
		t.Errorf("service definition xml: %d %s", resp.StatusCode, body)
	}
	// POST a request the way a client does
	_, p := buildingInGrid(t, 1234)
	form := url.Values{
		"api_key": {env.tokens[RoleDispatcher]}, "service_code": {"property.sanitation"},
		"lat": {fmt.Sprint(p[1])}, "long": {fmt.Sprint(p[0])}, "description": {"垃圾三天没清运"},
		"first_name": {"小明"}, "last_name": {"王"}, "phone": {"13812345678"}, "email": {"x@example.com"},
		"attribute[colour]": {"green"},
	}
	resp, body = post(form)
	var created []struct {
		ID      string  `json:"service_request_id"`
		Notice  string  `json:"service_notice"`
		Account *string `json:"account_id"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(body, &created) != nil || len(created) != 1 || created[0].ID == "" {
		t.Fatalf("POST requests: %d %s", resp.StatusCode, body)
	}
	id := created[0].ID
	// back by id, JSON: every spec field is there; status open; no phone
	resp, body = get("/requests/" + id + ".json")
	var reqs []map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(body, &reqs) != nil || len(reqs) != 1 {
		t.Fatalf("GET request: %d %s", resp.StatusCode, body)
	}
	for _, f := range open311RequestFields {
		if _, ok := reqs[0][f]; !ok {
			t.Errorf("request lacks %s", f)
		}
	}
	if reqs[0]["status"] != "open" || reqs[0]["service_code"] != "property.sanitation" || reqs[0]["lat"].(float64) != p[1] ||
		strings.Contains(string(body), "13812345678") || strings.Contains(string(body), "王小明") {
		t.Errorf("request: %s", body)
	}
	if _, err := time.Parse(time.RFC3339, reqs[0]["requested_datetime"].(string)); err != nil || !strings.HasSuffix(reqs[0]["requested_datetime"].(string), "+08:00") {
		t.Errorf("requested_datetime %v", reqs[0]["requested_datetime"])
	}
	// XML of the same
	_, body = get("/requests/" + id + ".xml")
	var rx struct {
		XMLName  xml.Name `xml:"service_requests"`
		Requests []struct {
			ID     string  `xml:"service_request_id"`
			Status string  `xml:"status"`
			Lat    float64 `xml:"lat"`
			Long   float64 `xml:"long"`
		} `xml:"request"`
	}
	if err := xml.Unmarshal(body, &rx); err != nil || len(rx.Requests) != 1 || rx.Requests[0].ID != id || rx.Requests[0].Long != p[0] {
		t.Errorf("request xml: %v %s", err, body)
	}
	for _, f := range open311RequestFields {
		if !strings.Contains(string(body), "<"+f+">") && !strings.Contains(string(body), "<"+f+"/>") && !strings.Contains(string(body), "<"+f+"></"+f+">") {
			t.Errorf("request xml lacks <%s>", f)
		}
	}
	if _, body := get("/tokens/" + id + ".json"); !strings.Contains(string(body), `"service_request_id":"`+id+`"`) {
		t.Errorf("token: %s", body)
	}
	// a second request, closed through the incidents API
	form.Set("service_code", "traffic.order")
	_, body = post(form)
	json.Unmarshal(body, &created)
	id2 := created[0].ID
	for _, to := range []string{"accepted", "resolved"} {
		w := do(t, env.s, "POST", "/api/v1/incidents/"+id2+"/transitions", "application/json", `{"to":"`+to+`"}`, env.auth(RoleDispatcher)...)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", to, w.Code, w.Body)
		}
	}
	list := func(q string) []map[string]any {
		t.Helper()
		resp, body := get("/requests.json?" + q)
		if resp.StatusCode != 200 {
			t.Fatalf("requests %s: %d %s", q, resp.StatusCode, body)
		}
		var l []map[string]any
		json.Unmarshal(body, &l)
		return l
	}
	ids := func(l []map[string]any) []string {
		var out []string
		for _, r := range l {
			out = append(out, r["service_request_id"].(string))
		}
		slices.Sort(out)
		return out
	}
	day := env.clock.Now()
	for q, want := range map[string][]string{
		"":                                   {id, id2},
		"status=open":                        {id},
		"status=closed":                      {id2},
		"service_code=traffic.order":         {id2},
		"service_request_id=" + id + ",nope": {id},
		"start_date=" + url.QueryEscape(day.Add(-time.Hour).Format(time.RFC3339)) + "&end_date=" + url.QueryEscape(day.Add(time.Hour).Format(time.RFC3339)): {id, id2},
		"start_date=" + url.QueryEscape(day.Add(time.Hour).Format(time.RFC3339)):                                                                            nil,
		"end_date=" + url.QueryEscape(day.Add(-time.Hour).Format(time.RFC3339)):                                                                             nil,
	} {
		if got := ids(list(q)); !slices.Equal(got, want) {
			t.Errorf("requests?%s: %v, want %v", q, got, want)
		}
	}
	_, body = get("/requests.xml?status=closed")
	if !strings.Contains(string(body), "<service_requests><request><service_request_id>"+id2) {
		t.Errorf("requests.xml: %s", body)
	}
	// errors: a list of {code, description}, in the format asked for
	errCase := func(name string, resp *http.Response, body []byte, code int) {
		t.Helper()
		var errs []struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}
		if resp.StatusCode != code || json.Unmarshal(body, &errs) != nil || len(errs) != 1 || errs[0].Code != code || errs[0].Description == "" {
			t.Errorf("%s: %d %s, want %d as [{code, description}]", name, resp.StatusCode, body, code)
		}
	}
	noKey := url.Values{"service_code": {"safety.fire"}, "lat": {"34.8"}, "long": {"117.5"}}
	resp, body = post(noKey)
	errCase("no api_key", resp, body, 401)
	noKey.Set("api_key", "gm_wrong")
	resp, body = post(noKey)
	errCase("bad api_key", resp, body, 403)
	noKey.Set("api_key", env.tokens[RoleViewer])
	resp, body = post(noKey)
	errCase("viewer api_key", resp, body, 403)
	k := env.tokens[RoleDispatcher]
	resp, body = post(url.Values{"api_key": {k}, "lat": {"34.8"}, "long": {"117.5"}})
	errCase("no service_code", resp, body, 400)
	resp, body = post(url.Values{"api_key": {k}, "service_code": {"nope"}, "lat": {"34.8"}, "long": {"117.5"}})
	errCase("unknown service_code", resp, body, 404)
	resp, body = post(url.Values{"api_key": {k}, "service_code": {"safety.fire"}})
	errCase("no location", resp, body, 400)
	resp, body = post(url.Values{"api_key": {k}, "service_code": {"safety.fire"}, "lat": {"20"}, "long": {"100"}})
	errCase("outside the city", resp, body, 400)
	resp, body = get("/requests/GM-nope.json")
	errCase("unknown request", resp, body, 404)
	resp, body = get("/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")
	errCase("window over 90 days", resp, body, 400)
	resp, body = get("/requests.json?status=pending")
	errCase("bad status", resp, body, 400)
	resp, body = get("/services/nope.json")
	errCase("unknown service", resp, body, 404)
	resp, body = get("/nothing.json")
	errCase("unknown resource", resp, body, 404)
	_, body = get("/requests/GM-nope.xml")
	var ex struct {
		XMLName xml.Name `xml:"errors"`
		Errors  []struct {
			Code        int    `xml:"code"`
			Description string `xml:"description"`
		} `xml:"error"`
	}
	if err := xml.Unmarshal(body, &ex); err != nil || len(ex.Errors) != 1 || ex.Errors[0].Code != 404 {
		t.Errorf("xml error: %v %s", err, body)
	}
}
