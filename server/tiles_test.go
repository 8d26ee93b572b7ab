package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// gridTile returns a z14 tile of the demo city that holds grids.
func gridTile(t testing.TB, s *Server) maptile.Tile {
	t.Helper()
	st := s.tileState()
	for _, k := range st.tiler.Cover(14) {
		b, err := st.tiler.Tile(14, int(k.X), int(k.Y))
		if err != nil {
			t.Fatal(err)
		}
		ls, _ := mvt.Unmarshal(b)
		for _, l := range ls {
			if l.Name == "grids" && len(l.Features) > 5 {
				return k
			}
		}
	}
	t.Fatal("no z14 tile with grids")
	return maptile.Tile{}
}

func tilePath(k maptile.Tile) string { return fmt.Sprintf("/tiles/%d/%d/%d.mvt", k.Z, k.X, k.Y) }

func TestTileEndpoint(t *testing.T) {
	s := testServer(t, Config{})
	k := gridTile(t, s)
	want, _ := s.tileState().tiler.Tile(int(k.Z), int(k.X), int(k.Y))

	// Plain, then gzip, then revalidation.
	w := do(t, s, "GET", tilePath(k), "", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/vnd.mapbox-vector-tile" || w.Header().Get("Content-Encoding") != "" {
		t.Fatalf("plain: %d %v", w.Code, w.Header())
	}
	if !bytes.Equal(w.Body.Bytes(), want) {
		t.Fatal("plain body differs from the tiler's tile")
	}
	etag := w.Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || w.Header().Get("Cache-Control") == "" || !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
		t.Errorf("headers %v", w.Header())
	}
	w = do(t, s, "GET", tilePath(k), "", "", "Accept-Encoding", "br, gzip;q=0.8")
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %d %v", w.Code, w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if !bytes.Equal(got, want) {
		t.Fatal("gunzipped body differs")
	}
	gzTag := w.Header().Get("ETag")
	if gzTag == etag {
		t.Error("gzip and identity share an ETag")
	}
	for _, c := range []struct {
		name, inm, ae string
		code          int
	}{
		{"match", etag, "", 304},
		{"match gzip", gzTag, "gzip", 304},
		{"weak form", "W/" + etag, "", 304},
		{"in a list", `"x", ` + etag, "", 304},
		{"star", "*", "", 304},
		{"other encoding's tag", gzTag, "", 200},
		{"stale", `"nope"`, "", 200},
		{"gzip refused", "", "gzip;q=0", 200},
	} {
		w := do(t, s, "GET", tilePath(k), "", "", "If-None-Match", c.inm, "Accept-Encoding", c.ae)
		if w.Code != c.code {
			t.Errorf("%s: %d, want %d", c.name, w.Code, c.code)
		}
		if c.code == 304 && w.Body.Len() != 0 {
			t.Errorf("%s: 304 with a body", c.name)
		}
		if c.name == "gzip refused" && w.Header().Get("Content-Encoding") != "" {
			t.Errorf("gzip sent though q=0")
		}
	}
	if w := do(t, s, "HEAD", tilePath(k), "", ""); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
	// A tile far from the city is empty.
	if w := do(t, s, "GET", "/tiles/14/0/0.mvt", "", ""); w.Code != 204 {
		t.Errorf("empty tile: %d", w.Code)
	}
	// One layer.
	w = do(t, s, "GET", fmt.Sprintf("/tiles/grids/%d/%d/%d.mvt", k.Z, k.X, k.Y), "", "")
	ls, err := mvt.Unmarshal(w.Body.Bytes())
	if w.Code != 200 || err != nil || len(ls) != 1 || ls[0].Name != "grids" {
		t.Errorf("layer tile: %d %v %d layers", w.Code, err, len(ls))
	}
}

func TestTileBadCoordinates(t *testing.T) {
	s := testServer(t, Config{})
	for _, c := range []struct {
		path string
		code int
	}{
		{"/tiles/a/1/1.mvt", 400},
		{"/tiles/1/x/1.mvt", 400},
		{"/tiles/1/1/1.5.mvt", 400},
		{"/tiles/99999999999999999999/0/0.mvt", 400},
		{"/tiles/17/0/0.mvt", 404},
		{"/tiles/-1/0/0.mvt", 404},
		{"/tiles/3/8/0.mvt", 404},
		{"/tiles/3/0/8.mvt", 404},
		{"/tiles/3/0/-1.mvt", 404},
		{"/tiles/3/0/0.png", 404},
		{"/tiles/3/0", 404},
		{"/tiles/nolayer/3/0/0.mvt", 404},
		{"/tiles/grids/3/9/0.mvt", 404},
		{"/tiles/grids/q/0/0.mvt", 400},
	} {
		w := do(t, s, "GET", c.path, "", "")
		var body struct {
			Error  string `json:"error"`
			Status int    `json:"status"`
		}
		if w.Code != c.code || json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Error == "" || body.Status != c.code {
			t.Errorf("%s: %d %q, want %d with a JSON error", c.path, w.Code, w.Body.String(), c.code)
		}
	}
}

