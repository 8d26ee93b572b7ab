package gpkg

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store/tables"
)

var (
	gdalOnce sync.Once
	gdalPath string
	gdalWhy  string
)

// ensureOgrinfo returns the path of GDAL's ogrinfo, installing Debian's
// gdal-bin when it is missing. It skips the test, saying why, only when
// the install itself is impossible.
func ensureOgrinfo(t *testing.T) string {
	t.Helper()
	gdalOnce.Do(func() {
		if p, err := exec.LookPath("ogrinfo"); err == nil {
			gdalPath = p
			return
		}
		aptGet, err := exec.LookPath("apt-get")
		if err != nil {
			gdalWhy = "ogrinfo is not on PATH and there is no apt-get to install gdal-bin"
			return
		}
		var prefix []string
		if os.Geteuid() != 0 {
			sudo, err := exec.LookPath("sudo")
			if err != nil {
				gdalWhy = "ogrinfo is not on PATH, and installing gdal-bin needs root or sudo"
				return
			}
			prefix = []string{sudo, "-n"}
		}
		run := func(args ...string) (string, error) {
			argv := append(append(append([]string(nil), prefix...), aptGet), args...)
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		t.Log("ogrinfo not found: installing gdal-bin with apt-get")
		if _, err := run("install", "-y", "-q", "gdal-bin"); err != nil {
			if out, err := run("update", "-q"); err != nil {
				gdalWhy = fmt.Sprintf("apt-get update failed: %v\n%s", err, tail(out))
				return
			}
			if out, err := run("install", "-y", "-q", "gdal-bin"); err != nil {
				gdalWhy = fmt.Sprintf("apt-get install gdal-bin failed: %v\n%s", err, tail(out))
				return
			}
		}
		p, err := exec.LookPath("ogrinfo")
		if err != nil {
			gdalWhy = "gdal-bin installed but ogrinfo is still not on PATH"
			return
		}
		gdalPath = p
	})
	if gdalPath == "" {
		t.Skipf("SKIPPING the GDAL conformance check, GDAL could not be installed: %s", gdalWhy)
	}
	return gdalPath
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

func ogrinfo(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(ensureOgrinfo(t), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if s := stderr.String(); strings.Contains(s, "Warning") || strings.Contains(s, "ERROR") {
		t.Errorf("ogrinfo %s complained:\n%s", strings.Join(args, " "), s)
	}
	return string(out)
}

// ogrLayer is what ogrinfo -so says about one layer.
type ogrLayer struct {
	geometry string
	count    int
	epsg4326 bool
}

var (
	reLayer = regexp.MustCompile(`(?m)^Layer name: (\S+)$`)
	reGeom  = regexp.MustCompile(`(?m)^Geometry: (.+)$`)
	reCount = regexp.MustCompile(`(?m)^Feature Count: (\d+)$`)
)

func parseOgrinfo(t *testing.T, out string) map[string]ogrLayer {
	t.Helper()
	layers := map[string]ogrLayer{}
	idx := reLayer.FindAllStringSubmatchIndex(out, -1)
	for i, m := range idx {
		end := len(out)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		block := out[m[0]:end]
		var l ogrLayer
		if g := reGeom.FindStringSubmatch(block); g != nil {
			l.geometry = g[1]
		}
		c := reCount.FindStringSubmatch(block)
		if c == nil {
			t.Fatalf("no feature count for layer %s:\n%s", out[m[2]:m[3]], block)
		}
		l.count, _ = strconv.Atoi(c[1])
		l.epsg4326 = strings.Contains(block, `ID["EPSG",4326]`)
		layers[out[m[2]:m[3]]] = l
	}
	return layers
}

// TestGDALReadsGeoPackage checks that GDAL lists every layer of a written
// file with the right geometry type, feature count and EPSG:4326, finds the
// R-tree spatial index, and that a spatial filter (served by the R-tree)
// returns the right features.
func TestGDALReadsGeoPackage(t *testing.T) {
	ensureOgrinfo(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "city.gpkg")
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c := synthCity(70, 4)
	c.ReportingUnits = smallCity().ReportingUnits
	if err := g.Append(ctx, c); err != nil {
		t.Fatal(err)
	}
	// A Replace goes through the drop-trigger path too.
	if err := g.Replace(ctx, data.LayerGrids, c, data.AuditEntry{Actor: "test", Action: "replace", Target: "grids"}); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}

	type want struct {
		geometry string
		count    int
	}
	wants := map[string]want{
		data.LayerDistricts:         {"Multi Polygon", len(c.Districts)},
		data.LayerStreets:           {"Polygon", len(c.Streets)},
		data.LayerCommunities:       {"Polygon", len(c.Communities)},
		data.LayerGrids:             {"Polygon", len(c.Grids)},
		data.LayerCompounds:         {"Polygon", len(c.Compounds)},
		data.LayerBuildings:         {"Polygon", len(c.Buildings)},
		data.LayerRoads:             {"Line String", len(c.Roads)},
		data.LayerStations:          {"Point", len(c.Stations)},
		data.LayerPOIs:              {"Point", len(c.POIs)},
		data.LayerIncidents:         {"Point", len(c.Incidents)},
		data.LayerCadres:            {"None", len(c.Cadres)},
		tables.TableCadreGrids:      {"None", len(c.Cadres)}, // one grid each
		data.LayerReportingUnits:    {"None", 1},
		tables.TableUnitCommunities: {"None", 1},
		tables.TableAudit:           {"None", 2},
		tables.TableMeta:            {"None", len(c.Meta)},
		// the dispatch flow's tables (incident.go, token.go), empty here
		tables.TableIncidentExt: {"None", 0}, tables.TableIncidentHistory: {"None", 0}, tables.TableIdempotency: {"None", 0},
		tables.TableRules: {"None", 0}, tables.TableTokens: {"None", 0},
		// the planner's tables (plan.go), empty here
		tables.TablePlans: {"None", 0}, tables.TablePlanVersions: {"None", 0}, tables.TableRetiredCodes: {"None", 0},
		// the people records (data/people), none here but the unit's details
		data.LayerStaff: {"None", 0}, data.LayerAssignments: {"None", 0}, tables.TableUnitDetails: {"None", 1},
		data.LayerPairings: {"None", 0}, data.LayerCommitments: {"None", 0}, data.LayerEvaluations: {"None", 0},
		data.LayerContactPoints: {"None", 0},
		// the places records (places.go), empty here
		tables.TableCompanies: {"None", 0}, tables.TableCompanyRecords: {"None", 0}, tables.TableProperty: {"None", 0},
		tables.TableEvaluations: {"None", 0}, tables.TableTeams: {"None", 0}, tables.TableTargets: {"None", 0},
		tables.TableLogs: {"None", 0}, tables.TableStationRecords: {"None", 0}, tables.TableRatings: {"None", 0},
		// the schema versions applied
		tables.TableSchemaMigrations: {"None", len(tables.Migrations)},
	}
	got := parseOgrinfo(t, ogrinfo(t, "-ro", "-so", "-al", path))
	if len(got) != len(wants) {
		t.Errorf("ogrinfo lists %d layers, want %d: %v", len(got), len(wants), got)
	}
	for name, w := range wants {
		l, ok := got[name]
		switch {
		case !ok:
			t.Errorf("ogrinfo does not list layer %s", name)
		case l.geometry != w.geometry || l.count != w.count:
			t.Errorf("layer %s: geometry %q, %d features; want %q, %d", name, l.geometry, l.count, w.geometry, w.count)
		case w.geometry != "None" && !l.epsg4326:
			t.Errorf("layer %s is not in EPSG:4326", name)
		}
	}

	// GDAL's GeoPackage validator, shipped with python3-gdal (which Debian's
	// gdal-bin pulls in), with its extra checks and warnings as errors.
	for _, script := range []string{
		"/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py",
		"/usr/share/doc/python3-gdal/examples/validate_gpkg.py",
	} {
		if _, err := os.Stat(script); err != nil {
			continue
		}
		out, err := exec.Command("python3", script, "--extra", "--warning-as-error", path).CombinedOutput()
		if err != nil {
			t.Errorf("validate_gpkg.py: %v\n%s", err, out)
		}
		break
	}

	one := parseOgrinfo(t, ogrinfo(t, "-ro", "-so", path, "grids"))
	if l := one["grids"]; len(one) != 1 || l.count != len(c.Grids) || !l.epsg4326 {
		t.Errorf("ogrinfo -so file grids: %v", one)
	}

	for _, table := range data.SpatialLayers {
		out := ogrinfo(t, "-ro", path, "-sql", fmt.Sprintf("SELECT HasSpatialIndex('%s', 'geom')", table))
		if !strings.Contains(out, "= 1") {
			t.Errorf("GDAL finds no spatial index on %s:\n%s", table, out)
		}
	}

	// A small box inside the first grid square, outside its compound.
	box := []string{"-spat", "117.50005", "34.80005", "117.50015", "34.80015"}
	for table, n := range map[string]int{"grids": 1, "compounds": 0, "districts": 1} {
		l := parseOgrinfo(t, ogrinfo(t, append(append([]string{"-ro", "-so"}, box...), path, table)...))[table]
		if l.count != n {
			t.Errorf("spatial filter on %s: %d features, want %d", table, l.count, n)
		}
	}
}
