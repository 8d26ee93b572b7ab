package tiles

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	ogrOnce sync.Once
	ogrPath string
)

// ogrinfo returns GDAL's ogrinfo, installing gdal-bin through the
// project's scripts/ensure-test-deps.sh when it is missing; the test is
// skipped, loudly, only when that is impossible.
func ogrinfo(t *testing.T) string {
	t.Helper()
	ogrOnce.Do(func() {
		if p, err := exec.LookPath("ogrinfo"); err == nil {
			ogrPath = p
			return
		}
		out, err := exec.Command("bash", "../scripts/ensure-test-deps.sh").CombinedOutput()
		t.Logf("ensure-test-deps: %v %s", err, out)
		ogrPath, _ = exec.LookPath("ogrinfo")
	})
	if ogrPath == "" {
		t.Skip("SKIP: GDAL's ogrinfo is not installed and could not be installed (run scripts/ensure-test-deps.sh as root)")
	}
	return ogrPath
}

var (
	reLayer = regexp.MustCompile(`(?m)^Layer name: (\S+)$[\s\S]*?^Feature Count: (\d+)$`)
	reField = regexp.MustCompile(`(?m)^\s+(\w+) \((?:Integer|Real|Integer64)\) = ([-0-9.e+]+)`)
)

// ogrSQL runs one SQLite-dialect query on a tile and returns its numbers.
func ogrSQL(t *testing.T, path, sql string) map[string]float64 {
	t.Helper()
	out, err := exec.Command(ogrinfo(t), "-ro", "-q", "-dialect", "SQLite", "-sql", sql, path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", sql, err, out)
	}
	m := map[string]float64{}
	for _, f := range reField.FindAllStringSubmatch(string(out), -1) {
		v, _ := strconv.ParseFloat(f[2], 64)
		m[f[1]] = v
	}
	return m
}

// TestGDALReadsTiles writes tiles as {z}/{x}/{y}.mvt and reads them with
// GDAL's MVT driver, an independent decoder: the layers and feature counts
// match ours, every polygon GDAL builds is valid (so rings are wound as the
// spec says: a wrong winding would make GDAL pair rings wrongly), and the
// grids cover exactly the area of the communities.
func TestGDALReadsTiles(t *testing.T) {
	ogr := ogrinfo(t)
	_, tl := demo(t)
	dir := t.TempDir()
	per := 1
	if heavy() {
		per = 8
	}
	for z := 11; z <= 16; z++ {
		ks := urbanTiles(t, tl, z)
		for _, k := range ks[:min(per, len(ks))] {
			b, err := tl.Tile(z, int(k.X), int(k.Y))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprint(z), fmt.Sprint(k.X), fmt.Sprintf("%d.mvt", k.Y))
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{}
			for name, l := range decode(t, b) {
				want[name] = len(l.Features)
			}
			out, err := exec.Command(ogr, "-ro", "-so", "-al", path).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", path, err, out)
			}
			got := map[string]int{}
			for _, m := range reLayer.FindAllStringSubmatch(string(out), -1) {
				got[m[1]], _ = strconv.Atoi(m[2])
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%d/%d/%d: GDAL counts %v, ours %v", z, k.X, k.Y, got, want)
			}
			// One query for every polygon layer of the tile.
			var sel []string
			var layers []string
			for _, layer := range []string{LayerGrids, LayerCommunities, LayerStreets, LayerBuildings} {
				if want[layer] > 0 {
					layers = append(layers, layer)
					sel = append(sel, fmt.Sprintf("(SELECT COUNT(*) FROM %[1]s) AS %[1]s_n, (SELECT SUM(ST_IsValid(geometry)) FROM %[1]s) AS %[1]s_valid, (SELECT SUM(ST_Area(geometry)) FROM %[1]s) AS %[1]s_area", layer))
				}
			}
			if len(sel) == 0 {
				continue
			}
			m := ogrSQL(t, path, "SELECT "+strings.Join(sel, ", "))
			area := map[string]float64{}
			for _, layer := range layers {
				n, valid := m[layer+"_n"], m[layer+"_valid"]
				if n == 0 || valid != n {
					t.Errorf("%d/%d/%d %s: GDAL finds %v of %v polygons valid", z, k.X, k.Y, layer, valid, n)
				}
				area[layer] = m[layer+"_area"]
			}
			if c := area[LayerCommunities]; c > 0 {
				if d := math.Abs(area[LayerGrids]-c) / c; d > 0.001 {
					t.Errorf("%d/%d/%d: GDAL areas: grids %v, communities %v (%.3f%%)", z, k.X, k.Y, area[LayerGrids], c, 100*d)
				}
			}
		}
	}
}
