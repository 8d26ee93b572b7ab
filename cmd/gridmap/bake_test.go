package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/server"
	"github.com/gridmap/gridmap/tiles"
	"github.com/protomaps/go-pmtiles/pmtiles"
)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBake(t *testing.T) {
	city := demoCity(t)
	out := filepath.Join(t.TempDir(), "city.pmtiles")
	code, stdout, stderr := gridmap(t, "bake", "--data", city, "--out", out, "--minzoom", "8", "--maxzoom", "16")
	if code != 0 {
		t.Fatalf("bake: exit %d: %s", code, stderr)
	}
	t.Log(stdout)

	// Read it back with the package's reader.
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := tiles.OpenPMTiles(f)
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.MinZoom != 8 || h.MaxZoom != 16 || !h.Clustered || h.TileCompression != 2 || h.TileType != 1 || h.MinLonE7 >= h.MaxLonE7 {
		t.Errorf("header %+v", h)
	}
	var meta struct {
		VectorLayers []tiles.VectorLayer `json:"vector_layers"`
	}
	mb, err := r.Metadata()
	if err != nil || json.Unmarshal(mb, &meta) != nil || len(meta.VectorLayers) != 8 {
		t.Errorf("metadata %s: %v", mb, err)
	}

	// The same city served over HTTP: counts and bytes must agree.
	st, err := backends.Create(context.Background(), city)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := server.New(context.Background(), server.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tl, err := tiles.New(c)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	perZoom := map[int]int{}
	for z := 8; z <= 16; z++ {
		for _, k := range tl.Cover(z) {
			if b, _ := tl.Tile(z, int(k.X), int(k.Y)); len(b) > 0 {
				want++
				perZoom[z]++
			}
		}
	}
	got, prev := 0, uint64(0)
	err = r.Walk(func(id, _ uint64, _ uint32) error {
		if got > 0 && id <= prev {
			return fmt.Errorf("tile ids out of order: %d after %d", id, prev)
		}
		got, prev = got+1, id
		return nil
	})
	if err != nil || got != want || uint64(got) != h.AddressedTilesCount {
		t.Fatalf("archive holds %d tiles (header %d), want %d: %v", got, h.AddressedTilesCount, want, err)
	}
	t.Logf("tiles per zoom: %v", perZoom)
	checked := 0
	for z := 8; z <= 16; z++ {
		cover := tl.Cover(z)
		for _, k := range []int{0, len(cover) / 2, len(cover) - 1} {
			tk := cover[k]
			stored, err := r.Tile(z, int(tk.X), int(tk.Y))
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, httptest.NewRequest("GET", fmt.Sprintf("/tiles/%d/%d/%d.mvt", z, tk.X, tk.Y), nil))
			if stored == nil {
				if w.Code != 204 {
					t.Errorf("%d/%d/%d: not in the archive but HTTP says %d", z, tk.X, tk.Y, w.Code)
				}
				continue
			}
			if w.Code != 200 || !bytes.Equal(gunzip(t, stored), w.Body.Bytes()) {
				t.Errorf("%d/%d/%d: archive and HTTP tiles differ (HTTP %d)", z, tk.X, tk.Y, w.Code)
			}
			checked++
		}
	}
	if checked < 9 {
		t.Errorf("compared only %d tiles", checked)
	}

	// The format's own Go library verifies the archive (header counts,
	// clustered order) …
	var vlog bytes.Buffer
	if err := pmtiles.Verify(log.New(&vlog, "", 0), out); err != nil {
		t.Fatalf("pmtiles.Verify: %v\n%s", err, vlog.String())
	}
	// … and its JavaScript reader, the one the static site uses, reads the
	// same header, metadata and tiles.
	var sample []string
	for z := 8; z <= 16; z += 2 {
		cover := tl.Cover(z)
		for _, k := range []int{0, len(cover) / 3, len(cover) - 1} {
			sample = append(sample, fmt.Sprintf("%d/%d/%d", z, cover[k].X, cover[k].Y))
		}
	}
	sample = append(sample, "3/6/3") // outside the archive's zooms
	js := readWithNodePMTiles(t, out, sample...)
	if js.Header.NumAddressedTiles != h.AddressedTilesCount || js.Header.MinZoom != 8 || js.Header.MaxZoom != 16 || !js.Header.Clustered {
		t.Errorf("npm pmtiles header %+v, Go header %+v", js.Header, h)
	}
	if len(js.Metadata.VectorLayers) != len(meta.VectorLayers) {
		t.Errorf("npm pmtiles metadata has %d vector layers, want %d", len(js.Metadata.VectorLayers), len(meta.VectorLayers))
	}
	for _, k := range sample {
		var z, x, y int
		fmt.Sscanf(k, "%d/%d/%d", &z, &x, &y)
		var stored []byte
		if z >= 8 {
			stored, _ = r.Tile(z, x, y)
		}
		got := js.Tiles[k]
		switch {
		case stored == nil && got != nil:
			t.Errorf("%s: npm pmtiles finds a tile the Go reader does not", k)
		case stored != nil && got == nil:
			t.Errorf("%s: npm pmtiles finds no tile", k)
		case stored != nil:
			raw := gunzip(t, stored)
			if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != got.SHA256 || got.Length != len(raw) {
				t.Errorf("%s: npm pmtiles reads %d bytes %s, the Go reader %d", k, got.Length, got.SHA256, len(raw))
			}
		}
	}
}

