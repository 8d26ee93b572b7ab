package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/privacy"
	"github.com/gridmap/gridmap/data/store"
)

// ops is the server-wide state of the operational and dispatch features:
// stores, tokens, rate limits, metrics, the live-event hub, the incident
// committer and the SLA escalator.
type ops struct {
	tokens     TokenStore    // nil: only anonymous callers
	inc        IncidentStore // nil: the incident routes answer 503
	tokenCache tokenCache
	limiter    *rateLimiter // per token; nil: no rate limit
	anonLimit  *rateLimiter // per address of anonymous callers; nil: none
	timeout    time.Duration
	now        func() time.Time
	metrics    metrics
	hub        *hub
	commit     *committer
	rules      atomic.Pointer[data.Rules]
	rulesVer   atomic.Int64

	stop      chan struct{}
	unwatch   context.CancelFunc // ends the change subscription
	stopOnce  sync.Once
	wg        sync.WaitGroup
	escalateN atomic.Int64 // escalations so far
}

// Defaults of the operational settings.
const (
	defaultRequestTimeout     = 30 * time.Second
	defaultEscalationInterval = 30 * time.Second
)

func newOps(s *Server) *ops {
	cfg := &s.cfg
	o := &ops{tokens: cfg.Tokens, inc: cfg.Incidents, now: cfg.Now, timeout: cfg.RequestTimeout, stop: make(chan struct{})}
	if o.tokens == nil {
		o.tokens, _ = cfg.Store.(TokenStore)
	}
	if o.inc == nil {
		o.inc, _ = cfg.Store.(IncidentStore)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.timeout == 0 {
		o.timeout = defaultRequestTimeout
	}
	o.tokenCache = tokenCache{m: map[string]tokenEntry{}, ttl: 2 * time.Second}
	newLimiter := func(rate float64) *rateLimiter {
		if rate <= 0 {
			return nil
		}
		burst := float64(cfg.RateBurst)
		if burst < 1 {
			burst = 2 * rate
		}
		return &rateLimiter{rate: rate, burst: burst, m: map[string]*bucket{}}
	}
	o.limiter, o.anonLimit = newLimiter(cfg.RateLimit), newLimiter(cfg.AnonRateLimit)
	o.metrics.init()
	return o
}

// start loads the rules and starts the background work of the dispatch
// flow: the event hub, the group committer and the SLA escalator.
func (s *Server) startOps(ctx context.Context) error {
	o := s.ops
	rules := s.cfg.Rules
	if rules == nil && o.inc != nil {
		body, v, err := o.inc.Rules(ctx)
		switch {
		case err == nil:
			r, perr := data.ParseRules(body)
			if perr != nil {
				return perr
			}
			rules = r
			o.rulesVer.Store(v)
		case !isNotFound(err):
			return err
		}
	}
	if rules == nil {
		rules = data.DefaultRules()
	}
	o.rules.Store(rules)
	if o.inc == nil {
		return nil
	}
	last, err := o.inc.LastIncidentEvent(ctx)
	if err != nil {
		return err
	}
	o.hub = newHub(o.inc, last, s.log, &o.metrics)
	o.commit = newCommitter(o.inc, o.hub, s.log, &o.metrics)
	o.wg.Add(2)
	go func() { defer o.wg.Done(); o.hub.run(o.stop) }()
	go func() { defer o.wg.Done(); o.commit.run() }()
	if w, ok := s.cfg.Store.(store.Watcher); ok {
		wctx, cancel := context.WithCancel(context.Background())
		o.unwatch = cancel
		ch := w.Watch(wctx)
		o.wg.Add(1)
		go func() { defer o.wg.Done(); s.watchChanges(ch) }()
	}
	every := s.cfg.EscalationInterval
	if every == 0 {
		every = defaultEscalationInterval
	}
	if every > 0 {
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-o.stop:
					return
				case <-t.C:
					if _, err := s.EscalateOverdue(context.Background()); err != nil {
						s.log.Error("sla escalation", "err", err)
					}
				}
			}
		}()
	}
	return nil
}

// CloseEvents ends every live-event stream, so that a graceful shutdown
// (http.Server.Shutdown waits for in-flight requests) is not held up by
// clients that never hang up. Register it with RegisterOnShutdown.
func (s *Server) CloseEvents() {
	if s.ops.hub != nil {
		s.ops.hub.closeClients()
	}
}

// Close stops the background work once the HTTP server has drained: the
// committer finishes what it holds first, so nothing acknowledged is cut.
func (s *Server) Close() {
	s.ops.stopOnce.Do(func() {
		s.CloseEvents()
		if s.ops.commit != nil {
			s.ops.commit.close()
		}
		if s.ops.unwatch != nil {
			s.ops.unwatch()
		}
		close(s.ops.stop)
		s.ops.wg.Wait()
	})
}

// reqInfo travels with a request so the front can label its metrics with
// the route template mux matched.
type reqInfo struct {
	route     string
	principal *Principal // set by the route guard once authenticated
}

type reqInfoKey struct{}

