package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/data/store/pgtest"
)

// gridmap runs one command line in-process and returns its exit code and
// output.
func gridmap(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

var (
	cityOnce sync.Once
	cityDir  string
)

// demoCity generates the seed-1 city once for the package's tests and
// returns a fresh copy of it.
func demoCity(t *testing.T) string {
	t.Helper()
	cityOnce.Do(func() {
		d, err := os.MkdirTemp("", "gridmap-cmd")
		if err != nil {
			t.Fatal(err)
		}
		cityDir = d
		if code, _, e := gridmap(t, "generate", "--out", filepath.Join(d, "city.gpkg"), "--seed", "1"); code != 0 {
			t.Fatalf("generate: exit %d: %s", code, e)
		}
	})
	b, err := os.ReadFile(filepath.Join(cityDir, "city.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "city.gpkg")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if cityDir != "" {
		os.RemoveAll(cityDir)
	}
	os.Exit(code)
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"help"}, 0},
		{[]string{"nope"}, 2},
		{[]string{"generate", "--bogus"}, 2},
		{[]string{"validate", "--help"}, 0},
		{[]string{"validate", "--data", "/nonexistent/city.gpkg"}, 2},
		{[]string{"export", "--layer", "nope"}, 2},
		{[]string{"export", "--format", "shp"}, 2},
		{[]string{"import", "--layer", "buildings", "x.geojson"}, 2},
	} {
		if code, _, _ := gridmap(t, tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.args, code, tc.code)
		}
	}
}

func TestValidateDemoCity(t *testing.T) {
	p := demoCity(t)
	code, out, errs := gridmap(t, "validate", "--data", p, "--no-people")
	if code != 0 {
		t.Fatalf("validate exit %d: %s %s", code, out, errs)
	}
	var rep struct {
		OK     bool           `json:"ok"`
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	want := map[string]int{"districts": 6, "streets": 21, "communities": 206, "grids": 1230, "stations": 997, "cadres": 2580}
	for k, v := range want {
		if rep.Counts[k] != v {
			t.Errorf("%s: %d, want %d", k, rep.Counts[k], v)
		}
	}
}

// TestExportDeterministic generates the same seed twice into two stores and
// compares every layer's export byte for byte. Each store is loaded once
// and every layer written in every format from it (features.Write, what the
// command runs); the command line itself exports one layer per format.
func TestExportDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.gpkg"), filepath.Join(dir, "b.gpkg")
	for _, p := range []string{a, b} {
		if code, _, e := gridmap(t, "generate", "--out", p, "--seed", "5", "--incidents", "300"); code != 0 {
			t.Fatal(e)
		}
	}
	formats := []string{features.FormatGeoJSON, features.FormatGeoJSONSeq, features.FormatCSV}
	for _, format := range formats {
		_, x, e1 := gridmap(t, "export", "--data", a, "--layer", "grids", "--format", format)
		_, y, e2 := gridmap(t, "export", "--data", b, "--layer", "grids", "--format", format)
		if e1 != "" || e2 != "" {
			t.Fatalf("export grids: %s %s", e1, e2)
		}
		if x != y || len(x) < 100 {
			t.Errorf("gridmap export grids --format %s: exports differ or are empty (%d, %d bytes)", format, len(x), len(y))
		}
	}
	load := func(p string) *data.City {
		st, c, err := openCity(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		return c
	}
	ca, cb := load(a), load(b)
	for _, layer := range []string{"districts", "streets", "communities", "grids", "compounds", "buildings", "roads", "stations", "incidents", "cadres", "reporting_units"} {
		for _, format := range formats {
			var x, y bytes.Buffer
			if err := features.Write(&x, ca, layer, format, features.Options{}); err != nil {
				t.Fatalf("%s %s: %v", layer, format, err)
			}
			if err := features.Write(&y, cb, layer, format, features.Options{}); err != nil {
				t.Fatalf("%s %s: %v", layer, format, err)
			}
			if !bytes.Equal(x.Bytes(), y.Bytes()) || x.Len() < 100 {
				t.Errorf("%s %s: exports differ or are empty (%d, %d bytes)", layer, format, x.Len(), y.Len())
			}
		}
	}
	_, x, _ := gridmap(t, "export", "--data", a, "--layer", "buildings", "--format", "geojsonseq")
	first := strings.SplitN(strings.TrimPrefix(x, "\x1e"), "\n", 2)[0]
	var f struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal([]byte(first), &f); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"address", "road", "house_number", "compound", "building_number", "units", "grid_code", "community_code", "street_code", "district_code"} {
		if _, ok := f.Properties[k]; !ok {
			t.Errorf("building export lacks %q: %v", k, f.Properties)
		}
	}
	if ok, _ := regexp.MatchString(`^.+区.+街道.+\p{Han}+\d+号.+\d+号楼$`, f.Properties["address"].(string)); !ok {
		t.Errorf("address %q does not read like a standard address", f.Properties["address"])
	}
}

// TestOgrinfo opens the generated GeoPackage with GDAL.
func TestOgrinfo(t *testing.T) {
	ogr, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Skip("SKIPPED LOUDLY: ogrinfo (Debian gdal-bin) is not installed; `make test` installs it via scripts/ensure-test-deps.sh")
	}
	p := demoCity(t)
	out, err := exec.Command(ogr, "-so", p, "grids").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "Feature Count: 1230") {
		t.Errorf("ogrinfo does not see 1230 grids:\n%s", s)
	}
	if !strings.Contains(s, `ID["EPSG",4326]`) && !strings.Contains(s, `AUTHORITY["EPSG","4326"]`) {
		t.Errorf("ogrinfo does not see EPSG:4326:\n%s", s)
	}
	out, err = exec.Command(ogr, "-ro", "-q", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo list: %v\n%s", err, out)
	}
	for _, l := range []string{"districts", "streets", "communities", "grids", "buildings", "roads", "stations", "incidents"} {
		if !strings.Contains(string(out), l) {
			t.Errorf("ogrinfo does not list layer %s:\n%s", l, out)
		}
	}
}
