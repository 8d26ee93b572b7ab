package geocode

import (
	"strconv"
	"strings"
)

// Offset kinds: how a place said after the anchor moves the point.
const (
	OffsetMove     = "move"     // 往北150米: the distance along the bearing
	OffsetSide     = "side"     // 东侧, 路北: that side of the anchor
	OffsetCorner   = "corner"   // 西北角: that corner
	OffsetOpposite = "opposite" // 对面: across the road
	OffsetNear     = "near"     // 旁边, 附近: near, not at
)

// Offset is a displacement said after the place it starts from (往北150米,
// 东侧约50米, 西北角, 对面, 旁边). Bearing is in degrees clockwise from
// north, for moves, sides and corners; Distance in metres, for moves.
type Offset struct {
	Text     string  `json:"text"`
	Kind     string  `json:"kind"`
	Bearing  float64 `json:"bearing,omitempty"`
	Distance float64 `json:"distance_m,omitempty"`
	Assumed  bool    `json:"assumed,omitempty"` // no distance given: DefaultOffsetM taken
}

// DefaultOffsetM is the distance taken for a direction said without one
// (路口往北, 东北角 of a crossing).
const DefaultOffsetM = 30.0

// MaxOffsetM is the longest distance an offset may move a point; longer
// ones are read as given but flagged (callers rarely judge kilometres).
const MaxOffsetM = 5000.0

var dirWords = []struct {
	w       string
	bearing float64
}{
	{"东北", 45}, {"东南", 135}, {"西北", 315}, {"西南", 225}, {"北东", 45}, {"南东", 135}, {"北西", 315}, {"南西", 225},
	{"东", 90}, {"南", 180}, {"西", 270}, {"北", 0},
}

// dirAt reads a compass direction at rs[i] (正 allowed before it).
func dirAt(rs []rune, i int) (float64, int, bool) {
	j := i
	if j < len(rs) && rs[j] == '正' {
		j++
	}
	for _, d := range dirWords {
		if hasRunePrefix(rs[j:], d.w) {
			return d.bearing, j - i + len([]rune(d.w)), true
		}
	}
	return 0, 0, false
}

func wordAt(rs []rune, i int, words ...string) int {
	for _, w := range words {
		if hasRunePrefix(rs[i:], w) {
			return len([]rune(w))
		}
	}
	return 0
}

// fillers carry nothing between the parts of an offset.
var tailFillers = []string{"的地方", "的位置", "位置", "方向", "方位", "那里", "那儿", "这里", "这儿", "那边", "这边", "左右", "上下", "之间", "附近的",
	"的", "在", "处", "点", "走", "行", "开", "远", "了", "呢", "啊", "吧"}

// approxWords say a distance is rough.
var approxWords = []string{"大约", "大概", "差不多", "大致", "估计", "将近", "不到", "约", "近", "差"}

// distanceAt reads a distance at rs[i]: 150米, 1.5公里, 两百米, 100多米,
// 几十米, 半公里, 200M. It returns metres and the runes read.
func distanceAt(rs []rune, i int) (float64, int, bool) {
	j := i
	v := 0.0
	switch {
	case j < len(rs) && isDigit(rs[j]):
		k := j
		for k < len(rs) && (isDigit(rs[k]) || rs[k] == '.' && k+1 < len(rs) && isDigit(rs[k+1])) {
			k++
		}
		f, err := strconv.ParseFloat(string(rs[j:k]), 64)
		if err != nil {
			return 0, 0, false
		}
		v, j = f, k
	case hasRunePrefix(rs[j:], "几十"):
		v, j = 30, j+2
	case hasRunePrefix(rs[j:], "几百"):
		v, j = 300, j+2
	case hasRunePrefix(rs[j:], "半"):
		v, j = 0.5, j+1
	case j < len(rs) && isCnNumeral(rs[j]):
		k := j
		for k < len(rs) && isCnNumeral(rs[k]) {
			k++
		}
		s, ok := cnValue(rs[j:k])
		if !ok {
			return 0, 0, false
		}
		n, _ := strconv.Atoi(s)
		v, j = float64(n), k
	default:
		return 0, 0, false
	}
	if n := wordAt(rs, j, "多", "余", "来", "几"); n > 0 {
		v *= 1.1
		j += n
	}
	switch n := wordAt(rs, j, "公里", "千米", "KM", "里地"); {
	case n > 0:
		v *= 1000
		j += n
	default:
		switch n := wordAt(rs, j, "米", "公尺", "M"); {
		case n > 0:
			j += n
		default:
			if n := wordAt(rs, j, "步"); n > 0 {
				v *= 0.7
				j += n
			} else {
				return 0, 0, false
			}
		}
	}
	if n := wordAt(rs, j, "多", "左右"); n > 0 {
		j += n
	}
	if v <= 0 {
		return 0, 0, false
	}
	return v, j - i, true
}

