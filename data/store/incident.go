package store

import (
	"context"
	"errors"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
)

// Errors of the stores.
var (
	ErrNotFound            = errors.New("not found")
	ErrIdempotencyConflict = errors.New("idempotency key reused with a different request")
	// ErrNoChange may be returned by an UpdateIncident function to leave
	// the incident as it is without an error.
	ErrNoChange = errors.New("no change")
)

// IncidentStore keeps incidents, their history (the live-event sequence)
// and the idempotency keys of their creation.
type IncidentStore interface {
	// CreateIncidents writes each incident, its first history event and its
	// audit entry, in one transaction (group commit). An item refused
	// before anything of it is written (a reused idempotency key, no actor)
	// fails alone, in its Created.Err; any other error fails the whole call
	// and nothing of it is stored. When it returns nil, every item without
	// an Err is durable.
	CreateIncidents(ctx context.Context, reqs []NewIncident) ([]Created, error)
	// UpdateIncident reads incident id in a write transaction, lets fn
	// change it and return the event to record, and writes both with an
	// audit entry. When fn fails nothing changes and its error is returned
	// (ErrNoChange from fn returns the record unchanged, a zero event and a
	// nil error).
	UpdateIncident(ctx context.Context, id, actor, role string, fn func(rec *data.IncidentRecord) (data.IncidentEvent, error)) (data.IncidentRecord, data.IncidentEvent, error)
	// Incident returns one incident with its history, oldest event first.
	Incident(ctx context.Context, id string) (data.IncidentRecord, []data.IncidentEvent, error)
	// Incidents returns one page of the incidents that pass f, and how many
	// pass it in all.
	Incidents(ctx context.Context, f IncidentFilter) ([]data.IncidentRecord, int, error)
	// IncidentEvents returns up to limit events with a sequence number after
	// the one given, in order. Sequence numbers only grow and a reader that
	// has seen event n never later finds an event below n that it missed:
	// every backend makes events visible in sequence order.
	IncidentEvents(ctx context.Context, after int64, limit int) ([]data.IncidentEvent, error)
	// LastIncidentEvent returns the sequence number of the latest event, 0
	// if there is none.
	LastIncidentEvent(ctx context.Context) (int64, error)
	// IncidentCounts returns the number of incidents in each state.
	IncidentCounts(ctx context.Context) (map[string]int, error)
	// OverdueIncidents returns up to limit open, unescalated incidents with
	// an SLA deadline before now.
	OverdueIncidents(ctx context.Context, now time.Time, limit int) ([]data.IncidentRecord, error)
}

// RuleStore keeps every version of the incident routing rules.
type RuleStore interface {
	// SetRules stores a new version of the routing rules (body is the
	// rules file) and audits it; it returns the new version number.
	SetRules(ctx context.Context, body []byte, actor string) (int64, error)
	// Rules returns the latest stored rules file and its version;
	// ErrNotFound when none was ever stored.
	Rules(ctx context.Context) ([]byte, int64, error)
}

// NewIncident asks CreateIncidents for one incident. Record.ID, Status,
// ReportedAt and Version are set by the store (ReportedAt from the store's
// clock when zero).
type NewIncident struct {
	Record data.IncidentRecord
	Actor  string // who reports it
	Role   string
	// IdempotencyKey, when set, makes the creation happen once per actor
	// and key: a retry with the same RequestHash returns the first result,
	// another request under the same key fails with ErrIdempotencyConflict.
	IdempotencyKey string
	RequestHash    string
}

// Created is the outcome of one NewIncident.
type Created struct {
	Record   data.IncidentRecord
	Event    data.IncidentEvent // zero when Replayed
	Replayed bool               // the idempotency key had been used: Record is the first result
	Err      error
}

// IncidentFilter selects incidents; zero fields do not filter.
type IncidentFilter struct {
	Statuses   []string
	Categories []string
	Module     string
	Grid       string
	Community  string
	Street     string
	BBox       *orb.Bound
	From, To   time.Time // reported in [From, To)
	Escalated  bool      // only escalated ones
	Limit      int       // default 100
	Offset     int
	Ascending  bool // oldest first (default newest first)
}

// ErrUnavailable marks an error of a store that cannot be reached right
// now (the database is down or restarting): the caller may retry later,
// and a server answers 503 with Retry-After.
var ErrUnavailable = errors.New("store unavailable")
