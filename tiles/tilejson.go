package tiles

import (
	"math"
	"slices"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TileJSON is a TileJSON 3.0.0 document.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version,omitempty"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one layer in TileJSON.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// CenterZoom is the zoom TileJSON and the style open at.
const CenterZoom = 11

// TileJSON describes the tiles served at tileURL, a template with {z},
// {x} and {y}, e.g. "http://host/tiles/{z}/{x}/{y}.mvt".
func (t *Tiler) TileJSON(tileURL string) TileJSON {
	b := t.bound
	if b.Min[0] > b.Max[0] {
		b = orb.Bound{}
	}
	u := t.urban
	if u.Min[0] > u.Max[0] {
		u = b
	}
	c := u.Center()
	tj := TileJSON{
		TileJSON:    "3.0.0",
		Name:        "gridmap",
		Description: "city grid governance: districts, streets, communities, grids, buildings, stations, incidents",
		Version:     t.version,
		Scheme:      "xyz",
		Tiles:       []string{tileURL},
		MinZoom:     MinZoom,
		MaxZoom:     MaxZoom,
		Bounds:      [4]float64{round6(b.Min[0]), round6(b.Min[1]), round6(b.Max[0]), round6(b.Max[1])},
		Center:      [3]float64{round6(c[0]), round6(c[1]), CenterZoom},
	}
	for _, l := range t.Layers() {
		tj.VectorLayers = append(tj.VectorLayers, VectorLayer{ID: l.Name, Description: l.Description,
			MinZoom: l.MinZoom, MaxZoom: l.MaxZoom, Fields: l.Fields})
	}
	return tj
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// Cover returns the tiles of zoom z that intersect the urban area: the
// bounds of the streets (or communities, or grids when there are none), in
// x then y order. Invalid zooms give none.
func (t *Tiler) Cover(z int) []maptile.Tile {
	if z < MinZoom || z > MaxZoom {
		return nil
	}
	var l *layerData
	for _, name := range []string{LayerStreets, LayerCommunities, LayerGrids, LayerDistricts} {
		if l = t.layer(name); l != nil && l.index.Len() > 0 {
			break
		}
	}
	if l == nil {
		return nil
	}
	seen := map[maptile.Tile]bool{}
	n := float64(uint64(1) << z)
	last := int(n) - 1
	cl := func(v float64) int { return max(0, min(last, int(math.Floor(v*n)))) }
	l.index.Scan(func(lo, hi [2]float64, _ int32) bool {
		for x := cl(lo[0]); x <= cl(hi[0]); x++ {
			for y := cl(lo[1]); y <= cl(hi[1]); y++ {
				seen[maptile.New(uint32(x), uint32(y), maptile.Zoom(z))] = true
			}
		}
		return true
	})
	out := make([]maptile.Tile, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].X != out[j].X {
			return out[i].X < out[j].X
		}
		return out[i].Y < out[j].Y
	})
	return out
}

// Touching returns, for every zoom of the pyramid, the tiles whose area
// with its buffer intersects the lon/lat bound b: the tiles a change
// inside b can alter.
func Touching(b orb.Bound, minZoom, maxZoom int) []maptile.Tile {
	minZoom, maxZoom = max(minZoom, MinZoom), min(maxZoom, MaxZoom)
	lo, hi := project(orb.Point{b.Min[0], b.Max[1]}), project(orb.Point{b.Max[0], b.Min[1]})
	var out []maptile.Tile
	for z := minZoom; z <= maxZoom; z++ {
		n := float64(uint64(1) << z)
		pad := float64(Buffer) / Extent
		last := int(n) - 1
		cl := func(v float64) int { return max(0, min(last, int(math.Floor(v)))) }
		for x := cl(lo[0]*n - pad); x <= cl(hi[0]*n+pad); x++ {
			for y := cl(lo[1]*n - pad); y <= cl(hi[1]*n+pad); y++ {
				out = append(out, maptile.New(uint32(x), uint32(y), maptile.Zoom(z)))
			}
		}
	}
	return out
}

