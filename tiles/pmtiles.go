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
	"sort"
)

// PMTiles v3 constants (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md).
const (
	pmHeaderLen    = 127
	pmRootMax      = 16384 - pmHeaderLen
	pmCompressNone = 1
	pmCompressGzip = 2
	pmTypeMVT      = 1
)

// PMTilesHeader is the fixed header of a PMTiles v3 archive.
type PMTilesHeader struct {
	RootOffset, RootLength         uint64
	MetadataOffset, MetadataLength uint64
	LeafOffset, LeafLength         uint64
	DataOffset, DataLength         uint64
	AddressedTiles, TileEntries    uint64
	TileContents                   uint64
	Clustered                      bool
	InternalCompression            uint8
	TileCompression                uint8
	TileType                       uint8
	MinZoom, MaxZoom               uint8
	MinLonE7, MinLatE7             int32
	MaxLonE7, MaxLatE7             int32
	CenterZoom                     uint8
	CenterLonE7, CenterLatE7       int32
}

func (h *PMTilesHeader) marshal() []byte {
	b := make([]byte, pmHeaderLen)
	copy(b, "PMTiles")
	b[7] = 3
	le := binary.LittleEndian
	for i, v := range []uint64{h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength,
		h.LeafOffset, h.LeafLength, h.DataOffset, h.DataLength, h.AddressedTiles, h.TileEntries, h.TileContents} {
		le.PutUint64(b[8+8*i:], v)
	}
	if h.Clustered {
		b[96] = 1
	}
	b[97], b[98], b[99], b[100], b[101] = h.InternalCompression, h.TileCompression, h.TileType, h.MinZoom, h.MaxZoom
	for i, v := range []int32{h.MinLonE7, h.MinLatE7, h.MaxLonE7, h.MaxLatE7} {
		le.PutUint32(b[102+4*i:], uint32(v))
	}
	b[118] = h.CenterZoom
	le.PutUint32(b[119:], uint32(h.CenterLonE7))
	le.PutUint32(b[123:], uint32(h.CenterLatE7))
	return b
}

func unmarshalPMHeader(b []byte) (PMTilesHeader, error) {
	var h PMTilesHeader
	if len(b) < pmHeaderLen || string(b[:7]) != "PMTiles" {
		return h, errors.New("pmtiles: not a PMTiles archive")
	}
	if b[7] != 3 {
		return h, fmt.Errorf("pmtiles: version %d, want 3", b[7])
	}
	le := binary.LittleEndian
	u := make([]uint64, 11)
	for i := range u {
		u[i] = le.Uint64(b[8+8*i:])
	}
	h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength = u[0], u[1], u[2], u[3]
	h.LeafOffset, h.LeafLength, h.DataOffset, h.DataLength = u[4], u[5], u[6], u[7]
	h.AddressedTiles, h.TileEntries, h.TileContents = u[8], u[9], u[10]
	h.Clustered = b[96] == 1
	h.InternalCompression, h.TileCompression, h.TileType, h.MinZoom, h.MaxZoom = b[97], b[98], b[99], b[100], b[101]
	h.MinLonE7, h.MinLatE7 = int32(le.Uint32(b[102:])), int32(le.Uint32(b[106:]))
	h.MaxLonE7, h.MaxLatE7 = int32(le.Uint32(b[110:])), int32(le.Uint32(b[114:]))
	h.CenterZoom = b[118]
	h.CenterLonE7, h.CenterLatE7 = int32(le.Uint32(b[119:])), int32(le.Uint32(b[123:]))
	return h, nil
}

// TileID is the PMTiles tile id of z/x/y: the tiles of all lower zooms
// counted first, then the position along the zoom's Hilbert curve.
func TileID(z, x, y int) uint64 {
	var acc uint64
	for i := 0; i < z; i++ {
		acc += uint64(1) << (2 * i)
	}
	n := uint64(1) << z
	tx, ty := uint64(x), uint64(y)
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint64
		if tx&s != 0 {
			rx = 1
		}
		if ty&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		// Rotate the quadrant so the curve stays continuous.
		if ry == 0 {
			if rx == 1 {
				tx, ty = s-1-tx, s-1-ty
			}
			tx, ty = ty, tx
		}
	}
	return acc + d
}

// ArchiveTile is one tile for a PMTiles archive: its coordinates and its
// bytes as they are to be stored (already compressed).
type ArchiveTile struct {
	Z, X, Y int
	Data    []byte
}

