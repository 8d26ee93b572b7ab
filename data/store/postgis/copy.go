package postgis

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// Dump reads every table of the schema in one repeatable-read transaction
// and hands them to fn (for `gridmap copy`).
func (s *Store) Dump(ctx context.Context, fn func(tables.Dump) error) error {
	return s.readTx(ctx, func(tx pgx.Tx) error { return fn(dump{tx}) })
}

type dump struct{ tx pgx.Tx }

func (d dump) Rows(ctx context.Context, t tables.Table) (int, func() ([]any, orb.Geometry, error), func(), error) {
	var n int
	if err := d.tx.QueryRow(ctx, "SELECT count(*) FROM "+t.Name).Scan(&n); err != nil {
		return 0, nil, nil, fmt.Errorf("store: dump %s: %w", t.Name, err)
	}
	cols := t.KeyAndColumns()
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = c
		if t.ColumnType(i) == tables.JSON {
			sel[i] = c + "::text" // as written, not decoded
		}
	}
	if t.Geometry != "" {
		sel = append(sel, "ST_AsBinary(geom)")
	}
	rows, err := d.tx.Query(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+t.Name+" ORDER BY "+t.Key)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("store: dump %s: %w", t.Name, err)
	}
	next := func() ([]any, orb.Geometry, error) {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return nil, nil, fmt.Errorf("store: dump %s: %w", t.Name, err)
			}
			return nil, nil, fmt.Errorf("store: dump %s: fewer rows than counted", t.Name)
		}
		raw, err := rows.Values()
		if err != nil {
			return nil, nil, fmt.Errorf("store: dump %s: %w", t.Name, err)
		}
		vals := make([]any, len(cols))
		for i := range cols {
			if vals[i], err = tables.Canonical(t.ColumnType(i), raw[i]); err != nil {
				return nil, nil, fmt.Errorf("store: dump %s.%s: %w", t.Name, cols[i], err)
			}
		}
		var geom orb.Geometry
		if t.Geometry != "" {
			b, _ := raw[len(cols)].([]byte)
			if geom, err = decodeWKB(b); err != nil {
				return nil, nil, fmt.Errorf("store: dump %s %v: %w", t.Name, vals[0], err)
			}
		}
		return vals, geom, nil
	}
	return n, next, rows.Close, nil
}

// Restore writes every table of d into this (empty) database in one
// transaction, keeping keys, and moves each identity sequence past the
// largest key, so that the copy goes on numbering where the original
// stood: the same event sequence, the same incident numbers.
func (s *Store) Restore(ctx context.Context, d tables.Dump) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, t := range tables.All() {
			n, next, done, err := d.Rows(ctx, t)
			if err != nil {
				return err
			}
			err = copyBatch(ctx, tx, tables.Batch{Table: t.Name, Geom: t.Geometry != "", Cols: t.KeyAndColumns(), N: n,
				Row: func(_ int, args []any) (orb.Geometry, error) {
					vals, geom, err := next()
					if err != nil {
						return nil, err
					}
					copy(args, vals)
					return geom, nil
				}})
			done()
			if err != nil {
				return fmt.Errorf("store: restore %s: %w", t.Name, err)
			}
			if !t.KeyGiven {
				if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', '%s'), coalesce(max(%s), 0) + 1, false) FROM %s",
					t.Name, t.Key, t.Key, t.Name)); err != nil {
					return fmt.Errorf("store: restore %s: sequence: %w", t.Name, err)
				}
			}
		}
		return notify(ctx, tx, store.ChangeAll, 0)
	})
}
