package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// CreateIncidents writes each incident, its first history event and its
// audit entry, in one transaction: one fsync for the whole batch (group
// commit). An item refused before anything of it is written (a reused
// idempotency key, no actor) fails alone, in its Created.Err; any other
// error fails the whole call and nothing of it is stored — the caller may
// then retry the items one by one. When it returns nil, every item
// without an Err is durable.
func (g *Store) CreateIncidents(ctx context.Context, reqs []store.NewIncident) ([]store.Created, error) {
	out := make([]store.Created, len(reqs))
	err := g.inTx(ctx, func(tx *sql.Tx) error {
		var seq int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'incidents'), 0)`).Scan(&seq); err != nil {
			return fmt.Errorf("store: next incident id: %w", err)
		}
		b, err := prepareBatch(ctx, tx)
		if err != nil {
			return err
		}
		defer b.close()
		ext := envelope{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
		for i := range reqs {
			c, env, err := g.createIncident(ctx, b, &reqs[i], seq+1)
			var refused itemRefused
			switch {
			case errors.As(err, &refused):
				c = store.Created{Err: refused.err}
			case err != nil:
				return err
			case !c.Replayed:
				seq++
				ext = envelope{min(ext.minX, env.minX), max(ext.maxX, env.maxX), min(ext.minY, env.minY), max(ext.maxY, env.maxY)}
			}
			out[i] = c
		}
		if !math.IsInf(ext.minX, 0) {
			if err := g.extend(ctx, tx, data.LayerIncidents, ext); err != nil {
				return err
			}
			return g.touch(ctx, tx, tables.TableAudit)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var last int64
	for _, c := range out {
		last = max(last, c.Event.Seq)
	}
	if last > 0 {
		g.hub.Publish(store.Change{Kind: store.ChangeEvents, Seq: last})
	}
	return out, nil
}

// itemRefused is an item's error raised before anything of it was written.
type itemRefused struct{ err error }

func (e itemRefused) Error() string { return e.err.Error() }

// createBatch holds the statements of a group commit, prepared once.
type createBatch struct {
	tx                         *sql.Tx
	idemGet, idemPut, incident *sql.Stmt
	ext, event, audit          *sql.Stmt
	all                        []*sql.Stmt
}

func prepareBatch(ctx context.Context, tx *sql.Tx) (*createBatch, error) {
	b := &createBatch{tx: tx}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&b.idemGet, `SELECT request_hash, incident_id FROM idempotency_keys WHERE actor = ? AND key = ?`},
		{&b.idemPut, `INSERT INTO idempotency_keys (actor, key, request_hash, incident_id, created_at) VALUES (?, ?, ?, ?, ?)`},
		{&b.incident, insertIncidentSQL},
		{&b.ext, putExtSQL},
		{&b.event, appendEventSQL},
		{&b.audit, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`},
	} {
		st, err := tx.PrepareContext(ctx, p.q)
		if err != nil {
			b.close()
			return nil, fmt.Errorf("store: prepare %s: %w", firstLine(p.q), err)
		}
		*p.st = st
		b.all = append(b.all, st)
	}
	return b, nil
}

func (b *createBatch) close() {
	for _, st := range b.all {
		st.Close()
	}
}

