package gpkg

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store/storetest"
	"github.com/gridmap/gridmap/data/store/tables"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	g, err := Open(filepath.Join(t.TempDir(), "city.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

var diffCity = storetest.DiffCity

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	split := func(c *data.City) []*data.City {
		// Stream the city in parts the way the generator does: areas first,
		// then the rest, with compounds in a different part from buildings.
		a := &data.City{Meta: c.Meta, Districts: c.Districts, Streets: c.Streets, Communities: c.Communities, Grids: c.Grids, Compounds: c.Compounds}
		b := &data.City{Buildings: c.Buildings, Roads: c.Roads, Stations: c.Stations, POIs: c.POIs, Cadres: c.Cadres, ReportingUnits: c.ReportingUnits, Incidents: c.Incidents}
		return []*data.City{a, b}
	}
	tests := []struct {
		name  string
		parts func(*data.City) []*data.City
	}{
		{"one part", func(c *data.City) []*data.City { return []*data.City{c} }},
		{"two parts", split},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := openTemp(t)
			want := smallCity()
			for _, p := range tt.parts(want) {
				if err := g.Append(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			got, err := g.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffCity(got, want); d != "" {
				t.Fatal(d)
			}
			if got.Grid("370402001013001") == nil || len(got.CadresOf("370402001013001")) != 1 {
				t.Error("Load did not index the city")
			}
			// The denormalised compound name reached the building address
			// even when the compound came in an earlier part.
			var name string
			if err := g.r.QueryRow("SELECT compound_name FROM buildings WHERE number = 2").Scan(&name); err != nil || name != "幸福家园" {
				t.Errorf("compound_name = %q, %v; want 幸福家园", name, err)
			}
			checkRTree(t, g)
		})
	}
}

// checkRTree checks every feature table has its six triggers, one R-tree
// entry per non-empty geometry, and extents in gpkg_contents.
func checkRTree(t *testing.T, g *Store) {
	t.Helper()
	for _, ft := range tables.All() {
		if ft.Geometry == "" {
			continue
		}
		var n, nrt, ntrig int
		var minX sql.NullFloat64
		q := fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s WHERE geom IS NOT NULL),
			(SELECT count(*) FROM rtree_%[1]s_geom),
			(SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '%[1]s' AND name LIKE 'rtree_%%'),
			(SELECT min_x FROM gpkg_contents WHERE table_name = '%[1]s')`, ft.Name)
		if err := g.r.QueryRow(q).Scan(&n, &nrt, &ntrig, &minX); err != nil {
			t.Fatalf("%s: %v", ft.Name, err)
		}
		if n != nrt || ntrig != 6 || (n > 0 && !minX.Valid) {
			t.Errorf("%s: %d rows, %d rtree entries, %d triggers, min_x %v", ft.Name, n, nrt, ntrig, minX)
		}
	}
}

func TestTriggersUseSTFunctions(t *testing.T) {
	// A client such as GDAL inserts, updates and deletes rows with plain
	// SQL; the standard triggers then call the ST_ functions.
	ctx := context.Background()
	g := openTemp(t)
	b, _, err := encodeGeom(orb.Polygon{rect(1, 2, 3, 4)})
	if err != nil {
		t.Fatal(err)
	}
	pt, _, _ := encodeGeom(orb.Point{5, 6})
	steps := []struct {
		sql  string
		args []any
		want [4]float64 // rtree box of fid 1 after the step; zero: no entry
	}{
		{`INSERT INTO streets (fid, code, name, district_code, geom) VALUES (1, 'x', 'x', 'd', ?)`, []any{b}, [4]float64{1, 3, 2, 4}},
		{`INSERT INTO stations (fid, code, name, kind, status, stars, geom) VALUES (1, 'x', 'x', 'k', 's', 0, ?)`, []any{pt}, [4]float64{1, 3, 2, 4}},
		{`UPDATE streets SET geom = NULL WHERE fid = 1`, nil, [4]float64{}},
		{`UPDATE streets SET geom = ? WHERE fid = 1`, []any{b}, [4]float64{1, 3, 2, 4}},
		{`DELETE FROM streets WHERE fid = 1`, nil, [4]float64{}},
	}
	for _, s := range steps {
		if _, err := g.w.ExecContext(ctx, s.sql, s.args...); err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
		var box [4]float64
		err := g.w.QueryRow(`SELECT minx, maxx, miny, maxy FROM rtree_streets_geom WHERE id = 1`).Scan(&box[0], &box[1], &box[2], &box[3])
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		if box != s.want {
			t.Errorf("after %s: rtree box %v, want %v", s.sql, box, s.want)
		}
	}
	var sx, sy float64
	if err := g.w.QueryRow(`SELECT minx, miny FROM rtree_stations_geom WHERE id = 1`).Scan(&sx, &sy); err != nil || sx != 5 || sy != 6 {
		t.Errorf("point rtree entry: %v %v %v", sx, sy, err)
	}
	// Malformed blobs are rejected by the trigger, not stored.
	if _, err := g.w.ExecContext(ctx, `INSERT INTO streets (code, name, district_code, geom) VALUES ('y', 'y', 'd', x'00')`); err == nil {
		t.Error("a malformed geometry was accepted")
	}
}

func TestReplace(t *testing.T) {
	ctx := context.Background()
	entry := data.AuditEntry{Actor: "planner:li", Action: "replace", Target: "grids", Detail: `{"plan":3}`}
	dupGrids := smallCity()
	dupGrids.Grids[1].Code = dupGrids.Grids[0].Code
	nanGrid := smallCity()
	nanGrid.Grids[1].Geom = orb.Polygon{{{math.NaN(), 1}, {2, 2}, {3, 3}, {math.NaN(), 1}}}
	dupCadre := smallCity()
	dupCadre.Cadres[1].ID = dupCadre.Cadres[0].ID
	newGrids := smallCity()
	newGrids.Grids = newGrids.Grids[:1]
	newGrids.Grids[0].Name = "改名网格"
	newGrids.Grids[0].Geom = orb.Polygon{rect(117.5, 34.81, 117.52, 34.82)}
	newGrids.Compounds[0].Name = "新幸福家园"
	tests := []struct {
		name    string
		layer   string
		city    *data.City
		entry   data.AuditEntry
		wantErr string
	}{
		{"duplicate grid code", data.LayerGrids, dupGrids, entry, "UNIQUE"},
		{"non-finite coordinate", data.LayerGrids, nanGrid, entry, "non-finite"},
		{"duplicate cadre id", data.LayerCadres, dupCadre, entry, "UNIQUE"},
		{"audit entry without actor", data.LayerGrids, newGrids, data.AuditEntry{Action: "replace"}, "actor"},
		{"unknown layer", "parks", newGrids, entry, "unknown layer"},
		{"nil city", data.LayerGrids, nil, entry, "nil city"},
		{"replace grids", data.LayerGrids, newGrids, entry, ""},
		{"replace cadres with none", data.LayerCadres, &data.City{}, entry, ""},
		{"replace compounds", data.LayerCompounds, newGrids, entry, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := openTemp(t)
			if err := g.Append(ctx, smallCity()); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, g)
			err := g.Replace(ctx, tt.layer, tt.city, tt.entry)
			after := snapshot(t, g)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				if !reflect.DeepEqual(before, after) {
					t.Fatalf("a failed Replace changed the file:\nbefore %v\nafter  %v", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := smallCity()
			switch tt.layer {
			case data.LayerGrids:
				want.Grids = tt.city.Grids
			case data.LayerCadres:
				want.Cadres = nil
			case data.LayerCompounds:
				want.Compounds = tt.city.Compounds
				var name string
				if err := g.r.QueryRow("SELECT DISTINCT compound_name FROM buildings").Scan(&name); err != nil || name != "新幸福家园" {
					t.Errorf("building compound_name = %q, %v after replacing compounds", name, err)
				}
			}
			got, err := g.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tt.layer == data.LayerCadres && len(got.Cadres) == 0 {
				got.Cadres = nil
			}
			if d := diffCity(got, want); d != "" {
				t.Fatal(d)
			}
			a, err := g.Audit(ctx, 1)
			if err != nil || len(a) != 1 || a[0].Actor != tt.entry.Actor || a[0].Target != tt.entry.Target {
				t.Fatalf("last audit entry %+v, %v", a, err)
			}
			checkRTree(t, g)
		})
	}
}

// snapshot captures everything a failed write must leave alone.
func snapshot(t *testing.T, g *Store) map[string]string {
	t.Helper()
	c, err := g.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, err := g.Audit(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := map[string]string{"city": fmt.Sprintf("%+v", *c), "audit": fmt.Sprint(a)}
	for _, q := range []string{
		"SELECT group_concat(table_name || last_change || ifnull(min_x, '')) FROM gpkg_contents",
		"SELECT group_concat(name) FROM sqlite_master",
		"SELECT group_concat(id || ':' || minx) FROM rtree_grids_geom",
	} {
		var v sql.NullString
		if err := g.r.QueryRow(q).Scan(&v); err != nil {
			t.Fatal(err)
		}
		s[q] = v.String
	}
	return s
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	g := openTemp(t)
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		e := data.AuditEntry{At: at.Add(time.Duration(i) * time.Second), Actor: "dispatcher:wang", Action: "update", Target: fmt.Sprintf("incident/%d", i), Detail: `{"status":"resolved"}`}
		if err := g.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.AppendAudit(ctx, data.AuditEntry{Actor: "x"}); err == nil {
		t.Error("an entry without an action was accepted")
	}
	tests := []struct {
		limit, want int
	}{{0, 5}, {-1, 5}, {2, 2}, {10, 5}}
	for _, tt := range tests {
		got, err := g.Audit(ctx, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.want {
			t.Fatalf("Audit(%d) returned %d entries, want %d", tt.limit, len(got), tt.want)
		}
		for i, e := range got {
			wantTarget := fmt.Sprintf("incident/%d", 4-i)
			if e.Target != wantTarget || !e.At.Equal(at.Add(time.Duration(4-i)*time.Second)) || e.Seq <= 0 ||
				(i > 0 && e.Seq >= got[i-1].Seq) || e.Actor != "dispatcher:wang" || e.Detail != `{"status":"resolved"}` {
				t.Errorf("Audit(%d)[%d] = %+v", tt.limit, i, e)
			}
		}
	}
	// The trail is append-only, even to SQL.
	for _, q := range []string{"UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"} {
		if _, err := g.w.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only", q, err)
		}
	}
}

func TestMeta(t *testing.T) {
	ctx := context.Background()
	g := openTemp(t)
	if err := g.SetMeta(ctx, map[string]string{"seed": "7", "scale": "demo"}); err != nil {
		t.Fatal(err)
	}
	if err := g.SetMeta(ctx, map[string]string{"seed": "8"}); err != nil {
		t.Fatal(err)
	}
	m, err := g.Meta(ctx)
	if err != nil || !reflect.DeepEqual(m, map[string]string{"seed": "8", "scale": "demo"}) {
		t.Fatalf("Meta = %v, %v", m, err)
	}
	a, err := g.Audit(ctx, 0)
	if err != nil || len(a) != 2 || a[0].Action != "set_meta" || a[0].Detail != `{"keys":["seed"]}` {
		t.Fatalf("audit after SetMeta: %+v, %v", a, err)
	}
}

func TestOpenRefusesOtherDatabases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if g, err := Open(path); err == nil {
		g.Close()
		t.Fatal("opened a non-GeoPackage database")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "x?mode=ro")); err == nil {
		t.Fatal("accepted a path with a query string")
	}
}

// TestDurability writes from a child process that exits without closing
// the store, as if it crashed right after the write was acknowledged, and
// then reopens the file.
func TestDurability(t *testing.T) {
	if path := os.Getenv("GRIDMAP_STORE_CHILD"); path != "" {
		g, err := Open(path)
		if err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		if err := g.Append(context.Background(), smallCity()); err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		if err := g.AppendAudit(context.Background(), data.AuditEntry{Actor: "child", Action: "ack"}); err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		os.Exit(0) // no Close: nothing checkpointed, the WAL holds the writes
	}
	path := filepath.Join(t.TempDir(), "city.gpkg")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurability$")
	cmd.Env = append(os.Environ(), "GRIDMAP_STORE_CHILD="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Logf("no WAL left behind (%v); still checking the data", err)
	}
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, err := g.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := diffCity(got, smallCity()); d != "" {
		t.Fatal(d)
	}
	a, err := g.Audit(context.Background(), 1)
	if err != nil || len(a) != 1 || a[0].Actor != "child" {
		t.Fatalf("audit after reopen: %+v, %v", a, err)
	}
}

func BenchmarkAppend(b *testing.B) {
	c := synthCity(1230, 10)
	dir := b.TempDir()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		g, err := Open(filepath.Join(dir, fmt.Sprintf("city%d.gpkg", i)))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := g.Append(context.Background(), c); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		g.Close()
		b.StartTimer()
	}
}

func BenchmarkLoad(b *testing.B) {
	c := synthCity(1230, 10)
	g, err := Open(filepath.Join(b.TempDir(), "city.gpkg"))
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	if err := g.Append(context.Background(), c); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Load(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
