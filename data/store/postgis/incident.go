package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// eventLock is the advisory lock that orders the transactions writing
// incident events (see the package doc).
const eventLock = 0x67726d02

// lockEvents takes the event lock for the rest of the transaction.
func lockEvents(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(eventLock)); err != nil {
		return fmt.Errorf("store: event lock: %w", err)
	}
	return nil
}

type itemRefused struct{ err error }

func (e itemRefused) Error() string { return e.err.Error() }

// CreateIncidents writes each incident, its first history event, its
// idempotency key and its audit entry in one transaction (group commit);
// see store.IncidentStore. Idempotency keys are checked inside the
// transaction under the event lock, so they hold across replicas.
func (s *Store) CreateIncidents(ctx context.Context, reqs []store.NewIncident) ([]store.Created, error) {
	out := make([]store.Created, len(reqs))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockEvents(ctx, tx); err != nil {
			return err
		}
		for i := range reqs {
			c, err := s.createIncident(ctx, tx, &reqs[i])
			var refused itemRefused
			switch {
			case errors.As(err, &refused):
				c = store.Created{Err: refused.err}
			case err != nil:
				return err
			}
			out[i] = c
		}
		var last int64
		for _, c := range out {
			last = max(last, c.Event.Seq)
		}
		if last > 0 {
			return notify(ctx, tx, store.ChangeEvents, last)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) createIncident(ctx context.Context, tx pgx.Tx, req *store.NewIncident) (store.Created, error) {
	if req.Actor == "" {
		return store.Created{}, itemRefused{errors.New("store: create incident: no actor")}
	}
	if req.IdempotencyKey != "" {
		var hash, id string
		err := tx.QueryRow(ctx, `SELECT request_hash, incident_id FROM idempotency_keys WHERE actor = $1 AND key = $2`, req.Actor, req.IdempotencyKey).Scan(&hash, &id)
		switch {
		case err == nil:
			if hash != req.RequestHash {
				return store.Created{}, itemRefused{store.ErrIdempotencyConflict}
			}
			rec, err := getIncident(ctx, tx, id)
			if err != nil {
				return store.Created{}, err
			}
			return store.Created{Record: rec, Replayed: true}, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return store.Created{}, fmt.Errorf("store: idempotency key: %w", err)
		}
	}
	// the incident's number and its event's, then every row in one
	// round trip (a pipelined batch); the event lock keeps both in order
	var fid, seq int64
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('incidents', 'fid')), nextval(pg_get_serial_sequence('incident_history', 'seq'))`).Scan(&fid, &seq); err != nil {
		return store.Created{}, fmt.Errorf("store: next incident id: %w", err)
	}
	b := batch{&pgx.Batch{}}
	rec := req.Record
	if rec.ReportedAt.IsZero() {
		rec.ReportedAt = s.now()
	}
	rec.ReportedAt = rec.ReportedAt.UTC().Truncate(time.Millisecond)
	rec.UpdatedAt = rec.ReportedAt
	rec.ID = fmt.Sprintf("GM%s-%06d", rec.ReportedAt.Format("20060102"), fid)
	rec.Status = data.StatusReported
	rec.Version = 1
	if err := insertIncident(ctx, b, fid, &rec.Incident); err != nil {
		return store.Created{}, err
	}
	if err := putExt(ctx, b, &rec); err != nil {
		return store.Created{}, err
	}
	ev := data.IncidentEvent{
		IncidentID: rec.ID, At: rec.ReportedAt, Actor: req.Actor, ActorRole: req.Role,
		Type: data.EventCreated, To: rec.Status, Note: rec.Description, Incident: rec.Incident,
	}
	if err := appendEvent(ctx, b, seq, &ev); err != nil {
		return store.Created{}, err
	}
	ev.Seq = seq
	if req.IdempotencyKey != "" {
		if _, err := b.Exec(ctx, `INSERT INTO idempotency_keys (actor, key, request_hash, incident_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
			req.Actor, req.IdempotencyKey, req.RequestHash, rec.ID, ms(rec.ReportedAt)); err != nil {
			return store.Created{}, fmt.Errorf("store: idempotency key: %w", err)
		}
	}
	detail, err := json.Marshal(map[string]any{"after": tables.AuditView(&rec), "event": seq})
	if err != nil {
		return store.Created{}, err
	}
	if err := s.appendAudit(ctx, b, data.AuditEntry{At: rec.ReportedAt, Actor: req.Actor, Action: "incident.create", Target: rec.ID, Detail: string(detail)}); err != nil {
		return store.Created{}, err
	}
	if err := b.send(ctx, tx); err != nil {
		return store.Created{}, fmt.Errorf("store: create incident %s: %w", rec.ID, err)
	}
	return store.Created{Record: rec, Event: ev}, nil
}