// routeLabel is router middleware recording the matched route template.
func routeLabel(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(reqInfoKey{}).(*reqInfo); ok {
			if rt := mux.CurrentRoute(r); rt != nil {
				if t, err := rt.GetPathTemplate(); err == nil {
					info.route = t
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// front serves a request and records its metrics and log line. The
// route guard (routes.go) authenticates the caller, applies the rate
// limits, the request timeout and what the route declares.
func (s *Server) front(w http.ResponseWriter, r *http.Request, serve http.HandlerFunc) {
	o := s.ops
	start := time.Now()
	info := &reqInfo{}
	sw := &statusWriter{ResponseWriter: w}
	ctx := context.WithValue(r.Context(), reqInfoKey{}, info)
	defer func() {
		d := time.Since(start)
		route := info.route
		if route == "" {
			route = "other"
		}
		code := sw.status
		if code == 0 {
			code = http.StatusOK
		}
		o.metrics.observe(route, r.Method, code, d)
		s.logRequest(ctx, r, route, code, sw.bytes, d, info.principal)
	}()
	serve(sw, r.WithContext(ctx))
}

// logRequest writes a request's log line (debug; warn for a 5xx), taking
// no time when that level is off.
func (s *Server) logRequest(ctx context.Context, r *http.Request, route string, code int, bytes int64, d time.Duration, p *Principal) {
	lvl := slog.LevelDebug
	if code >= 500 {
		lvl = slog.LevelWarn
	}
	if !s.log.Enabled(ctx, lvl) {
		return
	}
	actor := "anonymous"
	if p != nil {
		actor = p.Actor()
	}
	s.log.Log(ctx, lvl, "request", "method", r.Method, "path", r.URL.Path, "route", route, "status", code,
		"bytes", bytes, "took", d, "actor", actor)
}

func remoteHost(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// statusWriter records the status and size of a response. It unwraps to
// the writer beneath, so http.ResponseController (flush, full duplex,
// deadlines) keeps working.
type statusWriter struct {
	http.ResponseWriter
	status   int
	bytes    int64
	audience privacy.Audience // whom the answer is for (set by the route guard)
}

// findStatusWriter finds the front's writer beneath w, if any.
func findStatusWriter(w http.ResponseWriter) *statusWriter {
	for w != nil {
		if sw, ok := w.(*statusWriter); ok {
			return sw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// responseAudience is the masking audience of the answer written to w:
// anonymous unless the route guard said otherwise.
func responseAudience(w http.ResponseWriter) privacy.Audience {
	if sw := findStatusWriter(w); sw != nil {
		return sw.audience
	}
	return privacy.Anonymous
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets streaming handlers that assert http.Flusher keep working.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// internal logs an unexpected error and answers 500 (503 when the request
// ran out of time).
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		unavailable(w, err)
		return
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		writeError(w, http.StatusServiceUnavailable, "request timed out or was cancelled")
		return
	}
	s.log.Error("internal error", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

// retryAfter is what a client is told to wait while the store is down.
const retryAfter = "2"

// unavailable answers 503 with Retry-After: the store of record cannot be
// reached right now (the database restarts); what is served from memory
// (locate, geocode, tiles) goes on meanwhile.
func unavailable(w http.ResponseWriter, err error) {
	w.Header().Set("Retry-After", retryAfter)
	writeError(w, http.StatusServiceUnavailable, "the store is unavailable; retry later: "+err.Error())
}

// watchChanges applies the store's change notifications (store.Watcher):
// new events are fanned out, token caches dropped, rules and the city
// reloaded. Each replica of a shared database hears every replica's
// writes this way.
func (s *Server) watchChanges(ch <-chan store.Change) {
	o := s.ops
	reload := make(chan time.Time, 1)
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		for {
			var heard time.Time
			select {
			case <-o.stop:
				return
			case heard = <-reload:
			}
			// A write made through this server reloads (or swaps its
			// snapshot) right after its commit — plan apply, places and
			// people writes: give it a moment, and skip the reload when one
			// began after the change was learned (Change.At).
			select {
			case <-o.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if s.reloadStarted.Load() > heard.UnixNano() {
				continue
			}
			if err := s.Reload(context.Background()); err != nil {
				s.log.Error("reload after a change", "err", err)
			}
		}
	}()
	for c := range ch {
		all := c.Kind == store.ChangeAll
		if (all || c.Kind == store.ChangeEvents) && o.hub != nil {
			o.hub.notify()
		}
		if all || c.Kind == store.ChangeTokens {
			o.tokenCache.mu.Lock()
			clear(o.tokenCache.m)
			o.tokenCache.mu.Unlock()
		}
		if all || c.Kind == store.ChangeRules {
			s.reloadRules()
		}
		if all || c.Kind == store.ChangeCity {
			select { // one pending reload, for the latest change heard
			case <-reload:
			default:
			}
			// when the change was learned, not when this loop got to it: a
			// write through this server reloads (or swaps its snapshot) right
			// after its commit, and that must not be repeated
			at := c.At
			if at.IsZero() {
				at = time.Now()
			}
			reload <- at
		}
	}
}

// reloadRules takes the latest stored rules when they are newer than the
// ones in force.
func (s *Server) reloadRules() {
	o := s.ops
	if o.inc == nil {
		return
	}
	body, v, err := o.inc.Rules(context.Background())
	if err != nil || v <= o.rulesVer.Load() {
		if err != nil && !isNotFound(err) {
			s.log.Error("reload rules", "err", err)
		}
		return
	}
	r, err := data.ParseRules(body)
	if err != nil {
		s.log.Error("reload rules", "version", v, "err", err)
		return
	}
	o.rules.Store(r)
	o.rulesVer.Store(v)
	s.log.Info("rules reloaded", "version", v)
}
