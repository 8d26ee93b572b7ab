package geocode

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// Held out: addresses written by hand the ways callers write them, none
// from the generator's templates. Each names places of the seed-1 demo
// city; the wanted grid is computed from the records (where the two
// roads' segments share a node, the POI's point, the station's grid).
func TestHeldOutForms(t *testing.T) {
	g := demoGazetteer(t)
	c := g.city
	cross := func(a, b string) orb.Point {
		nodes := map[int64]map[string]orb.Point{}
		for _, r := range c.Roads {
			for k, n := range []int64{r.FromNode, r.ToNode} {
				if nodes[n] == nil {
					nodes[n] = map[string]orb.Point{}
				}
				nodes[n][r.Name] = r.Geom[k*(len(r.Geom)-1)]
			}
		}
		for _, m := range nodes {
			if pa, ok := m[a]; ok {
				if _, ok := m[b]; ok {
					return pa
				}
			}
		}
		t.Fatalf("fixture: %s and %s do not cross", a, b)
		return orb.Point{}
	}
	gridAt := func(p orb.Point) string {
		r := g.ix.Locate(p)
		if r.Grid < 0 {
			if r.Nearest < 0 {
				return ""
			}
			return c.Grids[r.Nearest].Code
		}
		return c.Grids[r.Grid].Code
	}
	poi := func(name string) int {
		for i := range c.POIs {
			if c.POIs[i].Name == name {
				return i
			}
		}
		t.Fatalf("fixture: no POI %s", name)
		return -1
	}
	gate := func(i int, name string) orb.Point {
		for _, gt := range c.POIs[i].Gates {
			if gt.Name == name {
				return gt.Point
			}
		}
		return c.POIs[i].Gates[0].Point
	}
	gq := cross("光明路", "青檀路")
	hosp := poi("枣庄市立医院")
	park := poi("青檀公园")
	tests := []struct {
		q, status, match, reason, grid string
	}{
		// intersections
		{"光明路、青檀路交界", StatusOK, "intersection", "", gridAt(gq)},
		{"在光明路跟青檀路那个十字路口", StatusOK, "intersection", "", gridAt(gq)},
		{"青檀路 X 光明路", StatusOK, "intersection", "", gridAt(gq)},
		{"青檀路（光明路口）", StatusOK, "intersection", "", gridAt(gq)},
		{"光明路和青檀路交汇的地方", StatusOK, "intersection", "", gridAt(gq)},
		{"市中区光明路青檀路十字路口", StatusOK, "intersection", "", gridAt(gq)},
		{"光明路与青檀路交叉口往北走大概两百米", StatusOK, "intersection", "", gridAt(move(gq, 0, 200))},
		{"光明路青檀路路口向东 0.3公里", StatusOK, "intersection", "", gridAt(move(gq, 90, 300))},
		{"光明路与青檀路的东北角", StatusOK, "intersection", "", gridAt(move(gq, 45, DefaultOffsetM))},
		{"光明路與青檀路交叉口以南１５０米處", StatusNotFound, "", ReasonOutsideGrid, ""}, // 光明路 is the core's southern edge
		{"光明路與青檀路交叉口以北１５０米處", StatusOK, "intersection", "", gridAt(move(gq, 0, 150))},
		{"光明路与君山路交叉口", StatusNotFound, "", ReasonNoCrossing, ""},
		{"光明路与火星大道交叉口", StatusNotFound, "", ReasonUnknownRoad, ""},
		// landmarks
		{"去市立医院", StatusOK, "poi", "", c.POIs[hosp].GridCode},
		{"枣庄市立医院门口", StatusOK, "poi", "", c.POIs[hosp].GridCode},
		{"市立医院" + c.POIs[hosp].Gates[0].Name + "往西五十米", StatusOK, "poi", "", gridAt(move(c.POIs[hosp].Gates[0].Point, 270, 50))},
		{"青檀公园", StatusOK, "poi", "", c.POIs[park].GridCode},
		{"青檀公园 " + c.POIs[park].Gates[0].Name + " 东边一百米左右", StatusOK, "poi", "", gridAt(move(gate(park, c.POIs[park].Gates[0].Name), 90, 100))},
		{"枣庄八中", StatusOK, "poi", "", c.POIs[poi("枣庄市第八中学")].GridCode},
		{"人民医院", StatusAmbiguous, "poi", "", ""},
		// stations
		{"道南社区的服务中心", StatusOK, "station", "", stationGrid(t, g, "道南社区党群服务中心")},
		{"邵庄社区七网格的驿站", StatusOK, "station", "", stationGrid(t, g, "邵庄社区第7网格红色驿站")},
		{"邵庄 第7网格 红色驿站", StatusOK, "station", "", stationGrid(t, g, "邵庄社区第7网格红色驿站")},
		// other cities: refused, never a grid
		{"上海市浦东新区世纪大道100号", StatusNotFound, "", ReasonOutsideCity, ""},
		{"浙江杭州西湖区文三路", StatusNotFound, "", ReasonOutsideCity, ""},
		{"北京海淀区中关村大街1号", StatusNotFound, "", ReasonOutsideCity, ""},
		{"济宁市任城区光明路12号", StatusNotFound, "", ReasonOutsideCity, ""},
		{"临沂兰山区青檀路", StatusNotFound, "", ReasonOutsideCity, ""},
		{"广州天河路385号", StatusNotFound, "", ReasonOutsideCity, ""},
		{"香港九龙弥敦道", StatusNotFound, "", ReasonOutsideCity, ""},
		{"重庆渝中区解放碑", StatusNotFound, "", ReasonOutsideCity, ""},
		{"光明路12号，徐州市", StatusNotFound, "", ReasonOutsideCity, ""},
		{"滕州市东郭镇政府", StatusNotFound, "", ReasonOutsideCity, ""},
		// this city's own names that look like other places'
		{"山东省枣庄市市中区光明路", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			a, err := g.Geocode(tt.q, 5)
			if err != nil {
				t.Fatal(err)
			}
			b := a.Best()
			got := ""
			if b != nil {
				got = b.GridCode
			}
			if tt.status != "" && a.Status != tt.status || tt.match != "" && a.Match != tt.match || a.Reason != tt.reason ||
				tt.grid != "" && got != tt.grid {
				t.Errorf("%q: %s match=%s reason=%s grid=%s (%s), want %s %s %s %s", tt.q, a.Status, a.Match, a.Reason, got, a.Message, tt.status, tt.match, tt.reason, tt.grid)
			}
			if a.Status == StatusNotFound && len(a.Candidates) != 0 {
				t.Errorf("%q: not_found with candidates", tt.q)
			}
			if tt.reason == ReasonOutsideCity && strings.Contains(a.Message, "枣庄市") && !strings.Contains(tt.q, "滕州") {
				t.Errorf("%q: message %q", tt.q, a.Message)
			}
		})
	}
}

