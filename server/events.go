package server

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/privacy"
)

// Live events. Every incident creation, transition and escalation is a row
// of the store's append-only incident history; its sequence number is the
// event id. The hub reads new rows after each commit (and once a second,
// to catch writes by other processes) and fans them out to the connected
// clients in sequence order. A client that reconnects sends Last-Event-ID
// and first gets what it missed from the store, so nothing is lost; a
// client that falls too far behind is cut off and does the same.

const (
	clientBuffer   = 1024 // batches of events a client may lag before it is cut off
	heartbeatEvery = 15 * time.Second
	flushEvery     = 20 * time.Millisecond
)

type hub struct {
	st      IncidentStore
	log     *slog.Logger
	m       *metrics
	last    atomic.Int64 // last sequence number fanned out
	notifyC chan struct{}

	mu      sync.Mutex
	clients map[*sseClient]struct{}
	closed  bool
}

// wireEvent is an event encoded once for every client: its sequence and
// its SSE frame.
type wireEvent struct {
	seq   int64
	frame []byte
}

func encodeEvent(ev data.IncidentEvent) (wireEvent, error) {
	// one frame for every client: masked as viewers may see it
	b, err := json.Marshal(privacy.Apply(newEventJSON(ev), privacy.Viewer))
	if err != nil {
		return wireEvent{}, err
	}
	f := make([]byte, 0, len(b)+32)
	f = append(f, "id: "...)
	f = strconv.AppendInt(f, ev.Seq, 10)
	f = append(f, "\ndata: "...)
	f = append(f, b...)
	f = append(f, "\n\n"...)
	return wireEvent{ev.Seq, f}, nil
}

type sseClient struct {
	ch   chan []wireEvent // batches, in sequence order
	done chan struct{}    // closed when the hub drops the client or shuts down
}

func newHub(st IncidentStore, last int64, log *slog.Logger, m *metrics) *hub {
	h := &hub{st: st, log: log, m: m, notifyC: make(chan struct{}, 1), clients: map[*sseClient]struct{}{}}
	h.last.Store(last)
	return h
}

// notify tells the hub new events were committed.
func (h *hub) notify() {
	select {
	case h.notifyC <- struct{}{}:
	default:
	}
}

func (h *hub) run(stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			h.pump() // what was committed before the stop goes out
			return
		case <-h.notifyC:
		case <-t.C:
		}
		h.pump()
	}
}

// pump fans out every event after the last one sent.
func (h *hub) pump() {
	for {
		evs, err := h.st.IncidentEvents(context.Background(), h.last.Load(), 1000)
		if err != nil {
			h.log.Error("events: read", "err", err)
			return
		}
		if len(evs) == 0 {
			return
		}
		batch := make([]wireEvent, 0, len(evs))
		for _, e := range evs {
			ev, err := encodeEvent(e)
			if err != nil {
				h.log.Error("events: encode", "seq", e.Seq, "err", err)
				ev = wireEvent{seq: e.Seq} // keep the sequence moving; clients skip it
			}
			batch = append(batch, ev)
		}
		// one channel send per client per batch: with group commits a
		// batch carries many events, and waking hundreds of streams per
		// event would cost more than writing them
		h.mu.Lock()
		for c := range h.clients {
			select {
			case c.ch <- batch:
			default: // too far behind: cut off; it resumes from its Last-Event-ID
				close(c.done)
				delete(h.clients, c)
				h.m.sseDropped.Add(1)
			}
		}
		h.last.Store(evs[len(evs)-1].Seq)
		h.mu.Unlock()
	}
}

// subscribe adds a client and returns the last sequence number fanned out
// before it joined: later events come through its channel.
func (h *hub) subscribe() (*sseClient, int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, 0, false
	}
	c := &sseClient{ch: make(chan []wireEvent, clientBuffer), done: make(chan struct{})}
	h.clients[c] = struct{}{}
	h.m.sseClients.Add(1)
	return c, h.last.Load(), true
}

func (h *hub) unsubscribe(c *sseClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.done)
	}
	h.m.sseClients.Add(-1)
}

