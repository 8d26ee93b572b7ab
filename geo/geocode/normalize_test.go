package geocode

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		rule, in, want string
	}{
		// full-width → half-width
		{"fullwidth digits", "幸福小区３号楼", "幸福小区3号楼"},
		{"fullwidth letters and hash", "幸福苑３＃Ａ", "幸福苑3号楼A"},
		{"ideographic space", "光明路　12号", "光明路12号"},
		// Chinese numerals → digits where they count something
		{"numeral before 号楼", "幸福小区三号楼", "幸福小区3号楼"},
		{"十二", "光明路十二号", "光明路12号"},
		{"二十三", "光明路二十三号", "光明路23号"},
		{"一百零五", "一百零五室", "105室"},
		{"三百一十", "青檀路三百一十号", "青檀路310号"},
		{"十", "十号楼", "10号楼"},
		{"两", "两单元", "2单元"},
		{"digit by digit", "3号楼五零二", "3号楼502"},
		{"after 第", "青檀社区第三网格", "青檀社区第3网格"},
		{"numerals in names stay", "三里庄社区八一社区", "三里庄社区八一社区"},
		{"one-digit name stays", "四季春社区", "四季春社区"},
		// unit words
		{"栋", "3栋", "3号楼"},
		{"幢", "3幢", "3号楼"},
		{"座", "3座", "3号楼"},
		{"#", "3#", "3号楼"},
		{"号楼 stays", "3号楼", "3号楼"},
		{"户 → 室", "301户", "301室"},
		{"室 stays", "301室", "301室"},
		{"楼 → 层 after a number", "5楼", "5层"},
		{"层", "5层", "5层"},
		{"单元", "二单元", "2单元"},
		{"楼 in names stays", "邵楼社区", "邵楼社区"},
		// punctuation, spaces, controls
		{"punctuation", "光明路，12号。（幸福小区）", "光明路12号幸福小区"},
		{"spaces and tabs", " 光明路 \t12号 ", "光明路12号"},
		{"controls", "光明\x00路\x1b12号\u200b", "光明路12号"},
		{"dash kept", "3-2-301", "3-2-301"},
		{"only punctuation", "，。！？、；：", ""},
		// traditional → simplified
		{"traditional", "幸福園3號樓2單元", "幸福园3号楼2单元"},
		{"traditional area", "市中區光明路街道", "市中区光明路街道"},
		// abbreviations
		{"街道办事处", "光明路街道办事处", "光明路街道"},
		{"社区居委会", "青檀社区居委会", "青檀社区"},
		{"居委会", "铁西居委会", "铁西社区"},
		{"居民委员会", "兴安社区居民委员会", "兴安社区"},
		{"province and city", "山东省枣庄市市中区青檀路", "市中区青檀路"},
		{"枣庄市中区", "枣庄市中区青檀路", "市中区青檀路"},
		{"枣庄市 before another district", "枣庄市薛城区", "薛城区"},
		{"滕州市 stays", "山东省滕州市荆河街道", "滕州市荆河街道"},
		// invalid UTF-8
		{"invalid utf-8 dropped", "光明\xff\xfe路", "光明路"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestChineseNumeralRoundTrip(t *testing.T) {
	for _, v := range []int{1, 2, 9, 10, 11, 12, 19, 20, 23, 99, 100, 101, 105, 110, 111, 302, 999, 1000, 1001, 1010, 2345} {
		in := chineseNumeral(v) + "号"
		want := itoa(v) + "号"
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, s := range []string{"山东省枣庄市市中区光明路街道办事处青檀社区居委会幸福小区三号楼二单元五零二", "幸福苑3#", "十二号"} {
		n := Normalize(s)
		if n2 := Normalize(n); n2 != n {
			t.Errorf("Normalize not idempotent on %q: %q then %q", s, n, n2)
		}
	}
}

func TestNormalizeHuge(t *testing.T) {
	s := strings.Repeat("幸福小区", 30000)
	if n := Normalize(s); len(n) > 4*MaxQueryBytes {
		t.Errorf("Normalize kept %d bytes of a %d-byte input", len(n), len(s))
	}
}