func (g *Store) createIncident(ctx context.Context, b *createBatch, req *store.NewIncident, n int64) (store.Created, envelope, error) {
	if req.Actor == "" {
		return store.Created{}, envelope{}, itemRefused{errors.New("store: create incident: no actor")}
	}
	if req.IdempotencyKey != "" {
		var hash, id string
		err := b.idemGet.QueryRowContext(ctx, req.Actor, req.IdempotencyKey).Scan(&hash, &id)
		switch {
		case err == nil:
			if hash != req.RequestHash {
				return store.Created{}, envelope{}, itemRefused{store.ErrIdempotencyConflict}
			}
			rec, err := getIncident(ctx, b.tx, id)
			if err != nil {
				return store.Created{}, envelope{}, err
			}
			return store.Created{Record: rec, Replayed: true}, envelope{}, nil
		case !errors.Is(err, sql.ErrNoRows):
			return store.Created{}, envelope{}, fmt.Errorf("store: idempotency key: %w", err)
		}
	}
	rec := req.Record
	if rec.ReportedAt.IsZero() {
		rec.ReportedAt = g.now()
	}
	rec.ReportedAt = rec.ReportedAt.UTC().Truncate(time.Millisecond)
	rec.UpdatedAt = rec.ReportedAt
	rec.ID = fmt.Sprintf("GM%s-%06d", rec.ReportedAt.Format("20060102"), n)
	rec.Status = data.StatusReported
	rec.Version = 1
	env, err := insertIncidentRow(ctx, b.incident, &rec.Incident)
	if err != nil {
		return store.Created{}, envelope{}, err
	}
	if err := putExt(ctx, b.ext, &rec); err != nil {
		return store.Created{}, envelope{}, err
	}
	ev := data.IncidentEvent{
		IncidentID: rec.ID, At: rec.ReportedAt, Actor: req.Actor, ActorRole: req.Role,
		Type: data.EventCreated, To: rec.Status, Note: rec.Description, Incident: rec.Incident,
	}
	seq, err := appendEvent(ctx, b.event, &ev)
	if err != nil {
		return store.Created{}, envelope{}, err
	}
	ev.Seq = seq
	if req.IdempotencyKey != "" {
		if _, err := b.idemPut.ExecContext(ctx, req.Actor, req.IdempotencyKey, req.RequestHash, rec.ID, tables.FormatTime(rec.ReportedAt)); err != nil {
			return store.Created{}, envelope{}, fmt.Errorf("store: idempotency key: %w", err)
		}
	}
	detail, err := json.Marshal(map[string]any{"after": tables.AuditView(&rec), "event": seq})
	if err != nil {
		return store.Created{}, envelope{}, err
	}
	if _, err := b.audit.ExecContext(ctx, tables.FormatTime(rec.ReportedAt), req.Actor, "incident.create", rec.ID, string(detail)); err != nil {
		return store.Created{}, envelope{}, fmt.Errorf("store: append audit: %w", err)
	}
	return store.Created{Record: rec, Event: ev}, env, nil
}

const insertIncidentSQL = `INSERT INTO incidents (geom, id, module, category, description, status, address,
	grid_code, community_code, street_code, district_code, departments, reported_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// execer is a prepared statement or a transaction.
type execer interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
}

// txStmt runs one statement text in a transaction, unprepared.
type txStmt struct {
	tx *sql.Tx
	q  string
}

func (t txStmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.q, args...)
}

func insertIncidentRow(ctx context.Context, st execer, in *data.Incident) (envelope, error) {
	b, env, err := encodeGeom(in.Point)
	if err != nil {
		return env, fmt.Errorf("store: incident %s point: %w", in.ID, err)
	}
	deps, err := tables.JSONList(in.Departments)
	if err != nil {
		return env, err
	}
	if _, err := st.ExecContext(ctx, b, in.ID, in.Module, in.Category, in.Description, in.Status, in.Address,
		in.GridCode, in.CommunityCode, in.StreetCode, in.DistrictCode, deps, tables.FormatTime(in.ReportedAt), tables.FormatTime(in.UpdatedAt)); err != nil {
		return env, fmt.Errorf("store: insert incident %s: %w", in.ID, err)
	}
	return env, nil
}

const putExtSQL = `INSERT INTO incident_ext (incident_id, source, caller_name, caller_phone, responders, responded,
	duplicate_of, accept_due, resolve_due, escalated_at, escalated_to, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT(incident_id) DO UPDATE SET source = excluded.source, caller_name = excluded.caller_name,
	caller_phone = excluded.caller_phone, responders = excluded.responders, responded = excluded.responded,
	duplicate_of = excluded.duplicate_of, accept_due = excluded.accept_due, resolve_due = excluded.resolve_due,
	escalated_at = excluded.escalated_at, escalated_to = excluded.escalated_to, version = excluded.version`

func putExt(ctx context.Context, st execer, rec *data.IncidentRecord) error {
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
	_, err = st.ExecContext(ctx, rec.ID, rec.Source, rec.Caller.Name, rec.Caller.Phone, resp, done, rec.DuplicateOf,
		tables.FormatTime(rec.AcceptDue), tables.FormatTime(rec.ResolveDue), tables.FormatTime(rec.EscalatedAt), rec.EscalatedTo, rec.Version)
	if err != nil {
		return fmt.Errorf("store: incident %s details: %w", rec.ID, err)
	}
	return nil
}

const appendEventSQL = `INSERT INTO incident_history (incident_id, at, actor, actor_role, type, action,
	from_status, to_status, note, departments, incident) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func appendEvent(ctx context.Context, st execer, ev *data.IncidentEvent) (int64, error) {
	deps, err := tables.JSONList(ev.Departments)
	if err != nil {
		return 0, err
	}
	state, err := json.Marshal(tables.ToPublic(ev.Incident))
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, ev.IncidentID, tables.FormatTime(ev.At), ev.Actor, ev.ActorRole, ev.Type, ev.Action, ev.From, ev.To, ev.Note, deps, string(state))
	if err != nil {
		return 0, fmt.Errorf("store: incident %s history: %w", ev.IncidentID, err)
	}
	return res.LastInsertId()
}

