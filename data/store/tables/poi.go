package tables

import (
	"fmt"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// The pois table (migration 2): the POI's point as the geometry; code,
// name, aliases (JSON array), kind, grid_code, community_code, road,
// house_number; gates as a JSON array of Gate, the main gate first;
// footprint as the WKT POLYGON of its plot, or NULL (a bus stop).

// Gate is one gate as stored in the pois table's gates column.
type Gate struct {
	Name string  `json:"name"`
	Lon  float64 `json:"lon"`
	Lat  float64 `json:"lat"`
}

// GatesOut turns gates into their stored form; nil stays nil.
func GatesOut(gs []data.Gate) []Gate {
	if gs == nil {
		return nil
	}
	out := make([]Gate, len(gs))
	for i, g := range gs {
		out[i] = Gate{g.Name, g.Point[0], g.Point[1]}
	}
	return out
}

// GatesIn reads gates back from their stored form.
func GatesIn(gs []Gate) []data.Gate {
	if gs == nil {
		return nil
	}
	out := make([]data.Gate, len(gs))
	for i, g := range gs {
		out[i] = data.Gate{Name: g.Name, Point: orb.Point{g.Lon, g.Lat}}
	}
	return out
}

// ParseFootprint reads a POI's footprint written as WKT: a POLYGON (or a
// MULTIPOLYGON of one part).
func ParseFootprint(s string) (orb.Polygon, error) {
	g, err := wkt.Unmarshal(s)
	if err != nil {
		return nil, err
	}
	switch p := g.(type) {
	case orb.Polygon:
		return p, nil
	case orb.MultiPolygon:
		if len(p) == 1 {
			return p[0], nil
		}
	}
	return nil, fmt.Errorf("want a POLYGON, got %s", g.GeoJSONType())
}

func poiRows(c *data.City) Batch {
	return Batch{Table: data.LayerPOIs, Geom: true, Cols: []string{"code", "name", "aliases", "kind", "grid_code", "community_code",
		"road", "house_number", "gates", "footprint"}, N: len(c.POIs), Row: func(i int, a []any) (orb.Geometry, error) {
		p := &c.POIs[i]
		al, err := JSONList(p.Aliases)
		if err != nil {
			return nil, err
		}
		gates, err := JSONList(GatesOut(p.Gates))
		if err != nil {
			return nil, err
		}
		var fp any
		if len(p.Geom) > 0 {
			fp = string(wkt.Marshal(p.Geom))
		}
		a[0], a[1], a[2], a[3], a[4], a[5] = p.Code, p.Name, al, p.Kind, p.GridCode, p.CommunityCode
		a[6], a[7], a[8], a[9] = p.Road, int64(p.HouseNumber), gates, fp
		return p.Point, nil
	}}
}

func (l loader) pois(c *data.City) error {
	c.POIs = make([]data.POI, 0, l.count(data.LayerPOIs))
	var (
		code, name, aliases, kind, gc, cc, road, gates, fp String
		hn                                                 Int
		geom                                               Blob
	)
	return l.each(data.LayerPOIs, `SELECT code, name, aliases, kind, grid_code, community_code, road, house_number,
	gates, footprint, `+l.src.Geom+` FROM pois ORDER BY fid`, func(rows Rows) error {
		if err := rows.Scan(&code, &name, &aliases, &kind, &gc, &cc, &road, &hn, &gates, &fp, &geom); err != nil {
			return err
		}
		pt, err := l.point(geom.B)
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		al, err := ParseJSONList[string](aliases, "aliases")
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		gs, err := ParseJSONList[Gate](gates, "gates")
		if err != nil {
			return fmt.Errorf("%s: %w", code.S, err)
		}
		p := data.POI{Code: code.S, Name: name.S, Aliases: al, Kind: kind.S, GridCode: gc.S, CommunityCode: cc.S,
			Road: road.S, HouseNumber: int(hn.I), Point: pt, Gates: GatesIn(gs)}
		if fp.S != "" {
			if p.Geom, err = ParseFootprint(fp.S); err != nil {
				return fmt.Errorf("%s: footprint: %w", code.S, err)
			}
		}
		c.POIs = append(c.POIs, p)
		return nil
	})
}
