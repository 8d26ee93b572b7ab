package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The tests here walk the route registry, so a new route cannot be
// missed: each needs an example request in routeExamples, the table of
// every route × anonymous × each role of Roles checks its status, and the
// personal-data scanner reads every GET route as anonymous and as viewer.

// exampleReq is a request to one route for one caller.
type exampleReq struct {
	path, ctype, body string
	header            http.Header
	form              url.Values // Open311 POST: the api_key is added per caller
}

// routeExamples holds a valid request for every route of the registry,
// keyed by "METHOD template". Calls that change state get fresh targets.
var routeExamples = map[string]func(fx *routeFixture, who string) exampleReq{
	"GET /healthz":       get("/healthz"),
	"GET /readyz":        get("/readyz"),
	"GET /metrics":       get("/metrics"),
	"GET /api/v1/layers": get("/api/v1/layers"),
	"GET /api/v1/layers/{layer}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/layers/incidents"}
	},
	"GET /api/v1/locate": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", fx.point[0], fx.point[1])}
	},
	"POST /api/v1/locate": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/locate", ctype: "text/csv", body: fmt.Sprintf("id,lon,lat\na,%v,%v\nb,0,0\n", fx.point[0], fx.point[1])}
	},
	"POST /api/v1/incidents": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/incidents", ctype: "application/json", body: fx.incidentBody("property.parking", personalTexts[0])}
	},
	"GET /api/v1/incidents": get("/api/v1/incidents?limit=1000"),
	"GET /api/v1/incidents/{id}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/incidents/" + fx.incidents[0]}
	},
	"POST /api/v1/incidents/{id}/transitions": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/incidents/" + fx.freshIncident() + "/transitions", ctype: "application/json", body: `{"to":"accepted","note":"已受理"}`}
	},
	"GET /api/v1/events": get("/api/v1/events?last_event_id=0"),
	"GET /api/v1/rules":  get("/api/v1/rules"),
	"PUT /api/v1/rules": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/rules", ctype: "application/json", body: fx.rules}
	},
	"GET /api/v1/audit":  get("/api/v1/audit"),
	"GET /api/v1/tokens": get("/api/v1/tokens"),
	"POST /api/v1/tokens": func(*routeFixture, string) exampleReq {
		return exampleReq{path: "/api/v1/tokens", ctype: "application/json", body: `{"name":"wall-2","role":"viewer"}`}
	},
	"DELETE /api/v1/tokens/{id}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/tokens/" + fx.freshToken()}
	},
	"GET /api/v1/whoami":              get("/api/v1/whoami"),
	"GET /api/v1/coverage":            get("/api/v1/coverage?level=street"),
	"GET /api/v1/coverage/catchments": get("/api/v1/coverage/catchments"),
	"GET /api/v1/coverage/uncovered":  get("/api/v1/coverage/uncovered"),
	"POST /api/v1/coverage/siting": func(*routeFixture, string) exampleReq {
		return exampleReq{path: "/api/v1/coverage/siting", ctype: "application/json", body: `{"k":3,"candidates":"planned"}`}
	},
	"GET /api/v1/geocode":         get("/api/v1/geocode?q=" + url.QueryEscape("光明路街道")),
	"GET /api/v1/geocode/suggest": get("/api/v1/geocode/suggest?q=" + url.QueryEscape("光明")),
	"GET /api/v1/reverse": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: fmt.Sprintf("/api/v1/reverse?lon=%v&lat=%v", fx.point[0], fx.point[1])}
	},
	"GET /api/v1/stats":         get("/api/v1/stats"),
	"GET /api/v1/stats/grids":   get("/api/v1/stats/grids"),
	"GET /api/v1/plan/measures": get("/api/v1/plan/measures?level=community"),
	"GET /api/v1/plan/versions": get("/api/v1/plan/versions"),
	"GET /api/v1/plan/grids":    get("/api/v1/plan/grids"),
	"GET /api/v1/plan/diff": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: fmt.Sprintf("/api/v1/plan/diff?from=%d", fx.version)}
	},
	"GET /api/v1/plans": get("/api/v1/plans"),
	"POST /api/v1/plans": func(*routeFixture, string) exampleReq {
		return exampleReq{path: "/api/v1/plans", ctype: "application/json", body: `{"name":"table"}`}
	},
	"GET /api/v1/plans/{id}": func(fx *routeFixture, _ string) exampleReq { return exampleReq{path: "/api/v1/plans/" + fx.plan} },
	"POST /api/v1/plans/{id}/edits": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/plans/" + fx.freshPlan() + "/edits", ctype: "application/json", body: fx.mergeEdit}
	},
	"POST /api/v1/plans/{id}/propose": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/plans/" + fx.freshPlan() + "/propose", ctype: "application/json",
			body: fmt.Sprintf(`{"communities":[%q],"seed":1,"budget_ms":300}`, fx.community)}
	},
	"GET /api/v1/plans/{id}/diff": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/plans/" + fx.plan + "/diff"}
	},
	"POST /api/v1/plans/{id}/apply": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/plans/" + fx.freshPlan() + "/apply", ctype: "application/json"}
	},
	"GET /open311/v2/discovery.{format:json|xml}":       get("/open311/v2/discovery.json"),
	"GET /open311/v2/services.{format:json|xml}":        get("/open311/v2/services.xml"),
	"GET /open311/v2/services/{code}.{format:json|xml}": get("/open311/v2/services/property.parking.json"),
	"GET /open311/v2/requests.{format:json|xml}":        get("/open311/v2/requests.xml"),
	"GET /open311/v2/requests/{id}.{format:json|xml}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/open311/v2/requests/" + fx.incidents[1] + ".json"}
	},
	"GET /open311/v2/tokens/{id}.{format:json|xml}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/open311/v2/tokens/" + fx.incidents[1] + ".json"}
	},
	"POST /open311/v2/requests.{format:json|xml}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/open311/v2/requests.json", ctype: "application/x-www-form-urlencoded", form: url.Values{
			"service_code": {"property.parking"}, "lat": {fmt.Sprint(fx.point[1])}, "long": {fmt.Sprint(fx.point[0])},
			"description": {personalTexts[1]}, "first_name": {"小明"}, "last_name": {"王"}, "phone": {"13812345678"}}}
	},
	"GET /":                                 func(*routeFixture, string) exampleReq { return exampleReq{path: "/?f=json"} },
	"GET /conformance":                      get("/conformance"),
	"GET /api":                              get("/api"),
	"GET /collections":                      get("/collections"),
	"GET /collections/{collectionId}":       get("/collections/incidents"),
	"GET /collections/{collectionId}/items": get("/collections/incidents/items?limit=10000"),
	"GET /collections/{collectionId}/items/{featureId}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/collections/incidents/items/" + fx.incidents[2]}
	},
	"GET /tiles/{z}/{x}/{y}.mvt":         func(fx *routeFixture, _ string) exampleReq { return exampleReq{path: fx.tile("")} },
	"GET /tiles/{layer}/{z}/{x}/{y}.mvt": func(fx *routeFixture, _ string) exampleReq { return exampleReq{path: fx.tile("grids")} },
	"GET /tiles.json":                    get("/tiles.json"),
	"GET /style.json":                    get("/style.json"),

	"GET /api/v1/people/summary": get("/api/v1/people/summary"),
	"GET /api/v1/people/report":  get("/api/v1/people/report"),
	"GET /api/v1/people/rules":   get("/api/v1/people/rules"),
	"PATCH /api/v1/people/rules": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/rules", `{"max_grids_per_cadre":3}`)
	},
	"GET /api/v1/plans/{id}/people": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/plans/" + fx.plan + "/people"}
	},
	"GET /api/v1/people/staff": get("/api/v1/people/staff?limit=10000&serving=all"),
	"POST /api/v1/people/staff": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/staff", fmt.Sprintf(`{"name":"周八一","role":"worker","phone":"13900001111","community_code":%q}`, fx.community))
	},
	"GET /api/v1/people/staff/{id}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/people/staff/" + fx.s.Current().City.Staff[0].ID}
	},
	"PATCH /api/v1/people/staff/{id}": func(fx *routeFixture, who string) exampleReq {
		return jsonReq("/api/v1/people/staff/"+fx.s.Current().City.Staff[0].ID, fmt.Sprintf(`{"note":"表格 %s"}`, who))
	},
	"POST /api/v1/people/staff/{id}/retire": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/staff/"+fx.freshStaff()+"/retire", `{}`)
	},
	"GET /api/v1/people/assignments": get("/api/v1/people/assignments?limit=10000&state=all"),
	"POST /api/v1/people/assignments": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/assignments", fmt.Sprintf(`{"staff_id":%q,"grid_code":%q,"duty":"worker"}`, fx.freshStaff(), fx.grid))
	},
	"POST /api/v1/people/assignments/{id}/end": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/assignments/"+fx.freshAssignment()+"/end", `{}`)
	},
	"GET /api/v1/people/grids/{code}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/people/grids/" + fx.grid}
	},
	"GET /api/v1/people/units": get("/api/v1/people/units?limit=10000"),
	"POST /api/v1/people/units": func(*routeFixture, string) exampleReq {
		return jsonReq("/api/v1/people/units", `{"name":"市测试局","level":"municipal","members":12,"secretary":"钱多多","phone":"0632-3319999"}`)
	},
	"GET /api/v1/people/units/{code}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/people/units/" + fx.s.Current().City.ReportingUnits[0].Code}
	},
	"PATCH /api/v1/people/units/{code}": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/units/"+fx.s.Current().City.ReportingUnits[0].Code, `{"members":40}`)
	},
	"GET /api/v1/people/pairings": get("/api/v1/people/pairings?limit=10000&state=all"),
	"POST /api/v1/people/pairings": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/pairings", fmt.Sprintf(`{"unit_code":%q,"community_code":%q}`, fx.freshUnit(), fx.openCommunity()))
	},
	"POST /api/v1/people/pairings/{id}/end": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/pairings/"+fx.freshPairing()+"/end", `{}`)
	},
	"GET /api/v1/people/pairings/proposal": get("/api/v1/people/pairings/proposal"),
	"POST /api/v1/people/pairings/proposal/apply": func(fx *routeFixture, _ string) exampleReq {
		_, out := fx.call(RoleAdmin, http.MethodGet, exampleReq{path: "/api/v1/people/pairings/proposal"})
		var p struct {
			Proposal struct {
				Moves json.RawMessage `json:"moves"`
			} `json:"proposal"`
		}
		json.Unmarshal(out, &p)
		return jsonReq("/api/v1/people/pairings/proposal/apply", fmt.Sprintf(`{"moves":%s}`, p.Proposal.Moves))
	},
	"GET /api/v1/people/commitments": get("/api/v1/people/commitments?limit=10000"),
	"POST /api/v1/people/commitments": func(fx *routeFixture, who string) exampleReq {
		unit, comm := fx.activePairing()
		return jsonReq("/api/v1/people/commitments", fmt.Sprintf(`{"unit_code":%q,"community_code":%q,"year":2026,"title":"为社区修缮凉亭 %s"}`, unit, comm, who))
	},
	"PATCH /api/v1/people/commitments/{id}": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/commitments/"+fx.freshCommitment(), `{"status":"in_progress","evidence":"王小明13912345678已采购"}`)
	},
	"GET /api/v1/people/evaluations": get("/api/v1/people/evaluations?limit=10000"),
	"POST /api/v1/people/evaluations": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/evaluations", fmt.Sprintf(`{"year":2026,"subject":"person","subject_id":%q,"grade":"合格","score":80,"comment":"联系人张伟强 13700001111"}`, fx.freshStaff()))
	},
	"POST /api/v1/people/evaluations/run": func(*routeFixture, string) exampleReq {
		return jsonReq("/api/v1/people/evaluations/run", `{"year":2026}`)
	},
	"GET /api/v1/people/contact-points": get("/api/v1/people/contact-points?limit=10000"),
	"POST /api/v1/people/contact-points": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/contact-points", fmt.Sprintf(`{"staff_id":%q,"community_code":%q}`, fx.freshLeader(), fx.community))
	},
	"POST /api/v1/people/contact-points/{id}/end": func(fx *routeFixture, _ string) exampleReq {
		return jsonReq("/api/v1/people/contact-points/"+fx.freshContact()+"/end", `{}`)
	},
	"GET /api/v1/people/workload":     get("/api/v1/people/workload?by=grid&limit=10000"),
	"GET /api/v1/people/lists":        get("/api/v1/people/lists"),
	"GET /api/v1/people/lists/{list}": get("/api/v1/people/lists/staff?format=csv"),
	"POST /api/v1/people/lists/{list}": func(fx *routeFixture, _ string) exampleReq {
		return exampleReq{path: "/api/v1/people/lists/assignments", ctype: "text/csv",
			body: fmt.Sprintf("人员编号,网格编码,职责,起始日期\n%s,%s,网格员,2026-11-01\n", fx.freshStaff(), fx.grid)}
	},
	"GET /api/v1/disclosure": get("/api/v1/disclosure?year=2026"),
}