// UpdateIncident reads incident id and its record in a write transaction,
// lets fn change the record and return the event to record, and writes
// both, with an audit entry holding the state before and after. When fn
// fails nothing changes and its error is returned (ErrNoChange from fn
// returns the record unchanged and a nil error with a zero event).
func (g *Store) UpdateIncident(ctx context.Context, id, actor, role string, fn func(rec *data.IncidentRecord) (data.IncidentEvent, error)) (data.IncidentRecord, data.IncidentEvent, error) {
	var (
		rec data.IncidentRecord
		ev  data.IncidentEvent
	)
	err := g.inTx(ctx, func(tx *sql.Tx) error {
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
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET status = ?, departments = ?, updated_at = ? WHERE id = ?`,
			rec.Status, deps, tables.FormatTime(rec.UpdatedAt), rec.ID); err != nil {
			return fmt.Errorf("store: update incident %s: %w", id, err)
		}
		if err := g.touch(ctx, tx, data.LayerIncidents); err != nil {
			return err
		}
		if err := putExt(ctx, txStmt{tx, putExtSQL}, &rec); err != nil {
			return err
		}
		if ev.Seq, err = appendEvent(ctx, txStmt{tx, appendEventSQL}, &ev); err != nil {
			return err
		}
		detail, err := json.Marshal(map[string]any{"before": before, "after": tables.AuditView(&rec), "event": ev.Seq})
		if err != nil {
			return err
		}
		return g.appendAudit(ctx, tx, data.AuditEntry{At: ev.At, Actor: ev.Actor, Action: "incident." + ev.Type, Target: id, Detail: string(detail)})
	})
	if errors.Is(err, store.ErrNoChange) {
		return rec, data.IncidentEvent{}, nil
	}
	if err != nil {
		return data.IncidentRecord{}, data.IncidentEvent{}, err
	}
	if ev.Seq != 0 {
		g.hub.Publish(store.Change{Kind: store.ChangeEvents, Seq: ev.Seq})
	}
	return rec, ev, nil
}

var recordCols = tables.RecordColumns("i.geom")

const recordFrom = tables.RecordFrom

func scanRecord(r tables.Scanner) (data.IncidentRecord, error) {
	return tables.ScanRecord(r, decodeGeom)
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getIncident(ctx context.Context, q rowQuerier, id string) (data.IncidentRecord, error) {
	rec, err := scanRecord(q.QueryRowContext(ctx, "SELECT "+recordCols+recordFrom+" WHERE i.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return rec, fmt.Errorf("incident %q: %w", id, store.ErrNotFound)
	}
	return rec, err
}

// Incident returns one incident with its history, oldest event first.
func (g *Store) Incident(ctx context.Context, id string) (data.IncidentRecord, []data.IncidentEvent, error) {
	tx, err := g.r.BeginTx(ctx, nil)
	if err != nil {
		return data.IncidentRecord{}, nil, fmt.Errorf("store: incident: %w", err)
	}
	defer tx.Rollback()
	rec, err := getIncident(ctx, tx, id)
	if err != nil {
		return rec, nil, err
	}
	evs, err := queryEvents(ctx, tx, `WHERE incident_id = ? ORDER BY seq`, id)
	return rec, evs, err
}

// Incidents returns one page of the incidents that pass f, and how many
// pass it in all.
func (g *Store) Incidents(ctx context.Context, f store.IncidentFilter) ([]data.IncidentRecord, int, error) {
	var where []string
	var args []any
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		where = append(where, col+" IN (?"+strings.Repeat(",?", len(vals)-1)+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	in("i.status", f.Statuses)
	in("i.category", f.Categories)
	eq("i.module", f.Module)
	eq("i.grid_code", f.Grid)
	eq("i.community_code", f.Community)
	eq("i.street_code", f.Street)
	if f.BBox != nil {
		where = append(where, `i.fid IN (SELECT id FROM rtree_incidents_geom WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)`)
		args = append(args, f.BBox.Min[0], f.BBox.Max[0], f.BBox.Min[1], f.BBox.Max[1])
	}
	if !f.From.IsZero() {
		where = append(where, "i.reported_at >= ?")
		args = append(args, tables.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "i.reported_at < ?")
		args = append(args, tables.FormatTime(f.To))
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
	tx, err := g.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("store: incidents: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*)"+recordFrom+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: incidents: %w", err)
	}
	order := " ORDER BY i.reported_at DESC, i.fid DESC"
	if f.Ascending {
		order = " ORDER BY i.reported_at, i.fid"
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+recordCols+recordFrom+w+order+" LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: incidents: %w", err)
	}
	defer rows.Close()
	var out []data.IncidentRecord
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("store: incidents: %w", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: incidents: %w", err)
	}
	return out, total, nil
}

// IncidentEvents returns up to limit events with a sequence number after
// the one given, in order.
func (g *Store) IncidentEvents(ctx context.Context, after int64, limit int) ([]data.IncidentEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	return queryEvents(ctx, g.r, `WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
}

// LastIncidentEvent returns the sequence number of the latest event, 0 if
// there is none.
func (g *Store) LastIncidentEvent(ctx context.Context) (int64, error) {
	var n int64
	if err := g.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM incident_history`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: last event: %w", err)
	}
	return n, nil
}

func queryEvents(ctx context.Context, q querier, tail string, args ...any) ([]data.IncidentEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+tables.EventColumns+` FROM incident_history `+tail, args...)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: incident events: %w", err)
	}
	return out, nil
}

// IncidentCounts returns the number of incidents in each state.
func (g *Store) IncidentCounts(ctx context.Context) (map[string]int, error) {
	rows, err := g.r.QueryContext(ctx, `SELECT status, count(*) FROM incidents GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store: incident counts: %w", err)
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var s tables.String
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: incident counts: %w", err)
		}
		m[s.S] += n
	}
	return m, rows.Err()
}

