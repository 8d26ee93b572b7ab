package gpkg

import (
	"fmt"
	"strings"

	"github.com/gridmap/gridmap/data"
)

// GeoPackage identity (GeoPackage 1.3 §1.1.1.1).
const (
	gpkgApplicationID = 0x47504B47 // "GPKG"
	gpkgUserVersion   = 10300
)

// Table names beyond the layer names of package data.
const (
	tableCadreGrids     = "cadre_grids"
	tableUnitCommunites = "reporting_unit_communities"
	tableAudit          = "audit_log"
	tableMeta           = "meta"
)

// featureTable describes one spatial layer's table.
type featureTable struct {
	name     string
	geomType string // GeoPackage geometry_type_name
	title    string
	cols     string // column definitions besides fid and geom
	codeCol  string // the column holding the unique code
}

// attrTable describes one attribute (non-spatial) table.
type attrTable struct {
	name  string
	title string
	pk    string // the INTEGER PRIMARY KEY column
	cols  string // column definitions besides the primary key
	extra []string
}

var featureTables = []featureTable{
	{data.LayerDistricts, "MULTIPOLYGON", "Districts (区)", `
	code TEXT NOT NULL, name TEXT NOT NULL, seat_lon DOUBLE, seat_lat DOUBLE`, "code"},
	{data.LayerStreets, "POLYGON", "Streets (街道)", `
	code TEXT NOT NULL, name TEXT NOT NULL, district_code TEXT NOT NULL`, "code"},
	{data.LayerCommunities, "POLYGON", "Communities (社区)", `
	code TEXT NOT NULL, name TEXT NOT NULL, street_code TEXT NOT NULL, district_code TEXT NOT NULL`, "code"},
	{data.LayerGrids, "POLYGON", "Grids (网格)", `
	code TEXT NOT NULL, name TEXT NOT NULL,
	community_code TEXT NOT NULL, street_code TEXT NOT NULL, district_code TEXT NOT NULL,
	seq INTEGER NOT NULL,
	head_name TEXT, head_phone TEXT, head_title TEXT,
	team TEXT, -- JSON array of {"name","phone","title"}
	volunteer_team TEXT, volunteers INTEGER NOT NULL,
	buildings INTEGER NOT NULL, households INTEGER NOT NULL, population INTEGER NOT NULL`, "code"},
	{data.LayerCompounds, "POLYGON", "Compounds (小区)", `
	code TEXT NOT NULL, name TEXT NOT NULL,
	aliases TEXT, -- JSON array of strings
	grid_code TEXT NOT NULL, community_code TEXT NOT NULL,
	property_status TEXT, property_company TEXT,
	owners_committee BOOLEAN NOT NULL, party_org BOOLEAN NOT NULL`, "code"},
	{data.LayerBuildings, "POLYGON", "Buildings (楼栋) with their standard address", `
	code TEXT NOT NULL,
	compound_code TEXT NOT NULL, grid_code TEXT NOT NULL, community_code TEXT NOT NULL,
	street_code TEXT NOT NULL, district_code TEXT NOT NULL,
	road TEXT, house_number INTEGER NOT NULL,
	compound_name TEXT, -- denormalised from compounds for the address
	number INTEGER NOT NULL, units INTEGER NOT NULL,
	floors INTEGER NOT NULL, households INTEGER NOT NULL, population INTEGER NOT NULL,
	entrance_lon DOUBLE, entrance_lat DOUBLE`, "code"},
	{data.LayerRoads, "LINESTRING", "Road segments", `
	road_id INTEGER NOT NULL, name TEXT, class TEXT,
	from_node INTEGER NOT NULL, to_node INTEGER NOT NULL,
	left_from INTEGER NOT NULL, left_to INTEGER NOT NULL,
	right_from INTEGER NOT NULL, right_to INTEGER NOT NULL`, "road_id"},
	{data.LayerStations, "POINT", "Stations (党群服务中心, 网格驿站)", `
	code TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
	stars INTEGER NOT NULL, grid_code TEXT, community_code TEXT`, "code"},
	{data.LayerIncidents, "POINT", "Incidents", `
	id TEXT NOT NULL, module TEXT, category TEXT, description TEXT, status TEXT,
	address TEXT, grid_code TEXT, community_code TEXT, street_code TEXT, district_code TEXT,
	departments TEXT, -- JSON array of strings
	reported_at DATETIME, updated_at DATETIME`, "id"},
}

