package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
)

// The places, volunteers and stations routes in the route × role table
// and the personal-data scanner (routes_test.go): example requests, and
// records seeded with the personal data the scanner looks for.

// placesFixture are the places records the examples use.
type placesFixture struct {
	compound string // holds the seeded owners' committee
	company  data.PropertyCompany
	station  string // a built station (the fixture grid's, if it has one) with the seeded service log
	rated    string // a built station with stars in force
	stars    int
	target   string // the seeded service target, in the fixture's grid
	building string
	log      string // the seeded service log
	csv      string // one company's row, with the export's headers
}

// placesSecrets are the personal data seeded into the places records:
// the volunteer team's and owners' committee's contacts (masked for
// viewers and anonymous callers) and a service target's particulars (for
// the organiser and admin only), phones in several forms and an ID number.
var (
	placesContacts = []string{"钱有为", "孙立新", "周海燕", "诸葛慧敏", "+86 139 2468 1357", "139-1357-2468", "13724681357", "137 2222 6666"}
	targetSecrets  = []string{"欧阳秀英", "司马建军", "+86 138 2222 4444", "13822224444", "13900005555", "370402193801011237"}
)

func init() {
	v1 := "/api/v1"
	for k, f := range map[string]func(fx *routeFixture, who string) exampleReq{
		"GET /api/v1/property/rates":       get(v1 + "/property/rates?level=city"),
		"GET /api/v1/property/rates/trend": get(v1 + "/property/rates/trend?level=city&every=year"),
		"GET /api/v1/property/ranking":     get(v1 + "/property/ranking?level=district&measure=complaints&limit=10000"),
		"GET /api/v1/property/map":         get(v1 + "/property/map?level=district&measure=committee"),
		"GET /api/v1/property/compounds":   get(v1 + "/property/compounds?limit=10000&committee=true"),
		"GET /api/v1/property/compounds/{code}": func(fx *routeFixture, _ string) exampleReq {
			return exampleReq{path: v1 + "/property/compounds/" + fx.places.compound}
		},
		"PUT /api/v1/property/compounds/{code}/records/{from}": func(fx *routeFixture, _ string) exampleReq {
			return jsonReq(v1+"/property/compounds/"+fx.places.compound+"/records/2026-11-02", committeeRecord)
		},
		"DELETE /api/v1/property/compounds/{code}/records/{from}": func(fx *routeFixture, who string) exampleReq {
			path := v1 + "/property/compounds/" + fx.places.compound + "/records/2026-10-05"
			fx.placesFresh(who, http.MethodPut, path, `{"status":"self"}`)
			return exampleReq{path: path}
		},
		"GET /api/v1/property/companies": get(v1 + "/property/companies?limit=10000"),
		"GET /api/v1/property/companies/{code}": func(fx *routeFixture, _ string) exampleReq {
			return exampleReq{path: v1 + "/property/companies/" + fx.places.company.Code}
		},
		"PUT /api/v1/property/companies/{code}": func(fx *routeFixture, _ string) exampleReq {
			co := fx.places.company
			return jsonReq(v1+"/property/companies/"+co.Code, fmt.Sprintf(`{"name":%q,"credit_code":%q,"district_code":%q,"hotline":"0632-3310000"}`, co.Name, co.CreditCode, co.DistrictCode))
		},
		"PUT /api/v1/property/companies/{code}/records/{from}": func(fx *routeFixture, _ string) exampleReq {
			return jsonReq(v1+"/property/companies/"+fx.places.company.Code+"/records/2026-11-03", `{"party_org":"joint","party_org_name":"联合党支部","party_members":3}`)
		},
		"DELETE /api/v1/property/companies/{code}/records/{from}": func(fx *routeFixture, who string) exampleReq {
			path := v1 + "/property/companies/" + fx.places.company.Code + "/records/2026-10-06"
			fx.placesFresh(who, http.MethodPut, path, `{"party_org":"none"}`)
			return exampleReq{path: path}
		},
		"GET /api/v1/property/complaints":  get(v1 + "/property/complaints?level=compound&limit=10000"),
		"GET /api/v1/property/evaluations": get(v1 + "/property/evaluations?limit=10000"),
		"PUT /api/v1/property/evaluations/{year}/{kind}/{subject}": func(fx *routeFixture, _ string) exampleReq {
			return jsonReq(v1+"/property/evaluations/2025/company/"+fx.places.company.Code, `{"score":81,"note":"年度评价"}`)
		},
		"DELETE /api/v1/property/evaluations/{year}/{kind}/{subject}": func(fx *routeFixture, who string) exampleReq {
			path := v1 + "/property/evaluations/2021/company/" + fx.places.company.Code
			fx.placesFresh(who, http.MethodPut, path, `{"score":70}`)
			return exampleReq{path: path}
		},

		"GET /api/v1/volunteers/teams": get(v1 + "/volunteers/teams?limit=10000"),
		"GET /api/v1/volunteers/teams/{grid}": func(fx *routeFixture, _ string) exampleReq {
			return exampleReq{path: v1 + "/volunteers/teams/" + fx.grid}
		},
		"PUT /api/v1/volunteers/teams/{grid}": func(fx *routeFixture, _ string) exampleReq {
			return jsonReq(v1+"/volunteers/teams/"+fx.grid, seededTeam)
		},
		"GET /api/v1/volunteers/coverage": get(v1 + "/volunteers/coverage?level=grid"),
		"GET /api/v1/volunteers/targets":  get(v1 + "/volunteers/targets?limit=10000&all=true"),
		"GET /api/v1/volunteers/targets/{id}": func(fx *routeFixture, _ string) exampleReq {
			return exampleReq{path: v1 + "/volunteers/targets/" + fx.places.target}
		},
		"PUT /api/v1/volunteers/targets/{id}": func(fx *routeFixture, _ string) exampleReq {
			return jsonReq(v1+"/volunteers/targets/"+fx.places.target, fx.targetBody())
		},
		"GET /api/v1/volunteers/overdue": get(v1 + "/volunteers/overdue?limit=10000"),
		"GET /api/v1/volunteers/logs":    get(v1 + "/volunteers/logs?limit=10000"),
		"POST /api/v1/volunteers/logs": func(fx *routeFixture, _ string) exampleReq {
			return jsonReq(v1+"/volunteers/logs", fx.logBody())
		},
		"DELETE /api/v1/volunteers/logs/{id}": func(fx *routeFixture, who string) exampleReq {
			id := "L1"
			if fx.placesWriter(who) {
				id = fx.freshLog()
			}
			return exampleReq{path: v1 + "/volunteers/logs/" + id}
		},
		"GET /api/v1/volunteers/intervals": get(v1 + "/volunteers/intervals"),
		"PUT /api/v1/volunteers/intervals": func(*routeFixture, string) exampleReq {
			return jsonReq(v1+"/volunteers/intervals", mustJSON(places.DefaultIntervals))
		},
		"GET /api/v1/volunteers/items": get(v1 + "/volunteers/items"),

		"GET /api/v1/stations":          get(v1 + "/stations?limit=10000"),
		"GET /api/v1/stations/criteria": get(v1 + "/stations/criteria"),
		"GET /api/v1/stations/coverage": get(v1 + "/stations/coverage"),
		"POST /api/v1/stations/reassess": func(*routeFixture, string) exampleReq {
			return exampleReq{path: v1 + "/stations/reassess"}
		},
		"GET /api/v1/stations/{code}": func(fx *routeFixture, _ string) exampleReq {
			return exampleReq{path: v1 + "/stations/" + fx.places.station}
		},
		"PUT /api/v1/stations/{code}/records/{from}": func(fx *routeFixture, _ string) exampleReq {
			return jsonReq(v1+"/stations/"+fx.places.station+"/records/2026-11-04", fx.stationRecord())
		},
		"DELETE /api/v1/stations/{code}/records/{from}": func(fx *routeFixture, who string) exampleReq {
			path := v1 + "/stations/" + fx.places.station + "/records/2026-11-05"
			fx.placesFresh(who, http.MethodPut, path, fx.stationRecord())
			return exampleReq{path: path}
		},
		"POST /api/v1/stations/{code}/ratings": func(fx *routeFixture, _ string) exampleReq {
			return jsonReq(v1+"/stations/"+fx.places.rated+"/ratings",
				fmt.Sprintf(`{"stars":%d,"criteria":%s,"note":"年度复核"}`, fx.places.stars, mustJSON(places.InspectionCriteria())))
		},
		"POST /api/v1/places/changes": func(*routeFixture, string) exampleReq {
			return jsonReq(v1+"/places/changes", fmt.Sprintf(`{"intervals":%s}`, mustJSON(places.DefaultIntervals)))
		},
		"GET /api/v1/places/export/{sheet}": get(v1 + "/places/export/targets?format=csv"),
		"POST /api/v1/places/import/{sheet}": func(fx *routeFixture, _ string) exampleReq {
			return exampleReq{path: v1 + "/places/import/companies", ctype: "text/csv", body: fx.places.csv}
		},
	} {
		if routeExamples[k] != nil {
			panic("two examples for " + k)
		}
		routeExamples[k] = f
	}
}