func TestTileJSONAndStyle(t *testing.T) {
	s := testServer(t, Config{})
	w := do(t, s, "GET", "/tiles.json", "", "", "Host", "maps.example:9000")
	var tj struct {
		TileJSON     string    `json:"tilejson"`
		Tiles        []string  `json:"tiles"`
		Bounds       []float64 `json:"bounds"`
		Center       []float64 `json:"center"`
		MinZoom      *int      `json:"minzoom"`
		MaxZoom      *int      `json:"maxzoom"`
		VectorLayers []struct {
			ID      string            `json:"id"`
			Fields  map[string]string `json:"fields"`
			MinZoom *int              `json:"minzoom"`
			MaxZoom *int              `json:"maxzoom"`
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tj); err != nil || w.Code != 200 {
		t.Fatalf("tiles.json: %d %v", w.Code, err)
	}
	r, _ := http.NewRequest("GET", "/tiles.json", nil)
	r.Host = "maps.example:9000"
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || len(tj.Bounds) != 4 || len(tj.Center) != 3 || tj.MinZoom == nil || tj.MaxZoom == nil {
		t.Fatalf("tilejson %+v", tj)
	}
	if !strings.HasSuffix(tj.Tiles[0], "/tiles/{z}/{x}/{y}.mvt") || !strings.HasPrefix(tj.Tiles[0], "http://") {
		t.Errorf("tiles url %q", tj.Tiles[0])
	}
	layers := map[string]bool{}
	for _, l := range tj.VectorLayers {
		layers[l.ID] = true
		if len(l.Fields) == 0 || l.MinZoom == nil || l.MaxZoom == nil {
			t.Errorf("layer %s lacks fields or zooms", l.ID)
		}
	}
	if len(layers) != 8 {
		t.Errorf("vector_layers %v", layers)
	}

	w = do(t, s, "GET", "/style.json", "", "")
	var style map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &style); err != nil || w.Code != 200 {
		t.Fatalf("style.json: %d %v", w.Code, err)
	}
	if _, ok := style["glyphs"]; ok {
		t.Error("style names glyphs: it would need the internet")
	}
	if _, ok := style["sprite"]; ok {
		t.Error("style names a sprite")
	}
	src := style["sources"].(map[string]any)["gridmap"].(map[string]any)
	if u, _ := src["url"].(string); !strings.HasSuffix(u, "/tiles.json") {
		t.Errorf("source url %q", u)
	}
	for _, l := range style["layers"].([]any) {
		m := l.(map[string]any)
		if m["type"] == "symbol" {
			t.Errorf("layer %v is a symbol layer: needs glyphs", m["id"])
		}
		if sl, ok := m["source-layer"].(string); ok && !layers[sl] {
			t.Errorf("layer %v draws unknown source-layer %s", m["id"], sl)
		}
	}
}

func TestTileCachePerSnapshot(t *testing.T) {
	s := testServer(t, Config{})
	k := gridTile(t, s)
	w1 := do(t, s, "GET", tilePath(k), "", "")
	st := s.tileState()
	if st.cache.Len() == 0 {
		t.Fatal("tile not cached")
	}
	// A change inside the tile drops it (and its ancestors, were they
	// cached), not the far one.
	do(t, s, "GET", "/tiles/14/0/0.mvt", "", "")
	before := st.cache.Len()
	n := s.InvalidateTiles(maptile.New(k.X, k.Y, k.Z).Bound().Pad(-1e-4))
	if n != 1 || st.cache.Len() != before-1 || before != 2 {
		t.Errorf("invalidate dropped %d of %d", n, before)
	}
	// A new snapshot: new cache, new ETags.
	if err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.tileState() == st || s.tileState().cache.Len() != 0 {
		t.Fatal("reload kept the old tile cache")
	}
	w2 := do(t, s, "GET", tilePath(k), "", "")
	if w1.Header().Get("ETag") == w2.Header().Get("ETag") {
		t.Error("ETag unchanged across city versions")
	}
	if w := do(t, s, "GET", tilePath(k), "", "", "If-None-Match", w1.Header().Get("ETag")); w.Code != 200 {
		t.Errorf("old ETag revalidated: %d", w.Code)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                   false,
		"gzip":               true,
		"GZIP":               true,
		"deflate, gzip":      true,
		"gzip;q=0":           false,
		"gzip; q=0.5":        true,
		"*":                  true,
		"*;q=0":              false,
		"identity":           false,
		"gzip;q=0, *":        false,
		"br;q=1.0, x-gzip":   true,
		"gzip;q=nonsense, *": false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}

// BenchmarkTileWarm serves one cached tile through the whole handler,
// gzip accepted, as a wall map client does.
func BenchmarkTileWarm(b *testing.B) {
	s := testServer(b, Config{})
	k := gridTile(b, s)
	path := tilePath(k)
	do(b, s, "GET", path, "", "")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := do(b, s, "GET", path, "", "", "Accept-Encoding", "gzip")
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}
