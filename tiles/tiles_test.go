package tiles

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
	"github.com/peterstace/simplefeatures/geom"
)

// Budget is the largest uncompressed tile allowed.
const budget = 500 << 10

var (
	demoOnce  sync.Once
	demoCity  *data.City
	demoTiler *Tiler
	demoErr   error
)

// demo returns the seed-1 demo city and its tiler, built once per test run.
func demo(tb testing.TB) (*data.City, *Tiler) {
	tb.Helper()
	demoOnce.Do(func() {
		demoCity, demoErr = synth.City(synth.Options{Seed: 1})
		if demoErr != nil {
			return
		}
		if demoErr = demoCity.Index(); demoErr != nil {
			return
		}
		demoTiler, demoErr = New(demoCity)
	})
	if demoErr != nil {
		tb.Fatal(demoErr)
	}
	return demoCity, demoTiler
}

// sample returns up to n tiles of the urban cover at z, chosen with a fixed
// seed; all of them when n <= 0.
func sample(t *Tiler, z, n int) []maptile.Tile {
	c := t.Cover(z)
	if n <= 0 || len(c) <= n {
		return c
	}
	rng := rand.New(rand.NewPCG(uint64(z), 7))
	rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	return c[:n]
}

// heavy reports whether the full-pyramid sweeps should run.
func heavy() bool { return !testing.Short() && os.Getenv("GRIDMAP_TILES_FULL") != "" }

func decode(tb testing.TB, b []byte) map[string]*mvt.Layer {
	tb.Helper()
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		tb.Fatalf("decode: %v", err)
	}
	out := map[string]*mvt.Layer{}
	for _, l := range ls {
		if out[l.Name] != nil {
			tb.Fatalf("layer %s twice", l.Name)
		}
		out[l.Name] = l
	}
	return out
}