// committeeRecord is an owners' committee of five with three party
// members, their names and phones personal data.
const committeeRecord = `{"status":"self","committee":true,"members":[
	{"name":"诸葛慧敏","role":"主任","phone":"137 2222 6666","party_member":true},
	{"name":"吴一","role":"副主任","party_member":true},{"name":"郑二","role":"委员","party_member":true},
	{"name":"王三","role":"委员"},{"name":"冯四","role":"委员"}],"note":"业委会换届"}`

// seededTeam is the fixture grid's volunteer team.
const seededTeam = `{"name":"党员志愿服务队","leader":"钱有为","leader_phone":"+86 139 2468 1357","founded":"2021-05-01",
	"members":[{"name":"钱有为","phone":"+86 139 2468 1357","party_member":true},{"name":"孙立新","phone":"139-1357-2468","party_member":true},{"name":"周海燕","phone":"13724681357"}]}`

func (fx *routeFixture) targetBody() string {
	return fmt.Sprintf(`{"kind":"lonely_elderly","name":"欧阳秀英","gender":"女","birth_year":1938,"phone":"+86 138 2222 4444",
		"guardian":"司马建军","building_code":%q,"room":"2单元301","items":["care","companion"],"since":"2026-01-01",
		"note":"身份证370402193801011237，女儿司马建军电话13900005555"}`, fx.places.building)
}

