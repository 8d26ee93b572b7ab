// Package store is gridmap's store of record: the interfaces every backend
// implements, split by concern, and the types they share. Two backends sit
// beside it: data/store/gpkg (an OGC GeoPackage file, the embedded
// default) and data/store/postgis (PostgreSQL with PostGIS, for several
// replicas on one database). data/store/backends opens either from a path
// or a postgres:// URL; nothing outside data/store names a backend.
//
// Every write runs in one transaction and is durable when the call returns.
// Both backends hold the same tables with the same layer and column names,
// declared once in data/store/tables, so GDAL, QGIS, pg_tileserv and
// pg_featureserv read either, and `gridmap copy` moves any store to any
// other losslessly.
//
// # How to add a table
//
//  1. Declare it in data/store/tables: append a Migration (the next
//     Version) to tables.Migrations with its Table — typed columns, key,
//     unique indexes, Parents for references checked at commit in
//     PostgreSQL, AppendOnly for logs. Never edit a migration that has
//     shipped; a change to an existing table is a new migration with its
//     SQLite and Postgres statements. Both backends create the table from
//     that one entry: the GeoPackage when a file is opened (feature table
//     with R-tree when it has a geometry, else attribute table), PostGIS
//     in `gridmap migrate` (typed geometry column and GiST index).
//  2. Write the methods: a small interface for the concern in this package
//     (like PlanStore), added to Store, and its implementation in
//     data/store/gpkg (database/sql, ? placeholders) and
//     data/store/postgis (pgx, $n placeholders), each write one
//     transaction with its audit entry. A feature layer of the city also
//     goes into tables.LayerRows and tables.Load, which both backends use.
//  3. Add its cases to data/store/storetest: they run on both backends.
//     `gridmap copy` copies every declared table column by column, so
//     the copy round-trip test covers the new table as soon as it holds
//     rows in the fixture.
package store

import (
	"context"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
	"github.com/gridmap/gridmap/data/store/tables"
)

// PlacesStore writes the places records (property, volunteers, stations;
// package data/places). Load reads them with the city into City.Places,
// and Append writes a city's.
type PlacesStore interface {
	// ApplyPlaces writes a checked change — records upserted by their
	// key, deletions, the configured intervals — and the layers' columns
	// its projection moves (compounds' property fields, stations' status
	// and stars, grids' volunteer teams), with the audit entry, in one
	// transaction: on any error nothing changes.
	ApplyPlaces(ctx context.Context, ch *places.Change, pr places.Projection, e data.AuditEntry) error
}

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

// Copier moves a whole store: every table of the schema of record, keys
// and all (`gridmap copy`).
type Copier interface {
	// Dump reads every table in one consistent read and hands them to fn.
	Dump(ctx context.Context, fn func(tables.Dump) error) error
	// Restore writes every table of d into this empty store in one
	// transaction, keeping keys and sequences.
	Restore(ctx context.Context, d tables.Dump) error
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
	PeopleStore
	PlacesStore
	Copier
	Watcher
	// Close releases the store.
	Close() error
}
