package storetest

import (
	"time"

	"github.com/paulmach/orb"

	"github.com/gridmap/gridmap/data"
)

// Rect returns a counter-clockwise closed ring.
func Rect(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// SmallCity is a hand-made city that sets every field of every layer.
func SmallCity() *data.City {
	t0 := time.Date(2026, 3, 1, 8, 30, 15, 123_000_000, time.UTC)
	return &data.City{
		Meta: map[string]string{"seed": "42", "scale": "small", "version": "1"},
		Districts: []data.District{{
			Code: "370402", Name: "市中区", Seat: orb.Point{117.55, 34.86},
			Geom: orb.MultiPolygon{
				{Rect(117.50, 34.80, 117.60, 34.90)},
				{Rect(117.61, 34.80, 117.65, 34.84), Rect(117.62, 34.81, 117.63, 34.82)},
			},
		}},
		Streets: []data.Street{{Code: "370402001", Name: "中心街街道", DistrictCode: "370402",
			Geom: orb.Polygon{Rect(117.50, 34.80, 117.55, 34.85)}}},
		Communities: []data.Community{{Code: "370402001013", Name: "光明路社区", StreetCode: "370402001", DistrictCode: "370402",
			Geom: orb.Polygon{Rect(117.50, 34.80, 117.52, 34.82)}}},
		Grids: []data.Grid{
			{
				Code: "370402001013001", Name: "光明路社区第一网格", CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
				Seq: 1, Geom: orb.Polygon{Rect(117.50, 34.81, 117.51, 34.82), Rect(117.502, 34.812, 117.503, 34.813)},
				Head:          data.Person{Name: "张伟", Phone: "13812345678", Title: "网格党支部书记"},
				Team:          []data.Person{{Name: "李娜", Phone: "13900001111", Title: "专职网格员"}, {Name: "王强", Title: "兼职网格员"}},
				VolunteerTeam: "光明先锋队", Volunteers: 12, Buildings: 2, Households: 96, Population: 250,
			},
			{
				Code: "370402001013002", Name: "光明路社区第二网格", CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
				Seq: 2, Geom: orb.Polygon{Rect(117.51, 34.81, 117.52, 34.82)},
				Head: data.Person{Name: "赵敏"},
			},
		},
		Compounds: []data.Compound{{
			Code: "37040200101300101", Name: "幸福家园", Aliases: []string{"幸福小区", "幸福家园小区"},
			GridCode: "370402001013001", CommunityCode: "370402001013",
			PropertyStatus: data.PropertyManaged, PropertyCompany: "枣庄物业", OwnersCommittee: true, PartyOrg: true,
			Geom: orb.Polygon{Rect(117.501, 34.811, 117.509, 34.819)},
		}},
		Buildings: []data.Building{
			{
				Code: "37040200101300101001", CompoundCode: "37040200101300101", GridCode: "370402001013001",
				CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
				Number: 1, Road: "光明路", HouseNumber: 18, Units: 3, Floors: 6, Households: 36, Population: 90,
				Entrance: orb.Point{117.5015, 34.8115}, Geom: orb.Polygon{Rect(117.5012, 34.8112, 117.5018, 34.8118)},
			},
			{
				Code: "37040200101300101002", CompoundCode: "37040200101300101", GridCode: "370402001013001",
				CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402",
				Number: 2, Road: "光明路", HouseNumber: 18, Units: 2, Floors: 11, Households: 60, Population: 160,
				Entrance: orb.Point{117.5025, 34.8115}, Geom: orb.Polygon{Rect(117.5022, 34.8112, 117.5028, 34.8118)},
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
		POIs: []data.POI{{
			Code: "370402001013001P01", Name: "光明路小学", Aliases: []string{"光明小学"}, Kind: data.POISchool,
			GridCode: "370402001013001", CommunityCode: "370402001013", Road: "光明路", HouseNumber: 12,
			Point: orb.Point{117.5052, 34.8152},
			Geom:  orb.Polygon{{{117.5050, 34.8150}, {117.5054, 34.8150}, {117.5054, 34.8154}, {117.5050, 34.8154}, {117.5050, 34.8150}}},
			Gates: []data.Gate{{Name: "南门", Point: orb.Point{117.5052, 34.81505}}, {Name: "东门", Point: orb.Point{117.50535, 34.8152}}},
		}, {
			Code: "370402001013001P02", Name: "光明路青檀路口站", Aliases: []string{}, Kind: data.POIBusStop,
			GridCode: "370402001013001", CommunityCode: "370402001013", Road: "光明路", Point: orb.Point{117.5058, 34.8149},
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