// logBody is a service to the seeded target at the fixture's station; its
// note names her.
func (fx *routeFixture) logBody() string { return fx.logBodyWith("") }

func (fx *routeFixture) logBodyWith(id string) string {
	at := time.Now().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	return fmt.Sprintf(`{"id":%q,"grid_code":%q,"target_id":%q,"station_code":%q,"item":"care","at":%q,"minutes":45,
		"volunteers":["孙立新","周海燕"],"note":"为欧阳秀英送餐，回电13822224444"}`, id, fx.grid, fx.places.target, fx.places.station, at)
}

// stationRecord is the fixture station's record in force, again.
func (fx *routeFixture) stationRecord() string {
	st := fx.s.Current().Ext("places").(*placesState)
	rec, _ := st.stations.At(fx.places.station, places.Day(time.Now()))
	return fmt.Sprintf(`{"status":%q,"hours":%q,"functions":%s,"area_m2":%d}`, rec.Status, rec.Hours, mustJSON(rec.Functions), rec.AreaM2)
}

// placesWriter reports whether who may write the places records.
func (fx *routeFixture) placesWriter(who string) bool { return slices.Contains(placesRoles, who) }

// placesFresh makes, as the organiser, the record an example for who then
// deletes (for callers who may not delete, the guard refuses first).
func (fx *routeFixture) placesFresh(who, method, path, body string) {
	fx.t.Helper()
	if !fx.placesWriter(who) {
		return
	}
	if code, out := fx.call(RoleOrganiser, method, jsonReq(path, body)); code >= 300 {
		fx.t.Fatalf("%s %s: %d %s", method, path, code, out)
	}
}

// freshLog records a service and returns its id.
func (fx *routeFixture) freshLog() string {
	fx.t.Helper()
	id := nextLogID(fx.s.Current().City.Places.Logs)
	fx.placesFresh(RoleOrganiser, http.MethodPost, "/api/v1/volunteers/logs", fx.logBodyWith(id))
	return id
}