func insertIncident(ctx context.Context, tx sink, fid int64, in *data.Incident) error {
	g, err := geomArg(in.Point)
	if err != nil {
		return fmt.Errorf("store: incident %s point: %w", in.ID, err)
	}
	deps, err := tables.JSONList(in.Departments)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incidents (fid, geom, id, module, category, description, status, address,
	grid_code, community_code, street_code, district_code, departments, reported_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		fid, g, in.ID, in.Module, in.Category, in.Description, in.Status, in.Address,
		in.GridCode, in.CommunityCode, in.StreetCode, in.DistrictCode, deps, ms(in.ReportedAt), ms(in.UpdatedAt)); err != nil {
		return fmt.Errorf("store: insert incident %s: %w", in.ID, err)
	}
	return nil
}

func putExt(ctx context.Context, tx sink, rec *data.IncidentRecord) error {
	rs := make([]tables.Responder, len(rec.Responders))
	for i, r := range rec.Responders {
		rs[i] = tables.Responder(r)
	}
	resp, err := tables.JSONList(rs)
	if err != nil {
		return err
	}
	done, err := tables.JSONList(rec.Responded)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO incident_ext (incident_id, source, caller_name, caller_phone, responders, responded,
	duplicate_of, accept_due, resolve_due, escalated_at, escalated_to, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (incident_id) DO UPDATE SET source = excluded.source, caller_name = excluded.caller_name,
	caller_phone = excluded.caller_phone, responders = excluded.responders, responded = excluded.responded,
	duplicate_of = excluded.duplicate_of, accept_due = excluded.accept_due, resolve_due = excluded.resolve_due,
	escalated_at = excluded.escalated_at, escalated_to = excluded.escalated_to, version = excluded.version`,
		rec.ID, rec.Source, rec.Caller.Name, rec.Caller.Phone, resp, done, rec.DuplicateOf,
		ms(rec.AcceptDue), ms(rec.ResolveDue), ms(rec.EscalatedAt), rec.EscalatedTo, rec.Version)
	if err != nil {
		return fmt.Errorf("store: incident %s details: %w", rec.ID, err)
	}
	return nil
}

// appendEvent writes one history row with sequence number seq (from
// nextval, taken under the event lock).
func appendEvent(ctx context.Context, tx sink, seq int64, ev *data.IncidentEvent) error {
	deps, err := tables.JSONList(ev.Departments)
	if err != nil {
		return err
	}
	state, err := json.Marshal(tables.ToPublic(ev.Incident))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO incident_history (seq, incident_id, at, actor, actor_role, type, action,
	from_status, to_status, note, departments, incident) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		seq, ev.IncidentID, ms(ev.At), ev.Actor, ev.ActorRole, ev.Type, ev.Action, ev.From, ev.To, ev.Note, deps, string(state))
	if err != nil {
		return fmt.Errorf("store: incident %s history: %w", ev.IncidentID, err)
	}
	return nil
}

// nextEvent takes the next event sequence number.
func nextEvent(ctx context.Context, tx pgx.Tx) (int64, error) {
	var seq int64
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('incident_history', 'seq'))`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: next event: %w", err)
	}
	return seq, nil
}

// sink takes statements: a transaction runs them now, a batch queues them
// to send in one round trip.
type sink interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

type batch struct{ b *pgx.Batch }

func (b batch) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	b.b.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

// send runs the queued statements in tx, failing on the first error.
func (b batch) send(ctx context.Context, tx pgx.Tx) error {
	res := tx.SendBatch(ctx, b.b)
	for range b.b.Len() {
		if _, err := res.Exec(); err != nil {
			res.Close()
			return err
		}
	}
	return res.Close()
}

