package gpkg

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
)

// rect returns a counter-clockwise closed ring.
func rect(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// smallCity is a hand-made city that sets every field of every layer.
func smallCity() *data.City {
	t0 := time.Date(2026, 3, 1, 8, 30, 15, 123_000_000, time.UTC)
	return &data.City{
		Meta: map[string]string{"seed": "42", "scale": "small", "version": "1"},
		Districts: []data.District{{
			Code: "370402", Name: "市中区", Seat: orb.Point{117.55, 34.86},
			Geom: orb.MultiPolygon{
				{rect(117.50, 34.80, 117.60, 34.90)},
				{rect(117.61, 34.80, 117.65, 34.84), rect(117.62, 34.81, 117.63, 34.82)},
			},
		}},
		Streets: []data.Street{{Code: "370402001", Name: "中心街街道", DistrictCode: "370402",
			Geom: orb.Polygon{rect(117.50, 34.80, 117.55, 34.85)}}},
		Communities: []data.Community{{Code: "370402001013", Name: "光明路社区", StreetCode: "370402001", DistrictCode: "370402",
			Geom: orb.Polygon{rect(117.50, 34.80, 117.52, 34.82)}}},
		Grids: []data.Grid{
			{
				Code: "370402001013001", Name: "光明路社区第一网格", CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
				Seq: 1, Geom: orb.Polygon{rect(117.50, 34.81, 117.51, 34.82), rect(117.502, 34.812, 117.503, 34.813)},
				Head:          data.Person{Name: "张伟", Phone: "13812345678", Title: "网格党支部书记"},
				Team:          []data.Person{{Name: "李娜", Phone: "13900001111", Title: "专职网格员"}, {Name: "王强", Title: "兼职网格员"}},
				VolunteerTeam: "光明先锋队", Volunteers: 12, Buildings: 2, Households: 96, Population: 250,
			},
			{
				Code: "370402001013002", Name: "光明路社区第二网格", CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
				Seq: 2, Geom: orb.Polygon{rect(117.51, 34.81, 117.52, 34.82)},
				Head: data.Person{Name: "赵敏"},
			},
		},
		Compounds: []data.Compound{{
			Code: "37040200101300101", Name: "幸福家园", Aliases: []string{"幸福小区", "幸福家园小区"},
			GridCode: "370402001013001", CommunityCode: "370402001013",
			PropertyStatus: data.PropertyManaged, PropertyCompany: "枣庄物业", OwnersCommittee: true, PartyOrg: true,
			Geom: orb.Polygon{rect(117.501, 34.811, 117.509, 34.819)},
		}},
		Buildings: []data.Building{
			{
				Code: "37040200101300101001", CompoundCode: "37040200101300101", GridCode: "370402001013001",
				CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
				Number: 1, Road: "光明路", HouseNumber: 18, Units: 3, Floors: 6, Households: 36, Population: 90,
				Entrance: orb.Point{117.5015, 34.8115}, Geom: orb.Polygon{rect(117.5012, 34.8112, 117.5018, 34.8118)},
			},
			{
				Code: "37040200101300101002", CompoundCode: "37040200101300101", GridCode: "370402001013001",
				CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
				Number: 2, Road: "光明路", HouseNumber: 18, Units: 2, Floors: 11, Households: 60, Population: 160,
				Entrance: orb.Point{117.5025, 34.8115}, Geom: orb.Polygon{rect(117.5022, 34.8112, 117.5028, 34.8118)},
			},
		},
		Roads: []data.Road{{
			ID: 7, Name: "光明路", Class: data.RoadMain, FromNode: 1, ToNode: 2,
			LeftFrom: 1, LeftTo: 99, RightFrom: 2, RightTo: 98,
			Geom: orb.LineString{{117.50, 34.81}, {117.51, 34.8101}, {117.52, 34.81}},
		}},
		Stations: []data.Station{{
			Code: "S370402001013001", Name: "光明路红色驿站", Kind: data.StationGrid, Status: data.StationBuilt, Stars: 4,
			GridCode: "370402001013001", CommunityCode: "370402001013", Point: orb.Point{117.505, 34.815},
		}},
		Cadres: []data.Cadre{
			{ID: "C0001", Name: "孙立", Unit: "区发改局", Rank: "正科级", Phone: "13700000001",
				GridCodes: []string{"370402001013002", "370402001013001"}},
			{ID: "C0002", Name: "周全", Unit: "区财政局", Rank: "副科级", Phone: "13700000002"},
		},
		ReportingUnits: []data.ReportingUnit{{Code: "RU001", Name: "区教育局", Level: "district", Members: 35,
			CommunityCodes: []string{"370402001013"}}},
		Incidents: []data.Incident{{
			ID: "I20260301-0001", Module: data.ModuleLivelihood, Category: "路灯损坏", Description: "3号楼前路灯不亮",
			Status: "dispatched", Point: orb.Point{117.5021, 34.8119}, Address: "光明路18号幸福家园2号楼",
			GridCode: "370402001013001", CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
			Departments: []string{"市政", "供电"}, ReportedAt: t0, UpdatedAt: t0.Add(90 * time.Minute),
		}},
	}
}

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
