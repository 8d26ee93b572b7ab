package geocode

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Level is the level of the administrative or address hierarchy a part of
// an address names.
type Level uint8

// Levels, from the largest area down.
const (
	LevelUnknown   Level = iota // free text: a name of any level
	LevelDistrict               // 区/市
	LevelStreet                 // 街道/镇
	LevelCommunity              // 社区
	LevelGrid                   // 网格
	LevelCompound               // 小区
	LevelRoad                   // 路/街/巷/大道
	LevelStation                // 党群服务中心/驿站
)

var levelNames = [...]string{"unknown", "district", "street", "community", "grid", "compound", "road", "station"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// MarshalText makes levels readable in JSON.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a level written by MarshalText.
func (l *Level) UnmarshalText(b []byte) error {
	for i, n := range levelNames {
		if n == string(b) {
			*l = Level(i)
			return nil
		}
	}
	return errors.New("geocode: unknown level " + strconv.Quote(string(b)))
}

// Token is one named part of an address with the level its wording
// suggests (LevelUnknown when the words say nothing).
type Token struct {
	Text  string `json:"text"`
	Level Level  `json:"level"`
}

// Parsed is an address split into levels. Names keeps every named part in
// input order; the numbers are 0 when absent.
type Parsed struct {
	Normalized  string   `json:"normalized"`
	Names       []Token  `json:"names"`
	HouseNumber int      `json:"house_number,omitempty"` // 门牌号 on the road
	Building    int      `json:"building,omitempty"`     // 号楼
	Unit        int      `json:"unit,omitempty"`         // 单元
	Floor       int      `json:"floor,omitempty"`        // 层
	Room        int      `json:"room,omitempty"`         // 室
	GridSeq     int      `json:"grid_seq,omitempty"`     // 第N网格
	Noise       []string `json:"noise,omitempty"`        // 东首, 楼下 … (words that say nothing the geocoder uses)
	// Offsets said after the place (往北150米, 东侧, 西北角, 对面, 旁边),
	// the gate named (东门, 正门, 门口) and whether the address ends in an
	// intersection word (路口, 交叉口, 十字路口 …).
	Offsets      []Offset `json:"offsets,omitempty"`
	Gate         string   `json:"gate,omitempty"`
	Intersection bool     `json:"intersection,omitempty"`

	raw  string // the normalised text with separators
	head string // raw without the offsets, gate and intersection word
}

// First returns the text of the first name of the level, or "".
func (p *Parsed) First(l Level) string {
	for _, t := range p.Names {
		if t.Level == l {
			return t.Text
		}
	}
	return ""
}

// Errors of Parse and Geocode.
var (
	ErrEmpty   = errors.New("geocode: empty address (nothing left after normalising)")
	ErrTooLong = errors.New("geocode: address too long (at most 1024 bytes)")
)

type keyword struct {
	w     []rune
	level Level
}

// keywords end a name of their level. Longer words come first so 小区 wins
// over 区 and 街道 over 街.
var keywords = func() []keyword {
	list := []struct {
		w string
		l Level
	}{
		{"党群服务中心", LevelStation}, {"服务中心", LevelStation}, {"红色驿站", LevelStation}, {"驿站", LevelStation},
		{"街道", LevelStreet}, {"镇", LevelStreet},
		{"社区", LevelCommunity},
		{"小区", LevelCompound}, {"花园", LevelCompound}, {"家园", LevelCompound}, {"嘉园", LevelCompound},
		{"新村", LevelCompound}, {"宿舍", LevelCompound}, {"公寓", LevelCompound}, {"名都", LevelCompound},
		{"佳苑", LevelCompound}, {"雅居", LevelCompound}, {"华庭", LevelCompound}, {"苑", LevelCompound},
		{"大道", LevelRoad}, {"路", LevelRoad}, {"街", LevelRoad}, {"巷", LevelRoad},
		{"区", LevelDistrict}, {"市", LevelDistrict}, {"县", LevelDistrict},
	}
	out := make([]keyword, len(list))
	for i, k := range list {
		out[i] = keyword{[]rune(k.w), k.l}
	}
	return out
}()

// noiseWords say where near a place something is; they carry no name.
var noiseWords = func() [][]rune {
	var out [][]rune
	for _, w := range []string{"附近", "对面", "东首", "西首", "南首", "北首", "旁边", "门口", "东侧", "西侧", "南侧", "北侧",
		"路口", "一带", "周边", "里面", "院内", "楼下", "后面", "前面", "东边", "西边", "南边", "北边", "往东", "往西", "往南", "往北", "交叉口", "这边", "那边"} {
		out = append(out, []rune(w))
	}
	return out
}()

func keywordAt(rs []rune, i int) (keyword, bool) {
	for _, k := range keywords {
		if hasRunes(rs[i:], k.w) {
			return k, true
		}
	}
	return keyword{}, false
}

func hasRunes(rs, w []rune) bool {
	if len(rs) < len(w) {
		return false
	}
	for i := range w {
		if rs[i] != w[i] {
			return false
		}
	}
	return true
}

// Parse normalises an address and splits it into levels. It works on any
// subset of levels in any order: names are cut where a level word (街道,
// 社区, 小区, 路 …) ends them, numbers are read with the unit word after
// them, and noise words (附近, 对面, 东首 …) are set aside. It fails only on
// input that is too long or empty after normalising.
func Parse(addr string) (*Parsed, error) {
	if len(addr) > MaxQueryBytes {
		return nil, ErrTooLong
	}
	n := normalize(addr, true)
	if strings.Trim(n, string(sep)) == "" {
		return nil, ErrEmpty
	}
	rs := []rune(n)
	head, offs, gate := splitTail(rs)
	head, cross := stripCrossWord(head)
	p := parseNormalized(string(head))
	p.Normalized = strings.ReplaceAll(n, string(sep), "")
	p.raw, p.head = n, string(head)
	p.Offsets, p.Gate, p.Intersection = offs, gate, cross
	if len(p.Names) == 0 && p.HouseNumber == 0 && p.Building == 0 && p.Unit == 0 && p.Room == 0 && p.Floor == 0 && p.GridSeq == 0 {
		return p, ErrEmpty
	}
	return p, nil
}

func parseNormalized(n string) *Parsed {
	p := &Parsed{Normalized: strings.ReplaceAll(n, string(sep), "")}
	rs := []rune(n)
	start := 0 // start of the pending name
	lastLevel := LevelUnknown
	lastEnd := -1 // where the last name ended
	emit := func(end int, l Level) {
		t := strings.TrimSpace(string(rs[start:end]))
		t = strings.Trim(t, "-#")
		if t != "" && utf8.RuneCountInString(t) >= 1 {
			// A level word alone after a separator ends the name before it
			// (青檀 社区).
			if k := len(p.Names); k > 0 && lastEnd >= 0 && onlySeps(rs[lastEnd:start]) {
				if lv, ok := levelWordOnly(t); ok {
					p.Names[k-1] = Token{p.Names[k-1].Text + t, lv}
					lastLevel, lastEnd, start = lv, end, end
					return
				}
			}
			p.Names = append(p.Names, Token{t, l})
			lastLevel = l
			lastEnd = end
		}
		start = end
	}
	i := 0
	for i < len(rs) {
		r := rs[i]
		if r == sep {
			emit(i, pendingLevel(rs[start:i]))
			i++
			start = i
			continue
		}
		if isDigit(r) {
			j := i
			for j < len(rs) && isDigit(rs[j]) {
				j++
			}
			v := atoi(rs[i:j])
			// a-b-c: building-unit-room; a-b: building-room.
			if j < len(rs) && rs[j] == '-' {
				nums := []int{v}
				k := j
				for k < len(rs) && rs[k] == '-' && k+1 < len(rs) && isDigit(rs[k+1]) {
					m := k + 1
					for m < len(rs) && isDigit(rs[m]) {
						m++
					}
					nums = append(nums, atoi(rs[k+1:m]))
					k = m
				}
				if len(nums) >= 2 {
					emit(i, pendingLevel(rs[start:i]))
					p.Building = nums[0]
					if len(nums) == 2 {
						p.Room = nums[1]
					} else {
						p.Unit, p.Room = nums[1], nums[2]
					}
					i, start = k, k
					continue
				}
			}
			word := rs[j:]
			adv := 0
			pend := rs[start:i]
			switch {
			case hasRunePrefix(word, "期") && lastLevel == LevelCompound && start == i && len(p.Names) > 0 && v > 0:
				// 幸福小区二期: the phase is part of the compound's name
				k := len(p.Names) - 1
				p.Names[k].Text += chineseNumber(v) + "期" // names say 二期, callers 2期 too
				adv = 1
			case hasRunePrefix(word, "号楼"):
				emit(i, pendingLevel(pend))
				p.Building, adv = v, 2
			case hasRunePrefix(word, "号"):
				lv := pendingLevel(pend)
				emit(i, lv)
				if lastLevel == LevelRoad && p.HouseNumber == 0 {
					p.HouseNumber = v
				} else if p.Building == 0 && lastLevel == LevelCompound {
					p.Building = v // 幸福小区3号: the building
				} else if p.HouseNumber == 0 {
					p.HouseNumber = v
				} else {
					p.Building = v
				}
				adv = 1
			case hasRunePrefix(word, "单元"):
				emit(i, pendingLevel(pend))
				p.Unit, adv = v, 2
			case hasRunePrefix(word, "室"):
				emit(i, pendingLevel(pend))
				p.Room, adv = v, 1
			case hasRunePrefix(word, "层"):
				emit(i, pendingLevel(pend))
				p.Floor, adv = v, 1
			case hasRunePrefix(word, "网格"):
				end := i
				if end > start && rs[end-1] == '第' {
					end--
				}
				emit(end, pendingLevel(rs[start:end]))
				p.GridSeq, adv = v, 2
			default: // a bare number
				lv := pendingLevel(pend)
				emit(i, lv)
				switch {
				case lastLevel == LevelRoad && p.HouseNumber == 0:
					p.HouseNumber = v
				case p.Building == 0 && lastLevel == LevelCompound:
					p.Building = v
				case p.Building != 0 && p.Unit != 0 && p.Room == 0:
					p.Room = v
				case p.Room == 0 && p.Building != 0:
					p.Room = v
				}
			}
			i = j + adv
			start = i
			continue
		}
		if k := phaseAt(rs, i); k > 0 && start == i && lastLevel == LevelCompound && len(p.Names) > 0 {
			// 幸福小区二期: the phase is part of the compound's name
			p.Names[len(p.Names)-1].Text += string(rs[i : i+k])
			i += k
			start = i
			continue
		}
		if nw := noiseAt(rs, i); nw > 0 {
			if rs[i] == '路' && i > start { // 光明路口: the road stays, 口 goes
				emit(i+1, LevelRoad)
				p.Noise = append(p.Noise, "口")
				i += nw
				start = i
				continue
			}
			emit(i, pendingLevel(rs[start:i]))
			p.Noise = append(p.Noise, string(rs[i:i+nw]))
			i += nw
			start = i
			continue
		}
		if k, ok := keywordAt(rs, i); ok && i > start {
			end := i + len(k.w)
			// A level word followed at once by another (铁路小区, 光明路街道,
			// 工业区社区) belongs to the longer name.
			if end < len(rs) {
				if k2, ok2 := keywordAt(rs, end); ok2 && k2.level != LevelDistrict && k.level != LevelStation {
					i = end
					continue
				}
			}
			// 市 ends a district only as a county-level city (滕州市), not
			// at the start of 市中区.
			if k.level == LevelDistrict && string(k.w) == "市" && end < len(rs) && rs[end] == '中' {
				i++
				continue
			}
			emit(end, k.level)
			i = end
			continue
		}
		i++
	}
	emit(len(rs), pendingLevel(rs[start:]))
	return p
}

func onlySeps(rs []rune) bool {
	for _, r := range rs {
		if r != sep {
			return false
		}
	}
	return len(rs) > 0
}

// levelWordOnly reports whether t is nothing but a level word, and its level.
func levelWordOnly(t string) (Level, bool) {
	for _, k := range keywords {
		if string(k.w) == t && len(k.w) >= 2 {
			return k.level, true
		}
	}
	return LevelUnknown, false
}

// pendingLevel guesses the level of a name left without a level word at
// its end: none.
func pendingLevel(rs []rune) Level {
	if len(rs) == 0 {
		return LevelUnknown
	}
	if k, ok := keywordAtEnd(rs); ok {
		return k
	}
	return LevelUnknown
}

func keywordAtEnd(rs []rune) (Level, bool) {
	for _, k := range keywords {
		if len(rs) > len(k.w) && hasRunes(rs[len(rs)-len(k.w):], k.w) {
			return k.level, true
		}
	}
	return LevelUnknown, false
}

func noiseAt(rs []rune, i int) int {
	for _, w := range noiseWords {
		if hasRunes(rs[i:], w) {
			return len(w)
		}
	}
	return 0
}

func atoi(rs []rune) int {
	v := 0
	for _, r := range rs {
		v = v*10 + int(r-'0')
		if v > 1e7 {
			return 1e7
		}
	}
	return v
}

// phaseAt returns the length of a phase written in Chinese numerals (二期,
// 十一期) at rs[i], or 0.
func phaseAt(rs []rune, i int) int {
	j := i
	for j < len(rs) && j-i < 3 && strings.ContainsRune("一二三四五六七八九十", rs[j]) {
		j++
	}
	if j > i && j < len(rs) && rs[j] == '期' {
		return j + 1 - i
	}
	return 0
}

// chineseNumber writes 1..99 in Chinese numerals (二, 十一, 二十三), the
// way phases are named; other numbers in digits.
func chineseNumber(v int) string {
	d := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case v >= 1 && v <= 9:
		return d[v]
	case v == 10:
		return "十"
	case v > 10 && v < 20:
		return "十" + d[v%10]
	case v >= 20 && v <= 99:
		return d[v/10] + "十" + d[v%10]
	}
	return strconv.Itoa(v)
}
