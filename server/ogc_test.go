package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/getkin/kin-openapi/openapi3"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
)

// ogcFC is the part of an items response the tests read.
type ogcFC struct {
	Type     string `json:"type"`
	Features []struct {
		ID         json.RawMessage `json:"id"`
		Geometry   map[string]any  `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	} `json:"features"`
	NumberMatched  *int      `json:"numberMatched"`
	NumberReturned *int      `json:"numberReturned"`
	TimeStamp      string    `json:"timeStamp"`
	Links          []ogcLink `json:"links"`
}

func (fc *ogcFC) link(rel string) string {
	for _, l := range fc.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

func (fc *ogcFC) ids() []string {
	out := make([]string, len(fc.Features))
	for i, f := range fc.Features {
		out[i] = strings.Trim(string(f.ID), `"`)
	}
	return out
}

func ogcGet(t testing.TB, h http.Handler, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	if len(hdr) == 0 {
		hdr = []string{"Accept", "application/json"}
	}
	return do(t, h, "GET", target, "", "", hdr...)
}

func ogcItemsOf(t testing.TB, h http.Handler, target string) *ogcFC {
	t.Helper()
	w := ogcGet(t, h, target, "Accept", "application/geo+json, application/json")
	if w.Code != 200 {
		t.Fatalf("%s: status %d: %s", target, w.Code, w.Body)
	}
	var fc ogcFC
	if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	if fc.NumberMatched == nil || fc.NumberReturned == nil || *fc.NumberReturned != len(fc.Features) {
		t.Fatalf("%s: numberMatched/numberReturned missing or wrong: %v %v %d", target, fc.NumberMatched, fc.NumberReturned, len(fc.Features))
	}
	return &fc
}

