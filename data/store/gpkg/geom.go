package gpkg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
)

// srsWGS84 is the only spatial reference the store writes and accepts.
const srsWGS84 = 4326

// GeoPackage binary header flags (GeoPackage 1.3, §2.1.3.1.1).
const (
	gpFlagLittleEndian = 1 << 0
	gpFlagEnvelopeXY   = 1 << 1 // envelope contents indicator 1: [minx, maxx, miny, maxy]
	gpFlagEmpty        = 1 << 4
	gpFlagExtended     = 1 << 5
)

// envelope is a bounding box in GeoPackage order.
type envelope struct{ minX, maxX, minY, maxY float64 }

var errEmptyGeom = errors.New("empty geometry")

// encodeGeom writes g as GeoPackage binary with srs_id 4326: a header with
// an [minx,maxx,miny,maxy] envelope (none for points) and then little-endian
// WKB written by go-geom. An empty geometry encodes to nil, stored as NULL.
// Coordinates that are NaN or infinite are rejected.
func encodeGeom(g orb.Geometry) ([]byte, envelope, error) {
	var (
		t     geom.T
		flat  []float64
		point bool
	)
	switch g := g.(type) {
	case orb.Point:
		flat = []float64{g[0], g[1]}
		t = geom.NewPointFlat(geom.XY, flat)
		point = true
	case orb.LineString:
		if len(g) == 0 {
			return nil, envelope{}, nil
		}
		flat = flattenPoints(make([]float64, 0, 2*len(g)), g)
		t = geom.NewLineStringFlat(geom.XY, flat)
	case orb.Polygon:
		if len(g) == 0 {
			return nil, envelope{}, nil
		}
		var ends []int
		flat, ends = flattenPolygon(nil, nil, g)
		t = geom.NewPolygonFlat(geom.XY, flat, ends)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return nil, envelope{}, nil
		}
		endss := make([][]int, len(g))
		for i, p := range g {
			var ends []int
			flat, ends = flattenPolygon(flat, nil, p)
			endss[i] = ends
		}
		t = geom.NewMultiPolygonFlat(geom.XY, flat, endss)
	case nil:
		return nil, envelope{}, nil
	default:
		return nil, envelope{}, fmt.Errorf("store: unsupported geometry type %T", g)
	}
	if len(flat) == 0 {
		return nil, envelope{}, nil
	}
	env := envelope{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for i := 0; i+1 < len(flat); i += 2 {
		x, y := flat[i], flat[i+1]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return nil, envelope{}, fmt.Errorf("store: geometry has a non-finite coordinate (%v, %v)", x, y)
		}
		env.minX, env.maxX = min(env.minX, x), max(env.maxX, x)
		env.minY, env.maxY = min(env.minY, y), max(env.maxY, y)
	}
	body, err := wkb.Marshal(t, binary.LittleEndian)
	if err != nil {
		return nil, envelope{}, fmt.Errorf("store: encode wkb: %w", err)
	}
	hdr := 8
	flags := byte(gpFlagLittleEndian)
	if !point {
		hdr += 32
		flags |= gpFlagEnvelopeXY
	}
	b := make([]byte, hdr, hdr+len(body))
	b[0], b[1], b[2], b[3] = 'G', 'P', 0, flags
	binary.LittleEndian.PutUint32(b[4:], srsWGS84)
	if !point {
		putF64(b[8:], env.minX)
		putF64(b[16:], env.maxX)
		putF64(b[24:], env.minY)
		putF64(b[32:], env.maxY)
	}
	return append(b, body...), env, nil
}

func putF64(b []byte, f float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(f)) }

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

// gpHeader is the parsed GeoPackage binary header.
type gpHeader struct {
	srsID  int32
	empty  bool
	hasEnv bool
	env    envelope
	wkb    []byte // the WKB that follows the header
}

