package tiles_test

import (
	"bytes"
	"context"
	"fmt"
	"log"

	"github.com/gridmap/gridmap/data/synth"
	"github.com/gridmap/gridmap/tiles"
	"github.com/paulmach/orb/encoding/mvt"
)

// Render one tile of the demo city, read it back, and bake the urban area
// at two zooms into a PMTiles archive.
func Example() {
	city, err := synth.City(synth.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	t, err := tiles.New(city)
	if err != nil {
		log.Fatal(err)
	}
	k := t.Cover(12)[0]
	b, err := t.Tile(12, int(k.X), int(k.Y))
	if err != nil {
		log.Fatal(err)
	}
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("layers in the first z12 tile:", len(layers) > 0)

	_, err = t.Tile(17, 0, 0)
	fmt.Println(err)

	var archive bytes.Buffer
	st, err := t.BakePMTiles(context.Background(), &archive, tiles.BakeOptions{MinZoom: 10, MaxZoom: 11})
	if err != nil {
		log.Fatal(err)
	}
	r, err := tiles.OpenPMTiles(bytes.NewReader(archive.Bytes()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("archive tiles:", r.Header().AddressedTilesCount == uint64(st.Written))
	// Output:
	// layers in the first z12 tile: true
	// tiles: tile coordinates out of range: zoom 17 not in 0..16
	// archive tiles: true
}
