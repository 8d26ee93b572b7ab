// Package features turns the model's records into GeoJSON features and CSV
// rows with flat properties: every feature carries its own code and its
// parents' codes, buildings their full standard address. The same shape is
// used by `gridmap export`, the layer GeoJSON endpoints and OGC API
// Features, so QGIS, GDAL and the frontend see one schema everywhere.
package features

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"
)

// Layers lists the layers that can be exported, in nesting order.
var Layers = []string{
	data.LayerDistricts, data.LayerStreets, data.LayerCommunities, data.LayerGrids,
	data.LayerCompounds, data.LayerBuildings, data.LayerRoads, data.LayerStations,
	data.LayerPOIs, data.LayerIncidents, data.LayerCadres, data.LayerReportingUnits,
}

// Options tune what personal data a feature carries.
type Options struct {
	// ShowPersonal includes names and phone numbers of grid heads, teams and
	// cadres unmasked; otherwise phones are masked and names reduced to the
	// family name.
	ShowPersonal bool
}

// Count returns the number of features of a layer.
func Count(c *data.City, layer string) (int, error) {
	n, ok := c.Counts()[layer]
	if !ok {
		return 0, fmt.Errorf("features: unknown layer %q (known: %s)", layer, strings.Join(Layers, ", "))
	}
	return n, nil
}

// Feature returns feature i of a layer. Attribute layers (cadres,
// reporting units) have a nil geometry.
func Feature(c *data.City, layer string, i int, opt Options) (*geojson.Feature, error) {
	n, err := Count(c, layer)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= n {
		return nil, fmt.Errorf("features: %s: no feature %d", layer, i)
	}
	f := &geojson.Feature{Properties: geojson.Properties{}}
	p := f.Properties
	person := func(prefix string, x data.Person) {
		name, phone := x.Name, x.Phone
		if !opt.ShowPersonal {
			name, phone = data.MaskName(name), data.MaskPhone(phone)
		}
		p[prefix+"name"], p[prefix+"phone"], p[prefix+"title"] = name, phone, x.Title
	}
	switch layer {
	case data.LayerDistricts:
		d := c.Districts[i]
		f.ID, f.Geometry = d.Code, d.Geom
		p["code"], p["name"], p["seat_lon"], p["seat_lat"] = d.Code, d.Name, d.Seat[0], d.Seat[1]
	case data.LayerStreets:
		s := c.Streets[i]
		f.ID, f.Geometry = s.Code, s.Geom
		p["code"], p["name"], p["district_code"] = s.Code, s.Name, s.DistrictCode
	case data.LayerCommunities:
		m := c.Communities[i]
		f.ID, f.Geometry = m.Code, m.Geom
		p["code"], p["name"], p["street_code"], p["district_code"] = m.Code, m.Name, m.StreetCode, m.DistrictCode
	case data.LayerGrids:
		g := c.Grids[i]
		f.ID, f.Geometry = g.Code, g.Geom
		p["code"], p["name"], p["seq"] = g.Code, g.Name, g.Seq
		p["community_code"], p["street_code"], p["district_code"] = g.CommunityCode, g.StreetCode, g.DistrictCode
		person("head_", g.Head)
		p["team_size"] = len(g.Team)
		p["volunteer_team"], p["volunteers"] = g.VolunteerTeam, g.Volunteers
		p["buildings"], p["households"], p["population"] = g.Buildings, g.Households, g.Population
		p["cadres"] = len(c.CadresOf(g.Code))
	case data.LayerCompounds:
		m := c.Compounds[i]
		f.ID, f.Geometry = m.Code, m.Geom
		p["code"], p["name"], p["aliases"] = m.Code, m.Name, strings.Join(m.Aliases, ";")
		p["grid_code"], p["community_code"] = m.GridCode, m.CommunityCode
		if g := c.Grid(m.GridCode); g != nil {
			p["street_code"], p["district_code"] = g.StreetCode, g.DistrictCode
		}
		p["property_status"], p["property_company"] = m.PropertyStatus, m.PropertyCompany
		p["owners_committee"], p["party_org"] = m.OwnersCommittee, m.PartyOrg
	case data.LayerBuildings:
		b := c.Buildings[i]
		f.ID, f.Geometry = b.Code, b.Geom
		compound := ""
		if cp := c.Compound(b.CompoundCode); cp != nil {
			compound = cp.Name
		}
		p["code"], p["compound_code"], p["grid_code"] = b.Code, b.CompoundCode, b.GridCode
		p["community_code"], p["street_code"], p["district_code"] = b.CommunityCode, b.StreetCode, b.DistrictCode
		p["road"], p["house_number"], p["compound"], p["building_number"] = b.Road, b.HouseNumber, compound, b.Number
		p["units"], p["floors"], p["households"], p["population"] = b.Units, b.Floors, b.Households, b.Population
		p["entrance_lon"], p["entrance_lat"] = b.Entrance[0], b.Entrance[1]
		p["address"] = Address(c, &b)
	case data.LayerRoads:
		r := c.Roads[i]
		f.ID, f.Geometry = r.ID, r.Geom
		p["id"], p["name"], p["class"], p["from_node"], p["to_node"] = r.ID, r.Name, r.Class, r.FromNode, r.ToNode
		p["left_from"], p["left_to"], p["right_from"], p["right_to"] = r.LeftFrom, r.LeftTo, r.RightFrom, r.RightTo
	case data.LayerStations:
		s := c.Stations[i]
		f.ID, f.Geometry = s.Code, s.Point
		p["code"], p["name"], p["kind"], p["status"], p["stars"] = s.Code, s.Name, s.Kind, s.Status, s.Stars
		p["grid_code"], p["community_code"] = s.GridCode, s.CommunityCode
		if g := c.Grid(s.GridCode); g != nil {
			p["street_code"], p["district_code"] = g.StreetCode, g.DistrictCode
		}
	case data.LayerPOIs:
		x := c.POIs[i]
		f.ID, f.Geometry = x.Code, x.Point
		p["code"], p["name"], p["aliases"], p["kind"] = x.Code, x.Name, strings.Join(x.Aliases, ";"), x.Kind
		p["grid_code"], p["community_code"] = x.GridCode, x.CommunityCode
		if g := c.Grid(x.GridCode); g != nil {
			p["street_code"], p["district_code"] = g.StreetCode, g.DistrictCode
		}
		p["road"], p["house_number"] = x.Road, x.HouseNumber
		p["gates"] = FormatGates(x.Gates)
		p["footprint"] = ""
		if len(x.Geom) > 0 {
			p["footprint"] = string(wkt.Marshal(x.Geom))
		}
	case data.LayerIncidents:
		n := c.Incidents[i]
		f.ID, f.Geometry = n.ID, n.Point
		p["id"], p["module"], p["category"], p["status"] = n.ID, n.Module, n.Category, n.Status
		p["description"], p["address"] = n.Description, n.Address
		p["grid_code"], p["community_code"], p["street_code"], p["district_code"] = n.GridCode, n.CommunityCode, n.StreetCode, n.DistrictCode
		p["departments"] = strings.Join(n.Departments, ";")
		p["reported_at"], p["updated_at"] = n.ReportedAt.UTC().Format("2006-01-02T15:04:05Z"), n.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z")
	case data.LayerCadres:
		d := c.Cadres[i]
		f.ID = d.ID
		name, phone := d.Name, d.Phone
		if !opt.ShowPersonal {
			name, phone = data.MaskName(name), data.MaskPhone(phone)
		}
		p["id"], p["name"], p["unit"], p["rank"], p["phone"] = d.ID, name, d.Unit, d.Rank, phone
		p["grid_codes"] = strings.Join(d.GridCodes, ";")
	case data.LayerReportingUnits:
		u := c.ReportingUnits[i]
		f.ID = u.Code
		p["code"], p["name"], p["level"], p["members"] = u.Code, u.Name, u.Level, u.Members
		p["community_codes"] = strings.Join(u.CommunityCodes, ";")
	default:
		return nil, fmt.Errorf("features: unknown layer %q (known: %s)", layer, strings.Join(Layers, ", "))
	}
	return f, nil
}

