package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo"
)

type memStore struct{ c *data.City }

func (m memStore) Load(context.Context) (*data.City, error) { return m.c, nil }

var (
	demoOnce sync.Once
	demo     *data.City
)

// demoCity generates the tests' demo city once (seed 1, 50 incidents).
func demoCity(t testing.TB) *data.City {
	t.Helper()
	demoOnce.Do(func() {
		c, err := synth.City(synth.Options{Seed: 1, Incidents: 50})
		if err != nil {
			t.Fatal(err)
		}
		demo = c
	})
	if demo == nil {
		t.Fatal("the demo city was not generated")
	}
	return demo
}

func testServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	cfg.Store = memStore{demoCity(t)}
	if cfg.HeavyAnonRate == 0 {
		cfg.HeavyAnonRate = -1 // the tests of the limit set their own
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(t testing.TB, h http.Handler, method, url, ctype, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, url, strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestLocateGET(t *testing.T) {
	s := testServer(t, Config{PersonalTokens: []string{"secret"}})
	g := demo.Grids[100]
	// the centre of one of its buildings is inside the grid
	var b data.Building
	for _, x := range demo.Buildings {
		if x.GridCode == g.Code {
			b = x
			break
		}
	}
	p := b.Geom[0][0]
	q := b.Geom[0][2]
	lon, lat := (p[0]+q[0])/2, (p[1]+q[1])/2
	w := do(t, s, "GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", lon, lat), "", "")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var a LocateAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if a.Match != "inside" || a.Grid == nil || a.Grid.Code != g.Code {
		t.Fatalf("got %+v, want grid %s", a, g.Code)
	}
	if a.Grid.Community.Code != g.CommunityCode || a.Street.Code != g.StreetCode || a.District.Code != g.DistrictCode {
		t.Errorf("hierarchy disagrees with the model: %+v", a.Grid)
	}
	if len(a.Grid.Cadres) == 0 || a.NearestStation == nil || a.NearestStation.DistanceM <= 0 {
		t.Errorf("missing cadres or station: %+v", a)
	}
	phone := regexp.MustCompile(`1\d{10}`)
	if phone.Match(w.Body.Bytes()) || strings.Contains(w.Body.String(), g.Head.Name) && len([]rune(g.Head.Name)) > 1 {
		t.Errorf("anonymous answer shows a phone or name: %s", w.Body)
	}
	// the personal role sees them
	w = do(t, s, "GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", lon, lat), "", "", "Authorization", "Bearer secret")
	if !strings.Contains(w.Body.String(), g.Head.Phone) {
		t.Errorf("personal caller does not see the head's phone")
	}
	w = do(t, s, "GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", lon, lat), "", "", "Authorization", "Bearer wrong")
	if phone.Match(w.Body.Bytes()) {
		t.Errorf("wrong token sees phones")
	}
	// GCJ-02 input gives the same grid
	gp := geo.WGS84ToGCJ02([2]float64{lon, lat})
	w = do(t, s, "GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v&crs=gcj02", gp[0], gp[1]), "", "")
	json.Unmarshal(w.Body.Bytes(), &a)
	if a.Grid == nil || a.Grid.Code != g.Code {
		t.Errorf("gcj02 input located to %+v", a.Grid)
	}
	// far outside: no grid, honest answer
	w = do(t, s, "GET", "/api/v1/locate?lon=100&lat=20", "", "")
	var far LocateAnswer
	json.Unmarshal(w.Body.Bytes(), &far)
	if w.Code != 200 || far.Match != "none" || far.Grid != nil {
		t.Errorf("far point: %d %s", w.Code, w.Body)
	}
}

func TestLocateBadInput(t *testing.T) {
	s := testServer(t, Config{MaxBodyBytes: 1 << 10, MaxBatchBytes: 1 << 12})
	for _, tc := range []struct {
		name, method, url, ctype, body string
		code                           int
	}{
		{"missing", "GET", "/api/v1/locate", "", "", 400},
		{"non-numeric", "GET", "/api/v1/locate?lon=abc&lat=34.8", "", "", 400},
		{"NaN", "GET", "/api/v1/locate?lon=NaN&lat=34.8", "", "", 400},
		{"Inf", "GET", "/api/v1/locate?lon=117.5&lat=Inf", "", "", 400},
		{"lon out of range", "GET", "/api/v1/locate?lon=181&lat=34.8", "", "", 400},
		{"lat out of range", "GET", "/api/v1/locate?lon=117.5&lat=-91", "", "", 400},
		{"wrong crs", "GET", "/api/v1/locate?lon=117.5&lat=34.8&crs=bd09", "", "", 400},
		{"batch wrong crs", "POST", "/api/v1/locate?crs=xx", "text/csv", "a,117.5,34.8\n", 400},
		{"batch wrong type", "POST", "/api/v1/locate", "application/xml", "<x/>", 415},
		{"batch bad geojson", "POST", "/api/v1/locate", "application/geo+json", "{nope", 400},
		{"oversized batch", "POST", "/api/v1/locate", "text/csv", strings.Repeat("a,117.5,34.8\n", 1000), 413},
		{"unknown endpoint", "GET", "/api/v1/nope", "", "", 404},
		{"unknown layer", "GET", "/api/v1/layers/nope", "", "", 404},
		{"bad bbox", "GET", "/api/v1/layers/grids?bbox=1,2,3", "", "", 400},
		{"bad limit", "GET", "/api/v1/layers/grids?limit=-1", "", "", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, s, tc.method, tc.url, tc.ctype, tc.body)
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			if tc.code != 200 && !strings.Contains(w.Header().Get("Content-Type"), "json") {
				t.Errorf("error body is not JSON: %q", w.Header().Get("Content-Type"))
			}
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Errorf("no JSON error body: %s", w.Body)
			}
		})
	}
}

