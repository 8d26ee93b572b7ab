package postgis

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// WritePeople writes a people change's records, each replacing the row of
// the same id, and its audit entry, in one transaction.
func (s *Store) WritePeople(ctx context.Context, ch people.Change, entry data.AuditEntry) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		rec := store.PeopleRecords(ch)
		for _, b := range tables.ChangeRows(rec) {
			if err := upsert(ctx, tx, b); err != nil {
				return err
			}
		}
		if err := setMeta(ctx, tx, rec.Meta); err != nil {
			return err
		}
		if err := notify(ctx, tx, store.ChangeCity, 0); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, entry)
	})
}

func upsert(ctx context.Context, tx pgx.Tx, b tables.Batch) error {
	key := tables.UpsertKey(b.Table)
	ph := make([]string, len(b.Cols))
	set := make([]string, 0, len(b.Cols))
	for i, c := range b.Cols {
		ph[i] = fmt.Sprintf("$%d", i+1)
		if c != key {
			set = append(set, c+" = excluded."+c)
		}
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
		b.Table, strings.Join(b.Cols, ", "), strings.Join(ph, ", "), key, strings.Join(set, ", "))
	t, _ := tables.ByName(b.Table)
	types := map[string]tables.Type{}
	for _, c := range t.Columns {
		types[c.Name] = c.Type
	}
	batch := &pgx.Batch{}
	for i := range b.N {
		args := make([]any, len(b.Cols))
		if _, err := b.Row(i, args); err != nil {
			return fmt.Errorf("store: %s[%d]: %w", b.Table, i, err)
		}
		for j, c := range b.Cols {
			if types[c] == tables.DateTime {
				var err error
				if args[j], err = pgTime(args[j]); err != nil {
					return err
				}
			}
		}
		batch.Queue(q, args...)
	}
	res := tx.SendBatch(ctx, batch)
	for i := range b.N {
		if _, err := res.Exec(); err != nil {
			res.Close()
			return fmt.Errorf("store: write %s row %d: %w", b.Table, i, err)
		}
	}
	return res.Close()
}
