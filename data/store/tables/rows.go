package tables

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
)

// Batch is rows to insert into one table: N rows of Cols (and a geom
// column first when Geom), made one at a time by Row into args (len(Cols)
// values), which returns the row's geometry.
type Batch struct {
	Table string
	Geom  bool
	Cols  []string
	N     int
	Row   func(i int, args []any) (orb.Geometry, error)
}

// LayerRows returns layer's slice of c as the rows to insert, in the
// columns of its table: one batch, or two for the layers with a child
// list table (cadres and cadre_grids, reporting units and their
// communities), parent first. compoundName finds the name of a compound
// that c does not hold, for the buildings' addresses.
func LayerRows(layer string, c *data.City, compoundName func(code string) (string, error)) ([]Batch, error) {
	one := func(b Batch) ([]Batch, error) { return []Batch{b}, nil }
	switch layer {
	case data.LayerDistricts:
		return one(Batch{Table: layer, Geom: true, Cols: []string{"code", "name", "seat_lon", "seat_lat"}, N: len(c.Districts), Row: func(i int, a []any) (orb.Geometry, error) {
			d := &c.Districts[i]
			a[0], a[1], a[2], a[3] = d.Code, d.Name, d.Seat[0], d.Seat[1]
			return d.Geom, nil
		}})
	case data.LayerStreets:
		return one(Batch{Table: layer, Geom: true, Cols: []string{"code", "name", "district_code"}, N: len(c.Streets), Row: func(i int, a []any) (orb.Geometry, error) {
			s := &c.Streets[i]
			a[0], a[1], a[2] = s.Code, s.Name, s.DistrictCode
			return s.Geom, nil
		}})
	case data.LayerCommunities:
		return one(Batch{Table: layer, Geom: true, Cols: []string{"code", "name", "street_code", "district_code"}, N: len(c.Communities), Row: func(i int, a []any) (orb.Geometry, error) {
			m := &c.Communities[i]
			a[0], a[1], a[2], a[3] = m.Code, m.Name, m.StreetCode, m.DistrictCode
			return m.Geom, nil
		}})
	case data.LayerGrids:
		return one(Batch{Table: layer, Geom: true, Cols: []string{"code", "name", "community_code", "street_code", "district_code", "seq",
			"head_name", "head_phone", "head_title", "team", "volunteer_team", "volunteers",
			"buildings", "households", "population"}, N: len(c.Grids), Row: func(i int, a []any) (orb.Geometry, error) {
			gr := &c.Grids[i]
			team, err := TeamJSON(gr.Team)
			if err != nil {
				return nil, err
			}
			a[0], a[1], a[2], a[3], a[4], a[5] = gr.Code, gr.Name, gr.CommunityCode, gr.StreetCode, gr.DistrictCode, int64(gr.Seq)
			a[6], a[7], a[8], a[9], a[10], a[11] = gr.Head.Name, gr.Head.Phone, gr.Head.Title, team, gr.VolunteerTeam, int64(gr.Volunteers)
			a[12], a[13], a[14] = int64(gr.Buildings), int64(gr.Households), int64(gr.Population)
			return gr.Geom, nil
		}})
	case data.LayerCompounds:
		return one(Batch{Table: layer, Geom: true, Cols: []string{"code", "name", "aliases", "grid_code", "community_code",
			"property_status", "property_company", "owners_committee", "party_org"}, N: len(c.Compounds), Row: func(i int, a []any) (orb.Geometry, error) {
			cp := &c.Compounds[i]
			aliases, err := JSONList(cp.Aliases)
			if err != nil {
				return nil, err
			}
			a[0], a[1], a[2], a[3], a[4] = cp.Code, cp.Name, aliases, cp.GridCode, cp.CommunityCode
			a[5], a[6], a[7], a[8] = cp.PropertyStatus, cp.PropertyCompany, cp.OwnersCommittee, cp.PartyOrg
			return cp.Geom, nil
		}})
	case data.LayerBuildings:
		return one(Batch{Table: layer, Geom: true, Cols: []string{"code", "compound_code", "grid_code", "community_code",
			"street_code", "district_code", "road", "house_number", "compound_name", "number", "units",
			"floors", "households", "population", "entrance_lon", "entrance_lat"}, N: len(c.Buildings), Row: func(i int, a []any) (orb.Geometry, error) {
			b := &c.Buildings[i]
			name, err := compoundName(b.CompoundCode)
			if err != nil {
				return nil, err
			}
			a[0], a[1], a[2], a[3], a[4], a[5] = b.Code, b.CompoundCode, b.GridCode, b.CommunityCode, b.StreetCode, b.DistrictCode
			a[6], a[7], a[8], a[9], a[10] = b.Road, int64(b.HouseNumber), name, int64(b.Number), int64(b.Units)
			a[11], a[12], a[13], a[14], a[15] = int64(b.Floors), int64(b.Households), int64(b.Population), b.Entrance[0], b.Entrance[1]
			return b.Geom, nil
		}})
	case data.LayerRoads:
		return one(Batch{Table: layer, Geom: true, Cols: []string{"road_id", "name", "class", "from_node", "to_node",
			"left_from", "left_to", "right_from", "right_to"}, N: len(c.Roads), Row: func(i int, a []any) (orb.Geometry, error) {
			r := &c.Roads[i]
			a[0], a[1], a[2], a[3], a[4] = r.ID, r.Name, r.Class, r.FromNode, r.ToNode
			a[5], a[6], a[7], a[8] = int64(r.LeftFrom), int64(r.LeftTo), int64(r.RightFrom), int64(r.RightTo)
			return r.Geom, nil
		}})
	case data.LayerStations:
		return one(Batch{Table: layer, Geom: true, Cols: []string{"code", "name", "kind", "status", "stars", "grid_code", "community_code"}, N: len(c.Stations), Row: func(i int, a []any) (orb.Geometry, error) {
			s := &c.Stations[i]
			a[0], a[1], a[2], a[3], a[4], a[5], a[6] = s.Code, s.Name, s.Kind, s.Status, int64(s.Stars), s.GridCode, s.CommunityCode
			return s.Point, nil
		}})
	case data.LayerPOIs:
		return one(poiRows(c))
	case data.LayerIncidents:
		return one(Batch{Table: layer, Geom: true, Cols: []string{"id", "module", "category", "description", "status", "address",
			"grid_code", "community_code", "street_code", "district_code", "departments", "reported_at", "updated_at"}, N: len(c.Incidents), Row: func(i int, a []any) (orb.Geometry, error) {
			in := &c.Incidents[i]
			deps, err := JSONList(in.Departments)
			if err != nil {
				return nil, err
			}
			a[0], a[1], a[2], a[3], a[4], a[5] = in.ID, in.Module, in.Category, in.Description, in.Status, in.Address
			a[6], a[7], a[8], a[9], a[10] = in.GridCode, in.CommunityCode, in.StreetCode, in.DistrictCode, deps
			a[11], a[12] = FormatTime(in.ReportedAt), FormatTime(in.UpdatedAt)
			return in.Point, nil
		}})
	case data.LayerCadres:
		return cadreRows(c.Cadres), nil
	case data.LayerReportingUnits:
		details, _ := PeopleRows(TableUnitDetails, c)
		return append(unitRows(c.ReportingUnits), details), nil
	case data.LayerStaff, data.LayerAssignments, data.LayerPairings, data.LayerCommitments, data.LayerEvaluations, data.LayerContactPoints:
		b, err := PeopleRows(layer, c)
		return []Batch{b}, err
	}
	return nil, fmt.Errorf("store: unknown layer %q", layer)
}

