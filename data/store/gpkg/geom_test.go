package gpkg

import (
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gridmap/gridmap/data/store/tables"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom/encoding/wkb"
)

func TestGeomRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		g       orb.Geometry
		wantEnv envelope
		header  int // header length: 8 for points, 40 with an envelope
	}{
		{"point", orb.Point{117.5, 34.8}, envelope{117.5, 117.5, 34.8, 34.8}, 8},
		{"negative point", orb.Point{-73.98, -40.5}, envelope{-73.98, -73.98, -40.5, -40.5}, 8},
		{"linestring", orb.LineString{{1, 2}, {3, -4}, {0, 5}}, envelope{0, 3, -4, 5}, 40},
		{"polygon with hole", orb.Polygon{rect(0, 0, 10, 10), rect(2, 2, 3, 3)}, envelope{0, 10, 0, 10}, 40},
		{"multipolygon", orb.MultiPolygon{{rect(0, 0, 1, 1)}, {rect(5, 5, 6, 7), rect(5.1, 5.1, 5.2, 5.2)}}, envelope{0, 6, 0, 7}, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, env, err := encodeGeom(tt.g)
			if err != nil {
				t.Fatal(err)
			}
			if env != tt.wantEnv {
				t.Errorf("envelope %v, want %v", env, tt.wantEnv)
			}
			h, err := parseHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if h.srsID != 4326 || len(b)-len(h.wkb) != tt.header || b[3]&gpFlagLittleEndian == 0 {
				t.Errorf("header: srs %d, length %d, flags %08b", h.srsID, len(b)-len(h.wkb), b[3])
			}
			if h.hasEnv && h.env != tt.wantEnv {
				t.Errorf("header envelope %v, want %v", h.env, tt.wantEnv)
			}
			got, err := decodeGeom(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.g) {
				t.Errorf("decoded %v, want %v", got, tt.g)
			}
			// go-geom reads what the hand-written decoder reads.
			gg, err := wkb.Unmarshal(h.wkb)
			if err != nil {
				t.Fatalf("go-geom: %v", err)
			}
			if bb := gg.Bounds(); bb.Min(0) != tt.wantEnv.minX || bb.Max(1) != tt.wantEnv.maxY {
				t.Errorf("go-geom bounds %v", bb)
			}
			e, empty, err := geomEnvelope(b)
			if err != nil || empty || e != tt.wantEnv {
				t.Errorf("geomEnvelope = %v, %v, %v", e, empty, err)
			}
		})
	}
}

func TestGeomEmpty(t *testing.T) {
	for _, g := range []orb.Geometry{nil, orb.Polygon(nil), orb.LineString{}, orb.MultiPolygon{}} {
		b, _, err := encodeGeom(g)
		if err != nil || b != nil {
			t.Errorf("encodeGeom(%#v) = %v, %v; want nil (NULL)", g, b, err)
		}
	}
	// An empty geometry written by another tool: header with the empty flag
	// and an empty WKB polygon.
	b := []byte{'G', 'P', 0, gpFlagLittleEndian | gpFlagEmpty, 0xE6, 0x10, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0}
	if g, err := decodeGeom(b); err != nil || g != nil {
		t.Errorf("empty geometry decoded to %v, %v", g, err)
	}
	if _, empty, err := geomEnvelope(b); err != nil || !empty {
		t.Errorf("geomEnvelope of empty: %v, %v", empty, err)
	}
}

func TestGeomRejectsNonFinite(t *testing.T) {
	for _, g := range []orb.Geometry{
		orb.Point{math.NaN(), 1},
		orb.LineString{{0, 0}, {math.Inf(1), 1}},
		orb.Polygon{{{0, 0}, {1, math.Inf(-1)}, {1, 1}, {0, 0}}},
	} {
		if _, _, err := encodeGeom(g); err == nil || !strings.Contains(err.Error(), "non-finite") {
			t.Errorf("encodeGeom(%v) err = %v", g, err)
		}
	}
}

func TestGeomMalformed(t *testing.T) {
	good, _, err := encodeGeom(orb.Polygon{rect(0, 0, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	point, _, _ := encodeGeom(orb.Point{1, 2})
	with := func(b []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty blob", []byte{}, "shorter"},
		{"short header", []byte("GP\x00"), "shorter"},
		{"wrong magic", with(good, func(b []byte) []byte { b[0] = 'X'; return b }), "magic"},
		{"version 1", with(good, func(b []byte) []byte { b[2] = 1; return b }), "version"},
		{"extended type", with(good, func(b []byte) []byte { b[3] |= gpFlagExtended; return b }), "extended"},
		{"envelope indicator 5", with(good, func(b []byte) []byte { b[3] = b[3]&^0x0E | 5<<1; return b }), "envelope indicator"},
		{"truncated envelope", good[:20], "envelope"},
		{"srs 3857", with(good, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 3857); return b }), "srs_id"},
		{"no wkb", good[:40], "wkb"},
		{"truncated wkb", good[:len(good)-5], "wkb"},
		{"trailing bytes", with(good, func(b []byte) []byte { return append(b, 0, 0) }), "trailing"},
		{"bad wkb byte order", with(good, func(b []byte) []byte { b[40] = 7; return b }), "wkb"},
		{"unknown wkb type", with(good, func(b []byte) []byte { b[41] = 99; return b }), "wkb"},
		{"huge ring count", with(good, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[45:], 0xFFFFFFF0); return b }), "wkb"},
		{"huge point count", with(good, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[49:], 0x7FFFFFFF); return b }), "wkb"},
		{"truncated point", point[:20], "wkb"},
		{"xyz point", with(point, func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[9:], 1001)
			return append(b, make([]byte, 8)...)
		}), "XY layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeGeom(tt.b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decodeGeom err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	// Typed decoders refuse the wrong geometry type.
	if _, err := decodePoint(good); err == nil {
		t.Error("decodePoint accepted a polygon")
	}
	if _, err := tables.AsLineString(decodeGeom(point)); err == nil {
		t.Error("AsLineString accepted a point")
	}
	if _, err := decodePolygon(point); err == nil {
		t.Error("decodePolygon accepted a point")
	}
}

func FuzzDecodeGeom(f *testing.F) {
	for _, g := range []orb.Geometry{
		orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}, orb.Polygon{rect(0, 0, 1, 1)},
		orb.MultiPolygon{{rect(0, 0, 1, 1)}, {rect(2, 2, 3, 3)}},
	} {
		b, _, _ := encodeGeom(g)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decodeGeom(b)
		geomEnvelope(b)
		if err != nil || g == nil {
			return
		}
		// Whatever decodes must encode again.
		if _, _, err := encodeGeom(g); err != nil && !strings.Contains(err.Error(), "non-finite") {
			t.Fatalf("re-encode %v: %v", g, err)
		}
	})
}

func BenchmarkDecodePolygon(b *testing.B) {
	blob, _, _ := encodeGeom(orb.Polygon{rect(117.5, 34.8, 117.51, 34.81)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePolygon(blob); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePolygon(b *testing.B) {
	p := orb.Polygon{rect(117.5, 34.8, 117.51, 34.81)}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := encodeGeom(p); err != nil {
			b.Fatal(err)
		}
	}
}
