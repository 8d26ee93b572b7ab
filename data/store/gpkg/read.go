package gpkg

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gridmap/gridmap/data"
)

// Load reads the whole city in one read transaction, so it sees one
// consistent state even while writes go on, and indexes it. Rows come back
// in the order they were written. Times come back in UTC to the
// millisecond; a cadre without grids or a reporting unit without
// communities comes back with a nil list. NULLs written by other tools
// read as zero values.
func (g *Store) Load(ctx context.Context) (*data.City, error) {
	tx, err := g.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: load: begin: %w", err)
	}
	defer tx.Rollback() // read-only: nothing to keep
	c := &data.City{}
	l := loader{ctx: ctx, tx: tx}
	for _, step := range []func(*data.City) error{
		l.districts, l.streets, l.communities, l.grids, l.compounds, l.buildings,
		l.roads, l.stations, l.incidents, l.cadres, l.reportingUnits,
	} {
		if err := step(c); err != nil {
			return nil, err
		}
	}
	if c.Meta, err = readMeta(ctx, tx); err != nil {
		return nil, err
	}
	if err := c.Index(); err != nil {
		return nil, fmt.Errorf("store: load: %w", err)
	}
	return c, nil
}

type loader struct {
	ctx context.Context
	tx  *sql.Tx
}

// each runs q and calls scan for every row, passing the row number.
func (l loader) each(table, q string, scan func(rows *sql.Rows) error) error {
	rows, err := l.tx.QueryContext(l.ctx, q)
	if err != nil {
		return fmt.Errorf("store: load %s: %w", table, err)
	}
	defer rows.Close()
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
	var n int64
	if err := l.tx.QueryRowContext(l.ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		return 0 // only a capacity hint; the query proper reports errors
	}
	return int(n)
}

func (l loader) districts(c *data.City) error {
	c.Districts = make([]data.District, 0, l.count(data.LayerDistricts))
	var (
		code, name nullString
		lon, lat   nullFloat
		geom       blob
	)
	return l.each(data.LayerDistricts, `SELECT code, name, seat_lon, seat_lat, geom FROM districts ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&code, &name, &lon, &lat, &geom); err != nil {
			return err
		}
		mp, err := decodeMultiPolygon(geom.b)
		if err != nil {
			return fmt.Errorf("%s: %w", code.s, err)
		}
		c.Districts = append(c.Districts, data.District{Code: code.s, Name: name.s, Seat: [2]float64{lon.f, lat.f}, Geom: mp})
		return nil
	})
}

func (l loader) streets(c *data.City) error {
	c.Streets = make([]data.Street, 0, l.count(data.LayerStreets))
	var (
		code, name, dc nullString
		geom           blob
	)
	return l.each(data.LayerStreets, `SELECT code, name, district_code, geom FROM streets ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&code, &name, &dc, &geom); err != nil {
			return err
		}
		p, err := decodePolygon(geom.b)
		if err != nil {
			return fmt.Errorf("%s: %w", code.s, err)
		}
		c.Streets = append(c.Streets, data.Street{Code: code.s, Name: name.s, DistrictCode: dc.s, Geom: p})
		return nil
	})
}

func (l loader) communities(c *data.City) error {
	c.Communities = make([]data.Community, 0, l.count(data.LayerCommunities))
	var (
		code, name, sc, dc nullString
		geom               blob
	)
	return l.each(data.LayerCommunities, `SELECT code, name, street_code, district_code, geom FROM communities ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&code, &name, &sc, &dc, &geom); err != nil {
			return err
		}
		p, err := decodePolygon(geom.b)
		if err != nil {
			return fmt.Errorf("%s: %w", code.s, err)
		}
		c.Communities = append(c.Communities, data.Community{Code: code.s, Name: name.s, StreetCode: sc.s, DistrictCode: dc.s, Geom: p})
		return nil
	})
}

func (l loader) grids(c *data.City) error {
	c.Grids = make([]data.Grid, 0, l.count(data.LayerGrids))
	var (
		code, name, cc, sc, dc, hn, hp, ht, team, vt nullString
		seq, vols, bs, hh, pop                       nullInt
		geom                                         blob
	)
	return l.each(data.LayerGrids, `SELECT code, name, community_code, street_code, district_code, seq,
	head_name, head_phone, head_title, team, volunteer_team, volunteers, buildings, households, population, geom
	FROM grids ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&code, &name, &cc, &sc, &dc, &seq, &hn, &hp, &ht, &team, &vt, &vols, &bs, &hh, &pop, &geom); err != nil {
			return err
		}
		p, err := decodePolygon(geom.b)
		if err != nil {
			return fmt.Errorf("%s: %w", code.s, err)
		}
		ps, err := parseJSONList[person](team, "team")
		if err != nil {
			return fmt.Errorf("%s: %w", code.s, err)
		}
		var t []data.Person
		if ps != nil {
			t = make([]data.Person, len(ps))
			for i, p := range ps {
				t[i] = data.Person(p)
			}
		}
		c.Grids = append(c.Grids, data.Grid{
			Code: code.s, Name: name.s, CommunityCode: cc.s, StreetCode: sc.s, DistrictCode: dc.s,
			Seq: int(seq.i), Geom: p,
			Head: data.Person{Name: hn.s, Phone: hp.s, Title: ht.s}, Team: t,
			VolunteerTeam: vt.s, Volunteers: int(vols.i),
			Buildings: int(bs.i), Households: int(hh.i), Population: int(pop.i),
		})
		return nil
	})
}

