package gpkg

import (
	"fmt"
	"strings"

	"github.com/gridmap/gridmap/data/store/tables"
)

// GeoPackage identity (GeoPackage 1.3 §1.1.1.1).
const (
	gpkgApplicationID = 0x47504B47 // "GPKG"
	gpkgUserVersion   = 10300
)

// The GeoPackage renders the schema of record (package tables) as feature
// tables (geometry column geom in EPSG:4326, registered in gpkg_contents and
// gpkg_geometry_columns, with the R-tree spatial index extension) and
// attribute tables (registered in gpkg_contents). Its own schema version
// lives in the gridmap_schema attribute table: opening a file applies the
// migrations it lacks, each in one transaction, and records them there.
// Every statement is idempotent (IF NOT EXISTS), so a file written before
// the table existed upgrades in place.

func sqliteType(t tables.Type) string {
	switch t {
	case tables.Integer:
		return "INTEGER"
	case tables.Real:
		return "DOUBLE"
	case tables.Boolean:
		return "BOOLEAN"
	case tables.DateTime:
		return "DATETIME"
	}
	return "TEXT"
}

func isFeature(name string) bool {
	t, ok := tables.ByName(name)
	return ok && t.Geometry != ""
}

// tableDDL returns the statements that create t.
func tableDDL(t tables.Table) []string {
	var cols strings.Builder
	key := t.Key + " INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"
	if t.KeyGiven {
		key = t.Key + " INTEGER PRIMARY KEY NOT NULL"
	}
	cols.WriteString("\n\t" + key)
	if t.Geometry != "" {
		cols.WriteString(",\n\tgeom " + t.Geometry)
	}
	for _, c := range t.Columns {
		cols.WriteString(",\n\t" + c.Name + " " + sqliteType(c.Type))
		if c.NotNull {
			cols.WriteString(" NOT NULL")
		}
		if c.Ref != "" {
			cols.WriteString(" REFERENCES " + c.Ref + " ON DELETE CASCADE")
		}
	}
	ddl := []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s)", t.Name, cols.String())}
	for _, ix := range t.Unique {
		ddl = append(ddl, fmt.Sprintf("CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s(%s)", ix.Name, t.Name, strings.Join(ix.Cols, ", ")))
	}
	for _, ix := range t.Indexes {
		ddl = append(ddl, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s(%s)", ix.Name, t.Name, strings.Join(ix.Cols, ", ")))
	}
	if t.Geometry != "" {
		ddl = append(ddl,
			fmt.Sprintf(`INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
	VALUES ('%s', 'features', '%s', '%s', %d)`, t.Name, t.Name, sqlQuote(t.Title), srsWGS84),
			fmt.Sprintf(`INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('%s', 'geom', '%s', %d, 0, 0)`, t.Name, t.Geometry, srsWGS84),
			fmt.Sprintf(`INSERT OR IGNORE INTO gpkg_extensions VALUES ('%s', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')`, t.Name),
			fmt.Sprintf("CREATE VIRTUAL TABLE IF NOT EXISTS rtree_%s_geom USING rtree(id, minx, maxx, miny, maxy)", t.Name),
		)
		ddl = append(ddl, rtreeTriggers(t.Name)...)
	} else {
		ddl = append(ddl, fmt.Sprintf(`INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
	VALUES ('%s', 'attributes', '%s', '%s')`, t.Name, t.Name, sqlQuote(t.Title)))
	}
	guard := func(op string) string {
		return fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s_no_%s BEFORE %s ON %s
BEGIN SELECT RAISE(ABORT, '%s is append-only'); END`, t.Name, strings.ToLower(op), op, t.Name, t.Name)
	}
	switch {
	case t.AppendOnly:
		ddl = append(ddl, guard("UPDATE"), guard("DELETE"))
	case t.NoDelete:
		ddl = append(ddl, fmt.Sprintf(`CREATE TRIGGER IF NOT EXISTS %s_no_delete BEFORE DELETE ON %s
BEGIN SELECT RAISE(ABORT, 'rows of %s are never deleted'); END`, t.Name, t.Name, t.Name))
	}
	return ddl
}

// migrationsDDL creates the table of applied schema versions.
var migrationsDDL = []string{
	`CREATE TABLE IF NOT EXISTS ` + tables.TableSchemaMigrations + ` (
	version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at DATETIME NOT NULL)`,
	`INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
	VALUES ('` + tables.TableSchemaMigrations + `', 'attributes', '` + tables.TableSchemaMigrations + `', '` + tables.MigrationsTitle + `')`,
}

const wgs84WKT = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

// coreDDL creates the GeoPackage core tables (GeoPackage 1.3 §1.1.2, §1.1.3,
// §2.1.5, §2.1.7 and Annex F.3 for the extensions table).
var coreDDL = []string{
	`CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
	srs_name TEXT NOT NULL,
	srs_id INTEGER NOT NULL PRIMARY KEY,
	organization TEXT NOT NULL,
	organization_coordsys_id INTEGER NOT NULL,
	definition TEXT NOT NULL,
	description TEXT)`,
	`INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
	('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
	('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
	('WGS 84 geodetic', 4326, 'EPSG', 4326, '` + wgs84WKT + `', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')`,
	`CREATE TABLE IF NOT EXISTS gpkg_contents (
	table_name TEXT NOT NULL PRIMARY KEY,
	data_type TEXT NOT NULL,
	identifier TEXT UNIQUE,
	description TEXT DEFAULT '',
	last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
	min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
	srs_id INTEGER,
	CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
	`CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
	table_name TEXT NOT NULL,
	column_name TEXT NOT NULL,
	geometry_type_name TEXT NOT NULL,
	srs_id INTEGER NOT NULL,
	z TINYINT NOT NULL,
	m TINYINT NOT NULL,
	CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
	CONSTRAINT uk_gc_table_name UNIQUE (table_name),
	CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
	CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
	`CREATE TABLE IF NOT EXISTS gpkg_extensions (
	table_name TEXT,
	column_name TEXT,
	extension_name TEXT NOT NULL,
	definition TEXT NOT NULL,
	scope TEXT NOT NULL,
	CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))`,
}

func sqlQuote(s string) string { return strings.ReplaceAll(s, "'", "''") }

// rtreeTriggerNames lists the R-tree triggers of a table in rtreeTriggers
// order; the first is the insert trigger and the last the delete trigger.
func rtreeTriggerNames(t string) []string {
	p := "rtree_" + t + "_geom_"
	return []string{p + "insert", p + "update1", p + "update2", p + "update3", p + "update4", p + "delete"}
}

// rtreeTriggers returns the six triggers of the GeoPackage 1.3 R-tree
// spatial index extension (Annex F.3) for table t, geometry column geom and
// primary key fid.
func rtreeTriggers(t string) []string {
	r := strings.NewReplacer("<t>", t, "<c>", "geom", "<i>", "fid")
	out := make([]string, len(rtreeTriggerSQL))
	for i, s := range rtreeTriggerSQL {
		out[i] = r.Replace(s)
	}
	return out
}

var rtreeTriggerSQL = []string{
	`CREATE TRIGGER IF NOT EXISTS rtree_<t>_<c>_insert AFTER INSERT ON <t>
  WHEN (new.<c> NOT NULL AND NOT ST_IsEmpty(NEW.<c>))
BEGIN
  INSERT OR REPLACE INTO rtree_<t>_<c> VALUES (
    NEW.<i>,
    ST_MinX(NEW.<c>), ST_MaxX(NEW.<c>),
    ST_MinY(NEW.<c>), ST_MaxY(NEW.<c>)
  );
END`,
	`CREATE TRIGGER IF NOT EXISTS rtree_<t>_<c>_update1 AFTER UPDATE OF <c> ON <t>
  WHEN OLD.<i> = NEW.<i> AND
       (NEW.<c> NOTNULL AND NOT ST_IsEmpty(NEW.<c>))
BEGIN
  INSERT OR REPLACE INTO rtree_<t>_<c> VALUES (
    NEW.<i>,
    ST_MinX(NEW.<c>), ST_MaxX(NEW.<c>),
    ST_MinY(NEW.<c>), ST_MaxY(NEW.<c>)
  );
END`,
	`CREATE TRIGGER IF NOT EXISTS rtree_<t>_<c>_update2 AFTER UPDATE OF <c> ON <t>
  WHEN OLD.<i> = NEW.<i> AND
       (NEW.<c> ISNULL OR ST_IsEmpty(NEW.<c>))
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id = OLD.<i>;
END`,
	`CREATE TRIGGER IF NOT EXISTS rtree_<t>_<c>_update3 AFTER UPDATE ON <t>
  WHEN OLD.<i> != NEW.<i> AND
       (NEW.<c> NOTNULL AND NOT ST_IsEmpty(NEW.<c>))
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id = OLD.<i>;
  INSERT OR REPLACE INTO rtree_<t>_<c> VALUES (
    NEW.<i>,
    ST_MinX(NEW.<c>), ST_MaxX(NEW.<c>),
    ST_MinY(NEW.<c>), ST_MaxY(NEW.<c>)
  );
END`,
	`CREATE TRIGGER IF NOT EXISTS rtree_<t>_<c>_update4 AFTER UPDATE ON <t>
  WHEN OLD.<i> != NEW.<i> AND
       (NEW.<c> ISNULL OR ST_IsEmpty(NEW.<c>))
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id IN (OLD.<i>, NEW.<i>);
END`,
	`CREATE TRIGGER IF NOT EXISTS rtree_<t>_<c>_delete AFTER DELETE ON <t>
  WHEN old.<c> NOT NULL
BEGIN
  DELETE FROM rtree_<t>_<c> WHERE id = OLD.<i>;
END`,
}
