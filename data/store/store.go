// Package store keeps gridmap's city in a store of record. The embedded
// default is an OGC GeoPackage 1.3 file (GeoPackage) that GDAL and QGIS open
// directly; a PostGIS implementation can follow the same Store interface.
//
// Every write runs in one transaction and is durable when the call returns.
//
// The file holds one feature table per spatial layer, named after the layer
// constants of package data (districts MULTIPOLYGON; streets, communities,
// grids, compounds, buildings POLYGON; roads LINESTRING; stations, incidents
// POINT), each in EPSG:4326 with an INTEGER PRIMARY KEY fid, a geom column,
// a unique index on its code, and the GeoPackage R-tree spatial index. Lists
// (aliases, team, departments) are JSON text; times are GeoPackage DATETIME
// text in UTC to the millisecond. Attribute tables: cadres, cadre_grids,
// reporting_units, reporting_unit_communities, meta, and audit_log, which
// triggers keep append-only.
package store

import (
	"context"

	"github.com/gridmap/gridmap/data"
)

// Store is the store of record for one city.
type Store interface {
	// Load reads the whole city into memory and indexes it.
	Load(ctx context.Context) (*data.City, error)
	// Append adds every feature of part, and its Meta, in one transaction.
	Append(ctx context.Context, part *data.City) error
	// Replace swaps all rows of one layer (data.LayerGrids etc.) for that
	// layer's slice of city and appends entry to the audit trail, in one
	// transaction: on any error nothing changes.
	Replace(ctx context.Context, layer string, city *data.City, entry data.AuditEntry) error
	// AppendAudit appends one entry to the audit trail.
	AppendAudit(ctx context.Context, e data.AuditEntry) error
	// Audit returns the latest limit entries of the audit trail, newest
	// first; limit <= 0 returns them all.
	Audit(ctx context.Context, limit int) ([]data.AuditEntry, error)
	// SetMeta sets metadata keys (seed, scale, version …) in one transaction.
	SetMeta(ctx context.Context, kv map[string]string) error
	// Meta returns all metadata.
	Meta(ctx context.Context) (map[string]string, error)
	// Close releases the store.
	Close() error
}

var _ Store = (*GeoPackage)(nil)
