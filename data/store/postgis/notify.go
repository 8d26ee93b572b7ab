package postgis

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap/data/store"
)

// Changes travel between processes by LISTEN/NOTIFY on one channel. A
// write's notification is sent inside its transaction (pg_notify), so it
// is delivered if and only if the write commits, after it is visible.
const channel = "gridmap_changes"

// notify queues a change notification in tx: "kind:seq".
func notify(ctx context.Context, tx pgx.Tx, kind string, seq int64) error {
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", channel, kind+":"+strconv.FormatInt(seq, 10))
	return err
}

func parseChange(payload string) store.Change {
	kind, seq, _ := strings.Cut(payload, ":")
	n, _ := strconv.ParseInt(seq, 10, 64)
	return store.Change{Kind: kind, Seq: n}
}

// listener holds the one LISTEN connection of a Store, started by the
// first Watch and ended by Close.
type listener struct {
	once   sync.Once
	hub    store.Hub
	cancel context.CancelFunc
	done   chan struct{}
	ready  chan struct{} // closed once the first LISTEN is in place
}

// Watch subscribes to every change committed to the database, by any
// process. When the listening connection is lost (the database restarts),
// it reconnects by itself and then sends ChangeAll: notifications sent
// meanwhile are gone, so subscribers refresh everything.
func (s *Store) Watch(ctx context.Context) <-chan store.Change {
	l := &s.listen
	ch := l.hub.Watch(ctx)
	l.once.Do(func() {
		lctx, cancel := context.WithCancel(context.Background())
		l.cancel, l.done, l.ready = cancel, make(chan struct{}), make(chan struct{})
		go s.listenLoop(lctx)
		// a subscriber hears of what commits after Watch returns: wait
		// (a while) for the LISTEN to be in place
		select {
		case <-l.ready:
		case <-time.After(5 * time.Second):
		}
	})
	return ch
}

func (s *Store) listenLoop(ctx context.Context) {
	defer close(s.listen.done)
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, s.url)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+channel)
		}
		if err != nil {
			if conn != nil {
				conn.Close(context.Background())
			}
			s.log.Debug("store: listen: connect", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if first {
			close(s.listen.ready)
		}
		if !first {
			s.log.Info("store: change notifications back")
			s.listen.hub.Publish(store.Change{Kind: store.ChangeAll})
		}
		first = false
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("store: change notifications lost; reconnecting", "err", err)
				}
				break
			}
			s.listen.hub.Publish(parseChange(n.Payload))
		}
		conn.Close(context.Background())
	}
}