func TestOGCEndpoints(t *testing.T) {
	s := testServer(t, Config{})
	grid := demo.Grids[7]
	type check func(t *testing.T, body map[string]any)
	links := func(t *testing.T, body map[string]any) map[string]map[string]any {
		out := map[string]map[string]any{}
		ls, _ := body["links"].([]any)
		for _, l := range ls {
			m := l.(map[string]any)
			out[m["rel"].(string)] = m
		}
		return out
	}
	for _, tc := range []struct {
		name, path, accept, ctype string
		check                     check
	}{
		{"landing", "/", "application/json", "application/json", func(t *testing.T, b map[string]any) {
			l := links(t, b)
			for rel, href := range map[string]string{"self": "/", "service-desc": "/api", "conformance": "/conformance", "data": "/collections"} {
				if l[rel] == nil || !strings.HasSuffix(l[rel]["href"].(string), href) || !strings.HasPrefix(l[rel]["href"].(string), "http://") {
					t.Errorf("link %s: %v", rel, l[rel])
				}
			}
			if l["service-desc"]["type"] != "application/vnd.oai.openapi+json;version=3.0" || b["title"] == "" {
				t.Errorf("landing: %v", b)
			}
		}},
		{"landing f=json", "/?f=json", "", "application/json", nil},
		{"conformance", "/conformance", "application/json", "application/json", func(t *testing.T, b map[string]any) {
			got := fmt.Sprint(b["conformsTo"])
			for _, c := range []string{confCore, confGeoJSON, confOAS30} {
				if !strings.Contains(got, c) {
					t.Errorf("missing %s in %s", c, got)
				}
			}
		}},
		{"api", "/api", "application/vnd.oai.openapi+json;version=3.0, application/json", "application/vnd.oai.openapi+json;version=3.0", func(t *testing.T, b map[string]any) {
			if v, _ := b["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
				t.Errorf("openapi version %q", v)
			}
			paths, _ := b["paths"].(map[string]any)
			for _, p := range []string{"/", "/conformance", "/api", "/collections", "/collections/{collectionId}", "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}"} {
				if _, ok := paths[p].(map[string]any)["get"]; !ok {
					t.Errorf("path %s undocumented", p)
				}
			}
			// every $ref resolves inside the document
			var walk func(v any)
			walk = func(v any) {
				switch v := v.(type) {
				case map[string]any:
					if r, ok := v["$ref"].(string); ok {
						var at any = b
						for _, part := range strings.Split(strings.TrimPrefix(r, "#/"), "/") {
							m, _ := at.(map[string]any)
							at = m[part]
						}
						if at == nil {
							t.Errorf("dangling $ref %s", r)
						}
					}
					for _, x := range v {
						walk(x)
					}
				case []any:
					for _, x := range v {
						walk(x)
					}
				}
			}
			walk(b)
			var limit map[string]any
			for _, p := range b["paths"].(map[string]any)["/collections/{collectionId}/items"].(map[string]any)["get"].(map[string]any)["parameters"].([]any) {
				if p := p.(map[string]any); p["name"] == "limit" {
					limit = p["schema"].(map[string]any)
				}
			}
			if limit["maximum"].(float64) != ogcMaxLimit || limit["default"].(float64) != ogcDefaultLimit {
				t.Errorf("limit schema %v", limit)
			}
		}},
		{"collections", "/collections", "application/json", "application/json", func(t *testing.T, b map[string]any) {
			cols := b["collections"].([]any)
			if len(cols) != len(ogcLayers) {
				t.Fatalf("%d collections, want %d", len(cols), len(ogcLayers))
			}
			for _, c := range cols {
				c := c.(map[string]any)
				bbox := c["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
				if len(bbox) != 4 || bbox[0].(float64) < 100 || bbox[2].(float64) > 130 || bbox[0].(float64) >= bbox[2].(float64) {
					t.Errorf("%s: bbox %v", c["id"], bbox)
				}
				if c["itemType"] != "feature" || fmt.Sprint(c["crs"]) != "["+crs84+"]" {
					t.Errorf("%s: itemType/crs %v %v", c["id"], c["itemType"], c["crs"])
				}
				_, temporal := c["extent"].(map[string]any)["temporal"]
				if temporal != (c["id"] == data.LayerIncidents) {
					t.Errorf("%s: temporal extent %v", c["id"], temporal)
				}
			}
		}},
		{"collection", "/collections/grids", "application/json", "application/json", func(t *testing.T, b map[string]any) {
			l := links(t, b)
			if b["id"] != "grids" || l["items"] == nil || l["items"]["type"] != mediaGeoJSON || !strings.HasSuffix(l["items"]["href"].(string), "/collections/grids/items") {
				t.Errorf("collection: %v", b)
			}
		}},
		{"incidents temporal", "/collections/incidents", "", "application/json", func(t *testing.T, b map[string]any) {
			iv := b["extent"].(map[string]any)["temporal"].(map[string]any)["interval"].([]any)[0].([]any)
			for _, x := range iv {
				if _, err := time.Parse(time.RFC3339, x.(string)); err != nil {
					t.Errorf("interval %v: %v", iv, err)
				}
			}
		}},
		{"items", "/collections/grids/items", "application/geo+json, application/json", "application/geo+json", func(t *testing.T, b map[string]any) {
			if b["type"] != "FeatureCollection" || len(b["features"].([]any)) != ogcDefaultLimit ||
				b["numberMatched"].(float64) != float64(len(demo.Grids)) || b["numberReturned"].(float64) != ogcDefaultLimit {
				t.Errorf("items: type %v, %d features, matched %v returned %v", b["type"], len(b["features"].([]any)), b["numberMatched"], b["numberReturned"])
			}
			if _, err := time.Parse(time.RFC3339, b["timeStamp"].(string)); err != nil {
				t.Error(err)
			}
			l := links(t, b)
			if l["self"] == nil || l["next"] == nil || l["prev"] != nil || l["next"]["type"] != mediaGeoJSON {
				t.Errorf("links %v", l)
			}
		}},
		{"items f=json", "/collections/grids/items?f=json", "", "application/json", nil},
		{"feature", "/collections/grids/items/" + grid.Code, "application/geo+json", "application/geo+json", func(t *testing.T, b map[string]any) {
			p := b["properties"].(map[string]any)
			if b["id"] != grid.Code || p["code"] != grid.Code || p["households"].(float64) != float64(grid.Households) || b["geometry"].(map[string]any)["type"] != "Polygon" {
				t.Errorf("feature: %v", b)
			}
			l := links(t, b)
			if l["self"] == nil || l["collection"] == nil {
				t.Errorf("links %v", l)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{"Accept", tc.accept}
			w := ogcGet(t, s, tc.path, hdr...)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != tc.ctype {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			var b map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

// Every collection serves its first item, and that item fetched by id is
// the same feature.
func TestOGCEveryCollection(t *testing.T) {
	s := testServer(t, Config{})
	counts := demo.Counts()
	for _, layer := range ogcLayers {
		t.Run(layer, func(t *testing.T) {
			fc := ogcItemsOf(t, s, "/collections/"+layer+"/items?limit=3&offset=1")
			if *fc.NumberMatched != counts[layer] || len(fc.Features) != min(3, counts[layer]-1) {
				t.Fatalf("matched %d returned %d, layer has %d", *fc.NumberMatched, len(fc.Features), counts[layer])
			}
			if fc.link("prev") == "" {
				t.Errorf("offset 1 has no prev link")
			}
			for i, f := range fc.Features {
				id := fc.ids()[i]
				if f.Geometry == nil || f.Geometry["type"] == nil {
					t.Errorf("%s: no geometry", id)
				}
				w := ogcGet(t, s, "/collections/"+layer+"/items/"+url.PathEscape(id))
				var one struct {
					ID json.RawMessage `json:"id"`
				}
				if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &one) != nil || strings.Trim(string(one.ID), `"`) != id {
					t.Errorf("item %s: %d %s", id, w.Code, w.Body)
				}
			}
		})
	}
}

// Following next links from the first page visits every grid once, and
// the links keep the other query parameters.
func TestOGCPaging(t *testing.T) {
	s := testServer(t, Config{})
	for _, tc := range []struct {
		name, first string
		want        int
	}{
		{"grids by 97", "/collections/grids/items?limit=97", len(demo.Grids)},
		{"grids default limit", "/collections/grids/items", len(demo.Grids)},
		{"grids max limit", "/collections/grids/items?limit=100000", len(demo.Grids)},
		{"buildings by 1000 in a bbox", "/collections/buildings/items?limit=1000&bbox=" + ogcCityBBox(0.3, 0.3, 0.8, 0.7).str(), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			next, pages, matched := tc.first, 0, -1
			first, _ := url.Parse(tc.first)
			for next != "" {
				fc := ogcItemsOf(t, s, next)
				if matched == -1 {
					matched = *fc.NumberMatched
				} else if *fc.NumberMatched != matched {
					t.Fatalf("numberMatched changed: %d then %d", matched, *fc.NumberMatched)
				}
				for _, id := range fc.ids() {
					if seen[id] {
						t.Fatalf("feature %s seen twice", id)
					}
					seen[id] = true
				}
				if pages > 0 && fc.link("prev") == "" {
					t.Errorf("page %d has no prev link", pages)
				}
				next = fc.link("next")
				if next != "" {
					u, err := url.Parse(next)
					if err != nil || u.Host == "" {
						t.Fatalf("next link %q is not absolute", next)
					}
					for k := range first.Query() {
						if k != "limit" && u.Query().Get(k) != first.Query().Get(k) {
							t.Fatalf("next link %q lost %s", next, k)
						}
					}
					next = u.RequestURI()
				}
				if pages++; pages > 10000 {
					t.Fatal("paging does not end")
				}
			}
			if len(seen) != matched || tc.want >= 0 && matched != tc.want {
				t.Fatalf("walked %d features in %d pages; numberMatched %d; want %d", len(seen), pages, matched, tc.want)
			}
			t.Logf("%d features in %d pages", len(seen), pages)
		})
	}
	// prev from the second page leads back to the first
	fc := ogcItemsOf(t, s, "/collections/grids/items?limit=50&offset=50")
	u, _ := url.Parse(fc.link("prev"))
	if u.Query().Get("offset") != "0" || u.Query().Get("limit") != "50" {
		t.Errorf("prev link %s", fc.link("prev"))
	}
	// past the end: an empty page, no next
	fc = ogcItemsOf(t, s, "/collections/grids/items?offset=100000")
	if len(fc.Features) != 0 || fc.link("next") != "" || *fc.NumberMatched != len(demo.Grids) {
		t.Errorf("past the end: %d features, next %q", len(fc.Features), fc.link("next"))
	}
}

type ogcBox orb.Bound

func (b ogcBox) str() string {
	return fmt.Sprintf("%.7f,%.7f,%.7f,%.7f", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
}

// ogcCityBBox is the part of the grid layer's extent between the given
// fractions of its width and height.
func ogcCityBBox(x0, y0, x1, y1 float64) ogcBox {
	var ext orb.Bound
	for i, g := range demo.Grids {
		if i == 0 {
			ext = g.Geom.Bound()
		} else {
			ext = ext.Union(g.Geom.Bound())
		}
	}
	w, h := ext.Max[0]-ext.Min[0], ext.Max[1]-ext.Min[1]
	return ogcBox{Min: orb.Point{ext.Min[0] + x0*w, ext.Min[1] + y0*h}, Max: orb.Point{ext.Min[0] + x1*w, ext.Min[1] + y1*h}}
}

// bbox answers agree with a brute-force scan that clips every feature to
// the box with orb/clip.
func TestOGCBBoxBruteForce(t *testing.T) {
	s := testServer(t, Config{})
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []float64{0.005, 0.02, 0.1, 0.4}
	for _, layer := range []string{data.LayerGrids, data.LayerBuildings, data.LayerStations, data.LayerRoads, data.LayerDistricts, data.LayerIncidents} {
		n := demo.Counts()[layer]
		boundOnly, exact := 0, 0
		for trial := 0; trial < 12; trial++ {
			sz := sizes[trial%len(sizes)]
			x, y := rng.Float64()*(1-sz), rng.Float64()*(1-sz)
			// brute force over the box as the server reads it (rounded)
			box0 := ogcCityBBox(x, y, x+sz, y+sz)
			parsed, err := ParseBBox(box0.str())
			if err != nil {
				t.Fatal(err)
			}
			box := ogcBox(parsed)
			var want []string
			for i := 0; i < n; i++ {
				id, g, _ := ogcItem(demo, layer, i)
				if g.Bound().Intersects(orb.Bound(box)) {
					boundOnly++
				}
				if clip.Geometry(orb.Bound(box), orb.Clone(g)) != nil {
					want = append(want, id)
				}
			}
			exact += len(want)
			fc := ogcItemsOf(t, s, "/collections/"+layer+"/items?limit=10000&bbox="+box.str())
			got := fc.ids()
			slices.Sort(got)
			slices.Sort(want)
			if *fc.NumberMatched != len(want) || !slices.Equal(got, want) {
				t.Errorf("%s bbox %s: got %d (matched %d), brute force %d", layer, box.str(), len(got), *fc.NumberMatched, len(want))
			}
		}
		t.Logf("%s: %d exact matches over 12 boxes (bounds alone would give %d)", layer, exact, boundOnly)
	}
}

func TestOGCGeometryMeetsBound(t *testing.T) {
	b := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}
	// an L-shaped polygon whose bounds cover the box but whose body does not
	l := orb.Polygon{{{-1, -1}, {3, -1}, {3, -0.5}, {-0.5, -0.5}, {-0.5, 3}, {-1, 3}, {-1, -1}}}
	big := orb.Polygon{{{-5, -5}, {5, -5}, {5, 5}, {-5, 5}, {-5, -5}}}
	holed := orb.Polygon{big[0], {{-2, -2}, {-2, 2}, {2, 2}, {2, -2}, {-2, -2}}}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
		want bool
	}{
		{"point inside", orb.Point{0.5, 0.5}, true},
		{"point on edge", orb.Point{1, 0.5}, true},
		{"point outside", orb.Point{1.5, 0.5}, false},
		{"line crossing", orb.LineString{{-1, 0.5}, {2, 0.5}}, true},
		{"line diagonal miss", orb.LineString{{1.5, -1}, {3, 0.5}}, false},
		{"line through corner region", orb.LineString{{-1, 1.5}, {1.5, -1}}, true},
		{"L-shape miss", l, false},
		{"box inside polygon", big, true},
		{"box inside hole", holed, false},
		{"multipolygon one hits", orb.MultiPolygon{l, big}, true},
		{"nil", nil, false},
	} {
		if got := geometryMeetsBound(tc.g, b); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestOGCDatetime(t *testing.T) {
	s := testServer(t, Config{})
	times := make([]time.Time, len(demo.Incidents))
	for i, n := range demo.Incidents {
		times[i] = n.ReportedAt
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	mid := times[len(times)/2].UTC()
	count := func(in func(time.Time) bool) int {
		k := 0
		for _, n := range demo.Incidents {
			if in(n.ReportedAt) {
				k++
			}
		}
		return k
	}
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"../" + mid.Format(time.RFC3339), count(func(x time.Time) bool { return !x.After(mid) })},
		{mid.Format(time.RFC3339) + "/..", count(func(x time.Time) bool { return !x.Before(mid) })},
		{mid.Format(time.RFC3339), count(func(x time.Time) bool { return x.Equal(mid) })},
		{"../..", len(demo.Incidents)},
	} {
		fc := ogcItemsOf(t, s, "/collections/incidents/items?limit=1000&datetime="+url.QueryEscape(tc.q))
		if *fc.NumberMatched != tc.want {
			t.Errorf("datetime=%s: matched %d, want %d", tc.q, *fc.NumberMatched, tc.want)
		}
	}
	// collections without time ignore it
	fc := ogcItemsOf(t, s, "/collections/grids/items?datetime=2020-01-01T00:00:00Z")
	if *fc.NumberMatched != len(demo.Grids) {
		t.Errorf("grids with datetime: %d", *fc.NumberMatched)
	}
}

func TestOGCBadInput(t *testing.T) {
	s := testServer(t, Config{})
	code := demo.Grids[0].Code
	for _, tc := range []struct {
		name, path, accept string
		code               int
	}{
		{"unknown collection", "/collections/nope", "", 404},
		{"unknown collection items", "/collections/nope/items", "", 404},
		{"attribute layer is no collection", "/collections/cadres/items", "", 404},
		{"unknown feature", "/collections/grids/items/000", "", 404},
		{"feature of another layer", "/collections/buildings/items/" + code, "", 404},
		{"bbox 3 numbers", "/collections/grids/items?bbox=1,2,3", "", 400},
		{"bbox NaN", "/collections/grids/items?bbox=NaN,1,2,3", "", 400},
		{"bbox reversed", "/collections/grids/items?bbox=118,35,117,34", "", 400},
		{"bbox out of range", "/collections/grids/items?bbox=100,-95,120,40", "", 400},
		{"bbox words", "/collections/grids/items?bbox=a,b,c,d", "", 400},
		{"bbox-crs web mercator", "/collections/grids/items?bbox=1,1,2,2&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3857"), "", 400},
		{"limit 0", "/collections/grids/items?limit=0", "", 400},
		{"limit negative", "/collections/grids/items?limit=-5", "", 400},
		{"limit words", "/collections/grids/items?limit=ten", "", 400},
		{"limit huge number", "/collections/grids/items?limit=99999999999999999999999", "", 400},
		{"offset negative", "/collections/grids/items?offset=-1", "", 400},
		{"offset words", "/collections/grids/items?offset=x", "", 400},
		{"unknown parameter", "/collections/grids/items?colour=red", "", 400},
		{"unknown parameter on a feature", "/collections/grids/items/" + code + "?limit=3", "", 400},
		{"datetime garbage", "/collections/incidents/items?datetime=yesterday", "", 400},
		{"datetime reversed", "/collections/incidents/items?datetime=2025-01-02T00:00:00Z/2025-01-01T00:00:00Z", "", 400},
		{"f=html", "/collections?f=html", "", 406},
		{"f=xml", "/collections/grids/items?f=xml", "", 406},
		{"accept html only", "/collections", "text/html", 406},
		{"accept xml only items", "/collections/grids/items", "application/xml", 406},
		{"accept html landing without frontend", "/", "text/html", 406},
		{"limit over maximum is clamped", "/collections/grids/items?limit=20000", "", 200},
		{"accept anything", "/collections", "*/*", 200},
		{"browser accept", "/conformance", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := ogcGet(t, s, tc.path, "Accept", tc.accept)
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			if !strings.Contains(w.Header().Get("Content-Type"), "json") {
				t.Errorf("body is not JSON: %q", w.Header().Get("Content-Type"))
			}
			if tc.code == 200 {
				return
			}
			var e struct {
				Code, Description, Error string
				Status                   int
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Description == "" || e.Code == "" || e.Status != tc.code {
				t.Errorf("error body %s (%v)", w.Body, err)
			}
		})
	}
	// a limit over the maximum serves the maximum
	fc := ogcItemsOf(t, s, "/collections/buildings/items?limit=20000")
	if len(fc.Features) != min(ogcMaxLimit, len(demo.Buildings)) {
		t.Errorf("limit=20000 returned %d", len(fc.Features))
	}
}

// Grid heads' names and phones are masked unless the caller holds a
// personal-data token.
func TestOGCPersonalData(t *testing.T) {
	s := testServer(t, Config{PersonalTokens: []string{"secret"}})
	g := demo.Grids[3]
	phone := regexp.MustCompile(`1\d{10}`)
	for _, path := range []string{"/collections/grids/items/" + g.Code, "/collections/grids/items?limit=50"} {
		w := ogcGet(t, s, path)
		if phone.Match(w.Body.Bytes()) || len([]rune(g.Head.Name)) > 1 && strings.Contains(w.Body.String(), g.Head.Name) {
			t.Errorf("%s: anonymous caller sees a phone or a full name", path)
		}
	}
	// after anonymous pages were cached, the personal caller still sees them
	for _, path := range []string{"/collections/grids/items/" + g.Code, "/collections/grids/items?limit=50"} {
		w := ogcGet(t, s, path, "Authorization", "Bearer secret")
		if !strings.Contains(w.Body.String(), g.Head.Phone) {
			t.Errorf("%s: personal caller does not see the head's phone", path)
		}
	}
	w := ogcGet(t, s, "/collections/grids/items?limit=50", "Authorization", "Bearer wrong")
	if phone.Match(w.Body.Bytes()) {
		t.Errorf("wrong token sees phones")
	}
}

// With a frontend, "/" stays the frontend for browsers and is the landing
// page for API clients.
func TestOGCLandingBesideFrontend(t *testing.T) {
	s := testServer(t, Config{Assets: fstest.MapFS{"index.html": {Data: []byte("<html>wall map</html>")}}})
	w := ogcGet(t, s, "/", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "wall map") {
		t.Errorf("browser at /: %d %q", w.Code, w.Body)
	}
	for _, hdr := range [][]string{{"Accept", "application/json"}, {"Accept", "*/*"}} {
		w = ogcGet(t, s, "/", hdr...)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "service-desc") {
			t.Errorf("%v at /: %d %q", hdr, w.Code, w.Body)
		}
	}
	w = ogcGet(t, s, "/?f=json", "Accept", "text/html")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "service-desc") {
		t.Errorf("f=json at /: %d %q", w.Code, w.Body)
	}
}

// GDAL's OAPIF driver lists every collection and reads every grid through
// the paging links.
func TestOGCGDAL(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: GDAL test skipped")
	}
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Skip("SKIPPED LOUDLY: ogrinfo not found (install gdal-bin; CI does it in scripts/ensure-test-deps.sh): ", err)
	}
	s := testServer(t, Config{})
	var requests, pages atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if strings.HasSuffix(r.URL.Path, "/items") {
			pages.Add(1)
		}
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	root := "OAPIF:" + srv.URL + "/"
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, ogrinfo, args...)
		cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
			"GDAL_HTTP_TIMEOUT=30", "CPL_DEBUG=OFF")
		out, err := cmd.CombinedOutput()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) || ctx.Err() != nil {
				t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
			}
			t.Fatal(err)
		}
		if strings.Contains(string(out), "ERROR") {
			t.Errorf("ogrinfo %v reported errors:\n%s", args, out)
		}
		return string(out)
	}
	start := time.Now()
	out := run("-ro", "-q", root)
	for _, layer := range ogcLayers {
		if !regexp.MustCompile(`(?m)^\d+: ` + layer + `\b`).MatchString(out) {
			t.Errorf("ogrinfo does not list %s:\n%s", layer, out)
		}
	}
	out = run("-ro", "-so", root, "grids")
	if !strings.Contains(out, "Feature Count: "+strconv.Itoa(len(demo.Grids))) || !strings.Contains(out, "Polygon") {
		t.Errorf("ogrinfo -so grids:\n%s", out)
	}
	pages.Store(0)
	out = run("-ro", "-al", "-q", "-geom=SUMMARY", root, "grids")
	feats := strings.Count(out, "OGRFeature(grids):")
	polys := strings.Count(out, "POLYGON : ")
	codes := regexp.MustCompile(`(?m)^\s+code \(String\) = (\d+)$`).FindAllStringSubmatch(out, -1)
	distinct := map[string]bool{}
	for _, c := range codes {
		distinct[c[1]] = true
	}
	if feats != len(demo.Grids) || polys != len(demo.Grids) || len(distinct) != len(demo.Grids) {
		t.Errorf("ogrinfo read %d grid features, %d polygons, %d distinct codes; want %d", feats, polys, len(distinct), len(demo.Grids))
	}
	t.Logf("GDAL read %d grids in %d item pages (%d requests in all) in %v", feats, pages.Load(), requests.Load(), time.Since(start).Round(time.Millisecond))
	// big pages: every building in pages of 5000
	start = time.Now()
	pages.Store(0)
	out = run("-ro", "-al", "-q", "-geom=NO", "-oo", "PAGE_SIZE=5000", root, "buildings")
	if n := strings.Count(out, "OGRFeature(buildings):"); n != len(demo.Buildings) {
		t.Errorf("ogrinfo read %d buildings, want %d", n, len(demo.Buildings))
	}
	t.Logf("GDAL read %d buildings in %d item pages in %v", len(demo.Buildings), pages.Load(), time.Since(start).Round(time.Millisecond))
	// a spatial filter goes to the server as bbox
	c := demo.Buildings[len(demo.Buildings)/3].Entrance
	box := ogcBox{Min: orb.Point{c[0] - 0.004, c[1] - 0.003}, Max: orb.Point{c[0] + 0.004, c[1] + 0.003}}
	pages.Store(0)
	out = run("-ro", "-so", "-spat", fmt.Sprint(box.Min[0]), fmt.Sprint(box.Min[1]), fmt.Sprint(box.Max[0]), fmt.Sprint(box.Max[1]), root, "buildings")
	fc := ogcItemsOf(t, s, "/collections/buildings/items?limit=1&bbox="+box.str())
	if *fc.NumberMatched == 0 || !strings.Contains(out, "Feature Count: "+strconv.Itoa(*fc.NumberMatched)) {
		t.Errorf("ogrinfo -spat buildings (server says %d match):\n%s", *fc.NumberMatched, out)
	}
	t.Logf("GDAL spatial filter: %d buildings in %d item pages", *fc.NumberMatched, pages.Load())
}

