package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/backends"
	"github.com/gridmap/gridmap/data/store/pgtest"
	"github.com/gridmap/gridmap/data/store/storetest"
)

// storeRecords is everything a store holds beyond its layers, read
// through the store interfaces: incidents with their history, the audit
// trail, tokens, rules, plans and layout versions, retired codes, meta,
// the places records.
func storeRecords(t *testing.T, target string) map[string]any {
	t.Helper()
	ctx := context.Background()
	st, err := backends.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]any{}
	recs, _, err := st.Incidents(ctx, store.IncidentFilter{Limit: 1 << 30, Ascending: true})
	if err != nil {
		t.Fatal(err)
	}
	hist := map[string][]data.IncidentEvent{}
	for _, r := range recs {
		_, evs, err := st.Incident(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		hist[r.ID] = evs
	}
	out["incidents"], out["history"] = recs, hist
	out["events"], _ = st.IncidentEvents(ctx, 0, 1<<30)
	out["audit"], _ = st.Audit(ctx, 0)
	out["tokens"], _ = st.Tokens(ctx)
	rules, v, _ := st.Rules(ctx)
	out["rules"], out["rules version"] = string(rules), v
	out["plans"], _ = st.Plans(ctx)
	vs, _ := st.LayoutVersions(ctx)
	out["versions"] = vs
	for _, lv := range vs {
		full, _ := st.LayoutVersion(ctx, lv.Version)
		out["snapshot"+lv.At.String()] = string(full.Snapshot)
	}
	out["retired"], _ = st.RetiredCodes(ctx)
	out["meta"], _ = st.Meta(ctx)
	c, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out["places"] = c.Places
	return out
}

