package tables

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
)

// Rows is a result set being read: database/sql's *sql.Rows and pgx's
// Rows both fit.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Source is one consistent read of a store (a read transaction) as Load
// needs it.
type Source struct {
	// Query runs q and returns its rows; done releases them.
	Query func(ctx context.Context, q string) (rows Rows, done func(), err error)
	// Geom is the select expression of a geometry column named geom
	// ("geom" for the GeoPackage's blobs, "ST_AsBinary(geom)" for WKB).
	Geom string
	// Decode turns one geometry value into an orb geometry (nil for NULL
	// or empty).
	Decode func(b []byte) (orb.Geometry, error)
}

// Load reads the whole city from src and indexes it. Rows come back in the
// order they were written (by fid). Times come back in UTC to the
// millisecond; a cadre without grids or a reporting unit without
// communities comes back with a nil list. NULLs written by other tools
// read as zero values.
func Load(ctx context.Context, src Source) (*data.City, error) {
	c := &data.City{}
	l := loader{ctx: ctx, src: src}
	for _, step := range []func(*data.City) error{
		l.districts, l.streets, l.communities, l.grids, l.compounds, l.buildings,
		l.roads, l.stations, l.pois, l.incidents, l.cadres, l.reportingUnits, l.people, l.places,
	} {
		if err := step(c); err != nil {
			return nil, err
		}
	}
	var err error
	if c.Meta, err = ReadMeta(ctx, src); err != nil {
		return nil, err
	}
	if err := c.Index(); err != nil {
		return nil, fmt.Errorf("store: load: %w", err)
	}
	// The people records are the source of what the grids show: heads,
	// teams, cadres and the units' communities as of today.
	c.DeriveStaffing(time.Now())
	return c, nil
}

// ReadMeta reads the meta table.
func ReadMeta(ctx context.Context, src Source) (map[string]string, error) {
	m := map[string]string{}
	var k, v String
	err := loader{ctx: ctx, src: src}.each(TableMeta, `SELECT key, value FROM meta ORDER BY key`, func(rows Rows) error {
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		m[k.S] = v.S
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

type loader struct {
	ctx context.Context
	src Source
}

func (l loader) poly(b []byte) (orb.Polygon, error)           { return AsPolygon(l.src.Decode(b)) }
func (l loader) multiPoly(b []byte) (orb.MultiPolygon, error) { return AsMultiPolygon(l.src.Decode(b)) }
func (l loader) line(b []byte) (orb.LineString, error)        { return AsLineString(l.src.Decode(b)) }
func (l loader) point(b []byte) (orb.Point, error)            { return AsPoint(l.src.Decode(b)) }

// each runs q and calls scan for every row.
func (l loader) each(table, q string, scan func(rows Rows) error) error {
	rows, done, err := l.src.Query(l.ctx, q)
	if err != nil {
		return fmt.Errorf("store: load %s: %w", table, err)
	}
	defer done()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("store: load %s: %w", table, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: load %s: %w", table, err)
	}
	return nil
}

func (l loader) count(table string) int {
	var n Int
	l.each(table, "SELECT count(*) FROM "+table, func(rows Rows) error { return rows.Scan(&n) })
	return int(n.I) // only a capacity hint; the query proper reports errors
}

func (l loader) districts(c *data.City) error {
	c.Districts = make([]data.District, 0, l.count(data.LayerDistricts))
	var (
		code, name String
		lon, lat   Float
		geom       Blob
	)
	return l.each(data.LayerDistricts, `SELECT code, name, seat_lon, seat_lat, `+l.src.Geom+` FROM districts ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&code, &name, &lon, &lat, &geom); err != nil {
			return err
		}
		mp, err := l.multiPoly(geom.B)
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		c.Districts = append(c.Districts, data.District{Code: code.S, Name: name.S, Seat: [2]float64{lon.F, lat.F}, Geom: mp})
		return nil
	})
}

func (l loader) streets(c *data.City) error {
	c.Streets = make([]data.Street, 0, l.count(data.LayerStreets))
	var (
		code, name, dc String
		geom           Blob
	)
	return l.each(data.LayerStreets, `SELECT code, name, district_code, `+l.src.Geom+` FROM streets ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&code, &name, &dc, &geom); err != nil {
			return err
		}
		p, err := l.poly(geom.B)
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		c.Streets = append(c.Streets, data.Street{Code: code.S, Name: name.S, DistrictCode: dc.S, Geom: p})
		return nil
	})
}

func (l loader) communities(c *data.City) error {
	c.Communities = make([]data.Community, 0, l.count(data.LayerCommunities))
	var (
		code, name, sc, dc String
		geom               Blob
	)
	return l.each(data.LayerCommunities, `SELECT code, name, street_code, district_code, `+l.src.Geom+` FROM communities ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&code, &name, &sc, &dc, &geom); err != nil {
			return err
		}
		p, err := l.poly(geom.B)
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		c.Communities = append(c.Communities, data.Community{Code: code.S, Name: name.S, StreetCode: sc.S, DistrictCode: dc.S, Geom: p})
		return nil
	})
}

func (l loader) grids(c *data.City) error {
	c.Grids = make([]data.Grid, 0, l.count(data.LayerGrids))
	var (
		code, name, cc, sc, dc, hn, hp, ht, team, vt String
		seq, vols, bs, hh, pop                       Int
		geom                                         Blob
	)
	return l.each(data.LayerGrids, `SELECT code, name, community_code, street_code, district_code, seq,
	head_name, head_phone, head_title, team, volunteer_team, volunteers, buildings, households, population, `+l.src.Geom+`
	FROM grids ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&code, &name, &cc, &sc, &dc, &seq, &hn, &hp, &ht, &team, &vt, &vols, &bs, &hh, &pop, &geom); err != nil {
			return err
		}
		p, err := l.poly(geom.B)
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		ps, err := ParseJSONList[Person](team, "team")
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		var t []data.Person
		if ps != nil {
			t = make([]data.Person, len(ps))
			for i, p := range ps {
				t[i] = data.Person(p)
			}
		}
		c.Grids = append(c.Grids, data.Grid{
			Code: code.S, Name: name.S, CommunityCode: cc.S, StreetCode: sc.S, DistrictCode: dc.S,
			Seq: int(seq.I), Geom: p,
			Head: data.Person{Name: hn.S, Phone: hp.S, Title: ht.S}, Team: t,
			VolunteerTeam: vt.S, Volunteers: int(vols.I),
			Buildings: int(bs.I), Households: int(hh.I), Population: int(pop.I),
		})
		return nil
	})
}

