package geo_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

// twoGrids is a city of two 0.01° grids side by side, sharing an edge at
// lon 117.01.
func twoGrids() *data.City {
	sq := func(x float64) orb.Polygon {
		return orb.Polygon{{{x, 34}, {x + 0.01, 34}, {x + 0.01, 34.01}, {x, 34.01}, {x, 34}}}
	}
	return &data.City{
		Districts:   []data.District{{Code: "370402", Geom: orb.MultiPolygon{{{{116.9, 33.9}, {117.1, 33.9}, {117.1, 34.1}, {116.9, 34.1}, {116.9, 33.9}}}}}},
		Streets:     []data.Street{{Code: "370402001", DistrictCode: "370402"}},
		Communities: []data.Community{{Code: "370402001001", StreetCode: "370402001", DistrictCode: "370402"}},
		Grids: []data.Grid{
			{Code: "370402001001001", CommunityCode: "370402001001", StreetCode: "370402001", DistrictCode: "370402", Geom: sq(117.00)},
			{Code: "370402001001002", CommunityCode: "370402001001", StreetCode: "370402001", DistrictCode: "370402", Geom: sq(117.01)},
		},
	}
}

func ExampleIndex_Locate() {
	c := twoGrids()
	ix, err := geo.NewIndex(c)
	if err != nil {
		panic(err)
	}
	for _, p := range []orb.Point{
		{117.005, 34.005},  // inside the west grid
		{117.01, 34.005},   // on the shared edge: the grid to the east
		{117.0205, 34.005}, // about 46 m east of the city
		{117.05, 34.005},   // far outside every grid, but in the district
	} {
		r := ix.Locate(p)
		switch r.Match {
		case geo.MatchInside:
			fmt.Println(r.Match, c.Grids[r.Grid].Code)
		case geo.MatchNearest:
			fmt.Printf("%s %s %.0f m\n", r.Match, c.Grids[r.Nearest].Code, r.DistanceM)
		default:
			fmt.Println(r.Match, "district", c.Districts[r.District].Code)
		}
	}
	// Output:
	// inside 370402001001001
	// inside 370402001001002
	// nearest 370402001001002 46 m
	// none district 370402
}

func ExampleLocateCSV() {
	ix, err := geo.NewIndex(twoGrids())
	if err != nil {
		panic(err)
	}
	in := "id,lon,lat\na,117.005,34.005\nb,117.0205,34.005\nc,oops,34\n"
	var errs strings.Builder
	st, err := geo.LocateCSV(context.Background(), strings.NewReader(in), os.Stdout, ix, geo.BatchOptions{Errors: &errs})
	fmt.Print(errs.String())
	fmt.Println(st.Rows, st.Errors, err)
	// Output:
	// id,grid_code,community_code,street_code,district_code,match,distance_m
	// a,370402001001001,370402001001,370402001,370402,inside,0
	// b,370402001001002,,,370402,nearest,46.1
	// c,,,,,error,
	// line 4: lon "oops" is not a number
	// 3 1 <nil>
}