// PMTilesOptions describe an archive.
type PMTilesOptions struct {
	MinZoom, MaxZoom int
	Bounds           [4]float64 // min lon, min lat, max lon, max lat
	Center           [3]float64 // lon, lat, zoom
	Gzipped          bool       // tile data is gzip-compressed
	Metadata         any        // JSON metadata, e.g. TileJSON with vector_layers
}

// PMTilesStats reports what WritePMTiles wrote.
type PMTilesStats struct {
	Addressed, Entries, Contents int
	Leaves                       int
	Bytes                        int64
}

type pmEntry struct {
	id     uint64
	offset uint64
	length uint32
	run    uint32
}

// WritePMTiles writes a clustered PMTiles v3 archive of tiles to w: tiles
// in Hilbert order, identical contents stored once, directories and
// metadata gzip-compressed, leaf directories when the root would not fit
// in the first 16 KiB. Empty tiles are left out.
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
		ts = append(ts, idTile{TileID(t.Z, t.X, t.Y), t})
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].id < ts[j].id })
	var entries []pmEntry
	var data [][]byte
	var dataLen uint64
	seen := map[[32]byte]pmEntry{}
	for i, t := range ts {
		if i > 0 && ts[i-1].id == t.id {
			return st, fmt.Errorf("pmtiles: tile %d/%d/%d given twice", t.t.Z, t.t.X, t.t.Y)
		}
		sum := sha256.Sum256(t.t.Data)
		e, dup := seen[sum]
		if !dup {
			e = pmEntry{offset: dataLen, length: uint32(len(t.t.Data))}
			seen[sum] = e
			data = append(data, t.t.Data)
			dataLen += uint64(len(t.t.Data))
		}
		if n := len(entries); n > 0 && entries[n-1].offset == e.offset && entries[n-1].id+uint64(entries[n-1].run) == t.id {
			entries[n-1].run++
			st.Addressed++
			continue
		}
		entries = append(entries, pmEntry{id: t.id, offset: e.offset, length: e.length, run: 1})
		st.Addressed++
	}
	st.Entries, st.Contents = len(entries), len(data)

	root, leaves, nLeaves, err := buildDirectories(entries)
	if err != nil {
		return st, err
	}
	st.Leaves = nLeaves
	meta, err := json.Marshal(opt.Metadata)
	if err != nil {
		return st, fmt.Errorf("pmtiles: metadata: %w", err)
	}
	if meta, err = gzipBytes(meta); err != nil {
		return st, err
	}
	e7 := func(v float64) int32 { return int32(math.Round(v * 1e7)) }
	h := PMTilesHeader{
		RootOffset: pmHeaderLen, RootLength: uint64(len(root)),
		LeafLength: uint64(len(leaves)), DataLength: dataLen,
		AddressedTiles: uint64(st.Addressed), TileEntries: uint64(st.Entries), TileContents: uint64(st.Contents),
		Clustered: true, InternalCompression: pmCompressGzip, TileCompression: pmCompressNone, TileType: pmTypeMVT,
		MinZoom: uint8(opt.MinZoom), MaxZoom: uint8(opt.MaxZoom),
		MinLonE7: e7(opt.Bounds[0]), MinLatE7: e7(opt.Bounds[1]), MaxLonE7: e7(opt.Bounds[2]), MaxLatE7: e7(opt.Bounds[3]),
		CenterZoom:  uint8(max(opt.MinZoom, min(opt.MaxZoom, int(opt.Center[2])))),
		CenterLonE7: e7(opt.Center[0]), CenterLatE7: e7(opt.Center[1]),
	}
	if opt.Gzipped {
		h.TileCompression = pmCompressGzip
	}
	h.MetadataOffset = h.RootOffset + h.RootLength
	h.MetadataLength = uint64(len(meta))
	h.LeafOffset = h.MetadataOffset + h.MetadataLength
	h.DataOffset = h.LeafOffset + h.LeafLength

	bw := bufio.NewWriterSize(w, 1<<20)
	for _, part := range [][]byte{h.marshal(), root, meta, leaves} {
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
	st.Bytes = int64(h.DataOffset + h.DataLength)
	return st, nil
}