// closeClients ends every stream and refuses new ones.
func (h *hub) closeClients() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		close(c.done)
		delete(h.clients, c)
	}
}

// eventJSON is the data of one SSE event: public fields only (no caller,
// no responders, no actor names), the same for every role.
type eventJSON struct {
	Seq         int64      `json:"seq"`
	Type        string     `json:"type"`
	Action      string     `json:"action,omitempty"`
	From        string     `json:"from,omitempty"`
	To          string     `json:"to"`
	At          time.Time  `json:"at"`
	Departments []string   `json:"departments,omitempty"`
	Incident    publicView `json:"incident"`
}

func newEventJSON(ev data.IncidentEvent) eventJSON {
	// The free-text description may name the caller, whom the event does
	// not know: events leave it out (GET the incident for it, as the
	// caller's role may see it); the address keeps phone numbers masked.
	pv := newPublicView(ev.Incident, data.Person{})
	pv.Description = ""
	return eventJSON{Seq: ev.Seq, Type: ev.Type, Action: ev.Action, From: ev.From, To: ev.To, At: ev.At,
		Departments: ev.Departments, Incident: pv}
}

// handleEvents streams incident events as Server-Sent Events. Each event
// has id: <sequence> and data: one JSON object (eventJSON). Send
// Last-Event-ID (or ?last_event_id=) to resume after an event; without it
// the stream starts with the next event. Viewers and up; an EventSource
// passes its token as ?access_token=.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if _, ok := require(w, r, anyRole); !ok {
		return
	}
	h := s.ops.hub
	if h == nil {
		writeError(w, http.StatusServiceUnavailable, "no incident store")
		return
	}
	resume := r.Header.Get("Last-Event-ID")
	if resume == "" {
		resume = r.URL.Query().Get("last_event_id")
	}
	var after int64 = -1
	if resume != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(resume), 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "Last-Event-ID must be an event sequence number")
			return
		}
		after = n
	}
	c, cur, ok := h.subscribe()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	defer h.unsubscribe(c)
	if after < 0 || after > cur {
		after = cur
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString("retry: 2000\n: gridmap incident events\n\n")
	sent := after
	write1 := func(ev wireEvent) bool {
		if ev.seq <= sent {
			return true
		}
		if _, err := bw.Write(ev.frame); err != nil {
			return false
		}
		sent = ev.seq
		s.ops.metrics.sseEvents.Add(1)
		return true
	}
	write := func(evs []wireEvent) bool {
		for _, ev := range evs {
			if !write1(ev) {
				return false
			}
		}
		return true
	}
	flush := func() bool {
		if bw.Flush() != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// what the client missed, from the store
	for sent < cur {
		evs, err := s.ops.inc.IncidentEvents(r.Context(), sent, 1000)
		if err != nil || len(evs) == 0 {
			break
		}
		for _, e := range evs {
			ev, err := encodeEvent(e)
			if err != nil {
				ev = wireEvent{seq: e.Seq}
			}
			if !write1(ev) {
				return
			}
		}
		if !flush() {
			return
		}
	}
	if !flush() {
		return
	}
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	// Writes are flushed at most every flushEvery: under a burst of
	// events one write carries many, which keeps the syscalls per client
	// down when hundreds of wall maps watch a busy city.
	flushT := time.NewTimer(time.Hour)
	flushT.Stop()
	armed := false
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.done:
			// cut off or shutting down: drain what is buffered, then end;
			// the client reconnects with its Last-Event-ID
			for {
				select {
				case ev := <-c.ch:
					if !write(ev) {
						return
					}
				default:
					flush()
					return
				}
			}
		case ev := <-c.ch:
			if !write(ev) {
				return
			}
			for n := len(c.ch); n > 0; n-- {
				if !write(<-c.ch) {
					return
				}
			}
			if !armed {
				flushT.Reset(flushEvery)
				armed = true
			}
		case <-flushT.C:
			armed = false
			if !flush() {
				return
			}
		case <-beat.C:
			bw.WriteString(": ping\n\n")
			if !flush() {
				return
			}
		}
	}
}