type nodePMTiles struct {
	Header struct {
		NumAddressedTiles uint64 `json:"numAddressedTiles"`
		MinZoom           uint8  `json:"minZoom"`
		MaxZoom           uint8  `json:"maxZoom"`
		Clustered         bool   `json:"clustered"`
	} `json:"header"`
	Metadata struct {
		VectorLayers []tiles.VectorLayer `json:"vector_layers"`
	} `json:"metadata"`
	Tiles map[string]*struct {
		SHA256 string `json:"sha256"`
		Length int    `json:"length"`
	} `json:"tiles"`
}

// readWithNodePMTiles reads an archive with the pmtiles npm package
// (frontend/scripts/pmtiles-read.mjs; `make frontend` installs it).
func readWithNodePMTiles(t *testing.T, archive string, tiles ...string) nodePMTiles {
	t.Helper()
	var res nodePMTiles
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIP npm pmtiles reader: node is not installed")
	}
	dir, _ := filepath.Abs("../../frontend")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "pmtiles", "package.json")); err != nil {
		t.Skip("SKIP npm pmtiles reader: frontend/node_modules/pmtiles is missing (make frontend)")
	}
	out, err := exec.Command(node, append([]string{filepath.Join(dir, "scripts", "pmtiles-read.mjs"), archive}, tiles...)...).Output()
	if err != nil {
		t.Fatalf("npm pmtiles reader: %v", err)
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("npm pmtiles reader: %v: %s", err, out)
	}
	return res
}

func TestBakeBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bake", "--minzoom", "9", "--maxzoom", "8"},
		{"bake", "--maxzoom", "30"},
		{"bake", "--minzoom", "-1"},
		{"bake", "--nope"},
		{"bake", "--out", "a.pmtiles", "--site", "site"},
	} {
		if code, _, _ := gridmap(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := gridmap(t, "bake", "--data", filepath.Join(t.TempDir(), "missing.gpkg")); code != 2 {
		t.Errorf("missing store: exit %d, want 2", code)
	}
}

// TestBakeSite writes a static site and checks its parts: the page and its
// libraries, a style over the archive beside it, the key figures, a
// verified archive. (frontend/e2e/site.test.mjs shows it in Chromium from
// a plain static server.)
func TestBakeSite(t *testing.T) {
	city := demoCity(t)
	dir := filepath.Join(t.TempDir(), "site")
	code, stdout, stderr := gridmap(t, "bake", "--data", city, "--site", dir, "--minzoom", "10", "--maxzoom", "12")
	if code != 0 {
		t.Fatalf("bake --site: exit %d: %s", code, stderr)
	}
	t.Log(stdout)
	for _, f := range []string{"index.html", "site.js", "wall.css", "fatal.js", "style.json", "city.json", "city.pmtiles",
		"vendor/maplibre-gl/maplibre-gl.mjs", "vendor/maplibre-gl/maplibre-gl-worker.mjs", "vendor/maplibre-gl/maplibre-gl.css", "vendor/pmtiles/pmtiles.js"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("site lacks %s: %v", f, err)
		}
	}
	var style struct {
		Sources map[string]struct {
			URL string `json:"url"`
		} `json:"sources"`
		Layers []map[string]any `json:"layers"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "style.json"))
	if err := json.Unmarshal(b, &style); err != nil || style.Sources["gridmap"].URL != "pmtiles://city.pmtiles" || len(style.Layers) < 5 {
		t.Errorf("style.json: %v %+v", err, style.Sources)
	}
	var stats server.Stats
	b, _ = os.ReadFile(filepath.Join(dir, "city.json"))
	if err := json.Unmarshal(b, &stats); err != nil || stats.Grids != 1230 || stats.CoveragePct <= 0 || len(stats.ByDistrict) != 6 {
		t.Errorf("city.json: %v grids %d coverage %v districts %d", err, stats.Grids, stats.CoveragePct, len(stats.ByDistrict))
	}
	var vlog bytes.Buffer
	if err := pmtiles.Verify(log.New(&vlog, "", 0), filepath.Join(dir, "city.pmtiles")); err != nil {
		t.Errorf("pmtiles.Verify: %v\n%s", err, vlog.String())
	}
	// Baking again over the same folder replaces the site, leaving no
	// temporary files.
	if code, _, stderr := gridmap(t, "bake", "--data", city, "--site", dir, "--minzoom", "10", "--maxzoom", "11"); code != 0 {
		t.Fatalf("second bake --site: exit %d: %s", code, stderr)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}
