package tiles

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/protomaps/go-pmtiles/pmtiles"
)

// PMTiles v3 archives through the format's own library
// (github.com/protomaps/go-pmtiles): its header, directory and metadata
// codecs, tile ids and directory layout. What the library leaves to its
// callers is here: gathering the baked tiles into deduplicated, run-length
// entries in tile-id order, and reading from an io.ReaderAt with errors
// for damaged input instead of panics.

// rootMax is what the header and root directory may take: the first 16 KiB.
const rootMax = 16384 - pmtiles.HeaderV3LenBytes

// PMTilesHeader is the fixed header of a PMTiles v3 archive.
type PMTilesHeader = pmtiles.HeaderV3

// TileID is the PMTiles tile id of z/x/y: the tiles of all lower zooms
// counted first, then the position along the zoom's Hilbert curve.
func TileID(z, x, y int) uint64 { return pmtiles.ZxyToID(uint8(z), uint32(x), uint32(y)) }

// ArchiveTile is one tile for a PMTiles archive: its coordinates and its
// bytes as they are to be stored (already compressed).
type ArchiveTile struct {
	Z, X, Y int
	Data    []byte
}

// PMTilesOptions describe an archive.
type PMTilesOptions struct {
	MinZoom, MaxZoom int
	Bounds           [4]float64     // min lon, min lat, max lon, max lat
	Center           [3]float64     // lon, lat, zoom
	Gzipped          bool           // tile data is gzip-compressed
	Metadata         map[string]any // JSON metadata, e.g. TileJSON with vector_layers
}

// PMTilesStats reports what WritePMTiles wrote.
type PMTilesStats struct {
	Addressed, Entries, Contents int
	Leaves                       int
	Bytes                        int64
}

// WritePMTiles writes a clustered PMTiles v3 archive of tiles to w: tiles
// in Hilbert order, identical contents stored once (runs of them as one
// entry), directories and metadata gzip-compressed, leaf directories when
// the root would not fit in the first 16 KiB. Empty tiles are left out.
func WritePMTiles(w io.Writer, tiles []ArchiveTile, opt PMTilesOptions) (PMTilesStats, error) {
	var st PMTilesStats
	type idTile struct {
		id uint64
		t  *ArchiveTile
	}
	ts := make([]idTile, 0, len(tiles))
	for i := range tiles {
		t := &tiles[i]
		if err := CheckTile(t.Z, t.X, t.Y); err != nil {
			return st, err
		}
		if len(t.Data) == 0 {
			continue
		}
		if len(t.Data) > math.MaxUint32 {
			return st, fmt.Errorf("pmtiles: tile %d/%d/%d is over 4 GiB", t.Z, t.X, t.Y)
		}
		ts = append(ts, idTile{TileID(t.Z, t.X, t.Y), t})
	}
	slices.SortFunc(ts, func(a, b idTile) int { return cmpU64(a.id, b.id) })
	var (
		entries []pmtiles.EntryV3
		data    [][]byte
		dataLen uint64
		seen    = map[[32]byte]pmtiles.EntryV3{}
	)
	for i, t := range ts {
		if i > 0 && ts[i-1].id == t.id {
			return st, fmt.Errorf("pmtiles: tile %d/%d/%d given twice", t.t.Z, t.t.X, t.t.Y)
		}
		st.Addressed++
		sum := sha256.Sum256(t.t.Data)
		e, dup := seen[sum]
		if !dup {
			e = pmtiles.EntryV3{Offset: dataLen, Length: uint32(len(t.t.Data))}
			seen[sum] = e
			data = append(data, t.t.Data)
			dataLen += uint64(len(t.t.Data))
		}
		if n := len(entries); n > 0 && entries[n-1].Offset == e.Offset && entries[n-1].TileID+uint64(entries[n-1].RunLength) == t.id {
			entries[n-1].RunLength++
			continue
		}
		entries = append(entries, pmtiles.EntryV3{TileID: t.id, Offset: e.Offset, Length: e.Length, RunLength: 1})
	}
	st.Entries, st.Contents = len(entries), len(data)

	root, leaves, nLeaves := pmtiles.BuildDirectories(entries, rootMax, pmtiles.Gzip)
	st.Leaves = nLeaves
	meta, err := pmtiles.SerializeMetadata(opt.Metadata, pmtiles.Gzip)
	if err != nil {
		return st, fmt.Errorf("pmtiles: metadata: %w", err)
	}
	e7 := func(v float64) int32 { return int32(math.Round(v * 1e7)) }
	h := pmtiles.HeaderV3{
		SpecVersion: 3,
		RootOffset:  pmtiles.HeaderV3LenBytes, RootLength: uint64(len(root)),
		LeafDirectoryLength: uint64(len(leaves)), TileDataLength: dataLen,
		AddressedTilesCount: uint64(st.Addressed), TileEntriesCount: uint64(st.Entries), TileContentsCount: uint64(st.Contents),
		Clustered: true, InternalCompression: pmtiles.Gzip, TileCompression: pmtiles.NoCompression, TileType: pmtiles.Mvt,
		MinZoom: uint8(opt.MinZoom), MaxZoom: uint8(opt.MaxZoom),
		MinLonE7: e7(opt.Bounds[0]), MinLatE7: e7(opt.Bounds[1]), MaxLonE7: e7(opt.Bounds[2]), MaxLatE7: e7(opt.Bounds[3]),
		CenterZoom:  uint8(max(opt.MinZoom, min(opt.MaxZoom, int(opt.Center[2])))),
		CenterLonE7: e7(opt.Center[0]), CenterLatE7: e7(opt.Center[1]),
	}
	if opt.Gzipped {
		h.TileCompression = pmtiles.Gzip
	}
	h.MetadataOffset = h.RootOffset + h.RootLength
	h.MetadataLength = uint64(len(meta))
	h.LeafDirectoryOffset = h.MetadataOffset + h.MetadataLength
	h.TileDataOffset = h.LeafDirectoryOffset + h.LeafDirectoryLength

	bw := bufio.NewWriterSize(w, 1<<20)
	for _, part := range [][]byte{pmtiles.SerializeHeader(h), root, meta, leaves} {
		if _, err := bw.Write(part); err != nil {
			return st, err
		}
	}
	for _, d := range data {
		if _, err := bw.Write(d); err != nil {
			return st, err
		}
	}
	if err := bw.Flush(); err != nil {
		return st, err
	}
	st.Bytes = int64(h.TileDataOffset + h.TileDataLength)
	return st, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PMTilesReader reads tiles from a PMTiles v3 archive.
type PMTilesReader struct {
	r io.ReaderAt
	h pmtiles.HeaderV3
}

// OpenPMTiles reads the header of an archive.
func OpenPMTiles(r io.ReaderAt) (*PMTilesReader, error) {
	b := make([]byte, pmtiles.HeaderV3LenBytes)
	if _, err := r.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("pmtiles: header: %w", err)
	}
	h, err := pmtiles.DeserializeHeader(b)
	if err != nil {
		return nil, fmt.Errorf("pmtiles: %w", err)
	}
	if h.SpecVersion != 3 {
		return nil, fmt.Errorf("pmtiles: version %d, want 3", h.SpecVersion)
	}
	if h.InternalCompression != pmtiles.Gzip && h.InternalCompression != pmtiles.NoCompression {
		return nil, fmt.Errorf("pmtiles: internal compression %d not supported", h.InternalCompression)
	}
	return &PMTilesReader{r: r, h: h}, nil
}

