package gpkg

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/storetest"
)

var newIncident = storetest.NewIncident

// TestIncidentTablesInFile checks what the contract suite cannot see: in
// the file, incident history refuses deletion and the file stays sound.
func TestIncidentTablesInFile(t *testing.T) {
	g := openTemp(t)
	ctx := context.Background()
	res, err := g.CreateIncidents(ctx, []store.NewIncident{newIncident("k1", "h1")})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	if _, err := g.w.ExecContext(ctx, `DELETE FROM incident_history`); err == nil {
		t.Error("history deletable")
	}
	if _, err := g.w.ExecContext(ctx, `UPDATE audit_log SET actor = 'x'`); err == nil {
		t.Error("audit log updatable")
	}
	if bad, err := g.IntegrityCheck(ctx); err != nil || len(bad) > 0 {
		t.Errorf("integrity: %v %v", bad, err)
	}
}

func TestCreateIncidentsConcurrent(t *testing.T) {
	g := openTemp(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := g.CreateIncidents(ctx, []store.NewIncident{newIncident("", ""), newIncident("", "")}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	evs, _ := g.IncidentEvents(ctx, 0, 0)
	ids := map[string]bool{}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ids[ev.IncidentID] {
			t.Fatalf("event %d: seq %d id %s", i, ev.Seq, ev.IncidentID)
		}
		ids[ev.IncidentID] = true
	}
	if len(evs) != 80 {
		t.Errorf("%d events", len(evs))
	}
}

// BenchmarkCreateIncidents measures group commits of 1 and of 32
// creations (each with its idempotency key, history event and audit entry).
func BenchmarkCreateIncidents(b *testing.B) {
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			g := openTemp(b)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				reqs := make([]store.NewIncident, batch)
				for i := range reqs {
					n++
					reqs[i] = newIncident(fmt.Sprintf("k%d", n), "h")
				}
				if _, err := g.CreateIncidents(ctx, reqs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/incident")
		})
	}
}
