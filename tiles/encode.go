package tiles

import (
	"fmt"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
)

// Feature properties are encoded once per city: each layer keeps its keys,
// a dictionary of every distinct value, and per feature the tag pairs
// (key index, dictionary index). A tile then only renumbers the values it
// uses, instead of hashing every property of every feature as
// mvt.Marshal does; the tile is marshalled with orb's vectortile protobuf
// types.

// valueKey identifies a property value in a layer's dictionary.
type valueKey struct {
	kind byte // 's', 'i', 'b', 'f'
	s    string
	i    int64
	f    float64
}

// layerEnc is a layer's precomputed property encoding.
type layerEnc struct {
	keys   []string
	values []*vectortile.Tile_Value
}

// prepareProps fills l.enc and each feature's tags from its props, then
// drops the props.
func (l *layerData) prepareProps() error {
	keys := make([]string, 0, len(l.info.Fields))
	for k := range l.info.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	l.enc.keys = keys
	dict := map[valueKey]uint32{}
	for fi := range l.feats {
		f := &l.feats[fi]
		f.tags = make([]uint32, 0, 2*len(f.props))
		for ki, k := range keys {
			v, ok := f.props[k]
			if !ok {
				continue
			}
			var vk valueKey
			tv := &vectortile.Tile_Value{}
			switch x := v.(type) {
			case string:
				vk = valueKey{kind: 's', s: x}
				tv.StringValue = &x
			case int:
				vk = valueKey{kind: 'i', i: int64(x)}
				i := int64(x)
				tv.SintValue = &i
			case bool:
				vk = valueKey{kind: 'b'}
				if x {
					vk.i = 1
				}
				tv.BoolValue = &x
			case float64:
				vk = valueKey{kind: 'f', f: x}
				tv.DoubleValue = &x
			default:
				return fmt.Errorf("tiles: layer %s: property %s has type %T", l.info.Name, k, v)
			}
			idx, ok := dict[vk]
			if !ok {
				idx = uint32(len(l.enc.values))
				dict[vk] = idx
				l.enc.values = append(l.enc.values, tv)
			}
			f.tags = append(f.tags, uint32(ki), idx)
		}
		f.props = nil
	}
	return nil
}

// layerBuilder assembles one layer of one tile.
type layerBuilder struct {
	enc    *layerEnc
	local  []int32 // dictionary index → index in this tile's values, -1 if unused
	values []*vectortile.Tile_Value
	feats  []*vectortile.Tile_Feature
	// Arenas: one allocation for many features' tags and structs. A
	// grown arena leaves earlier features on the old array, still valid.
	tags  []uint32
	store []vectortile.Tile_Feature
}

func (b *layerBuilder) reset(enc *layerEnc) {
	b.enc = enc
	if cap(b.local) < len(enc.values) {
		b.local = make([]int32, len(enc.values))
	}
	b.local = b.local[:len(enc.values)]
	for i := range b.local {
		b.local[i] = -1
	}
	b.values = nil
	b.feats = nil
}

// reserve makes room for n more features without regrowing the arenas.
func (b *layerBuilder) reserve(n, tagsPer int) {
	if cap(b.store)-len(b.store) < n {
		b.store = make([]vectortile.Tile_Feature, 0, n)
	}
	if cap(b.tags)-len(b.tags) < n*tagsPer {
		b.tags = make([]uint32, 0, n*tagsPer)
	}
}

var (
	geomPoint   = vectortile.Tile_POINT
	geomPolygon = vectortile.Tile_POLYGON
)

// add appends a feature with geometry commands geom of type typ.
func (b *layerBuilder) add(f *feature, typ *vectortile.Tile_GeomType, geom []uint32) {
	start := len(b.tags)
	for i := 0; i < len(f.tags); i += 2 {
		g := f.tags[i+1]
		li := b.local[g]
		if li < 0 {
			li = int32(len(b.values))
			b.local[g] = li
			b.values = append(b.values, b.enc.values[g])
		}
		b.tags = append(b.tags, f.tags[i], uint32(li))
	}
	tags := b.tags[start:len(b.tags):len(b.tags)]
	b.store = append(b.store, vectortile.Tile_Feature{Tags: tags, Type: typ, Geometry: geom})
	tf := &b.store[len(b.store)-1]
	if f.id != 0 {
		tf.Id = &f.id // read only: the marshaller never writes it
	}
	b.feats = append(b.feats, tf)
}

func (b *layerBuilder) layer(name string) *vectortile.Tile_Layer {
	v, e, n := uint32(2), uint32(Extent), name
	return &vectortile.Tile_Layer{Version: &v, Name: &n, Extent: &e, Keys: b.enc.keys, Values: b.values, Features: b.feats}
}

// Geometry commands (MVT 2.1 §4.3).
const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

func zigzag(v int32) uint32 { return uint32((v << 1) ^ (v >> 31)) }

// geomEncoder writes geometry commands with the cursor carried across
// rings and parts. out is an arena shared by a tile's features: begin
// starts a feature and end returns its commands.
type geomEncoder struct {
	x, y  int32
	out   []uint32
	start int
}

func (e *geomEncoder) begin() { e.x, e.y, e.start = 0, 0, len(e.out) }

func (e *geomEncoder) end() []uint32 { return e.out[e.start:len(e.out):len(e.out)] }

func (e *geomEncoder) point(p orb.Point) {
	x, y := int32(p[0]), int32(p[1])
	e.out = append(e.out, cmdMoveTo|1<<3, zigzag(x-e.x), zigzag(y-e.y))
	e.x, e.y = x, y
}

// ring writes an open ring (no repeated closing point).
func (e *geomEncoder) ring(r orb.Ring) {
	n := len(r)
	if n < 3 {
		return
	}
	e.point(r[0])
	e.out = append(e.out, cmdLineTo|uint32(n-1)<<3)
	for _, p := range r[1:n] {
		x, y := int32(p[0]), int32(p[1])
		e.out = append(e.out, zigzag(x-e.x), zigzag(y-e.y))
		e.x, e.y = x, y
	}
	e.out = append(e.out, cmdClosePath|1<<3)
}

func (e *geomEncoder) polygons(mp orb.MultiPolygon) {
	for _, p := range mp {
		for _, r := range p {
			e.ring(r)
		}
	}
}
