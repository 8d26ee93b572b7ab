package synth

import (
	"math/rand/v2"
	"strings"

	"github.com/gridmap/gridmap/data"
)

// City-level hospitals, parks and squares of each district, after the
// real ones where they are known (枣庄市立医院 and 枣庄矿业集团中心医院 are
// real; the parks are named the way the city names them).
var (
	cityHospitals = map[string][]poiSpec{
		"370402": {
			{name: "枣庄市立医院", aliases: []string{"市立医院"}, plots: 2},
			{name: "枣庄市中医医院", aliases: []string{"市中医院"}, plots: 2},
			{name: "枣庄市妇幼保健院", aliases: []string{"市妇幼保健院", "市妇幼"}, plots: 1},
			{name: "枣庄市精神卫生中心", plots: 1},
		},
		"370403": {
			{name: "枣庄矿业集团中心医院", aliases: []string{"矿务局医院", "枣矿中心医院"}, plots: 2},
			{name: "枣庄市口腔医院", plots: 1},
		},
	}
	districtParks = map[string][]string{
		"370402": {"青檀公园", "人民公园", "光明广场", "文化广场", "龙山公园"},
		"370403": {"凤鸣湖公园", "临山公园", "奚仲广场", "世纪广场"},
		"370404": {"坛山公园", "榴园广场", "承水公园"},
		"370405": {"运河公园", "台城广场", "古城公园"},
		"370406": {"翼云公园", "汉诺广场", "府前公园"},
		"370481": {"荆河公园", "墨子公园", "善国广场", "龙泉广场"},
	}
	cnSmall = []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
		"十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十",
		"二十一", "二十二", "二十三", "二十四", "二十五", "二十六", "二十七", "二十八", "二十九", "三十"}
)

// poiSpecs lists the POIs of district di in the order they are placed:
// the large ones first, so they find room.
func (g *cityGen) poiSpecs(di int, rng *rand.Rand) []poiSpec {
	d := g.ref.districts[di]
	dname := d.Name
	grids := 0
	for _, gr := range g.city.Grids {
		if gr.DistrictCode == g.city.Districts[di].Code {
			grids++
		}
	}
	var streets []string
	for _, s := range g.ref.streets {
		if s.District == d.Code {
			streets = append(streets, s.Name)
		}
	}
	var out []poiSpec
	add := func(kind string, list ...poiSpec) {
		for _, s := range list {
			s.kind = kind
			if s.plots == 0 {
				s.plots = 1
			}
			out = append(out, s)
		}
	}
	// Government: the city's in 薛城区, each district's, each street office.
	if d.Code == "370403" {
		add(data.POIGovernment, poiSpec{name: "枣庄市人民政府", aliases: []string{"枣庄市政府", "市政府"}, plots: 2, road: data.RoadMain})
	}
	add(data.POIGovernment, poiSpec{name: dname + "人民政府", aliases: []string{dname + "政府"}, plots: 2, road: data.RoadMain})
	// Hospitals.
	for _, h := range cityHospitals[d.Code] {
		h.road = data.RoadMain
		add(data.POIHospital, h)
	}
	if d.Code == "370481" {
		add(data.POIHospital,
			poiSpec{name: "滕州市中心人民医院", aliases: []string{"滕州中心医院", "滕州市中心医院"}, plots: 2, road: data.RoadMain},
			poiSpec{name: "滕州市中医医院", aliases: []string{"滕州中医院"}, plots: 2, road: data.RoadMain},
			poiSpec{name: "滕州市妇幼保健院", road: data.RoadMain},
			poiSpec{name: "滕州市工人医院", road: data.RoadMain})
	} else {
		add(data.POIHospital,
			poiSpec{name: dname + "人民医院", plots: 2, road: data.RoadMain},
			poiSpec{name: dname + "中医院", road: data.RoadMain},
			poiSpec{name: dname + "妇幼保健院", road: data.RoadMain})
	}
	// Parks and squares.
	for i, p := range districtParks[d.Code] {
		plots := 1
		if i < 2 {
			plots = 2
		}
		add(data.POIPark, poiSpec{name: p, plots: plots})
	}
	// Middle schools: 枣庄市第N中学 across the city, 滕州市第N中学 in 滕州.
	for n := 0; n < max(1, grids/50); n++ {
		city, short := "枣庄市", "枣庄"
		if d.Code == "370481" {
			city, short = "滕州市", "滕州"
		}
		k := g.nextSchoolNumber(city)
		if k >= len(cnSmall) {
			break
		}
		add(data.POISchool, poiSpec{name: city + "第" + cnSmall[k] + "中学", aliases: []string{short + cnSmall[k] + "中"}, plots: 2, road: data.RoadSecondary})
	}
	// Primary schools: the district's experimental school, then schools
	// named after the road at their gate or their community.
	add(data.POISchool, poiSpec{name: dname + "实验小学", road: data.RoadSecondary})
	for n := 0; n < max(2, grids/20); n++ {
		add(data.POISchool, poiSpec{road: data.RoadSecondary, nameOf: g.namedAfter("小学", rng)})
	}
	// Community health service centres and street offices.
	for _, s := range streets {
		add(data.POIHospital, poiSpec{name: s + "社区卫生服务中心", aliases: []string{s + "卫生服务中心"}})
		add(data.POIGovernment, poiSpec{name: s + "办事处", aliases: []string{s + "办"}, road: data.RoadMain})
	}
	// Markets and small parks.
	for n := 0; n < max(2, grids/40); n++ {
		add(data.POIMarket, poiSpec{road: data.RoadBranch, nameOf: g.namedAfter("农贸市场", rng)})
	}
	for n := 0; n < max(1, grids/100); n++ {
		add(data.POIPark, poiSpec{nameOf: g.namedAfter("游园", rng)})
	}
	return out
}

func (g *cityGen) nextSchoolNumber(city string) int {
	if g.schoolNo == nil {
		g.schoolNo = map[string]int{}
	}
	g.schoolNo[city]++
	return g.schoolNo[city]
}

// namedAfter names a place after the road at its gate (光明路小学) or, one
// time in three, after its community (青檀小学).
func (g *cityGen) namedAfter(what string, rng *rand.Rand) func(p *plotInfo) (string, []string) {
	return func(p *plotInfo) (string, []string) {
		if rng.IntN(3) == 0 && p.comm != "" {
			return strings.TrimSuffix(strings.TrimSuffix(p.comm, "居"), "社区") + what, nil
		}
		return p.road + what, nil
	}
}