// seedPlaces writes the places records carrying personal data and picks
// the records the examples use.
func (fx *routeFixture) seedPlaces() {
	fx.t.Helper()
	c := fx.s.Current().City
	b := c.Buildings[300]
	fx.places.building, fx.places.compound = b.Code, b.CompoundCode
	fx.places.company = c.Places.Companies[0]
	st := fx.s.Current().Ext("places").(*placesState)
	today := places.Day(time.Now())
	for i := range c.Stations {
		x := &c.Stations[i]
		rec, ok := st.stations.At(x.Code, today)
		if !ok || rec.Status != data.StationBuilt {
			continue
		}
		if fx.places.station == "" || x.GridCode == fx.grid {
			fx.places.station = x.Code
		}
		if fx.places.rated == "" && x.Stars > 0 {
			fx.places.rated, fx.places.stars = x.Code, x.Stars
		}
	}
	if fx.places.station == "" || fx.places.rated == "" {
		fx.t.Fatal("no built station, or none rated")
	}
	ids := map[string]bool{}
	for _, t := range c.Places.Targets {
		ids[t.ID] = true
	}
	for n := 990001; fx.places.target == "" || ids[fx.places.target]; n++ {
		fx.places.target = fmt.Sprintf("T%d", n)
	}
	for _, w := range []struct{ method, path, body string }{
		{http.MethodPut, "/api/v1/volunteers/teams/" + fx.grid, seededTeam},
		{http.MethodPut, "/api/v1/volunteers/targets/" + fx.places.target, fx.targetBody()},
		{http.MethodPost, "/api/v1/volunteers/logs", fx.logBody()},
		{http.MethodPut, "/api/v1/property/compounds/" + fx.places.compound + "/records/2026-11-02", committeeRecord},
	} {
		fx.placesFresh(RoleOrganiser, w.method, w.path, w.body)
	}
	_, csv := fx.call(RoleAdmin, http.MethodGet, exampleReq{path: "/api/v1/places/export/companies?format=csv"})
	lines := strings.SplitN(string(csv), "\n", 3)
	if len(lines) < 3 {
		fx.t.Fatalf("companies export: %q", csv)
	}
	fx.places.csv = lines[0] + "\n" + lines[1] + "\n"
}

// checkPlacesSeeds: the seeded records are there for the roles that may
// see them, as written, so that the scanner finding none of them
// elsewhere means something.
func checkPlacesSeeds(t *testing.T, fx *routeFixture) {
	t.Helper()
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/api/v1/volunteers/targets/" + fx.places.target, targetSecrets},
		{"/api/v1/volunteers/teams/" + fx.grid, []string{"钱有为", "孙立新", "周海燕", "+86 139 2468 1357", "139-1357-2468", "13724681357"}},
		{"/api/v1/property/compounds/" + fx.places.compound, []string{"诸葛慧敏", "137 2222 6666"}},
	} {
		code, body := fx.call(RoleOrganiser, http.MethodGet, exampleReq{path: tc.path})
		for _, v := range tc.want {
			if code != 200 || !strings.Contains(string(body), v) {
				t.Errorf("%s as organiser: %d, no %q: %.300s", tc.path, code, v, body)
			}
		}
	}
	// A viewer sees the team's contacts masked by the policy.
	_, body := fx.call(RoleViewer, http.MethodGet, exampleReq{path: "/api/v1/volunteers/teams/" + fx.grid})
	var team teamJSON
	if err := json.Unmarshal(body, &team); err != nil || team.Leader != "钱**" || team.LeaderPhone != "139****1357" {
		t.Errorf("the team as a viewer: %s", body)
	}
	// The station's activities keep the service, not whom it was for.
	_, body = fx.call("", http.MethodGet, exampleReq{path: "/api/v1/stations/" + fx.places.station})
	var st struct{ Activities []logJSON }
	json.Unmarshal(body, &st)
	found := false
	for _, l := range st.Activities {
		found = found || l.Item == data.ItemCare && l.Minutes == 45 && l.TargetID == "" && l.Note == ""
	}
	if !found {
		t.Errorf("the seeded service is not among the station's activities without its target and note: %.500s", body)
	}
}

