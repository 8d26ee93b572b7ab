package store

import (
	"context"
	"sync"
	"time"
)

// Change tells that a write committed: what kind of state changed, so that
// every process serving the store (every replica) can refresh what it
// derived from it.
type Change struct {
	Kind string
	// Seq is, for ChangeEvents, the sequence number of the last event the
	// write committed.
	Seq int64
	// At is when this process learned of the commit (Hub.Publish stamps
	// it): right after the commit for a write made through this process,
	// on receipt for one heard from the database. A read of the store that
	// began after At sees the change.
	At time.Time
}

// Kinds of changes.
const (
	ChangeEvents = "events" // incident history rows: live events to fan out
	ChangeCity   = "city"   // a layer replaced, a plan applied: reload the city
	ChangeTokens = "tokens" // a token created or revoked: drop token caches
	ChangeRules  = "rules"  // new routing rules: load them
	// ChangeAll: changes may have been missed (the notification channel
	// was lost and is back): refresh everything.
	ChangeAll = "all"
)

// Watcher is the publish/subscribe seam of a store: every committed write
// is published, and every subscriber, in this process (the GeoPackage's
// in-process hub) or in any process on the same database (PostgreSQL's
// LISTEN/NOTIFY), hears of it. Live events and cache invalidation both
// sit on it.
type Watcher interface {
	// Watch subscribes to the store's changes until ctx ends, when the
	// channel is closed. A subscriber that falls behind gets a ChangeAll
	// in place of what it missed.
	Watch(ctx context.Context) <-chan Change
}

// Hub fans changes out to subscribers in one process; backends embed it.
// The zero value is ready.
type Hub struct {
	mu   sync.Mutex
	subs map[chan Change]struct{}
}

// Watch implements Watcher.
func (h *Hub) Watch(ctx context.Context) <-chan Change {
	ch := make(chan Change, 64)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan Change]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		delete(h.subs, ch)
		close(ch)
		h.mu.Unlock()
	}()
	return ch
}

// Publish hands c to every subscriber without blocking: one whose buffer
// is full gets ChangeAll once there is room, which covers what it missed.
func (h *Hub) Publish(c Change) {
	if c.At.IsZero() {
		c.At = time.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- c:
		default:
			// full: replace the oldest with a ChangeAll
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- Change{Kind: ChangeAll}:
			default:
			}
		}
	}
}
