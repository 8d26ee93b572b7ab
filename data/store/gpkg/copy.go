package gpkg

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// Dump reads every table of the schema in one read transaction and hands
// them to fn (for `gridmap copy`).
func (g *Store) Dump(ctx context.Context, fn func(tables.Dump) error) error {
	tx, err := g.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: dump: %w", err)
	}
	defer tx.Rollback()
	return fn(dump{tx})
}

type dump struct{ tx *sql.Tx }

func (d dump) Rows(ctx context.Context, t tables.Table) (int, func() ([]any, orb.Geometry, error), func(), error) {
	var n int
	if err := d.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t.Name).Scan(&n); err != nil {
		return 0, nil, nil, fmt.Errorf("store: dump %s: %w", t.Name, err)
	}
	cols := t.KeyAndColumns()
	sel := strings.Join(cols, ", ")
	if t.Geometry != "" {
		sel += ", geom"
	}
	rows, err := d.tx.QueryContext(ctx, "SELECT "+sel+" FROM "+t.Name+" ORDER BY "+t.Key)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("store: dump %s: %w", t.Name, err)
	}
	raw := make([]any, len(cols)+1)
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if t.Geometry == "" {
		ptrs = ptrs[:len(cols)]
	}
	next := func() ([]any, orb.Geometry, error) {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return nil, nil, fmt.Errorf("store: dump %s: %w", t.Name, err)
			}
			return nil, nil, fmt.Errorf("store: dump %s: fewer rows than counted", t.Name)
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, fmt.Errorf("store: dump %s: %w", t.Name, err)
		}
		vals := make([]any, len(cols))
		for i := range cols {
			v, err := tables.Canonical(t.ColumnType(i), raw[i])
			if err != nil {
				return nil, nil, fmt.Errorf("store: dump %s.%s: %w", t.Name, cols[i], err)
			}
			vals[i] = v
		}
		var geom orb.Geometry
		if t.Geometry != "" {
			b, _ := raw[len(cols)].([]byte)
			var err error
			if geom, err = decodeGeom(b); err != nil {
				return nil, nil, fmt.Errorf("store: dump %s %v: %w", t.Name, vals[0], err)
			}
		}
		return vals, geom, nil
	}
	return n, next, func() { rows.Close() }, nil
}

// Restore writes every table of d into this (empty) GeoPackage in one
// transaction, keeping keys, so that the copy is the same store: the same
// event sequence, the same incident numbers, the same audit trail.
func (g *Store) Restore(ctx context.Context, d tables.Dump) error {
	return g.published(g.inTx(ctx, func(tx *sql.Tx) error {
		w := &txWriter{ctx: ctx, g: g, tx: tx}
		for _, t := range tables.All() {
			n, next, done, err := d.Rows(ctx, t)
			if err != nil {
				return err
			}
			cols := t.KeyAndColumns()
			err = w.insert(tables.Batch{Table: t.Name, Geom: t.Geometry != "", Cols: cols, N: n,
				Row: func(_ int, args []any) (orb.Geometry, error) {
					vals, geom, err := next()
					if err != nil {
						return nil, err
					}
					for i, v := range vals {
						if tm, ok := v.(time.Time); ok {
							v = tables.FormatTime(tm)
						}
						args[i] = v
					}
					return geom, nil
				}})
			done()
			if err != nil {
				return fmt.Errorf("store: restore %s: %w", t.Name, err)
			}
		}
		return nil
	}), store.ChangeAll)
}
