package tables

import "github.com/gridmap/gridmap/data"

// The schema of record. Every table of the store is declared here once,
// with typed columns; both backends create their tables from these
// declarations (data/store/gpkg as GeoPackage feature and attribute
// tables, data/store/postgis as PostGIS tables with typed geometry
// columns), and `gridmap copy` moves every table column by column. The
// column names are the same in both, so a QGIS project or a
// pg_featureserv collection reads either.

// Type is a column's logical type.
type Type int

// Column types. In the GeoPackage: TEXT, INTEGER, DOUBLE, BOOLEAN,
// DATETIME (ISO 8601 text, UTC, milliseconds) and TEXT; in PostgreSQL:
// text, bigint, double precision, boolean, timestamptz and json (json, not
// jsonb, keeps the text as written, so a copy is byte for byte).
const (
	Text Type = iota
	Integer
	Real
	Boolean
	DateTime
	JSON
)

// Column is one column of a table.
type Column struct {
	Name    string
	Type    Type
	NotNull bool
	// Ref names the column this one references ("cadres(id)"), in both
	// backends; its rows go when the referenced row goes (ON DELETE
	// CASCADE).
	Ref string
}

// Index is a named index over columns.
type Index struct {
	Name string
	Cols []string
}

// Parent is a reference of the hierarchy (a street's district, a grid's
// community …). PostgreSQL enforces it as a foreign key checked at commit
// (DEFERRABLE INITIALLY DEFERRED, so a layer can be replaced in one
// transaction); the GeoPackage leaves it to `gridmap validate`, so that a
// layer edited in QGIS is not blocked row by row.
type Parent struct {
	Col    string
	Table  string
	RefCol string
}

// Table declares one table.
type Table struct {
	Name  string
	Title string // the description GIS tools show
	// Geometry is the GeoPackage geometry type name of the geom column
	// (MULTIPOLYGON, POLYGON, LINESTRING, POINT), always in EPSG:4326;
	// "" for an attribute table.
	Geometry string
	// Key is the integer primary key: fid for features and most
	// attribute tables, seq for the append-only logs, version for
	// versioned records. The store assigns it unless KeyGiven.
	Key      string
	KeyGiven bool
	Columns  []Column
	Unique   []Index
	Indexes  []Index
	Parents  []Parent
	// AppendOnly tables refuse UPDATE and DELETE; NoDelete ones DELETE.
	AppendOnly bool
	NoDelete   bool
}

// Migration is one version of the schema: the tables it adds, and the
// statements of each backend that change what was there (added columns,
// new indexes). Versions count up from 1; a store records the versions it
// has applied and applies the missing ones in order, each in one
// transaction, so running them again changes nothing.
type Migration struct {
	Version  int
	Name     string
	Tables   []Table
	SQLite   []string // run by the GeoPackage backend after creating Tables
	Postgres []string // run by the PostGIS backend after creating Tables
}

// Table names beyond the layer names of package data.
const (
	TableCadreGrids       = "cadre_grids"
	TableUnitCommunities  = "reporting_unit_communities"
	TableAudit            = "audit_log"
	TableMeta             = "meta"
	TableIncidentExt      = "incident_ext"
	TableIncidentHistory  = "incident_history"
	TableIdempotency      = "idempotency_keys"
	TableRules            = "incident_rules"
	TablePlans            = "plans"
	TablePlanVersions     = "plan_versions"
	TableRetiredCodes     = "plan_retired_codes"
	TableTokens           = "api_tokens"
	TableSchemaMigrations = "gridmap_schema"
	// MigrationsTitle describes TableSchemaMigrations.
	MigrationsTitle = "Schema versions applied to this store"
	// SRID is the only spatial reference the store writes: WGS 84.
	SRID = 4326
	// GeomColumn is the geometry column of every feature table.
	GeomColumn = "geom"
	defaultKey = "fid"
)