func stationGrid(t *testing.T, g *Gazetteer, name string) string {
	for _, s := range g.city.Stations {
		if s.Name == name {
			return s.GridCode
		}
	}
	t.Fatalf("fixture: no station %s", name)
	return ""
}

// FuzzGeocodeForms runs the intersection, offset, landmark and
// outside-city paths on arbitrary text: every answer is well formed, a
// not_found one has a reason and no candidates, points are finite WGS84.
func FuzzGeocodeForms(f *testing.F) {
	for _, s := range []string{"光明路与青檀路交叉口往北150米", "光明路/青檀路", "A路跟B路十字路口西北角", "市立医院东门往西100米", "人民医院门口",
		"青檀公园北门往西1.5公里", "道南社区的服务中心", "邵庄社区七网格驿站", "广州市天河区天河路385号", "徐州市光明路12号", "朝阳区",
		"往北150米", "东门", "路口", "与与与", "光明路与", "１．５公里", "北京路192号对面", "光明路12号路北旁边附近", "滕州市龙阳镇"} {
		f.Add(s)
	}
	g := demoGazetteer(f)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := g.Geocode(s, 5)
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("Geocode(%q): %v", s, err)
			}
			return
		}
		switch a.Status {
		case StatusNotFound:
			if len(a.Candidates) != 0 || a.Reason == "" {
				t.Fatalf("Geocode(%q): not_found with %d candidates, reason %q", s, len(a.Candidates), a.Reason)
			}
		case StatusOK, StatusAmbiguous:
			if len(a.Candidates) == 0 || a.Match == "" {
				t.Fatalf("Geocode(%q): %s without candidates or match", s, a.Status)
			}
		default:
			t.Fatalf("Geocode(%q): status %q", s, a.Status)
		}
		for _, c := range a.Candidates {
			if !(c.Confidence >= 0 && c.Confidence <= 1) || !(c.Point[0] >= -180 && c.Point[0] <= 180 && c.Point[1] >= -90 && c.Point[1] <= 90) {
				t.Fatalf("Geocode(%q): candidate %+v", s, c)
			}
		}
		if _, err := g.Reverse(orb.Point{117.5 + float64(len(s)%100)/1000, 34.85}); err != nil {
			t.Fatal(err)
		}
	})
}
