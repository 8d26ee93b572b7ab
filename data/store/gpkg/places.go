package gpkg

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// ApplyPlaces writes a places change, its projection onto the layers and
// its audit entry in one transaction (see store.PlacesStore).
func (g *Store) ApplyPlaces(ctx context.Context, ch *places.Change, pr places.Projection, e data.AuditEntry) error {
	stmts, written, err := tables.PlacesWrites(ch, pr)
	if err != nil {
		return err
	}
	err = g.inTx(ctx, func(tx *sql.Tx) error {
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st.SQL, st.Args...); err != nil {
				return fmt.Errorf("store: places: %s: %w", firstLine(st.SQL), err)
			}
		}
		for _, t := range written {
			if err := g.touch(ctx, tx, t); err != nil {
				return err
			}
		}
		return g.appendAudit(ctx, tx, e)
	})
	if err != nil {
		return err
	}
	// The places records load with the city, and the layers' columns moved.
	g.hub.Publish(store.Change{Kind: store.ChangeCity})
	return nil
}

// writePlaces inserts a city's places records (Append).
func (w *txWriter) writePlaces(p *data.Places) (int, error) {
	n := 0
	for _, b := range tables.PlacesRows(p) {
		if err := w.insert(b); err != nil {
			return 0, err
		}
		n += b.N
	}
	return n, nil
}
