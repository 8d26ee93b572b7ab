package server

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridmap/gridmap/data"
)

// Prometheus text exposition (format 0.0.4), written by hand: a handful of
// counters, gauges and one histogram do not justify client_golang and its
// dependency tree.

var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type reqKey struct {
	route, method string
	code          int
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

type metrics struct {
	mu      sync.Mutex
	reqs    map[reqKey]uint64
	latency map[string]*histogram // by route

	sseClients    atomic.Int64
	sseEvents     atomic.Uint64
	sseDropped    atomic.Uint64
	rateLimited   atomic.Uint64
	created       atomic.Uint64
	commitBatches atomic.Uint64
	transitions   atomic.Uint64
	escalations   atomic.Uint64
}

func (m *metrics) init() {
	m.reqs = map[reqKey]uint64{}
	m.latency = map[string]*histogram{}
}

func (m *metrics) observe(route, method string, code int, d time.Duration) {
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reqs[reqKey{route, method, code}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets)+1)}
		m.latency[route] = h
	}
	i := sort.SearchFloat64s(latencyBuckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

func promLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	o := s.ops
	var b strings.Builder
	m := &o.metrics
	m.mu.Lock()
	keys := make([]reqKey, 0, len(m.reqs))
	for k := range m.reqs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int {
		return strings.Compare(fmt.Sprint(a.route, a.method, a.code), fmt.Sprint(b.route, b.method, b.code))
	})
	b.WriteString("# HELP gridmap_http_requests_total HTTP requests by route template, method and status.\n# TYPE gridmap_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "gridmap_http_requests_total{route=\"%s\",method=\"%s\",code=\"%d\"} %d\n", promLabel(k.route), k.method, k.code, m.reqs[k])
	}
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	b.WriteString("# HELP gridmap_http_request_duration_seconds HTTP request latency by route template.\n# TYPE gridmap_http_request_duration_seconds histogram\n")
	for _, rt := range routes {
		h := m.latency[rt]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "gridmap_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %d\n", promLabel(rt), strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		cum += h.counts[len(latencyBuckets)]
		fmt.Fprintf(&b, "gridmap_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %d\n", promLabel(rt), cum)
		fmt.Fprintf(&b, "gridmap_http_request_duration_seconds_sum{route=\"%s\"} %g\n", promLabel(rt), h.sum)
		fmt.Fprintf(&b, "gridmap_http_request_duration_seconds_count{route=\"%s\"} %d\n", promLabel(rt), h.n)
	}
	m.mu.Unlock()
	gauge := func(name, help, typ string, v any) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %v\n", name, help, name, typ, name, v)
	}
	gauge("gridmap_sse_clients", "Connected live-event (SSE) clients.", "gauge", m.sseClients.Load())
	gauge("gridmap_sse_events_sent_total", "Events written to SSE clients.", "counter", m.sseEvents.Load())
	gauge("gridmap_sse_clients_dropped_total", "SSE clients cut off for falling behind (they resume with Last-Event-ID).", "counter", m.sseDropped.Load())
	gauge("gridmap_rate_limited_total", "Requests refused by the per-token rate limit.", "counter", m.rateLimited.Load())
	gauge("gridmap_incidents_created_total", "Incidents created by this process.", "counter", m.created.Load())
	gauge("gridmap_incident_commit_batches_total", "Group commits of incident creations.", "counter", m.commitBatches.Load())
	gauge("gridmap_incident_transitions_total", "Incident transitions by this process.", "counter", m.transitions.Load())
	gauge("gridmap_incident_escalations_total", "SLA escalations by this process.", "counter", m.escalations.Load())
	gauge("go_goroutines", "Goroutines that currently exist.", "gauge", runtime.NumGoroutine())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gauge("go_memstats_heap_inuse_bytes", "Bytes in in-use heap spans.", "gauge", ms.HeapInuse)
	if sn := s.Current(); sn != nil {
		gauge("gridmap_city_version", "Version of the city snapshot in force.", "gauge", sn.Version)
	}
	if o.inc != nil {
		counts, err := o.inc.IncidentCounts(r.Context())
		if err == nil {
			b.WriteString("# HELP gridmap_incidents Incidents in the store by state.\n# TYPE gridmap_incidents gauge\n")
			for _, st := range data.Statuses {
				fmt.Fprintf(&b, "gridmap_incidents{status=\"%s\"} %d\n", st, counts[st])
			}
		}
		if ev := o.hub; ev != nil {
			gauge("gridmap_event_sequence", "Latest incident event sequence number published.", "gauge", ev.last.Load())
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(b.String()))
}
