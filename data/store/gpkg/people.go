package gpkg

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/people"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// WritePeople writes a people change's records, each replacing the row of
// the same id, and its audit entry, in one transaction.
func (g *Store) WritePeople(ctx context.Context, ch people.Change, entry data.AuditEntry) error {
	return g.published(g.inTx(ctx, func(tx *sql.Tx) error {
		rec := store.PeopleRecords(ch)
		for _, b := range tables.ChangeRows(rec) {
			if err := g.upsert(ctx, tx, b); err != nil {
				return err
			}
		}
		if err := g.setMeta(ctx, tx, rec.Meta); err != nil {
			return err
		}
		return g.appendAudit(ctx, tx, entry)
	}), store.ChangeCity)
}

func (g *Store) upsert(ctx context.Context, tx *sql.Tx, b tables.Batch) error {
	key := tables.UpsertKey(b.Table)
	set := make([]string, 0, len(b.Cols))
	for _, c := range b.Cols {
		if c != key {
			set = append(set, c+" = excluded."+c)
		}
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (?%s) ON CONFLICT (%s) DO UPDATE SET %s",
		b.Table, strings.Join(b.Cols, ", "), strings.Repeat(", ?", len(b.Cols)-1), key, strings.Join(set, ", "))
	st, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return fmt.Errorf("store: prepare upsert into %s: %w", b.Table, err)
	}
	defer st.Close()
	args := make([]any, len(b.Cols))
	for i := range b.N {
		if _, err := b.Row(i, args); err != nil {
			return fmt.Errorf("store: %s[%d]: %w", b.Table, i, err)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("store: write %s %v: %w", b.Table, args[0], err)
		}
	}
	return g.touch(ctx, tx, b.Table)
}