func BenchmarkOGCItemsBBox(b *testing.B) {
	s := testServer(b, Config{})
	// about 1 km square around a building in the middle of the layer
	c := demo.Buildings[len(demo.Buildings)/2].Entrance
	box := ogcBox{Min: orb.Point{c[0] - 0.005, c[1] - 0.005}, Max: orb.Point{c[0] + 0.005, c[1] + 0.005}}.str()
	for _, limit := range []int{1, 100} {
		target := fmt.Sprintf("/collections/buildings/items?limit=%d&bbox=%s", limit, box)
		fc := ogcItemsOf(b, s, target)
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			b.Logf("%d of %d buildings match, %d returned", *fc.NumberMatched, len(demo.Buildings), len(fc.Features))
			b.ReportAllocs()
			for b.Loop() {
				w := ogcGet(b, s, target)
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

func BenchmarkOGCItemsPage(b *testing.B) {
	s := testServer(b, Config{})
	b.ReportAllocs()
	for b.Loop() {
		w := ogcGet(b, s, "/collections/grids/items?limit=1000")
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// The API definition is a valid OpenAPI 3.0 document, by an independent
// validator (github.com/getkin/kin-openapi).
func TestOGCOpenAPIValidates(t *testing.T) {
	s := testServer(t, Config{})
	w := ogcGet(t, s, "/api")
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(w.Body.Bytes())
	if err != nil {
		t.Fatalf("kin-openapi cannot load /api: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/api is not a valid OpenAPI 3.0 document: %v", err)
	}
	for _, p := range []string{"/", "/conformance", "/api", "/collections", "/collections/{collectionId}", "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}"} {
		if doc.Paths.Find(p) == nil {
			t.Errorf("/api does not describe %s", p)
		}
	}
}