func cadreRows(cs []data.Cadre) []Batch {
	type link struct {
		id  string
		seq int
		gc  string
	}
	var links []link
	for _, c := range cs {
		for j, gc := range c.GridCodes {
			links = append(links, link{c.ID, j, gc})
		}
	}
	return []Batch{
		{Table: data.LayerCadres, Cols: []string{"id", "name", "unit", "rank", "phone"}, N: len(cs),
			Row: func(i int, a []any) (orb.Geometry, error) {
				c := &cs[i]
				a[0], a[1], a[2], a[3], a[4] = c.ID, c.Name, c.Unit, c.Rank, c.Phone
				return nil, nil
			}},
		{Table: TableCadreGrids, Cols: []string{"cadre_id", "seq", "grid_code"}, N: len(links),
			Row: func(i int, a []any) (orb.Geometry, error) {
				l := &links[i]
				a[0], a[1], a[2] = l.id, int64(l.seq), l.gc
				return nil, nil
			}},
	}
}

func unitRows(us []data.ReportingUnit) []Batch {
	type link struct {
		code string
		seq  int
		cc   string
	}
	var links []link
	for _, u := range us {
		for j, cc := range u.CommunityCodes {
			links = append(links, link{u.Code, j, cc})
		}
	}
	return []Batch{
		{Table: data.LayerReportingUnits, Cols: []string{"code", "name", "level", "members"}, N: len(us),
			Row: func(i int, a []any) (orb.Geometry, error) {
				u := &us[i]
				a[0], a[1], a[2], a[3] = u.Code, u.Name, u.Level, int64(u.Members)
				return nil, nil
			}},
		{Table: TableUnitCommunities, Cols: []string{"unit_code", "seq", "community_code"}, N: len(links),
			Row: func(i int, a []any) (orb.Geometry, error) {
				l := &links[i]
				a[0], a[1], a[2] = l.code, int64(l.seq), l.cc
				return nil, nil
			}},
	}
}

// Person is a data.Person in the grids.team JSON column.
type Person struct {
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
	Title string `json:"title,omitempty"`
}

// TeamJSON encodes a grid team for the grids.team column; nil is NULL.
func TeamJSON(team []data.Person) (any, error) {
	if team == nil {
		return nil, nil
	}
	ps := make([]Person, len(team))
	for i, p := range team {
		ps[i] = Person(p)
	}
	b, err := json.Marshal(ps)
	if err != nil {
		return nil, fmt.Errorf("team: %w", err)
	}
	return string(b), nil
}