// OverdueIncidents returns up to limit open, unescalated incidents with an
// SLA deadline before now.
func (g *Store) OverdueIncidents(ctx context.Context, now time.Time, limit int) ([]data.IncidentRecord, error) {
	if limit <= 0 {
		limit = 1000
	}
	t := tables.FormatTime(now)
	rows, err := g.r.QueryContext(ctx, "SELECT "+recordCols+recordFrom+` WHERE e.escalated_at IS NULL
	AND i.status IN ('reported', 'accepted', 'dispatched', 'responded')
	AND ((i.status = 'reported' AND e.accept_due < ?) OR e.resolve_due < ?) ORDER BY i.fid LIMIT ?`, t, t, limit)
	if err != nil {
		return nil, fmt.Errorf("store: overdue incidents: %w", err)
	}
	defer rows.Close()
	var out []data.IncidentRecord
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("store: overdue incidents: %w", err)
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// SetRules stores a new version of the routing rules (body is the rules
// file) and audits it; it returns the new version number.
func (g *Store) SetRules(ctx context.Context, body []byte, actor string) (int64, error) {
	var v int64
	err := g.inTx(ctx, func(tx *sql.Tx) error {
		at := g.now()
		res, err := tx.ExecContext(ctx, `INSERT INTO incident_rules (at, actor, body) VALUES (?, ?, ?)`, tables.FormatTime(at), actor, string(body))
		if err != nil {
			return fmt.Errorf("store: set rules: %w", err)
		}
		if v, err = res.LastInsertId(); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"version": v, "bytes": len(body)})
		return g.appendAudit(ctx, tx, data.AuditEntry{At: at, Actor: actor, Action: "rules.set", Target: tables.TableRules, Detail: string(detail)})
	})
	return v, g.published(err, store.ChangeRules)
}

// Rules returns the latest stored rules file and its version; ErrNotFound
// when none was ever stored.
func (g *Store) Rules(ctx context.Context) ([]byte, int64, error) {
	var (
		v    int64
		body string
	)
	err := g.r.QueryRowContext(ctx, `SELECT version, body FROM incident_rules ORDER BY version DESC LIMIT 1`).Scan(&v, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("rules: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: rules: %w", err)
	}
	return []byte(body), v, nil
}

// IntegrityCheck runs SQLite's PRAGMA integrity_check and returns its
// complaints, or nil when the file is sound.
func (g *Store) IntegrityCheck(ctx context.Context) ([]string, error) {
	rows, err := g.r.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, fmt.Errorf("store: integrity check: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if s != "ok" {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}
