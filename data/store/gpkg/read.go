package gpkg

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store/tables"
)

// Load reads the whole city in one read transaction, so it sees one
// consistent state even while writes go on, and indexes it (see
// tables.Load).
func (g *Store) Load(ctx context.Context) (*data.City, error) {
	tx, err := g.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: load: begin: %w", err)
	}
	defer tx.Rollback() // read-only: nothing to keep
	return tables.Load(ctx, source(tx))
}

// source reads through q (a transaction or the reader pool).
func source(q querier) tables.Source {
	return tables.Source{
		Query: func(ctx context.Context, s string) (tables.Rows, func(), error) {
			rows, err := q.QueryContext(ctx, s)
			if err != nil {
				return nil, nil, err
			}
			return rows, func() { rows.Close() }, nil
		},
		Geom:   "geom",
		Decode: func(b []byte) (orb.Geometry, error) { return decodeGeom(b) },
	}
}

var _ querier = (*sql.Tx)(nil)