// TestPlacesParams: the places routes' query parameters are checked by the
// route guard as declared (a 400 naming the parameter), their defaults
// apply, and area parameters narrow together.
func TestPlacesParams(t *testing.T) {
	s := testServer(t, Config{})
	c := s.Current().City
	var st *data.Station
	for i := range c.Stations {
		if c.Stations[i].Kind == data.StationGrid {
			st = &c.Stations[i]
			break
		}
	}
	var otherGrid string
	for _, g := range c.Grids {
		if g.CommunityCode != st.CommunityCode {
			otherGrid = g.Code
			break
		}
	}
	for _, tc := range []struct {
		url  string
		want int
		says string
	}{
		{"/api/v1/property/rates?level=town", 400, "query parameter level"},
		{"/api/v1/property/rates?day=2026-13-01", 400, "query parameter day"},
		{"/api/v1/property/rates?day=2026-1-1", 400, "query parameter day"},
		{"/api/v1/property/rates?day=1900-01-01", 400, "years 1949..2200"},
		{"/api/v1/property/rates?base=2020-02-30", 400, "query parameter base"},
		{"/api/v1/property/rates/trend?every=week", 400, "query parameter every"},
		{"/api/v1/property/rates/trend?level=district", 400, "query parameter code"},
		{"/api/v1/property/rates/trend?from=2026-01-01&to=2025-01-01", 400, "before from"},
		{"/api/v1/property/compounds?committee=yes", 400, "query parameter committee"},
		{"/api/v1/property/compounds?limit=0", 400, "query parameter limit"},
		{"/api/v1/property/compounds?limit=10001", 400, "query parameter limit"},
		{"/api/v1/property/compounds?offset=-1", 400, "query parameter offset"},
		{"/api/v1/property/complaints?months=61", 400, "query parameter months"},
		{"/api/v1/property/complaints?level=planet", 400, "query parameter level"},
		{"/api/v1/property/evaluations?year=1_999", 400, "query parameter year"},
		{"/api/v1/stations?stars=6", 400, "query parameter stars"},
		{"/api/v1/stations?stars=0x1", 400, "query parameter stars"},
		{"/api/v1/stations?lapsed=1", 400, "query parameter lapsed"},
		{"/api/v1/stations?grid=" + strings.Repeat("3", 40), 400, "query parameter grid"},
		{"/api/v1/stations?day=2026-11-30;x", 400, `query parameter \"day\"`},
		{"/api/v1/volunteers/teams?foo=1", 400, "unknown query parameter"},
		{"/api/v1/volunteers/coverage?level=planet", 400, "query parameter level"},
		{"/api/v1/volunteers/coverage?level=grid&level=city", 400, "more than once"},
		{"/api/v1/property/compounds/" + c.Compounds[0].Code + "?day=yesterday", 400, "query parameter day"},
		{"/api/v1/stations/" + st.Code + "?limit=1", 400, "unknown query parameter"},
		{"/api/v1/volunteers/items", 200, "items"},
	} {
		w := do(t, s, "GET", tc.url, "", "")
		if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.says) {
			t.Errorf("GET %s: %d %.200s, want %d saying %q", tc.url, w.Code, w.Body, tc.want, tc.says)
		}
	}
	// Defaults: the community level against 2020-01-01; a city trend by quarter.
	var rates struct{ Level, Base string }
	json.Unmarshal(do(t, s, "GET", "/api/v1/property/rates", "", "").Body.Bytes(), &rates)
	if rates.Level != places.LevelCommunity || rates.Base != defaultRatesBase {
		t.Errorf("rates defaults: %+v", rates)
	}
	var trend struct {
		Level  string
		Points []ratePoint
	}
	json.Unmarshal(do(t, s, "GET", "/api/v1/property/rates/trend?from=2025-01-01&to=2025-12-31", "", "").Body.Bytes(), &trend)
	if trend.Level != places.LevelCity || len(trend.Points) != 5 || trend.Points[1].Day != "2025-04-01" || trend.Points[4].Day != "2025-12-31" {
		t.Errorf("trend defaults: %s, %+v", trend.Level, trend.Points)
	}
	// Area parameters narrow together: a community and a grid of another
	// community hold nothing.
	count := func(url string) int {
		var out struct{ Total int }
		w := do(t, s, "GET", url, "", "")
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &out) != nil {
			t.Fatalf("GET %s: %d %.200s", url, w.Code, w.Body)
		}
		return out.Total
	}
	if n := count("/api/v1/stations?community=" + st.CommunityCode); n == 0 {
		t.Errorf("no station in community %s", st.CommunityCode)
	}
	if n := count("/api/v1/stations?community=" + st.CommunityCode + "&grid=" + st.GridCode); n == 0 {
		t.Errorf("no station in community %s and grid %s", st.CommunityCode, st.GridCode)
	}
	if n := count("/api/v1/stations?community=" + st.CommunityCode + "&grid=" + otherGrid); n != 0 {
		t.Errorf("%d stations in community %s and grid %s of another community", n, st.CommunityCode, otherGrid)
	}
}

