package tiles

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/protomaps/go-pmtiles/pmtiles"
)

func TestTileID(t *testing.T) {
	for _, c := range []struct {
		z, x, y int
		id      uint64
	}{
		{0, 0, 0, 0},
		{1, 0, 0, 1},
		{1, 0, 1, 2},
		{1, 1, 1, 3},
		{1, 1, 0, 4},
		{2, 0, 0, 5},
		{3, 0, 0, 21},
		{3, 7, 0, 84},
	} {
		if got := TileID(c.z, c.x, c.y); got != c.id {
			t.Errorf("TileID(%d,%d,%d) = %d, want %d", c.z, c.x, c.y, got, c.id)
		}
	}
	// Ids of a zoom are a permutation of its range.
	for z := 0; z <= 5; z++ {
		n := 1 << z
		seen := map[uint64]bool{}
		base := TileID(z, 0, 0)
		for x := 0; x < n; x++ {
			for y := 0; y < n; y++ {
				id := TileID(z, x, y)
				if seen[id] || id < base || id >= base+uint64(n*n) {
					t.Fatalf("z%d: id %d repeated or out of the zoom's range", z, id)
				}
				seen[id] = true
			}
		}
	}
}

// TestPMTilesLeaves writes an archive too big for a root directory alone,
// with repeated contents and runs, and reads every tile back.
func TestPMTilesLeaves(t *testing.T) {
	var ts []ArchiveTile
	for x := 0; x < 256; x++ {
		for y := 0; y < 160; y++ {
			d := []byte(fmt.Sprintf("tile %d %d", x, y))
			if x%5 == 0 {
				d = []byte("shared") // deduplicated, runs where ids follow
			}
			ts = append(ts, ArchiveTile{Z: 8, X: x, Y: y, Data: d})
		}
	}
	ts = append(ts, ArchiveTile{Z: 3, X: 1, Y: 1, Data: nil}) // empty: left out
	var buf bytes.Buffer
	st, err := WritePMTiles(&buf, ts, PMTilesOptions{MinZoom: 8, MaxZoom: 8, Bounds: [4]float64{-10, -10, 10, 10}, Center: [3]float64{0, 0, 8}, Metadata: map[string]any{"name": "t"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Leaves == 0 || st.Addressed != 256*160 || st.Contents >= st.Addressed {
		t.Fatalf("stats %+v: want leaves, %d tiles, deduplication", st, 256*160)
	}
	r, err := OpenPMTiles(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.RootOffset+h.RootLength > 16384 || h.AddressedTilesCount != uint64(st.Addressed) || h.TileContentsCount != uint64(st.Contents) {
		t.Errorf("header %+v", h)
	}
	for i := 0; i < len(ts)-1; i += 97 { // each read parses a leaf: sample
		tt := ts[i]
		got, err := r.Tile(tt.Z, tt.X, tt.Y)
		if err != nil || !bytes.Equal(got, tt.Data) {
			t.Fatalf("%d/%d/%d: %q %v, want %q", tt.Z, tt.X, tt.Y, got, err, tt.Data)
		}
	}
	for _, c := range [][3]int{{3, 1, 1}, {8, 0, 200}, {9, 0, 0}, {0, 0, 0}} {
		if got, err := r.Tile(c[0], c[1], c[2]); got != nil || err != nil {
			t.Errorf("%v: %q %v, want no tile", c, got, err)
		}
	}
	n := 0
	if err := r.Walk(func(uint64, uint64, uint32) error { n++; return nil }); err != nil || n != st.Addressed {
		t.Errorf("walk: %d tiles, %v", n, err)
	}
	if _, err := WritePMTiles(&buf, []ArchiveTile{{Z: 1, X: 0, Y: 0, Data: []byte{1}}, {Z: 1, X: 0, Y: 0, Data: []byte{2}}}, PMTilesOptions{}); err == nil {
		t.Error("a tile given twice was accepted")
	}
	if _, err := OpenPMTiles(bytes.NewReader([]byte("not an archive at all, no, not at all; long enough to read a header from it though, yes, quite long enough indeed"))); err == nil {
		t.Error("garbage opened as an archive")
	}
	// The format's own library verifies it (header counts, clustering).
	p := filepath.Join(t.TempDir(), "leaves.pmtiles")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	verify(t, p)
}

// verify runs go-pmtiles' own Verify on the archive at path.
func verify(t *testing.T, path string) {
	t.Helper()
	var out bytes.Buffer
	if err := pmtiles.Verify(log.New(&out, "", 0), path); err != nil {
		t.Errorf("pmtiles.Verify: %v\n%s", err, out.String())
	}
}

// TestPMTilesDamaged opens and reads damaged archives: each gives an
// error (or no tile), never a panic or an unbounded allocation.
func TestPMTilesDamaged(t *testing.T) {
	var ts []ArchiveTile
	for x := 0; x < 64; x++ {
		ts = append(ts, ArchiveTile{Z: 6, X: x, Y: 3, Data: []byte(fmt.Sprintf("tile %d", x))})
	}
	var buf bytes.Buffer
	if _, err := WritePMTiles(&buf, ts, PMTilesOptions{MinZoom: 6, MaxZoom: 6, Metadata: map[string]any{"name": "t"}}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	h, _ := OpenPMTiles(bytes.NewReader(good))
	root := int(h.Header().RootOffset)
	for _, tc := range []struct {
		name string
		mut  func(b []byte) []byte
	}{
		{"short", func(b []byte) []byte { return b[:50] }},
		{"version 2", func(b []byte) []byte { b[7] = 2; return b }},
		{"truncated data", func(b []byte) []byte { return b[:len(b)-20] }},
		{"root garbage", func(b []byte) []byte {
			for i := root; i < root+int(h.Header().RootLength); i++ {
				b[i] = 0xff
			}
			return b
		}},
		{"root huge", func(b []byte) []byte { b[16], b[17], b[18], b[19], b[20] = 0, 0, 0, 0, 0x40; return b }},
		{"unknown compression", func(b []byte) []byte { b[97] = 9; return b }},
	} {
		b := tc.mut(slices.Clone(good))
		r, err := OpenPMTiles(bytes.NewReader(b))
		if err != nil {
			continue
		}
		_, terr := r.Tile(6, 5, 3)
		werr := r.Walk(func(uint64, uint64, uint32) error { return nil })
		_, merr := r.Metadata()
		if terr == nil && werr == nil && merr == nil && tc.name != "truncated data" {
			t.Errorf("%s: read without an error", tc.name)
		}
	}
}
