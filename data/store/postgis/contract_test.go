package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/pgtest"
	"github.com/gridmap/gridmap/data/store/postgis"
	"github.com/gridmap/gridmap/data/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestContract runs the store contract on PostGIS.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		st, err := postgis.Open(context.Background(), pgtest.DB(t), postgis.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