func TestCheckTile(t *testing.T) {
	_, tl := demo(t)
	for _, c := range []struct {
		z, x, y int
		ok      bool
	}{
		{0, 0, 0, true},
		{16, 65535, 65535, true},
		{12, 3413, 1636, true},
		{-1, 0, 0, false},
		{17, 0, 0, false},
		{40, 0, 0, false},
		{3, 8, 0, false},
		{3, 0, 8, false},
		{3, -1, 0, false},
		{3, 0, -1, false},
	} {
		_, err := tl.Tile(c.z, c.x, c.y)
		if (err == nil) != c.ok {
			t.Errorf("Tile(%d,%d,%d) err=%v, want ok=%v", c.z, c.x, c.y, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrBadTile) {
			t.Errorf("Tile(%d,%d,%d) err=%v, want ErrBadTile", c.z, c.x, c.y, err)
		}
	}
	if _, err := tl.TileLayers(12, 3413, 1636, "nope"); err == nil {
		t.Error("unknown layer accepted")
	}
}

// checkTile decodes a tile and checks every rule a client relies on; it
// returns the feature count per layer.
func checkTile(t *testing.T, tl *Tiler, k maptile.Tile) map[string]int {
	t.Helper()
	z := int(k.Z)
	b, err := tl.Tile(z, int(k.X), int(k.Y))
	if err != nil {
		t.Fatalf("%v: %v", k, err)
	}
	if len(b) > budget {
		t.Errorf("%d/%d/%d: %d bytes, over the %d budget", k.Z, k.X, k.Y, len(b), budget)
	}
	counts := map[string]int{}
	if len(b) == 0 {
		return counts
	}
	info := map[string]Layer{}
	for _, l := range tl.Layers() {
		info[l.Name] = l
	}
	lim := float64(Extent + Buffer)
	for name, l := range decode(t, b) {
		li, ok := info[name]
		if !ok {
			t.Errorf("%v: unknown layer %s", k, name)
			continue
		}
		if z < li.MinZoom || z > li.MaxZoom {
			t.Errorf("%v: layer %s outside its zooms %d..%d", k, name, li.MinZoom, li.MaxZoom)
		}
		if l.Extent != Extent || l.Version != 2 {
			t.Errorf("%v: layer %s extent %d version %d", k, name, l.Extent, l.Version)
		}
		counts[name] = len(l.Features)
		for _, f := range l.Features {
			for key := range f.Properties {
				if _, ok := li.Fields[key]; !ok {
					t.Errorf("%v: %s: property %q not in TileJSON fields", k, name, key)
				}
			}
			var polys []orb.Polygon
			switch g := f.Geometry.(type) {
			case orb.Point:
				if math.Abs(g[0]-Extent/2) > lim-Extent/2 || math.Abs(g[1]-Extent/2) > lim-Extent/2 {
					t.Errorf("%v: %s point %v outside the buffer", k, name, g)
				}
			case orb.Polygon:
				polys = []orb.Polygon{g}
			case orb.MultiPolygon:
				polys = g
			default:
				t.Errorf("%v: %s: unexpected geometry %T", k, name, g)
			}
			for _, p := range polys {
				if err := sfPolygon(p).Validate(); err != nil {
					t.Errorf("%v: %s %v: invalid polygon: %v", k, name, f.Properties["code"], err)
				}
				for ri, r := range p {
					if len(r) < 4 || r[0] != r[len(r)-1] {
						t.Fatalf("%v: %s: ring %d not closed or too short: %v", k, name, ri, r)
					}
					a := ringArea(r[:len(r)-1])
					// MVT 2.1 §4.3.4.4: exteriors have positive area by the
					// surveyor's formula in tile coordinates, holes negative.
					if (ri == 0) != (a > 0) || a == 0 {
						t.Errorf("%v: %s: ring %d has area %v (exterior=%v)", k, name, ri, a, ri == 0)
					}
					for _, pt := range r {
						if pt[0] < -Buffer || pt[0] > lim || pt[1] < -Buffer || pt[1] > lim || pt[0] != math.Trunc(pt[0]) {
							t.Fatalf("%v: %s: vertex %v outside the buffered tile", k, name, pt)
						}
					}
				}
			}
		}
	}
	return counts
}

func TestTilePyramid(t *testing.T) {
	_, tl := demo(t)
	per := 12
	if heavy() {
		per = 0 // every tile of the cover
	}
	maxSize := map[int]int{}
	for z := 8; z <= 16; z++ {
		t.Run(fmt.Sprintf("z%d", z), func(t *testing.T) {
			tiles := sample(tl, z, per)
			if len(tiles) == 0 {
				t.Fatal("empty cover")
			}
			total := map[string]int{}
			for _, k := range tiles {
				for l, n := range checkTile(t, tl, k) {
					total[l] += n
				}
				b, _ := tl.Tile(z, int(k.X), int(k.Y))
				maxSize[z] = max(maxSize[z], len(b))
			}
			// Layers appear exactly within their zoom ranges.
			for _, l := range tl.Layers() {
				in := z >= l.MinZoom && z <= l.MaxZoom
				if !in && total[l.Name] > 0 {
					t.Errorf("layer %s drawn at z%d", l.Name, z)
				}
			}
			if z >= 11 && total[LayerGrids] == 0 {
				t.Errorf("no grids over %d tiles", len(tiles))
			}
			if z >= 15 && total[LayerBuildings] == 0 {
				t.Errorf("no buildings over %d tiles", len(tiles))
			}
		})
	}
	t.Logf("largest tile per zoom (bytes): %v", maxSize)
}

// TestLayerCounts checks that the tiles of the urban cover hold every
// feature of the city: every point once at z12 (inside the tile proper),
// every area code at z12, every building code at z15.
func TestLayerCounts(t *testing.T) {
	c, tl := demo(t)
	points := map[string]int{}
	codes := map[string]map[any]bool{}
	collect := func(z int, layers ...string) {
		for _, k := range tl.Cover(z) {
			b, err := tl.Tile(z, int(k.X), int(k.Y))
			if err != nil {
				t.Fatal(err)
			}
			for name, l := range decode(t, b) {
				if !slices.Contains(layers, name) {
					continue
				}
				for _, f := range l.Features {
					if p, ok := f.Geometry.(orb.Point); ok {
						if p[0] >= 0 && p[0] < Extent && p[1] >= 0 && p[1] < Extent {
							points[name]++
						}
						continue
					}
					if codes[name] == nil {
						codes[name] = map[any]bool{}
					}
					codes[name][f.Properties["code"]] = true
				}
			}
		}
	}
	collect(12, LayerStations, LayerIncidents, LayerStreets, LayerCommunities, LayerGrids)
	collect(15, LayerBuildings)
	for _, w := range []struct {
		layer string
		got   int
		want  int
	}{
		{LayerStations, points[LayerStations], len(c.Stations)},
		{LayerIncidents, points[LayerIncidents], len(c.Incidents)},
		{LayerStreets, len(codes[LayerStreets]), len(c.Streets)},
		{LayerCommunities, len(codes[LayerCommunities]), len(c.Communities)},
		{LayerGrids, len(codes[LayerGrids]), len(c.Grids)},
		{LayerBuildings, len(codes[LayerBuildings]), len(c.Buildings)},
	} {
		if w.got != w.want {
			t.Errorf("%s: tiles hold %d, the city %d", w.layer, w.got, w.want)
		}
	}
}

func sfPolygon(p orb.Polygon) geom.Polygon {
	rings := make([]geom.LineString, 0, len(p))
	for _, r := range p {
		xy := make([]float64, 0, 2*len(r))
		for _, pt := range r {
			xy = append(xy, pt[0], pt[1])
		}
		rings = append(rings, geom.NewLineString(geom.NewSequence(xy, geom.DimXY)))
	}
	return geom.NewPolygon(rings)
}

func polysOf(l *mvt.Layer) []geom.Geometry {
	var out []geom.Geometry
	if l == nil {
		return nil
	}
	for _, f := range l.Features {
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			out = append(out, sfPolygon(g).AsGeometry())
		case orb.MultiPolygon:
			for _, p := range g {
				out = append(out, sfPolygon(p).AsGeometry())
			}
		}
	}
	return out
}