func (l loader) compounds(c *data.City) error {
	c.Compounds = make([]data.Compound, 0, l.count(data.LayerCompounds))
	var (
		code, name, aliases, gc, cc, ps, pc nullString
		oc, po                              nullInt
		geom                                blob
	)
	return l.each(data.LayerCompounds, `SELECT code, name, aliases, grid_code, community_code,
	property_status, property_company, owners_committee, party_org, geom FROM compounds ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&code, &name, &aliases, &gc, &cc, &ps, &pc, &oc, &po, &geom); err != nil {
			return err
		}
		p, err := decodePolygon(geom.b)
		if err != nil {
			return fmt.Errorf("%s: %w", code.s, err)
		}
		al, err := parseJSONList[string](aliases, "aliases")
		if err != nil {
			return fmt.Errorf("%s: %w", code.s, err)
		}
		c.Compounds = append(c.Compounds, data.Compound{
			Code: code.s, Name: name.s, Aliases: al, GridCode: gc.s, CommunityCode: cc.s,
			PropertyStatus: ps.s, PropertyCompany: pc.s, OwnersCommittee: oc.i != 0, PartyOrg: po.i != 0,
			Geom: p,
		})
		return nil
	})
}

func (l loader) buildings(c *data.City) error {
	c.Buildings = make([]data.Building, 0, l.count(data.LayerBuildings))
	var (
		code, cpc, gc, cc, sc, dc, road  nullString
		hno, num, units, floors, hh, pop nullInt
		elon, elat                       nullFloat
		geom                             blob
	)
	return l.each(data.LayerBuildings, `SELECT code, compound_code, grid_code, community_code, street_code, district_code,
	road, house_number, number, units, floors, households, population, entrance_lon, entrance_lat, geom
	FROM buildings ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&code, &cpc, &gc, &cc, &sc, &dc, &road, &hno, &num, &units, &floors, &hh, &pop, &elon, &elat, &geom); err != nil {
			return err
		}
		p, err := decodePolygon(geom.b)
		if err != nil {
			return fmt.Errorf("%s: %w", code.s, err)
		}
		c.Buildings = append(c.Buildings, data.Building{
			Code: code.s, CompoundCode: cpc.s, GridCode: gc.s, CommunityCode: cc.s, StreetCode: sc.s, DistrictCode: dc.s,
			Number: int(num.i), Road: road.s, HouseNumber: int(hno.i), Units: int(units.i), Floors: int(floors.i),
			Households: int(hh.i), Population: int(pop.i), Entrance: [2]float64{elon.f, elat.f}, Geom: p,
		})
		return nil
	})
}

func (l loader) roads(c *data.City) error {
	c.Roads = make([]data.Road, 0, l.count(data.LayerRoads))
	var (
		name, class                  nullString
		id, from, to, lf, lt, rf, rt nullInt
		geom                         blob
	)
	return l.each(data.LayerRoads, `SELECT road_id, name, class, from_node, to_node, left_from, left_to, right_from, right_to, geom
	FROM roads ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&id, &name, &class, &from, &to, &lf, &lt, &rf, &rt, &geom); err != nil {
			return err
		}
		ls, err := decodeLineString(geom.b)
		if err != nil {
			return fmt.Errorf("road %d: %w", id.i, err)
		}
		c.Roads = append(c.Roads, data.Road{
			ID: id.i, Name: name.s, Class: class.s, FromNode: from.i, ToNode: to.i,
			LeftFrom: int(lf.i), LeftTo: int(lt.i), RightFrom: int(rf.i), RightTo: int(rt.i), Geom: ls,
		})
		return nil
	})
}

func (l loader) stations(c *data.City) error {
	c.Stations = make([]data.Station, 0, l.count(data.LayerStations))
	var (
		code, name, kind, status, gc, cc nullString
		stars                            nullInt
		geom                             blob
	)
	return l.each(data.LayerStations, `SELECT code, name, kind, status, stars, grid_code, community_code, geom
	FROM stations ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&code, &name, &kind, &status, &stars, &gc, &cc, &geom); err != nil {
			return err
		}
		pt, err := decodePoint(geom.b)
		if err != nil {
			return fmt.Errorf("%s: %w", code.s, err)
		}
		c.Stations = append(c.Stations, data.Station{
			Code: code.s, Name: name.s, Kind: kind.s, Status: status.s, Stars: int(stars.i),
			GridCode: gc.s, CommunityCode: cc.s, Point: pt,
		})
		return nil
	})
}