// gateAt reads a gate word at rs[i]: 东门, 北大门, 正门, 大门, 后门, 侧门,
// 门口, 3号门, 出入口. The gate's name is returned as written, 门口 as "门口".
func gateAt(rs []rune, i int) (string, int) {
	j := i
	name := ""
	if b, n, ok := dirAt(rs, j); ok {
		_ = b
		name = string(rs[j : j+n])
		j += n
		if k := wordAt(rs, j, "大门", "侧门", "小门", "门"); k > 0 {
			j += k
			if k2 := wordAt(rs, j, "口"); k2 > 0 {
				j += k2
			}
			return name + "门", j - i
		}
		return "", 0
	}
	if j < len(rs) && isDigit(rs[j]) {
		if i > 0 && strings.ContainsRune("路街巷道", rs[i-1]) {
			return "", 0 // 光明路12号门口: a house number, then 门口
		}
		k := j
		for k < len(rs) && isDigit(rs[k]) {
			k++
		}
		if n := wordAt(rs, k, "号门", "门"); n > 0 {
			name = string(rs[j:k]) + "号门"
			k += n
			if k2 := wordAt(rs, k, "口"); k2 > 0 {
				k += k2
			}
			return name, k - i
		}
		return "", 0
	}
	for _, w := range []string{"正大门", "正门", "大门", "主门", "前门", "后门", "侧门", "小门"} {
		if hasRunePrefix(rs[j:], w) {
			j += len([]rune(w))
			if k := wordAt(rs, j, "口"); k > 0 {
				j += k
			}
			return w, j - i
		}
	}
	if n := wordAt(rs, j, "门口", "门前", "出入口", "入口", "门卫"); n > 0 {
		return "门口", n
	}
	return "", 0
}

var nearWords = []string{"马路对面", "路对面", "斜对面", "斜对过", "正对面", "对面", "对过", "旁边", "边上", "隔壁", "附近", "周边", "周围",
	"一带", "跟前", "里面", "院内", "院里", "楼下", "后面", "前面", "后边", "前边", "背后", "里边", "内", "旁"}

// tailItem reads one offset, gate or filler at rs[i].
func tailItem(rs []rune, i int, offs *[]Offset, gate *string) (int, bool) {
	if n := wordAt(rs, i, tailFillers...); n > 0 {
		return n, true
	}
	if rs[i] == sep {
		return 1, true
	}
	// A gate (before a side: 北门 is a gate, 北侧 a side).
	if g, n := gateAt(rs, i); n > 0 {
		if *gate == "" {
			*gate = g
		}
		return n, true
	}
	// A move: [往|向|朝|沿] [正] DIR [方向|侧|边|面|方]? [走]? [约]? DIST
	j := i
	lead := wordAt(rs, j, "往", "向", "朝", "沿着", "沿", "顺着", "以")
	j += lead
	if b, n, ok := dirAt(rs, j); ok {
		j += n
		for {
			k := wordAt(rs, j, "方向", "方", "侧", "边", "面", "首", "头", "端", "走", "行", "开", "拐", "约", "大约", "大概", "差不多", "的", "再", "了")
			if k == 0 && j < len(rs) && rs[j] == sep {
				k = 1
			}
			if k == 0 {
				break
			}
			j += k
		}
		if n := wordAt(rs, j, approxWords...); n > 0 {
			j += n
		}
		if d, n, ok := distanceAt(rs, j); ok {
			j += n
			*offs = append(*offs, Offset{Text: string(rs[i:j]), Kind: OffsetMove, Bearing: b, Distance: d})
			return j - i, true
		}
		// No distance: a side or a corner (东侧, 西北角, 路北, 往北).
		j = i + lead
		_, n, _ = dirAt(rs, j)
		j += n
		kind := OffsetSide
		if k := wordAt(rs, j, "角", "拐角"); k > 0 {
			j += k
			kind = OffsetCorner
		} else if k := wordAt(rs, j, "方向", "一侧", "侧", "边", "面", "首", "头", "端", "方"); k > 0 {
			j += k
		} else if lead == 0 && b != 0 && b != 90 && b != 180 && b != 270 {
			kind = OffsetCorner // 东北 alone: the corner
		}
		if int(b)%90 != 0 && kind == OffsetSide {
			kind = OffsetCorner
		}
		*offs = append(*offs, Offset{Text: string(rs[i:j]), Kind: kind, Bearing: b})
		return j - i, true
	}
	if lead > 0 {
		return 0, false
	}
	// 路北, 路东侧: the side of the road.
	if rs[i] == '路' || rs[i] == '街' {
		if b, n, ok := dirAt(rs, i+1); ok {
			j := i + 1 + n
			if k := wordAt(rs, j, "侧", "边", "面"); k > 0 {
				j += k
			}
			*offs = append(*offs, Offset{Text: string(rs[i:j]), Kind: OffsetSide, Bearing: b})
			return j - i, true
		}
	}
	if n := wordAt(rs, i, nearWords...); n > 0 {
		w := string(rs[i : i+n])
		kind := OffsetNear
		if strings.Contains(w, "对") {
			kind = OffsetOpposite
		}
		*offs = append(*offs, Offset{Text: w, Kind: kind})
		return n, true
	}
	if n := wordAt(rs, i, approxWords...); n > 0 {
		return n, true
	}
	return 0, false
}