func TestLocateBatchCSV(t *testing.T) {
	s := testServer(t, Config{})
	g := demo.Grids[7]
	b := demo.Buildings[0]
	for _, x := range demo.Buildings {
		if x.GridCode == g.Code {
			b = x
			break
		}
	}
	body := fmt.Sprintf("id,lon,lat\np1,%v,%v\nbad,abc,34\np2,100,20\nshort,1\n", b.Entrance[0], b.Entrance[1]+0.00005)
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/v1/locate", "text/csv", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if resp.StatusCode != 200 || len(lines) != 5 {
		t.Fatalf("status %d, %d lines:\n%s", resp.StatusCode, len(lines), out)
	}
	if lines[0] != "id,grid_code,community_code,street_code,district_code,match,distance_m" {
		t.Errorf("header %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "p1,"+g.Code+","+g.CommunityCode+","+g.StreetCode+","+g.DistrictCode+",inside") {
		t.Errorf("row 1 %q, want grid %s", lines[1], g.Code)
	}
	if !strings.Contains(lines[2], "error") || !strings.Contains(lines[3], "none") || !strings.Contains(lines[4], "error") {
		t.Errorf("rows: %q", lines[2:])
	}
	if e := resp.Trailer.Get("X-Gridmap-Row-Errors"); !strings.Contains(e, "line 3") || !strings.Contains(e, "line 5") {
		t.Errorf("row errors trailer %q does not name lines 3 and 5", e)
	}
}

func TestLayersAndHealth(t *testing.T) {
	s := testServer(t, Config{})
	for _, u := range []string{"/healthz", "/readyz", "/api/v1/layers"} {
		if w := do(t, s, "GET", u, "", ""); w.Code != 200 {
			t.Errorf("%s: %d", u, w.Code)
		}
	}
	w := do(t, s, "GET", "/api/v1/layers/grids?limit=5&offset=2", "", "")
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
		NumberReturned int `json:"numberReturned"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	if fc.NumberReturned != 5 || fc.Features[0].Properties["code"] != demo.Grids[2].Code {
		t.Errorf("paging: %d features, first %v", fc.NumberReturned, fc.Features[0].Properties["code"])
	}
	if regexp.MustCompile(`1\d{10}`).Match(w.Body.Bytes()) {
		t.Error("layer GeoJSON leaks phone numbers")
	}
}

func BenchmarkLocateHandler(b *testing.B) {
	s := testServer(b, Config{})
	g := demo.Grids[500].Geom.Bound().Center()
	url := fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", g[0], g[1])
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", url, nil)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
		}
	})
}

// TestLocateBatchLarge streams a batch much larger than net/http's
// unread-body allowance and checks every row comes back, in order.
func TestLocateBatchLarge(t *testing.T) {
	s := testServer(t, Config{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	const n = 200000
	var body strings.Builder
	body.WriteString("id,lon,lat\n")
	b := demo.Grids[0].Geom.Bound()
	for i := 0; i < n; i++ {
		fmt.Fprintf(&body, "%d,%.7f,%.7f\n", i, b.Min[0]+float64(i%1000)/1000*(b.Max[0]-b.Min[0]), b.Min[1]+float64(i%997)/997*(b.Max[1]-b.Min[1]))
	}
	resp, err := http.Post(srv.URL+"/api/v1/locate", "text/csv", strings.NewReader(body.String()))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != n+1 {
		t.Fatalf("%d rows back, want %d (trailer errors %q)", len(lines)-1, n, resp.Trailer.Get("X-Gridmap-Row-Errors"))
	}
	for i, l := range lines[1:] {
		if !strings.HasPrefix(l, fmt.Sprintf("%d,", i)) {
			t.Fatalf("row %d out of order: %q", i, l)
		}
	}
}

// TestLocateFastPathEqualsGeneral compares the cached answer with the
// general encoder's over many points, masked and personal.
func TestLocateFastPathEqualsGeneral(t *testing.T) {
	s := testServer(t, Config{PersonalTokens: []string{"tok"}})
	sn := s.Current()
	for i := 0; i < 400; i++ {
		b := demo.Buildings[(i*37)%len(demo.Buildings)]
		lon, lat := b.Entrance[0]+float64(i%7)*1e-5, b.Entrance[1]+float64(i%5)*2e-5
		for _, personal := range []bool{false, true} {
			hdr := []string{}
			if personal {
				hdr = []string{"Authorization", "Bearer tok"}
			}
			w := do(t, s, "GET", fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", lon, lat), "", "", hdr...)
			want := Locate(sn.Index, [2]float64{lon, lat}, personal)
			want.Query = LocateQuery{Lon: lon, Lat: lat, CRS: "wgs84"}
			wb, _ := json.Marshal(want)
			var got, exp any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("fast path is not JSON: %v\n%s", err, w.Body)
			}
			json.Unmarshal(wb, &exp)
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("fast path differs:\n got %s\nwant %s", w.Body, wb)
			}
		}
	}
}
