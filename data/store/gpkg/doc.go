// Package gpkg is the GeoPackage backend of data/store: the city and its
// records in one OGC GeoPackage 1.3 file (SQLite) that GDAL and QGIS open
// directly. It is the embedded default (`make run`).
//
// Every write runs in one transaction and is durable when the call returns
// (WAL, synchronous=FULL).
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
package gpkg

import "github.com/gridmap/gridmap/data/store"

var _ store.Store = (*Store)(nil)