// TestOpenAPIPlacesSchemas: the places routes are in /api with their
// roles, typed parameters, request bodies and answers, the personal
// fields marked with how the masking policy shows them.
func TestOpenAPIPlacesSchemas(t *testing.T) {
	s := testServer(t, Config{})
	var doc struct {
		Paths map[string]map[string]struct {
			Roles      []string `json:"x-roles"`
			Parameters []struct {
				Name   string
				In     string
				Schema map[string]any
			}
			RequestBody struct {
				Content map[string]struct{ Schema map[string]any }
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct{ Schema map[string]any }
			}
		}
	}
	if err := json.Unmarshal(do(t, s, "GET", "/api", "", "", "Accept", "application/json").Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	prop := func(sch map[string]any, path ...string) map[string]any {
		for _, p := range path {
			if p == "[]" {
				sch, _ = sch["items"].(map[string]any)
			} else {
				props, _ := sch["properties"].(map[string]any)
				sch, _ = props[p].(map[string]any)
			}
		}
		return sch
	}
	put := doc.Paths["/api/v1/volunteers/targets/{id}"]["put"]
	body := put.RequestBody.Content["application/json"].Schema
	if !slices.Equal(put.Roles, placesRoles) || prop(body, "name")["x-privacy"] != "name" || prop(body, "phone")["type"] != "string" ||
		prop(body, "birth_year")["type"] != "integer" || prop(body, "items")["type"] != "array" {
		t.Errorf("PUT target: roles %v, body %v", put.Roles, body)
	}
	list := doc.Paths["/api/v1/volunteers/targets"]["get"]
	ans := list.Responses["200"].Content["application/json"].Schema
	if prop(ans, "targets", "[]", "phone")["x-privacy"] != "phone" || prop(ans, "targets", "[]", "address")["x-privacy"] != "personal" ||
		prop(ans, "total")["type"] != "integer" {
		t.Errorf("GET targets answer: %v", ans)
	}
	teams := doc.Paths["/api/v1/volunteers/teams"]["get"]
	if !slices.Contains(teams.Roles, "anonymous") ||
		prop(teams.Responses["200"].Content["application/json"].Schema, "teams", "[]", "leader_phone")["x-privacy"] != "phone" {
		t.Errorf("GET teams: %v %v", teams.Roles, teams.Responses["200"])
	}
	params := map[string]map[string]any{}
	for _, p := range doc.Paths["/api/v1/stations"]["get"].Parameters {
		params[p.Name] = p.Schema
	}
	if params["day"]["format"] != "date" || params["stars"]["maximum"] != 5.0 || params["lapsed"]["type"] != "boolean" ||
		params["limit"]["maximum"] != 10000.0 || params["grid"]["maxLength"] != 32.0 {
		t.Errorf("GET stations parameters: %v", params)
	}
	if m := doc.Paths["/api/v1/property/map"]["get"].Responses["200"].Content; m["application/geo+json"].Schema == nil {
		t.Errorf("the property map answer: %v", m)
	}
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/api/v1/property") && !strings.HasPrefix(path, "/api/v1/volunteers") &&
			!strings.HasPrefix(path, "/api/v1/stations") && !strings.HasPrefix(path, "/api/v1/places") {
			continue
		}
		for m, op := range ops {
			ok := op.Responses["200"]
			if ok.Content == nil {
				ok = op.Responses["201"]
			}
			for media, c := range ok.Content {
				if len(c.Schema) == 0 || media == mediaJSON && c.Schema["properties"] == nil && c.Schema["$ref"] == nil {
					t.Errorf("%s %s: the %s answer is not described: %v", m, path, media, c.Schema)
				}
			}
			if m == "put" || m == "post" && path != "/api/v1/stations/reassess" {
				for media, c := range op.RequestBody.Content {
					if media == mediaJSON && c.Schema["properties"] == nil && c.Schema["additionalProperties"] == nil {
						t.Errorf("%s %s: the body is not described: %v", m, path, c.Schema)
					}
				}
			}
		}
	}
}