// TestNoCracks decodes tiles and checks that the union of the grids covers
// the union of their communities (and the communities that of the streets)
// with under 0.1% of area different, and that grids do not overlap.
func TestNoCracks(t *testing.T) {
	_, tl := demo(t)
	per := 6
	if heavy() {
		per = 40
	}
	for z := 11; z <= 16; z++ {
		t.Run(fmt.Sprintf("z%d", z), func(t *testing.T) {
			checked := 0
			for _, k := range sample(tl, z, per) {
				b, err := tl.Tile(z, int(k.X), int(k.Y))
				if err != nil {
					t.Fatal(err)
				}
				ls := decode(t, b)
				grids, comms := polysOf(ls[LayerGrids]), polysOf(ls[LayerCommunities])
				if len(grids) == 0 {
					continue
				}
				checked++
				for _, pair := range []struct {
					name        string
					parts, area []geom.Geometry
				}{{"grids/communities", grids, comms}, {"communities/streets", comms, polysOf(ls[LayerStreets])}} {
					gu, err := geom.UnionMany(pair.parts)
					if err != nil {
						t.Fatalf("%v: union: %v", k, err)
					}
					cu, err := geom.UnionMany(pair.area)
					if err != nil {
						t.Fatalf("%v: union: %v", k, err)
					}
					d, err := geom.SymmetricDifference(gu, cu)
					if err != nil {
						t.Fatalf("%v: difference: %v", k, err)
					}
					if rel := d.Area() / cu.Area(); rel > 0.001 {
						t.Errorf("%v: %s differ by %.4f%% of the area", k, pair.name, rel*100)
					}
					sum := 0.0
					for _, g := range pair.parts {
						sum += g.Area()
					}
					if over := (sum - gu.Area()) / gu.Area(); over > 0.001 {
						t.Errorf("%v: %s overlap by %.4f%% of the area", k, pair.name, over*100)
					}
				}
			}
			if checked == 0 {
				t.Error("no tile with grids checked")
			}
		})
	}
}

// TestSharedBorders checks the topology directly: in every decoded tile,
// each grid edge inside the tile is used by exactly one other grid ring in
// the opposite direction, or lies on the community partition's outline.
func TestSharedBorders(t *testing.T) {
	_, tl := demo(t)
	for z := 11; z <= 16; z++ {
		for _, k := range sample(tl, z, 4) {
			b, _ := tl.Tile(z, int(k.X), int(k.Y))
			ls := decode(t, b)
			if ls[LayerGrids] == nil {
				continue
			}
			type edge struct{ a, b orb.Point }
			count := map[edge]int{}
			for _, f := range ls[LayerGrids].Features {
				p, ok := f.Geometry.(orb.Polygon)
				if !ok {
					continue
				}
				for _, r := range p {
					for i := 0; i+1 < len(r); i++ {
						count[edge{r[i], r[i+1]}]++
					}
				}
			}
			comm := map[edge]bool{}
			if l := ls[LayerCommunities]; l != nil {
				for _, f := range l.Features {
					if p, ok := f.Geometry.(orb.Polygon); ok {
						for _, r := range p {
							for i := 0; i+1 < len(r); i++ {
								comm[edge{r[i], r[i+1]}] = true
							}
						}
					}
				}
			}
			inner := func(p orb.Point) bool {
				return p[0] > -Buffer && p[0] < Extent+Buffer && p[1] > -Buffer && p[1] < Extent+Buffer
			}
			for e, n := range count {
				if n > 1 {
					t.Errorf("z%d %v: edge %v drawn %d times in one direction (overlap)", z, k, e, n)
				}
				if !inner(e.a) || !inner(e.b) {
					continue // on the clip square
				}
				// An inner edge is shared exactly, reversed, by the grid
				// on its other side, or it is on the outline of the city.
				if count[edge{e.b, e.a}] != 1 && !comm[e] {
					t.Errorf("z%d %v: grid edge %v has no twin and is not on a community outline", z, k, e)
				}
			}
		}
	}
}

