// Package tiles renders a city as Mapbox Vector Tiles (MVT v2): one tile
// holds the layers districts, streets, communities, grids, buildings,
// stations, incidents and labels, each within its zoom range. Area borders
// are simplified per zoom on a shared planar topology, so neighbouring
// areas keep identical borders at every zoom and the grid partition shows
// no gaps or slivers. The package also writes TileJSON, a MapLibre style
// that needs no internet, and PMTiles archives, and holds an LRU of
// encoded tiles.
//
// A Tiler is built once per city and is safe for concurrent use; it never
// touches a store.
package tiles

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/privacy"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/tidwall/rtree"
)

// Tile geometry constants.
const (
	Extent  = 4096 // tile coordinate units across a tile
	Buffer  = 64   // units drawn beyond each tile edge
	MinZoom = 0
	MaxZoom = 16
	// SimplifyPixels is the Douglas–Peucker tolerance in pixels of a
	// 512-pixel tile at the zoom being drawn.
	SimplifyPixels = 0.5
)

// Layer names.
const (
	LayerDistricts   = data.LayerDistricts
	LayerStreets     = data.LayerStreets
	LayerCommunities = data.LayerCommunities
	LayerGrids       = data.LayerGrids
	LayerBuildings   = data.LayerBuildings
	LayerStations    = data.LayerStations
	LayerIncidents   = data.LayerIncidents
	LayerLabels      = "labels"
)

// ErrBadTile reports tile coordinates outside the pyramid.
var ErrBadTile = errors.New("tiles: tile coordinates out of range")

// Layer describes one tile layer: its zoom range and property fields with
// their TileJSON types ("String", "Number", "Boolean").
type Layer struct {
	Name        string
	Description string
	MinZoom     int
	MaxZoom     int
	Fields      map[string]string
}

type geomKind uint8

const (
	kindArea    geomKind = iota // polygon from the topology
	kindPolygon                 // polygon drawn as is (buildings)
	kindPoint                   // point
)

// feature is one feature of a layer, prepared once per city.
type feature struct {
	id      uint64             // 0: none
	props   geojson.Properties // until New encodes them into tags
	tags    []uint32           // (key, dictionary value) pairs
	poly    topoPoly           // kindArea
	raw     orb.Polygon        // kindPolygon, world fractions
	pt      orb.Point          // kindPoint, world fractions
	minZoom int                // labels: below this zoom the feature is left out
}

type layerData struct {
	info  Layer
	enc   layerEnc
	kind  geomKind
	feats []feature
	index rtree.RTreeG[int32]
}

// Tiler renders the tiles of one city. Build it with New.
type Tiler struct {
	layers []*layerData
	topo   *topology
	simp   [MaxZoom + 1]struct {
		once sync.Once
		arcs [][]int32
	}
	urban   orb.Bound // lon/lat bound of the streets (the urban area)
	bound   orb.Bound // lon/lat bound of every layer
	quant   []float64 // households quantiles of grids, for the style
	version string
	pool    sync.Pool // of *renderer
}

// stats are the per-area aggregates tile properties carry.
type stats struct {
	grids, communities, households, population, cadres, openIncidents, builtStations, stations int
}

// Personal declares the tile attributes that hold personal data, per
// layer, for the masking policy (data/privacy); every other string
// attribute is still scanned for phone and ID numbers.
var Personal = map[string]privacy.Schema{
	LayerGrids: {"head": privacy.Name},
}

// OpenIncident reports whether an incident still needs work: it is neither
// resolved nor closed.
func OpenIncident(status string) bool { return status != "resolved" && status != "closed" }

