package geocode

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	type tok = Token
	tests := []struct {
		name                                        string
		in                                          string
		names                                       []Token
		house, building, unit, room, floor, gridSeq int
		noise                                       []string
	}{
		{name: "full address", in: "市中区光明路街道青檀社区幸福小区3号楼2单元",
			names:    []tok{{"市中区", LevelDistrict}, {"光明路街道", LevelStreet}, {"青檀社区", LevelCommunity}, {"幸福小区", LevelCompound}},
			building: 3, unit: 2},
		{name: "road and number", in: "光明路12号", names: []tok{{"光明路", LevelRoad}}, house: 12},
		{name: "compound and building in numerals", in: "幸福小区三号楼", names: []tok{{"幸福小区", LevelCompound}}, building: 3},
		{name: "noise and alias", in: "枣庄市中区青檀路东首 幸福苑3#",
			names: []tok{{"市中区", LevelDistrict}, {"青檀路", LevelRoad}, {"幸福苑", LevelCompound}}, building: 3, noise: []string{"东首"}},
		{name: "any order", in: "幸福小区3号楼 青檀社区 光明路街道",
			names:    []tok{{"幸福小区", LevelCompound}, {"青檀社区", LevelCommunity}, {"光明路街道", LevelStreet}},
			building: 3},
		{name: "road then compound", in: "青檀路120号金色苑5栋1单元302室",
			names: []tok{{"青檀路", LevelRoad}, {"金色苑", LevelCompound}}, house: 120, building: 5, unit: 1, room: 302},
		{name: "phase in numerals", in: "幸福小区二期3号楼", names: []tok{{"幸福小区二期", LevelCompound}}, building: 3},
		{name: "phase in digits", in: "青檀社区幸福小区2期3号楼", names: []tok{{"青檀社区", LevelCommunity}, {"幸福小区二期", LevelCompound}}, building: 3},
		{name: "phase eleven", in: "幸福小区11期", names: []tok{{"幸福小区十一期", LevelCompound}}},
		{name: "dash form", in: "幸福小区3-2-301", names: []tok{{"幸福小区", LevelCompound}}, building: 3, unit: 2, room: 301},
		{name: "dash form two parts", in: "幸福小区3-301", names: []tok{{"幸福小区", LevelCompound}}, building: 3, room: 301},
		{name: "compound with 号 is a building", in: "幸福小区5号", names: []tok{{"幸福小区", LevelCompound}}, building: 5},
		{name: "bare number after road", in: "光明路12", names: []tok{{"光明路", LevelRoad}}, house: 12},
		{name: "floor", in: "幸福小区3号楼5楼", names: []tok{{"幸福小区", LevelCompound}}, building: 3, floor: 5},
		{name: "grid", in: "青檀社区第三网格", names: []tok{{"青檀社区", LevelCommunity}}, gridSeq: 3},
		{name: "station keeps its community", in: "青檀社区党群服务中心", names: []tok{{"青檀社区党群服务中心", LevelStation}}},
		{name: "road word inside a community", in: "古路街社区", names: []tok{{"古路街社区", LevelCommunity}}},
		{name: "street named after a road", in: "光明路街道", names: []tok{{"光明路街道", LevelStreet}}},
		{name: "区 inside a street", in: "矿区街道", names: []tok{{"矿区街道", LevelStreet}}},
		{name: "路 inside a compound", in: "铁路小区2号楼", names: []tok{{"铁路小区", LevelCompound}}, building: 2},
		{name: "苑 inside a road", in: "秋苑路27号", names: []tok{{"秋苑路", LevelRoad}}, house: 27},
		{name: "county-level city", in: "滕州市荆河街道", names: []tok{{"滕州市", LevelDistrict}, {"荆河街道", LevelStreet}}},
		{name: "district then community starting with 市", in: "市中区市府里社区", names: []tok{{"市中区", LevelDistrict}, {"市府里社区", LevelCommunity}}},
		{name: "free text", in: "幸福", names: []tok{{"幸福", LevelUnknown}}},
		{name: "road junction", in: "光明路口", names: []tok{{"光明路", LevelRoad}}},
		{name: "spaces cut names", in: "市中区 香港街 幸福小区3号楼",
			names: []tok{{"市中区", LevelDistrict}, {"香港街", LevelRoad}, {"幸福小区", LevelCompound}}, building: 3},
		{name: "space before a level word", in: "青檀 社区，幸福 小区 3 号楼",
			names: []tok{{"青檀社区", LevelCommunity}, {"幸福小区", LevelCompound}}, building: 3},
		{name: "punctuation cuts names", in: "临城、南湖嘉园", names: []tok{{"临城", LevelUnknown}, {"南湖嘉园", LevelCompound}}},
		{name: "separators inside long forms", in: "枣 庄 市 市中区 青檀社区 居委会", names: []tok{{"市中区", LevelDistrict}, {"青檀社区", LevelCommunity}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Names, tt.names) {
				t.Errorf("names %v, want %v", p.Names, tt.names)
			}
			got := [6]int{p.HouseNumber, p.Building, p.Unit, p.Room, p.Floor, p.GridSeq}
			want := [6]int{tt.house, tt.building, tt.unit, tt.room, tt.floor, tt.gridSeq}
			if got != want {
				t.Errorf("house, building, unit, room, floor, grid = %v, want %v", got, want)
			}
			if !reflect.DeepEqual(p.Noise, tt.noise) {
				t.Errorf("noise %v, want %v", p.Noise, tt.noise)
			}
		})
	}
}

