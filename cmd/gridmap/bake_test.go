package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/server"
	"github.com/gridmap/gridmap/tiles"
)

// pmtilesCLI finds the go-pmtiles CLI: $GRIDMAP_PMTILES, then pmtiles or
// go-pmtiles on PATH. `go install github.com/protomaps/go-pmtiles@v1.31.2`
// puts it there.
func pmtilesCLI() string {
	if p := os.Getenv("GRIDMAP_PMTILES"); p != "" {
		return p
	}
	for _, n := range []string{"pmtiles", "go-pmtiles"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

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
	start := time.Now()
	code, stdout, stderr := gridmap(t, "bake", "--data", city, "--out", out, "--minzoom", "8", "--maxzoom", "16")
	if code != 0 {
		t.Fatalf("bake: exit %d: %s", code, stderr)
	}
	took := time.Since(start)
	t.Logf("%s(bake z8–z16 took %s)", stdout, took.Round(time.Millisecond))
	if took > 30*time.Second {
		t.Errorf("bake took %s, over 30 s", took)
	}

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
	if err != nil || got != want || uint64(got) != h.AddressedTiles {
		t.Fatalf("archive holds %d tiles (header %d), want %d: %v", got, h.AddressedTiles, want, err)
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

	// The reference implementation agrees.
	cli := pmtilesCLI()
	if cli == "" {
		t.Log("SKIP pmtiles verify: no pmtiles CLI (set GRIDMAP_PMTILES or go install github.com/protomaps/go-pmtiles@v1.31.2)")
		return
	}
	if o, err := exec.Command(cli, "verify", out).CombinedOutput(); err != nil || strings.Contains(string(o), "Invalid") {
		t.Fatalf("pmtiles verify: %v\n%s", err, o)
	}
	k := tl.Cover(14)[len(tl.Cover(14))/2]
	o, err := exec.Command(cli, "tile", out, "14", fmt.Sprint(k.X), fmt.Sprint(k.Y)).Output()
	if err != nil {
		t.Fatalf("pmtiles tile: %v", err)
	}
	mine, _ := r.Tile(14, int(k.X), int(k.Y))
	if !bytes.Equal(o, mine) && !bytes.Equal(o, gunzip(t, mine)) {
		t.Errorf("pmtiles tile 14/%d/%d gives %d bytes, the reader %d", k.X, k.Y, len(o), len(mine))
	}
}

func TestBakeBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bake", "--minzoom", "9", "--maxzoom", "8"},
		{"bake", "--maxzoom", "30"},
		{"bake", "--minzoom", "-1"},
		{"bake", "--nope"},
	} {
		if code, _, _ := gridmap(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := gridmap(t, "bake", "--data", filepath.Join(t.TempDir(), "missing.gpkg")); code != 2 {
		t.Errorf("missing store: exit %d, want 2", code)
	}
}