func col(name string, t Type) Column         { return Column{Name: name, Type: t} }
func nn(name string, t Type) Column          { return Column{Name: name, Type: t, NotNull: true} }
func uniq(name string, cols ...string) Index { return Index{name, cols} }

// Migrations is the schema's history, oldest first. Append a migration to
// change the schema; never edit one that has shipped.
var Migrations = []Migration{
	{Version: 1, Name: "city layers, dispatch, planner, tokens", Tables: []Table{
		{Name: data.LayerDistricts, Title: "Districts (区)", Geometry: "MULTIPOLYGON", Key: defaultKey, Columns: []Column{
			nn("code", Text), nn("name", Text), col("seat_lon", Real), col("seat_lat", Real)},
			Unique: []Index{uniq("idx_districts_code", "code")}},
		{Name: data.LayerStreets, Title: "Streets (街道)", Geometry: "POLYGON", Key: defaultKey, Columns: []Column{
			nn("code", Text), nn("name", Text), nn("district_code", Text)},
			Unique:  []Index{uniq("idx_streets_code", "code")},
			Parents: []Parent{{"district_code", data.LayerDistricts, "code"}}},
		{Name: data.LayerCommunities, Title: "Communities (社区)", Geometry: "POLYGON", Key: defaultKey, Columns: []Column{
			nn("code", Text), nn("name", Text), nn("street_code", Text), nn("district_code", Text)},
			Unique:  []Index{uniq("idx_communities_code", "code")},
			Parents: []Parent{{"street_code", data.LayerStreets, "code"}}},
		{Name: data.LayerGrids, Title: "Grids (网格)", Geometry: "POLYGON", Key: defaultKey, Columns: []Column{
			nn("code", Text), nn("name", Text), nn("community_code", Text), nn("street_code", Text), nn("district_code", Text),
			nn("seq", Integer), col("head_name", Text), col("head_phone", Text), col("head_title", Text),
			col("team", JSON), col("volunteer_team", Text), nn("volunteers", Integer),
			nn("buildings", Integer), nn("households", Integer), nn("population", Integer)},
			Unique:  []Index{uniq("idx_grids_code", "code")},
			Parents: []Parent{{"community_code", data.LayerCommunities, "code"}}},
		{Name: data.LayerCompounds, Title: "Compounds (小区)", Geometry: "POLYGON", Key: defaultKey, Columns: []Column{
			nn("code", Text), nn("name", Text), col("aliases", JSON), nn("grid_code", Text), nn("community_code", Text),
			col("property_status", Text), col("property_company", Text), nn("owners_committee", Boolean), nn("party_org", Boolean)},
			Unique:  []Index{uniq("idx_compounds_code", "code")},
			Parents: []Parent{{"grid_code", data.LayerGrids, "code"}}},
		{Name: data.LayerBuildings, Title: "Buildings (楼栋) with their standard address", Geometry: "POLYGON", Key: defaultKey, Columns: []Column{
			nn("code", Text), nn("compound_code", Text), nn("grid_code", Text), nn("community_code", Text),
			nn("street_code", Text), nn("district_code", Text), col("road", Text), nn("house_number", Integer),
			col("compound_name", Text), nn("number", Integer), nn("units", Integer),
			nn("floors", Integer), nn("households", Integer), nn("population", Integer),
			col("entrance_lon", Real), col("entrance_lat", Real)},
			Unique:  []Index{uniq("idx_buildings_code", "code")},
			Parents: []Parent{{"compound_code", data.LayerCompounds, "code"}, {"grid_code", data.LayerGrids, "code"}}},
		{Name: data.LayerRoads, Title: "Road segments", Geometry: "LINESTRING", Key: defaultKey, Columns: []Column{
			nn("road_id", Integer), col("name", Text), col("class", Text), nn("from_node", Integer), nn("to_node", Integer),
			nn("left_from", Integer), nn("left_to", Integer), nn("right_from", Integer), nn("right_to", Integer)},
			Unique: []Index{uniq("idx_roads_road_id", "road_id")}},
		{Name: data.LayerStations, Title: "Stations (党群服务中心, 网格驿站)", Geometry: "POINT", Key: defaultKey, Columns: []Column{
			nn("code", Text), nn("name", Text), nn("kind", Text), nn("status", Text), nn("stars", Integer),
			col("grid_code", Text), col("community_code", Text)},
			Unique: []Index{uniq("idx_stations_code", "code")}},
		{Name: data.LayerIncidents, Title: "Incidents", Geometry: "POINT", Key: defaultKey, Columns: []Column{
			nn("id", Text), col("module", Text), col("category", Text), col("description", Text), col("status", Text),
			col("address", Text), col("grid_code", Text), col("community_code", Text), col("street_code", Text), col("district_code", Text),
			col("departments", JSON), col("reported_at", DateTime), col("updated_at", DateTime)},
			Unique: []Index{uniq("idx_incidents_id", "id")}},
		{Name: data.LayerCadres, Title: "Cadres sunk to grids (下沉干部)", Key: defaultKey, Columns: []Column{
			nn("id", Text), nn("name", Text), col("unit", Text), col("rank", Text), col("phone", Text)},
			Unique: []Index{uniq("idx_cadres_id", "id")}},
		{Name: TableCadreGrids, Title: "Grids each cadre helps", Key: defaultKey, Columns: []Column{
			{Name: "cadre_id", Type: Text, NotNull: true, Ref: "cadres(id)"}, nn("seq", Integer), nn("grid_code", Text)},
			Unique: []Index{uniq("idx_cadre_grids_cadre", "cadre_id", "seq")}},
		{Name: data.LayerReportingUnits, Title: "Reporting units (双报到)", Key: defaultKey, Columns: []Column{
			nn("code", Text), nn("name", Text), col("level", Text), nn("members", Integer)},
			Unique: []Index{uniq("idx_reporting_units_code", "code")}},
		{Name: TableUnitCommunities, Title: "Communities each reporting unit reports to", Key: defaultKey, Columns: []Column{
			{Name: "unit_code", Type: Text, NotNull: true, Ref: "reporting_units(code)"}, nn("seq", Integer), nn("community_code", Text)},
			Unique: []Index{uniq("idx_ruc_unit", "unit_code", "seq")}},
		{Name: TableAudit, Title: "Audit trail of every write (append-only)", Key: "seq", Columns: []Column{
			nn("at", DateTime), nn("actor", Text), nn("action", Text), col("target", Text), col("detail", Text)},
			AppendOnly: true},
		{Name: TableMeta, Title: "Key/value metadata (seed, scale, version …)", Key: defaultKey, Columns: []Column{
			nn("key", Text), col("value", Text)},
			Unique: []Index{uniq("idx_meta_key", "key")}},
		{Name: TableIncidentExt, Title: "Incident dispatch details: caller, responders, SLA, escalation", Key: defaultKey, Columns: []Column{
			nn("incident_id", Text), col("source", Text), col("caller_name", Text), col("caller_phone", Text),
			col("responders", JSON), col("responded", JSON), col("duplicate_of", Text),
			col("accept_due", DateTime), col("resolve_due", DateTime), col("escalated_at", DateTime), col("escalated_to", Text),
			nn("version", Integer)},
			Unique:  []Index{uniq("idx_incident_ext_id", "incident_id")},
			Indexes: []Index{uniq("idx_incident_ext_due", "escalated_at", "resolve_due")},
			Parents: []Parent{{"incident_id", data.LayerIncidents, "id"}}},
		{Name: TableIncidentHistory, Title: "Incident history and live-event sequence (append-only)", Key: "seq", Columns: []Column{
			nn("incident_id", Text), nn("at", DateTime), nn("actor", Text), col("actor_role", Text),
			nn("type", Text), col("action", Text), col("from_status", Text), col("to_status", Text), col("note", Text),
			col("departments", JSON), col("incident", JSON)},
			Indexes:    []Index{uniq("idx_incident_history_id", "incident_id", "seq")},
			Parents:    []Parent{{"incident_id", data.LayerIncidents, "id"}},
			AppendOnly: true},
		{Name: TableIdempotency, Title: "Idempotency keys of incident creations", Key: defaultKey, Columns: []Column{
			nn("actor", Text), nn("key", Text), nn("request_hash", Text), nn("incident_id", Text), nn("created_at", DateTime)},
			Unique: []Index{uniq("idx_idempotency_key", "actor", "key")}},
		{Name: TableRules, Title: "Incident routing rules, every version (the last one is in force)", Key: "version", Columns: []Column{
			nn("at", DateTime), nn("actor", Text), nn("body", Text)}},
		{Name: TablePlans, Title: "Planner drafts: named, versioned boundary plans and their edits", Key: defaultKey, Columns: []Column{
			nn("id", Text), nn("name", Text), nn("base_version", Integer), nn("status", Text),
			nn("created_at", DateTime), nn("created_by", Text), nn("updated_at", DateTime),
			col("applied_at", DateTime), col("applied_version", Integer), nn("edits", JSON)},
			Unique: []Index{uniq("idx_plans_id", "id")}},
		{Name: TablePlanVersions, Title: "Grid layout versions: every applied plan's layout (version 0: the layout before the first plan)", Key: "version", KeyGiven: true, Columns: []Column{
			nn("at", DateTime), nn("actor", Text), col("plan_id", Text), col("summary", Text), nn("snapshot", JSON)},
			AppendOnly: true},
		{Name: TableRetiredCodes, Title: "Grid codes retired by plans: never reused", Key: defaultKey, Columns: []Column{
			nn("code", Text), nn("retired_at", DateTime), col("plan_id", Text)},
			Unique:   []Index{uniq("idx_plan_retired_codes", "code")},
			NoDelete: true},
		{Name: TableTokens, Title: "API bearer tokens: only a hash of each secret is kept", Key: defaultKey, Columns: []Column{
			nn("id", Text), nn("name", Text), nn("role", Text), nn("hash", Text),
			nn("created_at", DateTime), col("created_by", Text), col("revoked_at", DateTime)},
			Unique: []Index{uniq("idx_api_tokens_id", "id"), uniq("idx_api_tokens_hash", "hash")}},
	}},
	{Version: 2, Name: "points of interest (landmarks) with their gates", Tables: []Table{
		{Name: data.LayerPOIs, Title: "Points of interest (schools, hospitals, markets, parks, bus stops, government offices) with their gates",
			Geometry: "POINT", Key: defaultKey, Columns: []Column{
				nn("code", Text), nn("name", Text), col("aliases", JSON), nn("kind", Text),
				col("grid_code", Text), col("community_code", Text), col("road", Text), nn("house_number", Integer),
				col("gates", JSON), col("footprint", Text)},
			// No Parent on grid_code: a POI's grid is where its point lies,
			// and plans move grids under it (the geocoder locates the point).
			Unique: []Index{uniq("idx_pois_code", "code")}},
	}},
}

// Latest is the schema version this build writes.
func Latest() int { return Migrations[len(Migrations)-1].Version }

// All returns every table of the schema, in the order they were added
// (parents before children).
func All() []Table {
	var out []Table
	for _, m := range Migrations {
		out = append(out, m.Tables...)
	}
	return out
}

// ByName returns the declaration of a table.
func ByName(name string) (Table, bool) {
	for _, t := range All() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// ColumnNames returns the table's columns in order, the key first and the
// geometry (geom) last when it has one.
func (t Table) ColumnNames() []string {
	out := []string{t.Key}
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	if t.Geometry != "" {
		out = append(out, GeomColumn)
	}
	return out
}
