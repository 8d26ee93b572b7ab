package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/geo/plan"
)

// movable finds a compound on the border of its grid whose move to the
// neighbouring grid of its community the plan engine accepts, and a
// compound whose move to a far grid of its community it refuses.
func movable(t *testing.T, c *data.City) (okCode, okTo, badCode, badTo string) {
	t.Helper()
	m, err := plan.NewModel(c)
	if err != nil {
		t.Fatal(err)
	}
	for b := range m.Blocks {
		bl := &m.Blocks[b]
		if m.Communities[bl.Community].Fixed != "" {
			continue
		}
		from := m.BaseAssign[b]
		for _, n := range bl.Nbr {
			if n < 0 || m.BaseAssign[n] == from {
				continue
			}
			to := c.Grids[m.BaseAssign[n]].Code
			if _, err := plan.NewPlan(m, nil).ApplyEdit(plan.Edit{Kind: plan.EditMove, Compounds: []string{bl.Compound}, To: to}); err != nil {
				continue
			}
			if okCode == "" {
				okCode, okTo = bl.Compound, to
			}
		}
		if badCode == "" {
			// a grid of the community that touches no block of this one
			for g := range c.Grids {
				gr := &c.Grids[g]
				if gr.CommunityCode != c.Grids[from].CommunityCode || int32(g) == from {
					continue
				}
				near := false
				for _, n := range bl.Nbr {
					if n >= 0 && m.BaseAssign[n] == int32(g) {
						near = true
					}
				}
				if !near {
					badCode, badTo = bl.Compound, gr.Code
					break
				}
			}
		}
		if okCode != "" && badCode != "" {
			return
		}
	}
	t.Fatal("no movable compound in the demo city")
	return
}

// TestPlanGeoPackageRoundTrip: export the layout, reassign a compound with
// GDAL (as a QGIS user would edit the attribute), import it back as a
// validated draft plan, apply it; an edit that breaks contiguity is
// refused with its reason and saves nothing.
func TestPlanGeoPackageRoundTrip(t *testing.T) {
	ogr, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Skip("SKIPPED LOUDLY: ogrinfo (Debian gdal-bin) is not installed; `make test` installs it via scripts/ensure-test-deps.sh")
	}
	city := demoCity(t)
	dir := t.TempDir()
	ex := filepath.Join(dir, "plan.gpkg")
	if code, out, e := gridmap(t, "plan", "export", "--data", city, "--out", ex); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, e)
	}
	st, err := backends.Create(context.Background(), city)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Load(context.Background())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	okCode, okTo, badCode, badTo := movable(t, c)
	edit := func(file, code, grid string) {
		t.Helper()
		sql := "UPDATE compounds SET grid_code = '" + grid + "' WHERE code = '" + code + "'"
		if out, err := exec.Command(ogr, file, "-dialect", "SQLite", "-sql", sql).CombinedOutput(); err != nil {
			t.Fatalf("ogrinfo update: %v\n%s", err, out)
		}
	}
	// Refused: a compound sent to a grid it does not touch.
	bad := filepath.Join(dir, "bad.gpkg")
	if code, _, e := gridmap(t, "plan", "export", "--data", city, "--out", bad); code != 0 {
		t.Fatal(e)
	}
	edit(bad, badCode, badTo)
	code, out, e := gridmap(t, "plan", "import", "--data", city, "--in", bad)
	if code != 1 || !strings.Contains(e, "refused") {
		t.Fatalf("import of a non-contiguous edit: exit %d\n%s%s", code, out, e)
	}
	// Accepted: one compound to its neighbouring grid.
	edit(ex, okCode, okTo)
	code, out, e = gridmap(t, "plan", "import", "--data", city, "--in", ex, "--name", "from QGIS")
	if code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, e)
	}
	id := regexp.MustCompile(`draft plan (P\w+)`).FindStringSubmatch(out)
	if id == nil || !strings.Contains(out, "imported 1 compound moves") {
		t.Fatalf("import output:\n%s", out)
	}
	st, err = backends.Create(context.Background(), city)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := st.Plans(context.Background())
	st.Close()
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans after one refused and one accepted import: %d (%v)", len(plans), err)
	}
	if code, out, e := gridmap(t, "plan", "apply", "--data", city, "--plan", id[1], "--actor", "test"); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, e)
	}
	if code, _, e := gridmap(t, "validate", "--data", city, "--no-people"); code != 0 {
		t.Fatalf("validate after apply: %s", e)
	}
	st, err = backends.Create(context.Background(), city)
	if err != nil {
		t.Fatal(err)
	}
	after, err := st.Load(context.Background())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	base := c.Compound(okCode)
	found := false
	for _, cp := range after.Compounds {
		if cp.Name == base.Name && cp.CommunityCode == base.CommunityCode && cp.Geom.Equal(base.Geom) {
			found = true
			if cp.GridCode != okTo {
				t.Errorf("compound %s is in grid %s after apply, want %s", okCode, cp.GridCode, okTo)
			}
		}
	}
	if !found {
		t.Errorf("compound %s not found after apply", okCode)
	}
	// A stale export is refused.
	if code, _, e := gridmap(t, "plan", "import", "--data", city, "--in", ex); code != 1 || !strings.Contains(e, "export again") {
		t.Errorf("import of a stale export: exit %d: %s", code, e)
	}
}
