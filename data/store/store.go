// Package store is gridmap's store of record: the interfaces every backend
// implements, split by concern, and the types they share. Two backends sit
// beside it: data/store/gpkg (an OGC GeoPackage file, the embedded
// default) and data/store/postgis (PostgreSQL with PostGIS, for several
// replicas on one database). data/store/backends opens either from a path
// or a postgres:// URL; nothing outside data/store names a backend.
//
// Every write runs in one transaction and is durable when the call returns.
// Both backends hold the same tables with the same layer and column names
// (see Tables), so GDAL, QGIS, pg_tileserv and pg_featureserv read either.
package store

import (
	"context"

	"github.com/gridmap/gridmap/data"
)

// CityStore holds the city's layers.
type CityStore interface {
	// Load reads the whole city in one consistent read and indexes it.
	Load(ctx context.Context) (*data.City, error)
	// Append adds every feature of part, and its Meta, in one transaction.
	Append(ctx context.Context, part *data.City) error
	// Replace swaps all rows of one layer (data.LayerGrids etc.) for that
	// layer's slice of city and appends entry to the audit trail, in one
	// transaction: on any error nothing changes.
	Replace(ctx context.Context, layer string, city *data.City, entry data.AuditEntry) error
	// SetMeta sets metadata keys (seed, scale, version …) in one transaction.
	SetMeta(ctx context.Context, kv map[string]string) error
	// Meta returns all metadata.
	Meta(ctx context.Context) (map[string]string, error)
}

// AuditLog is the append-only audit trail of every write.
type AuditLog interface {
	// AppendAudit appends one entry to the audit trail.
	AppendAudit(ctx context.Context, e data.AuditEntry) error
	// Audit returns the latest limit entries of the audit trail, newest
	// first; limit <= 0 returns them all.
	Audit(ctx context.Context, limit int) ([]data.AuditEntry, error)
}

// Store is everything a backend provides: one city and its dispatch,
// planning, token and audit records.
type Store interface {
	CityStore
	AuditLog
	IncidentStore
	RuleStore
	TokenStore
	PlanStore
	// Close releases the store.
	Close() error
}
