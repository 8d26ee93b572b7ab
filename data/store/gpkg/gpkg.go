package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// GeoPackage is a Store in an OGC GeoPackage 1.3 file. Writes go through a
// single connection (one writer, as SQLite allows); reads use a pool of
// read-only connections that see the last committed state (WAL mode).
// It is safe for concurrent use.
type Store struct {
	path string
	w    *sql.DB // one connection, BEGIN IMMEDIATE
	r    *sql.DB // readers, query_only
	log  *slog.Logger
	now  func() time.Time

	migrated int // schema versions applied when opened

	hub store.Hub // changes committed through this Store (Watch)
}

// Watch subscribes to the changes committed through this Store, in this
// process (the GeoPackage has no channel between processes: servers also
// poll for events and keep token lookups for seconds only).
func (g *Store) Watch(ctx context.Context) <-chan store.Change { return g.hub.Watch(ctx) }

// published publishes a change of kind when err is nil and returns err.
func (g *Store) published(err error, kind string) error {
	if err == nil {
		g.hub.Publish(store.Change{Kind: kind})
	}
	return err
}

// Option configures Open.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	readers     int
	log         *slog.Logger
	now         func() time.Time
}

// WithBusyTimeout sets how long a connection waits for a lock held by
// another process before failing (default 10 s).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithReaders sets the size of the read connection pool (default 4).
func WithReaders(n int) Option { return func(o *options) { o.readers = n } }

