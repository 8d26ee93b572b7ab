package gpkg

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/gridmap/gridmap/data"
)

// TestConcurrentReadWrite appends a city in parts while other goroutines
// load it and write audit entries: every Load sees whole parts only, and
// every write lands.
func TestConcurrentReadWrite(t *testing.T) {
	ctx := context.Background()
	g := openTemp(t)
	const parts, perPart, auditors = 6, 35, 4
	whole := synthCity(parts*perPart, 2)
	split := func(i int) *data.City {
		lo, hi := i*perPart, (i+1)*perPart
		p := &data.City{Grids: whole.Grids[lo:hi], Compounds: whole.Compounds[lo:hi], Buildings: whole.Buildings[2*lo : 2*hi]}
		if i == 0 {
			p.Districts, p.Streets, p.Communities = whole.Districts, whole.Streets, whole.Communities
		}
		return p
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := range parts {
			if err := g.Append(ctx, split(i)); err != nil {
				errs <- err
				return
			}
		}
	}()
	for a := range auditors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if err := g.AppendAudit(ctx, data.AuditEntry{Actor: fmt.Sprint("auditor", a), Action: "ping", Target: fmt.Sprint(i)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := g.Load(ctx)
			if err != nil {
				errs <- err
				return
			}
			if n := len(c.Grids); n%perPart != 0 || len(c.Buildings) != 2*n || len(c.Compounds) != n {
				errs <- fmt.Errorf("Load saw a partial write: %d grids, %d compounds, %d buildings", n, len(c.Compounds), len(c.Buildings))
				return
			}
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c, err := g.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Grids) != parts*perPart || len(c.Buildings) != 2*parts*perPart {
		t.Errorf("after all parts: %d grids, %d buildings", len(c.Grids), len(c.Buildings))
	}
	a, err := g.Audit(ctx, 0)
	if err != nil || len(a) != parts+auditors*5 {
		t.Errorf("audit has %d entries (%v), want %d", len(a), err, parts+auditors*5)
	}
}

func TestAppendRollsBack(t *testing.T) {
	ctx := context.Background()
	g := openTemp(t)
	if err := g.Append(ctx, smallCity()); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, g)
	// The second part is fine until its last layer repeats an incident id.
	part := synthCity(3, 1)
	part.Districts, part.Streets = nil, nil
	part.Incidents[len(part.Incidents)-1].ID = smallCity().Incidents[0].ID
	if err := g.Append(ctx, part); err == nil {
		t.Fatal("Append with a duplicate incident id succeeded")
	}
	if after := snapshot(t, g); fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatal("a failed Append changed the file")
	}
	checkRTree(t, g)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := g.Append(cctx, synthCity(2, 1)); err == nil {
		t.Error("Append with a cancelled context succeeded")
	}
	if _, err := g.Load(cctx); err == nil {
		t.Error("Load with a cancelled context succeeded")
	}
}