func (l loader) compounds(c *data.City) error {
	c.Compounds = make([]data.Compound, 0, l.count(data.LayerCompounds))
	var (
		code, name, aliases, gc, cc, ps, pc String
		oc, po                              Int
		geom                                Blob
	)
	return l.each(data.LayerCompounds, `SELECT code, name, aliases, grid_code, community_code,
	property_status, property_company, owners_committee, party_org, `+l.src.Geom+` FROM compounds ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&code, &name, &aliases, &gc, &cc, &ps, &pc, &oc, &po, &geom); err != nil {
			return err
		}
		p, err := l.poly(geom.B)
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		al, err := ParseJSONList[string](aliases, "aliases")
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		c.Compounds = append(c.Compounds, data.Compound{
			Code: code.S, Name: name.S, Aliases: al, GridCode: gc.S, CommunityCode: cc.S,
			PropertyStatus: ps.S, PropertyCompany: pc.S, OwnersCommittee: oc.I != 0, PartyOrg: po.I != 0,
			Geom: p,
		})
		return nil
	})
}

func (l loader) buildings(c *data.City) error {
	c.Buildings = make([]data.Building, 0, l.count(data.LayerBuildings))
	var (
		code, cpc, gc, cc, sc, dc, road  String
		hno, num, units, floors, hh, pop Int
		elon, elat                       Float
		geom                             Blob
	)
	return l.each(data.LayerBuildings, `SELECT code, compound_code, grid_code, community_code, street_code, district_code,
	road, house_number, number, units, floors, households, population, entrance_lon, entrance_lat, `+l.src.Geom+`
	FROM buildings ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&code, &cpc, &gc, &cc, &sc, &dc, &road, &hno, &num, &units, &floors, &hh, &pop, &elon, &elat, &geom); err != nil {
			return err
		}
		p, err := l.poly(geom.B)
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		c.Buildings = append(c.Buildings, data.Building{
			Code: code.S, CompoundCode: cpc.S, GridCode: gc.S, CommunityCode: cc.S, StreetCode: sc.S, DistrictCode: dc.S,
			Number: int(num.I), Road: road.S, HouseNumber: int(hno.I), Units: int(units.I), Floors: int(floors.I),
			Households: int(hh.I), Population: int(pop.I), Entrance: [2]float64{elon.F, elat.F}, Geom: p,
		})
		return nil
	})
}

