package gpkg_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/gpkg"
	"github.com/gridmap/gridmap/data/store/storetest"
)

// TestContract runs the store contract on the GeoPackage.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		g, err := gpkg.Open(filepath.Join(t.TempDir(), "city.gpkg"), gpkg.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		return g
	})
}