// buildDirectories serializes the entries as a root directory alone when
// it fits in the first 16 KiB, else as leaves of growing size under a root.
func buildDirectories(entries []pmEntry) (root, leaves []byte, nLeaves int, err error) {
	if root, err = serializeDir(entries); err != nil {
		return nil, nil, 0, err
	}
	if len(root) <= pmRootMax {
		return root, nil, 0, nil
	}
	for size := 4096; ; size *= 2 {
		var rootEntries []pmEntry
		var lb bytes.Buffer
		for i := 0; i < len(entries); i += size {
			chunk := entries[i:min(len(entries), i+size)]
			b, err := serializeDir(chunk)
			if err != nil {
				return nil, nil, 0, err
			}
			rootEntries = append(rootEntries, pmEntry{id: chunk[0].id, offset: uint64(lb.Len()), length: uint32(len(b))})
			lb.Write(b)
		}
		if root, err = serializeDir(rootEntries); err != nil {
			return nil, nil, 0, err
		}
		if len(root) <= pmRootMax {
			return root, lb.Bytes(), len(rootEntries), nil
		}
	}
}

func serializeDir(entries []pmEntry) ([]byte, error) {
	var raw []byte
	raw = binary.AppendUvarint(raw, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, e.id-last)
		last = e.id
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.run))
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.length))
	}
	for i, e := range entries {
		if i > 0 && e.offset == entries[i-1].offset+uint64(entries[i-1].length) {
			raw = binary.AppendUvarint(raw, 0)
		} else {
			raw = binary.AppendUvarint(raw, e.offset+1)
		}
	}
	return gzipBytes(raw)
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
	h PMTilesHeader
}

// OpenPMTiles reads the header of an archive.
func OpenPMTiles(r io.ReaderAt) (*PMTilesReader, error) {
	b := make([]byte, pmHeaderLen)
	if _, err := r.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("pmtiles: header: %w", err)
	}
	h, err := unmarshalPMHeader(b)
	if err != nil {
		return nil, err
	}
	return &PMTilesReader{r: r, h: h}, nil
}

// Header returns the archive's header.
func (p *PMTilesReader) Header() PMTilesHeader { return p.h }

func (p *PMTilesReader) section(off, n uint64) ([]byte, error) {
	if n > 1<<30 {
		return nil, errors.New("pmtiles: section too large")
	}
	b := make([]byte, n)
	if _, err := p.r.ReadAt(b, int64(off)); err != nil {
		return nil, err
	}
	if p.h.InternalCompression == pmCompressGzip {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(io.LimitReader(zr, 1<<30))
	}
	return b, nil
}

// Metadata returns the archive's JSON metadata.
func (p *PMTilesReader) Metadata() ([]byte, error) {
	return p.section(p.h.MetadataOffset, p.h.MetadataLength)
}

func (p *PMTilesReader) dir(off, n uint64) ([]pmEntry, error) {
	b, err := p.section(off, n)
	if err != nil {
		return nil, err
	}
	r := bytes.NewReader(b)
	count, err := binary.ReadUvarint(r)
	if err != nil || count > uint64(len(b)) {
		return nil, errors.New("pmtiles: bad directory")
	}
	es := make([]pmEntry, count)
	var last uint64
	for i := range es {
		d, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		last += d
		es[i].id = last
	}
	for i := range es {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		es[i].run = uint32(v)
	}
	for i := range es {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		es[i].length = uint32(v)
	}
	for i := range es {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		if v == 0 && i > 0 {
			es[i].offset = es[i-1].offset + uint64(es[i-1].length)
		} else {
			es[i].offset = v - 1
		}
	}
	return es, nil
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
			if e.run == 0 {
				if err := walk(p.h.LeafOffset+e.offset, uint64(e.length), depth+1); err != nil {
					return err
				}
				continue
			}
			for k := uint64(0); k < uint64(e.run); k++ {
				if err := fn(e.id+k, e.offset, e.length); err != nil {
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
		i := sort.Search(len(es), func(i int) bool { return es[i].id > id }) - 1
		if i < 0 {
			return nil, nil
		}
		e := es[i]
		if e.run == 0 {
			off, n = p.h.LeafOffset+e.offset, uint64(e.length)
			continue
		}
		if id >= e.id+uint64(e.run) {
			return nil, nil
		}
		b := make([]byte, e.length)
		if _, err := p.r.ReadAt(b, int64(p.h.DataOffset+e.offset)); err != nil {
			return nil, err
		}
		return b, nil
	}
	return nil, errors.New("pmtiles: directories nested too deep")
}