func (l loader) roads(c *data.City) error {
	c.Roads = make([]data.Road, 0, l.count(data.LayerRoads))
	var (
		name, class                  String
		id, from, to, lf, lt, rf, rt Int
		geom                         Blob
	)
	return l.each(data.LayerRoads, `SELECT road_id, name, class, from_node, to_node, left_from, left_to, right_from, right_to, `+l.src.Geom+`
	FROM roads ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&id, &name, &class, &from, &to, &lf, &lt, &rf, &rt, &geom); err != nil {
			return err
		}
		ls, err := l.line(geom.B)
		if err != nil {
			return fmt.Errorf("road %d: %w", id.I, err)
		}
		c.Roads = append(c.Roads, data.Road{
			ID: id.I, Name: name.S, Class: class.S, FromNode: from.I, ToNode: to.I,
			LeftFrom: int(lf.I), LeftTo: int(lt.I), RightFrom: int(rf.I), RightTo: int(rt.I), Geom: ls,
		})
		return nil
	})
}

func (l loader) stations(c *data.City) error {
	c.Stations = make([]data.Station, 0, l.count(data.LayerStations))
	var (
		code, name, kind, status, gc, cc String
		stars                            Int
		geom                             Blob
	)
	return l.each(data.LayerStations, `SELECT code, name, kind, status, stars, grid_code, community_code, `+l.src.Geom+`
	FROM stations ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&code, &name, &kind, &status, &stars, &gc, &cc, &geom); err != nil {
			return err
		}
		pt, err := l.point(geom.B)
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		c.Stations = append(c.Stations, data.Station{
			Code: code.S, Name: name.S, Kind: kind.S, Status: status.S, Stars: int(stars.I),
			GridCode: gc.S, CommunityCode: cc.S, Point: pt,
		})
		return nil
	})
}

func (l loader) incidents(c *data.City) error {
	c.Incidents = make([]data.Incident, 0, l.count(data.LayerIncidents))
	var (
		id, module, cat, desc, status, addr, gc, cc, sc, dc, deps String
		rep, upd                                                  Time
		geom                                                      Blob
	)
	return l.each(data.LayerIncidents, `SELECT id, module, category, description, status, address,
	grid_code, community_code, street_code, district_code, departments, reported_at, updated_at, `+l.src.Geom+`
	FROM incidents ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&id, &module, &cat, &desc, &status, &addr, &gc, &cc, &sc, &dc, &deps, &rep, &upd, &geom); err != nil {
			return err
		}
		pt, err := l.point(geom.B)
		if err != nil {
			return fmt.Errorf("%s: %w", id.S, err)
		}
		dl, err := ParseJSONList[string](deps, "departments")
		if err != nil {
			return fmt.Errorf("%s: %w", id.S, err)
		}
		c.Incidents = append(c.Incidents, data.Incident{
			ID: id.S, Module: module.S, Category: cat.S, Description: desc.S, Status: status.S,
			Point: pt, Address: addr.S, GridCode: gc.S, CommunityCode: cc.S, StreetCode: sc.S, DistrictCode: dc.S,
			Departments: dl, ReportedAt: rep.T, UpdatedAt: upd.T,
		})
		return nil
	})
}

func (l loader) cadres(c *data.City) error {
	c.Cadres = make([]data.Cadre, 0, l.count(data.LayerCadres))
	byID := make(map[string]int, cap(c.Cadres))
	var id, name, unit, rank, phone, gc String
	err := l.each(data.LayerCadres, `SELECT id, name, unit, rank, phone FROM cadres ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&id, &name, &unit, &rank, &phone); err != nil {
			return err
		}
		byID[id.S] = len(c.Cadres)
		c.Cadres = append(c.Cadres, data.Cadre{ID: id.S, Name: name.S, Unit: unit.S, Rank: rank.S, Phone: phone.S})
		return nil
	})
	if err != nil {
		return err
	}
	return l.each(TableCadreGrids, `SELECT cadre_id, grid_code FROM cadre_grids ORDER BY cadre_id, seq`, func(rows Rows) error {
		if err := rows.Scan(&id, &gc); err != nil {
			return err
		}
		i, ok := byID[id.S]
		if !ok {
			return fmt.Errorf("grid %s assigned to unknown cadre %q", gc.S, id.S)
		}
		c.Cadres[i].GridCodes = append(c.Cadres[i].GridCodes, gc.S)
		return nil
	})
}

func (l loader) reportingUnits(c *data.City) error {
	c.ReportingUnits = make([]data.ReportingUnit, 0, l.count(data.LayerReportingUnits))
	byCode := make(map[string]int, cap(c.ReportingUnits))
	var (
		code, name, level, cc String
		members               Int
	)
	err := l.each(data.LayerReportingUnits, `SELECT code, name, level, members FROM reporting_units ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&code, &name, &level, &members); err != nil {
			return err
		}
		byCode[code.S] = len(c.ReportingUnits)
		c.ReportingUnits = append(c.ReportingUnits, data.ReportingUnit{Code: code.S, Name: name.S, Level: level.S, Members: int(members.I)})
		return nil
	})
	if err != nil {
		return err
	}
	return l.each(TableUnitCommunities, `SELECT unit_code, community_code FROM reporting_unit_communities ORDER BY unit_code, seq`, func(rows Rows) error {
		if err := rows.Scan(&code, &cc); err != nil {
			return err
		}
		i, ok := byCode[code.S]
		if !ok {
			return fmt.Errorf("community %s linked to unknown reporting unit %q", cc.S, code.S)
		}
		c.ReportingUnits[i].CommunityCodes = append(c.ReportingUnits[i].CommunityCodes, cc.S)
		return nil
	})
}
