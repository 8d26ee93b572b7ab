package features_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridmap/gridmap/data"
	"github.com/gridmap/gridmap/data/features"
	"github.com/paulmach/orb"
)

func tinyCity() *data.City {
	sq := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
	}
	c := &data.City{
		Districts:   []data.District{{Code: "370402", Name: "市中区", Geom: orb.MultiPolygon{sq(117, 34, 118, 35)}}},
		Streets:     []data.Street{{Code: "370402001", Name: "中心街街道", DistrictCode: "370402", Geom: sq(117.5, 34.5, 117.6, 34.6)}},
		Communities: []data.Community{{Code: "370402001013", Name: "铁西社区", StreetCode: "370402001", DistrictCode: "370402", Geom: sq(117.5, 34.5, 117.6, 34.6)}},
		Grids: []data.Grid{{Code: "370402001013001", Name: "铁西社区第1网格", CommunityCode: "370402001013", StreetCode: "370402001",
			DistrictCode: "370402", Seq: 1, Geom: sq(117.5, 34.5, 117.6, 34.6),
			Head: data.Person{Name: "张伟", Phone: "13812345678", Title: "网格党支部书记"}, Households: 400}},
		Compounds: []data.Compound{{Code: "37040200101300101", Name: "幸福小区", GridCode: "370402001013001", CommunityCode: "370402001013"}},
		Buildings: []data.Building{{Code: "37040200101300101003", CompoundCode: "37040200101300101", GridCode: "370402001013001",
			CommunityCode: "370402001013", StreetCode: "370402001", DistrictCode: "370402", Number: 3, Road: "青檀路", HouseNumber: 12,
			Units: 2, Households: 24, Geom: sq(117.51, 34.51, 117.52, 34.52)}},
		Cadres:    []data.Cadre{{ID: "C1", Name: "李强", Phone: "13900001111", GridCodes: []string{"370402001013001"}}},
		Incidents: []data.Incident{{ID: "I1", Status: "closed", Point: orb.Point{117.51, 34.51}, ReportedAt: time.Unix(0, 0)}},
	}
	if err := c.Index(); err != nil {
		panic(err)
	}
	return c
}

func ExampleAddress() {
	c := tinyCity()
	fmt.Println(features.Address(c, &c.Buildings[0]))
	// Output: 市中区中心街街道铁西社区青檀路12号幸福小区3号楼
}

func ExampleWrite() {
	c := tinyCity()
	var b bytes.Buffer
	if err := features.Write(&b, c, data.LayerGrids, features.FormatCSV, features.Options{}); err != nil {
		fmt.Println(err)
	}
	fmt.Print(strings.SplitN(b.String(), "\n", 2)[0])
	// Output: buildings,cadres,code,community_code,district_code,head_name,head_phone,head_title,households,name,population,seq,street_code,team_size,volunteer_team,volunteers,wkt
}

func TestFeatureLayers(t *testing.T) {
	c := tinyCity()
	for _, tc := range []struct {
		layer string
		want  map[string]any
	}{
		{data.LayerGrids, map[string]any{"code": "370402001013001", "community_code": "370402001013", "street_code": "370402001", "district_code": "370402", "head_name": "张*", "head_phone": "138****5678", "cadres": 1}},
		{data.LayerBuildings, map[string]any{"road": "青檀路", "house_number": 12, "compound": "幸福小区", "building_number": 3, "grid_code": "370402001013001"}},
		{data.LayerCadres, map[string]any{"name": "李*", "phone": "139****1111"}},
		{data.LayerIncidents, map[string]any{"reported_at": "1970-01-01T00:00:00Z"}},
	} {
		f, err := features.Feature(c, tc.layer, 0, features.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tc.want {
			if f.Properties[k] != v {
				t.Errorf("%s.%s = %v, want %v", tc.layer, k, f.Properties[k], v)
			}
		}
	}
	f, _ := features.Feature(c, data.LayerGrids, 0, features.Options{ShowPersonal: true})
	if f.Properties["head_phone"] != "13812345678" {
		t.Errorf("personal view masks the phone")
	}
	for _, bad := range []struct {
		layer string
		i     int
	}{{"nope", 0}, {data.LayerGrids, 1}, {data.LayerGrids, -1}, {data.LayerStations, 0}} {
		if _, err := features.Feature(c, bad.layer, bad.i, features.Options{}); err == nil {
			t.Errorf("%s %d: no error", bad.layer, bad.i)
		}
	}
}

func TestWriteFormats(t *testing.T) {
	c := tinyCity()
	for _, format := range []string{features.FormatGeoJSON, features.FormatGeoJSONSeq, features.FormatCSV} {
		var b bytes.Buffer
		if err := features.Write(&b, c, data.LayerBuildings, format, features.Options{}); err != nil {
			t.Fatal(err)
		}
		switch format {
		case features.FormatGeoJSON:
			var fc map[string]any
			if err := json.Unmarshal(b.Bytes(), &fc); err != nil || len(fc["features"].([]any)) != 1 {
				t.Errorf("geojson: %v %s", err, b.String())
			}
		case features.FormatGeoJSONSeq:
			if !strings.HasPrefix(b.String(), "\x1e{") || !strings.HasSuffix(b.String(), "}\n") {
				t.Errorf("geojsonseq framing: %q", b.String())
			}
		case features.FormatCSV:
			if !strings.Contains(b.String(), "POLYGON((117.51 34.51") {
				t.Errorf("csv lacks WKT: %s", b.String())
			}
		}
	}
	if err := features.Write(&bytes.Buffer{}, c, data.LayerGrids, "shp", features.Options{}); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, phone, name string }{
		{"13812345678", "138****5678", "1**********"},
		{"", "", ""},
		{"123", "***", "1**"},
	} {
		if got := data.MaskPhone(tc.in); got != tc.phone {
			t.Errorf("MaskPhone(%q) = %q, want %q", tc.in, got, tc.phone)
		}
	}
	if got := data.MaskName("欧阳娜娜"); got != "欧***" {
		t.Errorf("MaskName = %q", got)
	}
}
