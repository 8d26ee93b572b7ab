package places

import (
	"fmt"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/paulmach/orb"
)

// The hand-counted fixture: district 370402, streets S1 (370402001) and
// S2 (370402002); communities C1, C2 under S1 and C3 under S2; one grid
// per community; compounds A1–A4 in C1, B1–B3 in C2, E1–E3 in C3, each a
// 0.004° square with one building. Their property history is in
// fixturePlaces; the counts every test expects are worked out by hand in
// the comments there.
const (
	fD  = "370402"
	fS1 = "370402001"
	fS2 = "370402002"
	fC1 = "370402001001"
	fC2 = "370402001002"
	fC3 = "370402002001"
)

var fixtureCompounds = []struct {
	name, comm string
	hh         int
}{
	{"A1", fC1, 100}, {"A2", fC1, 200}, {"A3", fC1, 50}, {"A4", fC1, 50},
	{"B1", fC2, 120}, {"B2", fC2, 80}, {"B3", fC2, 100},
	{"E1", fC3, 300}, {"E2", fC3, 150}, {"E3", fC3, 50},
}

func square(x, y, s float64) orb.Polygon {
	return orb.Polygon{{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}}
}

// code returns a fixture compound's code by its short name.
func code(name string) string {
	for i, c := range fixtureCompounds {
		if c.name == name {
			return fmt.Sprintf("%s001%02d", c.comm, i+1)
		}
	}
	panic("no compound " + name)
}

// centre returns a point inside the fixture compound.
func centre(name string) orb.Point {
	for i, c := range fixtureCompounds {
		if c.name == name {
			return orb.Point{117 + 0.01*float64(i) + 0.002, 35.002}
		}
	}
	panic("no compound " + name)
}

func fixtureCity() *data.City {
	c := &data.City{
		Districts: []data.District{{Code: fD, Name: "市中区"}},
		Streets: []data.Street{
			{Code: fS1, Name: "甲街道", DistrictCode: fD},
			{Code: fS2, Name: "乙街道", DistrictCode: fD},
		},
		Communities: []data.Community{
			{Code: fC1, Name: "一社区", StreetCode: fS1, DistrictCode: fD},
			{Code: fC2, Name: "二社区", StreetCode: fS1, DistrictCode: fD},
			{Code: fC3, Name: "三社区", StreetCode: fS2, DistrictCode: fD},
		},
	}
	for _, cm := range c.Communities {
		c.Grids = append(c.Grids, data.Grid{Code: cm.Code + "001", Name: cm.Name + "第一网格", CommunityCode: cm.Code, StreetCode: cm.StreetCode, DistrictCode: fD})
	}
	for i, fc := range fixtureCompounds {
		cc := code(fc.name)
		x := 117 + 0.01*float64(i)
		c.Compounds = append(c.Compounds, data.Compound{Code: cc, Name: fc.name + "小区", GridCode: fc.comm + "001", CommunityCode: fc.comm, Geom: square(x, 35, 0.004)})
		c.Buildings = append(c.Buildings, data.Building{Code: cc + "001", CompoundCode: cc, GridCode: fc.comm + "001", CommunityCode: fc.comm,
			StreetCode: fc.comm[:9], DistrictCode: fD, Number: 1, Households: fc.hh, Entrance: orb.Point{x + 0.001, 35.001}, Geom: square(x+0.0005, 35.0005, 0.001)})
	}
	c.Stations = []data.Station{
		{Code: fC1 + "001S01", Name: "一社区红色驿站", Kind: data.StationGrid, Status: data.StationBuilt, GridCode: fC1 + "001", CommunityCode: fC1, Point: centre("A1")},
		{Code: fC2 + "001S01", Name: "二社区红色驿站", Kind: data.StationGrid, Status: data.StationPlanned, GridCode: fC2 + "001", CommunityCode: fC2, Point: centre("B1")},
	}
	if err := c.Index(); err != nil {
		panic(err)
	}
	return c
}

// committee makes n members of whom party are party members; the first is
// the chair.
func committee(n, party int) []data.CommitteeMember {
	out := make([]data.CommitteeMember, n)
	for i := range out {
		out[i] = data.CommitteeMember{Name: fmt.Sprintf("委员%d", i+1), Role: "委员", PartyMember: i < party}
	}
	out[0].Role = "主任"
	return out
}

func rec(name, from, status, company string, members []data.CommitteeMember) data.PropertyRecord {
	return data.PropertyRecord{CompoundCode: code(name), From: from, Status: status, CompanyCode: company, Committee: members != nil, Members: members}
}

// fixturePlaces is the property history.
//
// Companies: PC0001 none from 2019-01-01, independent from 2021-01-01;
// PC0002 joint from 2020-06-01 (no record before); PC0003 joint from
// 2025-01-01 (no record before).
//
// Compounds from 2019-12-01 (E3 only from 2022-03-01):
//
//	A1 managed PC0001, committee 5 (3 party: 60%, meets)
//	A2 managed PC0002
//	A3 none;       from 2021-05-01 managed PC0002, committee 5 (5 party)
//	A4 abandoned;  from 2022-01-01 managed PC0003
//	B1 managed PC0001, committee 5 (2 party: 40%); from 2024-01-01 5 (4 party)
//	B2 self
//	B3 none;       from 2023-01-01 self
//	E1 managed PC0003, committee 7 (5 party)
//	E2 managed PC0001
//	E3 (none before) from 2022-03-01 managed PC0002, committee 5 (3 party)
func fixturePlaces() *data.Places {
	const d0 = "2019-12-01"
	m, n, ab, self := data.PropertyManaged, data.PropertyNone, data.PropertyAbandoned, data.PropertySelf
	return &data.Places{
		Companies: []data.PropertyCompany{{Code: "PC0001", Name: "甲物业"}, {Code: "PC0002", Name: "乙物业"}, {Code: "PC0003", Name: "丙物业"}},
		CompanyRecords: []data.CompanyRecord{
			{CompanyCode: "PC0001", From: "2019-01-01", PartyOrg: data.PartyOrgNone},
			{CompanyCode: "PC0001", From: "2021-01-01", PartyOrg: data.PartyOrgIndependent, PartyOrgName: "甲物业党支部"},
			{CompanyCode: "PC0002", From: "2020-06-01", PartyOrg: data.PartyOrgJoint},
			{CompanyCode: "PC0003", From: "2025-01-01", PartyOrg: data.PartyOrgJoint},
		},
		Property: []data.PropertyRecord{
			rec("A1", d0, m, "PC0001", committee(5, 3)),
			rec("A2", d0, m, "PC0002", nil),
			rec("A3", d0, n, "", nil),
			rec("A3", "2021-05-01", m, "PC0002", committee(5, 5)),
			rec("A4", d0, ab, "", nil),
			rec("A4", "2022-01-01", m, "PC0003", nil),
			rec("B1", d0, m, "PC0001", committee(5, 2)),
			rec("B1", "2024-01-01", m, "PC0001", committee(5, 4)),
			rec("B2", d0, self, "", nil),
			rec("B3", d0, n, "", nil),
			rec("B3", "2023-01-01", self, "", nil),
			rec("E1", d0, m, "PC0003", committee(7, 5)),
			rec("E2", d0, m, "PC0001", nil),
			rec("E3", "2022-03-01", m, "PC0002", committee(5, 3)),
		},
	}
}

func mustTime(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, CST)
	if err != nil {
		panic(err)
	}
	return t
}