func jsonReq(path, body string) exampleReq {
	return exampleReq{path: path, ctype: "application/json", body: body}
}

// people fixtures, made by the organiser.
func (fx *routeFixture) peopleWrite(path, body string) map[string]any {
	fx.t.Helper()
	code, out := fx.call(RoleOrganiser, http.MethodPost, jsonReq(path, body))
	var m struct {
		Result map[string]any `json:"result"`
	}
	if code != http.StatusCreated || json.Unmarshal(out, &m) != nil {
		fx.t.Fatalf("POST %s %s: %d %s", path, body, code, out)
	}
	return m.Result
}

func (fx *routeFixture) freshStaff() string {
	id := fx.peopleWrite("/api/v1/people/staff", fmt.Sprintf(`{"name":"吴表格","role":"worker","phone":"13900002222","community_code":%q,"joined":"2026-01-01"}`, fx.community))["id"].(string)
	if fx.s.Current().City.StaffByID(id) == nil {
		fx.t.Fatalf("staff %s written (201) but not in the snapshot in force", id)
	}
	return id
}

func (fx *routeFixture) freshLeader() string {
	return fx.peopleWrite("/api/v1/people/staff", `{"name":"郑表格","role":"leader","unit":"市测试局","rank":"正处级","phone":"13900003333","joined":"2026-01-01"}`)["id"].(string)
}

