package places_test

import (
	"fmt"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/places"
)

// An owners' committee meets the rule when at least 60% of its members
// are party members.
func ExampleCheckCommittee() {
	ms := []data.CommitteeMember{
		{Name: "张伟", Role: "主任", PartyMember: true}, {Name: "李娜", Role: "副主任", PartyMember: true},
		{Name: "王强", Role: "委员", PartyMember: true}, {Name: "刘洋", Role: "委员"}, {Name: "陈静", Role: "委员"},
	}
	s := places.CheckCommittee(ms)
	fmt.Println(s.Party, s.Members, s.Share, s.OK)
	// Output: 3 5 0.6 true
}

// Opening hours are written by weekday groups and spans.
func ExampleParseHours() {
	h, err := places.ParseHours("1-5 08:30-12:00,14:00-17:30; 6 09:00-12:00")
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Weekly(), h.Weekend())
	fmt.Println(h.Chinese())
	// Output:
	// 38 true
	// 周一至周五 08:30-12:00、14:00-17:30；周六 09:00-12:00
}

// The three rates of an area on a day, from dated records.
func ExampleRater_Rates() {
	c := &data.City{
		Districts:   []data.District{{Code: "370402", Name: "市中区"}},
		Streets:     []data.Street{{Code: "370402001", DistrictCode: "370402"}},
		Communities: []data.Community{{Code: "370402001001", StreetCode: "370402001", DistrictCode: "370402"}},
		Compounds: []data.Compound{
			{Code: "37040200100100101", CommunityCode: "370402001001"},
			{Code: "37040200100100102", CommunityCode: "370402001001"},
		},
	}
	c.Index()
	p := &data.Places{
		Companies:      []data.PropertyCompany{{Code: "PC0001", Name: "鲁南物业"}},
		CompanyRecords: []data.CompanyRecord{{CompanyCode: "PC0001", From: "2021-01-01", PartyOrg: data.PartyOrgJoint}},
		Property: []data.PropertyRecord{
			{CompoundCode: "37040200100100101", From: "2019-01-01", Status: data.PropertyManaged, CompanyCode: "PC0001"},
			{CompoundCode: "37040200100100102", From: "2019-01-01", Status: data.PropertyNone},
			{CompoundCode: "37040200100100102", From: "2022-05-01", Status: data.PropertyManaged, CompanyCode: "PC0001"},
		},
	}
	r := places.NewRater(c, places.NewProperty(p))
	for _, day := range []string{"2020-01-01", "2023-01-01"} {
		a, _ := r.Rates(places.LevelCity, day)
		fmt.Printf("%s professional %d/%d, party organisations %d/%d\n", day,
			a[0].Professional.Num, a[0].Professional.Den, a[0].PartyOrg.Num, a[0].PartyOrg.Den)
	}
	// Output:
	// 2020-01-01 professional 1/2, party organisations 0/1
	// 2023-01-01 professional 2/2, party organisations 1/1
}
