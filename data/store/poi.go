package store

import (
	"fmt"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// The pois table, the same in every backend: the POI's point as the
// geometry; code, name, aliases (JSON array), kind, grid_code,
// community_code, road, house_number; gates as a JSON array of GateJSON,
// the main gate first; footprint as the WKT POLYGON of its plot, or NULL
// for a POI without one (a bus stop).

// GateJSON is one gate as stored in the pois table's gates column.
type GateJSON struct {
	Name string  `json:"name"`
	Lon  float64 `json:"lon"`
	Lat  float64 `json:"lat"`
}

// GatesOut turns gates into their stored form; nil stays nil.
func GatesOut(gs []data.Gate) []GateJSON {
	if gs == nil {
		return nil
	}
	out := make([]GateJSON, len(gs))
	for i, g := range gs {
		out[i] = GateJSON{g.Name, g.Point[0], g.Point[1]}
	}
	return out
}

// GatesIn reads gates back from their stored form.
func GatesIn(gs []GateJSON) []data.Gate {
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
