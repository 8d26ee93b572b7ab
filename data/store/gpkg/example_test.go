package gpkg_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store/gpkg"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "gridmap")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	// Opening a missing file creates an empty GeoPackage.
	g, err := gpkg.Open(filepath.Join(dir, "city.gpkg"))
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()

	square := orb.Polygon{{{117.50, 34.81}, {117.51, 34.81}, {117.51, 34.82}, {117.50, 34.82}, {117.50, 34.81}}}
	err = g.Append(ctx, &data.City{
		Meta:  map[string]string{"seed": "42"},
		Grids: []data.Grid{{Code: "370402001013001", Name: "第一网格", CommunityCode: "370402001013", Seq: 1, Geom: square}},
		Stations: []data.Station{{Code: "S1", Name: "红色驿站", Kind: data.StationGrid, Status: data.StationBuilt,
			Stars: 4, GridCode: "370402001013001", Point: orb.Point{117.505, 34.815}}},
	})
	if err != nil {
		log.Fatal(err)
	}

	city, err := g.Load(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(city.Grids), "grid,", len(city.Stations), "station, seed", city.Meta["seed"])
	fmt.Println(city.Grid("370402001013001").Name)
	// Output:
	// 1 grid, 1 station, seed 42
	// 第一网格
}