// Header returns the archive's header.
func (p *PMTilesReader) Header() PMTilesHeader { return p.h }

// maxSection bounds what one directory or the metadata may take, read or
// uncompressed, so a damaged header cannot make the reader allocate
// without limit.
const maxSection = 1 << 30

// section reads n bytes at off and undoes the internal compression.
func (p *PMTilesReader) section(off, n uint64) ([]byte, error) {
	if n > maxSection {
		return nil, errors.New("pmtiles: section too large")
	}
	b := make([]byte, n)
	if _, err := p.r.ReadAt(b, int64(off)); err != nil {
		return nil, fmt.Errorf("pmtiles: read %d bytes at %d: %w", n, off, err)
	}
	if p.h.InternalCompression != pmtiles.Gzip {
		return b, nil
	}
	out, err := pmtiles.DeserializeMetadataBytes(io.LimitReader(bytes.NewReader(b), maxSection), pmtiles.Gzip)
	if err != nil {
		return nil, fmt.Errorf("pmtiles: section at %d: %w", off, err)
	}
	return out, nil
}

// Metadata returns the archive's JSON metadata.
func (p *PMTilesReader) Metadata() ([]byte, error) {
	b, err := p.section(p.h.MetadataOffset, p.h.MetadataLength)
	if err == nil && !json.Valid(b) {
		err = errors.New("pmtiles: metadata is not JSON")
	}
	return b, err
}

// dir reads one directory. The library's decoder trusts its input, so the
// entry count is checked first against what the bytes can hold (each
// entry takes at least four bytes).
func (p *PMTilesReader) dir(off, n uint64) ([]pmtiles.EntryV3, error) {
	b, err := p.section(off, n)
	if err != nil {
		return nil, err
	}
	count, k := binary.Uvarint(b)
	if k <= 0 || count > uint64(len(b)-k)/4 {
		return nil, fmt.Errorf("pmtiles: damaged directory at %d", off)
	}
	return pmtiles.DeserializeEntries(bytes.NewBuffer(b), pmtiles.NoCompression), nil
}

// Walk calls fn for every tile entry (run-length entries expanded) in tile
// id order with the tile id and the stored bytes' offset and length in the
// data section.
func (p *PMTilesReader) Walk(fn func(id, offset uint64, length uint32) error) error {
	var walk func(off, n uint64, depth int) error
	walk = func(off, n uint64, depth int) error {
		if depth > 3 {
			return errors.New("pmtiles: directories nested too deep")
		}
		es, err := p.dir(off, n)
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.RunLength == 0 {
				if err := walk(p.h.LeafDirectoryOffset+e.Offset, uint64(e.Length), depth+1); err != nil {
					return err
				}
				continue
			}
			for k := uint64(0); k < uint64(e.RunLength); k++ {
				if err := fn(e.TileID+k, e.Offset, e.Length); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(p.h.RootOffset, p.h.RootLength, 0)
}

// Tile returns the stored bytes of tile z/x/y (compressed as the header's
// TileCompression says), or nil when the archive has no such tile.
func (p *PMTilesReader) Tile(z, x, y int) ([]byte, error) {
	if err := CheckTile(z, x, y); err != nil {
		return nil, err
	}
	id := TileID(z, x, y)
	off, n := p.h.RootOffset, p.h.RootLength
	for depth := 0; depth < 4; depth++ {
		es, err := p.dir(off, n)
		if err != nil {
			return nil, err
		}
		e, ok := pmtiles.FindTile(es, id)
		if !ok {
			return nil, nil
		}
		if e.RunLength == 0 {
			off, n = p.h.LeafDirectoryOffset+e.Offset, uint64(e.Length)
			continue
		}
		b := make([]byte, e.Length)
		if _, err := p.r.ReadAt(b, int64(p.h.TileDataOffset+e.Offset)); err != nil {
			return nil, fmt.Errorf("pmtiles: tile %d/%d/%d: %w", z, x, y, err)
		}
		return b, nil
	}
	return nil, errors.New("pmtiles: directories nested too deep")
}