// New prepares the tiles of c: it builds the topology of every area ring,
// the spatial index of each layer and the feature properties. c must have
// been indexed (c.Index) and must not change while the Tiler is in use.
func New(c *data.City) (*Tiler, error) {
	if c == nil {
		return nil, errors.New("tiles: nil city")
	}
	t := &Tiler{bound: orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}}
	t.urban = t.bound
	if c.Meta != nil {
		t.version = c.Meta["version"]
	}

	// Aggregates.
	grid := make(map[string]*stats, len(c.Grids))
	comm := make(map[string]*stats, len(c.Communities))
	street := make(map[string]*stats, len(c.Streets))
	dist := make(map[string]*stats, len(c.Districts))
	get := func(m map[string]*stats, k string) *stats {
		s := m[k]
		if s == nil {
			s = &stats{}
			m[k] = s
		}
		return s
	}
	for _, g := range c.Grids {
		nc := len(c.CadresOf(g.Code))
		for _, s := range []*stats{get(grid, g.Code), get(comm, g.CommunityCode), get(street, g.StreetCode), get(dist, g.DistrictCode)} {
			s.grids++
			s.households += g.Households
			s.population += g.Population
			s.cadres += nc
		}
	}
	for _, m := range c.Communities {
		get(street, m.StreetCode).communities++
		get(dist, m.DistrictCode).communities++
	}
	for _, n := range c.Incidents {
		if !OpenIncident(n.Status) {
			continue
		}
		for _, s := range []*stats{get(grid, n.GridCode), get(comm, n.CommunityCode), get(street, n.StreetCode), get(dist, n.DistrictCode)} {
			s.openIncidents++
		}
	}
	for _, st := range c.Stations {
		for _, s := range []*stats{get(grid, st.GridCode), get(comm, st.CommunityCode)} {
			s.stations++
			if st.Status == data.StationBuilt {
				s.builtStations++
			}
		}
	}

	tb := newTopoBuilder()
	type pendingPoly struct {
		layer, feat int
		rings       []int
	}
	var pending []pendingPoly
	addArea := func(li, fi int, polys ...orb.Polygon) {
		for _, p := range polys {
			pp := pendingPoly{layer: li, feat: fi}
			for ri, r := range p {
				h := tb.addRing(r)
				if h < 0 {
					if ri == 0 {
						break // no exterior, no polygon
					}
					continue
				}
				pp.rings = append(pp.rings, h)
			}
			if len(pp.rings) > 0 {
				pending = append(pending, pp)
			}
		}
	}

	layer := func(name, desc string, minZ, maxZ int, kind geomKind, fields map[string]string) *layerData {
		l := &layerData{info: Layer{Name: name, Description: desc, MinZoom: minZ, MaxZoom: maxZ, Fields: fields}, kind: kind}
		t.layers = append(t.layers, l)
		return l
	}
	const S, N, B = "String", "Number", "Boolean"

	// Districts.
	ld := layer(LayerDistricts, "districts (区/市)", 0, MaxZoom, kindArea, map[string]string{
		"code": S, "name": S, "communities": N, "grids": N, "households": N, "population": N, "cadres": N, "open_incidents": N})
	lsr := layer(LayerStreets, "streets / sub-districts (街道)", 8, MaxZoom, kindArea, map[string]string{
		"code": S, "name": S, "district_code": S, "communities": N, "grids": N, "households": N, "population": N, "cadres": N, "open_incidents": N})
	lc := layer(LayerCommunities, "communities (社区)", 10, MaxZoom, kindArea, map[string]string{
		"code": S, "name": S, "street_code": S, "district_code": S, "grids": N, "households": N, "population": N,
		"cadres": N, "open_incidents": N, "stations": N, "built_stations": N})
	lg := layer(LayerGrids, "grids (网格)", 11, MaxZoom, kindArea, map[string]string{
		"code": S, "name": S, "seq": N, "community_code": S, "street_code": S, "district_code": S,
		"head": S, "buildings": N, "households": N, "population": N, "cadres": N, "volunteers": N,
		"open_incidents": N, "stations": N, "built_stations": N, "covered": B})
	lb := layer(LayerBuildings, "residential buildings (楼栋)", 15, MaxZoom, kindPolygon, map[string]string{
		"code": S, "grid_code": S, "number": N, "floors": N, "households": N, "population": N})
	lst := layer(LayerStations, "service stations: community centres and grid stations", 11, MaxZoom, kindPoint, map[string]string{
		"code": S, "name": S, "kind": S, "status": S, "stars": N, "grid_code": S, "community_code": S})
	li := layer(LayerIncidents, "reported incidents; open is false once resolved or closed", 12, MaxZoom, kindPoint, map[string]string{
		"id": S, "module": S, "category": S, "status": S, "open": B, "grid_code": S})
	ll := layer(LayerLabels, "one point inside each area for its name; kind is district, street, community or grid", 8, MaxZoom, kindPoint, map[string]string{
		"kind": S, "code": S, "name": S})
	layerIdx := map[*layerData]int{}
	for i, l := range t.layers {
		layerIdx[l] = i
	}

	aggProps := func(p geojson.Properties, s *stats) {
		if s == nil {
			s = &stats{}
		}
		p["grids"], p["households"], p["population"] = s.grids, s.households, s.population
		p["cadres"], p["open_incidents"] = s.cadres, s.openIncidents
	}
	label := func(kind, code, name string, minZoom int, poly orb.Polygon) {
		pt, ok := interiorPoint(poly)
		if !ok {
			return
		}
		ll.feats = append(ll.feats, feature{id: codeID(code), minZoom: minZoom, pt: project(pt),
			props: geojson.Properties{"kind": kind, "code": code, "name": name}})
		t.extend(&t.bound, pt)
	}

	for _, d := range c.Districts {
		p := geojson.Properties{"code": d.Code, "name": d.Name}
		s := dist[d.Code]
		aggProps(p, s)
		if s != nil {
			p["communities"] = s.communities
		} else {
			p["communities"] = 0
		}
		addArea(layerIdx[ld], len(ld.feats), d.Geom...)
		ld.feats = append(ld.feats, feature{id: codeID(d.Code), props: p})
		// Label the largest part.
		var best orb.Polygon
		ba := -1.0
		for _, pl := range d.Geom {
			if len(pl) > 0 {
				if a := math.Abs(ringArea(pl[0])); a > ba {
					best, ba = pl, a
				}
			}
		}
		if best != nil {
			label("district", d.Code, d.Name, 0, best)
		}
	}
	for _, s := range c.Streets {
		p := geojson.Properties{"code": s.Code, "name": s.Name, "district_code": s.DistrictCode}
		st := street[s.Code]
		aggProps(p, st)
		p["communities"] = 0
		if st != nil {
			p["communities"] = st.communities
		}
		addArea(layerIdx[lsr], len(lsr.feats), s.Geom)
		lsr.feats = append(lsr.feats, feature{id: codeID(s.Code), props: p})
		label("street", s.Code, s.Name, 10, s.Geom)
		t.extendPoly(&t.urban, s.Geom)
	}
	for _, m := range c.Communities {
		p := geojson.Properties{"code": m.Code, "name": m.Name, "street_code": m.StreetCode, "district_code": m.DistrictCode}
		s := comm[m.Code]
		aggProps(p, s)
		p["stations"], p["built_stations"] = 0, 0
		if s != nil {
			p["stations"], p["built_stations"] = s.stations, s.builtStations
		}
		addArea(layerIdx[lc], len(lc.feats), m.Geom)
		lc.feats = append(lc.feats, feature{id: codeID(m.Code), props: p})
		label("community", m.Code, m.Name, 12, m.Geom)
		if len(c.Streets) == 0 {
			t.extendPoly(&t.urban, m.Geom)
		}
	}
	var households []float64
	for _, g := range c.Grids {
		s := grid[g.Code]
		if s == nil {
			s = &stats{}
		}
		p := geojson.Properties{
			"code": g.Code, "name": g.Name, "seq": g.Seq,
			"community_code": g.CommunityCode, "street_code": g.StreetCode, "district_code": g.DistrictCode,
			"head": g.Head.Name, "buildings": g.Buildings, "households": g.Households,
			"population": g.Population, "cadres": s.cadres, "volunteers": g.Volunteers,
			"open_incidents": s.openIncidents, "stations": s.stations, "built_stations": s.builtStations,
			"covered": s.builtStations > 0,
		}
		households = append(households, float64(g.Households))
		addArea(layerIdx[lg], len(lg.feats), g.Geom)
		lg.feats = append(lg.feats, feature{id: codeID(g.Code), props: p})
		label("grid", g.Code, g.Name, 14, g.Geom)
		if len(c.Streets) == 0 && len(c.Communities) == 0 {
			t.extendPoly(&t.urban, g.Geom)
		}
	}
	t.quant = quantiles(households, 5)
	for i, b := range c.Buildings {
		raw := make(orb.Polygon, 0, len(b.Geom))
		for _, r := range b.Geom {
			pr := make(orb.Ring, 0, len(r))
			for _, pt := range r {
				if !finite(pt) {
					pr = nil
					break
				}
				pr = append(pr, project(pt))
			}
			if len(pr) >= 4 {
				raw = append(raw, pr)
			} else if len(raw) == 0 {
				break
			}
		}
		if len(raw) == 0 {
			continue
		}
		lb.feats = append(lb.feats, feature{id: uint64(i + 1), raw: raw, props: geojson.Properties{
			"code": b.Code, "grid_code": b.GridCode, "number": b.Number, "floors": b.Floors,
			"households": b.Households, "population": b.Population}})
	}
	for _, s := range c.Stations {
		if !finite(s.Point) {
			continue
		}
		lst.feats = append(lst.feats, feature{id: codeID(s.Code), pt: project(s.Point), props: geojson.Properties{
			"code": s.Code, "name": s.Name, "kind": s.Kind, "status": s.Status, "stars": s.Stars,
			"grid_code": s.GridCode, "community_code": s.CommunityCode}})
		t.extend(&t.bound, s.Point)
	}
	for i, n := range c.Incidents {
		if !finite(n.Point) {
			continue
		}
		li.feats = append(li.feats, feature{id: uint64(i + 1), pt: project(n.Point), props: geojson.Properties{
			"id": n.ID, "module": n.Module, "category": n.Category, "status": n.Status,
			"open": OpenIncident(n.Status), "grid_code": n.GridCode}})
		t.extend(&t.bound, n.Point)
	}

	// Tiles are shared by every caller: their attributes are masked for
	// anonymous callers by the one policy.
	for _, l := range t.layers {
		for i := range l.feats {
			privacy.Props(l.feats[i].props, Personal[l.info.Name], privacy.Anonymous)
		}
	}

	// Topology of every area ring.
	topo, rings := tb.build()
	t.topo = topo
	for _, pp := range pending {
		poly := make(topoPoly, 0, len(pp.rings))
		for _, h := range pp.rings {
			poly = append(poly, rings[h])
		}
		f := &t.layers[pp.layer].feats[pp.feat]
		if f.poly == nil {
			f.poly = poly
		} else {
			// A multipolygon: keep its parts as separate polygons, marked
			// by a nil ring between them.
			f.poly = append(append(f.poly, nil), poly...)
		}
	}

	// Spatial indexes over world fractions, and the lon/lat bound.
	for _, l := range t.layers {
		if err := l.prepareProps(); err != nil {
			return nil, err
		}
		for i := range l.feats {
			f := &l.feats[i]
			var b orb.Bound
			switch l.kind {
			case kindArea:
				if f.poly == nil {
					continue
				}
				b = t.arcBound(f.poly)
			case kindPolygon:
				b = f.raw.Bound()
			case kindPoint:
				b = orb.Bound{Min: f.pt, Max: f.pt}
			}
			l.index.Insert(b.Min, b.Max, int32(i))
			t.extend(&t.bound, unproject(orb.Point{b.Min[0], b.Max[1]}))
			t.extend(&t.bound, unproject(orb.Point{b.Max[0], b.Min[1]}))
		}
	}
	if t.urban.Min[0] > t.urban.Max[0] {
		t.urban = t.bound
	}
	// Simplify every arc for every zoom now, so no tile pays for it.
	for z := MinZoom; z <= MaxZoom; z++ {
		t.arcsAt(z)
	}
	return t, nil
}

