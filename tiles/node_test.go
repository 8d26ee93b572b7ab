package tiles

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNodeDecoderAndStyle checks tiles with @mapbox/vector-tile and the
// style with @maplibre/maplibre-gl-style-spec's validator, through
// testdata/stylecheck/check.mjs. The npm packages are installed there from
// the registry on first use (node_modules is not committed); the test
// skips, loudly, when node or the packages cannot be had.
func TestNodeDecoderAndStyle(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIP: node is not installed")
	}
	dir, _ := filepath.Abs("testdata/stylecheck")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@maplibre", "maplibre-gl-style-spec")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skip("SKIP: npm is not installed")
		}
		cmd := exec.Command(npm, "install", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("SKIP: npm install failed (offline?): %v\n%s", err, out)
		}
	}
	_, tl := demo(t)
	tmp := t.TempDir()
	style, _ := json.Marshal(tl.Style("http://localhost/tiles.json"))
	stylePath := filepath.Join(tmp, "style.json")
	os.WriteFile(stylePath, style, 0o644)
	args := []string{filepath.Join(dir, "check.mjs"), stylePath}
	want := map[string]map[string]int{}
	per := 3
	if heavy() {
		per = 0
	}
	for z := 8; z <= 16; z++ {
		for _, k := range sample(tl, z, per) {
			b, err := tl.Tile(z, int(k.X), int(k.Y))
			if err != nil || len(b) == 0 {
				continue
			}
			p := filepath.Join(tmp, fmt.Sprintf("%d-%d-%d.mvt", z, k.X, k.Y))
			os.WriteFile(p, b, 0o644)
			args = append(args, p)
			want[p] = map[string]int{}
			for name, l := range decode(t, b) {
				want[p][name] = len(l.Features)
			}
		}
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node check.mjs: %v\n%s", err, out)
	}
	var rep struct {
		StyleErrors []string
		Tiles       map[string]struct {
			Layers   map[string]int
			Problems []string
		}
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	for _, e := range rep.StyleErrors {
		t.Errorf("style: %s", e)
	}
	if len(rep.Tiles) != len(want) {
		t.Fatalf("node decoded %d tiles, want %d", len(rep.Tiles), len(want))
	}
	for p, got := range rep.Tiles {
		if fmt.Sprint(got.Layers) != fmt.Sprint(want[p]) {
			t.Errorf("%s: @mapbox/vector-tile counts %v, orb %v", filepath.Base(p), got.Layers, want[p])
		}
		for _, pr := range got.Problems {
			t.Errorf("%s: %s", filepath.Base(p), pr)
		}
	}
	t.Logf("node decoded %d tiles; style valid: %v", len(rep.Tiles), len(rep.StyleErrors) == 0)
}
