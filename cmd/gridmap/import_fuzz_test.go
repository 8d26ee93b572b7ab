package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/geo"
)

var (
	fuzzCityOnce sync.Once
	fuzzCity     *data.City
)

// FuzzImportGeoJSON: any file given to import is refused with an error or
// read into a city that validation then judges; never a panic.
func FuzzImportGeoJSON(f *testing.F) {
	fuzzCityOnce.Do(func() {
		c, err := synth.City(synth.Options{Seed: 1, Incidents: 10})
		if err != nil {
			f.Fatal(err)
		}
		fuzzCity = c
	})
	c := fuzzCity
	// seeds: three real grids, and broken variants
	var feats []json.RawMessage
	for i := 0; i < 3; i++ {
		ft, _ := features.Feature(c, data.LayerGrids, i, features.Options{})
		b, _ := json.Marshal(ft)
		feats = append(feats, b)
	}
	good, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": feats})
	f.Add(good, uint8(0))
	for _, s := range []string{`{}`, `{"type":"FeatureCollection"}`, `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"code":"x"}}]}`,
		`{"type":"FeatureCollection","crs":{"properties":{"name":"EPSG:3857"}},"features":[]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"},"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,2],[1,1]]]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"},"geometry":{"type":"MultiPolygon","coordinates":[]}}]}`,
		`[`, `null`} {
		f.Add([]byte(s), uint8(1))
	}
	layers := []string{data.LayerGrids, data.LayerCommunities, data.LayerStreets}
	f.Fuzz(func(t *testing.T, b []byte, layer uint8) {
		file := filepath.Join(t.TempDir(), "in.geojson")
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		next, err := fromGeoJSON(c, file, layers[int(layer)%len(layers)])
		if err != nil {
			return
		}
		rep := geo.ValidateCity(next, geo.ValidateOptions{})
		_ = fmt.Sprint(rep.OK)
	})
}
