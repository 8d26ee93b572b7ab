package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data/store"
)

type sseEvent struct {
	id   int64
	data eventJSON
	raw  string
}

// sseStream reads events from GET /api/v1/events.
type sseStream struct {
	resp   *http.Response
	cancel context.CancelFunc
	events chan sseEvent
}

func openStream(t testing.TB, url, token string, lastID int64) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID >= 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sseStream{resp: resp, cancel: cancel, events: make(chan sseEvent, 10000)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "data: "):
				ev.raw = line[6:]
				json.Unmarshal([]byte(ev.raw), &ev.data)
			case line == "" && ev.id != 0:
				s.events <- ev
				ev = sseEvent{}
			}
		}
	}()
	return s
}

func (s *sseStream) close() { s.cancel(); s.resp.Body.Close() }

func (s *sseStream) next(t testing.TB) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

// A wall map that disconnects and reconnects with Last-Event-ID gets
// exactly what it missed, then live events, in sequence; event data holds
// no personal data.
func TestEventsResume(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	ts := httptest.NewServer(env.s)
	defer ts.Close()
	_, p := buildingInGrid(t, 77)
	viewer := env.tokens[RoleViewer]
	s1 := openStream(t, ts.URL, viewer, -1)
	var ids []string
	for range 3 {
		_, v := env.create(t, pointBody("property.parking", p))
		ids = append(ids, v.ID)
	}
	var last int64
	for i := range 3 {
		ev := s1.next(t)
		if ev.data.Incident.ID != ids[i] || ev.data.Type != "created" || ev.id != ev.data.Seq || ev.id <= last {
			t.Fatalf("event %d: %+v", i, ev)
		}
		if strings.Contains(ev.raw, "13812345678") || strings.Contains(ev.raw, "王小明") {
			t.Errorf("event shows the caller: %s", ev.raw)
		}
		last = ev.id
	}
	s1.close()
	// missed while away: two creations and a transition
	_, v4 := env.create(t, pointBody("safety.fire", p))
	_, v5 := env.create(t, pointBody("safety.fire", p))
	do(t, env.s, "POST", "/api/v1/incidents/"+ids[0]+"/transitions", "application/json", `{"to":"accepted"}`, env.auth(RoleDispatcher)...)
	s2 := openStream(t, ts.URL, viewer, last)
	defer s2.close()
	want := []string{v4.ID + " created", v5.ID + " created", ids[0] + " transition"}
	for i, w := range want {
		ev := s2.next(t)
		if got := ev.data.Incident.ID + " " + ev.data.Type; got != w || ev.id != last+int64(i)+1 {
			t.Fatalf("resumed event %d: %s (id %d), want %s", i, got, ev.id, w)
		}
	}
	// and then live
	_, v6 := env.create(t, pointBody("safety.fire", p))
	if ev := s2.next(t); ev.data.Incident.ID != v6.ID || ev.id != last+4 {
		t.Errorf("live after resume: %+v", ev)
	}
	// escalations are events too
	env.clock.Add(time.Hour)
	n, _ := env.s.EscalateOverdue(context.Background())
	for range n {
		if ev := s2.next(t); ev.data.Type != "escalated" {
			t.Errorf("escalation event: %+v", ev.data)
		}
	}
	// a bad Last-Event-ID is refused
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+viewer)
	req.Header.Set("Last-Event-ID", "yesterday")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
		t.Errorf("bad Last-Event-ID: %v %v", resp.StatusCode, err)
	}
}

// Many clients each get every event of concurrent writers, in order, and
// graceful shutdown ends their streams.
func TestEventsFanOut(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	ts := httptest.NewServer(env.s)
	defer ts.Close()
	_, p := buildingInGrid(t, 11)
	const clients, writers, each = 20, 4, 10
	streams := make([]*sseStream, clients)
	for i := range streams {
		streams[i] = openStream(t, ts.URL, env.tokens[RoleViewer], -1)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				w, _ := env.create(t, fmt.Sprintf(`{"category":"safety.fire","description":"w%d-%d","lon":%v,"lat":%v}`, w, i, p[0], p[1]))
				if w.Code != 201 {
					t.Errorf("create: %d", w.Code)
				}
			}
		}()
	}
	wg.Wait()
	for i, s := range streams {
		var prev int64
		for range writers * each {
			ev := s.next(t)
			if ev.id != prev+1 && prev != 0 {
				t.Fatalf("client %d: event %d after %d", i, ev.id, prev)
			}
			prev = ev.id
		}
	}
	if got := env.s.ops.metrics.sseClients.Load(); got != clients {
		t.Errorf("sse_clients %d", got)
	}
	env.s.CloseEvents()
	for i, s := range streams {
		select {
		case _, ok := <-s.events:
			for ok {
				_, ok = <-s.events
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("client %d still open after CloseEvents", i)
		}
		s.close()
	}
}

// Closing the server while creations are in flight answers each one
// either 201 (and it is stored) or 503 (and it is not): the committer
// finishes what it holds before it stops.
func TestCloseDrainsCommitter(t *testing.T) {
	env := newDispatchEnv(t, Config{})
	_, p := buildingInGrid(t, 5)
	var (
		mu   sync.Mutex
		ok   []string
		shut int
		wg   sync.WaitGroup
	)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				rec, v := env.create(t, fmt.Sprintf(`{"category":"safety.fire","description":"c%d-%d","lon":%v,"lat":%v}`, w, i, p[0], p[1]))
				mu.Lock()
				switch rec.Code {
				case 201:
					ok = append(ok, v.ID)
				case 503:
					shut++
				default:
					t.Errorf("during close: %d %s", rec.Code, rec.Body)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	env.s.Close()
	wg.Wait()
	for _, id := range ok {
		if _, _, err := env.st.Incident(context.Background(), id); err != nil {
			t.Errorf("acknowledged %s not stored: %v", id, err)
		}
	}
	if _, total, _ := env.st.Incidents(context.Background(), store.IncidentFilter{}); total != len(ok) {
		t.Errorf("%d stored, %d acknowledged", total, len(ok))
	}
	t.Logf("%d acknowledged before the close, %d refused after", len(ok), shut)
}
