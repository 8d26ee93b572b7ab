package postgis_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap/data/store/pgtest"
	"github.com/gridmap/gridmap/data/store/postgis"
	"github.com/gridmap/gridmap/data/store/tables"
)

// TestMigrate: an empty database gets every version; running Migrate
// again applies none; a database at version 3 (before the places tables)
// is refused by Open until Migrate adds version 4, keeping its rows.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	url := pgtest.EmptyDB(t)
	for i, want := range []int{len(tables.Migrations), 0} {
		n, err := postgis.Migrate(ctx, url)
		if err != nil || n != want {
			t.Fatalf("run %d applied %d (%v), want %d", i, n, err, want)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(q string) {
		t.Helper()
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("INSERT INTO " + tables.TableMeta + " (key, value) VALUES ('kept', 'yes')")
	places := tables.Migrations[3].Tables
	for i := len(places) - 1; i >= 0; i-- {
		exec("DROP TABLE " + places[i].Name + " CASCADE")
	}
	exec("DELETE FROM " + tables.TableSchemaMigrations + " WHERE version = 4")

	if st, err := postgis.Open(ctx, url); !errors.Is(err, postgis.ErrSchema) {
		if st != nil {
			st.Close()
		}
		t.Fatalf("open at version 3: %v, want ErrSchema", err)
	}
	for i, want := range []int{1, 0} {
		n, err := postgis.Migrate(ctx, url)
		if err != nil || n != want {
			t.Fatalf("upgrade run %d applied %d (%v), want %d", i, n, err, want)
		}
	}
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatalf("open after the upgrade: %v", err)
	}
	st.Close()
	for _, tb := range places {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+tb.Name).Scan(&n); err != nil {
			t.Errorf("%s after the upgrade: %v", tb.Name, err)
		}
	}
	var kept string
	if err := conn.QueryRow(ctx, "SELECT value FROM "+tables.TableMeta+" WHERE key = 'kept'").Scan(&kept); err != nil || kept != "yes" {
		t.Errorf("the older rows: %q %v", kept, err)
	}
}
