package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestParseLocateQuery(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		want    locateQuery
		wantErr bool
	}{
		{"lon=117.5&lat=34.8", locateQuery{lon: "117.5", lat: "34.8"}, false},
		{"lat=34.8&lon=117.5&crs=gcj02&fields=grid", locateQuery{lon: "117.5", lat: "34.8", crs: "gcj02", fields: "grid"}, false},
		{"lon=1&lon=2&lat=3", locateQuery{lon: "1", lat: "3"}, false}, // the first wins, as url.Values.Get
		{"&&lon=1&&lat=2&", locateQuery{lon: "1", lat: "2"}, false},
		{"lon=117%2E5&lat=34.8&other=x", locateQuery{lon: "117.5", lat: "34.8"}, false},
		{"fields=grid%2Ccommunity&lon=1&lat=2", locateQuery{lon: "1", lat: "2", fields: "grid,community"}, false},
		{"l%6Fn=1&lat=2", locateQuery{lon: "1", lat: "2"}, false},
		{"lon=+1&lat=2", locateQuery{lon: " 1", lat: "2"}, false},
		{"lon=1;lat=2", locateQuery{}, true},
		{"lon=1&lat=2;x", locateQuery{}, true},
		{"lon=%zz&lat=2", locateQuery{}, true},
		{"lon=1&lat=2&%zz=1", locateQuery{}, true},
		{"", locateQuery{}, false},
	} {
		got, err := parseLocateQuery(tc.raw)
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("%q: got %+v, %v; want %+v, error %v", tc.raw, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestLocateRoutes checks that the fast way (ServeHTTP) and the routed
// handler (front, router, handleLocate) answer every query alike: status,
// content type and body, good queries and bad ones.
func TestLocateRoutes(t *testing.T) {
	s := testServer(t, Config{PersonalTokens: []string{"tok"}})
	g := demo.Grids[100].Geom.Bound().Center()
	in := fmt.Sprintf("lon=%v&lat=%v", g[0], g[1])
	for _, q := range []string{
		in, in + "&crs=gcj02", in + "&fields=grid", in + "&fields=grid,community,street,district,station", in + "&fields=all",
		"lon=100&lat=20", "lon=100&lat=20&fields=grid", in + "&fields=nope", in + "&fields=", in + "&fields=grid,",
		"lon=abc&lat=34.8", "lon=NaN&lat=1", "lon=181&lat=1", "lat=1", "", in + "&crs=bd09", in + ";x=1", "lon=%zz&lat=1",
		"lon=1_17.55&lat=34.8", "lon=117.55&lat=0x1p-2", "lon=117.5e0&lat=34.8",
	} {
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer tok"}, {"Authorization", "Bearer wrong"}} {
			fast := do(t, s, "GET", "/api/v1/locate?"+q, "", "", hdr...)
			r := httptest.NewRequest("GET", "/api/v1/locate?"+q, nil)
			for i := 0; i+1 < len(hdr); i += 2 {
				r.Header.Set(hdr[i], hdr[i+1])
			}
			routed := httptest.NewRecorder()
			s.front(routed, r, s.serveHTTP)
			if fast.Code != routed.Code || fast.Body.String() != routed.Body.String() ||
				fast.Header().Get("Content-Type") != routed.Header().Get("Content-Type") {
				t.Errorf("%q %v: fast %d %q %s, routed %d %q %s", q, hdr, fast.Code, fast.Header().Get("Content-Type"), fast.Body,
					routed.Code, routed.Header().Get("Content-Type"), routed.Body)
			}
			if fast.Code >= 400 && !json.Valid(fast.Body.Bytes()) {
				t.Errorf("%q: error body is not JSON: %s", q, fast.Body)
			}
		}
	}
}

// TestLocateCompact checks fields= against the full card over many
// points: inside, nearest and outside.
func TestLocateCompact(t *testing.T) {
	s := testServer(t, Config{})
	seen := map[string]int{}
	for i := 0; i < 300; i++ {
		b := demo.Buildings[(i*53)%len(demo.Buildings)]
		lon, lat := b.Entrance[0]+float64(i%9-4)*4e-4, b.Entrance[1]+float64(i%7-3)*4e-4
		if i%50 == 0 {
			lon, lat = 100, 20 // outside
		}
		base := fmt.Sprintf("/api/v1/locate?lon=%v&lat=%v", lon, lat)
		var full LocateAnswer
		w := do(t, s, "GET", base, "", "")
		if err := json.Unmarshal(w.Body.Bytes(), &full); err != nil {
			t.Fatal(err)
		}
		w = do(t, s, "GET", base+"&fields=grid,community,street,district,station", "", "")
		var c struct {
			Match       string   `json:"match"`
			DistanceM   *float64 `json:"distance_m"`
			Grid        *string  `json:"grid"`
			NearestGrid *string  `json:"nearest_grid"`
			Community   *string  `json:"community"`
			Street      *string  `json:"street"`
			District    *string  `json:"district"`
			Station     *struct {
				Code      string  `json:"code"`
				DistanceM float64 `json:"distance_m"`
			} `json:"station"`
		}
		dec := json.NewDecoder(strings.NewReader(w.Body.String()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil || w.Code != 200 {
			t.Fatalf("%s: %d %v %s", base, w.Code, err, w.Body)
		}
		seen[c.Match]++
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		area := func(a *Area) string {
			if a == nil {
				return ""
			}
			return a.Code
		}
		if c.Match != full.Match || str(c.Grid) != func() string {
			if full.Grid == nil {
				return ""
			}
			return full.Grid.Code
		}() || str(c.Community) != area(full.Community) || str(c.Street) != area(full.Street) || str(c.District) != area(full.District) {
			t.Errorf("%s: compact %s, full %+v", base, w.Body, full)
		}
		if full.NearestGrid != nil && (str(c.NearestGrid) != full.NearestGrid.Code || c.DistanceM == nil || *c.DistanceM != *full.DistanceM) {
			t.Errorf("%s: compact nearest %s, full %s %v", base, w.Body, full.NearestGrid.Code, *full.DistanceM)
		}
		if (c.Station == nil) != (full.NearestStation == nil) || c.Station != nil && (c.Station.Code != full.NearestStation.Code || c.Station.DistanceM != full.NearestStation.DistanceM) {
			t.Errorf("%s: compact station %s, full %+v", base, w.Body, full.NearestStation)
		}
		// The grid code alone is the smallest answer.
		w = do(t, s, "GET", base+"&fields=grid", "", "")
		if want := `"grid":`; !strings.Contains(w.Body.String(), want) || strings.Contains(w.Body.String(), "community") || w.Body.Len() > 120 {
			t.Errorf("fields=grid: %s", w.Body)
		}
	}
	if seen["inside"] == 0 || seen["nearest"] == 0 || seen["none"] == 0 {
		t.Errorf("matches seen %v: want inside, nearest and none", seen)
	}
	if w := do(t, s, "GET", "/api/v1/locate?lon=117.5&lat=34.8&fields=grid,phone", "", ""); w.Code != 400 || !strings.Contains(w.Body.String(), "phone") {
		t.Errorf("unknown field: %d %s", w.Code, w.Body)
	}
}

// TestLocateFastFront checks the fast way keeps the front's duties: the
// rate limit, a bad token refused, the metrics of the route.
func TestLocateFastFront(t *testing.T) {
	s := testServer(t, Config{AnonRateLimit: 1, RateBurst: 2})
	q := "/api/v1/locate?lon=117.55&lat=34.86&fields=grid"
	codes := []int{}
	for i := 0; i < 4; i++ {
		codes = append(codes, do(t, s, "GET", q, "", "").Code)
	}
	if codes[0] != 200 || codes[3] != http.StatusTooManyRequests {
		t.Errorf("anonymous rate limit: %v", codes)
	}
	s = testServer(t, Config{})
	for i := 0; i < 3; i++ {
		do(t, s, "GET", q, "", "")
	}
	do(t, s, "GET", "/api/v1/locate?lon=x&lat=1", "", "")
	if w := do(t, s, "GET", q, "", "", "Authorization", "Bearer nope"); w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("bad token: %d %v", w.Code, w.Header())
	}
	w := do(t, s, "GET", "/metrics", "", "")
	for _, want := range []string{`route="/api/v1/locate",method="GET",code="200"} 3`, `route="/api/v1/locate",method="GET",code="400"} 1`, `route="/api/v1/locate",method="GET",code="401"} 1`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestLocateNDJSON streams points as NDJSON: every answer is the GET's,
// in order, with the line's id; bad lines answer errors and the rest goes on.
func TestLocateNDJSON(t *testing.T) {
	s := testServer(t, Config{PersonalTokens: []string{"tok"}})
	srv := httptest.NewServer(s)
	defer srv.Close()
	var body strings.Builder
	type pt struct {
		id  string
		lon float64
		lat float64
	}
	var pts []pt
	for i := 0; i < 500; i++ {
		b := demo.Buildings[(i*31)%len(demo.Buildings)]
		pts = append(pts, pt{fmt.Sprint(i), b.Entrance[0] + float64(i%5)*3e-4, b.Entrance[1]})
	}
	for i, p := range pts {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&body, "{\"id\":%q,\"lon\":%v,\"lat\":%v}\n", p.id, p.lon, p.lat)
		case 1:
			fmt.Fprintf(&body, "[%v,%v]\n", p.lon, p.lat)
		case 2:
			fmt.Fprintf(&body, "{\"lat\":%v,\"id\":%s,\"lon\":%v}\n\n", p.lat, p.id, p.lon)
		case 3:
			body.WriteString("{\"id\":\"bad\",\"lon\":\"x\"}\n")
		}
	}
	for _, tc := range []struct{ query, token string }{{"", ""}, {"?fields=grid,station", ""}, {"", "tok"}} {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/locate"+tc.query, strings.NewReader(body.String()))
		req.Header.Set("Content-Type", "application/x-ndjson")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("%v: %d %s", tc, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		i := 0
		for sc.Scan() {
			p := pts[i]
			var got map[string]any
			if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
				t.Fatalf("line %d: %v: %s", i+1, err, sc.Bytes())
			}
			if i%4 == 3 {
				if got["error"] == nil || got["id"] != "bad" {
					t.Errorf("line %d: want an error, got %s", i+1, sc.Bytes())
				}
				i++
				continue
			}
			hdr := []string{}
			if tc.token != "" {
				hdr = []string{"Authorization", "Bearer " + tc.token}
			}
			q := "?"
			if tc.query != "" {
				q = tc.query + "&"
			}
			w := do(t, s, "GET", fmt.Sprintf("/api/v1/locate%slon=%v&lat=%v", q, p.lon, p.lat), "", "", hdr...)
			var want map[string]any
			json.Unmarshal(w.Body.Bytes(), &want)
			switch i % 4 {
			case 0:
				want["id"] = p.id
			case 2:
				want["id"] = float64(i)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%v line %d:\n got %s\nwant %s", tc, i+1, sc.Bytes(), w.Body)
			}
			i++
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("%v: reading the answers: %v", tc, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if i != len(pts) {
			t.Fatalf("%v: %d answers, want %d", tc, i, len(pts))
		}
		if resp.Trailer.Get("X-Gridmap-Rows") != "500" || resp.Trailer.Get("X-Gridmap-Errors") != "125" {
			t.Errorf("trailers %v", resp.Trailer)
		}
	}
	// A bad fields= is refused before anything streams.
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/locate?fields=x", strings.NewReader("[1,2]\n"))
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("fields=x: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

// TestTileRoutes checks the direct tile route answers as the routed one:
// status, headers and body, for good and bad tile paths.
func TestTileRoutes(t *testing.T) {
	s := testServer(t, Config{})
	k := s.tileState().tiler.Cover(13)[3]
	good := fmt.Sprintf("/tiles/13/%d/%d.mvt", k.X, k.Y)
	etag := do(t, s, "GET", good, "", "", "Accept-Encoding", "gzip").Header().Get("ETag")
	for _, path := range []string{good, "/tiles/0/0/0.mvt", "/tiles/a/1/2.mvt", "/tiles/12/1/2.mvt.mvt", "/tiles/99/1/1.mvt",
		"/tiles/12/-1/2.mvt", fmt.Sprintf("/tiles/+13/%d/%d.mvt", k.X, k.Y), "/tiles/12/1.mvt", "/tiles//1/2.mvt", "/tiles/grids/13/1/2.mvt"} {
		for _, hdr := range [][]string{nil, {"Accept-Encoding", "gzip"}, {"Accept-Encoding", "gzip", "If-None-Match", etag}, {"Accept-Encoding", "br;q=1, gzip;q=0"}} {
			direct := do(t, s, "GET", path, "", "", hdr...)
			r := httptest.NewRequest("GET", path, nil)
			for i := 0; i+1 < len(hdr); i += 2 {
				r.Header.Set(hdr[i], hdr[i+1])
			}
			routed := httptest.NewRecorder()
			s.front(routed, r, s.serveHTTP)
			same := direct.Code == routed.Code && direct.Body.String() == routed.Body.String()
			for _, h := range []string{"Content-Type", "Content-Encoding", "Content-Length", "ETag", "Vary", "Cache-Control"} {
				same = same && direct.Header().Get(h) == routed.Header().Get(h)
			}
			if !same {
				t.Errorf("%s %v: direct %d %v, routed %d %v", path, hdr, direct.Code, direct.Header(), routed.Code, routed.Header())
			}
		}
	}
}
