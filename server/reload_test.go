package server

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
)

// gatedStore is a store whose next Load, once armed, reads the store and
// then waits for a signal before it answers.
type gatedStore struct {
	store.Store
	armed atomic.Bool
	read  chan struct{} // the armed Load has read the store
	gate  chan struct{} // lets it answer
	loads atomic.Int32
}

func (g *gatedStore) Load(ctx context.Context) (*data.City, error) {
	g.loads.Add(1)
	c, err := g.Store.Load(ctx)
	if g.armed.CompareAndSwap(true, false) {
		g.read <- struct{}{}
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return c, err
}

// TestReloadKeepsANewerSnapshot: a reload that read the store before a
// people write committed (and swapped in the snapshot showing it) must
// not put its older read in force over the write's; it reads again.
func TestReloadKeepsANewerSnapshot(t *testing.T) {
	g := &gatedStore{read: make(chan struct{}), gate: make(chan struct{})}
	e := newPeopleEnvOver(t, func(st store.Store) Loader { g.Store = st; return g })
	before := g.loads.Load()
	g.armed.Store(true)
	done := make(chan error, 1)
	go func() { done <- e.s.Reload(context.Background()) }()
	<-g.read // the reload holds a read from before the write
	if code, _, body := e.call(t, RoleOrganiser, "POST", "/api/v1/people/staff", `{"name":"周新任","role":"head","phone":"13900002222"}`); code != 201 {
		t.Fatalf("the write during the reload: %d %s", code, body)
	}
	close(g.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := g.loads.Load() - before; n < 2 {
		t.Errorf("the store was read %d times, want the reload's 2 (the read the write overtook, the read again)", n)
	}
	if _, out, body := e.call(t, RoleOrganiser, "GET", "/api/v1/people/staff?q=周新任", ""); out["total"] != 1.0 {
		t.Errorf("after the reload the write is gone: %s", body)
	}
}