func (l loader) incidents(c *data.City) error {
	c.Incidents = make([]data.Incident, 0, l.count(data.LayerIncidents))
	var (
		id, module, cat, desc, status, addr, gc, cc, sc, dc, deps nullString
		rep, upd                                                  nullTime
		geom                                                      blob
	)
	return l.each(data.LayerIncidents, `SELECT id, module, category, description, status, address,
	grid_code, community_code, street_code, district_code, departments, reported_at, updated_at, geom
	FROM incidents ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&id, &module, &cat, &desc, &status, &addr, &gc, &cc, &sc, &dc, &deps, &rep, &upd, &geom); err != nil {
			return err
		}
		pt, err := decodePoint(geom.b)
		if err != nil {
			return fmt.Errorf("%s: %w", id.s, err)
		}
		dl, err := parseJSONList[string](deps, "departments")
		if err != nil {
			return fmt.Errorf("%s: %w", id.s, err)
		}
		c.Incidents = append(c.Incidents, data.Incident{
			ID: id.s, Module: module.s, Category: cat.s, Description: desc.s, Status: status.s,
			Point: pt, Address: addr.s, GridCode: gc.s, CommunityCode: cc.s, StreetCode: sc.s, DistrictCode: dc.s,
			Departments: dl, ReportedAt: rep.t, UpdatedAt: upd.t,
		})
		return nil
	})
}

func (l loader) cadres(c *data.City) error {
	c.Cadres = make([]data.Cadre, 0, l.count(data.LayerCadres))
	byID := make(map[string]int, cap(c.Cadres))
	var id, name, unit, rank, phone, gc nullString
	err := l.each(data.LayerCadres, `SELECT id, name, unit, rank, phone FROM cadres ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&id, &name, &unit, &rank, &phone); err != nil {
			return err
		}
		byID[id.s] = len(c.Cadres)
		c.Cadres = append(c.Cadres, data.Cadre{ID: id.s, Name: name.s, Unit: unit.s, Rank: rank.s, Phone: phone.s})
		return nil
	})
	if err != nil {
		return err
	}
	return l.each(tableCadreGrids, `SELECT cadre_id, grid_code FROM cadre_grids ORDER BY cadre_id, seq`, func(rows *sql.Rows) error {
		if err := rows.Scan(&id, &gc); err != nil {
			return err
		}
		i, ok := byID[id.s]
		if !ok {
			return fmt.Errorf("grid %s assigned to unknown cadre %q", gc.s, id.s)
		}
		c.Cadres[i].GridCodes = append(c.Cadres[i].GridCodes, gc.s)
		return nil
	})
}

func (l loader) reportingUnits(c *data.City) error {
	c.ReportingUnits = make([]data.ReportingUnit, 0, l.count(data.LayerReportingUnits))
	byCode := make(map[string]int, cap(c.ReportingUnits))
	var (
		code, name, level, cc nullString
		members               nullInt
	)
	err := l.each(data.LayerReportingUnits, `SELECT code, name, level, members FROM reporting_units ORDER BY fid`, func(rows *sql.Rows) error {
		if err := rows.Scan(&code, &name, &level, &members); err != nil {
			return err
		}
		byCode[code.s] = len(c.ReportingUnits)
		c.ReportingUnits = append(c.ReportingUnits, data.ReportingUnit{Code: code.s, Name: name.s, Level: level.s, Members: int(members.i)})
		return nil
	})
	if err != nil {
		return err
	}
	return l.each(tableUnitCommunites, `SELECT unit_code, community_code FROM reporting_unit_communities ORDER BY unit_code, seq`, func(rows *sql.Rows) error {
		if err := rows.Scan(&code, &cc); err != nil {
			return err
		}
		i, ok := byCode[code.s]
		if !ok {
			return fmt.Errorf("community %s linked to unknown reporting unit %q", cc.s, code.s)
		}
		c.ReportingUnits[i].CommunityCodes = append(c.ReportingUnits[i].CommunityCodes, cc.s)
		return nil
	})
}