func TestParseForms(t *testing.T) {
	type off struct {
		kind    string
		bearing float64
		dist    float64
	}
	tests := []struct {
		in    string
		names []string
		cross bool
		gate  string
		offs  []off
	}{
		{"槐安路与宁瑞路交叉口", []string{"槐安路", "与宁瑞路"}, true, "", nil},
		{"杏坛路/平山路", []string{"杏坛路", "平山路"}, false, "", nil},
		{"建隆路和德顺路路口往北150米", []string{"建隆路", "和德顺路"}, true, "", []off{{OffsetMove, 0, 150}}},
		{"建隆路 德顺路 十字路口 西北侧 约 50 米", []string{"建隆路", "德顺路"}, true, "", []off{{OffsetMove, 315, 50}}},
		{"A路跟B路丁字路口东南角", []string{"A路", "跟B路"}, true, "", []off{{OffsetCorner, 135, 0}}},
		{"光明路与青檀路交汇处向东走一百五十米左右", []string{"光明路", "与青檀路"}, true, "", []off{{OffsetMove, 90, 150}}},
		{"光明路青檀路口往南1.5公里", []string{"光明路", "青檀路"}, true, "", []off{{OffsetMove, 180, 1500}}},
		{"人民医院东门", []string{"人民医院"}, false, "东门", nil},
		{"光明路小学门口", []string{"光明路", "小学"}, false, "门口", nil},
		{"青檀公园北门往西100米", []string{"青檀公园"}, false, "北门", []off{{OffsetMove, 270, 100}}},
		{"幸福小区对面", []string{"幸福小区"}, false, "", []off{{OffsetOpposite, 0, 0}}},
		{"光明路12号路北", []string{"光明路"}, false, "", []off{{OffsetSide, 0, 0}}},
		{"ＸＸ公园　东侧約５０米", []string{"XX公园"}, false, "", []off{{OffsetMove, 90, 50}}},
		{"光明路12号门口", []string{"光明路"}, false, "门口", nil},
		{"青檀北路", []string{"青檀北路"}, false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, n := range p.Names {
				names = append(names, n.Text)
			}
			if !reflect.DeepEqual(names, tt.names) || p.Intersection != tt.cross || p.Gate != tt.gate {
				t.Errorf("names %v cross %v gate %q, want %v %v %q", names, p.Intersection, p.Gate, tt.names, tt.cross, tt.gate)
			}
			var got []off
			for _, o := range p.Offsets {
				got = append(got, off{o.Kind, o.Bearing, math.Round(o.Distance)})
			}
			if !reflect.DeepEqual(got, tt.offs) {
				t.Errorf("offsets %v, want %v", got, tt.offs)
			}
		})
	}
}

// hostileInputs must give a clear error or an empty answer, never a panic.
var hostileInputs = map[string]string{
	"empty":            "",
	"spaces":           "   \t\n ",
	"only punctuation": "，。！？、；：“”（）【】…—",
	"control chars":    "\x00\x01\x02\x1b[31m\x7f",
	"invalid utf-8":    "\xff\xfe\xfd\xc3\x28",
	"100 KB":           strings.Repeat("幸福小区3号楼", 100*1024/len("幸福小区3号楼")),
	"100 KB digits":    strings.Repeat("9", 100*1024),
	"long numeral run": strings.Repeat("九十九百", 200),
	"huge number":      "光明路99999999999999999999号",
	"dashes":           strings.Repeat("-", 500) + "3-" + strings.Repeat("-", 300),
	"many dashes nums": strings.Repeat("1-", 400),
	"zero":             "光明路0号幸福小区0号楼",
	"only numbers":     "3号楼2单元",
}

func TestParseHostile(t *testing.T) {
	for name, in := range hostileInputs {
		t.Run(name, func(t *testing.T) {
			p, err := Parse(in)
			if err != nil {
				if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrTooLong) {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			for _, n := range p.Names {
				if !utf8.ValidString(n.Text) || n.Text == "" {
					t.Errorf("bad name %q", n.Text)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := Parse(""); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v, want ErrEmpty", err)
	}
	if _, err := Parse("，。"); !errors.Is(err, ErrEmpty) {
		t.Errorf("punctuation: %v, want ErrEmpty", err)
	}
	if _, err := Parse(strings.Repeat("路", 100*1024)); !errors.Is(err, ErrTooLong) {
		t.Errorf("100 KB: %v, want ErrTooLong", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"市中区光明路街道青檀社区幸福小区3号楼2单元", "光明路12号", "幸福小区三号楼", "枣庄市中区青檀路东首 幸福苑3#",
		"一百零五室", "3-2-301", "青檀社区第三网格", "\xff", "", "九十九百千", "路路口口", "区区区", "市市中区"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("Parse(%q): unexpected error %v", s, err)
			}
			return
		}
		if !utf8.ValidString(p.Normalized) {
			t.Fatalf("Parse(%q): normalized %q is not UTF-8", s, p.Normalized)
		}
		for _, n := range p.Names {
			if n.Text == "" || !utf8.ValidString(n.Text) || !strings.Contains(p.Normalized, n.Text) {
				t.Fatalf("Parse(%q): bad name %q in %q", s, n.Text, p.Normalized)
			}
		}
		if n := Normalize(p.Normalized); n != p.Normalized {
			t.Fatalf("Normalize not idempotent on %q: %q then %q", s, p.Normalized, n)
		}
	})
}
