package postgis

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/store"
	"github.com/gridmap/gridmap/data/store/tables"
)

// ApplyPlaces writes a places change, its projection onto the layers and
// its audit entry in one transaction (see store.PlacesStore).
func (s *Store) ApplyPlaces(ctx context.Context, ch *places.Change, pr places.Projection, e data.AuditEntry) error {
	stmts, _, err := tables.PlacesWrites(ch, pr)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, st := range stmts {
			if _, err := tx.Exec(ctx, numbered(st.SQL), st.Args...); err != nil {
				return fmt.Errorf("store: places: %s: %w", st.SQL, err)
			}
		}
		// The places records load with the city: every replica reloads.
		if err := notify(ctx, tx, store.ChangeCity, 0); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, e)
	})
}

// numbered turns ? placeholders into $1, $2 …
func numbered(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writePlaces copies a city's places records (Append).
func writePlaces(ctx context.Context, tx pgx.Tx, p *data.Places) (int, error) {
	n := 0
	for _, b := range tables.PlacesRows(p) {
		if err := copyBatch(ctx, tx, b); err != nil {
			return 0, err
		}
		n += b.N
	}
	return n, nil
}
