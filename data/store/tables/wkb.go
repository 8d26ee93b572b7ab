package tables

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// DecodeWKB reads the XY WKB types the store writes (Point, LineString,
// Polygon, MultiPolygon) straight into orb values. Writing goes through
// go-geom's encoder; reading is done here because it is Load's hot path and
// because go-geom's reader sizes its allocations from counts in the blob
// (its limits are process-global and off by default), so a corrupt count
// could ask for gigabytes. Here every count is checked against the bytes
// left before anything is allocated.
func DecodeWKB(b []byte) (orb.Geometry, error) {
	r := wkbReader{b: b}
	g, err := r.geometry(0)
	if err != nil {
		return nil, fmt.Errorf("store: decode wkb: %w", err)
	}
	if r.off != len(b) {
		return nil, fmt.Errorf("store: %d trailing bytes after the wkb geometry", len(b)-r.off)
	}
	return g, nil
}

const (
	wkbPoint        = 1
	wkbLineString   = 2
	wkbPolygon      = 3
	wkbMultiPolygon = 6
)

type wkbReader struct {
	b   []byte
	off int
	bo  binary.ByteOrder
}

func (r *wkbReader) header() (uint32, error) {
	if len(r.b)-r.off < 5 {
		return 0, fmt.Errorf("truncated at byte %d", r.off)
	}
	switch r.b[r.off] {
	case 0:
		r.bo = binary.BigEndian
	case 1:
		r.bo = binary.LittleEndian
	default:
		return 0, fmt.Errorf("invalid byte order %d at byte %d", r.b[r.off], r.off)
	}
	t := r.bo.Uint32(r.b[r.off+1:])
	r.off += 5
	return t, nil
}

// count reads an element count and checks that n elements of at least size
// bytes each fit in what is left of the blob.
func (r *wkbReader) count(size int) (int, error) {
	if len(r.b)-r.off < 4 {
		return 0, fmt.Errorf("truncated at byte %d", r.off)
	}
	n := r.bo.Uint32(r.b[r.off:])
	r.off += 4
	if uint64(n)*uint64(size) > uint64(len(r.b)-r.off) {
		return 0, fmt.Errorf("count %d at byte %d exceeds the %d bytes left", n, r.off-4, len(r.b)-r.off)
	}
	return int(n), nil
}

func (r *wkbReader) point() orb.Point {
	x := math.Float64frombits(r.bo.Uint64(r.b[r.off:]))
	y := math.Float64frombits(r.bo.Uint64(r.b[r.off+8:]))
	r.off += 16
	return orb.Point{x, y}
}

func (r *wkbReader) points() ([]orb.Point, error) {
	n, err := r.count(16)
	if err != nil {
		return nil, err
	}
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = r.point()
	}
	return pts, nil
}

func (r *wkbReader) polygonBody() (orb.Polygon, error) {
	n, err := r.count(4)
	if err != nil {
		return nil, err
	}
	p := make(orb.Polygon, n)
	for i := range p {
		ring, err := r.points()
		if err != nil {
			return nil, err
		}
		p[i] = ring
	}
	return p, nil
}

// geometry reads one geometry; depth guards the nesting of multi types.
func (r *wkbReader) geometry(depth int) (orb.Geometry, error) {
	at := r.off
	t, err := r.header()
	if err != nil {
		return nil, err
	}
	switch t {
	case wkbPoint:
		if len(r.b)-r.off < 16 {
			return nil, fmt.Errorf("truncated point at byte %d", at)
		}
		p := r.point()
		if math.IsNaN(p[0]) && math.IsNaN(p[1]) {
			return nil, nil // the WKB convention for an empty point
		}
		return p, nil
	case wkbLineString:
		pts, err := r.points()
		if err != nil {
			return nil, err
		}
		if len(pts) == 0 {
			return nil, nil
		}
		return orb.LineString(pts), nil
	case wkbPolygon:
		p, err := r.polygonBody()
		if err != nil || len(p) == 0 {
			return nil, err
		}
		return p, nil
	case wkbMultiPolygon:
		if depth > 0 {
			return nil, fmt.Errorf("nested multipolygon at byte %d", at)
		}
		n, err := r.count(9)
		if err != nil {
			return nil, err
		}
		mp := make(orb.MultiPolygon, 0, n)
		for range n {
			at := r.off
			t, err := r.header()
			if err != nil {
				return nil, err
			}
			if t != wkbPolygon {
				return nil, fmt.Errorf("multipolygon member of type %d at byte %d", t, at)
			}
			p, err := r.polygonBody()
			if err != nil {
				return nil, err
			}
			mp = append(mp, p)
		}
		if len(mp) == 0 {
			return nil, nil
		}
		return mp, nil
	}
	switch {
	case t >= 1000 && t < 4000, t&0xE0000000 != 0:
		return nil, fmt.Errorf("geometry type %#x at byte %d has Z or M: only the XY layout is supported", t, at)
	case t == 4 || t == 5 || t == 7:
		return nil, fmt.Errorf("geometry type %d at byte %d is not used by the store", t, at)
	}
	return nil, fmt.Errorf("unknown geometry type %d at byte %d", t, at)
}