// UpdateIncident reads incident id (locking its row), lets fn change it
// and return the event to record, and writes both with an audit entry
// holding the state before and after; see store.IncidentStore.
func (s *Store) UpdateIncident(ctx context.Context, id, actor, role string, fn func(rec *data.IncidentRecord) (data.IncidentEvent, error)) (data.IncidentRecord, data.IncidentEvent, error) {
	var (
		rec data.IncidentRecord
		ev  data.IncidentEvent
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockEvents(ctx, tx); err != nil {
			return err
		}
		var err error
		if rec, err = getIncident(ctx, tx, id); err != nil {
			return err
		}
		before := tables.AuditView(&rec)
		ev, err = fn(&rec)
		if err != nil {
			return err
		}
		if ev.Actor == "" {
			ev.Actor, ev.ActorRole = actor, role
		}
		deps, err := tables.JSONList(rec.Departments)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET status = $1, departments = $2, updated_at = $3 WHERE id = $4`,
			rec.Status, deps, ms(rec.UpdatedAt), rec.ID); err != nil {
			return fmt.Errorf("store: update incident %s: %w", id, err)
		}
		if err := putExt(ctx, tx, &rec); err != nil {
			return err
		}
		if ev.Seq, err = nextEvent(ctx, tx); err != nil {
			return err
		}
		if err := appendEvent(ctx, tx, ev.Seq, &ev); err != nil {
			return err
		}
		if err := notify(ctx, tx, store.ChangeEvents, ev.Seq); err != nil {
			return err
		}
		detail, err := json.Marshal(map[string]any{"before": before, "after": tables.AuditView(&rec), "event": ev.Seq})
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, data.AuditEntry{At: ev.At, Actor: ev.Actor, Action: "incident." + ev.Type, Target: id, Detail: string(detail)})
	})
	if errors.Is(err, store.ErrNoChange) {
		return rec, data.IncidentEvent{}, nil
	}
	if err != nil {
		return data.IncidentRecord{}, data.IncidentEvent{}, err
	}
	return rec, ev, nil
}

var recordCols = tables.RecordColumns("ST_AsBinary(i.geom)")

const recordFrom = tables.RecordFrom

func scanRecord(r pgx.Row) (data.IncidentRecord, error) { return tables.ScanRecord(r, decodeWKB) }

func getIncident(ctx context.Context, q querier, id string) (data.IncidentRecord, error) {
	rec, err := scanRecord(q.QueryRow(ctx, "SELECT "+recordCols+recordFrom+" WHERE i.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, fmt.Errorf("incident %q: %w", id, store.ErrNotFound)
	}
	return rec, err
}

// Incident returns one incident with its history, oldest event first.
func (s *Store) Incident(ctx context.Context, id string) (data.IncidentRecord, []data.IncidentEvent, error) {
	var (
		rec data.IncidentRecord
		evs []data.IncidentEvent
	)
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var err error
		if rec, err = getIncident(ctx, tx, id); err != nil {
			return err
		}
		evs, err = queryEvents(ctx, tx, `WHERE incident_id = $1 ORDER BY seq`, id)
		return err
	})
	return rec, evs, err
}

// Incidents returns one page of the incidents that pass f, and how many
// pass it in all.
func (s *Store) Incidents(ctx context.Context, f store.IncidentFilter) ([]data.IncidentRecord, int, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if len(f.Statuses) > 0 {
		where = append(where, "i.status = ANY("+arg(f.Statuses)+")")
	}
	if len(f.Categories) > 0 {
		where = append(where, "i.category = ANY("+arg(f.Categories)+")")
	}
	for col, v := range map[string]string{"i.module": f.Module, "i.grid_code": f.Grid, "i.community_code": f.Community, "i.street_code": f.Street} {
		if v != "" {
			where = append(where, col+" = "+arg(v))
		}
	}
	if f.BBox != nil {
		where = append(where, fmt.Sprintf("i.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
			arg(f.BBox.Min[0]), arg(f.BBox.Min[1]), arg(f.BBox.Max[0]), arg(f.BBox.Max[1])))
	}
	if !f.From.IsZero() {
		where = append(where, "i.reported_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "i.reported_at < "+arg(f.To))
	}
	if f.Escalated {
		where = append(where, "e.escalated_at IS NOT NULL")
	}
	w := ""
	if len(where) > 0 {
		w = " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var (
		out   []data.IncidentRecord
		total int
	)
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT count(*)"+recordFrom+w, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: incidents: %w", err)
		}
		order := " ORDER BY i.reported_at DESC, i.fid DESC"
		if f.Ascending {
			order = " ORDER BY i.reported_at, i.fid"
		}
		page := append(append([]any(nil), args...), f.Limit, f.Offset)
		rows, err := tx.Query(ctx, "SELECT "+recordCols+recordFrom+w+order+fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(args)+1, len(args)+2), page...)
		if err != nil {
			return fmt.Errorf("store: incidents: %w", err)
		}
		out, err = collectRecords(rows)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func collectRecords(rows pgx.Rows) ([]data.IncidentRecord, error) {
	defer rows.Close()
	var out []data.IncidentRecord
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("store: incidents: %w", err)
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// IncidentEvents returns up to limit events with a sequence number after
// the one given, in order.
func (s *Store) IncidentEvents(ctx context.Context, after int64, limit int) ([]data.IncidentEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	evs, err := queryEvents(ctx, s.pool, `WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	return evs, wrapErr(err)
}

// LastIncidentEvent returns the sequence number of the latest event, 0 if
// there is none.
func (s *Store) LastIncidentEvent(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM incident_history`).Scan(&n); err != nil {
		return 0, wrapErr(fmt.Errorf("store: last event: %w", err))
	}
	return n, nil
}

func queryEvents(ctx context.Context, q querier, tail string, args ...any) ([]data.IncidentEvent, error) {
	rows, err := q.Query(ctx, `SELECT `+tables.EventColumns+` FROM incident_history `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("store: incident events: %w", err)
	}
	defer rows.Close()
	var out []data.IncidentEvent
	for rows.Next() {
		ev, err := tables.ScanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// IncidentCounts returns the number of incidents in each state.
func (s *Store) IncidentCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM incidents GROUP BY status`)
	if err != nil {
		return nil, wrapErr(fmt.Errorf("store: incident counts: %w", err))
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var st tables.String
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: incident counts: %w", err)
		}
		m[st.S] += int(n)
	}
	return m, wrapErr(rows.Err())
}

