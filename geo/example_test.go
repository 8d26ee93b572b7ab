package geo_test

import (
	"errors"
	"fmt"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/geo"
	"github.com/paulmach/orb"
)

func ExampleWGS84ToGCJ02() {
	wgs := orb.Point{117.323, 34.810} // Xuecheng, Zaozhuang
	gcj := geo.WGS84ToGCJ02(wgs)
	back := geo.GCJ02ToWGS84(gcj)
	fmt.Printf("GCJ-02 %.6f,%.6f, shifted %.0f m\n", gcj[0], gcj[1], geo.Distance(wgs, gcj))
	fmt.Printf("round trip error < 1 mm: %v\n", geo.Distance(wgs, back) < 1e-3)
	// Output:
	// GCJ-02 117.328908,34.809203, shifted 547 m
	// round trip error < 1 mm: true
}

func ExampleValidPolygon() {
	bowtie := orb.Polygon{{{117, 34}, {117.01, 34.01}, {117.01, 34}, {117, 34.01}, {117, 34}}}
	err := geo.ValidPolygon(bowtie)
	fmt.Println(err, errors.Is(err, geo.ErrSelfIntersection))
	// Output:
	// ring 0: self-intersecting ring true
}

func ExampleValidatePartition() {
	// A community 0.004° × 0.002° split into two grids that share the
	// vertices of their common edge.
	a, b, c := 117.500, 117.502, 117.504
	s, n := 34.850, 34.852
	community := orb.Polygon{{{a, s}, {b, s}, {c, s}, {c, n}, {b, n}, {a, n}, {a, s}}}
	west := orb.Polygon{{{a, s}, {b, s}, {b, n}, {a, n}, {a, s}}}
	east := orb.Polygon{{{b, s}, {c, s}, {c, n}, {b, n}, {b, s}}}
	codes := []string{"370402001013001", "370402001013002"}

	ps := geo.ValidatePartition(community, "370402001013", []orb.Polygon{west, east}, codes, data.LayerGrids, 0)
	fmt.Println(len(ps), "problems")

	// Pull the west grid's east edge back by 0.0001°: a gap opens.
	west = orb.Polygon{{{a, s}, {b - 0.0001, s}, {b - 0.0001, n}, {a, n}, {a, s}}}
	for _, p := range geo.ValidatePartition(community, "370402001013", []orb.Polygon{west, east}, codes, data.LayerGrids, 0) {
		fmt.Println(p.Check, p.Other)
	}
	// Output:
	// 0 problems
	// gap 370402001013
}

func ExampleValidateCity() {
	sq := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
	}
	c := &data.City{
		Districts:   []data.District{{Code: "370402", Geom: orb.MultiPolygon{sq(117.4, 34.8, 117.6, 34.9)}}},
		Streets:     []data.Street{{Code: "370402001", DistrictCode: "370402", Geom: sq(117.5, 34.85, 117.502, 34.852)}},
		Communities: []data.Community{{Code: "370402001013", StreetCode: "370402001", DistrictCode: "370402", Geom: sq(117.5, 34.85, 117.502, 34.852)}},
		Grids: []data.Grid{{
			Code: "370402001013001", CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
			Geom: sq(117.5, 34.85, 117.502, 34.852), Head: data.Person{Name: "李娜"}, Buildings: 1, Households: 30,
		}},
		Buildings: []data.Building{{
			Code: "37040200101300101001", GridCode: "370402001013001", CommunityCode: "370402001013",
			StreetCode: "370402001", DistrictCode: "370402", Households: 30,
			Entrance: orb.Point{117.5008, 34.8508}, Geom: sq(117.5008, 34.8508, 117.5012, 34.8512),
		}},
	}
	r := geo.ValidateCity(c, geo.ValidateOptions{Expect: map[string]int{data.LayerGrids: 1}})
	fmt.Println(r.OK, len(r.Problems))

	c.Grids[0].Head = data.Person{}
	r = geo.ValidateCity(c, geo.ValidateOptions{})
	for _, p := range r.Problems {
		fmt.Println(p)
	}
	// Output:
	// true 0
	// head grids 370402001013001: no grid head
}