// Style returns a MapLibre GL style (version 8) for a dark command-centre
// wall map over the tiles described at tileJSONURL. It uses no glyphs and
// no sprites, so it renders with no internet: areas are fills and lines,
// stations and incidents circles, and the labels layer is drawn as small
// anchor dots until glyphs are served from the binary.
func (t *Tiler) Style(tileJSONURL string) map[string]any {
	u := t.urban
	if u.Min[0] > u.Max[0] {
		u = orb.Bound{}
	}
	c := u.Center()
	// Grids are coloured by households through the city's quintiles.
	ramp := []string{"#0d1b2a", "#123c69", "#1d6fa3", "#2aa6b8", "#7fd3a8", "#e6f59d"}
	q := slices.Clone(t.quant)
	if len(q) < 2 {
		q = []float64{0, 1}
	}
	fillColor := []any{"interpolate", []any{"linear"}, []any{"to-number", []any{"get", "households"}, 0}}
	for i, v := range q {
		fillColor = append(fillColor, v, ramp[min(len(ramp)-1, i*(len(ramp)-1)/max(1, len(q)-1))])
	}
	src := "gridmap"
	lay := func(m map[string]any) map[string]any {
		if m["type"] != "background" {
			m["source"] = src
		}
		return m
	}
	layers := []any{
		map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#05080d"}},
		lay(map[string]any{"id": "districts-fill", "type": "fill", "source-layer": LayerDistricts,
			"paint": map[string]any{"fill-color": "#0b1220", "fill-opacity": 1}}),
		lay(map[string]any{"id": "grids-fill", "type": "fill", "source-layer": LayerGrids, "minzoom": 11,
			"paint": map[string]any{"fill-color": fillColor, "fill-opacity": 0.85}}),
		lay(map[string]any{"id": "grids-uncovered", "type": "line", "source-layer": LayerGrids, "minzoom": 13,
			"filter": []any{"==", []any{"get", "covered"}, false},
			"paint":  map[string]any{"line-color": "#ff9f1c", "line-width": 1.5, "line-dasharray": []any{2, 2}}}),
		lay(map[string]any{"id": "grids-line", "type": "line", "source-layer": LayerGrids, "minzoom": 12,
			"paint": map[string]any{"line-color": "#4a6fa5", "line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 12, 0.3, 16, 1.2}, "line-opacity": 0.7}}),
		lay(map[string]any{"id": "buildings", "type": "fill", "source-layer": LayerBuildings, "minzoom": 15,
			"paint": map[string]any{"fill-color": "#8fa8c8", "fill-opacity": 0.35, "fill-outline-color": "#c8d6e8"}}),
		lay(map[string]any{"id": "communities-line", "type": "line", "source-layer": LayerCommunities, "minzoom": 10,
			"paint": map[string]any{"line-color": "#7aa2d6", "line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 10, 0.5, 16, 2}}}),
		lay(map[string]any{"id": "streets-line", "type": "line", "source-layer": LayerStreets, "minzoom": 8,
			"paint": map[string]any{"line-color": "#b8c7dc", "line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 0.8, 16, 3}}}),
		lay(map[string]any{"id": "districts-line", "type": "line", "source-layer": LayerDistricts,
			"paint": map[string]any{"line-color": "#f2f5f9", "line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 6, 1, 16, 4}}}),
		lay(map[string]any{"id": "stations", "type": "circle", "source-layer": LayerStations, "minzoom": 11,
			"paint": map[string]any{
				"circle-radius":       []any{"interpolate", []any{"linear"}, []any{"zoom"}, 11, 2, 16, 7},
				"circle-color":        []any{"match", []any{"get", "status"}, "built", "#3ddc97", "planned", "#6c757d", "#ffffff"},
				"circle-stroke-color": []any{"match", []any{"get", "kind"}, "community_centre", "#ffd166", "#0b1220"},
				"circle-stroke-width": 1.5,
			}}),
		lay(map[string]any{"id": "incidents-open", "type": "circle", "source-layer": LayerIncidents, "minzoom": 12,
			"filter": []any{"==", []any{"get", "open"}, true},
			"paint": map[string]any{
				"circle-radius":       []any{"interpolate", []any{"linear"}, []any{"zoom"}, 12, 2.5, 16, 6},
				"circle-color":        []any{"match", []any{"get", "status"}, "reported", "#ef233c", "dispatched", "#ff9f1c", "responded", "#ffd166", "#ef233c"},
				"circle-stroke-color": "#05080d",
				"circle-stroke-width": 1,
			}}),
		lay(map[string]any{"id": "labels-anchor", "type": "circle", "source-layer": LayerLabels,
			"filter": []any{"match", []any{"get", "kind"}, []any{"district", "street"}, true, false},
			"paint":  map[string]any{"circle-radius": 2, "circle-color": "#f2f5f9", "circle-opacity": 0.6}}),
	}
	return map[string]any{
		"version": 8,
		"name":    "gridmap dark",
		"metadata": map[string]any{
			"gridmap:note": "offline: no glyphs or sprites; names are in the labels layer for a later text layer",
		},
		"center": []any{round6(c[0]), round6(c[1])},
		"zoom":   CenterZoom,
		"sources": map[string]any{
			src: map[string]any{"type": "vector", "url": tileJSONURL},
		},
		"layers": layers,
	}
}