func TestTouchingAndInvalidate(t *testing.T) {
	_, tl := demo(t)
	k := tl.Cover(14)[0]
	b := TileBound(14, int(k.X), int(k.Y))
	// A small box in the middle of the tile touches it and its ancestors.
	c := b.Center()
	small := orb.Bound{Min: orb.Point{c[0] - 1e-5, c[1] - 1e-5}, Max: orb.Point{c[0] + 1e-5, c[1] + 1e-5}}
	touch := Touching(small, 0, MaxZoom)
	has := func(k maptile.Tile) bool { return slices.Contains(touch, k) }
	if !has(k) || !has(k.Parent()) || !has(maptile.New(0, 0, 0)) {
		t.Fatalf("Touching misses %v or its parents", k)
	}
	cache := NewCache(1 << 30)
	for z := 10; z <= 16; z++ {
		for _, tk := range tl.Cover(z) {
			cache.Add(tk, &Encoded{Raw: []byte{1}})
		}
	}
	before := cache.Len()
	n := cache.Invalidate(small)
	if n == 0 || cache.Len() != before-n {
		t.Fatalf("invalidate dropped %d of %d", n, before)
	}
	if _, ok := cache.Get(k); ok {
		t.Error("the changed tile is still cached")
	}
	// Exactly the touched tiles went: every one still cached is untouched.
	want := 0
	for _, tk := range touch {
		if tk.Z >= 10 {
			want++
		}
	}
	if n > want {
		t.Errorf("dropped %d tiles, more than the %d touched", n, want)
	}
	far := tl.Cover(14)[len(tl.Cover(14))-1]
	if _, ok := cache.Get(far); !ok && !tileTouches(far, small) {
		t.Error("an untouched tile was dropped")
	}
}

func TestCacheLRU(t *testing.T) {
	c := NewCache(3 * (10 + 128))
	for i := 0; i < 5; i++ {
		c.Add(maptile.New(uint32(i), 0, 5), &Encoded{Raw: make([]byte, 10)})
		if i == 2 {
			c.Get(maptile.New(0, 0, 5)) // keep 0 fresh
		}
	}
	if c.Len() != 3 {
		t.Fatalf("len %d, want 3", c.Len())
	}
	for i, want := range []bool{true, false, false, true, true} {
		if _, ok := c.Get(maptile.New(uint32(i), 0, 5)); ok != want {
			t.Errorf("tile %d cached=%v, want %v", i, ok, want)
		}
	}
	calls := 0
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.GetOrRender(maptile.New(9, 9, 5), func() (*Encoded, error) {
				mu.Lock()
				calls++
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
				return &Encoded{Raw: []byte{1}}, nil
			})
		}()
	}
	wg.Wait()
	if calls != 1 {
		t.Errorf("rendered %d times, want once", calls)
	}
	if _, err := c.GetOrRender(maptile.New(8, 8, 5), func() (*Encoded, error) { panic("boom") }); err == nil {
		t.Error("a panicking render gave no error")
	}
}

func TestEncodeETag(t *testing.T) {
	a, _ := Encode([]byte("tile"), "1")
	b, _ := Encode([]byte("tile"), "2")
	c, _ := Encode([]byte("tile"), "1")
	if a.ETag == b.ETag || a.ETag != c.ETag || a.ETag == a.GzipETag || a.ETag[0] != '"' {
		t.Errorf("etags %s %s %s %s", a.ETag, b.ETag, c.ETag, a.GzipETag)
	}
}

func TestTileJSON(t *testing.T) {
	_, tl := demo(t)
	tj := tl.TileJSON("http://h/tiles/{z}/{x}/{y}.mvt")
	if tj.TileJSON != "3.0.0" || len(tj.VectorLayers) != 8 || tj.Bounds[0] >= tj.Bounds[2] || tj.Bounds[1] >= tj.Bounds[3] {
		t.Fatalf("tilejson %+v", tj)
	}
	if c := tj.Center; c[0] < tj.Bounds[0] || c[0] > tj.Bounds[2] || c[1] < tj.Bounds[1] || c[1] > tj.Bounds[3] {
		t.Errorf("center %v outside bounds %v", c, tj.Bounds)
	}
	names := []string{}
	for _, l := range tj.VectorLayers {
		names = append(names, l.ID)
		if len(l.Fields) == 0 || l.MinZoom > l.MaxZoom {
			t.Errorf("layer %+v", l)
		}
	}
	sort.Strings(names)
	want := []string{"buildings", "communities", "districts", "grids", "incidents", "labels", "stations", "streets"}
	if !slices.Equal(names, want) {
		t.Errorf("layers %v, want %v", names, want)
	}
}

