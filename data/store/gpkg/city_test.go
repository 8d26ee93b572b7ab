package gpkg

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/store/storetest"
)

var (
	rect      = storetest.Rect
	smallCity = storetest.SmallCity
)

// synthCity builds a city of grids grid squares, each with buildingsPer
// buildings in one compound, plus roads, stations, cadres and incidents in
// roughly the demo city's proportions.
func synthCity(grids, buildingsPer int) *data.City {
	const side = 0.004 // degrees per grid square
	cols := 35
	c := &data.City{Meta: map[string]string{"seed": "1", "scale": "bench"}}
	c.Districts = []data.District{{Code: "370402", Name: "市中区", Seat: orb.Point{117.5, 34.8},
		Geom: orb.MultiPolygon{{rect(117.5, 34.8, 117.5+side*float64(cols), 34.8+side*float64(grids/cols+1))}}}}
	c.Streets = []data.Street{{Code: "370402001", Name: "街道", DistrictCode: "370402", Geom: c.Districts[0].Geom[0]}}
	const perCommunity = 30
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < grids; i++ {
		x0 := 117.5 + side*float64(i%cols)
		y0 := 34.8 + side*float64(i/cols)
		cc := fmt.Sprintf("370402001%03d", i/perCommunity+1)
		if i%perCommunity == 0 {
			c.Communities = append(c.Communities, data.Community{Code: cc, Name: "社区" + cc, StreetCode: "370402001", DistrictCode: "370402",
				Geom: orb.Polygon{rect(x0, y0, x0+side*perCommunity, y0+side)}})
		}
		gc := fmt.Sprintf("%s%03d", cc, i%perCommunity+1)
		c.Grids = append(c.Grids, data.Grid{Code: gc, Name: "网格" + gc, CommunityCode: cc, StreetCode: "370402001", DistrictCode: "370402",
			Seq: i%perCommunity + 1, Geom: orb.Polygon{rect(x0, y0, x0+side, y0+side)},
			Head: data.Person{Name: "张伟", Phone: "13812345678", Title: "网格长"},
			Team: []data.Person{{Name: "李娜", Title: "专职网格员"}}, Volunteers: 10, Buildings: buildingsPer, Households: 30 * buildingsPer})
		cp := gc + "01"
		c.Compounds = append(c.Compounds, data.Compound{Code: cp, Name: "小区" + gc, GridCode: gc, CommunityCode: cc,
			PropertyStatus: data.PropertyManaged, Geom: orb.Polygon{rect(x0+side*0.05, y0+side*0.05, x0+side*0.95, y0+side*0.95)}})
		for b := 0; b < buildingsPer; b++ {
			bx := x0 + side*(0.1+0.08*float64(b))
			c.Buildings = append(c.Buildings, data.Building{Code: fmt.Sprintf("%s%03d", cp, b+1), CompoundCode: cp, GridCode: gc,
				CommunityCode: cc, StreetCode: "370402001", DistrictCode: "370402", Number: b + 1, Road: "光明路", HouseNumber: i + 1,
				Units: 3, Floors: 6, Households: 36, Population: 90, Entrance: orb.Point{bx, y0 + side*0.2},
				Geom: orb.Polygon{rect(bx, y0+side*0.25, bx+side*0.05, y0+side*0.4)}})
		}
		for r := 0; r < 7; r++ {
			id := int64(len(c.Roads) + 1)
			c.Roads = append(c.Roads, data.Road{ID: id, Name: "路", Class: data.RoadBranch, FromNode: id, ToNode: id + 1,
				Geom: orb.LineString{{x0, y0 + side*float64(r)/7}, {x0 + side/2, y0 + side*float64(r)/7}, {x0 + side, y0 + side*float64(r)/7}}})
		}
		if i%5 < 4 {
			c.Stations = append(c.Stations, data.Station{Code: "S" + gc, Name: "驿站", Kind: data.StationGrid, Status: data.StationBuilt,
				Stars: 3, GridCode: gc, CommunityCode: cc, Point: orb.Point{x0 + side/2, y0 + side/2}})
		}
		for k := 0; k < 2; k++ {
			c.Cadres = append(c.Cadres, data.Cadre{ID: fmt.Sprintf("C%05d", len(c.Cadres)+1), Name: "干部", Unit: "局", Rank: "正科级",
				GridCodes: []string{gc}})
		}
		for k := 0; k < 3; k++ {
			c.Incidents = append(c.Incidents, data.Incident{ID: fmt.Sprintf("I%06d", len(c.Incidents)+1), Module: data.ModuleLivelihood,
				Category: "路灯", Status: "reported", Point: orb.Point{x0 + side*0.3, y0 + side*0.7}, GridCode: gc, CommunityCode: cc,
				StreetCode: "370402001", DistrictCode: "370402", Departments: []string{"市政"}, ReportedAt: t0.Add(time.Duration(i) * time.Minute)})
		}
	}
	return c
}
