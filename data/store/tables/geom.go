package tables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
)

// ErrEmptyGeom is a point that has no coordinates.
var ErrEmptyGeom = errors.New("empty geometry")

// Envelope is a geometry's bounding box.
type Envelope struct{ MinX, MaxX, MinY, MaxY float64 }

// EncodeWKB writes g as little-endian WKB (through go-geom) and returns
// its envelope. An empty geometry encodes to nil, stored as NULL.
// Coordinates that are NaN or infinite are rejected.
func EncodeWKB(g orb.Geometry) ([]byte, Envelope, error) {
	var (
		t    geom.T
		flat []float64
	)
	switch g := g.(type) {
	case orb.Point:
		flat = []float64{g[0], g[1]}
		t = geom.NewPointFlat(geom.XY, flat)
	case orb.LineString:
		if len(g) == 0 {
			return nil, Envelope{}, nil
		}
		flat = flattenPoints(make([]float64, 0, 2*len(g)), g)
		t = geom.NewLineStringFlat(geom.XY, flat)
	case orb.Polygon:
		if len(g) == 0 {
			return nil, Envelope{}, nil
		}
		var ends []int
		flat, ends = flattenPolygon(nil, nil, g)
		t = geom.NewPolygonFlat(geom.XY, flat, ends)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return nil, Envelope{}, nil
		}
		endss := make([][]int, len(g))
		for i, p := range g {
			var ends []int
			flat, ends = flattenPolygon(flat, nil, p)
			endss[i] = ends
		}
		t = geom.NewMultiPolygonFlat(geom.XY, flat, endss)
	case nil:
		return nil, Envelope{}, nil
	default:
		return nil, Envelope{}, fmt.Errorf("store: unsupported geometry type %T", g)
	}
	if len(flat) == 0 {
		return nil, Envelope{}, nil
	}
	env := Envelope{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for i := 0; i+1 < len(flat); i += 2 {
		x, y := flat[i], flat[i+1]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return nil, Envelope{}, fmt.Errorf("store: geometry has a non-finite coordinate (%v, %v)", x, y)
		}
		env.MinX, env.MaxX = min(env.MinX, x), max(env.MaxX, x)
		env.MinY, env.MaxY = min(env.MinY, y), max(env.MaxY, y)
	}
	body, err := wkb.Marshal(t, binary.LittleEndian)
	if err != nil {
		return nil, Envelope{}, fmt.Errorf("store: encode wkb: %w", err)
	}
	return body, env, nil
}

func flattenPoints(flat []float64, pts []orb.Point) []float64 {
	for _, p := range pts {
		flat = append(flat, p[0], p[1])
	}
	return flat
}

func flattenPolygon(flat []float64, ends []int, p orb.Polygon) ([]float64, []int) {
	for _, r := range p {
		flat = flattenPoints(flat, r)
		ends = append(ends, len(flat))
	}
	return flat, ends
}

// The typed readers below take a decoded geometry (and its decoding
// error) and accept the single/multi variant a GIS may have written in
// place of the other where that loses nothing.

// AsPolygon wants a Polygon (or a MultiPolygon of one); nil stays nil.
func AsPolygon(g orb.Geometry, err error) (orb.Polygon, error) {
	switch g := g.(type) {
	case nil:
		return nil, err
	case orb.Polygon:
		return g, nil
	case orb.MultiPolygon:
		if len(g) == 1 {
			return g[0], nil
		}
	}
	return nil, fmt.Errorf("store: got %s, want Polygon", g.GeoJSONType())
}

// AsMultiPolygon wants a MultiPolygon (or a Polygon); nil stays nil.
func AsMultiPolygon(g orb.Geometry, err error) (orb.MultiPolygon, error) {
	switch g := g.(type) {
	case nil:
		return nil, err
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, fmt.Errorf("store: got %s, want MultiPolygon", g.GeoJSONType())
}

// AsLineString wants a LineString; nil stays nil.
func AsLineString(g orb.Geometry, err error) (orb.LineString, error) {
	switch g := g.(type) {
	case nil:
		return nil, err
	case orb.LineString:
		return g, nil
	}
	return nil, fmt.Errorf("store: got %s, want LineString", g.GeoJSONType())
}

// AsPoint wants a Point; an empty one is an error.
func AsPoint(g orb.Geometry, err error) (orb.Point, error) {
	switch g := g.(type) {
	case nil:
		if err == nil {
			err = fmt.Errorf("store: point: %w", ErrEmptyGeom)
		}
		return orb.Point{}, err
	case orb.Point:
		return g, nil
	}
	return orb.Point{}, fmt.Errorf("store: got %s, want Point", g.GeoJSONType())
}
