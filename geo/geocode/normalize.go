package geocode

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxQueryBytes caps the input a query may have; longer input is refused
// with ErrTooLong before any work is done.
const MaxQueryBytes = 1024

// Normalize rewrites a spoken or typed address into the canonical form the
// gazetteer is keyed by: half-width characters, digits for Chinese numerals
// that count something (三号楼 → 3号楼, 二十三号 → 23号, 一百零五室 →
// 105室), one unit word per level (号楼, 单元, 室, 层), simplified
// characters, no punctuation, spaces or control characters, and the
// province and city prefixes dropped (山东省枣庄市市中区 → 市中区).
// Invalid UTF-8 bytes are dropped. The gazetteer's names go through the
// same function, so both sides agree.
func Normalize(s string) string { return normalize(s, false) }

// sep marks where the caller separated two words by spaces or punctuation
// (市中区 香港街 幸福小区); Parse cuts names there. Only separators between
// two Han characters that are no numbers or unit words are kept, and only
// when keepSep is set.
const sep = '\uE000'

func isSep(r rune) bool { return r == sep }

func normalize(s string, keepSep bool) string {
	if len(s) > 4*MaxQueryBytes {
		s = s[:4*MaxQueryBytes]
	}
	// Pass 1: width, traditional characters, punctuation, controls.
	rs := make([]rune, 0, utf8.RuneCountInString(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError && n <= 1 {
			continue
		}
		r = halfWidth(r)
		if t, ok := tradToSimp[r]; ok {
			r = t
		}
		switch {
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r == '#' || r == '-':
		case r == '.' && len(rs) > 0 && isDigit(rs[len(rs)-1]) && decimalDistanceAhead(s[i:]):
			// 1.5公里: a decimal point inside a distance stays
		case r == '－' || r == '—' || r == '–' || r == '~' || r == '～':
			r = '-'
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) || r == utf8.RuneError || r == sep:
			continue
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.Is(unicode.Co, r):
			if keepSep && len(rs) > 0 && rs[len(rs)-1] != sep {
				rs = append(rs, sep)
			}
			continue
		}
		rs = append(rs, r)
	}
	if keepSep {
		rs = keepWordSeps(rs)
	}
	hasNum := false
	for _, r := range rs {
		if isDigit(r) || isCnNumeral(r) {
			hasNum = true
			break
		}
	}
	if hasNum {
		rs = unitWords(convertNumerals(rs))
	}
	return string(abbreviations(rs))
}

// decimalDistanceAhead reports whether s starts with digits followed by a
// unit of distance (the rest of 1.5公里, 2.5KM).
func decimalDistanceAhead(s string) bool {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 {
		return false
	}
	rest := s[n:]
	for _, u := range []string{"米", "公里", "千米", "公尺", "km", "KM", "Km", "m", "M"} {
		if strings.HasPrefix(rest, u) {
			return true
		}
	}
	return false
}

