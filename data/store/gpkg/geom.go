package gpkg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/gridmap/gridmap/data/store/tables"
	"github.com/paulmach/orb"
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
// an [minx,maxx,miny,maxy] envelope (none for points) and then the
// little-endian WKB of tables.EncodeWKB. An empty geometry encodes to nil,
// stored as NULL. Coordinates that are NaN or infinite are rejected.
func encodeGeom(g orb.Geometry) ([]byte, envelope, error) {
	body, e, err := tables.EncodeWKB(g)
	if err != nil || body == nil {
		return nil, envelope{}, err
	}
	env := envelope{e.MinX, e.MaxX, e.MinY, e.MaxY}
	_, point := g.(orb.Point)
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
		return h, fmt.Errorf("store: geometry tables.Blob of %d bytes is shorter than a GeoPackage header", len(b))
	}
	if b[0] != 'G' || b[1] != 'P' {
		return h, errors.New("store: geometry tables.Blob lacks the GeoPackage magic")
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
		return h, errors.New("store: geometry tables.Blob truncated inside its envelope")
	}
	if envLen > 0 {
		f := func(o int) float64 { return math.Float64frombits(bo.Uint64(b[o:])) }
		h.hasEnv = true
		h.env = envelope{f(8), f(16), f(24), f(32)}
	}
	h.wkb = b[8+envLen:]
	return h, nil
}

// decodeGeom reads a GeoPackage binary tables.Blob written in EPSG:4326 into an orb
// geometry. A NULL tables.Blob or an empty geometry decodes to nil. Malformed blobs
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
	g, err := tables.DecodeWKB(h.wkb)
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
	g, err := tables.DecodeWKB(h.wkb)
	if err != nil {
		return envelope{}, false, err
	}
	if g == nil {
		return envelope{}, true, nil
	}
	bb := g.Bound()
	return envelope{bb.Min[0], bb.Max[0], bb.Min[1], bb.Max[1]}, false, nil
}

// Typed decoders of GeoPackage blobs.

func decodePolygon(b []byte) (orb.Polygon, error) { return tables.AsPolygon(decodeGeom(b)) }

func decodePoint(b []byte) (orb.Point, error) { return tables.AsPoint(decodeGeom(b)) }
