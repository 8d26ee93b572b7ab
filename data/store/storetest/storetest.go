// Package storetest is the contract of data/store: every case runs on each
// backend (data/store/gpkg and data/store/postgis call Run from their
// tests), so the two behave alike. A change of behaviour, or a new table
// with its store methods, gets its case here.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
)

// Opener opens a new, empty store for one test, with the store's clock
// set to now, and closes it when the test ends.
type Opener func(t *testing.T, now func() time.Time) store.Store

// Run runs every contract case on the stores open makes.
func Run(t *testing.T, open Opener) {
	cases := []contractCase{
		{"RoundTrip", testRoundTrip},
		{"Replace", testReplace},
		{"AuditAndMeta", testAuditAndMeta},
		{"IncidentLifecycle", testIncidentLifecycle},
		{"EventsNeverSkipped", testEventsNeverSkipped},
		{"Tokens", testTokens},
		{"Rules", testRules},
		{"Plans", testPlans},
		{"Watch", testWatch},
		{"Places", testPlaces},
		{"PlacesFollowPlans", testPlacesFollowPlans},
	}
	cases = append(cases, extraCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open) })
	}
}

type contractCase struct {
	name string
	run  func(*testing.T, Opener)
}

// extraCases are added by the files of other concerns (people.go).
var extraCases []contractCase

var fixed = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// DiffCity reports the first layer where got differs from want, "" when
// they are the same.
func DiffCity(got, want *data.City) string {
	pairs := []struct {
		name      string
		got, want any
	}{
		{"meta", got.Meta, want.Meta},
		{"districts", got.Districts, want.Districts},
		{"streets", got.Streets, want.Streets},
		{"communities", got.Communities, want.Communities},
		{"grids", got.Grids, want.Grids},
		{"compounds", got.Compounds, want.Compounds},
		{"buildings", got.Buildings, want.Buildings},
		{"roads", got.Roads, want.Roads},
		{"stations", got.Stations, want.Stations},
		{"pois", got.POIs, want.POIs},
		{"cadres", got.Cadres, want.Cadres},
		{"reporting units", got.ReportingUnits, want.ReportingUnits},
		{"incidents", got.Incidents, want.Incidents},
	}
	for _, p := range pairs {
		if !reflect.DeepEqual(p.got, p.want) {
			return fmt.Sprintf("%s differ:\n got %+v\nwant %+v", p.name, p.got, p.want)
		}
	}
	return ""
}

func load(t *testing.T, st store.Store) *data.City {
	t.Helper()
	c, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testRoundTrip(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t, fixed)
	if got := load(t, st); len(got.Grids) != 0 || len(got.Meta) != 0 {
		t.Fatalf("a new store is not empty: %d grids, meta %v", len(got.Grids), got.Meta)
	}
	// two parts, as generate streams them
	c := SmallCity()
	first := &data.City{Meta: c.Meta, Districts: c.Districts, Streets: c.Streets, Communities: c.Communities, Grids: c.Grids}
	rest := *c
	rest.Meta, rest.Districts, rest.Streets, rest.Communities, rest.Grids = nil, nil, nil, nil, nil
	if err := st.Append(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ctx, &rest); err != nil {
		t.Fatal(err)
	}
	if d := DiffCity(load(t, st), SmallCity()); d != "" {
		t.Fatal(d)
	}
	// a code already stored fails the whole call and changes nothing
	again := &data.City{Stations: []data.Station{{Code: "NEW", Name: "n", Kind: data.StationGrid, Status: data.StationBuilt, Point: orb.Point{117.5, 34.8}}},
		Grids: SmallCity().Grids[:1]}
	if err := st.Append(ctx, again); err == nil {
		t.Fatal("appending a stored grid code succeeded")
	}
	if d := DiffCity(load(t, st), SmallCity()); d != "" {
		t.Fatalf("a failed append changed the store: %s", d)
	}
}

