package tables

import "testing"

// TestMigrationsInOrder: versions count up from 1 with no gap, whatever
// file declares them.
func TestMigrationsInOrder(t *testing.T) {
	for i, m := range Migrations {
		if m.Version != i+1 {
			t.Fatalf("migration %d has version %d (%s)", i, m.Version, m.Name)
		}
	}
	if Latest() != len(Migrations) {
		t.Errorf("latest %d of %d", Latest(), len(Migrations))
	}
}

// TestPlacesMigration: the places tables are migration 4, after the POIs'
// 2 and the people's 3, and no other migration declares them.
func TestPlacesMigration(t *testing.T) {
	want := map[int]string{2: "pois", 3: "staff", 4: TableProperty}
	for v, name := range want {
		found := false
		for _, tb := range Migrations[v-1].Tables {
			found = found || tb.Name == name
		}
		if !found {
			t.Errorf("migration %d (%s) lacks table %s", v, Migrations[v-1].Name, name)
		}
	}
	seen := map[string]int{}
	for _, m := range Migrations {
		for _, tb := range m.Tables {
			if v, dup := seen[tb.Name]; dup {
				t.Errorf("table %s in migrations %d and %d", tb.Name, v, m.Version)
			}
			seen[tb.Name] = m.Version
		}
	}
	for _, tb := range placesTables {
		if seen[tb.Name] != 4 {
			t.Errorf("places table %s is in migration %d", tb.Name, seen[tb.Name])
		}
	}
}