// OverdueIncidents returns up to limit open, unescalated incidents with an
// SLA deadline before now.
func (s *Store) OverdueIncidents(ctx context.Context, now time.Time, limit int) ([]data.IncidentRecord, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, "SELECT "+recordCols+recordFrom+` WHERE e.escalated_at IS NULL
	AND i.status IN ('reported', 'accepted', 'dispatched', 'responded')
	AND ((i.status = 'reported' AND e.accept_due < $1) OR e.resolve_due < $1) ORDER BY i.fid LIMIT $2`, ms(now), limit)
	if err != nil {
		return nil, wrapErr(fmt.Errorf("store: overdue incidents: %w", err))
	}
	recs, err := collectRecords(rows)
	return recs, wrapErr(err)
}

// SetRules stores a new version of the routing rules and audits it.
func (s *Store) SetRules(ctx context.Context, body []byte, actor string) (int64, error) {
	var v int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		at := s.now()
		if err := tx.QueryRow(ctx, `INSERT INTO incident_rules (at, actor, body) VALUES ($1, $2, $3) RETURNING version`, ms(at), actor, string(body)).Scan(&v); err != nil {
			return fmt.Errorf("store: set rules: %w", err)
		}
		if err := notify(ctx, tx, store.ChangeRules, v); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"version": v, "bytes": len(body)})
		return s.appendAudit(ctx, tx, data.AuditEntry{At: at, Actor: actor, Action: "rules.set", Target: tables.TableRules, Detail: string(detail)})
	})
	return v, err
}

// Rules returns the latest stored rules file and its version; ErrNotFound
// when none was ever stored.
func (s *Store) Rules(ctx context.Context) ([]byte, int64, error) {
	var (
		v    int64
		body string
	)
	err := s.pool.QueryRow(ctx, `SELECT version, body FROM incident_rules ORDER BY version DESC LIMIT 1`).Scan(&v, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, fmt.Errorf("rules: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, 0, wrapErr(fmt.Errorf("store: rules: %w", err))
	}
	return []byte(body), v, nil
}