var attrTables = []attrTable{
	{data.LayerCadres, "Cadres sunk to grids (下沉干部)", "fid", `
	id TEXT NOT NULL, name TEXT NOT NULL, unit TEXT, rank TEXT, phone TEXT`,
		[]string{`CREATE UNIQUE INDEX IF NOT EXISTS idx_cadres_id ON cadres(id)`}},
	{tableCadreGrids, "Grids each cadre helps", "fid", `
	cadre_id TEXT NOT NULL REFERENCES cadres(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL, grid_code TEXT NOT NULL`,
		[]string{`CREATE UNIQUE INDEX IF NOT EXISTS idx_cadre_grids_cadre ON cadre_grids(cadre_id, seq)`}},
	{data.LayerReportingUnits, "Reporting units (双报到)", "fid", `
	code TEXT NOT NULL, name TEXT NOT NULL, level TEXT, members INTEGER NOT NULL`,
		[]string{`CREATE UNIQUE INDEX IF NOT EXISTS idx_reporting_units_code ON reporting_units(code)`}},
	{tableUnitCommunites, "Communities each reporting unit reports to", "fid", `
	unit_code TEXT NOT NULL REFERENCES reporting_units(code) ON DELETE CASCADE,
	seq INTEGER NOT NULL, community_code TEXT NOT NULL`,
		[]string{`CREATE UNIQUE INDEX IF NOT EXISTS idx_ruc_unit ON reporting_unit_communities(unit_code, seq)`}},
	{tableAudit, "Audit trail of every write (append-only)", "seq", `
	at DATETIME NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT, detail TEXT`,
		[]string{
			`CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
			`CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
		}},
	{tableMeta, "Key/value metadata (seed, scale, version …)", "fid", `
	key TEXT NOT NULL, value TEXT`,
		[]string{`CREATE UNIQUE INDEX IF NOT EXISTS idx_meta_key ON meta(key)`}},
}

func featureTableByName(name string) (featureTable, bool) {
	for _, t := range featureTables {
		if t.name == name {
			return t, true
		}
	}
	return featureTable{}, false
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

// schemaDDL returns every statement that creates the store's schema; all of
// them are idempotent so that opening an existing file re-runs them safely.
func schemaDDL() []string {
	ddl := append([]string(nil), coreDDL...)
	for _, t := range featureTables {
		ddl = append(ddl,
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (\n\tfid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n\tgeom %s,%s)", t.name, t.geomType, t.cols),
			fmt.Sprintf("CREATE UNIQUE INDEX IF NOT EXISTS idx_%s_%s ON %s(%s)", t.name, t.codeCol, t.name, t.codeCol),
			fmt.Sprintf(`INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
	VALUES ('%s', 'features', '%s', '%s', %d)`, t.name, t.name, sqlQuote(t.title), srsWGS84),
			fmt.Sprintf(`INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('%s', 'geom', '%s', %d, 0, 0)`, t.name, t.geomType, srsWGS84),
			fmt.Sprintf(`INSERT OR IGNORE INTO gpkg_extensions VALUES ('%s', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')`, t.name),
			fmt.Sprintf("CREATE VIRTUAL TABLE IF NOT EXISTS rtree_%s_geom USING rtree(id, minx, maxx, miny, maxy)", t.name),
		)
		ddl = append(ddl, rtreeTriggers(t.name)...)
	}
	for _, t := range attrTables {
		ddl = append(ddl,
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (\n\t%s INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,%s)", t.name, t.pk, t.cols),
			fmt.Sprintf(`INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
	VALUES ('%s', 'attributes', '%s', '%s')`, t.name, t.name, sqlQuote(t.title)),
		)
		ddl = append(ddl, t.extra...)
	}
	return ddl
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