func (fx *routeFixture) freshAssignment() string {
	return fx.peopleWrite("/api/v1/people/assignments", fmt.Sprintf(`{"staff_id":%q,"grid_code":%q,"duty":"worker","from":"2026-01-01"}`, fx.freshStaff(), fx.grid))["id"].(string)
}

func (fx *routeFixture) freshUnit() string {
	return fx.peopleWrite("/api/v1/people/units", `{"name":"市表格局","level":"municipal","members":8}`)["code"].(string)
}

func (fx *routeFixture) freshPairing() string {
	return fx.peopleWrite("/api/v1/people/pairings", fmt.Sprintf(`{"unit_code":%q,"community_code":%q,"from":"2026-01-01"}`, fx.freshUnit(), fx.openCommunity()))["id"].(string)
}

func (fx *routeFixture) freshContact() string {
	return fx.peopleWrite("/api/v1/people/contact-points", fmt.Sprintf(`{"staff_id":%q,"community_code":%q,"from":"2026-01-01"}`, fx.freshLeader(), fx.community))["id"].(string)
}

// openCommunity is a community with fewer than two municipal units over
// the whole of a pairing from 2026-01-01 on (the rule counts every pairing
// that overlaps the new one's period, ended ones included).
func (fx *routeFixture) openCommunity() string {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := fx.s.Current().City
	municipal := map[string]bool{}
	for _, u := range c.ReportingUnits {
		municipal[u.Code] = u.Level == data.UnitMunicipal
	}
	n := map[string]int{}
	for _, p := range c.Pairings {
		if (p.To.IsZero() || p.To.After(from)) && municipal[p.UnitCode] {
			n[p.CommunityCode]++
		}
	}
	for _, cm := range c.Communities {
		if n[cm.Code] < 2 {
			return cm.Code
		}
	}
	fx.t.Fatal("every community has two municipal units")
	return ""
}

