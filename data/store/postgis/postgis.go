// Package postgis is the PostgreSQL/PostGIS backend of data/store: the
// store of record shared by several gridmap replicas. It talks to the
// database through jackc/pgx (pgxpool), with no ORM; its schema is the
// schema of record of package tables rendered as PostGIS tables (see
// schema.go), so GIS tools read the same layers and columns as in the
// GeoPackage.
//
// Every write is one transaction, acknowledged once PostgreSQL committed
// it (synchronous_commit as the server has it; on by default).
//
// Incident history rows carry the live-event sequence. Their seq comes from
// an identity sequence, assigned under a transaction-level advisory lock
// taken before the first event of a transaction and held until it
// commits: transactions that write events commit one after another, in the
// order of their sequence numbers, so a reader that has seen event n can
// never later find an event below n committed behind its back (a plain
// sequence would let a transaction that took n commit after one that took
// n+1, and a reader resuming after n+1 would miss it).
package postgis

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// Store is a store of record in a PostgreSQL database with PostGIS. It is
// safe for concurrent use, and several processes may share one database.
type Store struct {
	pool *pgxpool.Pool
	url  string
	log  *slog.Logger
	now  func() time.Time

	listen listener
}

// Option configures Open.
type Option func(*options)

type options struct {
	log      *slog.Logger
	maxConns int32
	now      func() time.Time
}

// WithClock sets the clock of the times the store assigns (default
// time.Now); tests inject one.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithMaxConns sets the size of the connection pool (default 16).
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = int32(n) } }

// Open connects to the database at url (postgres://user@host:port/db) and
// checks that its schema is this build's; ErrSchema when it is older
// (run Migrate) or newer.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := options{log: slog.Default(), maxConns: 16, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	cfg.MaxConns = o.maxConns
	cfg.MinConns = 0
	cfg.HealthCheckPeriod = 2 * time.Second
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.AfterConnect = registerGeometry
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{pool: pool, url: url, log: o.log, now: o.now}
	v, err := schemaVersion(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, wrapErr(err)
	}
	if v != tables.Latest() {
		pool.Close()
		return nil, fmt.Errorf("%w (the database is at version %d, this build at %d)", ErrSchema, v, tables.Latest())
	}
	return s, nil
}

// registerGeometry lets geometry values travel as their binary form
// (EWKB) on every connection: written from EWKB bytes, as in COPY.
func registerGeometry(ctx context.Context, c *pgx.Conn) error {
	var oid uint32
	if err := c.QueryRow(ctx, "SELECT oid FROM pg_type WHERE typname = 'geometry'").Scan(&oid); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // no PostGIS yet: Open refuses such a database
		}
		return err
	}
	c.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: oid, Codec: pgtype.ByteaCodec{}})
	return nil
}

// Close ends the change listener and closes the pool.
func (s *Store) Close() error {
	if s.listen.cancel != nil {
		s.listen.cancel()
		<-s.listen.done
	}
	s.pool.Close()
	return nil
}

// SchemaVersion returns the latest schema version applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) { return schemaVersion(ctx, s.pool) }

// unavailable reports whether err means the database could not be
// reached (or went away mid-transaction), as opposed to a refusal.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// class 08: connection exception; 57P01-03: admin shutdown, crash
		// shutdown, cannot connect now
		return pe.Code[:2] == "08" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) || isNetErr(err)
}

// wrapErr marks errors of an unreachable database with store.ErrUnavailable.
func wrapErr(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// inTx runs fn in one read-write transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return wrapErr(pgx.BeginFunc(ctx, s.pool, fn))
}

// readTx runs fn in one read-only, repeatable-read transaction: one
// consistent state.
func (s *Store) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return wrapErr(pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn))
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type execer interface {
	querier
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// source reads the city through q for tables.Load.
func source(q querier) tables.Source {
	return tables.Source{
		Query: func(ctx context.Context, sql string) (tables.Rows, func(), error) {
			rows, err := q.Query(ctx, sql)
			if err != nil {
				return nil, nil, err
			}
			return rows, rows.Close, nil
		},
		Geom:   "ST_AsBinary(geom)",
		Decode: decodeWKB,
	}
}

func decodeWKB(b []byte) (orb.Geometry, error) {
	if b == nil {
		return nil, nil
	}
	return tables.DecodeWKB(b)
}

// ewkb encodes g as PostGIS's extended WKB with SRID 4326; nil for an
// empty geometry.
func ewkb(g orb.Geometry) ([]byte, error) {
	b, _, err := tables.EncodeWKB(g)
	if err != nil || b == nil {
		return nil, err
	}
	out := make([]byte, len(b)+4)
	out[0] = b[0] // byte order: little endian
	binary.LittleEndian.PutUint32(out[1:], binary.LittleEndian.Uint32(b[1:])|0x20000000)
	binary.LittleEndian.PutUint32(out[5:], tables.SRID)
	copy(out[9:], b[5:])
	return out, nil
}

// geomArg is g as a query argument: EWKB bytes, or NULL.
func geomArg(g orb.Geometry) (any, error) {
	b, err := ewkb(g)
	if err != nil || b == nil {
		return nil, err
	}
	return b, nil
}

// pgTime turns a value in the tables' DATETIME text form into a time.
func pgTime(v any) (any, error) {
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, fmt.Errorf("store: bad time %q", v)
		}
		return t, nil
	}
	return v, nil
}

