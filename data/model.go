// Package data holds gridmap's domain model: the nested administrative
// areas of a city (district → street → community → grid), the compounds,
// buildings and roads inside them, the stations and people that serve them,
// and the incidents reported in them.
//
// All geometry is WGS84 longitude/latitude in orb value types. Areas are
// stored as single polygons with counter-clockwise exterior rings (RFC 7946);
// districts may be multipolygons because real outlines can be.
//
// Codes follow the national statistical pattern:
//
//	district   6 digits   370402
//	street     9 digits   370402001             (district + 3)
//	community 12 digits   370402001013          (street + 3)
//	grid      15 digits   370402001013007       (community + 3, numbered west→east, north→south)
//	compound  17 digits   37040200101300701     (grid + 2)
//	building  20 digits   37040200101300701003  (compound + 3)
//
// Package data imports no other package of the project.
package data

import (
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Code lengths of each level.
const (
	DistrictCodeLen  = 6
	StreetCodeLen    = 9
	CommunityCodeLen = 12
	GridCodeLen      = 15
	CompoundCodeLen  = 17
	BuildingCodeLen  = 20
)

// District is a county-level division (区/市).
type District struct {
	Code string
	Name string
	Seat orb.Point // government seat
	Geom orb.MultiPolygon
}

// Street is a sub-district (街道).
type Street struct {
	Code         string
	Name         string
	DistrictCode string
	Geom         orb.Polygon
}

// Community is an urban residents' community (社区).
type Community struct {
	Code         string
	Name         string
	StreetCode   string
	DistrictCode string
	Geom         orb.Polygon
}

// Person is someone with a name and a phone, such as a grid head or a
// community worker. Phone numbers are masked with MaskPhone for callers who
// may not see them.
type Person struct {
	Name  string `privacy:"name"`
	Phone string `privacy:"phone"`
	Title string // e.g. 网格党支部书记, 专职网格员
}

// Grid is the smallest unit of governance (网格): one compound (小区) or a few.
// Its head (网格长) is the grid party branch secretary or party group leader.
type Grid struct {
	Code          string
	Name          string
	CommunityCode string
	StreetCode    string
	DistrictCode  string
	Seq           int // 1-based number inside the community, west→east, north→south
	Geom          orb.Polygon

	Head          Person
	Team          []Person // full-time grid workers and part-time members
	VolunteerTeam string   // the grid's party-member volunteer team (one per grid)
	Volunteers    int

	// Totals over the grid's buildings.
	Buildings  int
	Households int
	Population int
}

// Property service states of a compound.
const (
	PropertyManaged   = "managed"   // a property company serves it
	PropertyNone      = "none"      // 无物业: never had one
	PropertyAbandoned = "abandoned" // 弃管: the company left
)

// Compound is a residential compound (小区).
type Compound struct {
	Code          string
	Name          string
	Aliases       []string
	GridCode      string
	CommunityCode string
	// The property fields are the compound's current state, kept by the
	// store from the dated property records (Places.Property) in force.
	PropertyStatus  string // one of PropertyStatuses
	PropertyCompany string // the serving company's name; empty unless managed
	OwnersCommittee bool   // 业主委员会
	PartyOrg        bool   // the serving company has a party organisation
	Geom            orb.Polygon
}

// Building is a residential building (楼栋) with its standard address.
type Building struct {
	Code          string
	CompoundCode  string
	GridCode      string
	CommunityCode string
	StreetCode    string
	DistrictCode  string
	Number        int    // building number in its compound (3号楼)
	Road          string // road of the compound's gate address
	HouseNumber   int    // house number on that road (门牌号)
	Units         int    // 单元
	Floors        int
	Households    int
	Population    int
	Entrance      orb.Point
	Geom          orb.Polygon
}

// Road classes.
const (
	RoadMain      = "main"      // 主干路
	RoadSecondary = "secondary" // 次干路
	RoadBranch    = "branch"    // 支路
)

// Road is one segment of a named road between two network nodes. Segments
// sharing a node id are connected. House numbers run along the direction of
// the line: odd numbers on the left, even on the right; a zero range means no
// numbers on that side.
type Road struct {
	ID        int64
	Name      string
	Class     string
	FromNode  int64
	ToNode    int64
	LeftFrom  int
	LeftTo    int
	RightFrom int
	RightTo   int
	Geom      orb.LineString
}

// Station kinds.
const (
	StationCommunityCentre = "community_centre" // 党群服务中心
	StationGrid            = "grid_station"     // 网格红色驿站
)

// Station statuses.
const (
	StationBuilt   = "built"
	StationPlanned = "planned"
)

// Station is a service place: a community party-mass service centre or a
// grid red station.
type Station struct {
	Code string
	Name string
	Kind string // StationCommunityCentre or StationGrid
	// Status and Stars are the station's current state, kept by the store
	// from the dated station records and the star-rating history.
	Status        string // one of StationLifecycle
	Stars         int    // 0–5; 0 for sites not built or not rated
	GridCode      string
	CommunityCode string
	Point         orb.Point
}

// POI kinds: the places callers name as landmarks.
const (
	POISchool     = "school"     // 小学, 中学
	POIHospital   = "hospital"   // 医院, 卫生服务中心
	POIMarket     = "market"     // 农贸市场, 商场
	POIPark       = "park"       // 公园, 广场, 游园
	POIBusStop    = "bus_stop"   // 公交站
	POIGovernment = "government" // 人民政府, 街道办事处
)

// POIKinds lists the POI kinds in a stable order.
var POIKinds = []string{POISchool, POIHospital, POIMarket, POIPark, POIBusStop, POIGovernment}

// Gate is one entrance of a POI: 正门 (the main one), 东门, 北门, 2号门 …
type Gate struct {
	Name  string
	Point orb.Point
}

// POI is a point of interest a caller may name as a landmark: a school, a
// hospital, a market, a park, a bus stop or a government office. Point is
// where it stands (the middle of its plot, or the stop itself); Geom is
// its plot, empty for a bus stop; Gates are its entrances, the main one
// first. Road and HouseNumber are the address of the main gate.
type POI struct {
	Code          string
	Name          string
	Aliases       []string
	Kind          string // one of POIKinds
	GridCode      string
	CommunityCode string
	Road          string
	HouseNumber   int
	Point         orb.Point
	Geom          orb.Polygon
	Gates         []Gate
}

// Cadre is a section-level party cadre sunk to grids (下沉帮包干部).
type Cadre struct {
	ID        string
	Name      string   `privacy:"name"`
	Unit      string   // the cadre's work unit
	Rank      string   // 正科级, 副科级 …
	Phone     string   `privacy:"phone"`
	GridCodes []string // grids the cadre helps
}

// ReportingUnit is a department that reports to communities (双报到).
// Members counts its in-service party members (在职党员); CommunityCodes
// are the communities it reports to (derived from its Pairings when the
// city's people are managed records).
type ReportingUnit struct {
	Code           string
	Name           string
	Level          string // UnitMunicipal or UnitDistrict
	DistrictCode   string // the district of a district-level unit
	Members        int
	Secretary      string // the unit's party secretary (personal data)
	Phone          string // the unit's contact phone (personal data)
	Note           string
	CommunityCodes []string
}

// Incident modules.
const (
	ModuleDevelopment = "development" // 发展
	ModuleEnforcement = "enforcement" // 执法
	ModuleLivelihood  = "livelihood"  // 民生
)

// Incident is a reported problem routed to a grid.
type Incident struct {
	ID            string
	Module        string
	Category      string
	Description   string `privacy:"text"`
	Status        string
	Point         orb.Point
	Address       string `privacy:"text"`
	GridCode      string
	CommunityCode string
	StreetCode    string
	DistrictCode  string
	Departments   []string
	ReportedAt    time.Time
	UpdatedAt     time.Time
}

// AuditEntry records one write: who, when, what.
type AuditEntry struct {
	Seq    int64
	At     time.Time
	Actor  string
	Action string
	Target string
	Detail string // JSON: before/after or a summary
}

// MaskPhone hides the middle of a phone number: 13812345678 → 138****5678.
// Short or empty numbers are masked entirely.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	for i := 3; i < len(r)-4; i++ {
		r[i] = '*'
	}
	return string(r)
}

// MaskName keeps the family name and hides the rest: 张伟 → 张*.
func MaskName(n string) string {
	r := []rune(n)
	if len(r) <= 1 {
		return n
	}
	for i := 1; i < len(r); i++ {
		r[i] = '*'
	}
	return string(r)
}