func (fx *routeFixture) activePairing() (unit, community string) {
	for _, p := range fx.s.Current().City.Pairings {
		if p.To.IsZero() {
			return p.UnitCode, p.CommunityCode
		}
	}
	fx.t.Fatal("no active pairing")
	return "", ""
}

func (fx *routeFixture) freshCommitment() string {
	unit, comm := fx.activePairing()
	return fx.peopleWrite("/api/v1/people/commitments", fmt.Sprintf(`{"unit_code":%q,"community_code":%q,"year":2026,"title":"为社区安装路灯"}`, unit, comm))["id"].(string)
}

func get(path string) func(*routeFixture, string) exampleReq {
	return func(*routeFixture, string) exampleReq { return exampleReq{path: path} }
}

// personalTexts are incident descriptions, addresses and notes carrying
// the personal data the scanner looks for: reporters' names, phones in
// five formats and resident ID numbers.
var personalTexts = []string{
	"王小明反映车辆堵门，回电13912345678，身份证370402199001011234",
	"联系人李建国，电话 +86 139 1234 5678，楼道堆物",
	"张丽华称噪音扰民，手机+8613812345678，座机0632-3312345",
	"报告人赵德胜（37040219850315123X）说井盖丢失，139-8765-4321",
	"刘芳芳说漏水，拨打 (0632) 331 2346 或 137 1234 5678",
}