// exports writes every layer of target with its personal fields, as
// `gridmap export --personal` does, from one load of the store; the grids
// go through the command line itself (the store named by a path or a URL).
func exports(t *testing.T, target string) map[string]string {
	t.Helper()
	out := map[string]string{}
	st, c, err := openCity(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, l := range []string{data.LayerDistricts, data.LayerStreets, data.LayerCommunities, data.LayerGrids, data.LayerCompounds,
		data.LayerBuildings, data.LayerRoads, data.LayerStations, data.LayerIncidents, data.LayerCadres, data.LayerReportingUnits} {
		var b strings.Builder
		if err := features.Write(&b, c, l, features.FormatGeoJSON, features.Options{ShowPersonal: true}); err != nil {
			t.Fatalf("export %s %s: %v", target, l, err)
		}
		out[l+".geojson"] = b.String()
	}
	code, o, e := gridmap(t, "export", "--data", target, "--layer", data.LayerGrids, "--format", "geojson", "--personal")
	if code != 0 {
		t.Fatalf("gridmap export %s grids: %s", target, e)
	}
	if o != out[data.LayerGrids+".geojson"] {
		t.Fatalf("gridmap export %s grids differs from the layer's write", target)
	}
	return out
}

// TestCopyRoundTrip copies the demo city, with incidents and their
// lifecycle, tokens, rules and an applied plan, from a GeoPackage to
// PostGIS and back: every export is the same byte for byte and every
// record the same, in both directions; GDAL lists the grids in PostGIS.
func TestCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := demoCity(t)
	// records of every kind
	st, err := backends.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.CreateIncidents(ctx, []store.NewIncident{storetest.NewIncident("k1", "h1"), storetest.NewIncident("k2", "h2")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.UpdateIncident(ctx, res[0].Record.ID, "disp", "dispatcher", func(r *data.IncidentRecord) (data.IncidentEvent, error) {
		return r.Apply(data.TransitionRequest{To: data.StatusAccepted, Note: "收到"}, data.DefaultRules(), time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(ctx, store.Token{ID: "tk_1", Name: "wall", Role: "viewer", Hash: strings.Repeat("cd", 32)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RevokeToken(ctx, "wall", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetRules(ctx, []byte(`{"categories":[]}`), "admin"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if code, _, e := gridmap(t, "plan", "propose", "--data", src, "--street", "370402001", "--budget", "1s", "--save", "--name", "copy-test"); code != 0 {
		t.Fatalf("plan propose: %s", e)
	}
	st, _ = backends.Open(ctx, src)
	plans, _ := st.Plans(ctx)
	st.Close()
	if len(plans) != 1 {
		t.Fatalf("%d plans", len(plans))
	}
	if code, _, e := gridmap(t, "plan", "apply", "--data", src, "--plan", plans[0].ID); code != 0 {
		t.Fatalf("plan apply: %s", e)
	}
	wantExp, wantRec := exports(t, src), storeRecords(t, src)
	if n := len(wantRec["events"].([]data.IncidentEvent)); n < 3 {
		t.Fatalf("%d events before the copy", n)
	}

	pg := pgtest.EmptyDB(t)
	back := filepath.Join(t.TempDir(), "back.gpkg")
	for _, step := range []struct{ from, to string }{{src, pg}, {pg, back}} {
		code, out, e := gridmap(t, "copy", "--from", step.from, "--to", step.to)
		if code != 0 {
			t.Fatalf("copy %s → %s: exit %d: %s", step.from, step.to, code, e)
		}
		if !regexp.MustCompile(`copied .* rows in`).MatchString(out) {
			t.Errorf("copy said %q", out)
		}
		if d := diffMaps(exports(t, step.to), wantExp); d != "" {
			t.Fatalf("%s: export differs after the copy: %s", step.to, d)
		}
		if got := storeRecords(t, step.to); !reflect.DeepEqual(got, wantRec) {
			for k := range wantRec {
				if !reflect.DeepEqual(got[k], wantRec[k]) {
					g, _ := json.Marshal(got[k])
					w, _ := json.Marshal(wantRec[k])
					t.Fatalf("%s: %s differ after the copy:\n got %.600s\nwant %.600s", step.to, k, g, w)
				}
			}
		}
	}
	// the copy goes on numbering where the original stood
	for _, target := range []string{pg, back} {
		st, err := backends.Open(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.CreateIncidents(ctx, []store.NewIncident{storetest.NewIncident("k1", "h1"), storetest.NewIncident("k3", "h3")})
		st.Close()
		if err != nil || !r[0].Replayed || r[0].Record.ID != res[0].Record.ID {
			t.Fatalf("%s: the idempotency key did not survive the copy: %+v %v", target, r, err)
		}
		last := wantRec["events"].([]data.IncidentEvent)
		if r[1].Event.Seq <= last[len(last)-1].Seq {
			t.Errorf("%s: new event %d not after the copied ones", target, r[1].Event.Seq)
		}
	}
	// copying onto a store refuses without --force, and changes nothing
	if code, _, _ := gridmap(t, "copy", "--from", src, "--to", pg); code != 2 {
		t.Errorf("copy onto a store: exit %d, want 2", code)
	}
	if code, _, _ := gridmap(t, "copy", "--from", filepath.Join(t.TempDir(), "none.gpkg"), "--to", filepath.Join(t.TempDir(), "x.gpkg")); code != 2 {
		t.Errorf("copy from nothing: exit %d, want 2", code)
	}
	ogrinfoPG(t, pg)
}

// ogrinfoPG checks that GDAL reads the grids from PostGIS with no
// configuration: 1,230 polygons in EPSG:4326.
func ogrinfoPG(t *testing.T, url string) {
	t.Helper()
	bin, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatal("ogrinfo not installed (scripts/ensure-test-deps.sh installs gdal-bin)")
	}
	out, err := exec.Command(bin, "-ro", "-so", "PG:"+pgConnString(url), "grids").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"Geometry: Polygon", "Feature Count: 1230", `ID["EPSG",4326]`, "community_code: String"} {
		if !strings.Contains(s, want) {
			t.Errorf("ogrinfo PG:… grids lacks %q:\n%s", want, s)
		}
	}
}

// pgConnString turns a postgres:// URL into a libpq keyword string, as
// GDAL's PG: prefix takes it.
func pgConnString(url string) string {
	m := regexp.MustCompile(`^postgres(?:ql)?://([^@/]+)@([^:/]+):(\d+)/([^?]+)`).FindStringSubmatch(url)
	if m == nil {
		return url
	}
	return "host=" + m[2] + " port=" + m[3] + " user=" + m[1] + " dbname=" + m[4]
}

func diffMaps(got, want map[string]string) string {
	for k, w := range want {
		if got[k] != w {
			return k
		}
	}
	return ""
}