// copyBatch writes a batch of rows with COPY.
func copyBatch(ctx context.Context, tx pgx.Tx, b tables.Batch) error {
	if b.N == 0 {
		return nil
	}
	t, ok := tables.ByName(b.Table)
	if !ok {
		return fmt.Errorf("store: unknown table %q", b.Table)
	}
	types := map[string]tables.Type{}
	for _, c := range t.Columns {
		types[c.Name] = c.Type
	}
	cols := b.Cols
	off := 0
	if b.Geom {
		cols = append([]string{tables.GeomColumn}, b.Cols...)
		off = 1
	}
	vals := make([]any, len(cols))
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == b.N {
			return nil, nil
		}
		g, err := b.Row(i, vals[off:])
		if err != nil {
			return nil, fmt.Errorf("store: %s[%d]: %w", b.Table, i, err)
		}
		if b.Geom {
			if vals[0], err = geomArg(g); err != nil {
				return nil, fmt.Errorf("store: %s[%d] %v: %w", b.Table, i, vals[1], err)
			}
		}
		for j, c := range b.Cols {
			if types[c] == tables.DateTime {
				if vals[off+j], err = pgTime(vals[off+j]); err != nil {
					return nil, err
				}
			}
		}
		i++
		return vals, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{b.Table}, cols, src); err != nil {
		return fmt.Errorf("store: write %s: %w", b.Table, err)
	}
	return nil
}

// Load reads the whole city in one repeatable-read transaction and indexes
// it (see tables.Load).
func (s *Store) Load(ctx context.Context) (*data.City, error) {
	var c *data.City
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var err error
		c, err = tables.Load(ctx, source(tx))
		return err
	})
	return c, err
}

// compoundName looks a compound's name up for a building address: in the
// city being written, else in the database.
func compoundNames(ctx context.Context, tx pgx.Tx, c *data.City) func(string) (string, error) {
	names := make(map[string]string, len(c.Compounds))
	for _, cp := range c.Compounds {
		names[cp.Code] = cp.Name
	}
	return func(code string) (string, error) {
		if n, ok := names[code]; ok {
			return n, nil
		}
		var n tables.String
		err := tx.QueryRow(ctx, "SELECT name FROM compounds WHERE code = $1", code).Scan(&n)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("store: look up compound %q: %w", code, err)
		}
		names[code] = n.S
		return n.S, nil
	}
}

func writeLayer(ctx context.Context, tx pgx.Tx, layer string, c *data.City, names func(string) (string, error)) (int, error) {
	bs, err := tables.LayerRows(layer, c, names)
	if err != nil {
		return 0, err
	}
	for _, b := range bs {
		if err := copyBatch(ctx, tx, b); err != nil {
			return 0, err
		}
	}
	return bs[0].N, nil
}

// allLayers is the order Append writes in: parents before children.
var allLayers = []string{
	data.LayerDistricts, data.LayerStreets, data.LayerCommunities, data.LayerGrids,
	data.LayerCompounds, data.LayerBuildings, data.LayerRoads, data.LayerStations, data.LayerPOIs,
	data.LayerCadres, data.LayerReportingUnits, data.LayerIncidents,
	data.LayerStaff, data.LayerAssignments, data.LayerPairings, data.LayerCommitments,
	data.LayerEvaluations, data.LayerContactPoints,
}