func TestInteriorPoint(t *testing.T) {
	for _, c := range []struct {
		name string
		p    orb.Polygon
	}{
		{"square", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}},
		{"U shape", orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}},
		{"ring with hole", orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}}}},
	} {
		pt, ok := interiorPoint(c.p)
		if !ok || !planar.PolygonContains(c.p, pt) {
			t.Errorf("%s: %v ok=%v not inside", c.name, pt, ok)
		}
	}
	if _, ok := interiorPoint(nil); ok {
		t.Error("nil polygon has a point")
	}
	// Every area of the demo city gets a label point inside it.
	c, _ := demo(t)
	var areas []orb.Polygon
	for _, s := range c.Streets {
		areas = append(areas, s.Geom)
	}
	for _, m := range c.Communities {
		areas = append(areas, m.Geom)
	}
	for _, g := range c.Grids {
		areas = append(areas, g.Geom)
	}
	for _, d := range c.Districts {
		areas = append(areas, d.Geom...)
	}
	for i, a := range areas {
		if pt, ok := interiorPoint(a); !ok || !planar.PolygonContains(a, pt) {
			t.Errorf("area %d: label point %v outside", i, pt)
		}
	}
}

// TestNoPanics feeds a city of broken geometry: NaN, empty and degenerate
// rings, and checks tiles still render without panicking.
func TestNoPanics(t *testing.T) {
	nan := math.NaN()
	c := &data.City{
		Districts: []data.District{{Code: "1", Geom: orb.MultiPolygon{{}, {{{nan, 1}, {2, 2}, {3, 3}, {nan, 1}}}}}},
		Streets:   []data.Street{{Code: "x", Geom: orb.Polygon{{{1, 1}, {1, 1}, {1, 1}}}}},
		Communities: []data.Community{{Code: "2", Geom: orb.Polygon{{{117, 35}, {117.01, 35}, {117.01, 35.01}, {117, 35.01}, {117, 35}},
			{{117.001, 35.001}, {117.001, 35.001}}}}},
		Grids:     []data.Grid{{Code: "3", Geom: nil}, {Code: "4", Geom: orb.Polygon{{{-180, -89}, {180, -89}, {180, 89}, {-180, 89}, {-180, -89}}}}},
		Buildings: []data.Building{{Code: "5", Geom: orb.Polygon{{{inf(), 0}}}}},
		Stations:  []data.Station{{Code: "s", Point: orb.Point{nan, nan}}, {Code: "t", Point: orb.Point{179.9999, 85}}},
		Incidents: []data.Incident{{ID: "i", Point: orb.Point{-180, -85}}},
	}
	c.Index()
	tl, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	for z := 0; z <= MaxZoom; z++ {
		n := 1 << z
		for _, xy := range [][2]int{{0, 0}, {n - 1, n - 1}, {n / 2, n / 2}, {n / 3, n / 5}} {
			b, err := tl.Tile(z, xy[0], xy[1])
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > 0 {
				decode(t, b)
			}
		}
	}
	tl.TileJSON("u")
	tl.Style("u")
	if _, err := New(nil); err == nil {
		t.Error("nil city accepted")
	}
	empty, err := New(&data.City{})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := empty.Tile(0, 0, 0); err != nil || b != nil {
		t.Errorf("empty city tile %v %v", b, err)
	}
	empty.TileJSON("u")
	empty.Style("u")
	empty.Cover(12)
}

func inf() float64 { return math.Inf(1) }

// TestConcurrentTiles renders the same tiles from several goroutines: the
// bytes are identical to a serial render (rendering is deterministic and
// shares no mutable state). Run with -race.
func TestConcurrentTiles(t *testing.T) {
	_, tl := demo(t)
	ks := sample(tl, 14, 8)
	want := make([][]byte, len(ks))
	for i, k := range ks {
		want[i], _ = tl.Tile(14, int(k.X), int(k.Y))
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, k := range ks {
				b, err := tl.Tile(14, int(k.X), int(k.Y))
				if err != nil || !bytes.Equal(b, want[i]) {
					t.Errorf("%v: concurrent render differs (%v)", k, err)
				}
			}
		}()
	}
	wg.Wait()
}