func finite(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
}

func (t *Tiler) extend(b *orb.Bound, p orb.Point) {
	if !finite(p) {
		return
	}
	b.Min[0], b.Min[1] = math.Min(b.Min[0], p[0]), math.Min(b.Min[1], p[1])
	b.Max[0], b.Max[1] = math.Max(b.Max[0], p[0]), math.Max(b.Max[1], p[1])
}

func (t *Tiler) extendPoly(b *orb.Bound, p orb.Polygon) {
	if len(p) == 0 {
		return
	}
	for _, pt := range p[0] {
		t.extend(b, pt)
	}
}

// arcBound is the world bound of a polygon's unsimplified arcs.
func (t *Tiler) arcBound(p topoPoly) orb.Bound {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, r := range p {
		for _, a := range r {
			for _, v := range t.topo.arcs[a.arc] {
				t.extend(&b, t.topo.pts[v])
			}
		}
	}
	return b
}

// codeID turns a numeric code into a feature id; 0 (no id) when it is not
// a number that fits.
func codeID(code string) uint64 {
	v, err := strconv.ParseUint(code, 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// Layers describes the tile layers in drawing order.
func (t *Tiler) Layers() []Layer {
	out := make([]Layer, len(t.layers))
	for i, l := range t.layers {
		out[i] = l.info
	}
	return out
}

// Bounds returns the lon/lat bound of all the data; the zero bound for a
// city without geometry.
func (t *Tiler) Bounds() orb.Bound { return orZero(t.bound) }

// UrbanBounds returns the lon/lat bound of the urban area (the streets, or
// the communities or grids when there are none).
func (t *Tiler) UrbanBounds() orb.Bound { return orZero(t.urban) }

func orZero(b orb.Bound) orb.Bound {
	if !(b.Min[0] <= b.Max[0]) {
		return orb.Bound{}
	}
	return b
}

// arcsAt returns the arcs simplified for zoom z, computing them once.
func (t *Tiler) arcsAt(z int) [][]int32 {
	s := &t.simp[z]
	s.once.Do(func() {
		tol := SimplifyPixels / 512 / float64(uint64(1)<<z)
		s.arcs = t.topo.simplified(tol)
	})
	return s.arcs
}

// CheckTile reports whether z/x/y is a tile of the pyramid.
func CheckTile(z, x, y int) error {
	if z < MinZoom || z > MaxZoom {
		return fmt.Errorf("%w: zoom %d not in %d..%d", ErrBadTile, z, MinZoom, MaxZoom)
	}
	n := 1 << z
	if x < 0 || x >= n || y < 0 || y >= n {
		return fmt.Errorf("%w: x and y must be in 0..%d at zoom %d, got %d/%d", ErrBadTile, n-1, z, x, y)
	}
	return nil
}

// Tile renders tile z/x/y with every layer whose zoom range holds z, as
// uncompressed MVT bytes. A tile with no feature is nil with no error.
func (t *Tiler) Tile(z, x, y int) ([]byte, error) {
	return t.TileLayers(z, x, y)
}

// TileLayers renders tile z/x/y with only the named layers (all when none
// is named). Unknown layer names are an error.
func (t *Tiler) TileLayers(z, x, y int, names ...string) ([]byte, error) {
	if err := CheckTile(z, x, y); err != nil {
		return nil, err
	}
	for _, n := range names {
		if t.layer(n) == nil {
			return nil, fmt.Errorf("tiles: unknown layer %q", n)
		}
	}
	// Renderers keep their scratch buffers from tile to tile.
	r, _ := t.pool.Get().(*renderer)
	if r == nil {
		r = &renderer{}
	}
	defer t.pool.Put(r)
	r.t, r.z, r.scale, r.ox, r.oy = t, z, float64(uint64(1)<<z)*Extent, float64(x)*Extent, float64(y)*Extent
	r.arcs, r.haveArcs = nil, false
	r.ge.out, r.b.store, r.b.tags = r.ge.out[:0], r.b.store[:0], r.b.tags[:0]
	var tile vectortile.Tile
	for _, l := range t.layers {
		if z < l.info.MinZoom || z > l.info.MaxZoom || (len(names) > 0 && !slices.Contains(names, l.info.Name)) {
			continue
		}
		if r.layer(l) > 0 {
			tile.Layers = append(tile.Layers, r.b.layer(l.info.Name))
		}
	}
	if len(tile.Layers) == 0 {
		return nil, nil
	}
	return tile.Marshal()
}

func (t *Tiler) layer(name string) *layerData {
	for _, l := range t.layers {
		if l.info.Name == name {
			return l
		}
	}
	return nil
}

// renderer draws one tile.
type renderer struct {
	t        *Tiler
	z        int
	scale    float64 // tile units across the world at z
	ox, oy   float64 // tile origin in global tile units
	hits     []int32
	arcs     [][]int32
	haveArcs bool
	b        layerBuilder
	ge       geomEncoder
	// Scratch reused from feature to feature: ring points and the rings
	// of a polygon. A feature's geometry is encoded before the next one.
	bufs [][]orb.Point
	nbuf int
	kept [][]orb.Point
	part [][]orb.Point
}

// buf returns an empty point buffer with room for n points.
func (r *renderer) buf(n int) []orb.Point {
	if r.nbuf == len(r.bufs) {
		r.bufs = append(r.bufs, make([]orb.Point, 0, max(n, 64)))
	}
	b := r.bufs[r.nbuf][:0]
	if cap(b) < n {
		b = make([]orb.Point, 0, n)
	}
	r.bufs[r.nbuf] = b
	r.nbuf++
	return b
}

// layer draws the features of l that meet the tile into r.b and returns
// how many there are.
func (r *renderer) layer(l *layerData) int {
	lo := orb.Point{(r.ox - Buffer) / r.scale, (r.oy - Buffer) / r.scale}
	hi := orb.Point{(r.ox + Extent + Buffer) / r.scale, (r.oy + Extent + Buffer) / r.scale}
	r.hits = r.hits[:0]
	l.index.Search(lo, hi, func(_, _ [2]float64, i int32) bool {
		r.hits = append(r.hits, i)
		return true
	})
	slices.Sort(r.hits)
	r.b.reset(&l.enc)
	r.b.reserve(len(r.hits), 2*len(l.enc.keys))
	for _, i := range r.hits {
		f := &l.feats[i]
		if r.z < f.minZoom {
			continue
		}
		r.ge.begin()
		r.nbuf = 0
		switch l.kind {
		case kindArea, kindPolygon:
			var mp orb.MultiPolygon
			if l.kind == kindArea {
				if !r.haveArcs {
					r.arcs, r.haveArcs = r.t.arcsAt(r.z), true
				}
				mp = r.area(f.poly)
			} else {
				mp = r.polygon(f.raw)
			}
			if len(mp) == 0 {
				continue
			}
			r.ge.polygons(mp)
			r.b.add(f, &geomPolygon, r.ge.end())
		case kindPoint:
			x, y := math.Round(f.pt[0]*r.scale)-r.ox, math.Round(f.pt[1]*r.scale)-r.oy
			if x < -Buffer || x > Extent+Buffer || y < -Buffer || y > Extent+Buffer {
				continue
			}
			r.ge.point(orb.Point{x, y})
			r.b.add(f, &geomPoint, r.ge.end())
		}
	}
	return len(r.b.feats)
}

// area draws a topology polygon (or multipolygon, parts split by nil rings).
func (r *renderer) area(p topoPoly) orb.MultiPolygon {
	var mp orb.MultiPolygon
	part := r.part[:0]
	for _, ring := range p {
		if ring == nil {
			mp = r.emit(part, mp)
			part = part[:0]
			continue
		}
		n := 0
		for _, a := range ring {
			n += len(r.arcs[a.arc])
		}
		pts := r.buf(n)
		for k, a := range ring {
			arc := r.arcs[a.arc]
			m := len(arc)
			for j := 0; j < m; j++ {
				if j == 0 && k > 0 {
					continue // the node the previous arc ended on
				}
				v := arc[j]
				if a.rev {
					v = arc[m-1-j]
				}
				pt := r.t.topo.pts[v]
				pts = append(pts, orb.Point{math.Round(pt[0]*r.scale) - r.ox, math.Round(pt[1]*r.scale) - r.oy})
			}
		}
		part = append(part, pts)
	}
	r.part = part
	return r.emit(part, mp)
}

// polygon draws a polygon in world fractions without simplification.
func (r *renderer) polygon(p orb.Polygon) orb.MultiPolygon {
	rings := make([][]orb.Point, 0, len(p))
	for _, ring := range p {
		pts := r.buf(len(ring))
		for _, pt := range ring {
			pts = append(pts, orb.Point{math.Round(pt[0]*r.scale) - r.ox, math.Round(pt[1]*r.scale) - r.oy})
		}
		rings = append(rings, pts)
	}
	return r.emit(rings, nil)
}

// emit takes one polygon's rings (snapped tile coordinates, open or
// closed, exterior first), drops repeated points and rings without area,
// winds them as MVT wants (exteriors with a positive area by the
// surveyor's formula in tile coordinates, i.e. clockwise on screen; holes
// the other way), clips them to the tile and its buffer, closes them and
// appends the pieces to mp.
func (r *renderer) emit(rings [][]orb.Point, mp orb.MultiPolygon) orb.MultiPolygon {
	kept := r.kept[:0]
	defer func() { r.kept = kept[:0] }()
	for i, pts := range rings {
		pts = despike(pts)
		a := 0.0
		if len(pts) >= 3 {
			a = ringArea(orb.Ring(pts))
		}
		if a == 0 {
			if i == 0 {
				return mp // no exterior, no polygon
			}
			continue
		}
		if (a > 0) != (i == 0) {
			slices.Reverse(pts)
		}
		kept = append(kept, pts)
	}
	if len(kept) == 0 {
		return mp
	}
	for _, part := range clipPolygon(kept, -Buffer, Extent+Buffer) {
		var poly orb.Polygon
		for i, pts := range part {
			pts = despike(pts)
			a := 0.0
			if len(pts) >= 3 {
				a = ringArea(orb.Ring(pts))
			}
			if a == 0 || (a > 0) != (i == 0) {
				if i == 0 {
					break
				}
				continue
			}
			poly = append(poly, orb.Ring(pts)) // open: encoded before the buffers are reused
		}
		if len(poly) > 0 {
			mp = append(mp, poly)
		}
	}
	return mp
}

// dedup drops consecutive repeated points and a closing point, in place.
func dedup(pts []orb.Point) []orb.Point {
	out := pts[:0]
	for _, p := range pts {
		if len(out) > 0 && out[len(out)-1] == p {
			continue
		}
		out = append(out, p)
	}
	for len(out) > 1 && out[len(out)-1] == out[0] {
		out = out[:len(out)-1]
	}
	return out
}

// ringArea is twice the signed area by the surveyor's formula; the ring
// may be open or closed.
func ringArea(r orb.Ring) float64 {
	n := len(r)
	if n < 3 {
		return 0
	}
	var s float64
	for i := 0; i < n; i++ {
		a, b := r[i], r[(i+1)%n]
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s
}

// TileBound returns the lon/lat bound of a tile.
func TileBound(z, x, y int) orb.Bound {
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z)).Bound()
}
