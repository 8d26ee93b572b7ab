package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode"
)

// Fuzz targets of the request parsing (make fuzz runs each for minutes;
// plain go test runs their seed corpus): tile paths, query filters and
// incident bodies never answer 5xx, and what they refuse is a 4xx.

var (
	fuzzOnce sync.Once
	fuzzSrv  *Server
	fuzzEnv  *dispatchEnv
)

// fuzzServers shares one plain server and one dispatch server between the
// fuzz workers' runs (building a city per input would dwarf the work).
func fuzzServers(f *testing.F) (*Server, *dispatchEnv) {
	fuzzOnce.Do(func() {
		fuzzSrv = testServer(f, Config{Logger: quietLogger()})
		fuzzEnv = newDispatchEnv(f, Config{Logger: quietLogger()})
	})
	return fuzzSrv, fuzzEnv
}

func serve(h http.Handler, method, path, rawQuery, ctype, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", rawQuery
	req.RequestURI = ""
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// FuzzTilePath: any path under /tiles/ is a tile (200, 204), a bad tile
// address (400, 404), never a server error.
func FuzzTilePath(f *testing.F) {
	for _, s := range []string{"14/13675/6608.mvt", "grids/14/13675/6608.mvt", "0/0/0.mvt", "-1/0/0.mvt", "30/1/1.mvt",
		"14/99999999999999999999/1.mvt", "x/y/z.mvt", "14/1/1.png", "../../etc/passwd", "grids/%00/1/1.mvt", "1_4/1/1.mvt", "+1/0/0.mvt"} {
		f.Add(s)
	}
	s, _ := fuzzServers(f)
	f.Fuzz(func(t *testing.T, p string) {
		w := serve(s, http.MethodGet, "/tiles/"+p, "", "", "")
		switch w.Code {
		case 200, 204, 301, 400, 404, 405: // 301: mux cleans ".." and "//" out of a path
		default:
			t.Fatalf("/tiles/%q: %d %s", p, w.Code, w.Body)
		}
		if w.Code == 200 && w.Header().Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
			t.Fatalf("/tiles/%q: 200 of %s", p, w.Header().Get("Content-Type"))
		}
	})
}

// FuzzQueryFilters: any query string on the incident list and the OGC
// items is an answer or a 400 naming what is wrong, never a 5xx, and a
// query Go's parser would silently drop a part of is never a 200.
func FuzzQueryFilters(f *testing.F) {
	for _, s := range []string{"status=reported,accepted&limit=5", "bbox=117,34,118,35", "bbox=1,1,1,1;x", "grid=NOPE;", "limit=1;DROP",
		"from=2026-11-26T08:00:00Z&to=2026-11-27T08:00:00Z", "category=" + strings.Repeat("a,", 300), "limit=0x10", "offset=-1",
		"escalated=maybe", "%zz=1", "a=%ff", "order=asc&order=desc", "bbox=1_17,34,118,35"} {
		f.Add(s)
	}
	_, env := fuzzServers(f)
	auth := env.auth(RoleViewer)
	f.Fuzz(func(t *testing.T, raw string) {
		_, goErr := url.ParseQuery(raw)
		for _, path := range []string{"/api/v1/incidents", "/collections/incidents/items", "/open311/v2/requests.json"} {
			w := serve(env.s, http.MethodGet, path, raw, "", "", auth...)
			if w.Code >= 500 {
				t.Fatalf("%s?%s: %d %s", path, raw, w.Code, w.Body)
			}
			if goErr != nil && w.Code == 200 {
				t.Fatalf("%s?%s: 200 although Go's parser fails on it (%v)", path, raw, goErr)
			}
			if w.Code >= 400 && !bytes.Contains(w.Body.Bytes(), []byte(`"description"`)) && !bytes.Contains(w.Body.Bytes(), []byte(`"error"`)) {
				t.Fatalf("%s?%s: %d without an error body: %s", path, raw, w.Code, w.Body)
			}
		}
	})
}

// FuzzIncidentBody: any body of POST /api/v1/incidents is created (201) or
// refused with a 4xx, and what is stored holds no control or bidi
// characters.
func FuzzIncidentBody(f *testing.F) {
	_, p := buildingInGrid(f, 300)
	for _, s := range []string{
		pointBody("property.parking", p), `{}`, `{"category":"property.parking"}`, `[]`, `null`, `{"description":"\u0000"}`,
		`{"category":"property.parking","description":"x","lon":1e308,"lat":1}`,
		`{"category":"property.parking","description":"\u202e","lon":117.5,"lat":34.8}`,
		`{"category":"property.parking","description":"x","address":"光明路12号"}`,
		`{"category":"property.parking","description":"x","lon":117.5,"lat":34.8,"caller":{"phone":"☎️"}}`,
	} {
		f.Add(s)
	}
	_, env := fuzzServers(f)
	auth := env.auth(RoleDispatcher)
	f.Fuzz(func(t *testing.T, body string) {
		w := serve(env.s, http.MethodPost, "/api/v1/incidents", "", "application/json", body, auth...)
		switch {
		case w.Code == http.StatusCreated:
			var inc struct{ Description, Address string }
			if err := jsonInto(w.Body.Bytes(), &inc); err != nil {
				t.Fatalf("201 not JSON: %s", w.Body)
			}
			for _, r := range inc.Description + inc.Address {
				if unicode.IsControl(r) && r != '\n' && r != '\t' || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 {
					t.Fatalf("stored U+%04X from %q", r, body)
				}
			}
		case w.Code >= 400 && w.Code < 500:
		default:
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
	})
}
