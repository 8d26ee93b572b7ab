package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// professionalRate finds the city's 专业化物业服务覆盖率 (num/den) in the
// output of `places rates`: the second rate of the 全市 row.
var professionalRate = regexp.MustCompile(`全市\s+\d+\s+\S+ \(\d+/\d+\)\s+\S+ \((\d+)/(\d+)\)`)

func professional(t *testing.T, out string) (int, int) {
	t.Helper()
	m := professionalRate.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no city row in:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	d, _ := strconv.Atoi(m[2])
	return n, d
}

func TestPlacesCommands(t *testing.T) {
	city := demoCity(t)
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"places", "rates", "--data", city, "--day", "2026-11-30"}, 0, "88.0% ("},
		{[]string{"places", "rates", "--data", city, "--day", "2026-11-30", "--level", "district"}, 0, "370402 市中区"},
		{[]string{"places", "complaints", "--data", city, "--day", "2026-10-31", "--level", "property_status"}, 0, "无物业"},
		{[]string{"places", "services", "--data", city, "--day", "2026-11-30"}, 0, "overdue"},
		{[]string{"places", "services", "--data", city, "--day", "2026-11-30", "--overdue", "--limit", "3"}, 0, "days late"},
		{[]string{"places", "stations", "--data", city, "--day", "2026-11-30"}, 0, "goal 70%: true"},
		{[]string{"places", "check", "--data", city}, 0, ""},
		{[]string{"places"}, 2, ""},
		{[]string{"places", "nope", "--data", city}, 2, ""},
		{[]string{"places", "rates", "--data", city, "--level", "grid"}, 2, ""},
		{[]string{"places", "rates", "--data", city, "--day", "2026-02-30"}, 2, ""},
		{[]string{"places", "export", "--data", city}, 2, ""},
		{[]string{"places", "export", "--data", city, "--list", "people"}, 2, ""},
	} {
		code, out, e := gridmap(t, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.says) {
			t.Errorf("%v: exit %d (want %d)\n%s%s", tc.args[1:3], code, tc.code, out, e)
		}
	}
	// Masked names unless --personal.
	_, masked, _ := gridmap(t, "places", "services", "--data", city, "--day", "2026-11-30", "--overdue", "--limit", "5")
	_, shown, _ := gridmap(t, "places", "services", "--data", city, "--day", "2026-11-30", "--overdue", "--limit", "5", "--personal")
	if !strings.Contains(masked, "*") || strings.Contains(shown, "*") {
		t.Errorf("masking:\n%s\n%s", masked, shown)
	}

	// Export, edit, import: a bad file changes nothing (exit 1 with the
	// row and column), a good one is written.
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "stations.xlsx")
	if code, _, e := gridmap(t, "places", "export", "--data", city, "--list", "stations", "--out", xlsx); code != 0 {
		t.Fatalf("export: %s", e)
	}
	if code, _, e := gridmap(t, "places", "import", "--data", city, "--list", "stations", xlsx); code != 0 {
		t.Fatalf("re-import of the export: %s", e)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("驿站编码,生效日期,建设状态\nNOPE,2026-11-01,建成\n"), 0o644)
	code, out, _ := gridmap(t, "places", "import", "--data", city, "--list", "stations", bad)
	if code != 1 || !strings.Contains(out, "row 2, column 1") || !strings.Contains(out, "no station") {
		t.Errorf("bad import: exit %d %s", code, out)
	}

	_, before, _ := gridmap(t, "places", "rates", "--data", city, "--day", "2026-11-30")
	_, csv, _ := gridmap(t, "places", "export", "--data", city, "--list", "property")
	var compound string
	for _, line := range strings.Split(csv, "\n")[1:] {
		if f := strings.Split(line, ","); len(f) > 3 && f[3] == "专业化物业" {
			compound = f[0]
			break
		}
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("小区编码,生效日期,物业状态\n"+compound+",2026-11-20,无物业\n"), 0o644)
	if code, out, e := gridmap(t, "places", "import", "--data", city, "--list", "property", "--actor", "test", good); code != 0 {
		t.Fatalf("good import: %s %s", out, e)
	}
	_, after, _ := gridmap(t, "places", "rates", "--data", city, "--day", "2026-11-30")
	n0, d0 := professional(t, before)
	if n1, d1 := professional(t, after); n1 != n0-1 || d1 != d0 {
		t.Errorf("the import moved the professional rate from %d/%d to %d/%d, want one compound less:\n%s", n0, d0, n1, d1, after)
	}

	if code, _, e := gridmap(t, "places", "reassess", "--data", city); code != 0 {
		t.Errorf("reassess: %s", e)
	}
}