// parseTail reads rs[k:] as nothing but offsets, gates and fillers.
func parseTail(rs []rune, k int) ([]Offset, string, bool) {
	var offs []Offset
	gate := ""
	for i := k; i < len(rs); {
		n, ok := tailItem(rs, i, &offs, &gate)
		if !ok || n <= 0 {
			return nil, "", false
		}
		i += n
	}
	if len(offs) == 0 && gate == "" {
		return nil, "", false
	}
	return offs, gate, true
}

// isTailStart: runes an offset or a gate can begin with.
func isTailStart(r rune) bool {
	switch r {
	case '往', '向', '朝', '沿', '顺', '以', '正', '东', '南', '西', '北', '路', '街', '对', '斜', '马', '旁', '边', '隔', '附', '周', '一', '跟',
		'里', '院', '楼', '后', '前', '背', '内', '门', '出', '入', '大', '侧', '小', '主':
		return true
	}
	return isDigit(r)
}

// splitTail cuts the offsets and the gate off the end of a normalised
// address: the longest tail that reads wholly as offsets, gates and
// fillers, leaving a non-empty place before it.
func splitTail(rs []rune) ([]rune, []Offset, string) {
	e := len(rs)
	for e > 0 && (rs[e-1] == sep || strings.ContainsRune("的了呢啊吧", rs[e-1])) {
		e--
	}
	if e == 0 || !strings.ContainsRune(tailEnds, rs[e-1]) {
		return rs, nil, "" // most addresses end in 楼, 室, 号 …: no tail
	}
	for k := 1; k < len(rs); k++ {
		if !isTailStart(rs[k]) || rs[k-1] == sep && k == 1 {
			continue
		}
		// A tail never begins inside a number (3号楼, 12号).
		if isDigit(rs[k]) && isDigit(rs[k-1]) {
			continue
		}
		if offs, gate, ok := parseTail(rs, k); ok {
			head := rs[:k]
			for len(head) > 0 && (head[len(head)-1] == sep || head[len(head)-1] == '的') {
				head = head[:len(head)-1]
			}
			if len(head) == 0 {
				return rs, nil, ""
			}
			// A bare number ending the head belongs to the gate (3号门) or
			// to the place (12号); nothing to do here.
			return head, offs, gate
		}
	}
	return rs, nil, ""
}

// tailEnds are the characters an offset, a gate or a filler can end with.
const tailEnds = "米M公尺步东南西北侧边面首头端方角近旁壁围带前内里下后背门口卫处远点右上间置位向多" + "里"

// crossWords end an intersection (路口, 交叉口, 十字路口 …), longest first.
var crossWords = [][]rune{
	[]rune("十字交叉路口"), []rune("十字交叉口"), []rune("十字路口"), []rune("丁字路口"), []rune("交叉路口"), []rune("三岔路口"), []rune("交汇路口"),
	[]rune("交叉口"), []rune("交汇处"), []rune("交会处"), []rune("交界处"), []rune("交叉处"), []rune("相交处"), []rune("交汇口"), []rune("交叉点"),
	[]rune("交汇点"), []rune("交会口"), []rune("交接处"), []rune("交界口"),
	[]rune("十字口"), []rune("丁字口"), []rune("三岔口"), []rune("岔路口"), []rune("交口"), []rune("岔口"), []rune("路口"),
	[]rune("交叉"), []rune("交汇"), []rune("交会"), []rune("交界"), []rune("相交"), []rune("十字"), []rune("口"),
}

// stripCrossWord removes an intersection word from the end of rs; the 路
// of 路口 stays when it ends a road name (光明路口 → 光明路).
func stripCrossWord(rs []rune) ([]rune, bool) {
	for len(rs) > 0 && (rs[len(rs)-1] == sep || rs[len(rs)-1] == '的') {
		rs = rs[:len(rs)-1]
	}
	for _, w := range crossWords {
		n := len(w)
		if len(rs) <= n || !hasRunes(rs[len(rs)-n:], w) {
			continue
		}
		head := rs[:len(rs)-n]
		afterDe := len(head) > 0 && (last(head) == '的' || last(head) == sep)
		if len(w) == 1 { // 口 alone: only after a road word (光明路口, 文化街口)
			if l := last(head); l != '路' && l != '街' && l != '道' && l != '巷' {
				return rs, false
			}
		}
		if w[0] == '路' && !strings.ContainsRune("路街巷道", last(head)) && !afterDe {
			head = rs[:len(rs)-n+1] // 光明路口: keep the road's 路
		}
		for len(head) > 0 && (head[len(head)-1] == sep || head[len(head)-1] == '的') {
			head = head[:len(head)-1]
		}
		return head, len(head) > 0
	}
	return rs, false
}

// connectors join the two roads of an intersection.
const connectors = "与和跟同交及或并、"

func isConnector(r rune) bool { return strings.ContainsRune(connectors, r) }