// parseHeader checks the GeoPackage binary header of b.
func parseHeader(b []byte) (gpHeader, error) {
	var h gpHeader
	if len(b) < 8 {
		return h, fmt.Errorf("store: geometry blob of %d bytes is shorter than a GeoPackage header", len(b))
	}
	if b[0] != 'G' || b[1] != 'P' {
		return h, errors.New("store: geometry blob lacks the GeoPackage magic")
	}
	if b[2] != 0 {
		return h, fmt.Errorf("store: unsupported GeoPackage binary version %d", b[2])
	}
	flags := b[3]
	if flags&gpFlagExtended != 0 {
		return h, errors.New("store: extended GeoPackage geometry types are not supported")
	}
	var bo binary.ByteOrder = binary.BigEndian
	if flags&gpFlagLittleEndian != 0 {
		bo = binary.LittleEndian
	}
	h.srsID = int32(bo.Uint32(b[4:]))
	h.empty = flags&gpFlagEmpty != 0
	var envLen int
	switch (flags >> 1) & 7 {
	case 0:
	case 1:
		envLen = 32
	case 2, 3:
		envLen = 48
	case 4:
		envLen = 64
	default:
		return h, fmt.Errorf("store: invalid GeoPackage envelope indicator %d", (flags>>1)&7)
	}
	if len(b) < 8+envLen {
		return h, errors.New("store: geometry blob truncated inside its envelope")
	}
	if envLen > 0 {
		f := func(o int) float64 { return math.Float64frombits(bo.Uint64(b[o:])) }
		h.hasEnv = true
		h.env = envelope{f(8), f(16), f(24), f(32)}
	}
	h.wkb = b[8+envLen:]
	return h, nil
}

// decodeGeom reads a GeoPackage binary blob written in EPSG:4326 into an orb
// geometry. A NULL blob or an empty geometry decodes to nil. Malformed blobs
// give an error, never a panic.
func decodeGeom(b []byte) (orb.Geometry, error) {
	if b == nil {
		return nil, nil
	}
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	if h.srsID != srsWGS84 {
		return nil, fmt.Errorf("store: geometry srs_id %d, want %d", h.srsID, srsWGS84)
	}
	if h.empty {
		return nil, nil
	}
	g, err := decodeWKB(h.wkb)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// geomEnvelope returns the bounds of a GeoPackage blob: from its header
// envelope when it has one, else by decoding the WKB.
func geomEnvelope(b []byte) (envelope, bool, error) {
	h, err := parseHeader(b)
	if err != nil {
		return envelope{}, false, err
	}
	if h.empty {
		return envelope{}, true, nil
	}
	if h.hasEnv {
		return h.env, false, nil
	}
	g, err := decodeWKB(h.wkb)
	if err != nil {
		return envelope{}, false, err
	}
	if g == nil {
		return envelope{}, true, nil
	}
	bb := g.Bound()
	return envelope{bb.Min[0], bb.Max[0], bb.Min[1], bb.Max[1]}, false, nil
}

// Typed decoders used by Load. They accept the single/multi variant a GIS
// may have written in place of the other where that loses nothing.

func decodePolygon(b []byte) (orb.Polygon, error) {
	g, err := decodeGeom(b)
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

func decodeMultiPolygon(b []byte) (orb.MultiPolygon, error) {
	g, err := decodeGeom(b)
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

func decodeLineString(b []byte) (orb.LineString, error) {
	g, err := decodeGeom(b)
	switch g := g.(type) {
	case nil:
		return nil, err
	case orb.LineString:
		return g, nil
	}
	return nil, fmt.Errorf("store: got %s, want LineString", g.GeoJSONType())
}

func decodePoint(b []byte) (orb.Point, error) {
	g, err := decodeGeom(b)
	switch g := g.(type) {
	case nil:
		if err == nil {
			err = fmt.Errorf("store: point: %w", errEmptyGeom)
		}
		return orb.Point{}, err
	case orb.Point:
		return g, nil
	}
	return orb.Point{}, fmt.Errorf("store: got %s, want Point", g.GeoJSONType())
}