func testReplace(t *testing.T, open Opener) {
	ctx := context.Background()
	entry := data.AuditEntry{Actor: "planner:li", Action: "replace", Target: "grids", Detail: `{"plan":3}`}
	dupGrids := SmallCity()
	dupGrids.Grids[1].Code = dupGrids.Grids[0].Code
	nanGrid := SmallCity()
	nanGrid.Grids[1].Geom = orb.Polygon{{{math.NaN(), 1}, {2, 2}, {3, 3}, {math.NaN(), 1}}}
	dupCadre := SmallCity()
	dupCadre.Cadres[1].ID = dupCadre.Cadres[0].ID
	newGrids := SmallCity()
	newGrids.Grids = newGrids.Grids[:1]
	newGrids.Grids[0].Name = "改名网格"
	newGrids.Grids[0].Geom = orb.Polygon{Rect(117.5, 34.81, 117.52, 34.82)}
	newGrids.Compounds[0].Name = "新幸福家园"
	tests := []struct {
		name    string
		layer   string
		city    *data.City
		entry   data.AuditEntry
		wantErr bool
	}{
		{"duplicate grid code", data.LayerGrids, dupGrids, entry, true},
		{"non-finite coordinate", data.LayerGrids, nanGrid, entry, true},
		{"duplicate cadre id", data.LayerCadres, dupCadre, entry, true},
		{"audit entry without actor", data.LayerGrids, newGrids, data.AuditEntry{Action: "replace"}, true},
		{"unknown layer", "parks", newGrids, entry, true},
		{"nil city", data.LayerGrids, nil, entry, true},
		{"replace grids", data.LayerGrids, newGrids, entry, false},
		{"replace cadres with none", data.LayerCadres, &data.City{}, entry, false},
		{"replace compounds", data.LayerCompounds, newGrids, entry, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := open(t, fixed)
			if err := st.Append(ctx, SmallCity()); err != nil {
				t.Fatal(err)
			}
			before, _ := st.Audit(ctx, 0)
			err := st.Replace(ctx, tt.layer, tt.city, tt.entry)
			if tt.wantErr {
				if err == nil {
					t.Fatal("Replace succeeded")
				}
				if d := DiffCity(load(t, st), SmallCity()); d != "" {
					t.Fatalf("a failed Replace changed the store: %s", d)
				}
				if after, _ := st.Audit(ctx, 0); len(after) != len(before) {
					t.Fatalf("a failed Replace was audited")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := SmallCity()
			switch tt.layer {
			case data.LayerGrids:
				want.Grids = tt.city.Grids
			case data.LayerCadres:
				want.Cadres = nil
			case data.LayerCompounds:
				want.Compounds = tt.city.Compounds
			}
			got := load(t, st)
			if tt.layer == data.LayerCadres && len(got.Cadres) == 0 {
				got.Cadres = nil
			}
			if d := DiffCity(got, want); d != "" {
				t.Fatal(d)
			}
			a, err := st.Audit(ctx, 1)
			if err != nil || len(a) != 1 || a[0].Actor != tt.entry.Actor || a[0].Target != tt.entry.Target || a[0].Detail != tt.entry.Detail {
				t.Fatalf("last audit entry %+v, %v", a, err)
			}
		})
	}
}

func testAuditAndMeta(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t, fixed)
	at := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	for i := range 3 {
		if err := st.AppendAudit(ctx, data.AuditEntry{At: at.Add(time.Duration(i) * time.Second), Actor: "a", Action: fmt.Sprint("act", i), Target: "t", Detail: `{"x":1}`}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AppendAudit(ctx, data.AuditEntry{Action: "x"}); err == nil {
		t.Error("an audit entry without an actor was accepted")
	}
	es, err := st.Audit(ctx, 2)
	if err != nil || len(es) != 2 || es[0].Action != "act2" || es[1].Action != "act1" || !es[0].At.Equal(at.Add(2*time.Second)) || es[0].Seq <= es[1].Seq {
		t.Fatalf("latest two: %+v %v", es, err)
	}
	all, _ := st.Audit(ctx, 0)
	if len(all) != 3 {
		t.Fatalf("%d entries", len(all))
	}
	if err := st.SetMeta(ctx, map[string]string{"b": "2", "a": "1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMeta(ctx, map[string]string{"a": "3"}); err != nil {
		t.Fatal(err)
	}
	m, err := st.Meta(ctx)
	if err != nil || !reflect.DeepEqual(m, map[string]string{"a": "3", "b": "2"}) {
		t.Fatalf("meta %v %v", m, err)
	}
	es, _ = st.Audit(ctx, 1)
	if len(es) != 1 || es[0].Action != "set_meta" || es[0].Detail != `{"keys":["a"]}` {
		t.Errorf("set_meta audit: %+v", es)
	}
}

// NewIncident is a creation request for the tests.
func NewIncident(key, hash string) store.NewIncident {
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

func testIncidentLifecycle(t *testing.T, open Opener) {
	ctx := context.Background()
	at := fixed()
	g := open(t, fixed)
	res, err := g.CreateIncidents(ctx, []store.NewIncident{NewIncident("k1", "h1"), NewIncident("", ""), NewIncident("k1", "h1"), NewIncident("k1", "other"), {Record: NewIncident("", "").Record}})
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
	if res[4].Err == nil {
		t.Errorf("an incident without an actor was created")
	}
	id := res[0].Record.ID
	if res[0].Event.Seq == 0 || res[1].Event.Seq <= res[0].Event.Seq {
		t.Errorf("event seqs %d %d", res[0].Event.Seq, res[1].Event.Seq)
	}
	if !strings.HasPrefix(id, "GM20260101-") {
		t.Errorf("incident id %q", id)
	}
	rec, hist, err := g.Incident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != data.StatusReported || rec.Caller.Phone != "13812345678" || len(rec.Responders) != 1 || rec.Version != 1 ||
		!rec.ReportedAt.Equal(at) || !rec.ResolveDue.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) || len(hist) != 1 ||
		hist[0].Type != data.EventCreated || hist[0].Incident.Description != "乱停车" {
		t.Fatalf("read back %+v %+v", rec, hist)
	}
	if !reflect.DeepEqual(rec, res[0].Record) {
		t.Errorf("stored record differs from the acknowledged one:\n got %+v\nwant %+v", rec, res[0].Record)
	}
	if _, _, err := g.Incident(ctx, "GM-none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing incident: %v", err)
	}
	res2, err := g.CreateIncidents(ctx, []store.NewIncident{NewIncident("k1", "h1")})
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
	_, _, err = g.UpdateIncident(ctx, id, "disp", "dispatcher", func(r *data.IncidentRecord) (data.IncidentEvent, error) {
		return r.Apply(data.TransitionRequest{To: data.StatusClosed}, rules, at)
	})
	if !errors.Is(err, data.ErrIllegalTransition) {
		t.Errorf("illegal: %v", err)
	}
	_, ev, err := g.UpdateIncident(ctx, id, "disp", "dispatcher", func(*data.IncidentRecord) (data.IncidentEvent, error) {
		return data.IncidentEvent{}, store.ErrNoChange
	})
	if err != nil || ev.Seq != 0 {
		t.Errorf("no change: %+v %v", ev, err)
	}
	if _, _, err := g.UpdateIncident(ctx, "GM-none", "disp", "dispatcher", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing incident: %v", err)
	}
	rec, hist, _ = g.Incident(ctx, id)
	if rec.Status != data.StatusResponded || len(hist) != 4 || rec.Version != 4 || strings.Join(rec.Departments, ",") != "street_enforcement,traffic_police" {
		t.Errorf("after transitions %+v, %d events", rec, len(hist))
	}
	last, err := g.LastIncidentEvent(ctx)
	if err != nil || last != hist[3].Seq {
		t.Errorf("last event %d, %v; want %d", last, err, hist[3].Seq)
	}
	evs, err := g.IncidentEvents(ctx, res[1].Event.Seq, 0)
	if err != nil || len(evs) != 3 || evs[2].Incident.Status != data.StatusResponded || evs[2].Seq != last {
		t.Errorf("events after the second creation: %+v %v", evs, err)
	}
	list, total, err := g.Incidents(ctx, store.IncidentFilter{Statuses: []string{"responded"}})
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != id {
		t.Errorf("status filter: %d %v", total, err)
	}
	b := orb.Bound{Min: orb.Point{117, 34}, Max: orb.Point{118, 35}}
	if _, total, _ := g.Incidents(ctx, store.IncidentFilter{BBox: &b, Street: "370402001", Categories: []string{"property.parking", "x"}}); total != 2 {
		t.Errorf("bbox+street+category: %d", total)
	}
	b = orb.Bound{Min: orb.Point{110, 30}, Max: orb.Point{111, 31}}
	if _, total, _ := g.Incidents(ctx, store.IncidentFilter{BBox: &b}); total != 0 {
		t.Errorf("far bbox: %d", total)
	}
	if _, total, _ := g.Incidents(ctx, store.IncidentFilter{From: at.Add(time.Second)}); total != 0 {
		t.Errorf("time range: %d", total)
	}
	if page, total, _ := g.Incidents(ctx, store.IncidentFilter{Limit: 1, Offset: 1, Ascending: true}); total != 2 || len(page) != 1 || page[0].ID != res[1].Record.ID {
		t.Errorf("paging: %d %+v", total, page)
	}
	over, err := g.OverdueIncidents(ctx, at.Add(2*time.Hour), 0)
	if err != nil || len(over) != 1 || over[0].ID != res[1].Record.ID {
		t.Fatalf("overdue: %+v %v", over, err)
	}
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
	counts, _ := g.IncidentCounts(ctx)
	if counts["responded"] != 1 || counts["reported"] != 1 {
		t.Errorf("counts %v", counts)
	}
	if c := load(t, g); len(c.Incidents) != 2 {
		t.Errorf("Load has %d incidents", len(c.Incidents))
	}
}

// testEventsNeverSkipped: writers commit events concurrently while a
// reader polls IncidentEvents from the last sequence it saw; at the end
// the reader must have seen every event, in order. A store whose event ids
// become visible out of order fails here.
func testEventsNeverSkipped(t *testing.T, open Opener) {
	ctx := context.Background()
	g := open(t, time.Now)
	const writers, each = 6, 25
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	stop := make(chan struct{})
	var seen []int64
	readerDone := make(chan error, 1)
	go func() {
		var last int64
		for {
			select {
			case <-stop:
				// one final read after every writer finished
				evs, err := g.IncidentEvents(ctx, last, 100000)
				for _, e := range evs {
					seen = append(seen, e.Seq)
				}
				readerDone <- err
				return
			default:
			}
			evs, err := g.IncidentEvents(ctx, last, 1000)
			if err != nil {
				readerDone <- err
				return
			}
			for _, e := range evs {
				seen = append(seen, e.Seq)
				last = e.Seq
			}
		}
	}()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if w%2 == 0 {
					req := NewIncident(fmt.Sprintf("w%d-%d", w, i), "h")
					if _, err := g.CreateIncidents(ctx, []store.NewIncident{req, NewIncident("", "")}); err != nil {
						errc <- err
						return
					}
					continue
				}
				res, err := g.CreateIncidents(ctx, []store.NewIncident{NewIncident("", "")})
				if err != nil {
					errc <- err
					return
				}
				if _, _, err := g.UpdateIncident(ctx, res[0].Record.ID, "disp", "dispatcher", func(r *data.IncidentRecord) (data.IncidentEvent, error) {
					return r.Apply(data.TransitionRequest{To: data.StatusAccepted}, data.DefaultRules(), time.Now())
				}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	all, err := g.IncidentEvents(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if want := writers / 2 * each * 2 * 2; len(all) != want {
		t.Fatalf("%d events stored, want %d", len(all), want)
	}
	if !sort.SliceIsSorted(seen, func(i, j int) bool { return seen[i] < seen[j] }) {
		t.Fatal("the reader saw events out of order")
	}
	if len(seen) != len(all) {
		t.Fatalf("the polling reader saw %d of %d events: some committed behind its back", len(seen), len(all))
	}
	ids := map[string]bool{}
	recs, _, _ := g.Incidents(ctx, store.IncidentFilter{Limit: 100000})
	for _, r := range recs {
		if ids[r.ID] {
			t.Fatalf("incident id %s given twice", r.ID)
		}
		ids[r.ID] = true
	}
}

func testTokens(t *testing.T, open Opener) {
	ctx := context.Background()
	g := open(t, fixed)
	hash := strings.Repeat("ab", 32)
	tok := store.Token{ID: "tk_1", Name: "wall-1", Role: "viewer", Hash: hash}
	if err := g.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := g.CreateToken(ctx, store.Token{ID: "tk_2", Name: "x", Role: "viewer", Hash: hash}); err == nil {
		t.Error("a second token with the same hash was stored")
	}
	if err := g.CreateToken(ctx, store.Token{ID: "tk_3"}); err == nil {
		t.Error("an incomplete token was stored")
	}
	got, err := g.TokenByHash(ctx, hash)
	if err != nil || got.ID != "tk_1" || got.Role != "viewer" || got.CreatedBy != "cli" || !got.CreatedAt.Equal(fixed()) || !got.RevokedAt.IsZero() {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	if _, err := g.TokenByHash(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown hash: %v", err)
	}
	if n, err := g.RevokeToken(ctx, "wall-1", "admin"); err != nil || n != 1 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if _, err := g.RevokeToken(ctx, "wall-1", "admin"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
	got, _ = g.TokenByHash(ctx, hash)
	if got.RevokedAt.IsZero() {
		t.Error("revocation not stored")
	}
	ts, err := g.Tokens(ctx)
	if err != nil || len(ts) != 1 {
		t.Fatalf("tokens: %+v %v", ts, err)
	}
	audit, _ := g.Audit(ctx, 0)
	for _, e := range audit {
		if strings.Contains(e.Detail, hash) {
			t.Error("the audit trail holds a token hash")
		}
	}
	if len(audit) != 2 || audit[0].Action != "token.revoke" || audit[1].Action != "token.create" {
		t.Errorf("audit: %+v", audit)
	}
}

func testRules(t *testing.T, open Opener) {
	ctx := context.Background()
	g := open(t, fixed)
	if _, _, err := g.Rules(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no rules yet: %v", err)
	}
	v1, err := g.SetRules(ctx, []byte(`{"v":1}`), "admin")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := g.SetRules(ctx, []byte(`{"v":2}`), "admin")
	if err != nil || v2 <= v1 {
		t.Fatalf("versions %d %d %v", v1, v2, err)
	}
	body, v, err := g.Rules(ctx)
	if err != nil || v != v2 || string(body) != `{"v":2}` {
		t.Fatalf("rules %s %d %v", body, v, err)
	}
}

func testPlans(t *testing.T, open Opener) {
	t.Run("whole layers", func(t *testing.T) { plansCase(t, open, false) })
	t.Run("delta", func(t *testing.T) { plansCase(t, open, true) })
}

func plansCase(t *testing.T, open Opener, delta bool) {
	ctx := context.Background()
	g := open(t, fixed)
	if err := g.Append(ctx, SmallCity()); err != nil {
		t.Fatal(err)
	}
	if v, err := g.LayoutVersionNow(ctx); err != nil || v != 0 {
		t.Fatalf("layout version %d %v", v, err)
	}
	if _, err := g.Plan(ctx, "p1"); !errors.Is(err, store.ErrNoPlan) {
		t.Fatalf("missing plan: %v", err)
	}
	if err := g.SavePlan(ctx, store.PlanRecord{ID: "p1"}); err == nil {
		t.Error("a plan without a name was saved")
	}
	if err := g.SavePlan(ctx, store.PlanRecord{ID: "p1", Name: "merge", CreatedBy: "li", Edits: []byte(`[{"kind":"merge"}]`)}); err != nil {
		t.Fatal(err)
	}
	if err := g.SavePlan(ctx, store.PlanRecord{ID: "p1", Name: "merge two", CreatedBy: "li", Edits: []byte(`[]`)}); err != nil {
		t.Fatal(err)
	}
	if err := g.SavePlan(ctx, store.PlanRecord{ID: "p2", Name: "stale", CreatedBy: "li"}); err != nil {
		t.Fatal(err)
	}
	p, err := g.Plan(ctx, "p1")
	if err != nil || p.Name != "merge two" || p.Status != store.PlanDraft || string(p.Edits) != "[]" || !p.CreatedAt.Equal(fixed()) {
		t.Fatalf("plan %+v %v", p, err)
	}
	ps, err := g.Plans(ctx)
	if err != nil || len(ps) != 2 || ps[0].ID != "p2" {
		t.Fatalf("plans %+v %v", ps, err)
	}
	// the plan: grid 2 retired into grid 1 (its cadre follows)
	after := SmallCity()
	after.Grids[0].Geom = orb.Polygon{Rect(117.50, 34.81, 117.52, 34.82)}
	after.Grids[0].Households += after.Grids[1].Households
	after.Grids = after.Grids[:1]
	after.Cadres[0].GridCodes = []string{"370402001013001"}
	before := []byte(`{"layout":0}`)
	snap := []byte(`{"layout":1}`)
	apply := store.PlanApply{PlanID: "p1", Actor: "li", BaseVersion: 0, City: after, Retired: []string{"370402001013002"},
		Incidents: []store.IncidentGrid{{ID: "I20260301-0001", GridCode: "370402001013001"}},
		Before:    before, After: snap, Summary: `{"plan":"p1"}`}
	if delta {
		apply.Delta = &store.PlanDelta{Grids: []string{"370402001013001"}, Cadres: []string{"C0001"}}
	}
	v, err := g.ApplyPlan(ctx, apply)
	if err != nil || v != 1 {
		t.Fatalf("apply: %d %v", v, err)
	}
	got := load(t, g)
	want := SmallCity()
	want.Grids, want.Cadres = after.Grids, after.Cadres
	want.Meta["layout_version"] = "1"
	if d := DiffCity(got, want); d != "" {
		t.Fatal(d)
	}
	if _, err := g.ApplyPlan(ctx, apply); !errors.Is(err, store.ErrPlanApplied) {
		t.Errorf("second apply: %v", err)
	}
	stale := apply
	stale.PlanID = "p2"
	if _, err := g.ApplyPlan(ctx, stale); !errors.Is(err, store.ErrStalePlan) {
		t.Errorf("stale plan: %v", err)
	}
	if err := g.SavePlan(ctx, store.PlanRecord{ID: "p1", Name: "x", CreatedBy: "li"}); !errors.Is(err, store.ErrPlanApplied) {
		t.Errorf("saving an applied plan: %v", err)
	}
	reuse := SmallCity()
	reuse.Meta["layout_version"] = "1"
	if err := g.SavePlan(ctx, store.PlanRecord{ID: "p3", Name: "reuse", CreatedBy: "li", BaseVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.ApplyPlan(ctx, store.PlanApply{PlanID: "p3", Actor: "li", BaseVersion: 1, City: reuse, After: snap}); !errors.Is(err, store.ErrRetiredReuse) {
		t.Errorf("retired code reused: %v", err)
	}
	codes, err := g.RetiredCodes(ctx)
	if err != nil || !reflect.DeepEqual(codes, []string{"370402001013002"}) {
		t.Errorf("retired %v %v", codes, err)
	}
	vs, err := g.LayoutVersions(ctx)
	if err != nil || len(vs) != 2 || vs[0].Version != 0 || vs[1].Version != 1 || vs[1].PlanID != "p1" || vs[1].Snapshot != nil {
		t.Fatalf("versions %+v %v", vs, err)
	}
	lv, err := g.LayoutVersion(ctx, 0)
	if err != nil || string(lv.Snapshot) != string(before) {
		t.Fatalf("version 0: %+v %v", lv, err)
	}
	if _, err := g.LayoutVersion(ctx, 7); !errors.Is(err, store.ErrNoVersion) {
		t.Errorf("missing version: %v", err)
	}
	p, _ = g.Plan(ctx, "p1")
	if p.Status != store.PlanApplied || p.AppliedVersion != 1 {
		t.Errorf("applied plan %+v", p)
	}
}

// WaitChange waits up to 10 s for a change of kind on ch (or ChangeAll)
// and returns it.
func WaitChange(t *testing.T, ch <-chan store.Change, kind string) store.Change {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatalf("the change channel closed while waiting for %s", kind)
			}
			if c.Kind == kind || c.Kind == store.ChangeAll {
				return c
			}
		case <-deadline:
			t.Fatalf("no %s change within 10 s", kind)
		}
	}
}

func testWatch(t *testing.T, open Opener) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := open(t, fixed)
	ch := g.Watch(ctx)
	time.Sleep(100 * time.Millisecond) // the listener is up
	if err := g.Append(ctx, SmallCity()); err != nil {
		t.Fatal(err)
	}
	WaitChange(t, ch, store.ChangeCity)
	res, err := g.CreateIncidents(ctx, []store.NewIncident{NewIncident("", "")})
	if err != nil {
		t.Fatal(err)
	}
	if c := WaitChange(t, ch, store.ChangeEvents); c.Kind == store.ChangeEvents && c.Seq != res[0].Event.Seq {
		t.Errorf("events change seq %d, want %d", c.Seq, res[0].Event.Seq)
	}
	if err := g.CreateToken(ctx, store.Token{ID: "tk_w", Name: "w", Role: "viewer", Hash: strings.Repeat("ef", 32)}); err != nil {
		t.Fatal(err)
	}
	WaitChange(t, ch, store.ChangeTokens)
	if _, err := g.SetRules(ctx, []byte(`{}`), "admin"); err != nil {
		t.Fatal(err)
	}
	WaitChange(t, ch, store.ChangeRules)
	// a failed write publishes nothing
	if err := g.Replace(ctx, data.LayerGrids, nil, data.AuditEntry{}); err == nil {
		t.Fatal("replace with nil city succeeded")
	}
	select {
	case c := <-ch:
		if c.Kind == store.ChangeCity {
			t.Errorf("a failed write published %+v", c)
		}
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	for range ch { // closed once ctx ends
	}
}