// keepWordSeps drops the separators that do not stand between two Han
// words: around numbers, before unit words, at either end.
func keepWordSeps(rs []rune) []rune {
	out := rs[:0]
	for i, r := range rs {
		if r == sep {
			if i == 0 || i+1 >= len(rs) {
				continue
			}
			a, b := rs[i-1], rs[i+1]
			if !unicode.Is(unicode.Han, a) || !unicode.Is(unicode.Han, b) || isCnNumeral(a) || isCnNumeral(b) || followedByCount(rs, i+1) {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// halfWidth maps full-width ASCII variants and the ideographic space to
// their half-width forms.
func halfWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

var cnDigit = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9, '幺': 1, '壹': 1, '贰': 2, '叁': 3, '肆': 4, '伍': 5, '陆': 6, '柒': 7, '捌': 8, '玖': 9}
var cnUnit = map[rune]int{'十': 10, '拾': 10, '百': 100, '佰': 100, '千': 1000, '仟': 1000}

func isCnNumeral(r rune) bool {
	_, d := cnDigit[r]
	_, u := cnUnit[r]
	return d || u
}

// countWords follow a number that counts something; a Chinese numeral run
// before one of them is a number, elsewhere it may be part of a name
// (三里庄, 八一社区) and is left alone.
var countWords = []string{"号楼", "号", "栋", "幢", "座", "单元", "室", "户", "层", "楼", "网格", "#", "-"}

func followedByCount(rs []rune, j int) bool {
	for _, w := range countWords {
		if hasRunePrefix(rs[j:], w) {
			return true
		}
	}
	return false
}

func hasRunePrefix(rs []rune, w string) bool {
	i := 0
	for _, r := range w {
		if i >= len(rs) || rs[i] != r {
			return false
		}
		i++
	}
	return true
}

// convertNumerals turns Chinese numeral runs into digits where they count
// something: before a count word, after 第, or when read digit by digit
// with a zero or three digits or more (五零二 → 502).
func convertNumerals(rs []rune) []rune {
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); {
		if !isCnNumeral(rs[i]) {
			out = append(out, rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && isCnNumeral(rs[j]) {
			j++
		}
		run := rs[i:j]
		after := followedByCount(rs, j)
		before := i > 0 && rs[i-1] == '第'
		digitsOnly, hasZero := true, false
		for _, r := range run {
			if _, ok := cnUnit[r]; ok {
				digitsOnly = false
			}
			if r == '零' || r == '〇' {
				hasZero = true
			}
		}
		spoken := digitsOnly && (hasZero || len(run) >= 3)
		if (after || before || spoken) && len(run) <= 12 {
			if v, ok := cnValue(run); ok {
				out = append(out, []rune(v)...)
				i = j
				continue
			}
		}
		out = append(out, run...)
		i = j
	}
	return out
}

// cnValue reads a Chinese numeral: positional (二十三, 一百零五, 十二) or
// digit by digit (五零二). It reports false for what is not a number.
func cnValue(run []rune) (string, bool) {
	positional := false
	for _, r := range run {
		if _, ok := cnUnit[r]; ok {
			positional = true
		}
	}
	if !positional {
		var sb strings.Builder
		for _, r := range run {
			sb.WriteByte(byte('0' + cnDigit[r]))
		}
		return sb.String(), true
	}
	total, cur := 0, -1
	lastUnit := 100000
	for _, r := range run {
		if d, ok := cnDigit[r]; ok {
			if cur >= 0 && r != '零' && r != '〇' {
				return "", false // two digits in a row in positional form
			}
			if r == '零' || r == '〇' {
				cur = -1
				continue
			}
			cur = d
			continue
		}
		u := cnUnit[r]
		if u >= lastUnit {
			return "", false
		}
		lastUnit = u
		if cur < 0 {
			cur = 1 // 十二 = 12
		}
		total += cur * u
		cur = -1
	}
	if cur >= 0 {
		total += cur
	}
	if total > 99999 {
		return "", false
	}
	return itoa(total), true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// unitWords rewrites the words after a number to one per level: 号楼 for
// 号楼/栋/幢/座/#, 单元, 室 for 室/户, 层 for 层/楼.
func unitWords(rs []rune) []rune {
	out := make([]rune, 0, len(rs)+4)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		out = append(out, r)
		if !isDigit(r) || (i+1 < len(rs) && isDigit(rs[i+1])) {
			continue
		}
		rest := rs[i+1:]
		switch {
		case hasRunePrefix(rest, "号楼"):
			out = append(out, '号', '楼')
			i += 2
		case hasRunePrefix(rest, "号院"):
			// a house-number courtyard: keep as a house number
			out = append(out, '号')
			i += 2
		case hasRunePrefix(rest, "栋") || hasRunePrefix(rest, "幢") || hasRunePrefix(rest, "座") || hasRunePrefix(rest, "#"):
			out = append(out, '号', '楼')
			i++
		case hasRunePrefix(rest, "单元"):
			out = append(out, '单', '元')
			i += 2
		case hasRunePrefix(rest, "户") || hasRunePrefix(rest, "室"):
			out = append(out, '室')
			i++
		case hasRunePrefix(rest, "楼") || hasRunePrefix(rest, "层"):
			out = append(out, '层')
			i++
		}
	}
	return out
}

// abbrevs are the long administrative forms and their short ones, longest
// first.
var abbrevs = [][2]string{
	{"街道办事处", "街道"},
	{"办事处", "街道"},
	{"社区居民委员会", "社区"},
	{"社区居委会", "社区"},
	{"居民委员会", "社区"},
	{"居委会", "社区"},
}

// abbreviations expands the short forms of administrative words and drops
// the province and city prefixes. Separators inside a word (枣 庄) do not
// hide it, so the text reads the same with and without them.
func abbreviations(rs []rune) []rune {
	for _, a := range abbrevRunes {
		rs = replaceSkippingSeps(rs, a[0], a[1])
	}
	for {
		for len(rs) > 0 && rs[0] == sep {
			rs = rs[1:]
		}
		n := len(rs)
		for _, p := range countryPrefixes {
			if e := matchSkippingSeps(rs, 0, p); e > 0 {
				rs = rs[e:]
			}
		}
		switch {
		case matchSkippingSeps(rs, 0, zzShiZhong) > 0: // 枣庄市市中区 → 市中区
			rs = rs[matchSkippingSeps(rs, 0, zzCity):]
		case matchSkippingSeps(rs, 0, zzZhong) > 0: // 枣庄市中区 → 市中区
			rs = rs[matchSkippingSeps(rs, 0, zz):]
		case matchSkippingSeps(rs, 0, zzCity) > 0:
			e := matchSkippingSeps(rs, 0, zzCity)
			if cityOwn(rs[e:]) { // 枣庄市立医院: the city's own institution keeps its 市
				rs = rs[matchSkippingSeps(rs, 0, zz):]
				break
			}
			rs = rs[e:]
		case matchSkippingSeps(rs, 0, zz) > 0:
			rs = rs[matchSkippingSeps(rs, 0, zz):]
		}
		if len(rs) == n {
			return rs
		}
	}
}

var (
	abbrevRunes     [][2][]rune
	countryPrefixes = [][]rune{[]rune("中华人民共和国"), []rune("中国"), []rune("山东省"), []rune("山东")}
	zzShiZhong      = []rune("枣庄市市中区")
	zzZhong         = []rune("枣庄市中区")
	zzCity          = []rune("枣庄市")
	zz              = []rune("枣庄")
)

func init() {
	for _, a := range abbrevs {
		abbrevRunes = append(abbrevRunes, [2][]rune{[]rune(a[0]), []rune(a[1])})
	}
}

// cityOwn reports whether the text after 枣庄市 names one of the city's own
// institutions (市立医院, 市政府, 市委, 市直, 市属, 市第一中学), whose 市 is
// part of the name.
func cityOwn(rs []rune) bool {
	for len(rs) > 0 && rs[0] == sep {
		rs = rs[1:]
	}
	for _, w := range []string{"立", "属", "直", "委", "政", "人民政府", "第"} {
		if hasRunePrefix(rs, w) {
			return true
		}
	}
	return false
}

// matchSkippingSeps returns the end of w matched at rs[i:], separators
// between its characters allowed, or -1.
func matchSkippingSeps(rs []rune, i int, w []rune) int {
	if i >= len(rs) || rs[i] == sep {
		return -1
	}
	j := i
	for k, r := range w {
		if k > 0 {
			for j < len(rs) && rs[j] == sep {
				j++
			}
		}
		if j >= len(rs) || rs[j] != r {
			return -1
		}
		j++
	}
	return j
}

// replaceSkippingSeps replaces every match of old (separators allowed
// inside it) by new, left to right.
func replaceSkippingSeps(rs, old, new []rune) []rune {
	var out []rune
	last := 0
	for i := 0; i < len(rs); {
		if e := matchSkippingSeps(rs, i, old); e > 0 {
			if out == nil {
				out = make([]rune, 0, len(rs))
			}
			out = append(out, rs[last:i]...)
			out = append(out, new...)
			i, last = e, e
			continue
		}
		i++
	}
	if out == nil {
		return rs
	}
	return append(out, rs[last:]...)
}

// tradToSimp maps the traditional characters common in addresses to their
// simplified forms.
var tradToSimp = map[rune]rune{}

func init() {
	const pairs = "號号樓楼棟栋單单區区東东園园華华興兴陽阳龍龙鳳凤門门裡里廣广場场莊庄縣县鎮镇電电廠厂層层戶户會会員员濱滨灣湾雲云藝艺書书銀银麗丽錦锦繡绣諧谐鄉乡長长葉叶學学開开關关濟济寶宝馬马劉刘車车壽寿橋桥嶺岭產产發发農农黃黄協协勝胜運运蘭兰際际國国億亿貿贸豐丰鐵铁務务礦矿稅税師师聖圣陳陈張张楊杨趙赵餘余樂乐萬万達达業业魯鲁亞亚來来廟庙溝沟頭头藍蓝綠绿環环線线豐丰齊齐雅雅邊边對对處处辦办屬属際际陸陆嶺岭鳴鸣翡翡殿殿廈厦庫库灣湾島岛鑫鑫溫温潤润澤泽譽誉觀观鐘钟鋼钢醫医藥药館馆體体傳传倉仓衛卫術术幣币歲岁號号約约側侧離离遠远轉转過过週周圍围隔隔幾几兩两場场攤摊站站"
	rs := []rune(pairs)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] != rs[i+1] {
			tradToSimp[rs[i]] = rs[i+1]
		}
	}
}