// WithClock sets the clock of the times the store assigns (default
// time.Now); tests inject one.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Open opens the GeoPackage at path, creating the file and its
// schema when missing. The file uses WAL journaling with synchronous=FULL so
// a write is durable once acknowledged, foreign keys on, and a busy timeout.
// A file that is an SQLite database but not a GeoPackage is refused.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{busyTimeout: 10 * time.Second, readers: 4, log: slog.Default(), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: invalid GeoPackage path %q", path)
	}
	if err := registerFuncs(); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(o.busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	wq := url.Values{"_pragma": append([]string{"journal_mode(WAL)", "synchronous(FULL)", "cache_size(-32768)"}, q["_pragma"]...), "_txlock": {"immediate"}}
	w, err := sql.Open("sqlite", path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	g := &Store{path: path, w: w, log: o.log, now: o.now}
	if err := g.initSchema(context.Background()); err != nil {
		w.Close()
		return nil, err
	}
	rq := url.Values{"_pragma": append([]string{"query_only(1)"}, q["_pragma"]...)}
	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(max(o.readers, 1))
	r.SetMaxIdleConns(max(o.readers, 1))
	g.r = r
	return g, nil
}

// Path returns the file the GeoPackage lives in.
func (g *Store) Path() string { return g.path }

// Close closes every connection; the last one checkpoints the WAL into the
// main file.
func (g *Store) Close() error {
	var errs []error
	if g.r != nil {
		errs = append(errs, g.r.Close())
	}
	errs = append(errs, g.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %s: %w", g.path, err)
	}
	return nil
}

// initSchema checks the file is empty or a GeoPackage and creates whatever
// part of the schema is missing.
func (g *Store) initSchema(ctx context.Context) error {
	var appID, tables int64
	if err := g.w.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("store: open %s: %w", g.path, err)
	}
	if err := g.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		return fmt.Errorf("store: open %s: %w", g.path, err)
	}
	if appID != gpkgApplicationID && (appID != 0 || tables != 0) {
		return fmt.Errorf("store: %s is an SQLite database but not a GeoPackage (application_id %#x)", g.path, appID)
	}
	err := g.inTx(ctx, func(tx *sql.Tx) error {
		for _, s := range []string{
			fmt.Sprintf("PRAGMA application_id = %d", gpkgApplicationID),
			fmt.Sprintf("PRAGMA user_version = %d", gpkgUserVersion),
		} {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("store: %s: %w", s, err)
			}
		}
		for _, s := range append(append([]string(nil), coreDDL...), migrationsDDL...) {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("store: create schema: %w\n%s", err, s)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	g.migrated, err = g.migrate(ctx)
	return err
}

// Migrated returns how many schema versions opening the file applied.
func (g *Store) Migrated() int { return g.migrated }

// migrate applies the schema versions the file lacks, each in one
// transaction, and returns how many it applied.
func (g *Store) migrate(ctx context.Context) (int, error) {
	applied := map[int]bool{}
	rows, err := g.w.QueryContext(ctx, "SELECT version FROM "+tables.TableSchemaMigrations)
	if err != nil {
		return 0, fmt.Errorf("store: schema versions: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return 0, err
		}
		applied[v] = true
	}
	rows.Close()
	n := 0
	for _, m := range tables.Migrations {
		if applied[m.Version] {
			continue
		}
		err := g.inTx(ctx, func(tx *sql.Tx) error {
			var ddl []string
			for _, t := range m.Tables {
				ddl = append(ddl, tableDDL(t)...)
			}
			for _, s := range append(ddl, m.SQLite...) {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return fmt.Errorf("store: schema version %d: %w\n%s", m.Version, err, s)
				}
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO "+tables.TableSchemaMigrations+" (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, tables.FormatTime(g.now()))
			return err
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// SchemaVersion returns the latest schema version applied to the file.
func (g *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := g.r.QueryRowContext(ctx, "SELECT max(version) FROM "+tables.TableSchemaMigrations).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return int(v.Int64), nil
}

// inTx runs fn in one write transaction, committing if it returns nil and
// rolling back otherwise.
func (g *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := g.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("store: rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// AppendAudit appends one entry; a zero At becomes now. Seq is assigned by
// the store.
func (g *Store) AppendAudit(ctx context.Context, e data.AuditEntry) error {
	return g.inTx(ctx, func(tx *sql.Tx) error { return g.appendAudit(ctx, tx, e) })
}

func (g *Store) appendAudit(ctx context.Context, tx *sql.Tx, e data.AuditEntry) error {
	if e.At.IsZero() {
		e.At = g.now()
	}
	if e.Actor == "" || e.Action == "" {
		return errors.New("store: audit entry needs an actor and an action")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		tables.FormatTime(e.At), e.Actor, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return g.touch(ctx, tx, tables.TableAudit)
}

// Audit returns the latest limit entries, newest first; limit <= 0 returns
// them all.
func (g *Store) Audit(ctx context.Context, limit int) ([]data.AuditEntry, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := g.r.QueryContext(ctx, `SELECT seq, at, actor, action, target, detail FROM audit_log ORDER BY seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read audit: %w", err)
	}
	defer rows.Close()
	var out []data.AuditEntry
	for rows.Next() {
		var (
			e                             data.AuditEntry
			at                            tables.Time
			actor, action, target, detail tables.String
		)
		if err := rows.Scan(&e.Seq, &at, &actor, &action, &target, &detail); err != nil {
			return nil, fmt.Errorf("store: read audit: %w", err)
		}
		e.At, e.Actor, e.Action, e.Target, e.Detail = at.T, actor.S, action.S, target.S, detail.S
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read audit: %w", err)
	}
	return out, nil
}

// SetMeta sets metadata keys in one transaction and records a "set_meta"
// entry naming them in the audit trail.
func (g *Store) SetMeta(ctx context.Context, kv map[string]string) error {
	if len(kv) == 0 {
		return nil
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	detail, err := json.Marshal(map[string][]string{"keys": keys})
	if err != nil {
		return fmt.Errorf("store: set meta: %w", err)
	}
	return g.inTx(ctx, func(tx *sql.Tx) error {
		if err := g.setMeta(ctx, tx, kv); err != nil {
			return err
		}
		return g.appendAudit(ctx, tx, data.AuditEntry{Actor: "store", Action: "set_meta", Target: tables.TableMeta, Detail: string(detail)})
	})
}

func (g *Store) setMeta(ctx context.Context, tx *sql.Tx, kv map[string]string) error {
	if len(kv) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
	if err != nil {
		return fmt.Errorf("store: set meta: %w", err)
	}
	defer st.Close()
	for k, v := range kv {
		if _, err := st.ExecContext(ctx, k, v); err != nil {
			return fmt.Errorf("store: set meta %q: %w", k, err)
		}
	}
	return g.touch(ctx, tx, tables.TableMeta)
}

// Meta returns all metadata.
func (g *Store) Meta(ctx context.Context) (map[string]string, error) {
	return readMeta(ctx, g.r)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readMeta(ctx context.Context, q querier) (map[string]string, error) {
	return tables.ReadMeta(ctx, source(q))
}

// touch records a change of table in gpkg_contents.last_change.
func (g *Store) touch(ctx context.Context, tx *sql.Tx, table string) error {
	_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?`, table)
	if err != nil {
		return fmt.Errorf("store: update gpkg_contents for %s: %w", table, err)
	}
	return nil
}

// extend grows the extent of a feature table in gpkg_contents to cover env
// (exact doubles: the R-tree holds float32 bounds rounded outwards).
func (g *Store) extend(ctx context.Context, tx *sql.Tx, table string, env envelope) error {
	_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET
	last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
	min_x = coalesce(min(min_x, ?1), ?1), max_x = coalesce(max(max_x, ?2), ?2),
	min_y = coalesce(min(min_y, ?3), ?3), max_y = coalesce(max(max_y, ?4), ?4)
	WHERE table_name = ?5`, env.minX, env.maxX, env.minY, env.maxY, table)
	if err != nil {
		return fmt.Errorf("store: update gpkg_contents extent for %s: %w", table, err)
	}
	return nil
}

// clearExtent empties the extent of a feature table whose rows were all
// deleted.
func (g *Store) clearExtent(ctx context.Context, tx *sql.Tx, table string) error {
	_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET
	last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), min_x = NULL, max_x = NULL, min_y = NULL, max_y = NULL
	WHERE table_name = ?`, table)
	if err != nil {
		return fmt.Errorf("store: update gpkg_contents extent for %s: %w", table, err)
	}
	return nil
}