// Append adds every feature of part, and part.Meta, in one transaction,
// and records an "append" entry with the feature counts in the audit
// trail. Codes must be new: a code already stored fails the whole call.
func (s *Store) Append(ctx context.Context, part *data.City) error {
	if part == nil {
		return errors.New("store: append: nil city")
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		names := compoundNames(ctx, tx, part)
		counts := map[string]int{}
		for _, layer := range allLayers {
			n, err := writeLayer(ctx, tx, layer, part, names)
			if err != nil {
				return err
			}
			if n > 0 {
				counts[layer] = n
			}
		}
		if n, err := writePlaces(ctx, tx, &part.Places); err != nil {
			return err
		} else if n > 0 {
			counts["places"] = n
		}
		if err := setMeta(ctx, tx, part.Meta); err != nil {
			return err
		}
		if err := notify(ctx, tx, store.ChangeCity, 0); err != nil {
			return err
		}
		detail, _ := json.Marshal(counts)
		return s.appendAudit(ctx, tx, data.AuditEntry{Actor: "store", Action: "append", Target: "city", Detail: string(detail)})
	})
}

// Replace swaps every row of layer for layer's slice of city and appends
// entry to the audit trail, in one transaction; on any error nothing
// changes. Replacing compounds refreshes the compound names in the
// buildings' addresses.
func (s *Store) Replace(ctx context.Context, layer string, city *data.City, entry data.AuditEntry) error {
	if city == nil {
		return errors.New("store: replace: nil city")
	}
	known := false
	for _, l := range allLayers {
		known = known || l == layer
	}
	if !known {
		return fmt.Errorf("store: replace: unknown layer %q", layer)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM "+layer); err != nil {
			return fmt.Errorf("store: replace %s: %w", layer, err)
		}
		if _, err := writeLayer(ctx, tx, layer, city, compoundNames(ctx, tx, city)); err != nil {
			return err
		}
		if layer == data.LayerCompounds {
			if _, err := tx.Exec(ctx, `UPDATE buildings b SET compound_name = c.name FROM compounds c WHERE c.code = b.compound_code`); err != nil {
				return fmt.Errorf("store: replace compounds: refresh building addresses: %w", err)
			}
		}
		if err := notify(ctx, tx, store.ChangeCity, 0); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, entry)
	})
}

// AppendAudit appends one entry; a zero At becomes now.
func (s *Store) AppendAudit(ctx context.Context, e data.AuditEntry) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return s.appendAudit(ctx, tx, e) })
}

func (s *Store) appendAudit(ctx context.Context, tx sink, e data.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if e.Actor == "" || e.Action == "" {
		return errors.New("store: audit entry needs an actor and an action")
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)`,
		ms(e.At), e.Actor, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

// ms is t in UTC to the millisecond, as both backends keep times.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Millisecond)
}

// Audit returns the latest limit entries, newest first; limit <= 0
// returns them all.
func (s *Store) Audit(ctx context.Context, limit int) ([]data.AuditEntry, error) {
	q := `SELECT seq, at, actor, action, target, detail FROM audit_log ORDER BY seq DESC`
	args := []any{}
	if limit > 0 {
		q += " LIMIT $1"
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrapErr(fmt.Errorf("store: read audit: %w", err))
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
	return out, wrapErr(rows.Err())
}

// SetMeta sets metadata keys in one transaction and records a "set_meta"
// entry naming them in the audit trail.
func (s *Store) SetMeta(ctx context.Context, kv map[string]string) error {
	if len(kv) == 0 {
		return nil
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	detail, _ := json.Marshal(map[string][]string{"keys": keys})
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := setMeta(ctx, tx, kv); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, data.AuditEntry{Actor: "store", Action: "set_meta", Target: tables.TableMeta, Detail: string(detail)})
	})
}

func setMeta(ctx context.Context, tx pgx.Tx, kv map[string]string) error {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, kv[k]); err != nil {
			return fmt.Errorf("store: set meta %q: %w", k, err)
		}
	}
	return nil
}

// Meta returns all metadata.
func (s *Store) Meta(ctx context.Context) (map[string]string, error) {
	m, err := tables.ReadMeta(ctx, source(s.pool))
	return m, wrapErr(err)
}

var _ store.Store = (*Store)(nil)

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// Empty reports whether the database holds no rows in any of the schema's
// tables.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	for _, t := range tables.All() {
		var any bool
		if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+t.Name+")").Scan(&any); err != nil {
			return false, wrapErr(fmt.Errorf("store: %s: %w", t.Name, err))
		}
		if any {
			return false, nil
		}
	}
	return true, nil
}

// Truncate empties every table of the schema, append-only ones included,
// and restarts their sequences, in one transaction: for `generate --force`
// and `copy --force` into a database.
func (s *Store) Truncate(ctx context.Context) error {
	var names []string
	for _, t := range tables.All() {
		names = append(names, t.Name)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(names, ", ")+" RESTART IDENTITY"); err != nil {
			return err
		}
		return notify(ctx, tx, store.ChangeAll, 0)
	})
}
