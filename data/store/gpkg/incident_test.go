package gpkg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
)

func newIncident(key, hash string) store.NewIncident {
	return store.NewIncident{
		Record: data.IncidentRecord{
			Incident: data.Incident{Category: "property.parking", Module: data.ModuleLivelihood, Description: "乱停车",
				Point: orb.Point{117.5, 34.8}, GridCode: "370402001001001", CommunityCode: "370402001001", StreetCode: "370402001", DistrictCode: "370402"},
			Source: "api", Caller: data.Person{Name: "王小明", Phone: "13812345678"},
			Responders: []data.Responder{{Role: "grid_head", Name: "张伟", Phone: "13900000000"}},
			AcceptDue:  time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), ResolveDue: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		},
		Actor: "disp", Role: "dispatcher", IdempotencyKey: key, RequestHash: hash,
	}
}

func TestIncidentLifecycleInStore(t *testing.T) {
	g := openTemp(t)
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g.now = func() time.Time { return at }
	res, err := g.CreateIncidents(ctx, []store.NewIncident{newIncident("k1", "h1"), newIncident("", ""), newIncident("k1", "h1"), newIncident("k1", "other")})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[1].Err != nil || res[0].Record.ID == res[1].Record.ID {
		t.Fatalf("creates: %+v", res)
	}
	if !res[2].Replayed || res[2].Record.ID != res[0].Record.ID {
		t.Errorf("same key in the same batch not replayed: %+v", res[2])
	}
	if !errors.Is(res[3].Err, store.ErrIdempotencyConflict) {
		t.Errorf("key reuse: %v", res[3].Err)
	}
	id := res[0].Record.ID
	if res[0].Event.Seq != 1 || res[1].Event.Seq != 2 {
		t.Errorf("event seqs %d %d", res[0].Event.Seq, res[1].Event.Seq)
	}
	rec, hist, err := g.Incident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != data.StatusReported || rec.Caller.Phone != "13812345678" || len(rec.Responders) != 1 || rec.Version != 1 ||
		!rec.ReportedAt.Equal(at) || !rec.ResolveDue.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) || len(hist) != 1 {
		t.Fatalf("read back %+v %+v", rec, hist)
	}
	// a retry in a later batch still replays
	res2, err := g.CreateIncidents(ctx, []store.NewIncident{newIncident("k1", "h1")})
	if err != nil || !res2[0].Replayed || res2[0].Record.ID != id {
		t.Fatalf("retry: %+v %v", res2, err)
	}
	rules := data.DefaultRules()
	for _, req := range []data.TransitionRequest{{To: data.StatusAccepted}, {To: data.StatusDispatched}, {To: data.StatusResponded, Departments: []string{"traffic_police"}}} {
		_, ev, err := g.UpdateIncident(ctx, id, "disp", "dispatcher", func(r *data.IncidentRecord) (data.IncidentEvent, error) {
			return r.Apply(req, rules, at.Add(time.Minute))
		})
		if err != nil || ev.Seq == 0 {
			t.Fatalf("%s: %v", req.To, err)
		}
	}
	// an illegal one changes nothing
	_, _, err = g.UpdateIncident(ctx, id, "disp", "dispatcher", func(r *data.IncidentRecord) (data.IncidentEvent, error) {
		return r.Apply(data.TransitionRequest{To: data.StatusClosed}, rules, at)
	})
	if !errors.Is(err, data.ErrIllegalTransition) {
		t.Errorf("illegal: %v", err)
	}
	rec, hist, _ = g.Incident(ctx, id)
	if rec.Status != data.StatusResponded || len(hist) != 4 || rec.Version != 4 || strings.Join(rec.Departments, ",") != "street_enforcement,traffic_police" {
		t.Errorf("after transitions %+v, %d events", rec, len(hist))
	}
	evs, err := g.IncidentEvents(ctx, 2, 0)
	if err != nil || len(evs) != 3 || evs[0].Seq != 3 || evs[2].Incident.Status != data.StatusResponded {
		t.Errorf("events after 2: %+v %v", evs, err)
	}
	// filters
	list, total, err := g.Incidents(ctx, store.IncidentFilter{Statuses: []string{"responded"}})
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != id {
		t.Errorf("status filter: %d %v", total, err)
	}
	b := orb.Bound{Min: orb.Point{117, 34}, Max: orb.Point{118, 35}}
	if _, total, _ := g.Incidents(ctx, store.IncidentFilter{BBox: &b, Street: "370402001"}); total != 2 {
		t.Errorf("bbox+street: %d", total)
	}
	b = orb.Bound{Min: orb.Point{110, 30}, Max: orb.Point{111, 31}}
	if _, total, _ := g.Incidents(ctx, store.IncidentFilter{BBox: &b}); total != 0 {
		t.Errorf("far bbox: %d", total)
	}
	if _, total, _ := g.Incidents(ctx, store.IncidentFilter{From: at.Add(time.Second)}); total != 0 {
		t.Errorf("time range: %d", total)
	}
	// overdue: the second incident (still reported) missed its accept deadline
	over, err := g.OverdueIncidents(ctx, at.Add(2*time.Hour), 0)
	if err != nil || len(over) != 1 || over[0].ID != res[1].Record.ID {
		t.Fatalf("overdue: %+v %v", over, err)
	}
	// audit has every write, with before/after, and stays append-only
	audit, _ := g.Audit(ctx, 0)
	n := 0
	for _, e := range audit {
		if strings.HasPrefix(e.Action, "incident.") {
			n++
			if strings.Contains(e.Detail, "13812345678") {
				t.Errorf("audit copies the caller's phone: %s", e.Detail)
			}
		}
	}
	if n != 5 {
		t.Errorf("%d incident audit entries, want 5", n)
	}
	if _, err := g.w.ExecContext(ctx, `DELETE FROM incident_history`); err == nil {
		t.Error("history deletable")
	}
	counts, _ := g.IncidentCounts(ctx)
	if counts["responded"] != 1 || counts["reported"] != 1 {
		t.Errorf("counts %v", counts)
	}
	if bad, err := g.IntegrityCheck(ctx); err != nil || len(bad) > 0 {
		t.Errorf("integrity: %v %v", bad, err)
	}
}

// Concurrent batches keep ids and event sequences unique and gapless.
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

func TestTokens(t *testing.T) {
	g := openTemp(t)
	ctx := context.Background()
	h := strings.Repeat("ab", 32)
	if err := g.CreateToken(ctx, store.Token{ID: "t1", Name: "wall", Role: "viewer", Hash: h}); err != nil {
		t.Fatal(err)
	}
	if err := g.CreateToken(ctx, store.Token{ID: "t2", Name: "x", Role: "viewer", Hash: h}); err == nil {
		t.Error("duplicate hash accepted")
	}
	tok, err := g.TokenByHash(ctx, h)
	if err != nil || tok.Name != "wall" || !tok.RevokedAt.IsZero() {
		t.Fatalf("%+v %v", tok, err)
	}
	if n, err := g.RevokeToken(ctx, "wall", "cli"); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	tok, _ = g.TokenByHash(ctx, h)
	if tok.RevokedAt.IsZero() {
		t.Error("not revoked")
	}
	if _, err := g.RevokeToken(ctx, "wall", "cli"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
	if _, err := g.TokenByHash(ctx, strings.Repeat("cd", 32)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	v, err := g.SetRules(ctx, data.DefaultRulesJSON(), "admin")
	if err != nil || v != 1 {
		t.Fatal(v, err)
	}
	body, v, err := g.Rules(ctx)
	if err != nil || v != 1 || len(body) == 0 {
		t.Error(err)
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
