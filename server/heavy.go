package server

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Heavy work — a siting, a batch locate, a plan proposal — takes a core
// for up to seconds. It runs in a bounded, fair queue per kind of work:
//
//   - callers with a token and anonymous callers have separate lanes, so an
//     anonymous run never holds up a planner's: tokens share one slot per
//     core, anonymous callers one slot between them all;
//   - each caller (token, or address when anonymous) has at most one run
//     and one waiting request per queue; more is a 429;
//   - a lane holds at most heavyMaxWaiting waiting requests; an anonymous
//     request waits at most heavyAnonWait for its slot; past either, 429;
//   - anonymous callers are rate limited per address (HeavyAnonRate, on by
//     default), with Retry-After saying when to come back.

// Defaults of the heavy-work queues.
const (
	heavyMaxWaiting  = 16
	heavyPerCaller   = 2 // running + waiting
	heavyAnonWait    = 10 * time.Second
	defaultAnonHeavy = 6.0 / 60 // anonymous heavy runs per second per address: 6 a minute
	defaultAnonBurst = 3
)

type heavyQueues struct {
	mu        sync.Mutex
	queues    map[string]*heavyQueue
	authSlots int
	anonLimit *rateLimiter // nil: anonymous heavy work unlimited
}

type heavyQueue struct {
	auth, anon chan struct{} // slots of each lane
	mu         sync.Mutex
	callers    map[string]int // caller → running + waiting
	waiting    [2]int         // [anonymous] waiting
}

func newHeavyQueues(anonRate float64, burst int) *heavyQueues {
	h := &heavyQueues{queues: map[string]*heavyQueue{}, authSlots: max(1, runtime.GOMAXPROCS(0))}
	if anonRate > 0 {
		if burst < 1 {
			burst = defaultAnonBurst
		}
		h.anonLimit = &rateLimiter{rate: anonRate, burst: float64(burst), m: map[string]*bucket{}}
	}
	return h
}

func (h *heavyQueues) queue(name string) *heavyQueue {
	h.mu.Lock()
	defer h.mu.Unlock()
	q := h.queues[name]
	if q == nil {
		q = &heavyQueue{auth: make(chan struct{}, h.authSlots), anon: make(chan struct{}, 1), callers: map[string]int{}}
		h.queues[name] = q
	}
	return q
}

// acquire waits for a slot of the named queue for caller p (nil:
// anonymous, from host). It returns the release function, or ok false with
// how long the caller should wait before trying again.
func (h *heavyQueues) acquire(ctx context.Context, name string, p *Principal, host string) (release func(), retry time.Duration, ok bool) {
	anon := p == nil
	key := "ip:" + host
	if !anon {
		key = "token:" + p.TokenID
	}
	if anon && h.anonLimit != nil {
		if ok, wait := h.anonLimit.allow(name+"|"+key, time.Now()); !ok {
			return nil, wait, false
		}
	}
	q := h.queue(name)
	lane := q.auth
	li := 0
	if anon {
		lane, li = q.anon, 1
	}
	q.mu.Lock()
	if q.callers[key] >= heavyPerCaller || q.waiting[li] >= heavyMaxWaiting {
		q.mu.Unlock()
		return nil, 2 * time.Second, false
	}
	q.callers[key]++
	q.waiting[li]++
	q.mu.Unlock()
	done := func(ran bool) {
		q.mu.Lock()
		if q.callers[key]--; q.callers[key] <= 0 {
			delete(q.callers, key)
		}
		if !ran {
			q.waiting[li]--
		}
		q.mu.Unlock()
	}
	var timeout <-chan time.Time
	if anon {
		t := time.NewTimer(heavyAnonWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case lane <- struct{}{}:
	case <-ctx.Done():
		done(false)
		return nil, time.Second, false
	case <-timeout:
		done(false)
		return nil, heavyAnonWait, false
	}
	q.mu.Lock()
	q.waiting[li]--
	q.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			<-lane
			done(true)
		})
	}, 0, true
}
