package server

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
)

// gatedStore is a Loader whose loads after the first wait for a signal,
// counting the loads.
type gatedStore struct {
	c     *data.City
	gate  chan struct{}
	loads atomic.Int32
}

func (g *gatedStore) Load(ctx context.Context) (*data.City, error) {
	if g.loads.Add(1) > 1 {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.c, nil
}

// TestReloadKeepsANewerSnapshot: a write that swaps its snapshot in while
// a reload reads the city (a people write, showing its change at once)
// is not overwritten by the older read; the reload reads again.
func TestReloadKeepsANewerSnapshot(t *testing.T) {
	testServer(t, Config{}) // the demo city
	g := &gatedStore{c: demo, gate: make(chan struct{}, 2)}
	s, err := New(context.Background(), Config{Store: g, HeavyAnonRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Reload(context.Background()) }()
	for g.loads.Load() < 2 { // the reload is reading
		time.Sleep(time.Millisecond)
	}
	// A write swaps in its snapshot meanwhile.
	old := s.Current()
	written := &Snapshot{City: old.City, Index: old.Index, Version: old.Version + 1, ext: old.ext}
	if !s.snap.CompareAndSwap(old, written) {
		t.Fatal("swap")
	}
	g.gate <- struct{}{} // the first read ends: it is older than the write
	g.gate <- struct{}{} // the second read
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := g.loads.Load(); n != 3 {
		t.Errorf("loads = %d, want 3 (the first, a read overtaken by the write, the read again)", n)
	}
	if cur := s.Current(); cur == written || cur.Version != written.Version+1 {
		t.Errorf("after the reload: version %d (the write's snapshot kept: %v), want %d from a read after the write", cur.Version, cur == written, written.Version+1)
	}
}