// personalValues are the literal values the scanner fails on.
var personalValues = []string{
	"王小明", "李建国", "张丽华", "赵德胜", "刘芳芳", "张伟强",
	"13912345678", "+86 139 1234 5678", "+8613812345678", "0632-3312345", "139-8765-4321", "(0632) 331 2346", "137 1234 5678",
	"370402199001011234", "37040219850315123X", "370402197706061118",
}

// personal-data patterns: a mobile number (not inside a longer number or a
// decimal fraction) and an 18-digit ID number with a birth date.
var (
	mobilePattern = regexp.MustCompile(`(?:^|[^\d.])(1[3-9]\d{9})(?:\D|$)`)
	idPattern     = regexp.MustCompile(`(?:^|\D)(\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])(?:\D|$)`)
)

type routeFixture struct {
	t         testing.TB
	s         *Server
	st        store.Store
	ts        *httptest.Server
	tokens    map[string]string
	point     [2]float64
	community string
	grid      string
	incidents []string // seeded with personalTexts
	plan      string
	version   int64
	mergeEdit string
	rules     string
	places    placesFixture
	mu        sync.Mutex
}

func newRouteFixture(t testing.TB) *routeFixture {
	t.Helper()
	ctx := context.Background()
	c, err := synth.City(synth.Options{Seed: 1, Incidents: 50})
	if err != nil {
		t.Fatal(err)
	}
	st, err := backends.Create(ctx, filepath.Join(t.TempDir(), "routes.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Append(ctx, c); err != nil {
		t.Fatal(err)
	}
	fx := &routeFixture{t: t, st: st, tokens: map[string]string{}}
	ts, _ := st.(TokenStore)
	for _, role := range Roles {
		secret, tok, err := NewToken(role, role+"-table")
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		fx.tokens[role] = secret
	}
	fx.s, err = New(ctx, Config{Store: st, EscalationInterval: -1, HeavyAnonRate: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fx.s.Close)
	fx.ts = httptest.NewServer(fx.s)
	t.Cleanup(fx.ts.Close)
	sn := fx.s.Current()
	b := sn.City.Buildings[300]
	p, q := b.Geom[0][0], b.Geom[0][2]
	fx.point = [2]float64{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2}
	g := sn.City.Grid(b.GridCode)
	fx.community, fx.grid = g.CommunityCode, g.Code
	// incidents whose free text, address, caller and notes carry personal data
	for i, text := range personalTexts {
		body := fx.incidentBody("property.parking", text)
		if i%2 == 1 { // an address given beside the point
			var m map[string]any
			json.Unmarshal([]byte(body), &m)
			m["address"] = "青檀路12号 张伟强家 电话13700001111 " + personalTexts[(i+1)%len(personalTexts)]
			nb, _ := json.Marshal(m)
			body = string(nb)
		}
		code, out := fx.call(RoleDispatcher, http.MethodPost, exampleReq{path: "/api/v1/incidents", ctype: "application/json", body: body})
		if code != http.StatusCreated {
			t.Fatalf("seed incident: %d %s", code, out)
		}
		var inc incidentJSON
		json.Unmarshal(out, &inc)
		fx.incidents = append(fx.incidents, inc.ID)
		note := fmt.Sprintf(`{"to":"accepted","note":%q}`, "已电话联系身份证370402197706061118的居民张伟强 "+text)
		if code, out := fx.call(RoleDispatcher, http.MethodPost, exampleReq{path: "/api/v1/incidents/" + inc.ID + "/transitions", ctype: "application/json", body: note}); code != 200 {
			t.Fatalf("seed transition: %d %s", code, out)
		}
	}
	if err := fx.s.Reload(ctx); err != nil { // the city's incidents layer holds them too
		t.Fatal(err)
	}
	_, rules := fx.call(RoleAdmin, http.MethodGet, exampleReq{path: "/api/v1/rules"})
	fx.rules = string(rules)
	// a plan, a layout version and an edit that applies to a fresh plan
	fx.plan = fx.freshPlan()
	if code, out := fx.call(RoleAdmin, http.MethodPost, exampleReq{path: "/api/v1/plans/" + fx.freshPlan() + "/apply"}); code != 200 {
		t.Fatalf("apply a plan: %d %s", code, out)
	}
	_, vs := fx.call(RoleAdmin, http.MethodGet, exampleReq{path: "/api/v1/plan/versions"})
	var versions struct{ Current int64 }
	json.Unmarshal(vs, &versions)
	fx.version = versions.Current
	c = fx.s.Current().City
	for i := 0; i+1 < len(c.Grids) && fx.mergeEdit == ""; i++ {
		a, b := c.Grids[i], c.Grids[i+1]
		if a.CommunityCode != b.CommunityCode {
			continue
		}
		edit := fmt.Sprintf(`{"kind":"merge","grid":%q,"with":%q}`, a.Code, b.Code)
		if code, _ := fx.call(RoleAdmin, http.MethodPost, exampleReq{path: "/api/v1/plans/" + fx.freshPlan() + "/edits", ctype: "application/json", body: edit}); code == 200 {
			fx.mergeEdit = edit
		}
	}
	if fx.mergeEdit == "" {
		t.Fatal("no mergeable grids")
	}
	return fx
}

func (fx *routeFixture) incidentBody(category, text string) string {
	return fmt.Sprintf(`{"category":%q,"description":%q,"lon":%v,"lat":%v,"caller":{"name":"王小明","phone":"+86 139 1234 5678"}}`,
		category, text, fx.point[0], fx.point[1])
}

func (fx *routeFixture) freshIncident() string {
	code, out := fx.call(RoleDispatcher, http.MethodPost, exampleReq{path: "/api/v1/incidents", ctype: "application/json", body: fx.incidentBody("property.parking", "楼道堆物")})
	var inc incidentJSON
	if code != http.StatusCreated || json.Unmarshal(out, &inc) != nil {
		fx.t.Fatalf("fresh incident: %d %s", code, out)
	}
	return inc.ID
}

func (fx *routeFixture) freshToken() string {
	_, tok, _ := NewToken(RoleViewer, "throwaway")
	if err := fx.st.(TokenStore).CreateToken(context.Background(), tok); err != nil {
		fx.t.Fatal(err)
	}
	return tok.ID
}

func (fx *routeFixture) freshPlan() string {
	code, out := fx.call(RoleAdmin, http.MethodPost, exampleReq{path: "/api/v1/plans", ctype: "application/json", body: `{"name":"fixture"}`})
	var p struct{ ID string }
	if code != http.StatusCreated || json.Unmarshal(out, &p) != nil {
		fx.t.Fatalf("fresh plan: %d %s", code, out)
	}
	return p.ID
}

// tile is the path of the z16 tile holding the fixture's point.
func (fx *routeFixture) tile(layer string) string {
	z := 16
	x, y := lonLatTile(fx.point[0], fx.point[1], z)
	if layer != "" {
		return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, z, x, y)
	}
	return fmt.Sprintf("/tiles/%d/%d/%d.mvt", z, x, y)
}

// call sends one request as who ("" anonymous) and returns the status and
// body; event streams are read for a moment, then closed.
func (fx *routeFixture) call(who, method string, ex exampleReq) (int, []byte) {
	fx.t.Helper()
	body := ex.body
	if ex.form != nil {
		f := url.Values{}
		for k, v := range ex.form {
			f[k] = v
		}
		if who != "" {
			f.Set("api_key", fx.tokens[who])
		}
		body = f.Encode()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stream := strings.HasPrefix(ex.path, "/api/v1/events")
	if stream {
		ctx, cancel = context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, fx.ts.URL+ex.path, strings.NewReader(body))
	if err != nil {
		fx.t.Fatal(err)
	}
	if ex.ctype != "" {
		req.Header.Set("Content-Type", ex.ctype)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range ex.header {
		req.Header[k] = v
	}
	if who != "" && ex.form == nil {
		req.Header.Set("Authorization", "Bearer "+fx.tokens[who])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fx.t.Fatalf("%s %s as %q: %v", method, ex.path, who, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !stream {
		fx.t.Fatalf("%s %s as %q: read: %v", method, ex.path, who, err)
	}
	return resp.StatusCode, b
}

// callers are anonymous ("") and every role of Roles.
func callers() []string { return append([]string{""}, Roles...) }

// expected is the status a route answers who: 401 or 403 when the route's
// roles exclude who, its success status otherwise.
func expected(rt Route, who string) int {
	if len(rt.Roles) > 0 {
		if who == "" {
			return http.StatusUnauthorized
		}
		if !slices.Contains(rt.Roles, who) {
			return http.StatusForbidden
		}
	}
	if rt.OK != 0 {
		return rt.OK
	}
	return http.StatusOK
}

// answers reports whether code is what rt answers who: expected, or one of
// the route's other success statuses for a caller it admits.
func answers(rt Route, who string, code int) bool {
	want := expected(rt, who)
	return code == want || want < 300 && slices.Contains(rt.Also, code)
}

// TestRouteRoleTable: every route of the registry × anonymous × each role
// answers exactly the status its declaration says.
func TestRouteRoleTable(t *testing.T) {
	fx := newRouteFixture(t)
	fx.seedPlaces()
	routes := fx.s.Routes()
	n := 0
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		ex := routeExamples[key]
		if ex == nil {
			t.Errorf("route %s has no example in routeExamples: add one", key)
			continue
		}
		for _, who := range callers() {
			code, body := fx.call(who, rt.Method, ex(fx, who))
			n++
			if want := expected(rt, who); !answers(rt, who, code) {
				t.Errorf("%s as %q: %d, want %d: %.300s", key, who, code, want, body)
			}
		}
	}
	for key := range routeExamples {
		found := false
		for _, rt := range routes {
			found = found || rt.Method+" "+rt.Path == key
		}
		if !found {
			t.Errorf("example %s names no route", key)
		}
	}
	t.Logf("%d routes × %d callers: %d requests", len(routes), len(callers()), n)
}

// TestPersonalDataScanner: every GET route, as anonymous and as viewer,
// over a store whose incidents carry names, phones in five formats and ID
// numbers in their descriptions, addresses, callers and notes, and whose
// places records carry volunteers', committee members' and service
// targets' names and phones, answers without any of them; and as every
// caller but the organiser and admin, without any service target's
// personal data (names, guardians, phones, the ID number in a note).
func TestPersonalDataScanner(t *testing.T) {
	fx := newRouteFixture(t)
	fx.seedPlaces()
	checkPlacesSeeds(t, fx)
	c := fx.s.Current().City
	values := slices.Concat(personalValues, placesContacts, targetSecrets)
	// the people who serve the seeded incidents' grid, by full name and phone
	if res := fx.s.Current().Index.Locate(orb.Point(fx.point)); res.Grid >= 0 {
		g := &c.Grids[res.Grid]
		values = append(values, g.Head.Name, g.Head.Phone)
		for _, cd := range c.CadresOf(g.Code) {
			values = append(values, cd.Name, cd.Phone)
		}
	}
	targets := targetScanner(t, fx)
	scanned := 0
	for _, rt := range fx.s.Routes() {
		if rt.Method != http.MethodGet {
			continue
		}
		ex := routeExamples[rt.Method+" "+rt.Path]
		if ex == nil {
			t.Errorf("route %s has no example", rt.Path)
			continue
		}
		for _, who := range []string{"", RoleViewer, RoleDispatcher, RolePlanner} {
			code, body := fx.call(who, rt.Method, ex(fx, who))
			if code >= 300 {
				if expected(rt, who) < 300 {
					t.Errorf("%s as %q: %d", rt.Path, who, code)
				}
				continue
			}
			scanned++
			text := string(body)
			if hit := targets.find(text); hit != "" || strings.Contains(text, "370402193801011237") {
				t.Errorf("%s as %q shows a service target's %q", ex(fx, who).path, who, hit)
			}
			if who != "" && who != RoleViewer {
				continue // the personal-data roles see the rest
			}
			for _, v := range values {
				if len([]rune(v)) > 1 && strings.Contains(text, v) {
					t.Errorf("%s as %q shows %q", ex(fx, who).path, who, v)
				}
			}
			if m := mobilePattern.FindStringSubmatch(text); m != nil {
				t.Errorf("%s as %q shows a mobile number %s", ex(fx, who).path, who, m[1])
			}
			if m := idPattern.FindStringSubmatch(text); m != nil {
				t.Errorf("%s as %q shows an ID number %s", ex(fx, who).path, who, m[1])
			}
		}
	}
	// the personal roles do see the text as written, and the organiser the
	// service targets, so the scans would find them
	_, body := fx.call(RoleDispatcher, http.MethodGet, exampleReq{path: "/api/v1/incidents/" + fx.incidents[0]})
	if !strings.Contains(string(body), "13912345678") || !strings.Contains(string(body), "370402199001011234") {
		t.Errorf("a dispatcher does not see the description as written: %.300s", body)
	}
	_, body = fx.call(RoleOrganiser, http.MethodGet, exampleReq{path: "/api/v1/volunteers/targets?limit=10000&all=true"})
	if targets.find(string(body)) == "" {
		t.Error("the organiser's list of service targets holds none the scan looks for")
	}
	t.Logf("%d GET answers scanned; %d service targets' names and %d phones looked for", scanned, len(targets.names), len(targets.phones))
}

// targetScanner finds the service targets' personal data: the seeded
// target's, and every target's name, guardian and phone that no one else
// in the city bears (staff, cadres, volunteers, committee members,
// units' secretaries, incident callers and the people the seeded
// incidents' text names).
func targetScanner(t *testing.T, fx *routeFixture) *secretScanner {
	t.Helper()
	c := fx.s.Current().City
	others := map[string]bool{}
	for _, v := range slices.Concat(personalValues, placesContacts) {
		others[v] = true
	}
	for _, g := range c.Grids {
		others[g.Head.Name], others[g.Head.Phone] = true, true
		for _, p := range g.Team {
			others[p.Name], others[p.Phone] = true, true
		}
	}
	for _, p := range c.Cadres {
		others[p.Name], others[p.Phone] = true, true
	}
	for _, p := range c.Staff {
		others[p.Name], others[p.Phone] = true, true
	}
	for _, u := range c.ReportingUnits {
		others[u.Secretary], others[u.Phone] = true, true
	}
	recs, _, err := fx.st.Incidents(context.Background(), store.IncidentFilter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		others[rec.Caller.Name], others[rec.Caller.Phone] = true, true
	}
	for _, tm := range c.Places.Teams {
		others[tm.Leader], others[tm.LeaderPhone] = true, true
		for _, m := range tm.Members {
			others[m.Name], others[m.Phone] = true, true
		}
	}
	for _, pr := range c.Places.Property {
		for _, m := range pr.Members {
			others[m.Name], others[m.Phone] = true, true
		}
	}
	sc := newSecretScanner()
	name := func(n string) {
		if k := len([]rune(n)); k >= 3 && k <= 4 && !others[n] {
			sc.names[n] = true
		}
	}
	for _, tg := range c.Places.Targets {
		name(tg.Name)
		name(tg.Guardian)
		if d := digitsOf(tg.Phone); len(d) == 11 && !others[tg.Phone] {
			sc.phones[d] = true
		}
	}
	for _, v := range targetSecrets {
		name(v)
		if d := digitsOf(v); len(d) >= 11 && len(d) <= 13 {
			sc.phones[d[len(d)-11:]] = true
		}
	}
	if len(sc.names) < 1000 || len(sc.phones) < 1000 {
		t.Fatalf("only %d names and %d phones to look for", len(sc.names), len(sc.phones))
	}
	return sc
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// secretScanner finds, in linear time, any of a set of names (3 or 4
// Chinese characters) and phone numbers (11 digits, in any grouping) in a
// text.
type secretScanner struct {
	names, phones map[string]bool
}

func newSecretScanner() *secretScanner {
	return &secretScanner{names: map[string]bool{}, phones: map[string]bool{}}
}

func (sc *secretScanner) find(s string) string {
	rs := []rune(s)
	for i := range rs {
		for _, n := range []int{3, 4} {
			if i+n <= len(rs) && sc.names[string(rs[i:i+n])] {
				return string(rs[i : i+n])
			}
		}
	}
	var digits []rune
	flush := func() string {
		defer func() { digits = digits[:0] }()
		for i := 0; i+11 <= len(digits); i++ {
			if sc.phones[string(digits[i:i+11])] {
				return string(digits[i : i+11])
			}
		}
		return ""
	}
	for _, r := range rs {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, r)
		case r == ' ' || r == '-':
		default:
			if hit := flush(); hit != "" {
				return hit
			}
		}
	}
	return flush()
}

// TestOpenAPIListsEveryRoute: every route the router serves is in the
// served OpenAPI document with its method, roles and error responses.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	s := testServer(t, Config{})
	w := do(t, s, "GET", "/api", "", "", "Accept", "application/json")
	var doc struct {
		Paths map[string]map[string]struct {
			Roles      []string       `json:"x-roles"`
			Responses  map[string]any `json:"responses"`
			Parameters []any          `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil { // the frontend's files: not part of the API
			return nil
		}
		for _, m := range methods {
			if m == http.MethodHead {
				continue
			}
			op, ok := doc.Paths[openAPIPath(tmpl)][strings.ToLower(m)]
			if !ok {
				t.Errorf("%s %s is routed but missing from /api", m, tmpl)
				continue
			}
			n++
			if len(op.Roles) == 0 || op.Responses["500"] == nil {
				t.Errorf("%s %s: no roles or no error responses in /api", m, tmpl)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Errorf("only %d operations", n)
	}
	t.Logf("%d operations in /api", n)
}

// lonLatTile is the Web Mercator tile holding a point.
func lonLatTile(lon, lat float64, z int) (int, int) {
	t := maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
	return int(t.X), int(t.Y)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
