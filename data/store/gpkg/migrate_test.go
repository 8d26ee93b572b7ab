package gpkg

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/gridmap/gridmap/data/store/tables"
)

// TestMigrateFromVersion3: a file made before the places tables (schema
// version 3: the POIs' 2, the people's 3) gains them, as version 4, when
// it is opened, keeps its other rows, and opening it again applies
// nothing.
func TestMigrateFromVersion3(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "city.gpkg")
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.Migrated() != len(tables.Migrations) {
		t.Fatalf("a new file applied %d versions of %d", g.Migrated(), len(tables.Migrations))
	}
	if _, err := g.w.ExecContext(ctx, "INSERT INTO "+tables.TableMeta+" (key, value) VALUES ('kept', 'yes')"); err != nil {
		t.Fatal(err)
	}
	g.Close()

	// Turn the file back into a version-3 one: no places tables, no
	// record of version 4.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	places := tables.Migrations[3].Tables
	for _, tb := range places {
		for _, q := range []string{"DROP TABLE " + tb.Name, "DELETE FROM gpkg_contents WHERE table_name = '" + tb.Name + "'"} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM "+tables.TableSchemaMigrations+" WHERE version = 4"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for i, want := range []int{1, 0} {
		g, err := Open(path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if g.Migrated() != want {
			t.Errorf("open %d applied %d versions, want %d", i, g.Migrated(), want)
		}
		if v, err := g.SchemaVersion(ctx); err != nil || v != tables.Latest() {
			t.Errorf("open %d: version %d (%v), want %d", i, v, err, tables.Latest())
		}
		for _, tb := range places {
			var n int
			if err := g.r.QueryRowContext(ctx, "SELECT count(*) FROM gpkg_contents WHERE table_name = ?", tb.Name).Scan(&n); err != nil || n != 1 {
				t.Errorf("open %d: %s registered %d times (%v)", i, tb.Name, n, err)
			}
		}
		var kept string
		if err := g.r.QueryRowContext(ctx, "SELECT value FROM "+tables.TableMeta+" WHERE key = 'kept'").Scan(&kept); err != nil || kept != "yes" {
			t.Errorf("open %d: the older rows: %q %v", i, kept, err)
		}
		g.Close()
	}
}