// Address is a building's standard address: district, street, community,
// road and house number, compound, building.
// For example 市中区光明路街道青檀社区 青檀路12号 幸福小区3号楼.
func Address(c *data.City, b *data.Building) string {
	var sb strings.Builder
	if d := c.District(b.DistrictCode); d != nil {
		sb.WriteString(d.Name)
	}
	if s := c.Street(b.StreetCode); s != nil {
		sb.WriteString(s.Name)
	}
	if m := c.Community(b.CommunityCode); m != nil {
		sb.WriteString(m.Name)
	}
	fmt.Fprintf(&sb, "%s%d号", b.Road, b.HouseNumber)
	if cp := c.Compound(b.CompoundCode); cp != nil {
		sb.WriteString(cp.Name)
	}
	fmt.Fprintf(&sb, "%d号楼", b.Number)
	return sb.String()
}

// Fields returns the property names of a layer, sorted, taken from its
// first feature; empty for an empty layer.
func Fields(c *data.City, layer string) []string {
	f, err := Feature(c, layer, 0, Options{})
	if err != nil {
		return nil
	}
	keys := make([]string, 0, len(f.Properties))
	for k := range f.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ensure orb geometry types satisfy the interface used above.
var _ orb.Geometry = orb.Polygon{}

// FormatGates writes a POI's gates as one text field, the main gate first:
// 北门 117.5512345 34.8612345;东门 117.5523456 34.8601234. ParseGates reads
// it back, so a layer exported, edited and imported keeps its gates.
func FormatGates(gs []data.Gate) string {
	var sb strings.Builder
	for i, g := range gs {
		if i > 0 {
			sb.WriteByte(';')
		}
		fmt.Fprintf(&sb, "%s %s %s", g.Name, strconv.FormatFloat(g.Point[0], 'f', -1, 64), strconv.FormatFloat(g.Point[1], 'f', -1, 64))
	}
	return sb.String()
}

// ParseGates reads gates written by FormatGates.
func ParseGates(s string) ([]data.Gate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return []data.Gate{}, nil
	}
	var out []data.Gate
	for _, part := range strings.Split(s, ";") {
		f := strings.Fields(part)
		if len(f) != 3 {
			return nil, fmt.Errorf("gate %q: want NAME LON LAT", part)
		}
		lon, err1 := strconv.ParseFloat(f[1], 64)
		lat, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
			return nil, fmt.Errorf("gate %q: bad coordinates", part)
		}
		out = append(out, data.Gate{Name: f[0], Point: orb.Point{lon, lat}})
	}
	return out, nil
}
